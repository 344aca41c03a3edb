//! [`Db`]: statements on the event store's database, written once for Postgres and SQLite.
//!
//! The application's own tables (idempotency keys, webhook replay ids, the notifications
//! outbox) live beside the events. Their statements go through [`Db`], which picks the pool:
//!
//! - **Placeholders** are `$1`, `$2`, … on both backends (sqlx binds SQLite's `$NNN` by number,
//!   like `?NNN`), so a statement whose SQL is the same on both is one `&str`.
//! - **Where the SQL differs** (`now()` against `strftime(…)`, casts such as `::timestamptz`
//!   or `::jsonb`, Postgres-only functions), the statement is one [`Sql::per_backend`] holding
//!   both texts side by side; [`Db`] runs the one of its backend.
//! - **Arguments** are [`Arg`]s, each encoded the way its backend stores it: an instant
//!   ([`Arg::At`]) is `timestamptz` on Postgres and fixed-width RFC 3339 UTC text on SQLite,
//!   JSON ([`Arg::Json`]) is `jsonb` or text.
//! - **Rows** come back typed ([`Db::fetch_all_as`], [`Db::fetch_optional_as`]: any `T` sqlx
//!   decodes from both backends' rows, such as tuples of `String`, `i64`, `bool`, `Option`s of
//!   them), or as [`DbRow`]s whose getters decode what the backends store differently
//!   ([`DbRow::instant`], [`DbRow::json`], [`DbRow::integer`]).
//! - **Errors** are [`EventStoreError`]s: a driver's error is [`EventStoreError::Database`],
//!   exactly as from `?` on a sqlx call, so [`EventStoreError::is_transient`] answers the same;
//!   a stored value the getters cannot parse is [`EventStoreError::Malformed`].
//!
//! Why not sqlx's `Any` driver: it knows no `timestamptz`, `jsonb` or chrono types (its values
//! are booleans, numbers, text and bytes), it leaves placeholders and SQL dialect alone (so the
//! statements would differ as much as they do here), and the event store keeps typed pools for
//! postgres-es and sqlite-es anyway. An enum over the two pools needs no new dependency.

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Column, Decode, FromRow, PgPool, Postgres, Row, Sqlite, SqlitePool, Type};

use crate::error::EventStoreError;
use crate::store::Backend;

/// The event store's database: one of the two pools. Obtained with
/// [`EventStore::db`](crate::EventStore::db); cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    /// Postgres (production).
    Postgres(PgPool),
    /// SQLite (the embedded default).
    Sqlite(SqlitePool),
}

/// One statement: the same SQL on both backends (any `&str` converts), or one text per backend
/// ([`Sql::per_backend`]). Placeholders are `$1`, `$2`, … on both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sql<'a> {
    postgres: &'a str,
    sqlite: &'a str,
}

impl<'a> Sql<'a> {
    /// The same SQL on both backends.
    pub const fn both(sql: &'a str) -> Self {
        Self {
            postgres: sql,
            sqlite: sql,
        }
    }

    /// One statement written twice, where the dialects differ.
    pub const fn per_backend(postgres: &'a str, sqlite: &'a str) -> Self {
        Self { postgres, sqlite }
    }

    /// The text `backend` runs.
    pub fn text(&self, backend: Backend) -> &'a str {
        match backend {
            Backend::Postgres => self.postgres,
            Backend::Sqlite => self.sqlite,
        }
    }
}

impl<'a> From<&'a str> for Sql<'a> {
    fn from(sql: &'a str) -> Self {
        Self::both(sql)
    }
}

impl<'a> From<&'a String> for Sql<'a> {
    fn from(sql: &'a String) -> Self {
        Self::both(sql)
    }
}

/// A bound argument, encoded the way each backend stores it.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// Text.
    Text(String),
    /// Text or a (text-typed) NULL.
    TextOrNull(Option<String>),
    /// A 64-bit integer (`bigint` on Postgres).
    Int(i64),
    /// An instant: `timestamptz` on Postgres; on SQLite RFC 3339 UTC text with microseconds
    /// and `Z` (fixed width, so it sorts and compares like time).
    At(DateTime<Utc>),
    /// JSON: `jsonb` on Postgres, its text on SQLite.
    Json(serde_json::Value),
    /// A length of time to add to the database's clock: its seconds as `double precision` on
    /// Postgres (for `now() + make_interval(secs => $n)`), the date modifier `+<seconds>
    /// seconds` on SQLite (for `strftime(…, 'now', $n)`).
    Interval(std::time::Duration),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Self::TextOrNull(v.map(str::to_owned))
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<DateTime<Utc>> for Arg {
    fn from(v: DateTime<Utc>) -> Self {
        Self::At(v)
    }
}

impl From<serde_json::Value> for Arg {
    fn from(v: serde_json::Value) -> Self {
        Self::Json(v)
    }
}

impl From<std::time::Duration> for Arg {
    fn from(v: std::time::Duration) -> Self {
        Self::Interval(v)
    }
}

