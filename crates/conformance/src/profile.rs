//! Target profiles (TOML): everything the harness knows about a target besides HTTP
//! (DESIGN.md "Target profile"). Unknown keys are errors; errors name file, line, column.

use std::path::Path;

use serde::Deserialize;

use crate::catalogue::TargetConfig;
use crate::scenario::ProfileNeed;

mod supports;

pub use supports::Supports;

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
    #[error("target profile {file}: {key} names the environment variable {env}, which is not set")]
    MissingToken {
        file: String,
        /// The profile key, e.g. `scim.token` or `scim.auth.password`.
        key: String,
        env: String,
    },
    #[error("target profile {file}: scim.auth: {source}")]
    Credential {
        file: String,
        #[source]
        source: idp::CredentialError,
    },
    #[error("--namespace `{0}`: a namespace is 1 to 63 lowercase letters, digits and `-`, starting and ending with a letter or digit (Grafana Cloud: `stacks-<id>`)")]
    Namespace(String),
    #[error("{set} is set but {missing} is not: server-admin basic auth needs both")]
    HalfAdminCredentials {
        set: &'static str,
        missing: &'static str,
    },
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
    /// Which probes and steps need a server admin (HTTP basic auth) instead of the token.
    pub admin: Option<AdminSection>,
    /// How the case's configuration reaches the target; without it, only the first
    /// configuration of the catalogue runs.
    pub config: Option<ConfigSection>,
    /// What the target stores and accepts (RFC 7643 leaves much optional).
    #[serde(default)]
    pub supports: Supports,
    /// Trust and client identity for an `https://` target.
    #[serde(default)]
    pub tls: TlsSection,
    /// Where this profile was read from (for messages).
    #[serde(skip)]
    pub origin: String,
    /// The namespace `{namespace}` stands for ([`Profile::set_namespace`]); `default`
    /// until set. The SCIMConfig object names it in `metadata.namespace`.
    #[serde(skip, default = "default_namespace")]
    pub namespace: String,
}

/// The namespace placeholder in `[scim] path` and `[config] path`, filled by
/// `--namespace` (Grafana Cloud: `stacks-<id>`; self-hosted: `default`).
pub const NAMESPACE_PLACEHOLDER: &str = "{namespace}";

/// The namespace when none is given.
pub const DEFAULT_NAMESPACE: &str = "default";

/// `[scim]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScimSection {
    /// The SCIM base path under `base_url`; may hold `{namespace}`.
    pub path: String,
    /// A bearer token (the short form of `auth = {kind = "bearer", token = …}`).
    pub token: Option<TokenSource>,
    /// How requests authenticate: bearer, basic or a named header. One of `token` and
    /// `auth` is required.
    pub auth: Option<AuthSpec>,
    /// A bearer token the target knows whose account lacks the role SCIM needs (Grafana:
    /// a service account with no basic role), for `request: {auth: wrong-role}`; without
    /// it such cases are skipped.
    pub wrong_role_token: Option<TokenSource>,
}

/// A secret given literally (local targets) or named by an environment variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TokenSource {
    Literal(String),
    Env { env: String },
}

/// `[scim] auth`: what each request to the target presents.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum AuthSpec {
    /// `Authorization: Bearer <token>`.
    Bearer { token: TokenSource },
    /// `Authorization: Basic …` (RFC 7617).
    Basic {
        user: TokenSource,
        password: TokenSource,
    },
    /// `<name>: <value>`, e.g. `X-Api-Key`.
    Header { name: String, value: TokenSource },
}

/// `[tls]`: for an `https://` target, in addition to the bundled web roots and the
/// operating system's trust store. Relative paths are relative to the working folder.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// A PEM file of CA certificates to trust (a private CA, a TLS-inspecting proxy).
    pub ca_file: Option<std::path::PathBuf>,
    /// A client certificate (PEM chain) for mutual TLS; needs `client_key`.
    pub client_cert: Option<std::path::PathBuf>,
    /// The client certificate's private key (PEM).
    pub client_key: Option<std::path::PathBuf>,
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
    /// Whether the IdP metadata the target trusts lists the rollover certificate
    /// (`fixtures/idp/rollover.cert.pem`) after each persona's own, as `scim-harness saml
    /// metadata --next-cert` writes it; the certificate-rollover cases need it.
    #[serde(default)]
    pub trusts_rollover_key: bool,
    /// The attribute the target maps roles from (Grafana's `assertion_attribute_role`),
    /// for `login: {role}`; the value sent is the scenario's role name (`Editor`, `Admin`,
    /// `GrafanaAdmin`), so the target's `role_values_*` must name those. Without it such
    /// logins are skipped.
    pub role_attribute: Option<String>,
    /// The SP's encryption certificate (PEM; what its metadata's `KeyDescriptor
    /// use="encryption"` carries; Grafana: `[auth.saml] certificate_path`). With it, login
    /// steps that ask (`encrypt: true`) and the encrypted-assertion attacks encrypt the
    /// assertion for the target; without it those cases are skipped. A relative path is
    /// relative to the profile file's folder.
    pub encrypt_for: Option<std::path::PathBuf>,
    /// The content cipher (`aes128-gcm`, `aes256-gcm`, `aes128-cbc`, `aes256-cbc`);
    /// default: what the persona's IdP emits (Entra and Okta `aes256-cbc`, rfc `aes128-gcm`).
    pub encryption: Option<String>,
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

