//! `Money { amountMinor, currency }`: the one money output object of the schema (inputs use
//! the mutations' `MoneyInput`).

use async_graphql::SimpleObject;
use holdfast_projections::models::Amount;

/// An amount of money.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct Money {
    /// Minor units (cents, won…); negative for amounts owed back.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<Amount> for Money {
    fn from(a: Amount) -> Self {
        Self {
            amount_minor: a.amount_minor,
            currency: a.currency,
        }
    }
}

impl From<holdfast_domain::common::Money> for Money {
    fn from(m: holdfast_domain::common::Money) -> Self {
        Self {
            amount_minor: m.amount_minor,
            currency: m.currency.as_str().to_owned(),
        }
    }
}
