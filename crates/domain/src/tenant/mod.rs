//! The **Tenant** aggregate: a business using Holdfast — its public profile (name, URL slug,
//! time zone, currency, branding), its members (an owner, operators) and the invitations that
//! bring operators in, and whether an admin has suspended it.
//!
//! Personal data stays out of it: members are account ids, invitations carry a digest of the
//! address they were sent to (for "already invited" and "already a member") and a digest of
//! their one-time token, never the address or the token; the addresses live in the erasable
//! account store the engine keeps. A slug's uniqueness across businesses is the engine's to
//! enforce (it spans aggregates); its shape is checked here.
//!
//! - [`values`] holds [`BusinessName`], [`Slug`], [`HexColour`], [`LogoRef`], [`Digest`];
//! - [`commands`] holds [`TenantCommand`];
//! - [`events`] holds [`TenantEvent`];
//! - [`error`] holds [`TenantError`], one variant per broken rule;
//! - `aggregate` / `decide` hold the state ([`Tenant`]) and the rules.

mod aggregate;
pub mod commands;
mod decide;
pub mod error;
pub mod events;
pub mod values;

#[cfg(test)]
mod tests;

pub use aggregate::{
    Invitation, InvitationStatus, Member, Role, Tenant, TenantState, TenantStatus,
};
pub use commands::{InviteOperator, Onboard, ProfileUpdate, TenantCommand};
pub use error::{TenantError, ValueError};
pub use events::TenantEvent;
pub use values::{Branding, BusinessName, Digest, HexColour, LogoRef, Slug, parse_time_zone};
