//! The ids a replay learns and rewrites: a recorded resource id maps to the id the new
//! target gave the same resource, and later URLs, filters and bodies carry the new one.

use std::collections::HashMap;

use serde_json::Value;

/// Recorded id → the id the replay target assigned.
#[derive(Debug, Default, Clone)]
pub struct IdMap {
    ids: HashMap<String, String>,
}

/// The characters an id token is made of; anything else (and a `%XX` escape) ends it.
fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
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

    /// `text` with every recorded id that stands as a whole token (between characters
    /// that are not letters, digits, `-` or `_`; a `%XX` escape counts as a boundary)
    /// replaced by its new id. A whole string equal to a recorded id is replaced too.
    pub fn rewrite_str(&self, text: &str) -> String {
        if self.ids.is_empty() {
            return text.to_owned();
        }
        if let Some(new) = self.ids.get(text) {
            return new.clone();
        }
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < text.len() {
            let c = text[i..].chars().next().unwrap_or(' ');
            let escape = c == '%'
                && bytes.len() >= i + 3
                && bytes[i + 1].is_ascii_hexdigit()
                && bytes[i + 2].is_ascii_hexdigit();
            if escape {
                out.push_str(&text[i..i + 3]);
                i += 3;
            } else if id_char(c) {
                let start = i;
                while i < text.len() {
                    let d = text[i..].chars().next().unwrap_or(' ');
                    if !id_char(d) || (d == '%') {
                        break;
                    }
                    i += d.len_utf8();
                }
                let token = &text[start..i];
                out.push_str(self.ids.get(token).map_or(token, String::as_str));
            } else {
                out.push(c);
                i += c.len_utf8();
            }
        }
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
        check("ünïcode old-2", "ünïcode new-2");
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
