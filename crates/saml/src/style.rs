//! How each IdP persona shapes its SAML Response: issuer, prefixes, ids, claim names, validity windows and what it signs.

use std::str::FromStr;

use time::Duration;

use crate::spec::Attribute;

/// The SAML dialect of an IdP persona (DESIGN.md "Personas": each persona shapes its Response as that IdP does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdpStyle {
    /// entra-scim.md §7: `samlp:` Response, unprefixed Assertion in the default namespace, `_<guid>` ids.
    Entra,
    /// okta-scim.md §6: `saml2p:`/`saml2:` prefixes, `xs:string`-typed values, `id<digits>` ids, response and assertion signed.
    Okta,
    /// A plain SAML 2.0 IdP: `samlp:`/`saml:` declared on the Response, `ds:` signatures.
    Rfc,
}

/// Which elements get an enveloped signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignMode {
    Assertion,
    Response,
    Both,
}

impl SignMode {
    pub const ALL: [SignMode; 3] = [SignMode::Assertion, SignMode::Response, SignMode::Both];

    pub fn signs_assertion(self) -> bool {
        matches!(self, SignMode::Assertion | SignMode::Both)
    }

    pub fn signs_response(self) -> bool {
        matches!(self, SignMode::Response | SignMode::Both)
    }

    pub fn name(self) -> &'static str {
        match self {
            SignMode::Assertion => "assertion",
            SignMode::Response => "response",
            SignMode::Both => "both",
        }
    }
}

/// A signing-mode name that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}` (expected {expected})")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl FromStr for SignMode {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SignMode::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownName {
                what: "signing mode",
                value: s.to_owned(),
                expected: "assertion, response or both",
            })
    }
}

/// `ds:SignatureMethod` algorithms the builder can emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RFC 6931 §2.3.2 (xmldsig-more#rsa-sha256).
    RsaSha256,
    /// XML-DSig §6.4.2: weak, only for the tamper catalogue (saml-attacks.md A8).
    RsaSha1,
}

impl SignatureAlgorithm {
    pub fn uri(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            SignatureAlgorithm::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        }
    }
}

/// `ds:DigestMethod` algorithms the builder can emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// XML-Enc §5.7.2 (xmlenc#sha256).
    Sha256,
    /// XML-DSig §6.2.1: weak, only for the tamper catalogue (saml-attacks.md A8).
    Sha1,
}

impl DigestAlgorithm {
    pub fn uri(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
            DigestAlgorithm::Sha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
        }
    }
}

/// What a persona knows about a user when it issues claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserClaims {
    /// The stable id that SCIM sent as `externalId` (Entra object id, Okta `00u…` id); emitted as `userUID`.
    pub uid: String,
    pub login: String,
    pub email: String,
    pub display_name: String,
    pub given_name: String,
    pub surname: String,
    pub groups: Vec<String>,
}

/// Grafana's default `assertion_attribute_external_uid` (grafana-target.md §5).
pub const GRAFANA_UID_ATTRIBUTE: &str = "userUID";

/// Entra's object id claim (entra-scim.md §7 Claims).
pub const ENTRA_OBJECT_ID: &str = "http://schemas.microsoft.com/identity/claims/objectidentifier";

/// Entra's claim names (entra-scim.md §7 Claims).
const CLAIM_TENANT_ID: &str = "http://schemas.microsoft.com/identity/claims/tenantid";
const CLAIM_IDENTITY_PROVIDER: &str =
    "http://schemas.microsoft.com/identity/claims/identityprovider";
const CLAIM_DISPLAY_NAME: &str = "http://schemas.microsoft.com/identity/claims/displayname";
const CLAIM_GIVEN_NAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname";
const CLAIM_SURNAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname";
const CLAIM_EMAIL: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
const CLAIM_NAME: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name";
const CLAIM_GROUPS: &str = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups";
/// Okta's attribute NameFormat for its attribute statements (okta-scim.md §6).
const UNSPECIFIED_NAME_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified";
/// SAML Core §8.2.2.
const BASIC_NAME_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";

impl IdpStyle {
    pub const ALL: [IdpStyle; 3] = [IdpStyle::Entra, IdpStyle::Okta, IdpStyle::Rfc];

