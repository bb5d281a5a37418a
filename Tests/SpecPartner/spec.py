#!/usr/bin/env python3
"""The bundled Otter Public API (OpenAPI 3.0.1, checklists/openapi/otter-public-api.json) as validators.

Validation is done by openapi-schema-validator's OAS30 validators (on jsonschema + referencing), with the
OAS 3.0 format checker; this module only finds the schema the spec documents for a message:

* a webhook: the x-webhooks entry whose `example.eventType` is the event's type, its request body schema;
* a request the partner sends: the operation (method + path template), its header/path parameters and
  requestBody schema;
* an answer of the Otter API: the operation's response for the status code (exact code, then `2XX`-style
  range, then `default`), through `components/responses`, and its content schema.

Direction of readOnly/writeOnly: what Otter writes (webhooks, answers) is checked with OAS30ReadValidator,
what the partner writes (its requests) with OAS30WriteValidator.

Spec self-contradiction, resolved as the harness does: every webhook body is
`allOf [EventNotification, {metadata: {payload: $ref X}}, ...]`, and EventNotification's
`MetadataObject.payload` is `type: object`, which a non-object payload (storefront.unpause_store:
UnpauseStoreEvent, a string) can never satisfy. The webhook's own payload schema wins: the envelope part is
validated with MetadataObject minus its `payload` property, and the payload with the webhook's schema.

Also usable from the command line, to check a body by hand:
  spec.py webhook FILE.json
  spec.py request METHOD PATH FILE.json
  spec.py answer METHOD PATH STATUS FILE.json|-
"""

import copy
import json
import os
import re
import sys

from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_URI = "urn:otter-public-api"
DEFAULT_SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "checklists", "openapi",
                            "otter-public-api.json")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
MAX_MESSAGE = 500


def library_versions():
    import importlib.metadata as m
    return {n: m.version(n) for n in ("openapi-schema-validator", "jsonschema", "referencing")}


def _pointer(*parts):
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _short(text):
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "…"


def _json_path(error):
    path = "$"
    for p in error.absolute_path:
        path += f"[{p}]" if isinstance(p, int) else f".{p}"
    return path


def describe_errors(errors):
    """One line per validation error: where, and what the validator said."""
    out = []
    for e in sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        detail = _short(e.message)
        if e.context:   # oneOf/anyOf: name the closest alternative's reasons too
            best = sorted(e.context, key=lambda c: -len(c.absolute_path))[:2]
            detail += " (" + "; ".join(_short(f"{_json_path(c)}: {c.message}") for c in best) + ")"
        out.append(f"{_json_path(e)}: {detail} [schema {'/'.join(map(str, e.absolute_schema_path))}]")
    return out


class Operation:
    def __init__(self, method, template, op):
        self.method = method.upper()
        self.template = template
        self.op = op
        segs = template.strip("/").split("/")
        self.literal_segments = sum(1 for s in segs if not s.startswith("{"))
        rx = "".join("/" + (r"(?P<%s>[^/]+)" % s[1:-1] if s.startswith("{") else re.escape(s)) for s in segs)
        self.regex = re.compile("^" + rx + "$")

    def __repr__(self):
        return f"{self.method} {self.template}"


