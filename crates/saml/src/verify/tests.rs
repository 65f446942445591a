//! The validity edges at the clock skew and the DOCTYPE byte scan.

use super::*;
use time::macros::datetime;

const T: OffsetDateTime = datetime!(2030-01-01 00:00:00 UTC);
const S: Duration = Duration::seconds(60);

#[test]
fn not_before_edge_is_inclusive_at_the_skew() {
    assert!(check_not_before("c", T + S, T, S).is_ok());
    assert!(check_not_before("c", T + S + Duration::SECOND, T, S).is_err());
    assert!(check_not_before("c", T + S - Duration::SECOND, T, S).is_ok());
}

#[test]
fn not_on_or_after_edge_is_exclusive_at_the_skew() {
    assert!(check_not_on_or_after("c", T - S, T, S).is_err());
    assert!(check_not_on_or_after("c", T - S + Duration::SECOND, T, S).is_ok());
    assert!(check_not_on_or_after("c", T - S - Duration::SECOND, T, S).is_err());
}

#[test]
fn doctype_scan_ignores_case() {
    assert!(contains_ignore_ascii_case(b"x<!doctype r>", b"<!DOCTYPE"));
    assert!(!contains_ignore_ascii_case(b"<r/>", b"<!DOCTYPE"));
}
