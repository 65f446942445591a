//! PATCH (RFC 7644 §3.5.2): every IdP dialect form in the fact sheets, and each error.
//!
//! Bodies quoted from reference/entra-scim.md and reference/okta-scim.md are used
//! verbatim; the case name names the section.

use rstest::rstest;
use scim::model::PatchRequest;
use scim::patch::apply;
use scim::schema::ResourceSchema;
use scim::ScimType;
use serde_json::Value;

use crate::fixtures::{json, BARE_USER, BJENSEN, ENTRA_USER, GROUP, OKTA_USER};

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn schema_for(resource: &Value) -> &'static ResourceSchema {
    let is_group = resource["schemas"].as_array().is_some_and(|s| {
        s.iter()
            .any(|u| u.as_str() == Some("urn:ietf:params:scim:schemas:core:2.0:Group"))
    });
    if is_group {
        ResourceSchema::group()
    } else {
        ResourceSchema::user()
    }
}

/// Apply `body` to `base`; `expect` is a JSON object from JSON pointers (`~1` for `/`,
/// `{ENT}` for the enterprise URN) to the value there; `null` means absent.
#[track_caller]
fn check(base: &str, body: &str, expect: &str) {
    let mut resource = json(base);
    let request =
        PatchRequest::from_json(json(body)).unwrap_or_else(|e| panic!("body did not parse: {e}"));
    let schema = schema_for(&resource);
    apply(&mut resource, &request, schema).unwrap_or_else(|e| panic!("patch failed: {e}"));
    let expect = json(&expect.replace("{ENT}", ENT));
    for (pointer, want) in expect.as_object().unwrap() {
        let got = resource.pointer(pointer).cloned().unwrap_or(Value::Null);
        assert_eq!(&got, want, "at {pointer} in\n{resource:#}");
    }
}

#[rstest]
// reference/entra-scim.md §1.4
#[case::entra_1_4_multi_valued_update(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}"#,
    r#"{"/emails":[{"value":"updatedEmail@microsoft.com","type":"work","primary":true}],"/name":{"formatted":"givenName familyName","familyName":"updatedFamilyName","givenName":"givenName"}}"#)]
#[case::entra_1_4_single_valued_update(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"userName","value":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}]}"#,
    r#"{"/userName":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com","/id":"48af03ac28ad4fb88478"}"#)]
#[case::entra_1_4_compat_replace_several(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"Pvlo"},{"op":"Replace","path":"emails[type eq \"work\"].value","value":"TestBcwqnm@test.microsoft.com"},{"op":"Replace","path":"name.givenName","value":"Gtfd"},{"op":"Replace","path":"name.familyName","value":"Pkqf"},{"op":"Replace","path":"externalId","value":"Eqpj"},{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"Eqpj"}]}"#,
    r#"{"/displayName":"Pvlo","/emails/0/value":"TestBcwqnm@test.microsoft.com","/emails/0/type":"work","/name/givenName":"Gtfd","/name/familyName":"Pkqf","/externalId":"Eqpj","/{ENT}":{"employeeNumber":"Eqpj"},"/schemas":["urn:ietf:params:scim:schemas:core:2.0:User","{ENT}"]}"#)]
#[case::entra_1_4_flag_pathless_dotted_and_urn_keys(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"TestMhvaes@test.microsoft.com"},{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}]}"#,
    r#"{"/emails/0/value":"TestMhvaes@test.microsoft.com","/displayName":"Bjfe","/name":{"formatted":"givenName familyName","familyName":"Unua","givenName":"Kkom"},"/{ENT}/employeeNumber":"Aklq","/name.givenName":null}"#)]
