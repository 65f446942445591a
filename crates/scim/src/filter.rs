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

use std::cmp::Ordering;
use std::fmt;

use serde_json::Value;

use crate::error::ScimError;
use crate::model::{find_key, parse_bool, GROUP_SCHEMA, USER_SCHEMA};
use crate::path::{AttrPath, PathScanner};
use crate::schema::{AttrType, AttributeDef, ResourceSchema};

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

/// Deepest nesting of parentheses, `not` and value paths accepted.
const MAX_DEPTH: usize = 64;
/// Most comparisons accepted in one filter.
const MAX_TERMS: usize = 1000;

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

    fn parse_with(input: &str, schemas: &[&ResourceSchema]) -> Result<Filter, ScimError> {
        let mut p = Parser {
            src: input,
            pos: 0,
            terms: 0,
            schemas,
        };
        let result = p.filter_root();
        result.map_err(|e| {
            ScimError::invalid_filter(format!(
                "at character {}: {}",
                char_pos(input, e.pos),
                e.msg
            ))
        })
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

    fn eval(&self, node: &Value, scope: Scope<'_>) -> bool {
        match self {
            Filter::And(a, b) => a.eval(node, scope) && b.eval(node, scope),
            Filter::Or(a, b) => a.eval(node, scope) || b.eval(node, scope),
            Filter::Not(inner) => !inner.eval(node, scope),
            Filter::Present(path) => {
                let (_, values) = lookup(node, path, scope, false);
                values.iter().any(|v| is_present(v))
            }
            Filter::Compare { path, op, value } => {
                let (def, values) = lookup(node, path, scope, true);
                let values: Vec<&Value> = values.into_iter().filter(|v| !v.is_null()).collect();
                match (op, value) {
                    (CompareOp::Eq, Value::Null) => values.is_empty(),
                    (CompareOp::Ne, Value::Null) => !values.is_empty(),
                    (_, Value::Null) => false,
                    (CompareOp::Ne, _) => {
                        !values.iter().any(|v| compare(def, CompareOp::Eq, v, value))
                    }
                    _ => values.iter().any(|v| compare(def, *op, v, value)),
                }
            }
            Filter::ValuePath { attr, filter } => {
                let (def, elements) = lookup(node, attr, scope, false);
                let def = def.filter(|d| d.ty == AttrType::Complex);
                elements.iter().any(|e| filter.eval(e, Scope::Element(def)))
            }
        }
    }
}

/// What a path inside a filter is resolved against.
#[derive(Clone, Copy)]
enum Scope<'a> {
    /// A whole resource.
    Resource(&'a ResourceSchema),
    /// One element of a multi-valued complex attribute (inside `[...]`); the
    /// attribute's definition when known.
    Element(Option<&'a AttributeDef>),
}

/// The values a path selects, flattened (a multi-valued attribute yields each element),
/// and the definition of the selected leaf. With `compare_value`, a complex attribute
/// without a sub-attribute yields its elements' `value` sub-attribute.
fn lookup<'v>(
    node: &'v Value,
    path: &AttrPath,
    scope: Scope<'_>,
    compare_value: bool,
) -> (Option<&'static AttributeDef>, Vec<&'v Value>) {
    let (def, top): (Option<&'static AttributeDef>, Option<&'v Value>) = match scope {
        Scope::Resource(schema) => {
            let Value::Object(obj) = node else {
                return (None, Vec::new());
            };
            match schema.resolve_top(path) {
                Some((def, crate::schema::AttrLocation::Core)) => {
                    (Some(def), find_key(obj, def.name))
                }
                Some((def, crate::schema::AttrLocation::Extension(urn))) => (
                    Some(def),
                    find_key(obj, urn)
                        .and_then(Value::as_object)
                        .and_then(|o| find_key(o, def.name)),
                ),
                None if path.attr.is_empty() => (None, None),
                None => match &path.urn {
                    // Unknown attribute: look in the JSON anyway (custom extensions).
                    None => (None, find_key(obj, &path.attr)),
                    Some(urn) if urn.eq_ignore_ascii_case(schema.id) => {
                        (None, find_key(obj, &path.attr))
                    }
                    Some(urn) => (
                        None,
                        find_key(obj, urn)
                            .and_then(Value::as_object)
                            .and_then(|o| find_key(o, &path.attr)),
                    ),
                },
            }
        }
        Scope::Element(parent) => {
            let Value::Object(obj) = node else {
                return (None, Vec::new());
            };
            let def = parent.and_then(|p| p.sub_attribute(&path.attr));
            (def, find_key(obj, &path.attr))
        }
    };
    let mut values = Vec::new();
    let Some(top) = top else { return (def, values) };
    flatten(top, &mut values);
    let sub_name = match (&path.sub_attr, def) {
        (Some(sub), _) => Some(sub.as_str()),
        (None, Some(d)) if compare_value && d.ty == AttrType::Complex => Some("value"),
        (None, None) if compare_value && values.iter().any(|v| v.is_object()) => Some("value"),
        _ => None,
    };
    let Some(sub_name) = sub_name else {
        return (def, values);
    };
    let sub_def = def.and_then(|d| d.sub_attribute(sub_name));
    let mut leaves = Vec::new();
    for v in values {
        if let Value::Object(o) = v {
            if let Some(s) = find_key(o, sub_name) {
                flatten(s, &mut leaves);
            }
        }
    }
    (sub_def, leaves)
}

