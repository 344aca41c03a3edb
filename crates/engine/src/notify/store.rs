//! The outbox's tables on the event store's database (migration `0004`, both backends):
//! `notification_cursors` (per sink, the log position up to which notifications were
//! enqueued) and `notification_deliveries` (one row per sink and notification).
//!
//! - [`OutboxStore::enqueue`] inserts deliveries with insert-or-ignore **and** advances the
//!   cursors in one transaction, guarded by compare-and-set on each cursor: a restart resumes
//!   exactly after the last enqueued event, and two writers can never both advance a cursor.
//! - [`OutboxStore::due`], [`OutboxStore::delivered`], [`OutboxStore::failed`]: the sender.
//! - [`OutboxStore::list`], [`OutboxStore::retry`]: what operators see and do.
//!
//! Every statement is written once with `$n` placeholders and runs through [`Db`] on either
//! backend: instants are `timestamptz` on Postgres and fixed-width RFC 3339 text on SQLite,
//! payloads `jsonb` or JSON text ([`Arg`] encodes them, [`DbRow`] decodes them).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use holdfast_eventstore::{Arg, Db, DbRow, EventStore, Position};
use serde_json::Value;

use super::NotifyError;
use super::kind::{Notification, NotificationKind};
use super::sink::LOG_SINK;

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Waiting to be sent at `next_attempt_at`.
    Pending,
    /// Acknowledged (2xx): never sent again.
    Delivered,
    /// Gave up after the maximum attempts; an operator may retry it.
    Dead,
}

impl DeliveryStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Dead]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One row of `notification_deliveries`.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The sink's name.
    pub sink: String,
    /// The notification (`<booking id>:<sequence>`).
    pub notification_id: String,
    /// The booking's tenant.
    pub tenant_id: String,
    /// The booking.
    pub booking_id: String,
    /// What it tells.
    pub kind: NotificationKind,
    /// What is sent.
    pub payload: Value,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it is (or was) due.
    pub next_attempt_at: DateTime<Utc>,
    /// What went wrong last.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
    /// When it was acknowledged.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The source event's log position.
    pub position: Position,
}

/// Which deliveries to list.
#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    /// Only this status.
    pub status: Option<DeliveryStatus>,
    /// Only this tenant's.
    pub tenant_id: Option<String>,
    /// Only this sink's.
    pub sink: Option<String>,
    /// Only this notification's.
    pub notification_id: Option<String>,
}

/// A place in a listing (log order, then sink): `<tx>.<index>/<sink>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListCursor {
    /// The source event's position.
    pub position: Position,
    /// The sink.
    pub sink: String,
}

impl ListCursor {
    /// The cursor after `delivery`.
    pub fn after(delivery: &Delivery) -> Self {
        Self {
            position: delivery.position,
            sink: delivery.sink.clone(),
        }
    }

    /// Parses `<tx>.<index>/<sink>`.
    pub fn parse(text: &str) -> Option<Self> {
        let (position, sink) = text.split_once('/')?;
        Some(Self {
            position: position.parse().ok()?,
            sink: sink.to_owned(),
        })
    }
}

impl std::fmt::Display for ListCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.position, self.sink)
    }
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

const COLUMNS: &str = "sink, notification_id, tenant_id, booking_id, kind, payload, status, attempts, next_attempt_at, last_error, created_at, delivered_at, log_tx, log_index";

fn corrupt(what: &str, detail: impl std::fmt::Display) -> NotifyError {
    NotifyError::Corrupt(format!("{what}: {detail}"))
}

fn kind_of(text: &str) -> Result<NotificationKind, NotifyError> {
    text.parse()
        .map_err(|e| corrupt("notification_deliveries.kind", e))
}

fn status_of(text: &str) -> Result<DeliveryStatus, NotifyError> {
    DeliveryStatus::parse(text).ok_or_else(|| corrupt("notification_deliveries.status", text))
}

fn position_of(tx: i64, index: i64) -> Position {
    Position::new(
        u64::try_from(tx).unwrap_or(0),
        u64::try_from(index).unwrap_or(0),
    )
}

fn delivery(row: &DbRow) -> Result<Delivery, NotifyError> {
    Ok(Delivery {
        sink: row.get("sink")?,
        notification_id: row.get("notification_id")?,
        tenant_id: row.get("tenant_id")?,
        booking_id: row.get("booking_id")?,
        kind: kind_of(&row.get::<String>("kind")?)?,
        payload: row.json("payload")?,
        status: status_of(&row.get::<String>("status")?)?,
        attempts: u32::try_from(row.integer("attempts")?).unwrap_or(0),
        next_attempt_at: row.instant("next_attempt_at")?,
        last_error: row.get("last_error")?,
        created_at: row.instant("created_at")?,
        delivered_at: row.optional_instant("delivered_at")?,
        position: position_of(row.get("log_tx")?, row.get("log_index")?),
    })
}

