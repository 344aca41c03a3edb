//! Suspension by a platform admin.

use super::members::suspended;
use super::*;

#[test]
fn an_admin_suspends_with_a_reason_and_reinstates() {
    test()
        .given(vec![onboarded()])
        .when(TenantCommand::Suspend {
            reason: "  payment overdue  ".into(),
        })
        .then_expect_events(vec![TenantEvent::TenantSuspended {
            tenant_id: tenant_id(),
            reason: "payment overdue".into(),
            at: now(),
        }]);
    test()
        .given(vec![onboarded(), suspended("payment overdue")])
        .when(TenantCommand::Reinstate)
        .then_expect_events(vec![TenantEvent::TenantReinstated {
            tenant_id: tenant_id(),
            at: now(),
        }]);
}

#[test]
fn the_same_suspension_again_changes_nothing_another_reason_is_refused() {
    test()
        .given(vec![onboarded(), suspended("unpaid")])
        .when(TenantCommand::Suspend {
            reason: "unpaid".into(),
        })
        .then_expect_events(vec![]);
    test()
        .given(vec![onboarded(), suspended("unpaid")])
        .when(TenantCommand::Suspend {
            reason: "fraud".into(),
        })
        .then_expect_error(TenantError::AlreadySuspended {
            reason: "unpaid".into(),
        });
}

#[test]
fn a_reason_is_one_to_five_hundred_characters_without_control_characters() {
    for reason in [
        String::new(),
        "   ".into(),
        "x".repeat(501),
        "a\u{7}b".into(),
    ] {
        test()
            .given(vec![onboarded()])
            .when(TenantCommand::Suspend { reason })
            .then_expect_error(TenantError::InvalidReason);
    }
    let events = test()
        .given(vec![onboarded()])
        .when(TenantCommand::Suspend {
            reason: "é".repeat(500),
        })
        .inspect_result()
        .unwrap();
    assert_eq!(events.len(), 1);
}

#[test]
fn only_a_suspended_business_is_reinstated() {
    test()
        .given(vec![onboarded()])
        .when(TenantCommand::Reinstate)
        .then_expect_error(TenantError::NotSuspended {
            status: TenantStatus::Active,
        });
}

#[test]
fn a_suspended_business_keeps_its_members_and_profile() {
    let mut tenant = Tenant::default();
    for event in [onboarded(), suspended("unpaid")] {
        cqrs_es::Aggregate::apply(&mut tenant, event);
    }
    let state = tenant.state().unwrap();
    assert_eq!(state.status, TenantStatus::Suspended);
    assert_eq!(state.suspension.as_deref(), Some("unpaid"));
    assert_eq!(state.owners(), 1);
    assert_eq!(state.slug.as_str(), "mia-bingsu");
    // Its profile may still be edited.
    let events = test()
        .given(vec![onboarded(), suspended("unpaid")])
        .when(TenantCommand::UpdateProfile(Box::new(ProfileUpdate {
            currency: Some(Currency::parse("USD").unwrap()),
            ..ProfileUpdate::default()
        })))
        .inspect_result()
        .unwrap();
    assert_eq!(events.len(), 1);
}
