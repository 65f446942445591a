//! Request bodies, persona by persona, built key by key so the JSON has the documented
//! key order (serde_json keeps insertion order in this workspace).

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::directory::{DirGroup, DirUser};
use crate::persona::{Family, PersonaId};

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
}

/// The values a persona maps for one user; an absent key means "no value".
pub(crate) type Attrs = BTreeMap<Attr, String>;

/// [`Attrs`] packed into one allocation: what the engine keeps per user between cycles
/// (a map would cost a tree node and a string per value, for every user). Each value is
/// its attribute's index, its length (u32, little-endian) and its UTF-8 bytes, in
/// attribute order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PackedAttrs(Box<[u8]>);

impl PackedAttrs {
    pub(crate) fn pack(a: &Attrs) -> PackedAttrs {
        let mut bytes = Vec::with_capacity(a.values().map(|v| v.len() + 5).sum());
        for (attr, value) in a {
            let len = u32::try_from(value.len()).unwrap_or(u32::MAX);
            bytes.push(*attr as u8);
            bytes.extend_from_slice(&len.to_le_bytes());
            bytes.extend_from_slice(&value.as_bytes()[..len as usize]);
        }
        PackedAttrs(bytes.into_boxed_slice())
    }

    /// Every value in attribute order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Attr, &str)> + '_ {
        let mut rest: &[u8] = &self.0;
        std::iter::from_fn(move || {
            let (&tag, tail) = rest.split_first()?;
            let len = u32::from_le_bytes(tail.get(..4)?.try_into().ok()?) as usize;
            let value = tail.get(4..4 + len)?;
            rest = &tail[4 + len..];
            let attr = *Attr::ALL.get(usize::from(tag))?;
            Some((attr, std::str::from_utf8(value).unwrap_or_default()))
        })
    }

    pub(crate) fn get(&self, attr: Attr) -> Option<&str> {
        self.iter().find(|(a, _)| *a == attr).map(|(_, v)| v)
    }

    /// Whether these are exactly the values of `a`.
    pub(crate) fn holds(&self, a: &Attrs) -> bool {
        self.iter().eq(a.iter().map(|(k, v)| (*k, v.as_str())))
    }
}

impl Attr {
    /// Every attribute, in declaration order (`Attr::ALL[a as usize] == a`).
    const ALL: [Attr; 10] = [
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
        }
    }

    fn is_filtered(self) -> bool {
        self == Attr::WorkEmail
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
    match persona.family() {
        Family::Okta => {
            // externalId is the Okta user id (okta-scim.md §3 [LAB]).
            put(Attr::ExternalId, Some(&user.okta_id));
        }
        Family::Entra | Family::Rfc => {
            // Grafana's required mapping: objectId → externalId (entra-scim.md §5).
            put(Attr::ExternalId, Some(&user.id));
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
        }
    }
    a
}

fn name_object(a: &Attrs, order: &[(Attr, &str)]) -> Option<Value> {
    let mut name = Map::with_capacity(order.len());
    for (k, key) in order {
        if let Some(v) = a.get(k) {
            name.insert((*key).to_owned(), text(v));
        }
    }
    (!name.is_empty()).then_some(Value::Object(name))
}

fn enterprise_object(a: &Attrs) -> Option<Value> {
    let mut ext = Map::with_capacity(2);
    if let Some(v) = a.get(&Attr::Department) {
        ext.insert("department".into(), text(v));
    }
    if let Some(v) = a.get(&Attr::EmployeeNumber) {
        ext.insert("employeeNumber".into(), text(v));
    }
    (!ext.is_empty()).then_some(Value::Object(ext))
}

/// A JSON string. `json!(v)` on a variable goes through serde's serializer (and on a
/// `&Value` copies it node by node); the create path builds its values directly.
fn text(v: &str) -> Value {
    Value::String(v.to_owned())
}

/// `[schemas…]`.
fn schemas(uris: &[&str]) -> Value {
    Value::Array(uris.iter().map(|u| text(u)).collect())
}

/// A key of the work email object; each persona lists them in its own order.
#[derive(Clone, Copy)]
enum EmailKey {
    Primary,
    Type,
    Value,
}

