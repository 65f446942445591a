//! The interop faults of issue 16 (idempotency, values that break filters and paths,
//! groups, auth answers): each changes what its doc claims, and the clean target does
//! not show it.

use axum::body::Body;
use axum::http::{header, Method, Request};
use reference_target::Fault;
use serde_json::json;

use crate::faults::{both, create_group, create_user, get_group_members, groups, users};
use crate::support::*;

#[tokio::test]
async fn delete_unknown_succeeds() {
    let (clean, faulty) = both(SYNC_ON, Fault::DeleteUnknownSucceeds, |t| async move {
        let u = create_user(&t, "gone@example.test").await;
        let g = create_group(&t, "Gone", &[]).await;
        let mut seen = Vec::new();
        for path in [format!("{}/{u}", users()), format!("{}/{g}", groups())] {
            seen.push(t.send(Method::DELETE, &path, None).await.status);
            seen.push(t.send(Method::DELETE, &path, None).await.status);
        }
        let never = format!("{}/00000000-0000-4000-8000-000000000000", users());
        seen.push(t.send(Method::DELETE, &never, None).await.status);
        seen
    })
    .await;
    assert_eq!(clean, [204, 404, 204, 404, 404]);
    assert_eq!(faulty, [204, 204, 204, 204, 204]);
}

#[tokio::test]
async fn filter_plus_as_space() {
    let (clean, faulty) = both(SYNC_ON, Fault::FilterPlusAsSpace, |t| async move {
        create_user(&t, "ann+ops@example.test").await;
        let filter = encode("userName eq \"ann+ops@example.test\"");
        let r = t
            .send(Method::GET, &format!("{}?filter={filter}", users()), None)
            .await;
        r.body["totalResults"].clone()
    })
    .await;
    assert_eq!((clean, faulty), (json!(1), json!(0)));
}

#[tokio::test]
async fn add_filtered_path_no_target() {
    let (clean, faulty) = both(SYNC_ON, Fault::AddFilteredPathNoTarget, |t| async move {
        let u = create_user(&t, "newhire@example.test").await;
        let path = format!("{}/{u}", users());
        let removed = t
            .send(
                Method::PATCH,
                &path,
                Some(&patch(json!([{"op": "Remove", "path": "emails"}]))),
            )
            .await;
        assert_eq!(removed.status, 200, "{}", removed.body);
        let op = json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "w@example.test"}]);
        let r = t.send(Method::PATCH, &path, Some(&patch(op))).await;
        (r.status, r.body["emails"][0]["value"].clone())
    })
    .await;
    assert_eq!(clean, (200, json!("w@example.test")));
    assert_eq!(faulty.0, 400);
}

#[tokio::test]
async fn case_sensitive_group_name() {
    let (clean, faulty) = both(SYNC_ON, Fault::CaseSensitiveGroupName, |t| async move {
        create_group(&t, "Ops Team", &[]).await;
        let mut totals = Vec::new();
        for name in ["ops team", "Ops Team"] {
            let filter = encode(&format!("displayName eq \"{name}\""));
            let r = t
                .send(Method::GET, &format!("{}?filter={filter}", groups()), None)
                .await;
            totals.push(r.body["totalResults"].clone());
        }
        totals
    })
    .await;
    assert_eq!(clean, [json!(1), json!(1)]);
    assert_eq!(faulty, [json!(0), json!(1)]);
}

#[tokio::test]
async fn malformed_auth_500() {
    let (clean, faulty) = both(SYNC_ON, Fault::MalformedAuth500, |t| async move {
        let mut seen = Vec::new();
        for credential in ["Bearer wrong", "Bearer", "Token abc", "Basic %%%"] {
            let request = Request::builder()
                .uri(users())
                .header(header::AUTHORIZATION, credential)
                .body(Body::empty())
                .unwrap();
            seen.push(t.request(request).await.status);
        }
        seen
    })
    .await;
    assert_eq!(clean, [401, 401, 401, 401]);
    assert_eq!(faulty, [401, 500, 500, 500]);
}

#[tokio::test]
async fn readd_member_conflict() {
    let (clean, faulty) = both(SYNC_ON, Fault::ReaddMemberConflict, |t| async move {
        let u = create_user(&t, "member@example.test").await;
        let g = create_group(&t, "Crew", &[&u]).await;
        let op = json!([{"op": "Add", "path": "members", "value": [{"value": u}]}]);
        let r = t
            .send(
                Method::PATCH,
                &format!("{}/{g}", groups()),
                Some(&patch(op)),
            )
            .await;
        (r.status, get_group_members(&t, &g).await.len())
    })
    .await;
    assert_eq!(clean, (200, 1));
    assert_eq!(faulty, (409, 1));
}

#[tokio::test]
async fn duplicate_group_name() {
    let (clean, faulty) = both(SYNC_ON, Fault::DuplicateGroupName, |t| async move {
        create_group(&t, "Ops", &[]).await;
        let second = t
            .send(Method::POST, &groups(), Some(&group("Ops", None, &[])))
            .await;
        let listed = t.send(Method::GET, &groups(), None).await.body["totalResults"].clone();
        (second.status, listed)
    })
    .await;
    assert_eq!(clean, (409, json!(1)));
    assert_eq!(faulty, (201, json!(2)));
}

