//! Who a request is and what it may call, the way a Grafana deployment set up for SCIM
//! answers: the bearer token (RFC 6750 §2.1) is a service account with the org Admin
//! role, refused with 403 on the global user and admin APIs (a second, role-less token,
//! `[service_accounts] role_less_token`, is refused with 403 everywhere); HTTP basic auth
//! (RFC 7617) with `[security] admin_user` / `admin_password` is the server admin and
//! may call everything. Comparisons are constant time; no credential is logged.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use subtle::ConstantTimeEq;

use crate::error::AppError;
use crate::fault::Fault;
use crate::http::Surface;
use crate::settings::SecuritySettings;
use crate::state::AppState;

/// Routes that take no credentials: `/api/user` and the home page authenticate by login
/// session, the SAML endpoints are where a browser logs in.
pub const NO_BEARER_ROUTES: &[&str] = &[
    "/api/user",
    crate::login::HOME_PATH,
    crate::login::ACS_PATH,
    crate::login::METADATA_PATH,
    crate::login::LOGIN_PATH,
    crate::login::LOGIN_PAGE_PATH,
];

/// Who presented valid credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The bearer token: a service account with the org Admin role.
    ServiceAccount,
    /// Basic auth as `[security] admin_user`: the server admin (Grafana Admin).
    ServerAdmin,
    /// `[service_accounts] role_less_token`: a service account with no role, refused everywhere.
    RoleLess,
}

/// Whether only a server admin may call `path`. Grafana: the global user API
/// (`/api/users…`, action `users:read` on `global.users:*`) and the admin API
/// (`/api/admin/…`, e.g. `users:create`) are server-admin permissions an org role never
/// has, so a service-account token gets 403 there (grafana/grafana#73602, #71436; the
/// User HTTP API docs: "does not currently work with an API Token").
pub fn server_admin_only(path: &str) -> bool {
    path == "/api/users" || path.starts_with("/api/users/") || path.starts_with("/api/admin/")
}

/// The permission Grafana names in its access-denied message for `method path`.
fn permission_needed(method: &Method, path: &str) -> &'static str {
    match (method, path) {
        (&Method::POST, "/api/admin/users") => "users:create",
        (&Method::DELETE, p) if p.starts_with("/api/admin/users/") => "users:delete",
        (_, p) if p.starts_with("/api/users") => "users:read",
        _ => "server admin",
    }
}

