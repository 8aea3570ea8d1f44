#!/usr/bin/env bash
# The browser bundle's figures: size per bundle (raw, brotli, gzip) of the
# size-tuned, wasm-opt'd release build, its biggest contributors (twiggy, on
# the module before wasm-opt strips its names), and the browser timings of
# tests/browser/run.mjs (navigation to first frame and to all layers ready,
# long main-thread tasks) on that bundle.
#
#   tools/bench-web.sh            (tens of minutes: two release builds of the app)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v twiggy >/dev/null || cargo install twiggy
tools/build-web.sh --release --backend both
target_root="${CARGO_TARGET_DIR:-target}"
for backend in webgl2 webgpu; do
  out=web/dist/$backend
  printf '%s: %s bytes raw, %s brotli, %s gzip\n' "$backend" \
    "$(stat -c %s "$out/sontinh_bg.wasm")" "$(stat -c %s "$out/sontinh_bg.wasm.br")" "$(stat -c %s "$out/sontinh_bg.wasm.gz")"
  named="$target_root/wasm/sontinh_web.$backend.web-release.wasm"
  echo "biggest contributors ($backend, before wasm-opt):"
  twiggy top -n 15 "$named"
done
cargo build -p sontinh
SONTINH_BROWSER_BACKENDS=webgl2,webgpu node tests/browser/run.mjs