#[tokio::test]
async fn urn_path_ignored() {
    let (clean, faulty) = both(SYNC_ON, Fault::UrnPathIgnored, |t| async move {
        let u = create_user(&t, "una@example.test").await;
        let op = json!([
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "value": "Una Q"},
            {"op": "replace", "value": {"urn:ietf:params:scim:schemas:core:2.0:User:title": "Chief"}}
        ]);
        let r = t
            .send(Method::PATCH, &format!("{}/{u}", users()), Some(&patch(op)))
            .await;
        (
            r.status,
            r.body["displayName"].clone(),
            r.body["title"].clone(),
        )
    })
    .await;
    assert_eq!(clean, (200, json!("Una Q"), json!("Chief")));
    assert_eq!(faulty.0, 200);
    assert_ne!(faulty.1, json!("Una Q"));
    assert_ne!(faulty.2, json!("Chief"));
}

#[tokio::test]
async fn remove_non_member_fails() {
    let (clean, faulty) = both(SYNC_ON, Fault::RemoveNonMemberFails, |t| async move {
        let member = create_user(&t, "in@example.test").await;
        let outsider = create_user(&t, "out@example.test").await;
        let g = create_group(&t, "Crew", &[&member]).await;
        let op = json!([{"op": "Remove", "path": "members", "value": [{"value": outsider}]}]);
        let r = t
            .send(
                Method::PATCH,
                &format!("{}/{g}", groups()),
                Some(&patch(op)),
            )
            .await;
        (r.status, get_group_members(&t, &g).await.len())
    })
    .await;
    assert_eq!(clean, (200, 1));
    assert_eq!(faulty, (400, 1));
}

#[tokio::test]
async fn replace_members_adds() {
    let (clean, faulty) = both(SYNC_ON, Fault::ReplaceMembersAdds, |t| async move {
        let a = create_user(&t, "a@example.test").await;
        let b = create_user(&t, "b@example.test").await;
        let g = create_group(&t, "Crew", &[&a]).await;
        let op = json!([{"op": "replace", "path": "members", "value": [{"value": b}]}]);
        let r = t
            .send(
                Method::PATCH,
                &format!("{}/{g}", groups()),
                Some(&patch(op)),
            )
            .await;
        (r.status, get_group_members(&t, &g).await.len())
    })
    .await;
    assert_eq!(clean, (200, 1));
    assert_eq!(faulty, (200, 2));
}

#[tokio::test]
async fn manager_string_refused() {
    let (clean, faulty) = both(SYNC_ON, Fault::ManagerStringRefused, |t| async move {
        let boss = create_user(&t, "boss@example.test").await;
        let report = create_user(&t, "report@example.test").await;
        let path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
        let mut seen = Vec::new();
        for value in [json!(boss), json!({"value": boss})] {
            let op = json!([{"op": "add", "path": path, "value": value}]);
            let r = t
                .send(
                    Method::PATCH,
                    &format!("{}/{report}", users()),
                    Some(&patch(op)),
                )
                .await;
            seen.push(r.status);
        }
        seen
    })
    .await;
    assert_eq!(clean, [200, 200]);
    assert_eq!(faulty, [400, 200]);
}

#[tokio::test]
async fn manager_remove_refused() {
    let (clean, faulty) = both(SYNC_ON, Fault::ManagerRemoveRefused, |t| async move {
        let boss = create_user(&t, "boss@example.test").await;
        let report = create_user(&t, "report@example.test").await;
        let path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
        let mut seen = Vec::new();
        for op in [
            json!([{"op": "Add", "path": path, "value": boss}]),
            json!([{"op": "Remove", "path": path}]),
        ] {
            let r = t
                .send(
                    Method::PATCH,
                    &format!("{}/{report}", users()),
                    Some(&patch(op)),
                )
                .await;
            seen.push(r.status);
        }
        seen
    })
    .await;
    assert_eq!(clean, [200, 200]);
    assert_eq!(faulty, [200, 400]);
}

#[tokio::test]
async fn unlocked_group_patch() {
    let (clean, faulty) = both(SYNC_ON, Fault::UnlockedGroupPatch, |t| async move {
        let mut ids = Vec::new();
        for n in ["p", "q", "r", "s"] {
            ids.push(create_user(&t, &format!("{n}@example.test")).await);
        }
        let g = create_group(&t, "Crew", &[]).await;
        let path = format!("{}/{g}", groups());
        let add = |id: &String| {
            patch(json!([{"op": "Add", "path": "members", "value": [{"value": id}]}]))
        };
        let bodies: Vec<_> = ids.iter().map(add).collect();
        let (a, b, c, d) = tokio::join!(
            t.send(Method::PATCH, &path, Some(&bodies[0])),
            t.send(Method::PATCH, &path, Some(&bodies[1])),
            t.send(Method::PATCH, &path, Some(&bodies[2])),
            t.send(Method::PATCH, &path, Some(&bodies[3])),
        );
        let statuses = [a.status, b.status, c.status, d.status];
        (statuses, get_group_members(&t, &g).await.len())
    })
    .await;
    assert_eq!(clean, ([200; 4], 4));
    assert_eq!(faulty.0, [200; 4]);
    assert!(faulty.1 < 4, "{faulty:?}");
}
