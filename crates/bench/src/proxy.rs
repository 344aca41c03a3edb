//! `delay-proxy`: a TCP forwarder that adds a fixed delay to every request going upstream, to
//! give DynamoDB Local (answering on loopback in well under a millisecond) the round trip of
//! the real service: `holdfast serve` is pointed at the proxy (`HOLDFAST_DYNAMODB_ENDPOINT`),
//! the proxy at DynamoDB Local.
//!
//! What is delayed: bytes from the client are held `--delay-ms` before they are forwarded; the
//! answers come back at once. DynamoDB calls are HTTP/1.1 requests on keep-alive connections,
//! one at a time per connection (the client waits for the answer before it sends the next),
//! so a request arrives as one burst of bytes, and the proxy delays bursts: the first read of
//! a burst is held `--delay-ms`, and whatever else the client sent meanwhile goes along with
//! it. That is one delay per call — an approximation: a client that wrote a request in pieces
//! more than `--delay-ms` apart would be delayed once per piece, and a new connection's TLS or
//! TCP handshake is not delayed (DynamoDB Local is plain HTTP; connect is not delayed).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{BenchError, Context};

/// Arguments of `holdfast-bench delay-proxy`.
#[derive(Args)]
pub struct DelayProxyArgs {
    /// Where to listen (port 0: any free port; the line printed at start says which).
    #[arg(long)]
    pub listen: SocketAddr,
    /// Where to forward (`host:port`, e.g. DynamoDB Local's 127.0.0.1:8000).
    #[arg(long)]
    pub upstream: String,
    /// Delay added to each request (each burst of bytes from the client), in milliseconds.
    #[arg(long, default_value_t = 10)]
    pub delay_ms: u64,
}

/// What `delay-proxy` prints once it listens, before the address.
pub const LISTENING: &str = "delay-proxy listening on ";

/// Runs the proxy until Ctrl-C or SIGTERM; prints [`LISTENING`] + the address first.
pub async fn run(args: DelayProxyArgs) -> Result<(), BenchError> {
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    println!(
        "{LISTENING}{} (→ {}, +{} ms per request)",
        listener.local_addr()?,
        args.upstream,
        args.delay_ms
    );
    let delay = Duration::from_millis(args.delay_ms);
    tokio::select! {
        served = serve(listener, args.upstream, delay) => served,
        () = stopped() => Ok(()),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Accepts connections on `listener` and forwards each to `upstream`, requests delayed by
/// `delay`. Returns only if accepting fails.
pub async fn serve(
    listener: TcpListener,
    upstream: String,
    delay: Duration,
) -> Result<(), BenchError> {
    loop {
        let (client, peer) = listener.accept().await?;
        let upstream = upstream.clone();
        tokio::spawn(async move {
            if let Err(e) = forward(client, &upstream, delay).await {
                tracing::debug!(%peer, error = %e, "delay-proxy connection ended");
            }
        });
    }
}

/// One connection: client → upstream delayed per burst, upstream → client as it comes.
async fn forward(client: TcpStream, upstream: &str, delay: Duration) -> std::io::Result<()> {
    let server = TcpStream::connect(upstream).await?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let up = async {
        let mut chunk = vec![0u8; 64 * 1024];
        let mut burst = Vec::with_capacity(chunk.len());
        loop {
            let read = from_client.read(&mut chunk).await?;
            if read == 0 {
                return to_server.shutdown().await;
            }
            burst.clear();
            burst.extend_from_slice(&chunk[..read]);
            tokio::time::sleep(delay).await;
            // What else the client sent while this burst was held goes along with it.
            let closed = loop {
                match from_client.try_read(&mut chunk) {
                    Ok(0) => break true,
                    Ok(n) => burst.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break false,
                    Err(e) => return Err(e),
                }
            };
            to_server.write_all(&burst).await?;
            if closed {
                return to_server.shutdown().await;
            }
        }
    };
    let down = async {
        tokio::io::copy(&mut from_server, &mut to_client).await?;
        to_client.shutdown().await
    };
    tokio::try_join!(up, down)?;
    Ok(())
}
