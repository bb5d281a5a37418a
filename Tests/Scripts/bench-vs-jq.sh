#!/usr/bin/env bash
# Benchmark the evaluator against `jq empty` (which only parses) on the same generated files, release build.
#
#   observe-1m   `observe --type delivery` on a 1,000,000-line log: the recorded delivery run, then untagged
#                ping webhooks and PUT status callbacks alternating (the README's long-standing 1 M-line benchmark);
#   observe-mix  `observe --type delivery` on a ~200 MB realistic mix built from Fixtures/logs/delivery/pass.jsonl:
#                per delivery a request_quote webhook and its POST quotes callback, an accept webhook and its POST
#                accept callback, then five PUT status callbacks, each delivery with its own ids, untagged;
#   onboarding   `onboarding --phase early` on 60 locations x 14 days (150 orders a location a day, 252,000 exchanges).
#
# Each runs in alternating pairs (otter-cert, jq, otter-cert, jq, ...) and prints every time, the medians, the
# ratio of the medians (otter-cert / jq; below 1 is faster than jq parsing the same bytes) and the peak RSS of each
# (/usr/bin/time -f %M, the largest of the runs). Nothing is asserted: this prints figures to compare.
#
# Usage: Tests/Scripts/bench-vs-jq.sh [observe-1m|observe-mix|onboarding|all|generate]...   (default: all;
# generate only writes the files, into BENCH_DIR)
# Environment: PAIRS (default 3); BENCH_DIR keeps the generated files between runs (default: a temporary folder,
# removed); BIN the otter-cert binary (default: build .build/release/otter-cert); REF_BIN another otter-cert binary
# (say, a build from before a change) run in the same alternation, printed as its own column with its ratio to BIN;
# LINES (default 1000000), MIX_MB (default 200), LOCATIONS (default 60), ORDERS (default 150).
set -uo pipefail
cd "$(dirname "$0")/../.."
PAIRS=${PAIRS:-3}
LINES=${LINES:-1000000}
MIX_MB=${MIX_MB:-200}
LOCATIONS=${LOCATIONS:-60}
ORDERS=${ORDERS:-150}
command -v jq >/dev/null || { echo "bench-vs-jq: jq is needed (apt-get install jq)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-vs-jq: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
if [ -z "${BIN:-}" ] && [ "$*" != generate ]; then
  swift build -c release --product otter-cert >/dev/null || exit 3
  BIN=.build/release/otter-cert
fi
if [ -n "${BENCH_DIR:-}" ]; then work=$BENCH_DIR; mkdir -p "$work"; else work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
modes=("$@"); [ ${#modes[@]} -eq 0 ] && modes=(all)
[ "${modes[*]}" = all ] && modes=(observe-1m observe-mix onboarding)

gen_1m() {
  [ -s "$work/observe-1m.jsonl" ] && return
  python3 - "$LINES" "$work/observe-1m.jsonl" <<'PY'
import json, sys, datetime
n, out = int(sys.argv[1]), sys.argv[2]
base = [l for l in open("Fixtures/logs/delivery/pass.jsonl")]
t0 = datetime.datetime(2026, 11, 29, 10, 5, 0, tzinfo=datetime.timezone.utc)  # inside the token's hour
ping = json.loads(next(l for l in base if "ping.ping" in l))
status = json.loads(next(l for l in base if '"PUT"' in l))
with open(out + ".tmp", "w") as f:
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
import os; os.rename(out + ".tmp", out)
PY
}

gen_mix() {
  [ -s "$work/observe-mix.jsonl" ] && return
  python3 - "$MIX_MB" "$work/observe-mix.jsonl" <<'PY'
import json, sys, datetime, os
limit, out = int(sys.argv[1]) * 1000000, sys.argv[2]
base = [json.loads(l) for l in open("Fixtures/logs/delivery/pass.jsonl")]
def pick(pred): return next(e for e in base if pred(e))
def body(e): return e["request"]["body"]
def ref(e): return json.loads(body(e))["metadata"]["payload"]["deliveryReferenceId"]
# One delivery of the recorded run, quoted; one accepted and then moved through its statuses.
statuses = [e for e in base if e["kind"] == "callback" and e["request"]["method"] == "PUT"][:5]
moved = statuses[0]["request"]["url"].rsplit("/", 2)[1]
quote_cb = pick(lambda e: e["kind"] == "callback" and e["request"]["url"].endswith("/quotes"))
quoted = quote_cb["request"]["url"].rsplit("/", 2)[1]
quote_wh = pick(lambda e: e["kind"] == "webhook" and "delivery.request_quote" in body(e) and ref(e) == quoted)
accept_wh = pick(lambda e: e["kind"] == "webhook" and '"delivery.accept"' in body(e) and ref(e) == moved)
accept_cb = pick(lambda e: e["kind"] == "callback" and e["request"]["url"].endswith(moved + "/accept"))
def evid(e): return json.loads(body(e))["eventId"]
# Templates: the lines without their record tags, as text, with the ids and times they hold to be replaced.
def text(e):
    e = dict(e); e.pop("record", None); e.pop("step", None); e["seq"] = 0
    return json.dumps(e, separators=(",", ":"))
group = [(text(quote_wh), ref(quote_wh), evid(quote_wh)), (text(quote_cb), ref(quote_wh), evid(quote_wh)),
         (text(accept_wh), ref(accept_wh), evid(accept_wh)), (text(accept_cb), ref(accept_wh), evid(accept_wh))]
group += [(text(s), ref(accept_wh), None) for s in statuses]
t0 = datetime.datetime(2026, 11, 29, 10, 5, 0, tzinfo=datetime.timezone.utc)  # inside the token's hour
def stamp(t): return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
size, seq, k = 0, 0, 0
with open(out + ".tmp", "w") as f:
    for e in base:
        line = json.dumps(e, separators=(",", ":")) + "\n"; f.write(line); size += len(line); seq += 1
    while size < limit:
        d = "%08x-b3c4-4d5e-8f60-%012x" % (k, k * 7919)
        start = t0 + datetime.timedelta(milliseconds=130 * k)
        for j, (tpl, old_ref, old_ev) in enumerate(group):
            seq += 1
            t = start + datetime.timedelta(milliseconds=10 * j)
            line = tpl.replace(old_ref, d).replace('"seq":0', '"seq":%d' % seq)
            if old_ev: line = line.replace(old_ev, "e%07d-%d-4a4a-8b8b-%012x" % (k, j // 2, k))
            e = json.loads(line); e["startedAt"] = stamp(t)
            line = json.dumps(e, separators=(",", ":")) + "\n"
            f.write(line); size += len(line)
        k += 1
os.rename(out + ".tmp", out)
PY
}

gen_onboarding() {
  [ -s "$work/onboarding/count" ] && return
  python3 - "$work/onboarding" "$LOCATIONS" "$ORDERS" <<'PY'
import json, os, sys, time
out, locations, orders = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out, exist_ok=True)
base = 1772409600  # 2026-03-02T00:00:00Z
def ts(t):
    s = int(t); ms = int(round((t - s) * 1000))
    if ms == 1000: s, ms = s + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%03dZ" % ms
total = 0
for st in range(locations):
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
print(total, file=open(os.path.join(out, "count"), "w"))
PY
}

# timed LABEL CMD...: runs CMD once, appends "seconds kib" to $work/LABEL.times (output to $work/LABEL.out).
timed() {
  local label=$1; shift
  /usr/bin/time -o "$work/$label.time" -f "%e %M" "$@" >"$work/$label.out" 2>/dev/null
  tail -1 "$work/$label.time" >>"$work/$label.times"
}

# summary LABEL...: medians, ratios to the last label (jq), peak RSS.
summary() {
  python3 - "$work" "$@" <<'PY'
import sys, statistics
work, labels = sys.argv[1], sys.argv[2:]
rows = {}
for l in labels:
    rows[l] = [tuple(map(float, line.split())) for line in open("%s/%s.times" % (work, l)) if line.strip()]
jq = statistics.median(t for t, _ in rows[labels[-1]])
for l in labels:
    ts = [t for t, _ in rows[l]]; m = statistics.median(ts); peak = max(k for _, k in rows[l]) / 1024
    extra = "" if l == labels[-1] else "   ratio to jq empty: %.2fx" % (m / jq)
    print("  %-12s runs %-34s median %7.2f s   peak RSS %6.1f MB%s" % (l, " ".join("%.2f" % t for t in ts), m, peak, extra))
if len(labels) == 3:
    a = statistics.median(t for t, _ in rows[labels[0]]); b = statistics.median(t for t, _ in rows[labels[1]])
    print("  %s / %s: %.2fx" % (labels[0], labels[1], a / b))
PY
}

# pairs NAME -- OTTER-ARGS... -- JQ-FILES...: alternating runs of otter-cert (and REF_BIN) and jq.
pairs() {
  local name=$1; shift; shift
  local args=() files=()
  while [ "$1" != -- ]; do args+=("$1"); shift; done; shift
  files=("$@")
  local labels=(otter-cert)
  [ -n "${REF_BIN:-}" ] && labels+=(reference)
  labels+=(jq-empty)
  for l in "${labels[@]}"; do rm -f "$work/$name.$l.times"; done
  for ((i = 0; i < PAIRS; i++)); do
    timed "$name.otter-cert" "$BIN" "${args[@]}"
    [ -n "${REF_BIN:-}" ] && timed "$name.reference" "$REF_BIN" "${args[@]}"
    timed "$name.jq-empty" jq empty "${files[@]}"
  done
  summary "${labels[@]/#/$name.}" | sed "s/$name\.//g"
}

for m in "${modes[@]}"; do
  case $m in
    observe-1m)
      gen_1m || exit 3; f=$work/observe-1m.jsonl
      echo "observe, $(wc -l <"$f") lines, $(($(stat -c %s "$f") / 1000000)) MB ($PAIRS alternating pairs):"
      pairs observe-1m -- observe --type delivery --log "$f" --quiet -- "$f"
      echo "  verdict: $(head -c 300 "$work/observe-1m.otter-cert.out")" ;;
    observe-mix)
      gen_mix || exit 3; f=$work/observe-mix.jsonl
      echo "observe, realistic mix (quote/accept webhooks and POST callbacks, PUT statuses), $(wc -l <"$f") lines, $(($(stat -c %s "$f") / 1000000)) MB ($PAIRS alternating pairs):"
      pairs observe-mix -- observe --type delivery --log "$f" --quiet -- "$f"
      echo "  verdict: $(head -c 300 "$work/observe-mix.otter-cert.out")" ;;
    onboarding)
      gen_onboarding || exit 3; d=$work/onboarding
      echo "onboarding, $LOCATIONS locations x 14 days, $(cat "$d/count") exchanges, $(du -sm "$d" | cut -f1) MB ($PAIRS alternating pairs):"
      pairs onboarding -- onboarding --logs "$d" --phase early --report-dir "$work/onboarding-report" -- "$d"/*.jsonl
      grep -E "^Phase|Exit criterion" "$work/onboarding.otter-cert.out" | sed 's/^/  /' ;;
    generate) gen_1m && gen_mix && gen_onboarding && echo "generated in $work" ;;
    *) echo "bench-vs-jq: unknown benchmark '$m' (observe-1m, observe-mix, onboarding, all, generate)" >&2; exit 2 ;;
  esac
done
