//! insta snapshots of one Entra and one Okta Response with a fixed clock and ids; signature and digest values redacted.

use saml::{sign_response, IdpStyle};

use crate::*;

/// One element per line, SignatureValue / DigestValue / X509Certificate text redacted.
fn readable(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len() + 512);
    let mut rest = xml;
    // Redact the text of the three elements whatever their prefix.
    let mut redacted = String::with_capacity(xml.len());
    while let Some(start) = rest.find('<') {
        redacted.push_str(&rest[..start]);
        let end = rest[start..]
            .find('>')
            .map(|e| start + e + 1)
            .unwrap_or(rest.len());
        let tag = &rest[start..end];
        redacted.push_str(tag);
        rest = &rest[end..];
        let name = tag.trim_start_matches('<').trim_end_matches('>');
        let local = name.split_whitespace().next().unwrap_or("");
        let local = local.rsplit(':').next().unwrap_or(local);
        if !tag.starts_with("</")
            && !tag.ends_with("/>")
            && matches!(local, "SignatureValue" | "DigestValue" | "X509Certificate")
        {
            let close = rest.find('<').unwrap_or(rest.len());
            redacted.push_str(&format!("[{local}]"));
            rest = &rest[close..];
        }
    }
    redacted.push_str(rest);
    // One tag per line.
    for (i, piece) in redacted.split("><").enumerate() {
        if i > 0 {
            out.push_str(">\n<");
        }
        out.push_str(piece);
    }
    out
}

#[test]
fn entra_response() {
    let style = IdpStyle::Entra;
    let xml = sign_response(&spec(style, Some(REQUEST_ID)), &persona_keys(style)).unwrap();
    insta::assert_snapshot!(readable(&xml));
}

#[test]
fn okta_response() {
    let style = IdpStyle::Okta;
    let xml = sign_response(&spec(style, Some(REQUEST_ID)), &persona_keys(style)).unwrap();
    insta::assert_snapshot!(readable(&xml));
}
