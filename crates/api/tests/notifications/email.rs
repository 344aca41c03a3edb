//! E-mail to guests through a real SMTP server on loopback (aiosmtpd): each notification once,
//! in the guest's language, with the listing's local date and time and the amounts; account
//! links to the account's address; nothing for a guest with no address; nothing lost or
//! repeated while the SMTP server refuses for a while or the outbox restarts mid-send.

use std::collections::HashSet;
use std::time::Duration;

use holdfast_engine::notify::{
    DeliveryFilter, DeliveryStatus, EmailSink, Outbox, OutboxHandle, OutboxOptions, OutboxStore,
    Sink, StartAt,
};
use holdfast_testkit::smtp::{Received, SmtpServer};
use serde_json::json;

use crate::fixtures::{PLACE_BOOKING, event_policy, key, published_listing, stocked_inventory};
use crate::support::{TestApp, guest, operator, spawn_app};

const FROM: &str = "Snowflake Bookings <bookings@snowflake.example>";

fn options() -> OutboxOptions {
    OutboxOptions {
        max_attempts: 50,
        retry_base: Duration::from_millis(20),
        retry_cap: Duration::from_millis(200),
        poll_interval: Duration::from_millis(50),
        lease_retry: Duration::from_millis(100),
        new_sinks_start: StartAt::Beginning,
        ..OutboxOptions::default()
    }
}

/// An outbox with the e-mail sink, once it has registered the sink (account messages go to
/// the sinks registered when they are queued).
pub(crate) async fn start(app: &TestApp, smtp: &SmtpServer) -> OutboxHandle {
    let sink = EmailSink::new(&smtp.url(), FROM, Duration::from_secs(5)).unwrap();
    start_with(app, Sink::Email(sink)).await
}

