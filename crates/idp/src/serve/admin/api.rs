//! The JSON API: users, groups and memberships of the persona's directory, cycles run
//! now, and the exchanges logged.
//!
//! An edit is checked whole before any of it is applied: an unknown attribute or a value
//! of the wrong type is a 400 naming it, and the directory is left as it was.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::user_edit::{
    apply_checked, apply_user_changes, boolean, check_user_changes, object, user_changes,
    wrong_type,
};
use super::{resolve_user, ApiAdmin, ApiPath, Refusal};
use crate::directory::{DirGroup, DirUser, Directory, DirectoryError};
use crate::serve::{page, Site};

/// Display names of the live groups each user is a member of.
fn memberships(dir: &Directory) -> HashMap<String, Vec<&str>> {
    let mut out: HashMap<String, Vec<&str>> = HashMap::new();
    for g in dir.groups().iter().filter(|g| !g.deleted) {
        for m in g.members.iter() {
            out.entry(m.into_owned())
                .or_default()
                .push(g.display_name.as_str());
        }
    }
    out
}

/// A user as the API shows it.
pub(super) fn user_json(site: &Site, u: &DirUser, groups: &[&str]) -> Value {
    let p = &u.profile;
    json!({
        "id": u.id,
        "oktaId": u.okta_id,
        "userPrincipalName": p.user_principal_name,
        "mail": p.mail,
        "givenName": p.given_name,
        "surname": p.surname,
        "displayName": p.display_name,
        "jobTitle": p.job_title,
        "department": p.department,
        "employeeId": p.employee_id,
        "manager": p.manager,
        "enabled": u.enabled,
        "assigned": u.assigned,
        "softDeleted": u.soft_deleted,
        "hardDeleted": u.hard_deleted,
        "active": u.is_active(),
        "groups": groups,
        "externalId": site.persona.external_id(u),
        "targetId": site.provisioner.user_target_id(&u.id),
    })
}

/// User `id` of `dir` as the API shows it.
fn one_user(site: &Site, dir: &Directory, id: &str) -> Value {
    let groups = memberships(dir);
    dir.user(id).map_or(Value::Null, |u| {
        user_json(
            site,
            &u,
            groups.get(u.id.as_str()).map_or(&[], Vec::as_slice),
        )
    })
}

/// A group as the API shows it.
fn group_json(site: &Site, dir: &Directory, g: &DirGroup) -> Value {
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|m| {
            json!({
                "userPrincipalName": dir.user(&m).map(|u| u.profile.user_principal_name.clone()),
                "id": m,
            })
        })
        .collect();
    json!({
        "id": g.id,
        "displayName": g.display_name,
        "pushed": g.pushed,
        "deleted": g.deleted,
        "members": members,
        "targetId": site.provisioner.group_target_id(&g.id),
    })
}

fn one_group(site: &Site, dir: &Directory, id: &str) -> Result<Value, Refusal> {
    dir.group(id)
        .map(|g| group_json(site, dir, g))
        .ok_or_else(|| crate::directory::DirectoryError::UnknownGroup(id.to_owned()).into())
}

