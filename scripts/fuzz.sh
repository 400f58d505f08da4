#!/usr/bin/env bash
# Fuzzes the parsers of untrusted input with libFuzzer under ASan and UBSan (fuzz/README.md).
#   scripts/fuzz.sh [SECONDS] [TARGET...]     SECONDS per target (default 600); TARGET among
#                                             sse kernel config extract log (default: all)
#   --keep                                    merge new inputs that add coverage into fuzz/corpus/
#   --build-only                              configure and build build-fuzz/, run nothing
# Each target starts from its kept corpus (fuzz/corpus/NAME), copied to build-fuzz/corpus/NAME so a
# run never writes into the source tree unless --keep asks. A crash, leak, timeout or sanitizer report
# leaves its input in build-fuzz/artifacts/NAME/ and makes the script exit non-zero; keep that input
# in fuzz/corpus/NAME/ once it is fixed, as a regression. scripts/test.sh runs this with a few seconds
# per target (its fuzz phase).
set -euo pipefail
LC_SCRIPT=fuzz
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_TARGETS=(sse kernel config extract log)
secs=600 keep=0 build_only=0 targets=()
for a in "$@"; do
  case "$a" in
    --keep) keep=1 ;;
    --build-only) build_only=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) secs="$a" ;;
    *) [[ " ${ALL_TARGETS[*]} " == *" $a "* ]] || lc_die "unknown target '$a' (the targets: ${ALL_TARGETS[*]})"
       targets+=("$a") ;;
  esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")

command -v clang >/dev/null 2>&1 || lc_die "clang is needed for libFuzzer: apt-get install clang libclang-rt-14-dev (scripts/setup.sh installs them)"
dir="${LITECODE_FUZZ_BUILD_DIR:-$LC_ROOT/build-fuzz}"
mkdir -p "$dir"
lc_log "building the fuzz targets in $dir"
CC=clang cmake -S "$LC_ROOT" -B "$dir" -DLITECODE_FUZZ=ON -DLITECODE_TESTS=OFF -DLITECODE_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$dir/fuzz-configure.log" 2>&1 \
  || { tail -n 20 "$dir/fuzz-configure.log" >&2; lc_die "cmake could not configure $dir (log: $dir/fuzz-configure.log)"; }
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "fuzz_$t"); done
cmake --build "$dir" -j"$(lc_jobs)" "${build_targets[@]}" >"$dir/fuzz-build.log" 2>&1 \
  || { grep -E 'error' "$dir/fuzz-build.log" | head -n 20 >&2; lc_die "the fuzz targets do not build (log: $dir/fuzz-build.log)"; }
[[ $build_only -eq 1 ]] && exit 0

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=()
for t in "${targets[@]}"; do
  work="$dir/corpus/$t" art="$dir/artifacts/$t"
  mkdir -p "$work" "$art"
  cp -n "$LC_ROOT/fuzz/corpus/$t"/* "$work"/ 2>/dev/null || true
  lc_log "=== $t: $secs s (corpus $(find "$work" -type f | wc -l) inputs)"
  rc=0
  "$dir/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$art/" "$work" >"$dir/fuzz-$t.log" 2>&1 || rc=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$dir/fuzz-$t.log" | sed "s/^/  $t: /" >&2 || true
  if [[ $rc -ne 0 ]]; then
    grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$dir/fuzz-$t.log" | head -n 10 >&2 || true
    lc_log "$t: FAILED (exit $rc; log $dir/fuzz-$t.log; input in $art/)"
    failed+=("$t")
  else
    lc_log "$t: no crash in $secs s"
  fi
  if [[ $keep -eq 1 ]]; then
    "$dir/fuzz/fuzz_$t" -merge=1 "$LC_ROOT/fuzz/corpus/$t" "$work" >"$dir/merge-$t.log" 2>&1 \
      || lc_log "$t: the merge failed (log $dir/merge-$t.log)"
    lc_log "$t: kept corpus now $(find "$LC_ROOT/fuzz/corpus/$t" -type f | wc -l) inputs"
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  lc_log "findings in: ${failed[*]}"
  exit 1
fi
lc_log "no findings (${targets[*]}, $secs s each)"
