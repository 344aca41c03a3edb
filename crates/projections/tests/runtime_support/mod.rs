//! Shared by the `runtime_*` tests: a tiny Counter aggregate written through cqrs-es into the
//! real event store (Postgres or SQLite), a projection of it, a fault-injecting wrapper around a
//! real read store, and helpers.
#![allow(dead_code)]

pub mod proxy;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use holdfast_eventstore::{EventStore, Position, StoreCqrs, StoredEvent};
use holdfast_projections::projection::{Projection, ProjectionError};
use holdfast_projections::runtime::{ProjectorOptions, ProjectorStatus};
use holdfast_projections::store::{
    Applied, Attrs, Item, Key, KeyQuery, Page, Patch, ReadStore, ReadStoreError, Table, TableRef,
};
use holdfast_testkit::{TestSqlite, fresh_postgres_database, fresh_sqlite_database};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::watch;

// ---------------------------------------------------------------- the aggregate

/// Adds to a running total.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counter {
    pub total: u64,
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

impl Aggregate for Counter {
    const TYPE: &'static str = "Counter";
    type Command = Add;
    type Event = CounterEvent;
    type Error = CounterError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Add,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), CounterError> {
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
    }
}

// ---------------------------------------------------------------- the projection

/// Per counter, a summary item `{count, last_sequence, last_event_type, total}` (absolute
/// values the event implies), and one item per event `{by}`.
pub struct CounterProjection;

pub const TABLE: Table = Table::Calendar;

pub fn summary_key(id: &str) -> Key {
    Key::new(format!("counter#{id}"), "summary")
}

impl Projection for CounterProjection {
    fn table(&self) -> Table {
        TABLE
    }

    fn patches(&self, event: &StoredEvent) -> Result<Vec<Patch>, ProjectionError> {
        if event.aggregate_type != Counter::TYPE {
            return Ok(Vec::new());
        }
        let CounterEvent::CounterAdded { by, total } =
            serde_json::from_value(event.payload.clone())
                .map_err(|e| ProjectionError::decode(event, e))?;
        let summary = Attrs::from([
            ("count".to_owned(), json!(event.sequence)),
            ("last_sequence".to_owned(), json!(event.sequence)),
            ("last_event_type".to_owned(), json!(event.event_type)),
            ("total".to_owned(), json!(total)),
        ]);
        let line = Attrs::from([("by".to_owned(), json!(by))]);
        Ok(vec![
            Patch::set(summary_key(&event.aggregate_id), summary),
            Patch::set(
                Key::new(
                    format!("counter#{}", event.aggregate_id),
                    format!("event#{:06}", event.sequence),
                ),
                line,
            ),
        ])
    }
}

pub fn projection() -> Arc<dyn Projection> {
    Arc::new(CounterProjection)
}

/// The counter projection writing `table` instead of [`TABLE`] (several read models of one log).
pub struct CounterOn(pub Table);

impl Projection for CounterOn {
    fn table(&self) -> Table {
        self.0
    }

    fn patches(&self, event: &StoredEvent) -> Result<Vec<Patch>, ProjectionError> {
        CounterProjection.patches(event)
    }
}

// ---------------------------------------------------------------- event store harness

/// A migrated event store on a fresh database.
pub struct Harness {
    pub store: EventStore,
    pub url: String,
    _sqlite: Option<TestSqlite>,
}

impl Harness {
    pub async fn postgres() -> Self {
        let db = fresh_postgres_database().await;
        let store = EventStore::open(&db.url).await.expect("open postgres");
        store.migrate().await.expect("migrate postgres");
        Self {
            store,
            url: db.url,
            _sqlite: None,
        }
    }

    pub async fn sqlite() -> Self {
        let db = fresh_sqlite_database();
        let store = EventStore::open(&db.url).await.expect("open sqlite");
        store.migrate().await.expect("migrate sqlite");
        Self {
            store,
            url: db.url.clone(),
            _sqlite: Some(db),
        }
    }

    /// The read store this event store is deployed with: DynamoDB Local (a fresh table
    /// prefix) beside Postgres, as in production; memory beside SQLite, as in the embedded
    /// default. Tests that take it therefore run on both stores.
    pub async fn read_store(&self) -> Arc<dyn ReadStore> {
        if self.store.pg_pool().is_some() {
            dynamo_store(&holdfast_testkit::dynamodb_endpoint()).await
        } else {
            Arc::new(holdfast_projections::store::memory::MemoryStore::new())
        }
    }

