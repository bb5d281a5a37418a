#!/usr/bin/env python3
"""Regenerates otter-public-api.json, the JSON rendering of Otter's public OpenAPI description that the
harness bundles and derives everything from (endpoints, scopes, headers, rate limits, schemas, answers).

    checklists/openapi/regenerate.py PATH/TO/otter-public-api.yml

Dev-only (needs PyYAML: apt-get install python3-yaml). Nothing at run or test time reads the YAML. The
rendering keeps the YAML's key order, uses a 1-space indent and a trailing newline, and writes
non-ASCII text as is, so re-running it on the same YAML is byte-identical and a new spec version shows
as a readable diff. YAML values JSON has no type for (dates) become strings.
"""
import datetime
import json
import pathlib
import sys

import yaml


def plain(value):
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    source = pathlib.Path(sys.argv[1])
    document = plain(yaml.safe_load(source.read_text(encoding="utf-8")))
    if not str(document.get("openapi", "")).startswith("3."):
        sys.exit(f"{source}: not an OpenAPI 3 document (openapi: {document.get('openapi')!r})")
    out = pathlib.Path(__file__).with_name("otter-public-api.json")
    out.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(document.get('paths', {}))} paths, "
          f"{len(document.get('x-webhooks', {}))} webhooks, "
          f"{len(document.get('components', {}).get('schemas', {}))} schemas)")


if __name__ == "__main__":
    main()
