//! Why a SAML login failed, as the client sees it: Grafana's error ids (grafana-target.md
//! §6) and the reference target's own `saml.*` ids, rendered as
//! `{"message", "messageId", "statusCode"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::json_response;

/// A refused login. Only the public message and id reach the client; the detail
/// (which check failed, with what) goes to the log under `reference_target::saml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginError {
    pub status: StatusCode,
    pub message_id: &'static str,
    pub message: &'static str,
}

const fn e(status: StatusCode, message_id: &'static str, message: &'static str) -> LoginError {
    LoginError {
        status,
        message_id,
        message,
    }
}

const UNAUTHORIZED: StatusCode = StatusCode::UNAUTHORIZED;
const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;

impl LoginError {
    // Grafana: pkg/services/authn/authnimpl/sync/user_sync.go (grafana-target.md §6).
    pub const EXTERNAL_UID_MISMATCH: LoginError = e(
        UNAUTHORIZED,
        "user.sync.user-externalUID-mismatch",
        "User externalUID mismatch",
    );
    pub const NOT_PROVISIONED: LoginError = e(
        FORBIDDEN,
        "user.sync.user-not-provisioned",
        "User is not provisioned",
    );
    pub const EMPTY_EXTERNAL_UID: LoginError = e(
        UNAUTHORIZED,
        "user.sync.empty-externalUID",
        "Empty externalUID",
    );
    pub const MISMATCHED_EXTERNAL_UID: LoginError = e(
        UNAUTHORIZED,
        "user.sync.mismatched-externalUID",
        "Mismatched provisioned identity",
    );
    pub const SIGNUP_DISABLED: LoginError = e(
        UNAUTHORIZED,
        "user.sync.signup-disabled",
        "Sign up is disabled",
    );
    pub const INTERNAL: LoginError = e(
        StatusCode::INTERNAL_SERVER_ERROR,
        "user.sync.internal",
        "User sync failed",
    );

    // The reference target's own ids (README "SAML login").
    /// The user exists and is disabled (SCIM `active=false` or DELETE).
    pub const USER_DISABLED: LoginError = e(UNAUTHORIZED, "user.disabled", "User is disabled");
    /// The uid attribute carries more than one value (or appears more than once).
    pub const AMBIGUOUS_EXTERNAL_UID: LoginError = e(
        UNAUTHORIZED,
        "saml.ambiguous-externalUID",
        "The user's unique identifier appears more than once",
    );
    /// No `SAMLResponse` form field, or a body that is not a form.
    pub const MISSING_RESPONSE: LoginError = e(
        StatusCode::BAD_REQUEST,
        "saml.missing-response",
        "Missing SAMLResponse",
    );
    /// The Response failed verification (signature, shape, issuer, audience, times…).
    pub const INVALID_RESPONSE: LoginError = e(
        UNAUTHORIZED,
        "saml.invalid-response",
        "Invalid SAML response",
    );
    /// The Issuer is not a trusted IdP.
    pub const UNKNOWN_IDP: LoginError = e(
        UNAUTHORIZED,
        "saml.unknown-idp",
        "SAML response from an untrusted identity provider",
    );
    /// `InResponseTo` names no outstanding AuthnRequest (unknown, expired or used).
    pub const UNKNOWN_REQUEST: LoginError = e(
        UNAUTHORIZED,
        "saml.unknown-request",
        "SAML response to an unknown or expired request",
    );
    /// An unsolicited Response while `allow_idp_initiated` is off.
    pub const IDP_INITIATED_DISABLED: LoginError = e(
        UNAUTHORIZED,
        "saml.idp-initiated-disabled",
        "IdP-initiated login is disabled",
    );
    /// An assertion id seen before, within its validity (SAML Profiles §4.1.4.5).
    pub const REPLAYED: LoginError = e(
        UNAUTHORIZED,
        "saml.replayed-assertion",
        "SAML assertion was already used",
    );
    /// Neither login, email nor NameID to create a user from.
    pub const MISSING_LOGIN: LoginError = e(
        UNAUTHORIZED,
        "saml.missing-login",
        "SAML assertion names no login or email",
    );
    /// `GET /login/saml` without a trusted IdP that has an SSO URL.
    pub const NO_SSO_URL: LoginError = e(
        StatusCode::BAD_REQUEST,
        "saml.no-sso-url",
        "No trusted identity provider accepts SP-initiated login",
    );
}

impl IntoResponse for LoginError {
    fn into_response(self) -> Response {
        json_response(
            self.status,
            &json!({
                "message": self.message,
                "messageId": self.message_id,
                "statusCode": self.status.as_u16(),
            }),
            "application/json",
        )
    }
}
