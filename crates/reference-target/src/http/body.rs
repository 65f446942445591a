//! Request bodies: the content type is checked (RFC 7644 §3.1: `application/scim+json`,
//! and `application/json` which every IdP sends), the size is limited, and JSON errors
//! become `invalidSyntax`; every failure answers in the surface's error shape.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use scim::ScimError;
use serde_json::Value;

use crate::error::AppError;
use crate::http::Surface;

/// A buffered JSON request body, not yet parsed.
#[derive(Debug)]
pub struct JsonBody(pub Bytes);

/// True for `application/scim+json` and `application/json`, with any parameters.
fn is_json_media_type(value: &HeaderValue) -> bool {
    let Ok(text) = value.to_str() else {
        return false;
    };
    let essence = text.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/scim+json")
        || essence.eq_ignore_ascii_case("application/json")
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let surface = Surface::of(request.uri().path());
        if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
            if !is_json_media_type(content_type) {
                let shown = String::from_utf8_lossy(content_type.as_bytes()).into_owned();
                return Err(surface.render(AppError::client(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("unsupported content type `{shown}`: send application/scim+json or application/json"),
                )));
            }
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                let status = rejection.status();
                let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    format!(
                        "request body is larger than {} bytes",
                        crate::MAX_BODY_BYTES
                    )
                } else {
                    "reading the request body failed".to_owned()
                };
                surface.render(AppError::client(status, message))
            })?;
        Ok(JsonBody(bytes))
    }
}

impl JsonBody {
    /// Parse as JSON; malformed JSON is RFC 7644 §3.12 `invalidSyntax`.
    pub fn json(&self) -> Result<Value, AppError> {
        serde_json::from_slice(&self.0).map_err(|e| {
            ScimError::invalid_syntax(format!("request body is not valid json: {e}")).into()
        })
    }

    /// Parse into a typed form for the app API: Grafana answers malformed data with
    /// 400 "bad request data".
    pub fn form<T: serde::de::DeserializeOwned>(&self) -> Result<T, AppError> {
        serde_json::from_slice(&self.0).map_err(|e| {
            AppError::client(StatusCode::BAD_REQUEST, format!("bad request data: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        let ok = |s: &'static str| is_json_media_type(&HeaderValue::from_static(s));
        assert!(ok("application/scim+json"));
        assert!(ok("application/json; charset=utf-8"));
        assert!(ok("Application/SCIM+JSON;charset=UTF-8"));
        assert!(!ok("text/plain"));
        assert!(!ok("application/xml"));
        assert!(!ok("application/jsonx"));
    }
}
