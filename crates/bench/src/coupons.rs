//! `coupons`: `--claims` guests (20,000, each its own) claim from one campaign of
//! `--quantity` coupons (2,000) through `--clients` concurrent connections.
//!
//! Figures: claims/s (every answer over the wall time) and latencies. Check: exactly
//! `quantity` claims succeeded, every other answer is `COUPON_REJECTED`, and the campaign's
//! stats (read model) show `quantity` claimed and none remaining. Also Postgres commits per
//! claim ([`crate::cost`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clap::Args;
use holdfast_domain::common::TenantId;
use serde_json::json;

use crate::ServerArgs;
use crate::client::{Answer, Api, key};
use crate::cost::{CostArgs, Meter};
use crate::error::{BenchError, Context};
use crate::setup::{self, CAMPAIGN_STATS, CLAIM_COUPON, text};
use crate::stats::{Report, Row, Tally, number};

/// Arguments of `holdfast-bench coupons`.
#[derive(Args)]
pub struct CouponsArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Claims in all (each by a different guest).
    #[arg(long, default_value_t = 20_000)]
    claims: usize,
    /// Coupons in the campaign.
    #[arg(long, default_value_t = 2_000)]
    quantity: u32,
    /// Concurrent clients.
    #[arg(long, default_value_t = 256)]
    clients: usize,
    #[command(flatten)]
    cost: CostArgs,
}

/// Runs the scenario.
pub async fn run(args: CouponsArgs) -> Result<Report, BenchError> {
    let api = Api::new(&args.server)?;
    api.wait_ready(std::time::Duration::from_secs(10)).await?;
    api.settle().await;
    let operator = api.operator(TenantId::new())?;
    let now = setup::server_now(&api).await?;
    let campaign = setup::campaign(&api, &operator, args.quantity, now).await?;
    let tokens: Arc<Vec<String>> = Arc::new(
        (0..args.claims)
            .map(|_| api.guest().map(|(_, t)| t))
            .collect::<Result<_, _>>()?,
    );
    let next = Arc::new(AtomicUsize::new(0));
    let clients = args.clients.clamp(1, args.claims.max(1));
    let meter = Meter::start(&api, &args.server.store.database_url, &args.cost).await?;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (api, tokens, next, campaign) =
            (api.clone(), tokens.clone(), next.clone(), campaign.clone());
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut token = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(guest) = tokens.get(i) else { break };
                let t0 = Instant::now();
                let answer = api
                    .call(
                        Some(guest),
                        CLAIM_COUPON,
                        json!({"key": key(), "id": campaign}),
                    )
                    .await;
                tally.record(t0.elapsed(), answer.outcome());
                if let Answer::Data(data) = &answer
                    && let Some(t) = text(data, "/claimCoupon/consistencyToken")
                {
                    token = setup::later(token, &t);
                }
            }
            (tally, token)
        }));
    }
    let mut tally = Tally::default();
    let mut token = None;
    for task in tasks {
        let (t, last) = task.await.context("a coupon client panicked")?;
        tally.merge(t);
        if let Some(last) = last {
            token = setup::later(token, &last);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let cost = meter.stop(&api).await?;
    let mut report = Report::new(format!(
        "coupons — {} claims (distinct guests) for a campaign of {}, {clients} clients",
        number(args.claims as f64),
        number(f64::from(args.quantity))
    ));
    report.rows.push(Row::from_tally(
        "claimCoupon (claimed or rejected)",
        clients,
        &tally,
        seconds,
        "claims/s",
    ));
    let rate = tally.ops() as f64 / seconds.max(1e-9);
    report.target("claims/s", number(rate), "≥ 3,000", rate >= 3000.0);
    cost.report_commits(&mut report, tally.ops(), "claim", None);
    cost.report_conflicts(&mut report);
    let expected = u64::from(args.quantity).min(args.claims as u64);
    report.check(
        tally.ok == expected,
        format!("exactly {expected} claimed (got {})", tally.ok),
    );
    let unexpected = tally.errors_except(&["COUPON_REJECTED"]);
    report.check(
        unexpected.is_empty(),
        format!(
            "every other answer COUPON_REJECTED ({} rejected, other errors: {unexpected:?})",
            tally.errors_of("COUPON_REJECTED")
        ),
    );
    let mut stats = None;
    for _ in 0..24 {
        match api
            .call(
                Some(&operator),
                CAMPAIGN_STATS,
                json!({"id": campaign, "token": token}),
            )
            .await
        {
            Answer::Data(data) => {
                stats = Some(data["campaignStats"].clone());
                break;
            }
            Answer::Error { code, .. } if code == "TIMEOUT" => {}
            Answer::Error { code, message } => {
                return Err(BenchError::failed(format!(
                    "campaignStats: {code}: {message}"
                )));
            }
        }
    }
    let stats = stats.context("the coupons read model did not catch up within two minutes")?;
    let remaining = u64::from(args.quantity) - expected;
    report.check(
        stats["claimed"].as_u64() == Some(expected)
            && stats["remaining"].as_u64() == Some(remaining),
        format!(
            "campaign stats show {} claimed, {} remaining",
            stats["claimed"], stats["remaining"]
        ),
    );
    Ok(report)
}
