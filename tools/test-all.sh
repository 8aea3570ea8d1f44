#!/usr/bin/env bash
# Every test of the project: pure-crate isolation, unit and integration tests
# (including the lavapipe render test), lints, fuzzing, the web bundle and
# the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
started=$(date +%s)
step() { printf '\n== [%s s] %s\n' "$(($(date +%s) - started))" "$*"; }

# Shared test data (never copied into the repository): $SONTINH_SHARED_DATA,
# else ../shared/data beside the repository, else a clear message.
if [ -z "${SONTINH_SHARED_DATA:-}" ]; then
  if [ -d ../shared/data ]; then
    SONTINH_SHARED_DATA="$(cd ../shared/data && pwd)"
    export SONTINH_SHARED_DATA
  else
    echo "error: the shared test data is absent: set SONTINH_SHARED_DATA or put it in ../shared/data beside the repository" >&2
    exit 1
  fi
fi


step "pure crates stay free of GPU/UI crates"
tools/check-pure-crates.sh

step "tour narration: captions against the stops' texts and their audio"
python3 tests/tours/check_tour_audio.py

# The web bundle builds in the background while the native tests run: the
# two builds share no target folder, and the native tests leave cores idle
# (linking, waits on brokers and renders). It runs niced, in its own process
# group, so the tests' deadlines keep their CPU. Its log is shown when it ends.
web_log="${CARGO_TARGET_DIR:-target}/build-web.log"
mkdir -p "$(dirname "$web_log")"
step "the web bundles, WebGL2 and WebGPU (quick test profile), start building in the background: $web_log"
setsid nice -n 10 tools/build-web.sh --backend both >"$web_log" 2>&1 &
web_pid=$!
trap 'kill -- -"$web_pid" 2>/dev/null || true' EXIT

# One `cargo test` for the whole workspace: testing the pure crates alone
# first would build their dependencies a second time with other features
# (Cargo unifies features per invocation), 4.6 minutes of a cold CI run.
step "tests"
cargo test --workspace

step "the web bundles (quick test profile: the app built for wasm32, WebGL2 and WebGPU)"
if ! wait "$web_pid"; then
  cat "$web_log"
  echo "error: tools/build-web.sh failed (log above)" >&2
  exit 1
fi
tail -n 20 "$web_log"

# Lints and fuzzing run in the background, at the lowest priority, while
# the browser tests run: those wait on pages and leave cores idle, and the
# two use no target folder the browser tests touch (fuzzing has its own).
# Each log is shown when it ends; a failure fails the run after the
# browser tests.
logs="${CARGO_TARGET_DIR:-target}"
lint_log="$logs/clippy.log" fuzz_log="$logs/fuzz.log"
step "lints and fuzzing (libFuzzer on stable, ${SONTINH_FUZZ_SECONDS:-25} s per target) start in the background: $lint_log, $fuzz_log"
setsid nice -n 19 cargo clippy --workspace --all-targets -- -D warnings >"$lint_log" 2>&1 &
lint_pid=$!
# 25 s per target (two at once): the seeds cover every format's paths;
# longer campaigns are `tools/fuzz.sh SECONDS`.
setsid nice -n 19 tools/fuzz.sh "${SONTINH_FUZZ_SECONDS:-25}" >"$fuzz_log" 2>&1 &
fuzz_pid=$!
trap 'kill -- -"$lint_pid" -"$fuzz_pid" 2>/dev/null || true' EXIT

step "the browser tests (Chromium: WebGL2, and WebGPU for every scene)"
# The sontinh binary the browser tests serve with was built by `cargo test
# --workspace` above (its integration tests run it); building it alone would
# build Bevy again with other features (dev-dependencies unify only in tests).
node tests/browser/run.mjs
# A base map's PMTiles file read by range requests in the page.
node tests/browser/basemap.mjs

step "lints (cargo clippy -D warnings)"
if ! wait "$lint_pid"; then
  cat "$lint_log"
  echo "error: cargo clippy found problems (log above)" >&2
  exit 1
fi
tail -n 3 "$lint_log"

step "fuzzing"
if ! wait "$fuzz_pid"; then
  cat "$fuzz_log"
  echo "error: fuzzing failed (log above)" >&2
  exit 1
fi
trap - EXIT
sed -n '/== fuzzing summary/,$p' "$fuzz_log"

step "all tests passed"
