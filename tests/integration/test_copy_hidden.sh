#!/usr/bin/env bash
# The copy transport brings back what inotify does not see, and says what it cannot read (through the real
# binary, container.transport copy on whatever engine the environment gives; the remote phases of
# scripts/test.sh point it at an engine that does not share this filesystem). Hostile steps: a file written
# through a mapping of a descriptor an earlier step opened (no event, no change of size or times), and again
# through a mapping kept from an earlier step; a new
# directory made unreadable to the step's own user with a file in it, made readable again a step later; a
# file below a path longer than PATH_MAX. The shadow must have every change it can have, and the result
# must say what it could not bring back.
set -euo pipefail
: "${LC_SOURCE_DIR:?set by ctest: the source tree}"
: "${LITECODE_TUI:?set by ctest: the binary}"
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

engine="${LITECODE_ENGINE:-docker}"
if ! "$engine" version >/dev/null 2>&1; then
  [[ "${LITECODE_REQUIRE_ENGINE:-0}" != 1 ]] || fail "$engine does not answer"
  echo "skipped: $engine does not answer"
  exit 0
fi
# write_replay FILE: a recorded model (a replay log) whose replies are the steps, a Python list named
# steps on stdin, one code each.
write_replay() {
  python3 -c "import json, sys
$(cat)
$(cat <<'PY'
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"v": 1, "ts": "2026-12-04T00:00:00Z", "kind": "header", "step": 0, "version": "0.1.0"}) + "\n")
    for i, code in enumerate(steps):
        f.write(json.dumps({"v": 1, "ts": "2026-12-04T00:00:01Z", "kind": "model_reply", "step": i + 1,
                            "content": "Thought: step %d\n```python\n%s\n```" % (i + 1, code),
                            "finish_reason": "stop"}) + "\n")
PY
)" "$1"
}

# probe_session NAME OUT [OPTION...]: the recorded model $tmp/NAME.jsonl runs headless on the project with the
# copy transport, from a fresh state directory, its output in $tmp/OUT; it must end well within 5 minutes.
probe_session() {
  local name="$1" out="$2" rc=0
  shift 2
  rm -rf "$tmp/state"
  XDG_STATE_HOME="$tmp/state" timeout 300 "$LITECODE_TUI" --headless --yes --dir "$tmp/project" --engine "$engine" \
    --set container.transport=copy --set 'container.authorized_imports=*' "$@" \
    --model "replay:$tmp/$name.jsonl" "probe the copy transport" >"$tmp/$out" 2>&1 || rc=$?
  [[ $rc -ne 124 ]] || fail "$name: the session did not end within 5 minutes (a transfer that never ends?)"
  [[ $rc -eq 0 ]] || { tail -n 30 "$tmp/$out" >&2; fail "$name: the session failed (exit $rc)"; }
}

tmp="$(mktemp -d /tmp/lc-copy-hidden-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/project"
printf 'original contents\n' >"$tmp/project/data.txt"

write_replay "$tmp/session.jsonl" <<'PY'
steps = [
    "import mmap, os\ng = os.open('data.txt', os.O_RDWR)\nprint('opened')",
    "m = mmap.mmap(g, 0)\nm[0:6] = b'MAPPED'\nm.close()\nprint('written through a mapping')",
    "k = mmap.mmap(g, 0)\nk[6:7] = b'!'",
    "k[7:8] = b'?'",
    "os.makedirs('priv/sub')\nopen('priv/sub/new.txt', 'w').write('made while private')\nos.chmod('priv', 0o311)",
    "os.chmod('priv', 0o755)",
    "os.chdir('/workspace')\nopen('near.txt', 'w').write('near')\nfor i in range(19):\n"
    "    os.mkdir('x' * 200); os.chdir('x' * 200)\nos.mkdir('y' * 60); os.chdir('y' * 60)\n"
    "open('z' * 250, 'w').write('far')\nos.chdir('/workspace')",
    "final_answer('done')",
]
PY

probe_session session out
shadow="$(find "$tmp/state/litecode/sessions" -maxdepth 3 -type d -name shadow | head -n1)"
[[ -n "$shadow" ]] || fail "no shadow copy under $tmp/state"

grep -q '^MAPPED!?' "$shadow/data.txt" ||
  { cat "$shadow/data.txt" >&2; fail "writes through a mapping (of an earlier step's descriptor; kept from an earlier step) did not come back"; }
ok "a write through a mapping (no inotify event) is in the shadow"

grep -qF "1 entry in the sandbox could not be brought back, so what the step did there is not in the shadow copy" "$tmp/out" ||
  { cat "$tmp/out" >&2; fail "a directory the step made unreadable was not reported"; }
grep -qF "priv (Permission denied)" "$tmp/out" || { cat "$tmp/out" >&2; fail "the report does not name priv"; }
[[ "$(cat "$shadow/priv/sub/new.txt" 2>/dev/null)" == "made while private" ]] ||
  fail "the file made in a directory that was unreadable for a step did not come back once it was readable"
ok "an unreadable directory is reported, and its contents come back once readable"

[[ "$(cat "$shadow/near.txt" 2>/dev/null)" == near ]] || fail "near.txt of the deep step did not come back"
grep -qF "(File name too long)" "$tmp/out" || { cat "$tmp/out" >&2; fail "a file below a path over PATH_MAX was not reported"; }
ok "a file below a path longer than PATH_MAX is reported, not silently left out"

