//! The sync engine: turns Directory changes into a persona's SCIM exchanges, cycle by
//! cycle, keeping the target ids it learnt and what it last sent.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

use futures_util::stream::{FuturesUnordered, StreamExt};

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use crate::directory::{DirGroup, DirUser, Directory};
use crate::persona::{encode_segment, eq_filter, Family, PersonaId, RequestKind};
use crate::transport::{
    recorded, Exchange, Http, Reply, RequestBody, ScimTarget, Transcript, TranscriptSink,
    TransportError,
};
use crate::wire::{self, ActiveChange, Attr, Attrs, EntraChange, OktaMember, PackedAttrs};

/// At most this many membership changes go into one PATCH (okta-scim.md §4 [OINMGR]);
/// used for every persona, since Entra documents batching but no number.
pub const MEMBER_BATCH: usize = 100;

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
    /// [`TranscriptSink`] through [`SyncEngine::cycle_to`].
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

#[derive(Debug, Clone)]
struct UserLink {
    target_id: String,
    /// What the target holds as far as this engine knows (last sent or read).
    attrs: PackedAttrs,
    active: bool,
    /// Target id of the manager last sent.
    manager: Option<String>,
    /// Deleted in the target by this engine.
    gone: bool,
    /// `InvalidAnchor`: reported once, then left alone until [`SyncEngine::restart`].
    broken: bool,
}

#[derive(Debug, Clone)]
struct GroupLink {
    target_id: String,
    display_name: String,
    /// Directory ids of the users this engine made members.
    members: BTreeSet<String>,
    broken: bool,
}

/// Drives one persona against one target. Keeps target ids and what it last sent, so
/// each [`SyncEngine::cycle`] after the first sends only what changed.
pub struct SyncEngine {
    persona: PersonaId,
    http: Http,
    users: BTreeMap<String, UserLink>,
    groups: BTreeMap<String, GroupLink>,
    connection_tested: bool,
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

/// Per-cycle scratch state.
#[derive(Default)]
struct Cycle {
    outcomes: Vec<Outcome>,
    errors: Vec<SyncIssue>,
    /// Users with a manager whose resource was fetched or created in this cycle, and
    /// whether that resource had a manager; spares the manager PATCH its GET.
    manager_seen: BTreeMap<String, bool>,
    /// Groups fetched (Entra GET before PATCH) in this cycle.
    fetched_groups: HashSet<String>,
    /// Groups created, linked or renamed in this cycle (Okta AIW pushes them).
    touched_groups: HashSet<String>,
    /// Users linked to an existing resource in this cycle.
    linked: HashSet<String>,
}

impl Cycle {
    /// Move out what this cycle knows about the object `id`, for one object's work.
    fn split_off(&mut self, id: &str) -> Cycle {
        let mut part = Cycle::default();
        if let Some((k, v)) = self.manager_seen.remove_entry(id) {
            part.manager_seen.insert(k, v);
        }
        for (from, to) in [
            (&mut self.fetched_groups, &mut part.fetched_groups),
            (&mut self.touched_groups, &mut part.touched_groups),
            (&mut self.linked, &mut part.linked),
        ] {
            if let Some(k) = from.take(id) {
                to.insert(k);
            }
        }
        part
    }

    /// Take back one object's state, outcomes and errors.
    fn absorb(&mut self, part: Cycle) {
        self.outcomes.extend(part.outcomes);
        self.errors.extend(part.errors);
        self.manager_seen.extend(part.manager_seen);
        self.fetched_groups.extend(part.fetched_groups);
        self.touched_groups.extend(part.touched_groups);
        self.linked.extend(part.linked);
    }
}

/// A failed request, before it is attached to an object.
struct Failure {
    code: IssueCode,
    message: String,
}

type Step<T> = Result<T, Failure>;

fn fail<T>(code: IssueCode, message: impl Into<String>) -> Step<T> {
    Err(Failure {
        code,
        message: message.into(),
    })
}

fn user_ref(id: &str) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::User,
        id: id.to_owned(),
    }
}

fn group_ref(id: &str) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::Group,
        id: id.to_owned(),
    }
}

impl SyncEngine {
    pub fn new(persona: PersonaId, target: ScimTarget) -> SyncEngine {
        SyncEngine {
            persona,
            http: Http::new(persona, target),
            users: BTreeMap::new(),
            groups: BTreeMap::new(),
            connection_tested: false,
            cycles: 0,
            numbered: 0,
            password_seed: u64::from(uuid::Uuid::new_v4().as_u128() as u32),
        }
    }

    pub fn persona(&self) -> PersonaId {
        self.persona
    }

    /// The target id cached for a directory user.
    pub fn user_target_id(&self, directory_id: &str) -> Option<&str> {
        self.users.get(directory_id).map(|l| l.target_id.as_str())
    }

    /// The target id cached for a directory group.
    pub fn group_target_id(&self, directory_id: &str) -> Option<&str> {
        self.groups.get(directory_id).map(|l| l.target_id.as_str())
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
        let probed = pass.probe_recorded().await;
        let count = pass.finish();
        if let Err(f) = probed {
            c.errors.push(SyncIssue {
                object: user_ref(""),
                operation: "test connection".into(),
                code: IssueCode::ConnectionFailed,
                message: f.message,
            });
        } else {
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
        let mut c = Cycle::default();
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
            http: &self.http,
            users: Mutex::new(&mut self.users),
            groups: Mutex::new(&mut self.groups),
            password_seed: Mutex::new(&mut self.password_seed),
            out: Mutex::new(Out {
                sink,
                numbered: &mut self.numbered,
                count: 0,
            }),
        }
    }

