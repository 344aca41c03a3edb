//! The projector on the real event stores (Postgres, fresh database per test; SQLite): single
//! pass, restarts from older checkpoints and from the start, re-delivery, a crash mid-batch,
//! transient store faults, an undecodable event, lag that keeps growing while DynamoDB is down.

mod runtime_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use holdfast_eventstore::Position;
use holdfast_projections::projection::ProjectionError;
use holdfast_projections::runtime::apply::{apply_plan, plan};
use holdfast_projections::runtime::backoff::Backoff;
use holdfast_projections::runtime::status::measure_lag;
use holdfast_projections::runtime::{
    Projector, ProjectorError, ProjectorState, ProjectorStatus, Target, verify,
};
use holdfast_projections::store::{ReadStore, TableRef};
use runtime_support::*;
use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

struct Running {
    task: JoinHandle<Result<(), ProjectorError>>,
    status: watch::Receiver<ProjectorStatus>,
    stop: watch::Sender<bool>,
}

fn spawn(h: &Harness, store: Arc<dyn ReadStore>, generation: u32) -> Running {
    let projector = Projector::new(projection(), store, h.store.clone())
        .target(Target::Generation(generation))
        .options(fast_options());
    let (status_tx, status) = watch::channel(ProjectorStatus::new(TABLE));
    let (stop, stop_rx) = watch::channel(false);
    Running {
        task: tokio::spawn(projector.run(status_tx, stop_rx)),
        status,
        stop,
    }
}

/// Runs a projector on `store` until it has applied `last`, then stops it.
async fn run_to(h: &Harness, store: Arc<dyn ReadStore>, generation: u32, last: Position) {
    let mut running = spawn(h, store, generation);
    wait_status(&mut running.status, "catch-up", |s| s.checkpoint >= last).await;
    running.stop.send_replace(true);
    running.task.await.unwrap().unwrap();
}

async fn single_pass_matches_a_recompute(h: Harness) {
    h.write("c", 5, 60).await;
    let events = h.events(60).await;
    assert_eq!(events.len(), 60);
    let last = events.last().unwrap().position;

    let memory: Arc<dyn ReadStore> = h.read_store().await;
    let mut running = spawn(&h, memory.clone(), 1);
    let status = wait_status(&mut running.status, "caught up and idle", |s| {
        s.position == last && s.checkpoint == last && s.state == ProjectorState::Waiting
    })
    .await;
    assert_eq!(status.generation, Some(1));
    assert_eq!(status.head, last);
    assert_eq!((status.lag_events, status.lag_seconds), (0, 0.0));
    assert_eq!(status.events_processed, 60);
    running.stop.send_replace(true);
    running.task.await.unwrap().unwrap();
    assert_eq!(
        *running.status.borrow(),
        ProjectorStatus {
            state: ProjectorState::Stopped,
            ..status
        }
    );

    let t = TableRef::new(TABLE, 1);
    assert_eq!(memory.checkpoint(t).await.unwrap(), Some(last));
    let items = scan(memory.as_ref(), t).await;
    assert_eq!(items.len(), 5 + 60);
    for i in 0..5 {
        let summary = memory
            .get(t, &summary_key(&format!("c{i}")))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(summary.attrs["count"], json!(12));
        assert_eq!(summary.attrs["last_event_type"], json!("CounterAdded"));
        let last_of_counter = events
            .iter()
            .rfind(|e| e.aggregate_id == format!("c{i}"))
            .unwrap();
        assert_eq!(summary.version, last_of_counter.position);
    }
    let report = verify(
        memory.as_ref(),
        h.store.log().as_ref(),
        &CounterProjection,
        1,
    )
    .await
    .unwrap();
    assert_eq!((report.checked, report.differences.len()), (65, 0));
}

#[tokio::test]
async fn a_single_pass_matches_a_recompute_on_postgres() {
    single_pass_matches_a_recompute(Harness::postgres().await).await;
}

#[tokio::test]
async fn a_single_pass_matches_a_recompute_on_sqlite() {
    single_pass_matches_a_recompute(Harness::sqlite().await).await;
}

