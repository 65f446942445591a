//! Both bindings round-trip, keep RelayState and signature parameters, and refuse
//! malformed input with an error (never a panic).

use std::io::Write as _;

use base64::Engine as _;
use rstest::rstest;

use super::*;

const REQUEST: &str = "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
ID=\"_0123456789abcdef0123456789abcdef\" Version=\"2.0\"/>";

/// `outcome` is an error of the same kind as `expected` (its detail text aside).
#[track_caller]
fn check_refused<T: std::fmt::Debug>(outcome: Result<T, BindingError>, expected: &BindingError) {
    let err = outcome.unwrap_err();
    assert_eq!(
        std::mem::discriminant(&err),
        std::mem::discriminant(expected),
        "{err}"
    );
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The URL as the reference target wrote it before this module existed: default DEFLATE,
/// standard base64, unreserved characters kept, then RelayState.
fn reference_url(endpoint: &str, xml: &str, relay: &str) -> String {
    let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    d.write_all(xml.as_bytes()).unwrap();
    let encoded = b64(&d.finish().unwrap());
    let sep = if endpoint.contains('?') { '&' } else { '?' };
    format!(
        "{endpoint}{sep}SAMLRequest={}&RelayState={}",
        percent_encode(&encoded),
        percent_encode(relay)
    )
}

#[rstest]
#[case::plain("https://idp.example.test/t/sso")]
#[case::with_query("https://example.okta.com/app/x/sso/saml?fromURI=%2Fhome")]
fn redirect_url_is_what_the_target_wrote(#[case] endpoint: &str) {
    let url = Redirect::request(REQUEST, Some("_relay".into()))
        .to_url(endpoint)
        .unwrap();
    assert_eq!(url, reference_url(endpoint, REQUEST, "_relay"));
}

#[test]
fn redirect_url_is_pinned() {
    let url = Redirect::request("<a/>", Some("r 1".into()))
        .to_url("https://idp.test/sso")
        .unwrap();
    assert_eq!(
        url,
        "https://idp.test/sso?SAMLRequest=s0nUtwMA&RelayState=r%201"
    );
}

#[rstest]
#[case::no_relay(None)]
#[case::relay(Some("/d/abc?x=1&y=a b+c"))]
fn redirect_round_trips(#[case] relay: Option<&str>) {
    let sent = Redirect::request(REQUEST, relay.map(str::to_owned));
    let url = sent.to_url("https://idp.test/sso?tenant=1").unwrap();
    assert_eq!(Redirect::from_url(&url).unwrap(), sent);
}

#[test]
fn redirect_keeps_signature_parameters() {
    let sent = Redirect {
        kind: MessageKind::Response,
        xml: "<samlp:Response/>".into(),
        relay_state: Some("rs".into()),
        signature: Some(RedirectSignature {
            sig_alg: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256".into(),
            signature: "AbC+/=".into(),
        }),
    };
    let url = sent.to_url("https://sp.test/slo").unwrap();
    assert!(url.contains("&SigAlg=http%3A%2F%2Fwww.w3.org"), "{url}");
    assert!(url.ends_with("&Signature=AbC%2B%2F%3D"), "{url}");
    assert_eq!(Redirect::from_url(&url).unwrap(), sent);
    let octets = redirect_signed_octets(&url).unwrap();
    let query = url.split_once('?').unwrap().1;
    assert_eq!(
        octets,
        query.rsplit_once("&Signature=").unwrap().0,
        "message, RelayState and SigAlg as sent"
    );
}

#[test]
fn unsigned_redirect_has_no_signed_octets() {
    let url = Redirect::request(REQUEST, None)
        .to_url("https://idp.test/sso")
        .unwrap();
    assert_eq!(redirect_signed_octets(&url), None);
}

#[test]
fn redirect_takes_an_uncompressed_request() {
    let url = format!(
        "https://idp.test/sso?SAMLRequest={}",
        percent_encode(&b64(REQUEST.as_bytes()))
    );
    assert_eq!(Redirect::from_url(&url).unwrap().xml, REQUEST);
}

#[rstest]
#[case::no_query("https://idp.test/sso", BindingError::NoMessage)]
#[case::no_message("https://idp.test/sso?RelayState=x", BindingError::NoMessage)]
#[case::both(
    "https://idp.test/sso?SAMLRequest=PGEvPg%3D%3D&SAMLResponse=PGEvPg%3D%3D",
    BindingError::TwoMessages
)]
#[case::half_signature(
    "https://idp.test/sso?SAMLRequest=PGEvPg%3D%3D&SigAlg=x",
    BindingError::HalfSignature
)]
#[case::not_base64(
    "https://idp.test/sso?SAMLRequest=%%%",
    BindingError::Base64(String::new())
)]
#[case::empty(
    "https://idp.test/sso?SAMLRequest=",
    BindingError::NotXml(String::new())
)]
#[case::garbage(
    "https://idp.test/sso?SAMLRequest=aGVsbG8gd29ybGQ%3D",
    BindingError::NotXml(String::new())
)]
#[case::binary(
    "https://idp.test/sso?SAMLRequest=%2F%2F79%2FA%3D%3D",
    BindingError::NotXml(String::new())
)]
fn malformed_redirects_are_errors(#[case] url: &str, #[case] expected: BindingError) {
    check_refused(Redirect::from_url(url), &expected);
}

