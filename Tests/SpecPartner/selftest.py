#!/usr/bin/env python3
"""Self-test of the spec partner: its checks catch what they should, so that "0 violations" means something.

Runs partner.py (a real process) against a scripted fake of the Otter API on loopback, and sends it signed
webhooks. Run with the test-tools virtualenv's python:
  ~/.cache/otter-cert/test-tools/bin/python Tests/SpecPartner/selftest.py
"""

import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import partner  # noqa: E402
import spec as openapi  # noqa: E402

SECRET = "selftest-webhook-secret"
CLIENT_ID = "0d8a8f56-7d0e-4d43-9a51-2b1f6c1d9e11"
CLIENT_SECRET = "selftest-client-secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeOtter:
    """Answers the token endpoint with a HydraToken and anything else as scripted (default: 204, no body)."""

    def __init__(self):
        self.requests = []
        self.script = {}          # path -> list of (status, content type, body) answers, used in order
        self.lock = threading.Lock()
        self.tokens = 0
        fake = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                path = self.path.split("?")[0]
                with fake.lock:
                    fake.requests.append({"method": self.command, "path": path, "headers": dict(self.headers),
                                          "body": body})
                    if path == "/v1/auth/token":
                        fake.tokens += 1
                        answer = (200, "application/json", json.dumps(
                            {"access_token": f"token-{fake.tokens}", "expires_in": 3600,
                             "scope": urllib.parse.parse_qs(body.decode()).get("scope", [""])[0],
                             "token_type": "bearer"}).encode())
                    else:
                        queue = fake.script.get(path) or []
                        answer = queue.pop(0) if queue else (204, None, b"")
                status, ctype, data = answer
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def calls(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class PartnerCase(unittest.TestCase):
    TYPE = "orders"

    def setUp(self):
        self.otter = FakeOtter()
        self.port = free_port()
        self.stderr_path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"spec-partner-selftest-{uuid.uuid4()}.log")
        self.stderr = open(self.stderr_path, "w+")
        env = dict(os.environ, OTTER_CERT_WEBHOOK_SECRET=SECRET, OTTER_CERT_CLIENT_ID=CLIENT_ID,
                   OTTER_CERT_CLIENT_SECRET=CLIENT_SECRET)
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "partner.py"), "--type", self.TYPE,
                                      "--listen", f"127.0.0.1:{self.port}", "--otter-url", self.otter.url],
                                     env=env, stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                self.health()
                return
            except OSError:
                time.sleep(0.05)
        self.fail("the partner did not come up:\n" + self.log())

    def tearDown(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.otter.stop()
        self.stderr.close()
        os.unlink(self.stderr_path)

    def log(self):
        self.stderr.flush()
        with open(self.stderr_path) as f:
            return f.read()

    def health(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_control/health", timeout=5) as r:
            return json.loads(r.read())

    def send(self, event, signed=True):
        raw = json.dumps(event).encode()
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["X-HMAC-SHA256"] = base64.b64encode(hmac.new(SECRET.encode(), raw, hashlib.sha256).digest()).decode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/webhook", data=raw, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def action(self, name, vars_):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/_control/action", method="POST",
                                     data=json.dumps({"action": name, "storeId": "store-1", "vars": vars_}).encode())
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def wait_for(self, path, count=1, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.otter.calls(path)) >= count:
                time.sleep(0.2)    # its answer is validated right after
                return self.otter.calls(path)
            time.sleep(0.05)
        self.fail(f"no {path} call:\n" + self.log())

    @staticmethod
    def event(event_type, payload, **metadata):
        md = {"storeId": "store-1", "applicationId": "app-1", "resourceId": "r-1", "payload": payload}
        md.update(metadata)
        md = {k: v for k, v in md.items() if v is not None}
        return {"eventId": str(uuid.uuid4()), "eventTime": "2026-01-01T10:00:00Z", "eventType": event_type,
                "metadata": md}


HOURS = {"menu-1": {"timeZone": "America/Los_Angeles",
                    "regularHours": [{"days": ["MONDAY"], "timeRanges": [{"start": "08:00", "end": "22:00"}]}],
                    "specialHours": []}}
ORDER = {"externalIdentifiers": {"id": "order-1", "friendlyId": "F1", "source": "ubereats"},
         "currencyCode": "USD", "status": "NEW_ORDER", "items": [{"quantity": 1, "name": "Canned Coke"}]}


class WebhookChecks(PartnerCase):
    def test_a_valid_webhook_is_acknowledged_and_answered(self):
        status, _ = self.send(self.event("menus.upsert_hours", {"menuHoursData": HOURS}))
        self.assertEqual(status, 200, self.log())
        call = self.wait_for("/v1/menus/hours")[0]
        self.assertEqual(call["body"], b"", "the operation has no requestBody")
        self.assertEqual(self.health()["violations"], 0, self.log())

    def test_an_invalid_webhook_gets_400_and_is_counted_with_its_eventtype_and_violation(self):
        bad = json.loads(json.dumps(HOURS))
        bad["menu-1"]["regularHours"][0]["timeRanges"][0]["end"] = 1320
        status, body = self.send(self.event("menus.upsert_hours", {"menuHoursData": bad}))
        self.assertEqual(status, 400)
        self.assertIn("1320 is not of type 'string'", body.decode())
        h = self.health()
        self.assertEqual(h["violations"], 1, h)
        self.assertIn("webhook menus.upsert_hours", h["lastViolations"][0])
        self.assertIn("timeRanges[0].end: 1320 is not of type 'string'", h["lastViolations"][0])
        self.assertIn("SPEC VIOLATION webhook menus.upsert_hours", self.log())
        time.sleep(0.3)
        self.assertEqual(self.otter.calls("/v1/menus/hours"), [], "an invalid webhook is not processed")

    def test_unsigned_webhooks_get_401_and_are_not_validated(self):
        status, _ = self.send({"not": "an event"}, signed=False)
        self.assertEqual(status, 401)
        self.assertEqual(self.health()["violations"], 0)

    def test_an_event_type_outside_x_webhooks_is_a_violation(self):
        status, _ = self.send(self.event("menus.no_such_event", {}))
        self.assertEqual(status, 400)
        self.assertIn("not the eventType of any webhook in x-webhooks", self.health()["lastViolations"][0])

    def test_a_string_payload_of_unpause_store_is_valid_the_webhooks_own_payload_schema_wins(self):
        status, _ = self.send(self.event("storefront.unpause_store", "4109d2c9-8bc5-413c-af3e-1c92aa381e41"))
        self.assertEqual(status, 200, self.log())
        call = self.wait_for("/v1/storefront/unpause")[0]
        self.assertIn("X-Event-Id", call["headers"])
        self.assertEqual(self.health()["violations"], 0, self.log())
        status, _ = self.send(self.event("storefront.unpause_store", 42))
        self.assertEqual(status, 400, "the payload is still checked against UnpauseStoreEvent (a string)")


    def test_fetch_credentials_is_answered_in_the_response_with_a_view_credentials_array(self):
        status, body = self.send(self.event("stores.fetch_credentials", {"credentials": []}, storeId=None,
                                            resourceId=None))
        self.assertEqual(status, 200, self.log())
        answer = json.loads(body)
        self.assertEqual([c["key"] for c in answer["credentials"]], ["email", "password"])
        self.assertEqual(answer["credentialsSchemaVersion"], "1.0")
        time.sleep(0.3)
        self.assertEqual(self.otter.requests, [], "a synchronous answer, no callback")
        self.assertEqual(self.health()["violations"], 0, self.log())

    def test_a_store_upsert_without_a_store_id_creates_one(self):
        upsert = {"credentialsSchemaVersion": "1.0", "credentials": [{"key": "email", "value": "o@example.com"}],
                  "storeInfo": {"internalStoreId": "internal-1", "name": "Kitchen", "address": "1 Market St",
                                "currencyCode": "USD", "timezone": "America/Los_Angeles"}}
        event = self.event("stores.upsert", upsert, storeId=None)
        self.assertEqual(self.send(event)[0], 200, self.log())
        call = self.wait_for("/v1/stores")[0]
        self.assertEqual(json.loads(call["body"])["storeId"], "spec-internal-1")
        self.assertNotIn("X-Store-Id", call["headers"])
        self.assertEqual(call["headers"]["X-Event-Id"], event["eventId"])


class TokenAndAnswerChecks(PartnerCase):
    def test_the_token_request_is_form_encoded_client_credentials_with_only_the_needed_scopes(self):
        self.send(self.event("storefront.get_store_availability", None))
        self.wait_for("/v1/storefront/availability")
        token = self.otter.calls("/v1/auth/token")[0]
        self.assertEqual(token["headers"]["Content-Type"], "application/x-www-form-urlencoded")
        form = urllib.parse.parse_qs(token["body"].decode())
        self.assertEqual(form["grant_type"], ["client_credentials"])
        self.assertEqual(form["client_id"], [CLIENT_ID])
        self.assertEqual(form["client_secret"], [CLIENT_SECRET])
        self.assertEqual(form["scope"][0].split(" "), self.health()["scopes"])
        self.assertEqual(sorted(form["scope"][0].split(" ")), sorted(
            ["stores.manage", "orders.create", "orders.update", "menus.publish", "menus.upsert_hours",
             "menus.entity_suspension", "storefront.store_pause_unpause", "storefront.store_availability",
             "storefront.store_hours_configuration", "callback.error.write"]))
        call = self.otter.calls("/v1/storefront/availability")[0]
        self.assertEqual(call["headers"]["Authorization"], "Bearer token-1")
        self.assertEqual(self.health()["violations"], 0, self.log())

    def test_a_401_gets_a_new_token_and_one_more_try(self):
        self.otter.script["/v1/storefront/availability"] = [
            (401, "application/json", b'{"message": "invalid_token"}')]
        self.send(self.event("storefront.get_store_availability", None))
        calls = self.wait_for("/v1/storefront/availability", count=2)
        self.assertEqual([c["headers"]["Authorization"] for c in calls], ["Bearer token-1", "Bearer token-2"])
        self.assertEqual(self.health()["violations"], 0, self.log())

    def test_an_undocumented_status_is_a_violation_and_5xx_429_are_notes(self):
        self.otter.script["/v1/storefront/availability"] = [(503, None, b""), (200, None, b"")]
        self.send(self.event("storefront.get_store_availability", None))
        self.wait_for("/v1/storefront/availability", count=2)
        h = self.health()
        self.assertEqual(h["violations"], 1, h)
        self.assertIn("answer POST /v1/storefront/availability 200: status 200 is not documented", h["lastViolations"][0])
        self.assertEqual(h["notes"], 1, h)
        self.assertIn("503", h["lastNotes"][0])

    def test_an_answer_body_is_checked_against_its_schema(self):
        # POST /v1/orders answers 200 with an OrderReference: externalIdentifiers and storeId are required.
        self.otter.script["/v1/orders"] = [(200, "application/json", b'{"status":"OK"}')]
        status, _ = self.action("orders.create_order", {})
        self.assertEqual(status, 200)
        h = self.health()
        self.assertEqual(sorted(h["lastViolations"]), [
            "answer POST /v1/orders 200: body $: 'externalIdentifiers' is a required property [schema required]",
            "answer POST /v1/orders 200: body $: 'storeId' is a required property [schema required]"], h)

    def test_a_request_that_would_break_the_spec_is_not_sent_and_is_counted(self):
        # POST /v1/stores needs X-Application-Id; this (valid) stores.upsert has no metadata.applicationId.
        upsert = {"credentialsSchemaVersion": "1.0", "credentials": [],
                  "storeInfo": {"internalStoreId": "store-1", "name": "Kitchen", "address": "1 Market St",
                                "currencyCode": "USD", "timezone": "America/Los_Angeles"}}
        status, _ = self.send(self.event("stores.upsert", upsert, applicationId=None))
        self.assertEqual(status, 200, self.log())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not self.health()["violations"]:
            time.sleep(0.05)
        h = self.health()
        self.assertEqual(h["lastViolations"], [
            "request (not sent) POST /v1/stores: header parameter X-Application-Id is required and missing"], h)
        self.assertEqual(self.otter.calls("/v1/stores"), [])


class PosAnswerChecks(PartnerCase):
    TYPE = "pos"

    def test_a_body_where_the_spec_documents_none_is_a_violation(self):
        # POST /manager/order/v1/orders/order-created documents 200 with no content (a 204 body no client reads).
        self.otter.script["/manager/order/v1/orders/order-created"] = [(200, "application/json", b'{"status":"OK"}')]
        event = self.event("orders.new_order", ORDER)
        status, _ = self.send(event)
        self.assertEqual(status, 200, self.log())
        call = self.wait_for("/manager/order/v1/orders/order-created")[0]
        self.assertEqual(call["body"], b"", "the operation has no requestBody")
        self.assertNotIn("Content-Type", call["headers"])
        self.assertEqual((call["headers"]["X-Event-Id"], call["headers"]["X-Store-Id"]), (event["eventId"], "store-1"))
        h = self.health()
        self.assertEqual(h["lastViolations"], ['answer POST /manager/order/v1/orders/order-created 200: response 200 '
                                               'documents no content, yet the body is 15 bytes: {"status":"OK"}'], h)

    def test_an_order_with_no_items_gets_an_error_callback_not_order_created(self):
        self.otter.script["/v1/callback/error"] = [(200, None, b"")]
        event = self.event("orders.new_order", dict(ORDER, items=[]))
        status, _ = self.send(event)
        self.assertEqual(status, 200, self.log())
        call = self.wait_for("/v1/callback/error")[0]
        self.assertEqual(json.loads(call["body"])["errorCode"], "INVALID_ARGUMENT")
        self.assertEqual(call["headers"]["X-Event-Id"], event["eventId"])
        self.assertEqual(self.otter.calls("/manager/order/v1/orders/order-created"), [])
        self.assertEqual(self.health()["violations"], 0, self.log())

    def test_the_token_asks_for_the_pos_scopes(self):
        self.send(self.event("orders.new_order", ORDER))
        self.wait_for("/manager/order/v1/orders/order-created")
        form = urllib.parse.parse_qs(self.otter.calls("/v1/auth/token")[0]["body"].decode())
        self.assertEqual(sorted(form["scope"][0].split(" ")), sorted(
            ["stores.manage", "manager.orders", "menus.upsert", "menus.get_current", "menus.entity_suspension",
             "storefront.store_pause_unpause", "manager.storefront", "callback.error.write"]))


class OwnRequestChecks(unittest.TestCase):
    """The request check itself, in process."""

    def setUp(self):
        self.spec = openapi.Spec()

    def test_bodies_headers_and_parameters_are_checked_with_the_write_validator(self):
        op = self.spec.operation("POST", "/v1/callback/error")
        ok = {"X-Store-Id": "s", "X-Event-Id": "e"}
        self.assertEqual(self.spec.validate_request(op, {}, ok, {"errorCode": "NOT_FOUND"}), [])
        self.assertEqual(self.spec.validate_request(op, {}, ok, {"errorCode": "NOPE"}), [
            "body $.errorCode: 'NOPE' is not one of ['CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', "
            "'FAILED_PRECONDITION', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'PERMISSION_DENIED', 'ALREADY_EXISTS', "
            "'RESOURCE_EXHAUSTED', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', "
            "'DATA_LOSS', 'UNAUTHENTICATED'] [schema properties/errorCode/enum]"])
        self.assertEqual(self.spec.validate_request(op, {}, {"X-Store-Id": "s"}, {}),
                         ["header parameter X-Event-Id is required and missing"])
        status = self.spec.operation("PUT", "/v1/delivery/{deliveryReferenceId}/status")
        self.assertEqual(self.spec.validate_request(status, {"deliveryReferenceId": "d"}, {"X-Store-Id": "s"}, {}),
                         ["header x-store-id is not a parameter of this operation"])
        hours = self.spec.operation("POST", "/v1/menus/hours")
        self.assertEqual(self.spec.validate_request(hours, {}, ok, {"menuHoursData": {}}),
                         ["the operation documents no requestBody, yet a body is sent"])
        # readOnly properties (Item.skuPrice) are not the partner's to send.
        order = {"externalIdentifiers": {"id": "o", "friendlyId": "F"}, "currencyCode": "USD", "status": "NEW_ORDER",
                 "items": [{"quantity": 1, "skuPrice": 1.0}]}
        problems = self.spec.validate_request(self.spec.operation("POST", "/v1/orders"), {}, {"X-Store-Id": "s"}, order)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("skuPrice", problems[0])

    def test_the_partners_answer_to_a_webhook_is_checked_against_the_webhooks_responses(self):
        check = self.spec.validate_webhook_answer
        self.assertEqual(check("stores.fetch_credentials", 200, partner.Partner.answer_for("stores.fetch_credentials")), [])
        self.assertEqual(check("stores.fetch_credentials", 200, None),
                         ["response 200 documents content application/json, yet the answer has no body"])
        self.assertEqual(check("stores.fetch_credentials", 200, {"credentials": [{"key": "email"}]}),
                         ["body $.credentials[0]: 'label' is a required property [schema properties/credentials/items/required]"])
        self.assertEqual(check("orders.new_order", 200, {"ok": True}),
                         ["response 200 documents no content, yet the answer has a body"])
        self.assertEqual(check("stores.remove", 200, None), [])
        self.assertEqual(check("ping.ping", 200, None), [])

    def test_the_token_form_is_checked_like_a_body(self):
        op = self.spec.operation("POST", "/v1/auth/token")
        self.assertEqual(self.spec.validate_request(op, {}, {}, {"grant_type": "client_credentials", "scope": "a b",
                                                                 "client_id": CLIENT_ID, "client_secret": "x"}), [])
        self.assertEqual(self.spec.validate_request(op, {}, {}, {"grant_type": "client_credentials"}),
                         ["body $: 'scope' is a required property [schema required]"])

    def test_wire_refuses_to_send_an_invalid_request_and_records_it(self):
        class Cfg:
            otter_url = "http://127.0.0.1:9"
        recorder = partner.Recorder()
        wire = partner.Wire(Cfg(), self.spec, recorder)
        with self.assertRaises(ValueError):
            wire.prepare("POST", "/v1/callback/error", {}, {"errorCode": 7}, {"store_id": "s", "event_id": "e"})
        self.assertEqual(recorder.health()["violations"], 2)   # not a string, not one of the enum
        self.assertIn("request (not sent) POST /v1/callback/error: body $.errorCode: 7 is not of type 'string' "
                      "[schema properties/errorCode/type]", recorder.health()["lastViolations"])

    def test_every_webhook_of_x_webhooks_has_a_schema_and_the_built_in_bodies_are_valid(self):
        self.assertEqual(len(self.spec.webhooks), len(self.spec.doc["x-webhooks"]))
        self.assertEqual(partner.self_check(self.spec), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
