//! Integration tests for the saml crate: every persona × signing mode round-trips through our verifier and bergshamra, encrypted or not, and every attack meets its expected fate.

mod attacks;
mod encrypted;
mod hostile_input;
mod roundtrip;
mod snapshots;

use std::path::PathBuf;
use std::sync::Arc;

use saml::{
    Certificate, ExpectedInResponseTo, FixedClock, IdpStyle, Login, ResponseSpec, SequentialIds,
    SignaturePolicy, SigningKeys, UserClaims, Verifier, VerifierConfig,
};
use time::macros::datetime;
use time::OffsetDateTime;

/// The fixed "now" of every test.
pub const NOW: OffsetDateTime = datetime!(2030-06-01 12:00:00.250 UTC);
pub const ACS: &str = "https://grafana.example.test/saml/acs";
pub const SP_ENTITY_ID: &str = "https://grafana.example.test/saml/metadata";
pub const REQUEST_ID: &str = "_request-0001";
pub const TENANT: &str = "0a1b2c3d-0000-4000-8000-00000000abcd";

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/idp")
        .join(name)
}

/// The reference target's TEST-ONLY SP encryption certificate, with the persona-neutral AES-256-CBC.
pub fn sp_encryption() -> saml::Encryption {
    saml::Encryption {
        key: saml::EncryptionKey::from_pem_file(fixture("../target/sp.cert.pem")).expect("sp cert"),
        content: saml::ContentEncryption::Aes256Cbc,
    }
}

/// The reference target's TEST-ONLY SP decryption key.
pub fn sp_decryption_key() -> saml::DecryptionKey {
    saml::DecryptionKey::from_pem_file(fixture("../target/sp.key.pem")).expect("sp key")
}

pub fn keys(name: &str) -> SigningKeys {
    SigningKeys::from_pem_files(
        fixture(&format!("{name}.key.pem")),
        fixture(&format!("{name}.cert.pem")),
    )
    .expect("fixture keys")
}

pub fn persona_keys(style: IdpStyle) -> SigningKeys {
    keys(style.name())
}

pub fn user(style: IdpStyle) -> UserClaims {
    let uid = match style {
        IdpStyle::Entra => "5f1e2d3c-4b5a-4697-8887-96a5b4c3d2e1",
        IdpStyle::Okta => "00ujl29u0le5T6Aj10h7",
        IdpStyle::Rfc => "uid-alice-0001",
    };
    UserClaims {
        uid: uid.to_owned(),
        login: "alice@example.test".to_owned(),
        email: "alice@example.test".to_owned(),
        display_name: "Alice Liddell".to_owned(),
        given_name: "Alice".to_owned(),
        surname: "Liddell".to_owned(),
        groups: vec!["Engineering".to_owned(), "Everyone".to_owned()],
    }
}

pub fn login(style: IdpStyle, in_response_to: Option<&str>) -> Login {
    Login {
        idp_entity_id: style.entity_id(TENANT),
        acs_url: ACS.to_owned(),
        audience: SP_ENTITY_ID.to_owned(),
        name_id: "alice@example.test".to_owned(),
        name_id_format: None,
        attributes: style.attributes_for(&user(style), TENANT),
        in_response_to: in_response_to.map(str::to_owned),
    }
}

pub fn spec(style: IdpStyle, in_response_to: Option<&str>) -> ResponseSpec {
    let clock = FixedClock::new(NOW);
    ResponseSpec::new(
        style,
        &login(style, in_response_to),
        &clock,
        &SequentialIds::starting_at(1),
    )
}

pub fn verifier_with(
    style: IdpStyle,
    policy: SignaturePolicy,
    pinned: Vec<Certificate>,
) -> Verifier {
    let mut config = VerifierConfig::new(style.entity_id(TENANT), SP_ENTITY_ID, ACS, pinned);
    config.signature_policy = policy;
    config.decryption_key = Some(sp_decryption_key());
    Verifier::new(config, Arc::new(FixedClock::new(NOW))).expect("verifier")
}

pub fn verifier(style: IdpStyle, policy: SignaturePolicy) -> Verifier {
    verifier_with(
        style,
        policy,
        vec![persona_keys(style).certificate().clone()],
    )
}

pub fn sp_initiated() -> ExpectedInResponseTo<'static> {
    ExpectedInResponseTo::Request(REQUEST_ID)
}

/// The second implementation: bergshamra (pure Rust), trusted keys only, strict XSW checks.
/// Returns one validity flag per Signature in the document.
pub fn bergshamra_verify(xml: &str, cert: &Certificate) -> Result<Vec<bool>, String> {
    let key =
        bergshamra::keys::loader::load_x509_cert_der(cert.der()).map_err(|e| e.to_string())?;
    let mut manager = bergshamra::KeysManager::new();
    manager.add_key(key);
    let ctx = bergshamra::DsigContext::new(manager);
    let results = bergshamra::verify_all(&ctx, xml).map_err(|e| e.to_string())?;
    Ok(results
        .iter()
        .map(|r| r.is_valid() && r.all_reference_digests_verified())
        .collect())
}
