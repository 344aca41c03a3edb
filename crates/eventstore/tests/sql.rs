//! The dual-backend SQL helper ([`holdfast_eventstore::Db`]), run against Postgres and SQLite
//! alike: every test below is instantiated once per backend at the bottom of this file.

use chrono::{DateTime, TimeZone, Utc};
use holdfast_eventstore::{Arg, Backend, Db, EventStore, EventStoreError, Sql};
use holdfast_testkit::{TestSqlite, fresh_postgres_database, fresh_sqlite_database};
use serde_json::json;

/// The one place the test's schema differs: the types.
const CREATE: Sql = Sql::per_backend(
    "CREATE TABLE things (id text PRIMARY KEY, n bigint NOT NULL, small integer NOT NULL,
                          note text, at timestamptz NOT NULL, doc jsonb NOT NULL)",
    "CREATE TABLE things (id text PRIMARY KEY, n integer NOT NULL, small integer NOT NULL,
                          note text, at text NOT NULL, doc text NOT NULL) STRICT",
);

/// Written once for both backends.
const INSERT: &str = "INSERT INTO things (id, n, small, note, at, doc)
                      VALUES ($1, $2, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
const GET: &str = "SELECT id, n, small, note, at, doc FROM things WHERE id = $1";

/// A store on a fresh database of one backend (not migrated), with the `things` table.
struct Harness {
    store: EventStore,
    _sqlite: Option<TestSqlite>,
}

impl Harness {
    async fn postgres() -> Self {
        let db = fresh_postgres_database().await;
        Self::on(EventStore::open(&db.url).await.unwrap(), None).await
    }

    async fn sqlite() -> Self {
        let db = fresh_sqlite_database();
        Self::on(EventStore::open(&db.url).await.unwrap(), Some(db)).await
    }

    async fn on(store: EventStore, sqlite: Option<TestSqlite>) -> Self {
        store.db().execute(CREATE, &[]).await.unwrap();
        Self {
            store,
            _sqlite: sqlite,
        }
    }

    fn db(&self) -> &Db {
        self.store.db()
    }
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 9, 30, 0).unwrap() + chrono::Duration::microseconds(123_456)
}

fn thing(id: &str, n: i64, note: Option<&str>) -> Vec<Arg> {
    vec![
        id.into(),
        n.into(),
        note.into(),
        at().into(),
        json!({"id": id, "tags": [n]}).into(),
    ]
}