#[case::entra_1_4_add_single_valued_string(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"nickName","value":"Babs"}]}"#, r#"{"/nickName":"Babs"}"#)]
#[case::entra_1_4_add_single_valued_string_flag(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"nickName","value":"Babs"}]}"#, r#"{"/nickName":"Babs"}"#)]
#[case::entra_1_4_manager_example_5_value_array(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"manager","value":[{"$ref":"http://.../scim/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee","value":"00aa00aa-bb11-cc22-dd33-44ee44ee44ee"}]}]}"#,
    r#"{"/{ENT}/manager":{"value":"00aa00aa-bb11-cc22-dd33-44ee44ee44ee","$ref":"http://.../scim/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee"},"/manager":null}"#)]
#[case::entra_1_4_manager_urn_bare_string(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"}]}"#,
    r#"{"/{ENT}/manager":{"value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"},"/{ENT}/employeeNumber":"701984"}"#)]
#[case::entra_1_4_add_when_absent_replace_when_present(BARE_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"name.givenName","value":"Bar"},{"op":"Replace","path":"name.familyName","value":"Foo2"}]}"#,
    r#"{"/name":{"givenName":"Bar","familyName":"Foo2"}}"#)]
#[case::entra_1_4_add_filtered_path_creates_element(BARE_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"emails[type eq \"work\"].value","value":"bare@contoso.com"}]}"#,
    r#"{"/emails":[{"type":"work","value":"bare@contoso.com"}]}"#)]
#[case::entra_1_4_replace_filtered_path_without_match_creates_element(BARE_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"}]}"#,
    r#"{"/emails":[{"type":"work","value":"updatedEmail@microsoft.com"}]}"#)]
#[case::entra_1_4_add_filtered_path_keeps_other_types(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"emails[type eq \"other\"].value","value":"x@y.org"}]}"#,
    r#"{"/emails/0/value":"bjensen@example.com","/emails/1/value":"babs@jensen.org","/emails/2":{"type":"other","value":"x@y.org"}}"#)]
#[case::entra_1_4_replace_display_name_leading_space(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":" User X"}]}"#, r#"{"/displayName":" User X"}"#)]
#[case::entra_1_4_single_app_role_assignment(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"25\",\"displayName\":\"Role1234\"}"}]}]}"#,
    r#"{"/roles":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"25\",\"displayName\":\"Role1234\"}"}]}"#)]
// reference/entra-scim.md §1.5 and §2
#[case::entra_1_5_disable_tutorial_boolean(ENTRA_USER, r#"{"Operations":[{"op":"Replace","path":"active","value":false}],"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}"#, r#"{"/active":false}"#)]
#[case::entra_1_5_disable_string_false(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}"#, r#"{"/active":false}"#)]
#[case::entra_1_5_disable_flag_boolean(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}"#, r#"{"/active":false}"#)]
#[case::entra_1_5_reenable_string_true(BARE_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"True"}]}"#, r#"{"/active":true}"#)]
#[case::entra_1_5_add_active_string_false(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"active","value":"False"}]}"#, r#"{"/active":false}"#)]
#[case::entra_1_2_manager_bare_string_pathless(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"myuser"}}}]}"#,
    r#"{"/{ENT}/manager":{"value":"myuser"},"/{ENT}/department":"Tour Operations"}"#)]
#[case::entra_1_2_manager_urn_key_pathless(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"myuser"}}]}"#,
    r#"{"/{ENT}/manager":{"value":"myuser"}}"#)]
// reference/entra-scim.md §1.7 and §2
#[case::entra_1_7_rename_group(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]}"#,
    r#"{"/displayName":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName","/members/2/value":"89bb1940-b905-4575-9e7f-6f887cfb368e"}"#)]
#[case::entra_1_7_add_members_ref_null(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"a1b2c3"}]}]}"#,
    r#"{"/members/0/value":"f648f8d5ea4e4cd38e9c","/members/3":{"value":"a1b2c3"},"/members/4":null}"#)]
#[case::entra_1_7_add_member_already_present(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}]}"#,
    r#"{"/members/0":{"value":"f648f8d5ea4e4cd38e9c"},"/members/3":null}"#)]
