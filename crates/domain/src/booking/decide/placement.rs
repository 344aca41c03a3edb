//! Request, hold, coupon, rejection and hold expiry.

use chrono::{DateTime, Utc};

use super::{check_span, price, sorted};
use crate::booking::aggregate::Booking;
use crate::booking::commands::RequestBooking;
use crate::booking::error::BookingError;
use crate::booking::events::BookingEvent;
use crate::booking::status::BookingStatus::*;
use crate::booking::values::{AppliedCoupon, BookingKeys, Label, RejectionReason, Totals};
use crate::common::{CampaignId, Money};

impl Booking {
    pub(super) fn request(
        &self,
        cmd: RequestBooking,
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
            return if self.is_same_request(&booking, &cmd) {
                Ok(vec![])
            } else {
                Err(BookingError::AlreadyExists {
                    booking_id: self.keys.booking_id,
                })
            };
        }
        check_span(cmd.starts_at, cmd.ends_at)?;
        let priced = price(cmd.slots, cmd.lines, cmd.quantity)?;
        Ok(vec![BookingEvent::BookingRequested {
            booking,
            party_size: cmd.party_size,
            quantity: cmd.quantity,
            slots: priced.slots,
            lines: priced.lines,
            starts_at: cmd.starts_at,
            ends_at: cmd.ends_at,
            cancellation: cmd.cancellation,
            totals: priced.totals,
            requested_at: now,
            status: Requested,
        }])
    }

    fn is_same_request(&self, booking: &BookingKeys, cmd: &RequestBooking) -> bool {
        let (slots, lines) = sorted(cmd.slots.clone(), cmd.lines.clone());
        self.wanted.is_none()
            && self.keys == *booking
            && self.party_size == cmd.party_size
            && self.quantity == cmd.quantity
            && self.starts_at == Some(cmd.starts_at)
            && self.ends_at == Some(cmd.ends_at)
            && self.cancellation_policy == cmd.cancellation
            && self.slots == slots
            && self.lines == lines
    }

    pub(super) fn mark_held(
        &self,
        hold_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        if self.status == Some(Held) {
            return self.repeat_hold(hold_expires_at);
        }
        self.require(&[Requested], Held)?;
        if hold_expires_at <= now {
            return Err(BookingError::HoldExpiryNotInFuture {
                hold_expires_at,
                now,
            });
        }
        Ok(vec![self.held(hold_expires_at, now)])
    }

    /// A hold asked for again: the same expiry is a no-op, another one a conflict.
    pub(super) fn repeat_hold(
        &self,
        hold_expires_at: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        match self.hold_expires_at {
            Some(current) if current == hold_expires_at => Ok(vec![]),
            Some(current) => Err(BookingError::AlreadyHeld {
                hold_expires_at: current,
            }),
            None => Err(BookingError::IllegalTransition {
                from: Held,
                to: Held,
            }),
        }
    }

    pub(super) fn held(&self, hold_expires_at: DateTime<Utc>, now: DateTime<Utc>) -> BookingEvent {
        BookingEvent::BookingHeld {
            booking: self.keys,
            slots: self.slots.clone(),
            starts_at: self.start(),
            hold_expires_at,
            held_at: now,
            status: Held,
        }
    }

    pub(super) fn apply_points(
        &self,
        tenant_id: crate::common::TenantId,
        points: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        let status = self.existing()?;
        let currency = self.currency.ok_or(BookingError::NoSlots)?;
        let value = i64::try_from(points)
            .ok()
            .filter(|v| *v > 0)
            .map(|v| Money::new(v, currency))
            .ok_or(BookingError::PointsNotAllowed {
                why: "points are a positive number",
            })?;
        let applied = super::super::values::AppliedPoints {
            tenant_id,
            points,
            value,
        };
        if let Some(done) = self.points {
            return if done == applied {
                Ok(vec![])
            } else {
                Err(BookingError::PointsNotAllowed {
                    why: "other points were applied already",
                })
            };
        }
        if !matches!(status, Requested | Held) {
            return Err(BookingError::PointsNotAllowed {
                why: "only while the booking is requested or held",
            });
        }
        let Totals {
            subtotal,
            discount,
            total,
        } = self.current_totals()?;
        if value.amount_minor > total.amount_minor {
            return Err(BookingError::DiscountExceedsSubtotal {
                discount: value,
                subtotal: total,
            });
        }
        let discount = discount
            .checked_add(&value)
            .map_err(|_| BookingError::AmountOverflow)?;
        let total = total
            .checked_sub(&value)
            .map_err(|_| BookingError::AmountOverflow)?;
        Ok(vec![BookingEvent::BookingPointsApplied {
            booking: self.keys,
            points: applied,
            totals: Totals {
                subtotal,
                discount,
                total,
            },
            applied_at: now,
        }])
    }

    pub(super) fn apply_coupon(
        &self,
        campaign_id: CampaignId,
        code: Label,
        discount: Money,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        let status = self.existing()?;
        let coupon = AppliedCoupon {
            campaign_id,
            code,
            discount,
        };
        if let Some(applied) = &self.coupon {
            return if *applied == coupon {
                Ok(vec![])
            } else {
                Err(BookingError::CouponAlreadyApplied {
                    campaign_id: applied.campaign_id,
                })
            };
        }
        if !matches!(status, Requested | Held) {
            return Err(BookingError::CouponNotAllowed { status });
        }
        let Totals { subtotal, .. } = self.current_totals()?;
        self.same_currency(&discount)?;
        if discount.amount_minor < 0 {
            return Err(BookingError::NegativeAmount { amount: discount });
        }
        if discount.amount_minor > subtotal.amount_minor {
            return Err(BookingError::DiscountExceedsSubtotal { discount, subtotal });
        }
        let total = subtotal
            .checked_sub(&discount)
            .map_err(|_| BookingError::AmountOverflow)?;
        Ok(vec![BookingEvent::BookingCouponApplied {
            booking: self.keys,
            coupon,
            totals: Totals {
                subtotal,
                discount,
                total,
            },
            applied_at: now,
        }])
    }

    pub(super) fn reject(
        &self,
        reason: RejectionReason,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        if self.status == Some(Rejected) {
            return if self.rejection.as_ref() == Some(&reason) {
                Ok(vec![])
            } else {
                Err(BookingError::IllegalTransition {
                    from: Rejected,
                    to: Rejected,
                })
            };
        }
        self.require(&[Requested], Rejected)?;
        Ok(vec![BookingEvent::BookingRejected {
            booking: self.keys,
            slots: self.slots.clone(),
            reason,
            coupon_to_restore: self.coupon.clone(),
            rejected_at: now,
            status: Rejected,
        }])
    }

    pub(super) fn expire_hold(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookingEvent>, BookingError> {
        if self.status == Some(Expired) {
            return Ok(vec![]);
        }
        self.require(&[Held], Expired)?;
        let hold_expires_at = self.hold_expires_at.unwrap_or_default();
        if now < hold_expires_at {
            return Err(BookingError::HoldNotExpiredYet {
                expires_at: hold_expires_at,
            });
        }
        Ok(vec![BookingEvent::BookingExpired {
            booking: self.keys,
            slots: self.slots.clone(),
            hold_expires_at,
            coupon_to_restore: self.coupon.clone(),
            expired_at: now,
            status: Expired,
        }])
    }
}
