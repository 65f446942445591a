//! The `login` step: the persona's IdP (`idp::issue_login`) issues a SAML Response, this
//! module posts it to the SP's ACS and reads the session back. Both bindings (SAML
//! Bindings §3.4 HTTP-Redirect, §3.5 HTTP-POST) go through `saml::binding`.

use crate::case::{CaseRun, Stop};
use crate::http::{Body, Request};
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
            whoami_login: None,
            exchange,
        }
    }

    /// One line for a mismatch.
    pub fn describe(&self) -> String {
        let error = (self.error_id.as_ref()).map_or(String::new(), |e| format!(" ({e})"));
        let session = (self.whoami_login.as_ref())
            .map_or("no session".into(), |l| format!("session for {l:?}"));
        format!("acs answered {}{error}, {session}", self.status)
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
    if step.flow == Flow::SpInitiated {
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
    Ok(result)
}

/// A login step that could not run to its end.
fn fail(step_no: usize, message: &dyn std::fmt::Display) -> Stop {
    Stop::Error(format!("step {step_no}: login: {message}"))
}
