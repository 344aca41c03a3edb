//! Inputs of the listing mutations.

use async_graphql::{Enum, ID, InputObject};
use holdfast_domain::common::{ListingId, Money, TenantId};
use holdfast_domain::listing::{
    Category, Description, ListingName, Location, LocationInput as DomainLocation,
    SuspensionReason, Tags, UpdateListingDetails, parse_time_zone,
};

use super::money::MoneyInput;
use super::policy::BookingPolicyInput;
use super::{bounded_text, field_error, parse_id};
use crate::error::ApiError;

/// The kind of business a listing is (input form).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CategoryInput {
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

impl From<CategoryInput> for Category {
    fn from(c: CategoryInput) -> Self {
        match c {
            CategoryInput::Accommodation => Category::Accommodation,
            CategoryInput::Restaurant => Category::Restaurant,
            CategoryInput::Event => Category::Event,
            CategoryInput::Shop => Category::Shop,
            CategoryInput::Other => Category::Other,
        }
    }
}

/// Where a listing is.
#[derive(InputObject, Clone, Debug)]
pub struct LocationInput {
    /// Postal address (1..=500 characters).
    pub address: String,
    /// ISO 3166 region code: `KR`, `KR-11`, `DE-BE`.
    pub region_code: String,
    /// Latitude in decimal degrees (−90..=90; 7 decimals kept).
    pub latitude: f64,
    /// Longitude in decimal degrees (−180..=180; 7 decimals kept).
    pub longitude: f64,
}

fn e7(field: &str, degrees: f64, max: f64) -> Result<i64, ApiError> {
    if !degrees.is_finite() || degrees.abs() > max {
        return Err(field_error(field, format!("must be within ±{max} degrees")));
    }
    // |degrees| <= 180, so the product fits an i64 exactly enough.
    Ok((degrees * 1e7).round() as i64)
}

impl LocationInput {
    fn parse(&self, field: &str) -> Result<DomainLocation, ApiError> {
        let location = DomainLocation {
            address: bounded_text(
                &format!("{field}.address"),
                &self.address,
                Location::MAX_ADDRESS_CHARS,
            )?
            .to_owned(),
            region_code: bounded_text(&format!("{field}.regionCode"), &self.region_code, 16)?
                .to_owned(),
            lat_e7: e7(&format!("{field}.latitude"), self.latitude, 90.0)?,
            lon_e7: e7(&format!("{field}.longitude"), self.longitude, 180.0)?,
        };
        Location::parse(
            &location.address,
            &location.region_code,
            location.lat_e7,
            location.lon_e7,
        )
        .map_err(|e| field_error(field, e))?;
        Ok(location)
    }
}

fn name(field: &str, text: &str) -> Result<String, ApiError> {
    bounded_text(field, text, ListingName::MAX_CHARS * 4)?;
    ListingName::parse(text).map_err(|e| field_error(field, e))?;
    Ok(text.to_owned())
}

fn tags(field: &str, tags: &[String]) -> Result<Vec<String>, ApiError> {
    Tags::parse(tags).map_err(|e| field_error(field, e))?;
    Ok(tags.to_vec())
}

fn description(field: &str, text: &str) -> Result<String, ApiError> {
    bounded_text(field, text, Description::MAX_CHARS * 4)?;
    Description::parse(text).map_err(|e| field_error(field, e))?;
    Ok(text.to_owned())
}

fn time_zone(field: &str, text: &str) -> Result<String, ApiError> {
    bounded_text(field, text, 64)?;
    parse_time_zone(text).map_err(|e| field_error(field, e))?;
    Ok(text.to_owned())
}

fn price(field: &str, money: &MoneyInput) -> Result<Money, ApiError> {
    money.parse(field)
}

