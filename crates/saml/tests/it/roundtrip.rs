//! Every persona × signing mode builds, signs and verifies with our Verifier and with bergshamra; tampering, wrong pins and DOCTYPEs are refused.

use rstest::rstest;
use saml::{
    sign_response, ExpectedInResponseTo, IdpMetadata, IdpStyle, SignMode, SignaturePolicy,
    VerifyError, ENTRA_OBJECT_ID, GRAFANA_UID_ATTRIBUTE,
};

use crate::*;

/// Sign `spec` with the persona's key and verify it with our Verifier under the policy its
/// signing mode needs: the keys, the signed document and what the Verifier read back.
fn sign_and_verify(
    style: IdpStyle,
    spec: &saml::ResponseSpec,
) -> (saml::SigningKeys, String, saml::VerifiedAssertion) {
    let keys = persona_keys(style);
    let xml = sign_response(spec, &keys).expect("sign");
    let mode = spec.sign;
    let policy = if mode == SignMode::Response {
        SignaturePolicy::ResponseOrAssertionSigned
    } else {
        SignaturePolicy::AssertionSigned
    };
    let got = verifier(style, policy)
        .verify(&xml, sp_initiated())
        .unwrap_or_else(|e| panic!("{style:?}/{mode:?}: {e}\n{xml}"));
    (keys, xml, got)
}

#[rstest]
fn persona_and_mode_round_trip(
    #[values(IdpStyle::Entra, IdpStyle::Okta, IdpStyle::Rfc)] style: IdpStyle,
    #[values(SignMode::Assertion, SignMode::Response, SignMode::Both)] mode: SignMode,
) {
    let mut spec = spec(style, Some(REQUEST_ID));
    spec.sign = mode;
    let (keys, xml, got) = sign_and_verify(style, &spec);
    assert_eq!(got.issuer, style.entity_id(TENANT));
    assert_eq!(got.name_id, "alice@example.test");
    assert_eq!(
        got.name_id_format.as_deref(),
        Some(style.default_name_id_format())
    );
    assert_eq!(got.assertion_id, spec.assertion_id);
    assert_eq!(
        got.session_index.as_deref(),
        Some(spec.assertion_id.as_str())
    );
    assert_eq!(got.in_response_to.as_deref(), Some(REQUEST_ID));
    assert_eq!(Some(got.not_on_or_after), spec.earliest_expiry());
    assert_eq!(
        got.attribute_values(GRAFANA_UID_ATTRIBUTE),
        [user(style).uid.as_str()]
    );
    assert_eq!(got.response_signed, mode.signs_response());
    assert_eq!(got.assertion_signed, mode.signs_assertion());
    if style == IdpStyle::Entra {
        assert_eq!(
            got.attribute_values(ENTRA_OBJECT_ID),
            [user(style).uid.as_str()]
        );
    }
    // Multi-valued attribute, in order.
    let groups = if style == IdpStyle::Entra {
        "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
    } else {
        "Group"
    };
    assert_eq!(got.attribute_values(groups), ["Engineering", "Everyone"]);

    // The second implementation must accept every signature we produce.
    let flags = bergshamra_verify(&xml, keys.certificate()).expect("bergshamra");
    let expected = usize::from(mode.signs_response()) + usize::from(mode.signs_assertion());
    assert_eq!(
        flags,
        vec![true; expected],
        "{style:?}/{mode:?} with bergshamra"
    );
}

#[rstest]
fn idp_initiated_login_verifies_without_in_response_to(
    #[values(IdpStyle::Entra, IdpStyle::Okta, IdpStyle::Rfc)] style: IdpStyle,
) {
    let spec = spec(style, None);
    let xml = sign_response(&spec, &persona_keys(style)).unwrap();
    let v = verifier(style, SignaturePolicy::AssertionSigned);
    assert!(v.verify(&xml, ExpectedInResponseTo::Unsolicited).is_ok());
    assert!(matches!(
        v.verify(&xml, sp_initiated()),
        Err(VerifyError::InResponseTo { .. })
    ));
}

