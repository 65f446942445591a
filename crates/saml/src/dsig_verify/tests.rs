//! The pure-Rust XML-DSig verifier on its own: valid signatures pass with their pre-digest bytes, and what it
//! restricts is refused even without the shape checks of `verify` in front of it.

use std::path::PathBuf;

use super::*;
use crate::keys::SigningKeys;
use crate::sign::sign_response;
use crate::spec::ResponseSpec;
use crate::style::{DigestAlgorithm, SignMode, SignatureAlgorithm};
use crate::xml;

fn keys(name: &str) -> SigningKeys {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/idp");
    SigningKeys::from_pem_files(
        dir.join(format!("{name}.key.pem")),
        dir.join(format!("{name}.cert.pem")),
    )
    .unwrap()
}

fn spec(mode: SignMode) -> ResponseSpec {
    let mut spec = crate::test_support::rfc_spec();
    spec.sign = mode;
    spec
}

fn pinned(name: &str) -> PinnedKeys {
    PinnedKeys::new(&[keys(name).certificate().clone()]).unwrap()
}

fn verify(pinned: &PinnedKeys, text: &str) -> Result<Vec<Vec<u8>>, DsigFailure> {
    pinned.verify(&xml::parse(text).unwrap())
}

#[test]
fn every_signature_verifies_and_each_reference_gives_its_predigest() {
    let signed = sign_response(&spec(SignMode::Both), &keys("rfc")).unwrap();
    let parts = verify(&pinned("rfc"), &signed).unwrap();
    assert_eq!(parts.len(), 2);
    // Document order: the Response's Signature comes before the Assertion's.
    assert!(parts[0].starts_with(b"<samlp:Response"));
    assert!(parts[1].starts_with(b"<saml:Assertion"));
    // The enveloped transform removed each one's own Signature, not the other's.
    let response = String::from_utf8(parts[0].clone()).unwrap();
    assert_eq!(response.matches("<ds:SignedInfo").count(), 1);
    let assertion = String::from_utf8(parts[1].clone()).unwrap();
    assert_eq!(assertion.matches("<ds:SignedInfo").count(), 0);
}

#[test]
fn a_second_pinned_key_is_tried() {
    let signed = sign_response(&spec(SignMode::Assertion), &keys("rfc")).unwrap();
    let both = PinnedKeys::new(&[
        keys("okta").certificate().clone(),
        keys("rfc").certificate().clone(),
    ])
    .unwrap();
    assert_eq!(verify(&both, &signed).unwrap().len(), 1);
}

#[test]
fn another_key_or_a_changed_byte_is_invalid() {
    let signed = sign_response(&spec(SignMode::Assertion), &keys("rfc")).unwrap();
    assert_eq!(verify(&pinned("okta"), &signed), Err(DsigFailure::Invalid));
    let changed = signed.replace("alice@example.test", "mallory@example.test");
    assert_eq!(verify(&pinned("rfc"), &changed), Err(DsigFailure::Invalid));
    // The SignatureValue itself changed: one base64 character of it.
    let doc = xml::parse(&signed).unwrap();
    let mut values = Vec::new();
    doc.descendants(NS_DSIG, "SignatureValue", &mut values);
    let value = values[0].text();
    let flipped = if value.starts_with('A') { "B" } else { "A" };
    let tampered = signed.replacen(&value, &format!("{flipped}{}", &value[1..]), 1);
    assert_eq!(verify(&pinned("rfc"), &tampered), Err(DsigFailure::Invalid));
}

#[test]
fn sha1_digest_or_rsa_sha1_is_refused_even_when_the_signature_is_right() {
    let mut weak_digest = spec(SignMode::Assertion);
    weak_digest.digest_algorithm = DigestAlgorithm::Sha1;
    let mut weak_method = spec(SignMode::Assertion);
    weak_method.signature_algorithm = SignatureAlgorithm::RsaSha1;
    for spec in [weak_digest, weak_method] {
        let signed = sign_response(&spec, &keys("rfc")).unwrap();
        // The signature itself is right: bergshamra, an independent implementation with SHA-1
        // enabled, verifies it. Only the algorithm restriction refuses it.
        let key =
            bergshamra::keys::loader::load_x509_cert_der(keys("rfc").certificate().der()).unwrap();
        let mut manager = bergshamra::KeysManager::new();
        manager.add_key(key);
        let results =
            bergshamra::verify_all(&bergshamra::DsigContext::new(manager), &signed).unwrap();
        assert!(
            results.iter().all(|r| r.is_valid()),
            "the SHA-1 document is correctly signed"
        );
        assert_eq!(verify(&pinned("rfc"), &signed), Err(DsigFailure::Invalid));
    }
}

#[test]
fn unsigned_or_duplicate_or_malformed_ids_are_refused() {
    let pinned = pinned("rfc");
    let unsigned = spec(SignMode::Assertion).to_unsigned_xml();
    assert_eq!(verify(&pinned, &unsigned), Err(DsigFailure::Invalid));
    let signed = sign_response(&spec(SignMode::Assertion), &keys("rfc")).unwrap();
    let duplicated = signed.replacen(
        "<samlp:Status>",
        "<samlp:Status ID=\"_x\"><samlp:Extensions ID=\"_x\"/>",
        1,
    );
    assert_eq!(verify(&pinned, &duplicated), Err(DsigFailure::BadId));
    let not_ncname = signed.replacen("<samlp:Status>", "<samlp:Status ID=\"1 a\">", 1);
    assert_eq!(verify(&pinned, &not_ncname), Err(DsigFailure::BadId));
}

/// Each change keeps the signature and digest arithmetic right where it can, so only the shape rule refuses it.
#[test]
fn a_signature_of_another_shape_is_refused() {
    let pinned = pinned("rfc");
    let signed = sign_response(&spec(SignMode::Assertion), &keys("rfc")).unwrap();
    assert_eq!(verify(&pinned, &signed).unwrap().len(), 1);
    let cases = [
        // A comment inside DigestValue (xml-crypto CVE-2025-29775).
        ("<ds:DigestValue>", "<ds:DigestValue><!--x-->"),
        // An Object after SignatureValue.
        ("</ds:SignatureValue>", "</ds:SignatureValue><ds:Object/>"),
        // A second Reference.
        ("</ds:Reference>", "</ds:Reference><ds:Reference URI=\"\"/>"),
        // Inclusive c14n for SignedInfo.
        (
            "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
            "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>",
        ),
        // A Reference to no element.
        ("URI=\"#", "URI=\"#not-"),
    ];
    for (from, to) in cases {
        assert!(signed.contains(from), "{from}");
        let changed = signed.replacen(from, to, 1);
        assert_eq!(verify(&pinned, &changed), Err(DsigFailure::Invalid), "{to}");
    }
}

/// The Reference must point at the Signature's own parent: a Signature moved into another element with an
/// ID is not enveloped in what it covers.
#[test]
fn a_signature_that_does_not_cover_its_parent_is_refused() {
    let signed = sign_response(&spec(SignMode::Assertion), &keys("rfc")).unwrap();
    let mut doc = xml::parse(&signed).unwrap();
    let assertion = doc
        .child_mut(crate::xml::NS_ASSERTION, "Assertion")
        .unwrap();
    let at = assertion.child_index(NS_DSIG, "Signature").unwrap();
    let signature = assertion.children.remove(at);
    doc.children.push(signature);
    assert_eq!(pinned("rfc").verify(&doc), Err(DsigFailure::Invalid));
}
