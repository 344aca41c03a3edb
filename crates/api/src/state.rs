//! What every handler shares.

use holdfast_eventstore::EventStore;
use holdfast_projections::dynamo::DynamoSettings;

/// Where the read models live.
#[derive(Clone)]
pub enum ReadSide {
    /// In process memory, rebuilt from the log at start (the embedded default).
    InMemory,
    /// DynamoDB.
    DynamoDb {
        /// The client.
        client: aws_sdk_dynamodb::Client,
        /// How it was configured (for messages).
        settings: DynamoSettings,
    },
}

/// Shared application state. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The event store (source of truth).
    pub store: EventStore,
    /// The read side.
    pub read_side: ReadSide,
}
