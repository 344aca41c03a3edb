//! [`EventStore`]: one handle on the event store, whichever backend the URL names.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, CqrsFramework};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

use crate::error::{EventStoreError, redact_url};
use crate::log::{EventLog, Tailer, TailerOptions, Wakeup};
use crate::postgres::PgEventLog;
use crate::repository::EventRepository;
use crate::sql::Db;
use crate::sqlite::SqliteEventLog;

static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");

/// A cqrs-es framework running on an [`EventStore`].
pub type StoreCqrs<A> = CqrsFramework<A, PersistedEventStore<EventRepository, A>>;

/// Which database holds the events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Production: Postgres through postgres-es.
    Postgres,
    /// Embedded default: a SQLite file through sqlite-es.
    Sqlite,
}

/// The event store: cqrs-es repository, ordered log reader, migrations.
#[derive(Clone)]
pub struct EventStore {
    db: Db,
    repository: EventRepository,
    log: Arc<dyn EventLog>,
    wakeup: Wakeup,
}

const PG_HINT: &str = "Is Postgres running and is the URL right? Start it (e.g. `pg_ctlcluster --skip-systemctl-redirect 15 main start`) or pass a working --database-url / HOLDFAST_DATABASE_URL";
const SQLITE_HINT: &str = "Check that the path is writable, or pass another --database-url / HOLDFAST_DATABASE_URL (e.g. sqlite://data/holdfast.db)";

