//! Review: given/when/then for writing, replying and hiding, each rule's refusal, the values,
//! and a property: whatever is asked, a booking gets at most one review, by its guest, within
//! its window.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::*;
use crate::Decide;
use crate::booking::BookingStatus;
use crate::common::{AccountId, BookingId, GuestId, ListingId, TenantId};
use crate::services::{DomainServices, FixedClock};
use crate::testing::TestFramework;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// The booking ended at this instant; the tests' "now" is a day later.
fn ended() -> DateTime<Utc> {
    at("2026-07-01T02:00:00Z")
}

fn now() -> DateTime<Utc> {
    ended() + Duration::days(1)
}

fn test_at(instant: DateTime<Utc>) -> TestFramework<Review> {
    TestFramework::with(DomainServices::with_clock(FixedClock::new(instant)))
}

fn booking() -> BookingId {
    BookingId::parse("01JZ0000000000000000000B01").unwrap()
}

fn guest() -> GuestId {
    GuestId::parse("01JZ0000000000000000000G01").unwrap()
}

fn stranger() -> GuestId {
    GuestId::parse("01JZ0000000000000000000G02").unwrap()
}

fn listing() -> ListingId {
    ListingId::parse("01JZ0000000000000000000M01").unwrap()
}

fn operator() -> AccountId {
    AccountId::parse("01JZ0000000000000000000A01").unwrap()
}

fn digest(what: &str) -> Digest {
    let hex: String = what
        .bytes()
        .cycle()
        .take(32)
        .map(|b| format!("{b:02x}"))
        .collect();
    Digest::parse(&hex).unwrap()
}

fn facts(status: BookingStatus) -> BookingFacts {
    BookingFacts {
        booking_id: booking(),
        guest_id: guest(),
        tenant_id: TenantId::parse("01JZ0000000000000000000T01").unwrap(),
        listing_id: ListingId::parse("01JZ0000000000000000000M01").unwrap(),
        status,
        ends_at: Some(ended()),
    }
}

fn write(status: BookingStatus, author: GuestId, stars: i64) -> ReviewCommand {
    ReviewCommand::Write(Box::new(WriteReview {
        booking: facts(status),
        author,
        rating: Rating::new(stars).unwrap(),
        text: digest("lovely view"),
        photos: vec![ReviewPhoto::parse("ph_1").unwrap()],
    }))
}

fn written(at: DateTime<Utc>) -> ReviewEvent {
    let f = facts(BookingStatus::CheckedIn);
    ReviewEvent::ReviewWritten {
        booking_id: f.booking_id,
        guest_id: f.guest_id,
        tenant_id: f.tenant_id,
        listing_id: f.listing_id,
        rating: Rating::new(4).unwrap(),
        text: digest("lovely view"),
        photos: vec![ReviewPhoto::parse("ph_1").unwrap()],
        at,
    }
}

// --- Write -------------------------------------------------------------------------------

#[test]
fn it_should_let_the_guest_review_a_checked_in_booking() {
    test_at(now())
        .given_no_previous_events()
        .when(write(BookingStatus::CheckedIn, guest(), 4))
        .then_expect_events(vec![written(now())]);
}

#[test]
fn it_should_let_the_guest_review_a_confirmed_booking_once_it_ended() {
    test_at(now())
        .given_no_previous_events()
        .when(write(BookingStatus::Confirmed, guest(), 4))
        .then_expect_events(vec![written(now())]);
}

#[test]
fn it_should_let_a_checked_in_guest_review_before_the_end() {
    let during = ended() - Duration::hours(3);
    test_at(during)
        .given_no_previous_events()
        .when(write(BookingStatus::CheckedIn, guest(), 4))
        .then_expect_events(vec![written(during)]);
}

#[test]
fn it_should_not_let_anyone_else_review_it() {
    test_at(now())
        .given_no_previous_events()
        .when(write(BookingStatus::CheckedIn, stranger(), 4))
        .then_expect_error(ReviewError::NotYourBooking);
}

#[test]
fn it_should_not_review_a_confirmed_booking_before_it_ended() {
    test_at(ended() - Duration::minutes(1))
        .given_no_previous_events()
        .when(write(BookingStatus::Confirmed, guest(), 4))
        .then_expect_error(ReviewError::NotCompleted {
            status: BookingStatus::Confirmed,
        });
}

