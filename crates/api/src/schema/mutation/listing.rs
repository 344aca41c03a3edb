//! Listing mutations (operators of the listing's tenant, or admins).

use async_graphql::{Context, ID, Object, SimpleObject};
use holdfast_domain::common::ListingId;
use holdfast_domain::listing::{Listing, ListingCommand};
use serde::{Deserialize, Serialize};

use super::{Caller, once_on};
use crate::error::{ApiError, EngineError};
use crate::schema::inputs::listing::{
    CreateListingInput, UpdateListingDetailsInput, suspension_reason,
};
use crate::schema::inputs::parse_id;
use crate::schema::inputs::policy::BookingPolicyInput;
use holdfast_engine::process::current;

/// What a listing mutation did.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct ListingPayload {
    /// The listing.
    pub listing_id: ID,
    /// Its status now.
    pub status: crate::schema::types::listing::ListingStatus,
    /// Its booking policy's version now.
    pub policy_version: u32,
    /// Pass to a query to read this write.
    pub consistency_token: Option<String>,
}

/// Listing mutations.
#[derive(Default)]
pub struct ListingMutation;

fn listing_id(id: &ID) -> Result<ListingId, ApiError> {
    parse_id("listingId", id, ListingId::parse)
}

/// The payload of a listing mutation, from the listing's state after it (the token is the
/// commit's, filled in by [`once_on`]).
fn payload_of(id: ListingId, listing: &Listing) -> Result<ListingPayload, EngineError> {
    let state = listing
        .state()
        .ok_or_else(|| EngineError::not_found("listing"))?;
    Ok(ListingPayload {
        listing_id: ID(id.to_string()),
        status: state.status.into(),
        policy_version: state.policy.version(),
        consistency_token: None,
    })
}

/// Sends `command` to an existing listing the caller operates, once per key, in one commit.
async fn on_listing(
    ctx: &Context<'_>,
    caller: &Caller<'_>,
    id: ListingId,
    command: ListingCommand,
) -> Result<ListingPayload, ApiError> {
    let check = async {
        caller.require_operator()?;
        let listing: Listing = current(caller.state, &id.to_string()).await?;
        let tenant = listing
            .state()
            .ok_or_else(|| ApiError::not_found("listing"))?
            .tenant_id;
        caller.authorize(tenant)?;
        Ok(command)
    };
    let listings = &caller.state.commands.listings;
    once_on(ctx, caller, listings, id.to_string(), check, move |l| {
        payload_of(id, l)
    })
    .await
}

