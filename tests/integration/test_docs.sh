#!/usr/bin/env bash
# Every example in the docs is run against the built binary, so the docs cannot drift from the program.
# Marked blocks in docs/*.md, README.md and examples/tasks/*.md are run (the marker convention is
# described in docs/README.md and tests/integration/docs_examples.py). Examples that need a container
# engine are skipped without one, unless LITECODE_REQUIRE_ENGINE=1.
set -euo pipefail
: "${LC_SOURCE_DIR:?set by ctest: the source tree}"
: "${LITECODE_TUI:?set by ctest: the built litecode-tui}"
if [[ ! -x "$LITECODE_TUI" ]]; then
  echo "FAIL: $LITECODE_TUI is not an executable (build litecode-tui first)" >&2
  exit 1
fi
command -v python3 >/dev/null 2>&1 || { echo "FAIL: python3 is needed to read the docs" >&2; exit 1; }
exec python3 "$LC_SOURCE_DIR/tests/integration/docs_examples.py"
