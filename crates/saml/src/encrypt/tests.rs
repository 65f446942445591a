//! Unit tests of encryption and decryption: our own round trip for every content cipher and signing
//! mode, and bergshamra (an independent XML-Enc implementation) decrypting what we encrypt, so the
//! encryptor and the decryptor cannot share one mistake.

use std::path::PathBuf;

use super::*;
use crate::style::SignMode;
use crate::test_support::rfc_spec;
use crate::xml::NS_PROTOCOL;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn idp_keys() -> SigningKeys {
    SigningKeys::from_pem_files(
        fixtures().join("idp/rfc.key.pem"),
        fixtures().join("idp/rfc.cert.pem"),
    )
    .unwrap()
}

fn sp_encryption(content: ContentEncryption) -> Encryption {
    Encryption {
        key: EncryptionKey::from_pem_file(fixtures().join("target/sp.cert.pem")).unwrap(),
        content,
    }
}

fn sp_key() -> DecryptionKey {
    DecryptionKey::from_pem_file(fixtures().join("target/sp.key.pem")).unwrap()
}

fn encrypted_of(xml: &str) -> Element {
    let root = xml::parse(xml).unwrap();
    assert!(root.is(NS_PROTOCOL, "Response"));
    assert!(
        root.child(NS_ASSERTION, "Assertion").is_none(),
        "no plain assertion left"
    );
    root.child(NS_ASSERTION, "EncryptedAssertion")
        .unwrap()
        .clone()
}

#[test]
fn every_cipher_and_mode_round_trips_through_our_decryptor() {
    for content in ContentEncryption::ALL {
        for mode in SignMode::ALL {
            let mut spec = rfc_spec();
            spec.sign = mode;
            let xml = sign_and_encrypt(&spec, &idp_keys(), &sp_encryption(content)).unwrap();
            assert!(xml.contains(content.uri()), "{content:?}");
            let plain = decrypt_assertion(&encrypted_of(&xml), &sp_key()).unwrap();
            let assertion = xml::parse(&plain).unwrap();
            assert!(
                assertion.is(NS_ASSERTION, "Assertion"),
                "{content:?} {mode:?}"
            );
            assert_eq!(assertion.attr("ID"), Some(spec.assertion_id.as_str()));
            assert_eq!(
                assertion.child(crate::xml::NS_DSIG, "Signature").is_some(),
                mode.signs_assertion()
            );
        }
    }
}

#[test]
fn bergshamra_decrypts_what_we_encrypt_and_the_signatures_still_verify() {
    let sp_key_pem = std::fs::read(fixtures().join("target/sp.key.pem")).unwrap();
    let start = sp_key_pem.windows(5).position(|w| w == b"-----").unwrap();
    let idp_cert = idp_keys().certificate().clone();
    for content in ContentEncryption::ALL {
        for mode in SignMode::ALL {
            let mut spec = rfc_spec();
            spec.sign = mode;
            let xml = sign_and_encrypt(&spec, &idp_keys(), &sp_encryption(content)).unwrap();

            // The Response signature covers the ciphertext: an independent verifier accepts it as sent.
            if mode.signs_response() {
                assert_eq!(
                    bergshamra_verify(&xml, &idp_cert),
                    vec![true],
                    "{content:?}"
                );
            }
            let key = bergshamra::keys::loader::load_pem_auto(&sp_key_pem[start..], None).unwrap();
            let mut manager = bergshamra::KeysManager::new();
            manager.add_key(key);
            let ctx = bergshamra::EncContext::new(manager);
            let decrypted = bergshamra::decrypt(&ctx, &xml)
                .unwrap_or_else(|e| panic!("{content:?} {mode:?}: {e}"));
            let root = xml::parse(&decrypted).unwrap();
            let assertion = root
                .child(NS_ASSERTION, "EncryptedAssertion")
                .and_then(|e| e.child(NS_ASSERTION, "Assertion"))
                .unwrap_or_else(|| panic!("{content:?} {mode:?}: no assertion in {decrypted}"));
            assert_eq!(assertion.attr("ID"), Some(spec.assertion_id.as_str()));
            // The decrypted assertion's own signature verifies on its own (namespaces carried along).
            if mode.signs_assertion() {
                let alone = assertion.to_xml();
                assert_eq!(
                    bergshamra_verify(&alone, &idp_cert),
                    vec![true],
                    "{content:?}"
                );
            }
        }
    }
}

#[test]
fn another_key_cannot_decrypt_and_says_so_in_one_error() {
    let xml = sign_and_encrypt(
        &rfc_spec(),
        &idp_keys(),
        &sp_encryption(ContentEncryption::Aes256Cbc),
    )
    .unwrap();
    let other = DecryptionKey::from_pem_file(fixtures().join("idp/attacker.key.pem")).unwrap();
    let err = decrypt_assertion(&encrypted_of(&xml), &other).unwrap_err();
    assert!(matches!(err, DecryptError::Failed), "{err:?}");
    assert!(err.to_string().contains("another key"));
}

#[test]
fn rsa_v15_key_transport_is_refused_by_name() {
    let xml = sign_and_encrypt(
        &rfc_spec(),
        &idp_keys(),
        &sp_encryption(ContentEncryption::Aes128Gcm),
    )
    .unwrap()
    .replace(RSA_OAEP_MGF1P, "http://www.w3.org/2001/04/xmlenc#rsa-1_5");
    let err = decrypt_assertion(&encrypted_of(&xml), &sp_key()).unwrap_err();
    assert!(matches!(err, DecryptError::Algorithm { .. }), "{err:?}");
}

#[test]
fn content_encryption_names_parse() {
    for c in ContentEncryption::ALL {
        assert_eq!(c.name().parse::<ContentEncryption>().unwrap(), c);
    }
    assert!("des3".parse::<ContentEncryption>().is_err());
}

fn bergshamra_verify(xml: &str, cert: &Certificate) -> Vec<bool> {
    let key = bergshamra::keys::loader::load_x509_cert_der(cert.der()).unwrap();
    let mut manager = bergshamra::KeysManager::new();
    manager.add_key(key);
    let ctx = bergshamra::DsigContext::new(manager);
    bergshamra::verify_all(&ctx, xml)
        .unwrap()
        .iter()
        .map(|r| r.is_valid() && r.all_reference_digests_verified())
        .collect()
}
