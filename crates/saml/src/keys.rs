//! Signing keys and pinned certificates, parsed once from PEM and kept as DER (RustCrypto: `rsa`, `x509-cert`).

use std::path::Path;

use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use rsa::{RsaPrivateKey, RsaPublicKey};
use x509_cert::der::{Decode as _, Encode as _};

/// RFC 8017 Appendix C: `rsaEncryption`, the algorithm of an RSA key in PKCS#8 and SubjectPublicKeyInfo.
const RSA_ENCRYPTION: rsa::pkcs8::ObjectIdentifier =
    rsa::pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Why a key or certificate could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading {what} from {path}")]
    Read {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing {what}: {detail}")]
    Parse { what: &'static str, detail: String },
    #[error("the {what} is not an RSA key; the signer writes only RSA signature methods")]
    NotRsa { what: &'static str },
    #[error("the private key does not match the certificate's public key")]
    Mismatch,
}

fn parse_error(what: &'static str) -> impl Fn(&dyn std::fmt::Display) -> KeyError {
    move |e| KeyError::Parse {
        what,
        detail: e.to_string(),
    }
}

/// An X.509 certificate, DER-encoded; what an SP pins and an IdP puts in `KeyInfo` and metadata.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Certificate({} bytes DER)", self.der.len())
    }
}

impl Certificate {
    /// Parses the first PEM certificate in `pem`.
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let der = pem_block(pem, &["CERTIFICATE"])
            .ok_or_else(|| parse_error("certificate pem")(&"no CERTIFICATE block in base64"))?
            .1;
        Self::from_der(der)
    }

    /// Reads a PEM certificate file.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        Self::from_pem(&read(path.as_ref(), "certificate")?)
    }

    /// Takes a DER certificate, checking that it parses.
    pub fn from_der(der: Vec<u8>) -> Result<Self, KeyError> {
        x509_cert::Certificate::from_der(&der).map_err(|e| parse_error("certificate der")(&e))?;
        Ok(Certificate { der })
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The parsed certificate.
    pub(crate) fn parsed(&self) -> Result<x509_cert::Certificate, KeyError> {
        x509_cert::Certificate::from_der(&self.der).map_err(|e| parse_error("certificate der")(&e))
    }

    /// The certificate's RSA public key; [`KeyError::NotRsa`] for any other kind of key.
    pub(crate) fn rsa_public_key(&self) -> Result<RsaPublicKey, KeyError> {
        let spki = self.parsed()?.tbs_certificate.subject_public_key_info;
        if spki.algorithm.oid != RSA_ENCRYPTION {
            return Err(KeyError::NotRsa {
                what: "certificate's public key",
            });
        }
        let der = spki
            .to_der()
            .map_err(|e| parse_error("certificate public key")(&e))?;
        RsaPublicKey::from_public_key_der(&der)
            .map_err(|e| parse_error("certificate public key")(&e))
    }

    /// Base64 of the DER, as `ds:X509Certificate` carries it (XML-DSig §4.4.4).
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.der)
    }

    /// PEM text.
    pub fn to_pem(&self) -> String {
        let b64 = self.to_base64();
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }
}

/// An RSA private key and its certificate, parsed once; sign as many responses as you like with one value
/// (the parsed key is reused for every signature; cloning copies it).
#[derive(Clone)]
pub struct SigningKeys {
    key: RsaPrivateKey,
    cert: Certificate,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("cert", &self.cert)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// Parses a PEM RSA private key (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`) and a PEM certificate,
    /// and checks that they belong together.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<Self, KeyError> {
        let what = "private key pem";
        let (label, der) = pem_block(
            key_pem,
            &["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"],
        )
        .ok_or_else(|| parse_error(what)(&"no PRIVATE KEY or RSA PRIVATE KEY block in base64"))?;
        let key = match label {
            "PRIVATE KEY" => {
                let info = rsa::pkcs8::PrivateKeyInfo::try_from(der.as_slice())
                    .map_err(|e| parse_error(what)(&e))?;
                if info.algorithm.oid != RSA_ENCRYPTION {
                    return Err(KeyError::NotRsa {
                        what: "private key",
                    });
                }
                RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| parse_error(what)(&e))?
            }
            "RSA PRIVATE KEY" => {
                RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| parse_error(what)(&e))?
            }
            _ => {
                return Err(KeyError::NotRsa {
                    what: "private key",
                })
            }
        };
        Self::from_parts(key, Certificate::from_pem(cert_pem)?)
    }

    /// A parsed key and its certificate, checked to belong together.
    pub(crate) fn from_parts(key: RsaPrivateKey, cert: Certificate) -> Result<Self, KeyError> {
        if cert.rsa_public_key()? != key.to_public_key() {
            return Err(KeyError::Mismatch);
        }
        Ok(SigningKeys { key, cert })
    }

    /// Reads a PEM key file and a PEM certificate file.
    pub fn from_pem_files(
        key_path: impl AsRef<Path>,
        cert_path: impl AsRef<Path>,
    ) -> Result<Self, KeyError> {
        Self::from_pem(
            &read(key_path.as_ref(), "private key")?,
            &read(cert_path.as_ref(), "certificate")?,
        )
    }

    /// The certificate that goes into `KeyInfo` and metadata.
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    pub(crate) fn private_key(&self) -> &RsaPrivateKey {
        &self.key
    }
}

/// The label and the DER of the first PEM block (RFC 7468 §2) whose label is one of `labels`.
fn pem_block<'l>(pem: &[u8], labels: &[&'l str]) -> Option<(&'l str, Vec<u8>)> {
    let text = std::str::from_utf8(pem).ok()?;
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let label_end = after.find("-----")?;
        let label = &after[..label_end];
        let body = &after[label_end + "-----".len()..];
        let end_marker = format!("-----END {label}-----");
        let end = body.find(&end_marker)?;
        if let Some(known) = labels.iter().find(|l| **l == label) {
            let b64: String = body[..end].split_ascii_whitespace().collect();
            return base64::engine::general_purpose::STANDARD
                .decode(b64)
                .ok()
                .map(|der| (*known, der));
        }
        rest = &body[end + end_marker.len()..];
    }
    None
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|source| KeyError::Read {
        what,
        path: path.display().to_string(),
        source,
    })
}
