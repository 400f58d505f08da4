#!/usr/bin/env bash
# Prepares a Debian machine to build, run and test litecode-tui, and builds it. Idempotent: a second
# run finds every package, the engine and the image in place and only runs an incremental build.
#
#   1. installs the Debian packages that are missing (build, runtime, test)
#   2. makes sure a container engine answers (starts dockerd when docker.io is installed but down)
#   3. builds the sandbox image when it is missing or stale (scripts/build-image.sh, cached)
#   4. configures and builds litecode into build/ with warnings as errors
#
# Runs as root, or as a user with sudo. Never reads standard input.
set -euo pipefail
LC_SCRIPT=setup
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<EOF
usage: scripts/setup.sh [--no-build] [--no-image] [--ml] [--gvisor]

  --no-build   stop after the packages, the engine and the image
  --no-image   do not build the sandbox image
  --ml         also build the ml image variant (litecode-sandbox-ml)
  --gvisor     also install gVisor (Debian's runsc) and register it with docker as the runtime "runsc"
               (/etc/docker/daemon.json, with --network=none; dockerd reloads it on SIGHUP, running
               containers are not touched); then container.runtime: runsc runs the sandbox under gVisor

Environment: SCREENSHOTS=1 also installs chromium (for screenshots/); LITECODE_BUILD_DIR (default build/);
LITECODE_SETUP_ENGINES=docker|podman|all|auto (images to build; default auto: every reachable engine).
EOF
}

BUILD_DEPS=(build-essential cmake pkg-config libncurses-dev libcurl4-openssl-dev libcjson-dev
            libgit2-dev libyaml-dev libcmocka-dev git)
RUNTIME_DEPS=(podman runc debootstrap python3 tmux aha ca-certificates)
TEST_DEPS=(strace clang libclang-rt-14-dev) # strace: test_e2e_apply kills --apply mid-write; clang: libFuzzer for fuzz/

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }
available() {
  local c
  c="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2; exit }')"
  [[ -n "$c" && "$c" != "(none)" ]]
}

