//! What every handler shares.

use std::sync::Arc;

use holdfast_domain::services::DomainServices;
use holdfast_eventstore::EventStore;
use holdfast_projections::dynamo::DynamoSettings;
use holdfast_projections::runtime::ProjectionRuntime;
use holdfast_projections::store::ReadStore;
use holdfast_projections::store::dynamo::DynamoStore;
use holdfast_projections::store::memory::MemoryStore;

use crate::auth::Authenticator;
use crate::commands::Commands;
use crate::webhooks::PaymentsWebhook;

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

/// Shared application state. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The event store (source of truth).
    pub store: EventStore,
    /// The read side.
    pub read_side: ReadSide,
    /// The projectors running in this process, if any (for lag and read-your-writes).
    pub projections: Option<Arc<ProjectionRuntime>>,
    /// Verifies bearer tokens.
    pub auth: Arc<Authenticator>,
    /// The domain's services (the clock every rule reads).
    pub services: DomainServices,
    /// The command side.
    pub commands: Arc<Commands>,
    /// How `POST /webhooks/payments` verifies deliveries (`None`: the endpoint is disabled).
    pub payments_webhook: Option<Arc<PaymentsWebhook>>,
}

impl AppState {
    /// State over a store and a read side; builds the command side.
    pub fn new(
        store: EventStore,
        read_side: ReadSide,
        projections: Option<Arc<ProjectionRuntime>>,
        auth: Authenticator,
        services: DomainServices,
    ) -> Self {
        let commands = Arc::new(Commands::new(&store, &services));
        Self {
            store,
            read_side,
            projections,
            auth: Arc::new(auth),
            services,
            commands,
            payments_webhook: None,
        }
    }

    /// Enables `POST /webhooks/payments` with `config`.
    pub fn with_payments_webhook(mut self, config: PaymentsWebhook) -> Self {
        self.payments_webhook = Some(Arc::new(config));
        self
    }
}
