//! [`ReadSide`]: where the read models live (process memory or DynamoDB).

use std::sync::Arc;

use holdfast_projections::store::ReadStore;
use holdfast_projections::store::dynamo::DynamoStore;
use holdfast_projections::store::dynamo::{self, DynamoError, DynamoSettings};
use holdfast_projections::store::memory::MemoryStore;

/// Where the read models live, as configured.
#[derive(Clone, Debug, Default)]
pub enum ReadSideSettings {
    /// In process memory, rebuilt from the log at every start (the embedded default).
    #[default]
    InMemory,
    /// DynamoDB tables named `{table_prefix}…`.
    DynamoDb {
        /// Endpoint and region.
        settings: DynamoSettings,
        /// Prefix of every table name.
        table_prefix: String,
        /// Refuse to start when DynamoDB does not answer (a server should; a readiness test
        /// of an unreachable DynamoDB does not).
        require_reachable: bool,
    },
}

/// Where the read models live.
#[derive(Clone)]
pub enum ReadSide {
    /// In process memory, rebuilt from the log at start (the embedded default).
    InMemory(Arc<MemoryStore>),
    /// DynamoDB.
    DynamoDb {
        /// The client.
        client: aws_sdk_dynamodb::Client,
        /// How it was configured (for messages).
        settings: DynamoSettings,
        /// The store on it.
        store: Arc<DynamoStore>,
    },
}

impl ReadSide {
    /// Connects the read side `settings` name (and checks DynamoDB answers, if they ask).
    pub async fn connect(settings: &ReadSideSettings) -> Result<Self, DynamoError> {
        Ok(match settings {
            ReadSideSettings::InMemory => ReadSide::in_memory(),
            ReadSideSettings::DynamoDb {
                settings,
                table_prefix,
                require_reachable,
            } => {
                let client = dynamo::client(settings).await?;
                if *require_reachable {
                    dynamo::check_reachable(&client, settings).await?;
                }
                ReadSide::dynamodb(client, settings.clone(), table_prefix)
            }
        })
    }

    /// A fresh in-memory read side.
    pub fn in_memory() -> Self {
        ReadSide::InMemory(Arc::new(MemoryStore::new()))
    }

    /// A DynamoDB read side with tables named `{table_prefix}…`.
    pub fn dynamodb(
        client: aws_sdk_dynamodb::Client,
        settings: DynamoSettings,
        table_prefix: &str,
    ) -> Self {
        let store = Arc::new(DynamoStore::new(client.clone(), table_prefix));
        ReadSide::DynamoDb {
            client,
            settings,
            store,
        }
    }

    /// The read-model store.
    pub fn store(&self) -> Arc<dyn ReadStore> {
        match self {
            ReadSide::InMemory(store) => store.clone(),
            ReadSide::DynamoDb { store, .. } => store.clone(),
        }
    }

    /// `in-memory` or `dynamodb`.
    pub fn kind(&self) -> &'static str {
        match self {
            ReadSide::InMemory(_) => "in-memory",
            ReadSide::DynamoDb { .. } => "dynamodb",
        }
    }
}
