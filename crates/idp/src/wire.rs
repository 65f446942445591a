//! Request bodies, persona by persona, built key by key so the JSON has the documented
//! key order (serde_json keeps insertion order in this workspace).

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{json, Map, Value};

use crate::dialect::{Dialect, Form};
use crate::directory::{DirGroup, DirUser};
use crate::persona::{Family, PersonaId};
use crate::transport::{JsonText, RequestBody};

/// RFC 7643 §4.3.
pub(crate) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// entra-scim.md §1.7 "Create": Microsoft's second schema URI on group creates.
const ADSCIM_GROUP: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

/// A mapped SCIM attribute, named by its key in an [`Attrs`] map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Attr {
    UserName,
    ExternalId,
    DisplayName,
    Title,
    WorkEmail,
    GivenName,
    FamilyName,
    Formatted,
    EmployeeNumber,
    Department,
    /// Entra's default mappings (entra-scim.md §5), issue 17 item 4.
    PreferredLanguage,
    WorkPhone,
    MobilePhone,
    Office,
}

/// The values a persona maps for one user; an absent key means "no value".
pub(crate) type Attrs = BTreeMap<Attr, String>;

/// What the engine keeps per user between cycles of the [`Attrs`] it last sent or read:
/// which attributes had a value and a 64-bit hash of each value (issue 19: a million
/// users' values would not fit). The engine only asks "is this still the value", so a
/// hash answers it; two different values of one attribute of one user hashing alike is
/// a 1 in 2^64 chance per change. Stored as the presence mask and the present hashes in
/// attribute order ([`PackedAttrs::to_words`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PackedAttrs {
    mask: u16,
    hashes: Vec<u64>,
}

impl PackedAttrs {
    pub(crate) fn pack(a: &Attrs) -> PackedAttrs {
        let mut p = PackedAttrs::default();
        for (attr, value) in a {
            p.mask |= 1 << *attr as u16;
            p.hashes.push(value_hash(value));
        }
        p
    }

    /// The stored form: the hashes, in attribute order; `mask` says whose.
    pub(crate) fn to_words(&self) -> (u16, &[u64]) {
        (self.mask, &self.hashes)
    }

    pub(crate) fn from_words(mask: u16, hashes: impl Iterator<Item = u64>) -> PackedAttrs {
        PackedAttrs {
            mask,
            hashes: hashes.take(mask.count_ones() as usize).collect(),
        }
    }

    /// The attributes that had a value, in attribute order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = Attr> + '_ {
        Attr::ALL
            .iter()
            .copied()
            .filter(|a| self.mask & (1 << *a as u16) != 0)
    }

    /// Whether `attr` had exactly `value` (`None`: no value).
    pub(crate) fn matches(&self, attr: Attr, value: Option<&str>) -> bool {
        let bit = 1u16 << attr as u16;
        match value {
            None => self.mask & bit == 0,
            Some(v) => {
                self.mask & bit != 0
                    && self.hashes[(self.mask & (bit - 1)).count_ones() as usize] == value_hash(v)
            }
        }
    }

    /// Whether these are exactly the values of `a`.
    pub(crate) fn holds(&self, a: &Attrs) -> bool {
        self.keys().eq(a.keys().copied()) && a.iter().all(|(k, v)| self.matches(*k, Some(v)))
    }
}

/// SipHash with fixed keys: stable within a run, well spread for any input.
fn value_hash(value: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(value)
}

impl Attr {
    /// Every attribute, in declaration order (`Attr::ALL[a as usize] == a`).
    const ALL: [Attr; 14] = [
        Attr::UserName,
        Attr::ExternalId,
        Attr::DisplayName,
        Attr::Title,
        Attr::WorkEmail,
        Attr::GivenName,
        Attr::FamilyName,
        Attr::Formatted,
        Attr::EmployeeNumber,
        Attr::Department,
        Attr::PreferredLanguage,
        Attr::WorkPhone,
        Attr::MobilePhone,
        Attr::Office,
    ];

