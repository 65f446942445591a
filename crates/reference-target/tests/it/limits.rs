//! Issue 19: a User's multi-valued attribute holds at most
//! `reference_target::MAX_VALUES_PER_ATTRIBUTE` values; a write past it is `400
//! invalidValue` naming the attribute, and changes nothing.

use serde_json::{json, Value};

use crate::support::{user, Target, BASE, PATCH_SCHEMA, SYNC_ON};

const MAX: usize = reference_target::MAX_VALUES_PER_ATTRIBUTE;

fn emails(n: usize) -> Value {
    (0..n)
        .map(|i| json!({"value": format!("extra-{i:05}@example.test"), "type": "other"}))
        .collect()
}

fn add_emails(n: usize) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "emails", "value": emails(n)}]})
}

#[tokio::test]
async fn a_patch_past_the_cap_is_refused_and_changes_nothing() {
    let t = Target::start(SYNC_ON).await;
    let id = t.create_user(&user("cap@example.test", "cap")).await.id();
    let path = format!("{BASE}/Users/{id}");
    let r = t.patch(&path, &add_emails(10_000)).await;
    r.assert_scim_error(400, Some("invalidValue"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("`emails`"),
        "{}",
        r.body
    );
    assert_eq!(
        t.get(&path).await.body["emails"].as_array().unwrap().len(),
        1
    );
    // Up to the cap is accepted: the user's own address and MAX - 1 more.
    let r = t.patch(&path, &add_emails(MAX - 1)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["emails"].as_array().unwrap().len(), MAX);
    // One more, in a PATCH naming a single value, goes past the resource's cap.
    let one = json!({"schemas": [PATCH_SCHEMA], "Operations": [{"op": "add", "path": "emails", "value": [{"value": "last@example.test"}]}]});
    t.patch(&path, &one)
        .await
        .assert_scim_error(400, Some("invalidValue"));
}

#[tokio::test]
async fn a_create_or_replace_past_the_cap_is_refused() {
    let t = Target::start(SYNC_ON).await;
    let mut body = user("big@example.test", "big");
    body["emails"] = emails(MAX + 1);
    t.post(&format!("{BASE}/Users"), &body)
        .await
        .assert_scim_error(400, Some("invalidValue"));
    let id = t.create_user(&user("big@example.test", "big")).await.id();
    t.put(&format!("{BASE}/Users/{id}"), &body)
        .await
        .assert_scim_error(400, Some("invalidValue"));
}