/// Restarting from any older checkpoint (a crash that lost checkpoint saves) or from the
/// start re-delivers every later event; the version guard skips them all and the read model
/// stays identical to the single pass.
async fn restarts_from_older_checkpoints_change_nothing(h: Harness) {
    h.write("r", 4, 40).await;
    let events = h.events(40).await;
    let last = events.last().unwrap().position;
    let memory: Arc<dyn ReadStore> = h.read_store().await;
    let faulty = Arc::new(FaultyStore::new(memory.clone()));
    let t = TableRef::new(TABLE, 1);
    run_to(&h, faulty.clone(), 1, last).await;
    let single_pass = scan(memory.as_ref(), t).await;

    // Pseudo-random older checkpoints (fixed seed, reproducible), plus the start.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut restarts = vec![Position::START];
    for _ in 0..4 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        restarts.push(events[(seed % events.len() as u64) as usize].position);
    }
    for from in restarts {
        *faulty.checkpoint_override.lock().unwrap() = Some(from);
        let before = faulty.applies.load(Ordering::SeqCst);
        run_to(&h, faulty.clone(), 1, last).await;
        assert!(faulty.applies.load(Ordering::SeqCst) > before || from == last);
        assert_eq!(
            scan(memory.as_ref(), t).await,
            single_pass,
            "restart from {from}"
        );
    }

    // Re-delivering one batch twice, directly: the second time every patch is skipped.
    let store: Arc<dyn ReadStore> = memory.clone();
    let (_keep, stop) = watch::channel(false);
    let backoff = Backoff::new(
        std::time::Duration::from_millis(1),
        std::time::Duration::from_millis(1),
    );
    let batch = &events[10..20];
    let planned = plan(&CounterProjection, batch).unwrap();
    let applied = apply_plan(&store, t, planned, 4, backoff, &stop, &|_| {})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(applied.written, 0);
    assert_eq!(applied.skipped, 10 + 4); // 10 event items + 4 summaries composed once each
    assert_eq!(scan(memory.as_ref(), t).await, single_pass);
}

#[tokio::test]
async fn restarts_from_older_checkpoints_change_nothing_on_postgres() {
    restarts_from_older_checkpoints_change_nothing(Harness::postgres().await).await;
}

#[tokio::test]
async fn restarts_from_older_checkpoints_change_nothing_on_sqlite() {
    restarts_from_older_checkpoints_change_nothing(Harness::sqlite().await).await;
}

/// A projector frozen mid-batch (some writes of a batch done, no checkpoint) and killed, then
/// restarted: it converges and verify finds nothing wrong.
async fn a_projector_killed_mid_batch_converges(h: Harness) {
    h.write("k", 3, 30).await;
    let events = h.events(30).await;
    let last = events.last().unwrap().position;
    let memory: Arc<dyn ReadStore> = h.read_store().await;
    let mut frozen = FaultyStore::new(memory.clone());
    // The first batch (7 events → 7 store calls, one per position) completes, 4 calls of the
    // second succeed, the rest never return.
    frozen.hang_after = Some(11);
    let frozen = Arc::new(frozen);
    let running = spawn(&h, frozen.clone(), 1);
    let t = TableRef::new(TABLE, 1);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while frozen.applies.load(Ordering::SeqCst) < 12 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never reached the hang"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    running.task.abort();
    assert!(running.task.await.unwrap_err().is_cancelled());
    // The first batch is checkpointed, the second is partly written and not checkpointed.
    assert_eq!(
        memory.checkpoint(t).await.unwrap(),
        Some(events[6].position)
    );
    let partial = scan(memory.as_ref(), t).await;
    assert!(partial.iter().any(|i| i.version > events[6].position));
    assert!(partial.len() < 3 + 30);

    run_to(&h, memory.clone(), 1, last).await;
    let report = verify(
        memory.as_ref(),
        h.store.log().as_ref(),
        &CounterProjection,
        1,
    )
    .await
    .unwrap();
    assert_eq!(report.checkpoint, last);
    assert_eq!((report.checked, report.differences), (33, vec![]));
}

#[tokio::test]
async fn a_projector_killed_mid_batch_converges_on_postgres() {
    a_projector_killed_mid_batch_converges(Harness::postgres().await).await;
}

#[tokio::test]
async fn a_projector_killed_mid_batch_converges_on_sqlite() {
    a_projector_killed_mid_batch_converges(Harness::sqlite().await).await;
}

