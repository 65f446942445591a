//! Shared state for every handler: the database, the static settings, the bearer
//! token, and the stored SCIMConfig that overrides the settings at run time.

use std::path::Path;
use std::sync::{Arc, RwLock};

use anyhow::Context;
use subtle::ConstantTimeEq;

use crate::db::Db;
use crate::fault::{Fault, FaultSet};
use crate::login::sp::{LoginConfig, ServiceProvider};
use crate::settings::{ScimSettings, Settings};
use crate::store::config::StoredConfig;

/// Where the SCIM settings in force come from (SCIMConfig `status.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// The ini file and environment.
    File,
    /// The SCIMConfig stored through the API.
    Database,
}

impl ConfigSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigSource::File => "file",
            ConfigSource::Database => "database",
        }
    }
}

/// The bearer token, compared in constant time and never printed.
pub struct BearerToken(Vec<u8>);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl BearerToken {
    /// True when `presented` is the token (constant time for equal lengths).
    pub fn matches(&self, presented: &[u8]) -> bool {
        bool::from(self.0.as_slice().ct_eq(presented))
    }
}

/// The root URL of a target built by [`AppState::open`] without `[server] root_url`:
/// Grafana's default.
pub const DEFAULT_ROOT_URL: &str = "http://localhost:3000";

/// Handler state: cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub(crate) db: Arc<Db>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) token: Arc<BearerToken>,
    /// The stored SCIMConfig, loaded at start and replaced whenever the config API
    /// writes it (in the same writer transaction), so each request reads the value
    /// in force without a database round trip. This process is the only writer.
    pub(crate) stored_config: Arc<RwLock<Option<StoredConfig>>>,
    /// The stored SCIMConfig as it was at start: what the `config-needs-restart` fault
    /// keeps enforcing.
    pub(crate) startup_config: Option<StoredConfig>,
    /// The SAML service provider: trusted IdPs, outstanding requests, replay cache.
    pub(crate) login: Arc<ServiceProvider>,
    /// Team Sync in force: `[team_sync] enabled` at start, then what
    /// `PUT /api/admin/team-sync` sets. The lock also serialises the switches that must
    /// not both be on (Team Sync, SCIM group sync), so a config write and a Team Sync
    /// change cannot race past each other's check.
    pub(crate) team_sync: Arc<tokio::sync::Mutex<bool>>,
    /// Active fault switches; empty for the correct target.
    pub(crate) faults: Arc<FaultSet>,
    /// The one namespace served (`default`, or Grafana Cloud's `stacks-<id>`); the
    /// SCIMConfig is stored under it, and any other namespace answers 403.
    pub(crate) namespace: Arc<str>,
}

impl AppState {
    /// Open and migrate the database at `db`; `settings` are the static (file and
    /// environment) settings; `token` is the bearer token clients must present.
    pub fn open(db: &Path, settings: Settings, token: String) -> anyhow::Result<AppState> {
        if token.is_empty() {
            anyhow::bail!("opening the reference target: the bearer token must not be empty");
        }
        settings.validate()?;
        let db = Arc::new(Db::open(db)?);
        let stored = db
            .read_blocking(|tx| {
                Ok(crate::store::config::get(
                    tx,
                    crate::store::config::DEFAULT_NAMESPACE,
                )?)
            })
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("reading the stored scim config")?;
        let login = LoginConfig {
            root_url: settings
                .server
                .root_url
                .clone()
                .unwrap_or_else(|| DEFAULT_ROOT_URL.to_owned()),
            trusted_idps: Vec::new(),
            clock: Arc::new(saml::SystemClock),
        };
        let sp = ServiceProvider::new(login, settings.saml.clone(), Arc::clone(&db))
            .context("setting up the saml service provider")?;
        Ok(AppState {
            team_sync: Arc::new(tokio::sync::Mutex::new(settings.team_sync.enabled)),
            faults: Arc::new(FaultSet::none()),
            login: Arc::new(sp),
            db,
            settings: Arc::new(settings),
            token: Arc::new(BearerToken(token.into_bytes())),
            startup_config: stored,
            stored_config: Arc::new(RwLock::new(stored)),
            namespace: Arc::from(crate::store::config::DEFAULT_NAMESPACE),
        })
    }

