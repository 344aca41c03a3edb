//! Money as integer minor units with a currency. Never floats.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an amount or currency was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not three upper-case ASCII letters.
    #[error("`{0}` is not an ISO 4217 currency code (three upper-case letters)")]
    InvalidCurrency(String),
    /// Arithmetic across two currencies.
    #[error("cannot combine {left} and {right}")]
    CurrencyMismatch {
        /// The left operand's currency.
        left: Currency,
        /// The right operand's currency.
        right: Currency,
    },
    /// The result does not fit in 64 bits of minor units.
    #[error("amount overflow")]
    Overflow,
    /// A negative amount where only zero or more makes sense (a price, a payment).
    #[error("amount must not be negative, got {0}")]
    Negative(i64),
}

/// An ISO 4217 currency code such as `EUR` or `KRW`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses a three-letter upper-case code.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let bytes = code.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(Self([bytes[0], bytes[1], bytes[2]]))
        } else {
            Err(MoneyError::InvalidCurrency(code.chars().take(16).collect()))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

/// An amount in minor units (cents, won…) of a currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units; may be negative for discounts and refunds owed.
    pub amount_minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount of `amount_minor` minor units.
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self {
            amount_minor,
            currency,
        }
    }

    /// Zero of a currency.
    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// A non-negative amount (a price, a payment); negative amounts are rejected.
    pub fn non_negative(amount_minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        if amount_minor < 0 {
            Err(MoneyError::Negative(amount_minor))
        } else {
            Ok(Self::new(amount_minor, currency))
        }
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    /// `self + other`, same currency, no overflow.
    pub fn checked_add(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount_minor
            .checked_add(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self - other`, same currency, no overflow.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount_minor
            .checked_sub(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self × factor`, no overflow.
    pub fn checked_mul(&self, factor: i64) -> Result<Money, MoneyError> {
        let amount = self
            .amount_minor
            .checked_mul(factor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self × basis_points / 10 000`, rounded half away from zero (100 % = 10 000 bp).
    pub fn percent_bp(&self, basis_points: u32) -> Result<Money, MoneyError> {
        let product = i128::from(self.amount_minor) * i128::from(basis_points);
        let half = if product >= 0 { 5_000 } else { -5_000 };
        let amount = i64::try_from((product + half) / 10_000).map_err(|_| MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// The smaller of two amounts of the same currency.
    pub fn min(&self, other: &Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(if self.amount_minor <= other.amount_minor {
            *self
        } else {
            *other
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_minor, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(n: i64) -> Money {
        Money::new(n, Currency::parse("EUR").unwrap())
    }

    #[test]
    fn it_should_reject_bad_currency_codes() {
        for bad in ["eur", "EU", "EURO", "E1R", ""] {
            assert!(
                matches!(Currency::parse(bad), Err(MoneyError::InvalidCurrency(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn it_should_not_mix_currencies() {
        let krw = Money::new(1000, Currency::parse("KRW").unwrap());
        assert!(matches!(
            eur(1).checked_add(&krw),
            Err(MoneyError::CurrencyMismatch { .. })
        ));
    }

    #[test]
    fn percentages_round_half_away_from_zero() {
        assert_eq!(eur(1005).percent_bp(5_000).unwrap(), eur(503));
        assert_eq!(eur(-1005).percent_bp(5_000).unwrap(), eur(-503));
        assert_eq!(eur(999).percent_bp(10_000).unwrap(), eur(999));
        assert_eq!(eur(i64::MAX).percent_bp(10_000).unwrap(), eur(i64::MAX));
    }

    #[test]
    fn it_should_report_overflow() {
        assert_eq!(
            eur(i64::MAX).checked_add(&eur(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(eur(i64::MAX).checked_mul(2), Err(MoneyError::Overflow));
    }

    #[test]
    fn money_json_shape_is_pinned() {
        assert_eq!(
            serde_json::to_value(eur(1250)).unwrap(),
            serde_json::json!({"amount_minor": 1250, "currency": "EUR"})
        );
    }
}
