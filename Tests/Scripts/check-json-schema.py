#!/usr/bin/env python3
"""Checks a JSON Schema document with python's jsonschema (a standard validator nobody here wrote):

    check-json-schema.py SCHEMA.json [NAME=INSTANCE.json ...]

1. SCHEMA.json must pass the draft 2020-12 meta-schema (Draft202012Validator.check_schema).
2. Each INSTANCE.json must be valid against SCHEMA.json's $defs/NAME, with formats checked.
Prints one line per problem and exits 1 when there is any; prints a summary and exits 0 otherwise.
"""
import json
import sys

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    try:
        Draft202012Validator.check_schema(doc)
    except SchemaError as e:
        print(f"meta-schema: {'/'.join(map(str, e.absolute_path))}: {e.message}")
        sys.exit(1)
    defs = doc.get("$defs", {})
    bad = 0
    for pair in sys.argv[2:]:
        name, _, path = pair.partition("=")
        if name not in defs:
            print(f"{path}: no $defs/{name}")
            bad += 1
            continue
        with open(path, encoding="utf-8") as f:
            instance = json.load(f)
        schema = dict(doc)
        schema["$ref"] = "#/$defs/" + name.replace("~", "~0").replace("/", "~1")
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        for e in validator.iter_errors(instance):
            print(f"{path} ({name}): $.{'.'.join(map(str, e.absolute_path))}: {e.message}")
            bad += 1
    if bad:
        sys.exit(1)
    print(f"ok: {len(defs)} schemas pass the 2020-12 meta-schema; {len(sys.argv) - 2} instance(s) valid")


if __name__ == "__main__":
    main()
