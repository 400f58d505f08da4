#!/usr/bin/env python3
"""A small stdio MCP server for litecode's tests: JSON-RPC 2.0, one message a line.

Tools: secret-word, add, fail (isError), rpc-error (a JSON-RPC error), env (the
variables it got), and the misbehaving crash, hang, garbage and binary (invalid UTF-8). Options:
  --pidfile PATH     write the pid there at start
  --version V        answer initialize with protocol version V
  --hang-init        never answer initialize
  --garbage-init     answer initialize with a line that is not JSON
  --exit-init        exit before answering initialize
  --calls PATH       append each tools/call's name and arguments (JSON) to PATH
"""
import json
import os
import sys
import time

args = sys.argv[1:]


def opt(name):
    if name in args:
        i = args.index(name)
        return args[i + 1] if i + 1 < len(args) else ""
    return None


TOOLS = [
    {"name": "secret-word", "description": "Returns the secret word of a topic.",
     "inputSchema": {"type": "object", "properties": {
         "topic": {"type": "string", "description": "what the word is about"}},
         "required": ["topic"]}},
    {"name": "add", "description": "Adds two integers.",
     "inputSchema": {"type": "object", "properties": {
         "a": {"type": "integer", "description": "first"},
         "b": {"type": "integer", "description": "second", "default": 1}},
         "required": ["a"]}},
    {"name": "fail", "description": "Always fails (isError).",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "rpc-error", "description": "Answers with a JSON-RPC error.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "env", "description": "Lists the environment variable names it got.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "crash", "description": "Exits while answering.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "hang", "description": "Never answers.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "garbage", "description": "Answers with a line that is not JSON.",
     "inputSchema": {"type": "object", "properties": {}}},
    {"name": "binary", "description": "Answers with text that is not valid UTF-8.",
     "inputSchema": {"type": "object", "properties": {}}},
]


def send(msg):
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def result(rid, res):
    send({"jsonrpc": "2.0", "id": rid, "result": res})


def text(rid, t, is_error=False):
    result(rid, {"content": [{"type": "text", "text": t}], "isError": is_error})


def main():
    pidfile = opt("--pidfile")
    if pidfile:
        with open(pidfile + ".tmp", "w") as f:  # whole or not there: tests poll for it
            f.write(str(os.getpid()))
        os.rename(pidfile + ".tmp", pidfile)
    calls = opt("--calls")
    sys.stderr.write("test server starting\n")
    sys.stderr.flush()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        method, rid = msg.get("method"), msg.get("id")
        params = msg.get("params") or {}
        if method is None:
            continue  # an answer to our own ping request
        if method == "initialize":
            if "--hang-init" in args:
                time.sleep(3600)
            if "--garbage-init" in args:
                sys.stdout.write("Welcome to the notes server!\n")
                sys.stdout.flush()
                continue
            if "--exit-init" in args:
                sys.stderr.write("cannot open the notes database\n")
                sys.exit(3)
            version = opt("--version") or params.get("protocolVersion")
            result(rid, {"protocolVersion": version, "capabilities": {"tools": {}},
                         "serverInfo": {"name": "test-notes", "version": "1.0"}})
        elif method == "notifications/initialized":
            pass
        elif method == "ping":
            result(rid, {})
        elif method == "tools/list":
            # Two pages, to exercise the cursor.
            if params.get("cursor") == "page2":
                result(rid, {"tools": TOOLS[4:]})
            else:
                result(rid, {"tools": TOOLS[:4], "nextCursor": "page2"})
        elif method == "tools/call":
            name, a = params.get("name"), params.get("arguments") or {}
            if calls:
                with open(calls, "a") as f:
                    f.write(json.dumps({"name": name, "arguments": a}) + "\n")
            if name == "secret-word":
                # A request of the server's own and a notification come first.
                send({"jsonrpc": "2.0", "id": "srv-1", "method": "ping"})
                send({"jsonrpc": "2.0", "method": "notifications/message",
                      "params": {"level": "info", "data": "looking it up"}})
                text(rid, "The secret word about %s is xyzzy." % a.get("topic"))
            elif name == "add":
                text(rid, str(int(a.get("a", 0)) + int(a.get("b", 1))))
            elif name == "fail":
                text(rid, "the notes are locked", True)
            elif name == "rpc-error":
                send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "bad params from server"}})
            elif name == "env":
                text(rid, " ".join(sorted(os.environ)))
            elif name == "crash":
                sys.stderr.write("segfault in notes\n")
                sys.stderr.flush()
                os._exit(7)
            elif name == "hang":
                time.sleep(3600)
            elif name == "binary":
                sys.stdout.buffer.write(b'{"jsonrpc": "2.0", "id": %d, "result": {"content": '
                                        b'[{"type": "text", "text": "bad \xff\xfe byte"}]}}\n' % rid)
                sys.stdout.flush()
            elif name == "garbage":
                sys.stdout.write("<html>oops</html>\n")
                sys.stdout.flush()
            else:
                send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "unknown tool %s" % name}})
        elif rid is not None:
            send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "no such method"}})


if __name__ == "__main__":
    main()
