//! Property tests: for any sequence of claims, redemptions, restores and ends by random guests,
//! the counts stay within limits, discounts stay within the subtotal, rejected commands change
//! nothing, and replaying the events rebuilds the same aggregate.

use cqrs_es::event_sink::EventSink;
use futures::executor::block_on;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::*;
use crate::services::Clock;

#[derive(Debug, Clone)]
enum Op {
    Claim {
        guest: u8,
    },
    Redeem {
        guest: u8,
        booking: u8,
        listing: u8,
        subtotal: i64,
    },
    Restore {
        booking: u8,
    },
    End,
    Advance {
        hours: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        30 => (0u8..5).prop_map(|guest| Op::Claim { guest }),
        30 => (0u8..5, 0u8..12, 0u8..3, prop_oneof![3 => 0i64..50_000, 1 => -10i64..10])
            .prop_map(|(guest, booking, listing, subtotal)| Op::Redeem { guest, booking, listing, subtotal }),
        12 => (0u8..12).prop_map(|booking| Op::Restore { booking }),
        1 => Just(Op::End),
        2 => (1i64..48).prop_map(|hours| Op::Advance { hours }),
    ]
}

prop_compose! {
    fn random_terms()(
        total_quantity in 1u32..8,
        per_guest_limit in 1u32..4,
        restore_on_cancel in any::<bool>(),
        discount in prop_oneof![
            (1i64..30_000).prop_map(|n| Discount::Fixed(money(n))),
            (1u32..=10_000, prop::option::of(1i64..20_000))
                .prop_map(|(bp, max)| Discount::Percent { bp, max: max.map(money) }),
        ],
        min_spend in prop::option::of(0i64..20_000),
        listings in prop::collection::vec(0u8..3, 0..3),
        starts_in in prop_oneof![4 => -48i64..0, 1 => 0i64..3],
        lasts in 1i64..500,
    ) -> CampaignTerms {
        CampaignTerms {
            code: code(),
            discount,
            min_spend: min_spend.map(money),
            valid_from: now() + Duration::hours(starts_in),
            valid_until: now() + Duration::hours(starts_in.max(0) + lasts),
            total_quantity,
            per_guest_limit,
            applicable_listings: listings.into_iter().map(|l| listing(u128::from(l))).collect(),
            restore_on_cancel,
        }
    }
}

fn command(op: &Op) -> Option<CouponCommand> {
    Some(match op {
        Op::Claim { guest: g } => claim(u128::from(*g)),
        Op::Redeem {
            guest: g,
            booking: b,
            listing: l,
            subtotal,
        } => CouponCommand::RedeemCoupon {
            guest_id: guest(u128::from(*g)),
            booking_id: booking(u128::from(*b)),
            listing_id: listing(u128::from(*l)),
            subtotal: money(*subtotal),
        },
        Op::Restore { booking: b } => restore(u128::from(*b)),
        Op::End => CouponCommand::EndCampaign,
        Op::Advance { .. } => return None,
    })
}

fn check_invariants(c: &CouponCampaign) -> Result<(), TestCaseError> {
    let Some(campaign) = c.campaign() else {
        return Ok(());
    };
    let terms = &campaign.terms;
    prop_assert!(c.claimed() <= terms.total_quantity);
    prop_assert!(c.redeemed() <= c.claimed());
    prop_assert_eq!(c.remaining(), terms.total_quantity - c.claimed());
    let mut claimed = 0u32;
    let mut redeemed = 0u32;
    for (g, claims) in c.guests() {
        prop_assert!(claims.claimed <= terms.per_guest_limit, "{}", g);
        prop_assert!(claims.redeemed <= claims.claimed, "{}", g);
        let standing = c
            .redemptions()
            .values()
            .filter(|r| r.guest_id == *g && !r.restored)
            .count() as u32;
        prop_assert_eq!(claims.redeemed, standing, "{}", g);
        claimed += claims.claimed;
        redeemed += claims.redeemed;
    }
    prop_assert_eq!(claimed, c.claimed());
    prop_assert_eq!(redeemed, c.redeemed());
    for r in c.redemptions().values() {
        prop_assert!(r.discount.amount_minor >= 0);
        prop_assert!(r.discount.amount_minor <= r.subtotal.amount_minor);
        prop_assert!(!r.restored || terms.restore_on_cancel);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_sequence_keeps_the_limits_and_replays(
        terms in random_terms(),
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let clock = FixedClock::new(now());
        let services = DomainServices::with_clock(clock.clone());
        let mut campaign = CouponCampaign::default();
        let mut events = Vec::new();
        let first = create(terms);
        let commands = std::iter::once(Some(first)).chain(ops.iter().map(|op| {
            if let Op::Advance { hours } = op {
                clock.advance(Duration::hours(*hours));
            }
            command(op)
        }));
        // The clock moves as the iterator is consumed, i.e. in sequence with the commands.
        for cmd in commands.flatten() {
            let before = campaign.clone();
            let sink = EventSink::default();
            match block_on(campaign.handle(cmd.clone(), &services, &sink)) {
                Ok(()) => {
                    let emitted = block_on(sink.collect());
                    if !matches!(cmd, CouponCommand::ClaimCoupon { .. }) {
                        // Every accepted command but a claim, repeated at once, is a no-op.
                        prop_assert_eq!(campaign.decide(cmd.clone(), &services), Ok(vec![]), "{:?}", cmd);
                    }
                    for e in &emitted {
                        if let CouponEvent::CouponRedeemed { subtotal, discount, .. } = e {
                            prop_assert!(discount.amount_minor >= 0);
                            prop_assert!(discount.amount_minor <= subtotal.amount_minor);
                        }
                    }
                    events.extend(emitted);
                }
                Err(_) => {
                    prop_assert_eq!(&campaign, &before);
                    prop_assert!(block_on(sink.collect()).is_empty());
                }
            }
            check_invariants(&campaign)?;
        }
        let _ = clock.now();
        let mut replayed = CouponCampaign::default();
        for event in &events {
            let json = serde_json::to_value(event).unwrap();
            let back: CouponEvent = serde_json::from_value(json).unwrap();
            prop_assert_eq!(&back, event);
            replayed.apply(back);
        }
        prop_assert_eq!(&replayed, &campaign);
        let snapshot = serde_json::to_string(&campaign).unwrap();
        prop_assert_eq!(serde_json::from_str::<CouponCampaign>(&snapshot).unwrap(), campaign);
    }
}
