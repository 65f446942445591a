//! IdP metadata (SAML Metadata §2.4.3): an EntityDescriptor with an IDPSSODescriptor, the signing certificate and the SSO endpoints, built with samael's metadata types.

use base64::Engine as _;
use samael::key_info::{KeyInfo, X509Data};
use samael::metadata::{
    Endpoint, EntityDescriptor, IdpSsoDescriptor, KeyDescriptor, HTTP_POST_BINDING,
    HTTP_REDIRECT_BINDING,
};
use samael::traits::ToXml;

use crate::keys::Certificate;

/// Why metadata could not be written.
#[derive(Debug, thiserror::Error)]
#[error("writing idp metadata for {entity_id}: {message}")]
pub struct MetadataError {
    pub entity_id: String,
    pub message: String,
}

/// What an IdP publishes about itself.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    pub entity_id: String,
    /// The SingleSignOnService location, offered for HTTP-Redirect and HTTP-POST (SAML Bindings §3.4, §3.5).
    pub sso_url: String,
    pub signing_certificate: Certificate,
    /// More signing certificates, each in a KeyDescriptor of its own after the first: the
    /// next key during a certificate rollover, which an SP must trust beside the current one.
    pub next_certificates: Vec<Certificate>,
    /// NameID formats the IdP supports.
    pub name_id_formats: Vec<String>,
}

impl IdpMetadata {
    /// Writes the EntityDescriptor XML.
    /// SAML Metadata §2.4.1.1: the KeyDescriptor has `use="signing"` and carries the certificate in KeyInfo/X509Data;
    /// §2.4.3: `WantAuthnRequestsSigned` is false, the harness's IdP does not check request signatures.
    pub fn to_xml(&self) -> Result<String, MetadataError> {
        let endpoint = |binding: &str| Endpoint {
            binding: binding.to_owned(),
            location: self.sso_url.clone(),
            response_location: None,
        };
        let descriptor = IdpSsoDescriptor {
            id: None,
            valid_until: None,
            cache_duration: None,
            protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".to_owned()),
            error_url: None,
            signature: None,
            key_descriptors: std::iter::once(&self.signing_certificate)
                .chain(&self.next_certificates)
                .map(|certificate| KeyDescriptor {
                    key_use: Some("signing".to_owned()),
                    key_info: KeyInfo {
                        id: None,
                        x509_data: Some(X509Data {
                            certificates: vec![certificate.to_base64()],
                        }),
                    },
                    encryption_methods: None,
                })
                .collect(),
            organization: None,
            contact_people: Vec::new(),
            artifact_resolution_service: Vec::new(),
            single_logout_services: Vec::new(),
            manage_name_id_services: Vec::new(),
            name_id_formats: self.name_id_formats.clone(),
            want_authn_requests_signed: Some(false),
            single_sign_on_services: vec![
                endpoint(HTTP_REDIRECT_BINDING),
                endpoint(HTTP_POST_BINDING),
            ],
            name_id_mapping_services: Vec::new(),
            assertion_id_request_services: Vec::new(),
            attribute_profiles: Vec::new(),
            attributes: Vec::new(),
        };
        let entity = EntityDescriptor {
            entity_id: Some(self.entity_id.clone()),
            idp_sso_descriptors: Some(vec![descriptor]),
            ..EntityDescriptor::default()
        };
        entity.to_string().map_err(|e| MetadataError {
            entity_id: self.entity_id.clone(),
            message: e.to_string(),
        })
    }
}

/// What an SP publishes about itself that an IdP needs (SAML Metadata §2.4.4): its entity
/// id and the Assertion Consumer Services that take the HTTP-POST binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpMetadata {
    pub entity_id: String,
    /// The HTTP-POST ACS locations, the default one (`isDefault`, else the lowest
    /// `index`, §2.2.3) first.
    pub acs_urls: Vec<String>,
    /// The certificates of its `KeyDescriptor`s for encryption: `use="encryption"` or no
    /// `use` (SAML Metadata §2.4.1.1: a key for both), in document order.
    pub encryption_certificates: Vec<Certificate>,
}

/// Why SP metadata could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpMetadataError {
    #[error("not SAML metadata: {0}")]
    Parse(String),
    #[error("the EntityDescriptor has no entityID")]
    NoEntityId,
    #[error("the EntityDescriptor has no SPSSODescriptor")]
    NotAnSp,
    #[error("the SPSSODescriptor has no AssertionConsumerService for the HTTP-POST binding")]
    NoPostAcs,
    #[error("a KeyDescriptor's X509Certificate is not a DER certificate in base64")]
    Certificate,
}

