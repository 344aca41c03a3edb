//! A real SMTP server on loopback for e-mail tests: `aiosmtpd` (Python, installed by
//! `./scripts/test` into `~/.cache/holdfast/aiosmtpd-venv`; `HOLDFAST_TEST_AIOSMTPD` names its
//! python) with its Mailbox handler, one per test, each on its own port with its own maildir.
//! [`SmtpServer::messages`] reads what it received, decoded (`mail-parser`).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One message as the server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The envelope's recipients (`X-RcptTo`).
    pub rcpt_to: String,
    /// `From:`.
    pub from: String,
    /// `To:` (the first address).
    pub to: String,
    /// The decoded subject.
    pub subject: String,
    /// The decoded plain-text body.
    pub body: String,
    /// `Message-ID:` (without the angle brackets).
    pub message_id: String,
    /// Attachments: file name, content type (`type/subtype`) and text.
    pub attachments: Vec<(String, String, String)>,
}

/// An `aiosmtpd` process (or, before [`SmtpServer::listen`], a port nothing listens on: a
/// server that refuses).
pub struct SmtpServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

fn python() -> PathBuf {
    if let Ok(path) = std::env::var("HOLDFAST_TEST_AIOSMTPD") {
        return PathBuf::from(path);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let cached = PathBuf::from(home).join(".cache/holdfast/aiosmtpd-venv/bin/python");
    assert!(
        cached.exists(),
        "aiosmtpd is not installed: run ./scripts/test, or `source scripts/lib/services.sh && ensure_aiosmtpd` (it installs aiosmtpd into {})",
        cached.display()
    );
    cached
}

impl SmtpServer {
    /// A server listening now.
    pub fn start() -> Self {
        let mut server = Self::refusing();
        server.listen();
        server
    }

    /// A port that refuses connections until [`SmtpServer::listen`].
    pub fn refusing() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Self {
            port,
            dir: tempfile::tempdir().expect("a temporary maildir"),
            child: None,
        }
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts listening (again), keeping what was received.
    pub fn listen(&mut self) {
        if self.child.is_some() {
            return;
        }
        let maildir = self.dir.path().join("maildir");
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops listening (connections are refused until [`SmtpServer::listen`]).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        let new = self.dir.path().join("maildir/new");
        let Ok(entries) = std::fs::read_dir(&new) else {
            return Vec::new();
        };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
            .filter_map(Result::ok)
            .map(|e| {
                let at = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(std::time::UNIX_EPOCH);
                (at, e.path())
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, path)| {
                let bytes = std::fs::read(&path).ok()?;
                use mail_parser::MimeHeaders;
                let message = mail_parser::MessageParser::default().parse(&bytes)?;
                let header = |name: &str| {
                    message
                        .header_raw(name)
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_default()
                };
                Some(Received {
                    rcpt_to: header("X-RcptTo"),
                    from: message
                        .from()
                        .and_then(|a| a.first())
                        .and_then(|a| a.address())
                        .unwrap_or_default()
                        .to_owned(),
                    to: message
                        .to()
                        .and_then(|a| a.first())
                        .and_then(|a| a.address())
                        .unwrap_or_default()
                        .to_owned(),
                    subject: message.subject().unwrap_or_default().to_owned(),
                    body: message.body_text(0).unwrap_or_default().into_owned(),
                    message_id: message.message_id().unwrap_or_default().to_owned(),
                    attachments: message
                        .attachments()
                        .map(|part| {
                            let kind = part
                                .content_type()
                                .map(|c| {
                                    format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default())
                                })
                                .unwrap_or_default();
                            (
                                part.attachment_name().unwrap_or_default().to_owned(),
                                kind,
                                String::from_utf8_lossy(part.contents()).into_owned(),
                            )
                        })
                        .collect(),
                })
            })
            .collect()
    }

    /// Waits (up to 60 s) until at least `n` messages arrived; returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{n} e-mails expected, {} received: {got:#?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}
