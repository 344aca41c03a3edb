//! Crash: the real `holdfast serve` on Postgres + DynamoDB Local, booking load from several
//! guests, `kill -9` at random moments (3 times in the smoke run, 20 in the full run), a
//! restart each time. Then, from the event store: every booking acknowledged to a client is
//! there; no slot ever had `held + allocated > capacity`; the read models verify with 0
//! differences once caught up.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use holdfast_testkit::{dynamodb_endpoint, fresh_table_prefix};
use serde_json::json;

use crate::load::{self, Policy, Tally, Target};
use crate::support::report::Section;
use crate::support::{
    Client, Scale, Server, ServerConfig, fresh_database, invariants, jitter, operator, stock_dates,
    stocked_listing, verify_figures,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_at_random_moments_loses_no_acknowledged_booking_and_never_overbooks() {
    let scale = Scale::get();
    let kills = scale.pick(3, 20);
    let mut section = Section::new("crash");
    let db = fresh_database().await;
    let config = ServerConfig {
        database_url: db.url.clone(),
        dynamodb_endpoint: dynamodb_endpoint(),
        table_prefix: fresh_table_prefix(),
    };
    let mut server = Server::start("crash", config.clone());
    let client = Client::new(&server.base);
    let (_, op) = operator();
    let dates = stock_dates(4);
    // Small enough to sell out, so the capacity check is at its edge.
    let (listing, inventory) = stocked_listing(&client, &op, 1, &dates, 12).await;
    let target = Target {
        listing,
        inventory,
        dates,
        operator: op,
    };

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let policy = Policy {
        transport_expected: true,
        timeout: Duration::from_secs(10),
        give_up_after: Duration::from_secs(60),
    };
    let clients = tokio::spawn(load::run(
        client.clone(),
        target,
        scale.pick(4, 6),
        policy,
        stop.clone(),
        tally.clone(),
    ));
    for n in 1..=kills {
        jitter(300, 2500).await;
        let pid = server.pid();
        tokio::task::block_in_place(|| server.kill9());
        section.fault("kill -9 holdfast serve", json!({"n": n, "pid": pid}));
        jitter(0, 300).await;
        tokio::task::block_in_place(|| server.spawn());
    }
    jitter(500, 1000).await;
    stop.store(true, Ordering::Relaxed);
    clients.await.expect("load");
    section.figure("load", tally.figures().await);
    section.cases(tally.requests.load(Ordering::Relaxed));

    let store = invariants::open(&db.url).await;
    let untyped = tally.untyped.lock().await.clone();
    section.invariant(
        "every answer is data or a typed error (no 5xx, no INTERNAL, no error without a code)",
        tally.requests.load(Ordering::Relaxed),
        &untyped,
    );
    let acks = tally.acks.lock().await.clone();
    let (checked, violations) = invariants::acknowledged(&store, &acks).await;
    section.invariant(
        "every acknowledged booking is in the event store",
        checked,
        &violations,
    );
    let (checked, violations) = invariants::capacity(&store).await;
    section.invariant(
        "held + allocated <= capacity on every slot, now and in every event",
        checked,
        &violations,
    );
    let requested = invariants::no_partial_bookings(&store).await.1.len();
    section.figure("halfFinishedAfterKills", requested);

    let head = invariants::log_head(&store).await;
    let caught_up = client
        .wait_caught_up(head, Duration::from_secs(120))
        .await
        .map_err(|e| vec![e]);
    section.invariant(
        "the projectors catch up after the last restart",
        1,
        caught_up.as_ref().err().map_or(&[][..], |v| v.as_slice()),
    );
    section.figure(
        "catchUpSeconds",
        caught_up.map_or(-1.0, |d| d.as_secs_f64()),
    );
    let (code, output) = tokio::task::block_in_place(|| config.verify_projections());
    let (differences, items) = verify_figures(&output);
    section.figure("verifiedItems", items);
    let mut problems = Vec::new();
    if code != Some(0) || differences > 0 {
        problems.push(format!(
            "exit {code:?}, {differences} differences:\n{output}"
        ));
    }
    section.invariant(
        "`holdfast projections verify --all` finds 0 differences",
        items,
        &problems,
    );

    assert!(server.terminate(), "graceful shutdown after the crashes");
    section.pass();
    db.drop_now().await;
}
