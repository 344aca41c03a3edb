//! `holdfast serve`: open and migrate the event store, load the demo fixtures if the store is
//! empty, connect the read side, serve HTTP until Ctrl-C or SIGTERM, then drain in-flight
//! requests.

use std::net::SocketAddr;

use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use holdfast_api::worker::{BookingWorker, WorkerOptions};
use holdfast_api::{AppState, app};
use holdfast_projections::models::all_projections;
use holdfast_projections::runtime::{ProjectionRuntime, ProjectorOptions};

use holdfast_domain::services::DomainServices;

use crate::settings::{
    AuthArgs, NotifyArgs, PaymentsWebhookArgs, ReadSideArgs, StoreArgs, stop_outbox,
};

/// Arguments of `holdfast serve`.
#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    read_side: ReadSideArgs,
    #[command(flatten)]
    auth: AuthArgs,
    /// Address to listen on.
    #[arg(long, env = "HOLDFAST_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Do not run projectors or the booking worker in this process (API-only node; run
    /// `holdfast worker` elsewhere).
    #[arg(long, env = "HOLDFAST_NO_WORKERS")]
    no_workers: bool,
    /// Do not load the built-in demo fixtures into an empty embedded (SQLite) event store.
    #[arg(long, env = "HOLDFAST_NO_DEMO")]
    no_demo: bool,
    #[command(flatten)]
    notify: NotifyArgs,
    #[command(flatten)]
    payments_webhook: PaymentsWebhookArgs,
}

/// Runs the server.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let authenticator = args.auth.authenticator(&args.store)?;
    let store = args.store.open().await?;
    store.migrate().await?;
    // Only the embedded default (SQLite) with no event at all gets the demo set: never a store
    // that has been used, never a production (Postgres) store.
    if !args.no_demo
        && store.backend() == holdfast_eventstore::Backend::Sqlite
        && store.log().head().await? == holdfast_eventstore::Position::START
    {
        let set = crate::fixtures::FixtureSet::embedded()?;
        let report =
            super::fixtures::load_set(&store, &set, chrono::Utc::now().date_naive()).await?;
        tracing::info!(
            groups = report.loaded.len(),
            "loaded the demo fixtures into the empty event store"
        );
    }
    let read_side = args.read_side.connect().await?;
    // Projectors: the in-memory read side is rebuilt from the log at every start; DynamoDB
    // resumes from its checkpoints. One active projector per table across nodes (leases).
    let projections = (!args.no_workers).then(|| {
        Arc::new(ProjectionRuntime::start(
            read_side.store(),
            store.clone(),
            all_projections(),
            ProjectorOptions::default(),
        ))
    });
    // The notifications outbox runs where the workers run (not on an API-only node).
    let outbox = if args.no_workers {
        None
    } else {
        args.notify.start(&store)?
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (pass another --listen / HOLDFAST_LISTEN)",
                args.listen
            )
        })?;
    let address = listener.local_addr()?;
    tracing::info!(backend = ?store.backend(), %address, "serving");
    // The one line a script (or a test) waits for.
    let shutdown = shutdown_signal();
    println!("Holdfast listening on http://{address}");
    let state = args.payments_webhook.apply(AppState::new(
        store,
        read_side,
        projections.clone(),
        authenticator,
        DomainServices::system(),
    ))?;
    // The booking worker (expiries, waitlist offers, late payments, refunds) runs with the
    // projectors; `--no-workers` leaves both to `holdfast worker`.
    let worker =
        (!args.no_workers).then(|| BookingWorker::start(state.clone(), WorkerOptions::default()));
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
        .context("the HTTP server failed")?;
    if let Some(worker) = worker {
        worker.stop().await;
    }
    stop_outbox(outbox).await;
    if let Some(runtime) = projections.and_then(Arc::into_inner) {
        for (table, result) in runtime.stop().await {
            if let Err(e) = result {
                tracing::warn!(%table, error = %e, "projector stopped with an error");
            }
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    // Register the handlers NOW (not when first polled), so a signal that arrives right after
    // the "listening" line is already caught.
    #[cfg(unix)]
    let (mut interrupt, mut terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let interrupt = async {
                match interrupt.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let terminate = async {
                match terminate.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = interrupt => {},
                () = terminate => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}
