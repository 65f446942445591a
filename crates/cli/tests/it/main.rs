//! Whole-process tests of the `scim-harness` binary.

mod serve_process;
mod target_process;
