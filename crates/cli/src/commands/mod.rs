//! One module per subcommand.

pub mod events;
pub mod fixtures;
pub mod migrate;
pub mod notifications;
pub mod projections;
pub mod report;
pub mod schema;
pub mod serve;
pub mod token;
pub mod worker;
