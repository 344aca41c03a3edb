//! The GraphQL documents the test suites send as a client would (the API's tests, the CLI's
//! reliability suite), written once. Each asks for every field any suite reads; the API's
//! `tests/schema.rs` validates all of them against the schema, so a schema change that breaks
//! a client shows up there first.

/// `createListing`.
pub const CREATE_LISTING: &str = r#"
mutation($key: String!, $input: CreateListingInput!) {
  createListing(idempotencyKey: $key, input: $input) {
    listingId status policyVersion consistencyToken
  }
}"#;

/// `publishListing`.
pub const PUBLISH: &str = r#"
mutation($key: String!, $id: ID!) {
  publishListing(idempotencyKey: $key, listingId: $id) { listingId status consistencyToken }
}"#;

/// `defineInventory`.
pub const DEFINE_INVENTORY: &str = r#"
mutation($key: String!, $input: DefineInventoryInput!) {
  defineInventory(idempotencyKey: $key, input: $input) { inventoryId listingId consistencyToken }
}"#;

/// `setCapacity`.
pub const SET_CAPACITY: &str = r#"
mutation($key: String!, $input: SetCapacityInput!) {
  setCapacity(idempotencyKey: $key, input: $input) { inventoryId consistencyToken }
}"#;

/// `setPrice`.
pub const SET_PRICE: &str = r#"
mutation($key: String!, $input: SetPriceInput!) {
  setPrice(idempotencyKey: $key, input: $input) { inventoryId consistencyToken }
}"#;

/// `placeBooking`.
pub const PLACE_BOOKING: &str = r#"
mutation($key: String!, $input: PlaceBookingInput!) {
  placeBooking(idempotencyKey: $key, input: $input) {
    bookingId status holdExpiresAt
    totals { currency subtotalMinor discountMinor totalMinor }
    consistencyToken
  }
}"#;

/// `confirmPayment`.
pub const CONFIRM_PAYMENT: &str = r#"
mutation($key: String!, $input: ConfirmPaymentInput!) {
  confirmPayment(idempotencyKey: $key, input: $input) { bookingId status consistencyToken }
}"#;

/// `cancelBooking` of the booking `$id`.
pub const CANCEL_BOOKING: &str = r#"
mutation($key: String!, $id: ID!) {
  cancelBooking(idempotencyKey: $key, input: {bookingId: $id}) { bookingId status consistencyToken }
}"#;

/// `createCampaign`.
pub const CREATE_CAMPAIGN: &str = r#"
mutation($key: String!, $input: CreateCampaignInput!) {
  createCampaign(idempotencyKey: $key, input: $input) {
    campaignId code status claimed remaining consistencyToken
  }
}"#;

/// `claimCoupon` of the campaign `$id`.
pub const CLAIM_COUPON: &str = r#"
mutation($key: String!, $id: ID!) {
  claimCoupon(idempotencyKey: $key, input: {campaignId: $id}) {
    campaignId claimed remaining consistencyToken
  }
}"#;

/// Every document above, named, for validation.
pub const ALL: &[(&str, &str)] = &[
    ("CREATE_LISTING", CREATE_LISTING),
    ("PUBLISH", PUBLISH),
    ("DEFINE_INVENTORY", DEFINE_INVENTORY),
    ("SET_CAPACITY", SET_CAPACITY),
    ("SET_PRICE", SET_PRICE),
    ("PLACE_BOOKING", PLACE_BOOKING),
    ("CONFIRM_PAYMENT", CONFIRM_PAYMENT),
    ("CANCEL_BOOKING", CANCEL_BOOKING),
    ("CREATE_CAMPAIGN", CREATE_CAMPAIGN),
    ("CLAIM_COUPON", CLAIM_COUPON),
];
