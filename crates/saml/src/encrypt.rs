//! Encrypted assertions (SAML Core §2.3.4, §6): a signed Assertion encrypted for an SP's certificate into
//! `EncryptedAssertion` (XML-Enc 1.1 `xenc:EncryptedData`, the content key carried by an `xenc:EncryptedKey`
//! inside its `ds:KeyInfo`), and the SP side's decryption in [`decrypt`].
//!
//! Content: AES-128/256-GCM (XML-Enc 1.1 §5.2.4) or AES-128/256-CBC (XML-Enc §5.2.2). Key transport:
//! RSA-OAEP with MGF1-SHA1 and a SHA-1 digest (`rsa-oaep-mgf1p`, XML-Enc §5.4.2), what Entra, Okta's
//! default and Grafana's crewjam/saml all speak. Pure Rust (RustCrypto), no OpenSSL.
//!
//! Order (XML-Enc §6.1 sign-then-encrypt, SAML Core §6.2): the assertion is signed, then encrypted, then
//! the Response is signed, so a Response signature covers the ciphertext.

use std::path::Path;
use std::str::FromStr;

use base64::Engine as _;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::rand_core::{OsRng, RngCore as _};
use rsa::{Oaep, RsaPublicKey};

use crate::keys::{Certificate, KeyError, SigningKeys};
use crate::sign::{sign_response_with, SignError};
use crate::spec::ResponseSpec;
use crate::style::{IdpStyle, UnknownName};
use crate::xml::{self, Element, Node, XmlError, NS_ASSERTION};

mod decrypt;

pub use decrypt::{decrypt_assertion, DecryptError, DecryptionKey};

/// XML-Enc §3: the encryption namespace.
pub const NS_XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
/// XML-Enc §3.1: `Type` of an encrypted element.
const TYPE_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";
/// XML-Enc §5.4.2: RSA-OAEP, MGF1 with SHA-1.
pub(crate) const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
/// XML-DSig §6.2.1: SHA-1, the OAEP digest Entra, Okta and crewjam use with `rsa-oaep-mgf1p`.
pub(crate) const DIGEST_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

/// The block cipher and mode of the encrypted content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentEncryption {
    /// XML-Enc 1.1 §5.2.4.
    Aes128Gcm,
    /// XML-Enc 1.1 §5.2.4 (Okta's "AES256-GCM").
    Aes256Gcm,
    /// XML-Enc §5.2.2.
    Aes128Cbc,
    /// XML-Enc §5.2.2: Entra's choice ("Microsoft Entra ID uses AES-256"), Okta's "AES256-CBC".
    Aes256Cbc,
}

impl ContentEncryption {
    pub const ALL: [ContentEncryption; 4] = [
        ContentEncryption::Aes128Gcm,
        ContentEncryption::Aes256Gcm,
        ContentEncryption::Aes128Cbc,
        ContentEncryption::Aes256Cbc,
    ];

    /// The `EncryptionMethod` Algorithm URI.
    pub fn uri(self) -> &'static str {
        match self {
            ContentEncryption::Aes128Gcm => "http://www.w3.org/2009/xmlenc11#aes128-gcm",
            ContentEncryption::Aes256Gcm => "http://www.w3.org/2009/xmlenc11#aes256-gcm",
            ContentEncryption::Aes128Cbc => "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
            ContentEncryption::Aes256Cbc => "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
        }
    }

    /// The name used in profiles and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ContentEncryption::Aes128Gcm => "aes128-gcm",
            ContentEncryption::Aes256Gcm => "aes256-gcm",
            ContentEncryption::Aes128Cbc => "aes128-cbc",
            ContentEncryption::Aes256Cbc => "aes256-cbc",
        }
    }

    pub(crate) fn from_uri(uri: &str) -> Option<ContentEncryption> {
        Self::ALL.into_iter().find(|c| c.uri() == uri)
    }

    pub(crate) fn key_len(self) -> usize {
        match self {
            ContentEncryption::Aes128Gcm | ContentEncryption::Aes128Cbc => 16,
            ContentEncryption::Aes256Gcm | ContentEncryption::Aes256Cbc => 32,
        }
    }

    /// What the persona's IdP emits: Entra AES-256-CBC (its documentation names AES-256; its
    /// Responses carry `aes256-cbc`), Okta its default AES256-CBC, a plain IdP AES-128-GCM.
    pub fn for_style(style: IdpStyle) -> ContentEncryption {
        match style {
            IdpStyle::Entra | IdpStyle::Okta => ContentEncryption::Aes256Cbc,
            IdpStyle::Rfc => ContentEncryption::Aes128Gcm,
        }
    }
}

