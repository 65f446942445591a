//! Trusted SAML identity providers: each an entity id bound to its signing certificates,
//! read from IdP metadata or from a PEM certificate named with its entity id (`--idp-cert`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use saml::xml::{self, Element, NS_DSIG, NS_METADATA};

/// SAML Bindings §3.4: the HTTP-Redirect binding.
const HTTP_REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";

/// An IdP the target trusts: Responses whose Issuer is `entity_id` must be signed with
/// one of `certificates`, and no other key is trusted for that Issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedIdp {
    /// The IdP's entity id: the Issuer of its Responses and Assertions.
    pub entity_id: String,
    /// Its signing certificates (several during a key rollover).
    pub certificates: Vec<saml::Certificate>,
    /// Its SingleSignOnService for the HTTP-Redirect binding, where SP-initiated logins
    /// send the AuthnRequest; `None` allows only IdP-initiated logins from it.
    pub sso_url: Option<String>,
}

/// Where a trusted IdP comes from: the value of `--idp-cert`.
///
/// - `PATH` — a SAML metadata file (an `EntityDescriptor` with an `IDPSSODescriptor`):
///   entity id, every signing certificate and the HTTP-Redirect SSO URL come from it;
/// - `ENTITY_ID=PATH` — a PEM certificate trusted for exactly that entity id (no SSO URL,
///   so only IdP-initiated logins). The entity id is everything before the last `=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdpSource {
    Metadata(PathBuf),
    Certificate { entity_id: String, path: PathBuf },
}

/// Why a trusted IdP could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum IdpError {
    #[error("reading idp file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("reading idp certificate {path}")]
    Certificate {
        path: PathBuf,
        #[source]
        source: saml::KeyError,
    },
    #[error("reading idp metadata {path}: {detail}")]
    Metadata { path: PathBuf, detail: String },
    #[error(
        "idp file {0} is a PEM certificate without an entity id: pass it as ENTITY_ID=PATH, \
         or pass the IdP's metadata instead"
    )]
    CertificateWithoutEntityId(PathBuf),
    #[error("idp entity id {0:?} is trusted twice; give each entity id once")]
    Duplicate(String),
}

impl fmt::Display for IdpSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdpSource::Metadata(path) => write!(f, "{}", path.display()),
            IdpSource::Certificate { entity_id, path } => {
                write!(f, "{entity_id}={}", path.display())
            }
        }
    }
}

/// Why an `--idp-cert` value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--idp-cert value {0:?}: expected METADATA_PATH or ENTITY_ID=CERT_PEM_PATH")]
pub struct IdpSourceSyntax(pub String);

impl FromStr for IdpSource {
    type Err = IdpSourceSyntax;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value.trim().is_empty() {
            return Err(IdpSourceSyntax(value.to_owned()));
        }
        match value.rsplit_once('=') {
            // A path that merely contains `=` is still a path if it exists.
            Some(_) if Path::new(value).is_file() => Ok(IdpSource::Metadata(value.into())),
            Some((entity_id, path)) if !entity_id.is_empty() && !path.is_empty() => {
                Ok(IdpSource::Certificate {
                    entity_id: entity_id.to_owned(),
                    path: path.into(),
                })
            }
            Some(_) => Err(IdpSourceSyntax(value.to_owned())),
            None => Ok(IdpSource::Metadata(value.into())),
        }
    }
}

impl IdpSource {
    /// Reads the file and returns the IdP it describes.
    pub fn load(&self) -> Result<TrustedIdp, IdpError> {
        match self {
            IdpSource::Certificate { entity_id, path } => Ok(TrustedIdp {
                entity_id: entity_id.clone(),
                certificates: vec![saml::Certificate::from_pem_file(path).map_err(|source| {
                    IdpError::Certificate {
                        path: path.clone(),
                        source,
                    }
                })?],
                sso_url: None,
            }),
            IdpSource::Metadata(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| IdpError::Read {
                    path: path.clone(),
                    source,
                })?;
                if text.contains("-----BEGIN CERTIFICATE-----") {
                    return Err(IdpError::CertificateWithoutEntityId(path.clone()));
                }
                parse_metadata(&text).map_err(|detail| IdpError::Metadata {
                    path: path.clone(),
                    detail,
                })
            }
        }
    }
}

/// Loads every source, refusing an entity id given twice.
pub fn load_all(sources: &[IdpSource]) -> Result<Vec<TrustedIdp>, IdpError> {
    let mut out: Vec<TrustedIdp> = Vec::with_capacity(sources.len());
    for source in sources {
        let idp = source.load()?;
        if out.iter().any(|o| o.entity_id == idp.entity_id) {
            return Err(IdpError::Duplicate(idp.entity_id));
        }
        out.push(idp);
    }
    Ok(out)
}

