#!/usr/bin/env python3
"""An echoing partner, for the redaction test (Tests/OtterCLITests/RedactionEndToEndTests.swift).

It is Tests/IndependentPartner/partner.py (imported, unchanged: the same correct partner) with three changes:

* It authenticates webhooks in the mode otter-cert signs them with (`--webhook-auth`): X-HMAC-SHA256 (base64, or
  hex with `--signature-encoding hex`) always, and with `basic` also `Authorization: Basic base64(client_id:secret)`,
  with `bearer` `Authorization: Bearer <secret>`, with `hmac-sha1` `Authorization: MAC <base64 HMAC-SHA1>`. A webhook
  that fails any of them gets 401, as before.
* Every answer to a webhook echoes everything it received and knows: every request header, the raw body, the
  path with its query, its secrets and the tokens it was issued, under odd keys (webhookSecret, token,
  authorization, client_secret as a JSON number when the secret is numeric, apiKey) and plain keys, in raw,
  base64 (standard and URL-safe, with and without padding), percent-encoded and hex forms, in the body and in
  response headers (the stores.fetch_credentials answer keeps its body and echoes in headers only).
* Every call to the sandbox carries the token and the secrets in its query string and in custom headers, and each
  webhook is followed by a `POST /v1/echo` to the sandbox with the whole echo as its body (404, as any unknown path).

`--dump FILE` appends every token the sandbox issued and every Authorization the partner received, one JSON line
each, so the test knows what to look for. `--hook --partner URL` is an action hook: it runs
Tests/IndependentPartner/action-hook.py and then writes the echo to its stderr (which otter-cert logs).
"""

import argparse
import base64
import hashlib
import hmac
import importlib.util
import json
import os
import subprocess
import sys
import threading
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
INDIE = os.path.join(HERE, "..", "IndependentPartner")


