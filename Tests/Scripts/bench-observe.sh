#!/usr/bin/env bash
# Benchmark: `otter-cert observe` on a generated 1,000,000-line event log (release build).
# Prints the log size, wall time and throughput (median of 3 runs) and peak RSS (max of the 3).
# Usage: Tests/Scripts/bench-observe.sh [lines]   (default 1000000)
set -uo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-1000000}
swift build -c release --product otter-cert >/dev/null
bin=.build/release/otter-cert
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$work/events.jsonl"
python3 - "$lines" "$log" <<'PY'
import json, sys, datetime
n, out = int(sys.argv[1]), sys.argv[2]
base = [l for l in open("Fixtures/logs/delivery/pass.jsonl")]
t0 = datetime.datetime(2026, 11, 29, 10, 5, 0, tzinfo=datetime.timezone.utc)  # inside the token's hour
ping = json.loads(next(l for l in base if "ping.ping" in l))
status = json.loads(next(l for l in base if '"PUT"' in l))
with open(out, "w") as f:
    f.writelines(base)
    for i in range(n - len(base)):
        t = t0 + datetime.timedelta(milliseconds=3 * i)
        e = dict(ping if i % 2 == 0 else status)
        for k in ("record", "step"): e.pop(k, None)
        e["seq"] = len(base) + i + 1
        e["startedAt"] = t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
        if i % 2 == 0:
            req = dict(e["request"]); body = json.loads(req["body"]); body["eventId"] = "bench-%d" % i
            req["body"] = json.dumps(body, separators=(",", ":")); e["request"] = req
        else:
            req = dict(e["request"]); req["url"] = req["url"].rsplit("/", 2)[0] + "/bench-%d/status" % i; e["request"] = req
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
PY
size=$(stat -c %s "$log")
echo "log: $(wc -l < "$log") lines, $((size / 1000000)) MB"
times=(); rss=()
for i in 1 2 3; do
  out=$( { /usr/bin/time -f "%e %M" "$bin" observe --type delivery --log "$log" --quiet >"$work/verdict"; } 2>&1 | tail -1 )
  times+=("${out% *}"); rss+=("${out#* }")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
peak=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
echo "wall: ${times[*]} s (median $median s)"
python3 -c "print('throughput: %.1f MB/s (median run)' % ($size / 1e6 / $median))"
echo "peak RSS: $((peak / 1024)) MB"
echo "verdict: $(cat "$work/verdict")"
