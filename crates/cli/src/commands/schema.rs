//! `holdfast schema`: print the GraphQL SDL (what `crates/api/schema.graphql` holds).

use clap::Args;

/// Arguments of `holdfast schema` (none).
#[derive(Args)]
pub struct SchemaArgs {}

/// Prints the SDL.
pub async fn run(_args: SchemaArgs) -> anyhow::Result<()> {
    print!("{}", holdfast_api::schema::sdl());
    Ok(())
}
