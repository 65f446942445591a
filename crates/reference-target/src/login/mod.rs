//! SAML login for the reference target: `/saml/acs` (HTTP-POST binding), `/saml/metadata`,
//! SP-initiated `GET /login/saml` (HTTP-Redirect binding), the session cookie that
//! `GET /api/user` reads, the login page `GET /login` that shows a refusal's public
//! message, the home page `GET /` that says who is signed in, and the switches
//! `GET`/`PUT /api/reference/saml-settings`.
//!
//! The SAML checks are [`saml::Verifier`]'s; this module adds what an SP must add: which
//! IdP and request a post answers, the replay cache, exactly one uid value, and
//! Grafana's user rules ([`crate::store::login`]).

pub mod error;
mod faulty;
mod home;
pub mod idp;
mod page;
mod refusals;
pub mod sp;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use crate::fault::Fault;
use crate::grafana_api::{query_map, SESSION_COOKIE};
use crate::login::error::LoginError;
use crate::settings::{RefusalAnswer, SamlSettings};
use crate::state::AppState;
use crate::store::login::{self as store, LoginClaims, LoginPolicy, NewSession};
use crate::timestamp::now_millis;

/// How long a login session lasts: Grafana's `login_maximum_inactive_lifetime_duration`
/// default, 7 days.
pub const SESSION_LIFETIME_SECONDS: i64 = 7 * 24 * 3600;

pub use home::HOME_PATH;

/// Paths that need no bearer token.
pub const ACS_PATH: &str = "/saml/acs";
pub const METADATA_PATH: &str = "/saml/metadata";
pub const LOGIN_PATH: &str = "/login/saml";
/// The login page: where a refused login is redirected, showing its public message.
pub const LOGIN_PAGE_PATH: &str = "/login";
/// The reference target's switches for `allow_sign_up` and `allow_idp_initiated`
/// (bearer token required); Grafana reads them from `[auth.saml]` or its SSO settings.
pub const SWITCHES_PATH: &str = "/api/reference/saml-settings";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(ACS_PATH, post(acs))
        .route(METADATA_PATH, get(metadata))
        .route(LOGIN_PATH, get(start_login))
        .route(LOGIN_PAGE_PATH, get(page::login_page))
        .route(HOME_PATH, get(home::home_page))
        .route(
            SWITCHES_PATH,
            get(page::read_switches).put(page::write_switches),
        )
}

/// A refused login: the error, and (the `session-on-refusal` fault only) a session
/// cookie sent along.
struct Refused {
    error: LoginError,
    session_cookie: Option<HeaderValue>,
}

impl From<LoginError> for Refused {
    fn from(error: LoginError) -> Self {
        Refused {
            error,
            session_cookie: None,
        }
    }
}

/// The HTTP-POST binding's form (SAML Bindings §3.5.4).
#[derive(Debug, Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// `POST /saml/acs`: verify, apply the user rules, open a session; `302` to `/` (or the
/// request's return path, or a safe relative `RelayState`) with the `grafana_session`
/// cookie. A refusal sets no session cookie; it is answered as `[auth.saml]
/// refusal_answer` says: Grafana's `302` to `/login` with an opaque `login_error`
/// cookie (default), or the JSON `LoginError`.
async fn acs(
    State(state): State<AppState>,
    form: Result<Form<AcsForm>, FormRejection>,
) -> Response {
    let refused = match log_in(&state, form).await {
        Ok(response) => return response,
        Err(refused) => refused,
    };
    let mut response = match state.login.settings().refusal_answer {
        RefusalAnswer::Json => refused.error.into_response(),
        RefusalAnswer::Redirect => page::refusal_redirect(&state, refused.error),
    };
    if let Some(cookie) = refused.session_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The `grafana_session` cookie for `token`.
fn session_cookie(sp: &sp::ServiceProvider, token: &str) -> Result<HeaderValue, LoginError> {
    let mut cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={SESSION_LIFETIME_SECONDS}; HttpOnly; SameSite=Lax"
    );
    if sp.secure_cookies() {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).map_err(|_| LoginError::INTERNAL)
}