    /// The PATCH path (entra-scim.md §5 table).
    pub(crate) fn path(self) -> String {
        match self {
            Attr::UserName => "userName".into(),
            Attr::ExternalId => "externalId".into(),
            Attr::DisplayName => "displayName".into(),
            Attr::Title => "title".into(),
            Attr::WorkEmail => "emails[type eq \"work\"].value".into(),
            Attr::GivenName => "name.givenName".into(),
            Attr::FamilyName => "name.familyName".into(),
            Attr::Formatted => "name.formatted".into(),
            Attr::EmployeeNumber => format!("{ENTERPRISE}:employeeNumber"),
            Attr::Department => format!("{ENTERPRISE}:department"),
            Attr::PreferredLanguage => "preferredLanguage".into(),
            Attr::WorkPhone => "phoneNumbers[type eq \"work\"].value".into(),
            Attr::MobilePhone => "phoneNumbers[type eq \"mobile\"].value".into(),
            Attr::Office => "addresses[type eq \"work\"].formatted".into(),
        }
    }

    fn is_filtered(self) -> bool {
        matches!(
            self,
            Attr::WorkEmail | Attr::WorkPhone | Attr::MobilePhone | Attr::Office
        )
    }

    /// The current value in a target's JSON representation of the user.
    pub(crate) fn read(self, user: &Value) -> Option<String> {
        let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        match self {
            Attr::UserName => s(user.get("userName")),
            Attr::ExternalId => s(user.get("externalId")),
            Attr::DisplayName => s(user.get("displayName")),
            Attr::Title => s(user.get("title")),
            Attr::GivenName => s(user.pointer("/name/givenName")),
            Attr::FamilyName => s(user.pointer("/name/familyName")),
            Attr::Formatted => s(user.pointer("/name/formatted")),
            Attr::EmployeeNumber => s(user.get(ENTERPRISE).and_then(|e| e.get("employeeNumber"))),
            Attr::Department => s(user.get(ENTERPRISE).and_then(|e| e.get("department"))),
            Attr::PreferredLanguage => s(user.get("preferredLanguage")),
            Attr::WorkPhone => s(typed(user, "phoneNumbers", "work").and_then(|e| e.get("value"))),
            Attr::MobilePhone => {
                s(typed(user, "phoneNumbers", "mobile").and_then(|e| e.get("value")))
            }
            Attr::Office => s(typed(user, "addresses", "work").and_then(|e| e.get("formatted"))),
            Attr::WorkEmail => {
                let emails = user.get("emails")?.as_array()?;
                let work = emails.iter().find(|e| {
                    e.get("type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.eq_ignore_ascii_case("work"))
                });
                s(work.or_else(|| emails.first()).and_then(|e| e.get("value")))
            }
        }
    }
}

/// The element of the multi-valued `attr` whose `type` is `kind` (case-insensitive).
fn typed<'v>(user: &'v Value, attr: &str, kind: &str) -> Option<&'v Value> {
    user.get(attr)?.as_array()?.iter().find(|e| {
        e.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case(kind))
    })
}

