//! The change feed: ONE tailer of the event log per [`ChangeFeed`] (each [`crate::Engine`]
//! has one), broadcasting every stored event to live subscriptions (the API's GraphQL
//! subscriptions), which filter it.
//!
//! - **Lazy**: the tailer starts with the first subscriber, from the log's head at that moment,
//!   and stops once it finds nobody listening; the next subscriber starts it again.
//! - **Gap-free from subscription**: [`ChangeFeed::subscribe`] returns a receiver of every event
//!   after [`Subscription::from`], a position at or after which the subscriber may read its
//!   read model ([`Subscription::from`] ≤ the log's head when `subscribe` returned), so a
//!   subscriber that reads the read model once it has applied `from`, then follows the
//!   receiver, misses nothing.
//! - **Bounded**: the channel holds [`CAPACITY`] events; a subscriber that falls further behind
//!   gets [`FeedItem::Lagged`] and re-syncs by re-reading its read model instead of failing.
//! - **Resilient**: a log read that fails is retried with backoff from the same position, so
//!   subscribers see a delay, never a gap.

use std::sync::{Arc, Weak};
use std::time::Duration;

use holdfast_eventstore::{EventStore, EventStoreError, Position, StoredEvent, TailerOptions};
use tokio::sync::{Mutex, broadcast};

/// Events the channel holds for a slow subscriber before it lags.
pub const CAPACITY: usize = 4_096;

/// How long the tailer waits for events before checking whether anyone still listens.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// Longest pause between retries of a failing log read.
const MAX_RETRY: Duration = Duration::from_secs(2);

/// Fans the event log out to subscribers. Cheap to clone (shared).
#[derive(Clone)]
pub struct ChangeFeed {
    inner: Arc<Inner>,
}

struct Inner {
    store: EventStore,
    sender: broadcast::Sender<Arc<StoredEvent>>,
    /// Whether a tailer runs. Taken by `subscribe` (to start one) and by the tailer (to stop
    /// when nobody listens), so a subscriber never joins a tailer that is about to stop.
    running: Mutex<bool>,
}

/// A subscriber's end of the feed.
pub struct Subscription {
    /// Every event after `from` arrives here, in log order.
    pub receiver: broadcast::Receiver<Arc<StoredEvent>>,
    /// The log's head when the subscription started: read models that have applied this
    /// position, plus what the receiver delivers, are the complete picture.
    pub from: Position,
    /// An event received while handling a lag, returned by the next [`Self::next`].
    pending: Option<Arc<StoredEvent>>,
}

/// What [`Subscription::next`] yields.
#[derive(Debug)]
pub enum FeedItem {
    /// The next event.
    Event(Arc<StoredEvent>),
    /// The subscriber fell more than [`CAPACITY`] events behind and lost some, all of them
    /// before `upto`: re-read the read model once it has applied `upto`, then go on (the
    /// event at `upto` comes next; it is already reflected then).
    Lagged {
        /// The oldest event the channel still held.
        upto: Position,
    },
    /// The feed has shut down (the server is stopping).
    Closed,
}

impl ChangeFeed {
    /// A feed over `store`'s log. Nothing runs until the first [`Self::subscribe`].
    pub fn new(store: EventStore) -> Self {
        Self::with_capacity(store, CAPACITY)
    }

    /// A feed whose channel holds `capacity` events (at least 1) per slow subscriber.
    pub fn with_capacity(store: EventStore, capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self {
            inner: Arc::new(Inner {
                store,
                sender,
                running: Mutex::new(false),
            }),
        }
    }

    /// Subscribes to every event after the log's current head, starting the tailer if needed.
    pub async fn subscribe(&self) -> Result<Subscription, EventStoreError> {
        let mut running = self.inner.running.lock().await;
        let log = self.inner.store.log();
        if !*running {
            // Subscribe before reading the head, and start the tailer from that head: the
            // receiver then gets everything after it.
            let receiver = self.inner.sender.subscribe();
            let head = log.head().await?;
            let tailer = self.inner.store.tail(head, TailerOptions::default());
            tokio::spawn(run(Arc::downgrade(&self.inner), tailer));
            *running = true;
            tracing::debug!(from = %head, "change feed started");
            return Ok(Subscription {
                receiver,
                from: head,
                pending: None,
            });
        }
        // The tailer runs: everything it sends from now on reaches this receiver, and what it
        // has not sent yet lies after the position it has reached, which is ≤ the head read
        // below.
        let receiver = self.inner.sender.subscribe();
        let head = log.head().await?;
        Ok(Subscription {
            receiver,
            from: head,
            pending: None,
        })
    }

    /// How many subscribers listen now.
    pub fn subscribers(&self) -> usize {
        self.inner.sender.receiver_count()
    }

    /// Whether a tailer runs now.
    pub async fn is_running(&self) -> bool {
        *self.inner.running.lock().await
    }
}

