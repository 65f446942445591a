//! RFC 7644 §3.4.2.5 / §3.9 `attributes` and `excludedAttributes` projection.
//!
//! Decisions where the RFC is silent:
//! - Both parameters given: `attributes` selects first, then `excludedAttributes`
//!   removes from that selection. RFC 7644 defines each parameter on its own and no
//!   error for the pair, so neither is ignored and no error is raised.
//! - `schemas` is always kept, as is every attribute whose `returned` is `always`
//!   (`id`); `returned: never` attributes (`password`) are never returned;
//!   `returned: request` attributes only when listed in `attributes`.
//! - `meta` is `returned: default` (RFC 7643 §3.1), so `attributes=userName` drops it.
//! - Names match case-insensitively, with or without the core schema URN; a whole
//!   extension URN selects or removes that extension's object. Names no schema and no
//!   attribute of the resource knows are ignored. An unparseable name is `invalidPath`.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::path::AttrPath;
use crate::schema::{AttributeDef, ResourceSchema, Returned};

/// RFC 7644 §3.9: project a resource's SCIM JSON for a response. `attributes` and
/// `excluded_attributes` are the raw comma-separated query values.
pub fn project(
    resource: &Value,
    attributes: Option<&str>,
    excluded_attributes: Option<&str>,
    schema: &ResourceSchema,
) -> Result<Value, ScimError> {
    let Value::Object(obj) = resource else {
        return Ok(resource.clone());
    };
    let include = parse_list("attributes", attributes)?;
    let exclude = parse_list("excludedAttributes", excluded_attributes)?.unwrap_or_default();
    let mut out = Map::new();
    for (key, value) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            out.insert(key.clone(), value.clone());
            continue;
        }
        if let (Some(urn), Value::Object(inner)) = (container_urn(key, value, schema), value) {
            let whole = |list: &[AttrPath]| list.iter().any(|p| names_container(p, &urn));
            let mut kept = Map::new();
            for (name, v) in inner {
                let def = schema.extension(&urn).and_then(|e| {
                    e.attributes
                        .iter()
                        .find(|a| a.name.eq_ignore_ascii_case(name))
                });
                let selected_whole = include.as_deref().is_some_and(whole);
                let projected = project_attr(
                    Some(&urn),
                    name,
                    v,
                    def,
                    include.as_deref(),
                    &exclude,
                    selected_whole,
                    schema,
                );
                if let Some(p) = projected {
                    kept.insert(name.clone(), p);
                }
            }
            if !kept.is_empty() && !whole(&exclude) {
                out.insert(key.clone(), Value::Object(kept));
            }
            continue;
        }
        let def = schema.core_attribute(key);
        if let Some(p) = project_attr(
            None,
            key,
            value,
            def,
            include.as_deref(),
            &exclude,
            false,
            schema,
        ) {
            out.insert(key.clone(), p);
        }
    }
    Ok(Value::Object(out))
}

fn parse_list(param: &str, raw: Option<&str>) -> Result<Option<Vec<AttrPath>>, ScimError> {
    let Some(raw) = raw else { return Ok(None) };
    let mut out = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let path = AttrPath::parse(item)
            .map_err(|e| ScimError::invalid_path(format!("{param}: {}", e.detail)))?;
        out.push(path);
    }
    Ok(Some(out))
}

/// The URN when `key` holds a schema extension object: a known extension, or any
/// `urn:` key with an object value.
fn container_urn(key: &str, value: &Value, schema: &ResourceSchema) -> Option<String> {
    if let Some(ext) = schema.extension(key) {
        return Some(ext.id.to_owned());
    }
    (value.is_object() && key.len() > 4 && key.as_bytes()[..4].eq_ignore_ascii_case(b"urn:"))
        .then(|| key.to_owned())
}

/// True when `path` names the whole extension `urn` (parsed either as a known schema
/// or, for an unknown one, split at its last colon).
fn names_container(path: &AttrPath, urn: &str) -> bool {
    match (&path.urn, path.is_schema_only(), &path.sub_attr) {
        (Some(u), true, _) => u.eq_ignore_ascii_case(urn),
        (Some(u), false, None) => format!("{u}:{}", path.attr).eq_ignore_ascii_case(urn),
        _ => false,
    }
}