    pub fn name(self) -> &'static str {
        match self {
            IdpStyle::Entra => "entra",
            IdpStyle::Okta => "okta",
            IdpStyle::Rfc => "rfc",
        }
    }

    /// The IdP entity id (Issuer) for a tenant / org key.
    /// Entra: `https://sts.windows.net/<tenant>/` (entra-scim.md §7); Okta: `http://www.okta.com/<id>` (okta-scim.md §6).
    pub fn entity_id(self, tenant: &str) -> String {
        match self {
            IdpStyle::Entra => format!("https://sts.windows.net/{tenant}/"),
            IdpStyle::Okta => format!("http://www.okta.com/{tenant}"),
            IdpStyle::Rfc => format!("https://idp.example.test/{tenant}"),
        }
    }

    /// The SSO endpoint URL the persona advertises in metadata.
    /// Entra: `https://login.microsoftonline.com/<tenant>/saml2` (entra-scim.md §7 Endpoints).
    pub fn sso_url(self, tenant: &str) -> String {
        match self {
            IdpStyle::Entra => format!("https://login.microsoftonline.com/{tenant}/saml2"),
            IdpStyle::Okta => {
                format!("https://example.okta.com/app/scim-harness/{tenant}/sso/saml")
            }
            IdpStyle::Rfc => format!("https://idp.example.test/{tenant}/sso"),
        }
    }

    /// What the persona signs unless told otherwise: Entra the assertion (entra-scim.md §7 Signing options),
    /// Okta both (okta-scim.md §6 `responseSigned`/`assertionSigned`), a plain IdP the assertion
    /// (SAML Profiles §4.1.3.5: assertions delivered by HTTP-POST must be signed).
    pub fn default_sign_mode(self) -> SignMode {
        match self {
            IdpStyle::Entra | IdpStyle::Rfc => SignMode::Assertion,
            IdpStyle::Okta => SignMode::Both,
        }
    }

    /// The NameID format used when the login does not name one.
    /// Entra answers Grafana's default transient request with a transient id (entra-scim.md §7 NameID);
    /// Okta's AIW default is unspecified (okta-scim.md §6).
    pub fn default_name_id_format(self) -> &'static str {
        match self {
            IdpStyle::Entra => "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
            IdpStyle::Okta => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
            IdpStyle::Rfc => "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        }
    }

    /// `AuthnContextClassRef`: Entra `Password`, Okta `PasswordProtectedTransport`.
    pub fn authn_context_class(self) -> &'static str {
        match self {
            IdpStyle::Entra => "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
            IdpStyle::Okta | IdpStyle::Rfc => {
                "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            }
        }
    }

    /// Validity windows relative to IssueInstant: (Conditions NotBefore offset, Conditions NotOnOrAfter offset,
    /// SubjectConfirmationData NotOnOrAfter offset).
    /// Entra: conditions issue..+70 min, confirmation +5 min (entra-scim.md §7); Okta: −5..+5 min and +5 min (okta-scim.md §6).
    pub fn windows(self) -> (Duration, Duration, Duration) {
        match self {
            IdpStyle::Entra => (Duration::ZERO, Duration::minutes(70), Duration::minutes(5)),
            IdpStyle::Okta => (
                Duration::minutes(-5),
                Duration::minutes(5),
                Duration::minutes(5),
            ),
            IdpStyle::Rfc => (Duration::ZERO, Duration::minutes(5), Duration::minutes(5)),
        }
    }

    /// Formats 128 id bits the persona's way: Entra `_` + GUID, Okta `id` + 27 digits, plain `_` + 32 hex digits.
    /// SAML Core §1.3.4: an xs:ID must be an NCName, so it never starts with a digit.
    pub fn format_id(self, bits: u128) -> String {
        match self {
            IdpStyle::Entra => {
                let h = format!("{bits:032x}");
                format!(
                    "_{}-{}-{}-{}-{}",
                    &h[0..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..32]
                )
            }
            IdpStyle::Okta => format!("id{:027}", bits % 10u128.pow(27)),
            IdpStyle::Rfc => format!("_{bits:032x}"),
        }
    }

    /// The attribute statement the persona sends for a user, with Grafana's `userUID` claim added as Grafana's
    /// setup pages ask (grafana-target.md §5). Entra: Microsoft claim URIs (entra-scim.md §7 Claims);
    /// Okta: Grafana's example statements (okta-scim.md §6).
    pub fn attributes_for(self, user: &UserClaims, tenant: &str) -> Vec<Attribute> {
        let plain = |name: &str, values: Vec<String>| Attribute {
            name: name.to_owned(),
            name_format: None,
            values,
        };
        let one = |v: &String| vec![v.clone()];
        match self {
            IdpStyle::Entra => {
                let mut attrs = vec![
                    plain(CLAIM_TENANT_ID, vec![tenant.to_owned()]),
                    plain(ENTRA_OBJECT_ID, one(&user.uid)),
                    plain(CLAIM_IDENTITY_PROVIDER, vec![self.entity_id(tenant)]),
                    plain(CLAIM_DISPLAY_NAME, one(&user.display_name)),
                    plain(CLAIM_GIVEN_NAME, one(&user.given_name)),
                    plain(CLAIM_SURNAME, one(&user.surname)),
                    plain(CLAIM_EMAIL, one(&user.email)),
                    plain(CLAIM_NAME, one(&user.login)),
                ];
                if !user.groups.is_empty() {
                    attrs.push(plain(CLAIM_GROUPS, user.groups.clone()));
                }
                attrs.push(plain(GRAFANA_UID_ATTRIBUTE, one(&user.uid)));
                attrs
            }
            IdpStyle::Okta | IdpStyle::Rfc => {
                let format = if self == IdpStyle::Okta {
                    UNSPECIFIED_NAME_FORMAT
                } else {
                    BASIC_NAME_FORMAT
                };
                let named = |name: &str, values: Vec<String>| Attribute {
                    name: name.to_owned(),
                    name_format: Some(format.to_owned()),
                    values,
                };
                let mut attrs = vec![
                    named("Login", one(&user.login)),
                    named("Email", one(&user.email)),
                    named("DisplayName", one(&user.display_name)),
                    named(GRAFANA_UID_ATTRIBUTE, one(&user.uid)),
                ];
                if !user.groups.is_empty() {
                    attrs.push(named("Group", user.groups.clone()));
                }
                attrs
            }
        }
    }
}
