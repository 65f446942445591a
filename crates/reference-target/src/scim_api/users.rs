//! `/Users` (RFC 7644 §3): list, read, create (or adopt), replace, patch, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rusqlite::Connection;
use scim::model::{PatchRequest, User};
use scim::schema::ResourceSchema;
use serde_json::Value;

use crate::error::AppError;
use crate::fault::{Fault, FaultSet};
use crate::http::body::JsonBody;
use crate::scim_api::answer;
use crate::scim_api::params::{ListQuery, Projection};
use crate::scim_api::ScimBase;
use crate::state::AppState;
use crate::store::users::{self as store, MissingExternalId, UserWrite};
use crate::timestamp::now_millis;

fn schema() -> &'static ResourceSchema {
    ResourceSchema::user()
}

/// Grafana: `user_sync_enabled` — without it SCIM may read users but not write them.
fn require_user_sync(state: &AppState) -> Result<(), AppError> {
    if state.scim_settings().0.user_sync_enabled || state.fault(Fault::UserSyncOffIgnored) {
        return Ok(());
    }
    Err(AppError::client(
        StatusCode::FORBIDDEN,
        "scim user sync is disabled: enable [auth.scim] user_sync_enabled or the scim config's spec.enableUserSync",
    ))
}

/// The `ignore-false-string` fault: only a JSON boolean `false` disables, so Entra's
/// `"False"` (any string) for `active` reads as `true`. Names ignore case.
fn false_string_reads_true(resource: &mut Value) {
    if let Some(obj) = resource.as_object_mut() {
        for (key, value) in obj.iter_mut() {
            if key.eq_ignore_ascii_case("active") && value.is_string() {
                *value = Value::Bool(true);
            }
        }
    }
}

/// [`false_string_reads_true`] for the operations of a PATCH, before they apply.
fn false_string_reads_true_in_patch(request: &mut PatchRequest) {
    for op in &mut request.operations {
        let Some(value) = op.value.as_mut() else {
            continue;
        };
        match op.path.as_deref() {
            Some(path) if path.eq_ignore_ascii_case("active") => {
                if value.is_string() {
                    *value = Value::Bool(true);
                }
            }
            None => false_string_reads_true(value),
            Some(_) => {}
        }
    }
}

/// The `urn-path-ignored` fault: operations whose path, and path-less value keys, are
/// qualified with the core User URN are dropped before the PATCH applies.
fn skip_core_urn_paths(request: &mut PatchRequest) {
    let core = |name: &str| {
        name.get(..scim::model::USER_SCHEMA.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(scim::model::USER_SCHEMA))
    };
    request
        .operations
        .retain(|op| !op.path.as_deref().is_some_and(core));
    for op in &mut request.operations {
        if let (None, Some(Value::Object(value))) = (&op.path, op.value.as_mut()) {
            value.retain(|k, _| !core(k));
        }
    }
}

/// Whether a PATCH path names the enterprise `manager` (bare, dotted or URN-qualified).
fn names_manager(path: &str) -> bool {
    path.rsplit([':', '.'])
        .next()
        .is_some_and(|last| last.eq_ignore_ascii_case("manager"))
}

/// The `manager-remove-refused` fault: a `remove` of the manager answers `400 noTarget`.
fn refuse_manager_remove(request: &PatchRequest) -> Result<(), AppError> {
    let removes = request.operations.iter().any(|op| {
        op.op == scim::model::PatchOpKind::Remove && op.path.as_deref().is_some_and(names_manager)
    });
    if removes {
        return Err(scim::ScimError::no_target("the manager cannot be removed").into());
    }
    Ok(())
}

/// The `manager-string-refused` fault: a `manager` whose value is a bare string (Entra's
/// current form) instead of `{"value": …}` is refused with `400 invalidValue`.
fn refuse_bare_manager(request: &PatchRequest) -> Result<(), AppError> {
    let bare = request.operations.iter().any(|op| {
        op.path.as_deref().is_some_and(names_manager)
            && op.value.as_ref().is_some_and(Value::is_string)
    });
    if bare {
        return Err(scim::ScimError::invalid_value(
            "attribute `manager` must be a complex value with `value`",
        )
        .into());
    }
    Ok(())
}

