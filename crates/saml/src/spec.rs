//! What one SAML Response says (`ResponseSpec`), how it is filled from a login, and how it is written as XML per persona.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::clock::{Clock, IdSource};
use crate::style::{DigestAlgorithm, IdpStyle, SignMode, SignatureAlgorithm};
use crate::xml::{attr_escaped, text_escaped};

/// SAML Core §3.2.2.2: the top-level success status.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
/// SAML Profiles §3.3: the bearer confirmation method.
pub const CM_BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

/// One `saml:Attribute` with its values (SAML Core §2.7.3.1); several values make it multi-valued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub name_format: Option<String>,
    pub values: Vec<String>,
}

/// What the IdP was asked to do: who logs in, for which SP, in answer to which request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub idp_entity_id: String,
    /// The SP's ACS URL: Destination and Recipient.
    pub acs_url: String,
    /// The SP's entity id: the Audience.
    pub audience: String,
    pub name_id: String,
    /// `None` takes the persona's default ([`IdpStyle::default_name_id_format`]).
    pub name_id_format: Option<String>,
    pub attributes: Vec<Attribute>,
    /// The AuthnRequest ID for an SP-initiated login; `None` for IdP-initiated.
    pub in_response_to: Option<String>,
}

/// `SubjectConfirmation` with its `SubjectConfirmationData` (SAML Core §2.4.1.1–2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectConfirmationSpec {
    pub method: String,
    pub recipient: Option<String>,
    pub not_before: Option<OffsetDateTime>,
    pub not_on_or_after: Option<OffsetDateTime>,
    pub in_response_to: Option<String>,
}

/// `Conditions` (SAML Core §2.5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionsSpec {
    pub not_before: Option<OffsetDateTime>,
    pub not_on_or_after: Option<OffsetDateTime>,
    /// One `AudienceRestriction` holding these audiences (none written if empty).
    pub audiences: Vec<String>,
}

/// `AuthnStatement` (SAML Core §2.7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthnSpec {
    pub authn_instant: OffsetDateTime,
    pub session_index: Option<String>,
    pub session_not_on_or_after: Option<OffsetDateTime>,
    pub context_class: String,
}

/// Everything one Response says. Fields are public so the tamper catalogue (and callers) can change one thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseSpec {
    pub style: IdpStyle,
    pub response_id: String,
    pub assertion_id: String,
    pub issue_instant: OffsetDateTime,
    pub destination: Option<String>,
    pub in_response_to: Option<String>,
    /// The Response's own `Issuer`; the assertion's is [`ResponseSpec::assertion_issuer`].
    pub response_issuer: Option<String>,
    pub assertion_issuer: String,
    pub status_code: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub subject_confirmation: SubjectConfirmationSpec,
    pub conditions: Option<ConditionsSpec>,
    pub authn: AuthnSpec,
    pub attributes: Vec<Attribute>,
    pub sign: SignMode,
    pub signature_algorithm: SignatureAlgorithm,
    pub digest_algorithm: DigestAlgorithm,
}

impl ResponseSpec {
    /// Fills a Response the way `style` would answer `login`, stamped with `clock` and ids from `ids`.
    pub fn new(style: IdpStyle, login: &Login, clock: &dyn Clock, ids: &dyn IdSource) -> Self {
        let now = truncate_to_written_precision(style, clock.now());
        let (nb, noa, scd) = style.windows();
        let response_id = style.format_id(ids.next_id());
        let assertion_id = style.format_id(ids.next_id());
        ResponseSpec {
            style,
            response_id,
            issue_instant: now,
            destination: Some(login.acs_url.clone()),
            in_response_to: login.in_response_to.clone(),
            response_issuer: Some(login.idp_entity_id.clone()),
            assertion_issuer: login.idp_entity_id.clone(),
            status_code: STATUS_SUCCESS.to_owned(),
            name_id: login.name_id.clone(),
            name_id_format: Some(
                login
                    .name_id_format
                    .clone()
                    .unwrap_or_else(|| style.default_name_id_format().to_owned()),
            ),
            subject_confirmation: SubjectConfirmationSpec {
                method: CM_BEARER.to_owned(),
                recipient: Some(login.acs_url.clone()),
                not_before: None,
                not_on_or_after: Some(now + scd),
                in_response_to: login.in_response_to.clone(),
            },
            conditions: Some(ConditionsSpec {
                not_before: Some(now + nb),
                not_on_or_after: Some(now + noa),
                audiences: vec![login.audience.clone()],
            }),
            authn: AuthnSpec {
                authn_instant: now,
                // entra-scim.md §7 and okta-scim.md §6: SessionIndex carries the assertion id.
                session_index: Some(assertion_id.clone()),
                session_not_on_or_after: None,
                context_class: style.authn_context_class().to_owned(),
            },
            assertion_id,
            attributes: login.attributes.clone(),
            sign: style.default_sign_mode(),
            signature_algorithm: SignatureAlgorithm::RsaSha256,
            digest_algorithm: DigestAlgorithm::Sha256,
        }
    }

