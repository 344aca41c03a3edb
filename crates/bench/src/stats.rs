//! Latency tallies and the one table a scenario prints (Markdown, so `scripts/bench` pastes it
//! into `docs/BENCHMARKS.md` as it is).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::error::BenchError;

/// What one client (or one phase) saw: every latency, successes, errors by code.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Latency of every operation, successful or not.
    pub latencies: Vec<Duration>,
    /// Operations that succeeded.
    pub ok: u64,
    /// Failed operations by error code (`SOLD_OUT`, `HTTP_503`, `TRANSPORT`, …).
    pub errors: BTreeMap<String, u64>,
}

impl Tally {
    /// Records one operation.
    pub fn record(&mut self, latency: Duration, outcome: Result<(), &str>) {
        self.latencies.push(latency);
        match outcome {
            Ok(()) => self.ok += 1,
            Err(code) => *self.errors.entry(code.to_owned()).or_default() += 1,
        }
    }

    /// Adds `other` to this tally.
    pub fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.ok += other.ok;
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
    }

    /// Operations in all.
    pub fn ops(&self) -> u64 {
        self.latencies.len() as u64
    }

    /// Errors of one code.
    pub fn errors_of(&self, code: &str) -> u64 {
        self.errors.get(code).copied().unwrap_or(0)
    }

    /// Errors of codes other than those listed.
    pub fn errors_except(&self, expected: &[&str]) -> BTreeMap<String, u64> {
        self.errors
            .iter()
            .filter(|(code, _)| !expected.contains(&code.as_str()))
            .map(|(c, n)| (c.clone(), *n))
            .collect()
    }

    /// p50, p99, max.
    pub fn summary(&self) -> Option<Summary> {
        Summary::of(&self.latencies)
    }
}

/// Latency percentiles (nearest rank).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Slowest.
    pub max: Duration,
}

impl Summary {
    /// The summary of `latencies` (`None` when empty).
    pub fn of(latencies: &[Duration]) -> Option<Summary> {
        if latencies.is_empty() {
            return None;
        }
        let mut sorted = latencies.to_vec();
        sorted.sort_unstable();
        let rank = |q: f64| {
            let n = sorted.len();
            let index = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
            sorted[index]
        };
        Some(Summary {
            p50: rank(0.50),
            p99: rank(0.99),
            max: sorted[sorted.len() - 1],
        })
    }
}

/// One line of the table.
#[derive(Clone, Debug)]
pub struct Row {
    /// What was measured.
    pub name: String,
    /// Concurrent clients (or writers).
    pub clients: usize,
    /// Operations (or items, events) done.
    pub ops: u64,
    /// Wall time.
    pub seconds: f64,
    /// The throughput's unit (`bookings/s`, `items/s`, …).
    pub unit: String,
    /// Latencies, if measured per operation.
    pub latency: Option<Summary>,
    /// Errors by code.
    pub errors: BTreeMap<String, u64>,
}

impl Row {
    /// A row from a tally: `ops` counts every operation.
    pub fn from_tally(
        name: impl Into<String>,
        clients: usize,
        tally: &Tally,
        seconds: f64,
        unit: &str,
    ) -> Row {
        Row {
            name: name.into(),
            clients,
            ops: tally.ops(),
            seconds,
            unit: unit.to_owned(),
            latency: tally.summary(),
            errors: tally.errors.clone(),
        }
    }

    /// A row with a count and a time only.
    pub fn rate(
        name: impl Into<String>,
        clients: usize,
        ops: u64,
        seconds: f64,
        unit: &str,
    ) -> Row {
        Row {
            name: name.into(),
            clients,
            ops,
            seconds,
            unit: unit.to_owned(),
            latency: None,
            errors: BTreeMap::new(),
        }
    }

