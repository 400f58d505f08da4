#!/usr/bin/env bash
# Issue 12 through the real binary in tmux (120x80), a replay model and a real container: splits and
# picked lines survive the agent's next change of the same file, hunk by hunk. shelf.txt (60 lines) gets
# four hunks at step 1: A (rows 10 and 13, two runs), B (row 30), C (rows 45 and 48, two runs), D (row
# 56). The user splits A and picks its added SECOND-A line, splits C and picks its removed row 45, and
# selects D whole (t). Step 2 changes B and adds a line at the top (A, C and D move down one line, their
# bytes unchanged): all keep their split and picked lines, nothing else is picked, no `!!` line. Step 3
# changes C's context (row 47): C is one hunk again with nothing picked, the file is marked and the `!!`
# line says 1 hunk lost it; A and D keep theirs. Step 4 changes D: a new `!!` line says so (the file was
# already marked). A applies: the project's shelf.txt is exactly the original plus SECOND-A.
set -euo pipefail
LC_T_NAME="tmux_review_carry"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
python3 - "$LC_T_PROJ/shelf.txt" "$LC_T_TMP/original/shelf.txt" "$LC_T_TMP/expected.txt" <<'PY'
import sys
rows = ["row %02d: item %02d\n" % (i, i) for i in range(1, 61)]
for p in sys.argv[1:3]:
    open(p, "w").write("".join(rows))
# What applying A's one picked line gives (git apply of "-row 13" kept as context, "+SECOND-A" added).
want = rows[:13] + ["row 13: SECOND-A\n"] + rows[13:]
open(sys.argv[3], "w").write("".join(want))
PY
# The model side, recorded: four steps that change shelf.txt, then the final answer.
python3 - "$LC_T_TMP/carry.jsonl" <<'PY'
import json, sys
def step(thought, pairs):
    code = "s = open('shelf.txt').read()\n"
    for old, new in pairs:
        code += "assert %r in s\ns = s.replace(%r, %r)\n" % (old, old, new)
    code += "open('shelf.txt', 'w').write(s)\nprint('changed')\n"
    return "Thought: %s\n```python\n%s```" % (thought, code)
