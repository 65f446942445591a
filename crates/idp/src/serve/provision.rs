//! SCIM on demand: one persona's directory, kept with its state across cycles, and the
//! sync engine that turns its changes into the persona's deltas.
//!
//! A cycle ([`Provisioner::sync`]) runs on a copy of the directory taken when it starts,
//! so edits made meanwhile are not blocked and go into the next cycle. One cycle runs at
//! a time (a second waits for the engine). Each exchange goes, as the engine hands it
//! over, into a bounded log ([`LOG_CAPACITY`]) that the API and the admin page read.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::directory::Directory;
use crate::persona::PersonaId;
use crate::sync::{Action, SyncEngine, SyncReport};
use crate::transport::{Exchange, ScimTarget, TranscriptSink};

/// How many exchanges the log keeps (the newest; older ones are dropped).
pub const LOG_CAPACITY: usize = 5_000;

/// One persona's directory and its engine.
#[derive(Debug)]
pub struct Provisioner {
    persona: PersonaId,
    directory: RwLock<Directory>,
    target: Option<ScimTarget>,
    /// The engine, created on the first cycle; held for a whole cycle.
    engine: tokio::sync::Mutex<EngineSlot>,
    log: Mutex<ExchangeLog>,
    /// The target ids the engine knew after the last cycle (read without waiting for a
    /// running cycle).
    ids: Mutex<TargetIds>,
    last: Mutex<Option<CycleSummary>>,
    schedule: Mutex<Option<Duration>>,
}

/// Why no cycle ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncRefused {
    #[error(
        "no SCIM target: start idp serve with --target PROFILE (and --target-url URL) to \
         provision"
    )]
    NoTarget,
}

/// What one cycle did.
#[derive(Debug, Clone, Serialize)]
pub struct CycleSummary {
    /// 1-based cycle number of this persona's engine.
    pub cycle: u64,
    /// The report's one-line summary (`entra cycle 2: 1 exchanges; 1 disabled; 0 errors`).
    pub summary: String,
    /// Outcomes by action (`created`, `disabled`, `members_added`, …); member counts are
    /// the members added or removed.
    pub counts: BTreeMap<&'static str, usize>,
    pub errors: Vec<CycleError>,
    pub exchanges: usize,
    pub duration_ms: u64,
}

/// One failed operation of a cycle.
#[derive(Debug, Clone, Serialize)]
pub struct CycleError {
    /// What was being done, e.g. `create user`.
    pub operation: String,
    /// The directory object, e.g. `user 1001`.
    pub object: String,
    /// The provisioning-log error class, e.g. `Conflict`.
    pub code: String,
    pub message: String,
}

/// One exchange in the log: its number across cycles and the cycle it belongs to.
#[derive(Debug, Serialize)]
pub struct Logged {
    /// 1-based, across every cycle of this persona.
    pub n: u64,
    pub cycle: u64,
    pub exchange: Exchange,
}

/// The newest [`LOG_CAPACITY`] exchanges.
#[derive(Debug, Default)]
pub struct ExchangeLog {
    entries: VecDeque<Logged>,
    /// The number of the last exchange logged.
    last: u64,
}

impl ExchangeLog {
    pub(crate) fn push(&mut self, cycle: u64, exchange: Exchange) {
        if self.entries.len() == LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.last += 1;
        self.entries.push_back(Logged {
            n: self.last,
            cycle,
            exchange,
        });
    }

    /// The number of the last exchange logged (0 before any).
    pub fn last(&self) -> u64 {
        self.last
    }

    /// The kept exchanges numbered above `n`, oldest first.
    pub fn since(&self, n: u64) -> impl DoubleEndedIterator<Item = &Logged> {
        // Numbers are consecutive, so the first wanted entry's position is known.
        let first = self.entries.front().map_or(0, |e| e.n);
        let skip = usize::try_from(n.saturating_add(1).saturating_sub(first)).unwrap_or(usize::MAX);
        self.entries.iter().skip(skip)
    }
}

#[derive(Debug, Default)]
struct EngineSlot {
    engine: Option<SyncEngine>,
    /// Cycles run so far (the engine numbers its reports the same way: it runs nothing
    /// but these cycles).
    cycles: u64,
}

#[derive(Debug, Default)]
struct TargetIds {
    users: HashMap<String, String>,
    groups: HashMap<String, String>,
}

/// Hands each exchange to the log as the engine finishes it; the exchange is moved in.
struct LogSink<'a> {
    log: &'a Mutex<ExchangeLog>,
    cycle: u64,
}

impl TranscriptSink for LogSink<'_> {
    fn exchange(&mut self, exchange: Exchange) {
        lock(self.log).push(self.cycle, exchange);
    }
}