/// SAML Metadata §2.3.2 / §2.4.3: the `entityID`, the `IDPSSODescriptor`'s signing
/// `KeyDescriptor`s (`use="signing"` or no `use`, §2.4.1.1) and its HTTP-Redirect
/// `SingleSignOnService`.
pub fn parse_metadata(text: &str) -> Result<TrustedIdp, String> {
    let root = xml::parse(text).map_err(|e| e.to_string())?;
    if !root.is(NS_METADATA, "EntityDescriptor") {
        return Err(format!(
            "root element is <{}>, expected an md:EntityDescriptor",
            root.qname
        ));
    }
    let entity_id = root
        .attr("entityID")
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or("the EntityDescriptor has no entityID")?
        .to_owned();
    let descriptor = root
        .child(NS_METADATA, "IDPSSODescriptor")
        .ok_or("no IDPSSODescriptor")?;
    let mut certificates = Vec::new();
    for key in descriptor.children_named(NS_METADATA, "KeyDescriptor") {
        if key.attr("use").is_some_and(|u| u != "signing") {
            continue;
        }
        let mut found: Vec<&Element> = Vec::new();
        key.descendants(NS_DSIG, "X509Certificate", &mut found);
        for cert in found {
            let compact: String = cert.text().split_ascii_whitespace().collect();
            let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, compact)
                .map_err(|_| "an X509Certificate is not base64".to_owned())?;
            certificates.push(
                saml::Certificate::from_der(der)
                    .map_err(|e| format!("an X509Certificate does not parse: {e}"))?,
            );
        }
    }
    if certificates.is_empty() {
        // samael-notes.md: never verify without a pinned key.
        return Err("the IDPSSODescriptor has no signing certificate".to_owned());
    }
    let sso_url = descriptor
        .children_named(NS_METADATA, "SingleSignOnService")
        .find(|s| s.attr("Binding") == Some(HTTP_REDIRECT_BINDING))
        .and_then(|s| s.attr("Location"))
        .map(str::to_owned);
    Ok(TrustedIdp {
        entity_id,
        certificates,
        sso_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_idp_cert_values() {
        assert_eq!(
            "idp.xml".parse::<IdpSource>().unwrap(),
            IdpSource::Metadata("idp.xml".into())
        );
        assert_eq!(
            "https://sts.windows.net/t/=entra.pem"
                .parse::<IdpSource>()
                .unwrap(),
            IdpSource::Certificate {
                entity_id: "https://sts.windows.net/t/".into(),
                path: "entra.pem".into()
            }
        );
        assert!("=x.pem".parse::<IdpSource>().is_err());
        assert!("e=".parse::<IdpSource>().is_err());
        assert!("".parse::<IdpSource>().is_err());
    }

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/idp")
            .join(name)
    }

    #[test]
    fn reads_the_idps_own_metadata() {
        let cert = saml::Certificate::from_pem_file(fixture("okta.cert.pem")).unwrap();
        let xml = saml::IdpMetadata {
            entity_id: "http://www.okta.com/exk1".into(),
            sso_url: "https://example.okta.com/sso".into(),
            signing_certificate: cert.clone(),
            next_certificates: Vec::new(),
            name_id_formats: Vec::new(),
        }
        .to_xml()
        .unwrap();
        let idp = parse_metadata(&xml).unwrap();
        assert_eq!(idp.entity_id, "http://www.okta.com/exk1");
        assert_eq!(idp.certificates, vec![cert]);
        assert_eq!(idp.sso_url.as_deref(), Some("https://example.okta.com/sso"));
    }

    #[test]
    fn refuses_metadata_without_a_signing_certificate_or_entity_id() {
        let no_key = "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\">\
            <md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"/></md:EntityDescriptor>";
        assert!(parse_metadata(no_key)
            .unwrap_err()
            .contains("no signing certificate"));
        let no_id = "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\"/>";
        assert!(parse_metadata(no_id).unwrap_err().contains("entityID"));
    }

    #[test]
    fn a_bare_pem_certificate_needs_its_entity_id() {
        let err = IdpSource::Metadata(fixture("rfc.cert.pem"))
            .load()
            .unwrap_err();
        assert!(
            matches!(err, IdpError::CertificateWithoutEntityId(_)),
            "{err}"
        );
        let named: IdpSource = format!("https://idp.test/x={}", fixture("rfc.cert.pem").display())
            .parse()
            .unwrap();
        let idp = named.load().unwrap();
        assert_eq!(idp.entity_id, "https://idp.test/x");
        assert_eq!(idp.sso_url, None);
        let twice = load_all(&[named.clone(), named]).unwrap_err();
        assert!(matches!(twice, IdpError::Duplicate(_)), "{twice}");
    }
}
