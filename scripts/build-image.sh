#!/usr/bin/env bash
# Builds the sandbox image offline from Debian's archive (no registry needed) and loads it into docker
# and podman as litecode-sandbox:VERSION (litecode-sandbox-ml:VERSION with --ml).
#
# Inputs are hashed (package list + this script + suite). The root filesystem tarball is cached under
# ${XDG_CACHE_HOME:-~/.cache}/litecode/images/<hash>.tar, and an engine whose image already carries the
# label litecode.inputs=<hash> is left alone, so a second run costs a couple of `image inspect` calls.
set -euo pipefail
LC_SCRIPT=build-image
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<EOF
usage: scripts/build-image.sh [--ml] [--engine auto|docker|podman|all] [--force|--check] [--print-tag|--print-hash]

  --ml            build the ml variant (adds image/packages-ml.txt: numpy, pandas, scikit-learn, matplotlib)
  --engine E      where to load the image: auto (every reachable engine, the default), docker, podman,
                  or all (both, and fail if one is not reachable)
  --force         rebuild the root filesystem and re-import even if the cache says it is current
  --check         only check the image in each engine: run it as the sandbox runs it (uid 1000,
                  read-only, no network, no capabilities) and test the tools; exit 1 on a defect
  --print-tag     print the image tag and exit
  --print-hash    print the input hash and exit

Environment: LITECODE_DEBIAN_MIRROR (default: the first Debian mirror in /etc/apt/sources.list*),
LITECODE_DEBIAN_SUITE (default bookworm), XDG_CACHE_HOME.
EOF
}

SUITE="${LITECODE_DEBIAN_SUITE:-bookworm}"
SANDBOX_UID=1000
SANDBOX_GID=1000

# Package names from a list file: one per line, '#' starts a comment.
read_packages() { sed -e 's/#.*//' -e 's/[[:space:]]//g' "$1" | grep -v '^$' || true; }

# The hash covers everything that changes the root filesystem's contents.
input_hash() {
  local variant="$1"
  {
    printf 'suite=%s variant=%s uid=%s\n' "$SUITE" "$variant" "$SANDBOX_UID"
    read_packages "$LC_ROOT/image/packages.txt"
    [[ "$variant" == ml ]] && read_packages "$LC_ROOT/image/packages-ml.txt"
    cat "${BASH_SOURCE[0]}"
  } | sha256sum | cut -c1-16
}

# First mirror of the main Debian archive in the host's apt sources (one-line and deb822 formats);
# debootstrap needs one URL and the security archive does not carry the full suite.
debian_mirror() {
  if [[ -n "${LITECODE_DEBIAN_MIRROR:-}" ]]; then printf '%s\n' "$LITECODE_DEBIAN_MIRROR"; return; fi
  local m=""
  if [[ -r /etc/apt/sources.list ]]; then
    m="$(awk -v s="$SUITE" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
         if ($(i + 1) == s) { print $i; exit } }' /etc/apt/sources.list)"
  fi
  if [[ -z "$m" ]]; then
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -r "$f" ]] || continue
      m="$(awk -v s="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
           { uris = ""; suites = ""; types = ""
             for (i = 1; i <= NF; i++) {
               if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
               if ($i ~ /^Suites:/) { suites = " " $i " "; sub(/^ Suites:/, "", suites) }
               if ($i ~ /^Types:/) types = $i }
             if (types ~ /[ \t]deb([ \t]|$)/ && suites ~ ("[ \t]" s "[ \t]")) { split(uris, u, /[ \t]+/); print u[1]; exit } }' "$f")"
      [[ -n "$m" ]] && break
    done
  fi
  printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

image_tag() {
  if [[ "$1" == ml ]]; then printf 'litecode-sandbox-ml:%s\n' "$(lc_version)"
  else printf 'litecode-sandbox:%s\n' "$(lc_version)"; fi
}

engine_cmd() { if [[ "$1" == podman ]]; then lc_podman "${@:2}"; else docker "${@:2}"; fi; }

# A litecode.* label of the engine's image (inputs: the input hash; source: dockerfile for images built
# from image/Dockerfile), or nothing when the tag is absent.
engine_label() {
  engine_cmd "$1" image inspect --format "{{ index .Config.Labels \"litecode.$3\" }}" "$2" 2>/dev/null || true
}

