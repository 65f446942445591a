//! The SAML site through its router (no socket): metadata read by two independent
//! parsers, both bindings answered with a login page, the signed Response verified as an
//! SP verifies it, and every bad input answered with a page that says what was wrong.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::Engine as _;
use tower::ServiceExt as _;

use crate::directory::{DirUser, Directory};
use crate::login::IdpKeys;
use crate::persona::PersonaId;
use crate::serve::{router, sites, ServeConfig, ServiceProvider, Site};

const ACS: &str = "http://app.test/saml/acs";
const SP_ENTITY: &str = "http://app.test/saml/metadata";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn directory() -> Directory {
    let mut dir = Directory::new();
    let mut alice = DirUser::new("a-1", "alice@contoso.example");
    alice.profile.mail = Some("alice@contoso.example".into());
    dir.add_user(alice).unwrap();
    let mut bob = DirUser::new("b-2", "bob@contoso.example");
    bob.enabled = false;
    dir.add_user(bob).unwrap();
    let mut carol = DirUser::new("c-3", "carol@contoso.example");
    carol.assigned = false;
    dir.add_user(carol).unwrap();
    dir
}

fn site_for(persona: PersonaId) -> Arc<Site> {
    let config = ServeConfig {
        personas: vec![persona],
        directory: directory(),
        public_url: "http://idp.test".into(),
        tenant: "tenant-1".into(),
        service_providers: vec![ServiceProvider::new(SP_ENTITY, ACS)],
        keys: Arc::new(IdpKeys::load(&fixtures().join("idp")).unwrap()),
        target: None,
        interval: None,
        admin_token: None,
    };
    sites(&config).unwrap().remove(0)
}

