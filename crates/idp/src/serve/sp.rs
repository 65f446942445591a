//! The service providers `idp serve` knows, as a real IdP knows its enterprise apps: the
//! entity id an AuthnRequest's Issuer must name, and the ACS URLs a Response may go to.

use crate::login::SamlSp;

/// One SP (application) configured in the IdP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProvider {
    /// The SP's entity id: the AuthnRequest's Issuer and the Response's Audience.
    pub entity_id: String,
    /// The Reply URLs (Entra) / Single sign-on URL (Okta): where a Response may be
    /// posted; the first is the default.
    pub acs_urls: Vec<String>,
    /// The attribute the SP reads the user's uid from (Grafana's
    /// `assertion_attribute_external_uid`).
    pub uid_attribute: String,
    /// The SP's encryption key from its metadata (the first RSA certificate of a
    /// `KeyDescriptor use="encryption"` or without `use`): logins for it are encrypted.
    pub encrypt_for: Option<saml::EncryptionKey>,
}

/// Why an SP could not be configured.
#[derive(Debug, thiserror::Error)]
pub enum SpError {
    #[error("reading SP metadata {source_name}")]
    Read {
        source_name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("fetching SP metadata {url}: {message}")]
    Fetch { url: String, message: String },
    #[error("SP metadata {source_name}: {source}")]
    Metadata {
        source_name: String,
        #[source]
        source: saml::SpMetadataError,
    },
}

impl ServiceProvider {
    /// An SP from its ACS URL and entity id (`--sp-acs`, `--sp-entity-id`).
    pub fn new(entity_id: impl Into<String>, acs_url: impl Into<String>) -> ServiceProvider {
        ServiceProvider {
            entity_id: entity_id.into(),
            acs_urls: vec![acs_url.into()],
            uid_attribute: saml::GRAFANA_UID_ATTRIBUTE.to_owned(),
            encrypt_for: None,
        }
    }

    /// An SP from its metadata text; `source_name` names it in errors.
    pub fn from_metadata(text: &str, source_name: &str) -> Result<ServiceProvider, SpError> {
        let meta = saml::SpMetadata::parse(text).map_err(|source| SpError::Metadata {
            source_name: source_name.to_owned(),
            source,
        })?;
        Ok(ServiceProvider {
            entity_id: meta.entity_id,
            acs_urls: meta.acs_urls,
            uid_attribute: saml::GRAFANA_UID_ATTRIBUTE.to_owned(),
            encrypt_for: meta
                .encryption_certificates
                .into_iter()
                .find_map(|c| saml::EncryptionKey::from_certificate(c).ok()),
        })
    }

    /// `--sp-metadata URL|FILE`: an `http(s)://` URL is fetched (through `client`), anything
    /// else is read as a file.
    pub async fn load(
        location: &str,
        client: &reqwest::Client,
    ) -> Result<ServiceProvider, SpError> {
        if location.starts_with("http://") || location.starts_with("https://") {
            let fetch = |message: String| SpError::Fetch {
                url: location.to_owned(),
                message,
            };
            let response = client
                .get(location)
                .send()
                .await
                .map_err(|e| fetch(crate::transport::error_chain(&e)))?;
            let status = response.status();
            if !status.is_success() {
                return Err(fetch(format!("answered {status}")));
            }
            let text = response
                .text()
                .await
                .map_err(|e| fetch(crate::transport::error_chain(&e)))?;
            return ServiceProvider::from_metadata(&text, location);
        }
        let text = std::fs::read_to_string(location).map_err(|source| SpError::Read {
            source_name: location.to_owned(),
            source,
        })?;
        ServiceProvider::from_metadata(&text, location)
    }

    /// Whether `acs` is one of this SP's ACS URLs (compared exactly, as Entra compares
    /// Reply URLs).
    pub fn allows_acs(&self, acs: &str) -> bool {
        self.acs_urls.iter().any(|a| a == acs)
    }

    /// The default ACS URL.
    pub fn default_acs(&self) -> &str {
        self.acs_urls.first().map_or("", String::as_str)
    }

    /// What a login for this SP, answered at `acs`, needs.
    pub fn saml_sp(&self, acs: &str) -> SamlSp {
        SamlSp {
            acs_url: acs.to_owned(),
            audience: self.entity_id.clone(),
            uid_attribute: self.uid_attribute.clone(),
        }
    }
}
