# litecode kernel: the sandbox container's main process (python3 -u -c SOURCE CONFIG_JSON).
# Two processes. The SUPERVISOR alone holds the protocol descriptors (JSON Lines with the host); it
# forks a WORKER that keeps the persistent namespace and runs the steps. The worker holds only its
# output sockets and a command and a result channel to the supervisor, which builds every event
# the host sees, checks every worker message, and freezes the worker (and kills every other
# process of the sandbox) whenever no step runs. In the sandbox the container starts as root with
# CAP_SETUID/CAP_SETGID/CAP_KILL only; right after the fork the worker becomes the sandbox user and
# the supervisor another uid, both with no capability, so no step can open the supervisor's
# descriptors even where non-dumpable is not enforced (gVisor). Until then nothing but the standard
# library is imported. See docs/architecture.md and docs/security.md.
import sys

# The kernel starts in /workspace, the project, and `python3 -c` puts the current directory first on
# sys.path: a project file named json.py or base64.py would run inside the supervisor before any
# step was approved. The kernel's own imports never look there; steps get it back (_open_project_path).
sys.path[:] = [p for p in sys.path if p not in ("", ".")]

import base64
import collections
import errno
import json
import os
import select
import signal
import socket
import stat
import struct
import time

try:
    _CONFIG = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    if not isinstance(_CONFIG, dict):
        raise ValueError("not an object")
except ValueError as _e:
    sys.stderr.write("litecode kernel: the configuration argument is not a JSON object: %s\n" % _e)
    sys.exit(2)


def _cfg_int(key, default, lo, hi):
    v = _CONFIG.get(key, default)
    if not isinstance(v, int) or isinstance(v, bool):
        return default
    return min(max(v, lo), hi)


_ALLOWED = [p for p in _CONFIG.get("imports", ["*"]) if isinstance(p, str)] \
    if isinstance(_CONFIG.get("imports", ["*"]), list) else ["*"]
_CAP = _cfg_int("output_cap", 1 << 20, 256, 1 << 30)
_REPR_MAX = 10000
_MAX_WORKER_LINE = 16 << 20   # a worker message longer than this is refused
_MAX_ID = (1 << 31) - 1
_SKIPPED_EVERY = 0.25         # seconds between live "skipped" events
_IN_SANDBOX = _CONFIG.get("end_step_processes") is True and os.getppid() == 1

# Copy transport (an engine that does not share the host's filesystem): the host copied the shadow
# into /workspace before the kernel started and cannot see it; after each step the supervisor says
# what changed there (contents of new and changed files, new directories and symlinks, deletions).
_WORKSPACE = _CONFIG.get("workspace") if isinstance(_CONFIG.get("workspace"), str) else "/workspace"
_TRACK = _CONFIG.get("track_changes") is True
_PROBE = _CONFIG.get("probe") if isinstance(_CONFIG.get("probe"), str) else None
_SHADOW_CAP = _cfg_int("shadow_cap", 0, 0, 1 << 62)  # growth of /workspace per session; 0: none
_CHANGE_CHUNK = 4 << 20       # file bytes per "change" event (base64 keeps lines under the host's cap)


def _cfg_users(v):
    """{"worker": [uid, gid], "supervisor": [uid, gid]}, or None (the kernel on the host, in tests)."""
    if v is None:
        return None

    def ids(x):
        if (isinstance(x, list) and len(x) == 2 and all(
                isinstance(i, int) and not isinstance(i, bool) and 0 < i < (1 << 31) - 1 for i in x)):
            return (x[0], x[1])
        return None
    w = ids(v.get("worker")) if isinstance(v, dict) else None
    s = ids(v.get("supervisor")) if isinstance(v, dict) else None
    if w is None or s is None or w[0] == s[0] or w[1] == s[1]:
        sys.stderr.write("litecode kernel: \"users\" must give the worker and the supervisor two "
                         "different non-root [uid, gid] pairs\n")
        sys.exit(2)
    return (w, s)


# Two users (in the sandbox): the container starts as root with CAP_SETUID and CAP_SETGID only; right
# after the fork the worker becomes the sandbox user and the supervisor another uid, both with no
# capability left, before any step runs. The kernel runs steps only once both hold (see _become_*).
_USERS = _cfg_users(_CONFIG.get("users"))

# The worker's descriptors: 0 /dev/null, 1 and 2 its raw output, 3 commands in, 4 results out,
# 5 Python-level writes (sys.stdout/sys.stderr) as tagged packets, so their order across the two
# streams is kept. All are sockets: a socket cannot be reopened through /proc/self/fd, so no code
# in the worker can read what the supervisor is sent or steal the commands meant for it.
_W_CMD, _W_RES, _W_PY = 3, 4, 5


# ======================================================================================
# Worker: runs in the forked child. Everything it needs is bound here, before any step runs.
# ======================================================================================

def _worker_main(allowed):
    import ast
    import builtins
    import fcntl
    import gc  # noqa: F401  the kernel's own later imports find these in sys.modules, never
    import linecache
    import subprocess  # noqa: F401  a project file of the same name (see _open_project_path)
    import termios
    import threading
    import traceback  # noqa: F401
    import types

    # The kernel's module is no longer reachable as sys.modules['__main__'].
    sys.modules["__main__"] = types.ModuleType("__main__")
    _write, _read, _getpid = os.write, os.read, os.getpid
    _dumps, _loads = json.dumps, json.loads
    _sleep, _mono = time.sleep, time.monotonic
    _ioctl, _outq = fcntl.ioctl, termios.TIOCOUTQ
    _exec, _eval, _compile, _repr = builtins.exec, builtins.eval, builtins.compile, builtins.repr
    _BaseException, _isinstance = BaseException, isinstance
    pid = _getpid()
    running = [False]
    nonce = [""]  # the running request's, from the supervisor; results carry it back
    inbuf = [b""]

    def send(msg):
        data = (_dumps(msg, ensure_ascii=True, default=_safe_repr) + "\n").encode("ascii")
        view = memoryview(data)
        while view:
            view = view[_write(_W_RES, view):]

    def recv():
        """Next command line from the supervisor; the worker waits here (and only here) when
        it is not running a step, which is what the supervisor checks before it believes a
        result (see _Supervisor._parked)."""
        while b"\n" not in inbuf[0]:
            chunk = _read(_W_CMD, 1 << 20)
            if not chunk:
                os._exit(0)  # the supervisor is gone
            inbuf[0] += chunk
        line, inbuf[0] = inbuf[0].split(b"\n", 1)
        try:
            msg = _loads(line)
        except ValueError:
            return {}
        return msg if _isinstance(msg, dict) else {}

    def raw_pending():
        """Bytes subprocesses wrote to fd 1 and 2 that the supervisor has not read yet."""
        n = 0
        for fd in (1, 2):
            try:
                n += int.from_bytes(_ioctl(fd, _outq, b"\0\0\0\0"), sys.byteorder)
            except OSError:
                pass
        return n

    out_lock = threading.RLock()
    pending = [b"", [], 0]  # Python-level output not sent yet: its stream tag, its parts, their size

    def flush_locked():
        tag, parts = pending[0], pending[1]
        if not parts:
            return
        pending[1], pending[2] = [], 0
        data = "".join(parts).encode("utf-8", "backslashreplace")
        if raw_pending():
            end = _mono() + 0.05
            while raw_pending() and _mono() < end:
                _sleep(0.0002)
        for i in range(0, len(data), 60000):
            _write(_W_PY, tag + data[i:i + 60000])

    def flush_pending():
        with out_lock:
            flush_locked()

    def flusher():
        # Output is sent in batches; this keeps it live (at most ~20 ms late) when a step
        # prints and then goes quiet. The supervisor does not count it as a step's thread.
        while True:
            _sleep(0.02)
            if pending[1]:
                try:
                    flush_pending()
                except OSError:
                    pass

    class StreamWriter:
        """sys.stdout / sys.stderr of a step: writes are batched (the flusher thread sends
        them within ~20 ms) into packets tagged with their stream, sent after what
        subprocesses wrote before them has been read, so the order of both streams is kept."""
        encoding = "utf-8"
        errors = "backslashreplace"
        closed = False

        def __init__(self, tag, fd):
            self.tag = tag
            self.fd = fd

        def write(self, s):
            if s.__class__ is not str and not _isinstance(s, str):
                raise TypeError("write() argument must be str, not %s" % type(s).__name__)
            if _getpid() != pid:  # a forked child: its fd 1/2 are the raw streams
                _write(self.fd, s.encode("utf-8", "backslashreplace"))
                return len(s)
            with out_lock:
                if pending[0] != self.tag:
                    flush_locked()
                    pending[0] = self.tag
                pending[1].append(s)
                pending[2] += len(s)
                if pending[2] >= 65536:
                    flush_locked()
            return len(s)

        def writelines(self, lines):
            for line in lines:
                self.write(line)

        def flush(self):
            if _getpid() == pid:
                flush_pending()

        def close(self):
            pass  # a step cannot close the kernel's output; the next print still works

        def isatty(self):
            return False

        def fileno(self):
            return self.fd

        def writable(self):
            return True

        def readable(self):
            return False

    out_writer = StreamWriter(b"o", 1)
    err_writer = StreamWriter(b"e", 2)

    class FinalAnswer(BaseException):
        """Raised by final_answer(); a BaseException so `except Exception` cannot swallow it."""

        def __init__(self, value):
            super().__init__(value)
            self.value = value

    def final_answer(answer):
        """Ends the task with this answer."""
        raise FinalAnswer(answer)

    def is_allowed(name):
        for pat in allowed:
            if pat == "*" or pat == name:
                return True
            if pat.endswith(".*") and (name == pat[:-2] or name.startswith(pat[:-1])):
                return True
        return False

    real_import = builtins.__import__

    def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and not is_allowed(name):
            raise ImportError("import of '%s' is not allowed. Authorized imports: %s"
                              % (name, ", ".join(sorted(allowed)) or "(none)"))
        return real_import(name, globals, locals, fromlist, level)

    def host_tool(name, **kwargs):
        """Calls a tool that runs on the host (ask_user, preview_changes, llm_query...)."""
        flush_pending()
        send({"kind": "tool_call", "name": name, "args": kwargs, "nonce": nonce[0]})
        while True:
            msg = recv()
            if msg.get("op") == "tool_result":
                break
        if not msg.get("ok"):
            raise RuntimeError("%s failed: %s" % (name, msg.get("value")))
        return msg.get("value")

    step_builtins = dict(builtins.__dict__)
    step_builtins["__import__"] = guarded_import
    G = {"__name__": "__main__", "__builtins__": step_builtins,
         "final_answer": final_answer, "_lc_host_tool": host_tool}

    def jsonable(value):
        try:
            _dumps(value)
            return value
        except (TypeError, ValueError, RecursionError):
            return _safe_repr(value)

    def _safe_repr(value):
        try:
            text = _repr(value)
            if not _isinstance(text, str):
                raise TypeError
        except _BaseException as e:  # a hostile __repr__ must not take the kernel down
            text = "<unrepresentable %s: %s>" % (type(value).__name__, type(e).__name__)
        if len(text) > _REPR_MAX:
            text = text[:_REPR_MAX] + "... [%d characters omitted]" % (len(text) - _REPR_MAX)
        return text

    def on_sigint(signum, frame):
        if running[0]:
            raise KeyboardInterrupt("interrupted")

    def _open_project_path():
        # Steps import the project's modules as `python3 -c` in the project would: from the
        # current directory, first. Only for steps; litecode's own helper code never does.
        if not project_path[0]:
            project_path[0] = True
            sys.path.insert(0, "")

    project_path = [False]

    def run(msg):
        _open_project_path()
        code = msg.get("code", "")
        if not _isinstance(code, str):
            code = ""
        done = {"kind": "done", "ok": True, "value_repr": None, "final_answer": None,
                "has_final": False, "error": None, "interrupted": False, "nonce": nonce[0]}
        sys.stdout, sys.stderr = out_writer, err_writer
        _reap_orphans()
        try:
            try:
                body, last = _compile_step(code)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
                done["ok"] = False
                done["error"] = _error(e)
            else:
                try:
                    running[0] = True
                    _exec(body, G)
                    if last is not None:
                        value = _eval(last, G)
                        if value is not None:
                            done["value_repr"] = _safe_repr(value)
                except FinalAnswer as fa:
                    done["final_answer"] = jsonable(fa.value)
                    done["has_final"] = True
                except KeyboardInterrupt as e:
                    done["ok"] = False
                    done["interrupted"] = True
                    done["error"] = _error(e)
                except _BaseException as e:
                    done["ok"] = False
                    done["error"] = _error(e)
                finally:
                    running[0] = False
        except KeyboardInterrupt as e:  # arrived between the step's end and here
            done["ok"] = False
            done["interrupted"] = True
            done["error"] = _error(e)
        if _getpid() != pid:  # a forked child finished the step's code: never speak
            os._exit(0)
        try:
            flush_pending()
        except OSError:
            pass
        _reap_orphans()
        send(done)

    def define(msg):
        """litecode's own helper code: trusted, imports unrestricted; public names are
        exported into the step namespace."""
        done = {"kind": "done", "ok": True, "error": None, "nonce": nonce[0]}
        ns = {"__name__": "litecode_tools", "_lc_host_tool": host_tool, "final_answer": final_answer}
        saved = sys.path[:]
        try:
            here = os.getcwd()
        except OSError:
            here = ""
        sys.path[:] = [p for p in saved if p not in ("", ".", here)]
        try:
            _exec(_compile(msg.get("code", ""), "<litecode-tools>", "exec"), ns)
            for k, v in ns.items():
                if not k.startswith("_"):
                    G[k] = v
        except _BaseException as e:
            done["ok"] = False
            done["error"] = _error(e)
        finally:
            sys.path[:] = saved
        send(done)

    def before_subprocess(event, args):
        # Output printed before a subprocess starts must reach the supervisor before the
        # subprocess writes to fd 1 or 2 itself. Audit hooks cannot be removed by a step.
        if event in SPAWN_EVENTS and _getpid() == pid:
            try:
                flush_pending()
            except OSError:
                pass

    SPAWN_EVENTS = frozenset(("os.system", "subprocess.Popen", "os.exec", "os.posix_spawn",
                              "os.fork", "os.forkpty", "os.spawn", "pty.spawn"))
    sys.addaudithook(before_subprocess)
    signal.signal(signal.SIGINT, on_sigint)
    threading.Thread(target=flusher, name="litecode-flusher", daemon=True).start()
    send({"kind": "hello"})
    while True:
        try:
            msg = recv()
            op = msg.get("op")
            nonce[0] = msg.pop("nonce", "")
            if op == "exec":
                run(msg)
            elif op == "define":
                define(msg)
        except KeyboardInterrupt:
            continue


