//! Inputs found by the fuzz targets in `fuzz/` (`cargo xtask fuzz`), each test named after
//! the input, which is also in `fuzz/corpus/<target>/`: refused with an error, never a
//! crash of the process that reads them.

use base64::Engine as _;
use saml::xml::{self, XmlError, MAX_DEPTH};
use saml::{IdpStyle, SignaturePolicy, VerifyError};

use crate::*;

/// `depth` elements nested inside a Response, as the ACS's `SAMLResponse` form value.
fn nested_response(depth: usize) -> String {
    let xml = format!(
        r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">{}{}</samlp:Response>"#,
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    base64::engine::general_purpose::STANDARD.encode(xml)
}

/// fuzz/corpus/saml_acs/crash-nested-20000-elements: 187 KB of nested elements (under the
/// verifier's 1 MiB limit) overflowed the stack of a 2 MiB thread, tokio's worker stack,
/// so one POST to the reference target's `/saml/acs` aborted the whole process.
#[test]
fn nested_20000_elements() {
    let value = nested_response(20_000);
    let refused = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let verifier = verifier(IdpStyle::Entra, SignaturePolicy::AssertionSigned);
            match verifier.verify_post_value(&value, sp_initiated()) {
                Err(VerifyError::Xml(XmlError::Syntax { message, .. })) => message,
                other => panic!("expected a nesting error, got {other:?}"),
            }
        })
        .expect("spawn")
        .join()
        .expect("the verifier's thread");
    assert_eq!(refused, format!("elements nested deeper than {MAX_DEPTH}"));
}

/// The limit is libxml2's: as deep as it reads is read, one more is refused.
#[test]
fn nesting_up_to_the_limit_is_read() {
    let doc = |depth: usize| format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    assert!(xml::parse(&doc(MAX_DEPTH)).is_ok());
    assert!(matches!(
        xml::parse(&doc(MAX_DEPTH + 1)),
        Err(XmlError::Syntax { .. })
    ));
}
