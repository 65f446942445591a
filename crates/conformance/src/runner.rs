//! The runner: applies each configuration, runs its cases concurrently up to `jobs`, and
//! emits [`RunEvent`]s in the fixed case order.
//!
//! Cases of one configuration share the target; every name a case creates carries its
//! tag, so they do not collide. Configurations change the whole target, so they run one
//! after another; so do exclusive cases (`set_config`), after the shared cases of their
//! configuration, each followed by restoring that configuration.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::baseline::Baseline;
use crate::catalogue::{Case, NamedConfig, TargetConfig};
use crate::event::{CaseResult, Outcome, RunEvent, RunInfo, Source, Summary, TranscriptEntry};
use crate::exec;
use crate::http::{Body, Client, Request};
use crate::profile::{join, ConfigMethod, Profile};
use crate::scenario::ProfileNeed;

/// Everything a run needs besides the cases.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub profile: Profile,
    /// The resolved base URL (profile, `--target-url` or the embedded target).
    pub base_url: String,
    /// The resolved bearer token (never reported).
    pub token: String,
    /// Makes every case's names unique and reproducible.
    pub seed: u64,
    /// Cases running at once (at least 1).
    pub jobs: usize,
    /// Budget of one HTTP request.
    pub request_timeout: Duration,
    /// Budget of one whole case (a backstop; requests are bounded already).
    pub case_timeout: Duration,
    /// Folder with `{entra,okta,rfc,attacker}.{key,cert}.pem` for logins.
    pub idp_keys: PathBuf,
    pub baseline: Option<Baseline>,
    /// The configuration a profile without `[config]` runs (the catalogue's first).
    pub default_config: String,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("target unreachable at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("loading the idp signing keys from {dir}")]
    Keys {
        dir: String,
        #[source]
        source: saml::KeyError,
    },
}

/// What every case task shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub opts: RunOptions,
    pub client: Client,
    pub keys: Option<idp::IdpKeys>,
}

impl Shared {
    pub fn url(&self, path: &str) -> String {
        join(&self.opts.base_url, path)
    }

    pub fn scim_url(&self, rest: &str) -> String {
        format!(
            "{}{rest}",
            self.opts.profile.scim_base(Some(&self.opts.base_url))
        )
    }
}

/// Any HTTP answer from the SCIM base means the target is up; no answer within the
/// timeout, or a refused connection, is "unreachable" (exit 3).
pub async fn check_reachable(opts: &RunOptions) -> Result<(), RunError> {
    let client = Client::new(
        opts.token.clone(),
        opts.request_timeout.min(Duration::from_secs(10)),
    );
    let url = format!(
        "{}/ServiceProviderConfig",
        opts.profile.scim_base(Some(&opts.base_url))
    );
    match client.send(&Request::get(url.clone())).await.1 {
        Ok(_) => Ok(()),
        Err(detail) => Err(RunError::Unreachable { url, detail }),
    }
}