def _compile_step(code):
    import ast
    import linecache
    linecache.cache["<step>"] = (len(code), None, code.splitlines(True), "<step>")
    tree = ast.parse(code, "<step>", "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, "<step>", "exec")
    return body, (compile(last, "<step>", "eval") if last is not None else None)


def _error(exc):
    import traceback
    frames = traceback.extract_tb(exc.__traceback__)
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
    try:
        lines += traceback.format_exception_only(type(exc), exc)
    except BaseException:
        lines.append("%s\n" % type(exc).__name__)
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable message>"
    if isinstance(exc, SyntaxError):
        message = exc.msg or message
    return {"type": type(exc).__name__, "message": message, "traceback": "".join(lines),
            "lineno": lineno if isinstance(lineno, int) else 0}


def _reap_orphans():
    """Reaps zombie children no Popen object owns (a fork()ing step leaves them, and the
    supervisor's sweep kills the worker's children), so they do not hold process slots."""
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


# ======================================================================================
# Supervisor: the container's main process.
# ======================================================================================

def _proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return None


# ---- the static check of a step (op "analyze") ----------------------------------------------
# Reads a step's code with ast and runs nothing: imports, the names it calls or refers to
# (resolved through import aliases and plain `a = b` aliases), literal paths it writes, open()
# modes, tool calls, and a verdict. Conservative by construction: a step reads only when every
# name it touches is on the lists below; anything else "may write", with the reason. "opaque"
# marks what defeats any static reading (exec, getattr, dunders, patching a module, a dangerous
# function passed around as a value): after such a step ran, no later verdict can be trusted.
# The host sends "vouched" (names of earlier read-only steps and read-only helpers) and "dirty"
# (names rebound by steps that may write); every other name from an earlier step may write.

_AN_SAFE_MODULES = frozenset((
    "re", "json", "math", "textwrap", "difflib", "fnmatch", "collections",
    "collections.abc", "itertools", "functools", "statistics", "enum", "keyword", "pprint",
    "bisect", "heapq", "decimal", "fractions", "datetime", "calendar", "hashlib", "base64",
    "binascii", "unicodedata", "html", "copy", "random", "abc", "numbers", "os.path",
    "posixpath", "shlex", "glob", "linecache", "zlib", "struct", "graphlib", "tomllib", "csv",
    "ast"))
# Single read-only names of modules that can also write or run things.
_AN_SAFE_NAMES = frozenset((
    "os.listdir", "os.walk", "os.scandir", "os.stat", "os.lstat", "os.getcwd", "os.fspath",
    "os.access", "os.readlink", "os.getpid", "os.cpu_count", "os.name", "os.sep", "os.linesep",
    "os.curdir", "os.pardir", "os.extsep", "os.pathsep", "os.getenv", "os.path", "os.strerror",
    "os.O_RDONLY", "os.R_OK", "os.F_OK", "os.X_OK", "os.W_OK", "os.read", "os.close",
    "os.fsdecode", "os.fsencode", "os.getuid", "os.getgid", "os.DirEntry",
    "pathlib", "pathlib.Path", "pathlib.PurePath", "pathlib.PurePosixPath", "pathlib.PosixPath",
    "sys", "sys.version", "sys.version_info", "sys.platform", "sys.maxsize", "sys.getsizeof",
    "sys.getrecursionlimit", "sys.byteorder", "sys.stdout.write", "sys.stderr.write",
    "sys.stdout.flush", "sys.stderr.flush", "sys.stdout", "sys.stderr",
    "time", "time.time", "time.monotonic", "time.perf_counter", "time.sleep", "time.strftime",
    "time.localtime", "time.gmtime", "time.process_time", "time.ctime",
    "io", "io.StringIO", "io.BytesIO", "tokenize", "tokenize.tokenize",
    "tokenize.generate_tokens", "tokenize.TokenError", "token", "token.tok_name",
    "typing", "typing.Any", "typing.List", "typing.Dict", "typing.Optional", "typing.Tuple",
    "typing.Set", "typing.Iterable", "typing.Iterator", "typing.Union", "typing.Callable",
    "typing.Sequence", "typing.Mapping", "typing.NamedTuple",
    "dataclasses", "dataclasses.dataclass", "dataclasses.field", "dataclasses.asdict",
    "dataclasses.astuple", "dataclasses.fields", "operator", "operator.itemgetter",
    "codecs", "os", "string", "string.ascii_letters", "string.ascii_lowercase",
    "string.ascii_uppercase", "string.digits", "string.hexdigits", "string.punctuation",
    "string.whitespace", "string.printable", "string.capwords"))
# Bare module names above ("os", "sys", ...) only allow the import itself; what the step uses
# of them is judged name by name.
_AN_IMPORT_ONLY = frozenset(("os", "sys", "time", "io", "tokenize", "token", "typing",
                             "dataclasses", "operator", "codecs", "pathlib", "string"))
_AN_OPENS = frozenset(("open", "io.open", "codecs.open", "tokenize.open", "os.fdopen"))
_AN_SAFE_BUILTINS = frozenset((
    "print", "len", "sorted", "range", "enumerate", "zip", "min", "max", "sum", "any", "all",
    "str", "int", "float", "bool", "list", "dict", "set", "tuple", "frozenset", "repr",
    "isinstance", "issubclass", "abs", "round", "reversed", "map", "filter", "chr", "ord", "hex",
    "oct", "bin", "format", "divmod", "iter", "next", "hash", "callable", "slice", "bytes",
    "bytearray", "object", "super", "property", "staticmethod", "classmethod", "complex", "pow",
    "ascii", "id", "True", "False", "None", "NotImplemented", "Ellipsis", "open",
    "BaseException", "Exception", "ValueError", "TypeError", "KeyError", "IndexError",
    "OSError", "IOError", "FileNotFoundError", "IsADirectoryError", "NotADirectoryError",
    "PermissionError", "UnicodeDecodeError", "UnicodeError", "RuntimeError", "StopIteration",
    "AttributeError", "NameError", "ImportError", "ModuleNotFoundError", "SyntaxError",
    "LookupError", "ArithmeticError", "ZeroDivisionError", "AssertionError",
    "NotImplementedError", "RecursionError", "UnicodeEncodeError", "Warning", "final_answer",
    "__name__", "__file__", "__doc__"))
_AN_DARK_BUILTINS = frozenset(("exec", "eval", "compile", "getattr", "setattr", "delattr",
                               "globals", "locals", "vars", "__import__", "breakpoint",
                               "__builtins__", "memoryview"))
# Methods on objects of a type the check cannot know that never write a file or start
# anything (str, bytes, list, dict, set, re, read-side Path and file methods). Not here:
# write*, unlink, rename, mkdir, touch, chmod, symlink_to, open (checked like open()) and
# replace (only the two-argument str.replace; Path.replace(target) takes one).
_AN_SAFE_METHODS = frozenset((
    "read", "readline", "readlines", "read_text", "read_bytes", "exists", "is_file", "is_dir",
    "is_symlink", "iterdir", "glob", "rglob", "stat", "lstat", "resolve", "relative_to",
    "with_suffix", "with_name", "with_stem", "joinpath", "as_posix", "match", "absolute",
    "is_absolute", "is_relative_to", "samefile", "expanduser", "close", "seek", "tell",
    "split", "rsplit", "splitlines", "strip", "lstrip", "rstrip", "join", "startswith",
    "endswith", "lower", "upper", "title", "capitalize", "casefold", "find", "rfind", "index",
    "rindex", "count", "format", "encode", "decode", "partition", "rpartition", "isdigit",
    "isalpha", "isalnum", "isspace", "isidentifier", "islower", "isupper", "isnumeric",
    "isdecimal", "zfill", "ljust", "rjust", "center", "expandtabs", "removeprefix",
    "removesuffix", "translate", "swapcase", "hex", "append", "extend", "insert", "pop",
    "remove", "clear", "copy", "sort", "reverse", "get", "items", "keys", "values",
    "setdefault", "update", "add", "discard", "union", "intersection", "difference",
    "symmetric_difference", "issubset", "issuperset", "isdisjoint", "most_common", "elements",
    "group", "groups", "groupdict", "span", "start", "end", "search", "fullmatch", "findall",
    "finditer", "sub", "subn", "total_seconds", "isoformat", "strftime", "timestamp",
    "hexdigest", "digest", "getvalue", "bit_length", "is_integer", "inode", "most_common"))
# Methods that write or run things, taken as a value (not called at once) from an object whose
# type the check cannot know: `w = p.write_text; w("x")` would escape the method list.
_AN_DANGEROUS_ATTRS = frozenset((
    "write", "write_text", "write_bytes", "writelines", "unlink", "rmdir", "mkdir", "touch",
    "rename", "replace", "chmod", "lchmod", "chown", "symlink_to", "hardlink_to", "link_to",
    "open", "truncate", "remove", "system", "popen", "kill", "terminate", "send", "sendall",
    "connect", "execute", "executemany", "executescript", "commit", "run", "call",
    "check_call", "check_output", "Popen", "spawn", "fork", "exec", "eval", "exec_module",
    "load_module", "rmtree", "copyfile", "copytree", "move", "makedirs", "removedirs", "mknod",
    "mkfifo", "utime", "get_field", "load", "loads", "tofile", "dump"))
# Frame, code and generator internals lead to any module's globals without a dunder.
_AN_DARK_ATTR_PREFIXES = ("f_", "gi_", "cr_", "ag_", "tb_", "co_")
_AN_DUNDER_OK = frozenset(("__name__", "__doc__", "__qualname__", "__init__", "__file__"))


def _an_dunder(name):
    return name.startswith("__") and name.endswith("__") and name not in _AN_DUNDER_OK


def _analyze_step(code, vouched, dirty):
    import ast
    import builtins
    import importlib
    import types

    tree = ast.parse(code, "<step>", "exec")
    out = {"imports": [], "calls": [], "writes": [], "opens": [], "tools": [], "reasons": []}
    seen = collections.defaultdict(set)
    opaque = [False]

    def add(key, value):
        if value not in seen[key] and len(out[key]) < 200:
            seen[key].add(value)
            out[key].append(value)

    def why(node, text, dark=False, fact=None):
        """fact: what the reason is about, as approval rules name it ("call os.remove",
        "import subprocess", "write out.txt", "tool run_bash_command"); None when no rule
        may allow it (the mode, the value or the type is unknown)."""
        opaque[0] = opaque[0] or dark
        line = getattr(node, "lineno", 0)
        if (line, text) not in seen["why"] and len(out["reasons"]) < 50:
            seen["why"].add((line, text))
            r = {"line": line, "what": text}
            if fact and not dark:
                r["fact"] = fact
            out["reasons"].append(r)

    # Every name bound anywhere (scopes merged: a name bound in one scope and read in another
    # is then an unknown local object, whose use is judged by the method list).
    bound = set()
    aliases = {}  # local name -> dotted path ("os", "os.path", "os.remove")
    binds = collections.Counter()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            bound.add(n.id)
            binds[n.id] += 1
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
            binds[n.arg] += 1
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(n.name)
            binds[n.name] += 1
        elif isinstance(n, ast.ExceptHandler) and n.name:
            bound.add(n.name)
            binds[n.name] += 1
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            bound.update(n.names)
            binds.update(n.names)
        elif isinstance(n, ast.alias):
            pass
        elif isinstance(n, ast.Import):
            for a in n.names:
                local = a.asname or a.name.split(".")[0]
                bound.add(local)
                binds[local] += 1
                aliases[local] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(n, ast.ImportFrom):
            for a in n.names:
                if a.name != "*":
                    local = a.asname or a.name
                    bound.add(local)
                    binds[local] += 1
                    if not n.level and n.module:
                        aliases[local] = n.module + "." + a.name
        elif type(n).__name__ in ("MatchAs", "MatchStar", "MatchMapping"):
            nm = getattr(n, "name", None) or getattr(n, "rest", None)
            if nm:
                bound.add(nm)
                binds[nm] += 1
    for nm, count in binds.items():
        if count > 1:
            aliases.pop(nm, None)  # rebound: no longer surely the module or function
    # Names bound only to code of this step (def, class, lambda): calling them runs code the
    # check reads. Any other local value may hold a callable the check cannot follow.
    followed = collections.Counter()
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            followed[n.name] += 1
        elif (isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
              and isinstance(n.value, ast.Lambda)):
            followed[n.targets[0].id] += 1
    followed = set(nm for nm, c in followed.items() if c == binds[nm])

    def dotted(node):
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in aliases:
            return None
        parts.append(aliases[node.id])
        return ".".join(reversed(parts))

    # `f = os.remove`, `p = os.path`: a plain alias when that is the name's only binding.
    for n in ast.walk(tree):
        if (isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
                and binds[n.targets[0].id] == 1 and isinstance(n.value, (ast.Name, ast.Attribute))):
            d = dotted(n.value)
            if d:
                aliases[n.targets[0].id] = d

    def safe_name(d):
        if d in _AN_SAFE_NAMES or d in _AN_SAFE_MODULES:
            return True
        parent, _, last = d.rpartition(".")
        if parent not in _AN_SAFE_MODULES or last.startswith("_"):
            return False
        # A safe module's own functions and classes; not a module it happens to import
        # (glob.os, json.codecs).
        try:
            value = getattr(importlib.import_module(parent), last, None)
        except Exception:
            return False
        return not isinstance(value, types.ModuleType) or value.__name__ in _AN_SAFE_MODULES

    def lit(n):
        return n.value if isinstance(n, ast.Constant) and isinstance(n.value, str) else None

    def arg(call, pos, kw):
        for k in call.keywords:
            if k.arg == kw:
                return k.value
        return call.args[pos] if len(call.args) > pos else None

    def unpacked(call):
        return any(isinstance(a, ast.Starred) for a in call.args) or \
            any(k.arg is None for k in call.keywords)

    def check_open(call, name, mode_node, path_node):
        if unpacked(call):
            why(call, "%s() with arguments unpacked from a variable (mode unknown)" % name)
            return
        m = "r" if mode_node is None else lit(mode_node)
        out["opens"].append({"line": call.lineno, "call": name, "mode": m})
        if m is None:
            why(call, "%s() with a mode that is not a literal" % name)
        elif not m or set(m) - set("rbtU") or "r" not in m:
            why(call, "%s() with mode %r writes" % (name, m),
                fact="write " + lit(path_node) if path_node is not None and lit(path_node) else None)
            if path_node is not None and lit(path_node) is not None:
                add("writes", lit(path_node))
        if name != ".open" and arg(call, 7, "opener") is not None:
            why(call, "%s() with an opener" % name)

    call_funcs = set()
    inner = set()
    alias_values = set()  # the b of a plain alias a = b: judged where a is used
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name) and \
                n.targets[0].id in aliases and len(n.targets) == 1:
            alias_values.add(id(n.value))
        if isinstance(n, ast.Call):
            call_funcs.add(id(n.func))
        elif isinstance(n, ast.Attribute):
            inner.add(id(n.value))

    def on_call(n):
        f = n.func
        d = dotted(f)
        name = d or (f.id if isinstance(f, ast.Name) else None)
        if name:
            add("calls", name)
        if not isinstance(f, (ast.Name, ast.Attribute)):
            why(n, "calls the result of an expression (the check cannot tell what it is)")
            return
        if isinstance(f, ast.Name) and f.id in bound and f.id not in aliases and f.id not in followed:
            why(n, "calls %s, a value the check cannot follow (only functions defined in the step are)" % f.id)
            return
        if isinstance(f, ast.Name) and f.id not in bound and f.id not in dirty and \
                (f.id in vouched or not hasattr(builtins, f.id)):
            args = {}
            for k in n.keywords:
                if k.arg and isinstance(k.value, ast.Constant):
                    args[k.arg] = k.value.value
            for i, a in enumerate(n.args):
                if isinstance(a, ast.Constant):
                    args[str(i)] = a.value
            if len(out["tools"]) < 50:
                out["tools"].append({"name": f.id, "args": args})
        builtin_open = isinstance(f, ast.Name) and f.id == "open" and "open" not in bound
        if builtin_open or d in _AN_OPENS:
            check_open(n, name, arg(n, 1, "mode"), arg(n, 0, "file"))
        elif d == "os.open":
            flags = arg(n, 1, "flags")
            if not (flags is not None and (dotted(flags) == "os.O_RDONLY" or
                                           (isinstance(flags, ast.Constant) and flags.value == 0))):
                p = lit(arg(n, 0, "path"))
                why(n, "os.open() with flags other than os.O_RDONLY", fact="write " + p if p else None)
                if lit(arg(n, 0, "path")) is not None:
                    add("writes", lit(arg(n, 0, "path")))
        elif isinstance(f, ast.Attribute) and d is None:
            add("calls", "." + f.attr)
            if f.attr == "open":
                check_open(n, ".open", arg(n, 0, "mode"), None)
            elif f.attr == "replace" and len(n.args) >= 2:
                pass
            elif f.attr not in _AN_SAFE_METHODS and not _an_dunder(f.attr):
                why(n, "calls .%s() on an object whose type the check cannot know" % f.attr,
                    fact="call ." + f.attr)
                recv = f.value
                if isinstance(recv, ast.Call) and recv.args and lit(recv.args[0]) is not None:
                    add("writes", lit(recv.args[0]))
        elif d and not safe_name(d):
            for a in n.args[:2]:
                if lit(a) is not None:
                    add("writes", lit(a))

    def on_ref(n):
        """The head of a reference: a Name, or the outermost Attribute of a chain."""
        called = id(n) in call_funcs or id(n) in alias_values
        store = isinstance(n.ctx, (ast.Store, ast.Del))
        if isinstance(n, ast.Attribute):
            d = dotted(n)
            if d is None:
                if not called and not store and n.attr in _AN_DANGEROUS_ATTRS:
                    why(n, "uses .%s as a value" % n.attr, dark=True)
                return
            if store:
                why(n, "changes %s (patches a module)" % d, dark=True)
            elif d == "os.open" and called:
                pass
            elif d in _AN_OPENS:
                if not called:
                    why(n, "uses %s as a value" % d, dark=True)
            elif not safe_name(d) or (d in _AN_IMPORT_ONLY and not called):
                if called:
                    why(n, "calls %s" % d, fact="call " + d)
                else:
                    why(n, "uses %s as a value" % d, dark=True)
            return
        name = n.id
        if store:
            return
        if name in aliases:
            d = aliases[name]
            if d in _AN_OPENS and not called:
                why(n, "uses %s as a value" % d, dark=True)
            elif not safe_name(d) or (d in _AN_IMPORT_ONLY and not called):
                why(n, ("calls %s" if called else "uses %s as a value") % d, dark=not called,
                    fact="call " + d)
            return
        if name in bound:
            return
        if _an_dunder(name) or name in _AN_DARK_BUILTINS:
            why(n, "uses %s" % name, dark=True)
        elif name in dirty:
            why(n, "uses %s, which a step that may write defined" % name)
        elif name in vouched:
            pass
        elif name in _AN_SAFE_BUILTINS:
            if name == "open" and not called:
                why(n, "uses open as a value", dark=True)
        elif hasattr(builtins, name):
            why(n, "calls %s" % name if called else "uses %s" % name,
                fact="call " + name if called else None)
        else:
            why(n, "uses %s from an earlier step that was not checked read-only" % name,
                fact="tool " + name if called else None)

    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            for a in n.names:
                add("imports", a.name)
                if not (safe_name(a.name) or a.name in _AN_IMPORT_ONLY):
                    why(n, "imports %s (not a module the check knows to only read)" % a.name,
                        fact="import " + a.name)
        elif isinstance(n, ast.ImportFrom):
            mod = "." * n.level + (n.module or "")
            add("imports", mod)
            if n.level:
                why(n, "imports from the project (%s): importing runs its code" % mod)
                continue
            for a in n.names:
                if a.name == "*":
                    why(n, "from %s import *" % mod, dark=True)
                elif not safe_name(mod) and mod not in _AN_IMPORT_ONLY:
                    why(n, "imports %s (not a module the check knows to only read)" % mod,
                        fact="import " + mod)
                elif not safe_name(mod + "." + a.name) and (mod + "." + a.name) not in _AN_OPENS:
                    why(n, "imports %s.%s" % (mod, a.name), fact="call %s.%s" % (mod, a.name))
        elif isinstance(n, ast.Call):
            on_call(n)
        elif isinstance(n, ast.Attribute) and (_an_dunder(n.attr) or
                                               n.attr.startswith(_AN_DARK_ATTR_PREFIXES)):
            why(n, "uses .%s" % n.attr, dark=True)
        elif isinstance(n, ast.Subscript) and isinstance(n.ctx, (ast.Store, ast.Del)):
            d = dotted(n.value)
            if d or (isinstance(n.value, ast.Name) and n.value.id not in bound):
                why(n, "changes an item of %s" % (d or n.value.id), dark=True)
        if isinstance(n, (ast.Name, ast.Attribute)) and id(n) not in inner:
            on_ref(n)
        if isinstance(n, ast.Attribute) and isinstance(n.ctx, (ast.Store, ast.Del)) and \
                dotted(n) is None:
            base = n.value
            if isinstance(base, ast.Name) and base.id not in bound:
                why(n, "changes an attribute of %s from an earlier step" % base.id, dark=True)

    out["reasons"].sort(key=lambda r: r["line"])
    out["calls"] = sorted(out["calls"])
    out["imports"] = sorted(out["imports"])
    out["bound"] = sorted(bound)[:500]
    out["opaque"] = opaque[0]
    out["read_only"] = not out["reasons"]
    return out