impl Subscription {
    /// The next event, a lag notice, or the end of the feed.
    pub async fn next(&mut self) -> FeedItem {
        if let Some(event) = self.pending.take() {
            return FeedItem::Event(event);
        }
        match self.receiver.recv().await {
            Ok(event) => FeedItem::Event(event),
            Err(broadcast::error::RecvError::Closed) => FeedItem::Closed,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed,
                    "a subscriber lagged behind the change feed; re-syncing"
                );
                // The channel still holds the events after the lost ones (it just overflowed):
                // the oldest of them bounds what was lost. If it overflows again meanwhile, the
                // new oldest one does.
                loop {
                    match self.receiver.recv().await {
                        Ok(event) => {
                            let upto = event.position;
                            self.pending = Some(event);
                            return FeedItem::Lagged { upto };
                        }
                        Err(broadcast::error::RecvError::Closed) => return FeedItem::Closed,
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    }
                }
            }
        }
    }
}

/// The tailer: reads the log and broadcasts each event, until nobody listens or the feed is
/// dropped.
async fn run(feed: Weak<Inner>, mut tailer: holdfast_eventstore::Tailer) {
    let mut retry = Duration::from_millis(50);
    loop {
        let batch = tailer.next_batch_within(IDLE_CHECK).await;
        let Some(inner) = feed.upgrade() else {
            return;
        };
        match batch {
            Ok(events) => {
                retry = Duration::from_millis(50);
                for event in events {
                    // No receiver is not an error: the idle check below stops the tailer.
                    let _ = inner.sender.send(Arc::new(event));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, position = %tailer.position(), "change feed: reading the log failed; retrying");
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(MAX_RETRY);
                continue;
            }
        }
        let mut running = inner.running.lock().await;
        if inner.sender.receiver_count() == 0 {
            *running = false;
            tracing::debug!(at = %tailer.position(), "change feed stopped: no subscribers");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::NaiveDate;
    use holdfast_domain::common::{Currency, DateRange, InventoryId, ListingId, TenantId};
    use holdfast_domain::inventory::{InventoryCommand, InventoryName, SlotSelection};
    use holdfast_domain::services::DomainServices;
    use holdfast_testkit::fresh_sqlite_database;

    use super::*;
    use crate::commands::Commands;

    fn capacity_on(day: u32) -> InventoryCommand {
        let date = NaiveDate::from_ymd_opt(2030, 6, day).unwrap();
        InventoryCommand::SetCapacity {
            selection: SlotSelection::days(DateRange::new(date, date.succ_opt().unwrap()).unwrap()),
            capacity: 5,
        }
    }

    #[tokio::test]
    async fn subscribers_get_every_later_event_and_a_lagging_one_is_told_where_to_resync() {
        let db = fresh_sqlite_database();
        let store = EventStore::open(&db.url).await.unwrap();
        store.migrate().await.unwrap();
        let commands = Commands::new(&store, &DomainServices::system());
        let id = InventoryId::new();
        let key = id.to_string();
        let execute = |command| commands.inventories.execute(&key, command, HashMap::new());
        let defined = execute(InventoryCommand::DefineInventory {
            inventory_id: id,
            tenant_id: TenantId::new(),
            listing_id: ListingId::new(),
            name: InventoryName::parse("Loft").unwrap(),
            currency: Currency::parse("EUR").unwrap(),
        })
        .await
        .unwrap();

        let feed = ChangeFeed::with_capacity(store.clone(), 2);
        assert!(!feed.is_running().await, "nothing runs before a subscriber");
        let mut fast = feed.subscribe().await.unwrap();
        let mut slow = feed.subscribe().await.unwrap();
        assert_eq!(fast.from, defined.position.unwrap(), "from the head");
        assert!(feed.is_running().await);
        assert_eq!(feed.subscribers(), 2);

        let mut positions = Vec::new();
        for day in 1..=5 {
            let committed = execute(capacity_on(day)).await.unwrap();
            let position = committed.position.unwrap();
            match fast.next().await {
                FeedItem::Event(event) => {
                    assert_eq!(event.position, position);
                    assert_eq!(event.aggregate_id, id.to_string());
                }
                other => panic!("expected an event, got {other:?}"),
            }
            positions.push(position);
        }

        // The slow one missed 3 of the 5 (the channel holds 2): it learns where to re-sync, then
        // gets the 2 still held, in order.
        match slow.next().await {
            FeedItem::Lagged { upto } => assert_eq!(upto, positions[3]),
            other => panic!("expected a lag notice, got {other:?}"),
        }
        for expected in &positions[3..] {
            match slow.next().await {
                FeedItem::Event(event) => assert_eq!(event.position, *expected),
                other => panic!("expected an event, got {other:?}"),
            }
        }

        // Nobody listening: the tailer stops; a new subscriber starts it again.
        drop((fast, slow));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while feed.is_running().await {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the tailer did not stop"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut again = feed.subscribe().await.unwrap();
        assert_eq!(again.from, positions[4]);
        let committed = execute(capacity_on(6)).await.unwrap();
        match again.next().await {
            FeedItem::Event(event) => assert_eq!(Some(event.position), committed.position),
            other => panic!("expected an event, got {other:?}"),
        }
    }
}
