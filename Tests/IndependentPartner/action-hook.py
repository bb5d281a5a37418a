#!/usr/bin/env python3
"""Action hook for the independent reference partner, and for the spec partner (Tests/SpecPartner/partner.py),
which speaks the same control protocol.

The harness runs this once per partner action with, in the environment:
  OTTER_CERT_ACTION       e.g. pos.confirm_order
  OTTER_CERT_RECORD       the record being run (logged only)
  OTTER_CERT_STORE_ID     the store the action is for
  OTTER_CERT_SANDBOX_URL  (informational; the partner uses its own --otter-url)
  OTTER_CERT_VARS         JSON object of known ids (also given on stdin)

It forwards the action to the partner's control endpoint
  POST {partner}/_control/action  {"action", "storeId", "vars"}
and waits (60 s at most) for the partner to finish it.  On success it prints the
resulting vars as one JSON object on stdout and exits 0; otherwise it prints the
partner's message on stderr and exits 1.

  action-hook.py --partner http://127.0.0.1:PORT
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

TIMEOUT = 60.0


def read_vars():
    raw = os.environ.get("OTTER_CERT_VARS")
    if not raw or not raw.strip():
        raw = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    if not raw.strip():
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("OTTER_CERT_VARS is not a JSON object")
    return value


def main():
    ap = argparse.ArgumentParser(description="Forward an otter-cert partner action to a test partner (IndependentPartner or SpecPartner)")
    ap.add_argument("--partner", default=os.environ.get("OTTER_CERT_PARTNER_URL"),
                    help="base URL of partner.py, e.g. http://127.0.0.1:9100")
    args = ap.parse_args()
    if not args.partner:
        ap.error("--partner is required")
    action = os.environ.get("OTTER_CERT_ACTION", "").strip()
    if not action:
        print("action-hook: OTTER_CERT_ACTION is not set", file=sys.stderr)
        return 1
    try:
        vars_ = read_vars()
    except ValueError as e:
        print(f"action-hook: bad vars: {e}", file=sys.stderr)
        return 1
    body = {"action": action, "storeId": os.environ.get("OTTER_CERT_STORE_ID", ""), "vars": vars_}
    record = os.environ.get("OTTER_CERT_RECORD")
    if record:
        body["record"] = record
    req = urllib.request.Request(args.partner.rstrip("/") + "/_control/action",
                                 data=json.dumps(body).encode("utf-8"), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        print(f"action-hook: {action}: partner unreachable or too slow: {getattr(e, 'reason', e)}",
              file=sys.stderr)
        return 1
    try:
        answer = json.loads(raw.decode("utf-8")) if raw else {}
    except (ValueError, UnicodeDecodeError):
        answer = {"error": raw.decode("utf-8", "replace")[:500]}
    if status == 200 and isinstance(answer, dict) and answer.get("ok"):
        print(json.dumps(answer.get("vars") or {}))
        return 0
    message = answer.get("error") if isinstance(answer, dict) else None
    print(f"action-hook: {action} failed (HTTP {status}): {message or 'no message'}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
