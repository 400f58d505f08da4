#!/usr/bin/env bash
# A second docker daemon that does not share this machine's filesystem, standing in for a remote engine
# (DOCKER_HOST=ssh://buildbox, a docker context on another host) in tests and benchmarks. It runs in its
# own mount namespace with an empty tmpfs over /tmp and /root, so a bind mount of a session's shadow copy
# (which lives under one of them) finds nothing there; its own data root, exec root, managed containerd
# and socket; its own network namespace with no bridge and no iptables (the sandbox runs with
# --network=none anyway; sharing the host's network namespace, a dockerd with --bridge none deletes the
# host daemon's docker0).
#   scripts/remote-dockerd.sh start   starts it (idempotent), loads the sandbox image, prints DOCKER_HOST=...
#   scripts/remote-dockerd.sh stop    stops it (by the pid it wrote) and removes its state
#   scripts/remote-dockerd.sh env     prints DOCKER_HOST=... if it runs
# Needs root (a daemon, a mount namespace). Environment: LC_REMOTE_NAME (default lc-remote) names the
# socket /run/NAME.sock and the state under /var/lib/NAME and /run/NAME.
set -euo pipefail
LC_SCRIPT=remote-dockerd
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name="${LC_REMOTE_NAME:-lc-remote}"
sock="/run/$name.sock"
run_dir="/run/$name"
data_dir="/var/lib/$name"
pidfile="$run_dir/dockerd.pid"
host="unix://$sock"
image="litecode-sandbox:$(lc_version)"

running() { [[ -S "$sock" ]] && DOCKER_HOST="$host" docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start() {
  [[ "$(id -u)" -eq 0 ]] || lc_die "a second dockerd needs root"
  command -v dockerd >/dev/null || lc_die "dockerd is not installed (sudo apt-get install docker.io)"
  command -v unshare >/dev/null || lc_die "unshare is not installed (util-linux)"
  if ! running; then
    mkdir -p "$run_dir" "$data_dir"
    rm -f "$sock"
    # The daemon and the containerd it manages see an empty /tmp and /root: the host's paths there
    # (session directories, test trees) do not exist for them, as on another machine.
    # shellcheck disable=SC2016  # expanded by the inner sh, from its arguments
    setsid unshare -m -n --propagation private sh -c '
      mount -t tmpfs -o mode=1777 tmpfs /tmp && mount -t tmpfs -o mode=0700 tmpfs /root &&
      exec dockerd --data-root "$1/data" --exec-root "$2/exec" --pidfile "$3" -H "unix://$4" \
        --bridge none --iptables=false --ip-masq=false' \
      sh "$data_dir" "$run_dir" "$pidfile" "$sock" >"$run_dir/dockerd.log" 2>&1 </dev/null &
    for _ in $(seq 1 100); do running && break; sleep 0.2; done
    running || lc_die "the second dockerd did not start; see $run_dir/dockerd.log"
  fi
  if ! DOCKER_HOST="$host" docker image inspect "$image" >/dev/null 2>&1; then
    docker image inspect "$image" >/dev/null 2>&1 || lc_die "$image is not in the local docker: run scripts/build-image.sh first"
    lc_log "loading $image into the second dockerd"
    docker save "$image" | DOCKER_HOST="$host" docker load >/dev/null
  fi
  printf 'DOCKER_HOST=%s\n' "$host"
}

stop() { lc_remote_stop "$pidfile" "$run_dir" "$sock" "$data_dir" "${1:-}" env DOCKER_HOST="$host" docker; }

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  env) running && printf 'DOCKER_HOST=%s\n' "$host" ;;
  *) printf 'usage: %s start|stop [--keep-data]|env\n' "$0" >&2; exit 2 ;;
esac
