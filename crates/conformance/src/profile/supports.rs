//! `[supports]`: what a target profile declares its target stores and accepts, so the
//! runner judges the target only on what it does (RFC 7643 §3.1, §6: `externalId` and
//! the extensions are optional; a server may ignore attributes it does not support).

use serde::Deserialize;

/// `[supports]`. Every key is optional; the defaults describe a server that stores every
/// attribute the personas send.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supports {
    /// The target accepts the enterprise extension
    /// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`): it stores its
    /// attributes or, like Grafana, ignores them gracefully. Default `true`. With `false`,
    /// scenarios that `require: [enterprise-extension]` are skipped with the reason.
    #[serde(default = "yes")]
    pub enterprise_extension: bool,
    /// The target refuses a user without `externalId` (Grafana's rule; RFC 7643 §3.1 makes
    /// `externalId` optional). Default `false`.
    #[serde(default)]
    pub requires_external_id: bool,
    /// Attributes the target accepts but does not store, as SCIM paths
    /// (`name.givenName`, `title`): read-backs of them are noted, not judged.
    #[serde(default)]
    pub not_stored: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Default for Supports {
    fn default() -> Supports {
        Supports {
            enterprise_extension: true,
            requires_external_id: false,
            not_stored: Vec::new(),
        }
    }
}

impl Supports {
    /// Whether a read-back of `attribute` (a SCIM path, e.g. `name.givenName`) is judged.
    pub fn stores(&self, attribute: &str) -> bool {
        !self
            .not_stored
            .iter()
            .any(|a| a.eq_ignore_ascii_case(attribute))
    }
}