#[test]
fn it_should_not_review_a_booking_that_did_not_happen() {
    for status in [
        BookingStatus::NoShow,
        BookingStatus::Cancelled,
        BookingStatus::Expired,
        BookingStatus::Held,
        BookingStatus::Requested,
        BookingStatus::Rejected,
        BookingStatus::Waitlisted,
        BookingStatus::Offered,
    ] {
        test_at(now())
            .given_no_previous_events()
            .when(write(status, guest(), 4))
            .then_expect_error(ReviewError::NotCompleted { status });
    }
}

#[test]
fn it_should_not_review_a_booking_with_no_end() {
    let mut command = WriteReview {
        booking: facts(BookingStatus::CheckedIn),
        author: guest(),
        rating: Rating::new(5).unwrap(),
        text: digest("x"),
        photos: vec![],
    };
    command.booking.ends_at = None;
    test_at(now())
        .given_no_previous_events()
        .when(ReviewCommand::Write(Box::new(command)))
        .then_expect_error(ReviewError::NotCompleted {
            status: BookingStatus::CheckedIn,
        });
}

#[test]
fn it_should_close_reviews_thirty_days_after_the_end() {
    let last = ended() + Duration::days(REVIEW_WINDOW_DAYS);
    test_at(last)
        .given_no_previous_events()
        .when(write(BookingStatus::CheckedIn, guest(), 4))
        .then_expect_events(vec![written(last)]);
    test_at(last + Duration::seconds(1))
        .given_no_previous_events()
        .when(write(BookingStatus::CheckedIn, guest(), 4))
        .then_expect_error(ReviewError::WindowClosed {
            days: REVIEW_WINDOW_DAYS,
            closed_at: last,
        });
}

#[test]
fn it_should_take_one_review_per_booking_and_ignore_the_same_one_again() {
    test_at(now())
        .given(vec![written(ended())])
        .when(write(BookingStatus::CheckedIn, guest(), 4))
        .then_expect_events(vec![]);
    test_at(now())
        .given(vec![written(ended())])
        .when(write(BookingStatus::CheckedIn, guest(), 2))
        .then_expect_error(ReviewError::AlreadyReviewed);
}

#[test]
fn it_should_refuse_too_many_or_repeated_photos() {
    let photos = |ids: &[&str]| -> Vec<ReviewPhoto> {
        ids.iter().map(|p| ReviewPhoto::parse(p).unwrap()).collect()
    };
    for (given, got) in [
        (photos(&["a", "b", "c", "d", "e", "f", "g"]), 7),
        (photos(&["a", "a"]), 2),
    ] {
        let command = WriteReview {
            booking: facts(BookingStatus::CheckedIn),
            author: guest(),
            rating: Rating::new(5).unwrap(),
            text: digest("x"),
            photos: given,
        };
        test_at(now())
            .given_no_previous_events()
            .when(ReviewCommand::Write(Box::new(command)))
            .then_expect_error(ReviewError::TooManyPhotos {
                max: MAX_PHOTOS,
                got,
            });
    }
}

// --- Reply and hide ----------------------------------------------------------------------

#[test]
fn it_should_take_the_business_reply_and_a_changed_one() {
    test_at(now())
        .given(vec![written(ended())])
        .when(ReviewCommand::Reply {
            by: operator(),
            text: digest("thank you"),
        })
        .then_expect_events(vec![ReviewEvent::ReviewReplied {
            booking_id: booking(),
            listing_id: listing(),
            by: operator(),
            text: digest("thank you"),
            at: now(),
        }]);
    let replied = ReviewEvent::ReviewReplied {
        booking_id: booking(),
        listing_id: listing(),
        by: operator(),
        text: digest("thank you"),
        at: now(),
    };
    test_at(now())
        .given(vec![written(ended()), replied.clone()])
        .when(ReviewCommand::Reply {
            by: operator(),
            text: digest("thank you"),
        })
        .then_expect_events(vec![]);
    test_at(now())
        .given(vec![written(ended()), replied])
        .when(ReviewCommand::Reply {
            by: operator(),
            text: digest("see you again"),
        })
        .then_expect_events(vec![ReviewEvent::ReviewReplied {
            booking_id: booking(),
            listing_id: listing(),
            by: operator(),
            text: digest("see you again"),
            at: now(),
        }]);
}

#[test]
fn it_should_not_reply_to_or_hide_a_review_that_does_not_exist() {
    test_at(now())
        .given_no_previous_events()
        .when(ReviewCommand::Reply {
            by: operator(),
            text: digest("hi"),
        })
        .then_expect_error(ReviewError::NoReview);
    test_at(now())
        .given_no_previous_events()
        .when(ReviewCommand::Hide {
            reason: "spam".into(),
        })
        .then_expect_error(ReviewError::NoReview);
}

