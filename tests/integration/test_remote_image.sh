#!/usr/bin/env bash
# A sandbox image missing on a remote engine is loaded there (issue 14): with LITECODE_TEST_REMOTE_IMAGE=1
# (the remote phases of scripts/test.sh set it, against scripts/remote-dockerd.sh or remote-podman.sh)
# the image is removed from that engine, the real binary runs the demo headless, the missing image is
# loaded from this machine's engine with the build's progress lines, and the session runs on it.
# Without that variable (or on an engine that is not remote) it says so and passes: removing the image
# from this machine's own engine would break every other test.
set -euo pipefail
: "${LC_SOURCE_DIR:?set by ctest: the source tree}"
: "${LITECODE_TUI:?set by ctest: the binary}"
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

if [[ "${LITECODE_TEST_REMOTE_IMAGE:-0}" != 1 ]]; then
  echo "skipped: set LITECODE_TEST_REMOTE_IMAGE=1 with a remote engine (scripts/test.sh does in its remote phases)"
  exit 0
fi
engine="${LITECODE_ENGINE:-docker}"
case "$engine" in
  podman)
    [[ "$(podman version --format '{{if .Server}}remote{{end}}' 2>/dev/null)" == remote ]] ||
      fail "LITECODE_TEST_REMOTE_IMAGE=1 but podman is not remote (set CONTAINER_HOST): refusing to remove the local image" ;;
  docker)
    [[ -n "${DOCKER_HOST:-}" && "$DOCKER_HOST" != unix:///var/run/docker.sock && "$DOCKER_HOST" != unix:///run/docker.sock ]] ||
      fail "LITECODE_TEST_REMOTE_IMAGE=1 but DOCKER_HOST is not a second engine: refusing to remove the local image" ;;
  *) fail "unknown LITECODE_ENGINE=$engine" ;;
esac
tag="$(bash "$LC_SOURCE_DIR/scripts/build-image.sh" --print-tag)"

tmp="$(mktemp -d /tmp/lc-remote-image-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
"$engine" image rm -f "$tag" >/dev/null 2>&1 || true
if "$engine" image inspect "$tag" >/dev/null 2>&1; then fail "could not remove $tag from the remote $engine"; fi
ok "$tag removed from the remote $engine"

cp -r "$LC_SOURCE_DIR/examples/demo/project" "$tmp/project"
rc=0
XDG_STATE_HOME="$tmp/state" XDG_CACHE_HOME="$tmp/cache" "$LITECODE_TUI" --headless --yes --dir "$tmp/project" \
  --model "replay:$LC_SOURCE_DIR/examples/demo/session.jsonl" "fix the bugs" >"$tmp/out" 2>&1 || rc=$?
[[ $rc -eq 0 ]] || { tail -n 30 "$tmp/out" >&2; fail "the session failed (exit $rc)"; }
grep -q "the sandbox image $tag is missing" "$tmp/out" || { cat "$tmp/out" >&2; fail "no word that the image is missing"; }
grep -q "loading $tag from this machine's" "$tmp/out" || { cat "$tmp/out" >&2; fail "no progress line of the load"; }
grep -q "checked: uid 1000, read-only, no network" "$tmp/out" || { cat "$tmp/out" >&2; fail "the loaded image was not checked"; }
grep -q "== Final answer" "$tmp/out" || { tail -n 30 "$tmp/out" >&2; fail "the session did not run to its end"; }
"$engine" image inspect "$tag" >/dev/null 2>&1 || fail "$tag is not on the remote $engine afterwards"
ok "the missing image was loaded with progress, checked, and the session ran on the remote $engine"
