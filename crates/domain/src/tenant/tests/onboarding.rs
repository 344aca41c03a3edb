//! Onboarding and the profile.

use super::*;

#[test]
fn a_business_onboards_with_its_owner() {
    test()
        .given_no_previous_events()
        .when(TenantCommand::Onboard(Box::new(onboard())))
        .then_expect_events(vec![TenantEvent::TenantOnboarded {
            tenant_id: tenant_id(),
            name: BusinessName::parse("Mia's Bingsu").unwrap(),
            slug: Slug::parse("mia-bingsu").unwrap(),
            time_zone: chrono_tz::Asia::Seoul,
            currency: Currency::parse("KRW").unwrap(),
            branding: onboard().branding,
            owner: account(1),
            owner_email: digest("mia@example.com"),
            at: now(),
        }]);
}

#[test]
fn the_same_onboarding_again_changes_nothing() {
    test()
        .given(vec![onboarded()])
        .when(TenantCommand::Onboard(Box::new(onboard())))
        .then_expect_events(vec![]);
}

#[test]
fn onboarding_an_onboarded_business_differently_is_refused() {
    let mut other = onboard();
    other.slug = Slug::parse("other-shop").unwrap();
    test()
        .given(vec![onboarded()])
        .when(TenantCommand::Onboard(Box::new(other)))
        .then_expect_error(TenantError::AlreadyOnboarded);
}

#[test]
fn nothing_but_onboarding_before_onboarding() {
    for command in [
        TenantCommand::Reinstate,
        TenantCommand::Suspend { reason: "x".into() },
        TenantCommand::UpdateProfile(Box::default()),
        TenantCommand::Invite(Box::new(invite(1, "op@example.com", Role::Operator))),
    ] {
        test()
            .given_no_previous_events()
            .when(command)
            .then_expect_error(TenantError::NotOnboarded);
    }
}

#[test]
fn a_profile_update_records_the_whole_profile_after_it() {
    test()
        .given(vec![onboarded()])
        .when(TenantCommand::UpdateProfile(Box::new(ProfileUpdate {
            name: Some(BusinessName::parse("Mia's Bingsu & Tea").unwrap()),
            time_zone: Some(chrono_tz::Asia::Tokyo),
            ..ProfileUpdate::default()
        })))
        .then_expect_events(vec![TenantEvent::TenantProfileUpdated {
            tenant_id: tenant_id(),
            name: BusinessName::parse("Mia's Bingsu & Tea").unwrap(),
            slug: Slug::parse("mia-bingsu").unwrap(),
            time_zone: chrono_tz::Asia::Tokyo,
            currency: Currency::parse("KRW").unwrap(),
            branding: onboard().branding,
            at: now(),
        }]);
}

#[test]
fn a_profile_update_that_changes_nothing_records_nothing() {
    test()
        .given(vec![onboarded()])
        .when(TenantCommand::UpdateProfile(Box::new(ProfileUpdate {
            slug: Some(Slug::parse("Mia-Bingsu").unwrap()),
            ..ProfileUpdate::default()
        })))
        .then_expect_events(vec![]);
}

#[test]
fn the_state_after_onboarding_has_one_owner_and_is_active() {
    let mut tenant = Tenant::default();
    cqrs_es::Aggregate::apply(&mut tenant, onboarded());
    let state = tenant.state().unwrap();
    assert_eq!(state.status, TenantStatus::Active);
    assert_eq!(state.owners(), 1);
    assert_eq!(state.role_of(account(1)), Some(Role::Owner));
    assert_eq!(state.role_of(account(2)), None);
}

#[test]
fn events_round_trip_through_json() {
    let events = vec![
        onboarded(),
        invited(1, "op@example.com", Role::Operator, now()),
        joined(1, 2, "op@example.com", Role::Operator),
        TenantEvent::TenantSuspended {
            tenant_id: tenant_id(),
            reason: "unpaid".into(),
            at: now(),
        },
    ];
    for event in events {
        let json = serde_json::to_value(&event).unwrap();
        let back: TenantEvent = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, event, "{json}");
        // No address or token in clear: only digests.
        assert!(!json.to_string().contains('@'), "{json}");
    }
}
