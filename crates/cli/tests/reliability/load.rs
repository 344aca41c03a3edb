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

/// A mutation a guest sent, with its variables (and so its idempotency key).
enum Op {
    Place(Value),
    Confirm(Value, String),
    Cancel(Value, String),
}

impl Op {
    fn query(&self) -> &'static str {
        match self {
            Op::Place(_) => PLACE_BOOKING,
            Op::Confirm(..) => CONFIRM_PAYMENT,
            Op::Cancel(..) => CANCEL_BOOKING,
        }
    }

    fn variables(&self) -> &Value {
        match self {
            Op::Place(v) | Op::Confirm(v, _) | Op::Cancel(v, _) => v,
        }
    }
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
    // Requests without a final answer yet, retried later with the same key.
    let mut pending: Vec<Op> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let op = if !pending.is_empty() && fastrand::bool() {
            pending.swap_remove(0)
        } else {
            next_op(&target, &mut held)
        };
        match attempt(&client, &token, &target, &op, policy, &tally, Some(2)).await {
            Answer::Data(data) => handle(&tally, &target, &token, &op, &data, &mut held).await,
            Answer::Refused => {}
            Answer::Later => pending.push(op),
        }
        jitter(5, 40).await;
    }
    // Drain: every request gets its final answer (or the give-up is recorded).
    for op in pending {
        if let Answer::Data(data) =
            attempt(&client, &token, &target, &op, policy, &tally, None).await
        {
            handle(&tally, &target, &token, &op, &data, &mut held).await;
        }
    }
}

fn next_op(target: &Target, held: &mut Vec<Held>) -> Op {
    let roll = fastrand::u32(0..10);
    if roll < 2 && !held.is_empty() {
        let h = held.swap_remove(fastrand::usize(0..held.len()));
        Op::Confirm(
            json!({"key": key(), "input": {"bookingId": h.booking, "provider": "psp",
                "reference": format!("pay-{}", h.booking),
                "amount": {"amountMinor": h.total, "currency": "KRW"}}}),
            h.booking,
        )
    } else if roll < 3 && !held.is_empty() {
        let h = held.swap_remove(fastrand::usize(0..held.len()));
        Op::Cancel(json!({"key": key(), "id": h.booking}), h.booking)
    } else {
        let date = target.dates[fastrand::usize(0..target.dates.len())];
        let input = booking_input(
            &target.listing,
            &target.inventory,
            date,
            fastrand::u32(1..=2),
        );
        Op::Place(json!({"key": key(), "input": input}))
    }
}

async fn attempt(
    client: &Client,
    token: &str,
    target: &Target,
    op: &Op,
    policy: Policy,
    tally: &Tally,
    attempts: Option<u32>,
) -> Answer {
    let token = match op {
        Op::Confirm(..) => target.operator.as_str(),
        _ => token,
    };
    send(
        client,
        token,
        op.query(),
        op.variables().clone(),
        policy,
        tally,
        attempts,
    )
    .await
}

async fn handle(
    tally: &Tally,
    target: &Target,
    token: &str,
    op: &Op,
    data: &Value,
    held: &mut Vec<Held>,
) {
    match op {
        Op::Place(_) => {
            let placed = &data["placeBooking"];
            if placed["status"] == "HELD" {
                let booking = placed["bookingId"].as_str().unwrap_or_default().to_owned();
                tally.held_at.lock().await.push(Instant::now());
                tally
                    .booked
                    .lock()
                    .await
                    .push((token.to_owned(), booking.clone()));
                ack(tally, &booking, &target.inventory, "HELD").await;
                held.push(Held {
                    booking,
                    total: placed["totals"]["totalMinor"].as_i64().unwrap_or(0),
                });
            }
        }
        Op::Confirm(_, booking) => {
            if data["confirmPayment"]["status"] == "CONFIRMED" {
                ack(tally, booking, &target.inventory, "CONFIRMED").await;
            }
        }
        Op::Cancel(_, booking) => {
            if data["cancelBooking"]["status"] == "CANCELLED" {
                ack(tally, booking, &target.inventory, "CANCELLED").await;
            }
        }
    }
}

async fn ack(tally: &Tally, booking: &str, inventory: &str, status: &str) {
    tally.acks.lock().await.push(Ack {
        booking_id: booking.to_owned(),
        inventory_id: inventory.to_owned(),
        status: status.to_owned(),
    });
}

/// How a request ended.
pub enum Answer {
    /// Its `data`.
    Data(Value),
    /// A typed refusal, or a broken contract (recorded in the tally).
    Refused,
    /// No final answer within the attempts allowed: send it again later, with the same key.
    Later,
}

/// Sends one mutation, retrying it with the same key (same variables) on retryable errors and
/// transport failures — `attempts` times at most, or (`None`) until a final answer or
/// `policy.give_up_after`.
pub async fn send(
    client: &Client,
    token: &str,
    query: &str,
    variables: Value,
    policy: Policy,
    tally: &Tally,
    attempts: Option<u32>,
) -> Answer {
    let started = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
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
                    return Answer::Refused;
                }
                match code {
                    None => {
                        tally.ok.fetch_add(1, Ordering::Relaxed);
                        return Answer::Data(body["data"].clone());
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
                        return Answer::Refused;
                    }
                }
            }
        };
        if retry && attempts.is_some_and(|n| tries >= n) {
            return Answer::Later;
        }
        if retry && started.elapsed() > policy.give_up_after {
            tally.untyped.lock().await.push(format!(
                "gave up after {:?} of retries: {reply:?}",
                policy.give_up_after
            ));
            return Answer::Refused;
        }
        jitter(50, 250).await;
    }
}
