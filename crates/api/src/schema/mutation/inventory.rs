//! Inventory mutations (operators of the inventory's tenant, or admins).

use async_graphql::{Context, ID, Object, SimpleObject};
use holdfast_domain::common::InventoryId;
use holdfast_domain::inventory::{Inventory, InventoryCommand};
use holdfast_domain::listing::Listing;
use serde::{Deserialize, Serialize};

use super::{Caller, once};
use crate::error::ApiError;
use crate::schema::inputs::inventory::{
    DefineInventoryInput, SetCapacityInput, SetPriceInput, SlotsInput,
};
use holdfast_engine::consistency;
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

/// Sends `command` to an existing inventory the caller operates.
async fn on_inventory(
    caller: &Caller<'_>,
    id: InventoryId,
    command: InventoryCommand,
) -> Result<InventoryPayload, ApiError> {
    caller.require_operator()?;
    let inventory: Inventory = current(caller.state, &id.to_string()).await?;
    let def = inventory
        .definition()
        .ok_or_else(|| ApiError::not_found("inventory"))?;
    caller.authorize(def.tenant_id)?;
    let committed = caller
        .state
        .commands
        .inventories
        .execute(&id.to_string(), command, caller.metadata())
        .await?;
    Ok(InventoryPayload {
        inventory_id: ID(id.to_string()),
        listing_id: ID(def.listing_id.to_string()),
        consistency_token: consistency::token(committed.position),
    })
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
        Ok(once::<_, ApiError, _>(ctx, &caller, async {
            let listing: Listing = current(caller.state, &listing_id.to_string()).await?;
            let tenant_id = listing
                .state()
                .ok_or_else(|| ApiError::not_found("listing"))?
                .tenant_id;
            caller.authorize(tenant_id)?;
            let committed = caller
                .state
                .commands
                .inventories
                .execute(
                    &id.to_string(),
                    InventoryCommand::DefineInventory {
                        inventory_id: id,
                        tenant_id,
                        listing_id,
                        name,
                        currency,
                    },
                    caller.metadata(),
                )
                .await?;
            Ok(InventoryPayload {
                inventory_id: ID(id.to_string()),
                listing_id: ID(listing_id.to_string()),
                consistency_token: consistency::token(committed.position),
            })
        })
        .await?)
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
        Ok(once(ctx, &caller, on_inventory(&caller, id, command)).await?)
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
        Ok(once(ctx, &caller, on_inventory(&caller, id, command)).await?)
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
        Ok(once(ctx, &caller, on_inventory(&caller, id, command)).await?)
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
        Ok(once(ctx, &caller, on_inventory(&caller, id, command)).await?)
    }
}
