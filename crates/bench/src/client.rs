//! The bench's GraphQL client: one HTTP connection pool, bearer tokens minted with the
//! server's HS256 secret (thousands of distinct guests), and answers reduced to data or an
//! error code.

use std::time::Duration;

use holdfast_api::auth::{AuthConfig, Role, TokenIssuer};
use holdfast_domain::common::{GuestId, TenantId};
use serde_json::{Value, json};

use crate::ServerArgs;
use crate::error::{BenchError, Context};

/// How long one request may take before it counts as a `TIMEOUT_CLIENT` error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What the server answered.
#[derive(Clone, Debug)]
pub enum Answer {
    /// `data`, without errors.
    Data(Value),
    /// An error: its `extensions.code` (or `HTTP_<status>`, `TRANSPORT`, `TIMEOUT_CLIENT`).
    Error {
        /// The code.
        code: String,
        /// The message.
        message: String,
    },
}

impl Answer {
    /// `Ok(())` or the error code, for a [`crate::stats::Tally`].
    pub fn outcome(&self) -> Result<(), &str> {
        match self {
            Answer::Data(_) => Ok(()),
            Answer::Error { code, .. } => Err(code),
        }
    }
}

/// A client of one server.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    endpoint: String,
    issuer: std::sync::Arc<TokenIssuer>,
}

impl Api {
    /// A client of `server`, minting tokens with its JWT secret.
    pub fn new(server: &ServerArgs) -> Result<Self, BenchError> {
        let AuthConfig::Hs256(secret) = server.auth.config(&server.store)? else {
            return Err(BenchError::failed(
                "the bench mints its own tokens: give it the server's HS256 secret (--jwt-secret / HOLDFAST_JWT_SECRET)",
            ));
        };
        let http = reqwest::Client::builder()
            .http1_only()
            .tcp_nodelay(true)
            .pool_idle_timeout(None)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Self {
            http,
            endpoint: format!("{}/graphql", server.url.trim_end_matches('/')),
            issuer: std::sync::Arc::new(TokenIssuer::hs256(&secret)),
        })
    }

    fn mint(&self, role: Role, sub: &str, tenant: Option<TenantId>) -> Result<String, BenchError> {
        Ok(self
            .issuer
            .mint(role, sub, tenant, chrono::Duration::hours(6))?)
    }

    /// A new guest and its token.
    pub fn guest(&self) -> Result<(GuestId, String), BenchError> {
        let guest = GuestId::new();
        Ok((guest, self.mint(Role::Guest, &guest.to_string(), None)?))
    }

    /// An operator of `tenant`.
    pub fn operator(&self, tenant: TenantId) -> Result<String, BenchError> {
        self.mint(Role::Operator, "bench-operator", Some(tenant))
    }

    /// Sends one GraphQL request.
    pub async fn call(&self, token: Option<&str>, query: &str, variables: Value) -> Answer {
        let mut request = self
            .http
            .post(&self.endpoint)
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return transport(e),
        };
        let status = response.status();
        let body: Value = match response.json().await {
            Ok(body) => body,
            Err(e) if status.is_success() => return transport(e),
            Err(_) => {
                return Answer::Error {
                    code: format!("HTTP_{}", status.as_u16()),
                    message: status.to_string(),
                };
            }
        };
        match body.get("errors").and_then(Value::as_array) {
            Some(errors) if !errors.is_empty() => Answer::Error {
                code: errors[0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or(if status.is_success() {
                        "GRAPHQL"
                    } else {
                        "HTTP_ERROR"
                    })
                    .to_owned(),
                message: errors[0]["message"].as_str().unwrap_or_default().to_owned(),
            },
            _ if !status.is_success() => Answer::Error {
                code: format!("HTTP_{}", status.as_u16()),
                message: status.to_string(),
            },
            _ => Answer::Data(body["data"].clone()),
        }
    }

    /// Sends one request that must succeed (setup and checks): its `data`.
    pub async fn ok(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Result<Value, BenchError> {
        match self.call(token, query, variables).await {
            Answer::Data(data) => Ok(data),
            Answer::Error { code, message } => Err(BenchError::failed(format!(
                "{code}: {message} (query: {})",
                first_line(query)
            ))),
        }
    }

    /// Waits until the server answers (`serverTime`), at most `patience`.
    pub async fn wait_ready(&self, patience: Duration) -> Result<(), BenchError> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            match self.call(None, "{ serverTime }", json!({})).await {
                Answer::Data(_) => return Ok(()),
                Answer::Error { code, message } if tokio::time::Instant::now() >= deadline => {
                    return Err(BenchError::failed(format!(
                        "the server at {} does not answer: {code} {message}",
                        self.endpoint
                    )));
                }
                Answer::Error { .. } => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
}

impl Api {
    /// Waits (at most `patience`) until every projector of the server has applied the whole
    /// log — `/readyz` reports no lag — so that a scenario is not measured while the server is
    /// still projecting the previous one's load. Returns how long it waited, or `None` if the
    /// projectors were still behind when patience ran out (the figures then include that work).
    pub async fn wait_settled(&self, patience: Duration) -> Option<Duration> {
        let url = self.endpoint.trim_end_matches("/graphql").to_owned() + "/readyz";
        let started = tokio::time::Instant::now();
        let mut quiet = 0;
        loop {
            let lagging = match self.http.get(&url).send().await {
                Ok(response) => match response.json::<serde_json::Value>().await {
                    Ok(body) => body["projectors"]
                        .as_array()
                        .is_none_or(|all| all.iter().any(|p| p["lagEvents"].as_u64() != Some(0))),
                    Err(_) => true,
                },
                Err(_) => true,
            };
            // Two quiet readings in a row: a projector reports its lag when it goes idle.
            quiet = if lagging { 0 } else { quiet + 1 };
            if quiet >= 2 {
                return Some(started.elapsed());
            }
            if started.elapsed() >= patience {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Api {
    /// [`Self::wait_settled`] with a minute of patience, saying on stderr what it found.
    pub async fn settle(&self) {
        match self.wait_settled(Duration::from_secs(60)).await {
            Some(waited) if waited > Duration::from_secs(1) => eprintln!(
                "waited {:.1} s for the projectors to catch up before measuring",
                waited.as_secs_f64()
            ),
            Some(_) => {}
            None => eprintln!("the projectors were still behind after a minute; measuring anyway"),
        }
    }
}

fn transport(e: reqwest::Error) -> Answer {
    Answer::Error {
        code: if e.is_timeout() {
            "TIMEOUT_CLIENT".to_owned()
        } else {
            "TRANSPORT".to_owned()
        },
        message: e.to_string(),
    }
}

fn first_line(query: &str) -> &str {
    query
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
}

/// A fresh idempotency key.
pub fn key() -> String {
    ulid::Ulid::new().to_string()
}
