# litecode kernel: the sandbox container's main process (python3 -u -c SOURCE CONFIG_JSON).
# It speaks JSON Lines with the host on a private descriptor, runs each approved step in one
# persistent namespace, and streams what the step prints. See docs/architecture.md.
import ast
import builtins
import codecs
import json
import linecache
import os
import select
import signal
import sys
import threading
import traceback

_CONFIG = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
_ALLOWED = list(_CONFIG.get("imports", ["*"]))
_CAP = int(_CONFIG.get("output_cap", 1 << 20))
_REPR_MAX = 10000
_KERNEL_PID = os.getpid()

# The protocol moves to private descriptors first, so nothing user code prints (print,
# os.system, subprocesses) can reach the host except as "out" events.
_PROTO_IN = os.dup(0)
_PROTO_OUT = os.dup(1)
os.set_inheritable(_PROTO_IN, False)
os.set_inheritable(_PROTO_OUT, False)
_null = os.open(os.devnull, os.O_RDONLY)
os.dup2(_null, 0)
os.close(_null)
_out_r, _out_w = os.pipe()
_err_r, _err_w = os.pipe()
os.dup2(_out_w, 1)
os.dup2(_err_w, 2)
os.close(_out_w)
os.close(_err_w)
os.set_blocking(_out_r, False)
os.set_blocking(_err_r, False)

_send_lock = threading.Lock()
_out_lock = threading.RLock()


def _send(obj):
    data = (json.dumps(obj, ensure_ascii=True, default=repr) + "\n").encode("ascii")
    with _send_lock:
        view = memoryview(data)
        while view:
            n = os.write(_PROTO_OUT, view)
            view = view[n:]


class _Capture:
    """Per-step output accounting: the head is streamed live, the tail is kept in a
    bounded buffer and sent when the step ends, everything between is counted."""

    def __init__(self):
        self.step = 0
        self.head_left = _CAP // 2
        self.tail = {"stdout": bytearray(), "stderr": bytearray()}
        self.tail_order = []
        self.dropped = 0
        self.decoders = {s: codecs.getincrementaldecoder("utf-8")("replace") for s in ("stdout", "stderr")}

    def begin(self, step):
        self.__init__()
        self.step = step

    def emit(self, stream, data):
        if not data:
            return
        if self.head_left > 0:
            part = data[: self.head_left]
            self.head_left -= len(part)
            text = self.decoders[stream].decode(part)
            if text:
                _send({"ev": "out", "id": self.step, "stream": stream, "data": text})
            data = data[len(part):]
            if not data:
                return
        # Past the head: keep only the last _CAP//2 bytes, in arrival order.
        self.tail_order.append((stream, bytes(data)))
        kept = sum(len(d) for _, d in self.tail_order)
        while self.tail_order and kept - len(self.tail_order[0][1]) >= _CAP // 2:
            kept -= len(self.tail_order[0][1])
            self.dropped += len(self.tail_order.pop(0)[1])
        if kept > _CAP // 2 and self.tail_order:
            extra = kept - _CAP // 2
            stream0, first = self.tail_order[0]
            self.tail_order[0] = (stream0, first[extra:])
            self.dropped += extra

    def finish(self):
        if self.dropped:
            _send({"ev": "out", "id": self.step, "stream": "stderr",
                   "data": "\n[... %d bytes of output omitted ...]\n" % self.dropped})
        for stream, data in self.tail_order:
            text = codecs.decode(data, "utf-8", "replace")
            _send({"ev": "out", "id": self.step, "stream": stream, "data": text})
        for stream, dec in self.decoders.items():
            rest = dec.decode(b"", final=True)
            if rest:
                _send({"ev": "out", "id": self.step, "stream": stream, "data": rest})
        return self.dropped


_capture = _Capture()


def _drain():
    """Moves whatever subprocesses wrote to fd 1 and 2 into the step's output."""
    with _out_lock:
        for fd, stream in ((_out_r, "stdout"), (_err_r, "stderr")):
            while True:
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if not data:
                    break
                _capture.emit(stream, data)


def _pipe_reader():
    poller = select.poll()
    poller.register(_out_r, select.POLLIN)
    poller.register(_err_r, select.POLLIN)
    while True:
        poller.poll()
        _drain()


