//! What a run needs besides the target, built into the binary so that it runs copied alone
//! into an empty folder: the scenario catalogue (`scenarios/` at build time), with
//! `--scenarios DIR` added to it or DIR alone with `--no-builtin-scenarios`, and the
//! test-only IdP keys (`fixtures/idp`) unless `--idp-keys DIR`, and the sample directory
//! (`fixtures/directory.yaml`) of `idp serve` and `idp sync` unless `--directory FILE`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use conformance::{Catalogue, CatalogueFiles, ScenarioFile};
use include_dir::{include_dir, Dir};

/// `scenarios/` of the source tree the binary was built from.
static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../scenarios");

/// `fixtures/idp`: the TEST-ONLY IdP keys (see its README), for `run` without `--idp-keys`.
static BUILTIN_KEYS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../fixtures/idp");

/// Where a run reads its IdP keys: the folder given, or the built-in test-only keys
/// written to a temporary folder that lives as long as this value.
pub enum IdpKeyFolder {
    Given(PathBuf),
    Builtin(tempfile::TempDir),
}

impl IdpKeyFolder {
    /// `given`, or the built-in keys.
    pub fn new(given: Option<&Path>) -> anyhow::Result<IdpKeyFolder> {
        if let Some(dir) = given {
            return Ok(IdpKeyFolder::Given(dir.to_owned()));
        }
        let dir = tempfile::tempdir().context("creating a folder for the built-in idp keys")?;
        for file in BUILTIN_KEYS.files() {
            if file.path().extension().is_some_and(|e| e == "pem") {
                let to = dir.path().join(file.path());
                std::fs::write(&to, file.contents())
                    .with_context(|| format!("writing {}", to.display()))?;
            }
        }
        Ok(IdpKeyFolder::Builtin(dir))
    }

    /// The folder to read.
    pub fn path(&self) -> &Path {
        match self {
            IdpKeyFolder::Given(p) => p,
            IdpKeyFolder::Builtin(d) => d.path(),
        }
    }
}

/// `fixtures/directory.yaml`: the sample directory of `idp serve` and `idp sync`.
const BUILTIN_DIRECTORY: &str = include_str!("../../../fixtures/directory.yaml");

/// The directory at `path`, or the built-in sample directory.
pub fn load_directory(path: Option<&Path>) -> anyhow::Result<idp::Directory> {
    match path {
        Some(p) => {
            idp::Directory::load(p).with_context(|| format!("loading directory {}", p.display()))
        }
        None => idp::Directory::from_yaml(BUILTIN_DIRECTORY, "fixtures/directory.yaml (built in)")
            .context("loading the built-in directory"),
    }
}

/// How the built-in catalogue is named in messages.
const BUILTIN_ORIGIN: &str = "the built-in catalogue";

/// The catalogue flags of `run`, `list` and `clean`.
#[derive(Args, Debug, Clone, Default)]
pub struct CatalogueArgs {
    /// A folder of your own scenarios (`<area>/*.yaml`, and optionally `configs.yaml`),
    /// added to the built-in catalogue. A scenario with a built-in id must be an identical
    /// copy (so a checkout's `scenarios/` may be given).
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// Run only the scenarios of --scenarios DIR (its `configs.yaml`, or the built-in one).
    #[arg(long, requires = "scenarios")]
    pub no_builtin_scenarios: bool,
}

impl CatalogueArgs {
    /// The catalogue these flags name.
    pub fn load(&self) -> anyhow::Result<Catalogue> {
        let builtin = builtin_files();
        match (&self.scenarios, self.no_builtin_scenarios) {
            (None, _) => {
                Catalogue::parse(builtin).context("loading the built-in scenario catalogue")
            }
            (Some(dir), only) => {
                let mut own = CatalogueFiles::read(dir)
                    .with_context(|| format!("reading the scenario folder {}", dir.display()))?;
                let loaded = match only {
                    true => {
                        if own.configs.is_none() {
                            own.configs = builtin.configs;
                        }
                        Catalogue::parse(own)
                    }
                    false => Catalogue::parse(builtin)
                        .context("loading the built-in scenario catalogue")?
                        .merge(own),
                };
                loaded.with_context(|| format!("loading the scenarios of {}", dir.display()))
            }
        }
    }
}

/// The built-in catalogue's files: `configs.yaml` and every `<area>/*.yaml`.
pub fn builtin_files() -> CatalogueFiles {
    let named = |path: &std::path::Path| format!("scenarios/{} (built in)", path.display());
    let configs = BUILTIN.get_file("configs.yaml").map(|f| {
        (
            named(f.path()),
            f.contents_utf8().unwrap_or_default().to_owned(),
        )
    });
    let scenarios = BUILTIN
        .dirs()
        .flat_map(|area| {
            let name = area
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            area.files()
                .filter(|f| {
                    f.path()
                        .extension()
                        .is_some_and(|e| e == "yaml" || e == "yml")
                })
                .map(move |f| ScenarioFile {
                    path: named(f.path()),
                    area: name.clone(),
                    text: f.contents_utf8().unwrap_or_default().to_owned(),
                })
        })
        .collect();
    CatalogueFiles {
        origin: BUILTIN_ORIGIN.to_owned(),
        configs,
        scenarios,
    }
}

