//! Each persona signs with its family's key in its family's dialect, overrides reach the
//! claims, attacks are applied, and an SP's redirect is answered with its ID and RelayState.

use std::path::PathBuf;
use std::sync::Arc;

use rstest::rstest;
use saml::binding::Redirect;
use saml::{ExpectedInResponseTo, FixedClock, SequentialIds, Verifier, VerifierConfig};
use time::macros::datetime;
use time::OffsetDateTime;

use super::*;

const NOW: OffsetDateTime = datetime!(2030-06-01 12:00:00.250 UTC);
const ACS: &str = "https://sp.example.test/saml/acs";
const AUDIENCE: &str = "https://sp.example.test/saml/metadata";
const TENANT: &str = "tenant-1";

fn keys() -> IdpKeys {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/idp");
    IdpKeys::load(&dir).expect("fixture keys")
}

fn alice() -> DirUser {
    let mut user = DirUser::new("dir-alice", "alice@example.test");
    user.profile.mail = Some("alice.mail@example.test".into());
    user.profile.display_name = Some("Alice Liddell".into());
    user
}

fn request(persona: PersonaId, user: &DirUser) -> LoginRequest<'_> {
    LoginRequest {
        persona,
        user,
        external_id: "ext-alice".into(),
        groups: vec!["Engineering".into()],
        overrides: ClaimOverrides::default(),
        sign: None,
        attack: None,
        victim: None,
        sp: SamlSp {
            acs_url: ACS.into(),
            audience: AUDIENCE.into(),
            uid_attribute: saml::GRAFANA_UID_ATTRIBUTE.into(),
        },
        tenant: TENANT.into(),
        in_response_to: None,
        rollover_key: false,
        encrypt_for: None,
    }
}

fn issue(keys: &IdpKeys, request: &LoginRequest<'_>) -> Result<IssuedLogin, LoginError> {
    issue_login_with(
        keys,
        request,
        &FixedClock::new(NOW),
        &SequentialIds::starting_at(1),
    )
}

/// A verifier that trusts only `persona`'s key, as the SP configured for that IdP does.
fn verifier(keys: &IdpKeys, persona: PersonaId) -> Verifier {
    let mut config = VerifierConfig::new(
        persona.saml_entity_id(TENANT),
        AUDIENCE,
        ACS,
        vec![keys.for_persona(persona).certificate().clone()],
    );
    config.signature_policy = saml::SignaturePolicy::ResponseOrAssertionSigned;
    Verifier::new(config, Arc::new(FixedClock::new(NOW))).expect("verifier")
}

#[test]
fn each_persona_family_has_one_saml_style() {
    let styles: Vec<_> = PersonaId::ALL.iter().map(|p| p.saml_style()).collect();
    assert_eq!(
        styles,
        [
            IdpStyle::Entra,
            IdpStyle::Entra,
            IdpStyle::Okta,
            IdpStyle::Okta,
            IdpStyle::Rfc
        ]
    );
    assert_eq!(
        PersonaId::OktaOin.saml_entity_id("org"),
        "http://www.okta.com/org"
    );
}

#[test]
fn personas_of_a_family_share_its_key() {
    let keys = keys();
    let cert = |p| keys.for_persona(p).certificate().der().to_vec();
    assert_eq!(cert(PersonaId::Entra), cert(PersonaId::EntraAadOpt));
    assert_eq!(cert(PersonaId::Okta), cert(PersonaId::OktaOin));
    assert_ne!(cert(PersonaId::Entra), cert(PersonaId::Okta));
    assert_ne!(cert(PersonaId::Rfc), keys.attacker.certificate().der());
}

#[test]
fn missing_keys_name_the_file() {
    let err = IdpKeys::load(Path::new("/nonexistent/keys")).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/keys/entra.key.pem"),
        "{err}"
    );
}

#[rstest]
fn a_login_verifies_with_the_personas_key(
    #[values(
        PersonaId::Entra,
        PersonaId::EntraAadOpt,
        PersonaId::Okta,
        PersonaId::OktaOin,
        PersonaId::Rfc
    )]
    persona: PersonaId,
) {
    let keys = keys();
    let user = alice();
    let issued = issue(&keys, &request(persona, &user)).unwrap();
    assert_eq!(issued.posts(), 1);
    let seen = verifier(&keys, persona)
        .verify(&issued.xml, ExpectedInResponseTo::Unsolicited)
        .unwrap();
    assert_eq!(seen.name_id, "alice@example.test");
    assert_eq!(
        seen.attribute_values(saml::GRAFANA_UID_ATTRIBUTE),
        ["ext-alice"]
    );
    assert!(issued.xml.contains("alice.mail@example.test"));
    assert!(issued.xml.contains(">Engineering<"));
}

