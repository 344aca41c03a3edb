//! The analysts' commands on the recorded history (`fixtures/history/events.jsonl`): import,
//! export (golden count and checksum, filters), as-of, occupancy report; and bad input.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Events in the history.
const HISTORY_EVENTS: usize = 3_647;
/// sha256 of `events export` (JSON lines) of the history imported into an empty SQLite store.
const JSONL_SHA256: &str = "0b294a885f283d756d5d660c21d7c5f052e56355bb7a7a06ab25d21b9743cd1b";
/// sha256 of `events export --format csv` of the same.
const CSV_SHA256: &str = "e317d2ed12f28337617d98b19d21a83318214429cb4c8fa19879fe5a28482801";
/// A hotel booking that was requested, held and given a coupon at 18:31, paid and confirmed at
/// 18:33 on 2026-01-13, cancelled (72 h+ notice: full refund) on 2026-01-18 at 04:35.
const BOOKING: &str = "01KEWA07N0J351M7YF3FQBEDY7";
const HOTEL: &str = "01JDDJ8FSSZ5AWSH8VHTPRE95B";

fn history_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/history/events.jsonl")
}

fn holdfast(url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_holdfast"));
    for var in [
        "HOLDFAST_CONFIG",
        "HOLDFAST_DYNAMODB_ENDPOINT",
        "HOLDFAST_DYNAMODB",
    ] {
        command.env_remove(var);
    }
    command.env("HOLDFAST_DATABASE_URL", url);
    command
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

fn assert_exit_2_one_line(output: &Output, mentions: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let errors: Vec<_> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains(mentions), "{}", errors[0]);
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A SQLite store with the history imported.
fn imported() -> holdfast_testkit::TestSqlite {
    let db = holdfast_testkit::fresh_sqlite_database();
    let out = run_ok(
        holdfast(&db.url)
            .args(["events", "import"])
            .arg(history_file()),
    );
    assert_eq!(
        out.trim(),
        format!(
            "imported {HISTORY_EVENTS} events from {}",
            history_file().display()
        )
    );
    db
}

fn export(url: &str, args: &[&str]) -> String {
    run_ok(holdfast(url).args(["events", "export"]).args(args))
}

#[test]
fn export_of_the_history_matches_the_golden_count_and_checksums() {
    let db = imported();
    let jsonl = export(&db.url, &[]);
    assert_eq!(jsonl.lines().count(), HISTORY_EVENTS);
    assert_eq!(sha256(&jsonl), JSONL_SHA256);
    let csv = export(&db.url, &["--format", "csv"]);
    assert_eq!(
        csv.lines().next().unwrap(),
        "position,recorded_at,aggregate_type,aggregate_id,sequence,event_type,event_version,payload,metadata"
    );
    assert_eq!(sha256(&csv), CSV_SHA256);
    // To a file: the same bytes.
    let file = db.dir.path().join("out.csv");
    let mut command = holdfast(&db.url);
    command
        .args(["events", "export", "--format", "csv", "--out"])
        .arg(&file);
    run_ok(&mut command);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), csv);
    // Importing again into the now non-empty store is refused.
    let output = holdfast(&db.url)
        .args(["events", "import"])
        .arg(history_file())
        .output()
        .unwrap();
    assert_exit_2_one_line(&output, "already has events");
}

