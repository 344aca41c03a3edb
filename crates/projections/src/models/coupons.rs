//! Coupons: the guest's wallet and campaign statistics.
//!
//! - Wallet entry: `pk = "wallet#<guest_id>"`, `sk = "<campaign_id>"` — code, discount,
//!   `valid_until`, `claimed` (the guest's claims of the campaign), `unused` (claims not used on
//!   a booking). Partitioned per guest.
//! - Campaign stats: `pk = "campaign#<campaign_id>"`, `sk = "stats"` — tenant, code, `total`,
//!   `claimed`, `redeemed` (standing redemptions, restored ones excluded), `remaining`, status.
//!
//!   On gsi1 under `campaigns#<tenant_id>` by campaign id: a business's campaigns.
//!
//! Every coupon event carries the resulting counts, so patches set them absolutely.
//! `CouponCampaignEnded` sets `remaining` to 0 (nothing is left to claim). A wallet entry's
//! status is computed at query time: `used` when nothing is unused, else `expired` once
//! `valid_until` (exclusive) has passed, else `active`. An ended campaign's claims stay
//! redeemable within the window (the domain's rule), so ending does not touch wallets.

use chrono::{DateTime, Utc};
use holdfast_domain::coupon::{CouponEvent, Discount};
use holdfast_eventstore::StoredEvent;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{QueryError, attrs, decode, item_as};
use crate::projection::{Projection, ProjectionError};
use crate::store::{GSI1_PK, GSI1_SK, Index, Key, KeyQuery, Patch, ReadStore, Table, TableRef};

/// The most wallet entries one page asks for (a guest rarely holds more than a few dozen).
const WALLET_PAGE_LIMIT: usize = 500;

/// A guest's wallet partition.
pub fn wallet_partition(guest_id: &str) -> String {
    format!("wallet#{guest_id}")
}

/// A business's campaigns on gsi1 (the stats items, by campaign id).
pub fn tenant_campaigns(tenant_id: &str) -> String {
    format!("campaigns#{tenant_id}")
}

/// The key of a campaign's stats item.
pub fn stats_key(campaign_id: &str) -> Key {
    Key::new(format!("campaign#{campaign_id}"), "stats")
}

/// Projects coupon events into [`Table::Coupons`].
#[derive(Clone, Copy, Debug, Default)]
pub struct CouponsProjection;

fn discount_json(d: &Discount) -> Value {
    serde_json::to_value(d).unwrap_or(Value::Null)
}

impl Projection for CouponsProjection {
    fn table(&self) -> Table {
        Table::Coupons
    }

    fn patches(&self, event: &StoredEvent) -> Result<Vec<Patch>, ProjectionError> {
        if event.aggregate_type != "Coupon" {
            return Ok(Vec::new());
        }
        let patches = match decode::<CouponEvent>(event)? {
            CouponEvent::CouponCampaignCreated {
                campaign_id,
                tenant_id,
                terms,
                created_at,
            } => vec![Patch::set(
                stats_key(&campaign_id.to_string()),
                attrs([
                    ("campaign_id", json!(campaign_id.to_string())),
                    ("tenant_id", json!(tenant_id.to_string())),
                    ("code", json!(terms.code.as_str())),
                    ("discount", discount_json(&terms.discount)),
                    ("valid_from", json!(terms.valid_from)),
                    ("valid_until", json!(terms.valid_until)),
                    ("total", json!(terms.total_quantity)),
                    ("claimed", json!(0)),
                    ("redeemed", json!(0)),
                    ("remaining", json!(terms.total_quantity)),
                    ("status", json!("active")),
                    ("created_at", json!(created_at)),
                    // The business's campaigns, by id (`campaigns_of_tenant`).
                    (GSI1_PK, json!(tenant_campaigns(&tenant_id.to_string()))),
                    (GSI1_SK, json!(campaign_id.to_string())),
                ]),
            )],
            CouponEvent::CouponClaimed {
                campaign_id,
                tenant_id,
                guest_id,
                code,
                discount,
                valid_until,
                claimed_at,
                guest_claims,
                guest_unused,
                claimed,
                remaining,
            } => vec![
                Patch::set(
                    stats_key(&campaign_id.to_string()),
                    attrs([("claimed", json!(claimed)), ("remaining", json!(remaining))]),
                ),
                Patch::set(
                    Key::new(
                        wallet_partition(&guest_id.to_string()),
                        campaign_id.to_string(),
                    ),
                    attrs([
                        ("campaign_id", json!(campaign_id.to_string())),
                        ("tenant_id", json!(tenant_id.to_string())),
                        ("guest_id", json!(guest_id.to_string())),
                        ("code", json!(code.as_str())),
                        ("discount", discount_json(&discount)),
                        ("valid_until", json!(valid_until)),
                        ("last_claimed_at", json!(claimed_at)),
                        ("claimed", json!(guest_claims)),
                        ("unused", json!(guest_unused)),
                    ]),
                ),
            ],
            CouponEvent::CouponRedeemed {
                campaign_id,
                guest_id,
                redeemed_at,
                guest_unused,
                redeemed,
                ..
            } => vec![
                Patch::set(
                    stats_key(&campaign_id.to_string()),
                    attrs([("redeemed", json!(redeemed))]),
                ),
                Patch::set(
                    Key::new(
                        wallet_partition(&guest_id.to_string()),
                        campaign_id.to_string(),
                    ),
                    attrs([
                        ("unused", json!(guest_unused)),
                        ("last_redeemed_at", json!(redeemed_at)),
                    ]),
                ),
            ],
            CouponEvent::CouponRestored {
                campaign_id,
                guest_id,
                restored_at,
                guest_unused,
                redeemed,
                ..
            } => vec![
                Patch::set(
                    stats_key(&campaign_id.to_string()),
                    attrs([("redeemed", json!(redeemed))]),
                ),
                Patch::set(
                    Key::new(
                        wallet_partition(&guest_id.to_string()),
                        campaign_id.to_string(),
                    ),
                    attrs([
                        ("unused", json!(guest_unused)),
                        ("last_restored_at", json!(restored_at)),
                    ]),
                ),
            ],
            CouponEvent::CouponCampaignEnded {
                campaign_id,
                ended_at,
                reason,
                claimed,
                redeemed,
                ..
            } => vec![Patch::set(
                stats_key(&campaign_id.to_string()),
                attrs([
                    ("claimed", json!(claimed)),
                    ("redeemed", json!(redeemed)),
                    ("remaining", json!(0)),
                    ("status", json!("ended")),
                    ("ended_at", json!(ended_at)),
                    (
                        "end_reason",
                        serde_json::to_value(reason).unwrap_or(Value::Null),
                    ),
                ]),
            )],
        };
        Ok(patches)
    }
}

