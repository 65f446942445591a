//! Unit tests for PATCH internals.

use serde_json::json;

use super::document::{add_schema_urn, put_key, take_key};
use super::set::{element_from_filter, normalize_primary, same_element};
use super::*;
use crate::filter::Filter;

#[test]
fn same_element_compares_value_and_type() {
    let value_def = ResourceSchema::user()
        .core_attribute("emails")
        .and_then(|d| d.sub_attribute("value"));
    let member_def = ResourceSchema::group()
        .core_attribute("members")
        .and_then(|d| d.sub_attribute("value"));
    assert!(same_element(
        value_def,
        &json!({"value": "A@x"}),
        &json!({"value": "a@x", "type": "work"})
    ));
    assert!(!same_element(
        value_def,
        &json!({"value": "a@x", "type": "home"}),
        &json!({"value": "a@x", "type": "work"})
    ));
    assert!(!same_element(
        member_def,
        &json!({"value": "U1"}),
        &json!({"value": "u1"})
    ));
    assert!(same_element(
        member_def,
        &json!({"value": "u1", "display": "x"}),
        &json!({"value": "u1", "$ref": null})
    ));
    assert!(same_element(None, &json!("x"), &json!("x")));
    assert!(!same_element(None, &json!({"a": 1}), &json!({"a": 2})));
}

#[test]
fn elements_are_built_only_from_eq_conjunctions() {
    let f = Filter::parse(r#"type eq "work" and primary eq true"#).unwrap();
    assert_eq!(
        Value::Object(element_from_filter(&f).unwrap()),
        json!({"type": "work", "primary": true})
    );
    for s in [
        r#"type co "work""#,
        r#"type eq "a" or type eq "b""#,
        "type eq null",
        "type pr",
        r#"not (type eq "a")"#,
    ] {
        assert_eq!(element_from_filter(&Filter::parse(s).unwrap()), None, "{s}");
    }
}

#[test]
fn keys_are_taken_and_put_case_insensitively() {
    let mut obj = json!({"DisplayName": "a", "title": "t"})
        .as_object()
        .unwrap()
        .clone();
    put_key(&mut obj, "displayName", json!("b"));
    assert_eq!(
        Value::Object(obj.clone()),
        json!({"title": "t", "displayName": "b"})
    );
    assert_eq!(take_key(&mut obj, "TITLE"), Some(json!("t")));
    assert_eq!(Value::Object(obj), json!({"displayName": "b"}));
}

#[test]
fn one_primary_survives() {
    let mut items = vec![
        json!({"value": "a", "primary": true}),
        json!({"value": "b"}),
        json!({"value": "c", "primary": true}),
    ];
    normalize_primary(&mut items);
    assert_eq!(
        items,
        vec![
            json!({"value": "a", "primary": false}),
            json!({"value": "b"}),
            json!({"value": "c", "primary": true})
        ]
    );
}

#[test]
fn unassigned_null_and_empty_array_are_equivalent() {
    assert!(equivalent(None, Some(&json!(null))));
    assert!(equivalent(Some(&json!([])), None));
    assert!(!equivalent(Some(&json!("a")), None));
    assert!(equivalent(Some(&json!("a")), Some(&json!("a"))));
}

#[test]
fn extension_urn_is_added_to_schemas_once() {
    let mut obj = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]})
        .as_object()
        .unwrap()
        .clone();
    add_schema_urn(&mut obj, crate::model::ENTERPRISE_USER_SCHEMA);
    add_schema_urn(
        &mut obj,
        "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER",
    );
    assert_eq!(obj["schemas"].as_array().unwrap().len(), 2);
    remove_extension(&mut obj, crate::model::ENTERPRISE_USER_SCHEMA);
    assert_eq!(
        obj["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
    );
}
