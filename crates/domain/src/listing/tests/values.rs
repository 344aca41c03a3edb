//! The listing's value types.

use super::*;

#[test]
fn coordinates_parse_from_decimal_text_exactly() {
    let p = GeoPoint::parse_degrees("37.5665", "-126.978").unwrap();
    assert_eq!((p.lat_e7(), p.lon_e7()), (375_665_000, -1_269_780_000));
    let p = GeoPoint::parse_degrees("-90", "+180.0000000").unwrap();
    assert_eq!((p.lat_e7(), p.lon_e7()), (-900_000_000, 1_800_000_000));
    for bad in ["", "1e5", "37.12345678", "--1", "1.2.3", "NaN", "1234", "."] {
        assert_eq!(
            GeoPoint::parse_degrees(bad, "0"),
            Err(LocationError::MalformedCoordinate { input: bad.into() }),
            "{bad}"
        );
    }
    assert_eq!(
        GeoPoint::parse_degrees("90.0000001", "0"),
        Err(LocationError::LatitudeOutOfRange {
            lat_e7: 900_000_001
        })
    );
}

#[test]
fn region_codes_are_iso_3166() {
    for ok in ["KR", "kr-11", "DE-BE", "US-CA", "FR-75C"] {
        assert!(Location::parse("a", ok, 0, 0).is_ok(), "{ok}");
    }
    for bad in ["K", "KOR", "KR-", "KR-1234", "1R", "KR_11"] {
        assert!(
            matches!(
                Location::parse("a", bad, 0, 0),
                Err(LocationError::InvalidRegionCode { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn tags_are_normalised_deduplicated_and_sorted() {
    let tags = Tags::parse(&[" Rooftop Bar", "BINGSU", "rooftop bar", "Dessert"]).unwrap();
    let tags: Vec<_> = tags.as_slice().iter().map(Tag::as_str).collect();
    assert_eq!(tags, ["bingsu", "dessert", "rooftop bar"]);
    // A huge list is refused before anything is normalised.
    let many = vec!["x"; 10_000];
    assert_eq!(
        Tags::parse(&many),
        Err(ListingError::TooManyTags {
            count: 10_000,
            max: 32
        })
    );
}

#[test]
fn time_zones_parse_by_iana_name() {
    assert_eq!(parse_time_zone("Asia/Seoul"), Ok(chrono_tz::Asia::Seoul));
    assert_eq!(
        parse_time_zone("KST"),
        Err(ListingError::UnknownTimeZone { name: "KST".into() })
    );
    assert_eq!(
        serde_json::to_value(chrono_tz::Asia::Seoul).unwrap(),
        serde_json::json!("Asia/Seoul")
    );
}

#[test]
fn invalid_values_cannot_be_deserialised() {
    use serde_json::json;
    assert!(serde_json::from_value::<ListingName>(json!("")).is_err());
    assert!(serde_json::from_value::<Tags>(json!(["ok", ""])).is_err());
    assert!(
        serde_json::from_value::<GeoPoint>(json!({"lat_e7": 900_000_001, "lon_e7": 0})).is_err()
    );
    assert!(
        serde_json::from_value::<Location>(json!({
            "address": "", "region_code": "KR", "point": {"lat_e7": 0, "lon_e7": 0}
        }))
        .is_err()
    );
}
