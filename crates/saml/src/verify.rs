//! Verification of a SAML Response for a service provider: pinned certificates only, reading only what was signed, and the protocol checks of SAML Core/Profiles.
//!
//! Order of work, each step refusing before the next runs:
//! 1. size limit, then any `DOCTYPE` is refused by a byte scan **before any parser runs** (saml-attacks.md A6/A7),
//!    so no entity is ever declared or expanded;
//! 2. the raw document is parsed once (quick-xml) and its shape checked: root `samlp:Response`, exactly one
//!    `Assertion` anywhere, directly under the Response, no `EncryptedAssertion`, no comments, every `ds:Signature`
//!    directly inside the Response or the Assertion right after its Issuer and referencing its parent's `ID`,
//!    only exclusive c14n and the enveloped transform, no SHA-1, certificates in `KeyInfo` equal to a pinned one
//!    (saml-attacks.md A1–A8);
//! 3. the signature policy (which parts must be signed);
//! 4. the XML-DSig verifier ([`crate::dsig_verify`], pure Rust, the pinned public keys parsed once) verifies
//!    **every** signature with the pinned keys only, allowing only exclusive c14n, the enveloped transform,
//!    RSA-SHA2 and SHA-2 digests and one Reference to the parent's `ID`, and returns the pre-digest bytes,
//!    i.e. the exclusive-c14n form of exactly what was signed;
//! 5. identity and conditions are read **only from that signed form** (XSW, saml-attacks.md A3), and its `ID`
//!    must be the `ID` of the element in place; envelope fields (Status, Destination, InResponseTo) come from the
//!    signed Response when it is signed, else from the raw Response;
//! 6. Status, Issuer, Destination, Recipient, Audience, time windows and InResponseTo.
//!
//! An `EncryptedAssertion` with a decryption key configured takes the same steps in [`encrypted`]: the
//! Response signature is verified over the ciphertext, the assertion decrypted from what was signed.
//!
//! Comments: step 2 rejects any comment in the document (real IdPs emit none; a comment in a signed SAML
//! document only serves comment injection, saml-attacks.md A5). Independently, step 5 reads from the
//! comment-free canonical form, so even without step 2 `alice@evil.test<!---->.attacker` would read in full,
//! never truncated.
//!
//! Not done here, by design: the replay cache (keyed by [`VerifiedAssertion::assertion_id`] until
//! [`VerifiedAssertion::not_on_or_after`]) and the user lookup / uid rules belong to the caller.

use std::sync::Arc;

use base64::Engine as _;
use time::{Duration, OffsetDateTime};

use crate::clock::Clock;
use crate::dsig_verify::PinnedKeys;
use crate::keys::Certificate;
use crate::spec::{parse_instant, CM_BEARER, STATUS_SUCCESS};
use crate::xml::{self, Element, XmlError, NS_ASSERTION, NS_PROTOCOL};

mod encrypted;
mod shape;

use shape::{check_policy, dsig_error, has_encrypted_assertion, parse_signed};

const ISSUER_FORMAT_ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

/// Which parts of a Response must carry a valid signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignaturePolicy {
    /// The assertion must be signed; a response signature alone is not enough (SAML Profiles §4.1.3.5).
    AssertionSigned,
    /// Either the Response or the Assertion (what Entra's "Sign SAML response" and many SPs accept).
    ResponseOrAssertionSigned,
    /// Both must be signed.
    BothSigned,
}

/// What the SP expects in `InResponseTo` (SAML Profiles §4.1.4.2 / §4.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedInResponseTo<'a> {
    /// SP-initiated: must equal this outstanding AuthnRequest ID.
    Request(&'a str),
    /// SP-initiated with several outstanding requests: must equal one of them; the caller learns which from
    /// [`VerifiedAssertion::in_response_to`] and retires it.
    AnyOf(&'a [String]),
    /// IdP-initiated (unsolicited): must be absent on the Response and on SubjectConfirmationData.
    Unsolicited,
}

/// The SP's side of the agreement.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// The IdP's entity id; the Issuer of the Response (if present) and of the Assertion must equal it.
    pub idp_entity_id: String,
    /// This SP's entity id; an Audience must equal it.
    pub sp_entity_id: String,
    /// This SP's ACS URL; Destination and Recipient must equal it.
    pub acs_url: String,
    /// The only certificates whose keys are trusted; must not be empty.
    pub pinned_certificates: Vec<Certificate>,
    pub signature_policy: SignaturePolicy,
    /// Allowed clock difference, applied to every NotBefore / NotOnOrAfter.
    pub clock_skew: Duration,
    /// Larger documents are refused before parsing.
    pub max_document_bytes: usize,
    /// The SP's private key for `EncryptedAssertion` (Grafana: `private_key_path`); without it one is refused.
    pub decryption_key: Option<crate::encrypt::DecryptionKey>,
}

