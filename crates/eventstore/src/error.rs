//! Errors of the event store. Messages are written for the operator who has to fix them: one
//! line, what is wrong, how to fix it.

/// Everything that can go wrong opening, migrating or reading the event store.
#[derive(Debug, thiserror::Error)]
pub enum EventStoreError {
    /// The URL names no supported backend.
    #[error(
        "unsupported event store URL `{0}`: use postgres://user@host:port/database or sqlite://path/to/file.db"
    )]
    UnsupportedUrl(String),
    /// The database could not be reached or opened.
    #[error("cannot open the event store at {url}: {reason}. {hint}")]
    Unreachable {
        /// The URL, with any password removed.
        url: String,
        /// What the driver said.
        reason: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// Applying the schema migrations failed.
    #[error("event store migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("event store query failed: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored row could not be decoded.
    #[error("stored event at position {position} is malformed: {reason}")]
    Corrupt {
        /// Where in the log.
        position: String,
        /// What was wrong.
        reason: String,
    },
    /// A stored value read through [`crate::sql::DbRow`] does not parse (an instant or JSON
    /// stored as text on SQLite).
    #[error("stored column {column} is malformed: {reason}")]
    Malformed {
        /// The column.
        column: String,
        /// What was wrong.
        reason: String,
    },
}

impl EventStoreError {
    /// Whether retrying the same operation later may succeed (connection trouble, timeouts).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database(e) => is_transient_sqlx(e),
            Self::Unreachable { .. } => true,
            _ => false,
        }
    }
}

/// Whether a database error is transient — the same statement may succeed once the database
/// is back: connection trouble, the pool timing out, and the server-side errors of a restart or
/// an overload (SQLSTATE class 08 connection exceptions; 57P01 `admin_shutdown`, 57P02
/// `crash_shutdown`, 57P03 `cannot_connect_now`; 53300 `too_many_connections`; 40001 and 40P01,
/// serialization failures and deadlocks) or SQLite's `BUSY`/`LOCKED`. Found by the reliability
/// suite: a Postgres restart's `terminating connection due to administrator command` (57P01)
/// used to reach clients as `INTERNAL` and to stop the projectors for good.
pub fn is_transient_sqlx(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08")
                || matches!(
                    code.as_ref(),
                    "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01"
                )
                // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
                || code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
        }),
        _ => false,
    }
}

/// `url` without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => url.chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_io_failures_are_transient_and_others_are_not() {
        assert!(is_transient_sqlx(&sqlx::Error::PoolTimedOut));
        assert!(is_transient_sqlx(&sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset
        ))));
        assert!(!is_transient_sqlx(&sqlx::Error::RowNotFound));
        assert!(!is_transient_sqlx(&sqlx::Error::ColumnNotFound("x".into())));
    }

    /// A database error with a SQLSTATE, as the server sends it.
    #[derive(Debug)]
    struct Sqlstate(&'static str);

    impl std::fmt::Display for Sqlstate {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for Sqlstate {}

    impl sqlx::error::DatabaseError for Sqlstate {
        fn message(&self) -> &str {
            "terminating connection due to administrator command"
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    /// Regression (found by the reliability suite): a Postgres restart's 57P01 reached clients
    /// as `INTERNAL` and stopped the projectors.
    #[test]
    fn a_server_restart_or_overload_is_transient_and_a_broken_rule_is_not() {
        let db = |code| sqlx::Error::Database(Box::new(Sqlstate(code)));
        for code in [
            "57P01", "57P02", "57P03", "08006", "08001", "53300", "40001", "5", "517",
        ] {
            assert!(is_transient_sqlx(&db(code)), "{code}");
            assert!(EventStoreError::Database(db(code)).is_transient(), "{code}");
        }
        for code in ["23505", "42P01", "22P02", "19", "2067"] {
            assert!(!is_transient_sqlx(&db(code)), "{code}");
        }
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/holdfast"),
            "postgres://app:***@db:5432/holdfast"
        );
        assert_eq!(
            redact_url("sqlite://data/holdfast.db"),
            "sqlite://data/holdfast.db"
        );
    }
}
