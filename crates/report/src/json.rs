//! The JSON report (DESIGN.md "JSON report"): versioned, a summary, one entry per case
//! with its transcript (secrets were redacted when the exchanges were recorded).

use serde_json::{json, Value};

use crate::Collector;

/// The report's schema id; bump it on an incompatible change.
pub const REPORT_SCHEMA: &str = "scim-harness/report/v1";

/// The whole run as one JSON document.
pub fn json(c: &Collector) -> String {
    let s = &c.summary;
    let cases: Vec<Value> = c
        .cases
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "scenario": r.scenario,
                "title": r.title,
                "area": r.area,
                "persona": r.persona,
                "config": r.config,
                "level": r.level,
                "spec": r.spec,
                "outcome": r.outcome,
                "reason": r.reason,
                "duration_ms": r.duration_ms,
                "tag": r.tag,
                "mismatches": r.mismatches,
                "notes": r.notes,
                "transcript": r.transcript,
            })
        })
        .collect();
    let stale: Vec<Value> = c
        .stale_baseline
        .iter()
        .map(|(p, r)| json!({"case": p, "reason": r}))
        .collect();
    let doc = json!({
        "schema": REPORT_SCHEMA,
        "target": c.info.as_ref().map(|i| i.target.clone()),
        "base_url": c.info.as_ref().map(|i| i.base_url.clone()),
        "seed": c.info.as_ref().map(|i| i.seed),
        "insecure": c.info.as_ref().map(|i| i.insecure),
        "duration_ms": c.duration_ms,
        "summary": {
            "total": s.total,
            "passed": s.passed,
            "failed": s.failed,
            "warned": s.warned,
            "skipped": s.skipped,
            "errored": s.errored,
            "expected": s.expected,
            "stale_baseline": s.stale_baseline,
            "cleanup": s.cleanup,
            "interrupted": s.interrupted,
        },
        "stale_baseline": stale,
        "cases": cases,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