fn flatten<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(items) => out.extend(items.iter()),
        other => out.push(other),
    }
}

/// RFC 7644 §3.4.2.2 `pr`: a non-empty value, or a complex value with a non-empty node.
fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(is_present),
        Value::Object(obj) => obj.values().any(is_present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Compare one attribute value with the operand.
fn compare(def: Option<&AttributeDef>, op: CompareOp, attr: &Value, operand: &Value) -> bool {
    let ty = def.map(|d| d.ty);
    match (attr, operand) {
        (_, Value::Bool(b)) => matches!(op, CompareOp::Eq) && parse_bool(attr) == Some(*b),
        (Value::Bool(_), _) => false,
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b).is_some_and(|o| ordering_matches(op, o)),
            _ => false,
        },
        (Value::String(a), Value::String(b)) => {
            if ty == Some(AttrType::DateTime) {
                if let (Some(x), Some(y)) = (parse_datetime(a), parse_datetime(b)) {
                    return !op.is_substring() && ordering_matches(op, x.cmp(&y));
                }
            }
            let case_exact = def.is_some_and(|d| d.case_exact);
            let (a, b) = if case_exact {
                (a.clone(), b.clone())
            } else {
                (a.to_lowercase(), b.to_lowercase())
            };
            match op {
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                _ => ordering_matches(op, a.cmp(&b)),
            }
        }
        _ => false,
    }
}

fn ordering_matches(op: CompareOp, o: Ordering) -> bool {
    match op {
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Ne => o != Ordering::Equal,
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Parse an RFC 3339 / xsd:dateTime (RFC 7643 §2.3.5) into seconds and nanoseconds
/// since the Unix epoch. A missing offset is read as UTC (Okta sends such values).
pub fn parse_datetime(s: &str) -> Option<(i64, u32)> {
    let b = s.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(range)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut nanos: u32 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        let digits = &s[start..i.min(start + 9)];
        let scale = 10u32.pow(9 - digits.len() as u32);
        nanos = digits.parse::<u32>().ok()? * scale;
    }
    let offset = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
            let m = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *sign == b'+' {
                m
            } else {
                -m
            }
        }
        _ => return None,
    };
    // Days from civil (proleptic Gregorian), after H. Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((
        days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        nanos,
    ))
}

/// A parse error before it is rendered: byte position and message.
pub(crate) struct SyntaxError {
    pub(crate) pos: usize,
    pub(crate) msg: String,
}

/// 1-based character position of byte offset `pos` in `s`.
pub(crate) fn char_pos(s: &str, pos: usize) -> usize {
    let pos = pos.min(s.len());
    s.char_indices().take_while(|(i, _)| *i < pos).count() + 1
}

/// Recursive-descent parser over `src`; `pos` is a byte offset.
pub(crate) struct Parser<'a> {
    pub(crate) src: &'a str,
    pub(crate) pos: usize,
    terms: usize,
    schemas: &'a [&'a ResourceSchema],
}

type PResult<T> = Result<T, SyntaxError>;

