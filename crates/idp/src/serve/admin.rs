//! The admin page and the JSON API over a persona's directory and its cycles: the routes,
//! the admin token, and what the API and the page share (user keys, directory errors).
//!
//! With an admin token (`--admin-token`), every `/api/*` and `/admin*` request presents
//! it as `Authorization: Bearer <token>` or in the `idp_admin` cookie that
//! `GET /admin?token=<token>` sets; the SAML endpoints never ask for it.

mod api;
mod html;
#[cfg(test)]
mod tests;
mod user_edit;

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post, put};
use axum::Router;
use subtle::ConstantTimeEq;

use super::page;
use super::Site;
use crate::directory::{Directory, DirectoryError};

/// The cookie `GET /admin?token=` sets.
pub const ADMIN_COOKIE: &str = "idp_admin";

pub(super) fn router() -> Router<Arc<Site>> {
    Router::new()
        .route("/api/users", get(api::list_users).post(api::create_user))
        .route(
            "/api/users/{key}",
            get(api::get_user)
                .patch(api::patch_user)
                .delete(api::delete_user),
        )
        .route("/api/groups", get(api::list_groups).post(api::create_group))
        .route(
            "/api/groups/{id}",
            get(api::get_group)
                .patch(api::patch_group)
                .delete(api::delete_group),
        )
        .route(
            "/api/groups/{id}/members/{key}",
            put(api::add_member).delete(api::remove_member),
        )
        .route("/api/sync", post(api::sync))
        .route("/api/transcript", get(api::transcript))
        .route("/api/{*rest}", any(api::not_found))
        .route("/admin", get(html::page))
        .route("/admin/users", post(html::add_user))
        .route("/admin/users/{id}", post(html::user_action))
        .route("/admin/groups", post(html::add_group))
        .route("/admin/groups/{id}", post(html::group_action))
        .route("/admin/sync", post(html::sync))
}

/// Whether `headers` carry the site's admin token (always, when it has none).
fn authorized(site: &Site, headers: &HeaderMap) -> bool {
    let Some(token) = site.admin_token.as_deref() else {
        return true;
    };
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        });
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix(ADMIN_COOKIE)?.strip_prefix('='));
    let mut found = false;
    // Every candidate is compared, so the time taken does not say which one matched.
    for candidate in bearer.chain(cookies) {
        found |= token_matches(token, candidate);
    }
    found
}

/// `candidate == token`, in time that does not depend on where they differ.
fn token_matches(token: &str, candidate: &str) -> bool {
    bool::from(token.as_bytes().ct_eq(candidate.as_bytes()))
}

/// The `Set-Cookie` value that keeps a browser signed in to the admin page.
fn admin_cookie(token: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{ADMIN_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
    ))
    .ok()
}

/// Whether a request that changes something comes from a page of another site: a
/// browser names the page's origin in `Origin` on every POST, PUT, PATCH and DELETE, and
/// a form posted from elsewhere must not edit the directory (a loopback server without an
/// admin token has no other guard). Requests without `Origin` (curl, tests) pass.
fn cross_site(parts: &Parts) -> bool {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return false;
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest.trim_end_matches('/'));
    match (origin_host, host) {
        (Some(o), Some(h)) => !o.eq_ignore_ascii_case(h),
        _ => true,
    }
}

const CROSS_SITE: &str = "refused: this change was sent from a page of another site (its \
                          Origin is not this server)";

/// An API request that presented the admin token (or needs none); a JSON 401 otherwise,
/// and a 403 when sent by a page of another site.
pub(super) struct ApiAdmin;

impl FromRequestParts<Arc<Site>> for ApiAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, site: &Arc<Site>) -> Result<Self, Response> {
        if cross_site(parts) {
            return Err(page::json_error(
                StatusCode::FORBIDDEN,
                "cross_site",
                CROSS_SITE,
            ));
        }
        if authorized(site, &parts.headers) {
            return Ok(ApiAdmin);
        }
        let mut refused = page::json_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this API needs the admin token: send `Authorization: Bearer <token>` (the \
             token idp serve was started with, --admin-token)",
        );
        refused.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"idp serve admin\""),
        );
        Err(refused)
    }
}

/// An admin page request that presented the admin token (or needs none); an HTML 401
/// otherwise, and a 403 when a page of another site posted it.
pub(super) struct PageAdmin;

impl FromRequestParts<Arc<Site>> for PageAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, site: &Arc<Site>) -> Result<Self, Response> {
        if cross_site(parts) {
            return Err(page::error_page(
                Some(site),
                StatusCode::FORBIDDEN,
                "Refused",
                CROSS_SITE,
            ));
        }
        if authorized(site, &parts.headers) {
            Ok(PageAdmin)
        } else {
            Err(page_unauthorized(site))
        }
    }
}

/// The path parameters of an API route; a JSON 400 when they do not decode.
pub(super) struct ApiPath<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> FromRequestParts<Arc<Site>> for ApiPath<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, site: &Arc<Site>) -> Result<Self, Response> {
        match Path::<T>::from_request_parts(parts, site).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(e) => Err(page::json_error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                &format!("the request path: {}", e.body_text()),
            )),
        }
    }
}

fn page_unauthorized(site: &Site) -> Response {
    page::error_page(
        Some(site),
        StatusCode::UNAUTHORIZED,
        "Admin token required",
        &format!(
            "This admin page needs the admin token idp serve was started with \
             (--admin-token). Open {}?token=<token> once; the browser then keeps it in a \
             cookie.",
            site.admin_url()
        ),
    )
}

/// The directory id of the user `key` names: its `id`, or its `userPrincipalName`
/// (ASCII case-insensitive).
pub(super) fn resolve_user(dir: &Directory, key: &str) -> Option<String> {
    dir.user_by_key(key).map(|u| u.id.clone())
}

/// Why an API request or a form was refused: a status, a short code and the detail.
#[derive(Debug)]
pub(super) struct Refusal {
    pub status: StatusCode,
    pub error: &'static str,
    pub detail: String,
}

impl Refusal {
    pub(super) fn bad_request(detail: String) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            error: "bad_request",
            detail,
        }
    }

    pub(super) fn conflict(detail: String) -> Refusal {
        Refusal {
            status: StatusCode::CONFLICT,
            error: "conflict",
            detail,
        }
    }

    pub(super) fn unknown_user(key: &str) -> Refusal {
        Refusal {
            status: StatusCode::NOT_FOUND,
            error: "not_found",
            detail: format!(
                "no user `{key}` in the directory (a key is a user's id or userPrincipalName)"
            ),
        }
    }
}

impl From<DirectoryError> for Refusal {
    fn from(e: DirectoryError) -> Refusal {
        let (status, error) = match e {
            DirectoryError::UnknownUser(_) | DirectoryError::UnknownGroup(_) => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            DirectoryError::Duplicate(_) | DirectoryError::HardDeleted(_) => {
                (StatusCode::CONFLICT, "conflict")
            }
            _ => (StatusCode::BAD_REQUEST, "bad_request"),
        };
        Refusal {
            status,
            error,
            detail: e.to_string(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        page::json_error(self.status, self.error, &self.detail)
    }
}

/// `s` percent-encoded for a URL path segment or query value (RFC 3986 §2.3: only the
/// unreserved characters stay as they are).
pub(super) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
