#!/usr/bin/env python3
"""A partner of the Otter Public API written strictly to the spec (delivery, POS or ordering marketplace).

Every webhook it receives, every answer the Otter API (the otter-cert sandbox) gives it, and every request it
sends is validated against the bundled OpenAPI (checklists/openapi/otter-public-api.json) with
openapi-schema-validator (see spec.py). Violations go to stderr, one line each, and are counted:
GET /_control/health answers {"ok": true, "violations": N, "lastViolations": [...]}.

  partner.py --listen 127.0.0.1:PORT --otter-url http://127.0.0.1:SANDBOXPORT \
             --type delivery|pos|orders [--spec FILE] \
             [--webhook-secret S --client-id ID --client-secret S]   (or OTTER_CERT_* in the environment)

Webhooks: POST to any path except /_control/* (use /webhook).
Actions:  POST /_control/action {"action", "storeId", "vars"} (see Tests/IndependentPartner/action-hook.py).
Health:   GET /_control/health.

Needs the test-tools virtualenv (.ci/install-test-tools): openapi-schema-validator, jsonschema.
"""

import argparse
import base64
import collections
import datetime
import hashlib
import hmac
import json
import os
import random
import signal
import string
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import spec as openapi  # noqa: E402  (this folder's spec.py)
except ImportError as e:  # pragma: no cover
    sys.stderr.write(f"spec partner: {e}; run .ci/install-test-tools and use its virtualenv's python\n")
    sys.exit(2)

# ---------------------------------------------------------------------------
# What the partner calls, by type: the scopes it asks for are those the spec's operations require.
# ---------------------------------------------------------------------------

COMMON_OPERATIONS = [("POST", "/v1/stores")]
OPERATIONS = {
    "delivery": [
        ("POST", "/v1/delivery/{deliveryReferenceId}/quotes"),
        ("POST", "/v1/delivery/{deliveryReferenceId}/accept"),
        ("POST", "/v1/delivery/{deliveryReferenceId}/update"),
        ("POST", "/v1/delivery/{deliveryReferenceId}/cancel"),
        ("PUT", "/v1/delivery/{deliveryReferenceId}/status"),
        ("POST", "/v1/delivery/callback/error"),
    ],
    "pos": [
        ("POST", "/manager/order/v1/orders/order-created"),
        ("POST", "/manager/order/v1/sources/{source}/orders/{orderId}/confirm"),
        ("POST", "/manager/order/v1/sources/{source}/orders/{orderId}/ready-to-pickup"),
        ("POST", "/manager/order/v1/sources/{source}/orders/{orderId}/fulfill"),
        ("POST", "/v1/menus"),
        ("POST", "/v1/menus/current"),
        ("POST", "/v1/menus/entity/availability/bulk"),
        ("POST", "/v1/storefront/pause"),
        ("POST", "/v1/storefront/unpause"),
        ("POST", "/manager/storefront/v1/storefront/pause"),
        ("POST", "/manager/storefront/v1/storefront/unpause"),
        ("POST", "/v1/callback/error"),
    ],
    "orders": [
        ("POST", "/v1/orders"),
        ("PUT", "/v1/orders/{orderId}"),
        ("POST", "/v1/orders/{orderId}/status"),
        ("POST", "/v1/menus/publish"),
        ("POST", "/v1/menus/hours"),
        ("POST", "/v1/menus/entity/availability/bulk"),
        ("POST", "/v1/storefront/pause"),
        ("POST", "/v1/storefront/unpause"),
        ("POST", "/v1/storefront/availability"),
        ("POST", "/v1/storefront/hours"),
        ("POST", "/v1/callback/error"),
    ],
}

COURIER_STEPS = ["ALLOCATED", "ARRIVED_AT_PICKUP", "PICKED_UP", "ARRIVED_AT_DROP_OFF", "COMPLETED"]
COURIER_INTERVAL = 0.05

MAX_5XX_TRIES = 5          # total attempts when the platform answers 5xx / is unreachable
MAX_429_TRIES = 6          # total attempts when the platform answers 429
BACKOFF_BASE = 0.2         # 0.2, 0.4, 0.8, 1.6 s
HTTP_TIMEOUT = 15.0
IDLE_WAIT = 30.0           # how long an action waits for pending webhook work on its resource
KEEP_LAST = 50             # violations kept for /_control/health

# Header parameters of the spec, by name, and where the partner takes their values from.
HEADER_SOURCES = {"x-store-id": "store_id", "x-event-id": "event_id", "x-application-id": "application_id"}

