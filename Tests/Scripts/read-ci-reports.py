#!/usr/bin/env python3
"""Reads otter-cert's junit.xml and report.tap files the way CI readers do, and prints what they saw as JSON.

Usage: Tests/Scripts/read-ci-reports.py junit FILE.xml...   (junitparser)
       Tests/Scripts/read-ci-reports.py tap FILE.tap...     (tap.py, with PyYAML for the YAML blocks)

Prints one JSON object: file -> what the reader made of it. For JUnit: the suites' counts as written and as
junitparser counts them from the test cases (update_statistics), `verify` (junitparser's CLI gate: 1 when a test
case failed or errored), and every test case (name, time, result kinds with type and message, system-out). For
TAP: the plan, every test point (number, ok, skip, todo, description, YAML block) and whether tap.py's unittest
runner calls the stream successful. Needs the virtualenv of .ci/install-junit-tools.
"""
import io
import json
import sys
import unittest


def read_junit(path):
    from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite
    from junitparser.cli import verify

    xml = JUnitXml.fromfile(path)
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    out = {"root": {"tests": xml.tests, "failures": xml.failures, "errors": xml.errors},
           "verify": verify([path]), "suites": []}
    for suite in suites:
        written = {"name": suite.name, "tests": suite.tests, "failures": suite.failures, "errors": suite.errors,
                   "skipped": suite.skipped, "time": suite.time}
        cases = []
        for case in suite:
            results = [{"kind": {Failure: "failure", Error: "error", Skipped: "skipped"}.get(type(r), type(r).__name__),
                        "type": r.type, "message": r.message, "text": r.text} for r in case.result]
            cases.append({"name": case.name, "classname": case.classname, "time": case.time, "results": results,
                          "passed": case.is_passed, "failure": case.is_failure, "error": case.is_error,
                          "skipped": case.is_skipped, "system_out": case.system_out})
        suite.update_statistics()
        counted = {"tests": suite.tests, "failures": suite.failures, "errors": suite.errors, "skipped": suite.skipped,
                   "time": suite.time}
        out["suites"].append({"written": written, "counted": counted, "cases": cases})
    return out


def read_tap(path):
    from tap.loader import Loader
    from tap.parser import Parser

    lines = list(Parser().parse_file(path))
    version = [l.version for l in lines if l.category == "version"]
    plans = [l.expected_tests for l in lines if l.category == "plan"]
    points = [{"number": l.number, "ok": l.ok, "skip": l.skip, "todo": l.todo, "description": l.description,
               "directive": l.directive.text, "yaml": l.yaml_block} for l in lines if l.category == "test"]
    unknown = sum(1 for l in lines if l.category == "unknown")
    result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(Loader().load([path]))
    return {"version": version, "plan": plans, "points": points, "unknownLines": unknown,
            "successful": result.wasSuccessful(), "failures": len(result.failures), "errors": len(result.errors),
            "expectedFailures": len(result.expectedFailures), "skipped": len(result.skipped)}


def main(argv):
    if len(argv) < 2 or argv[1] not in ("junit", "tap"):
        print(__doc__, file=sys.stderr)
        return 2
    read = read_junit if argv[1] == "junit" else read_tap
    json.dump({path: read(path) for path in argv[2:]}, sys.stdout, indent=1, default=str)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
