//! RFC 7643 §2.2/§7 attribute definitions for User, enterprise User and Group, and the
//! discovery JSON (`/Schemas`, `/ResourceTypes`) built from them.

use serde_json::{json, Map, Value};

use crate::error::ScimError;
use crate::model::{
    find_key, parse_bool, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, RESOURCE_TYPE_SCHEMA,
    SCHEMA_SCHEMA, USER_SCHEMA,
};
use crate::path::AttrPath;

/// RFC 7643 §2.3 attribute data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Binary => "binary",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
        }
    }
}

/// RFC 7643 §7 `mutability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// RFC 7643 §7 `returned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

impl Returned {
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

/// RFC 7643 §7 `uniqueness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl Uniqueness {
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

/// RFC 7643 §2.2/§7: one attribute and its characteristics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeDef {
    pub name: &'static str,
    pub ty: AttrType,
    pub multi_valued: bool,
    pub description: &'static str,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [AttributeDef],
}

impl AttributeDef {
    /// RFC 7643 §2.2 defaults: single-valued, optional, caseExact false, readWrite,
    /// returned by default, no uniqueness.
    pub const fn new(name: &'static str, ty: AttrType) -> AttributeDef {
        AttributeDef {
            name,
            ty,
            multi_valued: false,
            description: "",
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
        }
    }
    const fn string(name: &'static str) -> AttributeDef {
        AttributeDef::new(name, AttrType::String)
    }
    const fn complex(name: &'static str, subs: &'static [AttributeDef]) -> AttributeDef {
        AttributeDef {
            sub_attributes: subs,
            ..AttributeDef::new(name, AttrType::Complex)
        }
    }
    const fn reference(name: &'static str, types: &'static [&'static str]) -> AttributeDef {
        AttributeDef {
            reference_types: types,
            ..AttributeDef::new(name, AttrType::Reference)
        }
    }
    const fn multi(self) -> AttributeDef {
        AttributeDef {
            multi_valued: true,
            ..self
        }
    }
    const fn required(self) -> AttributeDef {
        AttributeDef {
            required: true,
            ..self
        }
    }
    const fn case_exact(self) -> AttributeDef {
        AttributeDef {
            case_exact: true,
            ..self
        }
    }
    const fn mutability(self, mutability: Mutability) -> AttributeDef {
        AttributeDef { mutability, ..self }
    }
    const fn returned(self, returned: Returned) -> AttributeDef {
        AttributeDef { returned, ..self }
    }
    const fn unique(self, uniqueness: Uniqueness) -> AttributeDef {
        AttributeDef { uniqueness, ..self }
    }
    const fn canonical(self, values: &'static [&'static str]) -> AttributeDef {
        AttributeDef {
            canonical_values: values,
            ..self
        }
    }
    const fn describe(self, description: &'static str) -> AttributeDef {
        AttributeDef {
            description,
            ..self
        }
    }

    /// A sub-attribute by name, case-insensitively (RFC 7643 §2.1).
    pub fn sub_attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// RFC 7643 §7: this attribute as a schema `attributes` entry.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("name".into(), json!(self.name));
        obj.insert("type".into(), json!(self.ty.as_str()));
        obj.insert("multiValued".into(), json!(self.multi_valued));
        obj.insert("description".into(), json!(self.description));
        obj.insert("required".into(), json!(self.required));
        if !self.canonical_values.is_empty() {
            obj.insert("canonicalValues".into(), json!(self.canonical_values));
        }
        if self.ty == AttrType::Complex {
            let subs: Vec<Value> = self
                .sub_attributes
                .iter()
                .map(AttributeDef::to_json)
                .collect();
            obj.insert("subAttributes".into(), Value::Array(subs));
        } else {
            obj.insert("caseExact".into(), Value::Bool(self.case_exact));
        }
        obj.insert("mutability".into(), json!(self.mutability.as_str()));
        obj.insert("returned".into(), json!(self.returned.as_str()));
        if self.ty != AttrType::Complex && self.ty != AttrType::Boolean {
            obj.insert("uniqueness".into(), json!(self.uniqueness.as_str()));
        }
        if self.ty == AttrType::Reference {
            obj.insert("referenceTypes".into(), json!(self.reference_types));
        }
        Value::Object(obj)
    }
}

/// RFC 7643 §3: a schema extension attached to a resource type.
#[derive(Debug, Clone, Copy)]
pub struct SchemaExtension {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub required: bool,
    pub attributes: &'static [AttributeDef],
}

