//! One active projector per table: two runtimes (as two processes would) on one event store
//! and one read store; only the lease holder applies; when it dies the standby takes over and
//! the read model converges.

mod runtime_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use holdfast_projections::runtime::{ProjectionRuntime, ProjectorState, verify};
use holdfast_projections::store::ReadStore;
use holdfast_projections::store::memory::MemoryStore;
use runtime_support::*;
use serde_json::json;

async fn the_standby_takes_over_when_the_holder_dies(h: Harness) {
    let memory: Arc<dyn ReadStore> = h.read_store().await;
    let a_store = Arc::new(FaultyStore::new(memory.clone()));
    let b_store = Arc::new(FaultyStore::new(memory.clone()));
    let a = ProjectionRuntime::start(
        a_store.clone(),
        h.reopen().await,
        [projection()],
        fast_options(),
    );
    let mut a_status = a.subscribe(TABLE).unwrap();
    wait_status(&mut a_status, "A active", |s| {
        s.state == ProjectorState::Waiting
    })
    .await;
    let b = ProjectionRuntime::start(
        b_store.clone(),
        h.reopen().await,
        [projection()],
        fast_options(),
    );
    let mut b_status = b.subscribe(TABLE).unwrap();
    wait_status(&mut b_status, "B standby", |s| {
        s.state == ProjectorState::Standby
    })
    .await;

    h.write("a", 3, 21).await;
    let last = h.events(21).await.last().unwrap().position;
    wait_status(&mut a_status, "A applied", |s| s.position == last).await;
    // The standby shows the holder's saved checkpoint, and never writes.
    let b_seen = wait_status(&mut b_status, "B sees A's checkpoint", |s| {
        s.position == last
    })
    .await;
    assert_eq!(b_seen.state, ProjectorState::Standby);
    assert_eq!(b_seen.generation, Some(1));
    assert_eq!(b_store.applies.load(Ordering::SeqCst), 0);
    assert!(a_store.applies.load(Ordering::SeqCst) > 0);

    a.abort();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let a_applies = a_store.applies.load(Ordering::SeqCst);
    h.write("b", 3, 21).await;
    let last = h.events(42).await.last().unwrap().position;
    wait_status(&mut b_status, "B took over and caught up", |s| {
        s.position == last && s.state == ProjectorState::Waiting
    })
    .await;
    assert!(b_store.applies.load(Ordering::SeqCst) > 0);
    assert_eq!(a_store.applies.load(Ordering::SeqCst), a_applies);

    let report = verify(
        memory.as_ref(),
        h.store.log().as_ref(),
        &CounterProjection,
        1,
    )
    .await
    .unwrap();
    assert_eq!((report.checked, report.differences), (6 + 42, vec![]));
    let t = holdfast_projections::store::TableRef::new(TABLE, 1);
    for id in ["a0", "a1", "a2", "b0", "b1", "b2"] {
        let s = memory.get(t, &summary_key(id)).await.unwrap().unwrap();
        assert_eq!(s.attrs["count"], json!(7), "{id}");
    }
    let ended = b.stop().await;
    assert!(ended[&TABLE].is_ok());
}

#[tokio::test]
async fn on_postgres_the_standby_takes_over_when_the_holder_dies() {
    the_standby_takes_over_when_the_holder_dies(Harness::postgres().await).await;
}

#[tokio::test]
async fn on_sqlite_the_standby_takes_over_when_the_holder_dies() {
    the_standby_takes_over_when_the_holder_dies(Harness::sqlite().await).await;
}

#[tokio::test]
async fn sqlite_leases_are_per_database_file() {
    let one = Harness::sqlite().await;
    let two = Harness::sqlite().await;
    let a = ProjectionRuntime::start(
        Arc::new(MemoryStore::new()),
        one.store.clone(),
        [projection()],
        fast_options(),
    );
    let b = ProjectionRuntime::start(
        Arc::new(MemoryStore::new()),
        two.store.clone(),
        [projection()],
        fast_options(),
    );
    for runtime in [&a, &b] {
        let mut status = runtime.subscribe(TABLE).unwrap();
        wait_status(&mut status, "active", |s| {
            s.state == ProjectorState::Waiting
        })
        .await;
    }
    a.stop().await;
    b.stop().await;
}
