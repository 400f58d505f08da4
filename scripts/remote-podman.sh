#!/usr/bin/env bash
# A podman service that does not share this machine's filesystem, standing in for `podman --remote`
# (CONTAINER_HOST=ssh://buildbox/run/podman/podman.sock, a `podman system connection`) in tests and
# benchmarks, as scripts/remote-dockerd.sh does for docker. `podman system service` runs in its own mount
# namespace with an empty tmpfs over /tmp and /root, so a bind mount of a session's shadow copy finds
# nothing there; its own storage (--root, --runroot, --tmpdir: nothing shared with this machine's podman);
# its own network namespace (the sandbox runs with --network=none anyway). The podman CLI pointed at it
# with CONTAINER_HOST is a remote client, as a user's would be.
#   scripts/remote-podman.sh start   starts it (idempotent), prints CONTAINER_HOST=...
#   scripts/remote-podman.sh stop    stops it (by the pid it wrote) and removes its state
#   scripts/remote-podman.sh env     prints CONTAINER_HOST=... if it runs
# The sandbox image is not loaded here: litecode loads a missing image itself (from this machine's podman
# or docker), which the test phase checks. LC_REMOTE_LOAD=1 loads it at start anyway.
# Needs root (a mount namespace, rootful podman). Environment: LC_REMOTE_NAME (default lc-podman-remote)
# names the socket /run/NAME.sock and the state under /var/lib/NAME and /run/NAME.
set -euo pipefail
LC_SCRIPT=remote-podman
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name="${LC_REMOTE_NAME:-lc-podman-remote}"
sock="/run/$name.sock"
run_dir="/run/$name"
data_dir="/var/lib/$name"
pidfile="$run_dir/service.pid"
host="unix://$sock"
image="litecode-sandbox:$(lc_version)"

running() { [[ -S "$sock" ]] && CONTAINER_HOST="$host" podman version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start() {
  [[ "$(id -u)" -eq 0 ]] || lc_die "a podman service of its own needs root"
  command -v podman >/dev/null || lc_die "podman is not installed (sudo apt-get install podman runc)"
  command -v unshare >/dev/null || lc_die "unshare is not installed (util-linux)"
  if ! running; then
    mkdir -p "$run_dir" "$data_dir"
    rm -f "$sock"
    # This machine's podman needs runc and cgroupfs (see lc_podman); the service is given them once,
    # as its clients cannot pass them.
    # shellcheck disable=SC2016  # expanded by the inner sh, from its arguments
    setsid unshare -m -n --propagation private sh -c '
      mount -t tmpfs -o mode=1777 tmpfs /tmp && mount -t tmpfs -o mode=0700 tmpfs /root &&
      echo $$ >"$2/service.pid" &&
      exec podman --root "$1/storage" --runroot "$2/runroot" --tmpdir "$2/tmp" \
        --runtime "$4" --cgroup-manager "$5" system service --time=0 "unix://$3"' \
      sh "$data_dir" "$run_dir" "$sock" "${LITECODE_PODMAN_RUNTIME:-runc}" \
      "${LITECODE_PODMAN_CGROUP_MANAGER:-cgroupfs}" >"$run_dir/service.log" 2>&1 </dev/null &
    for _ in $(seq 1 100); do running && break; sleep 0.2; done
    running || lc_die "the podman service did not start; see $run_dir/service.log"
  fi
  if [[ "${LC_REMOTE_LOAD:-0}" == 1 ]] && ! CONTAINER_HOST="$host" podman image exists "$image"; then
    lc_log "loading $image into the podman service"
    lc_podman save "$image" | CONTAINER_HOST="$host" podman load >/dev/null
  fi
  printf 'CONTAINER_HOST=%s\n' "$host"
}

stop() { lc_remote_stop "$pidfile" "$run_dir" "$sock" "$data_dir" "${1:-}" env CONTAINER_HOST="$host" podman; }

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  env) running && printf 'CONTAINER_HOST=%s\n' "$host" ;;
  *) printf 'usage: %s start|stop [--keep-data]|env\n' "$0" >&2; exit 2 ;;
esac
