//! Settings shared by several subcommands. Each comes from a flag or its `HOLDFAST_*`
//! environment variable, else a default that runs the embedded store.

use anyhow::Context;
use clap::Args;
use holdfast_api::ReadSide;
use holdfast_eventstore::EventStore;
use holdfast_projections::dynamo::{self, DynamoSettings};

/// The embedded default event store.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/holdfast.db";

/// Where the events are.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// Event store URL: postgres://user:password@host:port/db, or sqlite://path/to/file.db.
    #[arg(long, env = "HOLDFAST_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    pub database_url: String,
}

impl StoreArgs {
    /// Opens (connects to) the event store.
    pub async fn open(&self) -> anyhow::Result<EventStore> {
        Ok(EventStore::open(&self.database_url).await?)
    }
}

/// Where the read models are.
#[derive(Args, Clone, Debug)]
pub struct ReadSideArgs {
    /// Keep read models in DynamoDB (AWS default credential chain and region) instead of memory.
    #[arg(long, env = "HOLDFAST_DYNAMODB")]
    pub dynamodb: bool,
    /// A DynamoDB endpoint such as http://127.0.0.1:8000 (DynamoDB Local); implies --dynamodb.
    #[arg(long, env = "HOLDFAST_DYNAMODB_ENDPOINT")]
    pub dynamodb_endpoint: Option<String>,
    /// The DynamoDB region (default: the AWS chain's; us-east-1 for a local endpoint).
    #[arg(long, env = "HOLDFAST_DYNAMODB_REGION")]
    pub dynamodb_region: Option<String>,
    /// Prefix of every read-model table name (lets several deployments share an account).
    #[arg(long, env = "HOLDFAST_TABLE_PREFIX", default_value = "holdfast_")]
    pub table_prefix: String,
}

impl ReadSideArgs {
    /// Connects the read side and checks it answers.
    pub async fn connect(&self) -> anyhow::Result<ReadSide> {
        if !self.uses_dynamodb() {
            return Ok(ReadSide::in_memory());
        }
        let settings = DynamoSettings {
            endpoint: self.dynamodb_endpoint.clone(),
            region: self.dynamodb_region.clone(),
        };
        let client = dynamo::client(&settings).await?;
        dynamo::check_reachable(&client, &settings)
            .await
            .context("the read side is unavailable")?;
        Ok(ReadSide::dynamodb(client, settings, &self.table_prefix))
    }

    /// Whether read models live in DynamoDB (rather than in the server's memory).
    pub fn uses_dynamodb(&self) -> bool {
        self.dynamodb || self.dynamodb_endpoint.is_some()
    }
}
