//! Exclusive XML canonicalization without comments (W3C Exc-C14N, `http://www.w3.org/2001/10/xml-exc-c14n#`)
//! of one element of an [`xml::Element`](crate::xml::Element) tree, as the signer needs it.
//!
//! The signer computes digests and SignedInfo bytes with it, and the verifier ([`crate::dsig_verify`]) the same
//! on what it receives; the tests check it against bergshamra's canonicalizer.
//!
//! What the tree gives and what this module relies on:
//! - every element and attribute carries its resolved namespace URI (the parser refuses undeclared prefixes);
//! - namespace declarations are kept as attributes named `xmlns` / `xmlns:p`;
//! - text is already decoded (entities and character references resolved, CDATA turned into text);
//! - comments are nodes, and are left out here (the "without comments" variant).

use crate::xml::{escape_attr, escape_text, Element, Node};

/// Where to start and what to leave out.
pub(crate) struct Subset<'a> {
    /// The element whose subtree is canonicalized (the apex).
    pub apex: &'a Element,
    /// An element inside the apex to drop with its subtree: the enveloped-signature transform
    /// (XML-DSig §6.6.4) removes the Signature that holds the Reference.
    pub omit: Option<&'a Element>,
    /// Prefixes of the `InclusiveNamespaces PrefixList` (Exc-C14N §3); `#default` stands for the default namespace.
    pub inclusive_prefixes: &'a [&'a str],
}

/// Exc-C14N of `subset.apex`, whose ancestors from `root` down declare the namespaces in scope at the apex.
///
/// Returns `None` if the apex is not inside `root`.
pub(crate) fn canonicalize(root: &Element, subset: &Subset<'_>) -> Option<Vec<u8>> {
    let mut scope = Vec::new();
    if !scope_at(root, subset.apex, &mut scope) {
        return None;
    }
    let mut out = String::with_capacity(4096);
    let mut rendered = Vec::new();
    write_element(subset.apex, subset, &mut scope, &mut rendered, &mut out);
    Some(out.into_bytes())
}

/// One namespace binding: prefix (`""` for the default namespace) and URI (`""` undeclares the default).
type Binding = (String, String);

/// Collects into `scope` the bindings declared by the ancestors of `target` (not by `target` itself).
fn scope_at(el: &Element, target: &Element, scope: &mut Vec<Binding>) -> bool {
    if std::ptr::eq(el, target) {
        return true;
    }
    let mark = scope.len();
    push_declarations(el, scope);
    for child in el.elements() {
        if scope_at(child, target, scope) {
            return true;
        }
    }
    scope.truncate(mark);
    false
}

fn push_declarations(el: &Element, scope: &mut Vec<Binding>) {
    for a in &el.attrs {
        if a.qname == "xmlns" {
            scope.push((String::new(), a.value.clone()));
        } else if let Some(prefix) = a.qname.strip_prefix("xmlns:") {
            scope.push((prefix.to_owned(), a.value.clone()));
        }
    }
}

fn lookup<'s>(bindings: &'s [Binding], prefix: &str) -> Option<&'s str> {
    bindings
        .iter()
        .rev()
        .find(|(p, _)| p == prefix)
        .map(|(_, uri)| uri.as_str())
}

/// Exc-C14N §3: the namespace declarations an element renders, sorted by prefix (default first).
///
/// A prefix is considered when the element or one of its attributes visibly uses it, or when it is in the
/// PrefixList and bound in scope; it is rendered unless the nearest output ancestor already rendered the same
/// binding. The default namespace, when used by an unprefixed element but not bound, renders `xmlns=""` only
/// if an output ancestor rendered a non-empty default.
fn namespaces_to_render(
    el: &Element,
    subset: &Subset<'_>,
    scope: &[Binding],
    rendered: &[Binding],
) -> Vec<Binding> {
    let mut wanted: Vec<&str> = Vec::with_capacity(4);
    wanted.push(el.prefix().unwrap_or(""));
    for a in &el.attrs {
        if a.qname == "xmlns" || a.qname.starts_with("xmlns:") {
            continue;
        }
        // Unprefixed attributes are in no namespace; they never use the default namespace.
        if let Some((prefix, _)) = a.qname.split_once(':') {
            if prefix != "xml" && !wanted.contains(&prefix) {
                wanted.push(prefix);
            }
        }
    }
    for &p in subset.inclusive_prefixes {
        let p = if p == "#default" { "" } else { p };
        if p != "xml" && !wanted.contains(&p) && lookup(scope, p).is_some_and(|u| !u.is_empty()) {
            wanted.push(p);
        }
    }
    let mut out: Vec<Binding> = Vec::with_capacity(wanted.len());
    for prefix in wanted {
        let uri = lookup(scope, prefix).unwrap_or("");
        let already = lookup(rendered, prefix).unwrap_or("");
        if uri != already {
            out.push((prefix.to_owned(), uri.to_owned()));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn write_element(
    el: &Element,
    subset: &Subset<'_>,
    scope: &mut Vec<Binding>,
    rendered: &mut Vec<Binding>,
    out: &mut String,
) {
    let scope_mark = scope.len();
    let rendered_mark = rendered.len();
    push_declarations(el, scope);

    out.push('<');
    out.push_str(&el.qname);
    for (prefix, uri) in namespaces_to_render(el, subset, scope, rendered) {
        if prefix.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(&prefix);
            out.push_str("=\"");
        }
        escape_attr(&uri, out);
        out.push('"');
        rendered.push((prefix, uri));
    }
    // C14N §2.2 (used by Exc-C14N): attributes sorted by namespace URI (none first), then local name.
    let mut attrs: Vec<_> = el
        .attrs
        .iter()
        .filter(|a| a.qname != "xmlns" && !a.qname.starts_with("xmlns:"))
        .map(|a| {
            let local = a.qname.rsplit(':').next().unwrap_or(&a.qname);
            (a.namespace.as_deref().unwrap_or(""), local, a)
        })
        .collect();
    attrs.sort_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)));
    for (_, _, a) in attrs {
        out.push(' ');
        out.push_str(&a.qname);
        out.push_str("=\"");
        escape_attr(&a.value, out);
        out.push('"');
    }
    out.push('>');
    for child in &el.children {
        match child {
            Node::Element(e) if subset.omit.is_some_and(|o| std::ptr::eq(o, e)) => {}
            Node::Element(e) => write_element(e, subset, scope, rendered, out),
            Node::Text(t) => escape_text(t, out),
            Node::Comment(_) => {}
        }
    }
    out.push_str("</");
    out.push_str(&el.qname);
    out.push('>');

    scope.truncate(scope_mark);
    rendered.truncate(rendered_mark);
}

#[cfg(test)]
mod tests;
