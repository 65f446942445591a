//! Grafana's user endpoints: `GET /api/user` (the login session), and the server-admin
//! ones `GET /api/users/lookup`, `GET /api/users/search`, `PUT /api/users/:id`,
//! `POST /api/admin/users`,
//! `DELETE /api/admin/users/:id` (a service-account token gets 403 there,
//! [`crate::http::auth`]).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, GrafanaError};
use crate::fault::Fault;
use crate::grafana_api::{paging, path_id, query_map};
use crate::http::body::JsonBody;
use crate::state::AppState;
use crate::store::app::{self as store, AppUser};
use crate::timestamp::{age_string, grafana_datetime, now_millis};

/// The login session cookie Grafana uses.
pub const SESSION_COOKIE: &str = "grafana_session";

/// Grafana's user JSON (`GET /api/user`, `GET /api/users/lookup`).
fn user_json(u: &AppUser) -> Value {
    json!({
        "id": u.id,
        "uid": u.uid,
        "email": u.email,
        "name": u.name,
        "login": u.login,
        "theme": "",
        "orgId": u.org_id,
        "isGrafanaAdmin": u.is_admin,
        "isDisabled": u.is_disabled,
        "isExternal": u.is_external(),
        "isProvisioned": u.is_provisioned,
        "authLabels": u.auth_labels(),
        "updatedAt": grafana_datetime(u.updated),
        "createdAt": grafana_datetime(u.created),
        "avatarUrl": "",
    })
}

/// The session token from the `Cookie` headers.
fn session_token(headers: &HeaderMap) -> Option<String> {
    crate::http::request_cookie(headers, SESSION_COOKIE)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The user behind the request's login session cookie (the `session` table, written by
/// the SAML login); `None` without a cookie, or when its session is unknown, expired, or
/// its user disabled. `GET /api/user` and the home page `GET /` both read it.
pub(crate) async fn session_user(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<AppUser>, AppError> {
    let Some(token) = session_token(headers) else {
        return Ok(None);
    };
    let now = now_millis();
    // A session outlives its user's disabling only under a fault.
    let allow_disabled =
        state.fault(Fault::SamlAllowDisabled) || state.fault(Fault::SessionSurvivesDisable);
    state
        .db
        .read(move |tx| Ok(store::session_user(tx, &token, now, allow_disabled)?))
        .await
}

/// `GET /api/user`: the user behind the login session cookie; without one this is 401.
pub async fn signed_in_user(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, GrafanaError> {
    let user = session_user(&state, &headers)
        .await?
        .ok_or_else(|| AppError::client(StatusCode::UNAUTHORIZED, "Unauthorized"))?;
    Ok(Json(user_json(&user)))
}

/// `GET /api/users/lookup?loginOrEmail=`: 404 `{"message":"user not found"}` when unknown.
pub async fn lookup(State(state): State<AppState>, uri: Uri) -> Result<Json<Value>, GrafanaError> {
    let params = query_map(&uri)?;
    let value = params.get("loginOrEmail").cloned().unwrap_or_default();
    let user = state
        .db
        .read(move |tx| Ok(store::user_by_login_or_email(tx, &value)?))
        .await?
        .ok_or_else(|| AppError::client(StatusCode::NOT_FOUND, "user not found"))?;
    Ok(Json(user_json(&user)))
}

/// `GET /api/users/search?perpage=&page=&query=&isProvisioned=`.
pub async fn search(State(state): State<AppState>, uri: Uri) -> Result<Json<Value>, GrafanaError> {
    let params = query_map(&uri)?;
    let (page, per_page) = paging(&params);
    let query = params
        .get("query")
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    let is_provisioned = match params
        .get("isProvisioned")
        .map(|v| v.trim().to_ascii_lowercase())
    {
        Some(v) if v == "true" => Some(true),
        Some(v) if v == "false" => Some(false),
        _ => None,
    };
    let (total, users) = state
        .db
        .read(move |tx| {
            Ok(store::search_users(
                tx,
                query.as_deref(),
                is_provisioned,
                page,
                per_page,
            )?)
        })
        .await?;
    let now = now_millis();
    let hits: Vec<Value> = users
        .iter()
        .map(|u| {
            json!({
                "id": u.id,
                "uid": u.uid,
                "name": u.name,
                "login": u.login,
                "email": u.email,
                "avatarUrl": "",
                "isAdmin": u.is_admin,
                "isDisabled": u.is_disabled,
                "isProvisioned": u.is_provisioned,
                "lastSeenAt": grafana_datetime(u.last_seen_at),
                "lastSeenAtAge": age_string(u.last_seen_at, now),
                "authLabels": u.auth_labels(),
            })
        })
        .collect();
    Ok(Json(
        json!({"totalCount": total, "users": hits, "page": page, "perPage": per_page}),
    ))
}

/// The user fields of `POST /api/admin/users` (a `password` is accepted and ignored: the
/// target has no password login) and of `PUT /api/users/:id` (Grafana's
/// `UpdateUserCommand`; `theme` is accepted and ignored).
#[derive(Debug, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub login: String,
}

/// `POST /api/admin/users` → `{"id":N,"message":"User created"}`: a local user SCIM did
/// not provision.
pub async fn create_local(
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<Json<Value>, GrafanaError> {
    let form: UserForm = body.form()?;
    let now = now_millis();
    let id = state
        .db
        .write(move |tx| store::create_local_user(tx, &form.login, &form.email, &form.name, now))
        .await?;
    Ok(Json(json!({"id": id, "message": "User created"})))
}

/// `DELETE /api/admin/users/:id` → `{"message":"User deleted"}`, 404 `user not found`
/// when there is none (Grafana's admin API, server admin only). The user goes with its
/// team memberships, sessions, external-auth links and SCIM resource, if any.
pub async fn delete_user(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<Json<Value>, GrafanaError> {
    let id = path_id(&user_id, "userId")?;
    let deleted = state
        .db
        .write(move |tx| Ok::<_, AppError>(store::delete_user(tx, id)?))
        .await?;
    if !deleted {
        return Err(AppError::client(StatusCode::NOT_FOUND, "user not found").into());
    }
    Ok(Json(json!({"message": "User deleted"})))
}

/// Grafana: the refusal of `handleUpdateUser` for a user with an external auth identity
/// (PR #58442; Grafana 13 words it "Cannot update external User", grafana#125915).
pub const EXTERNAL_USER_NOT_EDITABLE: &str = "User info cannot be updated for external Users";

/// `PUT /api/users/:id` → `{"message":"User updated"}` (server admin only). A user with
/// an external auth identity, as every user SCIM provisioned has, is refused with 403:
/// its login, email and name belong to the IdP.
pub async fn update_user(
    State(state): State<AppState>,
    Path(user_id): Path<String>,
    body: JsonBody,
) -> Result<Json<Value>, GrafanaError> {
    let id = path_id(&user_id, "id")?;
    let form: UserForm = body.form()?;
    let guarded = !state.fault(Fault::ExternalUserEditable);
    let now = now_millis();
    state
        .db
        .write(move |tx| {
            let user = store::user_by_id(tx, id)?
                .ok_or_else(|| AppError::client(StatusCode::NOT_FOUND, "user not found"))?;
            if guarded && user.is_external() {
                return Err(AppError::client(
                    StatusCode::FORBIDDEN,
                    EXTERNAL_USER_NOT_EDITABLE,
                ));
            }
            store::update_user_info(tx, id, &form.login, &form.email, &form.name, now)
        })
        .await?;
    Ok(Json(json!({"message": "User updated"})))
}
