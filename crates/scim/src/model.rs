//! RFC 7643/7644 wire types: User (with the enterprise extension), Group, ListResponse, PatchOp.
//!
//! Deserialization is tolerant of IdP dialects: booleans may arrive as the strings
//! `"True"`/`"False"` (Entra), `manager` as a bare string or a one-element array, PATCH
//! `op` in any case, and unknown attributes are kept in `extra` rather than rejected.
//! Serialization is RFC-shaped: camelCase names, `None` skipped, integers as integers.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::schema::ResourceSchema;

/// RFC 7643 §4.1
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// RFC 7643 §4.3
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// RFC 7643 §4.2
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// RFC 7644 §3.4.2
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// RFC 7644 §3.5.2
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// RFC 7644 §3.12
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// RFC 7643 §7
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// RFC 7643 §6
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// RFC 7643 §5
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// RFC 7643 §4.1: a User resource, with the §4.3 enterprise extension.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct User {
    pub schemas: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Required by RFC 7643 §4.1.1; empty only on a value built by hand.
    pub user_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nick_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub active: Option<bool>,
    #[serde(
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub emails: Vec<Email>,
    #[serde(
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub phone_numbers: Vec<PhoneNumber>,
    #[serde(
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub addresses: Vec<Address>,
    #[serde(
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub roles: Vec<Role>,
    /// RFC 7643 §4.1.2: read-only, maintained by the service provider.
    #[serde(
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub groups: Vec<GroupRef>,
    #[serde(
        rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        skip_serializing_if = "Option::is_none"
    )]
    pub enterprise: Option<EnterpriseUser>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Attributes this model does not name (custom extensions, `password`, `ims`…), kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// RFC 7643 §4.1.1 `name`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Name {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honorific_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub honorific_suffix: Option<String>,
}

/// RFC 7643 §4.1.2 `emails`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Email {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub primary: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// RFC 7643 §4.1.2 `phoneNumbers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PhoneNumber {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub primary: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// RFC 7643 §4.1.2 `addresses`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub primary: Option<bool>,
}

/// RFC 7643 §4.1.2 `roles`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Role {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub primary: Option<bool>,
}

/// RFC 7643 §4.1.2 `groups`: a group the user belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupRef {
    pub value: String,
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
}

/// RFC 7643 §4.3: the enterprise User extension.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnterpriseUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_center: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(
        deserialize_with = "lenient_manager",
        skip_serializing_if = "Option::is_none"
    )]
    pub manager: Option<Manager>,
}

/// RFC 7643 §4.3 `manager`. Entra also sends a bare id string, and in PATCH a
/// one-element array; all of these deserialize here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Manager {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// RFC 7643 §4.2: a Group resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Group {
    pub schemas: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Required by RFC 7643 §4.2.
    pub display_name: String,
    #[serde(
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub members: Vec<Member>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Attributes this model does not name, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// RFC 7643 §4.2 `members`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub value: String,
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
}

/// RFC 7643 §3.1 `meta`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Meta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// RFC 7644 §3.4.2: a query response. Counts are JSON integers on the wire and must be
/// integers when read back (Okta enforces this); the lowercase key spellings Okta
/// accepts (`resources`, `totalresults`, …) are read too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(alias = "totalresults")]
    pub total_results: u64,
    #[serde(default = "one", alias = "startindex")]
    pub start_index: u64,
    #[serde(default, alias = "itemsperpage")]
    pub items_per_page: u64,
    #[serde(rename = "Resources", alias = "resources", default = "Vec::new")]
    pub resources: Vec<T>,
}

fn one() -> u64 {
    1
}

impl<T> ListResponse<T> {
    /// A page of `resources` out of `total_results`, starting at 1-based `start_index`.
    pub fn new(resources: Vec<T>, total_results: u64, start_index: u64) -> Self {
        ListResponse {
            schemas: vec![LIST_RESPONSE_SCHEMA.to_owned()],
            total_results,
            start_index,
            items_per_page: resources.len() as u64,
            resources,
        }
    }
}

/// RFC 7644 §3.5.2: a PATCH request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchRequest {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(rename = "Operations")]
    pub operations: Vec<PatchOperation>,
}

/// RFC 7644 §3.5.2: one PATCH operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOperation {
    pub op: PatchOpKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

/// RFC 7644 §3.5.2: `add`, `replace` or `remove`. Deserializes case-insensitively
/// (Entra sends `Add`/`Replace`/`Remove`); serializes lowercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchOpKind {
    Add,
    Replace,
    Remove,
}

impl PatchOpKind {
    /// Parse an `op` value in any letter case.
    pub fn parse(s: &str) -> Option<PatchOpKind> {
        if s.eq_ignore_ascii_case("add") {
            Some(PatchOpKind::Add)
        } else if s.eq_ignore_ascii_case("replace") {
            Some(PatchOpKind::Replace)
        } else if s.eq_ignore_ascii_case("remove") {
            Some(PatchOpKind::Remove)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PatchOpKind::Add => "add",
            PatchOpKind::Replace => "replace",
            PatchOpKind::Remove => "remove",
        }
    }
}

impl<'de> Deserialize<'de> for PatchOpKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PatchOpKind::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown op `{s}`, expected add, replace or remove"))
        })
    }
}

