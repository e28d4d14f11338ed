#!/usr/bin/env python3
"""votecheck.py - no validator signed two different votes.

Reads the JSON lines of `emberd inspect-wal` (every proposal and vote a
validator signed or received, from any number of consensus WALs) on
stdin.  Two votes of one validator for one (height, round, type) with
different values (a block id, or nil) are a double sign; so are two
proposals of one validator for one (height, round) with different
values.  Prints each conflict and exits 1 if there is one; else prints
how many signed messages it checked and exits 0.
"""
import json
import sys


def main():
    seen = {}
    conflicts = 0
    n = 0
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        if r["kind"] == "vote":
            key = ("vote", r["validator"], r["height"], r["round"], r["type"])
            val = "nil" if r["nil"] else r["value"]
        elif r["kind"] == "proposal":
            key = ("proposal", r["proposer"], r["height"], r["round"])
            val = r["value"]
        else:
            continue
        n += 1
        old = seen.setdefault(key, val)
        if old != val:
            conflicts += 1
            print("double sign: %s %s by validator %s at height %s round %s: %s and %s"
                  % (key[0], key[4] if key[0] == "vote" else "", key[1], key[2],
                     key[3], old, val))
    if conflicts:
        return 1
    print("%d signed messages, no validator signed two different ones" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
