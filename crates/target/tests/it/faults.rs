//! Fault switches: each one changes the behaviour its doc claims, and the clean
//! target does not show it. `check(fault, clean)` runs a probe against a target with
//! the fault and one without.

use axum::http::Method;
use serde_json::json;
use target::Fault;

use crate::support::*;

const CONFIG: &str = "/apis/scim.grafana.app/v0alpha1/namespaces/default/config/default";
const TEAM_SYNC: &str = "/api/admin/team-sync";

fn clean() -> RouterTarget {
    RouterTarget::from_ini(SYNC_ON, &[])
}

fn faulty(fault: Fault) -> RouterTarget {
    RouterTarget::with_faults(SYNC_ON, &[fault])
}

#[test]
fn every_fault_has_a_name_and_a_one_line_doc() {
    assert!(Fault::ALL.len() >= 20);
    for f in Fault::ALL {
        assert_eq!(f.name().parse::<Fault>().unwrap(), *f);
        assert!(!f.doc().contains('\n'));
    }
}

#[tokio::test]
async fn team_sync_with_group_sync() {
    async fn probe(t: &RouterTarget) -> (u16, u16) {
        // Group sync is on (SYNC_ON): Team Sync must be refused…
        let on = t
            .send(Method::PUT, TEAM_SYNC, Some(&json!({"enabled": true})))
            .await
            .status;
        // …and with Team Sync on, enabling group sync through the API too.
        let body = json!({"spec": {"enableUserSync": true, "enableGroupSync": true}});
        let config = t.send(Method::PUT, CONFIG, Some(&body)).await.status;
        (on, config)
    }
    assert_eq!(probe(&clean()).await, (409, 200));
    assert_eq!(probe(&faulty(Fault::TeamSyncWithGroupSync)).await, (200, 200));

    let t = RouterTarget::from_ini(
        "[auth.scim]\nuser_sync_enabled = true\n[team_sync]\nenabled = true\n",
        &[],
    );
    let body = json!({"spec": {"enableUserSync": true, "enableGroupSync": true}});
    assert_eq!(t.send(Method::PUT, CONFIG, Some(&body)).await.status, 400);
    let t = RouterTarget::with_faults(
        "[auth.scim]\nuser_sync_enabled = true\n[team_sync]\nenabled = true\n",
        &[Fault::TeamSyncWithGroupSync],
    );
    assert_eq!(t.send(Method::PUT, CONFIG, Some(&body)).await.status, 200);
}
