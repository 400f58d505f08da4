#!/usr/bin/env bash
# Builds the benchmarks (bench/bench_*.c) in an optimised tree and runs each one. Benchmarks are not
# tests: they print `figure: NAME VALUE UNIT` lines, gathered again at the end for easy reading.
#   scripts/bench.sh            every benchmark
#   scripts/bench.sh exec       only those whose name contains "exec"
# Also bench/ui_tmux_latency.sh (needs tmux and python3, as the UI tests do).
# Needs a reachable engine and the sandbox image (scripts/setup.sh --no-build sets both up).
set -euo pipefail
LC_SCRIPT=bench
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

filter="${1:-}"
dir="${LITECODE_BENCH_BUILD_DIR:-$LC_ROOT/build-bench}"
[[ "${LITECODE_SKIP_SETUP:-0}" == 1 ]] || "$LC_ROOT/scripts/setup.sh" --no-build </dev/null
lc_log "building benchmarks in $dir"
mkdir -p "$dir"
cmake -S "$LC_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DLITECODE_TESTS=OFF -DLITECODE_BENCH=ON \
  -U LITECODE_MODULES -U LITECODE_TEST_FILTER >"$dir/configure.log" 2>&1 || {
  tail -n 30 "$dir/configure.log" >&2
  lc_die "cmake could not configure $dir (full log: $dir/configure.log)"
}
cmake --build "$dir" -j"$(lc_jobs)" >"$dir/build.log" 2>&1 || {
  grep -E 'error' "$dir/build.log" | head -n 40 >&2
  lc_die "the benchmark build failed (full log: $dir/build.log)"
}

figures="$dir/figures.txt"
: >"$figures"
status=0 ran=0
for prog in "$dir"/bench/bench_*; do
  [[ -x "$prog" && -f "$prog" ]] || continue
  name="$(basename "$prog")"
  [[ -z "$filter" || "$name" == *"$filter"* ]] || continue
  ran=$((ran + 1))
  lc_log "=== $name"
  rc=0
  "$prog" 2>&1 | tee "$dir/$name.log" || rc=$?
  grep '^figure: ' "$dir/$name.log" >>"$figures" || lc_log "$name printed no figure line"
  if [[ $rc -ne 0 ]]; then lc_log "$name exited with status $rc"; status=1; fi
done
# Through a real terminal (tmux) and a real container: the key-to-screen figures of issue 17.
name=ui_tmux_latency
if [[ -z "$filter" || "$name" == *"$filter"* ]]; then
  ran=$((ran + 1))
  lc_log "=== $name"
  rc=0
  "$LC_ROOT/bench/$name.sh" "$dir/litecode-tui" 2>&1 | tee "$dir/$name.log" || rc=$?
  grep '^figure: ' "$dir/$name.log" >>"$figures" || lc_log "$name printed no figure line"
  if [[ $rc -ne 0 ]]; then lc_log "$name exited with status $rc"; status=1; fi
fi
[[ $ran -gt 0 ]] || lc_die "no benchmark matched '${filter}' in $dir/bench"
echo
echo "=== figures"
cat "$figures"
exit "$status"
