#!/usr/bin/env python3
"""Writes the recorded passing certification runs under Fixtures/logs/<type>/pass.jsonl.

A deterministic simulation of a correct partner against the Otter sandbox, record by record, in the
harness's event-log format (docs/event-log.md): fixed clock, fixed ids, secrets already redacted.
Failing variants are not separate files: Fixtures/cases/ describes each as mutations of these logs.

Usage: python3 Tests/Scripts/make-fixture-logs.py   (from the repository root; reads checklists/ and Fixtures/)
"""
import base64, hashlib, hmac, json, os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SALT = "fixture-salt"
WEBHOOK_SECRET = b"fixture-webhook-secret"   # documented test value, not a real secret
PARTNER = "http://127.0.0.1:9100/webhook"
SANDBOX = "http://127.0.0.1:9200"
STORE = "partner-store-001"
APP = "app-otter-cert-demo"
START = 1795946400.0  # 2026-11-29T10:00:00Z

SCOPES = {"delivery": "delivery.provider callback.error.write",
          "pos": "manager.orders menus.get_current menus.upsert menus.entity_suspension manager.storefront callback.error.write",
          "orders": "orders.create orders.update menus.publish menus.upsert_hours menus.entity_suspension storefront.store_availability storefront.store_hours_configuration storefront.store_pause_unpause stores.manage callback.error.write"}
ANSWERS = {}  # (method, template) -> status, from the endpoint table

def mask(v): return "<redacted:" + hashlib.sha256((SALT + ":" + v).encode()).hexdigest()[:12] + ">"

