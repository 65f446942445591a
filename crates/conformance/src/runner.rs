//! The runner: applies each configuration, runs its cases concurrently up to `jobs`, and
//! emits [`RunEvent`]s in the fixed case order.
//!
//! Cases of one configuration share the target; every name a case creates carries its
//! tag, so they do not collide. Configurations change the whole target, so they run one
//! after another; so do exclusive cases (`set_config`), after the shared cases of their
//! configuration, each followed by restoring that configuration.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::catalogue::Case;
use crate::config::{self, ConfigVerdict};
use crate::event::{CaseResult, Outcome, RunEvent, RunInfo, Summary};
use crate::exec;
use crate::http::{Client, Request};
use crate::options::{RunError, RunOptions, Shared, StopReason};
use crate::profile::{AdminEndpoint, Profile, ADMIN_PASSWORD_ENV, ADMIN_USER_ENV};
use crate::scenario::ProfileNeed;

/// Any HTTP answer from the SCIM base means the target is up; no answer within the
/// timeout, or a refused connection, is "unreachable" (exit 3).
pub async fn check_reachable(opts: &RunOptions) -> Result<(), RunError> {
    let client = Client::new(
        opts.credential.clone(),
        &opts.connector()?,
        opts.request_timeout.min(Duration::from_secs(10)),
    );
    let url = format!(
        "{}/ServiceProviderConfig",
        opts.profile.scim_base(Some(&opts.base_url))
    );
    match client.send(&Request::get(url.clone())).await.1 {
        Ok(_) => Ok(()),
        Err(detail) => {
            let detail = if detail.to_ascii_lowercase().contains("certificate") {
                format!(
                    "{detail} (tls: trust the target's CA with --ca-cert or [tls] ca_file; \
                     a server asking for a client certificate needs --client-cert and \
                     --client-key)"
                )
            } else {
                detail
            };
            Err(RunError::Unreachable { url, detail })
        }
    }
}

/// Why a case cannot run against `profile`: something it needs that the profile lacks,
/// or a server-admin request without the admin credentials (`has_admin`). `None` when
/// it can run. The runner skips such a case with this reason; `list` shows it.
pub fn skip_reason(case: &Case, profile: &Profile, has_admin: bool) -> Option<String> {
    let needs = case.scenario.needs();
    if let Some(need) = needs.iter().find(|n| !profile.provides(**n)) {
        return Some(format!(
            "target profile `{}` has {}",
            profile.name,
            need.describe()
        ));
    }
    if needs.contains(&ProfileNeed::ServerAdmin) && !has_admin {
        return Some(format!(
            "target profile `{}`: a request as the server admin (auth: admin) needs \
             {ADMIN_USER_ENV} and {ADMIN_PASSWORD_ENV}",
            profile.name
        ));
    }
    needs
        .into_iter()
        .filter_map(AdminEndpoint::of_need)
        .find(|e| profile.needs_admin(*e) && !has_admin)
        .map(|e| {
            format!(
                "target profile `{}`: {} needs a server admin ([admin] basic_auth): set \
                 {ADMIN_USER_ENV} and {ADMIN_PASSWORD_ENV}",
                profile.name,
                e.key()
            )
        })
}

