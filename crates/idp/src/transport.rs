//! HTTP to the target: per-request timeout, bounded bodies, 429 and 5xx retries, and the
//! redacted transcript of every exchange.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, HOST, RETRY_AFTER,
};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::persona::{Family, PersonaId, RequestKind};

mod plain_http;
#[cfg(test)]
mod tests;

use plain_http::PlainHttp;

/// Where and how to reach the SCIM service provider.
#[derive(Debug, Clone)]
pub struct ScimTarget {
    /// The SCIM base URL ("Tenant URL"), e.g.
    /// `http://127.0.0.1:3000/apis/scim.grafana.app/v0alpha1/namespaces/default`. A query
    /// string on it (Entra's `?aadOptscim062020`, entra-scim.md §2) is not sent.
    pub base_url: String,
    /// The bearer token; sent as `Authorization: Bearer …`, never recorded.
    pub token: String,
    /// Budget for one request, from sending to the last body byte. Both Entra and Okta
    /// give up after 60 s (entra-scim.md §3 "Load and timing", okta-scim.md §1).
    pub timeout: Duration,
    /// The largest response body read; a larger one fails the exchange.
    pub max_response_bytes: usize,
    /// The longest single wait on a `429`, whatever the persona or `Retry-After` asks.
    pub max_retry_wait: Duration,
    /// Override of the persona's bound on 429 retries (okta: 10).
    pub rate_limit_attempts: Option<u32>,
    /// Override of the persona's immediate 5xx/transport retries (entra 0, okta 0, rfc 2).
    pub server_error_retries: Option<u32>,
    /// Wait before the first immediate 5xx retry; doubled for each further one.
    pub server_error_backoff: Duration,
    /// Override of the persona's concurrency cap and request rate
    /// ([`SyncLimits::for_persona`]).
    pub limits: Option<SyncLimits>,
    /// How much of each exchange the transcript keeps.
    pub transcript: TranscriptDetail,
}

/// How much of each exchange the transcript keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TranscriptDetail {
    /// Headers and bodies, redacted (the default).
    #[default]
    Full,
    /// Method, URL, status, timing and error only: a smaller transcript, for syncs of
    /// tens of thousands of users whose transcript is kept in the report (streaming it
    /// with [`SyncEngine::cycle_to`](crate::SyncEngine::cycle_to) keeps none).
    Lines,
}

/// How hard the engine drives the target: how many requests may be in flight at once and
/// how many may start per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SyncLimits {
    /// Objects of one phase (users, managers, groups, memberships) handled at once; each
    /// object has at most one request in flight, so this caps concurrent requests.
    /// `0` is treated as `1`.
    pub concurrency: usize,
    /// At most this many requests (retries included) start per second; `None` for no
    /// pacing.
    pub requests_per_second: Option<f64>,
}

impl SyncLimits {
    /// One request at a time, unpaced.
    pub const SEQUENTIAL: SyncLimits = SyncLimits {
        concurrency: 1,
        requests_per_second: None,
    };

    /// The persona's defaults.
    ///
    /// - Entra sends "in parallel, up to a connection cap" (entra-scim.md §3 "Load and
    ///   timing" [QA1195656]); the cap is not published, so we use 8. No rate is imposed:
    ///   the sheet gives a peak of about 1000 requests a minute as an observation, not a
    ///   limit; set `requests_per_second: Some(16.7)` to replay it.
    /// - Okta's sheet (okta-scim.md §1 "Timeouts, 429 and other errors") documents how it
    ///   backs off, not how many requests it overlaps; a provisioning task pushes one
    ///   change after another, so the persona sends one request at a time.
    /// - rfc: one at a time, so a strict client's transcript reads in send order.
    pub fn for_persona(persona: PersonaId) -> SyncLimits {
        match persona.family() {
            Family::Entra => SyncLimits {
                concurrency: ENTRA_CONCURRENCY,
                requests_per_second: None,
            },
            Family::Okta | Family::Rfc => SyncLimits::SEQUENTIAL,
        }
    }
}