    /// A second handle on the same database (as another process would have).
    pub async fn reopen(&self) -> EventStore {
        EventStore::open(&self.url).await.expect("reopen")
    }

    pub fn cqrs(&self) -> StoreCqrs<Counter> {
        self.store.cqrs::<Counter>(())
    }

    /// `n` commands spread round-robin over `counters` counters named `{prefix}{i}`.
    pub async fn write(&self, prefix: &str, counters: usize, n: usize) {
        let cqrs = self.cqrs();
        for i in 0..n {
            let id = format!("{prefix}{}", i % counters);
            cqrs.execute(&id, Add(i as u64 + 1)).await.expect("execute");
        }
    }

    /// Every event of the log (waits up to 20 s for `n` to be readable).
    pub async fn events(&self, n: usize) -> Vec<StoredEvent> {
        let log = self.store.log();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let mut all = Vec::new();
            let mut after = Position::START;
            loop {
                let batch = log.read(after, 1000).await.expect("read");
                let Some(last) = batch.last() else { break };
                after = last.position;
                all.extend(batch);
            }
            if all.len() >= n || tokio::time::Instant::now() > deadline {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Inserts an event whose payload the projection cannot decode (raw SQL, as a buggy or
    /// future writer would).
    pub async fn insert_undecodable(&self, id: &str) {
        const PAYLOAD: &str = r#"{"CounterTeleported":{"to":"mars"}}"#;
        if let Some(pool) = self.store.pg_pool() {
            sqlx::query("INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) VALUES ('Counter', $1, 1, 'CounterTeleported', '1.0', $2::json, '{}')")
                .bind(id).bind(PAYLOAD).execute(pool).await.expect("insert");
        } else {
            let pool = self.store.sqlite_pool().expect("sqlite");
            sqlx::query("INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) VALUES ('Counter', ?1, 1, 'CounterTeleported', '1.0', ?2, '{}')")
                .bind(id).bind(PAYLOAD).execute(pool).await.expect("insert");
        }
    }
}

/// A DynamoDB store on `endpoint` (DynamoDB Local, or a [`proxy::TcpProxy`] before it) with a
/// fresh table prefix.
pub async fn dynamo_store(endpoint: &str) -> Arc<dyn ReadStore> {
    let settings = holdfast_projections::store::dynamo::DynamoSettings {
        endpoint: Some(endpoint.to_owned()),
        region: None,
    };
    let client = holdfast_projections::store::dynamo::client(&settings)
        .await
        .expect("DynamoDB client");
    Arc::new(holdfast_projections::store::dynamo::DynamoStore::new(
        client,
        holdfast_testkit::fresh_table_prefix(),
    ))
}

// ---------------------------------------------------------------- options and waiting

/// Small batches and short intervals, so tests exercise many batches and switch quickly.
pub fn fast_options() -> ProjectorOptions {
    ProjectorOptions {
        batch_size: 7,
        concurrency: 4,
        poll_interval: Duration::from_millis(50),
        idle_timeout: Duration::from_millis(100),
        lease_retry: Duration::from_millis(100),
        lease_check: Duration::from_millis(100),
        alias_check: Duration::from_millis(100),
        status_interval: Duration::from_millis(0),
        backoff_min: Duration::from_millis(5),
        backoff_max: Duration::from_millis(40),
    }
}

/// Waits (up to 30 s) until the status satisfies `pred`; panics with the last status otherwise.
pub async fn wait_status(
    rx: &mut watch::Receiver<ProjectorStatus>,
    what: &str,
    pred: impl Fn(&ProjectorStatus) -> bool,
) -> ProjectorStatus {
    let found = match tokio::time::timeout(Duration::from_secs(30), rx.wait_for(|s| pred(s))).await
    {
        Ok(Ok(s)) => Some(s.clone()),
        _ => None,
    };
    match found {
        Some(s) => s,
        None => panic!(
            "timed out waiting for {what}; last status {:?}",
            *rx.borrow()
        ),
    }
}

/// Every item of a table, sorted by key.
pub async fn scan(store: &dyn ReadStore, table: TableRef) -> Vec<Item> {
    let mut items = store.scan(table).await.expect("scan");
    items.sort_by(|a, b| a.key.cmp(&b.key));
    items
}

// ---------------------------------------------------------------- fault injection

/// A real store with faults injected: the next `fail_applies` applies and `fail_checkpoints`
/// checkpoint saves fail with a transient error; applies after `hang_after` successful ones
/// never complete (a process frozen mid-batch); `checkpoint_override` makes `checkpoint` answer
/// an older position (as after a crash that lost the last saves). Counts calls.
pub struct FaultyStore {
    pub inner: Arc<dyn ReadStore>,
    pub fail_applies: AtomicUsize,
    pub fail_checkpoints: AtomicUsize,
    pub injected: AtomicUsize,
    pub applies: AtomicUsize,
    pub hang_after: Option<usize>,
    pub checkpoint_override: std::sync::Mutex<Option<Position>>,
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn ReadStore>) -> Self {
        Self {
            inner,
            fail_applies: AtomicUsize::new(0),
            fail_checkpoints: AtomicUsize::new(0),
            injected: AtomicUsize::new(0),
            applies: AtomicUsize::new(0),
            hang_after: None,
            checkpoint_override: std::sync::Mutex::new(None),
        }
    }

    fn take_fault(&self, counter: &AtomicUsize) -> Result<(), ReadStoreError> {
        let took = counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if took {
            self.injected.fetch_add(1, Ordering::SeqCst);
            Err(ReadStoreError::Unavailable("injected fault".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl ReadStore for FaultyStore {
    async fn create_table(&self, table: TableRef) -> Result<(), ReadStoreError> {
        self.inner.create_table(table).await
    }
    async fn drop_table(&self, table: TableRef) -> Result<(), ReadStoreError> {
        self.inner.drop_table(table).await
    }
    async fn generations(&self, table: Table) -> Result<Vec<u32>, ReadStoreError> {
        self.inner.generations(table).await
    }
    async fn apply(
        &self,
        table: TableRef,
        position: Position,
        patches: Vec<Patch>,
    ) -> Result<Applied, ReadStoreError> {
        self.take_fault(&self.fail_applies)?;
        let n = self.applies.fetch_add(1, Ordering::SeqCst);
        if self.hang_after.is_some_and(|k| n >= k) {
            std::future::pending::<()>().await;
        }
        self.inner.apply(table, position, patches).await
    }
    async fn put_items(&self, table: TableRef, items: Vec<Item>) -> Result<(), ReadStoreError> {
        // A bulk load is a write like `apply`: the same injected faults and hangs.
        self.take_fault(&self.fail_applies)?;
        let n = self.applies.fetch_add(1, Ordering::SeqCst);
        if self.hang_after.is_some_and(|k| n >= k) {
            std::future::pending::<()>().await;
        }
        self.inner.put_items(table, items).await
    }
    async fn get(&self, table: TableRef, key: &Key) -> Result<Option<Item>, ReadStoreError> {
        self.inner.get(table, key).await
    }
    async fn query(&self, table: TableRef, query: &KeyQuery) -> Result<Page, ReadStoreError> {
        self.inner.query(table, query).await
    }
    async fn scan(&self, table: TableRef) -> Result<Vec<Item>, ReadStoreError> {
        self.inner.scan(table).await
    }
    async fn alias(&self, table: Table) -> Result<Option<u32>, ReadStoreError> {
        self.inner.alias(table).await
    }
    async fn set_alias(&self, table: Table, generation: u32) -> Result<(), ReadStoreError> {
        self.inner.set_alias(table, generation).await
    }
    async fn checkpoint(&self, table: TableRef) -> Result<Option<Position>, ReadStoreError> {
        let forced = *self.checkpoint_override.lock().unwrap();
        match forced {
            Some(p) => Ok(Some(p)),
            None => self.inner.checkpoint(table).await,
        }
    }
    async fn save_checkpoint(
        &self,
        table: TableRef,
        position: Position,
    ) -> Result<(), ReadStoreError> {
        self.take_fault(&self.fail_checkpoints)?;
        self.inner.save_checkpoint(table, position).await
    }
}
