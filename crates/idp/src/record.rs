//! A recording reverse proxy (`scim-harness record`): a vendor puts it between a real IdP
//! and their SCIM endpoint; each request passes through unchanged and every exchange
//! goes to a [`TranscriptSink`] in the form `idp sync --transcript` writes, secrets
//! redacted.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use hyper::body::Frame;
#[cfg(test)]
use reqwest::header::HeaderValue;
use reqwest::header::{HeaderMap, HeaderName};

use crate::transport::{error_chain, Connector, Exchange, JsonText, TranscriptSink};

/// The largest body kept in the transcript, as the sync engine's response limit: a
/// larger one is passed through as it streams and noted, never held whole.
pub const RECORD_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// How an exchange's `error` note begins when the request had a body the transcript does
/// not hold (over the limit, or not JSON): a replay cannot send it again.
pub const REQUEST_BODY_NOT_RECORDED: &str = "request body not recorded";

/// The non-JSON response text a transcript keeps, as the sync engine does.
const TEXT_LIMIT: usize = 64 * 1024;

/// What the proxy forwards to and how.
#[derive(Debug, Clone)]
pub struct RecordConfig {
    /// The upstream base URL; each request's path and query are appended to it.
    pub upstream: String,
    /// The client (trust, client identity) for the upstream.
    pub connector: Connector,
    /// Budget for one upstream exchange, from sending to the answer's headers.
    pub timeout: Duration,
    /// The largest body recorded ([`RECORD_BODY_LIMIT`]).
    pub max_body_bytes: usize,
    /// The transcript's `persona` field for recorded exchanges.
    pub persona: String,
}

/// Shared by every request the proxy handles: the config, and the sink with the next
/// sequence number (exchanges are numbered as they complete).
struct Proxy<S> {
    config: RecordConfig,
    sink: Mutex<(u64, Option<S>)>,
}

/// A listening socket bound for [`record`].
#[derive(Debug)]
pub struct Bound {
    listener: tokio::net::TcpListener,
    /// The address it listens on (port 0 resolved).
    pub addr: SocketAddr,
}

/// Binds `addr` (port 0: a free port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<Bound> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    Ok(Bound { listener, addr })
}

/// Serves the proxy on `bound` until `shutdown` resolves and the open exchanges finish;
/// hands back the sink (for the caller to flush).
pub async fn record<S: TranscriptSink + 'static>(
    bound: Bound,
    config: RecordConfig,
    sink: S,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<S> {
    let proxy = Arc::new(Proxy {
        config,
        sink: Mutex::new((0, Some(sink))),
    });
    let app = axum::Router::new()
        .fallback(forward::<S>)
        .with_state(Arc::clone(&proxy));
    axum::serve(bound.listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    let sink = proxy
        .sink
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .1
        .take();
    sink.ok_or_else(|| std::io::Error::other("the transcript sink was already taken"))
}

/// Headers that describe one connection (RFC 9110 §7.6.1) and are not forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Whether `name` is passed on: not hop-by-hop, not named by `Connection`, and not
/// `Host` or `Content-Length` (the client sets both for the upstream).
fn forwarded(name: &HeaderName, connection: &[String]) -> bool {
    let n = name.as_str();
    !HOP_BY_HOP.contains(&n)
        && n != "host"
        && n != "content-length"
        && !connection.iter().any(|c| c == n)
}

/// The header value a transcript shows: credentials and cookies redacted as the sync
/// engine redacts its own credential (`Bearer [redacted]`), the scheme kept.
pub fn redact_header(name: &str, value: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n == "authorization" || n == "proxy-authorization" {
        return match value.split_once(' ') {
            Some((scheme, _)) => format!("{scheme} [redacted]"),
            None => "[redacted]".to_owned(),
        };
    }
    let secret = ["cookie", "token", "secret", "password", "api-key", "apikey"]
        .iter()
        .any(|s| n.contains(s));
    if secret {
        "[redacted]".to_owned()
    } else {
        value.to_owned()
    }
}

/// The secrets a request's redacted headers carried (the credential after its scheme, a
/// cookie's value), those of 8 characters or more: an answer that echoes one (a header,
/// a body) has it redacted too.
fn secrets(headers: &HeaderMap) -> Vec<String> {
    let mut out = Vec::new();
    for (name, value) in headers {
        let text = String::from_utf8_lossy(value.as_bytes());
        if redact_header(name.as_str(), &text) == text {
            continue;
        }
        let secret = match text.split_once(' ') {
            Some((_, s)) if name == reqwest::header::AUTHORIZATION => s.trim(),
            _ => text.trim(),
        };
        if secret.len() >= 8 {
            out.push(secret.to_owned());
        }
    }
    out
}

/// `text` with each secret replaced by `[redacted]`.
fn scrub(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_owned(), |t, s| t.replace(s.as_str(), "[redacted]"))
}