#[test]
fn sp_initiated_response_is_refused_as_unsolicited_and_accepted_from_a_list() {
    let style = IdpStyle::Okta;
    let xml = sign_response(&spec(style, Some(REQUEST_ID)), &persona_keys(style)).unwrap();
    let v = verifier(style, SignaturePolicy::AssertionSigned);
    assert!(matches!(
        v.verify(&xml, ExpectedInResponseTo::Unsolicited),
        Err(VerifyError::InResponseTo { .. })
    ));
    let outstanding = vec!["_other".to_owned(), REQUEST_ID.to_owned()];
    let got = v
        .verify(&xml, ExpectedInResponseTo::AnyOf(&outstanding))
        .unwrap();
    assert_eq!(got.in_response_to.as_deref(), Some(REQUEST_ID));
}

#[rstest]
fn tampering_after_signing_is_caught(
    #[values(IdpStyle::Entra, IdpStyle::Okta, IdpStyle::Rfc)] style: IdpStyle,
) {
    let keys = persona_keys(style);
    let xml = sign_response(&spec(style, Some(REQUEST_ID)), &keys).unwrap();
    let uid = user(style).uid;
    let tampered = xml.replace(&uid, "someone-else");
    assert_ne!(tampered, xml);
    let err = verifier(style, SignaturePolicy::AssertionSigned)
        .verify(&tampered, sp_initiated())
        .unwrap_err();
    assert!(matches!(err, VerifyError::SignatureInvalid(_)), "{err}");
    assert!(bergshamra_verify(&tampered, keys.certificate())
        .map(|f| f.iter().any(|ok| !ok))
        .unwrap_or(true));
}

#[test]
fn wrong_pinned_certificate_is_refused() {
    let style = IdpStyle::Entra;
    let xml = sign_response(&spec(style, Some(REQUEST_ID)), &persona_keys(style)).unwrap();
    // Pinned: Okta's certificate; the document carries Entra's in KeyInfo.
    let v = verifier_with(
        style,
        SignaturePolicy::AssertionSigned,
        vec![keys("okta").certificate().clone()],
    );
    let err = v.verify(&xml, sp_initiated()).unwrap_err();
    assert!(
        matches!(err, VerifyError::UntrustedCertificate { .. }),
        "{err}"
    );

    // Without KeyInfo the cryptographic check alone must refuse it.
    let start = xml.find("<KeyInfo>").unwrap();
    let end = xml.find("</KeyInfo>").unwrap() + "</KeyInfo>".len();
    let stripped = format!("{}{}", &xml[..start], &xml[end..]);
    let err = v.verify(&stripped, sp_initiated()).unwrap_err();
    assert!(matches!(err, VerifyError::SignatureInvalid(_)), "{err}");
    // The right pin accepts the KeyInfo-less document.
    assert!(verifier(style, SignaturePolicy::AssertionSigned)
        .verify(&stripped, sp_initiated())
        .is_ok());
}

#[test]
fn verifier_without_pins_is_refused() {
    let config = saml::VerifierConfig::new("a", "b", "c", Vec::new());
    let clock = std::sync::Arc::new(saml::FixedClock::new(NOW));
    assert!(matches!(
        saml::Verifier::new(config, clock),
        Err(VerifyError::NoPinnedCertificate)
    ));
}

#[test]
fn doctype_is_never_expanded() {
    // An entity that would turn a harmless NameID into the victim's, plus an external one:
    // both must be refused before parsing, whatever the signature.
    let style = IdpStyle::Rfc;
    let xml = sign_response(&spec(style, Some(REQUEST_ID)), &persona_keys(style)).unwrap();
    let v = verifier(style, SignaturePolicy::AssertionSigned);
    for doctype in [
        "<!DOCTYPE samlp:Response [<!ENTITY who \"alice@example.test\">]>",
        "<!DOCTYPE samlp:Response SYSTEM \"http://127.0.0.1:9/never-fetched.dtd\">",
        "<!doctype samlp:Response>",
    ] {
        let doc = format!(
            "{doctype}{}",
            xml.replacen(">alice@example.test<", ">&who;<", 1)
        );
        assert!(
            matches!(v.verify(&doc, sp_initiated()), Err(VerifyError::Doctype)),
            "{doctype}"
        );
    }
    // The crate's own parser refuses it too.
    assert!(matches!(
        saml::xml::parse("<!DOCTYPE r [<!ENTITY a \"b\">]><r>&a;</r>"),
        Err(saml::xml::XmlError::Doctype)
    ));
}

#[test]
fn post_binding_value_is_base64_of_the_document() {
    use base64::Engine as _;
    let style = IdpStyle::Okta;
    let xml = sign_response(&spec(style, Some(REQUEST_ID)), &persona_keys(style)).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&xml);
    let got = verifier(style, SignaturePolicy::BothSigned)
        .verify_post_value(&b64, sp_initiated())
        .unwrap();
    assert_eq!(got.name_id, "alice@example.test");
}

