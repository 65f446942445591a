//! The HTTP/1.1 client for `http://` targets: hyper's connection API over keep-alive TCP
//! connections of our own, each polled by the task that sends on it.
//!
//! reqwest (kept for `https://` targets) parses each URL again, rebuilds its header map,
//! and hands every request to a separate connection task; on a loopback target that
//! bookkeeping costs more CPU than the request itself. Here a request takes an idle
//! connection (or opens one), and the same future writes the request, polls the
//! connection and reads the answer; a connection whose exchange completed goes back to
//! the pool. Timeouts stay with the caller: dropping the future drops the connection.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper::header::{HeaderValue, CONTENT_LENGTH};
use hyper::{HeaderMap, Request};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::{error_chain, TransportError};

type Body = Full<Bytes>;

/// Where an `http://` target listens, and its idle connections.
#[derive(Clone)]
pub(crate) struct PlainHttp {
    shared: Arc<Shared>,
}

struct Shared {
    /// Host as `TcpStream::connect` takes it (an IPv6 address without brackets).
    host: String,
    port: u16,
    /// `host:port`, for error messages.
    authority: String,
    /// The `Host` header, as hyper-util writes it: the port only when not 80.
    host_header: HeaderValue,
    idle: Mutex<Vec<Conn>>,
    /// Idle connections kept at most (one per concurrency slot).
    max_idle: usize,
}

/// One keep-alive connection: the handle requests go in by and the connection itself,
/// polled only while a request of ours is on it.
struct Conn {
    sender: SendRequest<Body>,
    driver: Connection<TokioIo<TcpStream>, Body>,
    /// Set once the connection has ended (closed by the peer or failed).
    ended: bool,
}

/// A response read in full: status, headers, body.
pub(crate) type Answer = (u16, HeaderMap, Vec<u8>);

impl PlainHttp {
    /// `None` unless `base` is a plain `http://` URL with a host and no credentials.
    pub(crate) fn new(base: &reqwest::Url, max_idle: usize) -> Option<PlainHttp> {
        if base.scheme() != "http" || !base.username().is_empty() || base.password().is_some() {
            return None;
        }
        let host_str = base.host_str()?;
        let port = base.port_or_known_default()?;
        let host_header = match base.port() {
            Some(p) => format!("{host_str}:{p}"),
            None => host_str.to_owned(),
        };
        Some(PlainHttp {
            shared: Arc::new(Shared {
                host: host_str
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned(),
                port,
                authority: format!("{host_str}:{port}"),
                host_header: HeaderValue::try_from(host_header).ok()?,
                idle: Mutex::new(Vec::new()),
                max_idle: max_idle.max(1),
            }),
        })
    }

    /// The `Host` header value for every request.
    pub(crate) fn host_header(&self) -> &HeaderValue {
        &self.shared.host_header
    }

    /// Send `request` (origin-form URI, headers complete) and read the answer, at most
    /// `limit` body bytes. `url` names the request in error messages.
    pub(crate) async fn exchange(
        &self,
        mut request: Request<Body>,
        limit: usize,
        url: &str,
    ) -> Result<Answer, TransportError> {
        loop {
            let (mut conn, reused) = match self.take_idle() {
                Some(c) => (c, true),
                None => (self.connect().await?, false),
            };
            let ready = drive(&mut conn.driver, &mut conn.ended, conn.sender.ready()).await;
            if let Err(e) = ready {
                if reused {
                    // Closed while idle; nothing was sent on it.
                    continue;
                }
                return Err(io(format!(
                    "connecting to {}: {}",
                    self.shared.authority,
                    error_chain(&e)
                )));
            }
            let sent = conn.sender.try_send_request(request);
            let response = match drive(&mut conn.driver, &mut conn.ended, sent).await {
                Ok(r) => r,
                Err(mut e) => match e.take_message() {
                    // Refused before a byte of it was written (the peer closed the idle
                    // connection): send it on another one.
                    Some(unsent) if reused => {
                        request = unsent;
                        continue;
                    }
                    _ => {
                        return Err(io(format!(
                            "sending request to {url}: {}",
                            error_chain(&e.into_error())
                        )))
                    }
                },
            };
            let (parts, mut body) = response.into_parts();
            let declared = parts
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > limit as u64) {
                return Err(TransportError::BodyTooLarge(limit));
            }
            let capacity = declared.map_or(0, |n| usize::try_from(n).unwrap_or(limit));
            let mut bytes = Vec::with_capacity(capacity.min(limit));
            loop {
                match drive(&mut conn.driver, &mut conn.ended, body.frame()).await {
                    None => break,
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            if bytes.len() + data.len() > limit {
                                return Err(TransportError::BodyTooLarge(limit));
                            }
                            bytes.extend_from_slice(&data);
                        }
                    }
                    Some(Err(e)) => {
                        return Err(io(format!(
                            "reading the response body from {url}: {}",
                            error_chain(&e)
                        )))
                    }
                }
            }
            self.put_back(conn);
            return Ok((parts.status.as_u16(), parts.headers, bytes));
        }
    }

    /// A pooled connection that may still be open.
    fn take_idle(&self) -> Option<Conn> {
        let mut idle = self
            .shared
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while let Some(conn) = idle.pop() {
            if !conn.ended && !conn.sender.is_closed() {
                return Some(conn);
            }
        }
        None
    }

    fn put_back(&self, conn: Conn) {
        if conn.ended || conn.sender.is_closed() {
            return;
        }
        let mut idle = self
            .shared
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.shared.max_idle {
            idle.push(conn);
        }
    }

    async fn connect(&self) -> Result<Conn, TransportError> {
        let s = &self.shared;
        let failed = |e: &dyn std::error::Error| {
            io(format!("connecting to {}: {}", s.authority, error_chain(e)))
        };
        let stream = TcpStream::connect((s.host.as_str(), s.port))
            .await
            .map_err(|e| failed(&e))?;
        stream.set_nodelay(true).map_err(|e| failed(&e))?;
        let (sender, driver) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| failed(&e))?;
        Ok(Conn {
            sender,
            driver,
            ended: false,
        })
    }
}

/// Poll `work` and, until it has ended, the connection it needs; the connection makes
/// progress only while one of its requests is being awaited.
async fn drive<F: Future>(
    driver: &mut Connection<TokioIo<TcpStream>, Body>,
    ended: &mut bool,
    work: F,
) -> F::Output {
    let mut work = pin!(work);
    poll_fn(|cx| {
        if let Poll::Ready(out) = work.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        if *ended {
            return Poll::Pending;
        }
        if Pin::new(&mut *driver).poll(cx).is_ready() {
            // The connection is gone; its error (if any) reaches `work`, which now
            // completes.
            *ended = true;
        }
        // What the connection just did (became ready for a request, wrote it, read the
        // answer) usually completes `work`: poll it again rather than wait for the
        // wake-up the connection just sent to this same task.
        work.as_mut().poll(cx)
    })
    .await
}

fn io(message: String) -> TransportError {
    TransportError::Io(message)
}
