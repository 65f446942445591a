//! RFC 7644 §3.5.2 PATCH application to a resource's SCIM JSON.
//!
//! The whole request is applied to a copy and committed only if every operation
//! succeeds, so a failed PATCH leaves the resource unchanged.
//!
//! Dialects accepted (reference/entra-scim.md §1.4–1.7, §2; reference/okta-scim.md §3–4):
//! - `op` in any letter case (parsed by [`PatchOpKind`](crate::model::PatchOpKind));
//! - values coerced to the schema type: `"True"`/`"False"` become booleans, a bare or
//!   one-element-array `manager` becomes `{"value": …}`, a single object for a
//!   multi-valued attribute becomes a one-element array;
//! - path-less `add`/`replace` whose value object has plain keys, dotted keys
//!   (`name.givenName`), URN-prefixed keys (`urn:…:enterprise:2.0:User:employeeNumber`)
//!   or an extension URN key holding an object;
//! - `remove` on a multi-valued attribute with a `value` array removes exactly the
//!   listed elements (Entra's member removal), never all of them;
//! - an unprefixed enterprise attribute name (`manager`) resolves to the enterprise
//!   extension when the core schema has no such attribute (Entra's manager PATCH).
//!
//! Decisions where the RFC or the fact sheets are silent:
//! - Unknown attributes: a syntactically valid top-level name that no schema defines
//!   (or an attribute under an unknown extension URN) is stored as given, because Entra
//!   and Okta send custom attributes and rejecting them breaks real traffic. An unknown
//!   sub-attribute of a known complex attribute, or an unknown attribute under the
//!   enterprise URN, is `invalidPath`: those schemas are closed and the name is a typo.
//! - `remove` without a path is `noTarget` (RFC 7644 §3.5.2.2).
//! - `remove` with a value filter that matches nothing succeeds and changes nothing, so
//!   membership removal stays idempotent (Okta and Entra may remove a member the target
//!   has already dropped).
//! - `replace` with a value filter that matches nothing is `noTarget` (RFC 7644
//!   §3.5.2.3), except when the path ends in a sub-attribute and the filter is a
//!   conjunction of `eq` comparisons (`emails[type eq "work"].value`): then the element is
//!   created from the filter's equalities plus the value, as Entra expects. `add` to such
//!   a path creates the element the same way. No `primary` is invented.
//! - Read-only attributes (`id`, `meta`, `groups`, `schemas`) named by a path are
//!   `mutability`. In a path-less value object, a read-only attribute whose value equals
//!   the current one is ignored (Okta's group rename echoes `id`); a different value is
//!   `mutability`.
//! - A complex single-valued value carrying `value` (a manager) replaces the previous
//!   object; otherwise sub-attributes are merged (RFC 7644 §3.5.2.1, §3.5.2.3).
//! - Adding to a multi-valued attribute skips elements already present (same `value`,
//!   and same `type` when both have one); a new element with `primary: true` clears
//!   `primary` on the others (RFC 7643 §2.4).
//! - `replace` or `add` with a null value, or a value that coerces to null (an empty
//!   manager), unassigns the attribute, and so does `replace` with `[]` (RFC 7643
//!   §2.5); null sub-attributes (Entra's `"$ref": null`) are not stored. `add` without
//!   any `value`, or with `"value": null` and a path, is `invalidValue`.
//! - Removing or emptying a required attribute (`userName`, a group's `displayName`)
//!   that the resource had is `invalidValue`.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::filter::{CompareOp, Filter};
use crate::model::{find_key, PatchOpKind, PatchOperation, PatchRequest};
use crate::path::{AttrPath, PatchPath};
use crate::schema::{
    coerce_single, coerce_value, AttrLocation, AttrType, AttributeDef, Mutability, ResourceSchema,
};