/// RFC 7643 §6/§7: a resource type with its core schema and extensions.
#[derive(Debug, Clone, Copy)]
pub struct ResourceSchema {
    /// Core schema URN.
    pub id: &'static str,
    /// Resource type name, `User` or `Group`.
    pub name: &'static str,
    pub description: &'static str,
    /// Endpoint relative to the base URL, `/Users` or `/Groups`.
    pub endpoint: &'static str,
    /// Core schema attributes, without the common ones.
    pub attributes: &'static [AttributeDef],
    pub extensions: &'static [SchemaExtension],
}

// --- RFC 7643 §3.1 common attributes ---

const META_SUBS: &[AttributeDef] = &[
    AttributeDef::string("resourceType")
        .case_exact()
        .mutability(Mutability::ReadOnly),
    AttributeDef::new("created", AttrType::DateTime).mutability(Mutability::ReadOnly),
    AttributeDef::new("lastModified", AttrType::DateTime).mutability(Mutability::ReadOnly),
    AttributeDef::reference("location", &["uri"])
        .case_exact()
        .mutability(Mutability::ReadOnly),
    AttributeDef::string("version")
        .case_exact()
        .mutability(Mutability::ReadOnly),
];

/// RFC 7643 §3.1: `id`, `externalId`, `meta`, shared by every resource type.
pub const COMMON_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string("id")
        .case_exact()
        .mutability(Mutability::ReadOnly)
        .returned(Returned::Always)
        .unique(Uniqueness::Server)
        .describe("Unique identifier for the SCIM resource as defined by the service provider."),
    AttributeDef::string("externalId")
        .case_exact()
        .describe("Identifier for the resource as defined by the provisioning client."),
    AttributeDef::complex("meta", META_SUBS)
        .mutability(Mutability::ReadOnly)
        .describe("Resource metadata."),
];

// --- RFC 7643 §4.1 User ---

const NAME_SUBS: &[AttributeDef] = &[
    AttributeDef::string("formatted"),
    AttributeDef::string("familyName"),
    AttributeDef::string("givenName"),
    AttributeDef::string("middleName"),
    AttributeDef::string("honorificPrefix"),
    AttributeDef::string("honorificSuffix"),
];

const EMAIL_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value"),
    AttributeDef::string("display"),
    AttributeDef::string("type").canonical(&["work", "home", "other"]),
    AttributeDef::new("primary", AttrType::Boolean),
];

const PHONE_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value"),
    AttributeDef::string("display"),
    AttributeDef::string("type").canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
    AttributeDef::new("primary", AttrType::Boolean),
];

const PHOTO_SUBS: &[AttributeDef] = &[
    AttributeDef::reference("value", &["external"]),
    AttributeDef::string("display"),
    AttributeDef::string("type").canonical(&["photo", "thumbnail"]),
    AttributeDef::new("primary", AttrType::Boolean),
];

const ADDRESS_SUBS: &[AttributeDef] = &[
    AttributeDef::string("formatted"),
    AttributeDef::string("streetAddress"),
    AttributeDef::string("locality"),
    AttributeDef::string("region"),
    AttributeDef::string("postalCode"),
    AttributeDef::string("country"),
    AttributeDef::string("type").canonical(&["work", "home", "other"]),
    AttributeDef::new("primary", AttrType::Boolean),
];

const USER_GROUP_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value").mutability(Mutability::ReadOnly),
    AttributeDef::reference("$ref", &["User", "Group"]).mutability(Mutability::ReadOnly),
    AttributeDef::string("display").mutability(Mutability::ReadOnly),
    AttributeDef::string("type")
        .canonical(&["direct", "indirect"])
        .mutability(Mutability::ReadOnly),
];

const PLAIN_MULTI_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value"),
    AttributeDef::string("display"),
    AttributeDef::string("type"),
    AttributeDef::new("primary", AttrType::Boolean),
];

const CERT_SUBS: &[AttributeDef] = &[
    AttributeDef::new("value", AttrType::Binary),
    AttributeDef::string("display"),
    AttributeDef::string("type"),
    AttributeDef::new("primary", AttrType::Boolean),
];

