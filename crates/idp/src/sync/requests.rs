//! The requests every phase shares: a call and its status check, Test Connection, the
//! filter lookup and the GET by cached id.

use reqwest::Method;
use serde_json::Value;

use crate::dialect::Form;
use crate::directory::DirUser;
use crate::persona::{encode_segment, eq_filter, Family, RequestKind};
use crate::transport::{Reply, RequestBody, TransportError};

use super::pass::{fail, Failure, Pass, Step};
use super::report::{IssueCode, ObjectKind};

impl Pass<'_> {
    pub(super) async fn call(
        &self,
        method: Method,
        kind: RequestKind,
        path: &str,
        body: Option<Value>,
    ) -> Step<Reply> {
        let body = body.as_ref().map(RequestBody::from_value);
        self.call_with(method, kind, path, body).await
    }

    /// [`Pass::call`] with a body already written.
    pub(super) async fn call_with(
        &self,
        method: Method,
        kind: RequestKind,
        path: &str,
        body: Option<RequestBody>,
    ) -> Step<Reply> {
        let reply = self.http.send(method, kind, path, body).await;
        match reply {
            Ok(r) => Ok(r),
            Err(TransportError::Timeout(d)) => {
                fail(IssueCode::Timeout, format!("no response within {d:?}"))
            }
            Err(e) => fail(IssueCode::Transport, e.to_string()),
        }
    }

    fn status_failure(reply: &Reply, what: &str) -> Failure {
        let code = match reply.status {
            409 => IssueCode::Conflict,
            429 => IssueCode::TooManyRequests,
            s if s >= 500 => IssueCode::ServerError,
            _ => IssueCode::Rejected,
        };
        let detail = reply
            .json
            .as_ref()
            .and_then(|j| j.get("detail"))
            .and_then(Value::as_str)
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        Failure {
            code,
            message: format!("{what} answered {}{detail}", reply.status),
        }
    }

    pub(super) fn expect(reply: Reply, ok: &[u16], what: &str) -> Step<Reply> {
        if ok.contains(&reply.status) {
            Ok(reply)
        } else {
            Err(Self::status_failure(&reply, what))
        }
    }

    pub(super) fn json_object(reply: Reply, what: &str) -> Step<Value> {
        match reply.json {
            Some(v @ Value::Object(_)) => Ok(v),
            _ if reply.empty => fail(
                IssueCode::ServiceIncompatible,
                format!("{what} returned an empty body"),
            ),
            _ => fail(
                IssueCode::ServiceIncompatible,
                format!("{what} returned a body that is not a json object"),
            ),
        }
    }

    /// Test Connection: entra-scim.md §1.1, okta-scim.md §3 "Test connection".
    pub(super) async fn probe(&self) -> Step<()> {
        let path = match self.persona.family() {
            Family::Entra => {
                let guid = uuid::Uuid::new_v4().to_string();
                let filter = eq_filter("userName", &guid);
                format!("/Users?filter={}", self.persona.encode_query(&filter))
            }
            Family::Okta => "/Users?startIndex=1&count=2".to_owned(),
            // RFC 7644 §4: service provider configuration.
            Family::Rfc => "/ServiceProviderConfig".to_owned(),
        };
        let mut reply = self
            .call(Method::GET, RequestKind::TestConnection, &path, None)
            .await?;
        if self.persona.family() == Family::Rfc && matches!(reply.status, 404 | 501) {
            // RFC 7644 §4 says the discovery endpoints "MAY be retrieved"; nothing makes a
            // server serve them, so a server without one is asked for one user instead.
            reply = self
                .call(
                    Method::GET,
                    RequestKind::TestConnection,
                    "/Users?startIndex=1&count=1",
                    None,
                )
                .await?;
        }
        let reply = Self::expect(reply, &[200], "test connection")?;
        let body = Self::json_object(reply, "test connection")?;
        if self.persona.family() == Family::Entra {
            // entra-scim.md §1.1: only 200 with an empty ListResponse is correct.
            let list: scim::model::ListResponse<Value> =
                serde_json::from_value(body).map_err(|e| Failure {
                    code: IssueCode::ServiceIncompatible,
                    message: format!("test connection: not a list response: {e}"),
                })?;
            if !list.resources.is_empty() {
                return fail(
                    IssueCode::ServiceIncompatible,
                    "test connection: a random userName matched a user",
                );
            }
        }
        Ok(())
    }

    /// Match a directory user: by `userName`, or by `externalId` with
    /// [`Form::EntraLookupExternalId`].
    pub(super) async fn lookup_user(&self, user: &DirUser) -> Step<Option<Value>> {
        if self.dialect.has(Form::EntraLookupExternalId) {
            let id = self.persona.external_id(user);
            return self.lookup_by(ObjectKind::User, "externalId", &id).await;
        }
        self.lookup(ObjectKind::User, &user.profile.user_principal_name)
            .await
    }

    /// Lookup by filter; `Ok(None)` when nothing matches.
    pub(super) async fn lookup(&self, kind: ObjectKind, value: &str) -> Step<Option<Value>> {
        let attr = match kind {
            ObjectKind::User => "userName",
            ObjectKind::Group => "displayName",
        };
        self.lookup_by(kind, attr, value).await
    }

    async fn lookup_by(&self, kind: ObjectKind, attr: &str, value: &str) -> Step<Option<Value>> {
        let resource = match kind {
            ObjectKind::User => "Users",
            ObjectKind::Group => "Groups",
        };
        let filter = self.persona.encode_query(&eq_filter(attr, value));
        let path = match (self.persona.family(), kind) {
            // entra-scim.md §1.7 and §3: excludedAttributes before filter for groups.
            (Family::Entra, ObjectKind::Group) => {
                format!("/Groups?excludedAttributes=members&filter={filter}")
            }
            // entra-scim.md §1.1: no paging parameters.
            (Family::Entra, ObjectKind::User) | (Family::Rfc, _) => {
                format!("/{resource}?filter={filter}")
            }
            // okta-scim.md §1 "Filters and paging" [R20].
            (Family::Okta, _) => format!("/{resource}?filter={filter}&startIndex=1&count=100"),
        };
        let reply = self
            .call(Method::GET, RequestKind::Read, &path, None)
            .await?;
        // okta-scim.md §1 "Response rules": a 404 with the Error schema means no match.
        if reply.status == 404 && self.persona.family() == Family::Okta {
            return Ok(None);
        }
        let reply = Self::expect(reply, &[200], "filter query")?;
        let body = Self::json_object(reply, "filter query")?;
        let list: scim::model::ListResponse<Value> =
            serde_json::from_value(body).map_err(|e| Failure {
                code: IssueCode::ServiceIncompatible,
                message: format!("filter query: not a list response: {e}"),
            })?;
        let mut found = list.resources.into_iter();
        let first = found.next();
        if found.next().is_some() && self.persona.family() != Family::Okta {
            let code = match kind {
                ObjectKind::User => IssueCode::DuplicateTargetEntries,
                ObjectKind::Group => IssueCode::MultipleEntriesInResponse,
            };
            return fail(
                code,
                format!("filter {attr} eq \"{value}\" matched several resources"),
            );
        }
        if let (Family::Entra, ObjectKind::Group, Some(g)) = (self.persona.family(), kind, &first) {
            // entra-scim.md §1.7 [LOGS]: members in a lookup response is an error.
            if g.get("members")
                .and_then(Value::as_array)
                .is_some_and(|m| !m.is_empty())
            {
                return fail(
                    IssueCode::MultipleEntriesInResponse,
                    "group lookup returned members despite excludedAttributes=members",
                );
            }
        }
        match first {
            Some(r) if r.get("id").and_then(Value::as_str).is_some() => Ok(Some(r)),
            Some(_) => fail(
                IssueCode::ServiceIncompatible,
                "filter query: a resource without id",
            ),
            None => Ok(None),
        }
    }

    pub(super) fn user_path(target_id: &str) -> String {
        format!("/Users/{}", encode_segment(target_id))
    }

    pub(super) fn group_path(target_id: &str) -> String {
        format!("/Groups/{}", encode_segment(target_id))
    }

    /// GET by cached id; a 404 is `InvalidAnchor` (entra-scim.md §4).
    pub(super) async fn get_by_id(&self, path: &str) -> Step<Value> {
        let reply = self
            .call(Method::GET, RequestKind::Read, path, None)
            .await?;
        if reply.status == 404 {
            return fail(
                IssueCode::InvalidAnchor,
                format!("GET {path} answered 404: the cached id no longer exists"),
            );
        }
        let reply = Self::expect(reply, &[200], "get by id")?;
        Self::json_object(reply, "get by id")
    }

    /// A write the target must answer with `200` or `204`.
    pub(super) async fn write(
        &self,
        method: Method,
        path: &str,
        body: Value,
        what: &str,
    ) -> Step<()> {
        let reply = self
            .call(method, RequestKind::Write, path, Some(body))
            .await?;
        Self::expect(reply, &[200, 204], what)?;
        Ok(())
    }
}
