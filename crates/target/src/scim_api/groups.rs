//! `/Groups` (RFC 7644 §3), provisioning Grafana teams: list, read, create, replace,
//! patch (member add/remove in every dialect), delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use scim::model::{Group, PatchRequest};
use scim::schema::ResourceSchema;
use serde_json::Value;

use crate::error::AppError;
use crate::http::body::JsonBody;
use crate::scim_api::params::{filter_mentions, list_response, ListQuery, Projection};
use crate::scim_api::{created, scim_json, ScimBase};
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

/// RFC 7644 §3.4.2: `GET /Groups`; members are not loaded when the response would not
/// carry them (`excludedAttributes=members`, as Entra sends) and the filter does not
/// name them.
pub async fn list(
    State(state): State<AppState>,
    ScimBase(base): ScimBase,
    q: ListQuery,
) -> Result<Response, AppError> {
    let with_members = q.projection.wants("members", schema())
        || q.filter
            .as_ref()
            .is_some_and(|f| filter_mentions(f, "members"));
    let body = state
        .db
        .read(move |tx| {
            let (total, resources) = store::query(
                tx,
                q.filter.as_ref(),
                q.start_index,
                q.count,
                with_members,
                &base,
            )?;
            let resources = resources
                .into_iter()
                .map(|r| q.projection.apply(r, schema()))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(list_response(resources, total, q.start_index))
        })
        .await?;
    Ok(scim_json(StatusCode::OK, &body))
}

/// RFC 7644 §3.4.1: `GET /Groups/{id}`.
pub async fn get(
    State(state): State<AppState>,
    ScimBase(base): ScimBase,
    Path((_ns, id)): Path<(String, String)>,
    projection: Projection,
) -> Result<Response, AppError> {
    let with_members = projection.wants("members", schema());
    let resource = state
        .db
        .read(move |tx| {
            let rec = store::get(tx, &id)?.ok_or_else(|| store::not_found(&id))?;
            Ok(store::render(tx, &rec, with_members, &base)?)
        })
        .await?;
    Ok(scim_json(
        StatusCode::OK,
        &projection.apply(resource, schema())?,
    ))
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
    let with_members = projection.wants("members", schema());
    let resource = state
        .db
        .write(move |tx| {
            let rec = store::create(tx, write, now)?;
            Ok(store::render(tx, &rec, with_members, &base)?)
        })
        .await?;
    let location = resource["meta"]["location"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(created(&projection.apply(resource, schema())?, &location))
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
    let with_members = projection.wants("members", schema());
    let resource = state
        .db
        .write(move |tx| {
            let rec = store::replace(tx, &id, write, MissingExternalId::Keep, now)?;
            Ok(store::render(tx, &rec, with_members, &base)?)
        })
        .await?;
    Ok(scim_json(
        StatusCode::OK,
        &projection.apply(resource, schema())?,
    ))
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
    let request = PatchRequest::from_json(body.json()?)?;
    let now = now_millis();
    let with_members = projection.wants("members", schema());
    let resource = state
        .db
        .write(move |tx| {
            let rec = store::get(tx, &id)?.ok_or_else(|| store::not_found(&id))?;
            let members = store::members(tx, rec.team_id, &base)?;
            let mut resource = store::resource(&rec, Some(members), &base);
            scim::patch::apply(&mut resource, &request, schema())?;
            let write = GroupWrite::from_group(Group::from_json(resource)?, true)?;
            let rec = store::replace(tx, &id, write, MissingExternalId::Clear, now)?;
            Ok(store::render(tx, &rec, with_members, &base)?)
        })
        .await?;
    Ok(scim_json(
        StatusCode::OK,
        &projection.apply(resource, schema())?,
    ))
}

/// RFC 7644 §3.6: `DELETE /Groups/{id}` → `204`; the team is deleted too.
pub async fn delete(
    State(state): State<AppState>,
    Path((_ns, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    require_group_sync(&state)?;
    state.db.write(move |tx| store::delete(tx, &id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
