//! CI smoke runs of `holdfast bench`: every scenario at a tiny scale against real processes
//! (a spawned `holdfast serve` on Postgres + DynamoDB Local), checking the scenario's own
//! correctness checks passed — exact counts, not speed (speed is what `scripts/bench` and
//! docs/BENCHMARKS.md are for).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

use holdfast_testkit::{
    TestDatabase, dynamodb_endpoint, fresh_postgres_database, fresh_table_prefix,
};

const SECRET: &str = "bench-smoke-secret-0123456789";

fn holdfast() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_holdfast"));
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
    ] {
        command.env_remove(var);
    }
    command
}

/// A `holdfast serve` on a fresh database and table prefix, killed when dropped.
struct Server {
    child: Child,
    url: String,
    db: TestDatabase,
    prefix: String,
}

impl Server {
    async fn start() -> Self {
        let db = fresh_postgres_database().await;
        let prefix = fresh_table_prefix();
        let mut child = holdfast()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("HOLDFAST_DATABASE_URL", &db.url)
            .env("HOLDFAST_DYNAMODB_ENDPOINT", dynamodb_endpoint())
            .env("HOLDFAST_TABLE_PREFIX", &prefix)
            .env("HOLDFAST_JWT_SECRET", SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line
            .trim()
            .strip_prefix("Holdfast listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Self {
            child,
            url: address,
            db,
            prefix,
        }
    }

    /// `holdfast bench <args>` against this server.
    fn bench(&self, args: &[&str]) -> Output {
        holdfast()
            .arg("bench")
            .args(args)
            .env("HOLDFAST_BENCH_URL", &self.url)
            .env("HOLDFAST_JWT_SECRET", SECRET)
            .env("HOLDFAST_DATABASE_URL", &self.db.url)
            .env("HOLDFAST_DYNAMODB_ENDPOINT", dynamodb_endpoint())
            .env("HOLDFAST_TABLE_PREFIX", &self.prefix)
            .output()
            .unwrap()
    }

    async fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.db.clone().drop_now().await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
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

#[tokio::test]
async fn storm_holds_exactly_the_capacity() {
    let server = Server::start().await;
    let out = server.bench(&["storm", "--guests", "30", "--capacity", "7"]);
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

#[tokio::test]
async fn coupons_issue_exactly_the_quantity() {
    let server = Server::start().await;
    let out = server.bench(&[
        "coupons",
        "--claims",
        "40",
        "--quantity",
        "12",
        "--clients",
        "6",
    ]);
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

#[tokio::test]
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
        &server.bench(&holds),
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
        &server.bench(&lag),
        &[
            "every probe's commit became visible",
            "allocated units = confirmed bookings on every inventory",
        ],
    );
    server.stop().await;
}

#[tokio::test]
async fn query_reads_the_same_month_both_ways() {
    let server = Server::start().await;
    let out = server.bench(&["query", "--clients", "2", "--duration", "1s"]);
    let stdout = assert_checks_pass(&out, &["every answer has the 31 slots (0 did not"]);
    assert!(stdout.contains("direct DynamoDB Query"), "{stdout}");
    server.stop().await;
}

#[tokio::test]
async fn rebuild_and_export_run_on_a_seeded_log() {
    let db = fresh_postgres_database().await;
    let prefix = fresh_table_prefix();
    let run = |args: &[&str]| {
        holdfast()
            .arg("bench")
            .args(args)
            .env("HOLDFAST_DATABASE_URL", &db.url)
            .env("HOLDFAST_DYNAMODB_ENDPOINT", dynamodb_endpoint())
            .env("HOLDFAST_TABLE_PREFIX", &prefix)
            .output()
            .unwrap()
    };
    let out = assert_checks_pass(
        &run(&["rebuild", "--events", "800", "--baseline-items", "200"]),
        &["every new generation verified against the log with no difference"],
    );
    assert!(out.contains("from 800 events"), "{out}");
    // The log seeded by the rebuild run is used as it is.
    assert_checks_pass(
        &run(&["export", "--events", "800"]),
        &["one line per event (800 lines, 800 events)"],
    );
    // A partly filled store is refused rather than topped up.
    let refused = run(&["export", "--events", "900"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("holds 800 events, fewer than --events 900"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    db.drop_now().await;
}
