//! Unit tests for the filter parser and evaluator internals.

use super::eval::is_present;
use super::*;

#[test]
fn datetimes_parse_to_the_same_instant() {
    let z = parse_datetime("2011-05-13T04:42:34Z").unwrap();
    assert_eq!(z, (1_305_261_754, 0));
    assert_eq!(parse_datetime("2011-05-13T06:42:34+02:00"), Some(z));
    assert_eq!(parse_datetime("2011-05-12T23:42:34-05:00"), Some(z));
    assert_eq!(
        parse_datetime("2011-05-13T04:42:34"),
        Some(z),
        "no offset reads as UTC (Okta)"
    );
    assert_eq!(parse_datetime("2011-05-13t04:42:34z"), Some(z));
    assert_eq!(
        parse_datetime("2018-03-27T19:59:26.000Z"),
        Some((1_522_180_766, 0))
    );
    assert_eq!(
        parse_datetime("1970-01-01T00:00:00.5Z"),
        Some((0, 500_000_000))
    );
    assert_eq!(parse_datetime("1969-12-31T23:59:59Z"), Some((-1, 0)));
    assert_eq!(
        parse_datetime("2000-02-29T00:00:00Z"),
        Some((951_782_400, 0))
    );
}

#[test]
fn malformed_datetimes_are_rejected() {
    for s in [
        "",
        "2011-05-13",
        "2011-13-13T04:42:34Z",
        "2011-05-13T24:00:00Z",
        "2011-05-13T04:42:34.Z",
        "2011-05-13T04:42:34+0200",
        "2011-05-13T04:42:34Zjunk",
        "04-12-2018 00:00:00",
        "2011-05-13T04:4é:34Z",
    ] {
        assert_eq!(parse_datetime(s), None, "{s}");
    }
}

#[test]
fn char_positions_count_characters() {
    assert_eq!(char_pos("abc", 0), 1);
    assert_eq!(char_pos("abc", 3), 4);
    assert_eq!(char_pos("é x", 3), 3);
    assert_eq!(char_pos("abc", 99), 4);
}

#[test]
fn found_token_is_shortened() {
    let long = format!("userName eq {}", "x".repeat(100));
    let p = Parser::new(&long, 12);
    let found = p.found_at(12);
    assert_eq!(found, format!("`{}…`", "x".repeat(40)));
    assert_eq!(Parser::new("a", 1).found_at(1), "end of input");
    assert_eq!(Parser::new("a)", 1).found_at(1), "`)`");
}

#[test]
fn compare_ops_parse_in_any_case() {
    assert_eq!(CompareOp::parse("EQ"), Some(CompareOp::Eq));
    assert_eq!(CompareOp::parse("Le"), Some(CompareOp::Le));
    assert_eq!(CompareOp::parse("pr"), None);
    assert_eq!(CompareOp::parse("equals"), None);
}

#[test]
fn presence_of_empty_values() {
    assert!(!is_present(&serde_json::json!("")));
    assert!(!is_present(&serde_json::json!([])));
    assert!(!is_present(&serde_json::json!({"value": null})));
    assert!(is_present(&serde_json::json!({"value": "x"})));
    assert!(is_present(&serde_json::json!(false)));
}

#[test]
fn matches_element_uses_sub_attribute_definitions() {
    let emails = ResourceSchema::user().core_attribute("emails").unwrap();
    let f = Filter::parse(r#"type eq "WORK" and primary eq true"#).unwrap();
    assert!(f.matches_element(
        &serde_json::json!({"type": "work", "primary": "True"}),
        emails
    ));
    assert!(!f.matches_element(&serde_json::json!({"type": "work"}), emails));
}