/// `[{"primary": true, "type": "work", "value": mail}]`, the keys in `order`.
fn work_email(mail: &str, order: [EmailKey; 3]) -> Value {
    let mut e = Map::with_capacity(3);
    for key in order {
        let (k, v) = match key {
            EmailKey::Primary => ("primary", Value::Bool(true)),
            EmailKey::Type => ("type", text("work")),
            EmailKey::Value => ("value", text(mail)),
        };
        e.insert(k.to_owned(), v);
    }
    Value::Array(vec![Value::Object(e)])
}

/// `POST /Users`.
pub(crate) fn create_user_body(persona: PersonaId, a: &Attrs, password: &str) -> Value {
    // At most 13 keys (okta); sized once instead of growing.
    let mut b = Map::with_capacity(13);
    match persona.family() {
        // entra-scim.md §1.2 "Create": enterprise URN always listed, meta.resourceType,
        // an empty roles array, nulls omitted, boolean active.
        Family::Entra => {
            b.insert("schemas".into(), schemas(&[USER_SCHEMA, ENTERPRISE]));
            insert_opt(&mut b, "externalId", a.get(&Attr::ExternalId));
            insert_opt(&mut b, "userName", a.get(&Attr::UserName));
            b.insert("active".into(), Value::Bool(true));
            insert_opt(&mut b, "displayName", a.get(&Attr::DisplayName));
            if let Some(mail) = a.get(&Attr::WorkEmail) {
                b.insert(
                    "emails".into(),
                    work_email(mail, [EmailKey::Primary, EmailKey::Type, EmailKey::Value]),
                );
            }
            let mut meta = Map::with_capacity(1);
            meta.insert("resourceType".into(), text("User"));
            b.insert("meta".into(), Value::Object(meta));
            let name = name_object(
                a,
                &[
                    (Attr::Formatted, "formatted"),
                    (Attr::FamilyName, "familyName"),
                    (Attr::GivenName, "givenName"),
                ],
            );
            insert_value(&mut b, "name", name);
            b.insert("roles".into(), Value::Array(Vec::new()));
            insert_opt(&mut b, "title", a.get(&Attr::Title));
            insert_value(&mut b, ENTERPRISE, enterprise_object(a));
        }
        // okta-scim.md §3 "Create" [R20]: password always sent, locale, groups [].
        Family::Okta => {
            b.insert("schemas".into(), schemas(&[USER_SCHEMA]));
            insert_opt(&mut b, "userName", a.get(&Attr::UserName));
            let name = name_object(
                a,
                &[
                    (Attr::GivenName, "givenName"),
                    (Attr::FamilyName, "familyName"),
                ],
            );
            insert_value(&mut b, "name", name);
            if let Some(mail) = a.get(&Attr::WorkEmail) {
                b.insert(
                    "emails".into(),
                    work_email(mail, [EmailKey::Primary, EmailKey::Value, EmailKey::Type]),
                );
            }
            insert_opt(&mut b, "displayName", a.get(&Attr::DisplayName));
            b.insert("locale".into(), text("en-US"));
            insert_opt(&mut b, "externalId", a.get(&Attr::ExternalId));
            b.insert("groups".into(), Value::Array(Vec::new()));
            b.insert("password".into(), text(password));
            b.insert("active".into(), Value::Bool(true));
        }
        // RFC 7643 §4.1 and §4.3, RFC 7644 §3.3.
        Family::Rfc => {
            let ext = enterprise_object(a);
            if ext.is_some() {
                b.insert("schemas".into(), schemas(&[USER_SCHEMA, ENTERPRISE]));
            } else {
                b.insert("schemas".into(), schemas(&[USER_SCHEMA]));
            }
            insert_opt(&mut b, "externalId", a.get(&Attr::ExternalId));
            insert_opt(&mut b, "userName", a.get(&Attr::UserName));
            let name = name_object(
                a,
                &[
                    (Attr::Formatted, "formatted"),
                    (Attr::FamilyName, "familyName"),
                    (Attr::GivenName, "givenName"),
                ],
            );
            insert_value(&mut b, "name", name);
            insert_opt(&mut b, "displayName", a.get(&Attr::DisplayName));
            insert_opt(&mut b, "title", a.get(&Attr::Title));
            if let Some(mail) = a.get(&Attr::WorkEmail) {
                b.insert(
                    "emails".into(),
                    work_email(mail, [EmailKey::Value, EmailKey::Type, EmailKey::Primary]),
                );
            }
            b.insert("active".into(), Value::Bool(true));
            insert_value(&mut b, ENTERPRISE, ext);
        }
    }
    Value::Object(b)
}

