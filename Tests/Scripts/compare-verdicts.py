#!/usr/bin/env python3
"""Compares the per-record verdicts of two otter-cert report.json files (docs/report.schema.json).

Usage: Tests/Scripts/compare-verdicts.py [--all] A.json B.json

Prints one line per record whose status differs (id, A's status, B's status, B's reason, then A's reason), or
every record with --all, and a summary line. Exit status: 0 when every record has the same status in both,
1 when any differs (or a record is in only one of them), 2 when a file is not a report.
"""
import json
import sys


def load(path):
    try:
        with open(path, encoding="utf-8-sig") as f:
            report = json.load(f)
        records = report["records"]
        return report, {r["id"]: r for r in records}, [r["id"] for r in records]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"{path}: not an otter-cert report.json ({e})", file=sys.stderr)
        sys.exit(2)


def main(argv):
    show_all = "--all" in argv
    args = [a for a in argv if a != "--all"]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    (ra, a, order_a), (rb, b, order_b) = load(args[0]), load(args[1])
    if ra.get("integrationType") != rb.get("integrationType"):
        print(f"note: {args[0]} is {ra.get('integrationType')}, {args[1]} is {rb.get('integrationType')}")
    ids = order_a + [i for i in order_b if i not in a]
    differ = 0
    width = max((len(i) for i in ids), default=6)
    print(f"{'record':<{width}}  {'A':<8}  {'B':<8}  B's reason | A's reason")
    for i in ids:
        sa = a[i]["status"] if i in a else "absent"
        sb = b[i]["status"] if i in b else "absent"
        same = sa == sb
        if not same:
            differ += 1
        if same and not show_all:
            continue
        mark = " " if same else "≠"
        reason_b = b[i].get("reason", "") if i in b else ""
        reason_a = a[i].get("reason", "") if i in a else ""
        print(f"{i:<{width}}{mark} {sa:<8}  {sb:<8}  {reason_b} | {reason_a}")
    print(f"{differ} of {len(ids)} records differ in status ({args[0]} vs {args[1]})")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
