//! Settings shared by several subcommands. Each comes from a flag or its `HOLDFAST_*`
//! environment variable, else a default that runs the embedded store.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use holdfast_api::auth::{AuthConfig, ClaimMapping, JwksSource, OutsideProvider};
use holdfast_engine::notify::{EmailSink, OutboxOptions, Sink, SmsSink, WebhookSink};
use holdfast_engine::payments::PaymentsWebhook;
use holdfast_engine::{OutboxSettings, ReadSide, ReadSideSettings, Secret};
use holdfast_eventstore::EventStore;
use holdfast_projections::store::dynamo::DynamoSettings;

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
    /// The read side these flags name (the engine connects it and checks it answers).
    pub fn settings(&self) -> ReadSideSettings {
        if !self.uses_dynamodb() {
            return ReadSideSettings::InMemory;
        }
        ReadSideSettings::DynamoDb {
            settings: self.dynamo(),
            table_prefix: self.table_prefix.clone(),
            require_reachable: true,
        }
    }

    /// Connects the read side and checks it answers.
    pub async fn connect(&self) -> anyhow::Result<ReadSide> {
        ReadSide::connect(&self.settings())
            .await
            .context("the read side is unavailable")
    }

    /// Endpoint and region of DynamoDB.
    pub fn dynamo(&self) -> DynamoSettings {
        DynamoSettings {
            endpoint: self.dynamodb_endpoint.clone(),
            region: self.dynamodb_region.clone(),
        }
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
    /// An outside identity provider: its JWKS file (with --jwt-issuer and --jwt-audience).
    #[arg(long, env = "HOLDFAST_JWKS_FILE", conflicts_with_all = ["jwt_secret", "jwt_public_key_file", "jwks_url"], requires_all = ["jwt_issuer", "jwt_audience"])]
    pub jwks_file: Option<PathBuf>,
    /// An outside identity provider: its JWKS URL, read again every 5 minutes.
    #[arg(long, env = "HOLDFAST_JWKS_URL", conflicts_with_all = ["jwt_secret", "jwt_public_key_file"], requires_all = ["jwt_issuer", "jwt_audience"])]
    pub jwks_url: Option<String>,
    /// The `iss` the outside provider's tokens carry.
    #[arg(long, env = "HOLDFAST_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// The `aud` the outside provider's tokens carry for this API.
    #[arg(long, env = "HOLDFAST_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    /// The claim naming roles in the outside provider's tokens (a dotted path, e.g.
    /// `realm_access.roles`; a string or a list).
    #[arg(long, env = "HOLDFAST_JWT_ROLE_CLAIM", default_value = "role")]
    pub jwt_role_claim: String,
    /// The claim with an operator's tenant id.
    #[arg(long, env = "HOLDFAST_JWT_TENANT_CLAIM", default_value = "tenant")]
    pub jwt_tenant_claim: String,
    /// Role values that make an admin (comma-separated).
    #[arg(
        long,
        env = "HOLDFAST_JWT_ADMIN_ROLES",
        default_value = "admin",
        value_delimiter = ','
    )]
    pub jwt_admin_roles: Vec<String>,
    /// Role values that make an operator (comma-separated).
    #[arg(
        long,
        env = "HOLDFAST_JWT_OPERATOR_ROLES",
        default_value = "operator",
        value_delimiter = ','
    )]
    pub jwt_operator_roles: Vec<String>,
}

impl AuthArgs {
    /// The configured verification. An outside provider's JWKS (file or URL) when given;
    /// else an HS256 secret or an RS256 key; with no setting, the embedded default (SQLite)
    /// uses a development secret kept beside its database (created on first use; `holdfast
    /// token` reads it too); a Postgres deployment must configure one.
    pub fn config(&self, store: &StoreArgs) -> anyhow::Result<AuthConfig> {
        let jwks = match (&self.jwks_file, &self.jwks_url) {
            (Some(file), _) => Some(JwksSource::File(file.clone())),
            (None, Some(url)) => Some(JwksSource::Url(url.clone())),
            (None, None) => None,
        };
        if let Some(jwks) = jwks {
            let (Some(issuer), Some(audience)) = (&self.jwt_issuer, &self.jwt_audience) else {
                anyhow::bail!("an outside identity provider needs --jwt-issuer and --jwt-audience");
            };
            return Ok(AuthConfig::Outside(Box::new(OutsideProvider {
                jwks,
                issuer: issuer.clone(),
                audience: audience.clone(),
                claims: ClaimMapping {
                    role_claim: self.jwt_role_claim.clone(),
                    tenant_claim: self.jwt_tenant_claim.clone(),
                    admin_roles: self.jwt_admin_roles.clone(),
                    operator_roles: self.jwt_operator_roles.clone(),
                },
            })));
        }
        Ok(AuthConfig::resolve(
            self.jwt_secret.as_deref(),
            self.jwt_public_key_file.as_deref(),
            &store.database_url,
        )?)
    }
}

