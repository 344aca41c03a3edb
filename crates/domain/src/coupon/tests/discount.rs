//! Discount arithmetic and coupon codes.

use proptest::prelude::*;

use super::*;

#[test]
fn a_fixed_discount_never_exceeds_the_subtotal() {
    let d = Discount::Fixed(money(2_500));
    assert_eq!(d.amount_for(money(10_000)), Ok(money(2_500)));
    assert_eq!(d.amount_for(money(1_000)), Ok(money(1_000)));
    assert_eq!(d.amount_for(money(0)), Ok(money(0)));
}

#[test]
fn a_percent_discount_rounds_half_away_from_zero_and_is_capped() {
    let d = Discount::Percent {
        bp: 1_250,
        max: Some(money(1_000)),
    };
    assert_eq!(d.amount_for(money(1_004)), Ok(money(126)));
    assert_eq!(d.amount_for(money(100_000)), Ok(money(1_000)));
    let all = Discount::Percent {
        bp: 10_000,
        max: None,
    };
    assert_eq!(
        all.amount_for(money(i64::MAX)),
        Ok(money(i64::MAX)),
        "no overflow"
    );
    // No currency in the discount: any subtotal currency works.
    assert_eq!(
        Discount::Percent {
            bp: 5_000,
            max: None
        }
        .amount_for(Money::new(1_001, krw())),
        Ok(Money::new(501, krw()))
    );
}

#[test]
fn amount_for_rejects_what_cannot_be_discounted() {
    let d = Discount::Fixed(money(100));
    assert_eq!(
        d.amount_for(Money::new(100, krw())),
        Err(CouponError::CurrencyMismatch {
            expected: eur(),
            got: krw()
        })
    );
    assert_eq!(
        d.amount_for(money(-5)),
        Err(CouponError::NegativeSubtotal {
            subtotal: money(-5)
        })
    );
    assert_eq!(
        Discount::Fixed(money(-1)).amount_for(money(5)),
        Err(CouponError::NonPositiveDiscount { amount: money(-1) })
    );
    assert_eq!(
        Discount::Percent {
            bp: 20_000,
            max: None
        }
        .amount_for(money(5)),
        Err(CouponError::PercentOutOfRange { bp: 20_000 })
    );
}

#[test]
fn coupon_codes_are_validated_and_upper_cased() {
    assert_eq!(
        CouponCode::parse(" summer-10 ").unwrap().as_str(),
        "SUMMER-10"
    );
    assert_eq!(
        CouponCode::parse("ab"),
        Err(CouponCodeError::Length {
            chars: 2,
            min: 3,
            max: 32
        })
    );
    assert_eq!(
        CouponCode::parse(&"A".repeat(33)),
        Err(CouponCodeError::Length {
            chars: 33,
            min: 3,
            max: 32
        })
    );
    assert_eq!(
        CouponCode::parse("SUMMER_10"),
        Err(CouponCodeError::InvalidCharacter { found: '_' })
    );
    assert_eq!(
        CouponCode::parse("ÉTÉ-10"),
        Err(CouponCodeError::InvalidCharacter { found: 'É' })
    );
    assert!(serde_json::from_value::<CouponCode>(serde_json::json!("a b")).is_err());
}

fn discount() -> impl Strategy<Value = Discount> {
    prop_oneof![
        (1i64..=i64::MAX).prop_map(|n| Discount::Fixed(money(n))),
        (1u32..=10_000, prop::option::of(1i64..=i64::MAX)).prop_map(|(bp, max)| {
            Discount::Percent {
                bp,
                max: max.map(money),
            }
        }),
    ]
}

proptest! {
    #[test]
    fn a_discount_is_never_negative_nor_above_the_subtotal(
        d in discount(),
        subtotal in prop_oneof![0i64..1_000_000, 0i64..=i64::MAX],
    ) {
        let amount = d.amount_for(money(subtotal)).unwrap();
        prop_assert!(amount.amount_minor >= 0);
        prop_assert!(amount.amount_minor <= subtotal);
        prop_assert_eq!(amount.currency, eur());
        match d {
            Discount::Fixed(f) => prop_assert_eq!(amount.amount_minor, f.amount_minor.min(subtotal)),
            Discount::Percent { bp, max } => {
                if let Some(max) = max {
                    prop_assert!(amount.amount_minor <= max.amount_minor);
                }
                let exact = i128::from(subtotal) * i128::from(bp);
                let uncapped = max.is_none_or(|m| i128::from(m.amount_minor) * 10_000 > exact + 5_000);
                if uncapped {
                    prop_assert!((i128::from(amount.amount_minor) * 10_000 - exact).abs() <= 5_000);
                }
            }
        }
    }
}