async fn start_with(app: &TestApp, sink: Sink) -> OutboxHandle {
    let name = sink.name().to_owned();
    let handle = Outbox::new(app.engine.store.clone(), vec![sink], options()).start();
    let store = OutboxStore::new(&app.engine.store);
    for _ in 0..200 {
        if store.cursors().await.unwrap().contains_key(&name) {
            return handle;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the outbox never registered the {name} sink");
}

pub(crate) async fn sign_up(app: &TestApp, email: &str, name: &str, language: &str) -> String {
    app.ok(
        None,
        "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }",
        json!({"input": {"email": email, "password": "correct horse battery", "name": name,
                         "language": language}}),
    )
    .await["signUp"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A business selling "Snowflake Bingsu" (Asia/Seoul, 19:00 on 2030-02-01, 30,000 KRW).
pub(crate) async fn venue(app: &TestApp) -> (String, String, String) {
    let (_, op) = operator();
    let listing = published_listing(app, &op, event_policy()).await;
    let inventory = stocked_inventory(
        app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        50,
        30_000,
    )
    .await;
    (op, listing, inventory)
}

pub(crate) async fn book(app: &TestApp, token: &str, listing: &str, inventory: &str) -> String {
    app.ok(
        Some(token),
        PLACE_BOOKING,
        json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
               "eventDate": "2030-02-01", "partySize": 2}}),
    )
    .await["placeBooking"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) async fn confirm(app: &TestApp, op: &str, booking: &str) {
    let data = app
        .ok(
            Some(op),
            "mutation($key: String!, $input: ConfirmPaymentInput!) { confirmPayment(idempotencyKey: $key, input: $input) { status } }",
            json!({"key": key(), "input": {"bookingId": booking, "provider": "stripe",
                   "reference": format!("pi_{booking}"),
                   "amount": {"amountMinor": 30_000, "currency": "KRW"}}}),
        )
        .await;
    assert_eq!(data["confirmPayment"]["status"], "CONFIRMED");
}

/// Waits until there are `expected` e-mail deliveries, all delivered; returns how many there
/// are then.
pub(crate) async fn all_sent(app: &TestApp, expected: usize) -> usize {
    let store = OutboxStore::new(&app.engine.store);
    for _ in 0..100 {
        let rows = store
            .list(
                &DeliveryFilter {
                    sink: Some("email".into()),
                    ..DeliveryFilter::default()
                },
                None,
                1000,
            )
            .await
            .unwrap();
        if rows.len() >= expected && rows.iter().all(|d| d.status == DeliveryStatus::Delivered) {
            return rows.len();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rows = store
        .list(&DeliveryFilter::default(), None, 1000)
        .await
        .unwrap();
    panic!("e-mail deliveries not all delivered within 60 s: {rows:#?}");
}

pub(crate) fn to<'a>(messages: &'a [Received], address: &str) -> Vec<&'a Received> {
    messages.iter().filter(|m| m.to == address).collect()
}

#[tokio::test]
async fn each_guest_gets_each_message_once_in_their_language_with_local_times_and_amounts() {
    let app = spawn_app().await;
    let smtp = SmtpServer::start();
    let outbox = start(&app, &smtp).await;
    let (op, listing, inventory) = venue(&app).await;
    let mia = sign_up(&app, "mia@example.com", "김민지", "KO").await;
    let ola = sign_up(&app, "ola@example.com", "Ola Nordmann", "EN").await;
    let paid = book(&app, &mia, &listing, &inventory).await;
    confirm(&app, &op, &paid).await;
    let cancelled = book(&app, &ola, &listing, &inventory).await;
    app.ok(
        Some(&ola),
        "mutation($key: String!, $id: ID!) { cancelBooking(idempotencyKey: $key, input: {bookingId: $id}) { status } }",
        json!({"key": key(), "id": cancelled}),
    )
    .await;
    // A guest with no profile (a token `holdfast token` minted): nothing to send to.
    let (_, anonymous) = guest();
    let theirs = book(&app, &anonymous, &listing, &inventory).await;
    confirm(&app, &op, &theirs).await;

    let deliveries = all_sent(&app, 5).await;
    let got = smtp.wait_for(4).await;
    // Two verifications, Mia's confirmation, Ola's cancellation — and nothing else (the
    // profile-less guest's confirmation was nothing to send, yet counts as delivered).
    assert_eq!(got.len(), 4, "{got:#?}");
    assert_eq!(
        deliveries,
        4 + 1,
        "one delivery per notification of a booking or account"
    );
    let ids: HashSet<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), 4, "each message once");
    assert!(got.iter().all(|m| m.from == "bookings@snowflake.example"));
    assert!(got.iter().all(|m| m.rcpt_to == m.to), "{got:#?}");

    let mias = to(&got, "mia@example.com");
    assert_eq!(mias.len(), 2, "{mias:#?}");
    assert_eq!(mias[0].subject, "Holdfast 이메일 주소를 확인해 주세요");
    assert!(
        mias[0].body.contains("/account/verify-email?token="),
        "{}",
        mias[0].body
    );
    assert!(mias[0].body.contains("72시간"), "{}", mias[0].body);
    assert_eq!(
        mias[1].subject,
        "[Snowflake Bingsu] 예약이 확정되었습니다 — 2030년 2월 1일 (금) 19:00"
    );
    for line in [
        "김민지님",
        "일시: 2030년 2월 1일 (금) 19:00",
        "인원: 2명",
        "결제 금액: 30,000원",
    ] {
        assert!(mias[1].body.contains(line), "{line}: {}", mias[1].body);
    }
    assert!(mias[1].body.contains(&paid));
    // The confirmation carries the booking for the guest's calendar.
    let [(name, kind, ics)] = mias[1].attachments.as_slice() else {
        panic!("{:#?}", mias[1].attachments)
    };
    assert_eq!(
        (name.as_str(), kind.as_str()),
        ("booking.ics", "text/calendar")
    );
    for line in [
        format!("UID:{paid}@holdfast"),
        "DTSTART:20300201T100000Z".to_owned(),
        "SUMMARY:Snowflake Bingsu".to_owned(),
        "STATUS:CONFIRMED".to_owned(),
    ] {
        assert!(ics.contains(&line), "{line}: {ics}");
    }
    assert!(
        mias[1].message_id.starts_with(&paid),
        "{}",
        mias[1].message_id
    );

    let olas = to(&got, "ola@example.com");
    assert_eq!(olas.len(), 2, "{olas:#?}");
    assert_eq!(olas[0].subject, "Confirm your e-mail address for Holdfast");
    assert_eq!(
        olas[1].subject,
        "[Snowflake Bingsu] Your booking is cancelled — Fri 1 Feb 2030, 19:00"
    );
    assert!(
        olas[1].body.contains("Hello Ola Nordmann"),
        "{}",
        olas[1].body
    );
    assert!(
        olas[1].body.contains("No refund is due."),
        "{}",
        olas[1].body
    );
    // No one got another guest's message.
    assert!(!olas.iter().any(|m| m.body.contains("김민지")));
    assert!(!mias.iter().any(|m| m.body.contains(&cancelled)));
    outbox.stop().await.unwrap();
}

