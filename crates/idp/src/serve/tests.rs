//! `idp serve`'s set-up: sites and prefixes, and the admin-token rule.

use std::net::SocketAddr;

use super::{check_admin_token, ServeError};

#[test]
fn beyond_loopback_the_admin_token_is_required() {
    let any: SocketAddr = "0.0.0.0:7000".parse().unwrap();
    let lan: SocketAddr = "192.168.1.5:7000".parse().unwrap();
    let local: SocketAddr = "127.0.0.1:7000".parse().unwrap();
    let local6: SocketAddr = "[::1]:7000".parse().unwrap();
    assert!(matches!(
        check_admin_token(any, None),
        Err(ServeError::AdminTokenRequired(_))
    ));
    assert!(matches!(
        check_admin_token(lan, None),
        Err(ServeError::AdminTokenRequired(_))
    ));
    assert!(check_admin_token(any, Some("t")).is_ok());
    assert!(check_admin_token(local, None).is_ok());
    assert!(check_admin_token(local6, None).is_ok());
    let message = check_admin_token(any, None).unwrap_err().to_string();
    assert!(
        message.contains("--admin-token") && message.contains("0.0.0.0:7000"),
        "{message}"
    );
}

#[test]
fn page_text_is_escaped_for_text_and_quoted_attributes() {
    let escaped = super::page::escape(r#"<script>alert("x")</script> & 'y'"#);
    assert!(
        !escaped.contains('<') && !escaped.contains('"') && !escaped.contains('\''),
        "{escaped}"
    );
    assert!(
        escaped.contains("&amp;") && escaped.contains("&lt;script"),
        "{escaped}"
    );
}
