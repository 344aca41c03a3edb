//! Booking load for the fault scenarios: guests place bookings (and some pay through their
//! operator, some cancel), each request retried with its idempotency key until it gets a final
//! answer. Every reply is classified; what the clients were told is recorded.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::support::invariants::Ack;
use crate::support::{
    CANCEL_BOOKING, CONFIRM_PAYMENT, Client, PLACE_BOOKING, Reply, booking_input, guest, jitter,
    key,
};

/// What the load targets.
#[derive(Clone)]
pub struct Target {
    /// The listing.
    pub listing: String,
    /// Its inventory.
    pub inventory: String,
    /// The dates it offers.
    pub dates: Vec<NaiveDate>,
    /// An operator token of its tenant (to confirm payments).
    pub operator: String,
}

/// What a run of the load saw.
#[derive(Default)]
pub struct Tally {
    /// Requests sent (retries included).
    pub requests: AtomicU64,
    /// Answers with data.
    pub ok: AtomicU64,
    /// Typed final refusals (`SOLD_OUT`, …).
    pub refused: AtomicU64,
    /// Typed retryable errors (`UNAVAILABLE`, `CONFLICT`, `TIMEOUT`, with `retryable: true`).
    pub retryable: AtomicU64,
    /// No answer (connection refused or reset, client timeout).
    pub transport: AtomicU64,
    /// Answers that break the error contract: a 5xx, `INTERNAL`, an error without a code, or
    /// a retryable code not marked retryable.
    pub untyped: Mutex<Vec<String>>,
    /// What clients were told.
    pub acks: Mutex<Vec<Ack>>,
    /// When each `HELD` acknowledgement arrived (for "mutations kept working" windows).
    pub held_at: Mutex<Vec<Instant>>,
    /// Booking ids acknowledged to each guest (guest token, booking id).
    pub booked: Mutex<Vec<(String, String)>>,
}

impl Tally {
    /// A JSON summary.
    pub async fn figures(&self) -> Value {
        json!({
            "requests": self.requests.load(Ordering::Relaxed),
            "answeredWithData": self.ok.load(Ordering::Relaxed),
            "typedRefusals": self.refused.load(Ordering::Relaxed),
            "typedRetryableErrors": self.retryable.load(Ordering::Relaxed),
            "transportFailures": self.transport.load(Ordering::Relaxed),
            "untypedFailures": self.untyped.lock().await.len(),
            "acknowledgedBookings": self.held_at.lock().await.len(),
        })
    }
}

/// How the load treats failures without an answer.
#[derive(Clone, Copy)]
pub struct Policy {
    /// Whether a transport failure is expected (the server is being killed) or a violation.
    pub transport_expected: bool,
    /// How long one request may take before the client gives up on it (and retries).
    pub timeout: Duration,
    /// How long a client keeps retrying one idempotency key.
    pub give_up_after: Duration,
}

/// Runs `clients` guests until `stop`; each finishes the request it is on before returning.
pub async fn run(
    client: Client,
    target: Target,
    clients: usize,
    policy: Policy,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) {
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, target, stop, tally) =
            (client.clone(), target.clone(), stop.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            guest_loop(client, target, policy, stop, tally).await;
        }));
    }
    for task in tasks {
        task.await.expect("a load client panicked");
    }
}

struct Held {
    booking: String,
    total: i64,
}

