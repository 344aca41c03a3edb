//! `holdfast worker`: run the projectors, the booking worker (expiries, waitlist offers,
//! late payments, refunds) and the notifications outbox without HTTP, until Ctrl-C or SIGTERM.
//! With `holdfast serve --no-workers` on the API nodes, this is the projector/worker node. One
//! active projector per read model, one active booking worker and one active outbox across
//! nodes (leases); extra nodes are standbys.

use std::sync::Arc;

use anyhow::bail;
use clap::Args;
use holdfast_api::AppState;
use holdfast_api::auth::{AuthConfig, Authenticator, Secret};
use holdfast_api::worker::{BookingWorker, WorkerOptions};
use holdfast_domain::services::DomainServices;
use holdfast_projections::models::all_projections;
use holdfast_projections::runtime::{ProjectionRuntime, ProjectorOptions};

use super::serve::shutdown_signal;
use crate::settings::{NotifyArgs, ReadSideArgs, StoreArgs, stop_outbox};

/// Arguments of `holdfast worker`.
#[derive(Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    read_side: ReadSideArgs,
    #[command(flatten)]
    notify: NotifyArgs,
}

/// Runs the projectors until a shutdown signal.
pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    if !args.read_side.uses_dynamodb() {
        bail!(
            "a worker keeps read models in DynamoDB: pass --dynamodb or --dynamodb-endpoint (HOLDFAST_DYNAMODB_ENDPOINT); the embedded default runs its projectors inside `holdfast serve`"
        );
    }
    let store = args.store.open().await?;
    store.migrate().await?;
    let read_side = args.read_side.connect().await?;
    let runtime = Arc::new(ProjectionRuntime::start(
        read_side.store(),
        store.clone(),
        all_projections(),
        ProjectorOptions::default(),
    ));
    let outbox = args.notify.start(&store)?;
    // The booking worker runs the same application services as the API; it verifies no
    // bearer token, so its authenticator is a throwaway key nobody holds.
    let throwaway = Secret::new(ulid::Ulid::new().to_string().into_bytes());
    let state = AppState::new(
        store.clone(),
        read_side,
        Some(runtime.clone()),
        Authenticator::new(&AuthConfig::Hs256(throwaway))?,
        DomainServices::system(),
    );
    let worker = BookingWorker::start(state, WorkerOptions::default());
    tracing::info!(backend = ?store.backend(), "worker running");
    let shutdown = shutdown_signal();
    println!("Holdfast worker running");
    shutdown.await;
    worker.stop().await;
    stop_outbox(outbox).await;
    if let Some(runtime) = Arc::into_inner(runtime) {
        for (table, result) in runtime.stop().await {
            if let Err(e) = result {
                tracing::warn!(%table, error = %e, "projector stopped with an error");
            }
        }
    }
    tracing::info!("stopped");
    Ok(())
}
