//! Every persona drives the standard lifecycle against the reference target over a real
//! socket; after each step the target is read back over SCIM and its app API.

use std::net::SocketAddr;
use std::path::PathBuf;

use idp::{PersonaId, ScimTarget, SyncEngine};
use rstest::rstest;
use serde_json::Value;

use crate::lifecycle::{initial, steps, ALICE_LOGIN};

pub(crate) const TOKEN: &str = "glsa_reference_test_token";
pub(crate) const SCIM_PATH: &str = "/apis/scim.grafana.app/v0alpha1/namespaces/default";

/// A reference target in-process on a free port, its database in a temporary directory.
pub(crate) struct Running {
    addr: SocketAddr,
    target: reference_target::RunningTarget,
    _dir: tempfile::TempDir,
}

pub(crate) async fn start_target() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let ini = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/target/reference.ini");
    let opts = reference_target::ServeOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        db: dir.path().join("grafana.db"),
        config_ini: Some(ini),
        token: TOKEN.into(),
        idp_certs: Vec::new(),
        namespace: None,
        root_url: None,
        tls: None,
    };
    let target = reference_target::spawn(opts, reference_target::FaultSet::none())
        .await
        .expect("the reference target failed to start");
    Running {
        addr: target.addr(),
        target,
        _dir: dir,
    }
}

impl Running {
    /// The target's SCIM base, with the token.
    pub(crate) fn scim(&self) -> ScimTarget {
        ScimTarget::new(format!("http://{}{SCIM_PATH}", self.addr), TOKEN)
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let resp = reqwest::Client::new()
            .get(format!("{}{path}", self.base()))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub(crate) async fn stop(self) {
        let result = self.target.stop().await.map_err(|e| format!("{e:#}"));
        assert_eq!(result, Ok(()));
    }
}

/// The SCIM user named `login`.
async fn scim_user(t: &Running, login: &str) -> Value {
    let q = format!("{SCIM_PATH}/Users?filter=userName%20eq%20%22{login}%22");
    let (status, body) = t.get(&q).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalResults"], 1, "{body}");
    body["Resources"][0].clone()
}

/// The team named `name`, if any (Grafana answers 404 or an empty list otherwise).
async fn team(t: &Running, name: &str) -> Option<Value> {
    let q = format!(
        "/api/teams/search?name={}",
        name.replace('&', "%26").replace(' ', "%20")
    );
    let (status, body) = t.get(&q).await;
    if status == 404 {
        return None;
    }
    assert_eq!(status, 200, "{body}");
    body["teams"].as_array().and_then(|t| t.first()).cloned()
}

async fn team_logins(t: &Running, team_id: &Value) -> Vec<String> {
    let (status, body) = t.get(&format!("/api/teams/{team_id}/members")).await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .map(|m| m["login"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[rstest]
#[case::entra(PersonaId::Entra)]
#[case::entra_aadopt(PersonaId::EntraAadOpt)]
#[case::okta(PersonaId::Okta)]
#[case::okta_oin(PersonaId::OktaOin)]
#[case::rfc(PersonaId::Rfc)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_against_reference_target(#[case] persona: PersonaId) {
    let t = start_target().await;
    let target = ScimTarget::new(format!("{}{SCIM_PATH}", t.base()), TOKEN);
    let mut engine = SyncEngine::new(persona, target);
    let mut dir = initial();
    for (step, change) in steps() {
        change(&mut dir);
        let report = engine.cycle(&dir).await;
        assert!(
            report.is_clean(),
            "{persona} {step}: {:#?}\n{:#?}",
            report.errors,
            report.exchanges
        );
        let user = scim_user(&t, ALICE_LOGIN).await;
        // The org-scoped list an org-Admin service-account token may read (Grafana's
        // /api/users/lookup needs a server admin).
        let (status, org_users) = t.get(&format!("/api/org/users?query={ALICE_LOGIN}")).await;
        assert_eq!(status, 200, "{step}: {org_users}");
        let app_user = org_users
            .as_array()
            .and_then(|a| a.iter().find(|u| u["login"] == ALICE_LOGIN))
            .cloned()
            .unwrap_or_else(|| panic!("{step}: {ALICE_LOGIN} not in {org_users}"));
        let disabled = step == "disable";
        assert_eq!(
            scim::model::parse_bool(&user["active"]),
            Some(!disabled),
            "{step}: {user}"
        );
        assert_eq!(app_user["isDisabled"], disabled, "{step}: {app_user}");
        if step != "create" {
            assert_eq!(user["displayName"], "Alice O'Neill", "{step}");
            assert_eq!(user["name"]["familyName"], "O'Neill", "{step}");
        }
        let expected_external = match persona {
            PersonaId::Okta | PersonaId::OktaOin => dir.users().next().unwrap().okta_id.clone(),
            _ => dir.users().next().unwrap().id.clone(),
        };
        assert_eq!(user["externalId"], expected_external.as_str());
        match step {
            "group create" | "member add" | "member remove" => {
                let team = team(&t, "Platform Team").await.expect("team exists");
                let logins = team_logins(&t, &team["id"]).await;
                let want: Vec<String> = if step == "member add" {
                    vec![ALICE_LOGIN.to_owned()]
                } else {
                    vec![]
                };
                assert_eq!(logins, want, "{step}");
            }
            "rename" => {
                assert!(team(&t, "Platform & SRE").await.is_some(), "renamed team");
                assert!(team(&t, "Platform Team").await.is_none(), "old name gone");
            }
            "delete" => assert!(team(&t, "Platform & SRE").await.is_none(), "team deleted"),
            _ => {}
        }
    }
    t.stop().await;
}
