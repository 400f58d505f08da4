#!/usr/bin/env bash
# Issue 17, "what users of tig, lazygit and the agent TUIs expect", through the real binary in a real
# terminal (tmux 120x36, a recorded model, a real container):
#  - the input line edits (the task typed with Left, C-a, C-e, C-w, then Enter);
#  - Y in the Code pane copies the code to the clipboard by OSC 52 (tmux, set-clipboard on, keeps it
#    in a paste buffer: the buffer is the code);
#  - 5,000 lines of output with ui.scrollback: 1000: the Output pane's first line says how many were
#    dropped (item 9);
#  - / searches the Output pane, n finds again;
#  - the mouse (X10 sequences as a terminal sends them): the wheel over the Conversation scrolls it,
#    a click on the Diffs pane focuses it.
set -euo pipefail
LC_T_NAME="tmux_daily"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
mkdir -p "$LC_T_CONFIG/litecode"
printf 'ui:\n  scrollback: 1000\n' >"$LC_T_CONFIG/litecode/config.yaml"
rec="$LC_T_TMP/daily.jsonl"
python3 - "$rec" <<'EOF'
import json, sys
talk = "\n".join(f"Thought line {i} of a long explanation." for i in range(1, 41))
reply1 = (talk + "\n```python\nfor i in range(5000):\n    print('spam line', i, 'NEEDLE' if i % 700 == 1 else '')\n```")
reply2 = "Thought: done.\n```python\nfinal_answer('daily done')\n```"
recs = [
    {"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "header", "step": 0, "version": "0.1.0", "note": "daily"},
    {"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "task", "step": 0, "text": "hello world!"},
    {"v": 1, "ts": "2026-12-04T00:00:01Z", "kind": "model_reply", "step": 1, "content": reply1, "finish_reason": "stop"},
    {"v": 1, "ts": "2026-12-04T00:00:02Z", "kind": "model_reply", "step": 2, "content": reply2, "finish_reason": "stop"},
]
with open(sys.argv[1], "w") as f:
    for r in recs:
        f.write(json.dumps(r) + "\n")
EOF
tm start-server 2>/dev/null || true
lc_tmux_start 120 36 --model "replay:$rec"
tm set-option -g set-clipboard on
lc_t_session_id
lc_t_wait "Task (Enter starts the agent" 30

# ---- the input line edits -------------------------------------------------------------------------
tm send-keys -t lc -l "world"
tm send-keys -t lc C-a
tm send-keys -t lc -l "hello "
tm send-keys -t lc C-e
tm send-keys -t lc -l "! oops"
tm send-keys -t lc C-w BSpace Left Left
tm send-keys -t lc -l "X"
lc_t_wait "Task (Enter starts the agent, Esc then q quits): hello worlXd!" 5
tm send-keys -t lc BSpace Home DC
lc_t_wait "Task (Enter starts the agent, Esc then q quits): ello world!" 5
tm send-keys -t lc -l "h"
tm send-keys -t lc End
lc_t_wait "Task (Enter starts the agent, Esc then q quits): hello world!" 5
tm send-keys -t lc Enter
lc_t_wait "Run step 1?" 60
grep -qF '"text":"hello world!"' "$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/session.jsonl" \
  || grep -qF '"text": "hello world!"' "$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/session.jsonl" \
  || lc_t_fail "the session log has no task 'hello world!'"
lc_t_ok "the task typed with Left/Right, Home/End, C-a/C-e, C-w, Del and BS is what the agent got"

# ---- copy: Y in the Code pane puts the code in the clipboard (OSC 52) ------------------------------
tm send-keys -t lc Tab
sleep 0.7 # the question's type-ahead guard is for its own keys; Tab and Y are not among them
tm send-keys -t lc Y
lc_t_wait "copied the code (2 lines) to the clipboard" 5
got="$(tm show-buffer 2>/dev/null || true)"
want=$'for i in range(5000):\n    print(\'spam line\', i, \'NEEDLE\' if i % 700 == 1 else \'\')'
[[ "$got" == "$want" ]] || lc_t_fail "the clipboard (tmux buffer) holds '$got', expected the code"
lc_t_ok "Y in the Code pane copied the code by OSC 52 (tmux's buffer is the code)"

# ---- mouse: the wheel scrolls the pane under the pointer, a click focuses -------------------------
lc_t_wait "[code: see the Code pane]" 5
mouse() { # X10: ESC [ M, then button, column and row (1-based), each plus 32
  tm send-keys -t lc -l "$(printf '\033[M%b%b%b' "\\x$(printf %x $(( $1 + 32 )))" \
    "\\x$(printf %x $(( $2 + 33 )))" "\\x$(printf %x $(( $3 + 33 )))")"
}
mouse 64 10 5; mouse 64 10 5; mouse 64 10 5 # wheel up over the Conversation (row 5, column 10)
lc_t_wait "(scrolled: G follows)" 5
grep -q '^  Conversation' <<<"$(lc_t_screen)" || lc_t_fail "the wheel moved the focus"
lc_t_ok "the wheel over the Conversation scrolls it; the focus stays"
mouse 0 10 28; mouse 3 10 28 # press and release over the Diffs pane (row 28)
lc_t_wait "> Diffs" 5
lc_t_ok "a click on the Diffs pane focuses it"

# ---- output at volume: the scrollback keeps 1000 lines and says what it dropped ---------------------
lc_t_answer y
lc_t_wait "== step 1: ok" 90
tm send-keys -t lc Tab Tab Tab # Diffs -> Conversation -> Code -> Output
lc_t_wait "> Output" 5
tm send-keys -t lc g
lc_t_wait "earlier lines dropped: the last 1000 are kept," 5
lc_t_ok "5,000 lines with ui.scrollback: 1000: the Output pane says what it dropped"

# ---- search: / and n in the Output pane ----------------------------------------------------------
tm send-keys -t lc /
lc_t_wait "Search (Enter finds" 5
tm send-keys -t lc -l "needle"
tm send-keys -t lc Enter
lc_t_wait "spam line 4201 NEEDLE" 5
tm send-keys -t lc n
lc_t_wait "spam line 4901 NEEDLE" 5
grep -qF "spam line 4201 NEEDLE" <<<"$(lc_t_screen)" && lc_t_fail "n did not move on to the next match"
lc_t_ok "/needle found the first kept line with NEEDLE, n the next"

lc_t_wait "Run step 2?" 60
lc_t_answer y
lc_t_wait "daily done" 60
if grep -qF "ran without output" <<<"$(lc_t_screen)"; then lc_t_fail "the final step says it ran without output"; fi
lc_t_ok "the final step's answer, without a 'ran without output' hint"
lc_t_wait " | done | " 30 # the session has ended (the status bar): q quits without asking
tm send-keys -t lc q
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 0 ]] || lc_t_fail "the session exited with $rc, expected 0"
lc_t_original_untouched
echo "tmux_daily: PASS"
