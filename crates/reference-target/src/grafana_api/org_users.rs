//! Grafana's users of the current organization, the user reads an org-Admin service
//! account may make: `GET /api/org/users` and `GET /api/org/users/lookup`
//! (Grafana's `pkg/api/org_users.go`; Organization HTTP API docs).

use axum::extract::State;
use axum::http::Uri;
use axum::Json;
use serde_json::{json, Value};

use crate::error::GrafanaError;
use crate::grafana_api::{query_int, query_map};
use crate::state::AppState;
use crate::store::app::{self as store, AppUser};
use crate::timestamp::{age_string, grafana_datetime, now_millis};

/// `query` (substring of login, email or name, any case) and `limit` (≤ 0: no limit).
async fn org_users(state: &AppState, uri: &Uri) -> Result<Vec<AppUser>, GrafanaError> {
    let params = query_map(uri)?;
    let query = params
        .get("query")
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    let limit = match query_int(&params, "limit") {
        n if n <= 0 => u64::MAX,
        n => n.unsigned_abs(),
    };
    let (_, users) = state
        .db
        .read(move |tx| Ok(store::search_users(tx, query.as_deref(), None, 1, limit)?))
        .await?;
    Ok(users)
}

/// `GET /api/org/users?query=&limit=` → Grafana's `OrgUserDTO` list: `userId` (not
/// `id`), `login`, `email`, `name`, `isDisabled`, `authLabels`, `isProvisioned`, …
pub async fn list(State(state): State<AppState>, uri: Uri) -> Result<Json<Value>, GrafanaError> {
    let now = now_millis();
    let users = org_users(&state, &uri).await?;
    let rows: Vec<Value> = users
        .iter()
        .map(|u| {
            json!({
                "orgId": u.org_id,
                "userId": u.id,
                "uid": u.uid,
                "email": u.email,
                "name": u.name,
                "avatarUrl": "",
                "login": u.login,
                // `Viewer` (Grafana's `auto_assign_org_role`) unless a SAML login's
                // role sync set another.
                "role": u.org_role,
                "lastSeenAt": grafana_datetime(u.last_seen_at),
                "created": grafana_datetime(u.created),
                "lastSeenAtAge": age_string(u.last_seen_at, now),
                "isDisabled": u.is_disabled,
                "authLabels": u.auth_labels(),
                "isExternallySynced": false,
                "isProvisioned": u.is_provisioned,
            })
        })
        .collect();
    Ok(Json(Value::Array(rows)))
}

/// `GET /api/org/users/lookup?query=&limit=` → Grafana's `UserLookupDTO` list:
/// `userId`, `uid`, `login`, `avatarUrl` only.
pub async fn lookup(State(state): State<AppState>, uri: Uri) -> Result<Json<Value>, GrafanaError> {
    let users = org_users(&state, &uri).await?;
    let rows: Vec<Value> = users
        .iter()
        .map(|u| json!({"userId": u.id, "uid": u.uid, "login": u.login, "avatarUrl": ""}))
        .collect();
    Ok(Json(Value::Array(rows)))
}
