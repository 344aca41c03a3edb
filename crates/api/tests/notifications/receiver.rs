//! A local webhook receiver (axum on 127.0.0.1, port 0) that verifies `Holdfast-Signature`,
//! fails the first `fail_first` attempts of each notification (500), and counts attempts and
//! acknowledgements per `Holdfast-Event-Id`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use holdfast_api::auth::Secret;
use holdfast_engine::signature;
use serde_json::Value;

/// The secret the outbox signs with in these tests.
pub const NOTIFY_SECRET: &str = "notify-test-secret-0123456789";

#[derive(Default)]
pub struct Seen {
    /// Requests per event id.
    pub attempts: HashMap<String, u32>,
    /// 2xx answers per event id.
    pub acks: HashMap<String, u32>,
    /// The last body per event id.
    pub bodies: HashMap<String, Value>,
    /// Requests whose signature did not verify (answered 401).
    pub bad_signatures: u32,
    /// Fail the first N attempts of each id.
    pub fail_first: u32,
    /// Fail everything.
    pub always_fail: bool,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
}

async fn receive(
    State(seen): State<Arc<Mutex<Seen>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = headers.get(signature::HEADER).and_then(|v| v.to_str().ok());
    let verified = signature::verify(
        &Secret::new(NOTIFY_SECRET),
        header,
        &body,
        chrono::Utc::now(),
        chrono::Duration::seconds(300),
    );
    let mut seen = seen.lock().unwrap();
    if verified.is_err() {
        seen.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let id = headers
        .get("Holdfast-Event-Id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let attempt = {
        let n = seen.attempts.entry(id.clone()).or_default();
        *n += 1;
        *n
    };
    if let Ok(json) = serde_json::from_slice(&body) {
        seen.bodies.insert(id.clone(), json);
    }
    if seen.always_fail || attempt <= seen.fail_first {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    *seen.acks.entry(id).or_default() += 1;
    StatusCode::NO_CONTENT
}

impl Receiver {
    /// Starts a receiver failing the first `fail_first` attempts of each notification.
    pub async fn start(fail_first: u32) -> Self {
        let seen = Arc::new(Mutex::new(Seen {
            fail_first,
            ..Seen::default()
        }));
        let router = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, seen }
    }

    pub fn set_always_fail(&self, fail: bool) {
        self.seen.lock().unwrap().always_fail = fail;
    }

    pub fn acks(&self) -> HashMap<String, u32> {
        self.seen.lock().unwrap().acks.clone()
    }

    pub fn attempts(&self) -> HashMap<String, u32> {
        self.seen.lock().unwrap().attempts.clone()
    }

    pub fn body(&self, id: &str) -> Option<Value> {
        self.seen.lock().unwrap().bodies.get(id).cloned()
    }

    pub fn bad_signatures(&self) -> u32 {
        self.seen.lock().unwrap().bad_signatures
    }

    /// Waits (up to 60 s) until `ids` are all acknowledged.
    pub async fn wait_acked(&self, ids: &[String]) {
        for _ in 0..600 {
            let acks = self.acks();
            if ids.iter().all(|id| acks.contains_key(id)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "not all of {ids:?} were acknowledged within 60 s: attempts {:?}",
            self.attempts()
        );
    }
}
