//! CI smoke runs of `holdfast-bench`: every scenario at a tiny scale, checking the scenario's
//! own correctness checks passed — exact counts, not speed (speed is what `scripts/bench` and
//! docs/BENCHMARKS.md are for).
//!
//! The bench is the real binary (`CARGO_BIN_EXE_holdfast-bench`), a separate process as in
//! `scripts/bench`. The server it loads runs in this test process: the engine and the HTTP app
//! that `holdfast serve` starts (`Engine::start` with serve's settings, `holdfast_api::app`), on
//! Postgres + DynamoDB Local, on a port-0 listener. Not the `holdfast` binary, because
//! `cargo test -p holdfast-bench` builds only this package's binaries: a spawned `holdfast`
//! could be missing or stale, while this server is always compiled from the sources under test.
//! The `export` scenario measures the `holdfast events export` process itself, so that test
//! needs the `holdfast` binary built next to `holdfast-bench` (a workspace-wide run builds it;
//! alone: `cargo build -p holdfast-cli`).

use std::path::PathBuf;
use std::process::Output;

use holdfast_api::auth::{AuthConfig, Authenticator, Secret};
use holdfast_api::{AppState, app};
use holdfast_domain::services::DomainServices;
use holdfast_engine::notify::OutboxOptions;
use holdfast_engine::worker::WorkerOptions;
use holdfast_engine::{Engine, EngineSettings, OutboxSettings, ReadSideSettings};
use holdfast_projections::runtime::ProjectorOptions;
use holdfast_projections::store::dynamo::DynamoSettings;
use holdfast_testkit::{
    TestDatabase, dynamodb_endpoint, fresh_postgres_database, fresh_table_prefix,
};
use tokio::process::Command;

const SECRET: &str = "bench-smoke-secret-0123456789";

fn bench() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_holdfast-bench"));
    for var in [
        "HOLDFAST_CONFIG",
        "HOLDFAST_DATABASE_URL",
        "HOLDFAST_DYNAMODB",
        "HOLDFAST_DYNAMODB_ENDPOINT",
        "HOLDFAST_LISTEN",
        "HOLDFAST_JWT_SECRET",
        "HOLDFAST_JWT_PUBLIC_KEY_FILE",
        "HOLDFAST_TABLE_PREFIX",
        "HOLDFAST_BENCH_URL",
        "HOLDFAST_BENCH_HOLDFAST",
    ] {
        command.env_remove(var);
    }
    command
}

/// What `holdfast serve` runs — the engine with projectors, the booking worker and the outbox,
/// and the HTTP app — on a fresh database and table prefix, on a port-0 listener.
struct Server {
    url: String,
    engine: Engine,
    http: tokio::task::JoinHandle<()>,
    db: TestDatabase,
    prefix: String,
}

impl Server {
    async fn start() -> Self {
        let db = fresh_postgres_database().await;
        let prefix = fresh_table_prefix();
        // `holdfast serve` with HOLDFAST_DATABASE_URL, HOLDFAST_DYNAMODB_ENDPOINT,
        // HOLDFAST_TABLE_PREFIX and HOLDFAST_JWT_SECRET set, everything else by default.
        let settings = EngineSettings {
            database_url: db.url.clone(),
            read_side: ReadSideSettings::DynamoDb {
                settings: DynamoSettings {
                    endpoint: Some(dynamodb_endpoint()),
                    region: None,
                },
                table_prefix: prefix.clone(),
                require_reachable: true,
            },
            services: DomainServices::system(),
            demo_fixtures: true,
            projectors: Some(ProjectorOptions::default()),
            worker: Some(WorkerOptions::default()),
            outbox: Some(OutboxSettings {
                sinks: Vec::new(),
                options: OutboxOptions::default(),
            }),
            payments_webhook: None,
        };
        let auth = Authenticator::new(&AuthConfig::Hs256(Secret::new(SECRET))).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let engine = Engine::start(settings).await.unwrap();
        let router = app(AppState::new(engine.clone(), auth));
        let http = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self {
            url,
            engine,
            http,
            db,
            prefix,
        }
    }

    /// `holdfast-bench <args>` against this server.
    async fn bench(&self, args: &[&str]) -> Output {
        bench()
            .args(args)
            .env("HOLDFAST_BENCH_URL", &self.url)
            .env("HOLDFAST_JWT_SECRET", SECRET)
            .env("HOLDFAST_DATABASE_URL", &self.db.url)
            .env("HOLDFAST_DYNAMODB_ENDPOINT", dynamodb_endpoint())
            .env("HOLDFAST_TABLE_PREFIX", &self.prefix)
            .output()
            .await
            .unwrap()
    }

