#!/usr/bin/env python3
"""Scan a live process's writable memory for byte strings (UTF-8 and UTF-16LE).

Usage: memscan.py PID NEEDLE [NEEDLE ...]
Prints a JSON object {needle: number_of_hits}. Needs root (reads /proc/PID/mem).
Used by tests to prove that a relay never holds the plaintext it forwards.
"""
import json
import re
import sys


def main() -> None:
    pid = int(sys.argv[1])
    needles = sys.argv[2:]
    patterns = {n: [n.encode("utf-8"), n.encode("utf-16-le")] for n in needles}
    hits = {n: 0 for n in needles}
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            if not m or "r" not in m.group(3) or "w" not in m.group(3):
                continue
            start, end = int(m.group(1), 16), int(m.group(2), 16)
            if end - start > 1 << 31:
                continue
            try:
                mem.seek(start)
                chunk = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            for n, pats in patterns.items():
                for p in pats:
                    hits[n] += chunk.count(p)
    print(json.dumps(hits))


if __name__ == "__main__":
    main()
