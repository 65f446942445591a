//! Every attack in the catalogue, against every persona: refused by the verifier, by the SP layer it names, or accepted as a control.

use std::collections::HashSet;

use rstest::rstest;
use saml::{
    Attack, AttackContext, Delivery, ExpectedOutcome, IdpStyle, SignaturePolicy, SpCheck,
    DEFAULT_CLOCK_SKEW, GRAFANA_UID_ATTRIBUTE,
};

use crate::*;

/// One line per catalogue entry: the attack's name and the `VerifyError` variant expected
/// (`-` where the verifier must accept it).
const CASES: &[(&str, &str)] = &[
    ("unsigned", "Unsigned"),
    ("modified-after-signing", "SignatureInvalid"),
    ("untrusted-key", "UntrustedCertificate"),
    ("xsw1", "AssertionCount"),
    ("xsw2", "AssertionCount"),
    ("xsw3", "AssertionCount"),
    ("xsw4", "AssertionCount"),
    ("xsw5", "AssertionCount"),
    ("xsw6", "AssertionCount"),
    ("xsw7", "AssertionCount"),
    ("xsw8", "AssertionCount"),
    ("multiple-assertions-first-unsigned", "AssertionCount"),
    ("comment-in-name-id", "Comment"),
    ("comment-in-uid", "Comment"),
    ("doctype-entity-expansion", "Doctype"),
    ("external-entity", "Doctype"),
    ("sha1-digest", "WeakAlgorithm"),
    ("rsa-sha1-signature", "WeakAlgorithm"),
    ("expired", "Expired"),
    ("not-yet-valid", "NotYetValid"),
    ("expired-past-skew", "Expired"),
    ("expired-inside-skew", "-"),
    ("not-yet-valid-past-skew", "NotYetValid"),
    ("not-yet-valid-inside-skew", "-"),
    ("wrong-audience", "Audience"),
    ("wrong-recipient", "Recipient"),
    ("wrong-destination", "Destination"),
    ("wrong-issuer", "Issuer"),
    ("status-not-success", "Status"),
    ("in-response-to-unknown", "InResponseTo"),
    ("in-response-to-missing", "InResponseTo"),
    ("replay", "-"),
    ("uid-missing", "-"),
    ("uid-empty", "-"),
    ("uid-two-values", "-"),
    ("uid-two-attributes", "-"),
    ("uid-name-case-changed", "-"),
    ("subject-confirmation-expired", "Expired"),
    ("session-expired", "Expired"),
    ("holder-of-key-confirmation", "NoBearerConfirmation"),
    ("digest-value-comment", "Comment"),
    ("signed-info-twice", "SignatureShape"),
    ("cloned-certificate", "UntrustedCertificate"),
    ("hmac-with-certificate", "WeakAlgorithm"),
    ("md5-digest", "WeakAlgorithm"),
    ("xslt-transform", "SignatureShape"),
    ("many-groups", "-"),
    ("uid-value-case-changed", "-"),
    ("uid-value-whitespace", "-"),
    ("encrypted-unsigned", "Unsigned"),
    ("encrypted-plus-plain", "AssertionCount"),
    ("encrypted-for-other-key", "Decrypt"),
    ("encrypted-response-signed", "-"),
];

#[test]
fn every_attack_has_a_case_and_names_round_trip() {
    let names: Vec<&str> = Attack::all().iter().map(|a| a.name()).collect();
    let cased: Vec<&str> = CASES.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, cased);
    for a in Attack::all() {
        assert_eq!(a.name().parse::<Attack>().unwrap(), *a);
    }
    assert!("no-such-attack".parse::<Attack>().is_err());
}

/// The SP's identity rule as the reference target will apply it: exactly one value, non-empty, equal
/// (case-sensitively) to the provisioned externalId (grafana-target.md §6).
fn identity_rule_accepts(got: &saml::VerifiedAssertion, provisioned_uid: &str) -> bool {
    matches!(got.attribute_values(GRAFANA_UID_ATTRIBUTE).as_slice(), [v] if !v.is_empty() && *v == provisioned_uid)
}

