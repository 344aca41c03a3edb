//! The validated values a listing is made of: name, category, tags, description, location, time
//! zone. Each parses from raw input and cannot exist invalid; deserialising validates again.

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::error::{ListingError, LocationError, TextProblem};

/// Checks trimmed text: not empty (unless allowed), at most `max` characters, no control
/// characters (unless multi-line text is allowed).
fn check_text(s: &str, max: usize, allow_empty: bool, multiline: bool) -> Result<(), TextProblem> {
    let length = s.chars().count();
    if length == 0 && !allow_empty {
        return Err(TextProblem::Empty);
    }
    if length > max {
        return Err(TextProblem::TooLong { length, max });
    }
    let bad = |c: char| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r'));
    if s.chars().any(bad) {
        return Err(TextProblem::ControlCharacter);
    }
    Ok(())
}

use crate::common::text::text_newtype;

text_newtype!(
    /// A listing's name: trimmed, 1..=120 characters, no control characters.
    ListingName, ListingError
);

impl ListingName {
    /// The longest name.
    pub const MAX_CHARS: usize = 120;

    /// Trims and validates `s`.
    pub fn parse(s: &str) -> Result<Self, ListingError> {
        let s = s.trim();
        check_text(s, Self::MAX_CHARS, false, false)
            .map_err(|problem| ListingError::InvalidName { problem })?;
        Ok(Self(s.to_owned()))
    }
}

text_newtype!(
    /// A search tag: trimmed, lower-cased, 1..=40 characters, no control characters.
    Tag, ListingError
);

impl Tag {
    /// The longest tag.
    pub const MAX_CHARS: usize = 40;

    /// Trims, lower-cases and validates `s`.
    pub fn parse(s: &str) -> Result<Self, ListingError> {
        let s = s.trim().to_lowercase();
        check_text(&s, Self::MAX_CHARS, false, false).map_err(|problem| {
            ListingError::InvalidTag {
                tag: s.chars().take(64).collect(),
                problem,
            }
        })?;
        Ok(Self(s))
    }
}

text_newtype!(
    /// A free-text description: at most 10 000 characters (may be empty; line breaks and tabs
    /// allowed, other control characters not).
    Description, ListingError
);

impl Description {
    /// The longest description.
    pub const MAX_CHARS: usize = 10_000;

    /// Validates `s` (kept as given, apart from surrounding white space).
    pub fn parse(s: &str) -> Result<Self, ListingError> {
        let s = s.trim();
        check_text(s, Self::MAX_CHARS, true, true).map_err(|problem| match problem {
            TextProblem::TooLong { length, max } => {
                ListingError::DescriptionTooLong { length, max }
            }
            problem => ListingError::InvalidDescription { problem },
        })?;
        Ok(Self(s.to_owned()))
    }
}

text_newtype!(
    /// Why a listing was suspended: trimmed, 1..=500 characters.
    SuspensionReason, ListingError
);

impl SuspensionReason {
    /// The longest reason.
    pub const MAX_CHARS: usize = 500;

    /// Trims and validates `s`.
    pub fn parse(s: &str) -> Result<Self, ListingError> {
        let s = s.trim();
        check_text(s, Self::MAX_CHARS, false, true)
            .map_err(|problem| ListingError::InvalidSuspensionReason { problem })?;
        Ok(Self(s.to_owned()))
    }
}

/// A listing's tags: at most 32, normalised, deduplicated and sorted (so the same set given in
/// another order or case is the same value).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Tags(Vec<Tag>);

impl Tags {
    /// The most tags a listing may carry.
    pub const MAX: usize = 32;

