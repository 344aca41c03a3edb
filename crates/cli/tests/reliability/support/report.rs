//! One section of the suite's report per scenario: what ran, the faults injected, each
//! invariant with how often it was checked and violated, figures, and the result. Written as
//! `<report dir>/<name>.json` when the scenario ends — `fail` when it panicked — and merged
//! into `reliability-report.{json,md}` by `scripts/reliability`.

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::{Scale, report_dir};

/// One scenario's report section.
pub struct Section {
    name: String,
    scale: Scale,
    started: Instant,
    started_at: String,
    cases: u64,
    faults: Vec<Value>,
    invariants: Vec<Value>,
    figures: Map<String, Value>,
    finished: bool,
}

impl Section {
    /// Starts the section of scenario `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            scale: Scale::get(),
            started: Instant::now(),
            started_at: chrono::Utc::now().to_rfc3339(),
            cases: 0,
            faults: Vec::new(),
            invariants: Vec::new(),
            figures: Map::new(),
            finished: false,
        }
    }

    /// Counts `n` more cases (requests, sessions, matrix cells…).
    pub fn cases(&mut self, n: u64) {
        self.cases += n;
    }

    /// Records a fault injected.
    pub fn fault(&mut self, kind: &str, detail: Value) {
        self.faults.push(json!({"kind": kind, "detail": detail}));
    }

    /// Records an invariant: checked `checked` times, `violations` of them broken. Asserts it
    /// held (after recording, so the report shows the failure).
    pub fn invariant(&mut self, name: &str, checked: u64, violations: &[String]) {
        self.invariants.push(json!({
            "name": name,
            "checked": checked,
            "violations": violations.len(),
            "examples": violations.iter().take(5).collect::<Vec<_>>(),
        }));
        if !violations.is_empty() {
            self.write("fail");
            self.finished = true;
            panic!(
                "invariant `{name}` broken {} times of {checked}: {:#?}",
                violations.len(),
                &violations[..violations.len().min(10)]
            );
        }
    }

    /// Records a figure.
    pub fn figure(&mut self, name: &str, value: impl Into<Value>) {
        self.figures.insert(name.to_owned(), value.into());
    }

    /// Writes the section as passed.
    pub fn pass(mut self) {
        self.write("pass");
        self.finished = true;
    }

    fn write(&self, result: &str) {
        let section = json!({
            "scenario": self.name,
            "scale": self.scale.name(),
            "startedAt": self.started_at,
            "durationSeconds": (self.started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            "cases": self.cases,
            "faultsInjected": self.faults.len(),
            "faults": self.faults,
            "invariants": self.invariants,
            "figures": self.figures,
            "result": result,
        });
        let path = report_dir().join(format!("{}.json", self.name));
        let text = serde_json::to_string_pretty(&section).unwrap_or_default();
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("cannot write {}: {e}", path.display());
        }
    }
}

impl Drop for Section {
    fn drop(&mut self) {
        if !self.finished {
            self.write("fail");
        }
    }
}
