#!/usr/bin/env python3
"""Runs the examples in the documentation against the built litecode-tui.

Driven by tests/integration/test_docs.sh. Scans docs/*.md, README.md and examples/tasks/*.md for fenced
blocks preceded (on the line directly above the fence) by a marker:

    <!-- test: exit=N [contains] [engine] [local] -->   run the block; expect exit status N
    <!-- test: file=PATH -->                     write the block's text to PATH (relative to the
                                                 example's working directory; ~/ and $VARS are
                                                 expanded), for later blocks of the same page
    <!-- test: dry-run (REASON) -->              a command that needs a model: each `$ ` line is run
                                                 with --print-config appended (flags, profile and
                                                 config must be valid; every --dir must exist)
    <!-- test: skip (REASON) -->                 not run; the reason is printed
    <!-- test: messages -->                      on a ```text block or a table: text the program prints.
                                                 Split at placeholders (M, N, URL, FILE, $VAR, <...>,
                                                 (...), ...), every literal part must occur in a string
                                                 literal of src/ (adjacent literals joined, split at
                                                 printf conversions); for a table, the first code span
                                                 of each row

Block kinds: ```console (lines starting with `$ ` are commands, the lines after one are its expected
output: stdout and stderr together) and ```sh / ```bash (the block is one bash script, nothing
compared). In console blocks every command but the last must exit 0; the last must exit N. Without
`contains` the output must match exactly (trailing spaces ignored); with it every expected line must
appear, in order, inside an output line. `engine` marks examples that need a working container engine
and image: without one they are skipped, or fail when LITECODE_REQUIRE_ENGINE=1. `local` marks
examples about this machine's own engine: skipped when DOCKER_HOST or CONTAINER_HOST points elsewhere.

A page with at least one marker (and every page listed in STRICT) must mark all its sh/bash/console
blocks, and its relative links must point at files that exist. Each page runs in a fresh directory with
a copy of examples/, links to the rest of the source tree, and a throwaway HOME (XDG_CONFIG_HOME and
XDG_STATE_HOME unset, so ~/.config and ~/.local/state are fresh); no API key variables.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ["LC_SOURCE_DIR"]
BIN = os.environ["LITECODE_TUI"]
REQUIRE_ENGINE = os.environ.get("LITECODE_REQUIRE_ENGINE") == "1"
STRICT = {"docs/architecture.md", "docs/security.md", "docs/tools-and-profiles.md", "docs/troubleshooting.md",
          "docs/getting-started.md", "docs/README.md"}
RUNNABLE = {"sh", "bash", "shell", "console"}
MARKER = re.compile(r"^<!--\s*test:\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
TIMEOUT = int(os.environ.get("LC_DOCS_TIMEOUT", "600"))

results = {"pass": 0, "fail": 0, "skip": 0}


def say(kind, where, msg=""):
    results[kind] += 1
    print("%-4s %s%s" % (kind.upper(), where, (": " + msg) if msg else ""), flush=True)


def pages():
    out = ["README.md"]
    for d in ("docs", "examples/tasks"):
        full = os.path.join(SRC, d)
        if os.path.isdir(full):
            out += sorted(os.path.join(d, f) for f in os.listdir(full) if f.endswith(".md"))
    return [p for p in out if os.path.isfile(os.path.join(SRC, p))]


def blocks(text):
    """Yields (line number, info string, marker or None, body) for every fenced block."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.group(1), m.group(2), m.group(3).lower()
        start = i
        mk = MARKER.match(lines[i - 1].strip()) if i > 0 else None
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line)
            i += 1
        i += 1
        yield start + 1, info, (mk.group(1) if mk else None), "\n".join(body)


