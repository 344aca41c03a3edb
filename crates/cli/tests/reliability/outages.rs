//! Outages of the services, on dedicated instances this test starts and stops (never the shared
//! ones the rest of the test suite uses):
//!
//! - **DynamoDB outage**: a private DynamoDB Local (on disk) is killed for 10 s (30 s in the
//!   full run) under booking load: mutations keep working, `/readyz` stays ready and reports the
//!   read side `degraded`, the projectors resume and catch up, and nothing is lost (verify finds
//!   0 differences; every acknowledged booking reads back from the read model).
//! - **Postgres restart**: a private Postgres cluster is restarted (`pg_ctl restart -m fast`,
//!   every connection cut) and stopped for a few seconds, under booking load: clients get data
//!   or a typed error — retryable when the store is down — never a 5xx or `INTERNAL`; once the
//!   clients have retried, no booking is left half-placed; the server (never restarted)
//!   reconnects by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use holdfast_testkit::dedicated::{DedicatedDynamo, DedicatedPostgres};
use holdfast_testkit::{dynamodb_endpoint, fresh_table_prefix};
use serde_json::json;

use crate::load::{self, Policy, Tally, Target};
use crate::support::report::Section;
use crate::support::{
    Client, Scale, Server, ServerConfig, fresh_database, invariants, operator, stock_dates,
    stocked_listing, verify_figures,
};

