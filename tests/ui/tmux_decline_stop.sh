#!/usr/bin/env bash
# The demo in a real terminal (tmux, 120x36, real container): step 1 declined (d) with a typed reason (shown
# in the conversation, recorded in the session log, and the step did not run), then s stops the session
# at step 2's question; q quits with exit code 3 (stopped), the original project is untouched and no
# container of the session remains.
set -euo pipefail
LC_T_NAME="tmux_decline_stop"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

reason="run the tests first, not a listing"

lc_tmux_setup
lc_tmux_start 120 36
lc_t_session_id
lc_t_log "session $LC_T_SESSION_ID, pid $LC_T_PID, project copy $LC_T_PROJ"

lc_t_wait "Run step 1?" 60
lc_t_answer d
lc_t_wait "Why decline?" 10
tm send-keys -t lc -l "$reason"
lc_t_wait "Why decline? (Enter sends, Esc goes back): $reason" 10
lc_t_ok "d asks for a reason; the typed reason shows on the input line"
tm send-keys -t lc Enter
lc_t_wait "Run step 2?" 60
lc_t_wait "declined: $reason" 5
lc_t_ok "the reason is shown in the conversation"
# The declined step did not run: its output (the listing of inventory.py) is nowhere on the screen.
if grep -qF "def total_value" <<<"$(lc_t_screen)"; then
  lc_t_fail "step 1 was declined but its output (inventory.py's source) is on the screen"
fi
lc_t_ok "the declined step did not run (no output)"

lc_t_answer s
lc_t_wait "session stopped" 30
lc_t_ok "s at step 2's question stops the session"
lc_t_original_untouched
tm send-keys -t lc q
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 3 ]] || lc_t_fail "quit after a stop exited with $rc, expected 3 (stopped)"
lc_t_ok "exit code 3 (stopped)"

# The log path as the program prints it at exit ("resume with --resume PATH"; -J joins wrapped rows).
lc_t_wait "LC-DONE" 5
log="$(tm capture-pane -p -J -t lc | sed -n 's/.*resume with --resume \(.*session\.jsonl\).*/\1/p' | head -n 1)"
[[ -n "$log" ]] || lc_t_fail "the exit message does not name the session log (resume with --resume PATH)"
[[ "$log" == "$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/session.jsonl" ]] \
  || lc_t_fail "the printed log path $log is not this session's log under XDG_STATE_HOME"
[[ -f "$log" ]] || lc_t_fail "the printed session log $log does not exist"
lc_t_ok "the exit message names the session log: $log"

python3 - "$log" "$reason" <<'EOF' || lc_t_fail "the session log does not record the decline and the stop (see above)"
import json, sys
path, reason = sys.argv[1], sys.argv[2]
recs = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
decisions = [(r.get("step"), r.get("decision"), r.get("reason")) for r in recs if r.get("kind") == "decision"]
ok = True
if (1, "declined", reason) not in decisions:
    print(f"no decision record 'declined' with the reason for step 1; decisions: {decisions}", file=sys.stderr)
    ok = False
if not any(d[0] == 2 and d[1] == "stopped" for d in decisions):
    print(f"no decision record 'stopped' for step 2; decisions: {decisions}", file=sys.stderr)
    ok = False
done = [r for r in recs if r.get("kind") == "done"]
if not done or done[-1].get("outcome") != "stopped":
    print(f"the last 'done' record is not outcome=stopped: {done}", file=sys.stderr)
    ok = False
ran = [r for r in recs if r.get("kind") in ("result", "output", "exec") and r.get("step") == 1]
if ran:
    print(f"step 1 was declined but the log has its execution: {ran[:1]}", file=sys.stderr)
    ok = False
sys.exit(0 if ok else 1)
EOF
lc_t_ok "the log records step 1 declined with the reason, step 2 stopped, outcome stopped"

lc_t_no_containers
lc_t_ok "no container labelled litecode.session=$LC_T_SESSION_ID remains"
lc_t_original_untouched
lc_t_ok "the original project is untouched"
echo "tmux_decline_stop: PASS"
