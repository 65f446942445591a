//! The admin page (`GET /admin`): users, groups, the sync button, the last cycle and the
//! newest exchanges, server-rendered without script; its forms post to `/admin/…` and
//! are answered with a 303 back to the page, which shows the result once.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{
    admin_cookie, authorized, page_unauthorized, percent_encode, resolve_user, token_matches,
    PageAdmin, Refusal,
};
use crate::directory::{DirGroup, DirUser, Directory};
use crate::serve::page::{self, escape};
use crate::serve::Site;

/// How many exchanges the page shows, newest first.
pub const PAGE_EXCHANGES: usize = 50;

type Fields = Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>;

/// `GET /admin`; `?token=` sets the admin cookie and redirects to the page without it.
pub(super) async fn page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // A query that does not decode is read as no query.
    let query = query.map(|Query(q)| q).unwrap_or_default();
    if let Some(given) = query.get("token") {
        let Some(token) = site.admin_token.as_deref() else {
            return see_other(&site, "");
        };
        if !token_matches(token, given) {
            return page_unauthorized(&site);
        }
        let mut response = see_other(&site, "");
        if let Some(cookie) = admin_cookie(token) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        return response;
    }
    if !authorized(&site, &headers) {
        return page_unauthorized(&site);
    }
    let done = query.get("done").map(String::as_str);
    let error = query.get("error").map(String::as_str);
    page::html(
        StatusCode::OK,
        page::frame(
            Some(&site),
            "Directory and provisioning",
            &render(&site, done, error),
        ),
    )
}

/// 303 to the admin page, with `query` (already encoded, without `?`).
fn see_other(site: &Site, query: &str) -> Response {
    let location = if query.is_empty() {
        format!("{}/admin", site.prefix)
    } else {
        format!("{}/admin?{query}", site.prefix)
    };
    match HeaderValue::from_str(&location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => page::error_page(
            Some(site),
            StatusCode::INTERNAL_SERVER_ERROR,
            "Redirect failed",
            "the admin page's address could not be written as a header",
        ),
    }
}

/// Back to the page with the result of a form: `?done=` or `?error=`.
fn back(site: &Site, result: Result<String, Refusal>) -> Response {
    match result {
        Ok(message) => see_other(site, &format!("done={}", percent_encode(&message))),
        Err(refusal) => see_other(site, &format!("error={}", percent_encode(&refusal.detail))),
    }
}

/// The form's fields, or why it could not be read.
fn fields(form: Fields) -> Result<HashMap<String, String>, Refusal> {
    form.map(|Form(f)| f)
        .map_err(|e| Refusal::bad_request(format!("reading the form: {e}")))
}

/// A required, non-empty form field.
fn field<'f>(fields: &'f HashMap<String, String>, name: &str) -> Result<&'f str, Refusal> {
    fields
        .get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Refusal::bad_request(format!("the form has no `{name}`")))
}

fn login_of(dir: &Directory, id: &str) -> String {
    dir.user(id)
        .map_or_else(|| id.to_owned(), |u| u.profile.user_principal_name.clone())
}

/// `POST /admin/users/{id}` with `action`: disable, enable, delete, soft-delete,
/// restore, unassign, assign.
pub(super) async fn user_action(
    _: PageAdmin,
    State(site): State<Arc<Site>>,
    Path(key): Path<String>,
    form: Fields,
) -> Response {
    let result = fields(form).and_then(|f| {
        let action = field(&f, "action")?.to_owned();
        site.provisioner.edit(|dir| {
            let id = resolve_user(dir, &key)
                .ok_or_else(|| Refusal::unknown_user(&key))?
                .to_owned();
            let (change, past): (fn(&mut Directory, &str) -> _, &str) = match action.as_str() {
                "disable" => (Directory::disable_user, "disabled"),
                "enable" => (Directory::enable_user, "enabled"),
                "delete" => (Directory::hard_delete_user, "deleted"),
                "soft-delete" => (Directory::soft_delete_user, "soft-deleted"),
                "restore" => (Directory::restore_user, "restored"),
                "unassign" => (Directory::unassign_user, "unassigned"),
                "assign" => (Directory::assign_user, "assigned"),
                other => {
                    return Err(Refusal::bad_request(format!(
                        "unknown user action `{other}`"
                    )))
                }
            };
            change(dir, &id)?;
            Ok(format!(
                "{past} {}; push it with Sync now",
                login_of(dir, &id)
            ))
        })
    });
    back(&site, result)
}