fn default_namespace() -> String {
    DEFAULT_NAMESPACE.to_owned()
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
/// (percent-encoded). They are sent with the SCIM bearer token, or with server-admin
/// basic auth when `[admin] basic_auth` names them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    /// A user by login or email, answered in either of Grafana's shapes:
    /// - one user object (`GET /api/users/lookup?loginOrEmail={login}`, server admin
    ///   only), 404 when unknown;
    /// - a list of users (`GET /api/org/users?query={login}`, which an org-Admin service
    ///   account may read; `query` is a substring match), of which the entry whose
    ///   `login` or `email` equals `{login}` (any case) is the user, none when absent.
    ///
    /// The user's id is `id`, else `userId` (the org list's name for it); `isDisabled`,
    /// `email` and `name` are read as given, and a field the answer lacks is reported
    /// as absent, never assumed.
    pub user_by_login: Option<String>,
    /// Teams by exact name: `{"teams":[{"id":…}]}`.
    pub teams_by_name: Option<String>,
    /// A team's members: `[{"login":…}]`.
    pub team_members: Option<String>,
    /// Creates a non-provisioned app user (`seed_app_user`): POST of
    /// `{"login","email","name","password"}` answering `{"id":…}` (Grafana's
    /// `POST /api/admin/users`, which needs a server admin: list it in
    /// `[admin] basic_auth`).
    pub create_user: Option<String>,
    /// Deletes an app user, `{id}` its numeric id (Grafana's
    /// `DELETE /api/admin/users/{id}`, server admin only: list it in `[admin]
    /// basic_auth`). Cleanup uses it for seeded users and for the app users a SCIM
    /// DELETE leaves (Grafana keeps them, disabled); without it they are left behind.
    pub delete_user: Option<String>,
}

/// `[admin]`: the endpoints a target serves only to a server admin. They are sent with
/// HTTP basic auth from `SCIM_HARNESS_ADMIN_USER` / `SCIM_HARNESS_ADMIN_PASSWORD`
/// (Grafana's `[security] admin_user` / `admin_password`) instead of the bearer token;
/// without those variables, a case that needs one is skipped with the reason.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSection {
    /// The profile keys whose requests need a server admin.
    #[serde(default)]
    pub basic_auth: Vec<AdminEndpoint>,
}

/// A profile key naming a request that may need a server admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminEndpoint {
    /// `[probes] user_by_login`
    UserByLogin,
    /// `[probes] teams_by_name`
    TeamsByName,
    /// `[probes] team_members`
    TeamMembers,
    /// `[probes] create_user` (`seed_app_user`)
    CreateUser,
    /// `[probes] delete_user` (cleanup)
    DeleteUser,
    /// `[config] team_sync` (`set_config: {team_sync}`)
    TeamSync,
}

impl AdminEndpoint {
    /// The profile key, for messages.
    pub fn key(self) -> &'static str {
        match self {
            AdminEndpoint::UserByLogin => "[probes] user_by_login",
            AdminEndpoint::TeamsByName => "[probes] teams_by_name",
            AdminEndpoint::TeamMembers => "[probes] team_members",
            AdminEndpoint::CreateUser => "[probes] create_user",
            AdminEndpoint::DeleteUser => "[probes] delete_user",
            AdminEndpoint::TeamSync => "[config] team_sync",
        }
    }

    /// The endpoint a scenario need uses.
    pub fn of_need(need: ProfileNeed) -> Option<AdminEndpoint> {
        match need {
            ProfileNeed::CreateUser => Some(AdminEndpoint::CreateUser),
            ProfileNeed::TeamSync => Some(AdminEndpoint::TeamSync),
            ProfileNeed::TeamProbe => Some(AdminEndpoint::TeamsByName),
            ProfileNeed::UserProbe => Some(AdminEndpoint::UserByLogin),
            ProfileNeed::Saml
            | ProfileNeed::SamlEncryption
            | ProfileNeed::ConfigApi
            | ProfileNeed::EnterpriseExtension
            | ProfileNeed::ExternalIdRequired
            | ProfileNeed::RolloverKey
            | ProfileNeed::ServerAdmin
            | ProfileNeed::WrongRoleToken
            | ProfileNeed::RoleAttribute => None,
        }
    }
}