/// A recorded JSON body with any secret in it redacted; `None` if that broke the JSON
/// (a secret the JSON escapes differently), so the body is not recorded.
fn scrub_json(body: JsonText, secrets: &[String]) -> Option<JsonText> {
    if !secrets.iter().any(|s| body.as_str().contains(s.as_str())) {
        return Some(body);
    }
    let text = scrub(body.as_str(), secrets);
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(JsonText::of_body(text.as_bytes(), &value))
}

/// The headers to forward, and as the transcript shows them.
fn split_headers(headers: &HeaderMap) -> (HeaderMap, Vec<(String, String)>) {
    let connection: Vec<String> = headers
        .get_all(reqwest::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    let mut out = HeaderMap::new();
    let mut shown = Vec::new();
    for (name, value) in headers {
        if !forwarded(name, &connection) {
            continue;
        }
        out.append(name.clone(), value.clone());
        let text = String::from_utf8_lossy(value.as_bytes());
        shown.push((
            name.as_str().to_owned(),
            redact_header(name.as_str(), &text),
        ));
    }
    (out, shown)
}

/// A body fed from a channel: the rest of a body larger than the record limit, streamed
/// through. (`Sync`, as reqwest's `Body::wrap` asks.)
struct ChannelBody(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.0.poll_recv(cx).map(|c| c.map(|r| r.map(Frame::data)))
    }
}

/// A body read up to `limit`: whole, or (`Over`) what was read and a channel with the
/// rest as it arrives.
enum Read {
    Whole(Bytes),
    Over(ChannelBody),
}

/// Reads the client's request body up to `limit`; past it, streams the rest.
async fn read_request(body: axum::body::Body, limit: usize) -> Result<Read, std::io::Error> {
    let chunks = body
        .into_data_stream()
        .map(|c| c.map_err(std::io::Error::other));
    read_bounded(chunks, limit).await
}

/// Reads the upstream's response body up to `limit`; past it, streams the rest.
async fn read_response(response: reqwest::Response, limit: usize) -> Result<Read, std::io::Error> {
    let chunks = futures_util::stream::unfold(response, |mut r| async move {
        match r.chunk().await {
            Ok(Some(c)) => Some((Ok(c), r)),
            Ok(None) => None,
            Err(e) => Some((Err(std::io::Error::other(error_chain(&e))), r)),
        }
    });
    read_bounded(Box::pin(chunks), limit).await
}

/// Reads `chunks` up to `limit`: whole, or (`Over`) what was read and a channel that a
/// task fills with the rest as it arrives.
async fn read_bounded<S>(mut chunks: S, limit: usize) -> Result<Read, std::io::Error>
where
    S: Stream<Item = Result<Bytes, std::io::Error>> + Send + Unpin + 'static,
{
    let mut buf = BytesMut::new();
    while let Some(chunk) = chunks.next().await {
        buf.extend_from_slice(&chunk?);
        if buf.len() > limit {
            let (tx, rx) = tokio::sync::mpsc::channel(8);
            let first = buf.freeze();
            tokio::spawn(async move {
                if tx.send(Ok(first)).await.is_err() {
                    return;
                }
                while let Some(chunk) = chunks.next().await {
                    if tx.send(chunk).await.is_err() {
                        return;
                    }
                }
            });
            return Ok(Read::Over(ChannelBody(rx)));
        }
    }
    Ok(Read::Whole(buf.freeze()))
}

