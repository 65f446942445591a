//! Error paths through the router: every failure is an RFC 7644 §3.12 body with the
//! right status and `scimType`, never a 500.

use axum::body::Body;
use axum::http::{header, Method, Request};
use rstest::rstest;
use serde_json::json;

use crate::support::*;

/// A target with one user and one group; `{user}` and `{group}` in paths name them.
async fn seeded() -> (RouterTarget, String, String) {
    let t = RouterTarget::from_ini(SYNC_ON, &[]);
    let u = t
        .send(
            Method::POST,
            &format!("{BASE}/Users"),
            Some(&user("seed@example.com", "s")),
        )
        .await;
    assert_eq!(u.status, 201, "{}", u.body);
    let g = t
        .send(
            Method::POST,
            &format!("{BASE}/Groups"),
            Some(&group("Seed", None, &[])),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.body);
    (t, u.id(), g.id())
}

fn raw(method: Method, path: &str, content_type: Option<&str>, body: &str) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

const OPS: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":"#;

#[rstest]
#[case::malformed_json(
    Method::POST,
    "/Users",
    SCIM_JSON,
    r#"{"userName":"#,
    400,
    Some("invalidSyntax")
)]
#[case::not_an_object(Method::POST, "/Users", SCIM_JSON, "[1,2]", 400, Some("invalidSyntax"))]
#[case::empty_body(Method::POST, "/Users", SCIM_JSON, "", 400, Some("invalidSyntax"))]
#[case::missing_user_name(
    Method::POST,
    "/Users",
    SCIM_JSON,
    r#"{"externalId":"x"}"#,
    400,
    Some("invalidValue")
)]
#[case::user_name_not_a_string(
    Method::POST,
    "/Users",
    SCIM_JSON,
    r#"{"userName":5,"externalId":"x"}"#,
    400,
    Some("invalidValue")
)]
#[case::active_not_a_boolean(
    Method::POST,
    "/Users",
    SCIM_JSON,
    r#"{"userName":"a","externalId":"x","active":"maybe"}"#,
    400,
    Some("invalidValue")
)]
#[case::group_malformed(Method::POST, "/Groups", SCIM_JSON, "{", 400, Some("invalidSyntax"))]
#[case::group_without_name(
    Method::POST,
    "/Groups",
    SCIM_JSON,
    r#"{"members":[]}"#,
    400,
    Some("invalidValue")
)]
#[case::filter_incomplete(
    Method::GET,
    "/Users?filter=userName%20eq",
    SCIM_JSON,
    "",
    400,
    Some("invalidFilter")
)]
#[case::filter_bad_operator(
    Method::GET,
    "/Users?filter=userName%20xx%20%22a%22",
    SCIM_JSON,
    "",
    400,
    Some("invalidFilter")
)]
#[case::filter_open_paren(
    Method::GET,
    "/Users?filter=(userName%20eq%20%22a%22",
    SCIM_JSON,
    "",
    400,
    Some("invalidFilter")
)]
#[case::filter_on_groups(
    Method::GET,
    "/Groups?filter=displayName%20eq",
    SCIM_JSON,
    "",
    400,
    Some("invalidFilter")
)]
#[case::count_not_a_number(
    Method::GET,
    "/Users?count=ten",
    SCIM_JSON,
    "",
    400,
    Some("invalidValue")
)]
#[case::start_not_a_number(
    Method::GET,
    "/Users?startIndex=x",
    SCIM_JSON,
    "",
    400,
    Some("invalidValue")
)]
#[case::patch_bad_path(
    Method::PATCH,
    "/Users/{user}",
    SCIM_JSON,
    r#"[{"op":"replace","path":"emails[type eq","value":"x"}]}"#,
    400,
    Some("invalidPath")
)]
#[case::patch_group_bad_path(
    Method::PATCH,
    "/Groups/{group}",
    SCIM_JSON,
    r#"[{"op":"remove","path":"members[value eq"}]}"#,
    400,
    Some("invalidPath")
)]
#[case::patch_unknown_op(
    Method::PATCH,
    "/Users/{user}",
    SCIM_JSON,
    r#"[{"op":"frobnicate","path":"active","value":true}]}"#,
    400,
    Some("invalidSyntax")
)]
#[case::patch_remove_without_path(
    Method::PATCH,
    "/Users/{user}",
    SCIM_JSON,
    r#"[{"op":"remove"}]}"#,
    400,
    Some("noTarget")
)]
#[case::patch_without_operations(
    Method::PATCH,
    "/Users/{user}",
    SCIM_JSON,
    r#"{"schemas":[]}"#,
    400,
    Some("invalidSyntax")
)]
#[case::patch_wrong_value_type(
    Method::PATCH,
    "/Users/{user}",
    SCIM_JSON,
    r#"[{"op":"replace","path":"active","value":"sometimes"}]}"#,
    400,
    Some("invalidValue")
)]
#[case::patch_unknown_user(
    Method::PATCH,
    "/Users/nope",
    SCIM_JSON,
    r#"[{"op":"replace","path":"active","value":true}]}"#,
    404,
    None
)]
#[case::get_unknown_user(Method::GET, "/Users/nope", SCIM_JSON, "", 404, None)]
#[case::get_unknown_group(Method::GET, "/Groups/nope", SCIM_JSON, "", 404, None)]
#[case::put_unknown_user(
    Method::PUT,
    "/Users/nope",
    SCIM_JSON,
    r#"{"userName":"a","externalId":"b"}"#,
    404,
    None
)]
#[case::delete_unknown_group(Method::DELETE, "/Groups/nope", SCIM_JSON, "", 404, None)]
#[case::text_plain(
    Method::POST,
    "/Users",
    "text/plain",
    r#"{"userName":"a","externalId":"b"}"#,
    415,
    None
)]
#[case::xml(Method::PUT, "/Users/{user}", "application/xml", "<user/>", 415, None)]
#[case::form(
    Method::PATCH,
    "/Groups/{group}",
    "application/x-www-form-urlencoded",
    "a=b",
    415,
    None
)]
#[case::unknown_route(Method::GET, "/Nope", SCIM_JSON, "", 404, None)]
#[case::method_not_allowed(Method::DELETE, "/Users", SCIM_JSON, "", 405, None)]
#[tokio::test]
async fn scim_errors(
    #[case] method: Method,
    #[case] path: &str,
    #[case] content_type: &str,
    #[case] body: &str,
    #[case] status: u16,
    #[case] scim_type: Option<&str>,
) {
    let (t, user_id, group_id) = seeded().await;
    let path = format!(
        "{BASE}{}",
        path.replace("{user}", &user_id)
            .replace("{group}", &group_id)
    );
    let body = if body.starts_with('[') && method == Method::PATCH {
        format!("{OPS}{body}")
    } else {
        body.to_owned()
    };
    let reply = t
        .request(raw(method, &path, Some(content_type), &body))
        .await;
    reply.assert_scim_error(status, scim_type);
}

