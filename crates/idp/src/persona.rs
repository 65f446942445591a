//! Persona ids and the wire traits each persona fixes: headers, query encoding, retries.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::DirUser;

/// Which IdP the engine plays (DESIGN.md "Personas"). Scenario files and the command
/// line write it as [`PersonaId::as_str`] gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PersonaId {
    /// Entra ID, non-gallery `scim` job, no flag (entra-scim.md §1–§4).
    Entra,
    /// Entra ID with `?aadOptscim062020` (entra-scim.md §2).
    #[serde(rename = "entra-aadopt")]
    EntraAadOpt,
    /// Okta App Integration Wizard app: PUT for every write (okta-scim.md §2).
    Okta,
    /// Okta OIN/template app with PATCH (okta-scim.md §2).
    OktaOin,
    /// A strictly RFC 7644 client.
    Rfc,
}

impl PersonaId {
    /// Every persona, in the order of DESIGN.md.
    pub const ALL: [PersonaId; 5] = [
        PersonaId::Entra,
        PersonaId::EntraAadOpt,
        PersonaId::Okta,
        PersonaId::OktaOin,
        PersonaId::Rfc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PersonaId::Entra => "entra",
            PersonaId::EntraAadOpt => "entra-aadopt",
            PersonaId::Okta => "okta",
            PersonaId::OktaOin => "okta-oin",
            PersonaId::Rfc => "rfc",
        }
    }

    pub(crate) fn family(self) -> Family {
        match self {
            PersonaId::Entra | PersonaId::EntraAadOpt => Family::Entra,
            PersonaId::Okta | PersonaId::OktaOin => Family::Okta,
            PersonaId::Rfc => Family::Rfc,
        }
    }

    /// The `externalId` this persona sends for `user`: Okta sends its user id (okta-scim.md
    /// §3 [LAB]), Entra and the rfc persona the object id (entra-scim.md §5).
    pub fn external_id(self, user: &DirUser) -> String {
        match self.family() {
            Family::Okta => user.okta_id.clone(),
            Family::Entra | Family::Rfc => user.id.clone(),
        }
    }

    /// The flag dialect of Entra (entra-scim.md §2), and lowercase ops.
    pub(crate) fn aadopt(self) -> bool {
        self == PersonaId::EntraAadOpt
    }
}

impl fmt::Display for PersonaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown persona id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown persona `{0}` (expected one of entra, entra-aadopt, okta, okta-oin, rfc)")]
pub struct UnknownPersona(pub String);

impl FromStr for PersonaId {
    type Err = UnknownPersona;

    fn from_str(s: &str) -> Result<PersonaId, UnknownPersona> {
        PersonaId::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPersona(s.to_owned()))
    }
}

/// The schema scenario files are checked against (`scenarios/schema.json`): one of the
/// ids, named `Persona` there.
impl schemars::JsonSchema for PersonaId {
    fn schema_name() -> Cow<'static, str> {
        "Persona".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A persona id as scenario files write it (DESIGN.md \"Personas\").",
            "type": "string",
            "enum": PersonaId::ALL.map(PersonaId::as_str),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Entra,
    Okta,
    Rfc,
}

/// What kind of request, for the header set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestKind {
    TestConnection,
    Read,
    Write,
    Delete,
}

/// okta-scim.md §1 "Request headers" [ROLD] [R20].
pub const OKTA_USER_AGENT: &str = "Okta SCIM Client 1.0.0";
/// The rfc persona's User-Agent.
pub const RFC_USER_AGENT: &str = concat!("scim-harness/", env!("CARGO_PKG_VERSION"));
/// entra-scim.md §1.2 [AZ12728], okta-scim.md §1 [ROLD].
pub const SCIM_JSON_UTF8: &str = "application/scim+json; charset=utf-8";
/// RFC 7644 §8.1.
pub const SCIM_JSON: &str = "application/scim+json";

