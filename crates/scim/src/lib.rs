//! SCIM 2.0 wire model (RFC 7643/7644): resources, filters, PATCH, projection; no IO.
//!
//! Tolerant of every documented IdP dialect (Entra ID with and without
//! `aadOptscim062020`, Okta custom and OIN apps) while producing RFC-shaped output.

pub mod error;
pub mod filter;
pub mod model;
pub mod patch;
pub mod path;
pub mod projection;
pub mod schema;

pub use error::{ScimError, ScimType};
