//! The booking worker's reminders, by e-mail through a real SMTP server: a warning shortly
//! before an unpaid hold runs out, a reminder a day before the start — each once, in the
//! guest's language and the listing's local time, across worker restarts (including one
//! while the reminder fell due); a guest who turned reminders off gets none.

use std::collections::HashSet;
use std::time::Duration;

use chrono::DateTime;
use holdfast_domain::booking::Reminder;
use holdfast_engine::worker::BookingWorker;
use holdfast_testkit::smtp::SmtpServer;
use serde_json::json;

use crate::email::{SET_PREFERENCE, all_sent, book, confirm, sign_up, start, to, venue};
use crate::support::TestApp;

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// Waits until the worker has read the log up to its head now and done two more rounds (so
/// one began after this call: it saw the clock as it is now).
async fn settled(app: &TestApp, worker: &BookingWorker) {
    let head = app.engine.store.log().head().await.unwrap();
    let mut status = worker.watch();
    let settle = async {
        let caught_up = status
            .wait_for(|s| s.caught_up && s.position.is_some_and(|p| p >= head))
            .await
            .unwrap()
            .rounds;
        status
            .wait_for(|s| s.rounds >= caught_up + 2)
            .await
            .unwrap();
    };
    tokio::time::timeout(Duration::from_secs(30), settle)
        .await
        .expect("the worker settles within 30 s");
}

/// How many `BookingReminded` events of `reminder` the log has for `booking`.
async fn reminded(app: &TestApp, booking: &str, reminder: Reminder) -> i64 {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM events WHERE aggregate_id = $1 AND event_type = 'BookingReminded'
           AND payload->'BookingReminded'->>'reminder' = $2",
    )
    .bind(booking)
    .bind(format!("{reminder:?}"))
    .fetch_one(app.engine.store.pg_pool().unwrap())
    .await
    .unwrap();
    n
}

