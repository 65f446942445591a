//! Verification of a Response whose assertion is encrypted (SAML Core §2.3.4, §6.2), for an SP with a
//! decryption key: the same steps as a plain Response, in the order the signatures allow.
//!
//! 1. The envelope's shape: exactly one assertion of either kind in the whole document, the
//!    `EncryptedAssertion` directly under the Response (an encrypted plus a plain assertion is refused as
//!    two assertions, saml-attacks.md A4), no comments, no Signature but the Response's own.
//! 2. A Response signature is verified over the document as sent, which holds the ciphertext, and the
//!    `EncryptedAssertion` is then taken from the signed form (crewjam/saml#270, fixed by #273: verify the
//!    Response before decrypting, since its digest covers the encrypted XML).
//! 3. Decryption with the SP's key ([`crate::encrypt::decrypt_assertion`]); a wrong key is one clear error.
//! 4. The decrypted Assertion gets every check a plain one gets: DOCTYPE scan, parse, no comments, no
//!    nested assertion, its own Signature's shape; then the signature policy over both parts, so an
//!    unsigned assertion under an unsigned Response is refused (pysaml2#55: encrypted assertions went
//!    unverified) and one under a signed Response is accepted where the policy takes a Response
//!    signature (SAML Profiles §4.1.3.5, errata E26: the Response signature protects it).
//! 5. The assertion's own signature is verified on the plaintext and identity read only from what was
//!    signed, then the protocol checks of [`Verifier::check_content`].

use super::shape::{
    check_policy, dsig_error, parse_signed, reject_comments, signature_parent_name,
};
use super::{
    check_version, same_id, ExpectedInResponseTo, Shape, SignatureFailure, VerifiedAssertion,
    Verifier, VerifyError,
};
use crate::encrypt::decrypt_assertion;
use crate::xml::{self, Element, XmlError, NS_ASSERTION, NS_DSIG, NS_PROTOCOL};

impl Verifier {
    /// Verifies the parsed Response `raw` whose assertion is an `EncryptedAssertion`.
    pub(super) fn verify_encrypted(
        &self,
        raw: &Element,
        expected: ExpectedInResponseTo<'_>,
    ) -> Result<VerifiedAssertion, VerifyError> {
        let cfg = &self.config;
        let key = cfg
            .decryption_key
            .as_ref()
            .ok_or(VerifyError::EncryptedAssertion)?;

        // 1. The envelope's shape.
        if !raw.is(NS_PROTOCOL, "Response") {
            return Err(VerifyError::NotAResponse(raw.qname.clone()));
        }
        check_version("response", raw)?;
        reject_comments(raw)?;
        let count = count_assertions(raw);
        if count != 1 {
            return Err(VerifyError::AssertionCount(count));
        }
        raw.child(NS_ASSERTION, "EncryptedAssertion")
            .ok_or(VerifyError::MisplacedAssertion)?;
        let response_signed = own_signature(raw, "response", raw)?;
        if response_signed {
            self.check_signature("response", raw)?;
        }

        // 2. The Response signature over the ciphertext; the EncryptedAssertion read from what was signed.
        let signed_envelope = if response_signed {
            let signed = self.one_signed_part(raw, "response")?;
            if !signed.is(NS_PROTOCOL, "Response") {
                return Err(VerifyError::SignedContent(format!(
                    "signed element is <{}>, expected the Response",
                    signed.qname
                )));
            }
            same_id("response", signed.attr("ID"), raw.attr("ID"))?;
            Some(signed)
        } else {
            None
        };
        let envelope = signed_envelope.as_ref().unwrap_or(raw);
        let encrypted = envelope
            .child(NS_ASSERTION, "EncryptedAssertion")
            .ok_or_else(|| {
                VerifyError::SignedContent("signed response holds no EncryptedAssertion".into())
            })?;

        // 3. Decryption.
        let plaintext = decrypt_assertion(encrypted, key).map_err(VerifyError::Decrypt)?;

        // 4. The decrypted assertion gets a document's checks.
        super::refuse_before_parsing(&plaintext, cfg)?;
        let assertion_raw = xml::parse(&plaintext).map_err(|e| match e {
            XmlError::Doctype => VerifyError::Doctype,
            e => VerifyError::Xml(e),
        })?;
        if !assertion_raw.is(NS_ASSERTION, "Assertion") {
            return Err(VerifyError::Malformed {
                what: "EncryptedAssertion",
                detail: format!("decrypts to <{}>, not an Assertion", assertion_raw.qname),
            });
        }
        check_version("assertion", &assertion_raw)?;
        reject_comments(&assertion_raw)?;
        let nested = count_assertions(&assertion_raw);
        if nested != 0 {
            return Err(VerifyError::AssertionCount(1 + nested));
        }
        let assertion_signed = own_signature(&assertion_raw, "assertion", &assertion_raw)?;
        if assertion_signed {
            self.check_signature("assertion", &assertion_raw)?;
        }
        let shape = Shape {
            response_id: raw.attr("ID").map(str::to_owned),
            assertion_id: assertion_raw.attr("ID").map(str::to_owned),
            response_signed,
            assertion_signed,
        };
        check_policy(cfg.signature_policy, &shape)?;

        // 5. The assertion's own signature, on the plaintext; identity read from what was signed.
        let signed_assertion = if assertion_signed {
            let signed = self.one_signed_part(&assertion_raw, "assertion")?;
            if !signed.is(NS_ASSERTION, "Assertion") {
                return Err(VerifyError::SignedContent(format!(
                    "signed element is <{}>, expected the Assertion",
                    signed.qname
                )));
            }
            Some(signed)
        } else {
            None
        };
        let assertion = signed_assertion.as_ref().unwrap_or(&assertion_raw);
        same_id(
            "assertion",
            assertion.attr("ID"),
            shape.assertion_id.as_deref(),
        )?;
        self.check_content(envelope, assertion, shape, expected)
    }

    /// The signatures of the document `root` with the pinned keys: exactly one signed part, parsed.
    fn one_signed_part(&self, root: &Element, what: &'static str) -> Result<Element, VerifyError> {
        let mut parts = self.pinned_keys.verify(root).map_err(dsig_error)?;
        if parts.len() != 1 {
            return Err(VerifyError::SignatureInvalid(SignatureFailure::Invalid));
        }
        parse_signed(parts.pop().unwrap_or_default(), what)
    }
}

/// Assertions of either kind anywhere below `root`.
fn count_assertions(root: &Element) -> usize {
    let mut found = Vec::new();
    root.descendants(NS_ASSERTION, "Assertion", &mut found);
    root.descendants(NS_ASSERTION, "EncryptedAssertion", &mut found);
    found.len()
}

/// Whether `parent` carries its own Signature; refuses a Signature anywhere else below `root` and more than one.
fn own_signature(
    parent: &Element,
    what: &'static str,
    root: &Element,
) -> Result<bool, VerifyError> {
    let mut all = Vec::new();
    root.descendants(NS_DSIG, "Signature", &mut all);
    let own = parent.children_named(NS_DSIG, "Signature").count();
    if all.len() != own {
        let where_ = signature_parent_name(root).unwrap_or_else(|| "?".into());
        return Err(VerifyError::MisplacedSignature(where_));
    }
    if own > 1 {
        return Err(VerifyError::SignatureShape {
            what,
            detail: "more than one Signature".into(),
        });
    }
    Ok(own == 1)
}
