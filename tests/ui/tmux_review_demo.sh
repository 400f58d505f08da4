#!/usr/bin/env bash
# Issue 12 through the real binary in tmux (120x40), the bundled demo (replay model, real container):
# the agent's two fixes arrive as one hunk; | splits it and the first fix alone is applied; u undoes,
# U redoes (logged "redo"); v picks a single line of the other fix (applied alone, then undone); E edits
# that fix in $EDITOR and applies the user's version (project and shadow get it, logged "edited"); the
# agent's next observation says the user applied it with edits (the session log's "reverted" event).
set -euo pipefail
LC_T_NAME="tmux_review_demo"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
# $EDITOR: the user adds a comment to the agent's added line.
cat >"$LC_T_TMP/ed.sh" <<'ED'
#!/bin/sh
sed -i 's/^\(+.*< threshold\]\)$/\1  # edited by you/' "$1"
ED
chmod +x "$LC_T_TMP/ed.sh"
export EDITOR="$LC_T_TMP/ed.sh"
unset VISUAL
lc_tmux_start 120 40
lc_t_session_id
log="$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/session.jsonl"
proj="$LC_T_PROJ/inventory.py"
fix1='total += item["price"] * item["quantity"]'
fix2='if item["quantity"] < threshold]'

lc_t_wait "Run step 1?" 60
lc_t_answer y
lc_t_wait "Run step 2?" 60
lc_t_answer Enter
lc_t_wait "Run step 3?" 60
lc_t_answer y
lc_t_wait "Run step 4?" 60
lc_t_ok "steps 1-3 ran; step 4 waits (the agent will observe what the review does now)"

lc_t_focus Diffs
tm send-keys -t lc z
lc_t_wait "M inventory.py" 10
[[ "$(lc_t_screen | grep -c '@@ ')" == 1 ]] || lc_t_fail "the demo's two fixes are not one hunk: $(lc_t_screen | grep '@@ ')"
lc_t_ok "the two fixes arrive as one hunk"

tm send-keys -t lc n '|'
lc_t_wait "split into 2 hunks" 5
[[ "$(lc_t_screen | grep -c '@@ ')" == 2 ]] || lc_t_fail "| did not split the hunk in two"
tm send-keys -t lc t A
lc_t_wait "undo 1" 10
grep -qF "$fix1" "$proj" || lc_t_fail "the first fix is not in the project after t A: $(cat "$proj")"
grep -qF "$fix2" "$proj" && lc_t_fail "the second fix was applied with the first"
lc_t_ok "| then t A applied the first fix alone"

tm send-keys -t lc u
lc_t_wait "redo 1" 10
lc_t_original_untouched
tm send-keys -t lc U
lc_t_wait "redone" 10
grep -qF "$fix1" "$proj" || lc_t_fail "U did not redo the first fix"
grep -q '"detail":"redo"' "$log" || lc_t_fail "the redo is not in the session log"
lc_t_ok "u undid it, U redid it (the session log records the redo)"

# One line of the second fix: the removed line alone.
tm send-keys -t lc g n v
lc_t_wait "LINES" 5
tm send-keys -t lc Space
lc_t_wait "[~] M inventory.py" 5
tm send-keys -t lc A
lc_t_wait "undo 2" 10
grep -qF '<= threshold]' "$proj" && lc_t_fail "the picked removed line is still in the project"
grep -qF "$fix2" "$proj" && lc_t_fail "the unpicked added line was applied too"
lc_t_ok "v Space A took the single removed line of the second fix"
tm send-keys -t lc u
lc_t_wait "undo 1" 10
grep -qF '<= threshold]' "$proj" || lc_t_fail "u did not bring the line back"

# The second fix, edited in $EDITOR.
tm send-keys -t lc g n E
lc_t_wait "applied as you edited it" 15
grep -qF "$fix2  # edited by you" "$proj" || lc_t_fail "the edited hunk is not in the project: $(cat "$proj")"
grep -qF "$fix2  # edited by you" "$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/shadow/inventory.py" \
  || lc_t_fail "the shadow does not have the user's version"
grep -q '"detail":"edited"' "$log" || lc_t_fail "the edited apply is not in the session log"
lc_t_ok "E applied the user's version to the project and the shadow (logged 'edited')"

tm send-keys -t lc z
lc_t_answer y
lc_t_wait "Fixed two bugs in inventory.py" 60
grep -F '"reverted"' "$log" | grep -qF 'with edits' \
  || lc_t_fail "the agent's next observation does not say the user applied the hunk with edits"
lc_t_ok "the agent's next observation says the user applied the hunk with edits"
tests_out="$(cd "$LC_T_PROJ" && python3 -m unittest 2>&1)" || lc_t_fail "the project's tests fail: $tests_out"
lc_t_ok "the project's tests pass with both fixes in"
tm send-keys -t lc q
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 0 ]] || lc_t_fail "q exited with $rc"
lc_t_no_containers
echo "tmux_review_demo: PASS"