#[test]
fn export_filters_give_exact_counts() {
    let db = imported();
    let count = |args: &[&str]| export(&db.url, args).lines().count();
    assert_eq!(count(&["--type", "booking"]), 2_327);
    assert_eq!(
        count(&[
            "--type",
            "booking",
            "--since",
            "2026-02-01",
            "--until",
            "2026-03-01"
        ]),
        888
    );
    assert_eq!(count(&["--id", BOOKING]), 7);
    assert_eq!(count(&["--event-type", "BookingConfirmed"]), 367);
    assert_eq!(count(&["--since", "2026-03-01T09:00:00+09:00"]), 859);
    assert_eq!(count(&["--type", "listing", "--format", "csv"]), 12 + 1);
    // Log order: positions strictly increase.
    let positions: Vec<u64> = export(&db.url, &["--type", "coupon"])
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["position"]
                .as_str()
                .unwrap()
                .split_once('.')
                .unwrap()
                .1
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(positions.len(), 142);
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn postgres_imports_and_exports_the_same_events() {
    let db = holdfast_testkit::fresh_postgres_database().await;
    run_ok(
        holdfast(&db.url)
            .args(["events", "import"])
            .arg(history_file()),
    );
    let sqlite = imported();
    let strip = |text: String| -> Vec<Value> {
        text.lines()
            .map(|l| {
                let mut v: Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("position");
                v
            })
            .collect()
    };
    let pg = strip(export(&db.url, &[]));
    assert_eq!(pg.len(), HISTORY_EVENTS);
    assert_eq!(pg, strip(export(&sqlite.url, &[])));
}

fn as_of(url: &str, at: &str) -> Value {
    serde_json::from_str(&run_ok(
        holdfast(url).args(["events", "as-of", "booking", BOOKING, "--at", at]),
    ))
    .unwrap()
}

#[test]
fn as_of_three_instants_matches_hand_checked_states() {
    let db = imported();
    // Before its first event: it did not exist yet.
    assert_eq!(as_of(&db.url, "2026-01-13T18:30:59Z"), Value::Null);
    // Held with the coupon, not paid yet.
    let held = as_of(&db.url, "2026-01-13T18:32:00Z");
    assert_eq!(held["status"], "Held");
    assert_eq!(
        held["slots"],
        serde_json::json!(["2026-01-31", "2026-02-01"])
    );
    assert_eq!(held["totals"]["subtotal"]["amount_minor"], 400_000);
    assert_eq!(held["totals"]["total"]["amount_minor"], 390_000);
    assert_eq!(held["coupon"]["code"], "SEASIDE10K");
    assert_eq!(held["total_paid"], Value::Null);
    // The next day (Seoul time): confirmed and paid.
    let confirmed = as_of(&db.url, "2026-01-14T09:00:00+09:00");
    assert_eq!(confirmed["status"], "Confirmed");
    assert_eq!(confirmed["total_paid"]["amount_minor"], 390_000);
    assert_eq!(confirmed["total_refunded"], Value::Null);
    // At the cancellation's instant (inclusive): cancelled, refunded in full (13 days' notice).
    let cancelled = as_of(&db.url, "2026-01-18T04:35:00Z");
    assert_eq!(cancelled["status"], "Cancelled");
    assert_eq!(cancelled["cancellation"]["from"], "Confirmed");
    assert_eq!(cancelled["total_refunded"]["amount_minor"], 390_000);
}

/// A booking's inventory, (slot, amount) lines and last status.
type BookingFacts = (String, Vec<(String, i64)>, String);

/// capacity, held, allocated and revenue per (inventory, slot) of `listing`, computed from the
/// history file directly: the last slot snapshot any inventory event carried, and the lines of
/// bookings whose last status is Confirmed, CheckedIn or NoShow.
fn expected_occupancy(
    listing: &str,
    from: &str,
    to: &str,
) -> BTreeMap<(String, String), (u64, u64, u64, i64)> {
    let text = std::fs::read_to_string(history_file()).unwrap();
    let mut slots = BTreeMap::new();
    let mut bookings: BTreeMap<String, BookingFacts> = BTreeMap::new();
    for line in text.lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        let (_, body) = e["payload"].as_object().unwrap().iter().next().unwrap();
        match e["aggregate_type"].as_str().unwrap() {
            "Inventory" if body["listing_id"] == listing => {
                for s in body["slots"].as_array().into_iter().flatten() {
                    let key = (
                        e["aggregate_id"].as_str().unwrap().to_owned(),
                        s["slot"].as_str().unwrap().to_owned(),
                    );
                    slots.insert(
                        key,
                        (
                            s["capacity"].as_u64().unwrap(),
                            s["held"].as_u64().unwrap(),
                            s["allocated"].as_u64().unwrap(),
                        ),
                    );
                }
            }
            "Booking" if body["booking"]["listing_id"] == listing => {
                let entry = bookings
                    .entry(e["aggregate_id"].as_str().unwrap().to_owned())
                    .or_default();
                entry.0 = body["booking"]["inventory_id"].as_str().unwrap().to_owned();
                if let Some(lines) = body["lines"].as_array() {
                    entry.1 = lines
                        .iter()
                        .map(|l| {
                            (
                                l["slot"].as_str().unwrap().to_owned(),
                                l["amount"]["amount_minor"].as_i64().unwrap(),
                            )
                        })
                        .collect();
                }
                if let Some(status) = body["status"].as_str() {
                    entry.2 = status.to_owned();
                }
            }
            _ => {}
        }
    }
    let mut revenue: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (inventory, lines, status) in bookings.values() {
        if ["Confirmed", "CheckedIn", "NoShow"].contains(&status.as_str()) {
            for (slot, amount) in lines {
                *revenue
                    .entry((inventory.clone(), slot.clone()))
                    .or_default() += amount;
            }
        }
    }
    slots
        .into_iter()
        .filter(|((_, slot), _)| slot.as_str() >= from && &slot[..10] < to)
        .map(|(key, (c, h, a))| {
            let r = revenue.get(&key).copied().unwrap_or(0);
            (key, (c, h, a, r))
        })
        .collect()
}

