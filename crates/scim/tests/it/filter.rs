//! Filters (RFC 7644 §3.4.2.2): operators, logic, value paths, URNs, errors.

use rstest::rstest;
use scim::filter::Filter;
use scim::schema::ResourceSchema;
use scim::ScimType;

use crate::fixtures::{json, BJENSEN, ENTRA_USER};

#[track_caller]
fn check(filter: &str, expect: bool) {
    let parsed = Filter::parse(filter).unwrap_or_else(|e| panic!("`{filter}` did not parse: {e}"));
    let user = json(BJENSEN);
    assert_eq!(
        parsed.matches(&user, ResourceSchema::user()),
        expect,
        "{filter}  parsed as  {parsed}"
    );
}

#[rstest]
// eq, caseExact=false attributes
#[case::eq_username(r#"userName eq "bjensen@example.com""#, true)]
#[case::eq_username_other_case(r#"userName eq "BJENSEN@Example.COM""#, true)]
#[case::eq_username_other(r#"userName eq "alice@example.com""#, false)]
#[case::eq_display_name_case(r#"displayName eq "babs jensen""#, true)]
#[case::eq_given_name_case(r#"name.givenName eq "BARBARA""#, true)]
// eq, caseExact=true attributes
#[case::eq_id(r#"id eq "2819c223-7f76-453a-919d-413861904646""#, true)]
#[case::eq_id_other_case(r#"id eq "2819C223-7F76-453A-919D-413861904646""#, false)]
#[case::eq_external_id(r#"externalId eq "Ext-701984""#, true)]
#[case::eq_external_id_other_case(r#"externalId eq "ext-701984""#, false)]
// ne
#[case::ne_username(r#"userName ne "alice@example.com""#, true)]
#[case::ne_username_same_other_case(r#"userName ne "BJENSEN@example.com""#, false)]
#[case::ne_external_id_other_case(r#"externalId ne "ext-701984""#, true)]
#[case::ne_absent_attribute(r#"nickName ne "Babs""#, true)]
#[case::ne_multi_valued_any_equal(r#"emails.type ne "home""#, false)]
// co sw ew
#[case::co_family_name(r#"name.familyName co "ens""#, true)]
#[case::co_family_name_case(r#"name.familyName co "ENS""#, true)]
#[case::co_external_id_case(r#"externalId co "ext""#, false)]
#[case::co_external_id(r#"externalId co "Ext""#, true)]
#[case::sw_username(r#"userName sw "BJ""#, true)]
#[case::sw_username_no(r#"userName sw "jensen""#, false)]
#[case::sw_id_case(r#"id sw "2819C""#, false)]
#[case::ew_username(r#"userName ew "EXAMPLE.COM""#, true)]
#[case::ew_external_id(r#"externalId ew "984""#, true)]
#[case::co_absent(r#"nickName co "a""#, false)]
// gt ge lt le on strings: lexical, case-folded when caseExact=false
#[case::gt_string(r#"userName gt "a""#, true)]
#[case::gt_string_no(r#"userName gt "c""#, false)]
#[case::gt_string_case_folded(r#"title gt "TOUR""#, true)]
#[case::ge_string_equal(r#"userName ge "BJENSEN@EXAMPLE.COM""#, true)]
#[case::lt_string(r#"userName lt "c""#, true)]
#[case::le_string_equal(r#"userName le "bjensen@example.com""#, true)]
#[case::lt_id_case_exact(r#"id lt "3""#, true)]
#[case::gt_external_id_case_exact(r#"externalId gt "Ext""#, true)]
#[case::ge_external_id_uppercase_sorts_first(r#"externalId ge "ext""#, false)]
#[case::le_external_id_uppercase_sorts_first(r#"externalId le "ext""#, true)]
#[case::lt_username_case_folded(r#"userName lt "C""#, true)]
// gt ge lt le on dateTime: chronological
#[case::gt_datetime(r#"meta.lastModified gt "2011-05-13T04:42:33Z""#, true)]
#[case::gt_datetime_equal(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false)]
#[case::ge_datetime_equal(r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true)]
#[case::lt_datetime_offset_is_same_instant(
    r#"meta.lastModified lt "2011-05-13T06:42:34+02:00""#,
    false
)]
#[case::le_datetime_offset(r#"meta.lastModified le "2011-05-13T06:42:34+02:00""#, true)]
#[case::eq_datetime_chronological(r#"meta.lastModified eq "2011-05-13T06:42:34.000+02:00""#, true)]
#[case::lt_datetime_fraction(r#"meta.created lt "2010-01-23T04:56:22.5Z""#, true)]
#[case::gt_datetime_lexically_smaller(r#"meta.created gt "2010-01-23T05:00:00+01:00""#, true)]
// numbers
#[case::gt_number(r#"loginCount gt 5"#, true)]
#[case::eq_number(r#"loginCount eq 7"#, true)]
#[case::le_decimal(r#"loginCount le 6.5"#, false)]
#[case::eq_number_vs_string(r#"loginCount eq "7""#, false)]
// booleans
#[case::eq_true(r#"active eq true"#, true)]
#[case::eq_false(r#"active eq false"#, false)]
#[case::ne_false(r#"active ne false"#, true)]
#[case::eq_true_upper(r#"active eq TRUE"#, true)]
#[case::eq_primary_in_value_path(r#"emails[primary eq true].type eq "work""#, true)]
// null
#[case::eq_null_absent(r#"nickName eq null"#, true)]
#[case::eq_null_present(r#"title eq null"#, false)]
#[case::ne_null_present(r#"title ne null"#, true)]
// pr
#[case::pr_title(r#"title pr"#, true)]
#[case::pr_absent(r#"nickName pr"#, false)]
#[case::pr_multi_valued(r#"emails pr"#, true)]
#[case::pr_complex(r#"name pr"#, true)]
#[case::pr_sub_attribute_absent(r#"name.middleName pr"#, false)]
#[case::pr_enterprise_manager(
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager pr"#,
    true
)]
// multi-valued: any value matches
#[case::multi_value_second(r#"emails.value eq "babs@jensen.org""#, true)]
#[case::multi_type(r#"emails.type eq "home""#, true)]
#[case::multi_complex_without_sub_uses_value(r#"emails co "jensen.org""#, true)]
#[case::multi_none(r#"emails.value ew "@nowhere.org""#, false)]
#[case::schemas_eq(
    r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
    true
)]
// and / or / not / grouping / precedence
#[case::and_both(r#"title pr and userType eq "Employee""#, true)]
#[case::and_one(r#"title pr and userType eq "Intern""#, false)]
#[case::or_one(r#"userType eq "Intern" or title pr"#, true)]
#[case::and_binds_tighter_than_or(r#"title pr or userType eq "Intern" and nickName pr"#, true)]
#[case::grouping_changes_precedence(r#"(title pr or userType eq "Intern") and nickName pr"#, false)]
#[case::not_absent(r#"not (nickName pr)"#, true)]
#[case::not_without_space(r#"not(title pr)"#, false)]
#[case::rfc_not_example(
    r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
    false
)]
#[case::rfc_grouping_example(
    r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
    true
)]
#[case::nested_groups(r#"((userName sw "bj") and ((title ew "guide")))"#, true)]
#[case::extra_whitespace("  userName   eq\t\"bjensen@example.com\"   and  title pr ", true)]
// value paths
#[case::value_path_and(r#"emails[type eq "work" and value co "@example.com"]"#, true)]
#[case::value_path_same_element(r#"emails[type eq "home" and value co "@example.com"]"#, false)]
#[case::value_path_or(r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#, true)]
#[case::value_path_not(r#"emails[not (type eq "work")]"#, true)]
#[case::value_path_entra_sub_attribute(
    r#"emails[type eq "work"].value eq "bjensen@example.com""#,
    true
)]
#[case::value_path_entra_sub_attribute_other_type(
    r#"emails[type eq "home"].value eq "bjensen@example.com""#,
    false
)]
#[case::value_path_in_and(
    r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
    true
)]
// URN-prefixed paths
#[case::urn_core_username(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bj""#, true)]
#[case::urn_core_upper(
    r#"URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:USERNAME eq "bjensen@example.com""#,
    true
)]
#[case::urn_enterprise(
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
    true
)]
#[case::urn_enterprise_case_folded(
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations""#,
    true
)]
#[case::urn_enterprise_sub_attribute(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#, true)]
#[case::urn_core_wrong_place(
    r#"urn:ietf:params:scim:schemas:core:2.0:User:employeeNumber eq "701984""#,
    false
)]
#[case::manager_unprefixed_complex_uses_value(
    r#"manager eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
    true
)]
// case-insensitive names and operators
#[case::names_and_ops_upper(r#"USERNAME EQ "bjensen@example.com""#, true)]
#[case::mixed_case_sub_attribute(r#"Name.GivenName Eq "barbara""#, true)]
#[case::pr_upper(r#"title PR"#, true)]
#[case::or_upper(r#"userName eq "x" OR title pr"#, true)]
#[case::not_and_upper(r#"NOT (title pr) AND title pr"#, false)]
// literals
#[case::string_unicode_escape(r#"displayName eq "Babs\u0020Jensen""#, true)]
#[case::string_escaped_quote(r#"title eq "Tour \"Guide\"""#, false)]
#[case::negative_number(r#"loginCount gt -1.5e2"#, true)]
fn filter_matches(#[case] filter: &str, #[case] expect: bool) {
    check(filter, expect);
}

