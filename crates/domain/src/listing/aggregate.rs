//! The `Listing` aggregate: `decide` (its [`Decide`] impl) holds every rule, `handle` (the shared
//! [`crate::decide::handle`]) writes what it decides, `apply` folds events and never fails.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::{CreateListing, ListingCommand, LocationInput, UpdateListingDetails};
use super::error::ListingError;
use super::events::ListingEvent;
use super::status::ListingStatus;
use super::values::{
    Category, Description, ListingName, Location, SuspensionReason, Tags, parse_time_zone,
};
use crate::common::{ListingId, Money, TenantId};
use crate::decide::Decide;
use crate::policy::{BookingPolicy, BookingRequest, PolicySpec, PolicyViolation, ResolvedBooking};
use crate::services::DomainServices;

/// A listing's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingDetails {
    /// Name.
    pub name: ListingName,
    /// Category.
    pub category: Category,
    /// Tags.
    pub tags: Tags,
    /// Description.
    pub description: Description,
    /// Location.
    pub location: Location,
    /// Time zone all of the policy's dates and times are in.
    pub time_zone: Tz,
    /// The price shown in listings.
    pub display_price: Money,
}

/// A created listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingState {
    /// Listing id.
    pub listing_id: ListingId,
    /// Owner.
    pub tenant_id: TenantId,
    /// Metadata.
    pub details: ListingDetails,
    /// Lifecycle status.
    pub status: ListingStatus,
    /// Booking rules with their version.
    pub policy: BookingPolicy,
    /// Why it is suspended, while it is.
    pub suspension: Option<SuspensionReason>,
    /// Structured attributes (amenities, cuisine, seating, accessibility), by kind and value.
    #[serde(default)]
    pub attributes: Vec<crate::inventory::Attribute>,
    /// Photos, in the order they were added.
    #[serde(default)]
    pub photos: Vec<super::photos::ListingPhoto>,
    /// Its reviews' stars (written, not hidden).
    #[serde(default)]
    pub ratings: super::ratings::Ratings,
}

impl ListingState {
    /// Checks a booking request against the policy, in the listing's time zone. (Whether the
    /// listing is bookable at all is [`ListingStatus::is_bookable`].)
    pub fn evaluate_booking(
        &self,
        request: &BookingRequest,
        now: DateTime<Utc>,
    ) -> Result<ResolvedBooking, PolicyViolation> {
        self.policy.evaluate(request, now, self.details.time_zone)
    }
}

/// What a business offers: metadata, lifecycle status and booking policy. It holds no stock
/// (capacity lives in `Inventory` aggregates), so catalogue edits never contend with bookings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Listing {
    state: Option<ListingState>,
}

fn parse_location(input: &LocationInput) -> Result<Location, ListingError> {
    Ok(Location::parse(
        &input.address,
        &input.region_code,
        input.lat_e7,
        input.lon_e7,
    )?)
}

fn check_price(price: Money) -> Result<Money, ListingError> {
    if price.amount_minor < 0 {
        return Err(ListingError::NegativePrice {
            amount_minor: price.amount_minor,
        });
    }
    Ok(price)
}

fn parse_details(c: &CreateListing) -> Result<ListingDetails, ListingError> {
    Ok(ListingDetails {
        name: ListingName::parse(&c.name)?,
        category: c.category,
        tags: Tags::parse(&c.tags)?,
        description: Description::parse(&c.description)?,
        location: parse_location(&c.location)?,
        time_zone: parse_time_zone(&c.time_zone)?,
        display_price: check_price(c.display_price)?,
    })
}

/// `Some(new)` if `new` differs from `current`.
fn changed<T: PartialEq>(new: Option<T>, current: &T) -> Option<T> {
    new.filter(|n| n != current)
}

impl Listing {
    /// The listing, once created.
    pub fn state(&self) -> Option<&ListingState> {
        self.state.as_ref()
    }

    fn existing(&self) -> Result<&ListingState, ListingError> {
        self.state.as_ref().ok_or(ListingError::NotCreated)
    }

