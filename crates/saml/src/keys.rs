//! Signing keys and pinned certificates, parsed once from PEM and kept as DER.

use std::path::Path;

use base64::Engine as _;

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
    #[error("parsing {what}")]
    Parse {
        what: &'static str,
        #[source]
        source: openssl::error::ErrorStack,
    },
    #[error("the private key does not match the certificate's public key")]
    Mismatch,
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
        let x509 = openssl::x509::X509::from_pem(pem).map_err(|source| KeyError::Parse {
            what: "certificate pem",
            source,
        })?;
        Self::from_x509(&x509)
    }

    /// Reads a PEM certificate file.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        Self::from_pem(&read(path.as_ref(), "certificate")?)
    }

    /// Takes a DER certificate, checking that it parses.
    pub fn from_der(der: Vec<u8>) -> Result<Self, KeyError> {
        openssl::x509::X509::from_der(&der).map_err(|source| KeyError::Parse {
            what: "certificate der",
            source,
        })?;
        Ok(Certificate { der })
    }

    fn from_x509(x509: &openssl::x509::X509) -> Result<Self, KeyError> {
        let der = x509.to_der().map_err(|source| KeyError::Parse {
            what: "certificate der",
            source,
        })?;
        Ok(Certificate { der })
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
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
/// (the parsed key is reused for every signature; cloning shares it).
#[derive(Clone)]
pub struct SigningKeys {
    key: openssl::pkey::PKey<openssl::pkey::Private>,
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
    /// Parses a PEM private key (PKCS#8 or PKCS#1) and a PEM certificate, and checks that they belong together.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<Self, KeyError> {
        let key = openssl::pkey::PKey::private_key_from_pem(key_pem).map_err(|source| {
            KeyError::Parse {
                what: "private key pem",
                source,
            }
        })?;
        let x509 = openssl::x509::X509::from_pem(cert_pem).map_err(|source| KeyError::Parse {
            what: "certificate pem",
            source,
        })?;
        let public = x509.public_key().map_err(|source| KeyError::Parse {
            what: "certificate public key",
            source,
        })?;
        if !public.public_eq(&key) {
            return Err(KeyError::Mismatch);
        }
        Ok(SigningKeys {
            key,
            cert: Certificate::from_x509(&x509)?,
        })
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

    pub(crate) fn private_key(&self) -> &openssl::pkey::PKey<openssl::pkey::Private> {
        &self.key
    }
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|source| KeyError::Read {
        what,
        path: path.display().to_string(),
        source,
    })
}
