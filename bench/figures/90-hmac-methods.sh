#!/usr/bin/env bash
# Not a figure: the per-HMAC cost of each way OpenSSL 3 offers to reuse an
# HMAC-SHA-1 key (bench/bench_hmac.c), the measurement behind
# lib/crypto_hmac_sha1.c.
set -euo pipefail
exec $BENCH_PIN "$BENCH_BIN/mbms-bench-hmac"
