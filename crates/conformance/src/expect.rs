//! Expectation checks: pure functions from what an observer saw and what the scenario
//! expects to the [`Mismatch`]es between them. No I/O here; the step that runs a check
//! reads the target first ([`crate::observe`]) and records what comes back.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::event::Mismatch;
use crate::http::Answer;
use crate::login::LoginResult;
use crate::observe::{app_user_id, Found, LastSync};
use crate::profile::{Refusal, SessionSection};
use crate::scenario::{AppExpect, Expect, JsonType, LoginExpect, ResponseExpect, UserExpect};

mod flow;

pub(crate) use flow::{session, stays_on_site};

/// RFC 7644 §3.12: the schema URI of an error response.
const SCIM_ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The mismatches of one check, all at one step.
struct Findings {
    step: usize,
    out: Vec<Mismatch>,
}

impl Findings {
    fn new(step: usize) -> Findings {
        Findings {
            step,
            out: Vec::new(),
        }
    }

    fn add(&mut self, check: String, expected: String, observed: String, exchange: Option<u64>) {
        self.out.push(Mismatch {
            step: self.step,
            check,
            expected,
            observed,
            exchange,
        });
    }
}

/// `check` expected `want` and saw `seen` (a resource's existence).
pub(crate) fn exists(
    step: usize,
    check: String,
    want: bool,
    seen: bool,
    exchange: u64,
) -> Vec<Mismatch> {
    let mut f = Findings::new(step);
    if want != seen {
        f.add(check, want.to_string(), seen.to_string(), Some(exchange));
    }
    f.out
}

/// The attributes a user's SCIM resource must carry, as (JSON pointer, value): the
/// directory's with `matches_directory` (`email` stands for the primary email), then
/// the explicit ones with `{tag}` expanded.
pub(crate) fn user_fields(
    want: &UserExpect,
    user: &idp::DirUser,
    external_id: String,
    tag: &str,
) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&str, String)> = Vec::new();
    if want.matches_directory {
        let p = &user.profile;
        fields.push(("/userName", p.user_principal_name.clone()));
        fields.push(("/externalId", external_id));
        let optional = [
            ("email", &p.mail),
            ("/name/givenName", &p.given_name),
            ("/name/familyName", &p.surname),
            ("/displayName", &p.display_name),
        ];
        for (pointer, v) in optional {
            if let Some(v) = v {
                fields.push((pointer, v.clone()));
            }
        }
    }
    let explicit = [
        ("/userName", &want.user_name),
        ("/externalId", &want.external_id),
        ("/displayName", &want.display_name),
        ("/name/givenName", &want.given_name),
        ("/name/familyName", &want.family_name),
    ];
    for (pointer, v) in explicit {
        if let Some(v) = v {
            fields.push((pointer, v.replace("{tag}", tag)));
        }
    }
    fields
}

