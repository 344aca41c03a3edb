//! `holdfast fixtures load` and the demo data `serve` loads into an empty embedded store.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use holdfast_testkit::process::spawn_listening;
use holdfast_testkit::{fresh_postgres_database, fresh_sqlite_database};

fn holdfast() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_holdfast"));
    for var in [
        "HOLDFAST_CONFIG",
        "HOLDFAST_DATABASE_URL",
        "HOLDFAST_DYNAMODB",
        "HOLDFAST_DYNAMODB_ENDPOINT",
        "HOLDFAST_LISTEN",
        "HOLDFAST_JWT_SECRET",
        "HOLDFAST_NO_DEMO",
    ] {
        command.env_remove(var);
    }
    command
}

fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/demo")
}

fn run_ok(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// (events, published listings, defined inventories, created campaigns) in the store.
fn census(url: &str) -> (usize, usize, usize, usize) {
    let out = run_ok(holdfast().args(["events", "export", "--database-url", url]));
    let count = |t: &str| {
        out.lines()
            .filter(|l| l.contains(&format!("\"event_type\":\"{t}\"")))
            .count()
    };
    (
        out.lines().count(),
        count("ListingPublished"),
        count("InventoryDefined"),
        count("CouponCampaignCreated"),
    )
}

fn load_twice_appends_nothing(url: &str) {
    let first = run_ok(
        holdfast()
            .args(["fixtures", "load", "--database-url", url])
            .arg(demo_dir()),
    );
    assert!(
        first.starts_with("fixtures: 6 loaded, 0 already present"),
        "{first}"
    );
    let after_first = census(url);
    assert_eq!(
        (after_first.1, after_first.2, after_first.3),
        (4, 7, 2),
        "4 listings, 7 inventories, 2 campaigns"
    );
    let second = run_ok(
        holdfast()
            .args(["fixtures", "load", "--database-url", url])
            .arg(demo_dir()),
    );
    assert!(
        second.starts_with("fixtures: 0 loaded, 6 already present"),
        "{second}"
    );
    assert_eq!(census(url), after_first, "the second load appended nothing");
    // Even on another day (other relative dates), a loaded set is left alone.
    let later = run_ok(
        holdfast()
            .args([
                "fixtures",
                "load",
                "--start",
                "2027-03-01",
                "--database-url",
                url,
            ])
            .arg(demo_dir()),
    );
    assert!(
        later.starts_with("fixtures: 0 loaded, 6 already present"),
        "{later}"
    );
    assert_eq!(census(url), after_first);
}

#[tokio::test]
async fn fixtures_load_twice_appends_nothing_on_postgres() {
    let db = fresh_postgres_database().await;
    load_twice_appends_nothing(&db.url);
}

#[test]
fn fixtures_load_twice_appends_nothing_on_sqlite() {
    let db = fresh_sqlite_database();
    load_twice_appends_nothing(&db.url);
}

#[test]
fn a_bad_fixture_folder_is_one_clear_line() {
    let db = fresh_sqlite_database();
    let output = holdfast()
        .args([
            "fixtures",
            "load",
            "/nonexistent/fixtures",
            "--database-url",
            &db.url,
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot read /nonexistent/fixtures"),
        "{stderr}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hotel.toml"), "[listing]\nname = 3\n").unwrap();
    let output = holdfast()
        .args(["fixtures", "load", "--database-url", &db.url])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.starts_with("error: hotel.toml is not a valid fixture file"),
        "{stderr}"
    );
}

/// Starts `serve` in `dir`, waits for its first line, sends SIGTERM, waits for a clean exit.
fn serve_once(dir: &std::path::Path) {
    let mut server = spawn_listening(
        holdfast()
            .current_dir(dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stderr(Stdio::null()),
    );
    let address = server.address();
    // Once it answers, its signal handlers are installed.
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(stream, "GET /healthz HTTP/1.0\r\nHost: {address}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"),
        "{response}"
    );
    Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(server.child.wait().unwrap().success());
}

#[test]
fn serve_loads_the_embedded_demo_into_an_empty_store_once() {
    let dir = tempfile::tempdir().unwrap();
    serve_once(dir.path());
    let url = format!("sqlite://{}", dir.path().join("data/holdfast.db").display());
    let first = census(&url);
    assert_eq!((first.1, first.2, first.3), (4, 7, 2), "{first:?}");
    // A restart finds events and loads nothing.
    serve_once(dir.path());
    assert_eq!(census(&url), first);
    // Same as `fixtures load` of the folder with the same start (today), plus the onboarding
    // of the four demo businesses' sites (one event each; `fixtures load` creates no accounts).
    let other = fresh_sqlite_database();
    run_ok(
        holdfast()
            .args(["fixtures", "load", "--database-url", &other.url])
            .arg(demo_dir()),
    );
    assert_eq!(census(&other.url).0 + 4, first.0);
}

#[test]
fn schema_prints_the_sdl() {
    let sdl = run_ok(holdfast().arg("schema"));
    assert!(sdl.contains("type Query"), "{sdl}");
    assert!(
        sdl.trim_end().ends_with('}') || sdl.contains("schema"),
        "{sdl}"
    );
}
