//! Cleanup after a case's verdict: the SCIM groups and users its steps created (a
//! Grafana-shaped target deletes a group's team with it), then the app users a SCIM
//! DELETE leaves behind (Grafana keeps them, disabled) and the ones `seed_app_user`
//! created, through `[probes] delete_user`. Its exchanges go to a log that is thrown
//! away, so cleanup never changes a verdict.

use serde_json::Value;

use crate::case::{CaseLog, CaseRun};
use crate::event::{Cleanup, LeftBehind};
use crate::http::Request;
use crate::observe;
use crate::options::{RunError, RunOptions, Shared};
use crate::profile::AdminEndpoint;

/// What one DELETE did.
enum Deleted {
    /// 2xx: removed now.
    Removed,
    /// 404: gone already (the case deleted it).
    Gone,
    /// Anything else: why it stayed.
    Left(String),
}

impl CaseRun<'_> {
    /// Remove what this case created. Call after the verdict: the case's log is replaced
    /// by an empty one, so nothing cleanup sends or reads reaches the result.
    pub(crate) async fn clean_up(&mut self) -> Cleanup {
        self.learn_target_ids();
        self.log = CaseLog::default();
        let case_id = self.case.id.clone();
        let mut out = Cleanup::default();
        let tally = |out: &mut Cleanup, what: String, d: Deleted| match d {
            Deleted::Removed => out.removed += 1,
            Deleted::Gone => {}
            Deleted::Left(why) => out.left_behind.push(LeftBehind {
                what: format!("{what} (case {case_id})"),
                why,
            }),
        };
        let groups: Vec<String> = self.ids.group_ids.values().cloned().collect();
        for id in groups {
            let d = delete_scim(self.shared, "Groups", &id).await;
            tally(&mut out, format!("SCIM group {id}"), d);
        }
        let users: Vec<(String, String)> = self
            .ids
            .user_ids
            .iter()
            .map(|(dir, target)| (dir.clone(), target.clone()))
            .collect();
        for (_, id) in &users {
            let d = delete_scim(self.shared, "Users", id).await;
            tally(&mut out, format!("SCIM user {id}"), d);
        }
        // Seeded users first, while their ids are fresh: the ones found by login below
        // are looked up now, so an id a target reuses after a delete is never hit.
        let seeded: Vec<(String, i64)> = self.seeded.iter().map(|(k, v)| (k.clone(), *v)).collect();
        for (key, id) in seeded {
            let d = delete_app_user(self.shared, id).await;
            tally(&mut out, format!("seeded app user `{key}` ({id})"), d);
        }
        // The app users behind the SCIM users: Grafana keeps them, disabled.
        let logins: Vec<String> = users
            .iter()
            .filter_map(|(dir, _)| self.dir.user(dir))
            .map(|u| u.profile.user_principal_name.clone())
            .collect();
        for login in logins {
            if let Some(id) = self.app_user_by_login(&login).await {
                let d = delete_app_user(self.shared, id).await;
                tally(&mut out, format!("app user {login}"), d);
            }
        }
        // The app users no SCIM id leads to (signed up at login, created by a raw
        // request): those whose login or email carries the case tag.
        for (login, id) in app_users_tagged(self.shared, &self.tag).await {
            let d = delete_app_user(self.shared, id).await;
            tally(&mut out, format!("app user {login}"), d);
        }
        self.log = CaseLog::default();
        out
    }

    /// The app user id of `login`, when the profile can look it up and it exists.
    async fn app_user_by_login(&mut self, login: &str) -> Option<i64> {
        self.probe(|p| &p.user_by_login)?;
        if self
            .shared
            .admin_missing(AdminEndpoint::UserByLogin)
            .is_some()
        {
            return None;
        }
        let found = observe::read_app_user(self, login).await.ok()??;
        let user = found.resource?;
        observe::app_user_id(&user).and_then(id_number)
    }
}

/// `DELETE {scim base}/{kind}/{id}` with the SCIM credential.
async fn delete_scim(shared: &Shared, kind: &str, id: &str) -> Deleted {
    let url = shared.scim_url(&format!("/{kind}/{id}"));
    let req = Request {
        method: reqwest::Method::DELETE,
        ..Request::get(url.clone())
    };
    match shared.client.send(&req).await.1 {
        Ok(a) if (200..300).contains(&a.status) => Deleted::Removed,
        Ok(a) if a.status == 404 => Deleted::Gone,
        Ok(a) => Deleted::Left(format!("DELETE {url} answered {}", a.status)),
        Err(e) => Deleted::Left(format!("DELETE {url}: {e}")),
    }
}

