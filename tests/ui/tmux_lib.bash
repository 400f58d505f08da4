# Shared by tests/ui/tmux_*.sh and scripts/screenshots.sh (sourced, never run: the name does not end in
# .sh, so CMake does not register it as a test). Runs the real litecode-tui in a real terminal: a tmux
# server on a private socket, a fixed window size, the bundled demo (replay model, real container) on a
# copy of examples/demo/project, throwaway XDG_STATE_HOME and XDG_CONFIG_HOME.
#
# The program runs under a small wrapper in the pane: it writes the program's pid to a file, runs it
# with the terminal as its stdin/stdout/stderr (as a user would), and afterwards prints a marker line
# with the exit code and the terminal modes (stty -a), then waits, so the pane stays to be inspected.
#
# Everything started here is torn down by lc_tmux_cleanup (the EXIT trap): the tmux server, the
# program if still alive, and every container labelled with this test's session id.

LC_T_NAME="${LC_T_NAME:-tmux}"
LC_T_SOCK="lc-test-$$"
LC_T_TMP=""
LC_T_SESSION_ID=""
LC_T_FAILED=0

lc_t_log() { printf '%s: %s\n' "$LC_T_NAME" "$*"; }
lc_t_fail() {
  printf '%s: FAIL: %s\n' "$LC_T_NAME" "$*" >&2
  lc_t_dump
  exit 1
}
lc_t_ok() { printf '%s: ok: %s\n' "$LC_T_NAME" "$*"; }

tm() { tmux -L "$LC_T_SOCK" -f /dev/null "$@"; }

# The screen as text (what a user sees, without colours).
lc_t_screen() { tm capture-pane -p -t lc 2>/dev/null; }

lc_t_dump() {
  [[ -n "$LC_T_TMP" ]] || return 0
  if tm has-session -t lc 2>/dev/null; then
    echo "---- screen at the failure ----" >&2
    lc_t_screen >&2 || true
    echo "-------------------------------" >&2
  fi
}

# Skips (exit 0 with a message) only when the test cannot run here, unless LITECODE_REQUIRE_ENGINE=1
# asks for a failure instead.
lc_t_skip_or_fail() {
  if [[ "${LITECODE_REQUIRE_ENGINE:-}" == 1 ]]; then
    printf '%s: FAIL (LITECODE_REQUIRE_ENGINE=1): %s\n' "$LC_T_NAME" "$*" >&2
    exit 1
  fi
  printf '%s: SKIP: %s\n' "$LC_T_NAME" "$*"
  exit 0
}

# The engines present on this machine (the program may pick either).
lc_t_engines() {
  local e
  for e in docker podman; do
    if command -v "$e" >/dev/null 2>&1 && "$e" version >/dev/null 2>&1; then echo "$e"; fi
  done
}

# Container ids of this test's session, over every engine (empty when there are none).
lc_t_containers() {
  local e id="${1:-$LC_T_SESSION_ID}"
  [[ -n "$id" ]] || return 0
  for e in $(lc_t_engines); do
    "$e" ps -aq --filter "label=litecode.session=$id" 2>/dev/null | sed "s/^/$e /"
  done
}

lc_tmux_cleanup() {
  local rc=$?
  set +e
  if [[ -n "$LC_T_TMP" && -s "$LC_T_TMP/pid" ]]; then
    local pid; pid="$(cat "$LC_T_TMP/pid")"
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null; sleep 1; kill -KILL "$pid" 2>/dev/null; fi
  fi
  tm kill-server >/dev/null 2>&1
  [[ -z "$LC_T_SESSION_ID" ]] && LC_T_SESSION_ID="$(lc_t_find_session_id)"
  if [[ -n "$LC_T_SESSION_ID" ]]; then
    local e c
    while read -r e c; do
      [[ -n "$c" ]] && "$e" rm -f "$c" >/dev/null 2>&1
    done < <(lc_t_containers)
  fi
  if [[ -n "$LC_T_TMP" && "${LC_T_KEEP:-0}" != 1 ]]; then rm -rf "$LC_T_TMP"; fi
  exit "$rc"
}