/// `POST /admin/users`: `userPrincipalName`, and optionally `displayName`, `mail`, `id`.
pub(super) async fn add_user(
    _: PageAdmin,
    State(site): State<Arc<Site>>,
    form: Fields,
) -> Response {
    let result = fields(form).and_then(|f| {
        let login = field(&f, "userPrincipalName")?.to_owned();
        let optional = |name: &str| field(&f, name).ok().map(str::to_owned);
        let id = optional("id").unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let mut user = DirUser::new(id, login.clone());
        user.profile.display_name = optional("displayName");
        user.profile.mail = optional("mail");
        site.provisioner.edit(|dir| {
            if let Some(other) = dir.user_by_login(&login) {
                return Err(Refusal::conflict(format!(
                    "`{login}` is user `{}`'s already",
                    other.id
                )));
            }
            dir.add_user(user)?;
            Ok(format!("added {login}"))
        })
    });
    back(&site, result)
}

/// `POST /admin/groups`: `displayName`, and optionally `id`.
pub(super) async fn add_group(
    _: PageAdmin,
    State(site): State<Arc<Site>>,
    form: Fields,
) -> Response {
    let result = fields(form).and_then(|f| {
        let name = field(&f, "displayName")?.to_owned();
        let id = field(&f, "id")
            .ok()
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
        site.provisioner.edit(|dir| {
            dir.create_group(DirGroup::new(id, name.clone()))?;
            Ok(format!("created group {name}"))
        })
    });
    back(&site, result)
}

/// `POST /admin/groups/{id}` with `action`: rename (`displayName`), delete, add-member
/// and remove-member (`user`, a user key).
pub(super) async fn group_action(
    _: PageAdmin,
    State(site): State<Arc<Site>>,
    Path(id): Path<String>,
    form: Fields,
) -> Response {
    let result = fields(form).and_then(|f| {
        let action = field(&f, "action")?;
        site.provisioner.edit(|dir| {
            let name = dir
                .group(&id)
                .map_or_else(|| id.clone(), |g| g.display_name.clone());
            let member = |dir: &Directory| -> Result<String, Refusal> {
                let key = field(&f, "user")?;
                resolve_user(dir, key).ok_or_else(|| Refusal::unknown_user(key))
            };
            match action {
                "rename" => {
                    let to = field(&f, "displayName")?;
                    dir.rename_group(&id, to)?;
                    Ok(format!("renamed group {name} to {to}"))
                }
                "delete" => {
                    dir.delete_group(&id)?;
                    Ok(format!("deleted group {name}"))
                }
                "add-member" => {
                    let user = member(dir)?;
                    dir.add_member(&id, &user)?;
                    Ok(format!("added {} to {name}", login_of(dir, &user)))
                }
                "remove-member" => {
                    let user = member(dir)?;
                    dir.remove_member(&id, &user)?;
                    Ok(format!("removed {} from {name}", login_of(dir, &user)))
                }
                other => Err(Refusal::bad_request(format!(
                    "unknown group action `{other}`"
                ))),
            }
        })
    });
    back(&site, result)
}

/// `POST /admin/sync`: a cycle now; back to the page with its summary line.
pub(super) async fn sync(_: PageAdmin, State(site): State<Arc<Site>>) -> Response {
    let result = match site.provisioner.sync().await {
        Ok(summary) => Ok(summary.summary),
        Err(refused) => Err(Refusal::conflict(refused.to_string())),
    };
    back(&site, result)
}

/// What the users table says of a user's state.
fn status(u: &DirUser) -> &'static str {
    if u.hard_deleted {
        "deleted"
    } else if u.soft_deleted {
        "soft-deleted"
    } else if !u.assigned {
        "unassigned"
    } else if !u.enabled {
        "disabled"
    } else {
        "active"
    }
}

/// `every` as a person reads it: `40 min`, `30 s`, `500 ms`.
fn every(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_nanos() == 0 && secs >= 60 && secs.is_multiple_of(60) {
        format!("{} min", secs / 60)
    } else if d.subsec_nanos() == 0 {
        format!("{secs} s")
    } else {
        format!("{} ms", d.as_millis())
    }
}

fn button(action: &str, label: &str) -> String {
    format!("<button name=\"action\" value=\"{action}\">{label}</button>")
}

