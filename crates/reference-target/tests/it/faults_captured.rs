//! The faults of issue 17, targets that take only one of the forms real IdPs send: each
//! refuses the captured form it names, and the clean target takes it.

use axum::http::Method;
use reference_target::Fault;
use serde_json::json;

use crate::faults::{both, create_group, create_user, get_group_members, groups, users};
use crate::support::*;

#[tokio::test]
async fn member_replace_refused() {
    let (clean, faulty) = both(SYNC_ON, Fault::MemberReplaceRefused, |t| async move {
        let a = create_user(&t, "a@example.test").await;
        let b = create_user(&t, "b@example.test").await;
        let g = create_group(&t, "Crew", &[&a]).await;
        let path = format!("{}/{g}", groups());
        let mut seen = Vec::new();
        for op in [
            json!([{"op": "replace", "path": "members", "value": [{"value": b}]}]),
            json!([{"op": "replace", "value": {"members": [{"value": a}], "id": g, "displayName": "Crew"}}]),
            // A rename without members is not what the fault refuses.
            json!([{"op": "replace", "value": {"id": g, "displayName": "Crew 2"}}]),
        ] {
            seen.push(t.send(Method::PATCH, &path, Some(&patch(op))).await.status);
        }
        (seen, get_group_members(&t, &g).await.len())
    })
    .await;
    assert_eq!(clean, (vec![200, 200, 200], 1));
    assert_eq!(faulty, (vec![501, 501, 200], 1));
}

#[tokio::test]
async fn add_on_present_attribute_refused() {
    let (clean, faulty) = both(
        SYNC_ON,
        Fault::AddOnPresentAttributeRefused,
        |t| async move {
            let u = create_user(&t, "u@example.test").await;
            let path = format!("{}/{u}", users());
            let mut seen = Vec::new();
            for op in [
                json!([{"op": "Add", "path": "active", "value": "False"}]),
                json!([{"op": "Add", "path": "title", "value": "Lead"}]),
                json!([{"op": "Add", "path": "title", "value": "Lead 2"}]),
            ] {
                seen.push(t.send(Method::PATCH, &path, Some(&patch(op))).await.status);
            }
            seen
        },
    )
    .await;
    assert_eq!(clean, [200, 200, 200]);
    // `active` is always held; `title` only after the first add set it.
    assert_eq!(faulty, [400, 200, 400]);
}

#[tokio::test]
async fn externalid_filter_unsupported() {
    let (clean, faulty) = both(
        SYNC_ON,
        Fault::ExternalIdFilterUnsupported,
        |t| async move {
            create_user(&t, "x@example.test").await;
            let mut seen = Vec::new();
            for filter in [
                "externalId%20eq%20%22nobody%22",
                "userName%20eq%20%22x%40example.test%22",
            ] {
                let r = t
                    .send(Method::GET, &format!("{}?filter={filter}", users()), None)
                    .await;
                seen.push(r.status);
            }
            seen
        },
    )
    .await;
    assert_eq!(clean, [200, 200]);
    assert_eq!(faulty, [400, 200]);
}
