//! Test support shared by every crate's integration tests (a dev-dependency only).
//!
//! Tests run against the real services that `scripts/test` starts: Postgres (a fresh database
//! per test, so tests run in parallel) and DynamoDB Local (a fresh table prefix per test). A
//! test that cannot reach a service panics with the command that starts it — it never passes
//! silently.
//!
//! [`graphql`]: the GraphQL documents the suites send as clients, written once.
//!
//! [`dedicated`] starts private instances of the same services (a Postgres cluster, a DynamoDB
//! Local) for fault-injection tests, which stop and restart them. [`process`] starts a server
//! process (`holdfast serve`) and waits for the line that says where it listens.

pub mod dedicated;
pub mod graphql;
pub mod process;
pub mod smtp;

use std::sync::Once;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// How to start the services, repeated in every failure message.
pub const START_SERVICES: &str = "run the tests through ./scripts/test, which installs and starts Postgres and DynamoDB Local (or start them yourself and set HOLDFAST_TEST_DATABASE_URL / HOLDFAST_TEST_DYNAMODB_ENDPOINT)";

/// The admin URL of the test Postgres server (a database it can `CREATE DATABASE` from).
pub fn postgres_admin_url() -> String {
    std::env::var("HOLDFAST_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The DynamoDB Local endpoint of the test services.
pub fn dynamodb_endpoint() -> String {
    std::env::var("HOLDFAST_TEST_DYNAMODB_ENDPOINT")
        .unwrap_or_else(|_| "http://127.0.0.1:8000".to_owned())
}

/// A table prefix no other test uses.
pub fn fresh_table_prefix() -> String {
    format!("t{}_", ulid::Ulid::new().to_string().to_lowercase())
}

/// Logs to the terminal when `TEST_LOG=1`.
pub fn init_test_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "debug,sqlx=warn,hyper=warn,aws=warn".into()),
                )
                .with_test_writer()
                .try_init();
        }
    });
}

/// A Postgres database created for one test. Dropped by `scripts/test` (which removes every
/// `holdfast_test_*` database before and after a run), or now with [`TestDatabase::drop_now`].
#[derive(Debug, Clone)]
pub struct TestDatabase {
    /// The database's name.
    pub name: String,
    /// A URL that connects to it.
    pub url: String,
}

impl TestDatabase {
    /// Drops the database (terminating its connections).
    pub async fn drop_now(self) {
        let mut admin = admin_connection().await;
        let _ = sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await;
    }
}

async fn admin_connection() -> PgConnection {
    let url = postgres_admin_url();
    match PgConnection::connect(&url).await {
        Ok(conn) => conn,
        Err(e) => panic!("Postgres is not reachable at {url}: {e}.\nTo fix: {START_SERVICES}."),
    }
}

/// Creates an empty database for one test and returns how to reach it.
pub async fn fresh_postgres_database() -> TestDatabase {
    init_test_logging();
    let name = format!(
        "holdfast_test_{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    let mut admin = admin_connection().await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let admin_url = postgres_admin_url();
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(&admin_url);
    TestDatabase {
        url: format!("{base}/{name}"),
        name,
    }
}

/// A SQLite database file in a temporary directory, removed when the guard drops.
pub struct TestSqlite {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// `sqlite://…` URL of the file.
    pub url: String,
}

/// A fresh SQLite database file for one test.
pub fn fresh_sqlite_database() -> TestSqlite {
    init_test_logging();
    let dir = tempfile::tempdir().expect("cannot create a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("events.db").display());
    TestSqlite { dir, url }
}
