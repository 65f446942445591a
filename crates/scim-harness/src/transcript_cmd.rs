//! `scim-harness transcript to-scenario`: a scenario YAML skeleton that reproduces the
//! directory changes behind a transcript (users created, updated, disabled, deleted;
//! groups created, renamed, members added and removed), for a vendor to keep as a
//! regression case. What the transcript does not say is left as TODO comments.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::Value;

use crate::replay::after_scim_base;

/// `transcript …`.
#[derive(Subcommand)]
pub enum TranscriptCommand {
    /// Write a scenario YAML skeleton that reproduces the directory changes behind a
    /// transcript (`record --transcript`, `idp sync --transcript`).
    ToScenario(ToScenarioArgs),
}

/// Arguments of `transcript to-scenario`.
#[derive(Args)]
pub struct ToScenarioArgs {
    /// The transcript (JSON lines).
    transcript: PathBuf,
    /// Write the scenario here instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(command: TranscriptCommand) -> anyhow::Result<()> {
    match command {
        TranscriptCommand::ToScenario(args) => to_scenario(args),
    }
}

fn to_scenario(args: ToScenarioArgs) -> anyhow::Result<()> {
    let exchanges: Vec<idp::Exchange> =
        idp::JsonLinesReader::open(&args.transcript)?.collect::<Result<_, _>>()?;
    let stem = args
        .transcript
        .file_stem()
        .map_or_else(|| "transcript".into(), |s| s.to_string_lossy().into_owned());
    let text = skeleton(&exchanges, &args.transcript.display().to_string(), &stem);
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("scenario skeleton: {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}

/// The enterprise extension's schema URN (RFC 7643 §4.3).
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A user the transcript created, as the scenario knows it.
#[derive(Debug, Clone)]
struct User {
    key: String,
    /// Scenario field → value (`login`, `email`, `given_name`, …).
    fields: BTreeMap<&'static str, String>,
    active: bool,
    exists: bool,
}

#[derive(Debug, Clone)]
struct Group {
    key: String,
    name: String,
    members: Vec<String>,
    exists: bool,
}

/// The directory the transcript's changes build, and the steps that reproduce them.
#[derive(Default)]
struct Builder {
    users: Vec<User>,
    groups: Vec<Group>,
    /// Resource id on the recorded target → index into `users` / `groups`.
    user_ids: BTreeMap<String, usize>,
    group_ids: BTreeMap<String, usize>,
    /// Keys created since the last `sync` step.
    fresh: Vec<String>,
    steps: Vec<String>,
}

/// A YAML scalar: a JSON string is a valid YAML double-quoted scalar.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// `text` with `{tag}` put before the `@` (or at the end), so each case's names are its
/// own and the scenario runs again on the same target.
fn tagged(text: &str) -> String {
    match text.split_once('@') {
        Some((local, domain)) => format!("{local}.{{tag}}@{domain}"),
        None => format!("{text}.{{tag}}"),
    }
}

/// A scenario key from a name: lowercase letters, digits and `_`, starting with a letter.
fn key_from(name: &str, taken: &[&str]) -> String {
    let local = name.split('@').next().unwrap_or(name);
    let mut key: String = local
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    key = key.trim_matches('_').to_owned();
    if !key.starts_with(|c: char| c.is_ascii_lowercase()) {
        key = format!("k_{key}");
    }
    let mut candidate = key.clone();
    let mut n = 2;
    while taken.contains(&candidate.as_str()) {
        candidate = format!("{key}_{n}");
        n += 1;
    }
    candidate
}

/// A boolean as Entra and Okta send `active`: a JSON boolean or `"True"`/`"false"`.
fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// The user attributes a SCIM body or PATCH value sets, as scenario fields; `other`
/// collects what the scenario format cannot say.
fn user_fields(
    attr: &str,
    value: &Value,
    out: &mut BTreeMap<&'static str, String>,
    other: &mut Vec<String>,
) {
    if value.is_null() || value.as_array().is_some_and(Vec::is_empty) {
        return;
    }
    let text = value.as_str().map(str::to_owned);
    let attr_plain = attr
        .strip_prefix("urn:ietf:params:scim:schemas:core:2.0:User:")
        .unwrap_or(attr);
    match attr_plain {
        "userName" => out.extend(text.map(|t| ("login", t))),
        "displayName" => out.extend(text.map(|t| ("display_name", t))),
        "title" => out.extend(text.map(|t| ("job_title", t))),
        "preferredLanguage" => out.extend(text.map(|t| ("preferred_language", t))),
        "name.givenName" => out.extend(text.map(|t| ("given_name", t))),
        "name.familyName" => out.extend(text.map(|t| ("surname", t))),
        "name" => {
            for (k, v) in value.as_object().into_iter().flatten() {
                user_fields(&format!("name.{k}"), v, out, other);
            }
        }
        "emails" => {
            let emails = value.as_array().cloned().unwrap_or_default();
            let chosen = emails
                .iter()
                .find(|e| e["primary"] == true)
                .or_else(|| emails.first());
            out.extend(
                chosen
                    .and_then(|e| e["value"].as_str())
                    .map(|t| ("email", t.to_owned())),
            );
        }
        a if a.starts_with("emails[") && a.ends_with(".value") => {
            out.extend(text.map(|t| ("email", t)));
        }
        // The persona sends its own externalId (the directory id) and password.
        "active" | "schemas" | "id" | "meta" | "password" | "name.formatted" | "externalId" => {}
        ENTERPRISE => {
            for (k, v) in value.as_object().into_iter().flatten() {
                user_fields(&format!("{ENTERPRISE}:{k}"), v, out, other);
            }
        }
        a if a == format!("{ENTERPRISE}:department") => {
            out.extend(text.map(|t| ("department", t)));
        }
        a if a.starts_with(ENTERPRISE) => {
            other.push(a[ENTERPRISE.len()..].trim_start_matches(':').to_owned());
        }
        a => other.push(a.to_owned()),
    }
}

/// A PATCH's operations as (op lowercased, path, value).
fn operations(body: &Value) -> Vec<(String, Option<String>, Value)> {
    body["Operations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            (
                o["op"].as_str().unwrap_or("").to_ascii_lowercase(),
                o["path"].as_str().map(str::to_owned),
                o.get("value").cloned().unwrap_or(Value::Null),
            )
        })
        .collect()
}

