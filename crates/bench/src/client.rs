//! The bench's GraphQL client: one HTTP connection pool, bearer tokens minted with the
//! server's HS256 secret (thousands of distinct guests), and answers reduced to data or an
//! error code. Given several nodes of one cluster (`--url` more than once), requests go to
//! them in turn (round-robin, request by request, as a load balancer would spread them), and
//! the nodes' own figures are read from each: whether it runs projectors (`/readyz`), its
//! optimistic-concurrency conflicts (`/metrics`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// A client of one server, or of the nodes of a cluster in turn.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    /// Each node's base URL (no trailing `/`).
    nodes: Arc<[String]>,
    /// The next node to send a request to (round-robin).
    next: Arc<AtomicUsize>,
    issuer: Arc<TokenIssuer>,
}

impl Api {
    /// A client of `server` (each of its `--url`s), minting tokens with its JWT secret.
    pub fn new(server: &ServerArgs) -> Result<Self, BenchError> {
        let nodes: Arc<[String]> = server
            .url
            .iter()
            .map(|url| url.trim_end_matches('/').to_owned())
            .collect();
        if nodes.is_empty() {
            return Err(BenchError::failed("give the server's --url"));
        }
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
            nodes,
            next: Arc::new(AtomicUsize::new(0)),
            issuer: Arc::new(TokenIssuer::hs256(&secret)),
        })
    }

    /// The nodes' base URLs, in the order given.
    pub fn nodes(&self) -> &[String] {
        &self.nodes
    }

    /// `, N nodes round-robin` for a cluster, nothing for one server (for titles).
    pub fn nodes_text(&self) -> String {
        match self.nodes.len() {
            1 => String::new(),
            n => format!(", {n} nodes round-robin"),
        }
    }

    /// The node the next request goes to.
    fn pick(&self) -> &str {
        &self.nodes[self.next.fetch_add(1, Ordering::Relaxed) % self.nodes.len()]
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

    /// Sends one GraphQL request (to the next node).
    pub async fn call(&self, token: Option<&str>, query: &str, variables: Value) -> Answer {
        self.call_node(self.pick(), token, query, variables).await
    }

    /// Sends one GraphQL request to the node at `base`.
    async fn call_node(
        &self,
        base: &str,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Answer {
        let mut request = self
            .http
            .post(format!("{base}/graphql"))
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

    /// Waits until every node answers (`serverTime`), at most `patience`.
    pub async fn wait_ready(&self, patience: Duration) -> Result<(), BenchError> {
        let deadline = tokio::time::Instant::now() + patience;
        for node in self.nodes.iter() {
            loop {
                match self
                    .call_node(node, None, "{ serverTime }", json!({}))
                    .await
                {
                    Answer::Data(_) => break,
                    Answer::Error { code, message } if tokio::time::Instant::now() >= deadline => {
                        return Err(BenchError::failed(format!(
                            "the server at {node} does not answer: {code} {message}"
                        )));
                    }
                    Answer::Error { .. } => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
        }
        Ok(())
    }

    /// `/readyz` of the node at `base`, if it answered with JSON.
    async fn readiness(&self, base: &str) -> Option<Value> {
        let response = self.http.get(format!("{base}/readyz")).send().await.ok()?;
        response.json::<Value>().await.ok()
    }

    /// Whether any node runs projectors (`/readyz` lists them; a node started with
    /// `holdfast serve --no-workers` lists none).
    pub async fn runs_projectors(&self) -> Result<bool, BenchError> {
        for node in self.nodes.iter() {
            let readiness = self
                .readiness(node)
                .await
                .with_context(|| format!("{node}/readyz did not answer with JSON"))?;
            if readiness["projectors"]
                .as_array()
                .is_some_and(|all| !all.is_empty())
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Each node's `holdfast_command_conflicts_total` (summed over aggregates), in node order;
    /// `None` for a node whose `/metrics` did not answer (a server without a metrics recorder).
    pub async fn conflicts(&self) -> Vec<Option<f64>> {
        let mut counts = Vec::with_capacity(self.nodes.len());
        for node in self.nodes.iter() {
            let text = match self.http.get(format!("{node}/metrics")).send().await {
                Ok(r) if r.status().is_success() => r.text().await.ok(),
                _ => None,
            };
            counts.push(text.map(|t| metric_sum(&t, "holdfast_command_conflicts_total")));
        }
        counts
    }
}

/// The sum of every sample of `metric` (any labels) in a Prometheus text exposition.
pub fn metric_sum(exposition: &str, metric: &str) -> f64 {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let rest = line.strip_prefix(metric)?;
            // `metric{labels} value` or `metric value`, not `metric_other …`.
            let value = if let Some(labelled) = rest.strip_prefix('{') {
                labelled.rsplit_once('}')?.1
            } else if rest.starts_with(' ') {
                rest
            } else {
                return None;
            };
            value.split_whitespace().next()?.parse::<f64>().ok()
        })
        .sum()
}

impl Api {
    /// Waits (at most `patience`) until every projector of every node has applied the whole
    /// log — `/readyz` reports no lag — so that a scenario is not measured while the server is
    /// still projecting the previous one's load. Returns how long it waited, or `None` if the
    /// projectors were still behind when patience ran out (the figures then include that work).
    pub async fn wait_settled(&self, patience: Duration) -> Option<Duration> {
        let started = tokio::time::Instant::now();
        let mut quiet = 0;
        loop {
            let mut lagging = false;
            for node in self.nodes.iter() {
                lagging |= self.readiness(node).await.is_none_or(|body| {
                    body["projectors"]
                        .as_array()
                        .is_none_or(|all| all.iter().any(|p| p["lagEvents"].as_u64() != Some(0)))
                });
            }
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

#[cfg(test)]
mod tests {
    use super::metric_sum;

    #[test]
    fn a_metric_is_summed_over_its_labels_only() {
        let text = "# HELP holdfast_command_conflicts_total Conflicts\n\
# TYPE holdfast_command_conflicts_total counter\n\
holdfast_command_conflicts_total{aggregate=\"Inventory\"} 7\n\
holdfast_command_conflicts_total{aggregate=\"Booking\"} 3\n\
holdfast_command_conflicts_total_other 100\n\
holdfast_command_seconds_count{aggregate=\"Booking\"} 40\n";
        assert_eq!(metric_sum(text, "holdfast_command_conflicts_total"), 10.0);
        assert_eq!(metric_sum("plain 2\nplain{a=\"}\"} 3\n", "plain"), 5.0);
        assert_eq!(metric_sum("", "plain"), 0.0);
    }
}
