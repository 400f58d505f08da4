"""Writes session.jsonl: the recorded model side of the bundled demo.

litecode-tui replays these replies (model `replay:examples/demo/session.jsonl`)
when no model is configured; the code in them runs for real in the sandbox,
on a shadow copy of examples/demo/project. Run: python3 make_session.py
"""
import json

TASK = "Two tests in test_inventory.py fail. Find the bugs in inventory.py and fix them."

REPLIES = [
    """Thought: I will look at the project first: which files there are, and the module under test.
```python
for path in search_files("*.py"):
    print(path)
print(open("inventory.py").read())
```""",
    """Thought: Let me run the tests to see exactly what fails.
```python
import os
print(os.popen("python3 -m unittest -v 2>&1").read())
```""",
    """Thought: Both failures are in inventory.py. `total_value` adds price and quantity instead of
multiplying them, and `low_stock` uses `<=` where the docstring says "fewer than". I will fix both
lines and run the tests again.
```python
source = open("inventory.py").read()
source = source.replace('total += item["price"] + item["quantity"]',
                        'total += item["price"] * item["quantity"]')
source = source.replace('if item["quantity"] <= threshold]',
                        'if item["quantity"] < threshold]')
open("inventory.py", "w").write(source)
print(os.popen("python3 -m unittest -v 2>&1").read())
```""",
    """Thought: All three tests pass now. Review the two changed lines in the diff pane and apply them.
```python
final_answer("Fixed two bugs in inventory.py: total_value multiplied nothing (price + quantity "
             "became price * quantity), and low_stock counted items at the threshold as low "
             "(<= became <). All 3 tests pass in the sandbox.")
```""",
]


def main():
    events = [
        {"v": 1, "ts": "2026-11-22T00:00:00Z", "kind": "header", "step": 0,
         "version": "0.1.0", "note": "recorded demo session (model side only)"},
        {"v": 1, "ts": "2026-11-22T00:00:00Z", "kind": "task", "step": 0, "text": TASK},
    ]
    for i, content in enumerate(REPLIES, 1):
        events.append({"v": 1, "ts": "2026-11-22T00:00:%02dZ" % i, "kind": "model_reply", "step": i,
                       "content": content, "finish_reason": "stop"})
    with open("session.jsonl", "w") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")


if __name__ == "__main__":
    main()
