//! The settings file (`--config FILE` / `HOLDFAST_CONFIG`): flags > environment > file > defaults.

use std::path::PathBuf;
use std::process::{Command, Output};

use holdfast_testkit::fresh_sqlite_database;

fn holdfast() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_holdfast"));
    for var in [
        "HOLDFAST_CONFIG",
        "HOLDFAST_DATABASE_URL",
        "HOLDFAST_DYNAMODB",
        "HOLDFAST_DYNAMODB_ENDPOINT",
        "HOLDFAST_TABLE_PREFIX",
    ] {
        command.env_remove(var);
    }
    command
}

fn history_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/history/events.jsonl")
}

fn stdout_ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Three stores: one with the history, two empty; a config file naming the first.
struct Setup {
    full: holdfast_testkit::TestSqlite,
    empty: holdfast_testkit::TestSqlite,
    config: PathBuf,
}

fn setup() -> Setup {
    let full = fresh_sqlite_database();
    let empty = fresh_sqlite_database();
    stdout_ok(
        holdfast()
            .args(["events", "import", "--database-url", &full.url])
            .arg(history_file())
            .output()
            .unwrap(),
    );
    let config = empty.dir.path().join("holdfast.toml");
    std::fs::write(
        &config,
        format!(
            "# the keys are the long flags\ndatabase_url = \"{}\"\ntable_prefix = \"demo_\"\nlog_format = \"text\"\n",
            full.url
        ),
    )
    .unwrap();
    Setup {
        full,
        empty,
        config,
    }
}

/// The listing events of the recorded history (4 listings: created, attributes set, published).
const LISTING_EVENTS: usize = 12;

fn listing_events(command: &mut Command) -> usize {
    stdout_ok(
        command
            .args(["events", "export", "--type", "listing"])
            .output()
            .unwrap(),
    )
    .lines()
    .count()
}

#[test]
fn the_file_supplies_settings_and_flags_and_environment_win() {
    let s = setup();
    // File only (by flag, and by HOLDFAST_CONFIG): the full store.
    assert_eq!(
        listing_events(holdfast().arg("--config").arg(&s.config)),
        LISTING_EVENTS
    );
    assert_eq!(
        listing_events(holdfast().env("HOLDFAST_CONFIG", &s.config)),
        LISTING_EVENTS
    );
    // `--config=FILE` after the subcommand works too.
    let mut command = holdfast();
    command
        .args(["events", "export", "--type", "listing"])
        .arg(format!("--config={}", s.config.display()));
    assert_eq!(
        stdout_ok(command.output().unwrap()).lines().count(),
        LISTING_EVENTS
    );
    // The environment beats the file.
    assert_eq!(
        listing_events(
            holdfast()
                .env("HOLDFAST_CONFIG", &s.config)
                .env("HOLDFAST_DATABASE_URL", &s.empty.url)
        ),
        0
    );
    // A flag beats both.
    let mut command = holdfast();
    command
        .env("HOLDFAST_CONFIG", &s.config)
        .env("HOLDFAST_DATABASE_URL", &s.empty.url)
        .args([
            "events",
            "export",
            "--type",
            "listing",
            "--database-url",
            &s.full.url,
        ]);
    assert_eq!(
        stdout_ok(command.output().unwrap()).lines().count(),
        LISTING_EVENTS
    );
}

fn assert_exit_2_one_line(output: &Output, mentions: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let errors: Vec<_> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains(mentions), "{}", errors[0]);
}

#[test]
fn a_bad_settings_file_is_one_clear_line() {
    let s = setup();
    let typo = s.empty.dir.path().join("typo.toml");
    std::fs::write(&typo, "databse_url = \"sqlite://x.db\"\n").unwrap();
    let output = holdfast()
        .arg("--config")
        .arg(&typo)
        .arg("schema")
        .output()
        .unwrap();
    assert_exit_2_one_line(&output, "unknown setting `databse_url`");

    let broken = s.empty.dir.path().join("broken.toml");
    std::fs::write(&broken, "database_url = \n").unwrap();
    let output = holdfast()
        .arg("--config")
        .arg(&broken)
        .arg("schema")
        .output()
        .unwrap();
    assert_exit_2_one_line(&output, "is not valid TOML");

    let nested = s.empty.dir.path().join("nested.toml");
    std::fs::write(&nested, "[database]\nurl = \"x\"\n").unwrap();
    let output = holdfast()
        .arg("--config")
        .arg(&nested)
        .arg("schema")
        .output()
        .unwrap();
    assert_exit_2_one_line(&output, "`database` must be a string, integer or boolean");

    let output = holdfast()
        .env("HOLDFAST_CONFIG", "/nonexistent/holdfast.toml")
        .arg("schema")
        .output()
        .unwrap();
    assert_exit_2_one_line(
        &output,
        "cannot read the settings file /nonexistent/holdfast.toml",
    );
}
