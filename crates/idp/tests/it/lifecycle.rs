//! The standard lifecycle (create, update, disable, re-enable, group create, member add,
//! member remove, rename, delete), and each persona's whole exchange as a snapshot.

use idp::{DirGroup, DirUser, Directory, PersonaId, SyncEngine, SyncReport};
use rstest::rstest;
use serde_json::{json, Value};

use crate::peer::{fake_scim, Peer};

pub const ALICE: &str = "0d3c9f7e-6b5a-4c2d-9e1f-a2b3c4d5e6f7";
pub const ALICE_LOGIN: &str = "alice.ng@contoso.example";
pub const GROUP: &str = "2f4e6a8c-0b1d-4e3f-9a5c-7e9b1d3f5a70";

pub fn initial() -> Directory {
    let mut d = Directory::new();
    let mut a = DirUser::new(ALICE, ALICE_LOGIN);
    a.okta_id = "00u0d3c9f7e6b5a4c2d".into();
    a.profile.mail = Some("alice.ng+grafana@contoso.example".into());
    a.profile.given_name = Some("Alice".into());
    a.profile.surname = Some("Ng".into());
    a.profile.display_name = Some("Alice Ng".into());
    d.add_user(a).unwrap();
    d
}

type StepFn = fn(&mut Directory);

/// Each step's name and directory change; the first is the initial cycle.
pub fn steps() -> Vec<(&'static str, StepFn)> {
    vec![
        ("create", |_| {}),
        ("update", |d| {
            d.update_user(ALICE, |p| {
                p.surname = Some("O'Neill".into());
                p.display_name = Some("Alice O'Neill".into());
            })
            .unwrap()
        }),
        ("disable", |d| d.disable_user(ALICE).unwrap()),
        ("re-enable", |d| d.enable_user(ALICE).unwrap()),
        ("group create", |d| {
            d.create_group(DirGroup::new(GROUP, "Platform Team"))
                .unwrap()
        }),
        ("member add", |d| d.add_member(GROUP, ALICE).unwrap()),
        ("member remove", |d| d.remove_member(GROUP, ALICE).unwrap()),
        ("rename", |d| {
            d.rename_group(GROUP, "Platform & SRE").unwrap()
        }),
        ("delete", |d| d.delete_group(GROUP).unwrap()),
    ]
}

/// The exchange of one report as a stable, readable JSON value: no port, no elapsed
/// time, no response headers, Entra's random Test Connection GUID replaced.
pub fn stable(report: &SyncReport) -> Vec<Value> {
    report
        .exchanges
        .iter()
        .map(|e| {
            let mut line = format!("{} {}", e.method, e.path_and_query().trim_start_matches("/scim/v2"));
            if let Some(i) = line.find("%22") {
                if line[i + 3..].len() == 36 + 3 && line.contains("userName") && e.seq == 1 {
                    line = format!("{}%22[random-guid]%22", &line[..i]);
                }
            }
            json!({
                "request": line,
                "headers": e.request_headers.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>(),
                "body": e.request_body,
                "status": e.status,
                "response": e.response_json,
            })
        })
        .collect()
}

/// Snapshot of every persona's lifecycle against the in-test fake.
#[rstest]
#[case::entra(PersonaId::Entra)]
#[case::entra_aadopt(PersonaId::EntraAadOpt)]
#[case::okta(PersonaId::Okta)]
#[case::okta_oin(PersonaId::OktaOin)]
#[case::rfc(PersonaId::Rfc)]
#[tokio::test]
async fn lifecycle_snapshot(#[case] persona: PersonaId) {
    let peer = Peer::start(fake_scim()).await;
    let mut engine = SyncEngine::new(persona, peer.target());
    let mut dir = initial();
    let mut all = serde_json::Map::new();
    for (name, change) in steps() {
        change(&mut dir);
        let report = engine.cycle(&dir).await;
        assert!(report.is_clean(), "{persona} {name}: {:?}", report.errors);
        all.insert(name.to_owned(), Value::Array(stable(&report)));
    }
    insta::assert_json_snapshot!(format!("lifecycle_{persona}"), all);
}