# Checks the preconditions and makes the temp dir with a copy of the demo project. Sets LC_T_TMP,
# LC_T_PROJ, LC_T_STATE, LC_T_CONFIG.
lc_tmux_setup() {
  : "${LC_SOURCE_DIR:?set by ctest: the source tree}"
  : "${LITECODE_TUI:?set by ctest: the built litecode-tui}"
  [[ -x "$LITECODE_TUI" ]] || lc_t_fail "$LITECODE_TUI is not an executable (build litecode-tui first)"
  command -v tmux >/dev/null 2>&1 || lc_t_skip_or_fail "tmux is not installed (apt-get install tmux)"
  command -v python3 >/dev/null 2>&1 || lc_t_fail "python3 is needed to run the demo project's tests"
  trap lc_tmux_cleanup EXIT
  trap 'exit 130' INT TERM HUP
  LC_T_TMP="$(mktemp -d "${TMPDIR:-/tmp}/lc-$LC_T_NAME-XXXXXX")"
  LC_T_PROJ="$LC_T_TMP/project"
  LC_T_STATE="$LC_T_TMP/state"
  LC_T_CONFIG="$LC_T_TMP/config"
  mkdir -p "$LC_T_STATE" "$LC_T_CONFIG"
  cp -R "$LC_SOURCE_DIR/examples/demo/project" "$LC_T_PROJ"
  cp -R "$LC_T_PROJ" "$LC_T_TMP/original"
  # A terminal type this machine has a terminfo entry for (tmux's default needs ncurses-term).
  LC_T_TERM=screen
  local t
  for t in tmux-256color screen-256color; do
    if infocmp "$t" >/dev/null 2>&1; then LC_T_TERM="$t"; break; fi
  done
  # The engine and the image, checked the way the program checks them (exit 6: no usable engine).
  local out rc=0
  out="$(env -u LITECODE_MODEL HOME="$LC_T_TMP" XDG_STATE_HOME="$LC_T_STATE" XDG_CONFIG_HOME="$LC_T_CONFIG" \
         "$LITECODE_TUI" --check --dir "$LC_T_PROJ" 2>&1)" || rc=$?
  if [[ $rc -ne 0 ]]; then
    if [[ $rc -eq 6 ]] || grep -q 'image' <<<"$out"; then
      lc_t_skip_or_fail "no container engine or sandbox image: $(grep -v '^ok' <<<"$out" | head -n 3 | tr '\n' ' ')"
    fi
    lc_t_fail "litecode-tui --check failed ($rc): $out"
  fi
  lc_t_log "engine and image: $(grep -E '^ok +(engine|image)' <<<"$out" | tr -s ' ' | tr '\n' ';')"
}

# Starts the program in a new tmux session of WIDTH x HEIGHT; the rest are its arguments (after --dir).
lc_tmux_start() {
  local w="$1" h="$2"; shift 2
  local q arg args=""
  for arg in "$@"; do printf -v q '%q' "$arg"; args+=" $q"; done
  cat >"$LC_T_TMP/run.sh" <<EOF
cd $(printf '%q' "$LC_T_PROJ")
( echo \$BASHPID > $(printf '%q' "$LC_T_TMP/pid.tmp") && mv $(printf '%q' "$LC_T_TMP/pid.tmp") $(printf '%q' "$LC_T_TMP/pid")
  exec env -u LITECODE_MODEL -u NO_COLOR HOME=$(printf '%q' "$LC_T_TMP") XDG_STATE_HOME=$(printf '%q' "$LC_T_STATE") \\
    XDG_CONFIG_HOME=$(printf '%q' "$LC_T_CONFIG") TERM=$LC_T_TERM \\
    $(printf '%q' "$LITECODE_TUI") --dir $(printf '%q' "$LC_T_PROJ")$args )
rc=\$?
echo "\$rc" > $(printf '%q' "$LC_T_TMP/rc")
echo "LC-DONE rc=\$rc modes: \$(stty -a | tr '\\n' ' ')"
exec sleep 600
EOF
  tm new-session -d -s lc -x "$w" -y "$h" "bash $(printf '%q' "$LC_T_TMP/run.sh")" \
    || lc_t_fail "tmux could not start a session"
  local i
  for i in $(seq 1 50); do [[ -s "$LC_T_TMP/pid" ]] && break; sleep 0.1; done
  [[ -s "$LC_T_TMP/pid" ]] || lc_t_fail "the program did not start"
  LC_T_PID="$(cat "$LC_T_TMP/pid")"
}