    /// An existing listing that may still be edited (not archived).
    fn editable(&self) -> Result<&ListingState, ListingError> {
        let state = self.existing()?;
        if state.status == ListingStatus::Archived {
            return Err(ListingError::Archived);
        }
        Ok(state)
    }
}

impl Decide for Listing {
    /// Every rule of the aggregate: the events `command` produces, or why it is refused.
    /// A command that asks for what is already so produces no events.
    fn decide(
        &self,
        command: ListingCommand,
        _services: &DomainServices,
    ) -> Result<Vec<ListingEvent>, ListingError> {
        match command {
            ListingCommand::CreateListing(c) => self.create(*c),
            ListingCommand::UpdateListingDetails(u) => self.update(*u),
            ListingCommand::ChangeBookingPolicy { policy } => self.change_policy(*policy),
            ListingCommand::Publish => self.publish(),
            ListingCommand::Suspend { reason } => self.suspend(&reason),
            ListingCommand::Reinstate => self.reinstate(),
            ListingCommand::Archive => self.archive(),
            // Any status: a review of a past stay counts even once the listing is archived.
            ListingCommand::CountReview { booking_id, rating } => {
                self.tally(booking_id, rating, super::ratings::Ratings::counted)
            }
            ListingCommand::UncountReview { booking_id, rating } => {
                self.tally(booking_id, rating, super::ratings::Ratings::uncounted)
            }
            ListingCommand::AddPhoto { photo } => {
                use super::photos::{MAX_PHOTOS, PhotoRuleError};
                let state = self.editable()?;
                photo.check()?;
                if let Some(existing) = state.photos.iter().find(|p| p.photo_id == photo.photo_id) {
                    return if *existing == photo {
                        Ok(vec![])
                    } else {
                        Err(PhotoRuleError::Conflict(photo.photo_id).into())
                    };
                }
                if state.photos.len() >= MAX_PHOTOS {
                    return Err(PhotoRuleError::TooMany { max: MAX_PHOTOS }.into());
                }
                Ok(vec![ListingEvent::ListingPhotoAdded {
                    tenant_id: state.tenant_id,
                    listing_id: state.listing_id,
                    photo,
                }])
            }
            ListingCommand::RemovePhoto { photo_id } => {
                let state = self.editable()?;
                if !state.photos.iter().any(|p| p.photo_id == photo_id) {
                    return Err(super::photos::PhotoRuleError::NotFound(photo_id).into());
                }
                Ok(vec![ListingEvent::ListingPhotoRemoved {
                    tenant_id: state.tenant_id,
                    listing_id: state.listing_id,
                    photo_id,
                }])
            }
            ListingCommand::SetAttributes { attributes } => {
                let state = self.editable()?;
                let attributes = crate::inventory::attributes_checked(attributes)?;
                if state.attributes == attributes {
                    return Ok(vec![]);
                }
                Ok(vec![ListingEvent::ListingAttributesSet {
                    tenant_id: state.tenant_id,
                    listing_id: state.listing_id,
                    attributes,
                }])
            }
        }
    }
}

impl Listing {
    fn create(&self, c: CreateListing) -> Result<Vec<ListingEvent>, ListingError> {
        let details = parse_details(&c)?;
        let policy = BookingPolicy::new(c.policy)?;
        if let Some(state) = &self.state {
            // A retry of the very same creation, with nothing happened since, is a no-op.
            let same = state.listing_id == c.listing_id
                && state.tenant_id == c.tenant_id
                && state.details == details
                && state.policy == policy
                && state.status == ListingStatus::Draft;
            return if same {
                Ok(vec![])
            } else {
                Err(ListingError::AlreadyCreated)
            };
        }
        Ok(vec![ListingEvent::ListingCreated {
            tenant_id: c.tenant_id,
            listing_id: c.listing_id,
            name: details.name,
            category: details.category,
            tags: details.tags,
            description: details.description,
            location: details.location,
            time_zone: details.time_zone,
            display_price: details.display_price,
            policy,
        }])
    }

