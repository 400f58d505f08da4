#!/usr/bin/env bash
# Key to screen while output streams, through a real terminal (tmux), as issue 17 item 9 measured it:
# a step prints about 8,000 lines a second for 20 s in a real container (then, _burst, one prints as fast
# as it can for 15 s); meanwhile Tab is pressed 40
# times and the time until tmux's screen shows the focus moved is taken (bench/tmux_keys.py: keys and
# screen through one tmux control client, so the figure is tmux's and the program's work, not process
# starts). ui.tmux_key_to_screen_idle_* are the same 40 keys before the step runs: the floor of this
# terminal on this machine. ui.tmux_app_* are the program's own share (LITECODE_UI_TRACE). Prints
# figure lines; not a test.
#   bench/ui_tmux_latency.sh [path/to/litecode-tui]    (default: build/litecode-tui)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$root/build/litecode-tui}"
[[ -x "$bin" ]] || { echo "ui_tmux_latency: $bin is not an executable litecode-tui; build it first" >&2; exit 2; }
# The program runs in tmux from the project's copy: a relative path would not resolve there.
LITECODE_TUI="$(realpath "$bin")"
export LC_SOURCE_DIR="$root" LITECODE_TUI
LC_T_NAME=ui_tmux_latency
# shellcheck source=tests/ui/tmux_lib.bash
source "$root/tests/ui/tmux_lib.bash"
lc_tmux_setup
# The program's own share (src/ui/app.c writes it): each turn of its loop, and a key read to its frame.
export LITECODE_UI_TRACE="$LC_T_TMP/trace.txt"
mkdir -p "$LC_T_CONFIG/litecode"
printf 'container:\n  output_cap: 256m\n  timeout: 120\n  authorized_imports: [time]\n' >"$LC_T_CONFIG/litecode/config.yaml"
rec="$LC_T_TMP/lat.jsonl"
python3 - "$rec" <<'EOF'
import json, sys
code = "import time\nfor i in range(160000):\n    print('output line', i, 'some text a test prints while it runs')\n    if i % 80 == 79:\n        time.sleep(0.01)\n"
reply1 = "Stream.\n```python\n" + code + "```"
# Step 2 prints as fast as it can for 15 s: output arrives faster than it is drawn.
burst = ("import time\nt = time.time()\ni = 0\nwhile time.time() - t < 15:\n"
         "    print('burst line', i, 'some text a test prints while it runs')\n    i += 1\n")
reply2 = "Burst.\n```python\n" + burst + "```"
recs = [{"v": 1, "ts": "x", "kind": "header", "step": 0, "version": "0.1.0"},
        {"v": 1, "ts": "x", "kind": "model_reply", "step": 1, "content": reply1, "finish_reason": "stop"},
        {"v": 1, "ts": "x", "kind": "model_reply", "step": 2, "content": reply2, "finish_reason": "stop"}]
open(sys.argv[1], "w").write("".join(json.dumps(r) + "\n" for r in recs))
EOF
lc_tmux_start 160 45 --model "replay:$rec" "stream"
lc_t_wait "Run step 1?" 60
sleep 1
# figures NAME < microseconds, one a line: the median, the 95th percentile and the worst (on a shared
# machine the worst is mostly the scheduler: compare it with the _idle one).
figures() {
  sort -n | awk -v n="$1" '{a[NR]=$1} END {
    printf "figure: ui.tmux_key_to_screen%s_median %.1f ms\n", n, a[int((NR+1)/2)]/1000
    printf "figure: ui.tmux_key_to_screen%s_p95 %.1f ms\n", n, a[int(NR*0.95+0.5)]/1000
    printf "figure: ui.tmux_key_to_screen%s_max %.1f ms\n", n, a[NR]/1000}'
}
# The floor: the same keys with nothing streaming (the question is open, the step not started yet).
python3 "$root/bench/tmux_keys.py" "$LC_T_SOCK" lc 40 | figures _idle
lc_t_answer y
lc_t_wait "output line" 60; sleep 1
touch "$LITECODE_UI_TRACE" # a build from before LITECODE_UI_TRACE writes none: no ui.tmux_app_* figures
# The program's share while the keys were pressed (NAME: the figures' suffix; FROM: the trace's first
# line): the longest turn (a key arriving in it waits that long to be read), the most CPU time a turn
# used (the rest of a turn is waiting for a CPU on a busy machine, or for the terminal), and the longest
# time from reading a key to its frame written to the terminal.
app_figures() {
  tail -n "+$2" "$LITECODE_UI_TRACE" | awk -v n="$1" '
    {if ($2 > turn) turn = $2; if ($6 > cpu) cpu = $6; if ($4 >= 0) {k++; if ($4 > key) key = $4}}
    END {if (!NR) exit
      printf "figure: ui.tmux_app_turn%s_max %.1f ms\nfigure: ui.tmux_app_turn_cpu%s_max %.1f ms\n", n, turn/1000, n, cpu/1000
      printf "figure: ui.tmux_app_key_to_frame%s_max %.1f ms (%d frames with keys)\n", n, key/1000, k}'
}
from=$(( $(wc -l <"$LITECODE_UI_TRACE") + 1 ))
python3 "$root/bench/tmux_keys.py" "$LC_T_SOCK" lc 40 | figures ""
app_figures "" "$from"
lc_t_screen | grep -q "output line" || lc_t_fail "the step's output was no longer on the screen"
ps -o rss= -p "$LC_T_PID" | awk '{printf "figure: ui.tmux_rss_streaming %.1f MB\n", $1/1024}'
# The burst (step 2): the same keys while output comes faster than the screen shows it.
lc_t_wait "Run step 2?" 120
lc_t_answer y
lc_t_wait "burst line" 60; sleep 1
from=$(( $(wc -l <"$LITECODE_UI_TRACE") + 1 ))
python3 "$root/bench/tmux_keys.py" "$LC_T_SOCK" lc 40 | figures _burst
app_figures _burst "$from"
ps -o rss= -p "$LC_T_PID" | awk '{printf "figure: ui.tmux_rss_burst %.1f MB\n", $1/1024}'
