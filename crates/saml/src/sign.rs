//! Signing a Response with xmlsec (through samael): the assertion, the response, or both, each as an enveloped signature placed after its Issuer.

use samael::crypto::{Crypto, CryptoError, CryptoProvider};

use crate::keys::SigningKeys;
use crate::spec::{signature_template, ResponseSpec};
use crate::xml::{self, Node, NS_ASSERTION};

/// Why a Response could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("signing the {what} of response {id}")]
    Xmlsec {
        what: &'static str,
        id: String,
        #[source]
        source: CryptoError,
    },
    #[error("placing the response signature template in response {id}")]
    Template {
        id: String,
        #[source]
        source: xml::XmlError,
    },
}

/// Builds and signs `spec` with `keys` as `spec.sign` says, with `spec`'s algorithms (RSA-SHA256 / SHA-256 by default).
///
/// XML-DSig §6.6.4 (enveloped signature) and SAML Core §5.4.1–2: one Reference to the signed element's `ID`,
/// exclusive c14n, the Signature right after the element's `Issuer`.
/// The assertion is signed first; the Response's template is added afterwards and signed in a second call,
/// because xmlsec signs only the first Signature in document order (samael-notes.md §3 pitfall 2).
///
/// `keys` is parsed once; call this in a loop to sign many responses (each call hands xmlsec the DER key).
pub fn sign_response(spec: &ResponseSpec, keys: &SigningKeys) -> Result<String, SignError> {
    let cert_b64 = keys.certificate().to_base64();
    let mut doc = spec.to_xml_with_assertion_template(&cert_b64);
    if spec.sign.signs_assertion() {
        doc = Crypto::sign_xml(&doc, keys.key_der()).map_err(|source| SignError::Xmlsec {
            what: "assertion",
            id: spec.response_id.clone(),
            source,
        })?;
    }
    if spec.sign.signs_response() {
        doc =
            add_response_template(&doc, spec, &cert_b64).map_err(|source| SignError::Template {
                id: spec.response_id.clone(),
                source,
            })?;
        doc = Crypto::sign_xml(&doc, keys.key_der()).map_err(|source| SignError::Xmlsec {
            what: "response",
            id: spec.response_id.clone(),
            source,
        })?;
    }
    Ok(doc.trim().to_owned())
}

/// Inserts the Response's signature template right after its Issuer (SAML Core §3.2.2: Issuer, Signature, Extensions, Status).
fn add_response_template(
    doc: &str,
    spec: &ResponseSpec,
    cert_b64: &str,
) -> Result<String, xml::XmlError> {
    let mut root = xml::parse(doc)?;
    let template = xml::parse(&signature_template(spec, &spec.response_id, cert_b64))?;
    let at = root
        .child_index(NS_ASSERTION, "Issuer")
        .map(|i| i + 1)
        .unwrap_or(0);
    root.children.insert(at, Node::Element(template));
    Ok(root.to_xml())
}
