//! Step 2 of verification: the raw document's shape, before any cryptography (one Response, one Assertion
//! directly under it, no comments, no encrypted assertion, every Signature its parent's own and of the one
//! accepted XML-DSig shape with a pinned certificate; saml-attacks.md A1–A8).

use base64::Engine as _;

use super::{check_version, Shape, SignatureFailure, SignaturePolicy, Verifier, VerifyError};
use crate::dsig_verify::DsigFailure;
use crate::xml::{Element, Node, NS_ASSERTION, NS_DSIG, NS_PROTOCOL};

const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// `SignatureMethod` URIs accepted (RFC 6931 §2.3.2–4); everything else, rsa-sha1 included, is refused.
const ALLOWED_SIGNATURE_METHODS: [&str; 3] = [
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
];
/// `DigestMethod` URIs accepted (XML-Enc §5.7.2–4, RFC 6931 §2.1.3); SHA-1 and MD5 are refused.
const ALLOWED_DIGEST_METHODS: [&str; 3] = [
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];

impl Verifier {
    /// Step 2: the raw document's shape, before any cryptography.
    pub(super) fn check_shape(&self, root: &Element) -> Result<Shape, VerifyError> {
        if !root.is(NS_PROTOCOL, "Response") {
            return Err(VerifyError::NotAResponse(root.qname.clone()));
        }
        check_version("response", root)?;
        reject_comments(root)?;
        let mut encrypted = Vec::new();
        root.descendants(NS_ASSERTION, "EncryptedAssertion", &mut encrypted);
        if !encrypted.is_empty() {
            return Err(VerifyError::EncryptedAssertion);
        }
        let mut all = Vec::new();
        root.descendants(NS_ASSERTION, "Assertion", &mut all);
        if all.len() != 1 {
            return Err(VerifyError::AssertionCount(all.len()));
        }
        let assertion = root
            .child(NS_ASSERTION, "Assertion")
            .ok_or(VerifyError::MisplacedAssertion)?;
        check_version("assertion", assertion)?;

        // Every Signature in the document must be the Response's or the Assertion's own.
        let mut signatures = Vec::new();
        root.descendants(NS_DSIG, "Signature", &mut signatures);
        let own_response = root.children_named(NS_DSIG, "Signature").count();
        let own_assertion = assertion.children_named(NS_DSIG, "Signature").count();
        if signatures.len() != own_response + own_assertion {
            let parent = signature_parent_name(root).unwrap_or_else(|| "?".into());
            return Err(VerifyError::MisplacedSignature(parent));
        }
        if own_response > 1 || own_assertion > 1 {
            return Err(VerifyError::SignatureShape {
                what: if own_response > 1 {
                    "response"
                } else {
                    "assertion"
                },
                detail: "more than one Signature".into(),
            });
        }
        let response_signed = own_response == 1;
        let assertion_signed = own_assertion == 1;
        if response_signed {
            self.check_signature("response", root)?;
        }
        if assertion_signed {
            self.check_signature("assertion", assertion)?;
        }
        Ok(Shape {
            response_id: root.attr("ID").map(str::to_owned),
            assertion_id: assertion.attr("ID").map(str::to_owned),
            response_signed,
            assertion_signed,
        })
    }

