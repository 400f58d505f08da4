#!/usr/bin/env bash
# Issue 12's bulk review through the real binary in tmux (120x40): a recorded model (replay:) runs a codemod
# over 200 files of a project (getcwdu() -> getcwd()) and also changes two other files differently. In the
# Diffs pane: f shows the file list with counts, & filters it by path and status, = selects every hunk with
# the same change in all files, A applies them: the 200 files in about ten keys, the other changes not.
# Then u undoes the whole apply and U redoes it; --review last afterwards opens the same review without
# the agent or a container, and + A applies the rest from there.
set -euo pipefail
LC_T_NAME="tmux_review_codemod"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
mkdir -p "$LC_T_PROJ/mod"
for i in $(seq -w 1 200); do
  printf '"""Module %s."""\nimport os\n\n\ndef where_%s():\n    return os.getcwdu()\n' "$i" "$i" >"$LC_T_PROJ/mod/m$i.py"
done
rm -rf "$LC_T_TMP/original" && cp -R "$LC_T_PROJ" "$LC_T_TMP/original"
model="$LC_T_TMP/codemod.jsonl"
python3 - "$model" <<'PY'
import json, sys
code1 = '''import os
n = 0
for name in sorted(os.listdir("mod")):
    p = "mod/" + name
    s = open(p).read()
    open(p, "w").write(s.replace("os.getcwdu()", "os.getcwd()"))
    n += 1
open("README.md", "a").write("\\nPorted to Python 3.\\n")
s = open("inventory.py").read()
open("inventory.py", "w").write(s.replace('"""A tiny inventory', '"""A small inventory'))
print("changed", n, "modules")
'''
replies = ["Thought: the codemod.\n```python\n" + code1 + "```",
           "Thought: done.\n```python\nfinal_answer(\"getcwdu() is getcwd() in 200 modules\")\n```"]
ev = [{"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "header", "step": 0, "version": "0.1.0"},
      {"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "task", "step": 0, "text": "port to python 3"}]
for i, c in enumerate(replies, 1):
    ev.append({"v": 1, "ts": "2026-12-04T00:00:0%dZ" % i, "kind": "model_reply", "step": i, "content": c,
               "finish_reason": "stop"})
open(sys.argv[1], "w").write("".join(json.dumps(e) + "\n" for e in ev))
PY

lc_tmux_start 120 40 --model "replay:$model" "port to python 3"
lc_t_session_id
log="$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/session.jsonl"
lc_t_wait "Run step 1?" 60
lc_t_answer a
lc_t_wait "getcwdu() is getcwd() in 200 modules" 90
lc_t_ok "the codemod step ran: 200 modules and 2 other files changed in the shadow"
lc_t_original_untouched

lc_t_focus Diffs
tm send-keys -t lc z
lc_t_wait "202 files" 10

keys=0
send() { tm send-keys -t lc "$@"; keys=$((keys + $#)); }
send f
lc_t_wait "1 hunk, 0 selected" 5
lc_t_ok "f: the file list, one row per file with counts"
send '&' 
lc_t_wait "Filter: path pattern" 5
tm send-keys -t lc -l 'mod/* status=M'
send Enter
lc_t_wait "filter: 200 files shown" 5
lc_t_wait "filter mod/* status=M" 5
grep -qF "README.md" <<<"$(lc_t_screen)" && lc_t_fail "the filter still shows README.md"
lc_t_ok "& mod/* status=M: 200 files shown, the others hidden"
send f n =
lc_t_wait "selected 200 hunks with this change" 5
send A
lc_t_wait "undo 1" 60
n=$(grep -l 'os.getcwd()$' "$LC_T_PROJ"/mod/*.py | wc -l)
[[ "$n" == 200 ]] || lc_t_fail "$n of 200 modules changed in the project"
cmp -s "$LC_T_TMP/original/README.md" "$LC_T_PROJ/README.md" || lc_t_fail "README.md was applied too"
cmp -s "$LC_T_TMP/original/inventory.py" "$LC_T_PROJ/inventory.py" || lc_t_fail "inventory.py was applied too"
[[ "$(grep -c '"kind":"hunk_applied"' "$log")" -ge 200 ]] || lc_t_fail "the session log lacks the 200 applies"
lc_t_ok "the 200-file codemod applied in $keys keys (plus the typed pattern); the other changes not"

send u
lc_t_wait "redo 1" 60
n=$(grep -l 'os.getcwdu()$' "$LC_T_PROJ"/mod/*.py | wc -l)
[[ "$n" == 200 ]] || lc_t_fail "u left $((200 - n)) modules changed"
send U
lc_t_wait "redone" 60
n=$(grep -l 'os.getcwd()$' "$LC_T_PROJ"/mod/*.py | wc -l)
[[ "$n" == 200 ]] || lc_t_fail "U redid $n of 200 modules"
lc_t_ok "u undid the 200 files, U redid them"

tm send-keys -t lc q
lc_t_wait "Quit? (y/n)" 10
tm send-keys -t lc y
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 0 ]] || lc_t_fail "q exited with $rc"
lc_t_no_containers

# --review is the TUI's: with --headless, or with --resume, it says what to use instead.
tui_env() { env -u LITECODE_MODEL HOME="$LC_T_TMP" XDG_STATE_HOME="$LC_T_STATE" XDG_CONFIG_HOME="$LC_T_CONFIG" "$@"; }
rc=0; out="$(tui_env "$LITECODE_TUI" --dir "$LC_T_PROJ" --review last --headless 2>&1)" || rc=$?
[[ $rc == 2 ]] && grep -qF -- "--review opens the terminal UI" <<<"$out" || lc_t_fail "--review --headless: rc $rc: $out"
rc=0; out="$(tui_env "$LITECODE_TUI" --dir "$LC_T_PROJ" --review last --resume last 2>&1)" || rc=$?
[[ $rc == 2 ]] && grep -qF -- "--review cannot go with --resume" <<<"$out" || lc_t_fail "--review --resume: rc $rc: $out"
lc_t_ok "--review with --headless or --resume is refused with what to do instead (exit 2)"

# Review later: --review last, no agent, no container.
tm kill-session -t lc
rm -f "$LC_T_TMP/rc" "$LC_T_TMP/pid"
lc_tmux_start 120 40 --review last
lc_t_wait "> Diffs" 30
lc_t_wait "M inventory.py" 10
lc_t_wait "No agent: only the diff review is open" 5
[[ -z "$(lc_t_containers)" ]] || lc_t_fail "--review started a container: $(lc_t_containers)"
grep -qF "] M mod/m001.py" <<<"$(lc_t_screen)" && lc_t_fail "--review shows an applied file again"
lc_t_ok "--review last opens the Diffs pane on the session's shadow (the 2 unapplied files), no container"
tm send-keys -t lc + A
lc_t_wait "undo 2" 30
grep -qF "Ported to Python 3." "$LC_T_PROJ/README.md" || lc_t_fail "+ A in --review did not apply README.md"
grep -qF "A small inventory" "$LC_T_PROJ/inventory.py" || lc_t_fail "+ A in --review did not apply inventory.py"
[[ "$(grep -c '"kind":"hunk_applied"' "$log")" -ge 402 ]] || lc_t_fail "the review's applies are not in the session's log"
lc_t_ok "+ A applied the rest from the review, recorded in the session's log"
tm send-keys -t lc q
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 0 ]] || lc_t_fail "q in --review exited with $rc"
lc_t_no_containers
echo "tmux_review_codemod: PASS"
