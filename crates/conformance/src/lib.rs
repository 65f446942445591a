//! The conformance engine: scenario files and their loader, the catalogue and its cases
//! (scenario × persona × config), target profiles, baselines, and the runner that drives
//! the mock IdP against a target and emits [`RunEvent`]s for the reporters.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use conformance::{Catalogue, Profile, RunOptions, Selection};
//! let catalogue = Catalogue::load("scenarios".as_ref())?;
//! let profile = Profile::load("fixtures/profiles/reference.toml".as_ref())?;
//! let cases = catalogue.select(&Selection::default());
//! let opts = RunOptions {
//!     base_url: profile.base_url.clone(),
//!     credential: profile.credential()?,
//!     connector: None,
//!     admin: conformance::AdminCredentials::from_env()?,
//!     profile,
//!     seed: 1,
//!     jobs: 4,
//!     request_timeout: std::time::Duration::from_secs(10),
//!     case_timeout: std::time::Duration::from_secs(120),
//!     idp_keys: "fixtures/idp".into(),
//!     baseline: None,
//!     default_config: catalogue.configs[0].name.clone(),
//!     keep: false,
//!     interrupt: conformance::Interrupt::default(),
//!     max_fail: None,
//!     running: Default::default(),
//! };
//! let summary = conformance::run(cases, &catalogue.cases(), opts, |event| println!("{event:?}")).await?;
//! # Ok(()) }
//! ```
//!
//! Architecture Invariant: this crate never depends on `reference-target`; it knows a target only
//! through a [`Profile`] and HTTP.

// The modules in layers: each uses only modules of the layers before it, so there is
// no cycle.
//   1. the model: `scenario` (file model and loader), `catalogue`, `profile`, `baseline`,
//      `event`, and `http` (the client side of HTTP);
//   2. `options`: what a run is given and what its case tasks share;
//   3. `config`: the target's settings through the profile's `[config]` (the only module
//      that knows Grafana's SCIMConfig object and Team Sync switch);
//   4. `case`: the context of one case, which records every exchange;
//   5. `observe`: reads of the target that return data;
//   6. `login`: the `login` step;
//   7. `expect`: pure checks of observed data against expectations; `paging`, the
//      page-by-page read of a list and its judgement;
//   8. `direct` (`request`, `set_config`, `seed_app_user`) and `directory` (the
//      directory steps), both methods of the case; `cleanup`, what a case created
//      removed after its verdict, and `clean` (what earlier runs left, by tag);
//   9. `exec`: one case, step by step;
//  10. `runner`: scheduling, and the events.
mod admin;
mod baseline;
mod case;
mod catalogue;
mod cleanup;
mod config;
mod direct;
mod directory;
mod event;
mod exec;
mod expect;
mod http;
mod login;
mod observe;
mod options;
mod paging;
mod profile;
mod runner;
mod scenario;

pub use baseline::{Baseline, BaselineEntry, ExpectedOutcome};
pub use case::case_tag;
pub use catalogue::{
    glob_match, parse_partition, Case, Catalogue, CatalogueFiles, LoginSettings, NamedConfig,
    Partition, ScenarioFile, Selection, TargetConfig,
};
pub use cleanup::clean;
pub use event::{
    CaseResult, Cleanup, LeftBehind, Mismatch, Outcome, RunEvent, RunInfo, Source, Summary,
    TranscriptEntry,
};
pub use options::{Interrupt, MaxFail, RunError, RunOptions, RunningCases, StopReason};
pub use profile::{
    AdminCredentials, AdminEndpoint, AdminSection, AuthSpec, ConfigMethod, ConfigSection, Probes,
    Profile, ProfileError, Refusal, SamlSection, ScimSection, SessionSection, Supports, TlsSection,
    TokenSource, ADMIN_PASSWORD_ENV, ADMIN_USER_ENV, DEFAULT_NAMESPACE, NAMESPACE_PLACEHOLDER,
};
pub use runner::{check_reachable, run, skip_reason};
pub use scenario::{
    parse_scenario, schema_json, AppExpect, AppUserExpect, Count, Expect, Flow, GenerateUsers,
    GroupRename, JsonType, Level, LoadedScenario, LoginExpect, LoginStep, Membership, NewGroup,
    NewUser, OneOf, PagingExpect, ProfileNeed, RawRequest, Requirement, ResponseExpect, Scenario,
    SeedAppUser, SetConfig, Signing, Step, Surface, SyncStep, TeamExpect, UserChange, UserExpect,
    STEP_KINDS, TEMPLATE_KINDS,
};

/// Why a scenario catalogue could not be loaded. Every variant names the file; syntax
/// and reference errors name line and column too.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("reading {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("scenario {file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("scenario {file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("scenario catalogue {0}")]
    Catalogue(String),
}
