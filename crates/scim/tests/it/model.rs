//! Wire model round trips: ListResponse integers, Error bodies, dialect booleans,
//! and the documented IdP bodies parsing.

use rstest::rstest;
use scim::model::{
    EnterpriseUser, Group, ListResponse, Manager, Member, PatchOpKind, PatchRequest, User,
    ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA,
};
use scim::{ScimError, ScimType};
use serde_json::{json, Value};

use crate::fixtures::json as parse;

#[test]
fn list_response_counts_are_integers() {
    let empty: ListResponse<Value> = ListResponse::new(vec![], 0, 1);
    assert_eq!(
        serde_json::to_string(&empty).unwrap(),
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}"#
    );
    let page = ListResponse::new(vec![json!({"id": "a"}), json!({"id": "b"})], 7, 3);
    let v = serde_json::to_value(&page).unwrap();
    assert_eq!(v["totalResults"], json!(7));
    assert_eq!(v["startIndex"], json!(3));
    assert_eq!(v["itemsPerPage"], json!(2));
    assert_eq!(v["Resources"][1]["id"], json!("b"));
}

#[test]
fn entra_1_2_lookup_response_parses() {
    let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"2441309d85324e7793ae","externalId":"7fce0092-d52e-4f76-b727-3955bd72c939","meta":{"resourceType":"User","created":"2018-03-27T19:59:26.000Z","lastModified":"2018-03-27T19:59:26.000Z"},"userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","name":{"familyName":"familyName","givenName":"givenName"},"active":true,"emails":[{"value":"Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com","type":"work","primary":true}]}],"startIndex":1,"itemsPerPage":20}"#;
    let list: ListResponse<User> = serde_json::from_str(body).unwrap();
    assert_eq!(
        (list.total_results, list.start_index, list.items_per_page),
        (1, 1, 20)
    );
    let user = &list.resources[0];
    assert_eq!(user.id.as_deref(), Some("2441309d85324e7793ae"));
    assert_eq!(user.active, Some(true));
    assert_eq!(
        user.work_email(),
        Some("Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com")
    );
    assert_eq!(
        user.meta.as_ref().and_then(|m| m.last_modified.as_deref()),
        Some("2018-03-27T19:59:26.000Z")
    );
}

#[test]
fn okta_4_group_lookup_without_schemas_parses() {
    let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"startIndex":1,"itemsPerPage":1,"Resources":[{"id":"e7d09e9b3faa4888b65cf9e9316cba1c","meta":{"created":"2024-05-15T09:21:23","lastModified":"2024-05-15T09:21:23","version":"v1.0"},"displayName":"Test SCIMv1"}]}"#;
    let list: ListResponse<Group> = serde_json::from_str(body).unwrap();
    assert_eq!(list.resources[0].display_name, "Test SCIMv1");
    assert!(list.resources[0].schemas.is_empty());
    let empty: ListResponse<Group> = serde_json::from_str(
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0}"#,
    )
    .unwrap();
    assert!(empty.resources.is_empty());
}

#[test]
fn list_response_reads_okta_lowercase_keys() {
    let body = r#"{"schemas":[],"totalresults":2,"startindex":1,"itemsperpage":2,"resources":[{"id":"a"},{"id":"b"}]}"#;
    let list: ListResponse<Value> = serde_json::from_str(body).unwrap();
    assert_eq!(
        (
            list.total_results,
            list.items_per_page,
            list.resources.len()
        ),
        (2, 2, 2)
    );
}

#[test]
fn list_response_rejects_string_counts() {
    let body = r#"{"schemas":[],"totalResults":"1","Resources":[]}"#;
    assert!(serde_json::from_str::<ListResponse<Value>>(body).is_err());
}

#[track_caller]
fn check_error_body(err: ScimError, expect: Value) {
    assert_eq!(err.body(), expect);
}

#[rstest]
#[case::invalid_filter(ScimError::invalid_filter("at character 1: x"), json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidFilter","detail":"at character 1: x"}))]
#[case::too_many(ScimError::too_many("too many"), json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"tooMany","detail":"too many"}))]
#[case::uniqueness(ScimError::uniqueness("user exists"), json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"user exists"}))]
#[case::not_found(ScimError::not_found("Resource 23B51B0E5D7AE9110A49411D@7cca31655d49f3640a494224 not found"), json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"Resource 23B51B0E5D7AE9110A49411D@7cca31655d49f3640a494224 not found"}))]
#[case::new_without_type(ScimError::new(500, None, "boom"), json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"boom"}))]
#[case::mutability(ScimError::mutability("m"), json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"mutability","detail":"m"}))]
#[case::no_target(ScimError::no_target("n"), json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"noTarget","detail":"n"}))]
#[case::invalid_path(ScimError::invalid_path("p"), json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidPath","detail":"p"}))]
#[case::invalid_value(ScimError::invalid_value("v"), json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":"v"}))]
#[case::invalid_syntax(ScimError::invalid_syntax("s"), json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidSyntax","detail":"s"}))]
fn error_bodies(#[case] err: ScimError, #[case] expect: Value) {
    check_error_body(err, expect);
}

