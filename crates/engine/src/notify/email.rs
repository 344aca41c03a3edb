//! The e-mail sink (`email`): each notification as a message in the guest's language
//! ([`super::messages`]) over SMTP (`lettre`), to the address it is for, read **when it is
//! sent** — never stored with the delivery:
//!
//! - a booking's notification: the guest's profile address (its language, its name), the
//!   listing's name and time zone; a confirmation also carries the booking as `booking.ics`
//!   (iCalendar, [`crate::calendar`]);
//! - a verification or reset link: the account's address;
//! - an invitation: the address it was sent to (`invitation_addresses`).
//!
//! No address (a guest with no profile or no e-mail, a forgotten guest) is nothing to send: the
//! delivery counts as done. The `Message-ID` is derived from the notification id
//! (`<notification id>@holdfast>`), so a receiver can drop a repeat. An SMTP error (refused
//! connection, a 4xx or 5xx answer, a timeout) is a failed attempt: the outbox retries with
//! backoff and dead-letters after its maximum, as for webhooks.

use std::time::Duration;

use holdfast_domain::common::GuestId;
use holdfast_domain::guest::Language;
use holdfast_domain::listing::Listing;
use holdfast_eventstore::EventStore;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Value, json};

use super::NotifyError;
use super::kind::NotificationKind;
use super::messages::{self, Rendered};
use super::preferences::OptOuts;
use super::store::Delivery;
use crate::profiles::{GuestProfile, Profiles};

/// The e-mail sink's name.
pub const EMAIL_SINK: &str = "email";

/// An SMTP sink.
#[derive(Clone)]
pub struct EmailSink {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
}

impl std::fmt::Debug for EmailSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSink")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// What a notification becomes for the e-mail sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// A message to send.
    Send {
        /// The address.
        to: String,
        /// The message.
        message: Rendered,
        /// Its language.
        language: Language,
    },
    /// Nothing to send, and why.
    Nothing(&'static str),
}

impl EmailSink {
    /// A sink sending through `smtp_url` (`smtp://host:port` — plain, for a local relay;
    /// `smtps://` — TLS; `smtp://…?tls=required` — STARTTLS; user and password in the URL) as
    /// `from` (`Name <address>` or an address), giving up on an attempt after `timeout`.
    ///
    /// # Errors
    ///
    /// [`NotifyError::InvalidSink`].
    pub fn new(smtp_url: &str, from: &str, timeout: Duration) -> Result<Self, NotifyError> {
        let invalid = |what: &str, e: &dyn std::fmt::Display| {
            NotifyError::InvalidSink(format!("{what}: {e}"))
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| invalid("--smtp-url", &e))?
            .timeout(Some(timeout))
            .build();
        let from: Mailbox = from.parse().map_err(|e| invalid("--smtp-from", &e))?;
        let server = smtp_url
            .split('@')
            .next_back()
            .unwrap_or(smtp_url)
            .trim_start_matches("smtp://")
            .trim_start_matches("smtps://")
            .to_owned();
        Ok(Self {
            transport,
            from,
            server,
        })
    }

    /// One attempt to send `delivery`; `Err` says why it failed.
    pub async fn deliver(&self, delivery: &Delivery, store: &EventStore) -> Result<(), String> {
        let outgoing = outgoing(delivery, store).await?;
        let Outgoing::Send { to, message, .. } = outgoing else {
            return Ok(());
        };
        let to: Mailbox = match to.parse() {
            Ok(to) => to,
            // An address we cannot write to is nothing to retry.
            Err(_) => return Ok(()),
        };
        let id = delivery.notification_id.replace(':', ".");
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject)
            .message_id(Some(format!("<{id}@holdfast>")));
        let email = match message.calendar {
            // A confirmation carries the booking as `booking.ics` (calendar apps offer to add it).
            Some(calendar) => builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(message.body))
                    .singlepart(
                        Attachment::new("booking.ics".to_owned()).body(
                            calendar,
                            ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                                .map_err(|e| e.to_string())?,
                        ),
                    ),
            ),
            None => builder.header(ContentType::TEXT_PLAIN).body(message.body),
        }
        .map_err(|e| e.to_string())?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}

async fn text(store: &EventStore, sql: &str, id: &str) -> Result<Option<String>, String> {
    let row: Option<(String,)> = store
        .db()
        .fetch_optional_as(sql, &[id.into()])
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.map(|(t,)| t))
}

fn language_of(payload: &Value) -> Language {
    payload
        .get("language")
        .and_then(Value::as_str)
        .and_then(|l| Language::parse(l).ok())
        .unwrap_or_default()
}

