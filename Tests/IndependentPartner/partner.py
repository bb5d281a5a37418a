#!/usr/bin/env python3
"""Independent reference partner for the Otter Public API.

A stand-alone partner integration server (delivery, POS or ordering
marketplace) written from the platform facts only, used to exercise the
otter-cert harness from the outside.  Standard library only, Python 3.11.

  partner.py --listen 127.0.0.1:PORT --otter-url http://127.0.0.1:SANDBOXPORT \
             --webhook-secret S --client-id ID --client-secret S \
             --type delivery|pos|orders [--misbehave NAME]

Webhooks: POST to any path except /_control/* (use /webhook).
Actions:  POST /_control/action {"action", "storeId", "vars"} (see action-hook.py).
Health:   GET /_control/health.
"""

import argparse
import base64
import collections
import copy
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

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

SCOPES = {
    "delivery": ["delivery.provider", "callback.error.write"],
    "pos": ["manager.orders", "menus.get_current", "menus.upsert",
            "menus.entity_suspension", "manager.storefront", "callback.error.write"],
    "orders": ["orders.create", "orders.update", "menus.publish", "menus.upsert_hours",
               "menus.entity_suspension", "storefront.store_availability",
               "storefront.store_hours_configuration", "storefront.store_pause_unpause",
               "stores.manage", "callback.error.write"],
}

MISBEHAVIOURS = {
    "accept-bad-signature": "skip webhook signature verification",
    "no-ack": "answer every webhook with HTTP 500 (and do nothing)",
    "slow-ack": "sleep 5 s before acknowledging a webhook",
    "wrong-event-id": "random X-Event-Id on callbacks",
    "no-token": "never send the Authorization header",
    "skip-quote": "never send the quotes callback for delivery.request_quote",
    "no-retry": "give up after the first 5xx",
    "ignore-retry-after": "retry a 429 after 0.1 s whatever Retry-After says",
    "no-dedupe": "process repeated eventIds again",
    "status-backwards": "courier sends PICKED_UP before ARRIVED_AT_PICKUP",
    "no-error-callback": "stay silent instead of sending callback/error",
    "bad-totals": "orderTotal.total 1.00 less than its parts",
    "confirm-cancelled": "confirm/ready/fulfil orders even after a cancel",
    "silent-menu": "never answer menus.send_menu / menus.menu_publish",
}

COURIER_STEPS = ["ALLOCATED", "ARRIVED_AT_PICKUP", "PICKED_UP", "ARRIVED_AT_DROP_OFF", "COMPLETED"]
COURIER_STEPS_BACKWARDS = ["ALLOCATED", "PICKED_UP", "ARRIVED_AT_PICKUP", "ARRIVED_AT_DROP_OFF", "COMPLETED"]
COURIER_INTERVAL = 0.05

MAX_5XX_TRIES = 5          # total attempts when the platform answers 5xx / is unreachable
MAX_429_TRIES = 6          # total attempts when the platform answers 429
BACKOFF_BASE = 0.2         # 0.2, 0.4, 0.8, 1.6 s
HTTP_TIMEOUT = 15.0
IDLE_WAIT = 30.0           # how long an action waits for pending webhook work on its resource

# Body of POST /v1/menus/current: the OpenAPI example MenuSendCallbackRequestExample, with the
# values that contradict the schema fixed: TimeRange.end 1320 -> "22:00", nutrition strings like
# "5.2," -> numbers, and the required-but-missing fields added (Paper straw: photoIds [],
# priceOverrides []; photo: contentType "image/jpeg").
# Body of POST /v1/menus: the OpenAPI example UpsertMenuRequestExample, unchanged.
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
        sys.stderr.write(f"[partner {ts}] {msg}\n")
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
# OAuth token cache and callback client
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