#[Object]
impl ListingMutation {
    /// Creates a listing (a draft) for the operator's tenant (admins name the tenant).
    async fn create_listing(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: CreateListingInput,
    ) -> async_graphql::Result<ListingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let new = input.parse()?;
        let tenant = caller.tenant_for_new(new.tenant_id)?;
        let id = ListingId(caller.derived_id("listing"));
        let mut command = new.command;
        command.listing_id = id;
        command.tenant_id = tenant;
        let command = ListingCommand::CreateListing(Box::new(command));
        let listings = &caller.state.commands.listings;
        Ok(once_on(
            ctx,
            &caller,
            listings,
            id.to_string(),
            async { Ok(command) },
            move |l| payload_of(id, l),
        )
        .await?)
    }

    /// Changes a listing's details (omitted fields stay).
    async fn update_listing_details(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        input: UpdateListingDetailsInput,
    ) -> async_graphql::Result<ListingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let (id, update) = input.parse()?;
        let command = ListingCommand::UpdateListingDetails(Box::new(update));
        Ok(on_listing(ctx, &caller, id, command).await?)
    }

    /// Replaces a listing's booking policy (its version goes up by one).
    async fn change_booking_policy(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        listing_id: ID,
        policy: BookingPolicyInput,
    ) -> async_graphql::Result<ListingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let id = listing_id_arg(&listing_id)?;
        let policy = Box::new(policy.parse("policy")?);
        let command = ListingCommand::ChangeBookingPolicy { policy };
        Ok(on_listing(ctx, &caller, id, command).await?)
    }

    /// Removes a photo of a listing (or of one of its inventories); its files go too.
    /// `INVALID_INPUT` for a photo the listing does not have.
    async fn remove_listing_photo(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        listing_id: ID,
        photo_id: ID,
    ) -> async_graphql::Result<ListingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let id = listing_id_arg(&listing_id)?;
        let photo = photo_id.to_string();
        // Which variants to delete, read before the removal.
        let widths: Vec<u32> =
            holdfast_engine::process::current::<Listing>(caller.state, &id.to_string())
                .await
                .ok()
                .and_then(|l| {
                    l.state()
                        .and_then(|s| s.photos.iter().find(|p| p.photo_id == photo))
                        .map(|p| p.widths.clone())
                })
                .unwrap_or_default();
        let command = ListingCommand::RemovePhoto {
            photo_id: photo.clone(),
        };
        let payload = on_listing(ctx, &caller, id, command).await?;
        if let Some(photos) = ctx.data_opt::<std::sync::Arc<holdfast_engine::photos::PhotoStore>>()
            && let Err(e) = photos.delete(&photo, &widths).await
        {
            tracing::warn!(error = %e, photo_id = %photo, "cannot delete a removed photo's files");
        }
        Ok(payload)
    }

    /// Replaces a listing's structured attributes (amenities, cuisine, seating,
    /// accessibility…; at most 50, no repeats). Identical ones change nothing.
    async fn set_listing_attributes(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        listing_id: ID,
        attributes: Vec<crate::schema::inputs::inventory::AttributeInput>,
    ) -> async_graphql::Result<ListingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let id = listing_id_arg(&listing_id)?;
        let attributes =
            crate::schema::inputs::inventory::attributes_of("attributes", &attributes)?;
        // Checked here too, so a refusal names the argument.
        let attributes = holdfast_domain::inventory::attributes_checked(attributes)
            .map_err(|e| crate::schema::inputs::field_error("attributes", e))?;
        let command = ListingCommand::SetAttributes { attributes };
        Ok(on_listing(ctx, &caller, id, command).await?)
    }

    /// Draft → Published.
    async fn publish_listing(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        listing_id: ID,
    ) -> async_graphql::Result<ListingPayload> {
        self.transition(ctx, idempotency_key, listing_id, ListingCommand::Publish)
            .await
    }

    /// Published → Suspended, with a reason.
    async fn suspend_listing(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        listing_id: ID,
        reason: String,
    ) -> async_graphql::Result<ListingPayload> {
        let command = ListingCommand::Suspend {
            reason: suspension_reason(&reason)?,
        };
        self.transition(ctx, idempotency_key, listing_id, command)
            .await
    }

    /// Suspended → Published.
    async fn reinstate_listing(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        listing_id: ID,
    ) -> async_graphql::Result<ListingPayload> {
        self.transition(ctx, idempotency_key, listing_id, ListingCommand::Reinstate)
            .await
    }

    /// Draft, Published or Suspended → Archived (final).
    async fn archive_listing(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        listing_id: ID,
    ) -> async_graphql::Result<ListingPayload> {
        self.transition(ctx, idempotency_key, listing_id, ListingCommand::Archive)
            .await
    }
}

fn listing_id_arg(id: &ID) -> Result<ListingId, ApiError> {
    listing_id(id)
}

impl ListingMutation {
    async fn transition(
        &self,
        ctx: &Context<'_>,
        idempotency_key: String,
        listing_id: ID,
        command: ListingCommand,
    ) -> async_graphql::Result<ListingPayload> {
        let caller = Caller::new(ctx, &idempotency_key)?;
        caller.require_operator()?;
        let id = listing_id_arg(&listing_id)?;
        Ok(on_listing(ctx, &caller, id, command).await?)
    }
}
