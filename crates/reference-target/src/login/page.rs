//! What a browser sees of a refused login, as Grafana shows it: the ACS answers `302` to
//! `/login` with an opaque `login_error` cookie (Grafana's `redirectURLWithErrorCookie`,
//! `pkg/api/login_oauth.go`; cookie `login_error`, `MaxAge` 60, `pkg/api/login.go`), and
//! the login page puts the refusal's public message into its boot data (`loginError`)
//! and deletes the cookie. The message id never reaches the browser. Also the
//! reference target's switches for `allow_sign_up` and `allow_idp_initiated`.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::error::GrafanaError;
use crate::http::body::JsonBody;
use crate::http::request_cookie;
use crate::login::error::LoginError;
use crate::login::sp::{LoginSwitches, ServiceProvider, LOGIN_ERROR_LIFETIME};
use crate::login::LOGIN_PAGE_PATH;
use crate::state::AppState;

/// Grafana: `loginErrorCookieName`.
pub const LOGIN_ERROR_COOKIE: &str = "login_error";

/// `302` to the login page with the `login_error` cookie, which only this process can
/// read back; no session cookie.
pub(super) fn refusal_redirect(state: &AppState, error: LoginError) -> Response {
    let sp = &state.login;
    let token = sp.remember_refusal(error);
    let cookie = cookie(sp, &token, LOGIN_ERROR_LIFETIME.whole_seconds());
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, HeaderValue::from_static(LOGIN_PAGE_PATH));
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The `login_error` cookie with `value`, living `max_age` seconds (0 deletes it).
fn cookie(sp: &ServiceProvider, value: &str, max_age: i64) -> String {
    let mut cookie =
        format!("{LOGIN_ERROR_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax");
    if sp.secure_cookies() {
        cookie.push_str("; Secure");
    }
    cookie
}

/// `GET /login`: the login page. With a live `login_error` cookie it shows that
/// refusal's public message, in the page and in the boot data as `"loginError"`, and
/// deletes the cookie (so the message shows once); without one, no message.
pub(super) async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let presented = request_cookie(&headers, LOGIN_ERROR_COOKIE);
    let error = presented.and_then(|token| state.login.take_refusal(token));
    let message = error.map(|e| e.message);
    let mut response = (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        render(message),
    )
        .into_response();
    if presented.is_some() {
        if let Ok(clear) = HeaderValue::from_str(&cookie(&state.login, "", 0)) {
            response.headers_mut().insert(header::SET_COOKIE, clear);
        }
    }
    response
}

/// The page: boot data as JSON (`<` escaped, so no text closes the script) and the
/// message as HTML-escaped text.
fn render(message: Option<&str>) -> String {
    let boot = serde_json::json!({ "settings": { "loginError": message } });
    let boot = boot.to_string().replace('<', "\\u003c");
    let shown = message.map_or(String::new(), |m| {
        format!(
            "<div class=\"login-error\" role=\"alert\">{}</div>",
            saml::xml::text_escaped(m)
        )
    });
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Login</title></head><body>\
<script>window.grafanaBootData = {boot};</script>{shown}\
<a href=\"/login/saml\">Sign in with SAML</a></body></html>"
    )
}

/// `PUT /api/reference/saml-settings` body: each given switch is set, the others kept.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SwitchesForm {
    allow_sign_up: Option<bool>,
    allow_idp_initiated: Option<bool>,
}

/// `GET /api/reference/saml-settings` → `{"allowSignUp": bool, "allowIdpInitiated": bool}`.
pub(super) async fn read_switches(State(state): State<AppState>) -> Json<LoginSwitches> {
    Json(state.login.switches())
}

/// `PUT /api/reference/saml-settings` → `200` with the switches now in force.
pub(super) async fn write_switches(
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<Json<LoginSwitches>, GrafanaError> {
    let form: SwitchesForm = body.form()?;
    let mut now = state.login.switches();
    now.allow_sign_up = form.allow_sign_up.unwrap_or(now.allow_sign_up);
    now.allow_idp_initiated = form.allow_idp_initiated.unwrap_or(now.allow_idp_initiated);
    state.login.set_switches(now);
    Ok(Json(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_shows_the_message_once_escaped() {
        let page = render(Some("a <b> \"c\""));
        assert!(
            page.contains(r#""loginError":"a \u003cb> \"c\"""#),
            "{page}"
        );
        assert!(page.contains("a &lt;b&gt;"), "{page}");
        let empty = render(None);
        assert!(empty.contains(r#""loginError":null"#), "{empty}");
        assert!(!empty.contains("login-error\""), "{empty}");
    }

    #[test]
    fn reads_a_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; login_error=xyz"),
        );
        assert_eq!(request_cookie(&headers, "login_error"), Some("xyz"));
        assert_eq!(request_cookie(&headers, "b"), None);
    }
}