/// Transient store faults are retried with backoff; nothing is lost or applied twice.
async fn transient_store_faults_are_retried(h: Harness) {
    h.write("f", 4, 40).await;
    let events = h.events(40).await;
    let last = events.last().unwrap().position;
    let memory: Arc<dyn ReadStore> = h.read_store().await;
    let faulty = Arc::new(FaultyStore::new(memory.clone()));
    faulty.fail_applies.store(9, Ordering::SeqCst);
    faulty.fail_checkpoints.store(4, Ordering::SeqCst);
    run_to(&h, faulty.clone(), 1, last).await;
    assert_eq!(faulty.injected.load(Ordering::SeqCst), 13);
    assert_eq!(faulty.fail_applies.load(Ordering::SeqCst), 0);
    let t = TableRef::new(TABLE, 1);
    assert_eq!(memory.checkpoint(t).await.unwrap(), Some(last));
    let report = verify(
        memory.as_ref(),
        h.store.log().as_ref(),
        &CounterProjection,
        1,
    )
    .await
    .unwrap();
    assert_eq!((report.checked, report.differences), (44, vec![]));
    for i in 0..4 {
        let s = memory
            .get(t, &summary_key(&format!("f{i}")))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.attrs["count"], json!(10));
    }
}

#[tokio::test]
async fn transient_store_faults_are_retried_on_postgres() {
    transient_store_faults_are_retried(Harness::postgres().await).await;
}

#[tokio::test]
async fn transient_store_faults_are_retried_on_sqlite() {
    transient_store_faults_are_retried(Harness::sqlite().await).await;
}

/// An event the projection cannot decode stops the projector with an error naming it; the
/// checkpoint stays just before it and nothing after it is applied.
async fn an_undecodable_event_stops_the_projector(h: Harness) {
    h.write("u", 1, 3).await;
    h.insert_undecodable("broken").await;
    h.write("v", 1, 2).await;
    let events = h.events(6).await;
    assert_eq!(events.len(), 6);
    let bad = &events[3];
    assert_eq!(bad.event_type, "CounterTeleported");
    let memory: Arc<dyn ReadStore> = h.read_store().await;
    let projector = Projector::new(projection(), memory.clone(), h.store.clone())
        .target(Target::Generation(1))
        .options(holdfast_projections::runtime::ProjectorOptions {
            batch_size: 1,
            ..fast_options()
        });
    let (status_tx, status) = watch::channel(ProjectorStatus::new(TABLE));
    let (_stop, stop_rx) = watch::channel(false);
    let err = projector.run(status_tx, stop_rx).await.unwrap_err();
    let ProjectorError::Projection {
        table,
        source:
            ProjectionError::Decode {
                event_type,
                position,
                ..
            },
    } = &err
    else {
        panic!("expected a projection error, got {err:?}");
    };
    assert_eq!(*table, TABLE);
    assert_eq!(event_type, "CounterTeleported");
    assert_eq!(*position, bad.position.to_string());
    assert!(
        matches!(status.borrow().state, ProjectorState::Failed { ref error } if error.contains("CounterTeleported"))
    );
    let t = TableRef::new(TABLE, 1);
    assert_eq!(
        memory.checkpoint(t).await.unwrap(),
        Some(events[2].position)
    );
    assert_eq!(memory.get(t, &summary_key("v0")).await.unwrap(), None);
    assert_eq!(scan(memory.as_ref(), t).await.len(), 1 + 3);
}

#[tokio::test]
async fn an_undecodable_event_stops_the_projector_on_postgres() {
    an_undecodable_event_stops_the_projector(Harness::postgres().await).await;
}

#[tokio::test]
async fn an_undecodable_event_stops_the_projector_on_sqlite() {
    an_undecodable_event_stops_the_projector(Harness::sqlite().await).await;
}

/// Lag: counted exactly on a fresh log on both backends, 0 when caught up.
async fn lag_is_measured(h: Harness) {
    h.write("l", 2, 25).await;
    let events = h.events(25).await;
    let lag = measure_lag(&h.store, Position::START).await.unwrap();
    assert_eq!(lag.head, events.last().unwrap().position);
    assert_eq!(lag.events, 25);
    assert!(lag.seconds >= 0.0);
    let lag = measure_lag(&h.store, events[9].position).await.unwrap();
    assert_eq!(lag.events, 15);
    let lag = measure_lag(&h.store, events[24].position).await.unwrap();
    assert_eq!((lag.events, lag.seconds), (0, 0.0));
}

#[tokio::test]
async fn lag_is_measured_on_postgres() {
    lag_is_measured(Harness::postgres().await).await;
}

#[tokio::test]
async fn lag_is_measured_on_sqlite() {
    lag_is_measured(Harness::sqlite().await).await;
}

