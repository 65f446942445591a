//! Static settings from a Grafana-style ini file and `GF_<SECTION>_<KEY>` environment
//! variables: `[auth.scim]`, `[auth.saml]`, `[server] root_url`, `[security]` (the server
//! admin) and the reference target's Team Sync stand-in `[team_sync]`.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Grafana: `[auth.scim]`. The defaults are Grafana's: everything off.
///
/// The same three switches make up the SCIMConfig `spec` (`enableUserSync`,
/// `enableGroupSync`, `rejectNonProvisionedUsers`), which overrides these at run time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScimSettings {
    /// Grafana: `user_sync_enabled` — SCIM may create, update and deactivate users.
    pub user_sync_enabled: bool,
    /// Grafana: `group_sync_enabled` — SCIM may create, update and delete teams.
    pub group_sync_enabled: bool,
    /// Grafana: `reject_non_provisioned_users` — users SCIM did not provision cannot log in.
    pub reject_non_provisioned_users: bool,
}

/// The reference target's stand-in for Grafana's Team Sync, `[team_sync] enabled`
/// (environment `GF_TEAM_SYNC_ENABLED`). Grafana configures Team Sync per auth
/// provider; the target only needs to know whether it is on, because SCIM group sync
/// is refused together with it (Grafana: `group_sync_enabled` "Cannot be enabled if
/// Team Sync is enabled").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TeamSyncSettings {
    pub enabled: bool,
}

/// Grafana: `[auth.saml]`, the settings the reference target's SAML login reads.
/// Trusted IdPs are not settings: they come from `--idp-cert` ([`crate::IdpSource`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlSettings {
    /// Grafana: `assertion_attribute_external_uid` (default `userUID`) — the attribute
    /// whose single value must equal a provisioned user's SCIM `externalId`.
    pub assertion_attribute_external_uid: String,
    /// Grafana: `assertion_attribute_login` (default `mail`).
    pub assertion_attribute_login: String,
    /// Grafana: `assertion_attribute_email` (default `mail`).
    pub assertion_attribute_email: String,
    /// Grafana: `assertion_attribute_name` (default `displayName`).
    pub assertion_attribute_name: String,
    /// Grafana: `allow_sign_up` (default `true`) — an unknown user is created at login.
    pub allow_sign_up: bool,
    /// Grafana: `allow_idp_initiated` (default `false`) — unsolicited Responses (no
    /// `InResponseTo`) are accepted.
    pub allow_idp_initiated: bool,
    /// `refusal_answer` (reference target): how a refused login is answered, `redirect`
    /// (default, Grafana's: `302` to `/login` with the `login_error` cookie) or `json`
    /// (a status with `{"message", "messageId", "statusCode"}`).
    pub refusal_answer: RefusalAnswer,
    /// `clock_skew` (reference target; Go-style duration or seconds, default `60s`):
    /// allowed difference applied to every NotBefore / NotOnOrAfter.
    pub clock_skew: time::Duration,
    /// `signature_policy` (reference target): `assertion` (default), `response-or-assertion`
    /// or `both` — which parts of a Response must be signed.
    pub signature_policy: saml::SignaturePolicy,
    /// Grafana's role mapping: `assertion_attribute_role` and `role_values_*`.
    pub roles: RoleMapping,
    /// Grafana: `private_key_path` — the SP's PKCS#8 private key (PEM); with it the SP
    /// decrypts `EncryptedAssertion`s ("Configure SAML signing and encryption"). A relative
    /// path in the ini file is relative to that file's folder.
    pub private_key_path: Option<std::path::PathBuf>,
    /// Grafana: `certificate_path` — the SP's certificate (PEM) for the private key; the SP
    /// metadata carries it as `KeyDescriptor use="encryption"`.
    pub certificate_path: Option<std::path::PathBuf>,
}

/// Grafana: `[auth.saml] assertion_attribute_role` (default unset: no role sync) and
/// `role_values_editor`, `role_values_admin`, `role_values_grafana_admin` (values
/// separated by commas or blanks). A value of the role attribute in the Grafana-admin
/// list makes the user a Grafana admin with the org role Admin; else the first list
/// that holds a value gives the org role; else Viewer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleMapping {
    pub attribute: String,
    pub editor: Vec<String>,
    pub admin: Vec<String>,
    pub grafana_admin: Vec<String>,
}

impl RoleMapping {
    /// The org role and Grafana-admin flag the role attribute's values map to; `None`
    /// when role sync is off (no attribute configured).
    pub fn map(&self, values: &[String]) -> Option<(&'static str, bool)> {
        if self.attribute.is_empty() {
            return None;
        }
        let any = |list: &[String]| values.iter().any(|v| list.contains(v));
        Some(if any(&self.grafana_admin) {
            ("Admin", true)
        } else if any(&self.admin) {
            ("Admin", false)
        } else if any(&self.editor) {
            ("Editor", false)
        } else {
            ("Viewer", false)
        })
    }
}

