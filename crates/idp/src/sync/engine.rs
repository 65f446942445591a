//! The engine between cycles: the target ids it learnt and what it last sent, and the
//! public entry points that run a cycle or Test Connection.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use crate::dialect::{Dialect, Form};
use crate::directory::Directory;
use crate::persona::PersonaId;
use crate::transport::{Exchange, Http, ScimTarget, TranscriptSink};
use crate::wire::PackedAttrs;

use super::links::{LinkIndex, UserLinks};
use super::pass::{Cycle, Out, Pass};
use super::report::SyncReport;

#[derive(Debug, Clone)]
pub(super) struct UserLink {
    pub(super) target_id: String,
    /// What the target holds as far as this engine knows (last sent or read).
    pub(super) attrs: PackedAttrs,
    pub(super) active: bool,
    /// Hash of the target id of the manager last sent ([`super::links::manager_hash`]).
    pub(super) manager: Option<u64>,
    /// Deleted in the target by this engine.
    pub(super) gone: bool,
    /// `InvalidAnchor`: reported once, then left alone until [`SyncEngine::restart`].
    pub(super) broken: bool,
}

#[derive(Debug, Clone)]
pub(super) struct GroupLink {
    pub(super) target_id: String,
    pub(super) display_name: String,
    /// The users this engine made members, as their links' positions, sorted.
    pub(super) members: Vec<LinkIndex>,
    pub(super) broken: bool,
}

/// Drives one persona against one target. Keeps target ids and what it last sent, so
/// each [`SyncEngine::cycle`] after the first sends only what changed.
pub struct SyncEngine {
    persona: PersonaId,
    /// The captured forms this engine sends (issue 17); documented ones by default.
    dialect: Dialect,
    http: Http,
    users: UserLinks,
    groups: BTreeMap<String, GroupLink>,
    connection_tested: bool,
    /// Keep every outcome in the report (else count them only).
    keep_outcomes: bool,
    cycles: u64,
    /// Exchanges numbered so far, across cycles.
    numbered: u64,
    password_seed: u64,
}

impl fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncEngine")
            .field("persona", &self.persona)
            .field("base_url", &self.http.target.base_url)
            .field("users", &self.users.len())
            .field("groups", &self.groups.len())
            .field("cycles", &self.cycles)
            .finish()
    }
}

impl SyncEngine {
    pub fn new(persona: PersonaId, target: ScimTarget) -> SyncEngine {
        SyncEngine {
            persona,
            dialect: Dialect::DOCUMENTED,
            http: Http::new(persona, target),
            users: UserLinks::default(),
            groups: BTreeMap::new(),
            connection_tested: false,
            keep_outcomes: true,
            cycles: 0,
            numbered: 0,
            password_seed: u64::from(uuid::Uuid::new_v4().as_u128() as u32),
        }
    }

    pub fn persona(&self) -> PersonaId {
        self.persona
    }

    /// Send the captured `forms` that apply to this persona from the next request on,
    /// instead of the documented ones (the others are ignored; see [`Form::applies_to`]).
    pub fn set_forms(&mut self, forms: &[Form]) {
        self.dialect = Dialect::of(self.persona, forms);
    }

    /// Whether reports keep every [`Outcome`](super::Outcome) (the default) or only
    /// count them in `outcome_counts`: a sync of a million users otherwise holds a
    /// million outcomes until the cycle ends.
    pub fn keep_outcomes(&mut self, keep: bool) {
        self.keep_outcomes = keep;
    }

    /// The captured forms this engine sends.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The target id cached for a directory user.
    pub fn user_target_id(&self, directory_id: &str) -> Option<String> {
        self.users.get(directory_id).map(|l| l.target_id)
    }

    /// The target id cached for a directory group.
    pub fn group_target_id(&self, directory_id: &str) -> Option<String> {
        self.groups.get(directory_id).map(|l| l.target_id.clone())
    }

    /// Forget every cached id and sent value, as restarting an Entra job clears the
    /// watermark and escrow (entra-scim.md §4 "Cycles"); the next cycle re-matches.
    pub fn restart(&mut self) {
        self.users.clear();
        self.groups.clear();
        self.connection_tested = false;
    }

    /// Test Connection alone; the exchanges are in the returned report.
    pub async fn test_connection(&mut self) -> SyncReport {
        self.cycles += 1;
        let mut c = Cycle::default();
        let mut kept = Vec::new();
        let pass = self.pass(&mut kept);
        let passed = pass.test_connection(&mut c).await;
        let count = pass.finish();
        if passed {
            self.connection_tested = true;
        }
        self.report(c, kept, count)
    }

    /// One provisioning cycle. The first runs Test Connection and matches or creates
    /// every in-scope object; later ones send only what changed (entra-scim.md §4
    /// "Cycles": users and groups first, then memberships; manager in extra updates).
    /// The report holds the cycle's exchanges; [`SyncEngine::cycle_to`] streams them.
    pub async fn cycle(&mut self, dir: &Directory) -> SyncReport {
        let mut kept = Vec::new();
        let mut report = self.cycle_to(dir, &mut kept).await;
        report.exchanges = kept;
        report
    }

    /// [`SyncEngine::cycle`], handing each exchange to `sink` as soon as its object is
    /// done, in the order and numbering `cycle` would report, instead of keeping the
    /// transcript: memory stays flat however large the directory. The report's
    /// `exchanges` is empty; `exchange_count` says how many went to the sink.
    pub async fn cycle_to(&mut self, dir: &Directory, sink: &mut dyn TranscriptSink) -> SyncReport {
        self.cycles += 1;
        let mut c = Cycle {
            count_only: !self.keep_outcomes,
            ..Cycle::default()
        };
        let probe = !self.connection_tested;
        let pass = self.pass(sink);
        let passed = pass.run(dir, probe, &mut c).await;
        let count = pass.finish();
        if passed && probe {
            self.connection_tested = true;
        }
        self.report(c, Vec::new(), count)
    }

    fn pass<'s>(&'s mut self, sink: &'s mut dyn TranscriptSink) -> Pass<'s> {
        Pass {
            persona: self.persona,
            dialect: self.dialect,
            http: &self.http,
            users: Mutex::new(&mut self.users),
            groups: Mutex::new(&mut self.groups),
            password_seed: Mutex::new(&mut self.password_seed),
            out: Mutex::new(Out {
                sink,
                numbered: &mut self.numbered,
                count: 0,
            }),
            head: std::sync::atomic::AtomicUsize::new(0),
            head_moved: tokio::sync::Notify::new(),
        }
    }

    fn report(&self, c: Cycle, exchanges: Vec<Exchange>, exchange_count: usize) -> SyncReport {
        SyncReport {
            persona: self.persona,
            cycle: self.cycles,
            exchanges,
            exchange_count,
            outcomes: c.outcomes,
            outcome_counts: c.counts,
            errors: c.errors,
        }
    }
}
