//! `holdfast serve` with the payments webhook and a notification webhook, end to end, and
//! `holdfast notifications list|retry` (real processes, the embedded SQLite store).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use holdfast_api::auth::Secret;
use holdfast_engine::notify::{DeliveryStatus, Notification, NotificationKind, OutboxStore};
use holdfast_engine::signature;
use holdfast_eventstore::{EventStore, Position};
use holdfast_testkit::process::{Listening, spawn_listening};
use serde_json::{Value, json};

const NOTIFY_SECRET: &str = "notify-e2e-secret-0123456789";
const PAYMENTS_SECRET: &str = "whsec-e2e-0123456789abcdef";

fn holdfast() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_holdfast"));
    for (var, _) in std::env::vars() {
        if var.starts_with("HOLDFAST_") {
            command.env_remove(var);
        }
    }
    command
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A request the receiver got: its headers (lower-case names) and body.
type Received = (HashMap<String, String>, Vec<u8>);

/// A minimal HTTP/1.1 receiver on a thread: answers 204 to every request, keeps them.
fn receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let keep = keep.clone();
            std::thread::spawn(move || serve_one(stream, &keep));
        }
    });
    (url, seen)
}

fn serve_one(stream: TcpStream, keep: &Mutex<Vec<Received>>) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut headers = HashMap::new();
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some((name, value)) = trimmed.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        keep.lock().unwrap().push((headers, body));
        let stream = reader.get_mut();
        if stream
            .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
}

/// A running `holdfast serve`, killed if the test fails.
struct Server {
    process: Listening,
    address: String,
}

impl Server {
    fn start(mut command: Command, extra: &[&str]) -> Self {
        let process = spawn_listening(
            command
                .args(["serve", "--listen", "127.0.0.1:0"])
                .args(extra)
                .stderr(Stdio::inherit()),
        );
        let address = process.address().to_owned();
        Self { process, address }
    }