class _StreamWriter:
    """sys.stdout / sys.stderr: Python-level writes go straight into the step's output,
    after anything subprocesses wrote before them, so the order is the order of events."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, stream, fd):
        self.stream = stream
        self.fd = fd

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        if os.getpid() != _KERNEL_PID:
            os.write(self.fd, s.encode("utf-8", "replace"))
            return len(s)
        with _out_lock:
            _drain()
            _capture.emit(self.stream, s.encode("utf-8", "replace"))
        return len(s)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def close(self):
        pass  # a step cannot close the kernel's output; the next print still works

    closed = False

    def isatty(self):
        return False

    def fileno(self):
        return self.fd

    def writable(self):
        return True

    def readable(self):
        return False


class FinalAnswer(BaseException):
    """Raised by final_answer(); a BaseException so `except Exception` cannot swallow it."""

    def __init__(self, value):
        super().__init__(value)
        self.value = value


def final_answer(answer):
    """Ends the task with this answer."""
    raise FinalAnswer(answer)


def _allowed(name):
    for pat in _ALLOWED:
        if pat == "*" or pat == name:
            return True
        if pat.endswith(".*") and (name == pat[:-2] or name.startswith(pat[:-1])):
            return True
    return False


_real_import = builtins.__import__


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and not _allowed(name):
        raise ImportError("import of '%s' is not allowed. Authorized imports: %s"
                          % (name, ", ".join(sorted(_ALLOWED)) or "(none)"))
    return _real_import(name, globals, locals, fromlist, level)


_tool_lock = threading.Lock()
_tool_cond = threading.Condition(_tool_lock)
_tool_results = {}
_tool_seq = [0]
_current = {"id": 0, "running": False}


def _lc_host_tool(name, **kwargs):
    """Calls a tool that runs on the host (ask_user, preview_changes, llm_query...)."""
    with _tool_lock:
        _tool_seq[0] += 1
        call = _tool_seq[0]
    _send({"ev": "tool_call", "id": _current["id"], "call": call, "name": name, "args": kwargs})
    with _tool_cond:
        while call not in _tool_results:
            _tool_cond.wait()
        msg = _tool_results.pop(call)
    if not msg.get("ok"):
        raise RuntimeError("%s failed: %s" % (name, msg.get("value")))
    return msg.get("value")


_step_builtins = dict(builtins.__dict__)
_step_builtins["__import__"] = _guarded_import
_G = {"__name__": "__main__", "__builtins__": _step_builtins,
      "final_answer": final_answer, "_lc_host_tool": _lc_host_tool}


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return _safe_repr(value)


def _safe_repr(value):
    try:
        text = repr(value)
    except BaseException as e:  # a hostile __repr__ must not take the kernel down
        text = "<unrepresentable %s: %s>" % (type(value).__name__, type(e).__name__)
    if len(text) > _REPR_MAX:
        text = text[:_REPR_MAX] + "... [%d characters omitted]" % (len(text) - _REPR_MAX)
    return text


def _error(exc):
    tb = exc.__traceback__
    frames = traceback.extract_tb(tb)
    # Hide the kernel's own frames: the user's traceback starts at the step.
    start = len(frames)
    for i, fr in enumerate(frames):
        if fr.filename == "<step>":
            start = i
            break
    lineno = 0
    for fr in frames:
        if fr.filename == "<step>":
            lineno = fr.lineno
    if isinstance(exc, SyntaxError) and exc.filename == "<step>":
        lineno = exc.lineno or 0
    lines = ["Traceback (most recent call last):\n"] if frames[start:] else []
    lines += traceback.format_list(frames[start:])
    lines += traceback.format_exception_only(type(exc), exc)
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable message>"
    if isinstance(exc, SyntaxError):
        message = exc.msg or message
    return {"type": type(exc).__name__, "message": message, "traceback": "".join(lines), "lineno": lineno}


def _on_sigint(signum, frame):
    if _current["running"]:
        raise KeyboardInterrupt("interrupted")


def _compile_step(code):
    linecache.cache["<step>"] = (len(code), None, code.splitlines(True), "<step>")
    tree = ast.parse(code, "<step>", "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, "<step>", "exec")
    return body, (compile(last, "<step>", "eval") if last is not None else None)


def _run(msg):
    step = int(msg.get("id", 0))
    code = msg.get("code", "")
    done = {"ev": "done", "id": step, "ok": True, "value_repr": None, "final_answer": None,
            "error": None, "truncated": False, "dropped": 0, "interrupted": False}
    with _out_lock:
        _drain()
        _capture.begin(step)
    _current["id"] = step
    sys.stdout = _StreamWriter("stdout", 1)
    sys.stderr = _StreamWriter("stderr", 2)
    try:
        try:
            body, last = _compile_step(code)
        except SyntaxError as e:
            done["ok"] = False
            done["error"] = _error(e)
        else:
            try:
                _current["running"] = True
                exec(body, _G)
                if last is not None:
                    value = eval(last, _G)
                    if value is not None:
                        done["value_repr"] = _safe_repr(value)
            except FinalAnswer as fa:
                done["final_answer"] = _jsonable(fa.value)
                done["has_final"] = True
            except KeyboardInterrupt as e:
                done["ok"] = False
                done["interrupted"] = True
                done["error"] = _error(e)
            except BaseException as e:
                done["ok"] = False
                done["error"] = _error(e)
            finally:
                _current["running"] = False
    except KeyboardInterrupt as e:  # arrived between the step's end and here
        done["ok"] = False
        done["interrupted"] = True
        done["error"] = _error(e)
    if os.getpid() != _KERNEL_PID:  # a forked child finished the step's code: never speak
        os._exit(0)
    # Only inside the sandbox: the host asks for it, and our parent is the container's init.
    if _CONFIG.get("end_step_processes") is True and os.getppid() == 1:
        _end_step_processes()
    _reap_orphans()
    with _out_lock:
        _drain()
        done["dropped"] = _capture.finish()
    done["truncated"] = done["dropped"] > 0
    _send(done)


def _end_step_processes():
    """A step's processes end with the step, as in a shell command: what a step
    started (a fork bomb included) must not hold the sandbox's process slots or
    keep running unseen. kill(-1) reaches every process of the sandbox but init
    and the kernel itself; repeat while forks race the sweep."""
    for _ in range(50):
        others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, _KERNEL_PID)]
        alive = []
        for p in others:
            try:
                with open("/proc/%s/stat" % p) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                        alive.append(p)
            except (OSError, IndexError):
                pass
        if not alive:
            return
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            return
        _reap_orphans()


def _reap_orphans():
    """Reaps zombie children no Popen object owns (a fork()ing step leaves them),
    so they do not hold the container's process slots."""
    try:
        kids = []
        for task in os.listdir("/proc/self/task"):
            with open("/proc/self/task/%s/children" % task) as f:
                kids += [int(p) for p in f.read().split()]
        zombies = []
        for pid in kids:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    zombies.append(pid)
    except (OSError, ValueError, IndexError):
        return
    if not zombies:
        return
    import gc
    import subprocess
    owned = {o.pid for o in gc.get_objects() if isinstance(o, subprocess.Popen)}
    for pid in zombies:
        if pid not in owned:
            try:
                os.waitpid(pid, os.WNOHANG)
            except OSError:
                pass


