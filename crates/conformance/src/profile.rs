//! Target profiles (TOML): everything the harness knows about a target besides HTTP
//! (DESIGN.md "Target profile"). Unknown keys are errors; errors name file, line, column.

use std::path::Path;

use serde::Deserialize;

use crate::catalogue::TargetConfig;
use crate::scenario::ProfileNeed;

/// Why a profile could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("reading target profile {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("target profile {file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "target profile {file}: scim.token names the environment variable {env}, which is not set"
    )]
    MissingToken { file: String, env: String },
}

/// A target profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    /// Overridable by `--target-url` / `SCIM_HARNESS_TARGET_URL`.
    pub base_url: String,
    pub scim: ScimSection,
    /// SAML login; without it, cases with `login` steps are skipped with the reason.
    pub saml: Option<SamlSection>,
    /// How a login session is read back; required with `[saml]`.
    pub session: Option<SessionSection>,
    /// Optional app-native checks.
    pub probes: Option<Probes>,
    /// How the case's configuration reaches the target; without it, only the first
    /// configuration of the catalogue runs.
    pub config: Option<ConfigSection>,
    /// Where this profile was read from (for messages).
    #[serde(skip)]
    pub origin: String,
}

/// `[scim]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScimSection {
    /// The SCIM base path under `base_url`.
    pub path: String,
    pub token: TokenSource,
}

/// A bearer token given literally (local targets) or named by an environment variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TokenSource {
    Literal(String),
    Env { env: String },
}

/// `[saml]`: the SP side of the login.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlSection {
    /// The Assertion Consumer Service path (HTTP-POST binding, form field `SAMLResponse`).
    pub acs: String,
    /// The SP entity id (the Audience); a path is joined with `base_url`.
    pub sp_entity_id: String,
    /// The attribute the SP reads the external uid from (Grafana's
    /// `assertion_attribute_external_uid`).
    #[serde(default = "default_uid_attribute")]
    pub uid_attribute: String,
    /// Where an SP-initiated login starts (a redirect carrying an AuthnRequest); `{idp}`
    /// becomes the persona IdP's entity id (percent-encoded).
    pub login_path: Option<String>,
    /// The tenant (Entra) or org (Okta) that forms the IdP's entity id.
    #[serde(default = "default_tenant")]
    pub idp_tenant: String,
    /// Whether the target accepts IdP-initiated (unsolicited) Responses, as configured
    /// (Grafana: `[auth.saml] allow_idp_initiated`, default `false`). A configuration of
    /// the catalogue that needs another value runs only through `settings_switch`.
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// Whether the target signs up a user it has never seen at login, as configured
    /// (Grafana: `[auth.saml] allow_sign_up`, default `true`).
    #[serde(default = "default_allow_sign_up")]
    pub allow_sign_up: bool,
    /// A path that switches `allow_sign_up` and `allow_idp_initiated` at run time: PUT of
    /// `{"allowSignUp": bool, "allowIdpInitiated": bool}` answering 2xx, a GET answering
    /// the same object (the reference target's `/api/reference/saml-settings`). Without
    /// it the values above are declared facts.
    pub settings_switch: Option<String>,
}

fn default_allow_sign_up() -> bool {
    true
}

/// How the target answers a refused login (`[session] refusal`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// A status (401, 403…) and, at `error_id_pointer`, the message id.
    #[default]
    Status,
    /// Grafana's: a redirect to the login page, which shows the public message
    /// (`message_marker`); no status or message id is visible.
    Redirect,
}

fn default_uid_attribute() -> String {
    saml::GRAFANA_UID_ATTRIBUTE.to_owned()
}

fn default_tenant() -> String {
    "00000000-0000-0000-0000-000000000000".to_owned()
}

/// `[session]`: how a login session is recognised.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSection {
    /// The path that answers the signed-in user as JSON.
    pub whoami: String,
    /// JSON pointer to the login in the whoami answer.
    pub login_pointer: String,
    /// The session cookie's name.
    #[serde(default = "default_cookie")]
    pub cookie: String,
    /// JSON pointer to an error id in a refused login's answer (`refusal = "status"`).
    #[serde(default = "default_error_pointer")]
    pub error_id_pointer: String,
    /// How a refused login is answered: `status` (default) or `redirect`.
    #[serde(default)]
    pub refusal: Refusal,
    /// With `refusal = "redirect"`: the text on the page the refusal redirects to that
    /// comes just before the public message as a JSON string (Grafana's boot data:
    /// `"loginError":`). Without it the message is not read.
    pub message_marker: Option<String>,
    /// With `refusal = "redirect"`: the public message the target shows for each message
    /// id the scenarios expect (`error_id`). An id not listed is judged by the refusal
    /// alone and its message reported as observed.
    #[serde(default)]
    pub messages: std::collections::BTreeMap<String, String>,
}

fn default_cookie() -> String {
    "grafana_session".to_owned()
}

fn default_error_pointer() -> String {
    "/messageId".to_owned()
}

