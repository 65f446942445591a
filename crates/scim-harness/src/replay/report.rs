//! What a replay found, per exchange: the terminal lines, `replay.json` and `replay.md`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::diff::Difference;

/// One replayed exchange and how its answer compared.
#[derive(Debug, Clone, Serialize)]
pub struct ExchangeResult {
    pub seq: u64,
    pub method: String,
    /// The path and query sent to the replay target (ids rewritten).
    pub path: String,
    pub recorded_status: Option<u16>,
    pub replayed_status: Option<u16>,
    /// `match`, `differ` or `skipped`.
    pub verdict: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
    /// Why it was skipped, or the transport error of the replayed request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The whole replay (`replay.json`, schema id `scim-harness/replay/v1`).
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    pub schema: &'static str,
    pub transcript: String,
    pub target: String,
    pub base_url: String,
    pub exchanges: usize,
    pub matched: usize,
    pub differed: usize,
    pub skipped: usize,
    pub ids_rewritten: usize,
    pub results: Vec<ExchangeResult>,
}

impl ReplayReport {
    /// Whether every replayed exchange matched.
    pub fn clean(&self) -> bool {
        self.differed == 0
    }

    /// The summary line.
    pub fn summary(&self) -> String {
        format!(
            "replay: {} exchanges; {} match, {} differ, {} skipped; {} ids rewritten",
            self.exchanges, self.matched, self.differed, self.skipped, self.ids_rewritten
        )
    }
}

fn status(s: Option<u16>) -> String {
    s.map_or_else(|| "---".to_owned(), |s| s.to_string())
}

fn shown(v: Option<&serde_json::Value>) -> String {
    let text = v.map_or_else(|| "(absent)".to_owned(), serde_json::Value::to_string);
    if text.chars().count() > 120 {
        let cut: String = text.chars().take(117).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// The terminal lines of one exchange: a status line, then one line per difference.
pub fn terminal_lines(r: &ExchangeResult) -> Vec<String> {
    let word = match r.verdict {
        "match" => "  ok",
        "differ" => "DIFF",
        _ => "skip",
    };
    let mut lines = vec![format!(
        "{word} #{:<4} {:<6} {} recorded {} replayed {}",
        r.seq,
        r.method,
        r.path,
        status(r.recorded_status),
        status(r.replayed_status)
    )];
    if let Some(note) = &r.note {
        lines.push(format!("     {note}"));
    }
    for d in &r.differences {
        lines.push(format!(
            "     {}: recorded {}, replayed {}",
            d.path,
            shown(d.recorded.as_ref()),
            shown(d.replayed.as_ref())
        ));
    }
    lines
}

/// Writes `replay.json` and `replay.md` into `dir` (created if missing).
pub fn write(report: &ReplayReport, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let json = dir.join("replay.json");
    let text = serde_json::to_string_pretty(report).context("serializing the replay report")?;
    std::fs::write(&json, text + "\n").with_context(|| format!("writing {}", json.display()))?;
    let md = dir.join("replay.md");
    let mut out = Vec::new();
    let _ = writeln!(out, "# Replay of {}\n", report.transcript);
    let _ = writeln!(
        out,
        "Target `{}` at {}: **{}**.\n",
        report.target,
        report.base_url,
        if report.clean() {
            "no difference"
        } else {
            "differences found"
        }
    );
    let _ = writeln!(out, "{}\n", report.summary());
    let differing: Vec<&ExchangeResult> = report
        .results
        .iter()
        .filter(|r| r.verdict == "differ")
        .collect();
    if !differing.is_empty() {
        let _ = writeln!(
            out,
            "| # | request | recorded | replayed | JSON path | recorded value | replayed value |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for r in differing {
            let request = format!("{} {}", r.method, r.path).replace('|', "\\|");
            let rows: Vec<(String, String, String)> = if r.differences.is_empty() {
                vec![(
                    "(status)".into(),
                    String::new(),
                    r.note.clone().unwrap_or_default(),
                )]
            } else {
                r.differences
                    .iter()
                    .map(|d| {
                        (
                            d.path.clone(),
                            shown(d.recorded.as_ref()),
                            shown(d.replayed.as_ref()),
                        )
                    })
                    .collect()
            };
            for (path, a, b) in rows {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | {} | `{}` | `{}` | `{}` |",
                    r.seq,
                    request,
                    status(r.recorded_status),
                    status(r.replayed_status),
                    path.replace('|', "\\|"),
                    a.replace('|', "\\|"),
                    b.replace('|', "\\|")
                );
            }
        }
    }
    std::fs::write(&md, out).with_context(|| format!("writing {}", md.display()))?;
    Ok(())
}
