//! Invitations, roles and members.

use super::*;

#[test]
fn an_owner_invites_an_operator() {
    test()
        .given(vec![onboarded()])
        .when(TenantCommand::Invite(Box::new(invite(
            1,
            "op@example.com",
            Role::Operator,
        ))))
        .then_expect_events(vec![invited(1, "op@example.com", Role::Operator, now())]);
}

#[test]
fn a_platform_admin_may_invite_too() {
    let mut by_admin = invite(1, "op@example.com", Role::Owner);
    by_admin.invited_by = None;
    let events = test()
        .given(vec![onboarded()])
        .when(TenantCommand::Invite(Box::new(by_admin)))
        .inspect_result()
        .unwrap();
    assert_eq!(events.len(), 1);
}

#[test]
fn an_operator_may_not_invite() {
    let mut by_operator = invite(2, "other@example.com", Role::Operator);
    by_operator.invited_by = Some(account(2));
    test()
        .given(vec![
            onboarded(),
            invited(1, "op@example.com", Role::Operator, now()),
            joined(1, 2, "op@example.com", Role::Operator),
        ])
        .when(TenantCommand::Invite(Box::new(by_operator)))
        .then_expect_error(TenantError::NotAnOwner {
            account: account(2),
        });
}

#[test]
fn a_stranger_may_not_invite() {
    let mut by_stranger = invite(1, "op@example.com", Role::Operator);
    by_stranger.invited_by = Some(account(9));
    test()
        .given(vec![onboarded()])
        .when(TenantCommand::Invite(Box::new(by_stranger)))
        .then_expect_error(TenantError::NotAnOwner {
            account: account(9),
        });
}

#[test]
fn the_same_invitation_again_changes_nothing_and_its_id_is_not_reused() {
    test()
        .given(vec![
            onboarded(),
            invited(1, "op@example.com", Role::Operator, now()),
        ])
        .when(TenantCommand::Invite(Box::new(invite(
            1,
            "op@example.com",
            Role::Operator,
        ))))
        .then_expect_events(vec![]);
    test()
        .given(vec![
            onboarded(),
            invited(1, "op@example.com", Role::Operator, now()),
        ])
        .when(TenantCommand::Invite(Box::new(invite(
            1,
            "else@example.com",
            Role::Operator,
        ))))
        .then_expect_error(TenantError::InvitationIdTaken {
            invitation: invitation(1),
        });
}

#[test]
fn an_address_with_an_open_invitation_is_not_invited_twice() {
    test()
        .given(vec![
            onboarded(),
            invited(1, "op@example.com", Role::Operator, now()),
        ])
        .when(TenantCommand::Invite(Box::new(invite(
            2,
            "op@example.com",
            Role::Owner,
        ))))
        .then_expect_error(TenantError::AlreadyInvited {
            invitation: invitation(1),
        });
}

#[test]
fn an_address_whose_invitation_expired_may_be_invited_again() {
    let mut old = invited(
        1,
        "op@example.com",
        Role::Operator,
        now() - Duration::days(9),
    );
    if let TenantEvent::OperatorInvited { expires_at, .. } = &mut old {
        *expires_at = now() - Duration::days(2);
    }
    let events = test()
        .given(vec![onboarded(), old])
        .when(TenantCommand::Invite(Box::new(invite(
            2,
            "op@example.com",
            Role::Operator,
        ))))
        .inspect_result()
        .unwrap();
    assert_eq!(events.len(), 1);
}

#[test]
fn a_member_is_not_invited() {
    test()
        .given(vec![onboarded()])
        .when(TenantCommand::Invite(Box::new(invite(
            1,
            "mia@example.com",
            Role::Operator,
        ))))
        .then_expect_error(TenantError::AlreadyAMember);
}

#[test]
fn an_invitation_expires_within_thirty_days_from_now() {
    for expires_at in [
        now(),
        now() - Duration::minutes(1),
        now() + Duration::days(30) + Duration::seconds(1),
    ] {
        let mut i = invite(1, "op@example.com", Role::Operator);
        i.expires_at = expires_at;
        test()
            .given(vec![onboarded()])
            .when(TenantCommand::Invite(Box::new(i)))
            .then_expect_error(TenantError::InvalidExpiry);
    }
}