def _check(msg):
    done = {"ev": "done", "id": int(msg.get("id", 0)), "ok": True, "error": None}
    try:
        _compile_step(msg.get("code", ""))
    except SyntaxError as e:
        done["ok"] = False
        done["error"] = _error(e)
    _send(done)


def _define(msg):
    """litecode's own helper code (tool helpers): trusted, imports unrestricted. Public
    names are exported into the step namespace."""
    done = {"ev": "done", "id": int(msg.get("id", 0)), "ok": True, "error": None}
    ns = {"__name__": "litecode_tools", "_lc_host_tool": _lc_host_tool, "final_answer": final_answer}
    try:
        exec(compile(msg.get("code", ""), "<litecode-tools>", "exec"), ns)
        for k, v in ns.items():
            if not k.startswith("_"):
                _G[k] = v
    except BaseException as e:
        done["ok"] = False
        done["error"] = _error(e)
    _send(done)


def _after_fork_in_child():
    # A fork()ed child of a step must not speak the protocol or read the host's messages.
    for fd in (_PROTO_IN, _PROTO_OUT):
        try:
            os.close(fd)
        except OSError:
            pass


_inbox = []
_inbox_cond = threading.Condition()


def _stdin_reader():
    f = os.fdopen(_PROTO_IN, "rb", buffering=0)
    buf = b""
    while True:
        try:
            chunk = f.read(65536)
        except OSError:
            chunk = b""
        if not chunk:
            os._exit(0)  # the host is gone: so is the sandbox
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if not isinstance(msg, dict):
                continue
            if msg.get("op") == "tool_result":
                with _tool_cond:
                    _tool_results[msg.get("call")] = msg
                    _tool_cond.notify_all()
            else:
                with _inbox_cond:
                    _inbox.append(msg)
                    _inbox_cond.notify()


def _main():
    os.register_at_fork(after_in_child=_after_fork_in_child)
    signal.signal(signal.SIGINT, _on_sigint)
    threading.Thread(target=_pipe_reader, daemon=True).start()
    threading.Thread(target=_stdin_reader, daemon=True).start()
    _send({"ev": "ready", "pid": os.getpid(), "uid": os.getuid(),
           "python": sys.version.split()[0]})
    handlers = {"exec": _run, "check": _check, "define": _define}
    while True:
        try:
            with _inbox_cond:
                while not _inbox:
                    _inbox_cond.wait()
                msg = _inbox.pop(0)
            fn = handlers.get(msg.get("op"))
            if fn is not None:
                fn(msg)
        except KeyboardInterrupt:
            continue


_main()