impl PersonaId {
    /// Headers besides `Authorization`, in sending order.
    pub(crate) fn headers(self, kind: RequestKind) -> &'static [(&'static str, &'static str)] {
        let write = kind == RequestKind::Write;
        match self.family() {
            // entra-scim.md §3 "Headers and encoding": GETs carry no Accept and no
            // Content-Type, Test Connection no User-Agent; bodies carry scim+json utf-8.
            // No User-Agent is documented for any Entra request, so none is sent.
            Family::Entra if write => &[("content-type", SCIM_JSON_UTF8)],
            Family::Entra => &[],
            // okta-scim.md §1 "Request headers": GETs without Content-Type; the DELETE
            // example does carry it. `Accept-Encoding: gzip,deflate` is not sent: this
            // client does not decode compressed bodies.
            Family::Okta if write || kind == RequestKind::Delete => &[
                ("content-type", SCIM_JSON_UTF8),
                ("accept", SCIM_JSON),
                ("accept-charset", "utf-8"),
                ("user-agent", OKTA_USER_AGENT),
            ],
            Family::Okta => &[
                ("accept", SCIM_JSON),
                ("accept-charset", "utf-8"),
                ("user-agent", OKTA_USER_AGENT),
            ],
            Family::Rfc if write => &[
                ("content-type", SCIM_JSON),
                ("accept", SCIM_JSON),
                ("user-agent", RFC_USER_AGENT),
            ],
            Family::Rfc => &[("accept", SCIM_JSON), ("user-agent", RFC_USER_AGENT)],
        }
    }

    /// Encode one query-string value.
    pub(crate) fn encode_query(self, value: &str) -> String {
        match self.family() {
            // entra-scim.md §1.1 [AZ94189]: form encoding, space as `+`, `"` as `%22`.
            Family::Entra => encode(value, b"-_.!*()", true),
            // okta-scim.md §1 "Filters and paging" [R20]: `%20`, `%22`, `%40`.
            Family::Okta | Family::Rfc => encode(value, b"-_.~", false),
        }
    }

    /// How this persona waits out a `429`.
    pub(crate) fn rate_limit_wait(self, retry_after: Option<&str>, attempt: u32) -> Duration {
        let seconds = retry_after.and_then(|v| v.trim().parse::<u64>().ok());
        match self.family() {
            // okta-scim.md §1 "Timeouts, 429": integer seconds honoured, anything else 5
            // minutes; each further 429 doubles the previous wait.
            Family::Okta => {
                let first = Duration::from_secs(seconds.unwrap_or(300));
                first.saturating_mul(1 << attempt.min(16))
            }
            // entra-scim.md §4: "retried automatically"; whether Retry-After is honoured
            // is not documented. We honour integer seconds, else wait 60 s.
            Family::Entra => Duration::from_secs(seconds.unwrap_or(60)),
            // RFC 7231 §7.1.3 allows an HTTP-date too; this client reads only seconds.
            Family::Rfc => Duration::from_secs(seconds.unwrap_or(5)),
        }
    }

    /// How many times a 429 is retried before the operation is reported.
    pub(crate) fn rate_limit_attempts(self) -> u32 {
        match self.family() {
            // okta-scim.md §1: "after 10 attempts the task fails permanently".
            Family::Okta => 10,
            Family::Entra | Family::Rfc => 5,
        }
    }

    /// Immediate retries of a 5xx or transport failure within a cycle.
    pub(crate) fn server_error_retries(self) -> u32 {
        match self.family() {
            // entra-scim.md §4: 5xx, transport errors and timeouts are "retried in 40
            // minutes": the object is escrowed to the next cycle, not retried now.
            Family::Entra => 0,
            // okta-scim.md §7: the 5xx retry policy is undocumented; the failure becomes
            // a failed task in the Admin Console, so no immediate retry.
            Family::Okta => 0,
            Family::Rfc => 2,
        }
    }
}

/// Percent-encode `value`, keeping ASCII alphanumerics and `keep`; `plus_for_space`
/// gives `application/x-www-form-urlencoded`.
fn encode(value: &str, keep: &[u8], plus_for_space: bool) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(b as char);
        } else if b == b' ' && plus_for_space {
            out.push('+');
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

/// Encode one path segment (a target id) per RFC 3986 §3.3.
pub(crate) fn encode_segment(value: &str) -> String {
    encode(value, b"-_.~@:!$&'()*+,;=", false)
}

/// A SCIM filter string `attr eq "value"`, escaping `"` and `\` (RFC 7644 §3.4.2.2).
pub(crate) fn eq_filter(attr: &str, value: &str) -> String {
    let mut filter = String::with_capacity(attr.len() + value.len() + 8);
    filter.push_str(attr);
    filter.push_str(" eq \"");
    for c in value.chars() {
        if matches!(c, '\\' | '"') {
            filter.push('\\');
        }
        filter.push(c);
    }
    filter.push('"');
    filter
}
