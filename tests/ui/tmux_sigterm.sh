#!/usr/bin/env bash
# SIGTERM to the real litecode-tui in a real terminal (tmux, 120x36) while step 1's question is shown
# and the session's container runs: the program exits, the terminal is given back as it was (normal
# screen, not the alternate one; canonical mode, echo and signals on again, as the shell expects) and
# no container of the session remains. Every check runs and each failure is reported.
set -euo pipefail
LC_T_NAME="tmux_sigterm"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

failures=0
check_fail() {
  printf '%s: FAIL: %s\n' "$LC_T_NAME" "$*" >&2
  failures=$((failures + 1))
}

lc_tmux_setup
lc_tmux_start 120 36
lc_t_session_id
lc_t_log "session $LC_T_SESSION_ID, pid $LC_T_PID, project copy $LC_T_PROJ"

lc_t_wait "Run step 1?" 60
[[ "$(tm display -p -t lc '#{alternate_on}')" == 1 ]] \
  || lc_t_fail "the UI is not on the alternate screen: the restore check below would prove nothing"
[[ -n "$(lc_t_containers)" ]] || lc_t_fail "no container labelled litecode.session=$LC_T_SESSION_ID while the question is shown"
[[ "$(ps -o comm= -p "$LC_T_PID")" == litecode-tui ]] || lc_t_fail "pid $LC_T_PID is not litecode-tui"
lc_t_ok "step 1's question is shown, on the alternate screen, the session's container runs"

t0="$(date +%s%N)"
kill -TERM "$LC_T_PID"
lc_t_log "sent SIGTERM to $LC_T_PID"
rc=""
for _ in $(seq 1 150); do
  if [[ -s "$LC_T_TMP/rc" ]]; then rc="$(cat "$LC_T_TMP/rc")"; break; fi
  sleep 0.1
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[[ -n "$rc" ]] || lc_t_fail "litecode-tui did not exit within 15 s of SIGTERM"
lc_t_ok "litecode-tui exited $ms ms after SIGTERM with exit code $rc"
if [[ "$rc" != 3 && "$rc" != 143 ]]; then
  check_fail "exit code $rc after SIGTERM; expected 3 (stopped) or 143 (128 + SIGTERM)"
fi

lc_t_wait "LC-DONE" 5
alt="$(tm display -p -t lc '#{alternate_on}')"
if [[ "$alt" != 0 ]]; then
  check_fail "the terminal is still on the alternate screen after the exit (tmux alternate_on=$alt)"
else
  lc_t_ok "the terminal is back on the normal screen"
fi
modes="$(grep -o 'LC-DONE.*' <<<"$(tm capture-pane -p -J -t lc)" | head -n 1)"
bad=""
for m in icanon echo isig icrnl; do
  grep -qE "(^|[ ;])-$m( |;|$)" <<<"$modes" && bad+=" -$m"
done
if [[ -n "$bad" ]]; then
  check_fail "the terminal was left in raw mode after the exit (stty shows$bad): the shell would not echo or read lines"
else
  lc_t_ok "the terminal modes are restored (icanon echo isig icrnl)"
fi
# Nothing the program printed at exit may be drawn into the middle of the old screen: the marker line
# the shell printed right after the exit starts at column 0.
if grep -qE '^ +.*LC-DONE' <<<"$(lc_t_screen)"; then
  check_fail "the shell's next line starts in the middle of a row: the screen was not restored (cursor left where curses put it)"
fi

if [[ -n "$(lc_t_containers)" ]]; then
  # Give the removal a moment before calling it a failure.
  sleep 5
  if [[ -n "$(lc_t_containers)" ]]; then
    check_fail "containers of session $LC_T_SESSION_ID remain after SIGTERM: $(lc_t_containers)"
  fi
fi
[[ -z "$(lc_t_containers)" ]] && lc_t_ok "no container labelled litecode.session=$LC_T_SESSION_ID remains"
lc_t_original_untouched
lc_t_ok "the original project is untouched"

if [[ $failures -gt 0 ]]; then
  echo "---- screen after the exit ----" >&2
  lc_t_screen >&2 || true
  echo "------------------------------" >&2
  echo "tmux_sigterm: FAIL ($failures checks failed)" >&2
  exit 1
fi
echo "tmux_sigterm: PASS"
