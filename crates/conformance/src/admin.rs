//! Server-admin basic auth (RFC 7617) for the requests a profile's `[admin] basic_auth`
//! names: Grafana serves its global user and admin APIs only to a server admin, never
//! to the service-account token the other requests carry.

use base64::Engine;

use crate::http::Request;
use crate::options::Shared;
use crate::profile::{AdminEndpoint, ADMIN_PASSWORD_ENV, ADMIN_USER_ENV};

impl Shared {
    /// Why a request to `endpoint` cannot be sent: the profile sends it as a server
    /// admin and the run has no admin credentials. `None` when it can.
    pub(crate) fn admin_missing(&self, endpoint: AdminEndpoint) -> Option<String> {
        (self.opts.profile.needs_admin(endpoint) && self.opts.admin.is_none()).then(|| {
            format!(
                "{} needs a server admin ([admin] basic_auth): set {ADMIN_USER_ENV} and {ADMIN_PASSWORD_ENV}",
                endpoint.key()
            )
        })
    }

    /// `req` as the profile sends `endpoint`: with the bearer token, or, when
    /// `[admin] basic_auth` names it, with basic auth as the server admin instead. The
    /// transcript redacts the `Authorization` header either way.
    pub(crate) fn authorize(
        &self,
        endpoint: AdminEndpoint,
        req: Request,
    ) -> Result<Request, String> {
        if !self.opts.profile.needs_admin(endpoint) {
            return Ok(req);
        }
        if self.opts.admin.is_none() {
            return Err(self.admin_missing(endpoint).unwrap_or_default());
        }
        self.as_server_admin(req)
    }

    /// `req` sent with basic auth as the server admin instead of the profile's
    /// credential (a `request` step's `auth: admin`); an error naming the variables when
    /// the run has no admin credentials.
    pub(crate) fn as_server_admin(&self, req: Request) -> Result<Request, String> {
        let Some(admin) = &self.opts.admin else {
            return Err(format!(
                "a request as the server admin needs {ADMIN_USER_ENV} and {ADMIN_PASSWORD_ENV}"
            ));
        };
        let pair = format!("{}:{}", admin.user, admin.password);
        Ok(with_authorization(
            req,
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ),
        ))
    }
}

/// `req` with `value` as its only `Authorization` header, and not the profile's.
pub(crate) fn with_authorization(mut req: Request, value: String) -> Request {
    req.bearer = false;
    req.headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
    req.headers.push(("authorization".to_owned(), value));
    req
}
