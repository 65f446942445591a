//! What the fuzz targets share: sample SCIM resources to evaluate filters and apply
//! PATCHes to, and the reference SP's side of a SAML login (its verifiers, pinned to the
//! test personas' certificates in `fixtures/idp`, at a fixed instant).

use std::sync::{Arc, OnceLock};

use saml::{Certificate, ExpectedInResponseTo, FixedClock, IdpStyle, Verifier, VerifierConfig};
use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;

/// A provisioned user with every kind of attribute a filter or a PATCH path can reach:
/// simple, complex, multi-valued, the enterprise extension.
pub fn sample_user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "5f1e2d3c-4b5a-4697-8887-96a5b4c3d2e1",
        "userName": "alice@example.test",
        "name": {"givenName": "Alice", "familyName": "Liddell", "formatted": "Alice Liddell"},
        "displayName": "Alice Liddell",
        "active": true,
        "emails": [
            {"value": "alice@example.test", "type": "work", "primary": true},
            {"value": "alice@home.example", "type": "home"}
        ],
        "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
        "addresses": [{"type": "work", "formatted": "1 Rabbit Hole", "primary": true}],
        "roles": [{"value": "Editor", "primary": "True"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
        },
        "meta": {
            "resourceType": "User",
            "created": "2030-01-01T00:00:00Z",
            "lastModified": "2030-01-02T00:00:00Z"
        }
    })
}

/// A group with two members.
pub fn sample_group() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "externalId": "b5b3a4d2-0000-4000-8000-000000000001",
        "displayName": "Engineering",
        "members": [
            {"value": "2819c223-7f76-453a-919d-413861904646", "display": "Alice"},
            {"value": "902c246b-6245-4190-8e05-00816be7344a", "display": "Bob"}
        ],
        "meta": {"resourceType": "Group"}
    })
}

/// The instant every saml_acs input is verified at (the seeds are issued at it).
pub const NOW: OffsetDateTime = datetime!(2030-06-01 12:00:00 UTC);
/// The reference SP's ACS URL and entity id in the seeds and the verifiers.
pub const ACS: &str = "https://grafana.example.test/saml/acs";
pub const SP_ENTITY_ID: &str = "https://grafana.example.test/saml/metadata";
/// The AuthnRequest the SP has outstanding.
pub const REQUEST_ID: &str = "_request-0001";
pub const TENANT: &str = "0a1b2c3d-0000-4000-8000-00000000abcd";
/// The personas the SP trusts, in the order their verifiers are tried.
pub const PERSONAS: [IdpStyle; 3] = [IdpStyle::Entra, IdpStyle::Okta, IdpStyle::Rfc];

/// A persona's test certificate (PEM), compiled in so the target needs no files.
pub fn persona_cert_pem(style: IdpStyle) -> &'static [u8] {
    match style {
        IdpStyle::Entra => include_bytes!("../../fixtures/idp/entra.cert.pem"),
        IdpStyle::Okta => include_bytes!("../../fixtures/idp/okta.cert.pem"),
        IdpStyle::Rfc => include_bytes!("../../fixtures/idp/rfc.cert.pem"),
    }
}

/// A persona's test signing key (PEM), for the seeds.
pub fn persona_key_pem(style: IdpStyle) -> &'static [u8] {
    match style {
        IdpStyle::Entra => include_bytes!("../../fixtures/idp/entra.key.pem"),
        IdpStyle::Okta => include_bytes!("../../fixtures/idp/okta.key.pem"),
        IdpStyle::Rfc => include_bytes!("../../fixtures/idp/rfc.key.pem"),
    }
}

/// One verifier per trusted persona (the reference SP's `[auth.saml]` defaults: the
/// assertion must be signed), built once.
pub fn verifiers() -> &'static [(String, Verifier)] {
    static VERIFIERS: OnceLock<Vec<(String, Verifier)>> = OnceLock::new();
    VERIFIERS.get_or_init(|| {
        PERSONAS
            .iter()
            .map(|&style| {
                let cert = Certificate::from_pem(persona_cert_pem(style)).expect("test cert");
                let entity_id = style.entity_id(TENANT);
                let config = VerifierConfig::new(entity_id.clone(), SP_ENTITY_ID, ACS, vec![cert]);
                let verifier =
                    Verifier::new(config, Arc::new(FixedClock::new(NOW))).expect("test verifier");
                (entity_id, verifier)
            })
            .collect()
    })
}

/// What the reference SP's ACS does with a `SAMLResponse` form value before its user
/// rules (`reference_target::login::ServiceProvider::accept`, without the HTTP layer and
/// the replay cache): whitespace dropped, base64, UTF-8, a first parse to find the
/// InResponseTo and the Issuer that pick the verifier, then the verifier.
pub fn acs_accept(saml_response: &str) {
    use base64::Engine as _;
    let compact: String = saml_response.split_ascii_whitespace().collect();
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact) else {
        return;
    };
    let Ok(document) = String::from_utf8(bytes) else {
        return;
    };
    let Ok(raw) = saml::xml::parse(&document) else {
        return;
    };
    let answers_request = saml::xml::response_in_response_to(&raw).is_some();
    let issuer = saml::xml::response_issuer(&raw).unwrap_or_default();
    let verifiers = verifiers();
    let verifier = verifiers
        .iter()
        .find(|(entity_id, _)| *entity_id == issuer)
        .map_or(&verifiers[0].1, |(_, v)| v);
    let expected = if answers_request {
        ExpectedInResponseTo::Request(REQUEST_ID)
    } else {
        ExpectedInResponseTo::Unsolicited
    };
    if let Ok(assertion) = verifier.verify(&document, expected) {
        let _ = assertion.attribute_values("userUID");
    }
}
