#!/usr/bin/env python3
"""Key to screen through tmux, timed from one tmux control-mode client (used by ui_tmux_latency.sh).

    tmux_keys.py SOCKET TARGET COUNT

Presses Tab COUNT times in TARGET and, after each press, reads tmux's screen until the focus marker of
litecode-tui's panes ("> Conversation", "> Code", ...) has moved; prints one time in microseconds a line.
Keys go in and the screen comes out through the same control client (`tmux -C`), so a round trip costs
no process start: a `tmux send-keys` plus `tmux capture-pane | grep` per poll (the first version of this
benchmark) took 16 ms median and 32-39 ms at worst on this machine with nothing streaming, more than
the 20 ms to be shown. What is timed is still the whole way: tmux's key to the program's pty, the
program's frame, tmux parsing it into its screen.
"""
import os
import re
import select
import subprocess
import sys
import time

MARK = re.compile(rb"> (Conversation|Code|Output|Diffs)")


class Control:
    def __init__(self, sock, target):
        # -f no-output: no %output notifications, or a streaming pane would flood this client.
        self.p = subprocess.Popen(["tmux", "-L", sock, "-f", "/dev/null", "-C", "attach", "-f", "no-output",
                                   "-t", target], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.fd = self.p.stdout.fileno()
        self.buf = b""
        self.block()  # the attach's own reply

    def readline(self):
        """The next line from tmux; a reply that does not come in 10 s ends the benchmark (a hang
        here would otherwise stall scripts/bench.sh)."""
        end = time.monotonic() + 10
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise SystemExit("tmux_keys: no answer from the tmux control client in 10 s")
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise SystemExit("tmux_keys: the tmux control client ended")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def block(self):
        """Lines of the next %begin..%end reply; notifications in between are skipped."""
        line = self.readline()
        while not line.startswith(b"%begin"):
            line = self.readline()
        tag = line.split()[1:3]  # time and number: a pane line starting "%end" is not the end
        body = []
        while True:
            line = self.readline()
            if line.startswith(b"%end") and line.split()[1:3] == tag:
                return body
            if line.startswith(b"%error") and line.split()[1:3] == tag:
                raise SystemExit("tmux_keys: tmux said: " + b" ".join(body).decode(errors="replace"))
            body.append(line)

    def cmd(self, text):
        self.p.stdin.write(text.encode() + b"\n")
        return self.block()

    def mark(self, target):
        for line in self.cmd("capture-pane -p -t " + target):
            m = MARK.search(line)
            if m:
                return m.group(0)
        return None


def main():
    sock, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    c = Control(sock, target)
    for _ in range(count):
        before = c.mark(target)
        t0 = time.perf_counter()
        c.cmd("send-keys -t " + target + " Tab")
        while c.mark(target) == before and time.perf_counter() - t0 < 3:
            pass
        print(int((time.perf_counter() - t0) * 1e6), flush=True)
        time.sleep(0.1)
    c.p.stdin.close()
    c.p.wait()


if __name__ == "__main__":
    main()