    /// The same state serving namespace `ns` instead of `default` (Grafana Cloud's
    /// `stacks-<id>`), with that namespace's stored SCIMConfig. A namespace is a DNS
    /// label (1 to 63 of `a-z`, `0-9`, `-`, not starting or ending with `-`).
    pub fn with_namespace(mut self, ns: &str) -> anyhow::Result<AppState> {
        let label = !ns.is_empty()
            && ns.len() <= 63
            && ns
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !ns.starts_with('-')
            && !ns.ends_with('-');
        if !label {
            anyhow::bail!(
                "namespace `{ns}`: a namespace is 1 to 63 lowercase letters, digits and `-`, \
                 starting and ending with a letter or digit"
            );
        }
        let owned = ns.to_owned();
        let stored = self
            .db
            .read_blocking(move |tx| Ok(crate::store::config::get(tx, &owned)?))
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("reading the stored scim config of namespace {ns}"))?;
        self.startup_config = stored;
        self.stored_config = Arc::new(RwLock::new(stored));
        self.namespace = Arc::from(ns);
        Ok(self)
    }

    /// The namespace served.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The same state with SAML login set up for `login` (trusted IdPs, root URL,
    /// clock); `[auth.saml]` comes from the settings given to [`AppState::open`].
    /// Without it no IdP is trusted and every SAML login is refused.
    pub fn with_login(mut self, login: LoginConfig) -> anyhow::Result<AppState> {
        let sp = ServiceProvider::new(login, self.settings.saml.clone(), Arc::clone(&self.db))
            .context("setting up the saml service provider")?;
        self.login = Arc::new(sp);
        Ok(self)
    }

    /// The same state with `faults` active (each a deliberate bug, [`Fault::doc`]).
    pub fn with_faults(mut self, faults: FaultSet) -> AppState {
        self.faults = Arc::new(faults);
        self
    }

    /// The active fault switches.
    pub fn faults(&self) -> &FaultSet {
        &self.faults
    }

    /// True when `fault` is active.
    pub(crate) fn fault(&self, fault: Fault) -> bool {
        self.faults.has(fault)
    }

    /// The SAML SP entity id (`<root_url>/saml/metadata`).
    pub fn sp_entity_id(&self) -> &str {
        self.login.entity_id()
    }

    /// The SAML ACS URL (`<root_url>/saml/acs`).
    pub fn acs_url(&self) -> &str {
        self.login.acs_url()
    }

    /// The static settings (ini file and environment).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The SCIM settings in force: the stored SCIMConfig when there is one, else the
    /// static settings (Grafana: "Any configuration changes made through the Grafana
    /// user interface (UI) will take precedence over settings specified in the Grafana
    /// configuration file or through environment variables").
    pub fn scim_settings(&self) -> (ScimSettings, ConfigSource) {
        if self.fault(Fault::ConfigNeedsRestart) {
            // Fault: the settings read at start stay in force until a restart.
            return match self.startup_config {
                Some(stored) => (stored.spec, ConfigSource::Database),
                None => (self.settings.scim, ConfigSource::File),
            };
        }
        self.stored_settings()
    }

    /// The SCIM settings the stored SCIMConfig (else the file) says, which is what the
    /// SCIMConfig API shows; without faults, also what is in force.
    pub(crate) fn stored_settings(&self) -> (ScimSettings, ConfigSource) {
        match *self.stored_config() {
            Some(stored) => (stored.spec, ConfigSource::Database),
            None => (self.settings.scim, ConfigSource::File),
        }
    }

    pub(crate) fn stored_config(&self) -> std::sync::RwLockReadGuard<'_, Option<StoredConfig>> {
        self.stored_config
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn set_stored_config(&self, value: Option<StoredConfig>) {
        *self
            .stored_config
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = value;
    }
}
