#!/usr/bin/env bash
# Fails when a pure crate (data and computation) depends, at any depth, on a
# GPU, UI or windowing crate. Pure crates must build and test in seconds and
# run anywhere, including servers and wasm workers.
set -euo pipefail
cd "$(dirname "$0")/.."
pure_crates=(sontinh-geo sontinh-scene sontinh-procgen sontinh-flood sontinh-flood-plan sontinh-raster sontinh-pointcloud sontinh-feeds sontinh-feeds-store sontinh-terrain sontinh-mesh sontinh-tiles sontinh-measure sontinh-decode-worker sontinh-wire sontinh-vector sontinh-city sontinh-impact sontinh-basemap sontinh-vector-mesh sontinh-tour sontinh-xr)
forbidden='^(bevy|bevy_[a-z_]+|wgpu|wgpu-[a-z-]+|egui|egui-[a-z-]+|epaint|winit) '
# bevy_mikktspace is a dependency-free MikkTSpace port (no engine code):
# sontinh-mesh makes normal-map tangents with it, as the renderer would.
allowed='^bevy_mikktspace '
status=0
for crate in "${pure_crates[@]}"; do
  # A failing `cargo tree` fails the script; only grep finding nothing
  # (status 1) is tolerated, not grep's own errors (status 2).
  if ! tree=$(cargo tree -e normal -p "$crate" --prefix none --format '{p}'); then
    echo "FAIL: cargo tree failed for $crate"; status=1; continue
  fi
  bad=$(sort -u <<<"$tree" | { grep -E "$forbidden" || [ $? -eq 1 ]; } | { grep -Ev "$allowed" || [ $? -eq 1 ]; })
  if [ -n "$bad" ]; then
    echo "FAIL: pure crate $crate depends on:"; echo "$bad" | sed 's/^/  /'; status=1
  else
    echo "ok: $crate has no bevy, wgpu, egui or winit dependency"
  fi
done
exit $status
