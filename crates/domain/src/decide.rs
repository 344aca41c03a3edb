//! The decision side of every aggregate: [`Decide::decide`] holds the rules, [`handle`] is the
//! one `cqrs_es::Aggregate::handle` they all share.
//!
//! An aggregate here is two pure functions over its state:
//!
//! - `decide(&self, command, services)` (this trait): every business rule. It reads the state
//!   and the services (the clock), and returns the events the command produces — none when it
//!   repeats what already happened — or a typed error saying which rule it breaks. Synchronous,
//!   and it never changes `self`, so a command can be decided in memory, property-tested, or
//!   decided again on a fresher state without side effects.
//! - `apply(&mut self, event)` (`cqrs_es::Aggregate`): only folds an event into the state. It
//!   checks nothing and never fails; whatever it needs was checked by `decide`.
//!
//! `handle` (what cqrs-es calls) is nothing more than `decide`, then `apply` through the sink
//! for each event: see [`handle`].

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;

/// An aggregate whose decisions are a pure function of its state and a command.
///
/// The rules live in [`decide`](Decide::decide); `apply` only folds what it decided. Every
/// aggregate's `cqrs_es::Aggregate::handle` is the shared [`handle`], so `decide` is the single
/// place a rule can be enforced. `Clone` lets a caller decide on a copy of the state (e.g. a
/// batch of commands decided in memory before anything is written).
pub trait Decide: Aggregate + Clone {
    /// The events `command` produces against this state (none when it asks for what is already
    /// so), or why it is refused. Pure and synchronous: reads `services` (the clock), never
    /// mutates `self`, performs no I/O.
    fn decide(
        &self,
        command: Self::Command,
        services: &Self::Services,
    ) -> Result<Vec<Self::Event>, Self::Error>;
}

/// The body of every aggregate's `cqrs_es::Aggregate::handle`: decides `command` on `aggregate`
/// and, if it is accepted, writes each event to `sink` (which also applies it to `aggregate`).
/// A refused command writes nothing and leaves `aggregate` unchanged.
///
/// Each aggregate's `handle` is the one line
/// `crate::decide::handle(self, command, services, sink).await`, so no aggregate can put a rule
/// in `handle` that `decide` (and whoever decides in memory) would not see.
///
/// # Errors
///
/// Whatever [`Decide::decide`] refuses the command with.
pub async fn handle<A: Decide>(
    aggregate: &mut A,
    command: A::Command,
    services: &A::Services,
    sink: &EventSink<A>,
) -> Result<(), A::Error> {
    for event in aggregate.decide(command, services)? {
        sink.write(event, aggregate).await;
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    //! A toy aggregate, independent of the domain's rules, to test the shared machinery with.

    use cqrs_es::event_sink::EventSink;
    use cqrs_es::{Aggregate, DomainEvent};
    use futures::executor::block_on;
    use serde::{Deserialize, Serialize};

    use super::{Decide, handle};

    /// A counter that may not go past [`Counter::LIMIT`].
    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    pub(crate) struct Counter {
        pub(crate) value: u32,
    }

    impl Counter {
        pub(crate) const LIMIT: u32 = 10;
    }

    #[derive(Clone, Debug, PartialEq)]
    pub(crate) enum CounterCommand {
        /// Adds `n` (nothing when `n` is 0), one event per unit.
        Add(u32),
        /// Decided like any command, but its event makes `apply` panic.
        Poison,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    pub(crate) enum CounterEvent {
        Incremented,
        Poisoned,
    }

    impl DomainEvent for CounterEvent {
        fn event_type(&self) -> String {
            format!("{self:?}")
        }

        fn event_version(&self) -> String {
            "1".to_owned()
        }
    }

    #[derive(Clone, Debug, PartialEq, thiserror::Error)]
    pub(crate) enum CounterError {
        #[error("adding {0} would go past the limit")]
        PastLimit(u32),
    }

    impl Aggregate for Counter {
        const TYPE: &'static str = "Counter";
        type Command = CounterCommand;
        type Event = CounterEvent;
        type Error = CounterError;
        type Services = ();

        async fn handle(
            &mut self,
            command: Self::Command,
            services: &Self::Services,
            sink: &EventSink<Self>,
        ) -> Result<(), Self::Error> {
            handle(self, command, services, sink).await
        }

        fn apply(&mut self, event: Self::Event) {
            match event {
                CounterEvent::Incremented => self.value += 1,
                CounterEvent::Poisoned => panic!("a poisoned counter was applied"),
            }
        }
    }

    impl Decide for Counter {
        fn decide(
            &self,
            command: CounterCommand,
            _services: &(),
        ) -> Result<Vec<CounterEvent>, CounterError> {
            match command {
                CounterCommand::Add(n) if self.value + n > Self::LIMIT => {
                    Err(CounterError::PastLimit(n))
                }
                CounterCommand::Add(n) => Ok(vec![CounterEvent::Incremented; n as usize]),
                CounterCommand::Poison => Ok(vec![CounterEvent::Poisoned]),
            }
        }
    }

    #[test]
    fn handle_writes_and_applies_exactly_what_decide_returns() {
        let mut counter = Counter { value: 2 };
        let decided = counter.decide(CounterCommand::Add(3), &()).unwrap();
        assert_eq!(decided, vec![CounterEvent::Incremented; 3]);

        let sink = EventSink::default();
        block_on(counter.handle(CounterCommand::Add(3), &(), &sink)).unwrap();
        assert_eq!(block_on(sink.collect()), decided);
        assert_eq!(counter.value, 5);
    }

    #[test]
    fn handle_writes_nothing_for_a_command_with_no_events() {
        let mut counter = Counter { value: 2 };
        let sink = EventSink::default();
        block_on(counter.handle(CounterCommand::Add(0), &(), &sink)).unwrap();
        assert!(block_on(sink.collect()).is_empty());
        assert_eq!(counter.value, 2);
    }

    #[test]
    fn handle_writes_nothing_for_a_refused_command() {
        let mut counter = Counter { value: 9 };
        let sink = EventSink::default();
        let result = block_on(counter.handle(CounterCommand::Add(2), &(), &sink));
        assert_eq!(result, Err(CounterError::PastLimit(2)));
        assert!(block_on(sink.collect()).is_empty());
        assert_eq!(counter.value, 9);
    }
}