/// A user's SCIM resource against `want` and the `fields` it must carry.
pub(crate) fn user_resource(
    step: usize,
    what: &str,
    want: &UserExpect,
    fields: &[(&str, String)],
    seen: &Found,
) -> Vec<Mismatch> {
    let n = seen.exchange;
    let mut f = Findings::new(step);
    let exists = seen.resource.is_some();
    if let Some(w) = want.exists {
        if w != exists {
            let check = format!("{what}: SCIM resource exists");
            f.add(check, w.to_string(), exists.to_string(), Some(n));
        }
    }
    let Some(r) = &seen.resource else {
        // Absent though other attributes were asked for (an explicit `exists` was
        // compared above).
        if want.exists.is_none() {
            let check = format!("{what}: SCIM resource exists");
            f.add(check, "true".into(), "false".into(), Some(n));
        }
        return f.out;
    };
    if let Some(w) = want.active {
        let seen = r.get("active").cloned().unwrap_or(Value::Null);
        if seen != Value::Bool(w) {
            f.add(
                format!("{what}: active"),
                w.to_string(),
                seen.to_string(),
                Some(n),
            );
        }
    }
    for (pointer, want) in fields {
        let seen = if *pointer == "email" {
            primary_email(r)
        } else {
            r.pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let matches = match (&seen, *pointer) {
            (Some(s), "/userName" | "email") => s.eq_ignore_ascii_case(want),
            (Some(s), _) => s == want,
            (None, _) => false,
        };
        if !matches {
            let label = pointer.trim_start_matches('/').replace('/', ".");
            f.add(
                format!("{what}: {label}"),
                format!("{want:?}"),
                seen.map_or("absent".to_owned(), |s| format!("{s:?}")),
                Some(n),
            );
        }
    }
    f.out
}

/// The SCIM path a field pointer of [`user_fields`] stands for: `/name/givenName` →
/// `name.givenName`; `email` (the primary email) → `emails`.
pub(crate) fn attribute_label(pointer: &str) -> String {
    if pointer == "email" {
        return "emails".to_owned();
    }
    pointer.trim_start_matches('/').replace('/', ".")
}

/// The primary email, else the first.
fn primary_email(r: &Value) -> Option<String> {
    let emails = r.get("emails")?.as_array()?;
    let pick = emails
        .iter()
        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .or_else(|| emails.first())?;
    pick.get("value").and_then(Value::as_str).map(str::to_owned)
}

/// The checks of `want` that the app's user JSON cannot answer because it lacks the
/// field (e.g. a probe whose endpoint leaves `isDisabled` out), as notes for the case:
/// such a field is reported as not observed, neither passed nor failed.
pub(crate) fn app_user_unobserved(what: &str, want: &AppExpect, seen: &Found) -> Vec<String> {
    let Some(j) = seen.resource.as_ref() else {
        return Vec::new();
    };
    let asked = [
        ("isDisabled", want.disabled.is_some()),
        ("email", want.email.is_some()),
        ("name", want.name.is_some()),
        ("role", want.role.is_some()),
    ];
    let mut out: Vec<String> = asked
        .iter()
        .filter(|(key, asked)| *asked && j.get(key).is_none())
        .map(|(key, _)| {
            format!("{what}: {key} not observed (the app user probe's answer has no `{key}`)")
        })
        .collect();
    if want.id_is_not.is_some() && app_user_id(j).is_none() {
        out.push(format!(
            "{what}: id not observed (the app user probe's answer has no `id` or `userId`)"
        ));
    }
    out
}

/// The app's user JSON against `want`; `email` and `name` expand `{tag}`. The user's id
/// is `id`, else `userId`.
pub(crate) fn app_user(
    step: usize,
    what: &str,
    want: &AppExpect,
    tag: &str,
    seen: &Found,
) -> Vec<Mismatch> {
    let n = Some(seen.exchange);
    let mut f = Findings::new(step);
    let json = seen.resource.as_ref();
    if let Some(e) = want.exists {
        if e != json.is_some() {
            f.add(
                format!("{what}: exists"),
                e.to_string(),
                json.is_some().to_string(),
                n,
            );
            return f.out;
        }
    }
    let Some(j) = json else {
        let asked = want.disabled.is_some()
            || want.email.is_some()
            || want.name.is_some()
            || want.role.is_some()
            || want.id_is_not.is_some();
        if asked {
            f.add(format!("{what}: exists"), "true".into(), "false".into(), n);
        }
        return f.out;
    };
    // A field the probe's answer does not carry is not observed (see
    // `app_user_unobserved`), neither passed nor failed.
    if let Some(d) = want.disabled.filter(|_| j.get("isDisabled").is_some()) {
        let seen = j.get("isDisabled").cloned().unwrap_or(Value::Null);
        if seen != Value::Bool(d) {
            f.add(
                format!("{what}: isDisabled"),
                d.to_string(),
                seen.to_string(),
                n,
            );
        }
    }
    for (key, v) in [
        ("email", &want.email),
        ("name", &want.name),
        ("role", &want.role),
    ] {
        let Some(v) = v.as_ref().filter(|_| j.get(key).is_some()) else {
            continue;
        };
        let want = v.replace("{tag}", tag);
        let seen = j.get(key).and_then(Value::as_str).unwrap_or_default();
        let ok = if key != "name" {
            seen.eq_ignore_ascii_case(&want)
        } else {
            seen == want
        };
        if !ok {
            f.add(
                format!("{what}: {key}"),
                format!("{want:?}"),
                format!("{seen:?}"),
                n,
            );
        }
    }
    if let Some(not) = want.id_is_not {
        if app_user_id(j).and_then(Value::as_i64) == Some(not) {
            f.add(
                format!("{what}: id"),
                format!("not {not}"),
                not.to_string(),
                n,
            );
        }
    }
    f.out
}

/// What a group's team must show: its name, and its members (scenario user keys) or
/// their number.
pub(crate) struct TeamWant<'w> {
    pub what: &'w str,
    pub name: &'w str,
    /// Whether the team exists (default true).
    pub exists: bool,
    pub members: Option<&'w BTreeSet<String>>,
    pub member_count: Option<usize>,
}

