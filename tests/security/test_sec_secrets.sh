#!/usr/bin/env bash
# No key anywhere it should not be: every daemon at log level debug with its
# --trace on, driven through the procedures and their failure paths, and
# every output a person or a tool reads kept -- logs, traces (JSON lines and
# the SVG/text of `mbmssec trace`), bmscd ctl status, /metrics and the HTML
# status pages of bmscd and bsfd, `mbms-ue status`, `bsfd subscriber list`,
# the CLI's answers, the scripted UE's output. Then every key the daemons
# held -- K, OPc, Ks and its halves CK and IK, XRES, Ks_NAF = MRK = MUK, the
# Digest passwords base64(MRK), MSKs, MTKs and salts, the Zn secret -- taken
# from the databases, key stores and configurations, is searched for in all
# of it, in hex (both cases) and base64 (tests/security/scan_secrets.py).
# Key files (databases with their WAL, key stores, SQN files, traces) must
# be mode 0600.
set -u
TEST_NAME=test_sec_secrets
. "$(dirname "$0")/lib.sh"
need "$BSFD" "$BMSCD" "$UE" "$TUE" "$CLI" python3 curl

FQDN=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
ZN_SECRET='zn-secret: every key must stay out of the logs'
NEWS=urn:example:mbms:news
UE_MTK=$(free_udp_port)
UE2_MTK=$(free_udp_port)
BSF_ADMIN=$(free_tcp_port)

write_bsf_ini "$FQDN" "$ZN_SECRET"
python3 - "$WORK/bsf.ini" "$BSF_ADMIN" <<'EOF'
import sys
p, port = sys.argv[1], sys.argv[2]
s = open(p).read().replace("[naf ", "admin_listen = 127.0.0.1:%s\n[naf " % port, 1)
open(p, "w").write(s)
EOF
add_subscribers 1 2 3
"$BSFD" subscriber list --config "$WORK/bsf.ini" >"$WORK/subscriber-list.out" 2>&1 ||
	fail "bsfd subscriber list"
BSF_LOG=$WORK/bsfd.1.log
"$BSFD" --config "$WORK/bsf.ini" --trace "$WORK/bsfd.trace.jsonl" 2>"$BSF_LOG" &
BSF_PID=$!
BG_PIDS+=("$BSF_PID")
wait_for 10 grep -q ' Ub on ' "$BSF_LOG" || fail "bsfd did not start"
UB=http://127.0.0.1:$(sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$BSF_LOG" | head -n1)
ZN=http://127.0.0.1:$(sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$BSF_LOG" | head -n1)

cat >"$WORK/bmsc.ini" <<EOF
[bmsc]
fqdn = $FQDN
mcc = 001
mnc = 01
listen = 127.0.0.1:0
admin_listen = 127.0.0.1:0
mikey_listen = 127.0.0.1:0
db = bmsc.db
log_level = debug
trace = bmscd.trace.jsonl
[zn]
url = $ZN
secret = "$ZN_SECRET"
[push]
retransmit_initial = 500ms
retransmit_max = 1s
retransmit_count = 2
[key_group "258"]
msk_lifetime = 1h
lead_time = 10m
mtk_lifetime = 2s
[service "$NEWS"]
key_groups = 258
subscribers = *
random_time_period = 0
[session "video"]
service = $NEWS
destination = 127.0.0.1:5004
mtk_send_to = 127.0.0.1:$UE_MTK, 127.0.0.1:$UE2_MTK
mtk_interval = 500ms
EOF
chmod 600 "$WORK/bmsc.ini"
start_bmscd "$WORK/bmsc.ini"

# ---- the procedures, with their failure paths ----
UE_MTK_PORT=$UE_MTK write_ue_ini 1 "$FQDN" "$KM_PORT" "$NEWS" "trace = ue1.trace.jsonl"
python3 - "$WORK/ue1.ini" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
# the trace key belongs to [ue]
s = s.replace("trace = ue1.trace.jsonl\n", "").replace("[usim]", "trace = ue1.trace.jsonl\n[usim]", 1)
open(p, "w").write(s)
EOF
UE_MTK_PORT=$UE2_MTK write_ue_ini 2 "$FQDN" "$KM_PORT" "$NEWS" "[test]
drop_msk_push = unsolicited"
start_ue 1
start_ue 2
wait_for 30 ue_active 1 || fail "UE1 not active"
wait_for 30 ue_active 2 || fail "UE2 not active"
ctl rotate --key-group 258 >"$WORK/ctl-rotate.out" || fail "rotate"
ctl solicit --service "$NEWS" >"$WORK/ctl-solicit.out" || fail "solicit"
sleep 3 # MTK messages, pushes, acks, retransmissions, the missed key update
ctl rotate --key-group 258 >>"$WORK/ctl-rotate.out" || fail "switch-over"
sleep 2
ctl status >"$WORK/ctl-status.out" || fail "ctl status"
curl -s "http://$ADMIN/metrics" >"$WORK/bmscd-metrics.out"
curl -s "http://$ADMIN/status?format=html" >"$WORK/bmscd-status.html"
curl -s "http://127.0.0.1:$BSF_ADMIN/metrics" >"$WORK/bsfd-metrics.out"
curl -s "http://127.0.0.1:$BSF_ADMIN/status" >"$WORK/bsfd-status.html"
ue_status 1 >"$WORK/ue1-status.out"
ue_status 2 >"$WORK/ue2-status.out"
# Ub failure paths: a wrong K (the UE rejects AUTN), an SQN out of range
# (resynchronisation), an unknown IMPI; a scripted UE with replay/tamper
"$CLI" gba bootstrap --bsf "$UB" --impi "$(impi_of 3)" --k 000102030405060708090a0b0c0d0e0f \
	--opc "$OPC" >"$WORK/cli-wrong-k.out" 2>&1
