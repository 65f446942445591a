//! `/Groups` (RFC 7644 §3), provisioning Grafana teams: list, read, create, replace,
//! patch (member add/remove in every dialect), delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use rusqlite::Connection;
use scim::model::{Group, PatchOpKind, PatchRequest};
use scim::schema::ResourceSchema;
use serde_json::Value;

use crate::error::AppError;
use crate::fault::{Fault, FaultSet};
use crate::http::body::JsonBody;
use crate::scim_api::answer;
use crate::scim_api::params::{ListQuery, Projection};
use crate::scim_api::ScimBase;
use crate::state::AppState;
use crate::store::groups::{self as store, GroupWrite, MissingExternalId};
use crate::timestamp::now_millis;

fn schema() -> &'static ResourceSchema {
    ResourceSchema::group()
}

/// Grafana: `group_sync_enabled` — without it SCIM may read groups but not write them.
fn require_group_sync(state: &AppState) -> Result<(), AppError> {
    if state.scim_settings().0.group_sync_enabled {
        return Ok(());
    }
    Err(AppError::client(
        StatusCode::FORBIDDEN,
        "scim group sync is disabled: enable [auth.scim] group_sync_enabled or the scim config's spec.enableGroupSync",
    ))
}

/// Whether a body carries `members` at all (attribute names ignore case).
fn asserts_members(body: &Value) -> bool {
    body.as_object()
        .is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case("members")))
}

/// The projection a request gets: as asked, or, under the `members-despite-excluded`
/// fault, without `members` in `excludedAttributes`.
fn members_exclusion_under_faults(mut projection: Projection, faults: &FaultSet) -> Projection {
    if faults.has(Fault::MembersDespiteExcluded) {
        projection.excluded = projection.excluded.and_then(|list| {
            let kept: Vec<&str> = list
                .split(',')
                .map(str::trim)
                .filter(|n| {
                    let top = n.rsplit(':').next().unwrap_or(n);
                    !top.split('.')
                        .next()
                        .unwrap_or(top)
                        .eq_ignore_ascii_case("members")
                })
                .collect();
            (!kept.is_empty()).then(|| kept.join(","))
        });
    }
    projection
}

/// The member faults, applied to the operations before they run:
/// `remove-with-value-removes-all` drops the value of a `remove` on `members` (so the
/// whole attribute goes), `add-member-replaces` turns an `add` of members into a
/// `replace`, `replace-members-adds` a `replace` into an `add`.
fn member_faults(request: &mut PatchRequest, faults: &FaultSet) {
    for op in &mut request.operations {
        let on_members = op
            .path
            .as_deref()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("members"));
        let members_in_value = op.path.is_none()
            && op
                .value
                .as_ref()
                .and_then(Value::as_object)
                .is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case("members")));
        match op.op {
            PatchOpKind::Remove
                if on_members
                    && op.value.as_ref().is_some_and(Value::is_array)
                    && faults.has(Fault::RemoveWithValueRemovesAll) =>
            {
                op.value = None;
            }
            PatchOpKind::Add
                if (on_members || members_in_value) && faults.has(Fault::AddMemberReplaces) =>
            {
                op.op = PatchOpKind::Replace;
            }
            PatchOpKind::Replace
                if (on_members || members_in_value) && faults.has(Fault::ReplaceMembersAdds) =>
            {
                op.op = PatchOpKind::Add;
            }
            _ => {}
        }
    }
}

/// The `member-replace-refused` fault: a `replace` naming `members` (as its path or a
/// key of its path-less value) is answered 501, as a target without it would.
fn refuse_member_replace(request: &PatchRequest) -> Result<(), AppError> {
    let names_members = |op: &scim::model::PatchOperation| {
        op.path
            .as_deref()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("members"))
            || (op.path.is_none()
                && op
                    .value
                    .as_ref()
                    .and_then(Value::as_object)
                    .is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case("members"))))
    };
    if request
        .operations
        .iter()
        .any(|op| op.op == PatchOpKind::Replace && names_members(op))
    {
        return Err(scim::ScimError::new(
            501,
            None,
            "patch replace is not supported for group members",
        )
        .into());
    }
    Ok(())
}

