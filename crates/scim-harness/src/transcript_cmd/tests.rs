//! `to-scenario` over hand-written transcripts: the steps it writes and that the
//! conformance loader takes them.

use serde_json::{json, Value};

use super::skeleton;

const BASE: &str = "http://old:1/scim/v2";

fn ex(
    seq: u64,
    method: &str,
    path: &str,
    body: Option<Value>,
    status: u16,
    answer: Option<Value>,
) -> idp::Exchange {
    let mut e = idp::Exchange::unanswered(
        "okta".into(),
        method.into(),
        format!("{BASE}{path}"),
        vec![],
        body.map(idp::JsonText::from),
    );
    e.seq = seq;
    e.status = Some(status);
    e.response_json = answer.map(idp::JsonText::from);
    e
}

fn user(name: &str, given: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
        "name": {"givenName": given, "familyName": "Example"}, "externalId": "x",
        "emails": [{"value": name, "primary": true, "type": "work"}], "active": true, "password": "[redacted]"})
}

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

fn steps(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("  - ") || l.starts_with("  # TODO"))
        .collect()
}

#[test]
fn a_transcripts_changes_become_directory_steps_and_the_loader_takes_them() {
    let transcript = vec![
        ex(
            1,
            "GET",
            "/Users?filter=userName+eq+%22ann%40x.example%22",
            None,
            200,
            Some(json!({"Resources": []})),
        ),
        ex(
            2,
            "POST",
            "/Users",
            Some(user("ann@x.example", "Ann")),
            201,
            Some(json!({"id": "u1"})),
        ),
        ex(
            3,
            "POST",
            "/Users",
            Some(user("bob@x.example", "Bob")),
            201,
            Some(json!({"id": "u2"})),
        ),
        ex(
            4,
            "POST",
            "/Groups",
            Some(json!({"displayName": "Ops", "members": [{"value": "u1"}]})),
            201,
            Some(json!({"id": "g1"})),
        ),
        ex(
            5,
            "PATCH",
            "/Groups/g1",
            Some(patch(
                json!([{"op": "add", "path": "members", "value": [{"value": "u2"}]}]),
            )),
            204,
            None,
        ),
        // A later cycle: ann renamed and disabled with Entra's string, the group renamed,
        // bob removed through a filter, then deleted; one change refused.
        ex(
            6,
            "PATCH",
            "/Users/u1",
            Some(patch(
                json!([{"op": "Replace", "path": "name.givenName", "value": "Anna"}, {"op": "Replace", "path": "active", "value": "False"}]),
            )),
            200,
            None,
        ),
        ex(
            7,
            "PATCH",
            "/Groups/g1",
            Some(patch(
                json!([{"op": "replace", "value": {"displayName": "Ops Team"}}]),
            )),
            204,
            None,
        ),
        ex(
            8,
            "PATCH",
            "/Groups/g1",
            Some(patch(
                json!([{"op": "remove", "path": "members[value eq \"u2\"]"}]),
            )),
            204,
            None,
        ),
        ex(9, "DELETE", "/Users/u2", None, 204, None),
        ex(
            10,
            "PATCH",
            "/Users/u9",
            Some(patch(
                json!([{"op": "replace", "path": "title", "value": "X"}]),
            )),
            200,
            None,
        ),
        ex(
            11,
            "PUT",
            "/Users/u1",
            Some(user("ann@x.example", "Anna")),
            409,
            None,
        ),
    ];
    let text = skeleton(&transcript, "t.jsonl", "t");
    assert_eq!(
        steps(&text),
        [
            "  - add_user: {user: ann, given_name: \"Ann\", login: \"ann.{tag}@x.example\", surname: \"Example\"}",
            "  - add_user: {user: bob, given_name: \"Bob\", login: \"bob.{tag}@x.example\", surname: \"Example\"}",
            "  - create_group: {group: ops, name: \"Ops {tag}\"}",
            "  - add_member: {group: ops, user: ann}",
            "  - add_member: {group: ops, user: bob}",
            "  - sync: {}",
            "  - update_user: {user: ann, given_name: \"Anna\"}",
            "  - disable_user: ann",
            "  - rename_group: {group: ops, name: \"Ops Team {tag}\"}",
            "  - remove_member: {group: ops, user: bob}",
            "  - hard_delete_user: bob",
            "  # TODO: #10 change of a user this transcript did not create (u9)",
            "  # TODO: #11 PUT /Users/u1 answered 409; the directory change behind it is left out",
            "  - sync: {}",
            "  # TODO: these expectations are the end state the recorded target answered; add what the regression is about (a status, a read-back, an app probe)",
            "  - expect: {user: {user: ann, exists: true, active: false}}",
            "  - expect: {user: {user: bob, exists: false}}",
            "  - expect: {team: {group: ops, exists: true, members: [ann]}}",
        ],
        "{text}"
    );
    assert!(text.contains("personas: [okta]"), "{text}");
    let loaded = conformance::parse_scenario(&text, "t.yaml", "regression")
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(loaded.scenario.id, "regression.t");
}