#[test]
fn occupancy_report_matches_the_history_computed_independently() {
    let db = imported();
    for (listing, from, to, rows) in [
        (HOTEL, "2026-02-01", "2026-02-15", 42),
        ("01JD9EE0ZBGJ09TQM83XSSSS6Y", "2026-01-20", "2026-01-27", 70),
        ("01JDQY77ZXYYK596NGYA1DQ91K", "2026-01-01", "2026-12-31", 1),
    ] {
        let csv = run_ok(holdfast(&db.url).args([
            "report",
            "occupancy",
            "--listing",
            listing,
            "--from",
            from,
            "--to",
            to,
            "--format",
            "csv",
        ]));
        let mut lines = csv.lines();
        assert_eq!(
            lines.next().unwrap(),
            "inventory_id,inventory,slot,capacity,held,allocated,occupancy_pct,revenue_minor,currency"
        );
        let got: BTreeMap<(String, String), (u64, u64, u64, i64)> = lines
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                let pct: f64 = f[6].parse().unwrap();
                let (c, a): (u64, u64) = (f[3].parse().unwrap(), f[5].parse().unwrap());
                assert_eq!(
                    format!("{pct:.1}"),
                    format!("{:.1}", a as f64 * 100.0 / c as f64)
                );
                (
                    (f[0].to_owned(), f[2].to_owned()),
                    (c, f[4].parse().unwrap(), a, f[7].parse().unwrap()),
                )
            })
            .collect();
        assert_eq!(got.len(), rows, "{listing}");
        assert_eq!(got, expected_occupancy(listing, from, to), "{listing}");
    }
    // The table's total line sums the same numbers.
    let expected = expected_occupancy(HOTEL, "2026-02-01", "2026-02-04");
    let table = run_ok(holdfast(&db.url).args([
        "report",
        "occupancy",
        "--listing",
        HOTEL,
        "--from",
        "2026-02-01",
        "--to",
        "2026-02-04",
    ]));
    let total: Vec<&str> = table.lines().last().unwrap().split_whitespace().collect();
    let capacity: u64 = expected.values().map(|v| v.0).sum();
    let allocated: u64 = expected.values().map(|v| v.2).sum();
    let revenue: i64 = expected.values().map(|v| v.3).sum();
    assert_eq!(
        total,
        [
            "total",
            "9",
            "slots",
            &capacity.to_string(),
            "0",
            &allocated.to_string(),
            &format!("{:.1}%", allocated as f64 * 100.0 / capacity as f64),
            &revenue.to_string(),
            "KRW"
        ]
    );
    assert_eq!((capacity, allocated, revenue), (99, 11, 2_770_000));
}

#[test]
fn occupancy_svg_is_a_well_formed_heatmap() {
    let db = imported();
    let svg = run_ok(holdfast(&db.url).args([
        "report",
        "occupancy",
        "--listing",
        HOTEL,
        "--from",
        "2026-02-01",
        "--to",
        "2026-02-08",
        "--format",
        "svg",
    ]));
    assert!(svg.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""
    ));
    assert!(svg.trim_end().ends_with("</svg>"));
    // 3 inventories × 7 nights, one labelled row per inventory, one column label per night.
    assert_eq!(svg.matches("<rect class=\"cell\"").count(), 21);
    assert_eq!(svg.matches("<text class=\"inventory\"").count(), 3);
    assert_eq!(svg.matches("<text class=\"slot\"").count(), 7);
    // Every opened element is closed (self-closing none here).
    for tag in ["svg", "rect", "title", "text"] {
        assert_eq!(
            svg.matches(&format!("<{tag} ")).count() + svg.matches(&format!("<{tag}>")).count(),
            svg.matches(&format!("</{tag}>")).count(),
            "{tag}"
        );
    }
}

