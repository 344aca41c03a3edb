//! Baselines measured in the same run, on the same machine:
//!
//! - [`pgbench`]: Postgres' own load tool committing one-row INSERTs into an events-like table
//!   (the ceiling of "one event per transaction" on this Postgres);
//! - [`batch_write`]: raw `BatchWriteItem` of calendar-sized items (25 per request, several
//!   writers) into a scratch table of the same DynamoDB endpoint.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, PutRequest,
    ScalarAttributeType, WriteRequest,
};
use futures::StreamExt;

use crate::error::{BenchError, Context};
use crate::stats::Row;

/// The events-like table pgbench inserts into (created and dropped around the run).
const PGBENCH_TABLE: &str = "holdfast_bench_pgbench";

/// pgbench's own figures.
#[derive(Clone, Debug)]
pub struct PgbenchResult {
    /// Transactions committed.
    pub transactions: u64,
    /// Transactions per second (without connection time).
    pub tps: f64,
    /// Mean latency, ms.
    pub latency_ms: f64,
    /// The command line (for the report).
    pub command: String,
}

/// Finds pgbench: `explicit`, else on `PATH`, else Debian's `/usr/lib/postgresql/*/bin`.
pub fn find_pgbench(explicit: Option<&Path>) -> Result<PathBuf, BenchError> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("pgbench");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin/pgbench"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.pop().context(
        "pgbench not found (it ships with Postgres: apt-get install postgresql-contrib, or pass --pgbench PATH, or --no-baseline)",
    )
}