#[test]
fn entra_1_1_test_connection_and_1_2_lookup() {
    let user = json(ENTRA_USER);
    let hit =
        Filter::parse(r#"userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee""#).unwrap();
    let miss = Filter::parse(r#"userName eq "7d420df3-9995-4831-a406-ecf8166f5f6a""#).unwrap();
    let external =
        Filter::parse(r#"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef""#).unwrap();
    assert!(hit.matches(&user, ResourceSchema::user()));
    assert!(!miss.matches(&user, ResourceSchema::user()));
    assert!(external.matches(&user, ResourceSchema::user()));
}

#[test]
fn group_display_name_is_case_insensitive() {
    let group = json(crate::fixtures::GROUP);
    let f = Filter::parse(r#"displayName eq "test scimv2""#).unwrap();
    assert!(f.matches(&group, ResourceSchema::group()));
    let m = Filter::parse(r#"members[value eq "u1091"]"#).unwrap();
    assert!(m.matches(&group, ResourceSchema::group()));
    let m = Filter::parse(r#"members[value eq "U1091"]"#).unwrap();
    assert!(
        !m.matches(&group, ResourceSchema::group()),
        "member values are ids: caseExact"
    );
}

#[track_caller]
fn check_canonical(filter: &str, canonical: &str) {
    let parsed = Filter::parse(filter).unwrap_or_else(|e| panic!("`{filter}` did not parse: {e}"));
    assert_eq!(parsed.to_string(), canonical);
}

#[rstest]
#[case::and_over_or(
    r#"a eq "1" or b eq "2" and c eq "3""#,
    r#"(a eq "1" or (b eq "2" and c eq "3"))"#
)]
#[case::and_left_assoc(r#"a pr and b pr and c pr"#, r#"((a pr and b pr) and c pr)"#)]
#[case::or_left_assoc(r#"a pr or b pr or c pr"#, r#"((a pr or b pr) or c pr)"#)]
#[case::grouping(r#"(a pr or b pr) and c pr"#, r#"((a pr or b pr) and c pr)"#)]
#[case::not_binds_to_group(r#"not (a pr) and b pr"#, r#"(not (a pr) and b pr)"#)]
#[case::ops_lowercased(r#"userName EQ "x""#, r#"userName eq "x""#)]
#[case::value_path(
    r#"emails[type eq "work" and value co "@x"]"#,
    r#"emails[(type eq "work" and value co "@x")]"#
)]
#[case::entra_value_path_sub(
    r#"emails[type eq "work"].value eq "a@b""#,
    r#"emails[(type eq "work" and value eq "a@b")]"#
)]
#[case::urn(
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr"#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr"#
)]
#[case::literals(
    r#"a eq true or b eq null or c gt 1.5"#,
    r#"((a eq true or b eq null) or c gt 1.5)"#
)]
#[case::escapes_decoded(r#"a eq "q\"\u00e9""#, "a eq \"q\\\"é\"")]
fn filter_structure(#[case] filter: &str, #[case] canonical: &str) {
    check_canonical(filter, canonical);
}