/// A poisoned lock is taken over: every change under these locks is whole.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Provisioner {
    pub fn new(
        persona: PersonaId,
        directory: Directory,
        target: Option<ScimTarget>,
    ) -> Provisioner {
        Provisioner {
            persona,
            directory: RwLock::new(directory),
            target,
            engine: tokio::sync::Mutex::new(EngineSlot::default()),
            log: Mutex::new(ExchangeLog::default()),
            ids: Mutex::new(TargetIds::default()),
            last: Mutex::new(None),
            schedule: Mutex::new(None),
        }
    }

    pub fn persona(&self) -> PersonaId {
        self.persona
    }

    /// The directory as it is now (a poisoned lock is taken over: edits are whole).
    pub fn directory(&self) -> RwLockReadGuard<'_, Directory> {
        self.directory
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Change the directory; the next cycle sends what changed.
    pub fn edit<R>(&self, change: impl FnOnce(&mut Directory) -> R) -> R {
        let mut dir = self
            .directory
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        change(&mut dir)
    }

    pub fn has_target(&self) -> bool {
        self.target.is_some()
    }

    /// The target's SCIM base URL, when there is a target.
    pub fn target_url(&self) -> Option<&str> {
        self.target.as_ref().map(|t| t.base_url.as_str())
    }

    /// How often the schedule runs a cycle, if one was started.
    pub fn schedule(&self) -> Option<Duration> {
        *lock(&self.schedule)
    }

    /// The target id the engine learnt for a directory user, as of the last cycle.
    pub fn user_target_id(&self, directory_id: &str) -> Option<String> {
        lock(&self.ids).users.get(directory_id).cloned()
    }

    /// The target id the engine learnt for a directory group, as of the last cycle.
    pub fn group_target_id(&self, directory_id: &str) -> Option<String> {
        lock(&self.ids).groups.get(directory_id).cloned()
    }

    /// The summary of the last cycle that ran.
    pub fn last_summary(&self) -> Option<CycleSummary> {
        lock(&self.last).clone()
    }

    /// The exchange log (held briefly: a running cycle appends to it).
    pub fn log(&self) -> MutexGuard<'_, ExchangeLog> {
        lock(&self.log)
    }

    /// Runs one cycle now against the target, or waits for the one running and then
    /// runs one. Later cycles send only what changed since the engine last saw it.
    pub async fn sync(&self) -> Result<CycleSummary, SyncRefused> {
        let target = self.target.as_ref().ok_or(SyncRefused::NoTarget)?;
        let mut slot = self.engine.lock().await;
        slot.cycles += 1;
        let cycle = slot.cycles;
        let engine = slot
            .engine
            .get_or_insert_with(|| SyncEngine::new(self.persona, target.clone()));
        // Taken after the engine is ours, so a waiting cycle sends the edits made during
        // the one before it.
        let snapshot = self.directory().clone();
        let started = Instant::now();
        let mut sink = LogSink {
            log: &self.log,
            cycle,
        };
        let report = engine.cycle_to(&snapshot, &mut sink).await;
        let duration = started.elapsed();
        let mut ids = TargetIds::default();
        for u in snapshot.users() {
            if let Some(t) = engine.user_target_id(&u.id) {
                ids.users.insert(u.id.clone(), t.to_owned());
            }
        }
        for g in snapshot.groups() {
            if let Some(t) = engine.group_target_id(&g.id) {
                ids.groups.insert(g.id.clone(), t.to_owned());
            }
        }
        *lock(&self.ids) = ids;
        let summary = CycleSummary::of(&report, duration);
        *lock(&self.last) = Some(summary.clone());
        Ok(summary)
    }
}

impl CycleSummary {
    fn of(report: &SyncReport, duration: Duration) -> CycleSummary {
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for o in &report.outcomes {
            let (name, n) = match o.action {
                Action::Linked => ("linked", 1),
                Action::Created => ("created", 1),
                Action::Updated => ("updated", 1),
                Action::ManagerSet => ("manager_set", 1),
                Action::ManagerCleared => ("manager_cleared", 1),
                Action::Disabled => ("disabled", 1),
                Action::Enabled => ("enabled", 1),
                Action::Deleted => ("deleted", 1),
                Action::Renamed => ("renamed", 1),
                Action::MembersAdded(n) => ("members_added", n),
                Action::MembersRemoved(n) => ("members_removed", n),
                Action::Unlinked => ("unlinked", 1),
            };
            *counts.entry(name).or_default() += n;
        }
        CycleSummary {
            cycle: report.cycle,
            summary: report.summary(),
            counts,
            errors: report
                .errors
                .iter()
                .map(|e| CycleError {
                    operation: e.operation.clone(),
                    object: e.object.to_string(),
                    code: format!("{:?}", e.code),
                    message: e.message.clone(),
                })
                .collect(),
            exchanges: report.exchange_count,
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// Runs a cycle every `every` (the first after `every`) until aborted, printing each
/// summary line (or why none ran) to standard error.
pub(crate) fn spawn_schedule(
    provisioner: Arc<Provisioner>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    // `tokio::time::interval` refuses a zero period.
    let every = every.max(Duration::from_millis(1));
    if !provisioner.has_target() {
        eprintln!(
            "idp serve: {}: no scheduled cycles: {}",
            provisioner.persona,
            SyncRefused::NoTarget
        );
        return tokio::spawn(async {});
    }
    *lock(&provisioner.schedule) = Some(every);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match provisioner.sync().await {
                Ok(summary) => {
                    eprintln!("idp serve: scheduled {}", summary.summary);
                    for e in &summary.errors {
                        eprintln!(
                            "idp serve: {} {} for {}: {}: {}",
                            provisioner.persona, e.operation, e.object, e.code, e.message
                        );
                    }
                }
                Err(e) => eprintln!("idp serve: {}: scheduled cycle: {e}", provisioner.persona),
            }
        }
    })
}
