#!/usr/bin/env bash
# Runs every fuzz target with libFuzzer on stable Rust: the sanitizer-coverage
# instrumentation is asked of LLVM directly (no -Zsanitizer, no nightly, no
# cargo-fuzz). Each target starts from its committed seed corpus
# (fuzz/corpus/<target>, written by fuzz/make_corpus.py) plus the first 64 KiB
# of small shared test files of its format, and grows a working corpus under
# the target folder. A crash, panic, timeout or out-of-memory fails the run;
# the input is kept as <target folder>/fuzz/artifacts/<target>/crash-…, to be
# added to the owning crate's fuzz_regressions.rs test.
#
#   tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]   # default 65 s, all targets
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-65}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(las_layout mesh_glb tile_content scene_toml feed_message raster_dem)
fi
case $seconds in '' | *[!0-9]*) echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number, not \"$seconds\"" >&2; exit 2 ;; esac

host=$(rustc -vV | sed -n 's/^host: //p')
out="${CARGO_TARGET_DIR:-target}/fuzz"
case $out in /*) ;; *) out="$PWD/$out" ;; esac

# --target keeps the instrumentation off build scripts and proc macros.
echo "== building the fuzz targets (instrumented, release, $host)"
RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks" \
  cargo build --release --manifest-path fuzz/Cargo.toml --target "$host" --target-dir "$out/build"

# Shared test data: $SONTINH_SHARED_DATA, else ../shared/data beside the
# repository; without it the committed seeds alone are used.
shared=${SONTINH_SHARED_DATA:-../shared/data}
if [ ! -d "$shared" ]; then
  echo "fuzz.sh: no shared test data at $shared (set SONTINH_SHARED_DATA); fuzzing from the committed seeds only" >&2
  shared=
fi
shared_seeds() { # target, find name patterns…
  local target=$1 dir="$out/shared-seeds/$1" n=0 f
  shift
  rm -rf "$dir" && mkdir -p "$dir"
  if [ -n "$shared" ]; then
    while IFS= read -r f; do
      head -c 65536 "$f" >"$dir/$n-$(basename "$f")"
      n=$((n + 1))
    done < <(find "$shared" -type f \( "$@" \) -size -4M 2>/dev/null | sort | head -n 40)
  fi
  echo "$dir"
}

status=0
# One target: its summary line in $out/<target>.summary; non-zero on a crash.
fuzz_one() {
  local t=$1 extra corpus artifacts log rc=0 runs rate line
  case $t in
    las_layout) extra=$(shared_seeds "$t" -iname '*.las' -o -iname '*.laz') ;;
    mesh_glb) extra=$(shared_seeds "$t" -iname '*.glb' -o -iname '*.ktx2') ;;
    tile_content) extra=$(shared_seeds "$t" -iname '*.b3dm' -o -iname '*.pnts' -o -iname '*.glb') ;;
    raster_dem) extra=$(shared_seeds "$t" -iname '*.tif' -o -iname '*.tiff') ;;
    *) extra=$(shared_seeds "$t" -name '-') ;;
  esac
  corpus="$out/corpus/$t" artifacts="$out/artifacts/$t"
  rm -rf "$artifacts" && mkdir -p "$corpus" "$artifacts"
  log="$out/$t.log"
  local scratch="$out/scratch/$t"
  rm -rf "$scratch" && mkdir -p "$scratch"
  echo "== fuzzing $t for $seconds s"
  SONTINH_FUZZ_SCRATCH="$scratch" "$out/build/$host/release/$t" -max_total_time="$seconds" -seed=1 -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$corpus" "fuzz/corpus/$t" "$extra" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  line=$(printf '%-13s %10s inputs  %7s/s  corpus %s' "$t" "${runs:-?}" "${rate:-?}" "$(ls "$corpus" | wc -l)")
  if [ $rc -ne 0 ]; then
    line="$line  FAILED (exit $rc): $(ls "$artifacts" | tr '\n' ' ')"
    grep -E 'panicked|ERROR|SUMMARY' "$log" | head -n 5 >&2 || true
    echo "   the log: $log" >&2
  fi
  rm -rf "$scratch"
  echo "   $line"
  echo "$line" >"$out/$t.summary"
  return $rc
}

# libFuzzer runs on one core: as many targets at once as there are cores.
jobs=$(nproc 2>/dev/null || echo 1)
running=()
for t in "${targets[@]}"; do
  fuzz_one "$t" &
  running+=($!)
  if [ ${#running[@]} -ge "$jobs" ]; then
    wait "${running[0]}" || status=1
    running=("${running[@]:1}")
  fi
done
for pid in "${running[@]}"; do
  wait "$pid" || status=1
done
summary=()
for t in "${targets[@]}"; do
  summary+=("$(cat "$out/$t.summary" 2>/dev/null || echo "$t: no summary (the run did not finish)")")
done

echo; echo "== fuzzing summary ($seconds s per target)"
printf '%s\n' "${summary[@]}"
[ $status -eq 0 ] && echo "no crashes" || echo "crashes found: keep each input as a named regression test" >&2
exit $status
