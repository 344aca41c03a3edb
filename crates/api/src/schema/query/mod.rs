//! Query fields, one module per aggregate.

pub mod service;