/// The `readd-member-conflict` fault (`readd`): an `add` on `members` naming a current
/// member is refused with `409 uniqueness`; the `remove-non-member-fails` fault
/// (`remove_absent`): a `remove` on `members` whose value names a user who is no member
/// is refused with `400 noTarget`.
fn refuse_member_changes(
    members: &[Value],
    request: &PatchRequest,
    (readd, remove_absent): (bool, bool),
) -> Result<(), AppError> {
    let current: Vec<&str> = members.iter().filter_map(|m| m["value"].as_str()).collect();
    for op in &request.operations {
        let on_members = op
            .path
            .as_deref()
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("members"));
        if !on_members {
            continue;
        }
        let values = op.value.as_ref().and_then(Value::as_array);
        for id in values
            .into_iter()
            .flatten()
            .filter_map(|v| v["value"].as_str())
        {
            match op.op {
                PatchOpKind::Add if readd && current.contains(&id) => {
                    return Err(scim::ScimError::uniqueness(format!(
                        "user `{id}` is already a member"
                    ))
                    .into());
                }
                PatchOpKind::Remove if remove_absent && !current.contains(&id) => {
                    return Err(
                        scim::ScimError::no_target(format!("user `{id}` is not a member")).into(),
                    );
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Run `write` in the writer transaction and render the group it leaves, with
/// `members` unless the projection leaves them out.
async fn write_group<W>(
    state: &AppState,
    base: String,
    projection: &Projection,
    write: W,
) -> Result<Value, AppError>
where
    W: FnOnce(&Connection) -> Result<store::ScimGroupRecord, AppError> + Send + 'static,
{
    let with_members = projection.wants("members", schema());
    answer::write_and_render(state, write, move |tx, rec| {
        store::render(tx, rec, with_members, &base)
    })
    .await
}

/// RFC 7644 §3.4.2: `GET /Groups`; members are not loaded when the response would not
/// carry them (`excludedAttributes=members`, as Entra sends) and the filter does not
/// name them.
pub async fn list(
    State(state): State<AppState>,
    ScimBase(base): ScimBase,
    mut q: ListQuery,
) -> Result<Response, AppError> {
    q.projection = members_exclusion_under_faults(q.projection, &state.faults);
    let case_sensitive_name = state.fault(Fault::CaseSensitiveGroupName);
    answer::list(&state, q, schema(), "members", move |tx, selection| {
        store::query(tx, selection, &base, case_sensitive_name)
    })
    .await
}

/// RFC 7644 §3.4.1: `GET /Groups/{id}`.
pub async fn get(
    State(state): State<AppState>,
    ScimBase(base): ScimBase,
    Path((_ns, id)): Path<(String, String)>,
    projection: Projection,
) -> Result<Response, AppError> {
    let projection = members_exclusion_under_faults(projection, &state.faults);
    let with_members = projection.wants("members", schema());
    answer::read_one(&state, &projection, schema(), move |tx| {
        let rec = store::get(tx, &id)?.ok_or_else(|| store::not_found(&id))?;
        Ok(store::render(tx, &rec, with_members, &base)?)
    })
    .await
}

/// RFC 7644 §3.3: `POST /Groups` creates a provisioned team; `displayName` is required
/// and unique; every member must be a known user id.
pub async fn create(
    State(state): State<AppState>,
    ScimBase(base): ScimBase,
    projection: Projection,
    body: JsonBody,
) -> Result<Response, AppError> {
    require_group_sync(&state)?;
    let write = GroupWrite::from_group(Group::from_json(body.json()?)?, true)?;
    let now = now_millis();
    let allow_duplicate = state.fault(Fault::DuplicateGroupName);
    let resource = write_group(&state, base, &projection, move |tx| {
        store::create(tx, write, now, allow_duplicate)
    })
    .await?;
    answer::created_resource(&projection, resource, schema())
}

/// RFC 7644 §3.5.1: `PUT /Groups/{id}` (Okta pushes groups this way, with all
/// members). Omitted `members` or `externalId` keep their stored values.
pub async fn replace(
    State(state): State<AppState>,
    ScimBase(base): ScimBase,
    Path((_ns, id)): Path<(String, String)>,
    projection: Projection,
    body: JsonBody,
) -> Result<Response, AppError> {
    require_group_sync(&state)?;
    let json = body.json()?;
    let members_asserted = asserts_members(&json);
    let write = GroupWrite::from_group(Group::from_json(json)?, members_asserted)?;
    let now = now_millis();
    let resource = write_group(&state, base, &projection, move |tx| {
        store::replace(tx, &id, write, MissingExternalId::Keep, now)
    })
    .await?;
    answer::resource(&projection, resource, schema())
}

/// RFC 7644 §3.5.2: `PATCH /Groups/{id}` → `200` with the resource. The operations
/// apply to the group with its members inside the writer transaction, so concurrent
/// member adds serialize and all land.
pub async fn patch(
    State(state): State<AppState>,
    ScimBase(base): ScimBase,
    Path((_ns, id)): Path<(String, String)>,
    projection: Projection,
    body: JsonBody,
) -> Result<Response, AppError> {
    require_group_sync(&state)?;
    let mut request = PatchRequest::from_json(body.json()?)?;
    member_faults(&mut request, &state.faults);
    if state.fault(Fault::MemberReplaceRefused) {
        refuse_member_replace(&request)?;
    }
    let member_checks = (
        state.fault(Fault::ReaddMemberConflict),
        state.fault(Fault::RemoveNonMemberFails),
    );
    let now = now_millis();
    let stored_base = base.clone();
    if state.fault(Fault::UnlockedGroupPatch) {
        return unlocked_patch(&state, id, request, base, &projection, now).await;
    }
    let resource = write_group(&state, base, &projection, move |tx| {
        let rec = store::get(tx, &id)?.ok_or_else(|| store::not_found(&id))?;
        let members = store::members(tx, rec.team_id, &stored_base)?;
        if member_checks != (false, false) {
            refuse_member_changes(&members, &request, member_checks)?;
        }
        let mut resource = store::resource(&rec, Some(members), &stored_base);
        scim::patch::apply(&mut resource, &request, schema())?;
        let write = GroupWrite::from_group(Group::from_json(resource)?, true)?;
        store::replace(tx, &id, write, MissingExternalId::Clear, now)
    })
    .await?;
    answer::resource(&projection, resource, schema())
}

/// The `unlocked-group-patch` fault: the group and its members are read in one
/// transaction, the operations applied outside it, and the whole member list written
/// in another, a moment later; PATCHes that overlap overwrite each other's members.
async fn unlocked_patch(
    state: &AppState,
    id: String,
    request: PatchRequest,
    base: String,
    projection: &Projection,
    now: i64,
) -> Result<Response, AppError> {
    let (read_id, read_base) = (id.clone(), base.clone());
    let mut resource = state
        .db
        .read(move |tx| {
            let rec = store::get(tx, &read_id)?.ok_or_else(|| store::not_found(&read_id))?;
            let members = store::members(tx, rec.team_id, &read_base)?;
            Ok(store::resource(&rec, Some(members), &read_base))
        })
        .await?;
    scim::patch::apply(&mut resource, &request, schema())?;
    let write = GroupWrite::from_group(Group::from_json(resource)?, true)?;
    // The window a slower store leaves between its read and its write.
    tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    let resource = write_group(state, base, projection, move |tx| {
        store::replace(tx, &id, write, MissingExternalId::Clear, now)
    })
    .await?;
    answer::resource(projection, resource, schema())
}

/// RFC 7644 §3.6: `DELETE /Groups/{id}` → `204`; the team is deleted too.
pub async fn delete(
    State(state): State<AppState>,
    Path((_ns, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    require_group_sync(&state)?;
    let keep_team = state.fault(Fault::KeepTeamOnGroupDelete);
    let result = state
        .db
        .write(move |tx| store::delete(tx, &id, keep_team))
        .await;
    answer::deleted(&state, result)
}