    /// Moves every instant in the document by `by` (the tamper catalogue's time attacks).
    pub fn shift_times(&mut self, by: time::Duration) {
        self.issue_instant += by;
        let sc = &mut self.subject_confirmation;
        for t in [&mut sc.not_before, &mut sc.not_on_or_after]
            .into_iter()
            .flatten()
        {
            *t += by;
        }
        if let Some(c) = &mut self.conditions {
            for t in [&mut c.not_before, &mut c.not_on_or_after]
                .into_iter()
                .flatten()
            {
                *t += by;
            }
        }
        self.authn.authn_instant += by;
        if let Some(t) = &mut self.authn.session_not_on_or_after {
            *t += by;
        }
    }

    /// The earliest `NotOnOrAfter` in the assertion: the end of its validity.
    pub fn earliest_expiry(&self) -> Option<OffsetDateTime> {
        let c = self.conditions.as_ref().and_then(|c| c.not_on_or_after);
        [c, self.subject_confirmation.not_on_or_after]
            .into_iter()
            .flatten()
            .min()
    }

    /// The latest `NotBefore` in the assertion: the start of its validity.
    pub fn latest_not_before(&self) -> Option<OffsetDateTime> {
        let c = self.conditions.as_ref().and_then(|c| c.not_before);
        [c, self.subject_confirmation.not_before]
            .into_iter()
            .flatten()
            .max()
    }

    /// Writes the Response as XML without any signature.
    pub fn to_unsigned_xml(&self) -> String {
        write_response(self, None)
    }

    /// Writes the Response with an empty assertion signature template if [`ResponseSpec::sign`] signs the
    /// assertion; `cert_b64` goes into `KeyInfo`.
    pub(crate) fn to_xml_with_assertion_template(&self, cert_b64: &str) -> String {
        write_response(self, Some(cert_b64))
    }
}

/// SAML Core §1.3.3: xs:dateTime in UTC. Entra and Okta write milliseconds; the plain style writes seconds.
pub fn format_instant(style: IdpStyle, t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    match style {
        IdpStyle::Entra | IdpStyle::Okta => format!("{base}.{:03}Z", t.millisecond()),
        IdpStyle::Rfc => format!("{base}Z"),
    }
}

/// Parses an xs:dateTime that carries a time zone (SAML Core §1.3.3 requires UTC, written with `Z`).
pub fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Drops what [`format_instant`] would not write, so the spec says exactly what the document says.
fn truncate_to_written_precision(style: IdpStyle, t: OffsetDateTime) -> OffsetDateTime {
    let nanos = match style {
        IdpStyle::Entra | IdpStyle::Okta => u32::from(t.millisecond()) * 1_000_000,
        IdpStyle::Rfc => 0,
    };
    t.replace_nanosecond(nanos).unwrap_or(t)
}

/// Namespace and prefix choices of one style.
struct Names {
    /// Protocol prefix (`samlp`, `saml2p`).
    p: &'static str,
    /// Assertion prefix with colon (`""` for Entra's default namespace, `saml2:`, `saml:`).
    a: &'static str,
    /// Signature prefix with colon (`""` for Entra's default namespace, `ds:`).
    ds: &'static str,
}