#[test]
fn it_should_hide_a_review_once_with_a_reason() {
    test_at(now())
        .given(vec![written(ended())])
        .when(ReviewCommand::Hide {
            reason: "  abusive language ".into(),
        })
        .then_expect_events(vec![ReviewEvent::ReviewHidden {
            booking_id: booking(),
            listing_id: listing(),
            reason: "abusive language".into(),
            at: now(),
        }]);
    let hidden = ReviewEvent::ReviewHidden {
        booking_id: booking(),
        listing_id: listing(),
        reason: "abusive language".into(),
        at: now(),
    };
    test_at(now())
        .given(vec![written(ended()), hidden])
        .when(ReviewCommand::Hide {
            reason: "again".into(),
        })
        .then_expect_events(vec![]);
    for reason in [String::new(), "   ".into(), "x".repeat(501)] {
        test_at(now())
            .given(vec![written(ended())])
            .when(ReviewCommand::Hide { reason })
            .then_expect_error(ReviewError::InvalidReason);
    }
}

// --- Values ------------------------------------------------------------------------------

#[test]
fn ratings_are_one_to_five_stars() {
    for stars in 1..=5 {
        assert_eq!(Rating::new(stars).unwrap().stars(), stars as u8);
    }
    for stars in [0, 6, -1, 256, i64::MAX] {
        assert_eq!(
            Rating::new(stars),
            Err(ReviewError::InvalidRating { got: stars })
        );
    }
    assert!(serde_json::from_str::<Rating>("0").is_err());
    assert_eq!(serde_json::from_str::<Rating>("3").unwrap().stars(), 3);
}

#[test]
fn texts_are_trimmed_bounded_and_free_of_control_characters() {
    assert_eq!(
        ReviewText::parse("  Great bingsu!\nWill come back. ")
            .unwrap()
            .as_str(),
        "Great bingsu!\nWill come back."
    );
    assert_eq!(
        ReviewText::parse("가".repeat(2_000).as_str())
            .unwrap()
            .as_str()
            .chars()
            .count(),
        2_000
    );
    assert_eq!(
        ReviewText::parse(&"a".repeat(2_001)),
        Err(ReviewError::TextTooLong {
            max: 2_000,
            got: 2_001
        })
    );
    assert_eq!(
        ReviewText::parse("bad\u{0}byte"),
        Err(ReviewError::InvalidText)
    );
    for bad in ["", "a/b", "../x", &"p".repeat(65)] {
        assert_eq!(
            ReviewPhoto::parse(bad),
            Err(ReviewError::InvalidPhoto),
            "{bad}"
        );
    }
}

// --- A property ----------------------------------------------------------------------------

fn any_command() -> impl Strategy<Value = (u8, i64, i64, bool)> {
    // (which command, offset in hours from the end, stars, the guest's own?)
    (0u8..4, -48i64..(24 * 40), 1i64..=5, any::<bool>())
}

proptest! {
    #[test]
    fn a_booking_gets_at_most_one_review_by_its_guest_within_its_window(
        commands in proptest::collection::vec(any_command(), 1..12)
    ) {
        let mut review = Review::default();
        let mut writes = 0;
        for (kind, hours, stars, own) in commands {
            let instant = ended() + Duration::hours(hours);
            let services = DomainServices::with_clock(FixedClock::new(instant));
            let command = match kind {
                0 | 1 => write(
                    if kind == 0 { BookingStatus::CheckedIn } else { BookingStatus::Confirmed },
                    if own { guest() } else { stranger() },
                    stars,
                ),
                2 => ReviewCommand::Reply { by: operator(), text: digest(&format!("r{stars}")) },
                _ => ReviewCommand::Hide { reason: "spam".into() },
            };
            if let Ok(events) = review.decide(command, &services) {
                for event in events {
                    if let ReviewEvent::ReviewWritten { guest_id, at, .. } = &event {
                        writes += 1;
                        prop_assert_eq!(*guest_id, guest());
                        prop_assert!(*at <= ended() + Duration::days(REVIEW_WINDOW_DAYS));
                    }
                    cqrs_es::Aggregate::apply(&mut review, event);
                }
            }
        }
        prop_assert!(writes <= 1);
        if let Some(state) = review.state() {
            prop_assert!((1..=5).contains(&state.rating.stars()));
        }
    }
}
