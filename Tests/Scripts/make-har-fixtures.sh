#!/usr/bin/env bash
# Re-records the mitmproxy HAR fixtures of Fixtures/har/mitmproxy/ (see its README.md): one live run per case through
# Tests/Scripts/capture-live-run.sh, the client secret removed from each HAR (Tests/Scripts/redact-har-secrets.py),
# and the run's report.json kept beside it as run-report.json.
#
# Usage: Tests/Scripts/make-har-fixtures.sh [CASE ...]      (default: all; a case is TYPE or TYPE--FAULT)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
dest="$repo/Fixtures/har/mitmproxy"
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(delivery pos orders delivery--wrong-event-id pos--skip-callback orders--bad-totals)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for c in "${cases[@]}"; do
  type="${c%%--*}"; fault=""
  [ "$c" != "$type" ] && fault="${c#*--}"
  args=("$type"); [ -n "$fault" ] && args+=(--fault "$fault")
  echo "== $c"
  rc=0
  "$repo/Tests/Scripts/capture-live-run.sh" "${args[@]}" "$work/$c" || rc=$?
  [ "$rc" -le 1 ] || { echo "make-har-fixtures: capture of $c failed ($rc)" >&2; exit 1; }
  # The client secret capture-live-run.sh gives the partner of this type (it is in the token call's body).
  "$repo/Tests/Scripts/redact-har-secrets.py" "$work/$c/capture.har" "capture-client-secret-${type}-Jw93" "capture-webhook-secret-${type}-Hk27"
  mkdir -p "$dest/$c"
  cp "$work/$c/capture.har" "$dest/$c/capture.har"
  cp "$work/$c/report.json" "$dest/$c/run-report.json"
done
