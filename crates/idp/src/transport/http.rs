//! `Http`: one request with the persona's retries, each attempt timed, bounded, parsed
//! and recorded into the transcript of the object whose work made it.

use std::cell::RefCell;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use reqwest::header::{HeaderName, HeaderValue, ACCEPT, HOST, RETRY_AFTER};
use serde_json::Value;

use crate::persona::{PersonaId, RequestKind};

use super::connect;
use super::plain_http::{self, PlainHttp};
use super::policy::{Pacer, ScimTarget, SyncLimits, TranscriptDetail};
use super::transcript::{Exchange, JsonText, RequestBody};
use super::{Reply, TransportError};

tokio::task_local! {
    /// The exchanges of the object whose work is being polled.
    static RECORDED: RefCell<Vec<Exchange>>;
}

/// Run `work`, returning with its output every exchange it made, in send order. The
/// engine runs each object's work under this, so the exchanges of concurrent objects
/// never interleave.
pub(crate) async fn recorded<F: std::future::Future>(work: F) -> (F::Output, Vec<Exchange>) {
    let mut scoped = std::pin::pin!(RECORDED.scope(RefCell::new(Vec::new()), work));
    let output = scoped.as_mut().await;
    let exchanges = scoped
        .as_mut()
        .take_value()
        .map(RefCell::into_inner)
        .unwrap_or_default();
    (output, exchanges)
}

pub(crate) struct Http {
    pub(super) client: reqwest::Client,
    pub(crate) target: ScimTarget,
    persona: PersonaId,
    limits: SyncLimits,
    /// The base URL parsed once; each request only sets path and query on a copy.
    pub(super) base: Option<reqwest::Url>,
    /// The credential's header (`Authorization: Bearer …` by default), its value marked
    /// sensitive; `None` when it is not a valid header (each request then fails with
    /// that reason, naming no secret).
    pub(super) authorization: Option<(HeaderName, HeaderValue)>,
    /// The lean client for an `http://` base URL with a valid credential and no proxy;
    /// `None` sends through reqwest (`https://`, credentials in the URL, a credential
    /// that is no header, a proxy from the environment).
    plain: Option<PlainHttp>,
    /// The base URL's path without trailing slash, prefixed to each plain request.
    pub(super) prefix: String,
    /// Exchanges made outside [`recorded`]; the engine drains them after each step.
    stray: Mutex<Vec<Exchange>>,
    pacer: Pacer,
}

const TEXT_LIMIT: usize = 64 * 1024;

/// What one attempt produced, before it is recorded.
struct Attempt {
    result: Result<Reply, TransportError>,
    retry_after: Option<String>,
    exchange: Exchange,
}

impl Http {
    pub(crate) fn new(persona: PersonaId, target: ScimTarget) -> Http {
        let client = match &target.connector {
            Some(connector) => connector.client.clone(),
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(target.timeout)
                // The engine retries by persona and records every attempt; reqwest's own
                // replay of refused HTTP/2 streams would send unrecorded requests (and
                // clones every request to be able to).
                .retry(reqwest::retry::never().max_retries_per_request(0))
                .build()
                .unwrap_or_default(),
        };
        let limits = target
            .limits
            .unwrap_or_else(|| SyncLimits::for_persona(persona));
        let base = reqwest::Url::parse(target.base())
            .ok()
            .filter(|u| !u.cannot_be_a_base());
        let authorization = target.credential.header().ok();
        // A proxy from the environment that applies to the target sends `http://` through
        // reqwest too, which implements the proxy variables; otherwise the fast path.
        let plain = base
            .as_ref()
            .filter(|_| authorization.is_some())
            .filter(|b| !b.host_str().is_some_and(connect::http_proxy_applies))
            .and_then(|b| PlainHttp::new(b, limits.concurrency.max(1)));
        let prefix = base
            .as_ref()
            .map_or("", |b| b.path().trim_end_matches('/'))
            .to_owned();
        Http {
            client,
            persona,
            limits,
            base,
            authorization,
            plain,
            prefix,
            stray: Mutex::new(Vec::new()),
            pacer: Pacer::new(limits.requests_per_second),
            target,
        }
    }

    /// How many objects of one phase may be in flight.
    pub(crate) fn concurrency(&self) -> usize {
        self.limits.concurrency.max(1)
    }