class _Capture:
    """Per-step output accounting, linear in the output: the head (half the cap) is streamed
    live; past it the last half is kept as a deque of chunks with a running total, and what
    falls out of it is counted. While output is being skipped a `skipped` event says how much."""

    def __init__(self, sup):
        self.sup = sup
        self.begin(0)

    def begin(self, step):
        self.step = step
        self.half = max(_CAP // 2, 1)
        self.head_left = self.half
        self.tail = collections.deque()
        self.tail_len = 0
        self.dropped = 0
        self.past_head = 0
        self.skipped_at = 0.0
        self.live = []  # head output not sent yet, merged per stream until the loop comes round
        self.dec = None  # made on the first output: most steps print little or nothing

    def _decoder(self, stream):
        if self.dec is None:
            import codecs
            self.dec = {s: codecs.getincrementaldecoder("utf-8")("backslashreplace")
                        for s in ("stdout", "stderr")}
        return self.dec[stream]

    def emit(self, stream, data):
        if not data or not self.step:
            return
        if self.head_left > 0:
            part = data[: self.head_left]
            self.head_left -= len(part)
            text = self._decoder(stream).decode(part)
            if text:
                if self.live and self.live[-1][0] == stream:
                    self.live[-1][1].append(text)
                else:
                    self.live.append((stream, [text]))
            data = data[len(part):]
            if not data:
                return
        mv = memoryview(data)
        self.tail.append((stream, mv))
        self.tail_len += len(mv)
        self.past_head += len(mv)
        self._trim()
        now = time.monotonic()
        if now - self.skipped_at >= _SKIPPED_EVERY:
            self.skipped_at = now
            self.flush()
            self.sup.send({"ev": "skipped", "id": self.step, "bytes": self.past_head})

    def flush(self):
        live, self.live = self.live, []
        for stream, parts in live:
            self.sup.send({"ev": "out", "id": self.step, "stream": stream, "data": "".join(parts)})

    def _trim(self):
        # Whole chunks first (amortized O(1): each chunk leaves once), then the front of one.
        while self.tail and self.tail_len - len(self.tail[0][1]) >= self.half:
            n = len(self.tail.popleft()[1])
            self.tail_len -= n
            self.dropped += n
        if self.tail_len > self.half and self.tail:
            extra = self.tail_len - self.half
            stream0, first = self.tail[0]
            self.tail[0] = (stream0, first[extra:])  # a memoryview slice: no copy
            self.tail_len -= extra
            self.dropped += extra

    def finish(self):
        import codecs
        self.flush()
        if self.dropped:
            self.sup.send({"ev": "out", "id": self.step, "stream": "stderr",
                           "data": "\n[... %d bytes of output omitted ...]\n" % self.dropped})
        for stream, dec in (self.dec or {}).items():
            rest = dec.decode(b"", final=True)
            if rest:
                self.sup.send({"ev": "out", "id": self.step, "stream": stream, "data": rest})
        run_stream, run = None, []
        for stream, mv in list(self.tail) + [(None, b"")]:
            if stream != run_stream and run:
                text = codecs.decode(b"".join(run), "utf-8", "backslashreplace")
                self.sup.send({"ev": "out", "id": self.step, "stream": run_stream, "data": text})
                run = []
            run_stream = stream
            run.append(bytes(mv))
        dropped = self.dropped
        self.begin(0)
        return dropped


class _Watch:
    """inotify on every directory of the workspace, so a step is walked only where it did something:
    each event names a directory's entry, and only those entries are looked at again (a directory
    created, moved or removed: its whole subtree). An overflow or an event that cannot be placed means
    "walk everything"; a directory whose watch could not be added is walked every time; silence means
    nothing changed. Listing a directory is not a change; opening a file is."""
    _MASK = (0x2 | 0x4 | 0x8 | 0x20 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800  # modify..move_self
             | 0x01000000 | 0x02000000)                                             # onlydir, dont_follow
    _OPEN, _ATTRIB, _ISDIR, _IGNORED, _OVERFLOW = 0x20, 0x4, 0x40000000, 0x8000, 0x4000
    _WRITTEN = 0x2 | 0x8  # modify, close_write: a file open for writing (see _Changes.diff)
    _UNMOUNT, _SELF = 0x2000, 0x400 | 0x800
    _TREE = 0x40 | 0x80 | 0x100 | 0x200  # moved from/to, create, delete: a directory's whole subtree

    def __init__(self):
        import ctypes
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError("inotify_init1")
        self.ok = True
        self.paths = {}  # watch descriptor -> the directory's path under the root (b"" for the root)
        self.unwatched = set()  # directories whose watch could not be added: looked at every time

    def watch(self, full, rel):
        """Watches the directory full (rel under the root). Adding the same directory again returns its
        descriptor, so a directory that moved is known by its new path from then on."""
        wd = self.libc.inotify_add_watch(self.fd, full, self._MASK)
        if wd < 0:
            self.unwatched.add(rel)  # out of watches, or a directory the step made unreadable
        else:
            self.paths[wd] = rel
            self.unwatched.discard(rel)

    def read(self):
        """What the events since the last read name: (entries, trees, written), sets of paths under
        the root (written: files that were open for writing), or None where everything must be
        walked."""
        entries, trees, written, whole = set(), set(), set(), not self.ok
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            except OSError:
                self.ok = False
                return None
            if not data:
                return None
            off = 0
            while off + 16 <= len(data):
                wd, mask, _cookie, n = struct.unpack_from("iIII", data, off)
                name = data[off + 16:off + 16 + n].rstrip(b"\0")
                off += 16 + n
                if mask & (self._OVERFLOW | self._UNMOUNT):
                    whole = True
                    continue
                if mask & self._IGNORED:
                    self.paths.pop(wd, None)
                    continue
                if not name:
                    continue  # the directory itself: its parent's event says the same (the root: nothing to say)
                rel = self.paths.get(wd)
                if rel is None:
                    whole = True  # an event from a directory not known here
                    continue
                p = rel + b"/" + name if rel else name
                if mask & self._ISDIR:
                    if mask & self._TREE:
                        trees.add(p)
                    elif mask & ~self._OPEN:
                        entries.add(p)  # its mode; a listing (open) is not a change
                else:
                    entries.add(p)
                    if mask & self._WRITTEN:
                        written.add(p)
        return None if whole else (entries, trees, written)


class _Changes:
    """The tree under _WORKSPACE as the host last heard of it; diff() tells it what differs now.
    Runs in the supervisor between steps (the worker is frozen, the step's processes are gone), so
    nothing of a step runs while a change is read. Paths travel as base64 bytes: names need not be
    UTF-8."""

    _UNREAD = ("unread",)  # _look's answer for an entry that is there but cannot be looked at
    _GONE_ERRNOS = (errno.ENOENT, errno.ENOTDIR)
    _UNREAD_SENT = 100     # "unread" events per step at most (the host counts them)

    def __init__(self, root):
        self.root = os.fsencode(root)
        self.dev = os.stat(self.root).st_dev
        self.maps_fd = None
        self.maps_pid = 0
        self.maps_query = None  # PROCMAP_QUERY's buffers; False where the kernel has no such query
        try:
            self.watch = _Watch()
        except (OSError, AttributeError, ImportError):
            self.watch = None
        self.retry = set()        # entries that could not be read last time: looked at again next time
        self.retry_trees = set()  # directories that could not be listed: walked again next time
        self.unread = {}          # path -> why, of what the host was told could not be read
        self.held = set()         # inodes the worker could write through when the last step ended
        self.digests = {}         # path -> digest of the contents the host was last sent
        self._blind = ({}, {})    # this look: entries that cannot be looked at, directories not listed
        self.state = self._scan()
        self._index()
        self.base = self.scanned_bytes  # what usage() would say, from the same walk
        self.next_check = 0.0
        self._forget_own_events()

    def _index(self):
        # Inode -> paths of regular files: a write through one hard link changes the others too,
        # and only the directory written through gets an event.
        self.inodes = {}
        for p, e in self.state.items():
            if e[0] == stat.S_IFREG:
                self.inodes.setdefault(e[5], set()).add(p)

    def _forget_own_events(self):
        # Our own walk and reads open directories and files: not the step's doing.
        if self.watch is not None:
            self.watch.read()

    def step_started(self):
        self.next_check = time.monotonic() + 1.0  # a step under a second is never walked for the cap

    def usage(self):
        """Bytes allocated under the root, as the host measures its shadow."""
        total = 0
        stack = [self.root]
        while stack:
            d = stack.pop()
            try:
                it = os.scandir(d)
            except OSError:
                continue
            with it:
                for e in it:
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += st.st_blocks * 512
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(e.path)
        return total

    def over_cap(self):
        """During a step, about once a second: whether the tree grew past the cap (the host
        cannot measure a workspace it does not see, so the kernel says so)."""
        now = time.monotonic()
        if not _SHADOW_CAP or now < self.next_check:
            return False
        self.next_check = now + 1.0
        return self.usage() > self.base + _SHADOW_CAP

    def _entry(self, p):
        """What the state says of the entry p, as it is now; None if it is not there (or is neither a
        directory, a file nor a symlink)."""
        return self._look(p)[0]

    def _look(self, p):
        """_entry(p) and its number of hard links (0 when it is not there), from one lstat;
        _UNREAD when it may be there but cannot be looked at (a parent the step made unreadable,
        a path longer than the system takes): what the host has of it stays, and it is told."""
        try:
            st = os.lstat(os.path.join(self.root, p))
        except OSError as e:
            if e.errno in self._GONE_ERRNOS:
                return None, 0
            self._blind[0][p] = e.strerror or "cannot be read"
            return self._UNREAD, 0
        n = self._of(st)
        if n is None:
            self._blind[0][p] = self._special(st)
            return self._UNREAD, 0
        return n, st.st_nlink

    @staticmethod
    def _special(st):
        kind = "a fifo" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
        return kind + ": special files are not brought back"

    @staticmethod
    def _of(st):
        kind = stat.S_IFMT(st.st_mode)
        if kind == stat.S_IFDIR:
            return (kind, st.st_mode & 0o777)
        if kind in (stat.S_IFREG, stat.S_IFLNK):
            return (kind, st.st_mode & 0o777, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        return None

    def _scan(self, top=b""):
        """Every entry under top (top itself not included), watching each directory; the bytes they
        take in scanned_bytes."""
        out = {}
        total = 0
        stack = [top]
        if self.watch is not None:
            # Tried again below: those that still fail are added back.
            self.watch.unwatched = {u for u in self.watch.unwatched if top and u != top and not self._under(u, {top})}
            self.watch.watch(os.path.join(self.root, top) if top else self.root, top)
        while stack:
            rel = stack.pop()
            try:
                it = os.scandir(os.path.join(self.root, rel) if rel else self.root)
            except OSError as e:
                if e.errno not in self._GONE_ERRNOS:
                    self._blind[1][rel] = e.strerror or "cannot be listed"
                continue
            with it:
                for e in it:
                    p = rel + b"/" + e.name if rel else e.name
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError as x:
                        if x.errno not in self._GONE_ERRNOS:
                            self._blind[0][p] = x.strerror or "cannot be read"
                        continue
                    total += st.st_blocks * 512
                    n = self._of(st)
                    if n is None:
                        self._blind[0][p] = self._special(st)
                        continue
                    out[p] = n
                    if n[0] == stat.S_IFDIR:
                        stack.append(p)
                        if self.watch is not None:
                            self.watch.watch(os.path.join(self.root, p), p)
        self.scanned_bytes = total
        return out

    _PROCMAP_QUERY = (3 << 30) | (104 << 16) | (ord("f") << 8) | 17  # _IOWR('f', 17, struct procmap_query)
    _QUERY_FLAGS = 0x02 | 0x08 | 0x10 | 0x20  # writable, shared, covering or next, file-backed

    def _query_maps(self, out):
        """The inodes of the worker's shared writable file mappings, into out, asked of the kernel
        (PROCMAP_QUERY, Linux 6.11): only those mappings are listed, so no text of every mapping is
        made and read (about 300 us for a Python process). False where the kernel has no such
        query (gVisor, older Linux): the text is read then."""
        import ctypes
        import fcntl
        if self.maps_query is None:
            self.maps_query = (ctypes.create_string_buffer(104), ctypes.create_string_buffer(4096))
        q, name = self.maps_query
        addr, first = 0, True
        while True:
            struct.pack_into("QQQ", q, 0, 104, self._QUERY_FLAGS, addr)
            struct.pack_into("IIQQ", q, 80, len(name), 0, ctypes.addressof(name), 0)
            try:
                fcntl.ioctl(self.maps_fd, self._PROCMAP_QUERY, q, True)
            except OSError as e:
                if e.errno == errno.ENOENT:  # no such mapping at or after addr
                    return True
                if first and e.errno in (errno.ENOTTY, errno.EINVAL, errno.EOPNOTSUPP):
                    self.maps_query = False  # not supported here: read the text from now on
                    return False
                if e.errno == errno.ENAMETOOLONG:  # its path does not fit: the inode is enough
                    struct.pack_into("I", q, 80, 0)
                    fcntl.ioctl(self.maps_fd, self._PROCMAP_QUERY, q, True)
                else:
                    raise
            first = False
            end = struct.unpack_from("Q", q, 32)[0]
            out.add(struct.unpack_from("Q", q, 64)[0])
            if end <= addr:
                raise OSError(errno.EIO, "PROCMAP_QUERY went backwards")
            addr = end

    def _held(self, worker):
        """The inodes of regular files the worker can write without a word to inotify: those it has
        open for writing and those it has mapped shared and writable (writes through a mapping raise
        no event, and need not change the file's size or times). None where that cannot be read:
        then every file is looked at by its contents. The worker is the one process that outlives
        a step, so this is what the next step starts with."""
        out = set()
        try:
            fds = "/proc/%d/fd/" % worker
            for n in os.listdir(fds):
                try:
                    st = os.stat(fds + n)
                except FileNotFoundError:
                    continue
                if st.st_dev != self.dev or not stat.S_ISREG(st.st_mode):
                    continue
                with open("/proc/%d/fdinfo/%s" % (worker, n), "rb") as f:
                    for line in f:
                        if line.startswith(b"flags:"):
                            if int(line.split()[1], 8) & 3:  # O_WRONLY or O_RDWR
                                out.add(st.st_ino)
                            break
            if self.maps_fd is None or self.maps_pid != worker:
                if self.maps_fd is not None:
                    os.close(self.maps_fd)
                self.maps_fd = os.open("/proc/%d/maps" % worker, os.O_RDONLY | os.O_CLOEXEC)
                self.maps_pid = worker
            if self.maps_query is not False and self._query_maps(out):
                return out
            parts, off = [], 0
            while True:
                chunk = os.pread(self.maps_fd, 1 << 17, off)
                if not chunk:
                    break
                parts.append(chunk)
                off += len(chunk)
        except (OSError, ValueError, IndexError):
            return None
        for line in b"".join(parts).split(b"\n"):
            f = line.split(None, 5)  # address perms offset dev inode path
            if len(f) >= 5 and f[1][1:2] == b"w" and f[1][3:4] == b"s" and f[4] != b"0":
                out.add(int(f[4]))
        return out

    def diff(self, send, rid, worker=0):
        """Sends what changed since the last diff. What is looked at: the entries inotify named,
        the subtrees of directories that came, went or moved (everything after an overflow), and by
        their contents, not their size and times, the files that were open for writing during the
        step: written through (inotify said so), or open for writing or mapped by the worker when
        the step started or ended."""
        found = self.watch.read() if self.watch is not None and self.watch.ok else None
        if worker:
            with _as_worker():  # its /proc files, as its user (gVisor checks the effective uid)
                held = self._held(worker)
        else:
            held = set()
        inodes = (self.held | held) if held is not None else None
        self.held = held if held is not None else set()
        if inodes is None or found is None or b"" in self.retry_trees:
            # Not knowing what was open for writing (an overflow of events, no watch, or the
            # worker's descriptors not readable), or the root could not be listed last time:
            # everything, every file by its contents.
            found = None
            content = {p for p, n in self.state.items() if n[0] == stat.S_IFREG}
        else:
            content = {p for i in inodes for p in self.inodes.get(i, ())}
            lost = self.watch.unwatched
            if b"" in lost:
                found = None
                content = {p for p, n in self.state.items() if n[0] == stat.S_IFREG}
            elif lost:  # no word from these directories: their subtrees, their files by contents
                found = (found[0], found[1] | lost, found[2])
                content |= {p for p, n in self.state.items()
                            if n[0] == stat.S_IFREG and p.rpartition(b"/")[0] in lost}
        if found is not None:
            content |= found[2]
            if not (found[0] or found[1] or content or self.retry or self.retry_trees):
                return  # nothing under the workspace was opened, written, created or removed
        with _as_worker():  # between steps: nothing of the sandbox runs
            self._diff(send, rid, found, content)

    def _delta(self, found, content):
        """path -> its entry now (None: not there) for every path that may have changed. What
        cannot be looked at now is left out (the host keeps what it has) and noted in _blind."""
        old = self.state
        if found is None:
            new = self._scan()
            delta = {p: new.get(p) for p in old.keys() | new.keys()}
            return self._without_blind(delta)
        entries, trees, _written = found
        trees = set(trees) | self.retry_trees
        now = {}
        for p in entries | self.retry | content:
            n, links = self._look(p)
            was = old.get(p)
            if n is self._UNREAD:
                if was is not None and was[0] == stat.S_IFDIR:
                    self._blind[1][p] = self._blind[0].pop(p)
                continue
            if any(x is not None and x[0] == stat.S_IFDIR for x in (n, was)) and \
                    (n is None or was is None or n[0] != was[0]):
                trees.add(p)  # a directory that came or went with no event of its own
            else:
                now[p] = (n, links)
        delta = {}
        # The subtrees again: what was under them is gone unless it is there now. Only the top ones.
        tops = {t for t in trees if not self._under(t, trees)}
        if any(old.get(t, (0,))[0] == stat.S_IFDIR for t in tops):
            for p in old:
                if self._under(p, tops):
                    delta[p] = None
        for t in tops:
            n = self._entry(t)
            if n is self._UNREAD:
                continue
            delta[t] = n
            if n is not None and n[0] == stat.S_IFDIR:
                delta.update(self._scan(t))
        todo = [(p, n, links) for p, (n, links) in now.items()]
        while todo:
            p, n, links = todo.pop()
            if p in delta or n is self._UNREAD:
                continue
            delta[p] = n
            if n is not None and n[0] == stat.S_IFREG and links > 1:
                # A write through another hard link changes this file too, with no event here.
                for q in self.inodes.get(n[5], ()):
                    if q not in delta:
                        todo.append((q,) + self._look(q))
                        content.add(q)
        return self._without_blind(delta)

    @staticmethod
    def _under(p, tops):
        if b"" in tops:  # the root: everything is under it
            return p != b""
        d = p.rpartition(b"/")[0]
        while d:
            if d in tops:
                return True
            d = d.rpartition(b"/")[0]
        return False

    def _without_blind(self, delta):
        """delta without what could not be looked at: an entry that could not be read, and what is
        under it or under a directory that could not be listed (its own mode still counts)."""
        entries, dirs = self._blind
        if not entries and not dirs:
            return delta
        below = set(entries) | set(dirs)
        for p in list(delta):
            if p in entries or self._under(p, below):
                del delta[p]
        return delta

    def _diff(self, send, rid, found, content):
        old = self.state
        self._blind = ({}, {})
        delta = self._delta(found, content)
        gone = {p for p, n in delta.items() if n is None and p in old}
        for p in sorted(gone, reverse=True):
            parent = p.rpartition(b"/")[0]
            if parent and parent in gone and old[parent][0] == stat.S_IFDIR:
                continue  # the host removes the whole directory
            send({"ev": "change", "id": rid, "kind": "gone", "path": base64.b64encode(p).decode()})
            self.digests.pop(p, None)
        retry = set()
        left = _SHADOW_CAP  # a step brings back at most this much (the host drops the rest anyway)
        for p in sorted(p for p, n in delta.items() if n is not None):
            n = delta[p]
            if old.get(p) == n and p not in content:
                continue
            path = base64.b64encode(p).decode()
            full = os.path.join(self.root, p)
            if n[0] == stat.S_IFDIR:
                if old.get(p) != n:
                    send({"ev": "change", "id": rid, "kind": "dir", "path": path, "mode": n[1]})
                continue
            if n[0] == stat.S_IFLNK:
                if old.get(p) == n:
                    continue
                try:
                    target = os.readlink(full)
                except OSError:
                    target = None
                if target is not None:
                    send({"ev": "change", "id": rid, "kind": "symlink", "path": path,
                          "target": base64.b64encode(target).decode()})
                    continue
            elif _SHADOW_CAP and n[2] > left:
                # A sparse file of a terabyte takes no room in the sandbox and would take hours to send.
                self._blind[0][p] = "%d bytes: past what a step may bring back (container.shadow_cap)" % n[2]
            else:
                sent = self._send_file(send, rid, path, full, n[1],
                                       self.digests.get(p) if old.get(p) == n else None)
                if sent is not None:
                    if sent:
                        self.digests[p] = sent
                        left -= n[2]
                    continue
            delta[p] = old.get(p)  # unreadable now: tried again after the next step
            retry.add(p)
            self._blind[0].setdefault(p, "cannot be read")
        for p, n in delta.items():
            was = old.get(p)
            if was is not None and was[0] == stat.S_IFREG:
                paths = self.inodes.get(was[5])
                if paths is not None:
                    paths.discard(p)
                    if not paths:
                        del self.inodes[was[5]]
            if n is None:
                old.pop(p, None)
                self.digests.pop(p, None)
            else:
                old[p] = n
                if n[0] == stat.S_IFREG:
                    self.inodes.setdefault(n[5], set()).add(p)
        # What could not be looked at is looked at again next time (a directory: its whole subtree),
        # and the host is told once; it keeps what it has there.
        entries, dirs = self._blind
        self.retry = retry | {p for p in entries if not (old.get(p) or (0,))[0] == stat.S_IFDIR}
        self.retry_trees = set(dirs) | {p for p in entries if (old.get(p) or (0,))[0] == stat.S_IFDIR}
        blind = {**entries, **dirs}
        fresh = [p for p in sorted(blind) if p not in self.unread]
        for p in fresh[:self._UNREAD_SENT]:
            send({"ev": "change", "id": rid, "kind": "unread", "path": base64.b64encode(p or b".").decode(),
                  "why": blind[p]})
        if len(fresh) > self._UNREAD_SENT:
            send({"ev": "change", "id": rid, "kind": "unread", "path": base64.b64encode(fresh[-1] or b".").decode(),
                  "why": blind[fresh[-1]], "more": len(fresh) - self._UNREAD_SENT - 1})
        self.unread = {p: blind[p] for p in blind}
        self._blind = ({}, {})
        self._forget_own_events()

    @staticmethod
    def _send_file(send, rid, path, full, mode, digest=None):
        """Sends the file's contents; with the digest of what the host has, only if they differ
        (read twice then: the contents are not kept). Returns the digest of what was sent, "" when
        nothing was sent, None when it could not be read."""
        import hashlib
        try:
            fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as f:
            try:
                if digest is not None:
                    h = hashlib.blake2b(digest_size=20)
                    for chunk in iter(lambda: f.read(_CHANGE_CHUNK), b""):
                        h.update(chunk)
                    if h.hexdigest() == digest:
                        return ""
                    f.seek(0)
                h = hashlib.blake2b(digest_size=20)
                chunk = f.read(_CHANGE_CHUNK)
                while True:
                    h.update(chunk)
                    nxt = f.read(_CHANGE_CHUNK) if len(chunk) == _CHANGE_CHUNK else b""
                    send({"ev": "change", "id": rid, "kind": "file", "path": path, "mode": mode,
                          "data": base64.b64encode(chunk).decode(), "more": bool(nxt)})
                    if not nxt:
                        return h.hexdigest()
                    chunk = nxt
            except OSError:
                return None


class _Supervisor:
    def __init__(self):
        self.proto_in = os.dup(0)
        self.proto_out = os.dup(1)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)  # stray writes of the supervisor itself go nowhere; fd 2 stays the engine's
        os.close(null)
        self.cap = _Capture(self)
        self.step = None          # the running request: dict, or None between steps
        self.to_worker = bytearray()
        self.host_buf = b""
        self.res_buf = b""
        self.res_skip = False     # discarding an over-long worker line
        self.call_seq = 0
        self.early_results = collections.OrderedDict()
        self.queue = collections.deque()  # host requests waiting for the running one
        self.verified = False     # the parked check works on this system
        self.parked_sig = None
        self.worker = 0
        self.changes = None
        self.frozen = False
        self.task_fds = {}
        self.drain_poller = None
        self.rchar_next = 0  # the worker's rchar when it was last frozen, parked
        self.oom_kills = _oom_kills()
        self._spawn_worker()

    # ---- the worker ---------------------------------------------------------------------

    def _spawn_worker(self):
        pairs = {}
        for name, kind in (("cmd", socket.SOCK_STREAM), ("res", socket.SOCK_STREAM),
                           ("out", socket.SOCK_STREAM), ("err", socket.SOCK_STREAM),
                           ("py", socket.SOCK_SEQPACKET)):
            pairs[name] = socket.socketpair(socket.AF_UNIX, kind)
        for s in pairs.values():
            for end in s:
                end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        pid = os.fork()
        if pid == 0:
            try:
                self._become_worker(pairs)
            finally:
                os._exit(70)
        self.worker = pid
        if _USERS is not None:
            _become_supervisor()
        self.cmd = pairs["cmd"][0]
        self.res = pairs["res"][0]
        self.out = pairs["out"][0]
        self.err = pairs["err"][0]
        self.py = pairs["py"][0]
        for name, (_, child_end) in pairs.items():
            child_end.close()
        self.cmd.shutdown(socket.SHUT_RD)
        for s in (self.res, self.out, self.err, self.py):
            s.shutdown(socket.SHUT_WR)
            s.setblocking(False)
        self.cmd.setblocking(False)
        # Python-level output before raw output: a print sent before a subprocess wrote is
        # read first (the worker waits for raw output to be read before it sends a print).
        self.reader = {self.py.fileno(): "py", self.out.fileno(): "stdout",
                       self.err.fileno(): "stderr", self.res.fileno(): "res"}

    def _become_worker(self, pairs):
        _drop_capabilities()  # first: nothing below runs as root
        for sig in range(1, signal.NSIG):
            try:
                signal.signal(sig, signal.SIG_DFL)
            except (OSError, ValueError, RuntimeError):
                pass
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # as Python itself starts
            signal.signal(sig, signal.SIG_IGN)
        wanted = {_W_CMD: pairs["cmd"][1], _W_RES: pairs["res"][1], 1: pairs["out"][1],
                  2: pairs["err"][1], _W_PY: pairs["py"][1]}
        # Move every kept end above the fixed numbers first so dup2 cannot clobber one.
        import fcntl
        high = {}
        for num, s in wanted.items():
            high[num] = fcntl.fcntl(s.fileno(), fcntl.F_DUPFD_CLOEXEC, 64)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for num, fd in high.items():
            os.dup2(fd, num, inheritable=num in (1, 2))
        socket.socket(fileno=os.dup(_W_CMD)).shutdown(socket.SHUT_WR)
        for fd in (_W_RES, 1, 2, _W_PY):
            socket.socket(fileno=os.dup(fd)).shutdown(socket.SHUT_RD)
        os.closerange(_W_PY + 1, max(os.sysconf("SC_OPEN_MAX"), 1024))
        _worker_main(_ALLOWED)

    def _task_file(self, name):
        # Kept open and read again with pread: the worker is the same process all along.
        fd = self.task_fds.get(name)
        if fd is None:
            fd = os.open("/proc/%d/task/%d/%s" % (self.worker, self.worker, name), os.O_RDONLY | os.O_CLOEXEC)
            self.task_fds[name] = fd
        return os.pread(fd, 4096, 0)

    def _syscall(self):
        try:
            parts = self._task_file("syscall").split()
        except OSError:
            return None
        return (parts[0], parts[1]) if len(parts) > 2 else None

    def _rchar(self):
        try:
            for line in self._task_file("io").splitlines():
                if line.startswith(b"rchar:"):
                    return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
        return None

    def _calibrate(self):
        """The worker's main thread waits for commands in read(3). Learn how that looks in
        /proc/<worker>/task/<worker>/syscall, so a result can be believed only when the main
        thread really is back there (a thread a step left running cannot fake that)."""
        end = time.monotonic() + 5
        while time.monotonic() < end:
            sig = self._syscall()
            if sig and sig[1] == b"0x%x" % _W_CMD and self._rchar() is not None:
                self.parked_sig = sig
                self.verified = True
                return
            time.sleep(0.001)

    def _parked(self):
        """True when the worker's main thread waits for a command again and has read every
        byte we sent it in this step (so no other thread took them in its place)."""
        if not self.verified:
            return True
        if self._syscall() != self.parked_sig:
            return False
        rchar = self._rchar()
        if rchar is None or rchar - self.step["rchar0"] < self.step["sent"]:
            return False
        self.rchar_next = rchar
        return True

    def _stop_worker(self):
        if self.frozen:
            return
        self.frozen = True
        try:
            os.kill(self.worker, signal.SIGSTOP)
        except ProcessLookupError:
            pass
        while True:
            try:
                pid, status = os.waitpid(self.worker, os.WUNTRACED)
            except ChildProcessError:
                self._worker_died(None)
                return
            except InterruptedError:
                continue
            if pid == self.worker and os.WIFSTOPPED(status):
                return
            if pid == self.worker:
                self._worker_died(status)
                return

    def _worker_died(self, status):
        # The persistent state is gone; so is this sandbox: the host sees the container end
        # and starts a fresh one (and says that state was lost). The exit code says how the
        # worker ended, as a shell would (137: killed, which is what the OOM killer does).
        if status is None or isinstance(status, str):
            status = None
            end = time.monotonic() + 1
            while status is None and time.monotonic() < end:
                try:
                    pid, st = os.waitpid(self.worker, os.WNOHANG)
                except (ChildProcessError, InterruptedError):
                    break
                if pid == self.worker and not os.WIFSTOPPED(st):
                    status = st
                else:
                    time.sleep(0.005)
            if status is None:  # alive but deaf (it closed its channel): end it, say exit 3
                try:
                    os.kill(self.worker, signal.SIGKILL)
                except OSError:
                    pass
        code = 3
        if isinstance(status, int) and os.WIFSIGNALED(status):
            code = 128 + os.WTERMSIG(status)
            if code == 137 and self.oom_kills is not None and _oom_kills() == self.oom_kills:
                code = 129  # a SIGKILL that was not the OOM killer's: not reported as memory
        elif isinstance(status, int) and os.WIFEXITED(status):
            code = os.WEXITSTATUS(status) or 3
        sys.stderr.write("litecode kernel: the worker ended (exit %d)\n" % code)
        os._exit(code)

    def _sweep(self):
        """Nothing of the sandbox runs between steps: stop every process but init and us,
        then kill all but the worker, which stays frozen until the next step. Returns how
        many processes were killed."""
        self._stop_worker()
        if not _IN_SANDBOX:
            return 0
        me = os.getpid()
        others = set()
        for _ in range(200):
            alive = []
            for p in os.listdir("/proc"):
                if not p.isdigit():
                    continue
                pid = int(p)
                if pid in (1, me, self.worker):
                    continue
                st = _proc_state(pid)
                if st is None or st in ("Z", "X"):
                    continue
                others.add(pid)
                if st not in ("T", "t"):
                    alive.append(pid)
            if not alive:
                break
            try:
                os.kill(-1, signal.SIGSTOP)  # every process we may signal but init and us
            except OSError:
                break
            time.sleep(0.0005)
        killed = 0
        for pid in others:
            # A process the step ended itself can still be on its way out when we look (its pipes
            # already closed, not yet a zombie): it was not left running, so it is not counted.
            counts = _proc_state(pid) not in (None, "Z", "X")
            try:
                os.kill(pid, signal.SIGKILL)
                killed += counts
            except OSError:
                pass
        # Until each is gone, one that was not stopped (inside a long system call, a write of a
        # large buffer among them) still writes, and its files are not closed (what it had open
        # for writing is told by the close): the changes are read only after that.
        end = time.monotonic() + 5
        while others and time.monotonic() < end:
            others = {p for p in others if _proc_state(p) not in (None, "Z", "X")}
            if others:
                time.sleep(0.0005)
        return killed

    def _threads(self):
        try:
            # /proc/<pid>/task has 2 + <threads> links. The worker's own threads are its main
            # thread and the output flusher.
            return max(os.stat("/proc/%d/task" % self.worker).st_nlink - 2 - 2, 0)
        except OSError:
            return 0

    def _thaw(self):
        self.frozen = False
        try:
            os.kill(self.worker, signal.SIGCONT)
        except ProcessLookupError:
            self._worker_died(None)

    # ---- talking ------------------------------------------------------------------------

    def send(self, obj):
        data = (json.dumps(obj, ensure_ascii=True) + "\n").encode("ascii")
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.proto_out, view):]
            except BrokenPipeError:
                os._exit(0)

    def to_w(self, obj):
        data = (json.dumps(obj, ensure_ascii=True) + "\n").encode("ascii")
        self.to_worker += data
        if self.step is not None:
            self.step["sent"] += len(data)
        self._flush_worker()

    def _flush_worker(self):
        while self.to_worker:
            try:
                n = self.cmd.send(self.to_worker)
            except BlockingIOError:
                return
            except OSError:
                self._worker_died(None)
                return
            del self.to_worker[:n]

    # ---- host requests ------------------------------------------------------------------

    def on_host_line(self, line):
        try:
            msg = json.loads(line)
        except (ValueError, RecursionError):
            return
        if not isinstance(msg, dict):
            return
        op = msg.get("op")
        if op in ("exec", "define", "check", "analyze") and (self.step is not None or self.queue):
            if len(self.queue) < 1024:
                self.queue.append(msg)  # in order, after the running request
            return
        self.on_request(msg)

    def on_request(self, msg):
        op = msg.get("op")
        rid = msg.get("id")
        valid_id = isinstance(rid, int) and not isinstance(rid, bool) and 0 < rid <= _MAX_ID
        if op in ("exec", "define") and valid_id:
            code = msg.get("code", "")
            self.start_step(rid, op, code if isinstance(code, str) else "")
        elif op == "check" and valid_id:
            code = msg.get("code", "")
            self.check(rid, code if isinstance(code, str) else "")
        elif op == "analyze" and valid_id:
            self.analyze(rid, msg)
        elif op == "tool_result":
            call = msg.get("call")
            if not isinstance(call, int) or isinstance(call, bool):
                return
            ans = {"op": "tool_result", "ok": msg.get("ok") is True, "value": msg.get("value")}
            st = self.step
            if st is not None and st.get("call") == call:
                st["call"] = None
                self.to_w(ans)
                self._thaw()
            elif len(self.early_results) < 64:
                self.early_results[call] = ans

    def start_step(self, rid, kind, code):
        self.cap.begin(rid if kind == "exec" else 0)
        self.step = {"id": rid, "kind": kind, "sent": 0, "rchar0": self.rchar_next,
                     "call": None, "done": None, "interrupted": False, "rejected": 0,
                     "cands": []}
        self.step["nonce"] = os.urandom(16).hex()
        if self.changes is not None:
            self.changes.step_started()
        self.to_w({"op": kind, "code": code, "nonce": self.step["nonce"]})
        self._thaw()

    def check(self, rid, code):
        """Compiles in a throwaway child, so hostile input (deep nesting, huge code) cannot
        take the supervisor down; nothing runs."""
        def work():
            try:
                _compile_step(code)
                return {"ok": True, "error": None}
            except (SyntaxError, ValueError) as e:
                return {"ok": False, "error": _error(e)}
            except (RecursionError, MemoryError) as e:
                return {"ok": False, "error": {"type": "SyntaxError", "lineno": 0, "traceback": "",
                                               "message": "the code is too deeply nested or too "
                                                          "large to compile (%s)" % type(e).__name__}}
        out = _in_child(work)
        if out is None:
            out = {"ok": False, "error": {"type": "SyntaxError", "lineno": 0, "traceback": "",
                                          "message": "the code could not be compiled (the compiler "
                                                     "failed: too deeply nested or too large?)"}}
        self.send({"ev": "done", "id": rid, "ok": out.get("ok") is True, "error": out.get("error")})

    def analyze(self, rid, msg):
        """The static check (_analyze_step) in a throwaway child like check: hostile code
        cannot take the supervisor down, and nothing of it runs. Any failure is a verdict of
        "may write" with the reason."""
        code = msg.get("code")
        names = [msg.get("vouched"), msg.get("dirty")]
        names = [set(x for x in v if isinstance(x, str)) if isinstance(v, list) else set()
                 for v in names]

        def work():
            # The check imports stdlib modules to tell their functions from the modules they
            # import: never from /workspace (or wherever the kernel started), where a project
            # file named like one would run here.
            here = [d for d in (os.path.realpath(os.getcwd()), "/workspace") if d != "/"]
            sys.path[:] = [p for p in sys.path if p and os.path.isabs(p) and not any(
                os.path.realpath(p) == d or os.path.realpath(p).startswith(d + "/") for d in here)]
            try:
                if not isinstance(code, str):
                    raise ValueError("no code")
                return _analyze_step(code, names[0], names[1])
            except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
                return {"read_only": False, "opaque": False,
                        "reasons": [{"line": 0, "what": "the check could not read the code "
                                     "(%s)" % type(e).__name__}]}
        out = _in_child(work)
        if out is None:
            out = {"read_only": False, "opaque": False,
                   "reasons": [{"line": 0, "what": "the check failed (too deeply nested or too large?)"}]}
        self.send({"ev": "done", "id": rid, "ok": True, "analysis": out})

    # ---- worker messages -----------------------------------------------------------------

    def on_worker_line(self, line):
        """A worker message is only a candidate: it counts once the worker's main thread is
        parked again (see settle); any thread of the worker can write on the channel."""
        st = self.step
        if st is None:
            return  # nothing may speak between steps (the worker is frozen anyway)
        try:
            msg = json.loads(line)
        except (ValueError, RecursionError):
            msg = None
        kind = msg.get("kind") if isinstance(msg, dict) else None
        if kind == "tool_call" and st["kind"] == "exec" and st["call"] is None:
            name, args = msg.get("name"), msg.get("args")
            if not (isinstance(name, str) and 0 < len(name) <= 100 and name.isidentifier()
                    and isinstance(args, dict)):
                kind = None
        elif kind != "done" or st["call"] is not None:
            kind = None
        if kind is None:
            st["rejected"] += 1
            return
        st["cands"].append(msg)

    def settle(self):
        """Acts on the step's candidate messages once the main thread is parked: freeze the
        worker, read what is left, and believe a message only if it is the only one. Two
        or more mean some other thread or process forged one: none is believed."""
        st = self.step
        if st is None or not st["cands"]:
            return
        parked = self._parked()
        for _ in range(40):  # the main thread is usually a few microseconds from read(3)
            if parked:
                break
            os.sched_yield()
            parked = self._parked()
        if not parked:
            return  # the loop looks again every millisecond
        self._stop_worker()
        self.drain_worker(settling=True)
        cands, st["cands"] = st["cands"], []
        # The step's nonce travelled to the main thread only; a thread that did not dig it out
        # of the worker's memory cannot have it. Whoever has it, two candidates are refused.
        valid = [c for c in cands if c.get("nonce") == st["nonce"]]
        st["rejected"] += len(cands) - len(valid)
        cands = valid
        if not cands:
            self._thaw()  # only forgeries so far: the step goes on
            return
        if len(cands) == 1 and cands[0].get("kind") == "tool_call":
            msg = cands[0]
            self.cap.flush()
            self.call_seq = self.call_seq % _MAX_ID + 1
            st["call"] = self.call_seq
            self.send({"ev": "tool_call", "id": st["id"], "call": st["call"], "name": msg["name"],
                       "args": msg["args"]})
            early = self.early_results.pop(st["call"], None)
            if early is not None:
                st["call"] = None
                self.to_w(early)
                self._thaw()
            return  # frozen while the host answers: nothing runs while the user is asked
        if len(cands) == 1:
            st["done"] = cands[0]
            self.end_step()
            return
        st["rejected"] += len(cands)
        if any(c.get("kind") == "done" for c in cands):
            st["done"] = {"kind": "done", "ok": False, "error": {
                "type": "ForgedResult", "lineno": 0, "traceback": "",
                "message": "%d results arrived for this step where the kernel sends one: a thread or "
                           "process left running in the sandbox sent its own, so none of them is "
                           "believed. The step's output above is real." % len(cands)}}
            self.end_step()
        else:
            self.to_w({"op": "tool_result", "ok": False,
                       "value": "refused: %d tool calls arrived at once" % len(cands)})
            self._thaw()

    def end_step(self):
        st = self.step
        msg = st["done"]
        killed = self._sweep()
        threads = self._threads()
        self.drain_worker(settling=True)  # what the step wrote before it was stopped is its own
        if st["kind"] == "exec":
            dropped = self.cap.finish()
            # The step is over, its output sent: what follows (looking for its changes and sending
            # them over the copy transport) is ours, not the step's time; the host stops its clock.
            self.send({"ev": "ended", "id": st["id"]})
            done = {"ev": "done", "id": st["id"], "ok": msg.get("ok") is True,
                    "value_repr": _text_or_none(msg.get("value_repr"), _REPR_MAX + 100),
                    "final_answer": msg.get("final_answer") if msg.get("has_final") is True else None,
                    "error": _clean_error(msg.get("error")), "truncated": dropped > 0,
                    "dropped": dropped, "interrupted": st["interrupted"] or msg.get("interrupted") is True,
                    "left_threads": threads, "killed_processes": killed, "rejected": st["rejected"]}
            if msg.get("has_final") is True:
                done["has_final"] = True
        else:
            done = {"ev": "done", "id": st["id"], "ok": msg.get("ok") is True,
                    "error": _clean_error(msg.get("error"))}
        self.step = None
        if self.changes is not None and st["kind"] == "exec":
            self.changes.diff(self.send, st["id"], self.worker)
        self.send(done)
        while self.queue and self.step is None:
            self.on_request(self.queue.popleft())

    # ---- the loop ---------------------------------------------------------------------------

    def drain_worker(self, settling=False):
        """Reads what the worker's channels hold now (they are only ever read, never
        waited on, here: the worker is frozen when this is called)."""
        if self.drain_poller is None:
            self.drain_poller = select.poll()
            for fd in self.reader:
                self.drain_poller.register(fd, select.POLLIN)
        for _ in range(64):  # bounded: a closed channel stays "ready" for ever
            ready = {fd for fd, ev in self.drain_poller.poll(0) if ev & select.POLLIN}
            if not ready:
                return
            for fd, name in self.reader.items():  # in the reader's order: prints first
                if fd in ready:
                    self.read_worker(fd, name, settle=not settling if name == "res" else True)

    def read_worker(self, fd, name, settle=True):
        sock = {"res": self.res, "stdout": self.out, "stderr": self.err, "py": self.py}[name]
        for _ in range(64):  # bounded: a flood on one channel cannot starve the others
            try:
                data = sock.recv(1 << 17)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                if name == "res":
                    self._check_worker_alive()
                return
            if name == "res":
                self.on_res_bytes(data, settle)
            elif name == "py":
                self.cap.emit("stdout" if data[:1] == b"o" else "stderr", data[1:])
            else:
                self.cap.emit(name, data)

    def _check_worker_alive(self):
        try:
            pid, status = os.waitpid(self.worker, os.WNOHANG)
        except ChildProcessError:
            self._worker_died(None)
            return
        if pid == self.worker and not os.WIFSTOPPED(status) and not os.WIFCONTINUED(status):
            self._worker_died(status)
        self._worker_died("closed its channel")

    def on_res_bytes(self, data, settle=True):
        self.res_buf += data
        while True:
            nl = self.res_buf.find(b"\n")
            if nl < 0:
                if len(self.res_buf) > _MAX_WORKER_LINE:
                    self.res_buf = b""
                    self.res_skip = True
                return
            line, self.res_buf = self.res_buf[:nl], self.res_buf[nl + 1:]
            if self.res_skip:
                self.res_skip = False
                if self.step is not None:
                    self.step["rejected"] += 1
                continue
            self.on_worker_line(line)
        if settle:
            self.settle()

    def _sigint_from_outside(self, pid):
        """An interrupt counts only when it comes from the host (through the container's
        init, pid 1), never from the worker or anything it started: a step cannot
        interrupt itself through us, nor claim an interrupt it was not sent."""
        if _IN_SANDBOX:
            return pid in (0, 1)
        for _ in range(64):
            if pid == self.worker:
                return False
            if pid <= 1 or pid == os.getpid():
                return True
            try:
                with open("/proc/%d/stat" % pid, "rb") as f:
                    pid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                return True
        return True

    def take_sigints(self):
        while True:
            try:
                info = signal.sigtimedwait([signal.SIGINT], 0)
            except InterruptedError:
                continue
            if info is None:
                return
            if self._sigint_from_outside(info.si_pid):
                self.on_sigint()

    def on_sigint(self):
        st = self.step
        if st is not None and st["kind"] == "exec":
            st["interrupted"] = True
            try:
                os.kill(self.worker, signal.SIGINT)
            except OSError:
                pass

    def run(self):
        # The worker says hello once, waiting for commands in read(3): learn that shape, then
        # freeze it until the first request.
        deadline = time.monotonic() + 60
        buf = b""
        self.res.setblocking(True)
        self.res.settimeout(max(deadline - time.monotonic(), 1))
        try:
            while b"\n" not in buf:
                chunk = self.res.recv(4096)
                if not chunk:
                    self._worker_died("before it was ready")
                buf += chunk
        except OSError:
            self._worker_died("no hello")
        self.res.setblocking(False)
        self._calibrate()
        self._stop_worker()
        self.rchar_next = self._rchar() or 0
        _make_undumpable()
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM,
                    signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGPIPE, signal.SIGQUIT,
                    signal.SIGVTALRM, signal.SIGPROF, signal.SIGXFSZ, signal.SIGXCPU):
            signal.signal(sig, signal.SIG_IGN)
        # SIGINT stays blocked and is taken with its sender (take_sigints), so the
        # worker's own signals to us are told apart from the host's.
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
        ready = {"ev": "ready", "pid": os.getpid(), "worker": self.worker, "uid": os.getuid(),
                 "euid": os.geteuid(), "python": sys.version.split()[0], "verified": self.verified}
        with _as_worker():  # the worker is frozen and no step has run
            self.changes = _Changes(_WORKSPACE) if _TRACK else None
            if _PROBE is not None:
                # Whether the host's file, put into the shadow just before the start, is seen here:
                # a bind mount on an engine that does not share the host's filesystem is empty.
                ready["probe"] = os.path.lexists(os.path.join(_WORKSPACE, os.path.basename(_PROBE)))
        self.send(ready)
        poller = select.poll()
        poller.register(self.proto_in, select.POLLIN)
        for fd in self.reader:
            poller.register(fd, select.POLLIN)
        cmd_fd = self.cmd.fileno()
        out_registered = False
        while True:
            if self.to_worker and not out_registered:
                poller.register(cmd_fd, select.POLLOUT)
                out_registered = True
            elif not self.to_worker and out_registered:
                poller.unregister(cmd_fd)
                out_registered = False
            waiting = self.step is not None and self.step["cands"]
            self.take_sigints()
            for fd, ev in poller.poll(1 if waiting else 50 if self.step is not None else 500):
                if fd == self.proto_in:
                    chunk = os.read(self.proto_in, 1 << 20)
                    if not chunk:
                        os._exit(0)  # the host is gone: so is the sandbox
                    self.host_buf += chunk
                    while b"\n" in self.host_buf:
                        line, self.host_buf = self.host_buf.split(b"\n", 1)
                        self.on_host_line(line)
                elif fd == cmd_fd:
                    self._flush_worker()
                else:
                    # Output first, results last: a done is only acted on after the output
                    # written before it has been read.
                    for ofd, name in self.reader.items():
                        if name != "res":
                            self.read_worker(ofd, name)
                    self.read_worker(self.res.fileno(), "res")
            if waiting:
                self.settle()
            st = self.step
            if (st is not None and st["kind"] == "exec" and self.changes is not None
                    and not st.get("over") and self.changes.over_cap()):
                st["over"] = True
                self.send({"ev": "over", "id": st["id"]})
            self.cap.flush()


