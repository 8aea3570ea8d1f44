#!/usr/bin/env bash
# Fails when a pure crate (data and computation) depends, at any depth, on a
# GPU, UI or windowing crate. Pure crates must build and test in seconds and
# run anywhere, including servers and wasm workers.
set -euo pipefail
cd "$(dirname "$0")/.."
pure_crates=(sontinh-geo sontinh-scene sontinh-procgen sontinh-flood sontinh-raster sontinh-pointcloud sontinh-feeds sontinh-terrain sontinh-mesh sontinh-tiles)
forbidden='^(bevy|bevy_[a-z_]+|wgpu|wgpu-[a-z-]+|egui|egui-[a-z-]+|epaint|winit) '
status=0
for crate in "${pure_crates[@]}"; do
  bad=$(cargo tree -e normal -p "$crate" --prefix none --format '{p}' | sort -u | grep -E "$forbidden" || true)
  if [ -n "$bad" ]; then
    echo "FAIL: pure crate $crate depends on:"; echo "$bad" | sed 's/^/  /'; status=1
  else
    echo "ok: $crate has no bevy, wgpu, egui or winit dependency"
  fi
done
exit $status
