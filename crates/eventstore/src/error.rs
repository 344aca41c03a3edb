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
}

impl EventStoreError {
    /// Whether retrying the same operation later may succeed (connection trouble, timeouts).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database(e) => matches!(
                e,
                sqlx::Error::Io(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::WorkerCrashed
            ),
            Self::Unreachable { .. } => true,
            _ => false,
        }
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
