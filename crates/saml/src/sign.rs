//! Signing a Response: the assertion, the response, or both, each as an enveloped signature placed after its Issuer.
//!
//! The document is one this crate wrote, so the signer canonicalizes it itself (exclusive c14n, [`crate::c14n`])
//! and signs with RustCrypto's `rsa` (PKCS#1 v1.5, blinded), with the key parsed once in [`SigningKeys`]. Nothing here verifies:
//! the tests check every persona and signing mode with our [`Verifier`](crate::Verifier) and with
//! bergshamra, an independent XML-DSig implementation.

use base64::Engine as _;
use rsa::rand_core::OsRng;
use rsa::Pkcs1v15Sign;
use sha1::Digest as _;

use crate::c14n::{self, Subset};
use crate::keys::SigningKeys;
use crate::spec::{signature_template, ResponseSpec};
use crate::style::{DigestAlgorithm, SignatureAlgorithm};
use crate::xml::{self, Element, Node, NS_ASSERTION, NS_DSIG};

/// What the signed output starts with (the form xmlsec's serializer wrote, kept so documents stay the same).
const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Why a Response could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("signing the {what} of response {id}")]
    Crypto {
        what: &'static str,
        id: String,
        #[source]
        source: Box<rsa::Error>,
    },
    #[error("signing the {what} of response {id}: {detail}")]
    Shape {
        what: &'static str,
        id: String,
        detail: &'static str,
    },
    #[error("encrypting the assertion of response {id}")]
    Encrypt {
        id: String,
        #[source]
        source: Box<crate::encrypt::EncryptError>,
    },
    #[error("placing the response signature template in response {id}")]
    Template {
        id: String,
        #[source]
        source: xml::XmlError,
    },
}

/// Which element a signature covers.
#[derive(Debug, Clone, Copy)]
enum Signed {
    Response,
    Assertion,
}

impl Signed {
    fn name(self) -> &'static str {
        match self {
            Signed::Response => "response",
            Signed::Assertion => "assertion",
        }
    }

    fn find(self, root: &Element) -> Option<&Element> {
        match self {
            Signed::Response => Some(root),
            Signed::Assertion => root.child(NS_ASSERTION, "Assertion"),
        }
    }

    fn find_mut(self, root: &mut Element) -> Option<&mut Element> {
        match self {
            Signed::Response => Some(root),
            Signed::Assertion => root.child_mut(NS_ASSERTION, "Assertion"),
        }
    }
}

/// Builds and signs `spec` with `keys` as `spec.sign` says, with `spec`'s algorithms (RSA-SHA256 / SHA-256 by default).
///
/// XML-DSig §6.6.4 (enveloped signature) and SAML Core §5.4.1–2: one Reference to the signed element's `ID`,
/// the enveloped-signature and exclusive c14n transforms, exclusive c14n of SignedInfo, the Signature right
/// after the element's `Issuer`. The assertion is signed first, so a Response signature covers the
/// assertion's signature.
///
/// `keys` is parsed once; call this in a loop to sign many responses.
pub fn sign_response(spec: &ResponseSpec, keys: &SigningKeys) -> Result<String, SignError> {
    sign_response_with(spec, keys, &mut |_| Ok(()))
}

/// [`sign_response`] with `between` run on the document after the assertion is signed and before the
/// response is: where XML-Enc's sign-then-encrypt puts the encryption of the assertion (SAML Core §6.2:
/// a Response signature then covers the `EncryptedAssertion`).
pub(crate) fn sign_response_with(
    spec: &ResponseSpec,
    keys: &SigningKeys,
    between: &mut dyn FnMut(&mut Element) -> Result<(), SignError>,
) -> Result<String, SignError> {
    let cert_b64 = keys.certificate().to_base64();
    let template_error = |source| SignError::Template {
        id: spec.response_id.clone(),
        source,
    };
    let mut root =
        xml::parse(&spec.to_xml_with_assertion_template(&cert_b64)).map_err(template_error)?;
    if spec.sign.signs_assertion() {
        sign_element(&mut root, Signed::Assertion, spec, keys)?;
    }
    between(&mut root)?;
    if spec.sign.signs_response() {
        let template = xml::parse(&signature_template(spec, &spec.response_id, &cert_b64))
            .map_err(template_error)?;
        // SAML Core §3.2.2: Issuer, Signature, Extensions, Status.
        let at = root
            .child_index(NS_ASSERTION, "Issuer")
            .map_or(0, |i| i + 1);
        root.children.insert(at, Node::Element(template));
        sign_element(&mut root, Signed::Response, spec, keys)?;
    }
    let mut out = String::from(XML_DECLARATION);
    out.push_str(&root.to_xml());
    Ok(out)
}

