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
    pub outcomes: Vec<Outcome>,
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
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for o in &self.outcomes {
            let name = match o.action {
                Action::Linked => "linked",
                Action::Created => "created",
                Action::Updated => "updated",
                Action::ManagerSet => "manager set",
                Action::ManagerCleared => "manager cleared",
                Action::Disabled => "disabled",
                Action::Enabled => "enabled",
                Action::Deleted => "deleted",
                Action::Renamed => "renamed",
                Action::MembersAdded(_) => "member adds",
                Action::MembersRemoved(_) => "member removes",
                Action::Unlinked => "unlinked",
            };
            let n = match o.action {
                Action::MembersAdded(n) | Action::MembersRemoved(n) => n,
                _ => 1,
            };
            *counts.entry(name).or_default() += n;
        }
        let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
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
