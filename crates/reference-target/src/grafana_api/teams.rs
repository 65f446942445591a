//! Grafana's team endpoints with the guards of `pkg/api/team.go` and
//! `pkg/api/team_members.go` on provisioned teams.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, GrafanaError};
use crate::fault::Fault;
use crate::grafana_api::{paging, path_id, query_map};
use crate::http::body::JsonBody;
use crate::state::AppState;
use crate::store::app::{self as store, Team};
use crate::timestamp::now_millis;

/// Grafana: `DELETE /api/teams/:id` on a provisioned team while group sync is on.
pub const CANNOT_DELETE: &str = "Cannot delete provisioned teams";
/// Grafana: member changes on a provisioned team while group sync is on.
pub const CANNOT_UPDATE_MEMBERS: &str = "Team memberships cannot be updated for provisioned teams";
/// Grafana: renaming a provisioned team, whatever the settings.
pub const CANNOT_RENAME: &str = "Team name cannot be changed for provisioned teams";

fn team_json(t: &Team) -> Value {
    json!({
        "id": t.id,
        "uid": t.uid,
        "orgId": t.org_id,
        "name": t.name,
        "email": t.email,
        "avatarUrl": "",
        "memberCount": t.member_count,
        "permission": 0,
        "externalUID": t.external_uid,
        "isProvisioned": t.is_provisioned,
    })
}

/// Grafana's `validateTeam`: a provisioned team is locked while group sync is on. The
/// reference target reads the group sync setting in force (the SCIMConfig over the ini
/// file), as Grafana's documentation promises ("disable SCIM group sync to allow manual
/// deletion of teams"; PRs #111888, #112717); Grafana's code reads the ini value alone
/// (`cfg.Raw.Section("auth.scim").Key("group_sync_enabled")`), which the
/// `team-guard-ignores-config` fault reproduces.
fn guarded(state: &AppState, team: &Team) -> bool {
    let group_sync = if state.fault(Fault::TeamGuardIgnoresConfig) {
        state.settings.scim.group_sync_enabled
    } else {
        state.scim_settings().0.group_sync_enabled
    };
    team.is_provisioned && group_sync
}

fn bad_request(message: &str) -> AppError {
    AppError::client(StatusCode::BAD_REQUEST, message)
}

fn load_team(conn: &rusqlite::Connection, id: i64) -> Result<Team, AppError> {
    store::team_by_id(conn, id)?.ok_or_else(store::team_not_found)
}

/// `GET /api/teams/search?name=&query=&perpage=&page=`.
pub async fn search(State(state): State<AppState>, uri: Uri) -> Result<Json<Value>, GrafanaError> {
    let params = query_map(&uri)?;
    let (page, per_page) = paging(&params);
    let name = params.get("name").cloned().filter(|n| !n.is_empty());
    let query = params.get("query").cloned().filter(|q| !q.is_empty());
    let (total, teams) = state
        .db
        .read(move |tx| {
            Ok(store::search_teams(
                tx,
                name.as_deref(),
                query.as_deref(),
                page,
                per_page,
            )?)
        })
        .await?;
    let teams: Vec<Value> = teams.iter().map(team_json).collect();
    Ok(Json(
        json!({"totalCount": total, "teams": teams, "page": page, "perPage": per_page}),
    ))
}

/// `GET /api/teams/:id`.
pub async fn get(
    State(state): State<AppState>,
    Path(team_id): Path<String>,
) -> Result<Json<Value>, GrafanaError> {
    let id = path_id(&team_id, "teamId")?;
    let team = state.db.read(move |tx| load_team(tx, id)).await?;
    Ok(Json(team_json(&team)))
}

