#!/usr/bin/env bash
# Benchmark: a live run (`otter-cert demo`, the sample partner answering at once) against the sum of the waits its
# checklist declares (quiet windows, duplicate windows, Retry-After of injected faults), one record after another
# (--parallel 1) and side by side (the default), in alternating pairs. Prints the medians and the ratios.
# Usage: Tests/Scripts/bench-run.sh [pairs (default 3)] [types (default: delivery pos orders)]
set -euo pipefail
cd "$(dirname "$0")/../.."
pairs=${1:-3}
shift || true
types=${*:-delivery pos orders}
swift build -c release --product otter-cert >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$pairs" "$work" $types <<'PY'
import json, statistics, subprocess, sys, time
pairs, work, types = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
binary = ".build/release/otter-cert"

def declared_waits(record):
    """The longest wait a record declares: its windows run at once, its faults' Retry-After one after another."""
    windows = [0.0]
    def walk(e):
        for k in ("windowSeconds", "countWindowSeconds"):
            if k in e: windows.append(float(e[k]))
        for sub in e.get("of", []): walk(sub)
    for e in record["expect"]: walk(e)
    retry = sum(float((f.get("headers") or {}).get("Retry-After", 0)) * f.get("times", 1) for f in record.get("faults", []))
    return max(windows) + retry

def run(kind, args):
    t = time.perf_counter()
    r = subprocess.run([binary, "demo", "--type", kind, "--quiet", "--report-dir", f"{work}/{kind}"] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    took = time.perf_counter() - t
    if r.returncode != 0 or "CERTIFIED:" not in r.stdout:
        sys.exit(f"demo --type {kind} {' '.join(args)} did not certify (exit {r.returncode}):\n{r.stdout}")
    return took

print(f"{'type':9} {'declared waits':>14} {'--parallel 1':>13} {'default':>9} {'default/waits':>14} {'p1/waits':>9} {'default/p1':>11}")
for kind in types:
    checklist = json.load(open(f"checklists/{kind}.json"))
    waits = sum(declared_waits(r) for r in checklist["records"])
    one, side = [], []
    for _ in range(pairs):
        one.append(run(kind, ["--parallel", "1"]))
        side.append(run(kind, []))
    m1, m2 = statistics.median(one), statistics.median(side)
    print(f"{kind:9} {waits:13.1f}s {m1:12.2f}s {m2:8.2f}s {m2 / waits:14.2f} {m1 / waits:9.2f} {m2 / m1:11.2f}")
    print(f"{'':9} runs: --parallel 1 {', '.join('%.2f' % x for x in one)}; default {', '.join('%.2f' % x for x in side)}")
PY