/// RFC 7644 §3.5.2: apply every operation to the full SCIM JSON of a resource (with
/// id, meta, schemas). Atomic: on error the resource is unchanged.
pub fn apply(
    resource: &mut Value,
    request: &PatchRequest,
    schema: &ResourceSchema,
) -> Result<(), ScimError> {
    let Value::Object(original) = &*resource else {
        return Err(ScimError::invalid_syntax(
            "resource to patch is not a json object",
        ));
    };
    let mut work = original.clone();
    for (i, op) in request.operations.iter().enumerate() {
        apply_operation(&mut work, op, schema).map_err(|e| ScimError {
            detail: format!("operation {} ({}): {}", i + 1, op.op.as_str(), e.detail),
            ..e
        })?;
    }
    check_required(original, &work, schema)?;
    *resource = Value::Object(work);
    Ok(())
}

/// How an operation was addressed: by its `path`, or as a key of a path-less value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    PathLess,
}

fn apply_operation(
    obj: &mut Map<String, Value>,
    op: &PatchOperation,
    schema: &ResourceSchema,
) -> Result<(), ScimError> {
    let path = op.path.as_deref().map(str::trim).filter(|p| !p.is_empty());
    match (path, op.op) {
        // RFC 7644 §3.5.2.2
        (None, PatchOpKind::Remove) => Err(ScimError::no_target("remove requires a path")),
        (None, kind) => {
            let value = match &op.value {
                None | Some(Value::Null) => {
                    return Err(ScimError::invalid_value(format!(
                        "{} without a path requires a value",
                        kind.as_str()
                    )))
                }
                Some(Value::Object(map)) => map,
                Some(_) => {
                    return Err(ScimError::invalid_value(format!(
                        "{} without a path requires an object value",
                        kind.as_str()
                    )))
                }
            };
            apply_object(obj, kind, None, value, schema)
        }
        (Some(p), kind) => {
            let path = PatchPath::parse(p)?;
            apply_path(obj, kind, &path, op.value.as_ref(), schema, Mode::Path)
        }
    }
}

/// Apply each key of a path-less value object (or of an extension object when `urn`
/// is given) as its own operation.
fn apply_object(
    obj: &mut Map<String, Value>,
    kind: PatchOpKind,
    urn: Option<&str>,
    value: &Map<String, Value>,
    schema: &ResourceSchema,
) -> Result<(), ScimError> {
    for (key, v) in value {
        if urn.is_none() && key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if urn.is_none() {
            if let Some(ext) = schema.extension(key) {
                match v {
                    Value::Object(inner) => {
                        apply_object(obj, kind, Some(ext.id), inner, schema)?;
                        continue;
                    }
                    Value::Null => {
                        remove_extension(obj, ext.id);
                        continue;
                    }
                    other => {
                        return Err(ScimError::invalid_value(format!(
                            "`{}` must be an object, found {}",
                            ext.id,
                            crate::schema::json_kind(other)
                        )))
                    }
                }
            }
        }
        let mut path = PatchPath::parse(key).map_err(|e| ScimError::invalid_path(e.detail))?;
        if let Some(urn) = urn {
            if path.attr.urn.is_some() {
                return Err(ScimError::invalid_path(format!(
                    "key `{key}` inside `{urn}` must not carry a urn"
                )));
            }
            path.attr.urn = Some(urn.to_owned());
        } else if path.attr.urn.is_some()
            && !path.attr.is_schema_only()
            && v.is_object()
            && is_unknown_urn(&path.attr, schema)
        {
            // An unknown extension URN holding an object: store it as an extension.
            let container = entry_object(obj, key)?;
            for (k, inner) in v.as_object().into_iter().flatten() {
                container.insert(k.clone(), inner.clone());
            }
            add_schema_urn(obj, key);
            continue;
        }
        apply_path(obj, kind, &path, Some(v), schema, Mode::PathLess)?;
    }
    Ok(())
}

fn is_unknown_urn(path: &AttrPath, schema: &ResourceSchema) -> bool {
    path.urn
        .as_deref()
        .is_some_and(|u| !u.eq_ignore_ascii_case(schema.id) && schema.extension(u).is_none())
}

