#!/usr/bin/env bash
# The copy transport sends what it copies in full (cp makes a sparse file dense), so a start that would
# send more than container.copy_max is refused before anything is made on the engine (issue 14). Runs
# with container.transport copy on whatever engine the environment gives (the remote phases of
# scripts/test.sh point it at an engine that does not share this filesystem): a project with a 2 GiB
# sparse file (a few KiB on disk) and copy_max 64m does not start, the message names the file, says it
# is sparse and what to do, and no container or volume of the session is left on the engine.
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
tmp="$(mktemp -d /tmp/lc-copy-max-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
cp -r "$LC_SOURCE_DIR/examples/demo/project" "$tmp/project"
mkdir "$tmp/project/data"
truncate -s 2G "$tmp/project/data/big.bin"

rc=0
XDG_STATE_HOME="$tmp/state" "$LITECODE_TUI" --headless --yes --dir "$tmp/project" --engine "$engine" \
  --set container.transport=copy --set container.copy_max=64m \
  --model "replay:$LC_SOURCE_DIR/examples/demo/session.jsonl" "fix the bugs" >"$tmp/out" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || { cat "$tmp/out" >&2; fail "a session started that would send 2 GiB over a 64 MiB cap"; }
for want in "the project is too large to copy to the engine: 2.0 GiB" "over container.copy_max (64.0 MiB)" \
            "Largest: data/big.bin 2.0 GiB (sparse: " "Move such files out of the project, or raise container.copy_max"; do
  grep -qF -- "$want" "$tmp/out" || { cat "$tmp/out" >&2; fail "the refusal does not say: $want"; }
done
grep -q "== Step" "$tmp/out" && fail "a step ran"
id="$(sed -n 's/^litecode-tui: session \([0-9a-f-]*\) .*/\1/p' "$tmp/out" | head -n1)"
[[ -n "$id" ]] || { cat "$tmp/out" >&2; fail "no session id in the output"; }
left="$("$engine" ps -aq --filter "label=litecode.session=$id")$("$engine" volume ls -q --filter "label=litecode.session=$id")"
[[ -z "$left" ]] || fail "the refused session left containers or volumes on $engine: $left"
ok "a sparse 2 GiB file over copy_max 64m is refused with its name and what to do; nothing left on $engine"

# Under the cap the same project starts (the cap counts, it does not forbid).
rm "$tmp/project/data/big.bin"
rc=0
XDG_STATE_HOME="$tmp/state" "$LITECODE_TUI" --headless --yes --dir "$tmp/project" --engine "$engine" \
  --set container.transport=copy --set container.copy_max=64m \
  --model "replay:$LC_SOURCE_DIR/examples/demo/session.jsonl" "fix the bugs" >"$tmp/out2" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { tail -n 20 "$tmp/out2" >&2; fail "the project under the cap did not run (exit $rc)"; }
ok "under the cap the session runs"
grep -qF "litecode-tui: the workspace is copied into the sandbox, and each step's changes back: container.transport is copy" \
  "$tmp/out2" || { cat "$tmp/out2" >&2; fail "the session does not say that the workspace is copied, nor why"; }
ok "the session says that the workspace is copied, and why"
