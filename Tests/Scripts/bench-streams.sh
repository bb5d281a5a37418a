#!/usr/bin/env bash
# Benchmark of the input side (release build): `otter-cert observe` on a generated ~300 MB HAR capture (from a file and
# piped in) against `jq empty` on the same file, and on one 60 MiB log line from a file and from a pipe against
# `cat | wc -l` and `cat | jq empty`. Prints each run's wall time, CPU time and peak RSS, and the medians of 3.
# Usage: Tests/Scripts/bench-streams.sh [copies]   (default 2350 copies of the delivery capture: about 300 MB)
set -uo pipefail
cd "$(dirname "$0")/../.."
copies=${1:-2350}
swift build -c release --product otter-cert >/dev/null
bin=$PWD/.build/release/otter-cert
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
Tests/Scripts/make-big-har.py "$work/big.har" "$copies"
python3 - "$work/long.jsonl" <<'PY'
import json, sys
lines = [l for l in open("Fixtures/logs/delivery/pass.jsonl") if l.strip()]
e = json.loads(lines[32])
e["request"]["body"] = json.dumps({"pad": "x" * (60 << 20)})
open(sys.argv[1], "w").write(json.dumps(e, separators=(",", ":")) + "\n")
PY
echo "HAR: $(($(stat -c %s "$work/big.har") / 1000000)) MB; long line: $(($(stat -c %s "$work/long.jsonl") >> 20)) MiB"
run() {  # name command...: 3 runs, then the medians
  local name=$1; shift
  local walls=() cpus=() rss=()
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %U %S %M" -o "$work/t" bash -c "$*" >/dev/null 2>&1
    read -r w u s m < <(tail -1 "$work/t")
    walls+=("$w"); cpus+=("$(python3 -c "print('%.2f' % ($u + $s))")"); rss+=("$m")
  done
  med() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
  printf '%-22s wall %s s (median %s)  cpu median %s s  peak RSS %s MB\n' "$name" "${walls[*]}" "$(med "${walls[@]}")" \
    "$(med "${cpus[@]}")" "$(( $(printf '%s\n' "${rss[@]}" | sort -n | tail -1) / 1024 ))"
}
run "observe HAR file" "$bin observe --type delivery --log $work/big.har --quiet"
run "observe HAR stdin" "cat $work/big.har | $bin observe --type delivery --log - --quiet"
run "jq empty HAR" "jq empty $work/big.har"
run "observe line file" "$bin observe --type delivery --log $work/long.jsonl --quiet"
run "observe line pipe" "cat $work/long.jsonl | $bin observe --type delivery --log - --quiet"
run "cat | wc -l" "cat $work/long.jsonl | wc -l"
run "cat | jq empty" "cat $work/long.jsonl | jq empty"