fn names(style: IdpStyle) -> Names {
    match style {
        IdpStyle::Entra => Names {
            p: "samlp",
            a: "",
            ds: "",
        },
        IdpStyle::Okta => Names {
            p: "saml2p",
            a: "saml2:",
            ds: "ds:",
        },
        IdpStyle::Rfc => Names {
            p: "samlp",
            a: "saml:",
            ds: "ds:",
        },
    }
}

const XMLNS_A: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const XMLNS_P: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const XMLNS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
const XMLNS_XS: &str = "http://www.w3.org/2001/XMLSchema";
const XMLNS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const ISSUER_FORMAT_ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

/// An enveloped-signature template (XML-DSig §2, SAML Core §5.4): exclusive c14n, one Reference to `#id`,
/// the enveloped and exc-c14n transforms, empty DigestValue/SignatureValue for the signer to fill, and the certificate in KeyInfo.
pub(crate) fn signature_template(spec: &ResponseSpec, id: &str, cert_b64: &str) -> String {
    let ds = names(spec.style).ds;
    let decl = if ds.is_empty() {
        format!(" xmlns=\"{XMLNS_DS}\"")
    } else {
        format!(" xmlns:ds=\"{XMLNS_DS}\"")
    };
    // okta-scim.md §6: Okta lists `xs` as an inclusive prefix because its values say xsi:type="xs:string".
    let exc = if spec.style == IdpStyle::Okta {
        format!(
            "<{ds}Transform Algorithm=\"{EXC_C14N}\"><ec:InclusiveNamespaces xmlns:ec=\"{EXC_C14N}\" PrefixList=\"xs\"/></{ds}Transform>"
        )
    } else {
        format!("<{ds}Transform Algorithm=\"{EXC_C14N}\"/>")
    };
    format!(
        "<{ds}Signature{decl}><{ds}SignedInfo><{ds}CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/>\
<{ds}SignatureMethod Algorithm=\"{sm}\"/><{ds}Reference URI=\"#{id}\"><{ds}Transforms>\
<{ds}Transform Algorithm=\"{ENVELOPED}\"/>{exc}</{ds}Transforms><{ds}DigestMethod Algorithm=\"{dm}\"/>\
<{ds}DigestValue></{ds}DigestValue></{ds}Reference></{ds}SignedInfo><{ds}SignatureValue></{ds}SignatureValue>\
<{ds}KeyInfo><{ds}X509Data><{ds}X509Certificate>{cert_b64}</{ds}X509Certificate></{ds}X509Data></{ds}KeyInfo></{ds}Signature>",
        sm = spec.signature_algorithm.uri(),
        dm = spec.digest_algorithm.uri(),
        id = attr_escaped(id),
    )
}

/// Writes the Response. `assertion_template`: the certificate (base64) for an assertion signature template,
/// or `None` for no template. The Response's own template is added later, after the assertion is signed
/// (samael-notes.md §3 pitfall 2: xmlsec signs only the first template per call).
fn write_response(spec: &ResponseSpec, assertion_template: Option<&str>) -> String {
    let Names { p, .. } = names(spec.style);
    let s = spec.style;
    let mut x = String::with_capacity(4096);
    let t = |v: OffsetDateTime| format_instant(s, v);

    // Response (SAML Core §3.2.2, §3.3.3)
    x.push_str(&format!("<{p}:Response xmlns:{p}=\"{XMLNS_P}\""));
    if s == IdpStyle::Rfc {
        x.push_str(&format!(" xmlns:saml=\"{XMLNS_A}\""));
    }
    x.push_str(&format!(
        " ID=\"{}\" Version=\"2.0\" IssueInstant=\"{}\"",
        attr_escaped(&spec.response_id),
        t(spec.issue_instant)
    ));
    if let Some(d) = &spec.destination {
        x.push_str(&format!(" Destination=\"{}\"", attr_escaped(d)));
    }
    if let Some(irt) = &spec.in_response_to {
        x.push_str(&format!(" InResponseTo=\"{}\"", attr_escaped(irt)));
    }
    x.push('>');
    if let Some(issuer) = &spec.response_issuer {
        x.push_str(&issuer_xml(s, issuer, true));
    }
    x.push_str(&format!(
        "<{p}:Status><{p}:StatusCode Value=\"{}\"/></{p}:Status>",
        attr_escaped(&spec.status_code)
    ));
    x.push_str(&assertion_xml(spec, assertion_template));
    x.push_str(&format!("</{p}:Response>"));
    x
}

