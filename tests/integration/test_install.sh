#!/usr/bin/env bash
# `cmake --install` makes a self-contained tree: the installed binary takes its profiles, themes and demo
# from <prefix>/share/litecode (not from the source tree it was built from), the image script there prints
# the tag the binary looks for, and the man page is installed. With an engine, the installed binary runs
# the demo headless end to end.
set -euo pipefail
: "${LC_SOURCE_DIR:?set by ctest: the source tree}"
: "${LC_BINARY_DIR:?set by ctest: the build tree}"
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

tmp="$(mktemp -d /tmp/lc-install-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
cmake --install "$LC_BINARY_DIR" --prefix "$prefix" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log" >&2; fail "cmake --install"; }
bin="$prefix/bin/litecode-tui"
data="$prefix/share/litecode"
[[ -x "$bin" ]] || fail "no $bin"
for f in agents/digger.yaml agents/codemod.yaml themes/dark.yaml examples/demo/session.jsonl \
         examples/demo/project/inventory.py image/packages.txt scripts/build-image.sh VERSION; do
  [[ -e "$data/$f" ]] || fail "not installed: share/litecode/$f"
done
[[ -e "$prefix/share/man/man1/litecode-tui.1" ]] || fail "the man page is not installed"
ok "binary, data and man page installed"

want="litecode-sandbox:$(cat "$data/VERSION")"
tag="$("$data/scripts/build-image.sh" --print-tag)"
[[ "$tag" == "$want" ]] || fail "the installed build-image.sh prints $tag, the binary looks for $want"
ok "the installed image script builds $tag"

export XDG_STATE_HOME="$tmp/state" XDG_CONFIG_HOME="$tmp/config"
unset LITECODE_DATA_DIR
# A profile from the installed data: the copy in the source tree is not consulted.
out="$("$bin" --print-config --agent digger --model openai/x 2>&1)" || fail "--print-config --agent digger: $out"
grep -q "workspace: ro .*# from profile digger" <<<"$out" || fail "the digger profile was not applied: $out"
ok "profiles come from the installed tree"

if ! "$bin" --check >"$tmp/check.txt" 2>&1; then
  [[ "${LITECODE_REQUIRE_ENGINE:-0}" == 1 ]] && { cat "$tmp/check.txt" >&2; fail "no engine, but LITECODE_REQUIRE_ENGINE=1"; }
  echo "SKIP: no container engine: the installed demo run is not tried"
  exit 0
fi
(cd "$tmp" && "$bin" --headless --yes --patch-out "$tmp/fix.patch" >"$tmp/out.txt" 2>"$tmp/err.txt") \
  || { cat "$tmp/out.txt" "$tmp/err.txt" >&2; fail "the installed binary's demo run failed"; }
grep -q "^== Final answer" "$tmp/out.txt" || fail "no final answer"
grep -q '^+        total += item\["price"\] \* item\["quantity"\]' "$tmp/fix.patch" || fail "the patch lacks the fix"
log="$(ls "$XDG_STATE_HOME"/litecode/sessions/*/session.jsonl | head -n1)"
grep -q "\"name\":\"replay:$prefix/bin/../share/litecode/examples/demo/session.jsonl\"" "$log" \
  || fail "the demo was not replayed from the installed data: $(head -c 600 "$log")"
ok "the installed binary runs the demo from its own data"
echo "test_install: PASS"
