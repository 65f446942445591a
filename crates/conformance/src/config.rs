//! Target settings through the profile's `[config]`: the only place that knows Grafana's
//! SCIMConfig object and the Team Sync switch. The runner brings the target to each
//! configuration and restores it; `set_config` steps build their requests here.

use serde_json::{json, Value};

use crate::catalogue::{Case, NamedConfig, TargetConfig};
use crate::event::{Source, TranscriptEntry};
use crate::http::{Body, Request};
use crate::options::Shared;
use crate::profile::{AdminEndpoint, ConfigMethod, ConfigSection};
use crate::scenario::ProfileNeed;

/// Grafana's SCIMConfig object as the Terraform provider writes it, in `namespace`.
fn scim_config_object(c: &TargetConfig, namespace: &str) -> Value {
    json!({
        "apiVersion": "scim.grafana.app/v0alpha1",
        "kind": "SCIMConfig",
        "metadata": {"name": "default", "namespace": namespace},
        "spec": {
            "enableUserSync": c.user_sync,
            "enableGroupSync": c.group_sync,
            "rejectNonProvisionedUsers": c.reject_non_provisioned_users,
        }
    })
}

/// A stored SCIMConfig object again, with the name and namespace the API expects.
fn stored_object(original: &Value, namespace: &str) -> Value {
    json!({
        "apiVersion": original.get("apiVersion").cloned().unwrap_or(Value::Null),
        "kind": original.get("kind").cloned().unwrap_or(Value::Null),
        "metadata": {"name": "default", "namespace": namespace},
        "spec": original.get("spec").cloned().unwrap_or(Value::Null),
    })
}

fn put(url: String, body: Value) -> Request {
    Request {
        method: reqwest::Method::PUT,
        body: Body::Json(body),
        ..Request::get(url)
    }
}

impl ConfigSection {
    /// The SCIMConfig object's URL (`scim-config-api`).
    fn object_url(&self, shared: &Shared) -> String {
        shared.url(self.path.as_deref().unwrap_or_default())
    }

    /// PUT of the SCIMConfig object that sets `values`.
    pub(crate) fn put_scim_config(&self, shared: &Shared, values: &TargetConfig) -> Request {
        put(
            self.object_url(shared),
            scim_config_object(values, &shared.opts.profile.namespace),
        )
    }

    /// PUT of Grafana's `[team_sync] enabled` switch, when the profile names one; with
    /// server-admin basic auth when `[admin] basic_auth` names `team_sync` and the run
    /// has the credentials (a case that needs them is skipped without).
    pub(crate) fn put_team_sync(&self, shared: &Shared, enabled: bool) -> Option<Request> {
        let path = self.team_sync.as_deref()?;
        let req = put(shared.url(path), json!({ "enabled": enabled }));
        Some(team_sync_auth(shared, req))
    }
}

/// A Team Sync request as the profile sends it (see [`ConfigSection::put_team_sync`]).
fn team_sync_auth(shared: &Shared, req: Request) -> Request {
    match shared.authorize(AdminEndpoint::TeamSync, req.clone()) {
        Ok(authorized) => authorized,
        // No credentials: sent with the token, so the target's refusal is what is reported.
        Err(_) => req,
    }
}