    fn update(&self, u: UpdateListingDetails) -> Result<Vec<ListingEvent>, ListingError> {
        let state = self.editable()?;
        let current = &state.details;
        let name = u.name.as_deref().map(ListingName::parse).transpose()?;
        let tags = u.tags.as_deref().map(Tags::parse).transpose()?;
        let description = u
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()?;
        let location = u.location.as_ref().map(parse_location).transpose()?;
        let time_zone = u.time_zone.as_deref().map(parse_time_zone).transpose()?;
        let display_price = u.display_price.map(check_price).transpose()?;

        let name = changed(name, &current.name);
        let category = changed(u.category, &current.category);
        let tags = changed(tags, &current.tags);
        let description = changed(description, &current.description);
        let location = changed(location, &current.location);
        let time_zone = changed(time_zone, &current.time_zone);
        let display_price = changed(display_price, &current.display_price);
        if name.is_none()
            && category.is_none()
            && tags.is_none()
            && description.is_none()
            && location.is_none()
            && time_zone.is_none()
            && display_price.is_none()
        {
            return Ok(vec![]);
        }
        Ok(vec![ListingEvent::ListingDetailsUpdated {
            tenant_id: state.tenant_id,
            listing_id: state.listing_id,
            name,
            category,
            tags,
            description,
            location,
            time_zone,
            display_price,
        }])
    }

    fn change_policy(&self, spec: PolicySpec) -> Result<Vec<ListingEvent>, ListingError> {
        let state = self.editable()?;
        let policy = BookingPolicy::new(spec)?;
        if policy.rules() == state.policy.rules() {
            return Ok(vec![]);
        }
        let version = state.policy.version().saturating_add(1);
        Ok(vec![ListingEvent::ListingBookingPolicyChanged {
            tenant_id: state.tenant_id,
            listing_id: state.listing_id,
            policy: policy.with_version(version),
        }])
    }

    /// Checks the move from the current status to `to`: `Ok(None)` if already there (a
    /// repeat), `Ok(Some(state))` if allowed.
    fn transition(&self, to: ListingStatus) -> Result<Option<&ListingState>, ListingError> {
        let state = self.existing()?;
        if state.status == to {
            return Ok(None);
        }
        if !state.status.can_transition_to(to) {
            return Err(ListingError::IllegalTransition {
                from: state.status,
                to,
            });
        }
        Ok(Some(state))
    }

    fn publish(&self) -> Result<Vec<ListingEvent>, ListingError> {
        if self.existing()?.status == ListingStatus::Suspended {
            return Err(ListingError::SuspendedUseReinstate);
        }
        Ok(self
            .transition(ListingStatus::Published)?
            .map(|s| ListingEvent::ListingPublished {
                tenant_id: s.tenant_id,
                listing_id: s.listing_id,
            })
            .into_iter()
            .collect())
    }

    fn suspend(&self, reason: &str) -> Result<Vec<ListingEvent>, ListingError> {
        let state = self.existing()?;
        let reason = SuspensionReason::parse(reason)?;
        if let (ListingStatus::Suspended, Some(current)) = (state.status, &state.suspension) {
            return if *current == reason {
                Ok(vec![])
            } else {
                Err(ListingError::AlreadySuspended {
                    reason: current.clone(),
                })
            };
        }
        Ok(self
            .transition(ListingStatus::Suspended)?
            .map(|s| ListingEvent::ListingSuspended {
                tenant_id: s.tenant_id,
                listing_id: s.listing_id,
                reason,
            })
            .into_iter()
            .collect())
    }

    fn reinstate(&self) -> Result<Vec<ListingEvent>, ListingError> {
        let state = self.existing()?;
        match state.status {
            // Reinstating what is published is a repeat; a draft is published, not reinstated.
            ListingStatus::Published => Ok(vec![]),
            ListingStatus::Suspended => Ok(vec![ListingEvent::ListingReinstated {
                tenant_id: state.tenant_id,
                listing_id: state.listing_id,
            }]),
            ListingStatus::Draft => Err(ListingError::NotSuspended {
                status: ListingStatus::Draft,
            }),
            from @ ListingStatus::Archived => Err(ListingError::IllegalTransition {
                from,
                to: ListingStatus::Published,
            }),
        }
    }

