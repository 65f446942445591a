//! SAML Bindings: HTTP-Redirect (§3.4: raw DEFLATE, base64 and a URL query, SigAlg and
//! Signature carried through) and HTTP-POST (§3.5: a base64 form field and the
//! auto-submitting form a browser posts).
//!
//! Encoding and decoding only: no network IO. The IdP, the reference target and the
//! runner all go through here, so the three agree on every byte.

use std::io::{Read as _, Write as _};

use base64::Engine as _;

use crate::xml::attr_escaped;

/// The largest message the decoders inflate; past it the message is refused, so a
/// small DEFLATE bomb cannot take memory.
pub const MAX_INFLATED_BYTES: usize = 1024 * 1024;

/// The HTTP-POST binding's URN (SAML Bindings §3.5.1), as metadata and AuthnRequests name it.
pub const HTTP_POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// Which protocol message a binding carries: it names the query parameter or form field
/// (SAML Bindings §3.4.4.1, §3.5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// `SAMLRequest`: an AuthnRequest (or another request).
    Request,
    /// `SAMLResponse`: a Response.
    Response,
}

impl MessageKind {
    /// The parameter or form field name.
    pub fn field(self) -> &'static str {
        match self {
            MessageKind::Request => "SAMLRequest",
            MessageKind::Response => "SAMLResponse",
        }
    }
}

/// Why a bound message could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    #[error("carries no SAMLRequest or SAMLResponse")]
    NoMessage,
    #[error("carries both SAMLRequest and SAMLResponse")]
    TwoMessages,
    #[error("base64: {0}")]
    Base64(String),
    #[error("not xml: {0}")]
    NotXml(String),
    #[error("inflated message larger than {MAX_INFLATED_BYTES} bytes")]
    TooLarge,
    #[error("deflating: {0}")]
    Deflate(String),
    /// SAML Bindings §3.4.4.1: `Signature` and `SigAlg` come together.
    #[error("Signature without SigAlg, or SigAlg without Signature")]
    HalfSignature,
}

/// The `SigAlg` and `Signature` parameters of a signed HTTP-Redirect message
/// (SAML Bindings §3.4.4.1), as sent: the algorithm URI and the base64 signature value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectSignature {
    pub sig_alg: String,
    pub signature: String,
}

/// A message in the HTTP-Redirect binding (SAML Bindings §3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub kind: MessageKind,
    pub xml: String,
    pub relay_state: Option<String>,
    /// Carried through when present; this module neither signs nor verifies.
    pub signature: Option<RedirectSignature>,
}

impl Redirect {
    /// An unsigned AuthnRequest with its RelayState.
    pub fn request(xml: impl Into<String>, relay_state: Option<String>) -> Redirect {
        Redirect {
            kind: MessageKind::Request,
            xml: xml.into(),
            relay_state,
            signature: None,
        }
    }

    /// The URL that carries the message to `endpoint` (SAML Bindings §3.4.4.1): DEFLATE
    /// (RFC 1951, no zlib header), base64, URL-encoded; then `RelayState`, then `SigAlg`
    /// and `Signature` if present, in the order the signature covers them. `endpoint`
    /// keeps a query of its own.
    pub fn to_url(&self, endpoint: &str) -> Result<String, BindingError> {
        let mut deflater =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        let compressed = deflater
            .write_all(self.xml.as_bytes())
            .and_then(|()| deflater.finish())
            .map_err(|e| BindingError::Deflate(e.to_string()))?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(compressed);
        let separator = if endpoint.contains('?') { '&' } else { '?' };
        let mut url = format!(
            "{endpoint}{separator}{}={}",
            self.kind.field(),
            percent_encode(&encoded)
        );
        if let Some(r) = &self.relay_state {
            url.push_str(&format!("&RelayState={}", percent_encode(r)));
        }
        if let Some(s) = &self.signature {
            url.push_str(&format!(
                "&SigAlg={}&Signature={}",
                percent_encode(&s.sig_alg),
                percent_encode(&s.signature)
            ));
        }
        Ok(url)
    }

    /// Reads the message a redirect URL carries: the first `SAMLRequest` or
    /// `SAMLResponse`, its `RelayState`, `SigAlg` and `Signature`.
    ///
    /// The value is base64 of raw DEFLATE (§3.4.4.1); a value that does not inflate but is
    /// itself XML is accepted too, as some SPs skip the compression.
    pub fn from_url(url: &str) -> Result<Redirect, BindingError> {
        let query = url.split_once('?').map_or("", |(_, q)| q);
        let query = query.split('#').next().unwrap_or_default();
        let param = |name: &str| {
            query
                .split('&')
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| *k == name)
                .map(|(_, v)| percent_decode(v))
        };
        let (kind, value) = match (param("SAMLRequest"), param("SAMLResponse")) {
            (Some(v), None) => (MessageKind::Request, v),
            (None, Some(v)) => (MessageKind::Response, v),
            (None, None) => return Err(BindingError::NoMessage),
            (Some(_), Some(_)) => return Err(BindingError::TwoMessages),
        };
        let signature = match (param("SigAlg"), param("Signature")) {
            (Some(sig_alg), Some(signature)) => Some(RedirectSignature { sig_alg, signature }),
            (None, None) => None,
            _ => return Err(BindingError::HalfSignature),
        };
        Ok(Redirect {
            kind,
            xml: inflate(&value)?,
            relay_state: param("RelayState"),
            signature,
        })
    }
}

