//! The [`Projection`] trait: how one read model turns log events into item patches. The
//! runtime (tailing, checkpoints, leases, rebuilds) drives any projection the same way.

use holdfast_eventstore::StoredEvent;

use crate::store::{Patch, Table};

/// An event the projection cares about could not be understood.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The payload does not decode as the domain event its type names.
    #[error("cannot decode {event_type} v{event_version} at {position}: {reason}")]
    Decode {
        /// The event's type.
        event_type: String,
        /// Its schema version.
        event_version: String,
        /// Where it is in the log.
        position: String,
        /// The decoder's message.
        reason: String,
    },
}

impl ProjectionError {
    /// A decode error for `event`.
    pub fn decode(event: &StoredEvent, reason: impl ToString) -> Self {
        Self::Decode {
            event_type: event.event_type.clone(),
            event_version: event.event_version.clone(),
            position: event.position.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// One read model's event handler. Pure: no I/O. Deterministic: the same event always gives
/// the same patches (rebuild and verify depend on it). Events of aggregates or types it does
/// not use give no patches.
///
/// Patches must be written so that applying them in log order, each at its event's position,
/// yields the read model (see [`crate::store`]): usually by setting absolute values the event
/// carries. Within one event's patches a key appears at most once.
pub trait Projection: Send + Sync {
    /// The table it writes (also its name as a projector).
    fn table(&self) -> Table;

    /// The patches for one event.
    fn patches(&self, event: &StoredEvent) -> Result<Vec<Patch>, ProjectionError>;
}
