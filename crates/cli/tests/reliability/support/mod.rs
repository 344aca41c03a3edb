//! The reliability suite's harness: the real `holdfast serve` process (started, `kill -9`ed,
//! restarted on the same port), an HTTP GraphQL client that tells transport failures from
//! answers, tokens, fixtures made through the API, the suite's size (smoke or full) and its
//! report.
#![allow(dead_code)]

pub mod invariants;
pub mod report;
pub mod ws;

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use holdfast_api::auth::{Role, Secret, TokenIssuer};
use holdfast_domain::common::{GuestId, TenantId};
use holdfast_testkit::process::{Listening, NotListening, try_spawn_listening};
use serde_json::{Value, json};

/// The HS256 secret every server of the suite verifies tokens with.
pub const SECRET: &str = "holdfast-reliability-secret-0123456789";

/// How big a run is: `smoke` inside `./scripts/test` (CI), `full` from
/// `scripts/reliability --full` (`HOLDFAST_RELIABILITY=full`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// The full run.
    pub full: bool,
}

impl Scale {
    /// From `HOLDFAST_RELIABILITY` (`full` or anything else: smoke).
    pub fn get() -> Self {
        Self {
            full: std::env::var("HOLDFAST_RELIABILITY").is_ok_and(|v| v == "full"),
        }
    }

    /// `smoke` or `full`.
    pub fn pick<T>(self, smoke: T, full: T) -> T {
        if self.full { full } else { smoke }
    }

    /// `"smoke"` or `"full"`.
    pub fn name(self) -> &'static str {
        self.pick("smoke", "full")
    }
}

/// Where the suite writes its report sections and server logs.
pub fn report_dir() -> PathBuf {
    let dir = std::env::var("HOLDFAST_RELIABILITY_REPORT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reliability"));
    std::fs::create_dir_all(&dir).expect("cannot create the report directory");
    dir
}

/// A token for `role`, valid for an hour.
pub fn token(role: Role, sub: &str, tenant: Option<TenantId>) -> String {
    TokenIssuer::hs256(&Secret::new(SECRET))
        .mint(role, sub, tenant, chrono::Duration::hours(1))
        .expect("mint a token")
}

/// A new guest and their token.
pub fn guest() -> (GuestId, String) {
    let id = GuestId::new();
    (id, token(Role::Guest, &id.to_string(), None))
}

/// An operator of a new tenant and their token.
pub fn operator() -> (TenantId, String) {
    let tenant = TenantId::new();
    (tenant, token(Role::Operator, "operator", Some(tenant)))
}

/// An admin token.
pub fn admin() -> String {
    token(Role::Admin, "root", None)
}

/// A unique idempotency key.
pub fn key() -> String {
    ulid::Ulid::new().to_string()
}

/// How a `holdfast` process reaches its services.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The event store.
    pub database_url: String,
    /// DynamoDB Local.
    pub dynamodb_endpoint: String,
    /// The read models' table prefix.
    pub table_prefix: String,
}

impl ServerConfig {
    /// A `holdfast` command with this configuration (and no stray `HOLDFAST_*` setting).
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_holdfast"));
        for (var, _) in std::env::vars() {
            if var.starts_with("HOLDFAST_") {
                command.env_remove(var);
            }
        }
        command
            .env("HOLDFAST_DATABASE_URL", &self.database_url)
            .env("HOLDFAST_DYNAMODB_ENDPOINT", &self.dynamodb_endpoint)
            .env("HOLDFAST_TABLE_PREFIX", &self.table_prefix)
            .env("HOLDFAST_JWT_SECRET", SECRET);
        command
    }

    /// Runs `holdfast projections verify --all`: (exit code, stdout).
    pub fn verify_projections(&self) -> (Option<i32>, String) {
        let output = self
            .command()
            .args(["projections", "verify", "--all"])
            .output()
            .expect("run holdfast projections verify");
        (
            output.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    }
}

