//! The `holdfast` binary. This file only parses arguments and dispatches: each subcommand is a
//! module under `commands/`; settings shared by several live in `settings.rs`; logging in
//! `telemetry.rs`. Errors print as one line (`error: …`) and exit with status 1.

mod commands;
mod settings;
mod telemetry;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Holdfast: an event-sourced reservation engine.
#[derive(Parser)]
#[command(name = "holdfast", version, about)]
struct Cli {
    /// Log format.
    #[arg(
        long,
        global = true,
        env = "HOLDFAST_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: telemetry::LogFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: with no configuration, on the embedded default (a SQLite event store
    /// under ./data and in-memory read models) at http://127.0.0.1:8080.
    Serve(commands::serve::ServeArgs),
    /// Apply the event store's schema migrations and exit.
    Migrate(commands::migrate::MigrateArgs),
    /// Operate the DynamoDB read models: status, rebuild, verify.
    Projections(commands::projections::ProjectionsArgs),
    /// Mint a bearer token (development and tests).
    Token(commands::token::TokenArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => commands::serve::run(args).await,
            Command::Migrate(args) => commands::migrate::run(args).await,
            Command::Projections(args) => commands::projections::run(args).await,
            Command::Token(args) => commands::token::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the context chain, no backtrace.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
