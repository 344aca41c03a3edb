//! A listing's booking policy as guests and operators read it (`Listing.bookingPolicy`): every
//! rule, the refund tiers, and the cancellation terms in words.

use async_graphql::{ComplexObject, Enum, SimpleObject};
use holdfast_domain::policy::{BookingPolicy as Policy, ClosedDays as Closed, SlotKind};
use holdfast_engine::notify::messages::cancellation_terms;

use super::Date;
use super::account::LanguageGql;

/// A day of the week.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl From<chrono::Weekday> for Weekday {
    fn from(w: chrono::Weekday) -> Self {
        match w {
            chrono::Weekday::Mon => Self::Monday,
            chrono::Weekday::Tue => Self::Tuesday,
            chrono::Weekday::Wed => Self::Wednesday,
            chrono::Weekday::Thu => Self::Thursday,
            chrono::Weekday::Fri => Self::Friday,
            chrono::Weekday::Sat => Self::Saturday,
            chrono::Weekday::Sun => Self::Sunday,
        }
    }
}

impl From<Weekday> for chrono::Weekday {
    fn from(w: Weekday) -> Self {
        match w {
            Weekday::Monday => Self::Mon,
            Weekday::Tuesday => Self::Tue,
            Weekday::Wednesday => Self::Wed,
            Weekday::Thursday => Self::Thu,
            Weekday::Friday => Self::Fri,
            Weekday::Saturday => Self::Sat,
            Weekday::Sunday => Self::Sun,
        }
    }
}

/// What one slot is. Times are the listing's local times (`HH:MM`).
#[derive(SimpleObject, Clone, Debug)]
pub struct PolicySlots {
    /// What its slots are.
    pub kind: super::listing::SlotKind,
    /// Nights: check-in time.
    pub check_in: Option<String>,
    /// Nights: check-out time.
    pub check_out: Option<String>,
    /// Time slots: length and grid step, minutes.
    pub minutes: Option<u32>,
    /// Time slots: first start of a day.
    pub first_start: Option<String>,
    /// Time slots: last start of a day.
    pub last_start: Option<String>,
    /// Dated events: the start time.
    pub starts_at: Option<String>,
}

/// When bookings for a slot open: `daysBefore` days before its date, at local time `at`.
#[derive(SimpleObject, Clone, Debug)]
pub struct WindowOpening {
    /// Days before the slot's date (0 = the same day).
    pub days_before: u32,
    /// Local time (`HH:MM`).
    pub at: String,
}

/// Closed days: weekdays every week, plus specific dates.
#[derive(SimpleObject, Clone, Debug)]
pub struct ClosedDays {
    /// Weekdays.
    pub weekdays: Vec<Weekday>,
    /// Dates.
    pub dates: Vec<Date>,
}

impl From<&Closed> for ClosedDays {
    fn from(c: &Closed) -> Self {
        Self {
            weekdays: c.weekdays.iter().map(|w| (*w).into()).collect(),
            dates: c.dates.iter().map(|d| Date(*d)).collect(),
        }
    }
}

/// Dates `[from, to)`.
#[derive(SimpleObject, Clone, Debug)]
pub struct DateSpan {
    /// First date.
    pub from: Date,
    /// End date (exclusive).
    pub to: Date,
}

/// Cancelling at least `minNoticeHours` before the start refunds `refundBp` of what was paid.
#[derive(SimpleObject, Clone, Debug)]
pub struct RefundTier {
    /// Hours of notice.
    pub min_notice_hours: u32,
    /// Refund in basis points (10 000 = 100 %).
    pub refund_bp: u32,
}