printf '0 1000\n' >"$WORK/ue3.sqn"
"$CLI" gba bootstrap --bsf "$UB" --impi "$(impi_of 3)" --k "$K" --opc "$OPC" \
	--sqn-state "$WORK/ue3.sqn" --naf-fqdn other.example.org >"$WORK/cli-resync.out" 2>&1
"$TUE" --state "$WORK/ue3.tstate" bootstrap --bsf "$UB" --impi "$(impi_of 3)" --k "$K" \
	--opc "$OPC" --fqdn "$FQDN" >"$WORK/tue-boot.out" 2>&1 || fail "UE3 bootstrap"
T="$TUE --state $WORK/ue3.tstate"
$T register --bmsc "$KM" --port 0 --service "$NEWS" >"$WORK/tue-register.out" 2>&1
$T msk-request --bmsc "$KM" --msk 01020000 --listen 2 --expect 1 >"$WORK/tue-msk.out" 2>&1
$T msk-request --bmsc "$KM" --msk 01020000 --replay >"$WORK/tue-replay.out" 2>&1
$T msk-request --bmsc "$KM" --msk 01020000 --tamper >"$WORK/tue-tamper.out" 2>&1
PW3=$($T password)
grep -q "^http: 401" "$WORK/tue-tamper.out" || fail "tampered request not refused"
"$CLI" mikey parse "$SRC/tests/fuzz/corpus/fuzz_mikey/msk_message_v1.bin" >"$WORK/cli-parse.out" 2>&1
pass "procedures run: bootstraps (good, wrong K, resync), register, MSK requests, replay, tamper, rotation, solicited pull, missed key update, MTK messages"

# ---- stop everything, render the traces ----
stop_ue 1
stop_ue 2
kill "$BM_PID" "$BSF_PID" 2>/dev/null
wait "$BM_PID" "$BSF_PID" 2>/dev/null
forget "$BM_PID"
forget "$BSF_PID"
for t in "$WORK"/*.trace.jsonl; do
	[ -s "$t" ] || fail "empty trace $t"
done
"$CLI" trace --text "$WORK"/*.trace.jsonl >"$WORK/trace.txt" 2>&1 || fail "mbmssec trace --text"
"$CLI" trace "$WORK"/*.trace.jsonl --svg "$WORK/trace.svg" >/dev/null 2>&1 || fail "mbmssec trace --svg"
n=$(ls "$WORK" | wc -l)
scan_secrets --secret "$PW3" --secret "$ZN_SECRET" | tee "$WORK/scan.out"
grep -q "CLEAN" "$WORK/scan.out" || fail "secrets found"
keys=$(sed -n 's/^secrets scan: \([0-9]*\) key.*/\1/p' "$WORK/scan.out")
[ "$keys" -ge 20 ] || fail "only $keys keys collected: the scan would prove little"
pass "no key, password or secret in $n outputs of bsfd, bmscd, two mbms-ue and the tools; key files 0600"

# ---- and the scan can fail: a log holding a key is caught ----
python3 - "$WORK/bmsc.db" "$WORK/planted.log" <<'EOF'
import sqlite3, sys
k = sqlite3.connect(sys.argv[1]).execute("SELECT msk FROM msks LIMIT 1").fetchone()[0]
open(sys.argv[2], "w").write("INFO: oops %s\n" % bytes(k).hex().upper())
EOF
if python3 "$SRC/tests/security/scan_secrets.py" "$WORK" >/dev/null 2>&1; then
	fail "the scan missed a planted MSK"
fi
rm -f "$WORK/planted.log"
pass "a planted MSK (upper-case hex) is caught"
echo "test_sec_secrets: all passed"
