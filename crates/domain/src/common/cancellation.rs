//! Cancellation tiers: how much of what was paid is refunded, by how long before the start the
//! guest cancels. A booking copies the tiers in force when it is made, so later policy edits
//! never change an existing booking's refund.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::money::{Money, MoneyError};

/// Why a set of tiers was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CancellationPolicyError {
    /// A refund above 100 %.
    #[error("refund of {refund_bp} basis points exceeds 100 % (10000)")]
    RefundAbove100 {
        /// The offending refund.
        refund_bp: u32,
    },
    /// Two tiers with the same notice.
    #[error("two tiers both start {notice_hours} h before the start")]
    DuplicateNotice {
        /// The repeated notice.
        notice_hours: u32,
    },
    /// Less notice refunding more than more notice.
    #[error(
        "a tier with {shorter_notice_hours} h notice refunds more than one with {longer_notice_hours} h"
    )]
    RefundIncreasesAsNoticeShrinks {
        /// The tier with less notice.
        shorter_notice_hours: u32,
        /// The tier with more notice.
        longer_notice_hours: u32,
    },
    /// More tiers than any business needs.
    #[error("at most {max} tiers, got {got}")]
    TooManyTiers {
        /// Tiers given.
        got: usize,
        /// The limit.
        max: usize,
    },
}

/// Cancelling at least `min_notice_hours` before the start refunds `refund_bp` / 10 000 of the
/// amount paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RefundTier {
    /// Hours of notice this tier needs (0 = up to the start).
    pub min_notice_hours: u32,
    /// Refund in basis points of the amount paid (10 000 = 100 %).
    pub refund_bp: u32,
}

/// Validated tiers, sorted by notice, longest first. No tier matching means no refund.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<RefundTier>", into = "Vec<RefundTier>")]
pub struct CancellationPolicy {
    tiers: Vec<RefundTier>,
}

impl CancellationPolicy {
    /// The most tiers a policy may have.
    pub const MAX_TIERS: usize = 16;

    /// Validates and sorts `tiers`: refunds at most 100 %, distinct notices, and refunds never
    /// growing as notice shrinks.
    pub fn new(mut tiers: Vec<RefundTier>) -> Result<Self, CancellationPolicyError> {
        if tiers.len() > Self::MAX_TIERS {
            return Err(CancellationPolicyError::TooManyTiers {
                got: tiers.len(),
                max: Self::MAX_TIERS,
            });
        }
        if let Some(t) = tiers.iter().find(|t| t.refund_bp > 10_000) {
            return Err(CancellationPolicyError::RefundAbove100 {
                refund_bp: t.refund_bp,
            });
        }
        tiers.sort_by_key(|t| std::cmp::Reverse(t.min_notice_hours));
        for pair in tiers.windows(2) {
            let (longer, shorter) = (pair[0], pair[1]);
            if longer.min_notice_hours == shorter.min_notice_hours {
                return Err(CancellationPolicyError::DuplicateNotice {
                    notice_hours: longer.min_notice_hours,
                });
            }
            if shorter.refund_bp > longer.refund_bp {
                return Err(CancellationPolicyError::RefundIncreasesAsNoticeShrinks {
                    shorter_notice_hours: shorter.min_notice_hours,
                    longer_notice_hours: longer.min_notice_hours,
                });
            }
        }
        Ok(Self { tiers })
    }

    /// No refund, ever.
    pub fn non_refundable() -> Self {
        Self { tiers: Vec::new() }
    }

    /// The tiers, longest notice first.
    pub fn tiers(&self) -> &[RefundTier] {
        &self.tiers
    }

    /// The refund share (basis points) for cancelling at `cancelled_at` a booking starting at
    /// `starts_at`. Cancelling after the start refunds nothing.
    pub fn refund_bp(&self, starts_at: DateTime<Utc>, cancelled_at: DateTime<Utc>) -> u32 {
        let notice = starts_at - cancelled_at;
        if notice < chrono::Duration::zero() {
            return 0;
        }
        self.tiers
            .iter()
            .find(|t| notice >= chrono::Duration::hours(i64::from(t.min_notice_hours)))
            .map_or(0, |t| t.refund_bp)
    }

    /// The amount refunded of `paid`.
    pub fn refund_for(
        &self,
        paid: Money,
        starts_at: DateTime<Utc>,
        cancelled_at: DateTime<Utc>,
    ) -> Result<Money, MoneyError> {
        paid.percent_bp(self.refund_bp(starts_at, cancelled_at))
    }
}

impl TryFrom<Vec<RefundTier>> for CancellationPolicy {
    type Error = CancellationPolicyError;
    fn try_from(value: Vec<RefundTier>) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<CancellationPolicy> for Vec<RefundTier> {
    fn from(value: CancellationPolicy) -> Self {
        value.tiers
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Currency;

    fn tier(h: u32, bp: u32) -> RefundTier {
        RefundTier {
            min_notice_hours: h,
            refund_bp: bp,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn refunds_follow_the_tiers() {
        // 100 % until 72 h before, 50 % until 24 h, then nothing.
        let p = CancellationPolicy::new(vec![tier(24, 5_000), tier(72, 10_000)]).unwrap();
        let start = at("2026-12-24T15:00:00Z");
        let paid = Money::new(30_000, Currency::parse("EUR").unwrap());
        assert_eq!(p.refund_bp(start, at("2026-12-21T15:00:00Z")), 10_000);
        assert_eq!(p.refund_bp(start, at("2026-12-21T15:00:01Z")), 5_000);
        assert_eq!(p.refund_bp(start, at("2026-12-23T15:00:00Z")), 5_000);
        assert_eq!(p.refund_bp(start, at("2026-12-23T15:00:01Z")), 0);
        assert_eq!(p.refund_bp(start, at("2026-12-25T00:00:00Z")), 0);
        assert_eq!(
            p.refund_for(paid, start, at("2026-12-22T00:00:00Z"))
                .unwrap()
                .amount_minor,
            15_000
        );
    }

    #[test]
    fn it_should_reject_invalid_tiers() {
        assert_eq!(
            CancellationPolicy::new(vec![tier(24, 10_001)]),
            Err(CancellationPolicyError::RefundAbove100 { refund_bp: 10_001 })
        );
        assert_eq!(
            CancellationPolicy::new(vec![tier(24, 100), tier(24, 50)]),
            Err(CancellationPolicyError::DuplicateNotice { notice_hours: 24 })
        );
        assert_eq!(
            CancellationPolicy::new(vec![tier(72, 5_000), tier(24, 10_000)]),
            Err(CancellationPolicyError::RefundIncreasesAsNoticeShrinks {
                shorter_notice_hours: 24,
                longer_notice_hours: 72
            })
        );
        assert!(matches!(
            CancellationPolicy::new((0..17).map(|h| tier(h, 0)).collect()),
            Err(CancellationPolicyError::TooManyTiers { got: 17, max: 16 })
        ));
    }

    #[test]
    fn invalid_tiers_cannot_be_deserialised() {
        let bad = serde_json::json!([{"min_notice_hours": 1, "refund_bp": 20000}]);
        assert!(serde_json::from_value::<CancellationPolicy>(bad).is_err());
    }
}
