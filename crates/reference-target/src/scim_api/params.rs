//! SCIM query parameters: RFC 7644 §3.4.2 `filter`, §3.4.2.4 `startIndex`/`count`, and
//! §3.4.2.5 / §3.9 `attributes`/`excludedAttributes`. Names match ignoring case.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use scim::filter::Filter;
use scim::schema::ResourceSchema;
use scim::ScimError;
use serde_json::Value;

use crate::error::AppError;
use crate::fault::{Fault, FaultSet};
use crate::state::AppState;

fn query_pairs(parts: &Parts) -> Result<Vec<(String, String)>, ScimError> {
    if parts.uri.query().is_none() {
        return Ok(Vec::new());
    }
    Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|Query(pairs)| pairs)
        .map_err(|e| ScimError::invalid_syntax(format!("malformed query string: {e}")))
}

/// The last value of a parameter, matching its name ignoring case.
fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// RFC 7644 §3.4.2.5 / §3.9: which attributes a response carries.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    pub attributes: Option<String>,
    pub excluded: Option<String>,
}

impl Projection {
    fn from_pairs(pairs: &[(String, String)]) -> Projection {
        let non_empty = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Projection {
            attributes: non_empty(param(pairs, "attributes")),
            excluded: non_empty(param(pairs, "excludedAttributes")),
        }
    }

    /// Whether a response would carry the top-level attribute `attr`, so its data need
    /// not be loaded otherwise (`excludedAttributes=members`).
    pub fn wants(&self, attr: &str, schema: &ResourceSchema) -> bool {
        let names = |list: &str| -> Vec<String> {
            list.split(',')
                .map(|n| top_level_name(n.trim(), schema).to_owned())
                .collect()
        };
        if let Some(excluded) = &self.excluded {
            if names(excluded).iter().any(|n| n.eq_ignore_ascii_case(attr)) {
                return false;
            }
        }
        match &self.attributes {
            Some(attributes) => names(attributes)
                .iter()
                .any(|n| n.eq_ignore_ascii_case(attr)),
            None => true,
        }
    }

    /// Apply to one resource (returned as is when there is nothing to project).
    pub fn apply(&self, resource: Value, schema: &ResourceSchema) -> Result<Value, ScimError> {
        if self.attributes.is_none() && self.excluded.is_none() {
            return Ok(resource);
        }
        scim::projection::project(
            &resource,
            self.attributes.as_deref(),
            self.excluded.as_deref(),
            schema,
        )
    }
}

/// `members` from `members`, `members.value` or `urn:…:Group:members.value`.
fn top_level_name<'a>(name: &'a str, schema: &ResourceSchema) -> &'a str {
    let without_urn = match name.get(..schema.id.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(schema.id) => {
            name[schema.id.len()..].trim_start_matches(':')
        }
        _ => name,
    };
    without_urn.split('.').next().unwrap_or(without_urn)
}

impl<S: Send + Sync> FromRequestParts<S> for Projection {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let pairs = query_pairs(parts).map_err(|e| AppError::from(e).into_response())?;
        Ok(Projection::from_pairs(&pairs))
    }
}

/// RFC 7644 §3.4.2: the parameters of a list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// 1-based; values below 1 are read as 1 (RFC 7644 §3.4.2.4).
    pub start_index: u64,
    /// At most [`crate::MAX_RESULTS`]; negative values are read as 0 (RFC 7644 §3.4.2.4).
    pub count: u64,
    pub projection: Projection,
}

fn integer(pairs: &[(String, String)], name: &str) -> Result<Option<i64>, ScimError> {
    match param(pairs, name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            ScimError::invalid_value(format!(
                "query parameter `{name}` must be an integer, found `{v}`"
            ))
        }),
    }
}