class TokenManager:
    def __init__(self, cfg):
        self.cfg = cfg
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
        cfg = self.cfg
        form = urllib.parse.urlencode({
            "grant_type": "client_credentials",
            "client_id": cfg.client_id,
            "client_secret": cfg.client_secret,
            "scope": " ".join(SCOPES[cfg.type]),
        }).encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        url = cfg.otter_url + "/v1/auth/token"
        tries_5xx = tries_429 = 0
        while True:
            status, body, rheaders = _http("POST", url, form, headers)
            if status == 429:
                tries_429 += 1
                if tries_429 >= MAX_429_TRIES:
                    raise RuntimeError("token request: still 429 after retries")
                time.sleep(self._wait_429(rheaders))
                continue
            if status == 0 or status >= 500:
                tries_5xx += 1
                if cfg.misbehave == "no-retry" or tries_5xx >= MAX_5XX_TRIES:
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
        try:
            expires_in = float(answer.get("expires_in", 3600))
        except (TypeError, ValueError):
            expires_in = 3600.0
        margin = min(60.0, expires_in * 0.1)
        self.token = token
        self.refresh_at = time.monotonic() + max(0.0, expires_in - margin)
        log(f"token obtained (expires_in={answer.get('expires_in')}, scope={answer.get('scope')!r})")
        return token

    def _wait_429(self, headers):
        if self.cfg.misbehave == "ignore-retry-after":
            return 0.1
        return _retry_after_seconds(headers) + 0.05


