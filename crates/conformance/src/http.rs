//! The harness's own HTTP client (observers, config, login): per-request timeout, bounded
//! bodies, and a redacted [`idp::Exchange`] for every request.

use std::time::{Duration, Instant};

use saml::binding::percent_encode;
use serde_json::Value;

/// The largest response body an observer reads.
const MAX_BODY: usize = 4 * 1024 * 1024;
/// Text bodies kept in the transcript.
const TEXT_LIMIT: usize = 64 * 1024;

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    None,
    Json(Value),
    /// `application/x-www-form-urlencoded`; `shown` is what the transcript records.
    Form {
        pairs: Vec<(String, String)>,
        shown: String,
    },
}

/// One request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: reqwest::Method,
    pub url: String,
    /// Send the profile's credential (`[scim] token` or `auth`).
    pub bearer: bool,
    /// A `Cookie` header value.
    pub cookies: Option<String>,
    pub body: Body,
    /// Further headers; one named like a default (`content-type`, `accept`) replaces it.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn get(url: String) -> Request {
        Request {
            method: reqwest::Method::GET,
            url,
            bearer: true,
            cookies: None,
            body: Body::None,
            headers: Vec::new(),
        }
    }
}

/// A response that arrived in full.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub json: Option<Value>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every `Set-Cookie` as (name, value).
    pub fn set_cookies(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| {
                let pair = v.split(';').next()?;
                let (n, v) = pair.split_once('=')?;
                Some((n.trim().to_owned(), v.trim().to_owned()))
            })
            .collect()
    }
}

/// The harness's client: one per run, shared by every case.
#[derive(Clone)]
pub(crate) struct Client {
    client: reqwest::Client,
    credential: idp::Credential,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Client {
    /// Requests through `connector`'s client (its trust, client identity and proxies).
    pub fn new(
        credential: idp::Credential,
        connector: &idp::Connector,
        timeout: Duration,
    ) -> Client {
        Client {
            client: connector.client().clone(),
            credential,
            timeout,
        }
    }

    /// Send one request within the timeout; the exchange is always returned.
    pub async fn send(&self, req: &Request) -> (idp::Exchange, Result<Answer, String>) {
        let headers = self.headers(req);
        let mut exchange = sent(req, &headers, &self.credential);
        let started = Instant::now();
        let outcome = self.transfer(req, &headers).await;
        exchange.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok((status, headers, bytes)) => {
                let answer = answered(&mut exchange, status, headers, &bytes);
                (exchange, Ok(answer))
            }
            Err(e) => {
                exchange.error = Some(e.clone());
                (exchange, Err(e))
            }
        }
    }

    /// The request's headers in sending order: credentials, content type, `accept`, then
    /// the request's own (which replace any of the same name).
    fn headers(&self, req: &Request) -> Vec<(String, String)> {
        let mut headers: Vec<(String, String)> = Vec::new();
        if req.bearer {
            if let Ok((name, value)) = self.credential.header() {
                headers.push((
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                ));
            }
        }
        if let Some(c) = &req.cookies {
            headers.push(("cookie".into(), c.clone()));
        }
        match &req.body {
            Body::Json(_) => headers.push(("content-type".into(), "application/json".into())),
            Body::Form { .. } => headers.push((
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )),
            Body::None => {}
        }
        headers.push(("accept".into(), "application/json".into()));
        for (k, v) in &req.headers {
            let k = k.to_ascii_lowercase();
            headers.retain(|(name, _)| *name != k);
            headers.push((k, v.clone()));
        }
        headers
    }

