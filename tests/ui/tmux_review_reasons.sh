#!/usr/bin/env bash
# Issue 12 through the real binary in tmux (120x40), the bundled demo (replay model, real container):
# the reasons the user types at the Diffs pane's prompts reach the model. | splits the demo's hunk, t picks
# the first fix, r asks "Why revert?" and reverts it in the shadow; S asks "Why skip this file?" and
# declines the rest of the file. The agent's next observation (the session log's "reverted" event) and
# the model's next request (the log's "request" record, its new messages) carry both reasons verbatim.
# The model is a replay written here (three replies), so that a request follows the observation.
set -euo pipefail
LC_T_NAME="tmux_review_reasons"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
# The model side, recorded: step 1 makes the demo's two fixes, step 2 looks again (its observation
# carries the review's reasons), step 3 answers (the request for it is the model's next request).
python3 - "$LC_T_TMP/reasons.jsonl" <<'PY'
import json, sys
replies = [
    "Thought: fix both bugs.\n```python\nsource = open('inventory.py').read()\n"
    "source = source.replace('total += item[\"price\"] + item[\"quantity\"]', "
    "'total += item[\"price\"] * item[\"quantity\"]')\n"
    "source = source.replace('if item[\"quantity\"] <= threshold]', 'if item[\"quantity\"] < threshold]')\n"
    "open('inventory.py', 'w').write(source)\nprint('fixed')\n```",
    "Thought: look again.\n```python\nprint('looked again')\n```",
    "Thought: done.\n```python\nfinal_answer('Reviewed: kept what the user kept')\n```",
]
events = [{"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "header", "step": 0, "version": "0.1.0",
           "note": "tmux_review_reasons"},
          {"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "task", "step": 0, "text": "Fix inventory.py"}]
for i, content in enumerate(replies, 1):
    events.append({"v": 1, "ts": "2026-12-04T00:00:%02dZ" % i, "kind": "model_reply", "step": i,
                   "content": content, "finish_reason": "stop"})
with open(sys.argv[1], "w") as f:
    f.writelines(json.dumps(e) + "\n" for e in events)
PY
lc_tmux_start 120 40 --model "replay:$LC_T_TMP/reasons.jsonl" "Fix inventory.py"
lc_t_session_id
log="$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/session.jsonl"
shadow="$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/shadow/inventory.py"
fix1='total += item["price"] * item["quantity"]'
why_revert='the sum must stay per item for the report 7431'
why_skip='threshold rules belong to the warehouse team 5519'

lc_t_wait "Run step 1?" 60
lc_t_answer y
lc_t_wait "Run step 2?" 60
lc_t_ok "step 1 made the two fixes; step 2 waits (the agent will observe what the review does now)"

lc_t_focus Diffs
tm send-keys -t lc z
lc_t_wait "M inventory.py" 10
tm send-keys -t lc n '|'
lc_t_wait "split into 2 hunks" 5
grep -qF "$fix1" "$shadow" || lc_t_fail "the shadow does not have the agent's first fix"

# r: the reason prompt, then the revert in the shadow.
tm send-keys -t lc t r
lc_t_wait "Why revert? The agent reads it" 5
tm send-keys -t lc -l "$why_revert"
lc_t_wait "$why_revert" 5
tm send-keys -t lc Enter
lc_t_wait "ok inventory.py: reverted - reverted lines" 10
grep -qF "$fix1" "$shadow" && lc_t_fail "r did not revert the first fix in the shadow: $(cat "$shadow")"
lc_t_ok "t r asked why and reverted the first fix in the shadow"

# S: the reason prompt for declining the rest of the file.
tm send-keys -t lc g
tm send-keys -t lc S
lc_t_wait "Why skip this file? The agent reads it" 5
tm send-keys -t lc -l "$why_skip"
lc_t_wait "$why_skip" 5
tm send-keys -t lc Enter
lc_t_wait "skipped inventory.py" 10
lc_t_original_untouched
lc_t_ok "S asked why and declined the file (nothing applied to the project)"

tm send-keys -t lc z
lc_t_answer y
lc_t_wait "Run step 3?" 60
lc_t_answer y
for _ in $(seq 1 120); do grep -q '"kind":"done"' "$log" && break; sleep 0.5; done
grep -q '"kind":"final_answer"' "$log" || lc_t_fail "the session did not end with the final answer"
# The agent's observation after step 4, as logged, and the model's next request.
python3 - "$log" "$why_revert" "$why_skip" <<'PY' || lc_t_fail "the reasons did not reach the model (see above)"
import json, sys
log, why_revert, why_skip = sys.argv[1:]
recs = [json.loads(l) for l in open(log, encoding="utf-8") if l.strip()]
rev = [r for r in recs if r.get("kind") == "reverted"]
if not rev:
    sys.exit("no 'reverted' event in the session log")
summary = rev[-1].get("summary", "")
for want in ("The user's reason for reverting: " + why_revert,
             "inventory.py: the user declined this file's changes",
             "The user's reason: " + why_skip):
    if want not in summary:
        sys.exit("the agent's observation lacks %r: %r" % (want, summary))
after = recs[recs.index(rev[-1]):]
reqs = [r for r in after if r.get("kind") == "request"]
if not reqs:
    sys.exit("no request to the model after the observation: %s" % [r.get("kind") for r in recs])
sent = json.dumps(reqs[0].get("new", []), ensure_ascii=False)
for want in (why_revert, why_skip):
    if want not in sent:
        sys.exit("the model's next request lacks %r: %s" % (want, sent[:2000]))
PY
lc_t_ok "the agent's next observation and the model's next request carry both reasons verbatim"
tm send-keys -t lc q
lc_t_wait "Quit? (y/n)" 10 # the declined change is still in the shadow
tm send-keys -t lc y
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 0 ]] || lc_t_fail "q exited with $rc"
lc_t_no_containers
echo "tmux_review_reasons: PASS"
