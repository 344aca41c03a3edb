//! Idempotency keys: a retried mutation returns the first result and executes nothing.
//!
//! Two ways to run a request once:
//!
//! - **In its own commit** ([`run_claimed`], [`Claim`]): the hot mutations (placing, confirming,
//!   cancelling a booking) attach the key's record — key, request hash, final answer — to the
//!   transaction that commits their events, so a mutation commits **once**. Nothing is read
//!   first: a repeat finds the key taken when it commits, writes nothing, and answers the stored
//!   answer. A request that writes nothing else (a refusal before any command, a no-op) records
//!   its answer alone. No row is ever left "in flight", so no lease is needed.
//! - **Around it** ([`run`]): the other mutations insert the key's row first, run, then store
//!   the outcome (three commits), as described below.
//!
//! Every mutation takes an `idempotencyKey` (1..=128 characters, no control characters). Keys
//! are scoped to the caller ([`scope`]): two guests may use the same key. The first request
//! with a key inserts a row `(principal, key, request_hash, response NULL, created_at)`; after
//! running it stores the outcome — the success payload **or** a typed domain error (so a
//! retried `SOLD_OUT` stays `SOLD_OUT` even once seats free up). A later request with the key:
//!
//! - same request, outcome stored → that outcome, nothing executed, nothing appended;
//! - a different request (another hash of the operation and its arguments) → `INVALID_INPUT`;
//! - same request still running (response NULL) → `CONFLICT`, retryable. A running request
//!   holds a **lease** on its row, renewed every [`LEASE_RENEW_EVERY`] on the database's clock;
//!   a row whose lease ran out (its process was killed, or crashed, or its client hung up and
//!   the request was dropped) is taken over by the retry at once, as is a row left NULL for
//!   longer than [`IN_FLIGHT_TIMEOUT`] (rows written before leases existed). Taking over is safe
//!   because every command is idempotent by id. (Found by the reliability suite: after a
//!   `kill -9` a retry used to wait the whole in-flight timeout, two minutes.)
//!
//! Retryable failures (`CONFLICT`, `UNAVAILABLE`, `TIMEOUT`, `INTERNAL`) are not stored: the row
//! is deleted so that a retry runs again.
//!
//! **Expiry**: a key lives [`KEY_TTL`] (24 h) from its first use, measured on the application
//! clock. An expired row is replaced when its key is used again (delete on read), and about one
//! request in [`SWEEP_ONE_IN`] deletes every expired row, so the table stays bounded.

use std::future::Future;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use holdfast_eventstore::{Db, EventStore, EventStoreError, Position, RequestRecord, Sql};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{EngineError, ErrorCode};
use crate::principal::Principal;

/// How long a key is remembered.
pub const KEY_TTL: Duration = Duration::hours(24);
/// How long a request may run before a retry with its key may take over.
pub const IN_FLIGHT_TIMEOUT: Duration = Duration::minutes(2);
/// How long a running request's lease on its key lasts without renewal.
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(10);
/// How often a running request renews its lease.
pub const LEASE_RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(3);
/// About one `begin` in this many also sweeps expired keys.
pub const SWEEP_ONE_IN: u32 = 200;

