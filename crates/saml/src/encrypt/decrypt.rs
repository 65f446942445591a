//! The SP side of encrypted assertions: an `EncryptedAssertion` decrypted with the SP's private key
//! into the Assertion's text, which the verifier then parses and verifies like a plain one.
//!
//! Accepted: content AES-128/192/256-GCM and -CBC; key transport `rsa-oaep-mgf1p` (MGF1-SHA1, digest
//! SHA-1 by default or SHA-256), the EncryptedKey inside EncryptedData's KeyInfo or beside EncryptedData
//! (where Shibboleth and some others put it). Refused: RSA PKCS#1 v1.5 key transport (Bleichenbacher;
//! XML-Enc 1.1 §5.5.1 warns against it), `CipherReference`, and anything else not named here.
//! Every cryptographic failure (wrong key, bad padding, a failed GCM tag) is one error, so the SP's
//! answer says nothing about which step failed.

use std::path::Path;

use base64::Engine as _;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::{Oaep, RsaPrivateKey};

use super::{ContentEncryption, DIGEST_SHA1, NS_XENC, RSA_OAEP_MGF1P};
use crate::xml::{Element, NS_DSIG};

const DIGEST_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// AES-192 is not emitted here but other IdPs use it; accepted on decryption.
const AES192_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes192-gcm";
const AES192_CBC: &str = "http://www.w3.org/2001/04/xmlenc#aes192-cbc";

/// Why an `EncryptedAssertion` could not be decrypted.
#[derive(Debug, thiserror::Error)]
pub enum DecryptError {
    #[error("reading the sp decryption key from {path}")]
    ReadKey {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the sp decryption key is not an unencrypted PKCS#8 RSA private key in PEM")]
    KeyFormat,
    #[error("EncryptedAssertion: {0}")]
    Shape(String),
    #[error("EncryptedAssertion: {what} algorithm {uri:?} is not accepted")]
    Algorithm { what: &'static str, uri: String },
    /// One error for every cryptographic failure: not encrypted for this SP's key, or corrupted.
    #[error("EncryptedAssertion could not be decrypted with this sp's key (encrypted for another key, or corrupted)")]
    Failed,
    #[error("the decrypted assertion is not utf-8")]
    NotUtf8,
}

/// The SP's RSA private key for decryption, parsed once.
#[derive(Clone)]
pub struct DecryptionKey {
    private: RsaPrivateKey,
}

impl std::fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DecryptionKey([redacted])")
    }
}

impl DecryptionKey {
    /// Parses a PKCS#8 PEM private key (Grafana's `private_key`: "issued in a PKCS#8 format"); text
    /// before the `-----BEGIN` line is skipped, as OpenSSL's reader does.
    pub fn from_pem(pem: &str) -> Result<Self, DecryptError> {
        let start = pem.find("-----BEGIN").ok_or(DecryptError::KeyFormat)?;
        let private =
            RsaPrivateKey::from_pkcs8_pem(&pem[start..]).map_err(|_| DecryptError::KeyFormat)?;
        Ok(DecryptionKey { private })
    }