#[case::entra_1_7_remove_members_value_array(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}]}"#,
    r#"{"/members":[{"value":"u1091","display":"u1091@example.com"},{"value":"89bb1940-b905-4575-9e7f-6f887cfb368e","display":"test.user@okta.local"}]}"#)]
#[case::entra_1_7_compat_remove_members_unflagged(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"u1091"}]}]}"#,
    r#"{"/members":[{"value":"f648f8d5ea4e4cd38e9c"},{"value":"89bb1940-b905-4575-9e7f-6f887cfb368e","display":"test.user@okta.local"}]}"#)]
#[case::entra_1_7_remove_member_not_present(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"nobody"}]}]}"#,
    r#"{"/members/2/value":"89bb1940-b905-4575-9e7f-6f887cfb368e"}"#)]
#[case::entra_1_7_flag_remove_member_filter(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"u1091\"]"}]}"#,
    r#"{"/members":[{"value":"f648f8d5ea4e4cd38e9c"},{"value":"89bb1940-b905-4575-9e7f-6f887cfb368e","display":"test.user@okta.local"}]}"#)]
#[case::entra_2_remove_member_filter_flag_example(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"7f4bc1a3-285e-48ae-8202-5accb43efb0e\"]"}]}"#,
    r#"{"/members/2/value":"89bb1940-b905-4575-9e7f-6f887cfb368e"}"#)]
// reference/okta-scim.md §3
#[case::okta_3_deactivate_pathless(OKTA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}"#,
    r#"{"/active":false,"/userName":"test.user@okta.local","/name/middleName":""}"#)]
#[case::okta_3_reactivate_inferred(OKTA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]}"#, r#"{"/active":true}"#)]
#[case::okta_3_password_sync_inferred(OKTA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"password":"1mz050nq"}}]}"#, r#"{"/password":"1mz050nq"}"#)]
// reference/okta-scim.md §4
#[case::okta_4_rename_pathless_with_id(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"abf4dd94-a4c0-4f67-89c9-76b03340cb9b","displayName":"Test SCIMv20"}}]}"#,
    r#"{"/displayName":"Test SCIMv20","/id":"abf4dd94-a4c0-4f67-89c9-76b03340cb9b"}"#)]
#[case::okta_4_membership_change(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]"},{"op":"add","path":"members","value":[{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"}]}]}"#,
    r#"{"/members":[{"value":"f648f8d5ea4e4cd38e9c"},{"value":"u1091","display":"u1091@example.com"},{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"}]}"#)]
#[case::okta_4_membership_change_2019(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"removeUser1\"]"},{"op":"remove","path":"members[value eq \"removeUser2\"]"},{"op":"add","path":"members","value":[{"value":"addUser1","display":"addUser1@example.com"},{"value":"addUser2","display":"addUser2@example.com"}]}]}"#,
    r#"{"/members/3":{"value":"addUser1","display":"addUser1@example.com"},"/members/4":{"value":"addUser2","display":"addUser2@example.com"},"/members/5":null}"#)]
#[case::okta_4_push_now_replace_members(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"},{"value":"89bb1940-b905-4575-9e7f-6f887cfb368e","display":"test.user@okta.local"}]}]}"#,
    r#"{"/members":[{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"},{"value":"89bb1940-b905-4575-9e7f-6f887cfb368e","display":"test.user@okta.local"}]}"#)]
#[case::okta_4_push_now_empty_members(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"members","value":[]}]}"#, r#"{"/members":null,"/displayName":"Test SCIMv2"}"#)]
// RFC 7644 §3.5.2 forms
#[case::rfc_add_pathless_appends_emails(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","value":{"emails":[{"value":"babs@home.org","type":"home"}],"nickName":"Babs"}}]}"#,
    r#"{"/emails/2":{"value":"babs@home.org","type":"home"},"/emails/0/value":"bjensen@example.com","/nickName":"Babs"}"#)]