/// The `add-filtered-path-no-target` fault: an `add` whose path filters a multi-valued
/// attribute (`emails[type eq "work"].value`) that has no element yet is refused with
/// `noTarget`, as RFC 7644 §3.5.2.3 says for `replace`.
fn refuse_add_without_target(resource: &Value, request: &PatchRequest) -> Result<(), AppError> {
    for op in &request.operations {
        let Some((attr, _)) = op.path.as_deref().and_then(|p| p.split_once('[')) else {
            continue;
        };
        let has_elements = resource.as_object().is_some_and(|o| {
            o.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case(attr.trim()) && v.as_array().is_some_and(|a| !a.is_empty())
            })
        });
        if op.op == scim::model::PatchOpKind::Add && !has_elements {
            return Err(scim::ScimError::no_target(format!(
                "path `{}` matches no value",
                op.path.as_deref().unwrap_or_default()
            ))
            .into());
        }
    }
    Ok(())
}

/// The `add-on-present-attribute-refused` fault: an `add` with a path whose attribute
/// the user already holds (`active`, `emails[…].value`, a URN-qualified attribute) is
/// refused with `invalidValue`.
fn refuse_add_on_present(resource: &Value, request: &PatchRequest) -> Result<(), AppError> {
    let holds = |path: &str| {
        let (object, attr) = match path.rsplit_once(':') {
            Some((urn, attr)) if path.starts_with("urn:") => (resource.get(urn), attr),
            _ => (Some(resource), path),
        };
        let name = attr.split(['[', '.']).next().unwrap_or_default().trim();
        object.and_then(Value::as_object).is_some_and(|o| {
            o.iter()
                .any(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_null())
        })
    };
    for op in &request.operations {
        if op.op != scim::model::PatchOpKind::Add {
            continue;
        }
        if let Some(path) = op.path.as_deref().filter(|p| holds(p)) {
            return Err(scim::ScimError::invalid_value(format!(
                "add is not supported for `{path}`, which has a value"
            ))
            .into());
        }
    }
    Ok(())
}

/// What a POST or PUT body asks to store; under the `ignore-false-string` fault a
/// string `active` reads as `true`.
fn user_write(state: &AppState, body: JsonBody) -> Result<UserWrite, AppError> {
    let mut json = body.json()?;
    if state.fault(Fault::IgnoreFalseString) {
        false_string_reads_true(&mut json);
    }
    crate::limits::check_user(&json)?;
    UserWrite::from_user(User::from_json(json)?)
}

/// Run `write` in the writer transaction and render the user it leaves, with `groups`
/// (every write answers with them).
async fn write_user<W>(state: &AppState, base: String, write: W) -> Result<Value, AppError>
where
    W: FnOnce(&Connection, &FaultSet) -> Result<store::ScimUserRecord, AppError> + Send + 'static,
{
    let faults = state.faults.clone();
    answer::write_and_render(
        state,
        move |tx| write(tx, &faults),
        move |tx, rec| store::render(tx, rec, true, &base),
    )
    .await
}

/// RFC 7644 §3.4.2: `GET /Users` with `filter`, paging and projection.
pub async fn list(
    State(state): State<AppState>,
    ScimBase(base): ScimBase,
    q: ListQuery,
) -> Result<Response, AppError> {
    let faults = state.faults.clone();
    answer::list(&state, q, schema(), "groups", move |tx, selection| {
        store::query(tx, selection, &base, &faults)
    })
    .await
}

/// RFC 7644 §3.4.1: `GET /Users/{id}`. A disabled user is still readable, with
/// `active: false`.
pub async fn get(
    State(state): State<AppState>,
    ScimBase(base): ScimBase,
    Path((_ns, id)): Path<(String, String)>,
    projection: Projection,
) -> Result<Response, AppError> {
    let with_groups = projection.wants("groups", schema());
    let hide_disabled = state.fault(Fault::HideDisabledUsers);
    answer::read_one(&state, &projection, schema(), move |tx| {
        let rec = store::get(tx, &id)?
            .filter(|rec| !(hide_disabled && rec.is_disabled))
            .ok_or_else(|| store::not_found(&id))?;
        Ok(store::render(tx, &rec, with_groups, &base)?)
    })
    .await
}