#[track_caller]
fn check(name: &str) {
    let attack: Attack = name.parse().expect("known attack");
    let (_, expected_error) = CASES.iter().find(|(n, _)| *n == name).unwrap();
    let attacker = keys("attacker");
    let encryption = sp_encryption();
    for style in IdpStyle::ALL {
        let trusted = persona_keys(style);
        let ctx = AttackContext {
            trusted: &trusted,
            attacker: &attacker,
            uid_attribute: GRAFANA_UID_ATTRIBUTE,
            clock_skew: DEFAULT_CLOCK_SKEW,
            now: NOW,
            victim: None,
            encrypt_for: Some(&encryption),
        };
        let base = spec(style, Some(REQUEST_ID));
        let tampered = attack
            .apply(&base, &ctx)
            .unwrap_or_else(|e| panic!("{name}/{style:?}: {e}"));
        assert_eq!(tampered.expected, attack.expected());
        // The most permissive policy, so that a refusal comes from the attack, not from the policy.
        let v = verifier(style, SignaturePolicy::ResponseOrAssertionSigned);
        let result = v.verify(&tampered.xml, sp_initiated());
        let provisioned_uid = user(style).uid;
        match tampered.expected {
            ExpectedOutcome::VerifierRejects => {
                let err =
                    result.expect_err(&format!("{name}/{style:?} was accepted:\n{}", tampered.xml));
                let debug = format!("{err:?}");
                assert!(
                    debug.starts_with(expected_error),
                    "{name}/{style:?}: expected {expected_error}, got {debug}"
                );
            }
            ExpectedOutcome::Accepted => {
                let got =
                    result.unwrap_or_else(|e| panic!("{name}/{style:?} control refused: {e}"));
                assert!(identity_rule_accepts(&got, &provisioned_uid));
            }
            ExpectedOutcome::SpRejects(SpCheck::ReplayCache) => {
                assert_eq!(tampered.delivery, Delivery::Twice);
                let mut cache = HashSet::new();
                let first = result.unwrap_or_else(|e| panic!("{name}/{style:?}: {e}"));
                assert!(cache.insert(first.assertion_id));
                let second = v.verify(&tampered.xml, sp_initiated()).unwrap();
                assert!(
                    !cache.insert(second.assertion_id),
                    "replay cache must refuse the second post"
                );
            }
            ExpectedOutcome::SpRejects(SpCheck::IdentityLink) => {
                let got = result.unwrap_or_else(|e| panic!("{name}/{style:?}: {e}"));
                assert!(
                    !identity_rule_accepts(&got, &provisioned_uid),
                    "{name}/{style:?}: identity rule should refuse {:?}",
                    got.attributes
                );
            }
        }
    }
}

