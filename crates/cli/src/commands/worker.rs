//! `holdfast worker`: run the projectors, the booking worker (expiries, waitlist offers,
//! late payments, refunds) and the notifications outbox without HTTP, until Ctrl-C or SIGTERM.
//! With `holdfast serve --no-workers` on the API nodes, this is the projector/worker node. One
//! active projector per read model, one active booking worker and one active outbox across
//! nodes (leases); extra nodes are standbys.

use anyhow::bail;
use clap::Args;
use holdfast_domain::services::DomainServices;
use holdfast_engine::{Engine, EngineSettings};
use holdfast_projections::runtime::ProjectorOptions;

use super::serve::shutdown_signal;
use crate::settings::{NotifyArgs, ReadSideArgs, ReminderArgs, StoreArgs};

/// Arguments of `holdfast worker`.
#[derive(Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    read_side: ReadSideArgs,
    #[command(flatten)]
    notify: NotifyArgs,
    #[command(flatten)]
    reminders: ReminderArgs,
}

/// Runs the projectors, the booking worker and the outbox until a shutdown signal.
pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    if !args.read_side.uses_dynamodb() {
        bail!(
            "a worker keeps read models in DynamoDB: pass --dynamodb or --dynamodb-endpoint (HOLDFAST_DYNAMODB_ENDPOINT); the embedded default runs its projectors inside `holdfast serve`"
        );
    }
    let engine = Engine::start(EngineSettings {
        database_url: args.store.database_url.clone(),
        read_side: args.read_side.settings(),
        services: DomainServices::system(),
        demo_fixtures: false,
        projectors: Some(ProjectorOptions::default()),
        worker: Some(args.reminders.worker()),
        outbox: args.notify.settings()?,
        payments_webhook: None,
    })
    .await?;
    let shutdown = shutdown_signal();
    println!("Holdfast worker running");
    shutdown.await;
    engine.stop().await;
    tracing::info!("stopped");
    Ok(())
}