    /// Send and read the whole answer (status, headers, body) within the timeout.
    async fn transfer(
        &self,
        req: &Request,
        headers: &[(String, String)],
    ) -> Result<(u16, Vec<(String, String)>, Vec<u8>), String> {
        let mut builder = self.client.request(req.method.clone(), &req.url);
        for (k, v) in headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        builder = match &req.body {
            Body::None => builder,
            Body::Json(v) => builder.body(serde_json::to_vec(v).unwrap_or_default()),
            Body::Form { pairs, .. } => builder.body(form_encode(pairs)),
        };
        tokio::time::timeout(self.timeout, async move {
            let mut resp = builder.send().await.map_err(|e| idp::error_chain(&e))?;
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
            let mut bytes = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| idp::error_chain(&e))? {
                if bytes.len() + chunk.len() > MAX_BODY {
                    return Err(format!("response body larger than {MAX_BODY} bytes"));
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok((status, headers, bytes))
        })
        .await
        .unwrap_or_else(|_| Err(format!("no response within {:?}", self.timeout)))
    }
}

/// The exchange as sent, secrets redacted; the answer is filled in later.
fn sent(
    req: &Request,
    headers: &[(String, String)],
    credential: &idp::Credential,
) -> idp::Exchange {
    let (credential_name, credential_shown) = credential.redacted();
    let redacted = headers
        .iter()
        .map(|(k, v)| {
            let v = match k.as_str() {
                // The scheme stays readable (a request the profile sends as the server
                // admin shows `Basic`, not the run's `Bearer`); the secret never does.
                "authorization" | "proxy-authorization" => match v.split_once(' ') {
                    Some((scheme, _)) => format!("{scheme} [redacted]"),
                    None => "[redacted]".to_owned(),
                },
                k if k == credential_name => credential_shown.clone(),
                "cookie" => redact_cookies(v),
                _ => v.clone(),
            };
            (k.clone(), v)
        })
        .collect();
    let body = match &req.body {
        Body::None => None,
        Body::Json(v) => Some(v.into()),
        Body::Form { shown, .. } => Some(Value::String(shown.clone()).into()),
    };
    idp::Exchange::unanswered(
        "harness".into(),
        req.method.to_string(),
        req.url.clone(),
        redacted,
        body,
    )
}

/// Fill the exchange with the answer (cookies redacted) and return the answer.
fn answered(
    exchange: &mut idp::Exchange,
    status: u16,
    headers: Vec<(String, String)>,
    bytes: &[u8],
) -> Answer {
    let json: Option<Value> = serde_json::from_slice(bytes).ok();
    exchange.status = Some(status);
    exchange.response_headers = headers
        .iter()
        .map(|(k, v)| {
            let v = if k.eq_ignore_ascii_case("set-cookie") {
                redact_set_cookie(v)
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    exchange.response_json = json.as_ref().map(|j| idp::JsonText::of_body(bytes, j));
    if json.is_none() && !bytes.is_empty() {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(TEXT_LIMIT)]).into_owned();
        exchange.response_text = Some(text);
    }
    Answer {
        status,
        headers,
        json,
    }
}

/// `a=1; b=2` → `a=[redacted]; b=[redacted]`.
fn redact_cookies(v: &str) -> String {
    v.split(';')
        .map(|p| match p.trim().split_once('=') {
            Some((n, _)) => format!("{n}=[redacted]"),
            None => p.trim().to_owned(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `name=value; Path=/` → `name=[redacted]; Path=/`.
fn redact_set_cookie(v: &str) -> String {
    let mut parts = v.splitn(2, ';');
    let first = parts.next().unwrap_or("");
    let rest = parts.next();
    let first = match first.split_once('=') {
        Some((n, _)) => format!("{n}=[redacted]"),
        None => first.to_owned(),
    };
    match rest {
        Some(r) => format!("{first};{r}"),
        None => first,
    }
}

/// `application/x-www-form-urlencoded` (WHATWG URL §5.2).
pub(crate) fn form_encode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The transcript shows the credential's header redacted, whatever its kind.
    #[test]
    fn every_credential_kind_is_redacted_in_the_exchange() {
        let connector = idp::Connector::new(&idp::TlsFiles::default(), Duration::from_secs(1))
            .expect("a default client");
        for (credential, name, shown) in [
            (
                idp::Credential::Bearer("tok3n".into()),
                "authorization",
                "Bearer [redacted]",
            ),
            (
                idp::Credential::Basic {
                    user: "admin".into(),
                    password: "tok3n".into(),
                },
                "authorization",
                "Basic [redacted]",
            ),
            (
                idp::Credential::Header {
                    name: "X-Api-Key".into(),
                    value: "tok3n".into(),
                },
                "x-api-key",
                "[redacted]",
            ),
        ] {
            let client = Client::new(credential.clone(), &connector, Duration::from_secs(1));
            let req = Request::get("http://127.0.0.1:1/x".into());
            let headers = client.headers(&req);
            assert!(headers
                .iter()
                .any(|(k, v)| k == name && v.contains("tok3n") || v.starts_with("Basic ")));
            let exchange = sent(&req, &headers, &credential);
            let text = serde_json::to_string(&exchange).expect("json");
            assert!(
                !text.contains("tok3n") && !text.contains("YWRtaW46"),
                "{text}"
            );
            assert!(
                exchange
                    .request_headers
                    .iter()
                    .any(|(k, v)| k == name && v == shown),
                "{:?}",
                exchange.request_headers
            );
        }
    }
}
