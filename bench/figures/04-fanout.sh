#!/usr/bin/env bash
# Figure 4: one MSK rotation pushed to 100,000 registered UEs with V set,
# from the rotate request (POST /rotate, what `bmscd ctl rotate` sends) until
# bmscd's status shows every ack in; the real bmscd (Release build, default
# log level) and mbms-loadgen verifying every MSK message with the UE's MUK
# and acknowledging it, both on this machine. Baseline in the same run:
# sendmmsg alone of as many 212-byte datagrams to the same addresses
# (bench/bench_udp_baseline.c), one baseline run before each rotation.
# The UEs are provisioned into bmscd's database (mbms-loadgen provision)
# and restored at start; the first rotation after the start reserves a
# counter block for every UE (UE rows in synced transactions of up to 16,384) and is reported apart;
# the figure is the median of the rotations after it.
# Not pinned to one CPU: bmscd and the load generator each need a core.
set -euo pipefail
. "$BENCH_SRC/bench/daemons.sh"
N=${BENCH_FANOUT_UES:-100000}
ROUNDS=${BENCH_FANOUT_ROUNDS:-$(( ${BENCH_REPS:-11} < 5 ? 5 : (${BENCH_REPS:-11} > 7 ? 7 : ${BENCH_REPS:-11}) ))}
SOCKS=16
bd_init
cd "$BD"
bd_bmsc_ini bmsc.ini 1
bd_start_bmscd bmsc.ini bmscd0.log # creates the schema
bd_stop "$BD_BMSC_PID"
PB=$("$BENCH_BIN/mbms-loadgen" free-ports $SOCKS)
t0=$EPOCHREALTIME
"$BENCH_BIN/mbms-loadgen" provision --plan plan.txt --bmsc-db bmsc.db -n "$N" \
	--udp-sockets $SOCKS --udp-base "$PB" >&2
t1=$EPOCHREALTIME
bd_start_bmscd bmsc.ini bmscd.log
t2=$EPOCHREALTIME
: >runs.jsonl
for r in $(seq 0 "$ROUNDS"); do
	"$BENCH_BIN/mbms-bench-udp-baseline" -n "$N" --ports $SOCKS --reps 1 >>runs.jsonl
	"$BENCH_BIN/mbms-loadgen" fanout --plan plan.txt --admin "127.0.0.1:$BD_ADMIN" \
		--rotations 1 --timeout 120 --json --quiet >>runs.jsonl || true
done
N="$N" ROUNDS="$ROUNDS" T0="$t0" T1="$t1" T2="$t2" \
	python3 - runs.jsonl <<'EOF'
import json, os, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
base = [r for r in runs if r.get("kind") == "udp_baseline"]
fan = [r for r in runs if r.get("tool") == "mbms-loadgen"]
n = int(os.environ["N"])
if len(fan) < 2 or any(not f["rotations"] for f in fan):
    print(json.dumps({"kind": "figure", "id": 4, "title": "MSK rotation fan-out to %d UEs" % n,
                      "status": "not run", "reason": "the load generator failed",
                      "target_op": "<=", "target": 2}))
    sys.exit(1)
rot = [f["rotations"][0] for f in fan]
first, steady = rot[0], rot[1:]
b_ns = [b["send_ns"][0] for b in base]
first_b, steady_b = b_ns[0], b_ns[1:len(steady) + 1]
ours_ms = [r["all_acked_ms"] if r["all_acked_ms"] > 0 else float("inf") for r in steady]
ratios = [o * 1e6 / b for o, b in zip(ours_ms, steady_b)]
lost = sum(r["lost_ues"] for r in rot)
med_ms = statistics.median(ours_ms)
med_b = statistics.median(steady_b)
mk = fan[-1]["mikey"]
print(json.dumps({
    "kind": "figure", "id": 4,
    "title": "MSK rotation fan-out to %s UEs until the last ack" % format(n, ","),
    "unit": "s",
    "ours_name": "bmscd (Release, log_level info) pushes the next MSK after POST /rotate; "
                 "mbms-loadgen verifies every MSK message with the UE's MUK and acks it; "
                 "time until bmscd's status shows no push pending",
    "baseline_name": "sendmmsg alone of %d datagrams of 212 bytes to the same %d addresses "
                     "(bench/bench_udp_baseline.c)" % (n, n),
    "ours_ns": med_ms * 1e6, "baseline_ns": med_b,
    "ours_value": round(med_ms / 1000, 3), "target_kind": "absolute", "target_unit": "s",
    "ours_text": "%.2f s (%.0fk UEs/s)" % (med_ms / 1000, n / med_ms),
    "baseline_text": "%.3f s (%.0fk/s)" % (med_b / 1e9, n / med_b * 1e6),
    "ratio": statistics.median(ratios),
    "ratio_meaning": "ours time / sendmmsg time, median of per-round ratios",
    "target_op": "<=", "target": 2,
    "reps": len(steady), "ratio_runs": [round(x, 3) for x in ratios],
    "layout": "MSK message of PROFILE 5.2 with V=1, 212 bytes (IDi 43, IDr 62); verification "
              "message 38 bytes; %d UEs on 127.77.0.0/16 x 16 UDP ports" % n,
    "details": [
        "rotations measured (ms, rotate -> all acks in): " +
        ", ".join("%.0f" % x for x in ours_ms),
        "last ack sent by the load generator (ms): " +
        ", ".join("%.0f" % r["last_ack_ms"] for r in steady),
        "first push after the rotate request (ms): " +
        ", ".join("%.1f" % r["first_push_ms"] for r in steady),
        "UEs without the MSK at the end, all rotations: %d; MSK messages received %d, "
        "replayed or duplicated %d, bad %d" % (lost, mk["received"], mk["replayed"], mk["bad"]),
    ]}))
print(json.dumps({"kind": "info", "group": "fanout",
                  "name": "first rotation after the restart (a counter block reserved per UE, "
                          "UE rows in synced transactions of up to 16,384)",
                  "ns": first["all_acked_ms"] * 1e6,
                  "note": "sendmmsg baseline beside it %.3f s; lost UEs %d" %
                          (first_b / 1e9, first["lost_ues"])}))
print(json.dumps({"kind": "info", "group": "fanout",
                  "name": "provisioning %s UEs into bmscd's database (mbms-loadgen provision)"
                          % format(n, ","),
                  "ns": (float(os.environ["T1"]) - float(os.environ["T0"])) * 1e9, "note": "bulk path, daemon stopped"}))
print(json.dumps({"kind": "info", "group": "fanout",
                  "name": "bmscd start with %s UEs (restore through the core)" % format(n, ","),
                  "ns": (float(os.environ["T2"]) - float(os.environ["T1"])) * 1e9,
                  "note": "until the listeners are up"}))
sys.exit(0 if lost == 0 else 1)
EOF
