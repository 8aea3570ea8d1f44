#!/usr/bin/env bash
# Builds the browser bundle into web/dist/: the viewer (engine/web) for
# wasm32-unknown-unknown, bound by the wasm-bindgen CLI at exactly the
# version in Cargo.lock, with the page (web/index.html, loader.js, style.css),
# pre-compressed (brotli and gzip) for `sontinh serve`.
#
#   tools/build-web.sh [--release] [--backend webgl2|webgpu|both]
#
# Default: the quick test profile (web-quick), WebGL2 only. --release builds
# the size-tuned profile (web-release) and runs wasm-opt -Oz on it. Bevy picks
# WebGL2 or WebGPU at compile time, so each back-end is its own bundle (in
# web/dist/webgl2/ and web/dist/webgpu/); the loader picks one in the browser.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=web-quick
backends=(webgl2)
while (($#)); do
  case "$1" in
    --release) profile=web-release ;;
    --backend)
      case "${2:-}" in
        webgl2|webgpu) backends=("$2") ;;
        both) backends=(webgl2 webgpu) ;;
        *) echo "error: --backend takes webgl2, webgpu or both (got '${2:-}')" >&2; exit 2 ;;
      esac
      shift ;;
    *) echo "error: unknown argument '$1'; usage: tools/build-web.sh [--release] [--backend webgl2|webgpu|both]" >&2; exit 2 ;;
  esac
  shift
done

step() { printf '\n== %s\n' "$*"; }
seconds() { date +%s; }

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly: their
# schemas differ between versions.
version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$version" ] || { echo "error: Cargo.lock names no wasm-bindgen" >&2; exit 1; }
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then
  step "installing wasm-bindgen-cli $version (the version in Cargo.lock)"
  # Not --locked: the CLI's own lockfile pins a webpki-roots release the registry no longer offers.
  cargo install wasm-bindgen-cli --version "$version"
fi
rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
for tool in brotli gzip; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing (tools/setup-debian.sh installs it)" >&2; exit 1; }
done
# wasm-opt: npm's binaryen 132 (web/package.json; it runs as JavaScript, so
# -Oz takes minutes): Debian's binaryen 108 cannot parse today's module
# (table.fill, from reference types, which rustc now emits).
wasm_opt=web/node_modules/.bin/wasm-opt
if [ "$profile" = web-release ] && [ ! -x "$wasm_opt" ]; then
  echo "error: $wasm_opt is missing (tools/setup-debian.sh installs web/'s npm packages)" >&2; exit 1
fi

target_root="${CARGO_TARGET_DIR:-target}"
quality=5; [ "$profile" = web-release ] && quality=11
dist=web/dist
mkdir -p "$dist"
manifest="{"
for backend in "${backends[@]}"; do
  features=()
  [ "$backend" = webgpu ] && features=(--features webgpu)
  # One target folder for both back-ends: Cargo keeps each feature set's
  # artifacts apart, so the second bundle rebuilds only the crates the
  # back-end changes (web-sys, wgpu and what sits on them), not serde, naga,
  # image or the data crates.
  target_dir="$target_root/wasm"
  step "building the $backend bundle ($profile)"
  t0=$(seconds)
  cargo build -p sontinh-web --lib --target wasm32-unknown-unknown --profile "$profile" "${features[@]}" --target-dir "$target_dir"
  # Copied out at once, named by back-end (tools/bench-web.sh reads it): the
  # next back-end's build writes the same path.
  wasm="$target_dir/sontinh_web.$backend.$profile.wasm"
  cp "$target_dir/wasm32-unknown-unknown/$profile/sontinh_web.wasm" "$wasm"
  out="$dist/$backend"
  rm -rf "$out"; mkdir -p "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name sontinh "$wasm"
  if [ "$profile" = web-release ]; then
    step "wasm-opt -Oz ($backend)"
    # The features rustc's wasm32 target emits (reference types and
    # multi-value are on by default since LLVM 19).
    "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
      --enable-reference-types --enable-multivalue \
      "$out/sontinh_bg.wasm" -o "$out/sontinh_bg.opt.wasm"
    mv "$out/sontinh_bg.opt.wasm" "$out/sontinh_bg.wasm"
  fi
  step "compressing ($backend)"

  for f in "$out/sontinh_bg.wasm" "$out/sontinh.js"; do
    brotli -f -q "$quality" -o "$f.br" "$f"
    gzip -f -k -9 "$f"
  done
  raw=$(stat -c %s "$out/sontinh_bg.wasm")
  printf '%s bundle: %s bytes raw, %s brotli, %s gzip (%s s)\n' "$backend" "$raw" \
    "$(stat -c %s "$out/sontinh_bg.wasm.br")" "$(stat -c %s "$out/sontinh_bg.wasm.gz")" "$(( $(seconds) - t0 ))"
  [ "$manifest" = "{" ] || manifest+=","
  manifest+="\"$backend\":{\"wasm_bytes\":$raw}"
done
# The decoding worker's module (engine/decode-worker), shared by both
# bundles: Web Workers run it to decode point cloud nodes off the page's
# main thread (web/decode-pool.js, web/decode-worker.js).
step "building the decoding worker ($profile)"
t0=$(seconds)
cargo build -p sontinh-decode-worker --lib --target wasm32-unknown-unknown --profile "$profile" --target-dir "$target_root/wasm"
rm -rf "$dist/decode"; mkdir -p "$dist/decode"
wasm-bindgen --target web --no-typescript --out-dir "$dist/decode" --out-name sontinh_decode \
  "$target_root/wasm/wasm32-unknown-unknown/$profile/sontinh_decode_worker.wasm"
if [ "$profile" = web-release ]; then
  "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    --enable-reference-types --enable-multivalue \
    "$dist/decode/sontinh_decode_bg.wasm" -o "$dist/decode/sontinh_decode_bg.opt.wasm"
  mv "$dist/decode/sontinh_decode_bg.opt.wasm" "$dist/decode/sontinh_decode_bg.wasm"
fi
for f in "$dist/decode/sontinh_decode_bg.wasm" "$dist/decode/sontinh_decode.js"; do
  brotli -f -q "$quality" -o "$f.br" "$f"
  gzip -f -k -9 "$f"
done
printf 'decoding worker: %s bytes raw, %s brotli, %s gzip (%s s)\n' "$(stat -c %s "$dist/decode/sontinh_decode_bg.wasm")" \
  "$(stat -c %s "$dist/decode/sontinh_decode_bg.wasm.br")" "$(stat -c %s "$dist/decode/sontinh_decode_bg.wasm.gz")" "$(( $(seconds) - t0 ))"

# Bundles built earlier for the other back-end stay listed.
for backend in webgl2 webgpu; do
  if [[ " ${backends[*]} " != *" $backend "* ]] && [ -f "$dist/$backend/sontinh_bg.wasm" ]; then
    manifest+=",\"$backend\":{\"wasm_bytes\":$(stat -c %s "$dist/$backend/sontinh_bg.wasm")}"
  fi
done
manifest+="}"
cp web/index.html web/loader.js web/xr.js web/decode-pool.js web/decode-worker.js web/style.css "$dist/"
printf '%s\n' "$manifest" > "$dist/bundles.json"
echo "web bundle in $dist"