def parse_marker(text):
    opts = {"exit": 0, "contains": False, "engine": False, "local": False, "file": None, "skip": None,
            "dry": None, "messages": False}
    reason = re.search(r"\((.*)\)", text)
    head = re.sub(r"\(.*\)", "", text).split()
    for w in head:
        if w == "skip":
            opts["skip"] = reason.group(1) if reason else "no reason given"
        elif w == "dry-run":
            opts["dry"] = reason.group(1) if reason else "needs a model"
        elif w == "contains":
            opts["contains"] = True
        elif w == "engine":
            opts["engine"] = True
        elif w == "local":
            opts["local"] = True  # about this machine's own engine: says other things for one elsewhere
        elif w == "messages":
            opts["messages"] = True
        elif w.startswith("exit="):
            opts["exit"] = int(w[5:])
        elif w.startswith("file="):
            opts["file"] = w[5:]
        else:
            raise ValueError("unknown word '%s' in the test marker" % w)
    if opts["skip"] is None and opts["file"] is None and opts["dry"] is None and not opts["messages"] \
            and "exit=" not in text:
        raise ValueError("a marker says skip (REASON), dry-run (REASON), file=PATH, messages or exit=N")
    return opts


def console_commands(body):
    cmds = []
    for line in body.split("\n"):
        if line.startswith("$ "):
            cmds.append([line[2:], []])
        elif cmds:
            cmds[-1][1].append(line)
        elif line.strip():
            raise ValueError("a console block starts with a '$ ' command")
    for c in cmds:
        while c[1] and not c[1][-1].strip():
            c[1].pop()
    return cmds


class Page:
    def __init__(self, rel):
        self.rel = rel
        self.tmp = tempfile.mkdtemp(prefix="lc-docs-")
        self.work = os.path.join(self.tmp, "work")
        os.makedirs(self.work)
        shutil.copytree(os.path.join(SRC, "examples"), os.path.join(self.work, "examples"), symlinks=True)
        # Commands run "from the checkout": the rest of the tree is linked (read it only: it is the
        # source tree's); build directories and dot files are left out.
        for name in os.listdir(SRC):
            if name == "examples" or name.startswith(".") or name.startswith("build"):
                continue
            os.symlink(os.path.join(SRC, name), os.path.join(self.work, name))
        home = os.path.join(self.tmp, "home")
        os.makedirs(os.path.join(home, ".config"))
        real_home = os.path.expanduser("~")
        real_cfg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(real_home, ".config")
        # Podman reads its own settings from ~/.config/containers: keep those.
        if os.path.isdir(os.path.join(real_cfg, "containers")):
            os.symlink(os.path.join(real_cfg, "containers"), os.path.join(home, ".config", "containers"))
        # A throwaway HOME with the XDG defaults, as a new user has it: ~/.config/litecode and
        # ~/.local/state/litecode in the docs are the real paths here. The engines keep their own
        # image stores (XDG_DATA_HOME, DOCKER_CONFIG point at the real ones).
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LITECODE_", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"))
               and not k.endswith("_API_KEY")}
        env.update({
            "HOME": home,
            "XDG_DATA_HOME": os.environ.get("XDG_DATA_HOME") or os.path.join(real_home, ".local/share"),
            "DOCKER_CONFIG": os.environ.get("DOCKER_CONFIG") or os.path.join(real_home, ".docker"),
            "LITECODE_DATA_DIR": SRC, "LC_DOCS_BIN": BIN, "NO_COLOR": "1", "TERM": "dumb",
        })
        env.pop("VISUAL", None)
        env.pop("EDITOR", None)
        self.env = env

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, command):
        """Runs one shell command line; litecode-tui is a function, so `VAR=x litecode-tui` works."""
        script = 'litecode-tui() { "$LC_DOCS_BIN" "$@"; }\n' + command + "\n"
        try:
            p = subprocess.run(["bash", "-c", script], cwd=self.work, env=self.env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT)
        except subprocess.TimeoutExpired as e:
            return 124, (e.output or b"").decode("utf-8", "replace") + "\n[timed out after %d s]" % TIMEOUT
        return p.returncode, p.stdout.decode("utf-8", "replace")

    def expand(self, path):
        if path.startswith("~/"):
            path = self.env["HOME"] + path[1:]
        out = re.sub(r"\$(\w+)|\$\{(\w+)\}", lambda m: self.env.get(m.group(1) or m.group(2), ""), path)
        return out if os.path.isabs(out) else os.path.join(self.work, out)


def matches(expected, output, contains):
    out_lines = [l.rstrip() for l in output.rstrip("\n").split("\n")] if output.strip() else []
    exp = [l.rstrip() for l in expected]
    if not contains:
        return out_lines == exp
    pos = 0
    for want in exp:
        if not want.strip():
            continue
        while pos < len(out_lines) and want not in out_lines[pos]:
            pos += 1
        if pos == len(out_lines):
            return False
        pos += 1
    return True