/// The member ids of a `members` value (`[{"value": id}, …]`).
fn member_ids(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_owned))
        .collect()
}

/// The id in `members[value eq "ID"]`.
fn filtered_member(path: &str) -> Option<String> {
    let inner = path.strip_prefix("members[")?.strip_suffix(']')?;
    let (_, quoted) = inner.split_once(" eq ")?;
    Some(quoted.trim().trim_matches('"').to_owned())
}

impl Builder {
    fn step(&mut self, line: String) {
        self.steps.push(format!("  - {line}"));
    }

    fn todo(&mut self, line: String) {
        self.steps.push(format!("  # TODO: {line}"));
    }

    /// A `sync` first when `key` was created since the last one, so the change goes out
    /// in a later cycle, as it did.
    fn settle(&mut self, key: &str) {
        if self.fresh.iter().any(|k| k == key) {
            self.step("sync: {}".into());
            self.fresh.clear();
        }
    }

    fn user_key(&self, id: &str) -> Option<String> {
        self.user_ids.get(id).map(|&i| self.users[i].key.clone())
    }

    fn taken(&self) -> Vec<&str> {
        self.users
            .iter()
            .map(|u| u.key.as_str())
            .chain(self.groups.iter().map(|g| g.key.as_str()))
            .collect()
    }

