//! `target serve` as a process: the listen line, clean signal shutdown, and nothing lost on SIGKILL.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::target_process::{list_user_names, user_body, TargetProcess, TOKEN};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

#[test]
fn prints_its_url_and_stops_cleanly_on_sigterm_and_sigint() {
    for signal in ["-TERM", "-INT"] {
        let dir = tempfile::tempdir().unwrap();
        let mut target = TargetProcess::start(&dir.path().join("db.sqlite"));
        assert!(
            target.url.starts_with("http://127.0.0.1:"),
            "url {}",
            target.url
        );
        let status = Command::new("kill")
            .args([signal, &target.pid().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success());
        let exit = target.child.wait().expect("waiting for the target");
        assert!(exit.success(), "{signal}: target exited with {exit}");
    }
}

#[test]
fn refuses_to_start_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .args(["target", "serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("db.sqlite"))
        .env_remove("SCIM_HARNESS_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token"));
}

/// Every create acknowledged with 2xx before a SIGKILL is there, exactly once, after a restart.
#[test]
fn no_acknowledged_create_is_lost_when_killed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let mut target = TargetProcess::start(&db);
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let rt = runtime();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let mut workers = Vec::new();
        for worker in 0..4 {
            let client = client.clone();
            let url = target.scim("Users");
            let acknowledged = acknowledged.clone();
            workers.push(tokio::spawn(async move {
                for i in 0..100_000 {
                    let n = worker * 1_000_000 + i;
                    let sent = client
                        .post(&url)
                        .bearer_auth(TOKEN)
                        .json(&user_body(n))
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await;
                    match sent {
                        Ok(resp) if resp.status().is_success() => {
                            acknowledged
                                .lock()
                                .unwrap()
                                .insert(format!("user{n}@example.test"));
                        }
                        Ok(resp) => panic!("create {n} answered {}", resp.status()),
                        // The kill lands mid-stream: the connection breaks.
                        Err(_) => return,
                    }
                }
            }));
        }
        // Let a few hundred creates through, then kill without warning.
        while acknowledged.lock().unwrap().len() < 300 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        target.child.kill().expect("SIGKILL");
        target.child.wait().unwrap();
        for worker in workers {
            worker.await.expect("worker");
        }
    });
    drop(target);
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 300);

    let target = TargetProcess::start(&db);
    let names = rt.block_on(list_user_names(&reqwest::Client::new(), &target));
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for name in &names {
        *counts.entry(name.as_str()).or_default() += 1;
    }
    let duplicated: Vec<_> = counts.iter().filter(|(_, &c)| c > 1).collect();
    assert!(
        duplicated.is_empty(),
        "users listed more than once: {duplicated:?}"
    );
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|name| !counts.contains_key(name.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged creates lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
}