/// A new listing (a draft).
#[derive(InputObject, Clone, Debug)]
pub struct CreateListingInput {
    /// The owning tenant: admins must give it; an operator may omit it (their own tenant).
    pub tenant_id: Option<ID>,
    /// Name (1..=120 characters).
    pub name: String,
    /// Category.
    pub category: CategoryInput,
    /// Search tags (at most 32, each 1..=40 characters).
    #[graphql(default)]
    pub tags: Vec<String>,
    /// Description (at most 10 000 characters).
    #[graphql(default)]
    pub description: String,
    /// Location.
    pub location: LocationInput,
    /// IANA time zone, e.g. `Asia/Seoul`: every date and time of the policy is in it.
    pub time_zone: String,
    /// The price shown in listings.
    pub display_price: MoneyInput,
    /// The booking rules.
    pub policy: BookingPolicyInput,
}

/// A parsed [`CreateListingInput`] (everything but the ids, which the resolver decides).
pub struct NewListing {
    /// The tenant asked for, if any.
    pub tenant_id: Option<TenantId>,
    /// The command's body, with a nil listing id and tenant to fill in.
    pub command: holdfast_domain::listing::CreateListing,
}

impl CreateListingInput {
    /// Validates every field.
    pub fn parse(&self) -> Result<NewListing, ApiError> {
        let tenant_id = self
            .tenant_id
            .as_ref()
            .map(|id| parse_id("input.tenantId", id, TenantId::parse))
            .transpose()?;
        Ok(NewListing {
            tenant_id,
            command: holdfast_domain::listing::CreateListing {
                listing_id: ListingId::default(),
                tenant_id: TenantId::default(),
                name: name("input.name", &self.name)?,
                category: self.category.into(),
                tags: tags("input.tags", &self.tags)?,
                description: description("input.description", &self.description)?,
                location: self.location.parse("input.location")?,
                time_zone: time_zone("input.timeZone", &self.time_zone)?,
                display_price: price("input.displayPrice", &self.display_price)?,
                policy: self.policy.parse("input.policy")?,
            },
        })
    }
}

/// Changes to a listing's details; omitted fields stay as they are.
#[derive(InputObject, Clone, Debug)]
pub struct UpdateListingDetailsInput {
    /// The listing.
    pub listing_id: ID,
    /// New name.
    pub name: Option<String>,
    /// New category.
    pub category: Option<CategoryInput>,
    /// New tags (replace the old set).
    pub tags: Option<Vec<String>>,
    /// New description.
    pub description: Option<String>,
    /// New location.
    pub location: Option<LocationInput>,
    /// New IANA time zone.
    pub time_zone: Option<String>,
    /// New display price.
    pub display_price: Option<MoneyInput>,
}

impl UpdateListingDetailsInput {
    /// Validates every given field.
    pub fn parse(&self) -> Result<(ListingId, UpdateListingDetails), ApiError> {
        let id = parse_id("input.listingId", &self.listing_id, ListingId::parse)?;
        Ok((
            id,
            UpdateListingDetails {
                name: self
                    .name
                    .as_deref()
                    .map(|n| name("input.name", n))
                    .transpose()?,
                category: self.category.map(Into::into),
                tags: self
                    .tags
                    .as_deref()
                    .map(|t| tags("input.tags", t))
                    .transpose()?,
                description: self
                    .description
                    .as_deref()
                    .map(|d| description("input.description", d))
                    .transpose()?,
                location: self
                    .location
                    .as_ref()
                    .map(|l| l.parse("input.location"))
                    .transpose()?,
                time_zone: self
                    .time_zone
                    .as_deref()
                    .map(|z| time_zone("input.timeZone", z))
                    .transpose()?,
                display_price: self
                    .display_price
                    .as_ref()
                    .map(|p| price("input.displayPrice", p))
                    .transpose()?,
            },
        ))
    }
}

/// A suspension's reason (1..=500 characters).
pub fn suspension_reason(text: &str) -> Result<String, ApiError> {
    bounded_text("reason", text, SuspensionReason::MAX_CHARS * 4)?;
    SuspensionReason::parse(text).map_err(|e| field_error("reason", e))?;
    Ok(text.to_owned())
}
