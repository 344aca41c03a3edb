//! [`BenchError`]: why a run failed. [`BenchError::CheckFailed`] is the one that means "the
//! outcome was wrong" (exit status 1); everything else is a run that could not be made (a
//! setting, an unreachable service, a refused setup request; exit status 2).
//!
//! [`Context`] adds what was being done to an error (or a missing value), as one line: the
//! binary prints the whole chain, `what: cause: cause of the cause`.

use std::error::Error as StdError;

/// A boxed error of any kind (the cause of a [`BenchError::Context`]).
pub type Cause = Box<dyn StdError + Send + Sync + 'static>;

/// Why a benchmark (or the history generator) failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A correctness check failed: the figures of such a run mean nothing.
    #[error("benchmark check failed: {0}")]
    CheckFailed(String),
    /// The run cannot go on; the message says why and, where it can, what to do.
    #[error("{0}")]
    Failed(String),
    /// `what` failed; the cause is the error's source.
    #[error("{what}")]
    Context {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        cause: Cause,
    },
    /// The event store.
    #[error(transparent)]
    EventStore(#[from] holdfast_eventstore::EventStoreError),
    /// A database statement.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A file or a child process.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The read models' store.
    #[error(transparent)]
    ReadStore(#[from] holdfast_projections::store::ReadStoreError),
    /// A rebuild of a read model.
    #[error(transparent)]
    Rebuild(#[from] holdfast_projections::runtime::RebuildError),
    /// A DynamoDB request could not be built.
    #[error(transparent)]
    DynamoDbBuild(#[from] aws_sdk_dynamodb::error::BuildError),
    /// Minting a token.
    #[error(transparent)]
    Token(#[from] holdfast_api::auth::KeyError),
    /// The fixtures the history is made from.
    #[error(transparent)]
    Fixtures(#[from] holdfast_engine::fixtures::FixtureError),
    /// The history generator.
    #[error(transparent)]
    History(#[from] crate::history::HistoryError),
    /// A number out of range.
    #[error(transparent)]
    Number(#[from] std::num::TryFromIntError),
    /// An instant the server sent.
    #[error(transparent)]
    Instant(#[from] chrono::ParseError),
}

impl BenchError {
    /// A [`BenchError::Failed`] saying `message`.
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }

    /// Whether this is a failed correctness check (exit status 1).
    pub fn is_check_failure(&self) -> bool {
        matches!(self, Self::CheckFailed(_))
    }
}

/// Adds what was being done to a failure.
pub trait Context<T> {
    /// `what` failed (an error keeps its cause; a missing value becomes the message).
    fn context(self, what: impl Into<String>) -> Result<T, BenchError>;

    /// [`Context::context`] with the text made only on failure.
    fn with_context<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T, BenchError>;
}

impl<T, E: StdError + Send + Sync + 'static> Context<T> for Result<T, E> {
    fn context(self, what: impl Into<String>) -> Result<T, BenchError> {
        self.map_err(|e| BenchError::Context {
            what: what.into(),
            cause: Box::new(e),
        })
    }

    fn with_context<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T, BenchError> {
        self.map_err(|e| BenchError::Context {
            what: what().into(),
            cause: Box::new(e),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, what: impl Into<String>) -> Result<T, BenchError> {
        self.ok_or_else(|| BenchError::Failed(what.into()))
    }

    fn with_context<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T, BenchError> {
        self.ok_or_else(|| BenchError::Failed(what().into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain as the binary prints it (`{:#}` of anyhow: each source after a `: `).
    fn chain(e: &dyn StdError) -> String {
        let mut text = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    }

    #[test]
    fn context_keeps_the_cause_as_the_source() {
        let io: Result<(), _> = Err(std::io::Error::other("disk full"));
        let e = io.context("cannot write out.jsonl").unwrap_err();
        assert_eq!(chain(&e), "cannot write out.jsonl: disk full");
        let nested: Result<(), BenchError> = Err(BenchError::failed("FORBIDDEN: no"));
        let e = nested.context("createListing").unwrap_err();
        assert_eq!(chain(&e), "createListing: FORBIDDEN: no");
        assert_eq!(
            None::<u8>.context("serverTime").unwrap_err().to_string(),
            "serverTime"
        );
        assert!(BenchError::CheckFailed("x".into()).is_check_failure());
        assert!(!e.is_check_failure());
    }
}