#[track_caller]
fn check_err(filter: &str, detail: &str) {
    let err = Filter::parse(filter).expect_err(filter);
    assert_eq!(err.status, 400);
    assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
    assert_eq!(err.detail, detail);
}

#[rstest]
#[case::empty("", "at character 1: expected a filter, found end of input")]
#[case::blank("   ", "at character 4: expected a filter, found end of input")]
#[case::unknown_operator(r#"userName foo "x""#, "at character 10: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or pr, found `foo`")]
#[case::missing_operator("userName", "at character 9: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or pr, found end of input")]
#[case::missing_value("userName eq", "at character 12: expected a value (a string in double quotes, a number, true, false or null), found end of input")]
#[case::unterminated_string(r#"userName eq "abc"#, "at character 13: unterminated string value")]
#[case::bad_escape(
    r#"userName eq "\q""#,
    "at character 13: invalid string value: invalid escape"
)]
#[case::entra_unquoted_values("id eq 54D382A4-2050-4C03-94D1-E769F1D15682 and manager eq 2819c223-7f76-453a-919d-413861904646", "at character 7: expected a value (a string in double quotes, a number, true, false or null), found `54D382A4-2050-4C03-94D1-E769F1D15682`; string values must be in double quotes")]
#[case::entra_unquoted_external_id("externalId eq jyoung", "at character 15: expected a value (a string in double quotes, a number, true, false or null), found `jyoung`; string values must be in double quotes")]
#[case::unclosed_group(
    r#"(userName eq "x""#,
    "at character 17: expected `)` closing the `(` at character 1, found end of input"
)]
#[case::unbalanced_close(r#"userName eq "x")"#, "at character 16: unbalanced `)`")]
#[case::dangling_and(
    r#"userName eq "x" and"#,
    "at character 20: expected an attribute path, found end of input"
)]
#[case::dangling_or(
    r#"userName eq "x" or "#,
    "at character 20: expected an attribute path, found end of input"
)]
#[case::unclosed_value_path(
    r#"emails[type eq "work""#,
    "at character 22: expected `]` closing the `[` at character 7, found end of input"
)]
#[case::nested_value_path(
    r#"emails[type[value eq "x"]]"#,
    "at character 12: value filters cannot be nested"
)]
#[case::value_path_after_sub_attribute(
    r#"name.givenName[value eq "x"]"#,
    "at character 15: a value filter must follow an attribute name, not a sub-attribute"
)]
#[case::gt_boolean_literal(
    "active gt true",
    "at character 8: operator `gt` cannot compare booleans"
)]
#[case::co_boolean_literal(
    "title co false",
    "at character 7: operator `co` cannot compare booleans"
)]
#[case::gt_boolean_attribute(
    r#"active gt "a""#,
    "at character 8: operator `gt` is not defined for boolean attribute `active`"
)]
#[case::le_boolean_sub_attribute(
    r#"emails[primary le "x"]"#,
    "at character 16: operator `le` is not defined for boolean attribute `primary`"
)]
#[case::lt_binary_attribute(
    r#"x509Certificates.value lt "a""#,
    "at character 24: operator `lt` is not defined for binary attribute `x509Certificates.value`"
)]
#[case::co_number("userName co 5", "at character 13: operator `co` needs a string value")]
#[case::gt_null(
    "userName gt null",
    "at character 13: operator `gt` cannot compare with null"
)]
#[case::not_without_group(
    r#"not userName eq "x""#,
    "at character 5: expected `(` after `not` at character 1, found `userName`"
)]
#[case::unknown_logical(
    r#"userName eq "x" xor title pr"#,
    "at character 17: expected `and`, `or` or end of filter, found `xor`"
)]
#[case::attribute_starts_with_digit(
    r#"123 eq "x""#,
    "at character 1: expected an attribute path, found `123`"
)]
#[case::no_space_before_operator(r#"userName"x""#, "at character 9: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or pr after the attribute path, found `\"x\"`")]
#[case::position_counts_characters_not_bytes(
    r#"displayName eq "é" foo"#,
    "at character 20: expected `and`, `or` or end of filter, found `foo`"
)]
#[case::schema_urn_alone(
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User eq "x""#,
    "at character 1: expected an attribute after the schema urn"
)]
#[case::dot_without_sub_attribute(
    r#"name. eq "x""#,
    "at character 6: expected an attribute name, found ` `"
)]
fn filter_errors(#[case] filter: &str, #[case] detail: &str) {
    check_err(filter, detail);
}

