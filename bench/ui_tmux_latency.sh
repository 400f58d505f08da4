#!/usr/bin/env bash
# Key to screen while output streams, through a real terminal (tmux), as issue 17 item 9 measured it:
# a step prints about 8,000 lines a second for 20 s in a real container; meanwhile Tab is pressed 40
# times and the time until tmux's screen shows the focus moved is taken (capture-pane polling, so the
# figure includes tmux's own work and the polling). Prints figure lines; not a test.
#   bench/ui_tmux_latency.sh [path/to/litecode-tui]    (default: build/litecode-tui)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LC_SOURCE_DIR="$root" LITECODE_TUI="${1:-$root/build/litecode-tui}"
LC_T_NAME=ui_tmux_latency
# shellcheck source=tests/ui/tmux_lib.bash
source "$root/tests/ui/tmux_lib.bash"
lc_tmux_setup
mkdir -p "$LC_T_CONFIG/litecode"
printf 'container:\n  output_cap: 256m\n  timeout: 120\n  authorized_imports: [time]\n' >"$LC_T_CONFIG/litecode/config.yaml"
rec="$LC_T_TMP/lat.jsonl"
python3 - "$rec" <<'EOF'
import json, sys
code = "import time\nfor i in range(160000):\n    print('output line', i, 'some text a test prints while it runs')\n    if i % 80 == 79:\n        time.sleep(0.01)\n"
reply1 = "Stream.\n```python\n" + code + "```"
recs = [{"v": 1, "ts": "x", "kind": "header", "step": 0, "version": "0.1.0"},
        {"v": 1, "ts": "x", "kind": "model_reply", "step": 1, "content": reply1, "finish_reason": "stop"}]
open(sys.argv[1], "w").write("".join(json.dumps(r) + "\n" for r in recs))
EOF
lc_tmux_start 160 45 --model "replay:$rec" "stream"
lc_t_wait "Run step 1?" 60
lc_t_answer y
lc_t_wait "output line" 60; sleep 1
ts=()
for k in $(seq 1 40); do
  mark_before="$(lc_t_screen | grep -o '> \(Conversation\|Code\|Output\|Diffs\)' | head -1)"
  t0=$(date +%s%N)
  tm send-keys -t lc Tab
  while :; do
    m="$(lc_t_screen | grep -o '> \(Conversation\|Code\|Output\|Diffs\)' | head -1)"
    [[ "$m" != "$mark_before" ]] && break
    t1=$(date +%s%N); (( (t1 - t0) > 3000000000 )) && break
  done
  t1=$(date +%s%N)
  ts+=($(( (t1 - t0) / 1000 )))
  sleep 0.1
done
printf '%s\n' "${ts[@]}" | sort -n | awk '{a[NR]=$1} END {printf "figure: ui.tmux_key_to_screen_median %.1f ms\nfigure: ui.tmux_key_to_screen_max %.1f ms\n", a[int((NR+1)/2)]/1000, a[NR]/1000}'
ps -o rss= -p "$LC_T_PID" | awk '{printf "figure: ui.tmux_rss_streaming %.1f MB\n", $1/1024}'
