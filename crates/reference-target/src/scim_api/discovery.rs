//! RFC 7644 §4 discovery: `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`,
//! describing exactly what the target does.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use scim::model::SERVICE_PROVIDER_CONFIG_SCHEMA;
use scim::schema::ResourceSchema;
use scim::ScimError;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::scim_api::params::list_response;
use crate::scim_api::{scim_json, ScimBase};
use crate::state::AppState;

fn resource_schemas() -> [&'static ResourceSchema; 2] {
    [ResourceSchema::user(), ResourceSchema::group()]
}

/// Make a discovery document's relative `meta.location` absolute.
fn locate(mut doc: Value, base: &str) -> Value {
    if let Some(location) = doc.pointer_mut("/meta/location") {
        if let Some(relative) = location.as_str().filter(|l| l.starts_with('/')) {
            *location = Value::String(format!("{base}{relative}"));
        }
    }
    doc
}

/// RFC 7643 §5, RFC 7644 §4: what the target supports. PATCH yes; bulk, sort, etag
/// and password change no; filters yes, at most [`crate::MAX_RESULTS`] per page;
/// bearer-token authentication.
pub async fn service_provider_config(
    State(_state): State<AppState>,
    ScimBase(base): ScimBase,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, AppError> {
    // RFC 7644 §4: "If a "filter" is provided, the service provider SHOULD respond
    // with HTTP status code 403 (Forbidden)".
    if query.as_deref().is_some_and(|q| {
        q.split('&').any(|pair| {
            pair.split('=')
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case("filter"))
        })
    }) {
        return Err(ScimError::new(
            403,
            None,
            "the service provider configuration cannot be filtered",
        )
        .into());
    }
    let body = json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "documentationUri": "https://grafana.com/docs/grafana/latest/setup-grafana/configure-access/configure-scim-provisioning/",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": crate::MAX_BODY_BYTES},
        "filter": {"supported": true, "maxResults": crate::MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A Grafana service account token in the Authorization header: Bearer <token>",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    });
    Ok(scim_json(StatusCode::OK, &body))
}

fn all_resource_types(base: &str) -> Vec<Value> {
    resource_schemas()
        .iter()
        .map(|s| locate(s.resource_type_json(), base))
        .collect()
}

fn all_schemas(base: &str) -> Vec<Value> {
    resource_schemas()
        .iter()
        .flat_map(|s| s.schemas_json())
        .map(|doc| locate(doc, base))
        .collect()
}

/// Every document of a discovery endpoint, as one ListResponse.
fn listed(all: Vec<Value>) -> Response {
    let total = all.len() as u64;
    scim_json(StatusCode::OK, &list_response(all, total, 1))
}

/// The document whose `key` equals `wanted`, ignoring case; `404` naming it as `what`
/// when there is none.
fn one_of(all: Vec<Value>, key: &str, wanted: &str, what: &str) -> Result<Response, AppError> {
    let doc = all
        .into_iter()
        .find(|doc| {
            doc[key]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case(wanted))
        })
        .ok_or_else(|| ScimError::not_found(format!("{what} `{wanted}` not found")))?;
    Ok(scim_json(StatusCode::OK, &doc))
}

/// RFC 7644 §4: `GET /ResourceTypes`.
pub async fn resource_types(ScimBase(base): ScimBase) -> Response {
    listed(all_resource_types(&base))
}

/// RFC 7644 §4: `GET /ResourceTypes/{name}`.
pub async fn resource_type(
    ScimBase(base): ScimBase,
    Path((_ns, name)): Path<(String, String)>,
) -> Result<Response, AppError> {
    one_of(all_resource_types(&base), "name", &name, "resource type")
}

/// RFC 7644 §4: `GET /Schemas` (User, the enterprise extension, Group).
pub async fn schemas(ScimBase(base): ScimBase) -> Response {
    listed(all_schemas(&base))
}

/// RFC 7644 §4: `GET /Schemas/{urn}`.
pub async fn schema(
    ScimBase(base): ScimBase,
    Path((_ns, urn)): Path<(String, String)>,
) -> Result<Response, AppError> {
    one_of(all_schemas(&base), "id", &urn, "schema")
}