/// The sum of the `N differences` a `projections verify` output reports, and the items checked.
pub fn verify_figures(output: &str) -> (u64, u64) {
    let mut differences = 0;
    let mut checked = 0;
    for line in output.lines() {
        if let Some((_, rest)) = line.split_once("checked ") {
            checked += rest
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
        }
        if let Some((before, _)) = line.split_once(" differences") {
            differences += before
                .rsplit([' ', ','])
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    (differences, checked)
}

/// A `holdfast serve` process on a fixed port, which a test may kill and start again.
pub struct Server {
    /// Its configuration.
    pub config: ServerConfig,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    port: u16,
    name: String,
    child: Option<Listening>,
    starts: u32,
}

impl Server {
    /// Starts `holdfast serve` on a free port; `name` names its log file in the report dir.
    pub fn start(name: &str, config: ServerConfig) -> Self {
        let port = holdfast_testkit::dedicated::free_port();
        let mut server = Self {
            config,
            base: format!("http://127.0.0.1:{port}"),
            port,
            name: name.to_owned(),
            child: None,
            starts: 0,
        };
        server.spawn();
        server
    }

    /// Whether the process is running (as far as this handle knows).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|p| p.child.id())
    }

    /// Starts the process (again) and returns once it listens.
    pub fn spawn(&mut self) {
        assert!(self.child.is_none(), "the server is already running");
        self.starts += 1;
        let log = report_dir().join(format!("{}.server.log", self.name));
        let log = if self.starts == 1 {
            File::create(&log)
        } else {
            File::options().append(true).open(&log)
        }
        .expect("server log file");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let started = try_spawn_listening(
                self.config
                    .command()
                    .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
                    .stdin(Stdio::null())
                    .stderr(log.try_clone().expect("log file")),
            );
            let mut child = match started {
                Ok(process) => {
                    self.child = Some(process);
                    return;
                }
                Err(NotListening { child, .. }) => child,
            };
            // It exited before listening (e.g. the port is still being released): try again.
            let status = child.wait().expect("wait for holdfast serve");
            assert!(
                Instant::now() < deadline,
                "holdfast serve did not start ({status}); see {}",
                report_dir()
                    .join(format!("{}.server.log", self.name))
                    .display()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `kill -9`: no shutdown, no flush, nothing.
    pub fn kill9(&mut self) {
        if let Some(mut process) = self.child.take() {
            let _ = process.child.kill();
            let _ = process.child.wait();
        }
    }

    /// SIGTERM and wait; whether it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        let Some(mut process) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &process.child.id().to_string()])
            .status();
        process.child.wait().is_ok_and(|s| s.success())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// What a GraphQL request came back with.
#[derive(Clone, Debug)]
pub enum Reply {
    /// An HTTP response: its status and JSON body (`Null` if the body was not JSON).
    Http(u16, Value),
    /// No response: connection refused or reset, or the client's timeout.
    Transport(String),
}

impl Reply {
    /// `data.<field>` of a response without errors.
    pub fn data(&self, field: &str) -> Option<&Value> {
        match self {
            Reply::Http(200, body) if body.get("errors").is_none() => {
                body["data"].get(field).filter(|v| !v.is_null())
            }
            _ => None,
        }
    }

    /// The first error's `extensions.code`.
    pub fn code(&self) -> Option<&str> {
        match self {
            Reply::Http(_, body) => body["errors"][0]["extensions"]["code"].as_str(),
            Reply::Transport(_) => None,
        }
    }

    /// The first error's `extensions.retryable`.
    pub fn retryable(&self) -> bool {
        match self {
            Reply::Http(_, body) => body["errors"][0]["extensions"]["retryable"] == true,
            Reply::Transport(_) => false,
        }
    }

    /// Whether it is a 5xx.
    pub fn is_5xx(&self) -> bool {
        matches!(self, Reply::Http(status, _) if *status >= 500)
    }

    /// Errors without `extensions.code` (their messages).
    pub fn errors_without_code(&self) -> Vec<String> {
        match self {
            Reply::Http(_, body) => body["errors"]
                .as_array()
                .map(|errors| {
                    errors
                        .iter()
                        .filter(|e| !e["extensions"]["code"].is_string())
                        .map(|e| e.to_string())
                        .collect()
                })
                .unwrap_or_default(),
            Reply::Transport(_) => Vec::new(),
        }
    }
}

/// A GraphQL-over-HTTP client.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    /// A client of the server at `base`.
    pub fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(16)
                .build()
                .expect("HTTP client"),
            base: base.to_owned(),
        }
    }

    /// `POST /graphql` with `timeout`.
    pub async fn post(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        timeout: Duration,
    ) -> Reply {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base))
            .timeout(timeout)
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(bytes) => Reply::Http(
                        status,
                        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                    ),
                    Err(e) => Reply::Transport(e.to_string()),
                }
            }
            Err(e) => Reply::Transport(e.to_string()),
        }
    }

    /// `POST /graphql` (30 s timeout).
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Reply {
        self.post(token, query, variables, Duration::from_secs(30))
            .await
    }

    /// `data`, panicking on anything else.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let reply = self.graphql(token, query, variables).await;
        match &reply {
            Reply::Http(200, body) if body.get("errors").is_none() => body["data"].clone(),
            other => panic!("expected data, got {other:?}"),
        }
    }

    /// `GET path`: (status, JSON body).
    pub async fn get_json(&self, path: &str) -> Option<(u16, Value)> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        Some((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// The projectors' positions from `/readyz` (table → position).
    pub async fn projector_positions(
        &self,
    ) -> Option<Vec<(String, holdfast_eventstore::Position)>> {
        let (_, body) = self.get_json("/readyz").await?;
        body["projectors"].as_array().map(|ps| {
            ps.iter()
                .filter_map(|p| {
                    Some((
                        p["table"].as_str()?.to_owned(),
                        p["position"].as_str()?.parse().ok()?,
                    ))
                })
                .collect()
        })
    }

    /// Waits (up to `within`) until every projector has applied `head`; how long it took.
    pub async fn wait_caught_up(
        &self,
        head: holdfast_eventstore::Position,
        within: Duration,
    ) -> Result<Duration, String> {
        let started = Instant::now();
        loop {
            let positions = self.projector_positions().await.unwrap_or_default();
            if !positions.is_empty() && positions.iter().all(|(_, p)| *p >= head) {
                return Ok(started.elapsed());
            }
            if started.elapsed() > within {
                return Err(format!(
                    "projectors not caught up with {head} after {within:?}: {positions:?}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

// ---------------------------------------------------------------- fixtures through the API

pub use holdfast_testkit::graphql::{
    CANCEL_BOOKING, CONFIRM_PAYMENT, CREATE_LISTING, DEFINE_INVENTORY, PLACE_BOOKING, PUBLISH,
    SET_CAPACITY, SET_PRICE,
};

/// A dated-event policy: one date per booking, parties of 1..=10, holds of `hold_minutes`.
pub fn event_policy(hold_minutes: u32) -> Value {
    json!({
        "slotKind": {"datedEvent": {"startsAt": "19:00"}},
        "partySize": {"min": 1, "max": 10},
        "maxAdvanceDays": 365,
        "holdDurationMinutes": hold_minutes
    })
}

/// A listing input (a concert hall in Seoul) with `policy`.
pub fn listing_input(name: &str, policy: Value) -> Value {
    json!({
        "name": name,
        "category": "EVENT",
        "tags": ["concert"],
        "description": "A hall.",
        "location": {"address": "1 Hangang-daero, Seoul", "regionCode": "KR-11",
                     "latitude": 37.52, "longitude": 126.93},
        "timeZone": "Asia/Seoul",
        "displayPrice": {"amountMinor": 30000, "currency": "KRW"},
        "policy": policy
    })
}

/// The dates a stock covers: `days` dates from 20 days after today (UTC).
pub fn stock_dates(days: u32) -> Vec<NaiveDate> {
    let first = Utc::now().date_naive() + chrono::Days::new(20);
    (0..days)
        .map(|d| first + chrono::Days::new(u64::from(d)))
        .collect()
}

/// A published listing with one inventory offering `capacity` seats (30 000 KRW) on each of
/// `dates`; returns (listing id, inventory id).
pub async fn stocked_listing(
    client: &Client,
    operator: &str,
    hold_minutes: u32,
    dates: &[NaiveDate],
    capacity: u32,
) -> (String, String) {
    let data = client
        .ok(
            Some(operator),
            CREATE_LISTING,
            json!({"key": key(), "input": listing_input("Reliability Hall", event_policy(hold_minutes))}),
        )
        .await;
    let listing = data["createListing"]["listingId"]
        .as_str()
        .expect("listing id")
        .to_owned();
    client
        .ok(
            Some(operator),
            PUBLISH,
            json!({"key": key(), "id": listing}),
        )
        .await;
    let data = client
        .ok(
            Some(operator),
            DEFINE_INVENTORY,
            json!({"key": key(), "input": {"listingId": listing, "name": "Seats", "currency": "KRW"}}),
        )
        .await;
    let inventory = data["defineInventory"]["inventoryId"]
        .as_str()
        .expect("inventory id")
        .to_owned();
    let from = dates.first().expect("dates");
    let to = *dates.last().expect("dates") + chrono::Days::new(1);
    let selection = json!({"from": from.to_string(), "to": to.to_string()});
    client
        .ok(
            Some(operator),
            SET_CAPACITY,
            json!({"key": key(), "input": {"inventoryId": inventory, "selection": selection, "capacity": capacity}}),
        )
        .await;
    client
        .ok(
            Some(operator),
            SET_PRICE,
            json!({"key": key(), "input": {"inventoryId": inventory, "selection": selection,
                    "price": {"amountMinor": 30000, "currency": "KRW"}}}),
        )
        .await;
    (listing, inventory)
}

/// A `placeBooking` input.
pub fn booking_input(listing: &str, inventory: &str, date: NaiveDate, quantity: u32) -> Value {
    json!({"listingId": listing, "inventoryId": inventory, "eventDate": date.to_string(),
           "partySize": quantity, "quantity": quantity})
}

/// The whole Postgres URL of `database` on the shared test server.
pub async fn fresh_database() -> holdfast_testkit::TestDatabase {
    holdfast_testkit::fresh_postgres_database().await
}

/// Sleeps a random time in `[min, max)` milliseconds.
pub async fn jitter(min: u64, max: u64) {
    tokio::time::sleep(Duration::from_millis(fastrand::u64(min..max.max(min + 1)))).await;
}