async fn send(site: &Arc<Site>, request: Request<Body>) -> (StatusCode, String) {
    let response = router(std::slice::from_ref(site))
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 4 << 20)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn get(site: &Arc<Site>, uri: &str) -> (StatusCode, String) {
    send(site, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn post_form(site: &Arc<Site>, uri: &str, form: &str) -> (StatusCode, String) {
    let request = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .unwrap();
    send(site, request).await
}

fn authn_request(id: &str, issuer: &str, acs: Option<&str>) -> String {
    let acs = acs.map_or_else(String::new, |a| {
        format!(" AssertionConsumerServiceURL=\"{a}\"")
    });
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{id}\" Version=\"2.0\" \
IssueInstant=\"2026-12-06T12:00:00Z\"{acs}><saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>"
    )
}

fn redirect_uri(xml: &str, relay_state: Option<&str>) -> String {
    saml::binding::Redirect::request(xml, relay_state.map(str::to_owned))
        .to_url("/saml/sso")
        .unwrap()
}

fn form_value(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
}

/// Shows the login page for a fresh request and chooses `user` on it.
async fn log_in(
    site: &Arc<Site>,
    id: &str,
    relay: Option<&str>,
    user: &str,
) -> (StatusCode, String) {
    let (status, page) = get(
        site,
        &redirect_uri(&authn_request(id, SP_ENTITY, Some(ACS)), relay),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ticket = form_value(&page, "ticket");
    post_form(site, "/saml/login", &format!("ticket={ticket}&user={user}")).await
}

fn verifier(site: &Site) -> saml::Verifier {
    let cert = site.keys.for_persona(site.persona).certificate().clone();
    let mut config = saml::VerifierConfig::new(site.entity_id(), SP_ENTITY, ACS, vec![cert]);
    config.signature_policy = saml::SignaturePolicy::ResponseOrAssertionSigned;
    saml::Verifier::new(config, Arc::new(saml::SystemClock)).unwrap()
}

#[tokio::test]
async fn metadata_is_read_by_samael_and_by_the_reference_targets_parser() {
    let site = site_for(PersonaId::Entra);
    let (status, xml) = get(&site, "/saml/metadata").await;
    assert_eq!(status, StatusCode::OK);
    // samael's metadata model (the same crate a Rust SP would use).
    let entity: samael::metadata::EntityDescriptor = xml.parse().unwrap();
    assert_eq!(
        entity.entity_id.as_deref(),
        Some("https://sts.windows.net/tenant-1/")
    );
    let idp = &entity.idp_sso_descriptors.unwrap()[0];
    let services: Vec<(&str, &str)> = idp
        .single_sign_on_services
        .iter()
        .map(|s| (s.binding.as_str(), s.location.as_str()))
        .collect();
    assert!(services.contains(&(
        samael::metadata::HTTP_REDIRECT_BINDING,
        "http://idp.test/saml/sso"
    )));
    assert!(services.contains(&(
        samael::metadata::HTTP_POST_BINDING,
        "http://idp.test/saml/sso"
    )));
    // The reference target's own reader: entity id, the signing certificate, the SSO URL.
    let trusted = reference_target::parse_idp_metadata(&xml).unwrap();
    assert_eq!(trusted.entity_id, "https://sts.windows.net/tenant-1/");
    assert_eq!(trusted.sso_url.as_deref(), Some("http://idp.test/saml/sso"));
    assert_eq!(
        trusted.certificates,
        vec![site.keys.entra.certificate().clone()]
    );
}

#[tokio::test]
async fn redirect_binding_shows_every_user_and_the_choice_posts_a_signed_response_to_the_acs() {
    let site = site_for(PersonaId::Entra);
    let (status, page) = get(
        &site,
        &redirect_uri(
            &authn_request("_req1", SP_ENTITY, Some(ACS)),
            Some("relay-42"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for login in [
        "alice@contoso.example",
        "bob@contoso.example",
        "carol@contoso.example",
    ] {
        assert!(
            page.contains(&format!("data-user=\"{login}\"")),
            "{login} missing: {page}"
        );
    }
    assert!(page.contains("disabled") && page.contains("not assigned to the app"));
    let ticket = form_value(&page, "ticket");
    let (status, post) = post_form(
        &site,
        "/saml/login",
        &format!("ticket={ticket}&user=alice%40contoso.example"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{post}");
    assert!(post.contains(&format!("action=\"{ACS}\"")), "{post}");
    assert_eq!(form_value(&post, "RelayState"), "relay-42");
    let assertion = verifier(&site)
        .verify_post_value(
            &form_value(&post, "SAMLResponse"),
            saml::ExpectedInResponseTo::Request("_req1"),
        )
        .unwrap();
    assert_eq!(assertion.name_id, "alice@contoso.example");
    let uid = assertion
        .attributes
        .iter()
        .find(|(n, _)| n == saml::GRAFANA_UID_ATTRIBUTE);
    assert_eq!(uid.map(|(_, v)| v.clone()), Some(vec!["a-1".to_owned()]));
    // The ticket is one-time: the same choice again is refused.
    let (status, again) =
        post_form(&site, "/saml/login", &format!("ticket={ticket}&user=a-1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(again.contains("expired"), "{again}");
}

#[tokio::test]
async fn post_binding_is_answered_the_same_way() {
    let site = site_for(PersonaId::Okta);
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(authn_request("_p1", SP_ENTITY, None));
    let form = format!(
        "SAMLRequest={}&RelayState=r",
        saml::binding::percent_encode(&encoded)
    );
    let (status, page) = post_form(&site, "/saml/sso", &form).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ticket = form_value(&page, "ticket");
    let (_, post) = post_form(&site, "/saml/login", &format!("ticket={ticket}&user=a-1")).await;
    let assertion = verifier(&site)
        .verify_post_value(
            &form_value(&post, "SAMLResponse"),
            saml::ExpectedInResponseTo::Request("_p1"),
        )
        .unwrap();
    assert_eq!(assertion.issuer, site.entity_id());
}

#[tokio::test]
async fn an_idp_initiated_login_carries_no_in_response_to_and_takes_a_login_or_an_id() {
    let site = site_for(PersonaId::Entra);
    for key in ["alice%40contoso.example", "a-1"] {
        let (status, post) = get(&site, &format!("/saml/init?user={key}")).await;
        assert_eq!(status, StatusCode::OK, "{post}");
        let assertion = verifier(&site)
            .verify_post_value(
                &form_value(&post, "SAMLResponse"),
                saml::ExpectedInResponseTo::Unsolicited,
            )
            .unwrap();
        assert_eq!(assertion.name_id, "alice@contoso.example");
    }
}

#[tokio::test]
async fn the_idp_refuses_users_the_real_one_refuses() {
    let site = site_for(PersonaId::Entra);
    let (status, page) = log_in(&site, "_d", None, "b-2").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("AADSTS50057"), "{page}");
    let (status, page) = log_in(&site, "_u", None, "carol%40contoso.example").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("AADSTS50105"), "{page}");
    let okta = site_for(PersonaId::Okta);
    let (status, page) = get(&okta, "/saml/init?user=b-2").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("deactivated"), "{page}");
}

#[tokio::test]
async fn bad_input_gets_a_page_that_says_what_and_where() {
    let site = site_for(PersonaId::Entra);
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (redirect_uri(&authn_request("_x", "http://other.test/sp", None), None), StatusCode::BAD_REQUEST, "AADSTS700016"),
        (redirect_uri(&authn_request("_x", SP_ENTITY, Some("http://evil.test/acs")), None), StatusCode::BAD_REQUEST, "AADSTS50011"),
        ("/saml/sso".into(), StatusCode::BAD_REQUEST, "no SAMLRequest"),
        ("/saml/sso?SAMLRequest=%%%".into(), StatusCode::BAD_REQUEST, "base64"),
        ("/saml/sso?SAMLRequest=aGVsbG8%3D".into(), StatusCode::BAD_REQUEST, "xml"),
        (redirect_uri("<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_n\"/>", None), StatusCode::BAD_REQUEST, "no Issuer"),
        (redirect_uri("<a/>", None), StatusCode::BAD_REQUEST, "not a samlp:AuthnRequest"),
        ("/saml/init?user=nobody".into(), StatusCode::NOT_FOUND, "nobody"),
        ("/saml/init".into(), StatusCode::BAD_REQUEST, "?user=KEY"),
        ("/saml/init?user=a-1&sp=http://x.test".into(), StatusCode::BAD_REQUEST, "AADSTS700016"),
    ];
    for (uri, status, says) in cases {
        let (got, page) = get(&site, &uri).await;
        assert_eq!(got, status, "{uri}: {page}");
        assert!(page.contains(says), "{uri}: expected {says:?} in {page}");
    }
    let (status, page) = post_form(&site, "/saml/sso", "RelayState=only").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("no SAMLRequest"), "{page}");
    let (status, page) = post_form(&site, "/saml/login", "ticket=made-up&user=a-1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("expired"), "{page}");
    let (status, page) = post_form(&site, "/saml/login", "user=a-1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("no login request ticket"), "{page}");
}

#[tokio::test]
async fn the_advanced_part_overrides_claims_and_sends_an_attack() {
    let site = site_for(PersonaId::Entra);
    let (_, page) = get(
        &site,
        &redirect_uri(&authn_request("_adv", SP_ENTITY, Some(ACS)), None),
    )
    .await;
    for a in saml::Attack::all() {
        assert!(
            page.contains(&format!("<option value=\"{}\">", a.name())),
            "{}: {page}",
            a.name()
        );
    }
    let ticket = form_value(&page, "ticket");
    let (_, post) = post_form(
        &site,
        "/saml/login",
        &format!("ticket={ticket}&user=a-1&uid=someone-else&sign=both"),
    )
    .await;
    let assertion = verifier(&site)
        .verify_post_value(
            &form_value(&post, "SAMLResponse"),
            saml::ExpectedInResponseTo::Request("_adv"),
        )
        .unwrap();
    let uid = assertion
        .attributes
        .iter()
        .find(|(n, _)| n == saml::GRAFANA_UID_ATTRIBUTE);
    assert_eq!(
        uid.map(|(_, v)| v.clone()),
        Some(vec!["someone-else".to_owned()])
    );
    // An attack the verifier must refuse.
    let attack = saml::Attack::all()
        .iter()
        .find(|a| a.expected() == saml::ExpectedOutcome::VerifierRejects)
        .unwrap();
    let (_, page) = get(
        &site,
        &redirect_uri(&authn_request("_atk", SP_ENTITY, Some(ACS)), None),
    )
    .await;
    let ticket = form_value(&page, "ticket");
    let (status, post) = post_form(
        &site,
        "/saml/login",
        &format!("ticket={ticket}&user=a-1&attack={}", attack.name()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{post}");
    assert!(
        verifier(&site)
            .verify_post_value(
                &form_value(&post, "SAMLResponse"),
                saml::ExpectedInResponseTo::Request("_atk")
            )
            .is_err(),
        "{} was accepted",
        attack.name()
    );
    let (_, page) = get(
        &site,
        &redirect_uri(&authn_request("_bad", SP_ENTITY, Some(ACS)), None),
    )
    .await;
    let ticket = form_value(&page, "ticket");
    let (status, page) = post_form(
        &site,
        "/saml/login",
        &format!("ticket={ticket}&user=a-1&attack=no-such-attack"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("no-such-attack"), "{page}");
}

#[tokio::test]
async fn several_personas_live_under_their_prefixes() {
    let mut config = ServeConfig {
        personas: vec![PersonaId::Entra, PersonaId::Okta],
        directory: directory(),
        public_url: "http://idp.test".into(),
        tenant: "t".into(),
        service_providers: vec![ServiceProvider::new(SP_ENTITY, ACS)],
        keys: Arc::new(IdpKeys::load(&fixtures().join("idp")).unwrap()),
        target: None,
        interval: None,
        admin_token: None,
    };
    let both = sites(&config).unwrap();
    let app = router(&both);
    let response = app
        .clone()
        .oneshot(
            Request::get("/okta/saml/metadata")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let xml = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&xml);
    assert!(text.contains("http://www.okta.com/t"), "{text}");
    assert!(text.contains("http://idp.test/okta/saml/sso"), "{text}");
    let index = app
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let page = axum::body::to_bytes(index.into_body(), 1 << 20)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&page).contains("http://idp.test/entra/admin"));
    config.personas = vec![PersonaId::Okta, PersonaId::Okta];
    assert!(sites(&config).unwrap_err().to_string().contains("twice"));
}

/// Issue 16: an SP whose metadata offers an encryption key gets its assertions encrypted
/// (as the persona's IdP does), which its key decrypts.
#[tokio::test]
async fn an_sp_with_an_encryption_key_in_its_metadata_gets_encrypted_assertions() {
    let cert = saml::Certificate::from_pem_file(fixtures().join("target/sp.cert.pem")).unwrap();
    let metadata = format!(
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"{SP_ENTITY}\">\
<md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
<md:KeyDescriptor use=\"encryption\"><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Data>\
<ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\
<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{ACS}\" index=\"0\"/>\
</md:SPSSODescriptor></md:EntityDescriptor>",
        cert.to_base64()
    );
    let sp = ServiceProvider::from_metadata(&metadata, "test metadata").unwrap();
    assert!(sp.encrypt_for.is_some());
    let config = ServeConfig {
        personas: vec![PersonaId::Entra],
        directory: directory(),
        public_url: "http://idp.test".into(),
        tenant: "tenant-1".into(),
        service_providers: vec![sp],
        keys: Arc::new(IdpKeys::load(&fixtures().join("idp")).unwrap()),
        target: None,
        interval: None,
        admin_token: None,
    };
    let site = sites(&config).unwrap().remove(0);
    let (status, post) = get(&site, "/saml/init?user=a-1").await;
    assert_eq!(status, StatusCode::OK, "{post}");
    let value = form_value(&post, "SAMLResponse");
    let xml = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &value).unwrap(),
    )
    .unwrap();
    assert!(
        xml.contains("EncryptedAssertion") && !xml.contains(":Assertion "),
        "{xml}"
    );
    assert!(xml.contains(saml::ContentEncryption::Aes256Cbc.uri()));
    let cert = site.keys.for_persona(site.persona).certificate().clone();
    let mut config = saml::VerifierConfig::new(site.entity_id(), SP_ENTITY, ACS, vec![cert]);
    config.decryption_key =
        Some(saml::DecryptionKey::from_pem_file(fixtures().join("target/sp.key.pem")).unwrap());
    let assertion = saml::Verifier::new(config, Arc::new(saml::SystemClock))
        .unwrap()
        .verify_post_value(&value, saml::ExpectedInResponseTo::Unsolicited)
        .unwrap();
    assert_eq!(assertion.name_id, "alice@contoso.example");
}