/// True when `path` names the attribute `name` (in extension `urn`, or core when None).
/// Returns the sub-attribute when the path names one.
fn path_matches<'p>(
    path: &'p AttrPath,
    urn: Option<&str>,
    name: &str,
    schema: &ResourceSchema,
) -> Option<Option<&'p str>> {
    if path.is_schema_only() || !path.attr.eq_ignore_ascii_case(name) {
        return None;
    }
    let ok = match (&path.urn, urn) {
        (None, None) => true,
        (Some(u), None) => u.eq_ignore_ascii_case(schema.id),
        (Some(u), Some(ext)) => u.eq_ignore_ascii_case(ext),
        // An unprefixed name reaches an extension attribute only when the core schema
        // has no attribute of that name.
        (None, Some(_)) => schema.core_attribute(name).is_none(),
    };
    ok.then_some(path.sub_attr.as_deref())
}

#[allow(clippy::too_many_arguments)]
fn project_attr(
    urn: Option<&str>,
    name: &str,
    value: &Value,
    def: Option<&AttributeDef>,
    include: Option<&[AttrPath]>,
    exclude: &[AttrPath],
    selected_whole: bool,
    schema: &ResourceSchema,
) -> Option<Value> {
    let returned = def.map_or(Returned::Default, |d| d.returned);
    match returned {
        Returned::Never => return None,
        Returned::Always => return Some(value.clone()),
        Returned::Default | Returned::Request => {}
    }
    let mut value = match include {
        None if returned == Returned::Request => return None,
        None => value.clone(),
        Some(_) if selected_whole => value.clone(),
        Some(list) => {
            let hits: Vec<Option<&str>> = list
                .iter()
                .filter_map(|p| path_matches(p, urn, name, schema))
                .collect();
            if hits.is_empty() {
                return None;
            }
            if hits.iter().any(Option::is_none) {
                value.clone()
            } else {
                let subs: Vec<&str> = hits.into_iter().flatten().collect();
                keep_subs(value, &subs)?
            }
        }
    };
    let excluded: Vec<Option<&str>> = exclude
        .iter()
        .filter_map(|p| path_matches(p, urn, name, schema))
        .collect();
    if excluded.iter().any(Option::is_none) {
        return None;
    }
    for sub in excluded.into_iter().flatten() {
        value = drop_sub(value, sub)?;
    }
    Some(value)
}

/// Keep only the listed sub-attributes of a complex value (each element of a
/// multi-valued one, where elements that are not objects go too); `None` when nothing
/// is left.
fn keep_subs(value: &Value, subs: &[&str]) -> Option<Value> {
    let objects = match value {
        Value::Object(_) => value.clone(),
        Value::Array(items) => {
            Value::Array(items.iter().filter(|i| i.is_object()).cloned().collect())
        }
        _ => return None,
    };
    retain_subs(objects, |k| subs.iter().any(|s| s.eq_ignore_ascii_case(k)))
}

/// Remove one sub-attribute from a complex value; `None` when nothing is left.
fn drop_sub(value: Value, sub: &str) -> Option<Value> {
    retain_subs(value, |k| !k.eq_ignore_ascii_case(sub))
}

/// Keep the sub-attributes `keep` accepts in a complex value, or in each object element
/// of a multi-valued one (other elements stay); an object left empty goes, and `None`
/// when nothing is left.
fn retain_subs(value: Value, keep: impl Fn(&str) -> bool) -> Option<Value> {
    let retain = |mut o: Map<String, Value>| -> Option<Value> {
        o.retain(|k, _| keep(k));
        (!o.is_empty()).then_some(Value::Object(o))
    };
    match value {
        Value::Object(o) => retain(o),
        Value::Array(items) => {
            let kept: Vec<Value> = items
                .into_iter()
                .filter_map(|i| match i {
                    Value::Object(o) => retain(o),
                    other => Some(other),
                })
                .collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        other => Some(other),
    }
}

#[cfg(test)]
mod tests;