class OtterClient:
    def __init__(self, cfg):
        self.cfg = cfg
        self.tokens = TokenManager(cfg)

    def call(self, method, path, body, store_id=None, event_id=None, application_id=None):
        """One callback with the partner's retry policy. Never raises; returns a CallResult."""
        cfg = self.cfg
        data = json.dumps(body if body is not None else {}).encode("utf-8")
        base_headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if store_id:
            base_headers["X-Store-Id"] = store_id
        if event_id is not None:
            base_headers["X-Event-Id"] = str(uuid.uuid4()) if cfg.misbehave == "wrong-event-id" else event_id
        if application_id:
            base_headers["X-Application-Id"] = application_id
        url = cfg.otter_url + path
        tries_5xx = tries_429 = 0
        refreshed = False
        while True:
            try:
                token = self.tokens.get()
            except RuntimeError as e:
                result = CallResult(0, b"", error=str(e))
                break
            headers = dict(base_headers)
            if cfg.misbehave != "no-token":
                headers["Authorization"] = "Bearer " + token
            status, rbody, rheaders = _http(method, url, data, headers)
            if status == 401 and not refreshed:
                refreshed = True
                self.tokens.invalidate(token)
                continue
            if status == 429:
                tries_429 += 1
                if tries_429 >= MAX_429_TRIES:
                    result = CallResult(status, rbody)
                    break
                time.sleep(self.tokens._wait_429(rheaders))
                continue
            if status == 0 or status >= 500:
                tries_5xx += 1
                if cfg.misbehave == "no-retry" or tries_5xx >= MAX_5XX_TRIES:
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
        self.queues = {}          # key -> deque of callables
        self.running = set()

    def submit(self, key, fn):
        with self.cond:
            q = self.queues.setdefault(key, collections.deque())
            q.append(fn)
            if key not in self.running:
                self.running.add(key)
                threading.Thread(target=self._drain, args=(key,), daemon=True).start()

    def _drain(self, key):
        while True:
            with self.cond:
                q = self.queues.get(key)
                if not q:
                    self.queues.pop(key, None)
                    self.running.discard(key)
                    self.cond.notify_all()
                    return
                fn = q.popleft()
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
    def __init__(self, cfg):
        self.cfg = cfg
        self.client = OtterClient(cfg)
        self.executor = SerialExecutor()
        self.lock = threading.Lock()
        self.seen_events = set()
        self.deliveries = {}
        self.pos_orders = {}
        self.market_orders = {}      # orders type: orderId -> {"order": dict, "storeId": str, "cancelled": bool, "status": str}
        self.closures = {}           # storeId -> closureId
        self.handlers = self._handlers()

    # ----- state accessors -------------------------------------------------

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

    def handler_for(self, event_type):
        return self.handlers.get(event_type)

    def _handlers(self):
        t = self.cfg.type
        # event type -> (resource-key function, synchronous "remember" step or None, async work or None)
        h = {
            "ping.ping": (None, None, None),
            "stores.upsert": (self._key_store, None, self.on_stores_upsert),
            "stores.remove": (None, None, None),
            "reports.report_generated": (None, None, None),
        }
        if t == "delivery":
            h.update({
                "delivery.request_quote": (self._key_delivery, self.remember_delivery, self.on_request_quote),
                "delivery.accept": (self._key_delivery, self.remember_delivery, self.on_accept),
                "delivery.update_request": (self._key_delivery, self.remember_delivery, self.on_update_request),
                "delivery.cancel": (self._key_delivery, self.remember_delivery_cancel, self.on_delivery_cancel),
                "delivery.delivery_status_update": (None, None, None),
            })
        elif t == "pos":
            h.update({
                "orders.new_order": (self._key_order, self.remember_pos_order, self.on_pos_new_order),
                "orders.update": (self._key_order, self.remember_pos_order, None),
                "orders.cancel_order": (self._key_order, self.remember_pos_cancel, None),
                "orders.order_status_update": (None, None, None),
                "orders.pos_injection_state_update": (None, None, None),
                "orders.confirm": (None, None, None),
                "orders.order_ready": (None, None, None),
                "orders.order_handed_off": (None, None, None),
                "orders.order_fulfilled": (None, None, None),
                "menus.send_menu": (self._key_store, None, self.on_send_menu),
                "menus.update_menu_entities_availabilities": (self._key_store, None, self.on_entity_availability),
                "storefront.pause_store": (self._key_store, None, self.on_storefront_pause),
                "storefront.unpause_store": (self._key_store, None, self.on_storefront_unpause),
            })
        else:  # orders (ordering marketplace)
            h.update({
                "orders.order_status_update": (self._key_order, self.remember_market_status, None),
                "orders.cancel_order": (self._key_order, self.remember_market_cancel, None),
                "orders.pos_injection_state_update": (None, None, None),
                "delivery.delivery_status_update": (None, None, None),
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
        """Called after signature check and parsing, before the 200. Returns a log note."""
        event_id = ev.get("eventId")
        event_type = ev.get("eventType")
        if self.cfg.misbehave != "no-dedupe":
            with self.lock:
                if event_id in self.seen_events:
                    return "duplicate, ignored"
                self.seen_events.add(event_id)
        entry = self.handler_for(event_type)
        if entry is None:
            return "unknown or unhandled event type for this integration, ack only"
        key_fn, remember, work = entry
        if remember is not None:
            remember(ev)       # in-memory bookkeeping, done before the ack so actions see it
        if work is None:
            return "ack only"
        key = key_fn(ev) if key_fn else "event:" + str(event_id)
        self.executor.submit(key, lambda: self._run_work(work, ev))
        return "queued"

    def _run_work(self, work, ev):
        try:
            work(ev)
        except WebhookFailure as f:
            self.error_callback(ev, f.code, f.message)

    def error_callback(self, ev, code, message):
        if self.cfg.misbehave == "no-error-callback":
            log(f"event {ev.get('eventId')} failed ({code}: {message}); staying silent (misbehave)")
            return
        path = "/v1/delivery/callback/error" if self.cfg.type == "delivery" else "/v1/callback/error"
        self.client.call("POST", path, {"errorCode": code, "errorMessage": message},
                         store_id=ev["metadata"].get("storeId"), event_id=ev.get("eventId"))

    def cb(self, ev, method, path, body, with_event_id=True, application_id=None):
        md = ev["metadata"]
        return self.client.call(method, path, body, store_id=md.get("storeId"),
                                event_id=ev.get("eventId") if with_event_id else None,
                                application_id=application_id)

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
            self.delivery(ref).cancelled = True    # the courier stops at its next step

    @staticmethod
    def _ref(ev):
        ref = as_dict(ev["metadata"].get("payload")).get("deliveryReferenceId")
        if not ref:
            raise WebhookFailure("INVALID_ARGUMENT", "payload.deliveryReferenceId is missing")
        return ref

    def on_request_quote(self, ev):
        p = as_dict(ev["metadata"].get("payload"))
        ref = self._ref(ev)
        if self.cfg.misbehave == "skip-quote":
            log(f"quote for {ref} not sent (misbehave skip-quote)")
            return
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
            "provider": p.get("provider") or "independent-partner",
            "createdAt": now_rfc3339(),
        }
        self.cb(ev, "POST", f"/v1/delivery/{q(ref)}/quotes", body)

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
        if self.cb(ev, "POST", f"/v1/delivery/{q(ref)}/accept", body).ok:
            d.accepted = True

    def on_update_request(self, ev):
        p = as_dict(ev["metadata"].get("payload"))
        ref = self._ref(ev)
        body = {"currencyCode": currency_or_usd(p.get("currencyCode")),
                "cost": {"baseCost": 5.49, "extraCost": 0.99}}
        self.cb(ev, "POST", f"/v1/delivery/{q(ref)}/update", body)

    def on_delivery_cancel(self, ev):
        ref = self._ref(ev)
        d = self.delivery(ref)
        with d.lock:                 # wait for an in-flight status update; none follows
            d.cancelled = True
            courier_was_moving = 0 < d.courier_index < len(COURIER_STEPS)
        self.cb(ev, "POST", f"/v1/delivery/{q(ref)}/cancel", {"canceledAt": now_rfc3339()})
        if courier_was_moving:
            # Release the courier; CANCELED is the one status allowed after a cancel.
            self.client.call("PUT", f"/v1/delivery/{q(ref)}/status",
                             self._status_body(d, "CANCELED"),
                             store_id=d.store_id or ev["metadata"].get("storeId"))

    def _status_body(self, d, status):
        i = COURIER_STEPS.index(status) if status in COURIER_STEPS else max(0, d.courier_index - 1)
        lat = 37.7749 + 0.002 * i
        lon = -122.4194 + 0.002 * i
        return {
            "deliveryStatus": status,
            "courier": {"name": "Casey Courier", "phone": "+1-555-555-0199"},
            "location": {"latitude": round(lat, 6), "longitude": round(lon, 6)},
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
        key = "delivery:" + ref
        if not self.executor.wait_idle(key):
            raise ActionError(504, f"webhook work for delivery {ref} still running")
        d = self.delivery(ref)
        if d.cancelled:
            raise ActionError(409, f"delivery {ref} was cancelled; the courier will not move")
        store = store_id or d.store_id
        d.store_id = d.store_id or store
        steps = COURIER_STEPS_BACKWARDS if self.cfg.misbehave == "status-backwards" else COURIER_STEPS
        until = vars_.get("untilStatus")
        sent = []
        while d.courier_index < len(steps):
            with d.lock:
                if d.cancelled:
                    log(f"courier for {ref} stopped: delivery cancelled")
                    return {"deliveryReferenceId": ref, "courierStopped": "CANCELED",
                            "sentStatuses": sent}
                status = steps[d.courier_index]
                body = self._status_body(d, status)
                r = self.client.call("PUT", f"/v1/delivery/{q(ref)}/status", body, store_id=store)
                if not r.ok:
                    raise ActionError(502, f"status {status} for {ref} failed: {r.describe()}")
                d.courier_index += 1
                sent.append(status)
            if status == until:
                break
            if d.courier_index < len(steps):
                time.sleep(COURIER_INTERVAL)
        return {"deliveryReferenceId": ref, "providerDeliveryId": d.provider_delivery_id,
                "sentStatuses": sent, "deliveryStatus": sent[-1] if sent else steps[d.courier_index - 1]}

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
        ext = as_dict(p.get("externalIdentifiers"))
        if not ext.get("id"):
            raise WebhookFailure("INVALID_ARGUMENT", "order has no externalIdentifiers.id")
        if not p.get("items"):
            # Nothing for the kitchen to make: refuse it instead of reporting it created.
            raise WebhookFailure("INVALID_ARGUMENT", f"order {ext.get('id')} has no items")
        self.cb(ev, "POST", "/manager/order/v1/orders/order-created", {})

    def on_send_menu(self, ev):
        if self.cfg.misbehave == "silent-menu":
            log("menus.send_menu not answered (misbehave silent-menu)")
            return
        self.cb(ev, "POST", "/v1/menus/current", send_menu_body())

    def on_entity_availability(self, ev):
        p = as_dict(ev["metadata"].get("payload"))
        updates = p.get("updates")
        if not isinstance(updates, list):
            raise WebhookFailure("INVALID_ARGUMENT", "payload.updates is missing")
        self.cb(ev, "POST", "/v1/menus/entity/availability/bulk", {"updates": updates})

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
        if o.cancelled and self.cfg.misbehave != "confirm-cancelled":
            raise ActionError(409, f"order {oid} was cancelled; refusing to {verb} it")
        return o, oid, source

    def _manager_call(self, store_id, o, oid, source, verb_path, body):
        store = store_id or o.store_id
        path = f"/manager/order/v1/sources/{q(source)}/orders/{q(oid)}/{verb_path}"
        r = self.client.call("POST", path, body, store_id=store)
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
        out = self._manager_call(store_id, o, oid, source, "ready-to-pickup", {})
        o.ready = True
        return out

    def action_pos_fulfill(self, store_id, vars_):
        o, oid, source = self._pos_order_for_action(vars_, "fulfil")
        if not o.ready:
            raise ActionError(409, f"order {oid} is not ready yet; mark it ready before fulfilling")
        out = self._manager_call(store_id, o, oid, source, "fulfill", {})
        o.fulfilled = True
        return out

    def action_pos_upsert_menu(self, store_id, vars_):
        r = self.client.call("POST", "/v1/menus", upsert_menu_body(), store_id=store_id)
        if not r.ok:
            raise ActionError(502, f"menu upsert failed: {r.describe()}")
        out = {}
        j = r.json()
        if isinstance(j, dict):
            job = as_dict(j.get("jobReference"))
            if job.get("id"):
                out["menuJobId"] = job["id"]
        return out

    def action_pos_pause(self, store_id, vars_):
        body = {"start": now_rfc3339(), "end": now_rfc3339(60 * 60),
                "comment": "Paused by the independent reference partner", "reason": "STORE_MAINTENANCE"}
        r = self.client.call("POST", "/manager/storefront/v1/storefront/pause", body, store_id=store_id)
        if not r.ok:
            raise ActionError(502, f"pause failed: {r.describe()}")
        j = r.json()
        return {"pauseRequestId": j["requestId"]} if isinstance(j, dict) and j.get("requestId") else {}

    def action_pos_unpause(self, store_id, vars_):
        body = {"comment": "Unpaused by the independent reference partner"}
        r = self.client.call("POST", "/manager/storefront/v1/storefront/unpause", body, store_id=store_id)
        if not r.ok:
            raise ActionError(502, f"unpause failed: {r.describe()}")
        j = r.json()
        return {"unpauseRequestId": j["requestId"]} if isinstance(j, dict) and j.get("requestId") else {}

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
                rec["lastStatus"] = history[-1].get("status") or history[-1].get("orderStatus")

    def remember_market_cancel(self, ev):
        oid = self._order_id_of(ev)
        if not oid:
            return
        with self.lock:
            rec = self.market_orders.setdefault(oid, {"order": None, "storeId": ev["metadata"].get("storeId"),
                                                       "cancelled": False})
            rec["cancelled"] = True

    def _build_order(self, order_id, fid, extra_item=False):
        items = [
            {"id": "item-cheeseburger", "name": "Juicy Cheeseburger", "quantity": 1,
             "price": 9.50, "skuPrice": 9.50, "lineItemId": str(uuid.uuid4()), "modifiers": []},
            {"id": "item-fries", "name": "Crispy Fries", "quantity": 1,
             "price": 3.25, "skuPrice": 3.25, "lineItemId": str(uuid.uuid4()), "modifiers": []},
        ]
        if extra_item:
            items.append({"id": "item-soda", "name": "Lemon Soda", "quantity": 1,
                          "price": 2.50, "skuPrice": 2.50, "lineItemId": str(uuid.uuid4()), "modifiers": []})
        subtotal = money(sum(i["price"] for i in items))
        discount, tax, tip, fee = 1.00, money(subtotal * 0.09), 2.00, 3.99
        total = money(subtotal - discount + tax + tip + fee)
        if self.cfg.misbehave == "bad-totals":
            total = money(total - 1.00)
        return {
            "externalIdentifiers": {"id": order_id, "friendlyId": fid, "source": "indie-marketplace",
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
        r = self.client.call("POST", "/v1/orders", order, store_id=store_id)
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
        r = self.client.call("PUT", f"/v1/orders/{q(oid)}", order, store_id=store_id)
        if not r.ok:
            raise ActionError(502, f"order update failed: {r.describe()}")
        with self.lock:
            self.market_orders[oid] = {"order": order, "storeId": store_id, "cancelled": False}
        return {"orderId": oid}

    def action_cancel_market_order(self, store_id, vars_):
        oid, rec = self._market_order_for_action(vars_, "cancel")
        r = self.client.call("POST", f"/v1/orders/{q(oid)}/status", {"orderStatus": "CANCELED"},
                             store_id=store_id)
        if not r.ok:
            raise ActionError(502, f"order cancel failed: {r.describe()}")
        with self.lock:
            self.market_orders.setdefault(oid, {"order": None, "storeId": store_id})["cancelled"] = True
        return {"orderId": oid}

    def on_menu_publish(self, ev):
        if self.cfg.misbehave == "silent-menu":
            log("menus.menu_publish not answered (misbehave silent-menu)")
            return
        p = as_dict(ev["metadata"].get("payload"))
        menus = as_dict(as_dict(p.get("menuData")).get("menus"))
        if not menus:
            raise WebhookFailure("INVALID_ARGUMENT", "menuData.menus is empty; nothing to publish")
        mapping = {mid: "partner-menu-" + uuid.uuid4().hex[:12] for mid in menus}
        self.cb(ev, "POST", "/v1/menus/publish", {"requestedToCreatedEntityIds": mapping})

    def on_upsert_hours(self, ev):
        p = as_dict(ev["metadata"].get("payload"))
        hours = p.get("menuHoursData")
        if not isinstance(hours, dict):
            raise WebhookFailure("INVALID_ARGUMENT", "payload.menuHoursData is missing")
        self.cb(ev, "POST", "/v1/menus/hours", {"menuHoursData": hours})

    @staticmethod
    def _result_meta():
        return {"operationStatus": "SUCCEEDED", "additionalInformation": "Completed without problems.",
                "operationFinishedAt": now_rfc3339()}

    def on_storefront_pause(self, ev):
        closure = str(uuid.uuid4())
        with self.lock:
            self.closures[ev["metadata"].get("storeId")] = closure
        self.cb(ev, "POST", "/v1/storefront/pause",
                {"closureId": closure, "eventResultMetadata": self._result_meta()})

    def on_storefront_unpause(self, ev):
        with self.lock:
            self.closures.pop(ev["metadata"].get("storeId"), None)
        self.cb(ev, "POST", "/v1/storefront/unpause", {"eventResultMetadata": self._result_meta()})

    def on_store_availability(self, ev):
        self.cb(ev, "POST", "/v1/storefront/availability",
                {"storeState": "OPEN", "statusChangedAt": now_rfc3339(),
                 "eventResultMetadata": self._result_meta()}, with_event_id=False)

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
        self.cb(ev, "POST", "/v1/storefront/hours", body, with_event_id=False)

    # ----- all types ------------------------------------------------------------

    def on_stores_upsert(self, ev):
        md = ev["metadata"]
        p = as_dict(md.get("payload"))
        info = as_dict(p.get("storeInfo"))
        # A storeId in the metadata means an update of that store; without one, a store is being created.
        store_id = md.get("storeId") or "indie-" + (info.get("internalStoreId") or uuid.uuid4().hex[:12])
        self.cb(ev, "POST", "/v1/stores", {"success": True, "storeId": store_id},
                application_id=md.get("applicationId"))

    @staticmethod
    def credentials_schema():
        """The synchronous answer to stores.fetch_credentials (ViewCredentialsArray)."""
        return {"credentialsSchemaVersion": "1.0",
                "credentials": [{"key": "email", "label": "Email"},
                                {"key": "password", "label": "Password"}]}

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


def q(segment):
    return urllib.parse.quote(str(segment), safe="")


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    server_version = "IndependentPartner/1.0"
    protocol_version = "HTTP/1.1"
    partner = None  # set in main()

    def log_message(self, fmt, *args):  # silence the default access log
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
            self._reply(200, {"ok": True, "type": self.partner.cfg.type,
                              "misbehave": self.partner.cfg.misbehave})
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
        cfg = p.cfg
        if cfg.misbehave == "no-ack":
            log("webhook answered 500 (misbehave no-ack)")
            self._reply(500, {"error": "internal error"})
            return
        if cfg.misbehave != "accept-bad-signature":
            given = self.headers.get("X-HMAC-SHA256")
            expected = base64.b64encode(hmac.new(cfg.webhook_secret.encode("utf-8"), raw,
                                                 hashlib.sha256).digest()).decode("ascii")
            if not given or not hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("ascii")):
                log("webhook rejected: " + ("missing" if not given else "bad") + " X-HMAC-SHA256 -> 401")
                self._reply(401, {"error": "invalid signature"})
                return
        try:
            ev = json.loads(raw.decode("utf-8"))
            if not isinstance(ev, dict) or not isinstance(ev.get("metadata"), dict) or not ev.get("eventId"):
                raise ValueError("not an event envelope")
        except (ValueError, UnicodeDecodeError) as e:
            log(f"webhook rejected: malformed envelope ({e}) -> 400")
            self._reply(400, {"error": "malformed event"})
            return
        if cfg.misbehave == "slow-ack":
            time.sleep(5)
        if ev.get("eventType") == "stores.fetch_credentials":
            # Answered synchronously, in the response itself; a repeat gets the same answer.
            log(f"webhook eventId={ev.get('eventId')} type=stores.fetch_credentials -> 200 (credentials schema)")
            self._reply(200, p.credentials_schema())
            return
        note = p.accept_event(ev)
        log(f"webhook eventId={ev.get('eventId')} type={ev.get('eventType')} "
            f"store={ev['metadata'].get('storeId')} -> 200 ({note})")
        self._reply(200)

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
    ap = argparse.ArgumentParser(description="Independent reference partner for the Otter Public API")
    ap.add_argument("--listen", required=True, help="HOST:PORT to listen on, e.g. 127.0.0.1:9100")
    ap.add_argument("--otter-url", required=True, help="base URL of the Otter API (sandbox)")
    ap.add_argument("--webhook-secret", default=os.environ.get("OTTER_CERT_WEBHOOK_SECRET"))
    ap.add_argument("--client-id", default=os.environ.get("OTTER_CERT_CLIENT_ID"))
    ap.add_argument("--client-secret", default=os.environ.get("OTTER_CERT_CLIENT_SECRET"))
    ap.add_argument("--type", required=True, choices=sorted(SCOPES))
    ap.add_argument("--misbehave", choices=sorted(MISBEHAVIOURS), default=None)
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


def main(argv=None):
    cfg = parse_args(sys.argv[1:] if argv is None else argv)
    Handler.partner = Partner(cfg)
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
    log(f"listening on {cfg.host}:{server.server_address[1]} type={cfg.type} "
        f"otter={cfg.otter_url} misbehave={cfg.misbehave or 'none'}")
    while not stop.wait(0.5):
        pass
    log("stopping")
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
