//! The settings the scenarios share with `holdfast` itself, under the same flags and
//! `HOLDFAST_*` environment variables, so that one environment configures the server and its
//! bench: where the events are ([`StoreArgs`]), where the read models are ([`ReadSideArgs`]),
//! and the server's token secret ([`AuthArgs`]) — the bench mints its own tokens.

use std::path::PathBuf;

use clap::Args;
use holdfast_api::auth::AuthConfig;
use holdfast_engine::{ReadSide, ReadSideSettings};
use holdfast_eventstore::{EventStore, EventStoreError};
use holdfast_projections::store::dynamo::DynamoSettings;

use crate::error::{BenchError, Context};

/// The embedded default event store (`holdfast serve` with no setting).
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
    pub async fn open(&self) -> Result<EventStore, EventStoreError> {
        EventStore::open(&self.database_url).await
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
    /// Prefix of every read-model table name (the server's).
    #[arg(long, env = "HOLDFAST_TABLE_PREFIX", default_value = "holdfast_")]
    pub table_prefix: String,
}

impl ReadSideArgs {
    /// The read side these flags name.
    pub fn settings(&self) -> ReadSideSettings {
        if !(self.dynamodb || self.dynamodb_endpoint.is_some()) {
            return ReadSideSettings::InMemory;
        }
        ReadSideSettings::DynamoDb {
            settings: DynamoSettings {
                endpoint: self.dynamodb_endpoint.clone(),
                region: self.dynamodb_region.clone(),
            },
            table_prefix: self.table_prefix.clone(),
            require_reachable: true,
        }
    }

    /// Connects the read side and checks it answers.
    pub async fn connect(&self) -> Result<ReadSide, BenchError> {
        ReadSide::connect(&self.settings())
            .await
            .context("the read side is unavailable")
    }
}

/// How the server verifies bearer tokens (the bench signs its own with the same HS256 secret).
#[derive(Args, Clone, Debug)]
pub struct AuthArgs {
    /// HS256 shared secret (at least 16 bytes).
    #[arg(long, env = "HOLDFAST_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// RS256: a PEM file with the public key that verifies tokens (the bench cannot mint
    /// tokens for it: give the HS256 secret).
    #[arg(
        long,
        env = "HOLDFAST_JWT_PUBLIC_KEY_FILE",
        conflicts_with = "jwt_secret"
    )]
    pub jwt_public_key_file: Option<PathBuf>,
}

impl AuthArgs {
    /// The server's token configuration. With no setting, the embedded default's development
    /// secret beside its database (created on first use, exactly as `holdfast serve` and
    /// `holdfast token` do, so whichever runs first makes the one the others read).
    pub fn config(&self, store: &StoreArgs) -> Result<AuthConfig, BenchError> {
        AuthConfig::resolve(
            self.jwt_secret.as_deref(),
            self.jwt_public_key_file.as_deref(),
            &store.database_url,
        )
        .map_err(|e| BenchError::failed(e.to_string()))
    }
}