fn value_list(text: &str) -> Vec<String> {
    text.split([',', ' ', '\t'])
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// How the reference target answers a refused SAML login (`[auth.saml] refusal_answer`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RefusalAnswer {
    /// Grafana: `302` to `/login` with an opaque `login_error` cookie and no session
    /// cookie; `GET /login` shows the public message once (`redirectURLWithErrorCookie`
    /// in Grafana's `pkg/api/login_oauth.go`).
    #[default]
    Redirect,
    /// The status and `{"message", "messageId", "statusCode"}` as JSON, the message id
    /// visible (the reference target's own, for clients that read it).
    Json,
}

impl Default for SamlSettings {
    fn default() -> Self {
        SamlSettings {
            assertion_attribute_external_uid: saml::GRAFANA_UID_ATTRIBUTE.to_owned(),
            assertion_attribute_login: "mail".to_owned(),
            assertion_attribute_email: "mail".to_owned(),
            assertion_attribute_name: "displayName".to_owned(),
            allow_sign_up: true,
            allow_idp_initiated: false,
            refusal_answer: RefusalAnswer::Redirect,
            clock_skew: saml::DEFAULT_CLOCK_SKEW,
            signature_policy: saml::SignaturePolicy::AssertionSigned,
            roles: RoleMapping::default(),
            private_key_path: None,
            certificate_path: None,
        }
    }
}

/// Grafana: `[server]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerSettings {
    /// Grafana: `root_url` — the public URL of the target. The SAML SP entity id is
    /// `<root_url>/saml/metadata` and the ACS URL `<root_url>/saml/acs`. Unset:
    /// `http://<listen address>` (`serve`) or `http://localhost:3000` (a bare router).
    pub root_url: Option<String>,
}

/// Grafana: `[security] admin_user` / `admin_password` (default `admin` / `admin`): the
/// server admin, who authenticates with HTTP basic auth and may call every endpoint,
/// the global user and admin APIs included. The password is never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SecuritySettings {
    pub admin_user: String,
    pub admin_password: String,
    /// `[service_accounts] role_less_token` (reference target only): a second bearer token, a service
    /// account with no role, which every endpoint refuses with 403 (Grafana's SCIM
    /// troubleshooting: insufficient permissions answer `403 Forbidden`). Unset: none.
    pub role_less_token: Option<String>,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        SecuritySettings {
            admin_user: "admin".to_owned(),
            admin_password: "admin".to_owned(),
            role_less_token: None,
        }
    }
}

impl fmt::Debug for SecuritySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecuritySettings")
            .field("admin_user", &self.admin_user)
            .field("admin_password", &"<redacted>")
            .field(
                "role_less_token",
                &self.role_less_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Everything the target reads from its ini file and environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `[auth.scim]`
    pub scim: ScimSettings,
    /// `[team_sync]`
    pub team_sync: TeamSyncSettings,
    /// `[auth.saml]`
    pub saml: SamlSettings,
    /// `[server]`
    pub server: ServerSettings,
    /// `[security]`
    pub security: SecuritySettings,
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("reading settings file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: ini::Error,
    },
    #[error(
        "reading [{section}] {key} from {origin}: expected a boolean (true/false), found `{value}`"
    )]
    NotABoolean {
        section: &'static str,
        key: &'static str,
        origin: Origin,
        value: String,
    },
    #[error("reading [{section}] {key} from {origin}: expected {expected}, found `{value}`")]
    Invalid {
        section: &'static str,
        key: &'static str,
        origin: Origin,
        value: String,
        expected: &'static str,
    },
    /// Grafana: "Do not enable both SCIM Group Sync and Team Sync simultaneously".
    #[error(
        "[auth.scim] group_sync_enabled and [team_sync] enabled are both on: \
         scim group sync cannot be enabled while team sync is enabled; turn one of them off"
    )]
    GroupSyncWithTeamSync,
    #[error(
        "[auth.saml] private_key_path and certificate_path go together: set both (to decrypt \
         encrypted assertions) or neither"
    )]
    SamlKeyPairIncomplete,
}

/// Where a setting's value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Env(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Env(name) => write!(f, "environment variable {name}"),
        }
    }
}

/// Grafana's rule for overriding ini options from the environment:
/// `GF_<SectionName>_<KeyName>`, upper-case, with `.` and `-` replaced by `_`.
pub fn env_var_name(section: &str, key: &str) -> String {
    let mut name = String::from("GF_");
    for c in section
        .chars()
        .chain(std::iter::once('_'))
        .chain(key.chars())
    {
        name.push(match c {
            '.' | '-' => '_',
            c => c.to_ascii_uppercase(),
        });
    }
    name
}

