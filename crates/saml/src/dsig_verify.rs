//! XML-DSig verification in pure Rust, strict to the one shape SAML signatures take, with the pinned keys
//! parsed once.
//!
//! Every `ds:Signature` anywhere in the document must verify with a pinned key; the key comes only from the
//! SP's configured certificates, never from `KeyInfo` (which is not read at all). Each Signature must be
//! (XML-DSig §4, SAML Core §5.4):
//! - `SignedInfo`, `SignatureValue`, then optionally `KeyInfo` (no `Object`, no second `SignedInfo`);
//! - `SignedInfo` = `CanonicalizationMethod` (exclusive c14n), `SignatureMethod` (RSA PKCS#1 v1.5 with
//!   SHA-256/384/512), exactly one `Reference`;
//! - the Reference's `URI` is `#` + the `ID` of the Signature's parent element (enveloped), IDs unique NCNames
//!   in the whole document; its transforms exactly enveloped-signature then exclusive c14n; its
//!   `DigestMethod` SHA-256/384/512;
//! - `DigestValue` and `SignatureValue` hold base64 text only (no comment or element inside).
//!
//! Then the digest of the parent without its Signature, in exclusive c14n ([`crate::c14n`], the same code the
//! signer uses, checked against bergshamra), must equal `DigestValue`, and `SignatureValue` must verify over
//! the exclusive c14n of `SignedInfo` with a pinned key. What comes back is those canonical bytes of each
//! Reference (the "pre-digest" form): the caller reads identity only from them.
//!
//! Nothing is ever fetched (only same-document references exist), and no other algorithm is implemented.

use base64::Engine as _;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::Digest as _;

use crate::c14n::{self, Subset};
use crate::keys::{Certificate, KeyError};
use crate::xml::{Element, Node, NS_DSIG};

const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/// The most Signatures one document may carry (a SAML Response has at most two).
const MAX_SIGNATURES: usize = 16;

/// Why the signatures of a document were not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DsigFailure {
    /// No Signature, one of a shape or algorithm not accepted, or one that no pinned key verifies
    /// (digest or signature value wrong).
    Invalid,
    /// An `ID` attribute is not an NCName or is not unique.
    BadId,
}