/// An instant as SQLite stores it (see [`Arg::At`]).
fn instant_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A bind that failed to encode, as sqlx reports it when it runs the statement.
fn encode_error(e: sqlx::error::BoxDynError) -> EventStoreError {
    EventStoreError::Database(sqlx::Error::Encode(e))
}

fn pg_args(args: &[Arg]) -> Result<PgArguments, EventStoreError> {
    let mut out = PgArguments::default();
    for arg in args {
        match arg {
            Arg::Text(v) => out.add(v.as_str()),
            Arg::TextOrNull(v) => out.add(v.as_deref()),
            Arg::Int(v) => out.add(*v),
            Arg::At(v) => out.add(*v),
            Arg::Json(v) => out.add(v),
            Arg::Interval(v) => out.add(v.as_secs_f64()),
        }
        .map_err(encode_error)?;
    }
    Ok(out)
}

fn sqlite_args(args: &[Arg]) -> Result<SqliteArguments<'_>, EventStoreError> {
    let mut out = SqliteArguments::default();
    for arg in args {
        match arg {
            Arg::Text(v) => out.add(v.as_str()),
            Arg::TextOrNull(v) => out.add(v.as_deref()),
            Arg::Int(v) => out.add(*v),
            Arg::At(v) => out.add(instant_text(*v)),
            Arg::Json(v) => out.add(v.to_string()),
            Arg::Interval(v) => out.add(format!("+{} seconds", v.as_secs_f64())),
        }
        .map_err(encode_error)?;
    }
    Ok(out)
}

/// Expands `$body` once per backend of `$on` (a [`Db`] or a [`DbTransaction`]: `$kind`), with
/// `$conn` bound to its pool or transaction, `$text` to the statement's text for that backend and
/// `$bound` to the arguments encoded for it. One body, so the two backends cannot drift apart.
macro_rules! on_backend {
    ($on:expr, $kind:ident, $sql:expr, $args:expr, |$conn:ident, $text:ident, $bound:ident| $body:expr) => {
        match $on {
            $kind::Postgres($conn) => {
                let ($text, $bound) = ($sql.postgres, pg_args($args)?);
                $body
            }
            $kind::Sqlite($conn) => {
                let ($text, $bound) = ($sql.sqlite, sqlite_args($args)?);
                $body
            }
        }
    };
}

