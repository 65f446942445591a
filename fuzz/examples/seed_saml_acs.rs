//! Writes the saml_acs seeds into `corpus/saml_acs/` (or the folder given): each
//! persona's signed Response in every signing mode, SP- and IdP-initiated, and every
//! attack of the tamper catalogue, as the base64 `SAMLResponse` form value the ACS reads.
//! Run `cargo fuzz cmin saml_acs` after it.

use std::path::PathBuf;

use base64::Engine as _;
use saml::{
    sign_response, Attack, AttackContext, ExpectedInResponseTo, FixedClock, IdpStyle, Login,
    ResponseSpec, SequentialIds, SignMode, SigningKeys, UserClaims, DEFAULT_CLOCK_SKEW,
    GRAFANA_UID_ATTRIBUTE,
};
use scim_harness_fuzz::{
    persona_cert_pem, persona_key_pem, verifiers, ACS, NOW, PERSONAS, REQUEST_ID, SP_ENTITY_ID,
    TENANT,
};

fn keys(style: IdpStyle) -> SigningKeys {
    SigningKeys::from_pem(persona_key_pem(style), persona_cert_pem(style)).expect("test keys")
}

fn spec(style: IdpStyle, in_response_to: Option<&str>) -> ResponseSpec {
    let user = UserClaims {
        uid: "uid-alice-0001".to_owned(),
        login: "alice@example.test".to_owned(),
        email: "alice@example.test".to_owned(),
        display_name: "Alice Liddell".to_owned(),
        given_name: "Alice".to_owned(),
        surname: "Liddell".to_owned(),
        groups: vec!["Engineering".to_owned(), "Everyone".to_owned()],
    };
    let login = Login {
        idp_entity_id: style.entity_id(TENANT),
        acs_url: ACS.to_owned(),
        audience: SP_ENTITY_ID.to_owned(),
        name_id: "alice@example.test".to_owned(),
        name_id_format: None,
        attributes: style.attributes_for(&user, TENANT),
        in_response_to: in_response_to.map(str::to_owned),
    };
    ResponseSpec::new(
        style,
        &login,
        &FixedClock::new(NOW),
        &SequentialIds::starting_at(1),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("corpus/saml_acs"), PathBuf::from);
    std::fs::create_dir_all(&out)?;
    let write = |name: String, xml: &str| -> std::io::Result<()> {
        let value = base64::engine::general_purpose::STANDARD.encode(xml);
        std::fs::write(out.join(format!("seed-{name}")), value)
    };
    for style in PERSONAS {
        let keys = keys(style);
        for mode in [SignMode::Assertion, SignMode::Response, SignMode::Both] {
            for request in [Some(REQUEST_ID), None] {
                let mut spec = spec(style, request);
                spec.sign = mode;
                let xml = sign_response(&spec, &keys)?;
                let started = if request.is_some() { "sp" } else { "idp" };
                // A seed the verifier refuses would leave its later checks unexplored.
                let verifier = verifiers()
                    .iter()
                    .find(|(entity_id, _)| *entity_id == style.entity_id(TENANT))
                    .map(|(_, v)| v)
                    .ok_or("no verifier for the persona")?;
                let expected = match request {
                    Some(id) => ExpectedInResponseTo::Request(id),
                    None => ExpectedInResponseTo::Unsolicited,
                };
                if mode != SignMode::Response {
                    verifier.verify(&xml, expected)?;
                }
                write(format!("{}-{mode:?}-{started}", style.name()), &xml)?;
            }
        }
    }
    let trusted = keys(IdpStyle::Entra);
    let attacker = SigningKeys::from_pem(
        include_bytes!("../../fixtures/idp/attacker.key.pem"),
        include_bytes!("../../fixtures/idp/attacker.cert.pem"),
    )?;
    let ctx = AttackContext {
        trusted: &trusted,
        attacker: &attacker,
        uid_attribute: GRAFANA_UID_ATTRIBUTE,
        clock_skew: DEFAULT_CLOCK_SKEW,
        now: NOW,
        victim: None,
    };
    for attack in Attack::all() {
        let base = spec(IdpStyle::Entra, Some(REQUEST_ID));
        match attack.apply(&base, &ctx) {
            Ok(tampered) => write(format!("attack-{}", attack.name()), &tampered.xml)?,
            Err(e) => eprintln!("skipping attack {}: {e}", attack.name()),
        }
    }
    Ok(())
}
