//! No input panics the parsers or the PATCH engine: truncations and mutations of
//! valid inputs, and random garbage.

use scim::filter::Filter;
use scim::model::{PatchOpKind, PatchOperation, PatchRequest};
use scim::patch::apply;
use scim::path::{AttrPath, PatchPath};
use scim::projection::project;
use scim::schema::ResourceSchema;
use serde_json::Value;

use crate::fixtures::{json, BJENSEN, GROUP};

const SEEDS: &[&str] = &[
    r#"userName eq "bjensen@example.com""#,
    r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp"]"#,
    r#"emails[type eq "work"].value eq "a\"b\u00e9""#,
    r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr"#,
    r#"meta.lastModified gt "2011-05-13T04:42:34+02:00" and loginCount le -1.5e3"#,
    r#"members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]"#,
    "displayName eq \"é€𝄞\" and (title pr)",
    "id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223",
];

const ALPHABET: &[&str] = &[
    "a", "Z", "0", "9", " ", "\t", "\"", "\\", "[", "]", "(", ")", ".", ":", "$", "-", "_", "é",
    "𝄞", "eq", "and", "or", "not", "pr", "urn:", "\\u00", "\\u", "true", "null", "1e", "-", "]",
    ",",
];

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

fn exercise(input: &str, user: &Value, group: &Value) {
    if let Ok(f) = Filter::parse(input) {
        let _ = f.matches(user, ResourceSchema::user());
        let _ = f.matches(group, ResourceSchema::group());
        let _ = f.as_simple_eq();
        let _ = f.to_string();
    }
    let _ = Filter::parse_for(input, ResourceSchema::group());
    let _ = AttrPath::parse(input);
    if PatchPath::parse(input).is_ok() {
        for op in [PatchOpKind::Add, PatchOpKind::Replace, PatchOpKind::Remove] {
            for value in [
                Value::Null,
                Value::from("x"),
                json(r#"[{"value":"x","type":"work"}]"#),
                json(r#"{"value":"y"}"#),
            ] {
                let request = PatchRequest::new(vec![PatchOperation {
                    op,
                    path: Some(input.to_owned()),
                    value: Some(value),
                }]);
                let mut u = user.clone();
                let _ = apply(&mut u, &request, ResourceSchema::user());
                let mut g = group.clone();
                let _ = apply(&mut g, &request, ResourceSchema::group());
            }
        }
    }
    let _ = project(user, Some(input), Some(input), ResourceSchema::user());
}

#[test]
fn truncations_of_valid_inputs() {
    let (user, group) = (json(BJENSEN), json(GROUP));
    let mut count = 0;
    for seed in SEEDS {
        for (i, _) in seed.char_indices().chain([(seed.len(), ' ')]) {
            exercise(&seed[..i], &user, &group);
            exercise(&seed[i..], &user, &group);
            count += 2;
        }
    }
    assert!(count > 500, "only {count} inputs");
}

#[test]
fn mutations_and_garbage() {
    let (user, group) = (json(BJENSEN), json(GROUP));
    let mut rng = Lcg(0x5c1a);
    for round in 0..3000 {
        let mut s = if round % 2 == 0 {
            SEEDS[rng.next() % SEEDS.len()].to_owned()
        } else {
            String::new()
        };
        for _ in 0..(1 + rng.next() % 6) {
            let piece = ALPHABET[rng.next() % ALPHABET.len()];
            let boundaries: Vec<usize> =
                s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
            let at = boundaries[rng.next() % boundaries.len()];
            if matches!(rng.next() % 3, 0) && at < s.len() {
                let end = boundaries
                    .iter()
                    .copied()
                    .find(|b| *b > at)
                    .unwrap_or(s.len());
                s.replace_range(at..end, piece);
            } else {
                s.insert_str(at, piece);
            }
        }
        exercise(&s, &user, &group);
    }
}

#[test]
fn garbage_patch_bodies() {
    let user = json(BJENSEN);
    let values = [
        r#"{"op":"add","value":{"name.givenName":{"x":1},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":[]}}"#,
        r#"{"op":"replace","value":{"emails":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[[]]}}}"#,
        r#"{"op":"replace","value":{"urn:x":{"a":1},"urn:":1,"":2}}"#,
        r#"{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:User","value":{"userName":"b"}}"#,
        r#"{"op":"remove","path":"urn:ietf:params:scim:schemas:core:2.0:User"}"#,
        r#"{"op":"add","path":"emails[type eq \"work\"]","value":{"value":"x"}}"#,
        r#"{"op":"add","path":"x[value eq \"1\"].y","value":3}"#,
        r#"{"op":"replace","path":"name","value":null}"#,
    ];
    for v in values {
        let body = json(&format!(r#"{{"Operations":[{v}]}}"#));
        if let Ok(request) = PatchRequest::from_json(body) {
            let mut u = user.clone();
            let _ = apply(&mut u, &request, ResourceSchema::user());
        }
    }
    let mut not_object = Value::from("x");
    let request = PatchRequest::new(vec![]);
    assert!(apply(&mut not_object, &request, ResourceSchema::user()).is_err());
}
