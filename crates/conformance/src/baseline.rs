//! Baselines: expected failures with a reason each (bogo's config.json, the OpenID
//! suite's expected-failures file). An entry that no longer matches fails the run.
//!
//! ```toml
//! [[expected]]
//! case = "users.lifecycle/okta/*"     # a case id, or a glob over case ids
//! outcome = "fail"                     # optional: fail | warn | error | skip
//! reason = "vendor X answers PUT with 501 (ticket 123)"
//! ```
//!
//! An entry without `outcome` covers any failure, warning or error, and a listed case that
//! passes fails the run. An entry with `outcome` covers that outcome only: a listed case
//! that does better (passes, or is skipped when the entry expects a failure) keeps its
//! outcome and is reported as an outdated entry, not a failure; one that does worse or
//! otherwise (a `warn` entry's case fails) keeps its own outcome, so it counts as it would
//! without the entry.

use std::path::Path;

use serde::Deserialize;

use crate::catalogue::{glob_match, Case};
use crate::event::{CaseResult, Outcome};
use crate::profile::ProfileError;

/// One expected failure.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    /// A case id or a glob (`*`, `?`) over case ids.
    pub case: String,
    /// The outcome the entry expects; `None`: any failure, warning or error.
    #[serde(default)]
    pub outcome: Option<ExpectedOutcome>,
    pub reason: String,
}

/// The outcome a baseline entry names (`outcome = "warn"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedOutcome {
    Fail,
    Warn,
    Error,
    Skip,
}

impl ExpectedOutcome {
    /// The case outcome this names.
    pub fn outcome(self) -> Outcome {
        match self {
            ExpectedOutcome::Fail => Outcome::Fail,
            ExpectedOutcome::Warn => Outcome::Warn,
            ExpectedOutcome::Error => Outcome::Error,
            ExpectedOutcome::Skip => Outcome::Skip,
        }
    }

    /// The entry outcome for a case outcome a baseline can expect.
    pub fn of(outcome: Outcome) -> Option<ExpectedOutcome> {
        match outcome {
            Outcome::Fail => Some(ExpectedOutcome::Fail),
            Outcome::Warn => Some(ExpectedOutcome::Warn),
            Outcome::Error => Some(ExpectedOutcome::Error),
            Outcome::Skip => Some(ExpectedOutcome::Skip),
            Outcome::Pass | Outcome::Expected => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.outcome().as_str()
    }
}

/// A baseline file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    #[serde(default)]
    pub expected: Vec<BaselineEntry>,
    #[serde(skip)]
    pub origin: String,
}

