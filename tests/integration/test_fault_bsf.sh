#!/usr/bin/env bash
# Fault injection around the BSF, with real processes on 127.0.0.1:
#   A. bsfd down when a UE starts: mbms-ue fails to bootstrap, backs off and
#      retries (nothing crashes); bsfd comes up, the UE bootstraps, registers
#      and holds the current MSK.
#   B. B-TID expiry during a service, with bsfd down when the UE tries to
#      renew it: the renewal fails and is retried with back-off while the
#      B-TID expires (a rotation meanwhile cannot push under the expired
#      MUK); bsfd returns, the UE bootstraps again (new B-TID, new MUK),
#      registers again and ends with the current MSK.
#   C. bmscd with the BSF down: a UE whose B-TID bmscd has not seen gets 503
#      with Retry-After (no crash, no state); once bsfd is back, 200.
#   D. a BSF that hangs (bsfd stopped with SIGSTOP: connections accepted,
#      never answered): the request waiting for Zn is parked, another UE
#      whose Ks_NAF bmscd holds is answered meanwhile; after SIGCONT the
#      parked request gets its 200.
#   E. bmscd stopped (SIGTERM) while a request waits for a hanging BSF: the
#      lookup is aborted (the request gets 503), bmscd exits 0 within a few
#      seconds although the BSF still hangs (under ASan: with no leak of the
#      parked lookup, which holds a Ks_NAF).
# bsfd keeps its ports across restarts (fixed free ports) so that the UEs'
# and bmscd's URLs stay valid. No key in any log.
set -u
TEST_NAME=test_fault_bsf
. "$(dirname "$0")/../security/lib.sh"
need "$BSFD" "$BMSCD" "$UE" "$TUE" python3

FQDN=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
ZN_SECRET=zn-secret-for-the-bsf-fault-test
NEWS=urn:example:mbms:news
LIFETIME=20
UBP=$(free_tcp_port)
ZNP=$(free_tcp_port)
write_bsf_ini "$FQDN" "$ZN_SECRET" "$LIFETIME" "$UBP" "$ZNP"
add_subscribers 1 2 3 4
UB=http://127.0.0.1:$UBP
ZN=http://127.0.0.1:$ZNP

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
[zn]
url = $ZN
secret = $ZN_SECRET
[push]
retransmit_initial = 500ms
retransmit_max = 2s
retransmit_count = 3
[key_group "258"]
msk_lifetime = 1h
lead_time = 10m
[service "$NEWS"]
key_groups = 258
subscribers = *
random_time_period = 1
EOF
chmod 600 "$WORK/bmsc.ini"
start_bmscd "$WORK/bmsc.ini"
CUR=$(bm_field 'j["key_groups"][0]["current_msk_id"]')

# ---- A: bsfd down at start ----
UE_MAX_ATTEMPTS=10 write_ue_ini 1 "$FQDN" "$KM_PORT" "$NEWS"
start_ue 1
failures() { grep -c "WARN: bootstrap failed:" "$WORK/ue1.log" 2>/dev/null || true; }
two_failures() { [ "$(failures)" -ge 2 ]; }
wait_for 20 two_failures || fail "UE1 did not retry its bootstrap: $(tail -n 5 "$WORK/ue1.log")"
alive "${UE_PIDS[1]}" || fail "UE1 exited while bsfd was down"
start_bsfd
wait_for 40 ue_holds 1 "$CUR" || fail "UE1 did not recover when bsfd came up: $(ue_status 1)"
BTID_A=$(ue_status 1 | sed -n 's/^bootstrap btid=\([^ ]*\) .*/\1/p')
pass "A: bsfd down -> $(failures) failed bootstrap(s), retried with back-off; bsfd up -> bootstrapped ($BTID_A), holds $CUR"

# ---- B: the B-TID expires while bsfd is down ----
stop_bsfd
boot_at=$(date +%s)
note "bsfd stopped; B-TID lifetime ${LIFETIME}s, the UE renews ahead of the expiry and fails"
ctl rotate --key-group 258 >"$WORK/rot1" || fail "rotate (next) during the outage"
NEXT=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["next_msk_id"])' <"$WORK/rot1")
renew_failed() { [ "$(failures)" -ge "$(( fa + 1 ))" ]; }
fa=$(failures)
wait_for 25 renew_failed || fail "UE1 did not try (and fail) to renew its B-TID"
sleep $(( LIFETIME + 2 - ($(date +%s) - boot_at) > 0 ? LIFETIME + 2 - ($(date +%s) - boot_at) : 0 ))
alive "${UE_PIDS[1]}" || fail "UE1 exited during the outage"
alive "$BM_PID" || fail "bmscd died during the outage"
ctl rotate --key-group 258 >/dev/null || fail "switch-over during the outage"
start_bsfd
renewed() {
	local b
	b=$(ue_status 1 | sed -n 's/^bootstrap btid=\([^ ]*\) .*(valid)$/\1/p')
	[ -n "$b" ] && [ "$b" != "$BTID_A" ]
}
wait_for 60 renewed || fail "UE1 did not bootstrap again: $(ue_status 1 | head -n 2)"
wait_for 40 ue_holds 1 "$NEXT" || fail "UE1 does not hold the current MSK $NEXT after the recovery"
ctl rotate --key-group 258 >"$WORK/rot2" || fail "rotate after the recovery"
NEXT2=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["next_msk_id"])' <"$WORK/rot2")
wait_for 20 ue_holds 1 "$NEXT2" || fail "a push under the new MUK did not reach UE1"
pass "B: B-TID expired during the outage ($(failures) failed bootstraps in all); new B-TID after bsfd returned; current MSK $NEXT and the next push $NEXT2 received"

