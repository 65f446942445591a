//! Integration tests for the scim crate: one binary, one module per area.

mod filter;
mod fixtures;
mod model;
mod no_panic;
mod patch;
mod path;
mod projection;
mod schema;