/// The token from an `Authorization: Bearer <token>` header; the scheme is
/// case-insensitive (RFC 7235 §2.1).
fn bearer(value: &HeaderValue) -> Option<&[u8]> {
    let (scheme, rest) = split_scheme(value)?;
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// `(user, password)` from an `Authorization: Basic <base64(user:password)>` header
/// (RFC 7617 §2); `None` when it is not one or does not decode.
fn basic(value: &HeaderValue) -> Option<(Vec<u8>, Vec<u8>)> {
    let (scheme, rest) = split_scheme(value)?;
    if !scheme.eq_ignore_ascii_case(b"basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim_ascii())
        .ok()?;
    let colon = decoded.iter().position(|b| *b == b':')?;
    Some((decoded[..colon].to_vec(), decoded[colon + 1..].to_vec()))
}

fn split_scheme(value: &HeaderValue) -> Option<(&[u8], &[u8])> {
    let bytes = value.as_bytes();
    Some(bytes.split_at(bytes.iter().position(|b| *b == b' ')?))
}

/// Whether `user:password` is the server admin (both compared in constant time).
fn is_server_admin(security: &SecuritySettings, user: &[u8], password: &[u8]) -> bool {
    let user_ok = security.admin_user.as_bytes().ct_eq(user);
    let password_ok = security.admin_password.as_bytes().ct_eq(password);
    bool::from(user_ok & password_ok)
}

/// The caller behind the `Authorization` header, when its credentials are valid.
fn caller(state: &AppState, value: Option<&HeaderValue>) -> Option<Caller> {
    let value = value?;
    if let Some(token) = bearer(value) {
        let role_less = state.settings.security.role_less_token.as_ref();
        if role_less.is_some_and(|t| bool::from(t.as_bytes().ct_eq(token))) {
            return Some(Caller::RoleLess);
        }
        return state.token.matches(token).then_some(Caller::ServiceAccount);
    }
    let (user, password) = basic(value)?;
    is_server_admin(&state.settings.security, &user, &password).then_some(Caller::ServerAdmin)
}

/// Refuse requests without valid credentials (401 in the surface's error shape, with
/// `WWW-Authenticate: Bearer`, RFC 6750 §3), and service-account requests to
/// server-admin endpoints (403 with Grafana's access-denied body).
pub async fn require_bearer(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if NO_BEARER_ROUTES.contains(&path) {
        return next.run(request).await;
    }
    let header_value = request.headers().get(header::AUTHORIZATION);
    match caller(&state, header_value) {
        Some(Caller::ServerAdmin) => return next.run(request).await,
        Some(Caller::ServiceAccount) if !server_admin_only(path) => return next.run(request).await,
        Some(Caller::ServiceAccount) => {
            return access_denied(permission_needed(request.method(), path))
        }
        // Fault: a valid token is enough, whatever its account may do.
        Some(Caller::RoleLess) if state.fault(Fault::RoleLessTokenAccepted) => {
            return next.run(request).await
        }
        Some(Caller::RoleLess) => {
            return Surface::of(path).render(AppError::client(
                StatusCode::FORBIDDEN,
                "the service account has no role: permissions needed",
            ))
        }
        None => {}
    }
    let surface = Surface::of(path);
    if state.fault(Fault::MalformedAuth500)
        && header_value.is_some_and(|v| bearer(v).is_none() && basic(v).is_none())
    {
        // Fault: a header that is no well-formed credential fails inside the parser.
        return surface.render(AppError::invariant(
            "authorization header: no credential could be parsed",
        ));
    }
    let message = match surface {
        Surface::Grafana => "Unauthorized",
        _ if header_value.is_none() => {
            "authentication required: send Authorization: Bearer <token>"
        }
        _ => "invalid bearer token",
    };
    let mut response = surface.render(AppError::client(StatusCode::UNAUTHORIZED, message));
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Grafana's access-control refusal (its access-control middleware's `deny`): 403
/// with a title, the permission needed and an `ACE…` reference.
fn access_denied(permission: &str) -> Response {
    let digits: String = uuid::Uuid::new_v4()
        .as_u128()
        .to_string()
        .chars()
        .take(10)
        .collect();
    let body = serde_json::json!({
        "title": "Access denied",
        "message": format!(
            "You'll need additional permissions to perform this action. Permissions needed: {permission}"
        ),
        "accessErrorId": format!("ACE{digits}"),
    });
    (StatusCode::FORBIDDEN, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_headers() {
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert_eq!(bearer(&h("Bearer abc")), Some(&b"abc"[..]));
        assert_eq!(bearer(&h("bearer   abc ")), Some(&b"abc"[..]));
        assert_eq!(bearer(&h("Basic abc")), None);
        assert_eq!(bearer(&h("Bearer")), None);
        assert_eq!(bearer(&h("Bearer ")), None);
    }

    #[test]
    fn parses_basic_headers() {
        let h = |s: &'static str| HeaderValue::from_static(s);
        // base64("admin:pa:ss") — the password may hold a colon (RFC 7617 §2).
        assert_eq!(
            basic(&h("Basic YWRtaW46cGE6c3M=")),
            Some((b"admin".to_vec(), b"pa:ss".to_vec()))
        );
        assert_eq!(
            basic(&h("basic YWRtaW46YWRtaW4=")),
            Some((b"admin".to_vec(), b"admin".to_vec()))
        );
        assert_eq!(basic(&h("Basic not-base64!")), None);
        // base64("nocolon")
        assert_eq!(basic(&h("Basic bm9jb2xvbg==")), None);
        assert_eq!(basic(&h("Bearer YWRtaW46YWRtaW4=")), None);
    }

    #[test]
    fn the_server_admin_needs_both_user_and_password() {
        let s = SecuritySettings::default();
        assert!(is_server_admin(&s, b"admin", b"admin"));
        assert!(!is_server_admin(&s, b"admin", b"admin2"));
        assert!(!is_server_admin(&s, b"root", b"admin"));
        assert!(!is_server_admin(&s, b"", b""));
    }

    #[test]
    fn server_admin_paths_are_the_global_user_and_admin_apis() {
        for p in [
            "/api/users",
            "/api/users/lookup",
            "/api/users/search",
            "/api/users/7",
            "/api/admin/users",
            "/api/admin/team-sync",
        ] {
            assert!(server_admin_only(p), "{p}");
        }
        for p in [
            "/api/org/users",
            "/api/org/users/lookup",
            "/api/teams/search",
            "/api/user",
            "/api/usersx",
            "/apis/scim.grafana.app/v0alpha1/namespaces/default/Users",
        ] {
            assert!(!server_admin_only(p), "{p}");
        }
    }
}
