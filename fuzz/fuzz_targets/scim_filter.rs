//! The SCIM filter parser (RFC 7644 §3.4.2.2) on arbitrary text: parse for both resource
//! types and for each one, and evaluate what parses against a sample user and group.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim::filter::Filter;
use scim::schema::ResourceSchema;
use scim_harness_fuzz::{sample_group, sample_user};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(filter) = Filter::parse(text) {
        let user = sample_user();
        let group = sample_group();
        let _ = filter.matches(&user, ResourceSchema::user());
        let _ = filter.matches(&group, ResourceSchema::group());
        let _ = filter.as_simple_eq();
        // The canonical form is parsed again, as a server echoing a filter would.
        let _ = Filter::parse(&filter.to_string());
    }
    let _ = Filter::parse_for(text, ResourceSchema::user());
    let _ = Filter::parse_for(text, ResourceSchema::group());
});
