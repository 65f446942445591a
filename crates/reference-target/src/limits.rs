//! How many values a User's multi-valued attribute may hold, and the checks that keep
//! every write under it (issue 19): a 10,000-value `emails` PATCH is refused before it
//! reaches the writer thread instead of holding every other writer behind it.
//!
//! Why 1,000: Entra's and Okta's user mappings send one to a few values of `emails`,
//! `phoneNumbers`, `addresses`, `ims`, `photos`, `roles` and `entitlements`
//! (entra-scim.md, okta-scim.md), and no scenario or persona of the catalogue sends more
//! than two; 1,000 leaves that hundreds of times over, while a resource stays well under
//! the 1 MiB body limit when read back. Group `members` are not capped: a Grafana team
//! may hold many thousands of users and members are stored as rows, not in the document.
//!
//! The refusal is `400 invalidValue` (RFC 7644 §3.12: "the value specified was not
//! compatible with the operation or attribute type ... or resource schema"): the body is
//! within the size the target accepts, so this is not `413`, which §3.12 lists for the
//! limits a client reads from `/ServiceProviderConfig` (bulk operations and payload
//! size).

use std::collections::HashMap;

use scim::model::PatchRequest;
use scim::schema::ResourceSchema;
use scim::ScimError;
use serde_json::{Map, Value};

/// The most values one multi-valued attribute of a User may hold.
pub const MAX_VALUES_PER_ATTRIBUTE: usize = 1_000;

fn too_many(attribute: &str, count: usize) -> ScimError {
    ScimError::invalid_value(format!(
        "`{attribute}` would hold {count} values; this target keeps at most \
         {MAX_VALUES_PER_ATTRIBUTE} per attribute"
    ))
}

/// Refuses a User document with more than [`MAX_VALUES_PER_ATTRIBUTE`] values in one
/// attribute, at the top level or inside an extension object.
pub fn check_user(user: &Value) -> Result<(), ScimError> {
    let Value::Object(top) = user else {
        return Ok(());
    };
    check_object(top, "")
}

fn check_object(obj: &Map<String, Value>, prefix: &str) -> Result<(), ScimError> {
    for (key, value) in obj {
        match value {
            Value::Array(items) if items.len() > MAX_VALUES_PER_ATTRIBUTE => {
                return Err(too_many(&format!("{prefix}{key}"), items.len()));
            }
            Value::Object(inner) if prefix.is_empty() && key.starts_with("urn:") => {
                check_object(inner, &format!("{key}:"))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Refuses, before any work, a User PATCH that names more than
/// [`MAX_VALUES_PER_ATTRIBUTE`] values for one multi-valued attribute over all its
/// operations (a `path` names its attribute; a path-less value object each of its
/// keys), so neither one operation nor many small ones can grow an attribute far past
/// the cap while the PATCH is applied. Single-valued attributes are not counted; an
/// attribute no schema defines is counted when it is given an array. The document the
/// PATCH leaves is checked with [`check_user`].
pub fn check_user_patch(request: &PatchRequest) -> Result<(), ScimError> {
    let schema = ResourceSchema::user();
    let mut named: HashMap<String, usize> = HashMap::new();
    let mut count = |attribute: &str, value: &Value| -> Result<(), ScimError> {
        let n = match (value, schema.core_attribute(attribute)) {
            (_, Some(def)) if !def.multi_valued => return Ok(()),
            (Value::Array(items), _) => items.len(),
            (_, Some(_)) => 1,
            (_, None) => return Ok(()),
        };
        let attribute = attribute.to_ascii_lowercase();
        let total = named.entry(attribute.clone()).or_default();
        *total += n;
        let total = *total;
        match total > MAX_VALUES_PER_ATTRIBUTE {
            true => Err(too_many(&attribute, total)),
            false => Ok(()),
        }
    };
    for op in &request.operations {
        let Some(value) = &op.value else { continue };
        match op.path.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(path) => count(attribute_of(path), value)?,
            None => {
                if let Value::Object(keys) = value {
                    for (key, v) in keys {
                        count(key, v)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The attribute a PATCH path names: `emails[type eq "work"].value` → `emails`.
fn attribute_of(path: &str) -> &str {
    let end = path.find(['[', '.']).unwrap_or(path.len());
    // A URN-qualified path (`urn:…:User:emails`) names the part after the last `:`
    // before any filter.
    let head = &path[..end];
    head.rsplit(':').next().unwrap_or(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(n: usize) -> Value {
        (0..n)
            .map(|i| json!({"value": format!("u{i}@x.test")}))
            .collect()
    }

    fn patch(ops: Value) -> PatchRequest {
        PatchRequest::from_json(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": ops,
        }))
        .unwrap()
    }

    #[test]
    fn a_document_at_the_cap_passes_and_one_more_is_refused() {
        check_user(&json!({"userName": "a", "emails": values(1000)})).unwrap();
        let e = check_user(&json!({"userName": "a", "emails": values(1001)})).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(
            e.detail.contains("`emails` would hold 1001 values"),
            "{}",
            e.detail
        );
        let ext = json!({"urn:example:ext": {"tags": values(1001)}});
        assert!(check_user(&ext).is_err());
    }

    #[test]
    fn a_patch_is_counted_over_all_its_operations() {
        check_user_patch(&patch(
            json!([{"op": "add", "path": "emails", "value": values(1000)}]),
        ))
        .unwrap();
        let many_small: Vec<Value> = (0..1001)
            .map(|i| json!({"op": "add", "path": "emails[type eq \"t\"].value", "value": format!("{i}")}))
            .collect();
        assert!(check_user_patch(&patch(Value::Array(many_small))).is_err());
        let path_less = json!([{"op": "add", "value": {"phoneNumbers": values(1001)}}]);
        assert!(check_user_patch(&patch(path_less)).is_err());
        let urn = json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:User:emails", "value": values(1001)}]);
        assert!(check_user_patch(&patch(urn)).is_err());
        // Single-valued attributes are not counted, however often they are replaced.
        let renames: Vec<Value> = (0..1001)
            .map(|i| json!({"op": "replace", "path": "displayName", "value": format!("n{i}")}))
            .collect();
        check_user_patch(&patch(Value::Array(renames))).unwrap();
    }
}
