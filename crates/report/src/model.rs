//! The typed shape of `report.json` (schema `scim-harness/report/v1`): what a CI job can
//! rely on, with a JSON Schema generated from these types (`schemas/report-v1.json`, kept
//! current by a test).
//!
//! Architecture Invariant: these types are the report's contract; a field is added, never
//! renamed or retyped, without a new schema id.

use conformance::{CaseResult, Level, TranscriptEntry};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Collector;

/// The report's schema id; bump it on an incompatible change.
pub const REPORT_SCHEMA: &str = "scim-harness/report/v1";

/// What the command line asked for besides the target: recorded so a CI job can tell
/// two reports apart and reproduce a run. Set by the binary; empty in a [`Collector`]
/// fed events alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunMeta {
    /// The `scim-harness` version that ran (Cargo package version).
    pub harness_version: Option<String>,
    /// When the run started, RFC 3339 in UTC (`2026-12-06T18:41:25Z`).
    pub started_at: Option<String>,
    /// SHA-256 (lowercase hex) over the loaded catalogue: its configurations in file
    /// order, then every scenario file's text sorted by scenario id. Two runs with the
    /// same digest ran the same scenarios.
    pub catalogue_digest: Option<String>,
    /// `--strict`: a SHOULD warning fails the run too.
    pub strict: bool,
    pub selection: RunSelection,
}

/// The selection flags of `run` as given (empty lists: no filter).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunSelection {
    /// `--persona`.
    pub personas: Vec<String>,
    /// `--config`.
    pub configs: Vec<String>,
    /// `--level` (`must`, `should`, `info`); empty: every level.
    #[serde(default)]
    pub levels: Vec<String>,
    /// `--include` case-id globs.
    pub include: Vec<String>,
    /// `--exclude` case-id globs.
    pub exclude: Vec<String>,
    /// `--partition` (`K/N` or `hash:K/N`).
    pub partition: Option<String>,
    /// `--fault`: bugs injected into the embedded reference target.
    pub faults: Vec<String>,
    /// `--baseline` file as given.
    pub baseline: Option<String>,
    /// `--scenarios DIR` as given (added to the built-in catalogue, or alone with
    /// `--no-builtin-scenarios`).
    pub scenarios: Option<String>,
    /// `--no-builtin-scenarios`.
    pub no_builtin_scenarios: bool,
}

/// The whole of `report.json`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "scim-harness report")]
pub struct Report {
    /// Always `scim-harness/report/v1` for this shape.
    pub schema: String,
    pub harness_version: Option<String>,
    /// RFC 3339, UTC.
    pub started_at: Option<String>,
    /// The profile's name (`reference` for the embedded target).
    pub target: Option<String>,
    pub base_url: Option<String>,
    /// `--seed N` reproduces the names the cases created.
    pub seed: Option<u64>,
    /// Server certificates went unchecked (`--insecure`).
    pub insecure: Option<bool>,
    /// Cases running at once (`--jobs`).
    pub jobs: Option<usize>,
    pub strict: bool,
    pub selection: RunSelection,
    pub catalogue_digest: Option<String>,
    pub duration_ms: u64,
    /// How the run ends: the exit status it maps to (README "Exit codes").
    pub verdict: Verdict,
    pub summary: ReportSummary,
    /// Baseline entries that match no case (each fails the run).
    pub stale_baseline: Vec<StaleEntry>,
    /// Every case, in the catalogue's fixed order.
    pub cases: Vec<CaseReport>,
}

/// How a run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Exit 0.
    Passed,
    /// Exit 1: a MUST case failed, a case errored, a baseline entry is stale, or (with
    /// `--strict`) a SHOULD case warned.
    Failed,
    /// Exit 130: Ctrl-C; the reports are incomplete.
    Interrupted,
}

impl Verdict {
    /// The run's verdict as `run` maps it to its exit code.
    pub fn of(c: &Collector) -> Verdict {
        let s = &c.summary;
        if s.interrupted {
            Verdict::Interrupted
        } else if s.is_success() && !(c.meta.strict && s.warned > 0) {
            Verdict::Passed
        } else {
            Verdict::Failed
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Interrupted => "interrupted",
        }
    }
}

/// The run's totals.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ReportSummary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub skipped: usize,
    pub errored: usize,
    pub expected: usize,
    pub stale_baseline: usize,
    /// MUST cases that failed or errored.
    pub must_failed: usize,
    /// What cleanup removed and left behind; `null` with `--keep`.
    pub cleanup: Option<CleanupReport>,
    /// Ctrl-C: the cases not started are skipped with that reason.
    pub interrupted: bool,
}

