//! The `holdfast` binary end to end: real processes, real Postgres and DynamoDB Local.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};

use holdfast_testkit::process::{Listening, spawn_listening};
use holdfast_testkit::{dynamodb_endpoint, fresh_postgres_database};

fn holdfast() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_holdfast"));
    for var in [
        "HOLDFAST_DATABASE_URL",
        "HOLDFAST_DYNAMODB",
        "HOLDFAST_DYNAMODB_ENDPOINT",
        "HOLDFAST_LISTEN",
        "HOLDFAST_JWT_SECRET",
        "HOLDFAST_JWT_PUBLIC_KEY_FILE",
        "HOLDFAST_TABLE_PREFIX",
    ] {
        command.env_remove(var);
    }
    command
}

/// The lines of stderr that are not log lines.
fn error_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| l.starts_with("error"))
        .map(str::to_owned)
        .collect()
}

fn assert_one_clear_line(output: &Output, starts_with: &str, mentions: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "should fail: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    let errors = error_lines(output);
    assert_eq!(errors.len(), 1, "exactly one error line: {stderr}");
    assert!(errors[0].starts_with(starts_with), "{}", errors[0]);
    assert!(errors[0].contains(mentions), "{}", errors[0]);
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let output = holdfast()
        .args([
            "migrate",
            "--database-url",
            "postgres://app:s3cret@127.0.0.1:9/holdfast",
        ])
        .output()
        .unwrap();
    assert_one_clear_line(
        &output,
        "error: cannot open the event store at postgres://app:***@127.0.0.1:9/holdfast: ",
        "Is Postgres running",
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("s3cret"));
}

#[test]
fn an_unsupported_database_url_is_one_clear_line() {
    let output = holdfast()
        .args(["migrate", "--database-url", "mysql://localhost/db"])
        .output()
        .unwrap();
    assert_one_clear_line(&output, "error: unsupported event store URL", "postgres://");
}

#[test]
fn a_wrong_dynamodb_endpoint_is_one_clear_line() {
    let dir = tempfile_dir();
    let output = holdfast()
        .current_dir(&dir)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--dynamodb-endpoint",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert_one_clear_line(
        &output,
        "error: the read side is unavailable: cannot reach DynamoDB at http://127.0.0.1:9: ",
        "--dynamodb-endpoint",
    );
}

#[tokio::test]
async fn postgres_without_a_jwt_key_is_one_clear_line() {
    let db = fresh_postgres_database().await;
    let output = holdfast()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db.url,
        ])
        .output()
        .unwrap();
    assert_one_clear_line(
        &output,
        "error: no JWT verification key",
        "HOLDFAST_JWT_SECRET",
    );
}