/// The state of a wallet entry at query time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalletStatus {
    /// Has unused claims, within the validity window.
    Active,
    /// Every claim is used on a booking.
    Used,
    /// Unused claims, but the validity window is over.
    Expired,
}

/// One campaign in a guest's wallet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WalletEntry {
    /// The campaign.
    pub campaign_id: String,
    /// Its business.
    pub tenant_id: String,
    /// The code.
    pub code: String,
    /// What it takes off.
    pub discount: Discount,
    /// Redeemable until (exclusive).
    pub valid_until: DateTime<Utc>,
    /// Coupons of the campaign the guest claimed.
    pub claimed: u32,
    /// Claims not used on a booking.
    pub unused: u32,
    /// Claims standing redeemed (`claimed − unused`).
    pub redeemed: u32,
    /// The entry's state at the query's `now`.
    pub status: WalletStatus,
}

#[derive(Deserialize)]
struct StoredWallet {
    campaign_id: String,
    tenant_id: String,
    code: String,
    discount: Discount,
    valid_until: DateTime<Utc>,
    claimed: u32,
    unused: u32,
}

/// A guest's wallet, by campaign id, with each entry's status at `now`.
pub async fn wallet(
    store: &dyn ReadStore,
    table: TableRef,
    guest_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<WalletEntry>, QueryError> {
    let mut query = KeyQuery {
        pk: wallet_partition(guest_id),
        ascending: true,
        limit: WALLET_PAGE_LIMIT,
        ..KeyQuery::default()
    };
    let mut out = Vec::new();
    loop {
        let page = store.query(table, &query).await?;
        for item in &page.items {
            let w: StoredWallet = item_as(item)?;
            let status = if w.unused == 0 {
                WalletStatus::Used
            } else if now >= w.valid_until {
                WalletStatus::Expired
            } else {
                WalletStatus::Active
            };
            out.push(WalletEntry {
                redeemed: w.claimed.saturating_sub(w.unused),
                campaign_id: w.campaign_id,
                tenant_id: w.tenant_id,
                code: w.code,
                discount: w.discount,
                valid_until: w.valid_until,
                claimed: w.claimed,
                unused: w.unused,
                status,
            });
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(out),
        }
    }
}

/// Whether a campaign still accepts claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    /// Accepting claims.
    Active,
    /// Ended (by the operator or because its window closed).
    Ended,
}

/// A campaign's counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignStats {
    /// The campaign.
    pub campaign_id: String,
    /// Its business.
    pub tenant_id: String,
    /// The code.
    pub code: String,
    /// Coupons offered in all.
    pub total: u32,
    /// Coupons claimed.
    pub claimed: u32,
    /// Redemptions standing (restored ones excluded).
    pub redeemed: u32,
    /// Coupons left to claim (0 once ended).
    pub remaining: u32,
    /// Active or ended.
    pub status: CampaignState,
    /// Start of the validity window.
    pub valid_from: DateTime<Utc>,
    /// End of the validity window (exclusive).
    pub valid_until: DateTime<Utc>,
}

/// A campaign's statistics, if the campaign exists.
pub async fn campaign_stats(
    store: &dyn ReadStore,
    table: TableRef,
    campaign_id: &str,
) -> Result<Option<CampaignStats>, QueryError> {
    match store.get(table, &stats_key(campaign_id)).await? {
        Some(item) => Ok(Some(item_as(&item)?)),
        None => Ok(None),
    }
}

/// A page of a business's campaigns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignPage {
    /// The campaigns, by id (creation order).
    pub items: Vec<CampaignStats>,
    /// The last campaign's id: pass as `after`.
    pub end_cursor: Option<String>,
    /// Whether more may follow.
    pub has_next_page: bool,
}

/// A business's campaigns, active and ended, by id: `first` after the campaign `after`.
///
/// # Errors
///
/// [`QueryError::InvalidCursor`] for an `after` that is no id; the store's errors.
pub async fn campaigns_of_tenant(
    store: &dyn ReadStore,
    table: TableRef,
    tenant_id: &str,
    first: usize,
    after: Option<&str>,
) -> Result<CampaignPage, QueryError> {
    let (items, has_next_page) = super::page_by_id::<CampaignStats>(
        store,
        table,
        Index::Gsi1,
        tenant_campaigns(tenant_id),
        first,
        after,
        |_| true,
    )
    .await?;
    Ok(CampaignPage {
        end_cursor: items.last().map(|c| c.campaign_id.clone()),
        items,
        has_next_page,
    })
}
