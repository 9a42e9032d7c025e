#!/usr/bin/env bash
# Run every libFuzzer target of a build for SECONDS each, starting from the
# in-tree seed corpus (tests/fuzz/corpus/<target>/, never written to).
#   tests/fuzz/run.sh [BUILD [SECONDS]]        (make fuzz-smoke / make fuzz)
# Targets run FUZZ_JOBS at a time (default: the number of CPUs), each for
# the full SECONDS, so the stage takes about ceil(targets / jobs) * SECONDS.
# A crash leaves its input in tests/fuzz/crashes/; turn it into a
# regression test (a regress_* seed in the target's corpus, docs/security.md).
# Ends with one line per target (runs, exec/s) and "N passed, N failed".
set -u
build=${1:-build-fuzz}
seconds=${2:-60}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/crashes"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

run_one() { # $1 = binary; writes $logs/<name>.log and .rc
	local bin=$1 name work
	name=$(basename "$bin")
	work=$(mktemp -d)
	# -rss_limit_mb: a target that grows without bound is a finding too
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$here/crashes/$name-" "$work" "$here/corpus/$name" \
		>"$logs/$name.log" 2>&1
	echo $? >"$logs/$name.rc"
	rm -rf "$work"
}

targets=()
for bin in "$build"/bin/fuzz_*; do
	[ -x "$bin" ] && targets+=("$bin")
done
echo "fuzzing ${#targets[@]} target(s), ${seconds}s each, $jobs at a time"
start=$(date +%s)
running=0
for bin in "${targets[@]}"; do
	echo "--- $(basename "$bin"): ${seconds}s"
	run_one "$bin" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

pass=0
fail=0
total_runs=0
for bin in "${targets[@]}"; do
	name=$(basename "$bin")
	rc=$(cat "$logs/$name.rc" 2>/dev/null || echo 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$logs/$name.log" |
		tail -n1)
	runs=${runs:-0}
	total_runs=$((total_runs + runs))
	if [ "$rc" = 0 ]; then
		printf '%-18s ok    %10s runs  %6s exec/s\n' "$name" "$runs" \
			"$((runs / (seconds > 0 ? seconds : 1)))"
		pass=$((pass + 1))
	else
		tail -n 40 "$logs/$name.log"
		echo "FAIL: $name (exit $rc; input in $here/crashes/)"
		fail=$((fail + 1))
	fi
done
echo "fuzzing: $total_runs inputs in $(( $(date +%s) - start ))s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
