//! Static settings from a Grafana-style ini file and `GF_<SECTION>_<KEY>` environment
//! variables: `[auth.scim]` and the reference target's Team Sync stand-in `[team_sync]`.

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

/// Everything the target reads from its ini file and environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `[auth.scim]`
    pub scim: ScimSettings,
    /// `[team_sync]`
    pub team_sync: TeamSyncSettings,
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("reading settings file {path}: {source}")]
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
    /// Grafana: "Do not enable both SCIM Group Sync and Team Sync simultaneously".
    #[error(
        "[auth.scim] group_sync_enabled and [team_sync] enabled are both on: \
         scim group sync cannot be enabled while team sync is enabled; turn one of them off"
    )]
    GroupSyncWithTeamSync,
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
        let defaults = Settings::default();
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
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Grafana: `group_sync_enabled` "Cannot be enabled if Team Sync is enabled".
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.scim.group_sync_enabled && self.team_sync.enabled {
            return Err(SettingsError::GroupSyncWithTeamSync);
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

#[cfg(test)]
mod tests;