    /// Operations per second.
    pub fn throughput(&self) -> f64 {
        if self.seconds > 0.0 {
            self.ops as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// A target of the issue, and whether this run met it.
#[derive(Clone, Debug)]
pub struct Target {
    /// The figure, e.g. `ratio to pgbench`.
    pub what: String,
    /// Its value this run, as printed.
    pub value: String,
    /// The target, e.g. `≥ 0.5×`.
    pub target: String,
    /// Met?
    pub met: bool,
}

/// A correctness check.
#[derive(Clone, Debug)]
pub struct Check {
    /// What was checked, with the observed values.
    pub what: String,
    /// Passed?
    pub ok: bool,
}

/// What a scenario prints.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// `scenario — what it did`.
    pub title: String,
    /// The table's rows (the scenario first, then its baseline).
    pub rows: Vec<Row>,
    /// Targets and whether they were met.
    pub targets: Vec<Target>,
    /// Correctness checks.
    pub checks: Vec<Check>,
    /// Extra lines (breakdowns, settings).
    pub notes: Vec<String>,
}

/// `1234567.8` as `1,234,568`; small numbers keep a decimal.
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    if x.abs() < 100.0 && x.fract() != 0.0 {
        return format!("{x:.1}");
    }
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

/// Milliseconds with two decimals below 10 ms, one above.
pub fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

fn errors_text(errors: &BTreeMap<String, u64>) -> String {
    if errors.is_empty() {
        return "none".to_owned();
    }
    errors
        .iter()
        .map(|(code, n)| format!("{code} {}", number(*n as f64)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Report {
    /// A report titled `title`.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            ..Self::default()
        }
    }

    /// Adds a correctness check.
    pub fn check(&mut self, ok: bool, what: impl Into<String>) {
        self.checks.push(Check {
            what: what.into(),
            ok,
        });
    }

    /// Adds a target.
    pub fn target(
        &mut self,
        what: impl Into<String>,
        value: impl Into<String>,
        target: impl Into<String>,
        met: bool,
    ) {
        self.targets.push(Target {
            what: what.into(),
            value: value.into(),
            target: target.into(),
            met,
        });
    }

    /// The Markdown text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### {}\n", self.title);
        let _ = writeln!(
            out,
            "| run | clients | ops | seconds | throughput | p50 ms | p99 ms | max ms | errors |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---|");
        for row in &self.rows {
            let (p50, p99, max) = row.latency.map_or_else(
                || ("–".to_owned(), "–".to_owned(), "–".to_owned()),
                |s| (millis(s.p50), millis(s.p99), millis(s.max)),
            );
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} | {} {} | {p50} | {p99} | {max} | {} |",
                row.name,
                row.clients,
                number(row.ops as f64),
                row.seconds,
                number(row.throughput()),
                row.unit,
                errors_text(&row.errors),
            );
        }
        out.push('\n');
        for t in &self.targets {
            let _ = writeln!(
                out,
                "- target: {} = {} (target {}): {}",
                t.what,
                t.value,
                t.target,
                if t.met { "met" } else { "**missed**" }
            );
        }
        for c in &self.checks {
            let _ = writeln!(
                out,
                "- check: {}: {}",
                c.what,
                if c.ok { "ok" } else { "**FAILED**" }
            );
        }
        for n in &self.notes {
            let _ = writeln!(out, "- {n}");
        }
        out.push('\n');
        out
    }

    /// [`BenchError::CheckFailed`] if any check failed.
    pub fn into_result(self) -> Result<(), BenchError> {
        let failed: Vec<_> = self
            .checks
            .into_iter()
            .filter(|c| !c.ok)
            .map(|c| c.what)
            .collect();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(BenchError::CheckFailed(failed.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let latencies: Vec<_> = (1..=100).map(Duration::from_millis).collect();
        let s = Summary::of(&latencies).unwrap();
        assert_eq!(s.p50, Duration::from_millis(50));
        assert_eq!(s.p99, Duration::from_millis(99));
        assert_eq!(s.max, Duration::from_millis(100));
        let one = Summary::of(&[Duration::from_millis(7)]).unwrap();
        assert_eq!((one.p50, one.p99, one.max), (one.max, one.max, one.max));
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(number(1_234_567.8), "1,234,568");
        assert_eq!(number(512.0), "512");
        assert_eq!(number(3.25), "3.2");
        assert_eq!(number(40.0), "40");
        assert_eq!(number(f64::NAN), "n/a");
    }

    #[test]
    fn a_failed_check_fails_the_run() {
        let mut report = Report::new("x");
        report.check(true, "fine");
        assert!(report.clone().into_result().is_ok());
        report.check(false, "exactly 500 held (got 501)");
        let e = report.into_result().unwrap_err();
        assert!(e.to_string().contains("got 501"), "{e}");
    }
}
