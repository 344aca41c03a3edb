//! `query`: a month (31 days) of one inventory's availability, read by `--clients` clients for
//! `--duration`: over GraphQL (`availability`), and as the direct DynamoDB `Query` the server
//! itself makes (same table, same key condition, consistent read). The two alternate in two
//! rounds each, so the machine's noise falls on both.
//!
//! Check: every answer has the 31 slots.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use clap::Args;
use holdfast_domain::common::TenantId;
use holdfast_projections::store::{Table, TableRef};
use serde_json::json;

use crate::client::{Answer, Api};
use crate::error::{BenchError, Context};
use crate::settings::ReadSideArgs;
use crate::setup::{self, AVAILABILITY, day};
use crate::stats::{Report, Row, Tally, millis};
use crate::{ServerArgs, dynamo_store, parse_duration};

/// Arguments of `holdfast-bench query`.
#[derive(Args)]
pub struct QueryArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    read_side: ReadSideArgs,
    /// Concurrent readers.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// How long each of the two ways is measured (in two rounds).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Days per read.
    #[arg(long, default_value_t = 31)]
    days: u32,
}

#[derive(Clone, Copy)]
enum Way {
    GraphQl,
    Direct,
}

/// Runs the scenario.
pub async fn run(args: QueryArgs) -> Result<Report, BenchError> {
    let api = Api::new(&args.server)?;
    api.wait_ready(Duration::from_secs(10)).await?;
    api.settle().await;
    let side = args.read_side.connect().await?;
    let (client, store) = dynamo_store(&args.read_side, &side)?;
    let operator = api.operator(TenantId::new())?;
    let listing = setup::listing(&api, &operator, "Bench calendar").await?;
    let from = setup::first_date(&api).await?;
    let days = args.days.clamp(1, 366);
    let to = from + chrono::Duration::days(i64::from(days) - 1);
    let (inventory, token) = setup::inventory(
        &api,
        &operator,
        &listing,
        (from, to + chrono::Duration::days(30)),
        100,
    )
    .await?;
    // Wait until the calendar shows the slots.
    let shown = setup::calendar(&api, &inventory, (from, to), Some(&token)).await?;
    if shown.len() != days as usize {
        return Err(BenchError::failed(format!(
            "the calendar shows {} of {days} slots",
            shown.len()
        )));
    }
    let generation = side
        .store()
        .alias(Table::Calendar)
        .await?
        .context("no calendar generation")?;
    let table = store.table_name(TableRef::new(Table::Calendar, generation));
    let pk = holdfast_projections::models::calendar::partition(&inventory);
    let (sk_from, sk_to) = (day(from), format!("{}T99", day(to)));

    let clients = args.clients.max(1);
    let half = args.duration / 2;
    let (mut graphql, mut direct) = (Tally::default(), Tally::default());
    let (mut graphql_seconds, mut direct_seconds) = (0.0, 0.0);
    let mut wrong = 0u64;
    for way in [Way::Direct, Way::GraphQl, Way::Direct, Way::GraphQl] {
        let started = Instant::now();
        let deadline = started + half;
        let mut tasks = Vec::with_capacity(clients);
        for _ in 0..clients {
            let (api, client) = (api.clone(), client.clone());
            let (table, pk, sk_from, sk_to) =
                (table.clone(), pk.clone(), sk_from.clone(), sk_to.clone());
            let variables = json!({"id": inventory, "from": day(from), "to": day(to)});
            tasks.push(tokio::spawn(async move {
                let (mut tally, mut wrong) = (Tally::default(), 0u64);
                while Instant::now() < deadline {
                    let t0 = Instant::now();
                    let (outcome, count) = match way {
                        Way::GraphQl => {
                            let answer = api.call(None, AVAILABILITY, variables.clone()).await;
                            let count = match &answer {
                                Answer::Data(d) => d["availability"].as_array().map(Vec::len),
                                Answer::Error { .. } => None,
                            };
                            (answer.outcome().map_err(str::to_owned), count)
                        }
                        Way::Direct => {
                            let out = client
                                .query()
                                .table_name(&table)
                                .key_condition_expression("pk = :k AND sk BETWEEN :a AND :b")
                                .expression_attribute_values(":k", AttributeValue::S(pk.clone()))
                                .expression_attribute_values(
                                    ":a",
                                    AttributeValue::S(sk_from.clone()),
                                )
                                .expression_attribute_values(":b", AttributeValue::S(sk_to.clone()))
                                .consistent_read(true)
                                .limit(2_001)
                                .send()
                                .await;
                            match out {
                                Ok(out) => (Ok(()), Some(out.items().len())),
                                Err(e) => (
                                    Err(format!(
                                        "DYNAMODB_{}",
                                        e.into_service_error().meta().code().unwrap_or("ERROR")
                                    )),
                                    None,
                                ),
                            }
                        }
                    };
                    let latency = t0.elapsed();
                    match &outcome {
                        Ok(()) => tally.record(latency, Ok(())),
                        Err(code) => tally.record(latency, Err(code)),
                    }
                    if outcome.is_ok() && count != Some(days as usize) {
                        wrong += 1;
                    }
                }
                (tally, wrong)
            }));
        }
        for task in tasks {
            let (t, w) = task.await.context("a query client panicked")?;
            wrong += w;
            match way {
                Way::GraphQl => graphql.merge(t),
                Way::Direct => direct.merge(t),
            }
        }
        match way {
            Way::GraphQl => graphql_seconds += started.elapsed().as_secs_f64(),
            Way::Direct => direct_seconds += started.elapsed().as_secs_f64(),
        }
    }
    let mut report = Report::new(format!(
        "query — {days} days of availability, {clients} clients, {:.0} s each way (two rounds)",
        args.duration.as_secs_f64()
    ));
    report.rows.push(Row::from_tally(
        "GraphQL availability (HTTP + auth + read model)",
        clients,
        &graphql,
        graphql_seconds,
        "queries/s",
    ));
    report.rows.push(Row::from_tally(
        "direct DynamoDB Query (same items, consistent read)",
        clients,
        &direct,
        direct_seconds,
        "queries/s",
    ));
    if let (Some(g), Some(d)) = (graphql.summary(), direct.summary()) {
        let ratio = g.p99.as_secs_f64() / d.p99.as_secs_f64().max(1e-9);
        report.target(
            "p99 GraphQL ÷ p99 direct",
            format!("{ratio:.2}× ({} ms vs {} ms)", millis(g.p99), millis(d.p99)),
            "≤ 2×",
            ratio <= 2.0,
        );
    }
    report.check(
        wrong == 0 && graphql.errors.is_empty() && direct.errors.is_empty(),
        format!(
            "every answer has the {days} slots ({wrong} did not; errors: GraphQL {:?}, direct {:?})",
            graphql.errors, direct.errors
        ),
    );
    Ok(report)
}
