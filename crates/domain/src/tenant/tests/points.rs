//! The business's points programme.

use super::*;
use crate::points::PointsTerms;

fn set(terms: Option<PointsTerms>) -> TenantEvent {
    TenantEvent::TenantPointsProgramSet {
        tenant_id: tenant_id(),
        terms,
        at: now(),
    }
}

#[test]
fn an_owner_starts_changes_and_ends_the_programme() {
    let five = PointsTerms::new(500, 365).unwrap();
    let three = PointsTerms::new(300, 180).unwrap();
    test()
        .given(vec![onboarded()])
        .when(TenantCommand::SetPointsProgram { terms: Some(five) })
        .then_expect_events(vec![set(Some(five))]);
    test()
        .given(vec![onboarded(), set(Some(five))])
        .when(TenantCommand::SetPointsProgram { terms: Some(three) })
        .then_expect_events(vec![set(Some(three))]);
    test()
        .given(vec![onboarded(), set(Some(five))])
        .when(TenantCommand::SetPointsProgram { terms: None })
        .then_expect_events(vec![set(None)]);
}

#[test]
fn the_same_terms_again_change_nothing_and_a_business_must_exist() {
    let five = PointsTerms::new(500, 365).unwrap();
    test()
        .given(vec![onboarded(), set(Some(five))])
        .when(TenantCommand::SetPointsProgram { terms: Some(five) })
        .then_expect_events(vec![]);
    test()
        .given(vec![onboarded()])
        .when(TenantCommand::SetPointsProgram { terms: None })
        .then_expect_events(vec![]);
    test()
        .given_no_previous_events()
        .when(TenantCommand::SetPointsProgram { terms: Some(five) })
        .then_expect_error(TenantError::NotOnboarded);
}
