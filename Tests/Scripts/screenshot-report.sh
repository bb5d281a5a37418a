#!/bin/sh
# Renders the HTML report of a failing run and screenshots it with headless Chromium.
#
#   Tests/Scripts/screenshot-report.sh [OUT.png [LOG TYPE]]
#
# Without LOG, a failing delivery run is made from Fixtures/logs/delivery/pass.jsonl: the DEL-04 quotes callback gets a
# wrong X-Event-Id, the DEL-05 accept callback arrives 40 s late and the DEL-07 update callback is dropped.
# A second PNG (OUT-failing.png) shows the records that did not pass.
# Needs `chromium` (apt-get install -y chromium). Writes OUT.png (default: .build/report-screenshot.png).
set -eu
cd "$(dirname "$0")/../.."
out=${1:-.build/report-screenshot.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ $# -ge 3 ]; then
    log=$2; type=$3
else
    log=$work/events.jsonl; type=delivery
    sed -E \
        -e '/"record":"DEL-04".*"kind":"callback"/ s/\["X-Event-Id","1f056d46/["X-Event-Id","0f056d46/' \
        -e '/"record":"DEL-05".*"kind":"callback"/ s/"startedAt":"2026-11-29T10:00:05\.340Z"/"startedAt":"2026-11-29T10:00:45.340Z"/' \
        -e '/"record":"DEL-07".*"kind":"callback"/d' \
        Fixtures/logs/delivery/pass.jsonl > "$log"
fi
[ -x .build/debug/otter-cert ] || swift build --product otter-cert
.build/debug/otter-cert report --type "$type" --log "$log" --format html --out "$work/report.html"
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    echo "screenshot-report: chromium not found; install it with: apt-get install -y chromium" >&2
    exit 3
fi
mkdir -p "$(dirname "$out")"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$(realpath -m "$out")" \
    --window-size=1280,2000 "file://$(realpath "$work/report.html")" >/dev/null 2>&1
echo "wrote $out"
# A second shot of the records that did not pass (checks, expected vs seen, timeline, evidence): the same page
# with the facts, the summary table and the passed records hidden by one extra CSS rule.
if grep -q 'class="record failed\|class="record skipped' "$work/report.html"; then
    sed 's#</style>#section.facts, section.tl, .summary, .record.passed { display: none; }</style>#' "$work/report.html" > "$work/failing.html"
    rec="${out%.png}-failing.png"
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$(realpath -m "$rec")" \
        --window-size=1280,2000 "file://$(realpath "$work/failing.html")" >/dev/null 2>&1
    echo "wrote $rec"
fi
