//! The `PointsAccount` aggregate: one guest's points in one business's programme.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::common::{BookingId, GuestId, TenantId};
use crate::decide::Decide;
use crate::services::DomainServices;

/// The most points one command moves (a bound far above any real stay, so sums never overflow).
pub const MAX_POINTS: u64 = 1_000_000_000_000;

/// The longest an adjustment's reason is, in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// A business's points programme: what share of what guests pay they earn, and how long
/// points last. One point is worth one minor unit of the business's currency (₩1, €0.01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsTerms {
    /// The share of the amount paid earned as points, in basis points (500 = 5 %), 1–10,000.
    pub earn_bp: u32,
    /// How many days points last after they are earned (or granted), 1–3,650.
    pub expire_days: u32,
}

impl PointsTerms {
    /// Checked terms.
    ///
    /// # Errors
    ///
    /// [`PointsError::InvalidTerms`].
    pub fn new(earn_bp: u32, expire_days: u32) -> Result<Self, PointsError> {
        if !(1..=10_000).contains(&earn_bp) {
            return Err(PointsError::InvalidTerms(
                "the earn share is between 1 and 10,000 basis points (0.01 % to 100 %)",
            ));
        }
        if !(1..=3_650).contains(&expire_days) {
            return Err(PointsError::InvalidTerms(
                "points last between 1 and 3,650 days",
            ));
        }
        Ok(Self {
            earn_bp,
            expire_days,
        })
    }

    /// The points earned on `paid_minor` (rounded down; nothing on nothing paid).
    pub fn earned_on(&self, paid_minor: i64) -> u64 {
        let paid = u128::try_from(paid_minor.max(0)).unwrap_or(0);
        u64::try_from(paid * u128::from(self.earn_bp) / 10_000)
            .unwrap_or(MAX_POINTS)
            .min(MAX_POINTS)
    }
}

/// The account's id: the programme's business and the guest (`<tenant>:<guest>`).
pub fn account_id(tenant: TenantId, guest: GuestId) -> String {
    format!("{tenant}:{guest}")
}

/// Where points came from: a completed booking, or an operator's grant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum LotSource {
    /// Earned on a booking.
    Booking(BookingId),
    /// Granted by an adjustment (its id).
    Adjustment(String),
}

/// Points earned together, with their expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// Where they came from.
    pub source: LotSource,
    /// How many were earned.
    pub points: u64,
    /// How many are left.
    pub remaining: u64,
    /// When what is left expires.
    pub expires_at: DateTime<Utc>,
}

/// Points taken from (or given back to) one lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Take {
    /// The lot.
    pub source: LotSource,
    /// How many.
    pub points: u64,
}

/// Points spent on a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spending {
    /// How many.
    pub points: u64,
    /// From which lots.
    pub from: Vec<Take>,
    /// How many were given back (once, on cancellation).
    pub restored: Option<u64>,
}

/// What an account holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountState {
    /// The programme's business.
    pub tenant_id: TenantId,
    /// The guest.
    pub guest_id: GuestId,
    /// Every lot, in the order earned.
    pub lots: Vec<Lot>,
    /// Points spent, by booking.
    pub spent: BTreeMap<BookingId, Spending>,
    /// Adjustments made, by id: their signed points.
    pub adjustments: BTreeMap<String, i64>,
}

impl AccountState {
    /// Points usable at `now`: what is left of lots not yet expired.
    pub fn balance(&self, now: DateTime<Utc>) -> u64 {
        self.lots
            .iter()
            .filter(|l| l.expires_at > now)
            .map(|l| l.remaining)
            .sum()
    }

