//! Exc-C14N checked against bergshamra's canonicalizer (an independent implementation) and against known answers.

use super::*;
use crate::xml;

/// Canonicalizes the whole document (apex = root) both ways and compares.
#[track_caller]
fn check_against_bergshamra(doc: &str, prefixes: &[&str]) {
    let root = xml::parse(doc).unwrap();
    let ours = canonicalize(
        &root,
        &Subset {
            apex: &root,
            omit: None,
            inclusive_prefixes: prefixes,
        },
    )
    .unwrap();
    let theirs =
        bergshamra::c14n::canonicalize(doc, bergshamra::c14n::C14nMode::Exclusive, None, prefixes)
            .unwrap();
    assert_eq!(
        String::from_utf8(ours).unwrap(),
        String::from_utf8(theirs).unwrap()
    );
}

#[test]
fn attributes_sort_by_namespace_then_local_name_and_declarations_by_prefix() {
    check_against_bergshamra(
        r#"<p:r xmlns:z="urn:z" xmlns:p="urn:p" xmlns:a="urn:a" b="2" a:c="3" A="1" z:a="4" ID="x" Id="y"><e/></p:r>"#,
        &[],
    );
}

#[test]
fn unused_declarations_are_dropped_and_used_ones_pushed_down() {
    check_against_bergshamra(
        r#"<r xmlns:u="urn:unused" xmlns:q="urn:q"><q:a><q:b q:x="1"/></q:a><c/></r>"#,
        &[],
    );
}

#[test]
fn default_namespace_and_its_undeclaration() {
    check_against_bergshamra(
        r#"<r xmlns="urn:d"><a xmlns=""><b/></a><c xmlns="urn:d"/><p:e xmlns:p="urn:p"><f/></p:e></r>"#,
        &[],
    );
}

#[test]
fn escaping_of_text_and_attribute_values() {
    check_against_bergshamra(
        "<r a=\"&lt;&amp;&gt;&quot;'&#9;&#10;&#13;\">&lt;&amp;&gt;\"'&#13;\t\n<![CDATA[<x>&]]>é\u{1F600}</r>",
        &[],
    );
}

#[test]
fn comments_and_declaration_are_left_out() {
    check_against_bergshamra(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r><!-- c --><a>x<!---->y</a></r>",
        &[],
    );
}

#[test]
fn inclusive_prefix_list_renders_an_unused_binding() {
    check_against_bergshamra(
        r#"<r xmlns:xs="urn:xs" xmlns:xsi="urn:xsi"><v xsi:type="xs:string">t</v><w xmlns:xs="urn:xs2"/></r>"#,
        &["xs"],
    );
}

#[test]
fn apex_inherits_bindings_from_ancestors_and_omits_the_enveloped_node() {
    let doc = r#"<p:R xmlns:p="urn:p" xmlns:a="urn:a" xmlns:xs="urn:xs"><a:I>i</a:I><a:A ID="1"><a:I>i</a:I><S xmlns="urn:s"><k/></S><a:V xmlns:xsi="urn:xsi" xsi:type="xs:string">v</a:V></a:A></p:R>"#;
    let root = xml::parse(doc).unwrap();
    let apex = root.elements().nth(1).unwrap();
    let sig = apex.elements().nth(1).unwrap();
    let c14n = |omit, prefixes: &[&str]| {
        String::from_utf8(
            canonicalize(
                &root,
                &Subset {
                    apex,
                    omit,
                    inclusive_prefixes: prefixes,
                },
            )
            .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(
        c14n(Some(sig), &[]),
        r#"<a:A xmlns:a="urn:a" ID="1"><a:I>i</a:I><a:V xmlns:xsi="urn:xsi" xsi:type="xs:string">v</a:V></a:A>"#
    );
    assert_eq!(
        c14n(None, &["xs"]),
        r#"<a:A xmlns:a="urn:a" xmlns:xs="urn:xs" ID="1"><a:I>i</a:I><S xmlns="urn:s"><k></k></S><a:V xmlns:xsi="urn:xsi" xsi:type="xs:string">v</a:V></a:A>"#
    );
}

#[test]
fn an_element_outside_the_tree_is_not_canonicalized() {
    let root = xml::parse("<r/>").unwrap();
    let other = xml::parse("<o/>").unwrap();
    let subset = Subset {
        apex: &other,
        omit: None,
        inclusive_prefixes: &[],
    };
    assert!(canonicalize(&root, &subset).is_none());
}
