//! The scenario catalogue on disk (`scenarios/<area>/*.yaml` and `scenarios/configs.yaml`),
//! and its expansion into cases: scenario × persona × config.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use idp::PersonaId;

use crate::scenario::{parse_scenario, LoadedScenario};
use crate::LoadError;

/// The target settings a case runs under (Grafana's `[auth.scim]` / SCIMConfig spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// Grafana: `user_sync_enabled` / `enableUserSync`.
    pub user_sync: bool,
    /// Grafana: `group_sync_enabled` / `enableGroupSync`.
    pub group_sync: bool,
    /// Grafana: `reject_non_provisioned_users` / `rejectNonProvisionedUsers`.
    pub reject_non_provisioned_users: bool,
}

impl std::fmt::Display for TargetConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "user_sync={}, group_sync={}, reject_non_provisioned_users={}",
            self.user_sync, self.group_sync, self.reject_non_provisioned_users
        )
    }
}

/// The SAML login settings a configuration needs (Grafana's `[auth.saml]`); `None`
/// leaves the setting as the target has it. A profile's `[saml] settings_switch` sets
/// them; without it a configuration runs only where the profile declares the values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginSettings {
    /// Grafana: `allow_idp_initiated`.
    pub allow_idp_initiated: Option<bool>,
    /// Grafana: `allow_sign_up`.
    pub allow_sign_up: Option<bool>,
}

impl LoginSettings {
    /// True when the configuration needs no particular login setting.
    pub fn is_any(&self) -> bool {
        self.allow_idp_initiated.is_none() && self.allow_sign_up.is_none()
    }
}

impl std::fmt::Display for LoginSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(v) = self.allow_idp_initiated {
            parts.push(format!("allow_idp_initiated={v}"));
        }
        if let Some(v) = self.allow_sign_up {
            parts.push(format!("allow_sign_up={v}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// One named configuration from `configs.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedConfig {
    pub name: String,
    pub values: TargetConfig,
    /// The login settings it needs besides the SCIM ones.
    pub login: LoginSettings,
}

/// One entry of `configs.yaml` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigEntry {
    name: String,
    user_sync: bool,
    group_sync: bool,
    reject_non_provisioned_users: bool,
    #[serde(default)]
    allow_idp_initiated: Option<bool>,
    #[serde(default)]
    allow_sign_up: Option<bool>,
}

/// Every scenario and configuration of a catalogue folder.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub root: PathBuf,
    /// Sorted by id.
    pub scenarios: Vec<Arc<LoadedScenario>>,
    /// In file order; cases run config by config in this order.
    pub configs: Vec<NamedConfig>,
}

/// One case: a scenario for one persona under one configuration.
#[derive(Debug, Clone)]
pub struct Case {
    /// `{scenario}/{persona}/{config}`.
    pub id: String,
    pub scenario: Arc<LoadedScenario>,
    pub persona: PersonaId,
    pub config: NamedConfig,
}

/// Which cases to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only these personas (empty: all).
    pub personas: Vec<PersonaId>,
    /// Only these config names (empty: all).
    pub configs: Vec<String>,
    /// Case-id globs (`*`, `?`); a case must match one when any is given.
    pub include: Vec<String>,
    /// Case-id globs; a matching case is left out.
    pub exclude: Vec<String>,
    /// Only scenarios of these levels (empty: all).
    pub levels: Vec<crate::Level>,
    /// The k-th (1-based) of n disjoint parts.
    pub partition: Option<Partition>,
}

/// `--partition K/N` or `hash:K/N`: the K-th (1-based) of N disjoint parts of the
/// selected cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub k: usize,
    pub n: usize,
    /// `hash:K/N`: a case's part is a hash of its id, so it stays in the same part when
    /// cases are added or removed; `K/N` counts the selected cases round robin.
    pub by_hash: bool,
}

impl Partition {
    /// Whether the case at `index` of the selection, with this `id`, is in the part.
    fn holds(&self, index: usize, id: &str) -> bool {
        let slot = match self.by_hash {
            true => (fnv1a(id.as_bytes()) % self.n as u64) as usize,
            false => index % self.n,
        };
        slot == self.k - 1
    }
}

/// FNV-1a, 64 bits: a fixed hash, the same in every build and on every machine.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

const CONFIGS_FILE: &str = "configs.yaml";

/// A catalogue's files read into memory, from a folder ([`CatalogueFiles::read`]) or
/// from the copy built into a binary.
#[derive(Debug, Clone, Default)]
pub struct CatalogueFiles {
    /// Where they come from, for messages: a folder, or `built-in`.
    pub origin: String,
    /// `configs.yaml`: its name for messages and its text; `None` when the source has none.
    pub configs: Option<(String, String)>,
    /// Every `<area>/*.yaml`.
    pub scenarios: Vec<ScenarioFile>,
}

