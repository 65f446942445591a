//! The `login` step: the persona's IdP (`idp::issue_login`) issues a SAML Response, this
//! module posts it to the SP's ACS and reads the session back. Both bindings (SAML
//! Bindings §3.4 HTTP-Redirect, §3.5 HTTP-POST) go through `saml::binding`.

use crate::case::{CaseRun, Stop};
use crate::event::TranscriptEntry;
use crate::http::{Body, Request};
use crate::profile::Refusal;
use crate::scenario::{Flow, LoginStep};
use saml::binding::percent_encode;

mod browser;
mod request;

use browser::{json_str, Browser};

/// What a case's logins leave for later steps: the sessions kept by key
/// (`keep_session`) and the last AuthnRequest answered (`reuse_request`).
#[derive(Debug, Default)]
pub(crate) struct LoginMemory {
    sessions: std::collections::BTreeMap<String, KeptSession>,
    /// The id and RelayState of the last SP-initiated login's AuthnRequest.
    last_request: Option<idp::AuthnRequestAnswer>,
}

/// A session a login kept: its cookie and the login `whoami` named then.
#[derive(Debug, Clone)]
struct KeptSession {
    cookie: (String, String),
    login: Option<String>,
}

/// A kept session probed again: the login it was opened for, what `whoami` names now
/// (`None`: not `200`, or no login), and the transcript entry of that answer.
#[derive(Debug, Clone)]
pub(crate) struct SessionProbe {
    pub opened_for: Option<String>,
    pub now: Option<String>,
    pub status: u16,
    pub exchange: u64,
}

/// What one login produced.
#[derive(Debug, Clone)]
pub(crate) struct LoginResult {
    /// The ACS answer's status (the last post for a replay).
    pub status: u16,
    /// Grafana's `messageId`, or the profile's error pointer.
    pub error_id: Option<String>,
    /// The public message the page a refusal redirected to showed (`refusal =
    /// "redirect"` with a `message_marker`).
    pub message: Option<String>,
    /// The login `whoami` named, when a session cookie came back and worked.
    pub whoami_login: Option<String>,
    /// The transcript entry of the ACS answer.
    pub exchange: u64,
    /// The ACS answer's `Location`, when it redirected.
    pub location: Option<String>,
}

impl LoginResult {
    /// The SP answered `status` in transcript entry `exchange`; nothing else seen yet.
    fn answered(status: u16, exchange: u64) -> LoginResult {
        LoginResult {
            status,
            error_id: None,
            message: None,
            whoami_login: None,
            exchange,
            location: None,
        }
    }

    /// One line for a mismatch.
    pub fn describe(&self) -> String {
        let error = (self.error_id.as_ref()).map_or(String::new(), |e| format!(" ({e})"));
        let message =
            (self.message.as_ref()).map_or(String::new(), |m| format!(", page showed {m:?}"));
        let session = (self.whoami_login.as_ref())
            .map_or("no session".into(), |l| format!("session for {l:?}"));
        format!("acs answered {}{error}{message}, {session}", self.status)
    }
}

/// Run one login step.
pub(crate) async fn login(
    run: &mut CaseRun<'_>,
    step: &LoginStep,
    memory: &mut LoginMemory,
) -> Result<LoginResult, Stop> {
    let err = |m: &dyn std::fmt::Display| fail(run.step_no(), m);
    let shared = run.shared();
    let (Some(saml_cfg), Some(session)) = (&shared.opts.profile.saml, &shared.opts.profile.session)
    else {
        return Err(err(
            &"the target profile has no [saml] and [session] sections",
        ));
    };
    let keys = shared
        .keys
        .as_ref()
        .ok_or_else(|| err(&"no idp signing keys loaded"))?;
    let user = run
        .directory_user(&step.user)
        .ok_or_else(|| err(&format!("user `{}` is not in the directory", step.user)))?;
    let mut browser = Browser::default();
    let mut asked = None;
    let flow = step.flow.unwrap_or(match saml_cfg.login_path {
        Some(_) => Flow::SpInitiated,
        None => Flow::IdpInitiated,
    });
    if step.reuse_request {
        let again = memory.last_request.clone().ok_or_else(|| {
            err(&"reuse_request: no earlier sp-initiated login answered an AuthnRequest")
        })?;
        asked = Some(again);
    } else if flow == Flow::SpInitiated {
        let path = (saml_cfg.login_path.as_deref()).ok_or_else(|| {
            err(&"an sp-initiated login needs [saml] login_path in the target profile")
        })?;
        let entity = run.persona().saml_entity_id(&saml_cfg.idp_tenant);
        let path = path.replace("{idp}", &percent_encode(&entity));
        let (n, answer) = browser
            .send(run, Request::get(shared.url(&path)), &path)
            .await?;
        browser.keep_all(&answer);
        let Some(location) = answer
            .header("location")
            .filter(|_| (300..400).contains(&answer.status))
        else {
            return Ok(LoginResult::answered(answer.status, n));
        };
        asked = Some(idp::answer_authn_request(location).map_err(|e| fail(run.step_no(), &e))?);
    }
    if let Some(a) = &asked {
        memory.last_request = Some(a.clone());
    }
    let (in_response_to, relay_state) = asked.map_or((None, None), |a| (Some(a.id), a.relay_state));
    let relay_state = step.relay_state.clone().or(relay_state);
    let request = request::idp_request(run, step, &user, saml_cfg, in_response_to)?;
    let issued = idp::issue_login(keys, &request).map_err(|e| fail(run.step_no(), &e))?;
    let saml_n = run.record_saml(step.attack.clone(), issued.xml.clone());
    let relay_shown = relay_state
        .as_ref()
        .map_or(String::new(), |r| format!("&RelayState={r}"));
    let shown = format!("SAMLResponse=[saml document #{saml_n}]{relay_shown}");
    let pairs = saml::binding::Post::response(issued.xml.clone(), relay_state).form_fields();
    let body = Body::Form { pairs, shown };
    let post = Request {
        method: reqwest::Method::POST,
        body,
        ..Request::get(shared.url(&saml_cfg.acs))
    };
    let mut last = None;
    for _ in 0..issued.posts() {
        last = Some(browser.send(run, post.clone(), &saml_cfg.acs).await?);
    }
    let (n, answer) = last.ok_or_else(|| fail(run.step_no(), &"nothing was posted"))?;
    let mut result = LoginResult::answered(answer.status, n);
    result.error_id = json_str(&answer, &session.error_id_pointer);
    result.location = (answer.header("location"))
        .filter(|_| (300..400).contains(&answer.status))
        .map(str::to_owned);
    if browser.keep(&answer, &session.cookie) {
        let whoami = Request::get(shared.url(&session.whoami));
        let (_, who) = browser.send(run, whoami, &session.whoami).await?;
        if who.status == 200 {
            result.whoami_login = json_str(&who, &session.login_pointer);
        }
        if let (Some(key), Some(cookie)) = (&step.keep_session, browser.cookie(&session.cookie)) {
            let kept = KeptSession {
                cookie,
                login: result.whoami_login.clone(),
            };
            memory.sessions.insert(key.clone(), kept);
        }
    }
    if let (Refusal::Redirect, Some(marker), None) = (
        session.refusal,
        &session.message_marker,
        &result.whoami_login,
    ) {
        result.message = read_message(run, &mut browser, &answer, marker).await?;
    }
    Ok(result)
}

