#!/usr/bin/env bash
# Fault injection: kill -9 of bmscd in the middle of a rotation to 10,000
# registered UEs, then a restart. The UEs are played by one process,
# tests/security/sec_mass_ue.c, which also answers bmscd's Zn lookups (so
# that 10,000 bootstraps cost nothing); each UE verifies every MSK message
# with its own MUK state (MAC, MUK ID, TS counter strictly increasing) and
# acknowledges it. The tool kills bmscd with SIGKILL once a third of the UEs
# hold the next MSK; the test restarts bmscd and checks:
#   * no MSK lost or changed: the same current and next MSK IDs after the
#     restart, and every UE received the same key for the next MSK before and
#     after the kill (the tool compares every copy);
#   * no TS counter reused: no UE refused a message for its counter;
#   * the rotation completes: every UE holds the next MSK, no push is left
#     pending or given up, and the switch-over to it works.
# Under ASan+UBSan 2,000 UEs.
set -u
TEST_NAME=test_fault_kill9
. "$(dirname "$0")/../security/lib.sh"
need "$BMSCD" "$BIN/sec_mass_ue" python3

FQDN=bmsc.mass.example
ZN_SECRET=mass-zn-secret
NEWS=urn:example:mbms:news
N=${MBMS_KILL9_UES:-10000}
[ "$SANITIZED" = 1 ] && N=${MBMS_KILL9_UES:-2000}
ZN_PORT=$(free_tcp_port)

cat >"$WORK/bmsc.ini" <<EOF
[bmsc]
fqdn = $FQDN
mcc = 001
mnc = 01
listen = 127.0.0.1:0
admin_listen = 127.0.0.1:0
mikey_listen = 127.0.0.1:0
db = bmsc.db
log_level = info
[zn]
url = http://127.0.0.1:$ZN_PORT
secret = $ZN_SECRET
[push]
retransmit_initial = 1s
retransmit_max = 4s
retransmit_count = 8
[key_group "258"]
msk_lifetime = 1h
lead_time = 10m
[service "$NEWS"]
key_groups = 258
subscribers = *
EOF
chmod 600 "$WORK/bmsc.ini"
start_bmscd "$WORK/bmsc.ini"
CUR=$(bm_field 'j["key_groups"][0]["current_msk_id"]')

t0=$(date +%s)
"$BIN/sec_mass_ue" --bmsc "$KM" --fqdn "$FQDN" --zn-listen "127.0.0.1:$ZN_PORT" \
	--zn-secret "$ZN_SECRET" --service "$NEWS" --count "$N" --out "$WORK/mass.out" \
	--run-seconds 150 --linger 6 --kill-pid "$BM_PID" --kill-after $((N / 3)) \
	>"$WORK/mass.log" 2>&1 &
MASS_PID=$!
BG_PIDS+=("$MASS_PID")
ready_or_gone() {
	grep -q '^ready' "$WORK/mass.out" 2>/dev/null && return 0
	alive "$MASS_PID" || fail "sec_mass_ue ended early: $(tail -n 3 "$WORK/mass.log")"
	return 1
}
wait_for 150 ready_or_gone || fail "the UEs did not register: $(tail -n 3 "$WORK/mass.log")"
note "$(grep '^ready' "$WORK/mass.out")"
bm_is 'j["registered_ues"]' "$N" || fail "bmscd counts $(bm_field 'j["registered_ues"]') registered UEs, not $N"
pass "$N UEs registered (Digest auth-int, Zn lookup each) in $(( $(date +%s) - t0 )) s"

ctl rotate --key-group 258 >"$WORK/rot" || fail "ctl rotate"
NEXT=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["next_msk_id"])' <"$WORK/rot")
wait_for 60 grep -q '^killed' "$WORK/mass.out" || fail "the tool did not kill bmscd: $(tail -n 3 "$WORK/mass.log")"
wait "$BM_PID" 2>/dev/null
rc=$?
forget "$BM_PID"
[ "$rc" = 137 ] || fail "bmscd did not die of SIGKILL (status $rc)"
note "$(grep '^killed' "$WORK/mass.out")"
pass "kill -9 of bmscd in the middle of the fan-out of $NEXT"

start_bmscd "$WORK/bmsc.ini"
grep -q "push(es) to resume" "$BM_LOG" || fail "no resume line after the restart"
note "$(grep -o 'started: .*' "$BM_LOG" | head -n1)"
bm_is 'j["key_groups"][0]["current_msk_id"]' "$CUR" || fail "current MSK changed across kill -9"
bm_is 'j["key_groups"][0]["next_msk_id"]' "$NEXT" || fail "next MSK changed across kill -9"
bm_is 'j["registered_ues"]' "$N" || fail "registrations lost across kill -9"
pass "restart: current $CUR and next $NEXT unchanged, $N registrations restored"

wait "$MASS_PID"
rc=$?
forget "$MASS_PID"
summary=$(grep '^summary' "$WORK/mass.out")
note "$summary"
[ "$rc" = 0 ] || fail "the UEs did not all end with one unchanged MSK without a reused counter: $summary"
echo "$summary" | grep -q " msk=$NEXT " || fail "the UEs hold another MSK than $NEXT"
echo "$summary" | grep -q " changed=0 replays=0 " || fail "$summary"
wait_for 60 bm_is 'j["pending_pushes"]' 0 || fail "pushes left pending: $(bm_field 'j["pending_pushes"]')"
given_up=$(bm_field 'j["pushes"]["given_up"]')
[ "$given_up" = 0 ] || fail "$given_up push(es) given up"
ctl rotate --key-group 258 >/dev/null || fail "switch-over"
bm_is 'j["key_groups"][0]["current_msk_id"]' "$NEXT" || fail "no switch-over to $NEXT"
pass "rotation completed after the restart: all $N UEs hold $NEXT (same key everywhere), no counter reused, 0 pushes given up, switched over"

kill "$BM_PID" 2>/dev/null
wait "$BM_PID" 2>/dev/null
forget "$BM_PID"
printf '{"test":"fault_kill9","ues":%d,"keys_lost":0,"keys_changed":0,"counters_reused":0}\n' "$N" \
	>"$WORK/figures.json"
scan_secrets --secret "$ZN_SECRET"
echo "test_fault_kill9: all passed ($(( $(date +%s) - t0 )) s)"
