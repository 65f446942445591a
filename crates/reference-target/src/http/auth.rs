//! Bearer authentication (RFC 6750 §2.1) on every route, discovery included, as
//! Grafana requires a service-account token everywhere; the comparison is constant time.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::AppError;
use crate::http::Surface;
use crate::state::AppState;

/// Routes that take no bearer token: `/api/user` authenticates by login session, the
/// SAML endpoints are where a browser logs in.
pub const NO_BEARER_ROUTES: &[&str] = &[
    "/api/user",
    crate::login::ACS_PATH,
    crate::login::METADATA_PATH,
    crate::login::LOGIN_PATH,
    crate::login::LOGIN_PAGE_PATH,
];

/// The token from an `Authorization: Bearer <token>` header; the scheme is
/// case-insensitive (RFC 7235 §2.1).
fn bearer(value: &HeaderValue) -> Option<&[u8]> {
    let bytes = value.as_bytes();
    let (scheme, rest) = bytes.split_at(bytes.iter().position(|b| *b == b' ')?);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// Refuse requests without the right bearer token: 401 in the surface's error shape,
/// with `WWW-Authenticate: Bearer` (RFC 6750 §3).
pub async fn require_bearer(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if NO_BEARER_ROUTES.contains(&path) {
        return next.run(request).await;
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(bearer);
    if presented.is_some_and(|token| state.token.matches(token)) {
        return next.run(request).await;
    }
    let surface = Surface::of(path);
    let message = match surface {
        Surface::Grafana => "Unauthorized",
        _ if presented.is_none() => "authentication required: send Authorization: Bearer <token>",
        _ => "invalid bearer token",
    };
    let mut response = surface.render(AppError::client(StatusCode::UNAUTHORIZED, message));
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
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
}
