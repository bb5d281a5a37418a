#!/usr/bin/env bash
# Latency `otter-cert proxy` adds per exchange: the same request sent straight to an upstream and through the proxy,
# alternately, PAIRS pairs (default 400; the order inside a pair alternates, after 20 warm-up pairs), over keep-alive
# connections on loopback, for both directions:
#   webhook          POST a 1 KB webhook to the proxy's --listen-webhooks, forwarded to the "partner" upstream
#   POST /v1/orders  POST a 1 KB order to the proxy's --listen-api, forwarded to the "Otter" upstream
# The upstream is one Python HTTP/1.1 server answering at once (200, a small JSON body). Prints, per direction, the
# median time of a direct request and of a proxied one, the median added latency (proxied minus direct, pair by pair)
# and the ratio of the medians. Release build. Issue 13's target: a few milliseconds at most.
# Usage: Tests/Scripts/bench-proxy.sh [PAIRS]     (BIN=… to time a given binary instead of building)
set -euo pipefail
cd "$(dirname "$0")/../.."
PAIRS="${1:-400}"
if [ -z "${BIN:-}" ]; then
  swift build -c release --product otter-cert >/dev/null
  BIN=.build/release/otter-cert
fi
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The upstream: answers every POST at once, keep-alive.
python3 - "$work/upstream.port" <<'PY' &
import http.server, socketserver, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True   # head and body go out in two writes: no 40 ms delayed-ACK stall
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b'{"ok":true}'
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
s = S(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1])); __import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
pids+=($!)
for _ in $(seq 100); do [ -s "$work/upstream.port" ] && break; sleep 0.1; done
up="$(cat "$work/upstream.port")"

"$BIN" proxy --type orders --otter-url "http://127.0.0.1:$up" --partner-url "http://127.0.0.1:$up/webhook" \
  --listen-api 127.0.0.1:0 --listen-webhooks 127.0.0.1:0 --report-dir "$work/proxy" --quiet >"$work/proxy.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "webhook URL at Otter to" "$work/proxy.out" 2>/dev/null && break; sleep 0.1; done
api="$(grep "Otter base URL to" "$work/proxy.out" | awk '{print $NF}')"
hooks="$(grep "webhook URL at Otter to" "$work/proxy.out" | awk '{print $NF}')"
[ -n "$api" ] && [ -n "$hooks" ] || { echo "bench-proxy: the proxy did not start:"; cat "$work/proxy.out"; exit 3; }

python3 - "$PAIRS" "$up" "$api" "$hooks" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse, uuid
pairs, up, api, hooks = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
import socket
def conn(url):
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port); c.connect()
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c
pad = "x" * 900
def webhook():
    return json.dumps({"eventId": str(uuid.uuid4()), "eventTime": "2026-12-03T10:00:00Z", "eventType": "orders.order_status_update",
                       "metadata": {"storeId": "s-1", "applicationId": "a-1", "resourceId": "o-1", "note": pad}}).encode()
def order():
    return json.dumps({"externalIdentifiers": {"id": str(uuid.uuid4()), "friendlyId": "F1"}, "currencyCode": "USD", "note": pad}).encode()
cases = [("webhook", "/webhook", webhook, conn(hooks)), ("POST /v1/orders", "/v1/orders", order, conn(api))]
direct = conn("http://127.0.0.1:%d" % up)
def once(c, path, body):
    t = time.perf_counter()
    c.request("POST", path, body=body, headers={"Content-Type": "application/json", "X-Store-Id": "s-1", "Authorization": "Bearer bench"})
    r = c.getresponse(); r.read()
    assert r.status == 200, r.status
    return time.perf_counter() - t
print(f"otter-cert proxy: added latency per exchange, {pairs} alternating pairs, medians (loopback, keep-alive)")
for name, path, make, via in cases:
    for _ in range(20): once(direct, path, make()); once(via, path, make())
    d, p, added = [], [], []
    for i in range(pairs):
        if i % 2:
            b = once(via, path, make()); a = once(direct, path, make())
        else:
            a = once(direct, path, make()); b = once(via, path, make())
        d.append(a); p.append(b); added.append(b - a)
    md, mp, ma = statistics.median(d), statistics.median(p), statistics.median(added)
    print(f"  {name:16} direct {md*1000:6.2f} ms   proxied {mp*1000:6.2f} ms   added {ma*1000:5.2f} ms   ratio {mp/md:4.1f}x")
PY