/// Where the attribute lives.
#[derive(Debug, Clone)]
enum Container {
    Core,
    Extension(String),
}

/// A resolved PATCH target.
struct Target<'p> {
    def: Option<&'static AttributeDef>,
    /// Key of the top-level attribute inside its container.
    name: String,
    container: Container,
    /// Sub-attribute named by `attr.sub` or after a value filter, with its definition.
    sub: Option<(String, Option<&'static AttributeDef>)>,
    filter: Option<&'p Filter>,
    label: String,
}

fn resolve<'p>(path: &'p PatchPath, schema: &ResourceSchema) -> Result<Target<'p>, ScimError> {
    let attr = &path.attr;
    let label = path_label(path);
    let (def, name, container) = match schema.resolve_top(attr) {
        Some((def, AttrLocation::Core)) => (Some(def), def.name.to_owned(), Container::Core),
        Some((def, AttrLocation::Extension(urn))) => (
            Some(def),
            def.name.to_owned(),
            Container::Extension(urn.to_owned()),
        ),
        None => match attr.urn.as_deref() {
            None => {
                if attr.attr.eq_ignore_ascii_case("schemas") {
                    return Err(ScimError::mutability("attribute `schemas` is readOnly"));
                }
                (None, attr.attr.clone(), Container::Core)
            }
            Some(u) if u.eq_ignore_ascii_case(schema.id) => {
                (None, attr.attr.clone(), Container::Core)
            }
            Some(u) if schema.extension(u).is_some() => {
                return Err(ScimError::invalid_path(format!(
                    "unknown attribute `{}` in schema `{u}`",
                    attr.attr
                )));
            }
            Some(u) if is_other_core_schema(u) => {
                return Err(ScimError::invalid_path(format!(
                    "schema `{u}` does not apply to a {} resource",
                    schema.name
                )));
            }
            Some(u) => (None, attr.attr.clone(), Container::Extension(u.to_owned())),
        },
    };
    let sub_name = attr.sub_attr.as_ref().or(path.sub_attr.as_ref());
    let sub = match (sub_name, def) {
        (None, _) => None,
        (Some(s), Some(d)) if d.ty == AttrType::Complex => match d.sub_attribute(s) {
            Some(sd) => Some((sd.name.to_owned(), Some(sd))),
            None => {
                return Err(ScimError::invalid_path(format!(
                    "unknown sub-attribute `{s}` of `{}`",
                    d.name
                )));
            }
        },
        (Some(s), Some(d)) => {
            return Err(ScimError::invalid_path(format!(
                "attribute `{}` is not complex and has no sub-attribute `{s}`",
                d.name
            )));
        }
        (Some(s), None) => Some((s.clone(), None)),
    };
    if path.filter.is_some() {
        if let Some(d) = def {
            if !d.multi_valued || d.ty != AttrType::Complex {
                return Err(ScimError::invalid_path(format!(
                    "a value filter needs a multi-valued complex attribute, `{}` is not one",
                    d.name
                )));
            }
        }
    }
    Ok(Target {
        def,
        name,
        container,
        sub,
        filter: path.filter.as_ref(),
        label,
    })
}

fn is_other_core_schema(urn: &str) -> bool {
    [crate::model::USER_SCHEMA, crate::model::GROUP_SCHEMA]
        .iter()
        .any(|u| u.eq_ignore_ascii_case(urn))
}

fn path_label(path: &PatchPath) -> String {
    let mut s = path.attr.to_string();
    if let Some(f) = &path.filter {
        s.push_str(&format!("[{f}]"));
    }
    if let Some(sub) = &path.sub_attr {
        s.push('.');
        s.push_str(sub);
    }
    s
}