/// The page body.
fn render(site: &Site, done: Option<&str>, error: Option<&str>) -> String {
    let p = &site.provisioner;
    let prefix = escape(&site.prefix);
    let mut out = String::new();
    let target = p.target_url().map_or_else(
        || "none (start with --target PROFILE to provision)".to_owned(),
        |u| format!("<code>{}</code>", escape(u)),
    );
    let schedule = p.schedule().map_or_else(
        || "on demand only".to_owned(),
        |d| format!("a cycle every {}", every(d)),
    );
    let _ = writeln!(
        out,
        "<p id=\"about\">persona <b>{}</b> · target {target} · metadata <a href=\"{m}\">{m}</a> · schedule: {schedule}</p>",
        escape(site.persona.as_str()),
        m = escape(&site.metadata_url()),
    );
    if let Some(done) = done {
        let _ = writeln!(out, "<p id=\"done\" role=\"status\">{}</p>", escape(done));
    }
    if let Some(error) = error {
        let _ = writeln!(
            out,
            "<div id=\"error\" class=\"error\" role=\"alert\"><p>{}</p></div>",
            escape(error)
        );
    }
    if p.has_target() {
        let _ = writeln!(
            out,
            "<form method=\"post\" action=\"{prefix}/admin/sync\"><button id=\"sync-now\">Sync now</button></form>"
        );
    } else {
        out.push_str(
            "<p id=\"sync-disabled\"><button id=\"sync-now\" disabled>Sync now</button> \
             No SCIM target: start idp serve with --target PROFILE (and --target-url URL) to provision.</p>\n",
        );
    }
    match p.last_summary() {
        Some(s) => {
            let _ = write!(
                out,
                "<section id=\"last-cycle\"><h2>Last cycle</h2><p>{} ({} ms)</p>",
                escape(&s.summary),
                s.duration_ms
            );
            if !s.errors.is_empty() {
                out.push_str("<ul>");
                for e in &s.errors {
                    let _ = write!(
                        out,
                        "<li>{} for {}: {}: {}</li>",
                        escape(&e.operation),
                        escape(&e.object),
                        escape(&e.code),
                        escape(&e.message)
                    );
                }
                out.push_str("</ul>");
            }
            out.push_str("</section>\n");
        }
        None => out.push_str("<section id=\"last-cycle\"><h2>Last cycle</h2><p class=\"muted\">none yet</p></section>\n"),
    }
    let dir = p.directory();
    users(&mut out, site, &dir, &prefix);
    groups(&mut out, site, &dir, &prefix);
    drop(dir);
    transcript(&mut out, site);
    out
}

fn users(out: &mut String, site: &Site, dir: &Directory, prefix: &str) {
    out.push_str(
        "<h2>Users</h2>\n<table id=\"users\"><tr><th>id</th><th>login</th><th>mail</th>\
         <th>display name</th><th>status</th><th>externalId</th><th>target id</th><th></th></tr>\n",
    );
    for u in dir.users() {
        let pr = &u.profile;
        let target_id = site.provisioner.user_target_id(&u.id).unwrap_or_default();
        let _ = write!(
            out,
            "<tr data-user=\"{login}\"><td><code>{id}</code></td><td>{login}</td><td>{mail}</td>\
             <td>{name}</td><td class=\"status\">{status}</td><td><code>{ext}</code></td>\
             <td><code>{target}</code></td><td>",
            login = escape(&pr.user_principal_name),
            id = escape(&u.id),
            mail = escape(pr.mail.as_deref().unwrap_or("")),
            name = escape(pr.display_name.as_deref().unwrap_or("")),
            status = status(&u),
            ext = escape(&site.persona.external_id(&u)),
            target = escape(&target_id),
        );
        if !u.hard_deleted {
            let _ = write!(
                out,
                "<form method=\"post\" action=\"{prefix}/admin/users/{}\">{}{}{}{}</form>",
                escape(&percent_encode(&u.id)),
                if u.enabled {
                    button("disable", "Disable")
                } else {
                    button("enable", "Enable")
                },
                if u.soft_deleted {
                    button("restore", "Restore")
                } else {
                    button("soft-delete", "Soft-delete")
                },
                if u.assigned {
                    button("unassign", "Unassign")
                } else {
                    button("assign", "Assign")
                },
                button("delete", "Delete"),
            );
        }
        out.push_str("</td></tr>\n");
    }
    let _ = write!(
        out,
        "</table>\n<form id=\"add-user\" method=\"post\" action=\"{prefix}/admin/users\">\
         <label>login <input name=\"userPrincipalName\" required></label>\
         <label>display name <input name=\"displayName\"></label>\
         <label>mail <input name=\"mail\"></label>\
         <button>Add user</button></form>\n"
    );
}