#[case::rfc_add_duplicate_email_other_case(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":[{"value":"BABS@jensen.org","type":"home"}]}]}"#,
    r#"{"/emails/2":null}"#)]
#[case::rfc_add_primary_clears_others(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails","value":{"value":"new@example.com","type":"other","primary":"True"}}]}"#,
    r#"{"/emails/0/primary":false,"/emails/2":{"value":"new@example.com","type":"other","primary":true}}"#)]
#[case::rfc_replace_emails_whole(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails","value":[{"value":"only@example.com","type":"work"}]}]}"#,
    r#"{"/emails":[{"value":"only@example.com","type":"work"}]}"#)]
#[case::rfc_replace_filtered_element(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"babs@new.org","type":"home"}}]}"#,
    r#"{"/emails/1":{"value":"babs@new.org","type":"home"},"/emails/0/value":"bjensen@example.com"}"#)]
#[case::rfc_replace_complex_merges(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"name","value":{"givenName":"Babs","honorificPrefix":"Ms."}}]}"#,
    r#"{"/name":{"familyName":"Jensen","givenName":"Babs","honorificPrefix":"Ms."}}"#)]
#[case::rfc_remove_filtered_element(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[type eq \"home\"]"}]}"#,
    r#"{"/emails":[{"value":"bjensen@example.com","type":"work","primary":true}]}"#)]
#[case::rfc_remove_filtered_sub_attribute(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[type eq \"work\"].primary"}]}"#,
    r#"{"/emails/0":{"value":"bjensen@example.com","type":"work"}}"#)]
#[case::rfc_remove_filter_without_match_is_noop(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"emails[type eq \"pager\"]"}]}"#,
    r#"{"/emails/1/value":"babs@jensen.org"}"#)]
#[case::rfc_remove_all_members(GROUP, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members"}]}"#, r#"{"/members":null,"/displayName":"Test SCIMv2"}"#)]
#[case::rfc_remove_sub_attribute(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"name.givenName"}]}"#, r#"{"/name":{"familyName":"Jensen"}}"#)]
#[case::rfc_remove_last_sub_attribute_drops_parent(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"name.givenName"},{"op":"remove","path":"name.familyName"}]}"#, r#"{"/name":null}"#)]
#[case::rfc_remove_absent_is_noop(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"nickName"}]}"#, r#"{"/nickName":null,"/title":"Tour Guide"}"#)]
#[case::rfc_remove_enterprise_attribute(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]}"#,
    r#"{"/{ENT}":{"employeeNumber":"701984","department":"Tour Operations"}}"#)]
#[case::rfc_remove_whole_extension(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]}"#,
    r#"{"/{ENT}":null,"/schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}"#)]
#[case::rfc_remove_last_extension_attribute_drops_extension(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"},{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"}]}"#,
    r#"{"/{ENT}":null,"/schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}"#)]
#[case::rfc_add_extension_object_by_path(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"department":"Sales","costCenter":"4130"}}]}"#,
    r#"{"/{ENT}":{"department":"Sales","costCenter":"4130"}}"#)]
#[case::rfc_core_urn_path(ENTRA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:displayName","value":"Core"}]}"#, r#"{"/displayName":"Core"}"#)]
#[case::rfc_manager_sub_attribute(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"m2"}]}"#,
    r#"{"/{ENT}/manager":{"value":"m2","displayName":"John Smith"}}"#)]
#[case::rfc_manager_object_replaces(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m2"}}]}"#,
    r#"{"/{ENT}/manager":{"value":"m2"}}"#)]
#[case::rfc_replace_with_null_unassigns(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":null}]}"#, r#"{"/title":null}"#)]
#[case::rfc_attribute_names_case_insensitive(BJENSEN, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"REPLACE","path":"NAME.GIVENNAME","value":"B"},{"op":"Replace","path":"DisplayName","value":"D"}]}"#,
    r#"{"/name/givenName":"B","/displayName":"D","/DisplayName":null}"#)]