/// The manager's current value in a target's JSON: a bare string or `{"value": …}`.
pub(crate) fn read_manager(user: &Value) -> Option<String> {
    let m = user.get(ENTERPRISE)?.get("manager")?;
    match m {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o.get("value").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// What each persona maps (entra-scim.md §5; okta-scim.md §3 "Create").
pub(crate) fn user_attrs(persona: PersonaId, user: &DirUser) -> Attrs {
    let p = &user.profile;
    let mut a = Attrs::new();
    let mut put = |k: Attr, v: Option<&String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            a.insert(k, v.clone());
        }
    };
    put(Attr::UserName, Some(&p.user_principal_name));
    put(Attr::DisplayName, p.display_name.as_ref());
    put(Attr::WorkEmail, p.mail.as_ref());
    put(Attr::GivenName, p.given_name.as_ref());
    put(Attr::FamilyName, p.surname.as_ref());
    // Okta: its user id (okta-scim.md §3 [LAB]); Entra: Grafana's required mapping
    // objectId → externalId (entra-scim.md §5).
    put(Attr::ExternalId, Some(&persona.external_id(user)));
    match persona.family() {
        Family::Okta => {}
        Family::Entra | Family::Rfc => {
            put(Attr::Title, p.job_title.as_ref());
            // Join(" ", [givenName], [surname]): empty parts are skipped.
            let formatted = [p.given_name.as_deref(), p.surname.as_deref()]
                .into_iter()
                .flatten()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            put(Attr::Formatted, Some(&formatted));
            put(Attr::EmployeeNumber, p.employee_id.as_ref());
            put(Attr::Department, p.department.as_ref());
            if persona.family() == Family::Entra {
                put(Attr::PreferredLanguage, p.preferred_language.as_ref());
                put(Attr::WorkPhone, p.business_phone.as_ref());
                put(Attr::MobilePhone, p.mobile_phone.as_ref());
                put(Attr::Office, p.office_location.as_ref());
            }
        }
    }
    a
}

/// `POST /Users`, written straight to JSON text in the persona's key order: the create
/// body is the engine's largest and most frequent, and built as a `Value` tree (an
/// allocation and a hashed key per member) it cost more CPU than sending it. The
/// transcript shows Okta's password as `[redacted]`.
pub(crate) fn create_user_body(
    persona: PersonaId,
    dialect: Dialect,
    a: &Attrs,
    password: &str,
) -> RequestBody {
    let body = |password| {
        JsonText::serialized(&CreateUser {
            persona,
            dialect,
            a,
            password,
        })
    };
    RequestBody {
        sent: body(password),
        redacted: (persona.family() == Family::Okta).then(|| body("[redacted]")),
    }
}

/// The create body of [`create_user_body`]; members without a value are left out.
struct CreateUser<'a> {
    persona: PersonaId,
    dialect: Dialect,
    a: &'a Attrs,
    password: &'a str,
}

