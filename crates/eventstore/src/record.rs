//! The file form of a stored event: [`StoredEventRecord`], one JSON object per line of an event
//! file (`fixtures/history/events.jsonl`, what `holdfast events import` reads and the history
//! generator writes), and [`format_instant`], the one text form of an instant in files and
//! exports.
//!
//! A record is a [`StoredEvent`] without its log position: a file is appended in its own order,
//! so the store gives every event a new position. A line that also has a `position` (a
//! `holdfast events export --format jsonl` line) parses too; the position is ignored.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::position::StoredEvent;

/// One stored event as written in an event file (a JSON object per line). Field order is the
/// file's key order: `aggregate_type, aggregate_id, sequence, event_type, event_version,
/// payload, metadata, recorded_at`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredEventRecord {
    /// `Aggregate::TYPE` of its aggregate.
    pub aggregate_type: String,
    /// Its aggregate's id.
    pub aggregate_id: String,
    /// Its place in the aggregate's own stream (1-based).
    pub sequence: u64,
    /// The event's type name.
    pub event_type: String,
    /// The event's schema version.
    pub event_version: String,
    /// The serialised event.
    pub payload: Value,
    /// Metadata recorded with it.
    pub metadata: Value,
    /// When it was recorded (written as [`format_instant`] writes it).
    #[serde(with = "instant")]
    pub recorded_at: DateTime<Utc>,
}

impl From<StoredEvent> for StoredEventRecord {
    fn from(event: StoredEvent) -> Self {
        Self {
            aggregate_type: event.aggregate_type,
            aggregate_id: event.aggregate_id,
            sequence: event.sequence,
            event_type: event.event_type,
            event_version: event.event_version,
            payload: event.payload,
            metadata: event.metadata,
            recorded_at: event.recorded_at,
        }
    }
}

/// `at` as files and exports write it: RFC 3339 in UTC with a `Z` and only the fractional
/// digits needed (`2026-01-05T00:00:01Z`, `2026-01-05T00:00:01.250Z`).
pub fn format_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Serde of an instant in its file form ([`format_instant`]; any RFC 3339 offset is read).
pub mod instant {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Serialises `at` as [`super::format_instant`] writes it.
    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_instant(*at))
    }

    /// Parses RFC 3339.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.to_utc())
            .map_err(|e| D::Error::custom(format!("`{text}` is not an RFC 3339 instant: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/history/events.jsonl");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    }

    #[test]
    fn every_line_of_the_recorded_history_round_trips_byte_for_byte() {
        let text = history();
        let mut lines = 0;
        for line in text.lines() {
            let record: StoredEventRecord = serde_json::from_str(line).unwrap();
            assert_eq!(serde_json::to_string(&record).unwrap(), line);
            lines += 1;
        }
        assert_eq!(lines, 3_647);
    }

    #[test]
    fn the_first_line_reads_as_its_fields() {
        let text = history();
        let line = text.lines().next().unwrap();
        let record: StoredEventRecord = serde_json::from_str(line).unwrap();
        assert_eq!(record.aggregate_type, "Inventory");
        assert_eq!(record.aggregate_id, "01JDYFGCW8T7SWM4FV4DK79Q9G");
        assert_eq!(record.sequence, 1);
        assert_eq!(record.event_type, "InventoryDefined");
        assert_eq!(record.event_version, "1.0");
        assert_eq!(record.metadata, serde_json::json!({"source": "history"}));
        assert_eq!(format_instant(record.recorded_at), "2026-01-05T00:00:01Z");
        assert!(line.starts_with(r#"{"aggregate_type":"Inventory","aggregate_id":"#));
    }

    #[test]
    fn an_export_line_parses_without_its_position_and_fractions_are_kept() {
        let line = r#"{"position":"0.7","recorded_at":"2026-03-01T18:30:00.250+09:00","aggregate_type":"Booking","aggregate_id":"01JDQKFBF5KZNWJ47TAN9ZT24M","sequence":3,"event_type":"BookingConfirmed","event_version":"1.0","payload":{"a":1},"metadata":{}}"#;
        let record: StoredEventRecord = serde_json::from_str(line).unwrap();
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            r#"{"aggregate_type":"Booking","aggregate_id":"01JDQKFBF5KZNWJ47TAN9ZT24M","sequence":3,"event_type":"BookingConfirmed","event_version":"1.0","payload":{"a":1},"metadata":{},"recorded_at":"2026-03-01T09:30:00.250Z"}"#
        );
        let bad = line.replace("2026-03-01T18:30:00.250+09:00", "yesterday");
        let error = serde_json::from_str::<StoredEventRecord>(&bad).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`yesterday` is not an RFC 3339 instant"),
            "{error}"
        );
    }
}
