//! The Grafana-shaped reference target: a SCIM 2.0 service provider on axum and SQLite.
//!
//! It serves Grafana's SCIM path (`/apis/scim.grafana.app/v0alpha1/namespaces/default`, or
//! the namespace [`ServeOptions::namespace`] names), over HTTP or HTTPS ([`ServeTls`]),
//! the SCIMConfig API, and the parts of Grafana's app API a conformance test reads
//! (`/api/user`, `/api/org/users`, `/api/users/…`, `/api/teams/…`), with Grafana's split
//! of who may call what (an org-Admin service-account token; basic auth as the server
//! admin). Behaviour follows
//! `reference/grafana-target.md`; where Grafana's behaviour is not public, the choice is
//! documented in this crate's README.

mod config_api;
mod db;
mod error;
mod fault;
mod grafana_api;
mod http;
mod limits;
mod login;
mod running;
mod scim_api;
mod settings;
mod state;
mod store;
mod timestamp;
mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use axum::serve::ListenerExt;

pub use error::{AppError, InternalError};
pub use fault::{Fault, FaultSet, UnknownFault};
pub use http::app;
pub use http::auth::server_admin_only;
pub use limits::MAX_VALUES_PER_ATTRIBUTE;
pub use login::error::LoginError;
pub use login::idp::{
    parse_metadata as parse_idp_metadata, IdpError, IdpSource, IdpSourceSyntax, TrustedIdp,
};
pub use login::sp::LoginConfig;
pub use running::{spawn, spawn_app, RunningTarget};
pub use settings::{
    env_var_name, RefusalAnswer, SamlSettings, ScimSettings, SecuritySettings, ServerSettings,
    Settings, SettingsError, TeamSyncSettings,
};
pub use state::{AppState, ConfigSource};
pub use tls::ServeTls;

/// The largest request body the target reads: 1 MiB, advertised as the bulk
/// `maxPayloadSize` in the ServiceProviderConfig (RFC 7643 §5).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The most resources one list response carries: RFC 7644 §3.4.2.4 `count` is capped
/// at this value, advertised as `filter.maxResults` (RFC 7643 §5).
pub const MAX_RESULTS: u64 = 1000;

/// How to run the reference target.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// SQLite database file, created and migrated if needed.
    pub db: PathBuf,
    /// Grafana-style ini file (`[auth.scim]`, `[team_sync]`); environment variables
    /// `GF_<SECTION>_<KEY>` override it.
    pub config_ini: Option<PathBuf>,
    /// The bearer token every request must present (never logged).
    pub token: String,
    /// Trusted SAML IdPs (`--idp-cert`, repeatable): IdP metadata files, or PEM
    /// certificates named with their entity id (`ENTITY_ID=PATH`). None: every SAML
    /// login is refused. The SP entity id and ACS URL derive from `[server] root_url`,
    /// by default `http://<bound address>`.
    pub idp_certs: Vec<IdpSource>,
    /// The namespace served (`--namespace`; Grafana Cloud's `stacks-<id>`); others
    /// answer `403 authn.invalid-namespace`. `None`: `default`.
    pub namespace: Option<String>,
    /// Grafana's `[server] root_url` (`--root-url`), replacing the ini's: the public URL
    /// behind a proxy. The SAML entity id and ACS, and SCIM `meta.location`, use it.
    pub root_url: Option<String>,
    /// Serve HTTPS with these files (`--tls-cert`, `--tls-key`, `--tls-client-ca`).
    pub tls: Option<ServeTls>,
}

/// Open and migrate the database, bind, call `ready(local_addr)` once listening, serve
/// until `shutdown` resolves, then drain in-flight requests and return.
///
/// Prints nothing itself: the caller announces the address through `ready`.
pub async fn serve(
    opts: ServeOptions,
    ready: impl FnOnce(SocketAddr) + Send,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with_faults(opts, FaultSet::none(), ready, shutdown).await
}

/// [`serve`] with fault switches (`--fault`, repeatable): deliberate bugs, each
/// documented by [`Fault::doc`], for proving that the scenario catalogue catches them.
/// Logs one warning per active fault at start.
///
/// (A separate entry point rather than a `ServeOptions` field, so code that builds
/// `ServeOptions` literally keeps compiling.)
pub async fn serve_with_faults(
    opts: ServeOptions,
    faults: FaultSet,
    ready: impl FnOnce(SocketAddr) + Send,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut settings = Settings::load(opts.config_ini.as_deref(), std::env::vars())?;
    if let Some(root) = &opts.root_url {
        if !root.starts_with("http://") && !root.starts_with("https://") {
            anyhow::bail!("--root-url `{root}` is not an http(s) url");
        }
        settings.server.root_url = Some(root.trim_end_matches('/').to_owned());
    }
    let tls = opts.tls.as_ref().map(tls::server_config).transpose()?;
    let trusted_idps = login::idp::load_all(&opts.idp_certs)?;
    let db_path = opts.db.clone();
    let token = opts.token;
    for fault in faults.iter() {
        tracing::warn!("fault injected: {fault}: {}", fault.doc());
    }
    let namespace = opts.namespace.clone();
    let state = tokio::task::spawn_blocking(move || {
        let state = AppState::open(&db_path, settings, token)?;
        match namespace {
            Some(ns) => state.with_namespace(&ns),
            None => Ok(state),
        }
    })
    .await
    .context("opening the database on a blocking thread")??
    .with_faults(faults);
    let tcp = tokio::net::TcpListener::bind(opts.listen)
        .await
        .with_context(|| format!("binding {}", opts.listen))?;
    let local = tcp
        .local_addr()
        .with_context(|| format!("reading the bound address of {}", opts.listen))?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let root_url = state
        .settings()
        .server
        .root_url
        .clone()
        .unwrap_or_else(|| format!("{scheme}://{local}"));
    let state = state.with_login(LoginConfig {
        root_url,
        trusted_idps,
        clock: std::sync::Arc::new(saml::SystemClock),
    })?;
    ready(local);
    match tls {
        Some(config) => serve_app(tls::TlsListener::new(tcp, config), local, state, shutdown).await,
        None => serve_app(nodelay(tcp), local, state, shutdown).await,
    }
}

/// A listener on `listen` that sets `TCP_NODELAY` on each accepted connection, and the
/// address it is bound to.
async fn bind(
    listen: SocketAddr,
) -> anyhow::Result<(impl axum::serve::Listener<Addr = SocketAddr>, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let local = listener
        .local_addr()
        .with_context(|| format!("reading the bound address of {listen}"))?;
    Ok((nodelay(listener), local))
}

/// `listener`, setting `TCP_NODELAY` on each accepted connection.
fn nodelay(listener: tokio::net::TcpListener) -> impl axum::serve::Listener<Addr = SocketAddr> {
    listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!("setting TCP_NODELAY on an accepted connection: {err}");
        }
    })
}

/// Serve the app on `listener` (bound to `local`) until `shutdown` resolves, then
/// drain in-flight requests.
async fn serve_app(
    listener: impl axum::serve::Listener<Addr = SocketAddr>,
    local: SocketAddr,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
        .with_context(|| format!("serving on {local}"))
}
