#!/usr/bin/env bash
# SIGINT to the real litecode-tui in a real terminal (tmux) while step 1's question is shown: the UI takes
# it as a Ctrl-C key (the notice says a second one stops), and the signal thread is free again afterwards:
# a SIGTERM after it still ends the program at once, with the terminal given back. (The signal thread
# used to keep its lock after handing a SIGINT to the UI, so every later signal, and the end of the
# session, waited forever.)
set -euo pipefail
LC_T_NAME="tmux_sigint"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
lc_tmux_start 120 36
lc_t_session_id
lc_t_log "session $LC_T_SESSION_ID, pid $LC_T_PID, project copy $LC_T_PROJ"

lc_t_wait "Run step 1?" 60
kill -INT "$LC_T_PID"
lc_t_wait "C-c again within 3 s stops the session" 10
lc_t_ok "SIGINT is the UI's Ctrl-C: the notice says a second one stops"
sleep 4 # past the 3 s window: the next signal is not the second Ctrl-C
[[ -s "$LC_T_TMP/rc" ]] && lc_t_fail "one SIGINT ended the program (exit $(cat "$LC_T_TMP/rc"))"
lc_t_wait "Run step 1?" 5

kill -TERM "$LC_T_PID"
rc=""
for _ in $(seq 1 150); do
  if [[ -s "$LC_T_TMP/rc" ]]; then rc="$(cat "$LC_T_TMP/rc")"; break; fi
  sleep 0.1
done
[[ -n "$rc" ]] || lc_t_fail "litecode-tui did not exit within 15 s of a SIGTERM that followed a SIGINT (signal thread stuck)"
[[ "$rc" == 3 || "$rc" == 143 ]] || lc_t_fail "exit code $rc after SIGTERM; expected 3 (stopped) or 143"
lc_t_ok "a SIGTERM after the SIGINT ends the program (exit $rc)"
lc_t_wait "LC-DONE" 5
[[ "$(tm display -p -t lc '#{alternate_on}')" == 0 ]] || lc_t_fail "the terminal is still on the alternate screen"
lc_t_ok "the terminal is back on the normal screen"
for _ in $(seq 1 50); do [[ -z "$(lc_t_containers)" ]] && break; sleep 0.1; done
[[ -z "$(lc_t_containers)" ]] || lc_t_fail "containers of session $LC_T_SESSION_ID remain: $(lc_t_containers)"
lc_t_ok "no container of the session remains"
echo "tmux_sigint: PASS"
