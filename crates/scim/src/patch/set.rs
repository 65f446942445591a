//! RFC 7644 §3.5.2.1 add and §3.5.2.3 replace of the attribute a PATCH target names.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::filter::{CompareOp, Filter};
use crate::model::{find_key, PatchOpKind};
use crate::schema::{coerce_single, coerce_value, AttrType, AttributeDef, Mutability};

use super::document::{
    container_mut, entry_object, prune_extension, put_key, take_array, take_key,
};
use super::index::ElementIndex;
use super::target::Target;

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
pub(super) fn set(
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
                // Taken, not copied: the attribute is put back in its place below.
                let mut items = match kind {
                    PatchOpKind::Add => take_array(container, &target.name).unwrap_or_default(),
                    _ => Vec::new(),
                };
                let value_def = target.def.and_then(|d| d.sub_attribute("value"));
                let mut index = ElementIndex::new(value_def, &items);
                for item in new_items {
                    match index.find(&items, &item) {
                        // Already present: a replace keeps the newer copy, an add keeps the old.
                        Some(i) if kind == PatchOpKind::Replace => items[i] = item,
                        Some(_) => {}
                        None => {
                            index.insert(&item, items.len());
                            items.push(item);
                        }
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
pub(super) fn same_element(value_def: Option<&AttributeDef>, a: &Value, b: &Value) -> bool {
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
pub(super) fn normalize_primary(items: &mut [Value]) {
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

pub(super) fn element_matches(
    filter: &Filter,
    element: &Value,
    def: Option<&AttributeDef>,
) -> bool {
    match def {
        Some(d) => filter.matches_element(element, d),
        None => filter.matches_element(element, &GENERIC_ELEMENT),
    }
}

/// Stand-in parent for elements of attributes no schema defines.
static GENERIC_ELEMENT: AttributeDef = AttributeDef::new("", AttrType::Complex);

/// The element a conjunction of `eq` comparisons describes: `type eq "work"` gives
/// `{"type":"work"}`. `None` for any other filter.
pub(super) fn element_from_filter(filter: &Filter) -> Option<Map<String, Value>> {
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
