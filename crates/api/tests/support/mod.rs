//! `spawn_app()`: the real server on port 0 against real Postgres (a fresh database) and
//! DynamoDB Local (a fresh table prefix), projectors running, on a clock the test controls.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};
use holdfast_api::auth::{AuthConfig, Authenticator, Role, Secret, TokenIssuer};
use holdfast_api::{AppState, app};
use holdfast_domain::common::{GuestId, TenantId};
use holdfast_domain::services::{DomainServices, FixedClock};
use holdfast_engine::{Engine, EngineSettings, ReadSideSettings};
use holdfast_projections::runtime::ProjectorOptions;
use holdfast_projections::store::dynamo::DynamoSettings;
use holdfast_testkit::{
    TestSqlite, dynamodb_endpoint, fresh_postgres_database, fresh_sqlite_database,
    fresh_table_prefix,
};
use serde_json::{Value, json};

pub const SECRET: &str = "holdfast-test-secret-0123456789";

/// A running server.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its engine (store, read side, projections, commands).
    pub engine: Engine,
    /// The clock every rule reads; move it with `set`/`advance`.
    pub clock: FixedClock,
    pub http: reqwest::Client,
    /// Where its photos are kept (a temporary directory).
    pub photos_dir: std::sync::Arc<tempfile::TempDir>,
    _sqlite: Option<TestSqlite>,
}

/// The clock's starting instant.
pub fn start_instant() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-07T09:00:00Z")
        .unwrap()
        .to_utc()
}

/// Production shape: Postgres + DynamoDB Local + projectors.
pub async fn spawn_app() -> TestApp {
    let db = fresh_postgres_database().await;
    let read_side = ReadSideSettings::DynamoDb {
        settings: DynamoSettings {
            endpoint: Some(dynamodb_endpoint()),
            region: None,
        },
        table_prefix: fresh_table_prefix(),
        require_reachable: true,
    };
    start(&db.url, read_side, None).await
}

/// Embedded shape: SQLite + memory + projectors.
pub async fn spawn_embedded_app() -> TestApp {
    let db = fresh_sqlite_database();
    start(&db.url.clone(), ReadSideSettings::InMemory, Some(db)).await
}

/// The engine's settings in tests: projectors, no booking worker (tests start one with
/// [`TestApp::start_worker`] when they need it, ticking fast), no outbox, the test's clock.
pub fn settings(
    database_url: &str,
    read_side: ReadSideSettings,
    clock: &FixedClock,
) -> EngineSettings {
    EngineSettings {
        database_url: database_url.to_owned(),
        read_side,
        services: DomainServices::with_clock(clock.clone()),
        demo_fixtures: false,
        projectors: Some(ProjectorOptions::default()),
        worker: None,
        outbox: None,
        payments_webhook: None,
    }
}

async fn start(
    database_url: &str,
    read_side: ReadSideSettings,
    sqlite: Option<TestSqlite>,
) -> TestApp {
    let clock = FixedClock::new(start_instant());
    let engine = Engine::start(settings(database_url, read_side, &clock))
        .await
        .unwrap();
    serve(engine, clock, sqlite).await
}

/// Serves `engine` on a listener on port 0, verifying tokens signed with [`SECRET`].
pub async fn serve(engine: Engine, clock: FixedClock, sqlite: Option<TestSqlite>) -> TestApp {
    let auth = Authenticator::new(&AuthConfig::Hs256(Secret::new(SECRET))).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let identity =
        holdfast_api::identity::Identity::hs256(&engine.store, &Secret::new(SECRET), &base)
            .unwrap();
    let photos_dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let photos = holdfast_engine::photos::PhotoStore::local(photos_dir.path()).unwrap();
    let router = app(AppState::new(engine.clone(), auth)
        .with_identity(identity)
        .with_photos(photos));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    TestApp {
        base,
        engine,
        clock,
        http: reqwest::Client::new(),
        photos_dir,
        _sqlite: sqlite,
    }
}

