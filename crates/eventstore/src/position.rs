//! Positions in the event log and the events read at them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A place in the global, commit-safe order of the log.
///
/// On Postgres it is `(transaction id, global_position)`; on SQLite, where position order is
/// commit order, `tx` is always 0. Positions of one store compare in log order. Written as
/// `tx.index` (e.g. `1234.98765`), which is how checkpoints and consistency tokens carry it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Position {
    /// The writing transaction's id (Postgres `xid8`), 0 on SQLite.
    pub tx: u64,
    /// The event's global position (identity column / SQLite position).
    pub index: u64,
}

impl Position {
    /// Before the first event.
    pub const START: Position = Position { tx: 0, index: 0 };

    /// A position from its two parts.
    pub fn new(tx: u64, index: u64) -> Self {
        Self { tx, index }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.tx, self.index)
    }
}

/// Text that is not a position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a log position (expected <tx>.<index>, e.g. 0.42)")]
pub struct PositionParseError(pub String);

impl FromStr for Position {
    type Err = PositionParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PositionParseError(s.chars().take(64).collect());
        let (tx, index) = s.split_once('.').ok_or_else(err)?;
        Ok(Self {
            tx: tx.parse().map_err(|_| err())?,
            index: index.parse().map_err(|_| err())?,
        })
    }
}

/// One event as read from the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Where it is in the log.
    pub position: Position,
    /// `Aggregate::TYPE` of its aggregate.
    pub aggregate_type: String,
    /// Its aggregate's id.
    pub aggregate_id: String,
    /// Its place in the aggregate's own stream (1-based).
    pub sequence: u64,
    /// The event's type name.
    pub event_type: String,
    /// The event's schema version.
    pub event_version: String,
    /// The serialised event.
    pub payload: Value,
    /// Metadata recorded with it (idempotency key, user, …).
    pub metadata: Value,
    /// When the store recorded it.
    pub recorded_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_order_by_transaction_then_index_and_round_trip() {
        let a = Position::new(7, 100);
        let b = Position::new(8, 3);
        assert!(Position::START < a && a < b);
        assert_eq!("8.3".parse::<Position>(), Ok(b));
        assert_eq!(b.to_string(), "8.3");
        assert!("8".parse::<Position>().is_err());
        assert!("x.1".parse::<Position>().is_err());
    }
}