fn apply_path(
    obj: &mut Map<String, Value>,
    kind: PatchOpKind,
    path: &PatchPath,
    value: Option<&Value>,
    schema: &ResourceSchema,
    mode: Mode,
) -> Result<(), ScimError> {
    if path.attr.is_schema_only() {
        return apply_schema_path(obj, kind, path, value, schema);
    }
    let target = resolve(path, schema)?;

    // RFC 7643 §7 mutability.
    let read_only = target
        .def
        .is_some_and(|d| d.mutability == Mutability::ReadOnly)
        || target
            .sub
            .as_ref()
            .and_then(|(_, d)| *d)
            .is_some_and(|d| d.mutability == Mutability::ReadOnly);
    if read_only {
        if mode == Mode::PathLess && kind != PatchOpKind::Remove && target.filter.is_none() {
            let current = read_current(obj, &target);
            let new = match (target.def, value) {
                (Some(d), Some(v)) if target.sub.is_none() => {
                    coerce_value(d, v.clone(), &target.label).ok()
                }
                (_, v) => v.cloned(),
            };
            if equivalent(current.as_ref(), new.as_ref()) {
                return Ok(());
            }
        }
        return Err(ScimError::mutability(format!(
            "attribute `{}` is readOnly",
            target.label
        )));
    }

    match kind {
        PatchOpKind::Remove => remove(obj, &target, value),
        PatchOpKind::Add | PatchOpKind::Replace => {
            let Some(value) = value else {
                return Err(ScimError::invalid_value(format!(
                    "{} of `{}` requires a value",
                    kind.as_str(),
                    target.label
                )));
            };
            if kind == PatchOpKind::Add && value.is_null() && mode == Mode::Path {
                return Err(ScimError::invalid_value(format!(
                    "add of `{}` requires a non-null value",
                    target.label
                )));
            }
            set(obj, kind, &target, value)
        }
    }
}

/// A path that is a whole schema URN: the core schema (like a path-less operation) or
/// an extension (its object).
fn apply_schema_path(
    obj: &mut Map<String, Value>,
    kind: PatchOpKind,
    path: &PatchPath,
    value: Option<&Value>,
    schema: &ResourceSchema,
) -> Result<(), ScimError> {
    let urn = path.attr.urn.as_deref().unwrap_or_default();
    if path.filter.is_some() || path.sub_attr.is_some() {
        return Err(ScimError::invalid_path(format!(
            "`{urn}` is a schema, not a multi-valued attribute"
        )));
    }
    let ext = schema.extension(urn);
    let is_core = urn.eq_ignore_ascii_case(schema.id);
    if ext.is_none() && !is_core {
        return Err(ScimError::invalid_path(format!(
            "schema `{urn}` does not apply to a {} resource",
            schema.name
        )));
    }
    match (kind, ext) {
        (PatchOpKind::Remove, Some(ext)) => {
            remove_extension(obj, ext.id);
            Ok(())
        }
        (PatchOpKind::Remove, None) => Err(ScimError::invalid_path(format!(
            "the core schema `{urn}` cannot be removed"
        ))),
        (_, ext) => match value {
            Some(Value::Object(map)) => apply_object(obj, kind, ext.map(|e| e.id), map, schema),
            Some(Value::Null) if ext.is_some() => {
                remove_extension(obj, urn);
                Ok(())
            }
            _ => Err(ScimError::invalid_value(format!(
                "{} of `{urn}` requires an object value",
                kind.as_str()
            ))),
        },
    }
}

/// The current value the target names (whole attribute or a sub-attribute of a
/// single-valued complex attribute).
fn read_current(obj: &Map<String, Value>, target: &Target<'_>) -> Option<Value> {
    let container = match &target.container {
        Container::Core => obj,
        Container::Extension(urn) => find_key(obj, urn)?.as_object()?,
    };
    let top = find_key(container, &target.name)?;
    match &target.sub {
        None => Some(top.clone()),
        Some((s, _)) => top.as_object().and_then(|o| find_key(o, s)).cloned(),
    }
}

