//! Idempotency under client retries: many concurrent clients send every kind of mutation and
//! give up on most first attempts after a few milliseconds (the request is often abandoned
//! mid-flight, between the steps of a process), then retry with the **same key** until they
//! get an answer. Exactly one effect per key: no event is stored twice for one key, every
//! repeat answers what the first answer said, and the counts of bookings, holds and claims
//! are exact.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{Value, json};

use crate::fixtures::*;
use crate::support::{TestApp, guest, operator, spawn_app};

/// How the clients fared, over every request.
#[derive(Default)]
struct Tally {
    attempts: AtomicU32,
    abandoned: AtomicU32,
    retryable: AtomicU32,
}

/// One mutation with its key: sent until it gets a final answer (data, or an error that is
/// not retryable), the first attempts with a client timeout of 1..=25 ms.
struct Call {
    name: &'static str,
    token: String,
    query: String,
    variables: Value,
}

impl Call {
    fn new(name: &'static str, token: &str, query: &str, mut variables: Value) -> Self {
        variables["key"] = json!(key());
        Self {
            name,
            token: token.to_owned(),
            query: query.to_owned(),
            variables,
        }
    }

    async fn send(&self, app: &TestApp, timeout: Duration, tally: &Tally) -> Option<Value> {
        tally.attempts.fetch_add(1, Ordering::Relaxed);
        let sent = app
            .http
            .post(format!("{}/graphql", app.base))
            .bearer_auth(&self.token)
            .timeout(timeout)
            .json(&json!({"query": self.query, "variables": self.variables}))
            .send()
            .await;
        let body = match sent {
            Ok(response) => {
                assert!(
                    !response.status().is_server_error(),
                    "{}: {}",
                    self.name,
                    response.status()
                );
                response.json::<Value>().await
            }
            Err(e) => Err(e),
        };
        let Ok(body) = body else {
            tally.abandoned.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        if let Some(error) = body["errors"].get(0) {
            let code = error["extensions"]["code"].as_str();
            assert!(
                code.is_some(),
                "{}: an error without a code: {body}",
                self.name
            );
            assert_ne!(code, Some("INTERNAL"), "{}: {body}", self.name);
            if error["extensions"]["retryable"] == true {
                tally.retryable.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        }
        Some(body)
    }

    /// The first final answer (impatient attempts first, then patient ones).
    async fn answer(&self, app: &TestApp, tally: &Tally) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        for attempt in 0.. {
            let timeout = if attempt < 4 {
                Duration::from_millis(fastrand::u64(1..=25))
            } else {
                Duration::from_secs(20)
            };
            if let Some(body) = self.send(app, timeout, tally).await {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "{}: no final answer within two minutes",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(fastrand::u64(5..=60))).await;
        }
        unreachable!()
    }

    /// The first final answer, then two more repeats with the key, which must say the same.
    async fn answer_and_repeat(&self, app: &TestApp, tally: &Tally) -> Value {
        let first = self.answer(app, tally).await;
        for _ in 0..2 {
            let again = self.answer(app, tally).await;
            assert_eq!(again, first, "{}: a repeat answered differently", self.name);
        }
        first
    }
}

async fn run_all(app: &TestApp, calls: &[Call], tally: &Tally) -> Vec<Value> {
    join_all(calls.iter().map(|c| c.answer_and_repeat(app, tally))).await
}

fn doc(field: &str, vars: &str, selection: &str) -> String {
    format!(
        "mutation($key: String!, {vars}) {{ {field}(idempotencyKey: $key, input: $input) {{ {selection} }} }}"
    )
}

const BOOKING_FIELDS: &str = "bookingId status holdExpiresAt consistencyToken \
    totals { currency subtotalMinor discountMinor totalMinor }";

fn code(answer: &Value) -> Option<&str> {
    answer["errors"][0]["extensions"]["code"].as_str()
}

/// Stored events grouped by aggregate, event type and idempotency key (with the principal).
async fn events_per_key(app: &TestApp) -> Vec<(String, String, String, String, i64)> {
    let pool = app.engine.store.pg_pool().unwrap();
    sqlx::query_as(
        "SELECT aggregate_type, aggregate_id, event_type,
                coalesce(metadata->>'principal', '') || ' ' || coalesce(metadata->>'idempotency_key', ''),
                count(*)
           FROM events GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC, 1, 2, 3",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn count_of(app: &TestApp, event_type: &str) -> i64 {
    let pool = app.engine.store.pg_pool().unwrap();
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(DISTINCT aggregate_id || ':' || payload::text) FROM events WHERE event_type = $1",
    )
    .bind(event_type)
    .fetch_one(pool)
    .await
    .unwrap();
    let (all,): (i64,) = sqlx::query_as("SELECT count(*) FROM events WHERE event_type = $1")
        .bind(event_type)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(n, all, "{event_type}: an identical event was stored twice");
    all
}

#[tokio::test]
async fn mutations_retried_after_client_timeouts_take_effect_once_per_key() {
    let app = spawn_app().await;
    let tally = Tally::default();
    let (_, op) = operator();
    let listing = published_listing(&app, &op, event_policy()).await;
    let dates = ["2030-02-01", "2030-02-02", "2030-02-03"];
    // `inventory`: 3 dates × 4 seats for 18 guests asking for one seat each;
    // `other_inventory`: 2 seats a date, for waitlist entries and slot changes.
    let mut stocked = Vec::new();
    for capacity in [4, 2] {
        let range = ("2030-02-01", "2030-02-04", &[][..]);
        stocked.push(stocked_inventory(&app, &op, &listing, range, capacity, 10_000).await);
    }
    let (inventory, other_inventory) = (stocked[0].clone(), stocked[1].clone());
    let campaign = app
        .ok(
            Some(&op),
            &doc(
                "createCampaign",
                "$input: CreateCampaignInput!",
                "campaignId",
            ),
            json!({"key": key(), "input": {
                "code": "TEN", "discount": {"fixed": {"amountMinor": 1000, "currency": "KRW"}},
                "validFrom": "2030-01-01T00:00:00Z", "validUntil": "2030-03-01T00:00:00Z",
                "totalQuantity": 10}}),
        )
        .await["createCampaign"]["campaignId"]
        .as_str()
        .unwrap()
        .to_owned();

    // Round 1: operators' mutations, placements, waitlist entries and coupon claims, all at
    // once.
    let guests: Vec<String> = (0..18).map(|_| guest().1).collect();
    let mut calls = Vec::new();
    for i in 0..3 {
        calls.push(Call::new(
            "createListing",
            &op,
            &doc(
                "createListing",
                "$input: CreateListingInput!",
                "listingId status policyVersion consistencyToken",
            ),
            json!({"input": listing_input(&format!("Branch {i}"), event_policy())}),
        ));
        calls.push(Call::new(
            "createCampaign",
            &op,
            &doc(
                "createCampaign",
                "$input: CreateCampaignInput!",
                "campaignId code status claimed remaining consistencyToken",
            ),
            json!({"input": {
                "code": format!("C-{i}"), "discount": {"fixed": {"amountMinor": 1, "currency": "KRW"}},
                "validFrom": "2030-01-01T00:00:00Z", "validUntil": "2030-03-01T00:00:00Z",
                "totalQuantity": 3}}),
        ));
    }
    let inventory_fields = "inventoryId consistencyToken";
    // `to` is exclusive.
    let selection = |from: &str, to: &str| json!({"from": from, "to": to});
    calls.extend([
        Call::new(
            "updateListingDetails",
            &op,
            &doc(
                "updateListingDetails",
                "$input: UpdateListingDetailsInput!",
                "listingId status consistencyToken",
            ),
            json!({"input": {"listingId": listing, "name": "Renamed"}}),
        ),
        Call::new(
            "defineInventory",
            &op,
            &doc(
                "defineInventory",
                "$input: DefineInventoryInput!",
                "inventoryId listingId consistencyToken",
            ),
            json!({"input": {"listingId": listing, "name": "Terrace", "currency": "KRW"}}),
        ),
        Call::new(
            "setCapacity",
            &op,
            &doc("setCapacity", "$input: SetCapacityInput!", inventory_fields),
            json!({"input": {"inventoryId": other_inventory, "selection": selection("2030-02-01", "2030-02-02"), "capacity": 7}}),
        ),
        Call::new(
            "setPrice",
            &op,
            &doc("setPrice", "$input: SetPriceInput!", inventory_fields),
            json!({"input": {"inventoryId": other_inventory, "selection": selection("2030-02-02", "2030-02-03"),
                   "price": {"amountMinor": 12_000, "currency": "KRW"}}}),
        ),
        Call::new(
            "closeSlots",
            &op,
            &doc("closeSlots", "$input: SlotsInput!", inventory_fields),
            json!({"input": {"inventoryId": other_inventory, "selection": selection("2030-02-03", "2030-02-04")}}),
        ),
    ]);
    for (i, g) in guests.iter().enumerate() {
        calls.push(Call::new(
            "placeBooking",
            g,
            &doc("placeBooking", "$input: PlaceBookingInput!", BOOKING_FIELDS),
            json!({"input": {"listingId": listing, "inventoryId": inventory,
                             "eventDate": dates[i % 3], "partySize": 1}}),
        ));
        calls.push(Call::new(
            "claimCoupon",
            g,
            &doc(
                "claimCoupon",
                "$input: CampaignRefInput!",
                "campaignId code status claimed remaining consistencyToken",
            ),
            json!({"input": {"campaignId": campaign}}),
        ));
        if i % 2 == 0 {
            calls.push(Call::new(
                "joinWaitlist",
                g,
                &doc("joinWaitlist", "$input: JoinWaitlistInput!", BOOKING_FIELDS),
                json!({"input": {"listingId": listing, "inventoryId": other_inventory,
                                 "wanted": {"from": "2030-02-01", "to": "2030-02-03"}, "partySize": 1}}),
            ));
        }
    }
    let answers = run_all(&app, &calls, &tally).await;

    let mut outcomes: BTreeMap<(&str, String), u32> = BTreeMap::new();
    for (call, answer) in calls.iter().zip(&answers) {
        let outcome = code(answer).map_or_else(
            || {
                let payload = &answer["data"][call.name];
                payload["status"].as_str().unwrap_or("OK").to_owned()
            },
            str::to_owned,
        );
        *outcomes.entry((call.name, outcome)).or_default() += 1;
    }
    let expected: BTreeMap<(&str, String), u32> = [
        (("createListing", "DRAFT"), 3),
        (("createCampaign", "ACTIVE"), 3),
        (("updateListingDetails", "PUBLISHED"), 1),
        (("defineInventory", "OK"), 1),
        (("setCapacity", "OK"), 1),
        (("setPrice", "OK"), 1),
        (("closeSlots", "OK"), 1),
        (("placeBooking", "HELD"), 12),
        (("placeBooking", "SOLD_OUT"), 6),
        (("claimCoupon", "ACTIVE"), 10),
        (("joinWaitlist", "WAITLISTED"), 9),
    ]
    .into_iter()
    .map(|((name, outcome), n)| ((name, outcome.to_owned()), n))
    .chain(std::iter::once((
        (
            "claimCoupon",
            outcomes_code(&calls, &answers, "claimCoupon"),
        ),
        8,
    )))
    .collect();
    assert_eq!(outcomes, expected, "outcomes of round 1");
    // Each claim answered the count "so far", read after its own claim (so a concurrent
    // claim may already show in it): within 1..=10, and the last one saw all 10.
    let claimed: Vec<u64> = calls
        .iter()
        .zip(&answers)
        .filter(|(c, a)| c.name == "claimCoupon" && code(a).is_none())
        .map(|(_, a)| a["data"]["claimCoupon"]["claimed"].as_u64().unwrap())
        .collect();
    assert!(claimed.iter().all(|n| (1..=10).contains(n)), "{claimed:?}");
    assert_eq!(claimed.iter().max(), Some(&10));

    // Round 2: the operator takes payment for half of the held bookings, their guests cancel
    // the other half; the operator reopens the closed slots.
    let held: Vec<(&Call, String)> = calls
        .iter()
        .zip(&answers)
        .filter(|(c, a)| c.name == "placeBooking" && code(a).is_none())
        .map(|(c, a)| {
            (
                c,
                a["data"]["placeBooking"]["bookingId"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    let mut second = vec![Call::new(
        "openSlots",
        &op,
        &doc("openSlots", "$input: SlotsInput!", inventory_fields),
        json!({"input": {"inventoryId": other_inventory, "selection": selection("2030-02-03", "2030-02-04")}}),
    )];
    for (i, (placed, booking)) in held.iter().enumerate() {
        second.push(if i % 2 == 0 {
            Call::new(
                "confirmPayment",
                &op,
                &doc(
                    "confirmPayment",
                    "$input: ConfirmPaymentInput!",
                    BOOKING_FIELDS,
                ),
                json!({"input": {"bookingId": booking, "provider": "psp", "reference": format!("pay-{i}"),
                                 "amount": {"amountMinor": 10_000, "currency": "KRW"}}}),
            )
        } else {
            Call::new(
                "cancelBooking",
                &placed.token,
                &doc(
                    "cancelBooking",
                    "$input: CancelBookingInput!",
                    BOOKING_FIELDS,
                ),
                json!({"input": {"bookingId": booking}}),
            )
        });
    }
    let second_answers = run_all(&app, &second, &tally).await;
    for (call, answer) in second.iter().zip(&second_answers) {
        let want = match call.name {
            "confirmPayment" => Some("CONFIRMED"),
            "cancelBooking" => Some("CANCELLED"),
            _ => None,
        };
        assert!(code(answer).is_none(), "{}: {answer}", call.name);
        if let Some(want) = want {
            assert_eq!(answer["data"][call.name]["status"], want, "{answer}");
        }
    }

    // The event store: no event twice for one key, and exact counts.
    let groups = events_per_key(&app).await;
    let duplicates: Vec<_> = groups.iter().filter(|g| g.4 > 1).collect();
    assert!(
        duplicates.is_empty(),
        "events stored more than once for one key: {duplicates:#?}"
    );
    let keys_with_effects: HashSet<&str> = groups
        .iter()
        .map(|g| g.3.rsplit(' ').next().unwrap())
        .collect();
    for (call, answer) in calls
        .iter()
        .zip(&answers)
        .chain(second.iter().zip(&second_answers))
    {
        let k = call.variables["key"].as_str().unwrap();
        // A refused placement records its rejection; any other refusal records nothing.
        if code(answer).is_none() || call.name == "placeBooking" {
            assert!(
                keys_with_effects.contains(k),
                "{}: no event for {answer}",
                call.name
            );
        } else {
            assert!(
                !keys_with_effects.contains(k),
                "{}: events for {answer}",
                call.name
            );
        }
    }
    for (event_type, n) in [
        ("ListingCreated", 4),
        ("CouponCampaignCreated", 4),
        ("InventoryDefined", 3),
        ("BookingRequested", 18),
        ("InventoryHoldPlaced", 12),
        ("BookingHeld", 12),
        ("BookingRejected", 6),
        ("BookingWaitlisted", 9),
        ("CouponClaimed", 10),
        ("BookingPaymentReceived", 6),
        ("BookingConfirmed", 6),
        ("InventoryHoldConfirmed", 6),
        ("BookingCancelled", 6),
        ("InventoryHoldReleased", 6),
        ("InventorySlotsClosed", 1),
        ("InventorySlotsOpened", 1),
    ] {
        assert_eq!(count_of(&app, event_type).await, n, "{event_type}");
    }
    let attempts = tally.attempts.load(Ordering::Relaxed);
    let abandoned = tally.abandoned.load(Ordering::Relaxed);
    eprintln!(
        "{} keys, {attempts} attempts, {abandoned} abandoned by the client, {} retryable answers",
        calls.len() + second.len(),
        tally.retryable.load(Ordering::Relaxed)
    );
    assert!(
        abandoned > 0,
        "no attempt was abandoned: the test did not test retries"
    );
}

/// The error code the refused claims got (whatever the domain calls running out of coupons).
fn outcomes_code(calls: &[Call], answers: &[Value], name: &str) -> String {
    calls
        .iter()
        .zip(answers)
        .filter(|(c, _)| c.name == name)
        .find_map(|(_, a)| code(a))
        .unwrap_or("none")
        .to_owned()
}
