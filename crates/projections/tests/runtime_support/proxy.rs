//! A TCP forwarder in front of the real DynamoDB Local, for outage and latency tests: it can
//! be killed (its port closes and every open connection drops, as when the server dies) and
//! revived on the same port, and it can delay every request by a fixed time (the network round
//! trip that DynamoDB Local on loopback hides).

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// A running (or killed) forwarder.
pub struct TcpProxy {
    addr: SocketAddr,
    upstream: String,
    delay: Duration,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl TcpProxy {
    /// Forwards a fresh local port to the test DynamoDB Local, delaying each chunk a client
    /// sends by `delay`.
    pub async fn to_dynamodb(delay: Duration) -> Self {
        let endpoint = holdfast_testkit::dynamodb_endpoint();
        let upstream = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let proxy = Self {
            addr,
            upstream,
            delay,
            task: Mutex::new(None),
        };
        proxy.serve(listener);
        proxy
    }

    /// The endpoint to give the DynamoDB client.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Closes the port and drops every connection.
    pub fn kill(&self) {
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn revive(&self) {
        let listener = TcpListener::bind(self.addr).await.expect("re-bind proxy");
        self.serve(listener);
    }

    fn serve(&self, listener: TcpListener) {
        let upstream = self.upstream.clone();
        let delay = self.delay;
        let task = tokio::spawn(async move {
            // Dropped with the task: aborting it aborts every connection.
            let mut connections = JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let upstream = upstream.clone();
                connections.spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        forward(client, server, delay).await;
                    }
                });
                while connections.try_join_next().is_some() {}
            }
        });
        *self.task.lock().unwrap() = Some(task);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn forward(mut client: TcpStream, mut server: TcpStream, delay: Duration) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    if delay.is_zero() {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        return;
    }
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let requests = async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            tokio::time::sleep(delay).await;
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
    };
    let responses = async {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(requests, responses);
}