#[rstest]
#[case::unsigned("unsigned")]
#[case::modified_after_signing("modified-after-signing")]
#[case::untrusted_key("untrusted-key")]
#[case::xsw1("xsw1")]
#[case::xsw2("xsw2")]
#[case::xsw3("xsw3")]
#[case::xsw4("xsw4")]
#[case::xsw5("xsw5")]
#[case::xsw6("xsw6")]
#[case::xsw7("xsw7")]
#[case::xsw8("xsw8")]
#[case::multiple_assertions_first_unsigned("multiple-assertions-first-unsigned")]
#[case::comment_in_name_id("comment-in-name-id")]
#[case::comment_in_uid("comment-in-uid")]
#[case::doctype_entity_expansion("doctype-entity-expansion")]
#[case::external_entity("external-entity")]
#[case::sha1_digest("sha1-digest")]
#[case::rsa_sha1_signature("rsa-sha1-signature")]
#[case::expired("expired")]
#[case::not_yet_valid("not-yet-valid")]
#[case::expired_past_skew("expired-past-skew")]
#[case::expired_inside_skew("expired-inside-skew")]
#[case::not_yet_valid_past_skew("not-yet-valid-past-skew")]
#[case::not_yet_valid_inside_skew("not-yet-valid-inside-skew")]
#[case::wrong_audience("wrong-audience")]
#[case::wrong_recipient("wrong-recipient")]
#[case::wrong_destination("wrong-destination")]
#[case::wrong_issuer("wrong-issuer")]
#[case::status_not_success("status-not-success")]
#[case::in_response_to_unknown("in-response-to-unknown")]
#[case::in_response_to_missing("in-response-to-missing")]
#[case::replay("replay")]
#[case::uid_missing("uid-missing")]
#[case::uid_empty("uid-empty")]
#[case::uid_two_values("uid-two-values")]
#[case::uid_two_attributes("uid-two-attributes")]
#[case::uid_name_case_changed("uid-name-case-changed")]
#[case::subject_confirmation_expired("subject-confirmation-expired")]
#[case::session_expired("session-expired")]
#[case::holder_of_key_confirmation("holder-of-key-confirmation")]
#[case::digest_value_comment("digest-value-comment")]
#[case::signed_info_twice("signed-info-twice")]
#[case::cloned_certificate("cloned-certificate")]
#[case::hmac_with_certificate("hmac-with-certificate")]
#[case::md5_digest("md5-digest")]
#[case::xslt_transform("xslt-transform")]
#[case::many_groups("many-groups")]
#[case::uid_value_case_changed("uid-value-case-changed")]
#[case::uid_value_whitespace("uid-value-whitespace")]
#[case::encrypted_unsigned("encrypted-unsigned")]
#[case::encrypted_plus_plain("encrypted-plus-plain")]
#[case::encrypted_for_other_key("encrypted-for-other-key")]
#[case::encrypted_response_signed("encrypted-response-signed")]
fn attack(#[case] name: &str) {
    check(name);
}

/// Comment injection leaves the canonical signed bytes alone, so its signatures must still verify (else the case
/// proves nothing): bergshamra, a second implementation, accepts every signature in them.
#[rstest]
#[case::comment_in_name_id("comment-in-name-id")]
#[case::comment_in_uid("comment-in-uid")]
fn rewritten_documents_keep_a_cryptographically_valid_signature(#[case] name: &str) {
    let attack: Attack = name.parse().unwrap();
    for style in IdpStyle::ALL {
        let trusted = persona_keys(style);
        let attacker = keys("attacker");
        let ctx = AttackContext {
            trusted: &trusted,
            attacker: &attacker,
            uid_attribute: GRAFANA_UID_ATTRIBUTE,
            clock_skew: DEFAULT_CLOCK_SKEW,
            now: NOW,
            victim: None,
            encrypt_for: None,
        };
        let t = attack.apply(&spec(style, Some(REQUEST_ID)), &ctx).unwrap();
        let flags = bergshamra_verify(&t.xml, trusted.certificate()).unwrap();
        assert!(
            !flags.is_empty() && flags.iter().all(|f| *f),
            "{name}/{style:?}: {flags:?}"
        );
    }
}

/// The one-window and control documents are validly signed by the trusted key, so a refusal can only come
/// from the window or method check under test: bergshamra accepts every signature in them.
#[rstest]
#[case::subject_confirmation_expired("subject-confirmation-expired")]
#[case::session_expired("session-expired")]
#[case::holder_of_key_confirmation("holder-of-key-confirmation")]
#[case::many_groups("many-groups")]
fn one_window_documents_are_validly_signed(#[case] name: &str) {
    for style in IdpStyle::ALL {
        let t = apply(name, style);
        let flags = bergshamra_verify(&t.xml, persona_keys(style).certificate()).unwrap();
        assert!(
            !flags.is_empty() && flags.iter().all(|f| *f),
            "{name}/{style:?}: {flags:?}"
        );
    }
}