/// Default clock skew: 60 s.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::seconds(60);

impl VerifierConfig {
    /// A configuration with [`SignaturePolicy::AssertionSigned`], [`DEFAULT_CLOCK_SKEW`] and a 1 MiB limit.
    pub fn new(
        idp_entity_id: impl Into<String>,
        sp_entity_id: impl Into<String>,
        acs_url: impl Into<String>,
        pinned_certificates: Vec<Certificate>,
    ) -> Self {
        VerifierConfig {
            idp_entity_id: idp_entity_id.into(),
            sp_entity_id: sp_entity_id.into(),
            acs_url: acs_url.into(),
            pinned_certificates,
            signature_policy: SignaturePolicy::AssertionSigned,
            clock_skew: DEFAULT_CLOCK_SKEW,
            max_document_bytes: 1 << 20,
            decryption_key: None,
        }
    }
}

/// What a verified login says; every identity field comes from the signed element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    pub issuer: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    /// Every Attribute in document order with its values; duplicates are kept (two `userUID` attributes
    /// show up twice), so the caller can refuse ambiguity.
    pub attributes: Vec<(String, Vec<String>)>,
    /// The key for the caller's replay cache (SAML Profiles §4.1.4.5).
    pub assertion_id: String,
    pub session_index: Option<String>,
    /// The earliest NotOnOrAfter of Conditions and SubjectConfirmationData: keep the replay-cache entry until then (plus skew).
    pub not_on_or_after: OffsetDateTime,
    pub in_response_to: Option<String>,
    pub response_signed: bool,
    pub assertion_signed: bool,
}

impl VerifiedAssertion {
    /// All values of every attribute named exactly `name` (case-sensitive), across duplicate attributes.
    pub fn attribute_values(&self, name: &str) -> Vec<&str> {
        self.attributes
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.iter().map(String::as_str))
            .collect()
    }
}

