#!/usr/bin/env bash
# COPC conversion side by side with PotreeConverter 2 on the same cloud,
# the same machine, in one sitting: the shared Autzen LiDAR tiled 455 times
# side by side and jittered (50,050,000 points, a 1.7 GB LAS). PotreeConverter
# and ours run alternately SONTINH_BENCH_RUNS times (default 3); prints the
# medians of the wall-clock times and peak memory, the ratio PotreeConverter
# / ours (above 1: we are faster) and the output sizes. Then the same cloud
# as tiles apart (`--tiles 1`) and merged, each step timed.
#
#   tools/bench/copc-vs-potreeconverter.sh
#
# PotreeConverter is not a dependency of the project. Point POTREE_CONVERTER
# at its binary, or have PotreeConverter on PATH. To build it (BSD; public source):
#   git clone https://github.com/potree/PotreeConverter && cd PotreeConverter
#   apt-get install cmake libtbb-dev && mkdir build && cd build
#   cmake -DCMAKE_BUILD_TYPE=Release .. && make
# Without it the script runs our side alone and says so.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${SONTINH_BENCH_RUNS:-3}"
work="${SONTINH_BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$work"
if [ -z "${SONTINH_SHARED_DATA:-}" ]; then
  if [ -d ../shared/data ]; then
    SONTINH_SHARED_DATA="$(cd ../shared/data && pwd)"
  else
    echo "error: the shared test data is absent: set SONTINH_SHARED_DATA or put it in ../shared/data beside the repository" >&2
    exit 1
  fi
fi

potree="${POTREE_CONVERTER:-$(command -v PotreeConverter || true)}"
if [ -z "$potree" ] || [ ! -x "$potree" ]; then
  echo "PotreeConverter not found (set POTREE_CONVERTER or put it on PATH; how to build it: the top of this script): running ours alone" >&2
  potree=""
fi

echo "building (cargo build --release -p sontinh-pointcloud --example convert --example tile_cloud)"
cargo build --quiet --release -p sontinh-pointcloud --example convert --example tile_cloud
examples="${CARGO_TARGET_DIR:-target}/release/examples"
cloud="$work/autzen-50m.las"
if [ ! -f "$cloud" ]; then
  "$examples/tile_cloud" "$SONTINH_SHARED_DATA/lidar/autzen_trim.laz" 455 "$cloud"
fi

# "SECONDS PEAK_KIB" of a command, its output to a log.
measure() {
  local log="$1"
  shift
  /usr/bin/time -f "%e %M" -o "$log.time" "$@" >"$log" 2>&1 || { cat "$log" >&2; echo "error: $* failed (log above)" >&2; exit 1; }
  cat "$log.time"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

theirs=() their_peaks=() ours=() our_peaks=()
for run in $(seq "$runs"); do
  if [ -n "$potree" ]; then
    rm -rf "$work/potree"
    read -r t peak < <(measure "$work/potree.log" "$potree" "$cloud" -o "$work/potree")
    theirs+=("$t") their_peaks+=("$peak")
    echo "run $run: PotreeConverter $t s, peak $((peak / 1024)) MiB, output $(du -sh "$work/potree" | cut -f1)"
  fi
  rm -f "$work/ours.copc.laz"
  read -r t peak < <(measure "$work/ours.log" "$examples/convert" "$cloud" "$work/ours.copc.laz")
  ours+=("$t") our_peaks+=("$peak")
  echo "run $run: Sơn Tinh $t s, peak $((peak / 1024)) MiB, output $(du -sh "$work/ours.copc.laz" | cut -f1)"
done
rm -f "$work/tiled.copc.laz"
read -r tiled tiled_peak < <(measure "$work/tiled.log" "$examples/convert" --tiles 1 "$cloud" "$work/tiled.copc.laz")

echo
echo "== ${#ours[@]} run(s), medians, wall clock, $(nproc) cores; 50,050,000 points"
mine=$(median "${ours[@]}")
printf 'Sơn Tinh (COPC, LAZ-compressed): %.1f s, peak %d MiB\n' "$mine" "$(( $(median "${our_peaks[@]}") / 1024 ))"
if [ -n "$potree" ]; then
  ref=$(median "${theirs[@]}")
  printf 'PotreeConverter 2 (its default, uncompressed): %.1f s, peak %d MiB\n' "$ref" "$(( $(median "${their_peaks[@]}") / 1024 ))"
  printf 'ratio PotreeConverter / Sơn Tinh: %.2f×\n' "$(echo "$ref / $mine" | bc -l)"
fi
echo "as tiles apart then merged (one after the other here): $tiled s, peak $((tiled_peak / 1024)) MiB"
grep -E '^(tile|merged)' "$work/tiled.log"