    /// Takes `points` from the lots usable at `now`, soonest to expire first.
    fn take(&self, points: u64, now: DateTime<Utc>) -> Result<Vec<Take>, PointsError> {
        let balance = self.balance(now);
        if balance < points {
            return Err(PointsError::InsufficientPoints {
                balance,
                wanted: points,
            });
        }
        let mut usable: Vec<&Lot> = self
            .lots
            .iter()
            .filter(|l| l.expires_at > now && l.remaining > 0)
            .collect();
        usable.sort_by(|a, b| (a.expires_at, &a.source).cmp(&(b.expires_at, &b.source)));
        Ok(fill(
            usable.into_iter().map(|l| (&l.source, l.remaining)),
            points,
        ))
    }

    /// Takes `taken` off the lots it names.
    fn deduct(&mut self, taken: &[Take]) {
        for take in taken {
            if let Some(lot) = self.lot_mut(&take.source) {
                lot.remaining = lot.remaining.saturating_sub(take.points);
            }
        }
    }

    fn lot_mut(&mut self, source: &LotSource) -> Option<&mut Lot> {
        self.lots.iter_mut().find(|l| l.source == *source)
    }
}

/// Up to `points` from `sources` (each with what it can give), in their order.
fn fill<'a>(sources: impl Iterator<Item = (&'a LotSource, u64)>, points: u64) -> Vec<Take> {
    let mut left = points;
    let mut takes = Vec::new();
    for (source, available) in sources {
        if left == 0 {
            break;
        }
        let n = available.min(left);
        takes.push(Take {
            source: source.clone(),
            points: n,
        });
        left -= n;
    }
    takes
}

/// One guest's points in one business's programme (none until the first points).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsAccount {
    state: Option<AccountState>,
}

impl PointsAccount {
    /// The account, once it has had points.
    pub fn state(&self) -> Option<&AccountState> {
        self.state.as_ref()
    }

    /// Points usable at `now` (0 for an account that never had any).
    pub fn balance(&self, now: DateTime<Utc>) -> u64 {
        self.state.as_ref().map_or(0, |s| s.balance(now))
    }
}

/// The commands of a [`PointsAccount`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PointsCommand {
    /// Credit what a completed booking earned (once per booking).
    Earn {
        /// The programme's business.
        tenant_id: TenantId,
        /// The guest.
        guest_id: GuestId,
        /// The booking.
        booking_id: BookingId,
        /// How many (at least 1).
        points: u64,
        /// When they expire (after now).
        expires_at: DateTime<Utc>,
    },
    /// Spend points as part of a booking's payment (once per booking).
    Spend {
        /// The booking.
        booking_id: BookingId,
        /// How many (at least 1, at most the balance).
        points: u64,
    },
    /// Give back a share of what a cancelled booking spent (once), to the lots it came from
    /// (they keep their expiry).
    Restore {
        /// The booking.
        booking_id: BookingId,
        /// The share given back, basis points (the booking's refund share).
        share_bp: u32,
    },
    /// Expire what is left of every lot past its expiry.
    Expire,
    /// An operator's correction, with a reason: a grant (`points > 0`, a new lot expiring at
    /// `expires_at`) or a deduction (`points < 0`, soonest-expiring first; never below zero).
    Adjust {
        /// The programme's business.
        tenant_id: TenantId,
        /// The guest.
        guest_id: GuestId,
        /// Its id (a repeat with the same id and points changes nothing).
        adjustment_id: String,
        /// Signed points (not zero).
        points: i64,
        /// Why (1–200 characters).
        reason: String,
        /// When granted points expire.
        expires_at: DateTime<Utc>,
    },
}

