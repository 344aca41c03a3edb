//! The outbox and replay tables (migration 0004) behave the same on Postgres and SQLite.

use chrono::{DateTime, Duration, Utc};
use holdfast_engine::notify::{
    DeliveryFilter, DeliveryStatus, ListCursor, Notification, NotificationKind, NotifyError,
    OutboxStore,
};
use holdfast_engine::payments::replay::{Begin, IN_FLIGHT_TIMEOUT, Outcome, ReplayStore};
use holdfast_eventstore::{EventStore, Position};
use holdfast_testkit::{fresh_postgres_database, fresh_sqlite_database};
use serde_json::json;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-07T09:00:00Z")
        .unwrap()
        .to_utc()
}

fn notification(booking: &str, sequence: u64, index: u64) -> Notification {
    let id = format!("{booking}:{sequence}");
    Notification {
        payload: json!({"id": id, "kind": "confirmed", "nested": {"ok": true}}),
        id,
        kind: NotificationKind::Confirmed,
        tenant_id: if booking == "b1" {
            "tenant-1"
        } else {
            "tenant-2"
        }
        .into(),
        booking_id: booking.into(),
        position: Position::new(7, index),
    }
}

async fn outbox_contract(store: EventStore) {
    let outbox = OutboxStore::new(&store);
    let now = t0();
    assert_eq!(
        outbox
            .init_cursor("log", Position::START, now)
            .await
            .unwrap(),
        Position::START
    );
    // A second init keeps the first cursor.
    assert_eq!(
        outbox
            .init_cursor("log", Position::new(9, 9), now)
            .await
            .unwrap(),
        Position::START
    );
    outbox
        .init_cursor("webhook:x/1", Position::START, now)
        .await
        .unwrap();
    let batch = vec![
        notification("b1", 3, 10),
        notification("b2", 4, 11),
        notification("b1", 5, 12),
    ];
    let cursors = vec![
        ("log".to_owned(), Position::START),
        ("webhook:x/1".to_owned(), Position::START),
    ];
    let upto = Position::new(7, 12);
    assert_eq!(
        outbox.enqueue(&cursors, &batch, upto, now).await.unwrap(),
        6
    );
    let stored = outbox.cursors().await.unwrap();
    assert_eq!(stored["log"], upto);
    assert_eq!(stored["webhook:x/1"], upto);

    // A writer with stale cursors writes nothing.
    assert!(matches!(
        outbox
            .enqueue(&cursors, &batch, Position::new(7, 13), now)
            .await,
        Err(NotifyError::CursorMoved)
    ));
    assert_eq!(outbox.cursors().await.unwrap()["log"], upto);
    // Re-enqueueing what is before the cursors inserts nothing (and is not an error).
    let current = vec![("log".to_owned(), upto), ("webhook:x/1".to_owned(), upto)];
    assert_eq!(
        outbox.enqueue(&current, &batch, upto, now).await.unwrap(),
        0
    );

    // Due: earliest first, only the sinks asked for.
    let sinks = vec!["webhook:x/1".to_owned()];
    let due = outbox.due(&sinks, now, 10).await.unwrap();
    assert_eq!(
        due.iter()
            .map(|d| d.notification_id.as_str())
            .collect::<Vec<_>>(),
        ["b1:3", "b2:4", "b1:5"]
    );
    assert_eq!(due[0].payload["nested"]["ok"], true);
    assert_eq!(due[0].status, DeliveryStatus::Pending);
    assert_eq!(due[0].position, Position::new(7, 10));
    assert_eq!(due[0].created_at, now);
    assert_eq!(outbox.due(&sinks, now, 2).await.unwrap().len(), 2);

    // One delivered, one retried later, one dead.
    outbox
        .delivered("webhook:x/1", "b1:3", 1, now)
        .await
        .unwrap();
    let later = now + Duration::seconds(30);
    outbox
        .failed("webhook:x/1", "b2:4", 1, "HTTP 500: boom", Some(later))
        .await
        .unwrap();
    outbox
        .failed("webhook:x/1", "b1:5", 8, "timed out", None)
        .await
        .unwrap();
    assert!(outbox.due(&sinks, now, 10).await.unwrap().is_empty());
    assert_eq!(outbox.next_due(&sinks).await.unwrap(), Some(later));
    let due = outbox.due(&sinks, later, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].attempts, due[0].last_error.as_deref()),
        (1, Some("HTTP 500: boom"))
    );
    // A delivered row is never touched again.
    outbox
        .failed("webhook:x/1", "b1:3", 2, "late failure", None)
        .await
        .unwrap();

    // Listings: by status, tenant, sink, with cursors.
    let all = outbox
        .list(&DeliveryFilter::default(), None, 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 6);
    let delivered = &all
        .iter()
        .find(|d| d.sink == "webhook:x/1" && d.notification_id == "b1:3")
        .unwrap();
    assert_eq!(delivered.status, DeliveryStatus::Delivered);
    assert_eq!(delivered.delivered_at, Some(now));
    let dead_filter = DeliveryFilter {
        status: Some(DeliveryStatus::Dead),
        ..DeliveryFilter::default()
    };
    let dead = outbox.list(&dead_filter, None, 100).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].notification_id.as_str(), dead[0].attempts),
        ("b1:5", 8)
    );
    let tenant_2 = DeliveryFilter {
        tenant_id: Some("tenant-2".into()),
        ..DeliveryFilter::default()
    };
    assert_eq!(outbox.list(&tenant_2, None, 100).await.unwrap().len(), 2);
    let mut pages = Vec::new();
    let mut after: Option<ListCursor> = None;
    loop {
        let page = outbox
            .list(&DeliveryFilter::default(), after.as_ref(), 4)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(ListCursor::after);
        let text = after.as_ref().unwrap().to_string();
        assert_eq!(ListCursor::parse(&text), after);
        pages.extend(page);
    }
    assert_eq!(pages, all, "paging returns every row once, in order");

    // Retry: dead → pending, attempts reset; nothing else changes.
    let retried = outbox.retry("b1:5", None, later).await.unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(
        (retried[0].status, retried[0].attempts),
        (DeliveryStatus::Pending, 0)
    );
    assert!(outbox.retry("b1:5", None, later).await.unwrap().is_empty());
    assert!(outbox.retry("b1:3", None, later).await.unwrap().is_empty());
    let due = outbox.due(&sinks, later, 10).await.unwrap();
    assert_eq!(due.len(), 2);
}

