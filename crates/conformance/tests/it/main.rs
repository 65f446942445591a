//! Integration tests of the conformance crate: the scenario loader, the catalogue, the
//! committed JSON Schema, profiles and baselines, and the runner's ordering of exclusive cases.

mod catalogue;
mod exclusive;
mod loader;
mod profile;
mod schema;