/// The signature differentials say what the trusted key never signed: bergshamra, an independent verifier with
/// the trusted key only, refuses them too (an error, or a signature that does not verify).
#[rstest]
#[case::digest_value_comment("digest-value-comment")]
#[case::signed_info_twice("signed-info-twice")]
#[case::cloned_certificate("cloned-certificate")]
#[case::hmac_with_certificate("hmac-with-certificate")]
fn signature_differentials_fail_an_independent_verifier(#[case] name: &str) {
    for style in IdpStyle::ALL {
        let t = apply(name, style);
        match bergshamra_verify(&t.xml, persona_keys(style).certificate()) {
            Err(_) => {}
            Ok(flags) => assert!(flags.iter().any(|f| !*f), "{name}/{style:?}: {flags:?}"),
        }
    }
}

/// `digest-value-comment` keeps the signature over SignedInfo intact (exclusive c14n drops the comment):
/// with the comment removed, only the assertion's digest fails, which is what the CVE's reader never checked.
#[test]
fn digest_value_comment_keeps_the_signed_info_bytes() {
    for style in IdpStyle::ALL {
        let t = apply("digest-value-comment", style);
        let (before, rest) = t.xml.split_once("<!--").expect("a comment");
        let (forged, after) = rest.split_once("-->").expect("a closed comment");
        assert!(!forged.is_empty());
        let genuine = attack_free(style);
        let digest = |xml: &str| {
            let start = xml.find("DigestValue>").unwrap() + "DigestValue>".len();
            xml[start..start + 44].to_owned()
        };
        assert_eq!(digest(&format!("{before}{after}")), digest(&genuine));
        assert_ne!(forged, digest(&genuine));
    }
}

fn attack_free(style: IdpStyle) -> String {
    let mut spec = spec(style, Some(REQUEST_ID));
    spec.sign = saml::SignMode::Assertion;
    saml::sign_response(&spec, &persona_keys(style)).unwrap()
}

fn apply(name: &str, style: IdpStyle) -> saml::Tampered {
    let attack: Attack = name.parse().unwrap();
    let trusted = persona_keys(style);
    let attacker = keys("attacker");
    let encryption = sp_encryption();
    let ctx = AttackContext {
        trusted: &trusted,
        attacker: &attacker,
        uid_attribute: GRAFANA_UID_ATTRIBUTE,
        clock_skew: DEFAULT_CLOCK_SKEW,
        now: NOW,
        victim: None,
        encrypt_for: Some(&encryption),
    };
    attack
        .apply(&spec(style, Some(REQUEST_ID)), &ctx)
        .unwrap_or_else(|e| panic!("{name}/{style:?}: {e}"))
}

#[test]
fn sp_initiated_attacks_need_an_outstanding_request() {
    let style = IdpStyle::Okta;
    let trusted = persona_keys(style);
    let attacker = keys("attacker");
    let ctx = AttackContext {
        trusted: &trusted,
        attacker: &attacker,
        uid_attribute: GRAFANA_UID_ATTRIBUTE,
        clock_skew: DEFAULT_CLOCK_SKEW,
        now: NOW,
        victim: None,
        encrypt_for: None,
    };
    assert!(Attack::InResponseToMissing.needs_sp_initiated());
    assert!(Attack::InResponseToMissing
        .apply(&spec(style, None), &ctx)
        .is_err());
}

/// The re-made signatures digest the assertion as the signer does: where the content and the digest
/// algorithm are unchanged (the XSLT transform copies its input), the DigestValue equals the genuine one.
#[test]
fn remade_signatures_digest_the_assertion_as_the_signer_does() {
    let digest = |xml: &str| {
        let start = xml.find("DigestValue>").unwrap() + "DigestValue>".len();
        let end = start + xml[start..].find('<').unwrap();
        xml[start..end].to_owned()
    };
    for style in IdpStyle::ALL {
        let genuine = attack_free(style);
        assert_eq!(
            digest(&apply("xslt-transform", style).xml),
            digest(&genuine)
        );
        let md5 = digest(&apply("md5-digest", style).xml);
        assert_eq!(md5.len(), 24, "{md5}");
        assert!(apply("md5-digest", style).xml.contains("xmldsig-more#md5"));
        assert!(apply("hmac-with-certificate", style)
            .xml
            .contains("xmldsig-more#hmac-sha256"));
    }
}
