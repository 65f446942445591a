//! The semantic diff of a replayed answer against the recorded one: the status, then the
//! JSON with ids compared through the [`IdMap`], `meta`, timestamps, key order and the
//! order of `schemas` ignored, and the `--ignore` paths left out.

use serde::Serialize;
use serde_json::Value;

use super::rewrite::IdMap;

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A JSON path as the diff shows it: `$.Resources[0].userName`, `$["urn:…:User"].manager`.
pub fn show_path(path: &[Step]) -> String {
    let mut out = String::from("$");
    for step in path {
        match step {
            Step::Key(k)
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') =>
            {
                out.push('.');
                out.push_str(k);
            }
            Step::Key(k) => {
                out.push('[');
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(']');
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// An `--ignore` path: `$.a.b[*].c`, `a.b`, `emails[0].display`; `*` matches any key or
/// index; `$..name` matches `name` at any depth. A difference at or under a matching
/// path is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnorePath {
    anywhere: bool,
    parts: Vec<Pattern>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Key(String),
    Index(usize),
    Any,
}

impl std::str::FromStr for IgnorePath {
    type Err = String;

    fn from_str(text: &str) -> Result<IgnorePath, String> {
        let mut rest = text.trim();
        let anywhere = rest.starts_with("$..") || rest.starts_with("..");
        rest = rest.trim_start_matches('$').trim_start_matches('.');
        let mut parts = Vec::new();
        for piece in rest.split('.') {
            let (key, mut brackets) = match piece.find('[') {
                Some(i) => (&piece[..i], &piece[i..]),
                None => (piece, ""),
            };
            if !key.is_empty() {
                parts.push(if key == "*" {
                    Pattern::Any
                } else {
                    Pattern::Key(key.to_owned())
                });
            }
            while let Some(inner) = brackets.strip_prefix('[') {
                let close = inner
                    .find(']')
                    .ok_or_else(|| format!("`{text}`: a `[` without its `]`"))?;
                let index = &inner[..close];
                parts.push(if index == "*" {
                    Pattern::Any
                } else {
                    Pattern::Index(index.parse().map_err(|_| {
                        format!("`{text}`: `[{index}]` is neither an index nor `*`")
                    })?)
                });
                brackets = &inner[close + 1..];
            }
            if !brackets.is_empty() {
                return Err(format!("`{text}`: unexpected `{brackets}`"));
            }
        }
        if parts.is_empty() {
            return Err(format!("`{text}`: an empty path"));
        }
        Ok(IgnorePath { anywhere, parts })
    }
}

impl IgnorePath {
    /// Whether a difference at `path` is ignored.
    pub fn covers(&self, path: &[Step]) -> bool {
        let starts: Vec<usize> = if self.anywhere {
            (0..path.len()).collect()
        } else {
            vec![0]
        };
        starts.into_iter().any(|s| {
            path.len() >= s + self.parts.len()
                && self
                    .parts
                    .iter()
                    .zip(&path[s..])
                    .all(|(p, step)| match (p, step) {
                        (Pattern::Any, _) => true,
                        (Pattern::Key(k), Step::Key(s)) => k == s,
                        (Pattern::Index(i), Step::Index(j)) => i == j,
                        _ => false,
                    })
        })
    }
}

/// What to leave out of a comparison besides the built-in rules.
#[derive(Debug, Clone, Default)]
pub struct DiffRules {
    pub ignore: Vec<IgnorePath>,
    /// The recorded target's origin and the replay target's: URLs in answers (`$ref`,
    /// `location`) are compared with the one put for the other.
    pub origins: Option<(String, String)>,
}

/// One difference: where, and the two values (`None`: absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed: Option<Value>,
}

/// Whether `s` has the shape of an RFC 3339 date-time (`2026-12-06T21:48:46…`).
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b'T' || b[10] == b't' || b[10] == b' ')
        && b[13] == b':'
        && b[16] == b':'
}

/// The differences between the recorded answer's JSON and the replayed one's.
pub fn diff_json(
    recorded: &Value,
    replayed: &Value,
    ids: &IdMap,
    rules: &DiffRules,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(recorded, replayed, ids, rules, &mut path, &mut out);
    out
}

