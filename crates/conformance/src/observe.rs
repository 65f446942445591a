//! Observers: they read the target (SCIM GET, the profile's app probes) and return what
//! they saw as plain data; the `expect` checks judge it. Every read is recorded in the
//! case's transcript. A status that is neither an answer nor "not found" stops the case.

use serde_json::Value;

use crate::case::{CaseRun, Stop};
use crate::event::Source;
use crate::http::Request;
use crate::profile::AdminEndpoint;
use saml::binding::percent_encode;

/// A resource as one exchange showed it: `None` when the target does not have it.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    /// The transcript entry of the read.
    pub exchange: u64,
    pub resource: Option<Value>,
}

/// What the last `sync` did.
#[derive(Debug, Clone)]
pub(crate) struct LastSync {
    pub exchanges: usize,
    pub errors: usize,
    /// The status of the last exchange, when it had one.
    pub last_status: Option<u16>,
    /// The transcript entry of the last exchange.
    pub last_n: Option<u64>,
}

/// GET with the bearer token; a transport failure stops the case as an error.
pub(crate) async fn get(
    cx: &mut CaseRun<'_>,
    url: String,
) -> Result<(u64, u16, Option<Value>), Stop> {
    let (n, answer) = cx.send(Source::Observer, &Request::get(url.clone())).await;
    match answer {
        Ok(a) => Ok((n, a.status, a.json)),
        Err(e) => Err(cx.step_err(format!("GET {url}: {e}"))),
    }
}

/// GET of a `[probes]` path, sent as the profile says `endpoint` is (the bearer token,
/// or server-admin basic auth); a transport failure stops the case as an error.
pub(crate) async fn get_as(
    cx: &mut CaseRun<'_>,
    endpoint: AdminEndpoint,
    url: String,
) -> Result<(u64, u16, Option<Value>), Stop> {
    let req = cx
        .shared
        .authorize(endpoint, Request::get(url.clone()))
        .map_err(|why| cx.step_err(format!("GET {url}: {why}")))?;
    let (n, answer) = cx.send(Source::Observer, &req).await;
    match answer {
        Ok(a) => Ok((n, a.status, a.json)),
        Err(e) => Err(cx.step_err(format!("GET {url}: {e}"))),
    }
}

/// A status the read did not allow: a mismatch, and the case stops.
pub(crate) fn unexpected_status(cx: &mut CaseRun<'_>, n: u64, status: u16, what: &str) -> Stop {
    cx.mismatch(
        what.to_owned(),
        "status 200 or 404".to_owned(),
        format!("status {status}"),
        Some(n),
    );
    Stop::Failed
}

/// The first of a list response's `Resources`.
fn first_resource(json: Option<&Value>) -> Option<Value> {
    json.and_then(|j| j.get("Resources"))
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .cloned()
}

/// A SCIM filter `attr eq "value"` (RFC 7644 §3.4.2.2), percent-encoded for a query.
fn eq_filter(attr: &str, value: &str) -> String {
    let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
    percent_encode(&format!("{attr} eq \"{quoted}\""))
}

/// The user's SCIM resource: by the id the persona learnt, else by `userName`.
pub(crate) async fn read_user(
    cx: &mut CaseRun<'_>,
    dir_id: &str,
    login: &str,
) -> Result<Found, Stop> {
    if let Some(tid) = cx.ids.user_ids.get(dir_id).cloned() {
        let url = cx
            .shared
            .scim_url(&format!("/Users/{}", percent_encode(&tid)));
        let (n, status, json) = get(cx, url).await?;
        return match status {
            200 => Ok(Found {
                exchange: n,
                resource: json,
            }),
            404 => Ok(Found {
                exchange: n,
                resource: None,
            }),
            s => Err(unexpected_status(cx, n, s, "reading the user back")),
        };
    }
    let url = cx
        .shared
        .scim_url(&format!("/Users?filter={}", eq_filter("userName", login)));
    let (n, status, json) = get(cx, url).await?;
    if status != 200 {
        return Err(unexpected_status(cx, n, status, "listing users"));
    }
    Ok(Found {
        exchange: n,
        resource: first_resource(json.as_ref()),
    })
}

