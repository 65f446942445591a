//! The ids a replay learns and rewrites: a recorded resource id maps to the id the new
//! target gave the same resource, and later URLs, filters and bodies carry the new one.

use std::collections::HashMap;

use serde_json::Value;

/// Recorded id → the id the replay target assigned.
#[derive(Debug, Default, Clone)]
pub struct IdMap {
    ids: HashMap<String, String>,
}

impl IdMap {
    /// Learns from an answer: the `id` of a resource (a create's, a read's) and of each
    /// of a list's `Resources`, paired by position with the recorded answer.
    pub fn learn(&mut self, recorded: &Value, replayed: &Value) {
        if let (Some(old), Some(new)) = (
            recorded.get("id").and_then(Value::as_str),
            replayed.get("id").and_then(Value::as_str),
        ) {
            if old != new && !old.is_empty() {
                self.ids.insert(old.to_owned(), new.to_owned());
            }
        }
        if let (Some(old), Some(new)) = (
            recorded.get("Resources").and_then(Value::as_array),
            replayed.get("Resources").and_then(Value::as_array),
        ) {
            for (o, n) in old.iter().zip(new) {
                self.learn(o, n);
            }
        }
    }

    /// The new id of a recorded one.
    pub fn get(&self, recorded: &str) -> Option<&str> {
        self.ids.get(recorded).map(String::as_str)
    }

    /// How many ids are known.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// `text` with the recorded ids in it replaced by their new ids, where an id can
    /// stand: the whole string, a whole path segment (`/Users/ID`, before any `?`), or a
    /// quoted literal (`"ID"`, or `%22ID%22` in a query: a filter's value). Elsewhere an
    /// id's characters are left alone, so a short numeric id does not rewrite
    /// `startIndex=1`.
    pub fn rewrite_str(&self, text: &str) -> String {
        if self.ids.is_empty() {
            return text.to_owned();
        }
        if let Some(new) = self.ids.get(text) {
            return new.clone();
        }
        let (path, query) = match text.find('?') {
            Some(i) => text.split_at(i),
            None => (text, ""),
        };
        let path: Vec<&str> = path
            .split('/')
            .map(|segment| self.ids.get(segment).map_or(segment, String::as_str))
            .collect();
        let joined = path.join("/") + query;
        self.rewrite_quoted(&self.rewrite_quoted(&joined, "\"", "\""), "%22", "%22")
    }

    /// `text` with each `open ID close` whose ID is a recorded id rewritten.
    fn rewrite_quoted(&self, text: &str, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(open) {
            let inner = &rest[start + open.len()..];
            let Some(end) = inner.find(close) else {
                break;
            };
            out.push_str(&rest[..start + open.len()]);
            let literal = &inner[..end];
            out.push_str(self.ids.get(literal).map_or(literal, String::as_str));
            out.push_str(close);
            rest = &inner[end + close.len()..];
        }
        out.push_str(rest);
        out
    }

    /// `value` with [`IdMap::rewrite_str`] applied to every string in it (not to keys).
    pub fn rewrite_json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.rewrite_str(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.rewrite_json(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.rewrite_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// The resource endpoints of RFC 7644 §3.2; a recorded URL's path from the first of
/// them on is what a replay appends to the new target's SCIM base.
const ENDPOINTS: &[&str] = &[
    "Users",
    "Groups",
    "Me",
    "ServiceProviderConfig",
    "ResourceTypes",
    "Schemas",
    "Bulk",
    ".search",
];

/// The part of a recorded URL after its SCIM base: from the first path segment that
/// names a SCIM endpoint, query included (`/Users/123?attributes=id`). `None` when the
/// path names no endpoint.
pub fn after_scim_base(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |x| x.1);
    let path_start = rest.find('/')?;
    let path_and_query = &rest[path_start..];
    let path_end = path_and_query.find('?').unwrap_or(path_and_query.len());
    let path = &path_and_query[..path_end];
    let mut found = None;
    let mut offset: usize = 0;
    for segment in path.split('/') {
        if ENDPOINTS.contains(&segment) {
            found = Some(offset.saturating_sub(1));
            break;
        }
        offset += segment.len() + 1;
    }
    found.map(|i| &path_and_query[i..])
}

/// The origin (`scheme://host:port`) of a URL.
pub fn origin(url: &str) -> &str {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find('/').map_or(url.len(), |i| scheme.len() + 3 + i);
            &url[..end]
        }
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map() -> IdMap {
        let mut ids = IdMap::default();
        ids.learn(
            &json!({"id": "old-1", "userName": "a"}),
            &json!({"id": "new-1", "userName": "a"}),
        );
        ids.learn(
            &json!({"Resources": [{"id": "old-2"}, {"id": "old-3"}]}),
            &json!({"Resources": [{"id": "new-2"}, {"id": "new-3"}]}),
        );
        ids
    }

    #[track_caller]
    fn check(input: &str, expect: &str) {
        assert_eq!(map().rewrite_str(input), expect);
    }

    #[test]
    fn ids_in_paths_filters_and_whole_strings() {
        check("/Users/old-1", "/Users/new-1");
        check(
            "/Groups/old-2?excludedAttributes=members",
            "/Groups/new-2?excludedAttributes=members",
        );
        check("filter=id+eq+%22old-3%22", "filter=id+eq+%22new-3%22");
        check("members[value eq \"old-1\"]", "members[value eq \"new-1\"]");
        check("old-1", "new-1");
        // Only whole tokens: an id inside a longer token stays.
        check("/Users/old-10", "/Users/old-10");
        check("xold-1", "xold-1");
        check("ünïcode \"old-2\"", "ünïcode \"new-2\"");
        // Not where an id cannot stand: a short numeric id leaves the paging alone.
        check("ünïcode old-2", "ünïcode old-2");
        let mut numeric = IdMap::default();
        numeric.learn(&json!({"id": "1"}), &json!({"id": "77"}));
        assert_eq!(
            numeric.rewrite_str("/Users/1?startIndex=1&count=1&filter=id+eq+%221%22"),
            "/Users/77?startIndex=1&count=1&filter=id+eq+%2277%22"
        );
        assert_eq!(
            numeric.rewrite_str("http://old:1/scim/Users/1"),
            "http://old:1/scim/Users/77"
        );
    }

    #[test]
    fn ids_in_bodies_members_and_manager() {
        let body = json!({
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": "old-1"}, {"value": "old-9"}]},
                {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "old-2"}
            ],
            "manager": {"value": "old-3"}
        });
        let out = map().rewrite_json(&body);
        assert_eq!(
            out["Operations"][0]["value"],
            json!([{"value": "new-1"}, {"value": "old-9"}])
        );
        assert_eq!(out["Operations"][1]["value"], "new-2");
        assert_eq!(out["manager"]["value"], "new-3");
    }

    #[test]
    fn the_part_after_the_scim_base() {
        let base = "http://h:1/apis/scim.grafana.app/v0alpha1/namespaces/default";
        assert_eq!(
            after_scim_base(&format!("{base}/Users?filter=x")),
            Some("/Users?filter=x")
        );
        assert_eq!(
            after_scim_base(&format!("{base}/Groups/g1")),
            Some("/Groups/g1")
        );
        assert_eq!(
            after_scim_base("http://h/scim/v2/Users/Groups"),
            Some("/Users/Groups")
        );
        assert_eq!(after_scim_base("http://h/api/health"), None);
        assert_eq!(origin(&format!("{base}/Users")), "http://h:1");
        assert_eq!(origin("https://h"), "https://h");
    }
}