#[derive(Debug, Deserialize)]
pub struct TeamForm {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// `POST /api/teams` → `{"message":"Team created","teamId":N,"uid":"…"}`; 409 "Team
/// name taken".
pub async fn create(
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<Json<Value>, GrafanaError> {
    let form: TeamForm = body.form()?;
    let name = form
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let name = name.ok_or_else(|| bad_request("bad request data: name is required"))?;
    let email = form.email.unwrap_or_default();
    let now = now_millis();
    let (id, uid) = state
        .db
        .write(move |tx| store::create_team(tx, &name, &email, now))
        .await?;
    Ok(Json(
        json!({"message": "Team created", "teamId": id, "uid": uid}),
    ))
}

/// `PUT /api/teams/:id` → `{"message":"Team updated"}`. A provisioned team keeps its
/// name whatever the settings (Grafana: "Team name cannot be changed for provisioned
/// teams"). An omitted name or email keeps the current one.
pub async fn update(
    State(state): State<AppState>,
    Path(team_id): Path<String>,
    body: JsonBody,
) -> Result<Json<Value>, GrafanaError> {
    let id = path_id(&team_id, "teamId")?;
    let form: TeamForm = body.form()?;
    let now = now_millis();
    state
        .db
        .write(move |tx| {
            let team = load_team(tx, id)?;
            let name = form.name.unwrap_or_else(|| team.name.clone());
            if team.is_provisioned && name != team.name {
                return Err(bad_request(CANNOT_RENAME));
            }
            if name.trim().is_empty() {
                return Err(bad_request("bad request data: name is required"));
            }
            let email = form.email.unwrap_or_else(|| team.email.clone());
            store::update_team(tx, &team, &name, &email, now)
        })
        .await?;
    Ok(Json(json!({"message": "Team updated"})))
}

/// `DELETE /api/teams/:id` → `{"message":"Team deleted"}`; refused for a provisioned
/// team while group sync is on. Once group sync is off, provisioned teams can
/// be deleted (Grafana PRs #111888, #112717).
pub async fn delete(
    State(state): State<AppState>,
    Path(team_id): Path<String>,
) -> Result<Json<Value>, GrafanaError> {
    let id = path_id(&team_id, "teamId")?;
    let guard_state = state.clone();
    state
        .db
        .write(move |tx| {
            let team = load_team(tx, id)?;
            if guarded(&guard_state, &team) {
                return Err(bad_request(CANNOT_DELETE));
            }
            Ok(store::delete_team(tx, id)?)
        })
        .await?;
    Ok(Json(json!({"message": "Team deleted"})))
}

/// `GET /api/teams/:id/members`.
pub async fn members(
    State(state): State<AppState>,
    Path(team_id): Path<String>,
) -> Result<Json<Value>, GrafanaError> {
    let id = path_id(&team_id, "teamId")?;
    let members = state
        .db
        .read(move |tx| {
            load_team(tx, id)?;
            Ok(store::team_members(tx, id)?)
        })
        .await?;
    let members: Vec<Value> = members
        .iter()
        .map(|m| {
            json!({
                "orgId": m.org_id,
                "teamId": m.team_id,
                "userId": m.user_id,
                "email": m.email,
                "name": m.name,
                "login": m.login,
                "avatarUrl": "",
                "labels": [],
                "permission": 0,
                "isDisabled": m.is_disabled,
            })
        })
        .collect();
    Ok(Json(Value::Array(members)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddMemberForm {
    pub user_id: i64,
}

/// Run a membership change unless Grafana's guard refuses it.
async fn change_members<T: Send + 'static>(
    state: AppState,
    team_id: i64,
    change: impl FnOnce(&rusqlite::Connection, i64) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let guard_state = state.clone();
    state
        .db
        .write(move |tx| {
            let team = load_team(tx, team_id)?;
            if guarded(&guard_state, &team) && !guard_state.fault(Fault::NoTeamGuard) {
                return Err(bad_request(CANNOT_UPDATE_MEMBERS));
            }
            change(tx, now_millis())
        })
        .await
}

/// `POST /api/teams/:id/members` `{"userId":N}` → `{"message":"Member added to Team"}`.
pub async fn add_member(
    State(state): State<AppState>,
    Path(team_id): Path<String>,
    body: JsonBody,
) -> Result<Json<Value>, GrafanaError> {
    let id = path_id(&team_id, "teamId")?;
    let form: AddMemberForm = body.form()?;
    change_members(state, id, move |tx, now| {
        store::add_member(tx, id, form.user_id, now)
    })
    .await?;
    Ok(Json(json!({"message": "Member added to Team"})))
}

#[derive(Debug, Deserialize)]
pub struct SetMembersForm {
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default)]
    pub admins: Vec<String>,
}

/// `PUT /api/teams/:id/members` `{"members":[…],"admins":[…]}` →
/// `{"message":"Team memberships have been updated"}`.
pub async fn set_members(
    State(state): State<AppState>,
    Path(team_id): Path<String>,
    body: JsonBody,
) -> Result<Json<Value>, GrafanaError> {
    let id = path_id(&team_id, "teamId")?;
    let form: SetMembersForm = body.form()?;
    let mut everyone = form.members;
    everyone.extend(form.admins);
    change_members(state, id, move |tx, now| {
        store::set_members_by_email(tx, id, &everyone, now)
    })
    .await?;
    Ok(Json(
        json!({"message": "Team memberships have been updated"}),
    ))
}

/// `DELETE /api/teams/:id/members/:userId` → `{"message":"Team Member removed"}`.
pub async fn remove_member(
    State(state): State<AppState>,
    Path((team_id, user_id)): Path<(String, String)>,
) -> Result<Json<Value>, GrafanaError> {
    let id = path_id(&team_id, "teamId")?;
    let user_id = path_id(&user_id, "userId")?;
    change_members(state, id, move |tx, _| {
        store::remove_member(tx, id, user_id)
    })
    .await?;
    Ok(Json(json!({"message": "Team Member removed"})))
}
