//! `holdfast migrate`: apply the event store's schema migrations.

use clap::Args;

use crate::settings::StoreArgs;

/// Arguments of `holdfast migrate`.
#[derive(Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    store: StoreArgs,
}

/// Runs the migrations.
pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    store.migrate().await?;
    tracing::info!(backend = ?store.backend(), "event store schema is up to date");
    Ok(())
}