#[test]
fn error_display_is_detail_and_scim_type_serializes_camel_case() {
    assert_eq!(
        ScimError::invalid_value("bad value").to_string(),
        "bad value"
    );
    assert_eq!(
        serde_json::to_value(ScimType::InvalidVers).unwrap(),
        json!("invalidVers")
    );
    assert_eq!(
        serde_json::from_value::<ScimType>(json!("noTarget")).unwrap(),
        ScimType::NoTarget
    );
}

#[track_caller]
fn check_active(body: &str, expect: Option<bool>) {
    let user = User::from_json(parse(body)).unwrap();
    assert_eq!(user.active, expect, "{body}");
}

#[rstest]
#[case::json_true(r#"{"userName":"a","active":true}"#, Some(true))]
#[case::json_false(r#"{"userName":"a","active":false}"#, Some(false))]
#[case::entra_true(r#"{"userName":"a","active":"True"}"#, Some(true))]
#[case::entra_false(r#"{"userName":"a","active":"False"}"#, Some(false))]
#[case::lower_true(r#"{"userName":"a","active":"true"}"#, Some(true))]
#[case::lower_false(r#"{"userName":"a","active":"false"}"#, Some(false))]
#[case::null(r#"{"userName":"a","active":null}"#, None)]
#[case::absent(r#"{"userName":"a"}"#, None)]
#[case::attribute_name_case(r#"{"USERNAME":"a","Active":"False"}"#, Some(false))]
fn booleans_from_strings(#[case] body: &str, #[case] expect: Option<bool>) {
    check_active(body, expect);
}

#[test]
fn booleans_from_strings_via_serde_too() {
    let user: User = serde_json::from_str(
        r#"{"userName":"a","active":"False","emails":[{"value":"x","primary":"True"}]}"#,
    )
    .unwrap();
    assert_eq!(user.active, Some(false));
    assert_eq!(user.emails[0].primary, Some(true));
}

#[track_caller]
fn check_user_err(body: &str, scim_type: ScimType, detail: &str) {
    let err = User::from_json(parse(body)).unwrap_err();
    assert_eq!(
        (err.status, err.scim_type, err.detail.as_str()),
        (400, Some(scim_type), detail)
    );
}

#[rstest]
#[case::active_maybe(
    r#"{"userName":"a","active":"maybe"}"#,
    ScimType::InvalidValue,
    "attribute `active` must be a boolean, found string \"maybe\""
)]
#[case::missing_username(
    r#"{"displayName":"a"}"#,
    ScimType::InvalidValue,
    "missing required attribute `userName`"
)]
#[case::empty_username(
    r#"{"userName":""}"#,
    ScimType::InvalidValue,
    "required attribute `userName` is empty"
)]
#[case::username_number(
    r#"{"userName":5}"#,
    ScimType::InvalidValue,
    "attribute `userName` must be a string, found 5"
)]
#[case::emails_not_objects(
    r#"{"userName":"a","emails":["x@y"]}"#,
    ScimType::InvalidValue,
    "attribute `emails` must be an object, found string \"x@y\""
)]
#[case::email_primary(
    r#"{"userName":"a","emails":[{"value":"x@y","primary":"yes"}]}"#,
    ScimType::InvalidValue,
    "attribute `emails.primary` must be a boolean, found string \"yes\""
)]
#[case::enterprise_not_object(r#"{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}"#, ScimType::InvalidValue, "attribute `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` must be an object, found a string")]
#[case::department_number(r#"{"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":1}}"#, ScimType::InvalidValue, "attribute `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department` must be a string, found 1")]
#[case::not_object(
    r#"["userName"]"#,
    ScimType::InvalidSyntax,
    "user body is not a json object"
)]
fn user_errors(#[case] body: &str, #[case] scim_type: ScimType, #[case] detail: &str) {
    check_user_err(body, scim_type, detail);
}