/// The outbox's tables.
#[derive(Clone)]
pub struct OutboxStore {
    db: Db,
}

impl OutboxStore {
    /// The tables of `store`'s database.
    pub fn new(store: &EventStore) -> Self {
        Self {
            db: store.db().clone(),
        }
    }

    async fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64, NotifyError> {
        Ok(self.db.execute(sql, args).await?)
    }

    async fn deliveries(&self, sql: &str, args: &[Arg]) -> Result<Vec<Delivery>, NotifyError> {
        self.db
            .fetch_all(sql, args)
            .await?
            .iter()
            .map(delivery)
            .collect()
    }

    /// Every sink's cursor.
    pub async fn cursors(&self) -> Result<HashMap<String, Position>, NotifyError> {
        let rows: Vec<(String, i64, i64)> = self
            .db
            .fetch_all_as(
                "SELECT sink, log_tx, log_index FROM notification_cursors",
                &[],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(sink, tx, index)| (sink, position_of(tx, index)))
            .collect())
    }

    /// Gives `sink` a cursor at `at` unless it has one; returns the sink's cursor.
    pub async fn init_cursor(
        &self,
        sink: &str,
        at: Position,
        now: DateTime<Utc>,
    ) -> Result<Position, NotifyError> {
        self.execute(
            "INSERT INTO notification_cursors (sink, log_tx, log_index, updated_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[
                Arg::Text(sink.to_owned()),
                Arg::Int(int(at.tx)),
                Arg::Int(int(at.index)),
                Arg::At(now),
            ],
        )
        .await?;
        self.cursors()
            .await?
            .get(sink)
            .copied()
            .ok_or_else(|| corrupt("notification_cursors", format!("{sink} vanished")))
    }

    /// In one transaction: for each `(sink, cursor)`, inserts (insert-or-ignore) a pending
    /// delivery of every notification after the sink's cursor, and moves the cursor to
    /// `upto` — only if it still is `cursor` (else nothing is written and the result is
    /// [`NotifyError::CursorMoved`]). Returns how many deliveries were inserted.
    pub async fn enqueue(
        &self,
        cursors: &[(String, Position)],
        notifications: &[Notification],
        upto: Position,
        now: DateTime<Utc>,
    ) -> Result<u64, NotifyError> {
        const MOVE: &str =
            "UPDATE notification_cursors SET log_tx = $4, log_index = $5, updated_at = $6
             WHERE sink = $1 AND log_tx = $2 AND log_index = $3";
        const INSERT: &str = "INSERT INTO notification_deliveries
             (sink, notification_id, tenant_id, booking_id, kind, payload, status, attempts,
              next_attempt_at, created_at, log_tx, log_index)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $8, $9)
             ON CONFLICT DO NOTHING";
        let mut statements: Vec<(&str, Vec<Arg>, bool)> = Vec::new();
        for (sink, cursor) in cursors {
            if upto <= *cursor {
                continue;
            }
            statements.push((
                MOVE,
                vec![
                    Arg::Text(sink.clone()),
                    Arg::Int(int(cursor.tx)),
                    Arg::Int(int(cursor.index)),
                    Arg::Int(int(upto.tx)),
                    Arg::Int(int(upto.index)),
                    Arg::At(now),
                ],
                true,
            ));
            for n in notifications.iter().filter(|n| n.position > *cursor) {
                statements.push((
                    INSERT,
                    vec![
                        Arg::Text(sink.clone()),
                        Arg::Text(n.id.clone()),
                        Arg::Text(n.tenant_id.clone()),
                        Arg::Text(n.booking_id.clone()),
                        Arg::Text(n.kind.as_str().to_owned()),
                        Arg::Json(n.payload.clone()),
                        Arg::At(now),
                        Arg::Int(int(n.position.tx)),
                        Arg::Int(int(n.position.index)),
                    ],
                    false,
                ));
            }
        }
        if statements.is_empty() {
            return Ok(0);
        }
        let mut inserted = 0;
        let mut tx = self.db.begin().await?;
        for (sql, args, guard) in &statements {
            let n = tx.execute(*sql, args).await?;
            if *guard && n != 1 {
                tx.rollback().await?;
                return Err(NotifyError::CursorMoved);
            }
            if !*guard {
                inserted += n;
            }
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// Queues a message that no event gives (a verification, reset or invitation link): one
    /// pending delivery per sink any outbox has registered, and the log sink, at log position
    /// 0.0, with no tenant or booking (so operators never list it), carrying the `account_id`
    /// it goes to, if any (so forgetting the account deletes it). Returns the notification id.
    pub async fn enqueue_message(
        &self,
        account_id: Option<&str>,
        kind: NotificationKind,
        payload: Value,
        now: DateTime<Utc>,
    ) -> Result<String, NotifyError> {
        const INSERT: &str = "INSERT INTO notification_deliveries
             (sink, notification_id, tenant_id, booking_id, kind, payload, status, attempts,
              next_attempt_at, created_at, log_tx, log_index, account_id)
             VALUES ($1, $2, '', '', $3, $4, 'pending', 0, $7, $5, 0, 0, $6)";
        // Due at once by whichever clock the outbox reads (an application clock set ahead,
        // as tests do, must not leave it waiting).
        let due = now.min(Utc::now());
        let id = format!("{}:{}", kind.as_str(), ulid::Ulid::new());
        let mut sinks: Vec<String> = self.cursors().await?.into_keys().collect();
        if !sinks.iter().any(|s| s == LOG_SINK) {
            sinks.push(LOG_SINK.to_owned());
        }
        let mut payload = payload;
        if let Value::Object(map) = &mut payload {
            map.insert("id".into(), Value::String(id.clone()));
            map.insert("kind".into(), Value::String(kind.as_str().into()));
            if let Some(account) = account_id {
                map.insert("account_id".into(), Value::String(account.into()));
            }
        }
        let mut tx = self.db.begin().await?;
        for sink in sinks {
            tx.execute(
                INSERT,
                &[
                    Arg::Text(sink),
                    Arg::Text(id.clone()),
                    Arg::Text(kind.as_str().to_owned()),
                    Arg::Json(payload.clone()),
                    Arg::At(now),
                    Arg::TextOrNull(account_id.map(str::to_owned)),
                    Arg::At(due),
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Up to `limit` pending deliveries of `sinks` due at `now`, earliest first.
    pub async fn due(
        &self,
        sinks: &[String],
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Delivery>, NotifyError> {
        if sinks.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec![Arg::At(now), Arg::Int(int(limit as u64))];
        let placeholders: Vec<String> = sinks
            .iter()
            .map(|s| {
                args.push(Arg::Text(s.clone()));
                format!("${}", args.len())
            })
            .collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM notification_deliveries
              WHERE status = 'pending' AND next_attempt_at <= $1 AND sink IN ({})
              ORDER BY next_attempt_at, log_tx, log_index, sink
              LIMIT $2",
            placeholders.join(", ")
        );
        self.deliveries(&sql, &args).await
    }

    /// When the earliest pending delivery of `sinks` is due.
    pub async fn next_due(&self, sinks: &[String]) -> Result<Option<DateTime<Utc>>, NotifyError> {
        let mut args = vec![Arg::Int(1)];
        let placeholders: Vec<String> = sinks
            .iter()
            .map(|s| {
                args.push(Arg::Text(s.clone()));
                format!("${}", args.len())
            })
            .collect();
        if placeholders.is_empty() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM notification_deliveries
              WHERE status = 'pending' AND sink IN ({})
              ORDER BY next_attempt_at LIMIT $1",
            placeholders.join(", ")
        );
        Ok(self
            .deliveries(&sql, &args)
            .await?
            .first()
            .map(|d| d.next_attempt_at))
    }

    /// Marks a delivery acknowledged after `attempts` attempts.
    pub async fn delivered(
        &self,
        sink: &str,
        notification_id: &str,
        attempts: u32,
        now: DateTime<Utc>,
    ) -> Result<(), NotifyError> {
        self.execute(
            "UPDATE notification_deliveries
                SET status = 'delivered', attempts = $3, delivered_at = $4, last_error = NULL
              WHERE sink = $1 AND notification_id = $2 AND status = 'pending'",
            &[
                Arg::Text(sink.to_owned()),
                Arg::Text(notification_id.to_owned()),
                Arg::Int(i64::from(attempts)),
                Arg::At(now),
            ],
        )
        .await?;
        Ok(())
    }

    /// Records a failed attempt: pending again at `retry_at`, or dead when `None`.
    pub async fn failed(
        &self,
        sink: &str,
        notification_id: &str,
        attempts: u32,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<(), NotifyError> {
        let error: String = error.chars().take(1000).collect();
        match retry_at {
            Some(at) => {
                self.execute(
                    "UPDATE notification_deliveries
                        SET attempts = $3, last_error = $4, next_attempt_at = $5
                      WHERE sink = $1 AND notification_id = $2 AND status = 'pending'",
                    &[
                        Arg::Text(sink.to_owned()),
                        Arg::Text(notification_id.to_owned()),
                        Arg::Int(i64::from(attempts)),
                        Arg::Text(error),
                        Arg::At(at),
                    ],
                )
                .await?
            }
            None => {
                self.execute(
                    "UPDATE notification_deliveries
                        SET status = 'dead', attempts = $3, last_error = $4
                      WHERE sink = $1 AND notification_id = $2 AND status = 'pending'",
                    &[
                        Arg::Text(sink.to_owned()),
                        Arg::Text(notification_id.to_owned()),
                        Arg::Int(i64::from(attempts)),
                        Arg::Text(error),
                    ],
                )
                .await?
            }
        };
        Ok(())
    }

    /// Deliveries matching `filter` in log order (then sink), after `after`, at most `limit`.
    pub async fn list(
        &self,
        filter: &DeliveryFilter,
        after: Option<&ListCursor>,
        limit: usize,
    ) -> Result<Vec<Delivery>, NotifyError> {
        let mut args = Vec::new();
        let mut conditions = Vec::new();
        let mut push = |args: &mut Vec<Arg>, column: &str, value: Arg| {
            args.push(value);
            conditions.push(format!("{column} = ${}", args.len()));
        };
        if let Some(status) = filter.status {
            push(&mut args, "status", Arg::Text(status.as_str().to_owned()));
        }
        if let Some(tenant) = &filter.tenant_id {
            push(&mut args, "tenant_id", Arg::Text(tenant.clone()));
        }
        if let Some(sink) = &filter.sink {
            push(&mut args, "sink", Arg::Text(sink.clone()));
        }
        if let Some(id) = &filter.notification_id {
            push(&mut args, "notification_id", Arg::Text(id.clone()));
        }
        if let Some(cursor) = after {
            args.push(Arg::Int(int(cursor.position.tx)));
            args.push(Arg::Int(int(cursor.position.index)));
            args.push(Arg::Text(cursor.sink.clone()));
            let n = args.len();
            conditions.push(format!(
                "(log_tx > ${a} OR (log_tx = ${a} AND (log_index > ${b} OR (log_index = ${b} AND sink > ${c}))))",
                a = n - 2,
                b = n - 1,
                c = n
            ));
        }
        args.push(Arg::Int(int(limit as u64)));
        let sql = format!(
            "SELECT {COLUMNS} FROM notification_deliveries {} ORDER BY log_tx, log_index, sink LIMIT ${}",
            if conditions.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", conditions.join(" AND "))
            },
            args.len()
        );
        self.deliveries(&sql, &args).await
    }

    /// Sends the dead deliveries of `notification_id` (of one `sink`, or every sink) again:
    /// pending, attempts back to 0 (the last error is kept until the next attempt), due at the
    /// earlier of `now` and its last due time — which the sender's clock has already passed,
    /// so the retry goes out at once even when the caller's clock is not the sender's (a
    /// controlled domain clock). Returns the deliveries retried.
    pub async fn retry(
        &self,
        notification_id: &str,
        sink: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Delivery>, NotifyError> {
        let filter = DeliveryFilter {
            status: Some(DeliveryStatus::Dead),
            sink: sink.map(str::to_owned),
            notification_id: Some(notification_id.to_owned()),
            ..DeliveryFilter::default()
        };
        let dead = self.list(&filter, None, 1000).await?;
        let mut retried = Vec::new();
        for delivery in dead {
            let n = self
                .execute(
                    "UPDATE notification_deliveries
                        SET status = 'pending', attempts = 0,
                            next_attempt_at = CASE WHEN next_attempt_at < $3
                                                   THEN next_attempt_at ELSE $3 END
                      WHERE sink = $1 AND notification_id = $2 AND status = 'dead'",
                    &[
                        Arg::Text(delivery.sink.clone()),
                        Arg::Text(delivery.notification_id.clone()),
                        Arg::At(now),
                    ],
                )
                .await?;
            if n == 1 {
                retried.push(Delivery {
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    next_attempt_at: delivery.next_attempt_at.min(now),
                    ..delivery
                });
            }
        }
        Ok(retried)
    }
}
