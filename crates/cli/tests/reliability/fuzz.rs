//! Hostile input, generated: schemathesis (from PyPI, installed by `scripts/lib/services.sh`
//! into `$HOLDFAST_CACHE_DIR/schemathesis-venv`) fuzzes every query and mutation of the GraphQL
//! schema as an anonymous caller, a guest, an operator and an admin: 0 responses 5xx
//! and every GraphQL error carries `extensions.code`, never `INTERNAL`
//! (`schemathesis/holdfast_checks.py`). About 100 cases in the smoke run, at least 10,000 in
//! the full run.

use std::path::PathBuf;
use std::process::Command;

use holdfast_testkit::{dynamodb_endpoint, fresh_table_prefix};
use serde_json::{Value, json};

use crate::support::report::Section;
use crate::support::{
    Client, Scale, Server, ServerConfig, admin, fresh_database, guest, operator, report_dir,
    stock_dates, stocked_listing,
};

fn schemathesis() -> PathBuf {
    if let Ok(path) = std::env::var("HOLDFAST_SCHEMATHESIS") {
        return PathBuf::from(path);
    }
    let cache = std::env::var("HOLDFAST_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/holdfast")
        });
    let path = cache.join("schemathesis-venv/bin/schemathesis");
    assert!(
        path.exists(),
        "schemathesis is not installed at {}.\nTo fix: run the tests through ./scripts/test or scripts/reliability, which install it (pip, into a venv under ~/.cache/holdfast)",
        path.display()
    );
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_5xx_and_no_error_without_a_code() {
    let scale = Scale::get();
    let per_operation = scale.pick(1, 90);
    let mut section = Section::new("fuzz");
    let tool = schemathesis();
    let db = fresh_database().await;
    let config = ServerConfig {
        database_url: db.url.clone(),
        dynamodb_endpoint: dynamodb_endpoint(),
        table_prefix: fresh_table_prefix(),
    };
    let mut server = Server::start("fuzz", config.clone());
    let client = Client::new(&server.base);
    let (_, op) = operator();
    // Something to find: a listing with stock, so some generated requests reach the domain.
    stocked_listing(&client, &op, 15, &stock_dates(3), 10).await;
    // The SDL of this very binary (introspection works too, but the file keeps the run
    // independent of the server's depth limits).
    let dir = report_dir();
    let sdl = dir.join("fuzz-schema.graphql");
    let output = config
        .command()
        .arg("schema")
        .output()
        .expect("holdfast schema");
    std::fs::write(&sdl, &output.stdout).expect("write the SDL");
    let hooks = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reliability/schemathesis");

    let roles = [
        ("anonymous", None),
        ("guest", Some(guest().1)),
        ("operator", Some(op.clone())),
        ("admin", Some(admin())),
    ];
    let mut generated = 0u64;
    let mut failures = Vec::new();
    let mut per_role = serde_json::Map::new();
    for (role, token) in roles {
        let report = dir.join(format!("fuzz-{role}.schemathesis.json"));
        let mut command = Command::new(&tool);
        command
            .current_dir(&hooks)
            .env("SCHEMATHESIS_HOOKS", "holdfast_checks")
            .env("PYTHONPATH", &hooks)
            .arg("run")
            .arg(&sdl)
            .args(["--url", &format!("{}/graphql", server.base)])
            .args(["--max-examples", &per_operation.to_string()])
            .args(["--checks", "no_5xx,errors_carry_a_code,no_internal_error"])
            .args(["--workers", "2", "--no-shrink", "--report", "json"])
            .arg("--report-json-path")
            .arg(&report)
            .args(["--request-timeout", "30"]);
        if let Some(token) = &token {
            command.args(["-H", &format!("Authorization: Bearer {token}")]);
        }
        let output = tokio::task::block_in_place(|| command.output()).expect("run schemathesis");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::write(dir.join(format!("fuzz-{role}.schemathesis.log")), &text).ok();
        let json: Value = std::fs::read_to_string(&report)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        let cases = json["test_cases"]["generated"].as_u64().unwrap_or(0);
        generated += cases;
        per_role.insert(role.to_owned(), json!(cases));
        if !output.status.success() || json["test_cases"]["with_failures"] != 0 {
            failures.push(format!(
                "{role}: exit {:?}, failures {}; see {}",
                output.status.code(),
                json["failures"],
                dir.join(format!("fuzz-{role}.schemathesis.log")).display()
            ));
        }
    }
    section.cases(generated);
    section.figure("casesPerRole", Value::Object(per_role));
    section.figure("maxExamplesPerOperation", per_operation);
    section.invariant(
        "no 5xx, and every GraphQL error carries extensions.code",
        generated,
        &failures,
    );
    if scale.full {
        let few = (generated < 10_000).then(|| format!("only {generated} cases generated"));
        section.invariant(
            "at least 10,000 cases in the full run",
            1,
            &few.into_iter().collect::<Vec<_>>(),
        );
    }
    assert!(server.terminate());
    section.pass();
    db.drop_now().await;
}