#[tokio::test]
async fn hold_warnings_and_reminders_go_out_once_each_across_worker_restarts() {
    let app = crate::support::spawn_app().await;
    let smtp = SmtpServer::start();
    let outbox = start(&app, &smtp).await;
    let (op, listing, inventory) = venue(&app).await;
    let mia = sign_up(&app, "mia@example.com", "김민지", "KO").await;
    let ola = sign_up(&app, "ola@example.com", "Ola Nordmann", "EN").await;
    let kai = sign_up(&app, "kai@example.com", "Kai", "EN").await;
    app.ok(
        Some(&kai),
        SET_PREFERENCE,
        json!({"k": "REMINDER", "e": false}),
    )
    .await;
    let worker = app.start_worker();

    // 09:00 UTC on 7 January: Mia holds (15 minutes, until 09:15) and does not pay yet; Ola
    // and Kai pay at once.
    let mias = book(&app, &mia, &listing, &inventory).await;
    let olas = book(&app, &ola, &listing, &inventory).await;
    confirm(&app, &op, &olas).await;
    let kais = book(&app, &kai, &listing, &inventory).await;
    confirm(&app, &op, &kais).await;
    settled(&app, &worker).await;
    assert_eq!(reminded(&app, &mias, Reminder::HoldExpiring).await, 0);

    // 09:11: inside the 5-minute window, Mia is warned; the worker restarts, nothing again.
    app.clock.set(at("2030-01-07T09:11:00Z"));
    app.booking_when(&mias, "warned", |b| {
        b.reminded_at(Reminder::HoldExpiring).is_some()
    })
    .await;
    worker.stop().await;
    let worker = app.start_worker();
    settled(&app, &worker).await;
    assert_eq!(reminded(&app, &mias, Reminder::HoldExpiring).await, 1);
    confirm(&app, &op, &mias).await;

    // The worker is down when the reminders fall due (10:00 UTC on 31 January, 24 hours
    // before 19:00 in Seoul on 1 February); the next one sends them, once.
    settled(&app, &worker).await;
    worker.stop().await;
    app.clock.set(at("2030-01-31T10:00:00Z"));
    let worker = app.start_worker();
    for booking in [&mias, &olas, &kais] {
        app.booking_when(booking, "reminded", |b| {
            b.reminded_at(Reminder::Upcoming).is_some()
        })
        .await;
    }
    worker.stop().await;
    let worker = app.start_worker();
    settled(&app, &worker).await;
    app.clock.set(at("2030-02-01T09:59:00Z"));
    settled(&app, &worker).await;
    for booking in [&mias, &olas, &kais] {
        assert_eq!(reminded(&app, booking, Reminder::Upcoming).await, 1);
    }
    assert_eq!(reminded(&app, &olas, Reminder::HoldExpiring).await, 0);

    // 3 verifications, 3 confirmations, 1 warning, 3 reminders: Kai's reminder counts as
    // delivered but sends nothing.
    assert_eq!(all_sent(&app, 10).await, 10);
    let got = smtp.wait_for(9).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = smtp.messages().into_iter().chain(got).collect::<Vec<_>>();
    let ids: HashSet<&str> = got.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), 9, "{got:#?}");
    let unique: Vec<_> = {
        let mut seen = HashSet::new();
        got.iter()
            .filter(|m| seen.insert(m.message_id.clone()))
            .cloned()
            .collect()
    };

    // Messages sent close together may land in the mailbox in either order: compare by subject.
    let by_subject = |address: &str| {
        let mut mail: Vec<_> = to(&unique, address).into_iter().cloned().collect();
        mail.sort_by(|a, b| a.subject.cmp(&b.subject));
        mail
    };
    let mine = by_subject("mia@example.com");
    let subjects: Vec<&str> = mine.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "Holdfast 이메일 주소를 확인해 주세요",
            "[Snowflake Bingsu] 2030년 1월 7일 (월) 18:15까지 결제해 주세요",
            "[Snowflake Bingsu] 예약 일정 안내 — 2030년 2월 1일 (금) 19:00",
            "[Snowflake Bingsu] 예약이 확정되었습니다 — 2030년 2월 1일 (금) 19:00",
        ]
    );
    let warning = &mine[1].body;
    for line in [
        "김민지님",
        "(2030년 2월 1일 (금) 19:00)",
        "결제 금액: 30,000원",
    ] {
        assert!(warning.contains(line), "{line}: {warning}");
    }
    assert!(mine[2].body.contains("인원: 2명"), "{}", mine[2].body);
    assert!(mine[2].body.contains(mias.as_str()));

    let olas_mail = by_subject("ola@example.com");
    let subjects: Vec<&str> = olas_mail.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "Confirm your e-mail address for Holdfast",
            "[Snowflake Bingsu] See you soon — Fri 1 Feb 2030, 19:00",
            "[Snowflake Bingsu] Your booking is confirmed — Fri 1 Feb 2030, 19:00",
        ]
    );
    assert!(olas_mail[1].body.contains("Hello Ola Nordmann"));
    assert!(olas_mail[1].body.contains(olas.as_str()));
    assert!(!olas_mail[1].body.contains(mias.as_str()));

    // Kai turned reminders off: the confirmation (required) but no reminder.
    let kais_mail = by_subject("kai@example.com");
    let subjects: Vec<&str> = kais_mail.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "Confirm your e-mail address for Holdfast",
            "[Snowflake Bingsu] Your booking is confirmed — Fri 1 Feb 2030, 19:00",
        ]
    );
    worker.stop().await;
    outbox.stop().await.unwrap();
}

#[tokio::test]
async fn no_reminder_for_a_booking_confirmed_inside_the_window_or_cancelled_before_it() {
    let app = crate::support::spawn_app().await;
    let smtp = SmtpServer::start();
    let outbox = start(&app, &smtp).await;
    let (op, listing, inventory) = venue(&app).await;
    let mia = sign_up(&app, "mia@example.com", "Mia", "EN").await;
    let worker = app.start_worker();
    // Cancelled a week before: no reminder ever.
    let cancelled = book(&app, &mia, &listing, &inventory).await;
    confirm(&app, &op, &cancelled).await;
    app.ok(
        Some(&mia),
        "mutation($key: String!, $id: ID!) { cancelBooking(idempotencyKey: $key, input: {bookingId: $id}) { status } }",
        json!({"key": crate::fixtures::key(), "id": cancelled}),
    )
    .await;
    // Booked and paid at 12:00 UTC on 31 January, inside the 24-hour window: the
    // confirmation already told Mia; the hold (15 minutes) is not warned of either once paid.
    app.clock.set(at("2030-01-31T12:00:00Z"));
    let late = book(&app, &mia, &listing, &inventory).await;
    confirm(&app, &op, &late).await;
    app.clock.set(at("2030-02-01T09:30:00Z"));
    settled(&app, &worker).await;
    settled(&app, &worker).await;
    for booking in [&cancelled, &late] {
        assert_eq!(reminded(&app, booking, Reminder::Upcoming).await, 0);
        assert_eq!(reminded(&app, booking, Reminder::HoldExpiring).await, 0);
    }
    // Verification, two confirmations, one cancellation.
    assert_eq!(all_sent(&app, 4).await, 4);
    worker.stop().await;
    outbox.stop().await.unwrap();
}