fn issuer_xml(s: IdpStyle, issuer: &str, on_response: bool) -> String {
    match s {
        // entra-scim.md §7: the Response's Issuer declares the assertion namespace as default.
        IdpStyle::Entra if on_response => format!(
            "<Issuer xmlns=\"{XMLNS_A}\">{}</Issuer>",
            text_escaped(issuer)
        ),
        IdpStyle::Entra => format!("<Issuer>{}</Issuer>", text_escaped(issuer)),
        // okta-scim.md §6: Format entity; the Response's Issuer declares saml2 itself.
        IdpStyle::Okta => format!(
            "<saml2:Issuer{} Format=\"{ISSUER_FORMAT_ENTITY}\">{}</saml2:Issuer>",
            if on_response {
                format!(" xmlns:saml2=\"{XMLNS_A}\"")
            } else {
                String::new()
            },
            text_escaped(issuer)
        ),
        IdpStyle::Rfc => format!(
            "<saml:Issuer Format=\"{ISSUER_FORMAT_ENTITY}\">{}</saml:Issuer>",
            text_escaped(issuer)
        ),
    }
}

/// The Assertion (SAML Core §2.3.3): Issuer, Signature, Subject, Conditions, AuthnStatement/AttributeStatement.
pub(crate) fn assertion_xml(spec: &ResponseSpec, template_cert: Option<&str>) -> String {
    let s = spec.style;
    let a = names(s).a;
    let t = |v: OffsetDateTime| format_instant(s, v);
    let mut x = String::with_capacity(2048);
    let decl = match s {
        IdpStyle::Entra => format!(" xmlns=\"{XMLNS_A}\""),
        IdpStyle::Okta => format!(" xmlns:saml2=\"{XMLNS_A}\""),
        IdpStyle::Rfc => String::new(),
    };
    x.push_str(&format!(
        "<{a}Assertion{decl} ID=\"{}\" IssueInstant=\"{}\" Version=\"2.0\">",
        attr_escaped(&spec.assertion_id),
        t(spec.issue_instant)
    ));
    x.push_str(&issuer_xml(s, &spec.assertion_issuer, false));
    if let Some(cert) = template_cert {
        if spec.sign.signs_assertion() {
            x.push_str(&signature_template(spec, &spec.assertion_id, cert));
        }
    }

    // Subject (SAML Core §2.4)
    x.push_str(&format!("<{a}Subject><{a}NameID"));
    if let Some(f) = &spec.name_id_format {
        x.push_str(&format!(" Format=\"{}\"", attr_escaped(f)));
    }
    x.push_str(&format!(">{}</{a}NameID>", text_escaped(&spec.name_id)));
    let sc = &spec.subject_confirmation;
    x.push_str(&format!(
        "<{a}SubjectConfirmation Method=\"{}\"><{a}SubjectConfirmationData",
        attr_escaped(&sc.method)
    ));
    if let Some(v) = &sc.in_response_to {
        x.push_str(&format!(" InResponseTo=\"{}\"", attr_escaped(v)));
    }
    if let Some(v) = sc.not_before {
        x.push_str(&format!(" NotBefore=\"{}\"", t(v)));
    }
    if let Some(v) = sc.not_on_or_after {
        x.push_str(&format!(" NotOnOrAfter=\"{}\"", t(v)));
    }
    if let Some(v) = &sc.recipient {
        x.push_str(&format!(" Recipient=\"{}\"", attr_escaped(v)));
    }
    x.push_str(&format!("/></{a}SubjectConfirmation></{a}Subject>"));

    // Conditions (SAML Core §2.5)
    if let Some(c) = &spec.conditions {
        x.push_str(&format!("<{a}Conditions"));
        if let Some(v) = c.not_before {
            x.push_str(&format!(" NotBefore=\"{}\"", t(v)));
        }
        if let Some(v) = c.not_on_or_after {
            x.push_str(&format!(" NotOnOrAfter=\"{}\"", t(v)));
        }
        if c.audiences.is_empty() {
            x.push_str("/>");
        } else {
            x.push_str(&format!("><{a}AudienceRestriction>"));
            for aud in &c.audiences {
                x.push_str(&format!("<{a}Audience>{}</{a}Audience>", text_escaped(aud)));
            }
            x.push_str(&format!("</{a}AudienceRestriction></{a}Conditions>"));
        }
    }

    let authn = authn_xml(spec);
    let attrs = attributes_xml(spec);
    // entra-scim.md §7 puts the AttributeStatement first, okta-scim.md §6 the AuthnStatement first.
    if s == IdpStyle::Entra {
        x.push_str(&attrs);
        x.push_str(&authn);
    } else {
        x.push_str(&authn);
        x.push_str(&attrs);
    }
    x.push_str(&format!("</{a}Assertion>"));
    x
}