/// The app users whose login or email contains the case tag, through `[probes]
/// user_by_login` with the tag for `{login}` (Grafana's org list matches a
/// substring); none when the profile cannot look them up.
async fn app_users_tagged(shared: &Shared, tag: &str) -> Vec<(String, i64)> {
    let Some(probe) = shared
        .opts
        .profile
        .probes
        .as_ref()
        .and_then(|p| p.user_by_login.clone())
    else {
        return Vec::new();
    };
    if shared.admin_missing(AdminEndpoint::UserByLogin).is_some() {
        return Vec::new();
    }
    let url = shared.url(&probe.replace("{login}", tag));
    let Ok(req) = shared.authorize(AdminEndpoint::UserByLogin, Request::get(url)) else {
        return Vec::new();
    };
    let json = match shared.client.send(&req).await.1 {
        Ok(a) if a.status == 200 => a.json.unwrap_or(Value::Null),
        _ => return Vec::new(),
    };
    let users = match json {
        Value::Array(users) => users,
        other => vec![other],
    };
    let tag = tag.to_lowercase();
    users
        .iter()
        .filter_map(|u| {
            let login = ["login", "email"]
                .iter()
                .filter_map(|k| u.get(*k).and_then(Value::as_str))
                .find(|v| v.to_lowercase().contains(&tag))?;
            let id = observe::app_user_id(u).and_then(id_number)?;
            Some((login.to_owned(), id))
        })
        .collect()
}

/// Delete app user `id` through `[probes] delete_user`, as the profile sends it.
async fn delete_app_user(shared: &Shared, id: i64) -> Deleted {
    let Some(path) = shared
        .opts
        .profile
        .probes
        .as_ref()
        .and_then(|p| p.delete_user.clone())
    else {
        return Deleted::Left(
            "the target profile has no [probes] delete_user (Grafana keeps a SCIM-deleted \
             user as a disabled app user)"
                .to_owned(),
        );
    };
    let url = shared.url(&path.replace("{id}", &id.to_string()));
    let req = Request {
        method: reqwest::Method::DELETE,
        ..Request::get(url.clone())
    };
    let req = match shared.authorize(AdminEndpoint::DeleteUser, req) {
        Ok(r) => r,
        Err(why) => return Deleted::Left(why),
    };
    match shared.client.send(&req).await.1 {
        Ok(a) if (200..300).contains(&a.status) => Deleted::Removed,
        Ok(a) if a.status == 404 => Deleted::Gone,
        Ok(a) => Deleted::Left(format!("DELETE {url} answered {}", a.status)),
        Err(e) => Deleted::Left(format!("DELETE {url}: {e}")),
    }
}

/// `scim-harness clean`: remove what earlier runs left whose names carry one of `tags`
/// (the case tags of a seed): SCIM groups by displayName and users by userName, read
/// page by page (startIndex/count), then the app users the profile can find by tag.
/// Check the target with [`crate::check_reachable`] first: a list that cannot be read
/// is reported as left behind.
pub async fn clean(opts: RunOptions, tags: &[String]) -> Result<Cleanup, RunError> {
    let shared = Shared::new(opts, &[])?;
    let tags: Vec<String> = tags.iter().map(|t| t.to_lowercase()).collect();
    let carries_tag = |name: &str| {
        let name = name.to_lowercase();
        tags.iter().any(|t| name.contains(t.as_str()))
    };
    let mut out = Cleanup::default();
    let mut tally = |what: String, d: Deleted| match d {
        Deleted::Removed => out.removed += 1,
        Deleted::Gone => {}
        Deleted::Left(why) => out.left_behind.push(LeftBehind { what, why }),
    };
    for (kind, attribute) in [("Groups", "displayName"), ("Users", "userName")] {
        match list_all(&shared, kind, attribute).await {
            Ok(all) => {
                for (id, name) in all.into_iter().filter(|(_, n)| carries_tag(n)) {
                    let d = delete_scim(&shared, kind, &id).await;
                    tally(format!("SCIM {kind} {name} ({id})"), d);
                }
            }
            Err(why) => tally(format!("SCIM {kind}"), Deleted::Left(why)),
        }
    }
    for tag in &tags {
        for (login, id) in app_users_tagged(&shared, tag).await {
            let d = delete_app_user(&shared, id).await;
            tally(format!("app user {login}"), d);
        }
    }
    Ok(out)
}

/// Every resource of `kind` as (id, `attribute`), page by page (RFC 7644 §3.4.2.4).
async fn list_all(
    shared: &Shared,
    kind: &str,
    attribute: &str,
) -> Result<Vec<(String, String)>, String> {
    const PAGE: usize = 100;
    let mut all = Vec::new();
    let mut start = 1;
    loop {
        let url = shared.scim_url(&format!("/{kind}?startIndex={start}&count={PAGE}"));
        let answer = shared
            .client
            .send(&Request::get(url.clone()))
            .await
            .1
            .map_err(|e| format!("GET {url}: {e}"))?;
        if answer.status != 200 {
            return Err(format!("GET {url} answered {}", answer.status));
        }
        let json = answer.json.unwrap_or(Value::Null);
        let page = json
            .get("Resources")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if page.is_empty() {
            break;
        }
        start += page.len();
        all.extend(page.iter().filter_map(|r| {
            let id = r.get("id").and_then(Value::as_str)?;
            let name = r.get(attribute).and_then(Value::as_str)?;
            Some((id.to_owned(), name.to_owned()))
        }));
        let total = json
            .get("totalResults")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if start as u64 > total {
            break;
        }
    }
    Ok(all)
}

/// A numeric id, whether the JSON has it as a number or a string.
fn id_number(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}
