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
import re
import subprocess
import sys
import time

MARK = re.compile(rb"> (Conversation|Code|Output|Diffs)")


class Control:
    def __init__(self, sock, target):
        self.p = subprocess.Popen(["tmux", "-L", sock, "-f", "/dev/null", "-C", "attach", "-t", target],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.out = self.p.stdout
        self.block()  # the attach's own reply
        # No %output notifications: a streaming pane would flood this client with them.
        self.cmd("refresh-client -f no-output")

    def block(self):
        """Lines of the next %begin..%end reply; notifications in between are skipped."""
        while True:
            line = self.out.readline()
            if not line:
                raise SystemExit("tmux_keys: the tmux control client ended")
            if line.startswith(b"%begin"):
                break
        body = []
        while True:
            line = self.out.readline()
            if not line:
                raise SystemExit("tmux_keys: the tmux control client ended")
            if line.startswith(b"%end") or line.startswith(b"%error"):
                if line.startswith(b"%error"):
                    raise SystemExit("tmux_keys: tmux said: " + b"".join(body).decode(errors="replace"))
                return body
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
