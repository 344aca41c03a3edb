//! Given/when/then tests of an aggregate's rules, built on [`Decide`]: synchronous, no runtime.
//!
//! The names mirror `cqrs_es::test` ([`TestFramework`], [`AggregateTestExecutor`],
//! [`AggregateResultValidator`] and their methods), so a test written against one reads the
//! same against the other. What a test runs:
//!
//! 1. **given**: a fresh aggregate (`Default`) folds the given events with `apply`, in order;
//! 2. **when**: [`Decide::decide`] runs the command on that state, with the framework's
//!    services; the events it accepts with are then folded too, exactly as
//!    [`handle`](crate::decide::handle) would (so an `apply` that cannot take what `decide`
//!    emitted fails the test);
//! 3. **then**: the outcome is compared with the expected events or error. A mismatch panics
//!    with the given events, the command, what was expected and what came out.
//!
//! ```
//! use chrono::DateTime;
//! use holdfast_domain::listing::{Listing, ListingCommand, ListingError};
//! use holdfast_domain::services::{DomainServices, FixedClock};
//! use holdfast_domain::testing::TestFramework;
//!
//! let services = DomainServices::with_clock(FixedClock::new(DateTime::UNIX_EPOCH));
//! TestFramework::<Listing>::with(services)
//!     .given_no_previous_events()
//!     .when(ListingCommand::Publish)
//!     .then_expect_error(ListingError::NotCreated);
//! ```

use std::fmt::Debug;

use crate::decide::Decide;

/// Starts a given/when/then test of `A` with the services every `decide` of the test reads.
pub struct TestFramework<A: Decide> {
    services: A::Services,
}

impl<A: Decide> TestFramework<A> {
    /// A test whose commands are decided with `services` (e.g. a fixed clock).
    #[must_use]
    pub fn with(services: A::Services) -> Self {
        Self { services }
    }

    /// The aggregate has no history: the command is decided on `A::default()`.
    #[must_use]
    pub fn given_no_previous_events(self) -> AggregateTestExecutor<A> {
        self.given(Vec::new())
    }

    /// The aggregate's history: `events` are folded, in order, before the command is decided.
    #[must_use]
    pub fn given(self, events: Vec<A::Event>) -> AggregateTestExecutor<A> {
        AggregateTestExecutor {
            given: events,
            services: self.services,
        }
    }
}

/// A test with its history, waiting for the command.
pub struct AggregateTestExecutor<A: Decide> {
    given: Vec<A::Event>,
    services: A::Services,
}

impl<A: Decide> AggregateTestExecutor<A>
where
    A::Command: Debug,
{
    /// Folds the given events, decides `command` on the result and, if it is accepted, folds
    /// the events it produced (as `handle` would). The outcome is checked with the returned
    /// validator's `then_*` methods.
    ///
    /// # Panics
    ///
    /// If `apply` panics on a given or a produced event.
    #[must_use = "a `when` without a `then_expect_*` (or `inspect_result`) checks nothing"]
    pub fn when(self, command: A::Command) -> AggregateResultValidator<A> {
        let mut aggregate = A::default();
        for event in &self.given {
            aggregate.apply(event.clone());
        }
        let when = format!("{command:#?}");
        let result = aggregate.decide(command, &self.services);
        if let Ok(events) = &result {
            for event in events {
                aggregate.apply(event.clone());
            }
        }
        AggregateResultValidator {
            given: self.given,
            when,
            result,
        }
    }
}

/// The outcome of a command, to compare with what the test expects.
pub struct AggregateResultValidator<A: Decide> {
    given: Vec<A::Event>,
    /// The command, as `{:#?}` (it was consumed by `decide`).
    when: String,
    result: Result<Vec<A::Event>, A::Error>,
}

impl<A: Decide> AggregateResultValidator<A> {
    /// Checks that the command was accepted with exactly `expected` (same events, same order;
    /// an empty vector for a command that changes nothing).
    ///
    /// # Panics
    ///
    /// If the command was refused, or produced other events.
    #[track_caller]
    pub fn then_expect_events(self, expected: Vec<A::Event>) {
        match &self.result {
            Ok(actual) if *actual == expected => {}
            Ok(actual) => {
                let first = actual
                    .iter()
                    .zip(&expected)
                    .position(|(a, e)| a != e)
                    .unwrap_or(actual.len().min(expected.len()));
                self.fail(
                    &format!(
                        "the command produced other events than expected \
                         ({} expected, {} produced; first difference at index {first})",
                        expected.len(),
                        actual.len()
                    ),
                    &Ok::<_, ()>(&expected),
                )
            }
            Err(error) => self.fail(
                &format!("expected events, but the command was refused: {error}"),
                &Ok::<_, ()>(&expected),
            ),
        }
    }

    /// The outcome itself, for checks the `then_expect_*` methods do not cover.
    pub fn inspect_result(self) -> Result<Vec<A::Event>, A::Error> {
        self.result
    }

    #[track_caller]
    fn fail(&self, what: &str, expected: &dyn Debug) -> ! {
        let given = if self.given.is_empty() {
            "no previous events".to_owned()
        } else {
            format!("{:#?}", self.given)
        };
        panic!(
            "given/when/then failed: {what}\n\
             given: {given}\n\
             when: {when}\n\
             expected: {expected:#?}\n\
             actual: {actual:#?}",
            when = self.when,
            actual = self.result,
        )
    }
}