impl Db {
    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Postgres(_) => Backend::Postgres,
            Db::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Runs a statement; returns how many rows it affected.
    pub async fn execute(
        &self,
        sql: impl Into<Sql<'_>>,
        args: &[Arg],
    ) -> Result<u64, EventStoreError> {
        let sql = sql.into();
        Ok(on_backend!(self, Db, sql, args, |pool, text, bound| {
            sqlx::query_with(text, bound)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Every row a query returns.
    pub async fn fetch_all(
        &self,
        sql: impl Into<Sql<'_>>,
        args: &[Arg],
    ) -> Result<Vec<DbRow>, EventStoreError> {
        let sql = sql.into();
        Ok(on_backend!(self, Db, sql, args, |pool, text, bound| {
            let rows = sqlx::query_with(text, bound).fetch_all(pool).await?;
            rows.into_iter().map(DbRow::from).collect()
        }))
    }

    /// The first row a query returns, if any.
    pub async fn fetch_optional(
        &self,
        sql: impl Into<Sql<'_>>,
        args: &[Arg],
    ) -> Result<Option<DbRow>, EventStoreError> {
        let sql = sql.into();
        Ok(on_backend!(self, Db, sql, args, |pool, text, bound| {
            let row = sqlx::query_with(text, bound).fetch_optional(pool).await?;
            row.map(DbRow::from)
        }))
    }

    /// Every row a query returns, as `T` (a type sqlx decodes from both backends' rows).
    pub async fn fetch_all_as<T>(
        &self,
        sql: impl Into<Sql<'_>>,
        args: &[Arg],
    ) -> Result<Vec<T>, EventStoreError>
    where
        T: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin,
    {
        let sql = sql.into();
        Ok(on_backend!(self, Db, sql, args, |pool, text, bound| {
            sqlx::query_as_with(text, bound).fetch_all(pool).await?
        }))
    }

    /// The first row a query returns, if any, as `T` (see [`Db::fetch_all_as`]).
    pub async fn fetch_optional_as<T>(
        &self,
        sql: impl Into<Sql<'_>>,
        args: &[Arg],
    ) -> Result<Option<T>, EventStoreError>
    where
        T: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin,
    {
        let sql = sql.into();
        Ok(on_backend!(self, Db, sql, args, |pool, text, bound| {
            sqlx::query_as_with(text, bound)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Begins a transaction on a connection of the pool. Dropping it without
    /// [`DbTransaction::commit`] rolls it back.
    pub async fn begin(&self) -> Result<DbTransaction, EventStoreError> {
        Ok(match self {
            Db::Postgres(pool) => DbTransaction::Postgres(pool.begin().await?),
            Db::Sqlite(pool) => DbTransaction::Sqlite(pool.begin().await?),
        })
    }
}

/// A transaction begun with [`Db::begin`].
#[derive(Debug)]
pub enum DbTransaction {
    /// On Postgres.
    Postgres(sqlx::Transaction<'static, Postgres>),
    /// On SQLite.
    Sqlite(sqlx::Transaction<'static, Sqlite>),
}

impl DbTransaction {
    /// Runs a statement in the transaction; returns how many rows it affected.
    pub async fn execute(
        &mut self,
        sql: impl Into<Sql<'_>>,
        args: &[Arg],
    ) -> Result<u64, EventStoreError> {
        let sql = sql.into();
        Ok(on_backend!(
            self,
            DbTransaction,
            sql,
            args,
            |tx, text, bound| {
                sqlx::query_with(text, bound)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected()
            }
        ))
    }

    /// Commits.
    pub async fn commit(self) -> Result<(), EventStoreError> {
        match self {
            DbTransaction::Postgres(tx) => tx.commit().await?,
            DbTransaction::Sqlite(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<(), EventStoreError> {
        match self {
            DbTransaction::Postgres(tx) => tx.rollback().await?,
            DbTransaction::Sqlite(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// A row from [`Db::fetch_all`] or [`Db::fetch_optional`]. Columns are read by name.
pub enum DbRow {
    /// A Postgres row.
    Postgres(PgRow),
    /// A SQLite row.
    Sqlite(SqliteRow),
}

impl From<PgRow> for DbRow {
    fn from(row: PgRow) -> Self {
        DbRow::Postgres(row)
    }
}

impl From<SqliteRow> for DbRow {
    fn from(row: SqliteRow) -> Self {
        DbRow::Sqlite(row)
    }
}

impl DbRow {
    /// A column whose Rust type decodes the same from both backends (`String`, `i64`, `bool`,
    /// `Option`s of them…).
    pub fn get<T>(&self, column: &str) -> Result<T, EventStoreError>
    where
        T: for<'r> Decode<'r, Postgres>
            + Type<Postgres>
            + for<'r> Decode<'r, Sqlite>
            + Type<Sqlite>,
    {
        Ok(match self {
            DbRow::Postgres(row) => row.try_get(column)?,
            DbRow::Sqlite(row) => row.try_get(column)?,
        })
    }

    /// An integer column of any width (`smallint`, `integer` or `bigint` on Postgres, `INTEGER`
    /// on SQLite), as `i64`.
    pub fn integer(&self, column: &str) -> Result<i64, EventStoreError> {
        Ok(match self {
            DbRow::Postgres(row) => {
                let ty = row.try_column(column)?.type_info();
                if <i32 as Type<Postgres>>::compatible(ty) {
                    i64::from(row.try_get::<i32, _>(column)?)
                } else if <i16 as Type<Postgres>>::compatible(ty) {
                    i64::from(row.try_get::<i16, _>(column)?)
                } else {
                    row.try_get(column)?
                }
            }
            DbRow::Sqlite(row) => row.try_get(column)?,
        })
    }

    /// An instant stored as [`Arg::At`] writes it: `timestamptz` on Postgres, RFC 3339 text on
    /// SQLite ([`EventStoreError::Malformed`] when the text does not parse).
    pub fn instant(&self, column: &str) -> Result<DateTime<Utc>, EventStoreError> {
        match self {
            DbRow::Postgres(row) => Ok(row.try_get(column)?),
            DbRow::Sqlite(row) => parse_instant(column, &row.try_get::<String, _>(column)?),
        }
    }

    /// A nullable instant (see [`DbRow::instant`]).
    pub fn optional_instant(&self, column: &str) -> Result<Option<DateTime<Utc>>, EventStoreError> {
        match self {
            DbRow::Postgres(row) => Ok(row.try_get(column)?),
            DbRow::Sqlite(row) => row
                .try_get::<Option<String>, _>(column)?
                .map(|text| parse_instant(column, &text))
                .transpose(),
        }
    }

    /// JSON stored as [`Arg::Json`] writes it: `jsonb` on Postgres, text on SQLite
    /// ([`EventStoreError::Malformed`] when the text does not parse).
    pub fn json(&self, column: &str) -> Result<serde_json::Value, EventStoreError> {
        match self {
            DbRow::Postgres(row) => Ok(row.try_get(column)?),
            DbRow::Sqlite(row) => serde_json::from_str(&row.try_get::<String, _>(column)?)
                .map_err(|e| malformed(column, e)),
        }
    }
}

fn parse_instant(column: &str, text: &str) -> Result<DateTime<Utc>, EventStoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.to_utc())
        .map_err(|e| malformed(column, e))
}

fn malformed(column: &str, reason: impl std::fmt::Display) -> EventStoreError {
    EventStoreError::Malformed {
        column: column.to_owned(),
        reason: reason.to_string(),
    }
}