async fn replay_contract(store: EventStore) {
    let replay = ReplayStore::new(&store);
    let now = t0();
    assert_eq!(
        replay
            .begin("evt_1", "payment.succeeded", Some("b1"), now)
            .await
            .unwrap(),
        Begin::New
    );
    assert_eq!(
        replay
            .begin("evt_1", "payment.succeeded", Some("b1"), now)
            .await
            .unwrap(),
        Begin::InFlight
    );
    replay
        .finish("evt_1", Outcome::Processed, None)
        .await
        .unwrap();
    assert_eq!(
        replay
            .begin("evt_1", "payment.succeeded", Some("b1"), now)
            .await
            .unwrap(),
        Begin::Duplicate {
            outcome: Outcome::Processed,
            code: None
        }
    );
    let row = replay.get("evt_1").await.unwrap().unwrap();
    assert_eq!(row.booking_id.as_deref(), Some("b1"));
    assert_eq!(row.received_at, now);

    // A transient failure forgets the id: the retry processes it.
    assert_eq!(
        replay.begin("evt_2", "x", None, now).await.unwrap(),
        Begin::New
    );
    replay.abandon("evt_2").await.unwrap();
    assert_eq!(replay.get("evt_2").await.unwrap(), None);
    assert_eq!(
        replay.begin("evt_2", "x", None, now).await.unwrap(),
        Begin::New
    );
    replay
        .finish("evt_2", Outcome::Rejected, Some("NOT_FOUND"))
        .await
        .unwrap();
    // abandon never forgets a recorded outcome.
    replay.abandon("evt_2").await.unwrap();
    assert_eq!(
        replay.begin("evt_2", "x", None, now).await.unwrap(),
        Begin::Duplicate {
            outcome: Outcome::Rejected,
            code: Some("NOT_FOUND".into())
        }
    );

    // A delivery that crashed mid-way is taken over once its time is up.
    assert_eq!(
        replay.begin("evt_3", "x", None, now).await.unwrap(),
        Begin::New
    );
    let later = now + IN_FLIGHT_TIMEOUT + Duration::seconds(1);
    assert_eq!(
        replay.begin("evt_3", "x", None, later).await.unwrap(),
        Begin::New
    );
    assert_eq!(
        replay.begin("evt_3", "x", None, later).await.unwrap(),
        Begin::InFlight
    );
}

#[tokio::test]
async fn the_outbox_tables_on_postgres() {
    let db = fresh_postgres_database().await;
    let store = EventStore::open(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    outbox_contract(store.clone()).await;
    replay_contract(store).await;
    db.drop_now().await;
}

#[tokio::test]
async fn the_outbox_tables_on_sqlite() {
    let db = fresh_sqlite_database();
    let store = EventStore::open(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    outbox_contract(store.clone()).await;
    replay_contract(store).await;
}
