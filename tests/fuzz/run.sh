#!/usr/bin/env bash
# Run every libFuzzer target of a build for SECONDS each, starting from the
# in-tree seed corpus (tests/fuzz/corpus/<target>/, never written to).
# A crash leaves its input in tests/fuzz/crashes/; turn it into a regression test.
set -u
build=${1:-build-fuzz}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
pass=0
fail=0
for bin in "$build"/bin/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	work=$(mktemp -d)
	mkdir -p "$here/crashes"
	echo "--- $name: ${seconds}s"
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$here/crashes/$name-" "$work" "$here/corpus/$name" >"$work.log" 2>&1; then
		grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "$work.log" | tail -n 2
		pass=$((pass + 1))
	else
		tail -n 40 "$work.log"
		echo "FAIL: $name"
		fail=$((fail + 1))
	fi
	rm -rf "$work" "$work.log"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
