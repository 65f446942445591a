//! The persona's SAML IdP: metadata, the SSO endpoint in both bindings (SAML Bindings
//! §3.4 HTTP-Redirect, §3.5 HTTP-POST), the login page, and IdP-initiated logins.
//!
//! An AuthnRequest is checked as the real IdP checks it before anyone signs in: its
//! Issuer must be a known SP, its `AssertionConsumerServiceURL` (when given) one of that
//! SP's ACS URLs, its `ProtocolBinding` (when given) HTTP-POST. The request waits,
//! server-side, under a one-time ticket the login page carries; choosing a user signs a
//! persona-shaped Response (InResponseTo and RelayState kept) and auto-posts it.

mod refusal;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use crate::directory::{DirUser, Directory};
use crate::login::{issue_login, AttackVictim, ClaimOverrides, LoginRequest};

use super::page::{self, escape};
use super::sp::ServiceProvider;
use super::Site;
use refusal::{Refusal, UserRefusal};

/// How long a login page's request stays answerable (Entra's AuthnRequest is good for
/// a few minutes; a person may take a while to choose).
const PENDING_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// At most this many requests wait; past it the oldest are forgotten, so a flood of
/// AuthnRequests cannot take memory.
const MAX_PENDING: usize = 10_000;

/// An AuthnRequest the login page answers.
#[derive(Debug, Clone)]
struct Pending {
    sp: usize,
    acs: String,
    request_id: String,
    relay_state: Option<String>,
    expires: Instant,
}

/// The requests waiting for a person's choice, by ticket.
#[derive(Debug, Default)]
pub struct PendingLogins {
    map: Mutex<HashMap<String, Pending>>,
}

