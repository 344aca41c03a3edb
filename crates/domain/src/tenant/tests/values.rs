//! The values a business is made of.

use super::*;

#[test]
fn slugs_are_lower_case_letters_digits_and_single_dashes() {
    for ok in [
        "abc",
        "mia-bingsu",
        "Mia-Bingsu",
        "hotel-42",
        &"a".repeat(40),
    ] {
        let slug = Slug::parse(ok).unwrap();
        assert_eq!(slug.as_str(), ok.to_ascii_lowercase());
    }
    for bad in [
        "ab",
        &"a".repeat(41),
        "4ever",
        "-abc",
        "abc-",
        "a--b",
        "caf\u{e9}",
        "a b c",
        "a_b",
        "",
    ] {
        assert!(
            matches!(Slug::parse(bad), Err(ValueError::InvalidSlug { .. })),
            "{bad:?} parsed"
        );
    }
    for reserved in ["admin", "API", "www", "graphql", "signup"] {
        assert!(
            matches!(Slug::parse(reserved), Err(ValueError::ReservedSlug { .. })),
            "{reserved} parsed"
        );
    }
}

#[test]
fn names_colours_logos_digests_and_time_zones_parse_or_say_why() {
    assert_eq!(BusinessName::parse("  Mia's  ").unwrap().as_str(), "Mia's");
    assert!(BusinessName::parse(&"é".repeat(100)).is_ok());
    for bad in ["", "  ", &"x".repeat(101), "a\nb"] {
        assert!(matches!(
            BusinessName::parse(bad),
            Err(ValueError::InvalidName { .. })
        ));
    }
    assert_eq!(HexColour::parse("#FFaa00").unwrap().as_str(), "#ffaa00");
    for bad in ["ffaa00", "#ffaa0", "#ffaa00f", "#gggggg"] {
        assert!(HexColour::parse(bad).is_err(), "{bad}");
    }
    assert!(LogoRef::parse("tenants/01JZ/logo.png").is_ok());
    for bad in ["", "/etc/passwd", "../x", "a b", &"a".repeat(201)] {
        assert!(LogoRef::parse(bad).is_err(), "{bad}");
    }
    assert!(Digest::parse(&"AB".repeat(32)).is_ok());
    for bad in ["", "zz", &"a".repeat(63), &"g".repeat(64)] {
        assert_eq!(Digest::parse(bad), Err(ValueError::InvalidDigest));
    }
    assert_eq!(
        parse_time_zone(" Asia/Seoul ").unwrap(),
        chrono_tz::Asia::Seoul
    );
    assert!(matches!(
        parse_time_zone("Mars/Olympus"),
        Err(ValueError::UnknownTimeZone { .. })
    ));
}

#[test]
fn values_are_validated_again_when_read_back() {
    assert!(serde_json::from_str::<Slug>("\"admin\"").is_err());
    assert!(serde_json::from_str::<HexColour>("\"red\"").is_err());
    let slug: Slug = serde_json::from_str("\"mia-bingsu\"").unwrap();
    assert_eq!(slug.as_str(), "mia-bingsu");
}
