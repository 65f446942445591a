//! SAML 2.0 for scim-harness: Responses shaped like Entra ID, Okta or a plain IdP and signed (exclusive c14n, RSA PKCS#1 v1.5 with RustCrypto),
//! IdP metadata, a service-provider verifier that reads only what was signed, and the tamper catalogue.
//!
//! No network IO. Time and ids come from [`Clock`] and [`IdSource`] so tests are deterministic.
//!
//! Issue a login: [`ResponseSpec::new`] then [`sign_response`]. Verify one: [`Verifier::verify`].
//! Attack one: [`Attack::apply`]. Carry one over HTTP: [`binding`] (HTTP-Redirect and HTTP-POST).

mod attack;
pub mod binding;
mod c14n;
mod clock;
mod dsig_verify;
mod encrypt;
mod keys;
mod metadata;
mod sign;
mod spec;
mod style;
#[cfg(test)]
mod test_support;
mod verify;
pub mod xml;

pub use attack::{
    Attack, AttackContext, AttackError, Delivery, ExpectedOutcome, SpCheck, Tampered,
    UnknownAttack, Victim, EVIL_NAME_ID, EVIL_UID,
};
pub use clock::{Clock, FixedClock, IdSource, RandomIds, SequentialIds, SystemClock};
pub use encrypt::{
    decrypt_assertion, encrypt_assertion, encrypt_assertion_in, sign_and_encrypt,
    ContentEncryption, DecryptError, DecryptionKey, EncryptError, Encryption, EncryptionKey,
    NS_XENC,
};
pub use keys::{Certificate, KeyError, SigningKeys};
pub use metadata::{IdpMetadata, MetadataError, SpMetadata, SpMetadataError};
pub use sign::{sign_response, SignError};
pub use spec::{
    format_instant, parse_instant, Attribute, AuthnSpec, ConditionsSpec, Login, ResponseSpec,
    SubjectConfirmationSpec, CM_BEARER, STATUS_SUCCESS,
};
pub use style::{
    DigestAlgorithm, IdpStyle, SignMode, SignatureAlgorithm, UnknownName, UserClaims,
    ENTRA_OBJECT_ID, GRAFANA_UID_ATTRIBUTE,
};
pub use verify::{
    check_not_before, check_not_on_or_after, ExpectedInResponseTo, SignatureFailure,
    SignaturePolicy, VerifiedAssertion, Verifier, VerifierConfig, VerifyError, DEFAULT_CLOCK_SKEW,
};
