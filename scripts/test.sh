#!/usr/bin/env bash
# Runs the whole test suite the way CI does, after scripts/setup.sh:
#   build/        unit, then per engine (docker, podman) an image check and the integration tests, ui
#   build-asan/   ASan+UBSan build: unit, ui, and integration on docker when the time budget allows
#   build-fuzz/   libFuzzer (clang, ASan+UBSan): each parser of untrusted input fuzzed briefly (fuzz/)
# Integration tests run against the real engines (LITECODE_REQUIRE_ENGINE=1: a missing engine fails).
# Ends with one line "N passed, N failed, N skipped" summed over every phase; exits non-zero on any
# failure, including a build that does not compile. Benchmarks are not run here (scripts/bench.sh).
set -euo pipefail
LC_SCRIPT="test"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<EOF
usage: scripts/test.sh [--no-setup] [--no-asan] [--no-fuzz] [--engines "docker podman"]

  --no-setup    skip scripts/setup.sh (packages, engine, image); the build still runs
  --no-asan     skip the sanitizer build and its runs
  --no-fuzz     skip the short fuzz run (scripts/fuzz.sh)
  --engines L   engines for the integration tests (default: "docker podman")

Environment: LITECODE_TEST_BUDGET_S (default 1500): the ASan integration run on docker happens only if it
is expected to finish within this many seconds of the start; LITECODE_TEST_ASAN_INTEGRATION=1 forces it,
=0 skips it. LITECODE_BUILD_DIR (default build/), LITECODE_ASAN_BUILD_DIR (default build-asan/).
LITECODE_TEST_FUZZ_S (default 15): seconds per fuzz target. LITECODE_TEST_REMOTE=0 skips the integration run
against a second dockerd that does not share this filesystem (scripts/remote-dockerd.sh; needs root).
LITECODE_TEST_ML=0 skips building the ml image (in the background, docker only) and its import test.
LITECODE_TEST_GVISOR=0 skips the integration run under gVisor (done when docker has the runsc runtime: the
sandbox-boundary tests; LITECODE_TEST_GVISOR=all runs every integration test under it).
LITECODE_TEST_REMOTE_PODMAN=0 skips the run against a podman service that does not share this filesystem
(scripts/remote-podman.sh, CONTAINER_HOST: the transport and boundary tests; =all runs every one).
EOF
}

TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0
SUMMARY=()
LOG_DIR=""
ENGINES=""   # engines checked for leaked containers after each phase

record() { SUMMARY+=("$(printf '%-28s %s' "$1" "$2")"); }

# Builds one tree. A compile error is recorded as one failed item so the summary cannot read as green,
# but make keeps going (-k) so every test that does build still runs. Returns non-zero only when the
# tree could not even be configured.
build_tree() {
  local name="$1" dir="$2"; shift 2
  local t keep=()
  t="$(lc_now)"
  lc_log "configuring and building $dir"
  # The whole suite: drop any module or test narrowing a developer left in this tree's cache.
  if ! cmake -S "$LC_ROOT" -B "$dir" -U LITECODE_MODULES -U LITECODE_TEST_FILTER "$@" \
       >"$LOG_DIR/$name-configure.log" 2>&1; then
    tail -n 30 "$LOG_DIR/$name-configure.log" >&2
    record "build $name" "FAILED: cmake could not configure (see $LOG_DIR/$name-configure.log)"
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    return 1
  fi
  grep -q '^CMAKE_GENERATOR:INTERNAL=Unix Makefiles' "$dir/CMakeCache.txt" && keep=(-- -k)
  if cmake --build "$dir" -j"$(lc_jobs)" "${keep[@]}" >"$LOG_DIR/$name-build.log" 2>&1; then
    record "build $name" "ok ($(lc_elapsed "$t") s)"
    return 0
  fi
  grep -hE 'error' "$LOG_DIR/$name-build.log" | head -n 40 >&2
  lc_log "build $name FAILED (log: $LOG_DIR/$name-build.log); running the tests that did build"
  record "build $name" "FAILED (see $LOG_DIR/$name-build.log)"
  TOTAL_FAILED=$((TOTAL_FAILED + 1))
  return 0
}

