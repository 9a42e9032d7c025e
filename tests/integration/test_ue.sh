#!/usr/bin/env bash
# mbms-ue end to end with real processes on 127.0.0.1: bsfd (Ub, Zn), bmscd
# and four mbms-ue daemons, each with its own MIKEY and MTK port, the BM-SC
# under a realistic FQDN pinned to 127.0.0.1 with [net] resolve.
#   * UE1..UE3 fetch the announcement, bootstrap, register and reach the
#     BM-SC's current MSK (pushes acknowledged);
#   * a rotation: the next MSK reaches UE1 and UE2; UE3 drops unsolicited
#     pushes (test-only fault injection) and gets the new MSK after the
#     switch-over through the missed key update set off by MTK messages;
#   * a solicited pull makes every UE ask for the current MSK;
#   * UE4, not a subscriber of the service, leaves it (one-shot: exit 3);
#   * a restarted UE keeps its B-TID and MSKs (no new bootstrap);
#   * no key in any UE log; SIGTERM ends the daemons with 0.
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
SRC=${MBMS_SRC:?MBMS_SRC must name the source directory}
BSFD=$BIN/bsfd
BMSCD=$BIN/bmscd
UE=$BIN/mbms-ue

work=$(mktemp -d)
bsf_pid=""
bmsc_pid=""
ue_pids=()
cleanup() {
	for p in "${ue_pids[@]}" $bmsc_pid $bsf_pid; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	for p in "${ue_pids[@]}" $bmsc_pid $bsf_pid; do
		[ -n "$p" ] && wait "$p" 2>/dev/null
	done
	if [ -n "${MBMS_KEEP_WORK:-}" ]; then
		echo "work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/bmscd.log "$work"/ue*.log; do
		[ -f "$f" ] || continue
		echo "--- $f (last 25 lines):" >&2
		tail -n 25 "$f" >&2
	done
	exit 1
}
pass() { echo "ok - $*"; }

for f in "$BSFD" "$BMSCD" "$UE"; do
	[ -x "$f" ] || fail "no $f (bmscd and mbms-ue are both needed)"
done
command -v python3 >/dev/null || fail "python3 is needed (free ports, JSON)"

free_udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

BSF_HOST=bsf.mnc001.mcc001.pub.3gppnetwork.org
FQDN=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
ZN_SECRET=zn-secret-for-the-ue-test
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
NEWS=urn:example:mbms:news
NEWS_ENC=urn%3Aexample%3Ambms%3Anews
KG=258
impi() { echo "00101000000000$1@ims.mnc001.mcc001.3gppnetwork.org"; }
MTK1=$(free_udp_port)
MTK2=$(free_udp_port)
MTK3=$(free_udp_port)

# ---- bsfd ----
cat >"$work/bsf.ini" <<EOF
[bsf]
listen = 127.0.0.1:0
zn_listen = 127.0.0.1:0
host = $BSF_HOST
db = bsf.db
key_lifetime = 3600
[naf "$FQDN"]
secret = $ZN_SECRET
EOF
chmod 600 "$work/bsf.ini"
for n in 1 2 3 4; do
	"$BSFD" subscriber add --impi "$(impi $n)" --k "$K" --opc "$OPC" --config "$work/bsf.ini" \
		>/dev/null || fail "bsfd subscriber add $n"
done
"$BSFD" --config "$work/bsf.ini" 2>"$work/bsfd.log" &
bsf_pid=$!
line=""
for _ in $(seq 1 100); do
	line=$(grep -m1 ' Ub on ' "$work/bsfd.log" 2>/dev/null || true)
	[ -n "$line" ] && break
	sleep 0.1
done
[ -n "$line" ] || fail "bsfd did not start: $(cat "$work/bsfd.log")"
UB=http://127.0.0.1:$(echo "$line" | sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
ZN=http://127.0.0.1:$(echo "$line" | sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p')

# ---- bmscd: UE1..UE3 subscribe to news; MTK messages to each UE's port ----
cat >"$work/bmsc.ini" <<EOF
[bmsc]
fqdn = $FQDN
mcc = 001
mnc = 01
listen = 127.0.0.1:0
admin_listen = 127.0.0.1:0
mikey_listen = 127.0.0.1:0
db = bmsc.db
log_level = debug
nonce_lifetime = 60s

[zn]
url = $ZN
secret = $ZN_SECRET

[push]
retransmit_initial = 500ms
retransmit_max = 2s
retransmit_count = 2
counter_block = 8

[key_group "$KG"]
msk_lifetime = 1h
lead_time = 10m
mtk_lifetime = 60s

[service "$NEWS"]
key_groups = $KG
subscribers = $(impi 1), $(impi 2), $(impi 3)
offset_time = 0
random_time_period = 1