/// The booking worker's reminders (`serve`, `worker`).
#[derive(Args, Clone, Debug)]
pub struct ReminderArgs {
    /// Remind guests this many minutes before a confirmed booking starts (0: never). A booking
    /// confirmed inside that window gets no reminder.
    #[arg(long, env = "HOLDFAST_REMINDER_MINUTES", default_value_t = 24 * 60)]
    pub reminder_minutes: u32,
    /// Warn guests this many minutes before an unpaid hold runs out (0: never). A hold shorter
    /// than that gets no warning.
    #[arg(long, env = "HOLDFAST_HOLD_WARNING_MINUTES", default_value_t = 5)]
    pub hold_warning_minutes: u32,
}

impl ReminderArgs {
    /// The booking worker these flags configure.
    pub fn worker(&self) -> holdfast_engine::worker::WorkerOptions {
        let lead = |minutes: u32| (minutes > 0).then(|| chrono::Duration::minutes(minutes.into()));
        holdfast_engine::worker::WorkerOptions {
            reminders: holdfast_engine::worker::Reminders {
                before_start: lead(self.reminder_minutes),
                before_hold_expiry: lead(self.hold_warning_minutes),
            },
            ..Default::default()
        }
    }
}

/// The notifications outbox (`serve`, `worker`): the log sink is always on; webhooks are added
/// with `--notify-webhook`.
#[derive(Args, Clone, Debug)]
pub struct NotifyArgs {
    /// Do not run the notifications outbox in this process.
    #[arg(long, env = "HOLDFAST_NO_NOTIFICATIONS")]
    pub no_notifications: bool,
    /// Also POST every notification to this URL, signed (repeatable; the variable takes a
    /// comma-separated list).
    #[arg(
        long = "notify-webhook",
        env = "HOLDFAST_NOTIFY_WEBHOOKS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub notify_webhooks: Vec<String>,
    /// The secret notification webhooks are signed with (Holdfast-Signature, HMAC-SHA256; at
    /// least 16 bytes). Required with --notify-webhook.
    #[arg(long, env = "HOLDFAST_NOTIFY_WEBHOOK_SECRET", hide_env_values = true)]
    pub notify_webhook_secret: Option<String>,
    /// Attempts before a notification is dead-lettered (an operator may retry it).
    #[arg(long, env = "HOLDFAST_NOTIFY_MAX_ATTEMPTS", default_value_t = 8)]
    pub notify_max_attempts: u32,
    /// Delay after a first failed attempt, in milliseconds; doubles per attempt (with jitter).
    #[arg(long, env = "HOLDFAST_NOTIFY_RETRY_BASE_MS", default_value_t = 1_000)]
    pub notify_retry_base_ms: u64,
    /// Largest delay between attempts, in milliseconds.
    #[arg(
        long,
        env = "HOLDFAST_NOTIFY_RETRY_CAP_MS",
        default_value_t = 3_600_000
    )]
    pub notify_retry_cap_ms: u64,
    /// Timeout of one webhook or SMTP attempt, in milliseconds.
    #[arg(long, env = "HOLDFAST_NOTIFY_TIMEOUT_MS", default_value_t = 10_000)]
    pub notify_timeout_ms: u64,
    /// E-mail guests through this SMTP server: `smtp://host:25` (plain, a local relay),
    /// `smtps://user:pass@host:465`, `smtp://user:pass@host:587?tls=required` (STARTTLS).
    #[arg(
        long,
        env = "HOLDFAST_SMTP_URL",
        hide_env_values = true,
        requires = "smtp_from"
    )]
    pub smtp_url: Option<String>,
    /// The sender of e-mails (`Snowflake Bookings <bookings@example.com>`).
    #[arg(long, env = "HOLDFAST_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// Text guests through this SMS provider API (a JSON POST; see the README).
    #[arg(long, env = "HOLDFAST_SMS_URL", requires = "sms_token")]
    pub sms_url: Option<String>,
    /// The SMS provider's bearer token.
    #[arg(long, env = "HOLDFAST_SMS_TOKEN", hide_env_values = true)]
    pub sms_token: Option<String>,
}

impl NotifyArgs {
    /// The outbox these flags configure (`None` with `--no-notifications`).
    pub fn settings(&self) -> anyhow::Result<Option<OutboxSettings>> {
        if self.no_notifications {
            return Ok(None);
        }
        let timeout = Duration::from_millis(self.notify_timeout_ms.max(1));
        let mut sinks = Vec::new();
        let urls: Vec<&str> = self
            .notify_webhooks
            .iter()
            .map(|u| u.trim())
            .filter(|u| !u.is_empty())
            .collect();
        if !urls.is_empty() {
            let Some(secret) = &self.notify_webhook_secret else {
                bail!(
                    "--notify-webhook needs a signing secret: set HOLDFAST_NOTIFY_WEBHOOK_SECRET (--notify-webhook-secret)"
                );
            };
            for url in urls {
                let sink = WebhookSink::new(url, Secret::new(secret.as_bytes()), timeout)?;
                sinks.push(Sink::Webhook(sink));
            }
        }
        if let Some(url) = &self.smtp_url {
            let Some(from) = &self.smtp_from else {
                bail!("--smtp-url needs a sender: set HOLDFAST_SMTP_FROM (--smtp-from)");
            };
            sinks.push(Sink::Email(EmailSink::new(url, from, timeout)?));
        }
        if let Some(url) = &self.sms_url {
            let Some(token) = &self.sms_token else {
                bail!("--sms-url needs a token: set HOLDFAST_SMS_TOKEN (--sms-token)");
            };
            sinks.push(Sink::Sms(SmsSink::new(
                url,
                Secret::new(token.as_bytes()),
                timeout,
            )?));
        }
        if self.notify_max_attempts == 0 {
            bail!("--notify-max-attempts must be at least 1");
        }
        let options = OutboxOptions {
            max_attempts: self.notify_max_attempts,
            retry_base: Duration::from_millis(self.notify_retry_base_ms.max(1)),
            retry_cap: Duration::from_millis(self.notify_retry_cap_ms.max(1)),
            ..OutboxOptions::default()
        };
        Ok(Some(OutboxSettings { sinks, options }))
    }
}