fn groups(out: &mut String, site: &Site, dir: &Directory, prefix: &str) {
    out.push_str(
        "<h2>Groups</h2>\n<table id=\"groups\"><tr><th>id</th><th>name</th><th>members</th>\
         <th>target id</th><th></th></tr>\n",
    );
    let options: String = dir
        .users()
        .filter(|u| !u.hard_deleted)
        .map(|u| {
            format!(
                "<option value=\"{}\">{}</option>",
                escape(&u.id),
                escape(&u.profile.user_principal_name)
            )
        })
        .collect();
    for g in dir.groups() {
        let action = format!("{prefix}/admin/groups/{}", escape(&percent_encode(&g.id)));
        let _ = write!(
            out,
            "<tr data-group=\"{name}\"><td><code>{id}</code></td><td>{name}{deleted}</td><td><ul>",
            name = escape(&g.display_name),
            id = escape(&g.id),
            deleted = if g.deleted { " (deleted)" } else { "" },
        );
        for m in g.members.iter() {
            let login = login_of(dir, &m);
            let _ = write!(
                out,
                "<li data-member=\"{l}\">{l} <form method=\"post\" action=\"{action}\">\
                 <input type=\"hidden\" name=\"user\" value=\"{id}\">{b}</form></li>",
                l = escape(&login),
                id = escape(&m),
                b = button("remove-member", "Remove"),
            );
        }
        let target_id = site.provisioner.group_target_id(&g.id).unwrap_or_default();
        let _ = write!(
            out,
            "</ul></td><td><code>{}</code></td><td>",
            escape(&target_id)
        );
        if !g.deleted {
            let _ = write!(
                out,
                "<form method=\"post\" action=\"{action}\"><select name=\"user\">{options}</select>{add}</form>\
                 <form method=\"post\" action=\"{action}\"><input name=\"displayName\" value=\"{name}\">{rename}</form>\
                 <form method=\"post\" action=\"{action}\">{delete}</form>",
                name = escape(&g.display_name),
                add = button("add-member", "Add member"),
                rename = button("rename", "Rename"),
                delete = button("delete", "Delete group"),
            );
        }
        out.push_str("</td></tr>\n");
    }
    let _ = write!(
        out,
        "</table>\n<form id=\"add-group\" method=\"post\" action=\"{prefix}/admin/groups\">\
         <label>name <input name=\"displayName\" required></label><button>Create group</button></form>\n"
    );
}

fn transcript(out: &mut String, site: &Site) {
    let _ = write!(
        out,
        "<h2>Exchanges</h2>\n<p class=\"muted\">the newest {PAGE_EXCHANGES}, newest first \
         (all kept ones: <code>GET {}/api/transcript?since=0</code>)</p>\n\
         <table id=\"transcript\"><tr><th>#</th><th>cycle</th><th>request</th><th>status</th><th>bodies</th></tr>\n",
        escape(&site.prefix)
    );
    let log = site.provisioner.log();
    for l in log.since(0).rev().take(PAGE_EXCHANGES) {
        let e = &l.exchange;
        let status = e.status.map_or_else(
            || e.error.clone().unwrap_or_else(|| "---".to_owned()),
            |s| s.to_string(),
        );
        let request = e.request_body.as_ref().map_or("", |b| b.as_str());
        let response = e
            .response_json
            .as_ref()
            .map(|b| b.as_str())
            .or(e.response_text.as_deref())
            .unwrap_or("");
        let _ = writeln!(
            out,
            "<tr data-n=\"{n}\"><td>{n}</td><td>{cycle}</td><td><code>{method} {url}</code></td><td>{status}</td>\
             <td><details><summary>bodies</summary><p>request</p><pre>{request}</pre><p>response</p><pre>{response}</pre></details></td></tr>",
            n = l.n,
            cycle = l.cycle,
            method = escape(&e.method),
            url = escape(&e.url),
            status = escape(&status),
            request = escape(request),
            response = escape(response),
        );
    }
    out.push_str("</table>\n");
}
