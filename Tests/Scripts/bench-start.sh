#!/usr/bin/env bash
# Cold start of otter-cert against `curl --version` (a small C program that loads libcurl and OpenSSL too):
# `otter-cert checklist list` and `otter-cert observe --type delivery --log Fixtures/logs/delivery/pass.jsonl --quiet`
# (39 lines), and `otter-cert --version` (what starting the program costs), each run alternately with
# `curl --version`, PAIRS pairs (default 21; the order inside a pair alternates, after one warm-up run of each):
# wall time of the whole process (time.perf_counter around the child), medians and ratios, and below each line the
# medians of its CPU time (user + system, from wait4), which other load on the machine disturbs less. Release build
# with the Swift runtime linked in statically, as .ci/release builds the archive users install (STATIC=0: the plain
# `swift build -c release`, which loads libswiftCore and Foundation as shared libraries, the form `swift run` gives).
# With REF_BIN=path/to/an/older/otter-cert, that binary is run in the same pairs too, and its ratios are printed beside.
# Usage: Tests/Scripts/bench-start.sh [PAIRS]     (BIN=… to time a given binary instead of building)
# Issue 12's targets: checklist list <= 1.5x curl --version, observe on a 40-line log <= 2x.
set -euo pipefail
cd "$(dirname "$0")/../.."
PAIRS="${1:-21}"
if [ -z "${BIN:-}" ]; then
  flags=(-c release)
  [ "${STATIC:-1}" = 0 ] || flags+=(--static-swift-stdlib)
  swift build "${flags[@]}" --product otter-cert >/dev/null
  BIN=$(swift build "${flags[@]}" --show-bin-path)/otter-cert
fi
command -v curl >/dev/null || { echo "bench-start: needs curl" >&2; exit 3; }

python3 - "$PAIRS" "$BIN" "${REF_BIN:-}" <<'PY'
import os, statistics, subprocess, sys, time

pairs, binary, ref = int(sys.argv[1]), sys.argv[2], sys.argv[3]
log = "Fixtures/logs/delivery/pass.jsonl"
env = dict(os.environ, NO_COLOR="1")
env.pop("OTTER_CERT_WEBHOOK_SECRET", None)
curl = ["curl", "--version"]

def cases(b):
    return {"--version": [b, "--version"],  # the floor: loading the program, no data file read
            "checklist list": [b, "checklist", "list"],
            "observe (39 lines)": [b, "observe", "--type", "delivery", "--log", log, "--quiet"]}

def once(argv):
    """Wall time of the whole process, and its CPU time (user + system, from wait4), in seconds."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    d = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 1):
        sys.exit(f"bench-start: {' '.join(argv)} exited {p.returncode}")
    return d, usage.ru_utime + usage.ru_stime

print(f"{pairs} alternating pairs per command, wall time in ms (median), {os.cpu_count()} CPUs; binary {binary}"
      + (f", reference {ref}" if ref else ""))
for name in cases(binary):
    runs = {"curl": [], "new": [], "ref": []}
    cpu = {"curl": [], "new": [], "ref": []}
    programs = [("new", cases(binary)[name])] + ([("ref", cases(ref)[name])] if ref else [])
    for argv in [curl] + [p for _, p in programs]:
        once(argv)  # warm the page cache
    for i in range(pairs):
        order = [("curl", curl)] + programs
        if i % 2:
            order.reverse()
        for key, argv in order:
            w, c = once(argv)
            runs[key].append(w)
            cpu[key].append(c)
    m = {k: statistics.median(v) * 1000 for k, v in runs.items() if v}
    c = {k: statistics.median(v) * 1000 for k, v in cpu.items() if v}
    line = f"{name:20} otter-cert {m['new']:6.1f}  curl --version {m['curl']:5.1f}  ratio {m['new'] / m['curl']:.2f}x"
    if ref:
        line += f"   | reference {m['ref']:6.1f} ({m['ref'] / m['curl']:.2f}x), new/reference {m['new'] / m['ref']:.2f}"
    print(line)
    line = f"{'':20} cpu        {c['new']:6.1f}  cpu            {c['curl']:5.1f}  ratio {c['new'] / c['curl']:.2f}x"
    if ref:
        line += f"   | reference {c['ref']:6.1f} ({c['ref'] / c['curl']:.2f}x), new/reference {c['new'] / c['ref']:.2f}"
    print(line)
PY
