//! One cycle: its scratch state, the phases in order, and the objects of a phase run
//! concurrently with their exchanges handed on in directory order.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Notify;

use crate::directory::{DirGroup, DirUser, Directory};
use crate::persona::{Family, PersonaId};
use crate::transport::{recorded, Exchange, Http, TranscriptSink};

use super::engine::GroupLink;
use super::links::UserLinks;
use super::report::{Action, IssueCode, ObjectKind, ObjectRef, Outcome, SyncIssue};

/// A slice's items as `Cow`s, in a named type so that a future holding it stays `Send`
/// (rust-lang/rust#64552).
struct Borrowed<'d, T>(std::slice::Iter<'d, T>);

impl<'d, T: Clone> Iterator for Borrowed<'d, T> {
    type Item = Cow<'d, T>;

    fn next(&mut self) -> Option<Cow<'d, T>> {
        self.0.next().map(Cow::Borrowed)
    }
}

/// Per-cycle scratch state.
#[derive(Default)]
pub(super) struct Cycle {
    pub(super) outcomes: Vec<Outcome>,
    /// Outcomes counted by action, kept in `outcomes` or not.
    pub(super) counts: BTreeMap<&'static str, usize>,
    /// Count outcomes without keeping them (a sync of millions).
    pub(super) count_only: bool,
    /// This object's position in its phase (see [`Pass::streamed`]).
    pub(super) slot: usize,
    /// Exchanges [`Pass::streamed`] made and could not hand on yet.
    pub(super) held: Vec<Exchange>,
    pub(super) errors: Vec<SyncIssue>,
    /// Users with a manager whose resource was fetched or created in this cycle, and
    /// whether that resource had a manager; spares the manager PATCH its GET.
    pub(super) manager_seen: BTreeMap<String, bool>,
    /// Groups fetched (Entra GET before PATCH) in this cycle.
    pub(super) fetched_groups: HashSet<String>,
    /// Groups created, linked or renamed in this cycle (Okta AIW pushes them).
    pub(super) touched_groups: HashSet<String>,
    /// Users linked to an existing resource in this cycle.
    pub(super) linked: HashSet<String>,
}

impl Cycle {
    /// Move out what this cycle knows about the object `id`, for one object's work.
    fn split_off(&mut self, id: &str) -> Cycle {
        let mut part = Cycle {
            count_only: self.count_only,
            ..Cycle::default()
        };
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

    /// Note an operation on `object` that failed; the object is retried in a later cycle
    /// unless `code` says otherwise.
    pub(super) fn issue(
        &mut self,
        object: ObjectRef,
        operation: &str,
        code: IssueCode,
        message: String,
    ) {
        self.errors.push(SyncIssue {
            object,
            operation: operation.to_owned(),
            code,
            message,
        });
    }

    /// Note a successful step: counted, and kept unless `count_only`.
    pub(super) fn outcome(&mut self, o: Outcome) {
        let (name, n) = o.action.tally();
        *self.counts.entry(name).or_default() += n;
        if !self.count_only {
            self.outcomes.push(o);
        }
    }

    /// Take back one object's state, outcomes and errors.
    fn absorb(&mut self, part: Cycle) {
        self.outcomes.extend(part.outcomes);
        for (k, n) in part.counts {
            *self.counts.entry(k).or_default() += n;
        }
        self.errors.extend(part.errors);
        self.manager_seen.extend(part.manager_seen);
        self.fetched_groups.extend(part.fetched_groups);
        self.touched_groups.extend(part.touched_groups);
        self.linked.extend(part.linked);
    }
}

/// A failed request, before it is attached to an object.
pub(super) struct Failure {
    pub(super) code: IssueCode,
    pub(super) message: String,
}

pub(super) type Step<T> = Result<T, Failure>;

pub(super) fn fail<T>(code: IssueCode, message: impl Into<String>) -> Step<T> {
    Err(Failure {
        code,
        message: message.into(),
    })
}

pub(super) fn user_ref(id: &str) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::User,
        id: id.to_owned(),
    }
}

pub(super) fn group_ref(id: &str) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::Group,
        id: id.to_owned(),
    }
}

/// Where a pass puts finished exchanges: numbered on from the engine's last, into the
/// caller's sink.
pub(super) struct Out<'a> {
    pub(super) sink: &'a mut dyn TranscriptSink,
    pub(super) numbered: &'a mut u64,
    pub(super) count: usize,
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

/// An object that is not the oldest unfinished one of its phase holds at most about this
/// many exchanges, or bodies of this many bytes, of [`Pass::streamed`] requests, then
/// waits to be the oldest: a group's member PATCHes are many, and each answer may carry
/// the whole group, so holding them all would grow with the square of the group's size.
const HELD_EXCHANGES: usize = 16;
const HELD_BYTES: usize = 1 << 20;

/// The bytes of an exchange's bodies.
fn body_bytes(e: &Exchange) -> usize {
    let json = |j: &Option<crate::transport::JsonText>| j.as_ref().map_or(0, |j| j.as_str().len());
    json(&e.request_body) + json(&e.response_json) + e.response_text.as_ref().map_or(0, String::len)
}

/// One cycle's view of the engine. Objects of a phase run concurrently up to the
/// [`SyncLimits`](crate::SyncLimits) cap, all through `&self`; the maps are locked only
/// between awaits, never across one.
pub(super) struct Pass<'a> {
    pub(super) persona: PersonaId,
    pub(super) dialect: crate::dialect::Dialect,
    pub(super) http: &'a Http,
    pub(super) users: Mutex<&'a mut UserLinks>,
    pub(super) groups: Mutex<&'a mut BTreeMap<String, GroupLink>>,
    pub(super) password_seed: Mutex<&'a mut u64>,
    pub(super) out: Mutex<Out<'a>>,
    /// The position of the oldest unfinished object of the running phase.
    pub(super) head: AtomicUsize,
    /// Woken when `head` moves.
    pub(super) head_moved: Notify,
}

