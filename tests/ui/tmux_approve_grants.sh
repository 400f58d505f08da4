#!/usr/bin/env bash
# Issue 13's grants through the real binary in a real terminal (tmux 160x50, a recorded model, a real
# container):
#  1. w at step 1's question (os.popen) grants "steps like this" for the session; step 2 (the same) runs
#     without a question. Step 3 (writes notes.txt) asks; there W opens the grants panel, which lists
#     grant-1 with what it matches and where it came from; x revokes it; the Conversation says so. P at
#     step 3 runs it and saves its rule to the user's config (the file's own lines kept); step 4 (popen
#     again) asks, since grant-1 is gone; step 5 (writes notes.txt again) runs by the saved rule. The log
#     has the grant, the grant_revoked record and who decided each step.
#  2. A new session loads the saved rule from the config: a step like step 3 runs without a question,
#     by rule saved-1, and the panel shows it with its file:line.
#  3. An ask rule asks under --yes (the TUI); headless under --yes with no terminal on stdin refuses
#     the step and says why instead of waiting.
#  4. A mistake in a rule names the rule's own line.
set -euo pipefail
LC_T_NAME="tmux_approve_grants"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
mkdir -p "$LC_T_CONFIG/litecode"
cfg="$LC_T_CONFIG/litecode/config.yaml"
printf '# my settings\nui:\n  theme: dark   # keep\n' >"$cfg"
rec="$LC_T_TMP/grants.jsonl"
python3 - "$rec" <<'EOF'
import json, sys
steps = [
    'import os\nprint(os.popen("echo one").read())',
    'import os\nprint(os.popen("echo two").read())',
    'open("notes.txt", "w").write("three\\n")',
    'import os\nprint(os.popen("echo four").read())',
    'open("notes.txt", "w").write("five\\n")',
    'final_answer("grants done")',
]
recs = [{"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "header", "step": 0, "version": "0.1.0", "note": "grants"},
        {"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "task", "step": 0, "text": "grants"}]
for i, code in enumerate(steps, 1):
    recs.append({"v": 1, "ts": "2026-12-04T00:00:01Z", "kind": "model_reply", "step": i,
                 "content": "Thought: step %d.\n```python\n%s\n```" % (i, code), "finish_reason": "stop"})
with open(sys.argv[1], "w") as f:
    for r in recs:
        f.write(json.dumps(r) + "\n")
EOF
lc_tmux_start 160 50 --model "replay:$rec" "grants"
lc_t_session_id
lc_t_wait "Run step 1?" 90
grep -qF "w allow steps like this  P and save it" <<<"$(lc_t_screen)" \
  || lc_t_fail "the question does not offer w and P: $(lc_t_screen | tail -n 2)"
lc_t_answer w
lc_t_wait "Run step 3?" 90
screen="$(lc_t_screen)"
grep -qF "grant-1 added for this session" <<<"$screen" || lc_t_fail "the grant is not shown: $screen"
grep -qF "ran without asking: grant grant-1 allows what step 2 does" <<<"$screen" \
  || lc_t_fail "step 2 did not run by the grant: $screen"
if grep -qF "Run step 2?" <<<"$screen"; then lc_t_fail "step 2 asked although granted"; fi
grep -qF " 1 RULE (W) " <<<"$screen" || lc_t_fail "the status bar does not show the rule in force and its key"
lc_t_ok "w granted steps like step 1; step 2 ran without a question; the status bar shows 1 RULE (W)"

tm send-keys -t lc W
lc_t_wait "Grants and rules (j/k move, x/Del revokes, Esc/q or W closes)" 10
screen="$(lc_t_screen)"
grep -qE "> allow grant-1 +granted this session at step 1" <<<"$screen" \
  || lc_t_fail "the panel does not list grant-1 with where it came from: $screen"
grep -qF "matches: call os.popen" <<<"$screen" || lc_t_fail "the panel does not say what grant-1 matches: $screen"
tm send-keys -t lc x
lc_t_wait "[revoked]" 10
tm send-keys -t lc Escape
lc_t_wait "you revoked grant-1 (granted this session at step 1): steps it allowed ask again" 10
lc_t_ok "the panel (W) lists grant-1 with what it matches and where it came from; x revoked it"

log="$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/session.jsonl"
lc_t_answer P
lc_t_wait "Run step 4?" 90
# The Conversation has scrolled on by now: what it said is read from the log, which holds the same lines.
grep -qF "saved-1 added and saved to $cfg:6" "$log" || lc_t_fail "P did not say where it saved: $(lc_t_screen)"
grep -qF "revoked for the rest of this session: grant-1" "$log" \
  || lc_t_fail "the agent did not record the revocation: $(lc_t_screen)"
lc_t_ok "P ran step 3 and saved its rule to $cfg:6; step 4 (like step 1) asks again"
lc_t_answer y
lc_t_wait "Run step 6?" 90
grep -qF "ran without asking: grant saved-1 allows what step 5 does" <<<"$(lc_t_screen)" \
  || lc_t_fail "step 5 did not run by the saved grant: $(lc_t_screen)"
lc_t_answer y
lc_t_wait "grants done" 60
lc_t_ok "step 5 ran by the saved grant; the session answered"

python3 - "$cfg" <<'PY' || lc_t_fail "the config file is not the user's lines plus the rule (see above)"
import sys
text = open(sys.argv[1], encoding="utf-8").read()
want = ("# my settings\nui:\n  theme: dark   # keep\napproval:\n  rules:\n"
        "    - 'allow saved-1: call .write; write notes.txt | must: call .write; write notes.txt | why: allowed from the question at step 3'\n")
if text != want:
    print(repr(text), file=sys.stderr)
    sys.exit(1)
PY
lc_t_ok "the config keeps its lines and comment; the rule is appended as a block list item"
python3 - "$log" <<'PY' || lc_t_fail "the log does not hold the grants, the revocation and who decided (see above)"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
ok = True
grants = [r.get("rule") for r in recs if r.get("kind") == "grant"]
if len(grants) != 2 or "allow grant-1" not in grants[0] or "allow saved-1" not in grants[1]:
    print("grants:", grants, file=sys.stderr); ok = False
rev = [r for r in recs if r.get("kind") == "grant_revoked"]
if len(rev) != 1 or rev[0].get("grants") != "grant-1":
    print("grant_revoked:", rev, file=sys.stderr); ok = False
dec = {r.get("step"): r.get("by") for r in recs if r.get("kind") == "decision"}
want = {1: "user", 2: "grant", 3: "user", 4: "user", 5: "grant", 6: "user"}
if dec != want:
    print("decisions by:", dec, "expected", want, file=sys.stderr); ok = False
sys.exit(0 if ok else 1)
PY
lc_t_ok "the log: both grants, grant_revoked grant-1, decisions by user/grant as they happened"
report="$(env -u LITECODE_MODEL HOME="$LC_T_TMP" XDG_STATE_HOME="$LC_T_STATE" XDG_CONFIG_HOME="$LC_T_CONFIG" \
  "$LITECODE_TUI" --report "$log" 2>&1)" || lc_t_fail "--report failed: $report"
grep -qF "**Revoked for the rest of the session** (the grants panel): grant-1" <<<"$report" \
  || lc_t_fail "--report does not show the revocation: $(grep -i grant <<<"$report")"
lc_t_ok "--report shows the grants and the revocation"
tm send-keys -t lc q
lc_t_wait "Quit? (y/n)" 10
tm send-keys -t lc y
lc_t_wait_exit 30 >/dev/null
tm kill-server 2>/dev/null || true
lc_t_no_containers

# 2. A new session: the saved rule is loaded from the config, with its line, and lets the step run.
rm -f "$LC_T_TMP/rc" "$LC_T_TMP/pid"
rec2="$LC_T_TMP/again.jsonl"
python3 - "$rec2" <<'EOF'
import json, sys
steps = ['open("notes.txt", "w").write("again\\n")', 'final_answer("again done")']
recs = [{"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "header", "step": 0, "version": "0.1.0", "note": "again"},
        {"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "task", "step": 0, "text": "again"}]
for i, code in enumerate(steps, 1):
    recs.append({"v": 1, "ts": "2026-12-04T00:00:01Z", "kind": "model_reply", "step": i,
                 "content": "Thought: step %d.\n```python\n%s\n```" % (i, code), "finish_reason": "stop"})
with open(sys.argv[1], "w") as f:
    for r in recs:
        f.write(json.dumps(r) + "\n")
EOF
lc_tmux_start 160 50 --model "replay:$rec2" "again"
lc_t_wait "Run step 2?" 90
grep -qF "ran without asking: rule saved-1 allows what step 1 does" <<<"$(lc_t_screen)" \
  || lc_t_fail "the saved rule did not let step 1 run in the new session: $(lc_t_screen)"
tm send-keys -t lc W
lc_t_wait "Grants and rules" 10
grep -qE "> allow saved-1 +$cfg:6" <<<"$(lc_t_screen)" \
  || lc_t_fail "the panel does not show saved-1 from $cfg:6: $(lc_t_screen)"
tm send-keys -t lc q
lc_t_ok "a new session has the saved rule from $cfg:6 and step 1 ran by it without a question"
lc_t_answer s
lc_t_wait "q quits" 30
tm send-keys -t lc q
sleep 0.5
tm send-keys -t lc y
lc_t_wait_exit 30 >/dev/null
tm kill-server 2>/dev/null || true
lc_t_no_containers

# 3. An ask rule asks under --yes; headless without a terminal refuses the step instead of waiting.
rm -f "$LC_T_TMP/rc" "$LC_T_TMP/pid"
printf 'approval:\n  rules:\n    - "ask popen: call os.popen | must: call os.popen | why: I watch commands"\n' >"$cfg"
lc_tmux_start 160 50 --yes
lc_t_wait "Run step 2?" 90
screen="$(lc_t_screen)"
grep -qF "rule popen asks about step 2" <<<"$screen" || lc_t_fail "the conversation does not name the ask rule: $screen"
grep -qF "AUTO-APPROVE" <<<"$screen" || lc_t_fail "--yes is not in force: $screen"
lc_t_ok "under --yes, the ask rule popen asks about step 2 (os.popen)"
lc_t_answer s
lc_t_wait "q quits" 30
tm send-keys -t lc q
sleep 0.5
tm send-keys -t lc y
lc_t_wait_exit 30 >/dev/null
tm kill-server 2>/dev/null || true
out="$(env -u LITECODE_MODEL HOME="$LC_T_TMP" XDG_STATE_HOME="$LC_T_STATE" XDG_CONFIG_HOME="$LC_T_CONFIG" \
  timeout 300 "$LITECODE_TUI" --headless --yes --dir "$LC_T_PROJ" 2>&1 </dev/null)" || true
grep -qF "not run: rule popen asks about step 2, and nobody can answer (--yes, and stdin is no terminal)" <<<"$out" \
  || lc_t_fail "headless --yes did not refuse the ask rule's step with its reason: $out"
lc_t_ok "headless --yes without a terminal refuses step 2 and says why (no wait on stdin)"

# 4. A mistake in one rule names that rule's line, not the line of "rules:".
printf 'approval:\n  rules:\n    - "allow ok: call print | must: call print"\n    - "deny x: call os.remove"\n' >"$cfg"
rc=0
out="$(env -u LITECODE_MODEL HOME="$LC_T_TMP" XDG_STATE_HOME="$LC_T_STATE" XDG_CONFIG_HOME="$LC_T_CONFIG" \
  "$LITECODE_TUI" --print-config --dir "$LC_T_PROJ" 2>&1 </dev/null)" || rc=$?
[[ $rc -eq 2 ]] || lc_t_fail "a bad rule exited $rc, expected 2: $out"
grep -qF "config.yaml:4:7: approval.rules entry 2: rule x: the rule has no example" <<<"$out" \
  || lc_t_fail "the error does not name the rule's own line: $out"
lc_t_ok "a bad rule is reported at its own line: $(head -c 160 <<<"$out")"
lc_t_no_containers
echo "tmux_approve_grants: PASS"
