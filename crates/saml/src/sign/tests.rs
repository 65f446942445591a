//! The signer refuses what it cannot sign as the template says.

use openssl::asn1::Asn1Time;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::{X509Name, X509};

use super::*;

/// A test-only P-256 key with a self-signed certificate.
fn ec_keys() -> SigningKeys {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509Name::builder().unwrap();
    name.append_entry_by_text("CN", "ec test").unwrap();
    let name = name.build();
    let mut cert = X509::builder().unwrap();
    cert.set_version(2).unwrap();
    cert.set_subject_name(&name).unwrap();
    cert.set_issuer_name(&name).unwrap();
    cert.set_pubkey(&key).unwrap();
    cert.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    cert.set_not_after(&Asn1Time::days_from_now(1).unwrap())
        .unwrap();
    cert.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = cert.build();
    SigningKeys::from_pem(
        &key.private_key_to_pem_pkcs8().unwrap(),
        &cert.to_pem().unwrap(),
    )
    .unwrap()
}

#[test]
fn a_key_that_is_not_rsa_is_refused_rather_than_mislabelled() {
    let spec = crate::test_support::rfc_spec();
    let err = sign_response(&spec, &ec_keys()).unwrap_err();
    assert!(
        matches!(err, SignError::Shape { detail, .. } if detail.contains("not an RSA key")),
        "{err}"
    );
}
