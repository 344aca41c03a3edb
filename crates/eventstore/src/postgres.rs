//! The Postgres log reader: gap-safe order from `(tx_id, global_position)` below the oldest
//! running transaction, and wake-ups from `LISTEN holdfast_events`.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgRow};
use sqlx::{PgPool, Row};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::EventStoreError;
use crate::log::{EventLog, Wakeup};
use crate::position::{Position, StoredEvent};

/// The channel the `events_notify` trigger notifies on every committing append.
pub const NOTIFY_CHANNEL: &str = "holdfast_events";

// One statement, so the visibility of rows and `pg_current_snapshot()` are the same snapshot:
// every transaction below its xmin has ended, so every row sorting before the last one returned
// is already visible, and none can appear later.
const READ: &str = "
SELECT tx_id::text AS tx, global_position, aggregate_type, aggregate_id, sequence,
       event_type, event_version, payload, metadata, recorded_at
  FROM events
 WHERE (tx_id, global_position) > ($1::text::xid8, $2)
   AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY tx_id, global_position
 LIMIT $3";

const HEAD: &str = "
SELECT tx_id::text AS tx, global_position
  FROM events
 WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY tx_id DESC, global_position DESC
 LIMIT 1";

/// [`EventLog`] on Postgres.
pub struct PgEventLog {
    pool: PgPool,
    wakeup: Wakeup,
    listener: JoinHandle<()>,
}

impl PgEventLog {
    /// A reader on `pool`, with a background listener that turns notifications into wake-ups.
    /// Local commits are announced through `wakeup` too.
    pub fn new(pool: PgPool, wakeup: Wakeup) -> Self {
        let listener = tokio::spawn(listen(pool.clone(), wakeup.clone()));
        Self {
            pool,
            wakeup,
            listener,
        }
    }
}

impl Drop for PgEventLog {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

async fn listen(pool: PgPool, wakeup: Wakeup) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let listener = async {
            let mut listener = PgListener::connect_with(&pool).await?;
            listener.listen(NOTIFY_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        match listener.await {
            Ok(mut listener) => {
                backoff = Duration::from_millis(100);
                // Anything committed while we were not listening must be read.
                wakeup.notify();
                loop {
                    match listener.try_recv().await {
                        Ok(Some(_)) => wakeup.notify(),
                        // Connection lost: sqlx reconnects on the next call; notifications sent
                        // in between are lost, so wake tailers to re-read.
                        Ok(None) => wakeup.notify(),
                        Err(e) => {
                            tracing::warn!(error = %e, "event log listener failed; reconnecting");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "cannot LISTEN for new events");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// The log position of a row with `tx` and `global_position` columns.
pub(crate) fn position(row: &PgRow) -> Result<Position, EventStoreError> {
    let tx: String = row.try_get("tx")?;
    let index: i64 = row.try_get("global_position")?;
    let corrupt = |reason: String| EventStoreError::Corrupt {
        position: format!("{tx}.{index}"),
        reason,
    };
    Ok(Position::new(
        tx.parse()
            .map_err(|e| corrupt(format!("transaction id: {e}")))?,
        u64::try_from(index).map_err(|e| corrupt(format!("global position: {e}")))?,
    ))
}

pub(crate) fn stored_event(row: &PgRow) -> Result<StoredEvent, EventStoreError> {
    let position = position(row)?;
    let sequence: i64 = row.try_get("sequence")?;
    Ok(StoredEvent {
        position,
        aggregate_type: row.try_get("aggregate_type")?,
        aggregate_id: row.try_get("aggregate_id")?,
        sequence: u64::try_from(sequence).map_err(|e| EventStoreError::Corrupt {
            position: position.to_string(),
            reason: format!("sequence: {e}"),
        })?,
        event_type: row.try_get("event_type")?,
        event_version: row.try_get("event_version")?,
        payload: row.try_get("payload")?,
        metadata: row.try_get("metadata")?,
        recorded_at: row.try_get("recorded_at")?,
    })
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl EventLog for PgEventLog {
    async fn read(&self, after: Position, n: usize) -> Result<Vec<StoredEvent>, EventStoreError> {
        sqlx::query(READ)
            .bind(after.tx.to_string())
            .bind(i64::try_from(after.index).unwrap_or(i64::MAX))
            .bind(limit(n))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(stored_event)
            .collect()
    }

    async fn head(&self) -> Result<Position, EventStoreError> {
        match sqlx::query(HEAD).fetch_optional(&self.pool).await? {
            Some(row) => position(&row),
            None => Ok(Position::START),
        }
    }

    fn wakeups(&self) -> watch::Receiver<u64> {
        self.wakeup.subscribe()
    }
}
