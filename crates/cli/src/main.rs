//! The `holdfast` binary. This file only parses arguments and dispatches: each subcommand is a
//! module under `commands/`; settings shared by several live in `settings.rs`; logging in
//! `telemetry.rs`; the settings file in `config.rs`. (The benchmarks and the history generator
//! are another binary, `holdfast-bench`, in `crates/bench`.)
//!
//! Exit status: 0 on success; 1 when `projections verify` finds differences; 2 for usage and
//! configuration errors and anything else that failed (one line, `error: …`, never a panic).

mod commands;
mod config;
mod settings;
mod telemetry;

/// mimalloc instead of the system allocator: the server and the log commands allocate and free
/// many small JSON values and maps (a third of `events export`'s time went to glibc's malloc
/// and free; see docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

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

    /// A TOML settings file; its keys are the long flags with _ for - (database_url, listen,
    /// table_prefix, jwt_secret, …). Flags and HOLDFAST_* variables win over it.
    #[arg(long, global = true, env = "HOLDFAST_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: with no configuration, on the embedded default (a SQLite event store
    /// under ./data and in-memory read models) at http://127.0.0.1:8080.
    Serve(Box<commands::serve::ServeArgs>),
    /// Apply the event store's schema migrations and exit.
    Migrate(commands::migrate::MigrateArgs),
    /// Operate the DynamoDB read models: status, rebuild, verify.
    Projections(commands::projections::ProjectionsArgs),
    /// Mint a bearer token (development and tests).
    Token(commands::token::TokenArgs),
    /// Load demo fixtures (idempotent).
    Fixtures(commands::fixtures::FixturesArgs),
    /// Export, import and replay events (analysts).
    Events(commands::events::EventsArgs),
    /// Reports computed by replaying the log (occupancy and revenue).
    Report(commands::report::ReportArgs),
    /// Print the GraphQL schema (SDL).
    Schema(commands::schema::SchemaArgs),
    /// Run the projectors and the notifications outbox without HTTP until Ctrl-C/SIGTERM
    /// (pair with `serve --no-workers`).
    Worker(commands::worker::WorkerArgs),
    /// The notifications outbox: list deliveries, retry dead ones.
    Notifications(commands::notifications::NotificationsArgs),
}

/// Whether the failure is only that stdout was closed early (`holdfast events export | head`).
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Exit status of a failure: 1 for verification differences, 2 for everything else.
fn failure_status(error: &anyhow::Error) -> u8 {
    if error
        .downcast_ref::<commands::projections::VerifyDifferences>()
        .is_some()
    {
        1
    } else {
        2
    }
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let command = match config::with_file_defaults(Cli::command(), &args) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    // Usage errors exit with status 2 (clap's convention), --help and --version with 0.
    let matches = command.get_matches_from(args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    telemetry::init(cli.log_format);
    // Request handlers, the booking process and the workers nest deep async state machines; a
    // debug build's frames are large, so worker threads get 8 MiB stacks instead of 2.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 * 1024 * 1024)
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => commands::serve::run(*args).await,
            Command::Migrate(args) => commands::migrate::run(args).await,
            Command::Projections(args) => commands::projections::run(args).await,
            Command::Token(args) => commands::token::run(args).await,
            Command::Fixtures(args) => commands::fixtures::run(args).await,
            Command::Events(args) => commands::events::run(args).await,
            Command::Report(args) => commands::report::run(args).await,
            Command::Schema(args) => commands::schema::run(args).await,
            Command::Worker(args) => commands::worker::run(args).await,
            Command::Notifications(args) => commands::notifications::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the context chain, no backtrace.
            eprintln!("error: {e:#}");
            ExitCode::from(failure_status(&e))
        }
    }
}
