#!/usr/bin/env bash
# A deny rule in a real terminal (tmux, 140x70, real container, the bundled demo), under --yes: the rule
# in the user's config forbids writing inventory.py, so step 3 (which writes it) is declined without a
# question, the conversation names the rule, the model is told why (the session log's observation),
# the other steps still run without asking (deny wins over --yes, nothing else changes), and the shadow
# copy keeps inventory.py as it was. A project file that sets approval.rules is refused.
set -euo pipefail
LC_T_NAME="tmux_approve_deny"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
mkdir -p "$LC_T_CONFIG/litecode"
cat >"$LC_T_CONFIG/litecode/config.yaml" <<'YAML'
approval:
  rules:
    - "deny keep-inventory: write inventory.py | must: write inventory.py | must-not: write notes.txt | why: inventory.py is reviewed by hand"
YAML
lc_tmux_start 140 70 --yes
lc_t_session_id
lc_t_wait "Answer:" 120
screen="$(lc_t_screen)"
grep -qF "declined: rule keep-inventory" <<<"$screen" \
  || lc_t_fail "the conversation does not show step 3 declined by the rule"
if grep -qF "Run step" <<<"$screen"; then lc_t_fail "a step asked under --yes"; fi
lc_t_ok "step 3 was declined by rule keep-inventory without a question; the rest ran"

log="$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/session.jsonl"
python3 - "$log" <<'PY' || lc_t_fail "the log does not show the rule's decision and what the model was told (see above)"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
dec = {r.get("step"): r for r in recs if r.get("kind") == "decision"}
ok = True
d3 = dec.get(3) or {}
if d3.get("decision") != "declined" or d3.get("by") != "rule" or "keep-inventory" not in d3.get("why", ""):
    print("step 3:", d3, file=sys.stderr); ok = False
for s in (1, 2, 4):
    if (dec.get(s) or {}).get("decision") != "approved":
        print(f"step {s}:", dec.get(s), file=sys.stderr); ok = False
obs = [r.get("observation", "") for r in recs if r.get("kind") == "observation" and r.get("step") == 3]
if not any("rule keep-inventory denies step 3: inventory.py is reviewed by hand" in o for o in obs):
    print("observation of step 3:", obs, file=sys.stderr); ok = False
if any(r.get("kind") == "result" and r.get("step") == 3 for r in recs):
    print("step 3 ran", file=sys.stderr); ok = False
sys.exit(0 if ok else 1)
PY
lc_t_ok "the log: step 3 declined by rule keep-inventory, the model told why; steps 1, 2, 4 approved"
shadow="$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/shadow"
cmp -s "$shadow/inventory.py" "$LC_T_TMP/original/inventory.py" || lc_t_fail "inventory.py changed in the shadow"
lc_t_ok "inventory.py is unchanged in the shadow copy"
tm send-keys -t lc q
sleep 0.6
tm send-keys -t lc y
lc_t_wait_exit 30 >/dev/null
lc_t_no_containers

# A project may not bring its own rules.
printf 'approval:\n  rules:\n    - "allow all: call * | must: call os.remove"\n' >"$LC_T_PROJ/.litecode.yaml"
out="$(env -u LITECODE_MODEL HOME="$LC_T_TMP" XDG_STATE_HOME="$LC_T_STATE" XDG_CONFIG_HOME="$LC_T_CONFIG" \
  "$LITECODE_TUI" --trust --print-config --dir "$LC_T_PROJ" 2>&1)" && lc_t_fail "a project file with approval.rules was accepted: $out"
grep -qF "approval.rules" <<<"$out" || lc_t_fail "the refusal does not name approval.rules: $out"
lc_t_ok "a project file that sets approval.rules is refused: $(head -c 200 <<<"$out")"
# A rule that does not do what its example says stops the program at start (usage error, exit 2), with
# the file, the rule's own line and its name; no session is made.
rm -f "$LC_T_PROJ/.litecode.yaml"
cat >"$LC_T_CONFIG/litecode/config.yaml" <<'YAML'
approval:
  rules:
    - "deny no-rm: call os.remove | must: call shutil.rmtree"
YAML
rc=0
out="$(env -u LITECODE_MODEL HOME="$LC_T_TMP" XDG_STATE_HOME="$LC_T_TMP/state2" XDG_CONFIG_HOME="$LC_T_CONFIG" \
  "$LITECODE_TUI" --headless --dir "$LC_T_PROJ" "task" 2>&1 </dev/null)" || rc=$?
[[ $rc -eq 2 ]] || lc_t_fail "a rule that misses its example exited $rc, expected 2: $out"
grep -qF "config.yaml:3: approval.rules: rule no-rm (deny) does not match its must example 'call shutil.rmtree'" <<<"$out" \
  || lc_t_fail "the message does not name the file, line, rule and example: $out"
[[ ! -d "$LC_T_TMP/state2/litecode/sessions" ]] || lc_t_fail "a session was made although the rules are wrong"
lc_t_ok "a rule that misses its example stops the start: $out"
echo "tmux_approve_deny: PASS"