    fn report(&self, c: Cycle, exchanges: Vec<Exchange>, exchange_count: usize) -> SyncReport {
        SyncReport {
            persona: self.persona,
            cycle: self.cycles,
            exchanges,
            exchange_count,
            outcomes: c.outcomes,
            errors: c.errors,
        }
    }
}

/// Where a pass puts finished exchanges: numbered on from the engine's last, into the
/// caller's sink.
struct Out<'a> {
    sink: &'a mut dyn TranscriptSink,
    numbered: &'a mut u64,
    count: usize,
}

impl Out<'_> {
    fn emit(&mut self, exchanges: Vec<Exchange>) {
        for mut e in exchanges {
            *self.numbered += 1;
            e.seq = *self.numbered;
            self.count += 1;
            self.sink.exchange(e);
        }
    }
}

/// At least this many objects of a phase may finish ahead of the oldest unfinished one
/// (their exchanges wait for it, to keep the transcript in directory order); beyond
/// that, no further object starts until it finishes, so a slow object bounds memory
/// instead of letting finished work pile up.
const HELD_OBJECTS: usize = 1024;

/// One cycle's view of the engine. Objects of a phase run concurrently up to the
/// [`SyncLimits`](crate::SyncLimits) cap, all through `&self`; the maps are locked only
/// between awaits, never across one.
struct Pass<'a> {
    persona: PersonaId,
    http: &'a Http,
    users: Mutex<&'a mut BTreeMap<String, UserLink>>,
    groups: Mutex<&'a mut BTreeMap<String, GroupLink>>,
    password_seed: Mutex<&'a mut u64>,
    out: Mutex<Out<'a>>,
}