    /// Exchanges made outside [`recorded`] since the last call.
    pub(crate) fn take_stray(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.stray.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn record(&self, exchange: Exchange) {
        let mut exchange = Some(exchange);
        let _ = RECORDED.try_with(|r| r.borrow_mut().extend(exchange.take()));
        if let Some(e) = exchange {
            self.stray
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(e);
        }
    }

    /// Wait for this request's start under `requests_per_second`.
    async fn pace(&self) {
        if let Some(start) = self.pacer.slot(tokio::time::Instant::now()) {
            tokio::time::sleep_until(start).await;
        }
    }

    /// Send, retrying 429 and (per persona) 5xx and transport failures; every attempt
    /// is recorded. Returns the last reply, whatever its status.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        kind: RequestKind,
        path_and_query: &str,
        body: Option<RequestBody>,
    ) -> Result<Reply, TransportError> {
        let rate_attempts = self
            .target
            .rate_limit_attempts
            .unwrap_or(self.persona.rate_limit_attempts());
        let error_retries = self
            .target
            .server_error_retries
            .unwrap_or(self.persona.server_error_retries());
        let full = self.target.transcript == TranscriptDetail::Full;
        // The same bytes for every attempt; the transcript keeps the text.
        let wire_body = body
            .as_ref()
            .map(|b| bytes::Bytes::copy_from_slice(b.sent.as_str().as_bytes()));
        let mut shown_body = body.filter(|_| full).map(RequestBody::shown);
        let mut rate_limited = 0u32;
        let mut failed = 0u32;
        loop {
            let Attempt {
                result,
                retry_after,
                mut exchange,
            } = self
                .attempt(&method, kind, path_and_query, wire_body.clone())
                .await;
            let wait = match &result {
                Ok(reply) if reply.status == 429 && rate_limited < rate_attempts => {
                    rate_limited += 1;
                    Some(
                        self.persona
                            .rate_limit_wait(retry_after.as_deref(), rate_limited - 1)
                            .min(self.target.max_retry_wait),
                    )
                }
                Ok(reply) if transient(reply.status) && failed < error_retries => {
                    failed += 1;
                    Some(
                        self.target
                            .server_error_backoff
                            .saturating_mul(1 << (failed - 1)),
                    )
                }
                Ok(_) | Err(TransportError::Url(_)) => None,
                Err(_) if failed < error_retries => {
                    failed += 1;
                    Some(
                        self.target
                            .server_error_backoff
                            .saturating_mul(1 << (failed - 1)),
                    )
                }
                Err(_) => None,
            };
            match wait {
                Some(wait) => {
                    exchange.request_body = shown_body.clone();
                    self.record(exchange);
                    tokio::time::sleep(wait).await;
                }
                None => {
                    exchange.request_body = shown_body.take();
                    self.record(exchange);
                    return result;
                }
            }
        }
    }