#[case::rfc_sub_attribute_on_multi_valued_without_filter(BARE_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails.value","value":"a@b.c"}]}"#,
    r#"{"/emails":[{"value":"a@b.c"}]}"#)]
#[case::rfc_empty_path_means_no_path(OKTA_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"","value":{"active":false}}]}"#, r#"{"/active":false}"#)]
// Unknown attributes are stored as given (module doc of scim::patch)
#[case::tolerant_unknown_top_level(BARE_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"costCentreCode","value":"42"}]}"#, r#"{"/costCentreCode":"42"}"#)]
#[case::tolerant_custom_extension_path(BARE_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag","value":"701984"}]}"#,
    r#"{"/urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User":{"tag":"701984"}}"#)]
#[case::tolerant_custom_extension_pathless_object(BARE_USER, r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User":{"tag":"701984"}}}]}"#,
    r#"{"/urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User":{"tag":"701984"}}"#)]
fn patch_applies(#[case] base: &str, #[case] body: &str, #[case] expect: &str) {
    check(base, body, expect);
}

/// The whole resource after Entra's §1.4 multi-valued update equals the documented
/// `200 OK` body (apart from `meta`, which the server maintains).
#[test]
fn entra_1_4_multi_valued_update_matches_documented_response() {
    let mut user = json(
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"6764549bef60420686bc","externalId":"6c75de36-30fa-4d2d-a196-6bdcdb6b6539","meta":{"resourceType":"User","created":"2018-03-27T19:59:26.000Z","lastModified":"2018-03-27T19:59:26.000Z"},"userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","name":{"formatted":"givenName updatedFamilyName","familyName":"familyName","givenName":"givenName"},"active":true,"emails":[{"value":"old@microsoft.com","type":"work","primary":true}]}"#,
    );
    let body = json(
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}"#,
    );
    apply(
        &mut user,
        &PatchRequest::from_json(body).unwrap(),
        ResourceSchema::user(),
    )
    .unwrap();
    let documented = json(
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"6764549bef60420686bc","externalId":"6c75de36-30fa-4d2d-a196-6bdcdb6b6539","meta":{"resourceType":"User","created":"2018-03-27T19:59:26.000Z","lastModified":"2018-03-27T19:59:26.000Z"},"userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","name":{"formatted":"givenName updatedFamilyName","familyName":"updatedFamilyName","givenName":"givenName"},"active":true,"emails":[{"value":"updatedEmail@microsoft.com","type":"work","primary":true}]}"#,
    );
    assert_eq!(user, documented);
}

/// The Okta deactivate produces exactly the documented `200 OK` body.
#[test]
fn okta_3_deactivate_matches_documented_response() {
    let mut user = json(
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"23a35c27-23d3-4c03-b4c5-6443c09e7173","userName":"test.user@okta.local","name":{"givenName":"Another","middleName":"","familyName":"User"},"emails":[{"primary":true,"value":"test.user@okta.local","type":"work","display":"test.user@okta.local"}],"active":true,"groups":[],"meta":{"resourceType":"User"}}"#,
    );
    let body = json(
        r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}"#,
    );
    apply(
        &mut user,
        &PatchRequest::from_json(body).unwrap(),
        ResourceSchema::user(),
    )
    .unwrap();
    let documented = json(
        r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"23a35c27-23d3-4c03-b4c5-6443c09e7173","userName":"test.user@okta.local","name":{"givenName":"Another","middleName":"","familyName":"User"},"emails":[{"primary":true,"value":"test.user@okta.local","type":"work","display":"test.user@okta.local"}],"active":false,"groups":[],"meta":{"resourceType":"User"}}"#,
    );
    assert_eq!(user, documented);
}