/// The Entra persona's default cap (entra-scim.md §3 gives no number).
pub const ENTRA_CONCURRENCY: usize = 8;

impl ScimTarget {
    /// A target with the documented defaults: 60 s per request, 4 MiB bodies, at most
    /// 5 minutes per 429 wait (Okta's default wait, okta-scim.md §1).
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> ScimTarget {
        ScimTarget {
            base_url: base_url.into(),
            token: token.into(),
            timeout: Duration::from_secs(60),
            max_response_bytes: 4 * 1024 * 1024,
            max_retry_wait: Duration::from_secs(300),
            rate_limit_attempts: None,
            server_error_retries: None,
            server_error_backoff: Duration::from_secs(1),
            limits: None,
            transcript: TranscriptDetail::Full,
        }
    }

    /// The base URL without query or trailing slash.
    fn base(&self) -> &str {
        let base = self.base_url.split(['?', '#']).next().unwrap_or("");
        base.trim_end_matches('/')
    }
}

/// One HTTP request and its answer (or failure), secrets redacted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    /// 1-based position in the engine's transcript.
    pub seq: u64,
    pub persona: String,
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<JsonText>,
    /// `None` when no response arrived (timeout, reset, refused).
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    /// The response body when it parsed as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_json: Option<JsonText>,
    /// The response body when it is not empty and not JSON (truncated to 64 KiB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_text: Option<String>,
    pub elapsed_ms: u64,
    /// Why no usable response arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Exchange {
    /// The request header `name` (lowercase).
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Path and query of the URL (everything after the authority).
    pub fn path_and_query(&self) -> &str {
        let rest = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |x| x.1);
        rest.find('/').map_or("/", |i| &rest[i..])
    }
}

/// A JSON document kept as its text, on one line: a body in the transcript. Keeping the
/// text rather than a parsed [`Value`] spares the engine a copy of every body it sends or
/// reads (a `Value` is a tree of allocations); [`JsonText::value`] parses it when a
/// reader needs to look inside. Through serde_json (JSON lines, reports, `json!`) it
/// serializes as the JSON it holds, not as a string; another serde format would see
/// serde_json's raw-value wrapper, so convert with [`JsonText::value`] first.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct JsonText(Box<RawValue>);

impl JsonText {
    /// `value` written compactly.
    pub fn from_value(value: &Value) -> JsonText {
        JsonText::serialized(value)
    }

    /// A body that parsed as `value`: its own text, without surrounding whitespace, when
    /// it is on one line; otherwise `value` written compactly, so that a JSON-lines
    /// transcript stays one exchange a line.
    pub fn of_body(bytes: &[u8], value: &Value) -> JsonText {
        if !bytes.iter().any(|b| matches!(b, b'\n' | b'\r')) {
            let own = std::str::from_utf8(bytes)
                .ok()
                .and_then(|s| serde_json::from_str::<&RawValue>(s).ok());
            if let Some(raw) = own {
                return JsonText(raw.to_owned());
            }
        }
        JsonText::from_value(value)
    }

    /// `value` written compactly, a top-level `password` member shown as `[redacted]`:
    /// how a transcript shows a request body that carries one.
    pub fn password_redacted(value: &Value) -> JsonText {
        match value {
            Value::Object(map) if map.contains_key("password") => {
                let mut shown = map.clone();
                shown.insert(
                    "password".to_owned(),
                    Value::String("[redacted]".to_owned()),
                );
                JsonText::from_value(&Value::Object(shown))
            }
            _ => JsonText::from_value(value),
        }
    }

