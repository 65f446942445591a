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
        mut req: Request,
    ) -> Result<Request, String> {
        if !self.opts.profile.needs_admin(endpoint) {
            return Ok(req);
        }
        let Some(admin) = &self.opts.admin else {
            return Err(self.admin_missing(endpoint).unwrap_or_default());
        };
        let pair = format!("{}:{}", admin.user, admin.password);
        let value = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        );
        req.bearer = false;
        req.headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
        req.headers.push(("authorization".to_owned(), value));
        Ok(req)
    }
}