install_packages() {
  local want=("${BUILD_DEPS[@]}" "${RUNTIME_DEPS[@]}" "${TEST_DEPS[@]}")
  # A docker from elsewhere (docker-ce) conflicts with docker.io: keep whichever daemon is there.
  command -v dockerd >/dev/null 2>&1 || want+=(docker.io)
  [[ "${SCREENSHOTS:-0}" == 1 ]] && want+=(chromium)
  [[ "$(id -u)" -ne 0 ]] && want+=(uidmap slirp4netns fuse-overlayfs)  # rootless podman

  local missing=() p
  for p in "${want[@]}"; do installed "$p" || missing+=("$p"); done
  # An init for the containers: tini or catatonit, whichever the archive has.
  local need_init=1
  if installed tini || installed catatonit; then need_init=0; fi

  if [[ ${#missing[@]} -eq 0 && $need_init -eq 0 ]]; then
    lc_log "packages: all ${#want[@]} present"
    return
  fi
  lc_init_sudo "installing packages (${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l NEEDRESTART_SUSPEND=1
  lc_log "apt-get update"
  # A third-party source that cannot be reached must not stop the setup; the install below says so
  # if a package we need really is unavailable.
  "${LC_SUDO[@]}" apt-get update -q </dev/null >/dev/null ||
    lc_log "warning: apt-get update reported errors (an unreachable source?); installing anyway"
  if [[ $need_init -eq 1 ]]; then
    if available tini; then missing+=(tini)
    elif available catatonit; then missing+=(catatonit)
    else lc_log "warning: neither tini nor catatonit is in the archive; containers run without an init"
    fi
  fi
  lc_log "installing: ${missing[*]}"
  # Keep package scripts from starting daemons (docker.io's would fail the install where it cannot
  # start, e.g. without systemd); ensure_docker starts dockerd itself. Only when no policy is in place.
  local policy=/usr/sbin/policy-rc.d own_policy=0 rc=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\n# litecode setup.sh: no service starts during its apt-get install\nexit 101\n' |
      "${LC_SUDO[@]}" tee "$policy" >/dev/null && "${LC_SUDO[@]}" chmod 755 "$policy" && own_policy=1
    # Interrupted half way, the policy must still go, or later installs would never start services.
    [[ $own_policy -eq 1 ]] && trap '"${LC_SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  "${LC_SUDO[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l NEEDRESTART_SUSPEND=1 \
    apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" </dev/null >/dev/null || rc=$?
  if [[ $own_policy -eq 1 ]]; then "${LC_SUDO[@]}" rm -f "$policy"; trap - EXIT; fi
  [[ $rc -eq 0 ]] || lc_die "apt-get install failed (exit $rc) for: ${missing[*]}"
}

# docker.io installed but its daemon not answering (no systemd in containers and CI machines): start
# dockerd in the background and wait for it.
ensure_docker() {
  command -v docker >/dev/null 2>&1 || { lc_log "docker: not installed"; return 1; }
  if lc_docker_ok; then lc_log "docker: daemon reachable"; return 0; fi
  command -v dockerd >/dev/null 2>&1 || { lc_log "docker: client only, no dockerd here"; return 1; }
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    if [[ "$(id -u)" -ne 0 ]] && ! command -v sudo >/dev/null 2>&1; then
      lc_log "warning: docker: dockerd is not running and starting it needs root (or sudo)"
      return 1
    fi
    lc_init_sudo "starting dockerd"
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
      lc_log "docker: starting docker.service"
      "${LC_SUDO[@]}" systemctl start docker </dev/null || true
    fi
    if ! lc_docker_ok && ! pgrep -x dockerd >/dev/null 2>&1; then
      local log=/var/log/litecode-dockerd.log
      lc_log "docker: starting dockerd in the background (log: $log)"
      "${LC_SUDO[@]}" sh -c "nohup setsid dockerd >>'$log' 2>&1 </dev/null &"
    fi
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    if lc_docker_ok; then lc_log "docker: daemon reachable after ${i} s"; return 0; fi
    # Running but not ours to use: waiting will not help.
    if [[ -S /var/run/docker.sock && ! -w /var/run/docker.sock ]] && pgrep -x dockerd >/dev/null 2>&1; then
      lc_log "warning: docker: the daemon runs but $(id -un) may not use /var/run/docker.sock; add the user to the docker group (usermod -aG docker $(id -un)) and log in again"
      return 1
    fi
    sleep 1
  done
  tail -n 15 /var/log/litecode-dockerd.log >&2 2>/dev/null || true
  lc_log "warning: docker: the daemon did not answer within 60 s (see /var/log/litecode-dockerd.log)"
  return 1
}

check_podman() {
  command -v podman >/dev/null 2>&1 || { lc_log "podman: not installed"; return 0; }
  if lc_podman_ok; then
    lc_log "podman: usable (runtime ${LITECODE_PODMAN_RUNTIME:-runc}, cgroup manager ${LITECODE_PODMAN_CGROUP_MANAGER:-cgroupfs})"
  else
    lc_log "warning: podman is installed but 'podman info' fails; try: podman --runtime runc --cgroup-manager cgroupfs info"
  fi
}

build_litecode() {
  local build
  build="$(lc_build_dir)"
  # Configure once; later builds re-run cmake by themselves when a CMakeLists.txt changes.
  if ! grep -q '^LITECODE_WERROR:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
    lc_log "configuring $build"
    mkdir -p "$build"
    cmake -S "$LC_ROOT" -B "$build" -DLITECODE_WERROR=ON >"$build/configure.log" 2>&1 || {
      tail -n 30 "$build/configure.log" >&2
      lc_die "cmake could not configure $build (full log: $build/configure.log)"
    }
  fi
  lc_log "building $build (-j$(lc_jobs))"
  cmake --build "$build" -j"$(lc_jobs)" >"$build/build.log" 2>&1 || {
    grep -E 'error|Error|warning' "$build/build.log" | head -n 40 >&2
    lc_die "the build failed (full log: $build/build.log)"
  }
}

# gVisor: docker's runtime "runsc" with --network=none (runsc refuses to start the sandbox's
# network-less containers on this kind of host without it). The runtime is merged into daemon.json,
# keeping whatever else is there, and dockerd is told to reload (SIGHUP), not restarted.
setup_gvisor() {
  lc_init_sudo "the gVisor setup"
  if ! installed runsc; then
    available runsc || lc_die "runsc is not in the package archive (Debian 12 has it in main)"
    lc_log "installing runsc"
    "${LC_SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends runsc >&2
  fi
  local f=/etc/docker/daemon.json merged pid
  merged="$("${LC_SUDO[@]}" python3 - "$f" <<'PY'
import json, os, sys
path = sys.argv[1]
conf = {}
if os.path.exists(path):
    with open(path) as fh:
        text = fh.read().strip()
    conf = json.loads(text) if text else {}
conf.setdefault("runtimes", {})["runsc"] = {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}
print(json.dumps(conf, indent=2))
PY
)" || lc_die "$f is not valid JSON; fix it, then run scripts/setup.sh --gvisor again"
  "${LC_SUDO[@]}" mkdir -p /etc/docker
  printf '%s\n' "$merged" | "${LC_SUDO[@]}" tee "$f.litecode-new" >/dev/null
  "${LC_SUDO[@]}" mv "$f.litecode-new" "$f"
  pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
  if [[ -n "$pid" ]] && "${LC_SUDO[@]}" kill -HUP "$pid"; then
    for _ in $(seq 1 20); do docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q runsc && break; sleep 0.5; done
  elif command -v systemctl >/dev/null 2>&1; then
    "${LC_SUDO[@]}" systemctl reload docker || true
  fi
  docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q runsc ||
    lc_die "dockerd did not pick up the runsc runtime from $f (see its log)"
  lc_log "gVisor registered: set container.runtime: runsc (or --set container.runtime=runsc); litecode-tui --check tries it"
}

main() {
  local do_build=1 do_image=1 ml=0 gvisor=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --no-build) do_build=0 ;;
      --no-image) do_image=0 ;;
      --ml) ml=1 ;;
      --gvisor) gvisor=1 ;;
      -h|--help) usage; return 0 ;;
      *) usage >&2; lc_die "unknown argument: $1" ;;
    esac
    shift
  done
  local t0 t
  t0="$(lc_now)"
  t="$(lc_now)"; install_packages; lc_log "packages: $(lc_elapsed "$t") s"
  # One working engine is enough to use litecode; with none, nothing past this point can work.
  local docker_ok=1
  ensure_docker || docker_ok=0
  check_podman
  if [[ $docker_ok -eq 0 ]] && ! lc_podman_ok; then
    lc_die "no container engine works: fix docker (above) or podman (apt-get install podman runc)"
  fi
  if [[ $gvisor -eq 1 ]]; then
    # Optional hardening: a failure is said, and the rest of the setup goes on.
    if [[ $docker_ok -eq 0 ]]; then
      lc_log "warning: --gvisor registers runsc with docker, and docker does not work (above)"
    elif ! (setup_gvisor); then
      lc_log "warning: the gVisor setup failed (above); litecode works without it"
    fi
  fi
  if [[ $do_image -eq 1 ]]; then
    t="$(lc_now)"
    "$LC_ROOT/scripts/build-image.sh" --engine "${LITECODE_SETUP_ENGINES:-auto}"
    [[ $ml -eq 1 ]] && "$LC_ROOT/scripts/build-image.sh" --ml --engine "${LITECODE_SETUP_ENGINES:-auto}"
    lc_log "image: $(lc_elapsed "$t") s"
  fi
  if [[ $do_build -eq 1 ]]; then
    t="$(lc_now)"; build_litecode; lc_log "build: $(lc_elapsed "$t") s"
  fi
  lc_log "setup done in $(lc_elapsed "$t0") s"
}

main "$@" </dev/null
