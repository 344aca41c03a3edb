//! UpdateListingDetails.

use super::*;

#[test]
fn it_should_update_only_what_changed() {
    let mut expected = details_updated();
    if let ListingEvent::ListingDetailsUpdated {
        name,
        tags,
        display_price,
        ..
    } = &mut expected
    {
        *name = Some(ListingName::parse("Snowflake Bingsu Insadong").unwrap());
        *tags = Some(Tags::parse(&["bingsu", "insadong"]).unwrap());
        *display_price = Some(krw(13_000));
    }
    test()
        .given(vec![created()])
        .when(update(UpdateListingDetails {
            name: Some("Snowflake Bingsu Insadong".into()),
            // Same as now: not in the event.
            category: Some(Category::Restaurant),
            description: Some("Shaved ice with red beans.".into()),
            tags: Some(vec!["INSADONG".into(), "bingsu".into()]),
            display_price: Some(krw(13_000)),
            ..Default::default()
        }))
        .then_expect_events(vec![expected]);
}

#[test]
fn it_should_emit_nothing_for_an_identical_update() {
    test()
        .given(vec![created()])
        .when(update(UpdateListingDetails {
            name: Some("Snowflake Bingsu".into()),
            tags: Some(vec!["dessert".into(), "BINGSU".into()]),
            location: Some(seoul_location()),
            time_zone: Some("Asia/Seoul".into()),
            display_price: Some(krw(12_000)),
            ..Default::default()
        }))
        .then_expect_events(vec![]);
    test()
        .given(vec![created()])
        .when(update(UpdateListingDetails::default()))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_move_the_listing_to_another_time_zone() {
    let mut expected = details_updated();
    if let ListingEvent::ListingDetailsUpdated {
        time_zone,
        location,
        ..
    } = &mut expected
    {
        *time_zone = Some(chrono_tz::Asia::Tokyo);
        *location =
            Some(Location::parse("Shibuya, Tokyo", "JP-13", 356_580_000, 1_397_016_000).unwrap());
    }
    test()
        .given(vec![created(), published()])
        .when(update(UpdateListingDetails {
            time_zone: Some("Asia/Tokyo".into()),
            location: Some(LocationInput {
                address: "Shibuya, Tokyo".into(),
                region_code: "JP-13".into(),
                lat_e7: 356_580_000,
                lon_e7: 1_397_016_000,
            }),
            ..Default::default()
        }))
        .then_expect_events(vec![expected.clone()]);
    let listing = replay([created(), published(), expected]);
    assert_eq!(
        listing.state().unwrap().details.time_zone,
        chrono_tz::Asia::Tokyo
    );
}

#[test]
fn it_should_edit_a_suspended_listing() {
    let mut expected = details_updated();
    if let ListingEvent::ListingDetailsUpdated { category, .. } = &mut expected {
        *category = Some(Category::Shop);
    }
    test()
        .given(vec![created(), published(), suspended("health inspection")])
        .when(update(UpdateListingDetails {
            category: Some(Category::Shop),
            ..Default::default()
        }))
        .then_expect_events(vec![expected]);
}

#[test]
fn it_should_not_update_a_listing_not_created() {
    test()
        .given_no_previous_events()
        .when(update(UpdateListingDetails::default()))
        .then_expect_error(ListingError::NotCreated);
}

#[test]
fn it_should_not_update_an_archived_listing() {
    test()
        .given(vec![created(), archived(ListingStatus::Draft)])
        .when(update(UpdateListingDetails {
            name: Some("New".into()),
            ..Default::default()
        }))
        .then_expect_error(ListingError::Archived);
}

#[test]
fn it_should_not_update_with_invalid_values() {
    let cases: Vec<(UpdateListingDetails, ListingError)> = vec![
        (
            UpdateListingDetails {
                name: Some(String::new()),
                ..Default::default()
            },
            ListingError::InvalidName {
                problem: TextProblem::Empty,
            },
        ),
        (
            UpdateListingDetails {
                tags: Some((0..40).map(|i| i.to_string()).collect()),
                ..Default::default()
            },
            ListingError::TooManyTags { count: 40, max: 32 },
        ),
        (
            UpdateListingDetails {
                tags: Some(vec!["a\tb".into()]),
                ..Default::default()
            },
            ListingError::InvalidTag {
                tag: "a\tb".into(),
                problem: TextProblem::ControlCharacter,
            },
        ),
        (
            UpdateListingDetails {
                description: Some("x".repeat(10_001)),
                ..Default::default()
            },
            ListingError::DescriptionTooLong {
                length: 10_001,
                max: 10_000,
            },
        ),
        (
            UpdateListingDetails {
                location: Some(LocationInput {
                    lat_e7: -900_000_001,
                    ..seoul_location()
                }),
                ..Default::default()
            },
            ListingError::InvalidLocation(LocationError::LatitudeOutOfRange {
                lat_e7: -900_000_001,
            }),
        ),
        (
            UpdateListingDetails {
                time_zone: Some("Seoul".into()),
                ..Default::default()
            },
            ListingError::UnknownTimeZone {
                name: "Seoul".into(),
            },
        ),
        (
            UpdateListingDetails {
                display_price: Some(krw(-500)),
                ..Default::default()
            },
            ListingError::NegativePrice { amount_minor: -500 },
        ),
    ];
    for (u, error) in cases {
        test()
            .given(vec![created()])
            .when(update(u))
            .then_expect_error(error);
    }
}

// --- SetAttributes ------------------------------------------------------------------------

fn attribute(kind: crate::inventory::AttributeKind, value: &str) -> crate::inventory::Attribute {
    crate::inventory::Attribute {
        kind,
        value: value.into(),
    }
}

#[test]
fn it_should_set_attributes_sorted_and_ignore_an_identical_set() {
    use crate::inventory::AttributeKind::{Accessibility, Cuisine};
    let given = vec![
        attribute(Cuisine, " korean"),
        attribute(Accessibility, "step-free"),
    ];
    let expected = vec![
        attribute(Cuisine, "korean"),
        attribute(Accessibility, "step-free"),
    ];
    test()
        .given(vec![created()])
        .when(ListingCommand::SetAttributes {
            attributes: given.clone(),
        })
        .then_expect_events(vec![ListingEvent::ListingAttributesSet {
            tenant_id: tenant_id(),
            listing_id: listing_id(),
            attributes: expected.clone(),
        }]);
    let set = ListingEvent::ListingAttributesSet {
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        attributes: expected.clone(),
    };
    test()
        .given(vec![created(), set.clone()])
        .when(ListingCommand::SetAttributes { attributes: given })
        .then_expect_events(vec![]);
    let listing = replay([created(), set]);
    assert_eq!(listing.state().unwrap().attributes, expected);
}

#[test]
fn it_should_refuse_bad_attributes_and_an_archived_or_missing_listing() {
    use crate::inventory::AttributeKind::Seating;
    test()
        .given(vec![created()])
        .when(ListingCommand::SetAttributes {
            attributes: vec![attribute(Seating, "bar"), attribute(Seating, "bar")],
        })
        .then_expect_error(ListingError::Attributes(
            crate::inventory::ContentError::DuplicateAttribute {
                value: "bar".into(),
            },
        ));
    test()
        .given(vec![created(), archived(ListingStatus::Draft)])
        .when(ListingCommand::SetAttributes { attributes: vec![] })
        .then_expect_error(ListingError::Archived);
    test()
        .given_no_previous_events()
        .when(ListingCommand::SetAttributes { attributes: vec![] })
        .then_expect_error(ListingError::NotCreated);
}

// --- AddPhoto / RemovePhoto ---------------------------------------------------------------

fn photo(n: u128) -> crate::listing::photos::ListingPhoto {
    crate::listing::photos::ListingPhoto {
        photo_id: ulid::Ulid(n).to_string(),
        inventory_id: None,
        width: 2000,
        height: 1000,
        widths: vec![320, 960, 1920],
        content_type: "image/png".into(),
        alt: "The terrace".into(),
    }
}

fn photo_added(n: u128) -> ListingEvent {
    ListingEvent::ListingPhotoAdded {
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        photo: photo(n),
    }
}

#[test]
fn it_should_add_a_photo_once_and_remove_it() {
    use crate::listing::photos::PhotoRuleError;
    test()
        .given(vec![created()])
        .when(ListingCommand::AddPhoto { photo: photo(1) })
        .then_expect_events(vec![photo_added(1)]);
    test()
        .given(vec![created(), photo_added(1)])
        .when(ListingCommand::AddPhoto { photo: photo(1) })
        .then_expect_events(vec![]);
    let mut other = photo(1);
    other.alt = "Another".into();
    test()
        .given(vec![created(), photo_added(1)])
        .when(ListingCommand::AddPhoto { photo: other })
        .then_expect_error(ListingError::Photo(PhotoRuleError::Conflict(
            photo(1).photo_id,
        )));
    test()
        .given(vec![created(), photo_added(1)])
        .when(ListingCommand::RemovePhoto {
            photo_id: photo(1).photo_id,
        })
        .then_expect_events(vec![ListingEvent::ListingPhotoRemoved {
            tenant_id: tenant_id(),
            listing_id: listing_id(),
            photo_id: photo(1).photo_id,
        }]);
    test()
        .given(vec![created()])
        .when(ListingCommand::RemovePhoto {
            photo_id: photo(9).photo_id,
        })
        .then_expect_error(ListingError::Photo(PhotoRuleError::NotFound(
            photo(9).photo_id,
        )));
    let listing = replay([created(), photo_added(1), photo_added(2)]);
    assert_eq!(listing.state().unwrap().photos, [photo(1), photo(2)]);
}

#[test]
fn it_should_refuse_a_bad_photo_a_thirty_first_and_an_archived_listing() {
    use crate::listing::photos::{MAX_PHOTOS, PhotoRuleError};
    let mut bad = photo(1);
    bad.alt = "line\nbreak".into();
    test()
        .given(vec![created()])
        .when(ListingCommand::AddPhoto { photo: bad })
        .then_expect_error(ListingError::Photo(PhotoRuleError::InvalidAlt { max: 200 }));
    let mut bad = photo(1);
    bad.photo_id = "nope".into();
    test()
        .given(vec![created()])
        .when(ListingCommand::AddPhoto { photo: bad })
        .then_expect_error(ListingError::Photo(PhotoRuleError::Malformed));
    let mut full = vec![created()];
    full.extend((1..=MAX_PHOTOS as u128).map(photo_added));
    test()
        .given(full)
        .when(ListingCommand::AddPhoto { photo: photo(99) })
        .then_expect_error(ListingError::Photo(PhotoRuleError::TooMany {
            max: MAX_PHOTOS,
        }));
    test()
        .given(vec![created(), archived(ListingStatus::Draft)])
        .when(ListingCommand::AddPhoto { photo: photo(1) })
        .then_expect_error(ListingError::Archived);
}
