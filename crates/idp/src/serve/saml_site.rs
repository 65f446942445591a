//! The persona's SAML IdP: metadata, the SSO endpoint in both bindings, the login page,
//! and IdP-initiated logins.

use std::sync::Arc;

use axum::Router;

use super::Site;

pub(super) fn router() -> Router<Arc<Site>> {
    Router::new()
}