impl SpMetadata {
    /// Reads an SP's EntityDescriptor with samael's metadata parser.
    pub fn parse(text: &str) -> Result<SpMetadata, SpMetadataError> {
        let entity: EntityDescriptor = text
            .parse()
            .map_err(|e| SpMetadataError::Parse(format!("{e}")))?;
        let entity_id = entity
            .entity_id
            .filter(|e| !e.trim().is_empty())
            .ok_or(SpMetadataError::NoEntityId)?;
        let descriptors = entity
            .sp_sso_descriptors
            .filter(|d| !d.is_empty())
            .ok_or(SpMetadataError::NotAnSp)?;
        let mut encryption_certificates = Vec::new();
        let keys = descriptors
            .iter()
            .flat_map(|d| d.key_descriptors.iter().flatten())
            .filter(|k| k.key_use.as_deref().is_none_or(|u| u == "encryption"));
        for key in keys {
            for text in key.key_info.x509_data.iter().flat_map(|x| &x.certificates) {
                let compact: String = text.split_ascii_whitespace().collect();
                let der = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|_| SpMetadataError::Certificate)?;
                encryption_certificates
                    .push(Certificate::from_der(der).map_err(|_| SpMetadataError::Certificate)?);
            }
        }
        let mut services: Vec<_> = descriptors
            .into_iter()
            .flat_map(|d| d.assertion_consumer_services)
            .filter(|s| s.binding == HTTP_POST_BINDING)
            .collect();
        services.sort_by_key(|s| (s.is_default != Some(true), s.index));
        if services.is_empty() {
            return Err(SpMetadataError::NoPostAcs);
        }
        Ok(SpMetadata {
            entity_id,
            acs_urls: services.into_iter().map(|s| s.location).collect(),
            encryption_certificates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{SpMetadata, SpMetadataError};

    fn sp(services: &str) -> String {
        format!(
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"urn:app\">\
<md:SPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">{services}\
</md:SPSSODescriptor></md:EntityDescriptor>"
        )
    }

    fn acs(binding: &str, location: &str, index: u32, default: Option<bool>) -> String {
        let default = default.map_or_else(String::new, |d| format!(" isDefault=\"{d}\""));
        format!(
            "<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:{binding}\" \
Location=\"{location}\" index=\"{index}\"{default}/>"
        )
    }

    /// SAML Metadata §2.4.1.1: a KeyDescriptor for encryption, or without `use`, offers an
    /// encryption key; one for signing does not.
    #[test]
    fn encryption_certificates_come_from_encryption_and_unqualified_key_descriptors() {
        let pem = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fixtures/target/sp.cert.pem"),
        )
        .unwrap();
        let cert = crate::Certificate::from_pem(&pem).unwrap();
        let key = |usage: &str| {
            format!(
                "<md:KeyDescriptor{usage}><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\
<ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
                cert.to_base64()
            )
        };
        let post = acs("HTTP-POST", "https://sp/acs", 0, None);
        for (usage, found) in [(" use=\"encryption\"", 1), ("", 1), (" use=\"signing\"", 0)] {
            let meta = SpMetadata::parse(&sp(&format!("{}{post}", key(usage)))).unwrap();
            assert_eq!(meta.encryption_certificates.len(), found, "{usage}");
        }
    }

    #[test]
    fn the_default_post_acs_comes_first_and_other_bindings_are_left_out() {
        let text = sp(&[
            acs("HTTP-POST", "https://app/acs2", 2, None),
            acs("HTTP-Artifact", "https://app/artifact", 0, Some(true)),
            acs("HTTP-POST", "https://app/acs3", 3, Some(true)),
            acs("HTTP-POST", "https://app/acs1", 1, None),
        ]
        .concat());
        let meta = SpMetadata::parse(&text).unwrap();
        assert_eq!(meta.entity_id, "urn:app");
        assert_eq!(
            meta.acs_urls,
            ["https://app/acs3", "https://app/acs1", "https://app/acs2"]
        );
    }

    #[test]
    fn what_is_not_sp_metadata_is_refused_with_why() {
        assert_eq!(
            SpMetadata::parse(&sp(&acs("HTTP-Redirect", "https://app/acs", 0, None))),
            Err(SpMetadataError::NoPostAcs)
        );
        let idp = "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"urn:idp\">\
<md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"/></md:EntityDescriptor>";
        assert_eq!(SpMetadata::parse(idp), Err(SpMetadataError::NotAnSp));
        assert!(matches!(
            SpMetadata::parse("users: []"),
            Err(SpMetadataError::Parse(_))
        ));
        let no_id =
            sp(&acs("HTTP-POST", "https://app/acs", 0, None)).replace(" entityID=\"urn:app\"", "");
        assert_eq!(SpMetadata::parse(&no_id), Err(SpMetadataError::NoEntityId));
    }
}
