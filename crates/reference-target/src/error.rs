//! One error type for every handler, rendered per API surface: RFC 7644 §3.12 SCIM
//! errors (the default), Grafana's `{"message": …}` bodies, and Kubernetes `Status`
//! objects for the SCIMConfig API. Internal details go to the log, never to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use scim::ScimError;
use serde_json::{json, Value};

/// The media type of every SCIM response (RFC 7644 §3.1).
pub const SCIM_MEDIA_TYPE: &str = "application/scim+json";

/// A failed request. `IntoResponse` renders it as a SCIM error; wrap it in
/// [`GrafanaError`] or [`KubeError`] for the other API surfaces.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A SCIM protocol error, shown to the client as is.
    #[error(transparent)]
    Scim(#[from] ScimError),
    /// A client error with a public message (Grafana's team guards, 401, 403…).
    #[error("{message}")]
    Client { status: StatusCode, message: String },
    /// A failure inside the target: logged, shown to the client as a bare 500.
    #[error(transparent)]
    Internal(#[from] InternalError),
}

/// A failure inside the target.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("encoding json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("running database work on a blocking thread: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("{0}")]
    Invariant(String),
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::Internal(InternalError::Db(e))
    }
}

impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(InternalError::Json(e))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(InternalError::Task(e))
    }
}

impl AppError {
    /// A client error with a public message.
    pub fn client(status: StatusCode, message: impl Into<String>) -> Self {
        AppError::Client {
            status,
            message: message.into(),
        }
    }

    /// An internal invariant did not hold.
    pub fn invariant(message: impl Into<String>) -> Self {
        AppError::Internal(InternalError::Invariant(message.into()))
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Scim(e) => {
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            AppError::Client { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message the client may see; internal errors are logged here and hidden.
    fn public_message(&self) -> String {
        match self {
            AppError::Scim(e) => e.detail.clone(),
            AppError::Client { message, .. } => message.clone(),
            AppError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "internal server error".to_owned()
            }
        }
    }

    /// RFC 7644 §3.12: the SCIM error body.
    pub fn scim_body(&self) -> Value {
        match self {
            AppError::Scim(e) => e.body(),
            other => ScimError::new(other.status().as_u16(), None, other.public_message()).body(),
        }
    }
}

/// RFC 7644 §3.12: every SCIM error is a JSON body with `status` as a string.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        json_response(status, &self.scim_body(), SCIM_MEDIA_TYPE)
    }
}

/// An error type for one more API surface: `AppError` in a newtype that any error
/// converts into, answered as JSON with the body `$body` renders.
macro_rules! surface_error {
    ($(#[$doc:meta])* $name:ident, $body:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(pub AppError);

        impl<E: Into<AppError>> From<E> for $name {
            fn from(e: E) -> Self {
                $name(e.into())
            }
        }

        impl IntoResponse for $name {
            fn into_response(self) -> Response {
                json_response(self.0.status(), &$body(&self.0), "application/json")
            }
        }
    };
}

surface_error!(
    /// An [`AppError`] on Grafana's app API (`/api/…`): `{"message": "…"}`.
    GrafanaError,
    grafana_body
);

surface_error!(
    /// An [`AppError`] on the SCIMConfig API, which Grafana serves through its
    /// Kubernetes-style app platform: a `Status` object.
    KubeError,
    kube_body
);

/// Grafana's error body; an internal error says no more than that it happened.
fn grafana_body(error: &AppError) -> Value {
    let message = match error {
        AppError::Internal(_) => {
            let _ = error.public_message();
            "Internal server error".to_owned()
        }
        other => other.public_message(),
    };
    json!({ "message": message })
}

/// A Kubernetes `Status` object for the error.
fn kube_body(error: &AppError) -> Value {
    let status = error.status();
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": error.public_message(),
        "reason": kube_reason(status),
        "code": status.as_u16(),
    })
}

/// Kubernetes `StatusReason` for a status code.
fn kube_reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        _ if status.is_server_error() => "InternalError",
        _ => "Unknown",
    }
}

/// A JSON response with this content type.
pub fn json_response(status: StatusCode, body: &Value, content_type: &'static str) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = (status, bytes).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn scim_errors_render_rfc_7644_bodies() {
        let r = AppError::from(ScimError::uniqueness("userName `a` is taken")).into_response();
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert_eq!(r.headers()[header::CONTENT_TYPE], SCIM_MEDIA_TYPE);
        let body = body_of(r).await;
        assert_eq!(body["status"], "409");
        assert_eq!(body["scimType"], "uniqueness");
        assert_eq!(body["detail"], "userName `a` is taken");
    }

    #[tokio::test]
    async fn internal_errors_hide_their_detail() {
        let e = AppError::from(rusqlite::Error::InvalidQuery);
        let body = body_of(e.into_response()).await;
        assert_eq!(body["status"], "500");
        assert_eq!(body["detail"], "internal server error");

        let e = GrafanaError::from(rusqlite::Error::InvalidQuery);
        let body = body_of(e.into_response()).await;
        assert_eq!(body, json!({"message": "Internal server error"}));
    }

    #[tokio::test]
    async fn client_errors_render_per_surface() {
        let e = || AppError::client(StatusCode::BAD_REQUEST, "Cannot delete provisioned teams");
        assert_eq!(
            body_of(GrafanaError(e()).into_response()).await,
            json!({"message": "Cannot delete provisioned teams"})
        );
        let body = body_of(KubeError(e()).into_response()).await;
        assert_eq!(body["kind"], "Status");
        assert_eq!(body["code"], 400);
        assert_eq!(body["reason"], "BadRequest");
        let body = body_of(e().into_response()).await;
        assert_eq!(body["status"], "400");
        assert!(body.get("scimType").is_none());
    }
}