# Body of POST /v1/menus/current: the OpenAPI example MenuSendCallbackRequestExample with the values that break
# its own schema fixed (TimeRange.end 1320 -> "22:00", nutrition strings like "5.2," -> numbers, the required
# photoIds/priceOverrides of the Paper straw and contentType of the photo added), as in the independent partner.
# Body of POST /v1/menus: the OpenAPI example UpsertMenuRequestExample. Both are validated at start-up.
SEND_MENU_BODY_JSON = (
    '{"menuData":{"menus":{"ff6dd693-5e55-4a92-a359-ea61b23ed423":{"id":"ff6dd693-5e55-4a92-a35'
    '9-ea61b23ed423","name":"Tasty BBQ","categoryIds":["b01485b0-034a-47c5-8a0a-0eeca08bf994"],'
    '"fulfillmentModes":["DELIVERY"],"description":"Cooking up BBQ deliciousness from around '
    'the globe!","hoursData":{"timeZone":"America/Los_Angeles","regularHours":[{"days":["MONDAY'
    '","TUESDAY","WEDNESDAY","THURSDAY","FRIDAY"],"timeRanges":[{"start":"08:00","end":"22:00"}'
    ']}],"specialHours":[{"date":"2021-12-31","timeRanges":[{"start":"08:00","end":"22:00"}],"t'
    'ype":"CLOSED"}]},"additionalCharges":[{"chargeType":"PACKAGING_CHARGE","percentageCharge":'
    '{"decimalValue":0.03}}],"exposedThirdPartyInfos":[{"externalId":"ff6dd693-5e55-4a92-a359-e'
    'a61b23ed423","externalServiceSlug":"3PD"}]}},"categories":{"b01485b0-034a-47c5-8a0a-0eeca0'
    '8bf994":{"name":"Drinks","description":"All drink items served up nice and fresh!","id":"b'
    '01485b0-034a-47c5-8a0a-0eeca08bf994","itemIds":["fa4f0192-4c4e-4455-9db8-61d428c34969"]}},'
    '"items":{"fa4f0192-4c4e-4455-9db8-61d428c34969":{"id":"fa4f0192-4c4e-4455-9db8-61d428c3496'
    '9","name":"Canned Coke","description":"Best soda pop ever made","price":{"currencyCode":"U'
    'SD","amount":7.65},"status":{"saleStatus":"FOR_SALE"},"modifierGroupIds":["f4c69056-3ae3-4'
    '517-9294-5ceec8df5f81"],"photoIds":["c75d9460-5d48-423d-8d01-f825fd5b1672"],"priceOverride'
    's":[{"rules":[{"type":"FulfillmentModeOverrideRule","fulfillmentMode":"PICK_UP"}],"price":'
    '{"currencyCode":"USD","amount":7}}],"skuDetails":{"skuSlug":"canned-coke-355ml","dietaryCl'
    'assifications":[{"tag":"VEGAN"}],"allergenClassifications":[{"tag":"GLUTEN","containsAller'
    'gen":false},{"tag":"PEANUT","containsAllergen":true}],"storageRequirements":[{"tag":"COLD"'
    '},{"tag":"AVOID_SUNLIGHT"}],"additives":["flavor enhancers","food coloring"],"containsAlco'
    'hol":false,"nutritionalInfo":{"energyKcal":{"low":1,"high":100},"nutritionContent":{"servi'
    'ngSizeInGrams":100,"servingSizeInMilliliters":100,"fats":100.2,"saturatedFats":3.5,"monoUn'
    'saturatedFats":5.2,"polyUnsaturatedFats":1.3,"carbohydrates":3.2,"sugar":101.0,"polyols":1'
    '.1,"starch":1.2,"protein":1.3,"salt":1.4,"sodium":1.5,"fibres":1.6,"vitaminC":1.7,"calcium'
    '":1.8,"magnesium":1.9,"chloride":2.0,"fluoride":2.1,"potassium":2.2,"caffeine":2.3,"energy'
    '":2.4}},"servings":{"min":1,"max":2},"producerInformation":"The Coca-Cola '
    'Company","distributorInformation":"The Coca-Cola Company","countryOfOriginIso2":"US"},"add'
    'itionalCharges":[{"chargeType":"PACKAGING_CHARGE","flatCharge":{"currencyCode":"USD","amou'
    'nt":1.5}}],"tax":{"percentageValue":{"decimalValue":0.513},"isValueAddedTax":true},"expose'
    'dThirdPartyInfos":[{"externalId":"ff6dd693-5e55-4a92-a359-ea61b23ed423","externalServiceSl'
    'ug":"3PD"}]},"6d53cf04-9d62-40f5-a8b3-706e3377668f":{"id":"6d53cf04-9d62-40f5-a8b3-706e337'
    '7668f","name":"Paper straw","description":"A paper straw","price":{"currencyCode":"USD","a'
    'mount":0.5},"status":{"saleStatus":"FOR_SALE"},"photoIds":[],"priceOverrides":[]}},"modifi'
    'erGroups":{"f4c69056-3ae3-4517-9294-5ceec8df5f81":{"id":"f4c69056-3ae3-4517-9294-5ceec8df5'
    'f81","name":"Add Straw","minimumSelections":0,"maximumSelections":1,"defaultModifierSelect'
    'ionData":{"defaultModifierSelections":[{"itemId":"6d53cf04-9d62-40f5-a8b3-706e3377668f","s'
    'electionQuantity":1}]},"itemIds":["6d53cf04-9d62-40f5-a8b3-706e3377668f"],"type":"DEFAULT"'
    ',"exposedThirdPartyInfos":[{"externalId":"ff6dd693-5e55-4a92-a359-ea61b23ed423","externalS'
    'erviceSlug":"3PD"}]}},"photos":{"c75d9460-5d48-423d-8d01-f825fd5b1672":{"id":"c75d9460-5d4'
    '8-423d-8d01-f825fd5b1672","fileName":"c75d9460-5d48-423d-8d01-f825fd5b1672.jpeg","url":"ht'
    'tps://example.com/photos/c75d9460-5d48-423d-8d01-f825fd5b1672.jpeg","contentType":"image/j'
    'peg"}}}}'
)
UPSERT_MENU_BODY_JSON = (
    '{"categories":{"b01485b0-034a-47c5-8a0a-0eeca08bf994":{"name":"Drinks","description":"All '
    'drink items served up nice and fresh!","id":"b01485b0-034a-47c5-8a0a-0eeca08bf994","itemId'
    's":["fa4f0192-4c4e-4455-9db8-61d428c34969"]}},"modifierGroups":{"f4c69056-3ae3-4517-9294-5'
    'ceec8df5f81":{"id":"f4c69056-3ae3-4517-9294-5ceec8df5f81","name":"Add Straw","minimumSelec'
    'tions":0,"maximumSelections":1,"defaultModifierSelectionData":{"defaultModifierSelections"'
    ':[{"itemId":"6d53cf04-9d62-40f5-a8b3-706e3377668f","selectionQuantity":1}]},"itemIds":["6d'
    '53cf04-9d62-40f5-a8b3-706e3377668f"],"type":"DEFAULT","exposedThirdPartyInfos":[{"external'
    'Id":"ff6dd693-5e55-4a92-a359-ea61b23ed423","externalServiceSlug":"3PD"}]}},"menus":{"ff6dd'
    '693-5e55-4a92-a359-ea61b23ed423":{"id":"ff6dd693-5e55-4a92-a359-ea61b23ed423","name":"Tast'
    'y BBQ","categoryIds":["b01485b0-034a-47c5-8a0a-0eeca08bf994"],"fulfillmentModes":["DELIVER'
    'Y"],"description":"Cooking up BBQ deliciousness from around the globe!","hours":{"interval'
    's":[{"day":"MONDAY","fromHour":7,"fromMinute":30,"toHour":22,"toMinute":0}]},"additionalCh'
    'arges":[{"chargeType":"PACKAGING_CHARGE","flatCharge":{"currencyCode":"USD","amount":1.5}}'
    ']}},"items":{"fa4f0192-4c4e-4455-9db8-61d428c34969":{"id":"fa4f0192-4c4e-4455-9db8-61d428c'
    '34969","name":"Canned Coke","description":"Best soda pop ever made","price":{"currencyCode'
    '":"USD","amount":7.65},"status":{"saleStatus":"FOR_SALE"},"modifierGroupIds":["f4c69056-3a'
    'e3-4517-9294-5ceec8df5f81"],"photoUrls":["https://example.com/photos/c75d9460-5d48-423d-8d'
    '01-f825fd5b1672.jpeg"],"priceOverrides":[{"rules":[{"externalServiceSlug":"ubereats"}],"cu'
    'rrencyCode":"USD","amount":7}],"skuDetails":{"skuSlug":"canned-coke-355ml","dietaryClassif'
    'ications":[{"tag":"VEGAN"}],"allergenClassifications":[{"tag":"GLUTEN","containsAllergen":'
    'false},{"tag":"PEANUT","containsAllergen":true}],"storageRequirements":[{"tag":"FROZEN"}]}'
    '},"6d53cf04-9d62-40f5-a8b3-706e3377668f":{"id":"6d53cf04-9d62-40f5-a8b3-706e3377668f","nam'
    'e":"Paper straw","description":"A paper straw","price":{"currencyCode":"USD","amount":0.5}'
    ',"status":{"saleStatus":"FOR_SALE"},"type":"DEFAULT"}}}'
)


def send_menu_body():
    return json.loads(SEND_MENU_BODY_JSON)


def upsert_menu_body():
    return json.loads(UPSERT_MENU_BODY_JSON)


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

_log_lock = threading.Lock()


def log(msg):
    ts = datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3]
    with _log_lock:
        sys.stderr.write(f"[spec-partner {ts}] {msg}\n")
        sys.stderr.flush()