    /// Reads a PEM private key file (Grafana's `private_key_path`).
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, DecryptError> {
        let path = path.as_ref();
        let pem = std::fs::read_to_string(path).map_err(|source| DecryptError::ReadKey {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_pem(&pem)
    }
}

/// Decrypts `encrypted` (an `EncryptedAssertion`) with `key`; returns the plaintext, the Assertion's XML.
pub fn decrypt_assertion(encrypted: &Element, key: &DecryptionKey) -> Result<String, DecryptError> {
    let shape = |s: &str| DecryptError::Shape(s.to_owned());
    let mut data = encrypted.children_named(NS_XENC, "EncryptedData");
    let data = data.next().ok_or_else(|| shape("no xenc:EncryptedData"))?;
    let content_uri = data
        .child(NS_XENC, "EncryptionMethod")
        .and_then(|m| m.attr("Algorithm"))
        .ok_or_else(|| shape("EncryptedData has no EncryptionMethod Algorithm"))?;
    let (cipher, key_len) = content_cipher(content_uri).ok_or_else(|| DecryptError::Algorithm {
        what: "content",
        uri: content_uri.to_owned(),
    })?;
    // XML-Enc §3.5.1: the EncryptedKey in EncryptedData's KeyInfo, or (SAML Core §2.3.4) beside it.
    let encrypted_key = data
        .child(NS_DSIG, "KeyInfo")
        .and_then(|k| k.child(NS_XENC, "EncryptedKey"))
        .or_else(|| encrypted.child(NS_XENC, "EncryptedKey"))
        .ok_or_else(|| shape("no xenc:EncryptedKey in EncryptedData's KeyInfo or beside it"))?;
    let content_key = unwrap_key(encrypted_key, key)?;
    if content_key.len() != key_len {
        return Err(DecryptError::Failed);
    }
    let ciphertext = cipher_value(data)?;
    let plaintext = decrypt_content(cipher, &content_key, &ciphertext)?;
    String::from_utf8(plaintext).map_err(|_| DecryptError::NotUtf8)
}

#[derive(Debug, Clone, Copy)]
enum Cipher {
    Gcm,
    Cbc,
}

fn content_cipher(uri: &str) -> Option<(Cipher, usize)> {
    if let Some(c) = ContentEncryption::from_uri(uri) {
        let mode = match c {
            ContentEncryption::Aes128Gcm | ContentEncryption::Aes256Gcm => Cipher::Gcm,
            _ => Cipher::Cbc,
        };
        return Some((mode, c.key_len()));
    }
    match uri {
        AES192_GCM => Some((Cipher::Gcm, 24)),
        AES192_CBC => Some((Cipher::Cbc, 24)),
        _ => None,
    }
}

/// XML-Enc §5.4.2: RSA-OAEP (MGF1 with SHA-1) with the DigestMethod named, SHA-1 when none is.
fn unwrap_key(encrypted_key: &Element, key: &DecryptionKey) -> Result<Vec<u8>, DecryptError> {
    let method = encrypted_key
        .child(NS_XENC, "EncryptionMethod")
        .ok_or_else(|| DecryptError::Shape("EncryptedKey has no EncryptionMethod".into()))?;
    let uri = method.attr("Algorithm").unwrap_or_default();
    if uri != RSA_OAEP_MGF1P {
        return Err(DecryptError::Algorithm {
            what: "key transport",
            uri: uri.to_owned(),
        });
    }
    if method.child(NS_XENC, "OAEPparams").is_some() {
        return Err(DecryptError::Shape("OAEPparams are not accepted".into()));
    }
    let digest = method
        .child(NS_DSIG, "DigestMethod")
        .and_then(|d| d.attr("Algorithm"))
        .unwrap_or(DIGEST_SHA1);
    let padding = match digest {
        DIGEST_SHA1 => Oaep::new::<sha1::Sha1>(),
        DIGEST_SHA256 => Oaep::new_with_mgf_hash::<sha2::Sha256, sha1::Sha1>(),
        other => {
            return Err(DecryptError::Algorithm {
                what: "key transport digest",
                uri: other.to_owned(),
            })
        }
    };
    let wrapped = cipher_value(encrypted_key)?;
    key.private
        .decrypt(padding, &wrapped)
        .map_err(|_| DecryptError::Failed)
}

/// The base64 `CipherData/CipherValue` of `parent` (whitespace allowed, XML Schema base64Binary).
fn cipher_value(parent: &Element) -> Result<Vec<u8>, DecryptError> {
    let value = parent
        .child(NS_XENC, "CipherData")
        .ok_or_else(|| DecryptError::Shape(format!("{} has no CipherData", parent.local_name())))?;
    if value.child(NS_XENC, "CipherReference").is_some() {
        return Err(DecryptError::Shape(
            "CipherReference is not accepted".into(),
        ));
    }
    let text: String = value
        .child(NS_XENC, "CipherValue")
        .ok_or_else(|| DecryptError::Shape(format!("{} has no CipherValue", parent.local_name())))?
        .text()
        .split_ascii_whitespace()
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| {
            DecryptError::Shape(format!("{} CipherValue is not base64", parent.local_name()))
        })
}

/// XML-Enc §5.2: IV first; CBC with the padding whose last byte counts the pad (other pad bytes
/// are arbitrary), GCM with a 96-bit IV and the 128-bit tag last.
fn decrypt_content(cipher: Cipher, key: &[u8], data: &[u8]) -> Result<Vec<u8>, DecryptError> {
    use aes_gcm::aead::{Aead as _, KeyInit as _};
    use cbc::cipher::{block_padding::NoPadding, BlockModeDecrypt as _, KeyIvInit as _};
    match cipher {
        Cipher::Gcm => {
            if data.len() < 12 + 16 {
                return Err(DecryptError::Failed);
            }
            let (iv, sealed) = data.split_at(12);
            let nonce = aes_gcm::Nonce::try_from(iv).map_err(|_| DecryptError::Failed)?;
            let opened = match key.len() {
                16 => aes_gcm::Aes128Gcm::new_from_slice(key)
                    .map_err(|_| DecryptError::Failed)?
                    .decrypt(&nonce, sealed),
                24 => {
                    aes_gcm::AesGcm::<aes::Aes192, aes_gcm::aead::consts::U12>::new_from_slice(key)
                        .map_err(|_| DecryptError::Failed)?
                        .decrypt(&nonce, sealed)
                }
                _ => aes_gcm::Aes256Gcm::new_from_slice(key)
                    .map_err(|_| DecryptError::Failed)?
                    .decrypt(&nonce, sealed),
            };
            opened.map_err(|_| DecryptError::Failed)
        }
        Cipher::Cbc => {
            if data.len() < 32 || !data.len().is_multiple_of(16) {
                return Err(DecryptError::Failed);
            }
            let (iv, sealed) = data.split_at(16);
            let mut plain = match key.len() {
                16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
                    .map_err(|_| DecryptError::Failed)?
                    .decrypt_padded_vec::<NoPadding>(sealed),
                24 => cbc::Decryptor::<aes::Aes192>::new_from_slices(key, iv)
                    .map_err(|_| DecryptError::Failed)?
                    .decrypt_padded_vec::<NoPadding>(sealed),
                _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
                    .map_err(|_| DecryptError::Failed)?
                    .decrypt_padded_vec::<NoPadding>(sealed),
            }
            .map_err(|_| DecryptError::Failed)?;
            let pad = usize::from(*plain.last().ok_or(DecryptError::Failed)?);
            if pad == 0 || pad > 16 || pad > plain.len() {
                return Err(DecryptError::Failed);
            }
            plain.truncate(plain.len() - pad);
            Ok(plain)
        }
    }
}
