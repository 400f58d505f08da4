#!/usr/bin/env bash
# --approve reads in a real terminal (tmux, 120x36, real container, the bundled demo): step 1 only reads
# (search_files and open() for reading) and runs at once, with the reason in the conversation; step 2
# (os.popen) and step 3 (writes inventory.py) ask; step 4 (final_answer) runs at once. The status bar
# shows the mode; the session log's header records it and every decision says what made it.
set -euo pipefail
LC_T_NAME="tmux_approve_reads"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
lc_tmux_start 140 40 --approve reads
lc_t_session_id
lc_t_log "session $LC_T_SESSION_ID, pid $LC_T_PID"

lc_t_wait "Run step 2?" 90
screen="$(lc_t_screen)"
grep -qF "APPROVE: reads" <<<"$screen" || lc_t_fail "the status bar does not show the approval mode reads"
lc_t_ok "the status bar shows APPROVE: reads"
grep -qF "ran without asking: mode reads" <<<"$screen" \
  || lc_t_fail "step 1 (reads only) did not run without asking, or the conversation does not say why"
lc_t_ok "step 1 (reads only) ran at once and the conversation says why"
grep -qF "may write, so it asks" <<<"$screen" || lc_t_fail "the conversation does not say why step 2 asks"
lc_t_ok "step 2 (os.popen) asks, with the check's reason shown"
lc_t_answer y
lc_t_wait "Run step 3?" 90
lc_t_ok "step 3 (writes inventory.py) asks"
lc_t_answer y
lc_t_wait "Answer:" 90
lc_t_ok "step 4 (final_answer) ran without a question"
if grep -qF "Run step 4?" <<<"$(lc_t_screen)"; then lc_t_fail "step 4 asked"; fi

log="$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/session.jsonl"
python3 - "$log" <<'PY' || lc_t_fail "the session log does not record the mode and who decided each step (see above)"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
ok = True
hdr = [r for r in recs if r.get("kind") == "header"]
if not hdr or hdr[0].get("approve") != "reads":
    print("header has no approve: reads:", hdr[:1], file=sys.stderr); ok = False
dec = {r.get("step"): r for r in recs if r.get("kind") == "decision"}
want = {1: "check", 2: "user", 3: "user", 4: "check"}
for step, by in want.items():
    d = dec.get(step)
    if not d or d.get("by") != by or d.get("decision") != "approved":
        print(f"step {step}: expected approved by {by}, got {d}", file=sys.stderr); ok = False
    elif by == "check" and not (d.get("check") or {}).get("read_only"):
        print(f"step {step}: no read-only check recorded: {d}", file=sys.stderr); ok = False
c2 = (dec.get(2) or {}).get("check") or {}
if c2.get("read_only") is not False or not any("os.popen" in r.get("what", "") for r in c2.get("reasons", [])):
    print(f"step 2's check does not name os.popen: {c2}", file=sys.stderr); ok = False
sys.exit(0 if ok else 1)
PY
lc_t_ok "the log: header approve=reads; steps 1 and 4 by check, 2 and 3 by user, with the check's reasons"

report="$(env -u LITECODE_MODEL HOME="$LC_T_TMP" XDG_STATE_HOME="$LC_T_STATE" XDG_CONFIG_HOME="$LC_T_CONFIG" \
  "$LITECODE_TUI" --report "$log" 2>&1)" || lc_t_fail "--report failed: $report"
grep -qF "Mode reads at the start" <<<"${report^}" || grep -qF "mode reads at the start" <<<"$report" \
  || lc_t_fail "--report does not say the session ran in mode reads: $(grep -i approval <<<"$report")"
grep -qF "by check: mode reads: the static check found that step 1 only reads" <<<"$report" \
  || lc_t_fail "--report does not say why step 1 ran without asking"
grep -qF "the static check: may write (calls os.popen" <<<"$report" \
  || lc_t_fail "--report does not give the check's reason for asking at step 2"
grep -qF "2 ran because the static check found them read-only" <<<"$report" \
  || lc_t_fail "--report does not count the steps the check let through"
lc_t_ok "--report says why each step ran without asking and why the others asked"

tm send-keys -t lc q
sleep 0.6
tm send-keys -t lc y
lc_t_wait_exit 30 >/dev/null
lc_t_no_containers
lc_t_original_untouched
echo "tmux_approve_reads: PASS"