def now_rfc3339(offset_seconds=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def money(x):
    return round(x + 0.0, 2)


def friendly_id():
    return "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(6))


def currency_or_usd(value):
    if isinstance(value, str) and len(value) == 3 and value.isalpha() and value.isupper():
        return value
    return "USD"


def as_dict(value):
    return value if isinstance(value, dict) else {}


def q(segment):
    return urllib.parse.quote(str(segment), safe="")


class ActionError(Exception):
    """An action that cannot be performed; carries the HTTP status for /_control/action."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class WebhookFailure(Exception):
    """A webhook that cannot be processed: reported with callback/error."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------
# Violations
# ---------------------------------------------------------------------------

class Recorder:
    """Counts spec violations (and notes), and writes each on its own stderr line."""

    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.last = collections.deque(maxlen=KEEP_LAST)
        self.notes = 0
        self.last_notes = collections.deque(maxlen=KEEP_LAST)

    def violation(self, line):
        with self.lock:
            self.count += 1
            self.last.append(line)
        log("SPEC VIOLATION " + line)

    def note(self, line):
        with self.lock:
            self.notes += 1
            self.last_notes.append(line)
        log("SPEC NOTE " + line)

    def health(self):
        with self.lock:
            return {"violations": self.count, "lastViolations": list(self.last),
                    "notes": self.notes, "lastNotes": list(self.last_notes)}


# ---------------------------------------------------------------------------
# HTTP to the Otter API, validated both ways
# ---------------------------------------------------------------------------

class CallResult:
    def __init__(self, status, body, error=None):
        self.status = status
        self.body = body
        self.error = error

    @property
    def ok(self):
        return 200 <= self.status < 300

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (ValueError, UnicodeDecodeError):
            return None

    def describe(self):
        if self.error:
            return self.error
        text = self.body.decode("utf-8", "replace")[:300] if self.body else ""
        return f"HTTP {self.status} {text}".strip()


def _http(method, url, data, headers, timeout=HTTP_TIMEOUT):
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        try:
            body = e.read()
        except Exception:  # noqa: BLE001
            body = b""
        return e.code, body, e.headers
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        reason = getattr(e, "reason", e)
        return 0, b"", {"X-Partner-Error": f"network error: {reason}"}


def _retry_after_seconds(headers):
    raw = headers.get("Retry-After") if headers is not None else None
    if raw is None:
        return 1.0
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        from email.utils import parsedate_to_datetime
        when = parsedate_to_datetime(raw)
        return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())
    except (TypeError, ValueError, IndexError):
        return 1.0


class Wire:
    """Sends one request of an operation of the spec, after validating it, and validates every answer."""

    def __init__(self, cfg, spec, recorder):
        self.cfg = cfg
        self.spec = spec
        self.recorder = recorder

    def prepare(self, method, template, params, body, context):
        """(url, path, header parameters, encoded body, content type) of a spec-valid request. A request that
        would break the spec is not sent: its violations are recorded and ValueError names them."""
        op = self.spec.operation(method, template)
        params = {k: str(v) for k, v in (params or {}).items()}
        header_params = {}
        for p in self.spec.parameters(op):
            if p.get("in") != "header":
                continue
            source = HEADER_SOURCES.get(p["name"].lower())
            value = context.get(source) if source else None
            if value is not None and value != "":
                header_params[p["name"]] = str(value)
        problems = self.spec.validate_request(op, params, header_params, body)
        if problems:
            for pr in problems:
                self.recorder.violation(f"request (not sent) {op.method} {op.template}: {pr}")
            raise ValueError(f"{op.method} {op.template} would break the spec: " + "; ".join(problems))
        path = op.template
        for name, value in params.items():
            path = path.replace("{" + name + "}", q(value))
        data, content_type = None, None
        rb = self.spec.request_body(op)
        if body is not None:
            content_type = rb[0]
            if content_type == "application/x-www-form-urlencoded":
                data = urllib.parse.urlencode(body).encode("ascii")
            else:
                data = json.dumps(body).encode("utf-8")
        return self.cfg.otter_url + path, path, header_params, data, content_type

    def check_answer(self, method, path, status, headers, body):
        """Validates an answer against the response the spec documents for its operation and status."""
        op = self.spec.match(method, path)
        if op is None:
            self.recorder.violation(f"answer {method} {path} {status}: no operation of the spec has this path")
            return
        ctype = headers.get("Content-Type") if headers is not None else None
        key, _ = self.spec.response(op, status)
        if key is None and (status == 429 or 500 <= status <= 599):
            # Not among the operation's responses; the spec's prose (info.description: "Rate Limiting",
            # "5XX Server-Side Errors") documents these for every endpoint, without a body schema.
            self.recorder.note(f"answer {op.method} {op.template} {status}: not in the operation's responses; "
                               "documented only by info.description (rate limiting / 5XX server errors)")
            return
        for pr in self.spec.validate_answer(op, status, ctype, body):
            self.recorder.violation(f"answer {op.method} {op.template} {status}: {pr}")

    def send(self, method, url, path, headers, data):
        status, rbody, rheaders = _http(method, url, data, headers)
        if status != 0:
            self.check_answer(method, path, status, rheaders, rbody)
        return status, rbody, rheaders


