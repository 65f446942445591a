//! The home page `GET /`: who the browser is signed in as (the user behind the
//! `grafana_session` cookie, looked up as `GET /api/user` does), or "Not signed in" with
//! a link to start a SAML login. Server-rendered, no script: what a person or a browser
//! test lands on after the ACS's `302` to `/`.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::grafana_api::session_user;
use crate::login::LOGIN_PATH;
use crate::state::AppState;
use crate::store::app::AppUser;
use crate::store::login::stored_external_uid;

/// The home page's path.
pub const HOME_PATH: &str = "/";

/// `GET /`: `200` with the signed-in user's login, email, name and external UID, or
/// "Not signed in"; either way a link to `/login/saml`. An internal error while reading
/// the session is logged and answered `500` with a page that says only that.
pub(super) async fn home_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let signed_in = match signed_in(&state, &headers).await {
        Ok(signed_in) => signed_in,
        Err(e) => {
            tracing::error!(target: "reference_target::saml", error = %e, "reading the login session for the home page");
            return page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "<h1>Internal error</h1><p>The login session could not be read.</p>",
            );
        }
    };
    let body = match signed_in {
        Some((user, external_uid)) => signed_in_body(&user, external_uid.as_deref()),
        None => {
            format!("<h1>Not signed in</h1><p><a href=\"{LOGIN_PATH}\">Sign in with SAML</a></p>")
        }
    };
    page(StatusCode::OK, &body)
}

/// The session's user and its `auth.saml` external UID (empty reads as none).
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(AppUser, Option<String>)>, crate::error::AppError> {
    let Some(user) = session_user(state, headers).await? else {
        return Ok(None);
    };
    let user_id = user.id;
    let external_uid = state
        .db
        .read(move |tx| Ok(stored_external_uid(tx, user_id)?))
        .await?
        .filter(|uid| !uid.is_empty());
    Ok(Some((user, external_uid)))
}

fn signed_in_body(user: &AppUser, external_uid: Option<&str>) -> String {
    let text = saml::xml::text_escaped;
    let mut rows = vec![
        ("Login", user.login.as_str()),
        ("Email", user.email.as_str()),
        ("Name", user.name.as_str()),
    ];
    if let Some(uid) = external_uid {
        rows.push(("External UID", uid));
    }
    let rows: String = rows
        .into_iter()
        .map(|(term, value)| format!("<dt>{term}</dt><dd>{}</dd>", text(value)))
        .collect();
    format!(
        "<h1>Signed in as {login}</h1><dl>{rows}</dl>\
<p><a href=\"{LOGIN_PATH}\">Sign in again with SAML</a></p>",
        login = text(&user.login),
    )
}

/// A whole page with `body`; never cached, since it shows who is signed in.
fn page(status: StatusCode, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Reference target</title></head>\
<body>{body}</body></html>"
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}
