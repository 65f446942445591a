//! An index over the elements of a multi-valued attribute, so a PATCH that adds or
//! removes N values finds each one's equal in constant time: the work grows with the
//! size of the attribute, not with its square (issue 19).
//!
//! Elements are bucketed by what [`same_element`] compares first, their `value`; a
//! lookup checks [`same_element`] itself only against its bucket, so the index never
//! changes which elements are equal. Elements without a comparable `value` share one
//! bucket.

use std::collections::HashMap;

use serde_json::Value;

use crate::model::find_key;
use crate::schema::AttributeDef;

use super::set::same_element;

/// Positions of elements by bucket key.
pub(super) struct ElementIndex<'d> {
    value_def: Option<&'d AttributeDef>,
    buckets: HashMap<String, Vec<usize>>,
}

impl<'d> ElementIndex<'d> {
    /// The index of `items`; `value_def` is the `value` sub-attribute (its `caseExact`).
    pub(super) fn new(value_def: Option<&'d AttributeDef>, items: &[Value]) -> Self {
        let mut index = ElementIndex {
            value_def,
            buckets: HashMap::with_capacity(items.len()),
        };
        for (i, item) in items.iter().enumerate() {
            index.insert(item, i);
        }
        index
    }

    /// Records that `item` is at position `at`.
    pub(super) fn insert(&mut self, item: &Value, at: usize) {
        self.buckets.entry(self.key(item)).or_default().push(at);
    }

    /// The first position in `items` holding an element equal to `item`.
    pub(super) fn find(&self, items: &[Value], item: &Value) -> Option<usize> {
        self.buckets
            .get(&self.key(item))?
            .iter()
            .copied()
            .find(|&i| {
                items
                    .get(i)
                    .is_some_and(|e| same_element(self.value_def, e, item))
            })
    }

    /// Equal elements share a key: a string `value` (lowercased unless `caseExact`), a
    /// scalar `value`, or a scalar element; anything else goes to the shared bucket.
    fn key(&self, item: &Value) -> String {
        let scalar = |v: &Value| match v {
            Value::Null | Value::Bool(_) | Value::Number(_) => Some(format!("j{v}")),
            _ => None,
        };
        let key = match item {
            Value::Object(o) => match find_key(o, "value") {
                Some(Value::String(s)) if self.value_def.is_some_and(|d| d.case_exact) => {
                    Some(format!("s{s}"))
                }
                Some(Value::String(s)) => Some(format!("s{}", s.to_lowercase())),
                Some(v) => scalar(v),
                None => None,
            },
            Value::String(s) => Some(format!("e{s}")),
            other => scalar(other).map(|k| format!("e{k}")),
        };
        key.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::AttrType;
    use serde_json::json;

    /// The index finds exactly what a scan with `same_element` finds.
    #[test]
    fn the_index_agrees_with_a_scan() {
        let items = vec![
            json!({"value": "A@x", "type": "work"}),
            json!({"value": "a@x", "type": "home"}),
            json!({"value": "b@x"}),
            json!({"value": 7}),
            json!({"value": {"nested": 1}}),
            json!({"display": "no value"}),
            json!("plain"),
            json!(3),
        ];
        let probes = [
            json!({"value": "a@X", "type": "HOME"}),
            json!({"value": "a@x"}),
            json!({"value": "B@X", "type": "work"}),
            json!({"value": 7, "type": "t"}),
            json!({"value": 7.0}),
            json!({"value": {"nested": 1}}),
            json!({"display": "no value"}),
            json!({"display": "other"}),
            json!("plain"),
            json!("Plain"),
            json!(3),
            json!({"value": "c@x"}),
        ];
        let insensitive = AttributeDef::new("value", AttrType::String);
        let exact = AttributeDef {
            case_exact: true,
            ..insensitive
        };
        for def in [None, Some(&insensitive), Some(&exact)] {
            let index = ElementIndex::new(def, &items);
            for probe in &probes {
                let scanned = items.iter().position(|e| same_element(def, e, probe));
                assert_eq!(index.find(&items, probe), scanned, "{probe} with {def:?}");
            }
        }
    }
}
