#!/usr/bin/env python3
"""Dev-only: extract the Otter API body schemas from the public OpenAPI 3.0 description into one
JSON Schema (draft 2020-12) document.

    Tests/Scripts/extract-api-schemas.py SRC.yml OUT.json
    # e.g. Tests/Scripts/extract-api-schemas.py /work/shared/reference/otter-public-api.yml checklists/schemas/otter-api.schema.json

The roots are the webhook payload schemas and endpoint request-body schemas named in the
otter-api-facts.md tables (webhooks table, endpoints table) plus the envelope and the token answer;
everything they reference is pulled in transitively. `#/components/schemas/X` becomes `#/$defs/X`;
OpenAPI `nullable` (supported by OtterCore's validator) is kept; `example`, `xml` and
`discriminator` are dropped. Output: `$defs` sorted by name, 2-space indent, trailing newline,
so re-running on the same input gives byte-identical output. Nothing at run or test time reads SRC.
"""
import json
import sys

import yaml

ENVELOPE = ["EventNotification"]

# Webhook payload schemas (facts file, "Webhooks (Otter -> partner)" table).
WEBHOOK_PAYLOADS = [
    "Order", "IntentToCancelEvent", "OrderStatusHistory", "PosInjectionStateUpdateEvent",
    "OrderConfirmEvent", "OrderReadyEvent", "OrderHandedOffEvent", "OrderFulfilledEvent",
    "MenuPublishEvent", "NullEvent", "BulkUpdateItemStatus", "UpsertHoursEvent", "UnpauseStoreEvent",
    "DeliveryStatusUpdateEvent", "RequestDeliveryQuoteEvent", "AcceptDeliveryEvent", "CancelDeliveryEvent",
    "UpdateDeliveryRequestEvent", "ReportGeneratedEvent", "PingEvent", "UpsertStorelinkEvent",
    "RemoveStorelinkEvent", "FetchCredentialsEvent",
]

# Request-body schemas (facts file, "Endpoints (partner -> Otter)" table).
REQUEST_BODIES = [
    "Order", "OrderStatusUpdateRequest", "OrderCustomerPaymentUpdateRequest", "OrderDeliveryInfoUpdateRequest",
    "UploadPastOrdersRequest", "ManagerConfirmOrderRequest", "ManagerCancelOrderRequest",
    "OrderCustomerItemsUpdateRequest", "OrderPrepTimeUpdateRequest", "PauseRequest", "UnpauseRequest",
    "MenusUpsertRequest", "UpsertFullMenuEventCallback", "SendMenuEventCallback", "PosMenuSyncRequest",
    "MenuPublishRequest", "SuspendItemsRequest", "UnsuspendItemsRequest", "BootstrapMenuRequest",
    "StoreAvailabilityEventResult", "StoreHoursConfigurationEventResult", "PauseStoreEventResult",
    "UnpauseStoreEventResult", "DeliveryStatusUpdateRequest", "RequestDeliveryQuoteCallbackRequest",
    "AcceptDeliveryCallbackRequest", "CancelDeliveryCallbackRequest", "EventCallbackError",
    "UpdateDeliveryRequestCallbackRequest", "OAuthTokenGenerationRequest", "UpsertStorelinkEventResultRequest",
    "UpdateStorelinkStatusRequest",
]

# The answer of POST /v1/auth/token.
TOKEN_ANSWER = ["HydraToken"]

REF_PREFIX = "#/components/schemas/"
DROPPED = {"example", "xml", "discriminator"}
# Keywords whose value maps names to subschemas (the names themselves are data, not keywords).
SCHEMA_MAPS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
# Keywords whose value is a subschema or a list of subschemas.
SCHEMA_VALUES = {"items", "additionalProperties", "not", "allOf", "anyOf", "oneOf", "prefixItems",
                 "contains", "propertyNames", "if", "then", "else"}


def convert(schema, refs):
    """Returns a copy of `schema` with refs rewritten and OpenAPI-only keywords dropped; collects ref names."""
    if isinstance(schema, list):
        return [convert(s, refs) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in DROPPED:
            continue
        if key == "$ref":
            if not value.startswith(REF_PREFIX):
                sys.exit(f"unsupported $ref {value!r}")
            name = value[len(REF_PREFIX):]
            refs.add(name)
            out[key] = "#/$defs/" + name
        elif key in SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: convert(sub, refs) for name, sub in value.items()}
        elif key in SCHEMA_VALUES:
            out[key] = convert(value, refs)
        else:
            out[key] = value  # enum, const, default, description, … copied verbatim
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: extract-api-schemas.py SRC.yml OUT.json")
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f:
        api = yaml.safe_load(f)
    components = api["components"]["schemas"]
    roots = list(dict.fromkeys(ENVELOPE + WEBHOOK_PAYLOADS + REQUEST_BODIES + TOKEN_ANSWER))
    missing = [n for n in roots if n not in components]
    if missing:
        sys.exit(f"schemas not found in {src}: {', '.join(missing)}")

    defs = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in defs:
            continue
        if name not in components:
            sys.exit(f"dangling reference to {name}")
        refs = set()
        defs[name] = convert(components[name], refs)
        pending.extend(sorted(refs - defs.keys()))

    info = api.get("info", {})
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": (f"Generated by Tests/Scripts/extract-api-schemas.py from the OpenAPI {api.get('openapi', '?')} "
                     f"description '{info.get('title', '?')}' version {info.get('version', '?')} "
                     f"(otter-public-api.yml). {len(roots)} roots, {len(defs)} schemas. Do not edit by hand."),
        "$defs": {name: defs[name] for name in sorted(defs)},
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    with open(dst, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {dst}: {len(defs)} schemas ({len(roots)} roots)")


if __name__ == "__main__":
    main()
