#!/usr/bin/env bash
# The whole demo in a real terminal (tmux, 120x36): the real binary, the recorded model (replay:), a real
# container. Every step approved one by one, the final answer shown, the hunk selected and applied in the
# Diffs pane (the original file changes and its tests pass), undone with u (the file is back), q says the
# hunk is not applied and asks, y quits with 0 and no container of the session remains.
set -euo pipefail
LC_T_NAME="tmux_demo_apply"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
if (cd "$LC_T_PROJ" && python3 -m unittest >/dev/null 2>&1); then
  lc_t_fail "the demo project's tests already pass before the session: the apply check would prove nothing"
fi
lc_tmux_start 120 36
lc_t_session_id
lc_t_log "session $LC_T_SESSION_ID, pid $LC_T_PID, project copy $LC_T_PROJ"

lc_t_wait "This is the bundled demo" 30
lc_t_ok "the demo says it is the demo and how to configure a real model"

lc_t_wait "Run step 1?" 60
lc_t_original_untouched
lc_t_answer y
lc_t_wait "Run step 2?" 60
lc_t_wait "inventory.py" 5
# Step 1 ran in a container labelled with this session: the check at the end cannot pass vacuously.
[[ -n "$(lc_t_containers)" ]] || lc_t_fail "no container labelled litecode.session=$LC_T_SESSION_ID while the session runs"
lc_t_ok "step 1 ran in a container of this session ($(lc_t_containers | head -n 1))"
lc_t_answer Enter
lc_t_wait "Run step 3?" 60
lc_t_answer y
lc_t_wait "Run step 4?" 60
lc_t_wait "Ran 3 tests" 5
lc_t_ok "steps 1-3 approved (y, Enter, y); step 3's test run shown in the Output pane"
lc_t_original_untouched
shadow="$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/shadow/inventory.py"
grep -qF 'total += item["price"] * item["quantity"]' "$shadow" 2>/dev/null \
  || lc_t_fail "step 3 did not change the shadow copy ($shadow)"
lc_t_ok "step 3 changed the shadow copy; the original is untouched"
lc_t_answer y
lc_t_wait "Fixed two bugs in inventory.py" 60
lc_t_wait "session answered" 10
lc_t_ok "the final answer is shown"

# Focus the Diffs pane: Tab cycles conversation -> code -> output -> diffs.
lc_t_wait "M inventory.py" 10
lc_t_focus Diffs
lc_t_ok "Tab focuses the Diffs pane"

tm send-keys -t lc t
lc_t_wait "[x] M inventory.py" 5
lc_t_wait "1 selected" 5
lc_t_ok "t selects the hunk"
tm send-keys -t lc A
lc_t_wait "undo 1" 10
grep -qF 'total += item["price"] * item["quantity"]' "$LC_T_PROJ/inventory.py" \
  || lc_t_fail "A did not change inventory.py on disk: $(cat "$LC_T_PROJ/inventory.py")"
grep -qF 'if item["quantity"] < threshold]' "$LC_T_PROJ/inventory.py" \
  || lc_t_fail "A did not apply the second change of the hunk"
tests_out="$(cd "$LC_T_PROJ" && python3 -m unittest 2>&1)" \
  || lc_t_fail "the project's tests fail after the apply: $tests_out"
lc_t_ok "A applied the hunk to the original; python3 -m unittest passes there ($(tail -n 1 <<<"$tests_out"))"
[[ -z "$(find "$LC_T_PROJ" -name '*.orig' -o -name '*.rej' -o -name '*.lc-*')" ]] \
  || lc_t_fail "the apply left files behind: $(find "$LC_T_PROJ" -name '*.orig' -o -name '*.rej' -o -name '*.lc-*')"

tm send-keys -t lc u
lc_t_wait "undo 0" 10
lc_t_original_untouched
lc_t_wait "[ ] M inventory.py" 5
lc_t_ok "u undid the apply: inventory.py is byte for byte the original, the hunk is back in the view"

# The hunk is back in the shadow only: q says so before it quits (issue 17, item 13).
tm send-keys -t lc q
lc_t_wait "1 hunk in 1 file not applied: they stay in the shadow copy (--resume last reviews them). Quit? (y/n)" 5
[[ ! -s "$LC_T_TMP/rc" ]] || lc_t_fail "q quit at once with an unapplied hunk"
lc_t_ok "q with an unapplied hunk names it and where it stays, and asks"
tm send-keys -t lc y
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 0 ]] || lc_t_fail "q after the final answer exited with $rc, expected 0"
lc_t_ok "y then quits with exit code 0"
lc_t_wait "LC-DONE" 5
grep -qF "resume with --resume" <<<"$(lc_t_screen)" || lc_t_fail "the exit message with the session log is not shown"
lc_t_no_containers
lc_t_ok "no container labelled litecode.session=$LC_T_SESSION_ID remains"
lc_t_original_untouched
echo "tmux_demo_apply: PASS"
