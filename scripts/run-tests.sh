#!/usr/bin/env bash
# Builds and runs every test with Bazel, then prints one closing line `N passed, N failed` counted from
# the gtest XML reports that each test target leaves in bazel-testlogs/.
set -uo pipefail
cd "$(dirname "$0")/.."

bazel build //cli:hezar //tests/... || { echo "0 passed, 1 failed"; exit 1; }
# Always execute: a result replayed from the disk cache would not test this machine (packages, data).
bazel test --nocache_test_results //tests/... "$@"
status=$?

# Only the reports of targets that exist now (bazel-testlogs keeps those of deleted targets).
export HEZAR_TEST_TARGETS="$(bazel query 'tests(//tests/...)' 2>/dev/null)"
/usr/bin/python3 - <<'PY'
import os
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for target in os.environ["HEZAR_TEST_TARGETS"].split():
    path = "bazel-testlogs/" + target.lstrip("/").replace(":", "/") + "/test.xml"
    if not os.path.exists(path):
        failed += 1  # built but never ran to completion
        continue
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        failed += 1  # a crashed test binary leaves a broken report
        continue
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.get("status") == "notrun" or case.find("skipped") is not None or case.get("result") == "skipped":
            skipped += 1
        else:
            passed += 1
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
PY
exit $status