class TokenManager:
    """POST /v1/auth/token as the spec documents it: form-encoded client_credentials with a scope."""

    def __init__(self, cfg, wire, scopes):
        self.cfg = cfg
        self.wire = wire
        self.scopes = scopes
        self.lock = threading.Lock()
        self.token = None
        self.refresh_at = 0.0

    def get(self):
        with self.lock:
            if self.token and time.monotonic() < self.refresh_at:
                return self.token
            return self._fetch_locked()

    def invalidate(self, token):
        with self.lock:
            if self.token == token:
                self.token = None
                self.refresh_at = 0.0

    def _fetch_locked(self):
        form = {"grant_type": "client_credentials", "client_id": self.cfg.client_id,
                "client_secret": self.cfg.client_secret, "scope": " ".join(self.scopes)}
        try:
            url, path, _, data, ctype = self.wire.prepare("POST", "/v1/auth/token", {}, form, {})
        except ValueError as e:
            raise RuntimeError(str(e)) from None
        headers = {"Content-Type": ctype, "Accept": "application/json"}
        tries_5xx = tries_429 = 0
        while True:
            status, body, rheaders = self.wire.send("POST", url, path, headers, data)
            if status == 429:
                tries_429 += 1
                if tries_429 >= MAX_429_TRIES:
                    raise RuntimeError("token request: still 429 after retries")
                time.sleep(_retry_after_seconds(rheaders) + 0.05)
                continue
            if status == 0 or status >= 500:
                tries_5xx += 1
                if tries_5xx >= MAX_5XX_TRIES:
                    what = rheaders.get("X-Partner-Error") if status == 0 else f"HTTP {status}"
                    raise RuntimeError(f"token request failed: {what}")
                time.sleep(BACKOFF_BASE * (2 ** (tries_5xx - 1)))
                continue
            break
        if status != 200:
            raise RuntimeError(f"token request rejected: HTTP {status}")
        try:
            answer = json.loads(body.decode("utf-8"))
            token = answer["access_token"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise RuntimeError("token answer is not a JSON object with access_token") from None
        expires_in = answer.get("expires_in")
        if not isinstance(expires_in, (int, float)) or isinstance(expires_in, bool):
            expires_in = 3600
        margin = min(60.0, expires_in * 0.1)
        self.token = token
        self.refresh_at = time.monotonic() + max(0.0, expires_in - margin)
        log(f"token obtained (expires_in={answer.get('expires_in')}, scope={answer.get('scope')!r})")
        return token


class OtterClient:
    def __init__(self, cfg, spec, recorder):
        self.cfg = cfg
        self.wire = Wire(cfg, spec, recorder)
        ops = COMMON_OPERATIONS + OPERATIONS[cfg.type]
        scopes = []
        for method, template in ops:
            for s in spec.scopes(spec.operation(method, template)):
                if s not in scopes:
                    scopes.append(s)
        self.scopes = scopes
        self.allowed = set(ops)
        self.tokens = TokenManager(cfg, self.wire, scopes)

    def call(self, method, template, params=None, body=None, store_id=None, event_id=None, application_id=None):
        """One request with the partner's retry policy. Never raises; returns a CallResult. body None = none."""
        if (method, template) not in self.allowed:
            return CallResult(0, b"", error=f"internal: {method} {template} is not among this type's operations")
        try:
            url, path, header_params, data, ctype = self.wire.prepare(
                method, template, params, body,
                {"store_id": store_id, "event_id": event_id, "application_id": application_id})
        except ValueError as e:
            log(f"callback {method} {template} NOT SENT: {e}")
            return CallResult(0, b"", error=str(e))
        base_headers = {"Accept": "application/json"}
        base_headers.update(header_params)
        if ctype:
            base_headers["Content-Type"] = ctype
        tries_5xx = tries_429 = 0
        refreshed = False
        while True:
            try:
                token = self.tokens.get()
            except RuntimeError as e:
                result = CallResult(0, b"", error=str(e))
                break
            headers = dict(base_headers)
            headers["Authorization"] = "Bearer " + token
            status, rbody, rheaders = self.wire.send(method, url, path, headers, data)
            if status == 401 and not refreshed:   # invalid_token (RFC 6750): a new token, then once more
                refreshed = True
                self.tokens.invalidate(token)
                continue
            if status == 429:
                tries_429 += 1
                if tries_429 >= MAX_429_TRIES:
                    result = CallResult(status, rbody)
                    break
                time.sleep(_retry_after_seconds(rheaders) + 0.05)
                continue
            if status == 0 or status >= 500:
                tries_5xx += 1
                if tries_5xx >= MAX_5XX_TRIES:
                    err = rheaders.get("X-Partner-Error") if status == 0 else None
                    result = CallResult(status, rbody, error=err)
                    break
                time.sleep(BACKOFF_BASE * (2 ** (tries_5xx - 1)))
                continue
            result = CallResult(status, rbody)
            break
        tries = 1 + tries_5xx + tries_429 + (1 if refreshed else 0)
        if result.ok:
            log(f"callback {method} {path} -> {result.status} (tries={tries})")
        else:
            log(f"callback {method} {path} FAILED: {result.describe()} (tries={tries})")
        return result


# ---------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------

class Delivery:
    def __init__(self, ref):
        self.ref = ref
        self.lock = threading.Lock()       # held while a status update is in flight
        self.store_id = None
        self.provider_delivery_id = "prov-" + uuid.uuid4().hex[:12]
        self.accepted = False
        self.cancelled = False
        self.courier_index = 0             # next courier step to send
        self.currency = "USD"


class PosOrder:
    def __init__(self, order_id):
        self.order_id = order_id
        self.source = None
        self.store_id = None
        self.order = None
        self.cancelled = False
        self.confirmed = False
        self.ready = False
        self.fulfilled = False


class SerialExecutor:
    """Runs webhook work in background threads, FIFO per resource key, parallel across keys."""

    def __init__(self):
        self.cond = threading.Condition()
        self.queues = {}
        self.running = set()

    def submit(self, key, fn):
        with self.cond:
            q_ = self.queues.setdefault(key, collections.deque())
            q_.append(fn)
            if key not in self.running:
                self.running.add(key)
                threading.Thread(target=self._drain, args=(key,), daemon=True).start()

    def _drain(self, key):
        while True:
            with self.cond:
                q_ = self.queues.get(key)
                if not q_:
                    self.queues.pop(key, None)
                    self.running.discard(key)
                    self.cond.notify_all()
                    return
                fn = q_.popleft()
            try:
                fn()
            except Exception as e:  # noqa: BLE001
                log(f"internal error while processing ({key}): {type(e).__name__}: {e}")

    def wait_idle(self, key, timeout=IDLE_WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while key in self.running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True


# ---------------------------------------------------------------------------
# The partner
# ---------------------------------------------------------------------------

class Partner:
    def __init__(self, cfg, spec):
        self.cfg = cfg
        self.spec = spec
        self.recorder = Recorder()
        self.client = OtterClient(cfg, spec, self.recorder)
        self.executor = SerialExecutor()
        self.lock = threading.Lock()
        self.seen_events = set()
        self.deliveries = {}
        self.pos_orders = {}
        self.market_orders = {}
        self.closures = {}
        self.handlers = self._handlers()

    def delivery(self, ref):
        with self.lock:
            d = self.deliveries.get(ref)
            if d is None:
                d = self.deliveries[ref] = Delivery(ref)
            return d

    def pos_order(self, order_id):
        with self.lock:
            o = self.pos_orders.get(order_id)
            if o is None:
                o = self.pos_orders[order_id] = PosOrder(order_id)
            return o

    # ----- webhook intake (runs in the HTTP handler thread) ----------------

    def _handlers(self):
        t = self.cfg.type
        # event type -> (resource-key function, synchronous "remember" step or None, async work or None)
        h = {"stores.upsert": (self._key_store, None, self.on_stores_upsert)}
        if t == "delivery":
            h.update({
                "delivery.request_quote": (self._key_delivery, self.remember_delivery, self.on_request_quote),
                "delivery.accept": (self._key_delivery, self.remember_delivery, self.on_accept),
                "delivery.update_request": (self._key_delivery, self.remember_delivery, self.on_update_request),
                "delivery.cancel": (self._key_delivery, self.remember_delivery_cancel, self.on_delivery_cancel),
            })
        elif t == "pos":
            h.update({
                "orders.new_order": (self._key_order, self.remember_pos_order, self.on_pos_new_order),
                "orders.update": (self._key_order, self.remember_pos_order, None),
                "orders.cancel_order": (self._key_order, self.remember_pos_cancel, None),
                "menus.send_menu": (self._key_store, None, self.on_send_menu),
                "menus.update_menu_entities_availabilities": (self._key_store, None, self.on_entity_availability),
                "storefront.pause_store": (self._key_store, None, self.on_storefront_pause),
                "storefront.unpause_store": (self._key_store, None, self.on_storefront_unpause),
            })
        else:  # orders (ordering marketplace)
            h.update({
                "orders.order_status_update": (self._key_order, self.remember_market_status, None),
                "orders.cancel_order": (self._key_order, self.remember_market_cancel, None),
                "menus.menu_publish": (self._key_store, None, self.on_menu_publish),
                "menus.upsert_hours": (self._key_store, None, self.on_upsert_hours),
                "menus.update_menu_entities_availabilities": (self._key_store, None, self.on_entity_availability),
                "storefront.pause_store": (self._key_store, None, self.on_storefront_pause),
                "storefront.unpause_store": (self._key_store, None, self.on_storefront_unpause),
                "storefront.get_store_availability": (self._key_store, None, self.on_store_availability),
                "storefront.get_store_hours": (self._key_store, None, self.on_store_hours),
            })
        return h

    @staticmethod
    def _key_store(ev):
        return "store:" + str(ev["metadata"].get("storeId"))

    @staticmethod
    def _key_delivery(ev):
        p = as_dict(ev["metadata"].get("payload"))
        ref = p.get("deliveryReferenceId") or ev["metadata"].get("resourceId")
        return "delivery:" + str(ref)

    @staticmethod
    def _order_id_of(ev):
        p = as_dict(ev["metadata"].get("payload"))
        ext = as_dict(p.get("externalIdentifiers"))
        return ext.get("id") or ev["metadata"].get("resourceId")

    def _key_order(self, ev):
        return "order:" + str(self._order_id_of(ev))

    def accept_event(self, ev):
        """Called for a signed, spec-valid webhook, before the 200. Returns a log note."""
        event_id = ev.get("eventId")
        with self.lock:
            if event_id in self.seen_events:
                return "duplicate, ignored"
            self.seen_events.add(event_id)
        entry = self.handlers.get(ev.get("eventType"))
        if entry is None:
            return "nothing to do for this integration type, ack only"
        key_fn, remember, work = entry
        if remember is not None:
            remember(ev)
        if work is None:
            return "ack only"
        self.executor.submit(key_fn(ev), lambda: self._run_work(work, ev))
        return "queued"

    def _run_work(self, work, ev):
        try:
            work(ev)
        except WebhookFailure as f:
            self.error_callback(ev, f.code, f.message)

    def error_callback(self, ev, code, message):
        path = "/v1/delivery/callback/error" if self.cfg.type == "delivery" else "/v1/callback/error"
        self.cb(ev, "POST", path, None, {"errorCode": code, "errorMessage": message})

    def cb(self, ev, method, template, params, body):
        """A callback for a webhook: X-Store-Id, X-Event-Id and X-Application-Id from the event, where the
        operation has such a header parameter."""
        md = ev["metadata"]
        return self.client.call(method, template, params, body, store_id=md.get("storeId"),
                                event_id=ev.get("eventId"), application_id=md.get("applicationId"))

    # ----- delivery ---------------------------------------------------------

    def remember_delivery(self, ev):
        p = as_dict(ev["metadata"].get("payload"))
        ref = p.get("deliveryReferenceId")
        if ref:
            d = self.delivery(ref)
            d.store_id = ev["metadata"].get("storeId") or d.store_id
            if p.get("currencyCode"):
                d.currency = currency_or_usd(p.get("currencyCode"))

    def remember_delivery_cancel(self, ev):
        self.remember_delivery(ev)
        ref = as_dict(ev["metadata"].get("payload")).get("deliveryReferenceId")
        if ref:
            self.delivery(ref).cancelled = True

    @staticmethod
    def _ref(ev):
        ref = as_dict(ev["metadata"].get("payload")).get("deliveryReferenceId")
        if not ref:
            raise WebhookFailure("INVALID_ARGUMENT", "payload.deliveryReferenceId is missing")
        return ref

    def on_request_quote(self, ev):
        p = as_dict(ev["metadata"].get("payload"))
        ref = self._ref(ev)
        if p.get("dropoffAddress") is None:
            raise WebhookFailure("INVALID_ARGUMENT", "cannot quote: the request has no dropoffAddress")
        preferred = p.get("preferredPickupDuration")
        min_pickup = preferred if isinstance(preferred, int) and 0 < preferred <= 120 else 10
        body = {
            "minPickupDuration": min_pickup,
            "maxPickupDuration": min_pickup + 10,
            "deliveryDistance": {"unit": "KILOMETERS", "value": 3.2},
            "currencyCode": currency_or_usd(p.get("currencyCode")),
            "cost": {"baseCost": 4.99, "extraCost": 0.99},
            "provider": p.get("provider") or "spec-partner",
            "createdAt": now_rfc3339(),
        }
        self.cb(ev, "POST", "/v1/delivery/{deliveryReferenceId}/quotes", {"deliveryReferenceId": ref}, body)

    def on_accept(self, ev):
        p = as_dict(ev["metadata"].get("payload"))
        ref = self._ref(ev)
        d = self.delivery(ref)
        if d.cancelled:
            raise WebhookFailure("FAILED_PRECONDITION", f"delivery {ref} was already cancelled")
        body = {
            "deliveryDistance": {"unit": "KILOMETERS", "value": 3.2},
            "currencyCode": currency_or_usd(p.get("currencyCode")),
            "cost": {"baseCost": 4.99, "extraCost": 0.99},
            "confirmedAt": now_rfc3339(),
            "estimatedPickupTime": now_rfc3339(15 * 60),
            "estimatedDeliveryTime": now_rfc3339(40 * 60),
            "providerDeliveryId": d.provider_delivery_id,
            "deliveryTrackingUrl": f"https://partner.example.com/track/{d.provider_delivery_id}",
        }
        if self.cb(ev, "POST", "/v1/delivery/{deliveryReferenceId}/accept", {"deliveryReferenceId": ref}, body).ok:
            d.accepted = True

    def on_update_request(self, ev):
        p = as_dict(ev["metadata"].get("payload"))
        ref = self._ref(ev)
        body = {"currencyCode": currency_or_usd(p.get("currencyCode")),
                "cost": {"baseCost": 5.49, "extraCost": 0.99}}
        self.cb(ev, "POST", "/v1/delivery/{deliveryReferenceId}/update", {"deliveryReferenceId": ref}, body)

    def on_delivery_cancel(self, ev):
        ref = self._ref(ev)
        d = self.delivery(ref)
        with d.lock:
            d.cancelled = True
            courier_was_moving = 0 < d.courier_index < len(COURIER_STEPS)
        self.cb(ev, "POST", "/v1/delivery/{deliveryReferenceId}/cancel", {"deliveryReferenceId": ref},
                {"canceledAt": now_rfc3339()})
        if courier_was_moving:
            self.client.call("PUT", "/v1/delivery/{deliveryReferenceId}/status", {"deliveryReferenceId": ref},
                             self._status_body(d, "CANCELED"))

    def _status_body(self, d, status):
        i = COURIER_STEPS.index(status) if status in COURIER_STEPS else max(0, d.courier_index - 1)
        return {
            "deliveryStatus": status,
            "courier": {"name": "Casey Courier", "phone": "+1-555-555-0199"},
            "location": {"latitude": round(37.7749 + 0.002 * i, 6), "longitude": round(-122.4194 + 0.002 * i, 6)},
            "createdAt": now_rfc3339(),
            "providerDeliveryId": d.provider_delivery_id,
            "estimatedPickupTime": now_rfc3339(10 * 60),
            "estimatedDeliveryTime": now_rfc3339(35 * 60),
            "deliveryTrackingUrl": f"https://partner.example.com/track/{d.provider_delivery_id}",
        }

    def action_advance_courier(self, store_id, vars_):
        ref = vars_.get("deliveryReferenceId")
        if not ref:
            raise ActionError(400, "vars.deliveryReferenceId is required")
        if not self.executor.wait_idle("delivery:" + ref):
            raise ActionError(504, f"webhook work for delivery {ref} still running")
        d = self.delivery(ref)
        if d.cancelled:
            raise ActionError(409, f"delivery {ref} was cancelled; the courier will not move")
        d.store_id = d.store_id or store_id
        until = vars_.get("untilStatus")
        sent = []
        while d.courier_index < len(COURIER_STEPS):
            with d.lock:
                if d.cancelled:
                    log(f"courier for {ref} stopped: delivery cancelled")
                    return {"deliveryReferenceId": ref, "courierStopped": "CANCELED", "sentStatuses": sent}
                status = COURIER_STEPS[d.courier_index]
                r = self.client.call("PUT", "/v1/delivery/{deliveryReferenceId}/status",
                                     {"deliveryReferenceId": ref}, self._status_body(d, status))
                if not r.ok:
                    raise ActionError(502, f"status {status} for {ref} failed: {r.describe()}")
                d.courier_index += 1
                sent.append(status)
            if status == until:
                break
            if d.courier_index < len(COURIER_STEPS):
                time.sleep(COURIER_INTERVAL)
        return {"deliveryReferenceId": ref, "providerDeliveryId": d.provider_delivery_id, "sentStatuses": sent,
                "deliveryStatus": sent[-1] if sent else COURIER_STEPS[d.courier_index - 1]}

    # ----- POS ----------------------------------------------------------------

    def remember_pos_order(self, ev):
        p = as_dict(ev["metadata"].get("payload"))
        ext = as_dict(p.get("externalIdentifiers"))
        oid = ext.get("id")
        if not oid:
            return
        o = self.pos_order(oid)
        o.source = ext.get("source") or o.source
        o.store_id = ev["metadata"].get("storeId") or o.store_id
        if o.order is None or ev.get("eventType") == "orders.update":
            o.order = p

    def remember_pos_cancel(self, ev):
        p = as_dict(ev["metadata"].get("payload"))
        ext = as_dict(p.get("externalIdentifiers"))
        oid = ext.get("id") or ev["metadata"].get("resourceId")
        if not oid:
            return
        o = self.pos_order(oid)
        o.source = ext.get("source") or o.source
        o.cancelled = True

    def on_pos_new_order(self, ev):
        p = as_dict(ev["metadata"].get("payload"))
        if not p.get("items"):
            # Order.items is optional in the spec, but an order with nothing in it cannot be injected.
            ext = as_dict(p.get("externalIdentifiers"))
            raise WebhookFailure("INVALID_ARGUMENT", f"order {ext.get('id')} has no items")
        # The spec's operation has no requestBody: none is sent.
        self.cb(ev, "POST", "/manager/order/v1/orders/order-created", None, None)

    def on_send_menu(self, ev):
        self.cb(ev, "POST", "/v1/menus/current", None, send_menu_body())

    def on_entity_availability(self, ev):
        # The spec's operation has no requestBody: none is sent.
        self.cb(ev, "POST", "/v1/menus/entity/availability/bulk", None, None)

    def _pos_order_for_action(self, vars_, verb):
        oid = vars_.get("orderId")
        if not oid:
            raise ActionError(400, "vars.orderId is required")
        if not self.executor.wait_idle("order:" + oid):
            raise ActionError(504, f"webhook work for order {oid} still running")
        o = self.pos_order(oid)
        source = vars_.get("source") or o.source
        if not source:
            raise ActionError(400, f"no source known for order {oid} (vars.source)")
        if o.cancelled:
            raise ActionError(409, f"order {oid} was cancelled; refusing to {verb} it")
        return o, oid, source

    def _manager_call(self, store_id, o, oid, source, verb_path, body):
        template = "/manager/order/v1/sources/{source}/orders/{orderId}/" + verb_path
        r = self.client.call("POST", template, {"source": source, "orderId": oid}, body,
                             store_id=store_id or o.store_id)
        if not r.ok:
            raise ActionError(502, f"{verb_path} for order {oid} failed: {r.describe()}")
        return {"orderId": oid, "source": source}

    def action_pos_confirm(self, store_id, vars_):
        o, oid, source = self._pos_order_for_action(vars_, "confirm")
        out = self._manager_call(store_id, o, oid, source, "confirm", {"estimatedPrepTimeMinutes": 15})
        o.confirmed = True
        return out

    def action_pos_ready(self, store_id, vars_):
        o, oid, source = self._pos_order_for_action(vars_, "mark ready")
        out = self._manager_call(store_id, o, oid, source, "ready-to-pickup", None)
        o.ready = True
        return out

    def action_pos_fulfill(self, store_id, vars_):
        o, oid, source = self._pos_order_for_action(vars_, "fulfil")
        if not o.ready:
            raise ActionError(409, f"order {oid} is not ready yet; mark it ready before fulfilling")
        out = self._manager_call(store_id, o, oid, source, "fulfill", None)
        o.fulfilled = True
        return out

    def action_pos_upsert_menu(self, store_id, vars_):
        r = self.client.call("POST", "/v1/menus", None, upsert_menu_body(), store_id=store_id)
        if not r.ok:
            raise ActionError(502, f"menu upsert failed: {r.describe()}")
        job = as_dict(as_dict(r.json()).get("jobReference"))
        return {"menuJobId": job["id"]} if job.get("id") else {}

    def action_pos_pause(self, store_id, vars_):
        body = {"start": now_rfc3339(), "end": now_rfc3339(60 * 60),
                "comment": "Paused by the spec partner", "reason": "STORE_MAINTENANCE"}
        r = self.client.call("POST", "/manager/storefront/v1/storefront/pause", None, body, store_id=store_id)
        if not r.ok:
            raise ActionError(502, f"pause failed: {r.describe()}")
        j = as_dict(r.json())
        return {"pauseRequestId": j["requestId"]} if j.get("requestId") else {}

    def action_pos_unpause(self, store_id, vars_):
        body = {"comment": "Unpaused by the spec partner"}
        r = self.client.call("POST", "/manager/storefront/v1/storefront/unpause", None, body, store_id=store_id)
        if not r.ok:
            raise ActionError(502, f"unpause failed: {r.describe()}")
        j = as_dict(r.json())
        return {"unpauseRequestId": j["requestId"]} if j.get("requestId") else {}

    # ----- orders (ordering marketplace) -------------------------------------

    def remember_market_status(self, ev):
        oid = self._order_id_of(ev)
        if not oid:
            return
        p = as_dict(ev["metadata"].get("payload"))
        history = p.get("orderStatusHistory")
        with self.lock:
            rec = self.market_orders.setdefault(oid, {"order": None, "storeId": ev["metadata"].get("storeId"),
                                                       "cancelled": False})
            if isinstance(history, list) and history and isinstance(history[-1], dict):
                rec["lastStatus"] = history[-1].get("status")

    def remember_market_cancel(self, ev):
        oid = self._order_id_of(ev)
        if not oid:
            return
        with self.lock:
            rec = self.market_orders.setdefault(oid, {"order": None, "storeId": ev["metadata"].get("storeId"),
                                                       "cancelled": False})
            rec["cancelled"] = True

    @staticmethod
    def _build_order(order_id, fid, extra_item=False):
        # Item.skuPrice, lineItemId and stationId are readOnly in the spec: a partner does not send them.
        items = [
            {"id": "item-cheeseburger", "name": "Juicy Cheeseburger", "quantity": 1, "price": 9.50, "modifiers": []},
            {"id": "item-fries", "name": "Crispy Fries", "quantity": 1, "price": 3.25, "modifiers": []},
        ]
        if extra_item:
            items.append({"id": "item-soda", "name": "Lemon Soda", "quantity": 1, "price": 2.50, "modifiers": []})
        subtotal = money(sum(i["price"] * i["quantity"] for i in items))
        discount, tax, tip, fee = 1.00, money(subtotal * 0.09), 2.00, 3.99
        total = money(subtotal - discount + tax + tip + fee)
        return {
            "externalIdentifiers": {"id": order_id, "friendlyId": fid, "source": "spec-marketplace",
                                    "sourceType": "ORDERING_MARKETPLACE"},
            "currencyCode": "USD",
            "status": "NEW_ORDER",
            "items": items,
            "orderedAt": now_rfc3339(),
            "customer": {"name": "Jane Doe", "phone": "+1-555-555-5555"},
            "customerNote": "Please include extra napkins!" if not extra_item else "Added a soda, thanks!",
            "orderTotal": {"subtotal": subtotal, "discount": discount, "tax": tax, "tip": tip,
                           "deliveryFee": fee, "total": total},
            "fulfillmentInfo": {"fulfillmentMode": "DELIVERY", "schedulingType": "ASAP",
                                "deliveryTime": now_rfc3339(45 * 60)},
        }

    def action_create_order(self, store_id, vars_):
        oid = str(uuid.uuid4())
        order = self._build_order(oid, friendly_id())
        r = self.client.call("POST", "/v1/orders", None, order, store_id=store_id)
        if not r.ok:
            raise ActionError(502, f"order creation failed: {r.describe()}")
        with self.lock:
            self.market_orders[oid] = {"order": order, "storeId": store_id, "cancelled": False}
        log(f"created order {oid}")
        return {"orderId": oid, "friendlyId": order["externalIdentifiers"]["friendlyId"],
                "source": order["externalIdentifiers"]["source"]}

    def _market_order_for_action(self, vars_, verb):
        oid = vars_.get("orderId")
        if not oid:
            raise ActionError(400, "vars.orderId is required")
        self.executor.wait_idle("order:" + oid)
        with self.lock:
            rec = self.market_orders.get(oid)
        if rec and rec.get("cancelled"):
            raise ActionError(409, f"order {oid} is cancelled; refusing to {verb} it")
        return oid, rec

    def action_update_order(self, store_id, vars_):
        oid, rec = self._market_order_for_action(vars_, "update")
        old = rec.get("order") if rec else None
        fid = as_dict(as_dict(old).get("externalIdentifiers")).get("friendlyId") or friendly_id()
        order = self._build_order(oid, fid, extra_item=True)
        if old:
            order["orderedAt"] = old.get("orderedAt", order["orderedAt"])
        r = self.client.call("PUT", "/v1/orders/{orderId}", {"orderId": oid}, order, store_id=store_id)
        if not r.ok:
            raise ActionError(502, f"order update failed: {r.describe()}")
        with self.lock:
            self.market_orders[oid] = {"order": order, "storeId": store_id, "cancelled": False}
        return {"orderId": oid}

    def action_cancel_market_order(self, store_id, vars_):
        oid, _ = self._market_order_for_action(vars_, "cancel")
        r = self.client.call("POST", "/v1/orders/{orderId}/status", {"orderId": oid}, {"orderStatus": "CANCELED"},
                             store_id=store_id)
        if not r.ok:
            raise ActionError(502, f"order cancel failed: {r.describe()}")
        with self.lock:
            self.market_orders.setdefault(oid, {"order": None, "storeId": store_id})["cancelled"] = True
        return {"orderId": oid}

    def on_menu_publish(self, ev):
        p = as_dict(ev["metadata"].get("payload"))
        menus = as_dict(as_dict(p.get("menuData")).get("menus"))
        if not menus:
            raise WebhookFailure("INVALID_ARGUMENT", "menuData.menus is empty; nothing to publish")
        mapping = {mid: "partner-menu-" + uuid.uuid4().hex[:12] for mid in menus}
        self.cb(ev, "POST", "/v1/menus/publish", None, {"requestedToCreatedEntityIds": mapping})

    def on_upsert_hours(self, ev):
        # The spec's operation has no requestBody: none is sent.
        self.cb(ev, "POST", "/v1/menus/hours", None, None)

    @staticmethod
    def _result_meta():
        return {"operationStatus": "SUCCEEDED", "additionalInformation": "Completed without problems.",
                "operationFinishedAt": now_rfc3339()}

    def on_storefront_pause(self, ev):
        closure = str(uuid.uuid4())
        with self.lock:
            self.closures[ev["metadata"].get("storeId")] = closure
        self.cb(ev, "POST", "/v1/storefront/pause", None,
                {"closureId": closure, "eventResultMetadata": self._result_meta()})

    def on_storefront_unpause(self, ev):
        with self.lock:
            self.closures.pop(ev["metadata"].get("storeId"), None)
        self.cb(ev, "POST", "/v1/storefront/unpause", None, {"eventResultMetadata": self._result_meta()})

    def on_store_availability(self, ev):
        self.cb(ev, "POST", "/v1/storefront/availability", None,
                {"storeState": "OPEN", "statusChangedAt": now_rfc3339(), "eventResultMetadata": self._result_meta()})

    def on_store_hours(self, ev):
        week = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]

        def hours(start, end):
            return {"regularHours": [{"dayOfWeek": d, "timeRanges": [{"startTime": start, "endTime": end}]}
                                     for d in week],
                    "specialHours": []}
        body = {
            "storeHoursConfiguration": {"timezone": "America/Los_Angeles",
                                        "deliveryHours": hours("10:00", "22:00"),
                                        "pickupHours": hours("09:00", "22:30")},
            "statusChangedAt": now_rfc3339(),
            "eventResultMetadata": self._result_meta(),
        }
        self.cb(ev, "POST", "/v1/storefront/hours", None, body)

    # ----- all types ------------------------------------------------------------

    def on_stores_upsert(self, ev):
        md = ev["metadata"]
        info = as_dict(as_dict(md.get("payload")).get("storeInfo"))
        # upsertStorelinkWebhook: "If metadata contains a Store ID, it means a request to update an existent store,
        # otherwise, it's a creation operation" -- and a creation needs a Store ID of the partner's own.
        store_id = md.get("storeId") or "spec-" + (info.get("internalStoreId") or uuid.uuid4().hex[:12])
        self.cb(ev, "POST", "/v1/stores", None, {"success": True, "storeId": store_id})

    @staticmethod
    def answer_for(event_type):
        """The body of the partner's answer to a webhook: None (an empty 2XX) for every webhook but
        stores.fetch_credentials, which fetchCredentialsWebhook answers synchronously with a ViewCredentialsArray."""
        if event_type == "stores.fetch_credentials":
            return {"credentialsSchemaVersion": "1.0",
                    "credentials": [{"key": "email", "label": "Email", "inputType": "TEXT"},
                                    {"key": "password", "label": "Password", "inputType": "TEXT"}]}
        return None

    # ----- actions ----------------------------------------------------------------

    def actions(self):
        t = self.cfg.type
        if t == "delivery":
            return {"delivery.advance_courier": self.action_advance_courier}
        if t == "pos":
            return {"pos.confirm_order": self.action_pos_confirm,
                    "pos.mark_ready": self.action_pos_ready,
                    "pos.fulfill_order": self.action_pos_fulfill,
                    "pos.upsert_menu": self.action_pos_upsert_menu,
                    "pos.pause_store": self.action_pos_pause,
                    "pos.unpause_store": self.action_pos_unpause}
        return {"orders.create_order": self.action_create_order,
                "orders.update_order": self.action_update_order,
                "orders.cancel_order": self.action_cancel_market_order}

    def run_action(self, name, store_id, vars_):
        fn = self.actions().get(name)
        if fn is None:
            raise ActionError(400, f"unknown action {name!r} for a {self.cfg.type} partner")
        out = fn(store_id, vars_) or {}
        merged = dict(vars_)
        merged.update(out)
        return merged


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    server_version = "SpecPartner/1.0"
    protocol_version = "HTTP/1.1"
    partner = None  # set in main()

    def log_message(self, fmt, *args):
        pass

    def _reply(self, status, obj=None):
        data = b"" if obj is None else json.dumps(obj).encode("utf-8")
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def do_GET(self):
        if self.path.split("?")[0] == "/_control/health":
            p = self.partner
            out = {"ok": True, "type": p.cfg.type, "scopes": p.client.scopes, "spec": p.spec.path,
                   "validator": openapi.library_versions()}
            out.update(p.recorder.health())
            self._reply(200, out)
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self):
        path = self.path.split("?")[0]
        try:
            raw = self._read_body()
        except (ValueError, OSError):
            self._reply(400, {"error": "unreadable body"})
            return
        if path == "/_control/action":
            self._control_action(raw)
        elif path.startswith("/_control/"):
            self._reply(404, {"error": "not found"})
        else:
            self._webhook(raw)

    def _webhook(self, raw):
        p = self.partner
        given = self.headers.get("X-HMAC-SHA256")
        expected = base64.b64encode(hmac.new(p.cfg.webhook_secret.encode("utf-8"), raw,
                                             hashlib.sha256).digest()).decode("ascii")
        if not given or not hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("ascii")):
            log("webhook rejected: " + ("missing" if not given else "bad") + " X-HMAC-SHA256 -> 401")
            self._reply(401, {"error": "invalid signature"})
            return
        try:
            ev = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            p.recorder.violation(f"webhook (unparsed): the body is not JSON: {e}")
            self._reply(400, {"error": "the body is not JSON"})
            return
        event_type = ev.get("eventType") if isinstance(ev, dict) else None
        problems = p.spec.validate_webhook(ev)
        if problems:
            event_id = ev.get("eventId") if isinstance(ev, dict) else None
            for pr in problems:
                p.recorder.violation(f"webhook {event_type} eventId={event_id}: {pr}")
            log(f"webhook {event_type} eventId={event_id} rejected with 400: {len(problems)} spec violation(s)")
            self._reply(400, {"error": f"the {event_type} webhook breaks the Otter Public API spec",
                              "violations": problems})
            return
        note = p.accept_event(ev)
        # Its own answer is checked too, against the responses the webhook documents.
        answer = p.answer_for(event_type)
        for pr in p.spec.validate_webhook_answer(event_type, 200, answer):
            p.recorder.violation(f"answer to webhook {event_type}: {pr}")
        log(f"webhook eventId={ev.get('eventId')} type={event_type} store={ev['metadata'].get('storeId')} "
            f"-> 200 ({note})")
        self._reply(200, answer)

    def _control_action(self, raw):
        p = self.partner
        try:
            req = json.loads(raw.decode("utf-8") or "{}")
            if not isinstance(req, dict):
                raise ValueError("not an object")
        except (ValueError, UnicodeDecodeError):
            self._reply(400, {"ok": False, "error": "body must be a JSON object"})
            return
        name = req.get("action") or ""
        store_id = req.get("storeId") or ""
        vars_ = req.get("vars") if isinstance(req.get("vars"), dict) else {}
        try:
            out = p.run_action(name, store_id, vars_)
        except ActionError as e:
            log(f"action {name} FAILED: {e.message}")
            self._reply(e.status, {"ok": False, "error": e.message})
            return
        except Exception as e:  # noqa: BLE001
            log(f"action {name} FAILED: internal error {type(e).__name__}: {e}")
            self._reply(500, {"ok": False, "error": f"internal error: {type(e).__name__}: {e}"})
            return
        log(f"action {name} store={store_id} ok")
        self._reply(200, {"ok": True, "vars": out})


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(description="A partner of the Otter Public API written strictly to the spec")
    ap.add_argument("--listen", required=True, help="HOST:PORT to listen on, e.g. 127.0.0.1:9100")
    ap.add_argument("--otter-url", required=True, help="base URL of the Otter API (sandbox)")
    ap.add_argument("--webhook-secret", default=os.environ.get("OTTER_CERT_WEBHOOK_SECRET"))
    ap.add_argument("--client-id", default=os.environ.get("OTTER_CERT_CLIENT_ID"))
    ap.add_argument("--client-secret", default=os.environ.get("OTTER_CERT_CLIENT_SECRET"))
    ap.add_argument("--type", required=True, choices=sorted(OPERATIONS))
    ap.add_argument("--spec", default=openapi.DEFAULT_SPEC, help="the OpenAPI JSON (default: the bundled one)")
    cfg = ap.parse_args(argv)
    for name in ("webhook_secret", "client_id", "client_secret"):
        if not getattr(cfg, name):
            ap.error(f"--{name.replace('_', '-')} (or env OTTER_CERT_{name.upper()}) is required")
    host, _, port = cfg.listen.rpartition(":")
    if not host or not port.isdigit():
        ap.error("--listen must be HOST:PORT")
    cfg.host, cfg.port = host.strip("[]"), int(port)
    cfg.otter_url = cfg.otter_url.rstrip("/")
    return cfg


