//! `scim-harness saml metadata` and `saml issue` as processes: a persona's SAML dialect
//! comes from idp's persona list, and an unknown persona names every known one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rstest::rstest;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/idp")
        .join(name)
}

fn saml(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scim-harness"))
        .arg("saml")
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("running scim-harness")
}

#[rstest]
#[case::entra_aadopt("entra-aadopt", "entra", "entityID=\"https://sts.windows.net/t-1/\"")]
#[case::okta_oin("okta-oin", "okta", "entityID=\"http://www.okta.com/t-1\"")]
#[case::rfc("rfc", "rfc", "entityID=\"https://idp.example.test/t-1\"")]
fn metadata_speaks_the_personas_dialect(
    #[case] persona: &str,
    #[case] key: &str,
    #[case] entity: &str,
) {
    let cert = fixture(&format!("{key}.cert.pem"));
    let cert = cert.to_str().unwrap();
    let out = saml(&[
        "metadata",
        "--persona",
        persona,
        "--cert",
        cert,
        "--tenant",
        "t-1",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(entity),
        "{out:?}"
    );
}

/// `--next-cert` lists a second signing certificate, which the reference target's own
/// metadata reader then trusts beside the first.
#[test]
fn metadata_lists_the_next_certificate_after_the_first() {
    let (current, next) = (fixture("okta.cert.pem"), fixture("rollover.cert.pem"));
    let out = saml(&[
        "metadata",
        "--persona",
        "okta",
        "--cert",
        current.to_str().unwrap(),
        "--next-cert",
        next.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let idp = reference_target::parse_idp_metadata(&String::from_utf8_lossy(&out.stdout))
        .expect("the reference target reads it");
    let pem = |p: &std::path::Path| saml::Certificate::from_pem_file(p).unwrap();
    assert_eq!(idp.certificates, vec![pem(&current), pem(&next)]);

    let missing = saml(&[
        "metadata",
        "--persona",
        "okta",
        "--cert",
        current.to_str().unwrap(),
        "--next-cert",
        "/nonexistent/next.pem",
    ]);
    assert!(!missing.status.success(), "{missing:?}");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/next.pem"));
}

#[rstest]
#[case::metadata(&["metadata", "--persona", "bogus", "--cert", "x.pem"])]
#[case::issue(&[
    "issue", "--persona", "bogus", "--key", "x", "--cert", "y",
    "--acs", "https://sp.test/acs", "--audience", "sp", "--name-id", "alice",
])]
fn an_unknown_persona_names_every_persona(#[case] args: &[&str]) {
    let out = saml(args);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "error: unknown persona `bogus` (expected entra, entra-aadopt, okta, okta-oin or rfc)"
    );
}
