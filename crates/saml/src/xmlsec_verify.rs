//! xmlsec verification with the pinned keys parsed once: the safe wrapper over `csrc/verify.c`.
//!
//! samael's `reduce_xml_to_signed` hands xmlsec each pinned certificate as DER, and xmlsec parses it again for
//! every signature it checks; with OpenSSL 3 that parse costs more than the RSA verification. Here each pinned
//! certificate's public key is parsed once into an `EVP_PKEY`, and every verification wraps a new reference to it
//! in a fresh xmlsec key: as with samael, KeyInfo is never used to find a key, every `ds:Signature` in the
//! document must verify with a pinned key, and what comes back is the pre-digest (exclusive c14n) bytes of what
//! each Reference covered. Only same-document references are enabled, so xmlsec never fetches anything.
//!
//! This module and `csrc/verify.c` hold the only unsafe code of the crate.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_long, c_void};
use std::sync::Once;

use samael::crypto::{CertificateDer, Crypto, CryptoProvider};

use crate::keys::Certificate;

/// OpenSSL's `EVP_PKEY`, only ever behind a pointer.
#[repr(C)]
struct EvpPkey {
    _opaque: [u8; 0],
}

type PredigestSink = extern "C" fn(sink_ctx: *mut c_void, data: *const u8, len: usize);

extern "C" {
    fn shs_key_from_spki(der: *const u8, len: c_long) -> *mut EvpPkey;
    fn shs_key_free(key: *mut EvpPkey);
    fn shs_silence_xmlsec_errors();
    fn shs_verify_document(
        xml: *const c_char,
        len: c_int,
        keys: *const *mut EvpPkey,
        key_count: usize,
        sink: PredigestSink,
        sink_ctx: *mut c_void,
    ) -> c_int;
}

// Results of `shs_verify_document`, as `csrc/verify.c` defines them.
const SHS_VALID: c_int = 0;
const SHS_PARSE_ERROR: c_int = 1;
const SHS_BAD_ID: c_int = 2;
const SHS_NO_SIGNATURE: c_int = 3;
const SHS_INVALID: c_int = 4;

/// Why xmlsec did not return signed content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XmlsecFailure {
    /// No Signature, or one that no pinned key verifies (digest or signature value wrong).
    Invalid,
    /// libxml2 could not parse the document.
    Parse,
    /// An `ID` attribute is not an NCName or is not unique.
    BadId,
    /// The document is too large to hand over, a key could not be used, or xmlsec failed internally.
    Internal,
}

/// The public keys of the pinned certificates, parsed once.
pub(crate) struct PinnedKeys {
    keys: Vec<*mut EvpPkey>,
}

// SAFETY: the EVP_PKEYs are never mutated after parsing; OpenSSL reference-counts them atomically and allows
// concurrent verification with one key from several threads. The pointers are freed only in `Drop`.
unsafe impl Send for PinnedKeys {}
// SAFETY: as above; `verify` only reads the pointers.
unsafe impl Sync for PinnedKeys {}

impl Drop for PinnedKeys {
    fn drop(&mut self) {
        for key in self.keys.drain(..) {
            // SAFETY: each pointer came from `shs_key_from_spki`, is non-null and is freed exactly once.
            unsafe { shs_key_free(key) };
        }
    }
}

static XMLSEC_INITIALISED: Once = Once::new();

/// Set to any value to keep xmlsec's own error lines on stderr (for debugging a refusal).
const XMLSEC_ERRORS_ENV: &str = "SCIM_HARNESS_XMLSEC_ERRORS";

/// samael owns xmlsec's process-wide initialisation (and would initialise it again if it ran second), so it is
/// asked to do it: loading a key for any verification initialises xmlsec first. The document has no signature,
/// so the call itself fails, as intended. Then xmlsec's error lines on stderr are switched off (a refused
/// document is reported through the result, see `csrc/verify.c`), unless `SCIM_HARNESS_XMLSEC_ERRORS` is set.
fn ensure_xmlsec_initialised(any_certificate: &Certificate) {
    XMLSEC_INITIALISED.call_once(|| {
        let cert = CertificateDer::from(any_certificate.der().to_vec());
        let _ = Crypto::verify_signed_xml("<init/>", &cert, None);
        if std::env::var_os(XMLSEC_ERRORS_ENV).is_none() {
            // SAFETY: sets xmlsec's process-wide error callback to a function that ignores its arguments;
            // it runs once, after xmlsec is initialised.
            unsafe { shs_silence_xmlsec_errors() };
        }
    });
}

impl PinnedKeys {
    /// Parses the public key of each certificate. `None` if one has no usable public key.
    pub(crate) fn new(certificates: &[Certificate]) -> Option<Self> {
        let first = certificates.first()?;
        ensure_xmlsec_initialised(first);
        let mut pinned = PinnedKeys { keys: Vec::new() };
        for cert in certificates {
            let spki = {
                use x509_cert::der::Encode as _;
                let parsed = cert.parsed().ok()?;
                parsed
                    .tbs_certificate
                    .subject_public_key_info
                    .to_der()
                    .ok()?
            };
            let len = c_long::try_from(spki.len()).ok()?;
            // SAFETY: `spki` is a live buffer of `len` bytes; the function only reads it.
            let key = unsafe { shs_key_from_spki(spki.as_ptr(), len) };
            if key.is_null() {
                return None;
            }
            pinned.keys.push(key);
        }
        Some(pinned)
    }

    /// Verifies every Signature in `xml` with the pinned keys and returns the pre-digest bytes of every verified
    /// Reference, in document order of the Signatures.
    pub(crate) fn verify(&self, xml: &str) -> Result<Vec<Vec<u8>>, XmlsecFailure> {
        let len = c_int::try_from(xml.len()).map_err(|_| XmlsecFailure::Internal)?;
        let mut predigests: Vec<Vec<u8>> = Vec::new();
        // SAFETY: `xml` is live for the call and `len` is its length; `keys` points at `key_count` valid
        // EVP_PKEYs owned by `self`; the sink receives `&mut predigests` as its context and is only called
        // during this call, with `data` valid for `len` bytes (or `len` 0).
        let rc = unsafe {
            shs_verify_document(
                xml.as_ptr().cast::<c_char>(),
                len,
                self.keys.as_ptr(),
                self.keys.len(),
                collect_predigest,
                std::ptr::from_mut(&mut predigests).cast::<c_void>(),
            )
        };
        match rc {
            SHS_VALID => Ok(predigests),
            SHS_NO_SIGNATURE | SHS_INVALID => Err(XmlsecFailure::Invalid),
            SHS_PARSE_ERROR => Err(XmlsecFailure::Parse),
            SHS_BAD_ID => Err(XmlsecFailure::BadId),
            _ => Err(XmlsecFailure::Internal),
        }
    }
}

extern "C" fn collect_predigest(sink_ctx: *mut c_void, data: *const u8, len: usize) {
    // SAFETY: `sink_ctx` is the `&mut Vec<Vec<u8>>` passed by `PinnedKeys::verify`, alive and not otherwise
    // borrowed during the call.
    let out = unsafe { &mut *sink_ctx.cast::<Vec<Vec<u8>>>() };
    if len == 0 || data.is_null() {
        out.push(Vec::new());
        return;
    }
    // SAFETY: xmlsec hands a buffer of `len` readable bytes that lives for this call.
    out.push(unsafe { std::slice::from_raw_parts(data, len) }.to_vec());
}

#[cfg(test)]
mod tests;
