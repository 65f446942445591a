//! What a run is given ([`RunOptions`]) and what its case tasks share: the options, one
//! HTTP client and the IdP's signing keys.

use std::path::PathBuf;
use std::time::Duration;

use crate::baseline::Baseline;
use crate::catalogue::Case;
use crate::event::{CaseResult, Cleanup, Outcome};
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
    /// Set (by a Ctrl-C handler, or by the run itself at `max_fail`) to stop the run: no
    /// new case starts; running cases finish, the configuration is put back and cleanup
    /// runs as usual.
    pub interrupt: Interrupt,
    /// `--max-fail N`: stop starting cases once this many have failed.
    pub max_fail: Option<MaxFail>,
    /// The ids of the cases running now, for a progress display.
    pub running: RunningCases,
}

/// The ids of the cases running now (in the order they started); the runner keeps it,
/// a progress display reads it.
#[derive(Debug, Clone, Default)]
pub struct RunningCases(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl RunningCases {
    pub(crate) fn start(&self, id: &str) {
        if let Ok(mut v) = self.0.lock() {
            v.push(id.to_owned());
        }
    }

    pub(crate) fn finish(&self, id: &str) {
        if let Ok(mut v) = self.0.lock() {
            v.retain(|r| r != id);
        }
    }

    /// The cases running now, the longest-running first.
    pub fn now(&self) -> Vec<String> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

/// `--max-fail N`: the run stops starting cases after `limit` failed ones (a MUST case
/// failed or errored, or a baseline entry's case passed; with `count_warnings`, a SHOULD
/// case warned too). Cases the baseline expects to fail do not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxFail {
    /// At least 1.
    pub limit: usize,
    /// `--strict`: a warned case counts as failed.
    pub count_warnings: bool,
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
    /// Cases finished so far that count towards `max_fail`.
    pub failed: std::sync::atomic::AtomicUsize,
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
            failed: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Count a finished case towards `--max-fail` (as the baseline will judge it), and
    /// stop the run when the limit is reached.
    pub(crate) fn case_finished(&self, result: &CaseResult) {
        let Some(max) = self.opts.max_fail else {
            return;
        };
        let outcome = match &self.opts.baseline {
            Some(b) => b.judged(result),
            None => result.outcome,
        };
        let counts = match outcome {
            Outcome::Fail | Outcome::Error => true,
            Outcome::Warn => max.count_warnings,
            Outcome::Pass | Outcome::Skip | Outcome::Expected => false,
        };
        if counts {
            let failed = self
                .failed
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                + 1;
            if failed >= max.limit {
                self.opts.interrupt.stop(StopReason::MaxFail);
            }
        }
    }

    /// The reason given to a case the run did not start because it was stopped.
    pub(crate) fn not_run_reason(&self) -> String {
        match (self.opts.interrupt.reason(), self.opts.max_fail) {
            (Some(StopReason::MaxFail), Some(max)) => format!(
                "not run: the run stopped starting cases after {} failed (--max-fail {})",
                max.limit, max.limit
            ),
            _ => "not run: the run was interrupted (Ctrl-C) before this case started".to_owned(),
        }
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

/// Why a run stopped starting cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// SIGINT or SIGTERM (Ctrl-C): exit 130, the reports marked incomplete.
    Interrupted,
    /// `--max-fail N` was reached: the run's exit code is that of its failures.
    MaxFail,
}

/// A flag that stops a run early (`RunOptions::interrupt`), with why: a signal handler
/// raises it, the run itself stops it at `--max-fail`. An interrupt wins over max-fail.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(std::sync::Arc<std::sync::atomic::AtomicU8>);

const RUNNING: u8 = 0;
const INTERRUPTED: u8 = 1;
const MAX_FAIL: u8 = 2;

impl Interrupt {
    /// Ask the run to stop starting cases (Ctrl-C).
    pub fn raise(&self) {
        self.0
            .store(INTERRUPTED, std::sync::atomic::Ordering::SeqCst);
    }

    /// Stop the run for `reason`; an interrupt already raised stays the reason.
    pub fn stop(&self, reason: StopReason) {
        match reason {
            StopReason::Interrupted => self.raise(),
            StopReason::MaxFail => {
                let _ = self.0.compare_exchange(
                    RUNNING,
                    MAX_FAIL,
                    std::sync::atomic::Ordering::SeqCst,
                    std::sync::atomic::Ordering::SeqCst,
                );
            }
        }
    }

    /// Whether the run was asked to stop, for any reason.
    pub fn raised(&self) -> bool {
        self.reason().is_some()
    }

    /// Why the run stopped, if it did.
    pub fn reason(&self) -> Option<StopReason> {
        match self.0.load(std::sync::atomic::Ordering::SeqCst) {
            INTERRUPTED => Some(StopReason::Interrupted),
            MAX_FAIL => Some(StopReason::MaxFail),
            _ => None,
        }
    }
}
