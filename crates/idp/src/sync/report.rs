//! What a cycle reports: outcomes and issues per directory object, and the exchanges.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::persona::PersonaId;
use crate::transport::{Exchange, Transcript};

/// Users or groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    User,
    Group,
}

/// The directory object an outcome or issue is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    pub kind: ObjectKind,
    /// The directory id.
    pub id: String,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ObjectKind::User => "user",
            ObjectKind::Group => "group",
        };
        write!(f, "{kind} {}", self.id)
    }
}

/// What the engine did to one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "count")]
pub enum Action {
    /// Matched an existing resource by filter and adopted its id.
    Linked,
    Created,
    Updated,
    ManagerSet,
    /// The manager cleared in the directory, removed in the target.
    ManagerCleared,
    Disabled,
    Enabled,
    Deleted,
    Renamed,
    MembersAdded(usize),
    MembersRemoved(usize),
    /// Stopped managing without telling the target.
    Unlinked,
}

impl Action {
    /// The action's name in [`SyncReport::summary`] and how many it counts for.
    pub(super) fn tally(&self) -> (&'static str, usize) {
        match self {
            Action::Linked => ("linked", 1),
            Action::Created => ("created", 1),
            Action::Updated => ("updated", 1),
            Action::ManagerSet => ("manager set", 1),
            Action::ManagerCleared => ("manager cleared", 1),
            Action::Disabled => ("disabled", 1),
            Action::Enabled => ("enabled", 1),
            Action::Deleted => ("deleted", 1),
            Action::Renamed => ("renamed", 1),
            Action::MembersAdded(n) => ("member adds", *n),
            Action::MembersRemoved(n) => ("member removes", *n),
            Action::Unlinked => ("unlinked", 1),
        }
    }
}

/// One successful step on one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub object: ObjectRef,
    #[serde(flatten)]
    pub action: Action,
    pub target_id: Option<String>,
}

/// The error classes of Entra's provisioning logs (entra-scim.md §4), which also cover
/// Okta's failed tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IssueCode {
    /// Test Connection failed: the job would not start or is quarantined.
    ConnectionFailed,
    /// `409`.
    Conflict,
    /// `404` on a cached id: not re-created (entra-scim.md §4 `InvalidAnchor`).
    InvalidAnchor,
    /// `429` still after the persona's retries.
    TooManyRequests,
    /// `5xx` after the persona's retries.
    ServerError,
    /// No response within the per-request timeout.
    Timeout,
    /// Connection refused or reset, body too large.
    Transport,
    /// A filter returned more than one resource.
    DuplicateTargetEntries,
    /// A group lookup returned members or several entries.
    MultipleEntriesInResponse,
    /// The response could not be parsed or lacked what the persona needs.
    ServiceIncompatible,
    /// Any other unexpected status.
    Rejected,
}

/// One failed operation; the object is retried in a later cycle unless the code says
/// otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{operation} for {object}: {code:?}: {message}")]
pub struct SyncIssue {
    pub object: ObjectRef,
    /// What was being done, e.g. `create user`.
    pub operation: String,
    pub code: IssueCode,
    pub message: String,
}

/// The result of one cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncReport {
    pub persona: PersonaId,
    /// 1-based cycle number of this engine.
    pub cycle: u64,
    /// The cycle's exchanges in transcript order; empty when they went to a
    /// [`TranscriptSink`](crate::TranscriptSink) through
    /// [`SyncEngine::cycle_to`](crate::SyncEngine::cycle_to).
    pub exchanges: Vec<Exchange>,
    /// How many exchanges the cycle made, kept in `exchanges` or streamed.
    pub exchange_count: usize,
    /// Every outcome, unless the engine was told not to keep them
    /// ([`SyncEngine::keep_outcomes`](crate::SyncEngine::keep_outcomes)).
    pub outcomes: Vec<Outcome>,
    /// How many objects each action touched (member changes: how many members), kept
    /// or not.
    pub outcome_counts: BTreeMap<&'static str, usize>,
    pub errors: Vec<SyncIssue>,
}

impl Serialize for PersonaId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl SyncReport {
    /// The exchanges as a transcript (JSON lines through [`Transcript::write_json_lines`]).
    pub fn transcript(&self) -> Transcript {
        Transcript {
            exchanges: self.exchanges.clone(),
        }
    }

    /// One line: persona, exchanges, outcomes by action, errors.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .outcome_counts
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        format!(
            "{} cycle {}: {} exchanges; {}; {} errors",
            self.persona,
            self.cycle,
            self.exchange_count,
            if parts.is_empty() {
                "no changes".to_owned()
            } else {
                parts.join(", ")
            },
            self.errors.len()
        )
    }

    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }
}
