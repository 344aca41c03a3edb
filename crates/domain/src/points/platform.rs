//! The platform-wide points programme: one programme every business's completed bookings earn
//! in besides their own (an admin sets it), spendable at any business. Its accounts are keyed
//! like a business's, under the reserved id [`PLATFORM`] (no business has it: business ids are
//! new ULIDs, never the nil one).

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::PointsTerms;
use crate::common::TenantId;
use crate::decide::Decide;
use crate::services::DomainServices;

/// The owner of the platform programme's accounts (the nil ULID).
pub const PLATFORM: TenantId = TenantId(ulid::Ulid::nil());

/// The platform programme's aggregate id.
pub const PLATFORM_PROGRAM_ID: &str = "platform";

/// The platform's points programme (the default: none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformProgram {
    terms: Option<PointsTerms>,
}

impl PlatformProgram {
    /// Its terms, while it runs.
    pub fn terms(&self) -> Option<PointsTerms> {
        self.terms
    }
}

/// Start, change or (`None`) end the platform programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPlatformProgram {
    /// The terms (`None`: none; points earned stay until they expire).
    pub terms: Option<PointsTerms>,
}

/// The platform programme changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlatformProgramEvent {
    /// Its terms from now on.
    PlatformPointsProgramSet {
        /// The terms (`None`: ended).
        terms: Option<PointsTerms>,
        /// When.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for PlatformProgramEvent {
    fn event_type(&self) -> String {
        "PlatformPointsProgramSet".to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}

/// Never refused (the terms were checked when made).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreachable")]
pub enum PlatformProgramError {}

impl Aggregate for PlatformProgram {
    const TYPE: &'static str = "PlatformProgram";
    type Command = SetPlatformProgram;
    type Event = PlatformProgramEvent;
    type Error = PlatformProgramError;
    type Services = DomainServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        crate::decide::handle(self, command, services, sink).await
    }

    fn apply(&mut self, event: Self::Event) {
        let PlatformProgramEvent::PlatformPointsProgramSet { terms, .. } = event;
        self.terms = terms;
    }
}

impl Decide for PlatformProgram {
    fn decide(
        &self,
        command: SetPlatformProgram,
        services: &DomainServices,
    ) -> Result<Vec<PlatformProgramEvent>, PlatformProgramError> {
        if command.terms == self.terms {
            return Ok(vec![]);
        }
        Ok(vec![PlatformProgramEvent::PlatformPointsProgramSet {
            terms: command.terms,
            at: services.clock.now(),
        }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::FixedClock;
    use crate::testing::TestFramework;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn test() -> TestFramework<PlatformProgram> {
        TestFramework::with(DomainServices::with_clock(FixedClock::new(now())))
    }

    #[test]
    fn an_admin_starts_changes_and_ends_the_platform_programme() {
        let one = PointsTerms::new(100, 365).unwrap();
        let set = |terms| PlatformProgramEvent::PlatformPointsProgramSet { terms, at: now() };
        test()
            .given_no_previous_events()
            .when(SetPlatformProgram { terms: Some(one) })
            .then_expect_events(vec![set(Some(one))]);
        test()
            .given(vec![set(Some(one))])
            .when(SetPlatformProgram { terms: Some(one) })
            .then_expect_events(vec![]);
        test()
            .given(vec![set(Some(one))])
            .when(SetPlatformProgram { terms: None })
            .then_expect_events(vec![set(None)]);
        assert!(PLATFORM.to_string().chars().all(|c| c == '0'));
    }
}
