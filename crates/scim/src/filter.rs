//! RFC 7644 §3.4.2.2 filters: grammar, parsing with positioned errors, and evaluation
//! against a resource's SCIM JSON.
//!
//! Beyond the RFC ABNF this parser accepts, for real IdP traffic:
//! - Entra's `emails[type eq "work"].value eq "x"` (a value path followed by a
//!   sub-attribute and a comparison), read as
//!   `emails[type eq "work" and value eq "x"]`;
//! - any letter case in attribute names, operators, `and`/`or`/`not` and
//!   `true`/`false`/`null`, and any run of whitespace where the RFC has one space.
//!
//! Unquoted string values (Entra's historic `id eq 54D3…`) are rejected with an
//! `invalidFilter` that says string values must be in double quotes.
//!
//! Evaluation decisions where the RFC is silent:
//! - `ne` matches when no value of the attribute equals the operand, so it matches an
//!   absent attribute (it is the negation of `eq`);
//! - `eq null` matches an absent, null or empty attribute (RFC 7643 §2.5), `ne null`
//!   the opposite; other operators never match null;
//! - a complex attribute compared without a sub-attribute is compared by its `value`
//!   sub-attribute (RFC 7644's own example `emails co "example.com"`);
//! - attributes missing from the schema compare as strings with caseExact false
//!   (RFC 7643 §2.2 default) and never match if absent.

use std::fmt;

use serde_json::Value;

use crate::error::ScimError;
use crate::model::{GROUP_SCHEMA, USER_SCHEMA};
use crate::path::AttrPath;
use crate::schema::{AttrType, AttributeDef, ResourceSchema};

mod datetime;
mod eval;
mod parse;

pub use datetime::parse_datetime;
pub(crate) use parse::{char_pos, Parser};

use eval::Scope;

/// RFC 7644 §3.4.2.2 comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    /// Parse an operator keyword in any letter case (RFC 7644 §3.4.2.2).
    pub fn parse(s: &str) -> Option<CompareOp> {
        const OPS: [(&str, CompareOp); 9] = [
            ("eq", CompareOp::Eq),
            ("ne", CompareOp::Ne),
            ("co", CompareOp::Co),
            ("sw", CompareOp::Sw),
            ("ew", CompareOp::Ew),
            ("gt", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("lt", CompareOp::Lt),
            ("le", CompareOp::Le),
        ];
        OPS.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(s))
            .map(|(_, op)| *op)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

/// RFC 7644 §3.4.2.2: a parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attrPath compareOp compValue`; `value` is a JSON string, number, boolean or null.
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: Value,
    },
    /// `attrPath pr`
    Present(AttrPath),
    /// `attrPath "[" valFilter "]"`; paths inside `filter` name sub-attributes of `attr`.
    ValuePath {
        attr: AttrPath,
        filter: Box<Filter>,
    },
}

impl fmt::Display for Filter {
    /// Canonical form: lowercase keywords, every `and`/`or` parenthesised.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::And(a, b) => write!(f, "({a} and {b})"),
            Filter::Or(a, b) => write!(f, "({a} or {b})"),
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::Compare { path, op, value } => write!(f, "{path} {} {value}", op.as_str()),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::ValuePath { attr, filter } => write!(f, "{attr}[{filter}]"),
        }
    }
}

impl Filter {
    /// Parse a filter; errors are `invalidFilter` naming the character position and
    /// what was expected. Ordering operators on attributes that are boolean or binary
    /// in the User or Group schema are rejected (RFC 7644 §3.4.2.2).
    pub fn parse(input: &str) -> Result<Filter, ScimError> {
        Self::parse_with(input, &[ResourceSchema::user(), ResourceSchema::group()])
    }

    /// Parse a filter for one resource type: as [`Filter::parse`], with the
    /// attribute-type checks made against `schema` only.
    pub fn parse_for(input: &str, schema: &ResourceSchema) -> Result<Filter, ScimError> {
        Self::parse_with(input, &[schema])
    }

    /// RFC 7644 §3.4.2.2: evaluate against a resource's SCIM JSON.
    pub fn matches(&self, resource: &Value, schema: &ResourceSchema) -> bool {
        self.eval(resource, Scope::Resource(schema))
    }

    /// Evaluate against one element of a multi-valued complex attribute whose
    /// definition is `parent` (the inside of a value path, as PATCH uses it).
    pub fn matches_element(&self, element: &Value, parent: &AttributeDef) -> bool {
        self.eval(element, Scope::Element(Some(parent)))
    }

    /// `Some(("userName", "x"))` when the filter is exactly `<attr> eq "<string>"` on a
    /// top-level (or core-URN-prefixed) core attribute of the User or Group schema, with
    /// the attribute in its schema spelling, so a server can use an index.
    pub fn as_simple_eq(&self) -> Option<(&'static str, &str)> {
        let Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: Value::String(s),
        } = self
        else {
            return None;
        };
        if path.sub_attr.is_some() || path.attr.is_empty() {
            return None;
        }
        let schemas: Vec<&ResourceSchema> = match path.urn.as_deref() {
            None => vec![ResourceSchema::user(), ResourceSchema::group()],
            Some(u) if u.eq_ignore_ascii_case(USER_SCHEMA) => vec![ResourceSchema::user()],
            Some(u) if u.eq_ignore_ascii_case(GROUP_SCHEMA) => vec![ResourceSchema::group()],
            Some(_) => return None,
        };
        let def = schemas.iter().find_map(|s| s.core_attribute(&path.attr))?;
        if def.ty == AttrType::Complex || def.multi_valued {
            return None;
        }
        Some((def.name, s.as_str()))
    }
}

#[cfg(test)]
mod tests;