/// A hash the verifier accepts, for a DigestMethod or inside a SignatureMethod.
#[derive(Debug, Clone, Copy)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// XML-Enc §5.7.2, RFC 6931 §2.1.3, XML-Enc §5.7.4; SHA-1 and MD5 are not accepted.
    fn of_digest_method(uri: &str) -> Option<Hash> {
        match uri {
            "http://www.w3.org/2001/04/xmlenc#sha256" => Some(Hash::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => Some(Hash::Sha384),
            "http://www.w3.org/2001/04/xmlenc#sha512" => Some(Hash::Sha512),
            _ => None,
        }
    }

    /// RFC 6931 §2.3.2–4: RSA PKCS#1 v1.5 with SHA-2; rsa-sha1 is not accepted.
    fn of_signature_method(uri: &str) -> Option<Hash> {
        match uri {
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => Some(Hash::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => Some(Hash::Sha384),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn digest(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => sha2::Sha256::digest(bytes).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(bytes).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(bytes).to_vec(),
        }
    }

    fn pkcs1v15(self) -> Pkcs1v15Sign {
        match self {
            Hash::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
            Hash::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
            Hash::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
        }
    }
}

/// The RSA public keys of the pinned certificates, parsed once.
pub(crate) struct PinnedKeys {
    keys: Vec<RsaPublicKey>,
}

impl PinnedKeys {
    /// Parses the public key of each certificate. `None` if a certificate does not parse; a certificate
    /// whose key is not RSA is kept out (no accepted SignatureMethod could use it).
    pub(crate) fn new(certificates: &[Certificate]) -> Option<Self> {
        let mut keys = Vec::new();
        for cert in certificates {
            match cert.rsa_public_key() {
                Ok(key) => keys.push(key),
                Err(KeyError::NotRsa { .. }) => {}
                Err(_) => return None,
            }
        }
        Some(PinnedKeys { keys })
    }

    /// Verifies every Signature in the document `root` with the pinned keys and returns the canonical bytes
    /// of what each one's Reference covered, in document order of the Signatures.
    pub(crate) fn verify(&self, root: &Element) -> Result<Vec<Vec<u8>>, DsigFailure> {
        check_ids(root)?;
        let mut signatures = Vec::new();
        enveloped_signatures(root, &mut signatures);
        let mut all = Vec::new();
        root.descendants(NS_DSIG, "Signature", &mut all);
        if signatures.is_empty()
            || signatures.len() > MAX_SIGNATURES
            || all.len() != signatures.len()
        {
            // A root Signature has no parent to cover: it cannot be enveloped.
            return Err(DsigFailure::Invalid);
        }
        signatures
            .into_iter()
            .map(|(parent, signature)| self.verify_one(root, parent, signature))
            .collect::<Option<Vec<_>>>()
            .ok_or(DsigFailure::Invalid)
    }

    /// One enveloped Signature of `parent`: its canonical bytes if it verifies with a pinned key.
    fn verify_one(&self, root: &Element, parent: &Element, signature: &Element) -> Option<Vec<u8>> {
        let children = dsig_children(signature)?;
        let (signed_info, signature_value) = (*children.first()?, *children.get(1)?);
        let key_info_only = match children.len() {
            2 => true,
            3 => children[2].local_name() == "KeyInfo",
            _ => false,
        };
        if signed_info.local_name() != "SignedInfo"
            || signature_value.local_name() != "SignatureValue"
            || !key_info_only
        {
            return None;
        }
        let [c14n_method, signature_method, reference] =
            <[&Element; 3]>::try_from(dsig_children(signed_info)?).ok()?;
        if c14n_method.local_name() != "CanonicalizationMethod"
            || c14n_method.attr("Algorithm") != Some(EXC_C14N)
            || signature_method.local_name() != "SignatureMethod"
            || reference.local_name() != "Reference"
        {
            return None;
        }
        let signature_hash = Hash::of_signature_method(signature_method.attr("Algorithm")?)?;

        // The Reference: to the parent's ID, enveloped then exclusive c14n, an accepted digest.
        let id = parent.attr("ID")?;
        if reference.attr("URI")?.strip_prefix('#') != Some(id) {
            return None;
        }
        let (reference_prefixes, digest_method, digest_value) = reference_parts(reference)?;
        let digest_hash = Hash::of_digest_method(digest_method.attr("Algorithm")?)?;
        let canonical = canonicalize(root, parent, Some(signature), &reference_prefixes)?;
        if digest_hash.digest(&canonical) != base64_text(digest_value)? {
            return None;
        }

        // SignatureValue over SignedInfo in exclusive c14n, with a pinned key.
        let signed_info_bytes = canonicalize(root, signed_info, None, &prefix_list(c14n_method)?)?;
        let hashed = signature_hash.digest(&signed_info_bytes);
        let value = base64_text(signature_value)?;
        self.keys
            .iter()
            .any(|key| {
                key.verify(signature_hash.pkcs1v15(), &hashed, &value)
                    .is_ok()
            })
            .then_some(canonical)
    }
}

/// Every Signature that is a direct child of an element, with that element, in document order.
fn enveloped_signatures<'a>(el: &'a Element, out: &mut Vec<(&'a Element, &'a Element)>) {
    for child in el.elements() {
        if child.is(NS_DSIG, "Signature") {
            out.push((el, child));
        }
        enveloped_signatures(child, out);
    }
}

/// The element children of `el`, all of which must be in the XML-DSig namespace, with no text but
/// whitespace and no comment between them.
fn dsig_children(el: &Element) -> Option<Vec<&Element>> {
    let mut out = Vec::new();
    for child in &el.children {
        match child {
            Node::Element(e) if e.namespace.as_deref() == Some(NS_DSIG) => out.push(e),
            Node::Text(t) if t.trim().is_empty() => {}
            _ => return None,
        }
    }
    Some(out)
}

/// A Reference's exclusive c14n PrefixList, DigestMethod and DigestValue; `None` unless its Transforms are
/// exactly enveloped-signature then exclusive c14n (XML-DSig §6.6.4, Exc-C14N §3).
fn reference_parts(reference: &Element) -> Option<(Vec<&str>, &Element, &Element)> {
    let [transforms, digest_method, digest_value] =
        <[&Element; 3]>::try_from(dsig_children(reference)?).ok()?;
    if transforms.local_name() != "Transforms"
        || digest_method.local_name() != "DigestMethod"
        || digest_value.local_name() != "DigestValue"
    {
        return None;
    }
    let [enveloped, exclusive] = <[&Element; 2]>::try_from(dsig_children(transforms)?).ok()?;
    let transform =
        |t: &Element, uri: &str| t.local_name() == "Transform" && t.attr("Algorithm") == Some(uri);
    if !transform(enveloped, ENVELOPED) || !transform(exclusive, EXC_C14N) {
        return None;
    }
    // The enveloped-signature transform takes no parameters.
    if enveloped
        .children
        .iter()
        .any(|n| !matches!(n, Node::Text(t) if t.trim().is_empty()))
    {
        return None;
    }
    Some((prefix_list(exclusive)?, digest_method, digest_value))
}

/// Exc-C14N §3: the PrefixList of the one optional `InclusiveNamespaces` inside `algorithm`; `None` if it
/// holds anything else.
fn prefix_list(algorithm: &Element) -> Option<Vec<&str>> {
    let mut prefixes = Vec::new();
    let mut seen = false;
    for child in &algorithm.children {
        match child {
            Node::Element(e) if !seen && e.is(EXC_C14N, "InclusiveNamespaces") => {
                seen = true;
                prefixes.extend(e.attr("PrefixList")?.split_ascii_whitespace());
            }
            Node::Text(t) if t.trim().is_empty() => {}
            _ => return None,
        }
    }
    Some(prefixes)
}

fn canonicalize(
    root: &Element,
    apex: &Element,
    omit: Option<&Element>,
    prefixes: &[&str],
) -> Option<Vec<u8>> {
    c14n::canonicalize(
        root,
        &Subset {
            apex,
            omit,
            inclusive_prefixes: prefixes,
        },
    )
}

/// The base64 text of a DigestValue or SignatureValue; `None` if it holds anything but text.
fn base64_text(el: &Element) -> Option<Vec<u8>> {
    let mut compact = String::new();
    for child in &el.children {
        let Node::Text(t) = child else {
            return None;
        };
        compact.extend(t.chars().filter(|c| !c.is_ascii_whitespace()));
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

/// Every unqualified `ID` attribute in the document is an NCName, and no value appears twice, so a
/// Reference names exactly one element (XML Schema `xs:ID`, SAML Core §1.3.4).
fn check_ids(root: &Element) -> Result<(), DsigFailure> {
    fn walk<'a>(el: &'a Element, seen: &mut Vec<&'a str>) -> Result<(), DsigFailure> {
        if let Some(id) = el.attr("ID") {
            if !is_ncname(id) || seen.contains(&id) {
                return Err(DsigFailure::BadId);
            }
            seen.push(id);
        }
        el.elements().try_for_each(|child| walk(child, seen))
    }
    walk(root, &mut Vec::new())
}

/// XML Namespaces §3 NCName, with every non-ASCII character taken as a name character.
fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    let start = |c: char| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii();
    chars.next().is_some_and(start)
        && chars.all(|c| start(c) || c.is_ascii_digit() || c == '-' || c == '.')
}

#[cfg(test)]
mod cross_check;
#[cfg(test)]
mod tests;