# ---- C: bmscd answers 503 while the BSF is down ----
"$TUE" --state "$WORK/ue2.tstate" bootstrap --bsf "$UB" --impi "$(impi_of 2)" --k "$K" \
	--opc "$OPC" --fqdn "$FQDN" >"$WORK/ue2.boot" 2>&1 || fail "UE2 bootstrap: $(cat "$WORK/ue2.boot")"
stop_bsfd
"$TUE" --state "$WORK/ue2.tstate" register --bmsc "$KM" --port 0 --service "$NEWS" >"$WORK/c1" 2>&1
grep -q "^http: 503$" "$WORK/c1" || fail "register with the BSF down: $(cat "$WORK/c1")"
alive "$BM_PID" || fail "bmscd died"
bm_is 'j["zn"]["failures"] >= 1' True || fail "Zn failure not counted"
start_bsfd
"$TUE" --state "$WORK/ue2.tstate" register --bmsc "$KM" --port 0 --service "$NEWS" >"$WORK/c2" 2>&1
grep -q "^item: $NEWS 200$" "$WORK/c2" || fail "register after the BSF returned: $(cat "$WORK/c2")"
pass "C: bmscd answered 503 while the BSF was down, 200 once it returned"

# ---- D: a hanging BSF holds up only the request that waits for it ----
"$TUE" --state "$WORK/ue3.tstate" bootstrap --bsf "$UB" --impi "$(impi_of 3)" --k "$K" \
	--opc "$OPC" --fqdn "$FQDN" >"$WORK/ue3.boot" 2>&1 || fail "UE3 bootstrap: $(cat "$WORK/ue3.boot")"
kill -STOP "$BSF_PID"
"$TUE" --state "$WORK/ue3.tstate" register --bmsc "$KM" --port 0 --service "$NEWS" \
	>"$WORK/d3" 2>&1 &
ue3=$!
sleep 0.5 # UE3's Zn lookup is under way (and hangs)
t0=$(date +%s%N)
timeout 10 "$TUE" --state "$WORK/ue2.tstate" register --bmsc "$KM" --port 0 \
	--service "$NEWS" >"$WORK/d2" 2>&1
t1=$(date +%s%N)
ue3_parked=0
alive "$ue3" && ue3_parked=1
kill -CONT "$BSF_PID"
ms=$(( (t1 - t0) / 1000000 ))
grep -q "^item: $NEWS 200$" "$WORK/d2" && [ "$ms" -lt 5000 ] ||
	fail "UE2 was held up ${ms} ms behind UE3's Zn lookup: $(cat "$WORK/d2")"
[ "$ue3_parked" = 1 ] || fail "UE3's request ended while the BSF hung: $(cat "$WORK/d3")"
wait "$ue3"
grep -q "^item: $NEWS 200$" "$WORK/d3" || fail "UE3 after the BSF resumed: $(cat "$WORK/d3")"
pass "D: BSF hanging: UE2 answered in ${ms} ms while UE3's Zn lookup waited; UE3 got 200 once the BSF resumed"

# ---- E: a stop while a request is parked ----
"$TUE" --state "$WORK/ue4.tstate" bootstrap --bsf "$UB" --impi "$(impi_of 4)" --k "$K" \
	--opc "$OPC" --fqdn "$FQDN" >"$WORK/ue4.boot" 2>&1 || fail "UE4 bootstrap: $(cat "$WORK/ue4.boot")"
stop_ue 1
kill -STOP "$BSF_PID"
"$TUE" --state "$WORK/ue4.tstate" register --bmsc "$KM" --port 0 --service "$NEWS" \
	>"$WORK/e4" 2>&1 &
ue4=$!
sleep 0.5 # parked, its Zn lookup hanging
t0=$(date +%s%N)
kill -TERM "$BM_PID"
stopped() { ! alive "$BM_PID"; }
wait_for 8 stopped || { kill -CONT "$BSF_PID"; fail "bmscd waited out the hanging BSF at its stop"; }
t1=$(date +%s%N)
wait "$BM_PID"
rc=$?
forget "$BM_PID"
kill -CONT "$BSF_PID"
[ "$rc" = 0 ] || fail "bmscd exited $rc after a stop with a parked request"
wait "$ue4" 2>/dev/null
grep -q "^http: 503$" "$WORK/e4" || fail "the parked request was not answered 503: $(cat "$WORK/e4")"
pass "E: SIGTERM with a request parked on a hanging BSF: the lookup aborted, 503 to the UE, bmscd exited 0 in $(( (t1 - t0) / 1000000 )) ms"
stop_bsfd
printf '{"test":"fault_bsf","failed_bootstraps":%d,"keys_lost":0}\n' "$(failures)" >"$WORK/figures.json"
scan_secrets --secret "$ZN_SECRET"
echo "test_fault_bsf: all passed"