# Waits until TEXT (fixed string) is on the screen; fails after TIMEOUT seconds (default 30).
lc_t_wait() {
  local text="$1" timeout="${2:-30}" end
  end=$(( $(date +%s%N) / 1000000 + timeout * 1000 ))
  while (( $(date +%s%N) / 1000000 < end )); do
    if grep -qF -- "$text" <<<"$(lc_t_screen)"; then return 0; fi
    sleep 0.1
  done
  lc_t_fail "'$text' did not appear on the screen within ${timeout} s"
}

# Moves the focus to the pane titled NAME (its title line reads "> NAME") with Tab; fails if it never gets there.
lc_t_focus() {
  local name="$1" _
  for _ in 1 2 3 4 5; do
    if grep -q "^> $name" <<<"$(lc_t_screen)"; then return 0; fi
    tm send-keys -t lc Tab
    sleep 0.3
  done
  grep -q "^> $name" <<<"$(lc_t_screen)" || lc_t_fail "Tab did not move the focus to the $name pane"
}

# Waits until the program has exited (the wrapper wrote its exit code); prints the code.
lc_t_wait_exit() {
  local timeout="${1:-30}" i
  for i in $(seq 1 $((timeout * 10))); do
    if [[ -s "$LC_T_TMP/rc" ]]; then cat "$LC_T_TMP/rc"; return 0; fi
    sleep 0.1
  done
  lc_t_fail "the program did not exit within ${timeout} s"
}

# The first key within ~300 ms of a question is discarded on purpose (no typing ahead): wait it out.
lc_t_answer() {
  sleep 0.6
  tm send-keys -t lc "$@"
}

# The session id: the program makes <XDG_STATE_HOME>/litecode/sessions/<id>/ at start.
lc_t_find_session_id() {
  local d
  [[ -n "$LC_T_STATE" ]] || return 0
  for d in "$LC_T_STATE"/litecode/sessions/*/; do
    if [[ -d "$d" ]]; then basename "$d"; return 0; fi
  done
  return 0
}

lc_t_session_id() {
  local i
  for i in $(seq 1 50); do
    LC_T_SESSION_ID="$(lc_t_find_session_id)"
    [[ -n "$LC_T_SESSION_ID" ]] && return 0
    sleep 0.1
  done
  lc_t_fail "no session directory under $LC_T_STATE/litecode/sessions"
}

# Fails unless the original project is byte for byte what was copied in.
lc_t_original_untouched() {
  diff -r "$LC_T_TMP/original" "$LC_T_PROJ" >/dev/null \
    || lc_t_fail "the original project changed: $(diff -r "$LC_T_TMP/original" "$LC_T_PROJ" | head -n 20)"
}

# Fails if a container of this session still exists (checked for a few seconds: removal is async).
lc_t_no_containers() {
  local i left=""
  for i in $(seq 1 50); do
    left="$(lc_t_containers)"
    [[ -z "$left" ]] && return 0
    sleep 0.2
  done
  lc_t_fail "containers of session $LC_T_SESSION_ID remain: $left"
}