/// Cleanup after the cases.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CleanupReport {
    pub removed: usize,
    pub left_behind: Vec<LeftBehindReport>,
}

/// One object cleanup could not remove.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LeftBehindReport {
    pub what: String,
    pub why: String,
}

/// A baseline entry that matches no case.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StaleEntry {
    /// The entry's case pattern.
    pub case: String,
    pub reason: String,
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseOutcome {
    Pass,
    /// A MUST expectation not met.
    Fail,
    /// A SHOULD (or INFO) expectation not met.
    Warn,
    /// Not run; the reason says why.
    Skip,
    /// A harness or transport problem.
    Error,
    /// Failed as the baseline expects.
    Expected,
}

impl From<conformance::Outcome> for CaseOutcome {
    fn from(o: conformance::Outcome) -> CaseOutcome {
        use conformance::Outcome as O;
        match o {
            O::Pass => CaseOutcome::Pass,
            O::Fail => CaseOutcome::Fail,
            O::Warn => CaseOutcome::Warn,
            O::Skip => CaseOutcome::Skip,
            O::Error => CaseOutcome::Error,
            O::Expected => CaseOutcome::Expected,
        }
    }
}

/// One case: a scenario for one persona under one configuration.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CaseReport {
    /// `{scenario}/{persona}/{config}`.
    pub id: String,
    pub scenario: String,
    pub title: String,
    /// The catalogue folder (`users`, `groups`, `identity`, …).
    pub area: String,
    pub persona: String,
    pub config: String,
    pub level: Level,
    /// Where the expectation comes from (RFC sections, Grafana pages, CVEs).
    pub spec: Vec<String>,
    pub outcome: CaseOutcome,
    /// Why the case did not pass; `null` when it passed.
    pub reason: Option<String>,
    pub duration_ms: u64,
    /// The unique tag this case's names carry.
    pub tag: String,
    pub mismatches: Vec<MismatchReport>,
    pub notes: Vec<String>,
    /// For a case that did not pass: the exchange that showed its first mismatch (or,
    /// without one, its last exchange); `null` otherwise.
    pub failing_exchange: Option<FailingExchange>,
    pub transcript: Vec<TranscriptReport>,
}

/// One expectation that did not hold.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct MismatchReport {
    /// 1-based step number.
    pub step: usize,
    pub check: String,
    pub expected: String,
    pub observed: String,
    /// The transcript entry (`n`) that showed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<u64>,
}

/// The exchange behind a failure, short enough for a CI log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FailingExchange {
    /// The transcript entry's `n`.
    pub n: u64,
    /// `GET http://…/Users/1`, or `SAML Response (attack NAME)` for a posted document.
    pub request: String,
    /// The HTTP status; `null` when no response arrived or for a SAML document.
    pub status: Option<u16>,
    /// Why no response arrived.
    pub error: Option<String>,
    /// The start of the response body (pretty-printed JSON or text), at most
    /// [`crate::EXCERPT_LINES`] lines; secrets were redacted when it was recorded.
    pub body_excerpt: String,
    /// Lines of the body left out of the excerpt (the transcript has them all).
    pub omitted_lines: usize,
}

/// Who sent an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceReport {
    /// The persona's sync engine.
    Persona,
    /// The harness reading the target back.
    Observer,
    /// The login flow (ACS, whoami).
    Login,
    /// A scenario's raw `request` step.
    Request,
}

/// One transcript entry.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TranscriptReport {
    /// An HTTP exchange.
    Http {
        /// 1-based position in the case's transcript.
        n: u64,
        /// 1-based step number.
        step: usize,
        source: SourceReport,
        exchange: Box<ExchangeReport>,
    },
    /// A SAML Response the IdP issued.
    Saml {
        n: u64,
        step: usize,
        /// The tamper-catalogue attack, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attack: Option<String>,
        /// The Response as posted (XML).
        xml: String,
    },
}

