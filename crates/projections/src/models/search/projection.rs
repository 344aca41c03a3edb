//! [`SearchProjection`]: listing events (and `InventoryDefined`) → the listing document and
//! its fixed index slots (see the module docs of [`super`] for who owns which attribute).

use std::collections::BTreeMap;

use holdfast_domain::inventory::InventoryEvent;
use holdfast_domain::listing::{Category, ListingEvent, Location, Tags};
use holdfast_domain::policy::{BookingPolicy, SlotKind};
use holdfast_domain::review::ReviewEvent;
use holdfast_eventstore::StoredEvent;
use serde_json::{Value, json};

use super::{
    ANY_CATEGORY, CATEGORIES, COARSE_CELL, FINE_CELL, MAX_NAME_TOKENS, MAX_TAG_TOKENS, geohash,
    listing_partition, name_tokens, tenant_partition,
};
use crate::models::{decode, money};
use crate::projection::{Projection, ProjectionError};
use crate::store::{GSI1_PK, GSI1_SK, Key, Patch, Table};

/// How long the description excerpt in the document is, in characters.
pub const EXCERPT_CHARS: usize = 200;

/// Projects listing events (and `InventoryDefined`) into [`Table::Search`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SearchProjection;

/// Collects the patches of one event, merging everything said about one key into one patch.
struct Builder {
    listing_id: String,
    pk: String,
    patches: BTreeMap<String, Patch>,
}

impl Builder {
    fn new(listing_id: String) -> Self {
        let pk = listing_partition(&listing_id);
        Self {
            listing_id,
            pk,
            patches: BTreeMap::new(),
        }
    }

    fn item(&mut self, sk: &str) -> &mut Patch {
        let key = Key::new(self.pk.clone(), sk);
        let listing_id = self.listing_id.clone();
        self.patches.entry(sk.to_owned()).or_insert_with(|| {
            let mut p = Patch::set(key, Default::default());
            p.set.insert("listing_id".into(), json!(listing_id));
            p
        })
    }

    fn set(&mut self, sk: &str, name: &str, value: Value) {
        let p = self.item(sk);
        p.remove.retain(|r| r != name);
        p.set.insert(name.to_owned(), value);
    }

    fn remove(&mut self, sk: &str, name: &str) {
        let p = self.item(sk);
        p.set.remove(name);
        if !p.remove.iter().any(|r| r == name) {
            p.remove.push(name.to_owned());
        }
    }

    fn doc(&mut self, name: &str, value: Value) {
        self.set("doc", name, value);
    }

    /// An index slot takes a token (`Some`) or becomes empty (`None`, soft-deleted).
    fn slot(&mut self, sk: &str, partition: Option<String>) {
        match partition {
            Some(pk) => {
                self.set(sk, GSI1_PK, json!(pk));
                self.set(sk, "deleted", json!(false));
            }
            None => {
                self.remove(sk, GSI1_PK);
                self.set(sk, "deleted", json!(true));
            }
        }
    }

    fn name(&mut self, name: &str) {
        let tokens = name_tokens(name);
        self.doc("name", json!(name));
        self.doc("name_tokens", json!(tokens));
        for i in 0..MAX_NAME_TOKENS {
            let token = tokens.get(i).map(|t| format!("kw#{t}"));
            self.slot(&format!("ix#kwn#{i:02}"), token);
        }
    }

    fn tags(&mut self, tags: &Tags) {
        let tags: Vec<&str> = tags.as_slice().iter().map(|t| t.as_str()).collect();
        self.doc("tags", json!(tags));
        for i in 0..MAX_TAG_TOKENS {
            let token = tags.get(i).map(|t| format!("kw#{t}"));
            self.slot(&format!("ix#kwt#{i:02}"), token);
        }
    }

    fn category(&mut self, category: Category) {
        let name = category_name(category);
        self.doc("category", json!(name));
        let listing_id = self.listing_id.clone();
        for c in CATEGORIES {
            let sk = format!("ix#rc#{c}");
            if c == name {
                self.set(&sk, GSI1_SK, json!(listing_id));
            } else {
                self.remove(&sk, GSI1_SK);
            }
        }
    }

    fn location(&mut self, location: &Location) {
        let region = location.region_code().to_owned();
        let point = location.point();
        let lat = f64::from(point.lat_e7()) / 1e7;
        let lon = f64::from(point.lon_e7()) / 1e7;
        self.doc("address", json!(location.address()));
        self.doc("region", json!(region));
        self.doc("lat_e7", json!(point.lat_e7()));
        self.doc("lon_e7", json!(point.lon_e7()));
        for c in CATEGORIES.into_iter().chain([ANY_CATEGORY]) {
            self.set(
                &format!("ix#rc#{c}"),
                GSI1_PK,
                json!(format!("rc#{region}#{c}")),
            );
        }
        for (sk, precision) in [("ix#geo5", FINE_CELL), ("ix#geo4", COARSE_CELL)] {
            let cell = geohash(lat, lon, precision);
            self.slot(sk, Some(format!("geo#{cell}")));
        }
    }

