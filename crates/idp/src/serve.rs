//! `scim-harness idp serve`: the mock IdP as a long-running server a person, a browser or
//! an application points at. Each persona is a [`Site`] under its own path prefix
//! (`/entra/…`, `/okta/…`; at the root when only one is served) with:
//!
//! - the SAML IdP (`saml_site`): `GET /saml/metadata`, `GET|POST /saml/sso` (an
//!   AuthnRequest in the HTTP-Redirect or HTTP-POST binding, answered by a login page),
//!   `POST /saml/login` (the page's choice: a signed Response auto-posted to the ACS),
//!   `GET /saml/init?user=KEY` (IdP-initiated);
//! - SCIM on demand (`provision`, `admin`): the directory kept with its state across
//!   cycles, a JSON API and an admin page over it, cycles run now (`POST /api/sync`) or
//!   on a schedule, and each cycle's exchanges as they happen.
//!
//! Pages are server-rendered HTML (`page`), with no script but the auto-POST.

mod admin;
mod page;
mod provision;
mod saml_site;
mod sp;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use crate::directory::Directory;
use crate::login::IdpKeys;
use crate::persona::PersonaId;
use crate::transport::ScimTarget;

pub use provision::{CycleSummary, Provisioner};
pub use sp::{ServiceProvider, SpError};

/// What `idp serve` is started with.
#[derive(Debug)]
pub struct ServeConfig {
    /// The personas served; several are each under `/<persona>/`, one is at the root.
    pub personas: Vec<PersonaId>,
    /// The directory every persona starts from (each keeps its own copy).
    pub directory: Directory,
    /// The URL the server is reached at (no trailing slash): its metadata and pages name
    /// it. `http://<listen address>` unless the user gives a public one.
    pub public_url: String,
    /// The tenant (Entra) or org key (Okta) that forms each persona's entity id.
    pub tenant: String,
    /// The SPs this IdP knows (`--sp-metadata`, or `--sp-acs` with `--sp-entity-id`).
    pub service_providers: Vec<ServiceProvider>,
    /// The signing keys (the test fixtures unless `--key/--cert`).
    pub keys: Arc<IdpKeys>,
    /// Where `POST /api/sync` and the schedule send SCIM; `None`: no target, sync refused.
    pub target: Option<ScimTarget>,
    /// Run a cycle this often (`--interval`); `None`: only on demand.
    pub interval: Option<Duration>,
    /// Required on the admin page and the API (`Authorization: Bearer`, or the cookie the
    /// admin page sets); `None` only when bound to loopback.
    pub admin_token: Option<String>,
}

/// One persona's IdP: what its handlers share.
#[derive(Debug)]
pub struct Site {
    pub persona: PersonaId,
    /// The path prefix (`""` or `/entra`), no trailing slash.
    pub prefix: String,
    /// `public_url` + `prefix`: the base of this site's absolute URLs.
    pub base_url: String,
    pub tenant: String,
    pub service_providers: Vec<ServiceProvider>,
    pub keys: Arc<IdpKeys>,
    pub admin_token: Option<String>,
    pub provisioner: Arc<Provisioner>,
    /// AuthnRequests waiting for the login page's choice.
    pub pending: saml_site::PendingLogins,
}

impl Site {
    /// The persona's entity id (the Issuer of its Responses).
    pub fn entity_id(&self) -> String {
        self.persona.saml_entity_id(&self.tenant)
    }

    /// This site's SSO endpoint, for both bindings.
    pub fn sso_url(&self) -> String {
        format!("{}/saml/sso", self.base_url)
    }

    /// This site's metadata URL.
    pub fn metadata_url(&self) -> String {
        format!("{}/saml/metadata", self.base_url)
    }

    /// This site's admin page URL.
    pub fn admin_url(&self) -> String {
        format!("{}/admin", self.base_url)
    }
}

/// Why the server could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("idp serve: no persona given")]
    NoPersona,
    #[error("idp serve: persona {0} is given twice")]
    DuplicatePersona(PersonaId),
    #[error(
        "idp serve: bound to {0}, which is not a loopback address: give --admin-token, so \
         the admin page and API are not open to the network"
    )]
    AdminTokenRequired(SocketAddr),
    #[error("idp serve: listening on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// The sites of `config`, one per persona, with their prefixes.
pub fn sites(config: &ServeConfig) -> Result<Vec<Arc<Site>>, ServeError> {
    if config.personas.is_empty() {
        return Err(ServeError::NoPersona);
    }
    let mut out: Vec<Arc<Site>> = Vec::with_capacity(config.personas.len());
    for &persona in &config.personas {
        if out.iter().any(|s| s.persona == persona) {
            return Err(ServeError::DuplicatePersona(persona));
        }
        let prefix = if config.personas.len() == 1 {
            String::new()
        } else {
            format!("/{persona}")
        };
        let base_url = format!("{}{prefix}", config.public_url.trim_end_matches('/'));
        out.push(Arc::new(Site {
            persona,
            base_url,
            prefix,
            tenant: config.tenant.clone(),
            service_providers: config.service_providers.clone(),
            keys: Arc::clone(&config.keys),
            admin_token: config.admin_token.clone(),
            provisioner: Arc::new(Provisioner::new(
                persona,
                config.directory.clone(),
                config.target.clone(),
            )),
            pending: saml_site::PendingLogins::default(),
        }));
    }
    Ok(out)
}

/// The router over `sites`: each site's routes under its prefix, and (with several) an
/// index at `/` naming them.
pub fn router(sites: &[Arc<Site>]) -> Router {
    let mut router = Router::new();
    for site in sites {
        let one = saml_site::router()
            .merge(admin::router())
            .with_state(Arc::clone(site));
        router = if site.prefix.is_empty() {
            router.merge(one)
        } else {
            router.nest(&site.prefix, one)
        };
    }
    if sites.len() > 1 {
        let listed: Vec<Arc<Site>> = sites.to_vec();
        router = router.route(
            "/",
            axum::routing::get(move || {
                let listed = listed.clone();
                async move { page::index(&listed) }
            }),
        );
    }
    router.layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The largest request body read (an AuthnRequest form, an API edit).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Whether the server may run without an admin token on `addr`.
pub fn check_admin_token(addr: SocketAddr, token: Option<&str>) -> Result<(), ServeError> {
    if token.is_none() && !addr.ip().is_loopback() {
        return Err(ServeError::AdminTokenRequired(addr));
    }
    Ok(())
}

/// A bound listening socket, before serving: its address is known (port 0 picked).
#[derive(Debug)]
pub struct Bound {
    listener: tokio::net::TcpListener,
    /// The address it listens on.
    pub addr: SocketAddr,
}

/// Binds `addr` (port 0: a free port).
pub async fn bind(addr: SocketAddr) -> Result<Bound, ServeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    Ok(Bound { listener, addr })
}

/// Serves `sites` on `bound` until `shutdown` resolves; starts each site's schedule
/// when `interval` is set.
pub async fn serve(
    bound: Bound,
    sites: Vec<Arc<Site>>,
    interval: Option<Duration>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let schedules: Vec<_> = match interval {
        Some(every) => sites
            .iter()
            .map(|s| provision::spawn_schedule(Arc::clone(&s.provisioner), every))
            .collect(),
        None => Vec::new(),
    };
    let app = router(&sites);
    let result = axum::serve(bound.listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    for s in schedules {
        s.abort();
    }
    result
}

#[cfg(test)]
mod tests;
