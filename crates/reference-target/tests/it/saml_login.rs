//! SAML login against the reference target over a loopback socket: every persona logs in
//! a SCIM-provisioned user, every attack of the catalogue is refused (or accepted, for
//! the controls), and Grafana's user rules (grafana-target.md §6) hold.

use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use rstest::rstest;
use saml::{
    Attack, AttackContext, Delivery, ExpectedOutcome, FixedClock, IdpStyle, Login, RandomIds,
    ResponseSpec, SigningKeys, SpCheck, UserClaims, DEFAULT_CLOCK_SKEW, GRAFANA_UID_ATTRIBUTE,
};
use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;

use crate::support::{encode, patch, user, ADMIN, BASE, SYNC_ON, TOKEN};

/// The fixed "now" of the IdP and the target's SAML checks.
const NOW: OffsetDateTime = datetime!(2030-06-01 12:00:00.250 UTC);

const PERSONAS: [&str; 5] = ["entra", "entra-aadopt", "okta", "okta-oin", "rfc"];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/idp")
        .join(name)
}

fn keys(name: &str) -> SigningKeys {
    SigningKeys::from_pem_files(
        fixture(&format!("{name}.key.pem")),
        fixture(&format!("{name}.cert.pem")),
    )
    .expect("fixture keys")
}

/// The SAML dialect each test persona's IdP speaks (idp's `PersonaId::saml_style`; this
/// crate does not depend on idp).
fn style(persona: &str) -> IdpStyle {
    match persona {
        "entra" | "entra-aadopt" => IdpStyle::Entra,
        "okta" | "okta-oin" => IdpStyle::Okta,
        "rfc" => IdpStyle::Rfc,
        other => panic!("unknown persona {other}"),
    }
}

/// Each persona is its own tenant, so each is a distinct trusted IdP.
fn tenant(persona: &str) -> String {
    format!("tenant-{persona}")
}

fn entity_id(persona: &str) -> String {
    style(persona).entity_id(&tenant(persona))
}

/// The user a persona logs in: its uid is the SCIM externalId.
fn claims(persona: &str) -> UserClaims {
    UserClaims {
        uid: format!("uid-{persona}-0001"),
        login: format!("{persona}.user@example.test"),
        email: format!("{persona}.user@example.test"),
        display_name: format!("{persona} User"),
        given_name: persona.to_owned(),
        surname: "User".to_owned(),
        groups: Vec::new(),
    }
}

