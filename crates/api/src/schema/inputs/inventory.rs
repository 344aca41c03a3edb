//! Inputs of the inventory mutations.

use async_graphql::{ID, InputObject};
use holdfast_domain::common::{Currency, InventoryId, ListingId, Money};
use holdfast_domain::inventory::{InventoryName, MAX_CAPACITY, SlotSelection};

use super::money::{MoneyInput, parse_currency};
use super::{bounded_text, field_error, parse_id, parse_range, parse_time, parse_u32};
use crate::error::ApiError;

/// A new inventory (a capacity calendar) for a listing.
#[derive(InputObject, Clone, Debug)]
pub struct DefineInventoryInput {
    /// The listing it is stock for (the inventory belongs to the listing's tenant).
    pub listing_id: ID,
    /// Display name (1..=120 characters).
    pub name: String,
    /// The currency of every price on it.
    pub currency: String,
}

impl DefineInventoryInput {
    /// Validates every field.
    pub fn parse(&self) -> Result<(ListingId, InventoryName, Currency), ApiError> {
        bounded_text("input.name", &self.name, InventoryName::MAX_CHARS * 4)?;
        Ok((
            parse_id("input.listingId", &self.listing_id, ListingId::parse)?,
            InventoryName::parse(&self.name).map_err(|e| field_error("input.name", e))?,
            parse_currency("input.currency", &self.currency)?,
        ))
    }
}

/// What kind of fact an attribute states.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "holdfast_domain::inventory::AttributeKind")]
pub enum AttributeKind {
    /// Wi-Fi, a balcony, a bathtub.
    Amenity,
    /// Korean, vegetarian, halal.
    Cuisine,
    /// Window seat, private room, counter.
    Seating,
    /// Step-free access, an accessible bathroom.
    Accessibility,
    /// Anything else.
    Other,
}

/// An attribute of a listing or an inventory: `{kind: AMENITY, value: "balcony"}`.
#[derive(InputObject, Clone, Debug)]
pub struct AttributeInput {
    /// The kind.
    pub kind: AttributeKind,
    /// The value (1..=60 characters).
    pub value: String,
}

/// Attributes as the domain takes them (sizes checked first, so a huge input is refused
/// before it is copied).
pub fn attributes_of(
    field: &str,
    attributes: &[AttributeInput],
) -> Result<Vec<holdfast_domain::inventory::Attribute>, ApiError> {
    use holdfast_domain::inventory::InventoryContent;
    if attributes.len() > InventoryContent::MAX_ATTRIBUTES {
        return Err(field_error(
            field,
            format!("at most {}", InventoryContent::MAX_ATTRIBUTES),
        ));
    }
    for a in attributes {
        bounded_text(field, &a.value, InventoryContent::MAX_ATTRIBUTE * 4)?;
    }
    Ok(attributes
        .iter()
        .map(|a| holdfast_domain::inventory::Attribute {
            kind: a.kind.into(),
            value: a.value.clone(),
        })
        .collect())
}

/// An inventory's name and what guests read about it (replacing what was there).
#[derive(InputObject, Clone, Debug)]
pub struct DescribeInventoryInput {
    /// The inventory.
    pub inventory_id: ID,
    /// Display name (1..=120 characters).
    pub name: String,
    /// Description, plain text, line breaks kept (at most 5 000 characters).
    #[graphql(default)]
    pub description: String,
    /// How many people one unit takes (1..=1000).
    pub max_occupancy: Option<i64>,
    /// Amenities, cuisine, seating, accessibility… (at most 50, no repeats).
    #[graphql(default)]
    pub attributes: Vec<AttributeInput>,
}