async fn a_statement_written_once_runs_and_reads_back_every_type(h: Harness) {
    let db = h.db();
    assert_eq!(db.backend(), h.store.backend());
    assert_eq!(
        db.execute(INSERT, &thing("a", 7, Some("first")))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.execute(INSERT, &thing("a", 8, None)).await.unwrap(),
        0,
        "ignored"
    );
    assert_eq!(db.execute(INSERT, &thing("b", -3, None)).await.unwrap(), 1);

    let row = db
        .fetch_optional(GET, &["a".into()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.get::<String>("id").unwrap(), "a");
    assert_eq!(row.integer("n").unwrap(), 7);
    assert_eq!(
        row.integer("small").unwrap(),
        7,
        "integer, int4 on Postgres"
    );
    assert_eq!(
        row.get::<Option<String>>("note").unwrap().as_deref(),
        Some("first")
    );
    assert_eq!(row.instant("at").unwrap(), at());
    assert_eq!(row.optional_instant("at").unwrap(), Some(at()));
    assert_eq!(row.json("doc").unwrap(), json!({"id": "a", "tags": [7]}));

    let row = db
        .fetch_optional(GET, &["b".into()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.get::<Option<String>>("note").unwrap(), None);
    assert_eq!(row.integer("n").unwrap(), -3);

    let all: Vec<(String, i64)> = db
        .fetch_all_as("SELECT id, n FROM things ORDER BY id", &[])
        .await
        .unwrap();
    assert_eq!(all, [("a".to_owned(), 7), ("b".to_owned(), -3)]);
    // Placeholders out of order and repeated.
    let one: Option<(String,)> = db
        .fetch_optional_as(
            "SELECT id FROM things WHERE n = $2 AND (id = $1 OR id = $1)",
            &["a".into(), 7_i64.into()],
        )
        .await
        .unwrap();
    assert_eq!(one, Some(("a".to_owned(),)));
    // An instant compares as an instant on both (text of fixed width on SQLite).
    let later: Vec<(String,)> = db
        .fetch_all_as(
            "SELECT id FROM things WHERE at < $1",
            &[(at() + chrono::Duration::microseconds(1)).into()],
        )
        .await
        .unwrap();
    assert_eq!(later.len(), 2);
}

async fn a_missing_row_is_none_and_nothing_is_affected(h: Harness) {
    let db = h.db();
    assert!(
        db.fetch_optional(GET, &["nope".into()])
            .await
            .unwrap()
            .is_none()
    );
    let typed: Option<(String,)> = db
        .fetch_optional_as("SELECT id FROM things WHERE id = $1", &["nope".into()])
        .await
        .unwrap();
    assert_eq!(typed, None);
    assert!(
        db.fetch_all(GET, &["nope".into()])
            .await
            .unwrap()
            .is_empty()
    );
    let updated = db
        .execute("UPDATE things SET n = 1 WHERE id = $1", &["nope".into()])
        .await
        .unwrap();
    assert_eq!(updated, 0);
}

async fn per_backend_statements_run_their_backends_text(h: Harness) {
    // The database's clock plus an interval, the way the idempotency leases use it.
    let ahead = Sql::per_backend(
        "SELECT now() + make_interval(secs => $1) > now() + make_interval(secs => 1)",
        "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now', $1)
              > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 seconds')",
    );
    let (yes,): (bool,) = h
        .db()
        .fetch_optional_as(ahead, &[std::time::Duration::from_secs(10).into()])
        .await
        .unwrap()
        .unwrap();
    assert!(yes);
    let which = Sql::per_backend("SELECT 'postgres'", "SELECT 'sqlite'");
    let (text,): (String,) = h.db().fetch_optional_as(which, &[]).await.unwrap().unwrap();
    let expected = match h.db().backend() {
        Backend::Postgres => "postgres",
        Backend::Sqlite => "sqlite",
    };
    assert_eq!(text, expected);
    assert_eq!(which.text(h.db().backend()), format!("SELECT '{expected}'"));
}

async fn a_transaction_commits_or_rolls_back_as_a_whole(h: Harness) {
    let db = h.db();
    let mut tx = db.begin().await.unwrap();
    assert_eq!(tx.execute(INSERT, &thing("x", 1, None)).await.unwrap(), 1);
    assert_eq!(tx.execute(INSERT, &thing("y", 2, None)).await.unwrap(), 1);
    tx.rollback().await.unwrap();
    {
        let mut dropped = db.begin().await.unwrap();
        dropped.execute(INSERT, &thing("z", 3, None)).await.unwrap();
    }
    let mut tx = db.begin().await.unwrap();
    assert_eq!(tx.execute(INSERT, &thing("w", 4, None)).await.unwrap(), 1);
    tx.commit().await.unwrap();
    let ids: Vec<(String,)> = db
        .fetch_all_as("SELECT id FROM things ORDER BY id", &[])
        .await
        .unwrap();
    assert_eq!(ids, [("w".to_owned(),)]);
}

/// The same failing statement through sqlx directly (what the stores did before) and through
/// the helper: the same `EventStoreError`, the same answer from `is_transient`.
async fn errors_map_to_event_store_errors_as_sqlx_calls_did(h: Harness) {
    let db = h.db();
    db.execute(INSERT, &thing("a", 1, None)).await.unwrap();
    let duplicate = "INSERT INTO things (id, n, small, at, doc) VALUES ($1, 1, 1, $2, $3)";
    let broken = "SELEC id FROM things";
    let direct = |sql: &'static str| async move {
        let result = match db {
            Db::Postgres(pool) => sqlx::query(sql)
                .bind("a")
                .bind(at())
                .bind(json!({}))
                .execute(pool)
                .await
                .map(|_| ()),
            Db::Sqlite(pool) => sqlx::query(sql)
                .bind("a")
                .bind(at().to_rfc3339())
                .bind("{}")
                .execute(pool)
                .await
                .map(|_| ()),
        };
        EventStoreError::from(result.unwrap_err())
    };
    for sql in [duplicate, broken] {
        let before = direct(sql).await;
        let after = db
            .execute(sql, &["a".into(), at().into(), json!({}).into()])
            .await
            .unwrap_err();
        assert!(
            matches!(after, EventStoreError::Database(sqlx::Error::Database(_))),
            "{after}"
        );
        assert_eq!(after.to_string(), before.to_string());
        assert!(!after.is_transient() && !before.is_transient(), "{after}");
    }
    let row = db
        .fetch_optional(GET, &["a".into()])
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        row.get::<i64>("id").unwrap_err(),
        EventStoreError::Database(sqlx::Error::ColumnDecode { .. })
    ));
    assert!(matches!(
        row.get::<String>("nope").unwrap_err(),
        EventStoreError::Database(sqlx::Error::ColumnNotFound(_))
    ));

    // A database that went away: transient, as before.
    match db {
        Db::Postgres(pool) => pool.close().await,
        Db::Sqlite(pool) => pool.close().await,
    }
    let gone = db.fetch_optional(GET, &["a".into()]).await.err().unwrap();
    assert!(
        matches!(gone, EventStoreError::Database(sqlx::Error::PoolClosed)),
        "{gone}"
    );
    assert!(gone.is_transient());
    assert!(db.begin().await.unwrap_err().is_transient());
}

/// SQLite stores instants and JSON as text; text that does not parse is `Malformed`, naming
/// the column.
#[tokio::test]
async fn malformed_text_on_sqlite_names_its_column() {
    let h = Harness::sqlite().await;
    assert_eq!(h.db().backend(), Backend::Sqlite);
    h.db()
        .execute(
            "INSERT INTO things (id, n, small, at, doc) VALUES ('bad', 1, 1, 'yesterday', '{')",
            &[],
        )
        .await
        .unwrap();
    let row = h
        .db()
        .fetch_optional(GET, &["bad".into()])
        .await
        .unwrap()
        .unwrap();
    for (column, e) in [
        ("at", row.instant("at").unwrap_err()),
        ("doc", row.json("doc").unwrap_err()),
    ] {
        match &e {
            EventStoreError::Malformed { column: c, .. } => assert_eq!(c, column),
            other => panic!("{other:?}"),
        }
        assert!(!e.is_transient());
        assert!(
            e.to_string()
                .starts_with(&format!("stored column {column} is malformed: "))
        );
    }
}

macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::Harness::postgres().await).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test(super::Harness::sqlite().await).await;
                }
            )*
        }
    };
}

both_backends!(
    a_statement_written_once_runs_and_reads_back_every_type,
    a_missing_row_is_none_and_nothing_is_affected,
    per_backend_statements_run_their_backends_text,
    a_transaction_commits_or_rolls_back_as_a_whole,
    errors_map_to_event_store_errors_as_sqlx_calls_did,
);
