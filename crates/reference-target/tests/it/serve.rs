//! `reference_target::serve`: binds, reports the address once through `ready`, serves, and
//! returns after the shutdown future resolves; the database persists across runs.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn serve_reports_its_address_and_stops_on_shutdown() {
    let t = Target::start(SYNC_ON).await;
    assert_eq!(t.addr.ip().to_string(), "127.0.0.1");
    assert_ne!(t.addr.port(), 0);
    let r = t.get(&format!("{BASE}/ServiceProviderConfig")).await;
    assert_eq!(r.status, 200);
    let addr = t.addr;
    t.stop().await.expect("serve returns Ok after shutdown");
    assert!(
        reqwest::Client::new()
            .get(format!("http://{addr}/api/user"))
            .send()
            .await
            .is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn data_persists_across_restarts_of_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("persist.db");
    let ini = write_temp(dir.path(), "grafana.ini", SYNC_ON);
    let run = |db: std::path::PathBuf, ini: std::path::PathBuf| async move {
        let opts = reference_target::ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            db,
            config_ini: Some(ini),
            token: TOKEN.into(),
            idp_certs: Vec::new(),
            namespace: None,
            root_url: None,
            tls: None,
        };
        reference_target::spawn(opts, reference_target::FaultSet::none())
            .await
            .unwrap()
    };
    let client = reqwest::Client::new();
    let running = run(db.clone(), ini.clone()).await;
    let addr = running.addr();
    let r = client
        .post(format!("http://{addr}{BASE}/Users"))
        .bearer_auth(TOKEN)
        .json(&user("persist@example.com", "p"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"].clone();
    running.stop().await.unwrap();

    let running = run(db, ini).await;
    let addr = running.addr();
    let r = client
        .get(format!(
            "http://{addr}{BASE}/Users/{}",
            id.as_str().unwrap()
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["userName"],
        json!("persist@example.com")
    );
    running.stop().await.unwrap();
}

#[tokio::test]
async fn an_empty_token_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = reference_target::AppState::open(
        &dir.path().join("t.db"),
        reference_target::Settings::default(),
        String::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("token"), "{err}");
}
