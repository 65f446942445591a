//! Baselines: expected failures with a reason each (bogo's config.json, the OpenID
//! suite's expected-failures file). An entry that no longer matches fails the run.
//!
//! ```toml
//! [[expected]]
//! case = "users.lifecycle/okta/*"     # a case id, or a glob over case ids
//! reason = "vendor X answers PUT with 501 (ticket 123)"
//! ```

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
    pub reason: String,
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
        if self.entry_for(&result.id).is_none() {
            return result.outcome;
        }
        match result.outcome {
            Outcome::Fail | Outcome::Warn | Outcome::Error => Outcome::Expected,
            Outcome::Pass => Outcome::Fail,
            other => other,
        }
    }

    /// Turn a case's own outcome into the run's: an expected failure becomes
    /// `expected`; a listed case that passed becomes `fail` (the entry is stale).
    pub fn apply(&self, result: &mut CaseResult) {
        let Some(entry) = self.entry_for(&result.id) else {
            return;
        };
        match result.outcome {
            Outcome::Fail | Outcome::Warn | Outcome::Error => {
                let was = result.reason.take().unwrap_or_default();
                result.outcome = Outcome::Expected;
                result.reason = Some(format!("baseline: {} (observed: {was})", entry.reason));
            }
            Outcome::Pass => {
                result.outcome = Outcome::Fail;
                result.reason = Some(format!(
                    "baseline {} lists `{}` as an expected failure ({}), but the case passed: remove the entry",
                    self.origin, entry.case, entry.reason
                ));
            }
            Outcome::Skip | Outcome::Expected => {}
        }
    }
}
