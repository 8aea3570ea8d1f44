#!/usr/bin/env bash
# The flood solver side by side with LISFLOOD-FP's ACC solver on the same
# cases, the same machine, in one sitting: the Environment Agency's 2D
# benchmark test 4 (80,000 cells, 5 h) and 1000 × 1000 cells of the shared
# SRTM tile under an hour of rain. Each case runs on 1 and 2 threads,
# LISFLOOD-FP and ours alternately, SONTINH_BENCH_RUNS times (default 3);
# prints the medians of the wall-clock times, the ratio LISFLOOD-FP / ours
# (above 1: we are faster) and how the maximum depths compare.
#
#   tools/bench/flood-vs-lisflood.sh
#
# LISFLOOD-FP is not a dependency of the project. Point LISFLOOD_FP at its
# binary, or have `lisflood` on PATH. To build it (GPL; public source):
#   git clone https://github.com/menta78/LISFLOOD-FP-unibo && cd LISFLOOD-FP-unibo
#   apt-get install libnuma-dev && CONFIG=config/sharc-gcc-cpu make lisflood
# Without it the script runs our side alone and says so.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${SONTINH_BENCH_RUNS:-3}"
work="${SONTINH_BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$work"

lisflood="${LISFLOOD_FP:-$(command -v lisflood || true)}"
if [ -z "$lisflood" ] || [ ! -x "$lisflood" ]; then
  echo "LISFLOOD-FP not found (set LISFLOOD_FP or put lisflood on PATH; how to build it: the top of this script): running ours alone" >&2
  lisflood=""
fi

echo "building the cases (cargo build --release -p sontinh-flood --example reference_cases)"
cargo build --quiet --release -p sontinh-flood --example reference_cases
cases="${CARGO_TARGET_DIR:-target}/release/examples/reference_cases"
"$cases" write "$work"

# Wall-clock seconds of a command, its output to a log.
timed() {
  local log="$1"
  shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$log" 2>&1 || { cat "$log" >&2; echo "error: $* failed (log above)" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

summary=()
for case in ea4 srtm1000; do
  for threads in 1 2; do
    theirs=() ours=()
    for run in $(seq "$runs"); do
      if [ -n "$lisflood" ]; then
        t=$(cd "$work/$case" && rm -rf results && timed "$work/$case/lisflood.log" env OMP_NUM_THREADS="$threads" "$lisflood" "$case.par")
        steps=$(tail -n 1 "$work/$case/results/$case.mass" | awk '{print $4}')
        theirs+=("$t")
        echo "$case, $threads thread(s), run $run: LISFLOOD-FP $t s ($steps steps)"
      fi
      t=$(timed "$work/$case/ours.log" "$cases" run "$case" --threads "$threads" --scheme lisflood-fp --max-depth "$work/$case/ours-max.asc")
      ours+=("$t")
      echo "$case, $threads thread(s), run $run: Sơn Tinh $t s ($(grep -o 'steps=[0-9]*' "$work/$case/ours.log"))"
    done
    mine=$(median "${ours[@]}")
    if [ -n "$lisflood" ]; then
      ref=$(median "${theirs[@]}")
      summary+=("$(printf '%-9s %s thread(s): LISFLOOD-FP %6.1f s, Sơn Tinh %6.1f s, ratio %.2f×' "$case" "$threads" "$ref" "$mine" "$(echo "$ref / $mine" | bc -l)")")
    else
      summary+=("$(printf '%-9s %s thread(s): Sơn Tinh %6.1f s' "$case" "$threads" "$mine")")
    fi
  done
  if [ -n "$lisflood" ]; then
    summary+=("$case: $("$cases" compare "$work/$case/ours-max.asc" "$work/$case/results/$case.max")")
  fi
done

echo
echo "== medians of $runs run(s), wall clock, $(nproc) cores"
printf '%s\n' "${summary[@]}"