# Whether engine E is on another machine as far as its CLI's settings say (DOCKER_HOST other than the
# default socket, a docker context, podman --remote); litecode uses the copy transport there.
engine_is_remote() {
  if [[ "$1" == podman ]]; then
    [[ "$(podman version --format '{{if .Server}}remote{{end}}' 2>/dev/null)" == remote ]]
  else
    [[ ( -n "${DOCKER_HOST:-}" && "$DOCKER_HOST" != unix:///var/run/docker.sock && "$DOCKER_HOST" != unix:///run/docker.sock ) ||
       ( -n "${DOCKER_CONTEXT:-}" && "$DOCKER_CONTEXT" != default ) ]]
  fi
}

# This machine's own engine E2, whatever the environment points the CLIs at.
local_cmd() {
  if [[ "$1" == podman ]]; then
    env -u CONTAINER_HOST -u CONTAINER_CONNECTION podman --runtime "${LITECODE_PODMAN_RUNTIME:-runc}" \
      --cgroup-manager "${LITECODE_PODMAN_CGROUP_MANAGER:-cgroupfs}" "${@:2}"
  else
    env -u DOCKER_HOST -u DOCKER_CONTEXT docker "${@:2}"
  fi
}

# A missing image on a remote engine: loaded from this machine's docker or podman when either has the
# current one (same inputs), which takes seconds where a build takes a minute and needs the archive.
load_from_local() {
  local engine="$1" tag="$2" hash="$3" src size t0
  for src in docker podman; do
    command -v "$src" >/dev/null 2>&1 || continue
    [[ "$(local_cmd "$src" image inspect --format '{{ index .Config.Labels "litecode.inputs" }}' "$tag" 2>/dev/null)" == "$hash" ]] ||
      continue
    size="$(local_cmd "$src" image inspect --format '{{ .Size }}' "$tag" | awk '{ printf "%.0f MiB", $1 / 1048576 }')"
    lc_log "$engine: loading $tag from this machine's $src into the remote engine ($size)"
    t0="$(lc_now)"
    if local_cmd "$src" save "$tag" | engine_cmd "$engine" load >/dev/null &&
       [[ "$(engine_label "$engine" "$tag" inputs)" == "$hash" ]]; then
      lc_log "$engine: $tag ready (loaded in $(lc_elapsed "$t0") s)"
      return 0
    fi
    lc_log "$engine: loading from $src failed; building instead"
  done
  return 1
}

# ---- root part: debootstrap, user, slimming, tarball. Runs as root (through sudo when needed). ----

unmount_under() {
  local dir="$1" m
  [[ -d "$dir" ]] || return 0
  # Deepest first; debootstrap can leave /proc or /sys mounted when it fails half way.
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(
    awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
}

configure_rootfs() {
  local r="${1:?}"
  # Every path below is under $r: refuse anything that is not a fresh root filesystem.
  [[ "$r" != / && -f "$r/etc/debian_version" ]] || lc_die "refusing to configure '$r': not a debootstrap root"
  # Written directly rather than with useradd: minbase does not carry the passwd package.
  grep -q '^sandbox:' "$r/etc/passwd" ||
    echo "sandbox:x:$SANDBOX_UID:$SANDBOX_GID:litecode sandbox:/home/sandbox:/bin/bash" >>"$r/etc/passwd"
  grep -q '^sandbox:' "$r/etc/group" || echo "sandbox:x:$SANDBOX_GID:" >>"$r/etc/group"
  if [[ -f "$r/etc/shadow" ]] && ! grep -q '^sandbox:' "$r/etc/shadow"; then
    echo 'sandbox:*:19000:0:99999:7:::' >>"$r/etc/shadow"
  fi
  if [[ -f "$r/etc/gshadow" ]] && ! grep -q '^sandbox:' "$r/etc/gshadow"; then
    echo 'sandbox:!::' >>"$r/etc/gshadow"
  fi
  install -d -m 0755 -o "$SANDBOX_UID" -g "$SANDBOX_GID" "$r/home/sandbox" "$r/workspace"
  if [[ -d "$r/etc/skel" ]]; then
    cp -a "$r/etc/skel/." "$r/home/sandbox/"
    chown -R "$SANDBOX_UID:$SANDBOX_GID" "$r/home/sandbox"
  fi
  # git refuses repositories owned by another uid; the shadow copy is owned by the sandbox user, but
  # a bind mount from a root host can show other owners, so trust /workspace explicitly.
  printf '[safe]\n\tdirectory = /workspace\n\tdirectory = /workspace/*\n' >"$r/etc/gitconfig"

  # Slimming: package indexes, caches, docs (copyright files kept), manuals, translations, logs.
  rm -rf "${r:?}"/var/cache/apt/* "$r"/var/lib/apt/lists/* "$r"/var/cache/debconf/*-old \
         "$r"/var/lib/dpkg/*-old "$r"/var/log/* "$r"/tmp/* "$r"/var/tmp/* \
         "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/lintian "$r"/usr/share/linda
  find "$r/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete 2>/dev/null || true
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  # Keep it slim if someone installs more later.
  mkdir -p "$r/etc/dpkg/dpkg.cfg.d"
  cat >"$r/etc/dpkg/dpkg.cfg.d/01-litecode-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
  # The engines provide /dev, /etc/hostname and /etc/resolv.conf; device nodes would also stop a
  # rootless podman from importing the tarball.
  rm -rf "${r:?}"/dev/*
  : >"$r/etc/machine-id"
  : >"$r/etc/hostname"
  rm -f "$r/etc/resolv.conf"
  : >"$r/etc/resolv.conf"
}

# --internal-rootfs OUT VARIANT OWNER: build the tarball OUT. Called as root by the user part below.
build_rootfs() {
  local out="$1" variant="$2" owner="$3"
  [[ "$(id -u)" -eq 0 ]] || lc_die "building the root filesystem needs root (debootstrap, chroot)"
  command -v debootstrap >/dev/null 2>&1 || lc_die "debootstrap is not installed: run scripts/setup.sh (or apt-get install debootstrap)"
  local dir work mirror pkgs t0
  dir="$(dirname "$out")"
  mkdir -p "$dir/debs"
  work="$(mktemp -d "$dir/rootfs.XXXXXX")"
  # shellcheck disable=SC2064  # expand $work now: the trap must clean this very directory.
  trap "unmount_under '$work'; rm -rf --one-file-system '$work'" EXIT
  mirror="$(debian_mirror)"
  pkgs="$(read_packages "$LC_ROOT/image/packages.txt")"
  [[ "$variant" == ml ]] && pkgs+=$'\n'"$(read_packages "$LC_ROOT/image/packages-ml.txt")"
  pkgs="$(printf '%s\n' "$pkgs" | paste -sd, -)"
  lc_log "debootstrap $SUITE from $mirror (minbase + $pkgs); log: $dir/debootstrap.log"
  t0="$(lc_now)"
  if ! debootstrap --variant=minbase --include="$pkgs" --cache-dir="$dir/debs" \
        "$SUITE" "$work/rootfs" "$mirror" >"$dir/debootstrap.log" 2>&1; then
    tail -n 20 "$dir/debootstrap.log" >&2
    lc_die "debootstrap failed (full log: $dir/debootstrap.log); check that $mirror is reachable, or set LITECODE_DEBIAN_MIRROR"
  fi
  lc_log "debootstrap took $(lc_elapsed "$t0") s"
  unmount_under "$work"
  configure_rootfs "$work/rootfs"
  tar --numeric-owner -C "$work/rootfs" -cf "$out.tmp" .
  mv -f "$out.tmp" "$out"
  if [[ -n "$owner" ]]; then chown "$owner" "$out" "$dir/debootstrap.log" 2>/dev/null || true; fi
  lc_log "root filesystem: $out ($(du -m "$out" | cut -f1) MiB)"
}

# ---- user part: cache lookup, import, tagging. ----

import_into() {
  local engine="$1" tar="$2" tag="$3" hash="$4" variant="$5" old new
  old="$(engine_cmd "$engine" image inspect --format '{{ .Id }}' "$tag" 2>/dev/null || true)"
  lc_log "importing into $engine as $tag"
  local quiet=()
  [[ "$engine" == podman ]] && quiet=(--quiet)  # its progress lines say nothing useful here
  local ml_env=()
  # matplotlib draws without a display (Agg) and keeps its cache in the sandbox's writable /tmp.
  [[ "$variant" == ml ]] && ml_env=(--change 'ENV MPLBACKEND=Agg' --change 'ENV MPLCONFIGDIR=/tmp/matplotlib')
  engine_cmd "$engine" import "${quiet[@]}" "${ml_env[@]}" \
    --change "USER $SANDBOX_UID:$SANDBOX_GID" \
    --change 'WORKDIR /workspace' \
    --change 'ENV HOME=/home/sandbox' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["python3"]' \
    --change "LABEL litecode.inputs=$hash" \
    --change "LABEL litecode.variant=$variant" \
    --change "LABEL litecode.version=$(lc_version)" \
    --change "LABEL org.opencontainers.image.title=${tag%%:*}" \
    "$tar" "$tag" >/dev/null
  new="$(engine_cmd "$engine" image inspect --format '{{ .Id }}' "$tag")"
  # The previous build under this tag is now dangling; drop it unless a container still uses it.
  if [[ -n "$old" && "$old" != "$new" ]]; then
    engine_cmd "$engine" image rm "$old" >/dev/null 2>&1 || true
  fi
  lc_log "$engine: $tag ready ($(engine_cmd "$engine" image inspect --format '{{ .Size }}' "$tag" |
    awk '{ printf "%.0f MiB", $1 / 1048576 }'))"
}

# Runs the image the way the sandbox does and checks what litecode relies on. Prints one line per
# engine; returns non-zero if anything is missing. /workspace is a bind-mounted host directory, as the
# shadow copy is; mode 1777 lets uid 1000 write whatever the host user and uid mapping are, and its
# foreign owner also proves git's safe.directory setting works.
check_image() {
  local engine="$1" tag="$2" variant="$3" out rc=0 run=(run) ws
  [[ "$engine" == podman ]] && run+=(--ulimit nofile=1024:1024 --ulimit nproc=256:256)
  # shellcheck disable=SC2016  # the script runs inside the container
  local script='set -eu
    fail() { echo "CHECK FAILED: $*"; exit 1; }
    [ "$(id -u):$(id -g)" = 1000:1000 ] || fail "runs as $(id -u):$(id -g), not 1000:1000"
    [ "$(id -un)" = sandbox ] || fail "uid 1000 is not named sandbox"
    [ "$PWD" = /workspace ] || fail "working directory is $PWD, not /workspace"
    [ "$HOME" = /home/sandbox ] || fail "HOME is $HOME"
    for t in python3 bash git grep find sed diff cmp; do command -v "$t" >/dev/null || fail "$t missing"; done
    python3 -c "import json, re, collections, datetime, os, sys, signal, traceback, ast" || fail "python3 stdlib"
    if touch /etc/litecode-check 2>/dev/null; then fail "root filesystem is writable"; fi
    if python3 -c "import socket; socket.create_connection((\"1.1.1.1\", 53), timeout=2)" 2>/dev/null; then
      fail "network reachable with --network none"; fi
    cd /workspace && git init -q && git -c user.email=c@l -c user.name=c commit -q --allow-empty -m c ||
      fail "git cannot commit in /workspace"
    echo x > /workspace/f && [ "$(stat -c %u /workspace/f)" = 1000 ] || fail "files in /workspace not owned by 1000"
    if [ "$1" = ml ]; then python3 -c "import numpy, pandas, sklearn, matplotlib, matplotlib.pyplot as p; p.plot([1]); p.savefig(\"/tmp/c.png\")" ||
      fail "numpy, pandas, sklearn or matplotlib (Agg, writable MPLCONFIGDIR) missing"; fi
    echo "python $(python3 -c "import platform; print(platform.python_version())"), $(git --version)"'
  ws="$(mktemp -d)"
  chmod 1777 "$ws"
  local mount=(-v "$ws:/workspace")
  # An engine on another machine (DOCKER_HOST, CONTAINER_HOST) cannot see $ws: litecode copies the
  # workspace into a volume there, so the check uses one too.
  if engine_is_remote "$engine"; then
    mount=(--mount type=volume,destination=/workspace)
  fi
  out="$(engine_cmd "$engine" "${run[@]}" --rm --read-only --network none --cap-drop ALL \
          --security-opt no-new-privileges --tmpfs /tmp \
          "${mount[@]}" "$tag" bash -c "$script" check "$variant" 2>&1)" || rc=$?
  # Rootless podman leaves files owned by a sub-uid the user can only remove inside its namespace.
  rm -rf "$ws" 2>/dev/null || { [[ "$engine" == podman ]] && lc_podman unshare rm -rf "$ws"; } || true
  if [[ $rc -eq 0 ]]; then
    lc_log "$engine: $tag checked: uid 1000, read-only, no network, $(tail -n1 <<<"$out")"
  else
    lc_log "$engine: $tag FAILED its check (exit $rc): $(tail -n 3 <<<"$out" | tr '\n' ' ')"
  fi
  return "$rc"
}

main() {
  local variant=base engine=auto force=0 print="" check=0
  if [[ "${1:-}" == --internal-rootfs ]]; then build_rootfs "$2" "$3" "${4:-}"; return; fi
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --ml) variant=ml ;;
      --engine) [[ $# -ge 2 ]] || lc_die "--engine needs a value"; engine="$2"; shift ;;
      --engine=*) engine="${1#--engine=}" ;;
      --force) force=1 ;;
      --check) check=1 ;;
      --print-tag) print=tag ;;
      --print-hash) print='hash' ;;
      -h|--help) usage; return 0 ;;
      *) usage >&2; lc_die "unknown argument: $1" ;;
    esac
    shift
  done
  local tag hash
  tag="$(image_tag "$variant")"
  hash="$(input_hash "$variant")"
  case "$print" in tag) echo "$tag"; return ;; hash) echo "$hash"; return ;; esac

  local engines=()
  case "$engine" in
    auto)
      lc_docker_ok && engines+=(docker)
      lc_podman_ok && engines+=(podman)
      [[ ${#engines[@]} -gt 0 ]] || lc_die "no container engine is reachable: run scripts/setup.sh (installs docker.io and podman, starts dockerd)" ;;
    all|docker|podman)
      [[ "$engine" == podman ]] || { lc_docker_ok || lc_die "docker is not reachable (is dockerd running? scripts/setup.sh starts it)"; engines+=(docker); }
      [[ "$engine" == docker ]] || { lc_podman_ok || lc_die "podman is not usable (apt-get install podman runc)"; engines+=(podman); } ;;
    *) lc_die "unknown engine '$engine' (auto, docker, podman or all)" ;;
  esac

  local todo=() e
  if [[ $check -eq 1 ]]; then
    local bad=0
    for e in "${engines[@]}"; do
      if [[ -z "$(engine_cmd "$e" image inspect --format '{{ .Id }}' "$tag" 2>/dev/null)" ]]; then
        lc_log "$e: $tag is missing (scripts/build-image.sh builds it)"; bad=1; continue
      fi
      check_image "$e" "$tag" "$variant" || bad=1
    done
    return "$bad"
  fi
  for e in "${engines[@]}"; do
    if [[ $force -eq 0 && "$(engine_label "$e" "$tag" inputs)" == "$hash" ]]; then
      lc_log "$e: $tag is current (inputs $hash)"
    elif [[ $force -eq 0 && "$(engine_label "$e" "$tag" source)" == dockerfile ]]; then
      # The user built it from image/Dockerfile on purpose; do not replace their choice.
      lc_log "$e: $tag was built from image/Dockerfile; kept (--force replaces it)"
    else
      todo+=("$e")
    fi
  done
  [[ ${#todo[@]} -gt 0 ]] || return 0
  local left=()
  for e in "${todo[@]}"; do
    if [[ $force -eq 0 ]] && engine_is_remote "$e" && load_from_local "$e" "$tag" "$hash"; then
      check_image "$e" "$tag" "$variant" || lc_die "$e: the loaded image $tag does not work as a sandbox (see above)"
    else
      left+=("$e")
    fi
  done
  [[ ${#left[@]} -gt 0 ]] || return 0
  todo=("${left[@]}")

  local cache tar t0
  cache="$(lc_cache_dir)/images"
  mkdir -p "$cache"
  tar="$cache/$hash.tar"
  # One builder at a time per cache: a second caller waits, then finds the tarball ready.
  exec 9>"$cache/.lock"
  flock 9
  if [[ $force -eq 1 || ! -s "$tar" ]]; then
    t0="$(lc_now)"
    lc_init_sudo "building the image's root filesystem (debootstrap)"
    "${LC_SUDO[@]}" env LITECODE_DEBIAN_MIRROR="${LITECODE_DEBIAN_MIRROR:-}" \
      LITECODE_DEBIAN_SUITE="$SUITE" "${BASH_SOURCE[0]}" --internal-rootfs "$tar" "$variant" "$(id -u):$(id -g)"
    lc_log "root filesystem built in $(lc_elapsed "$t0") s"
  else
    touch "$tar"
    lc_log "cache hit: $tar"
  fi
  for e in "${todo[@]}"; do
    import_into "$e" "$tar" "$tag" "$hash" "$variant"
    check_image "$e" "$tag" "$variant" || lc_die "$e: the new image $tag does not work as a sandbox (see above)"
  done
  # Superseded tarballs are 200 MiB each: keep the four used most recently (both variants fit).
  local old
  while read -r old; do
    [[ "$old" == "$hash.tar" ]] || rm -f "$cache/$old"
  done < <(find "$cache" -maxdepth 1 -name '*.tar' -printf '%T@ %f\n' | sort -rn | tail -n +5 | cut -d" " -f2)
  exec 9>&-
}

main "$@"