/// A group's SCIM resource; `reverse` maps target user ids to scenario keys.
pub(crate) fn group_resource(
    step: usize,
    want: &TeamWant<'_>,
    reverse: &BTreeMap<String, String>,
    r: &Value,
    n: u64,
) -> Vec<Mismatch> {
    let (what, name) = (want.what, want.name);
    let mut f = Findings::new(step);
    let seen_name = r
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if seen_name != name {
        f.add(
            format!("{what}: displayName"),
            format!("{name:?}"),
            format!("{seen_name:?}"),
            Some(n),
        );
    }
    let ids: Vec<&str> = r
        .get("members")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| m.get("value").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    if let Some(members) = want.members {
        let seen: BTreeSet<String> = ids
            .iter()
            .map(|i| reverse.get(*i).cloned().unwrap_or_else(|| (*i).to_owned()))
            .collect();
        if &seen != members {
            f.add(
                format!("{what}: SCIM members"),
                fmt_set(members),
                fmt_set(&seen),
                Some(n),
            );
        }
    }
    if let Some(c) = want.member_count {
        if ids.len() != c {
            let check = format!("{what}: SCIM member count");
            f.add(check, c.to_string(), ids.len().to_string(), Some(n));
        }
    }
    f.out
}

/// A team's members in the app, by login; `by_login` maps lower-case logins to scenario
/// keys.
pub(crate) fn team_members(
    step: usize,
    want: &TeamWant<'_>,
    by_login: &BTreeMap<String, String>,
    logins: &[String],
    n: u64,
) -> Vec<Mismatch> {
    let what = want.what;
    let mut f = Findings::new(step);
    if let Some(members) = want.members {
        let seen: BTreeSet<String> = logins
            .iter()
            .map(|l| by_login.get(l).cloned().unwrap_or_else(|| l.clone()))
            .collect();
        if &seen != members {
            let check = format!("{what}: team members in the app");
            f.add(check, fmt_set(members), fmt_set(&seen), Some(n));
        }
    }
    if let Some(c) = want.member_count {
        if logins.len() != c {
            let check = format!("{what}: team member count in the app");
            f.add(check, c.to_string(), logins.len().to_string(), Some(n));
        }
    }
    f.out
}

fn fmt_set(s: &BTreeSet<String>) -> String {
    format!("[{}]", s.iter().cloned().collect::<Vec<_>>().join(", "))
}

