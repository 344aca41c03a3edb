//! `holdfast worker`: run the projectors (and, as they are added, the log-driven workers)
//! without HTTP, until Ctrl-C or SIGTERM. With `holdfast serve --no-workers` on the API nodes,
//! this is the projector/worker node. One active projector per read model across nodes (leases).

use std::sync::Arc;

use anyhow::bail;
use clap::Args;
use holdfast_projections::models::all_projections;
use holdfast_projections::runtime::{ProjectionRuntime, ProjectorOptions};

use super::serve::shutdown_signal;
use crate::settings::{ReadSideArgs, StoreArgs};

/// Arguments of `holdfast worker`.
#[derive(Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    read_side: ReadSideArgs,
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
    tracing::info!(backend = ?store.backend(), "worker running");
    let shutdown = shutdown_signal();
    println!("Holdfast worker running");
    shutdown.await;
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
