//! A small namespace-aware XML tree over quick-xml: enough to read SAML documents, rewrite them for the tamper catalogue, and write them back.
//!
//! The parser refuses any `DOCTYPE` (saml-attacks.md A6/A7), so no entity is ever declared, let alone expanded;
//! only the five predefined entities and character references are decoded.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// SAML Core §2.2: the assertion namespace.
pub const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// SAML Core §3.2: the protocol namespace.
pub const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// XML-DSig §4: the signature namespace.
pub const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
/// SAML Metadata §2: the metadata namespace.
pub const NS_METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// The deepest element nesting [`parse`] reads: libxml2's default (`xmlParserMaxDepth`,
/// without `XML_PARSE_HUGE`), so xmlsec and other libxml2-based SPs would refuse anything
/// deeper too; a SAML Response nests about ten deep. Without it a few hundred KB of
/// nested elements overflow the stack of whoever walks or drops the tree, and past
/// 65,535 levels quick-xml's namespace scope counter overflows.
pub const MAX_DEPTH: usize = 256;

/// Why a document could not be read as XML.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    /// saml-attacks.md A6/A7: a `DOCTYPE` is never accepted.
    #[error("reading xml: a DOCTYPE declaration is not allowed")]
    Doctype,
    #[error("reading xml at byte {position}: {message}")]
    Syntax { position: u64, message: String },
    #[error("reading xml: no root element")]
    NoRoot,
    #[error("reading xml: content after the root element")]
    TrailingContent,
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
    Comment(String),
}

/// An attribute as written (qualified name) plus its resolved namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub qname: String,
    pub namespace: Option<String>,
    pub value: String,
}

impl Attr {
    fn local_name(&self) -> &str {
        self.qname.rsplit(':').next().unwrap_or(&self.qname)
    }

    fn is_namespace_declaration(&self) -> bool {
        self.qname == "xmlns" || self.qname.starts_with("xmlns:")
    }
}

/// An element: its written name, its resolved namespace, attributes (namespace declarations included, as written) and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub qname: String,
    pub namespace: Option<String>,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
}

impl Element {
    /// A new element without attributes or children.
    pub fn new(qname: impl Into<String>, namespace: Option<&str>) -> Self {
        Element {
            qname: qname.into(),
            namespace: namespace.map(str::to_owned),
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }

    /// The local part of the element's name.
    pub fn local_name(&self) -> &str {
        self.qname.rsplit(':').next().unwrap_or(&self.qname)
    }

    /// The prefix the element is written with, if any.
    pub fn prefix(&self) -> Option<&str> {
        self.qname.split_once(':').map(|(p, _)| p)
    }

    /// Whether this element is `{namespace}local`.
    pub fn is(&self, namespace: &str, local: &str) -> bool {
        self.namespace.as_deref() == Some(namespace) && self.local_name() == local
    }

    /// The value of an unqualified attribute (SAML's own attributes are unqualified).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.namespace.is_none() && a.qname == name)
            .map(|a| a.value.as_str())
    }

    /// The value of a namespaced attribute such as `xsi:type`.
    pub fn attr_ns(&self, namespace: &str, local: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| {
                !a.is_namespace_declaration()
                    && a.namespace.as_deref() == Some(namespace)
                    && a.local_name() == local
            })
            .map(|a| a.value.as_str())
    }

    /// Sets (or adds) an unqualified attribute.
    pub fn set_attr(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self
            .attrs
            .iter_mut()
            .find(|a| a.namespace.is_none() && a.qname == name)
        {
            Some(a) => a.value = value,
            None => self.attrs.push(Attr {
                qname: name.to_owned(),
                namespace: None,
                value,
            }),
        }
    }

    /// Removes an unqualified attribute.
    pub fn remove_attr(&mut self, name: &str) {
        self.attrs
            .retain(|a| !(a.namespace.is_none() && a.qname == name));
    }

    /// Child elements in document order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// Mutable child elements in document order.
    pub fn elements_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.children.iter_mut().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The first child element `{namespace}local`.
    pub fn child(&self, namespace: &str, local: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(namespace, local))
    }

    /// The first child element `{namespace}local`, mutably.
    pub fn child_mut(&mut self, namespace: &str, local: &str) -> Option<&mut Element> {
        self.elements_mut().find(|e| e.is(namespace, local))
    }

    /// All child elements `{namespace}local`.
    pub fn children_named<'a>(
        &'a self,
        namespace: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.is(namespace, local))
    }

    /// The index in `children` of the first child element `{namespace}local`.
    pub fn child_index(&self, namespace: &str, local: &str) -> Option<usize> {
        self.children
            .iter()
            .position(|n| matches!(n, Node::Element(e) if e.is(namespace, local)))
    }

    /// Removes every child element `{namespace}local`.
    pub fn remove_children(&mut self, namespace: &str, local: &str) {
        self.children
            .retain(|n| !matches!(n, Node::Element(e) if e.is(namespace, local)));
    }

    /// Every descendant element (not self) named `{namespace}local`, in document order.
    pub fn descendants<'a>(&'a self, namespace: &str, local: &str, out: &mut Vec<&'a Element>) {
        for child in self.elements() {
            if child.is(namespace, local) {
                out.push(child);
            }
            child.descendants(namespace, local, out);
        }
    }

    /// Whether any direct child is a comment.
    pub fn has_comment_child(&self) -> bool {
        self.children.iter().any(|n| matches!(n, Node::Comment(_)))
    }

    /// The concatenation of the direct text children (comments skipped, so `a<!---->b` reads `ab`).
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Replaces all children with one text node.
    pub fn set_text(&mut self, text: impl Into<String>) {
        self.children = vec![Node::Text(text.into())];
    }

    /// Serialises the element (no XML declaration).
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.qname);
        for a in &self.attrs {
            out.push(' ');
            out.push_str(&a.qname);
            out.push_str("=\"");
            escape_attr(&a.value, out);
            out.push('"');
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        for child in &self.children {
            match child {
                Node::Element(e) => e.write(out),
                Node::Text(t) => escape_text(t, out),
                Node::Comment(c) => {
                    out.push_str("<!--");
                    out.push_str(c);
                    out.push_str("-->");
                }
            }
        }
        out.push_str("</");
        out.push_str(&self.qname);
        out.push('>');
    }
}

