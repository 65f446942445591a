//! Unit tests for attribute projection internals.

use serde_json::json;

use super::*;

#[test]
fn keep_subs_filters_objects_and_arrays() {
    assert_eq!(
        keep_subs(&json!({"a": 1, "B": 2}), &["b"]),
        Some(json!({"B": 2}))
    );
    assert_eq!(
        keep_subs(&json!([{"a": 1}, {"b": 2}]), &["b"]),
        Some(json!([{"b": 2}]))
    );
    assert_eq!(keep_subs(&json!({"a": 1}), &["b"]), None);
    assert_eq!(keep_subs(&json!("x"), &["b"]), None);
}

#[test]
fn drop_sub_removes_and_prunes() {
    assert_eq!(
        drop_sub(json!({"a": 1, "b": 2}), "A"),
        Some(json!({"b": 2}))
    );
    assert_eq!(
        drop_sub(json!([{"a": 1}, {"a": 2, "b": 3}]), "a"),
        Some(json!([{"b": 3}]))
    );
    assert_eq!(drop_sub(json!({"a": 1}), "a"), None);
    assert_eq!(drop_sub(json!("x"), "a"), Some(json!("x")));
}

#[test]
fn containers_are_named_by_known_and_unknown_urns() {
    let custom = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";
    assert!(names_container(&AttrPath::parse(custom).unwrap(), custom));
    let enterprise = crate::model::ENTERPRISE_USER_SCHEMA;
    assert!(names_container(
        &AttrPath::parse(enterprise).unwrap(),
        enterprise
    ));
    assert!(!names_container(
        &AttrPath::parse(&format!("{enterprise}:manager")).unwrap(),
        enterprise
    ));
    let user = ResourceSchema::user();
    assert_eq!(
        container_urn(custom, &json!({"tag": "x"}), user).as_deref(),
        Some(custom)
    );
    assert_eq!(container_urn(custom, &json!("x"), user), None);
    assert_eq!(container_urn("userName", &json!({}), user), None);
}