    /// `value` serialized compactly. Used for values that always serialize (map keys
    /// are strings); were one to fail, the text is `null`.
    pub(crate) fn serialized<T: Serialize + ?Sized>(value: &T) -> JsonText {
        let raw =
            serde_json::value::to_raw_value(value).unwrap_or_else(|_| RawValue::NULL.to_owned());
        JsonText(raw)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// The document parsed.
    pub fn value(&self) -> Value {
        // Valid JSON by construction.
        serde_json::from_str(self.as_str()).unwrap_or(Value::Null)
    }
}

impl PartialEq for JsonText {
    fn eq(&self, other: &JsonText) -> bool {
        self.as_str() == other.as_str()
    }
}

impl From<&Value> for JsonText {
    fn from(value: &Value) -> JsonText {
        JsonText::from_value(value)
    }
}

impl From<Value> for JsonText {
    fn from(value: Value) -> JsonText {
        JsonText::from_value(&value)
    }
}

/// Every exchange in order; written as one JSON object per line.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Transcript {
    pub exchanges: Vec<Exchange>,
}

impl Transcript {
    /// Write one JSON object per line (the CLI's `--transcript FILE`).
    pub fn write_json_lines(&self, mut out: impl Write) -> std::io::Result<()> {
        for e in &self.exchanges {
            serde_json::to_writer(&mut out, e)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// Serialize one exchange as a JSON line (without the newline).
pub fn exchange_json_line(e: &Exchange) -> String {
    serde_json::to_string(e).unwrap_or_else(|_| "{}".to_owned())
}

/// Where [`SyncEngine::cycle_to`](crate::SyncEngine::cycle_to) puts each exchange, in
/// transcript order and numbered, as soon as the object it belongs to is done; nothing
/// of the transcript stays in the engine.
///
/// A `Vec<Exchange>` collects (what [`SyncEngine::cycle`](crate::SyncEngine::cycle)
/// does), [`JsonLinesSink`] writes JSON lines, and any `FnMut(Exchange)` works too.
pub trait TranscriptSink: Send {
    fn exchange(&mut self, exchange: Exchange);
}

impl TranscriptSink for Vec<Exchange> {
    fn exchange(&mut self, exchange: Exchange) {
        self.push(exchange);
    }
}

impl<F: FnMut(Exchange) + Send> TranscriptSink for F {
    fn exchange(&mut self, exchange: Exchange) {
        self(exchange);
    }
}

/// Writes each exchange as one JSON object per line, as [`Transcript::write_json_lines`]
/// does, without holding the transcript. After the first write error it writes nothing
/// more; [`JsonLinesSink::finish`] reports that error.
#[derive(Debug)]
pub struct JsonLinesSink<W: Write> {
    out: W,
    written: u64,
    error: Option<std::io::Error>,
}

impl<W: Write> JsonLinesSink<W> {
    pub fn new(out: W) -> JsonLinesSink<W> {
        JsonLinesSink {
            out,
            written: 0,
            error: None,
        }
    }

    /// Lines written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flush, and hand back the writer or the first write error.
    pub fn finish(mut self) -> std::io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write + Send> TranscriptSink for JsonLinesSink<W> {
    fn exchange(&mut self, exchange: Exchange) {
        if self.error.is_some() {
            return;
        }
        let line = serde_json::to_writer(&mut self.out, &exchange)
            .map_err(std::io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"));
        match line {
            Ok(()) => self.written += 1,
            Err(e) => self.error = Some(e),
        }
    }
}

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
    client: reqwest::Client,
    pub(crate) target: ScimTarget,
    persona: PersonaId,
    limits: SyncLimits,
    /// The base URL parsed once; each request only sets path and query on a copy.
    base: Option<reqwest::Url>,
    /// `Authorization: Bearer …`, marked sensitive; `None` when the token is not a valid
    /// header value (each request then fails as reqwest reports it).
    authorization: Option<HeaderValue>,
    /// The lean client for an `http://` base URL with a valid token; `None` sends
    /// through reqwest (`https://`, credentials in the URL, a token that is no header
    /// value).
    plain: Option<PlainHttp>,
    /// The base URL's path without trailing slash, prefixed to each plain request.
    prefix: String,
    /// Exchanges made outside [`recorded`]; the engine drains them after each step.
    stray: Mutex<Vec<Exchange>>,
    pacer: Pacer,
}

/// Spaces request starts evenly at `requests_per_second`.
#[derive(Debug)]
pub(crate) struct Pacer {
    /// `None`: unpaced.
    interval: Option<Duration>,
    /// When the next request may start.
    next: Mutex<Option<tokio::time::Instant>>,
}

impl Pacer {
    pub(crate) fn new(requests_per_second: Option<f64>) -> Pacer {
        let interval = requests_per_second
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r));
        Pacer {
            interval,
            next: Mutex::new(None),
        }
    }

    /// Book the next start at or after `now`; `None` when unpaced.
    pub(crate) fn slot(&self, now: tokio::time::Instant) -> Option<tokio::time::Instant> {
        let interval = self.interval?;
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let start = next.map_or(now, |n| n.max(now));
        *next = Some(start + interval);
        Some(start)
    }
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
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(target.timeout)
            // The engine retries by persona and records every attempt; reqwest's own
            // replay of refused HTTP/2 streams would send unrecorded requests (and
            // clones every request to be able to).
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .build()
            .unwrap_or_default();
        let limits = target
            .limits
            .unwrap_or_else(|| SyncLimits::for_persona(persona));
        let base = reqwest::Url::parse(target.base())
            .ok()
            .filter(|u| !u.cannot_be_a_base());
        let authorization = HeaderValue::try_from(format!("Bearer {}", target.token))
            .ok()
            .map(|mut v| {
                v.set_sensitive(true);
                v
            });
        let plain = base
            .as_ref()
            .filter(|_| authorization.is_some())
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

    /// `path_and_query` starts with `/` and is already encoded.
    pub(crate) fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.target.base())
    }

