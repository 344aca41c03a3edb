//! How guests pay for a hold.
//!
//! - [`Checkout::Test`] (development, the embedded default): a built-in test checkout at
//!   `/checkout/test/<booking>`. Its "Pay" button posts to the same address (served by
//!   `holdfast-api`, beside the payments webhook), and the server reports the payment
//!   the way a provider would: a `payment.succeeded` delivery, signed with the payments
//!   webhook's secret, handed to the same verification and processing as
//!   `POST /webhooks/payments` ([`holdfast_engine::payments::receive`]). A payment that comes
//!   too late (the hold ran out) is recorded and refunded by the booking worker, as any late
//!   provider payment is.
//! - [`Checkout::Provider`]: a provider's checkout page; the hold page sends the guest to its
//!   URL with `{booking}`, `{amount_minor}`, `{currency}` and `{return}` filled in. The provider
//!   then calls `POST /webhooks/payments`.
//! - [`Checkout::Off`]: the hold page shows no way to pay.

use serde_json::json;

/// How guests pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checkout {
    /// The built-in test checkout (development only: anyone who can open the page can "pay").
    Test,
    /// A provider's checkout URL template (`{booking}`, `{amount_minor}`, `{currency}`,
    /// `{return}`).
    Provider(String),
    /// No payment page.
    Off,
}

impl Checkout {
    /// What the pages are told: `test`, the provider's template, or nothing.
    pub fn describe(&self) -> serde_json::Value {
        match self {
            Checkout::Test => json!({"kind": "test"}),
            Checkout::Provider(url) => json!({"kind": "provider", "url": url}),
            Checkout::Off => json!({"kind": "off"}),
        }
    }
}
