//! Whole-process tests of the `scim-harness` binary.

mod browser;
mod cleanup_process;
mod cli_process;
mod faults_process;
mod idp_serve_process;
mod interrupt_process;
mod linked_libraries;
mod load_process;
mod login_process;
mod profiles_process;
mod replay_process;
mod report_process;
mod run_process;
mod saml_process;
mod serve_process;
mod sync_process;
mod target_process;
mod tls_process;