#[test]
fn response_only_signature_fails_an_assertion_policy() {
    let style = IdpStyle::Entra;
    let mut spec = spec(style, Some(REQUEST_ID));
    spec.sign = SignMode::Response;
    let xml = sign_response(&spec, &persona_keys(style)).unwrap();
    assert!(matches!(
        verifier(style, SignaturePolicy::AssertionSigned).verify(&xml, sp_initiated()),
        Err(VerifyError::AssertionUnsigned)
    ));
    spec.sign = SignMode::Assertion;
    let xml = sign_response(&spec, &persona_keys(style)).unwrap();
    assert!(matches!(
        verifier(style, SignaturePolicy::BothSigned).verify(&xml, sp_initiated()),
        Err(VerifyError::ResponseUnsigned)
    ));
}

#[test]
fn many_responses_sign_with_one_parsed_key() {
    let style = IdpStyle::Okta;
    let keys = persona_keys(style);
    let clock = saml::FixedClock::new(NOW);
    let ids = saml::SequentialIds::starting_at(100);
    let login = login(style, Some(REQUEST_ID));
    let v = verifier(style, SignaturePolicy::BothSigned);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..5 {
        let spec = saml::ResponseSpec::new(style, &login, &clock, &ids);
        let xml = sign_response(&spec, &keys).unwrap();
        let got = v.verify(&xml, sp_initiated()).unwrap();
        assert!(seen.insert(got.assertion_id));
    }
}