/// Run `cases` (in the order given) and emit events to `sink`. `all_cases` is the whole
/// catalogue, for stale baseline entries.
pub async fn run(
    cases: Vec<Case>,
    all_cases: &[Case],
    opts: RunOptions,
    mut sink: impl FnMut(RunEvent),
) -> Result<Summary, RunError> {
    let started = Instant::now();
    check_reachable(&opts).await?;
    let needs_keys = opts.profile.saml.is_some() && cases.iter().any(|c| c.scenario.needs_saml());
    let keys = if needs_keys {
        Some(
            idp::IdpKeys::load(&opts.idp_keys).map_err(|source| RunError::Keys {
                dir: opts.idp_keys.display().to_string(),
                source,
            })?,
        )
    } else {
        None
    };
    let shared = Arc::new(Shared {
        client: Client::new(opts.token.clone(), opts.request_timeout),
        opts,
        keys,
    });
    sink(RunEvent::RunStarted(RunInfo {
        target: shared.opts.profile.name.clone(),
        base_url: shared.opts.base_url.clone(),
        seed: shared.opts.seed,
        total: cases.len(),
        jobs: shared.opts.jobs.max(1),
    }));
    let mut summary = Summary::default();
    let mut original_config: Option<Value> = None;
    let mut config_changed = false;
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
        let verdict = prepare_config(
            &shared,
            &group[0].config,
            &mut original_config,
            &mut config_changed,
        )
        .await;
        let mut results: Vec<CaseResult> = match verdict {
            ConfigVerdict::Run => {
                run_group(&shared, group, &mut |r| {
                    emit(&shared, r, &mut summary, &mut sink)
                })
                .await;
                continue;
            }
            ConfigVerdict::Skip(reason) => group
                .iter()
                .map(|c| exec::not_run(c, &shared, Outcome::Skip, reason.clone(), Vec::new()))
                .collect(),
            ConfigVerdict::Error(reason, transcript) => group
                .iter()
                .map(|c| {
                    exec::not_run(
                        c,
                        &shared,
                        Outcome::Error,
                        reason.clone(),
                        transcript.clone(),
                    )
                })
                .collect(),
        };
        for r in results.drain(..) {
            emit(&shared, r, &mut summary, &mut sink);
        }
    }
    if config_changed {
        restore_config(&shared, original_config).await;
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
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, CaseResult)>();
    let driver = {
        let shared = shared.clone();
        let group = group.to_vec();
        tokio::spawn(async move {
            let jobs = shared.opts.jobs.max(1);
            let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs));
            let mut handles = Vec::new();
            let (exclusive, shared_cases): (Vec<_>, Vec<_>) = group
                .iter()
                .cloned()
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
                        Some(exec::run_case(&case, &shared).await)
                    }),
                ));
            }
            for (i, case, h) in handles {
                let _ = tx.send((i, joined(&shared, &case, h.await)));
            }
            for (i, case) in exclusive {
                let team_sync_before = team_sync_now(&shared, &case).await;
                let task = {
                    let (shared, case) = (shared.clone(), case.clone());
                    tokio::spawn(async move { Some(exec::run_case(&case, &shared).await) })
                };
                let mut result = joined(&shared, &case, task.await);
                if let Err(e) = restore_after_exclusive(&shared, &case, team_sync_before).await {
                    result.outcome = Outcome::Error;
                    result.reason = Some(match result.reason.take() {
                        Some(r) => format!("{r}; then {e}"),
                        None => e,
                    });
                }
                let _ = tx.send((i, result));
            }
        })
    };
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

/// Team Sync as the target reports it before an exclusive case that switches it: a GET
/// of `[config] team_sync` answering `{"enabled": bool}`. `None` when the case does not
/// switch it, or the target does not say (the case's restore then switches it off).
async fn team_sync_now(shared: &Shared, case: &Case) -> Option<bool> {
    if !case.scenario.needs().contains(&ProfileNeed::TeamSync) {
        return None;
    }
    let path = shared.opts.profile.config.as_ref()?.team_sync.as_ref()?;
    let answer = shared
        .client
        .send(&Request::get(shared.url(path)))
        .await
        .1
        .ok()?;
    if !(200..300).contains(&answer.status) {
        return None;
    }
    answer.json.as_ref()?.get("enabled")?.as_bool()
}

/// After an exclusive case: Team Sync back to what it was before the case (off when the
/// target did not say; only when the case switched it), then the case's named
/// configuration again (when it changed SCIM settings).
async fn restore_after_exclusive(
    shared: &Shared,
    case: &Case,
    team_sync_before: Option<bool>,
) -> Result<(), String> {
    let needs = case.scenario.needs();
    let Some(section) = &shared.opts.profile.config else {
        return Ok(());
    };
    let mut requests = Vec::new();
    if let (true, Some(path)) = (needs.contains(&ProfileNeed::TeamSync), &section.team_sync) {
        requests.push(Request {
            method: reqwest::Method::PUT,
            body: Body::Json(json!({"enabled": team_sync_before.unwrap_or(false)})),
            ..Request::get(shared.url(path))
        });
    }
    if needs.contains(&ProfileNeed::ConfigApi) && section.method == ConfigMethod::ScimConfigApi {
        requests.push(Request {
            method: reqwest::Method::PUT,
            body: Body::Json(scim_config_object(&case.config.values)),
            ..Request::get(shared.url(section.path.as_deref().unwrap_or_default()))
        });
    }
    for req in requests {
        match shared.client.send(&req).await.1 {
            Ok(a) if (200..300).contains(&a.status) => {}
            Ok(a) => {
                return Err(format!(
                    "restoring config `{}` with {} {} answered {}",
                    case.config.name, req.method, req.url, a.status
                ))
            }
            Err(e) => {
                return Err(format!(
                    "restoring config `{}` with {} {}: {e}",
                    case.config.name, req.method, req.url
                ))
            }
        }
    }
    Ok(())
}

enum ConfigVerdict {
    Run,
    Skip(String),
    Error(String, Vec<TranscriptEntry>),
}