    async fn attempt(
        &self,
        method: &reqwest::Method,
        kind: RequestKind,
        path_and_query: &str,
        body: Option<bytes::Bytes>,
    ) -> Attempt {
        self.pace().await;
        let url = self.url(path_and_query);
        let headers = self.persona.headers(kind);
        let full = self.target.transcript == TranscriptDetail::Full;
        let mut request_headers = Vec::new();
        if full {
            request_headers.reserve(headers.len() + 1);
            request_headers.push(self.target.credential.redacted());
            request_headers.extend(
                headers
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            );
        }
        let mut exchange = Exchange::unanswered(
            self.persona.as_str().to_owned(),
            method.as_str().to_owned(),
            url,
            request_headers,
            None,
        );
        let started = Instant::now();
        let limit = self.target.max_response_bytes;
        let timeout = self.target.timeout;
        let outcome = match (&self.plain, &self.authorization) {
            (Some(plain), Some(authorization)) => {
                let uri = match self.origin_form(path_and_query) {
                    Ok(u) => u,
                    Err(e) => return invalid_url(exchange, &e),
                };
                let mut req =
                    hyper::Request::new(http_body_util::Full::new(body.unwrap_or_default()));
                *req.method_mut() = method.clone();
                *req.uri_mut() = uri;
                // The header order reqwest sends: ours, its default `accept: */*`
                // unless the persona sets one, then hyper-util's `Host`.
                let h = req.headers_mut();
                h.reserve(headers.len() + 3);
                h.append(authorization.0.clone(), authorization.1.clone());
                for &(k, v) in headers {
                    h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
                }
                if !h.contains_key(ACCEPT) {
                    h.append(ACCEPT, HeaderValue::from_static("*/*"));
                }
                h.append(HOST, plain.host_header().clone());
                // The future that writes the request also reads the answer, on the
                // connection it holds (no hand-over to a connection task); the objects'
                // requests start and are answered in the order they were issued, as
                // they did through reqwest.
                let plain = plain.clone();
                let url = exchange.url.clone();
                let work = async move {
                    tokio::time::timeout(timeout, async {
                        let answer = plain.exchange(req, limit, &url).await?;
                        Ok(parse_answer(answer, full))
                    })
                    .await
                };
                // On a current-thread runtime there is no other worker to hand the
                // request to: it is polled here, which spares a task and its wake-ups
                // (`scim-harness idp sync` runs the engine so). On a multi-thread runtime
                // it runs as its own task, so requests spread over the workers instead
                // of all running on the task that drives the cycle's objects.
                if on_current_thread_runtime() {
                    match work.await {
                        Ok(answer) => answer,
                        Err(_elapsed) => Err(TransportError::Timeout(timeout)),
                    }
                } else {
                    match Spawned(tokio::spawn(work)).finish().await {
                        Ok(Ok(answer)) => answer,
                        Ok(Err(_elapsed)) => Err(TransportError::Timeout(timeout)),
                        Err(e) => Err(TransportError::Io(format!("request task failed: {e}"))),
                    }
                }
            }
            _ => {
                let parsed = match self.parsed_url(path_and_query) {
                    Ok(u) => u,
                    Err(e) => return invalid_url(exchange, &e),
                };
                self.reqwest_exchange(method, parsed, headers, body, full)
                    .await
            }
        };
        let elapsed = started.elapsed();
        exchange.elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        exchange.elapsed_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let (result, retry_after) = match outcome {
            Ok((status, retry_after, headers, bytes, json)) => {
                if full && json.is_none() && !bytes.is_empty() {
                    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(TEXT_LIMIT)]);
                    exchange.response_text = Some(text.into_owned());
                }
                exchange.status = Some(status);
                if full {
                    exchange.response_headers = headers;
                    exchange.response_json = json.as_ref().map(|j| JsonText::of_body(&bytes, j));
                }
                let reply = Reply {
                    status,
                    empty: bytes.iter().all(u8::is_ascii_whitespace),
                    json,
                };
                (Ok(reply), retry_after)
            }
            Err(e) => {
                exchange.error = Some(e.to_string());
                (Err(e), None)
            }
        };
        Attempt {
            result,
            retry_after,
            exchange,
        }
    }
}

/// A response read in full, as the attempt records it: status, `Retry-After`, the
/// headers (when the transcript keeps them), the body and the body parsed as JSON.
pub(super) type Parsed = (
    u16,
    Option<String>,
    Vec<(String, String)>,
    Vec<u8>,
    Option<Value>,
);

/// Parse a response on the request's own task, off the task that drives the cycle.
pub(super) fn parse_answer(
    (status, response_headers, bytes): plain_http::Answer,
    full: bool,
) -> Parsed {
    let retry_after = response_headers
        .get(RETRY_AFTER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let headers: Vec<(String, String)> = if full {
        response_headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let json: Option<Value> = serde_json::from_slice(&bytes).ok();
    (status, retry_after, headers, bytes, json)
}

/// The attempt for a URL that does not parse: no request is sent.
fn invalid_url(mut exchange: Exchange, error: &str) -> Attempt {
    exchange.error = Some(format!("invalid url: {error}"));
    let url = exchange.url.clone();
    Attempt {
        result: Err(TransportError::Url(url)),
        retry_after: None,
        exchange,
    }
}

/// Whether the code runs on a current-thread tokio runtime.
fn on_current_thread_runtime() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
}

/// A spawned request, aborted if the engine stops waiting for it (a cancelled cycle
/// leaves nothing running).
pub(super) struct Spawned<T>(pub(super) tokio::task::JoinHandle<T>);

impl<T> Spawned<T> {
    pub(super) async fn finish(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A 5xx worth sending again. `501 Not Implemented` and `505 HTTP Version Not Supported`
/// say the server cannot do this request at all (RFC 9110 §15.6.2, §15.6.6), so a retry
/// only repeats the answer.
fn transient(status: u16) -> bool {
    status >= 500 && !matches!(status, 501 | 505)
}
