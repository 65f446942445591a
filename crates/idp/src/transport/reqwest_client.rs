//! The reqwest client, for `https://` targets and what the plain client cannot send.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::error_chain;
use super::http::{parse_answer, Http, Parsed, Spawned};
use super::TransportError;

impl Http {
    /// Send through reqwest (`https://` targets and the fallbacks of [`Http::plain`]).
    pub(super) async fn reqwest_exchange(
        &self,
        method: &reqwest::Method,
        url: reqwest::Url,
        headers: &'static [(&'static str, &'static str)],
        body: Option<bytes::Bytes>,
        full: bool,
    ) -> Result<Parsed, TransportError> {
        let mut req = self.client.request(method.clone(), url);
        req = match &self.authorization {
            Some((name, value)) => req.header(name.clone(), value.clone()),
            None => {
                let reason = match self.target.credential.header() {
                    Err(e) => e.to_string(),
                    Ok(_) => "the credential is not a valid header".to_owned(),
                };
                return Err(TransportError::Io(format!("not sent: {reason}")));
            }
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
