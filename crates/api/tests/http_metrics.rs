//! `/metrics` on the real server: the command latency histogram and conflict counter count
//! exactly the commands sent, projector lag is exposed per read model, requests are counted
//! by route. One test in this binary: the metrics recorder is process-wide, so exact counts
//! need a process of their own.

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use holdfast_domain::common::{
    BookingId, Currency, DateRange, InventoryId, ListingId, Slot, TenantId,
};
use holdfast_domain::inventory::{Inventory, InventoryCommand, InventoryName, SlotSelection};
use holdfast_engine::dispatch::{DispatchOptions, Dispatcher, RetryPolicy};
use holdfast_projections::store::Table;
use reqwest::StatusCode;
use support::{TestApp, spawn_app, start_instant};

/// The value of the sample of `name` whose labels include every pair of `labels`.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| {
            let (series, _) = line.rsplit_once(' ').unwrap_or((line, ""));
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|line| line.rsplit_once(' '))
        .and_then(|(_, value)| value.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let response = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    response.text().await.unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, 5, 1).unwrap()
}

fn hold() -> InventoryCommand {
    InventoryCommand::PlaceHold {
        booking_id: BookingId::new(),
        slots: vec![Slot::day(day())],
        quantity: 1,
        expires_at: start_instant() + Duration::minutes(15),
    }
}

#[tokio::test]
async fn metrics_count_commands_conflicts_requests_and_projector_lag() {
    // The binary installs the recorder at start; building the router does not.
    holdfast_api::metrics::install().expect("no other recorder in this test binary");
    let app = spawn_app().await;
    // Every projector tailing the log before anything is written: events folded into a table's
    // first build are not "processed" by its runner, which the count below relies on (on a busy
    // machine a projector could still be building when the first commands commit).
    let runtime = app.engine.projections.as_ref().unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while !Table::ALL.iter().all(|t| {
        runtime.status(*t).is_some_and(|s| {
            matches!(
                s.state,
                holdfast_projections::runtime::ProjectorState::Waiting
            )
        })
    }) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "projectors never idle"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before = scrape(&app).await;
    let conflicts = |text: &str| {
        sample(
            text,
            "holdfast_command_conflicts_total",
            &[("aggregate", "Inventory")],
        )
    };
    assert_eq!(
        conflicts(&before),
        Some(0.0),
        "exposed at 0 before any conflict"
    );

    // Two commands through the app's dispatcher.
    let id = InventoryId::new();
    let inventories = &app.engine.commands.inventories;
    inventories
        .execute(
            &id.to_string(),
            InventoryCommand::DefineInventory {
                inventory_id: id,
                tenant_id: TenantId::new(),
                listing_id: ListingId::new(),
                name: InventoryName::parse("Hall").unwrap(),
                currency: Currency::parse("EUR").unwrap(),
            },
            HashMap::new(),
        )
        .await
        .unwrap();
    inventories
        .execute(
            &id.to_string(),
            InventoryCommand::SetCapacity {
                selection: SlotSelection::days(
                    DateRange::new(day(), day().succ_opt().unwrap()).unwrap(),
                ),
                capacity: 10_000,
            },
            HashMap::new(),
        )
        .await
        .unwrap();
    let mut committed = 2;

    // Then holds racing from a second "node" (its own locks) until some conflicted: each
    // conflict is counted once, whether its command then succeeded or not.
    let other_node: Arc<Dispatcher<Inventory>> = Arc::new(Dispatcher::new(
        &app.engine.store,
        app.engine.services.clone(),
        DispatchOptions {
            retry: RetryPolicy {
                max_attempts: 50,
                ..RetryPolicy::default()
            },
            ..DispatchOptions::default()
        },
    ));
    let mut expected_conflicts = 0;
    for _round in 0..10 {
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let state = app.engine.clone();
                let other = other_node.clone();
                let id = id.to_string();
                tokio::spawn(async move {
                    if i % 2 == 0 {
                        state
                            .commands
                            .inventories
                            .execute(&id, hold(), HashMap::new())
                            .await
                    } else {
                        other.execute(&id, hold(), HashMap::new()).await
                    }
                })
            })
            .collect();
        for task in tasks {
            let done = task
                .await
                .unwrap()
                .expect("every hold commits (capacity 10 000)");
            committed += 1;
            expected_conflicts += done.attempts - 1;
        }
        if expected_conflicts > 0 {
            break;
        }
    }
    assert!(expected_conflicts > 0, "two nodes racing never conflicted");

    // Let the projectors apply everything, so lag reads 0.
    let head = app.engine.store.log().head().await.unwrap();
    let runtime = app.engine.projections.as_ref().unwrap();
    for table in Table::ALL {
        assert!(
            runtime
                .wait_for(table, head, std::time::Duration::from_secs(10))
                .await
                .unwrap()
        );
    }

    // Every event the calendar projector was sent is counted once it has applied it; a
    // committed event may become readable a moment after `head` says so (the gap-safe log
    // waits for older transactions), so wait for the count, bounded.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let processed = runtime
            .status(Table::Calendar)
            .map_or(0, |s| s.events_processed);
        if processed >= u64::try_from(committed).unwrap_or(u64::MAX) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the calendar projector processed {processed} of {committed} events"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Projectors measure lag when they go idle: scrape until each reports none (bounded).
    let mut scrapes = 0;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let after = loop {
        let text = scrape(&app).await;
        scrapes += 1;
        let caught_up = ["calendar", "search", "bookings", "coupons"]
            .iter()
            .all(|table| {
                sample(&text, "holdfast_projector_lag_events", &[("table", table)]) == Some(0.0)
            });
        if caught_up {
            break text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "lag never reached 0:\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(conflicts(&after), Some(f64::from(expected_conflicts)));
    assert_eq!(
        sample(
            &after,
            "holdfast_command_seconds_count",
            &[("aggregate", "Inventory"), ("outcome", "committed")]
        ),
        Some(f64::from(committed))
    );
    assert!(
        after.contains("holdfast_command_seconds_bucket{"),
        "a histogram with buckets:\n{after}"
    );
    for table in ["calendar", "search", "bookings", "coupons"] {
        assert_eq!(
            sample(&after, "holdfast_projector_lag_events", &[("table", table)]),
            Some(0.0),
            "{table}"
        );
        assert!(
            sample(
                &after,
                "holdfast_projector_lag_seconds",
                &[("table", table)]
            )
            .is_some()
        );
        assert_eq!(
            sample(&after, "holdfast_projector_up", &[("table", table)]),
            Some(1.0)
        );
    }
    // The calendar projector saw every inventory event: 2 + the holds.
    assert_eq!(
        sample(
            &after,
            "holdfast_projector_events_processed",
            &[("table", "calendar")]
        ),
        Some(f64::from(committed))
    );
    // Earlier scrapes were counted by route and status (each is counted after it renders).
    assert_eq!(
        sample(
            &after,
            "holdfast_http_requests_total",
            &[("route", "/metrics"), ("method", "GET"), ("status", "200")]
        ),
        Some(f64::from(scrapes))
    );
    let not_found = app
        .http
        .get(format!("{}/nowhere/42", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
    let last = scrape(&app).await;
    assert_eq!(
        sample(
            &last,
            "holdfast_http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        ),
        Some(1.0),
        "unmatched paths share one label"
    );
}
