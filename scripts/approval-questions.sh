#!/usr/bin/env bash
# Counts the questions litecode asks on the recorded sessions (examples/tasks/replays and the bundled
# demo) under --approve ask and --approve reads: each runs headless in a real container, every question
# answered yes, and the session log says who decided each step. Prints one line per task and mode and
# a total as `figure: approval.questions_MODE N questions` (docs/user-guide.md quotes the result).
# Usage: scripts/approval-questions.sh [path/to/litecode-tui]   (default: build/litecode-tui)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-build/litecode-tui}"
[[ -x "$bin" ]] || { echo "build litecode-tui first (or pass its path)" >&2; exit 2; }
tmp="$(mktemp -d "${TMPDIR:-/tmp}/lc-approval-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

tasks=(
  "codemod-sql-injection|examples/tasks/projects/app|--agent codemod --model replay:examples/tasks/replays/codemod-sql-injection.jsonl|Apply parameterized queries"
  "digger-sql-queries|examples/tasks/projects/backend|--agent digger --model replay:examples/tasks/replays/digger-sql-queries.jsonl|Find the slow SQL queries"
  "demo|examples/demo/project||Two tests in test_inventory.py fail. Find the bugs in inventory.py and fix them."
)
declare -A total=([ask]=0 [reads]=0)
for mode in ask reads; do
  for t in "${tasks[@]}"; do
    IFS='|' read -r name proj args task <<<"$t"
    run="$tmp/$mode-$name"
    mkdir -p "$run/state" "$run/config" "$run/home"
    cp -R "$proj" "$run/project"
    # shellcheck disable=SC2086
    set +o pipefail  # yes(1) ends with SIGPIPE
    yes y | env -u LITECODE_MODEL HOME="$run/home" XDG_STATE_HOME="$run/state" XDG_CONFIG_HOME="$run/config" \
      "$bin" --headless --approve "$mode" --dir "$run/project" $args "$task" >"$run/out.txt" 2>&1 \
      || { echo "$name ($mode) failed:" >&2; tail -n 5 "$run/out.txt" >&2; exit 1; }
    set -o pipefail
    n="$(python3 - "$run/state" <<'PY'
import glob, json, sys
log = glob.glob(sys.argv[1] + "/litecode/sessions/*/session.jsonl")[0]
recs = [json.loads(l) for l in open(log, encoding="utf-8") if l.strip()]
dec = [r for r in recs if r.get("kind") == "decision"]
print(sum(1 for r in dec if r.get("by") == "user"), len(dec))
PY
)"
    read -r asked steps <<<"$n"
    echo "$name: $mode: $asked questions for $steps steps"
    total[$mode]=$(( total[$mode] + asked ))
  done
done
echo "figure: approval.questions_ask ${total[ask]} questions"
echo "figure: approval.questions_reads ${total[reads]} questions"
