//! The `Watch` aggregate: a guest's request to be told when sold-out slots free up.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::common::{GuestId, InventoryId, ListingId, Slot, TenantId};
use crate::decide::Decide;
use crate::inventory::SlotState;
use crate::services::DomainServices;

/// The most slots one watch covers (a month of nights).
pub const MAX_WATCHED_SLOTS: usize = 31;

/// What a guest watches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchTerms {
    /// The guest.
    pub guest_id: GuestId,
    /// The business.
    pub tenant_id: TenantId,
    /// The listing.
    pub listing_id: ListingId,
    /// The inventory.
    pub inventory_id: InventoryId,
    /// The slots wanted together (sorted, distinct, 1–[`MAX_WATCHED_SLOTS`]).
    pub slots: Vec<Slot>,
    /// The party.
    pub party_size: u32,
    /// Units wanted on every slot (at least 1).
    pub quantity: u32,
    /// When the watch ends by itself: the first slot can no longer be booked.
    pub expires_at: DateTime<Utc>,
}

/// Where a watch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchStatus {
    /// Waiting for the slots to free up.
    Armed,
    /// Told that they did; waits for them to sell out again before it can tell again.
    Alerted,
    /// The guest stopped watching.
    Stopped,
    /// Its dates passed.
    Expired,
}

impl WatchStatus {
    /// Whether it still watches (armed or alerted).
    pub fn is_live(self) -> bool {
        matches!(self, Self::Armed | Self::Alerted)
    }
}

/// A watch as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchState {
    /// The watch.
    pub watch_id: String,
    /// What is watched.
    pub terms: WatchTerms,
    /// Where it is.
    pub status: WatchStatus,
    /// Alerts sent so far.
    pub alerts: u32,
    /// When it started.
    pub started_at: DateTime<Utc>,
}

/// A guest's watch of sold-out slots (none until started).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watch {
    state: Option<WatchState>,
}

impl Watch {
    /// The watch, once started.
    pub fn state(&self) -> Option<&WatchState> {
        self.state.as_ref()
    }
}

/// The units free on every one of `slots` (0 if one is closed or not offered): what a watch of
/// them could book now.
pub fn free_on(slots: &BTreeMap<Slot, SlotState>, wanted: &[Slot]) -> u32 {
    wanted
        .iter()
        .map(|s| match slots.get(s) {
            Some(state) if !state.closed => state
                .capacity
                .saturating_sub(state.held)
                .saturating_sub(state.allocated),
            _ => 0,
        })
        .min()
        .unwrap_or(0)
}

/// The commands of a [`Watch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchCommand {
    /// Start watching (once; the same terms again change nothing).
    Start {
        /// The watch's id.
        watch_id: String,
        /// What to watch.
        terms: Box<WatchTerms>,
    },
    /// The guest stops watching.
    Stop {
        /// Who asks (only the watch's guest).
        guest_id: GuestId,
    },
    /// The inventory at `sequence` has `free` units on every watched slot: an armed watch whose
    /// quantity fits tells its guest (once; an alerted watch stays quiet).
    Alert {
        /// The inventory's sequence that freed them (the freeing).
        sequence: u64,
        /// Units free on every watched slot.
        free: u32,
    },
    /// The inventory at `sequence` has `free` units: an alerted watch whose quantity no longer
    /// fits arms again, to tell at the next freeing.
    Rearm {
        /// The inventory's sequence.
        sequence: u64,
        /// Units free on every watched slot.
        free: u32,
    },
    /// End the watch once its dates passed.
    Expire,
}

/// What happened to a watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatchEvent {
    /// A guest started watching.
    WatchStarted {
        /// The watch.
        watch_id: String,
        /// What is watched.
        terms: WatchTerms,
        /// When.
        at: DateTime<Utc>,
    },
    /// The slots freed up: the guest is told (by the outbox, and live).
    WatchAlerted {
        /// The watch.
        watch_id: String,
        /// What is watched (so that the message and the live stream need nothing else).
        terms: WatchTerms,
        /// Units free on every watched slot.
        free: u32,
        /// The inventory's sequence that freed them.
        sequence: u64,
        /// Which alert of this watch (1, 2, …).
        alert: u32,
        /// When.
        at: DateTime<Utc>,
    },
    /// The slots sold out again: the watch can tell again.
    WatchRearmed {
        /// The watch.
        watch_id: String,
        /// The guest.
        guest_id: GuestId,
        /// The inventory's sequence.
        sequence: u64,
        /// When.
        at: DateTime<Utc>,
    },
    /// The guest stopped watching.
    WatchStopped {
        /// The watch.
        watch_id: String,
        /// The guest.
        guest_id: GuestId,
        /// When.
        at: DateTime<Utc>,
    },
    /// Its dates passed.
    WatchExpired {
        /// The watch.
        watch_id: String,
        /// The guest.
        guest_id: GuestId,
        /// When.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for WatchEvent {
    fn event_type(&self) -> String {
        match self {
            Self::WatchStarted { .. } => "WatchStarted",
            Self::WatchAlerted { .. } => "WatchAlerted",
            Self::WatchRearmed { .. } => "WatchRearmed",
            Self::WatchStopped { .. } => "WatchStopped",
            Self::WatchExpired { .. } => "WatchExpired",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}

/// A watch rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WatchError {
    /// No slot, too many, or the same twice.
    #[error("a watch covers 1 to {max} different slots (got {got})", max = MAX_WATCHED_SLOTS)]
    InvalidSlots {
        /// Slots given.
        got: usize,
    },
    /// A party or a quantity of zero.
    #[error("a watch is for at least one guest and one unit")]
    InvalidParty,
    /// Dates already past.
    #[error("these dates have passed")]
    DatesPassed,
    /// Started again with other terms.
    #[error("this watch was started with other terms")]
    AlreadyStarted,
    /// Any command before `Start`.
    #[error("no such watch")]
    NotFound,
    /// Someone other than its guest.
    #[error("not your watch")]
    NotYourWatch,
    /// Stopped or expired.
    #[error("the watch has ended")]
    Ended,
}

impl Aggregate for Watch {
    const TYPE: &'static str = "Watch";
    type Command = WatchCommand;
    type Event = WatchEvent;
    type Error = WatchError;
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
        match event {
            WatchEvent::WatchStarted {
                watch_id,
                terms,
                at,
            } => {
                self.state = Some(WatchState {
                    watch_id,
                    terms,
                    status: WatchStatus::Armed,
                    alerts: 0,
                    started_at: at,
                });
            }
            WatchEvent::WatchAlerted { alert, .. } => self.set(WatchStatus::Alerted, Some(alert)),
            WatchEvent::WatchRearmed { .. } => self.set(WatchStatus::Armed, None),
            WatchEvent::WatchStopped { .. } => self.set(WatchStatus::Stopped, None),
            WatchEvent::WatchExpired { .. } => self.set(WatchStatus::Expired, None),
        }
    }
}

