//! The PATCH path parser (RFC 7644 §3.5.2) on arbitrary text, and every operation kind
//! with that path applied to a sample user and group (path resolution, value filters,
//! the Entra element creation from `emails[type eq "work"].value`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim::model::PatchRequest;
use scim::patch::apply;
use scim::path::{AttrPath, PatchPath};
use scim::schema::ResourceSchema;
use scim_harness_fuzz::{sample_group, sample_user};
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    let _ = AttrPath::parse(path);
    if PatchPath::parse(path).is_err() {
        return;
    }
    for op in ["add", "replace", "remove"] {
        let request = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": op, "path": path, "value": "fuzz@example.test"},
                {"op": op, "path": path, "value": [{"value": "x", "type": "work", "primary": true}]}
            ]
        });
        let Ok(request) = serde_json::from_value::<PatchRequest>(request) else {
            return;
        };
        let mut user = sample_user();
        let _ = apply(&mut user, &request, ResourceSchema::user());
        let mut group = sample_group();
        let _ = apply(&mut group, &request, ResourceSchema::group());
    }
});
