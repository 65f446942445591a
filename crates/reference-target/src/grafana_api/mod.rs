//! The parts of Grafana's HTTP API a conformance test reads or needs (grafana-target.md
//! §9): the signed-in user, user lookup and search (global, server admin only, and of the
//! organization), local user creation, the Team Sync switch, and teams with their
//! members, including Grafana's guards on provisioned teams. Who may call what is
//! decided in [`crate::http::auth`].

mod org_users;
mod team_sync;
mod teams;
mod users;

pub(crate) use users::{session_user, SESSION_COOKIE};

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::{StatusCode, Uri};
use axum::routing::{delete, get, post, put};
use axum::Router;

use crate::error::AppError;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/user", get(users::signed_in_user))
        .route("/api/users/lookup", get(users::lookup))
        .route("/api/users/search", get(users::search))
        .route("/api/users/{user_id}", put(users::update_user))
        .route("/api/org/users", get(org_users::list))
        .route("/api/org/users/lookup", get(org_users::lookup))
        .route("/api/admin/users", post(users::create_local))
        .route("/api/admin/users/{user_id}", delete(users::delete_user))
        .route(
            "/api/admin/team-sync",
            get(team_sync::read).put(team_sync::write),
        )
        .route("/api/teams", post(teams::create))
        .route("/api/teams/search", get(teams::search))
        .route(
            "/api/teams/{team_id}",
            get(teams::get).put(teams::update).delete(teams::delete),
        )
        .route(
            "/api/teams/{team_id}/members",
            get(teams::members)
                .post(teams::add_member)
                .put(teams::set_members),
        )
        .route(
            "/api/teams/{team_id}/members/{user_id}",
            delete(teams::remove_member),
        )
}

/// Query parameters by name (the last value wins).
pub(crate) fn query_map(uri: &Uri) -> Result<HashMap<String, String>, AppError> {
    if uri.query().is_none() {
        return Ok(HashMap::new());
    }
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|Query(pairs)| pairs.into_iter().collect())
        .map_err(|e| {
            AppError::client(
                StatusCode::BAD_REQUEST,
                format!("malformed query string: {e}"),
            )
        })
}

/// Grafana's `c.QueryInt`: a missing or malformed value reads as 0.
fn query_int(params: &HashMap<String, String>, name: &str) -> i64 {
    params
        .get(name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Grafana's paging: `perpage` ≤ 0 → 1000, `page` < 1 → 1.
fn paging(params: &HashMap<String, String>) -> (u64, u64) {
    let per_page = match query_int(params, "perpage") {
        n if n <= 0 => 1000,
        n => n.unsigned_abs(),
    };
    let page = query_int(params, "page").max(1).unsigned_abs();
    (page, per_page)
}

/// A path id as Grafana parses it: 400 when it is not an integer.
fn path_id(value: &str, what: &str) -> Result<i64, AppError> {
    value
        .parse()
        .map_err(|_| AppError::client(StatusCode::BAD_REQUEST, format!("{what} is invalid")))
}
