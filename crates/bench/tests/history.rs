//! `holdfast-bench generate-history` writes the recorded history (`fixtures/history/events.jsonl`,
//! which the analysts' tests and the `rebuild`/`export` scenarios rely on): same seed, start and
//! days, same events, line by line.
//!
//! Byte for byte except the listings' `ListingCreated`: the recorded file predates two fields of
//! the booking policy's rules, `offer_duration_minutes` and `no_show_refund_bp`, which the
//! generator now writes (and the demo fixtures now set for one listing). Those two fields are
//! left out of the comparison of those events; everything else must be equal.

use std::path::PathBuf;
use std::process::Command;

use holdfast_eventstore::StoredEventRecord;
use serde_json::Value;

/// The policy rule fields the recorded file predates.
const NEWER_RULES: [&str; 2] = ["offer_duration_minutes", "no_show_refund_bp"];

/// `record` without [`NEWER_RULES`] in a `ListingCreated` policy.
fn without_newer_rules(mut record: StoredEventRecord) -> StoredEventRecord {
    if let Some(Value::Object(rules)) = record.payload.pointer_mut("/ListingCreated/policy/rules") {
        for field in NEWER_RULES {
            rules.remove(field);
        }
    }
    record
}

#[test]
fn generate_history_writes_the_recorded_events() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let output = Command::new(env!("CARGO_BIN_EXE_holdfast-bench"))
        .args(["generate-history", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("wrote 3647 events to {}", out.display())
    );
    let generated = std::fs::read_to_string(&out).unwrap();
    let recorded = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/history/events.jsonl"),
    )
    .unwrap();
    assert_eq!(generated.lines().count(), recorded.lines().count());
    let mut differ = Vec::new();
    for (n, (new, old)) in generated.lines().zip(recorded.lines()).enumerate() {
        if new == old {
            continue;
        }
        let (new, old): (StoredEventRecord, StoredEventRecord) = (
            serde_json::from_str(new).unwrap(),
            serde_json::from_str(old).unwrap(),
        );
        assert_eq!(
            (new.event_type.as_str(), without_newer_rules(new.clone())),
            ("ListingCreated", without_newer_rules(old)),
            "line {}: the generated event differs from the recorded one (if intended, regenerate: holdfast-bench generate-history --out fixtures/history/events.jsonl)",
            n + 1
        );
        differ.push(n + 1);
    }
    // The four listings' ListingCreated (none once the file is regenerated).
    assert!(differ.len() <= 4, "{differ:?}");
}
