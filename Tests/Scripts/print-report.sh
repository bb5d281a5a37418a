#!/bin/sh
# Prints a failing orders report to PDF with headless Chromium, as an integration manager would (Ctrl-P), and says
# how many pages it has and on which page the failing record first appears.
#
#   Tests/Scripts/print-report.sh [OUT.pdf]
#
# The failing run is the recorded passing orders log with ORD-04's order total 1.00 less than its parts
# (Fixtures/cases/orders/ORD-04-totals-do-not-add-up.json). Prints `pages=N first-failure-page=P` (the page where
# the failing record's own section, with its reason and evidence, begins) and exits 0;
# exits 3 when chromium or pdfinfo/pdftotext (poppler-utils) are missing. Needs a built .build/debug/otter-cert.
set -eu
cd "$(dirname "$0")/../.."
out=${1:-.build/report-print.pdf}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ] || ! command -v pdfinfo >/dev/null || ! command -v pdftotext >/dev/null; then
    echo "print-report: needs chromium and poppler-utils (apt-get install -y chromium poppler-utils; .ci/install-browser-tools)" >&2
    exit 3
fi
sed -E '/"record":"ORD-04".*"kind":"callback"/ s/\\"total\\":15\.99/\\"total\\":14.99/' Fixtures/logs/orders/pass.jsonl > "$work/events.jsonl"
grep -q 'total\\":14.99' "$work/events.jsonl" || { echo "print-report: could not make the failing log" >&2; exit 1; }
.build/debug/otter-cert report --type orders --log "$work/events.jsonl" --format html --out "$work/report.html" >/dev/null
"$browser" --headless --no-sandbox --disable-gpu --no-pdf-header-footer --run-all-compositor-stages-before-draw \
    --print-to-pdf="$out" "file://$work/report.html" >"$work/chromium.log" 2>&1 || { cat "$work/chromium.log" >&2; exit 1; }
pages=$(pdfinfo "$out" | awk '/^Pages:/ {print $2}')
first=0
p=1
while [ "$p" -le "$pages" ]; do
    if pdftotext -f "$p" -l "$p" "$out" - | tr '\n' ' ' | grep -q "Send each new order once"; then first=$p; break; fi
    p=$((p + 1))
done
echo "pages=$pages first-failure-page=$first"
