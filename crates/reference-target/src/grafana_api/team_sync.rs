//! The reference target's Team Sync switch, `GET`/`PUT /api/admin/team-sync`
//! (`{"enabled": bool}`): Grafana's Team Sync is an ini setting, so a scenario needs
//! this to flip it without a restart. It starts from `[team_sync] enabled` and lives
//! in memory (a restart reads the ini again). It is under `/api/admin/`, so only the
//! server admin (basic auth) may call it, like the ini setting it stands for; a
//! service-account token gets 403.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{AppError, GrafanaError};
use crate::fault::Fault;
use crate::http::body::JsonBody;
use crate::state::AppState;

/// `PUT /api/admin/team-sync` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSyncForm {
    pub enabled: bool,
}

/// `GET /api/admin/team-sync` → `{"enabled": bool}`.
pub async fn read(State(state): State<AppState>) -> Json<Value> {
    let enabled = *state.team_sync.lock().await;
    Json(json!({ "enabled": enabled }))
}

/// `PUT /api/admin/team-sync` → `200 {"enabled": bool}`. Turning Team Sync on while
/// SCIM group sync is in force is `409` (Grafana: "Do not enable both SCIM Group Sync
/// and Team Sync simultaneously"); turning it off always succeeds.
pub async fn write(
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<Json<Value>, GrafanaError> {
    let form: TeamSyncForm = body.form()?;
    let mut team_sync = state.team_sync.lock().await;
    if form.enabled
        && state.scim_settings().0.group_sync_enabled
        && !state.fault(Fault::TeamSyncWithGroupSync)
    {
        return Err(AppError::client(
            StatusCode::CONFLICT,
            "Team Sync cannot be enabled while SCIM group sync is enabled: turn group sync off first",
        )
        .into());
    }
    *team_sync = form.enabled;
    Ok(Json(json!({ "enabled": form.enabled })))
}
