//! The xmlsec call with keys parsed once: valid signatures pass, and what the C side restricts is refused
//! even without the Rust-side shape checks in front of it.

use std::path::PathBuf;

use super::*;
use crate::keys::SigningKeys;
use crate::sign::sign_response;
use crate::spec::ResponseSpec;
use crate::style::{DigestAlgorithm, SignMode, SignatureAlgorithm};

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

#[test]
fn every_signature_verifies_and_each_reference_gives_its_predigest() {
    let signed = sign_response(&spec(SignMode::Both), &keys("rfc")).unwrap();
    let parts = pinned("rfc").verify(&signed).unwrap();
    assert_eq!(parts.len(), 2);
    assert!(parts.iter().any(|p| p.starts_with(b"<samlp:Response")));
    assert!(parts.iter().any(|p| p.starts_with(b"<saml:Assertion")));
}

#[test]
fn another_key_or_a_changed_byte_is_invalid() {
    let signed = sign_response(&spec(SignMode::Assertion), &keys("rfc")).unwrap();
    assert_eq!(pinned("okta").verify(&signed), Err(XmlsecFailure::Invalid));
    let changed = signed.replace("alice@example.test", "mallory@example.test");
    assert_eq!(pinned("rfc").verify(&changed), Err(XmlsecFailure::Invalid));
}

#[test]
fn sha1_digest_or_rsa_sha1_is_refused_even_when_the_signature_is_right() {
    let mut weak_digest = spec(SignMode::Assertion);
    weak_digest.digest_algorithm = DigestAlgorithm::Sha1;
    let mut weak_method = spec(SignMode::Assertion);
    weak_method.signature_algorithm = SignatureAlgorithm::RsaSha1;
    let cert = CertificateDer::from(keys("rfc").certificate().der().to_vec());
    for spec in [weak_digest, weak_method] {
        let signed = sign_response(&spec, &keys("rfc")).unwrap();
        // The signature itself is right: xmlsec through samael, with every algorithm it
        // knows enabled, verifies it (IDs registered on `ID`). Only the algorithm
        // restriction refuses it.
        assert!(
            Crypto::verify_signed_xml(signed.as_bytes(), &cert, Some("ID")).is_ok(),
            "the SHA-1 document is correctly signed"
        );
        assert_eq!(pinned("rfc").verify(&signed), Err(XmlsecFailure::Invalid));
    }
}

#[test]
fn unsigned_malformed_or_duplicate_ids_are_refused() {
    let pinned = pinned("rfc");
    let unsigned = spec(SignMode::Assertion).to_unsigned_xml();
    assert_eq!(pinned.verify(&unsigned), Err(XmlsecFailure::Invalid));
    assert_eq!(pinned.verify("<a><b></a>"), Err(XmlsecFailure::Parse));
    let signed = sign_response(&spec(SignMode::Assertion), &keys("rfc")).unwrap();
    let duplicated = signed.replacen(
        "<samlp:Status>",
        "<samlp:Status ID=\"_x\"><samlp:Extensions ID=\"_x\"/>",
        1,
    );
    assert_eq!(pinned.verify(&duplicated), Err(XmlsecFailure::BadId));
}