#[tokio::test]
async fn a_refusing_smtp_server_and_a_restart_mid_send_lose_nothing_and_repeat_nothing() {
    let app = spawn_app().await;
    let mut smtp = SmtpServer::refusing();
    let outbox = start(&app, &smtp).await;
    let (op, listing, inventory) = venue(&app).await;
    let mut bookings = Vec::new();
    for i in 0..4 {
        let token = sign_up(&app, &format!("guest{i}@example.com"), "Guest", "EN").await;
        let booking = book(&app, &token, &listing, &inventory).await;
        confirm(&app, &op, &booking).await;
        bookings.push(booking);
    }
    // The server refuses: attempts fail and are retried, nothing is lost.
    let store = OutboxStore::new(&app.engine.store);
    for _ in 0..200 {
        let rows = store
            .list(&DeliveryFilter::default(), None, 1000)
            .await
            .unwrap();
        let failed = rows
            .iter()
            .filter(|d| d.sink == "email" && d.attempts >= 2)
            .count();
        if failed >= 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows = store
        .list(&DeliveryFilter::default(), None, 1000)
        .await
        .unwrap();
    let email: Vec<_> = rows.iter().filter(|d| d.sink == "email").collect();
    assert_eq!(email.len(), 8, "4 verifications and 4 confirmations");
    assert!(
        email.iter().all(|d| d.status == DeliveryStatus::Pending),
        "{email:#?}"
    );
    assert!(
        email
            .iter()
            .any(|d| d.last_error.as_deref().is_some_and(|e| e.contains("SMTP"))),
        "{email:#?}"
    );
    assert!(smtp.messages().is_empty());
    // The server comes back; the outbox stops as soon as the first message arrives (mid-send),
    // and another starts.
    smtp.listen();
    smtp.wait_for(1).await;
    outbox.stop().await.unwrap();
    let again = start(&app, &smtp).await;
    let sent = all_sent(&app, 8).await;
    assert_eq!(sent, 8);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = smtp.messages();
    assert_eq!(got.len(), 8, "{got:#?}");
    let ids: HashSet<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), 8, "each message exactly once");
    for (i, booking) in bookings.iter().enumerate() {
        let theirs = to(&got, &format!("guest{i}@example.com"));
        assert_eq!(theirs.len(), 2, "{theirs:#?}");
        // After retries the two may arrive in either order.
        let confirmed = theirs
            .iter()
            .find(|m| m.subject.contains("Your booking is confirmed"))
            .unwrap_or_else(|| panic!("{theirs:#?}"));
        assert!(confirmed.body.contains(booking.as_str()));
        assert!(
            confirmed.body.contains("Paid: KRW 30,000"),
            "{}",
            confirmed.body
        );
        assert!(
            theirs
                .iter()
                .any(|m| m.subject == "Confirm your e-mail address for Holdfast")
        );
    }
    again.stop().await.unwrap();
}

const PREFERENCES: &str = "{ myNotificationPreferences { kind optional enabled } }";
pub(crate) const SET_PREFERENCE: &str = "mutation($k: NotificationKind!, $e: Boolean!) {
    setNotificationPreference(kind: $k, enabled: $e) { kind optional enabled } }";

