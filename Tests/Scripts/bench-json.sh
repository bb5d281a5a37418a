#!/usr/bin/env bash
# Builds the tests in release mode and prints JSON parser/serializer throughput (MB/s). No assertions on timing.
set -euo pipefail
cd "$(dirname "$0")/../.."
OTTER_BENCH=1 swift test -c release --filter 'OtterCoreTests.JSONBenchmarkTests' 2>&1 | grep -E 'JSON (parse|serialize)|error|failed' || true