#[test]
fn bad_input_is_one_clear_line_with_status_2() {
    let db = imported();
    let output = holdfast(&db.url)
        .args([
            "events",
            "as-of",
            "booking",
            "01KEWA07N0J351M7YF3FQBEDY8",
            "--at",
            "2026-02-01",
        ])
        .output()
        .unwrap();
    assert_exit_2_one_line(&output, "no Booking with id `01KEWA07N0J351M7YF3FQBEDY8`");
    let output = holdfast(&db.url)
        .args([
            "events",
            "as-of",
            "booking",
            BOOKING,
            "--at",
            "last tuesday",
        ])
        .output()
        .unwrap();
    assert_exit_2_one_line(&output, "`last tuesday` is not an instant");
    let output = holdfast(&db.url)
        .args(["events", "export", "--since", "2026-13-01"])
        .output()
        .unwrap();
    assert_exit_2_one_line(&output, "is not an instant");
    let output = holdfast(&db.url)
        .args(["events", "import", "/nonexistent/events.jsonl"])
        .output()
        .unwrap();
    assert_exit_2_one_line(&output, "cannot open /nonexistent/events.jsonl");
    let output = holdfast(&db.url)
        .args([
            "report",
            "occupancy",
            "--listing",
            "01JDDJ8FSSZ5AWSH8VHTPRE95C",
            "--from",
            "2026-02-01",
            "--to",
            "2026-02-02",
        ])
        .output()
        .unwrap();
    assert_exit_2_one_line(
        &output,
        "no listing `01JDDJ8FSSZ5AWSH8VHTPRE95C` in the event log",
    );
    let output = holdfast(&db.url)
        .args([
            "report",
            "occupancy",
            "--listing",
            "hotel",
            "--from",
            "2026-02-01",
            "--to",
            "2026-02-02",
        ])
        .output()
        .unwrap();
    assert_exit_2_one_line(&output, "not a valid listing id");
    let output = holdfast(&db.url)
        .args([
            "report",
            "occupancy",
            "--listing",
            HOTEL,
            "--from",
            "2026-02-02",
            "--to",
            "2026-02-01",
        ])
        .output()
        .unwrap();
    assert_exit_2_one_line(&output, "must be before --to");
    // A file that is not events.
    let bad = db.dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"hello\": 1}\n").unwrap();
    let fresh = holdfast_testkit::fresh_sqlite_database();
    let output = holdfast(&fresh.url)
        .args(["events", "import"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_exit_2_one_line(&output, "line 1: not a stored event");
    // clap's own usage errors exit 2 too.
    let output = holdfast(&db.url)
        .args(["events", "export", "--format", "xml"])
        .output()
        .unwrap();
    assert_exit_2_one_line(&output, "invalid value 'xml'");
}

#[test]
fn help_of_every_subcommand_succeeds_and_names_each_flag() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &[],
            &[
                "serve",
                "migrate",
                "projections",
                "token",
                "fixtures",
                "events",
                "report",
                "schema",
                "worker",
                "--config",
                "--log-format",
            ],
        ),
        (
            &["serve"],
            &[
                "--database-url",
                "--dynamodb",
                "--dynamodb-endpoint",
                "--dynamodb-region",
                "--table-prefix",
                "--jwt-secret",
                "--jwt-public-key-file",
                "--listen",
                "--no-workers",
                "--no-demo",
                "--config",
            ],
        ),
        (&["migrate"], &["--database-url"]),
        (
            &["worker"],
            &["--database-url", "--dynamodb-endpoint", "--table-prefix"],
        ),
        (&["schema"], &["--config"]),
        (
            &["token"],
            &["--role", "--tenant", "--sub", "--ttl", "--jwt-secret"],
        ),
        (
            &["projections"],
            &["status", "rebuild", "verify", "--dynamodb-endpoint"],
        ),
        (&["projections", "verify"], &["--all", "[NAMES]"]),
        (&["fixtures"], &["load"]),
        (
            &["fixtures", "load"],
            &["--database-url", "--start", "[DIR]"],
        ),
        (
            &["events"],
            &["export", "import", "as-of", "--database-url"],
        ),
        (
            &["events", "export"],
            &[
                "--type",
                "--id",
                "--event-type",
                "--since",
                "--until",
                "--format",
                "--out",
                "jsonl",
                "csv",
            ],
        ),
        (&["events", "import"], &["<FILE>", "--force"]),
        (
            &["events", "as-of"],
            &["<AGGREGATE_TYPE>", "<ID>", "--at", "booking"],
        ),
        (
            &["report", "occupancy"],
            &["--listing", "--from", "--to", "--format", "table", "svg"],
        ),
    ];
    for (path, flags) in cases {
        let output = holdfast("sqlite::memory:")
            .args(*path)
            .arg("--help")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{path:?}");
        for flag in *flags {
            assert!(
                help.contains(flag),
                "`holdfast {} --help` lacks {flag}:\n{help}",
                path.join(" ")
            );
        }
    }
}
