#!/usr/bin/env bash
# Issue 17 through the real binary in a real terminal (tmux 120x36, the recorded demo model, a real
# container): nothing runs unless the user meant it, and starting and stopping.
#  - started without a task, the TUI opens with the input line ready for it (item 10);
#  - a two-line paste (tmux paste-buffer -p, bracketed only because the program asked for it) while
#    "Run step 1?" is open lands in the message line as text: the line break sends nothing, the "y"
#    approves nothing, the step does not run (item 1); a paste with no line open opens it, its "e"
#    opens no editor;
#  - Ctrl-C in the input line clears it and the session goes on (item 3);
#  - q right after a question appears asks to quit; an Enter there runs nothing (item 4);
#  - in the focused Diffs pane "n" does not open "Why decline?" (item 5);
#  - Ctrl-C, the step ends, the next question comes, Ctrl-C again: the session stops (item 2);
#  - without a terminal, with a missing --dir or a bad --theme: exit 2 before any session exists
#    (items 11, 12).
set -euo pipefail
LC_T_NAME="tmux_keys"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
replay="replay:$LC_SOURCE_DIR/examples/demo/session.jsonl"
run_env=(env -u LITECODE_MODEL HOME="$LC_T_TMP" XDG_STATE_HOME="$LC_T_STATE" XDG_CONFIG_HOME="$LC_T_CONFIG")

# ---- items 11, 12: refused before anything starts -------------------------------------------------
rc=0; out="$("${run_env[@]}" "$LITECODE_TUI" --dir "$LC_T_PROJ" --model "$replay" 2>&1 </dev/null)" || rc=$?
[[ $rc == 2 ]] || lc_t_fail "the TUI with stdout not a terminal exited $rc, expected 2: $out"
grep -qF -- "--headless" <<<"$out" || lc_t_fail "the refusal does not suggest --headless: $out"
rc=0; out="$(script -qec "$(printf '%q ' "${run_env[@]}" "$LITECODE_TUI" --dir "$LC_T_TMP/nowhere" --model "$replay")" /dev/null 2>&1 </dev/null)" || rc=$?
[[ $rc == 2 ]] || lc_t_fail "a missing --dir exited $rc, expected 2: $out"
grep -qF "nowhere" <<<"$out" || lc_t_fail "the error does not name the missing --dir: $out"
rc=0; out="$(script -qec "$(printf '%q ' "${run_env[@]}" "$LITECODE_TUI" --dir "$LC_T_PROJ" --theme no-such-theme --model "$replay")" /dev/null 2>&1 </dev/null)" || rc=$?
[[ $rc == 2 ]] || lc_t_fail "a bad --theme exited $rc, expected 2: $out"
grep -qF "no-such-theme" <<<"$out" || lc_t_fail "the error does not name the bad theme: $out"
[[ ! -e "$LC_T_STATE/litecode/sessions" ]] || lc_t_fail "a session directory was made before the options were checked"
lc_t_ok "no terminal, a missing --dir, a bad --theme: exit 2 before any session or shadow copy"

# ---- item 10: no task -----------------------------------------------------------------------------
cat >"$LC_T_TMP/editor.sh" <<EOF
#!/bin/sh
touch $(printf '%q' "$LC_T_TMP/editor-ran")
EOF
chmod +x "$LC_T_TMP/editor.sh"
export EDITOR="$LC_T_TMP/editor.sh" VISUAL="$LC_T_TMP/editor.sh"
lc_tmux_start 120 36 --model "$replay"
lc_t_session_id
lc_t_wait "Task (Enter starts the agent" 30
lc_t_wait "waiting for your task" 60
lc_t_ok "without a task the input line is ready for one and the sandbox waits"
tm send-keys -t lc -l "fix the failing tests"
tm send-keys -t lc Enter
lc_t_wait "Run step 1?" 60
lc_t_wait "Task: fix the failing tests" 5
lc_t_ok "the typed task starts the agent"

