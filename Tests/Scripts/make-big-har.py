#!/usr/bin/env python3
"""Writes a large HAR capture for benchmarks: the entries of a committed mitmproxy capture repeated COPIES times,
each copy with fresh ids (every UUID's last 12 hex digits xored with the copy number) and its times (every ISO 8601
timestamp, in headers and bodies too) moved on by one hour per copy, in mitmproxy's own layout (JSON, indent 4).

Usage: Tests/Scripts/make-big-har.py OUT.har [COPIES] [CAPTURE]
       (default 2350 copies of Fixtures/har/mitmproxy/delivery/capture.har: about 300 MB)
"""
import datetime, json, os, re, sys

out = sys.argv[1]
copies = int(sys.argv[2]) if len(sys.argv) > 2 else 2350
repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
src = sys.argv[3] if len(sys.argv) > 3 else os.path.join(repo, "Fixtures/har/mitmproxy/delivery/capture.har")
har = json.load(open(src))
entries = har["log"]["entries"]
har["log"]["entries"] = []
uuid = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)([0-9a-f]{12})")
stamp = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?")
# One template per entry, as the text of one element of a pretty-printed "entries" array.
head, _, tail = json.dumps(har, indent=4).partition('"entries": []')
templates = []
for e in entries:
    text = json.dumps(e, indent=4)
    templates.append("\n".join("        " + l if i else l for i, l in enumerate(text.split("\n"))))

def shift(m, hours):
    t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S") + datetime.timedelta(hours=hours)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (m.group(2) or "")

with open(out, "w") as f:
    f.write(head + '"entries": [\n        ')
    first = True
    for k in range(copies):
        for t in templates:
            if not first: f.write(",\n        ")
            first = False
            if k:
                t = uuid.sub(lambda m: m.group(1) + "%012x" % (int(m.group(2), 16) ^ k), t)
                t = stamp.sub(lambda m: shift(m, k), t)
            f.write(t)
    f.write("\n    ]" + tail)
