//! The runner's events: the one enum every reporter consumes (nextest's design).
//!
//! A run emits, in order: one [`RunEvent::RunStarted`]; one [`RunEvent::CaseFinished`]
//! per selected case, in the fixed case order whatever the concurrency; one
//! [`RunEvent::BaselineStale`] per baseline entry that matches no case of the catalogue;
//! and one [`RunEvent::RunFinished`] with the totals.

use serde::Serialize;

use crate::scenario::Level;

/// What happened in a run.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RunEvent {
    RunStarted(RunInfo),
    CaseFinished(Box<CaseResult>),
    /// A baseline entry whose pattern matches no case of the catalogue.
    BaselineStale {
        pattern: String,
        reason: String,
    },
    RunFinished {
        summary: Summary,
        duration_ms: u64,
    },
}

/// The run's parameters.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// The profile's name.
    pub target: String,
    pub base_url: String,
    pub seed: u64,
    /// Selected cases.
    pub total: usize,
    pub jobs: usize,
    /// Server certificates went unchecked (`--insecure`): no verdict of this run proves
    /// anything about the target's TLS, and its traffic could have been read.
    pub insecure: bool,
}

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    /// A MUST expectation not met (or a stale baseline entry).
    Fail,
    /// A SHOULD (or INFO) expectation not met.
    Warn,
    /// Not run; the reason says why.
    Skip,
    /// A harness or transport problem; the reason says which.
    Error,
    /// Failed as the baseline expects.
    Expected,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Pass,
        Outcome::Fail,
        Outcome::Warn,
        Outcome::Skip,
        Outcome::Error,
        Outcome::Expected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Warn => "warn",
            Outcome::Skip => "skip",
            Outcome::Error => "error",
            Outcome::Expected => "expected",
        }
    }
}

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    /// 1-based step number.
    pub step: usize,
    /// What was checked, e.g. `user alice: active`.
    pub check: String,
    pub expected: String,
    pub observed: String,
    /// The transcript entry (`n`) that showed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<u64>,
}

/// Who sent an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The persona's sync engine.
    Persona,
    /// The harness reading the target back.
    Observer,
    /// The login flow (ACS, whoami).
    Login,
    /// A scenario's raw `request` step.
    Request,
}

/// One transcript entry: an HTTP exchange or a SAML document the IdP issued.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TranscriptEntry {
    Http {
        /// 1-based position in the case's transcript.
        n: u64,
        /// 1-based step number.
        step: usize,
        source: Source,
        exchange: Box<idp::Exchange>,
    },
    Saml {
        n: u64,
        step: usize,
        /// The tamper-catalogue attack, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        attack: Option<String>,
        /// The Response as posted (XML).
        xml: String,
    },
}

impl TranscriptEntry {
    pub fn n(&self) -> u64 {
        match self {
            TranscriptEntry::Http { n, .. } | TranscriptEntry::Saml { n, .. } => *n,
        }
    }
}

/// The result of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// `{scenario}/{persona}/{config}`.
    pub id: String,
    pub scenario: String,
    pub title: String,
    /// The catalogue folder (`users`, `groups`, `identity`, …).
    pub area: String,
    pub persona: String,
    pub config: String,
    pub level: Level,
    pub spec: Vec<String>,
    pub outcome: Outcome,
    /// Why the case did not pass (first mismatch, skip or error reason, baseline note).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
    /// The unique tag this case's names carry.
    pub tag: String,
    pub mismatches: Vec<Mismatch>,
    /// Checks that could not run against this profile (e.g. no app probes).
    pub notes: Vec<String>,
    pub transcript: Vec<TranscriptEntry>,
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub skipped: usize,
    pub errored: usize,
    pub expected: usize,
    /// Baseline entries that match no case of the catalogue.
    pub stale_baseline: usize,
    /// MUST cases that failed or errored.
    pub must_failed: usize,
    /// What the cases' cleanups did; `None` when the run kept everything (`--keep`).
    pub cleanup: Option<Cleanup>,
    /// The run was interrupted (Ctrl-C): the cases it did not start are reported as
    /// skipped with that reason, and the reports are incomplete.
    pub interrupted: bool,
}

/// What cleanup removed from the target after the cases, and what it left behind.
/// Cleanup never changes a verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Cleanup {
    /// Objects removed: SCIM users and groups (a Grafana-shaped target deletes a
    /// group's team with it) and app users.
    pub removed: usize,
    /// Objects left on the target, each with why.
    pub left_behind: Vec<LeftBehind>,
}

/// One object cleanup could not remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftBehind {
    /// What it is, e.g. `SCIM user 3f2… (case users.lifecycle/entra/default)`.
    pub what: String,
    /// Why it stayed.
    pub why: String,
}

impl Cleanup {
    /// Add another cleanup's counts.
    pub fn merge(&mut self, other: Cleanup) {
        self.removed += other.removed;
        self.left_behind.extend(other.left_behind);
    }
}

impl Summary {
    /// Count one case.
    pub fn add(&mut self, case: &CaseResult) {
        self.total += 1;
        match case.outcome {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail => self.failed += 1,
            Outcome::Warn => self.warned += 1,
            Outcome::Skip => self.skipped += 1,
            Outcome::Error => self.errored += 1,
            Outcome::Expected => self.expected += 1,
        }
        if matches!(case.outcome, Outcome::Fail | Outcome::Error) {
            self.must_failed += 1;
        }
    }

    /// Whether the run is clean: every case passed, warned, was skipped or expected,
    /// and the baseline has no stale entry.
    pub fn is_success(&self) -> bool {
        self.failed == 0 && self.errored == 0 && self.stale_baseline == 0 && !self.interrupted
    }
}
