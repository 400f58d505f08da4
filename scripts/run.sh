#!/usr/bin/env bash
# Sets the machine up (scripts/setup.sh: packages, engine, image, build) and starts litecode-tui with the
# given arguments. With no model configured it opens the bundled demo.
#   scripts/run.sh --dir ~/myproject
# LITECODE_SKIP_SETUP=1 skips the setup and only runs an incremental build.
set -euo pipefail
LC_SCRIPT=run
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build="$(lc_build_dir)"
if [[ "${LITECODE_SKIP_SETUP:-0}" == 1 && -f "$build/CMakeCache.txt" ]]; then
  cmake --build "$build" -j"$(lc_jobs)" >"$build/build.log" 2>&1 ||
    lc_die "the build failed (full log: $build/build.log)"
else
  # setup.sh reads no input; keep the terminal's stdin for the TUI.
  "$LC_ROOT/scripts/setup.sh" </dev/null
fi
[[ -x "$build/litecode-tui" ]] || lc_die "$build/litecode-tui was not built (see $build/build.log)"
exec "$build/litecode-tui" "$@"