/// The group's SCIM resource: by the id the persona learnt, else by `displayName`.
pub(crate) async fn read_group(
    cx: &mut CaseRun<'_>,
    dir_id: &str,
    name: &str,
) -> Result<Found, Stop> {
    let target_id = cx.ids.group_ids.get(dir_id).cloned();
    let url = match &target_id {
        Some(tid) => cx
            .shared
            .scim_url(&format!("/Groups/{}", percent_encode(tid))),
        None => {
            let f = format!("displayName eq \"{}\"", name.replace('"', "\\\""));
            cx.shared
                .scim_url(&format!("/Groups?filter={}", percent_encode(&f)))
        }
    };
    let (n, status, json) = get(cx, url).await?;
    let resource = match (status, target_id.is_some()) {
        (200, true) => json,
        (404, true) => None,
        (200, false) => first_resource(json.as_ref()),
        (s, _) => return Err(unexpected_status(cx, n, s, "reading the group back")),
    };
    Ok(Found {
        exchange: n,
        resource,
    })
}

/// The app's user JSON through `[probes] user_by_login`; `None` when the profile
/// has no such probe. The answer is one user object (404: none), or a list of users
/// (Grafana's `/api/org/users?query=`, a substring search) of which the user is the
/// entry whose `login` or `email` equals `login` in any case.
pub(crate) async fn read_app_user(
    cx: &mut CaseRun<'_>,
    login: &str,
) -> Result<Option<Found>, Stop> {
    let Some(probe) = cx.probe(|p| &p.user_by_login) else {
        cx.note(
            "app user checks not run: the target profile has no [probes] user_by_login".to_owned(),
        );
        return Ok(None);
    };
    let url = cx
        .shared
        .url(&probe.replace("{login}", &percent_encode(login)));
    let (n, status, json) = get_as(cx, AdminEndpoint::UserByLogin, url).await?;
    let resource = match status {
        200 => json.and_then(|j| app_user_in(j, login)),
        404 => None,
        s => return Err(unexpected_status(cx, n, s, "app user probe")),
    };
    Ok(Some(Found {
        exchange: n,
        resource,
    }))
}

/// The user `login` names in a `user_by_login` answer: the object itself, or the list
/// entry whose `login` or `email` equals it (any case); `None` for a list without one.
pub(crate) fn app_user_in(answer: Value, login: &str) -> Option<Value> {
    match answer {
        Value::Array(users) => users.into_iter().find(|u| {
            ["login", "email"].iter().any(|k| {
                u.get(k)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.eq_ignore_ascii_case(login))
            })
        }),
        Value::Null => None,
        other => Some(other),
    }
}

/// An app user's numeric id: `id` (Grafana's user object), else `userId` (its org
/// user list).
pub(crate) fn app_user_id(user: &Value) -> Option<&Value> {
    user.get("id").or_else(|| user.get("userId"))
}

/// The app team named exactly `name`, through the `teams_by_name` probe `path`; `allowed`
/// are the statuses that are answers.
pub(crate) async fn search_team(
    cx: &mut CaseRun<'_>,
    path: &str,
    name: &str,
    allowed: &[u16],
) -> Result<Found, Stop> {
    let url = cx
        .shared
        .url(&path.replace("{name}", &percent_encode(name)));
    let (n, status, json) = get_as(cx, AdminEndpoint::TeamsByName, url).await?;
    if !allowed.contains(&status) {
        return Err(unexpected_status(cx, n, status, "team search probe"));
    }
    let team = json
        .as_ref()
        .and_then(|j| j.get("teams"))
        .and_then(Value::as_array)
        .and_then(|a| {
            a.iter()
                .find(|t| t.get("name").and_then(Value::as_str) == Some(name))
        })
        .cloned();
    Ok(Found {
        exchange: n,
        resource: team,
    })
}

/// An id as text, whether the JSON has it as a number or a string.
pub(crate) fn id_text(v: &Value) -> String {
    v.to_string().trim_matches('"').to_owned()
}

/// The lower-case logins of a team's members, through the `team_members` probe `path`.
pub(crate) async fn team_member_logins(
    cx: &mut CaseRun<'_>,
    path: &str,
    team_id: &str,
) -> Result<(u64, Vec<String>), Stop> {
    let url = cx
        .shared
        .url(&path.replace("{id}", &percent_encode(team_id)));
    let (n, status, json) = get_as(cx, AdminEndpoint::TeamMembers, url).await?;
    if status != 200 {
        return Err(unexpected_status(cx, n, status, "team members probe"));
    }
    let logins = json
        .as_ref()
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| m.get("login").and_then(Value::as_str))
                .map(str::to_lowercase)
                .collect()
        })
        .unwrap_or_default();
    Ok((n, logins))
}