/// Runs pgbench against `url` for `seconds` with `clients` connections, each transaction one
/// INSERT of one event-sized row; drops its table afterwards.
pub async fn pgbench(
    binary: &Path,
    url: &str,
    clients: usize,
    seconds: u64,
) -> Result<PgbenchResult, BenchError> {
    if !url.starts_with("postgres") {
        return Err(BenchError::failed(
            "the pgbench baseline needs the server's Postgres --database-url (got a non-Postgres URL)",
        ));
    }
    let pool = sqlx::PgPool::connect(url)
        .await
        .context("the pgbench baseline cannot reach Postgres")?;
    sqlx::query(&format!("DROP TABLE IF EXISTS {PGBENCH_TABLE}"))
        .execute(&pool)
        .await?;
    sqlx::query(&format!(
        "CREATE TABLE {PGBENCH_TABLE} (
            aggregate_type  text        NOT NULL,
            aggregate_id    text        NOT NULL,
            sequence        bigint      NOT NULL,
            event_type      text        NOT NULL,
            payload         json        NOT NULL,
            global_position bigint GENERATED ALWAYS AS IDENTITY,
            recorded_at     timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (aggregate_type, aggregate_id, sequence))"
    ))
    .execute(&pool)
    .await?;
    let script = std::env::temp_dir().join(format!("holdfast-pgbench-{}.sql", ulid::Ulid::new()));
    std::fs::write(
        &script,
        format!(
            "\\set n random(1, 9000000000000000)\n\
             INSERT INTO {PGBENCH_TABLE} (aggregate_type, aggregate_id, sequence, event_type, payload) \
             VALUES ('Bench', 'c' || :client_id, :n, 'BenchHappened', '{{\"slot\":\"2030-01-01\",\"held\":1,\"capacity\":500}}');\n"
        ),
    )?;
    let threads = clients.clamp(1, 2);
    let args = [
        "-n".to_owned(),
        "-M".to_owned(),
        "prepared".to_owned(),
        "-c".to_owned(),
        clients.to_string(),
        "-j".to_owned(),
        threads.to_string(),
        "-T".to_owned(),
        seconds.max(1).to_string(),
        "-f".to_owned(),
        script.display().to_string(),
    ];
    let output = tokio::process::Command::new(binary)
        .args(&args)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("cannot run {}", binary.display()))?;
    let _ = std::fs::remove_file(&script);
    let _ = sqlx::query(&format!("DROP TABLE IF EXISTS {PGBENCH_TABLE}"))
        .execute(&pool)
        .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(BenchError::failed(format!(
            "pgbench failed: {}{}",
            stdout.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let field = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    Ok(PgbenchResult {
        transactions: field("number of transactions actually processed:").unwrap_or(0.0) as u64,
        tps: field("tps =").context("pgbench printed no tps")?,
        latency_ms: field("latency average =").unwrap_or(f64::NAN),
        command: format!("pgbench {} <url>", args.join(" ")),
    })
}

/// The raw batch-write baseline's result.
pub struct BatchWriteResult {
    /// The table row.
    pub row: Row,
    /// Items per second.
    pub items_per_second: f64,
}

/// Writes `items` calendar-sized items with `BatchWriteItem` (25 per request, `writers` at
/// once, unprocessed items resent) into a scratch table `{prefix}bench_raw`, then drops it.
pub async fn batch_write(
    client: &aws_sdk_dynamodb::Client,
    prefix: &str,
    items: usize,
    writers: usize,
) -> Result<BatchWriteResult, BenchError> {
    let table = format!(
        "{prefix}bench_raw_{}",
        ulid::Ulid::new().to_string().to_lowercase()
    );
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()?,
        )
        .send()
        .await
        .context("cannot create the scratch table of the BatchWriteItem baseline")?;
    let chunks: Vec<Vec<WriteRequest>> = (0..items)
        .map(raw_item)
        .collect::<Result<Vec<_>, _>>()?
        .chunks(25)
        .map(<[WriteRequest]>::to_vec)
        .collect();
    let started = Instant::now();
    let results: Vec<Result<(), BenchError>> = futures::stream::iter(chunks)
        .map(|chunk| write_all(client, &table, chunk))
        .buffer_unordered(writers.max(1))
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let _ = client.delete_table().table_name(&table).send().await;
    for r in results {
        r?;
    }
    let row = Row::rate(
        "raw BatchWriteItem (25 items/request, same DynamoDB)",
        writers,
        items as u64,
        seconds,
        "items/s",
    );
    Ok(BatchWriteResult {
        items_per_second: row.throughput(),
        row,
    })
}

/// An item shaped like a calendar slot (~250 bytes).
fn raw_item(i: usize) -> Result<WriteRequest, BenchError> {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let n = |v: i64| AttributeValue::N(v.to_string());
    let put = PutRequest::builder()
        .item("pk", s(&format!("inv#01JBENCH{:018}", i / 365)))
        .item(
            "sk",
            s(&format!("2030-{:02}-{:02}", (i % 365) / 31 + 1, i % 31 + 1)),
        )
        .item("v", s("00000000000000001234.00000000000000005678"))
        .item("inventory_id", s("01JDYFGCW8T7SWM4FV4DK79Q9G"))
        .item("tenant_id", s("01JDQKFBF5KZNWJ47TAN9ZT24M"))
        .item("listing_id", s("01JDS3C4DWA7N36096Q14DR9GP"))
        .item("capacity", n(500))
        .item("held", n(3))
        .item("allocated", n(120))
        .item("available", n(377))
        .item("closed", AttributeValue::Bool(false))
        .build()?;
    Ok(WriteRequest::builder().put_request(put).build())
}

async fn write_all(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    mut requests: Vec<WriteRequest>,
) -> Result<(), BenchError> {
    for _ in 0..50 {
        let out = client
            .batch_write_item()
            .request_items(table, requests)
            .send()
            .await
            .context("BatchWriteItem")?;
        match out
            .unprocessed_items
            .and_then(|mut m| m.remove(table))
            .filter(|r| !r.is_empty())
        {
            Some(rest) => {
                requests = rest;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            None => return Ok(()),
        }
    }
    Err(BenchError::failed(
        "BatchWriteItem kept leaving items unprocessed",
    ))
}
