//! What the mock IdP says when it will not sign someone in, worded as the persona's IdP
//! words it where its error is documented (Entra's AADSTS codes), and always saying what
//! was wrong and where.

use axum::http::StatusCode;
use axum::response::Response;

use crate::directory::DirUser;
use crate::persona::PersonaId;
use crate::serve::page;
use crate::serve::sp::ServiceProvider;
use crate::serve::Site;

/// A refused sign-in: the page's status, title and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
}

/// Why the IdP refuses a directory user (entra-scim.md §1.5 names the states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRefusal {
    /// In the recycle bin (Entra) or deactivated (Okta).
    Deleted,
    /// `accountEnabled = false`.
    Disabled,
    /// Not assigned to the application.
    NotAssigned,
}

impl UserRefusal {
    /// Why `user` may not sign in, or `None` when they may.
    pub fn of(user: &DirUser) -> Option<UserRefusal> {
        if user.soft_deleted {
            Some(UserRefusal::Deleted)
        } else if !user.enabled {
            Some(UserRefusal::Disabled)
        } else if !user.assigned {
            Some(UserRefusal::NotAssigned)
        } else {
            None
        }
    }
}

fn is_entra(persona: PersonaId) -> bool {
    matches!(persona, PersonaId::Entra | PersonaId::EntraAadOpt)
}

impl Refusal {
    fn new(status: StatusCode, title: &'static str, detail: String) -> Refusal {
        Refusal {
            status,
            title,
            detail,
        }
    }

    /// A message the binding or the AuthnRequest does not carry properly.
    pub fn binding(detail: &str) -> Refusal {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "Malformed sign-in request",
            format!("The sign-in request could not be read: {detail}."),
        )
    }

    /// The AuthnRequest's Issuer is no SP this IdP knows.
    pub fn unknown_sp(persona: PersonaId, issuer: &str) -> Refusal {
        let detail = if is_entra(persona) {
            format!(
                "AADSTS700016: Application with identifier '{issuer}' was not found in the \
                 directory. (The mock IdP knows the applications given by --sp-metadata or \
                 --sp-entity-id.)"
            )
        } else {
            format!(
                "No application with the entity id '{issuer}' is set up in this org. (The \
                 mock IdP knows the applications given by --sp-metadata or --sp-entity-id.)"
            )
        };
        Refusal::new(StatusCode::BAD_REQUEST, "Unknown application", detail)
    }

    /// The AuthnRequest asks for an ACS URL the SP does not have.
    pub fn acs_not_allowed(persona: PersonaId, acs: &str, sp: &ServiceProvider) -> Refusal {
        let configured = sp.acs_urls.join(", ");
        let detail = if is_entra(persona) {
            format!(
                "AADSTS50011: The redirect URI '{acs}' specified in the request does not \
                 match the redirect URIs configured for the application '{}'. Configured: {configured}.",
                sp.entity_id
            )
        } else {
            format!(
                "The AssertionConsumerServiceURL '{acs}' is not a Single sign-on URL of the \
                 application '{}'. Configured: {configured}.",
                sp.entity_id
            )
        };
        Refusal::new(StatusCode::BAD_REQUEST, "Reply URL not allowed", detail)
    }

    /// No SP is configured at all (IdP-initiated without `--sp-*`).
    pub fn no_sp() -> Refusal {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "No application configured",
            "No application is configured: start idp serve with --sp-metadata, or with \
             --sp-acs and --sp-entity-id."
                .to_owned(),
        )
    }

    /// The user key names nobody in the directory.
    pub fn unknown_user(key: &str) -> Refusal {
        Refusal::new(
            StatusCode::NOT_FOUND,
            "Unknown user",
            format!(
                "No user with the id or userPrincipalName '{key}' is in the directory (a \
                 hard-deleted user is gone)."
            ),
        )
    }

    /// The IdP refuses this user, as the real one does.
    pub fn user(persona: PersonaId, why: UserRefusal, user: &DirUser) -> Refusal {
        let login = &user.profile.user_principal_name;
        let (title, detail) = match (why, is_entra(persona)) {
            (UserRefusal::Disabled, true) => (
                "Account disabled",
                format!("AADSTS50057: The user account is disabled. ({login})"),
            ),
            (UserRefusal::Disabled, false) => (
                "Account deactivated",
                format!("The user {login} is deactivated and cannot sign in."),
            ),
            (UserRefusal::NotAssigned, true) => (
                "Not assigned",
                format!(
                    "AADSTS50105: The signed in user '{login}' is not assigned to a role for \
                     the application."
                ),
            ),
            (UserRefusal::NotAssigned, false) => (
                "Not assigned",
                format!("The user {login} is not assigned to this application."),
            ),
            (UserRefusal::Deleted, true) => (
                "Account deleted",
                format!("AADSTS50034: The user account {login} does not exist in the directory."),
            ),
            (UserRefusal::Deleted, false) => (
                "Account deactivated",
                format!("The user {login} is deactivated and cannot sign in."),
            ),
        };
        Refusal::new(StatusCode::FORBIDDEN, title, detail)
    }

    /// The login page's form is not what it sends.
    pub fn bad_choice(detail: &str) -> Refusal {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "Sign-in could not continue",
            detail.to_owned(),
        )
    }

    /// The ticket is unknown, used or expired.
    pub fn expired() -> Refusal {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "Sign-in request expired",
            "This sign-in request is unknown, was already answered, or expired: start again \
             from the application."
                .to_owned(),
        )
    }

    /// The refusal as an HTML page.
    pub fn page(&self, site: &Site) -> Response {
        page::error_page(Some(site), self.status, self.title, &self.detail)
    }
}