/// What `delivery` becomes: its recipient and message, read now (see the module docs).
///
/// # Errors
///
/// A store error (the attempt fails and is retried).
pub async fn outgoing(delivery: &Delivery, store: &EventStore) -> Result<Outgoing, String> {
    let payload = &delivery.payload;
    let field = |k: &str| payload.get(k).and_then(Value::as_str).unwrap_or_default();
    match delivery.kind {
        NotificationKind::VerifyEmail | NotificationKind::ResetPassword => {
            let Some(to) = text(
                store,
                "SELECT email FROM accounts WHERE account_id = $1",
                field("account_id"),
            )
            .await?
            else {
                return Ok(Outgoing::Nothing("the account is gone"));
            };
            let language = language_of(payload);
            let name = delivery.kind.as_str();
            let context = json!({
                "link": field("link"),
                "hours": payload.get("expires_in_minutes").and_then(Value::as_i64).unwrap_or(0) / 60,
                "minutes": payload.get("expires_in_minutes").and_then(Value::as_i64).unwrap_or(0),
            });
            let message = messages::render(name, language, &context)?;
            Ok(Outgoing::Send {
                to,
                message,
                language,
            })
        }
        NotificationKind::Invitation => {
            let Some(to) = text(
                store,
                "SELECT email FROM invitation_addresses WHERE invitation_id = $1",
                field("invitation_id"),
            )
            .await?
            else {
                return Ok(Outgoing::Nothing("the invitation is accepted or revoked"));
            };
            let language = language_of(payload);
            let deadline = payload
                .get("expires_at")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .chars()
                .take(10)
                .collect::<String>();
            let context = json!({"business": payload.get("business").cloned().unwrap_or(Value::Null),
                                 "link": field("link"), "deadline": deadline});
            let message = messages::render("invitation", language, &context)?;
            Ok(Outgoing::Send {
                to,
                message,
                language,
            })
        }
        _ => match guest_message(delivery, store).await? {
            Ok((profile, message)) => match profile.email {
                Some(to) => Ok(Outgoing::Send {
                    to,
                    message,
                    language: profile.language,
                }),
                None => Ok(Outgoing::Nothing("the guest has no e-mail address")),
            },
            Err(why) => Ok(Outgoing::Nothing(why)),
        },
    }
}

/// A confirmation's booking as an iCalendar document (stamped with the confirmation's instant,
/// so a resend is the same document).
fn confirmation_calendar(
    payload: &Value,
    listing: &holdfast_domain::listing::ListingState,
    language: Language,
) -> Option<String> {
    let instant = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.to_utc())
    };
    let data = payload.get("data")?;
    let entry = crate::calendar::Entry {
        booking_id: payload.get("booking_id")?.as_str()?.to_owned(),
        status: holdfast_domain::booking::BookingStatus::Confirmed,
        starts_at: instant(data.get("starts_at"))?,
        ends_at: instant(data.get("ends_at"))?,
        party_size: data
            .get("party_size")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
        listing: listing.details.name.as_str().to_owned(),
        address: listing.details.location.address().to_owned(),
        zone: listing.details.time_zone,
    };
    let stamp = instant(payload.get("occurred_at"))?;
    Some(crate::calendar::render(
        &entry.listing.clone(),
        &[entry],
        language,
        stamp,
    ))
}

/// A booking notification's guest and message, read now: `Ok(Err(why))` when there is nothing
/// to send (no guest, no profile, the guest turned the kind off, no such listing, a kind with
/// no message). Shared by the guest-facing sinks.
///
/// # Errors
///
/// A store error (the attempt fails and is retried).
pub async fn guest_message(
    delivery: &Delivery,
    store: &EventStore,
) -> Result<Result<(GuestProfile, Rendered), &'static str>, String> {
    let payload = &delivery.payload;
    let field = |k: &str| payload.get(k).and_then(Value::as_str).unwrap_or_default();
    let Ok(guest) = GuestId::parse(field("guest_id")) else {
        return Ok(Err("no guest"));
    };
    let Some(profile) = Profiles::new(store)
        .get(guest)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(Err("the guest has no profile"));
    };
    if !OptOuts::new(store)
        .wants(guest, delivery.kind)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(Err("the guest turned this kind off"));
    }
    let listing: Listing = crate::process::load(store, field("listing_id"))
        .await
        .map_err(|e| format!("{e:?}"))?;
    let Some(listing) = listing.state() else {
        return Ok(Err("no such listing"));
    };
    let language = profile.language;
    let Some((name, context)) = messages::booking_message(
        payload,
        listing.details.name.as_str(),
        listing.details.time_zone,
        profile.name.as_str(),
        language,
    ) else {
        return Ok(Err("no message for this kind"));
    };
    let mut message = messages::render(&name, language, &context)?;
    if delivery.kind == NotificationKind::Confirmed {
        message.calendar = confirmation_calendar(payload, listing, language);
    }
    Ok(Ok((profile, message)))
}