impl Watch {
    fn set(&mut self, status: WatchStatus, alert: Option<u32>) {
        if let Some(s) = &mut self.state {
            s.status = status;
            if let Some(n) = alert {
                s.alerts = n;
            }
        }
    }

    fn live(&self) -> Result<&WatchState, WatchError> {
        let state = self.state.as_ref().ok_or(WatchError::NotFound)?;
        if state.status.is_live() {
            Ok(state)
        } else {
            Err(WatchError::Ended)
        }
    }
}

impl Decide for Watch {
    fn decide(
        &self,
        command: WatchCommand,
        services: &DomainServices,
    ) -> Result<Vec<WatchEvent>, WatchError> {
        let now = services.clock.now();
        match command {
            WatchCommand::Start { watch_id, terms } => {
                if let Some(state) = &self.state {
                    return if state.terms == *terms {
                        Ok(vec![])
                    } else {
                        Err(WatchError::AlreadyStarted)
                    };
                }
                let mut distinct = terms.slots.clone();
                distinct.sort();
                distinct.dedup();
                if terms.slots.is_empty()
                    || terms.slots.len() > MAX_WATCHED_SLOTS
                    || distinct.len() != terms.slots.len()
                {
                    return Err(WatchError::InvalidSlots {
                        got: terms.slots.len(),
                    });
                }
                if terms.party_size == 0 || terms.quantity == 0 {
                    return Err(WatchError::InvalidParty);
                }
                if terms.expires_at <= now {
                    return Err(WatchError::DatesPassed);
                }
                let mut terms = *terms;
                terms.slots = distinct;
                Ok(vec![WatchEvent::WatchStarted {
                    watch_id,
                    terms,
                    at: now,
                }])
            }
            WatchCommand::Stop { guest_id } => {
                let state = self.state.as_ref().ok_or(WatchError::NotFound)?;
                if state.terms.guest_id != guest_id {
                    return Err(WatchError::NotYourWatch);
                }
                if state.status == WatchStatus::Stopped {
                    return Ok(vec![]);
                }
                self.live()?;
                Ok(vec![WatchEvent::WatchStopped {
                    watch_id: state.watch_id.clone(),
                    guest_id,
                    at: now,
                }])
            }
            WatchCommand::Alert { sequence, free } => {
                let state = self.live()?;
                if state.status != WatchStatus::Armed
                    || free < state.terms.quantity
                    || now >= state.terms.expires_at
                {
                    return Ok(vec![]);
                }
                Ok(vec![WatchEvent::WatchAlerted {
                    watch_id: state.watch_id.clone(),
                    terms: state.terms.clone(),
                    free,
                    sequence,
                    alert: state.alerts + 1,
                    at: now,
                }])
            }
            WatchCommand::Rearm { sequence, free } => {
                let state = self.live()?;
                if state.status != WatchStatus::Alerted || free >= state.terms.quantity {
                    return Ok(vec![]);
                }
                Ok(vec![WatchEvent::WatchRearmed {
                    watch_id: state.watch_id.clone(),
                    guest_id: state.terms.guest_id,
                    sequence,
                    at: now,
                }])
            }
            WatchCommand::Expire => {
                let Some(state) = &self.state else {
                    return Err(WatchError::NotFound);
                };
                if !state.status.is_live() || now < state.terms.expires_at {
                    return Ok(vec![]);
                }
                Ok(vec![WatchEvent::WatchExpired {
                    watch_id: state.watch_id.clone(),
                    guest_id: state.terms.guest_id,
                    at: now,
                }])
            }
        }
    }
}