/// RFC 7644 §3.3: `POST /Users`. `externalId` is required (Grafana: "externalId is
/// mandatory"); a matching non-provisioned user by email is adopted (PR #108657).
pub async fn create(
    State(state): State<AppState>,
    ScimBase(base): ScimBase,
    projection: Projection,
    body: JsonBody,
) -> Result<Response, AppError> {
    require_user_sync(&state)?;
    let write = user_write(&state, body)?;
    let now = now_millis();
    let resource = write_user(&state, base, move |tx, faults| {
        store::create(tx, write, now, faults)
    })
    .await?;
    answer::created_resource(&projection, resource, schema())
}

/// RFC 7644 §3.5.1: `PUT /Users/{id}`. `id` and `meta` in the body are ignored
/// (read-only); an omitted `externalId` or `active` keeps its stored value.
pub async fn replace(
    State(state): State<AppState>,
    ScimBase(base): ScimBase,
    Path((_ns, id)): Path<(String, String)>,
    projection: Projection,
    body: JsonBody,
) -> Result<Response, AppError> {
    require_user_sync(&state)?;
    let write = user_write(&state, body)?;
    let now = now_millis();
    let resource = write_user(&state, base, move |tx, faults| {
        store::replace(tx, &id, write, MissingExternalId::Keep, now, faults)
    })
    .await?;
    answer::resource(&projection, resource, schema())
}

/// RFC 7644 §3.5.2: `PATCH /Users/{id}`, in every dialect `scim::patch` reads; the
/// result is validated as a whole User and answered with `200` and the resource.
pub async fn patch(
    State(state): State<AppState>,
    ScimBase(base): ScimBase,
    Path((_ns, id)): Path<(String, String)>,
    projection: Projection,
    body: JsonBody,
) -> Result<Response, AppError> {
    require_user_sync(&state)?;
    let mut request = PatchRequest::from_json(body.json()?)?;
    crate::limits::check_user_patch(&request)?;
    if state.fault(Fault::IgnoreFalseString) {
        false_string_reads_true_in_patch(&mut request);
    }
    if state.fault(Fault::UrnPathIgnored) {
        skip_core_urn_paths(&mut request);
    }
    if state.fault(Fault::ManagerStringRefused) {
        refuse_bare_manager(&request)?;
    }
    if state.fault(Fault::ManagerRemoveRefused) {
        refuse_manager_remove(&request)?;
    }
    let now = now_millis();
    let stored_base = base.clone();
    let resource = write_user(&state, base, move |tx, faults| {
        let rec = store::get(tx, &id)?.ok_or_else(|| store::not_found(&id))?;
        let mut resource = store::resource(&rec, None, &stored_base);
        if faults.has(Fault::AddFilteredPathNoTarget) {
            refuse_add_without_target(&resource, &request)?;
        }
        if faults.has(Fault::AddOnPresentAttributeRefused) {
            refuse_add_on_present(&resource, &request)?;
        }
        scim::patch::apply(&mut resource, &request, schema())?;
        crate::limits::check_user(&resource)?;
        let write = UserWrite::from_user(User::from_json(resource)?)?;
        store::replace(tx, &id, write, MissingExternalId::Refuse, now, faults)
    })
    .await?;
    answer::resource(&projection, resource, schema())
}

/// RFC 7644 §3.6: `DELETE /Users/{id}` → `204`; the app user stays, disabled.
pub async fn delete(
    State(state): State<AppState>,
    Path((_ns, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    require_user_sync(&state)?;
    let now = now_millis();
    let faults = state.faults.clone();
    let result = state
        .db
        .write(move |tx| store::delete(tx, &id, now, &faults))
        .await;
    answer::deleted(&state, result)
}