/// A Set-Cookie value's `grafana_session` token.
fn session_cookie(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("grafana_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

#[derive(Debug)]
struct Posted {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Posted {
    fn cookie(&self) -> Option<String> {
        session_cookie(&self.headers)
    }

    fn location(&self) -> &str {
        self.headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// A refusal: this status and message id, a Grafana-shaped JSON error, no cookie.
    #[track_caller]
    fn assert_refused(&self, status: u16, message_id: &str) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(self.body["messageId"], message_id, "body: {}", self.body);
        assert_eq!(self.body["statusCode"], status, "body: {}", self.body);
        assert!(self.body["message"].is_string(), "body: {}", self.body);
        assert!(
            self.headers.get(reqwest::header::SET_COOKIE).is_none(),
            "a refused login set a cookie: {:?}",
            self.headers
        );
    }

    /// An accepted login: 302 with an HttpOnly, SameSite=Lax session cookie.
    #[track_caller]
    fn assert_accepted(&self) -> String {
        assert_eq!(self.status, 302, "body: {}", self.body);
        let raw = self
            .headers
            .get(reqwest::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(raw.contains("HttpOnly"), "{raw}");
        assert!(raw.contains("SameSite=Lax"), "{raw}");
        assert!(raw.contains("Path=/"), "{raw}");
        self.cookie().expect("session cookie")
    }
}

/// The target with SAML login, every persona trusted, a fixed clock.
struct LoginTarget {
    addr: std::net::SocketAddr,
    db: PathBuf,
    client: reqwest::Client,
    running: reference_target::RunningTarget,
    dir: tempfile::TempDir,
    ini: String,
    faults: Vec<reference_target::Fault>,
}

impl LoginTarget {
    async fn start(ini: &str) -> LoginTarget {
        LoginTarget::start_with_faults(ini, &[]).await
    }

    /// [`LoginTarget::start`] with fault switches on.
    async fn start_with_faults(ini: &str, faults: &[reference_target::Fault]) -> LoginTarget {
        let listen = "127.0.0.1:0".parse().unwrap();
        LoginTarget::start_in(tempfile::tempdir().unwrap(), listen, ini, faults).await
    }

    /// Stops this target and starts another on the same address and database file.
    async fn restart(self) -> LoginTarget {
        let LoginTarget {
            addr,
            running,
            dir,
            ini,
            faults,
            ..
        } = self;
        running.stop().await.unwrap();
        LoginTarget::start_in(dir, addr, &ini, &faults).await
    }

    async fn start_in(
        dir: tempfile::TempDir,
        listen: std::net::SocketAddr,
        ini: &str,
        faults: &[reference_target::Fault],
    ) -> LoginTarget {
        let ini_path = dir.path().join("grafana.ini");
        std::fs::write(&ini_path, ini).unwrap();
        let db = dir.path().join("target.db");
        let mut settings =
            reference_target::Settings::load(Some(&ini_path), std::iter::empty()).unwrap();
        // Most tests post unsolicited Responses and read the JSON refusal; the tests of
        // Grafana's defaults say so in their ini.
        if !ini.contains("allow_idp_initiated") {
            settings.saml.allow_idp_initiated = true;
        }
        if !ini.contains("refusal_answer") {
            settings.saml.refusal_answer = reference_target::RefusalAnswer::Json;
        }
        let trusted = PERSONAS
            .iter()
            .map(|p| reference_target::TrustedIdp {
                entity_id: entity_id(p),
                // The persona's certificate, then every IdP's next key (a rollover).
                certificates: vec![
                    keys(style(p).name()).certificate().clone(),
                    keys("rollover").certificate().clone(),
                ],
                sso_url: Some(style(p).sso_url(&tenant(p))),
            })
            .collect();
        let fault_set: reference_target::FaultSet = faults.iter().copied().collect();
        let db_path = db.clone();
        let running = reference_target::spawn_app(listen, move |addr| {
            Ok(
                reference_target::AppState::open(&db_path, settings, TOKEN.to_owned())?
                    .with_login(reference_target::LoginConfig {
                        root_url: format!("http://{addr}"),
                        trusted_idps: trusted,
                        clock: Arc::new(FixedClock::new(NOW)),
                    })?
                    .with_faults(fault_set),
            )
        })
        .await
        .unwrap();
        LoginTarget {
            addr: running.addr(),
            db,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            running,
            dir,
            ini: ini.to_owned(),
            faults: faults.to_vec(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    fn acs(&self) -> String {
        self.url("/saml/acs")
    }

    fn sp_entity_id(&self) -> String {
        self.url("/saml/metadata")
    }

    async fn scim(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Value {
        let mut r = self.client.request(method, self.url(path));
        r = match crate::support::auth_for(path) {
            crate::support::Auth::Admin => r.basic_auth(ADMIN.0, Some(ADMIN.1)),
            _ => r.bearer_auth(TOKEN),
        };
        if let Some(b) = body {
            r = r.json(b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// Provisions the persona's user over SCIM with externalId = its uid; the SCIM id.
    async fn provision(&self, persona: &str) -> String {
        let c = claims(persona);
        let body = self
            .scim(
                reqwest::Method::POST,
                &format!("{BASE}/Users"),
                Some(&user(&c.email, &c.uid)),
            )
            .await;
        body["id"].as_str().unwrap().to_owned()
    }

    fn login(&self, persona: &str, user: &UserClaims, in_response_to: Option<&str>) -> Login {
        let s = style(persona);
        Login {
            idp_entity_id: entity_id(persona),
            acs_url: self.acs(),
            audience: self.sp_entity_id(),
            name_id: user.email.clone(),
            name_id_format: None,
            attributes: s.attributes_for(user, &tenant(persona)),
            in_response_to: in_response_to.map(str::to_owned),
        }
    }

    fn spec(&self, persona: &str, login: &Login) -> ResponseSpec {
        ResponseSpec::new(style(persona), login, &FixedClock::new(NOW), &RandomIds)
    }

    async fn post_xml(&self, xml: &str, relay_state: Option<&str>) -> Posted {
        let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
        let mut form = vec![("SAMLResponse", b64)];
        if let Some(rs) = relay_state {
            form.push(("RelayState", rs.to_owned()));
        }
        let resp = self
            .client
            .post(self.acs())
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Posted {
            status,
            headers,
            body,
        }
    }

    /// Signs `spec` with the persona's key and posts it.
    async fn post_spec(&self, persona: &str, spec: &ResponseSpec, relay: Option<&str>) -> Posted {
        let xml = saml::sign_response(spec, &keys(style(persona).name())).unwrap();
        self.post_xml(&xml, relay).await
    }

    /// An IdP-initiated login of `user` by `persona`.
    async fn log_in_as(&self, persona: &str, user: &UserClaims) -> Posted {
        let spec = self.spec(persona, &self.login(persona, user, None));
        self.post_spec(persona, &spec, None).await
    }

    /// `GET /api/user` with this session cookie: status and body.
    async fn whoami(&self, cookie: Option<&str>) -> (u16, Value) {
        let mut r = self.client.get(self.url("/api/user"));
        if let Some(c) = cookie {
            r = r.header(reqwest::header::COOKIE, format!("grafana_session={c}"));
        }
        let resp = r.send().await.unwrap();
        (
            resp.status().as_u16(),
            resp.json().await.unwrap_or(Value::Null),
        )
    }

    /// `GET /login/saml`: the request id (RelayState) and the decoded AuthnRequest.
    async fn start_sp_login(&self, persona: &str, redirect_to: Option<&str>) -> (String, String) {
        let mut url = format!("/login/saml?idp={}", encode(&entity_id(persona)));
        if let Some(r) = redirect_to {
            url.push_str(&format!("&redirectTo={}", encode(r)));
        }
        let resp = self.client.get(self.url(&url)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 302);
        let location = resp.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        let sso = style(persona).sso_url(&tenant(persona));
        let query = location
            .strip_prefix(&format!("{sso}?"))
            .unwrap_or_else(|| panic!("{location} does not go to {sso}"));
        let mut request = None;
        let mut relay = None;
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap();
            let v = percent_decode(v);
            match k {
                "SAMLRequest" => request = Some(v),
                "RelayState" => relay = Some(v),
                _ => panic!("unexpected parameter {k}"),
            }
        }
        let deflated = base64::engine::general_purpose::STANDARD
            .decode(request.unwrap())
            .unwrap();
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(&deflated[..])
            .read_to_string(&mut xml)
            .unwrap();
        (relay.unwrap(), xml)
    }

    fn count(&self, sql: &str) -> i64 {
        rusqlite::Connection::open(&self.db)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    }

    async fn set_scim_config(&self, user_sync: bool, reject: bool) {
        self.scim(
            reqwest::Method::PUT,
            &format!("{BASE}/config/default"),
            Some(&json!({"spec": {"enableUserSync": user_sync, "enableGroupSync": false, "rejectNonProvisionedUsers": reject}})),
        )
        .await;
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[rstest]
#[tokio::test]
async fn each_persona_logs_in_its_provisioned_user(
    #[values("entra", "entra-aadopt", "okta", "okta-oin", "rfc")] persona: &str,
) {
    let t = LoginTarget::start(SYNC_ON).await;
    t.provision(persona).await;
    let posted = t.log_in_as(persona, &claims(persona)).await;
    let cookie = posted.assert_accepted();
    assert_eq!(posted.location(), "/");
    let (status, me) = t.whoami(Some(&cookie)).await;
    assert_eq!(status, 200, "{me}");
    let c = claims(persona);
    assert_eq!(me["login"], c.email);
    assert_eq!(me["email"], c.email);
    assert_eq!(me["isProvisioned"], true);
    assert_eq!(me["authLabels"], json!(["SAML"]));
    // Grafana PR #118425: the SCIM row is reused, never duplicated.
    assert_eq!(
        t.count("SELECT count(*) FROM user_auth ua JOIN user u ON u.id = ua.user_id WHERE u.login LIKE '%.user@example.test' AND ua.auth_module = 'auth.saml'"),
        1
    );
    // A second login keeps it at one row.
    t.log_in_as(persona, &claims(persona))
        .await
        .assert_accepted();
    assert_eq!(
        t.count("SELECT count(*) FROM user_auth WHERE auth_module = 'auth.saml' AND user_id <> 1"),
        1
    );
    assert_eq!(
        t.count("SELECT count(*) FROM user WHERE id <> 1"),
        1,
        "no user was signed up beside the provisioned one"
    );
}

/// The personas the attack cases run with: one per SAML style.
const ATTACK_PERSONAS: [&str; 3] = ["entra", "okta", "rfc"];

/// One line per catalogue entry with the message id the target answers; `-` where the
/// document must be accepted (the controls) and `replay` where the second post is refused.
const ATTACK_CASES: &[(&str, &str)] = &[
    ("unsigned", "saml.invalid-response"),
    ("modified-after-signing", "saml.invalid-response"),
    ("untrusted-key", "saml.invalid-response"),
    ("xsw1", "saml.invalid-response"),
    ("xsw2", "saml.invalid-response"),
    ("xsw3", "saml.invalid-response"),
    ("xsw4", "saml.invalid-response"),
    ("xsw5", "saml.invalid-response"),
    ("xsw6", "saml.invalid-response"),
    ("xsw7", "saml.invalid-response"),
    ("xsw8", "saml.invalid-response"),
    (
        "multiple-assertions-first-unsigned",
        "saml.invalid-response",
    ),
    ("comment-in-name-id", "saml.invalid-response"),
    ("comment-in-uid", "saml.invalid-response"),
    ("doctype-entity-expansion", "saml.invalid-response"),
    ("external-entity", "saml.invalid-response"),
    ("sha1-digest", "saml.invalid-response"),
    ("rsa-sha1-signature", "saml.invalid-response"),
    ("expired", "saml.invalid-response"),
    ("not-yet-valid", "saml.invalid-response"),
    ("expired-past-skew", "saml.invalid-response"),
    ("expired-inside-skew", "-"),
    ("not-yet-valid-past-skew", "saml.invalid-response"),
    ("not-yet-valid-inside-skew", "-"),
    ("wrong-audience", "saml.invalid-response"),
    ("wrong-recipient", "saml.invalid-response"),
    ("wrong-destination", "saml.invalid-response"),
    ("wrong-issuer", "saml.unknown-idp"),
    ("status-not-success", "saml.invalid-response"),
    ("in-response-to-unknown", "saml.invalid-response"),
    ("in-response-to-missing", "saml.invalid-response"),
    ("replay", "saml.replayed-assertion"),
    ("uid-missing", "user.sync.user-externalUID-mismatch"),
    ("uid-empty", "user.sync.user-externalUID-mismatch"),
    ("uid-two-values", "saml.ambiguous-externalUID"),
    ("uid-two-attributes", "saml.ambiguous-externalUID"),
    (
        "uid-name-case-changed",
        "user.sync.user-externalUID-mismatch",
    ),
    ("subject-confirmation-expired", "saml.invalid-response"),
    ("session-expired", "saml.invalid-response"),
    ("holder-of-key-confirmation", "saml.invalid-response"),
    ("digest-value-comment", "saml.invalid-response"),
    ("signed-info-twice", "saml.invalid-response"),
    ("cloned-certificate", "saml.invalid-response"),
    ("hmac-with-certificate", "saml.invalid-response"),
    ("md5-digest", "saml.invalid-response"),
    ("xslt-transform", "saml.invalid-response"),
    ("many-groups", "-"),
    (
        "uid-value-case-changed",
        "user.sync.user-externalUID-mismatch",
    ),
    (
        "uid-value-whitespace",
        "user.sync.user-externalUID-mismatch",
    ),
    ("encrypted-unsigned", "saml.invalid-response"),
    ("encrypted-plus-plain", "saml.invalid-response"),
    ("encrypted-for-other-key", "saml.invalid-response"),
    // A control the catalogue accepts under a policy that takes a Response signature; the
    // reference target's default `signature_policy = assertion` refuses it (an info case).
    ("encrypted-response-signed", "saml.invalid-response"),
];

#[test]
fn attack_cases_cover_the_whole_catalogue() {
    let catalogue: BTreeSet<&str> = Attack::all().iter().map(|a| a.name()).collect();
    let cased: BTreeSet<&str> = ATTACK_CASES.iter().map(|(n, _)| *n).collect();
    assert_eq!(catalogue, cased);
    assert_eq!(ATTACK_CASES.len(), Attack::all().len());
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
#[tokio::test]
async fn attack(#[case] name: &str) {
    let attack: Attack = name.parse().unwrap();
    let (_, message_id) = ATTACK_CASES.iter().find(|(n, _)| *n == name).unwrap();
    let attacker = keys("attacker");
    let t = LoginTarget::start(&decrypting_ini()).await;
    for persona in ATTACK_PERSONAS {
        t.provision(persona).await;
        let trusted = keys(style(persona).name());
        let encryption = sp_encryption(persona);
        let ctx = AttackContext {
            trusted: &trusted,
            attacker: &attacker,
            uid_attribute: GRAFANA_UID_ATTRIBUTE,
            clock_skew: DEFAULT_CLOCK_SKEW,
            now: NOW,
            victim: None,
            encrypt_for: Some(&encryption),
        };
        // SP-initiated when the attack needs it: the request id comes from /login/saml
        // and the RelayState goes back with the post, as a browser would carry it.
        let relay = if attack.needs_sp_initiated() {
            Some(t.start_sp_login(persona, None).await.0)
        } else {
            None
        };
        let login = t.login(persona, &claims(persona), relay.as_deref());
        let tampered = attack
            .apply(&t.spec(persona, &login), &ctx)
            .unwrap_or_else(|e| panic!("{name}/{persona}: {e}"));
        let posted = t.post_xml(&tampered.xml, relay.as_deref()).await;
        match tampered.expected {
            ExpectedOutcome::Accepted if *message_id != "-" => {
                posted.assert_refused(401, message_id);
            }
            ExpectedOutcome::Accepted => {
                let cookie = posted.assert_accepted();
                let (status, me) = t.whoami(Some(&cookie)).await;
                assert_eq!(status, 200);
                assert_eq!(me["email"], claims(persona).email);
            }
            ExpectedOutcome::SpRejects(SpCheck::ReplayCache) => {
                assert_eq!(tampered.delivery, Delivery::Twice);
                posted.assert_accepted();
                let again = t.post_xml(&tampered.xml, relay.as_deref()).await;
                again.assert_refused(401, message_id);
            }
            ExpectedOutcome::VerifierRejects | ExpectedOutcome::SpRejects(_) => {
                posted.assert_refused(401, message_id);
            }
        }
    }
    if !matches!(
        attack.expected(),
        ExpectedOutcome::Accepted | ExpectedOutcome::SpRejects(SpCheck::ReplayCache)
    ) {
        // Nothing was created or changed: no session, no user beyond the provisioned ones,
        // no attribute written.
        assert_eq!(t.count("SELECT count(*) FROM session"), 0);
        assert_eq!(
            t.count("SELECT count(*) FROM user"),
            1 + ATTACK_PERSONAS.len() as i64
        );
        assert_eq!(
            t.count("SELECT count(*) FROM user_auth WHERE auth_id <> ''"),
            0
        );
        assert_eq!(t.whoami(None).await.0, 401);
    }
}

#[tokio::test]
async fn a_forged_session_cookie_is_not_a_login() {
    let t = LoginTarget::start(SYNC_ON).await;
    assert_eq!(t.whoami(Some("forged")).await.0, 401);
    assert_eq!(t.whoami(None).await.0, 401);
}

/// Issue 19: the database holds the session's hash, never the cookie value, and the
/// hash is no cookie.
#[tokio::test]
async fn sessions_are_stored_hashed() {
    let t = LoginTarget::start(SYNC_ON).await;
    t.provision("okta").await;
    let cookie = t.log_in_as("okta", &claims("okta")).await.assert_accepted();
    assert_eq!(t.whoami(Some(&cookie)).await.0, 200);
    let stored: String = rusqlite::Connection::open(&t.db)
        .unwrap()
        .query_row("SELECT token_hash FROM session", [], |r| r.get(0))
        .unwrap();
    assert_ne!(stored, cookie);
    assert_eq!(t.whoami(Some(&stored)).await.0, 401);
    for file in ["target.db", "target.db-wal"] {
        let bytes = std::fs::read(t.dir.path().join(file)).unwrap_or_default();
        assert!(
            !bytes.windows(cookie.len()).any(|w| w == cookie.as_bytes()),
            "{file} holds the session cookie"
        );
    }
}

#[tokio::test]
async fn same_email_with_another_uid_is_a_mismatch() {
    let t = LoginTarget::start(SYNC_ON).await;
    t.provision("rfc").await;
    let evil = UserClaims {
        uid: "someone-else".into(),
        ..claims("rfc")
    };
    t.log_in_as("rfc", &evil)
        .await
        .assert_refused(401, "user.sync.user-externalUID-mismatch");
}

/// Grafana PR #108568: the externalUID challenge runs for provisioned users whatever the
/// reject setting.
#[rstest]
#[tokio::test]
async fn uid_check_runs_whatever_the_reject_setting(#[values(false, true)] reject: bool) {
    let t = LoginTarget::start(SYNC_ON).await;
    t.provision("okta").await;
    t.set_scim_config(true, reject).await;
    let evil = UserClaims {
        uid: "00u-not-alice".into(),
        ..claims("okta")
    };
    t.log_in_as("okta", &evil)
        .await
        .assert_refused(401, "user.sync.user-externalUID-mismatch");
    t.log_in_as("okta", &claims("okta")).await.assert_accepted();
}

/// updateUserAttributes' own checks, reached when user sync (and so the hook) is off.
#[tokio::test]
async fn with_user_sync_off_the_attribute_update_checks_the_uid() {
    let t = LoginTarget::start(SYNC_ON).await;
    t.provision("rfc").await;
    t.set_scim_config(false, false).await;
    let empty = UserClaims {
        uid: String::new(),
        ..claims("rfc")
    };
    t.log_in_as("rfc", &empty)
        .await
        .assert_refused(401, "user.sync.empty-externalUID");
    let other = UserClaims {
        uid: "other".into(),
        ..claims("rfc")
    };
    t.log_in_as("rfc", &other)
        .await
        .assert_refused(401, "user.sync.mismatched-externalUID");
    t.log_in_as("rfc", &claims("rfc")).await.assert_accepted();
}

/// A local user SCIM did not provision.
async fn local_user(t: &LoginTarget, email: &str, name: &str) {
    t.scim(
        reqwest::Method::POST,
        "/api/admin/users",
        Some(&json!({"login": email, "email": email, "name": name})),
    )
    .await;
}

fn bob() -> UserClaims {
    UserClaims {
        uid: "uid-bob".into(),
        login: "bob@example.test".into(),
        email: "bob@example.test".into(),
        display_name: "Robert".into(),
        ..UserClaims::default()
    }
}

/// Plain attributes Grafana's defaults read: `mail`, `displayName`, `userUID`.
fn grafana_attributes(persona: &str, t: &LoginTarget, u: &UserClaims) -> Login {
    let mut login = t.login(persona, u, None);
    let a = |name: &str, v: &str| saml::Attribute {
        name: name.to_owned(),
        name_format: None,
        values: vec![v.to_owned()],
    };
    login.attributes = vec![
        a("mail", &u.email),
        a("displayName", &u.display_name),
        a(GRAFANA_UID_ATTRIBUTE, &u.uid),
    ];
    login
}

#[rstest]
#[case::reject_off(false, 302)]
#[case::reject_on(true, 403)]
#[tokio::test]
async fn a_non_provisioned_user_is_refused_only_when_rejection_is_on(
    #[case] reject: bool,
    #[case] status: u16,
) {
    let t = LoginTarget::start(SYNC_ON).await;
    local_user(&t, "bob@example.test", "Bob").await;
    t.set_scim_config(true, reject).await;
    let spec = t.spec("rfc", &grafana_attributes("rfc", &t, &bob()));
    let posted = t.post_spec("rfc", &spec, None).await;
    if status == 302 {
        let cookie = posted.assert_accepted();
        // A non-provisioned user's attributes follow the assertion.
        let (_, me) = t.whoami(Some(&cookie)).await;
        assert_eq!(me["name"], "Robert");
        assert_eq!(me["isProvisioned"], false);
    } else {
        posted.assert_refused(403, "user.sync.user-not-provisioned");
        // DESIGN.md: a user with no account at all is refused too.
        let carol = UserClaims {
            uid: "uid-carol".into(),
            email: "carol@example.test".into(),
            login: "carol@example.test".into(),
            ..UserClaims::default()
        };
        t.log_in_as("rfc", &carol)
            .await
            .assert_refused(403, "user.sync.user-not-provisioned");
    }
}

#[rstest]
#[case::sign_up_allowed("", true)]
#[case::sign_up_disabled("[auth.saml]\nallow_sign_up = false\n", false)]
#[tokio::test]
async fn an_unknown_user_signs_up_only_when_allowed(#[case] saml_ini: &str, #[case] allowed: bool) {
    let t = LoginTarget::start(&format!("{SYNC_ON}{saml_ini}")).await;
    let spec = t.spec("rfc", &grafana_attributes("rfc", &t, &bob()));
    let posted = t.post_spec("rfc", &spec, None).await;
    if allowed {
        let cookie = posted.assert_accepted();
        let (_, me) = t.whoami(Some(&cookie)).await;
        assert_eq!(me["login"], "bob@example.test");
        assert_eq!(me["name"], "Robert");
        assert_eq!(me["isProvisioned"], false);
        assert_eq!(
            t.count("SELECT count(*) FROM user_auth WHERE auth_id = 'bob@example.test' AND external_uid = 'uid-bob'"),
            1
        );
    } else {
        posted.assert_refused(401, "user.sync.signup-disabled");
        assert_eq!(t.count("SELECT count(*) FROM user"), 1);
    }
}

#[rstest]
#[case::deactivated("deactivate")]
#[case::deleted("delete")]
#[tokio::test]
async fn a_disabled_user_is_refused(#[case] how: &str) {
    let t = LoginTarget::start(SYNC_ON).await;
    let id = t.provision("entra").await;
    let cookie = t
        .log_in_as("entra", &claims("entra"))
        .await
        .assert_accepted();
    let path = format!("{BASE}/Users/{id}");
    if how == "deactivate" {
        t.scim(
            reqwest::Method::PATCH,
            &path,
            Some(&patch(
                json!([{"op": "Replace", "path": "active", "value": "False"}]),
            )),
        )
        .await;
    } else {
        t.scim(reqwest::Method::DELETE, &path, None).await;
    }
    // The old session ended, and a new login is refused.
    assert_eq!(t.whoami(Some(&cookie)).await.0, 401);
    t.log_in_as("entra", &claims("entra"))
        .await
        .assert_refused(401, "user.disabled");
}

#[tokio::test]
async fn a_renamed_user_still_logs_in_by_uid_and_keeps_scim_values() {
    let t = LoginTarget::start(SYNC_ON).await;
    let id = t.provision("rfc").await;
    t.log_in_as("rfc", &claims("rfc")).await.assert_accepted();
    // The IdP renames the user: userName and email change over SCIM.
    let renamed = "rfc.renamed@example.test";
    t.scim(
        reqwest::Method::PATCH,
        &format!("{BASE}/Users/{id}"),
        Some(&patch(json!([
            {"op": "replace", "path": "userName", "value": renamed},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": renamed},
            {"op": "replace", "path": "displayName", "value": "Renamed By SCIM"},
        ]))),
    )
    .await;
    let u = UserClaims {
        login: renamed.into(),
        email: renamed.into(),
        display_name: "Mallory From SAML".into(),
        ..claims("rfc")
    };
    let login = grafana_attributes("rfc", &t, &u);
    let cookie = t
        .post_spec("rfc", &t.spec("rfc", &login), None)
        .await
        .assert_accepted();
    let (_, me) = t.whoami(Some(&cookie)).await;
    assert_eq!(me["login"], renamed);
    assert_eq!(me["email"], renamed);
    // SAML never overwrites what SCIM provisioned.
    assert_eq!(me["name"], "Renamed By SCIM");
    assert_eq!(
        t.count("SELECT count(*) FROM user_auth WHERE user_id <> 1"),
        1
    );
}

#[tokio::test]
async fn saml_attributes_do_not_overwrite_a_provisioned_profile() {
    let t = LoginTarget::start(&format!(
        "{SYNC_ON}[auth.saml]\nassertion_attribute_login = login\n"
    ))
    .await;
    t.provision("rfc").await;
    let c = claims("rfc");
    let mut login = grafana_attributes(
        "rfc",
        &t,
        &UserClaims {
            display_name: "Mallory".into(),
            ..c.clone()
        },
    );
    login.attributes.push(saml::Attribute {
        name: "login".into(),
        name_format: None,
        values: vec!["mallory".into()],
    });
    let cookie = t
        .post_spec("rfc", &t.spec("rfc", &login), None)
        .await
        .assert_accepted();
    let (_, me) = t.whoami(Some(&cookie)).await;
    assert_eq!(me["login"], c.email);
    assert_eq!(me["name"], format!("Display {}", c.email));
}

#[tokio::test]
async fn sp_initiated_login_answers_its_request_once() {
    let t = LoginTarget::start(SYNC_ON).await;
    t.provision("okta").await;
    let (request_id, xml) = t.start_sp_login("okta", Some("/d/dashboard?x=1")).await;
    assert!(xml.contains(&format!("ID=\"{request_id}\"")), "{xml}");
    assert!(
        xml.contains(&format!("AssertionConsumerServiceURL=\"{}\"", t.acs())),
        "{xml}"
    );
    assert!(
        xml.contains(&format!(">{}</saml:Issuer>", t.sp_entity_id())),
        "{xml}"
    );
    let spec = t.spec("okta", &t.login("okta", &claims("okta"), Some(&request_id)));
    let xml = saml::sign_response(&spec, &keys("okta")).unwrap();
    let posted = t.post_xml(&xml, Some(&request_id)).await;
    posted.assert_accepted();
    assert_eq!(posted.location(), "/d/dashboard?x=1");
    // The same request cannot be answered again, even by a fresh assertion.
    let again = t.spec("okta", &t.login("okta", &claims("okta"), Some(&request_id)));
    t.post_spec("okta", &again, Some(&request_id))
        .await
        .assert_refused(401, "saml.unknown-request");
    // Nor without the RelayState.
    t.post_spec("okta", &again, None)
        .await
        .assert_refused(401, "saml.unknown-request");
}

/// Issue 19: the replay cache and the outstanding requests are in the database, so a
/// restart reopens no replay window, and a request issued before it is answered once.
#[tokio::test]
async fn a_restart_keeps_the_replay_cache_and_the_outstanding_requests() {
    let t = LoginTarget::start(SYNC_ON).await;
    t.provision("okta").await;
    let spec = t.spec("okta", &t.login("okta", &claims("okta"), None));
    let response = saml::sign_response(&spec, &keys("okta")).unwrap();
    t.post_xml(&response, None).await.assert_accepted();
    let (request_id, _) = t.start_sp_login("okta", Some("/after-restart")).await;
    let t = t.restart().await;
    t.post_xml(&response, None)
        .await
        .assert_refused(401, "saml.replayed-assertion");
    let answer = t.spec("okta", &t.login("okta", &claims("okta"), Some(&request_id)));
    let answer = saml::sign_response(&answer, &keys("okta")).unwrap();
    let posted = t.post_xml(&answer, Some(&request_id)).await;
    posted.assert_accepted();
    assert_eq!(posted.location(), "/after-restart");
    let t = t.restart().await;
    let again = t.spec("okta", &t.login("okta", &claims("okta"), Some(&request_id)));
    t.post_spec("okta", &again, Some(&request_id))
        .await
        .assert_refused(401, "saml.unknown-request");
}

#[tokio::test]
async fn a_response_to_another_idps_request_is_refused() {
    let t = LoginTarget::start(SYNC_ON).await;
    t.provision("rfc").await;
    let (request_id, _) = t.start_sp_login("okta", None).await;
    let spec = t.spec("rfc", &t.login("rfc", &claims("rfc"), Some(&request_id)));
    t.post_spec("rfc", &spec, Some(&request_id))
        .await
        .assert_refused(401, "saml.invalid-response");
}

#[tokio::test]
async fn idp_initiated_login_can_be_switched_off() {
    let t = LoginTarget::start(&format!(
        "{SYNC_ON}[auth.saml]\nallow_idp_initiated = false\n"
    ))
    .await;
    t.provision("rfc").await;
    t.log_in_as("rfc", &claims("rfc"))
        .await
        .assert_refused(401, "saml.idp-initiated-disabled");
    let (request_id, _) = t.start_sp_login("rfc", None).await;
    let spec = t.spec("rfc", &t.login("rfc", &claims("rfc"), Some(&request_id)));
    t.post_spec("rfc", &spec, Some(&request_id))
        .await
        .assert_accepted();
}

#[rstest]
#[case::path("/d/abc", "/d/abc")]
#[case::absolute_url("https://evil.test/", "/")]
#[case::protocol_relative("//evil.test/x", "/")]
#[tokio::test]
async fn relay_state_redirects_only_to_local_paths(#[case] relay: &str, #[case] location: &str) {
    let t = LoginTarget::start(SYNC_ON).await;
    t.provision("rfc").await;
    let spec = t.spec("rfc", &t.login("rfc", &claims("rfc"), None));
    let posted = t.post_spec("rfc", &spec, Some(relay)).await;
    posted.assert_accepted();
    assert_eq!(posted.location(), location);
}

#[tokio::test]
async fn a_post_without_a_saml_response_is_a_bad_request() {
    let t = LoginTarget::start(SYNC_ON).await;
    let r = t
        .client
        .post(t.acs())
        .form(&[("RelayState", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["messageId"], "saml.missing-response");
    let garbage = t.post_xml("<not-saml/>", None).await;
    garbage.assert_refused(401, "saml.unknown-idp");
}

#[tokio::test]
async fn metadata_names_the_entity_id_and_acs_without_a_token() {
    let t = LoginTarget::start(SYNC_ON).await;
    let r = t.client.get(t.sp_entity_id()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()[reqwest::header::CONTENT_TYPE],
        "application/xml"
    );
    let xml = r.text().await.unwrap();
    assert!(
        xml.contains(&format!("entityID=\"{}\"", t.sp_entity_id())),
        "{xml}"
    );
    assert!(xml.contains(&format!("Location=\"{}\"", t.acs())), "{xml}");
    assert!(
        xml.contains("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"),
        "{xml}"
    );
}

/// `reference_target::serve` with `idp_certs`: one IdP from metadata, one from a named PEM
/// certificate; real clock, root URL from the bound address.
#[tokio::test]
async fn serve_trusts_idps_from_metadata_and_named_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let okta = style("okta");
    let metadata = saml::IdpMetadata {
        entity_id: entity_id("okta"),
        sso_url: okta.sso_url(&tenant("okta")),
        signing_certificate: keys("okta").certificate().clone(),
        next_certificates: Vec::new(),
        name_id_formats: Vec::new(),
    };
    let metadata_path = dir.path().join("okta-metadata.xml");
    std::fs::write(&metadata_path, metadata.to_xml().unwrap()).unwrap();
    let ini = dir.path().join("grafana.ini");
    // IdP-initiated logins, which Grafana's default refuses.
    std::fs::write(
        &ini,
        format!("{SYNC_ON}[auth.saml]\nallow_idp_initiated = true\n"),
    )
    .unwrap();
    let named: reference_target::IdpSource =
        format!("{}={}", entity_id("rfc"), fixture("rfc.cert.pem").display())
            .parse()
            .unwrap();
    let opts = reference_target::ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        db: dir.path().join("t.db"),
        config_ini: Some(ini),
        token: TOKEN.into(),
        idp_certs: vec![reference_target::IdpSource::Metadata(metadata_path), named],
        namespace: None,
        root_url: None,
        tls: None,
    };
    let running = reference_target::spawn(opts, reference_target::FaultSet::none())
        .await
        .unwrap();
    let addr = running.addr();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for persona in ["okta", "rfc"] {
        let c = claims(persona);
        let r = client
            .post(format!("http://{addr}{BASE}/Users"))
            .bearer_auth(TOKEN)
            .json(&user(&c.email, &c.uid))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let login = Login {
            idp_entity_id: entity_id(persona),
            acs_url: format!("http://{addr}/saml/acs"),
            audience: format!("http://{addr}/saml/metadata"),
            name_id: c.email.clone(),
            name_id_format: None,
            attributes: style(persona).attributes_for(&c, &tenant(persona)),
            in_response_to: None,
        };
        let spec = ResponseSpec::new(style(persona), &login, &saml::SystemClock, &RandomIds);
        let xml = saml::sign_response(&spec, &keys(style(persona).name())).unwrap();
        let r = client
            .post(format!("http://{addr}/saml/acs"))
            .form(&[(
                "SAMLResponse",
                base64::engine::general_purpose::STANDARD.encode(xml),
            )])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 302, "{persona}");
        let cookie = session_cookie(r.headers()).expect("cookie");
        let me: Value = client
            .get(format!("http://{addr}/api/user"))
            .header(reqwest::header::COOKIE, format!("grafana_session={cookie}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["email"], c.email);
    }
    // SP-initiated login goes to the only IdP with an SSO URL: the one from metadata.
    let r = client
        .get(format!("http://{addr}/login/saml"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let location = r.headers()[reqwest::header::LOCATION].to_str().unwrap();
    assert!(location.starts_with(&format!("{}?SAMLRequest=", okta.sso_url(&tenant("okta")))));
    running.stop().await.unwrap();
}

// Fault switches: each SAML fault lets through what the clean target refuses.

/// Posts `attack` for the rfc persona's provisioned user; the response (and, for a
/// replay, the second post's).
async fn post_attack(t: &LoginTarget, name: &str) -> Posted {
    post_attack_as(t, "rfc", name).await
}

/// [`post_attack`] for `persona`'s provisioned user.
async fn post_attack_as(t: &LoginTarget, persona: &str, name: &str) -> Posted {
    let attack: Attack = name.parse().unwrap();
    let attacker = keys("attacker");
    let trusted = keys(style(persona).name());
    let encryption = sp_encryption(persona);
    let ctx = AttackContext {
        trusted: &trusted,
        attacker: &attacker,
        uid_attribute: GRAFANA_UID_ATTRIBUTE,
        clock_skew: DEFAULT_CLOCK_SKEW,
        now: NOW,
        victim: None,
        encrypt_for: Some(&encryption),
    };
    let tampered = attack
        .apply(
            &t.spec(persona, &t.login(persona, &claims(persona), None)),
            &ctx,
        )
        .unwrap();
    let first = t.post_xml(&tampered.xml, None).await;
    match tampered.delivery {
        Delivery::Twice => t.post_xml(&tampered.xml, None).await,
        Delivery::Once => first,
    }
}

#[rstest]
#[case::accept_unsigned(reference_target::Fault::SamlAcceptUnsigned, "unsigned")]
#[case::xsw3(reference_target::Fault::SamlXsw, "xsw3")]
#[case::xsw4(reference_target::Fault::SamlXsw, "xsw4")]
#[case::xsw5(reference_target::Fault::SamlXsw, "xsw5")]
#[case::xsw6(reference_target::Fault::SamlXsw, "xsw6")]
#[case::xsw7(reference_target::Fault::SamlXsw, "xsw7")]
#[case::xsw8(reference_target::Fault::SamlXsw, "xsw8")]
#[case::xsw_first_unsigned(reference_target::Fault::SamlXsw, "multiple-assertions-first-unsigned")]
#[case::no_replay_cache(reference_target::Fault::SamlNoReplayCache, "replay")]
#[case::ignore_audience(reference_target::Fault::SamlIgnoreAudience, "wrong-audience")]
#[case::ignore_expiry(reference_target::Fault::SamlIgnoreExpiry, "expired")]
#[case::ignore_expiry_past_skew(reference_target::Fault::SamlIgnoreExpiry, "expired-past-skew")]
#[case::conditions_expiry_only(
    reference_target::Fault::SamlConditionsExpiryOnly,
    "subject-confirmation-expired"
)]
#[case::ignore_session_expiry(reference_target::Fault::SamlIgnoreSessionExpiry, "session-expired")]
#[case::any_confirmation_method(
    reference_target::Fault::SamlAnyConfirmationMethod,
    "holder-of-key-confirmation"
)]
#[case::keyinfo_cert_by_name(reference_target::Fault::SamlKeyinfoCertByName, "cloned-certificate")]
#[tokio::test]
async fn a_saml_fault_accepts_its_attack(
    #[case] fault: reference_target::Fault,
    #[case] attack: &str,
    #[values("entra", "okta", "rfc")] persona: &str,
) {
    let clean = LoginTarget::start(SYNC_ON).await;
    clean.provision(persona).await;
    let refused = post_attack_as(&clean, persona, attack).await;
    assert_eq!(refused.status, 401, "clean target: {}", refused.body);

    let faulty = LoginTarget::start_with_faults(SYNC_ON, &[fault]).await;
    faulty.provision(persona).await;
    let posted = post_attack_as(&faulty, persona, attack).await;
    let cookie = posted.assert_accepted();
    let (status, me) = faulty.whoami(Some(&cookie)).await;
    assert_eq!(status, 200, "{me}");
    if matches!(
        fault,
        reference_target::Fault::SamlXsw | reference_target::Fault::SamlKeyinfoCertByName
    ) {
        // The identity came from the unsigned, first assertion, or the attacker's signature.
        assert_ne!(me["email"], claims(persona).email, "{me}");
    } else {
        assert_eq!(me["email"], claims(persona).email, "{me}");
    }
}

/// The other faults leave the SAML checks alone: the XSW fault still refuses an unsigned
/// document, the unsigned fault still refuses a wrapped one, and so on.
#[rstest]
#[case::xsw_keeps_signatures(reference_target::Fault::SamlXsw, "unsigned")]
#[case::xsw_keeps_keys(reference_target::Fault::SamlXsw, "untrusted-key")]
// xsw1 and xsw2 wrap a signed Response around an unsigned assertion, which the
// signature policy (`assertion`) refuses whatever is read.
#[case::xsw_keeps_the_policy(reference_target::Fault::SamlXsw, "xsw1")]
#[case::unsigned_keeps_xsw(reference_target::Fault::SamlAcceptUnsigned, "xsw3")]
#[case::unsigned_keeps_tamper(
    reference_target::Fault::SamlAcceptUnsigned,
    "modified-after-signing"
)]
#[case::audience_keeps_expiry(reference_target::Fault::SamlIgnoreAudience, "expired")]
#[case::expiry_keeps_not_before(reference_target::Fault::SamlIgnoreExpiry, "not-yet-valid")]
#[case::expiry_keeps_audience(reference_target::Fault::SamlIgnoreExpiry, "wrong-audience")]
#[case::conditions_only_keeps_conditions(
    reference_target::Fault::SamlConditionsExpiryOnly,
    "expired"
)]
#[case::session_keeps_the_rest(reference_target::Fault::SamlIgnoreSessionExpiry, "expired")]
#[case::any_method_keeps_recipient(
    reference_target::Fault::SamlAnyConfirmationMethod,
    "wrong-recipient"
)]
#[case::by_name_keeps_unknown_keys(reference_target::Fault::SamlKeyinfoCertByName, "untrusted-key")]
#[case::node_limit_keeps_signatures(reference_target::Fault::SamlNodeLimit, "unsigned")]
#[tokio::test]
async fn a_saml_fault_is_narrow(#[case] fault: reference_target::Fault, #[case] attack: &str) {
    let faulty = LoginTarget::start_with_faults(SYNC_ON, &[fault]).await;
    faulty.provision("rfc").await;
    let posted = post_attack(&faulty, attack).await;
    assert_eq!(posted.status, 401, "{}", posted.body);
    // And a valid login still works.
    faulty
        .log_in_as("rfc", &claims("rfc"))
        .await
        .assert_accepted();
}

#[rstest]
#[case::clean(&[], false)]
#[case::link_by_email(&[reference_target::Fault::SamlLinkByEmail], true)]
#[tokio::test]
async fn link_by_email_accepts_another_uid(
    #[case] faults: &[reference_target::Fault],
    #[case] taken_over: bool,
) {
    let t = LoginTarget::start_with_faults(SYNC_ON, faults).await;
    t.provision("rfc").await;
    let evil = UserClaims {
        uid: "someone-else".into(),
        ..claims("rfc")
    };
    let posted = t.log_in_as("rfc", &evil).await;
    if taken_over {
        let cookie = posted.assert_accepted();
        let (_, me) = t.whoami(Some(&cookie)).await;
        assert_eq!(me["isProvisioned"], true);
        assert_eq!(me["email"], claims("rfc").email);
    } else {
        posted.assert_refused(401, "user.sync.user-externalUID-mismatch");
    }
}

/// An IdP trusted with two certificates (a key rollover): a Response signed with the
/// second logs in; under `saml-first-certificate-only` it is refused.
#[rstest]
#[case::clean(&[], true)]
#[case::first_only(&[reference_target::Fault::SamlFirstCertificateOnly], false)]
#[tokio::test]
async fn first_certificate_only_refuses_the_next_key(
    #[case] faults: &[reference_target::Fault],
    #[case] accepted: bool,
) {
    let t = LoginTarget::start_with_faults(SYNC_ON, faults).await;
    t.provision("okta").await;
    let spec = t.spec("okta", &t.login("okta", &claims("okta"), None));
    let xml = saml::sign_response(&spec, &keys("rollover")).unwrap();
    let posted = t.post_xml(&xml, None).await;
    if accepted {
        let cookie = posted.assert_accepted();
        let (_, me) = t.whoami(Some(&cookie)).await;
        assert_eq!(me["email"], claims("okta").email);
    } else {
        posted.assert_refused(401, "saml.invalid-response");
    }
    // The persona's own key is trusted either way.
    t.log_in_as("okta", &claims("okta")).await.assert_accepted();
}

/// `saml-uid-normalised`: the provisioned uid in another case, or with spaces around it,
/// matches under the fault and is a mismatch without it.
#[rstest]
#[case::clean_case(&[], true, false)]
#[case::clean_spaces(&[], false, false)]
#[case::normalised_case(&[reference_target::Fault::SamlUidNormalised], true, true)]
#[case::normalised_spaces(&[reference_target::Fault::SamlUidNormalised], false, true)]
#[tokio::test]
async fn uid_normalised_accepts_a_case_or_space_variant(
    #[case] faults: &[reference_target::Fault],
    #[case] case_variant: bool,
    #[case] accepted: bool,
) {
    let t = LoginTarget::start_with_faults(SYNC_ON, faults).await;
    t.provision("rfc").await;
    let uid = claims("rfc").uid;
    let variant = match case_variant {
        true => uid.to_uppercase(),
        false => format!(" {uid} "),
    };
    assert_ne!(variant, uid);
    let posted = t
        .log_in_as(
            "rfc",
            &UserClaims {
                uid: variant,
                ..claims("rfc")
            },
        )
        .await;
    if accepted {
        let cookie = posted.assert_accepted();
        let (_, me) = t.whoami(Some(&cookie)).await;
        assert_eq!(me["email"], claims("rfc").email);
    } else {
        posted.assert_refused(401, "user.sync.user-externalUID-mismatch");
    }
}

#[rstest]
#[case::clean(&[], "uid-empty", false)]
#[case::clean_missing(&[], "uid-missing", false)]
#[case::empty_uid(&[reference_target::Fault::SamlEmptyUid], "uid-empty", true)]
#[case::empty_uid_missing(&[reference_target::Fault::SamlEmptyUid], "uid-missing", true)]
#[tokio::test]
async fn empty_uid_falls_through_to_the_email(
    #[case] faults: &[reference_target::Fault],
    #[case] attack: &str,
    #[case] accepted: bool,
) {
    let t = LoginTarget::start_with_faults(SYNC_ON, faults).await;
    t.provision("rfc").await;
    let posted = post_attack(&t, attack).await;
    if accepted {
        posted.assert_accepted();
        // A uid that is present but wrong is still refused.
        let other = UserClaims {
            uid: "other".into(),
            ..claims("rfc")
        };
        t.log_in_as("rfc", &other)
            .await
            .assert_refused(401, "user.sync.user-externalUID-mismatch");
    } else {
        posted.assert_refused(401, "user.sync.user-externalUID-mismatch");
    }
}

#[rstest]
#[case::clean(&[], false)]
#[case::allow_disabled(&[reference_target::Fault::SamlAllowDisabled], true)]
#[tokio::test]
async fn allow_disabled_lets_a_deactivated_user_in(
    #[case] faults: &[reference_target::Fault],
    #[case] accepted: bool,
) {
    let t = LoginTarget::start_with_faults(SYNC_ON, faults).await;
    let id = t.provision("entra").await;
    t.scim(
        reqwest::Method::PATCH,
        &format!("{BASE}/Users/{id}"),
        Some(&patch(
            json!([{"op": "replace", "path": "active", "value": false}]),
        )),
    )
    .await;
    let posted = t.log_in_as("entra", &claims("entra")).await;
    if accepted {
        let cookie = posted.assert_accepted();
        let (status, me) = t.whoami(Some(&cookie)).await;
        assert_eq!(status, 200);
        assert_eq!(me["isDisabled"], true);
    } else {
        posted.assert_refused(401, "user.disabled");
    }
}

#[rstest]
#[case::clean(&[], false)]
#[case::ignore_reject(&[reference_target::Fault::IgnoreRejectNonProvisioned], true)]
#[tokio::test]
async fn ignore_reject_lets_a_non_provisioned_user_in(
    #[case] faults: &[reference_target::Fault],
    #[case] accepted: bool,
) {
    let t = LoginTarget::start_with_faults(SYNC_ON, faults).await;
    local_user(&t, "bob@example.test", "Bob").await;
    t.set_scim_config(true, true).await;
    let posted = t
        .post_spec(
            "rfc",
            &t.spec("rfc", &grafana_attributes("rfc", &t, &bob())),
            None,
        )
        .await;
    if accepted {
        posted.assert_accepted();
    } else {
        posted.assert_refused(403, "user.sync.user-not-provisioned");
    }
}

#[rstest]
#[case::clean(&[], false)]
#[case::overwrite(&[reference_target::Fault::SamlOverwriteProfile], true)]
#[tokio::test]
async fn overwrite_profile_takes_the_saml_values(
    #[case] faults: &[reference_target::Fault],
    #[case] overwritten: bool,
) {
    let t = LoginTarget::start_with_faults(SYNC_ON, faults).await;
    t.provision("rfc").await;
    let c = claims("rfc");
    let login = grafana_attributes(
        "rfc",
        &t,
        &UserClaims {
            display_name: "Mallory".into(),
            ..c.clone()
        },
    );
    let cookie = t
        .post_spec("rfc", &t.spec("rfc", &login), None)
        .await
        .assert_accepted();
    let (_, me) = t.whoami(Some(&cookie)).await;
    let expected = if overwritten {
        "Mallory".to_owned()
    } else {
        format!("Display {}", c.email)
    };
    assert_eq!(me["name"], expected);
}

/// Grafana's defaults: the refusal is `302` to `/login` with the `login_error` cookie and
/// no session cookie; the login page shows the public message once and clears the cookie.
#[tokio::test]
async fn a_refused_login_redirects_to_the_login_page_with_its_message() {
    let t = LoginTarget::start(&format!(
        "{SYNC_ON}[auth.saml]\nallow_idp_initiated = true\nrefusal_answer = redirect\n"
    ))
    .await;
    t.provision("rfc").await;
    let mut wrong = claims("rfc");
    wrong.uid = "uid-someone-else".to_owned();
    let posted = t.log_in_as("rfc", &wrong).await;
    assert_eq!(posted.status, 302, "body: {}", posted.body);
    assert_eq!(posted.location(), "/login");
    assert_eq!(posted.cookie(), None, "no session cookie on a refusal");
    let set: Vec<&str> = posted
        .headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(set.len(), 1, "{set:?}");
    let error_cookie = set[0]
        .strip_prefix("login_error=")
        .and_then(|v| v.split(';').next())
        .expect("a login_error cookie");
    assert!(
        set[0].contains("HttpOnly") && set[0].contains("Max-Age=60"),
        "{set:?}"
    );
    assert!(
        !error_cookie.contains("mismatch") && !error_cookie.contains("user."),
        "the cookie is opaque: {error_cookie}"
    );
    let page = |cookie: Option<String>| {
        let mut req = t.client.get(t.url("/login"));
        if let Some(c) = cookie {
            req = req.header(reqwest::header::COOKIE, format!("login_error={c}"));
        }
        async move {
            let answer = req.send().await.unwrap();
            let cleared = answer
                .headers()
                .get(reqwest::header::SET_COOKIE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("login_error=;") && v.contains("Max-Age=0"));
            (
                answer.status().as_u16(),
                cleared,
                answer.text().await.unwrap(),
            )
        }
    };
    let (status, cleared, body) = page(Some(error_cookie.to_owned())).await;
    assert_eq!(status, 200);
    assert!(cleared, "the login page clears the cookie");
    assert!(
        body.contains(r#""loginError":"User externalUID mismatch""#),
        "{body}"
    );
    assert!(
        !body.contains("user.sync."),
        "no message id in the page: {body}"
    );
    let (_, _, again) = page(Some(error_cookie.to_owned())).await;
    assert!(
        again.contains(r#""loginError":null"#),
        "shown once: {again}"
    );
    let (_, cleared, plain) = page(None).await;
    assert!(
        !cleared && plain.contains(r#""loginError":null"#),
        "{plain}"
    );
}

/// `allow_sign_up` and `allow_idp_initiated` switch at run time; they start from the ini.
#[tokio::test]
async fn the_login_switches_change_without_a_restart() {
    let t = LoginTarget::start(&format!(
        "{SYNC_ON}[auth.saml]\nallow_idp_initiated = false\n"
    ))
    .await;
    let switches = |body: Option<Value>| {
        let req = match &body {
            Some(b) => t.client.put(t.url("/api/reference/saml-settings")).json(b),
            None => t.client.get(t.url("/api/reference/saml-settings")),
        };
        async move {
            let answer = req.bearer_auth(TOKEN).send().await.unwrap();
            (
                answer.status().as_u16(),
                answer.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    assert_eq!(
        switches(None).await,
        (
            200,
            json!({"allowSignUp": true, "allowIdpInitiated": false})
        )
    );
    t.provision("rfc").await;
    t.log_in_as("rfc", &claims("rfc"))
        .await
        .assert_refused(401, "saml.idp-initiated-disabled");
    assert_eq!(
        switches(Some(json!({"allowIdpInitiated": true}))).await,
        (200, json!({"allowSignUp": true, "allowIdpInitiated": true}))
    );
    t.log_in_as("rfc", &claims("rfc")).await.assert_accepted();
    switches(Some(json!({"allowSignUp": false}))).await;
    t.log_in_as("okta", &claims("okta"))
        .await
        .assert_refused(401, "user.sync.signup-disabled");
    assert_eq!(switches(Some(json!({"allowSignup": false}))).await.0, 400);
    let anonymous = t
        .client
        .get(t.url("/api/reference/saml-settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

#[rstest]
#[case::clean(&[], false)]
#[case::faulty(&[reference_target::Fault::IdpInitiatedWhenOff], true)]
#[tokio::test]
async fn idp_initiated_when_off_accepts_an_unsolicited_response(
    #[case] faults: &[reference_target::Fault],
    #[case] accepted: bool,
) {
    let t = LoginTarget::start_with_faults(
        &format!("{SYNC_ON}[auth.saml]\nallow_idp_initiated = false\n"),
        faults,
    )
    .await;
    t.provision("rfc").await;
    let posted = t.log_in_as("rfc", &claims("rfc")).await;
    if accepted {
        posted.assert_accepted();
    } else {
        posted.assert_refused(401, "saml.idp-initiated-disabled");
    }
}

#[rstest]
#[case::clean(&[], false)]
#[case::faulty(&[reference_target::Fault::SignUpDespiteReject], true)]
#[tokio::test]
async fn sign_up_despite_reject_creates_a_never_seen_user(
    #[case] faults: &[reference_target::Fault],
    #[case] signed_up: bool,
) {
    let t = LoginTarget::start_with_faults(
        &format!("{SYNC_ON}[auth.saml]\nallow_sign_up = false\n"),
        faults,
    )
    .await;
    t.set_scim_config(true, true).await;
    let posted = t.log_in_as("rfc", &claims("rfc")).await;
    let users = t.count("SELECT count(*) FROM user WHERE login = 'rfc.user@example.test'");
    if signed_up {
        posted.assert_accepted();
        assert_eq!(users, 1);
    } else {
        posted.assert_refused(403, "user.sync.user-not-provisioned");
        assert_eq!(users, 0);
    }
}

#[rstest]
#[case::clean(&[], false)]
#[case::faulty(&[reference_target::Fault::SessionOnRefusal], true)]
#[tokio::test]
async fn session_on_refusal_sets_the_session_cookie(
    #[case] faults: &[reference_target::Fault],
    #[case] session: bool,
) {
    let t = LoginTarget::start_with_faults(
        &format!("{SYNC_ON}[auth.saml]\nallow_idp_initiated = true\nrefusal_answer = redirect\n"),
        faults,
    )
    .await;
    t.provision("rfc").await;
    let mut wrong = claims("rfc");
    wrong.uid = "uid-someone-else".to_owned();
    let posted = t.log_in_as("rfc", &wrong).await;
    assert_eq!(posted.status, 302);
    assert_eq!(posted.location(), "/login");
    let cookie = posted.cookie();
    assert_eq!(cookie.is_some(), session);
    let (status, _) = t.whoami(cookie.as_deref()).await;
    assert_eq!(status == 200, session, "whoami answered {status}");
}

/// `saml-node-limit` refuses the large valid Response the clean target accepts (grafana#132763).
#[rstest]
#[tokio::test]
async fn node_limit_refuses_a_large_valid_response(
    #[values("entra", "okta", "rfc")] persona: &str,
) {
    let clean = LoginTarget::start(SYNC_ON).await;
    clean.provision(persona).await;
    post_attack_as(&clean, persona, "many-groups")
        .await
        .assert_accepted();

    let faulty =
        LoginTarget::start_with_faults(SYNC_ON, &[reference_target::Fault::SamlNodeLimit]).await;
    faulty.provision(persona).await;
    post_attack_as(&faulty, persona, "many-groups")
        .await
        .assert_refused(401, "saml.invalid-response");
}

// issue 16: login

/// `session-survives-disable`: a session opened before SCIM disables (or deletes) the
/// user keeps answering `/api/user`; the clean target ends it.
#[rstest]
#[case::clean_disable(&[], "disable", false)]
#[case::clean_delete(&[], "delete", false)]
#[case::faulty_disable(&[reference_target::Fault::SessionSurvivesDisable], "disable", true)]
#[case::faulty_delete(&[reference_target::Fault::SessionSurvivesDisable], "delete", true)]
#[tokio::test]
async fn session_survives_disable_keeps_the_session(
    #[case] faults: &[reference_target::Fault],
    #[case] how: &str,
    #[case] survives: bool,
) {
    let t = LoginTarget::start_with_faults(SYNC_ON, faults).await;
    let id = t.provision("entra").await;
    let cookie = t
        .log_in_as("entra", &claims("entra"))
        .await
        .assert_accepted();
    assert_eq!(t.whoami(Some(&cookie)).await.0, 200);
    let url = format!("{BASE}/Users/{id}");
    match how {
        "disable" => {
            let body = patch(json!([{"op": "replace", "path": "active", "value": false}]));
            t.scim(reqwest::Method::PATCH, &url, Some(&body)).await;
        }
        _ => {
            t.scim(reqwest::Method::DELETE, &url, None).await;
        }
    }
    let (status, _) = t.whoami(Some(&cookie)).await;
    assert_eq!(status == 200, survives, "whoami answered {status}");
}

/// `request-reusable`: a second Response (new ids) to an answered request logs in.
#[rstest]
#[case::clean(&[], false)]
#[case::faulty(&[reference_target::Fault::RequestReusable], true)]
#[tokio::test]
async fn request_reusable_accepts_a_second_answer(
    #[case] faults: &[reference_target::Fault],
    #[case] accepted: bool,
) {
    let t = LoginTarget::start_with_faults(SYNC_ON, faults).await;
    t.provision("okta").await;
    let (request_id, _) = t.start_sp_login("okta", None).await;
    let first = t.spec("okta", &t.login("okta", &claims("okta"), Some(&request_id)));
    t.post_spec("okta", &first, Some(&request_id))
        .await
        .assert_accepted();
    let again = t.spec("okta", &t.login("okta", &claims("okta"), Some(&request_id)));
    let posted = t.post_spec("okta", &again, Some(&request_id)).await;
    if accepted {
        posted.assert_accepted();
    } else {
        posted.assert_refused(401, "saml.unknown-request");
    }
}

/// `open-redirect-relay-state`: an off-site RelayState becomes the redirect, for an
/// unsolicited Response and for one answering a request whose RelayState was replaced.
#[rstest]
#[case::clean(&[], false)]
#[case::faulty(&[reference_target::Fault::OpenRedirectRelayState], true)]
#[tokio::test]
async fn open_redirect_follows_an_off_site_relay_state(
    #[case] faults: &[reference_target::Fault],
    #[case] follows: bool,
) {
    let t = LoginTarget::start_with_faults(SYNC_ON, faults).await;
    t.provision("rfc").await;
    let want = |relay: &str| {
        if follows {
            relay.to_owned()
        } else {
            "/".to_owned()
        }
    };
    for relay in ["https://evil.test/", "//evil.test/", "/\\evil.test"] {
        let spec = t.spec("rfc", &t.login("rfc", &claims("rfc"), None));
        let posted = t.post_spec("rfc", &spec, Some(relay)).await;
        posted.assert_accepted();
        assert_eq!(posted.location(), want(relay));
        let (request_id, _) = t.start_sp_login("rfc", None).await;
        let spec = t.spec("rfc", &t.login("rfc", &claims("rfc"), Some(&request_id)));
        let posted = t.post_spec("rfc", &spec, Some(relay)).await;
        posted.assert_accepted();
        assert_eq!(posted.location(), want(relay));
    }
}

// issue 16: identity

#[rstest]
#[case::clean(&[], false)]
#[case::ignored(&[reference_target::Fault::ExternalIdChangeIgnored], true)]
#[tokio::test]
async fn external_id_change_ignored_keeps_the_old_uid(
    #[case] faults: &[reference_target::Fault],
    #[case] old_link_kept: bool,
) {
    let t = LoginTarget::start_with_faults(SYNC_ON, faults).await;
    let id = t.provision("rfc").await;
    let op = serde_json::json!([{"op": "replace", "path": "externalId", "value": "uid-rekeyed"}]);
    let body = t
        .scim(
            reqwest::Method::PATCH,
            &format!("{BASE}/Users/{id}"),
            Some(&patch(op)),
        )
        .await;
    assert_eq!(body["externalId"], "uid-rekeyed");
    let rekeyed = UserClaims {
        uid: "uid-rekeyed".into(),
        ..claims("rfc")
    };
    let (new_uid, old_uid) = (
        t.log_in_as("rfc", &rekeyed).await,
        t.log_in_as("rfc", &claims("rfc")).await,
    );
    if old_link_kept {
        old_uid.assert_accepted();
        new_uid.assert_refused(401, "user.sync.user-externalUID-mismatch");
    } else {
        new_uid.assert_accepted();
        old_uid.assert_refused(401, "user.sync.user-externalUID-mismatch");
    }
}

/// Grafana PR #106374: a provisioned user's login takes the role and the Grafana-admin
/// flag from the assertion (`assertion_attribute_role`, `role_values_*`); under
/// `saml-role-ignored` they keep the defaults.
#[rstest]
#[case::clean(&[], true)]
#[case::role_ignored(&[reference_target::Fault::SamlRoleIgnored], false)]
#[tokio::test]
async fn role_ignored_keeps_the_default_role(
    #[case] faults: &[reference_target::Fault],
    #[case] synced: bool,
) {
    let ini = format!(
        "{SYNC_ON}[auth.saml]\nassertion_attribute_role = role\nrole_values_editor = Editor\nrole_values_grafana_admin = GrafanaAdmin, superuser\n"
    );
    let t = LoginTarget::start_with_faults(&ini, faults).await;
    t.provision("rfc").await;
    let mut login = grafana_attributes("rfc", &t, &claims("rfc"));
    login.attributes.push(saml::Attribute {
        name: "role".to_owned(),
        name_format: None,
        values: vec!["superuser".to_owned()],
    });
    let cookie = t
        .post_spec("rfc", &t.spec("rfc", &login), None)
        .await
        .assert_accepted();
    let (_, me) = t.whoami(Some(&cookie)).await;
    assert_eq!(me["isGrafanaAdmin"], synced);
    assert_eq!(me["email"], claims("rfc").email, "SCIM keeps the email");
}

// Issue 16: encrypted assertions.

/// The reference target's TEST-ONLY SP key pair (fixtures/target).
fn sp_fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/target")
        .join(name)
}

/// The target's certificate with the persona's IdP's content cipher.
fn sp_encryption(persona: &str) -> saml::Encryption {
    saml::Encryption {
        key: saml::EncryptionKey::from_pem_file(sp_fixture("sp.cert.pem")).unwrap(),
        content: saml::ContentEncryption::for_style(style(persona)),
    }
}

/// SYNC_ON with Grafana's `private_key_path` / `certificate_path` set.
fn decrypting_ini() -> String {
    format!(
        "{SYNC_ON}[auth.saml]\nprivate_key_path = {}\ncertificate_path = {}\n",
        sp_fixture("sp.key.pem").display(),
        sp_fixture("sp.cert.pem").display()
    )
}

/// A valid login of `persona`'s user, its assertion encrypted for the target.
async fn post_encrypted(t: &LoginTarget, persona: &str) -> Posted {
    let spec = t.spec(persona, &t.login(persona, &claims(persona), None));
    let xml = saml::sign_and_encrypt(&spec, &keys(style(persona).name()), &sp_encryption(persona))
        .unwrap();
    t.post_xml(&xml, None).await
}

#[rstest]
#[tokio::test]
async fn an_encrypted_login_is_accepted_with_the_sp_key_only(
    #[values("entra", "okta", "rfc")] persona: &str,
) {
    let t = LoginTarget::start(&decrypting_ini()).await;
    t.provision(persona).await;
    let cookie = post_encrypted(&t, persona).await.assert_accepted();
    let (status, me) = t.whoami(Some(&cookie)).await;
    assert_eq!(
        (status, &me["email"]),
        (200, &json!(claims(persona).email)),
        "{me}"
    );
    let metadata = t.client.get(t.url("/saml/metadata")).send().await.unwrap();
    let metadata = metadata.text().await.unwrap();
    assert!(
        metadata.contains("KeyDescriptor use=\"encryption\""),
        "{metadata}"
    );

    // Without the key pair an encrypted assertion is refused, and the metadata offers none.
    let plain = LoginTarget::start(SYNC_ON).await;
    plain.provision(persona).await;
    assert_eq!(post_encrypted(&plain, persona).await.status, 401);
}

#[rstest]
#[tokio::test]
async fn encryption_unsupported_refuses_a_valid_encrypted_login(
    #[values("entra", "okta", "rfc")] persona: &str,
) {
    let faulty = LoginTarget::start_with_faults(
        &decrypting_ini(),
        &[reference_target::Fault::SamlEncryptionUnsupported],
    )
    .await;
    faulty.provision(persona).await;
    assert_eq!(post_encrypted(&faulty, persona).await.status, 401);
    // A plain login still works.
    faulty
        .log_in_as(persona, &claims(persona))
        .await
        .assert_accepted();
}

#[rstest]
#[case::unsigned_inside(
    reference_target::Fault::SamlEncryptedUnsignedAccepted,
    "encrypted-unsigned"
)]
#[case::plus_plain(
    reference_target::Fault::SamlEncryptedPlusPlain,
    "encrypted-plus-plain"
)]
#[tokio::test]
async fn an_encryption_fault_accepts_its_attack(
    #[case] fault: reference_target::Fault,
    #[case] attack: &str,
    #[values("entra", "okta", "rfc")] persona: &str,
) {
    let clean = LoginTarget::start(&decrypting_ini()).await;
    clean.provision(persona).await;
    let refused = post_attack_as(&clean, persona, attack).await;
    assert_eq!(refused.status, 401, "clean target: {}", refused.body);
    // The clean target refuses a login encrypted for another key, and still accepts a
    // signed Response around an unsigned encrypted assertion only where its policy takes
    // a Response signature (the default `assertion` policy refuses it).
    for other in ["encrypted-for-other-key", "encrypted-response-signed"] {
        assert_eq!(
            post_attack_as(&clean, persona, other).await.status,
            401,
            "{other}"
        );
    }

    let faulty = LoginTarget::start_with_faults(&decrypting_ini(), &[fault]).await;
    faulty.provision(persona).await;
    let cookie = post_attack_as(&faulty, persona, attack)
        .await
        .assert_accepted();
    let (status, me) = faulty.whoami(Some(&cookie)).await;
    assert_eq!(status, 200, "{me}");
    // The identity came from the forged, unsigned assertion.
    assert_ne!(me["email"], claims(persona).email, "{me}");
}
