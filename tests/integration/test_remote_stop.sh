#!/usr/bin/env bash
# scripts/remote-dockerd.sh and remote-podman.sh stop their daemon through lc_remote_stop (scripts/lib.sh).
# No engine or root needed: a fake engine CLI that logs what it is asked, a sleep standing in for the
# daemon (by the pid it "wrote"), a real unix socket. Stop must remove the litecode containers by label
# through the CLI it is given, end the daemon by its pid (not by name), remove the run dir and the socket,
# and the data dir unless --keep-data. Without a socket that answers, it asks the CLI nothing.
set -euo pipefail
: "${LC_SOURCE_DIR:?set by ctest: the source tree}"
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# shellcheck source=scripts/lib.sh
. "$LC_SOURCE_DIR/scripts/lib.sh"
declare -F lc_remote_stop >/dev/null || fail "scripts/lib.sh has no lc_remote_stop"
for s in remote-dockerd remote-podman; do
  grep -q '^stop() { lc_remote_stop ' "$LC_SOURCE_DIR/scripts/$s.sh" || fail "scripts/$s.sh does not stop through lc_remote_stop"
done

tmp="$(mktemp -d /tmp/lc-remote-stop-XXXXXX)"
daemon=""
trap '[[ -z "$daemon" ]] || kill "$daemon" 2>/dev/null || true; rm -rf "$tmp"' EXIT

# The fake CLI: `version` answers, `ps` lists two containers, everything is logged with its environment.
cat >"$tmp/fakecli" <<'CLI'
#!/usr/bin/env bash
printf '%s|%s\n' "${FAKE_HOST:-}" "$*" >>"$FAKE_LOG"
case "$1" in
  version) echo 99.0 ;;
  ps) printf 'c1\nc2\n' ;;
esac
CLI
chmod +x "$tmp/fakecli"

# One fake daemon under $tmp/$1: a sleep in its own session, its pid in run/pid, a socket, a data dir.
setup() {
  local d="$tmp/$1"
  mkdir -p "$d/run" "$d/data/storage"
  # Not a child of this shell (as the real daemon is not a child of `stop`): a dead child would stay a
  # zombie that kill -0 still finds.
  (setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $! >"$d/run/pid")
  daemon="$(cat "$d/run/pid")"
  python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$d/sock"
  [[ -S "$d/sock" ]] || fail "could not make a socket at $d/sock"
}
alive() { kill -0 "$daemon" 2>/dev/null; }

export FAKE_LOG="$tmp/log"
setup a
lc_remote_stop "$tmp/a/run/pid" "$tmp/a/run" "$tmp/a/sock" "$tmp/a/data" "" env FAKE_HOST=unix://a "$tmp/fakecli"
alive && fail "the daemon (pid $daemon) still runs after stop"
for p in "$tmp/a/run" "$tmp/a/sock" "$tmp/a/data"; do [[ ! -e "$p" ]] || fail "stop left $p"; done
grep -qxF 'unix://a|ps -aq --filter label=litecode.session' "$FAKE_LOG" || { cat "$FAKE_LOG" >&2; fail "stop did not list the litecode containers through the CLI it was given"; }
grep -qxF 'unix://a|rm -fv c1 c2' "$FAKE_LOG" || { cat "$FAKE_LOG" >&2; fail "stop did not remove the containers (one argument per id)"; }
ok "stop removes the labelled containers, ends the daemon by its pid, removes run dir, socket and data"

: >"$FAKE_LOG"
setup b
lc_remote_stop "$tmp/b/run/pid" "$tmp/b/run" "$tmp/b/sock" "$tmp/b/data" --keep-data env FAKE_HOST=unix://b "$tmp/fakecli"
alive && fail "the daemon (pid $daemon) still runs after stop --keep-data"
[[ -d "$tmp/b/data/storage" ]] || fail "stop --keep-data removed the data dir"
[[ ! -e "$tmp/b/run" && ! -e "$tmp/b/sock" ]] || fail "stop --keep-data left the run dir or the socket"
ok "stop --keep-data keeps the data dir"

# A socket that is not there: the daemon is not asked for containers, but still stopped by its pid.
: >"$FAKE_LOG"
setup c
rm "$tmp/c/sock"
lc_remote_stop "$tmp/c/run/pid" "$tmp/c/run" "$tmp/c/sock" "$tmp/c/data" "" env FAKE_HOST=unix://c "$tmp/fakecli"
alive && fail "the daemon (pid $daemon) still runs after stop without a socket"
[[ ! -s "$FAKE_LOG" ]] || { cat "$FAKE_LOG" >&2; fail "stop asked the CLI although the socket is gone"; }
ok "without a socket stop asks the CLI nothing and still ends the daemon"

# No pid file (never started, or stopped already): nothing to kill, the state is still removed.
mkdir -p "$tmp/d/run" "$tmp/d/data"
lc_remote_stop "$tmp/d/run/pid" "$tmp/d/run" "$tmp/d/sock" "$tmp/d/data" "" env "$tmp/fakecli"
[[ ! -e "$tmp/d/run" && ! -e "$tmp/d/data" ]] || fail "stop without a pid file left state"
ok "stop without a pid file removes the state"
daemon=""