def self_check(spec):
    """The bodies built into the partner must be spec-valid before it serves anything."""
    problems = []
    for template, body in (("/v1/menus/current", send_menu_body()), ("/v1/menus", upsert_menu_body())):
        op = spec.operation("POST", template)
        headers = {"X-Store-Id": "store", "X-Event-Id": str(uuid.uuid4())} if template.endswith("current") \
            else {"X-Store-Id": "store"}
        problems += [f"POST {template}: {p}" for p in spec.validate_request(op, {}, headers, body)]
    problems += [f"answer to stores.fetch_credentials: {p}" for p in
                 spec.validate_webhook_answer("stores.fetch_credentials", 200, Partner.answer_for("stores.fetch_credentials"))]
    return problems


def main(argv=None):
    cfg = parse_args(sys.argv[1:] if argv is None else argv)
    spec = openapi.Spec(cfg.spec)
    problems = self_check(spec)
    if problems:
        for p in problems:
            log("SPEC VIOLATION request (partner bug, built-in body) " + p)
        log("refusing to start: a built-in body breaks the spec")
        return 2
    Handler.partner = Partner(cfg, spec)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer((cfg.host, cfg.port), Handler)
    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    versions = ", ".join(f"{k} {v}" for k, v in openapi.library_versions().items())
    log(f"listening on {cfg.host}:{server.server_address[1]} type={cfg.type} otter={cfg.otter_url} "
        f"spec={spec.path} ({versions}) scopes={' '.join(Handler.partner.client.scopes)}")
    while not stop.wait(0.5):
        pass
    h = Handler.partner.recorder.health()
    log(f"stopping: {h['violations']} spec violation(s), {h['notes']} note(s)")
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