/// Probes the session kept under `key` with the profile's `whoami`, as the browser that
/// holds only that cookie. A key no login kept (the login opened no session) probes
/// nothing: the session is not valid.
pub(crate) async fn probe_session(
    run: &mut CaseRun<'_>,
    memory: &LoginMemory,
    key: &str,
) -> Result<Option<SessionProbe>, Stop> {
    let Some(kept) = memory.sessions.get(key) else {
        return Ok(None);
    };
    let shared = run.shared();
    let session = (shared.opts.profile.session.as_ref()).ok_or_else(|| {
        fail(
            run.step_no(),
            &"the target profile has no [session] section",
        )
    })?;
    let browser = Browser::holding(kept.cookie.clone());
    let whoami = Request::get(shared.url(&session.whoami));
    let (n, who) = browser.send(run, whoami, &session.whoami).await?;
    let now = match who.status {
        200 => json_str(&who, &session.login_pointer),
        _ => None,
    };
    Ok(Some(SessionProbe {
        opened_for: kept.login.clone(),
        now,
        status: who.status,
        exchange: n,
    }))
}

/// Follows a refusal's redirect as the browser does (with the cookies the answer set)
/// and reads the public message that follows `marker` on the page, as a JSON string.
/// `None` when the answer is no redirect or the page shows no message.
async fn read_message(
    run: &mut CaseRun<'_>,
    browser: &mut Browser,
    answer: &crate::http::Answer,
    marker: &str,
) -> Result<Option<String>, Stop> {
    let Some(location) = answer
        .header("location")
        .filter(|_| (300..400).contains(&answer.status))
    else {
        return Ok(None);
    };
    let url = match location.starts_with("http://") || location.starts_with("https://") {
        true => location.to_owned(),
        false => run.shared().url(location),
    };
    browser.keep_all(answer);
    let (n, _) = browser.send(run, Request::get(url), location).await?;
    Ok(response_text(run, n).and_then(|page| message_after(&page, marker)))
}

/// The text body of transcript entry `n`.
fn response_text(run: &CaseRun<'_>, n: u64) -> Option<String> {
    run.log.transcript.iter().find_map(|e| match e {
        TranscriptEntry::Http {
            n: at, exchange, ..
        } if *at == n => exchange.response_text.clone(),
        _ => None,
    })
}

/// The JSON string right after `marker` in `page` (blanks allowed between); `None` when
/// the marker is missing or a `null` or no string follows it.
pub(crate) fn message_after(page: &str, marker: &str) -> Option<String> {
    let rest = page[page.find(marker)? + marker.len()..].trim_start();
    if !rest.starts_with('"') {
        return None;
    }
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<String>();
    stream.next()?.ok()
}

/// A login step that could not run to its end.
fn fail(step_no: usize, message: &dyn std::fmt::Display) -> Stop {
    Stop::Error(format!("step {step_no}: login: {message}"))
}

#[cfg(test)]
mod tests {
    use super::message_after;

    #[test]
    fn reads_the_message_after_the_marker() {
        let page = r#"<script>window.grafanaBootData = {"settings":{"loginError": "User is \"not\" provisioned \u003c"}};</script>"#;
        assert_eq!(
            message_after(page, r#""loginError":"#).as_deref(),
            Some("User is \"not\" provisioned <")
        );
        assert_eq!(
            message_after(r#"{"loginError":null}"#, r#""loginError":"#),
            None
        );
        assert_eq!(message_after("nothing here", r#""loginError":"#), None);
        assert_eq!(
            message_after(r#""loginError":"unterminated"#, r#""loginError":"#),
            None
        );
    }
}
