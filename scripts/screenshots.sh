#!/usr/bin/env bash
# Makes screenshots/*.png from real runs of the bundled demo: the built litecode-tui in tmux at 120x36
# (replay model, real container, a copy of examples/demo/project, throwaway XDG dirs), the screen taken
# with `tmux capture-pane -e -p` at a few moments, turned into HTML by aha and into PNG by headless
# Chromium. Not a test and not run by CI; run it after a change that alters the look.
set -euo pipefail
LC_SCRIPT="screenshots"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<EOF
usage: scripts/screenshots.sh [--out DIR] [--keep-html]

  --out DIR     where the PNGs go (default: screenshots/)
  --keep-html   also keep the HTML pages aha made (DIR/html/)

Needs: a built litecode-tui (LITECODE_TUI, default $(lc_build_dir)/litecode-tui), a container engine
with the sandbox image (scripts/setup.sh), tmux, aha, python3 and chromium (SCREENSHOTS=1 scripts/setup.sh
installs it, or apt-get install chromium). Makes approval.png, step3-diff.png, review.png, answer.png,
help.png and light.png.
EOF
}

OUT="$LC_ROOT/screenshots"
KEEP_HTML=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) [[ $# -ge 2 ]] || lc_die "--out needs a directory"; OUT="$2"; shift ;;
    --keep-html) KEEP_HTML=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; lc_die "unknown argument: $1" ;;
  esac
  shift
done

export LC_SOURCE_DIR="$LC_ROOT"
export LITECODE_TUI="${LITECODE_TUI:-$(lc_build_dir)/litecode-tui}"
[[ -x "$LITECODE_TUI" ]] || lc_die "no litecode-tui at $LITECODE_TUI: build first (cmake --build build) or set LITECODE_TUI"
for tool in tmux aha python3; do
  command -v "$tool" >/dev/null 2>&1 || lc_die "$tool is missing: apt-get install $tool (or scripts/setup.sh)"
done
CHROMIUM=""
for c in chromium chromium-browser google-chrome; do
  if command -v "$c" >/dev/null 2>&1; then CHROMIUM="$c"; break; fi
done
[[ -n "$CHROMIUM" ]] || lc_die "chromium is missing: SCREENSHOTS=1 scripts/setup.sh, or apt-get install chromium"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/lc-screenshots-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# A missing engine or image is an error here, not a skip.
export LITECODE_REQUIRE_ENGINE=1

# capture-pane -e gives the 16 ANSI colours as palette numbers, which aha only knows by CSS names (and
# marks bright ones with a filter over the whole span, background included). Every colour is rewritten
# to 24-bit RGB first (a Tango-like palette for 0-15, the xterm cube and greys above), so aha writes the
# exact colours.
cat >"$WORK/rgb.py" <<'EOF'
import re, sys
BASE = ["000000", "cc0000", "4e9a06", "c4a000", "3465a4", "75507b", "06989a", "d3d7cf",
        "555753", "ef2929", "8ae234", "fce94f", "729fcf", "ad7fa8", "34e2e2", "eeeeec"]
def rgb(n):
    if n < 16:
        h = BASE[n]
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    if n < 232:
        n -= 16
        lv = [0, 95, 135, 175, 215, 255]
        return lv[n // 36], lv[(n // 6) % 6], lv[n % 6]
    g = 8 + (n - 232) * 10
    return g, g, g
def sgr(m):
    p = [int(x) if x else 0 for x in m.group(1).split(";")]
    out, i = [], 0
    while i < len(p):
        v = p[i]
        if v in (38, 48) and i + 2 < len(p) and p[i + 1] == 5:
            r, g, b = rgb(p[i + 2]); out.append("%d;2;%d;%d;%d" % (v, r, g, b)); i += 3; continue
        if v in (38, 48) and i + 4 < len(p) and p[i + 1] == 2:
            out.append(";".join(map(str, p[i:i + 5]))); i += 5; continue
        if 30 <= v <= 37 or 90 <= v <= 97:
            r, g, b = rgb(v - 30 if v < 90 else v - 90 + 8); out.append("38;2;%d;%d;%d" % (r, g, b))
        elif 40 <= v <= 47 or 100 <= v <= 107:
            r, g, b = rgb(v - 40 if v < 100 else v - 100 + 8); out.append("48;2;%d;%d;%d" % (r, g, b))
        else:
            out.append(str(v))
        i += 1
    return "\x1b[" + ";".join(out) + "m"
sys.stdout.write(re.sub(r"\x1b\[([0-9;]*)m", sgr, sys.stdin.read()))
EOF

# render NAME THEME: $WORK/NAME.ans -> $OUT/NAME.png (THEME dark: black background; light: white).
render() {
  local name="$1" theme="$2" html body aha_opts=()
  html="$WORK/$name.html"
  if [[ "$theme" == light ]]; then
    body="margin:0; color:#1e1e1e; background-color:#fafafa"
  else
    aha_opts=(--black)
    body="margin:0; color:#d3d7cf; background-color:#000000"
  fi
  python3 "$WORK/rgb.py" <"$WORK/$name.ans" | aha "${aha_opts[@]}" --title "litecode-tui: $name" >"$html"
  # 120 columns of DejaVu Sans Mono at 17 px fill the 1300 px window; the line height is the font's own
  # box so the pane borders join up.
  sed -i -e "s|<body[^>]*>|<body style=\"$body\">|" \
    -e "s|<pre>|<pre style=\"font-family: 'DejaVu Sans Mono', 'Liberation Mono', monospace; font-size: 17px; line-height: 1.165; margin: 12px 0 0 20px;\">|" \
    "$html"
  local udd; udd="$(mktemp -d "$WORK/chromium-XXXXXX")"
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars --user-data-dir="$udd" --screenshot="$OUT/$name.png" \
    --window-size=1300,760 "file://$html" >"$WORK/chromium.log" 2>&1 \
    || { tail -n 20 "$WORK/chromium.log" >&2; lc_die "chromium could not render $html"; }
  [[ -s "$OUT/$name.png" ]] || lc_die "chromium wrote no $OUT/$name.png (log: $(tail -n 5 "$WORK/chromium.log"))"
  if [[ $KEEP_HTML -eq 1 ]]; then mkdir -p "$OUT/html"; cp "$html" "$OUT/html/"; fi
  lc_log "$OUT/$name.png ($(( $(stat -c %s "$OUT/$name.png") / 1024 )) KiB)"
}

# The screen with its colours, once what is awaited is there and the UI had a moment to settle.
shot() {
  local name="$1" text="$2"
  lc_t_wait "$text" 60
  sleep 0.7
  tm capture-pane -e -p -t lc >"$WORK/$name.ans"
}

focus_diffs() {
  local _
  for _ in 1 2 3 4 5; do
    if grep -q '^> Diffs' <<<"$(lc_t_screen)"; then return 0; fi
    tm send-keys -t lc Tab
    sleep 0.3
  done
  lc_t_fail "Tab did not focus the Diffs pane"
}

# The dark (default) theme: one session through the whole demo.
dark_run() {
  LC_T_NAME="screenshots-dark"
  # shellcheck source=tests/ui/tmux_lib.bash
  source "$LC_ROOT/tests/ui/tmux_lib.bash"
  lc_tmux_setup
  lc_tmux_start 120 36
  lc_t_session_id
  shot approval "Run step 1?"
  lc_t_answer y
  lc_t_wait "Run step 2?" 60
  lc_t_answer y
  lc_t_wait "Run step 3?" 60
  lc_t_answer y
  lc_t_wait "Ran 3 tests" 60
  shot step3-diff "Run step 4?"
  lc_t_answer y
  lc_t_wait "session answered" 60
  focus_diffs
  # Issue 12's review: the two fixes split apart (|), the first picked, line mode (v) on the second.
  tm send-keys -t lc z
  sleep 0.5
  tm send-keys -t lc n '|' t v
  shot review "LINES"
  tm send-keys -t lc v z g
  sleep 0.3
  tm send-keys -t lc t
  shot answer "[x] M inventory.py"
  tm send-keys -t lc '?'
  shot help "Keys (? or Esc closes"
  tm send-keys -t lc Escape
  sleep 0.5
  tm send-keys -t lc q
  sleep 0.5
  # q asks while hunks are not applied (or the agent works): y quits.
  if [[ ! -s "$LC_T_TMP/rc" ]]; then tm send-keys -t lc y; fi
  lc_t_wait_exit 30 >/dev/null
}

# The light theme: approve everything, then the final answer and the diff.
light_run() {
  LC_T_NAME="screenshots-light"
  # shellcheck source=tests/ui/tmux_lib.bash
  source "$LC_ROOT/tests/ui/tmux_lib.bash"
  lc_tmux_setup
  lc_tmux_start 120 36 --theme light
  lc_t_session_id
  lc_t_wait "Run step 1?" 60
  lc_t_answer a
  lc_t_wait "session answered" 90
  focus_diffs
  shot light "session answered"
  tm send-keys -t lc q
  sleep 0.5
  if [[ ! -s "$LC_T_TMP/rc" ]]; then tm send-keys -t lc y; fi
  lc_t_wait_exit 30 >/dev/null
}

lc_log "dark theme run"
( WORK="$WORK"; dark_run )
lc_log "light theme run"
( WORK="$WORK"; light_run )
for n in approval step3-diff review answer help; do render "$n" dark; done
render light light
lc_log "done: $OUT"
