//! `expect: {response}` checks against canned answers, and template parsing.

use serde_json::{json, Value};

use super::{is_refusal, response_mismatches};
use crate::http::Answer;
use crate::scenario::{templates, ResponseExpect};

fn answer(status: u16, content_type: &str, body: Value) -> Answer {
    Answer {
        status,
        headers: vec![("content-type".into(), content_type.into())],
        json: Some(body),
    }
}

fn want(yaml: &str) -> ResponseExpect {
    serde_norway::from_str(yaml).expect("a response expectation")
}

/// The checks that failed, by name.
#[track_caller]
fn check(expect: &str, answer: &Answer, failing: &[&str]) {
    let w = want(expect);
    let json: Vec<(String, Value)> = w.json.clone().into_iter().collect();
    let seen: Vec<String> = response_mismatches(&w, &json, answer)
        .into_iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(seen.len(), failing.len(), "mismatches {seen:?}");
    for (s, f) in seen.iter().zip(failing) {
        assert!(s.starts_with(f), "mismatch `{s}` is not `{f}…` ({seen:?})");
    }
}

fn scim_404() -> Answer {
    answer(
        404,
        "application/scim+json; charset=utf-8",
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": "404",
            "detail": "no such user",
        }),
    )
}

#[test]
fn a_scim_error_body_passes_and_each_defect_is_named() {
    check("{status: 404, scim_error: true}", &scim_404(), &[]);
    check("{status: 400}", &scim_404(), &["status"]);
    // The media type is `content_type`'s business, not `scim_error`'s.
    let json_typed = answer(404, "application/json", scim_404().json.unwrap());
    check("{scim_error: true}", &json_typed, &[]);
    check(
        "{scim_error: true, content_type: application/scim+json}",
        &json_typed,
        &["content type"],
    );
    let plain = Answer {
        status: 404,
        headers: vec![("content-type".into(), "text/plain".into())],
        json: None,
    };
    check(
        "{scim_error: true}",
        &plain,
        &["scim error schemas", "scim error status"],
    );
    let numeric = answer(
        404,
        "application/scim+json",
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": 404}),
    );
    check("{scim_error: true}", &numeric, &["scim error status"]);
}

#[test]
fn a_success_where_an_error_was_expected_is_said_as_itself() {
    let created = answer(201, "application/scim+json", json!({"id": "u1"}));
    let w = want("{status: 400, scim_error: true}");
    let seen = response_mismatches(&w, &[], &created);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0], ("status".into(), "400".into(), "201".into()));
    assert_eq!(seen[1].0, "scim error (RFC 7644 §3.12)");
    assert_eq!(seen[1].2, "status 201 (not an error)");
}

#[test]
fn a_status_list_passes_any_of_its_statuses() {
    let no_content = Answer {
        status: 204,
        headers: Vec::new(),
        json: None,
    };
    check("{status: [200, 204]}", &no_content, &[]);
    check("{status: [200, 201]}", &no_content, &["status"]);
    let w = want("{status: [200, 201]}");
    let seen = response_mismatches(&w, &[], &no_content);
    assert_eq!(seen[0].1, "200 or 201");
}

#[test]
fn an_optional_type_is_judged_only_where_present() {
    let list = answer(
        200,
        "application/scim+json",
        json!({"totalResults": 1, "startIndex": "1"}),
    );
    check(
        "{json_type_if_present: {/itemsPerPage: integer}}",
        &list,
        &[],
    );
    check(
        "{json_type_if_present: {/startIndex: integer}}",
        &list,
        &["json type /startIndex"],
    );
}

#[test]
fn content_type_ignores_parameters_and_case() {
    check("{content_type: Application/SCIM+json}", &scim_404(), &[]);
    check(
        "{content_type: application/json}",
        &scim_404(),
        &["content type"],
    );
}

#[test]
fn json_values_types_and_absence() {
    let list = answer(
        200,
        "application/scim+json",
        json!({"totalResults": 2, "startIndex": "1", "Resources": [{"id": "a"}], "ratio": 0.5}),
    );
    check(
        "{json: {/totalResults: 2, /Resources/0/id: a}, json_type: {/totalResults: integer, /Resources: array}}",
        &list,
        &[],
    );
    check(
        "{json_type: {/startIndex: integer, /ratio: integer, /missing: null}}",
        &list,
        &[
            "json type /missing",
            "json type /ratio",
            "json type /startIndex",
        ],
    );
    check("{json: {/totalResults: 3}}", &list, &["json /totalResults"]);
    check("{absent: [/Resources/0/members]}", &list, &[]);
    check(
        "{absent: [/Resources/0/id]}",
        &list,
        &["json /Resources/0/id"],
    );
}

#[test]
fn templates_are_found_and_unknown_kinds_reported() {
    assert_eq!(
        templates("/Users/{user_id:alice}?x={group_id:ops}"),
        vec![Ok(("user_id", "alice")), Ok(("group_id", "ops"))]
    );
    assert_eq!(templates("{user:alice}"), vec![Err("user:alice")]);
    // JSON-looking text and `{tag}` are not templates.
    assert!(templates(r#"{"a": 1} {tag} members[value eq "x"]"#).is_empty());
}

#[test]
fn only_a_refusal_of_the_change_counts_as_refused() {
    for s in [400, 409, 422] {
        assert!(is_refusal(s), "{s}");
    }
    for s in [200, 204, 401, 403, 404, 405, 500] {
        assert!(!is_refusal(s), "{s}");
    }
}
