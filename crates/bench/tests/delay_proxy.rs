//! `holdfast-bench delay-proxy` really adds its delay: a real TCP echo server upstream, a
//! client that sends and waits for the echo, and every round trip through the proxy takes at
//! least the delay (the echo on loopback alone takes well under a millisecond), with the bytes
//! unchanged — also a request larger than one read of the proxy (64 KB), which is still
//! delayed once, not once per piece. And the `delay-proxy` subcommand itself: it prints where
//! it listens, and a call through it takes at least its `--delay-ms`.

use std::time::{Duration, Instant};

use holdfast_bench::proxy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// An echo server on a free port: writes back whatever each connection sends.
async fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let (mut from, mut to) = socket.split();
                let _ = tokio::io::copy(&mut from, &mut to).await;
            });
        }
    });
    address
}

/// Sends `message` on `stream` and reads the echo of it; the time that took.
async fn round_trip(stream: &mut TcpStream, message: &[u8]) -> Duration {
    let started = Instant::now();
    let (mut from, mut to) = stream.split();
    let mut echo = vec![0u8; message.len()];
    // Written and read at once, so that a large echo never waits for the write to finish.
    let (written, read) = tokio::join!(to.write_all(message), from.read_exact(&mut echo));
    written.unwrap();
    read.unwrap();
    let took = started.elapsed();
    assert_eq!(echo, message, "the proxy changed the bytes");
    took
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_is_delayed_and_arrives_unchanged() {
    const DELAY: Duration = Duration::from_millis(100);
    let upstream = echo_server().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(proxy::serve(listener, upstream.clone(), DELAY));

    // Straight to the echo server: well under the delay, so the comparison below means something.
    let mut direct = TcpStream::connect(&upstream).await.unwrap();
    direct.set_nodelay(true).unwrap();
    let plain = round_trip(&mut direct, b"ping").await;
    assert!(plain < DELAY / 2, "the echo alone took {plain:?}");

    // One keep-alive connection, several requests one after the other.
    let mut client = TcpStream::connect(address).await.unwrap();
    client.set_nodelay(true).unwrap();
    for i in 0..5 {
        let took = round_trip(&mut client, format!("request {i}").as_bytes()).await;
        assert!(
            took >= DELAY,
            "request {i} took {took:?}, less than {DELAY:?}"
        );
        assert!(took < DELAY * 2, "request {i} took {took:?}");
    }
    // 150 KB: more than the proxy reads at once; held once (twice would be 2 × DELAY).
    let large: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
    let took = round_trip(&mut client, &large).await;
    assert!(took >= DELAY, "the large request took {took:?}");
    assert!(took < DELAY * 2, "the large request took {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_subcommand_says_where_it_listens_and_delays() {
    use tokio::io::AsyncBufReadExt;
    const DELAY: Duration = Duration::from_millis(100);
    let upstream = echo_server().await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_holdfast-bench"))
        .args([
            "delay-proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &upstream,
        ])
        .args(["--delay-ms", &DELAY.as_millis().to_string()])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).await.unwrap();
    let address = first
        .strip_prefix(proxy::LISTENING)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line: {first}"));
    let mut client = TcpStream::connect(address).await.unwrap();
    client.set_nodelay(true).unwrap();
    let took = round_trip(&mut client, b"one call").await;
    assert!(took >= DELAY, "took {took:?}");
    child.kill().await.unwrap();
}