/// One scenario file of a [`CatalogueFiles`].
#[derive(Debug, Clone)]
pub struct ScenarioFile {
    /// Its name in messages (`scenarios/users/lifecycle.yaml`).
    pub path: String,
    /// The folder it is in: the report's area.
    pub area: String,
    pub text: String,
}

impl CatalogueFiles {
    /// `root/configs.yaml` (if there is one) and every `root/<area>/*.yaml` (`.yml` too).
    pub fn read(root: &Path) -> Result<CatalogueFiles, LoadError> {
        let configs_path = root.join(CONFIGS_FILE);
        let configs = match configs_path.is_file() {
            true => Some((
                configs_path.display().to_string(),
                std::fs::read_to_string(&configs_path).map_err(|source| LoadError::Read {
                    path: configs_path.display().to_string(),
                    source,
                })?,
            )),
            false => None,
        };
        let mut scenarios = Vec::new();
        for area_dir in read_dir(root)?.into_iter().filter(|p| p.is_dir()) {
            let area = area_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let files = read_dir(&area_dir)?.into_iter().filter(|p| {
                p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml")
            });
            for file in files {
                let text = std::fs::read_to_string(&file).map_err(|source| LoadError::Read {
                    path: file.display().to_string(),
                    source,
                })?;
                scenarios.push(ScenarioFile {
                    path: file.display().to_string(),
                    area: area.clone(),
                    text,
                });
            }
        }
        Ok(CatalogueFiles {
            origin: root.display().to_string(),
            configs,
            scenarios,
        })
    }
}

impl Catalogue {
    /// Load `root/configs.yaml` and every `root/<area>/*.yaml` (sorted).
    pub fn load(root: &Path) -> Result<Catalogue, LoadError> {
        Catalogue::parse(CatalogueFiles::read(root)?)
    }

    /// A catalogue from files in memory; it needs a `configs.yaml` and one scenario.
    pub fn parse(mut files: CatalogueFiles) -> Result<Catalogue, LoadError> {
        let Some((origin, text)) = &files.configs else {
            return Err(LoadError::Catalogue(format!(
                "{}: no {CONFIGS_FILE}",
                files.origin
            )));
        };
        let configs = parse_configs(origin, text)?;
        files.scenarios.sort_by(|a, b| a.path.cmp(&b.path));
        let scenarios = files
            .scenarios
            .iter()
            .map(|f| parse_scenario(&f.text, &f.path, &f.area))
            .collect::<Result<Vec<_>, _>>()?;
        if scenarios.is_empty() {
            return Err(LoadError::Catalogue(format!(
                "{}: no scenario files under <area>/*.yaml",
                files.origin
            )));
        }
        Catalogue::from_parts(Path::new(&files.origin), scenarios, configs)
    }

    /// This catalogue with `extra`'s scenarios and configurations added (`run --scenarios
    /// DIR` beside the built-in catalogue). `extra` may leave out `configs.yaml`. A
    /// scenario of `extra` with an id already here must be the same scenario (an identical
    /// copy, such as a checkout's `scenarios/`), and a configuration of the same name the
    /// same values; anything else is an error naming both files.
    pub fn merge(self, extra: CatalogueFiles) -> Result<Catalogue, LoadError> {
        let mut configs = self.configs;
        if let Some((origin, text)) = &extra.configs {
            for config in parse_configs(origin, text)? {
                match configs.iter().find(|c| c.name == config.name) {
                    Some(known) if *known == config => {}
                    Some(_) => {
                        return Err(LoadError::Catalogue(format!(
                        "{origin}: configuration `{}` differs from the one of the same name in {}",
                        config.name,
                        self.root.display()
                    )))
                    }
                    None => configs.push(config),
                }
            }
        }
        let mut scenarios: Vec<LoadedScenario> =
            self.scenarios.iter().map(|s| (**s).clone()).collect();
        let mut added = 0;
        for file in &extra.scenarios {
            let loaded = parse_scenario(&file.text, &file.path, &file.area)?;
            match scenarios
                .iter()
                .find(|s| s.scenario.id == loaded.scenario.id)
            {
                Some(known) if known.scenario == loaded.scenario && known.area == loaded.area => {}
                Some(known) => {
                    return Err(loaded.key_error(
                        "id",
                        format!(
                            "scenario id `{}` is also a different scenario of {} ({}); rename \
                             yours, or run your folder alone with --no-builtin-scenarios",
                            loaded.scenario.id,
                            self.root.display(),
                            known.path
                        ),
                    ))
                }
                None => {
                    scenarios.push(loaded);
                    added += 1;
                }
            }
        }
        let origin = match added {
            0 => self.root.display().to_string(),
            _ => format!("{} and {}", self.root.display(), extra.origin),
        };
        Catalogue::from_parts(Path::new(&origin), scenarios, configs)
    }

