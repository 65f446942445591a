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
use crate::model::{find_key, PatchOpKind, PatchOperation, PatchRequest};
use crate::path::{AttrPath, PatchPath};
use crate::schema::{coerce_value, Mutability, ResourceSchema};

mod document;
mod index;
mod remove;
mod set;
mod target;

use document::{add_schema_urn, entry_object, equivalent, read_current, remove_extension};
use remove::remove;
use set::set;
use target::resolve;
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
