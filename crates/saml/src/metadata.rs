//! SAML metadata (SAML Metadata §2): the IdP's EntityDescriptor we publish (an IDPSSODescriptor with the signing
//! certificates and the SSO endpoints), and the parts of an SP's EntityDescriptor an IdP needs, read with
//! [`crate::xml`] (which refuses any DOCTYPE).

use base64::Engine as _;

use crate::keys::Certificate;
use crate::xml::{self, attr_escaped, text_escaped, Element, NS_DSIG, NS_METADATA};

/// SAML Bindings §3.4: HTTP-Redirect.
const HTTP_REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// SAML Bindings §3.5: HTTP-POST.
const HTTP_POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const PROTOCOL_SUPPORT: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

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
    /// SAML Metadata §2.4.1.1: each KeyDescriptor has `use="signing"` and carries its certificate in KeyInfo/X509Data;
    /// §2.4.3: `WantAuthnRequestsSigned` is false, the harness's IdP does not check request signatures. The
    /// children follow the schema's order (§2.4.2 SSODescriptorType's NameIDFormat, then §2.4.3's
    /// SingleSignOnService).
    pub fn to_xml(&self) -> Result<String, MetadataError> {
        if self.entity_id.is_empty() {
            return Err(MetadataError {
                entity_id: self.entity_id.clone(),
                message: "the entity id is empty".into(),
            });
        }
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><md:EntityDescriptor xmlns:md=\"{NS_METADATA}\" \
xmlns:ds=\"{NS_DSIG}\" entityID=\"{}\"><md:IDPSSODescriptor WantAuthnRequestsSigned=\"false\" \
protocolSupportEnumeration=\"{PROTOCOL_SUPPORT}\">",
            attr_escaped(&self.entity_id)
        );
        for certificate in std::iter::once(&self.signing_certificate).chain(&self.next_certificates)
        {
            out.push_str(&format!(
                "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}\
</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
                certificate.to_base64()
            ));
        }
        for format in &self.name_id_formats {
            out.push_str(&format!(
                "<md:NameIDFormat>{}</md:NameIDFormat>",
                text_escaped(format)
            ));
        }
        for binding in [HTTP_REDIRECT_BINDING, HTTP_POST_BINDING] {
            out.push_str(&format!(
                "<md:SingleSignOnService Binding=\"{binding}\" Location=\"{}\"/>",
                attr_escaped(&self.sso_url)
            ));
        }
        out.push_str("</md:IDPSSODescriptor></md:EntityDescriptor>");
        Ok(out)
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
    /// Reads an SP's EntityDescriptor: its entityID, the HTTP-POST AssertionConsumerServices of its
    /// SPSSODescriptors, and their encryption certificates.
    pub fn parse(text: &str) -> Result<SpMetadata, SpMetadataError> {
        let parse = |detail: String| SpMetadataError::Parse(detail);
        let root = xml::parse(text).map_err(|e| parse(e.to_string()))?;
        if !root.is(NS_METADATA, "EntityDescriptor") {
            return Err(parse(format!(
                "the root element is <{}>, expected an md:EntityDescriptor",
                root.qname
            )));
        }
        let entity_id = root
            .attr("entityID")
            .filter(|e| !e.trim().is_empty())
            .ok_or(SpMetadataError::NoEntityId)?
            .to_owned();
        let descriptors: Vec<&Element> = root
            .children_named(NS_METADATA, "SPSSODescriptor")
            .collect();
        if descriptors.is_empty() {
            return Err(SpMetadataError::NotAnSp);
        }
        let mut encryption_certificates = Vec::new();
        let keys = descriptors
            .iter()
            .flat_map(|d| d.children_named(NS_METADATA, "KeyDescriptor"))
            .filter(|k| k.attr("use").is_none_or(|u| u == "encryption"));
        for key in keys {
            let certificates = key
                .children_named(NS_DSIG, "KeyInfo")
                .flat_map(|k| k.children_named(NS_DSIG, "X509Data"))
                .flat_map(|x| x.children_named(NS_DSIG, "X509Certificate"));
            for certificate in certificates {
                let compact: String = certificate.text().split_ascii_whitespace().collect();
                let der = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|_| SpMetadataError::Certificate)?;
                encryption_certificates
                    .push(Certificate::from_der(der).map_err(|_| SpMetadataError::Certificate)?);
            }
        }
        // SAML Metadata §2.2.3 IndexedEndpointType: `index` is required, `isDefault` an xs:boolean.
        let mut services = Vec::new();
        for service in descriptors
            .iter()
            .flat_map(|d| d.children_named(NS_METADATA, "AssertionConsumerService"))
        {
            let index: u32 = service
                .attr("index")
                .and_then(|i| i.trim().parse().ok())
                .ok_or_else(|| parse("an AssertionConsumerService has no numeric index".into()))?;
            let is_default = match service.attr("isDefault").map(str::trim) {
                Some("true" | "1") => true,
                None | Some("false" | "0") => false,
                Some(other) => {
                    return Err(parse(format!("isDefault {other:?} is not an xs:boolean")))
                }
            };
            let location = service
                .attr("Location")
                .ok_or_else(|| parse("an AssertionConsumerService has no Location".into()))?;
            if service.attr("Binding") == Some(HTTP_POST_BINDING) {
                services.push((!is_default, index, location.to_owned()));
            }
        }
        services.sort_by_key(|(not_default, index, _)| (*not_default, *index));
        if services.is_empty() {
            return Err(SpMetadataError::NoPostAcs);
        }
        Ok(SpMetadata {
            entity_id,
            acs_urls: services
                .into_iter()
                .map(|(_, _, location)| location)
                .collect(),
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

    /// SAML Metadata §2.4.2–3: NameIDFormat before SingleSignOnService, attribute values escaped.
    #[test]
    fn idp_metadata_follows_the_schema_order_and_escapes_values() {
        let pem = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fixtures/idp/rfc.cert.pem"),
        )
        .unwrap();
        let md = crate::IdpMetadata {
            entity_id: "https://idp.test/?a=1&b=\"2\"".into(),
            sso_url: "https://idp.test/sso?x=<y>".into(),
            signing_certificate: crate::Certificate::from_pem(&pem).unwrap(),
            next_certificates: Vec::new(),
            name_id_formats: vec!["urn:f".into()],
        }
        .to_xml()
        .unwrap();
        let root = crate::xml::parse(&md).unwrap();
        assert_eq!(root.attr("entityID"), Some("https://idp.test/?a=1&b=\"2\""));
        let idp = root.child(super::NS_METADATA, "IDPSSODescriptor").unwrap();
        assert_eq!(idp.attr("WantAuthnRequestsSigned"), Some("false"));
        let names: Vec<&str> = idp.elements().map(|e| e.local_name()).collect();
        assert_eq!(
            names,
            [
                "KeyDescriptor",
                "NameIDFormat",
                "SingleSignOnService",
                "SingleSignOnService"
            ]
        );
        let sso = idp
            .child(super::NS_METADATA, "SingleSignOnService")
            .unwrap();
        assert_eq!(sso.attr("Location"), Some("https://idp.test/sso?x=<y>"));
    }

    #[test]
    fn an_acs_without_index_or_with_a_bad_is_default_is_refused() {
        let no_index = sp("<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"https://a\"/>");
        assert!(matches!(
            SpMetadata::parse(&no_index),
            Err(SpMetadataError::Parse(_))
        ));
        let bad = sp(&acs("HTTP-POST", "https://a", 0, None))
            .replace("index=\"0\"", "index=\"0\" isDefault=\"yes\"");
        assert!(matches!(
            SpMetadata::parse(&bad),
            Err(SpMetadataError::Parse(_))
        ));
    }
}