    /// Parses each tag, then deduplicates; more than [`Self::MAX`] distinct tags is an error.
    pub fn parse<S: AsRef<str>>(tags: &[S]) -> Result<Self, ListingError> {
        // Refuse absurd inputs before normalising them one by one.
        if tags.len() > Self::MAX * 8 {
            return Err(ListingError::TooManyTags {
                count: tags.len(),
                max: Self::MAX,
            });
        }
        let mut parsed = tags
            .iter()
            .map(|t| Tag::parse(t.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        parsed.sort();
        parsed.dedup();
        if parsed.len() > Self::MAX {
            return Err(ListingError::TooManyTags {
                count: parsed.len(),
                max: Self::MAX,
            });
        }
        Ok(Self(parsed))
    }

    /// The tags, sorted.
    pub fn as_slice(&self) -> &[Tag] {
        &self.0
    }
}

impl TryFrom<Vec<String>> for Tags {
    type Error = ListingError;
    fn try_from(value: Vec<String>) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Tags> for Vec<String> {
    fn from(value: Tags) -> Self {
        value.0.into_iter().map(String::from).collect()
    }
}

/// What kind of business a listing is. A closed set: search facets and the GraphQL enum need
/// fixed values, and anything finer ("bingsu", "rooftop") belongs in tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Hotels, guest houses, rentals.
    Accommodation,
    /// Restaurants, cafés, dessert shops.
    Restaurant,
    /// Concerts, shows, tours, classes.
    Event,
    /// Shops with bookable pickups or appointments.
    Shop,
    /// Anything else.
    Other,
}

/// A point on Earth in integer units of 10⁻⁷ degree (about 1 cm; never floats).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawGeoPoint", into = "RawGeoPoint")]
pub struct GeoPoint {
    lat_e7: i32,
    lon_e7: i32,
}

#[derive(Serialize, Deserialize)]
struct RawGeoPoint {
    lat_e7: i64,
    lon_e7: i64,
}

impl GeoPoint {
    /// 10⁻⁷ degree units per degree.
    pub const UNITS_PER_DEGREE: i64 = 10_000_000;

    /// A point from 10⁻⁷-degree units: latitude −90..=90°, longitude −180..=180°.
    pub fn new(lat_e7: i64, lon_e7: i64) -> Result<Self, LocationError> {
        let lat_max = 90 * Self::UNITS_PER_DEGREE;
        let lon_max = 180 * Self::UNITS_PER_DEGREE;
        if !(-lat_max..=lat_max).contains(&lat_e7) {
            return Err(LocationError::LatitudeOutOfRange { lat_e7 });
        }
        if !(-lon_max..=lon_max).contains(&lon_e7) {
            return Err(LocationError::LongitudeOutOfRange { lon_e7 });
        }
        // Both bounds fit in i32 (1.8e9 < 2.1e9).
        Ok(Self {
            lat_e7: i32::try_from(lat_e7).unwrap_or_default(),
            lon_e7: i32::try_from(lon_e7).unwrap_or_default(),
        })
    }

    /// A point from decimal degrees as text (`"37.5665"`, `"-126.978"`), at most 7 decimals.
    pub fn parse_degrees(lat: &str, lon: &str) -> Result<Self, LocationError> {
        Self::new(parse_e7(lat)?, parse_e7(lon)?)
    }

    /// Latitude in 10⁻⁷ degrees.
    pub fn lat_e7(&self) -> i32 {
        self.lat_e7
    }

    /// Longitude in 10⁻⁷ degrees.
    pub fn lon_e7(&self) -> i32 {
        self.lon_e7
    }
}

/// Decimal degrees text to 10⁻⁷-degree units, exactly (no floats).
fn parse_e7(s: &str) -> Result<i64, LocationError> {
    let malformed = || LocationError::MalformedCoordinate {
        input: s.chars().take(32).collect(),
    };
    let t = s.trim();
    let (negative, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 3
        || frac.len() > 7
        || !all_digits(whole)
        || !all_digits(frac)
    {
        return Err(malformed());
    }
    let whole: i64 = whole.parse().map_err(|_| malformed())?;
    let frac_units: i64 = format!("{frac:0<7}").parse().map_err(|_| malformed())?;
    let units = whole * GeoPoint::UNITS_PER_DEGREE + frac_units;
    Ok(if negative { -units } else { units })
}

impl TryFrom<RawGeoPoint> for GeoPoint {
    type Error = LocationError;
    fn try_from(raw: RawGeoPoint) -> Result<Self, Self::Error> {
        Self::new(raw.lat_e7, raw.lon_e7)
    }
}

impl From<GeoPoint> for RawGeoPoint {
    fn from(p: GeoPoint) -> Self {
        Self {
            lat_e7: i64::from(p.lat_e7),
            lon_e7: i64::from(p.lon_e7),
        }
    }
}

/// Where a listing is: a postal address, an ISO 3166 region code (`KR`, `KR-11`, `DE-BE`) and a
/// point. Built by [`Location::parse`]; deserialising validates again.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawLocation", into = "RawLocation")]
pub struct Location {
    address: String,
    region_code: String,
    point: GeoPoint,
}

#[derive(Serialize, Deserialize)]
struct RawLocation {
    address: String,
    region_code: String,
    point: GeoPoint,
}

impl Location {
    /// The longest address.
    pub const MAX_ADDRESS_CHARS: usize = 500;

    /// Validates a location from raw parts (coordinates in 10⁻⁷ degrees): the address trimmed,
    /// 1..=500 characters; the region code upper-cased, `CC` or `CC-SSS`.
    pub fn parse(
        address: &str,
        region_code: &str,
        lat_e7: i64,
        lon_e7: i64,
    ) -> Result<Self, LocationError> {
        let address = address.trim();
        check_text(address, Self::MAX_ADDRESS_CHARS, false, false)
            .map_err(|problem| LocationError::InvalidAddress { problem })?;
        let region_code = region_code.trim().to_ascii_uppercase();
        if !is_region_code(&region_code) {
            return Err(LocationError::InvalidRegionCode {
                code: region_code.chars().take(16).collect(),
            });
        }
        Ok(Self {
            address: address.to_owned(),
            region_code,
            point: GeoPoint::new(lat_e7, lon_e7)?,
        })
    }

    /// The address as shown to guests.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// ISO 3166-1 alpha-2 country code, optionally with an ISO 3166-2 subdivision.
    pub fn region_code(&self) -> &str {
        &self.region_code
    }

    /// Coordinates.
    pub fn point(&self) -> GeoPoint {
        self.point
    }
}

impl TryFrom<RawLocation> for Location {
    type Error = LocationError;
    fn try_from(raw: RawLocation) -> Result<Self, Self::Error> {
        Self::parse(
            &raw.address,
            &raw.region_code,
            i64::from(raw.point.lat_e7),
            i64::from(raw.point.lon_e7),
        )
    }
}

impl From<Location> for RawLocation {
    fn from(l: Location) -> Self {
        Self {
            address: l.address,
            region_code: l.region_code,
            point: l.point,
        }
    }
}

/// `CC` or `CC-SSS` (two letters, then 1..=3 letters or digits).
fn is_region_code(code: &str) -> bool {
    let (country, sub) = match code.split_once('-') {
        Some((c, s)) => (c, Some(s)),
        None => (code, None),
    };
    let country_ok = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
    let sub_ok = sub.is_none_or(|s| {
        (1..=3).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    });
    country_ok && sub_ok
}

/// Parses an IANA time zone name (`Asia/Seoul`); an unknown name is
/// [`ListingError::UnknownTimeZone`].
pub fn parse_time_zone(name: &str) -> Result<Tz, ListingError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| ListingError::UnknownTimeZone {
            name: name.chars().take(64).collect(),
        })
}
