//! What a load run reports: the typed `load.json` document and the summary tables printed
//! on stdout, per cycle and for the whole run.

use std::fmt::Write as _;

use serde::Serialize;

use super::generated::ChurnCounts;

/// `load.json`: the run's settings, each cycle's figures, the whole run's, and the
/// requests in each second.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub harness_version: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub persona: String,
    /// The target profile's name.
    pub target: String,
    pub base_url: String,
    pub settings: Settings,
    pub cycles: Vec<CycleSummary>,
    pub overall: Totals,
    /// Requests started (answered or not) and failed in each second of the run.
    pub rate_over_time: Vec<SecondCount>,
    /// No operation failed beyond what the persona's retries absorbed (exit 0).
    pub clean: bool,
}

/// The flags the run was given.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Objects handled at once.
    pub concurrency: usize,
    /// Requests started per second at most; `None`: unpaced.
    pub rate: Option<f64>,
    pub cycles: Option<u64>,
    pub duration_seconds: Option<f64>,
    pub generated_users: Option<usize>,
    pub generated_groups: Option<usize>,
    pub churn_percent: Option<f64>,
    pub seed: u64,
}

/// One cycle's figures.
#[derive(Debug, Clone, Serialize)]
pub struct CycleSummary {
    /// 1-based.
    pub cycle: u64,
    /// What churn changed before it (`None` for the first cycle or without churn).
    pub churn: Option<ChurnCounts>,
    #[serde(flatten)]
    pub totals: Totals,
    /// Objects the engine reported failed after the persona's retries.
    pub failed_objects: usize,
    /// The engine's own one-line summary of the cycle.
    pub engine: String,
}

/// Requests, errors and rate over a span, and per operation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub seconds: f64,
    pub requests: u64,
    /// Answers of 400 and above, and exchanges with no answer; a `429` the persona then
    /// retried successfully counts here too.
    pub errors: u64,
    /// Requests per second over `seconds`.
    pub rate: f64,
    /// CPU time this process used meanwhile (user and system; Linux only): whether
    /// the load generator itself was the bottleneck.
    pub cpu_seconds: Option<f64>,
    pub operations: Vec<OperationSummary>,
}

impl Totals {
    pub fn new(
        seconds: f64,
        requests: u64,
        errors: u64,
        operations: Vec<OperationSummary>,
    ) -> Totals {
        Totals {
            seconds,
            requests,
            errors,
            rate: if seconds > 0.0 {
                requests as f64 / seconds
            } else {
                0.0
            },
            cpu_seconds: None,
            operations,
        }
    }
}

/// One operation (method and path template, `PATCH /Users/{id}`).
#[derive(Debug, Clone, Serialize)]
pub struct OperationSummary {
    pub operation: String,
    pub count: u64,
    /// Failed exchanges by status (`"429"`, `"transport"` for no answer).
    pub errors: std::collections::BTreeMap<String, u64>,
    pub error_count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Requests per second over the span.
    pub rate: f64,
    /// Latency buckets (the whole run's figures only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub histogram: Vec<Bucket>,
}

/// Exchanges faster than `below_ms` and not faster than the bucket before.
#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    pub below_ms: f64,
    pub count: u64,
}

/// The exchanges recorded in one second of the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SecondCount {
    pub second: u64,
    pub requests: u64,
    pub errors: u64,
}

/// The table printed after each cycle and for the whole run.
pub fn table(title: &str, totals: &Totals) -> String {
    let cpu = match totals.cpu_seconds {
        Some(cpu) => format!("; client CPU {cpu:.2} s"),
        None => String::new(),
    };
    let mut out = format!(
        "{title}: {} requests in {:.3} s ({:.1}/s), {} errors{cpu}\n",
        totals.requests, totals.seconds, totals.rate, totals.errors
    );
    if totals.operations.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "  {:<28} {:>9} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}  errors by status",
        "operation", "count", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s"
    );
    for o in &totals.operations {
        let by_status: Vec<String> = o.errors.iter().map(|(s, n)| format!("{s}×{n}")).collect();
        let line = format!(
            "  {:<28} {:>9} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.1}  {}",
            o.operation,
            o.count,
            o.error_count,
            o.p50_ms,
            o.p95_ms,
            o.p99_ms,
            o.max_ms,
            o.rate,
            by_status.join(" ")
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}
