#!/usr/bin/env bash
# Figure 5: basic MSK requests per second through bmscd -- HTTP Digest
# qop=auth-int (MD5 over the body, nonce check, nc replay table), the XML
# request and response, the UE table lookup, the MIKEY MSK message built and
# pushed, its push row stored, rspauth -- against a plain libmicrohttpd
# server answering 200 on the same port of the same machine, driven by the
# same load tool (mbms-loadgen: `run` with Digest against bmscd, `plain`
# with requests of the same shape against bench/bench_mhd_baseline.c), the
# same connections and duration. The load generator checks every 200's
# rspauth and body and verifies and acknowledges every push.
# UEs: provisioned and registered in bmscd's database (mbms-loadgen
# provision); each bmscd start is followed by one unmeasured request per UE
# (its first message after a restart reserves a counter block, a synced
# write). Rounds alternate bmscd and the baseline on the same port.
set -euo pipefail
. "$BENCH_SRC/bench/daemons.sh"
N=${BENCH_MSK_UES:-2048}
C=${BENCH_MSK_CONNS:-32}
D=${BENCH_MSK_SECONDS:-3}
ROUNDS=${BENCH_MSK_ROUNDS:-5}
bd_init
cd "$BD"
BD_KM_LISTEN_PORT=$(bd_free_tcp_port)
bd_bmsc_ini bmsc.ini 1
bd_start_bmscd bmsc.ini bmscd0.log
bd_stop "$BD_BMSC_PID"
SOCKS=$(( (N + C - 1) / C ))
PB=$("$BENCH_BIN/mbms-loadgen" free-ports "$SOCKS")
"$BENCH_BIN/mbms-loadgen" provision --plan plan.txt --bmsc-db bmsc.db -n "$N" \
	--udp-sockets "$SOCKS" --udp-base "$PB" >&2
URL=http://127.0.0.1:$BD_KM_LISTEN_PORT
# CPU seconds (user + system, all threads) of a process, and of a finished
# child: where each side's time goes, beside the rates
TCK=$(getconf CLK_TCK)
cpu_s() { awk -v t="$TCK" '{printf "%.3f", ($14 + $15) / t}' "/proc/$1/stat"; }
: >runs.jsonl
: >cpu.txt
for r in $(seq 1 "$ROUNDS"); do
	bd_start_bmscd bmsc.ini "bmscd.$r.log"
	"$BENCH_BIN/mbms-loadgen" run --plan plan.txt --bmsc "$URL" -c "$C" --requests "$N" \
		--drain 2 --timeout 60 --quiet --json >warmup.json ||
		{ cat warmup.json >&2; exit 1; }
	c0=$(cpu_s "$BD_BMSC_PID")
	/usr/bin/env time -f "%U %S" -o lg.time "$BENCH_BIN/mbms-loadgen" run --plan plan.txt \
		--bmsc "$URL" -c "$C" --duration "$D" --drain 3 --timeout 60 --quiet --json \
		>>runs.jsonl || true
	echo "run $(cpu_s "$BD_BMSC_PID") $c0 $(cat lg.time)" >>cpu.txt
	bd_stop "$BD_BMSC_PID"
	"$BENCH_BIN/mbms-bench-mhd-baseline" --listen "127.0.0.1:$BD_KM_LISTEN_PORT" \
		--seconds 60 >mhd.out &
	mhd=$!
	BD_PIDS+=("$mhd")
	for _ in $(seq 1 100); do grep -q listening mhd.out && break; sleep 0.05; done
	c0=$(cpu_s "$mhd")
	/usr/bin/env time -f "%U %S" -o lg.time "$BENCH_BIN/mbms-loadgen" plain --url "$URL" \
		-c "$C" --duration "$D" --timeout 60 --quiet --json >>runs.jsonl || true
	echo "plain $(cpu_s "$mhd") $c0 $(cat lg.time)" >>cpu.txt
	bd_stop "$mhd"
done
N="$N" C="$C" D="$D" python3 - runs.jsonl cpu.txt <<'EOF'
import json, os, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ours = [r for r in runs if r["mode"] == "run"]
base = [r for r in runs if r["mode"] == "plain"]
def phase(r, name):
    return next(p for p in r["phases"] if p["name"] == name)
o_rate = [phase(r, "msk-request")["rate"] for r in ours]
b_rate = [phase(r, "plain")["rate"] for r in base]
if not o_rate or not b_rate or min(b_rate) <= 0 or min(o_rate) <= 0:
    print(json.dumps({"kind": "figure", "id": 5, "title": "MSK requests per second",
                      "status": "not run", "reason": "a load run failed",
                      "target_op": ">=", "target": 0.4}))
    sys.exit(1)
