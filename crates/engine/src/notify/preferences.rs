//! Which notifications a guest wants: every kind, but the optional ones they turned off
//! ([`NotificationKind::OPTIONAL`]; a confirmation, a cancellation, a rejection and money
//! moving always reach them). Guest-facing sinks (e-mail, SMS) ask [`OptOuts::wants`] when
//! they send, so a change applies to what is still queued.

use chrono::{DateTime, Utc};
use holdfast_domain::common::GuestId;
use holdfast_eventstore::{Arg, Db, EventStore, EventStoreError};

use super::kind::NotificationKind;

/// Why a preference could not be set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreferenceError {
    /// The kind is one a booking needs.
    #[error("`{0}` notifications cannot be turned off: a booking needs them")]
    Required(&'static str),
    /// The store failed.
    #[error("preferences: {0}")]
    Store(String),
}

impl From<EventStoreError> for PreferenceError {
    fn from(e: EventStoreError) -> Self {
        Self::Store(e.to_string())
    }
}

impl From<PreferenceError> for crate::error::EngineError {
    fn from(e: PreferenceError) -> Self {
        let code = match e {
            PreferenceError::Required(_) => crate::error::ErrorCode::InvalidInput,
            PreferenceError::Store(_) => crate::error::ErrorCode::Unavailable,
        };
        crate::error::EngineError::new(code, e.to_string())
    }
}

/// The opt-out store.
#[derive(Clone)]
pub struct OptOuts {
    db: Db,
}

impl OptOuts {
    /// The opt-outs of `store`'s database.
    pub fn new(store: &EventStore) -> Self {
        Self {
            db: store.db().clone(),
        }
    }

    /// Turns `kind` on or off for `guest`.
    ///
    /// # Errors
    ///
    /// [`PreferenceError::Required`] to turn off a kind a booking needs;
    /// [`PreferenceError::Store`].
    pub async fn set(
        &self,
        guest: GuestId,
        kind: NotificationKind,
        wanted: bool,
        now: DateTime<Utc>,
    ) -> Result<(), PreferenceError> {
        if wanted {
            self.db
                .execute(
                    "DELETE FROM notification_opt_outs WHERE guest_id = $1 AND kind = $2",
                    &[guest.to_string().into(), kind.as_str().into()],
                )
                .await?;
            return Ok(());
        }
        if !kind.optional() {
            return Err(PreferenceError::Required(kind.as_str()));
        }
        self.db
            .execute(
                "INSERT INTO notification_opt_outs (guest_id, kind, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (guest_id, kind) DO NOTHING",
                &[guest.to_string().into(), kind.as_str().into(), Arg::At(now)],
            )
            .await?;
        Ok(())
    }

    /// The kinds `guest` turned off.
    ///
    /// # Errors
    ///
    /// [`PreferenceError::Store`].
    pub async fn off(&self, guest: GuestId) -> Result<Vec<NotificationKind>, PreferenceError> {
        let rows: Vec<(String,)> = self
            .db
            .fetch_all_as(
                "SELECT kind FROM notification_opt_outs WHERE guest_id = $1",
                &[guest.to_string().into()],
            )
            .await?;
        Ok(rows.into_iter().filter_map(|(k,)| k.parse().ok()).collect())
    }

    /// Whether `guest` wants `kind` (always, for a kind a booking needs).
    ///
    /// # Errors
    ///
    /// [`PreferenceError::Store`].
    pub async fn wants(
        &self,
        guest: GuestId,
        kind: NotificationKind,
    ) -> Result<bool, PreferenceError> {
        if !kind.optional() {
            return Ok(true);
        }
        Ok(!self.off(guest).await?.contains(&kind))
    }
}