impl PendingLogins {
    fn insert(&self, pending: Pending) -> String {
        let ticket = uuid::Uuid::new_v4().simple().to_string();
        let now = Instant::now();
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_PENDING {
            map.retain(|_, p| p.expires > now);
            while map.len() >= MAX_PENDING {
                let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, p)| p.expires)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                map.remove(&oldest);
            }
        }
        map.insert(ticket.clone(), pending);
        ticket
    }

    fn take(&self, ticket: &str) -> Option<Pending> {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(ticket).filter(|p| p.expires > Instant::now())
    }

    /// How many requests wait now.
    pub fn len(&self) -> usize {
        self.map.lock().map_or(0, |m| m.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub(super) fn router() -> Router<Arc<Site>> {
    Router::new()
        .route("/", get(home))
        .route("/saml/metadata", get(metadata))
        .route("/saml/sso", get(sso_redirect).post(sso_post))
        .route("/saml/login", post(choose))
        .route("/saml/init", get(idp_initiated))
}

/// `GET /saml/metadata`: the EntityDescriptor an SP trusts this IdP from.
async fn metadata(State(site): State<Arc<Site>>) -> Response {
    let style = site.persona.saml_style();
    let xml = saml::IdpMetadata {
        entity_id: site.entity_id(),
        sso_url: site.sso_url(),
        signing_certificate: site.keys.for_persona(site.persona).certificate().clone(),
        next_certificates: Vec::new(),
        name_id_formats: vec![style.default_name_id_format().to_owned()],
    }
    .to_xml();
    match xml {
        Ok(xml) => (
            [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
            xml,
        )
            .into_response(),
        Err(e) => page::error_page(
            Some(&site),
            StatusCode::INTERNAL_SERVER_ERROR,
            "Metadata unavailable",
            &e.to_string(),
        ),
    }
}

/// `GET /saml/sso?SAMLRequest=…`: the HTTP-Redirect binding.
async fn sso_redirect(State(site): State<Arc<Site>>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    match saml::binding::Redirect::from_url(&format!("?{query}")) {
        Ok(r) if r.kind == saml::binding::MessageKind::Request => {
            answer_request(&site, &r.xml, r.relay_state)
        }
        Ok(_) => {
            Refusal::binding("the redirect carries a SAMLResponse, not an AuthnRequest").page(&site)
        }
        Err(e) => Refusal::binding(&format!("the HTTP-Redirect message: {e}")).page(&site),
    }
}

/// `POST /saml/sso`: the HTTP-POST binding.
async fn sso_post(
    State(site): State<Arc<Site>>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Ok(Form(fields)) = form else {
        return Refusal::binding("the POST body is not a form (application/x-www-form-urlencoded)")
            .page(&site);
    };
    let fields = fields.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    match saml::binding::Post::from_form_fields(fields) {
        Ok(p) if p.kind == saml::binding::MessageKind::Request => {
            answer_request(&site, &p.xml, p.relay_state)
        }
        Ok(_) => {
            Refusal::binding("the form carries a SAMLResponse, not an AuthnRequest").page(&site)
        }
        Err(e) => Refusal::binding(&format!("the HTTP-POST message: {e}")).page(&site),
    }
}

/// What an AuthnRequest asks, read as the IdP reads it.
#[derive(Debug)]
struct AuthnRequest {
    id: String,
    issuer: String,
    acs: Option<String>,
    protocol_binding: Option<String>,
}

fn read_authn_request(xml: &str) -> Result<AuthnRequest, String> {
    let root = saml::xml::parse(xml).map_err(|e| format!("the AuthnRequest is not XML: {e}"))?;
    if !root.is(saml::xml::NS_PROTOCOL, "AuthnRequest") {
        return Err(format!(
            "the message is a <{}>, not a samlp:AuthnRequest",
            root.qname
        ));
    }
    let id = root
        .attr("ID")
        .filter(|i| !i.trim().is_empty())
        .ok_or("the AuthnRequest has no ID")?
        .to_owned();
    let issuer = root
        .child(saml::xml::NS_ASSERTION, "Issuer")
        .map(|i| i.text().trim().to_owned())
        .filter(|i| !i.is_empty())
        .ok_or("the AuthnRequest has no Issuer, so the application cannot be told")?;
    Ok(AuthnRequest {
        id,
        issuer,
        acs: root.attr("AssertionConsumerServiceURL").map(str::to_owned),
        protocol_binding: root.attr("ProtocolBinding").map(str::to_owned),
    })
}

/// Checks the request against the known SPs and shows the login page for it.
fn answer_request(site: &Arc<Site>, xml: &str, relay_state: Option<String>) -> Response {
    let request = match read_authn_request(xml) {
        Ok(r) => r,
        Err(detail) => return Refusal::binding(&detail).page(site),
    };
    let Some(sp) = site
        .service_providers
        .iter()
        .position(|s| s.entity_id == request.issuer)
    else {
        return Refusal::unknown_sp(site.persona, &request.issuer).page(site);
    };
    let known = &site.service_providers[sp];
    let acs = match &request.acs {
        Some(acs) if !known.allows_acs(acs) => {
            return Refusal::acs_not_allowed(site.persona, acs, known).page(site)
        }
        Some(acs) => acs.clone(),
        None => known.default_acs().to_owned(),
    };
    if let Some(binding) = &request.protocol_binding {
        if binding != saml::binding::HTTP_POST_BINDING {
            return Refusal::binding(&format!(
                "the AuthnRequest asks for the Response over {binding}; this IdP answers \
                 over HTTP-POST only"
            ))
            .page(site);
        }
    }
    let ticket = site.pending.insert(Pending {
        sp,
        acs,
        request_id: request.id,
        relay_state,
        expires: Instant::now() + PENDING_LIFETIME,
    });
    login_page(site, known, &ticket)
}

/// The login page: every user the directory has (disabled ones too, which the IdP then
/// refuses), and an advanced part for overrides and attacks.
fn login_page(site: &Site, sp: &ServiceProvider, ticket: &str) -> Response {
    let directory = site.provisioner.directory();
    let mut body = format!(
        "<p>Sign in to <b>{}</b>. Choose who signs in:</p>\n\
<form method=\"post\" action=\"{}/saml/login\">\n<input type=\"hidden\" name=\"ticket\" value=\"{}\">\n\
<table><tr><th>user</th><th>name</th><th>status</th><th></th></tr>\n",
        escape(&sp.entity_id),
        escape(&site.prefix),
        escape(ticket),
    );
    for user in directory.users().filter(|u| !u.hard_deleted) {
        body.push_str(&format!(
            "<tr><td>{login}</td><td>{name}</td><td>{status}</td><td>\
<button type=\"submit\" name=\"user\" value=\"{id}\" data-user=\"{login}\">Sign in as {login}</button></td></tr>\n",
            login = escape(&user.profile.user_principal_name),
            name = escape(user.profile.display_name.as_deref().unwrap_or("")),
            status = status(&user),
            id = escape(&user.id),
        ));
    }
    body.push_str("</table>\n");
    body.push_str(&advanced(&directory));
    body.push_str("</form>\n");
    page::html(StatusCode::OK, page::frame(Some(site), "Sign in", &body))
}

/// A user's state as the IdP sees it: the reason it would refuse them, or active.
fn status(user: &DirUser) -> &'static str {
    match UserRefusal::of(user) {
        Some(UserRefusal::Deleted) => "deleted (recycle bin)",
        Some(UserRefusal::Disabled) => "disabled",
        Some(UserRefusal::NotAssigned) => "not assigned to the app",
        None => "active",
    }
}

/// The advanced part of the login page: claim overrides, signing mode, an attack.
fn advanced(directory: &Directory) -> String {
    let mut attacks = String::from("<option value=\"\">none</option>");
    for a in saml::Attack::all() {
        attacks.push_str(&format!(
            "<option value=\"{n}\">{n}</option>",
            n = escape(a.name())
        ));
    }
    let mut victims = String::from("<option value=\"\">nobody the SP knows</option>");
    for u in directory.users().filter(|u| !u.hard_deleted) {
        victims.push_str(&format!(
            "<option value=\"{}\">{}</option>",
            escape(&u.id),
            escape(&u.profile.user_principal_name)
        ));
    }
    format!(
        "<details><summary>Advanced: override claims, signing, or send an attack</summary>\n\
<label>uid claim <input name=\"uid\" placeholder=\"the provisioned externalId\"></label>\n\
<label>email claim <input name=\"email\" placeholder=\"the user's mail\"></label>\n\
<label>NameID <input name=\"name_id\" placeholder=\"the user's login\"></label>\n\
<label>sign <select name=\"sign\"><option value=\"\">the IdP's default</option>\
<option>assertion</option><option>response</option><option>both</option></select></label>\n\
<label>attack (tamper catalogue) <select name=\"attack\">{attacks}</select></label>\n\
<label>whom the forged parts claim <select name=\"victim\">{victims}</select></label>\n\
<p class=\"muted\">Then choose the user above. The Response is signed with the test key.</p></details>\n"
    )
}

/// The login page's choice.
#[derive(Debug, Deserialize)]
struct Choice {
    ticket: Option<String>,
    user: Option<String>,
    #[serde(default)]
    uid: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name_id: String,
    #[serde(default)]
    sign: String,
    #[serde(default)]
    attack: String,
    #[serde(default)]
    victim: String,
}

/// `POST /saml/login`: sign the Response for the chosen user and auto-post it.
async fn choose(
    State(site): State<Arc<Site>>,
    form: Result<Form<Choice>, FormRejection>,
) -> Response {
    let Ok(Form(choice)) = form else {
        return Refusal::bad_choice("the form is not what the login page sends").page(&site);
    };
    let Some(ticket) = choice.ticket.as_deref().filter(|t| !t.is_empty()) else {
        return Refusal::bad_choice("the form carries no login request ticket").page(&site);
    };
    let Some(user_key) = choice.user.as_deref().filter(|u| !u.is_empty()) else {
        return Refusal::bad_choice("no user was chosen").page(&site);
    };
    let Some(pending) = site.pending.take(ticket) else {
        return Refusal::expired().page(&site);
    };
    let sp = &site.service_providers[pending.sp];
    respond(
        &site,
        sp,
        &pending.acs,
        user_key,
        Some(pending.request_id),
        pending.relay_state,
        &choice,
    )
}

/// `GET /saml/init?user=KEY[&sp=ENTITY_ID][&RelayState=…]`: IdP-initiated login.
#[derive(Debug, Deserialize)]
struct Init {
    user: Option<String>,
    sp: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

async fn idp_initiated(
    State(site): State<Arc<Site>>,
    query: Result<Query<Init>, QueryRejection>,
) -> Response {
    let Ok(Query(init)) = query else {
        return Refusal::bad_choice("the query is not ?user=KEY[&sp=ENTITY_ID][&RelayState=…]")
            .page(&site);
    };
    let Some(user) = init.user.as_deref().filter(|u| !u.is_empty()) else {
        return Refusal::bad_choice("give ?user=KEY: a directory id or a userPrincipalName")
            .page(&site);
    };
    let sp = match &init.sp {
        Some(entity) => match site
            .service_providers
            .iter()
            .find(|s| &s.entity_id == entity)
        {
            Some(sp) => sp,
            None => return Refusal::unknown_sp(site.persona, entity).page(&site),
        },
        None => match site.service_providers.first() {
            Some(sp) => sp,
            None => return Refusal::no_sp().page(&site),
        },
    };
    let choice = Choice {
        ticket: None,
        user: Some(user.to_owned()),
        uid: String::new(),
        email: String::new(),
        name_id: String::new(),
        sign: String::new(),
        attack: String::new(),
        victim: String::new(),
    };
    respond(
        &site,
        sp,
        sp.default_acs(),
        user,
        None,
        init.relay_state,
        &choice,
    )
}

/// The directory user a KEY names: the directory `id`, or the `userPrincipalName`
/// (case-insensitive). Hard-deleted users are gone.
pub(super) fn find_user<'d>(
    directory: &'d Directory,
    key: &str,
) -> Option<std::borrow::Cow<'d, DirUser>> {
    directory.user_by_key(key).filter(|u| !u.hard_deleted)
}

/// Signs the Response for `user_key` and answers with the page that posts it to `acs`.
fn respond(
    site: &Site,
    sp: &ServiceProvider,
    acs: &str,
    user_key: &str,
    in_response_to: Option<String>,
    relay_state: Option<String>,
    choice: &Choice,
) -> Response {
    let directory = site.provisioner.directory();
    let Some(user) = find_user(&directory, user_key) else {
        return Refusal::unknown_user(user_key).page(site);
    };
    let user = &*user;
    if let Some(refused) = UserRefusal::of(user) {
        return Refusal::user(site.persona, refused, user).page(site);
    }
    let sign = match choice.sign.as_str() {
        "" => None,
        mode => match mode.parse::<saml::SignMode>() {
            Ok(m) => Some(m),
            Err(_) => {
                return Refusal::bad_choice(&format!(
                    "sign {mode:?}: expected assertion, response or both"
                ))
                .page(site)
            }
        },
    };
    let victim = match choice.victim.as_str() {
        "" => None,
        key => match find_user(&directory, key) {
            Some(v) => Some(AttackVictim::of(&v, site.persona.external_id(&v))),
            None => return Refusal::unknown_user(key).page(site),
        },
    };
    let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let request = LoginRequest {
        persona: site.persona,
        user,
        external_id: site.persona.external_id(user),
        groups: directory.group_names_of(&user.id),
        overrides: ClaimOverrides {
            uid: non_empty(&choice.uid),
            email: non_empty(&choice.email),
            name_id: non_empty(&choice.name_id),
            extra_attributes: Vec::new(),
        },
        sign,
        attack: non_empty(&choice.attack),
        victim,
        sp: sp.saml_sp(acs),
        tenant: site.tenant.clone(),
        in_response_to,
        rollover_key: false,
        // The SP's metadata offers an encryption certificate: encrypt as the persona's IdP does.
        encrypt_for: sp.encrypt_for.clone().map(|key| saml::Encryption {
            key,
            content: saml::ContentEncryption::for_style(site.persona.saml_style()),
        }),
    };
    let issued = match issue_login(&site.keys, &request) {
        Ok(issued) => issued,
        Err(e) => return Refusal::bad_choice(&e.to_string()).page(site),
    };
    let replay = issued.posts() > 1;
    let post = saml::binding::Post::response(issued.xml, relay_state);
    let mut html = post.auto_submit_form(acs);
    if replay {
        // A replay: the browser posts once; the page says how to post again.
        html = html.replace(
            "</form>",
            "<p>This attack is a replay: after the application answers, go back and post \
             this form again.</p></form>",
        );
    }
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

/// The site's landing page: its endpoints, and an IdP-initiated link per user.
async fn home(State(site): State<Arc<Site>>) -> Response {
    let directory = site.provisioner.directory();
    let mut body = format!(
        "<ul><li>metadata: <a href=\"{m}\">{m}</a></li><li>SSO (HTTP-Redirect and HTTP-POST): <code>{s}</code></li>\
<li>admin: <a href=\"{a}\">{a}</a></li><li>entity id: <code>{e}</code></li></ul>\n",
        m = escape(&site.metadata_url()),
        s = escape(&site.sso_url()),
        a = escape(&site.admin_url()),
        e = escape(&site.entity_id()),
    );
    if site.service_providers.is_empty() {
        body.push_str("<p>No application is configured: start with --sp-metadata, or --sp-acs and --sp-entity-id.</p>");
    } else {
        body.push_str("<h2>IdP-initiated sign-in</h2><ul>");
        for u in directory.users().filter(|u| !u.hard_deleted) {
            let login = &u.profile.user_principal_name;
            body.push_str(&format!(
                "<li><a href=\"{}/saml/init?user={}\">{}</a> <span class=\"muted\">{}</span></li>",
                escape(&site.prefix),
                escape(&saml::binding::percent_encode(login)),
                escape(login),
                status(&u),
            ));
        }
        body.push_str("</ul>");
    }
    page::html(
        StatusCode::OK,
        page::frame(Some(&site), "Mock identity provider", &body),
    )
}

#[cfg(test)]
mod tests;