#[test]
fn entra_1_2_create_body_parses() {
    let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","active":true,"emails":[{"primary":true,"type":"work","value":"Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"}],"meta":{"resourceType":"User"},"name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"roles":[]}"#;
    let user = User::from_json(parse(body)).unwrap();
    assert_eq!(
        user.user_name,
        "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"
    );
    assert_eq!(
        user.external_id.as_deref(),
        Some("0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef")
    );
    assert_eq!(
        user.name.as_ref().and_then(|n| n.formatted.as_deref()),
        Some("givenName familyName")
    );
    assert!(user.roles.is_empty());
    assert_eq!(user.enterprise, None);
    assert_eq!(
        user.meta.as_ref().and_then(|m| m.resource_type.as_deref()),
        Some("User")
    );
}

#[test]
fn entra_1_2_example_2_with_nulls_and_misspelled_urn_parses() {
    let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],"externalId":"jyoung","userName":"jyoung@testuser.com","active":true,"addresses":null,"displayName":"Joy Young","emails":[{"type":"work","value":"jyoung@Contoso.com","primary":true}],"meta":{"resourceType":"User"},"name":{"familyName":"Young","givenName":"Joy"},"phoneNumbers":null,"preferredLanguage":null,"title":null,"department":null,"manager":null}"#;
    let user = User::from_json(parse(body)).unwrap();
    assert_eq!(user.display_name.as_deref(), Some("Joy Young"));
    assert!(user.addresses.is_empty() && user.phone_numbers.is_empty());
    assert_eq!(user.title, None);
    assert_eq!(user.work_email(), Some("jyoung@Contoso.com"));
    // `department` and `manager` at the top level are not core attributes: kept as sent.
    assert_eq!(user.extra.get("department"), Some(&Value::Null));
}

#[test]
fn entra_1_9_tutorial_resource_with_bare_manager_and_custom_extension_parses() {
    let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"],"userName":"bjensen@testuser.com","id":"48af03ac28ad4fb88478","externalId":"bjensen","name":{"familyName":"Jensen","givenName":"Barbara"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"123456"},"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User":{"tag":"701984"},"meta":{"resourceType":"User","created":"2010-01-23T04:56:22Z","lastModified":"2011-05-13T04:42:34Z","version":"W\/\"3694e05e9dff591\"","location":"https://example.com/v2/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee"}}"#;
    let user = User::from_json(parse(body)).unwrap();
    assert_eq!(
        user.enterprise,
        Some(EnterpriseUser {
            manager: Some(Manager {
                value: Some("123456".into()),
                ..Manager::default()
            }),
            ..EnterpriseUser::default()
        })
    );
    assert_eq!(
        user.extra["urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"],
        json!({"tag": "701984"})
    );
    assert_eq!(
        user.meta.as_ref().and_then(|m| m.version.as_deref()),
        Some("W/\"3694e05e9dff591\"")
    );
    // Round trip: the manager comes back RFC-shaped, the custom extension unchanged.
    let out = serde_json::to_value(&user).unwrap();
    assert_eq!(
        out[ENTERPRISE_USER_SCHEMA],
        json!({"manager": {"value": "123456"}})
    );
    assert_eq!(
        out["urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"],
        json!({"tag": "701984"})
    );
}

#[rstest]
#[case::object(json!({"value": "m1", "$ref": "../Users/m1", "displayName": "M"}), Some(("m1", Some("../Users/m1"))))]
#[case::bare_string(json!("m1"), Some(("m1", None)))]
#[case::array(json!([{"$ref": "http://x/Users/m1", "value": "m1"}]), Some(("m1", Some("http://x/Users/m1"))))]
#[case::empty_string(json!(""), None)]
#[case::null(Value::Null, None)]
fn manager_forms(#[case] manager: Value, #[case] expect: Option<(&str, Option<&str>)>) {
    let body = json!({"userName": "a", ENTERPRISE_USER_SCHEMA: {"manager": manager}});
    let user = User::from_json(body).unwrap();
    let got = user.enterprise.and_then(|e| e.manager);
    let got = got
        .as_ref()
        .map(|m| (m.value.as_deref().unwrap_or(""), m.reference.as_deref()));
    assert_eq!(got, expect);
}

