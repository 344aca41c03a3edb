//! CI smoke runs of `holdfast-bench`: every scenario at a tiny scale, checking the scenario's
//! own correctness checks passed — exact counts, not speed (speed is what `scripts/bench` and
//! docs/BENCHMARKS.md are for).
//!
//! The bench is the real binary (`CARGO_BIN_EXE_holdfast-bench`), a separate process as in
//! `scripts/bench`. The server it loads runs in this test process: the engine and the HTTP app
//! that `holdfast serve` starts (`Engine::start` with serve's settings, `holdfast_api::app`), on
//! Postgres + DynamoDB Local, on a port-0 listener — or several such nodes on one database and
//! one set of tables (a cluster), or one without projectors, booking worker and outbox
//! (`serve --no-workers`). Not the `holdfast` binary, because
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

/// One node: what `holdfast serve` runs — the engine (with or without projectors, the booking
/// worker and the outbox) and the HTTP app — on a port-0 listener.
struct Node {
    url: String,
    engine: Engine,
    http: tokio::task::JoinHandle<()>,
}

impl Node {
    /// `holdfast serve` with HOLDFAST_DATABASE_URL, HOLDFAST_DYNAMODB_ENDPOINT,
    /// HOLDFAST_TABLE_PREFIX and HOLDFAST_JWT_SECRET set, `--no-workers` unless `workers`.
    async fn start(database_url: &str, dynamodb: &str, prefix: &str, workers: bool) -> Self {
        let settings = EngineSettings {
            database_url: database_url.to_owned(),
            read_side: ReadSideSettings::DynamoDb {
                settings: DynamoSettings {
                    endpoint: Some(dynamodb.to_owned()),
                    region: None,
                },
                table_prefix: prefix.to_owned(),
                require_reachable: true,
            },
            services: DomainServices::system(),
            demo_fixtures: true,
            projectors: workers.then(ProjectorOptions::default),
            worker: workers.then(WorkerOptions::default),
            outbox: workers.then(|| OutboxSettings {
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
        Self { url, engine, http }
    }
}

/// One server (or the nodes of a cluster) on a fresh database and table prefix.
struct Server {
    nodes: Vec<Node>,
    db: TestDatabase,
    prefix: String,
}

impl Server {
    /// `holdfast serve` as `scripts/bench` starts it: projectors, worker and outbox running.
    async fn start() -> Self {
        Self::cluster(1, true, &dynamodb_endpoint()).await
    }

    /// `nodes` nodes on one database and one set of tables at `dynamodb`; the first runs the
    /// projectors, booking worker and outbox if `workers`, the others never (`--no-workers`).
    async fn cluster(nodes: usize, workers: bool, dynamodb: &str) -> Self {
        let db = fresh_postgres_database().await;
        let prefix = fresh_table_prefix();
        let mut started = Vec::with_capacity(nodes);
        for n in 0..nodes {
            started.push(Node::start(&db.url, dynamodb, &prefix, workers && n == 0).await);
        }
        Self {
            nodes: started,
            db,
            prefix,
        }
    }

    /// `holdfast-bench <args>` against this server (every node, as `HOLDFAST_BENCH_URL`).
    async fn bench(&self, args: &[&str]) -> Output {
        let urls: Vec<&str> = self.nodes.iter().map(|n| n.url.as_str()).collect();
        bench()
            .args(args)
            .env("HOLDFAST_BENCH_URL", urls.join(","))
            .env("HOLDFAST_JWT_SECRET", SECRET)
            .env("HOLDFAST_DATABASE_URL", &self.db.url)
            .env("HOLDFAST_DYNAMODB_ENDPOINT", dynamodb_endpoint())
            .env("HOLDFAST_TABLE_PREFIX", &self.prefix)
            .output()
            .await
            .unwrap()
    }

    async fn stop(self) {
        for node in self.nodes {
            node.http.abort();
            node.engine.stop().await;
        }
        self.db.clone().drop_now().await;
    }
}

/// The line of `stdout` that starts with `prefix` (panics with the output if none).
fn line<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with `{prefix}`:\n{stdout}"))
}

/// The load of the small holds runs: 3 clients for 2 s on 3 inventories × 2 dates.
const HOLDS_SHAPE: [&str; 8] = [
    "--clients",
    "3",
    "--duration",
    "2s",
    "--inventories",
    "3",
    "--days",
    "2",
];

/// The checks every holds run passes (the counters are the calendar's or the log's).
const HOLDS_CHECKS: [&str; 4] = [
    "allocated units = confirmed bookings on every inventory",
    "no unit left held beyond failed requests",
    "held + allocated <= capacity on every slot",
    "the server's database counted at least one commit per confirmed booking",
];

/// `holds <flags> <HOLDS_SHAPE>` against `server`: its output, every holds check passed.
async fn small_holds(server: &Server, flags: &[&str]) -> String {
    let mut args = vec!["holds"];
    args.extend(flags);
    args.extend(HOLDS_SHAPE);
    assert_checks_pass(&server.bench(&args).await, &HOLDS_CHECKS)
}

/// 30 guests race for 7 units against `server`: its output, every storm check passed.
async fn small_storm(server: &Server) -> String {
    let out = server
        .bench(&[
            "storm",
            "--guests",
            "30",
            "--capacity",
            "7",
            "--stats-wait",
            "1s",
        ])
        .await;
    let stdout = assert_checks_pass(
        &out,
        &[
            "exactly 7 held (got 7)",
            "every other answer SOLD_OUT (23 sold out",
            "the calendar shows 7 held of 7",
        ],
    );
    assert!(
        stdout.contains("- Postgres commits per decision: "),
        "{stdout}"
    );
    stdout
}

/// `holds <flags> <HOLDS_SHAPE>` is refused (exit status 2) saying `why`.
async fn assert_holds_refused(server: &Server, flags: &[&str], why: &str) {
    let mut args = vec!["holds"];
    args.extend(flags);
    args.extend(HOLDS_SHAPE);
    let refused = server.bench(&args).await;
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(why), "{stderr}");
}

/// Asserts the run succeeded, printed a table, and every listed check passed.
fn assert_checks_pass(output: &Output, checks: &[&str]) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Shown with --nocapture.
    eprintln!("{stdout}");
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
    small_storm(&server).await;
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
            "--stats-wait",
            "1s",
        ])
        .await;
    let stdout = assert_checks_pass(
        &out,
        &[
            "exactly 12 claimed (got 12)",
            "every other answer COUPON_REJECTED (28 rejected",
            "campaign stats show 12 claimed, 0 remaining",
        ],
    );
    assert!(
        stdout.contains("- Postgres commits per claim: "),
        "{stdout}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn holds_and_lag_keep_the_calendar_equal_to_the_answers() {
    let server = Server::start().await;
    // The server runs in this process: its CPU time is this process's.
    let pid = std::process::id().to_string();
    let out = small_holds(&server, &["--no-baseline", "--server-pid", &pid]).await;
    assert!(!out.contains("pgbench"), "{out}");
    assert!(
        out.contains("- target: Postgres commits per confirmed booking (projectors, worker and outbox running) = "),
        "{out}"
    );
    let cpu = line(&out, "- CPU per confirmed booking: ");
    assert!(
        cpu.contains("server ") && cpu.contains("Postgres "),
        "{cpu}"
    );
    assert!(
        !cpu.contains("server not measured") && !cpu.contains("Postgres not measured"),
        "{cpu}"
    );
    // --write-path-only is refused on a server that runs projectors (it would measure them).
    assert_holds_refused(
        &server,
        &["--no-baseline", "--write-path-only"],
        "a node's /readyz lists projectors",
    )
    .await;
    let mut lag = vec!["lag", "--probe-every", "100ms"];
    lag.extend(HOLDS_SHAPE);
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

#[tokio::test(flavor = "multi_thread")]
async fn holds_write_path_only_checks_the_log_on_a_server_without_projectors() {
    let server = Server::cluster(1, false, &dynamodb_endpoint()).await;
    let out = small_holds(&server, &["--no-baseline", "--write-path-only"]).await;
    assert!(
        out.contains(
            "- target: Postgres commits per confirmed booking (command path, no projectors) = "
        ),
        "{out}"
    );
    // Without the flag the bench refuses at once: the calendar would never catch up.
    assert_holds_refused(&server, &["--no-baseline"], "pass --write-path-only").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lag_at_an_offered_load_through_the_delay_proxy() {
    // The server's DynamoDB calls go through a delay proxy in this process.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let upstream = dynamodb_endpoint()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let forwarding = tokio::spawn(holdfast_bench::proxy::serve(
        listener,
        upstream,
        std::time::Duration::from_millis(10),
    ));
    let server = Server::cluster(1, true, &proxy).await;
    let out = assert_checks_pass(
        &server
            .bench(&[
                "lag",
                "--rate",
                "10",
                "--dynamodb-delay-ms",
                "10",
                "--duration",
                "2s",
                "--probe-every",
                "200ms",
                "--inventories",
                "2",
                "--days",
                "2",
            ])
            .await,
        &[
            "every probe's commit became visible",
            "allocated units = confirmed bookings on every inventory",
        ],
    );
    assert!(
        out.contains(
            "(10 bookings/s offered, 2 s, every DynamoDB call delayed 10 ms by delay-proxy)"
        ),
        "{out}"
    );
    assert!(out.contains("(target < 500 ms)"), "{out}");
    assert!(
        line(&out, "- offered 10 bookings/s (open loop").contains(" started"),
        "{out}"
    );
    server.stop().await;
    forwarding.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_of_three_nodes_holds_exactly_the_capacity() {
    // The nodes run in this process and share its one metrics recorder: each node's /metrics
    // shows the same (process-wide) conflicts, so this checks they are read from every node,
    // not their sum. Separate processes (scripts/bench) count each node's own.
    holdfast_api::metrics::install();
    let server = Server::cluster(3, true, &dynamodb_endpoint()).await;
    let stdout = small_storm(&server).await;
    assert!(
        stdout.contains("all at once, 3 nodes round-robin)"),
        "{stdout}"
    );
    let conflicts = line(
        &stdout,
        "- command conflicts (holdfast_command_conflicts_total",
    );
    for node in &server.nodes {
        assert!(conflicts.contains(&format!("{} ", node.url)), "{conflicts}");
    }
    assert!(!conflicts.contains("n/a"), "{conflicts}");
    let out = small_holds(&server, &["--no-baseline"]).await;
    assert!(out.contains(", 3 nodes round-robin"), "{out}");
    server.stop().await;
}
