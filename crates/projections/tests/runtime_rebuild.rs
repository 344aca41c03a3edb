//! Blue-green rebuild while writes continue (of one table, and of every table in one pass of
//! the log), the rebuild lease, and verify's difference report.

mod runtime_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use holdfast_eventstore::Position;
use holdfast_projections::projection::Projection;
use holdfast_projections::runtime::{
    Difference, Lease, ProjectionRuntime, ProjectorState, RebuildError, RebuildPhase, Rebuilder,
    verify,
};
use holdfast_projections::store::{Attrs, Key, Patch, ReadStore, Table, TableRef};
use runtime_support::*;
use serde_json::json;
use tokio::task::JoinHandle;

/// Blocks the (synchronous) progress callback until the writer has written `more` events
/// more, so writes certainly happen during that phase.
fn wait_for_writes(written: &AtomicUsize, more: usize) {
    let target = written.load(Ordering::SeqCst) + more;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while written.load(Ordering::SeqCst) < target && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Writes `n` events over the counters `{prefix}0..3` in the background, counting them.
fn spawn_writer(h: &Harness, prefix: &str, n: usize) -> (Arc<AtomicUsize>, JoinHandle<()>) {
    let written = Arc::new(AtomicUsize::new(0));
    let cqrs = h.cqrs();
    let (count, prefix) = (written.clone(), prefix.to_owned());
    let writer = tokio::spawn(async move {
        for i in 0..n {
            cqrs.execute(&format!("{prefix}{}", i % 4), Add(1))
                .await
                .unwrap();
            count.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    (written, writer)
}

async fn a_rebuild_while_writes_continue_loses_nothing(h: Harness) {
    let memory: Arc<dyn ReadStore> = h.read_store().await;
    let runtime = ProjectionRuntime::start(
        memory.clone(),
        h.store.clone(),
        [projection()],
        fast_options(),
    );
    h.write("p", 5, 50).await;
    let last = h.events(50).await.last().unwrap().position;
    let mut status = runtime.subscribe(TABLE).unwrap();
    wait_status(&mut status, "caught up", |s| s.position == last).await;

    const WRITES: usize = 120;
    let (written, writer) = spawn_writer(&h, "w", WRITES);
    let phases = Mutex::new(Vec::<RebuildPhase>::new());
    let report = runtime
        .rebuild(TABLE, |p| {
            let mut phases = phases.lock().unwrap();
            if phases.last() != Some(&p.phase) {
                phases.push(p.phase);
                if matches!(p.phase, RebuildPhase::Building | RebuildPhase::Verifying) {
                    wait_for_writes(&written, 10);
                }
            }
        })
        .await
        .unwrap();
    assert_eq!(
        *phases.lock().unwrap(),
        vec![
            RebuildPhase::Building,
            RebuildPhase::Verifying,
            RebuildPhase::CatchingUp,
            RebuildPhase::Switching,
            RebuildPhase::Done
        ]
    );
    assert_eq!(report.old_generation, Some(1));
    assert_eq!(report.generation, 2);
    assert_eq!(report.dropped, vec![1]);
    assert!(report.verify.is_clean());
    assert!(report.events >= 50 + 20);
    assert_eq!(memory.alias(TABLE).await.unwrap(), Some(2));
    assert_eq!(memory.generations(TABLE).await.unwrap(), vec![2]);
    assert_eq!(runtime.status(TABLE).unwrap().generation, Some(2));

    writer.await.unwrap();
    let events = h.events(50 + WRITES).await;
    assert_eq!(events.len(), 50 + WRITES);
    let last = events.last().unwrap().position;
    assert!(
        runtime
            .wait_for(TABLE, last, Duration::from_secs(20))
            .await
            .unwrap()
    );
    let after = runtime.verify(TABLE).await.unwrap();
    assert_eq!(after.generation, 2);
    assert_eq!(after.checkpoint, last);
    assert_eq!(
        (after.checked, after.differences),
        (5 + 4 + 50 + WRITES, vec![])
    );
    let t = TableRef::new(TABLE, 2);
    for i in 0..5 {
        let s = memory
            .get(t, &summary_key(&format!("p{i}")))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.attrs["count"], json!(10));
    }
    for i in 0..4 {
        let s = memory
            .get(t, &summary_key(&format!("w{i}")))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.attrs["count"], json!(WRITES / 4));
    }
    runtime.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_while_writes_continue_loses_nothing_on_postgres() {
    a_rebuild_while_writes_continue_loses_nothing(Harness::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_while_writes_continue_loses_nothing_on_sqlite() {
    a_rebuild_while_writes_continue_loses_nothing(Harness::sqlite().await).await;
}

/// Every table rebuilt together while writes continue: the log is read once — each batch is
/// folded into all four new generations before the next is read — and each table switches to
/// a verified generation that, once caught up, matches the log exactly.
async fn a_rebuild_of_every_table_reads_the_log_once(h: Harness) {
    let store: Arc<dyn ReadStore> = h.read_store().await;
    let runtime = ProjectionRuntime::start(
        store.clone(),
        h.store.clone(),
        Table::ALL.map(|t| Arc::new(CounterOn(t)) as Arc<dyn Projection>),
        fast_options(),
    );
    h.write("a", 5, 50).await;
    let last = h.events(50).await.last().unwrap().position;
    for table in Table::ALL {
        let mut status = runtime.subscribe(table).unwrap();
        wait_status(&mut status, "caught up", |s| s.position == last).await;
    }

    const WRITES: usize = 60;
    let (written, writer) = spawn_writer(&h, "b", WRITES);
    let building = Mutex::new(Vec::<(Table, u64, Position)>::new());
    let reports = runtime
        .rebuild_all(|p| {
            if p.phase == RebuildPhase::Building && p.events > 0 {
                let mut seen = building.lock().unwrap();
                seen.push((p.table, p.events, p.position));
                if seen.len() == 4 {
                    wait_for_writes(&written, 10);
                }
            }
        })
        .await
        .unwrap();
    let building = building.into_inner().unwrap();
    assert!(building.len() >= 4 * (50 / 7), "{building:?}");
    for (i, round) in building.chunks(4).enumerate() {
        let tables: Vec<Table> = round.iter().map(|r| r.0).collect();
        assert_eq!(tables, Table::ALL, "batch {i}: {building:?}");
        assert!(
            round.iter().all(|r| (r.1, r.2) == (round[0].1, round[0].2)),
            "{round:?}"
        );
    }
    assert_eq!(reports.len(), 4);
    for (report, table) in reports.iter().zip(Table::ALL) {
        assert_eq!(report.table, table);
        assert_eq!((report.old_generation, report.generation), (Some(1), 2));
        assert_eq!(report.dropped, vec![1]);
        assert!(report.verify.is_clean(), "{report:?}");
        assert_eq!(store.alias(table).await.unwrap(), Some(2));
        assert_eq!(store.generations(table).await.unwrap(), vec![2]);
    }

    writer.await.unwrap();
    let last = h.events(50 + WRITES).await.last().unwrap().position;
    for table in Table::ALL {
        assert!(
            runtime
                .wait_for(table, last, Duration::from_secs(20))
                .await
                .unwrap()
        );
        let after = runtime.verify(table).await.unwrap();
        assert_eq!((after.generation, after.checkpoint), (2, last));
        assert_eq!(
            (after.checked, after.differences),
            (5 + 4 + 50 + WRITES, vec![])
        );
    }
    runtime.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_of_every_table_reads_the_log_once_on_postgres() {
    a_rebuild_of_every_table_reads_the_log_once(Harness::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_of_every_table_reads_the_log_once_on_sqlite() {
    a_rebuild_of_every_table_reads_the_log_once(Harness::sqlite().await).await;
}

#[tokio::test]
async fn a_second_rebuild_of_a_table_is_refused() {
    let h = Harness::postgres().await;
    let held = Lease::try_acquire(&h.store, "holdfast-rebuild:calendar")
        .await
        .unwrap()
        .expect("free");
    let memory: Arc<dyn ReadStore> = h.read_store().await;
    let rebuild = Rebuilder::new(projection(), memory.clone(), h.store.clone());
    assert!(matches!(
        rebuild.run(|_| {}).await,
        Err(RebuildError::AlreadyRunning(TABLE))
    ));
    assert_eq!(memory.generations(TABLE).await.unwrap(), Vec::<u32>::new());
    held.release().await;
    // Free again: the rebuild runs (on an empty log) and switches the alias.
    let report = rebuild.run(|_| {}).await.unwrap();
    assert_eq!((report.old_generation, report.generation), (None, 1));
    assert_eq!(memory.alias(TABLE).await.unwrap(), Some(1));
}

#[tokio::test]
async fn verify_reports_every_difference_exactly() {
    let h = Harness::sqlite().await;
    h.write("x", 3, 15).await;
    let events = h.events(15).await;
    let last = events.last().unwrap().position;
    let memory: Arc<dyn ReadStore> = h.read_store().await;
    let runtime = ProjectionRuntime::start(
        memory.clone(),
        h.store.clone(),
        [projection()],
        fast_options(),
    );
    let mut status = runtime.subscribe(TABLE).unwrap();
    wait_status(&mut status, "caught up", |s| {
        s.position == last && s.state == ProjectorState::Waiting
    })
    .await;
    let clean = runtime.verify(TABLE).await.unwrap();
    assert_eq!((clean.checked, clean.differences.len()), (18, 0));

    // Corrupt one item (a write at a position no event has).
    let t = TableRef::new(TABLE, 1);
    let bogus = Position::new(last.tx, last.index + 1000);
    let corrupt = Attrs::from([("count".to_owned(), json!(999))]);
    memory
        .apply(t, bogus, vec![Patch::set(summary_key("x1"), corrupt)])
        .await
        .unwrap();
    let report = runtime.verify(TABLE).await.unwrap();
    assert_eq!(report.checked, 18);
    assert_eq!(report.differences.len(), 1);
    let Difference::Different {
        expected,
        actual,
        attrs,
    } = &report.differences[0]
    else {
        panic!("expected Different, got {:?}", report.differences);
    };
    assert_eq!(actual.key, summary_key("x1"));
    assert_eq!(*attrs, vec!["count".to_owned()]);
    assert_eq!(expected.attrs["count"], json!(5));
    assert_eq!(actual.attrs["count"], json!(999));
    assert_eq!(actual.version, bogus);
    let x1_last = events.iter().rfind(|e| e.aggregate_id == "x1").unwrap();
    assert_eq!(expected.version, x1_last.position);

    // An item no event produced.
    let ghost = Key::new("ghost", "item");
    memory
        .apply(t, last, vec![Patch::set(ghost.clone(), Attrs::new())])
        .await
        .unwrap();
    let report = runtime.verify(TABLE).await.unwrap();
    assert_eq!(report.checked, 19);
    assert_eq!(report.differences.len(), 2);
    // In key order: `counter#x1` before `ghost`.
    assert_eq!(*report.differences[0].key(), summary_key("x1"));
    assert!(matches!(&report.differences[1], Difference::Extra { actual } if actual.key == ghost));
    runtime.stop().await;

    // A generation whose checkpoint claims everything but holds nothing: all missing.
    let empty = TableRef::new(TABLE, 9);
    memory.create_table(empty).await.unwrap();
    memory.save_checkpoint(empty, last).await.unwrap();
    let report = verify(
        memory.as_ref(),
        h.store.log().as_ref(),
        &CounterProjection,
        9,
    )
    .await
    .unwrap();
    assert_eq!(report.checked, 18);
    assert_eq!(report.differences.len(), 18);
    assert!(
        report
            .differences
            .iter()
            .all(|d| matches!(d, Difference::Missing { .. }))
    );
}