impl Baseline {
    /// Read a baseline; errors name file, line and column.
    pub fn load(path: &Path) -> Result<Baseline, ProfileError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: origin.clone(),
            source,
        })?;
        let mut b: Baseline = toml::from_str(&text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            let before = &text[..at.min(text.len())];
            ProfileError::Invalid {
                file: origin.clone(),
                line: before.matches('\n').count() + 1,
                column: before
                    .rfind('\n')
                    .map_or(before.len(), |i| before.len() - i - 1)
                    + 1,
                message: format!("baseline: {}", e.message().trim_end()),
            }
        })?;
        for entry in &b.expected {
            if entry.reason.trim().is_empty() {
                return Err(ProfileError::Invalid {
                    file: origin.clone(),
                    line: 1,
                    column: 1,
                    message: format!("baseline entry `{}` has no reason", entry.case),
                });
            }
        }
        b.origin = origin;
        Ok(b)
    }

    /// The reason `--write-baseline` gives a new entry, for the user to replace.
    pub const REASON_PLACEHOLDER: &'static str = "TODO: why this is expected";

    /// Entries whose reason is still [`Baseline::REASON_PLACEHOLDER`]'s.
    pub fn placeholders(&self) -> usize {
        self.expected
            .iter()
            .filter(|e| e.reason.trim_start().starts_with("TODO:"))
            .count()
    }

    /// The entries as a baseline file (TOML), in order, after `header` (comment lines).
    pub fn to_toml(&self, header: &str) -> String {
        let quote = |s: &str| toml::Value::String(s.to_owned()).to_string();
        let mut out = String::new();
        for line in header.lines() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
        for e in &self.expected {
            out.push_str("\n[[expected]]\n");
            out.push_str(&format!("case = {}\n", quote(&e.case)));
            if let Some(o) = e.outcome {
                out.push_str(&format!("outcome = {}\n", quote(o.as_str())));
            }
            out.push_str(&format!("reason = {}\n", quote(&e.reason)));
        }
        out
    }

    /// The index of the entry that covers a case id (the first that matches).
    pub fn position_for(&self, case_id: &str) -> Option<usize> {
        self.expected
            .iter()
            .position(|e| glob_match(&e.case, case_id))
    }

    /// The entry that covers a case id.
    pub fn entry_for(&self, case_id: &str) -> Option<&BaselineEntry> {
        self.expected.iter().find(|e| glob_match(&e.case, case_id))
    }

    /// Entries that match no case of the whole catalogue.
    pub fn stale(&self, all_cases: &[Case]) -> Vec<&BaselineEntry> {
        self.expected
            .iter()
            .filter(|e| !all_cases.iter().any(|c| glob_match(&e.case, &c.id)))
            .collect()
    }

    /// The outcome [`Baseline::apply`] gives a case, without changing it.
    pub fn judged(&self, result: &CaseResult) -> Outcome {
        let Some(entry) = self.entry_for(&result.id) else {
            return result.outcome;
        };
        match (entry.outcome, result.outcome) {
            (None, Outcome::Fail | Outcome::Warn | Outcome::Error) => Outcome::Expected,
            (None, Outcome::Pass) => Outcome::Fail,
            (Some(x), o) if x.outcome() == o => Outcome::Expected,
            (_, o) => o,
        }
    }

    /// The entry that names an outcome its case no longer has because the case did
    /// better (passed, or was skipped instead of failing): outdated, reported but not a
    /// failure. `result` is the case as [`Baseline::apply`] left it.
    pub fn outdated(&self, result: &CaseResult) -> Option<&BaselineEntry> {
        let entry = self.entry_for(&result.id)?;
        let expected = entry.outcome?;
        let better = match result.outcome {
            Outcome::Pass => true,
            Outcome::Skip => expected != ExpectedOutcome::Skip,
            _ => false,
        };
        better.then_some(entry)
    }

    /// Turn a case's own outcome into the run's: an expected failure becomes `expected`;
    /// a case listed without `outcome` that passed becomes `fail` (the entry is stale); a
    /// case whose entry names another outcome keeps its own, with a reason saying so.
    pub fn apply(&self, result: &mut CaseResult) {
        let Some(entry) = self.entry_for(&result.id) else {
            return;
        };
        let judged = self.judged(result);
        if judged == Outcome::Expected {
            let was = result.reason.take().unwrap_or_default();
            result.outcome = Outcome::Expected;
            result.reason = Some(format!("baseline: {} (observed: {was})", entry.reason));
            return;
        }
        match entry.outcome {
            None if result.outcome == Outcome::Pass => {
                result.outcome = Outcome::Fail;
                result.reason = Some(format!(
                    "baseline {} lists `{}` as an expected failure ({}), but the case passed: remove the entry",
                    self.origin, entry.case, entry.reason
                ));
            }
            None => {}
            Some(expected) => {
                let note = format!(
                    "baseline {} expects `{}` to {} ({}), but the case {}",
                    self.origin,
                    entry.case,
                    expected.as_str(),
                    entry.reason,
                    past(result.outcome)
                );
                result.reason = Some(match result.reason.take() {
                    Some(r) => format!("{note}: {r}"),
                    None => format!("{note}: update or remove the entry"),
                });
            }
        }
    }
}

/// "passed", "failed", … for a reason text.
fn past(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "passed",
        Outcome::Fail => "failed",
        Outcome::Warn => "warned",
        Outcome::Skip => "was skipped",
        Outcome::Error => "errored",
        Outcome::Expected => "was expected",
    }
}