impl Settings {
    /// Load settings: defaults, then the ini file, then `GF_<SECTION>_<KEY>` variables
    /// from `env`. Refuses SCIM group sync together with Team Sync.
    pub fn load(
        ini: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> anyhow::Result<Settings> {
        Ok(Settings::load_from(ini, env)?)
    }

    /// [`Settings::load`] with a typed error.
    pub fn load_from(
        ini: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Settings, SettingsError> {
        let file = match ini {
            Some(path) => Some((
                ini::Ini::load_from_file(path).map_err(|source| SettingsError::Read {
                    path: path.to_owned(),
                    source,
                })?,
                path,
            )),
            None => None,
        };
        let env: HashMap<String, String> = env.filter(|(k, _)| k.starts_with("GF_")).collect();
        let lookup = |section: &'static str, key: &'static str| -> Option<(String, Origin)> {
            let name = env_var_name(section, key);
            if let Some(value) = env.get(&name) {
                return Some((value.clone(), Origin::Env(name)));
            }
            let (ini, path) = file.as_ref()?;
            let value = ini.section(Some(section))?.get(key)?;
            Some((value.to_owned(), Origin::File(path.to_path_buf())))
        };
        let flag =
            |section: &'static str, key: &'static str, default: bool| match lookup(section, key) {
                None => Ok(default),
                Some((value, _)) if value.trim().is_empty() => Ok(default),
                Some((value, origin)) => parse_bool(&value).ok_or(SettingsError::NotABoolean {
                    section,
                    key,
                    origin,
                    value,
                }),
            };
        let text =
            |section: &'static str, key: &'static str, default: &str| match lookup(section, key) {
                Some((value, _)) if !value.trim().is_empty() => value.trim().to_owned(),
                _ => default.to_owned(),
            };
        let defaults = Settings::default();
        let d = &defaults.saml;
        let clock_skew =
            typed(&lookup, ("auth.saml", "clock_skew"), &DURATION)?.unwrap_or(d.clock_skew);
        let signature_policy = typed(
            &lookup,
            ("auth.saml", "signature_policy"),
            &SIGNATURE_POLICY,
        )?
        .unwrap_or(d.signature_policy);
        let refusal_answer = typed(&lookup, ("auth.saml", "refusal_answer"), &REFUSAL_ANSWER)?
            .unwrap_or(d.refusal_answer);
        let root_url = typed(&lookup, ("server", "root_url"), &ROOT_URL)?;
        // A relative path in the ini file is relative to the file's folder; one in a
        // variable, to the working folder.
        let path = |key: &'static str| match lookup("auth.saml", key) {
            Some((value, origin)) if !value.trim().is_empty() => {
                let value = std::path::PathBuf::from(value.trim());
                Some(match origin {
                    Origin::File(file) if value.is_relative() => file
                        .parent()
                        .map_or_else(|| value.clone(), |dir| dir.join(&value)),
                    _ => value,
                })
            }
            _ => None,
        };
        let saml = SamlSettings {
            assertion_attribute_external_uid: text(
                "auth.saml",
                "assertion_attribute_external_uid",
                &d.assertion_attribute_external_uid,
            ),
            assertion_attribute_login: text(
                "auth.saml",
                "assertion_attribute_login",
                &d.assertion_attribute_login,
            ),
            assertion_attribute_email: text(
                "auth.saml",
                "assertion_attribute_email",
                &d.assertion_attribute_email,
            ),
            assertion_attribute_name: text(
                "auth.saml",
                "assertion_attribute_name",
                &d.assertion_attribute_name,
            ),
            allow_sign_up: flag("auth.saml", "allow_sign_up", d.allow_sign_up)?,
            allow_idp_initiated: flag("auth.saml", "allow_idp_initiated", d.allow_idp_initiated)?,
            refusal_answer,
            clock_skew,
            signature_policy,
            roles: RoleMapping {
                attribute: text("auth.saml", "assertion_attribute_role", ""),
                editor: value_list(&text("auth.saml", "role_values_editor", "")),
                admin: value_list(&text("auth.saml", "role_values_admin", "")),
                grafana_admin: value_list(&text("auth.saml", "role_values_grafana_admin", "")),
            },
            private_key_path: path("private_key_path"),
            certificate_path: path("certificate_path"),
        };
        let settings = Settings {
            scim: ScimSettings {
                user_sync_enabled: flag(
                    "auth.scim",
                    "user_sync_enabled",
                    defaults.scim.user_sync_enabled,
                )?,
                group_sync_enabled: flag(
                    "auth.scim",
                    "group_sync_enabled",
                    defaults.scim.group_sync_enabled,
                )?,
                reject_non_provisioned_users: flag(
                    "auth.scim",
                    "reject_non_provisioned_users",
                    defaults.scim.reject_non_provisioned_users,
                )?,
            },
            team_sync: TeamSyncSettings {
                enabled: flag("team_sync", "enabled", defaults.team_sync.enabled)?,
            },
            saml,
            server: ServerSettings { root_url },
            security: SecuritySettings {
                admin_user: text("security", "admin_user", &defaults.security.admin_user),
                admin_password: text(
                    "security",
                    "admin_password",
                    &defaults.security.admin_password,
                ),
                role_less_token: Some(text("service_accounts", "role_less_token", ""))
                    .filter(|t| !t.is_empty()),
            },
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Grafana: `group_sync_enabled` "Cannot be enabled if Team Sync is enabled".
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.scim.group_sync_enabled && self.team_sync.enabled {
            return Err(SettingsError::GroupSyncWithTeamSync);
        }
        if self.saml.private_key_path.is_some() != self.saml.certificate_path.is_some() {
            return Err(SettingsError::SamlKeyPairIncomplete);
        }
        Ok(())
    }
}

/// Booleans as Grafana's ini library reads them: `true/false`, `1/0`, `t/f`, `yes/no`,
/// `y/n`, `on/off`, in any letter case; surrounding blanks ignored.
fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "t" | "yes" | "y" | "on" => Some(true),
        "false" | "0" | "f" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

/// How a typed setting reads its value, and what it expects, for the error.
struct Parser<T> {
    parse: fn(&str) -> Option<T>,
    expected: &'static str,
}

const DURATION: Parser<time::Duration> = Parser {
    parse: parse_duration,
    expected: "a duration such as 60s, 2m or 90",
};

const SIGNATURE_POLICY: Parser<saml::SignaturePolicy> = Parser {
    parse: parse_signature_policy,
    expected: "assertion, response-or-assertion or both",
};

const REFUSAL_ANSWER: Parser<RefusalAnswer> = Parser {
    parse: parse_refusal_answer,
    expected: "redirect or json",
};

const ROOT_URL: Parser<String> = Parser {
    parse: parse_root_url,
    expected: "an http or https url",
};

/// A typed setting: `None` when absent or blank, else its parser must accept it.
fn typed<T>(
    lookup: &impl Fn(&'static str, &'static str) -> Option<(String, Origin)>,
    (section, key): (&'static str, &'static str),
    &Parser { parse, expected }: &Parser<T>,
) -> Result<Option<T>, SettingsError> {
    match lookup(section, key) {
        Some((value, origin)) if !value.trim().is_empty() => match parse(value.trim()) {
            Some(v) => Ok(Some(v)),
            None => Err(SettingsError::Invalid {
                section,
                key,
                origin,
                value,
                expected,
            }),
        },
        _ => Ok(None),
    }
}

/// A duration as Grafana writes them (`90s`, `2m`, `1h`, `500ms`, combinations such as
/// `1m30s`), or a bare number of seconds. Negative durations are refused.
fn parse_duration(value: &str) -> Option<time::Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u32>() {
        return Some(time::Duration::seconds(i64::from(seconds)));
    }
    let mut total = time::Duration::ZERO;
    let mut rest = value;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => time::Duration::milliseconds(n),
            "s" => time::Duration::seconds(n),
            "m" => time::Duration::minutes(n),
            "h" => time::Duration::hours(n),
            _ => return None,
        };
        total += unit;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// `server.root_url`: an http or https url, without a trailing `/`.
fn parse_root_url(v: &str) -> Option<String> {
    (v.starts_with("http://") || v.starts_with("https://"))
        .then(|| v.trim_end_matches('/').to_owned())
}

/// `refusal_answer`: `redirect` or `json`, any case.
fn parse_refusal_answer(value: &str) -> Option<RefusalAnswer> {
    match value.trim().to_ascii_lowercase().as_str() {
        "redirect" => Some(RefusalAnswer::Redirect),
        "json" => Some(RefusalAnswer::Json),
        _ => None,
    }
}

/// `signature_policy`: `assertion`, `response-or-assertion` or `both`, any case.
fn parse_signature_policy(value: &str) -> Option<saml::SignaturePolicy> {
    match value.trim().to_ascii_lowercase().as_str() {
        "assertion" => Some(saml::SignaturePolicy::AssertionSigned),
        "response-or-assertion" => Some(saml::SignaturePolicy::ResponseOrAssertionSigned),
        "both" => Some(saml::SignaturePolicy::BothSigned),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
