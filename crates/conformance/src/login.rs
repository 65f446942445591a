//! The `login` step: the persona's IdP issues a SAML Response (optionally tampered),
//! posts it to the SP's ACS with the HTTP-POST binding, and reads the session back.
//!
//! SAML Bindings §3.5 (HTTP-POST: form field `SAMLResponse`, base64) and §3.4
//! (HTTP-Redirect: `SAMLRequest` is DEFLATE-compressed, then base64).

use std::io::Read;

use base64::Engine as _;
use serde_json::Value;

use crate::case::{CaseRun, Stop};
use crate::http::{query_param, Body, Request};
use crate::profile::join;
use crate::scenario::{Flow, LoginStep, Signing};
use idp::PersonaId as Persona;

/// What one login produced.
#[derive(Debug, Clone)]
pub(crate) struct LoginResult {
    /// The ACS answer's status (the last post for a replay).
    pub status: u16,
    /// Grafana's `messageId`, or the profile's error pointer.
    pub error_id: Option<String>,
    /// The login `whoami` named, when a session cookie came back and worked.
    pub whoami_login: Option<String>,
    /// The transcript entry of the ACS answer.
    pub exchange: u64,
}

impl LoginResult {
    /// One line for a mismatch.
    pub fn describe(&self) -> String {
        let mut s = format!("acs answered {}", self.status);
        if let Some(e) = &self.error_id {
            s.push_str(&format!(" ({e})"));
        }
        match &self.whoami_login {
            Some(l) => s.push_str(&format!(", session for {l:?}")),
            None => s.push_str(", no session"),
        }
        s
    }
}

fn err(run: &CaseRun<'_>, message: String) -> Stop {
    Stop::Error(format!("step {}: login: {message}", run.step_no()))
}