impl Serialize for CreateUser<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.a;
        let mut b = s.serialize_map(None)?;
        let opt = |b: &mut S::SerializeMap, key: &str, attr: Attr| match a.get(&attr) {
            Some(v) => b.serialize_entry(key, v),
            None => Ok(()),
        };
        // An object of the attributes in `fields` that have a value; left out when none has.
        let object = |b: &mut S::SerializeMap, key: &str, fields| match Fields::of(a, fields) {
            Some(f) => b.serialize_entry(key, &f),
            None => Ok(()),
        };
        let email =
            |b: &mut S::SerializeMap, order: &'static [EmailKey]| match a.get(&Attr::WorkEmail) {
                Some(mail) => b.serialize_entry("emails", &[WorkEmail { mail, order }]),
                None => Ok(()),
            };
        let none: [&str; 0] = [];
        match self.persona.family() {
            // entra-scim.md §1.2 "Create": enterprise URN always listed, meta.resourceType,
            // an empty roles array, nulls omitted, boolean active.
            Family::Entra => {
                b.serialize_entry("schemas", &[USER_SCHEMA, ENTERPRISE])?;
                opt(&mut b, "externalId", Attr::ExternalId)?;
                opt(&mut b, "userName", Attr::UserName)?;
                b.serialize_entry("active", &true)?;
                opt(&mut b, "displayName", Attr::DisplayName)?;
                email(
                    &mut b,
                    &[EmailKey::Primary, EmailKey::Type, EmailKey::Value],
                )?;
                b.serialize_entry("meta", &Fields::Fixed(&[("resourceType", "User")]))?;
                object(&mut b, "name", FORMATTED_NAME)?;
                // Captured creates without it: Form::EntraCreateWithoutRoles.
                if !self.dialect.has(Form::EntraCreateWithoutRoles) {
                    b.serialize_entry("roles", &none)?;
                }
                opt(&mut b, "title", Attr::Title)?;
                // entra-scim.md §5 default mappings; the order among them is ours.
                opt(&mut b, "preferredLanguage", Attr::PreferredLanguage)?;
                typed_list(&mut b, a, "phoneNumbers", PHONES)?;
                typed_list(&mut b, a, "addresses", ADDRESSES)?;
                object(&mut b, ENTERPRISE, ENTERPRISE_FIELDS)?;
            }
            // okta-scim.md §3 "Create" [R20]: password always sent, locale, groups [].
            Family::Okta => {
                b.serialize_entry("schemas", &[USER_SCHEMA])?;
                opt(&mut b, "userName", Attr::UserName)?;
                object(&mut b, "name", OKTA_NAME)?;
                if self.dialect.has(Form::OktaEmailWithoutType) {
                    email(&mut b, &[EmailKey::Primary, EmailKey::Value])?;
                } else {
                    email(
                        &mut b,
                        &[EmailKey::Primary, EmailKey::Value, EmailKey::Type],
                    )?;
                }
                opt(&mut b, "displayName", Attr::DisplayName)?;
                b.serialize_entry("locale", "en-US")?;
                opt(&mut b, "externalId", Attr::ExternalId)?;
                b.serialize_entry("groups", &none)?;
                b.serialize_entry("password", self.password)?;
                b.serialize_entry("active", &true)?;
            }
            // RFC 7643 §4.1 and §4.3, RFC 7644 §3.3.
            Family::Rfc => {
                if Fields::of(a, ENTERPRISE_FIELDS).is_some() {
                    b.serialize_entry("schemas", &[USER_SCHEMA, ENTERPRISE])?;
                } else {
                    b.serialize_entry("schemas", &[USER_SCHEMA])?;
                }
                opt(&mut b, "externalId", Attr::ExternalId)?;
                opt(&mut b, "userName", Attr::UserName)?;
                object(&mut b, "name", FORMATTED_NAME)?;
                opt(&mut b, "displayName", Attr::DisplayName)?;
                opt(&mut b, "title", Attr::Title)?;
                email(
                    &mut b,
                    &[EmailKey::Value, EmailKey::Type, EmailKey::Primary],
                )?;
                b.serialize_entry("active", &true)?;
                object(&mut b, ENTERPRISE, ENTERPRISE_FIELDS)?;
            }
        }
        b.end()
    }
}

/// Entra's phone numbers on create: (attribute, type, sub-attribute).
const PHONES: &[(Attr, &str, &str)] = &[
    (Attr::WorkPhone, "work", "value"),
    (Attr::MobilePhone, "mobile", "value"),
];

/// Entra's addresses on create.
const ADDRESSES: &[(Attr, &str, &str)] = &[(Attr::Office, "work", "formatted")];

/// `key: [{"type": t, sub: value}, …]` for the entries of `entries` with a value; left
/// out when none has one.
fn typed_list<M: SerializeMap>(
    b: &mut M,
    a: &Attrs,
    key: &str,
    entries: &[(Attr, &str, &str)],
) -> Result<(), M::Error> {
    let items: Vec<BTreeMap<&str, &str>> = entries
        .iter()
        .filter_map(|(attr, kind, sub)| {
            a.get(attr)
                .map(|v| BTreeMap::from([("type", *kind), (*sub, v.as_str())]))
        })
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    b.serialize_entry(key, &items)
}

/// The name object's members on an Entra or rfc create, in order.
const FORMATTED_NAME: &[(Attr, &str)] = &[
    (Attr::Formatted, "formatted"),
    (Attr::FamilyName, "familyName"),
    (Attr::GivenName, "givenName"),
];

/// The name object's members on an Okta create, in order.
const OKTA_NAME: &[(Attr, &str)] = &[
    (Attr::GivenName, "givenName"),
    (Attr::FamilyName, "familyName"),
];

