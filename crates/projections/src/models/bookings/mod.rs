//! Bookings: by id, by guest (newest first) and the operator's day sheet.
//!
//! Items:
//! - **Booking document** `pk = "booking#<booking_id>"`, `sk = "doc"`: ids, status, party
//!   size, quantity, slots, start/end, totals, coupon, payment and refund summary, timestamps.
//!   It is also the by-guest index entry: `gsi1pk = "guest#<guest_id>"`,
//!   `gsi1sk = "<created at, RFC 3339 µs UTC>#<booking_id>"` (created = requested or
//!   waitlisted), so a descending gsi1 query lists a guest's bookings newest first.
//! - **Day-sheet entry** `pk = "day#<tenant_id>#<local date>"` (ids, status, slots, party,
//!   start and end, when it was created, its totals),
//!   `sk = "<first slot>#<booking_id>"`: the local date is the first slot's date (slots are
//!   local already); the first slot text (`2026-12-24` or `2026-12-24T18:30`) orders the sheet
//!   by start. Partitioned per tenant and date, so no date is one hot partition.
//!
//! - **Waitlist entry** `pk = "waitlist#<inventory_id>"`, `sk = "<booking_id>"`: while the
//!   booking waits or holds an offer (party, wanted dates, when it joined, the offer's expiry);
//!   soft-deleted once it leaves (accepted, declined, expired, cancelled).
//! - **Made on a date** `pk = "created#<tenant_id>#<UTC date>"`,
//!   `sk = "<created at, µs>#<booking_id>"`: a business's bookings by when they were requested
//!   or waitlisted.
//! - **Guest of a business** `pk = "guests#<tenant_id>"`, `sk = "<guest_id>"`: the guest's
//!   last booking with the business and when it was made.
//!
//! Every booking event carries the booking's ids (`"booking": {…}`); each patch sets what its
//! event carries (a partial SET) and nothing else, so the document is the union of absolute
//! facts. Events without slots (coupon, payments, refunds, offer accepted) leave the day sheet
//! alone; a waitlist entry gets a day-sheet entry once slots are offered.
//!
//! **Day sheet membership** (documented rule): an entry is live for bookings that are or will
//! be served — Requested, Held, Offered, Confirmed, CheckedIn, NoShow — and for cancellations
//! of a *confirmed* booking (the operator must see a paid guest's cancellation, with status
//! `Cancelled`). Rejected, Expired, declined or expired offers and cancellations before
//! confirmation are soft-deleted (`deleted: true`) and [`day_sheet`] skips them.

mod projection;
mod query;

pub use projection::BookingsProjection;
pub use query::{
    BookingPage, BookingView, BusinessGuest, CreatedPage, DaySheetEntry, GuestPage, MAX_EXAMINED,
    MAX_PAGE, MAX_RANGE_DAYS, MAX_WAITLIST, RangePage, WaitlistEntry, booking, bookings_between,
    bookings_by_guest, bookings_created_between, bookings_of_guest_where, check_range, day_sheet,
    guests_of_tenant, range_cursor, waitlist,
};

/// The key of a booking's document.
pub fn doc_key(booking_id: &str) -> crate::store::Key {
    crate::store::Key::new(format!("booking#{booking_id}"), "doc")
}

/// A guest's partition on gsi1.
pub fn guest_partition(guest_id: &str) -> String {
    format!("guest#{guest_id}")
}

/// An inventory's waitlist partition (items by booking id).
pub fn waitlist_partition(inventory_id: &str) -> String {
    format!("waitlist#{inventory_id}")
}

/// A business's bookings made on a UTC date (items by creation instant and id).
pub fn created_partition(tenant_id: &str, utc_date: &str) -> String {
    format!("created#{tenant_id}#{utc_date}")
}

/// A business's guests partition (items by guest id).
pub fn guests_partition(tenant_id: &str) -> String {
    format!("guests#{tenant_id}")
}

/// A tenant's day-sheet partition for a local date (`YYYY-MM-DD`).
pub fn day_partition(tenant_id: &str, date: &str) -> String {
    format!("day#{tenant_id}#{date}")
}