async fn join_waitlist(app: &TestApp, token: &str, listing: &str, inventory: &str) -> String {
    app.ok(
        Some(token),
        "mutation($key: String!, $input: JoinWaitlistInput!) { joinWaitlist(idempotencyKey: $key, input: $input) { bookingId } }",
        json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
               "wanted": {"from": "2030-02-01", "to": "2030-02-02"}, "partySize": 2}}),
    )
    .await["joinWaitlist"]["bookingId"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_guest_turns_optional_kinds_off_and_gets_none_of_them_but_never_loses_a_required_one() {
    let app = spawn_app().await;
    let smtp = SmtpServer::start();
    let outbox = start(&app, &smtp).await;
    let (op, listing, inventory) = venue(&app).await;
    let mia = sign_up(&app, "mia@example.com", "Mia", "EN").await;
    let ola = sign_up(&app, "ola@example.com", "Ola", "EN").await;
    // Every booking kind is listed; the ones a booking needs cannot be turned off.
    let all = app.ok(Some(&mia), PREFERENCES, json!({})).await["myNotificationPreferences"].clone();
    let listed: Vec<(&str, bool, bool)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap(),
                p["optional"].as_bool().unwrap(),
                p["enabled"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(listed.contains(&("CONFIRMED", false, true)), "{listed:?}");
    assert!(listed.contains(&("WAITLISTED", true, true)), "{listed:?}");
    assert!(!listed.iter().any(|(k, _, _)| *k == "VERIFY_EMAIL"));
    for required in ["CONFIRMED", "CANCELLED", "REFUNDED"] {
        let refused = app
            .graphql(
                Some(&mia),
                SET_PREFERENCE,
                json!({"k": required, "e": false}),
            )
            .await;
        assert_eq!(
            crate::support::error_code(&refused),
            Some("INVALID_INPUT"),
            "{refused}"
        );
    }
    let forbidden = app
        .graphql(
            Some(&op),
            SET_PREFERENCE,
            json!({"k": "WAITLISTED", "e": false}),
        )
        .await;
    assert_eq!(crate::support::error_code(&forbidden), Some("FORBIDDEN"));
    let now = app
        .ok(
            Some(&mia),
            SET_PREFERENCE,
            json!({"k": "WAITLISTED", "e": false}),
        )
        .await["setNotificationPreference"]
        .clone();
    assert!(
        now.as_array()
            .unwrap()
            .iter()
            .any(|p| p["kind"] == "WAITLISTED" && p["enabled"] == false),
        "{now}"
    );
    // Both join a waitlist, and Mia books and is confirmed (required: she gets it).
    join_waitlist(&app, &mia, &listing, &inventory).await;
    let olas_entry = join_waitlist(&app, &ola, &listing, &inventory).await;
    let paid = book(&app, &mia, &listing, &inventory).await;
    confirm(&app, &op, &paid).await;
    // 2 verifications + 2 waitlisted + 1 confirmed deliveries; Mia's waitlisted sends nothing.
    assert_eq!(all_sent(&app, 5).await, 5);
    let got = smtp.wait_for(4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = if smtp.messages().len() > got.len() {
        smtp.messages()
    } else {
        got
    };
    assert_eq!(got.len(), 4, "{got:#?}");
    let mias = to(&got, "mia@example.com");
    assert!(
        !mias.iter().any(|m| m.subject.contains("waitlist")),
        "{mias:#?}"
    );
    assert!(
        mias.iter()
            .any(|m| m.subject.contains("Your booking is confirmed"))
    );
    let olas = to(&got, "ola@example.com");
    let waitlisted = olas
        .iter()
        .find(|m| m.subject == "[Snowflake Bingsu] You are on the waitlist")
        .unwrap_or_else(|| panic!("{olas:#?}"));
    assert!(
        waitlisted.body.contains("(1 Feb, 2 guests)"),
        "{}",
        waitlisted.body
    );
    assert!(waitlisted.body.contains(&olas_entry));
    // Turned back on: listed as enabled again.
    let back = app
        .ok(
            Some(&mia),
            SET_PREFERENCE,
            json!({"k": "WAITLISTED", "e": true}),
        )
        .await["setNotificationPreference"]
        .clone();
    assert!(
        back.as_array()
            .unwrap()
            .iter()
            .all(|p| p["enabled"] == true),
        "{back}"
    );
    outbox.stop().await.unwrap();
}

/// A local SMS provider: records each accepted request by its idempotency key; fails the
/// first `fail_first` requests with a 503.
mod provider {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use axum::http::{HeaderMap, StatusCode};
    use serde_json::Value;

    #[derive(Clone, Default)]
    pub struct Provider {
        pub accepted: Arc<Mutex<HashMap<String, Vec<Value>>>>,
        pub requests: Arc<Mutex<u32>>,
        pub fail_first: u32,
    }

    impl Provider {
        pub async fn start(fail_first: u32) -> (Self, String) {
            let provider = Self {
                fail_first,
                ..Self::default()
            };
            let state = provider.clone();
            let app = axum::Router::new().route(
                "/messages",
                axum::routing::post(
                    move |headers: HeaderMap, axum::Json(body): axum::Json<Value>| {
                        let state = state.clone();
                        async move {
                            if headers.get("authorization").and_then(|v| v.to_str().ok())
                                != Some("Bearer sms-test-token")
                            {
                                return StatusCode::UNAUTHORIZED;
                            }
                            let n = {
                                let mut requests = state.requests.lock().unwrap();
                                *requests += 1;
                                *requests
                            };
                            if n <= state.fail_first {
                                return StatusCode::SERVICE_UNAVAILABLE;
                            }
                            let key = headers
                                .get("idempotency-key")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned();
                            state
                                .accepted
                                .lock()
                                .unwrap()
                                .entry(key)
                                .or_default()
                                .push(body);
                            StatusCode::ACCEPTED
                        }
                    },
                ),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/messages", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            (provider, url)
        }
    }
}

#[tokio::test]
async fn guests_with_a_phone_get_one_text_each_through_the_sms_provider() {
    use holdfast_engine::notify::SmsSink;
    let app = spawn_app().await;
    // The provider refuses the first two requests (503), then accepts.
    let (provider, url) = provider::Provider::start(2).await;
    let sms = || {
        Sink::Sms(
            SmsSink::new(
                &url,
                holdfast_api::auth::Secret::new("sms-test-token"),
                Duration::from_secs(5),
            )
            .unwrap(),
        )
    };
    let outbox = start_with(&app, sms()).await;
    let (op, listing, inventory) = venue(&app).await;
    let with_phone = |email: &str, name: &str, phone: &str, language: &str| {
        json!({"input": {"email": email, "password": "correct horse battery",
                         "name": name, "phone": phone, "language": language}})
    };
    let mut guests = Vec::new();
    for (email, name, phone, language) in [
        ("mia@example.com", "김민지", "+82 10-1234-5678", "KO"),
        ("kai@example.com", "Kai", "+44 7700 900123", "EN"),
        ("lee@example.com", "이서준", "010-9876-5432", "KO"),
    ] {
        let token = app
            .ok(
                None,
                "mutation($input: SignUpInput!) { signUp(input: $input) { accessToken } }",
                with_phone(email, name, phone, language),
            )
            .await["signUp"]["accessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        guests.push(token);
    }
    let no_phone = sign_up(&app, "ola@example.com", "Ola", "EN").await;
    let mut mine = Vec::new();
    for token in &guests {
        let booking = book(&app, token, &listing, &inventory).await;
        confirm(&app, &op, &booking).await;
        mine.push(booking);
    }
    let theirs = book(&app, &no_phone, &listing, &inventory).await;
    confirm(&app, &op, &theirs).await;
    // The outbox stops as soon as the provider took the first text (mid-send), another starts.
    for _ in 0..600 {
        if !provider.accepted.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    outbox.stop().await.unwrap();
    let outbox = start_with(&app, sms()).await;
    let store = OutboxStore::new(&app.engine.store);
    for _ in 0..600 {
        let rows = store
            .list(
                &DeliveryFilter {
                    sink: Some("sms".into()),
                    ..DeliveryFilter::default()
                },
                None,
                100,
            )
            .await
            .unwrap();
        // Four verifications (no SMS's: delivered as nothing) and four confirmations.
        if rows.len() == 8 && rows.iter().all(|d| d.status == DeliveryStatus::Delivered) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let accepted = provider.accepted.lock().unwrap().clone();
    // One text per booking with a phone: a send repeated across the restart carries the same
    // idempotency key and the same text, which the provider sends once.
    assert_eq!(accepted.len(), 3, "{accepted:#?}");
    for bodies in accepted.values() {
        assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:#?}");
    }
    let text_for = |booking: &str| {
        let (_, bodies) = accepted
            .iter()
            .find(|(key, _)| key.starts_with(booking))
            .unwrap_or_else(|| panic!("no text for {booking}: {accepted:#?}"));
        bodies[0].clone()
    };
    let mias = text_for(&mine[0]);
    assert_eq!(mias["to"], "+821012345678");
    assert_eq!(mias["language"], "ko");
    assert_eq!(
        mias["text"],
        "[Snowflake Bingsu] 예약이 확정되었습니다 — 2030년 2월 1일 (금) 19:00"
    );
    let kais = text_for(&mine[1]);
    assert_eq!(kais["to"], "+447700900123");
    assert_eq!(
        kais["text"],
        "[Snowflake Bingsu] Your booking is confirmed — Fri 1 Feb 2030, 19:00"
    );
    // A national number is passed on as typed (digits only): the provider's own country
    // applies, as Korean providers expect `010…`.
    assert_eq!(text_for(&mine[2])["to"], "01098765432");
    assert!(!accepted.keys().any(|k| k.starts_with(&theirs)));
    assert!(
        *provider.requests.lock().unwrap() >= 5,
        "two refusals, then the sends"
    );
    outbox.stop().await.unwrap();
}

/// An availability alert is an e-mail too: the watcher is told once, in their language, with
/// the dates — and a storm of cancellations after it sends nothing more.
#[tokio::test]
async fn a_watcher_gets_one_alert_email_when_places_free_up() {
    let app = spawn_app().await;
    let smtp = SmtpServer::start();
    let outbox = start(&app, &smtp).await;
    let worker = app.start_worker();
    let (_, op) = operator();
    let listing = published_listing(&app, &op, event_policy()).await;
    let inventory = stocked_inventory(
        &app,
        &op,
        &listing,
        ("2030-02-01", "2030-02-02", &[]),
        2,
        30_000,
    )
    .await;
    let (_, buyer) = guest();
    let first = book(&app, &buyer, &listing, &inventory).await;
    confirm(&app, &op, &first).await;
    let second = book(&app, &buyer, &listing, &inventory).await;
    confirm(&app, &op, &second).await;
    let yuna = sign_up(&app, "yuna@example.com", "Moon Yuna", "EN").await;
    app.ok(
        Some(&yuna),
        "mutation($key: String!, $input: WatchAvailabilityInput!) { watchAvailability(idempotencyKey: $key, input: $input) { status } }",
        json!({"key": key(), "input": {"listingId": listing, "inventoryId": inventory,
               "eventDate": "2030-02-01", "partySize": 2}}),
    )
    .await;
    for booking in [&first, &second] {
        app.ok(
            Some(&buyer),
            "mutation($key: String!, $id: ID!) { cancelBooking(idempotencyKey: $key, input: {bookingId: $id}) { status } }",
            json!({"key": key(), "id": booking}),
        )
        .await;
    }
    // Yuna's verification, then the alert.
    let got = smtp.wait_for(2).await;
    let hers = to(&got, "yuna@example.com");
    let alerts: Vec<_> = hers
        .iter()
        .filter(|m| m.subject.contains("Places are free again"))
        .collect();
    assert_eq!(alerts.len(), 1, "{hers:#?}");
    assert_eq!(
        alerts[0].subject,
        "[Snowflake Bingsu] Places are free again — 1 Feb"
    );
    assert!(
        alerts[0].body.contains("Hello Moon Yuna") && alerts[0].body.contains("2 guests"),
        "{}",
        alerts[0].body
    );
    // Nothing more comes of the second cancellation.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let later = smtp.messages();
    assert_eq!(
        to(&later, "yuna@example.com")
            .iter()
            .filter(|m| m.subject.contains("Places are free again"))
            .count(),
        1
    );
    worker.stop().await;
    outbox.stop().await.unwrap();
}