/// A compressed answer (`Content-Encoding: gzip` or `deflate`) decoded for the
/// transcript, at most `limit` bytes of it; `Ok(None)` when it is not encoded. The client
/// gets the bytes as they came.
fn decoded(encoding: Option<&str>, bytes: &[u8], limit: usize) -> Result<Option<Vec<u8>>, String> {
    use std::io::Read as _;
    let Some(encoding) = encoding.map(|e| e.trim().to_ascii_lowercase()) else {
        return Ok(None);
    };
    let bound = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    let read = match encoding.as_str() {
        "identity" | "" => return Ok(None),
        "gzip" | "x-gzip" => flate2::read::GzDecoder::new(bytes)
            .take(bound)
            .read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(bytes)
            .take(bound)
            .read_to_end(&mut out),
        other => return Err(format!("content-encoding {other} is not decoded")),
    };
    read.map_err(|e| format!("content-encoding {encoding}: {e}"))?;
    if out.len() > limit {
        return Err(format!("over {limit} bytes decoded"));
    }
    Ok(Some(out))
}

/// A body as the transcript keeps it: JSON (a top-level `password` redacted), or `None`.
fn request_json(bytes: &[u8]) -> Option<JsonText> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    Some(if value.get("password").is_some() {
        JsonText::password_redacted(&value)
    } else {
        JsonText::of_body(bytes, &value)
    })
}

/// One request: forward, answer, record.
async fn forward<S: TranscriptSink + 'static>(
    State(proxy): State<Arc<Proxy<S>>>,
    request: axum::extract::Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let config = &proxy.config;
    let url = format!("{}{path}", config.upstream.trim_end_matches('/'));
    let (headers, shown) = split_headers(&parts.headers);
    let secrets = secrets(&parts.headers);
    let mut exchange = Exchange::unanswered(
        config.persona.clone(),
        parts.method.as_str().to_owned(),
        url.clone(),
        shown,
        None,
    );
    let started = Instant::now();
    let mut notes = Vec::new();
    let body = match read_request(body, config.max_body_bytes).await {
        Ok(Read::Whole(bytes)) => {
            exchange.request_body = request_json(&bytes).and_then(|b| scrub_json(b, &secrets));
            if exchange.request_body.is_none() && !bytes.iter().all(u8::is_ascii_whitespace) {
                notes.push(format!("{REQUEST_BODY_NOT_RECORDED}: not JSON"));
            }
            reqwest::Body::from(bytes)
        }
        Ok(Read::Over(rest)) => {
            notes.push(format!(
                "{REQUEST_BODY_NOT_RECORDED}: over {} bytes, passed through",
                config.max_body_bytes
            ));
            reqwest::Body::wrap(rest)
        }
        Err(e) => {
            exchange.error = Some(format!("reading the request body: {e}"));
            return proxy.finish(exchange, started, bad_gateway("reading the request body"));
        }
    };
    let sent = config
        .connector
        .client()
        .request(parts.method.clone(), &url)
        .headers(headers)
        .body(body)
        .timeout(config.timeout)
        .send()
        .await;
    let upstream = match sent {
        Ok(r) => r,
        Err(e) => {
            exchange.error = Some(format!("upstream: {}", error_chain(&e)));
            return proxy.finish(
                exchange,
                started,
                bad_gateway("the upstream did not answer"),
            );
        }
    };
    let status = upstream.status();
    let (response_headers, shown) = split_headers(upstream.headers());
    exchange.status = Some(status.as_u16());
    exchange.response_headers = shown
        .into_iter()
        .map(|(k, v)| (k, scrub(&v, &secrets)))
        .collect();
    let encoding = upstream
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let answer_body = match read_response(upstream, config.max_body_bytes).await {
        Ok(Read::Whole(bytes)) => {
            match decoded(encoding.as_deref(), &bytes, config.max_body_bytes) {
                Ok(plain) => {
                    let plain: &[u8] = plain.as_deref().unwrap_or(&bytes);
                    match serde_json::from_slice::<serde_json::Value>(plain) {
                        Ok(v) => {
                            exchange.response_json =
                                scrub_json(JsonText::of_body(plain, &v), &secrets);
                        }
                        Err(_) if !plain.is_empty() => {
                            let end = plain.len().min(TEXT_LIMIT);
                            exchange.response_text =
                                Some(scrub(&String::from_utf8_lossy(&plain[..end]), &secrets));
                        }
                        Err(_) => {}
                    }
                }
                Err(why) => notes.push(format!("response body not recorded: {why}")),
            }
            axum::body::Body::from(bytes)
        }
        Ok(Read::Over(rest)) => {
            notes.push(format!(
                "response body over {} bytes: passed through, not recorded",
                config.max_body_bytes
            ));
            axum::body::Body::new(rest)
        }
        Err(e) => {
            exchange.status = None;
            exchange.error = Some(format!("upstream body: {}", error_chain(&e)));
            return proxy.finish(
                exchange,
                started,
                bad_gateway("the upstream answer broke off"),
            );
        }
    };
    if !notes.is_empty() {
        exchange.error = Some(notes.join("; "));
    }
    let mut response = Response::new(answer_body);
    *response.status_mut() = status;
    *response.headers_mut() = response_headers;
    proxy.finish(exchange, started, response)
}