async fn guest_loop(
    client: Client,
    target: Target,
    policy: Policy,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) {
    let (_, token) = guest();
    let mut held: Vec<Held> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let roll = fastrand::u32(0..10);
        if roll < 2 && !held.is_empty() {
            let h = held.swap_remove(fastrand::usize(0..held.len()));
            let vars = json!({"key": key(), "input": {"bookingId": h.booking, "provider": "psp",
                "reference": format!("pay-{}", h.booking),
                "amount": {"amountMinor": h.total, "currency": "KRW"}}});
            if let Some(data) = send(
                &client,
                &target.operator,
                CONFIRM_PAYMENT,
                vars,
                policy,
                &tally,
            )
            .await
            {
                let status = data["confirmPayment"]["status"]
                    .as_str()
                    .unwrap_or_default();
                if status == "CONFIRMED" {
                    ack(&tally, &h.booking, &target.inventory, "CONFIRMED").await;
                }
            }
        } else if roll < 3 && !held.is_empty() {
            let h = held.swap_remove(fastrand::usize(0..held.len()));
            let vars = json!({"key": key(), "id": h.booking});
            if let Some(data) = send(&client, &token, CANCEL_BOOKING, vars, policy, &tally).await
                && data["cancelBooking"]["status"] == "CANCELLED"
            {
                ack(&tally, &h.booking, &target.inventory, "CANCELLED").await;
            }
        } else {
            let date = target.dates[fastrand::usize(0..target.dates.len())];
            let input = booking_input(
                &target.listing,
                &target.inventory,
                date,
                fastrand::u32(1..=2),
            );
            let vars = json!({"key": key(), "input": input});
            if let Some(data) = send(&client, &token, PLACE_BOOKING, vars, policy, &tally).await {
                let placed = &data["placeBooking"];
                if placed["status"] == "HELD" {
                    let booking = placed["bookingId"].as_str().unwrap_or_default().to_owned();
                    tally.held_at.lock().await.push(Instant::now());
                    tally
                        .booked
                        .lock()
                        .await
                        .push((token.clone(), booking.clone()));
                    ack(&tally, &booking, &target.inventory, "HELD").await;
                    held.push(Held {
                        booking,
                        total: placed["totals"]["totalMinor"].as_i64().unwrap_or(0),
                    });
                }
            }
        }
        jitter(5, 40).await;
    }
}

async fn ack(tally: &Tally, booking: &str, inventory: &str, status: &str) {
    tally.acks.lock().await.push(Ack {
        booking_id: booking.to_owned(),
        inventory_id: inventory.to_owned(),
        status: status.to_owned(),
    });
}

/// Sends one mutation, retrying it with the same key (same variables) until a final answer:
/// its `data`, or `None` for a typed refusal or when giving up.
pub async fn send(
    client: &Client,
    token: &str,
    query: &str,
    variables: Value,
    policy: Policy,
    tally: &Tally,
) -> Option<Value> {
    let started = Instant::now();
    loop {
        tally.requests.fetch_add(1, Ordering::Relaxed);
        let reply = client
            .post(Some(token), query, variables.clone(), policy.timeout)
            .await;
        let retry = match &reply {
            Reply::Transport(e) => {
                tally.transport.fetch_add(1, Ordering::Relaxed);
                if !policy.transport_expected {
                    tally.untyped.lock().await.push(format!("no answer: {e}"));
                }
                true
            }
            Reply::Http(status, body) => {
                let untyped = reply.errors_without_code();
                let code = reply.code();
                if *status >= 500 || !untyped.is_empty() || code == Some("INTERNAL") {
                    tally.untyped.lock().await.push(format!("{status}: {body}"));
                    return None;
                }
                match code {
                    None => {
                        tally.ok.fetch_add(1, Ordering::Relaxed);
                        return Some(body["data"].clone());
                    }
                    Some("CONFLICT" | "UNAVAILABLE" | "TIMEOUT") => {
                        tally.retryable.fetch_add(1, Ordering::Relaxed);
                        if !reply.retryable() {
                            tally
                                .untyped
                                .lock()
                                .await
                                .push(format!("not marked retryable: {body}"));
                        }
                        true
                    }
                    Some(_) => {
                        tally.refused.fetch_add(1, Ordering::Relaxed);
                        return None;
                    }
                }
            }
        };
        if retry && started.elapsed() > policy.give_up_after {
            tally.untyped.lock().await.push(format!(
                "gave up after {:?} of retries: {reply:?}",
                policy.give_up_after
            ));
            return None;
        }
        jitter(50, 250).await;
    }
}