/// The last login against `want`; `accepted_login` is the login of the `accepted_as`
/// (or `only_as`) user; `session` says how the target refuses. A refusal is judged by the missing
/// session; its status and message id where the target answers them
/// (`refusal = "status"`), else its public message where the profile maps the id to
/// one. Returns the mismatches and notes (a message the profile leaves open is
/// reported as observed, not judged).
pub(crate) fn login(
    step: usize,
    want: &LoginExpect,
    accepted_login: Option<&str>,
    last: &LoginResult,
    session: &SessionSection,
) -> (Vec<Mismatch>, Vec<String>) {
    let mut f = Findings::new(step);
    let mut notes = Vec::new();
    let n = Some(last.exchange);
    let seen = last.describe();
    let by_status = session.refusal == Refusal::Status;
    if let (Some(key), Some(login)) = (&want.accepted_as, accepted_login) {
        let ok = last
            .whoami_login
            .as_deref()
            .is_some_and(|w| w.eq_ignore_ascii_case(login));
        if !ok {
            let expected = format!("accepted, session for {login:?}");
            f.add(format!("login as {key}"), expected, seen.clone(), n);
        }
    }
    if let Some(status) = &want.rejected {
        if (by_status && !status.accepts(&last.status)) || last.whoami_login.is_some() {
            let expected = match by_status {
                true => format!("rejected with {status}, no session"),
                false => "refused, no session".to_owned(),
            };
            f.add("login".into(), expected, seen.clone(), n);
        }
    }
    if let (Some(key), Some(login)) = (&want.only_as, accepted_login) {
        match last.whoami_login.as_deref() {
            Some(w) if !w.eq_ignore_ascii_case(login) => {
                let expected = format!("no session, or a session for {login:?} only");
                f.add(format!("login (only as {key})"), expected, seen.clone(), n);
            }
            Some(_) => notes.push(format!(
                "step {step}: accepted as {key}, the signer, not as the identity the unsigned or \
                 hidden part names: no takeover (a stricter SP refuses the document)"
            )),
            None => {}
        }
    }
    if want.refused && last.whoami_login.is_some() {
        f.add(
            "login".into(),
            "refused, no session".into(),
            seen.clone(),
            n,
        );
    }
    match &want.error_id {
        None => {}
        Some(ids) if by_status && !last.error_id.as_ref().is_some_and(|e| ids.accepts(e)) => {
            let observed = last.error_id.clone().unwrap_or_else(|| "none".into());
            f.add("login error id".into(), ids.to_string(), observed, n);
        }
        Some(_) if by_status => {}
        // A session was established: that mismatch says it all.
        Some(_) if last.whoami_login.is_some() => {}
        Some(ids) => {
            let mapped: Vec<&str> = (ids.values().iter())
                .filter_map(|id| session.messages.get(id))
                .map(String::as_str)
                .collect();
            let observed = last
                .message
                .as_ref()
                .map_or("no message".to_owned(), |m| format!("{m:?}"));
            if session.message_marker.is_some() && mapped.len() == ids.values().len() {
                if !last.message.as_deref().is_some_and(|m| mapped.contains(&m)) {
                    let expected = (mapped.iter())
                        .map(|m| format!("{m:?}"))
                        .collect::<Vec<_>>()
                        .join(" or ");
                    let check = format!("login public message (for {ids})");
                    f.add(check, expected, observed, n);
                }
            } else {
                notes.push(format!(
                    "step {step}: the target shows no message id and the profile fixes no public \
                     message for {ids}; the refusal was judged, the page showed {observed}"
                ));
            }
        }
    }
    (f.out, notes)
}

/// The last sync against `expect`'s `last_status`, `requests` and `sync_errors`.
pub(crate) fn last_sync(step: usize, e: &Expect, last: &LastSync) -> Vec<Mismatch> {
    let mut f = Findings::new(step);
    let n = last.last_n;
    if let Some(want) = &e.last_status {
        if !last.last_status.is_some_and(|s| want.allows(s)) {
            let seen = last
                .last_status
                .map_or("no response".to_owned(), |s| s.to_string());
            f.add(
                "status of the last SCIM exchange".into(),
                want.to_string(),
                seen,
                n,
            );
        }
    }
    if let Some(c) = &e.requests {
        if !c.holds(last.exchanges) {
            let check = "requests in the last sync".into();
            f.add(check, c.to_string(), last.exchanges.to_string(), n);
        }
    }
    if let Some(want) = e.sync_errors {
        if last.errors != want {
            let check = "errors in the last sync".into();
            f.add(check, want.to_string(), last.errors.to_string(), n);
        }
    }
    f.out
}

