# shellcheck shell=bash
# shellcheck disable=SC2034  # variables set here (LC_SUDO) are read by the scripts that source it.
# Helpers shared by the scripts in this folder. Sourced, never run: it sets no shell options of its own
# so each script keeps control of `set -euo pipefail`.

LC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LC_ROOT

lc_log() { printf '[%s] %s\n' "${LC_SCRIPT:-litecode}" "$*" >&2; }
lc_die() { printf '[%s] error: %s\n' "${LC_SCRIPT:-litecode}" "$*" >&2; exit 1; }

# Seconds since the epoch with a fraction, for the timings the scripts report.
lc_now() { date +%s.%N; }
lc_elapsed() { awk -v a="$1" -v b="$(lc_now)" 'BEGIN { printf "%.1f", b - a }'; }

# The project's version, read from project(... VERSION x.y.z) so the image tag follows CMakeLists.txt.
lc_version() {
  local v
  # An installed tree (cmake --install) has a VERSION file; a checkout has CMakeLists.txt.
  if [[ -r "$LC_ROOT/VERSION" ]]; then head -n1 "$LC_ROOT/VERSION"; return; fi
  v="$(sed -n 's/^project([^)]*VERSION[[:space:]]\+\([0-9][0-9.]*\).*/\1/p' "$LC_ROOT/CMakeLists.txt" | head -n1)"
  [[ -n "$v" ]] || lc_die "cannot read the version from $LC_ROOT/CMakeLists.txt (expected project(litecode VERSION x.y.z))"
  printf '%s\n' "$v"
}

# Root work goes through sudo when the user is not root. Without a terminal sudo must not prompt.
# $1 names the step for the error message.
lc_init_sudo() {
  LC_SUDO=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || lc_die "${1:-this step} needs root: run it as root or install sudo"
    if [[ -t 0 ]]; then LC_SUDO=(sudo); else LC_SUDO=(sudo -n); fi
  fi
}

# Podman on hosts with cgroup v1 needs runc and the cgroupfs manager (crun refuses there); the same
# defaults the executor uses, overridable for hosts that differ.
# A podman that talks to a service (podman --remote: CONTAINER_HOST, CONTAINER_CONNECTION, or
# containers.conf `remote = true`) refuses those options; the service runs containers its own way.
lc_podman() {
  if [[ -z "${LC_PODMAN_REMOTE:-}" ]]; then
    LC_PODMAN_REMOTE=0
    [[ "$(podman version --format '{{if .Server}}remote{{end}}' 2>/dev/null)" == remote ]] && LC_PODMAN_REMOTE=1
  fi
  if [[ "$LC_PODMAN_REMOTE" == 1 ]]; then podman "$@"; return; fi
  podman --runtime "${LITECODE_PODMAN_RUNTIME:-runc}" \
         --cgroup-manager "${LITECODE_PODMAN_CGROUP_MANAGER:-cgroupfs}" "$@"
}

lc_docker_ok() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }
lc_podman_ok() { command -v podman >/dev/null 2>&1 && lc_podman info >/dev/null 2>&1; }

# Cache for image root filesystems, per user (the engines' image stores are per user too).
# CI may run with a bare environment: fall back to the passwd entry when HOME is unset.
lc_cache_dir() {
  local home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
  printf '%s\n' "${XDG_CACHE_HOME:-${home:-/tmp}/.cache}/litecode"
}

lc_build_dir() { printf '%s\n' "${LITECODE_BUILD_DIR:-$LC_ROOT/build}"; }

lc_jobs() { nproc 2>/dev/null || echo 2; }

# Stops a daemon that scripts/remote-dockerd.sh or remote-podman.sh started and removes its state:
#   lc_remote_stop PIDFILE RUN_DIR SOCK DATA_DIR KEEP CLI...
# CLI is the engine's command line pointed at that daemon (env DOCKER_HOST=unix://SOCK docker). Its
# litecode containers go first (with their anonymous volumes), by label, so none outlives the daemon's
# state; then the daemon, by the pid it wrote (not by name: other daemons of the same kind run here).
# Its mounts live in its own mount namespace and go with it. KEEP --keep-data keeps DATA_DIR (images).
lc_remote_stop() {
  local pidfile="$1" run_dir="$2" sock="$3" data_dir="$4" keep="$5" pid ids
  shift 5
  if [[ -r "$pidfile" ]]; then
    pid="$(cat "$pidfile")"
    if [[ -S "$sock" ]] && "$@" version --format '{{.Server.Version}}' >/dev/null 2>&1; then
      ids="$("$@" ps -aq --filter label=litecode.session)"
      # shellcheck disable=SC2086  # one argument per id
      [[ -z "$ids" ]] || "$@" rm -fv $ids >/dev/null 2>&1 || true
    fi
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -rf "$run_dir" "$sock"
  [[ "$keep" == "--keep-data" ]] || rm -rf "$data_dir"
}