fn authn_xml(spec: &ResponseSpec) -> String {
    let s = spec.style;
    let a = names(s).a;
    let au = &spec.authn;
    let mut x = format!(
        "<{a}AuthnStatement AuthnInstant=\"{}\"",
        format_instant(s, au.authn_instant)
    );
    if let Some(v) = &au.session_index {
        x.push_str(&format!(" SessionIndex=\"{}\"", attr_escaped(v)));
    }
    if let Some(v) = au.session_not_on_or_after {
        x.push_str(&format!(
            " SessionNotOnOrAfter=\"{}\"",
            format_instant(s, v)
        ));
    }
    x.push_str(&format!(
        "><{a}AuthnContext><{a}AuthnContextClassRef>{}</{a}AuthnContextClassRef></{a}AuthnContext></{a}AuthnStatement>",
        text_escaped(&au.context_class)
    ));
    x
}

fn attributes_xml(spec: &ResponseSpec) -> String {
    // SAML Core §2.7.3: an AttributeStatement must hold at least one Attribute, so none is written when empty
    // (samael-notes.md §3 pitfall 3).
    if spec.attributes.is_empty() {
        return String::new();
    }
    let s = spec.style;
    let a = names(s).a;
    let mut x = format!("<{a}AttributeStatement>");
    for attr in &spec.attributes {
        x.push_str(&format!(
            "<{a}Attribute Name=\"{}\"",
            attr_escaped(&attr.name)
        ));
        if let Some(f) = &attr.name_format {
            x.push_str(&format!(" NameFormat=\"{}\"", attr_escaped(f)));
        }
        x.push('>');
        for v in &attr.values {
            if s == IdpStyle::Okta {
                // okta-scim.md §6: each value declares xs and xsi and says xsi:type="xs:string".
                x.push_str(&format!(
                    "<saml2:AttributeValue xmlns:xs=\"{XMLNS_XS}\" xmlns:xsi=\"{XMLNS_XSI}\" xsi:type=\"xs:string\">{}</saml2:AttributeValue>",
                    text_escaped(v)
                ));
            } else {
                x.push_str(&format!(
                    "<{a}AttributeValue>{}</{a}AttributeValue>",
                    text_escaped(v)
                ));
            }
        }
        x.push_str(&format!("</{a}Attribute>"));
    }
    x.push_str(&format!("</{a}AttributeStatement>"));
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn instants_are_utc_with_z() {
        let t = datetime!(2025-03-04 05:06:07.891 UTC);
        assert_eq!(
            format_instant(IdpStyle::Entra, t),
            "2025-03-04T05:06:07.891Z"
        );
        assert_eq!(format_instant(IdpStyle::Rfc, t), "2025-03-04T05:06:07Z");
        assert_eq!(parse_instant("2025-03-04T05:06:07.891Z"), Some(t));
        assert_eq!(parse_instant("2025-03-04T05:06:07"), None);
    }

    #[test]
    fn ids_are_ncnames_in_each_style() {
        assert_eq!(
            IdpStyle::Entra.format_id(1),
            "_00000000-0000-0000-0000-000000000001"
        );
        assert_eq!(IdpStyle::Okta.format_id(7), "id000000000000000000000000007");
        assert_eq!(
            IdpStyle::Rfc.format_id(255),
            "_000000000000000000000000000000ff"
        );
    }
}