    fn archive(&self) -> Result<Vec<ListingEvent>, ListingError> {
        Ok(self
            .transition(ListingStatus::Archived)?
            .map(|s| ListingEvent::ListingArchived {
                tenant_id: s.tenant_id,
                listing_id: s.listing_id,
                from: s.status,
            })
            .into_iter()
            .collect())
    }
}

impl Aggregate for Listing {
    const TYPE: &'static str = "Listing";
    type Command = ListingCommand;
    type Event = ListingEvent;
    type Error = ListingError;
    type Services = DomainServices;

    async fn handle(
        &mut self,
        command: Self::Command,
        services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        crate::decide::handle(self, command, services, sink).await
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            ListingEvent::ListingCreated {
                tenant_id,
                listing_id,
                name,
                category,
                tags,
                description,
                location,
                time_zone,
                display_price,
                policy,
            } => {
                self.state = Some(ListingState {
                    listing_id,
                    tenant_id,
                    details: ListingDetails {
                        name,
                        category,
                        tags,
                        description,
                        location,
                        time_zone,
                        display_price,
                    },
                    status: ListingStatus::Draft,
                    policy,
                    suspension: None,
                    attributes: Vec::new(),
                    photos: Vec::new(),
                    ratings: super::ratings::Ratings::default(),
                });
            }
            ListingEvent::ListingDetailsUpdated {
                name,
                category,
                tags,
                description,
                location,
                time_zone,
                display_price,
                ..
            } => {
                if let Some(s) = &mut self.state {
                    let d = &mut s.details;
                    d.name = name.unwrap_or_else(|| d.name.clone());
                    d.category = category.unwrap_or(d.category);
                    d.tags = tags.unwrap_or_else(|| d.tags.clone());
                    d.description = description.unwrap_or_else(|| d.description.clone());
                    d.location = location.unwrap_or_else(|| d.location.clone());
                    d.time_zone = time_zone.unwrap_or(d.time_zone);
                    d.display_price = display_price.unwrap_or(d.display_price);
                }
            }
            ListingEvent::ListingBookingPolicyChanged { policy, .. } => {
                if let Some(s) = &mut self.state {
                    s.policy = policy;
                }
            }
            ListingEvent::ListingPublished { .. } | ListingEvent::ListingReinstated { .. } => {
                self.set_status(ListingStatus::Published, None);
            }
            ListingEvent::ListingSuspended { reason, .. } => {
                self.set_status(ListingStatus::Suspended, Some(reason));
            }
            ListingEvent::ListingArchived { .. } => {
                self.set_status(ListingStatus::Archived, None);
            }
            ListingEvent::ListingPhotoAdded { photo, .. } => {
                if let Some(s) = &mut self.state {
                    s.photos.push(photo);
                }
            }
            ListingEvent::ListingPhotoRemoved { photo_id, .. } => {
                if let Some(s) = &mut self.state {
                    s.photos.retain(|p| p.photo_id != photo_id);
                }
            }
            ListingEvent::ListingAttributesSet { attributes, .. } => {
                if let Some(s) = &mut self.state {
                    s.attributes = attributes;
                }
            }
            ListingEvent::ListingRatingsChanged { ratings, .. } => {
                if let Some(s) = &mut self.state {
                    s.ratings = ratings;
                }
            }
        }
    }
}

impl Listing {
    /// The ratings after `change` (`None`: refused) as an event.
    fn tally(
        &self,
        booking_id: crate::common::BookingId,
        rating: crate::review::Rating,
        change: fn(
            super::ratings::Ratings,
            crate::review::Rating,
        ) -> Option<super::ratings::Ratings>,
    ) -> Result<Vec<ListingEvent>, ListingError> {
        let state = self.state.as_ref().ok_or(ListingError::NotCreated)?;
        let ratings = change(state.ratings, rating).ok_or(ListingError::RatingNotCounted {
            stars: rating.stars(),
        })?;
        Ok(vec![ListingEvent::ListingRatingsChanged {
            tenant_id: state.tenant_id,
            listing_id: state.listing_id,
            booking_id,
            ratings,
        }])
    }

    fn set_status(&mut self, status: ListingStatus, suspension: Option<SuspensionReason>) {
        if let Some(s) = &mut self.state {
            s.status = status;
            s.suspension = suspension;
        }
    }
}
