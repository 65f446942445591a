#!/usr/bin/env bash
# ci/install-harness.sh: installs scim-harness for a CI job, the one place every recipe in
# ci/ installs it (ci/README.md). The build needs no Debian package (the list `cargo xtask
# test` checks for the build, xtask/src/system_packages.rs, is empty; `cargo xtask
# ci-recipes` keeps the two equal) and the summary needs jq.
#
# SCIM_HARNESS_CI_SOURCE  a checkout of the harness (installed with --path), or a git URL
#                         (installed with --git); default: this script's own checkout
# SCIM_HARNESS_CI_REF     with a git URL: the branch or tag to install (default: the default branch)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source=${SCIM_HARNESS_CI_SOURCE:-$here/..}
ref=${SCIM_HARNESS_CI_REF:-}

# What the build needs (nothing), then what the CI scripts need (the summary and the wait).
build_packages=""
ci_packages="jq curl git ca-certificates"

if command -v apt-get >/dev/null 2>&1; then
    sudo=
    if [ "$(id -u)" != 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "install-harness: error: not root and no sudo: install $build_packages $ci_packages first" >&2
            exit 2
        fi
        sudo=sudo
    fi
    # shellcheck disable=SC2086 # the package lists are word lists
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        $build_packages $ci_packages
else
    echo "install-harness: note: no apt-get; the build needs $build_packages (or your system's equivalents) and the run needs $ci_packages" >&2
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "install-harness: error: cargo not found: use an image with a Rust toolchain (e.g. rust:1-bookworm) or install rustup" >&2
    exit 2
fi

if [ -d "$source" ]; then
    echo "install-harness: cargo install --locked --path $source/crates/scim-harness" >&2
    cargo install --locked --path "$source/crates/scim-harness"
else
    branch=()
    if [ -n "$ref" ]; then
        branch=(--branch "$ref")
    fi
    echo "install-harness: cargo install --locked --git $source ${branch[*]} scim-harness" >&2
    cargo install --locked --git "$source" "${branch[@]+"${branch[@]}"}" scim-harness
fi
scim_harness=$(command -v scim-harness || echo "${CARGO_HOME:-$HOME/.cargo}/bin/scim-harness")
"$scim_harness" --version