def _in_child(work, seconds=15):
    """work() in a throwaway child of the supervisor, with no descriptor of the supervisor's
    open but its answer pipe: hostile input (deep nesting, huge code) can crash or hang the
    child, never the supervisor. Its dict answer, or None when it gave none in time."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.closerange(0, w)
            os.closerange(w + 1, 1 << 16)
            os.write(w, json.dumps(work()).encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select([r], [], [], max(end - time.monotonic(), 0))
        if not ready:
            break
        chunk = os.read(r, 1 << 20)
        if not chunk:
            break
        data += chunk
    os.close(r)
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    os.waitpid(pid, 0)
    try:
        out = json.loads(data)
        return out if isinstance(out, dict) else None
    except ValueError:
        return None


def _oom_kills():
    """The cgroup's OOM kill count, or None where it cannot be read (then 137 stays 137)."""
    try:
        with open("/sys/fs/cgroup/memory.events") as f:
            for line in f:
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _text_or_none(v, limit):
    if not isinstance(v, str):
        return None
    return v if len(v) <= limit else v[:limit] + "... [cut]"


def _clean_error(e):
    if not isinstance(e, dict):
        return None
    lineno = e.get("lineno")
    if not isinstance(lineno, int) or isinstance(lineno, bool) or not 0 <= lineno <= 10000000:
        lineno = 0
    return {"type": _text_or_none(e.get("type"), 200) or "Error",
            "message": _text_or_none(e.get("message"), 20000) or "",
            "traceback": _text_or_none(e.get("traceback"), 100000) or "",
            "lineno": lineno}