#[test]
fn a_deflate_bomb_is_refused() {
    let big = format!("<a>{}</a>", " ".repeat(MAX_INFLATED_BYTES));
    let url = Redirect::request(big, None)
        .to_url("https://idp.test/sso")
        .unwrap();
    assert_eq!(Redirect::from_url(&url), Err(BindingError::TooLarge));
}

#[test]
fn decoding_never_panics_on_cut_urls() {
    let url = Redirect::request(REQUEST, Some("rs".into()))
        .with_test_signature()
        .to_url("https://idp.test/sso")
        .unwrap();
    for end in 0..=url.len() {
        let _ = Redirect::from_url(&url[..end]);
        let _ = redirect_signed_octets(&url[..end]);
        let _ = percent_decode(&url[..end]);
    }
}

impl Redirect {
    fn with_test_signature(mut self) -> Redirect {
        self.signature = Some(RedirectSignature {
            sig_alg: "alg".into(),
            signature: "c2ln".into(),
        });
        self
    }
}

#[test]
fn post_fields_are_base64_then_relay_state() {
    let post = Post::response("<r/>", Some("_abc".into()));
    assert_eq!(
        post.form_fields(),
        vec![
            ("SAMLResponse".to_owned(), "PHIvPg==".to_owned()),
            ("RelayState".to_owned(), "_abc".to_owned()),
        ]
    );
    assert_eq!(
        Post::response("<r/>", None).form_fields(),
        vec![("SAMLResponse".to_owned(), "PHIvPg==".to_owned())]
    );
}

#[rstest]
#[case::no_relay(None)]
#[case::relay(Some("x&y"))]
fn post_round_trips(#[case] relay: Option<&str>) {
    let sent = Post::response("<samlp:Response ID=\"_1\"/>", relay.map(str::to_owned));
    let fields = sent.form_fields();
    let read =
        Post::from_form_fields(fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))).unwrap();
    assert_eq!(read, sent);
}

#[rstest]
#[case::nothing(&[("RelayState", "x")], BindingError::NoMessage)]
#[case::both(&[("SAMLRequest", "PGEvPg=="), ("SAMLResponse", "PGEvPg==")], BindingError::TwoMessages)]
#[case::not_base64(&[("SAMLResponse", "<a/>")], BindingError::Base64(String::new()))]
#[case::not_utf8(&[("SAMLResponse", "//79/A==")], BindingError::NotXml(String::new()))]
fn malformed_posts_are_errors(#[case] fields: &[(&str, &str)], #[case] expected: BindingError) {
    check_refused(Post::from_form_fields(fields.iter().copied()), &expected);
}

#[test]
fn auto_submit_form_escapes_and_falls_back_to_a_button() {
    let post = Post::response("<r/>", Some("\"><script>x</script>".into()));
    let html = post.auto_submit_form("https://sp.test/acs?a=1&b=\"2\"");
    assert!(
        html.contains("onload=\"document.forms[0].submit()\""),
        "{html}"
    );
    assert!(
        html.contains("action=\"https://sp.test/acs?a=1&amp;b=&quot;2&quot;\""),
        "{html}"
    );
    assert!(
        html.contains("name=\"SAMLResponse\" value=\"PHIvPg==\""),
        "{html}"
    );
    assert!(
        html.contains("value=\"&quot;>&lt;script>x&lt;/script>\""),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("<noscript>"), "{html}");
    assert!(
        html.contains("<input type=\"submit\" value=\"Continue\"/>"),
        "{html}"
    );
}

#[test]
fn percent_decoding_keeps_what_is_not_an_escape() {
    assert_eq!(percent_decode("a%2Bb+c%zz%4"), "a+b c%zz%4");
    assert_eq!(percent_encode("a+b/c=d_~"), "a%2Bb%2Fc%3Dd_~");
}