/// Team Sync as the target reports it before an exclusive case that switches it: a GET
/// of `[config] team_sync` answering `{"enabled": bool}`. `None` when the case does not
/// switch it, or the target does not say (the case's restore then switches it off).
pub(crate) async fn team_sync_now(shared: &Shared, case: &Case) -> Option<bool> {
    if !case.scenario.needs().contains(&ProfileNeed::TeamSync) {
        return None;
    }
    let path = shared.opts.profile.config.as_ref()?.team_sync.as_ref()?;
    let answer = shared
        .client
        .send(&team_sync_auth(shared, Request::get(shared.url(path))))
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
pub(crate) async fn restore_after_exclusive(
    shared: &Shared,
    case: &Case,
    team_sync_before: Option<bool>,
) -> Result<(), String> {
    let needs = case.scenario.needs();
    let Some(section) = &shared.opts.profile.config else {
        return Ok(());
    };
    let mut requests = Vec::new();
    if needs.contains(&ProfileNeed::TeamSync) {
        requests.extend(section.put_team_sync(shared, team_sync_before.unwrap_or(false)));
    }
    if needs.contains(&ProfileNeed::ConfigApi) && section.method == ConfigMethod::ScimConfigApi {
        requests.push(section.put_scim_config(shared, &case.config.values));
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

/// Whether a configuration's cases can run.
pub(crate) enum ConfigVerdict {
    Run,
    Skip(String),
    Error(String, Vec<TranscriptEntry>),
}

/// What the run changed on the target, to put back at its end.
#[derive(Debug, Default)]
pub(crate) struct Changed {
    /// The SCIMConfig object before the first change, when the target answered one.
    original: Option<Value>,
    changed: bool,
    /// The login switches (`[saml] settings_switch`) before the first change, when the
    /// target answered them.
    login_original: Option<Value>,
    login_changed: bool,
}

/// Bring the target to `config` (SCIM settings, then login settings), or say why its
/// cases cannot run.
pub(crate) async fn prepare_config(
    shared: &Shared,
    config: &NamedConfig,
    changed: &mut Changed,
) -> ConfigVerdict {
    match prepare_scim(shared, config, changed).await {
        ConfigVerdict::Run => prepare_login(shared, config, changed).await,
        other => other,
    }
}

/// The login settings `config` needs: set through `[saml] settings_switch` (a setting
/// the configuration leaves open takes the profile's declared value, so configurations
/// do not leak into each other), else they must equal what the profile declares.
async fn prepare_login(
    shared: &Shared,
    config: &NamedConfig,
    changed: &mut Changed,
) -> ConfigVerdict {
    let profile = &shared.opts.profile;
    let Some(saml) = &profile.saml else {
        return ConfigVerdict::Run;
    };
    let want = config.login;
    let Some(path) = &saml.settings_switch else {
        let differs = want
            .allow_idp_initiated
            .is_some_and(|v| v != saml.allow_idp_initiated)
            || want.allow_sign_up.is_some_and(|v| v != saml.allow_sign_up);
        return match differs {
            false => ConfigVerdict::Run,
            true => ConfigVerdict::Skip(format!(
                "target profile `{}` declares [saml] allow_idp_initiated = {}, allow_sign_up = {} \
                 and has no settings_switch; this case needs config `{}` ({})",
                profile.name, saml.allow_idp_initiated, saml.allow_sign_up, config.name, want
            )),
        };
    };
    let url = shared.url(path);
    let mut transcript = Vec::new();
    if changed.login_original.is_none() {
        let (ex, answer) = shared.client.send(&Request::get(url.clone())).await;
        push(&mut transcript, ex);
        if let Ok(a) = answer {
            if a.status == 200 {
                changed.login_original = a.json;
            }
        }
    }
    let body = json!({
        "allowSignUp": want.allow_sign_up.unwrap_or(saml.allow_sign_up),
        "allowIdpInitiated": want.allow_idp_initiated.unwrap_or(saml.allow_idp_initiated),
    });
    let (ex, answer) = shared.client.send(&put(url.clone(), body)).await;
    push(&mut transcript, ex);
    changed.login_changed = true;
    match answer {
        Ok(a) if (200..300).contains(&a.status) => ConfigVerdict::Run,
        Ok(a) => ConfigVerdict::Error(
            format!(
                "applying the login settings of config `{}` with PUT {url}: answered {}",
                config.name, a.status
            ),
            transcript,
        ),
        Err(e) => ConfigVerdict::Error(
            format!(
                "applying the login settings of config `{}` with PUT {url}: {e}",
                config.name
            ),
            transcript,
        ),
    }
}

/// The SCIM settings of `config`.
async fn prepare_scim(
    shared: &Shared,
    config: &NamedConfig,
    changed: &mut Changed,
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
        ConfigMethod::ScimConfigApi => apply_object(shared, section, config, changed).await,
    }
}

/// `scim-config-api`: keep the object as found (once), then PUT the configuration's.
async fn apply_object(
    shared: &Shared,
    section: &ConfigSection,
    config: &NamedConfig,
    changed: &mut Changed,
) -> ConfigVerdict {
    let url = section.object_url(shared);
    let mut transcript = Vec::new();
    if changed.original.is_none() {
        let (ex, answer) = shared.client.send(&Request::get(url.clone())).await;
        push(&mut transcript, ex);
        if let Ok(a) = answer {
            if a.status == 200 {
                changed.original = a.json;
            }
        }
    }
    let (ex, answer) = shared
        .client
        .send(&section.put_scim_config(shared, &config.values))
        .await;
    push(&mut transcript, ex);
    changed.changed = true;
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

fn push(transcript: &mut Vec<TranscriptEntry>, exchange: idp::Exchange) {
    let n = transcript.len() as u64 + 1;
    transcript.push(TranscriptEntry::Http {
        n,
        step: 0,
        source: Source::Observer,
        exchange: Box::new(exchange),
    });
}

/// Put the configuration back as it was, when the run changed it: revert to the file
/// settings when none was stored, else store the original object's spec again.
pub(crate) async fn restore_config(shared: &Shared, changed: Changed) {
    let switch = (shared.opts.profile.saml.as_ref()).and_then(|s| s.settings_switch.as_ref());
    if let (Some(path), Some(original), true) =
        (switch, &changed.login_original, changed.login_changed)
    {
        let _ = shared
            .client
            .send(&put(shared.url(path), original.clone()))
            .await;
    }
    let Some(section) = &shared.opts.profile.config else {
        return;
    };
    if !changed.changed {
        return;
    }
    let url = section.object_url(shared);
    let from_file = changed
        .original
        .as_ref()
        .and_then(|o| o.pointer("/status/source"))
        .and_then(Value::as_str)
        .is_none_or(|s| s == "file");
    let req = match changed.original {
        Some(o) if !from_file => put(url, stored_object(&o, &shared.opts.profile.namespace)),
        _ => Request {
            method: reqwest::Method::DELETE,
            ..Request::get(url)
        },
    };
    let _ = shared.client.send(&req).await;
}