/// `rollover_key`: signed with the next key, which a verifier trusting only the current
/// one refuses and one trusting both (the rollover metadata) accepts; without the pair in
/// the key folder, a clear error.
#[test]
fn a_rollover_login_is_signed_with_the_next_key() {
    let keys = keys();
    let user = alice();
    let next = keys.rollover.as_ref().expect("fixtures/idp/rollover.*.pem");
    let issued = issue(
        &keys,
        &LoginRequest {
            rollover_key: true,
            ..request(PersonaId::Okta, &user)
        },
    )
    .unwrap();
    assert!(verifier(&keys, PersonaId::Okta)
        .verify(&issued.xml, ExpectedInResponseTo::Unsolicited)
        .is_err());
    let mut config = VerifierConfig::new(
        PersonaId::Okta.saml_entity_id(TENANT),
        AUDIENCE,
        ACS,
        vec![
            keys.for_persona(PersonaId::Okta).certificate().clone(),
            next.certificate().clone(),
        ],
    );
    config.signature_policy = saml::SignaturePolicy::ResponseOrAssertionSigned;
    let both = Verifier::new(config, Arc::new(FixedClock::new(NOW))).expect("verifier");
    let seen = both
        .verify(&issued.xml, ExpectedInResponseTo::Unsolicited)
        .unwrap();
    assert_eq!(seen.name_id, "alice@example.test");

    let without = IdpKeys {
        rollover: None,
        ..keys
    };
    let err = issue(
        &without,
        &LoginRequest {
            rollover_key: true,
            ..request(PersonaId::Okta, &user)
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("rollover.key.pem"), "{err}");
}

#[test]
fn overrides_replace_the_directory_claims() {
    let keys = keys();
    let user = alice();
    let mut req = request(PersonaId::Okta, &user);
    req.overrides = ClaimOverrides {
        uid: Some("forged-uid".into()),
        email: Some("other@example.test".into()),
        name_id: Some("someone@example.test".into()),
        extra_attributes: Vec::new(),
    };
    req.sp.uid_attribute = "externalUid".into();
    req.sign = Some(saml::SignMode::Response);
    req.in_response_to = Some("_req-1".into());
    let issued = issue(&keys, &req).unwrap();
    let seen = verifier(&keys, PersonaId::Okta)
        .verify(&issued.xml, ExpectedInResponseTo::Request("_req-1"))
        .unwrap();
    assert_eq!(seen.name_id, "someone@example.test");
    assert_eq!(seen.attribute_values("externalUid"), ["forged-uid"]);
    assert!(seen
        .attribute_values(saml::GRAFANA_UID_ATTRIBUTE)
        .is_empty());
    assert_eq!(seen.attribute_values("Email"), ["other@example.test"]);
    assert!(seen.response_signed && !seen.assertion_signed);
}

#[test]
fn a_replay_attack_is_posted_twice_and_a_forgery_carries_the_victim() {
    let keys = keys();
    let user = alice();
    let mut req = request(PersonaId::Rfc, &user);
    req.attack = Some("replay".into());
    assert_eq!(issue(&keys, &req).unwrap().posts(), 2);

    req.attack = Some("untrusted-key".into());
    req.victim = Some(AttackVictim {
        name_id: "bob@example.test".into(),
        uid: "ext-bob".into(),
    });
    let forged = issue(&keys, &req).unwrap();
    assert_eq!(forged.posts(), 1);
    assert!(forged.xml.contains("bob@example.test"), "{}", forged.xml);
}

#[test]
fn attack_errors_say_which_attack() {
    let keys = keys();
    let user = alice();
    let mut req = request(PersonaId::Entra, &user);
    req.attack = Some("no-such-attack".into());
    let err = issue(&keys, &req).unwrap_err();
    assert!(matches!(err, LoginError::UnknownAttack(_)), "{err}");
    req.attack = Some("in-response-to-missing".into());
    let err = issue(&keys, &req).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("attack in-response-to-missing: "),
        "{err}"
    );
}

#[test]
fn the_window_edge_attacks_are_minted_ahead() {
    for &attack in Attack::all() {
        let lead = edge_lead(attack);
        let edge = matches!(
            attack,
            Attack::ExpiredInsideSkew | Attack::NotYetValidPastSkew
        );
        assert_eq!(
            lead,
            if edge { EDGE_LEAD } else { Duration::ZERO },
            "{attack:?}"
        );
    }
}

#[test]
fn an_authn_request_is_answered_with_its_id_and_relay_state() {
    let xml = "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
ID=\"_abc123\" Version=\"2.0\"><samlp:NameIDPolicy AllowCreate=\"true\"/></samlp:AuthnRequest>";
    let location = Redirect::request(xml, Some("_abc123".into()))
        .to_url("https://login.microsoftonline.com/t/saml2")
        .unwrap();
    assert_eq!(
        answer_authn_request(&location).unwrap(),
        AuthnRequestAnswer {
            id: "_abc123".into(),
            relay_state: Some("_abc123".into()),
        }
    );
}

#[rstest]
#[case::no_request("https://idp.test/sso?RelayState=x", "decoding the AuthnRequest: ")]
#[case::no_id(
    &Redirect::request("<AuthnRequest Version=\"2.0\"/>", None).to_url("https://idp.test/sso").unwrap(),
    "the AuthnRequest has no ID"
)]
#[case::not_xml(
    &Redirect::request("<a", None).to_url("https://idp.test/sso").unwrap(),
    "decoding the AuthnRequest: "
)]
fn a_bad_redirect_is_an_error(#[case] location: &str, #[case] says: &str) {
    let err = answer_authn_request(location).unwrap_err();
    assert!(err.to_string().starts_with(says), "{err}");
}

#[test]
fn a_response_is_not_an_authn_request() {
    let mut redirect = Redirect::request("<samlp:Response ID=\"_1\"/>", None);
    redirect.kind = saml::binding::MessageKind::Response;
    let location = redirect.to_url("https://idp.test/sso").unwrap();
    assert!(matches!(
        answer_authn_request(&location),
        Err(AuthnRequestError::NotARequest)
    ));
}
