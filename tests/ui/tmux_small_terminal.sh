#!/usr/bin/env bash
# The demo started in a real terminal that is too small (tmux, 60x20): a clear message instead of the
# panes; resized to 120x36 (SIGWINCH from tmux) the four panes and step 1's question appear; at the
# 80x24 boundary the panes stay, one row less brings the message back. The session then goes on: step 1
# runs, s stops, q quits with 3 and no container of the session remains.
set -euo pipefail
LC_T_NAME="tmux_small_terminal"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

panes_shown() {
  local s; s="$(lc_t_screen)"
  grep -q 'Conversation' <<<"$s" && grep -q 'Code step' <<<"$s" && grep -q 'Output' <<<"$s" \
    && grep -q 'Diffs' <<<"$s"
}

resize() {
  tm resize-window -t lc -x "$1" -y "$2"
  local size; size="$(tm display -p -t lc '#{window_width}x#{window_height}')"
  [[ "$size" == "$1x$2" ]] || lc_t_fail "tmux did not resize the window to $1x$2 (it is $size)"
}

lc_tmux_setup
lc_tmux_start 60 20
lc_t_session_id
lc_t_log "session $LC_T_SESSION_ID, pid $LC_T_PID, project copy $LC_T_PROJ"

lc_t_wait "Terminal too small: 60x20." 30
lc_t_wait "needs at least 80x24" 5
panes_shown && lc_t_fail "the panes are drawn in a 60x20 terminal"
# Long enough for the session to reach its first question behind the message.
sleep 2
panes_shown && lc_t_fail "the panes are drawn in a 60x20 terminal"
lc_t_ok "60x20: the too-small message, no panes"

resize 120 36
lc_t_wait "Run step 1?" 30
panes_shown || lc_t_fail "after the resize to 120x36 the four panes are not all shown"
grep -q "too small" <<<"$(lc_t_screen)" && lc_t_fail "the too-small message stays after the resize to 120x36"
lc_t_ok "120x36: the four panes and step 1's question"

resize 80 24
sleep 0.5
lc_t_wait "Run step 1?" 10
panes_shown || lc_t_fail "at 80x24 (the minimum) the panes are not all shown"
lc_t_ok "80x24: the panes are shown"
resize 80 23
lc_t_wait "Terminal too small: 80x23." 10
lc_t_ok "80x23: the too-small message again"

resize 120 36
lc_t_wait "Run step 1?" 10
lc_t_answer y
lc_t_wait "Run step 2?" 60
lc_t_wait "inventory.py" 5
lc_t_ok "after the resizes the session goes on: step 1 ran"
lc_t_answer s
lc_t_wait "session stopped" 30
tm send-keys -t lc q
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 3 ]] || lc_t_fail "quit after a stop exited with $rc, expected 3 (stopped)"
lc_t_ok "s then q: exit code 3"
lc_t_no_containers
lc_t_ok "no container labelled litecode.session=$LC_T_SESSION_ID remains"
lc_t_original_untouched
echo "tmux_small_terminal: PASS"
