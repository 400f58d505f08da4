#!/usr/bin/env bash
# A project holding a FIFO whose name carries escape sequences (clear the screen, set the window
# title), run in the real TUI in a real terminal (tmux): the start notes printed on stderr before
# curses starts, and the same note in the conversation pane, show the name escaped. After the exit the
# normal screen still holds the lines printed before the note (nothing cleared it) and the window
# title is not the one the name asked for.
set -euo pipefail
LC_T_NAME="tmux_hostile_names"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
mkfifo "$LC_T_PROJ/fifo"$'\e[2J\e]2;PWNED\a\e[3J'
lc_tmux_start 120 36 --model "replay:$LC_SOURCE_DIR/examples/demo/session.jsonl" "fix the bugs"
lc_t_session_id

lc_t_wait "Run step 1?" 60
lc_t_wait "not copied into the sandbox: fifo^[[2J^[]2;PWNED^G^[[3J (fifo)" 5
lc_t_ok "the conversation pane shows the FIFO's name escaped"
lc_t_answer s
lc_t_wait "session stopped" 30
tm send-keys -t lc q
lc_t_wait_exit 30 >/dev/null
lc_t_wait "LC-DONE" 5

screen="$(tm capture-pane -p -J -t lc)"
grep -qF "litecode-tui: not copied into the sandbox: fifo^[[2J^[]2;PWNED^G^[[3J (fifo)" <<<"$screen" \
  || lc_t_fail "the start note on stderr does not show the FIFO's name escaped"
grep -qF "litecode-tui: shadow copy:" <<<"$screen" \
  || lc_t_fail "the line printed before the note is gone from the screen: the name cleared it"
lc_t_ok "the start notes on stderr show the name escaped and cleared nothing"
title="$(tm display -p -t lc '#{pane_title}')"
[[ "$title" != *PWNED* ]] || lc_t_fail "the window title was set by the file name: '$title'"
lc_t_ok "the window title is not the name's ('$title')"
