//! The `holdfast-bench` binary (next to `holdfast` as `pgbench` is next to `postgres`): parses
//! arguments, sets up logging and the runtime, and runs a scenario of the `holdfast_bench`
//! library.
//!
//! Exit status: 0 on success; 1 when a scenario's correctness check fails; 2 for usage and
//! configuration errors and anything else that failed (one line, `error: …`, never a panic).

/// mimalloc, as in the `holdfast` binary: the bench's clients and its in-process rebuild
/// allocate and free many small JSON values (the figures were measured with it).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::error::Error;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use holdfast_bench::BenchError;
use tracing_subscriber::EnvFilter;

/// Benchmarks of Holdfast: load a running server (or the stores), check the outcome, print
/// figures next to a baseline measured in the same run.
#[derive(Parser)]
#[command(name = "holdfast-bench", version)]
struct Cli {
    /// Log format.
    #[arg(
        long,
        global = true,
        env = "HOLDFAST_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: LogFormat,

    #[command(subcommand)]
    command: holdfast_bench::Command,
}

/// How log lines look.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Logs on stderr, `RUST_LOG`-style filtering (default `info`), as `holdfast` does.
fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,aws_config=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The error and its causes, outermost first.
fn chain(error: &BenchError) -> impl Iterator<Item = &(dyn Error + 'static)> {
    std::iter::successors(Some(error as &(dyn Error + 'static)), |&e| e.source())
}

/// Whether the failure is only that stdout was closed early (`holdfast-bench … | head`).
fn is_broken_pipe(error: &BenchError) -> bool {
    chain(error).any(|cause| {
        let io = match cause.downcast_ref::<BenchError>() {
            Some(BenchError::Io(e)) => Some(e),
            _ => cause.downcast_ref::<std::io::Error>(),
        };
        io.is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    // Usage errors exit with status 2 (clap's convention), --help and --version with 0.
    let cli = Cli::parse();
    init_logging(cli.log_format);
    // The rebuild scenario runs the projections' rebuild in this process: deep async state
    // machines, whose debug-build frames are large, so worker threads get 8 MiB stacks.
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
    match runtime.block_on(holdfast_bench::run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the cause chain, no backtrace.
            let line: Vec<String> = chain(&e).map(ToString::to_string).collect();
            eprintln!("error: {}", line.join(": "));
            ExitCode::from(if e.is_check_failure() { 1 } else { 2 })
        }
    }
}
