#!/usr/bin/env bash
# Builds the tests in release mode and prints what redaction by value costs on a 1 MB body (CPU ms). No assertions on timing.
set -euo pipefail
cd "$(dirname "$0")/../.."
OTTER_BENCH=1 swift test -c release --filter 'OtterCoreTests.RedactionBenchmarkTests' 2>&1 | grep -E 'redaction:|error|failed' || true