/// What happened to an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PointsEvent {
    /// A completed booking earned points.
    PointsEarned {
        /// The programme's business.
        tenant_id: TenantId,
        /// The guest.
        guest_id: GuestId,
        /// The booking.
        booking_id: BookingId,
        /// How many.
        points: u64,
        /// When they expire.
        expires_at: DateTime<Utc>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Points paid part of a booking.
    PointsSpent {
        /// The programme's business.
        tenant_id: TenantId,
        /// The guest.
        guest_id: GuestId,
        /// The booking.
        booking_id: BookingId,
        /// How many.
        points: u64,
        /// From which lots.
        from: Vec<Take>,
        /// When.
        at: DateTime<Utc>,
    },
    /// A cancelled booking's points came back (its refund share of them).
    PointsRestored {
        /// The programme's business.
        tenant_id: TenantId,
        /// The guest.
        guest_id: GuestId,
        /// The booking.
        booking_id: BookingId,
        /// How many.
        points: u64,
        /// To which lots.
        to: Vec<Take>,
        /// When.
        at: DateTime<Utc>,
    },
    /// Lots reached their expiry with points left.
    PointsExpired {
        /// The programme's business.
        tenant_id: TenantId,
        /// The guest.
        guest_id: GuestId,
        /// How many, in all.
        points: u64,
        /// From which lots.
        from: Vec<Take>,
        /// When.
        at: DateTime<Utc>,
    },
    /// An operator granted or deducted points.
    PointsAdjusted {
        /// The programme's business.
        tenant_id: TenantId,
        /// The guest.
        guest_id: GuestId,
        /// The adjustment.
        adjustment_id: String,
        /// Signed points.
        points: i64,
        /// Why.
        reason: String,
        /// A grant's expiry.
        expires_at: DateTime<Utc>,
        /// A deduction's lots.
        from: Vec<Take>,
        /// When.
        at: DateTime<Utc>,
    },
}

impl DomainEvent for PointsEvent {
    fn event_type(&self) -> String {
        match self {
            Self::PointsEarned { .. } => "PointsEarned",
            Self::PointsSpent { .. } => "PointsSpent",
            Self::PointsRestored { .. } => "PointsRestored",
            Self::PointsExpired { .. } => "PointsExpired",
            Self::PointsAdjusted { .. } => "PointsAdjusted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}

/// A points rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    /// Programme terms out of range.
    #[error("invalid points terms: {0}")]
    InvalidTerms(&'static str),
    /// Zero points, or more than [`MAX_POINTS`].
    #[error("points are between 1 and {max} (got {got})", max = MAX_POINTS)]
    InvalidPoints {
        /// What was asked.
        got: i128,
    },
    /// More than the balance.
    #[error("{wanted} points asked for, {balance} available")]
    InsufficientPoints {
        /// Points usable now.
        balance: u64,
        /// Points asked for.
        wanted: u64,
    },
    /// The booking earned a different number of points already.
    #[error("the booking earned {points} points already")]
    AlreadyEarned {
        /// What it earned.
        points: u64,
    },
    /// The booking spent a different number of points already.
    #[error("the booking spent {points} points already")]
    AlreadySpent {
        /// What it spent.
        points: u64,
    },
    /// Restore for a booking that spent nothing here.
    #[error("the booking spent no points")]
    NothingSpent,
    /// A share above 100 %.
    #[error("a share is at most 10,000 basis points (got {0})")]
    InvalidShare(u32),
    /// An expiry not after now.
    #[error("points must expire after now")]
    ExpiryInPast,
    /// A reason empty, too long or with control characters.
    #[error("a reason is 1 to {max} characters without control characters", max = MAX_REASON_CHARS)]
    InvalidReason,
    /// An adjustment id reused with other points.
    #[error("adjustment {0} was made with other points")]
    AdjustmentConflict(String),
    /// A command other than earning or adjusting on an account that never had points.
    #[error("no points yet")]
    NoAccount,
}

impl Aggregate for PointsAccount {
    const TYPE: &'static str = "PointsAccount";
    type Command = PointsCommand;
    type Event = PointsEvent;
    type Error = PointsError;
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
            PointsEvent::PointsEarned {
                tenant_id,
                guest_id,
                booking_id,
                points,
                expires_at,
                ..
            } => self.opened(tenant_id, guest_id).lots.push(Lot {
                source: LotSource::Booking(booking_id),
                points,
                remaining: points,
                expires_at,
            }),
            PointsEvent::PointsSpent {
                booking_id,
                points,
                from,
                ..
            } => {
                if let Some(s) = &mut self.state {
                    s.deduct(&from);
                    s.spent.insert(
                        booking_id,
                        Spending {
                            points,
                            from,
                            restored: None,
                        },
                    );
                }
            }
            PointsEvent::PointsRestored {
                booking_id,
                points,
                to,
                ..
            } => {
                if let Some(s) = &mut self.state {
                    for take in &to {
                        if let Some(lot) = s.lot_mut(&take.source) {
                            lot.remaining += take.points;
                        }
                    }
                    if let Some(spending) = s.spent.get_mut(&booking_id) {
                        spending.restored = Some(points);
                    }
                }
            }
            PointsEvent::PointsExpired { from, .. } => {
                if let Some(s) = &mut self.state {
                    s.deduct(&from);
                }
            }
            PointsEvent::PointsAdjusted {
                tenant_id,
                guest_id,
                adjustment_id,
                points,
                expires_at,
                from,
                ..
            } => {
                let s = self.opened(tenant_id, guest_id);
                if points > 0 {
                    s.lots.push(Lot {
                        source: LotSource::Adjustment(adjustment_id.clone()),
                        points: points.unsigned_abs(),
                        remaining: points.unsigned_abs(),
                        expires_at,
                    });
                }
                s.deduct(&from);
                s.adjustments.insert(adjustment_id, points);
            }
        }
    }
}

impl PointsAccount {
    fn opened(&mut self, tenant_id: TenantId, guest_id: GuestId) -> &mut AccountState {
        self.state.get_or_insert_with(|| AccountState {
            tenant_id,
            guest_id,
            lots: Vec::new(),
            spent: BTreeMap::new(),
            adjustments: BTreeMap::new(),
        })
    }

