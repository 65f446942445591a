//! The scenario loader on arbitrary text, as a file under `scenarios/` would be read:
//! YAML into the scenario model, then the checks between its steps.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(loaded) = conformance::parse_scenario(text, "scenarios/users/fuzz.yaml", "users") {
        let _ = loaded.needs();
        let _ = loaded.needs_saml();
    }
});