/// The enterprise extension's members on create, in order.
const ENTERPRISE_FIELDS: &[(Attr, &str)] = &[
    (Attr::Department, "department"),
    (Attr::EmployeeNumber, "employeeNumber"),
];

/// A JSON object of string members.
enum Fields<'a> {
    /// Constant members.
    Fixed(&'a [(&'a str, &'a str)]),
    /// The attributes of `order` that have a value, under their keys.
    Mapped(&'a Attrs, &'a [(Attr, &'a str)]),
}

impl<'a> Fields<'a> {
    /// `None` when none of the attributes has a value (the object is left out).
    fn of(a: &'a Attrs, order: &'a [(Attr, &'a str)]) -> Option<Fields<'a>> {
        order
            .iter()
            .any(|(k, _)| a.contains_key(k))
            .then_some(Fields::Mapped(a, order))
    }
}

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self {
            Fields::Fixed(pairs) => {
                for (k, v) in *pairs {
                    m.serialize_entry(k, v)?;
                }
            }
            Fields::Mapped(a, order) => {
                for (attr, key) in *order {
                    if let Some(v) = a.get(attr) {
                        m.serialize_entry(key, v)?;
                    }
                }
            }
        }
        m.end()
    }
}

/// A key of the work email object; each persona lists them in its own order.
#[derive(Clone, Copy)]
enum EmailKey {
    Primary,
    Type,
    Value,
}

/// `{"primary": true, "type": "work", "value": mail}`, the keys in `order` (a key left
/// out of `order` is not sent).
struct WorkEmail<'a> {
    mail: &'a str,
    order: &'static [EmailKey],
}

impl Serialize for WorkEmail<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.order.len()))?;
        for key in self.order {
            match key {
                EmailKey::Primary => m.serialize_entry("primary", &true)?,
                EmailKey::Type => m.serialize_entry("type", "work")?,
                EmailKey::Value => m.serialize_entry("value", self.mail)?,
            }
        }
        m.end()
    }
}

fn patch(ops: Vec<Value>) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

/// Entra's op spelling: capitalised without the flag, lowercase with it (entra-scim.md §2).
pub(crate) fn entra_op(aadopt: bool, op: &str) -> String {
    if aadopt {
        op.to_owned()
    } else {
        let mut c = op.chars();
        c.next()
            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
            .unwrap_or_default()
    }
}

/// One attribute change Entra sends: `add` when the target has no value, else `replace`
/// (entra-scim.md §1.4, the observed rule [QA708183]).
#[derive(Debug, Clone)]
pub(crate) struct EntraChange {
    pub attr: Attr,
    pub present: bool,
    pub value: String,
}

/// An `active` change: the value and whether the target had `active` at all.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ActiveChange {
    pub active: bool,
    pub present: bool,
}

