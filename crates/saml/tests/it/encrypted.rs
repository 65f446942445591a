//! Encrypted assertions through the verifier: every persona × signing mode × content cipher is accepted
//! with the SP's key; without a key, or under a policy the signatures do not meet, refused by name.

use std::sync::Arc;

use saml::{
    sign_and_encrypt, ContentEncryption, Encryption, FixedClock, IdpStyle, SignMode,
    SignaturePolicy, Verifier, VerifierConfig, VerifyError,
};

use crate::*;

fn encrypted(style: IdpStyle, mode: SignMode, content: ContentEncryption) -> String {
    let mut spec = spec(style, Some(REQUEST_ID));
    spec.sign = mode;
    let encryption = Encryption {
        content,
        ..sp_encryption()
    };
    sign_and_encrypt(&spec, &persona_keys(style), &encryption).expect("encrypt")
}

#[test]
fn every_persona_mode_and_cipher_is_accepted_with_the_sp_key() {
    for style in IdpStyle::ALL {
        let v = verifier(style, SignaturePolicy::ResponseOrAssertionSigned);
        for mode in SignMode::ALL {
            for content in ContentEncryption::ALL {
                let xml = encrypted(style, mode, content);
                let got = v
                    .verify(&xml, sp_initiated())
                    .unwrap_or_else(|e| panic!("{style:?} {mode:?} {content:?}: {e:?}"));
                assert_eq!(got.name_id, "alice@example.test");
                assert_eq!(got.response_signed, mode.signs_response());
                assert_eq!(got.assertion_signed, mode.signs_assertion());
            }
        }
    }
}

#[test]
fn the_persona_default_cipher_is_what_each_idp_emits() {
    assert_eq!(
        ContentEncryption::for_style(IdpStyle::Entra),
        ContentEncryption::Aes256Cbc
    );
    let xml = encrypted(
        IdpStyle::Rfc,
        SignMode::Assertion,
        ContentEncryption::for_style(IdpStyle::Rfc),
    );
    assert!(xml.contains("http://www.w3.org/2009/xmlenc11#aes128-gcm"));
}

#[test]
fn without_a_decryption_key_an_encrypted_assertion_is_refused_by_name() {
    let style = IdpStyle::Okta;
    let config = VerifierConfig::new(
        style.entity_id(TENANT),
        SP_ENTITY_ID,
        ACS,
        vec![persona_keys(style).certificate().clone()],
    );
    let v = Verifier::new(config, Arc::new(FixedClock::new(NOW))).unwrap();
    let xml = encrypted(style, SignMode::Both, ContentEncryption::Aes256Gcm);
    let err = v.verify(&xml, sp_initiated()).unwrap_err();
    assert!(matches!(err, VerifyError::EncryptedAssertion), "{err:?}");
}

#[test]
fn a_response_signature_alone_does_not_meet_an_assertion_signed_policy() {
    let style = IdpStyle::Entra;
    let xml = encrypted(style, SignMode::Response, ContentEncryption::Aes256Cbc);
    let err = verifier(style, SignaturePolicy::AssertionSigned)
        .verify(&xml, sp_initiated())
        .unwrap_err();
    assert!(matches!(err, VerifyError::AssertionUnsigned), "{err:?}");
}

#[test]
fn a_ciphertext_changed_under_a_response_signature_is_refused() {
    let style = IdpStyle::Rfc;
    let xml = encrypted(style, SignMode::Response, ContentEncryption::Aes128Cbc);
    // Flip one base64 character of the content's CipherValue (the last CipherValue in the document).
    let at = xml.rfind("</xenc:CipherValue>").unwrap() - 10;
    let mut bytes = xml.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let xml = String::from_utf8(bytes).unwrap();
    let err = verifier(style, SignaturePolicy::ResponseOrAssertionSigned)
        .verify(&xml, sp_initiated())
        .unwrap_err();
    assert!(matches!(err, VerifyError::SignatureInvalid(_)), "{err:?}");
}
