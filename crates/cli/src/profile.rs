//! Target profiles (TOML): how the harness reaches a target. The minimal reader for `idp sync`;
//! the scenario runner (issue 5) completes it with SAML, session, probe and config sections.

use std::path::Path;

use anyhow::{bail, Context};
use serde::Deserialize;

/// The parts of a profile this command needs. Other tables (`[saml]`, `[session]`, …) are
/// left for the runner and not read here.
#[derive(Debug, Deserialize)]
pub struct Profile {
    pub name: String,
    pub base_url: String,
    pub scim: ScimSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScimSection {
    pub path: String,
    pub token: TokenSource,
}

/// A bearer token given literally (local targets) or named by an environment variable.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum TokenSource {
    Literal(String),
    Env { env: String },
}

impl Profile {
    pub fn load(path: &Path) -> anyhow::Result<Profile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading target profile {}", path.display()))?;
        toml::from_str(&text).map_err(|err| {
            anyhow::anyhow!(
                "reading target profile {}: {}",
                path.display(),
                err.to_string().trim_end()
            )
        })
    }

    /// The SCIM base URL: `base_url` (or the override) joined with `scim.path`.
    pub fn scim_base(&self, base_url_override: Option<&str>) -> String {
        let base = base_url_override
            .unwrap_or(&self.base_url)
            .trim_end_matches('/');
        format!("{base}/{}", self.scim.path.trim_start_matches('/'))
    }

    /// Resolves the token; never includes its value in an error.
    pub fn token(&self, origin: &Path) -> anyhow::Result<String> {
        match &self.scim.token {
            TokenSource::Literal(token) => Ok(token.clone()),
            TokenSource::Env { env } => match std::env::var(env) {
                Ok(token) if !token.is_empty() => Ok(token),
                _ => bail!(
                    "target profile {}: scim.token names the environment variable {env}, which is not set",
                    origin.display()
                ),
            },
        }
    }
}
