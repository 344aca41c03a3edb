//! ChangeBookingPolicy.

use chrono::Duration;

use super::*;
use crate::policy::{BookingRequest, PartySize, PolicyError, PolicyViolation, RequestedSlots};

fn change(spec: PolicySpec) -> ListingCommand {
    ListingCommand::ChangeBookingPolicy {
        policy: Box::new(spec),
    }
}

fn later_opening() -> PolicySpec {
    let mut spec = bingsu_policy();
    spec.opens = Some(crate::policy::WindowOpening {
        days_before: 0,
        at: t("18:30"),
    });
    spec
}

fn policy_changed(spec: PolicySpec, version: u32) -> ListingEvent {
    let policy = BookingPolicy::new(spec).unwrap().with_version(version);
    ListingEvent::ListingBookingPolicyChanged {
        tenant_id: tenant_id(),
        listing_id: listing_id(),
        policy,
    }
}

#[test]
fn it_should_change_the_policy_and_bump_its_version() {
    test()
        .given(vec![created()])
        .when(change(later_opening()))
        .then_expect_events(vec![policy_changed(later_opening(), 2)]);
    let mut longer_hold = later_opening();
    longer_hold.hold_duration = Duration::minutes(30);
    test()
        .given(vec![created(), policy_changed(later_opening(), 2)])
        .when(change(longer_hold.clone()))
        .then_expect_events(vec![policy_changed(longer_hold, 3)]);
}

#[test]
fn it_should_emit_nothing_for_the_same_policy() {
    test()
        .given(vec![created(), policy_changed(later_opening(), 2)])
        .when(change(later_opening()))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_evaluate_bookings_with_the_new_policy() {
    let listing = replay([created(), published(), policy_changed(later_opening(), 2)]);
    let state = listing.state().unwrap();
    let request = BookingRequest {
        slots: RequestedSlots::TimeSlots {
            first: crate::common::Slot::parse("2026-07-15T19:00").unwrap(),
            count: 1,
        },
        party_size: PartySize::parse(2).unwrap(),
        guest_active_bookings: 0,
    };
    // 18:15 KST: open under version 1, not under version 2 (18:30 KST = 09:30 UTC).
    assert_eq!(
        state.evaluate_booking(&request, at("2026-07-15T09:15:00Z")),
        Err(PolicyViolation::WindowNotOpen {
            opens_at: at("2026-07-15T09:30:00Z")
        })
    );
    let ok = state
        .evaluate_booking(&request, at("2026-07-15T09:30:00Z"))
        .unwrap();
    assert_eq!(ok.policy_version, 2);
}

#[test]
fn it_should_not_accept_an_invalid_policy() {
    let mut spec = bingsu_policy();
    spec.per_guest_active_cap = Some(0);
    test()
        .given(vec![created()])
        .when(change(spec))
        .then_expect_error(ListingError::InvalidPolicy(PolicyError::GuestCapZero));
}

#[test]
fn it_should_not_change_the_policy_of_a_listing_not_created() {
    test()
        .given_no_previous_events()
        .when(change(bingsu_policy()))
        .then_expect_error(ListingError::NotCreated);
}

#[test]
fn it_should_not_change_the_policy_of_an_archived_listing() {
    test()
        .given(vec![created(), archived(ListingStatus::Draft)])
        .when(change(later_opening()))
        .then_expect_error(ListingError::Archived);
}