def _caps_left():
    """The names of this process's capability sets (CapEff, CapPrm, CapAmb) that are not empty."""
    left = []
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("CapEff:", "CapPrm:", "CapAmb:")) and int(line.split()[1], 16) != 0:
                left.append(line.split(":")[0])
    return left


def _drop_capabilities():
    """The worker keeps no capability: in the sandbox it becomes the sandbox user (which clears
    every capability the container's root started with), on the host it drops them. Without
    CAP_SYS_PTRACE or CAP_KILL, and under a uid other than the supervisor's effective and saved
    one, nothing the worker runs can open the supervisor's /proc/<pid>/fd, mem or environ, nor
    those of the container's init (root), even where non-dumpable is not enforced (gVisor)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if _USERS is not None:
        uid, gid = _USERS[0]
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
        except OSError as e:
            sys.stderr.write("litecode kernel: the worker cannot become uid %d (%s): the container must "
                             "start as root with CAP_SETUID and CAP_SETGID\n" % (uid, e.strerror))
            os._exit(4)
        # The uid change made it non-dumpable; the supervisor reads its /proc task files (which
        # system call its main thread waits in) as this user, so it must stay readable to that user.
        libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    for cap in range(64):
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP; fails harmlessly without CAP_SETPCAP
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()
    libc.capset(header, data)
    left = _caps_left()
    if left or (_USERS is not None and os.getresuid() != (_USERS[0][0],) * 3):
        sys.stderr.write("litecode kernel: the worker could not drop its capabilities (%s)\n"
                         % (", ".join(left) or "uid %d" % os.getuid()))
        os._exit(4)
    _close_io_uring(libc)


def _close_io_uring(libc):
    """The worker, and every process a step starts, cannot use io_uring: its three system calls
    fail with ENOSYS, as on a kernel built without it, so a program that can use it falls back
    to ordinary calls. io_uring is a large part of the host kernel's attack surface that step
    code has no need of, and engines' own seccomp profiles have allowed it until recently
    (docker before 25). A seccomp filter of our own, on top of the engine's: allowed without
    privileges once no_new_privs is set (above), inherited by every child, never removable.
    Since Linux 5.1 the calls have the same numbers on every architecture (425, 426, 427);
    the x32 bit is masked off so that ABI cannot reach them under other numbers."""
    import ctypes

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                    ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    LD_W_ABS, AND_K, JEQ_K, RET_K = 0x20, 0x54, 0x15, 0x06
    ALLOW, ENOSYS = 0x7FFF0000, 0x00050000 | errno.ENOSYS  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO
    prog = [(LD_W_ABS, 0, 0, 0),             # the call's number (seccomp_data.nr)
            (AND_K, 0, 0, 0xBFFFFFFF),       # without __X32_SYSCALL_BIT
            (JEQ_K, 3, 0, 425),              # io_uring_setup
            (JEQ_K, 2, 0, 426),              # io_uring_enter
            (JEQ_K, 1, 0, 427),              # io_uring_register
            (RET_K, 0, 0, ALLOW),
            (RET_K, 0, 0, ENOSYS)]
    insns = (SockFilter * len(prog))(*[SockFilter(*i) for i in prog])
    fprog = SockFprog(len(prog), insns)
    PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        # Said where the container's errors go; --check shows whether step code can use it.
        sys.stderr.write("litecode kernel: could not close io_uring to step code (%s)\n"
                         % os.strerror(ctypes.get_errno()))


def _become_supervisor():
    """The supervisor, right after the fork: real uid the worker's, effective and saved uid its own,
    no capability. The worker (all three ids its own) then cannot ptrace it or open its /proc
    files: Linux and gVisor require the caller's uid to match all three of the target's. The
    real uid lets it signal (stop, continue, kill) every process of the worker's user, as the
    sweep between steps must; the worker can signal it too (it can end the sandbox, not speak
    for it). On Linux the filesystem uid is the worker's, so it reads the worker's /proc task
    files and the workspace as that user; gVisor keeps it equal to the effective uid, and the
    supervisor reads the workspace as the worker's user only while nothing of a step runs
    (_as_worker)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    (wu, wg), (su, sg) = _USERS
    try:
        os.setgroups([])
        os.setresgid(wg, sg, sg)
        os.setresuid(wu, su, su)
    except OSError as e:
        sys.stderr.write("litecode kernel: the supervisor cannot become uid %d (%s): the container must "
                         "start as root with CAP_SETUID and CAP_SETGID\n" % (su, e.strerror))
        os._exit(4)
    _fs_ids()
    _make_undumpable()
    left = _caps_left()
    if left or os.getresuid() != (wu, su, su):
        sys.stderr.write("litecode kernel: the supervisor could not drop its capabilities (%s); "
                         "refusing to run steps\n" % (", ".join(left) or "uid %d" % os.geteuid()))
        os._exit(4)