fn walk(
    rec: &Value,
    new: &Value,
    ids: &IdMap,
    rules: &DiffRules,
    path: &mut Vec<Step>,
    out: &mut Vec<Difference>,
) {
    if rules.ignore.iter().any(|p| p.covers(path)) {
        return;
    }
    match (rec, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, av) in a {
                if key == "meta" {
                    continue;
                }
                path.push(Step::Key(key.clone()));
                if rules.ignore.iter().any(|p| p.covers(path)) {
                    path.pop();
                    continue;
                }
                match b.get(key) {
                    Some(bv) if key == "id" => {
                        if let (Some(old), Some(got)) = (av.as_str(), bv.as_str()) {
                            let expected = ids.get(old).unwrap_or(old);
                            if expected != got && ids.get(old).is_some() {
                                note(out, path, Some(av), Some(bv));
                            }
                        } else if av != bv {
                            note(out, path, Some(av), Some(bv));
                        }
                    }
                    Some(bv) if key == "schemas" => {
                        let mut x: Vec<String> = av
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(Value::to_string)
                            .collect();
                        let mut y: Vec<String> = bv
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(Value::to_string)
                            .collect();
                        x.sort();
                        y.sort();
                        if x != y || !(av.is_array() && bv.is_array()) {
                            walk(av, bv, ids, rules, path, out);
                        }
                    }
                    Some(bv) => walk(av, bv, ids, rules, path, out),
                    None => note(out, path, Some(av), None),
                }
                path.pop();
            }
            for (key, bv) in b {
                if key == "meta" || a.contains_key(key) {
                    continue;
                }
                path.push(Step::Key(key.clone()));
                if !rules.ignore.iter().any(|p| p.covers(path)) {
                    note(out, path, None, Some(bv));
                }
                path.pop();
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                path.push(Step::Index(i));
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => walk(x, y, ids, rules, path, out),
                    (x, y) => {
                        if !rules.ignore.iter().any(|p| p.covers(path)) {
                            note(out, path, x, y);
                        }
                    }
                }
                path.pop();
            }
        }
        (Value::String(a), Value::String(b)) => {
            if looks_like_timestamp(a) && looks_like_timestamp(b) {
                return;
            }
            let mut expected = ids.rewrite_str(a);
            if let Some((old, now)) = &rules.origins {
                if !old.is_empty() {
                    expected = expected.replace(old.as_str(), now);
                }
            }
            if &expected != b {
                note(out, path, Some(rec), Some(new));
            }
        }
        (a, b) => {
            if a != b {
                note(out, path, Some(a), Some(b));
            }
        }
    }
}

fn note(out: &mut Vec<Difference>, path: &[Step], rec: Option<&Value>, new: Option<&Value>) {
    out.push(Difference {
        path: show_path(path),
        recorded: rec.cloned(),
        replayed: new.cloned(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(rec: Value, new: Value, ids: &IdMap, ignore: &[&str]) -> Vec<String> {
        let rules = DiffRules {
            ignore: ignore.iter().map(|p| p.parse().unwrap()).collect(),
            origins: Some(("http://old:1".into(), "http://new:2".into())),
        };
        diff_json(&rec, &new, ids, &rules)
            .into_iter()
            .map(|d| d.path)
            .collect()
    }

    #[test]
    fn key_order_meta_timestamps_schemas_order_and_mapped_ids_are_no_difference() {
        let mut ids = IdMap::default();
        ids.learn(&json!({"id": "u-old"}), &json!({"id": "u-new"}));
        let rec = json!({
            "schemas": ["a", "b"], "id": "u-old", "userName": "ann",
            "meta": {"created": "2026-01-01T00:00:00Z", "version": "W/\"1\""},
            "members": [{"value": "u-old", "$ref": "http://old:1/scim/Users/u-old"}],
            "x": {"when": "2026-01-01T00:00:00Z"}
        });
        let new = json!({
            "x": {"when": "2026-12-06T21:00:00.5Z"},
            "members": [{"$ref": "http://new:2/scim/Users/u-new", "value": "u-new"}],
            "meta": {"created": "2026-12-06T21:00:00Z"},
            "userName": "ann", "id": "u-new", "schemas": ["b", "a"]
        });
        assert!(paths(rec, new, &ids, &[]).is_empty());
    }

    #[test]
    fn changed_missing_extra_and_mismapped_values_are_named_by_path() {
        let mut ids = IdMap::default();
        ids.learn(&json!({"id": "u-old"}), &json!({"id": "u-new"}));
        let rec = json!({"id": "u-old", "totalResults": 1, "emails": [{"value": "a@x"}], "gone": true,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "u-old"}}});
        let new = json!({"id": "u-other", "totalResults": "1", "emails": [], "extra": 1,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "u-old"}}});
        assert_eq!(
            paths(rec, new, &ids, &[]),
            [
                "$.id",
                "$.totalResults",
                "$.emails[0]",
                "$.gone",
                "$[\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"].manager.value",
                "$.extra"
            ]
        );
    }

    #[test]
    fn ignored_paths() {
        let ids = IdMap::default();
        let rec = json!({"Resources": [{"name": {"formatted": "A"}, "display": 1}], "emails": [{"display": "x"}]});
        let new = json!({"Resources": [{"name": {"formatted": "B"}, "display": 2}], "emails": [{"display": "y"}]});
        assert_eq!(
            paths(rec.clone(), new.clone(), &ids, &["Resources[*].name"]),
            ["$.Resources[0].display", "$.emails[0].display"]
        );
        assert_eq!(
            paths(
                rec.clone(),
                new.clone(),
                &ids,
                &["$..display", "$.Resources[0].name.formatted"]
            ),
            Vec::<String>::new()
        );
        assert_eq!(paths(rec, new, &ids, &["$.*"]), Vec::<String>::new());
        let mut ids = IdMap::default();
        ids.learn(&json!({"id": "a"}), &json!({"id": "b"}));
        let (rec, new) = (json!({"id": "a"}), json!({"id": "c"}));
        assert_eq!(paths(rec.clone(), new.clone(), &ids, &[]), ["$.id"]);
        assert_eq!(paths(rec, new, &ids, &["$.id"]), Vec::<String>::new());
        assert!("a[x]"
            .parse::<IgnorePath>()
            .unwrap_err()
            .contains("neither an index"));
        assert!("".parse::<IgnorePath>().is_err());
    }
}