/// What a signed redirect's signature covers (SAML Bindings §3.4.4.1): the message,
/// `RelayState` if present and `SigAlg`, as they appear in `url` (still URL-encoded),
/// joined by `&`. `None` when the URL carries no message or no `SigAlg`.
pub fn redirect_signed_octets(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    let raw = |name: &str| {
        query
            .split('&')
            .find(|p| p.split_once('=').is_some_and(|(k, _)| k == name))
    };
    let message = raw("SAMLRequest").or_else(|| raw("SAMLResponse"))?;
    let sig_alg = raw("SigAlg")?;
    let mut octets = message.to_owned();
    if let Some(r) = raw("RelayState") {
        octets.push('&');
        octets.push_str(r);
    }
    octets.push('&');
    octets.push_str(sig_alg);
    Some(octets)
}

/// A message in the HTTP-POST binding (SAML Bindings §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    pub kind: MessageKind,
    pub xml: String,
    pub relay_state: Option<String>,
}

impl Post {
    /// A Response with its RelayState.
    pub fn response(xml: impl Into<String>, relay_state: Option<String>) -> Post {
        Post {
            kind: MessageKind::Response,
            xml: xml.into(),
            relay_state,
        }
    }

    /// The form fields in posting order (SAML Bindings §3.5.4): the message in base64
    /// (not DEFLATE-compressed), then `RelayState` if present.
    pub fn form_fields(&self) -> Vec<(String, String)> {
        let mut fields = vec![(
            self.kind.field().to_owned(),
            base64::engine::general_purpose::STANDARD.encode(self.xml.as_bytes()),
        )];
        if let Some(r) = &self.relay_state {
            fields.push(("RelayState".to_owned(), r.clone()));
        }
        fields
    }

    /// The HTML page that posts the message to `action` (SAML Bindings §3.5.4): submitted
    /// on load by script, and by a Continue button when script is off.
    pub fn auto_submit_form(&self, action: &str) -> String {
        let mut html = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Signing in</title></head>\
<body onload=\"document.forms[0].submit()\">\n<form method=\"post\" action=\"{}\">\n",
            attr_escaped(action)
        );
        for (name, value) in self.form_fields() {
            html.push_str(&format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\"/>\n",
                attr_escaped(&name),
                attr_escaped(&value)
            ));
        }
        html.push_str(
            "<noscript><p>Script is off: press Continue to finish signing in.</p>\
<input type=\"submit\" value=\"Continue\"/></noscript>\n</form></body></html>\n",
        );
        html
    }

    /// Reads posted form fields (already form-decoded): the first `SAMLRequest` or
    /// `SAMLResponse`, base64-decoded, and `RelayState`.
    pub fn from_form_fields<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Post, BindingError> {
        let mut message: Option<(MessageKind, &str)> = None;
        let mut relay_state = None;
        for (name, value) in fields {
            let kind = match name {
                "SAMLRequest" => MessageKind::Request,
                "SAMLResponse" => MessageKind::Response,
                "RelayState" => {
                    relay_state.get_or_insert_with(|| value.to_owned());
                    continue;
                }
                _ => continue,
            };
            match message {
                None => message = Some((kind, value)),
                Some((k, _)) if k != kind => return Err(BindingError::TwoMessages),
                Some(_) => {}
            }
        }
        let (kind, value) = message.ok_or(BindingError::NoMessage)?;
        let bytes = base64_decode(value)?;
        let xml = String::from_utf8(bytes).map_err(|e| BindingError::NotXml(e.to_string()))?;
        Ok(Post {
            kind,
            xml,
            relay_state,
        })
    }
}

fn base64_decode(value: &str) -> Result<Vec<u8>, BindingError> {
    base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|e| BindingError::Base64(e.to_string()))
}

/// base64, then raw DEFLATE (SAML Bindings §3.4.4.1), at most [`MAX_INFLATED_BYTES`];
/// bytes that do not inflate are taken as they are when they are XML.
fn inflate(value: &str) -> Result<String, BindingError> {
    let bytes = base64_decode(value)?;
    let mut out = Vec::new();
    let limit = u64::try_from(MAX_INFLATED_BYTES).unwrap_or(u64::MAX) + 1;
    let inflated = flate2::read::DeflateDecoder::new(&bytes[..])
        .take(limit)
        .read_to_end(&mut out);
    if inflated.is_ok() {
        if out.len() > MAX_INFLATED_BYTES {
            return Err(BindingError::TooLarge);
        }
        if let Ok(text) = String::from_utf8(out) {
            if text.contains('<') {
                return Ok(text);
            }
        }
    }
    let text = String::from_utf8(bytes).map_err(|e| BindingError::NotXml(e.to_string()))?;
    if !text.trim_start().starts_with('<') {
        return Err(BindingError::NotXml(
            "neither DEFLATE-compressed nor plain xml".to_owned(),
        ));
    }
    Ok(text)
}

/// Percent-encodes everything but RFC 3986 §2.3's unreserved characters, uppercase hex
/// (what SAML Bindings §3.4.4.1 calls URL-encoding).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3 / 2);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` and `+` (a space, as in a form) in a query value; a `%` not followed by
/// two hex digits stays as it is.
pub fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
