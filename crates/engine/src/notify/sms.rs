//! The SMS sink (`sms`): a booking's notification as a text message to the guest's phone, in
//! their language, through a provider's HTTP API — a generic one: `POST <url>` with
//!
//! ```json
//! {"id": "<notification id>", "to": "+821012345678", "text": "[Snowflake] …", "language": "ko"}
//! ```
//!
//! `Authorization: Bearer <token>` and `Idempotency-Key: <notification id>` (so a provider
//! that honours it never sends one twice, even if Holdfast repeats a request whose answer it
//! lost). A 2xx is sent; anything else is a failed attempt (retries, dead letters, operator
//! retry). The text is the message's subject line (it says where, what and when). Account
//! messages and guests with no phone, no profile or who turned the kind off get nothing.

use std::time::Duration;

use holdfast_eventstore::EventStore;
use reqwest::Url;
use serde_json::json;

use super::NotifyError;
use super::email::guest_message;
use super::store::Delivery;
use crate::secret::Secret;

/// The SMS sink's name.
pub const SMS_SINK: &str = "sms";

/// An SMS provider's HTTP API.
#[derive(Clone)]
pub struct SmsSink {
    url: Url,
    token: Secret,
    client: reqwest::Client,
}

impl std::fmt::Debug for SmsSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSink")
            .field("host", &self.url.host_str())
            .finish_non_exhaustive()
    }
}

impl SmsSink {
    /// A sink posting to `url` with `token`, giving up on an attempt after `timeout`.
    ///
    /// # Errors
    ///
    /// [`NotifyError::InvalidSink`].
    pub fn new(url: &str, token: Secret, timeout: Duration) -> Result<Self, NotifyError> {
        let url = Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                NotifyError::InvalidSink(format!("--sms-url: `{url}` is not an http(s) URL"))
            })?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| NotifyError::InvalidSink(e.to_string()))?;
        Ok(Self { url, token, client })
    }

    /// One attempt to send `delivery`; `Err` says why it failed.
    pub async fn deliver(&self, delivery: &Delivery, store: &EventStore) -> Result<(), String> {
        if delivery.kind.is_account_message() {
            return Ok(());
        }
        let (profile, message) = match guest_message(delivery, store).await? {
            Ok(found) => found,
            Err(_nothing) => return Ok(()),
        };
        let Some(phone) = profile.phone else {
            return Ok(());
        };
        let token = String::from_utf8_lossy(self.token.expose()).into_owned();
        let response = self
            .client
            .post(self.url.clone())
            .bearer_auth(token)
            .header("Idempotency-Key", &delivery.notification_id)
            .json(
                &json!({"id": delivery.notification_id, "to": phone.as_str(),
                          "text": message.subject, "language": profile.language.as_str()}),
            )
            .send()
            .await
            .map_err(|e| format!("SMS: {}", e.without_url()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let text = response.text().await.unwrap_or_default();
            let excerpt: String = text.chars().take(200).collect();
            Err(format!("SMS: HTTP {}: {}", status.as_u16(), excerpt.trim()))
        }
    }
}
