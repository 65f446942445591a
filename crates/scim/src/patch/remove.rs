//! RFC 7644 §3.5.2.2 remove of the attribute a PATCH target names.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::model::find_key;
use crate::schema::Mutability;

use super::document::{prune_extension, put_key, take_key};
use super::index::ElementIndex;
use super::set::element_matches;
use super::target::{Container, Target};

/// RFC 7644 §3.5.2.2 remove.
pub(super) fn remove(
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
            let listed_index = ElementIndex::new(value_def, &listed);
            let kept: Vec<Value> = items
                .into_iter()
                .filter(|e| listed_index.find(&listed, e).is_none())
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
