//! One module per subcommand.

pub mod migrate;
pub mod projections;
pub mod serve;
pub mod token;