/// A listing's booking rules, as the guest agrees to them.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct BookingPolicy {
    /// Raised by every change of the policy.
    pub version: u32,
    /// What one slot is.
    pub slots: PolicySlots,
    /// When bookings open (none: as soon as within `maxAdvanceDays`).
    pub opens: Option<WindowOpening>,
    /// Least time between booking and start, minutes.
    pub min_lead_minutes: i64,
    /// How far ahead one may book, days.
    pub max_advance_days: u32,
    /// Fewest slots per booking.
    pub min_stay: u32,
    /// Most slots per booking.
    pub max_stay: u32,
    /// No arrival (first slot) on these days.
    pub closed_to_arrival: ClosedDays,
    /// No departure on these days.
    pub closed_to_departure: ClosedDays,
    /// Smallest party.
    pub party_min: u32,
    /// Largest party.
    pub party_max: u32,
    /// Minutes kept free between bookings of a unit.
    pub buffer_minutes: u32,
    /// Dates that cannot be booked.
    pub blackout: Vec<DateSpan>,
    /// Most active bookings one guest may hold at this listing.
    pub per_guest_active_cap: Option<u32>,
    /// How long an unpaid booking is held, minutes.
    pub hold_duration_minutes: i64,
    /// How long a waitlist offer stays open, minutes.
    pub offer_duration_minutes: i64,
    /// Share of the amount paid refunded after a no-show, basis points.
    pub no_show_refund_bp: u32,
    /// Refund tiers, longest notice first; cancelling with less notice than every tier
    /// refunds nothing.
    pub cancellation: Vec<RefundTier>,
    #[graphql(skip)]
    pub policy: Policy,
}

#[ComplexObject]
impl BookingPolicy {
    /// The cancellation terms in words (`A full refund when cancelled at least 3 days before
    /// the start; …`), in `language` (default English).
    async fn cancellation_terms(&self, language: Option<LanguageGql>) -> String {
        let language = language.map_or(holdfast_domain::guest::Language::En, Into::into);
        cancellation_terms(&self.policy.rules().cancellation, language)
    }
}

fn hm(t: chrono::NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

impl From<Policy> for BookingPolicy {
    fn from(policy: Policy) -> Self {
        use super::listing::SlotKind as Kind;
        let r = policy.rules();
        let none = PolicySlots {
            kind: Kind::Night,
            check_in: None,
            check_out: None,
            minutes: None,
            first_start: None,
            last_start: None,
            starts_at: None,
        };
        let slots = match r.slot_kind {
            SlotKind::Night {
                check_in,
                check_out,
            } => PolicySlots {
                check_in: Some(hm(check_in)),
                check_out: Some(hm(check_out)),
                ..none
            },
            SlotKind::TimeSlot {
                minutes,
                first_start,
                last_start,
            } => PolicySlots {
                kind: Kind::TimeSlot,
                minutes: Some(minutes),
                first_start: Some(hm(first_start)),
                last_start: Some(hm(last_start)),
                ..none
            },
            SlotKind::DatedEvent { starts_at } => PolicySlots {
                kind: Kind::DatedEvent,
                starts_at: Some(hm(starts_at)),
                ..none
            },
        };
        Self {
            version: policy.version(),
            slots,
            opens: r.opens.map(|o| WindowOpening {
                days_before: o.days_before,
                at: hm(o.at),
            }),
            min_lead_minutes: r.min_lead.num_minutes(),
            max_advance_days: r.max_advance_days,
            min_stay: r.min_stay,
            max_stay: r.max_stay,
            closed_to_arrival: (&r.closed_to_arrival).into(),
            closed_to_departure: (&r.closed_to_departure).into(),
            party_min: r.party_size.min(),
            party_max: r.party_size.max(),
            buffer_minutes: r.buffer_minutes,
            blackout: r
                .blackout
                .iter()
                .map(|d| DateSpan {
                    from: Date(d.from),
                    to: Date(d.to),
                })
                .collect(),
            per_guest_active_cap: r.per_guest_active_cap,
            hold_duration_minutes: r.hold_duration.num_minutes(),
            offer_duration_minutes: r.offer_duration.num_minutes(),
            no_show_refund_bp: r.no_show_refund_bp,
            cancellation: r
                .cancellation
                .tiers()
                .iter()
                .map(|t| RefundTier {
                    min_notice_hours: t.min_notice_hours,
                    refund_bp: t.refund_bp,
                })
                .collect(),
            policy,
        }
    }
}