#[tokio::test]
async fn migrate_creates_the_ordered_event_log_on_postgres() {
    let db = fresh_postgres_database().await;
    let output = holdfast()
        .args(["migrate", "--database-url", &db.url])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Twice is fine.
    assert!(
        holdfast()
            .args(["migrate", "--database-url", &db.url])
            .status()
            .unwrap()
            .success()
    );
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
          WHERE table_name = 'events' AND column_name IN ('global_position', 'tx_id', 'recorded_at')
          ORDER BY column_name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        columns,
        [
            ("global_position".to_owned(), "bigint".to_owned()),
            (
                "recorded_at".to_owned(),
                "timestamp with time zone".to_owned()
            ),
            ("tx_id".to_owned(), "xid8".to_owned()),
        ]
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("holdfast-cli-{}", ulid_like()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ulid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// A running `holdfast serve`, killed if the test fails.
struct Server {
    process: Listening,
    address: String,
}

impl Server {
    fn start(mut command: Command) -> Self {
        let process = spawn_listening(
            command
                .args(["serve", "--listen", "127.0.0.1:0"])
                .stderr(Stdio::inherit()),
        );
        let address = process.address().to_owned();
        Self { process, address }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n",
            self.address
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    fn post(&self, path: &str, body: &str, token: Option<&str>) -> String {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "POST {path} HTTP/1.0\r\nHost: {}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
            self.address,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    /// Sends SIGTERM and returns whether it exited cleanly.
    fn terminate(mut self) -> bool {
        Command::new("kill")
            .args(["-TERM", &self.process.child.id().to_string()])
            .status()
            .unwrap();
        self.process.child.wait().unwrap().success()
    }
}

#[test]
fn serve_runs_on_the_embedded_default_and_stops_on_sigterm() {
    let dir = tempfile_dir();
    let mut command = holdfast();
    command.current_dir(&dir);
    let server = Server::start(command);
    assert_eq!(server.get("/healthz"), (200, "ok".to_owned()));
    let (status, body) = server.get("/readyz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"kind\":\"in-memory\""), "{body}");
    assert!(
        dir.join("data/holdfast.db").exists(),
        "the embedded store lives under ./data"
    );
    assert!(server.terminate(), "graceful shutdown exits 0");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn serve_runs_on_postgres_and_dynamodb_local() {
    let db = fresh_postgres_database().await;
    let mut command = holdfast();
    command
        .env("HOLDFAST_DATABASE_URL", &db.url)
        .env("HOLDFAST_DYNAMODB_ENDPOINT", dynamodb_endpoint())
        .env(
            "HOLDFAST_TABLE_PREFIX",
            holdfast_testkit::fresh_table_prefix(),
        )
        .env("HOLDFAST_JWT_SECRET", "a-production-secret-0123456789");
    let server = Server::start(command);
    let (status, body) = server.get("/readyz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"kind\":\"dynamodb\""), "{body}");
    assert!(body.contains("\"ready\":true"), "{body}");
    assert!(server.terminate());
}

/// Appends real inventory events (define, capacity for 31 nights, two holds) to the store.
async fn seed_inventory(url: &str) -> String {
    use holdfast_domain::common::{
        BookingId, Currency, DateRange, InventoryId, ListingId, Slot, TenantId,
    };
    use holdfast_domain::inventory::{Inventory, InventoryCommand, InventoryName, SlotSelection};
    use holdfast_domain::services::DomainServices;
    let store = holdfast_eventstore::EventStore::open(url).await.unwrap();
    store.migrate().await.unwrap();
    let cqrs = store.cqrs::<Inventory>(DomainServices::system());
    let id = InventoryId::new();
    let from = chrono::NaiveDate::from_ymd_opt(2031, 1, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2031, 2, 1).unwrap();
    let commands = [
        InventoryCommand::DefineInventory {
            inventory_id: id,
            tenant_id: TenantId::new(),
            listing_id: ListingId::new(),
            name: InventoryName::parse("Deluxe").unwrap(),
            currency: Currency::parse("EUR").unwrap(),
        },
        InventoryCommand::SetCapacity {
            selection: SlotSelection::days(DateRange::new(from, to).unwrap()),
            capacity: 4,
        },
        InventoryCommand::PlaceHold {
            booking_id: BookingId::new(),
            slots: vec![Slot::day(from)],
            quantity: 2,
            expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
        },
        InventoryCommand::PlaceHold {
            booking_id: BookingId::new(),
            slots: vec![Slot::day(from), Slot::day(from.succ_opt().unwrap())],
            quantity: 1,
            expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
        },
    ];
    for command in commands {
        cqrs.execute(&id.to_string(), command).await.unwrap();
    }
    id.to_string()
}

fn run_ok(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn projections_rebuild_verify_and_status_operate_dynamodb_read_models() {
    let db = fresh_postgres_database().await;
    seed_inventory(&db.url).await;
    let prefix = holdfast_testkit::fresh_table_prefix();
    let projections = |args: &[&str]| {
        let mut command = holdfast();
        command
            .env("HOLDFAST_DATABASE_URL", &db.url)
            .env("HOLDFAST_DYNAMODB_ENDPOINT", dynamodb_endpoint())
            .env("HOLDFAST_TABLE_PREFIX", &prefix)
            .arg("projections")
            .args(args);
        command
    };
    let rebuilt = run_ok(&mut projections(&["rebuild", "calendar"]));
    assert!(
        rebuilt.contains("rebuilt calendar: generation 1 (was none), 4 events"),
        "{rebuilt}"
    );
    assert!(rebuilt.contains("events/s"), "{rebuilt}");
    assert!(
        rebuilt.contains("verified 31 items, 0 differences"),
        "{rebuilt}"
    );

    // A second rebuild makes generation 2 and drops generation 1.
    let again = run_ok(&mut projections(&["rebuild", "calendar"]));
    assert!(
        again.contains("generation 2 (was 1)") && again.contains("dropped [1]"),
        "{again}"
    );

    let verified = run_ok(&mut projections(&["verify", "calendar"]));
    assert!(
        verified.contains("calendar g2: checked 31 items") && verified.contains(", 0 differences"),
        "{verified}"
    );

    let status = run_ok(&mut projections(&["status"]));
    let calendar = status.lines().find(|l| l.starts_with("calendar")).unwrap();
    let fields: Vec<_> = calendar.split_whitespace().collect();
    assert_eq!(
        (fields[1], fields[3]),
        ("2", "0"),
        "generation 2, lag 0: {status}"
    );
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("search") && l.contains("none")),
        "{status}"
    );

    // Tamper with one calendar item in DynamoDB Local: verify names it and exits 1.
    let settings = holdfast_projections::store::dynamo::DynamoSettings {
        endpoint: Some(dynamodb_endpoint()),
        region: None,
    };
    let dynamo = holdfast_projections::store::dynamo::client(&settings)
        .await
        .unwrap();
    let table = format!("{prefix}calendar_g2");
    let scan = dynamo
        .scan()
        .table_name(&table)
        .limit(1)
        .send()
        .await
        .unwrap();
    let item = &scan.items()[0];
    dynamo
        .update_item()
        .table_name(&table)
        .key("pk", item["pk"].clone())
        .key("sk", item["sk"].clone())
        .update_expression("SET available = :n")
        .expression_attribute_values(
            ":n",
            aws_sdk_dynamodb::types::AttributeValue::N("999".into()),
        )
        .send()
        .await
        .unwrap();
    let tampered = projections(&["verify", "calendar"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&tampered.stdout);
    assert_eq!(tampered.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(", 1 differences")
            && stdout.contains("differs")
            && stdout.contains("available"),
        "{stdout}"
    );

    // Reset needs --yes; with it, readers get an empty generation 3 and the others are dropped.
    let output = projections(&["reset", "calendar"]).output().unwrap();
    assert_one_clear_line(&output, "error: reset empties the read models", "--yes");
    let reset = run_ok(&mut projections(&["reset", "calendar", "--yes"]));
    assert!(
        reset.contains("reset calendar: readers now use the empty generation 3; dropped [2]"),
        "{reset}"
    );
    let verified = run_ok(&mut projections(&["verify", "calendar"]));
    assert!(
        verified.contains("calendar g3: checked 0 items"),
        "{verified}"
    );

    // Every read model at once, in one pass of the log: a line per read model, each verified.
    let all = run_ok(&mut projections(&["rebuild", "--all"]));
    for (table, generations) in [
        ("calendar", "generation 4 (was 3)"),
        ("search", "generation 1 (was none)"),
        ("bookings", "generation 1 (was none)"),
        ("coupons", "generation 1 (was none)"),
    ] {
        assert!(
            all.contains(&format!("rebuilt {table}: {generations}, 4 events")),
            "{table}: {all}"
        );
    }
    assert_eq!(all.matches(", 0 differences").count(), 4, "{all}");
    assert!(
        all.contains("verified 31 items, 0 differences; dropped [3]"),
        "{all}"
    );

    // Bad selections are one clear line.
    let output = projections(&["rebuild", "nonsense"]).output().unwrap();
    assert_one_clear_line(&output, "error: unknown read model `nonsense`", "calendar");
}

#[test]
fn a_token_minted_by_the_cli_is_accepted_by_serve() {
    let dir = tempfile_dir();
    let mut command = holdfast();
    command.current_dir(&dir);
    let server = Server::start(command);
    let token = run_ok(
        holdfast()
            .current_dir(&dir)
            .args(["token", "--role", "admin"]),
    );
    let query = r#"{"query":"{ version }"}"#;
    let authorised = server.post("/graphql", query, Some(token.trim()));
    assert!(authorised.contains("\"version\""), "{authorised}");
    let forged = server.post("/graphql", query, Some("eyJhbGciOiJIUzI1NiJ9.e30.x"));
    assert!(forged.contains("UNAUTHENTICATED"), "{forged}");
    // Operators need a tenant; a bad ttl is one clear line.
    let output = holdfast()
        .current_dir(&dir)
        .args(["token", "--role", "operator"])
        .output()
        .unwrap();
    assert_one_clear_line(
        &output,
        "error: an operator token needs --tenant",
        "--tenant",
    );
    let output = holdfast()
        .current_dir(&dir)
        .args(["token", "--role", "admin", "--ttl", "5w"])
        .output()
        .unwrap();
    assert_one_clear_line(&output, "error: --ttl `5w`", "unit");
    assert!(server.terminate());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn projections_need_dynamodb() {
    let output = holdfast().args(["projections", "status"]).output().unwrap();
    assert_one_clear_line(
        &output,
        "error: the embedded default keeps read models in the server's memory",
        "--dynamodb-endpoint",
    );
}

/// POSTs a GraphQL query, retrying (for up to 20 s) until `ready` accepts the JSON response:
/// the in-memory read models are rebuilt from the log after every start.
fn graphql_until(
    server: &Server,
    token: &str,
    query: &str,
    ready: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let body = serde_json::json!({ "query": query }).to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let response = server.post("/graphql", &body, Some(token));
        let json: serde_json::Value = response
            .split_once("\r\n\r\n")
            .and_then(|(_, b)| serde_json::from_str(b).ok())
            .unwrap_or_default();
        if ready(&json) {
            return json;
        }
        assert!(std::time::Instant::now() < deadline, "never ready: {json}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// The embedded default end to end: the built binary serves the demo, a guest finds the concert
/// by search and books it over GraphQL, and after a restart the booking is still there.
#[test]
fn serve_answers_a_search_and_a_booking_that_survives_a_restart() {
    let dir = tempfile_dir();
    let start = |dir: &std::path::Path| {
        let mut command = holdfast();
        command.current_dir(dir);
        Server::start(command)
    };
    let server = start(&dir);
    let token = run_ok(
        holdfast()
            .current_dir(&dir)
            .args(["token", "--role", "guest"]),
    );
    let token = token.trim();

    let found = graphql_until(
        &server,
        token,
        r#"{ search(keyword: "concert") { edges { node { id name inventoryIds } } } }"#,
        |r| {
            r["data"]["search"]["edges"]
                .as_array()
                .is_some_and(|e| !e.is_empty())
        },
    );
    let concert = &found["data"]["search"]["edges"][0]["node"];
    assert_eq!(concert["name"], "Han River Night Concert");
    let listing = concert["id"].as_str().unwrap();
    let inventory = concert["inventoryIds"][0].as_str().unwrap();

    // The demo's concert is 45 days after the day the store was loaded (today, UTC).
    let date = chrono::Utc::now().date_naive() + chrono::Duration::days(45);
    let place = format!(
        r#"mutation {{ placeBooking(idempotencyKey: "e2e-1", input: {{ listingId: "{listing}", inventoryId: "{inventory}", eventDate: "{date}", partySize: 2, quantity: 2 }}) {{ bookingId status }} }}"#
    );
    let placed = graphql_until(&server, token, &place, |r| {
        r["data"]["placeBooking"].is_object() || r["errors"].is_array()
    });
    assert!(placed["errors"].is_null(), "{placed}");
    assert_eq!(placed["data"]["placeBooking"]["status"], "HELD", "{placed}");
    let booking = placed["data"]["placeBooking"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(server.terminate());

    // Restart on the same ./data: the booking comes back (read models rebuilt from the log).
    let server = start(&dir);
    let query = format!(r#"{{ booking(id: "{booking}") {{ id status }} }}"#);
    let read = graphql_until(&server, token, &query, |r| r["data"]["booking"].is_object());
    assert_eq!(read["data"]["booking"]["status"], "HELD", "{read}");
    assert!(server.terminate());
    let _ = std::fs::remove_dir_all(dir);
}