/// RFC 7643 §2.5: unassigned, null and an empty array are the same state.
fn equivalent(a: Option<&Value>, b: Option<&Value>) -> bool {
    let empty = |v: Option<&Value>| match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(items)) => items.is_empty(),
        _ => false,
    };
    if empty(a) || empty(b) {
        return empty(a) && empty(b);
    }
    a == b
}

/// The object holding the target's attribute, created when missing.
fn container_mut<'a>(
    obj: &'a mut Map<String, Value>,
    container: &Container,
) -> Result<&'a mut Map<String, Value>, ScimError> {
    match container {
        Container::Core => Ok(obj),
        Container::Extension(urn) => {
            add_schema_urn(obj, urn);
            entry_object(obj, urn)
        }
    }
}

/// The object under `key` (matched case-insensitively, renamed to `key`), created when
/// missing.
fn entry_object<'a>(
    obj: &'a mut Map<String, Value>,
    key: &str,
) -> Result<&'a mut Map<String, Value>, ScimError> {
    let existing = take_key(obj, key);
    let value = match existing {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v @ Value::Object(_)) => v,
        Some(_) => {
            return Err(ScimError::invalid_value(format!(
                "`{key}` holds a value that is not an object"
            )))
        }
    };
    obj.insert(key.to_owned(), value);
    match obj.get_mut(key) {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(ScimError::invalid_value(format!(
            "`{key}` holds a value that is not an object"
        ))),
    }
}

/// Remove every key equal to `key` ignoring case; return the exact match, else the
/// first other.
fn take_key(obj: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let exact = obj.shift_remove(key);
    let others: Vec<String> = obj
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(key))
        .cloned()
        .collect();
    let mut found = exact;
    for k in others {
        let v = obj.shift_remove(&k);
        if found.is_none() {
            found = v;
        }
    }
    found
}

/// Set `key` to `value` in place of any case variant, keeping its position if present.
fn put_key(obj: &mut Map<String, Value>, key: &str, value: Value) {
    if let Some(existing) = obj.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned() {
        if existing != key {
            take_key(obj, key);
        }
    }
    obj.insert(key.to_owned(), value);
}

fn add_schema_urn(obj: &mut Map<String, Value>, urn: &str) {
    let schemas = obj
        .entry("schemas")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = schemas {
        if !items
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
        {
            items.push(Value::String(urn.to_owned()));
        }
    }
}

fn remove_extension(obj: &mut Map<String, Value>, urn: &str) {
    take_key(obj, urn);
    if let Some(Value::Array(items)) = obj.get_mut("schemas") {
        items.retain(|s| !s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)));
    }
}

/// Drop an extension object left empty by a removal.
fn prune_extension(obj: &mut Map<String, Value>, container: &Container) {
    if let Container::Extension(urn) = container {
        if find_key(obj, urn)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            remove_extension(obj, urn);
        }
    }
}

fn coerce(def: Option<&AttributeDef>, value: &Value, label: &str) -> Result<Value, ScimError> {
    match def {
        Some(d) => coerce_value(d, value.clone(), label),
        None => Ok(value.clone()),
    }
}

fn coerce_one(def: Option<&AttributeDef>, value: &Value, label: &str) -> Result<Value, ScimError> {
    match def {
        Some(d) => coerce_single(d, value.clone(), label),
        None => Ok(value.clone()),
    }
}