impl EventStore {
    /// Opens the store a URL names: `postgres://…`/`postgresql://…` or `sqlite://path`.
    /// Connects eagerly, so a bad URL fails here with one clear line. Does not migrate.
    pub async fn open(url: &str) -> Result<Self, EventStoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let unreachable = |reason: String| EventStoreError::Unreachable {
                url: redact_url(url),
                reason,
                hint: PG_HINT,
            };
            let options =
                PgConnectOptions::from_str(url).map_err(|e| unreachable(e.to_string()))?;
            // No ping before every acquire (sqlx's default): it doubled the round trips of
            // every statement. A connection that died meanwhile (a Postgres restart) fails its
            // next statement with an I/O error, which is transient (`UNAVAILABLE`, retried) and
            // closes it, so the pool heals without the ping.
            let pool = PgPoolOptions::new()
                .test_before_acquire(false)
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(|e| unreachable(e.to_string()))?;
            Ok(Self::postgres(pool))
        } else if url.starts_with("sqlite:") {
            let unreachable = |reason: String| EventStoreError::Unreachable {
                url: redact_url(url),
                reason,
                hint: SQLITE_HINT,
            };
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| unreachable(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10));
            if let Some(dir) = options
                .get_filename()
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                create_dir(dir).map_err(|e| unreachable(format!("{}: {e}", dir.display())))?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(|e| unreachable(e.to_string()))?;
            Ok(Self::sqlite(pool))
        } else {
            Err(EventStoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    /// A store on an existing Postgres pool.
    pub fn postgres(pool: PgPool) -> Self {
        let wakeup = Wakeup::default();
        Self {
            repository: EventRepository::postgres(
                postgres_es::PostgresEventRepository::new(pool.clone()),
                wakeup.clone(),
            ),
            log: Arc::new(PgEventLog::new(pool.clone(), wakeup.clone())),
            db: Db::Postgres(pool),
            wakeup,
        }
    }

    /// A store on an existing SQLite pool.
    pub fn sqlite(pool: SqlitePool) -> Self {
        let wakeup = Wakeup::default();
        Self {
            repository: EventRepository::sqlite(
                sqlite_es::SqliteEventRepository::new(pool.clone()),
                wakeup.clone(),
            ),
            log: Arc::new(SqliteEventLog::new(pool.clone(), wakeup.clone())),
            db: Db::Sqlite(pool),
            wakeup,
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// The database, for statements on the application's own tables (see [`crate::sql`]).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Applies the schema migrations that have not run yet (safe to run concurrently and
    /// repeatedly).
    pub async fn migrate(&self) -> Result<(), EventStoreError> {
        match &self.db {
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Checks that the database answers (for readiness probes).
    pub async fn ping(&self) -> Result<(), EventStoreError> {
        match &self.db {
            Db::Postgres(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
            Db::Sqlite(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// The cqrs-es event repository.
    pub fn repository(&self) -> EventRepository {
        self.repository.clone()
    }

    /// The wake-up local commits announce to the log's tailers.
    pub(crate) fn wakeup(&self) -> &Wakeup {
        &self.wakeup
    }

    /// The ordered log reader.
    pub fn log(&self) -> Arc<dyn EventLog> {
        self.log.clone()
    }

    /// A tailer following the log from `after`.
    pub fn tail(&self, after: crate::Position, options: TailerOptions) -> Tailer {
        Tailer::new(self.log(), after, options)
    }

    /// A cqrs-es framework for aggregate `A` on this store (events only, no snapshots).
    pub fn cqrs<A: Aggregate>(&self, services: A::Services) -> StoreCqrs<A> {
        CqrsFramework::new(
            PersistedEventStore::new_event_store(self.repository()),
            Vec::new(),
            services,
        )
    }

    /// A cqrs-es framework for aggregate `A` that snapshots every `snapshot_size` events (for
    /// aggregates with long streams, such as inventories).
    pub fn snapshot_cqrs<A: Aggregate>(
        &self,
        snapshot_size: usize,
        services: A::Services,
    ) -> StoreCqrs<A> {
        CqrsFramework::new(
            PersistedEventStore::new_snapshot_store(self.repository(), snapshot_size),
            Vec::new(),
            services,
        )
    }

    /// The log position of an aggregate's last event (`None` if it has none). Used after a
    /// command commits to hand the client a consistency token.
    pub async fn last_position(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
    ) -> Result<Option<crate::Position>, EventStoreError> {
        Ok(match &self.db {
            Db::Postgres(pool) => {
                let row: Option<(String, i64)> = sqlx::query_as(
                    "SELECT tx_id::text, global_position FROM events
                      WHERE aggregate_type = $1 AND aggregate_id = $2
                      ORDER BY sequence DESC LIMIT 1",
                )
                .bind(aggregate_type)
                .bind(aggregate_id)
                .fetch_optional(pool)
                .await?;
                row.and_then(|(tx, index)| {
                    Some(crate::Position::new(
                        tx.parse().ok()?,
                        u64::try_from(index).ok()?,
                    ))
                })
            }
            Db::Sqlite(pool) => {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT global_position FROM events
                      WHERE aggregate_type = ?1 AND aggregate_id = ?2
                      ORDER BY sequence DESC LIMIT 1",
                )
                .bind(aggregate_type)
                .bind(aggregate_id)
                .fetch_optional(pool)
                .await?;
                row.and_then(|(index,)| Some(crate::Position::new(0, u64::try_from(index).ok()?)))
            }
        })
    }

    /// One aggregate's events in stream order: those with a sequence above `after_sequence`
    /// (0: from the first), at most `limit` of them. Committed events only.
    pub async fn aggregate_events(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        after_sequence: u64,
        limit: usize,
    ) -> Result<Vec<crate::StoredEvent>, EventStoreError> {
        let after = i64::try_from(after_sequence).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        match &self.db {
            Db::Postgres(pool) => sqlx::query(
                "SELECT tx_id::text AS tx, global_position, aggregate_type, aggregate_id, sequence,
                        event_type, event_version, payload, metadata, recorded_at
                   FROM events
                  WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence > $3
                  ORDER BY sequence
                  LIMIT $4",
            )
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?
            .iter()
            .map(crate::postgres::stored_event)
            .collect(),
            Db::Sqlite(pool) => sqlx::query(
                "SELECT global_position, aggregate_type, aggregate_id, sequence, event_type,
                        event_version, payload, metadata, recorded_at
                   FROM events
                  WHERE aggregate_type = ?1 AND aggregate_id = ?2 AND sequence > ?3
                  ORDER BY sequence
                  LIMIT ?4",
            )
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?
            .iter()
            .map(crate::sqlite::stored_event)
            .collect(),
        }
    }

    /// The Postgres pool, when on Postgres.
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.db {
            Db::Postgres(pool) => Some(pool),
            Db::Sqlite(_) => None,
        }
    }

    /// The SQLite pool, when on SQLite.
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.db {
            Db::Sqlite(pool) => Some(pool),
            Db::Postgres(_) => None,
        }
    }
}

fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}