    fn policy(&mut self, policy: &BookingPolicy) {
        let rules = policy.rules();
        let kind = match rules.slot_kind {
            SlotKind::Night { .. } => "night",
            SlotKind::TimeSlot { .. } => "time_slot",
            SlotKind::DatedEvent { .. } => "dated_event",
        };
        self.doc("slot_kind", json!(kind));
        self.doc("party_min", json!(rules.party_size.min()));
        self.doc("party_max", json!(rules.party_size.max()));
        self.doc("policy_version", json!(policy.version()));
        // The whole policy, as the domain stores it: guests read what they agree to.
        self.doc(
            "policy",
            serde_json::to_value(policy).unwrap_or(serde_json::Value::Null),
        );
    }

    fn description(&mut self, description: &str) {
        self.doc("description_excerpt", json!(excerpt(description)));
        self.doc("description", json!(description));
    }

    /// Every index slot's key (all fixed, so status events can reach them).
    fn index_keys() -> Vec<String> {
        let mut keys: Vec<String> = (0..MAX_NAME_TOKENS)
            .map(|i| format!("ix#kwn#{i:02}"))
            .chain((0..MAX_TAG_TOKENS).map(|i| format!("ix#kwt#{i:02}")))
            .chain(["ix#geo5".to_owned(), "ix#geo4".to_owned()])
            .collect();
        keys.extend(
            CATEGORIES
                .into_iter()
                .chain([ANY_CATEGORY])
                .map(|c| format!("ix#rc#{c}")),
        );
        keys
    }

    /// The listing's status; `listed` puts the status-owned slots into gsi1 or takes them out.
    fn status(&mut self, status: &str, listed: bool) {
        self.doc("status", json!(status));
        let listing_id = self.listing_id.clone();
        for sk in Self::index_keys() {
            self.set(&sk, "listed", json!(listed));
            let status_owned = !sk.starts_with("ix#rc#") || sk == "ix#rc#*";
            if status_owned {
                if listed {
                    self.set(&sk, GSI1_SK, json!(listing_id));
                } else {
                    self.remove(&sk, GSI1_SK);
                }
            }
        }
    }

    fn finish(self) -> Vec<Patch> {
        self.patches.into_values().collect()
    }
}

fn category_name(category: Category) -> &'static str {
    match category {
        Category::Accommodation => "accommodation",
        Category::Restaurant => "restaurant",
        Category::Event => "event",
        Category::Shop => "shop",
        Category::Other => "other",
    }
}

fn excerpt(text: &str) -> String {
    text.chars().take(EXCERPT_CHARS).collect()
}

fn listing_patches(event: ListingEvent) -> Vec<Patch> {
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
            let mut b = Builder::new(listing_id.to_string());
            b.doc("listing_id", json!(listing_id.to_string()));
            b.doc("tenant_id", json!(tenant_id.to_string()));
            // The business's listings, every status, in creation order (`listings_of_tenant`).
            b.doc(GSI1_PK, json!(tenant_partition(&tenant_id.to_string())));
            b.doc(GSI1_SK, json!(listing_id.to_string()));
            b.name(name.as_str());
            b.category(category);
            b.tags(&tags);
            b.description(description.as_str());
            b.location(&location);
            b.doc("time_zone", json!(time_zone.name()));
            b.doc("display_price", money(display_price));
            b.policy(&policy);
            b.status("draft", false);
            b.finish()
        }
        ListingEvent::ListingDetailsUpdated {
            listing_id,
            name,
            category,
            tags,
            description,
            location,
            time_zone,
            display_price,
            ..
        } => {
            let mut b = Builder::new(listing_id.to_string());
            if let Some(name) = name {
                b.name(name.as_str());
            }
            if let Some(category) = category {
                b.category(category);
            }
            if let Some(tags) = tags {
                b.tags(&tags);
            }
            if let Some(description) = description {
                b.description(description.as_str());
            }
            if let Some(location) = location {
                b.location(&location);
            }
            if let Some(tz) = time_zone {
                b.doc("time_zone", json!(tz.name()));
            }
            if let Some(price) = display_price {
                b.doc("display_price", money(price));
            }
            b.finish()
        }
        ListingEvent::ListingBookingPolicyChanged {
            listing_id, policy, ..
        } => {
            let mut b = Builder::new(listing_id.to_string());
            b.policy(&policy);
            b.finish()
        }
        ListingEvent::ListingPublished { listing_id, .. }
        | ListingEvent::ListingReinstated { listing_id, .. } => {
            let mut b = Builder::new(listing_id.to_string());
            b.status("published", true);
            b.finish()
        }
        ListingEvent::ListingSuspended { listing_id, .. } => {
            let mut b = Builder::new(listing_id.to_string());
            b.status("suspended", false);
            b.finish()
        }
        ListingEvent::ListingPhotoAdded {
            listing_id, photo, ..
        } => {
            let mut b = Builder::new(listing_id.to_string());
            let sk = format!("photo#{}", photo.photo_id);
            b.set(&sk, "photo_id", json!(photo.photo_id));
            b.set(
                &sk,
                "inventory_id",
                json!(photo.inventory_id.map(|i| i.to_string())),
            );
            b.set(&sk, "width", json!(photo.width));
            b.set(&sk, "height", json!(photo.height));
            b.set(&sk, "widths", json!(photo.widths));
            b.set(&sk, "content_type", json!(photo.content_type));
            b.set(&sk, "alt", json!(photo.alt));
            b.set(&sk, "deleted", json!(false));
            b.finish()
        }
        ListingEvent::ListingPhotoRemoved {
            listing_id,
            photo_id,
            ..
        } => {
            let mut b = Builder::new(listing_id.to_string());
            b.set(&format!("photo#{photo_id}"), "deleted", json!(true));
            b.finish()
        }
        ListingEvent::ListingAttributesSet {
            listing_id,
            attributes,
            ..
        } => {
            let mut b = Builder::new(listing_id.to_string());
            b.doc(
                "attributes",
                serde_json::to_value(&attributes).unwrap_or(Value::Null),
            );
            b.finish()
        }
        ListingEvent::ListingRatingsChanged {
            listing_id,
            ratings,
            ..
        } => {
            let mut b = Builder::new(listing_id.to_string());
            b.doc("rating_count", json!(ratings.count()));
            b.doc("rating_sum", json!(ratings.sum()));
            b.doc("rating_distribution", json!(ratings.distribution));
            b.finish()
        }
        ListingEvent::ListingArchived { listing_id, .. } => {
            let mut b = Builder::new(listing_id.to_string());
            b.status("archived", false);
            b.finish()
        }
    }
}

