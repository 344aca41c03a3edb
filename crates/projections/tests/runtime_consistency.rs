//! Consistency waits (read-your-writes) and runtime statuses.

mod runtime_support;

use std::sync::Arc;
use std::time::Duration;

use holdfast_eventstore::Position;
use holdfast_projections::runtime::{ProjectionRuntime, ProjectorState, WaitError};
use holdfast_projections::store::{ReadStore, Table, TableRef};
use runtime_support::*;
use serde_json::json;

/// The position of counter `id`'s event `sequence`.
async fn position_of(h: &Harness, id: &str, sequence: u64, total: usize) -> Position {
    h.events(total)
        .await
        .into_iter()
        .find(|e| e.aggregate_id == id && e.sequence == sequence)
        .expect("the event is in the log")
        .position
}

async fn a_wait_returns_once_the_write_is_readable(h: Harness) {
    // Writes first, projector later: the first wait has to wait for the projector to start.
    h.write("w", 1, 3).await;
    let token = position_of(&h, "w0", 3, 3).await;
    let memory: Arc<dyn ReadStore> = h.read_store().await;
    let runtime = ProjectionRuntime::start(
        memory.clone(),
        h.store.clone(),
        [projection()],
        fast_options(),
    );
    assert!(
        runtime
            .wait_for(TABLE, token, Duration::from_secs(20))
            .await
            .unwrap()
    );
    let t = TableRef::new(TABLE, 1);
    let read = |memory: Arc<dyn ReadStore>| async move {
        memory
            .get(t, &summary_key("w0"))
            .await
            .unwrap()
            .unwrap()
            .attrs["count"]
            .clone()
    };
    assert_eq!(read(memory.clone()).await, json!(3));
    let cqrs = h.cqrs();
    for n in 4..=8u64 {
        cqrs.execute("w0", Add(1)).await.unwrap();
        let token = position_of(&h, "w0", n, n as usize).await;
        assert!(
            runtime
                .wait_for(TABLE, token, Duration::from_secs(20))
                .await
                .unwrap()
        );
        assert_eq!(read(memory.clone()).await, json!(n));
    }

    // Beyond anything written: times out.
    let newest = h.events(8).await.last().unwrap().position;
    let never = Position::new(newest.tx, newest.index + 1_000_000);
    assert!(
        !runtime
            .wait_for(TABLE, never, Duration::from_millis(300))
            .await
            .unwrap()
    );
    // A table without a projector here.
    assert!(matches!(
        runtime
            .wait_for(Table::Coupons, token, Duration::from_millis(10))
            .await,
        Err(WaitError::UnknownTable(Table::Coupons))
    ));
    let statuses = runtime.statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].table, TABLE);
    assert_eq!(statuses[0].generation, Some(1));
    assert_eq!(memory.alias(TABLE).await.unwrap(), Some(1));
    runtime.stop().await;
}

#[tokio::test]
async fn a_wait_returns_once_the_write_is_readable_on_postgres() {
    a_wait_returns_once_the_write_is_readable(Harness::postgres().await).await;
}

#[tokio::test]
async fn a_wait_returns_once_the_write_is_readable_on_sqlite() {
    a_wait_returns_once_the_write_is_readable(Harness::sqlite().await).await;
}

async fn a_wait_on_a_stopped_projector_answers_false(h: Harness) {
    let memory: Arc<dyn ReadStore> = h.read_store().await;
    let runtime = ProjectionRuntime::start(
        memory.clone(),
        h.store.clone(),
        [projection()],
        fast_options(),
    );
    let mut status = runtime.subscribe(TABLE).unwrap();
    wait_status(&mut status, "idle", |s| s.state == ProjectorState::Waiting).await;
    assert!(matches!(runtime.stop_projector(TABLE).await, Some(Ok(()))));
    assert_eq!(
        runtime.status(TABLE).unwrap().state,
        ProjectorState::Stopped
    );
    h.write("s", 1, 1).await;
    let token = position_of(&h, "s0", 1, 1).await;
    assert!(
        !runtime
            .wait_for(TABLE, token, Duration::from_secs(1))
            .await
            .unwrap()
    );
    let t = TableRef::new(TABLE, 1);
    assert_eq!(memory.get(t, &summary_key("s0")).await.unwrap(), None);
    // Already-applied positions still answer true.
    assert!(
        runtime
            .wait_for(TABLE, Position::START, Duration::from_secs(1))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_wait_on_a_stopped_projector_answers_false_on_postgres() {
    a_wait_on_a_stopped_projector_answers_false(Harness::postgres().await).await;
}

#[tokio::test]
async fn a_wait_on_a_stopped_projector_answers_false_on_sqlite() {
    a_wait_on_a_stopped_projector_answers_false(Harness::sqlite().await).await;
}
