//! CountReview and UncountReview: the listing's ratings tally.

use proptest::prelude::*;

use super::*;
use crate::common::BookingId;
use crate::review::Rating;

fn booking(n: u8) -> BookingId {
    BookingId::parse(&format!("01JZ00000000000000000000B{n}")).unwrap()
}

fn stars(n: u8) -> Rating {
    Rating::try_from(n).unwrap()
}

fn tally(distribution: [u32; 5], booking_id: BookingId) -> ListingEvent {
    ListingEvent::ListingRatingsChanged {
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        booking_id,
        ratings: Ratings { distribution },
    }
}

#[test]
fn it_should_count_a_review_in_the_whole_tally() {
    test()
        .given(vec![
            created(),
            published(),
            tally([0, 0, 0, 1, 0], booking(1)),
        ])
        .when(ListingCommand::CountReview {
            booking_id: booking(2),
            rating: stars(5),
        })
        .then_expect_events(vec![tally([0, 0, 0, 1, 1], booking(2))]);
}

#[test]
fn it_should_count_a_review_of_an_archived_listing() {
    test()
        .given(vec![created(), archived(ListingStatus::Draft)])
        .when(ListingCommand::CountReview {
            booking_id: booking(1),
            rating: stars(3),
        })
        .then_expect_events(vec![tally([0, 0, 1, 0, 0], booking(1))]);
}

#[test]
fn it_should_take_a_hidden_review_out() {
    test()
        .given(vec![
            created(),
            tally([0, 0, 0, 1, 0], booking(1)),
            tally([1, 0, 0, 1, 0], booking(2)),
        ])
        .when(ListingCommand::UncountReview {
            booking_id: booking(2),
            rating: stars(1),
        })
        .then_expect_events(vec![tally([0, 0, 0, 1, 0], booking(2))]);
}

#[test]
fn it_should_refuse_to_take_out_stars_it_does_not_hold() {
    test()
        .given(vec![created(), tally([0, 0, 0, 1, 0], booking(1))])
        .when(ListingCommand::UncountReview {
            booking_id: booking(1),
            rating: stars(2),
        })
        .then_expect_error(ListingError::RatingNotCounted { stars: 2 });
}

#[test]
fn it_should_refuse_to_count_on_a_listing_not_created() {
    test()
        .given_no_previous_events()
        .when(ListingCommand::CountReview {
            booking_id: booking(1),
            rating: stars(4),
        })
        .then_expect_error(ListingError::NotCreated);
}

#[test]
fn the_average_is_the_mean_of_the_stars() {
    let r = Ratings {
        distribution: [1, 0, 0, 1, 2],
    };
    assert_eq!(r.count(), 4);
    assert_eq!(r.sum(), 1 + 4 + 10);
    assert_eq!(r.average(), Some(3.75));
    assert_eq!(r.of(stars(5)), 2);
    assert_eq!(Ratings::default().average(), None);
}

proptest! {
    /// Whatever is counted and taken out, in any order, the tally is what was counted minus what
    /// was taken out, never negative: a take-out of stars it does not hold is refused and
    /// changes nothing.
    #[test]
    fn the_tally_is_counted_minus_taken_out(ops in prop::collection::vec((any::<bool>(), 1u8..=5), 0..60)) {
        let services = services();
        let mut listing = replay(vec![created()]);
        let mut expected = [0i64; 5];
        for (n, (count, s)) in ops.into_iter().enumerate() {
            let booking_id = booking(u8::try_from(n % 10).unwrap());
            let command = if count {
                ListingCommand::CountReview { booking_id, rating: stars(s) }
            } else {
                ListingCommand::UncountReview { booking_id, rating: stars(s) }
            };
            let slot = usize::from(s) - 1;
            match listing.decide(command, &services) {
                Ok(events) => {
                    expected[slot] += if count { 1 } else { -1 };
                    for e in events {
                        cqrs_es::Aggregate::apply(&mut listing, e);
                    }
                }
                Err(ListingError::RatingNotCounted { stars }) => {
                    prop_assert!(!count && stars == s && expected[slot] == 0);
                }
                Err(e) => prop_assert!(false, "unexpected {e:?}"),
            }
            let tally = listing.state().unwrap().ratings;
            for (got, want) in tally.distribution.iter().zip(expected) {
                prop_assert_eq!(i64::from(*got), want);
            }
        }
    }
}
