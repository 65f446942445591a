//! Structured request logs: method, path, status and latency; never headers, query
//! strings or bodies, so the bearer token and personal data stay out of the log.

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Log one line per request at INFO under the `reference_target::http` target.
pub async fn log_request(request: Request, next: Next) -> Response {
    if !tracing::enabled!(target: "reference_target::http", tracing::Level::INFO) {
        return next.run(request).await;
    }
    let start = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let latency_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    tracing::info!(
        target: "reference_target::http",
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_us,
        "request"
    );
    response
}
