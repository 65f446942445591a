//! The signer refuses what it cannot sign as the template says.

use super::*;
use crate::keys::KeyError;

#[test]
fn a_key_that_is_not_rsa_is_refused_rather_than_mislabelled() {
    // A P-256 key with a self-signed certificate (rcgen's default key type).
    let ec = rcgen::generate_simple_self_signed(vec!["ec-test.example".to_owned()]).unwrap();
    let err = SigningKeys::from_pem(
        ec.signing_key.serialize_pem().as_bytes(),
        ec.cert.pem().as_bytes(),
    )
    .unwrap_err();
    assert!(matches!(err, KeyError::NotRsa { .. }), "{err}");
}

#[test]
fn a_key_that_does_not_match_its_certificate_is_refused() {
    let idp = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/idp");
    let err = SigningKeys::from_pem_files(idp.join("rfc.key.pem"), idp.join("entra.cert.pem"))
        .unwrap_err();
    assert!(matches!(err, KeyError::Mismatch), "{err}");
    SigningKeys::from_pem_files(idp.join("rfc.key.pem"), idp.join("rfc.cert.pem")).unwrap();
}
