//! Grafana's SCIMConfig API (`/apis/scim.grafana.app/v0alpha1/namespaces/{ns}/config/default`):
//! GET, PUT and DELETE of the object the Terraform provider writes. The stored object
//! overrides the file settings at once, without a restart; DELETE reverts to them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::error::{json_response, AppError, KubeError};
use crate::fault::Fault;
use crate::http::body::JsonBody;
use crate::scim_api::{invalid_namespace, NAMESPACES_PREFIX};
use crate::settings::ScimSettings;
use crate::state::{AppState, ConfigSource};
use crate::store::config as store;
use crate::timestamp::{grafana_datetime, now_millis};

pub const API_VERSION: &str = "scim.grafana.app/v0alpha1";
pub const KIND: &str = "SCIMConfig";
/// The one config object's name.
pub const NAME: &str = "default";

pub fn router() -> Router<AppState> {
    Router::new().route(
        &format!("{NAMESPACES_PREFIX}/{{ns}}/config/{{name}}"),
        get(read).put(write).delete(revert),
    )
}

fn check_target(state: &AppState, ns: &str, name: &str) -> Result<(), AppError> {
    if ns != state.namespace() {
        return Err(invalid_namespace(ns, state.namespace()));
    }
    if name != NAME {
        return Err(AppError::client(
            StatusCode::NOT_FOUND,
            format!(
                "scimconfigs.{} \"{name}\" not found",
                API_VERSION.split('/').next().unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// The object as GET and PUT return it; `status.source` says which settings are in force.
fn object(state: &AppState) -> Value {
    let stored = *state.stored_config();
    let (spec, source) = state.stored_settings();
    let mut metadata = json!({"name": NAME, "namespace": state.namespace()});
    if let Some(stored) = stored {
        metadata["resourceVersion"] = Value::String(stored.generation.to_string());
        metadata["generation"] = Value::from(stored.generation);
        metadata["creationTimestamp"] = Value::String(grafana_datetime(stored.created));
    }
    json!({
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "spec": {
            "enableUserSync": spec.user_sync_enabled,
            "enableGroupSync": spec.group_sync_enabled,
            "rejectNonProvisionedUsers": spec.reject_non_provisioned_users,
        },
        "status": {"source": source.as_str()},
    })
}

fn ok(body: &Value) -> Response {
    json_response(StatusCode::OK, body, "application/json")
}

/// `GET …/config/default`: the settings in force, from the database or the file.
async fn read(
    State(state): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
) -> Result<Response, KubeError> {
    check_target(&state, &ns, &name)?;
    Ok(ok(&object(&state)))
}

fn bad_request(message: impl Into<String>) -> AppError {
    AppError::client(StatusCode::BAD_REQUEST, message)
}

/// Read the Terraform body: `apiVersion` and `kind` must be these if present,
/// `metadata.name`/`namespace` must name this object, `spec` holds three booleans
/// (an absent one is false, as in a Kubernetes object).
fn parse_spec(body: &Value, ns: &str) -> Result<ScimSettings, AppError> {
    let obj = body
        .as_object()
        .ok_or_else(|| bad_request("scim config body must be a json object"))?;
    let text =
        |o: &Map<String, Value>, k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    if let Some(v) = obj.get("apiVersion").filter(|v| !v.is_null()) {
        if v.as_str() != Some(API_VERSION) {
            return Err(bad_request(format!(
                "apiVersion must be `{API_VERSION}`, found {v}"
            )));
        }
    }
    if let Some(v) = obj.get("kind").filter(|v| !v.is_null()) {
        if v.as_str() != Some(KIND) {
            return Err(bad_request(format!("kind must be `{KIND}`, found {v}")));
        }
    }
    if let Some(meta) = obj.get("metadata").and_then(Value::as_object) {
        if let Some(name) = text(meta, "name").filter(|n| n != NAME) {
            return Err(bad_request(format!(
                "metadata.name must be `{NAME}`, found `{name}`"
            )));
        }
        if let Some(namespace) = text(meta, "namespace").filter(|n| n != ns) {
            return Err(bad_request(format!(
                "metadata.namespace `{namespace}` does not match the namespace in the path `{ns}`"
            )));
        }
    }
    let spec = obj
        .get("spec")
        .and_then(Value::as_object)
        .ok_or_else(|| bad_request("scim config body needs a `spec` object"))?;
    let flag = |key: &str| -> Result<bool, AppError> {
        match spec.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(bad_request(format!(
                "spec.{key} must be a boolean, found {other}"
            ))),
        }
    };
    Ok(ScimSettings {
        user_sync_enabled: flag("enableUserSync")?,
        group_sync_enabled: flag("enableGroupSync")?,
        reject_non_provisioned_users: flag("rejectNonProvisionedUsers")?,
    })
}

/// `PUT …/config/default`: store the object; it takes effect for the next request.
/// Group sync is refused while Team Sync is on (Grafana: `group_sync_enabled` "Cannot
/// be enabled if Team Sync is enabled").
async fn write(
    State(state): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, KubeError> {
    check_target(&state, &ns, &name)?;
    let spec = parse_spec(&body.json()?, &ns)?;
    // Held until the write is stored, so a Team Sync change cannot slip in between.
    let team_sync = state.team_sync.lock().await;
    if spec.group_sync_enabled && *team_sync && !state.fault(Fault::TeamSyncWithGroupSync) {
        return Err(bad_request(
            "spec.enableGroupSync cannot be true while team sync is enabled: \
             scim group sync and team sync cannot run together",
        )
        .into());
    }
    let now = now_millis();
    let cache = state.clone();
    state
        .db
        .write(move |tx| {
            let stored = store::put(tx, &ns, spec, now)?;
            cache.set_stored_config(Some(stored));
            Ok(())
        })
        .await?;
    drop(team_sync);
    Ok(ok(&object(&state)))
}

/// `DELETE …/config/default`: "Revert to use configuration file settings". Refused
/// (`400`) when the file settings enable group sync while Team Sync is on.
async fn revert(
    State(state): State<AppState>,
    Path((ns, name)): Path<(String, String)>,
) -> Result<Response, KubeError> {
    check_target(&state, &ns, &name)?;
    let team_sync = state.team_sync.lock().await;
    if state.settings.scim.group_sync_enabled
        && *team_sync
        && !state.fault(Fault::TeamSyncWithGroupSync)
    {
        return Err(bad_request(
            "cannot revert to the file settings: they enable scim group sync \
             ([auth.scim] group_sync_enabled) and team sync is enabled",
        )
        .into());
    }
    let cache = state.clone();
    state
        .db
        .write(move |tx| {
            store::delete(tx, &ns)?;
            cache.set_stored_config(None);
            Ok(())
        })
        .await?;
    drop(team_sync);
    debug_assert_eq!(state.scim_settings().1, ConfigSource::File);
    Ok(ok(&json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": NAME, "group": "scim.grafana.app", "kind": "config"},
    })))
}
