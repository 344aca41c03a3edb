//! For the subscription tests: a graphql-ws client (both sub-protocols, over
//! `tokio-tungstenite`) and inventory fixtures.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use chrono::{Duration as Span, NaiveDate};
use holdfast_domain::common::{
    BookingId, Currency, DateRange, InventoryId, ListingId, Money, Slot, TenantId,
};
use holdfast_domain::inventory::{InventoryCommand, InventoryName, SlotSelection};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::support::{TestApp, start_instant};

/// The two WebSocket sub-protocols.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws` (the graphql-ws library).
    Transport,
    /// `graphql-ws` (the older subscriptions-transport-ws).
    Legacy,
}

/// How a connection attempt ended.
#[derive(Debug)]
pub enum Refused {
    /// A close frame.
    Closed(Option<(CloseCode, String)>),
    /// A `connection_error` message (legacy protocol).
    ConnectionError(Value),
}

/// A graphql-ws client.
pub struct Ws {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    protocol: Protocol,
}

impl Ws {
    /// Connects and sends `connection_init` with `payload`; `Ok` on `connection_ack`.
    pub async fn connect(app: &TestApp, protocol: Protocol, payload: Value) -> Result<Ws, Refused> {
        let url = format!("{}/graphql/ws", app.base.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        let name = match protocol {
            Protocol::Transport => "graphql-transport-ws",
            Protocol::Legacy => "graphql-ws",
        };
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(name));
        let (socket, response) = connect_async(request).await.unwrap();
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            name,
            "the server speaks the protocol asked for"
        );
        let mut ws = Ws { socket, protocol };
        ws.send(json!({"type": "connection_init", "payload": payload}))
            .await;
        loop {
            match ws.receive().await {
                Ok(message) if message["type"] == "connection_ack" => return Ok(ws),
                Ok(message) if message["type"] == "ka" => continue,
                Ok(message) if message["type"] == "connection_error" => {
                    return Err(Refused::ConnectionError(message));
                }
                Ok(other) => panic!("unexpected message before the ack: {other}"),
                Err(refused) => return Err(refused),
            }
        }
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
    }

    /// The next JSON message (answering pings), or how the connection closed.
    pub async fn receive(&mut self) -> Result<Value, Refused> {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("no message within 10 s");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).unwrap();
                    if message["type"] == "ping" {
                        self.send(json!({"type": "pong"})).await;
                        continue;
                    }
                    return Ok(message);
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(Refused::Closed(
                        frame.map(|f| (f.code, f.reason.as_str().to_owned())),
                    ));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Err(Refused::Closed(None)),
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

    /// The next result of a subscription: its payload (`data` and/or `errors`).
    pub async fn next_payload(&mut self) -> Value {
        loop {
            let message = self.receive().await.expect("the connection closed");
            match message["type"].as_str() {
                Some("next" | "data") => return message["payload"].clone(),
                Some("ka") => continue,
                _ => panic!("unexpected message: {message}"),
            }
        }
    }

    /// The next result, which must be data without errors: `data.<field>`.
    pub async fn next_data(&mut self, field: &str) -> Value {
        let payload = self.next_payload().await;
        assert!(payload.get("errors").is_none(), "errors: {payload}");
        payload["data"][field].clone()
    }

    /// The next result must be one error, then `complete`: its code.
    pub async fn next_error_code(&mut self) -> String {
        let payload = self.next_payload().await;
        let code = payload["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error with a code: {payload}"))
            .to_owned();
        let done = self.receive().await.expect("the connection closed");
        assert_eq!(done["type"], "complete", "{done}");
        code
    }
}

/// The subscription document of `availabilityChanged`.
pub const AVAILABILITY: &str = "subscription($id: ID!, $from: NaiveDate!, $to: NaiveDate!) {
  availabilityChanged(inventoryId: $id, from: $from, to: $to) {
    kind inventoryId consistencyToken
    days { slot date capacity held allocated available closed }
  }
}";

pub fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2030, 3, day).unwrap()
}

pub fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::parse("EUR").unwrap())
}

/// An inventory of `tenant` with capacity 50 on March 1st to 9th, 2030.
pub async fn inventory(app: &TestApp, tenant: TenantId) -> InventoryId {
    let id = InventoryId::new();
    let key = id.to_string();
    let dispatch = |command| {
        app.engine
            .commands
            .inventories
            .execute(&key, command, HashMap::new())
    };
    dispatch(InventoryCommand::DefineInventory {
        inventory_id: id,
        tenant_id: tenant,
        listing_id: ListingId::new(),
        name: InventoryName::parse("Garden rooms").unwrap(),
        currency: Currency::parse("EUR").unwrap(),
    })
    .await
    .unwrap();
    dispatch(InventoryCommand::SetCapacity {
        selection: SlotSelection::days(DateRange::new(date(1), date(10)).unwrap()),
        capacity: 50,
    })
    .await
    .unwrap();
    id
}

/// Holds one unit of `day` for a new booking; the hold's log position.
pub async fn hold(
    app: &TestApp,
    inventory: InventoryId,
    day: u32,
) -> holdfast_eventstore::Position {
    app.engine
        .commands
        .inventories
        .execute(
            &inventory.to_string(),
            InventoryCommand::PlaceHold {
                booking_id: BookingId::new(),
                slots: vec![Slot::day(date(day))],
                quantity: 1,
                expires_at: start_instant() + Span::minutes(15),
            },
            HashMap::new(),
        )
        .await
        .unwrap()
        .position
        .unwrap()
}

pub fn slot_json(day: u32, held: u32) -> Value {
    json!({
        "slot": date(day).to_string(), "date": date(day).to_string(), "capacity": 50,
        "held": held, "allocated": 0, "available": 50 - held, "closed": false,
    })
}