/// The booking site (`serve`): how guests pay.
#[derive(Args, Clone, Debug)]
pub struct WebArgs {
    /// A payment provider's checkout page: the hold page sends guests to this URL with
    /// `{booking}`, `{amount_minor}`, `{currency}` and `{return}` filled in; the provider then
    /// reports the payment to `POST /webhooks/payments`.
    #[arg(long, env = "HOLDFAST_CHECKOUT_URL", conflicts_with = "test_checkout")]
    pub checkout_url: Option<String>,
    /// The built-in test checkout (no money moves; the payment goes through the signed payments
    /// webhook). On by default for the embedded (SQLite) store, never with --checkout-url.
    #[arg(long, env = "HOLDFAST_TEST_CHECKOUT")]
    pub test_checkout: Option<bool>,
}

impl WebArgs {
    /// The site's settings for a store at `database_url`.
    pub fn settings(&self, database_url: &str) -> holdfast_web::WebSettings {
        let embedded = database_url.starts_with("sqlite:");
        let checkout = match (&self.checkout_url, self.test_checkout) {
            (Some(url), _) => holdfast_web::Checkout::Provider(url.clone()),
            (None, Some(true)) => holdfast_web::Checkout::Test,
            (None, None) if embedded => holdfast_web::Checkout::Test,
            _ => holdfast_web::Checkout::Off,
        };
        holdfast_web::WebSettings { checkout }
    }
}

/// `POST /webhooks/payments` (`serve`).
#[derive(Args, Clone, Debug)]
pub struct PaymentsWebhookArgs {
    /// The secret payment providers sign `POST /webhooks/payments` with (Holdfast-Signature,
    /// HMAC-SHA256; at least 16 bytes). Without it the endpoint answers 404 WEBHOOK_DISABLED.
    #[arg(long, env = "HOLDFAST_PAYMENTS_WEBHOOK_SECRET", hide_env_values = true)]
    pub payments_webhook_secret: Option<String>,
    /// Largest distance, in seconds, between a delivery's signed timestamp and now.
    #[arg(
        long,
        env = "HOLDFAST_PAYMENTS_WEBHOOK_TOLERANCE_SECS",
        default_value_t = 300
    )]
    pub payments_webhook_tolerance_secs: u32,
}

impl PaymentsWebhookArgs {
    /// The webhook's verification, when a secret is configured; with none and `test_checkout`,
    /// a random secret for this process (the test checkout signs its reports with it).
    pub fn settings(&self, test_checkout: bool) -> anyhow::Result<Option<PaymentsWebhook>> {
        let Some(secret) = &self.payments_webhook_secret else {
            if test_checkout {
                let secret = holdfast_engine::accounts::new_token();
                return Ok(Some(PaymentsWebhook::new(Secret::new(secret.as_bytes()))));
            }
            return Ok(None);
        };
        if secret.len() < 16 {
            bail!("the payments webhook secret must be at least 16 bytes");
        }
        Ok(Some(
            PaymentsWebhook::new(Secret::new(secret.as_bytes())).tolerance(
                chrono::Duration::seconds(i64::from(self.payments_webhook_tolerance_secs)),
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::ReminderArgs;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        reminders: ReminderArgs,
    }

    #[test]
    fn reminders_default_to_a_day_and_five_minutes_and_zero_turns_them_off() {
        let defaults = Cli::parse_from(["holdfast"]).reminders.worker().reminders;
        assert_eq!(defaults.before_start, Some(chrono::Duration::hours(24)));
        assert_eq!(
            defaults.before_hold_expiry,
            Some(chrono::Duration::minutes(5))
        );
        let set = Cli::parse_from([
            "holdfast",
            "--reminder-minutes",
            "180",
            "--hold-warning-minutes",
            "0",
        ])
        .reminders
        .worker()
        .reminders;
        assert_eq!(set.before_start, Some(chrono::Duration::hours(3)));
        assert_eq!(set.before_hold_expiry, None);
        assert!(Cli::try_parse_from(["holdfast", "--reminder-minutes", "-1"]).is_err());
    }
}
