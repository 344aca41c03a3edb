//! Inventory mutations (operators of the inventory's tenant, or admins).

use async_graphql::{Context, ID, Object, SimpleObject};
use holdfast_domain::common::InventoryId;
use holdfast_domain::inventory::{Inventory, InventoryCommand};
use holdfast_domain::listing::Listing;
use serde::{Deserialize, Serialize};

use super::{Caller, once_on};
use crate::error::{ApiError, EngineError};
use crate::schema::inputs::inventory::{
    DefineInventoryInput, DescribeInventoryInput, SetCapacityInput, SetPriceInput, SlotsInput,
};
use holdfast_engine::process::current;

/// What an inventory mutation did.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct InventoryPayload {
    /// The inventory.
    pub inventory_id: ID,
    /// Its listing.
    pub listing_id: ID,
    /// Pass to a query (e.g. the availability calendar) to read this write.
    pub consistency_token: Option<String>,
}

/// Inventory mutations.
#[derive(Default)]
pub struct InventoryMutation;

/// The payload of an inventory mutation, from the inventory's state after it (the token is
/// the commit's, filled in by [`once_on`]).
fn payload_of(id: InventoryId, inventory: &Inventory) -> Result<InventoryPayload, EngineError> {
    let def = inventory
        .definition()
        .ok_or_else(|| EngineError::not_found("inventory"))?;
    Ok(InventoryPayload {
        inventory_id: ID(id.to_string()),
        listing_id: ID(def.listing_id.to_string()),
        consistency_token: None,
    })
}

/// Sends `command` to an existing inventory the caller operates, once per key, in one commit.
async fn on_inventory(
    ctx: &Context<'_>,
    caller: &Caller<'_>,
    id: InventoryId,
    command: InventoryCommand,
) -> Result<InventoryPayload, ApiError> {
    let check = async {
        caller.require_operator()?;
        let inventory: Inventory = current(caller.state, &id.to_string()).await?;
        let def = inventory
            .definition()
            .ok_or_else(|| ApiError::not_found("inventory"))?;
        caller.authorize(def.tenant_id)?;
        Ok(command)
    };
    let inventories = &caller.state.commands.inventories;
    once_on(ctx, caller, inventories, id.to_string(), check, move |i| {
        payload_of(id, i)
    })
    .await
}

#[Object]
impl InventoryMutation {
    /// Defines a capacity calendar for a listing the caller operates.
    async fn define_inventory(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: DefineInventoryInput,
    ) -> async_graphql::Result<InventoryPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let (listing_id, name, currency) = input.parse()?;
        let id = InventoryId(caller.derived_id("inventory"));
        let check = async {
            let listing: Listing = current(caller.state, &listing_id.to_string()).await?;
            let tenant_id = listing
                .state()
                .ok_or_else(|| ApiError::not_found("listing"))?
                .tenant_id;
            caller.authorize(tenant_id)?;
            Ok(InventoryCommand::DefineInventory {
                inventory_id: id,
                tenant_id,
                listing_id,
                name,
                currency,
            })
        };
        let inventories = &caller.state.commands.inventories;
        Ok(
            once_on(ctx, &caller, inventories, id.to_string(), check, move |i| {
                payload_of(id, i)
            })
            .await?,
        )
    }

    /// Renames an inventory and replaces what guests read about it: description, max
    /// occupancy, attributes (amenities, cuisine, seating, accessibility). An identical repeat
    /// changes nothing.
    async fn describe_inventory(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: DescribeInventoryInput,
    ) -> async_graphql::Result<InventoryPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let (id, name, content) = input.parse()?;
        let command = InventoryCommand::DescribeInventory { name, content };
        Ok(on_inventory(ctx, &caller, id, command).await?)
    }

    /// Sets the capacity of slots (creating them); never below what is taken.
    async fn set_capacity(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: SetCapacityInput,
    ) -> async_graphql::Result<InventoryPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let (id, selection, capacity) = input.parse()?;
        let command = InventoryCommand::SetCapacity {
            selection,
            capacity,
        };
        Ok(on_inventory(ctx, &caller, id, command).await?)
    }

    /// Sets the unit price of existing slots.
    async fn set_price(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: SetPriceInput,
    ) -> async_graphql::Result<InventoryPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let (id, selection, price) = input.parse()?;
        let command = InventoryCommand::SetPrice { selection, price };
        Ok(on_inventory(ctx, &caller, id, command).await?)
    }

    /// Stops new holds on slots (existing holds and allocations stay).
    async fn close_slots(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: SlotsInput,
    ) -> async_graphql::Result<InventoryPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let (id, selection) = input.parse()?;
        let command = InventoryCommand::CloseSlots { selection };
        Ok(on_inventory(ctx, &caller, id, command).await?)
    }

    /// Accepts holds again on slots.
    async fn open_slots(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: SlotsInput,
    ) -> async_graphql::Result<InventoryPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let (id, selection) = input.parse()?;
        let command = InventoryCommand::OpenSlots { selection };
        Ok(on_inventory(ctx, &caller, id, command).await?)
    }
}
