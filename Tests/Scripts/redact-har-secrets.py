#!/usr/bin/env python3
"""Replaces secrets in a HAR capture with REDACTED, in place, and fails if any is left.

Usage: Tests/Scripts/redact-har-secrets.py capture.har SECRET [SECRET ...]

A proxy records the partner's POST /v1/auth/token body as it went over the wire, so a HAR holds the OAuth client
secret in clear (postData.text and postData.params). otter-cert redacts it as it reads the HAR; a HAR committed as
a fixture must not hold it at all. Each secret is replaced in every string of the document (as it is, and
percent-encoded); the file is written back the way mitmproxy writes it (JSON, indent 4).
"""
import json
import sys
import urllib.parse


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path, secrets = sys.argv[1], [s for s in sys.argv[2:] if s]
    forms = sorted({f for s in secrets for f in (s, urllib.parse.quote(s, safe=""), urllib.parse.quote_plus(s))}, key=len, reverse=True)
    replaced = 0

    def clean(v):
        nonlocal replaced
        if isinstance(v, str):
            for f in forms:
                if f in v:
                    replaced += v.count(f)
                    v = v.replace(f, "REDACTED")
            return v
        if isinstance(v, list):
            return [clean(x) for x in v]
        if isinstance(v, dict):
            return {clean(k): clean(x) for k, x in v.items()}
        return v

    with open(path, encoding="utf-8-sig") as f:
        har = json.load(f)
    har = clean(har)
    text = json.dumps(har, indent=4)
    left = [s for s in forms if s in text]
    if left:
        print(f"{path}: a secret is still in the file after redaction", file=sys.stderr)
        return 1
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"{path}: {replaced} occurrence(s) redacted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