    fn exchange(&mut self, e: &idp::Exchange) {
        let Some(rest) = after_scim_base(&e.url) else {
            return;
        };
        let path = rest.split('?').next().unwrap_or(rest);
        let mut parts = path.trim_start_matches('/').splitn(2, '/');
        let (kind, id) = (parts.next().unwrap_or(""), parts.next());
        let ok = e.status.is_some_and(|s| (200..300).contains(&s));
        if e.method == "GET" {
            return;
        }
        if !ok {
            let status = e
                .status
                .map_or_else(|| "no answer".into(), |s| s.to_string());
            self.todo(format!(
                "#{} {} {rest} answered {status}; the directory change behind it is left out",
                e.seq, e.method
            ));
            return;
        }
        let body = e
            .request_body
            .as_ref()
            .map(idp::JsonText::value)
            .unwrap_or(Value::Null);
        let answer = e
            .response_json
            .as_ref()
            .map(idp::JsonText::value)
            .unwrap_or(Value::Null);
        match (kind, e.method.as_str(), id) {
            ("Users", "POST", None) => self.create_user(&body, &answer),
            ("Users", "PATCH", Some(id)) => {
                let ops = operations(&body);
                let mut set = Value::Object(Default::default());
                for (op, path, value) in ops {
                    match (op.as_str(), path) {
                        ("add" | "replace", None) => {
                            for (k, v) in value.as_object().into_iter().flatten() {
                                set[k] = v.clone();
                            }
                        }
                        ("add" | "replace", Some(p)) => set[p] = value,
                        (_, p) => self.todo(format!(
                            "#{} {op} {} on a user: no directory step says it",
                            e.seq,
                            p.unwrap_or_default()
                        )),
                    }
                }
                self.update_user(e.seq, id, &set);
            }
            ("Users", "PUT", Some(id)) => self.update_user(e.seq, id, &body),
            ("Users", "DELETE", Some(id)) => match self.user_key(id) {
                Some(key) => {
                    self.settle(&key);
                    self.step(format!("hard_delete_user: {key}"));
                    if let Some(&i) = self.user_ids.get(id) {
                        self.users[i].exists = false;
                    }
                }
                None => self.todo(format!(
                    "#{} DELETE of a user this transcript did not create ({id})",
                    e.seq
                )),
            },
            ("Groups", "POST", None) => self.create_group(&body, &answer),
            ("Groups", "PATCH", Some(id)) => self.patch_group(e.seq, id, &body),
            ("Groups", "PUT", Some(id)) => {
                let mut ops = Vec::new();
                if let Some(name) = body.get("displayName") {
                    ops.push((
                        "replace".to_owned(),
                        Some("displayName".to_owned()),
                        name.clone(),
                    ));
                }
                if let Some(members) = body.get("members") {
                    ops.push((
                        "replace".to_owned(),
                        Some("members".to_owned()),
                        members.clone(),
                    ));
                }
                self.group_ops(e.seq, id, ops);
            }
            ("Groups", "DELETE", Some(id)) => match self.group_ids.get(id).copied() {
                Some(i) => {
                    let key = self.groups[i].key.clone();
                    self.settle(&key);
                    self.step(format!("delete_group: {key}"));
                    self.groups[i].exists = false;
                }
                None => self.todo(format!(
                    "#{} DELETE of a group this transcript did not create ({id})",
                    e.seq
                )),
            },
            _ => self.todo(format!(
                "#{} {} {rest}: not a directory change this tool knows",
                e.seq, e.method
            )),
        }
    }

    fn create_user(&mut self, body: &Value, answer: &Value) {
        let mut fields = BTreeMap::new();
        let mut other = Vec::new();
        for (k, v) in body.as_object().into_iter().flatten() {
            user_fields(k, v, &mut fields, &mut other);
        }
        let login = fields.get("login").cloned().unwrap_or_default();
        let key = key_from(&login, &self.taken());
        let mut line = format!("add_user: {{user: {key}");
        for (field, value) in &fields {
            if *field == "email" && fields.get("login") == Some(value) {
                continue;
            }
            let value = if matches!(*field, "login" | "email") {
                tagged(value)
            } else {
                value.clone()
            };
            let _ = write!(line, ", {field}: {}", q(&value));
        }
        line.push('}');
        self.step(line);
        if !other.is_empty() {
            self.todo(format!("{key} was also sent: {}", other.join(", ")));
        }
        let active = body.get("active").and_then(as_bool).unwrap_or(true);
        if !active {
            self.step(format!("disable_user: {key}"));
        }
        if let Some(id) = answer["id"].as_str() {
            self.user_ids.insert(id.to_owned(), self.users.len());
        }
        self.fresh.push(key.clone());
        self.users.push(User {
            key,
            fields,
            active,
            exists: true,
        });
    }