replies = [
    step("four hunks.", [("row 10: item 10\n", "row 10: FIRST-A\n"), ("row 13: item 13\n", "row 13: SECOND-A\n"),
                            ("row 30: item 30\n", "row 30: B-ONE\n"),
                            ("row 45: item 45\n", "row 45: FIRST-C\n"), ("row 48: item 48\n", "row 48: SECOND-C\n"),
                            ("row 56: item 56\n", "row 56: D-ONE\n")]),
    step("change B again, add a header.", [("row 30: B-ONE\n", "row 30: B-TWO\n"), ("row 01: item 01\n",
                                                                                   "header by step 2\nrow 01: item 01\n")]),
    step("change the context of C.", [("row 47: item 47\n", "row 47: CHANGED-C\n")]),
    step("change D.", [("row 56: D-ONE\n", "row 56: D-TWO\n")]),
    "Thought: done.\n```python\nfinal_answer('Shelf carry done')\n```",
]
events = [{"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "header", "step": 0, "version": "0.1.0",
           "note": "tmux_review_carry"},
          {"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "task", "step": 0, "text": "Edit shelf.txt"}]
for i, content in enumerate(replies, 1):
    events.append({"v": 1, "ts": "2026-12-04T00:00:%02dZ" % i, "kind": "model_reply", "step": i,
                   "content": content, "finish_reason": "stop"})
with open(sys.argv[1], "w") as f:
    f.writelines(json.dumps(e) + "\n" for e in events)
PY
lc_tmux_start 120 80 --model "replay:$LC_T_TMP/carry.jsonl" "Edit shelf.txt"
lc_t_session_id
shadow="$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/shadow/shelf.txt"
proj="$LC_T_PROJ/shelf.txt"

# The Diffs pane's hunk headers, in order, as "mark header" (mark: ' ', '~' or 'x').
hunks() { lc_t_screen | sed -n 's/^ *\[\(.\)\] \(@@ .* @@\).*$/\1 \2/p'; }
# In line mode, every changed line on screen as "mark origin text" (mark: 'x' picked, ' ' not).
picks() { lc_t_screen | sed -n 's/^[ >]\(.\) *[0-9][0-9]* \([-+]\)\(.*\)$/\1 \2\3/p'; }
# Both wait (up to 5 s) for the screen to show what is expected: a frame may still be on its way.
expect_hunks() {
  local want="$1" what="$2" got _
  for _ in $(seq 1 50); do
    got="$(hunks)"
    [[ "$got" == "$want" ]] && return 0
    sleep 0.1
  done
  lc_t_fail "$what: the hunks are
$got
expected
$want"
}
# expect_picks WANT N WHAT: the picked lines are WANT, of N changed lines on screen (all of the diff's).
expect_picks() {
  local want="$1" n="$2" what="$3" got all _
  for _ in $(seq 1 50); do
    all="$(picks)"
    got="$(grep '^x' <<<"$all" || true)"
    [[ "$got" == "$want" && "$(grep -c . <<<"$all")" == "$n" ]] && return 0
    sleep 0.1
  done
  lc_t_fail "$what: the changed lines on screen are
$all
expected $n of them, these picked:
$want"
}
# Focus and zoom the Diffs pane (the agent's question waits meanwhile).
to_diffs() {
  lc_t_focus Diffs
  tm send-keys -t lc z
  lc_t_wait "M shelf.txt" 10
}
# Puts the cursor on the hunk whose header is the n-th (from 1) of the file: p up to the file's row (g
# only scrolls when the cursor is on screen), then n that many times.
to_hunk() {
  local _
  for _ in $(seq 1 10); do tm send-keys -t lc p; done
  for _ in $(seq 1 "$1"); do tm send-keys -t lc n; done
}
# Line mode on (from the first hunk), the screen read, line mode off (v toggles).
with_lines() {
  to_hunk 1
  tm send-keys -t lc v
  lc_t_wait "LINES" 5
  "$@"
  tm send-keys -t lc v
  for _ in $(seq 1 50); do grep -q 'LINES' <<<"$(lc_t_screen)" || return 0; sleep 0.1; done
  lc_t_fail "v did not leave line mode"
}

lc_t_wait "Run step 1?" 60
lc_t_answer y
lc_t_wait "Run step 2?" 60
grep -qF "row 56: D-ONE" "$shadow" || lc_t_fail "step 1 did not change shelf.txt in the shadow: $(cat "$shadow")"
to_diffs
expect_hunks "  @@ -7,10 +7,10 @@
  @@ -27,7 +27,7 @@
  @@ -42,10 +42,10 @@
  @@ -53,7 +53,7 @@" "after step 1"
lc_t_ok "step 1 made four hunks (A and C of two runs each)"

# A: split, then its second piece's added line alone.
to_hunk 1
tm send-keys -t lc '|'
lc_t_wait "split into 2 hunks" 5
to_hunk 2
tm send-keys -t lc v
lc_t_wait "LINES" 5
tm send-keys -t lc j Space v
# C (now the fourth header): split, then its first piece's removed line alone.
to_hunk 4
tm send-keys -t lc '|'
lc_t_wait "split into 2 hunks" 5
to_hunk 4
tm send-keys -t lc v
lc_t_wait "LINES" 5
tm send-keys -t lc Space v
# D (the sixth): the whole hunk.
to_hunk 6
tm send-keys -t lc t
expect_hunks "  @@ -7,5 +7,5 @@
~ @@ -12,5 +12,5 @@
  @@ -27,7 +27,7 @@
~ @@ -42,5 +42,5 @@
  @@ -47,5 +47,5 @@
x @@ -53,7 +53,7 @@" "after the user's split and picks"
with_lines expect_picks "x +row 13: SECOND-A
x -row 45: item 45
x -row 56: item 56
x +row 56: D-ONE" 12 "after the user's picks"
lc_t_ok "the user split A and C and picked one line of each, and selected D"

# Step 2 changes B and adds a line at the top: A, C and D move, their bytes unchanged.
tm send-keys -t lc z
lc_t_answer y
lc_t_wait "Run step 3?" 60
grep -qF "row 30: B-TWO" "$shadow" || lc_t_fail "step 2 did not change shelf.txt in the shadow"
to_diffs
expect_hunks "  @@ -1,3 +1,4 @@
  @@ -7,5 +8,5 @@
~ @@ -12,5 +13,5 @@
  @@ -27,7 +28,7 @@
~ @@ -42,5 +43,5 @@
  @@ -47,5 +48,5 @@
x @@ -53,7 +54,7 @@" "after step 2 (B changed, a line added above A)"
with_lines expect_picks "x +row 13: SECOND-A
x -row 45: item 45
x -row 56: item 56
x +row 56: D-ONE" 13 "after step 2"
screen="$(lc_t_screen)"
grep -qF '!!' <<<"$screen" && lc_t_fail "a '!!' line after step 2, which left A, C and D alone: $(grep -F '!!' <<<"$screen")"
grep -qF 'CHANGED SINCE' <<<"$screen" && lc_t_fail "shelf.txt is marked changed after step 2"
lc_t_ok "step 2 (B changed, A, C and D moved): all keep their split and picked lines, nothing else picked"

# Step 3 changes C's context: C loses its split and pick, A and D keep them.
tm send-keys -t lc z
lc_t_answer y
lc_t_wait "Run step 4?" 60
grep -qF "row 47: CHANGED-C" "$shadow" || lc_t_fail "step 3 did not change shelf.txt in the shadow"
to_diffs
lc_t_wait "!! shelf.txt: the agent changed it after you selected it: 1 hunk you split or picked lines in changed" 5
lc_t_wait "CHANGED SINCE YOU SELECTED IT: unselected" 5
expect_hunks "  @@ -1,3 +1,4 @@
  @@ -7,5 +8,5 @@
~ @@ -12,5 +13,5 @@
  @@ -27,7 +28,7 @@
  @@ -42,10 +43,10 @@
x @@ -53,7 +54,7 @@" "after step 3 (C changed)"
with_lines expect_picks "x +row 13: SECOND-A
x -row 56: item 56
x +row 56: D-ONE" 15 "after step 3"
lc_t_ok "step 3 changed C: C is one hunk again with nothing picked, the '!!' line says 1 hunk; A and D keep theirs"

# Step 4 changes D, the file already marked: it is said again.
tm send-keys -t lc z
lc_t_answer y
lc_t_wait "Run step 5?" 60
grep -qF "row 56: D-TWO" "$shadow" || lc_t_fail "step 4 did not change shelf.txt in the shadow"
to_diffs
lc_t_wait "!! shelf.txt: the agent changed it again: 1 more hunk you split or picked lines in changed" 5
expect_hunks "  @@ -1,3 +1,4 @@
  @@ -7,5 +8,5 @@
~ @@ -12,5 +13,5 @@
  @@ -27,7 +28,7 @@
  @@ -42,10 +43,10 @@
  @@ -53,7 +54,7 @@" "after step 4 (D changed)"
with_lines expect_picks "x +row 13: SECOND-A" 15 "after step 4"
lc_t_ok "step 4 changed D: a new '!!' line says 1 more hunk lost its picks; A keeps its own"

# Apply: exactly A's picked line lands in the project.
tm send-keys -t lc A
lc_t_wait "undo 1" 10
cmp -s "$LC_T_TMP/expected.txt" "$proj" || lc_t_fail "the project's shelf.txt is not the original plus A's picked line:
$(diff "$LC_T_TMP/expected.txt" "$proj")"
diff -r -x shelf.txt "$LC_T_TMP/original" "$LC_T_PROJ" >/dev/null || lc_t_fail "files other than shelf.txt changed"
grep -qF "row 56: D-TWO" "$shadow" || lc_t_fail "the shadow lost the agent's changes"
lc_t_ok "A applied exactly the picked line (the rest of the agent's changes unapplied, still in the shadow)"

tm send-keys -t lc z
lc_t_answer y
lc_t_wait "Shelf carry done" 60
cmp -s "$LC_T_TMP/expected.txt" "$proj" || lc_t_fail "the project's shelf.txt changed after the final step"
tm send-keys -t lc q
lc_t_wait "Quit? (y/n)" 10 # the rest of the change is still in the shadow
tm send-keys -t lc y
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 0 ]] || lc_t_fail "q exited with $rc"
lc_t_no_containers
echo "tmux_review_carry: PASS"