/// DynamoDB goes away under load (its port closes): the projector retries without moving, and
/// the lag it publishes — what `/readyz` and `/metrics` show — is measured from the log's head
/// and grows with every event written meanwhile; once DynamoDB is back it catches up to 0.
#[tokio::test]
async fn lag_keeps_growing_while_the_read_store_is_unreachable() {
    let h = Harness::postgres().await;
    let proxy = runtime_support::proxy::TcpProxy::to_dynamodb(std::time::Duration::ZERO).await;
    let store = dynamo_store(&proxy.endpoint()).await;
    h.write("o", 3, 20).await;
    let before = h.events(20).await.last().unwrap().position;
    let mut running = spawn(&h, store.clone(), 1);
    wait_status(&mut running.status, "caught up", |s| {
        s.position == before && s.state == ProjectorState::Waiting && s.lag_events == 0
    })
    .await;

    proxy.kill();
    h.write("o", 3, 30).await;
    let events = h.events(50).await;
    let retrying = |s: &ProjectorStatus| matches!(s.state, ProjectorState::Retrying { .. });
    let first = wait_status(&mut running.status, "retrying, 30 events behind", |s| {
        retrying(s) && s.lag_events == 30
    })
    .await;
    assert_eq!(first.position, before);
    assert_eq!(first.head, events[49].position);
    assert!(first.lag_seconds > 0.0, "{first:?}");

    h.write("o", 3, 25).await;
    let events = h.events(75).await;
    let second = wait_status(&mut running.status, "retrying, 55 events behind", |s| {
        retrying(s) && s.lag_events == 55
    })
    .await;
    assert_eq!(second.position, before);
    assert_eq!(second.head, events[74].position);
    // The oldest unapplied event only gets older while nothing is applied.
    let older = wait_status(&mut running.status, "an older backlog", |s| {
        s.lag_seconds >= second.lag_seconds + 0.2
    })
    .await;
    assert!(retrying(&older), "{older:?}");
    assert_eq!((older.position, older.lag_events), (before, 55));

    proxy.revive().await;
    let last = events[74].position;
    wait_status(&mut running.status, "caught up after the outage", |s| {
        s.position == last && s.lag_events == 0 && s.lag_seconds == 0.0
    })
    .await;
    running.stop.send_replace(true);
    running.task.await.unwrap().unwrap();
    let report = verify(
        store.as_ref(),
        h.store.log().as_ref(),
        &CounterProjection,
        1,
    )
    .await
    .unwrap();
    assert_eq!((report.checked, report.differences), (3 + 75, vec![]));
}

/// Readers see a batch as soon as its items are written: the checkpoint is saved beside the
/// batches, so a checkpoint store that keeps failing holds back the checkpoint (what a restart
/// resumes from), not what readers see; once it answers again, the newest position is saved.
async fn readers_see_batches_before_their_checkpoint_is_saved(h: Harness) {
    h.write("v", 3, 30).await;
    let events = h.events(30).await;
    let last = events.last().unwrap().position;
    let memory: Arc<dyn ReadStore> = h.read_store().await;
    let faulty = Arc::new(FaultyStore::new(memory.clone()));
    faulty.fail_checkpoints.store(usize::MAX, Ordering::SeqCst);
    let mut running = spawn(&h, faulty.clone(), 1);
    let seen = wait_status(&mut running.status, "applied", |s| s.position == last).await;
    let t = TableRef::new(TABLE, 1);
    assert_eq!(seen.checkpoint, Position::START);
    assert_eq!(memory.checkpoint(t).await.unwrap(), None);
    assert_eq!(scan(memory.as_ref(), t).await.len(), 3 + 30);

    faulty.fail_checkpoints.store(0, Ordering::SeqCst);
    wait_status(&mut running.status, "checkpointed", |s| {
        s.checkpoint == last
    })
    .await;
    assert_eq!(memory.checkpoint(t).await.unwrap(), Some(last));
    running.stop.send_replace(true);
    running.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn readers_see_batches_before_their_checkpoint_is_saved_on_postgres() {
    readers_see_batches_before_their_checkpoint_is_saved(Harness::postgres().await).await;
}

#[tokio::test]
async fn readers_see_batches_before_their_checkpoint_is_saved_on_sqlite() {
    readers_see_batches_before_their_checkpoint_is_saved(Harness::sqlite().await).await;
}