    /// A PATCH's or PUT's attributes (`set`: attribute → value) as steps: what changed.
    fn update_user(&mut self, seq: u64, id: &str, set: &Value) {
        let Some(&i) = self.user_ids.get(id) else {
            self.todo(format!(
                "#{seq} change of a user this transcript did not create ({id})"
            ));
            return;
        };
        let key = self.users[i].key.clone();
        let mut fields = BTreeMap::new();
        let mut other = Vec::new();
        for (k, v) in set.as_object().into_iter().flatten() {
            user_fields(k, v, &mut fields, &mut other);
        }
        let changed: Vec<(&'static str, String)> = fields
            .into_iter()
            .filter(|(f, v)| self.users[i].fields.get(f) != Some(v))
            .collect();
        let active = set.get("active").and_then(as_bool);
        if !changed.is_empty() || active.is_some_and(|a| a != self.users[i].active) {
            self.settle(&key);
        }
        if !changed.is_empty() {
            let mut line = format!("update_user: {{user: {key}");
            for (field, value) in &changed {
                let shown = if matches!(*field, "login" | "email") {
                    tagged(value)
                } else {
                    value.clone()
                };
                let _ = write!(line, ", {field}: {}", q(&shown));
            }
            line.push('}');
            self.step(line);
            self.users[i].fields.extend(changed);
        }
        match active {
            Some(false) if self.users[i].active => {
                self.step(format!("disable_user: {key}"));
                self.users[i].active = false;
            }
            Some(true) if !self.users[i].active => {
                self.step(format!("enable_user: {key}"));
                self.users[i].active = true;
            }
            _ => {}
        }
        if !other.is_empty() {
            self.todo(format!(
                "#{seq} also set on {key}: {} (no directory step for it)",
                other.join(", ")
            ));
        }
    }

    fn create_group(&mut self, body: &Value, answer: &Value) {
        let name = body["displayName"].as_str().unwrap_or("group").to_owned();
        let key = key_from(&name, &self.taken());
        self.step(format!(
            "create_group: {{group: {key}, name: {}}}",
            q(&format!("{name} {{tag}}"))
        ));
        let i = self.groups.len();
        if let Some(id) = answer["id"].as_str() {
            self.group_ids.insert(id.to_owned(), i);
        }
        self.fresh.push(key.clone());
        self.groups.push(Group {
            key,
            name,
            members: Vec::new(),
            exists: true,
        });
        if let Some(members) = body.get("members") {
            self.set_members(0, i, &member_ids(members));
        }
    }

    fn patch_group(&mut self, seq: u64, id: &str, body: &Value) {
        self.group_ops(seq, id, operations(body));
    }

    fn group_ops(&mut self, seq: u64, id: &str, ops: Vec<(String, Option<String>, Value)>) {
        let Some(&i) = self.group_ids.get(id) else {
            self.todo(format!(
                "#{seq} change of a group this transcript did not create ({id})"
            ));
            return;
        };
        for (op, path, value) in ops {
            match (op.as_str(), path.as_deref()) {
                ("add", Some("members")) => {
                    for m in member_ids(&value) {
                        self.member(seq, i, &m, true);
                    }
                }
                ("remove", Some("members")) if value.is_array() => {
                    for m in member_ids(&value) {
                        self.member(seq, i, &m, false);
                    }
                }
                ("remove", Some("members")) => self.set_members(seq, i, &[]),
                ("remove", Some(p)) if p.starts_with("members[") => match filtered_member(p) {
                    Some(m) => self.member(seq, i, &m, false),
                    None => self.todo(format!(
                        "#{seq} remove {p}: a member filter this tool cannot read"
                    )),
                },
                ("replace", Some("members")) => self.set_members(seq, i, &member_ids(&value)),
                ("replace" | "add", Some("displayName")) => {
                    self.rename(i, value.as_str().unwrap_or(""))
                }
                ("replace" | "add", None) => {
                    if let Some(name) = value.get("displayName").and_then(Value::as_str) {
                        self.rename(i, name);
                    }
                    if let Some(members) = value.get("members") {
                        if op == "add" {
                            for m in member_ids(members) {
                                self.member(seq, i, &m, true);
                            }
                        } else {
                            self.set_members(seq, i, &member_ids(members));
                        }
                    }
                }
                (op, p) => self.todo(format!(
                    "#{seq} {op} {} on a group: no directory step says it",
                    p.unwrap_or("")
                )),
            }
        }
    }

    fn rename(&mut self, i: usize, name: &str) {
        if name.is_empty() || name == self.groups[i].name {
            return;
        }
        let key = self.groups[i].key.clone();
        self.settle(&key);
        self.step(format!(
            "rename_group: {{group: {key}, name: {}}}",
            q(&format!("{name} {{tag}}"))
        ));
        self.groups[i].name = name.to_owned();
    }

    /// Add or remove one member by its recorded id.
    fn member(&mut self, seq: u64, i: usize, id: &str, add: bool) {
        let Some(user) = self.user_key(id) else {
            self.todo(format!(
                "#{seq} member {id} is no user this transcript created"
            ));
            return;
        };
        let group = self.groups[i].key.clone();
        let present = self.groups[i].members.contains(&user);
        if add && !present {
            self.step(format!("add_member: {{group: {group}, user: {user}}}"));
            self.groups[i].members.push(user);
        } else if !add && present {
            self.settle(&group);
            self.settle(&user);
            self.step(format!("remove_member: {{group: {group}, user: {user}}}"));
            self.groups[i].members.retain(|m| *m != user);
        }
    }

    /// The member list set to `ids`: the adds and removes that make it so.
    fn set_members(&mut self, seq: u64, i: usize, ids: &[String]) {
        let wanted: Vec<String> = ids.iter().filter_map(|id| self.user_key(id)).collect();
        let by_key: BTreeMap<String, String> = self
            .user_ids
            .iter()
            .map(|(id, &u)| (self.users[u].key.clone(), id.clone()))
            .collect();
        for key in self.groups[i].members.clone() {
            if !wanted.contains(&key) {
                if let Some(id) = by_key.get(&key) {
                    self.member(seq, i, &id.clone(), false);
                }
            }
        }
        for id in ids {
            self.member(seq, i, id, true);
        }
    }

    /// The final state as `expect` steps.
    fn expectations(&mut self) {
        self.step("sync: {}".into());
        self.steps.push(
            "  # TODO: these expectations are the end state the recorded target answered; add what the \
             regression is about (a status, a read-back, an app probe)"
                .into(),
        );
        for u in self.users.clone() {
            let line = if u.exists {
                format!(
                    "expect: {{user: {{user: {}, exists: true, active: {}}}}}",
                    u.key, u.active
                )
            } else {
                format!("expect: {{user: {{user: {}, exists: false}}}}", u.key)
            };
            self.step(line);
        }
        for g in self.groups.clone() {
            let line = if g.exists {
                format!(
                    "expect: {{team: {{group: {}, exists: true, members: [{}]}}}}",
                    g.key,
                    g.members.join(", ")
                )
            } else {
                format!("expect: {{team: {{group: {}, exists: false}}}}", g.key)
            };
            self.step(line);
        }
    }
}

/// The persona behind a transcript: its `persona` field when it names one (`idp sync`),
/// else Okta's User-Agent.
fn persona_of(exchanges: &[idp::Exchange]) -> Option<idp::PersonaId> {
    let first = exchanges.first()?;
    if let Ok(p) = first.persona.parse::<idp::PersonaId>() {
        return Some(p);
    }
    let okta = exchanges.iter().any(|e| {
        e.request_header("user-agent")
            .is_some_and(|ua| ua.contains("Okta"))
    });
    okta.then(|| "okta".parse().ok()).flatten()
}

/// The scenario text for `exchanges`; `origin` and `stem` name the transcript.
pub fn skeleton(exchanges: &[idp::Exchange], origin: &str, stem: &str) -> String {
    let mut b = Builder::default();
    for e in exchanges {
        b.exchange(e);
    }
    b.expectations();
    let id_stem: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Written by `scim-harness transcript to-scenario` from {origin} ({} exchanges).",
        exchanges.len()
    );
    let _ = writeln!(
        out,
        "# Logins, emails and group names carry `{{tag}}` so each case's names are its own."
    );
    let _ = writeln!(out, "id: regression.{}", id_stem.trim_matches('-'));
    let _ = writeln!(out, "title: \"TODO: what this regression case reproduces\"");
    let _ = writeln!(out, "# TODO: must or should once a source requires it (scenarios/README.md); info reports only.");
    let _ = writeln!(out, "level: info");
    let _ = writeln!(
        out,
        "spec: [\"TODO: the incident or source this reproduces\"]"
    );
    match persona_of(exchanges) {
        Some(p) => {
            let _ = writeln!(out, "personas: [{p}]");
        }
        None => {
            let _ = writeln!(
                out,
                "# TODO: personas: the IdP that sent this traffic (omitted: all five)"
            );
        }
    }
    let _ = writeln!(out, "steps:");
    for s in &b.steps {
        let _ = writeln!(out, "{s}");
    }
    out
}

#[cfg(test)]
mod tests;
