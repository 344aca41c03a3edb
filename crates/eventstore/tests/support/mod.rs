//! A minimal aggregate and one harness per backend for the event store contract tests.

use std::sync::Arc;
use std::time::Duration;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use holdfast_eventstore::{EventStore, Position, StoredEvent, TailerOptions};
use holdfast_testkit::{TestSqlite, fresh_postgres_database, fresh_sqlite_database};
use serde::{Deserialize, Serialize};
use tokio::sync::Barrier;

/// Adds to a running total.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counter {
    pub total: u64,
    pub commands: u64,
}

#[derive(Debug)]
pub struct Add(pub u64);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CounterEvent {
    CounterAdded { by: u64, total: u64 },
}

impl DomainEvent for CounterEvent {
    fn event_type(&self) -> String {
        "CounterAdded".into()
    }
    fn event_version(&self) -> String {
        "1.0".into()
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("counter error")]
pub struct CounterError;

/// Services: an optional barrier every `handle` waits at after loading and before committing,
/// to force racing commands to load the same version.
#[derive(Clone, Default)]
pub struct CounterServices(pub Option<Arc<Barrier>>);

impl Aggregate for Counter {
    const TYPE: &'static str = "Counter";
    type Command = Add;
    type Event = CounterEvent;
    type Error = CounterError;
    type Services = CounterServices;

    async fn handle(
        &mut self,
        command: Add,
        services: &CounterServices,
        sink: &EventSink<Self>,
    ) -> Result<(), CounterError> {
        if let Some(barrier) = &services.0 {
            barrier.wait().await;
        }
        let total = self.total + command.0;
        sink.write(
            CounterEvent::CounterAdded {
                by: command.0,
                total,
            },
            self,
        )
        .await;
        Ok(())
    }

    fn apply(&mut self, event: CounterEvent) {
        let CounterEvent::CounterAdded { total, .. } = event;
        self.total = total;
        self.commands += 1;
    }
}

/// A transaction that has appended an event but not committed.
pub enum OpenAppend {
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

impl OpenAppend {
    pub async fn commit(self) {
        match self {
            OpenAppend::Postgres(tx) => tx.commit().await.unwrap(),
            OpenAppend::Sqlite(tx) => tx.commit().await.unwrap(),
        }
    }
}

const RAW_INSERT_PG: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) VALUES ('Counter', $1, 1, 'CounterAdded', '1.0', '{\"CounterAdded\":{\"by\":1,\"total\":1}}', '{}')";
const RAW_INSERT_SQLITE: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) VALUES ('Counter', ?1, 1, 'CounterAdded', '1.0', '{\"CounterAdded\":{\"by\":1,\"total\":1}}', '{}')";

/// A migrated store on a fresh database of one backend.
pub struct Harness {
    pub store: EventStore,
    _sqlite: Option<TestSqlite>,
}

impl Harness {
    pub async fn postgres() -> Self {
        let db = fresh_postgres_database().await;
        let store = EventStore::open(&db.url)
            .await
            .expect("open postgres store");
        store.migrate().await.expect("migrate postgres");
        Self {
            store,
            _sqlite: None,
        }
    }

    pub async fn sqlite() -> Self {
        let db = fresh_sqlite_database();
        let store = EventStore::open(&db.url).await.expect("open sqlite store");
        store.migrate().await.expect("migrate sqlite");
        Self {
            store,
            _sqlite: Some(db),
        }
    }

    /// Begins a transaction, appends one event for `aggregate_id` in it, and leaves it open.
    pub async fn open_append(&self, aggregate_id: &str) -> OpenAppend {
        if let Some(pool) = self.store.pg_pool() {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(RAW_INSERT_PG)
                .bind(aggregate_id)
                .execute(&mut *tx)
                .await
                .unwrap();
            OpenAppend::Postgres(tx)
        } else {
            let pool = self.store.sqlite_pool().unwrap();
            let mut tx = pool.begin().await.unwrap();
            sqlx::query(RAW_INSERT_SQLITE)
                .bind(aggregate_id)
                .execute(&mut *tx)
                .await
                .unwrap();
            OpenAppend::Sqlite(tx)
        }
    }

    /// Reads the log from `after` until `n` events have come or 20 s pass (other tests' open
    /// transactions on the same Postgres server can delay what is readable).
    pub async fn read_n(&self, after: Position, n: usize) -> Vec<StoredEvent> {
        let mut tailer = self.store.tail(
            after,
            TailerOptions {
                batch_size: 7,
                ..TailerOptions::default()
            },
        );
        let mut events = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while events.len() < n && tokio::time::Instant::now() < deadline {
            events.extend(
                tailer
                    .next_batch_within(deadline - tokio::time::Instant::now())
                    .await
                    .unwrap(),
            );
        }
        events
    }
}
