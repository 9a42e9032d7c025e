#!/usr/bin/env bash
# Figures 1 and 2: MSK message build+protect and parse+verify+decrypt against
# the crypto floor, plus split timings (bench/bench_mikey.c).
set -euo pipefail
exec $BENCH_PIN "$BENCH_BIN/mbms-bench-mikey"
