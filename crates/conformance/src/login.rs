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
pub(crate) async fn login(run: &mut CaseRun<'_>, step: &LoginStep) -> Result<LoginResult, Stop> {
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
    if flow == Flow::SpInitiated {
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
    let (in_response_to, relay_state) = asked.map_or((None, None), |a| (Some(a.id), a.relay_state));
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
    if browser.keep(&answer, &session.cookie) {
        let whoami = Request::get(shared.url(&session.whoami));
        let (_, who) = browser.send(run, whoami, &session.whoami).await?;
        if who.status == 200 {
            result.whoami_login = json_str(&who, &session.login_pointer);
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
