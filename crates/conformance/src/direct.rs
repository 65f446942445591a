//! Steps that speak to the target directly rather than through a persona: `request` (one
//! raw HTTP request) and its `expect: {response}`, `set_config` (SCIMConfig and Team Sync
//! switched mid-case) and `seed_app_user` (an app user SCIM did not provision).

use serde_json::Value;

use crate::admin::with_authorization;
use crate::case::{CaseRun, Stop};
use crate::event::Source;
use crate::expect::response_mismatches;
use crate::http::{Answer, Body, Request};
use crate::observe::{self, id_text};
use crate::profile::{AdminEndpoint, ConfigSection};
use crate::scenario::{
    templates, NamedAuth, RawRequest, RequestAuth, ResponseExpect, SeedAppUser, SetConfig, Surface,
};
use saml::binding::percent_encode;

impl CaseRun<'_> {
    /// Expand `{tag}` and every `{kind:KEY}` template of `text`.
    pub(crate) async fn resolve(&mut self, text: &str) -> Result<String, Stop> {
        let mut out = self.expand(text);
        let found: Vec<(String, String)> = templates(text)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        for (kind, key) in found {
            let value = self.template_value(&kind, &key).await?;
            out = out.replace(&format!("{{{kind}:{key}}}"), &value);
        }
        Ok(out)
    }

    async fn template_value(&mut self, kind: &str, key: &str) -> Result<String, Stop> {
        match kind {
            "user_id" => self.target_user_id(key, &format!("{{user_id:{key}}}")),
            "group_id" => {
                let dir = self.group_id(key)?;
                self.ids.group_ids.get(&dir).cloned().ok_or_else(|| {
                    self.step_err(format!(
                        "{{group_id:{key}}}: group `{key}` has no SCIM id on the target (not synced yet?)"
                    ))
                })
            }
            "user_name" => Ok(self
                .present_user(kind, key)?
                .profile
                .user_principal_name
                .clone()),
            "external_id" => {
                let user = self.present_user(kind, key)?;
                Ok(self.external_id_of(&user))
            }
            "team_id" => self.team_id(key).await,
            "app_user_id" => self.app_user_id(key).await,
            other => Err(self.step_err(format!("unknown template kind `{other}`"))),
        }
    }

    /// A user still in the directory: a template naming one deleted by an earlier step is an
    /// error, never an empty string that would make the request test nothing.
    fn present_user(&self, kind: &str, key: &str) -> Result<idp::DirUser, Stop> {
        let dir = self.user_id(key)?;
        self.dir
            .user(&dir)
            .map(std::borrow::Cow::into_owned)
            .ok_or_else(|| {
                self.step_err(format!(
                    "{{{kind}:{key}}}: user `{key}` is no longer in the directory"
                ))
            })
    }

    /// The app's team id of a group, found by its display name.
    async fn team_id(&mut self, key: &str) -> Result<String, Stop> {
        let dir = self.group_id(key)?;
        let name = self
            .dir
            .group(&dir)
            .map(|g| g.display_name.clone())
            .ok_or_else(|| {
                self.step_err(format!(
                    "{{team_id:{key}}}: group `{key}` is no longer in the directory"
                ))
            })?;
        let probe = self
            .probe(|p| &p.teams_by_name)
            .ok_or_else(|| self.step_err("{team_id}: no [probes] teams_by_name".into()))?;
        let found = observe::search_team(self, &probe, &name, &[200, 404]).await?;
        found
            .resource
            .as_ref()
            .and_then(|t| t.get("id"))
            .map(id_text)
            .ok_or_else(|| {
                self.step_err(format!(
                    "{{team_id:{key}}}: no app team named {name:?} (see exchange {})",
                    found.exchange
                ))
            })
    }

    /// The app's user id of a seeded app user, or of a directory user found by login.
    async fn app_user_id(&mut self, key: &str) -> Result<String, Stop> {
        if let Some(id) = self.seeded.get(key) {
            return Ok(id.to_string());
        }
        let login = self
            .present_user("app_user_id", key)?
            .profile
            .user_principal_name
            .clone();
        match observe::read_app_user(self, &login).await? {
            Some(found) => found
                .resource
                .as_ref()
                .and_then(observe::app_user_id)
                .map(id_text)
                .ok_or_else(|| {
                    self.step_err(format!(
                        "{{app_user_id:{key}}}: no app user {login:?} (see exchange {})",
                        found.exchange
                    ))
                }),
            None => Err(self.step_err("{app_user_id}: no [probes] user_by_login".into())),
        }
    }

    /// Resolve every string of a JSON body. A string that is exactly one `{team_id:…}` or
    /// `{app_user_id:…}` template becomes a number when its value is one (the app API
    /// takes numeric ids).
    fn resolve_json<'s>(
        &'s mut self,
        v: &'s Value,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Value, Stop>> + Send + 's>> {
        Box::pin(async move {
            Ok(match v {
                Value::String(s) => {
                    let text = self.resolve(s).await?;
                    let numeric = (s.starts_with("{team_id:") || s.starts_with("{app_user_id:"))
                        && s.ends_with('}')
                        && templates(s).len() == 1;
                    match text.parse::<i64>() {
                        Ok(n) if numeric => Value::from(n),
                        _ => Value::String(text),
                    }
                }
                Value::Array(a) => {
                    let mut out = Vec::with_capacity(a.len());
                    for x in a {
                        out.push(self.resolve_json(x).await?);
                    }
                    Value::Array(out)
                }
                Value::Object(o) => {
                    let mut out = serde_json::Map::new();
                    for (k, x) in o {
                        out.insert(k.clone(), self.resolve_json(x).await?);
                    }
                    Value::Object(out)
                }
                other => other.clone(),
            })
        })
    }

    /// `request`: send it; the answer, for the next `expect: {response}`.
    pub(crate) async fn request(&mut self, r: &RawRequest) -> Result<(u64, Answer), Stop> {
        let (req, path) = self.build_request(r).await?;
        let (n, answer) = self.send(Source::Request, &req).await;
        self.answered(r, &req, &path, n, answer)
    }

    /// `concurrent`: every request sent at once (as an IdP sends membership changes in
    /// parallel), recorded in the order written; the answer kept for the next `expect:
    /// {response}` is the one with the highest status, so a status expectation holds for
    /// every answer.
    pub(crate) async fn concurrent(&mut self, rs: &[RawRequest]) -> Result<(u64, Answer), Stop> {
        let mut built = Vec::with_capacity(rs.len());
        for r in rs {
            built.push(self.build_request(r).await?);
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (i, (req, _)) in built.iter().enumerate() {
            let (client, req) = (self.shared.client.clone(), req.clone());
            tasks.spawn(async move { (i, client.send(&req).await) });
        }
        let mut done = Vec::with_capacity(rs.len());
        while let Some(joined) = tasks.join_next().await {
            done.push(
                joined.map_err(|e| {
                    self.step_err(format!("concurrent: a request task failed: {e}"))
                })?,
            );
        }
        done.sort_by_key(|(i, _)| *i);
        let mut kept: Option<(u64, Answer)> = None;
        for ((i, (exchange, answer)), r) in done.into_iter().zip(rs) {
            let n = self.record(Source::Request, exchange);
            let (req, path) = &built[i];
            let (n, answer) = self.answered(r, req, path, n, answer)?;
            if kept.as_ref().is_none_or(|(_, k)| answer.status > k.status) {
                kept = Some((n, answer));
            }
        }
        kept.ok_or_else(|| self.step_err("concurrent: no request".to_owned()))
    }

    /// The request a `request` step describes, with its templates resolved, and its path.
    async fn build_request(&mut self, r: &RawRequest) -> Result<(Request, String), Stop> {
        let method = reqwest::Method::from_bytes(r.method.as_bytes())
            .map_err(|_| self.step_err(format!("request: bad method `{}`", r.method)))?;
        let path = self.resolve(&r.path).await?;
        let mut url = match r.surface {
            Surface::Scim => self.shared.scim_url(&path),
            Surface::App => self.shared.url(&path),
        };
        for (i, (k, v)) in r.query.iter().enumerate() {
            let v = self.resolve(v).await?;
            let sep = if i == 0 && !url.contains('?') {
                '?'
            } else {
                '&'
            };
            url.push(sep);
            url.push_str(&percent_encode(k));
            url.push('=');
            url.push_str(&percent_encode(&v));
        }
        let body = match &r.body {
            Some(b) => Body::Json(self.resolve_json(b).await?),
            None => Body::None,
        };
        let mut headers = Vec::new();
        for (k, v) in &r.headers {
            let v = self.resolve(v).await?;
            headers.push((k.clone(), v));
        }
        let req = Request {
            method,
            url,
            bearer: r.auth.profile_credential(),
            cookies: None,
            body,
            headers,
        };
        let req = match r.auth {
            RequestAuth::Profile(_) => req,
            RequestAuth::Named(NamedAuth::Admin) => self
                .shared
                .as_server_admin(req)
                .map_err(|why| self.step_err(format!("request {} {path}: {why}", r.method)))?,
            RequestAuth::Named(NamedAuth::WrongRole) => {
                let token = self.shared.opts.profile.wrong_role_token();
                match token {
                    Ok(Some(t)) => with_authorization(req, format!("Bearer {t}")),
                    Ok(None) => {
                        return Err(self.step_err(format!(
                            "request {} {path}: auth: wrong-role needs [scim] wrong_role_token",
                            r.method
                        )))
                    }
                    Err(e) => return Err(self.step_err(format!("request {path}: {e}"))),
                }
            }
        };
        Ok((req, path))
    }

    /// The answer to a sent request (transcript entry `n`): a transport error stops the
    /// step; a SCIM resource a `POST` created is remembered for cleanup.
    fn answered(
        &mut self,
        r: &RawRequest,
        req: &Request,
        path: &str,
        n: u64,
        answer: Result<Answer, String>,
    ) -> Result<(u64, Answer), Stop> {
        let answer =
            answer.map_err(|e| self.step_err(format!("request {} {}: {e}", r.method, req.url)))?;
        if r.surface == Surface::Scim && req.method == reqwest::Method::POST {
            self.remember_created(path, n, &answer);
        }
        Ok((n, answer))
    }

    /// A SCIM resource a raw `POST /Users` or `/Groups` created, kept for cleanup under
    /// the key `request#N` (N its transcript entry).
    fn remember_created(&mut self, path: &str, n: u64, answer: &Answer) {
        if !(200..300).contains(&answer.status) {
            return;
        }
        let Some(id) = answer
            .json
            .as_ref()
            .and_then(|j| j.get("id"))
            .and_then(Value::as_str)
        else {
            return;
        };
        let ids = match path.split('?').next().unwrap_or(path).trim_end_matches('/') {
            "/Users" => &mut self.ids.user_ids,
            "/Groups" => &mut self.ids.group_ids,
            _ => return,
        };
        ids.insert(format!("request#{n}"), id.to_owned());
    }

    /// `expect: {response}` against the last `request`'s answer.
    pub(crate) async fn expect_response(
        &mut self,
        want: &ResponseExpect,
        last: Option<&(u64, Answer)>,
    ) -> Result<(), Stop> {
        let Some((n, answer)) = last else {
            return Err(self.step_err("expect response: no earlier request".into()));
        };
        let mut wanted = Vec::new();
        for (pointer, v) in &want.json {
            wanted.push((pointer.clone(), self.resolve_json(v).await?));
        }
        for m in response_mismatches(want, &wanted, answer) {
            self.mismatch(format!("response: {}", m.0), m.1, m.2, Some(*n));
        }
        let conflict_unexpected = want.status.as_ref().is_some_and(|s| !s.allows(409));
        if answer.status == 409 && conflict_unexpected {
            self.note(crate::case::SEED_HINT.to_owned());
        }
        Ok(())
    }

    /// `set_config`: Team Sync off first, then the SCIMConfig object, then Team Sync on, so
    /// that a valid switch-over is never refused half-way.
    pub(crate) async fn set_config(&mut self, c: &SetConfig) -> Result<(), Stop> {
        let profile = &self.shared.opts.profile;
        let section = profile
            .config
            .clone()
            .ok_or_else(|| self.step_err("set_config: the profile has no [config]".into()))?;
        if c.team_sync == Some(false) {
            self.switch_team_sync(false, c.expect_refused, &section)
                .await?;
        }
        if c.touches_scim_config() {
            let mut next = self.current;
            next.user_sync = c.user_sync.unwrap_or(next.user_sync);
            next.group_sync = c.group_sync.unwrap_or(next.group_sync);
            next.reject_non_provisioned_users = c
                .reject_non_provisioned_users
                .unwrap_or(next.reject_non_provisioned_users);
            let req = section.put_scim_config(self.shared, &next);
            let accepted = self
                .config_request(&req, &format!("SCIMConfig {next}"), c.expect_refused)
                .await?;
            if accepted {
                self.current = next;
            }
        }
        if c.team_sync == Some(true) {
            self.switch_team_sync(true, c.expect_refused, &section)
                .await?;
        }
        Ok(())
    }

    async fn switch_team_sync(
        &mut self,
        enabled: bool,
        expect_refused: bool,
        section: &ConfigSection,
    ) -> Result<(), Stop> {
        let req = section.put_team_sync(self.shared, enabled).ok_or_else(|| {
            self.step_err("set_config: the profile has no [config] team_sync".into())
        })?;
        self.config_request(&req, &format!("team_sync={enabled}"), expect_refused)
            .await?;
        Ok(())
    }

    /// Send a settings change; a mismatch when the answer is not what the step expects.
    /// Returns whether the target accepted it.
    async fn config_request(
        &mut self,
        req: &Request,
        what: &str,
        expect_refused: bool,
    ) -> Result<bool, Stop> {
        let (n, answer) = self.send(Source::Observer, req).await;
        let answer = answer
            .map_err(|e| self.step_err(format!("set_config: {} {}: {e}", req.method, req.url)))?;
        let accepted = (200..300).contains(&answer.status);
        match (expect_refused, accepted) {
            (true, true) => self.mismatch(
                format!("set_config {what}"),
                "refused (4xx)".into(),
                format!("accepted ({})", answer.status),
                Some(n),
            ),
            (true, false) if !is_refusal(answer.status) => self.mismatch(
                format!("set_config {what}"),
                "refused (4xx other than 401, 403, 404, 405)".into(),
                format!("status {}", answer.status),
                Some(n),
            ),
            (false, false) => self.mismatch(
                format!("set_config {what}"),
                "accepted (2xx)".into(),
                format!("status {}", answer.status),
                Some(n),
            ),
            _ => {}
        }
        Ok(accepted)
    }

    /// `seed_app_user`: create the app user; the password is random and redacted.
    pub(crate) async fn seed_app_user(&mut self, a: &SeedAppUser) -> Result<(), Stop> {
        let path = self
            .probe(|p| &p.create_user)
            .ok_or_else(|| self.step_err("seed_app_user: no [probes] create_user".into()))?;
        let login = self.expand(&a.login);
        let email = self.expand(&a.email);
        let name = a
            .name
            .as_ref()
            .map_or_else(|| login.clone(), |n| self.expand(n));
        // Random, unrelated to the seed or the names in the report; redacted in the transcript.
        let password = format!("Seed-{}", uuid::Uuid::new_v4().simple());
        let req = Request {
            method: reqwest::Method::POST,
            body: Body::Json(serde_json::json!({
                "name": name, "email": email, "login": login, "password": password,
            })),
            ..Request::get(self.shared.url(&path))
        };
        let req = self
            .shared
            .authorize(AdminEndpoint::CreateUser, req)
            .map_err(|why| self.step_err(format!("seed_app_user {login}: {why}")))?;
        let (mut ex, answer) = self.shared.client.send(&req).await;
        if let Body::Json(sent) = &req.body {
            ex.request_body = Some(idp::JsonText::password_redacted(sent));
        }
        let n = self.record(Source::Observer, ex);
        let answer = answer.map_err(|e| self.step_err(format!("seed_app_user {login}: {e}")))?;
        let id = answer
            .json
            .as_ref()
            .and_then(|j| j.get("id"))
            .and_then(Value::as_i64);
        match id {
            Some(id) if (200..300).contains(&answer.status) => {
                let key = a.key.clone().unwrap_or_else(|| a.login.clone());
                self.seeded.insert(key, id);
                Ok(())
            }
            _ => Err(self.step_err(format!(
                "seed_app_user {login}: POST {path} answered {} without an id (exchange {n})",
                answer.status
            ))),
        }
    }
}

/// A 4xx that refuses the change itself, not the caller or the route (401, 403, 404 and
/// 405 say the switch was never reached).
fn is_refusal(status: u16) -> bool {
    (400..500).contains(&status) && ![401, 403, 404, 405].contains(&status)
}

#[cfg(test)]
mod tests;
