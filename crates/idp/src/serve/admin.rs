//! The admin page and the JSON API over a persona's directory and its cycles.

use std::sync::Arc;

use axum::Router;

use super::Site;

pub(super) fn router() -> Router<Arc<Site>> {
    Router::new()
}