impl ListQuery {
    fn from_pairs(
        pairs: &[(String, String)],
        schema: &ResourceSchema,
        faults: &FaultSet,
    ) -> Result<ListQuery, ScimError> {
        let filter = match param(pairs, "filter").map(str::trim) {
            None | Some("") => None,
            // Fault: the already decoded filter is form-decoded again; `+` becomes a space.
            // Fault: filters on externalId refused, as a userName-only target does.
            Some(f)
                if faults.has(Fault::ExternalIdFilterUnsupported)
                    && f.to_ascii_lowercase().contains("externalid") =>
            {
                return Err(ScimError::invalid_filter(format!(
                    "the filter '{f}' is not supported"
                )));
            }
            Some(f) if faults.has(Fault::FilterPlusAsSpace) => {
                Some(Filter::parse_for(&f.replace('+', " "), schema)?)
            }
            Some(f) => Some(Filter::parse_for(f, schema)?),
        };
        let start_index = integer(pairs, "startIndex")?.unwrap_or(1).max(1);
        let count = integer(pairs, "count")?
            .map_or(crate::MAX_RESULTS, |c| u64::try_from(c.max(0)).unwrap_or(0))
            .min(crate::MAX_RESULTS);
        Ok(ListQuery {
            filter,
            start_index: u64::try_from(start_index).unwrap_or(1),
            count,
            projection: Projection::from_pairs(pairs),
        })
    }
}

impl FromRequestParts<AppState> for ListQuery {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let schema = if parts.uri.path().ends_with("/Groups") {
            ResourceSchema::group()
        } else {
            ResourceSchema::user()
        };
        query_pairs(parts)
            .and_then(|pairs| ListQuery::from_pairs(&pairs, schema, state.faults()))
            .map_err(|e| AppError::from(e).into_response())
    }
}

/// Whether a filter refers to the top-level attribute `attr` anywhere, so the data
/// behind it must be loaded to evaluate it.
pub fn filter_mentions(filter: &Filter, attr: &str) -> bool {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => {
            filter_mentions(a, attr) || filter_mentions(b, attr)
        }
        Filter::Not(inner) => filter_mentions(inner, attr),
        Filter::Compare { path, .. } | Filter::Present(path) => {
            path.attr.eq_ignore_ascii_case(attr)
        }
        Filter::ValuePath { attr: path, .. } => path.attr.eq_ignore_ascii_case(attr),
    }
}

/// RFC 7644 §3.4.2: a ListResponse.
pub fn list_response(resources: Vec<Value>, total: u64, start_index: u64) -> Value {
    serde_json::to_value(scim::model::ListResponse::new(
        resources,
        total,
        start_index,
    ))
    .unwrap_or(Value::Null)
}

/// The ListResponse of `/Users` and `/Groups`; the `list-numbers-as-strings` fault
/// writes its integers as JSON strings.
pub fn paged_list_response(
    resources: Vec<Value>,
    total: u64,
    start_index: u64,
    faults: &FaultSet,
) -> Value {
    let mut body = list_response(resources, total, start_index);
    if faults.has(Fault::ListNumbersAsStrings) {
        for key in ["totalResults", "startIndex", "itemsPerPage"] {
            if let Some(n) = body
                .get(key)
                .filter(|v| v.is_number())
                .map(Value::to_string)
            {
                body[key] = Value::String(n);
            }
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> &'static ResourceSchema {
        ResourceSchema::user()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn paging_is_clamped() {
        let q = ListQuery::from_pairs(
            &pairs(&[("startIndex", "-4"), ("count", "-1")]),
            user(),
            &FaultSet::none(),
        )
        .unwrap();
        assert_eq!((q.start_index, q.count), (1, 0));
        let q = ListQuery::from_pairs(
            &pairs(&[("startindex", "7"), ("COUNT", "100000")]),
            user(),
            &FaultSet::none(),
        )
        .unwrap();
        assert_eq!((q.start_index, q.count), (7, crate::MAX_RESULTS));
        let q = ListQuery::from_pairs(&[], user(), &FaultSet::none()).unwrap();
        assert_eq!((q.start_index, q.count), (1, crate::MAX_RESULTS));
        let err = ListQuery::from_pairs(&pairs(&[("count", "ten")]), user(), &FaultSet::none())
            .unwrap_err();
        assert_eq!(err.status, 400);
    }

    #[test]
    fn wants_members() {
        let group = ResourceSchema::group();
        let p = |a: Option<&str>, e: Option<&str>| Projection {
            attributes: a.map(str::to_owned),
            excluded: e.map(str::to_owned),
        };
        assert!(p(None, None).wants("members", group));
        assert!(!p(None, Some("members")).wants("members", group));
        assert!(!p(None, Some("displayName, Members.value")).wants("members", group));
        assert!(!p(Some("displayName"), None).wants("members", group));
        assert!(p(
            Some("urn:ietf:params:scim:schemas:core:2.0:Group:members.value"),
            None
        )
        .wants("members", group));
    }
}