/// A validated idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key.
    pub const MAX_CHARS: usize = 128;

    /// 1..=128 characters, no control characters; `INVALID_INPUT` naming `idempotencyKey`.
    pub fn parse(key: &str) -> Result<Self, EngineError> {
        let chars = key.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS {
            return Err(EngineError::invalid(format!(
                "idempotencyKey: must be 1..={} characters, got {chars}",
                Self::MAX_CHARS
            )));
        }
        if key.chars().any(char::is_control) {
            return Err(EngineError::invalid(
                "idempotencyKey: must not contain control characters",
            ));
        }
        Ok(Self(key.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The scope keys live in: one per caller (`guest:<id>`, `operator:<tenant>:<sub>`,
/// `admin:<sub>`).
pub fn scope(principal: &Principal) -> String {
    match principal {
        Principal::Anonymous => "anonymous".to_owned(),
        Principal::Guest { guest } => format!("guest:{guest}"),
        Principal::Operator { tenant, sub } => format!("operator:{tenant}:{sub}"),
        Principal::Admin { sub } => format!("admin:{sub}"),
    }
}

/// The hash identifying a request: SHA-256 (hex) of the operation name and its arguments in a
/// canonical JSON form (object keys sorted), so the same request written with its fields in
/// another order hashes the same.
pub fn request_hash(operation: &str, arguments: &serde_json::Value) -> String {
    let mut text = String::new();
    canonical(arguments, &mut text);
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update([0]);
    hasher.update(text.as_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                canonical(v, out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A stored outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The payload, as JSON.
    Ok(serde_json::Value),
    /// A typed error.
    Err {
        /// `extensions.code`.
        code: String,
        /// The message.
        message: String,
        /// The broken rule, if any.
        rule: Option<String>,
    },
}

impl Outcome {
    fn from_error(e: &EngineError) -> Self {
        Outcome::Err {
            code: e.code.as_str().to_owned(),
            message: e.message.clone(),
            rule: e.rule.clone(),
        }
    }

    /// The outcome as the resolver's result.
    pub fn into_result<T: DeserializeOwned>(self) -> Result<T, EngineError> {
        match self {
            Outcome::Ok(value) => serde_json::from_value(value).map_err(EngineError::internal),
            Outcome::Err {
                code,
                message,
                rule,
            } => Err(EngineError {
                code: ErrorCode::parse(&code).ok_or_else(|| EngineError::internal(&code))?,
                message,
                rule,
            }),
        }
    }
}

/// Whether an error is an answer to store (a broken rule, bad input, a refusal), rather than a
/// transient failure a retry should run again.
pub fn is_final(e: &EngineError) -> bool {
    !e.code.retryable() && e.code != ErrorCode::Internal
}

/// What `begin` found.
#[derive(Debug)]
pub enum Begin {
    /// A new request: run it, then [`IdempotencyStore::finish`] or [`IdempotencyStore::abandon`].
    New,
    /// A repeat of a finished request: its outcome.
    Replay(Outcome),
}

/// The idempotency table, on the event store's database.
#[derive(Clone)]
pub struct IdempotencyStore {
    db: Db,
}

struct Row {
    request_hash: String,
    response: Option<String>,
    /// The stored answer's token (`tx.index`), when one was stored with it.
    position: Option<String>,
    created_at: String,
    /// Whether the row's lease ran out (false when it has none).
    lease_expired: bool,
}

fn db_error(e: EventStoreError) -> EngineError {
    tracing::warn!(error = %e, "idempotency table unavailable");
    EngineError::new(
        ErrorCode::Unavailable,
        "the event store is unavailable; retry",
    )
}

// The statements whose SQL differs: leases are on the database's clock (`now()`, SQLite's
// `strftime(…, 'now')` as RFC 3339 text with milliseconds); instants are bound as RFC 3339 text,
// cast to `timestamptz` on Postgres; `response` is `jsonb` on Postgres and text on SQLite.

const FINISH: Sql = Sql::per_backend(
    "UPDATE idempotency_keys SET response = $3::jsonb WHERE principal = $1 AND key = $2",
    "UPDATE idempotency_keys SET response = $3 WHERE principal = $1 AND key = $2",
);

const SWEEP: Sql = Sql::per_backend(
    "DELETE FROM idempotency_keys WHERE created_at < $1::timestamptz",
    "DELETE FROM idempotency_keys WHERE created_at < $1",
);

const RENEW: Sql = Sql::per_backend(
    "UPDATE idempotency_keys SET lease_until = now() + make_interval(secs => $3)
      WHERE principal = $1 AND key = $2 AND response IS NULL",
    "UPDATE idempotency_keys
        SET lease_until = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', $3)
      WHERE principal = $1 AND key = $2 AND response IS NULL",
);

const INSERT: Sql = Sql::per_backend(
    "INSERT INTO idempotency_keys
            (principal, key, request_hash, response, created_at, lease_until)
     VALUES ($1, $2, $3, NULL, $4::timestamptz, now() + make_interval(secs => $5))
     ON CONFLICT DO NOTHING",
    "INSERT INTO idempotency_keys
            (principal, key, request_hash, response, created_at, lease_until)
     VALUES ($1, $2, $3, NULL, $4, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', $5))
     ON CONFLICT DO NOTHING",
);

const READ: Sql = Sql::per_backend(
    "SELECT request_hash, response::text,
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
            coalesce(lease_until < now(), false), position
       FROM idempotency_keys WHERE principal = $1 AND key = $2",
    "SELECT request_hash, response, created_at,
            coalesce(lease_until < strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 0), position
       FROM idempotency_keys WHERE principal = $1 AND key = $2",
);

const TAKE_OVER: Sql = Sql::per_backend(
    "UPDATE idempotency_keys
        SET request_hash = $3, response = NULL, created_at = $4::timestamptz,
            lease_until = now() + make_interval(secs => $6)
      WHERE principal = $1 AND key = $2 AND created_at = $5::timestamptz",
    "UPDATE idempotency_keys
        SET request_hash = $3, response = NULL, created_at = $4,
            lease_until = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', $6)
      WHERE principal = $1 AND key = $2 AND created_at = $5",
);

/// Instants as fixed-width RFC 3339 UTC text (sorts like time; equal instants, equal text).
fn instant_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl IdempotencyStore {
    /// The table of `store`'s database.
    pub fn new(store: &EventStore) -> Self {
        Self {
            db: store.db().clone(),
        }
    }

    /// Starts a request with `key` in `scope` (see the module docs for the outcomes).
    pub async fn begin(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        request_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Begin, EngineError> {
        if fastrand::u32(0..SWEEP_ONE_IN) == 0 {
            self.sweep(now).await?;
        }
        let created = instant_text(now);
        for _ in 0..3 {
            if self.insert(scope, key, request_hash, &created).await? {
                return Ok(Begin::New);
            }
            let Some(row) = self.read(scope, key).await? else {
                continue; // deleted meanwhile (its request failed transiently): try again
            };
            let expired = row.created_at < instant_text(now - KEY_TTL);
            let stale = row.response.is_none()
                && row.request_hash == request_hash
                && (row.lease_expired || row.created_at < instant_text(now - IN_FLIGHT_TIMEOUT));
            if expired || stale {
                if self
                    .take_over(scope, key, request_hash, &created, &row.created_at)
                    .await?
                {
                    return Ok(Begin::New);
                }
                continue;
            }
            if row.request_hash != request_hash {
                return Err(EngineError::invalid(
                    "idempotencyKey: idempotency key reused with a different request",
                ));
            }
            return match row.response {
                Some(text) => Ok(Begin::Replay(
                    serde_json::from_str(&text).map_err(EngineError::internal)?,
                )),
                None => Err(EngineError::new(
                    ErrorCode::Conflict,
                    "a request with this idempotency key is still running; retry",
                )),
            };
        }
        Err(EngineError::new(
            ErrorCode::Conflict,
            "the idempotency key kept changing concurrently; retry",
        ))
    }

    /// Stores the outcome of a request begun with `key`.
    pub async fn finish(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        outcome: &Outcome,
    ) -> Result<(), EngineError> {
        let text = serde_json::to_string(outcome).map_err(EngineError::internal)?;
        self.db
            .execute(FINISH, &[scope.into(), key.as_str().into(), text.into()])
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Forgets a request begun with `key` (it failed transiently; a retry runs again).
    pub async fn abandon(&self, scope: &str, key: &IdempotencyKey) -> Result<(), EngineError> {
        self.db
            .execute(
                "DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2",
                &[scope.into(), key.as_str().into()],
            )
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Deletes every key older than [`KEY_TTL`]; returns how many.
    pub async fn sweep(&self, now: DateTime<Utc>) -> Result<u64, EngineError> {
        let cutoff = instant_text(now - KEY_TTL);
        let deleted = self
            .db
            .execute(SWEEP, &[cutoff.into()])
            .await
            .map_err(db_error)?;
        Ok(deleted)
    }

    /// Extends the lease of a running request's key by [`LEASE`] from now (the database's
    /// clock). Failures are only logged: a lost lease lets a retry take over, which is safe.
    pub async fn renew(&self, scope: &str, key: &IdempotencyKey) {
        let renewed = self
            .db
            .execute(RENEW, &[scope.into(), key.as_str().into(), LEASE.into()])
            .await;
        if let Err(e) = renewed {
            tracing::debug!(error = %e, "could not renew an idempotency lease");
        }
    }

    /// Renews the lease of `key` every [`LEASE_RENEW_EVERY`], forever (run it beside the
    /// request and drop it when the request ends).
    async fn keep_leased(&self, scope: &str, key: &IdempotencyKey) {
        loop {
            tokio::time::sleep(LEASE_RENEW_EVERY).await;
            self.renew(scope, key).await;
        }
    }

    async fn insert(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        request_hash: &str,
        created: &str,
    ) -> Result<bool, EngineError> {
        let inserted = self
            .db
            .execute(
                INSERT,
                &[
                    scope.into(),
                    key.as_str().into(),
                    request_hash.into(),
                    created.into(),
                    LEASE.into(),
                ],
            )
            .await
            .map_err(db_error)?;
        Ok(inserted == 1)
    }

    async fn read(&self, scope: &str, key: &IdempotencyKey) -> Result<Option<Row>, EngineError> {
        type Columns = (String, Option<String>, String, bool, Option<String>);
        let row: Option<Columns> = self
            .db
            .fetch_optional_as(READ, &[scope.into(), key.as_str().into()])
            .await
            .map_err(db_error)?;
        Ok(row.map(
            |(request_hash, response, created_at, lease_expired, position)| Row {
                request_hash,
                response,
                position,
                created_at,
                lease_expired,
            },
        ))
    }

    /// Replaces an expired or abandoned row, if it is still the one read (`was`).
    async fn take_over(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        request_hash: &str,
        created: &str,
        was: &str,
    ) -> Result<bool, EngineError> {
        let updated = self
            .db
            .execute(
                TAKE_OVER,
                &[
                    scope.into(),
                    key.as_str().into(),
                    request_hash.into(),
                    created.into(),
                    was.into(),
                    LEASE.into(),
                ],
            )
            .await
            .map_err(db_error)?;
        Ok(updated == 1)
    }
}

/// A request that records its key and final answer **in the transaction that commits it**
/// (see [`run_claimed`]): a mutation then commits once, not three times (key, command, answer).
#[derive(Clone, Debug)]
pub struct Claim {
    /// The caller's scope ([`scope`]).
    pub scope: String,
    /// The key.
    pub key: IdempotencyKey,
    /// The request's hash ([`request_hash`]).
    pub request_hash: String,
    /// When the request is made (the application clock).
    pub now: DateTime<Utc>,
}

/// An answer that carries a consistency token (see [`run_claimed`]).
pub trait Tokened: Serialize + DeserializeOwned {
    /// Its token.
    fn token(&self) -> Option<Position>;
    /// The same answer with `token`.
    fn with_token(self, token: Option<Position>) -> Self;
}

/// What a claimed request did (see [`run_claimed`]).
#[derive(Debug)]
pub enum Ran<T> {
    /// Its answer, recorded with the key in the transaction that committed its writes.
    Recorded(Result<T, EngineError>),
    /// Its answer, not recorded (it committed nothing, or nothing that carried the record).
    Unrecorded(Result<T, EngineError>),
    /// Its key was taken when it committed: the request ran before, and nothing was written.
    Replay,
}

impl Claim {
    /// The batch tag of the key: two requests with one key never share a commit.
    pub fn tag(&self) -> String {
        format!("key\0{}\0{}", self.scope, self.key.as_str())
    }

    /// The record of `answer` (a final one: see [`is_final`]), to attach to a commit (the
    /// dispatcher fills in which of the commit's events give its token).
    pub fn record<T: Serialize>(
        &self,
        answer: &Result<T, EngineError>,
    ) -> Result<RequestRecord, EngineError> {
        let outcome = match answer {
            Ok(payload) => {
                Outcome::Ok(serde_json::to_value(payload).map_err(EngineError::internal)?)
            }
            Err(e) => Outcome::from_error(e),
        };
        Ok(RequestRecord {
            principal: self.scope.clone(),
            key: self.key.as_str().to_owned(),
            request_hash: self.request_hash.clone(),
            response: serde_json::to_string(&outcome).map_err(EngineError::internal)?,
            created_at: instant_text(self.now),
            expired_before: instant_text(self.now - KEY_TTL),
            abandoned_before: instant_text(self.now - IN_FLIGHT_TIMEOUT),
            position: None,
            written: Vec::new(),
        })
    }

    /// The answer stored under the key (after [`Ran::Replay`]), with its stored token.
    async fn stored<T: Tokened>(&self, db: &Db) -> Result<T, EngineError> {
        let store = IdempotencyStore { db: db.clone() };
        let row = store.read(&self.scope, &self.key).await?;
        match row {
            Some(row) if row.request_hash != self.request_hash => Err(EngineError::invalid(
                "idempotencyKey: idempotency key reused with a different request",
            )),
            Some(Row {
                response: Some(text),
                position,
                ..
            }) => {
                let answer = serde_json::from_str::<Outcome>(&text)
                    .map_err(EngineError::internal)?
                    .into_result::<T>()?;
                let token = position.and_then(|p| p.parse().ok());
                let token = token.max(answer.token());
                Ok(answer.with_token(token))
            }
            _ => Err(EngineError::new(
                ErrorCode::Conflict,
                "a request with this idempotency key is still running; retry",
            )),
        }
    }
}

/// Runs a request that records its own key and answer in its commit (it attaches
/// [`Claim::record`] to what it writes) at most once per `(scope, key)`. Nothing is read before
/// it runs: a repeat finds the key taken when it commits ([`Ran::Replay`]), writes nothing, and
/// gets the first answer. A request that committed nothing with the record (it decided nothing
/// needed writing, or failed before writing with a final error) records its answer alone — one
/// small commit — unless the key was taken, whose answer is then returned. Transient failures
/// record nothing. A replay's token is the one stored with the first answer (the position of
/// the last event the first run wrote, recorded by the same commit).
pub async fn run_claimed<T, F>(
    store: &EventStore,
    claim: &Claim,
    request: F,
) -> Result<T, EngineError>
where
    T: Tokened,
    F: Future<Output = Ran<T>>,
{
    match request.await {
        Ran::Recorded(answer) => answer,
        Ran::Unrecorded(Err(e)) if !is_final(&e) => Err(e),
        Ran::Unrecorded(answer) => {
            let mut record = claim.record(&answer)?;
            record.position = answer.as_ref().ok().and_then(Tokened::token);
            let commit = holdfast_eventstore::Commit {
                streams: Vec::new(),
                records: vec![record],
            };
            match store.commit(&commit).await {
                Ok(_) => return answer,
                Err(holdfast_eventstore::CommitError::KeysTaken { .. }) => {}
                Err(e) if e.is_transient() => {
                    // The request's writes (if any) stand and are idempotent by id; a retry
                    // answers from them.
                    tracing::warn!(error = %e, "could not record an idempotency outcome");
                    return answer;
                }
                Err(e) => return Err(EngineError::internal(e)),
            }
            claim.stored::<T>(store.db()).await
        }
        Ran::Replay => claim.stored::<T>(store.db()).await,
    }
}

/// Runs `request` at most once per `(scope, key)`: a repeat returns the stored outcome.
/// Final outcomes (payloads and typed errors, see [`is_final`]) are stored; transient failures
/// delete the key so that a retry runs again.
pub async fn run<T, F>(
    store: &IdempotencyStore,
    scope: &str,
    key: &IdempotencyKey,
    request_hash: &str,
    now: DateTime<Utc>,
    request: F,
) -> Result<T, EngineError>
where
    T: Serialize + DeserializeOwned,
    F: Future<Output = Result<T, EngineError>>,
{
    match store.begin(scope, key, request_hash, now).await? {
        Begin::Replay(outcome) => outcome.into_result(),
        Begin::New => {
            let result = {
                let lease = store.keep_leased(scope, key);
                tokio::pin!(request, lease);
                tokio::select! {
                    result = &mut request => result,
                    () = &mut lease => unreachable!("the lease renewal never ends"),
                }
            };
            let outcome = match &result {
                Ok(payload) => Some(Outcome::Ok(
                    serde_json::to_value(payload).map_err(EngineError::internal)?,
                )),
                Err(e) if is_final(e) => Some(Outcome::from_error(e)),
                Err(_) => None,
            };
            let recorded = match &outcome {
                Some(outcome) => store.finish(scope, key, outcome).await,
                None => store.abandon(scope, key).await,
            };
            if let Err(e) = recorded {
                // The request ran; its answer stands. A retry finds the key in flight until
                // IN_FLIGHT_TIMEOUT, then re-runs idempotent commands.
                tracing::warn!(error = ?e, "could not record an idempotency outcome");
            }
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_ignores_key_order_but_not_values() {
        let a = serde_json::json!({"input": {"a": 1, "b": [1, {"y": 2, "x": 1}]}});
        let b = serde_json::json!({"input": {"b": [1, {"x": 1, "y": 2}], "a": 1}});
        let c = serde_json::json!({"input": {"b": [1, {"x": 1, "y": 3}], "a": 1}});
        assert_eq!(request_hash("m", &a), request_hash("m", &b));
        assert_ne!(request_hash("m", &a), request_hash("m", &c));
        assert_ne!(request_hash("m", &a), request_hash("n", &a));
    }

    #[test]
    fn keys_are_bounded() {
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(129)).is_err());
        assert!(IdempotencyKey::parse("a\u{0}b").is_err());
        assert!(IdempotencyKey::parse(&"é".repeat(128)).is_ok());
    }

    #[test]
    fn stored_errors_keep_their_code_and_rule() {
        let e = EngineError {
            code: ErrorCode::SoldOut,
            message: "sold out".into(),
            rule: Some("SoldOut".into()),
        };
        let text = serde_json::to_string(&Outcome::from_error(&e)).unwrap();
        let back: Outcome = serde_json::from_str(&text).unwrap();
        assert_eq!(back.into_result::<u32>(), Err(e));
        assert!(is_final(&EngineError::forbidden()));
        assert!(!is_final(&EngineError::new(ErrorCode::Conflict, "x")));
    }
}