/// Run `cases` (in the order given) and emit events to `sink`. `all_cases` is the whole
/// catalogue, for stale baseline entries.
pub async fn run(
    cases: Vec<Case>,
    all_cases: &[Case],
    mut opts: RunOptions,
    mut sink: impl FnMut(RunEvent),
) -> Result<Summary, RunError> {
    let started = Instant::now();
    // One client for the whole run: reading the system trust store is done once.
    opts.connector = Some(opts.connector()?);
    check_reachable(&opts).await?;
    let shared = Arc::new(Shared::new(opts, &cases)?);
    sink(RunEvent::RunStarted(RunInfo {
        target: shared.opts.profile.name.clone(),
        base_url: shared.opts.base_url.clone(),
        seed: shared.opts.seed,
        total: cases.len(),
        jobs: shared.opts.jobs.max(1),
        insecure: shared.connector.insecure(),
    }));
    let mut summary = Summary::default();
    let mut changed = config::Changed::default();
    let mut start = 0;
    while start < cases.len() {
        let name = cases[start].config.name.clone();
        let end = start
            + cases[start..]
                .iter()
                .take_while(|c| c.config.name == name)
                .count();
        let group = &cases[start..end];
        start = end;
        let verdict = if shared.opts.interrupt.raised() {
            ConfigVerdict::Skip(shared.not_run_reason())
        } else {
            config::prepare_config(&shared, &group[0].config, &mut changed).await
        };
        let (outcome, reason, transcript) = match verdict {
            ConfigVerdict::Run => {
                run_group(&shared, group, &mut |r| {
                    emit(&shared, r, &mut summary, &mut sink)
                })
                .await;
                continue;
            }
            ConfigVerdict::Skip(reason) => (Outcome::Skip, reason, Vec::new()),
            ConfigVerdict::Error(reason, transcript) => (Outcome::Error, reason, transcript),
        };
        for c in group {
            let r = exec::not_run(c, &shared, outcome, reason.clone(), transcript.clone());
            shared.case_finished(&r);
            emit(&shared, r, &mut summary, &mut sink);
        }
    }
    config::restore_config(&shared, changed).await;
    summary.interrupted = shared.opts.interrupt.reason() == Some(StopReason::Interrupted);
    if !shared.opts.keep {
        summary.cleanup = Some(shared.cleanup.lock().map(|c| c.clone()).unwrap_or_default());
    }
    if let Some(b) = &shared.opts.baseline {
        for entry in b.stale(all_cases) {
            summary.stale_baseline += 1;
            sink(RunEvent::BaselineStale {
                pattern: entry.case.clone(),
                reason: entry.reason.clone(),
            });
        }
    }
    sink(RunEvent::RunFinished {
        summary: summary.clone(),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
    Ok(summary)
}

fn emit(
    shared: &Shared,
    mut r: CaseResult,
    summary: &mut Summary,
    sink: &mut impl FnMut(RunEvent),
) {
    if let Some(b) = &shared.opts.baseline {
        b.apply(&mut r);
    }
    summary.add(&r);
    sink(RunEvent::CaseFinished(Box::new(r)));
}

/// Run one configuration's cases, at most `jobs` at once, handing results to `out` in
/// the group's order. Exclusive cases (`set_config`) run after the others, one at a time,
/// each followed by restoring the group's configuration.
async fn run_group(shared: &Arc<Shared>, group: &[Case], out: &mut impl FnMut(CaseResult)) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(drive(shared.clone(), group.to_vec(), tx));
    let mut pending: Vec<Option<CaseResult>> = vec![None; group.len()];
    let mut next = 0;
    while let Some((i, r)) = rx.recv().await {
        pending[i] = Some(r);
        while next < pending.len() {
            match pending[next].take() {
                Some(r) => {
                    out(r);
                    next += 1;
                }
                None => break,
            }
        }
    }
    // The driver itself failed: report every case it did not finish as a harness error.
    if let Err(e) = driver.await {
        for (i, slot) in pending.iter_mut().enumerate().skip(next) {
            if slot.is_none() {
                *slot = Some(exec::not_run(
                    &group[i],
                    shared,
                    Outcome::Error,
                    format!("harness task failed: {e}"),
                    Vec::new(),
                ));
            }
        }
    }
    while next < pending.len() {
        if let Some(r) = pending[next].take() {
            out(r);
        }
        next += 1;
    }
}

/// The cases of one group, shared ones at most `jobs` at once, then the exclusive ones;
/// each result goes to `tx` with its index in the group.
async fn drive(
    shared: Arc<Shared>,
    group: Vec<Case>,
    tx: tokio::sync::mpsc::UnboundedSender<(usize, CaseResult)>,
) {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(shared.opts.jobs.max(1)));
    let mut handles = Vec::new();
    let (exclusive, shared_cases): (Vec<_>, Vec<_>) = group
        .into_iter()
        .enumerate()
        .partition(|(_, c)| c.scenario.scenario.exclusive);
    for (i, case) in shared_cases {
        let shared = shared.clone();
        let semaphore = semaphore.clone();
        handles.push((
            i,
            case.clone(),
            tokio::spawn(async move {
                let _permit = semaphore.acquire_owned().await.ok()?;
                if shared.opts.interrupt.raised() {
                    let reason = shared.not_run_reason();
                    return Some(exec::not_run(
                        &case,
                        &shared,
                        Outcome::Skip,
                        reason,
                        Vec::new(),
                    ));
                }
                shared.opts.running.start(&case.id);
                let result = exec::run_case(&case, &shared).await;
                shared.opts.running.finish(&case.id);
                shared.case_finished(&result);
                Some(result)
            }),
        ));
    }
    for (i, case, h) in handles {
        let result = joined(&shared, &case, h.await);
        shared.opts.running.finish(&case.id);
        let _ = tx.send((i, result));
    }
    for (i, case) in exclusive {
        let _ = tx.send((i, run_exclusive(&shared, case).await));
    }
}

/// An exclusive case, then the settings it changed put back; a case that cannot run
/// changes nothing, so nothing is read or put back for it.
async fn run_exclusive(shared: &Arc<Shared>, case: Case) -> CaseResult {
    if shared.opts.interrupt.raised() {
        let reason = shared.not_run_reason();
        return exec::not_run(&case, shared, Outcome::Skip, reason, Vec::new());
    }
    if let Some(reason) = exec::skip_reason(&case, shared) {
        return exec::not_run(&case, shared, Outcome::Skip, reason, Vec::new());
    }
    let team_sync_before = config::team_sync_now(shared, &case).await;
    let task = {
        let (shared, case) = (shared.clone(), case.clone());
        tokio::spawn(async move { Some(exec::run_case(&case, &shared).await) })
    };
    shared.opts.running.start(&case.id);
    let mut result = joined(shared, &case, task.await);
    shared.opts.running.finish(&case.id);
    if let Err(e) = config::restore_after_exclusive(shared, &case, team_sync_before).await {
        result.outcome = Outcome::Error;
        result.reason = Some(match result.reason.take() {
            Some(r) => format!("{r}; then {e}"),
            None => e,
        });
    }
    shared.case_finished(&result);
    result
}

/// A case task's result, or a harness error for a task that panicked or was closed.
fn joined(
    shared: &Shared,
    case: &Case,
    r: Result<Option<CaseResult>, tokio::task::JoinError>,
) -> CaseResult {
    match r {
        Ok(Some(result)) => result,
        Ok(None) => exec::not_run(
            case,
            shared,
            Outcome::Error,
            "harness task stopped before the case ran".to_owned(),
            Vec::new(),
        ),
        Err(e) => exec::not_run(
            case,
            shared,
            Outcome::Error,
            format!("harness task failed: {e}"),
            Vec::new(),
        ),
    }
}
