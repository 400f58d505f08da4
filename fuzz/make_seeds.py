#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/corpus/ from the test fixtures and a few hand-made edge cases.
Run once after a fixture changes; the corpus (seeds plus what fuzzing kept) is committed."""
import hashlib, json, os, glob

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
C = os.path.join(ROOT, "fuzz", "corpus")

def put(target, data, name=None):
    d = os.path.join(C, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    name = name or "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def body_of(fixture):
    out = []
    for line in open(fixture, encoding="utf-8", errors="surrogateescape"):
        if line.startswith("@"):
            if line.startswith("@raw "):
                out.append(line[5:].rstrip("\n").replace("\\r", "\r").replace("\\n", "\n"))
            continue
        out.append(line)
    return "".join(out)

# SSE: mode byte + a provider's stream or error body.
for i, f in enumerate(sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/llm/*.txt")))):
    put("sse", bytes([i * 37 % 256]) + body_of(f).encode("utf-8", "surrogateescape"))
put("sse", b"\x05data: a\r\ndata: b\r\rdata: c\n\n:comment\nevent: x\ndata:{\"a\":1}\n\nerror: boom\n")
put("sse", b"\x45" + b"data: " + b"x" * 200 + b"\n\n")
put("sse", b"\x83data: {\"error\":{\"message\":\"\x1b[2J sk-fuzz-secret \xc2\x9b\"}}\n\ndata: [DONE]\n\n")

# Config: layer byte + YAML.
for i, f in enumerate([os.path.join(ROOT, "tests/fixtures/config/full.yaml")]
                      + sorted(glob.glob(os.path.join(ROOT, "examples/config/*.yaml")))
                      + sorted(glob.glob(os.path.join(ROOT, "agents/*.yaml")))):
    put("config", bytes([i % 2]) + open(f, "rb").read())
for i, y in enumerate([
    "model:\n  name: \"openai/m\\x9b\\u202e\"\n  base_url: \"http://h/\\e]52;c;QQ==\\a\"\n",
    "a: &x [1, *x]\n",
    "x: &a [*a, *a]\ny: &b [*a, *a]\nz: [*b, *b]\n",
    "model: {name: [[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]}\n",
    "\ufeffmodel:\n\tname: x\n",
    "container:\n  memory: 99999999999999999999g\n  cpus: 1e308\n  pids: -1\n  timeout: nan\n",
    "---\nmodel: {}\n---\nmodel: {}\n",
    "security:\n  allow_local_code_execution: true\n",
    "tools:\n  files: [\"../../etc/passwd\", \"/abs\", \"\\0\"]\n  authorized_imports: [\"*\"]\n",
    "model:\n  name: !!binary aGVsbG8=\n  temperature: .inf\n  max_tokens: 0x7fffffffffffffff\n",
    "ui:\n  keys:\n    run: \"\\e[A\"\n  theme: \"../x\"\n",
    "model:\n  name: openai/a\n  name: openai/b\n",
]):
    put("config", bytes([i % 2]) + y.encode())

# Extraction: model replies.
for r in [
    "Thought: x\n```python\nprint(1)\n```\n",
    "```py\na=1\n```\ntext\n```python\nb=2\n```",
    "```python\nunclosed",
    "<code>print(2)</code>",
    "````python\n```\nnested\n```\n````",
    "```\nplain\n```",
    "{\"name\": \"final_answer\", \"arguments\": {\"answer\": \"x\"}}",
    "<tool_call>{\"name\":\"search\",\"parameters\":{\"q\":1}}</tool_call>",
    "```json\n[{\"name\":\"a\",\"arguments\":{}},{\"name\":\"b\",\"arguments\":\"{}\"}]\n```",
    "{\"name\": " * 50,
    "The answer is 42.",
    "```python\n\x1b[2J\xe2\x80\xae\n```",
]:
    put("extract", r)

# Session logs: the demo's recording and hand-made lines.
put("log", open(os.path.join(ROOT, "examples/demo/session.jsonl"), "rb").read())
hd = {"kind": "header", "ts": "t", "litecode": "0.1.0", "dir": "/p", "model": {"name": "m", "input_price": 1e308,
      "output_price": -1}, "agent": {"type": "code", "max_steps": 1e300},
      "container": {"engine": "docker", "memory_bytes": 1e300, "cpus": -1e308, "timeout_s": float("1e400") if False else 1e300}}
lines = [json.dumps(hd)]
for ev in [{"kind": "task", "text": "\u001b[2J"}, {"kind": "decision", "decision": "edited", "diff": "```"},
           {"kind": "result", "status": "ok", "step": 1e300, "duration_s": -1e308, "error": {"lineno": 1e300}},
           {"kind": "hunk_applied", "hunk": -1e300, "path": "p"}, {"kind": "syntax_error", "line": 1e300},
           {"kind": "model_reply", "content": "```python\nx\n```", "prompt_tokens": 1e308, "completion_tokens": 1e308},
           {"kind": "done", "outcome": "answered", "steps": 1e300}]:
    lines.append(json.dumps(ev))
put("log", "\n".join(lines) + "\n", "regress-ub-step-cast")  # (int)1e300 was undefined behaviour in report.c
put("log", "{\"kind\":\"header\"}\n\r\n{\"kind\":1}\n")
put("log", "{\"kind\":\"model_reply\",\"content\":\"a\"}\n{\"kind\":\"model_reply\"")

# Kernel events: why byte + JSON Lines.
ev = [
    {"ev": "ready", "pid": 7, "python": "3.11"},
    {"ev": "out", "id": 1, "stream": "stdout", "data": "hi\u001b[2J\n"},
    {"ev": "tool_call", "id": 1, "call": 1, "name": "ask_user", "args": {"q": "?"}},
    {"ev": "done", "id": 1, "ok": False, "value_repr": None, "final_answer": None, "truncated": True, "dropped": 1e300,
     "error": {"type": "SyntaxError", "message": "m", "traceback": "t", "lineno": 1e300}},
    {"ev": "done", "id": 1e300, "ok": True, "has_final": True, "final_answer": {"a": [1, 2]}},
    {"ev": "done", "id": -1, "interrupted": True, "dropped": -5},
]
put("kernel", b"\x00" + "\n".join(json.dumps(e) for e in ev).encode() + b"\n", "regress-ub-id-dropped-cast")
put("kernel", b"\x01{\"ev\":\"done\",\"id\":1,\"dropped\":1.5e19,\"error\":{\"lineno\":-3e9}}\nnot json\n[1]\n{\"ev\":\n",
    "regress-ub-lineno-cast")
put("kernel", b"\x02{\"ev\":\"done\",\"id\":1,\"interrupted\":true}\n")