ratios = [o / b for o, b in zip(o_rate, b_rate)]
errs = sum(r["errors"] for r in ours) + sum(r["errors"] for r in base)
lost = sum(phase(r, "pushes")["errors"] for r in ours)
pushes = sum(phase(r, "pushes")["done"] for r in ours)
o_med, b_med = statistics.median(o_rate), statistics.median(b_rate)
lat = [phase(r, "msk-request")["latency_us"] for r in ours]
blat = [phase(r, "plain")["latency_us"] for r in base]
n, c, d = int(os.environ["N"]), int(os.environ["C"]), float(os.environ["D"])
# CPU per request: server (all threads, from /proc) and load generator
# (its whole run, drain included), µs, per round
cpu = {"run": [], "plain": []}
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) == 5:
        cpu[f[0]].append((float(f[1]) - float(f[2]), float(f[3]) + float(f[4])))
def per_req(kind, runs, name):
    out = []
    for (srv, lg), r in zip(cpu[kind], runs):
        done = phase(r, name)["done"]
        if done:
            out.append((srv / done * 1e6, lg / done * 1e6))
    return out
o_cpu, b_cpu = per_req("run", ours, "msk-request"), per_req("plain", base, "plain")
def med(xs, i):
    return statistics.median(x[i] for x in xs) if xs else float("nan")
print(json.dumps({
    "kind": "figure", "id": 5,
    "title": "Basic MSK requests per second with Digest auth-int (push and ack included)",
    "unit": "requests/s",
    "ours_name": "bmscd (Release, log_level info): POST msk-request with Digest qop=auth-int from "
                 "%d UEs over %d keep-alive connections, 200 with rspauth, MIKEY push verified "
                 "and acknowledged by mbms-loadgen" % (n, c),
    "baseline_name": "bench/bench_mhd_baseline.c: libmicrohttpd answering 200 with a 212-byte "
                     "body on the same port; mbms-loadgen plain, same connections, requests of "
                     "the same size",
    "ours_ns": 1e9 / o_med, "baseline_ns": 1e9 / b_med,
    "ours_text": "%.1fk/s" % (o_med / 1000), "baseline_text": "%.1fk/s" % (b_med / 1000),
    "ratio": statistics.median(ratios), "ratio_inverted": 1,
    "ratio_meaning": "ours requests/s / baseline requests/s, median of per-round ratios",
    "target_op": ">=", "target": 0.4, "reps": len(ratios),
    "ratio_runs": [round(x, 3) for x in ratios],
    "cpu_us_per_request": {"bmscd": round(med(o_cpu, 0), 2), "loadgen_run": round(med(o_cpu, 1), 2),
                           "baseline_server": round(med(b_cpu, 0), 2),
                           "loadgen_plain": round(med(b_cpu, 1), 2)},
    "layout": "request: POST /keymanagement?requesttype=msk-request, Authorization (Digest, "
              "auth-int), X-MBMS-UE-Port, 145-byte mbmsMSKRequest; response 200, "
              "Authentication-Info, 212-byte mbmsMSKResponse; then a 212-byte MSK message and a "
              "38-byte verification message",
    "details": [
        "%g s per run; ours per round (requests/s): %s; baseline: %s" % (
            d, ", ".join("%.0f" % x for x in o_rate), ", ".join("%.0f" % x for x in b_rate)),
        "latency p50/p99 (µs), ours: %s; baseline: %s" % (
            ", ".join("%.0f/%.0f" % (l["p50"], l["p99"]) for l in lat),
            ", ".join("%.0f/%.0f" % (l["p50"], l["p99"]) for l in blat)),
        "CPU per request (µs, user+system, medians): bmscd %.1f, load generator %.1f "
        "(together %.1f on 2 cores: at most %.0fk requests/s); baseline server %.1f, load "
        "generator %.1f (together %.1f); server CPU ratio baseline/bmscd %.2f" % (
            med(o_cpu, 0), med(o_cpu, 1), med(o_cpu, 0) + med(o_cpu, 1),
            2e3 / (med(o_cpu, 0) + med(o_cpu, 1)), med(b_cpu, 0), med(b_cpu, 1),
            med(b_cpu, 0) + med(b_cpu, 1), med(b_cpu, 0) / med(o_cpu, 0)),
        "pushes verified and acknowledged: %d, lost: %d; errors reported by the load "
        "generator: %d" % (pushes, lost, errs),
    ]}))
sys.exit(0 if errs == 0 else 1)
EOF
