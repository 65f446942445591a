//! The SCIM 2.0 endpoints under Grafana's path
//! `/apis/scim.grafana.app/v0alpha1/namespaces/{ns}`: Users, Groups and discovery.

mod answer;
mod discovery;
mod groups;
mod params;
mod users;

use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use crate::error::{json_response, AppError, SCIM_MEDIA_TYPE};
use crate::state::AppState;

/// Grafana's SCIM API group; the namespace follows.
pub const NAMESPACES_PREFIX: &str = "/apis/scim.grafana.app/v0alpha1/namespaces";

pub fn router(state: AppState) -> Router<AppState> {
    let at = |suffix: &str| format!("{NAMESPACES_PREFIX}/{{ns}}{suffix}");
    Router::new()
        .route(&at("/Users"), get(users::list).post(users::create))
        .route(
            &at("/Users/{id}"),
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route(&at("/Groups"), get(groups::list).post(groups::create))
        .route(
            &at("/Groups/{id}"),
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        .route(
            &at("/ServiceProviderConfig"),
            get(discovery::service_provider_config),
        )
        .route(&at("/ResourceTypes"), get(discovery::resource_types))
        .route(&at("/ResourceTypes/{name}"), get(discovery::resource_type))
        .route(&at("/Schemas"), get(discovery::schemas))
        .route(&at("/Schemas/{urn}"), get(discovery::schema))
        .route_layer(middleware::from_fn_with_state(state, require_namespace))
}

/// The error for a namespace the target does not serve. Grafana: "invalid namespace"
/// (troubleshooting page), `403 authn.invalid-namespace` (Terraform provider docs).
pub fn invalid_namespace(ns: &str, served: &str) -> AppError {
    AppError::client(
        StatusCode::FORBIDDEN,
        format!("authn.invalid-namespace: invalid namespace `{ns}`: this target serves namespace `{served}`"),
    )
}

/// The `{ns}` path parameter, if the route has one.
pub fn namespace_param(params: &RawPathParams) -> Option<&str> {
    params.iter().find(|(k, _)| *k == "ns").map(|(_, v)| v)
}

async fn require_namespace(
    State(state): State<AppState>,
    params: RawPathParams,
    request: Request,
    next: Next,
) -> Response {
    match namespace_param(&params) {
        Some(ns) if ns != state.namespace() => {
            invalid_namespace(ns, state.namespace()).into_response()
        }
        _ => next.run(request).await,
    }
}

/// The absolute base URL of the SCIM API, for `meta.location` and `Location` (RFC 7644
/// §3.1): under `[server] root_url` (`--root-url`) when it is set, as Grafana builds
/// its public URLs; else as the client addressed it; relative when the request carries
/// no usable `Host`.
#[derive(Debug, Clone)]
pub struct ScimBase(pub String);

fn plausible_authority(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
        })
}

impl FromRequestParts<AppState> for ScimBase {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ns = state.namespace();
        if let Some(root) = &state.settings().server.root_url {
            return Ok(ScimBase(format!(
                "{}{NAMESPACES_PREFIX}/{ns}",
                root.trim_end_matches('/')
            )));
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .filter(|h| plausible_authority(h));
        let https = parts
            .headers
            .get("x-forwarded-proto")
            .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
        let base = match host {
            Some(host) => {
                let scheme = if https { "https" } else { "http" };
                format!("{scheme}://{host}{NAMESPACES_PREFIX}/{ns}")
            }
            None => format!("{NAMESPACES_PREFIX}/{ns}"),
        };
        Ok(ScimBase(base))
    }
}

/// A SCIM JSON response (RFC 7644 §3.1 `application/scim+json`).
pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    json_response(status, body, SCIM_MEDIA_TYPE)
}

/// RFC 7644 §3.3: `201 Created` with the resource and its `Location`.
pub fn created(body: &Value, location: &str) -> Response {
    let mut response = scim_json(StatusCode::CREATED, body);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