#[test]
fn filter_error_for_deep_nesting() {
    let deep = format!("{}title pr{}", "(".repeat(500), ")".repeat(500));
    let err = Filter::parse(&deep).unwrap_err();
    assert_eq!(
        err.detail,
        "at character 65: filter nested deeper than 64 levels"
    );
    let ok = format!("{}title pr{}", "(".repeat(60), ")".repeat(60));
    assert!(Filter::parse(&ok).is_ok());
}

#[test]
fn filter_error_for_too_many_terms() {
    let long = vec!["title pr"; 1001].join(" and ");
    let err = Filter::parse(&long).unwrap_err();
    assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
    assert!(
        err.detail
            .ends_with("filter has more than 1000 comparisons"),
        "{}",
        err.detail
    );
}

#[test]
fn parse_for_checks_against_one_schema() {
    // `active` is boolean in User; a Group has no `active`, so the Group parse allows it.
    assert!(Filter::parse_for(r#"active gt "a""#, ResourceSchema::user()).is_err());
    assert!(Filter::parse_for(r#"active gt "a""#, ResourceSchema::group()).is_ok());
}

#[track_caller]
fn check_simple_eq(filter: &str, expect: Option<(&str, &str)>) {
    let parsed = Filter::parse(filter).unwrap();
    assert_eq!(parsed.as_simple_eq(), expect, "{filter}");
}

#[rstest]
#[case::username(r#"userName eq "x""#, Some(("userName", "x")))]
#[case::username_upper(r#"USERNAME eq "Alice""#, Some(("userName", "Alice")))]
#[case::username_urn(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x""#, Some(("userName", "x")))]
#[case::group_display_name(r#"displayName eq "Admins""#, Some(("displayName", "Admins")))]
#[case::group_urn(r#"urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "g""#, Some(("displayName", "g")))]
#[case::external_id(r#"externalid eq "e""#, Some(("externalId", "e")))]
#[case::id(r#"id eq "i""#, Some(("id", "i")))]
#[case::and(r#"userName eq "x" and title pr"#, None)]
#[case::ne(r#"userName ne "x""#, None)]
#[case::sub_attribute(r#"name.givenName eq "x""#, None)]
#[case::multi_valued(r#"emails eq "x""#, None)]
#[case::enterprise(
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1""#,
    None
)]
#[case::not_a_string("active eq true", None)]
#[case::unknown_attribute(r#"foo eq "x""#, None)]
#[case::value_path(r#"emails[value eq "x"]"#, None)]
fn simple_eq(#[case] filter: &str, #[case] expect: Option<(&str, &str)>) {
    check_simple_eq(filter, expect);
}
