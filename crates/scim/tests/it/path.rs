//! Attribute paths (RFC 7644 §3.10) and PATCH paths (RFC 7644 §3.5.2).

use rstest::rstest;
use scim::path::{AttrPath, PatchPath};
use scim::ScimType;

#[track_caller]
fn check(path: &str, urn: Option<&str>, attr: &str, sub: Option<&str>) {
    let parsed = AttrPath::parse(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(
        (
            parsed.urn.as_deref(),
            parsed.attr.as_str(),
            parsed.sub_attr.as_deref()
        ),
        (urn, attr, sub)
    );
}

#[rstest]
#[case::plain("userName", None, "userName", None)]
#[case::sub("name.givenName", None, "name", Some("givenName"))]
#[case::dollar_ref("members.$ref", None, "members", Some("$ref"))]
#[case::dash_underscore("x-custom_attr2", None, "x-custom_attr2", None)]
#[case::core_urn(
    "urn:ietf:params:scim:schemas:core:2.0:User:userName",
    Some("urn:ietf:params:scim:schemas:core:2.0:User"),
    "userName",
    None
)]
#[case::core_urn_canonicalised(
    "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:userName",
    Some("urn:ietf:params:scim:schemas:core:2.0:User"),
    "userName",
    None
)]
#[case::enterprise_sub(
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
    "manager",
    Some("value")
)]
#[case::extension_only(
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
    "",
    None
)]
#[case::custom_extension(
    "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag",
    Some("urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"),
    "tag",
    None
)]
fn attr_paths(
    #[case] path: &str,
    #[case] urn: Option<&str>,
    #[case] attr: &str,
    #[case] sub: Option<&str>,
) {
    check(path, urn, attr, sub);
}

#[track_caller]
fn check_err(path: &str, detail: &str) {
    let err = AttrPath::parse(path).expect_err(path);
    assert_eq!(
        (err.scim_type, err.detail.as_str()),
        (Some(ScimType::InvalidPath), detail)
    );
}

#[rstest]
#[case::empty(
    "",
    "invalid path `` at character 1: expected an attribute name, found end of input"
)]
#[case::digit(
    "1abc",
    "invalid path `1abc` at character 1: expected an attribute name, found `1`"
)]
#[case::dangling_dot(
    "name.",
    "invalid path `name.` at character 6: expected an attribute name, found end of input"
)]
#[case::two_levels(
    "name.given.more",
    "invalid path `name.given.more` at character 11: unexpected `.`"
)]
#[case::filter_not_allowed(
    r#"emails[type eq "work"]"#,
    "invalid path `emails[type eq \"work\"]` at character 7: unexpected `[`"
)]
#[case::bare_urn(
    "urn:",
    "invalid path `urn:` at character 1: malformed schema urn `urn`"
)]
fn attr_path_errors(#[case] path: &str, #[case] detail: &str) {
    check_err(path, detail);
}

#[test]
fn patch_paths() {
    let p = PatchPath::parse(r#"members[value eq "2819c223"]"#).unwrap();
    assert_eq!(p.attr, AttrPath::new("members"));
    assert_eq!(p.filter.unwrap().to_string(), r#"value eq "2819c223""#);
    assert_eq!(p.sub_attr, None);

    let p = PatchPath::parse(r#"emails[type eq "work"].value"#).unwrap();
    assert_eq!(p.attr, AttrPath::new("emails"));
    assert_eq!(p.filter.unwrap().to_string(), r#"type eq "work""#);
    assert_eq!(p.sub_attr.as_deref(), Some("value"));

    let p = PatchPath::parse(r#"emails[value eq "a]b"]"#).unwrap();
    assert_eq!(p.filter.unwrap().to_string(), r#"value eq "a]b""#);

    let p = PatchPath::parse("name.givenName").unwrap();
    assert_eq!(
        (
            p.attr.attr.as_str(),
            p.attr.sub_attr.as_deref(),
            p.filter,
            p.sub_attr
        ),
        ("name", Some("givenName"), None, None)
    );

    let p =
        PatchPath::parse(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"#)
            .unwrap();
    assert_eq!(
        p.attr.urn.as_deref(),
        Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    );
}

#[track_caller]
fn check_patch_err(path: &str, detail: &str) {
    let err = PatchPath::parse(path).expect_err(path);
    assert_eq!(
        (err.scim_type, err.detail.as_str()),
        (Some(ScimType::InvalidPath), detail)
    );
}

#[rstest]
#[case::unclosed(
    r#"emails[type eq "work""#,
    "invalid path `emails[type eq \"work\"` at character 22: expected `]`, found end of input"
)]
#[case::trailing(r#"emails[type eq "work"]x"#, "invalid path `emails[type eq \"work\"]x` at character 23: expected `.` or end of path, found `x`")]
#[case::sub_then_filter(r#"name.givenName[value eq "x"]"#, "invalid path `name.givenName[value eq \"x\"]` at character 15: a value filter must follow a top-level attribute")]
#[case::bad_operator(r#"members[value is "x"]"#, "invalid path `members[value is \"x\"]` at character 15: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or pr, found `is`")]
#[case::nested(
    r#"emails[type[value eq "x"]]"#,
    "invalid path `emails[type[value eq \"x\"]]` at character 12: value filters cannot be nested"
)]
#[case::space(
    r#"display name"#,
    "invalid path `display name` at character 8: expected `[` or end of path, found ` `"
)]
#[case::two_subs(r#"emails[type eq "work"].value.x"#, "invalid path `emails[type eq \"work\"].value.x` at character 29: expected end of path, found `.`")]
fn patch_path_errors(#[case] path: &str, #[case] detail: &str) {
    check_patch_err(path, detail);
}