/// RFC 7644 §3.5.2.1 add and §3.5.2.3 replace.
fn set(
    obj: &mut Map<String, Value>,
    kind: PatchOpKind,
    target: &Target<'_>,
    value: &Value,
) -> Result<(), ScimError> {
    let multi = target
        .def
        .map_or_else(|| value.is_array(), |d| d.multi_valued);
    if let Some(filter) = target.filter {
        return set_filtered(obj, kind, target, filter, value);
    }
    let label = target.label.as_str();
    match &target.sub {
        // `name.givenName`, `manager.value`, `emails.value`
        Some((sub, sub_def)) => {
            let new = coerce(*sub_def, value, label)?;
            let container = container_mut(obj, &target.container)?;
            if multi {
                let items = match find_key(container, &target.name) {
                    Some(Value::Array(items)) if !items.is_empty() => items.clone(),
                    _ => vec![Value::Object(Map::new())],
                };
                let items = items
                    .into_iter()
                    .map(|mut item| {
                        if let Value::Object(o) = &mut item {
                            set_or_clear(o, sub, new.clone());
                        }
                        item
                    })
                    .collect();
                put_key(container, &target.name, Value::Array(items));
            } else {
                let parent = entry_object(container, &target.name)?;
                set_or_clear(parent, sub, new);
                if parent.is_empty() {
                    take_key(container, &target.name);
                }
            }
            prune_extension(obj, &target.container);
            Ok(())
        }
        None => {
            let new = coerce(target.def, value, label)?;
            let container = container_mut(obj, &target.container)?;
            if new.is_null() {
                take_key(container, &target.name);
            } else if multi {
                let new_items = match new {
                    Value::Array(items) => items,
                    single => vec![single],
                };
                let mut items = match (kind, find_key(container, &target.name)) {
                    (PatchOpKind::Add, Some(Value::Array(items))) => items.clone(),
                    _ => Vec::new(),
                };
                let value_def = target.def.and_then(|d| d.sub_attribute("value"));
                for item in new_items {
                    match items.iter().position(|e| same_element(value_def, e, &item)) {
                        // Already present: a replace keeps the newer copy, an add keeps the old.
                        Some(i) if kind == PatchOpKind::Replace => items[i] = item,
                        Some(_) => {}
                        None => items.push(item),
                    }
                }
                normalize_primary(&mut items);
                if items.is_empty() {
                    // RFC 7643 §2.5: an empty array is unassigned.
                    take_key(container, &target.name);
                } else {
                    put_key(container, &target.name, Value::Array(items));
                }
            } else if let (Some(d), Value::Object(new_obj)) = (target.def, &new) {
                // Complex single-valued: a value with `value` (a manager) replaces the
                // object; otherwise sub-attributes are merged.
                if d.ty == AttrType::Complex && !new_obj.contains_key("value") {
                    let parent = entry_object(container, &target.name)?;
                    for (k, v) in new_obj {
                        set_or_clear(parent, k, v.clone());
                    }
                    if parent.is_empty() {
                        take_key(container, &target.name);
                    }
                } else {
                    put_key(container, &target.name, new);
                }
            } else {
                put_key(container, &target.name, new);
            }
            prune_extension(obj, &target.container);
            Ok(())
        }
    }
}

fn set_or_clear(obj: &mut Map<String, Value>, key: &str, value: Value) {
    if value.is_null() {
        take_key(obj, key);
    } else {
        put_key(obj, key, value);
    }
}

/// Two elements of a multi-valued attribute are the same when their `value`s are equal
/// (caseExact per `value_def`) and their `type`s, when both have one, are equal.
fn same_element(value_def: Option<&AttributeDef>, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            match (find_key(x, "value"), find_key(y, "value")) {
                (Some(vx), Some(vy)) => {
                    let values_equal = match (vx, vy) {
                        (Value::String(sx), Value::String(sy)) => {
                            if value_def.is_some_and(|d| d.case_exact) {
                                sx == sy
                            } else {
                                sx.to_lowercase() == sy.to_lowercase()
                            }
                        }
                        _ => vx == vy,
                    };
                    let types_equal = match (find_key(x, "type"), find_key(y, "type")) {
                        (Some(Value::String(tx)), Some(Value::String(ty))) => {
                            tx.eq_ignore_ascii_case(ty)
                        }
                        _ => true,
                    };
                    values_equal && types_equal
                }
                _ => x == y,
            }
        }
        _ => a == b,
    }
}

