#!/usr/bin/env bash
# Issue 11 through the real binary in a real terminal (tmux 120x36, a recorded model, a real container):
# the Conversation hides the blocks the agent runs and only those. A reply with a bare ``` block (not
# code the agent runs) and a ```python3 block (code it runs): the bare block stays in the Conversation
# pane, the python3 block is in the Code pane and not in the Conversation, one "[code: see the Code
# pane]" mark stands for it, and approving runs it.
set -euo pipefail
LC_T_NAME="tmux_fences"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
rec="$LC_T_TMP/fences.jsonl"
python3 - "$rec" <<'EOF'
import json, sys
reply1 = ("Thought: the listing would look like this:\n"
          "```\nbare_block_shown.txt\n```\n"
          "I will print it with Python.\n"
          "```python3\nprint('py3' + '_block_ran')\n```")
reply2 = "Thought: done.\n```python\nfinal_answer('fences done')\n```"
recs = [
    {"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "header", "step": 0, "version": "0.1.0", "note": "fences"},
    {"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "task", "step": 0, "text": "show the fences"},
    {"v": 1, "ts": "2026-12-04T00:00:01Z", "kind": "model_reply", "step": 1, "content": reply1, "finish_reason": "stop"},
    {"v": 1, "ts": "2026-12-04T00:00:02Z", "kind": "model_reply", "step": 2, "content": reply2, "finish_reason": "stop"},
]
with open(sys.argv[1], "w") as f:
    for r in recs:
        f.write(json.dumps(r) + "\n")
EOF
lc_tmux_start 120 36 --model "replay:$rec" "show the fences"
lc_t_session_id
lc_t_wait "Run step 1?" 60

screen="$(lc_t_screen)"
# The Conversation is the left column: what comes before the first separator on each row.
conv="$(awk -F'│' 'NF > 1 {print $1}' <<<"$screen")"
grep -qF "bare_block_shown.txt" <<<"$conv" \
  || lc_t_fail "the bare \`\`\` block is not in the Conversation pane: $screen"
if grep -qF "_block_ran" <<<"$conv"; then
  lc_t_fail "the \`\`\`python3 block the agent runs is in the Conversation pane: $screen"
fi
[[ "$(grep -cF "[code: see the Code pane]" <<<"$conv")" == 1 ]] \
  || lc_t_fail "expected one code mark in the Conversation (for the python3 block): $screen"
grep -qF "print('py3' + '_block_ran')" <<<"$screen" \
  || lc_t_fail "the python3 block is not in the Code pane: $screen"
lc_t_ok "the bare block stays in the Conversation, the python3 block is in the Code pane, marked once"

lc_t_answer y
lc_t_wait "py3_block_ran" 60
lc_t_ok "approving runs the python3 block (its output is in the Output pane)"
lc_t_wait "Run step 2?" 60
lc_t_answer y
lc_t_wait "fences done" 60
lc_t_wait "review the diffs, q quits" 30 # the session has ended: q quits without asking
tm send-keys -t lc q
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 0 ]] || lc_t_fail "the session exited with $rc, expected 0"
lc_t_original_untouched
lc_t_ok "the session answered and exited 0"