#[test]
fn okta_3_create_bodies_parse() {
    let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local","name":{"givenName":"Test","familyName":"User"},"emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],"displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true}"#;
    let user = User::from_json(parse(body)).unwrap();
    assert_eq!(user.locale.as_deref(), Some("en-US"));
    assert_eq!(user.extra["password"], json!("1mz050nq"));
    let put_2019 = r#"{"id":"{id}","externalId":"00uq2kqg7YTkFo3cY0g3","meta":{"resourceType":"User","created":"04-12-2018 00:00:00","lastModified":"04-12-2018 00:00:00","version":"v1.0"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane.doe@example.com","displayName":"Jane Doe","locale":"en_US","active":true,"password":"TkdFNVdIVkxhM2c9","emails":[{"value":"jane.doe@example.com","type":"work","primary":true}],"name":{"familyName":"Doe","givenName":"Jane"},"groups":[]}"#;
    let user = User::from_json(parse(put_2019)).unwrap();
    assert_eq!(
        user.meta.and_then(|m| m.created),
        Some("04-12-2018 00:00:00".to_owned())
    );
}

#[rstest]
#[case::work_type(
    r#"[{"value":"h@x","type":"home","primary":true},{"value":"w@x","type":"Work"}]"#,
    Some("w@x")
)]
#[case::primary(
    r#"[{"value":"o@x","type":"other"},{"value":"p@x","type":"home","primary":true}]"#,
    Some("p@x")
)]
#[case::first(r#"[{"value":"a@x"},{"value":"b@x"}]"#, Some("a@x"))]
#[case::none("[]", None)]
fn work_email(#[case] emails: &str, #[case] expect: Option<&str>) {
    let body = json!({"userName": "u", "emails": parse(emails)});
    assert_eq!(User::from_json(body).unwrap().work_email(), expect);
}

#[test]
fn user_serializes_rfc_shaped() {
    let user = User {
        schemas: vec![USER_SCHEMA.into(), ENTERPRISE_USER_SCHEMA.into()],
        id: Some("1".into()),
        user_name: "a".into(),
        active: Some(false),
        enterprise: Some(EnterpriseUser {
            employee_number: Some("7".into()),
            ..EnterpriseUser::default()
        }),
        ..User::default()
    };
    assert_eq!(
        serde_json::to_string(&user).unwrap(),
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"1","userName":"a","active":false,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7"}}"#
    );
}

#[test]
fn entra_1_7_group_create_parses() {
    let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}}"#;
    let group = Group::from_json(parse(body)).unwrap();
    assert_eq!(group.display_name, "displayName");
    assert_eq!(group.schemas.len(), 2);
    assert!(group.members.is_empty());
}

#[test]
fn okta_4_group_create_with_members_parses() {
    let body = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Example Group","members":[{"value":"85467bb36e1c4f8991750501bf491962","display":"steve@ad.oktatest.com"},{"value":"2fabb15c24a2440c93a0214599603bcb","display":"bob@ad.oktatest.com"}]}"#;
    let group = Group::from_json(parse(body)).unwrap();
    assert_eq!(
        group.members[1],
        Member {
            value: "2fabb15c24a2440c93a0214599603bcb".into(),
            display: Some("bob@ad.oktatest.com".into()),
            ..Member::default()
        }
    );
    let rename = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"abf4dd94-a4c0-4f67-89c9-76b03340cb9b","displayName":"Test SCIMv20","members":null,"meta":{"resourceType":"Group"}}"#;
    assert!(Group::from_json(parse(rename)).unwrap().members.is_empty());
}

#[test]
fn group_errors() {
    let err = Group::from_json(json!({"schemas": [GROUP_SCHEMA]})).unwrap_err();
    assert_eq!(err.detail, "missing required attribute `displayName`");
    let err =
        Group::from_json(json!({"displayName": "g", "members": [{"display": "x"}]})).unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
    assert!(
        err.detail
            .starts_with("invalid group: missing field `value`"),
        "{}",
        err.detail
    );
}

#[rstest]
#[case::entra("Add", PatchOpKind::Add)]
#[case::entra_replace("Replace", PatchOpKind::Replace)]
#[case::entra_remove("Remove", PatchOpKind::Remove)]
#[case::upper("REPLACE", PatchOpKind::Replace)]
#[case::lower("remove", PatchOpKind::Remove)]
fn patch_ops_case_insensitive(#[case] op: &str, #[case] expect: PatchOpKind) {
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": op, "path": "x", "value": 1}]});
    assert_eq!(
        PatchRequest::from_json(body.clone()).unwrap().operations[0].op,
        expect
    );
    let via_serde: PatchRequest = serde_json::from_value(body).unwrap();
    assert_eq!(via_serde.operations[0].op, expect);
}

#[test]
fn patch_request_serializes_lowercase_and_skips_none() {
    let body = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members[value eq \"x\"]"}]});
    let request = PatchRequest::from_json(body).unwrap();
    assert_eq!(
        serde_json::to_string(&request).unwrap(),
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"x\"]"}]}"#
    );
}
