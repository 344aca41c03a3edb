//! `MoneyInput`: an amount in minor units and an ISO 4217 currency.

use async_graphql::InputObject;
use holdfast_domain::common::{Currency, Money};

use super::field_error;
use crate::error::ApiError;

/// An amount of money: integer minor units (cents, won…) and a currency code.
#[derive(InputObject, Clone, Debug)]
pub struct MoneyInput {
    /// Minor units (never floats).
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. `EUR`, `KRW`.
    pub currency: String,
}

impl MoneyInput {
    /// Parses into [`Money`]; negative amounts are refused (prices, payments, discounts).
    pub fn parse(&self, field: &str) -> Result<Money, ApiError> {
        let currency = parse_currency(&format!("{field}.currency"), &self.currency)?;
        Money::non_negative(self.amount_minor, currency)
            .map_err(|e| field_error(&format!("{field}.amountMinor"), e))
    }
}

/// A currency code.
pub fn parse_currency(field: &str, code: &str) -> Result<Currency, ApiError> {
    Currency::parse(code).map_err(|e| field_error(field, e))
}
