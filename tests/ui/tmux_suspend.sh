#!/usr/bin/env bash
# Ctrl-Z suspends litecode-tui like any terminal program (issue 17, item 13): started from an interactive
# shell in tmux (job control on), Ctrl-Z stops the process and gives the shell its terminal back; `fg`
# brings the UI back, redrawn, with bracketed paste on again (a two-line paste stays text in the input
# line instead of sending its first line). The recorded demo model, a real container, no task given.
set -euo pipefail
LC_T_NAME="tmux_suspend"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
replay="replay:$LC_SOURCE_DIR/examples/demo/session.jsonl"
cmd="$(printf '%q ' cd "$LC_T_PROJ") && $(printf '%q ' env -u LITECODE_MODEL -u NO_COLOR HOME="$LC_T_TMP" \
  XDG_STATE_HOME="$LC_T_STATE" XDG_CONFIG_HOME="$LC_T_CONFIG" TERM="$LC_T_TERM" "$LITECODE_TUI" \
  --dir "$LC_T_PROJ" --model "$replay")"
tm new-session -d -s lc -x 120 -y 36 "env -i PATH=$(printf '%q' "$PATH") HOME=$(printf '%q' "$LC_T_TMP") TERM=$LC_T_TERM PS1='lc\$ ' bash --norc --noprofile -i" \
  || lc_t_fail "tmux could not start a session"
lc_t_wait 'lc$' 10
tm send-keys -t lc -l "$cmd"
tm send-keys -t lc Enter
lc_t_wait "Task (Enter starts the agent" 30
shell_pid="$(tm display -p -t lc '#{pane_pid}')"
pid=""
for _ in $(seq 1 50); do
  pid="$(ps -o pid= --ppid "$shell_pid" | tr -d ' ' | head -n 1)"
  [[ -n "$pid" ]] && break
  sleep 0.1
done
[[ -n "$pid" ]] || lc_t_fail "no litecode-tui process under the shell"
echo "$pid" >"$LC_T_TMP/pid" # for the cleanup
lc_t_session_id
lc_t_wait "waiting for your task" 60

tm send-keys -t lc C-z
lc_t_wait "Stopped" 10
state="$(ps -o stat= -p "$pid" | tr -d ' ')"
[[ "$state" == T* ]] || lc_t_fail "after Ctrl-Z the process state is '$state', expected stopped (T)"
if grep -qF "Task (Enter starts the agent" <<<"$(lc_t_screen)"; then
  lc_t_fail "after Ctrl-Z the UI is still on the screen"
fi
lc_t_ok "Ctrl-Z stops litecode-tui and gives the shell its terminal"

tm send-keys -t lc -l 'fg; echo LC-RC=$?'
tm send-keys -t lc Enter
lc_t_wait "Task (Enter starts the agent" 10
lc_t_wait "resumed" 5
state="$(ps -o stat= -p "$pid" | tr -d ' ')"
[[ "$state" != T* ]] || lc_t_fail "after fg the process is still stopped"
lc_t_ok "fg brings the UI back"

tm set-buffer -b lcp "first line"$'\n'"second line"
tm paste-buffer -p -b lcp -t lc
lc_t_wait "Task (Enter starts the agent, Esc then q quits): first line⏎second line" 5
if grep -qF "Task: first line" <<<"$(lc_t_screen)"; then lc_t_fail "the paste's line break sent the task"; fi
lc_t_ok "bracketed paste is on again after the resume"

sleep 0.3
tm send-keys -t lc C-u Escape
lc_t_wait "i/: types the task" 5
tm send-keys -t lc q
lc_t_wait "LC-RC=0" 30
lc_t_ok "q before a task quits with 0"
lc_t_no_containers
lc_t_original_untouched
echo "tmux_suspend: PASS"