    /// XML-DSig shape of one enveloped signature of `parent` (SAML Core §5.4.1–4).
    pub(super) fn check_signature(
        &self,
        what: &'static str,
        parent: &Element,
    ) -> Result<(), VerifyError> {
        let shape = |detail: &str| VerifyError::SignatureShape {
            what,
            detail: detail.to_owned(),
        };
        // SAML Core §3.2.2 / §2.3.3: the Signature follows the Issuer.
        let elements: Vec<&Element> = parent.elements().collect();
        let pos = elements
            .iter()
            .position(|e| e.is(NS_DSIG, "Signature"))
            .ok_or_else(|| shape("missing"))?;
        let expected_pos = usize::from(
            elements
                .first()
                .is_some_and(|e| e.is(NS_ASSERTION, "Issuer")),
        );
        if pos != expected_pos {
            return Err(shape("not placed right after the Issuer"));
        }
        let sig = elements[pos];
        let id = parent
            .attr("ID")
            .ok_or_else(|| shape("the signed element has no ID"))?;
        let sig_children: Vec<&Element> = sig.elements().collect();
        let names: Vec<&str> = sig_children.iter().map(|e| e.local_name()).collect();
        if !(names == ["SignedInfo", "SignatureValue"]
            || names == ["SignedInfo", "SignatureValue", "KeyInfo"])
            || sig_children
                .iter()
                .any(|e| e.namespace.as_deref() != Some(NS_DSIG))
        {
            return Err(shape(&format!(
                "children are {names:?}; expected SignedInfo, SignatureValue and optionally KeyInfo (no Object)"
            )));
        }
        let signed_info = sig_children[0];
        let c14n = signed_info
            .child(NS_DSIG, "CanonicalizationMethod")
            .and_then(|e| e.attr("Algorithm"));
        if c14n != Some(EXC_C14N) {
            return Err(shape(&format!(
                "CanonicalizationMethod {c14n:?} is not exclusive c14n"
            )));
        }
        check_algorithm(
            what,
            signed_info.child(NS_DSIG, "SignatureMethod"),
            &ALLOWED_SIGNATURE_METHODS,
        )?;
        let references: Vec<&Element> = signed_info.children_named(NS_DSIG, "Reference").collect();
        if references.len() != 1 {
            return Err(shape(&format!(
                "{} References; exactly one is accepted",
                references.len()
            )));
        }
        let reference = references[0];
        let uri = reference.attr("URI").unwrap_or_default();
        if uri.strip_prefix('#') != Some(id) {
            return Err(shape(&format!(
                "Reference URI {uri:?} does not point at its parent's ID {id:?}"
            )));
        }
        let transforms: Vec<&str> = reference
            .child(NS_DSIG, "Transforms")
            .map(|t| {
                t.children_named(NS_DSIG, "Transform")
                    .map(|e| e.attr("Algorithm").unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        if transforms != [ENVELOPED, EXC_C14N] {
            return Err(shape(&format!(
                "transforms {transforms:?}; only enveloped-signature then exclusive c14n are accepted"
            )));
        }
        check_algorithm(
            what,
            reference.child(NS_DSIG, "DigestMethod"),
            &ALLOWED_DIGEST_METHODS,
        )?;
        // saml-attacks.md A2: an embedded certificate must be one we pinned; keys themselves come only from
        // the pinned list (step 4), so this is a clearer error and a second line of defence.
        if let Some(key_info) = sig.child(NS_DSIG, "KeyInfo") {
            let mut certs = Vec::new();
            key_info.descendants(NS_DSIG, "X509Certificate", &mut certs);
            for cert in certs {
                let compact: String = cert.text().split_ascii_whitespace().collect();
                let der = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|_| shape("X509Certificate is not base64"))?;
                if !self
                    .config
                    .pinned_certificates
                    .iter()
                    .any(|p| p.der() == der)
                {
                    return Err(VerifyError::UntrustedCertificate { what });
                }
            }
        }
        Ok(())
    }
}

/// saml-attacks.md A8: the `Algorithm` of `method` must be one of `allowed`.
fn check_algorithm(
    what: &'static str,
    method: Option<&Element>,
    allowed: &[&str],
) -> Result<(), VerifyError> {
    let uri = method.and_then(|e| e.attr("Algorithm")).unwrap_or_default();
    if allowed.contains(&uri) {
        return Ok(());
    }
    Err(VerifyError::WeakAlgorithm {
        what,
        uri: uri.to_owned(),
    })
}

pub(super) fn reject_comments(el: &Element) -> Result<(), VerifyError> {
    for child in &el.children {
        match child {
            Node::Comment(_) => return Err(VerifyError::Comment(el.local_name().to_owned())),
            Node::Element(e) => reject_comments(e)?,
            Node::Text(_) => {}
        }
    }
    Ok(())
}

/// The local name of the element holding the first Signature that is neither the Response's nor the Assertion's own.
pub(super) fn signature_parent_name(root: &Element) -> Option<String> {
    fn walk(el: &Element, may_hold_signature: bool, is_root: bool) -> Option<String> {
        for child in el.elements() {
            if child.is(NS_DSIG, "Signature") && !may_hold_signature {
                return Some(el.local_name().to_owned());
            }
            let child_may = is_root && child.is(NS_ASSERTION, "Assertion");
            if let Some(found) = walk(child, child_may, false) {
                return Some(found);
            }
        }
        None
    }
    walk(root, true, true)
}

/// Step 3: the signature policy over which parts carry a signature.
pub(super) fn check_policy(policy: SignaturePolicy, shape: &Shape) -> Result<(), VerifyError> {
    match (policy, shape.response_signed, shape.assertion_signed) {
        (_, false, false) => Err(VerifyError::Unsigned),
        (SignaturePolicy::AssertionSigned | SignaturePolicy::BothSigned, _, false) => {
            Err(VerifyError::AssertionUnsigned)
        }
        (SignaturePolicy::BothSigned, false, _) => Err(VerifyError::ResponseUnsigned),
        _ => Ok(()),
    }
}

/// What the verifier says one Reference covered (its pre-digest bytes), parsed; `what` names it
/// in errors.
pub(super) fn parse_signed(bytes: Vec<u8>, what: &str) -> Result<Element, VerifyError> {
    let text = String::from_utf8(bytes)
        .map_err(|_| VerifyError::SignedContent(format!("signed {what} is not utf-8")))?;
    crate::xml::parse(&text).map_err(|e| VerifyError::SignedContent(e.to_string()))
}

/// Step 4's failures, named.
pub(super) fn dsig_error(e: DsigFailure) -> VerifyError {
    VerifyError::SignatureInvalid(match e {
        DsigFailure::Invalid => SignatureFailure::Invalid,
        DsigFailure::BadId => SignatureFailure::BadId,
    })
}

/// Whether an `EncryptedAssertion` sits anywhere in the document.
pub(super) fn has_encrypted_assertion(root: &Element) -> bool {
    let mut found = Vec::new();
    root.descendants(NS_ASSERTION, "EncryptedAssertion", &mut found);
    !found.is_empty()
}