# Bringing the changes back is not the step's time: a step whose code ends just inside its time limit and
# leaves a large file behind must not be interrupted, killed and restarted (its state and its changes
# lost) while the file is still on its way back.
write_replay "$tmp/slow.jsonl" <<'PY'
steps = [
    "import os, time\nt0 = time.monotonic()\nopen('small.txt', 'w').write('small')\n"
    "with open('big.bin', 'wb') as f:\n    for i in range(200):\n        f.write(os.urandom(1 << 20))\n"
    "while time.monotonic() - t0 < 3.5:\n    pass\nkept = 42\nprint('code done')",
    "print('state', kept)",
    "final_answer('done')",
]
PY
probe_session slow out2 --set container.timeout=4 --set container.grace=1
grep -q "^-- result: ok" "$tmp/out2" && ! grep -q "^-- result: killed" "$tmp/out2" ||
  { grep "^-- result" "$tmp/out2" >&2; fail "a step that ended in time was stopped while its changes came back"; }
grep -qx "state 42" "$tmp/out2" || { grep -A2 "Step 2" "$tmp/out2" >&2; fail "the step's state did not survive"; }
shadow="$(find "$tmp/state/litecode/sessions" -maxdepth 3 -type d -name shadow | head -n1)"
[[ "$(stat -c %s "$shadow/big.bin" 2>/dev/null)" == 209715200 && -f "$shadow/small.txt" ]] ||
  fail "the step's files did not all come back"
ok "a step that ended in time keeps its state and its 200 MiB file while the file comes back"

# A step that grows the workspace past container.shadow_cap is stopped, and the result says that what was
# past the cap did not come back (the workspace in the sandbox has it; the shadow does not).
write_replay "$tmp/cap.jsonl" <<'PY'
steps = [
    "import time\nwith open('huge.bin', 'wb') as f:\n    for i in range(60):\n        f.write(b'x' * (1 << 20))\n"
    "time.sleep(20)",
    "final_answer('done')",
]
PY
probe_session cap out3 --set container.shadow_cap=20m
grep -qF "the step was stopped: the shadow copy grew past its limit" "$tmp/out3" &&
  grep -qF "huge.bin (62914560 bytes: past what a step may bring back (container.shadow_cap))" "$tmp/out3" ||
  { grep "^-- result" "$tmp/out3" >&2; fail "a step stopped at the shadow cap does not say that files were left behind"; }
shadow="$(find "$tmp/state/litecode/sessions" -maxdepth 3 -type d -name shadow | head -n1)"
[[ ! -e "$shadow/huge.bin" ]] || fail "a file past the cap was written into the shadow"
ok "a step past container.shadow_cap is stopped and says its files past the cap did not come back"

# The workspace's root made unreadable in a step that also overflows inotify's queue (so everything is
# walked): nothing the walk could not list is taken for deleted, and the result says the root could not
# be read; once it is readable again, the step's changes come back.
write_replay "$tmp/root.jsonl" <<'PY'
steps = [
    "import os\nfa, fb = open('data.txt', 'a'), open('flood.txt', 'a')\nfor i in range(40000):\n"
    "    (fa if i % 2 else fb).write('x'); (fa if i % 2 else fb).flush()\nos.chmod('/workspace', 0o300)",
    "os.chmod('/workspace', 0o755)",
    "final_answer('done')",
]
PY
probe_session root out4
grep -q "^D  " "$tmp/out4" && { grep -E "^(D  |-- result)" "$tmp/out4" >&2; fail "files the walk could not list were taken for deleted"; }
grep -qF "could not be brought back" "$tmp/out4" && grep -qF ". (Permission denied)" "$tmp/out4" ||
  { grep "^-- result" "$tmp/out4" >&2; fail "an unreadable workspace root was not reported"; }
shadow="$(find "$tmp/state/litecode/sessions" -maxdepth 3 -type d -name shadow | head -n1)"
[[ "$(stat -c %s "$shadow/flood.txt" 2>/dev/null)" == 20000 ]] || fail "the step's changes did not come back once the root was readable"
ok "an unreadable workspace root is reported, not taken for the deletion of every file"

# A sparse file of a terabyte takes no room in the sandbox (the growth cap counts blocks) and would take
# hours to send: it is not sent, the result says so, and the step's other changes come back at once.
write_replay "$tmp/sparse.jsonl" <<'PY'
steps = [
    "import os\nopen('before.txt', 'w').write('b')\nopen('huge-sparse.bin', 'w').close()\nos.truncate('huge-sparse.bin', 1 << 40)\n"
    "open('small2.txt', 'w').write('small')",
    "final_answer('done')",
]
PY
probe_session sparse out5
grep -qF "huge-sparse.bin (1099511627776 bytes: past what a step may bring back (container.shadow_cap))" "$tmp/out5" ||
  { grep "^-- result" "$tmp/out5" >&2; fail "the sparse file left behind was not reported"; }
shadow="$(find "$tmp/state/litecode/sessions" -maxdepth 3 -type d -name shadow | head -n1)"
[[ -f "$shadow/small2.txt" && -f "$shadow/before.txt" && ! -e "$shadow/huge-sparse.bin" ]] ||
  fail "the step's other files did not come back, or the sparse one did"
ok "a sparse 1 TiB file is not sent, and is reported; the step's other files come back"
