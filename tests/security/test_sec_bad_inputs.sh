#!/usr/bin/env bash
# The bad-input table (tests/security/bad_inputs.tsv, docs/security.md)
# against REAL daemons on 127.0.0.1: bsfd (Ub, Zn), bmscd (key management
# HTTP, MIKEY socket), a second bmscd (a foreign nonce), an mbms-ue holding
# an MSK (its MIKEY and MTK ports), and a scripted UE whose Digest password
# the driver uses to sign hostile requests. tests/security/badinputs.py
# prints one line per row and fails on any mismatch. Then: every daemon is
# alive, a rotation still reaches the UE (the floods left it serving), the
# table in docs/security.md is the TSV's, and no key is in any log.
set -u
TEST_NAME=test_sec_bad_inputs
. "$(dirname "$0")/lib.sh"
need "$BSFD" "$BMSCD" "$UE" "$TUE" "$SEAL" python3

FQDN=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
ZN_SECRET='zn secret; for #bad-inputs'
NEWS=urn:example:mbms:news

# ---- the docs show the table from the TSV ----
python3 "$SRC/tests/security/badinputs.py" markdown >"$WORK/table.md"
python3 - "$SRC/docs/security.md" "$WORK/table.md" <<'EOF' || fail "docs/security.md: the bad-input table differs from tests/security/bad_inputs.tsv (regenerate it: tests/security/badinputs.py markdown)"
import sys
doc = open(sys.argv[1]).read()
a, b = "<!-- bad-inputs:begin -->\n", "<!-- bad-inputs:end -->"
i, j = doc.find(a), doc.find(b)
sys.exit(0 if i >= 0 and j > i and doc[i + len(a):j] == open(sys.argv[2]).read() else 1)
EOF
pass "docs/security.md shows the bad-input table of bad_inputs.tsv"

# ---- daemons ----
write_bsf_ini "$FQDN" "$ZN_SECRET"
add_subscribers 1 2 3
start_bsfd
UE_MTK_PORT=$(free_udp_port)

write_bmsc_ini() { # $1 = file, $2 = db
	cat >"$1" <<EOF
[bmsc]
fqdn = $FQDN
mcc = 001
mnc = 01
listen = 127.0.0.1:0
admin_listen = 127.0.0.1:0
mikey_listen = 127.0.0.1:0
db = $2
log_level = debug
[zn]
url = $ZN
secret = "$ZN_SECRET"
[push]
retransmit_initial = 5s
retransmit_max = 10s
retransmit_count = 2
[key_group "258"]
msk_lifetime = 1h
lead_time = 10m
mtk_ids = 100
mtk_lifetime = 1h
[service "$NEWS"]
key_groups = 258
subscribers = *
random_time_period = 0
[session "video"]
service = $NEWS
destination = 127.0.0.1:5004
mtk_send_to = 127.0.0.1:$UE_MTK_PORT
mtk_interval = 1h
EOF
	chmod 600 "$1"
}
write_bmsc_ini "$WORK/bmsc2.ini" bmsc2.db
start_bmscd "$WORK/bmsc2.ini" -other
KM2_PORT=$KM_PORT
write_bmsc_ini "$WORK/bmsc.ini" bmsc.db
start_bmscd "$WORK/bmsc.ini"

write_ue_ini 1 "$FQDN" "$KM_PORT" "$NEWS"
start_ue 1
wait_for 30 ue_active 1 || fail "UE1 did not become active: $(ue_status 1)"
CUR=$(bm_field 'j["key_groups"][0]["current_msk_id"]')
wait_for 10 ue_holds 1 "$CUR" || fail "UE1 does not hold $CUR"
wait_for 10 bm_is 'j["pending_pushes"]' 0 || fail "pushes still pending"
"$TUE" --state "$WORK/ue2.tstate" bootstrap --bsf "$UB" --impi "$(impi_of 2)" --k "$K" \
	--opc "$OPC" --fqdn "$FQDN" >"$WORK/ue2.boot" 2>&1 || fail "UE2 bootstrap: $(cat "$WORK/ue2.boot")"
BTID2=$(sed -n 's/^btid: //p' "$WORK/ue2.boot")
PW2=$("$TUE" --state "$WORK/ue2.tstate" password)
pass "bsfd, two bmscd, mbms-ue (holds $CUR), scripted UE2 (B-TID $BTID2)"

# ---- the table ----
FLOOD_N=100000
RSS_SLACK_KB=4096
if [ "$SANITIZED" = 1 ]; then # ASan: slower, bigger, RSS moves with its quarantine
	FLOOD_N=30000
	RSS_SLACK_KB=32768
fi
rss_bm0=$(rss_kb "$BM_PID")
rss_ue0=$(rss_kb "${UE_PIDS[1]}")
env FQDN="$FQDN" KM_PORT="$KM_PORT" KM2_PORT="$KM2_PORT" ADMIN="$ADMIN" \
	BM_MIKEY_PORT="$BM_MIKEY_PORT" BM_PID="$BM_PID" UB_PORT="$UB_PORT" ZN_PORT="$ZN_PORT" \
	BSF_HOST="$BSF_HOST" ZN_SECRET="$ZN_SECRET" BTID2="$BTID2" PW2="$PW2" \
	IMPI3="$(impi_of 3)" UE_PID="${UE_PIDS[1]}" UE_MIKEY_PORT="$(ue_port 1)" \
	UE_MTK_PORT="$UE_MTK_PORT" UE_LOG="$WORK/ue1.log" UE_STATE="$WORK/ue1.state" SEAL="$SEAL" \
	FLOOD_N=$FLOOD_N RSS_SLACK_KB=$RSS_SLACK_KB STATS_OUT="$WORK/stats.json" \
	python3 "$SRC/tests/security/badinputs.py" run | tee "$WORK/table.out"
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || fail "the bad-input table has mismatches (above)"
rows=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rows"])' "$WORK/stats.json")
[ "$rows" -ge 40 ] || fail "only $rows rows"
pass "bad-input table: $rows hostile or control inputs, every answer as expected"

# ---- still alive and serving ----
for p in "$BSF_PID" "$BM_PID" "${UE_PIDS[1]}"; do
	alive "$p" || fail "a daemon died (pid $p)"
done
ctl rotate --key-group 258 >"$WORK/rot" || fail "ctl rotate after the table"
NEXT=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["next_msk_id"])' <"$WORK/rot")
wait_for 20 ue_holds 1 "$NEXT" || fail "UE1 did not get the next MSK $NEXT after the floods"
grep -q "dropped unread" "$WORK/ue1.log" || fail "no rate-limit report in the UE log"
note "RSS bmscd $rss_bm0 -> $(rss_kb "$BM_PID") KiB, mbms-ue $rss_ue0 -> $(rss_kb "${UE_PIDS[1]}") KiB"
pass "after the table: all daemons alive, rotation to $NEXT reached the UE"

# ---- no keys in the logs ----
stop_ue 1
kill "$BM_PID" 2>/dev/null
wait "$BM_PID" 2>/dev/null
forget "$BM_PID"
grep -q "dropped unread (source over its allowance" "$BM_LOG" ||
	fail "bmscd did not log its udp totals at exit"
scan_secrets --secret "$PW2" --secret "$ZN_SECRET"
pass "no key, password or Zn secret in any log; key files 0600"
echo "test_sec_bad_inputs: all passed"
