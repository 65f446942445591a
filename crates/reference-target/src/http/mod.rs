//! The HTTP application: routes of every API surface, bearer authentication, the body
//! limit, request logs, and fallbacks that answer in each surface's error shape.

pub mod auth;
pub mod body;
pub mod log;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::error::{AppError, GrafanaError, KubeError};
use crate::fault::Fault;
use crate::state::AppState;

/// Which API a path belongs to; decides the error shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// `/apis/scim.grafana.app/…` except the config: RFC 7644 §3.12 errors.
    Scim,
    /// `/apis/scim.grafana.app/…/config/…`: Kubernetes `Status` errors.
    Kube,
    /// Everything else (`/api/…`): Grafana's `{"message"}` errors.
    Grafana,
}

impl Surface {
    pub fn of(path: &str) -> Surface {
        if let Some(rest) = path.strip_prefix(crate::scim_api::NAMESPACES_PREFIX) {
            // `/{ns}/config/…`
            let mut segments = rest.trim_start_matches('/').split('/');
            if segments.nth(1) == Some("config") {
                return Surface::Kube;
            }
            return Surface::Scim;
        }
        if path.starts_with("/apis/") {
            return Surface::Scim;
        }
        Surface::Grafana
    }

    /// Render an error in this surface's shape.
    pub fn render(self, error: AppError) -> Response {
        match self {
            Surface::Scim => error.into_response(),
            Surface::Kube => KubeError(error).into_response(),
            Surface::Grafana => GrafanaError(error).into_response(),
        }
    }
}

/// The whole target as a router, so tests can call it without a socket.
/// The value of the cookie `name` in the request's `Cookie` headers.
pub(crate) fn request_cookie<'h>(
    headers: &'h axum::http::HeaderMap,
    name: &str,
) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

pub fn app(state: AppState) -> Router {
    let plain_errors = state.fault(Fault::PlainErrorBodies);
    let router = Router::new()
        .merge(crate::scim_api::router(state.clone()))
        .merge(crate::config_api::router())
        .merge(crate::grafana_api::router())
        .merge(crate::login::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_bearer,
        ))
        .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
        .layer(middleware::from_fn(refuse_long_uris))
        .layer(middleware::from_fn(log::log_request))
        .with_state(state);
    if plain_errors {
        router.layer(middleware::from_fn(plain_error_bodies))
    } else {
        router
    }
}

/// The longest request target (path and query) served: Apache's `LimitRequestLine` and
/// nginx's default header buffer (8 KiB), which a Grafana behind either proxy gets at
/// most. Longer ones are `414` with the surface's error body (issue 19). hyper refuses
/// a request target of 64 KiB or more itself, before any of this code runs, with a `414`
/// and no body.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// `414 URI Too Long` in the surface's error shape for a request target over
/// [`MAX_URI_BYTES`], before authentication.
async fn refuse_long_uris(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if length <= MAX_URI_BYTES {
        return next.run(request).await;
    }
    let message =
        format!("the request target is {length} bytes, over the {MAX_URI_BYTES}-byte limit");
    Surface::of(request.uri().path()).render(AppError::client(StatusCode::URI_TOO_LONG, message))
}

/// The `plain-error-bodies` fault: SCIM errors leave as `text/plain` with the bare
/// detail, the way a web framework's default error page answers.
async fn plain_error_bodies(request: Request, next: Next) -> Response {
    let surface = Surface::of(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    if surface != Surface::Scim || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, crate::MAX_BODY_BYTES)
        .await
        .unwrap_or_default();
    let detail = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_owned))
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(detail))
}

async fn not_found(request: Request) -> Response {
    let path = request.uri().path();
    let surface = Surface::of(path);
    let message = match surface {
        Surface::Grafana => "Not found".to_owned(),
        _ => format!("no resource at `{path}`"),
    };
    surface.render(AppError::client(StatusCode::NOT_FOUND, message))
}

async fn method_not_allowed(request: Request) -> Response {
    let surface = Surface::of(request.uri().path());
    let message = format!("method {} is not allowed here", request.method());
    surface.render(AppError::client(StatusCode::METHOD_NOT_ALLOWED, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surfaces() {
        let base = "/apis/scim.grafana.app/v0alpha1/namespaces";
        assert_eq!(Surface::of(&format!("{base}/default/Users")), Surface::Scim);
        assert_eq!(
            Surface::of(&format!("{base}/default/config/default")),
            Surface::Kube
        );
        assert_eq!(
            Surface::of(&format!("{base}/other/config/default")),
            Surface::Kube
        );
        assert_eq!(Surface::of("/apis/other"), Surface::Scim);
        assert_eq!(Surface::of("/api/teams/search"), Surface::Grafana);
        assert_eq!(Surface::of("/"), Surface::Grafana);
    }
}
