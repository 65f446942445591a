//! The target profiles shipped inside the binary (`fixtures/profiles/*.toml` at build time):
//! `--target grafana` works from an empty folder. A path that names a file is read as
//! before; a bare name that is no file is looked up here.
//!
//! A shipped profile may name a file relative to itself (`reference.toml`'s
//! `[saml] encrypt_for = "../target/sp.cert.pem"`, the TEST-ONLY certificate of the
//! reference target): the profile and the certificates of `fixtures/target/` are written
//! to a temporary folder, in the same layout, that lives as long as the caller's
//! [`ShippedFolder`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use include_dir::{include_dir, Dir};

/// `fixtures/profiles/` of the source tree the binary was built from.
static PROFILES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../fixtures/profiles");

/// The TEST-ONLY reference target certificate a shipped profile may point at.
const SP_CERT: &str = include_str!("../../../fixtures/target/sp.cert.pem");

/// The names of the shipped profiles, sorted.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&str> = PROFILES
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "toml"))
        .filter_map(|f| f.path().file_stem()?.to_str())
        .collect();
    names.sort_unstable();
    names
}

/// The text of the shipped profile `name` (with or without `.toml`).
pub fn text(name: &str) -> Option<&'static str> {
    let stem = name.strip_suffix(".toml").unwrap_or(name);
    PROFILES
        .get_file(format!("{stem}.toml"))
        .and_then(|f| f.contents_utf8())
}

/// The first sentence of a shipped profile's opening comment: what it is for.
pub fn summary(name: &str) -> String {
    let comment: Vec<&str> = text(name)
        .unwrap_or("")
        .lines()
        .map_while(|l| l.strip_prefix('#'))
        .map(str::trim)
        .collect();
    let comment = comment.join(" ");
    match comment.find(". ") {
        Some(end) => comment[..=end].to_owned(),
        None => comment,
    }
}

/// Where shipped profiles are written when a run names one; empty until then, removed
/// when the last clone is dropped.
#[derive(Debug, Clone, Default)]
pub struct ShippedFolder(Arc<OnceLock<tempfile::TempDir>>);

impl ShippedFolder {
    /// `given` when it names a file (or anything with a folder in it, so that a mistyped
    /// path is reported as a missing file), else the shipped profile of that name written
    /// out; an unknown name is an error that lists the shipped ones.
    pub fn resolve(&self, given: &Path) -> anyhow::Result<PathBuf> {
        if given.exists() || given.components().count() != 1 {
            return Ok(given.to_owned());
        }
        let name = given.to_string_lossy();
        let Some(text) = text(&name) else {
            anyhow::bail!(
                "no profile file `{name}`, and no shipped profile of that name (shipped: {}; \
                 `scim-harness target profiles NAME` prints one to copy and edit)",
                names().join(", ")
            );
        };
        let dir = match self.0.get() {
            Some(dir) => dir,
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("scim-harness-profile-")
                    .tempdir()
                    .context("creating a folder for the shipped profile")?;
                let _ = self.0.set(dir);
                self.0.get().context("the shipped-profile folder")?
            }
        };
        let stem = name.strip_suffix(".toml").unwrap_or(&name);
        let profile = dir.path().join("profiles").join(format!("{stem}.toml"));
        let cert = dir.path().join("target").join("sp.cert.pem");
        for (path, contents) in [(&profile, text), (&cert, SP_CERT)] {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(path, contents)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source_profiles() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/profiles")
    }

    #[test]
    fn every_profile_of_the_source_tree_is_shipped() {
        let mut on_disk: Vec<String> = std::fs::read_dir(source_profiles())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        assert_eq!(names(), on_disk);
        for name in &on_disk {
            let disk = std::fs::read_to_string(source_profiles().join(format!("{name}.toml")));
            assert_eq!(text(name), Some(disk.unwrap().as_str()), "{name}");
        }
        assert_eq!(
            summary("grafana"),
            "Any server with Grafana's HTTP surface (Grafana 12 with SCIM, or a look-alike)."
        );
    }

    #[test]
    fn a_bare_name_is_written_out_and_loads() {
        let folder = ShippedFolder::default();
        let path = folder.resolve(Path::new("reference")).unwrap();
        let profile = conformance::Profile::load(&path).unwrap();
        assert_eq!(profile.name, "reference");
        // Its relative certificate points into the same folder, and is there.
        let cert = profile.saml.as_ref().unwrap().encrypt_for.clone().unwrap();
        assert_eq!(std::fs::read_to_string(&cert).unwrap(), SP_CERT);
        // `.toml` may be given; a second profile shares the folder.
        let again = folder.resolve(Path::new("grafana.toml")).unwrap();
        assert_eq!(again.parent(), path.parent());
        let root = path.parent().unwrap().parent().unwrap().to_owned();
        drop(folder);
        assert!(!root.exists(), "the folder is removed with its last owner");
    }

    #[test]
    fn files_and_paths_are_left_alone_and_unknown_names_listed() {
        let folder = ShippedFolder::default();
        let file = source_profiles().join("grafana.toml");
        assert_eq!(folder.resolve(&file).unwrap(), file);
        let typo = Path::new("profiles/grafana.toml");
        assert_eq!(folder.resolve(typo).unwrap(), typo);
        let err = folder.resolve(Path::new("grafna")).unwrap_err().to_string();
        assert!(err.contains("no shipped profile"), "{err}");
        assert!(err.contains("grafana, grafana-cloud"), "{err}");
        assert!(
            folder.0.get().is_none(),
            "nothing written for an unknown name"
        );
    }
}