    /// POSTs `body` with extra headers; returns (status, JSON body).
    fn post(&self, path: &str, body: &str, headers: &[(&str, String)]) -> (u16, Value) {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        let extra: String = headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}\r\n"))
            .collect();
        write!(
            stream,
            "POST {path} HTTP/1.0\r\nHost: {}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            self.address,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let json = response
            .split_once("\r\n\r\n")
            .and_then(|(_, b)| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        (status, json)
    }

    fn graphql(&self, token: &str, query: &str) -> Value {
        let body = json!({ "query": query }).to_string();
        self.post(
            "/graphql",
            &body,
            &[("Authorization", format!("Bearer {token}"))],
        )
        .1
    }

    fn terminate(mut self) -> bool {
        Command::new("kill")
            .args(["-TERM", &self.process.child.id().to_string()])
            .status()
            .unwrap();
        self.process.child.wait().unwrap().success()
    }
}

fn run(command: &mut Command) -> Output {
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within 30 s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The demo concert is booked, paid through the signed payments webhook, and the confirmation
/// reaches the notification webhook, signed; the CLI lists it as delivered.
#[test]
fn a_webhook_payment_confirms_and_the_confirmation_is_sent_signed() {
    let dir = tempdir();
    let (url, received) = receiver();
    let mut command = holdfast();
    command.current_dir(dir.path());
    let server = Server::start(
        command,
        &[
            "--notify-webhook",
            &url,
            "--notify-webhook-secret",
            NOTIFY_SECRET,
            "--notify-retry-base-ms",
            "50",
            "--payments-webhook-secret",
            PAYMENTS_SECRET,
        ],
    );
    let token = stdout(&run(holdfast()
        .current_dir(dir.path())
        .args(["token", "--role", "guest"])))
    .trim()
    .to_owned();

    let found = until("the demo is searchable", || {
        let r = server.graphql(
            &token,
            r#"{ search(keyword: "concert") { edges { node { id inventoryIds } } } }"#,
        );
        let node = r["data"]["search"]["edges"][0]["node"].clone();
        node.is_object().then_some(node)
    });
    let listing = found["id"].as_str().unwrap();
    let inventory = found["inventoryIds"][0].as_str().unwrap();
    let date = chrono::Utc::now().date_naive() + chrono::Duration::days(45);
    let placed = server.graphql(
        &token,
        &format!(
            r#"mutation {{ placeBooking(idempotencyKey: "n-1", input: {{ listingId: "{listing}", inventoryId: "{inventory}", eventDate: "{date}", partySize: 2, quantity: 2 }}) {{ bookingId status totals {{ totalMinor currency }} }} }}"#
        ),
    );
    let placed = &placed["data"]["placeBooking"];
    assert_eq!(placed["status"], "HELD", "{placed}");
    let booking = placed["bookingId"].as_str().unwrap();

    let body = json!({"id": "evt_e2e_1", "type": "payment.succeeded",
        "data": {"booking_id": booking, "amount_minor": placed["totals"]["totalMinor"],
                 "currency": placed["totals"]["currency"], "reference": "pi_e2e_1"}})
    .to_string();
    let header = signature::header_value(
        &Secret::new(PAYMENTS_SECRET),
        chrono::Utc::now(),
        body.as_bytes(),
    );
    let (status, answer) = server.post(
        "/webhooks/payments",
        &body,
        &[(signature::HEADER, header.clone())],
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["booking_status"], "CONFIRMED");
    let (status, answer) = server.post("/webhooks/payments", &body, &[(signature::HEADER, header)]);
    assert_eq!(
        (status, answer["status"].as_str()),
        (200, Some("duplicate"))
    );

    let (headers, bytes) = until("the confirmation is delivered", || {
        received.lock().unwrap().iter().find_map(|(h, b)| {
            let json: Value = serde_json::from_slice(b).ok()?;
            (json["kind"] == "confirmed").then(|| (h.clone(), b.clone()))
        })
    });
    let sent: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(sent["booking_id"], booking);
    assert_eq!(headers["holdfast-event-id"], sent["id"].as_str().unwrap());
    signature::verify(
        &Secret::new(NOTIFY_SECRET),
        headers.get("holdfast-signature").map(String::as_str),
        &bytes,
        chrono::Utc::now(),
        chrono::Duration::seconds(60),
    )
    .expect("the notification is signed with the configured secret");
    assert!(server.terminate(), "graceful shutdown exits 0");

    let database = format!("sqlite://{}/data/holdfast.db", dir.path().display());
    let listed = stdout(&run(holdfast().args([
        "notifications",
        "list",
        "--status",
        "delivered",
        "--database-url",
        &database,
    ])));
    let id = sent["id"].as_str().unwrap();
    let lines: Vec<&str> = listed.lines().filter(|l| l.starts_with(id)).collect();
    assert_eq!(lines.len(), 2, "log and webhook: {listed}");
    assert!(
        lines.iter().any(|l| l.contains("\twebhook:127.0.0.1:")),
        "{listed}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.contains("\tconfirmed\t") && l.contains("attempts=1"))
    );
}

#[tokio::test]
async fn notifications_list_and_retry_operate_dead_letters() {
    let dir = tempdir();
    let database = format!("sqlite://{}/events.db", dir.path().display());
    stdout(&run(holdfast().args([
        "migrate",
        "--database-url",
        &database,
    ])));
    let store = EventStore::open(&database).await.unwrap();
    let outbox = OutboxStore::new(&store);
    let now = chrono::Utc::now();
    outbox
        .init_cursor("webhook:example.com/abc", Position::START, now)
        .await
        .unwrap();
    let notification = Notification {
        id: "01JBOOKING:4".into(),
        kind: NotificationKind::Refunded,
        tenant_id: "01JTENANT".into(),
        booking_id: "01JBOOKING".into(),
        position: Position::new(0, 4),
        payload: json!({"id": "01JBOOKING:4"}),
    };
    outbox
        .enqueue(
            &[("webhook:example.com/abc".into(), Position::START)],
            &[notification],
            Position::new(0, 4),
            now,
        )
        .await
        .unwrap();
    outbox
        .failed(
            "webhook:example.com/abc",
            "01JBOOKING:4",
            8,
            "HTTP 503: down",
            None,
        )
        .await
        .unwrap();

    let list = |status: &str| {
        stdout(&run(holdfast().args([
            "notifications",
            "list",
            "--status",
            status,
            "--database-url",
            &database,
        ])))
    };
    let dead = list("dead");
    assert!(
        dead.starts_with("01JBOOKING:4\trefunded\twebhook:example.com/abc\tdead\tattempts=8\t"),
        "{dead}"
    );
    assert!(dead.contains("HTTP 503: down"));
    let json = stdout(&run(holdfast().args([
        "notifications",
        "list",
        "--json",
        "--database-url",
        &database,
    ])));
    let row: Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(
        (row["status"].as_str(), row["attempts"].as_u64()),
        (Some("dead"), Some(8))
    );

    let retried = stdout(&run(holdfast().args([
        "notifications",
        "retry",
        "01JBOOKING:4",
        "--database-url",
        &database,
    ])));
    assert_eq!(
        retried.trim(),
        "retrying 01JBOOKING:4 → webhook:example.com/abc"
    );
    assert!(list("dead").is_empty());
    assert!(list("pending").contains("\tpending\tattempts=0\t"));
    let rows = outbox.list(&Default::default(), None, 10).await.unwrap();
    assert_eq!(rows[0].status, DeliveryStatus::Pending);

    let again = run(holdfast().args([
        "notifications",
        "retry",
        "01JBOOKING:4",
        "--database-url",
        &database,
    ]));
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains("error: no dead delivery of notification 01JBOOKING:4")
    );
}