/// SHA-256 (lowercase hex) over a loaded catalogue, the report's `catalogue_digest`: its
/// configurations in file order, then each scenario's id, area and file text, sorted by
/// id. Each part is length-prefixed, so no two catalogues share a byte stream; file
/// names are left out, so the built-in catalogue and a checkout's identical
/// `--scenarios scenarios/` have one digest.
pub fn digest(catalogue: &Catalogue) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    let mut part = |text: &str| {
        hash.update((text.len() as u64).to_be_bytes());
        hash.update(text.as_bytes());
    };
    for c in &catalogue.configs {
        part("config");
        part(&c.name);
        part(&c.values.to_string());
        part(&c.login.to_string());
    }
    let mut scenarios: Vec<_> = catalogue.scenarios.iter().collect();
    scenarios.sort_by(|a, b| a.scenario.id.cmp(&b.scenario.id));
    for s in scenarios {
        part("scenario");
        part(&s.scenario.id);
        part(&s.area);
        part(s.text());
    }
    format!("{:x}", hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest is the catalogue's, not its files' names: the built-in catalogue and a
    /// checkout's `scenarios/` given as `--scenarios` agree; one scenario more changes it.
    #[test]
    fn the_digest_follows_the_scenarios_not_their_file_names() {
        let builtin = digest(&CatalogueArgs::default().load().unwrap());
        assert_eq!(builtin.len(), 64);
        let same = CatalogueArgs {
            scenarios: Some(source_scenarios()),
            no_builtin_scenarios: false,
        };
        assert_eq!(digest(&same.load().unwrap()), builtin);
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("vendor")).unwrap();
        let own = "id: vendor.mine\ntitle: mine\nlevel: info\npersonas: [rfc]\nspec: [\"ours\"]\nsteps:\n  - add_user: {user: a}\n  - sync: {}\n";
        std::fs::write(dir.path().join("vendor/mine.yaml"), own).unwrap();
        let more = CatalogueArgs {
            scenarios: Some(dir.path().to_owned()),
            no_builtin_scenarios: false,
        };
        assert_ne!(digest(&more.load().unwrap()), builtin);
    }

    fn source_scenarios() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
    }

    /// The built-in catalogue is the source tree's `scenarios/`, case for case.
    #[test]
    fn the_builtin_catalogue_is_the_source_folder() {
        let builtin = CatalogueArgs::default().load().unwrap();
        let folder = Catalogue::load(&source_scenarios()).unwrap();
        let ids = |c: &Catalogue| c.cases().into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(ids(&builtin), ids(&folder));
        assert_eq!(builtin.configs, folder.configs);
        assert!(!ids(&builtin).is_empty());
    }

    /// The built-in keys are fixtures/idp's, file for file.
    #[test]
    fn the_builtin_keys_are_the_fixtures() {
        let folder = IdpKeyFolder::new(None).unwrap();
        let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/idp");
        let mut n = 0;
        for entry in std::fs::read_dir(&fixtures).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "pem") {
                let name = path.file_name().unwrap();
                assert_eq!(
                    std::fs::read(folder.path().join(name)).unwrap(),
                    std::fs::read(&path).unwrap()
                );
                n += 1;
            }
        }
        assert_eq!(n, 10);
        idp::IdpKeys::load(folder.path()).unwrap();
    }

    /// The built-in directory is fixtures/directory.yaml.
    #[test]
    fn the_builtin_directory_is_the_fixture() {
        let fixture =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/directory.yaml");
        let (builtin, file) = (
            load_directory(None).unwrap(),
            load_directory(Some(&fixture)).unwrap(),
        );
        assert_eq!(builtin.users().len(), file.users().len());
        assert!(builtin.user_count() > 0);
    }

    /// A checkout's `scenarios/` given with --scenarios adds nothing; a folder of one's
    /// own adds its cases; a clash names both files; --no-builtin-scenarios runs the
    /// folder alone under the built-in configurations.
    #[test]
    fn scenarios_dir_adds_to_the_builtin_catalogue() {
        let builtin = CatalogueArgs::default().load().unwrap().cases().len();
        let same = CatalogueArgs {
            scenarios: Some(source_scenarios()),
            no_builtin_scenarios: false,
        };
        assert_eq!(same.load().unwrap().cases().len(), builtin);

        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("vendor")).unwrap();
        let own = "id: vendor.mine\ntitle: mine\nlevel: info\npersonas: [rfc]\nspec: [\"ours\"]\nsteps:\n  - add_user: {user: a}\n  - sync: {}\n";
        std::fs::write(dir.path().join("vendor/mine.yaml"), own).unwrap();
        let args = CatalogueArgs {
            scenarios: Some(dir.path().to_owned()),
            no_builtin_scenarios: false,
        };
        let merged = args.load().unwrap();
        assert_eq!(merged.cases().len(), builtin + 1);
        assert!(merged
            .cases()
            .iter()
            .any(|c| c.id == "vendor.mine/rfc/default"));

        let alone = CatalogueArgs {
            no_builtin_scenarios: true,
            ..args.clone()
        }
        .load()
        .unwrap();
        assert_eq!(
            alone
                .cases()
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>(),
            ["vendor.mine/rfc/default"]
        );

        let clash = own.replace("vendor.mine", "users.lifecycle");
        std::fs::write(dir.path().join("vendor/mine.yaml"), clash).unwrap();
        let err = format!("{:#}", args.load().unwrap_err());
        assert!(
            err.contains("users.lifecycle") && err.contains("mine.yaml"),
            "{err}"
        );
        assert!(err.contains("lifecycle.yaml (built in)"), "{err}");
    }
}