impl<'a> Parser<'a> {
    /// A parser that checks attribute types only through the definitions it is given
    /// (PATCH value filters).
    pub(crate) fn new(src: &'a str, pos: usize) -> Parser<'a> {
        const DEFAULT: &[&ResourceSchema] = &[];
        Parser {
            src,
            pos,
            terms: 0,
            schemas: DEFAULT,
        }
    }

    fn err<T>(&self, pos: usize, msg: impl Into<String>) -> PResult<T> {
        Err(SyntaxError {
            pos,
            msg: msg.into(),
        })
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) -> bool {
        let before = self.pos;
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        self.pos > before
    }

    /// The token at `pos` for an error message: `` `word` `` or "end of input".
    pub(crate) fn found_at(&self, pos: usize) -> String {
        let rest = &self.src[pos.min(self.src.len())..];
        let Some(first) = rest.chars().next() else {
            return "end of input".to_owned();
        };
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']'))
            .unwrap_or(rest.len());
        let token = if end == 0 {
            &rest[..first.len_utf8()]
        } else {
            &rest[..end]
        };
        let mut shown: String = token.chars().take(40).collect();
        if shown.len() < token.len() {
            shown.push('…');
        }
        format!("`{shown}`")
    }

    /// The keyword `word` (any case) at `pos`, not followed by a name character.
    fn at_keyword(&self, word: &str) -> bool {
        let rest = self.rest();
        rest.len() >= word.len()
            && rest.is_char_boundary(word.len())
            && rest[..word.len()].eq_ignore_ascii_case(word)
            && !rest[word.len()..].chars().next().is_some_and(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '$')
            })
    }

    fn filter_root(&mut self) -> PResult<Filter> {
        self.skip_ws();
        if self.pos == self.src.len() {
            return self.err(self.pos, "expected a filter, found end of input");
        }
        let f = self.or_expr(Ctx::Resource, 0)?;
        self.skip_ws();
        if self.pos < self.src.len() {
            let msg = match self.peek() {
                Some(')') => "unbalanced `)`".to_owned(),
                _ => format!(
                    "expected `and`, `or` or end of filter, found {}",
                    self.found_at(self.pos)
                ),
            };
            return self.err(self.pos, msg);
        }
        Ok(f)
    }

    /// The inside of `[...]` in a PATCH path, starting just after `[`; leaves `pos`
    /// just after the closing `]`.
    pub(crate) fn value_filter_in_brackets(
        &mut self,
        parent: Option<&'static AttributeDef>,
    ) -> PResult<Filter> {
        let f = self.or_expr(Ctx::Element(parent), 1)?;
        self.skip_ws();
        if self.peek() != Some(']') {
            return self.err(
                self.pos,
                format!("expected `]`, found {}", self.found_at(self.pos)),
            );
        }
        self.pos += 1;
        Ok(f)
    }

    fn or_expr(&mut self, ctx: Ctx, depth: usize) -> PResult<Filter> {
        let mut left = self.and_expr(ctx, depth)?;
        loop {
            let save = self.pos;
            self.skip_ws();
            if self.at_keyword("or") {
                self.pos += 2;
                let right = self.and_expr(ctx, depth)?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn and_expr(&mut self, ctx: Ctx, depth: usize) -> PResult<Filter> {
        let mut left = self.unary(ctx, depth)?;
        loop {
            let save = self.pos;
            self.skip_ws();
            if self.at_keyword("and") {
                self.pos += 3;
                let right = self.unary(ctx, depth)?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn unary(&mut self, ctx: Ctx, depth: usize) -> PResult<Filter> {
        self.skip_ws();
        if depth >= MAX_DEPTH {
            return self.err(
                self.pos,
                format!("filter nested deeper than {MAX_DEPTH} levels"),
            );
        }
        if self.at_keyword("not") {
            let not_pos = self.pos;
            self.pos += 3;
            self.skip_ws();
            if self.peek() != Some('(') {
                return self.err(
                    self.pos,
                    format!(
                        "expected `(` after `not` at character {}, found {}",
                        char_pos(self.src, not_pos),
                        self.found_at(self.pos)
                    ),
                );
            }
            let inner = self.group(ctx, depth)?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.peek() == Some('(') {
            return self.group(ctx, depth);
        }
        self.attr_exp(ctx, depth)
    }

    /// `"(" FILTER ")"`, with `pos` at the `(`.
    fn group(&mut self, ctx: Ctx, depth: usize) -> PResult<Filter> {
        let open = self.pos;
        self.pos += 1;
        let inner = self.or_expr(ctx, depth + 1)?;
        self.skip_ws();
        if self.peek() != Some(')') {
            let found = self.found_at(self.pos);
            return self.err(
                self.pos,
                format!(
                    "expected `)` closing the `(` at character {}, found {found}",
                    char_pos(self.src, open)
                ),
            );
        }
        self.pos += 1;
        Ok(inner)
    }

    fn attr_path(&mut self) -> PResult<AttrPath> {
        let mut scanner = PathScanner::new(self.src, self.pos);
        match scanner.attr_path() {
            Ok(path) => {
                self.pos = scanner.pos;
                Ok(path)
            }
            Err((pos, _)) if pos == self.pos => self.err(
                pos,
                format!("expected an attribute path, found {}", self.found_at(pos)),
            ),
            Err((pos, msg)) => self.err(pos, msg),
        }
    }

    fn attr_exp(&mut self, ctx: Ctx, depth: usize) -> PResult<Filter> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return self.err(
                self.pos,
                format!("filter has more than {MAX_TERMS} comparisons"),
            );
        }
        let path_pos = self.pos;
        let path = self.attr_path()?;
        if path.is_schema_only() {
            return self.err(path_pos, "expected an attribute after the schema urn");
        }
        if self.peek() == Some('[') {
            let bracket = self.pos;
            if let Ctx::Element(_) = ctx {
                return self.err(bracket, "value filters cannot be nested");
            }
            if path.sub_attr.is_some() {
                return self.err(
                    bracket,
                    "a value filter must follow an attribute name, not a sub-attribute",
                );
            }
            let parent = self
                .def_for(&path, ctx)
                .filter(|d| d.ty == AttrType::Complex);
            self.pos += 1;
            let inner = self.or_expr(Ctx::Element(parent), depth + 1)?;
            self.skip_ws();
            if self.peek() != Some(']') {
                let found = self.found_at(self.pos);
                return self.err(
                    self.pos,
                    format!(
                        "expected `]` closing the `[` at character {}, found {found}",
                        char_pos(self.src, bracket)
                    ),
                );
            }
            self.pos += 1;
            // Entra: `emails[type eq "work"].value eq "x"`.
            if self.peek() == Some('.') {
                self.pos += 1;
                let sub_pos = self.pos;
                let mut scanner = PathScanner::new(self.src, self.pos);
                let sub = scanner.attr_name().map_err(|(pos, _)| SyntaxError {
                    pos,
                    msg: format!(
                        "expected a sub-attribute name, found {}",
                        self.found_at(pos)
                    ),
                })?;
                self.pos = scanner.pos;
                let sub_path = AttrPath {
                    urn: None,
                    attr: sub,
                    sub_attr: None,
                };
                let cmp = self.operator_and_value(sub_path, Ctx::Element(parent), sub_pos)?;
                return Ok(Filter::ValuePath {
                    attr: path,
                    filter: Box::new(Filter::And(Box::new(inner), Box::new(cmp))),
                });
            }
            return Ok(Filter::ValuePath {
                attr: path,
                filter: Box::new(inner),
            });
        }
        self.operator_and_value(path, ctx, path_pos)
    }

    /// `SP compareOp SP compValue` or `SP "pr"` after an attribute path.
    fn operator_and_value(&mut self, path: AttrPath, ctx: Ctx, path_pos: usize) -> PResult<Filter> {
        let had_space = self.skip_ws();
        let op_pos = self.pos;
        let word_end = self
            .rest()
            .find(|c: char| !c.is_ascii_alphabetic())
            .map_or(self.src.len(), |i| self.pos + i);
        let word = &self.src[op_pos..word_end];
        let expected = "expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or pr";
        if !had_space && self.pos < self.src.len() {
            return self.err(
                op_pos,
                format!(
                    "{expected} after the attribute path, found {}",
                    self.found_at(op_pos)
                ),
            );
        }
        if word.eq_ignore_ascii_case("pr") {
            self.pos = word_end;
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::parse(word) else {
            return self.err(
                op_pos,
                format!("{expected}, found {}", self.found_at(op_pos)),
            );
        };
        self.pos = word_end;
        self.skip_ws();
        let value_pos = self.pos;
        let value = self.comp_value()?;
        match (&value, op) {
            (Value::Bool(_), o) if o.is_ordering() || o.is_substring() => {
                return self.err(
                    op_pos,
                    format!("operator `{}` cannot compare booleans", op.as_str()),
                );
            }
            (Value::Null, o) if o != CompareOp::Eq && o != CompareOp::Ne => {
                return self.err(
                    value_pos,
                    format!("operator `{}` cannot compare with null", op.as_str()),
                );
            }
            (Value::Number(_), o) if o.is_substring() => {
                return self.err(
                    value_pos,
                    format!("operator `{}` needs a string value", op.as_str()),
                );
            }
            _ => {}
        }
        if op.is_ordering() {
            if let Some(def) = self.def_for(&path, ctx) {
                if matches!(def.ty, AttrType::Boolean | AttrType::Binary) {
                    return self.err(
                        op_pos,
                        format!(
                            "operator `{}` is not defined for {} attribute `{}`",
                            op.as_str(),
                            def.ty.as_str(),
                            &self.src[path_pos..op_pos].trim_end()
                        ),
                    );
                }
            }
        }
        Ok(Filter::Compare { path, op, value })
    }

    /// The definition a path names, from the first schema that knows it.
    fn def_for(&self, path: &AttrPath, ctx: Ctx) -> Option<&'static AttributeDef> {
        match ctx {
            Ctx::Element(parent) => {
                let parent = parent?;
                let def = parent.sub_attribute(&path.attr)?;
                match &path.sub_attr {
                    None => Some(def),
                    Some(s) => def.sub_attribute(s),
                }
            }
            Ctx::Resource => self.schemas.iter().find_map(|s| {
                let (top, _) = s.resolve_top(path)?;
                match &path.sub_attr {
                    None => Some(top),
                    Some(sub) => top.sub_attribute(sub),
                }
            }),
        }
    }

    /// RFC 7644 §3.4.2.2 compValue: `false / null / true / number / string`.
    fn comp_value(&mut self) -> PResult<Value> {
        let start = self.pos;
        match self.peek() {
            None => self.err(start, "expected a value (a string in double quotes, a number, true, false or null), found end of input"),
            Some('"') => {
                let bytes = self.src.as_bytes();
                let mut i = start + 1;
                loop {
                    match bytes.get(i) {
                        None => return self.err(start, "unterminated string value"),
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                let literal = &self.src[start..=i];
                match serde_json::from_str::<String>(literal) {
                    Ok(s) => {
                        self.pos = i + 1;
                        Ok(Value::String(s))
                    }
                    Err(e) => self.err(start, format!("invalid string value: {}", strip_serde_position(&e.to_string()))),
                }
            }
            Some(_) => {
                let rest = self.rest();
                let end = rest
                    .find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']'))
                    .unwrap_or(rest.len());
                let word = &rest[..end];
                let value = if word.eq_ignore_ascii_case("true") {
                    Some(Value::Bool(true))
                } else if word.eq_ignore_ascii_case("false") {
                    Some(Value::Bool(false))
                } else if word.eq_ignore_ascii_case("null") {
                    Some(Value::Null)
                } else if word.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                    serde_json::from_str::<serde_json::Number>(word).ok().map(Value::Number)
                } else {
                    None
                };
                match value {
                    Some(v) => {
                        self.pos += end;
                        Ok(v)
                    }
                    None => self.err(start, format!(
                        "expected a value (a string in double quotes, a number, true, false or null), found {}; string values must be in double quotes",
                        self.found_at(start)
                    )),
                }
            }
        }
    }
}

fn strip_serde_position(msg: &str) -> &str {
    msg.find(" at line ").map_or(msg, |i| &msg[..i])
}

/// Where a path inside the filter being parsed is resolved.
#[derive(Clone, Copy)]
enum Ctx {
    Resource,
    Element(Option<&'static AttributeDef>),
}

#[cfg(test)]
mod tests;
