//! waitlist
