#!/usr/bin/env bash
# Records a HAR capture of a live `otter-cert run` the way an integration manager would: one mitmdump in front of
# both sides, recording both directions.
#
#   sample partner  <-- :WEBHOOK_PROXY (reverse proxy) <--  otter-cert run   (webhooks, Otter -> partner)
#   sample partner  --> :API_PROXY     (reverse proxy) -->  otter-cert sandbox (token + callbacks, partner -> Otter)
#
# Usage: Tests/Scripts/capture-live-run.sh TYPE [--fault NAME] OUT_DIR
#   TYPE      delivery, pos or orders
#   --fault   make the sample partner misbehave (otter-cert sample-partner serve --help lists the faults)
#   OUT_DIR   gets capture.har (mitmproxy's HAR), events.jsonl and report.json (the run's own log and verdicts),
#             the run's other reports, mitmdump.log, partner.log and run.log
#
# Environment: OTTER_CERT (the binary; default .build/debug/otter-cert of this checkout), MITMDUMP (default: mitmdump
# on PATH, else the virtualenv of .ci/install-test-tools), CAPTURE_TIMEOUT (seconds for the whole run, default 900).
# Exit status: the run's (0 certified, 1 not certified), or 3 when the capture could not be made.
# Everything listens on and talks to 127.0.0.1 only.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
script=capture-live-run
# shellcheck source=live-lib.sh
. "$repo/Tests/Scripts/live-lib.sh"
live_args "$@"
tools_venv="${OTTER_CERT_TEST_TOOLS:-${HOME:-/root}/.cache/otter-cert/test-tools}"
mitmdump="${MITMDUMP:-$(command -v mitmdump || true)}"
[ -n "$mitmdump" ] || mitmdump="$tools_venv/bin/mitmdump"
[ -x "$mitmdump" ] || { echo "capture-live-run: mitmdump not found (run .ci/install-test-tools)" >&2; exit 3; }
timeout_s="${CAPTURE_TIMEOUT:-900}"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -rf "$out/capture.har" "$out/events.jsonl" "$out/report.json" "$out/partner.port" "$out/run"

# Secrets of this capture only: the fixtures are checked for them afterwards.
export OTTER_CERT_WEBHOOK_SECRET="capture-webhook-secret-${type}-Hk27"
export OTTER_CERT_CLIENT_ID="capture-client-${type}"
export OTTER_CERT_CLIENT_SECRET="capture-client-secret-${type}-Jw93"

# Three free loopback ports (the partner picks its own with port 0 and writes it to a file).
read -r sandbox_port webhook_proxy_port api_proxy_port < <(free_ports 3)

# mitmdump says "… listening at 127.0.0.1:PORT." once a mode is up (probing the port would put a connection in the capture).
listening() {
  kill -0 "$mitm_pid" 2>/dev/null || { echo "capture-live-run: mitmdump exited (see $out/mitmdump.log)" >&2; exit 3; }
  grep -q "listening at 127.0.0.1:$1\." "$out/mitmdump.log" 2>/dev/null
}

# 1. The sample partner, calling Otter through the API proxy.
partner_args=(sample-partner serve --type "$type" --listen 127.0.0.1:0 --otter-url "http://127.0.0.1:$api_proxy_port"
              --port-file "$out/partner.port")
[ -n "$fault" ] && partner_args+=(--fault "$fault")
"$cert" "${partner_args[@]}" >"$out/partner.log" 2>&1 &
pids+=($!)
partner_pid=$!
wait_for "the sample partner's port file" 20 test -s "$out/partner.port"
partner_port="$(cat "$out/partner.port")"
rm -f "$out/partner.port"

# 2. One mitmdump, two reverse modes: webhooks to the partner, API calls to the sandbox. The HAR is written on exit.
"$mitmdump" \
  --mode "reverse:http://127.0.0.1:$partner_port@127.0.0.1:$webhook_proxy_port" \
  --mode "reverse:http://127.0.0.1:$sandbox_port@127.0.0.1:$api_proxy_port" \
  --set hardump="$out/capture.har" \
  >"$out/mitmdump.log" 2>&1 &
mitm_pid=$!
pids+=($mitm_pid)
wait_for "mitmdump on port $webhook_proxy_port" 30 listening "$webhook_proxy_port"
wait_for "mitmdump on port $api_proxy_port" 30 listening "$api_proxy_port"

# 3. The run, with webhooks sent through the proxy and the sandbox behind it.
rc=0
timeout --signal=INT --kill-after=10 "$timeout_s" "$cert" run --type "$type" \
  --partner-url "http://127.0.0.1:$webhook_proxy_port/webhook" \
  --sandbox-listen "127.0.0.1:$sandbox_port" \
  --webhook-secret "$OTTER_CERT_WEBHOOK_SECRET" --client-id "$OTTER_CERT_CLIENT_ID" --client-secret "$OTTER_CERT_CLIENT_SECRET" \
  --action-hook "$cert sample-partner action --partner http://127.0.0.1:$partner_port" \
  --report-dir "$out/run" --quiet >"$out/run.log" 2>&1 || rc=$?
# The run wrote a new attempt folder; this script's outputs are that attempt's log and report.
for f in events.jsonl report.json; do [ -f "$out/run/latest/$f" ] && cp "$out/run/latest/$f" "$out/$f"; done
grep -E '^(NOT )?CERTIFIED' "$out/run.log" | tail -n 1 || tail -n 1 "$out/run.log"
if [ "$rc" -gt 1 ]; then echo "capture-live-run: otter-cert run exited $rc (see $out/run.log)" >&2; fi

# 4. Stop mitmdump with SIGINT so it writes the HAR (bounded), then the partner.
kill -INT "$mitm_pid"
wait_for "mitmdump to write $out/capture.har and exit" 30 bash -c "! kill -0 $mitm_pid 2>/dev/null" || true
wait "$mitm_pid" 2>/dev/null || true
kill -TERM "$partner_pid" 2>/dev/null || true
wait "$partner_pid" 2>/dev/null || true
if [ ! -s "$out/capture.har" ]; then echo "capture-live-run: mitmdump wrote no HAR (see $out/mitmdump.log)" >&2; exit 3; fi
[ "$rc" -gt 1 ] && exit 3
exit "$rc"