impl PatchRequest {
    /// A request with the PatchOp schema and these operations.
    pub fn new(operations: Vec<PatchOperation>) -> Self {
        PatchRequest {
            schemas: vec![PATCH_OP_SCHEMA.to_owned()],
            operations,
        }
    }

    /// Parse a PATCH body. A missing or malformed `Operations` array is `invalidSyntax`;
    /// an unknown `op` is `invalidSyntax` naming the operation index.
    pub fn from_json(v: Value) -> Result<PatchRequest, ScimError> {
        let Value::Object(obj) = v else {
            return Err(ScimError::invalid_syntax(
                "patch request body is not a json object",
            ));
        };
        let schemas = match find_key(&obj, "schemas") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|s| {
                    s.as_str().map(str::to_owned).ok_or_else(|| {
                        ScimError::invalid_syntax("`schemas` must be an array of strings")
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(ScimError::invalid_syntax(
                    "`schemas` must be an array of strings",
                ))
            }
        };
        let ops = match find_key(&obj, "Operations") {
            Some(Value::Array(ops)) => ops,
            Some(_) => return Err(ScimError::invalid_syntax("`Operations` must be an array")),
            None => {
                return Err(ScimError::invalid_syntax(
                    "patch request has no `Operations`",
                ))
            }
        };
        let mut operations = Vec::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            let Value::Object(op) = op else {
                return Err(ScimError::invalid_syntax(format!(
                    "operation {i} is not a json object"
                )));
            };
            let kind = match find_key(op, "op") {
                Some(Value::String(s)) => PatchOpKind::parse(s).ok_or_else(|| {
                    ScimError::invalid_syntax(format!(
                        "operation {i}: unknown op `{s}`, expected add, replace or remove"
                    ))
                })?,
                Some(_) => {
                    return Err(ScimError::invalid_syntax(format!(
                        "operation {i}: `op` must be a string"
                    )))
                }
                None => {
                    return Err(ScimError::invalid_syntax(format!(
                        "operation {i}: missing `op`"
                    )))
                }
            };
            let path = match find_key(op, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => {
                    return Err(ScimError::invalid_path(format!(
                        "operation {i}: `path` must be a string"
                    )))
                }
            };
            let value = find_key(op, "value").cloned();
            operations.push(PatchOperation {
                op: kind,
                path,
                value,
            });
        }
        Ok(PatchRequest {
            schemas,
            operations,
        })
    }
}

/// Case-insensitive key lookup (RFC 7643 §2.1: attribute names are case-insensitive),
/// preferring an exact match.
pub(crate) fn find_key<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

impl User {
    /// Parse a User body. Attribute types are checked against the schema first so
    /// the error names the attribute: `invalidValue` for a wrong type or a missing
    /// `userName`, `invalidSyntax` for a body that is not an object.
    pub fn from_json(v: Value) -> Result<User, ScimError> {
        let v = crate::schema::normalize_resource(v, ResourceSchema::user())?;
        serde_json::from_value(v)
            .map_err(|e| ScimError::invalid_value(format!("invalid user: {e}")))
    }

    /// The work email: `type` "work", else the primary one, else the first.
    pub fn work_email(&self) -> Option<&str> {
        let by_type = self.emails.iter().find(|e| {
            e.r#type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("work"))
        });
        by_type
            .or_else(|| self.emails.iter().find(|e| e.primary == Some(true)))
            .or_else(|| self.emails.first())
            .and_then(|e| e.value.as_deref())
    }
}

impl Group {
    /// Parse a Group body; errors as for [`User::from_json`].
    pub fn from_json(v: Value) -> Result<Group, ScimError> {
        let v = crate::schema::normalize_resource(v, ResourceSchema::group())?;
        serde_json::from_value(v)
            .map_err(|e| ScimError::invalid_value(format!("invalid group: {e}")))
    }
}

/// Parse a SCIM boolean: JSON `true`/`false` or the strings `"true"`/`"false"` in any
/// case (Entra sends `"True"`/`"False"`).
pub fn parse_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => parse_bool(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected a boolean, found {v}"))),
    }
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

fn lenient_manager<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Manager>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    manager_from_value(v.unwrap_or(Value::Null)).map_err(serde::de::Error::custom)
}

/// Read a manager in any of its dialect forms: object, bare id string, or a
/// one-element array of either. Null, `""` and `[]` mean no manager.
pub fn manager_from_value(v: Value) -> Result<Option<Manager>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(Manager {
            value: Some(s),
            ..Manager::default()
        })),
        Value::Array(mut items) => match items.len() {
            0 => Ok(None),
            1 => manager_from_value(items.remove(0)),
            n => Err(format!("manager is single-valued, found an array of {n}")),
        },
        Value::Object(obj) => {
            let text = |k: &str| -> Result<Option<String>, String> {
                match find_key(&obj, k) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.clone())),
                    Some(other) => Err(format!("manager.{k} must be a string, found {other}")),
                }
            };
            let m = Manager {
                value: text("value")?,
                reference: text("$ref")?,
                display_name: text("displayName")?,
            };
            if m == Manager::default() {
                Ok(None)
            } else {
                Ok(Some(m))
            }
        }
        other => Err(format!(
            "manager must be an object or a string, found {other}"
        )),
    }
}
