//! The DynamoDB client: production uses AWS's default credential chain and region; a local
//! endpoint (DynamoDB Local) gets placeholder credentials when none are configured.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::error::DisplayErrorContext;

/// Where the read models live.
#[derive(Clone, Debug, Default)]
pub struct DynamoSettings {
    /// A non-AWS endpoint, e.g. `http://127.0.0.1:8000` for DynamoDB Local.
    pub endpoint: Option<String>,
    /// The region; defaults to the AWS chain's, or `us-east-1` for a local endpoint.
    pub region: Option<String>,
}

/// DynamoDB could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DynamoError {
    /// The endpoint did not answer, or refused the request.
    #[error("cannot reach DynamoDB at {endpoint}: {reason}. {hint}")]
    Unreachable {
        /// The endpoint (or "the AWS default endpoint").
        endpoint: String,
        /// What the SDK said.
        reason: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// The endpoint is not a URL.
    #[error("invalid DynamoDB endpoint `{0}`: expected a URL such as http://127.0.0.1:8000")]
    InvalidEndpoint(String),
}

const HINT: &str = "Is DynamoDB Local running (./scripts/test starts one on 127.0.0.1:8000) and is --dynamodb-endpoint / HOLDFAST_DYNAMODB_ENDPOINT right? For AWS, check the credentials and region of the default chain";

/// Builds a client from `settings`. Makes no request.
pub async fn client(settings: &DynamoSettings) -> Result<Client, DynamoError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(10))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3));
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(endpoint) = &settings.endpoint {
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(DynamoError::InvalidEndpoint(
                endpoint.chars().take(200).collect(),
            ));
        }
        loader = loader.endpoint_url(endpoint);
        if settings.region.is_none() && std::env::var_os("AWS_REGION").is_none() {
            loader = loader.region(Region::new("us-east-1"));
        }
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(Credentials::new(
                "local",
                "local",
                None,
                None,
                "holdfast-local",
            ));
        }
    }
    Ok(Client::new(&loader.load().await))
}

/// Checks that DynamoDB answers a `ListTables` with these settings.
pub async fn check_reachable(
    client: &Client,
    settings: &DynamoSettings,
) -> Result<(), DynamoError> {
    client
        .list_tables()
        .limit(1)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| DynamoError::Unreachable {
            endpoint: settings
                .endpoint
                .clone()
                .unwrap_or_else(|| "the AWS default endpoint".to_owned()),
            reason: DisplayErrorContext(&e).to_string().replace('\n', " "),
            hint: HINT,
        })
}