/// Escapes text content.
pub fn escape_text(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

/// Escapes an attribute value for double quotes.
pub fn escape_attr(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

/// Returns an escaped copy of `s` for text content.
pub fn text_escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_text(s, &mut out);
    out
}

/// Returns an escaped copy of `s` for an attribute value.
pub fn attr_escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_attr(s, &mut out);
    out
}

/// Parses a whole document into its root element; refuses a `DOCTYPE`.
pub fn parse(xml: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let syntax = |reader: &NsReader<&[u8]>, message: String| XmlError::Syntax {
        position: reader.buffer_position(),
        message,
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| syntax(&reader, e.to_string()))?;
        match event {
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Start(start) => {
                if root.is_some() {
                    return Err(XmlError::TrailingContent);
                }
                if stack.len() == MAX_DEPTH {
                    return Err(syntax(
                        &reader,
                        format!("elements nested deeper than {MAX_DEPTH}"),
                    ));
                }
                let element = element_from(&reader, &start).map_err(|m| syntax(&reader, m))?;
                stack.push(element);
            }
            Event::Empty(start) => {
                if root.is_some() {
                    return Err(XmlError::TrailingContent);
                }
                let element = element_from(&reader, &start).map_err(|m| syntax(&reader, m))?;
                attach(&mut stack, &mut root, element);
            }
            Event::End(_) => {
                let element = stack
                    .pop()
                    .ok_or_else(|| syntax(&reader, "unbalanced end tag".into()))?;
                attach(&mut stack, &mut root, element);
            }
            Event::Text(text) => {
                let text = text
                    .xml10_content()
                    .map_err(|e| syntax(&reader, e.to_string()))?
                    .into_owned();
                match stack.last_mut() {
                    Some(parent) => push_text(parent, text),
                    None if text.trim().is_empty() => {}
                    None => return Err(syntax(&reader, "text outside the root element".into())),
                }
            }
            // Only character references and the five predefined entities exist without a DTD.
            Event::GeneralRef(reference) => {
                let text = match reference
                    .resolve_char_ref()
                    .map_err(|e| syntax(&reader, e.to_string()))?
                {
                    Some(c) => c.to_string(),
                    None => {
                        let name = reference
                            .decode()
                            .map_err(|e| syntax(&reader, e.to_string()))?;
                        quick_xml::escape::resolve_xml_entity(&name)
                            .ok_or_else(|| {
                                syntax(&reader, format!("undeclared entity `&{name};`"))
                            })?
                            .to_owned()
                    }
                };
                match stack.last_mut() {
                    Some(parent) => push_text(parent, text),
                    None => {
                        return Err(syntax(&reader, "reference outside the root element".into()))
                    }
                }
            }
            Event::CData(data) => {
                let text = String::from_utf8(data.into_inner().into_owned())
                    .map_err(|e| syntax(&reader, e.to_string()))?;
                if let Some(parent) = stack.last_mut() {
                    push_text(parent, text);
                }
            }
            Event::Comment(c) => {
                if let Some(parent) = stack.last_mut() {
                    let c = String::from_utf8(c.into_inner().into_owned())
                        .map_err(|e| syntax(&reader, e.to_string()))?;
                    parent.children.push(Node::Comment(c));
                }
            }
            // A PI inside the document has no place in SAML; refusing it keeps every reader's view of text the same.
            Event::PI(_) if !stack.is_empty() => {
                return Err(syntax(
                    &reader,
                    "processing instruction inside the document".into(),
                ))
            }
            Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Syntax {
            position: reader.buffer_position(),
            message: "unclosed element".into(),
        });
    }
    root.ok_or(XmlError::NoRoot)
}

