//! The coupons read model (wallet, campaign stats), driven by the real Coupon aggregate.

mod models_support;

use holdfast_domain::Decide;
use holdfast_domain::common::{
    BookingId, CampaignId, Currency, GuestId, ListingId, Money, TenantId,
};
use holdfast_domain::coupon::{CampaignTerms, CouponCampaign, CouponCode, CouponCommand, Discount};
use holdfast_projections::models::coupons::{
    CampaignState, CouponsProjection, WalletStatus, campaign_stats, wallet,
};
use models_support::*;
use proptest::prelude::*;

const NOW: &str = "2026-06-01T12:00:00Z";

fn eur(n: i64) -> Money {
    Money::new(n, Currency::parse("EUR").unwrap())
}

fn guest(n: u32) -> GuestId {
    GuestId::parse(&ulid(5, n)).unwrap()
}

fn booking(n: u32) -> BookingId {
    BookingId::parse(&ulid(4, n)).unwrap()
}

struct Campaign {
    id: String,
    state: CouponCampaign,
}

impl Campaign {
    /// 10 % off, 5 coupons, 2 per guest, June 2026, restored on cancel.
    fn create(log: &mut Log, n: u32, code: &str) -> Self {
        let id = ulid(6, n);
        let mut c = Self {
            id: id.clone(),
            state: CouponCampaign::default(),
        };
        c.run(
            log,
            CouponCommand::CreateCampaign {
                campaign_id: CampaignId::parse(&id).unwrap(),
                tenant_id: TenantId::parse(&ulid(2, 1)).unwrap(),
                terms: CampaignTerms {
                    code: CouponCode::parse(code).unwrap(),
                    discount: Discount::Percent {
                        bp: 1_000,
                        max: Some(eur(5_000)),
                    },
                    min_spend: None,
                    valid_from: at("2026-06-01T00:00:00Z"),
                    valid_until: at("2026-07-01T00:00:00Z"),
                    total_quantity: 5,
                    per_guest_limit: 2,
                    applicable_listings: vec![],
                    restore_on_cancel: true,
                },
            },
        );
        c
    }

    fn run(&mut self, log: &mut Log, command: CouponCommand) -> usize {
        log.exec(&self.id, &mut self.state, |s, svc| s.decide(command, svc))
    }

    fn try_run(&mut self, log: &mut Log, command: CouponCommand) {
        if let Ok(events) = self.state.decide(command, &log.services) {
            for e in events {
                cqrs_es::Aggregate::apply(&mut self.state, e.clone());
                log.push("Coupon", &self.id, &e);
            }
        }
    }
}

fn claim(g: u32) -> CouponCommand {
    CouponCommand::ClaimCoupon { guest_id: guest(g) }
}

fn redeem(g: u32, b: u32) -> CouponCommand {
    CouponCommand::RedeemCoupon {
        guest_id: guest(g),
        booking_id: booking(b),
        listing_id: ListingId::parse(&ulid(3, 1)).unwrap(),
        subtotal: eur(20_000),
    }
}

fn restore(b: u32) -> CouponCommand {
    CouponCommand::RestoreCoupon {
        booking_id: booking(b),
    }
}

#[tokio::test]
async fn wallet_and_stats_count_claims_redemptions_and_restores() {
    let mut log = Log::new(NOW);
    let mut summer = Campaign::create(&mut log, 1, "summer-10");
    let mut other = Campaign::create(&mut log, 2, "other-5");
    summer.run(&mut log, claim(1));
    summer.run(&mut log, claim(1));
    summer.run(&mut log, claim(2));
    other.run(&mut log, claim(1));
    summer.run(&mut log, redeem(1, 1));
    summer.run(&mut log, redeem(1, 2));
    summer.run(&mut log, restore(1));
    summer.run(&mut log, redeem(2, 3));
    // Repeats are no-ops in the domain; the projection sees each event once anyway.
    assert_eq!(summer.run(&mut log, redeem(2, 3)), 0);

    let (store, table) = store_for(&CouponsProjection).await;
    project(&store, table, &CouponsProjection, &log.events).await;

    let stats = campaign_stats(&store, table, &summer.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stats.code, "SUMMER-10");
    assert_eq!(
        (stats.total, stats.claimed, stats.redeemed, stats.remaining),
        (5, 3, 2, 2)
    );
    assert_eq!(stats.status, CampaignState::Active);

    let w1 = wallet(&store, table, &guest(1).to_string(), at(NOW))
        .await
        .unwrap();
    assert_eq!(w1.len(), 2);
    let s1 = w1.iter().find(|e| e.campaign_id == summer.id).unwrap();
    assert_eq!((s1.claimed, s1.unused, s1.redeemed), (2, 1, 1));
    assert_eq!(s1.status, WalletStatus::Active);
    assert_eq!(s1.code, "SUMMER-10");
    let o1 = w1.iter().find(|e| e.campaign_id == other.id).unwrap();
    assert_eq!((o1.claimed, o1.unused, o1.redeemed), (1, 1, 0));

    let w2 = wallet(&store, table, &guest(2).to_string(), at(NOW))
        .await
        .unwrap();
    assert_eq!(w2.len(), 1);
    assert_eq!((w2[0].claimed, w2[0].unused), (1, 0));
    assert_eq!(w2[0].status, WalletStatus::Used);

    // After the window, unused claims show as expired (used ones stay used).
    let later = at("2026-07-01T00:00:00Z");
    let w1 = wallet(&store, table, &guest(1).to_string(), later)
        .await
        .unwrap();
    assert!(w1.iter().all(|e| e.status == WalletStatus::Expired));
    let w2 = wallet(&store, table, &guest(2).to_string(), later)
        .await
        .unwrap();
    assert_eq!(w2[0].status, WalletStatus::Used);
    assert!(
        wallet(&store, table, &guest(9).to_string(), at(NOW))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_ended_campaign_has_nothing_remaining() {
    let mut log = Log::new(NOW);
    let mut summer = Campaign::create(&mut log, 1, "summer-10");
    summer.run(&mut log, claim(1));
    summer.run(&mut log, redeem(1, 1));
    summer.run(&mut log, CouponCommand::EndCampaign);
    let (store, table) = store_for(&CouponsProjection).await;
    project(&store, table, &CouponsProjection, &log.events).await;
    let stats = campaign_stats(&store, table, &summer.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stats.status, CampaignState::Ended);
    assert_eq!((stats.claimed, stats.redeemed, stats.remaining), (1, 1, 0));
    assert!(
        campaign_stats(&store, table, &ulid(6, 99))
            .await
            .unwrap()
            .is_none()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn replays_and_duplicate_deliveries_change_nothing(
        ops in proptest::collection::vec((0u8..4, 0u32..3, 0u32..6), 1..30),
        repeats in proptest::collection::vec(any::<u8>(), 40),
        back in proptest::collection::vec(any::<u8>(), 40),
    ) {
        let mut log = Log::new(NOW);
        let mut c = Campaign::create(&mut log, 1, "summer-10");
        for (op, g, b) in ops {
            let command = match op {
                0 | 1 => claim(g),
                2 => redeem(g, b),
                _ => restore(b),
            };
            c.try_run(&mut log, command);
        }
        let plan = schedule(log.events.len(), &repeats, &back);
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (clean, messy) = rt.block_on(clean_and_replayed(&CouponsProjection, &log.events, &plan));
        prop_assert_eq!(clean, messy);
    }
}