def anchors(path):
    """GitHub's heading anchors of a Markdown file."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return set()
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    out = set()
    for m in re.finditer(r"^#{1,6}\s+(.*?)\s*$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", m.group(1).lower()).replace(" ", "-")
        out.add(slug)
    return out


def check_links(rel, text):
    bad = []
    base = os.path.dirname(os.path.join(SRC, rel))
    for m in re.finditer(r"\]\(([^)\s]+)\)", text):
        target = m.group(1)
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        full = os.path.join(base, path) if path else os.path.join(SRC, rel)
        if not os.path.exists(full):
            bad.append(target)
        elif anchor and full.endswith(".md") and anchor not in anchors(full):
            bad.append(target + " (no such heading)")
    return bad


PLACEHOLDER = re.compile(r"<[^>]*>|\$[A-Z_]+|\(\.\.\.\)|\.\.\.|\b\dxx\b|"
                         r"\b(?:M|N|NAME|URL|VAR|FILE|LINE|COL|X|Y|DIRS|TYPE|MESSAGE|KEY|IMAGE|ENGINE|COMMAND)\b")
PRINTF = re.compile(r"%[-+ #0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|z|j|t)?[diouxXcsfgeEp]")
CORPUS = None


def norm(text):
    return re.sub(r"\s+", " ", text)


def source_strings():
    """Every double-quoted string literal of src/ (C, and the kernel's Python), adjacent literals
    joined, split at printf conversions."""
    global CORPUS
    if CORPUS is not None:
        return CORPUS
    pieces = []
    for root, _, files in os.walk(os.path.join(SRC, "src")):
        for name in files:
            if not name.endswith((".c", ".h", ".py")):
                continue
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
                text = f.read()
            text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
            joined, cur, last = [], None, 0
            # String and character literals in one pass, so a '"' never starts a string.
            for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"|\'(?:[^\'\\\n]|\\.)+\'', text):
                if m.group(1) is None:
                    continue  # a character literal: not whitespace, so it also ends a run of strings
                lit = re.sub(r"\\(.)", lambda e: {"n": " ", "t": " "}.get(e.group(1), e.group(1)), m.group(1))
                if cur is not None and not text[last:m.start()].strip():
                    cur += lit
                else:
                    if cur is not None:
                        joined.append(cur)
                    cur = lit
                last = m.end()
            if cur is not None:
                joined.append(cur)
            for j in joined:
                pieces += [norm(p) for p in PRINTF.split(j)]
    CORPUS = pieces
    return CORPUS


def missing_parts(message):
    """The literal parts of a documented message that no string in src/ contains."""
    out = []
    for part in PLACEHOLDER.split(norm(message)):
        part = part.strip(" :;,'")
        if len(part) >= 4 and not any(part in piece for piece in source_strings()):
            out.append(part)
    return out


def check_messages(where, messages):
    bad = [(m, p) for m in messages for p in missing_parts(m)]
    if not messages:
        return say("fail", where, "a messages marker with no message under it")
    if bad:
        return say("fail", where, "not printed by the program (no string in src/ has it):\n" +
                   "\n".join("  '%s'  (in: %s)" % (p, m[:90]) for m, p in bad))
    return say("pass", where, "%d message(s) found in src/" % len(messages))


def marked_tables(text):
    """Yields (line number, marker, first code span of each row) for marked tables."""
    lines = text.split("\n")
    for i in range(len(lines) - 1):
        mk = MARKER.match(lines[i].strip())
        if not mk or not lines[i + 1].lstrip().startswith("|"):
            continue
        cells = []
        j = i + 3  # past the header row and the |---| row
        while j < len(lines) and lines[j].lstrip().startswith("|"):
            span = re.search(r"`([^`]+)`", lines[j])  # the row's first code span
            if span:
                cells.append(span.group(1))
            j += 1
        yield i + 2, mk.group(1), cells


ENGINE = None


def engine_ok():
    """A working engine and image, by the program's own --check (no model configured)."""
    global ENGINE
    if ENGINE is None:
        page = Page("engine-probe")
        code, out = page.run("litecode-tui --check")
        page.close()
        ENGINE = (code == 0, out.strip().split("\n")[-3:] if out.strip() else ["(no output)"])
    return ENGINE


def run_block(page, where, opts, info, body):
    if opts["file"]:
        path = page.expand(opts["file"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(body + "\n")
        return say("pass", where, "wrote " + opts["file"])
    elsewhere = [v for v in ("DOCKER_HOST", "CONTAINER_HOST") if os.environ.get(v)
                 and os.environ.get(v) != "unix:///var/run/docker.sock"]
    if opts["local"] and elsewhere:
        return say("skip", where, "about this machine's engine; %s points elsewhere" % elsewhere[0])
    if opts["engine"]:
        ok, why = engine_ok()
        if not ok:
            if REQUIRE_ENGINE:
                return say("fail", where, "needs a container engine, and --check failed: " + " | ".join(why))
            return say("skip", where, "needs a container engine and image (litecode-tui --check fails)")
    if info != "console":
        code, out = page.run(body)
        if code != opts["exit"]:
            return say("fail", where, "exit %d, expected %d; output:\n%s" % (code, opts["exit"], out))
        return say("pass", where)
    cmds = console_commands(body)
    if not cmds:
        raise ValueError("a console block without a '$ ' command")
    for n, (cmd, expected) in enumerate(cmds):
        code, out = page.run(cmd)
        want = opts["exit"] if n == len(cmds) - 1 else 0
        if code != want:
            return say("fail", where, "`%s` exited %d, expected %d; output:\n%s" % (cmd, code, want, out))
        if not matches(expected, out, opts["contains"]):
            return say("fail", where, "`%s` printed something else.\n--- expected%s:\n%s\n--- got:\n%s"
                       % (cmd, " (these lines, in order)" if opts["contains"] else "", "\n".join(expected), out))
    return say("pass", where)


def dry_run(page, where, info, body):
    cmds = [c for c, _ in console_commands(body)] if info == "console" else \
        [l for l in body.split("\n") if l.strip() and not l.lstrip().startswith("#")]
    for cmd in cmds:
        for d in re.findall(r"--dir\s+(\S+)", cmd):
            if not os.path.isdir(page.expand(d)):
                return say("fail", where, "--dir %s is not a directory" % d)
        code, out = page.run(cmd + " --print-config")
        if code != 0:
            return say("fail", where, "`%s --print-config` exited %d:\n%s" % (cmd, code, out))
    return say("pass", where, "command line checked with --print-config")


def main():
    for rel in pages():
        with open(os.path.join(SRC, rel), encoding="utf-8") as f:
            text = f.read()
        found = list(blocks(text))
        strict = rel in STRICT or rel.startswith("examples/tasks/") or any(mk for _, _, mk, _ in found)
        if strict:
            for target in check_links(rel, text):
                say("fail", rel, "broken link: " + target)
        for line, mk, cells in marked_tables(text):
            where = "%s:%d" % (rel, line)
            try:
                if not parse_marker(mk)["messages"]:
                    raise ValueError("only a messages marker can stand before a table")
                check_messages(where, cells)
            except ValueError as e:
                say("fail", where, str(e))
        page = None
        try:
            for line, info, mk, body in found:
                where = "%s:%d" % (rel, line)
                if mk is None:
                    if info in RUNNABLE:
                        if strict:
                            say("fail", where, "a ```%s block without a <!-- test: ... --> marker" % info)
                        else:
                            print("NOTE %s: a ```%s block without a test marker (not run)" % (where, info))
                    continue
                try:
                    opts = parse_marker(mk)
                    if opts["skip"] is not None:
                        say("skip", where, opts["skip"])
                        continue
                    if opts["messages"]:
                        check_messages(where, [body])
                        continue
                    if page is None:
                        page = Page(rel)
                    if opts["dry"] is not None:
                        dry_run(page, where, info, body)
                    elif opts["file"] or info in RUNNABLE:
                        run_block(page, where, opts, info, body)
                    else:
                        say("fail", where, "an exit= marker on a ```%s block (only sh, bash, console run)" % info)
                except ValueError as e:
                    say("fail", where, str(e))
        finally:
            if page:
                page.close()
    print("docs examples: %(pass)d passed, %(fail)d failed, %(skip)d skipped" % results)
    return 1 if results["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