impl<'a> Pass<'a> {
    pub(super) fn users(&self) -> MutexGuard<'_, &'a mut UserLinks> {
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn groups(&self) -> MutexGuard<'_, &'a mut BTreeMap<String, GroupLink>> {
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

    /// Run one request of the object `c` belongs to and hand its exchanges on at once if
    /// the object is the oldest unfinished one of its phase (the transcript stays in
    /// order and a long object's exchanges do not pile up); otherwise hold them, and
    /// once [`HELD_EXCHANGES`] or [`HELD_BYTES`] are held wait to become the oldest. Every request of an
    /// object's phase goes through here, or none does, or the order would break.
    pub(super) async fn streamed<T>(&self, c: &mut Cycle, request: impl Future<Output = T>) -> T {
        let (out, exchanges) = recorded(request).await;
        c.held.extend(exchanges);
        if c.held.len() >= HELD_EXCHANGES
            || c.held.iter().map(body_bytes).sum::<usize>() >= HELD_BYTES
        {
            loop {
                let moved = self.head_moved.notified();
                if self.head.load(Ordering::Acquire) == c.slot {
                    break;
                }
                moved.await;
            }
        }
        if self.head.load(Ordering::Acquire) == c.slot {
            self.emit(std::mem::take(&mut c.held));
        }
        out
    }

    /// How many exchanges went to the sink.
    pub(super) fn finish(self) -> usize {
        self.emit(Vec::new());
        self.out
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .count
    }

    /// Test Connection, its exchanges handed on and a failure noted in `c`; whether it
    /// passed.
    pub(super) async fn test_connection(&self, c: &mut Cycle) -> bool {
        let (probed, exchanges) = recorded(self.probe()).await;
        self.emit(exchanges);
        match probed {
            Ok(()) => true,
            Err(f) => {
                c.issue(
                    user_ref(""),
                    "test connection",
                    IssueCode::ConnectionFailed,
                    f.message,
                );
                false
            }
        }
    }

    /// Test Connection if asked, then the four phases (entra-scim.md §4 "Cycles": users
    /// and groups first, then memberships; manager in extra updates). Each phase ends
    /// before the next starts, so a user exists before its manager link and its
    /// memberships. Returns whether the connection test, if run, passed.
    pub(super) async fn run(&self, dir: &Directory, probe: bool, c: &mut Cycle) -> bool {
        if probe && !self.test_connection(c).await {
            return false;
        }
        #[allow(clippy::ptr_arg)] // `each` hands its items by reference
        fn user_id<'u>(u: &'u Cow<'_, DirUser>) -> &'u str {
            &u.id
        }
        #[allow(clippy::ptr_arg)] // `each` hands its items by reference
        fn group_id<'g>(g: &'g Cow<'_, DirGroup>) -> &'g str {
            &g.id
        }
        self.each(c, dir.users(), user_id, |user, mut part| async move {
            self.sync_user(dir, &user, &mut part).await;
            part
        })
        .await;
        if self.persona.family() != Family::Okta {
            self.each(c, dir.users(), user_id, |user, mut part| async move {
                self.sync_manager(&user, &mut part).await;
                part
            })
            .await;
        }
        let groups = || Borrowed(dir.groups().iter());
        self.each(c, groups(), group_id, |group, mut part| async move {
            self.sync_group(&group, &mut part).await;
            part
        })
        .await;
        self.each(c, groups(), group_id, |group, mut part| async move {
            self.sync_members(dir, &group, &mut part).await;
            part
        })
        .await;
        true
    }

    /// Run `work` for every item, at most `concurrency` at once. Each object gets its own
    /// slice of the cycle's scratch state and records its own exchanges; exchanges,
    /// outcomes and errors are handed on in item order as soon as every earlier item is
    /// done, so a report or transcript does not depend on timing.
    async fn each<T, F, Fut>(
        &self,
        c: &mut Cycle,
        items: impl Iterator<Item = T>,
        id: impl Fn(&T) -> &str,
        work: F,
    ) where
        F: Fn(T, Cycle) -> Fut,
        Fut: Future<Output = Cycle>,
    {
        let cap = self.http.concurrency();
        let window = HELD_OBJECTS.max(cap.saturating_mul(4));
        let work = &work;
        let mut pending = items.enumerate().peekable();
        let mut running = FuturesUnordered::new();
        // Finished items waiting for an earlier one, by index.
        let mut finished: BTreeMap<usize, (Cycle, Vec<Exchange>)> = BTreeMap::new();
        let mut next = 0;
        self.head.store(0, Ordering::Release);
        loop {
            while running.len() < cap {
                let Some((index, item)) = pending.next_if(|(i, _)| *i < next + window) else {
                    break;
                };
                let mut part = c.split_off(id(&item));
                part.slot = index;
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
            while let Some((mut part, exchanges)) = finished.remove(&next) {
                let mut held = std::mem::take(&mut part.held);
                held.extend(exchanges);
                self.emit(held);
                c.absorb(part);
                next += 1;
                self.head.store(next, Ordering::Release);
                self.head_moved.notify_waiters();
            }
        }
    }

    pub(super) fn record(&self, c: &mut Cycle, object: ObjectRef, action: Action, target_id: &str) {
        c.outcome(Outcome {
            object,
            action,
            target_id: Some(target_id.to_owned()),
        });
    }
}
