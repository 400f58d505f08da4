#!/usr/bin/env bash
# A sandbox image missing on a remote engine is loaded there (issue 14): with LITECODE_TEST_REMOTE_IMAGE=1
# (the remote phases of scripts/test.sh set it, against scripts/remote-dockerd.sh or remote-podman.sh)
# litecode's own image is removed from that engine, and a copy of it is tagged on this machine's engine
# under a new name (a user's own container.image that the remote engine never had). For each, the real
# binary runs the demo headless: the notice says the image is loaded (not built) from this machine's
# engine with its size, the progress lines come, and the session runs on the remote engine. Without that
# variable (or on an engine that is not remote) it says so and passes: removing the image from this
# machine's own engine would break every other test.
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
      fail "LITECODE_TEST_REMOTE_IMAGE=1 but podman is not remote (set CONTAINER_HOST): refusing to remove the local image"
    here() { env -u CONTAINER_HOST -u CONTAINER_CONNECTION podman --runtime runc --cgroup-manager cgroupfs "$@"; } ;;
  docker)
    [[ -n "${DOCKER_HOST:-}" && "$DOCKER_HOST" != unix:///var/run/docker.sock && "$DOCKER_HOST" != unix:///run/docker.sock ]] ||
      fail "LITECODE_TEST_REMOTE_IMAGE=1 but DOCKER_HOST is not a second engine: refusing to remove the local image"
    here() { env -u DOCKER_HOST -u DOCKER_CONTEXT docker "$@"; } ;;
  *) fail "unknown LITECODE_ENGINE=$engine" ;;
esac
tag="$(bash "$LC_SOURCE_DIR/scripts/build-image.sh" --print-tag)"
own="lc-own-test-$$:1"

tmp="$(mktemp -d /tmp/lc-remote-image-XXXXXX)"
cleanup() {
  here image rm "$own" >/dev/null 2>&1 || true
  "$engine" image rm "$own" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# run NAME [options]: the demo, headless, on the remote engine; its output in $tmp/NAME.
run() {
  local name="$1" rc=0
  shift
  rm -rf "$tmp/project"
  cp -r "$LC_SOURCE_DIR/examples/demo/project" "$tmp/project"
  XDG_STATE_HOME="$tmp/state" XDG_CACHE_HOME="$tmp/cache" "$LITECODE_TUI" --headless --yes --dir "$tmp/project" \
    --engine "$engine" --model "replay:$LC_SOURCE_DIR/examples/demo/session.jsonl" "$@" "fix the bugs" \
    >"$tmp/$name" 2>&1 || rc=$?
  [[ $rc -eq 0 ]] || { tail -n 30 "$tmp/$name" >&2; fail "$name: the session failed (exit $rc)"; }
  grep -q "== Final answer" "$tmp/$name" || { tail -n 30 "$tmp/$name" >&2; fail "$name: the session did not run to its end"; }
}
# said NAME TEXT WHAT: the output of run NAME has TEXT.
said() { grep -qF -- "$2" "$tmp/$1" || { cat "$tmp/$1" >&2; fail "$1: $3"; }; }

# litecode's own image: loaded (its local copy is current), never said to be built.
here image inspect "$tag" >/dev/null 2>&1 || fail "$tag is not in this machine's $engine"
"$engine" image rm -f "$tag" >/dev/null 2>&1 || true
if "$engine" image inspect "$tag" >/dev/null 2>&1; then fail "could not remove $tag from the remote $engine"; fi
ok "$tag removed from the remote $engine"
XDG_STATE_HOME="$tmp/state" "$LITECODE_TUI" --check --engine "$engine" >"$tmp/check" 2>&1 || true
said check "-> a session loads it there from this machine's $engine when it starts" "--check does not say the image will be loaded"

# Ctrl-C while it loads: the load stops, the session ends as stopped, the image is not half there.
rm -rf "$tmp/project"
cp -r "$LC_SOURCE_DIR/examples/demo/project" "$tmp/project"
XDG_STATE_HOME="$tmp/state" "$LITECODE_TUI" --headless --yes --dir "$tmp/project" --engine "$engine" \
  --model "replay:$LC_SOURCE_DIR/examples/demo/session.jsonl" "fix the bugs" >"$tmp/cancel" 2>&1 &
pid=$!
for _ in $(seq 1 600); do grep -qF "loading $tag from this machine's" "$tmp/cancel" && break; sleep 0.1; done
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
if grep -qF "$tag is on the remote $engine (" "$tmp/cancel"; then
  echo "note: the load ended before Ctrl-C reached it; the cancel is not checked this time"
  "$engine" image rm -f "$tag" >/dev/null 2>&1 || true
else
  [[ $rc -eq 3 ]] || { cat "$tmp/cancel" >&2; fail "Ctrl-C during the load: exit $rc, not 3 (stopped)"; }
  said cancel "loading the sandbox image $tag was cancelled" "no word that the load was cancelled"
  if "$engine" image inspect "$tag" >/dev/null 2>&1; then fail "$tag is on the remote $engine after a cancelled load"; fi
  ok "Ctrl-C stopped the load; the session ended as stopped"
fi
run builtin
said builtin "the sandbox image $tag is not on the remote engine (" "no word that the image is missing there"
said builtin "): loading it there from this machine's $engine (" "the notice does not say it is loaded, from where"
said builtin "loading $tag from this machine's $engine (" "no progress line of the load"
said builtin "$tag is on the remote $engine (" "no line saying the load ended, with its time"
if grep -q "building it" "$tmp/builtin"; then cat "$tmp/builtin" >&2; fail "builtin: the notice says building for a load"; fi
"$engine" image inspect "$tag" >/dev/null 2>&1 || fail "$tag is not on the remote $engine afterwards"
ok "the missing built-in image was loaded with progress and the session ran on the remote $engine"

# A user's own container.image that only this machine's engine has.
here tag "$tag" "$own" || fail "could not tag $own on this machine's $engine"
if "$engine" image inspect "$own" >/dev/null 2>&1; then fail "$own is already on the remote $engine"; fi
run own --image "$own"
said own "the sandbox image $own is not on the remote engine (" "no word that $own is missing there"
said own "): loading it there from this machine's $engine (" "the notice does not say it is loaded"
said own "$own is on the remote $engine (" "no line saying the load of $own ended"
"$engine" image inspect "$own" >/dev/null 2>&1 || fail "$own is not on the remote $engine afterwards"
ok "a user's own image only this machine had was loaded onto the remote $engine with progress; the session ran"

# In neither place: the session does not start, and the message says what to do.
here image rm "$own" >/dev/null 2>&1 || true
"$engine" image rm "$own" >/dev/null 2>&1 || true
rc=0
XDG_STATE_HOME="$tmp/state" "$LITECODE_TUI" --headless --yes --dir "$tmp/project" --engine "$engine" --image "$own" \
  --model "replay:$LC_SOURCE_DIR/examples/demo/session.jsonl" "fix the bugs" >"$tmp/nowhere" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "a session started on an image that is nowhere"
said nowhere "the sandbox image $own is neither on the remote engine" "no word that the image is nowhere"
said nowhere "from where litecode loads it onto the remote engine" "the message does not say what to do"
XDG_STATE_HOME="$tmp/state" "$LITECODE_TUI" --check --engine "$engine" --image "$own" >"$tmp/check2" 2>&1 || true
said check2 "the sandbox image $own is neither on the remote engine" "--check does not say the image is nowhere"
ok "an image in neither place is refused with what to do, and --check says so"
