#!/usr/bin/env bash
# Issue 17 items 14 and "resume", through the real binary in a real terminal (tmux 120x36, a real
# container, a small OpenAI-compatible server on 127.0.0.1 written here):
#  - the server refuses the first request (HTTP 401): the session is not ended; the input line offers
#    r (retry), m (another model), q; r goes on and the step runs;
#  - the session answers; --resume last opens it again: the earlier conversation and output are on
#    screen, and the next step is numbered on from where the session was.
set -euo pipefail
LC_T_NAME="tmux_model_resume"
# shellcheck source=tests/ui/tmux_lib.bash
source "$(dirname "${BASH_SOURCE[0]}")/tmux_lib.bash"

lc_tmux_setup
port_file="$LC_T_TMP/port"
cat >"$LC_T_TMP/server.py" <<'EOF'
import http.server, json, sys
replies = [None,
           "I will print something.\n```python\nprint('printed in the first run')\n```",
           "Done.\n```python\nfinal_answer('first run done')\n```",
           "Going on.\n```python\nprint('printed after the resume')\n```",
           "Done.\n```python\nfinal_answer('resumed run done')\n```"]
count = 0
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_POST(self):
        global count
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        n = count
        count += 1
        if n == 0 or n >= len(replies):
            body = json.dumps({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                         "code": "invalid_api_key"}}).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chunk = {"id": "c", "object": "chat.completion.chunk", "model": "test",
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": replies[n]}, "finish_reason": None}]}
        end = {"id": "c", "object": "chat.completion.chunk", "model": "test",
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        for c in (chunk, end):
            self.wfile.write(b"data: " + json.dumps(c).encode() + b"\n\n")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 "$LC_T_TMP/server.py" "$port_file" &
server_pid=$!
# The server goes too; lc_tmux_cleanup still sees the test's exit status.
trap 'lc_rc=$?; set +e; kill "$server_pid" 2>/dev/null; (exit "$lc_rc"); lc_tmux_cleanup' EXIT
for _ in $(seq 1 50); do [[ -s "$port_file" ]] && break; sleep 0.1; done
[[ -s "$port_file" ]] || lc_t_fail "the test's model server did not start"
mkdir -p "$LC_T_CONFIG/litecode"
cat >"$LC_T_CONFIG/litecode/config.yaml" <<EOF
model:
  name: openai/test-model
  base_url: http://127.0.0.1:$(cat "$port_file")/v1
  api_key_env: LC_TEST_MODEL_KEY
  max_retries: 0
EOF
export LC_TEST_MODEL_KEY=not-a-real-key

# ---- item 14: a 401 keeps the session --------------------------------------------------------------
lc_tmux_start 120 36 "print something"
lc_t_session_id
lc_t_wait "The model failed; the session is kept: r retries, m changes the model, q ends the session" 60
lc_t_ok "HTTP 401: the session stays and the input line offers r, m, q"
tm send-keys -t lc r
lc_t_wait "Run step" 60
lc_t_answer y
lc_t_wait "printed in the first run" 60
lc_t_ok "r retried: the same task went on, its step ran"
lc_t_wait "Run step" 60
lc_t_answer y
lc_t_wait "first run done" 60
lc_t_wait " | done | " 30 # the session has ended (the status bar): q quits without asking
tm send-keys -t lc q
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 0 ]] || lc_t_fail "the first run exited with $rc, expected 0"
steps_before="$(python3 - "$LC_T_STATE/litecode/sessions/$LC_T_SESSION_ID/session.jsonl" <<'EOF'
import json, sys
print(max(r.get("step", 0) for r in (json.loads(l) for l in open(sys.argv[1]) if l.strip()) if r.get("kind") == "step"))
EOF
)"

# ---- resume: the session so far is on screen; the steps go on ------------------------------------
tm kill-server >/dev/null 2>&1 || true
rm -f "$LC_T_TMP/rc" "$LC_T_TMP/pid"
lc_tmux_start 120 36 --resume last
lc_t_wait "Run step $((steps_before + 1))?" 60
screen="$(lc_t_screen)"
grep -qF "printed in the first run" <<<"$screen" || lc_t_fail "the resumed TUI does not show the earlier output"
grep -qF "== step $steps_before: final" <<<"$screen" || lc_t_fail "the earlier step's end is not shown"
grep -qF -- "-- resumed here" <<<"$screen" || lc_t_fail "the resumed TUI does not say where it resumed"
lc_t_ok "--resume last shows the earlier output and numbers the next step $((steps_before + 1))"
tm send-keys -t lc g # the Conversation's top
lc_t_wait "Task: print something" 5
lc_t_ok "the earlier conversation (the task) is there"
lc_t_answer y
lc_t_wait "printed after the resume" 60
lc_t_wait "Run step" 60
lc_t_answer y
lc_t_wait "resumed run done" 60
lc_t_wait " | done | " 30 # the session has ended (the status bar): q quits without asking
tm send-keys -t lc q
rc="$(lc_t_wait_exit 30)"
[[ "$rc" == 0 ]] || lc_t_fail "the resumed run exited with $rc, expected 0"
lc_t_original_untouched
echo "tmux_model_resume: PASS"
