//! The embedded reference target: `crates/reference-target` in-process on 127.0.0.1:0 with a
//! temporary SQLite file, the reference ini, a random token and a random server-admin
//! password, which the run uses for what the reference profile's `[admin]` names. Its
//! `[auth.saml]` keeps Grafana's defaults (IdP-initiated login off, a refusal redirected to
//! `/login` with its public message on the login page); the reference profile's `[saml]
//! settings_switch` turns IdP-initiated login or sign-up on and off for the configs that
//! need it.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;

/// The reference profile and ini, built into the binary so `run` works from any folder.
const REFERENCE_PROFILE: &str = include_str!("../../../fixtures/profiles/reference.toml");
const REFERENCE_INI: &str = include_str!("../../../fixtures/target/reference.ini");
/// The reference ini's SP key pair (TEST-ONLY, fixtures/README.md), written beside the ini
/// it names them from: the target decrypts encrypted assertions, the run encrypts for it.
const SP_KEY: &str = include_str!("../../../fixtures/target/sp.key.pem");
const SP_CERT: &str = include_str!("../../../fixtures/target/sp.cert.pem");

/// A running in-process target; stopped when dropped.
pub struct EmbeddedTarget {
    pub base_url: String,
    pub token: String,
    /// The server admin (`[security] admin_user` / `admin_password`); never printed.
    pub admin: conformance::AdminCredentials,
    /// The SP encryption certificate the target decrypts for (in the temporary folder).
    sp_cert: std::path::PathBuf,
    _running: reference_target::RunningTarget,
    _dir: tempfile::TempDir,
}

/// The next IdP certificate in the key folder (`fixtures/idp/rollover.cert.pem`).
const ROLLOVER_CERT: &str = "rollover.cert.pem";

impl EmbeddedTarget {
    /// Start it and wait until it listens. It trusts the IdP of every persona: metadata
    /// for `{entra,okta,rfc}.cert.pem` in `idp_keys`, with the entity ids the reference
    /// profile's `[saml] idp_tenant` gives them. `faults` are deliberate bugs
    /// (`run --fault`); empty for the correct target. It serves `namespace` (`run
    /// --namespace`).
    pub async fn start(
        idp_keys: &Path,
        faults: reference_target::FaultSet,
        namespace: &str,
    ) -> anyhow::Result<EmbeddedTarget> {
        let dir = tempfile::tempdir().context("creating a temporary folder")?;
        let profile = reference_profile()?;
        let tenant = profile
            .saml
            .as_ref()
            .map(|s| s.idp_tenant.clone())
            .unwrap_or_default();
        let mut idp_certs = Vec::new();
        // Every IdP's next key (a certificate rollover), when the key folder has one: the
        // reference profile declares `trusts_rollover_key`.
        let rollover_path = idp_keys.join(ROLLOVER_CERT);
        let rollover = match rollover_path.is_file() {
            true => vec![
                saml::Certificate::from_pem_file(&rollover_path).with_context(|| {
                    format!(
                        "reading the rollover certificate {}",
                        rollover_path.display()
                    )
                })?,
            ],
            false => Vec::new(),
        };
        for style in saml::IdpStyle::ALL {
            let name = style.name();
            let cert_path = idp_keys.join(format!("{name}.cert.pem"));
            if !cert_path.is_file() {
                continue;
            }
            let certificate = saml::Certificate::from_pem_file(&cert_path)
                .with_context(|| format!("reading the idp certificate {}", cert_path.display()))?;
            let metadata = saml::IdpMetadata {
                entity_id: style.entity_id(&tenant),
                sso_url: style.sso_url(&tenant),
                signing_certificate: certificate,
                next_certificates: rollover.clone(),
                name_id_formats: Vec::new(),
            };
            let xml = metadata
                .to_xml()
                .map_err(|e| anyhow::anyhow!("writing idp metadata for {name}: {}", e.message))?;
            let path = dir.path().join(format!("{name}.metadata.xml"));
            std::fs::write(&path, xml).with_context(|| format!("writing {}", path.display()))?;
            idp_certs.push(reference_target::IdpSource::Metadata(path));
        }
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let admin = embedded_admin(|name| std::env::var(name).ok());
        for (name, text) in [("sp.key.pem", SP_KEY), ("sp.cert.pem", SP_CERT)] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        let ini = dir.path().join("reference.ini");
        let ini_text = format!(
            "{REFERENCE_INI}\n[security]\nadmin_user = {}\nadmin_password = {}\n",
            admin.user, admin.password
        );
        std::fs::write(&ini, ini_text).with_context(|| format!("writing {}", ini.display()))?;
        let options = reference_target::ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: dir.path().join("reference.db"),
            config_ini: Some(ini),
            token: token.clone(),
            idp_certs,
            namespace: Some(namespace.to_owned()),
            root_url: None,
            tls: None,
        };
        let running = reference_target::spawn(options, faults)
            .await
            .map_err(|e| anyhow::anyhow!("the reference target did not start: {e:#}"))?;
        Ok(EmbeddedTarget {
            base_url: running.base_url(),
            token,
            admin,
            sp_cert: dir.path().join("sp.cert.pem"),
            _running: running,
            _dir: dir,
        })
    }

    /// The reference profile, pointed at this target.
    pub fn profile(&self) -> anyhow::Result<conformance::Profile> {
        let mut p = reference_profile()?;
        p.base_url = self.base_url.clone();
        if let Some(saml) = &mut p.saml {
            saml.encrypt_for = Some(self.sp_cert.clone());
        }
        Ok(p)
    }
}

/// The embedded target's server admin: `admin` with a random password, unless
/// `GF_SECURITY_ADMIN_USER` / `GF_SECURITY_ADMIN_PASSWORD` are set, which the target
/// reads over its ini (Grafana's environment rule), so the run uses them too.
fn embedded_admin(env: impl Fn(&str) -> Option<String>) -> conformance::AdminCredentials {
    let var = |key| {
        env(&reference_target::env_var_name("security", key)).filter(|v| !v.trim().is_empty())
    };
    conformance::AdminCredentials {
        user: var("admin_user").map_or_else(|| "admin".to_owned(), |v| v.trim().to_owned()),
        password: var("admin_password").map_or_else(
            || format!("admin-{}", uuid::Uuid::new_v4().simple()),
            |v| v.trim().to_owned(),
        ),
    }
}

fn reference_profile() -> anyhow::Result<conformance::Profile> {
    conformance::Profile::parse(REFERENCE_PROFILE, "fixtures/profiles/reference.toml")
        .context("reading the built-in reference profile")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_admin_is_random_unless_the_targets_environment_names_one() {
        let none = |_: &str| None;
        let (a, b) = (embedded_admin(none), embedded_admin(none));
        assert_eq!(a.user, "admin");
        assert!(a.password.len() > 20 && a.password != b.password);
        let set = |name: &str| match name {
            "GF_SECURITY_ADMIN_USER" => Some("root".to_owned()),
            "GF_SECURITY_ADMIN_PASSWORD" => Some(" pw ".to_owned()),
            _ => None,
        };
        let c = embedded_admin(set);
        assert_eq!((c.user.as_str(), c.password.as_str()), ("root", "pw"));
    }
}