const USER_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string("userName")
        .required()
        .unique(Uniqueness::Server)
        .describe("Unique identifier for the User, typically used by the user to directly authenticate to the service provider. Each User MUST include a non-empty userName value.  This identifier MUST be unique across the service provider's entire set of Users. REQUIRED."),
    AttributeDef::complex("name", NAME_SUBS).describe("The components of the user's real name."),
    AttributeDef::string("displayName").describe("The name of the User, suitable for display to end-users."),
    AttributeDef::string("nickName"),
    AttributeDef::reference("profileUrl", &["external"]),
    AttributeDef::string("title"),
    AttributeDef::string("userType"),
    AttributeDef::string("preferredLanguage"),
    AttributeDef::string("locale"),
    AttributeDef::string("timezone"),
    AttributeDef::new("active", AttrType::Boolean).describe("A Boolean value indicating the User's administrative status."),
    AttributeDef::string("password")
        .mutability(Mutability::WriteOnly)
        .returned(Returned::Never),
    AttributeDef::complex("emails", EMAIL_SUBS).multi().describe("Email addresses for the user."),
    AttributeDef::complex("phoneNumbers", PHONE_SUBS).multi(),
    AttributeDef::complex("ims", PLAIN_MULTI_SUBS).multi(),
    AttributeDef::complex("photos", PHOTO_SUBS).multi(),
    AttributeDef::complex("addresses", ADDRESS_SUBS).multi(),
    AttributeDef::complex("groups", USER_GROUP_SUBS)
        .multi()
        .mutability(Mutability::ReadOnly)
        .describe("A list of groups to which the user belongs."),
    AttributeDef::complex("entitlements", PLAIN_MULTI_SUBS).multi(),
    AttributeDef::complex("roles", PLAIN_MULTI_SUBS).multi(),
    AttributeDef::complex("x509Certificates", CERT_SUBS).multi(),
];

// --- RFC 7643 §4.3 enterprise User ---

const MANAGER_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value"),
    AttributeDef::reference("$ref", &["User"]),
    AttributeDef::string("displayName").mutability(Mutability::ReadOnly),
];

const ENTERPRISE_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string("employeeNumber").describe(
        "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.",
    ),
    AttributeDef::string("costCenter"),
    AttributeDef::string("organization"),
    AttributeDef::string("division"),
    AttributeDef::string("department"),
    AttributeDef::complex("manager", MANAGER_SUBS).describe("The User's manager."),
];

// --- RFC 7643 §4.2 Group ---

const MEMBER_SUBS: &[AttributeDef] = &[
    AttributeDef::string("value")
        .case_exact()
        .mutability(Mutability::Immutable),
    AttributeDef::reference("$ref", &["User", "Group"]).mutability(Mutability::Immutable),
    AttributeDef::string("display").mutability(Mutability::ReadOnly),
    AttributeDef::string("type")
        .canonical(&["User", "Group"])
        .mutability(Mutability::Immutable),
];

const GROUP_ATTRIBUTES: &[AttributeDef] = &[
    AttributeDef::string("displayName")
        .required()
        .describe("A human-readable name for the Group. REQUIRED."),
    AttributeDef::complex("members", MEMBER_SUBS)
        .multi()
        .describe("A list of members of the Group."),
];

static USER: ResourceSchema = ResourceSchema {
    id: USER_SCHEMA,
    name: "User",
    description: "User Account",
    endpoint: "/Users",
    attributes: USER_ATTRIBUTES,
    extensions: &[SchemaExtension {
        id: ENTERPRISE_USER_SCHEMA,
        name: "EnterpriseUser",
        description: "Enterprise User",
        required: false,
        attributes: ENTERPRISE_ATTRIBUTES,
    }],
};

static GROUP: ResourceSchema = ResourceSchema {
    id: GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    endpoint: "/Groups",
    attributes: GROUP_ATTRIBUTES,
    extensions: &[],
};

/// Where a resolved attribute lives in a resource's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrLocation {
    /// A top-level key of the resource (core or common attribute).
    Core,
    /// A key inside the extension object with this URN.
    Extension(&'static str),
}

