//! `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9).

use rstest::rstest;
use scim::projection::project;
use scim::schema::ResourceSchema;
use scim::ScimType;

use crate::fixtures::{json, BJENSEN, GROUP};

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[track_caller]
fn check(base: &str, attributes: Option<&str>, excluded: Option<&str>, expect: &str) {
    let resource = json(base);
    let schema = if base == GROUP {
        ResourceSchema::group()
    } else {
        ResourceSchema::user()
    };
    let got = project(&resource, attributes, excluded, schema).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, json(&expect.replace("{ENT}", ENT)));
}

const GROUP_WITHOUT_MEMBERS: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"abf4dd94-a4c0-4f67-89c9-76b03340cb9b","externalId":"8aa1a0c0","displayName":"Test SCIMv2","meta":{"resourceType":"Group","created":"2018-03-27T19:59:26.000Z","lastModified":"2018-03-27T19:59:26.000Z"}}"#;
const USER_SCHEMAS: &str = r#"["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]"#;

#[rstest]
#[case::entra_1_7_excluded_members(GROUP, None, Some("members"), GROUP_WITHOUT_MEMBERS)]
#[case::excluded_members_upper(GROUP, None, Some("MEMBERS"), GROUP_WITHOUT_MEMBERS)]
#[case::excluded_members_urn(
    GROUP,
    None,
    Some("urn:ietf:params:scim:schemas:core:2.0:Group:members"),
    GROUP_WITHOUT_MEMBERS
)]
#[case::nothing_requested(GROUP, None, None, GROUP)]
#[case::attributes_display_name(GROUP, Some("displayName"), None, r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"abf4dd94-a4c0-4f67-89c9-76b03340cb9b","displayName":"Test SCIMv2"}"#)]
#[case::member_values(GROUP, Some("members.value"), None, r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"abf4dd94-a4c0-4f67-89c9-76b03340cb9b","members":[{"value":"f648f8d5ea4e4cd38e9c"},{"value":"u1091"},{"value":"89bb1940-b905-4575-9e7f-6f887cfb368e"}]}"#)]
#[case::attributes_id_only(
    BJENSEN,
    Some("id"),
    None,
    r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646"}"#
)]
#[case::attributes_username(BJENSEN, Some("userName"), None, r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","userName":"bjensen@example.com"}"#)]
#[case::attributes_sub_attributes(BJENSEN, Some("name.givenName, emails.value"), None, r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","name":{"givenName":"Barbara"},"emails":[{"value":"bjensen@example.com"},{"value":"babs@jensen.org"}]}"#)]
#[case::attributes_enterprise_attribute(BJENSEN, Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"), None, r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","{ENT}":{"department":"Tour Operations"}}"#)]
#[case::attributes_enterprise_manager_value(BJENSEN, Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"), None, r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","{ENT}":{"manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d"}}}"#)]
#[case::attributes_whole_extension(BJENSEN, Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), None, r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","{ENT}":{"employeeNumber":"701984","department":"Tour Operations","manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d","displayName":"John Smith"}}}"#)]
#[case::attributes_core_urn(
    BJENSEN,
    Some("urn:ietf:params:scim:schemas:core:2.0:User:title"),
    None,
    r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","title":"Tour Guide"}"#
)]
#[case::attributes_unknown_ignored(
    BJENSEN,
    Some("nope,title"),
    None,
    r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","title":"Tour Guide"}"#
)]
#[case::attributes_custom_attribute(
    BJENSEN,
    Some("loginCount"),
    None,
    r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","loginCount":7}"#
)]
#[case::excluded_id_has_no_effect(GROUP, None, Some("id,members"), GROUP_WITHOUT_MEMBERS)]
#[case::excluded_sub_attributes(BJENSEN, Some("emails,name"), Some("emails.type,emails.primary,name.familyName"), r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","name":{"givenName":"Barbara"},"emails":[{"value":"bjensen@example.com"},{"value":"babs@jensen.org"}]}"#)]
#[case::excluded_whole_extension(BJENSEN, Some("userName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","userName":"bjensen@example.com"}"#)]
#[case::excluded_enterprise_attribute(BJENSEN, Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"), r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","{ENT}":{"employeeNumber":"701984"}}"#)]
#[case::both_given_attributes_then_exclusion(BJENSEN, Some("userName,emails"), Some("emails"), r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","userName":"bjensen@example.com"}"#)]
#[case::meta_is_default_not_always(BJENSEN, Some("meta.resourceType"), None, r#"{"schemas":USER_SCHEMAS,"id":"2819c223-7f76-453a-919d-413861904646","meta":{"resourceType":"User"}}"#)]
fn projections(
    #[case] base: &str,
    #[case] attributes: Option<&str>,
    #[case] excluded: Option<&str>,
    #[case] expect: &str,
) {
    check(
        base,
        attributes,
        excluded,
        &expect.replace("USER_SCHEMAS", USER_SCHEMAS),
    );
}

#[test]
fn never_returned_attributes_are_dropped_even_when_requested() {
    let user = json(
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"1","userName":"a","password":"secret"}"#,
    );
    let all = project(&user, None, None, ResourceSchema::user()).unwrap();
    assert_eq!(
        all,
        json(
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"1","userName":"a"}"#
        )
    );
    let asked = project(&user, Some("password"), None, ResourceSchema::user()).unwrap();
    assert_eq!(
        asked,
        json(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"1"}"#)
    );
}

#[test]
fn unparseable_attribute_name_is_invalid_path() {
    let err = project(
        &json(GROUP),
        Some("display name"),
        None,
        ResourceSchema::group(),
    )
    .unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::InvalidPath));
    assert_eq!(
        err.detail,
        "attributes: invalid path `display name` at character 8: unexpected ` `"
    );
    let err = project(
        &json(GROUP),
        None,
        Some("members["),
        ResourceSchema::group(),
    )
    .unwrap_err();
    assert_eq!(
        err.detail,
        "excludedAttributes: invalid path `members[` at character 8: unexpected `[`"
    );
}