class _as_worker:
    """The supervisor reads the workspace with the worker user's rights (its files may be
    private to that user), by taking it as its effective uid for a moment. Only when nothing
    of a step runs (at the start, and between steps: the worker is frozen, every other process
    killed): while the effective uid is the worker's, the worker's user could reach us."""

    def __enter__(self):
        if _USERS is not None:
            os.setresgid(-1, _USERS[0][1], -1)
            os.setresuid(-1, _USERS[0][0], -1)
        return self

    def __exit__(self, *exc):
        if _USERS is not None:
            os.setresuid(-1, _USERS[1][0], -1)
            os.setresgid(-1, _USERS[1][1], -1)
            _fs_ids()
        return False


_LIBC = []


def _fs_ids():
    # setresuid set the filesystem ids to the effective ones: back to the worker's (Linux).
    if not _LIBC:
        import ctypes
        _LIBC.append(ctypes.CDLL(None))
    _LIBC[0].setfsuid(_USERS[0][0])
    _LIBC[0].setfsgid(_USERS[0][1])


def _make_undumpable():
    """The worker runs as the same user without capabilities; a non-dumpable supervisor
    cannot be ptraced by it, and its /proc/<pid>/fd and /proc/<pid>/mem stay closed to it.
    Without this the protocol would be reachable, so the kernel refuses to start."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_DUMPABLE, PR_GET_DUMPABLE = 4, 3
        if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 or libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")
    except (ImportError, OSError, AttributeError) as e:
        sys.stderr.write("litecode kernel: cannot protect the supervisor from step code (%s); "
                         "refusing to run steps\n" % e)
        os._exit(4)


if __name__ == "__main__":
    _Supervisor().run()