fn reply(result: Result<Value, Refusal>, status: StatusCode) -> Response {
    match result {
        Ok(value) => (status, Json(value)).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// `GET /api/users`: every user, tombstones included.
pub(super) async fn list_users(_: ApiAdmin, State(site): State<Arc<Site>>) -> Response {
    let dir = site.provisioner.directory();
    let groups = memberships(&dir);
    let users: Vec<Value> = dir
        .users()
        .map(|u| {
            user_json(
                &site,
                &u,
                groups.get(u.id.as_str()).map_or(&[], Vec::as_slice),
            )
        })
        .collect();
    Json(users).into_response()
}

/// `GET /api/users/{KEY}`.
pub(super) async fn get_user(
    _: ApiAdmin,
    State(site): State<Arc<Site>>,
    ApiPath(key): ApiPath<String>,
) -> Response {
    let dir = site.provisioner.directory();
    let found = resolve_user(&dir, &key)
        .map(|id| one_user(&site, &dir, &id))
        .ok_or_else(|| Refusal::unknown_user(&key));
    reply(found, StatusCode::OK)
}

/// `POST /api/users`: `userPrincipalName` and any writable attribute; `id` (a new GUID
/// when missing) and `oktaId` (derived from `id` when missing).
pub(super) async fn create_user(
    _: ApiAdmin,
    State(site): State<Arc<Site>>,
    body: Bytes,
) -> Response {
    let created = (|| {
        let attrs = object(&body)?;
        let text = |name: &str| match attrs.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(other) => Err(wrong_type(name, "a non-empty string", other)),
        };
        let id = text("id")?.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let okta_id = text("oktaId")?;
        let login = text("userPrincipalName")?.ok_or_else(|| {
            Refusal::bad_request("attribute `userPrincipalName` is required".to_owned())
        })?;
        let changes = user_changes(&attrs, &["id", "oktaId", "userPrincipalName"])?;
        site.provisioner.edit(|dir| {
            if let Some(other) = dir.user_by_login(&login) {
                return Err(Refusal::conflict(format!(
                    "attribute `userPrincipalName`: `{login}` is user `{}`'s",
                    other.id
                )));
            }
            if dir.user(&id).is_some() {
                return Err(Refusal::conflict(format!(
                    "a user with id `{id}` already exists in the directory"
                )));
            }
            let mut user = DirUser::new(id.clone(), login);
            if let Some(okta_id) = okta_id {
                user.okta_id = okta_id;
            }
            // Checked before the user is added, so a refused attribute leaves no
            // half-made user.
            let checked = check_user_changes(dir, &id, changes)?;
            dir.add_user(user)?;
            apply_checked(dir, &id, checked)?;
            Ok(one_user(&site, dir, &id))
        })
    })();
    reply(created, StatusCode::CREATED)
}

/// `PATCH /api/users/{KEY}`: a JSON object of directory attributes.
pub(super) async fn patch_user(
    _: ApiAdmin,
    State(site): State<Arc<Site>>,
    ApiPath(key): ApiPath<String>,
    body: Bytes,
) -> Response {
    let patched = (|| {
        let attrs = object(&body)?;
        let changes = user_changes(&attrs, &[])?;
        site.provisioner.edit(|dir| {
            let id = resolve_user(dir, &key)
                .ok_or_else(|| Refusal::unknown_user(&key))?
                .to_owned();
            apply_user_changes(dir, &id, changes)?;
            Ok(one_user(&site, dir, &id))
        })
    })();
    reply(patched, StatusCode::OK)
}

/// `DELETE /api/users/{KEY}`: a hard delete (the user stays as a tombstone, and the next
/// cycle sends the persona's delete).
pub(super) async fn delete_user(
    _: ApiAdmin,
    State(site): State<Arc<Site>>,
    ApiPath(key): ApiPath<String>,
) -> Response {
    let deleted = site.provisioner.edit(|dir| {
        let id = resolve_user(dir, &key)
            .ok_or_else(|| Refusal::unknown_user(&key))?
            .to_owned();
        dir.hard_delete_user(&id)?;
        Ok(one_user(&site, dir, &id))
    });
    reply(deleted, StatusCode::OK)
}

/// `GET /api/groups`: every group, tombstones included.
pub(super) async fn list_groups(_: ApiAdmin, State(site): State<Arc<Site>>) -> Response {
    let dir = site.provisioner.directory();
    let groups: Vec<Value> = dir
        .groups()
        .iter()
        .map(|g| group_json(&site, &dir, g))
        .collect();
    Json(groups).into_response()
}

/// `GET /api/groups/{ID}`.
pub(super) async fn get_group(
    _: ApiAdmin,
    State(site): State<Arc<Site>>,
    ApiPath(id): ApiPath<String>,
) -> Response {
    let dir = site.provisioner.directory();
    reply(one_group(&site, &dir, &id), StatusCode::OK)
}

/// The group attributes in `attrs`: `displayName` and `pushed`; `skip` names attributes
/// the caller reads itself.
fn group_changes(
    attrs: &Map<String, Value>,
    skip: &[&str],
) -> Result<(Option<String>, Option<bool>), Refusal> {
    let mut name = None;
    let mut pushed = None;
    for (attr, value) in attrs {
        match attr.as_str() {
            a if skip.contains(&a) => {}
            "displayName" => match value.as_str() {
                Some(s) if !s.trim().is_empty() => name = Some(s.to_owned()),
                _ => return Err(wrong_type(attr, "a non-empty string", value)),
            },
            "pushed" => pushed = Some(boolean(attr, value)?),
            other => {
                return Err(Refusal::bad_request(format!(
                    "unknown attribute `{other}` (writable: displayName, pushed; members \
                     through /api/groups/{{ID}}/members/{{KEY}})"
                )))
            }
        }
    }
    Ok((name, pushed))
}

/// `POST /api/groups`: `displayName`, `id` (a new GUID when missing), `pushed`.
pub(super) async fn create_group(
    _: ApiAdmin,
    State(site): State<Arc<Site>>,
    body: Bytes,
) -> Response {
    let created = (|| {
        let attrs = object(&body)?;
        let id = match attrs.get("id") {
            None | Some(Value::Null) => uuid::Uuid::new_v4().to_string(),
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(other) => return Err(wrong_type("id", "a non-empty string", other)),
        };
        let (name, pushed) = group_changes(&attrs, &["id"])?;
        let name = name.ok_or_else(|| {
            Refusal::bad_request("attribute `displayName` is required".to_owned())
        })?;
        site.provisioner.edit(|dir| {
            let mut group = DirGroup::new(id.clone(), name);
            group.pushed = pushed.unwrap_or(true);
            dir.create_group(group)?;
            one_group(&site, dir, &id)
        })
    })();
    reply(created, StatusCode::CREATED)
}

/// `PATCH /api/groups/{ID}`: `displayName` (a rename), `pushed`.
pub(super) async fn patch_group(
    _: ApiAdmin,
    State(site): State<Arc<Site>>,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Response {
    let patched = (|| {
        let attrs = object(&body)?;
        let (name, pushed) = group_changes(&attrs, &[])?;
        site.provisioner.edit(|dir| {
            if dir.group(&id).is_none_or(|g| g.deleted) {
                return Err(crate::directory::DirectoryError::UnknownGroup(id.clone()).into());
            }
            if let Some(name) = name {
                dir.rename_group(&id, &name)?;
            }
            if let Some(pushed) = pushed {
                dir.set_group_pushed(&id, pushed)?;
            }
            one_group(&site, dir, &id)
        })
    })();
    reply(patched, StatusCode::OK)
}

/// `DELETE /api/groups/{ID}`: the group stays as a tombstone; the next cycle deletes it
/// in the target.
pub(super) async fn delete_group(
    _: ApiAdmin,
    State(site): State<Arc<Site>>,
    ApiPath(id): ApiPath<String>,
) -> Response {
    let deleted = site.provisioner.edit(|dir| {
        dir.delete_group(&id)?;
        one_group(&site, dir, &id)
    });
    reply(deleted, StatusCode::OK)
}

/// `PUT /api/groups/{ID}/members/{KEY}`.
pub(super) async fn add_member(
    _: ApiAdmin,
    State(site): State<Arc<Site>>,
    ApiPath((id, key)): ApiPath<(String, String)>,
) -> Response {
    edit_member(&site, &id, &key, Directory::add_member)
}

/// `DELETE /api/groups/{ID}/members/{KEY}`.
pub(super) async fn remove_member(
    _: ApiAdmin,
    State(site): State<Arc<Site>>,
    ApiPath((id, key)): ApiPath<(String, String)>,
) -> Response {
    edit_member(&site, &id, &key, Directory::remove_member)
}

/// Adds or removes (`change`) the user KEY names in group `id`; answers the group.
fn edit_member(
    site: &Site,
    id: &str,
    key: &str,
    change: fn(&mut Directory, &str, &str) -> Result<(), DirectoryError>,
) -> Response {
    let edited = site.provisioner.edit(|dir| {
        let user = resolve_user(dir, key)
            .ok_or_else(|| Refusal::unknown_user(key))?
            .to_owned();
        change(dir, id, &user)?;
        one_group(site, dir, id)
    });
    reply(edited, StatusCode::OK)
}

/// `POST /api/sync`: one cycle now; its summary, or 409 without a target.
pub(super) async fn sync(_: ApiAdmin, State(site): State<Arc<Site>>) -> Response {
    match site.provisioner.sync().await {
        Ok(summary) => Json(summary).into_response(),
        Err(refused) => page::json_error(StatusCode::CONFLICT, "no_target", &refused.to_string()),
    }
}

/// `GET /api/transcript?since=N`: the logged exchanges numbered above N (0 when absent),
/// oldest first, and `next`, the N to poll with.
pub(super) async fn transcript(
    _: ApiAdmin,
    State(site): State<Arc<Site>>,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let since = match query.as_ref().map(|q| q.get("since")) {
        Err(e) => return Refusal::bad_request(format!("the query string: {e}")).into_response(),
        Ok(None) => 0,
        Ok(Some(n)) => match n.parse::<u64>() {
            Ok(n) => n,
            Err(_) => {
                return Refusal::bad_request(format!(
                    "query parameter `since`: expected an exchange number, got `{n}`"
                ))
                .into_response()
            }
        },
    };
    #[derive(serde::Serialize)]
    struct Page<'a> {
        exchanges: Vec<&'a super::super::provision::Logged>,
        next: u64,
    }
    // Written while the log is held, so no exchange is copied.
    let text = {
        let log = site.provisioner.log();
        serde_json::to_string(&Page {
            exchanges: log.since(since).collect(),
            next: log.last(),
        })
    };
    match text {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => page::json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            &format!("writing the transcript: {e}"),
        ),
    }
}

/// Any other `/api/…` path.
pub(super) async fn not_found(_: ApiAdmin, uri: axum::http::Uri) -> Response {
    page::json_error(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("no API at {}", uri.path()),
    )
}
