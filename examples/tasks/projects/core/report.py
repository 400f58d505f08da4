"""Builds the nightly report. It is slow on large inputs."""
import re


def dedupe(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def count_errors(lines):
    n = 0
    for line in lines:
        if re.compile(r"\bERROR\b").search(line):
            n += 1
    return n


def render(rows):
    text = ""
    for row in rows:
        text += ",".join(str(c) for c in row) + "\n"
    return text


def common_ids(a, b):
    return [x for x in a if x in b]


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