/// `PATCH /Users/{id}` for Entra (entra-scim.md §1.4, §1.5, §2 table), with the
/// captured forms of `dialect`: `Add` for every change ([`Form::EntraAddOnUpdate`]),
/// `Add` for `active` ([`Form::EntraActiveAdd`]), `"false"` ([`Form::EntraActiveLowercase`]).
pub(crate) fn entra_user_patch(
    aadopt: bool,
    dialect: Dialect,
    changes: &[EntraChange],
    active: Option<ActiveChange>,
) -> Value {
    let add_always = dialect.has(Form::EntraAddOnUpdate);
    let kind = |present: bool| {
        entra_op(
            aadopt,
            if present && !add_always {
                "replace"
            } else {
                "add"
            },
        )
    };
    let mut ops = Vec::new();
    if aadopt {
        // Filtered paths stay separate; absent attributes are single `add`s with a
        // path; present ones go into one path-less `replace` with dotted/URN keys.
        let mut merged = Map::new();
        for c in changes {
            if c.attr.is_filtered() || !c.present || add_always {
                ops.push(json!({"op": kind(c.present), "path": c.attr.path(), "value": c.value}));
            } else {
                merged.insert(c.attr.path(), json!(c.value));
            }
        }
        if !merged.is_empty() {
            ops.push(json!({"op": "replace", "value": merged}));
        }
    } else {
        for c in changes {
            ops.push(json!({"op": kind(c.present), "path": c.attr.path(), "value": c.value}));
        }
    }
    if let Some(a) = active {
        // entra-scim.md §1.5 [COMPAT]: string "True"/"False" without the flag.
        let value = match (aadopt, dialect.has(Form::EntraActiveLowercase)) {
            (true, _) => json!(a.active),
            (false, false) => json!(if a.active { "True" } else { "False" }),
            (false, true) => json!(if a.active { "true" } else { "false" }),
        };
        let op = if dialect.has(Form::EntraActiveAdd) {
            entra_op(aadopt, "add")
        } else {
            kind(a.present)
        };
        ops.push(json!({"op": op, "path": "active", "value": value}));
    }
    patch(ops)
}

/// The manager PATCH, always separate (entra-scim.md §1.2 [AZ45885]); shape of the 2024
/// observation [SCIMSDK686]: enterprise URN path, bare string value.
pub(crate) fn entra_manager_patch(aadopt: bool, present: bool, manager_id: &str) -> Value {
    let op = entra_op(aadopt, if present { "replace" } else { "add" });
    patch(vec![json!({
        "op": op,
        "path": format!("{ENTERPRISE}:manager"),
        "value": manager_id,
    })])
}

/// The manager cleared in the directory: a `Remove` of the URN path, in the persona's op
/// casing (RFC 7644 §3.5.2.2 `remove` with a path and no value). Entra sends a manager
/// removal through its provisioning engine: Microsoft's gallery validation (2026) removes
/// a user's manager in the directory and expects a provisioning update whose manager
/// `newValue` is empty (AzureAD/SCIMReferenceCode, `SCIM-Validation-Test-Overview.md`,
/// `User_Update_Manager_Test`). The engine's exact body is not on the public record; the
/// validator's own forms (`replace` with `{"value":""}`, a `remove` op; entra-scim.md §6
/// [PRANEMS]) are sent verbatim by `users.filter-values-manager`.
pub(crate) fn manager_clear_patch(op: &str) -> Value {
    patch(vec![json!({
        "op": op,
        "path": format!("{ENTERPRISE}:manager"),
    })])
}

/// RFC 7643 §4.3: `manager` is complex with `value`.
pub(crate) fn rfc_manager_patch(manager_id: &str) -> Value {
    patch(vec![json!({
        "op": "replace",
        "path": format!("{ENTERPRISE}:manager"),
        "value": {"value": manager_id},
    })])
}

/// The rfc persona's update: `replace` for values, `remove` for cleared ones.
pub(crate) fn rfc_user_patch(changes: &[(Attr, Option<String>)], active: Option<bool>) -> Value {
    let mut ops = Vec::new();
    for (attr, value) in changes {
        match value {
            Some(v) => ops.push(json!({"op": "replace", "path": attr.path(), "value": v})),
            None => ops.push(json!({"op": "remove", "path": attr.path()})),
        }
    }
    if let Some(a) = active {
        ops.push(json!({"op": "replace", "path": "active", "value": a}));
    }
    patch(ops)
}

/// okta-scim.md §3 "Deactivate (OIN/PATCH apps)" [R20]; the reactivate body is the
/// sheet's inferred mirror image.
pub(crate) fn okta_active_patch(active: bool) -> Value {
    patch(vec![json!({"op": "replace", "value": {"active": active}})])
}