# Runs the tests of one label in one build tree with extra environment (NAME=VALUE words), and adds
# ctest's counts to the totals. Skipped tests (cmocka skip, missing engine without REQUIRE) are counted
# apart, since ctest reports them among the passed.
run_phase() {
  local name="$1" dir="$2" label="$3"; shift 3
  local log="$LOG_DIR/$name.log" t rc=0 total failed skipped passed
  t="$(lc_now)"
  lc_log "=== $name: ctest -L $label in $(basename "$dir") ${*:-}"
  local only=()
  [[ -z "${PHASE_ONLY:-}" ]] || only=(-R "$PHASE_ONLY")
  env "$@" ctest --test-dir "$dir" -L "^${label}\$" "${only[@]}" --output-on-failure -j"$(lc_jobs)" 2>&1 | tee "$log" || rc=$?
  if grep -q 'No tests were found' "$log"; then
    record "$name" "no tests with label $label ($(lc_elapsed "$t") s)"
    return 0
  fi
  total="$(sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\2/p' "$log" | tail -n1)"
  failed="$(sed -n 's/.*tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\).*/\1/p' "$log" | tail -n1)"
  skipped="$(grep -c '(Skipped)$' "$log" || true)"
  if [[ -z "$total" ]]; then
    # ctest itself failed (bad build tree, crash): count the phase as one failure.
    record "$name" "FAILED: ctest gave no result (exit $rc, log $log)"
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    return 0
  fi
  passed=$((total - failed - skipped))
  if [[ $rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  TOTAL_SKIPPED=$((TOTAL_SKIPPED + skipped))
  record "$name" "$passed passed, $failed failed, $skipped skipped ($(lc_elapsed "$t") s)"
}

# The sandbox image itself, run as the sandbox runs it (scripts/build-image.sh --check): one test per engine.
check_image_phase() {
  local e="$1" t
  t="$(lc_now)"
  lc_log "=== image-$e: scripts/build-image.sh --check --engine $e"
  if "$LC_ROOT/scripts/build-image.sh" --check --engine "$e"; then
    TOTAL_PASSED=$((TOTAL_PASSED + 1))
    record "image-$e" "1 passed, 0 failed, 0 skipped ($(lc_elapsed "$t") s)"
  else
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    record "image-$e" "0 passed, 1 failed: the sandbox image is missing or broken"
  fi
}

# The ml image (the ml template's numpy, pandas, scikit-learn, matplotlib) takes minutes to build from a
# cold cache, mostly download and unpacking: it builds in the background from the start (docker only),
# overlapping the phases before it, and ml_phase, late, waits for it and runs the one test of that
# image's imports with LITECODE_REQUIRE_ML=1. LITECODE_TEST_ML=0 skips both.
ML_PID=""
ML_T0=""
ml_build_start() {
  [[ "${LITECODE_TEST_ML:-1}" != 0 && " $1 " == *" docker "* ]] || return 0
  ML_T0="$(lc_now)"
  lc_log "ml image: scripts/build-image.sh --ml --engine docker in the background (log $LOG_DIR/ml-image.log)"
  # Niced: the phases in the foreground come first; the build has minutes of slack before ml_phase.
  local low=(nice -n 10)
  command -v ionice >/dev/null 2>&1 && low+=(ionice -c 2 -n 7)
  # Its status goes to a file: bash forgets a finished job's status once another process gets its pid
  # (pid_max is 32768 here and the phases start tens of thousands), and `wait` then says 127.
  rm -f "$LOG_DIR/ml-image.rc"
  ( "${low[@]}" "$LC_ROOT/scripts/build-image.sh" --ml --engine docker </dev/null
    echo "$?" >"$LOG_DIR/ml-image.rc" ) >"$LOG_DIR/ml-image.log" 2>&1 &
  ML_PID=$!
}

# Waits for the background build; returns its status (0 when none was started).
ml_build_wait() {
  [[ -n "$ML_PID" ]] || return 0
  # Blocks while the build runs; returns at once if it ended long ago (its status is in the file).
  wait "$ML_PID" 2>/dev/null || true
  ML_PID=""
  local rc
  rc="$(cat "$LOG_DIR/ml-image.rc" 2>/dev/null)"
  [[ "$rc" == 0 ]] || { lc_log "the ml image build ended with status ${rc:-unknown}"; return 1; }
}

ml_phase() {
  local build="$1" t
  if [[ "${LITECODE_TEST_ML:-1}" == 0 ]]; then record ml "not run (LITECODE_TEST_ML=0)"; return 0; fi
  if [[ -z "$ML_T0" ]]; then record ml "not run (docker not among the engines)"; return 0; fi
  t="$(lc_now)"
  if ! ml_build_wait; then
    tail -n 20 "$LOG_DIR/ml-image.log" >&2
    record ml "FAILED: scripts/build-image.sh --ml (log $LOG_DIR/ml-image.log)"
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    return 0
  fi
  record ml-image "built or current ($(lc_elapsed "$ML_T0") s since the start of its build, $(lc_elapsed "$t") s waited)"
  PHASE_ONLY='^integration\.test_sandbox$' run_phase ml "$build" integration LITECODE_REQUIRE_ENGINE=1 \
    LITECODE_ENGINE=docker LITECODE_REQUIRE_ML=1 LITECODE_TEST_ONLY=test_each_template_imports_work_in_its_image
  check_all_leaks ml
}

# The parsers of untrusted input, each fuzzed for a few seconds from its kept corpus (scripts/fuzz.sh;
# the long run is that script with more seconds). One item per target; a crash, leak or sanitizer
# report fails it.
fuzz_phase() {
  local t secs="${LITECODE_TEST_FUZZ_S:-15}" log="$LOG_DIR/fuzz.log" ok bad
  t="$(lc_now)"
  lc_log "=== fuzz: scripts/fuzz.sh $secs"
  LITECODE_FUZZ_BUILD_DIR="${LITECODE_FUZZ_BUILD_DIR:-$LC_ROOT/build-fuzz}" "$LC_ROOT/scripts/fuzz.sh" "$secs" \
    2>&1 | tee "$log" || true
  ok="$(grep -c ': no crash in ' "$log" || true)"
  bad="$(grep -c ': FAILED (exit ' "$log" || true)"
  if [[ $ok -eq 0 && $bad -eq 0 ]]; then
    record fuzz "FAILED: no target ran (clang missing or build error; log $log)"
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    return 0
  fi
  TOTAL_PASSED=$((TOTAL_PASSED + ok))
  TOTAL_FAILED=$((TOTAL_FAILED + bad))
  record fuzz "$ok passed, $bad failed, 0 skipped ($secs s per target, $(lc_elapsed "$t") s)"
}

# No container may outlive its session. After a phase every test process has exited, so a container
# labelled litecode.session whose litecode.pid is no longer alive was leaked by that phase. Containers
# of live sessions (someone else's, on a shared machine) are left alone. Leaks count as one failure
# and are removed, by id, so the next phase starts clean.
check_leaks() {
  local name="$1" e="$2" fmt lines id pid leaked=()
  if [[ "$e" == podman ]]; then fmt='{{.ID}} {{ index .Labels "litecode.pid" }}'; else fmt='{{.ID}} {{.Label "litecode.pid"}}'; fi
  lines="$(engine_ps "$e" --format "$fmt" 2>/dev/null)" || return 0
  while read -r id pid; do
    [[ -n "$id" ]] || continue
    if [[ ! "$pid" =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null; then leaked+=("$id"); fi
  done <<<"$lines"
  [[ ${#leaked[@]} -gt 0 ]] || return 0
  lc_log "$name left ${#leaked[@]} $e container(s) of dead sessions behind: ${leaked[*]}"
  record "$name-leaks-$e" "FAILED: ${#leaked[@]} container(s) outlived their session (${leaked[*]})"
  TOTAL_FAILED=$((TOTAL_FAILED + 1))
  if [[ "$e" == podman ]]; then lc_podman rm -f "${leaked[@]}" >/dev/null 2>&1 || true
  else docker rm -f "${leaked[@]}" >/dev/null 2>&1 || true; fi
}

check_all_leaks() {
  local e
  for e in $ENGINES; do check_leaks "$1" "$e"; done
}

engine_ps() {
  local e="$1"; shift
  if [[ "$e" == podman ]]; then lc_podman ps -a --filter label=litecode.session "$@"
  else docker ps -a --filter label=litecode.session "$@"; fi
}

# The integration tests once more against a docker daemon that does not share this machine's files
# (scripts/remote-dockerd.sh), as a remote DOCKER_HOST would be: the workspace must travel over the
# engine (container.transport auto -> copy). Needs root; LITECODE_TEST_REMOTE=0 skips it.
remote_phase() {
  local build="$1" host ids
  if [[ "${LITECODE_TEST_REMOTE:-1}" == 0 ]]; then record integration-remote-docker "not run (LITECODE_TEST_REMOTE=0)"; return 0; fi
  if [[ "$(id -u)" -ne 0 ]]; then record integration-remote-docker "not run (needs root for a second dockerd)"; return 0; fi
  if ! host="$("$LC_ROOT/scripts/remote-dockerd.sh" start | sed -n 's/^DOCKER_HOST=//p')" || [[ -z "$host" ]]; then
    record integration-remote-docker "FAILED: scripts/remote-dockerd.sh start"
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    return 0
  fi
  run_phase integration-remote-docker "$build" integration LITECODE_REQUIRE_ENGINE=1 LITECODE_ENGINE=docker \
    DOCKER_HOST="$host" LITECODE_EXPECT_TRANSPORT=copy LITECODE_TEST_REMOTE_IMAGE=1
  ids="$(DOCKER_HOST="$host" docker ps -aq --filter label=litecode.session 2>/dev/null || true)"
  ids+="$(DOCKER_HOST="$host" docker volume ls -q --filter label=litecode.session 2>/dev/null || true)"
  if [[ -n "$ids" ]]; then
    record integration-remote-docker-leaks "FAILED: containers or volumes left on the remote engine: $(echo $ids)"
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
  fi
  "$LC_ROOT/scripts/remote-dockerd.sh" stop --keep-data || true
}

# The same against a podman service that does not share this machine's files (scripts/remote-podman.sh),
# as `podman --remote` (CONTAINER_HOST) would be. Its image is not preloaded: test_remote_image.sh checks
# that litecode loads it. Only the tests of the transport and the sandbox boundary (test_sandbox,
# test_e2e_apply, the image load, the copy cap: about 5 minutes here) to stay in the CI budget;
# LITECODE_TEST_REMOTE_PODMAN=all runs every integration test, 0 skips it.
remote_podman_phase() {
  local build="$1" host ids only='test_sandbox|test_e2e_apply|test_remote_image|test_copy_max|test_copy_hidden'
  local want="${LITECODE_TEST_REMOTE_PODMAN:-1}"
  if [[ "$want" == 0 ]]; then record integration-remote-podman "not run (LITECODE_TEST_REMOTE_PODMAN=0)"; return 0; fi
  if [[ "$(id -u)" -ne 0 ]]; then record integration-remote-podman "not run (needs root for a podman service)"; return 0; fi
  [[ "$want" != all ]] || only=''
  if ! host="$("$LC_ROOT/scripts/remote-podman.sh" start | sed -n 's/^CONTAINER_HOST=//p')" || [[ -z "$host" ]]; then
    record integration-remote-podman "FAILED: scripts/remote-podman.sh start"
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    return 0
  fi
  PHASE_ONLY="$only" run_phase integration-remote-podman "$build" integration LITECODE_REQUIRE_ENGINE=1 \
    LITECODE_ENGINE=podman CONTAINER_HOST="$host" LITECODE_EXPECT_TRANSPORT=copy LITECODE_TEST_REMOTE_IMAGE=1
  ids="$(CONTAINER_HOST="$host" podman ps -aq --filter label=litecode.session 2>/dev/null || true)"
  ids+="$(CONTAINER_HOST="$host" podman volume ls -q --filter label=litecode.session 2>/dev/null || true)"
  if [[ -n "$ids" ]]; then
    record integration-remote-podman-leaks "FAILED: containers or volumes left on the podman service: $(echo $ids)"
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
  fi
  "$LC_ROOT/scripts/remote-podman.sh" stop --keep-data || true
}

main() {
  local setup=1 asan=1 fuzz=1 engines="docker podman"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --no-setup) setup=0 ;;
      --no-asan) asan=0 ;;
      --no-fuzz) fuzz=0 ;;
      --engines) [[ $# -ge 2 ]] || lc_die "--engines needs a value"; engines="$2"; shift ;;
      -h|--help) usage; return 0 ;;
      *) usage >&2; lc_die "unknown argument: $1" ;;
    esac
    shift
  done

  local t0 build asan_dir budget e
  for e in $engines; do if command -v "$e" >/dev/null 2>&1; then ENGINES+="$e "; fi; done
  t0="$(lc_now)"
  build="$(lc_build_dir)"
  asan_dir="${LITECODE_ASAN_BUILD_DIR:-$LC_ROOT/build-asan}"
  budget="${LITECODE_TEST_BUDGET_S:-1500}"
  LOG_DIR="$build/test-logs"
  mkdir -p "$LOG_DIR"

  if [[ $setup -eq 1 ]]; then
    # The build is done below so that a compile error is reported in the summary, not as a crash.
    # A failed setup is counted and reported; what can still run, runs.
    local t
    t="$(lc_now)"
    local setup_args=(--no-build)
    [[ "${LITECODE_TEST_GVISOR:-1}" == 0 ]] || setup_args+=(--gvisor)
    if "$LC_ROOT/scripts/setup.sh" "${setup_args[@]}"; then
      record setup "ok ($(lc_elapsed "$t") s)"
    else
      record setup "FAILED (see the [setup] lines above)"
      TOTAL_FAILED=$((TOTAL_FAILED + 1))
    fi
  fi
  ml_build_start "$engines"

  if build_tree main "$build" -DLITECODE_WERROR=ON; then
    run_phase unit "$build" unit
    check_all_leaks unit
    local int_start int_docker_s=0
    for e in $engines; do
      check_image_phase "$e"
      int_start="$(date +%s)"
      run_phase "integration-$e" "$build" integration LITECODE_REQUIRE_ENGINE=1 LITECODE_ENGINE="$e"
      check_all_leaks "integration-$e"
      if [[ "$e" == docker ]]; then int_docker_s=$(($(date +%s) - int_start)); fi
    done
    if [[ " $engines " == *" podman "* ]]; then remote_podman_phase "$build"; fi
    if [[ " $engines " == *" docker "* ]]; then
      remote_phase "$build"
      # Once under gVisor when docker has runsc (scripts/setup.sh --gvisor); LITECODE_TEST_GVISOR=0 skips.
      if [[ "${LITECODE_TEST_GVISOR:-1}" == 0 ]]; then
        record integration-docker-runsc "not run (LITECODE_TEST_GVISOR=0)"
      elif docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'; then
        # The tests of the sandbox boundary (limits, hostile steps, apply of what they wrote): under
        # gVisor a container takes seconds to start, and the whole suite (about 10 minutes here) would
        # push the sanitizer's integration run out of the budget. LITECODE_TEST_GVISOR=all runs it all.
        local runsc_only='test_sandbox|test_e2e_apply|test_e2e_hostile_text|test_approval'
        [[ "${LITECODE_TEST_GVISOR:-1}" != all ]] || runsc_only=''
        PHASE_ONLY="$runsc_only" run_phase integration-docker-runsc "$build" integration \
          LITECODE_REQUIRE_ENGINE=1 LITECODE_ENGINE=docker LITECODE_RUNTIME=runsc
        check_all_leaks integration-docker-runsc
      else
        record integration-docker-runsc "not run (runsc not registered with docker: scripts/setup.sh --gvisor)"
      fi
    fi
    run_phase ui "$build" ui
    check_all_leaks ui
    ml_phase "$build"
  fi
  ml_build_wait || true

  if [[ $asan -eq 1 ]]; then
    local san_env=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
    if build_tree asan "$asan_dir" -DLITECODE_WERROR=ON -DLITECODE_SANITIZE=ON -DLITECODE_BENCH=OFF; then
      run_phase asan-unit "$asan_dir" unit "${san_env[@]}"
      check_all_leaks asan-unit
      run_phase asan-ui "$asan_dir" ui "${san_env[@]}"
      check_all_leaks asan-ui
      # Integration under ASan costs about what it costs without (the containers dominate): run it
      # when the estimate still fits the budget, so CI stays under its limit on two cores.
      local elapsed estimate want="${LITECODE_TEST_ASAN_INTEGRATION:-auto}"
      elapsed="$(lc_elapsed "$t0")"; elapsed="${elapsed%.*}"
      estimate=$(( ${int_docker_s:-0} * 3 / 2 + 30 ))
      if [[ " $engines " != *" docker "* ]]; then
        record asan-integration-docker "not run (docker not among the engines)"
      elif [[ "$want" == 1 || ( "$want" == auto && $((elapsed + estimate)) -lt $budget ) ]]; then
        run_phase asan-integration-docker "$asan_dir" integration "${san_env[@]}" \
          LITECODE_REQUIRE_ENGINE=1 LITECODE_ENGINE=docker
        check_all_leaks asan-integration-docker
      else
        record asan-integration-docker "not run (elapsed ${elapsed} s + estimate ${estimate} s >= budget ${budget} s, or disabled)"
      fi
    fi
  fi

  [[ $fuzz -eq 1 ]] && fuzz_phase

  echo
  echo "=== test summary ($(lc_elapsed "$t0") s; logs in $LOG_DIR)"
  printf '  %s\n' "${SUMMARY[@]}"
  echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed, $TOTAL_SKIPPED skipped"
  [[ $TOTAL_FAILED -eq 0 ]]
}

main "$@" </dev/null
