//! A large, valid event log for the `rebuild` and `export` scenarios: copies of the generated
//! history ([`crate::history`]: every event produced by the real aggregates' `decide`), each with every id remapped, so each copy is an independent world of tenants,
//! listings, inventories, bookings and campaigns.
//!
//! Remapping: every JSON string (and map key) that is a canonical ULID gets the random part of
//! its 128 bits XOR-ed with a per-copy mask — a bijection per copy that keeps the timestamp
//! part, so ids stay sortable and distinct. Copy 0 is the history itself.
//!
//! Each copy is appended in one transaction, in the history's order, so every aggregate's
//! events keep their stream order in the log. A last partial copy is a prefix of the history,
//! which is itself a valid history.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use holdfast_engine::fixtures::FixtureSet;
use holdfast_eventstore::{EventStore, StoredEventRecord};
use serde_json::Value;
use ulid::Ulid;

use crate::error::{BenchError, Context};
use crate::history::{self, HistoryOptions};

/// Copies appended at once.
const PARALLEL_COPIES: usize = 4;

/// The mask of copy `copy`: 0 for the first, else 80 pseudo-random bits (splitmix64).
fn mask(copy: u64) -> u128 {
    if copy == 0 {
        return 0;
    }
    let mut state = copy.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let bits = (u128::from(next()) << 64) | u128::from(next());
    (bits & ((1u128 << 80) - 1)).max(1)
}

fn remap_text(text: &str, mask: u128) -> Option<String> {
    if text.len() != 26
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return None;
    }
    let id = Ulid::from_str(text).ok()?;
    Some(Ulid::from(u128::from(id) ^ mask).to_string())
}

fn remap(value: &mut Value, mask: u128) {
    match value {
        Value::String(s) => {
            if let Some(new) = remap_text(s, mask) {
                *s = new;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| remap(v, mask)),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (k, mut v) in entries {
                remap(&mut v, mask);
                map.insert(remap_text(&k, mask).unwrap_or(k), v);
            }
        }
        _ => {}
    }
}

/// Copy `copy` of `template` (its first `take` events).
fn copy_of(template: &[StoredEventRecord], copy: u64, take: usize) -> Vec<StoredEventRecord> {
    let mask = mask(copy);
    template[..take.min(template.len())]
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if mask != 0 {
                e.aggregate_id = remap_text(&e.aggregate_id, mask).unwrap_or(e.aggregate_id);
                remap(&mut e.payload, mask);
                remap(&mut e.metadata, mask);
            }
            e
        })
        .collect()
}

/// The columns of an append, one vector each (bound as arrays and unnested).
#[derive(Default)]
struct Columns {
    aggregate_type: Vec<String>,
    aggregate_id: Vec<String>,
    sequence: Vec<i64>,
    event_type: Vec<String>,
    event_version: Vec<String>,
    payload: Vec<String>,
    metadata: Vec<String>,
    recorded_at: Vec<DateTime<Utc>>,
}

async fn append(pool: &sqlx::PgPool, events: Vec<StoredEventRecord>) -> Result<usize, BenchError> {
    let n = events.len();
    let mut c = Columns::default();
    for e in events {
        c.aggregate_type.push(e.aggregate_type);
        c.aggregate_id.push(e.aggregate_id);
        c.sequence.push(i64::try_from(e.sequence)?);
        c.event_type.push(e.event_type);
        c.event_version.push(e.event_version);
        c.payload.push(e.payload.to_string());
        c.metadata.push(e.metadata.to_string());
        c.recorded_at.push(e.recorded_at);
    }
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata, recorded_at)
         SELECT t, i, s, et, ev, p::json, m::json, r
           FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                       $6::text[], $7::text[], $8::timestamptz[]) AS u(t, i, s, et, ev, p, m, r)",
    )
    .bind(c.aggregate_type)
    .bind(c.aggregate_id)
    .bind(c.sequence)
    .bind(c.event_type)
    .bind(c.event_version)
    .bind(c.payload)
    .bind(c.metadata)
    .bind(c.recorded_at)
    .execute(pool)
    .await
    .context("cannot append a copy of the history")?;
    Ok(n)
}

/// The number of events in the store.
pub async fn count(store: &EventStore) -> Result<u64, BenchError> {
    let pool = store
        .pg_pool()
        .context("this scenario runs on Postgres: pass a postgres:// --database-url")?;
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(n)?)
}

/// Makes sure the store holds at least `events` events: an empty store is filled with copies
/// of the history; a store that already holds that many is used as it is. Returns the count.
pub async fn ensure(store: &EventStore, events: u64) -> Result<u64, BenchError> {
    store.migrate().await?;
    let existing = count(store).await?;
    if existing >= events {
        return Ok(existing);
    }
    if existing > 0 {
        return Err(BenchError::failed(format!(
            "the event store holds {existing} events, fewer than --events {events}: give an empty database (it is filled with copies of the generated history) or --events {existing}"
        )));
    }
    let pool = store.pg_pool().context("Postgres only")?.clone();
    let template = history::generate(&FixtureSet::embedded()?, HistoryOptions::default())?;
    let per_copy = template.len() as u64;
    let copies = events.div_ceil(per_copy);
    eprintln!(
        "seeding {events} events: {copies} id-remapped copies of the {per_copy}-event history"
    );
    let started = std::time::Instant::now();
    let results: Vec<Result<usize, BenchError>> = futures::stream::iter(0..copies)
        .map(|copy| {
            let take = usize::try_from((events - copy * per_copy).min(per_copy)).unwrap_or(0);
            let batch = copy_of(&template, copy, take);
            let pool = pool.clone();
            async move { append(&pool, batch).await }
        })
        .buffer_unordered(PARALLEL_COPIES)
        .collect()
        .await;
    let mut appended = 0;
    for r in results {
        appended += r?;
    }
    eprintln!(
        "seeded {appended} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    count(store).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn copies_remap_every_id_and_nothing_else() {
        let id = Ulid::new().to_string();
        let other = Ulid::new().to_string();
        let mut value = json!({
            "booking_id": id, "slots": ["2026-01-05", "2026-01-06"], "code": "WELCOME10",
            "holds": {other.clone(): {"quantity": 2}}, "n": 3
        });
        remap(&mut value, mask(1));
        let new_id = value["booking_id"].as_str().unwrap().to_owned();
        assert_ne!(new_id, id);
        assert_eq!(&new_id[..10], &id[..10], "the timestamp part stays");
        assert_eq!(value["slots"], json!(["2026-01-05", "2026-01-06"]));
        assert_eq!(value["code"], "WELCOME10");
        assert!(value["holds"].get(&other).is_none());
        assert_eq!(value["holds"].as_object().unwrap().len(), 1);
        // The same id maps to the same id within a copy, and differently in another copy.
        assert_eq!(remap_text(&id, mask(1)).unwrap(), new_id);
        assert_ne!(remap_text(&id, mask(2)).unwrap(), new_id);
        assert_eq!(remap_text(&id, mask(0)).unwrap(), id);
    }
}
