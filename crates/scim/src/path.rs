//! RFC 7644 §3.10 attribute paths (`name.givenName`, `urn:…:User:userName`) and
//! RFC 7644 §3.5.2 PATCH paths (`members[value eq "x"]`, `emails[type eq "work"].value`).

use crate::error::ScimError;
use crate::filter::{self, char_pos, Filter};
use crate::model::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};

/// RFC 7644 §3.10: `[URI ":"] ATTRNAME ["." subAttr]`.
///
/// `attr` is empty when the path names a whole schema extension (for example
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, as PATCH paths may).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub attr: String,
    pub sub_attr: Option<String>,
}

/// RFC 7644 §3.5.2: `attrPath / valuePath [subAttr]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    pub sub_attr: Option<String>,
}

/// Schema URNs this crate knows; a path equal to one of these names the whole schema.
const KNOWN_URNS: &[&str] = &[USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA];

impl AttrPath {
    /// A path to a core top-level attribute.
    pub fn new(attr: impl Into<String>) -> AttrPath {
        AttrPath {
            urn: None,
            attr: attr.into(),
            sub_attr: None,
        }
    }

    /// Parse an attribute path. Errors are `invalidPath`.
    pub fn parse(s: &str) -> Result<AttrPath, ScimError> {
        let mut scanner = PathScanner::new(s, 0);
        let path = scanner
            .attr_path()
            .map_err(|(pos, msg)| path_error(s, pos, &msg))?;
        scanner.at_end("unexpected")?;
        Ok(path)
    }

    /// True when this path names a whole schema extension rather than an attribute.
    pub fn is_schema_only(&self) -> bool {
        self.attr.is_empty()
    }
}

impl std::fmt::Display for AttrPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(urn) = &self.urn {
            f.write_str(urn)?;
            if !self.attr.is_empty() {
                f.write_str(":")?;
            }
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl PatchPath {
    /// Parse a PATCH path. Errors are `invalidPath` and name the character position.
    pub fn parse(s: &str) -> Result<PatchPath, ScimError> {
        let mut scanner = PathScanner::new(s, 0);
        let attr = scanner
            .attr_path()
            .map_err(|(pos, msg)| path_error(s, pos, &msg))?;
        if scanner.pos == s.len() {
            return Ok(PatchPath {
                attr,
                filter: None,
                sub_attr: None,
            });
        }
        if scanner.peek() != Some(b'[') {
            return Err(path_error(
                s,
                scanner.pos,
                &format!("expected `[` or end of path, found {}", scanner.found()),
            ));
        }
        if attr.sub_attr.is_some() || attr.is_schema_only() {
            return Err(path_error(
                s,
                scanner.pos,
                "a value filter must follow a top-level attribute",
            ));
        }
        let open = scanner.pos;
        let mut parser = filter::Parser::new(s, open + 1);
        let filter = parser
            .value_filter_in_brackets(None)
            .map_err(|e| path_error(s, e.pos, &e.msg))?;
        let close = parser.pos - 1;
        let mut rest = PathScanner::new(s, close + 1);
        let sub_attr = if rest.pos == s.len() {
            None
        } else if rest.peek() == Some(b'.') {
            rest.pos += 1;
            let name = rest
                .attr_name()
                .map_err(|(pos, msg)| path_error(s, pos, &msg))?;
            rest.at_end("expected end of path, found")?;
            Some(name)
        } else {
            return Err(path_error(
                s,
                rest.pos,
                &format!("expected `.` or end of path, found {}", rest.found()),
            ));
        };
        Ok(PatchPath {
            attr,
            filter: Some(filter),
            sub_attr,
        })
    }
}

fn path_error(s: &str, pos: usize, msg: &str) -> ScimError {
    ScimError::invalid_path(format!(
        "invalid path `{s}` at character {}: {msg}",
        char_pos(s, pos)
    ))
}

/// Scans attribute paths; shared with the filter lexer. Positions are byte offsets
/// into `src`.
pub(crate) struct PathScanner<'a> {
    pub(crate) src: &'a str,
    pub(crate) pos: usize,
}

impl<'a> PathScanner<'a> {
    pub(crate) fn new(src: &'a str, pos: usize) -> Self {
        PathScanner { src, pos }
    }

    /// The `invalidPath` error "`{what} {found}`" unless the whole path has been read.
    fn at_end(&self, what: &str) -> Result<(), ScimError> {
        if self.pos < self.src.len() {
            return Err(path_error(
                self.src,
                self.pos,
                &format!("{what} {}", self.found()),
            ));
        }
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    pub(crate) fn found(&self) -> String {
        match self.src[self.pos..].chars().next() {
            None => "end of input".to_owned(),
            Some(c) => format!("`{c}`"),
        }
    }

    /// RFC 7643 §2.1 ATTRNAME: ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA.
    /// `$ref` is accepted as a sub-attribute name.
    pub(crate) fn attr_name(&mut self) -> Result<String, (usize, String)> {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        if bytes.get(self.pos) == Some(&b'$') {
            self.pos += 1;
        }
        match bytes.get(self.pos) {
            Some(c) if c.is_ascii_alphabetic() => self.pos += 1,
            _ => {
                return Err((
                    self.pos,
                    format!("expected an attribute name, found {}", self.found()),
                ))
            }
        }
        while let Some(c) = bytes.get(self.pos) {
            if c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_' {
                self.pos += 1;
            } else {
                break;
            }
        }
        Ok(self.src[start..self.pos].to_owned())
    }

    /// `[URI ":"] ATTRNAME ["." subAttr]`. A URN prefix is recognised by `urn:`; the
    /// attribute name follows its last `:` (the URN itself may hold dots, as in `2.0`).
    pub(crate) fn attr_path(&mut self) -> Result<AttrPath, (usize, String)> {
        let rest = &self.src[self.pos..];
        if rest.len() >= 4 && rest.as_bytes()[..4].eq_ignore_ascii_case(b"urn:") {
            // The URN runs up to the end of the token: stop at whitespace, `[`, `]`, `(`, `)`.
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '(' | ')' | '"'))
                .unwrap_or(rest.len());
            let token = &rest[..end];
            if let Some(known) = KNOWN_URNS.iter().find(|u| u.eq_ignore_ascii_case(token)) {
                self.pos += end;
                return Ok(AttrPath {
                    urn: Some((*known).to_owned()),
                    attr: String::new(),
                    sub_attr: None,
                });
            }
            let Some(colon) = token.rfind(':') else {
                return Err((self.pos, "expected a urn".to_owned()));
            };
            let urn = &token[..colon];
            if urn.len() <= 4 || urn.ends_with(':') {
                return Err((self.pos, format!("malformed schema urn `{urn}`")));
            }
            let urn = KNOWN_URNS
                .iter()
                .find(|u| u.eq_ignore_ascii_case(urn))
                .map_or_else(|| urn.to_owned(), |u| (*u).to_owned());
            self.pos += colon + 1;
            let mut path = self.plain_attr_path()?;
            path.urn = Some(urn);
            return Ok(path);
        }
        self.plain_attr_path()
    }

    fn plain_attr_path(&mut self) -> Result<AttrPath, (usize, String)> {
        let attr = self.attr_name()?;
        let sub_attr = if self.peek() == Some(b'.') {
            self.pos += 1;
            Some(self.attr_name()?)
        } else {
            None
        };
        Ok(AttrPath {
            urn: None,
            attr,
            sub_attr,
        })
    }
}