impl<'a> Pass<'a> {
    fn users(&self) -> MutexGuard<'_, &'a mut BTreeMap<String, UserLink>> {
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn groups(&self) -> MutexGuard<'_, &'a mut BTreeMap<String, GroupLink>> {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hand finished exchanges to the sink, after any made outside an object's work.
    fn emit(&self, exchanges: Vec<Exchange>) {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        let stray = self.http.take_stray();
        if !stray.is_empty() {
            out.emit(stray);
        }
        out.emit(exchanges);
    }

    /// How many exchanges went to the sink.
    fn finish(self) -> usize {
        self.emit(Vec::new());
        self.out
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .count
    }

    async fn probe_recorded(&self) -> Step<()> {
        let (probed, exchanges) = recorded(self.probe()).await;
        self.emit(exchanges);
        probed
    }

    /// Test Connection if asked, then the four phases (entra-scim.md §4 "Cycles": users
    /// and groups first, then memberships; manager in extra updates). Each phase ends
    /// before the next starts, so a user exists before its manager link and its
    /// memberships. Returns whether the connection test, if run, passed.
    async fn run(&self, dir: &Directory, probe: bool, c: &mut Cycle) -> bool {
        if probe {
            if let Err(f) = self.probe_recorded().await {
                c.errors.push(SyncIssue {
                    object: user_ref(""),
                    operation: "test connection".into(),
                    code: IssueCode::ConnectionFailed,
                    message: f.message,
                });
                return false;
            }
        }
        fn user_id(u: &DirUser) -> &str {
            &u.id
        }
        fn group_id(g: &DirGroup) -> &str {
            &g.id
        }
        self.each(c, dir.users(), user_id, |user, mut part| async move {
            self.sync_user(dir, user, &mut part).await;
            part
        })
        .await;
        if self.persona.family() != Family::Okta {
            self.each(c, dir.users(), user_id, |user, mut part| async move {
                self.sync_manager(user, &mut part).await;
                part
            })
            .await;
        }
        self.each(c, dir.groups(), group_id, |group, mut part| async move {
            self.sync_group(group, &mut part).await;
            part
        })
        .await;
        self.each(c, dir.groups(), group_id, |group, mut part| async move {
            self.sync_members(dir, group, &mut part).await;
            part
        })
        .await;
        true
    }

    /// Run `work` for every item, at most `concurrency` at once. Each object gets its own
    /// slice of the cycle's scratch state and records its own exchanges; exchanges,
    /// outcomes and errors are handed on in item order as soon as every earlier item is
    /// done, so a report or transcript does not depend on timing.
    async fn each<'s, T, F, Fut>(
        &'s self,
        c: &mut Cycle,
        items: &'s [T],
        id: impl Fn(&T) -> &str,
        work: F,
    ) where
        F: Fn(&'s T, Cycle) -> Fut,
        Fut: Future<Output = Cycle>,
    {
        let cap = self.http.concurrency();
        let window = HELD_OBJECTS.max(cap.saturating_mul(4));
        let work = &work;
        let mut pending = items.iter().enumerate().peekable();
        let mut running = FuturesUnordered::new();
        // Finished items waiting for an earlier one, by index.
        let mut finished: BTreeMap<usize, (Cycle, Vec<Exchange>)> = BTreeMap::new();
        let mut next = 0;
        loop {
            while running.len() < cap {
                let Some((index, item)) = pending.next_if(|(i, _)| *i < next + window) else {
                    break;
                };
                let part = c.split_off(id(item));
                // Boxed here, where it is made: an object's future is several KiB, and
                // FuturesUnordered would otherwise move it a few times on the way in.
                running.push(Box::pin(async move {
                    let (part, exchanges) = recorded(work(item, part)).await;
                    (index, part, exchanges)
                }));
            }
            let Some((index, part, exchanges)) = running.next().await else {
                break;
            };
            finished.insert(index, (part, exchanges));
            while let Some((part, exchanges)) = finished.remove(&next) {
                self.emit(exchanges);
                c.absorb(part);
                next += 1;
            }
        }
    }

    // ---- HTTP ------------------------------------------------------------------------

    async fn call(
        &self,
        method: Method,
        kind: RequestKind,
        path: &str,
        body: Option<Value>,
    ) -> Step<Reply> {
        let body = body.as_ref().map(RequestBody::from_value);
        self.call_with(method, kind, path, body).await
    }

    /// [`Pass::call`] with a body already written.
    async fn call_with(
        &self,
        method: Method,
        kind: RequestKind,
        path: &str,
        body: Option<RequestBody>,
    ) -> Step<Reply> {
        let reply = self.http.send(method, kind, path, body).await;
        match reply {
            Ok(r) => Ok(r),
            Err(TransportError::Timeout(d)) => {
                fail(IssueCode::Timeout, format!("no response within {d:?}"))
            }
            Err(e) => fail(IssueCode::Transport, e.to_string()),
        }
    }

    fn status_failure(reply: &Reply, what: &str) -> Failure {
        let code = match reply.status {
            409 => IssueCode::Conflict,
            429 => IssueCode::TooManyRequests,
            s if s >= 500 => IssueCode::ServerError,
            _ => IssueCode::Rejected,
        };
        let detail = reply
            .json
            .as_ref()
            .and_then(|j| j.get("detail"))
            .and_then(Value::as_str)
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        Failure {
            code,
            message: format!("{what} answered {}{detail}", reply.status),
        }
    }

    fn expect(reply: Reply, ok: &[u16], what: &str) -> Step<Reply> {
        if ok.contains(&reply.status) {
            Ok(reply)
        } else {
            Err(Self::status_failure(&reply, what))
        }
    }

    fn json_object(reply: Reply, what: &str) -> Step<Value> {
        match reply.json {
            Some(v @ Value::Object(_)) => Ok(v),
            _ if reply.empty => fail(
                IssueCode::ServiceIncompatible,
                format!("{what} returned an empty body"),
            ),
            _ => fail(
                IssueCode::ServiceIncompatible,
                format!("{what} returned a body that is not a json object"),
            ),
        }
    }

    /// Test Connection: entra-scim.md §1.1, okta-scim.md §3 "Test connection".
    async fn probe(&self) -> Step<()> {
        let path = match self.persona.family() {
            Family::Entra => {
                let guid = uuid::Uuid::new_v4().to_string();
                let filter = eq_filter("userName", &guid);
                format!("/Users?filter={}", self.persona.encode_query(&filter))
            }
            Family::Okta => "/Users?startIndex=1&count=2".to_owned(),
            // RFC 7644 §4: service provider configuration.
            Family::Rfc => "/ServiceProviderConfig".to_owned(),
        };
        let reply = self
            .call(Method::GET, RequestKind::TestConnection, &path, None)
            .await?;
        let reply = Self::expect(reply, &[200], "test connection")?;
        let body = Self::json_object(reply, "test connection")?;
        if self.persona.family() == Family::Entra {
            // entra-scim.md §1.1: only 200 with an empty ListResponse is correct.
            let list: scim::model::ListResponse<Value> =
                serde_json::from_value(body).map_err(|e| Failure {
                    code: IssueCode::ServiceIncompatible,
                    message: format!("test connection: not a list response: {e}"),
                })?;
            if !list.resources.is_empty() {
                return fail(
                    IssueCode::ServiceIncompatible,
                    "test connection: a random userName matched a user",
                );
            }
        }
        Ok(())
    }

    /// Lookup by filter; `Ok(None)` when nothing matches.
    async fn lookup(&self, kind: ObjectKind, value: &str) -> Step<Option<Value>> {
        let (resource, attr) = match kind {
            ObjectKind::User => ("Users", "userName"),
            ObjectKind::Group => ("Groups", "displayName"),
        };
        let filter = self.persona.encode_query(&eq_filter(attr, value));
        let path = match (self.persona.family(), kind) {
            // entra-scim.md §1.7 and §3: excludedAttributes before filter for groups.
            (Family::Entra, ObjectKind::Group) => {
                format!("/Groups?excludedAttributes=members&filter={filter}")
            }
            // entra-scim.md §1.1: no paging parameters.
            (Family::Entra, ObjectKind::User) | (Family::Rfc, _) => {
                format!("/{resource}?filter={filter}")
            }
            // okta-scim.md §1 "Filters and paging" [R20].
            (Family::Okta, _) => format!("/{resource}?filter={filter}&startIndex=1&count=100"),
        };
        let reply = self
            .call(Method::GET, RequestKind::Read, &path, None)
            .await?;
        // okta-scim.md §1 "Response rules": a 404 with the Error schema means no match.
        if reply.status == 404 && self.persona.family() == Family::Okta {
            return Ok(None);
        }
        let reply = Self::expect(reply, &[200], "filter query")?;
        let body = Self::json_object(reply, "filter query")?;
        let list: scim::model::ListResponse<Value> =
            serde_json::from_value(body).map_err(|e| Failure {
                code: IssueCode::ServiceIncompatible,
                message: format!("filter query: not a list response: {e}"),
            })?;
        let mut found = list.resources.into_iter();
        let first = found.next();
        if found.next().is_some() && self.persona.family() != Family::Okta {
            let code = match kind {
                ObjectKind::User => IssueCode::DuplicateTargetEntries,
                ObjectKind::Group => IssueCode::MultipleEntriesInResponse,
            };
            return fail(
                code,
                format!("filter {attr} eq \"{value}\" matched several resources"),
            );
        }
        if let (Family::Entra, ObjectKind::Group, Some(g)) = (self.persona.family(), kind, &first) {
            // entra-scim.md §1.7 [LOGS]: members in a lookup response is an error.
            if g.get("members")
                .and_then(Value::as_array)
                .is_some_and(|m| !m.is_empty())
            {
                return fail(
                    IssueCode::MultipleEntriesInResponse,
                    "group lookup returned members despite excludedAttributes=members",
                );
            }
        }
        match first {
            Some(r) if r.get("id").and_then(Value::as_str).is_some() => Ok(Some(r)),
            Some(_) => fail(
                IssueCode::ServiceIncompatible,
                "filter query: a resource without id",
            ),
            None => Ok(None),
        }
    }

    fn user_path(target_id: &str) -> String {
        format!("/Users/{}", encode_segment(target_id))
    }

    fn group_path(target_id: &str) -> String {
        format!("/Groups/{}", encode_segment(target_id))
    }

    /// GET by cached id; a 404 is `InvalidAnchor` (entra-scim.md §4).
    async fn get_by_id(&self, path: &str) -> Step<Value> {
        let reply = self
            .call(Method::GET, RequestKind::Read, path, None)
            .await?;
        if reply.status == 404 {
            return fail(
                IssueCode::InvalidAnchor,
                format!("GET {path} answered 404: the cached id no longer exists"),
            );
        }
        let reply = Self::expect(reply, &[200], "get by id")?;
        Self::json_object(reply, "get by id")
    }

    fn password(&self) -> String {
        // okta-scim.md §3 "Create": always sent, value irrelevant.
        const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyz0123456789";
        let seed = {
            let mut seed = self
                .password_seed
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            **seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            **seed
        };
        let mut h = seed >> 11;
        (0..8)
            .map(|_| {
                let c = ALPHABET[(h % ALPHABET.len() as u64) as usize] as char;
                h /= ALPHABET.len() as u64;
                c
            })
            .collect()
    }

    // ---- users -----------------------------------------------------------------------

    async fn sync_user(&self, dir: &Directory, user: &DirUser, c: &mut Cycle) {
        let obj = user_ref(&user.id);
        // `Some(true)`: deleted or broken, left alone.
        let left_alone = self.users().get(&user.id).map(|l| l.gone || l.broken);
        let step = match left_alone {
            // A match is linked, then brought up to date in the same cycle
            // (entra-scim.md §1.2 [HOW]; okta-scim.md §3 "Assign user" step 3).
            None if user.is_active() => match self.provision_user(user, c).await {
                Ok(()) if c.linked.contains(&user.id) => self.update_user(dir, user, c).await,
                other => other,
            },
            None | Some(true) => Ok(()),
            Some(false) => self.update_user(dir, user, c).await,
        };
        if let Err(f) = step {
            if f.code == IssueCode::InvalidAnchor {
                if let Some(l) = self.users().get_mut(&user.id) {
                    l.broken = true;
                }
            }
            c.errors.push(SyncIssue {
                object: obj,
                operation: "sync user".into(),
                code: f.code,
                message: f.message,
            });
        }
    }

    fn record(&self, c: &mut Cycle, object: ObjectRef, action: Action, target_id: &str) {
        c.outcomes.push(Outcome {
            object,
            action,
            target_id: Some(target_id.to_owned()),
        });
    }

    /// Lookup, then link or create (entra-scim.md §1.2, okta-scim.md §3 "Assign user").
    async fn provision_user(&self, user: &DirUser, c: &mut Cycle) -> Step<()> {
        let attrs = wire::user_attrs(self.persona, user);
        let login = &user.profile.user_principal_name;
        if let Some(found) = self.lookup(ObjectKind::User, login).await? {
            return self.link_user(user, found, c).await;
        }
        let password = self.password();
        let body = wire::create_user_body(self.persona, &attrs, &password);
        let reply = self
            .call_with(Method::POST, RequestKind::Write, "/Users", Some(body))
            .await?;
        if reply.status == 409 && self.persona.family() == Family::Rfc {
            // RFC 7644 §3.3: the resource exists; match it again and link.
            if let Some(found) = self.lookup(ObjectKind::User, login).await? {
                return self.link_user(user, found, c).await;
            }
        }
        let reply = Self::expect(reply, &[200, 201], "create user")?;
        if reply.empty && self.persona.family() == Family::Okta {
            // okta-scim.md §3 "Assign user" [R20].
            return fail(
                IssueCode::ServiceIncompatible,
                format!("Create new user returned empty user ({login})"),
            );
        }
        let created = Self::json_object(reply, "create user")?;
        let Some(id) = created.get("id").and_then(Value::as_str).map(str::to_owned) else {
            return fail(
                IssueCode::ServiceIncompatible,
                "create user: response has no id",
            );
        };
        self.users().insert(
            user.id.clone(),
            UserLink {
                target_id: id.clone(),
                attrs: PackedAttrs::pack(&attrs),
                active: true,
                manager: None,
                gone: false,
                broken: false,
            },
        );
        if user.profile.manager.is_some() {
            c.manager_seen.insert(user.id.clone(), false);
        }
        self.record(c, user_ref(&user.id), Action::Created, &id);
        Ok(())
    }

    /// Adopt a matched resource. Its current values become the known state, so the
    /// update that follows sends only the differences; Okta always pushes the profile
    /// with `active:true` on a match (okta-scim.md §3 "Assign user" step 3).
    async fn link_user(&self, user: &DirUser, found: Value, c: &mut Cycle) -> Step<()> {
        let id = found["id"].as_str().unwrap_or_default().to_owned();
        let okta = self.persona.family() == Family::Okta;
        let attrs = if okta {
            Attrs::new()
        } else {
            wire::user_attrs(self.persona, user)
                .keys()
                .filter_map(|k| k.read(&found).map(|v| (*k, v)))
                .collect()
        };
        let active = !okta
            && found
                .get("active")
                .and_then(scim::model::parse_bool)
                .unwrap_or(true);
        self.users().insert(
            user.id.clone(),
            UserLink {
                target_id: id.clone(),
                attrs: PackedAttrs::pack(&attrs),
                active,
                manager: wire::read_manager(&found),
                gone: false,
                broken: false,
            },
        );
        c.linked.insert(user.id.clone());
        self.record(c, user_ref(&user.id), Action::Linked, &id);
        Ok(())
    }

    async fn update_user(&self, dir: &Directory, user: &DirUser, c: &mut Cycle) -> Step<()> {
        let _ = dir;
        let Some(link) = self.users().get(&user.id).cloned() else {
            return Ok(());
        };
        let desired = wire::user_attrs(self.persona, user);
        let family = self.persona.family();
        let wants_active = user.is_active();
        // Hard delete: entra-scim.md §1.6 (DELETE only while still assigned); Okta never
        // deletes (okta-scim.md §3 "Deprovision"), it deactivates; rfc deletes.
        if user.hard_deleted {
            match family {
                Family::Entra if user.assigned => return self.delete_user(user, &link, c).await,
                Family::Entra => return Ok(()),
                Family::Rfc => return self.delete_user(user, &link, c).await,
                Family::Okta => {}
            }
        }
        let attrs_changed = !link.attrs.holds(&desired);
        let active_changed = wants_active != link.active;
        if !attrs_changed && !active_changed {
            return Ok(());
        }
        match family {
            Family::Entra => {
                self.entra_update(user, &link, desired, wants_active, c)
                    .await
            }
            Family::Okta => {
                self.okta_update(user, &link, desired, wants_active, c)
                    .await
            }
            Family::Rfc => self.rfc_update(user, &link, desired, wants_active, c).await,
        }
    }

    fn note_user_change(
        &self,
        c: &mut Cycle,
        user: &DirUser,
        attrs: Option<Attrs>,
        active: Option<bool>,
        target_id: &str,
    ) {
        if let Some(link) = self.users().get_mut(&user.id) {
            let was = link.active;
            if let Some(a) = attrs {
                if !link.attrs.holds(&a) {
                    link.attrs = PackedAttrs::pack(&a);
                    c.outcomes.push(Outcome {
                        object: user_ref(&user.id),
                        action: Action::Updated,
                        target_id: Some(target_id.to_owned()),
                    });
                }
            }
            if let Some(active) = active {
                link.active = active;
                if active != was {
                    let action = if active {
                        Action::Enabled
                    } else {
                        Action::Disabled
                    };
                    c.outcomes.push(Outcome {
                        object: user_ref(&user.id),
                        action,
                        target_id: Some(target_id.to_owned()),
                    });
                }
            }
        }
    }

    /// entra-scim.md §1.3–§1.5: GET by id, then one PATCH with `Add` for attributes the
    /// target lacks and `Replace` for those it has; cleared values are not sent.
    async fn entra_update(
        &self,
        user: &DirUser,
        link: &UserLink,
        desired: Attrs,
        wants_active: bool,
        c: &mut Cycle,
    ) -> Step<()> {
        let path = Self::user_path(&link.target_id);
        let current = self.get_by_id(&path).await?;
        if user.profile.manager.is_some() {
            let had = wire::read_manager(&current).is_some();
            c.manager_seen.insert(user.id.clone(), had);
        }
        let changes: Vec<EntraChange> = desired
            .iter()
            .filter_map(|(attr, value)| {
                let now = attr.read(&current);
                (now.as_deref() != Some(value.as_str())).then(|| EntraChange {
                    attr: *attr,
                    present: now.is_some(),
                    value: value.clone(),
                })
            })
            .collect();
        let current_active = current.get("active").and_then(scim::model::parse_bool);
        let active = (current_active != Some(wants_active) || wants_active != link.active)
            .then_some(ActiveChange {
                active: wants_active,
                present: current.get("active").is_some(),
            });
        if !changes.is_empty() || active.is_some() {
            let body = wire::entra_user_patch(self.persona.aadopt(), &changes, active);
            let reply = self
                .call(Method::PATCH, RequestKind::Write, &path, Some(body))
                .await?;
            Self::expect(reply, &[200, 204], "patch user")?;
        }
        self.note_user_change(c, user, Some(desired), Some(wants_active), &link.target_id);
        Ok(())
    }

    /// okta-scim.md §2 and §3: GET then PUT of the whole resource (AIW: every write,
    /// deactivate and reactivate included; OIN: profile only), PATCH `{"active":…}` for
    /// OIN (de)activation. AIW reactivation starts with the filter lookup [DF].
    async fn okta_update(
        &self,
        user: &DirUser,
        link: &UserLink,
        desired: Attrs,
        wants_active: bool,
        c: &mut Cycle,
    ) -> Step<()> {
        let oin = self.persona == PersonaId::OktaOin;
        let path = Self::user_path(&link.target_id);
        let attrs_changed = !link.attrs.holds(&desired);
        let active_changed = wants_active != link.active;
        if !oin && active_changed && wants_active && !c.linked.contains(&user.id) {
            self.lookup(ObjectKind::User, &user.profile.user_principal_name)
                .await?;
        }
        if attrs_changed || (!oin && active_changed) {
            let current = self.get_by_id(&path).await?;
            let active = (!oin).then_some(wants_active);
            let body = wire::okta_put_body(&current, &desired, active);
            let reply = self
                .call(Method::PUT, RequestKind::Write, &path, Some(body))
                .await?;
            Self::expect(reply, &[200, 204], "put user")?;
            let active = if oin { None } else { Some(wants_active) };
            self.note_user_change(c, user, Some(desired.clone()), active, &link.target_id);
        }
        if oin && active_changed {
            let body = wire::okta_active_patch(wants_active);
            let reply = self
                .call(Method::PATCH, RequestKind::Write, &path, Some(body))
                .await?;
            Self::expect(reply, &[200, 204], "patch user")?;
            self.note_user_change(c, user, None, Some(wants_active), &link.target_id);
        }
        Ok(())
    }

    /// RFC 7644 §3.5.2: PATCH `replace`/`remove` with paths, no GET.
    async fn rfc_update(
        &self,
        user: &DirUser,
        link: &UserLink,
        desired: Attrs,
        wants_active: bool,
        c: &mut Cycle,
    ) -> Step<()> {
        let mut keys: BTreeSet<Attr> = desired.keys().copied().collect();
        keys.extend(link.attrs.iter().map(|(k, _)| k));
        let changes: Vec<(Attr, Option<String>)> = keys
            .into_iter()
            .filter(|k| desired.get(k).map(String::as_str) != link.attrs.get(*k))
            .map(|k| (k, desired.get(&k).cloned()))
            .collect();
        let active = (wants_active != link.active).then_some(wants_active);
        let body = wire::rfc_user_patch(&changes, active);
        let path = Self::user_path(&link.target_id);
        let reply = self
            .call(Method::PATCH, RequestKind::Write, &path, Some(body))
            .await?;
        Self::expect(reply, &[200, 204], "patch user")?;
        self.note_user_change(c, user, Some(desired), Some(wants_active), &link.target_id);
        Ok(())
    }

    async fn delete_user(&self, user: &DirUser, link: &UserLink, c: &mut Cycle) -> Step<()> {
        let path = Self::user_path(&link.target_id);
        if self.persona.family() == Family::Entra {
            // QA1195656: "GET calls will always precede other actions".
            self.get_by_id(&path).await?;
        }
        let reply = self
            .call(Method::DELETE, RequestKind::Delete, &path, None)
            .await?;
        Self::expect(reply, &[200, 204], "delete user")?;
        if let Some(l) = self.users().get_mut(&user.id) {
            l.gone = true;
        }
        self.record(c, user_ref(&user.id), Action::Deleted, &link.target_id);
        Ok(())
    }

    /// The manager in its own PATCH after the user exists (entra-scim.md §1.2
    /// [AZ45885]). A cleared manager is not sent (§1.4 [KNOWN]).
    async fn sync_manager(&self, user: &DirUser, c: &mut Cycle) {
        let Some(link) = self.users().get(&user.id).cloned() else {
            return;
        };
        if link.gone || link.broken || user.hard_deleted {
            return;
        }
        let Some(manager_dir) = &user.profile.manager else {
            return;
        };
        let Some(manager) = self
            .users()
            .get(manager_dir)
            .filter(|m| !m.gone && !m.broken)
            .map(|m| m.target_id.clone())
        else {
            return;
        };
        if link.manager.as_deref() == Some(manager.as_str()) {
            return;
        }
        let path = Self::user_path(&link.target_id);
        let step: Step<()> = async {
            let body = match self.persona.family() {
                Family::Entra => {
                    let present = match c.manager_seen.get(&user.id) {
                        Some(had) => *had,
                        None => wire::read_manager(&self.get_by_id(&path).await?).is_some(),
                    };
                    wire::entra_manager_patch(self.persona.aadopt(), present, &manager)
                }
                _ => wire::rfc_manager_patch(&manager),
            };
            let reply = self
                .call(Method::PATCH, RequestKind::Write, &path, Some(body))
                .await?;
            Self::expect(reply, &[200, 204], "patch manager")?;
            Ok(())
        }
        .await;
        match step {
            Ok(()) => {
                if let Some(l) = self.users().get_mut(&user.id) {
                    l.manager = Some(manager);
                }
                self.record(c, user_ref(&user.id), Action::ManagerSet, &link.target_id);
            }
            Err(f) => c.errors.push(SyncIssue {
                object: user_ref(&user.id),
                operation: "set manager".into(),
                code: f.code,
                message: f.message,
            }),
        }
    }

    // ---- groups ----------------------------------------------------------------------

    async fn sync_group(&self, group: &DirGroup, c: &mut Cycle) {
        let step = self.sync_group_inner(group, c).await;
        if let Err(f) = step {
            if f.code == IssueCode::InvalidAnchor {
                if let Some(l) = self.groups().get_mut(&group.id) {
                    l.broken = true;
                }
            }
            c.errors.push(SyncIssue {
                object: group_ref(&group.id),
                operation: "sync group".into(),
                code: f.code,
                message: f.message,
            });
        }
    }

    async fn sync_group_inner(&self, group: &DirGroup, c: &mut Cycle) -> Step<()> {
        let link = self.groups().get(&group.id).cloned();
        match link {
            Some(link) if link.broken => Ok(()),
            // entra-scim.md §1.7 "Delete"; okta-scim.md §4 "Delete and unlink".
            Some(link) if group.deleted => {
                let path = Self::group_path(&link.target_id);
                if self.persona.family() == Family::Entra {
                    self.get_by_id(&format!("{path}?excludedAttributes=members"))
                        .await?;
                }
                let reply = self
                    .call(Method::DELETE, RequestKind::Delete, &path, None)
                    .await?;
                Self::expect(reply, &[200, 204], "delete group")?;
                self.groups().remove(&group.id);
                self.record(c, group_ref(&group.id), Action::Deleted, &link.target_id);
                Ok(())
            }
            // Taken off the push list: "Leave the group in the target app" sends nothing.
            Some(link) if !group.pushed => {
                self.groups().remove(&group.id);
                self.record(c, group_ref(&group.id), Action::Unlinked, &link.target_id);
                Ok(())
            }
            Some(link) if link.display_name != group.display_name => {
                self.rename_group(group, &link, c).await
            }
            Some(_) => Ok(()),
            None if group.deleted || !group.pushed => Ok(()),
            None => self.provision_group(group, c).await,
        }
    }

    async fn provision_group(&self, group: &DirGroup, c: &mut Cycle) -> Step<()> {
        let (id, action) = match self.lookup(ObjectKind::Group, &group.display_name).await? {
            // Okta needs "Link Group" for an existing name (okta-scim.md §4 [PLAN C9315]);
            // this persona plays an admin who chose it.
            Some(found) => (
                found["id"].as_str().unwrap_or_default().to_owned(),
                Action::Linked,
            ),
            None => {
                let body = wire::create_group_body(self.persona, group);
                let reply = self
                    .call(Method::POST, RequestKind::Write, "/Groups", Some(body))
                    .await?;
                let reply = Self::expect(reply, &[200, 201], "create group")?;
                let created = Self::json_object(reply, "create group")?;
                let Some(id) = created.get("id").and_then(Value::as_str) else {
                    return fail(
                        IssueCode::ServiceIncompatible,
                        "create group: response has no id",
                    );
                };
                (id.to_owned(), Action::Created)
            }
        };
        self.groups().insert(
            group.id.clone(),
            GroupLink {
                target_id: id.clone(),
                display_name: group.display_name.clone(),
                members: BTreeSet::new(),
                broken: false,
            },
        );
        c.touched_groups.insert(group.id.clone());
        self.record(c, group_ref(&group.id), action, &id);
        Ok(())
    }

    async fn rename_group(&self, group: &DirGroup, link: &GroupLink, c: &mut Cycle) -> Step<()> {
        let path = Self::group_path(&link.target_id);
        match self.persona {
            // Okta AIW renames with the membership PUT (okta-scim.md §2 table).
            PersonaId::Okta => {
                c.touched_groups.insert(group.id.clone());
            }
            p => {
                if p.family() == Family::Entra {
                    self.entra_group_get(group, &path, c).await?;
                }
                let body = wire::rename_group_patch(p, &link.target_id, &group.display_name);
                let reply = self
                    .call(Method::PATCH, RequestKind::Write, &path, Some(body))
                    .await?;
                Self::expect(reply, &[200, 204], "rename group")?;
            }
        }
        if self.persona != PersonaId::Okta {
            if let Some(l) = self.groups().get_mut(&group.id) {
                l.display_name = group.display_name.clone();
            }
            self.record(c, group_ref(&group.id), Action::Renamed, &link.target_id);
        }
        Ok(())
    }

    /// entra-scim.md §1.7: every group GET carries `excludedAttributes=members`; once
    /// per group per cycle.
    async fn entra_group_get(&self, group: &DirGroup, path: &str, c: &mut Cycle) -> Step<()> {
        if c.fetched_groups.insert(group.id.clone()) {
            self.get_by_id(&format!("{path}?excludedAttributes=members"))
                .await?;
        }
        Ok(())
    }

    async fn sync_members(&self, dir: &Directory, group: &DirGroup, c: &mut Cycle) {
        let Some(link) = self.groups().get(&group.id).cloned() else {
            return;
        };
        if link.broken || group.deleted || !group.pushed {
            return;
        }
        let step = self.sync_members_inner(dir, group, &link, c).await;
        if let Err(f) = step {
            c.errors.push(SyncIssue {
                object: group_ref(&group.id),
                operation: "sync members".into(),
                code: f.code,
                message: f.message,
            });
        }
    }

    async fn sync_members_inner(
        &self,
        dir: &Directory,
        group: &DirGroup,
        link: &GroupLink,
        c: &mut Cycle,
    ) -> Step<()> {
        let okta = self.persona.family() == Family::Okta;
        // Target id and userName of every member that exists in the target.
        let mut live: BTreeMap<String, (OktaMember, bool)> = BTreeMap::new();
        for id in group.members.iter().chain(link.members.iter()) {
            if let Some(l) = self.users().get(id).filter(|l| !l.gone && !l.broken) {
                let display = dir
                    .user(id)
                    .map(|u| u.profile.user_principal_name.clone())
                    .unwrap_or_default();
                let m = OktaMember {
                    id: l.target_id.clone(),
                    display,
                };
                live.insert(id.clone(), (m, l.active));
            }
        }
        // Okta pushes only active users (okta-scim.md §4 preconditions); a member that
        // was pushed stays until removed from the group.
        let desired: Vec<String> = group
            .members
            .iter()
            .filter(|m| match live.get(*m) {
                Some((_, active)) => !okta || *active || link.members.contains(*m),
                None => false,
            })
            .cloned()
            .collect();
        let desired_set: BTreeSet<String> = desired.iter().cloned().collect();
        let adds: Vec<String> = desired
            .iter()
            .filter(|m| !link.members.contains(*m))
            .cloned()
            .collect();
        // Members deleted in the target left with their resource: drop without a request.
        let removes: Vec<String> = link
            .members
            .iter()
            .filter(|m| !desired_set.contains(*m) && live.contains_key(*m))
            .cloned()
            .collect();
        let member = |id: &String| {
            live.get(id).map(|l| l.0.clone()).unwrap_or(OktaMember {
                id: String::new(),
                display: String::new(),
            })
        };
        let path = Self::group_path(&link.target_id);
        let touched = c.touched_groups.contains(&group.id);
        if adds.is_empty() && removes.is_empty() && !(touched && self.persona == PersonaId::Okta) {
            self.set_members(group, desired_set);
            return Ok(());
        }
        match self.persona {
            // okta-scim.md §4 "Membership change (AIW apps)" and [LAB]: GET, then PUT
            // with displayName and the full member list.
            PersonaId::Okta => {
                self.get_by_id(&path).await?;
                let all: Vec<OktaMember> = desired.iter().map(member).collect();
                let body = wire::okta_group_put(&group.display_name, &all);
                let reply = self
                    .call(Method::PUT, RequestKind::Write, &path, Some(body))
                    .await?;
                Self::expect(reply, &[200, 204], "put group")?;
                self.set_members(group, desired_set);
                if link.display_name != group.display_name {
                    if let Some(l) = self.groups().get_mut(&group.id) {
                        l.display_name = group.display_name.clone();
                    }
                    self.record(c, group_ref(&group.id), Action::Renamed, &link.target_id);
                }
                self.note_members(c, group, &link.target_id, adds.len(), removes.len());
            }
            // okta-scim.md §4 "Rename (OIN)": the replace of id and displayName "is
            // triggered each time there's a group membership update operation"; then
            // removes and adds, at most MEMBER_BATCH changes a request.
            PersonaId::OktaOin | PersonaId::Rfc => {
                if self.persona == PersonaId::OktaOin {
                    let body = wire::rename_group_patch(
                        self.persona,
                        &link.target_id,
                        &group.display_name,
                    );
                    let reply = self
                        .call(Method::PATCH, RequestKind::Write, &path, Some(body))
                        .await?;
                    Self::expect(reply, &[200, 204], "patch group")?;
                }
                let mut changes: Vec<(bool, &String)> = removes
                    .iter()
                    .map(|r| (false, r))
                    .chain(adds.iter().map(|a| (true, a)))
                    .collect();
                while !changes.is_empty() {
                    let batch: Vec<(bool, &String)> =
                        changes.drain(..changes.len().min(MEMBER_BATCH)).collect();
                    let rm: Vec<String> = batch
                        .iter()
                        .filter(|b| !b.0)
                        .map(|b| member(b.1).id)
                        .collect();
                    let ad: Vec<OktaMember> =
                        batch.iter().filter(|b| b.0).map(|b| member(b.1)).collect();
                    let body = wire::okta_members_patch(&rm, &ad);
                    let reply = self
                        .call(Method::PATCH, RequestKind::Write, &path, Some(body))
                        .await?;
                    Self::expect(reply, &[200, 204], "patch group members")?;
                    let (n_add, n_rm) = (ad.len(), rm.len());
                    if let Some(l) = self.groups().get_mut(&group.id) {
                        for (add, id) in &batch {
                            if *add {
                                l.members.insert((*id).clone());
                            } else {
                                l.members.remove(*id);
                            }
                        }
                    }
                    self.note_members(c, group, &link.target_id, n_add, n_rm);
                }
                self.set_members(group, desired_set);
            }
            // entra-scim.md §1.7: GET (excluding members), then Add PATCHes with value
            // arrays, then Remove PATCHes (value array, or filtered paths with the flag).
            PersonaId::Entra | PersonaId::EntraAadOpt => {
                self.entra_group_get(group, &path, c).await?;
                let aadopt = self.persona.aadopt();
                for (add, list) in [(true, &adds), (false, &removes)] {
                    for chunk in list.chunks(MEMBER_BATCH) {
                        let ids: Vec<String> = chunk.iter().map(|m| member(m).id).collect();
                        let body = wire::entra_members_patch(aadopt, add, &ids);
                        let reply = self
                            .call(Method::PATCH, RequestKind::Write, &path, Some(body))
                            .await?;
                        Self::expect(reply, &[200, 204], "patch group members")?;
                        if let Some(l) = self.groups().get_mut(&group.id) {
                            for m in chunk {
                                if add {
                                    l.members.insert(m.clone());
                                } else {
                                    l.members.remove(m);
                                }
                            }
                        }
                        let (a, r) = if add {
                            (chunk.len(), 0)
                        } else {
                            (0, chunk.len())
                        };
                        self.note_members(c, group, &link.target_id, a, r);
                    }
                }
                self.set_members(group, desired_set);
            }
        }
        Ok(())
    }

    fn set_members(&self, group: &DirGroup, members: BTreeSet<String>) {
        if let Some(l) = self.groups().get_mut(&group.id) {
            l.members = members;
        }
    }

    fn note_members(
        &self,
        c: &mut Cycle,
        group: &DirGroup,
        target_id: &str,
        added: usize,
        removed: usize,
    ) {
        if added > 0 {
            self.record(
                c,
                group_ref(&group.id),
                Action::MembersAdded(added),
                target_id,
            );
        }
        if removed > 0 {
            self.record(
                c,
                group_ref(&group.id),
                Action::MembersRemoved(removed),
                target_id,
            );
        }
    }
}
