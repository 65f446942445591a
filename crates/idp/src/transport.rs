//! HTTP to the target: per-request timeout, bounded bodies, 429 and 5xx retries, and the
//! redacted transcript of every exchange.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::persona::{Family, PersonaId, RequestKind};

#[cfg(test)]
mod tests;

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
    /// Method, URL, status, timing and error only: for syncs of tens of thousands of
    /// users, whose full transcript would hold every body in memory.
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
    pub request_body: Option<Value>,
    /// `None` when no response arrived (timeout, reset, refused).
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    /// The response body when it parsed as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_json: Option<Value>,
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

/// Where an exchange belongs in the transcript: requests are recorded in send order,
/// then listed by phase, by object within the phase, and in send order within one
/// object, so a concurrent cycle reads the same from run to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct Lane {
    pub phase: u8,
    pub index: usize,
}

tokio::task_local! {
    static LANE: Lane;
}

/// Run `work` with its exchanges filed under `lane`.
pub(crate) async fn in_lane<F: std::future::Future>(lane: Lane, work: F) -> F::Output {
    LANE.scope(lane, work).await
}

pub(crate) struct Http {
    client: reqwest::Client,
    pub(crate) target: ScimTarget,
    persona: PersonaId,
    limits: SyncLimits,
    /// Exchanges of the current cycle with their lane.
    transcript: Mutex<Vec<(Lane, Exchange)>>,
    /// Attempts started, for the send order.
    seq: AtomicU64,
    /// Exchanges already handed out by [`Http::take_transcript`].
    reported: u64,
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

impl Http {
    pub(crate) fn new(persona: PersonaId, target: ScimTarget) -> Http {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(target.timeout)
            .build()
            .unwrap_or_default();
        let limits = target
            .limits
            .unwrap_or_else(|| SyncLimits::for_persona(persona));
        Http {
            client,
            target,
            persona,
            limits,
            transcript: Mutex::new(Vec::new()),
            seq: AtomicU64::new(0),
            reported: 0,
            pacer: Pacer::new(limits.requests_per_second),
        }
    }

    /// How many objects of one phase may be in flight.
    pub(crate) fn concurrency(&self) -> usize {
        self.limits.concurrency.max(1)
    }

    /// The exchanges since the last call, ordered by lane then send order and numbered
    /// on from the previous batch.
    pub(crate) fn take_transcript(&mut self) -> Vec<Exchange> {
        let mut taken = std::mem::take(
            self.transcript
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
        taken.sort_by_key(|(lane, e)| (*lane, e.seq));
        let exchanges: Vec<Exchange> = taken
            .into_iter()
            .enumerate()
            .map(|(i, (_, mut e))| {
                e.seq = self.reported + 1 + i as u64;
                e
            })
            .collect();
        self.reported += exchanges.len() as u64;
        exchanges
    }

    fn record(&self, exchange: Exchange) {
        let lane = LANE.try_with(|l| *l).unwrap_or_default();
        self.transcript
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((lane, exchange));
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

    /// Send, retrying 429 and (per persona) 5xx and transport failures; every attempt
    /// is recorded. Returns the last reply, whatever its status.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        kind: RequestKind,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> Result<Reply, TransportError> {
        let rate_attempts = self
            .target
            .rate_limit_attempts
            .unwrap_or(self.persona.rate_limit_attempts());
        let error_retries = self
            .target
            .server_error_retries
            .unwrap_or(self.persona.server_error_retries());
        let mut rate_limited = 0u32;
        let mut failed = 0u32;
        loop {
            let (result, retry_after) = self.attempt(&method, kind, path_and_query, body).await;
            match result {
                Ok(reply) if reply.status == 429 && rate_limited < rate_attempts => {
                    let wait = self
                        .persona
                        .rate_limit_wait(retry_after.as_deref(), rate_limited)
                        .min(self.target.max_retry_wait);
                    rate_limited += 1;
                    tokio::time::sleep(wait).await;
                }
                Ok(reply) if reply.status >= 500 && failed < error_retries => {
                    let wait = self.target.server_error_backoff.saturating_mul(1 << failed);
                    failed += 1;
                    tokio::time::sleep(wait).await;
                }
                Err(TransportError::Url(u)) => return Err(TransportError::Url(u)),
                Err(_) if failed < error_retries => {
                    let wait = self.target.server_error_backoff.saturating_mul(1 << failed);
                    failed += 1;
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    async fn attempt(
        &self,
        method: &reqwest::Method,
        kind: RequestKind,
        path_and_query: &str,
        body: Option<&Value>,
    ) -> (Result<Reply, TransportError>, Option<String>) {
        self.pace().await;
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let url = self.url(path_and_query);
        let mut headers: Vec<(String, String)> = vec![(
            "authorization".to_owned(),
            format!("Bearer {}", self.target.token),
        )];
        headers.extend(
            self.persona
                .headers(kind)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let full = self.target.transcript == TranscriptDetail::Full;
        let mut exchange = Exchange {
            seq,
            persona: self.persona.to_string(),
            method: method.to_string(),
            url: url.clone(),
            request_headers: if full {
                headers
                    .iter()
                    .map(|(k, v)| {
                        let v = if k == "authorization" {
                            "Bearer [redacted]".to_owned()
                        } else {
                            v.clone()
                        };
                        (k.clone(), v)
                    })
                    .collect()
            } else {
                Vec::new()
            },
            request_body: body.filter(|_| full).map(redact_body),
            status: None,
            response_headers: Vec::new(),
            response_json: None,
            response_text: None,
            elapsed_ms: 0,
            error: None,
        };
        let started = Instant::now();
        let parsed = match reqwest::Url::parse(&url) {
            Ok(u) => u,
            Err(e) => {
                exchange.error = Some(format!("invalid url: {e}"));
                self.record(exchange);
                return (Err(TransportError::Url(url)), None);
            }
        };
        let mut req = self.client.request(method.clone(), parsed);
        for (k, v) in &headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if let Some(b) = body {
            req = req.body(serde_json::to_vec(b).unwrap_or_default());
        }
        let limit = self.target.max_response_bytes;
        let timeout = self.target.timeout;
        let outcome = tokio::time::timeout(timeout, async move {
            let mut resp = req
                .send()
                .await
                .map_err(|e| TransportError::Io(error_chain(&e)))?;
            let status = resp.status().as_u16();
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
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
            Ok((status, headers, bytes))
        })
        .await
        .unwrap_or(Err(TransportError::Timeout(timeout)));
        exchange.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (result, retry_after) = match outcome {
            Ok((status, headers, bytes)) => {
                let retry_after = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                    .map(|(_, v)| v.clone());
                let json: Option<Value> = serde_json::from_slice(&bytes).ok();
                if full && json.is_none() && !bytes.is_empty() {
                    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(TEXT_LIMIT)]);
                    exchange.response_text = Some(text.into_owned());
                }
                exchange.status = Some(status);
                if full {
                    exchange.response_headers = headers;
                    exchange.response_json = json.clone();
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
        self.record(exchange);
        (result, retry_after)
    }
}

/// Okta sends a `password` on create (okta-scim.md §3); it is random, but the
/// transcript still redacts it.
fn redact_body(body: &Value) -> Value {
    let mut body = body.clone();
    if let Value::Object(map) = &mut body {
        if let Some(p) = map.get_mut("password") {
            *p = Value::String("[redacted]".to_owned());
        }
    }
    body
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