    fn existing(&self) -> Result<&AccountState, PointsError> {
        self.state.as_ref().ok_or(PointsError::NoAccount)
    }
}

fn checked_points(points: u64) -> Result<u64, PointsError> {
    if (1..=MAX_POINTS).contains(&points) {
        Ok(points)
    } else {
        Err(PointsError::InvalidPoints {
            got: i128::from(points),
        })
    }
}

impl Decide for PointsAccount {
    fn decide(
        &self,
        command: PointsCommand,
        services: &DomainServices,
    ) -> Result<Vec<PointsEvent>, PointsError> {
        let now = services.clock.now();
        match command {
            PointsCommand::Earn {
                tenant_id,
                guest_id,
                booking_id,
                points,
                expires_at,
            } => {
                let points = checked_points(points)?;
                let source = LotSource::Booking(booking_id);
                if let Some(lot) = self
                    .state
                    .as_ref()
                    .and_then(|s| s.lots.iter().find(|l| l.source == source))
                {
                    return if lot.points == points {
                        Ok(vec![])
                    } else {
                        Err(PointsError::AlreadyEarned { points: lot.points })
                    };
                }
                if expires_at <= now {
                    return Err(PointsError::ExpiryInPast);
                }
                let (tenant_id, guest_id) = self
                    .state
                    .as_ref()
                    .map_or((tenant_id, guest_id), |s| (s.tenant_id, s.guest_id));
                Ok(vec![PointsEvent::PointsEarned {
                    tenant_id,
                    guest_id,
                    booking_id,
                    points,
                    expires_at,
                    at: now,
                }])
            }
            PointsCommand::Spend { booking_id, points } => {
                let points = checked_points(points)?;
                let Some(state) = self.state.as_ref() else {
                    return Err(PointsError::InsufficientPoints {
                        balance: 0,
                        wanted: points,
                    });
                };
                if let Some(spent) = state.spent.get(&booking_id) {
                    return if spent.points == points {
                        Ok(vec![])
                    } else {
                        Err(PointsError::AlreadySpent {
                            points: spent.points,
                        })
                    };
                }
                let from = state.take(points, now)?;
                Ok(vec![PointsEvent::PointsSpent {
                    tenant_id: state.tenant_id,
                    guest_id: state.guest_id,
                    booking_id,
                    points,
                    from,
                    at: now,
                }])
            }
            PointsCommand::Restore {
                booking_id,
                share_bp,
            } => {
                if share_bp > 10_000 {
                    return Err(PointsError::InvalidShare(share_bp));
                }
                let state = self.existing().map_err(|_| PointsError::NothingSpent)?;
                let spent = state
                    .spent
                    .get(&booking_id)
                    .ok_or(PointsError::NothingSpent)?;
                if spent.restored.is_some() {
                    return Ok(vec![]);
                }
                let back = u64::try_from(u128::from(spent.points) * u128::from(share_bp) / 10_000)
                    .unwrap_or(spent.points);
                // Back to the lots it came from, latest-expiring first (the guest keeps the
                // longest-lived points).
                let mut takes: Vec<&Take> = spent.from.iter().collect();
                takes.sort_by_key(|t| {
                    std::cmp::Reverse(
                        state
                            .lots
                            .iter()
                            .find(|l| l.source == t.source)
                            .map(|l| l.expires_at),
                    )
                });
                let to = fill(takes.into_iter().map(|t| (&t.source, t.points)), back);
                Ok(vec![PointsEvent::PointsRestored {
                    tenant_id: state.tenant_id,
                    guest_id: state.guest_id,
                    booking_id,
                    points: back,
                    to,
                    at: now,
                }])
            }
            PointsCommand::Expire => {
                let Some(state) = self.state.as_ref() else {
                    return Ok(vec![]);
                };
                let from: Vec<Take> = state
                    .lots
                    .iter()
                    .filter(|l| l.expires_at <= now && l.remaining > 0)
                    .map(|l| Take {
                        source: l.source.clone(),
                        points: l.remaining,
                    })
                    .collect();
                if from.is_empty() {
                    return Ok(vec![]);
                }
                Ok(vec![PointsEvent::PointsExpired {
                    tenant_id: state.tenant_id,
                    guest_id: state.guest_id,
                    points: from.iter().map(|t| t.points).sum(),
                    from,
                    at: now,
                }])
            }
            PointsCommand::Adjust {
                tenant_id,
                guest_id,
                adjustment_id,
                points,
                reason,
                expires_at,
            } => {
                let size = checked_points(points.unsigned_abs()).map_err(|_| {
                    PointsError::InvalidPoints {
                        got: i128::from(points),
                    }
                })?;
                let reason = reason.trim().to_owned();
                if reason.is_empty()
                    || reason.chars().count() > MAX_REASON_CHARS
                    || reason.chars().any(char::is_control)
                {
                    return Err(PointsError::InvalidReason);
                }
                if adjustment_id.is_empty() || adjustment_id.len() > 64 {
                    return Err(PointsError::AdjustmentConflict(adjustment_id));
                }
                if let Some(done) = self
                    .state
                    .as_ref()
                    .and_then(|s| s.adjustments.get(&adjustment_id))
                {
                    return if *done == points {
                        Ok(vec![])
                    } else {
                        Err(PointsError::AdjustmentConflict(adjustment_id))
                    };
                }
                let from = if points < 0 {
                    match self.state.as_ref() {
                        Some(s) => s.take(size, now)?,
                        None => {
                            return Err(PointsError::InsufficientPoints {
                                balance: 0,
                                wanted: size,
                            });
                        }
                    }
                } else {
                    if expires_at <= now {
                        return Err(PointsError::ExpiryInPast);
                    }
                    Vec::new()
                };
                let (tenant_id, guest_id) = self
                    .state
                    .as_ref()
                    .map_or((tenant_id, guest_id), |s| (s.tenant_id, s.guest_id));
                Ok(vec![PointsEvent::PointsAdjusted {
                    tenant_id,
                    guest_id,
                    adjustment_id,
                    points,
                    reason,
                    expires_at,
                    from,
                    at: now,
                }])
            }
        }
    }
}
