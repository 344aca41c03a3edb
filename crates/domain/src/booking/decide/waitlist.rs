//! The waitlist: joining, offers, and their answers.
//!
//! Accepting an offer emits two events in one commit: `BookingOfferAccepted` (the guest's
//! answer) then `BookingHeld` (the same event a direct booking's hold emits), so the
//! hold-expiry scheduler and the read models listen to one hold event whatever the path.

use chrono::{DateTime, Utc};

use super::{check_span, price, sorted};
use crate::booking::aggregate::Booking;
use crate::booking::commands::{JoinWaitlist, OfferSlot};
use crate::booking::error::BookingError;
use crate::booking::events::BookingEvent;
use crate::booking::status::BookingStatus::*;
use crate::booking::values::BookingKeys;

impl Booking {
    pub(super) fn join_waitlist(
        &self,
        cmd: JoinWaitlist,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        let booking = BookingKeys {
            booking_id: cmd.booking_id,
            tenant_id: cmd.tenant_id,
            listing_id: cmd.listing_id,
            inventory_id: cmd.inventory_id,
            guest_id: cmd.guest_id,
        };
        if self.status.is_some() {
            let same = self.keys == booking
                && self.wanted == Some(cmd.wanted)
                && self.wanted_time == cmd.time
                && self.slot_count == Some(cmd.slot_count)
                && self.party_size == cmd.party_size
                && self.quantity == cmd.quantity;
            return if same {
                Ok(vec![])
            } else {
                Err(BookingError::AlreadyExists {
                    booking_id: self.keys.booking_id,
                })
            };
        }
        let max = u32::try_from(cmd.wanted.days().max(0)).unwrap_or(u32::MAX);
        if cmd.slot_count == 0 || cmd.slot_count > max {
            return Err(BookingError::SlotCountOutOfRange {
                slot_count: cmd.slot_count,
                max,
            });
        }
        Ok(vec![BookingEvent::BookingWaitlisted {
            booking,
            party_size: cmd.party_size,
            quantity: cmd.quantity,
            wanted: cmd.wanted,
            time: cmd.time,
            slot_count: cmd.slot_count,
            waitlisted_at: now,
            status: Waitlisted,
        }])
    }

    pub(super) fn offer(
        &self,
        cmd: OfferSlot,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        if self.status == Some(Offered) {
            let (slots, lines) = sorted(cmd.slots, cmd.lines);
            let same = self.slots == slots
                && self.lines == lines
                && self.starts_at == Some(cmd.starts_at)
                && self.ends_at == Some(cmd.ends_at)
                && self.cancellation_policy == cmd.cancellation
                && self.offer_expires_at == Some(cmd.offer_expires_at);
            return if same {
                Ok(vec![])
            } else {
                Err(BookingError::AlreadyOffered {
                    offer_expires_at: self.offer_expires_at.unwrap_or_default(),
                })
            };
        }
        self.require(&[Waitlisted], Offered)?;
        check_span(cmd.starts_at, cmd.ends_at)?;
        if cmd.offer_expires_at <= now {
            return Err(BookingError::OfferExpiryNotInFuture {
                offer_expires_at: cmd.offer_expires_at,
                now,
            });
        }
        let priced = price(cmd.slots, cmd.lines, self.quantity)?;
        let expected = self.slot_count.unwrap_or_default();
        if priced.slots.len() != expected as usize {
            return Err(BookingError::SlotCountMismatch {
                expected,
                got: priced.slots.len(),
            });
        }
        if let Some(wanted) = self.wanted
            && let Some(slot) = priced.slots.iter().find(|s| !wanted.contains(s.date))
        {
            return Err(BookingError::SlotOutsideWantedRange {
                slot: *slot,
                wanted,
            });
        }
        if let Some(wanted_time) = self.wanted_time
            && let Some(slot) = priced.slots.iter().find(|s| s.time != Some(wanted_time))
        {
            return Err(BookingError::SlotTimeNotWanted {
                slot: *slot,
                wanted_time,
            });
        }
        Ok(vec![BookingEvent::BookingOffered {
            booking: self.keys,
            slots: priced.slots,
            lines: priced.lines,
            starts_at: cmd.starts_at,
            ends_at: cmd.ends_at,
            cancellation: cmd.cancellation,
            totals: priced.totals,
            offer_expires_at: cmd.offer_expires_at,
            offered_at: now,
            status: Offered,
        }])
    }

    pub(super) fn accept_offer(
        &self,
        hold_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        if self.status == Some(Held) && self.offer_accepted_at.is_some() {
            return self.repeat_hold(hold_expires_at);
        }
        self.require(&[Offered], Held)?;
        let offer_expires_at = self.offer_expires_at.unwrap_or_default();
        if now >= offer_expires_at {
            return Err(BookingError::OfferExpired {
                expired_at: offer_expires_at,
            });
        }
        if hold_expires_at <= now {
            return Err(BookingError::HoldExpiryNotInFuture {
                hold_expires_at,
                now,
            });
        }
        Ok(vec![
            BookingEvent::BookingOfferAccepted {
                booking: self.keys,
                accepted_at: now,
            },
            self.held(hold_expires_at, now),
        ])
    }

    pub(super) fn decline_offer(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        if self.status == Some(Cancelled) {
            return Ok(vec![]);
        }
        self.require(&[Offered], Cancelled)?;
        Ok(vec![BookingEvent::BookingOfferDeclined {
            booking: self.keys,
            slots: self.slots.clone(),
            declined_at: now,
            status: Cancelled,
        }])
    }

    pub(super) fn expire_offer(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        if self.status == Some(Expired) {
            return Ok(vec![]);
        }
        self.require(&[Offered], Expired)?;
        let offer_expires_at = self.offer_expires_at.unwrap_or_default();
        if now < offer_expires_at {
            return Err(BookingError::OfferNotExpiredYet {
                expires_at: offer_expires_at,
            });
        }
        Ok(vec![BookingEvent::BookingOfferExpired {
            booking: self.keys,
            slots: self.slots.clone(),
            offer_expires_at,
            expired_at: now,
            status: Expired,
        }])
    }
}
