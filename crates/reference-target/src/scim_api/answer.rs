//! The answers `/Users` and `/Groups` share: a list page (RFC 7644 §3.4.2), a resource
//! under the request's projection (§3.4.1, §3.5), and a created resource with its
//! `Location` (§3.3).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::Connection;
use scim::schema::ResourceSchema;
use serde_json::Value;

use crate::error::AppError;
use crate::fault::Fault;
use crate::scim_api::params::{filter_mentions, paged_list_response, ListQuery, Projection};
use crate::scim_api::{created, scim_json};
use crate::state::AppState;
use crate::store::listing::{Listed, Selection};

/// RFC 7644 §3.4.2: a list. `query` reads the total and one page of what the request
/// selects, with memberships (`memberships`: `groups` or `members`) loaded only when
/// the response carries them or the filter names them; each resource is projected,
/// and the ListResponse echoes the `startIndex` asked for. The `ignore-start-index`
/// fault reads from the first result.
pub async fn list<Q>(
    state: &AppState,
    q: ListQuery,
    schema: &'static ResourceSchema,
    memberships: &'static str,
    query: Q,
) -> Result<Response, AppError>
where
    Q: FnOnce(&Connection, &Selection<'_>) -> Result<Listed, AppError> + Send + 'static,
{
    let with_memberships = q.projection.wants(memberships, schema)
        || q.filter
            .as_ref()
            .is_some_and(|f| filter_mentions(f, memberships));
    let faults = state.faults.clone();
    let start_index = if state.fault(Fault::IgnoreStartIndex) {
        1
    } else {
        q.start_index
    };
    let body = state
        .db
        .read(move |tx| {
            let selection = Selection {
                filter: q.filter.as_ref(),
                start_index,
                count: q.count,
                with_memberships,
            };
            let (total, resources) = query(tx, &selection)?;
            let resources = resources
                .into_iter()
                .map(|r| q.projection.apply(r, schema))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(paged_list_response(
                resources,
                total,
                q.start_index,
                &faults,
            ))
        })
        .await?;
    Ok(scim_json(StatusCode::OK, &body))
}

/// RFC 7644 §3.4.1: `read` one resource in a read transaction; `200 OK` with it as
/// the projection asks.
pub async fn read_one<F>(
    state: &AppState,
    projection: &Projection,
    schema: &ResourceSchema,
    read: F,
) -> Result<Response, AppError>
where
    F: FnOnce(&Connection) -> Result<Value, AppError> + Send + 'static,
{
    let resource = state.db.read(read).await?;
    self::resource(projection, resource, schema)
}

/// `200 OK` with the resource as the projection asks.
pub fn resource(
    projection: &Projection,
    resource: Value,
    schema: &ResourceSchema,
) -> Result<Response, AppError> {
    Ok(scim_json(
        StatusCode::OK,
        &projection.apply(resource, schema)?,
    ))
}

/// RFC 7644 §3.3: `201 Created` with the resource as the projection asks, and its
/// `meta.location` as `Location`.
pub fn created_resource(
    projection: &Projection,
    resource: Value,
    schema: &ResourceSchema,
) -> Result<Response, AppError> {
    let location = resource["meta"]["location"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(created(&projection.apply(resource, schema)?, &location))
}

/// Run `write` in the writer transaction and `render` the record it leaves, in the same
/// transaction.
pub async fn write_and_render<R, W, D>(
    state: &AppState,
    write: W,
    render: D,
) -> Result<Value, AppError>
where
    R: 'static,
    W: FnOnce(&Connection) -> Result<R, AppError> + Send + 'static,
    D: FnOnce(&Connection, &R) -> rusqlite::Result<Value> + Send + 'static,
{
    state
        .db
        .write(move |tx| {
            let rec = write(tx)?;
            Ok(render(tx, &rec)?)
        })
        .await
}

/// RFC 7644 §3.6: `204 No Content` for a delete, or its error (`404` for an id that does
/// not exist, also when it was deleted before). The `delete-unknown-succeeds` fault
/// answers `204` for that `404`.
pub fn deleted(state: &AppState, result: Result<(), AppError>) -> Result<Response, AppError> {
    match result {
        Err(e)
            if e.status() == StatusCode::NOT_FOUND && state.fault(Fault::DeleteUnknownSucceeds) =>
        {
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        other => other.map(|()| StatusCode::NO_CONTENT.into_response()),
    }
}