impl<A: Decide> AggregateResultValidator<A>
where
    A::Error: PartialEq,
{
    /// Checks that the command was refused with `expected` (compared with `==`).
    ///
    /// # Panics
    ///
    /// If the command was accepted, or refused with another error.
    #[track_caller]
    pub fn then_expect_error(self, expected: A::Error) {
        match &self.result {
            Err(actual) if *actual == expected => {}
            Err(actual) => self.fail(
                &format!("the command was refused with another error: {actual}"),
                &Err::<(), _>(expected),
            ),
            Ok(_) => self.fail(
                "expected an error, but the command was accepted",
                &Err::<(), _>(expected),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::TestFramework;
    use crate::decide::tests::{Counter, CounterCommand, CounterError, CounterEvent};

    fn counter() -> TestFramework<Counter> {
        TestFramework::with(())
    }

    fn incremented(n: usize) -> Vec<CounterEvent> {
        vec![CounterEvent::Incremented; n]
    }

    /// The message a failing check panics with.
    fn failure(check: impl FnOnce()) -> String {
        let payload = catch_unwind(AssertUnwindSafe(check)).expect_err("the check should fail");
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .expect("a formatted panic message")
    }

    #[test]
    fn it_should_pass_on_the_expected_events() {
        counter()
            .given(incremented(2))
            .when(CounterCommand::Add(3))
            .then_expect_events(incremented(3));
    }

    #[test]
    fn it_should_pass_on_no_events_when_none_are_expected() {
        counter()
            .given_no_previous_events()
            .when(CounterCommand::Add(0))
            .then_expect_events(vec![]);
    }

    #[test]
    fn it_should_fold_the_given_events_before_deciding() {
        // 9 + 2 is past the limit only if all 9 given events were applied.
        counter()
            .given(incremented(9))
            .when(CounterCommand::Add(2))
            .then_expect_error(CounterError::PastLimit(2));
        counter()
            .given(incremented(8))
            .when(CounterCommand::Add(2))
            .then_expect_events(incremented(2));
    }

    #[test]
    fn it_should_hand_back_the_outcome_to_inspect() {
        assert_eq!(
            counter()
                .given_no_previous_events()
                .when(CounterCommand::Add(1))
                .inspect_result(),
            Ok(incremented(1))
        );
        assert_eq!(
            counter()
                .given(incremented(10))
                .when(CounterCommand::Add(1))
                .inspect_result(),
            Err(CounterError::PastLimit(1))
        );
    }

    #[test]
    #[should_panic(expected = "the command produced other events than expected")]
    fn it_should_fail_on_other_events() {
        counter()
            .given_no_previous_events()
            .when(CounterCommand::Add(2))
            .then_expect_events(incremented(3));
    }

    #[test]
    #[should_panic(expected = "the command produced other events than expected")]
    fn it_should_fail_on_events_when_none_are_expected() {
        counter()
            .given_no_previous_events()
            .when(CounterCommand::Add(1))
            .then_expect_events(vec![]);
    }

    #[test]
    #[should_panic(expected = "expected events, but the command was refused")]
    fn it_should_fail_on_an_error_when_events_are_expected() {
        counter()
            .given(incremented(10))
            .when(CounterCommand::Add(1))
            .then_expect_events(incremented(1));
    }

    #[test]
    #[should_panic(expected = "expected an error, but the command was accepted")]
    fn it_should_fail_on_events_when_an_error_is_expected() {
        counter()
            .given_no_previous_events()
            .when(CounterCommand::Add(1))
            .then_expect_error(CounterError::PastLimit(1));
    }

    #[test]
    #[should_panic(expected = "the command was refused with another error")]
    fn it_should_fail_on_another_error() {
        counter()
            .given(incremented(10))
            .when(CounterCommand::Add(1))
            .then_expect_error(CounterError::PastLimit(2));
    }

    #[test]
    #[should_panic(expected = "a poisoned counter was applied")]
    fn it_should_fold_the_produced_events_as_handle_would() {
        // decide accepts, but apply cannot take the event: the test must not pass.
        counter()
            .given_no_previous_events()
            .when(CounterCommand::Poison)
            .then_expect_events(vec![CounterEvent::Poisoned]);
    }

    #[test]
    fn a_failure_should_show_given_when_expected_and_actual() {
        let message = failure(|| {
            counter()
                .given(incremented(1))
                .when(CounterCommand::Add(2))
                .then_expect_events(incremented(3));
        });
        let given = message
            .find("\ngiven: [\n    Incremented,\n]")
            .expect(&message);
        let when = message.find("\nwhen: Add(\n    2,\n)").expect(&message);
        let expected = message
            .find("\nexpected: Ok(\n    [\n        Incremented,\n        Incremented,\n        Incremented,\n    ],\n)")
            .expect(&message);
        let actual = message
            .find("\nactual: Ok(\n    [\n        Incremented,\n        Incremented,\n    ],\n)")
            .expect(&message);
        assert!(
            given < when && when < expected && expected < actual,
            "{message}"
        );
        assert!(
            message.contains("3 expected, 2 produced; first difference at index 2"),
            "{message}"
        );
    }

    #[test]
    fn a_failure_should_show_both_errors() {
        let message = failure(|| {
            counter()
                .given_no_previous_events()
                .when(CounterCommand::Add(11))
                .then_expect_error(CounterError::PastLimit(12));
        });
        assert!(message.contains("given: no previous events"), "{message}");
        assert!(
            message.contains("refused with another error: adding 11 would go past the limit"),
            "{message}"
        );
        assert!(
            message.contains("expected: Err(\n    PastLimit(\n        12,\n    ),\n)"),
            "{message}"
        );
        assert!(
            message.contains("actual: Err(\n    PastLimit(\n        11,\n    ),\n)"),
            "{message}"
        );
    }
}