/// One HTTP request and its answer (or failure), secrets redacted.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ExchangeReport {
    pub seq: u64,
    pub persona: String,
    pub method: String,
    pub url: String,
    /// `[name, value]` pairs.
    pub request_headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<serde_json::Value>,
    /// `null` when no response arrived.
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    /// The response body when it parsed as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_json: Option<serde_json::Value>,
    /// The response body when not empty and not JSON (truncated to 64 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_text: Option<String>,
    pub elapsed_ms: u64,
    /// Why no usable response arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Report {
    /// The typed report of a collected run.
    pub fn of(c: &Collector) -> Report {
        let s = &c.summary;
        let info = c.info.as_ref();
        Report {
            schema: REPORT_SCHEMA.to_owned(),
            harness_version: c.meta.harness_version.clone(),
            started_at: c.meta.started_at.clone(),
            target: info.map(|i| i.target.clone()),
            base_url: info.map(|i| i.base_url.clone()),
            seed: info.map(|i| i.seed),
            insecure: info.map(|i| i.insecure),
            jobs: info.map(|i| i.jobs),
            strict: c.meta.strict,
            selection: c.meta.selection.clone(),
            catalogue_digest: c.meta.catalogue_digest.clone(),
            duration_ms: c.duration_ms,
            verdict: Verdict::of(c),
            summary: ReportSummary {
                total: s.total,
                passed: s.passed,
                failed: s.failed,
                warned: s.warned,
                skipped: s.skipped,
                errored: s.errored,
                expected: s.expected,
                stale_baseline: s.stale_baseline,
                must_failed: s.must_failed,
                cleanup: s.cleanup.as_ref().map(|cl| CleanupReport {
                    removed: cl.removed,
                    left_behind: cl
                        .left_behind
                        .iter()
                        .map(|l| LeftBehindReport {
                            what: l.what.clone(),
                            why: l.why.clone(),
                        })
                        .collect(),
                }),
                interrupted: s.interrupted,
            },
            stale_baseline: c
                .stale_baseline
                .iter()
                .map(|(case, reason)| StaleEntry {
                    case: case.clone(),
                    reason: reason.clone(),
                })
                .collect(),
            cases: c.cases.iter().map(CaseReport::of).collect(),
        }
    }
}

impl CaseReport {
    /// The typed record of one case.
    pub fn of(r: &CaseResult) -> CaseReport {
        CaseReport {
            id: r.id.clone(),
            scenario: r.scenario.clone(),
            title: r.title.clone(),
            area: r.area.clone(),
            persona: r.persona.clone(),
            config: r.config.clone(),
            level: r.level,
            spec: r.spec.clone(),
            outcome: r.outcome.into(),
            reason: r.reason.clone(),
            duration_ms: r.duration_ms,
            tag: r.tag.clone(),
            mismatches: r
                .mismatches
                .iter()
                .map(|m| MismatchReport {
                    step: m.step,
                    check: m.check.clone(),
                    expected: m.expected.clone(),
                    observed: m.observed.clone(),
                    exchange: m.exchange,
                })
                .collect(),
            notes: r.notes.clone(),
            failing_exchange: crate::exchange::failing_exchange(r),
            transcript: r.transcript.iter().map(TranscriptReport::of).collect(),
        }
    }
}

impl TranscriptReport {
    fn of(entry: &TranscriptEntry) -> TranscriptReport {
        match entry {
            TranscriptEntry::Http {
                n,
                step,
                source,
                exchange: e,
            } => TranscriptReport::Http {
                n: *n,
                step: *step,
                source: match source {
                    conformance::Source::Persona => SourceReport::Persona,
                    conformance::Source::Observer => SourceReport::Observer,
                    conformance::Source::Login => SourceReport::Login,
                    conformance::Source::Request => SourceReport::Request,
                },
                exchange: Box::new(ExchangeReport {
                    seq: e.seq,
                    persona: e.persona.clone(),
                    method: e.method.clone(),
                    url: e.url.clone(),
                    request_headers: e.request_headers.clone(),
                    request_body: e.request_body.as_ref().map(|b| b.value()),
                    status: e.status,
                    response_headers: e.response_headers.clone(),
                    response_json: e.response_json.as_ref().map(|b| b.value()),
                    response_text: e.response_text.clone(),
                    elapsed_ms: e.elapsed_ms,
                    error: e.error.clone(),
                }),
            },
            TranscriptEntry::Saml {
                n,
                step,
                attack,
                xml,
            } => TranscriptReport::Saml {
                n: *n,
                step: *step,
                attack: attack.clone(),
                xml: xml.clone(),
            },
        }
    }
}

/// The JSON Schema of `report.json` (`schemas/report-v1.json`), pretty-printed. It
/// describes what the harness writes (schemars' serialize contract): a field written as
/// `null` is required and may be null; one left out when empty is optional.
pub fn report_schema_json() -> String {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<Report>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