/// A listing's review: the item `rev#<booking>` in the listing's partition (after the items a
/// search reads, which stop at `photo$`). Its words are not here (they are erasable, kept by the
/// engine); hidden reviews keep their item with `hidden` set.
fn review_patches(event: ReviewEvent) -> Vec<Patch> {
    let key = |listing: &str, booking: &str| {
        Key::new(listing_partition(listing), format!("rev#{booking}"))
    };
    match event {
        ReviewEvent::ReviewWritten {
            booking_id,
            guest_id,
            tenant_id,
            listing_id,
            rating,
            photos,
            at,
            ..
        } => vec![Patch::set(
            key(&listing_id.to_string(), &booking_id.to_string()),
            crate::models::attrs([
                ("booking_id", json!(booking_id.to_string())),
                ("guest_id", json!(guest_id.to_string())),
                ("tenant_id", json!(tenant_id.to_string())),
                ("rating", json!(rating.stars())),
                (
                    "photos",
                    serde_json::to_value(&photos).unwrap_or(Value::Null),
                ),
                ("written_at", json!(at)),
            ]),
        )],
        ReviewEvent::ReviewReplied {
            booking_id,
            listing_id,
            at,
            ..
        } => vec![Patch::set(
            key(&listing_id.to_string(), &booking_id.to_string()),
            crate::models::attrs([("replied_at", json!(at))]),
        )],
        ReviewEvent::ReviewHidden {
            booking_id,
            listing_id,
            ..
        } => vec![Patch::set(
            key(&listing_id.to_string(), &booking_id.to_string()),
            crate::models::attrs([("hidden", json!(true))]),
        )],
    }
}

impl Projection for SearchProjection {
    fn table(&self) -> Table {
        Table::Search
    }

    fn patches(&self, event: &StoredEvent) -> Result<Vec<Patch>, ProjectionError> {
        match event.aggregate_type.as_str() {
            "Listing" => Ok(listing_patches(decode(event)?)),
            "Review" => Ok(review_patches(decode(event)?)),
            // Only the definition and the content matter here; slot events are the calendar's.
            "Inventory"
                if event.event_type == "InventoryDefined"
                    || event.event_type == "InventoryDescribed" =>
            {
                let inventory_item = |listing_id: &str, inventory_id: &str| {
                    Key::new(listing_partition(listing_id), format!("inv#{inventory_id}"))
                };
                match decode::<InventoryEvent>(event)? {
                    InventoryEvent::InventoryDefined {
                        inventory_id,
                        tenant_id,
                        listing_id,
                        name,
                        currency,
                    } => Ok(vec![Patch::set(
                        inventory_item(&listing_id.to_string(), &inventory_id.to_string()),
                        crate::models::attrs([
                            ("listing_id", json!(listing_id.to_string())),
                            ("inventory_id", json!(inventory_id.to_string())),
                            ("tenant_id", json!(tenant_id.to_string())),
                            ("name", json!(name.as_str())),
                            ("currency", json!(currency.as_str())),
                        ]),
                    )]),
                    InventoryEvent::InventoryDescribed {
                        inventory_id,
                        listing_id,
                        name,
                        content,
                        ..
                    } => Ok(vec![Patch::set(
                        inventory_item(&listing_id.to_string(), &inventory_id.to_string()),
                        crate::models::attrs([
                            ("name", json!(name.as_str())),
                            (
                                "content",
                                serde_json::to_value(&content).unwrap_or(Value::Null),
                            ),
                        ]),
                    )]),
                    _ => Err(ProjectionError::decode(
                        event,
                        "an inventory event_type with another payload",
                    )),
                }
            }
            _ => Ok(Vec::new()),
        }
    }
}