/// The media type of a `Content-Type` value, lower case, parameters dropped.
fn media_type(v: &str) -> String {
    v.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Every way `answer` differs from `want` (with `json` already resolved), as
/// (check, expected, observed).
pub(crate) fn response_mismatches(
    want: &ResponseExpect,
    json: &[(String, Value)],
    answer: &Answer,
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    if let Some(s) = &want.status {
        if !s.allows(answer.status) {
            out.push(("status".into(), s.to_string(), answer.status.to_string()));
        }
    }
    let seen_type = answer.header("content-type").map(media_type);
    if let Some(t) = &want.content_type {
        if seen_type.as_deref() != Some(media_type(t).as_str()) {
            out.push((
                "content type".into(),
                media_type(t),
                seen_type.clone().unwrap_or_else(|| "none".into()),
            ));
        }
    }
    let body = answer.json.as_ref();
    let at = |p: &str| body.and_then(|b| b.pointer(p));
    let show = |v: Option<&Value>| v.map_or_else(|| "absent".to_owned(), Value::to_string);
    for (pointer, v) in json {
        let seen = at(pointer);
        if seen != Some(v) {
            out.push((format!("json {pointer}"), v.to_string(), show(seen)));
        }
    }
    for (pointer, t) in &want.json_type {
        let seen = at(pointer);
        if seen.and_then(JsonType::of) != Some(*t) {
            let seen_type = match seen {
                None => "absent".to_owned(),
                Some(v) => format!(
                    "{} {}",
                    JsonType::of(v).map_or("number", JsonType::as_str),
                    v
                ),
            };
            out.push((format!("json type {pointer}"), t.as_str().into(), seen_type));
        }
    }
    for (pointer, t) in &want.json_type_if_present {
        if let Some(v) = at(pointer) {
            if JsonType::of(v) != Some(*t) {
                let seen = format!("{} {v}", JsonType::of(v).map_or("number", JsonType::as_str));
                out.push((format!("json type {pointer}"), t.as_str().into(), seen));
            }
        }
    }
    for pointer in &want.absent {
        if let Some(v) = at(pointer) {
            out.push((format!("json {pointer}"), "absent".into(), v.to_string()));
        }
    }
    if want.scim_error {
        out.extend(scim_error_mismatches(answer, &at, &show));
    }
    out
}

/// RFC 7644 §3.12: an error answer carries the Error schema and `status`, the HTTP status
/// as a string. A success where an error was expected is said once, as itself: echoing
/// its status as the expected body value would mislead.
fn scim_error_mismatches<'b>(
    answer: &Answer,
    at: &dyn Fn(&str) -> Option<&'b Value>,
    show: &dyn Fn(Option<&Value>) -> String,
) -> Vec<(String, String, String)> {
    if answer.status < 400 {
        return vec![(
            "scim error (RFC 7644 §3.12)".into(),
            "an error answer (4xx or 5xx) with an Error body".into(),
            format!("status {} (not an error)", answer.status),
        )];
    }
    let mut out = Vec::new();
    let has_schema = at("/schemas")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|s| s == SCIM_ERROR_SCHEMA));
    if !has_schema {
        out.push((
            "scim error schemas (RFC 7644 §3.12)".into(),
            format!("[{SCIM_ERROR_SCHEMA:?}]"),
            show(at("/schemas")),
        ));
    }
    let status = Value::String(answer.status.to_string());
    if at("/status") != Some(&status) {
        out.push((
            "scim error status (RFC 7644 §3.12: the HTTP status as a string)".into(),
            status.to_string(),
            show(at("/status")),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::OneOf;

    fn session(refusal: Refusal) -> SessionSection {
        SessionSection {
            whoami: "/api/user".into(),
            login_pointer: "/login".into(),
            cookie: "grafana_session".into(),
            error_id_pointer: "/messageId".into(),
            refusal,
            message_marker: Some("\"loginError\":".into()),
            messages: [
                ("user.sync.user-not-provisioned", "User is not provisioned"),
                ("user.sync.signup-disabled", "Sign up is disabled"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        }
    }

    fn seen(
        status: u16,
        id: Option<&str>,
        message: Option<&str>,
        who: Option<&str>,
    ) -> LoginResult {
        LoginResult {
            status,
            error_id: id.map(str::to_owned),
            message: message.map(str::to_owned),
            whoami_login: who.map(str::to_owned),
            exchange: 7,
            location: None,
        }
    }

    fn rejected(status: OneOf<u16>, ids: Option<OneOf<String>>) -> LoginExpect {
        LoginExpect {
            rejected: Some(status),
            error_id: ids,
            ..LoginExpect::default()
        }
    }

    /// `(mismatch checks, note count)` of judging `last` against `want`.
    #[track_caller]
    fn check(want: &LoginExpect, last: &LoginResult, refusal: Refusal, expect: (&[&str], usize)) {
        let (found, notes) = login(3, want, None, last, &session(refusal));
        let checks: Vec<&str> = found.iter().map(|m| m.check.as_str()).collect();
        assert_eq!(
            (checks.as_slice(), notes.len()),
            expect,
            "{found:?} {notes:?}"
        );
    }

    fn one(id: &str) -> Option<OneOf<String>> {
        Some(OneOf::One(id.to_owned()))
    }

    #[test]
    fn a_status_refusal_is_judged_by_status_id_and_session() {
        let want = rejected(OneOf::One(403), one("user.sync.user-not-provisioned"));
        let ok = seen(403, Some("user.sync.user-not-provisioned"), None, None);
        check(&want, &ok, Refusal::Status, (&[], 0));
        let other = seen(401, Some("user.sync.signup-disabled"), None, None);
        check(
            &want,
            &other,
            Refusal::Status,
            (&["login", "login error id"], 0),
        );
        let either = rejected(
            OneOf::Any(vec![403, 401]),
            Some(OneOf::Any(vec![
                "user.sync.user-not-provisioned".into(),
                "user.sync.signup-disabled".into(),
            ])),
        );
        check(&either, &other, Refusal::Status, (&[], 0));
        let session = seen(302, None, None, Some("grace"));
        check(
            &either,
            &session,
            Refusal::Status,
            (&["login", "login error id"], 0),
        );
    }

    #[test]
    fn a_redirect_refusal_is_judged_by_session_and_public_message() {
        let want = rejected(OneOf::One(403), one("user.sync.user-not-provisioned"));
        let shown = seen(302, None, Some("User is not provisioned"), None);
        check(&want, &shown, Refusal::Redirect, (&[], 0));
        let wrong = seen(302, None, Some("Sign up is disabled"), None);
        check(
            &want,
            &wrong,
            Refusal::Redirect,
            (
                &["login public message (for user.sync.user-not-provisioned)"],
                0,
            ),
        );
        let none = seen(302, None, None, None);
        check(
            &want,
            &none,
            Refusal::Redirect,
            (
                &["login public message (for user.sync.user-not-provisioned)"],
                0,
            ),
        );
        // A session is the failure; the message is not judged on top of it.
        let session = seen(302, None, None, Some("grace"));
        check(&want, &session, Refusal::Redirect, (&["login"], 0));
    }

    #[test]
    fn only_as_passes_no_session_or_the_signers_and_fails_anyone_elses() {
        let want = LoginExpect {
            only_as: Some("sig".into()),
            ..LoginExpect::default()
        };
        let judge = |who: Option<&str>| {
            let last = seen(302, None, None, who);
            let (found, notes) = login(3, &want, Some("sig@x"), &last, &session(Refusal::Redirect));
            (found.len(), notes.len())
        };
        assert_eq!(judge(None), (0, 0), "refused");
        assert_eq!(
            judge(Some("SIG@x")),
            (0, 1),
            "the signer: passes, with a note"
        );
        assert_eq!(judge(Some("victim@x")), (1, 0), "anyone else: fails");
    }

    #[test]
    fn an_unmapped_id_is_reported_not_judged() {
        let want = rejected(OneOf::One(401), one("user.sync.user-externalUID-mismatch"));
        let shown = seen(302, None, Some("User sync failed"), None);
        let (found, notes) = login(3, &want, None, &shown, &session(Refusal::Redirect));
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("user.sync.user-externalUID-mismatch"),
            "{notes:?}"
        );
        assert!(notes[0].contains("\"User sync failed\""), "{notes:?}");
    }
}
