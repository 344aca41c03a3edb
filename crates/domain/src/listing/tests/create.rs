//! CreateListing.

use super::*;
use crate::policy::PolicyError;

fn create_with(f: impl FnOnce(&mut CreateListing)) -> ListingCommand {
    let mut c = create_cmd();
    f(&mut c);
    ListingCommand::CreateListing(Box::new(c))
}

#[test]
fn it_should_create_a_draft_listing_with_normalised_values() {
    test()
        .given_no_previous_events()
        .when(create())
        .then_expect_events(vec![created()]);
    let listing = replay([created()]);
    let state = listing.state().unwrap();
    assert_eq!(state.status, ListingStatus::Draft);
    assert_eq!(state.policy.version(), 1);
    assert_eq!(state.details.name.as_str(), "Snowflake Bingsu");
    assert_eq!(state.details.location.region_code(), "KR-11");
    let tags: Vec<_> = state
        .details
        .tags
        .as_slice()
        .iter()
        .map(Tag::as_str)
        .collect();
    assert_eq!(tags, ["bingsu", "dessert"]);
}

#[test]
fn it_should_ignore_a_repeated_identical_creation() {
    test()
        .given(vec![created()])
        .when(create())
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_create_a_listing_twice() {
    test()
        .given(vec![created()])
        .when(create_with(|c| c.name = "Another".into()))
        .then_expect_error(ListingError::AlreadyCreated);
    // Once anything happened since, even the same creation is a conflict.
    test()
        .given(vec![created(), published()])
        .when(create())
        .then_expect_error(ListingError::AlreadyCreated);
}

#[test]
fn it_should_not_create_with_an_invalid_name() {
    test()
        .given_no_previous_events()
        .when(create_with(|c| c.name = "   ".into()))
        .then_expect_error(ListingError::InvalidName {
            problem: TextProblem::Empty,
        });
    test()
        .given_no_previous_events()
        .when(create_with(|c| c.name = "x".repeat(121)))
        .then_expect_error(ListingError::InvalidName {
            problem: TextProblem::TooLong {
                length: 121,
                max: 120,
            },
        });
    test()
        .given_no_previous_events()
        .when(create_with(|c| c.name = "a\u{7}b".into()))
        .then_expect_error(ListingError::InvalidName {
            problem: TextProblem::ControlCharacter,
        });
}

#[test]
fn it_should_not_create_with_too_many_tags() {
    test()
        .given_no_previous_events()
        .when(create_with(|c| {
            c.tags = (0..33).map(|i| format!("tag{i}")).collect();
        }))
        .then_expect_error(ListingError::TooManyTags { count: 33, max: 32 });
    // Duplicates (after normalisation) do not count.
    let mut c = create_cmd();
    c.tags = (0..64).map(|i| format!("TAG{}", i % 32)).collect();
    assert!(
        Listing::default()
            .decide(ListingCommand::CreateListing(Box::new(c)), &services())
            .is_ok()
    );
}

#[test]
fn it_should_not_create_with_an_invalid_tag() {
    test()
        .given_no_previous_events()
        .when(create_with(|c| c.tags = vec!["ok".into(), " ".into()]))
        .then_expect_error(ListingError::InvalidTag {
            tag: String::new(),
            problem: TextProblem::Empty,
        });
    test()
        .given_no_previous_events()
        .when(create_with(|c| c.tags = vec!["A".repeat(41)]))
        .then_expect_error(ListingError::InvalidTag {
            tag: "a".repeat(41),
            problem: TextProblem::TooLong {
                length: 41,
                max: 40,
            },
        });
}

#[test]
fn it_should_not_create_with_a_description_too_long() {
    test()
        .given_no_previous_events()
        .when(create_with(|c| c.description = "é".repeat(10_001)))
        .then_expect_error(ListingError::DescriptionTooLong {
            length: 10_001,
            max: 10_000,
        });
    test()
        .given_no_previous_events()
        .when(create_with(|c| c.description = "bad\u{0}byte".into()))
        .then_expect_error(ListingError::InvalidDescription {
            problem: TextProblem::ControlCharacter,
        });
}

#[test]
fn it_should_not_create_with_an_invalid_location() {
    let cases = [
        (
            LocationInput {
                lat_e7: 900_000_001,
                ..seoul_location()
            },
            LocationError::LatitudeOutOfRange {
                lat_e7: 900_000_001,
            },
        ),
        (
            LocationInput {
                lon_e7: -1_800_000_001,
                ..seoul_location()
            },
            LocationError::LongitudeOutOfRange {
                lon_e7: -1_800_000_001,
            },
        ),
        (
            LocationInput {
                lat_e7: i64::MIN,
                ..seoul_location()
            },
            LocationError::LatitudeOutOfRange { lat_e7: i64::MIN },
        ),
        (
            LocationInput {
                region_code: "Korea".into(),
                ..seoul_location()
            },
            LocationError::InvalidRegionCode {
                code: "KOREA".into(),
            },
        ),
        (
            LocationInput {
                address: String::new(),
                ..seoul_location()
            },
            LocationError::InvalidAddress {
                problem: TextProblem::Empty,
            },
        ),
    ];
    for (location, error) in cases {
        test()
            .given_no_previous_events()
            .when(create_with(|c| c.location = location))
            .then_expect_error(ListingError::InvalidLocation(error));
    }
}

#[test]
fn it_should_not_create_with_an_unknown_time_zone() {
    test()
        .given_no_previous_events()
        .when(create_with(|c| c.time_zone = "Mars/Olympus_Mons".into()))
        .then_expect_error(ListingError::UnknownTimeZone {
            name: "Mars/Olympus_Mons".into(),
        });
}

#[test]
fn it_should_not_create_with_a_negative_price() {
    test()
        .given_no_previous_events()
        .when(create_with(|c| c.display_price = krw(-1)))
        .then_expect_error(ListingError::NegativePrice { amount_minor: -1 });
}

#[test]
fn it_should_not_create_with_an_invalid_policy() {
    test()
        .given_no_previous_events()
        .when(create_with(|c| c.policy = bingsu_policy().stays(3, 2)))
        .then_expect_error(ListingError::InvalidPolicy(
            PolicyError::StayBoundsReversed { min: 3, max: 2 },
        ));
}
