#!/usr/bin/env bash
# Benchmark `otter-cert onboarding`: two weeks of 6 busy locations (a few hundred thousand exchanges),
# release build, wall time (median of 3) and peak RSS.
# Usage: Tests/Scripts/bench-onboarding.sh [orders-per-location-per-day (default 1500)]
set -euo pipefail
cd "$(dirname "$0")/../.."
ORDERS="${1:-1500}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/bench-onboarding.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

swift build -c release --product otter-cert >/dev/null
BIN=.build/release/otter-cert

python3 - "$WORK/logs" "$ORDERS" <<'PY'
import json, os, sys
out, orders = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
base = 1772409600  # 2026-03-02T00:00:00Z
def ts(t):
    s = int(t); ms = int(round((t - s) * 1000))
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%03dZ" % ms
total = 0
for st in range(6):
    store = "store-%d" % (st + 1)
    seq = 0
    with open(os.path.join(out, store + ".jsonl"), "w") as f:
        for day in range(14):
            for k in range(orders):
                t = base + day * 86400 + 8 * 3600 + k * (14 * 3600 / orders)
                eid = "%08x-0000-4000-8000-%012x" % (st, day * 100000 + k)
                body = json.dumps({"eventId": eid, "eventTime": ts(t), "eventType": "orders.new_order",
                                   "metadata": {"storeId": store, "applicationId": "app-1", "resourceId": eid,
                                                "payload": {"status": "NEW_ORDER", "currencyCode": "USD",
                                                            "items": [{"id": "item-%d" % (k % 40), "quantity": 1 + k % 3, "price": 9.5}]}}},
                                  separators=(",", ":"))
                seq += 1
                f.write(json.dumps({"v": 1, "seq": seq, "dir": "otter->partner", "kind": "webhook", "startedAt": ts(t), "durationMs": 18.5,
                                    "request": {"method": "POST", "url": "https://partner.example/webhook",
                                                "headers": [["Content-Type", "application/json"], ["X-HMAC-SHA256", "c2lnbmF0dXJl"]], "body": body},
                                    "response": {"status": 200, "headers": [], "body": ""}}, separators=(",", ":")) + "\n")
                total += 1
                if st == 3 and day == 9 and k == 7:
                    continue  # one order never injected: an incident at store-4 on day 10
                seq += 1
                f.write(json.dumps({"v": 1, "seq": seq, "dir": "partner->otter", "kind": "callback", "startedAt": ts(t + 1.5), "durationMs": 40,
                                    "request": {"method": "POST", "url": "https://api.example/manager/order/v1/orders/order-created",
                                                "headers": [["Authorization", "Bearer <redacted:0123456789ab>"], ["X-Store-Id", store], ["X-Event-Id", eid]],
                                                "body": "{\"orderId\":\"%s\"}" % eid},
                                    "response": {"status": 200, "headers": [], "body": "{}"}}, separators=(",", ":")) + "\n")
                total += 1
print(total, file=open(os.path.join(os.path.dirname(out), "count"), "w"))
PY
COUNT=$(cat "$WORK/count")
SIZE=$(du -sh "$WORK/logs" | cut -f1)
echo "logs: $COUNT exchanges, 6 locations, 14 days, $SIZE"

times=()
rss=""
for i in 1 2 3; do
  start=$(date +%s.%N)
  if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then
    /usr/bin/time -v "$BIN" onboarding --logs "$WORK/logs" --phase early --report-dir "$WORK/report" >"$WORK/out.txt" 2>"$WORK/time.txt" || true
    r=$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}')
  else
    "$BIN" onboarding --logs "$WORK/logs" --phase early --report-dir "$WORK/report" >"$WORK/out.txt" 2>/dev/null &
    pid=$!
    r=0
    while kill -0 "$pid" 2>/dev/null; do
      v=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      [ -n "$v" ] && [ "$v" -gt "$r" ] && r=$v
      sleep 0.05
    done
    wait "$pid" || true
  fi
  end=$(date +%s.%N)
  times+=("$(echo "$end - $start" | bc)")
  rss="$rss $r"
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
maxrss=$(printf '%s\n' $rss | sort -n | tail -1)
grep -E "^Phase|streak:|Exit criterion|Read " "$WORK/out.txt" || true
echo "wall time (median of 3): ${median} s   [runs: ${times[*]}]"
echo "peak RSS: ${maxrss} KiB"
