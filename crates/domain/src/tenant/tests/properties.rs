//! Whatever the commands, a business keeps an owner, one member per account and at most one
//! open invitation per address.

use proptest::prelude::*;

use super::*;
use crate::decide::Decide;

fn arb_command() -> impl Strategy<Value = TenantCommand> {
    let who = 1u8..5;
    let email = prop::sample::select(vec!["a@x.io", "b@x.io", "c@x.io", "mia@example.com"]);
    let role = prop_oneof![Just(Role::Owner), Just(Role::Operator)];
    let by = prop_oneof![Just(None), (1u8..5).prop_map(|k| Some(account(k)))];
    prop_oneof![
        (1u8..6, email.clone(), role.clone(), by.clone(), 0i64..10).prop_map(
            |(n, email, role, by, days)| {
                let mut i = invite(n, email, role);
                i.invited_by = by;
                i.expires_at = now() + Duration::days(days);
                TenantCommand::Invite(Box::new(i))
            }
        ),
        (1u8..6, who.clone(), email).prop_map(|(n, k, email)| accept(n, k, email)),
        (1u8..6, by.clone()).prop_map(|(n, by)| TenantCommand::RevokeInvitation {
            invitation_id: invitation(n),
            by
        }),
        (who.clone(), role, by.clone()).prop_map(|(k, role, by)| TenantCommand::ChangeRole {
            account: account(k),
            role,
            by
        }),
        (who, by).prop_map(|(k, by)| TenantCommand::RemoveMember {
            account: account(k),
            by
        }),
        Just(TenantCommand::Suspend {
            reason: "unpaid".into()
        }),
        Just(TenantCommand::Reinstate),
    ]
}

proptest! {
    #[test]
    fn membership_invariants_hold_after_any_commands(
        commands in prop::collection::vec(arb_command(), 0..40),
    ) {
        let services = DomainServices::with_clock(FixedClock::new(now()));
        let mut tenant = Tenant::default();
        cqrs_es::Aggregate::apply(&mut tenant, onboarded());
        for command in commands {
            let suspended = tenant.state().unwrap().status == TenantStatus::Suspended;
            let before = tenant.state().unwrap().members.len();
            if let Ok(events) = tenant.decide(command, &services) {
                for event in events {
                    cqrs_es::Aggregate::apply(&mut tenant, event);
                }
            }
            let state = tenant.state().unwrap();
            prop_assert!(state.owners() >= 1);
            prop_assert!(state.members.iter().all(|(k, m)| *k == m.account));
            if suspended {
                prop_assert!(state.members.len() <= before);
            }
            let mut open: Vec<&Digest> = state
                .invitations
                .values()
                .filter(|i| i.is_open(now()))
                .map(|i| &i.email)
                .collect();
            let n = open.len();
            open.sort();
            open.dedup();
            prop_assert_eq!(open.len(), n);
        }
    }
}
