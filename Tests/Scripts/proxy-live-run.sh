#!/usr/bin/env bash
# Runs `otter-cert proxy` between a live `otter-cert run` (playing Otter: its webhooks, its embedded sandbox as the
# upstream "Otter") and the sample partner, in both directions, the way the proxy stands on a certification call:
#
#   sample partner  <-- proxy :WEBHOOKS  <--  otter-cert run          (webhooks, Otter -> partner)
#   sample partner  --> proxy :API       -->  otter-cert run's sandbox (token + callbacks, partner -> Otter)
#
# Usage: Tests/Scripts/proxy-live-run.sh TYPE [--fault NAME] OUT_DIR
#   OUT_DIR gets run/ (the run's attempt folders), proxy/ (the proxy's), partner.log, run.log and proxy.log.
# Environment: OTTER_CERT (the binary; default .build/debug/otter-cert of this checkout); PROXY_EXTRA (more proxy
# options, word-split); RUN_EXTRA (more run options); PROXY_TIMEOUT (seconds for the whole session, default 600).
# Exit status: the proxy's (0 certified, 1 not certified), or 3 when the session could not be set up.
# Everything listens on and talks to 127.0.0.1 only.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
script=proxy-live-run
# shellcheck source=live-lib.sh
. "$repo/Tests/Scripts/live-lib.sh"
live_args "$@"
timeout_s="${PROXY_TIMEOUT:-600}"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -rf "$out/run" "$out/proxy" "$out/partner.port"

export OTTER_CERT_WEBHOOK_SECRET="proxy-webhook-secret-${type}-Qe51"
export OTTER_CERT_CLIENT_ID="proxy-client-${type}"
export OTTER_CERT_CLIENT_SECRET="proxy-client-secret-${type}-Vb08"

# Free loopback ports for the run's sandbox and the proxy's two listeners (the partner picks its own).
read -r sandbox_port api_port webhook_port < <(free_ports 3)


# 1. The sample partner, calling Otter through the proxy's API listener.
partner_args=(sample-partner serve --type "$type" --listen 127.0.0.1:0 --otter-url "http://127.0.0.1:$api_port"
              --port-file "$out/partner.port")
[ -n "$fault" ] && partner_args+=(--fault "$fault")
"$cert" "${partner_args[@]}" >"$out/partner.log" 2>&1 &
partner_pid=$!
pids+=($partner_pid)
wait_for "the sample partner's port file" 20 test -s "$out/partner.port"
partner_port="$(cat "$out/partner.port")"
rm -f "$out/partner.port"

# 2. The proxy: webhooks on to the partner, API calls on to the run's sandbox.
# shellcheck disable=SC2086
"$cert" proxy --type "$type" --otter-url "http://127.0.0.1:$sandbox_port" --partner-url "http://127.0.0.1:$partner_port/webhook" \
  --listen-api "127.0.0.1:$api_port" --listen-webhooks "127.0.0.1:$webhook_port" --report-dir "$out/proxy" ${PROXY_EXTRA:-} \
  >"$out/proxy.log" 2>&1 &
proxy_pid=$!
pids+=($proxy_pid)
proxy_up() {
  kill -0 "$proxy_pid" 2>/dev/null || { echo "proxy-live-run: the proxy exited (see $out/proxy.log)" >&2; cat "$out/proxy.log" >&2; exit 3; }
  grep -q "set the partner's webhook URL" "$out/proxy.log" 2>/dev/null
}
wait_for "the proxy to listen" 20 proxy_up

# 3. The run, its webhooks sent through the proxy, its sandbox behind it.
rc=0
# shellcheck disable=SC2086
timeout --signal=INT --kill-after=10 "$timeout_s" "$cert" run --type "$type" \
  --partner-url "http://127.0.0.1:$webhook_port/webhook" \
  --sandbox-listen "127.0.0.1:$sandbox_port" \
  --action-hook "$cert sample-partner action --partner http://127.0.0.1:$partner_port" \
  --report-dir "$out/run" --quiet ${RUN_EXTRA:-} >"$out/run.log" 2>&1 || rc=$?
echo "run: $(grep -E '^(NOT )?CERTIFIED' "$out/run.log" | tail -n 1 || tail -n 1 "$out/run.log")"
if [ "$rc" -gt 1 ]; then echo "proxy-live-run: otter-cert run exited $rc (see $out/run.log)" >&2; fi

# 4. The session ends as on a call: Ctrl-C (unless --until-settled ended it already); the proxy writes its reports.
# With --until-settled the proxy ends by itself once what it saw has settled, which it looks at twice a second: the
# run, settled by the same windows, may exit first, so the proxy gets up to 5 s before the Ctrl-C.
case " ${PROXY_EXTRA:-} " in
  *" --until-settled "*) for _ in $(seq 1 50); do kill -0 "$proxy_pid" 2>/dev/null || break; sleep 0.1; done ;;
esac
kill -INT "$proxy_pid" 2>/dev/null || true
prc=0
wait "$proxy_pid" || prc=$?
echo "proxy: $(grep -E '^(NOT )?CERTIFIED' "$out/proxy.log" | tail -n 1 || tail -n 1 "$out/proxy.log")"
[ "$rc" -gt 1 ] && exit 3
exit "$prc"
