//! The RFC 7644 §3.4.2.2 filter grammar: a recursive-descent parser whose errors name
//! the byte position and what was expected.

use serde_json::Value;

use crate::error::ScimError;
use crate::path::{AttrPath, PathScanner};
use crate::schema::{AttrType, AttributeDef, ResourceSchema};

use super::{CompareOp, Filter};

/// Deepest nesting of parentheses, `not` and value paths accepted.
const MAX_DEPTH: usize = 64;
/// Most comparisons accepted in one filter.
const MAX_TERMS: usize = 1000;

impl Filter {
    pub(super) fn parse_with(
        input: &str,
        schemas: &[&ResourceSchema],
    ) -> Result<Filter, ScimError> {
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

    /// RFC 7644 §3.4.2.2 `FILTER SP ("and" / "or") SP FILTER`, folded to the left:
    /// `operand *(keyword operand)`, so `or` binds looser than `and`.
    fn left_assoc(
        &mut self,
        ctx: Ctx,
        depth: usize,
        keyword: &str,
        operand: fn(&mut Self, Ctx, usize) -> PResult<Filter>,
        join: fn(Box<Filter>, Box<Filter>) -> Filter,
    ) -> PResult<Filter> {
        let mut left = operand(self, ctx, depth)?;
        loop {
            let save = self.pos;
            self.skip_ws();
            if self.at_keyword(keyword) {
                self.pos += keyword.len();
                let right = operand(self, ctx, depth)?;
                left = join(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn or_expr(&mut self, ctx: Ctx, depth: usize) -> PResult<Filter> {
        self.left_assoc(ctx, depth, "or", Self::and_expr, Filter::Or)
    }

    fn and_expr(&mut self, ctx: Ctx, depth: usize) -> PResult<Filter> {
        self.left_assoc(ctx, depth, "and", Self::unary, Filter::And)
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
        self.enclosed(open, ')', ctx, depth + 1)
    }

    /// The filter after the `(` or `[` at byte `open`, through the `close` that ends it.
    fn enclosed(&mut self, open: usize, close: char, ctx: Ctx, depth: usize) -> PResult<Filter> {
        let inner = self.or_expr(ctx, depth)?;
        self.skip_ws();
        if self.peek() != Some(close) {
            let found = self.found_at(self.pos);
            let opener = &self.src[open..open + 1];
            return self.err(
                self.pos,
                format!(
                    "expected `{close}` closing the `{opener}` at character {}, found {found}",
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
            let inner = self.enclosed(bracket, ']', Ctx::Element(parent), depth + 1)?;
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