/// `key: v` when there is a value.
fn insert_opt(b: &mut Map<String, Value>, key: &str, v: Option<&String>) {
    if let Some(v) = v {
        b.insert(key.to_owned(), text(v));
    }
}

/// `key: v` when there is a value, moved in.
fn insert_value(b: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        b.insert(key.to_owned(), v);
    }
}

fn patch(ops: Vec<Value>) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

/// Entra's op spelling: capitalised without the flag, lowercase with it (entra-scim.md §2).
fn entra_op(aadopt: bool, op: &str) -> String {
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

/// `PATCH /Users/{id}` for Entra (entra-scim.md §1.4, §1.5, §2 table).
pub(crate) fn entra_user_patch(
    aadopt: bool,
    changes: &[EntraChange],
    active: Option<ActiveChange>,
) -> Value {
    let kind = |present: bool| entra_op(aadopt, if present { "replace" } else { "add" });
    let mut ops = Vec::new();
    if aadopt {
        // Filtered paths stay separate; absent attributes are single `add`s with a
        // path; present ones go into one path-less `replace` with dotted/URN keys.
        let mut merged = Map::new();
        for c in changes {
            if c.attr.is_filtered() || !c.present {
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
        let value = if aadopt {
            json!(a.active)
        } else {
            json!(if a.active { "True" } else { "False" })
        };
        ops.push(json!({"op": kind(a.present), "path": "active", "value": value}));
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

/// Entra's member PATCH: a value array for add and (unflagged) remove, one filtered
/// `remove` per member with the flag (entra-scim.md §1.7, §2 table).
pub(crate) fn entra_members_patch(aadopt: bool, add: bool, ids: &[String]) -> Value {
    if add {
        let values: Vec<Value> = ids
            .iter()
            .map(|id| {
                if aadopt {
                    json!({"value": id})
                } else {
                    json!({"$ref": null, "value": id})
                }
            })
            .collect();
        return patch(vec![
            json!({"op": entra_op(aadopt, "add"), "path": "members", "value": values}),
        ]);
    }
    if aadopt {
        let ops = ids
            .iter()
            .map(|id| json!({"op": "remove", "path": member_filter(id)}))
            .collect();
        patch(ops)
    } else {
        let values: Vec<Value> = ids
            .iter()
            .map(|id| json!({"$ref": null, "value": id}))
            .collect();
        patch(vec![
            json!({"op": "Remove", "path": "members", "value": values}),
        ])
    }
}

/// `members[value eq "…"]`.
pub(crate) fn member_filter(id: &str) -> String {
    format!(
        "members[value eq \"{}\"]",
        id.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// One member as Okta writes it: target id and userName (okta-scim.md §4).
#[derive(Debug, Clone)]
pub(crate) struct OktaMember {
    pub id: String,
    pub display: String,
}

/// okta-scim.md §4 "Membership change (AIW apps)" [R20]: the full member list.
pub(crate) fn okta_group_put(name: &str, members: &[OktaMember]) -> Value {
    let members: Vec<Value> = members
        .iter()
        .map(|m| json!({"value": m.id, "display": m.display}))
        .collect();
    json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members})
}

/// okta-scim.md §4 "Membership change (OIN/PATCH apps)" [R20]: removes with a filter
/// path each, then one `add` with an array. The rfc persona uses the same form.
pub(crate) fn okta_members_patch(removes: &[String], adds: &[OktaMember]) -> Value {
    let mut ops: Vec<Value> = removes
        .iter()
        .map(|id| json!({"op": "remove", "path": member_filter(id)}))
        .collect();
    if !adds.is_empty() {
        let values: Vec<Value> = adds
            .iter()
            .map(|m| json!({"value": m.id, "display": m.display}))
            .collect();
        ops.push(json!({"op": "add", "path": "members", "value": values}));
    }
    patch(ops)
}

#[cfg(test)]
mod tests;