# ---- item 1: a paste is text ----------------------------------------------------------------------
sleep 0.6
tm send-keys -t lc i
lc_t_wait "Message (Enter sends" 5
tm set-buffer -b lcp "see below"$'\n'"you can go ahead"
tm paste-buffer -p -b lcp -t lc
lc_t_wait "Message (Enter sends, Esc cancels): see below⏎you can go ahead" 5
sleep 1
if grep -qF "== step 1 ==" <<<"$(lc_t_screen)"; then lc_t_fail "the paste ran step 1"; fi
grep -qF "message queued" <<<"$(lc_t_screen)" && lc_t_fail "the paste's line break sent the message"
lc_t_ok "a two-line paste is text in the message line: nothing sent, step 1 not run"
tm send-keys -t lc Escape
lc_t_wait "Run step 1? y/Enter run" 5
tm set-buffer -b lcp "edit this, yes"
tm paste-buffer -p -b lcp -t lc
lc_t_wait "Message (Enter sends, Esc cancels): edit this, yes" 5
[[ ! -e "$LC_T_TMP/editor-ran" ]] || lc_t_fail "the paste's e opened the editor"
lc_t_ok "a paste with no line open opens the message line; its e opens no editor"

# ---- item 3: Ctrl-C clears the input line ---------------------------------------------------------
sleep 0.3 # keys right after a paste (150 ms) still count as its text
tm send-keys -t lc C-c
lc_t_wait "line cleared (Up brings it back)" 5
tm send-keys -t lc Up
lc_t_wait "Message (Enter sends, Esc cancels): edit this, yes" 5
tm send-keys -t lc C-u Escape
lc_t_wait "Run step 1? y/Enter run" 5
if grep -qF "session stopped" <<<"$(lc_t_screen)"; then lc_t_fail "Ctrl-C in the input line stopped the session"; fi
lc_t_ok "Ctrl-C in the input line clears it (Up brings it back); the session goes on"

lc_t_answer y
lc_t_wait "Run step 2?" 60
lc_t_ok "step 1 ran on y"

# ---- item 4: q right after the question appears is not dropped, and never becomes a run ------------
tm send-keys -t lc q
lc_t_wait "The agent is working. Stop it and quit? (y/n)" 5
tm send-keys -t lc Enter
lc_t_wait "y quits, n goes back" 5
sleep 0.5
if grep -qF "== step 2 ==" <<<"$(lc_t_screen)"; then lc_t_fail "Enter at the quit question ran step 2"; fi
tm send-keys -t lc n
lc_t_wait "Run step 2? y/Enter run" 5
lc_t_ok "q at once opens the quit question; Enter there is not a yes and runs nothing; n goes back"

# ---- item 5: pane keys go to the focused pane -----------------------------------------------------
for _ in 1 2 3 4 5; do
  if grep -q '^> Diffs' <<<"$(lc_t_screen)"; then break; fi
  tm send-keys -t lc Tab
  sleep 0.3
done
grep -q '^> Diffs' <<<"$(lc_t_screen)" || lc_t_fail "Tab did not focus the Diffs pane"
tm send-keys -t lc n
sleep 0.5
if grep -qF "Why decline?" <<<"$(lc_t_screen)"; then lc_t_fail "n in the Diffs pane opened 'Why decline?'"; fi
lc_t_wait "Run step 2? y/Enter run  e edit  d decline" 5
lc_t_ok "n in the focused Diffs pane does not answer the question; the bar offers d to decline"

# ---- item 2: Ctrl-C, the step ends, the next question, Ctrl-C: stopped ----------------------------
lc_t_answer y C-c
lc_t_wait "Run step 3?" 60
tm send-keys -t lc C-c
lc_t_wait "session stopped" 30
lc_t_ok "Ctrl-C, step 2 ended, step 3's question came, Ctrl-C again: the session stopped"
tm send-keys -t lc q
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 3 ]] || lc_t_fail "exit code $rc after the stop, expected 3"
lc_t_ok "q quits with 3 (stopped)"

log="$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/session.jsonl"
python3 - "$log" <<'EOF' || lc_t_fail "the session log does not show the expected decisions (see above)"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
dec = [(r.get("step"), r.get("decision")) for r in recs if r.get("kind") == "decision"]
if [s for s, _ in dec] != [1, 2, 3] or dec[2][1] != "stopped" or any(d in ("declined", "stopped") for _, d in dec[:2]):
    print(f"decisions: {dec}", file=sys.stderr)
    sys.exit(1)
EOF
lc_t_ok "the log: steps 1 and 2 approved by y, step 3 stopped: nothing declined or run by a paste"
lc_t_no_containers
lc_t_original_untouched
echo "tmux_keys: PASS"