[session "news-video"]
service = $NEWS
key_group = $KG
destination = 127.0.0.1:5004
mtk_port = 2269
mtk_send_to = 127.0.0.1:$MTK1, 127.0.0.1:$MTK2, 127.0.0.1:$MTK3
mtk_interval = 1s
EOF
chmod 600 "$work/bmsc.ini"
"$BMSCD" --config "$work/bmsc.ini" 2>"$work/bmscd.log" &
bmsc_pid=$!
line=""
for _ in $(seq 1 100); do
	line=$(grep -m1 ' key management on ' "$work/bmscd.log" 2>/dev/null || true)
	[ -n "$line" ] && break
	kill -0 "$bmsc_pid" 2>/dev/null || fail "bmscd exited at start-up"
	sleep 0.1
done
[ -n "$line" ] || fail "bmscd did not report its ports"
KM_PORT=$(echo "$line" | sed -n 's/.*key management on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
ADMIN=127.0.0.1:$(echo "$line" | sed -n 's/.*admin on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
[ -n "$KM_PORT" ] || fail "no key management port in: $line"

ctl() { "$BMSCD" ctl --admin "$ADMIN" "$@"; }
bmsc_field() { # $1 = python expression on the status object j
	ctl status | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}
bmsc_is() { [ "$(bmsc_field "$1")" = "$2" ]; } # for wait_for: evaluated on every try

# ---- the UEs ----
write_ue() { # $1 = n, $2 = MTK port or off, $3 = extra lines
	local mtk="127.0.0.1:$2"
	[ "$2" = off ] && mtk=off
	cat >"$work/ue$1.ini" <<EOF
[ue]
state = ue$1.state
log_level = debug
push_timeout_ms = 5000
max_attempts = 3
retry_floor_ms = 300
[usim]
impi = $(impi "$1")
k = $K
opc = $OPC
sqn_state = ue$1.sqn
[bsf]
url = $UB
host = $BSF_HOST
[net]
mikey_listen = 127.0.0.1:0
mtk_listen = $mtk
resolve = $FQDN:$KM_PORT:127.0.0.1
[service "$NEWS"]
announcement_url = http://$FQDN:$KM_PORT/announcement/$NEWS_ENC
$3
EOF
	chmod 600 "$work/ue$1.ini"
}
write_ue 1 "$MTK1" ""
write_ue 2 "$MTK2" ""
write_ue 3 "$MTK3" "[test]
drop_msk_push = unsolicited"
write_ue 4 off ""

start_ue() { # $1 = n; the log is appended to
	"$UE" --config "$work/ue$1.ini" 2>>"$work/ue$1.log" &
	ue_pids[$1]=$!
}
stop_ue() { # SIGTERM must end mbms-ue with 0
	local p=${ue_pids[$1]}
	kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	local rc=$?
	ue_pids[$1]=""
	[ "$rc" -eq 0 ] || fail "UE$1 exited with $rc after SIGTERM"
}
ue_status() { "$UE" status --config "$work/ue$1.ini" 2>/dev/null; }
holds() { ue_status "$1" | grep -q "^msk key_domain=00f110 msk_id=$2 "; }
wait_for() { # $1 = seconds, then a command
	local t=$1
	shift
	for _ in $(seq 1 $((t * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
active() { ue_status "$1" | grep -q "^service $NEWS state=active"; }
count() { grep -c -- "$2" "$work/ue$1.log" 2>/dev/null || true; }
count_is() { [ "$(count "$1" "$2")" = "$3" ]; }

for n in 1 2 3; do
	start_ue $n
done
for n in 1 2 3; do
	wait_for 30 active $n || fail "UE$n did not become active: $(ue_status $n)"
done
CUR=$(bmsc_field 'j["key_groups"][0]["current_msk_id"]')
[ -n "$CUR" ] && [ "$CUR" != None ] || fail "bmscd has no current MSK"
for n in 1 2 3; do
	wait_for 10 holds $n "$CUR" || fail "UE$n does not hold the current MSK $CUR: $(ue_status $n)"
	grep -q "HTTP GET http://$FQDN:$KM_PORT/announcement/$NEWS_ENC" "$work/ue$n.log" ||
		fail "UE$n did not fetch the announcement"
	grep -q "bootstrapped: B-TID .*@$BSF_HOST" "$work/ue$n.log" || fail "UE$n did not bootstrap"
	grep -q "registered $NEWS: registered with $FQDN" "$work/ue$n.log" || fail "UE$n not registered"
	grep -q "msk-installed $NEWS: MSK installed: key domain 00f110, MSK ID $CUR" "$work/ue$n.log" ||
		fail "UE$n: no install line for $CUR"
done
wait_for 5 bmsc_is 'j["pushes"]["acked"] >= 3' True ||
	fail "bmscd did not record three acks: $(ctl status)"
pass "three UEs: announcement, bootstrap, register, MSK request, push acked: all hold $CUR"

# ---- the unauthorised UE leaves the service ----
(cd "$work" && "$UE" --config ue4.ini --once --timeout 30 2>"$work/ue4.log")
rc=$?
[ $rc -eq 3 ] || fail "UE4 (not subscribed): exit $rc, not 3"
grep -q "service-left $NEWS: left the service: .*403" "$work/ue4.log" || fail "UE4: no leave line"
ue_status 4 | grep -q "^service $NEWS state=left reason=.*403" || fail "UE4 status: $(ue_status 4)"
ue_status 4 | grep -q "^msk " && fail "UE4 holds an MSK"
pass "UE4, not a subscriber: refused (403), left the service, exit 3"

# ---- rotation: next MSK pushed; UE3 loses it, recovers by missed key update ----
ctl rotate --key-group "$KG" >"$work/rot1" || fail "ctl rotate"
NEXT=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["next_msk_id"])' <"$work/rot1")
[ -n "$NEXT" ] && [ "$NEXT" != "$CUR" ] || fail "rotation made no next MSK: $(cat "$work/rot1")"
for n in 1 2; do
	wait_for 15 holds $n "$NEXT" || fail "UE$n did not get the next MSK $NEXT: $(ue_status $n)"
	holds $n "$CUR" || fail "UE$n dropped the current MSK on getting the next"
done
wait_for 10 grep -q "MSK message $NEXT: TEST fault injection" "$work/ue3.log" ||
	fail "UE3 did not drop the rotation push"
sleep 3 # the BM-SC's retransmissions (500 ms, 1 s) are dropped too
holds 3 "$NEXT" && fail "UE3 holds $NEXT although its pushes are dropped"
[ "$(count 3 missed-key-update)" = 0 ] || fail "UE3 ran a missed key update before the switch-over"
ctl rotate --key-group "$KG" >"$work/rot2" || fail "ctl rotate (switch-over)"
wait_for 10 bmsc_is 'j["key_groups"][0]["current_msk_id"]' "$NEXT" ||
	fail "bmscd did not switch over to $NEXT"
wait_for 20 holds 3 "$NEXT" || fail "UE3 did not recover $NEXT: $(ue_status 3)"
grep -q "missed-key-update $NEWS: an MTK message names MSK $NEXT, which we do not hold" \
	"$work/ue3.log" || fail "UE3: no missed-key-update line"
for n in 1 2; do
	[ "$(count $n missed-key-update)" = 0 ] || fail "UE$n ran a missed key update"
done
for n in 1 2 3; do
	holds $n "$NEXT" || fail "UE$n does not hold the new current MSK"
	wait_for 10 grep -q "mtk-received: MTK [0-9]* under MSK $NEXT" "$work/ue$n.log" ||
		fail "UE$n: no MTK under $NEXT"
done
pass "rotation: $NEXT pushed to UE1, UE2; UE3 lost it and recovered after the switch-over (missed key update); MTKs under $NEXT everywhere"

# ---- solicited pull: every UE asks for the current MSK ----
declare -a before
for n in 1 2 3; do
	before[$n]=$(count $n "HTTP POST .*requesttype=msk-request")
done
ctl solicit --service "$NEWS" >"$work/sol" || fail "ctl solicit"
grep -q '"registered_ues":3' "$work/sol" || fail "solicit: $(cat "$work/sol")"
for n in 1 2 3; do
	wait_for 15 grep -q "solicited-pull $NEWS: solicited pull for Key Group $KG" "$work/ue$n.log" ||
		fail "UE$n: no trigger"
	more() { [ "$(count "$1" "HTTP POST .*requesttype=msk-request")" -gt "${before[$1]}" ]; }
	wait_for 15 more $n || fail "UE$n did not ask for the current MSK after the trigger"
done
wait_for 10 bmsc_is 'j["pushes"]["acked"] >= 8' True ||
	fail "acks after the pull: $(ctl status)"
pass "solicited pull: every UE acknowledged the trigger and sent an MSK request"

# ---- restart: the key store keeps B-TID and MSKs ----
btid1=$(ue_status 1 | sed -n 's/^bootstrap btid=\([^ ]*\) .*/\1/p')
stop_ue 1
start_ue 1
wait_for 20 count_is 1 "key store .*ue1.state: 2 MSK(s), B-TID $btid1" 1 ||
	fail "UE1 restart did not load its key store: $(grep "key store" "$work/ue1.log")"
wait_for 20 active 1 || fail "UE1 not active after the restart"
[ "$(count 1 "bootstrapping with the BSF")" = 1 ] || fail "UE1 bootstrapped again after a restart"
holds 1 "$NEXT" || fail "UE1 lost $NEXT across the restart"
pass "restart: UE1 kept its B-TID ($btid1) and MSKs, no new bootstrap"

# ---- shut down; no key in any log ----
for n in 1 2 3; do
	stop_ue $n
done
for n in 1 2 3 4; do
	mode=$(stat -c %a "$work/ue$n.state")
	[ "$mode" = 600 ] || fail "UE$n key store mode $mode"
	# every hex key of the key store (Ks, MUKs, MSKs, MTKs, salts)
	keys=$(tr ' ' '\n' <"$work/ue$n.state" | grep -E '^[0-9a-f]{28,64}$' || true)
	for key in $keys $K $OPC; do
		grep -qi -- "$key" "$work"/ue*.log && fail "a key of UE$n appears in a log"
	done
done
pass "key stores 0600; no K, OPc, Ks, MUK, MSK or MTK in the UE logs; SIGTERM exits 0"

echo "test_ue: all passed"