async fn log_in(
    state: &AppState,
    form: Result<Form<AcsForm>, FormRejection>,
) -> Result<Response, Refused> {
    let Form(form) = form.map_err(|_| LoginError::MISSING_RESPONSE)?;
    let response = form
        .saml_response
        .filter(|r| !r.trim().is_empty())
        .ok_or(LoginError::MISSING_RESPONSE)?;
    let sp = &state.login;
    let accepted = sp
        .accept(&response, form.relay_state.as_deref(), &state.faults)
        .await?;
    let claims = claims(&accepted.assertion, sp.settings())?;
    let (scim, _) = state.scim_settings();
    let policy = LoginPolicy {
        user_sync_enabled: scim.user_sync_enabled,
        reject_non_provisioned_users: scim.reject_non_provisioned_users,
        allow_sign_up: sp.switches().allow_sign_up,
    };
    let now = now_millis();
    let session = NewSession {
        token: format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        ),
        now,
        expires: now + SESSION_LIFETIME_SECONDS * 1000,
    };
    let token = session.token.clone();
    let faults = state.faults.clone();
    let kept = (claims.clone(), session.clone());
    let role = role_sync(&accepted.assertion, sp.settings());
    let outcome = state
        .db
        .write(move |tx| {
            let outcome = store::log_in(tx, &claims, policy, &session, &faults)?;
            if let (Ok(user), Some((org_role, grafana_admin))) = (&outcome, role) {
                // Fault: SCIM's users keep the role they were provisioned with.
                if !(user.is_provisioned && faults.has(Fault::SamlRoleIgnored)) {
                    crate::store::app::set_role(tx, user.id, org_role, grafana_admin)?;
                }
            }
            Ok::<_, crate::error::AppError>(outcome)
        })
        .await
        .map_err(|e| {
            tracing::error!(target: "reference_target::saml", error = %e, "login transaction failed");
            LoginError::INTERNAL
        })?;
    let user = match outcome {
        Ok(user) => user,
        Err(e) => {
            tracing::info!(target: "reference_target::saml", message_id = e.message_id, "login refused");
            let mut refused = Refused::from(e);
            if state.faults.has(Fault::SessionOnRefusal) {
                let (claims, session) = kept;
                let opened = state
                    .db
                    .write(move |tx| store::open_session_despite_refusal(tx, &claims, &session))
                    .await;
                if let Ok(true) = opened {
                    refused.session_cookie = session_cookie(sp, &token).ok();
                }
            }
            return Err(refused);
        }
    };
    tracing::info!(target: "reference_target::saml", user = user.id, "login");
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&accepted.return_to).unwrap_or(HeaderValue::from_static("/")),
    );
    headers.insert(header::SET_COOKIE, session_cookie(sp, &token)?);
    Ok(response)
}

/// The user claims from the signed assertion, with the `[auth.saml]` attribute names.
///
/// The uid attribute must carry at most one value: two values, or the attribute twice,
/// is refused (`saml.ambiguous-externalUID`); absent or empty reads as empty, which the
/// user rules refuse for a provisioned user. Names match exactly (case-sensitive).
/// Without the email attribute, a NameID holding `@` is the email; without the login
/// attribute, the email is the login; without the name attribute, the login.
pub fn claims(
    assertion: &saml::VerifiedAssertion,
    settings: &SamlSettings,
) -> Result<LoginClaims, LoginError> {
    let external_uid = match assertion
        .attribute_values(&settings.assertion_attribute_external_uid)
        .as_slice()
    {
        [] => String::new(),
        [one] => (*one).to_owned(),
        _ => return Err(LoginError::AMBIGUOUS_EXTERNAL_UID),
    };
    let first = |name: &str| {
        assertion
            .attribute_values(name)
            .into_iter()
            .map(str::trim)
            .find(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let name_id = assertion.name_id.trim().to_owned();
    let email = first(&settings.assertion_attribute_email)
        .or_else(|| name_id.contains('@').then(|| name_id.clone()))
        .unwrap_or_default();
    let login = first(&settings.assertion_attribute_login).unwrap_or_else(|| email.clone());
    let name = first(&settings.assertion_attribute_name).unwrap_or_else(|| login.clone());
    Ok(LoginClaims {
        name_id,
        external_uid,
        login,
        email,
        name,
    })
}

/// Grafana's role sync at login (`assertion_attribute_role`, `role_values_*`): the org
/// role and Grafana-admin flag the assertion maps to; `None` when role sync is off. It
/// applies to SCIM-provisioned users too, whose login, email and name stay SCIM's
/// (Grafana PR #106374: SCIM cannot set roles).
fn role_sync(
    assertion: &saml::VerifiedAssertion,
    settings: &SamlSettings,
) -> Option<(&'static str, bool)> {
    let values: Vec<String> = assertion
        .attribute_values(&settings.roles.attribute)
        .into_iter()
        .map(|v| v.trim().to_owned())
        .collect();
    settings.roles.map(&values)
}

/// `GET /saml/metadata`: the SP EntityDescriptor.
async fn metadata(State(state): State<AppState>) -> Response {
    let mut response = state.login.metadata_xml().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    response
}

/// `GET /login/saml[?idp=ENTITY_ID][&redirectTo=/path]`: `302` to the IdP's SSO URL with
/// a deflated AuthnRequest (`SAMLRequest`) and `RelayState` (the request id).
async fn start_login(State(state): State<AppState>, uri: Uri) -> Response {
    let params = match query_map(&uri) {
        Ok(p) => p,
        Err(_) => return LoginError::NO_SSO_URL.into_response(),
    };
    let location = state
        .login
        .start_login(
            params.get("idp").map(String::as_str),
            params.get("redirectTo").map(String::as_str),
        )
        .await;
    match location.map(|l| HeaderValue::from_str(&l)) {
        Ok(Ok(location)) => {
            let mut response = StatusCode::FOUND.into_response();
            response.headers_mut().insert(header::LOCATION, location);
            response
        }
        Ok(Err(_)) => LoginError::INTERNAL.into_response(),
        Err(e) => e.into_response(),
    }
}