/// okta-scim.md §3 "Update: GET, then PUT the whole resource": the last GET response
/// with the managed attributes changed and unknown fields kept [FZ].
pub(crate) fn okta_put_body(current: &Value, a: &Attrs, active: Option<bool>) -> Value {
    let mut b = match current {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    let mut set = |key: &str, v: Option<&String>| match v {
        Some(v) => {
            b.insert(key.to_owned(), json!(v));
        }
        None => {
            b.remove(key);
        }
    };
    set("userName", a.get(&Attr::UserName));
    set("displayName", a.get(&Attr::DisplayName));
    let mut name = match b.get("name") {
        Some(Value::Object(n)) => n.clone(),
        _ => Map::new(),
    };
    for (attr, key) in [
        (Attr::GivenName, "givenName"),
        (Attr::FamilyName, "familyName"),
    ] {
        match a.get(&attr) {
            Some(v) => {
                name.insert(key.into(), json!(v));
            }
            None => {
                name.remove(key);
            }
        }
    }
    if !name.is_empty() {
        b.insert("name".into(), Value::Object(name));
    }
    if let Some(mail) = a.get(&Attr::WorkEmail) {
        let mut emails = b
            .get("emails")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let slot = emails.iter().position(|e| {
            e.get("primary") == Some(&json!(true))
                || e.get("type").and_then(Value::as_str) == Some("work")
        });
        match slot {
            Some(i) => {
                if let Some(Value::Object(e)) = emails.get_mut(i) {
                    e.insert("value".into(), json!(mail));
                }
            }
            None => emails.push(json!({"primary": true, "value": mail, "type": "work"})),
        }
        b.insert("emails".into(), Value::Array(emails));
    }
    // Okta adds its own id when the target lacks it [FZ].
    if let Some(ext) = a.get(&Attr::ExternalId) {
        b.insert("externalId".into(), json!(ext));
    }
    if let Some(active) = active {
        b.insert("active".into(), json!(active));
    }
    if !b.contains_key("schemas") {
        b.insert("schemas".into(), json!([USER_SCHEMA]));
    }
    Value::Object(b)
}

/// `POST /Groups`.
pub(crate) fn create_group_body(persona: PersonaId, g: &DirGroup) -> Value {
    match persona.family() {
        // entra-scim.md §1.7 "Create" [TUT]: no members, two schema URIs, meta.
        Family::Entra => json!({
            "schemas": [GROUP_SCHEMA, ADSCIM_GROUP],
            "externalId": g.id,
            "displayName": g.display_name,
            "meta": {"resourceType": "Group"},
        }),
        // okta-scim.md §4 "Create" [R20].
        Family::Okta => json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": g.display_name,
            "members": [],
        }),
        Family::Rfc => json!({
            "schemas": [GROUP_SCHEMA],
            "externalId": g.id,
            "displayName": g.display_name,
        }),
    }
}

/// A group rename by PATCH.
pub(crate) fn rename_group_patch(persona: PersonaId, target_id: &str, name: &str) -> Value {
    match persona {
        // entra-scim.md §1.7 "Rename" [TUT].
        PersonaId::Entra => patch(vec![
            json!({"op": "Replace", "path": "displayName", "value": name}),
        ]),
        // entra-scim.md §2 table: with the flag, non-filtered attributes go into one
        // path-less `replace`.
        PersonaId::EntraAadOpt => patch(vec![
            json!({"op": "replace", "value": {"displayName": name}}),
        ]),
        // okta-scim.md §4 "Rename (OIN/PATCH apps)" [R20]: id and displayName in value.
        PersonaId::OktaOin | PersonaId::Okta => patch(vec![json!({
            "op": "replace",
            "value": {"id": target_id, "displayName": name},
        })]),
        PersonaId::Rfc => patch(vec![
            json!({"op": "replace", "path": "displayName", "value": name}),
        ]),
    }
}

mod members;
pub(crate) use members::{
    entra_members_patch, okta_group_put, okta_members_patch, okta_members_replace,
    okta_members_replace_pathless, OktaMember,
};

#[cfg(test)]
mod tests;
