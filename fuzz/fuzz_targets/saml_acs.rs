//! The reference SP's ACS input: a `SAMLResponse` form value through base64, XML and the
//! verifier pinned to the test personas' certificates (`scim_harness_fuzz::acs_accept`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = std::str::from_utf8(data) {
        scim_harness_fuzz::acs_accept(value);
    }
});
