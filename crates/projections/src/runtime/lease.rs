//! One active instance per projector.
//!
//! - **Postgres**: a session advisory lock, `pg_try_advisory_lock(lease_key(name))`, taken on a
//!   dedicated connection (outside the pool) that the holder keeps for as long as it runs. When
//!   the holder's process dies or its connection drops, Postgres ends the session and releases
//!   the lock; a standby, retrying every few seconds, takes it.
//! - **SQLite** (embedded, one process): an in-process lock per database file and name.
//!
//! [`Lease::waiter`] is the standby loop every leased task shares (projectors, the booking
//! worker, the notifications outbox): try, report standing by or retrying, sleep, until the
//! lease is taken, the task is told to stop, or the store fails for good.
//!
//! The lease is an efficiency measure, not the correctness guard: if two instances ever ran at
//! once (say, a holder that has not yet noticed its connection died), the store's version guard
//! still makes their writes idempotent and ordered per item.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use std::time::Duration;

use holdfast_eventstore::{EventStore, EventStoreError};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tokio::sync::{OwnedMutexGuard, watch};

use super::backoff::{Backoff, is_stopped, sleep_unless_stopped};

/// What one step of a [`LeaseWaiter`] came to.
#[derive(Debug)]
pub enum Waiting {
    /// The lease is ours.
    Taken(Lease),
    /// Another instance holds the lease; the next try is after the standby interval.
    Standby,
    /// The event store failed transiently (this error); the next try is after a backoff.
    Retrying(String),
    /// The stop signal came.
    Stopped,
}

/// The standby loop every leased task shares (see [`Lease::waiter`]):
///
/// ```ignore
/// let mut waiter = Lease::waiter(&events, "name", retry, backoff);
/// let lease = loop {
///     match waiter.next(&mut stop).await? {
///         Waiting::Taken(lease) => break lease,
///         Waiting::Stopped => return Ok(()),
///         Waiting::Standby | Waiting::Retrying(_) => { /* publish a status */ }
///     }
/// };
/// ```
pub struct LeaseWaiter<'a> {
    events: &'a EventStore,
    name: &'a str,
    standby_retry: Duration,
    backoff: Backoff,
    pause: Option<Duration>,
}

impl LeaseWaiter<'_> {
    /// Pauses as the previous step asked (returning [`Waiting::Stopped`] if `stop` fires
    /// meanwhile), then tries to take the lease once. A permanent store failure is an `Err`.
    pub async fn next(
        &mut self,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Waiting, EventStoreError> {
        if let Some(pause) = self.pause.take()
            && !sleep_unless_stopped(pause, stop).await
        {
            return Ok(Waiting::Stopped);
        }
        if is_stopped(stop) {
            return Ok(Waiting::Stopped);
        }
        match Lease::try_acquire(self.events, self.name).await {
            Ok(Some(lease)) => {
                self.backoff.reset();
                Ok(Waiting::Taken(lease))
            }
            Ok(None) => {
                self.backoff.reset();
                self.pause = Some(self.standby_retry);
                Ok(Waiting::Standby)
            }
            Err(e) if e.is_transient() => {
                self.pause = Some(self.backoff.next_delay());
                Ok(Waiting::Retrying(e.to_string()))
            }
            Err(e) => Err(e),
        }
    }
}

/// The advisory lock key of a lease name: FNV-1a 64-bit of its bytes (stable across builds,
/// platforms and Rust versions), as Postgres' signed bigint.
pub fn lease_key(name: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

type LocalLocks = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;

static LOCAL: LazyLock<LocalLocks> = LazyLock::new(|| Mutex::new(HashMap::new()));

enum Held {
    Postgres {
        conn: PgConnection,
        key: i64,
    },
    /// Held for as long as the lease lives; never read.
    Local {
        _guard: OwnedMutexGuard<()>,
    },
}

/// A held lease; released when dropped (or, on Postgres, when the connection dies).
pub struct Lease {
    name: String,
    held: Held,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease").field("name", &self.name).finish()
    }
}

impl Lease {
    /// Takes the lease `name` if nobody holds it (`Ok(None)` if somebody does).
    pub async fn try_acquire(
        events: &EventStore,
        name: &str,
    ) -> Result<Option<Lease>, EventStoreError> {
        if let Some(pool) = events.pg_pool() {
            let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
            let key = lease_key(name);
            let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(&mut conn)
                .await?;
            if got {
                Ok(Some(Lease {
                    name: name.to_owned(),
                    held: Held::Postgres { conn, key },
                }))
            } else {
                let _ = conn.close().await;
                Ok(None)
            }
        } else {
            let scope = events
                .sqlite_pool()
                .map(|p| p.connect_options().get_filename().display().to_string())
                .unwrap_or_default();
            let lock = {
                let mut locks = LOCAL.lock().unwrap_or_else(|e| e.into_inner());
                locks.entry(format!("{scope}\n{name}")).or_default().clone()
            };
            Ok(lock.try_lock_owned().ok().map(|guard| Lease {
                name: name.to_owned(),
                held: Held::Local { _guard: guard },
            }))
        }
    }

    /// The standby loop for the lease `name`: each [`LeaseWaiter::next`] pauses as the last
    /// outcome asks (`standby_retry` while another instance holds it, `backoff`'s next delay
    /// after a transient failure), then tries once.
    pub fn waiter<'a>(
        events: &'a EventStore,
        name: &'a str,
        standby_retry: Duration,
        backoff: Backoff,
    ) -> LeaseWaiter<'a> {
        LeaseWaiter {
            events,
            name,
            standby_retry,
            backoff,
            pause: None,
        }
    }

    /// The lease's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the lease is still held: on Postgres, whether its session still answers (a
    /// session-level advisory lock lives exactly as long as its session).
    pub async fn is_held(&mut self) -> bool {
        match &mut self.held {
            Held::Postgres { conn, .. } => conn.ping().await.is_ok(),
            Held::Local { .. } => true,
        }
    }

    /// Releases the lease now (dropping it does too, less politely on Postgres).
    pub async fn release(self) {
        if let Held::Postgres { mut conn, key } = self.held {
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(key)
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_keys_are_stable_and_distinct() {
        // FNV-1a 64 of the empty string is its offset basis.
        assert_eq!(lease_key(""), 0xcbf2_9ce4_8422_2325_u64 as i64);
        assert_eq!(
            lease_key("holdfast-projector:calendar"),
            lease_key("holdfast-projector:calendar")
        );
        assert_ne!(
            lease_key("holdfast-projector:calendar"),
            lease_key("holdfast-projector:search")
        );
    }
}