#[track_caller]
fn check_err(base: &str, body: &str, scim_type: ScimType, detail: &str) {
    let original = json(base);
    let mut resource = original.clone();
    let err = match PatchRequest::from_json(json(body)) {
        Err(e) => e,
        Ok(request) => {
            let schema = schema_for(&resource);
            apply(&mut resource, &request, schema).expect_err("patch should fail")
        }
    };
    assert_eq!(err.status, 400);
    assert_eq!(
        (err.scim_type, err.detail.as_str()),
        (Some(scim_type), detail)
    );
    assert_eq!(
        resource, original,
        "a failed patch must leave the resource unchanged"
    );
}

#[rstest]
// noTarget
#[case::remove_without_path(
    BJENSEN,
    r#"{"Operations":[{"op":"remove"}]}"#,
    ScimType::NoTarget,
    "operation 1 (remove): remove requires a path"
)]
#[case::remove_without_path_entra_case(
    GROUP,
    r#"{"Operations":[{"op":"Remove","value":[{"value":"u1091"}]}]}"#,
    ScimType::NoTarget,
    "operation 1 (remove): remove requires a path"
)]
#[case::replace_filter_without_match(BJENSEN, r#"{"Operations":[{"op":"replace","path":"emails[type eq \"pager\"]","value":{"value":"p@x"}}]}"#, ScimType::NoTarget, "operation 1 (replace): no value of `emails` matches the filter in `emails[type eq \"pager\"]`")]
#[case::replace_member_without_match(GROUP, r#"{"Operations":[{"op":"replace","path":"members[value eq \"nobody\"]","value":{"value":"x"}}]}"#, ScimType::NoTarget, "operation 1 (replace): no value of `members` matches the filter in `members[value eq \"nobody\"]`")]
#[case::replace_sub_attribute_non_eq_filter_without_match(BJENSEN, r#"{"Operations":[{"op":"replace","path":"emails[type co \"pag\"].value","value":"p@x"}]}"#, ScimType::NoTarget, "operation 1 (replace): no value of `emails` matches the filter in `emails[type co \"pag\"].value`")]
// invalidValue
#[case::active_maybe(
    BJENSEN,
    r#"{"Operations":[{"op":"replace","path":"active","value":"maybe"}]}"#,
    ScimType::InvalidValue,
    "operation 1 (replace): attribute `active` must be a boolean, found string \"maybe\""
)]
#[case::active_maybe_pathless(
    BJENSEN,
    r#"{"Operations":[{"op":"replace","value":{"active":"maybe"}}]}"#,
    ScimType::InvalidValue,
    "operation 1 (replace): attribute `active` must be a boolean, found string \"maybe\""
)]
#[case::active_number(
    BJENSEN,
    r#"{"Operations":[{"op":"Add","path":"active","value":1}]}"#,
    ScimType::InvalidValue,
    "operation 1 (add): attribute `active` must be a boolean, found 1"
)]
#[case::username_number(
    BJENSEN,
    r#"{"Operations":[{"op":"replace","path":"userName","value":42}]}"#,
    ScimType::InvalidValue,
    "operation 1 (replace): attribute `userName` must be a string, found 42"
)]
#[case::name_not_object(
    BJENSEN,
    r#"{"Operations":[{"op":"replace","path":"name","value":"Babs"}]}"#,
    ScimType::InvalidValue,
    "operation 1 (replace): attribute `name` must be an object, found string \"Babs\""
)]
#[case::email_primary_not_boolean(
    BJENSEN,
    r#"{"Operations":[{"op":"add","path":"emails","value":[{"value":"a@b","primary":"yes"}]}]}"#,
    ScimType::InvalidValue,
    "operation 1 (add): attribute `emails.primary` must be a boolean, found string \"yes\""
)]
#[case::add_without_value(
    BJENSEN,
    r#"{"Operations":[{"op":"add","path":"nickName"}]}"#,
    ScimType::InvalidValue,
    "operation 1 (add): add of `nickName` requires a value"
)]
#[case::add_null_value(
    BJENSEN,
    r#"{"Operations":[{"op":"add","path":"nickName","value":null}]}"#,
    ScimType::InvalidValue,
    "operation 1 (add): add of `nickName` requires a non-null value"
)]
#[case::replace_without_value(
    BJENSEN,
    r#"{"Operations":[{"op":"Replace","path":"title"}]}"#,
    ScimType::InvalidValue,
    "operation 1 (replace): replace of `title` requires a value"
)]
#[case::pathless_without_value(
    BJENSEN,
    r#"{"Operations":[{"op":"replace"}]}"#,
    ScimType::InvalidValue,
    "operation 1 (replace): replace without a path requires a value"
)]
#[case::pathless_not_object(
    BJENSEN,
    r#"{"Operations":[{"op":"add","value":"x"}]}"#,
    ScimType::InvalidValue,
    "operation 1 (add): add without a path requires an object value"
)]
#[case::remove_required_username(
    BJENSEN,
    r#"{"Operations":[{"op":"remove","path":"userName"}]}"#,
    ScimType::InvalidValue,
    "required attribute `userName` cannot be removed or emptied"
)]
#[case::empty_group_display_name(
    GROUP,
    r#"{"Operations":[{"op":"replace","path":"displayName","value":""}]}"#,
    ScimType::InvalidValue,
    "required attribute `displayName` cannot be removed or emptied"
)]
#[case::manager_array_of_two(
    BJENSEN,
    r#"{"Operations":[{"op":"add","path":"manager","value":[{"value":"a"},{"value":"b"}]}]}"#,
    ScimType::InvalidValue,
    "operation 1 (add): attribute `manager`: manager is single-valued, found an array of 2"
)]
#[case::filtered_replace_not_object(BJENSEN, r#"{"Operations":[{"op":"replace","path":"emails[type eq \"work\"]","value":"x@y"}]}"#, ScimType::InvalidValue, "operation 1 (replace): attribute `emails[type eq \"work\"]` must be an object, found string \"x@y\"")]
// mutability
#[case::replace_id(
    BJENSEN,
    r#"{"Operations":[{"op":"replace","path":"id","value":"x"}]}"#,
    ScimType::Mutability,
    "operation 1 (replace): attribute `id` is readOnly"
)]
#[case::remove_id(
    BJENSEN,
    r#"{"Operations":[{"op":"remove","path":"id"}]}"#,
    ScimType::Mutability,
    "operation 1 (remove): attribute `id` is readOnly"
)]
#[case::replace_meta(
    BJENSEN,
    r#"{"Operations":[{"op":"replace","path":"meta","value":{"version":"W/\"1\""}}]}"#,
    ScimType::Mutability,
    "operation 1 (replace): attribute `meta` is readOnly"
)]
#[case::replace_meta_sub_attribute(BJENSEN, r#"{"Operations":[{"op":"replace","path":"meta.lastModified","value":"2020-01-01T00:00:00Z"}]}"#, ScimType::Mutability, "operation 1 (replace): attribute `meta.lastModified` is readOnly")]
#[case::pathless_different_id(
    GROUP,
    r#"{"Operations":[{"op":"replace","value":{"id":"other","displayName":"x"}}]}"#,
    ScimType::Mutability,
    "operation 1 (replace): attribute `id` is readOnly"
)]
#[case::user_groups(
    OKTA_USER,
    r#"{"Operations":[{"op":"add","path":"groups","value":[{"value":"g1"}]}]}"#,
    ScimType::Mutability,
    "operation 1 (add): attribute `groups` is readOnly"
)]
#[case::schemas_path(
    BJENSEN,
    r#"{"Operations":[{"op":"replace","path":"schemas","value":[]}]}"#,
    ScimType::Mutability,
    "operation 1 (replace): attribute `schemas` is readOnly"
)]
#[case::member_value_immutable(
    GROUP,
    r#"{"Operations":[{"op":"replace","path":"members[value eq \"u1091\"].value","value":"u2"}]}"#,
    ScimType::Mutability,
    "operation 1 (replace): sub-attribute `members[value eq \"u1091\"].value` is immutable"
)]
// invalidPath
#[case::unparseable_path(BJENSEN, r#"{"Operations":[{"op":"replace","path":"emails[type eq","value":"x"}]}"#, ScimType::InvalidPath, "operation 1 (replace): invalid path `emails[type eq` at character 15: expected a value (a string in double quotes, a number, true, false or null), found end of input")]
#[case::path_with_space(BJENSEN, r#"{"Operations":[{"op":"replace","path":"user name","value":"x"}]}"#, ScimType::InvalidPath, "operation 1 (replace): invalid path `user name` at character 5: expected `[` or end of path, found ` `")]
#[case::path_trailing_garbage(BJENSEN, r#"{"Operations":[{"op":"remove","path":"emails[type eq \"work\"]x"}]}"#, ScimType::InvalidPath, "operation 1 (remove): invalid path `emails[type eq \"work\"]x` at character 23: expected `.` or end of path, found `x`")]
#[case::unknown_sub_attribute(
    BJENSEN,
    r#"{"Operations":[{"op":"replace","path":"name.nickname","value":"x"}]}"#,
    ScimType::InvalidPath,
    "operation 1 (replace): unknown sub-attribute `nickname` of `name`"
)]
#[case::sub_attribute_of_simple(
    BJENSEN,
    r#"{"Operations":[{"op":"replace","path":"title.value","value":"x"}]}"#,
    ScimType::InvalidPath,
    "operation 1 (replace): attribute `title` is not complex and has no sub-attribute `value`"
)]
#[case::unknown_enterprise_attribute(BJENSEN, r#"{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:badge","value":"x"}]}"#, ScimType::InvalidPath, "operation 1 (replace): unknown attribute `badge` in schema `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`")]
#[case::filter_on_single_valued(BJENSEN, r#"{"Operations":[{"op":"replace","path":"name[givenName eq \"x\"]","value":{}}]}"#, ScimType::InvalidPath, "operation 1 (replace): a value filter needs a multi-valued complex attribute, `name` is not one")]
#[case::group_urn_on_user(BJENSEN, r#"{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:Group:displayName","value":"x"}]}"#, ScimType::InvalidPath, "operation 1 (replace): schema `urn:ietf:params:scim:schemas:core:2.0:Group` does not apply to a User resource")]
#[case::pathless_bad_key(BJENSEN, r#"{"Operations":[{"op":"replace","value":{"given name":"x"}}]}"#, ScimType::InvalidPath, "operation 1 (replace): invalid path `given name` at character 6: expected `[` or end of path, found ` `")]
#[case::second_operation_fails_first_rolled_back(BJENSEN, r#"{"Operations":[{"op":"replace","path":"title","value":"Boss"},{"op":"replace","path":"id","value":"x"}]}"#, ScimType::Mutability, "operation 2 (replace): attribute `id` is readOnly")]
// invalidSyntax (request shape)
#[case::unknown_op(
    BJENSEN,
    r#"{"Operations":[{"op":"copy","path":"title"}]}"#,
    ScimType::InvalidSyntax,
    "operation 0: unknown op `copy`, expected add, replace or remove"
)]
#[case::missing_operations(
    BJENSEN,
    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}"#,
    ScimType::InvalidSyntax,
    "patch request has no `Operations`"
)]
#[case::operations_not_array(
    BJENSEN,
    r#"{"Operations":{"op":"add"}}"#,
    ScimType::InvalidSyntax,
    "`Operations` must be an array"
)]
fn patch_errors(
    #[case] base: &str,
    #[case] body: &str,
    #[case] scim_type: ScimType,
    #[case] detail: &str,
) {
    check_err(base, body, scim_type, detail);
}
