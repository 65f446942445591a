//! The profile loader on arbitrary text, as a `--profile` file would be read: TOML into
//! the profile model and its checks, then what the runner asks of a loaded profile.
#![no_main]

use conformance::{Profile, ProfileNeed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut profile) = Profile::parse(text, "fixtures/profiles/fuzz.toml") else {
        return;
    };
    for need in [
        ProfileNeed::Saml,
        ProfileNeed::ConfigApi,
        ProfileNeed::TeamSync,
        ProfileNeed::CreateUser,
        ProfileNeed::TeamProbe,
        ProfileNeed::UserProbe,
        ProfileNeed::EnterpriseExtension,
        ProfileNeed::ExternalIdRequired,
    ] {
        let _ = profile.provides(need);
    }
    let _ = profile.scim_base(None);
    let _ = profile.tls_files();
    let _ = profile.set_namespace("fuzz-1");
});
