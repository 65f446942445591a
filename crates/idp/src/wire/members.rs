//! Group membership bodies, persona by persona: Entra's value arrays and filtered
//! removes, Okta's AIW PUT and OIN PATCH forms, and the captured variants of each.

use serde_json::{json, Value};

use super::{entra_op, patch, GROUP_SCHEMA};
use crate::dialect::{Dialect, Form};

/// Entra's member PATCH: a value array for add and (unflagged) remove, one filtered
/// `remove` per member with the flag (entra-scim.md §1.7, §2 table). An unflagged remove
/// leaves out `"$ref": null` with [`Form::EntraRemoveWithoutRef`] and is spelt `remove`
/// with [`Form::EntraRemoveLowercase`].
pub(crate) fn entra_members_patch(
    aadopt: bool,
    dialect: Dialect,
    add: bool,
    ids: &[String],
) -> Value {
    if add {
        let values: Vec<Value> = ids
            .iter()
            .map(|id| {
                if aadopt {
                    json!({"value": id})
                } else {
                    json!({"$ref": null, "value": id})
                }
            })
            .collect();
        return patch(vec![
            json!({"op": entra_op(aadopt, "add"), "path": "members", "value": values}),
        ]);
    }
    if aadopt {
        let ops = ids
            .iter()
            .map(|id| json!({"op": "remove", "path": member_filter(id)}))
            .collect();
        patch(ops)
    } else {
        let lower = dialect.has(Form::EntraRemoveLowercase);
        let bare = lower || dialect.has(Form::EntraRemoveWithoutRef);
        let values: Vec<Value> = ids
            .iter()
            .map(|id| {
                if bare {
                    json!({"value": id})
                } else {
                    json!({"$ref": null, "value": id})
                }
            })
            .collect();
        let op = if lower { "remove" } else { "Remove" };
        patch(vec![json!({"op": op, "path": "members", "value": values})])
    }
}

/// `members[value eq "…"]`.
pub(crate) fn member_filter(id: &str) -> String {
    format!(
        "members[value eq \"{}\"]",
        id.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// One member as Okta writes it: target id and userName (okta-scim.md §4).
#[derive(Debug, Clone)]
pub(crate) struct OktaMember {
    pub id: String,
    pub display: String,
}

/// okta-scim.md §4 "Membership change (AIW apps)" [R20]: the full member list. With
/// `echo` (the target id, [`Form::OktaGroupPutEcho`]) the body carries `id` and members
/// with `display: null`, as captured (scimgateway#95).
pub(crate) fn okta_group_put(name: &str, members: &[OktaMember], echo: Option<&str>) -> Value {
    let members: Vec<Value> = members
        .iter()
        .map(|m| match echo {
            Some(_) => json!({"value": m.id, "display": null}),
            None => json!({"value": m.id, "display": m.display}),
        })
        .collect();
    match echo {
        Some(id) => {
            json!({"schemas": [GROUP_SCHEMA], "id": id, "displayName": name, "members": members})
        }
        None => json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members}),
    }
}

fn okta_member_values(members: &[OktaMember]) -> Vec<Value> {
    members
        .iter()
        .map(|m| json!({"value": m.id, "display": m.display}))
        .collect()
}

/// [`Form::OktaMemberReplace`]: the whole member list in one `replace` on `members`
/// (SCIM-SDK#757, scim-for-keycloak#144); RFC 7644 §3.5.2.3.
pub(crate) fn okta_members_replace(members: &[OktaMember]) -> Value {
    patch(vec![
        json!({"op": "replace", "path": "members", "value": okta_member_values(members)}),
    ])
}

/// [`Form::OktaMemberReplacePathless`]: members, id and displayName in one path-less
/// `replace` (scimgateway#113); RFC 7644 §3.5.2.3 without a path.
pub(crate) fn okta_members_replace_pathless(
    target_id: &str,
    name: &str,
    members: &[OktaMember],
) -> Value {
    patch(vec![json!({
        "op": "replace",
        "value": {"members": okta_member_values(members), "id": target_id, "displayName": name},
    })])
}

/// okta-scim.md §4 "Membership change (OIN/PATCH apps)" [R20]: removes with a filter
/// path each, then one `add` with an array. The rfc persona uses the same form.
pub(crate) fn okta_members_patch(removes: &[String], adds: &[OktaMember]) -> Value {
    let mut ops: Vec<Value> = removes
        .iter()
        .map(|id| json!({"op": "remove", "path": member_filter(id)}))
        .collect();
    if !adds.is_empty() {
        let values: Vec<Value> = adds
            .iter()
            .map(|m| json!({"value": m.id, "display": m.display}))
            .collect();
        ops.push(json!({"op": "add", "path": "members", "value": values}));
    }
    patch(ops)
}
