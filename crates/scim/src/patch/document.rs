//! The resource document a PATCH edits: case-insensitive keys (RFC 7643 §2.1) and the
//! extension objects with their `schemas` entries.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::model::find_key;

use super::target::{Container, Target};

/// The current value the target names (whole attribute or a sub-attribute of a
/// single-valued complex attribute).
pub(super) fn read_current(obj: &Map<String, Value>, target: &Target<'_>) -> Option<Value> {
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
pub(super) fn equivalent(a: Option<&Value>, b: Option<&Value>) -> bool {
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
pub(super) fn container_mut<'a>(
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
pub(super) fn entry_object<'a>(
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
pub(super) fn take_key(obj: &mut Map<String, Value>, key: &str) -> Option<Value> {
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

/// The elements of the array under `key` (matched as [`find_key`] does), moved out and
/// an empty array left in their place, so the caller can [`put_key`] them back in the
/// same position without copying them. `None` when `key` holds no array.
pub(super) fn take_array(obj: &mut Map<String, Value>, key: &str) -> Option<Vec<Value>> {
    let found = match obj.contains_key(key) {
        true => obj.get_mut(key),
        false => obj
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v),
    };
    match found {
        Some(Value::Array(items)) => Some(std::mem::take(items)),
        _ => None,
    }
}

/// Set `key` to `value` in place of any case variant, keeping its position if present.
pub(super) fn put_key(obj: &mut Map<String, Value>, key: &str, value: Value) {
    if let Some(existing) = obj.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned() {
        if existing != key {
            take_key(obj, key);
        }
    }
    obj.insert(key.to_owned(), value);
}

pub(super) fn add_schema_urn(obj: &mut Map<String, Value>, urn: &str) {
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

pub(super) fn remove_extension(obj: &mut Map<String, Value>, urn: &str) {
    take_key(obj, urn);
    if let Some(Value::Array(items)) = obj.get_mut("schemas") {
        items.retain(|s| !s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)));
    }
}

/// Drop an extension object left empty by a removal.
pub(super) fn prune_extension(obj: &mut Map<String, Value>, container: &Container) {
    if let Container::Extension(urn) = container {
        if find_key(obj, urn)
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            remove_extension(obj, urn);
        }
    }
}
