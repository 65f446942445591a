//! Reporters over the runner's [`RunEvent`]s: a terminal reporter that prints as events
//! arrive, and a [`Collector`] whose contents render as JSON, JUnit XML or one
//! self-contained HTML page.
//!
//! Architecture Invariant: reporters consume only [`RunEvent`]s; nothing here talks to a
//! target or reads a scenario file.

mod exchange;
mod html;
mod json;
mod junit;
mod model;
mod pretty;
mod summary;
mod terminal;

pub use exchange::{failing_exchange, EXCERPT_LINES};
pub use html::escape as escape_html;
pub use html::{html, BODY_BUDGET as HTML_BODY_BUDGET};
pub use json::json;
pub use junit::junit;
pub use model::{
    report_schema_json, CaseOutcome, CaseReport, CleanupReport, ExchangeReport, FailingExchange,
    LeftBehindReport, MismatchReport, Report, ReportSummary, RunMeta, RunSelection, SourceReport,
    StaleEntry, TranscriptReport, Verdict, REPORT_SCHEMA,
};
pub use pretty::{pretty_json, pretty_xml};
pub use summary::summary_md;
pub use terminal::{Palette, Terminal};

use conformance::{CaseResult, RunEvent, RunInfo, Summary};

/// Everything a run emitted, kept for the file reporters.
#[derive(Debug, Clone, Default)]
pub struct Collector {
    /// What the command line asked for; set by the binary, not by events.
    pub meta: RunMeta,
    pub info: Option<RunInfo>,
    pub cases: Vec<CaseResult>,
    /// Baseline entries that match no case: (pattern, reason).
    pub stale_baseline: Vec<(String, String)>,
    pub summary: Summary,
    pub duration_ms: u64,
}

impl Collector {
    pub fn new() -> Collector {
        Collector::default()
    }

    /// Take one event.
    pub fn event(&mut self, event: &RunEvent) {
        match event {
            RunEvent::RunStarted(info) => self.info = Some(info.clone()),
            RunEvent::CaseFinished(case) => self.cases.push((**case).clone()),
            RunEvent::BaselineStale { pattern, reason } => {
                self.stale_baseline.push((pattern.clone(), reason.clone()))
            }
            RunEvent::RunFinished {
                summary,
                duration_ms,
            } => {
                self.summary = summary.clone();
                self.duration_ms = *duration_ms;
            }
        }
    }
}

/// The line every format shows for an interrupted run (its reports are incomplete).
pub const INTERRUPTED_LINE: &str =
    "interrupted (Ctrl-C): the reports are incomplete; cases not started are skipped";

/// The cleanup line every format shows: what was removed and what was left behind,
/// with the first few reasons; `None` when the run kept everything (`--keep`).
pub fn cleanup_line(summary: &Summary) -> Option<String> {
    let c = summary.cleanup.as_ref()?;
    let mut line = format!(
        "cleanup: removed {}, left behind {}",
        c.removed,
        c.left_behind.len()
    );
    const SHOWN: usize = 3;
    for l in c.left_behind.iter().take(SHOWN) {
        line.push_str(&format!("; {}: {}", l.what, l.why));
    }
    if c.left_behind.len() > SHOWN {
        line.push_str(&format!("; and {} more", c.left_behind.len() - SHOWN));
    }
    Some(line)
}

/// The formats a run can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Junit,
    Html,
    /// `summary.md`, for a CI job's summary page.
    Summary,
}

impl Format {
    /// The file name a file format is written to.
    pub fn file_name(self) -> Option<&'static str> {
        match self {
            Format::Human => None,
            Format::Json => Some("report.json"),
            Format::Junit => Some("junit.xml"),
            Format::Html => Some("report.html"),
            Format::Summary => Some("summary.md"),
        }
    }

    /// Render the collected run in this format (`None` for the terminal format).
    pub fn render(self, c: &Collector) -> Option<String> {
        match self {
            Format::Human => None,
            Format::Json => Some(json(c)),
            Format::Junit => Some(junit(c)),
            Format::Html => Some(html(c)),
            Format::Summary => Some(summary_md(c)),
        }
    }
}