def iso(t):
    import datetime
    return datetime.datetime.fromtimestamp(round(t, 3), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (round(t * 1000) % 1000)

class Log:
    def __init__(self, kind_type):
        self.lines, self.seq, self.t, self.type = [], 0, START, kind_type
        self.counter = 0
    def uid(self, prefix):
        self.counter += 1
        h = hashlib.sha256(f"{self.type}-{prefix}-{self.counter}".encode()).hexdigest()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
    def add(self, **e):
        self.seq += 1
        line = {"v": 1, "seq": self.seq}
        line.update(e)
        self.lines.append(line)
    def write(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            for l in sorted(self.lines, key=lambda l: (l["startedAt"], l["seq"])):
                f.write(json.dumps(l, separators=(",", ":"), ensure_ascii=False) + "\n")

def fill(template, vars):
    s = json.dumps(template)
    def rep(m):
        k = m.group(1)
        return vars.get(k, m.group(0))
    return json.loads(re.sub(r"\{\{([A-Za-z+0-9]+)\}\}", rep, s))

class Sim:
    def __init__(self, typ):
        self.typ = typ
        self.log = Log(typ)
        self.token = f"tok-{typ}-0001"
        self.checklist = json.load(open(os.path.join(ROOT, "checklists", typ + ".json")))
        self.log.add(kind="run", startedAt=iso(self.log.t), durationMs=0,
                     run={"integrationType": typ, "partnerUrl": PARTNER, "storeId": STORE, "harness": "otter-cert 0.1.0",
                          "checklistVersion": self.checklist["version"], "redactionSalt": SALT, "sandboxUrl": SANDBOX})
        self.seen_events = set()
        self.orders = {}
    def tick(self, s): self.log.t += s
    def token_call(self, record):
        body = f"grant_type=client_credentials&client_id=demo-client&client_secret={mask('demo-client-secret')}&scope=" + SCOPES[self.typ].replace(" ", "+")
        resp = json.dumps({"access_token": mask(self.token), "expires_in": 3600, "scope": SCOPES[self.typ], "token_type": "bearer"}, separators=(",", ":"))
        self.log.add(record=record, dir="partner->otter", kind="token", startedAt=iso(self.log.t), durationMs=3.1,
                     request={"method": "POST", "url": SANDBOX + "/v1/auth/token", "headers": [["Content-Type", "application/x-www-form-urlencoded"]], "body": body},
                     response={"status": 200, "headers": [["Content-Type", "application/json"]], "body": resp})
        self.tick(0.01)
    def callback(self, record, method, path, body, event_id=None, status=None, app=False, attempt=1, retry_after=None, dur=2.4, store=True):
        headers = [["Authorization", "Bearer " + mask(self.token)], ["Content-Type", "application/json"]]
        if store: headers.append(["X-Store-Id", STORE])
        if event_id: headers.append(["X-Event-Id", event_id])
        if app: headers.append(["X-Application-Id", APP])
        st = status or default_status(method, path)
        rh = [["Retry-After", str(retry_after)]] if retry_after else []
        rb = "" if st == 204 else (json.dumps({"error": "unavailable", "message": "injected by otter-cert"}) if st >= 500 or st == 429 else "{}")
        self.log.add(record=record, dir="partner->otter", kind="callback", startedAt=iso(self.log.t), durationMs=dur, attempt=attempt,
                     request={"method": method, "url": SANDBOX + path, "headers": headers, "body": json.dumps(body, separators=(",", ":"))},
                     response={"status": st, "headers": rh, "body": rb})
        self.tick(0.05)
    def webhook(self, record, step, fixture, vars, invalid=False, deliveries=1):
        tpl = json.load(open(os.path.join(ROOT, "Fixtures/webhooks", fixture)))
        ev = self.log.uid("evt")
        vars = dict(vars, eventId=ev, eventTime=iso(self.log.t), now=iso(self.log.t), storeId=STORE, applicationId=APP)
        body = fill(tpl, vars)
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        sig = base64.b64encode(hmac.new(b"wrong-secret" if invalid else WEBHOOK_SECRET, raw.encode(), hashlib.sha256).digest()).decode()
        answer = partner_answers(body["eventType"])
        for d in range(deliveries):
            status = 401 if invalid else 200
            self.log.add(record=record, step=step, dir="otter->partner", kind="webhook", startedAt=iso(self.log.t), durationMs=14.2 + d,
                         attempt=d + 1, **({"tags": ["invalid-signature"]} if invalid else {}),
                         request={"method": "POST", "url": PARTNER, "headers": [["Content-Type", "application/json"], ["X-HMAC-SHA256", sig]], "body": raw},
                         response={"status": status, "headers": [["Content-Type", "application/json"]] if answer and not invalid else [],
                                   "body": '{"error":"invalid signature"}' if invalid else answer})
            self.tick(0.03)
        if not invalid:
            self.tick(0.2)
        return ev, body
    def action(self, record, step, name):
        self.log.add(record=record, step=step, kind="action", startedAt=iso(self.log.t), durationMs=120, action={"name": name, "outcome": "ok"})
        self.tick(0.05)

def default_status(method, path):
    for (m, tpl), st in ANSWERS.items():
        if m == method and re.fullmatch("^" + re.sub(r"\{[^}]+\}", "[^/]+", tpl) + "$", path):
            return st
    return 200

def partner_answers(event_type):
    """The body of the correct partner's acknowledgement: empty, but for the webhook answered synchronously."""
    if event_type == "stores.fetch_credentials":
        return json.dumps({"credentialsSchemaVersion": "1.0", "credentials": [{"key": "email", "label": "Email", "inputType": "TEXT"},
                           {"key": "password", "label": "Password", "inputType": "TEXT"}]}, separators=(",", ":"))
    return ""

def partner_reacts(sim, rec, step, event_type, ev, body, vars):
    """The correct partner's callbacks for a webhook."""
    p = body["metadata"]["payload"]
    R = rec["id"]
    faults = {(f["path"]): f for f in rec.get("faults", [])}
    def cb(method, path, b, eid=True, app=False, template=None):
        f = faults.get(template) if template else None
        if f and step == "trigger":
            sim.callback(R, method, path, b, ev if eid else None, status=f["status"], app=app, attempt=1,
                         retry_after=f.get("headers", {}).get("Retry-After"))
            wait = float(f.get("headers", {}).get("Retry-After", "0.4")) + 0.1
            sim.tick(wait)
            sim.callback(R, method, path, b, ev if eid else None, app=app, attempt=2)
        else:
            sim.callback(R, method, path, b, ev if eid else None, app=app)
    if event_type == "ping.ping": return
    if event_type == "delivery.request_quote":
        ref = p["deliveryReferenceId"]
        if "dropoffAddress" not in p:
            cb("POST", "/v1/delivery/callback/error", {"errorCode": "INVALID_ARGUMENT", "errorMessage": "dropoffAddress is required to quote"})
        else:
            cb("POST", f"/v1/delivery/{ref}/quotes", {"minPickupDuration": 10, "maxPickupDuration": 20, "deliveryDistance": {"unit": "KILOMETERS", "value": 1.4},
               "currencyCode": "USD", "cost": {"baseCost": 4.99, "extraCost": 0.5}, "provider": "otter-cert-courier", "createdAt": iso(sim.log.t)},
               template="/v1/delivery/{deliveryReferenceId}/quotes")
    elif event_type == "delivery.accept":
        ref = p["deliveryReferenceId"]
        cb("POST", f"/v1/delivery/{ref}/accept", {"deliveryDistance": {"unit": "KILOMETERS", "value": 1.4}, "currencyCode": "USD",
           "cost": {"baseCost": 4.99, "extraCost": 0.5}, "confirmedAt": iso(sim.log.t), "estimatedPickupTime": iso(sim.log.t + 900),
           "estimatedDeliveryTime": iso(sim.log.t + 1800), "providerDeliveryId": "dsp-" + ref[:8], "deliveryTrackingUrl": "https://track.example/" + ref[:8]})
    elif event_type == "delivery.update_request":
        cb("POST", f"/v1/delivery/{p['deliveryReferenceId']}/update", {"currencyCode": "USD", "cost": {"baseCost": 4.99, "extraCost": 1.5}})
    elif event_type == "delivery.cancel":
        ref = p["deliveryReferenceId"]
        cb("POST", f"/v1/delivery/{ref}/cancel", {"canceledAt": iso(sim.log.t)})
    elif event_type == "orders.new_order":
        oid = p["externalIdentifiers"]["id"]
        if not p.get("items"):
            cb("POST", "/v1/callback/error", {"errorCode": "INVALID_ARGUMENT", "errorMessage": f"order {oid} has no items"})
            return
        sim.orders[oid] = p
        cb("POST", "/manager/order/v1/orders/order-created", {}, template="/manager/order/v1/orders/order-created")
    elif event_type in ("orders.update", "orders.cancel_order", "orders.order_status_update", "orders.confirm", "orders.order_ready",
                        "orders.order_handed_off", "orders.order_fulfilled", "orders.pos_injection_state_update",
                        "delivery.delivery_status_update", "reports.report_generated", "stores.remove", "stores.fetch_credentials"):
        return  # acknowledged (stores.fetch_credentials: answered in the acknowledgement, partner_answers)
    elif event_type == "menus.send_menu":
        cb("POST", "/v1/menus/current", json.load(open(os.path.join(ROOT, "Fixtures/callbacks/menus_current.json"))))
    elif event_type == "menus.menu_publish":
        mid = next(iter(p["menuData"]["menus"]))
        cb("POST", "/v1/menus/publish", {"requestedToCreatedEntityIds": {mid: "partner-menu-1"}})
    elif event_type == "menus.update_menu_entities_availabilities":
        cb("POST", "/v1/menus/entity/availability/bulk", {"updates": p["updates"]})
    elif event_type == "menus.upsert_hours":
        cb("POST", "/v1/menus/hours", {"menuHoursData": p["menuHoursData"]}, template="/v1/menus/hours")
    elif event_type == "storefront.pause_store":
        cb("POST", "/v1/storefront/pause", {"closureId": "closure-1", "eventResultMetadata": {"operationStatus": "SUCCEEDED", "operationFinishedAt": iso(sim.log.t)}})
    elif event_type == "storefront.unpause_store":
        cb("POST", "/v1/storefront/unpause", {"eventResultMetadata": {"operationStatus": "SUCCEEDED", "operationFinishedAt": iso(sim.log.t)}})
    elif event_type == "storefront.get_store_availability":
        cb("POST", "/v1/storefront/availability", {"storeState": "OPEN", "statusChangedAt": iso(sim.log.t), "eventResultMetadata": {"operationStatus": "SUCCEEDED", "operationFinishedAt": iso(sim.log.t)}}, eid=False)
    elif event_type == "storefront.get_store_hours":
        cb("POST", "/v1/storefront/hours", json.load(open(os.path.join(ROOT, "Fixtures/callbacks/storefront_hours.json"))), eid=False)
    elif event_type == "stores.upsert":
        store = body["metadata"].get("storeId")
        if store:
            cb("POST", "/v1/stores", {"success": True, "storeId": store}, app=True)
        else:  # a creation: a store id of the partner's own, and no X-Store-Id yet
            sim.callback(R, "POST", "/v1/stores", {"success": True, "storeId": "sim-" + p["storeInfo"]["internalStoreId"]}, ev, app=True, store=False)
    else:
        raise SystemExit("no simulated reaction for " + event_type)

def placeholders(rec):
    """The {{name}} placeholders of the fixtures a record sends."""
    out = set()
    for st in rec.get("setup", []) + [rec["trigger"]]:
        if "webhook" in st:
            out |= set(re.findall(r"\{\{([A-Za-z+0-9]+)\}\}", open(os.path.join(ROOT, "Fixtures/webhooks", st["webhook"])).read()))
    return out

def order_body(oid, friendly, note="Extra napkins, please"):
    return {"externalIdentifiers": {"id": oid, "friendlyId": friendly, "source": "otter-cert", "sourceType": "ORDERING_MARKETPLACE"},
            "currencyCode": "USD", "status": "NEW_ORDER",
            "items": [{"quantity": 2, "price": 11.0, "skuPrice": 5.5, "id": "item-burger", "name": "Juicy Cheeseburger"}],
            "orderedAt": "2026-11-29T10:00:00.000Z", "customerNote": note,
            "orderTotal": {"subtotal": 11.0, "discount": 1.0, "tax": 0.99, "tip": 2.0, "deliveryFee": 3.0, "total": 15.99}}

def partner_acts(sim, rec, step, name, vars):
    R = rec["id"]
    sim.action(R, step, name)
    if name == "delivery.advance_courier":
        ref = vars["deliveryReferenceId"]
        for st in ["ALLOCATED", "ARRIVED_AT_PICKUP", "PICKED_UP", "ARRIVED_AT_DROP_OFF", "COMPLETED"]:
            sim.callback(R, "PUT", f"/v1/delivery/{ref}/status", {"deliveryStatus": st, "courier": {"name": "Sam Courier", "phone": "+1-555-555-0100"},
                         "location": {"latitude": 37.79, "longitude": -122.39}, "createdAt": iso(sim.log.t), "providerDeliveryId": "dsp-" + ref[:8]})
            sim.tick(0.4)
    elif name.startswith("pos."):
        base = f"/manager/order/v1/sources/{vars.get('source')}/orders/{vars.get('orderId')}"
        if name == "pos.confirm_order": sim.callback(R, "POST", base + "/confirm", {"estimatedPrepTimeMinutes": 15})
        elif name == "pos.mark_ready": sim.callback(R, "POST", base + "/ready-to-pickup", {})
        elif name == "pos.fulfill_order": sim.callback(R, "POST", base + "/fulfill", {})
        elif name == "pos.upsert_menu": sim.callback(R, "POST", "/v1/menus", json.load(open(os.path.join(ROOT, "Fixtures/callbacks/menus_upsert.json"))))
        elif name == "pos.pause_store": sim.callback(R, "POST", "/manager/storefront/v1/storefront/pause", json.load(open(os.path.join(ROOT, "Fixtures/callbacks/manager_pause.json"))))
        elif name == "pos.unpause_store": sim.callback(R, "POST", "/manager/storefront/v1/storefront/unpause", json.load(open(os.path.join(ROOT, "Fixtures/callbacks/manager_unpause.json"))))
    elif name == "orders.create_order":
        oid = sim.log.uid("order")
        vars["orderId"] = oid
        sim.callback(R, "POST", "/v1/orders", order_body(oid, "F" + oid[:4].upper()))
    elif name == "orders.update_order":
        oid = vars["orderId"]
        sim.callback(R, "PUT", f"/v1/orders/{oid}", order_body(oid, "F" + oid[:4].upper(), "No onions"))
    elif name == "orders.cancel_order":
        sim.callback(R, "POST", f"/v1/orders/{vars['orderId']}/status", {"orderStatus": "CANCELED"})
    sim.tick(0.2)

def main():
    spec = json.load(open(os.path.join(ROOT, "checklists/openapi/otter-public-api.json")))
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            ok = [int(s) for s in op["responses"] if s.isdigit() and 200 <= int(s) < 300]
            ANSWERS[(method.upper(), path)] = ok[0] if ok else 200
    for typ in ["delivery", "pos", "orders"]:
        sim = Sim(typ)
        sim.token_call(sim.checklist["records"][0]["id"])
        for rec in sim.checklist["records"]:
            vars = {"deliveryReferenceId": sim.log.uid("dref"), "orderId": sim.log.uid("order"), "friendlyId": "F%03d" % sim.log.counter,
                    "closureId": sim.log.uid("closure"), "storeCredential": "s3cret-demo", "now+15m": iso(sim.log.t + 900), "now+20m": iso(sim.log.t + 1200)}
            # Values only some fixtures use are drawn only for their records, so the ids of the other records stay put.
            if placeholders(rec) & {"internalStoreId", "jobId", "now+30m"}:
                vars.update({"internalStoreId": sim.log.uid("store"), "jobId": sim.log.uid("job"), "now+30m": iso(sim.log.t + 1800)})
            vars["source"] = "otter-cert"
            steps = rec.get("setup", []) + [dict(rec["trigger"], name="trigger")]
            for i, st in enumerate(steps):
                name = st.get("name") or f"setup{i+1}"
                if "webhook" in st:
                    ev, body = sim.webhook(rec["id"], name, st["webhook"], vars, invalid=st.get("signature") == "invalid", deliveries=st.get("deliveries", 1))
                    if st.get("signature") != "invalid":
                        partner_reacts(sim, rec, name, body["eventType"], ev, body, vars)
                else:
                    partner_acts(sim, rec, name, st["action"], vars)
            sim.tick(1.0)
        sim.log.write(os.path.join(ROOT, "Fixtures/logs", typ, "pass.jsonl"))
        print(typ, len(sim.log.lines), "lines")

if __name__ == "__main__":
    main()