impl DescribeInventoryInput {
    /// Validates every field.
    pub fn parse(
        &self,
    ) -> Result<
        (
            holdfast_domain::common::InventoryId,
            InventoryName,
            holdfast_domain::inventory::InventoryContent,
        ),
        ApiError,
    > {
        use holdfast_domain::inventory::InventoryContent;
        bounded_text("input.name", &self.name, InventoryName::MAX_CHARS * 4)?;
        bounded_text(
            "input.description",
            &self.description,
            InventoryContent::MAX_DESCRIPTION * 4,
        )?;
        let id = parse_id(
            "input.inventoryId",
            &self.inventory_id,
            holdfast_domain::common::InventoryId::parse,
        )?;
        let name = InventoryName::parse(&self.name).map_err(|e| field_error("input.name", e))?;
        let occupancy = self
            .max_occupancy
            .map(|n| {
                u32::try_from(n)
                    .map_err(|_| field_error("input.maxOccupancy", "between 1 and 1000"))
            })
            .transpose()?;
        let attributes = attributes_of("input.attributes", &self.attributes)?;
        let content =
            InventoryContent::new(&self.description, occupancy, attributes).map_err(|e| {
                use holdfast_domain::inventory::ContentError as E;
                let field = match e {
                    E::DescriptionTooLong { .. } | E::DescriptionControlCharacter => {
                        "input.description"
                    }
                    E::OccupancyOutOfRange { .. } => "input.maxOccupancy",
                    _ => "input.attributes",
                };
                field_error(field, e)
            })?;
        Ok((id, name, content))
    }
}

/// Slots: every date of `[from, to)`, as day slots (nights, event dates) when `times` is
/// empty, else once per start time.
#[derive(InputObject, Clone, Debug)]
pub struct SlotSelectionInput {
    /// First date (`YYYY-MM-DD`).
    pub from: String,
    /// End date, exclusive (`YYYY-MM-DD`).
    pub to: String,
    /// Start times (`HH:MM`) for time slots.
    #[graphql(default)]
    pub times: Vec<String>,
}

impl SlotSelectionInput {
    /// Parses the selection; at most `MAX_SLOTS_PER_COMMAND` slots.
    pub fn parse(&self, field: &str) -> Result<SlotSelection, ApiError> {
        let dates = parse_range(field, &self.from, &self.to)?;
        if self.times.len() > 1_440 {
            return Err(field_error(
                &format!("{field}.times"),
                "at most 1440 start times",
            ));
        }
        let times = self
            .times
            .iter()
            .map(|t| parse_time(&format!("{field}.times"), t))
            .collect::<Result<Vec<_>, _>>()?;
        let selection = SlotSelection::at_times(dates, times);
        selection.slots().map_err(|e| field_error(field, e))?;
        Ok(selection)
    }
}

/// Sets the capacity of slots.
#[derive(InputObject, Clone, Debug)]
pub struct SetCapacityInput {
    /// The inventory.
    pub inventory_id: ID,
    /// The slots.
    pub selection: SlotSelectionInput,
    /// Units per slot (0..=1 000 000).
    pub capacity: i64,
}

impl SetCapacityInput {
    /// Validates every field.
    pub fn parse(&self) -> Result<(InventoryId, SlotSelection, u32), ApiError> {
        Ok((
            parse_id("input.inventoryId", &self.inventory_id, InventoryId::parse)?,
            self.selection.parse("input.selection")?,
            parse_u32("input.capacity", self.capacity, 0, MAX_CAPACITY)?,
        ))
    }
}

/// Sets the unit price of slots.
#[derive(InputObject, Clone, Debug)]
pub struct SetPriceInput {
    /// The inventory.
    pub inventory_id: ID,
    /// The slots.
    pub selection: SlotSelectionInput,
    /// Price of one unit (in the inventory's currency).
    pub price: MoneyInput,
}

impl SetPriceInput {
    /// Validates every field.
    pub fn parse(&self) -> Result<(InventoryId, SlotSelection, Money), ApiError> {
        Ok((
            parse_id("input.inventoryId", &self.inventory_id, InventoryId::parse)?,
            self.selection.parse("input.selection")?,
            self.price.parse("input.price")?,
        ))
    }
}

/// Closes or opens slots.
#[derive(InputObject, Clone, Debug)]
pub struct SlotsInput {
    /// The inventory.
    pub inventory_id: ID,
    /// The slots.
    pub selection: SlotSelectionInput,
}

impl SlotsInput {
    /// Validates every field.
    pub fn parse(&self) -> Result<(InventoryId, SlotSelection), ApiError> {
        Ok((
            parse_id("input.inventoryId", &self.inventory_id, InventoryId::parse)?,
            self.selection.parse("input.selection")?,
        ))
    }
}