/// RFC 7643 §2.4: at most one `primary: true`; the last one set wins.
fn normalize_primary(items: &mut [Value]) {
    let last = items.iter().rposition(|e| {
        e.as_object().and_then(|o| find_key(o, "primary")) == Some(&Value::Bool(true))
    });
    if let Some(last) = last {
        for (i, item) in items.iter_mut().enumerate() {
            if i != last {
                if let Value::Object(o) = item {
                    if find_key(o, "primary") == Some(&Value::Bool(true)) {
                        put_key(o, "primary", Value::Bool(false));
                    }
                }
            }
        }
    }
}

/// Add or replace through a value filter: `emails[type eq "work"].value`,
/// `members[value eq "x"]`.
fn set_filtered(
    obj: &mut Map<String, Value>,
    kind: PatchOpKind,
    target: &Target<'_>,
    filter: &Filter,
    value: &Value,
) -> Result<(), ScimError> {
    let label = target.label.as_str();
    let new = match &target.sub {
        Some((_, sub_def)) => coerce(*sub_def, value, label)?,
        None => {
            let v = coerce_one(target.def, value, label)?;
            if !v.is_object() {
                return Err(ScimError::invalid_value(format!(
                    "`{label}` requires an object value"
                )));
            }
            v
        }
    };
    let container = container_mut(obj, &target.container)?;
    let mut items = match find_key(container, &target.name) {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "`{}` is not multi-valued",
                target.name
            )))
        }
    };
    let matched: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, e)| element_matches(filter, e, target.def))
        .map(|(i, _)| i)
        .collect();
    if let Some((_, sub_def)) = &target.sub {
        if !matched.is_empty() && sub_def.is_some_and(|d| d.mutability == Mutability::Immutable) {
            return Err(ScimError::mutability(format!(
                "sub-attribute `{label}` is immutable"
            )));
        }
    }
    if matched.is_empty() {
        // Entra: create the element the filter describes.
        let creatable = kind == PatchOpKind::Add || target.sub.is_some();
        let Some(mut element) = creatable.then(|| element_from_filter(filter)).flatten() else {
            return Err(ScimError::no_target(format!(
                "no value of `{}` matches the filter in `{label}`",
                target.name
            )));
        };
        match (&target.sub, new) {
            (Some((sub, _)), v) => set_or_clear(&mut element, sub, v),
            (None, Value::Object(fields)) => {
                for (k, v) in fields {
                    set_or_clear(&mut element, &k, v);
                }
            }
            (None, _) => {}
        }
        items.push(Value::Object(element));
    } else {
        for i in &matched {
            let Value::Object(element) = &mut items[*i] else {
                continue;
            };
            match (&target.sub, &new) {
                (Some((sub, _)), v) => set_or_clear(element, sub, v.clone()),
                (None, Value::Object(fields)) if kind == PatchOpKind::Replace => {
                    // RFC 7644 §3.5.2.3: the matched value is replaced.
                    *element = fields.clone();
                }
                (None, Value::Object(fields)) => {
                    for (k, v) in fields {
                        set_or_clear(element, k, v.clone());
                    }
                }
                (None, _) => {}
            }
        }
    }
    normalize_primary(&mut items);
    put_key(container, &target.name, Value::Array(items));
    Ok(())
}

fn element_matches(filter: &Filter, element: &Value, def: Option<&AttributeDef>) -> bool {
    match def {
        Some(d) => filter.matches_element(element, d),
        None => filter.matches_element(element, &GENERIC_ELEMENT),
    }
}

/// Stand-in parent for elements of attributes no schema defines.
static GENERIC_ELEMENT: AttributeDef = AttributeDef::new("", AttrType::Complex);

/// The element a conjunction of `eq` comparisons describes: `type eq "work"` gives
/// `{"type":"work"}`. `None` for any other filter.
fn element_from_filter(filter: &Filter) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    fn walk(f: &Filter, out: &mut Map<String, Value>) -> bool {
        match f {
            Filter::And(a, b) => walk(a, out) && walk(b, out),
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if path.sub_attr.is_none() && path.urn.is_none() && !value.is_null() => {
                out.insert(path.attr.clone(), value.clone());
                true
            }
            _ => false,
        }
    }
    walk(filter, &mut out).then_some(out)
}

