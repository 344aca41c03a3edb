//! Booking tests.
