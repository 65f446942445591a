//! `run --write-baseline FILE`: a baseline drafted from a run's failures, warnings and
//! errors, each new entry naming its case's outcome and a reason placeholder to edit.

use conformance::{Baseline, BaselineEntry, Case, CaseResult, ExpectedOutcome, Outcome};

/// The run's results as they arrive, against the `--baseline` given (if any).
#[derive(Debug, Default)]
pub struct BaselineDraft {
    old: Baseline,
    /// Per old entry: it made a case of this run `expected`.
    used: Vec<bool>,
    /// Per old entry: it matched a case of this run.
    matched: Vec<bool>,
    new: Vec<BaselineEntry>,
}

impl BaselineDraft {
    pub fn new(old: Option<Baseline>) -> BaselineDraft {
        let old = old.unwrap_or_default();
        let n = old.expected.len();
        BaselineDraft {
            old,
            used: vec![false; n],
            matched: vec![false; n],
            new: Vec::new(),
        }
    }

    /// One case as the run reported it (after the baseline was applied).
    pub fn case(&mut self, r: &CaseResult) {
        let pos = self.old.position_for(&r.id);
        if let Some(i) = pos {
            self.matched[i] = true;
        }
        let old_outcome = pos.map(|i| self.old.expected[i].outcome);
        match r.outcome {
            Outcome::Expected => {
                if let Some(i) = pos {
                    self.used[i] = true;
                }
            }
            // A case listed without an outcome that passed: the runner made it `fail`;
            // the entry goes, and no new one is written for a passing case.
            Outcome::Fail if old_outcome == Some(None) => {}
            Outcome::Fail | Outcome::Warn | Outcome::Error => {
                self.new.push(BaselineEntry {
                    case: r.id.clone(),
                    outcome: ExpectedOutcome::of(r.outcome),
                    reason: Baseline::REASON_PLACEHOLDER.to_owned(),
                });
            }
            Outcome::Pass | Outcome::Skip => {}
        }
    }

    /// The new baseline: the new entries first (exact case ids, so an old glob does not
    /// shadow them), then the old entries that still cover a case of this run, or matched
    /// no case of this run but some of the catalogue (left as they were).
    pub fn finish(self, all_cases: &[Case]) -> (Baseline, usize) {
        let added = self.new.len();
        let mut expected = self.new;
        for (i, e) in self.old.expected.into_iter().enumerate() {
            let in_catalogue = all_cases
                .iter()
                .any(|c| conformance::glob_match(&e.case, &c.id));
            if self.used[i] || (!self.matched[i] && in_catalogue) {
                expected.push(e);
            }
        }
        let baseline = Baseline {
            expected,
            origin: String::new(),
        };
        (baseline, added)
    }
}