async fn start_load(
    client: &Client,
    target: Target,
    clients: usize,
    policy: Policy,
) -> (Arc<AtomicBool>, Arc<Tally>, tokio::task::JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let handle = tokio::spawn(load::run(
        client.clone(),
        target,
        clients,
        policy,
        stop.clone(),
        tally.clone(),
    ));
    (stop, tally, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dynamodb_outage_degrades_reads_but_loses_no_update() {
    let scale = Scale::get();
    let outage = Duration::from_secs(scale.pick(10, 30));
    let mut section = Section::new("dynamodb_outage");
    let mut dynamo = tokio::task::block_in_place(DedicatedDynamo::start);
    let db = fresh_database().await;
    let config = ServerConfig {
        database_url: db.url.clone(),
        dynamodb_endpoint: dynamo.endpoint(),
        table_prefix: fresh_table_prefix(),
    };
    let mut server = Server::start("dynamodb_outage", config.clone());
    let client = Client::new(&server.base);
    let (_, op) = operator();
    let dates = stock_dates(5);
    let (listing, inventory) = stocked_listing(&client, &op, 15, &dates, 400).await;
    let target = Target {
        listing,
        inventory,
        dates,
        operator: op,
    };
    let policy = Policy {
        transport_expected: false,
        timeout: Duration::from_secs(30),
        give_up_after: Duration::from_secs(60),
    };
    let (stop, tally, load) = start_load(&client, target, 3, policy).await;

    tokio::time::sleep(Duration::from_millis(1500)).await;
    tokio::task::block_in_place(|| dynamo.stop());
    let down = Instant::now();
    section.fault(
        "DynamoDB Local killed",
        json!({"seconds": outage.as_secs()}),
    );
    // During the outage: /readyz every 500 ms.
    let mut probes = 0u64;
    let mut degraded = 0u64;
    let mut readiness = Vec::new();
    while down.elapsed() < outage {
        tokio::time::sleep(Duration::from_millis(500)).await;
        probes += 1;
        match client.get_json("/readyz").await {
            Some((200, body)) if body["ready"] == true => {
                if body["readModels"]["status"] == "degraded" {
                    degraded += 1;
                } else if down.elapsed() > Duration::from_secs(3) {
                    readiness.push(format!(
                        "not degraded {:?} into the outage: {body}",
                        down.elapsed()
                    ));
                }
            }
            other => readiness.push(format!("/readyz during the outage: {other:?}")),
        }
    }
    let acked_during = tally
        .held_at
        .lock()
        .await
        .iter()
        .filter(|t| **t >= down && t.duration_since(down) < outage)
        .count();
    tokio::task::block_in_place(|| dynamo.start_again());
    let up = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    load.await.expect("load");
    section.figure("load", tally.figures().await);
    section.figure("bookingsAcknowledgedDuringTheOutage", acked_during as u64);
    section.figure("readyzProbesDuringTheOutage", probes);
    section.figure("readyzDegradedDuringTheOutage", degraded);
    section.cases(tally.requests.load(Ordering::Relaxed) + probes);

    section.invariant(
        "/readyz stays ready (200) and reports the read side degraded during the outage",
        probes,
        &readiness,
    );
    let untyped = tally.untyped.lock().await.clone();
    section.invariant(
        "mutations keep working: every answer is data or a typed error, and bookings are acknowledged during the outage",
        tally.requests.load(Ordering::Relaxed),
        &if acked_during == 0 {
            let mut v = untyped.clone();
            v.push("no booking acknowledged during the outage".into());
            v
        } else {
            untyped
        },
    );

    let store = invariants::open(&db.url).await;
    let head = invariants::log_head(&store).await;
    let caught = client.wait_caught_up(head, Duration::from_secs(180)).await;
    let catch_up = up.elapsed();
    section.invariant(
        "the projectors resume and catch up",
        1,
        &caught
            .as_ref()
            .err()
            .cloned()
            .into_iter()
            .collect::<Vec<_>>(),
    );
    section.figure("catchUpSecondsAfterRestart", catch_up.as_secs_f64());
    let ready_after = client.get_json("/readyz").await;
    let mut problems = Vec::new();
    if !matches!(&ready_after, Some((200, b)) if b["readModels"]["status"] == "ok") {
        problems.push(format!("/readyz after the outage: {ready_after:?}"));
    }
    section.invariant("/readyz reports the read side ok again", 1, &problems);

    // 0 lost updates: the read models equal a recomputation from the log, and every
    // acknowledged booking reads back with its status.
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
        "`projections verify --all`: 0 differences",
        items,
        &problems,
    );
    let booked = tally.booked.lock().await.clone();
    let mut lost = Vec::new();
    for (token, booking) in &booked {
        let reply = client
            .graphql(
                Some(token),
                "query($id: ID!) { booking(id: $id) { id status } }",
                json!({"id": booking}),
            )
            .await;
        match reply.data("booking") {
            Some(b) if b["id"] == booking.as_str() => {}
            _ => lost.push(format!(
                "booking {booking} not in the read model: {reply:?}"
            )),
        }
    }
    section.invariant(
        "every acknowledged booking reads back from the bookings read model",
        booked.len() as u64,
        &lost,
    );
    let (checked, violations) = invariants::capacity(&store).await;
    section.invariant("held + allocated <= capacity", checked, &violations);

    assert!(server.terminate());
    section.pass();
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_gives_typed_retryable_errors_and_no_partial_booking() {
    let scale = Scale::get();
    let faults = scale.pick(2, 6);
    let stopped_for = Duration::from_secs(scale.pick(3, 8));
    let mut section = Section::new("postgres_restart");
    let pg = tokio::task::block_in_place(DedicatedPostgres::start);
    let admin = invariants::open(&pg.url("postgres")).await;
    sqlx::query("CREATE DATABASE holdfast")
        .execute(admin.pg_pool().expect("postgres"))
        .await
        .expect("create the database");
    drop(admin);
    let url = pg.url("holdfast");
    let config = ServerConfig {
        database_url: url.clone(),
        dynamodb_endpoint: dynamodb_endpoint(),
        table_prefix: fresh_table_prefix(),
    };
    let mut server = Server::start("postgres_restart", config.clone());
    let pid = server.pid();
    let client = Client::new(&server.base);
    let (_, op) = operator();
    let dates = stock_dates(5);
    let (listing, inventory) = stocked_listing(&client, &op, 15, &dates, 400).await;
    let target = Target {
        listing: listing.clone(),
        inventory: inventory.clone(),
        dates: dates.clone(),
        operator: op,
    };
    let policy = Policy {
        transport_expected: false,
        timeout: Duration::from_secs(60),
        give_up_after: Duration::from_secs(90),
    };
    let (stop, tally, load) = start_load(&client, target, 4, policy).await;

    let mut last_up = Instant::now();
    for n in 0..faults {
        tokio::time::sleep(Duration::from_millis(fastrand::u64(800..2000))).await;
        if n % 2 == 0 {
            tokio::task::block_in_place(|| pg.restart());
            section.fault("pg_ctl restart -m fast", json!({"n": n + 1}));
        } else {
            tokio::task::block_in_place(|| pg.stop());
            tokio::time::sleep(stopped_for).await;
            tokio::task::block_in_place(|| pg.start_again());
            section.fault(
                "Postgres stopped, then started",
                json!({"n": n + 1, "seconds": stopped_for.as_secs()}),
            );
        }
        last_up = Instant::now();
    }
    // The server reconnects by itself: ready again, and a new booking goes through.
    let mut reconnected = None;
    while last_up.elapsed() < Duration::from_secs(60) {
        if let Some((200, body)) = client.get_json("/readyz").await
            && body["ready"] == true
        {
            reconnected = Some(last_up.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    load.await.expect("load");
    section.figure("load", tally.figures().await);
    section.cases(tally.requests.load(Ordering::Relaxed));
    section.figure(
        "readyAgainSecondsAfterTheLastFault",
        reconnected.map_or(-1.0, |d| d.as_secs_f64()),
    );
    let (_, g) = crate::support::guest();
    let after = client
        .graphql(
            Some(&g),
            crate::support::PLACE_BOOKING,
            json!({"key": crate::support::key(),
                   "input": crate::support::booking_input(&listing, &inventory, dates[0], 1)}),
        )
        .await;
    let mut problems = Vec::new();
    if reconnected.is_none() {
        problems.push("/readyz not ready within 60 s of the last fault".to_owned());
    }
    if after.data("placeBooking").is_none() {
        problems.push(format!("a booking after the faults: {after:?}"));
    }
    if server.pid() != pid {
        problems.push("the server was restarted".to_owned());
    }
    section.invariant(
        "the server reconnects by itself (ready again, bookings go through)",
        1,
        &problems,
    );
    let untyped = tally.untyped.lock().await.clone();
    section.invariant(
        "every answer is data or a typed error; store failures are retryable (no 5xx, no INTERNAL, no dropped connection)",
        tally.requests.load(Ordering::Relaxed),
        &untyped,
    );
    if tally.retryable.load(Ordering::Relaxed) == 0 {
        section.figure("note", "no request hit the outage window");
    }

    let store = invariants::open(&url).await;
    let acks = tally.acks.lock().await.clone();
    let (checked, violations) = invariants::acknowledged(&store, &acks).await;
    section.invariant(
        "every acknowledged booking is in the event store",
        checked,
        &violations,
    );
    let (checked, violations) = invariants::no_partial_bookings(&store).await;
    section.invariant(
        "no partial booking: every booking held with its hold, or rejected without one",
        checked,
        &violations,
    );
    let (checked, violations) = invariants::capacity(&store).await;
    section.invariant("held + allocated <= capacity", checked, &violations);
    let head = invariants::log_head(&store).await;
    let caught = client.wait_caught_up(head, Duration::from_secs(120)).await;
    section.invariant(
        "the projectors survive the restarts and catch up",
        1,
        &caught.err().into_iter().collect::<Vec<_>>(),
    );
    let (code, output) = tokio::task::block_in_place(|| config.verify_projections());
    let (differences, items) = verify_figures(&output);
    let mut problems = Vec::new();
    if code != Some(0) || differences > 0 {
        problems.push(format!(
            "exit {code:?}, {differences} differences:\n{output}"
        ));
    }
    section.invariant(
        "`projections verify --all`: 0 differences",
        items,
        &problems,
    );
    drop(store);
    assert!(server.terminate());
    section.pass();
}