/// Run one login step.
pub(crate) async fn login(run: &mut CaseRun<'_>, step: &LoginStep) -> Result<LoginResult, Stop> {
    let shared = run.shared();
    let profile = &shared.opts.profile;
    let (Some(saml_cfg), Some(session)) = (profile.saml.clone(), profile.session.clone()) else {
        return Err(err(
            run,
            "the target profile has no [saml] and [session] sections".into(),
        ));
    };
    let Some(keys) = shared.keys.as_ref() else {
        return Err(err(run, "no idp signing keys loaded".into()));
    };
    let persona = run.persona();
    let style = match persona {
        Persona::Entra | Persona::EntraAadOpt => saml::IdpStyle::Entra,
        Persona::Okta | Persona::OktaOin => saml::IdpStyle::Okta,
        Persona::Rfc => saml::IdpStyle::Rfc,
    };
    let trusted = match style {
        saml::IdpStyle::Entra => &keys.entra,
        saml::IdpStyle::Okta => &keys.okta,
        saml::IdpStyle::Rfc => &keys.rfc,
    };
    let Some(user) = run.directory_user(&step.user) else {
        return Err(err(
            run,
            format!("user `{}` is not in the directory", step.user),
        ));
    };
    let tag = run.tag.clone();
    let x = |v: &Option<String>| v.as_ref().map(|v| v.replace("{tag}", &tag));
    let p = &user.profile;
    let claims = saml::UserClaims {
        uid: x(&step.uid).unwrap_or_else(|| run.external_id_of(&user)),
        login: p.user_principal_name.clone(),
        email: x(&step.email)
            .or_else(|| p.mail.clone())
            .unwrap_or_else(|| p.user_principal_name.clone()),
        display_name: p.display_name.clone().unwrap_or_default(),
        given_name: p.given_name.clone().unwrap_or_default(),
        surname: p.surname.clone().unwrap_or_default(),
        groups: run.groups_of(&user.id),
    };
    let mut attributes = style.attributes_for(&claims, &saml_cfg.idp_tenant);
    if saml_cfg.uid_attribute != saml::GRAFANA_UID_ATTRIBUTE {
        for a in &mut attributes {
            if a.name == saml::GRAFANA_UID_ATTRIBUTE {
                a.name = saml_cfg.uid_attribute.clone();
            }
        }
    }
    let acs_url = shared.url(&saml_cfg.acs);
    let audience = if saml_cfg.sp_entity_id.starts_with('/') {
        join(&shared.opts.base_url, &saml_cfg.sp_entity_id)
    } else {
        saml_cfg.sp_entity_id.clone()
    };
    let mut cookies: Vec<(String, String)> = Vec::new();
    let mut relay_state: Option<String> = None;
    let mut in_response_to = None;
    if step.flow == Flow::SpInitiated {
        let Some(path) = saml_cfg.login_path.clone() else {
            return Err(err(
                run,
                "an sp-initiated login needs [saml] login_path in the target profile".into(),
            ));
        };
        let entity = style.entity_id(&saml_cfg.idp_tenant);
        let path = path.replace("{idp}", &crate::http::percent_encode(&entity));
        let req = Request {
            bearer: false,
            ..Request::get(shared.url(&path))
        };
        let (n, answer) = run
            .send_login(&req)
            .await
            .map_err(|e| err(run, format!("GET {path}: {e}")))?;
        let location = answer.header("location").map(str::to_owned);
        cookies.extend(answer.set_cookies());
        let Some(location) = location.filter(|_| (300..400).contains(&answer.status)) else {
            return Ok(LoginResult {
                status: answer.status,
                error_id: None,
                whoami_login: None,
                exchange: n,
            });
        };
        relay_state = query_param(&location, "RelayState");
        let request = query_param(&location, "SAMLRequest")
            .ok_or_else(|| err(run, format!("redirect {location} carries no SAMLRequest")))?;
        let xml = inflate_request(&request)
            .map_err(|e| err(run, format!("decoding the AuthnRequest: {e}")))?;
        in_response_to = Some(
            attribute(&xml, "ID").ok_or_else(|| err(run, "the AuthnRequest has no ID".into()))?,
        );
    }
    let login = saml::Login {
        idp_entity_id: style.entity_id(&saml_cfg.idp_tenant),
        acs_url,
        audience,
        name_id: x(&step.name_id).unwrap_or_else(|| p.user_principal_name.clone()),
        name_id_format: None,
        attributes,
        in_response_to,
    };
    let mut spec = saml::ResponseSpec::new(style, &login, &saml::SystemClock, &saml::RandomIds);
    if let Some(s) = step.sign {
        spec.sign = match s {
            Signing::Assertion => saml::SignMode::Assertion,
            Signing::Response => saml::SignMode::Response,
            Signing::Both => saml::SignMode::Both,
        };
    }
    let (xml, twice) = match &step.attack {
        None => (
            saml::sign_response(&spec, trusted).map_err(|e| err(run, format!("signing: {e}")))?,
            false,
        ),
        Some(name) => {
            let attack: saml::Attack = name.parse().map_err(|e| err(run, format!("{e}")))?;
            let victim = match &step.victim {
                None => None,
                Some(key) => {
                    let Some(v) = run.directory_user(key) else {
                        return Err(err(run, format!("user `{key}` is not in the directory")));
                    };
                    Some((
                        v.profile.user_principal_name.clone(),
                        run.external_id_of(&v),
                    ))
                }
            };
            let ctx = saml::AttackContext {
                trusted,
                attacker: &keys.attacker,
                uid_attribute: &saml_cfg.uid_attribute,
                clock_skew: saml::DEFAULT_CLOCK_SKEW,
                now: time::OffsetDateTime::now_utc() + edge_lead(attack),
                victim: victim
                    .as_ref()
                    .map(|(name_id, uid)| saml::Victim { name_id, uid }),
            };
            let t = attack
                .apply(&spec, &ctx)
                .map_err(|e| err(run, format!("attack {name}: {e}")))?;
            (t.xml, t.delivery == saml::Delivery::Twice)
        }
    };
    let saml_n = run.record_saml(step.attack.clone(), xml.clone());
    let encoded = base64::engine::general_purpose::STANDARD.encode(xml.as_bytes());
    let mut pairs = vec![("SAMLResponse".to_owned(), encoded)];
    let mut shown = format!("SAMLResponse=[saml document #{saml_n}]");
    if let Some(r) = &relay_state {
        pairs.push(("RelayState".to_owned(), r.clone()));
        shown.push_str(&format!("&RelayState={r}"));
    }
    let posts = if twice { 2 } else { 1 };
    let mut last = None;
    for _ in 0..posts {
        let req = Request {
            method: reqwest::Method::POST,
            url: shared.url(&saml_cfg.acs),
            bearer: false,
            cookies: cookie_header(&cookies),
            body: Body::Form {
                pairs: pairs.clone(),
                shown: shown.clone(),
            },
            headers: Vec::new(),
        };
        let (n, answer) = run
            .send_login(&req)
            .await
            .map_err(|e| err(run, format!("POST {}: {e}", saml_cfg.acs)))?;
        last = Some((n, answer));
    }
    let Some((n, answer)) = last else {
        return Err(err(run, "nothing was posted".into()));
    };
    let error_id = answer
        .json
        .as_ref()
        .and_then(|j| j.pointer(&session.error_id_pointer))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let session_cookie = answer
        .set_cookies()
        .into_iter()
        .find(|(name, value)| *name == session.cookie && !value.is_empty());
    let mut result = LoginResult {
        status: answer.status,
        error_id,
        whoami_login: None,
        exchange: n,
    };
    if let Some(c) = session_cookie {
        cookies.retain(|(name, _)| *name != session.cookie);
        cookies.push(c);
        let req = Request {
            bearer: false,
            cookies: cookie_header(&cookies),
            ..Request::get(shared.url(&session.whoami))
        };
        let (_, who) = run
            .send_login(&req)
            .await
            .map_err(|e| err(run, format!("GET {}: {e}", session.whoami)))?;
        if who.status == 200 {
            result.whoami_login = who
                .json
                .as_ref()
                .and_then(|j| j.pointer(&session.login_pointer))
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
    }
    Ok(result)
}

/// The SP checks the validity window when the post arrives, later than the IdP mints it
/// (signing and posting take time on a loaded machine, and timestamps may be truncated to
/// the second). The two window-edge documents that this delay would carry across the
/// edge (one second inside the expiry, one second before the start) are minted as if
/// this much later, so they are still on their side of the edge when checked. The other
/// edge documents only move further from the edge as time passes.
const EDGE_LEAD: time::Duration = time::Duration::seconds(5);

fn edge_lead(attack: saml::Attack) -> time::Duration {
    match attack {
        saml::Attack::ExpiredInsideSkew | saml::Attack::NotYetValidPastSkew => EDGE_LEAD,
        _ => time::Duration::ZERO,
    }
}

fn cookie_header(cookies: &[(String, String)]) -> Option<String> {
    if cookies.is_empty() {
        return None;
    }
    Some(
        cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// base64, then raw DEFLATE (SAML Bindings §3.4.4.1); falls back to plain base64.
fn inflate_request(value: &str) -> Result<String, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|e| format!("base64: {e}"))?;
    let mut out = String::new();
    let mut decoder = flate2::read::DeflateDecoder::new(&bytes[..]).take(1024 * 1024);
    if decoder.read_to_string(&mut out).is_ok() && out.contains('<') {
        return Ok(out);
    }
    String::from_utf8(bytes).map_err(|e| format!("not xml: {e}"))
}

/// The value of the first `name="…"` attribute in `xml`.
fn attribute(xml: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=");
    let at = xml.find(&needle)? + needle.len();
    let rest = &xml[at..];
    let quote = rest.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let end = rest[1..].find(quote)?;
    Some(rest[1..1 + end].to_owned())
}