#[test]
fn metadata_names_the_entity_certificate_and_both_sso_bindings() {
    let style = IdpStyle::Entra;
    let keys = persona_keys(style);
    let md = IdpMetadata {
        entity_id: style.entity_id(TENANT),
        sso_url: style.sso_url(TENANT),
        signing_certificate: keys.certificate().clone(),
        next_certificates: Vec::new(),
        name_id_formats: vec![style.default_name_id_format().to_owned()],
    }
    .to_xml()
    .unwrap();
    let root = saml::xml::parse(&md).unwrap();
    assert!(root.is(saml::xml::NS_METADATA, "EntityDescriptor"));
    assert_eq!(
        root.attr("entityID"),
        Some(style.entity_id(TENANT).as_str())
    );
    let idp = root
        .child(saml::xml::NS_METADATA, "IDPSSODescriptor")
        .unwrap();
    let kd = idp.child(saml::xml::NS_METADATA, "KeyDescriptor").unwrap();
    assert_eq!(kd.attr("use"), Some("signing"));
    let mut certs = Vec::new();
    kd.descendants(saml::xml::NS_DSIG, "X509Certificate", &mut certs);
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].text().trim(), keys.certificate().to_base64());
    let bindings: Vec<_> = idp
        .children_named(saml::xml::NS_METADATA, "SingleSignOnService")
        .map(|s| {
            (
                s.attr("Binding").unwrap().to_owned(),
                s.attr("Location").unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        bindings,
        [
            (
                "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect".to_owned(),
                style.sso_url(TENANT)
            ),
            (
                "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST".to_owned(),
                style.sso_url(TENANT)
            ),
        ]
    );
}

#[test]
fn signed_response_without_destination_or_issuer_is_refused() {
    // SAML Bindings §3.5.5.2 and Profiles §4.1.4.2: a signed Response must name its Destination and Issuer.
    let style = IdpStyle::Okta;
    let v = verifier(style, SignaturePolicy::AssertionSigned);
    let mut s = spec(style, Some(REQUEST_ID));
    s.destination = None;
    let xml = sign_response(&s, &persona_keys(style)).unwrap();
    assert!(matches!(
        v.verify(&xml, sp_initiated()),
        Err(VerifyError::Destination { found: None, .. })
    ));

    let mut s = spec(style, Some(REQUEST_ID));
    s.response_issuer = None;
    let xml = sign_response(&s, &persona_keys(style)).unwrap();
    assert!(matches!(
        v.verify(&xml, sp_initiated()),
        Err(VerifyError::Issuer {
            what: "response",
            ..
        })
    ));

    // Unsigned Response envelope (Entra's default): both may be absent.
    let style = IdpStyle::Entra;
    let mut s = spec(style, Some(REQUEST_ID));
    s.destination = None;
    s.response_issuer = None;
    let xml = sign_response(&s, &persona_keys(style)).unwrap();
    assert!(verifier(style, SignaturePolicy::AssertionSigned)
        .verify(&xml, sp_initiated())
        .is_ok());
}

#[test]
fn bearer_confirmation_and_audience_restriction_are_required() {
    let style = IdpStyle::Rfc;
    let v = verifier(style, SignaturePolicy::AssertionSigned);
    let mut s = spec(style, Some(REQUEST_ID));
    s.subject_confirmation.method = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key".to_owned();
    let xml = sign_response(&s, &persona_keys(style)).unwrap();
    assert!(matches!(
        v.verify(&xml, sp_initiated()),
        Err(VerifyError::NoBearerConfirmation)
    ));

    let mut s = spec(style, Some(REQUEST_ID));
    s.conditions.as_mut().unwrap().audiences.clear();
    let xml = sign_response(&s, &persona_keys(style)).unwrap();
    assert!(matches!(
        v.verify(&xml, sp_initiated()),
        Err(VerifyError::NoAudienceRestriction)
    ));

    let mut s = spec(style, Some(REQUEST_ID));
    s.subject_confirmation.not_on_or_after = None;
    let xml = sign_response(&s, &persona_keys(style)).unwrap();
    assert!(matches!(
        v.verify(&xml, sp_initiated()),
        Err(VerifyError::Malformed { .. })
    ));
}

#[test]
fn a_later_clock_expires_a_valid_login() {
    // Entra: SubjectConfirmationData ends 5 min after issue; 60 s skew; the edge is exclusive.
    let style = IdpStyle::Entra;
    let xml = sign_response(&spec(style, Some(REQUEST_ID)), &persona_keys(style)).unwrap();
    let clock = std::sync::Arc::new(saml::FixedClock::new(NOW));
    let config = saml::VerifierConfig::new(
        style.entity_id(TENANT),
        SP_ENTITY_ID,
        ACS,
        vec![persona_keys(style).certificate().clone()],
    );
    let v = saml::Verifier::new(config, clock.clone()).unwrap();
    clock.advance(time::Duration::minutes(6) - time::Duration::SECOND);
    assert!(v.verify(&xml, sp_initiated()).is_ok());
    clock.advance(time::Duration::SECOND);
    assert!(matches!(
        v.verify(&xml, sp_initiated()),
        Err(VerifyError::Expired { .. })
    ));
}

/// The signer canonicalizes what it wrote itself: characters that exclusive c14n escapes or keeps
/// (`& < > " '`, tab, newline, carriage return, non-ASCII) in text and in attribute values must give
/// signatures that xmlsec and bergshamra both accept, and read back unchanged.
#[rstest]
fn awkward_characters_sign_and_verify_with_both_implementations(
    #[values(IdpStyle::Entra, IdpStyle::Okta, IdpStyle::Rfc)] style: IdpStyle,
    #[values(SignMode::Assertion, SignMode::Response, SignMode::Both)] mode: SignMode,
) {
    const AWKWARD: &str = "a&b<c>d\"e'f\tg\nh\ri é ☃ \u{1F600} ]]> &amp;";
    let mut spec = spec(style, Some(REQUEST_ID));
    spec.sign = mode;
    spec.name_id = format!("alice{AWKWARD}@example.test");
    spec.authn.context_class = format!("urn:x:{AWKWARD}");
    spec.authn.session_index = Some(format!("s{AWKWARD}"));
    spec.attributes.push(saml::Attribute {
        name: format!("n{AWKWARD}"),
        name_format: Some(format!("urn:f:{AWKWARD}")),
        values: vec![AWKWARD.to_owned(), String::new(), " ".to_owned()],
    });
    let (keys, xml, got) = sign_and_verify(style, &spec);
    assert_eq!(got.name_id, spec.name_id);
    assert_eq!(got.session_index, spec.authn.session_index);
    assert_eq!(
        got.attribute_values(&format!("n{AWKWARD}")),
        [AWKWARD, "", " "]
    );
    let flags = bergshamra_verify(&xml, keys.certificate()).expect("bergshamra");
    let expected = usize::from(mode.signs_response()) + usize::from(mode.signs_assertion());
    assert_eq!(
        flags,
        vec![true; expected],
        "{style:?}/{mode:?} with bergshamra\n{xml}"
    );
}