    /// The request URL, as `Url::parse(&self.url(path_and_query))` gives it, without
    /// parsing scheme and host again.
    fn parsed_url(&self, path_and_query: &str) -> Result<reqwest::Url, String> {
        let Some(base) = &self.base else {
            return reqwest::Url::parse(&self.url(path_and_query)).map_err(|e| e.to_string());
        };
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let mut url = base.clone();
        let prefix = base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{path}"));
        url.set_query(query);
        Ok(url)
    }

    /// The request target (origin form) a plain request sends: what reqwest would send
    /// for the same URL. An already-canonical path and query (the engine's own, always)
    /// is used as it is; anything the URL parser would rewrite (dot segments, characters
    /// it percent-encodes) goes through it.
    fn origin_form(&self, path_and_query: &str) -> Result<hyper::Uri, String> {
        let (path, _) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let canonical = path_and_query.starts_with('/')
            && path_and_query.bytes().all(|b| KEPT_AS_IS[usize::from(b)])
            && !path.contains("/.")
            && !path
                .as_bytes()
                .windows(3)
                .any(|w| w[0] == b'%' && w[1] == b'2' && w[2].eq_ignore_ascii_case(&b'e'));
        let target = if canonical {
            format!("{}{path_and_query}", self.prefix)
        } else {
            let url = self.parsed_url(path_and_query)?;
            match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            }
        };
        hyper::Uri::try_from(target).map_err(|e| e.to_string())
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
                Ok(reply) if reply.status >= 500 && failed < error_retries => {
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
            request_headers.push(("authorization".to_owned(), "Bearer [redacted]".to_owned()));
            request_headers.extend(
                headers
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            );
        }
        let mut exchange = Exchange {
            seq: 0,
            persona: self.persona.as_str().to_owned(),
            method: method.as_str().to_owned(),
            url,
            request_headers,
            request_body: None,
            status: None,
            response_headers: Vec::new(),
            response_json: None,
            response_text: None,
            elapsed_ms: 0,
            error: None,
        };
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
                h.append(AUTHORIZATION, authorization.clone());
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
        exchange.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
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

impl Http {
    /// Send through reqwest (`https://` targets and the fallbacks of [`Http::plain`]).
    async fn reqwest_exchange(
        &self,
        method: &reqwest::Method,
        url: reqwest::Url,
        headers: &'static [(&'static str, &'static str)],
        body: Option<bytes::Bytes>,
        full: bool,
    ) -> Result<Parsed, TransportError> {
        let mut req = self.client.request(method.clone(), url);
        req = match &self.authorization {
            Some(v) => req.header(AUTHORIZATION, v.clone()),
            None => req.header("authorization", format!("Bearer {}", self.target.token)),
        };
        for &(k, v) in headers {
            req = req.header(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let limit = self.target.max_response_bytes;
        let timeout = self.target.timeout;
        // The request runs as its own task: reqwest's work for it spreads over the
        // runtime's workers instead of all running on the task that drives the cycle's
        // objects.
        let request = Spawned(tokio::spawn(tokio::time::timeout(timeout, async move {
            let mut resp = req
                .send()
                .await
                .map_err(|e| TransportError::Io(error_chain(&e)))?;
            let status = resp.status().as_u16();
            let headers: HeaderMap = std::mem::take(resp.headers_mut());
            if resp.content_length().is_some_and(|n| n > limit as u64) {
                return Err(TransportError::BodyTooLarge(limit));
            }
            let mut bytes: Vec<u8> = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| TransportError::Io(error_chain(&e)))?
            {
                if bytes.len() + chunk.len() > limit {
                    return Err(TransportError::BodyTooLarge(limit));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok(parse_answer((status, headers, bytes), full))
        })));
        match request.finish().await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_elapsed)) => Err(TransportError::Timeout(timeout)),
            Err(e) => Err(TransportError::Io(format!("request task failed: {e}"))),
        }
    }
}

/// The bytes the URL parser leaves as they are in a path or query: unreserved and
/// sub-delims, `:@/?` and `%` (RFC 3986 §2.2-2.3).
const KEPT_AS_IS: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric();
        b += 1;
    }
    let others = b"-._~!$&()*+,;=:@/%?";
    let mut i = 0;
    while i < others.len() {
        t[others[i] as usize] = true;
        i += 1;
    }
    t
};