    /// Check ids and config names across files, then sort.
    pub fn from_parts(
        root: &Path,
        mut scenarios: Vec<LoadedScenario>,
        configs: Vec<NamedConfig>,
    ) -> Result<Catalogue, LoadError> {
        scenarios.sort_by(|a, b| a.scenario.id.cmp(&b.scenario.id));
        for pair in scenarios.windows(2) {
            if pair[0].scenario.id == pair[1].scenario.id {
                return Err(pair[1].key_error(
                    "id",
                    format!(
                        "scenario id `{}` is also used by {}",
                        pair[1].scenario.id, pair[0].path
                    ),
                ));
            }
        }
        for s in &scenarios {
            for name in s.scenario.configs.iter().flatten() {
                if !configs.iter().any(|c| &c.name == name) {
                    let known: Vec<&str> = configs.iter().map(|c| c.name.as_str()).collect();
                    return Err(s.key_error(
                        "configs",
                        format!(
                            "unknown config `{name}` (configs.yaml defines {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(Catalogue {
            root: root.to_owned(),
            scenarios: scenarios.into_iter().map(Arc::new).collect(),
            configs,
        })
    }

    /// Every case, config by config (file order), then scenario id, then persona order.
    pub fn cases(&self) -> Vec<Case> {
        let mut cases = Vec::new();
        for config in &self.configs {
            for s in &self.scenarios {
                let wants = match &s.scenario.configs {
                    None => self.configs[0].name == config.name,
                    Some(list) => list.contains(&config.name),
                };
                if !wants {
                    continue;
                }
                let personas: Vec<PersonaId> = match &s.scenario.personas {
                    None => PersonaId::ALL.to_vec(),
                    Some(p) => PersonaId::ALL
                        .iter()
                        .copied()
                        .filter(|x| p.contains(x))
                        .collect(),
                };
                for persona in personas {
                    cases.push(Case {
                        id: format!("{}/{}/{}", s.scenario.id, persona, config.name),
                        scenario: s.clone(),
                        persona,
                        config: config.clone(),
                    });
                }
            }
        }
        cases
    }

    /// The selected cases, in [`Catalogue::cases`] order.
    pub fn select(&self, sel: &Selection) -> Vec<Case> {
        let mut out: Vec<Case> = self
            .cases()
            .into_iter()
            .filter(|c| sel.personas.is_empty() || sel.personas.contains(&c.persona))
            .filter(|c| sel.configs.is_empty() || sel.configs.contains(&c.config.name))
            .filter(|c| sel.include.is_empty() || sel.include.iter().any(|g| glob_match(g, &c.id)))
            .filter(|c| !sel.exclude.iter().any(|g| glob_match(g, &c.id)))
            .filter(|c| sel.levels.is_empty() || sel.levels.contains(&c.scenario.scenario.level))
            .collect();
        if let Some(part) = sel.partition {
            out = out
                .into_iter()
                .enumerate()
                .filter(|(i, c)| part.holds(*i, &c.id))
                .map(|(_, c)| c)
                .collect();
        }
        out
    }
}

/// `configs.yaml`: a non-empty list of named configurations.
fn parse_configs(origin: &str, text: &str) -> Result<Vec<NamedConfig>, LoadError> {
    let entries: Vec<ConfigEntry> = serde_norway::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        LoadError::Syntax {
            file: origin.to_owned(),
            line,
            column,
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or("")
                .to_owned(),
        }
    })?;
    let configs: Vec<NamedConfig> = entries
        .into_iter()
        .map(|e| NamedConfig {
            name: e.name,
            values: TargetConfig {
                user_sync: e.user_sync,
                group_sync: e.group_sync,
                reject_non_provisioned_users: e.reject_non_provisioned_users,
            },
            login: LoginSettings {
                allow_idp_initiated: e.allow_idp_initiated,
                allow_sign_up: e.allow_sign_up,
            },
        })
        .collect();
    if configs.is_empty() {
        return Err(LoadError::Catalogue(format!("{origin}: no configurations")));
    }
    Ok(configs)
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Read {
        path: dir.display().to_string(),
        source,
    })?;
    Ok(entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
}

/// Shell-style match of a whole case id: `*` any run of characters (`/` included),
/// `?` one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Parse `K/N` (1 ≤ K ≤ N).
pub fn parse_partition(text: &str) -> Result<Partition, String> {
    let (by_hash, rest) = match text.strip_prefix("hash:") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (k, n) = rest
        .split_once('/')
        .ok_or_else(|| format!("partition `{text}`: expected K/N or hash:K/N"))?;
    let k: usize = k
        .trim()
        .parse()
        .map_err(|_| format!("partition `{text}`: K is not a number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("partition `{text}`: N is not a number"))?;
    if k == 0 || n == 0 || k > n {
        return Err(format!("partition `{text}`: need 1 <= K <= N"));
    }
    Ok(Partition { k, n, by_hash })
}