class Spec:
    def __init__(self, path=DEFAULT_SPEC):
        with open(path, "r", encoding="utf-8") as f:
            doc = json.load(f)
        if not str(doc.get("openapi", "")).startswith("3.0"):
            raise ValueError(f"{path}: not an OpenAPI 3.0 document")
        self.path = os.path.abspath(path)
        self.doc = doc
        self.webhooks = {}            # eventType -> (x-webhooks name, effective-schema pointer)
        derived = {}
        for name, item in doc.get("x-webhooks", {}).items():
            for method, op in item.items():
                if method not in HTTP_METHODS:
                    continue
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                event_type = next((p["example"]["eventType"] for p in schema.get("allOf", [])
                                   if isinstance(p.get("example"), dict) and "eventType" in p["example"]), None)
                if event_type is None:
                    raise ValueError(f"x-webhooks {name}: no example.eventType in its allOf")
                derived[name] = self._payload_wins(schema)
                self.webhooks[event_type] = (name, _pointer("x-spec-partner", "webhooks", name))
        doc = dict(doc)
        doc["x-spec-partner"] = {"webhooks": derived}
        self.registry = Registry().with_resource(SPEC_URI, Resource.from_contents(doc, default_specification=DRAFT4))
        self.operations = []
        for template, item in doc.get("paths", {}).items():
            for method, op in item.items():
                if method in HTTP_METHODS:
                    self.operations.append(Operation(method, template, op))
        self._validators = {}

    # ----- schemas --------------------------------------------------------------------------------

    def _payload_wins(self, schema):
        """The webhook body schema with the envelope's `MetadataObject.payload: type object` dropped."""
        envelope_ref = "#/components/schemas/EventNotification"
        parts = schema.get("allOf", [])
        if not any(p.get("$ref") == envelope_ref for p in parts):
            return schema      # stores.fetch_credentials: EventNotificationBase, no payload constraint to drop
        envelope = copy.deepcopy(self.doc["components"]["schemas"]["EventNotification"])
        if envelope["properties"]["metadata"] != {"$ref": "#/components/schemas/MetadataObject"}:
            raise ValueError("EventNotification.metadata is no longer MetadataObject: revisit the payload rule")
        metadata = copy.deepcopy(self.doc["components"]["schemas"]["MetadataObject"])
        metadata["properties"].pop("payload", None)
        envelope["properties"]["metadata"] = metadata
        out = copy.deepcopy(schema)
        out["allOf"] = [envelope if p.get("$ref") == envelope_ref else p for p in parts]
        return out

    def _resolve(self, obj):
        """Follows a local $ref of the document (components/responses, components/parameters)."""
        seen = 0
        while isinstance(obj, dict) and "$ref" in obj:
            ref = obj["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"non-local $ref {ref}")
            node = self.doc
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            obj = node
            seen += 1
            if seen > 20:
                raise ValueError(f"$ref loop at {ref}")
        return obj

    def validator(self, pointer, direction):
        """A validator of the schema at `pointer` of the document; direction 'read' (Otter wrote it) or 'write'."""
        key = (pointer, direction)
        v = self._validators.get(key)
        if v is None:
            cls = OAS30ReadValidator if direction == "read" else OAS30WriteValidator
            v = cls({"$ref": SPEC_URI + pointer}, registry=self.registry, format_checker=oas30_format_checker)
            self._validators[key] = v
        return v

    def _check(self, pointer, direction, instance):
        return describe_errors(self.validator(pointer, direction).iter_errors(instance))

    # ----- webhooks -------------------------------------------------------------------------------

    def validate_webhook(self, event):
        """Violations of a webhook body (parsed JSON) against the spec's schema for its eventType."""
        if not isinstance(event, dict):
            return ["$: a webhook body must be a JSON object (EventNotification)"]
        event_type = event.get("eventType")
        entry = self.webhooks.get(event_type) if isinstance(event_type, str) else None
        if entry is None:
            return [f"$.eventType: {event_type!r} is not the eventType of any webhook in x-webhooks"]
        return self._check(entry[1], "read", event)

    def validate_webhook_answer(self, event_type, status, body):
        """Violations of the partner's own answer to a webhook (`body`: the JSON value, or None for no body)
        against the responses the webhook documents: a documented status, a body where (and only where) the
        response documents content, valid against its schema, write direction (the partner writes it). A webhook
        answered synchronously, stores.fetch_credentials, documents a ViewCredentialsArray for its 200."""
        entry = self.webhooks.get(event_type)
        if entry is None:
            return [f"{event_type!r} is not the eventType of any webhook in x-webhooks"]
        name = entry[0]
        item = self.doc["x-webhooks"][name]
        method = next(m for m in item if m in HTTP_METHODS)
        responses = item[method].get("responses", {})
        key = next((k for k in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default") if k in responses), None)
        if key is None:
            return [f"status {status} is not documented for the {event_type} webhook (documented: {', '.join(responses)})"]
        resp = self._resolve(responses[key])
        content = resp.get("content") or {}
        if not content:
            return [] if body is None else [f"response {key} documents no content, yet the answer has a body"]
        if body is None:
            return [f"response {key} documents content {', '.join(content)}, yet the answer has no body"]
        media = "application/json" if "application/json" in content else next(iter(content))
        schema = content[media].get("schema")
        if schema is None:
            return []
        pointer = schema["$ref"] if "$ref" in schema else _pointer("x-webhooks", name, method, "responses", key, "content",
                                                                    media, "schema")
        return [f"body {m}" for m in self._check(pointer, "write", body)]

    # ----- operations -----------------------------------------------------------------------------

    def match(self, method, path):
        """The operation of a concrete request: method + path template, the most literal match first."""
        path = path.split("?", 1)[0]
        found = [o for o in self.operations if o.method == method.upper() and o.regex.match(path)]
        found.sort(key=lambda o: -o.literal_segments)
        return found[0] if found else None

    def operation(self, method, template):
        for o in self.operations:
            if o.method == method.upper() and o.template == template:
                return o
        raise KeyError(f"{method} {template} is not an operation of the spec")

    def parameters(self, operation):
        return [self._resolve(p) for p in operation.op.get("parameters", [])]

    def scopes(self, operation):
        out = []
        for requirement in operation.op.get("security", []) or []:
            for scheme, scopes in requirement.items():
                if scheme == "OAuth2.0":
                    out.extend(scopes)
        return out

    def request_body(self, operation):
        """(media type, schema pointer, required) of the operation's requestBody, or None."""
        rb = operation.op.get("requestBody")
        if rb is None:
            return None
        rb = self._resolve(rb)
        content = rb.get("content", {})
        if len(content) != 1:
            raise ValueError(f"{operation}: requestBody with {len(content)} media types")
        media = next(iter(content))
        schema = content[media]["schema"]
        if "$ref" in schema:
            pointer = schema["$ref"]
        else:
            pointer = _pointer("paths", operation.template, operation.method.lower(), "requestBody", "content",
                               media, "schema")
        return media, pointer, bool(rb.get("required"))

    def validate_request(self, operation, path_params, headers, body):
        """Violations of a request the partner is about to send. `body` is the JSON value (or the form fields
        for a form-encoded operation), or None for no body. `headers` holds the header parameters only."""
        out = []
        given = {k.lower(): v for k, v in headers.items()}
        declared = set()
        for p in self.parameters(operation):
            where, name = p.get("in"), p.get("name")
            if where == "header":
                declared.add(name.lower())
                value = given.get(name.lower())
            elif where == "path":
                value = path_params.get(name)
            else:
                continue
            if value is None:
                if p.get("required"):
                    out.append(f"{where} parameter {name} is required and missing")
                continue
            schema = p.get("schema", {})
            pointer = schema["$ref"] if "$ref" in schema else None
            if pointer is None:
                errors = OAS30WriteValidator(schema, registry=self.registry,
                                             format_checker=oas30_format_checker).iter_errors(value)
                out += [f"{where} parameter {name}: {m}" for m in describe_errors(errors)]
            else:
                out += [f"{where} parameter {name}: {m}" for m in self._check(pointer, "write", value)]
        for name in given:
            if name not in declared:
                out.append(f"header {name} is not a parameter of this operation")
        rb = self.request_body(operation)
        if rb is None:
            if body is not None:
                out.append("the operation documents no requestBody, yet a body is sent")
        else:
            media, pointer, required = rb
            if body is None:
                if required:
                    out.append(f"requestBody ({media}) is required and missing")
            else:
                out += [f"body {m}" for m in self._check(pointer, "write", body)]
        return out

    def response(self, operation, status):
        """The response object documented for a status (exact, then range like 2XX, then default), or None."""
        responses = operation.op.get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
            if key in responses:
                return key, self._resolve(responses[key])
        return None, None

    def validate_answer(self, operation, status, content_type, body):
        """Violations of an answer of the Otter API: documented status, and a body that matches it."""
        key, resp = self.response(operation, status)
        if resp is None:
            documented = ", ".join(operation.op.get("responses", {}).keys())
            return [f"status {status} is not documented for this operation (documented: {documented})"]
        content = resp.get("content") or {}
        if not content:
            if body:
                return [f"response {key} documents no content, yet the body is {len(body)} bytes: "
                        + _short(body.decode("utf-8", "replace"))]
            return []
        media = (content_type or "").split(";")[0].strip().lower()
        if not body:
            return [f"response {key} documents content {', '.join(content)}, yet the body is empty"]
        if media not in {m.lower() for m in content}:
            return [f"Content-Type {content_type!r} is not one of the documented {', '.join(content)}"]
        media_obj = next(v for m, v in content.items() if m.lower() == media)
        try:
            value = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            return [f"body is not JSON ({e}): " + _short(body.decode("utf-8", "replace"))]
        schema = media_obj.get("schema")
        if schema is None:
            return []
        if "$ref" in schema:
            pointer = schema["$ref"]
        else:
            pointer = _pointer("paths", operation.template, operation.method.lower(), "responses", key, "content",
                               media, "schema")
        return [f"body {m}" for m in self._check(pointer, "read", value)]


def main(argv):
    spec = Spec(os.environ.get("SPEC_PARTNER_SPEC", DEFAULT_SPEC))
    if len(argv) == 2 and argv[0] == "webhook":
        problems = spec.validate_webhook(json.load(open(argv[1], encoding="utf-8")))
    elif len(argv) == 4 and argv[0] == "request":
        op = spec.match(argv[1], argv[2])
        if op is None:
            print(f"{argv[1]} {argv[2]}: no operation of the spec", file=sys.stderr)
            return 2
        problems = spec.validate_request(op, op.regex.match(argv[2].split("?")[0]).groupdict(), {},
                                         json.load(open(argv[3], encoding="utf-8")))
        problems = [p for p in problems if "parameter" not in p]
    elif len(argv) == 5 and argv[0] == "answer":
        op = spec.match(argv[1], argv[2])
        if op is None:
            print(f"{argv[1]} {argv[2]}: no operation of the spec", file=sys.stderr)
            return 2
        raw = sys.stdin.buffer.read() if argv[4] == "-" else open(argv[4], "rb").read()
        problems = spec.validate_answer(op, int(argv[3]), "application/json", raw)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