/// A token for `role`.
pub fn token(role: Role, sub: &str, tenant: Option<TenantId>) -> String {
    TokenIssuer::hs256(&Secret::new(SECRET))
        .mint(role, sub, tenant, Duration::hours(1))
        .unwrap()
}

/// A guest and their token.
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

impl TestApp {
    /// A second server on this app's engine with `POST /webhooks/payments` verified by
    /// `secret` (none: disabled); returns its base URL.
    pub async fn serve_with_payments_webhook(&self, secret: Option<&str>) -> String {
        let mut engine = self.engine.clone();
        if let Some(secret) = secret {
            engine = engine.with_payments_webhook(holdfast_engine::payments::PaymentsWebhook::new(
                Secret::new(secret),
            ));
        }
        serve(engine, self.clock.clone(), None).await.base
    }

    /// POSTs a GraphQL request; returns the whole JSON response (`data` and `errors`).
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert!(
            !response.status().is_server_error(),
            "5xx from /graphql: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// Like [`Self::graphql`], panicking on any error; returns `data`.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = self.graphql(token, query, variables).await;
        assert!(response.get("errors").is_none(), "errors: {response}");
        response["data"].clone()
    }
}

/// The `extensions.code` of a response's first error.
pub fn error_code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

impl TestApp {
    /// Starts the booking worker on this app, ticking fast (tests move the clock by hand).
    pub fn start_worker(&self) -> holdfast_engine::worker::BookingWorker {
        holdfast_engine::worker::BookingWorker::start(
            self.engine.clone(),
            holdfast_engine::worker::WorkerOptions {
                tick: std::time::Duration::from_millis(20),
                retry_after: Duration::milliseconds(200),
                ..Default::default()
            },
        )
    }

    /// The booking `id` from the event store, once `ready` says it is (polls for up to 30 s).
    pub async fn booking_when(
        &self,
        id: &str,
        what: &str,
        ready: impl Fn(&holdfast_domain::booking::Booking) -> bool,
    ) -> holdfast_domain::booking::Booking {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let booking: holdfast_domain::booking::Booking =
                holdfast_engine::process::load(&self.engine.store, id)
                    .await
                    .unwrap();
            if ready(&booking) {
                return booking;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "booking {id} never became {what}: {booking:#?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
}

/// Tokens an attacker or a broken client might send, each refused for its own reason.
pub mod hostile_tokens {
    use chrono::Duration;
    use holdfast_api::auth::{Role, Secret, TokenIssuer};

    use super::{SECRET, admin};

    /// `token`'s header replaced by `header` (base64url JSON), its signature by `signature`.
    fn with_header(token: &str, header: &str, signature: &str) -> String {
        let claims = token.split('.').nth(1).unwrap();
        format!("{header}.{claims}.{signature}")
    }

    /// An admin token that expired ten minutes ago (past the 60 s leeway).
    pub fn expired() -> String {
        TokenIssuer::hs256(&Secret::new(SECRET))
            .mint(Role::Admin, "root", None, Duration::minutes(-10))
            .unwrap()
    }

    /// An admin token signed with another secret.
    pub fn other_secret() -> String {
        TokenIssuer::hs256(&Secret::new("another-secret-of-enough-bytes!!"))
            .mint(Role::Admin, "root", None, Duration::hours(1))
            .unwrap()
    }

    /// Valid admin claims with `{"alg":"none","typ":"JWT"}` and no signature.
    pub fn alg_none() -> String {
        with_header(&admin(), "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0", "")
    }

    /// Valid admin claims and signature, the header claiming `{"alg":"HS512","typ":"JWT"}`.
    pub fn alg_hs512() -> String {
        let token = admin();
        let signature = token.rsplit('.').next().unwrap().to_owned();
        with_header(&token, "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9", &signature)
    }

    /// A correctly signed operator token without a tenant.
    pub fn operator_without_tenant() -> String {
        super::token(Role::Operator, "op", None)
    }
}
