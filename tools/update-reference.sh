#!/usr/bin/env bash
# Renders the reference picture that the render test of
# engine/sontinh/tests/cli.rs (default_scene_renders_the_citadel_by_the_river)
# compares against: the same scene, size and command as the test. Run it only
# when the picture is meant to change, look at the result, and commit it.
set -euo pipefail
cd "$(dirname "$0")/.."
scene=scenes/quang-tri-citadel.toml
reference=tests/reference/quang-tri-citadel-overview.png
width=960   # WIDTH in engine/sontinh/tests/cli.rs
height=540  # HEIGHT in engine/sontinh/tests/cli.rs
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The debug build, as the test runs it.
cargo run -q -p sontinh --bin sontinh -- render "$scene" --out "$out/render.png" --width "$width" --height "$height"
[ -s "$out/render.png" ] || { echo "the render wrote no picture" >&2; exit 1; }
cp "$out/render.png" "$reference"
echo "wrote $reference; check it by eye before committing"
