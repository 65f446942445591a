//! RFC 7644 §3.4.2.2 filter evaluation against a resource's SCIM JSON: path lookup,
//! presence and comparison by the attribute's type.

use std::cmp::Ordering;

use serde_json::Value;

use crate::model::{find_key, parse_bool};
use crate::path::AttrPath;
use crate::schema::{AttrType, AttributeDef, ResourceSchema};

use super::{parse_datetime, CompareOp, Filter};

impl Filter {
    pub(super) fn eval(&self, node: &Value, scope: Scope<'_>) -> bool {
        match self {
            Filter::And(a, b) => a.eval(node, scope) && b.eval(node, scope),
            Filter::Or(a, b) => a.eval(node, scope) || b.eval(node, scope),
            Filter::Not(inner) => !inner.eval(node, scope),
            Filter::Present(path) => {
                let (_, values) = lookup(node, path, scope, false);
                values.iter().any(|v| is_present(v))
            }
            Filter::Compare { path, op, value } => {
                let (def, values) = lookup(node, path, scope, true);
                let values: Vec<&Value> = values.into_iter().filter(|v| !v.is_null()).collect();
                match (op, value) {
                    (CompareOp::Eq, Value::Null) => values.is_empty(),
                    (CompareOp::Ne, Value::Null) => !values.is_empty(),
                    (_, Value::Null) => false,
                    (CompareOp::Ne, _) => {
                        !values.iter().any(|v| compare(def, CompareOp::Eq, v, value))
                    }
                    _ => values.iter().any(|v| compare(def, *op, v, value)),
                }
            }
            Filter::ValuePath { attr, filter } => {
                let (def, elements) = lookup(node, attr, scope, false);
                let def = def.filter(|d| d.ty == AttrType::Complex);
                elements.iter().any(|e| filter.eval(e, Scope::Element(def)))
            }
        }
    }
}

/// What a path inside a filter is resolved against.
#[derive(Clone, Copy)]
pub(super) enum Scope<'a> {
    /// A whole resource.
    Resource(&'a ResourceSchema),
    /// One element of a multi-valued complex attribute (inside `[...]`); the
    /// attribute's definition when known.
    Element(Option<&'a AttributeDef>),
}

/// The values a path selects, flattened (a multi-valued attribute yields each element),
/// and the definition of the selected leaf. With `compare_value`, a complex attribute
/// without a sub-attribute yields its elements' `value` sub-attribute.
fn lookup<'v>(
    node: &'v Value,
    path: &AttrPath,
    scope: Scope<'_>,
    compare_value: bool,
) -> (Option<&'static AttributeDef>, Vec<&'v Value>) {
    let (def, top): (Option<&'static AttributeDef>, Option<&'v Value>) = match scope {
        Scope::Resource(schema) => {
            let Value::Object(obj) = node else {
                return (None, Vec::new());
            };
            match schema.resolve_top(path) {
                Some((def, crate::schema::AttrLocation::Core)) => {
                    (Some(def), find_key(obj, def.name))
                }
                Some((def, crate::schema::AttrLocation::Extension(urn))) => (
                    Some(def),
                    find_key(obj, urn)
                        .and_then(Value::as_object)
                        .and_then(|o| find_key(o, def.name)),
                ),
                None if path.attr.is_empty() => (None, None),
                None => match &path.urn {
                    // Unknown attribute: look in the JSON anyway (custom extensions).
                    None => (None, find_key(obj, &path.attr)),
                    Some(urn) if urn.eq_ignore_ascii_case(schema.id) => {
                        (None, find_key(obj, &path.attr))
                    }
                    Some(urn) => (
                        None,
                        find_key(obj, urn)
                            .and_then(Value::as_object)
                            .and_then(|o| find_key(o, &path.attr)),
                    ),
                },
            }
        }
        Scope::Element(parent) => {
            let Value::Object(obj) = node else {
                return (None, Vec::new());
            };
            let def = parent.and_then(|p| p.sub_attribute(&path.attr));
            (def, find_key(obj, &path.attr))
        }
    };
    let mut values = Vec::new();
    let Some(top) = top else { return (def, values) };
    flatten(top, &mut values);
    let sub_name = match (&path.sub_attr, def) {
        (Some(sub), _) => Some(sub.as_str()),
        (None, Some(d)) if compare_value && d.ty == AttrType::Complex => Some("value"),
        (None, None) if compare_value && values.iter().any(|v| v.is_object()) => Some("value"),
        _ => None,
    };
    let Some(sub_name) = sub_name else {
        return (def, values);
    };
    let sub_def = def.and_then(|d| d.sub_attribute(sub_name));
    let mut leaves = Vec::new();
    for v in values {
        if let Value::Object(o) = v {
            if let Some(s) = find_key(o, sub_name) {
                flatten(s, &mut leaves);
            }
        }
    }
    (sub_def, leaves)
}

fn flatten<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(items) => out.extend(items.iter()),
        other => out.push(other),
    }
}

/// RFC 7644 §3.4.2.2 `pr`: a non-empty value, or a complex value with a non-empty node.
pub(super) fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(is_present),
        Value::Object(obj) => obj.values().any(is_present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Compare one attribute value with the operand.
fn compare(def: Option<&AttributeDef>, op: CompareOp, attr: &Value, operand: &Value) -> bool {
    let ty = def.map(|d| d.ty);
    match (attr, operand) {
        (_, Value::Bool(b)) => matches!(op, CompareOp::Eq) && parse_bool(attr) == Some(*b),
        (Value::Bool(_), _) => false,
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b).is_some_and(|o| ordering_matches(op, o)),
            _ => false,
        },
        (Value::String(a), Value::String(b)) => {
            if ty == Some(AttrType::DateTime) {
                if let (Some(x), Some(y)) = (parse_datetime(a), parse_datetime(b)) {
                    return !op.is_substring() && ordering_matches(op, x.cmp(&y));
                }
            }
            let case_exact = def.is_some_and(|d| d.case_exact);
            let (a, b) = if case_exact {
                (a.clone(), b.clone())
            } else {
                (a.to_lowercase(), b.to_lowercase())
            };
            match op {
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                _ => ordering_matches(op, a.cmp(&b)),
            }
        }
        _ => false,
    }
}

fn ordering_matches(op: CompareOp, o: Ordering) -> bool {
    match op {
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Ne => o != Ordering::Equal,
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}
