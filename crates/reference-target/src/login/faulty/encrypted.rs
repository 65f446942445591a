//! Encrypted assertions as a buggy SP reads them, for issue 16's fault switches only:
//! `saml-encryption-unsupported`, `saml-encrypted-unsigned-accepted` and
//! `saml-encrypted-plus-plain`. The correct path is [`saml::Verifier::verify`], which
//! decrypts with `[auth.saml] private_key_path` and verifies what it decrypted.

use saml::xml::{self, Element, Node, NS_ASSERTION, NS_DSIG};
use saml::{ExpectedInResponseTo, VerifiedAssertion, Verifier, VerifyError};
use time::OffsetDateTime;

use super::read_assertion;
use crate::fault::{Fault, FaultSet};

/// The faults this module implements.
pub(super) const FAULTS: [Fault; 3] = [
    Fault::SamlEncryptionUnsupported,
    Fault::SamlEncryptedUnsignedAccepted,
    Fault::SamlEncryptedPlusPlain,
];

/// What a faulty SP makes of a Response holding an `EncryptedAssertion`; `None` where the
/// faults in `faults` change nothing and the usual path decides.
pub(super) fn bend(
    verifier: &Verifier,
    root: &Element,
    expected: ExpectedInResponseTo<'_>,
    faults: &FaultSet,
    now: OffsetDateTime,
) -> Option<Result<VerifiedAssertion, VerifyError>> {
    let mut encrypted = Vec::new();
    root.descendants(NS_ASSERTION, "EncryptedAssertion", &mut encrypted);
    let first_encrypted = encrypted.first()?;
    // saml-encryption-unsupported: the SP never decrypts.
    if faults.has(Fault::SamlEncryptionUnsupported) {
        return Some(Err(VerifyError::EncryptedAssertion));
    }
    let decrypt = |enc: &Element| -> Result<Element, VerifyError> {
        let key = verifier
            .config()
            .decryption_key
            .as_ref()
            .ok_or(VerifyError::EncryptedAssertion)?;
        let plain = saml::decrypt_assertion(enc, key).map_err(VerifyError::Decrypt)?;
        xml::parse(&plain).map_err(VerifyError::Xml)
    };
    let mut plain = Vec::new();
    root.descendants(NS_ASSERTION, "Assertion", &mut plain);
    // saml-encrypted-unsigned-accepted: what decrypts is taken as from the IdP.
    if faults.has(Fault::SamlEncryptedUnsignedAccepted) && plain.is_empty() {
        let mut signatures = Vec::new();
        root.descendants(NS_DSIG, "Signature", &mut signatures);
        if signatures.is_empty() {
            return Some(decrypt(first_encrypted).map(|a| read_assertion(&a, root, now)));
        }
    }
    // saml-encrypted-plus-plain: the plain assertion's signature is checked on its own,
    // then the first assertion of either kind is read.
    if faults.has(Fault::SamlEncryptedPlusPlain) && !plain.is_empty() {
        let mut without = root.clone();
        without.remove_children(NS_ASSERTION, "EncryptedAssertion");
        let mut verified = match verifier.verify(&without.to_xml(), expected) {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        let first = root.children.iter().find_map(|n| match n {
            Node::Element(e) if e.is(NS_ASSERTION, "Assertion") => Some(Ok(e.clone())),
            Node::Element(e) if e.is(NS_ASSERTION, "EncryptedAssertion") => Some(decrypt(e)),
            _ => None,
        })?;
        let naive = match first {
            Ok(a) => read_assertion(&a, root, now),
            Err(e) => return Some(Err(e)),
        };
        verified.issuer = naive.issuer;
        verified.name_id = naive.name_id;
        verified.name_id_format = naive.name_id_format;
        verified.attributes = naive.attributes;
        verified.assertion_id = naive.assertion_id;
        return Some(Ok(verified));
    }
    None
}
