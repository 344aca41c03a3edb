//! Where notifications go.
//!
//! - [`Sink::Log`] (`log`): one `tracing` event per notification at target
//!   [`LOG_TARGET`], level INFO, with the payload as JSON. Always on.
//! - [`Sink::Webhook`]: `POST <url>` with the payload as the JSON body and the headers
//!   `Holdfast-Event-Id: <notification id>` (what receivers deduplicate on) and
//!   `Holdfast-Signature: t=<unix>,v1=<hex HMAC-SHA256("<t>.<body>")>` ([`crate::signature`]),
//!   signed with the configured secret at the moment of sending. A 2xx answer acknowledges the
//!   notification; anything else (another status, a timeout, a refused connection) is a failed
//!   attempt. Its name is `webhook:<host[:port]>/<first 12 hex digits of SHA-256(url)>`, so
//!   operators can tell sinks apart without ever seeing a token the URL may carry.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Url;
use sha2::{Digest, Sha256};

use super::NotifyError;
use super::store::Delivery;
use crate::secret::Secret;
use crate::signature;

/// The `tracing` target of the log sink.
pub const LOG_TARGET: &str = "holdfast::notifications";
/// The header carrying the notification id.
pub const EVENT_ID_HEADER: &str = "Holdfast-Event-Id";
/// The log sink's name.
pub const LOG_SINK: &str = "log";

/// A webhook sink's configuration.
#[derive(Clone, Debug)]
pub struct WebhookSink {
    name: String,
    url: Url,
    secret: Secret,
    client: reqwest::Client,
}

impl WebhookSink {
    /// A sink posting to `url` (http or https), signing with `secret`, giving up on an attempt
    /// after `timeout`.
    pub fn new(url: &str, secret: Secret, timeout: Duration) -> Result<Self, NotifyError> {
        let parsed =
            Url::parse(url).map_err(|e| NotifyError::InvalidSink(format!("webhook URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(NotifyError::InvalidSink(
                "webhook URL: must be http(s)://host/…".to_owned(),
            ));
        }
        if secret.expose().len() < 16 {
            return Err(NotifyError::InvalidSink(
                "the notification webhook secret must be at least 16 bytes".to_owned(),
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!(
                "holdfast-notifications/",
                env!("CARGO_PKG_VERSION")
            ))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| NotifyError::InvalidSink(format!("HTTP client: {e}")))?;
        Ok(Self {
            name: webhook_name(&parsed),
            url: parsed,
            secret,
            client,
        })
    }
}

/// `webhook:<host[:port]>/<12 hex of SHA-256(url)>`.
fn webhook_name(url: &Url) -> String {
    let digest = Sha256::digest(url.as_str().as_bytes());
    let host = url.host_str().unwrap_or("");
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    format!("webhook:{authority}/{}", &hex::encode(digest)[..12])
}

/// A destination of notifications.
#[derive(Clone, Debug)]
pub enum Sink {
    /// The process log.
    Log,
    /// A signed HTTP POST.
    Webhook(WebhookSink),
    /// E-mail to the guest (or account) over SMTP ([`super::email`]).
    Email(super::email::EmailSink),
    /// A text message to the guest through a provider's HTTP API ([`super::sms`]).
    Sms(super::sms::SmsSink),
}

impl Sink {
    /// The sink's name (the `sink` column).
    pub fn name(&self) -> &str {
        match self {
            Sink::Log => LOG_SINK,
            Sink::Webhook(w) => &w.name,
            Sink::Email(_) => super::email::EMAIL_SINK,
            Sink::Sms(_) => super::sms::SMS_SINK,
        }
    }

    /// One attempt to deliver; `Err` says why it failed.
    pub async fn deliver(
        &self,
        delivery: &Delivery,
        now: DateTime<Utc>,
        store: &holdfast_eventstore::EventStore,
    ) -> Result<(), String> {
        match self {
            Sink::Email(email) => email.deliver(delivery, store).await,
            Sink::Sms(sms) => sms.deliver(delivery, store).await,
            Sink::Log => {
                tracing::info!(
                    target: LOG_TARGET,
                    notification_id = %delivery.notification_id,
                    kind = %delivery.kind,
                    tenant_id = %delivery.tenant_id,
                    booking_id = %delivery.booking_id,
                    payload = %delivery.payload,
                    "notification"
                );
                Ok(())
            }
            Sink::Webhook(w) => {
                let body = serde_json::to_vec(&delivery.payload).map_err(|e| e.to_string())?;
                let signature = signature::header_value(&w.secret, now, &body);
                let response = w
                    .client
                    .post(w.url.clone())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header(EVENT_ID_HEADER, &delivery.notification_id)
                    .header(signature::HEADER, signature)
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| describe(&e.without_url()))?;
                let status = response.status();
                if status.is_success() {
                    Ok(())
                } else {
                    let text = response.text().await.unwrap_or_default();
                    let excerpt: String = text.chars().take(200).collect();
                    Err(format!("HTTP {}: {}", status.as_u16(), excerpt.trim()))
                }
            }
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        format!("cannot connect: {e}")
    } else {
        e.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_names_hide_the_path_and_query_but_tell_sinks_apart() {
        let secret = Secret::new("0123456789abcdef");
        let a = WebhookSink::new(
            "https://hooks.example.com/T0/B0?token=s3cret",
            secret.clone(),
            Duration::from_secs(1),
        )
        .unwrap();
        let b = WebhookSink::new(
            "http://127.0.0.1:9000/hook",
            secret.clone(),
            Duration::from_secs(1),
        )
        .unwrap();
        let a_name = Sink::Webhook(a).name().to_owned();
        assert!(a_name.starts_with("webhook:hooks.example.com/"), "{a_name}");
        assert!(!a_name.contains("s3cret") && !a_name.contains("T0"));
        assert!(
            Sink::Webhook(b)
                .name()
                .starts_with("webhook:127.0.0.1:9000/")
        );
        assert!(WebhookSink::new("ftp://x/y", secret.clone(), Duration::from_secs(1)).is_err());
        assert!(
            WebhookSink::new("http://x/y", Secret::new("short"), Duration::from_secs(1)).is_err()
        );
    }
}