impl FromStr for ContentEncryption {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownName {
                what: "content encryption",
                value: s.to_owned(),
                expected: "aes128-gcm, aes256-gcm, aes128-cbc or aes256-cbc",
            })
    }
}

/// Why an assertion could not be encrypted.
#[derive(Debug, thiserror::Error)]
pub enum EncryptError {
    #[error("the encryption certificate's public key is not an RSA key")]
    NotRsa,
    #[error("reading the encryption certificate")]
    Certificate(#[source] KeyError),
    #[error("wrapping the content key with RSA-OAEP")]
    KeyTransport(#[source] rsa::Error),
    #[error("encrypting the assertion with {0}")]
    Content(&'static str),
    #[error("the document holds no assertion to encrypt")]
    NoAssertion,
    #[error("building the EncryptedAssertion")]
    Xml(#[source] XmlError),
}

/// An SP's encryption certificate with its RSA public key parsed once.
#[derive(Clone)]
pub struct EncryptionKey {
    certificate: Certificate,
    public: RsaPublicKey,
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("certificate", &self.certificate)
            .finish_non_exhaustive()
    }
}

/// Two keys are equal when their certificates are (the public key is parsed from it).
impl PartialEq for EncryptionKey {
    fn eq(&self, other: &Self) -> bool {
        self.certificate == other.certificate
    }
}

impl Eq for EncryptionKey {}

impl EncryptionKey {
    /// The key of `certificate`, which must hold an RSA public key.
    pub fn from_certificate(certificate: Certificate) -> Result<Self, EncryptError> {
        let spki = subject_public_key_info(certificate.der()).ok_or(EncryptError::NotRsa)?;
        let public = RsaPublicKey::from_public_key_der(&spki).map_err(|_| EncryptError::NotRsa)?;
        Ok(EncryptionKey {
            certificate,
            public,
        })
    }

    /// Reads a PEM certificate file (what SP metadata's `KeyDescriptor use="encryption"` carries).
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, EncryptError> {
        Self::from_certificate(Certificate::from_pem_file(path).map_err(EncryptError::Certificate)?)
    }

    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }
}

/// How to encrypt: for whom, and with which content cipher.
#[derive(Debug, Clone)]
pub struct Encryption {
    pub key: EncryptionKey,
    pub content: ContentEncryption,
}

/// Builds and signs `spec` as [`crate::sign_response`] does, with the (signed) assertion encrypted for
/// `encryption` before the Response is signed.
pub fn sign_and_encrypt(
    spec: &ResponseSpec,
    keys: &SigningKeys,
    encryption: &Encryption,
) -> Result<String, SignError> {
    sign_response_with(spec, keys, &mut |root| {
        encrypt_assertion_in(root, encryption).map_err(|source| SignError::Encrypt {
            id: spec.response_id.clone(),
            source: Box::new(source),
        })
    })
}

/// Replaces the first Assertion directly under `root` with its `EncryptedAssertion`, in place.
pub fn encrypt_assertion_in(
    root: &mut Element,
    encryption: &Encryption,
) -> Result<(), EncryptError> {
    let at = root
        .child_index(NS_ASSERTION, "Assertion")
        .ok_or(EncryptError::NoAssertion)?;
    let Node::Element(assertion) = &root.children[at] else {
        return Err(EncryptError::NoAssertion);
    };
    let encrypted = encrypt_assertion(assertion, root, encryption)?;
    root.children[at] = Node::Element(encrypted);
    Ok(())
}

/// The `EncryptedAssertion` of `assertion`, a child of `parent`.
///
/// The plaintext is the assertion serialized with every namespace declaration in scope from `parent`
/// that it does not redeclare (XML-Enc §4.1 step 3: an Element is serialized so that it parses on its
/// own); exclusive c14n ignores unused declarations, so the assertion's signature still verifies.
pub fn encrypt_assertion(
    assertion: &Element,
    parent: &Element,
    encryption: &Encryption,
) -> Result<Element, EncryptError> {
    let mut standalone = assertion.clone();
    for decl in parent
        .attrs
        .iter()
        .filter(|a| is_namespace_declaration(&a.qname))
    {
        if !standalone.attrs.iter().any(|a| a.qname == decl.qname) {
            standalone.attrs.insert(0, decl.clone());
        }
    }
    let plaintext = standalone.to_xml();

    let content = encryption.content;
    let mut key = vec![0u8; content.key_len()];
    OsRng.fill_bytes(&mut key);
    let ciphertext = encrypt_content(content, &key, plaintext.as_bytes())?;
    let wrapped = encryption
        .key
        .public
        .encrypt(&mut OsRng, Oaep::new::<sha1::Sha1>(), &key)
        .map_err(EncryptError::KeyTransport)?;

    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    // SAML Core §2.3.4: EncryptedAssertion holds EncryptedData; its KeyInfo carries the EncryptedKey
    // (XML-Enc §3.5.1), whose KeyInfo names the SP certificate it was made for.
    let (open, close) = match assertion.prefix() {
        Some(p) => (
            format!("<{p}:EncryptedAssertion xmlns:{p}=\"{NS_ASSERTION}\">"),
            format!("</{p}:EncryptedAssertion>"),
        ),
        None => (
            format!("<EncryptedAssertion xmlns=\"{NS_ASSERTION}\">"),
            "</EncryptedAssertion>".to_owned(),
        ),
    };
    let text = format!(
        "{open}<xenc:EncryptedData xmlns:xenc=\"{NS_XENC}\" Type=\"{TYPE_ELEMENT}\">\
<xenc:EncryptionMethod Algorithm=\"{content_uri}\"/>\
<ds:KeyInfo xmlns:ds=\"{NS_DSIG}\">\
<xenc:EncryptedKey>\
<xenc:EncryptionMethod Algorithm=\"{RSA_OAEP_MGF1P}\"><ds:DigestMethod Algorithm=\"{DIGEST_SHA1}\"/></xenc:EncryptionMethod>\
<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
<xenc:CipherData><xenc:CipherValue>{wrapped}</xenc:CipherValue></xenc:CipherData>\
</xenc:EncryptedKey>\
</ds:KeyInfo>\
<xenc:CipherData><xenc:CipherValue>{ciphertext}</xenc:CipherValue></xenc:CipherData>\
</xenc:EncryptedData>{close}",
        content_uri = content.uri(),
        NS_DSIG = xml::NS_DSIG,
        cert = encryption.key.certificate.to_base64(),
        wrapped = b64(&wrapped),
        ciphertext = b64(&ciphertext),
    );
    xml::parse(&text).map_err(EncryptError::Xml)
}

fn is_namespace_declaration(qname: &str) -> bool {
    qname == "xmlns" || qname.starts_with("xmlns:")
}

/// XML-Enc §5.2: the IV is prepended to the ciphertext (GCM: a 96-bit IV, the 128-bit tag appended).
fn encrypt_content(
    content: ContentEncryption,
    key: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, EncryptError> {
    use aes_gcm::aead::{Aead as _, KeyInit as _};
    use cbc::cipher::{block_padding::Pkcs7, BlockModeEncrypt as _, KeyIvInit as _};
    let failed = || EncryptError::Content(content.name());
    match content {
        ContentEncryption::Aes128Gcm | ContentEncryption::Aes256Gcm => {
            let mut iv = [0u8; 12];
            OsRng.fill_bytes(&mut iv);
            let nonce = aes_gcm::Nonce::from(iv);
            let sealed = if content == ContentEncryption::Aes128Gcm {
                aes_gcm::Aes128Gcm::new_from_slice(key)
                    .map_err(|_| failed())?
                    .encrypt(&nonce, plaintext)
            } else {
                aes_gcm::Aes256Gcm::new_from_slice(key)
                    .map_err(|_| failed())?
                    .encrypt(&nonce, plaintext)
            }
            .map_err(|_| failed())?;
            Ok([iv.as_slice(), &sealed].concat())
        }
        ContentEncryption::Aes128Cbc | ContentEncryption::Aes256Cbc => {
            let mut iv = [0u8; 16];
            OsRng.fill_bytes(&mut iv);
            // PKCS#7 padding is one of the paddings XML-Enc §5.2 allows (the last byte says how many).
            let sealed = if content == ContentEncryption::Aes128Cbc {
                cbc::Encryptor::<aes::Aes128>::new_from_slices(key, &iv)
                    .map_err(|_| failed())?
                    .encrypt_padded_vec::<Pkcs7>(plaintext)
            } else {
                cbc::Encryptor::<aes::Aes256>::new_from_slices(key, &iv)
                    .map_err(|_| failed())?
                    .encrypt_padded_vec::<Pkcs7>(plaintext)
            };
            Ok([iv.as_slice(), &sealed].concat())
        }
    }
}

/// The DER of an X.509 certificate's SubjectPublicKeyInfo (RFC 5280 §4.1).
fn subject_public_key_info(cert_der: &[u8]) -> Option<Vec<u8>> {
    use x509_cert::der::{Decode as _, Encode as _};
    let cert = x509_cert::Certificate::from_der(cert_der).ok()?;
    cert.tbs_certificate.subject_public_key_info.to_der().ok()
}

#[cfg(test)]
mod tests;