impl ResourceSchema {
    /// RFC 7643 §4.1 + §4.3: User with the enterprise extension.
    pub fn user() -> &'static ResourceSchema {
        &USER
    }

    /// RFC 7643 §4.2: Group.
    pub fn group() -> &'static ResourceSchema {
        &GROUP
    }

    /// An extension by URN, case-insensitively.
    pub fn extension(&self, urn: &str) -> Option<&'static SchemaExtension> {
        self.extensions
            .iter()
            .find(|e| e.id.eq_ignore_ascii_case(urn))
    }

    /// A top-level attribute of the core schema (including `id`, `externalId`, `meta`).
    pub fn core_attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        COMMON_ATTRIBUTES
            .iter()
            .chain(self.attributes.iter())
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The top-level attribute a path names and where it lives: a core attribute, or
    /// an extension attribute when the path carries that extension's URN (or names,
    /// without a URN, an attribute only one extension defines). Names are
    /// case-insensitive (RFC 7643 §2.1); a URN that is neither the core schema nor a
    /// known extension resolves to nothing.
    pub fn resolve_top(&self, path: &AttrPath) -> Option<(&'static AttributeDef, AttrLocation)> {
        match &path.urn {
            None => self
                .core_attribute(&path.attr)
                .map(|a| (a, AttrLocation::Core))
                .or_else(|| self.unprefixed_extension_attribute(&path.attr)),
            Some(urn) if urn.eq_ignore_ascii_case(self.id) => self
                .core_attribute(&path.attr)
                .map(|a| (a, AttrLocation::Core)),
            Some(urn) => {
                let ext = self.extension(urn)?;
                ext.attributes
                    .iter()
                    .find(|a| a.name.eq_ignore_ascii_case(&path.attr))
                    .map(|a| (a, AttrLocation::Extension(ext.id)))
            }
        }
    }

    /// An extension attribute named without its URN, when exactly one extension
    /// defines it (Entra sends `manager` bare). RFC 7644 §3.10 only lets clients omit
    /// the core schema URN; this is a tolerance.
    fn unprefixed_extension_attribute(
        &self,
        name: &str,
    ) -> Option<(&'static AttributeDef, AttrLocation)> {
        let mut found = self.extensions.iter().filter_map(|e| {
            e.attributes
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(name))
                .map(|a| (a, AttrLocation::Extension(e.id)))
        });
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// Resolve `userName`, `name.givenName`, `emails.value`,
    /// `urn:…:core:2.0:User:userName`, `urn:…:enterprise:2.0:User:manager`, case-insensitively.
    /// With a sub-attribute, returns the sub-attribute's definition.
    pub fn resolve(&self, path: &AttrPath) -> Option<&AttributeDef> {
        let (top, _) = self.resolve_top(path)?;
        match &path.sub_attr {
            None => Some(top),
            Some(sub) => top.sub_attribute(sub),
        }
    }

    /// RFC 7643 §7: the schema representations (core, then each extension) for `GET /Schemas`.
    pub fn schemas_json(&self) -> Vec<Value> {
        let mut out = vec![schema_json(
            self.id,
            self.name,
            self.description,
            self.attributes,
        )];
        for ext in self.extensions {
            out.push(schema_json(
                ext.id,
                ext.name,
                ext.description,
                ext.attributes,
            ));
        }
        out
    }

    /// RFC 7643 §6: the ResourceType representation for `GET /ResourceTypes`.
    pub fn resource_type_json(&self) -> Value {
        let extensions: Vec<Value> = self
            .extensions
            .iter()
            .map(|e| json!({"schema": e.id, "required": e.required}))
            .collect();
        let mut v = json!({
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": self.name,
            "name": self.name,
            "description": self.description,
            "endpoint": self.endpoint,
            "schema": self.id,
        });
        if !extensions.is_empty() {
            v["schemaExtensions"] = Value::Array(extensions);
        }
        v["meta"] = json!({
            "resourceType": "ResourceType",
            "location": format!("/ResourceTypes/{}", self.name),
        });
        v
    }
}

fn schema_json(id: &str, name: &str, description: &str, attributes: &[AttributeDef]) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes.iter().map(AttributeDef::to_json).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("/Schemas/{id}")},
    })
}

/// Check a whole resource body against `schema` and coerce dialect forms to their
/// RFC shape, so that serde never sees them: boolean strings become booleans, a bare or
/// array `manager` becomes an object. Errors name the attribute: `invalidValue` for a
/// wrong type or a missing required attribute, `invalidSyntax` for a non-object body.
/// Unknown attributes are left as they are.
pub fn normalize_resource(v: Value, schema: &ResourceSchema) -> Result<Value, ScimError> {
    let Value::Object(mut obj) = v else {
        return Err(ScimError::invalid_syntax(format!(
            "{} body is not a json object",
            schema.name.to_ascii_lowercase()
        )));
    };
    let keys: Vec<String> = obj.keys().cloned().collect();
    for key in keys {
        if let Some(ext) = schema.extension(&key) {
            let value = obj.remove(&key).unwrap_or(Value::Null);
            let value = match value {
                Value::Null => Value::Null,
                Value::Object(inner) => {
                    let mut out = Map::new();
                    for (k, v) in inner {
                        match ext
                            .attributes
                            .iter()
                            .find(|a| a.name.eq_ignore_ascii_case(&k))
                        {
                            Some(def) => {
                                let v = coerce_value(def, v, &format!("{}:{}", ext.id, def.name))?;
                                out.insert(def.name.to_owned(), v);
                            }
                            None => {
                                out.insert(k, v);
                            }
                        }
                    }
                    Value::Object(out)
                }
                other => {
                    return Err(ScimError::invalid_value(format!(
                        "attribute `{}` must be an object, found {}",
                        ext.id,
                        json_kind(&other)
                    )))
                }
            };
            obj.insert(ext.id.to_owned(), value);
        } else if let Some(def) = schema.core_attribute(&key) {
            let value = obj.remove(&key).unwrap_or(Value::Null);
            let value = coerce_value(def, value, def.name)?;
            obj.insert(def.name.to_owned(), value);
        }
    }
    for def in schema.attributes.iter().filter(|a| a.required) {
        match find_key(&obj, def.name) {
            None | Some(Value::Null) => {
                return Err(ScimError::invalid_value(format!(
                    "missing required attribute `{}`",
                    def.name
                )))
            }
            Some(Value::String(s)) if s.is_empty() => {
                return Err(ScimError::invalid_value(format!(
                    "required attribute `{}` is empty",
                    def.name
                )))
            }
            Some(_) => {}
        }
    }
    Ok(Value::Object(obj))
}

