//! Settings shared by several subcommands. Each comes from a flag or its `HOLDFAST_*`
//! environment variable, else a default that runs the embedded store.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use holdfast_api::ReadSide;
use holdfast_api::auth::{AuthConfig, Authenticator, Secret};
use holdfast_eventstore::EventStore;
use holdfast_projections::dynamo::{self, DynamoSettings};

/// The embedded default event store.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/holdfast.db";

/// Where the events are.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// Event store URL: postgres://user:password@host:port/db, or sqlite://path/to/file.db.
    #[arg(long, global = true, env = "HOLDFAST_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
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
    #[arg(long, global = true, env = "HOLDFAST_DYNAMODB")]
    pub dynamodb: bool,
    /// A DynamoDB endpoint such as http://127.0.0.1:8000 (DynamoDB Local); implies --dynamodb.
    #[arg(long, global = true, env = "HOLDFAST_DYNAMODB_ENDPOINT")]
    pub dynamodb_endpoint: Option<String>,
    /// The DynamoDB region (default: the AWS chain's; us-east-1 for a local endpoint).
    #[arg(long, global = true, env = "HOLDFAST_DYNAMODB_REGION")]
    pub dynamodb_region: Option<String>,
    /// Prefix of every read-model table name (lets several deployments share an account).
    #[arg(
        long,
        global = true,
        env = "HOLDFAST_TABLE_PREFIX",
        default_value = "holdfast_"
    )]
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

/// How bearer tokens are verified.
#[derive(Args, Clone, Debug)]
pub struct AuthArgs {
    /// HS256 shared secret (at least 16 bytes).
    #[arg(long, env = "HOLDFAST_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// RS256: a PEM file with the public key that verifies tokens.
    #[arg(
        long,
        env = "HOLDFAST_JWT_PUBLIC_KEY_FILE",
        conflicts_with = "jwt_secret"
    )]
    pub jwt_public_key_file: Option<PathBuf>,
}

/// Where the embedded default keeps its development signing secret.
pub fn dev_secret_path(database_url: &str) -> Option<PathBuf> {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    Some(
        Path::new(path)
            .parent()
            .unwrap_or(Path::new("."))
            .join("jwt-dev-secret"),
    )
}

impl AuthArgs {
    /// The configured authenticator. With no setting, the embedded default (SQLite) uses a
    /// development secret kept beside its database (created on first use; `holdfast token`
    /// reads it too); a Postgres deployment must configure one.
    pub fn config(&self, store: &StoreArgs) -> anyhow::Result<AuthConfig> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(AuthConfig::Hs256(Secret::new(secret.as_bytes())));
        }
        if let Some(file) = &self.jwt_public_key_file {
            let pem = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the JWT public key {}", file.display()))?;
            return Ok(AuthConfig::Rs256PublicKeyPem(pem));
        }
        let Some(path) = dev_secret_path(&store.database_url) else {
            bail!(
                "no JWT verification key: set HOLDFAST_JWT_SECRET (--jwt-secret) or HOLDFAST_JWT_PUBLIC_KEY_FILE (--jwt-public-key-file)"
            );
        };
        if !path.exists() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let secret = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            std::fs::write(&path, secret).with_context(|| {
                format!("cannot write the development secret {}", path.display())
            })?;
            tracing::warn!(path = %path.display(), "generated a development JWT secret (set HOLDFAST_JWT_SECRET in production)");
        }
        let secret = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the development secret {}", path.display()))?;
        Ok(AuthConfig::Hs256(Secret::new(secret.trim().as_bytes())))
    }

    /// The authenticator for [`Self::config`].
    pub fn authenticator(&self, store: &StoreArgs) -> anyhow::Result<Authenticator> {
        Ok(Authenticator::new(&self.config(store)?)?)
    }
}
