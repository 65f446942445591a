//! The identity faults of issue 16 (externalId uniqueness, adoption by email, an update
//! taking another user's email): each changes what its doc claims, and the clean target
//! does not show it. `external-id-change-ignored` needs a login: saml_login.rs.

use axum::http::Method;
use reference_target::Fault;
use serde_json::json;

use crate::faults::{both, create_user, users};
use crate::support::*;

#[tokio::test]
async fn duplicate_external_id() {
    let (clean, faulty) = both(SYNC_ON, Fault::DuplicateExternalId, |t| async move {
        create_user(&t, "first@example.test").await;
        let copy = user("second@example.test", "ext-first@example.test");
        t.send(Method::POST, &users(), Some(&copy)).await.status
    })
    .await;
    assert_eq!((clean, faulty), (409, 201));
}

#[tokio::test]
async fn adopt_provisioned_by_email() {
    let (clean, faulty) = both(SYNC_ON, Fault::AdoptProvisionedByEmail, |t| async move {
        create_user(&t, "owner@example.test").await;
        let mut other = user("other@example.test", "ext-other");
        other["emails"] = json!([{"primary": true, "type": "work", "value": "OWNER@example.test"}]);
        let provisioned = t.send(Method::POST, &users(), Some(&other)).await.status;
        let mut admin = user("not-admin@example.test", "ext-not-admin");
        admin["emails"] = json!([{"primary": true, "type": "work", "value": "admin@localhost"}]);
        let admin = t.send(Method::POST, &users(), Some(&admin)).await.status;
        (provisioned, admin)
    })
    .await;
    assert_eq!(clean, (409, 409));
    assert_eq!(faulty, (201, 201));
}

#[tokio::test]
async fn update_takes_email() {
    let (clean, faulty) = both(SYNC_ON, Fault::UpdateTakesEmail, |t| async move {
        create_user(&t, "cy@example.test").await;
        let di = create_user(&t, "di@example.test").await;
        let op = json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "cy@example.test"}]);
        t.send(Method::PATCH, &format!("{}/{di}", users()), Some(&patch(op)))
            .await
            .status
    })
    .await;
    assert_eq!((clean, faulty), (409, 200));
}