/// The environment variable with the server admin's user name.
pub const ADMIN_USER_ENV: &str = "SCIM_HARNESS_ADMIN_USER";
/// The environment variable with the server admin's password.
pub const ADMIN_PASSWORD_ENV: &str = "SCIM_HARNESS_ADMIN_PASSWORD";

/// A server admin's user name and password for HTTP basic auth (RFC 7617). The password
/// is never printed, not even by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminCredentials {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for AdminCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminCredentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl AdminCredentials {
    /// From `SCIM_HARNESS_ADMIN_USER` and `SCIM_HARNESS_ADMIN_PASSWORD`: `None` when
    /// neither is set; an error naming the missing one when only one is.
    pub fn from_env() -> Result<Option<AdminCredentials>, ProfileError> {
        AdminCredentials::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`AdminCredentials::from_env`] over any lookup (tests).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<AdminCredentials>, ProfileError> {
        let get = |name| lookup(name).filter(|v| !v.is_empty());
        match (get(ADMIN_USER_ENV), get(ADMIN_PASSWORD_ENV)) {
            (Some(user), Some(password)) => Ok(Some(AdminCredentials { user, password })),
            (None, None) => Ok(None),
            (Some(_), None) => Err(ProfileError::HalfAdminCredentials {
                set: ADMIN_USER_ENV,
                missing: ADMIN_PASSWORD_ENV,
            }),
            (None, Some(_)) => Err(ProfileError::HalfAdminCredentials {
                set: ADMIN_PASSWORD_ENV,
                missing: ADMIN_USER_ENV,
            }),
        }
    }
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
        let mut profile = Profile::parse(&text, &path.display().to_string())?;
        // `[saml] encrypt_for` names a file beside the profile.
        if let (Some(saml), Some(dir)) = (&mut profile.saml, path.parent()) {
            if let Some(cert) = saml.encrypt_for.as_mut().filter(|c| c.is_relative()) {
                *cert = dir.join(&*cert);
            }
        }
        Ok(profile)
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
        match (&profile.scim.token, &profile.scim.auth) {
            (None, None) => {
                return Err(invalid(
                    "[scim]",
                    "[scim] needs `token` or `auth` (bearer, basic or header)".to_owned(),
                ))
            }
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "auth",
                    "[scim] takes `token` or `auth`, not both".to_owned(),
                ))
            }
            _ => {}
        }
        if profile.tls.client_cert.is_some() != profile.tls.client_key.is_some() {
            return Err(invalid(
                "[tls]",
                "[tls] client_cert and client_key go together".to_owned(),
            ));
        }
        if profile.saml.is_some() && profile.session.is_none() {
            return Err(invalid(
                "[saml]",
                "[saml] needs a [session] section to read the login back".to_owned(),
            ));
        }
        for endpoint in profile.admin.iter().flat_map(|a| &a.basic_auth) {
            let probes = profile.probes.as_ref();
            let present = match endpoint {
                AdminEndpoint::UserByLogin => probes.is_some_and(|p| p.user_by_login.is_some()),
                AdminEndpoint::TeamsByName => probes.is_some_and(|p| p.teams_by_name.is_some()),
                AdminEndpoint::TeamMembers => probes.is_some_and(|p| p.team_members.is_some()),
                AdminEndpoint::CreateUser => probes.is_some_and(|p| p.create_user.is_some()),
                AdminEndpoint::DeleteUser => probes.is_some_and(|p| p.delete_user.is_some()),
                AdminEndpoint::TeamSync => profile
                    .config
                    .as_ref()
                    .is_some_and(|c| c.team_sync.is_some()),
            };
            if !present {
                return Err(invalid(
                    "basic_auth",
                    format!(
                        "[admin] basic_auth names {}, which the profile does not set",
                        endpoint.key()
                    ),
                ));
            }
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
            ProfileNeed::SamlEncryption => {
                self.saml.as_ref().is_some_and(|s| s.encrypt_for.is_some())
            }
            ProfileNeed::ConfigApi => self
                .config
                .as_ref()
                .is_some_and(|c| c.method == ConfigMethod::ScimConfigApi),
            ProfileNeed::TeamSync => self.config.as_ref().is_some_and(|c| c.team_sync.is_some()),
            ProfileNeed::CreateUser => probes.is_some_and(|p| p.create_user.is_some()),
            ProfileNeed::TeamProbe => probes.is_some_and(|p| p.teams_by_name.is_some()),
            ProfileNeed::UserProbe => probes.is_some_and(|p| p.user_by_login.is_some()),
            ProfileNeed::EnterpriseExtension => self.supports.enterprise_extension,
            ProfileNeed::ExternalIdRequired => self.supports.requires_external_id,
            ProfileNeed::RolloverKey => self.saml.as_ref().is_some_and(|s| s.trusts_rollover_key),
            ProfileNeed::ServerAdmin => true,
            ProfileNeed::WrongRoleToken => self.scim.wrong_role_token.is_some(),
            ProfileNeed::RoleAttribute => self
                .saml
                .as_ref()
                .is_some_and(|s| s.role_attribute.is_some()),
        }
    }

    /// Whether `[admin] basic_auth` names `endpoint`.
    pub fn needs_admin(&self, endpoint: AdminEndpoint) -> bool {
        self.admin
            .as_ref()
            .is_some_and(|a| a.basic_auth.contains(&endpoint))
    }

    /// Resolve the bearer token of `[scim] token`; never puts its value in an error.
    pub fn token(&self) -> Result<String, ProfileError> {
        match &self.scim.token {
            Some(t) => self.secret(t, "scim.token"),
            None => match &self.scim.auth {
                Some(AuthSpec::Bearer { token }) => self.secret(token, "scim.auth.token"),
                _ => Err(ProfileError::Invalid {
                    file: self.origin.clone(),
                    line: 1,
                    column: 1,
                    message: "[scim] auth is not a bearer token".to_owned(),
                }),
            },
        }
    }

    /// Resolve `[scim] wrong_role_token`; `None` when the profile has none.
    pub fn wrong_role_token(&self) -> Result<Option<String>, ProfileError> {
        self.scim
            .wrong_role_token
            .as_ref()
            .map(|t| self.secret(t, "scim.wrong_role_token"))
            .transpose()
    }

    /// Resolve what each request presents (`[scim] token` or `auth`); never puts a
    /// secret in an error.
    pub fn credential(&self) -> Result<idp::Credential, ProfileError> {
        let credential = match (&self.scim.token, &self.scim.auth) {
            (_, Some(AuthSpec::Basic { user, password })) => idp::Credential::Basic {
                user: self.secret(user, "scim.auth.user")?,
                password: self.secret(password, "scim.auth.password")?,
            },
            (_, Some(AuthSpec::Header { name, value })) => idp::Credential::Header {
                name: name.clone(),
                value: self.secret(value, "scim.auth.value")?,
            },
            _ => idp::Credential::Bearer(self.token()?),
        };
        credential
            .header()
            .map_err(|source| ProfileError::Credential {
                file: self.origin.clone(),
                source,
            })?;
        Ok(credential)
    }

    fn secret(&self, source: &TokenSource, key: &str) -> Result<String, ProfileError> {
        match source {
            TokenSource::Literal(t) => Ok(t.clone()),
            TokenSource::Env { env } => match std::env::var(env) {
                Ok(t) if !t.is_empty() => Ok(t),
                _ => Err(ProfileError::MissingToken {
                    file: self.origin.clone(),
                    key: key.to_owned(),
                    env: env.clone(),
                }),
            },
        }
    }

    /// Fill `{namespace}` in `[scim] path` and `[config] path` (Grafana's
    /// `/apis/scim.grafana.app/v0alpha1/namespaces/{namespace}`). The name must be a DNS
    /// label, as Kubernetes-style namespaces are, so it never changes the path's shape.
    pub fn set_namespace(&mut self, namespace: &str) -> Result<(), ProfileError> {
        let label = !namespace.is_empty()
            && namespace.len() <= 63
            && namespace
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !namespace.starts_with('-')
            && !namespace.ends_with('-');
        if !label {
            return Err(ProfileError::Namespace(namespace.to_owned()));
        }
        self.scim.path = self.scim.path.replace(NAMESPACE_PLACEHOLDER, namespace);
        if let Some(path) = self.config.as_mut().and_then(|c| c.path.as_mut()) {
            *path = path.replace(NAMESPACE_PLACEHOLDER, namespace);
        }
        self.namespace = namespace.to_owned();
        Ok(())
    }

    /// The `[tls]` files, relative to the working folder.
    pub fn tls_files(&self) -> idp::TlsFiles {
        idp::TlsFiles {
            ca_certs: self.tls.ca_file.iter().cloned().collect(),
            insecure: false,
            client_identity: self
                .tls
                .client_cert
                .clone()
                .zip(self.tls.client_key.clone()),
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