fn push_text(parent: &mut Element, text: String) {
    if let Some(Node::Text(prev)) = parent.children.last_mut() {
        prev.push_str(&text);
    } else {
        parent.children.push(Node::Text(text));
    }
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(Node::Element(element)),
        None => *root = Some(element),
    }
}

fn element_from(reader: &NsReader<&[u8]>, start: &BytesStart<'_>) -> Result<Element, String> {
    let (ns, _) = reader.resolver().resolve_element(start.name());
    let namespace = resolved(ns)?;
    let qname = std::str::from_utf8(start.name().as_ref())
        .map_err(|e| e.to_string())?
        .to_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let qname = std::str::from_utf8(attr.key.as_ref())
            .map_err(|e| e.to_string())?
            .to_owned();
        let namespace = if qname == "xmlns" || qname.starts_with("xmlns:") {
            None
        } else {
            let (ns, _) = reader.resolver().resolve_attribute(attr.key);
            resolved(ns)?
        };
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?
            .into_owned();
        attrs.push(Attr {
            qname,
            namespace,
            value,
        });
    }
    Ok(Element {
        qname,
        namespace,
        attrs,
        children: Vec::new(),
    })
}

fn resolved(ns: ResolveResult<'_>) -> Result<Option<String>, String> {
    match ns {
        ResolveResult::Bound(ns) => Ok(Some(
            std::str::from_utf8(ns.as_ref())
                .map_err(|e| e.to_string())?
                .to_owned(),
        )),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(p) => Err(format!(
            "undeclared namespace prefix `{}`",
            String::from_utf8_lossy(&p)
        )),
    }
}

/// A Response's `InResponseTo`, else the first bearer `SubjectConfirmationData`'s: what
/// an SP reads, before verifying anything, to find the AuthnRequest (and so the IdP's
/// verifier) a Response answers. The verifier checks it again on the signed content.
pub fn response_in_response_to(response: &Element) -> Option<&str> {
    if let Some(id) = response.attr("InResponseTo") {
        return Some(id);
    }
    let mut found = Vec::new();
    response.descendants(NS_ASSERTION, "SubjectConfirmationData", &mut found);
    found.into_iter().find_map(|d| d.attr("InResponseTo"))
}

/// A Response's `Issuer`, else its first Assertion's: which trusted IdP's verifier an
/// unsolicited Response goes to.
pub fn response_issuer(response: &Element) -> Option<String> {
    response
        .child(NS_ASSERTION, "Issuer")
        .or_else(|| {
            response
                .child(NS_ASSERTION, "Assertion")?
                .child(NS_ASSERTION, "Issuer")
        })
        .map(|i| i.text().trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctype_is_refused() {
        let doc = r#"<!DOCTYPE r [<!ENTITY a "x">]><r>&a;</r>"#;
        assert!(matches!(parse(doc), Err(XmlError::Doctype)));
    }

    #[test]
    fn comment_splits_text_but_text_reads_whole() {
        let root = parse("<r><v>alice@evil.test<!---->.attacker</v></r>").unwrap();
        let v = root.elements().next().unwrap();
        assert!(v.has_comment_child());
        assert_eq!(v.text(), "alice@evil.test.attacker");
    }

    #[test]
    fn namespaces_resolve_and_round_trip() {
        let doc = r#"<p:a xmlns:p="urn:x" xmlns="urn:d"><b c="1&amp;2">t&lt;</b></p:a>"#;
        let root = parse(doc).unwrap();
        assert!(root.is("urn:x", "a"));
        let b = root.child("urn:d", "b").unwrap();
        assert_eq!(b.attr("c"), Some("1&2"));
        assert_eq!(root.to_xml(), doc);
    }

    #[test]
    fn processing_instruction_inside_is_an_error_and_undeclared_entities_too() {
        assert!(parse("<r>a<?x y?>b</r>").is_err());
        assert!(
            parse("<?xml version=\"1.0\"?><r>&#x41;&amp;</r>")
                .unwrap()
                .text()
                == "A&"
        );
        assert!(parse("<r>&nbsp;</r>").is_err());
    }

    #[test]
    fn undeclared_prefix_is_an_error() {
        assert!(parse("<p:a/>").is_err());
    }
}