/// RFC 7644 §3.5.2.2 remove.
fn remove(
    obj: &mut Map<String, Value>,
    target: &Target<'_>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let container = match &target.container {
        Container::Core => &mut *obj,
        Container::Extension(urn) => match obj.get_mut(urn.as_str()) {
            Some(Value::Object(map)) => map,
            _ => match obj.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(urn)) {
                Some((_, Value::Object(map))) => map,
                _ => return Ok(()),
            },
        },
    };
    let multi = target.def.map_or_else(
        || matches!(find_key(container, &target.name), Some(Value::Array(_))),
        |d| d.multi_valued,
    );
    if let Some(filter) = target.filter {
        let Some(Value::Array(items)) = find_key(container, &target.name).cloned() else {
            return Ok(());
        };
        let mut kept = Vec::with_capacity(items.len());
        for mut item in items {
            if !element_matches(filter, &item, target.def) {
                kept.push(item);
                continue;
            }
            if let (Some((sub, sub_def)), Value::Object(element)) = (&target.sub, &mut item) {
                if sub_def.is_some_and(|d| d.mutability == Mutability::Immutable) {
                    return Err(ScimError::mutability(format!(
                        "sub-attribute `{}` is immutable",
                        target.label
                    )));
                }
                take_key(element, sub);
                if !element.is_empty() {
                    kept.push(item);
                }
            }
        }
        if kept.is_empty() {
            take_key(container, &target.name);
        } else {
            put_key(container, &target.name, Value::Array(kept));
        }
    } else if let Some((sub, _)) = &target.sub {
        match find_key(container, &target.name).cloned() {
            Some(Value::Array(items)) => {
                let items: Vec<Value> = items
                    .into_iter()
                    .filter_map(|mut item| {
                        if let Value::Object(o) = &mut item {
                            take_key(o, sub);
                            if o.is_empty() {
                                return None;
                            }
                        }
                        Some(item)
                    })
                    .collect();
                if items.is_empty() {
                    take_key(container, &target.name);
                } else {
                    put_key(container, &target.name, Value::Array(items));
                }
            }
            Some(Value::Object(mut o)) => {
                take_key(&mut o, sub);
                if o.is_empty() {
                    take_key(container, &target.name);
                } else {
                    put_key(container, &target.name, Value::Object(o));
                }
            }
            _ => {}
        }
    } else if let (true, Some(v)) = (multi, value.filter(|v| !v.is_null())) {
        // Entra: `Remove` on `members` with a value array removes exactly those values.
        let listed: Vec<Value> = match v {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        let listed: Vec<Value> = listed
            .into_iter()
            .map(|item| match item {
                Value::String(s) => {
                    let mut m = Map::new();
                    m.insert("value".to_owned(), Value::String(s));
                    Value::Object(m)
                }
                other => other,
            })
            .collect();
        let value_def = target.def.and_then(|d| d.sub_attribute("value"));
        if let Some(Value::Array(items)) = find_key(container, &target.name).cloned() {
            let kept: Vec<Value> = items
                .into_iter()
                .filter(|e| !listed.iter().any(|l| same_element(value_def, e, l)))
                .collect();
            if kept.is_empty() {
                take_key(container, &target.name);
            } else {
                put_key(container, &target.name, Value::Array(kept));
            }
        }
    } else {
        take_key(container, &target.name);
    }
    prune_extension(obj, &target.container);
    Ok(())
}

/// Required attributes the resource had must still have a non-empty value.
fn check_required(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    schema: &ResourceSchema,
) -> Result<(), ScimError> {
    let has = |obj: &Map<String, Value>, name: &str| match find_key(obj, name) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    };
    for def in schema.attributes.iter().filter(|a| a.required) {
        if has(before, def.name) && !has(after, def.name) {
            return Err(ScimError::invalid_value(format!(
                "required attribute `{}` cannot be removed or emptied",
                def.name
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