/// `[probes]`: app-native read paths; `{login}`, `{name}` and `{id}` are filled in
/// (percent-encoded). They are sent with the SCIM bearer token.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    /// A user by login or email: JSON with `id`, `login`, `email`, `name`, `isDisabled`;
    /// 404 when unknown.
    pub user_by_login: Option<String>,
    /// Teams by exact name: `{"teams":[{"id":…}]}`.
    pub teams_by_name: Option<String>,
    /// A team's members: `[{"login":…}]`.
    pub team_members: Option<String>,
    /// Creates a non-provisioned app user (`seed_app_user`): POST of
    /// `{"login","email","name","password"}` answering `{"id":…}` (Grafana's
    /// `POST /api/admin/users`).
    pub create_user: Option<String>,
}

/// How configuration is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigMethod {
    /// PUT Grafana's SCIMConfig object before the cases of each configuration.
    ScimConfigApi,
    /// The target's configuration is fixed and declared here.
    Fixed,
}

/// `[config]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSection {
    pub method: ConfigMethod,
    /// The SCIMConfig object's path (`scim-config-api`).
    pub path: Option<String>,
    /// The declared values (`fixed`).
    pub user_sync: Option<bool>,
    pub group_sync: Option<bool>,
    pub reject_non_provisioned_users: Option<bool>,
    /// Switches Grafana's Team Sync (`[team_sync] enabled`): PUT of `{"enabled": bool}`
    /// answering 2xx, or 4xx when the target refuses (the reference target's
    /// `/api/admin/team-sync`). Optional; `set_config: {team_sync}` needs it. A GET of the
    /// same path answering `{"enabled": bool}` lets the runner put Team Sync back as it
    /// was after a case that switched it; without one it is switched off after.
    pub team_sync: Option<String>,
}

impl ConfigSection {
    /// The declared values of a `fixed` configuration.
    pub fn fixed_values(&self) -> Option<TargetConfig> {
        Some(TargetConfig {
            user_sync: self.user_sync?,
            group_sync: self.group_sync?,
            reject_non_provisioned_users: self.reject_non_provisioned_users?,
        })
    }
}

impl Profile {
    /// Read and check a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Profile::parse(&text, &path.display().to_string())
    }

    /// Parse profile text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Profile, ProfileError> {
        let mut profile: Profile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_column(text, s.start));
            ProfileError::Invalid {
                file: origin.to_owned(),
                line,
                column,
                message: e.message().trim_end().to_owned(),
            }
        })?;
        profile.origin = origin.to_owned();
        let invalid = |key: &str, message: String| {
            let (line, column) = text.find(key).map_or((1, 1), |at| line_column(text, at));
            ProfileError::Invalid {
                file: origin.to_owned(),
                line,
                column,
                message,
            }
        };
        if !profile.base_url.starts_with("http://") && !profile.base_url.starts_with("https://") {
            return Err(invalid(
                "base_url",
                format!("base_url `{}` is not an http(s) URL", profile.base_url),
            ));
        }
        if profile.saml.is_some() && profile.session.is_none() {
            return Err(invalid(
                "[saml]",
                "[saml] needs a [session] section to read the login back".to_owned(),
            ));
        }
        if let Some(c) = &profile.config {
            match c.method {
                ConfigMethod::ScimConfigApi if c.path.is_none() => {
                    return Err(invalid(
                        "[config]",
                        "config method `scim-config-api` needs `path`".to_owned(),
                    ));
                }
                ConfigMethod::Fixed if c.fixed_values().is_none() => {
                    return Err(invalid(
                        "[config]",
                        "config method `fixed` needs user_sync, group_sync and reject_non_provisioned_users".to_owned(),
                    ));
                }
                _ => {}
            }
        }
        Ok(profile)
    }

    /// Whether the profile provides what a scenario needs.
    pub fn provides(&self, need: ProfileNeed) -> bool {
        let probes = self.probes.as_ref();
        match need {
            ProfileNeed::Saml => self.saml.is_some(),
            ProfileNeed::ConfigApi => self
                .config
                .as_ref()
                .is_some_and(|c| c.method == ConfigMethod::ScimConfigApi),
            ProfileNeed::TeamSync => self.config.as_ref().is_some_and(|c| c.team_sync.is_some()),
            ProfileNeed::CreateUser => probes.is_some_and(|p| p.create_user.is_some()),
            ProfileNeed::TeamProbe => probes.is_some_and(|p| p.teams_by_name.is_some()),
            ProfileNeed::UserProbe => probes.is_some_and(|p| p.user_by_login.is_some()),
        }
    }

    /// Resolve the bearer token; never puts its value in an error.
    pub fn token(&self) -> Result<String, ProfileError> {
        match &self.scim.token {
            TokenSource::Literal(t) => Ok(t.clone()),
            TokenSource::Env { env } => match std::env::var(env) {
                Ok(t) if !t.is_empty() => Ok(t),
                _ => Err(ProfileError::MissingToken {
                    file: self.origin.clone(),
                    env: env.clone(),
                }),
            },
        }
    }

    /// The SCIM base URL: `base_url` (or the override) joined with `scim.path`.
    pub fn scim_base(&self, base_url_override: Option<&str>) -> String {
        join(base_url_override.unwrap_or(&self.base_url), &self.scim.path)
    }
}

/// `base` + `/path` with exactly one slash between.
pub fn join(base: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_owned();
    }
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}