#[rstest]
#[case::scim_json(Some("application/scim+json"))]
#[case::json(Some("application/json"))]
#[case::json_with_charset(Some("application/json; charset=utf-8"))]
#[case::none(None)]
#[tokio::test]
async fn json_content_types_are_accepted(#[case] content_type: Option<&str>) {
    let t = RouterTarget::from_ini(SYNC_ON, &[]);
    let body = serde_json::to_string(&user("ct@example.com", "ct")).unwrap();
    let r = t
        .request(raw(
            Method::POST,
            &format!("{BASE}/Users"),
            content_type,
            &body,
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.content_type(), SCIM_JSON);
}

#[tokio::test]
async fn unknown_attributes_are_tolerated() {
    let t = RouterTarget::from_ini(SYNC_ON, &[]);
    let mut body = user("odd@example.com", "odd");
    body["favouriteColour"] = json!("teal");
    body["urn:example:custom:2.0:User"] = json!({"badge": 7});
    let r = t
        .send(Method::POST, &format!("{BASE}/Users"), Some(&body))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mut g = group("Odd", None, &[]);
    g["colour"] = json!(["a"]);
    assert_eq!(
        t.send(Method::POST, &format!("{BASE}/Groups"), Some(&g))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413_with_a_scim_body() {
    let t = RouterTarget::from_ini(SYNC_ON, &[]);
    let mut body = user("big@example.com", "big");
    body["padding"] = json!("x".repeat(reference_target::MAX_BODY_BYTES));
    let text = serde_json::to_string(&body).unwrap();
    let r = t
        .request(raw(
            Method::POST,
            &format!("{BASE}/Users"),
            Some(SCIM_JSON),
            &text,
        ))
        .await;
    r.assert_scim_error(413, None);
    // Just under the limit is fine.
    body["padding"] = json!("x".repeat(reference_target::MAX_BODY_BYTES - 500));
    let text = serde_json::to_string(&body).unwrap();
    let r = t
        .request(raw(
            Method::POST,
            &format!("{BASE}/Users"),
            Some(SCIM_JSON),
            &text,
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// Issue 19: a request target over the limit is 414 with the surface's error body, over a
/// real socket (so hyper's own parsing is in the way too).
#[tokio::test]
async fn a_uri_over_the_limit_is_414_with_an_error_body() {
    let t = crate::support::Target::start(SYNC_ON).await;
    let filter = |len: usize| {
        let prefix = format!("{BASE}/Users?filter=userName%20eq%20%22");
        let pad = len - prefix.len() - "%22".len();
        format!("{prefix}{}%22", "a".repeat(pad))
    };
    let limit = 8 * 1024;
    let r = t.get(&filter(limit + 1)).await;
    r.assert_scim_error(414, None);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("8192-byte limit"),
        "{}",
        r.body
    );
    // At the limit the request is served: no such user.
    let r = t.get(&filter(limit)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["totalResults"], 0);
    // The app API answers in its own shape.
    let r = t
        .get(&format!("/api/org/users?query={}", "a".repeat(limit)))
        .await;
    assert_eq!(r.status, 414);
    assert!(r.body["message"].is_string(), "{}", r.body);
}

#[rstest]
#[case::no_header(None)]
#[case::wrong_token(Some("Bearer wrong"))]
#[case::token_prefix(Some("Bearer test-token"))]
#[case::basic(Some("Basic dXNlcjpwYXNz"))]
#[case::bare_token(Some(TOKEN))]
#[tokio::test]
async fn requests_without_the_token_are_401(#[case] authorization: Option<&str>) {
    let t = RouterTarget::from_ini(SYNC_ON, &[]);
    for (method, path) in [
        (Method::GET, format!("{BASE}/Users")),
        (Method::POST, format!("{BASE}/Users")),
        (Method::GET, format!("{BASE}/ServiceProviderConfig")),
        (Method::GET, format!("{BASE}/Schemas")),
        (Method::GET, format!("{BASE}/Nope")),
        (
            Method::GET,
            "/apis/scim.grafana.app/v0alpha1/namespaces/other/Users".to_owned(),
        ),
    ] {
        let mut b = Request::builder().method(method).uri(&path);
        if let Some(a) = authorization {
            b = b.header(header::AUTHORIZATION, a);
        }
        let r = t.request(b.body(Body::empty()).unwrap()).await;
        r.assert_scim_error(401, None);
        assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer", "{path}");
    }
}

#[tokio::test]
async fn another_namespace_is_403_invalid_namespace() {
    let t = RouterTarget::from_ini(SYNC_ON, &[]);
    for path in ["Users", "Groups/x", "ServiceProviderConfig", "Schemas"] {
        let r = t
            .send(
                Method::GET,
                &format!("/apis/scim.grafana.app/v0alpha1/namespaces/stacks-123/{path}"),
                None,
            )
            .await;
        r.assert_scim_error(403, None);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("invalid namespace"),
            "{}",
            r.body
        );
    }
}

#[rstest]
#[case::create_user(Method::POST, "/Users", true)]
#[case::replace_user(Method::PUT, "/Users/x", true)]
#[case::patch_user(Method::PATCH, "/Users/x", true)]
#[case::delete_user(Method::DELETE, "/Users/x", false)]
#[case::create_group(Method::POST, "/Groups", true)]
#[case::replace_group(Method::PUT, "/Groups/x", true)]
#[case::patch_group(Method::PATCH, "/Groups/x", true)]
#[case::delete_group(Method::DELETE, "/Groups/x", false)]
#[tokio::test]
async fn writes_are_403_while_sync_is_off(
    #[case] method: Method,
    #[case] path: &str,
    #[case] with_body: bool,
) {
    // Grafana's defaults: everything off.
    let t = RouterTarget::with_settings(reference_target::Settings::default());
    let body =
        json!({"schemas": [USER_SCHEMA], "userName": "a", "externalId": "b", "displayName": "c"});
    let r = t
        .send(method, &format!("{BASE}{path}"), with_body.then_some(&body))
        .await;
    r.assert_scim_error(403, None);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("sync is disabled"),
        "{}",
        r.body
    );
    // Reads still work.
    assert_eq!(
        t.send(Method::GET, &format!("{BASE}/Users"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        t.send(Method::GET, &format!("{BASE}/Groups"), None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn user_sync_alone_allows_users_but_not_groups() {
    let t = RouterTarget::from_ini("[auth.scim]\nuser_sync_enabled = true\n", &[]);
    let r = t
        .send(
            Method::POST,
            &format!("{BASE}/Users"),
            Some(&user("u@example.com", "u")),
        )
        .await;
    assert_eq!(r.status, 201);
    t.send(
        Method::POST,
        &format!("{BASE}/Groups"),
        Some(&group("G", None, &[])),
    )
    .await
    .assert_scim_error(403, None);
}

/// Odd inputs never produce a 500.
#[tokio::test]
async fn odd_inputs_never_answer_500() {
    let (t, user_id, group_id) = seeded().await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let bodies = [
        deep.as_str(),
        "null",
        "\"just a string\"",
        "1e999999",
        r#"{"userName":"\ud800","externalId":"x"}"#,
        r#"{"userName":"a","externalId":"b","emails":"notalist"}"#,
        r#"{"userName":"a","externalId":"b","emails":[{"value":{"nested":1}}]}"#,
        r#"{"userName":"a","externalId":"b","name":"flat"}"#,
        r#"{"userName":"a","externalId":"b","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":7}"#,
        r#"{"userName":"a","externalId":"b","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[1,2]}}"#,
        r#"{"displayName":"g","members":[{"value":5}]}"#,
        r#"{"displayName":"g","members":"x"}"#,
        r#"{"Operations":[{"op":"add","path":"members","value":"notalist"}]}"#,
        r#"{"Operations":[{"op":"replace","value":"notanobject"}]}"#,
        r#"{"Operations":[{"op":"replace","path":"id","value":"new"}]}"#,
        r#"{"Operations":[{"op":"replace","path":"meta.created","value":"x"}]}"#,
        r#"{"Operations":[{"op":"add","path":"groups","value":[{"value":"x"}]}]}"#,
        r#"{"Operations":[{"op":"replace","path":"userName","value":""}]}"#,
        r#"{"Operations":[{"op":"replace","path":"displayName","value":null}]}"#,
        r#"{"Operations":[{"op":"remove","path":"members"}]}"#,
        r#"{"Operations":[{"op":"remove","path":"displayName"}]}"#,
        r#"{"Operations":[{"op":"replace","path":"emails[value pr].primary","value":true}]}"#,
        r#"{"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":[]}]}"#,
    ];
    let paths = [
        (Method::POST, format!("{BASE}/Users")),
        (Method::POST, format!("{BASE}/Groups")),
        (Method::PUT, format!("{BASE}/Users/{user_id}")),
        (Method::PUT, format!("{BASE}/Groups/{group_id}")),
        (Method::PATCH, format!("{BASE}/Users/{user_id}")),
        (Method::PATCH, format!("{BASE}/Groups/{group_id}")),
    ];
    for (method, path) in &paths {
        for body in bodies {
            let r = t
                .request(raw(method.clone(), path, Some(SCIM_JSON), body))
                .await;
            assert!(
                r.status < 500,
                "{method} {path} with {body:.80}: {} {}",
                r.status,
                r.body
            );
            if r.status >= 400 {
                r.assert_scim_error(r.status, r.body.get("scimType").and_then(|v| v.as_str()));
            }
        }
    }
    for query in [
        "filter=%00",
        "filter=userName%20eq%20%22%ZZ",
        "count=99999999999999999999",
        "attributes=%20,%20",
        "excludedAttributes=nope.nope.nope",
    ] {
        let r = t
            .send(Method::GET, &format!("{BASE}/Users?{query}"), None)
            .await;
        assert!(r.status < 500, "{query}: {} {}", r.status, r.body);
    }
}
