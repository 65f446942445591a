//! Integration tests for the reference target, over a real loopback socket (reqwest)
//! and through the router (`tower::ServiceExt::oneshot`).

mod app_api;
mod config;
mod discovery;
mod errors;
mod faults;
mod faults_captured;
mod faults_identity;
mod faults_interop;
mod faults_role;
mod home_page;
mod limits;
mod logs;
mod namespace;
mod saml_login;
mod scim_groups;
mod scim_users;
mod serve;
mod support;
