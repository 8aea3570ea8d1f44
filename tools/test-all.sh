#!/usr/bin/env bash
# Every test of the project: pure-crate isolation, unit and integration tests
# (including the lavapipe render test), lints, and the wasm check of the app.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
step() { printf '\n== %s\n' "$*"; }

step "pure crates stay free of GPU/UI crates"
tools/check-pure-crates.sh

step "tests (pure crates first: they fail fast)"
cargo test -p sontinh-geo -p sontinh-scene -p sontinh-procgen -p sontinh-flood -p sontinh-raster
cargo test --workspace

step "lints"
cargo clippy --workspace --all-targets -- -D warnings

step "the app compiles for the browser"
cargo check -p sontinh --target wasm32-unknown-unknown
echo; echo "all tests passed"