/// A response read in full, as the attempt records it: status, `Retry-After`, the
/// headers (when the transcript keeps them), the body and the body parsed as JSON.
type Parsed = (
    u16,
    Option<String>,
    Vec<(String, String)>,
    Vec<u8>,
    Option<Value>,
);

/// Parse a response on the request's own task, off the task that drives the cycle.
fn parse_answer((status, response_headers, bytes): plain_http::Answer, full: bool) -> Parsed {
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
struct Spawned<T>(tokio::task::JoinHandle<T>);

impl<T> Spawned<T> {
    async fn finish(mut self) -> Result<T, tokio::task::JoinError> {
        (&mut self.0).await
    }
}

impl<T> Drop for Spawned<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A request body: the JSON sent, and what the transcript shows instead when a secret
/// is in it.
#[derive(Debug)]
pub(crate) struct RequestBody {
    pub(crate) sent: JsonText,
    /// `None`: the transcript shows what was sent.
    pub(crate) redacted: Option<JsonText>,
}

impl RequestBody {
    /// `body` as sent; a top-level `password` is shown as `[redacted]`. Okta sends one on
    /// create (okta-scim.md §3); it is random, but the transcript still redacts it.
    pub(crate) fn from_value(body: &Value) -> RequestBody {
        let redacted = body
            .get("password")
            .map(|_| JsonText::password_redacted(body));
        RequestBody {
            sent: JsonText::from_value(body),
            redacted,
        }
    }

    /// What the transcript shows.
    fn shown(self) -> JsonText {
        self.redacted.unwrap_or(self.sent)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}