/// Fills the DigestValue and SignatureValue of the signature template that `which` holds (XML-DSig §3.1).
fn sign_element(
    root: &mut Element,
    which: Signed,
    spec: &ResponseSpec,
    keys: &SigningKeys,
) -> Result<(), SignError> {
    let what = which.name();
    let shape = |detail| SignError::Shape {
        what,
        id: spec.response_id.clone(),
        detail,
    };
    let crypto = |source| SignError::Crypto {
        what,
        id: spec.response_id.clone(),
        source: Box::new(source),
    };

    // XML-DSig §3.1.1: the Reference digest over the element, its own Signature removed (§6.6.4), in exclusive c14n.
    let digest = {
        let element = which.find(root).ok_or_else(|| shape("element not found"))?;
        let signature = element
            .child(NS_DSIG, "Signature")
            .ok_or_else(|| shape("no signature template"))?;
        let reference = signature
            .child(NS_DSIG, "SignedInfo")
            .and_then(|s| s.child(NS_DSIG, "Reference"))
            .ok_or_else(|| shape("no Reference in the template"))?;
        // What the digest below computes is exactly what the template says.
        let id = element
            .attr("ID")
            .ok_or_else(|| shape("the element has no ID"))?;
        if reference.attr("URI").and_then(|u| u.strip_prefix('#')) != Some(id) {
            return Err(shape("the Reference does not point at the element's ID"));
        }
        if transforms(reference) != [ENVELOPED, EXC_C14N] {
            return Err(shape(
                "the Reference's transforms are not enveloped-signature then exclusive c14n",
            ));
        }
        let canonical = exc_c14n(
            root,
            element,
            Some(signature),
            &inclusive_prefixes(reference),
        )
        .ok_or_else(|| shape("element not in the document"))?;
        digest(spec.digest_algorithm, &canonical)
    };
    set_in_signature(
        root,
        which,
        &["SignedInfo", "Reference", "DigestValue"],
        &digest,
    )
    .ok_or_else(|| shape("no DigestValue in the template"))?;

    // XML-DSig §3.1.2: SignatureValue over SignedInfo in exclusive c14n (its CanonicalizationMethod).
    let signature_value = {
        let signed_info = which
            .find(root)
            .and_then(|e| e.child(NS_DSIG, "Signature"))
            .and_then(|s| s.child(NS_DSIG, "SignedInfo"))
            .ok_or_else(|| shape("no SignedInfo in the template"))?;
        let method = signed_info
            .child(NS_DSIG, "CanonicalizationMethod")
            .filter(|m| m.attr("Algorithm") == Some(EXC_C14N))
            .ok_or_else(|| shape("SignedInfo is not canonicalized with exclusive c14n"))?;
        let canonical = exc_c14n(root, signed_info, None, &prefix_list(method))
            .ok_or_else(|| shape("SignedInfo not in the document"))?;
        // Every SignatureMethod the builder writes is RSA PKCS#1 v1.5 (SignatureAlgorithm), and
        // SigningKeys holds only RSA keys.
        rsa_sign(keys, spec.signature_algorithm, &canonical).map_err(crypto)?
    };
    set_in_signature(root, which, &["SignatureValue"], &signature_value)
        .ok_or_else(|| shape("no SignatureValue in the template"))?;
    Ok(())
}

/// The Algorithm of each Transform of `reference`, in order.
fn transforms(reference: &Element) -> Vec<&str> {
    reference
        .child(NS_DSIG, "Transforms")
        .into_iter()
        .flat_map(|t| t.children_named(NS_DSIG, "Transform"))
        .map(|t| t.attr("Algorithm").unwrap_or_default())
        .collect()
}

/// The PrefixList of the exclusive c14n transform of `reference`, or `""`.
fn inclusive_prefixes(reference: &Element) -> String {
    reference
        .child(NS_DSIG, "Transforms")
        .into_iter()
        .flat_map(|t| t.children_named(NS_DSIG, "Transform"))
        .filter(|t| t.attr("Algorithm") == Some(EXC_C14N))
        .map(prefix_list)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Exclusive c14n of `apex` (without `omit`) within `root`, with the space-separated
/// `prefix_list` treated inclusively (Exc-C14N §3).
fn exc_c14n(
    root: &Element,
    apex: &Element,
    omit: Option<&Element>,
    prefix_list: &str,
) -> Option<Vec<u8>> {
    let prefixes: Vec<&str> = prefix_list.split_ascii_whitespace().collect();
    c14n::canonicalize(
        root,
        &Subset {
            apex,
            omit,
            inclusive_prefixes: &prefixes,
        },
    )
}

/// Exc-C14N §3: the `InclusiveNamespaces PrefixList` inside a Transform or CanonicalizationMethod, or `""`.
fn prefix_list(algorithm: &Element) -> String {
    algorithm
        .children_named(EXC_C14N, "InclusiveNamespaces")
        .filter_map(|n| n.attr("PrefixList"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sets the base64 of `bytes` as the text of the element at `path` under the Signature of `which`.
fn set_in_signature(root: &mut Element, which: Signed, path: &[&str], bytes: &[u8]) -> Option<()> {
    let mut el = which.find_mut(root)?.child_mut(NS_DSIG, "Signature")?;
    for local in path {
        el = el.child_mut(NS_DSIG, local)?;
    }
    el.set_text(base64::engine::general_purpose::STANDARD.encode(bytes));
    Some(())
}

/// The DigestMethod's hash of `bytes` (XML-DSig §6.2.1, XML-Enc §5.7.2).
pub(crate) fn digest(algorithm: DigestAlgorithm, bytes: &[u8]) -> Vec<u8> {
    match algorithm {
        DigestAlgorithm::Sha256 => sha2::Sha256::digest(bytes).to_vec(),
        DigestAlgorithm::Sha1 => sha1::Sha1::digest(bytes).to_vec(),
    }
}

/// RSA PKCS#1 v1.5 with this hash (RFC 6931 §2.3.2; XML-DSig §6.4.2 for rsa-sha1), blinded.
pub(crate) fn rsa_sign(
    keys: &SigningKeys,
    algorithm: SignatureAlgorithm,
    bytes: &[u8],
) -> Result<Vec<u8>, rsa::Error> {
    let (scheme, hashed) = match algorithm {
        SignatureAlgorithm::RsaSha256 => (
            Pkcs1v15Sign::new::<sha2::Sha256>(),
            sha2::Sha256::digest(bytes).to_vec(),
        ),
        SignatureAlgorithm::RsaSha1 => (
            Pkcs1v15Sign::new::<sha1::Sha1>(),
            sha1::Sha1::digest(bytes).to_vec(),
        ),
    };
    keys.private_key()
        .sign_with_rng(&mut OsRng, scheme, &hashed)
}

#[cfg(test)]
mod tests;