/// `502 Bad Gateway` with a short plain-text reason.
fn bad_gateway(why: &'static str) -> Response {
    (reqwest::StatusCode::BAD_GATEWAY, why).into_response()
}

impl<S: TranscriptSink> Proxy<S> {
    /// Number and record `exchange`, then hand back `response`.
    fn finish(&self, mut exchange: Exchange, started: Instant, response: Response) -> Response {
        exchange.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut guard = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        guard.0 += 1;
        exchange.seq = guard.0;
        if let Some(sink) = guard.1.as_mut() {
            sink.exchange(exchange);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upstream that echoes the request body with 201 and says whether a credential
    /// reached it; the proxy in front of it records into a `Vec`.
    #[tokio::test]
    async fn traffic_passes_through_unchanged_and_large_bodies_stream_unrecorded() {
        let upstream = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream_addr = upstream.local_addr().unwrap();
        let echo = axum::Router::new().fallback(|request: axum::extract::Request| async move {
            let auth = request
                .headers()
                .get("authorization")
                .map(|v| v.to_str().unwrap_or("").to_owned())
                .unwrap_or_default();
            let body = axum::body::to_bytes(request.into_body(), usize::MAX)
                .await
                .unwrap();
            (
                reqwest::StatusCode::CREATED,
                [
                    ("x-auth-seen", auth),
                    ("content-type", "application/scim+json".to_owned()),
                ],
                body,
            )
        });
        tokio::spawn(async move { axum::serve(upstream, echo).await });
        let config = RecordConfig {
            upstream: format!("http://{upstream_addr}"),
            connector: Connector::new(&crate::TlsFiles::default(), Duration::from_secs(5)).unwrap(),
            timeout: Duration::from_secs(10),
            max_body_bytes: 1024,
            persona: "record".into(),
        };
        let bound = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let proxy = format!("http://{}", bound.addr);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(record(bound, config, Vec::<Exchange>::new(), async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::new();

        let small = r#"{"userName":"ann","password":"hunter2"}"#;
        let answer = client
            .post(format!("{proxy}/scim/Users?x=1"))
            .bearer_auth("s3cret-token")
            .body(small)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201);
        assert_eq!(answer.headers()["x-auth-seen"], "Bearer s3cret-token");
        assert_eq!(answer.text().await.unwrap(), small);

        let large: String = (0..100_000)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let answer = client
            .put(format!("{proxy}/scim/Users/1"))
            .body(large.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201);
        assert_eq!(answer.text().await.unwrap(), large);

        stop.send(()).unwrap();
        let recorded = server.await.unwrap().unwrap();
        assert_eq!(recorded.len(), 2);
        let first = &recorded[0];
        assert_eq!((first.seq, first.method.as_str()), (1, "POST"));
        assert_eq!(first.url, format!("http://{upstream_addr}/scim/Users?x=1"));
        assert_eq!(
            first.request_header("authorization"),
            Some("Bearer [redacted]")
        );
        assert_eq!(
            first.request_body.as_ref().unwrap().as_str(),
            r#"{"userName":"ann","password":"[redacted]"}"#
        );
        // The echoed body carries the password: the answer is recorded as it came.
        assert_eq!(first.status, Some(201));
        assert_eq!(first.response_json.as_ref().unwrap().as_str(), small);
        // An answer that echoes the credential has it redacted too.
        assert!(first
            .response_headers
            .contains(&("x-auth-seen".to_owned(), "Bearer [redacted]".to_owned())));
        assert!(!crate::exchange_json_line(first).contains("s3cret"));
        let second = &recorded[1];
        assert_eq!(second.request_body, None);
        assert_eq!(second.response_json, None);
        assert_eq!(second.response_text, None);
        assert_eq!(
            second.error.as_deref(),
            Some(
                "request body not recorded: over 1024 bytes, passed through; \
                 response body over 1024 bytes: passed through, not recorded"
            )
        );
    }

    #[test]
    fn credentials_and_cookies_are_redacted_keeping_the_scheme() {
        assert_eq!(
            redact_header("Authorization", "Bearer abc"),
            "Bearer [redacted]"
        );
        assert_eq!(redact_header("authorization", "abc"), "[redacted]");
        assert_eq!(redact_header("cookie", "grafana_session=1"), "[redacted]");
        assert_eq!(redact_header("X-Auth-Token", "t"), "[redacted]");
        assert_eq!(redact_header("x-client-secret", "t"), "[redacted]");
        assert_eq!(redact_header("x-api-key", "t"), "[redacted]");
        assert_eq!(
            redact_header("user-agent", "Okta SCIM Client"),
            "Okta SCIM Client"
        );
    }

    #[test]
    fn a_secret_echoed_in_a_body_is_redacted() {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_static("Bearer s3cret-token"),
        );
        h.insert("cookie", HeaderValue::from_static("short"));
        let secrets = secrets(&h);
        assert_eq!(secrets, ["s3cret-token"]);
        let body = JsonText::from_value(&serde_json::json!({"note": "s3cret-token", "n": 1}));
        assert_eq!(
            scrub_json(body, &secrets).unwrap().as_str(),
            r#"{"note":"[redacted]","n":1}"#
        );
    }

    #[test]
    fn a_compressed_answer_is_recorded_decoded() {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(br#"{"id":"1"}"#).unwrap();
        let body = gz.finish().unwrap();
        assert_eq!(
            decoded(Some("gzip"), &body, 100).unwrap().unwrap(),
            br#"{"id":"1"}"#
        );
        assert_eq!(decoded(None, &body, 100).unwrap(), None);
        assert_eq!(
            decoded(Some("gzip"), &body, 5).unwrap_err(),
            "over 5 bytes decoded"
        );
        assert_eq!(
            decoded(Some("br"), &body, 100).unwrap_err(),
            "content-encoding br is not decoded"
        );
    }

    #[test]
    fn hop_by_hop_and_connection_named_headers_stay_behind() {
        let mut h = HeaderMap::new();
        h.insert("connection", HeaderValue::from_static("close, x-hop"));
        h.insert("x-hop", HeaderValue::from_static("1"));
        h.insert("host", HeaderValue::from_static("proxy"));
        h.insert("content-length", HeaderValue::from_static("2"));
        h.insert("authorization", HeaderValue::from_static("Bearer s3cret"));
        h.insert(
            "content-type",
            HeaderValue::from_static("application/scim+json"),
        );
        let (out, shown) = split_headers(&h);
        let names: Vec<&str> = out.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["authorization", "content-type"]);
        assert_eq!(out["authorization"], "Bearer s3cret");
        assert_eq!(
            shown,
            [
                ("authorization".to_owned(), "Bearer [redacted]".to_owned()),
                (
                    "content-type".to_owned(),
                    "application/scim+json".to_owned()
                )
            ]
        );
    }
}