    async fn stop(self) {
        self.http.abort();
        self.engine.stop().await;
        self.db.clone().drop_now().await;
    }
}

/// Asserts the run succeeded, printed a table, and every listed check passed.
fn assert_checks_pass(output: &Output, checks: &[&str]) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "bench failed ({:?}):\n{stdout}\n{stderr}",
        output.status.code()
    );
    assert!(stdout.contains("| run | clients | ops |"), "{stdout}");
    assert!(!stdout.contains("FAILED"), "{stdout}");
    for check in checks {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("- check: ") && l.contains(check) && l.ends_with(": ok")),
            "no passing check containing `{check}`:\n{stdout}"
        );
    }
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn storm_holds_exactly_the_capacity() {
    let server = Server::start().await;
    let out = server
        .bench(&["storm", "--guests", "30", "--capacity", "7"])
        .await;
    assert_checks_pass(
        &out,
        &[
            "exactly 7 held (got 7)",
            "every other answer SOLD_OUT (23 sold out",
            "the calendar shows 7 held of 7",
        ],
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn coupons_issue_exactly_the_quantity() {
    let server = Server::start().await;
    let out = server
        .bench(&[
            "coupons",
            "--claims",
            "40",
            "--quantity",
            "12",
            "--clients",
            "6",
        ])
        .await;
    assert_checks_pass(
        &out,
        &[
            "exactly 12 claimed (got 12)",
            "every other answer COUPON_REJECTED (28 rejected",
            "campaign stats show 12 claimed, 0 remaining",
        ],
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn holds_and_lag_keep_the_calendar_equal_to_the_answers() {
    let server = Server::start().await;
    let shape = [
        "--clients",
        "3",
        "--duration",
        "2s",
        "--inventories",
        "3",
        "--days",
        "2",
    ];
    let mut holds = vec!["holds", "--no-baseline"];
    holds.extend(shape);
    let out = assert_checks_pass(
        &server.bench(&holds).await,
        &[
            "allocated units = confirmed bookings on every inventory",
            "no unit left held beyond failed requests",
            "held + allocated <= capacity on every slot",
        ],
    );
    assert!(!out.contains("pgbench"), "{out}");
    let mut lag = vec!["lag", "--probe-every", "100ms"];
    lag.extend(shape);
    assert_checks_pass(
        &server.bench(&lag).await,
        &[
            "every probe's commit became visible",
            "allocated units = confirmed bookings on every inventory",
        ],
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn query_reads_the_same_month_both_ways() {
    let server = Server::start().await;
    let out = server
        .bench(&["query", "--clients", "2", "--duration", "1s"])
        .await;
    let stdout = assert_checks_pass(&out, &["every answer has the 31 slots (0 did not"]);
    assert!(stdout.contains("direct DynamoDB Query"), "{stdout}");
    server.stop().await;
}

/// The `holdfast` binary the export scenario runs: the one cargo built next to `holdfast-bench`
/// (where the bench looks first).
fn holdfast_binary() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_holdfast-bench"))
        .with_file_name(format!("holdfast{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "{} is missing: the export scenario runs the holdfast binary; build it first (cargo build -p holdfast-cli; a workspace-wide cargo nextest run, as ./scripts/test does, builds it)",
        path.display()
    );
    path
}

#[tokio::test]
async fn rebuild_and_export_run_on_a_seeded_log() {
    holdfast_binary();
    let db = fresh_postgres_database().await;
    let prefix = fresh_table_prefix();
    let run = async |args: &[&str]| {
        bench()
            .args(args)
            .env("HOLDFAST_DATABASE_URL", &db.url)
            .env("HOLDFAST_DYNAMODB_ENDPOINT", dynamodb_endpoint())
            .env("HOLDFAST_TABLE_PREFIX", &prefix)
            .output()
            .await
            .unwrap()
    };
    let out = assert_checks_pass(
        &run(&["rebuild", "--events", "800", "--baseline-items", "200"]).await,
        &["every new generation verified against the log with no difference"],
    );
    assert!(out.contains("from 800 events"), "{out}");
    // The log seeded by the rebuild run is used as it is.
    assert_checks_pass(
        &run(&["export", "--events", "800"]).await,
        &["one line per event (800 lines, 800 events)"],
    );
    // A partly filled store is refused rather than topped up.
    let refused = run(&["export", "--events", "900"]).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("holds 800 events, fewer than --events 900"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    db.drop_now().await;
}
