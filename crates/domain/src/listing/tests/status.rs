//! Publish, Suspend, Reinstate, Archive and the transition table.

use super::*;

use ListingStatus::*;

fn suspend(reason: &str) -> ListingCommand {
    ListingCommand::Suspend {
        reason: reason.into(),
    }
}

#[test]
fn the_transition_table_is_exactly_the_lifecycle() {
    let all = [Draft, Published, Suspended, Archived];
    let allowed = [
        (Draft, Published),
        (Published, Suspended),
        (Suspended, Published),
        (Draft, Archived),
        (Published, Archived),
        (Suspended, Archived),
    ];
    for from in all {
        for to in all {
            assert_eq!(
                from.can_transition_to(to),
                allowed.contains(&(from, to)),
                "{from:?} -> {to:?}"
            );
        }
    }
    assert!(Published.is_bookable());
    assert!(!Suspended.is_bookable());
}

#[test]
fn it_should_publish_a_draft() {
    test()
        .given(vec![created()])
        .when(ListingCommand::Publish)
        .then_expect_events(vec![published()]);
}

#[test]
fn it_should_ignore_publishing_a_published_listing() {
    test()
        .given(vec![created(), published()])
        .when(ListingCommand::Publish)
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_publish_a_suspended_listing() {
    test()
        .given(vec![created(), published(), suspended("fraud check")])
        .when(ListingCommand::Publish)
        .then_expect_error(ListingError::SuspendedUseReinstate);
}

#[test]
fn it_should_not_publish_an_archived_listing() {
    test()
        .given(vec![created(), archived(Draft)])
        .when(ListingCommand::Publish)
        .then_expect_error(ListingError::IllegalTransition {
            from: Archived,
            to: Published,
        });
}

#[test]
fn it_should_not_change_the_status_of_a_listing_not_created() {
    for command in [
        ListingCommand::Publish,
        suspend("x"),
        ListingCommand::Reinstate,
        ListingCommand::Archive,
    ] {
        test()
            .given_no_previous_events()
            .when(command)
            .then_expect_error(ListingError::NotCreated);
    }
}

#[test]
fn it_should_suspend_a_published_listing() {
    test()
        .given(vec![created(), published()])
        .when(suspend("  health inspection "))
        .then_expect_events(vec![suspended("health inspection")]);
    let listing = replay([created(), published(), suspended("health inspection")]);
    assert_eq!(
        listing.state().unwrap().suspension,
        Some(SuspensionReason::parse("health inspection").unwrap())
    );
}

#[test]
fn it_should_ignore_the_same_suspension_twice() {
    test()
        .given(vec![created(), published(), suspended("health inspection")])
        .when(suspend("health inspection"))
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_suspend_again_for_another_reason() {
    test()
        .given(vec![created(), published(), suspended("health inspection")])
        .when(suspend("unpaid invoice"))
        .then_expect_error(ListingError::AlreadySuspended {
            reason: SuspensionReason::parse("health inspection").unwrap(),
        });
}

#[test]
fn it_should_not_suspend_a_draft_or_archived_listing() {
    test()
        .given(vec![created()])
        .when(suspend("x"))
        .then_expect_error(ListingError::IllegalTransition {
            from: Draft,
            to: Suspended,
        });
    test()
        .given(vec![created(), published(), archived(Published)])
        .when(suspend("x"))
        .then_expect_error(ListingError::IllegalTransition {
            from: Archived,
            to: Suspended,
        });
}

#[test]
fn it_should_not_suspend_without_a_reason() {
    test()
        .given(vec![created(), published()])
        .when(suspend("  "))
        .then_expect_error(ListingError::InvalidSuspensionReason {
            problem: TextProblem::Empty,
        });
    test()
        .given(vec![created(), published()])
        .when(suspend(&"r".repeat(501)))
        .then_expect_error(ListingError::InvalidSuspensionReason {
            problem: TextProblem::TooLong {
                length: 501,
                max: 500,
            },
        });
}

#[test]
fn it_should_reinstate_a_suspended_listing() {
    test()
        .given(vec![created(), published(), suspended("x")])
        .when(ListingCommand::Reinstate)
        .then_expect_events(vec![reinstated()]);
    let listing = replay([created(), published(), suspended("x"), reinstated()]);
    let state = listing.state().unwrap();
    assert_eq!(state.status, Published);
    assert_eq!(state.suspension, None);
}

#[test]
fn it_should_ignore_reinstating_a_published_listing() {
    test()
        .given(vec![created(), published(), suspended("x"), reinstated()])
        .when(ListingCommand::Reinstate)
        .then_expect_events(vec![]);
}

#[test]
fn it_should_not_reinstate_a_draft() {
    test()
        .given(vec![created()])
        .when(ListingCommand::Reinstate)
        .then_expect_error(ListingError::NotSuspended { status: Draft });
}

#[test]
fn it_should_not_reinstate_an_archived_listing() {
    test()
        .given(vec![
            created(),
            published(),
            suspended("x"),
            archived(Suspended),
        ])
        .when(ListingCommand::Reinstate)
        .then_expect_error(ListingError::IllegalTransition {
            from: Archived,
            to: Published,
        });
}

#[test]
fn it_should_archive_from_any_live_status() {
    test()
        .given(vec![created()])
        .when(ListingCommand::Archive)
        .then_expect_events(vec![archived(Draft)]);
    test()
        .given(vec![created(), published()])
        .when(ListingCommand::Archive)
        .then_expect_events(vec![archived(Published)]);
    test()
        .given(vec![created(), published(), suspended("x")])
        .when(ListingCommand::Archive)
        .then_expect_events(vec![archived(Suspended)]);
}

#[test]
fn it_should_ignore_archiving_twice() {
    test()
        .given(vec![created(), archived(Draft)])
        .when(ListingCommand::Archive)
        .then_expect_events(vec![]);
}