def load_partner():
    spec = importlib.util.spec_from_file_location("independent_partner", os.path.join(INDIE, "partner.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def forms(value):
    """Every form of a secret a reader could grep for."""
    raw = value.encode("utf-8")
    b64 = base64.b64encode(raw).decode()
    url = base64.urlsafe_b64encode(raw).decode()
    return {
        "raw": value, "b64": b64, "b64NoPad": b64.rstrip("="), "b64Url": url, "b64UrlNoPad": url.rstrip("="),
        "pct": urllib.parse.quote(value, safe=""), "pctLower": percent_lower(value),
        "form": urllib.parse.quote_plus(value), "hex": raw.hex(), "HEX": raw.hex().upper(),
    }


def percent_lower(value):
    q = urllib.parse.quote(value, safe="")
    out, i = [], 0
    while i < len(q):
        if q[i] == "%":
            out.append("%" + q[i + 1:i + 3].lower())
            i += 3
        else:
            out.append(q[i])
            i += 1
    return "".join(out)


class Echo:
    """What the partner received and knows, shared by its threads."""

    def __init__(self, cfg, dump):
        self.cfg = cfg
        self.dump = dump
        self.lock = threading.Lock()
        self.tokens = []
        self.authorizations = []

    def note(self, kind, value):
        with self.lock:
            seen = self.tokens if kind == "token" else self.authorizations
            if value in seen:
                return
            seen.append(value)
            if self.dump:
                with open(self.dump, "a", encoding="utf-8") as f:
                    f.write(json.dumps({kind: value}) + "\n")

    def secrets(self):
        with self.lock:
            tokens = list(self.tokens)
        cfg = self.cfg
        return [cfg.webhook_secret, cfg.client_secret, cfg.client_id] + tokens

    def secret_number(self):
        return int(self.cfg.client_secret) if self.cfg.client_secret.isdigit() else None

    def body(self, method, path, headers, raw):
        """The echo: everything received, every secret and token, in every form, under odd keys and plain ones."""
        cfg = self.cfg
        with self.lock:
            tokens = list(self.tokens)
        token = tokens[-1] if tokens else ""
        all_forms = [forms(s) for s in self.secrets() if s]
        echo = {
            "echo": "everything this partner received and knows",
            "method": method, "path": path,
            "headers": {k: v for k, v in headers.items()},
            "headerList": [[k, v] for k, v in headers.items()],
            "rawBody": raw.decode("utf-8", "replace"),
            "rawBodyBase64": base64.b64encode(raw).decode(),
            "webhookSecret": cfg.webhook_secret, "webhook_secret": cfg.webhook_secret,
            "token": token, "accessToken": token, "authorization": headers.get("Authorization", ""),
            "apiKey": cfg.client_secret, "clientSecret": cfg.client_secret, "clientId": cfg.client_id,
            "client_secret": self.secret_number() if self.secret_number() is not None else cfg.client_secret,
            "plain": f"the webhook secret is {cfg.webhook_secret}, the client is {cfg.client_id}:{cfg.client_secret}, the token is {token}",
            "number": self.secret_number(),
            "query": urllib.parse.urlencode({"access_token": token, "client_secret": cfg.client_secret, "webhook_secret": cfg.webhook_secret}),
            "basic": "Basic " + base64.b64encode(f"{cfg.client_id}:{cfg.client_secret}".encode()).decode(),
            "forms": all_forms,
            "allTokens": tokens,
        }
        return echo

    def headers(self):
        """Response and request headers that carry the secrets, custom names and odd ones."""
        cfg = self.cfg
        with self.lock:
            token = self.tokens[-1] if self.tokens else ""
        f = forms(cfg.webhook_secret)
        return {
            "X-Echo-Webhook-Secret": cfg.webhook_secret,
            "X-Echo-Note": "secret=" + cfg.client_secret + " token=" + token,
            "X-Echo-B64": f["b64"], "X-Echo-Hex": forms(cfg.client_secret)["hex"],
            "X-Echo-Pct": forms(cfg.client_secret)["pct"],
            "X-Echo-Token": token, "X-Token-B64Url": forms(token)["b64UrlNoPad"] if token else "",
            "X-Echo-Client": cfg.client_id,
        }


def make_handler(mod, echo, cfg):
    base = mod.Handler

    class EchoHandler(base):
        def _reply(self, status, obj=None):
            # Webhook answers echo; control answers stay as they are.
            if getattr(self, "_echoing", False):
                received = {k: v for k, v in self.headers.items()}
                if obj is None:
                    obj = echo.body(self.command, self.path, received, getattr(self, "_raw", b""))
                data = json.dumps(obj).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in echo.headers().items():
                    if v:
                        self.send_header(k, v)
                self.send_header("X-Echo-Authorization", self.headers.get("Authorization", "-"))
                self.send_header("X-Echo-Path", self.path)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            base._reply(self, status, obj)

        def _authenticated(self, raw):
            secret = cfg.webhook_secret.encode("utf-8")
            mac = hmac.new(secret, raw, hashlib.sha256).digest()
            expected = mac.hex() if cfg.signature_encoding == "hex" else base64.b64encode(mac).decode()
            given = (self.headers.get("X-HMAC-SHA256") or "").strip()
            if not hmac.compare_digest(given.lower() if cfg.signature_encoding == "hex" else given, expected):
                return False
            auth = self.headers.get("Authorization") or ""
            if auth:
                echo.note("authorization", auth)
            if cfg.webhook_auth == "basic":
                want = "Basic " + base64.b64encode(f"{cfg.client_id}:{cfg.webhook_secret}".encode()).decode()
            elif cfg.webhook_auth == "bearer":
                want = "Bearer " + cfg.webhook_secret
            elif cfg.webhook_auth == "hmac-sha1":
                want = "MAC " + base64.b64encode(hmac.new(secret, raw, hashlib.sha1).digest()).decode()
            else:
                return True
            return hmac.compare_digest(auth.encode(), want.encode())

        def _webhook(self, raw):
            self._echoing = True
            self._raw = raw
            if not self._authenticated(raw):
                mod.log(f"webhook rejected: bad {cfg.webhook_auth} authentication -> 401")
                self._reply(401, None)
                return
            # Authenticated: the independent partner's own check (base64 X-HMAC-SHA256) must agree.
            if cfg.signature_encoding == "hex":
                del self.headers["X-HMAC-SHA256"]
                self.headers["X-HMAC-SHA256"] = base64.b64encode(
                    hmac.new(cfg.webhook_secret.encode(), raw, hashlib.sha256).digest()).decode()
            base._webhook(self, raw)
            threading.Thread(target=echo_call, args=(mod, echo, cfg, self.path, dict(self.headers.items()), raw), daemon=True).start()

        def do_POST(self):
            self._echoing = False  # a kept-alive connection serves control calls too
            base.do_POST(self)

        def do_GET(self):
            self._echoing = False
            if self.path.split("?")[0] == "/_control/echo":
                data = json.dumps(echo.body("GET", self.path, dict(self.headers.items()), b"")).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            base.do_GET(self)

    return EchoHandler


def echo_call(mod, echo, cfg, path, headers, raw):
    """POST /v1/echo to the sandbox: the whole echo as the body, the token in the query and in custom headers."""
    try:
        token = echo.partner.client.tokens.get()
    except Exception:  # noqa: BLE001
        return
    body = json.dumps(echo.body("POST", path, headers, raw)).encode()
    query = urllib.parse.urlencode({"access_token": token, "client_secret": cfg.client_secret, "token": token})
    h = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
    h.update({k: v for k, v in echo.headers().items() if v})
    mod._original_http("POST", cfg.otter_url + "/v1/echo?" + query, body, h)


def install_http(mod, echo, cfg):
    """Every call to the sandbox gets the token and secrets in its query and in custom headers; issued tokens are noted."""
    original = mod._http
    mod._original_http = original

    def http(method, url, data, headers, timeout=mod.HTTP_TIMEOUT):
        headers = dict(headers)
        is_token = url.split("?")[0].endswith("/v1/auth/token")
        auth = headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        extra = {"client_secret": cfg.client_secret, "clientSecret": cfg.client_secret}
        if token:
            extra.update({"access_token": token, "token": token})
        url = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(extra)
        headers.update({k: v for k, v in echo.headers().items() if v})
        if token:
            headers["X-Echo-Bearer"] = token
        status, body, rheaders = original(method, url, data, headers, timeout)
        if is_token and status == 200:
            try:
                echo.note("token", json.loads(body.decode())["access_token"])
            except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                pass
        return status, body, rheaders

    mod._http = http


def hook(args):
    """Runs the independent partner's action hook, then writes the partner's echo to stderr."""
    r = subprocess.run([sys.executable, os.path.join(INDIE, "action-hook.py"), "--partner", args.partner],
                       stdin=sys.stdin, capture_output=True)
    sys.stdout.write(r.stdout.decode())
    sys.stderr.write(r.stderr.decode())
    try:
        with urllib.request.urlopen(args.partner.rstrip("/") + "/_control/echo", timeout=10) as resp:
            sys.stderr.write("echo-hook: " + resp.read().decode() + "\n")
    except OSError as e:
        sys.stderr.write(f"echo-hook: no echo ({e})\n")
    return r.returncode


def main():
    ap = argparse.ArgumentParser(description="Echoing partner (the independent partner, echoing everything)")
    ap.add_argument("--webhook-auth", default="hmac", choices=["hmac", "basic", "bearer", "hmac-sha1"])
    ap.add_argument("--signature-encoding", default="base64", choices=["base64", "hex"])
    ap.add_argument("--dump", help="append issued tokens and received Authorization values here (JSON lines)")
    ap.add_argument("--hook", action="store_true", help="act as the action hook instead (with --partner URL)")
    ap.add_argument("--partner", help="with --hook: the echo partner's base URL")
    own, rest = ap.parse_known_args()
    if own.hook:
        return hook(own)
    mod = load_partner()
    cfg = mod.parse_args(rest)
    cfg.webhook_auth, cfg.signature_encoding = own.webhook_auth, own.signature_encoding
    echo = Echo(cfg, own.dump)
    install_http(mod, echo, cfg)
    handler = make_handler(mod, echo, cfg)
    original_partner = mod.Partner

    def partner_factory(c):
        p = original_partner(c)
        echo.partner = p
        return p

    mod.Partner = partner_factory
    mod.Handler = handler
    return mod.main(rest)


if __name__ == "__main__":
    sys.exit(main())
