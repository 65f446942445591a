//! HTTP to the target: per-request timeout, bounded bodies, 429 and 5xx retries, and the
//! redacted transcript of every exchange.
//!
//! What the caller sets is in `policy` ([`ScimTarget`], [`SyncLimits`]); what is
//! recorded in `transcript` ([`Exchange`], [`JsonText`], the [`TranscriptSink`]s). `Http`
//! (`http`) sends with retries and records every attempt, through `plain_http` for an
//! `http://` target and `reqwest_client` otherwise, on the URLs `url` builds.

use std::time::Duration;

use serde_json::Value;

mod connect;
mod http;
mod plain_http;
mod policy;
mod reqwest_client;
#[cfg(test)]
mod tests;
mod transcript;
mod url;

pub use connect::{ConnectError, Connector, Credential, CredentialError, TlsFiles};
pub(crate) use http::{recorded, Http};
pub use policy::{ScimTarget, SyncLimits, TranscriptDetail, ENTRA_CONCURRENCY};
pub(crate) use transcript::RequestBody;
pub use transcript::{
    exchange_json_line, Exchange, JsonLinesReader, JsonLinesSink, JsonText, Transcript,
    TranscriptReadError, TranscriptSink,
};

/// A response that arrived in full.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub json: Option<Value>,
    pub empty: bool,
}

/// Why no usable response arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("no response within {0:?}")]
    Timeout(Duration),
    #[error("response body larger than {0} bytes")]
    BodyTooLarge(usize),
    #[error("transport failure: {0}")]
    Io(String),
    #[error("invalid request url {0}")]
    Url(String),
}

/// An error and its sources on one line, `outer: inner: …` (a transport failure's detail).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}
