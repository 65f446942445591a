//! Attribute definitions, resolution and discovery JSON (RFC 7643 §2, §6, §7).

use rstest::rstest;
use scim::path::AttrPath;
use scim::schema::{AttrType, Mutability, ResourceSchema, Returned, Uniqueness};
use serde_json::json;

use crate::fixtures::json;

#[track_caller]
fn check(schema: &ResourceSchema, path: &str, expect: Option<(&str, AttrType, bool)>) {
    let parsed = AttrPath::parse(path).unwrap();
    let got = schema
        .resolve(&parsed)
        .map(|d| (d.name, d.ty, d.case_exact));
    assert_eq!(got, expect, "{path}");
}

#[rstest]
#[case::username("userName", Some(("userName", AttrType::String, false)))]
#[case::username_upper("USERNAME", Some(("userName", AttrType::String, false)))]
#[case::given_name("name.givenName", Some(("givenName", AttrType::String, false)))]
#[case::email_value("emails.value", Some(("value", AttrType::String, false)))]
#[case::email_primary("emails.primary", Some(("primary", AttrType::Boolean, false)))]
#[case::display_name("displayName", Some(("displayName", AttrType::String, false)))]
#[case::id("id", Some(("id", AttrType::String, true)))]
#[case::external_id("externalId", Some(("externalId", AttrType::String, true)))]
#[case::last_modified("meta.lastModified", Some(("lastModified", AttrType::DateTime, false)))]
#[case::active("active", Some(("active", AttrType::Boolean, false)))]
#[case::urn_username("urn:ietf:params:scim:schemas:core:2.0:User:userName", Some(("userName", AttrType::String, false)))]
#[case::urn_lowercase("urn:ietf:params:scim:schemas:core:2.0:user:username", Some(("userName", AttrType::String, false)))]
#[case::enterprise_manager("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", Some(("manager", AttrType::Complex, false)))]
#[case::enterprise_manager_value("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", Some(("value", AttrType::String, false)))]
#[case::manager_unprefixed("manager", Some(("manager", AttrType::Complex, false)))]
#[case::enterprise_in_core_urn("urn:ietf:params:scim:schemas:core:2.0:User:department", None)]
#[case::unknown("nope", None)]
#[case::unknown_sub("name.nope", None)]
#[case::group_attribute_on_user("members", None)]
fn user_resolution(#[case] path: &str, #[case] expect: Option<(&str, AttrType, bool)>) {
    check(ResourceSchema::user(), path, expect);
}

#[rstest]
#[case::display_name("displayName", Some(("displayName", AttrType::String, false)))]
#[case::members("members", Some(("members", AttrType::Complex, false)))]
#[case::member_value("members.value", Some(("value", AttrType::String, true)))]
#[case::member_ref("members.$ref", Some(("$ref", AttrType::Reference, false)))]
#[case::urn("urn:ietf:params:scim:schemas:core:2.0:Group:displayName", Some(("displayName", AttrType::String, false)))]
#[case::user_urn_on_group("urn:ietf:params:scim:schemas:core:2.0:User:userName", None)]
fn group_resolution(#[case] path: &str, #[case] expect: Option<(&str, AttrType, bool)>) {
    check(ResourceSchema::group(), path, expect);
}

#[test]
fn characteristics() {
    let user = ResourceSchema::user();
    let id = user.core_attribute("id").unwrap();
    assert_eq!(
        (id.mutability, id.returned, id.uniqueness),
        (Mutability::ReadOnly, Returned::Always, Uniqueness::Server)
    );
    let meta = user.core_attribute("meta").unwrap();
    assert_eq!(meta.mutability, Mutability::ReadOnly);
    let user_name = user.core_attribute("userName").unwrap();
    assert!(user_name.required && !user_name.case_exact);
    assert_eq!(user_name.uniqueness, Uniqueness::Server);
    let password = user.core_attribute("password").unwrap();
    assert_eq!(
        (password.mutability, password.returned),
        (Mutability::WriteOnly, Returned::Never)
    );
    let emails = user.core_attribute("emails").unwrap();
    assert!(emails.multi_valued);
    assert_eq!(user.endpoint, "/Users");
    assert_eq!(ResourceSchema::group().endpoint, "/Groups");
}

/// reference/entra-scim.md §1.8: our `userName` definition is exactly the one Entra's
/// schema discovery example carries (the RFC 7643 §8.7.1 text).
#[test]
fn entra_1_8_username_definition_matches() {
    let schemas = ResourceSchema::user().schemas_json();
    assert_eq!(schemas.len(), 2);
    assert_eq!(
        schemas[0]["id"],
        json!("urn:ietf:params:scim:schemas:core:2.0:User")
    );
    assert_eq!(
        schemas[0]["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:Schema"])
    );
    assert_eq!(
        schemas[1]["id"],
        json!("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    );
    assert_eq!(schemas[1]["name"], json!("EnterpriseUser"));
    let user_name = schemas[0]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "userName")
        .unwrap();
    let entra = json(
        r#"{"name":"userName","type":"string","multiValued":false,"description":"Unique identifier for the User, typically used by the user to directly authenticate to the service provider. Each User MUST include a non-empty userName value.  This identifier MUST be unique across the service provider's entire set of Users. REQUIRED.","required":true,"caseExact":false,"mutability":"readWrite","returned":"default","uniqueness":"server"}"#,
    );
    assert_eq!(user_name, &entra);
    let employee_number = schemas[1]["attributes"][0].clone();
    assert_eq!(employee_number["name"], json!("employeeNumber"));
    assert_eq!(employee_number["caseExact"], json!(false));
}

#[test]
fn schema_json_shapes_complex_and_reference_attributes() {
    let group = ResourceSchema::group().schemas_json();
    assert_eq!(group.len(), 1);
    let members = group[0]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "members")
        .unwrap();
    assert_eq!(members["multiValued"], json!(true));
    assert_eq!(members["type"], json!("complex"));
    assert!(members.get("caseExact").is_none());
    let sub_names: Vec<&str> = members["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(sub_names, ["value", "$ref", "display", "type"]);
    assert_eq!(
        members["subAttributes"][1]["referenceTypes"],
        json!(["User", "Group"])
    );
    assert_eq!(
        group[0]["meta"],
        json!({"resourceType": "Schema", "location": "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group"})
    );
}

#[test]
fn resource_types() {
    assert_eq!(
        ResourceSchema::user().resource_type_json(),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "description": "User Account",
            "endpoint": "/Users",
            "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
            "schemaExtensions": [{"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": false}],
            "meta": {"resourceType": "ResourceType", "location": "/ResourceTypes/User"}
        })
    );
    assert_eq!(
        ResourceSchema::group().resource_type_json(),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group",
            "name": "Group",
            "description": "Group",
            "endpoint": "/Groups",
            "schema": "urn:ietf:params:scim:schemas:core:2.0:Group",
            "meta": {"resourceType": "ResourceType", "location": "/ResourceTypes/Group"}
        })
    );
}
