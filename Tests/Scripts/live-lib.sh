# Shared by the scripts that set up live sessions on loopback (capture-live-run.sh, proxy-live-run.sh); sourced.
# Sets up: no environment proxy for loopback traffic; `pids` (processes to stop on exit) and the EXIT/INT/TERM traps;
# `free_ports N` (prints N free loopback ports); `wait_for WHAT SECONDS COMMAND…` (bounded wait for a condition);
# `live_args "$@"` (reads `TYPE [--fault NAME] OUT_DIR` into type, fault and out, and finds the binary: cert).
# The caller sets `script` (its name, for messages) and `repo` (the checkout).

live_args() {
  usage() { echo "usage: $script delivery|pos|orders [--fault NAME] OUT_DIR" >&2; exit 2; }
  [ $# -ge 2 ] || usage
  type="$1"; shift
  fault=""
  if [ "${1:-}" = "--fault" ]; then
    [ $# -ge 3 ] || usage
    fault="$2"; shift 2
  fi
  [ $# -eq 1 ] || usage
  out="$1"
  case "$type" in delivery|pos|orders) ;; *) usage ;; esac
  cert="${OTTER_CERT:-$repo/.build/debug/otter-cert}"
  [ -x "$cert" ] || { echo "$script: no otter-cert binary at $cert (swift build first)" >&2; exit 3; }
  cert="$(cd "$(dirname "$cert")" && pwd)/$(basename "$cert")"
}

# No proxy of the environment may carry the loopback traffic (libcurl in otter-cert and the partner read these).
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

pids=()
cleanup() {
  local rc=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits (bounded) until a condition holds.
wait_for() {
  local what="$1" seconds="$2"; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then echo "$script: timed out after ${seconds}s waiting for $what" >&2; return 1; fi
    sleep 0.1
  done
}