/// Bring the target to `config`, or say why its cases cannot run.
async fn prepare_config(
    shared: &Shared,
    config: &NamedConfig,
    original: &mut Option<Value>,
    changed: &mut bool,
) -> ConfigVerdict {
    let profile = &shared.opts.profile;
    let Some(section) = &profile.config else {
        return if config.name == shared.opts.default_config {
            ConfigVerdict::Run
        } else {
            ConfigVerdict::Skip(format!(
                "target profile `{}` has no [config] section, so only config `{}` runs; this case needs config `{}` ({})",
                profile.name, shared.opts.default_config, config.name, config.values
            ))
        };
    };
    match section.method {
        ConfigMethod::Fixed => {
            let fixed = section.fixed_values();
            if fixed == Some(config.values) {
                ConfigVerdict::Run
            } else {
                ConfigVerdict::Skip(format!(
                    "target profile `{}` declares a fixed configuration ({}); this case needs config `{}` ({})",
                    profile.name,
                    fixed.map(|f| f.to_string()).unwrap_or_default(),
                    config.name,
                    config.values
                ))
            }
        }
        ConfigMethod::ScimConfigApi => {
            let url = shared.url(section.path.as_deref().unwrap_or_default());
            let mut transcript = Vec::new();
            if original.is_none() {
                let (ex, answer) = shared.client.send(&Request::get(url.clone())).await;
                push(&mut transcript, ex);
                if let Ok(a) = answer {
                    if a.status == 200 {
                        *original = a.json;
                    }
                }
            }
            let req = Request {
                method: reqwest::Method::PUT,
                url: url.clone(),
                bearer: true,
                cookies: None,
                body: Body::Json(scim_config_object(&config.values)),
                headers: Vec::new(),
            };
            let (ex, answer) = shared.client.send(&req).await;
            push(&mut transcript, ex);
            *changed = true;
            match answer {
                Ok(a) if (200..300).contains(&a.status) => ConfigVerdict::Run,
                Ok(a) => ConfigVerdict::Error(
                    format!(
                        "applying config `{}` with PUT {url}: answered {}",
                        config.name, a.status
                    ),
                    transcript,
                ),
                Err(e) => ConfigVerdict::Error(
                    format!("applying config `{}` with PUT {url}: {e}", config.name),
                    transcript,
                ),
            }
        }
    }
}

fn push(transcript: &mut Vec<TranscriptEntry>, exchange: idp::Exchange) {
    let n = transcript.len() as u64 + 1;
    transcript.push(TranscriptEntry::Http {
        n,
        step: 0,
        source: Source::Observer,
        exchange: Box::new(exchange),
    });
}

/// Grafana's SCIMConfig object as the Terraform provider writes it.
pub(crate) fn scim_config_object(c: &TargetConfig) -> Value {
    json!({
        "apiVersion": "scim.grafana.app/v0alpha1",
        "kind": "SCIMConfig",
        "metadata": {"name": "default", "namespace": "default"},
        "spec": {
            "enableUserSync": c.user_sync,
            "enableGroupSync": c.group_sync,
            "rejectNonProvisionedUsers": c.reject_non_provisioned_users,
        }
    })
}

/// Put the configuration back as it was: revert to the file settings when none was
/// stored, else store the original object's spec again.
async fn restore_config(shared: &Shared, original: Option<Value>) {
    let Some(section) = &shared.opts.profile.config else {
        return;
    };
    let url = shared.url(section.path.as_deref().unwrap_or_default());
    let from_file = original
        .as_ref()
        .and_then(|o| o.pointer("/status/source"))
        .and_then(Value::as_str)
        .is_none_or(|s| s == "file");
    let req = match original {
        Some(o) if !from_file => Request {
            method: reqwest::Method::PUT,
            url,
            bearer: true,
            cookies: None,
            body: Body::Json(json!({
                "apiVersion": o.get("apiVersion").cloned().unwrap_or(Value::Null),
                "kind": o.get("kind").cloned().unwrap_or(Value::Null),
                "metadata": {"name": "default", "namespace": "default"},
                "spec": o.get("spec").cloned().unwrap_or(Value::Null),
            })),
            headers: Vec::new(),
        },
        _ => Request {
            method: reqwest::Method::DELETE,
            url,
            bearer: true,
            cookies: None,
            body: Body::None,
            headers: Vec::new(),
        },
    };
    let _ = shared.client.send(&req).await;
}
