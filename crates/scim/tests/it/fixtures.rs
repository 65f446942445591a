//! Resources the table-driven tests run against.

use serde_json::Value;

/// A full User in the spirit of RFC 7643 §8.2, with the enterprise extension and a
/// custom numeric attribute.
pub const BJENSEN: &str = r#"{
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  "id": "2819c223-7f76-453a-919d-413861904646",
  "externalId": "Ext-701984",
  "userName": "bjensen@example.com",
  "name": {"familyName": "Jensen", "givenName": "Barbara"},
  "displayName": "Babs Jensen",
  "title": "Tour Guide",
  "userType": "Employee",
  "active": true,
  "loginCount": 7,
  "emails": [
    {"value": "bjensen@example.com", "type": "work", "primary": true},
    {"value": "babs@jensen.org", "type": "home"}
  ],
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "701984",
    "department": "Tour Operations",
    "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
  },
  "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"}
}"#;

/// reference/entra-scim.md §1.2, the corrected `201 Created` response of "Create User".
pub const ENTRA_USER: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"48af03ac28ad4fb88478","externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","meta":{"resourceType":"User","created":"2018-03-27T19:59:26.000Z","lastModified":"2018-03-27T19:59:26.000Z"},"userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"active":true,"emails":[{"value":"Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com","type":"work","primary":true}]}"#;

/// A user with no emails and no name, as Entra creates one before later PATCHes.
pub const BARE_USER: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u-bare","userName":"bare@example.com","active":true,"meta":{"resourceType":"User"}}"#;

/// reference/okta-scim.md §3, "Get user by id".
pub const OKTA_USER: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"23a35c27-23d3-4c03-b4c5-6443c09e7173","userName":"test.user@okta.local","name":{"givenName":"Test","middleName":"","familyName":"User"},"active":true,"emails":[{"primary":true,"value":"test.user@okta.local","type":"work","display":"test.user@okta.local"}],"groups":[],"meta":{"resourceType":"User"}}"#;

/// A group with three members; ids are the ones the fact sheets use.
pub const GROUP: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"abf4dd94-a4c0-4f67-89c9-76b03340cb9b","externalId":"8aa1a0c0","displayName":"Test SCIMv2","members":[{"value":"f648f8d5ea4e4cd38e9c"},{"value":"u1091","display":"u1091@example.com"},{"value":"89bb1940-b905-4575-9e7f-6f887cfb368e","display":"test.user@okta.local"}],"meta":{"resourceType":"Group","created":"2018-03-27T19:59:26.000Z","lastModified":"2018-03-27T19:59:26.000Z"}}"#;

pub fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("fixture is not json: {e}\n{s}"))
}