#[test]
fn a_suspended_business_sends_no_invitation() {
    test()
        .given(vec![onboarded(), suspended("unpaid")])
        .when(TenantCommand::Invite(Box::new(invite(
            1,
            "op@example.com",
            Role::Operator,
        ))))
        .then_expect_error(TenantError::Suspended);
}

pub(super) fn suspended(reason: &str) -> TenantEvent {
    TenantEvent::TenantSuspended {
        tenant_id: tenant_id(),
        reason: reason.into(),
        at: now() - Duration::hours(2),
    }
}

#[test]
fn the_invited_person_accepts_and_becomes_a_member() {
    test()
        .given(vec![
            onboarded(),
            invited(1, "op@example.com", Role::Operator, now()),
        ])
        .when(accept(1, 2, "op@example.com"))
        .then_expect_events(vec![TenantEvent::InvitationAccepted {
            tenant_id: tenant_id(),
            invitation_id: invitation(1),
            account: account(2),
            email: digest("op@example.com"),
            role: Role::Operator,
            at: now(),
        }]);
}

#[test]
fn accepting_again_changes_nothing_but_another_account_is_refused() {
    let history = vec![
        onboarded(),
        invited(1, "op@example.com", Role::Operator, now()),
        joined(1, 2, "op@example.com", Role::Operator),
    ];
    test()
        .given(history.clone())
        .when(accept(1, 2, "op@example.com"))
        .then_expect_events(vec![]);
    test()
        .given(history)
        .when(accept(1, 3, "op@example.com"))
        .then_expect_error(TenantError::InvitationClosed {
            invitation: invitation(1),
            status: InvitationStatus::Accepted,
        });
}

#[test]
fn a_wrong_token_or_another_address_does_not_open_an_invitation() {
    let history = vec![
        onboarded(),
        invited(1, "op@example.com", Role::Operator, now()),
    ];
    let wrong_token = TenantCommand::AcceptInvitation {
        invitation_id: invitation(1),
        token: digest("guessed"),
        email: digest("op@example.com"),
        account: account(2),
    };
    test()
        .given(history.clone())
        .when(wrong_token)
        .then_expect_error(TenantError::WrongInvitationToken {
            invitation: invitation(1),
        });
    test()
        .given(history)
        .when(accept(1, 2, "someone-else@example.com"))
        .then_expect_error(TenantError::WrongInvitationToken {
            invitation: invitation(1),
        });
}

#[test]
fn an_unknown_expired_or_revoked_invitation_is_refused() {
    test()
        .given(vec![onboarded()])
        .when(accept(1, 2, "op@example.com"))
        .then_expect_error(TenantError::NoSuchInvitation {
            invitation: invitation(1),
        });
    let mut old = invited(
        1,
        "op@example.com",
        Role::Operator,
        now() - Duration::days(9),
    );
    if let TenantEvent::OperatorInvited { expires_at, .. } = &mut old {
        *expires_at = now();
    }
    test()
        .given(vec![onboarded(), old])
        .when(accept(1, 2, "op@example.com"))
        .then_expect_error(TenantError::InvitationExpired {
            invitation: invitation(1),
        });
    test()
        .given(vec![
            onboarded(),
            invited(1, "op@example.com", Role::Operator, now()),
            TenantEvent::InvitationRevoked {
                tenant_id: tenant_id(),
                invitation_id: invitation(1),
                at: now(),
            },
        ])
        .when(accept(1, 2, "op@example.com"))
        .then_expect_error(TenantError::InvitationClosed {
            invitation: invitation(1),
            status: InvitationStatus::Revoked,
        });
}

#[test]
fn a_member_does_not_join_twice_and_a_suspended_business_takes_no_one() {
    test()
        .given(vec![
            onboarded(),
            invited(1, "op@example.com", Role::Operator, now()),
        ])
        .when(accept(1, 1, "op@example.com"))
        .then_expect_error(TenantError::AlreadyAMember);
    test()
        .given(vec![
            onboarded(),
            invited(1, "op@example.com", Role::Operator, now()),
            suspended("unpaid"),
        ])
        .when(accept(1, 2, "op@example.com"))
        .then_expect_error(TenantError::Suspended);
}

