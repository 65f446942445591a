//! What a run is given ([`RunOptions`]) and what its case tasks share: the options, one
//! HTTP client and the IdP's signing keys.

use std::path::PathBuf;
use std::time::Duration;

use crate::baseline::Baseline;
use crate::catalogue::Case;
use crate::event::Cleanup;
use crate::http::Client;
use crate::profile::{join, AdminCredentials, Profile};

/// Everything a run needs besides the cases.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub profile: Profile,
    /// The resolved base URL (profile, `--target-url` or the embedded target).
    pub base_url: String,
    /// What each request presents (never reported).
    pub credential: idp::Credential,
    /// The HTTP client with the run's trust, client identity and proxies; `None` builds
    /// one with the bundled and system roots.
    pub connector: Option<idp::Connector>,
    /// The server admin's basic-auth credentials for what `[admin] basic_auth` names
    /// (`SCIM_HARNESS_ADMIN_USER` / `_PASSWORD`, or the embedded target's); never reported.
    pub admin: Option<AdminCredentials>,
    /// Makes every case's names unique and reproducible.
    pub seed: u64,
    /// Cases running at once (at least 1).
    pub jobs: usize,
    /// Budget of one HTTP request.
    pub request_timeout: Duration,
    /// Budget of one whole case (a backstop; requests are bounded already).
    pub case_timeout: Duration,
    /// Folder with `{entra,okta,rfc,attacker}.{key,cert}.pem` for logins.
    pub idp_keys: PathBuf,
    pub baseline: Option<Baseline>,
    /// The configuration a profile without `[config]` runs (the catalogue's first).
    pub default_config: String,
    /// `--keep`: leave what the cases created on the target (no cleanup).
    pub keep: bool,
    /// Set (by a Ctrl-C handler) to stop the run: no new case starts; running cases
    /// finish, the configuration is put back and cleanup runs as usual.
    pub interrupt: Interrupt,
}

impl RunOptions {
    /// The given connector, or one with the bundled and system roots.
    pub(crate) fn connector(&self) -> Result<idp::Connector, RunError> {
        match &self.connector {
            Some(c) => Ok(c.clone()),
            None => idp::Connector::new(&idp::TlsFiles::default(), self.request_timeout)
                .map_err(RunError::Connect),
        }
    }
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("target unreachable at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("setting up the http client")]
    Connect(#[source] idp::ConnectError),
    #[error("loading the idp signing keys from {dir}")]
    Keys {
        dir: String,
        #[source]
        source: saml::KeyError,
    },
}

/// What every case task shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub opts: RunOptions,
    pub client: Client,
    pub connector: idp::Connector,
    pub keys: Option<idp::IdpKeys>,
    /// What the cases' cleanups removed and left behind so far.
    pub cleanup: std::sync::Mutex<Cleanup>,
}

impl Shared {
    /// The client and, when a case logs in against a profile with `[saml]`, the keys.
    pub(crate) fn new(opts: RunOptions, cases: &[Case]) -> Result<Shared, RunError> {
        let needs_keys =
            opts.profile.saml.is_some() && cases.iter().any(|c| c.scenario.needs_saml());
        let keys = if needs_keys {
            Some(
                idp::IdpKeys::load(&opts.idp_keys).map_err(|source| RunError::Keys {
                    dir: opts.idp_keys.display().to_string(),
                    source,
                })?,
            )
        } else {
            None
        };
        let connector = opts.connector()?;
        Ok(Shared {
            client: Client::new(opts.credential.clone(), &connector, opts.request_timeout),
            connector,
            opts,
            keys,
            cleanup: std::sync::Mutex::new(Cleanup::default()),
        })
    }

    pub fn url(&self, path: &str) -> String {
        join(&self.opts.base_url, path)
    }

    pub fn scim_url(&self, rest: &str) -> String {
        format!(
            "{}{rest}",
            self.opts.profile.scim_base(Some(&self.opts.base_url))
        )
    }
}

/// A flag a signal handler sets to stop a run early (`RunOptions::interrupt`).
#[derive(Debug, Clone, Default)]
pub struct Interrupt(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Interrupt {
    /// Ask the run to stop starting cases.
    pub fn raise(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Whether the run was asked to stop.
    pub fn raised(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}