/// A short name for a JSON value's kind, for error messages.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Check `value` against `def` and coerce dialect forms: `"True"`/`"False"` to booleans,
/// a bare or array `manager` to an object, a single object for a multi-valued
/// attribute to a one-element array. Null sub-attributes and null elements are dropped
/// (RFC 7643 §2.5: null means unassigned; Entra sends `"$ref": null`). `label` names
/// the attribute in errors.
pub fn coerce_value(def: &AttributeDef, value: Value, label: &str) -> Result<Value, ScimError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    if def.multi_valued {
        let items = match value {
            Value::Array(items) => items,
            single => vec![single],
        };
        let items = items
            .into_iter()
            .map(|item| coerce_single(def, item, label))
            .filter(|item| !matches!(item, Ok(Value::Null)))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Value::Array(items));
    }
    coerce_single(def, value, label)
}

/// Check and coerce one value (one element of a multi-valued attribute).
pub fn coerce_single(def: &AttributeDef, value: Value, label: &str) -> Result<Value, ScimError> {
    let wrong = |v: &Value| {
        ScimError::invalid_value(format!(
            "attribute `{label}` must be {}, found {}",
            expected_kind(def.ty),
            describe_value(v)
        ))
    };
    match def.ty {
        _ if value.is_null() => Ok(Value::Null),
        AttrType::Boolean => parse_bool(&value)
            .map(Value::Bool)
            .ok_or_else(|| wrong(&value)),
        AttrType::String | AttrType::Reference | AttrType::Binary | AttrType::DateTime => {
            if value.is_string() {
                Ok(value)
            } else {
                Err(wrong(&value))
            }
        }
        AttrType::Integer => match &value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value),
            _ => Err(wrong(&value)),
        },
        AttrType::Decimal => match &value {
            Value::Number(_) => Ok(value),
            _ => Err(wrong(&value)),
        },
        AttrType::Complex => {
            // Entra: manager as a bare id string (or a one-element array).
            if def.name == "manager" && !value.is_object() {
                return match crate::model::manager_from_value(value) {
                    Ok(Some(m)) => Ok(serde_json::to_value(m).unwrap_or(Value::Null)),
                    Ok(None) => Ok(Value::Null),
                    Err(e) => Err(ScimError::invalid_value(format!(
                        "attribute `{label}`: {e}"
                    ))),
                };
            }
            let Value::Object(obj) = value else {
                return Err(wrong(&value));
            };
            let mut out = Map::new();
            for (k, v) in obj {
                match def.sub_attribute(&k) {
                    Some(sub) => {
                        let v = coerce_value(sub, v, &format!("{label}.{}", sub.name))?;
                        if !v.is_null() {
                            out.insert(sub.name.to_owned(), v);
                        }
                    }
                    None if v.is_null() => {}
                    None => {
                        out.insert(k, v);
                    }
                }
            }
            Ok(Value::Object(out))
        }
    }
}

fn expected_kind(ty: AttrType) -> &'static str {
    match ty {
        AttrType::String => "a string",
        AttrType::Boolean => "a boolean",
        AttrType::Decimal => "a number",
        AttrType::Integer => "an integer",
        AttrType::DateTime => "a dateTime string",
        AttrType::Binary => "a base64 string",
        AttrType::Reference => "a reference string",
        AttrType::Complex => "an object",
    }
}

fn describe_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("string {}", Value::String(s.clone())),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => other.to_string(),
    }
}
