//! A small graphql-ws client (both sub-protocols) for the isolation matrix.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// The two sub-protocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws`.
    Transport,
    /// `graphql-ws` (subscriptions-transport-ws).
    Legacy,
}

/// An acknowledged connection.
pub struct Ws {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    protocol: Protocol,
}

impl Ws {
    /// Connects and sends `connection_init` with `payload`: the connection, or why it was
    /// refused (a close reason or a `connection_error` message).
    pub async fn connect(base: &str, protocol: Protocol, payload: Value) -> Result<Ws, String> {
        let url = format!("{}/graphql/ws", base.replace("http://", "ws://"));
        let mut request = url.into_client_request().map_err(|e| e.to_string())?;
        let name = match protocol {
            Protocol::Transport => "graphql-transport-ws",
            Protocol::Legacy => "graphql-ws",
        };
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(name));
        let (socket, _) = connect_async(request).await.map_err(|e| e.to_string())?;
        let mut ws = Ws { socket, protocol };
        ws.send(json!({"type": "connection_init", "payload": payload}))
            .await;
        loop {
            match ws.receive(Duration::from_secs(10)).await {
                Some(Ok(m)) if m["type"] == "connection_ack" => return Ok(ws),
                Some(Ok(m)) if m["type"] == "ka" => continue,
                Some(Ok(m)) => return Err(format!("refused: {m}")),
                Some(Err(reason)) => return Err(format!("closed: {reason}")),
                None => return Err("no answer to connection_init".into()),
            }
        }
    }

    async fn send(&mut self, message: Value) {
        let _ = self.socket.send(Message::text(message.to_string())).await;
    }

    /// The next JSON message within `timeout` (`None`), or the close reason (`Err`).
    pub async fn receive(&mut self, timeout: Duration) -> Option<Result<Value, String>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    if message["type"] == "ping" {
                        self.send(json!({"type": "pong"})).await;
                        continue;
                    }
                    if message["type"] == "ka" {
                        continue;
                    }
                    return Some(Ok(message));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(Err(frame.map(|f| f.reason.to_string()).unwrap_or_default()));
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Some(Err(e.to_string())),
                None => return Some(Err("connection closed".into())),
            }
        }
    }

    /// Starts subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = match self.protocol {
            Protocol::Transport => "subscribe",
            Protocol::Legacy => "start",
        };
        self.send(
            json!({"id": id, "type": kind, "payload": {"query": query, "variables": variables}}),
        )
        .await;
    }

    /// The next result payload (`data` and/or `errors`) within `timeout`.
    pub async fn next_payload(&mut self, timeout: Duration) -> Option<Value> {
        loop {
            match self.receive(timeout).await? {
                Ok(m) if matches!(m["type"].as_str(), Some("next" | "data")) => {
                    return Some(m["payload"].clone());
                }
                Ok(m) if m["type"] == "error" => {
                    // graphql-transport-ws reports validation errors as `error` with a list.
                    return Some(json!({"errors": m["payload"]}));
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }
}