/// Why a Response was refused. Each message names what was wrong and where.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("verifier config: no pinned idp certificate; refusing to verify without one")]
    NoPinnedCertificate,
    #[error("response is {len} bytes, more than the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("decoding the SAMLResponse form value: invalid base64")]
    Base64(#[source] base64::DecodeError),
    #[error("decoding the SAMLResponse form value: not utf-8")]
    NotUtf8,
    /// saml-attacks.md A6/A7.
    #[error("response contains a DOCTYPE or ENTITY declaration; refused before parsing")]
    Doctype,
    #[error("parsing the response")]
    Xml(#[source] XmlError),
    #[error("root element is <{0}>, expected a SAML protocol Response")]
    NotAResponse(String),
    #[error("{what} has Version {found:?}, expected \"2.0\"")]
    Version {
        what: &'static str,
        found: Option<String>,
    },
    /// saml-attacks.md A4.
    #[error("response holds {0} assertions; exactly one is accepted")]
    AssertionCount(usize),
    #[error("response holds an EncryptedAssertion, and this sp has no decryption key")]
    EncryptedAssertion,
    #[error("decrypting the EncryptedAssertion")]
    Decrypt(#[source] crate::encrypt::DecryptError),
    #[error("the assertion is not a direct child of the response")]
    MisplacedAssertion,
    /// saml-attacks.md A3 (XSW1, XSW6, XSW8 hide copies inside a Signature).
    #[error("a ds:Signature sits inside <{0}>; only the response's and the assertion's own signatures are accepted")]
    MisplacedSignature(String),
    #[error("signature of the {what}: {detail}")]
    SignatureShape { what: &'static str, detail: String },
    /// saml-attacks.md A8.
    #[error("signature of the {what} uses {uri}, which is weak or not accepted")]
    WeakAlgorithm { what: &'static str, uri: String },
    /// saml-attacks.md A2.
    #[error("signature of the {what} carries a certificate in KeyInfo that is not pinned")]
    UntrustedCertificate { what: &'static str },
    /// saml-attacks.md A5.
    #[error("comment inside <{0}>; comments are refused in SAML responses")]
    Comment(String),
    /// saml-attacks.md A1.
    #[error("neither the response nor the assertion is signed")]
    Unsigned,
    #[error("the assertion is not signed, and the policy requires an assertion signature")]
    AssertionUnsigned,
    #[error("the response is not signed, and the policy requires a response signature")]
    ResponseUnsigned,
    #[error("verifying the signatures against the pinned certificates")]
    SignatureInvalid(#[source] SignatureFailure),
    #[error("verifier config: the public key of a pinned certificate cannot be loaded")]
    PinnedKey,
    #[error("reading the signed content: {0}")]
    SignedContent(String),
    /// saml-attacks.md A3: what was signed is not what sits where an SP reads.
    #[error("the signed {what} has ID {signed:?}, but the {what} in place has ID {in_place:?}")]
    SignedElementMismatch {
        what: &'static str,
        signed: Option<String>,
        in_place: Option<String>,
    },
    #[error("response status is {0:?}, not Success")]
    Status(Option<String>),
    #[error("issuer of the {what} is {found:?}, expected {expected:?}")]
    Issuer {
        what: &'static str,
        found: Option<String>,
        expected: String,
    },
    #[error("response Destination is {found:?}, expected the acs url {expected:?}")]
    Destination {
        found: Option<String>,
        expected: String,
    },
    #[error("no bearer SubjectConfirmation in the assertion")]
    NoBearerConfirmation,
    #[error("SubjectConfirmationData Recipient is {found:?}, expected the acs url {expected:?}")]
    Recipient {
        found: Option<String>,
        expected: String,
    },
    #[error("assertion has no Conditions/AudienceRestriction")]
    NoAudienceRestriction,
    #[error("no Audience in an AudienceRestriction equals {expected:?} (found {found:?})")]
    Audience {
        found: Vec<String>,
        expected: String,
    },
    #[error("{what} NotBefore {not_before} is later than now {now} plus the allowed skew")]
    NotYetValid {
        what: &'static str,
        not_before: String,
        now: String,
    },
    #[error(
        "{what} NotOnOrAfter {not_on_or_after} is not later than now {now} minus the allowed skew"
    )]
    Expired {
        what: &'static str,
        not_on_or_after: String,
        now: String,
    },
    #[error("InResponseTo of the {what} is {found:?}, expected {expected}")]
    InResponseTo {
        what: &'static str,
        found: Option<String>,
        expected: String,
    },
    #[error("malformed {what}: {detail}")]
    Malformed { what: &'static str, detail: String },
}

/// Why step 4 did not accept the signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureFailure {
    #[error("a signature is of a shape or algorithm not accepted, or no pinned key verifies it (digest or signature value)")]
    Invalid,
    #[error("an ID attribute is not an NCName or is not unique")]
    BadId,
}

/// Verifies SAML Responses for one SP against one IdP.
pub struct Verifier {
    config: VerifierConfig,
    /// The pinned certificates' public keys, parsed once.
    pinned_keys: PinnedKeys,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Which signatures the raw document carries, after the shape checks.
struct Shape {
    response_id: Option<String>,
    assertion_id: Option<String>,
    response_signed: bool,
    assertion_signed: bool,
}

impl Verifier {
    /// A verifier; refuses a configuration without a pinned certificate (samael-notes.md §3 pitfall 5).
    pub fn new(config: VerifierConfig, clock: Arc<dyn Clock>) -> Result<Self, VerifyError> {
        if config.pinned_certificates.is_empty() {
            return Err(VerifyError::NoPinnedCertificate);
        }
        let pinned_keys =
            PinnedKeys::new(&config.pinned_certificates).ok_or(VerifyError::PinnedKey)?;
        Ok(Verifier {
            config,
            pinned_keys,
            clock,
        })
    }

    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// Verifies the base64 `SAMLResponse` form value of the HTTP-POST binding (SAML Bindings §3.5.4).
    pub fn verify_post_value(
        &self,
        saml_response: &str,
        expected: ExpectedInResponseTo<'_>,
    ) -> Result<VerifiedAssertion, VerifyError> {
        let compact: String = saml_response.split_ascii_whitespace().collect();
        if compact.len() / 4 * 3 > self.config.max_document_bytes {
            return Err(VerifyError::TooLarge {
                len: compact.len() / 4 * 3,
                max: self.config.max_document_bytes,
            });
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(VerifyError::Base64)?;
        let xml = String::from_utf8(bytes).map_err(|_| VerifyError::NotUtf8)?;
        self.verify(&xml, expected)
    }

    /// Verifies a Response document and returns what its signed assertion says.
    pub fn verify(
        &self,
        xml: &str,
        expected: ExpectedInResponseTo<'_>,
    ) -> Result<VerifiedAssertion, VerifyError> {
        let cfg = &self.config;
        refuse_before_parsing(xml, cfg)?;
        let raw = xml::parse(xml).map_err(|e| match e {
            XmlError::Doctype => VerifyError::Doctype,
            e => VerifyError::Xml(e),
        })?;
        if self.config.decryption_key.is_some() && has_encrypted_assertion(&raw) {
            return self.verify_encrypted(&raw, expected);
        }
        let shape = self.check_shape(&raw)?;

        check_policy(cfg.signature_policy, &shape)?;

        // Every Signature verified with the pinned keys only (KeyInfo is never used to find a key); what comes
        // back is the pre-digest bytes of what each Reference covered.
        let predigests = self.pinned_keys.verify(&raw).map_err(dsig_error)?;
        let mut signed_parts = predigests
            .into_iter()
            .map(|bytes| parse_signed(bytes, "content"))
            .collect::<Result<Vec<Element>, VerifyError>>()?;
        // One signed part, or with both signed exactly one that is the Response (which holds the other).
        let signed = if signed_parts.len() == 1 {
            signed_parts.pop()
        } else {
            let mut responses: Vec<Element> = signed_parts
                .into_iter()
                .filter(|e| e.is(NS_PROTOCOL, "Response"))
                .collect();
            if responses.len() == 1 {
                responses.pop()
            } else {
                None
            }
        }
        .ok_or(VerifyError::SignatureInvalid(SignatureFailure::Invalid))?;

        let (envelope, assertion): (&Element, &Element) = if signed.is(NS_PROTOCOL, "Response") {
            same_id("response", signed.attr("ID"), shape.response_id.as_deref())?;
            let mut assertions = signed.children_named(NS_ASSERTION, "Assertion");
            let assertion = assertions.next().ok_or_else(|| {
                VerifyError::SignedContent("signed response holds no assertion".into())
            })?;
            if assertions.next().is_some() {
                return Err(VerifyError::AssertionCount(2));
            }
            (&signed, assertion)
        } else if signed.is(NS_ASSERTION, "Assertion") {
            if shape.response_signed {
                // Two signatures verified but the Response was not among what they covered: not a shape we produce or accept.
                return Err(VerifyError::SignedContent(
                    "both parts signed but the response was not the signed root".into(),
                ));
            }
            (&raw, &signed)
        } else {
            return Err(VerifyError::SignedContent(format!(
                "signed element is <{}>, expected a Response or an Assertion",
                signed.qname
            )));
        };
        same_id(
            "assertion",
            assertion.attr("ID"),
            shape.assertion_id.as_deref(),
        )?;

        self.check_content(envelope, assertion, shape, expected)
    }

    /// Step 6: protocol checks on the signed content.
    fn check_content(
        &self,
        envelope: &Element,
        assertion: &Element,
        shape: Shape,
        expected: ExpectedInResponseTo<'_>,
    ) -> Result<VerifiedAssertion, VerifyError> {
        let cfg = &self.config;
        let now = self.clock.now();
        let skew = cfg.clock_skew;

        // SAML Core §3.2.2.2: top-level StatusCode.
        let status = envelope
            .child(NS_PROTOCOL, "Status")
            .and_then(|s| s.child(NS_PROTOCOL, "StatusCode"))
            .and_then(|c| c.attr("Value"));
        if status != Some(STATUS_SUCCESS) {
            return Err(VerifyError::Status(status.map(str::to_owned)));
        }

        // SAML Profiles §4.1.4.2: the Response Issuer, if present (required when signed), is the IdP.
        let response_issuer = envelope.child(NS_ASSERTION, "Issuer");
        match response_issuer {
            Some(issuer) => check_issuer("response", issuer, &cfg.idp_entity_id)?,
            None if shape.response_signed => {
                return Err(VerifyError::Issuer {
                    what: "response",
                    found: None,
                    expected: cfg.idp_entity_id.clone(),
                })
            }
            None => {}
        }
        let issuer_el =
            assertion
                .child(NS_ASSERTION, "Issuer")
                .ok_or_else(|| VerifyError::Issuer {
                    what: "assertion",
                    found: None,
                    expected: cfg.idp_entity_id.clone(),
                })?;
        check_issuer("assertion", issuer_el, &cfg.idp_entity_id)?;

        // SAML Bindings §3.5.5.2: Destination must be the ACS; required when the Response is signed.
        match envelope.attr("Destination") {
            Some(d) if d == cfg.acs_url => {}
            None if !shape.response_signed => {}
            found => {
                return Err(VerifyError::Destination {
                    found: found.map(str::to_owned),
                    expected: cfg.acs_url.clone(),
                })
            }
        }

        // Subject and NameID (SAML Core §2.4.1, §2.2.3).
        let subject = assertion
            .child(NS_ASSERTION, "Subject")
            .ok_or_else(|| malformed("assertion", "no Subject"))?;
        if subject.child(NS_ASSERTION, "EncryptedID").is_some() {
            return Err(malformed("Subject", "EncryptedID is not supported"));
        }
        let name_id_el = subject
            .child(NS_ASSERTION, "NameID")
            .ok_or_else(|| malformed("Subject", "no NameID"))?;
        let name_id = text_only("NameID", name_id_el)?;

        // SAML Profiles §4.1.4.2: a bearer SubjectConfirmation with Recipient, NotOnOrAfter and InResponseTo rules.
        let bearers: Vec<&Element> = subject
            .children_named(NS_ASSERTION, "SubjectConfirmation")
            .filter(|c| c.attr("Method") == Some(CM_BEARER))
            .collect();
        if bearers.is_empty() {
            return Err(VerifyError::NoBearerConfirmation);
        }
        let mut confirmed = None;
        let mut last_error = VerifyError::NoBearerConfirmation;
        for bearer in bearers {
            match self.check_confirmation(bearer, envelope, now, expected) {
                Ok(v) => {
                    confirmed = Some(v);
                    break;
                }
                Err(e) => last_error = e,
            }
        }
        let (scd_not_on_or_after, in_response_to) = confirmed.ok_or(last_error)?;

        // Conditions (SAML Core §2.5.1) with AudienceRestriction (Profiles §4.1.4.2).
        let conditions = assertion
            .child(NS_ASSERTION, "Conditions")
            .ok_or(VerifyError::NoAudienceRestriction)?;
        if let Some(nb) = instant_attr(conditions, "NotBefore", "Conditions")? {
            check_not_before("Conditions", nb, now, skew)?;
        }
        let cond_noa = instant_attr(conditions, "NotOnOrAfter", "Conditions")?;
        if let Some(noa) = cond_noa {
            check_not_on_or_after("Conditions", noa, now, skew)?;
        }
        let restrictions: Vec<&Element> = conditions
            .children_named(NS_ASSERTION, "AudienceRestriction")
            .collect();
        if restrictions.is_empty() {
            return Err(VerifyError::NoAudienceRestriction);
        }
        // SAML Core §2.5.1.4: every AudienceRestriction must be met; within one, any Audience.
        for r in restrictions {
            let audiences: Vec<String> = r
                .children_named(NS_ASSERTION, "Audience")
                .map(|a| a.text().trim().to_owned())
                .collect();
            if !audiences.contains(&cfg.sp_entity_id) {
                return Err(VerifyError::Audience {
                    found: audiences,
                    expected: cfg.sp_entity_id.clone(),
                });
            }
        }

        // AuthnStatement (SAML Core §2.7.2); SessionNotOnOrAfter, if any, must not have passed.
        let authn = assertion.child(NS_ASSERTION, "AuthnStatement");
        let session_index = authn
            .and_then(|a| a.attr("SessionIndex"))
            .map(str::to_owned);
        if let Some(authn) = authn {
            if let Some(t) = instant_attr(authn, "SessionNotOnOrAfter", "AuthnStatement")? {
                check_not_on_or_after("AuthnStatement session", t, now, skew)?;
            }
        }

        // Attributes (SAML Core §2.7.3), in document order, duplicates kept.
        let mut attributes = Vec::new();
        for statement in assertion.children_named(NS_ASSERTION, "AttributeStatement") {
            if statement
                .child(NS_ASSERTION, "EncryptedAttribute")
                .is_some()
            {
                return Err(malformed(
                    "AttributeStatement",
                    "EncryptedAttribute is not supported",
                ));
            }
            for attr in statement.children_named(NS_ASSERTION, "Attribute") {
                let name = attr
                    .attr("Name")
                    .ok_or_else(|| malformed("Attribute", "no Name"))?
                    .to_owned();
                let values = attr
                    .children_named(NS_ASSERTION, "AttributeValue")
                    .map(|v| text_only("AttributeValue", v))
                    .collect::<Result<Vec<_>, _>>()?;
                attributes.push((name, values));
            }
        }

        let not_on_or_after = match cond_noa {
            Some(c) => c.min(scd_not_on_or_after),
            None => scd_not_on_or_after,
        };
        Ok(VerifiedAssertion {
            issuer: issuer_el.text().trim().to_owned(),
            name_id,
            name_id_format: name_id_el.attr("Format").map(str::to_owned),
            attributes,
            assertion_id: assertion.attr("ID").unwrap_or_default().to_owned(),
            session_index,
            not_on_or_after,
            in_response_to,
            response_signed: shape.response_signed,
            assertion_signed: shape.assertion_signed,
        })
    }

    /// One bearer SubjectConfirmation: Recipient, NotBefore/NotOnOrAfter, InResponseTo (SAML Profiles §4.1.4.2–3).
    fn check_confirmation(
        &self,
        bearer: &Element,
        envelope: &Element,
        now: OffsetDateTime,
        expected: ExpectedInResponseTo<'_>,
    ) -> Result<(OffsetDateTime, Option<String>), VerifyError> {
        let cfg = &self.config;
        let data = bearer
            .child(NS_ASSERTION, "SubjectConfirmationData")
            .ok_or_else(|| malformed("SubjectConfirmation", "no SubjectConfirmationData"))?;
        let recipient = data.attr("Recipient");
        if recipient != Some(cfg.acs_url.as_str()) {
            return Err(VerifyError::Recipient {
                found: recipient.map(str::to_owned),
                expected: cfg.acs_url.clone(),
            });
        }
        if let Some(nb) = instant_attr(data, "NotBefore", "SubjectConfirmationData")? {
            check_not_before("SubjectConfirmationData", nb, now, cfg.clock_skew)?;
        }
        let noa = instant_attr(data, "NotOnOrAfter", "SubjectConfirmationData")?
            .ok_or_else(|| malformed("SubjectConfirmationData", "no NotOnOrAfter"))?;
        check_not_on_or_after("SubjectConfirmationData", noa, now, cfg.clock_skew)?;

        let scd_irt = data.attr("InResponseTo");
        let resp_irt = envelope.attr("InResponseTo");
        let wrong =
            |what: &'static str, found: Option<&str>, expected: String| VerifyError::InResponseTo {
                what,
                found: found.map(str::to_owned),
                expected,
            };
        match expected {
            ExpectedInResponseTo::Unsolicited => {
                if resp_irt.is_some() {
                    return Err(wrong(
                        "response",
                        resp_irt,
                        "none (unsolicited login)".into(),
                    ));
                }
                if scd_irt.is_some() {
                    return Err(wrong(
                        "SubjectConfirmationData",
                        scd_irt,
                        "none (unsolicited login)".into(),
                    ));
                }
            }
            ExpectedInResponseTo::Request(id) => {
                if scd_irt != Some(id) {
                    return Err(wrong("SubjectConfirmationData", scd_irt, format!("{id:?}")));
                }
                if resp_irt.is_some_and(|r| r != id) {
                    return Err(wrong("response", resp_irt, format!("{id:?}")));
                }
            }
            ExpectedInResponseTo::AnyOf(ids) => {
                let ok = scd_irt.is_some_and(|s| ids.iter().any(|i| i == s));
                if !ok {
                    return Err(wrong(
                        "SubjectConfirmationData",
                        scd_irt,
                        format!("one of {ids:?}"),
                    ));
                }
                if resp_irt.is_some_and(|r| Some(r) != scd_irt) {
                    return Err(wrong("response", resp_irt, format!("{scd_irt:?}")));
                }
            }
        }
        Ok((noa, scd_irt.map(str::to_owned)))
    }
}

/// What is refused before any parser sees the bytes: a document over the size limit, and
/// (saml-attacks.md A6/A7) any DOCTYPE or ENTITY declaration.
pub(crate) fn refuse_before_parsing(xml: &str, cfg: &VerifierConfig) -> Result<(), VerifyError> {
    if xml.len() > cfg.max_document_bytes {
        return Err(VerifyError::TooLarge {
            len: xml.len(),
            max: cfg.max_document_bytes,
        });
    }
    if contains_ignore_ascii_case(xml.as_bytes(), b"<!DOCTYPE")
        || contains_ignore_ascii_case(xml.as_bytes(), b"<!ENTITY")
    {
        return Err(VerifyError::Doctype);
    }
    Ok(())
}

/// Validity edge, SAML Core §2.5.1.2: valid from NotBefore inclusive. With skew `s` the instant is accepted
/// iff `now >= not_before - s`: exactly `s` early is accepted, one second more is refused.
pub fn check_not_before(
    what: &'static str,
    not_before: OffsetDateTime,
    now: OffsetDateTime,
    skew: Duration,
) -> Result<(), VerifyError> {
    if now < not_before - skew {
        return Err(VerifyError::NotYetValid {
            what,
            not_before: rfc3339(not_before),
            now: rfc3339(now),
        });
    }
    Ok(())
}

/// Validity edge, SAML Core §2.5.1.2: valid until NotOnOrAfter exclusive. With skew `s` the instant is accepted
/// iff `now < not_on_or_after + s`: at exactly `not_on_or_after + s` it is refused, one second earlier accepted.
pub fn check_not_on_or_after(
    what: &'static str,
    not_on_or_after: OffsetDateTime,
    now: OffsetDateTime,
    skew: Duration,
) -> Result<(), VerifyError> {
    if now >= not_on_or_after + skew {
        return Err(VerifyError::Expired {
            what,
            not_on_or_after: rfc3339(not_on_or_after),
            now: rfc3339(now),
        });
    }
    Ok(())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

fn malformed(what: &'static str, detail: &str) -> VerifyError {
    VerifyError::Malformed {
        what,
        detail: detail.to_owned(),
    }
}

fn instant_attr(
    el: &Element,
    name: &str,
    what: &'static str,
) -> Result<Option<OffsetDateTime>, VerifyError> {
    el.attr(name)
        .map(|v| {
            parse_instant(v).ok_or_else(|| VerifyError::Malformed {
                what,
                detail: format!("{name} {v:?} is not an xs:dateTime with a time zone"),
            })
        })
        .transpose()
}

/// The text of an element that must hold only text (NameID, AttributeValue).
fn text_only(what: &'static str, el: &Element) -> Result<String, VerifyError> {
    if el.elements().next().is_some() {
        return Err(malformed(what, "holds child elements, expected text"));
    }
    Ok(el.text())
}

fn check_issuer(what: &'static str, issuer: &Element, expected: &str) -> Result<(), VerifyError> {
    let found = issuer.text();
    let format_ok = issuer
        .attr("Format")
        .is_none_or(|f| f == ISSUER_FORMAT_ENTITY);
    if found.trim() != expected || !format_ok {
        return Err(VerifyError::Issuer {
            what,
            found: Some(found),
            expected: expected.to_owned(),
        });
    }
    Ok(())
}

fn check_version(what: &'static str, el: &Element) -> Result<(), VerifyError> {
    match el.attr("Version") {
        Some("2.0") => Ok(()),
        other => Err(VerifyError::Version {
            what,
            found: other.map(str::to_owned),
        }),
    }
}

fn same_id(
    what: &'static str,
    signed: Option<&str>,
    in_place: Option<&str>,
) -> Result<(), VerifyError> {
    if signed.is_none() || signed != in_place {
        return Err(VerifyError::SignedElementMismatch {
            what,
            signed: signed.map(str::to_owned),
            in_place: in_place.map(str::to_owned),
        });
    }
    Ok(())
}

fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests;
