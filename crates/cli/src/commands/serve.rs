//! `holdfast serve`: open and migrate the event store, connect the read side, serve HTTP until
//! Ctrl-C or SIGTERM, then drain in-flight requests.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use holdfast_api::{AppState, app};

use crate::settings::{ReadSideArgs, StoreArgs};

/// Arguments of `holdfast serve`.
#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    read_side: ReadSideArgs,
    /// Address to listen on.
    #[arg(long, env = "HOLDFAST_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
}

/// Runs the server.
pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    store.migrate().await?;
    let read_side = args.read_side.connect().await?;
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
    println!("Holdfast listening on http://{address}");
    axum::serve(listener, app(AppState { store, read_side }))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
