#!/usr/bin/env bash
# Run the whole ctest suite of one build directory and end with the line
# "N passed, N failed" that CI reads.
set -u
build=${1:-build}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
ctest --test-dir "$build" --output-on-failure -j "${MBMS_TEST_JOBS:-2}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
total=$(sed -n 's/.*tests failed out of \([0-9][0-9]*\).*/\1/p' "$log" | tail -n1)
failed=$(sed -n 's/.*, \([0-9][0-9]*\) tests failed out of.*/\1/p' "$log" | tail -n1)
if [ -z "$total" ]; then
	echo "0 passed, 1 failed"
	exit 1
fi
echo "$((total - failed)) passed, $failed failed"
exit "$status"