#[test]
fn an_owner_revokes_a_pending_invitation_once() {
    let revoke = |by| TenantCommand::RevokeInvitation {
        invitation_id: invitation(1),
        by,
    };
    let history = vec![
        onboarded(),
        invited(1, "op@example.com", Role::Operator, now()),
    ];
    test()
        .given(history.clone())
        .when(revoke(Some(account(1))))
        .then_expect_events(vec![TenantEvent::InvitationRevoked {
            tenant_id: tenant_id(),
            invitation_id: invitation(1),
            at: now(),
        }]);
    let mut revoked = history.clone();
    revoked.push(TenantEvent::InvitationRevoked {
        tenant_id: tenant_id(),
        invitation_id: invitation(1),
        at: now(),
    });
    test()
        .given(revoked)
        .when(revoke(Some(account(1))))
        .then_expect_events(vec![]);
    test()
        .given(history.clone())
        .when(revoke(Some(account(7))))
        .then_expect_error(TenantError::NotAnOwner {
            account: account(7),
        });
    let mut accepted = history;
    accepted.push(joined(1, 2, "op@example.com", Role::Operator));
    test()
        .given(accepted)
        .when(revoke(None))
        .then_expect_error(TenantError::InvitationClosed {
            invitation: invitation(1),
            status: InvitationStatus::Accepted,
        });
    test()
        .given(vec![onboarded()])
        .when(revoke(None))
        .then_expect_error(TenantError::NoSuchInvitation {
            invitation: invitation(1),
        });
}

fn with_operator() -> Vec<TenantEvent> {
    vec![
        onboarded(),
        invited(1, "op@example.com", Role::Operator, now()),
        joined(1, 2, "op@example.com", Role::Operator),
    ]
}

#[test]
fn an_owner_promotes_an_operator_and_the_last_owner_stays() {
    test()
        .given(with_operator())
        .when(TenantCommand::ChangeRole {
            account: account(2),
            role: Role::Owner,
            by: Some(account(1)),
        })
        .then_expect_events(vec![TenantEvent::MemberRoleChanged {
            tenant_id: tenant_id(),
            account: account(2),
            role: Role::Owner,
            at: now(),
        }]);
    test()
        .given(with_operator())
        .when(TenantCommand::ChangeRole {
            account: account(2),
            role: Role::Operator,
            by: Some(account(1)),
        })
        .then_expect_events(vec![]);
    test()
        .given(with_operator())
        .when(TenantCommand::ChangeRole {
            account: account(1),
            role: Role::Operator,
            by: Some(account(1)),
        })
        .then_expect_error(TenantError::LastOwner);
    test()
        .given(with_operator())
        .when(TenantCommand::ChangeRole {
            account: account(1),
            role: Role::Operator,
            by: Some(account(2)),
        })
        .then_expect_error(TenantError::NotAnOwner {
            account: account(2),
        });
    test()
        .given(with_operator())
        .when(TenantCommand::ChangeRole {
            account: account(5),
            role: Role::Owner,
            by: None,
        })
        .then_expect_error(TenantError::NotAMember {
            account: account(5),
        });
}

#[test]
fn members_leave_or_are_removed_but_the_last_owner_stays() {
    let removed = |k| {
        vec![TenantEvent::MemberRemoved {
            tenant_id: tenant_id(),
            account: account(k),
            at: now(),
        }]
    };
    // An operator leaves on their own.
    test()
        .given(with_operator())
        .when(TenantCommand::RemoveMember {
            account: account(2),
            by: Some(account(2)),
        })
        .then_expect_events(removed(2));
    // The owner removes them.
    test()
        .given(with_operator())
        .when(TenantCommand::RemoveMember {
            account: account(2),
            by: Some(account(1)),
        })
        .then_expect_events(removed(2));
    // An operator may not remove the owner, and the last owner cannot leave.
    test()
        .given(with_operator())
        .when(TenantCommand::RemoveMember {
            account: account(1),
            by: Some(account(2)),
        })
        .then_expect_error(TenantError::NotAnOwner {
            account: account(2),
        });
    test()
        .given(with_operator())
        .when(TenantCommand::RemoveMember {
            account: account(1),
            by: Some(account(1)),
        })
        .then_expect_error(TenantError::LastOwner);
    test()
        .given(with_operator())
        .when(TenantCommand::RemoveMember {
            account: account(6),
            by: None,
        })
        .then_expect_error(TenantError::NotAMember {
            account: account(6),
        });
}
