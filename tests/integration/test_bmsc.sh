#!/usr/bin/env bash
# bmscd end to end with real processes on 127.0.0.1: bsfd (Ub, Zn), bmscd, and
# scripted UEs (bmsc_test_ue, built on the library). Covers: register with
# per-item 200/403/404, basic MSK request (Key Number 0) with push + ack,
# retransmission when the ack is lost, rotation reaching every registered UE
# and no one else, solicited pull leading to a new request, deregistration
# stopping pushes, MTK messages, the announcement, HTTP 401/403/404/405/413/
# 415/400, nonce replay, tampered auth-int body, curl --digest (qop=auth)
# refused by default and accepted with allow_qop_auth, kill -9 during a
# rotation and restart with state intact (no TS counter reused), no keys in
# the logs or the --trace file, --help/--version/config errors with
# file:line, SIGTERM exit 0.
# Daemons listen on port 0; the test reads the ports from their logs. What
# becomes true asynchronously is polled for (bounded), never slept for.
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
SRC=${MBMS_SRC:?MBMS_SRC must name the source directory}
BSFD=$BIN/bsfd
BMSCD=$BIN/bmscd
TUE=$BIN/bmsc_test_ue

work=$(mktemp -d)
bsf_pid=""
bmsc_pid=""
bg_pids=""
starts=0
BLOG=$work/bmscd.0.log
cleanup() {
	for p in $bg_pids $bmsc_pid $bsf_pid; do
		kill "$p" 2>/dev/null
	done
	for p in $bg_pids $bmsc_pid $bsf_pid; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$BLOG" ]; then
		echo "--- bmscd log (last 40 lines):" >&2
		tail -n 40 "$BLOG" >&2
	fi
	exit 1
}
pass() { echo "ok - $*"; }

for f in "$BSFD" "$BMSCD" "$TUE"; do
	[ -x "$f" ] || fail "no $f"
done
for tool in curl python3; do
	command -v $tool >/dev/null || fail "$tool is needed"
done

# N distinct free UDP ports for the UEs and the MTK destinations. Each UE
# invocation binds its port again and nothing holds it in between, so they
# come from below the kernel's ephemeral range: a port-0 bind elsewhere (a
# restarted daemon's listener, another test running in parallel) can never
# take one meanwhile. Falls back to ephemeral ports if that range is too low.
free_udp_ports() {
	python3 - "$1" <<'PYEOF'
import random, socket, sys
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    lo = 32768
out = []
while len(out) < int(sys.argv[1]):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", random.randrange(max(10000, lo - 12000), lo) if lo > 11000 else 0))
        p = s.getsockname()[1]
        if p not in out:
            out.append(p)
    except OSError:
        pass
    finally:
        s.close()
print(" ".join(map(str, out)))
PYEOF
}

BSF_HOST=bsf.mnc001.mcc001.pub.3gppnetwork.org
FQDN=localhost # the BM-SC FQDN: NAF FQDN, realm suffix, IDi, announced host
ZN_SECRET='zn;secret #1'
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
IMPI1=001010000000001@ims.mnc001.mcc001.3gppnetwork.org
IMPI2=001010000000002@ims.mnc001.mcc001.3gppnetwork.org
IMPI3=001010000000003@ims.mnc001.mcc001.3gppnetwork.org
NEWS=urn:example:mbms:news
PREMIUM=urn:example:mbms:premium
read -r MTK1 MTK2 UE_PORT1 UE_PORT2 UE_PORT3 <<<"$(free_udp_ports 5)"
[ -n "$UE_PORT3" ] || fail "no free UDP ports"

# ---- bsfd ----
cat >"$work/bsf.ini" <<EOF
[bsf]
listen = 127.0.0.1:0
zn_listen = 127.0.0.1:0
host = $BSF_HOST
db = bsf.db
key_lifetime = 3600
[naf "$FQDN"]
secret = "$ZN_SECRET"
EOF
chmod 600 "$work/bsf.ini"
for impi in "$IMPI1" "$IMPI2" "$IMPI3"; do
	"$BSFD" subscriber add --impi "$impi" --k "$K" --opc "$OPC" --config "$work/bsf.ini" \
		>/dev/null || fail "bsfd subscriber add $impi"
done
"$BSFD" --config "$work/bsf.ini" 2>"$work/bsfd.log" &
bsf_pid=$!
for _ in $(seq 1 100); do
	line=$(grep -m1 ' Ub on ' "$work/bsfd.log" 2>/dev/null || true)
	[ -n "$line" ] && break
	sleep 0.1
done
[ -n "$line" ] || fail "bsfd did not start: $(cat "$work/bsfd.log")"
UB=http://127.0.0.1:$(echo "$line" | sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
ZN=http://127.0.0.1:$(echo "$line" | sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p')

# ---- bmscd ----
write_config() { # $1 = allow_qop_auth
	cat >"$work/bmsc.ini" <<EOF
; test configuration
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
allow_qop_auth = $1

[zn]
url = $ZN
secret = "$ZN_SECRET"

[push]
; give-up only ~29 s after the first transmission (0.7+1.4+2.8+8*3 s): a push
; the test keeps unacknowledged stays pending however slow a loaded host is
retransmit_initial = 700ms
retransmit_max = 3s
retransmit_count = 10
counter_block = 4

[key_group "258"]
msk_lifetime = 1h
lead_time = 10m
mtk_lifetime = 60s

[key_group "0x0103"]
msk_lifetime = 1h
lead_time = 10m

[service "$NEWS"]
key_groups = 258
subscribers = *
random_time_period = 0

[service "$PREMIUM"]
key_groups = 259
subscribers = $IMPI2, *@premium.example.org

[session "news-video"]
service = $NEWS
destination = 127.0.0.1:5004
mtk_port = 2269
mtk_send_to = 127.0.0.1:$MTK1, 127.0.0.1:$MTK2
mtk_interval = 1s
EOF
	chmod 600 "$work/bmsc.ini"
}

start_bmscd() {
	starts=$((starts + 1))
	BLOG=$work/bmscd.$starts.log
	"$BMSCD" --config "$work/bmsc.ini" --trace "$work/trace.jsonl" 2>"$BLOG" &
	bmsc_pid=$!
	for _ in $(seq 1 100); do
		line=$(grep -m1 ' key management on ' "$BLOG" 2>/dev/null || true)
		if [ -n "$line" ]; then
			KM_PORT=$(echo "$line" | sed -n 's/.*key management on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
			ADMIN=127.0.0.1:$(echo "$line" | sed -n 's/.*admin on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
			KM=http://127.0.0.1:$KM_PORT
			return 0
		fi
		kill -0 "$bmsc_pid" 2>/dev/null || fail "bmscd exited at start-up"
		sleep 0.1
	done
	fail "bmscd did not report its ports within 10 s"
}

stop_bmscd() { # SIGTERM must end bmscd cleanly
	kill -TERM "$bmsc_pid" 2>/dev/null
	wait "$bmsc_pid" 2>/dev/null
	local rc=$?
	bmsc_pid=""
	[ "$rc" -eq 0 ] || fail "bmscd exited with $rc after SIGTERM"
}

ctl() { "$BMSCD" ctl --admin "$ADMIN" "$@"; }
status_field() { # $1 = python expression on the status object j
	ctl status | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}
ue() { # $1 = ue number, then the command
	local n=$1
	shift
	"$TUE" --state "$work/ue$n.state" "$@"
}
field() { sed -n "s/^$1: //p" "$2"; }

# Conditions that become true asynchronously (an ack processed by bmscd, a
# background UE's socket bound) are polled, never slept for: wait_for SECS CMD
# runs CMD every 50 ms until it succeeds, at most SECS seconds (generous:
# loaded CI hosts, ASan builds); its status is CMD's last one.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.05
	done
}
status_is() { [ "$(status_field "$1")" = "$2" ]; }
log_has() { grep -q -- "$1" "$BLOG"; }
# A background UE binds its UDP socket (then prints "port: N") before it
# listens: datagrams sent after that line wait in its socket.
ue_bound() {
	local f
	for f in "$@"; do
		grep -q '^port: ' "$f" 2>/dev/null || return 1
	done
}

# ---- command line ----
"$BMSCD" --help | grep -q 'bmscd ctl' || fail "--help"
"$BMSCD" --version | grep -q '^bmscd ' || fail "--version"
"$BMSCD" >/dev/null 2>&1
[ $? -eq 2 ] || fail "no arguments is not a usage error"
printf '[bmsc]\nfqdn = localhost\nmcc = 1\n' >"$work/bad.ini"
"$BMSCD" --config "$work/bad.ini" 2>"$work/err" && fail "bad config accepted"
grep -q "bad.ini:3: mcc" "$work/err" || fail "config error without file:line: $(cat "$work/err")"
write_config false
sed 's/^lead_time = 10m$/lead_time = 2h/' "$work/bmsc.ini" >"$work/bad2.ini"
"$BMSCD" --config "$work/bad2.ini" --check 2>"$work/err" >/dev/null && fail "lead >= lifetime accepted"
grep -q "bad2.ini:[0-9]*: key group 258: lead_time" "$work/err" || fail "lead time error: $(cat "$work/err")"
"$BMSCD" --config "$work/bmsc.ini" --check >"$work/check" || fail "--check on a good config"
grep -q "session news-video" "$work/check" || fail "--check summary"
pass "command line: --help, --version, usage 2, config errors as file:line, --check"

start_bmscd
mode=$(stat -c %a "$work/bmsc.db")
[ "$mode" = 600 ] || fail "database mode is $mode, not 600"

# ---- bootstrap three UEs ----
for n in 1 2 3; do
	eval impi=\$IMPI$n
	ue $n bootstrap --bsf "$UB" --impi "$impi" --k "$K" --opc "$OPC" --fqdn "$FQDN" \
		>"$work/boot$n" 2>&1 || fail "UE$n bootstrap: $(cat "$work/boot$n")"
done
BTID1=$(field btid "$work/boot1")
pass "three UEs bootstrapped at bsfd"

# ---- announcement ----
code=$(curl -s -o "$work/ann" -w '%{http_code}' "$KM/announcement/urn%3Aexample%3Ambms%3Anews")
[ "$code" = 200 ] || fail "announcement: $code"
grep -q "<keyManagementServer>$FQDN:$KM_PORT</keyManagementServer>" "$work/ann" || fail "announcement: $(cat "$work/ann")"
grep -q "<keyDomainID>APEQ</keyDomainID>" "$work/ann" || fail "announcement key domain"
grep -q "<MSKID>AQIAAA==</MSKID>" "$work/ann" || fail "announcement MSKID (Key Number 0)"
grep -q "<session><destination>127.0.0.1:5004</destination><mtkPort>2269</mtkPort><keyGroup>258</keyGroup></session>" "$work/ann" ||
	fail "announcement session"
code=$(curl -s -o /dev/null -w '%{http_code}' "$KM/announcement/urn%3Aexample%3Anone")
[ "$code" = 404 ] || fail "unknown announcement: $code"
pass "announcement: keyManagementServer $FQDN:$KM_PORT, Key Domain, MSKID ...0000, session; 404 unknown"

# ---- register: per-item codes ----
ue 1 register --bmsc "$KM" --port "$UE_PORT1" --service "$NEWS" --service "$PREMIUM" \
	--service urn:example:mbms:unknown >"$work/out" || fail "register"
grep -q "^http: 200$" "$work/out" || fail "register: $(cat "$work/out")"
grep -q "^rspauth: ok$" "$work/out" || fail "register: rspauth not ok"
grep -q "^item: $NEWS 200$" "$work/out" || fail "register news: $(cat "$work/out")"
grep -q "^item: $PREMIUM 403$" "$work/out" || fail "register premium (not subscribed)"
grep -q "^item: urn:example:mbms:unknown 404$" "$work/out" || fail "register unknown"
grep -q "register impi=$IMPI1 btid=.* 200 (3 service(s): 1 ok, 1 403, 1 404)" "$BLOG" ||
	fail "no outcome log line for the registration"
ue 2 register --bmsc "$KM" --port "$UE_PORT2" --service "$NEWS" --service "$PREMIUM" >"$work/out" || fail "register 2"
grep -q "^item: $PREMIUM 200$" "$work/out" || fail "UE2 premium: $(cat "$work/out")"
ue 3 register --bmsc "$KM" --port "$UE_PORT3" --service urn:example:mbms:unknown >"$work/out" || fail "register 3"
pass "register: 200 with items 200 / 403 (not subscribed) / 404 (unknown), rspauth over the body"

# ---- basic MSK request + push + ack ----
ue 1 msk-request --bmsc "$KM" --msk 01020000 --listen 5 --expect 1 >"$work/out" ||
	fail "basic MSK request: $(cat "$work/out")"
grep -q "^item: 01020000 200$" "$work/out" || fail "item of Key Number 0: $(cat "$work/out")"
CUR=$(sed -n 's/^rx msk \(0102[0-9a-f]*\) .*ack=sent$/\1/p' "$work/out" | head -n1)
[ -n "$CUR" ] || fail "no acknowledged push: $(cat "$work/out")"
[ "$CUR" = "$(status_field 'j["key_groups"][0]["current_msk_id"]')" ] || fail "pushed MSK is not the current one"
wait_for 20 status_is 'j["pushes"]["acked"]' 1 || fail "ack not recorded: $(ctl status)"
wait_for 20 log_has "push msk $CUR impi=$IMPI1 from 127.0.0.1:[0-9]*: acked" || fail "no ack log line"
pass "basic MSK request: item ...0000 = 200, MIKEY push of $CUR, verification accepted"

# ---- retransmission when the ack is lost ----
ue 1 msk-request --bmsc "$KM" --msk "$CUR" --drop-acks 1 --listen 8 --expect 2 >"$work/out" ||
	fail "retransmission: $(cat "$work/out")"
grep -c "^rx msk $CUR " "$work/out" | grep -q '^2$' || fail "not two transmissions: $(cat "$work/out")"
ts1=$(sed -n "s/^rx msk $CUR ts=\([0-9]*\) .*ack=dropped$/\1/p" "$work/out")
ts2=$(sed -n "s/^rx msk $CUR ts=\([0-9]*\) .*ack=sent$/\1/p" "$work/out")
[ -n "$ts1" ] && [ -n "$ts2" ] && [ "$ts2" -gt "$ts1" ] || fail "retransmission counter $ts1 -> $ts2"
wait_for 20 status_is 'j["pushes"]["retransmitted"] >= 1' True || fail "retransmission not counted"
pass "lost ack: retransmitted with a fresh TS counter ($ts1 -> $ts2), then acked"

# ---- MTK messages ----
ue 1 listen --mtk-port "$MTK1" --listen 15 --expect-mtk 1 >"$work/out" || fail "mtk listen: $(cat "$work/out")"
grep -q "^rx mtk msk=$CUR mtk=1 ts=" "$work/out" || fail "no MTK message under $CUR: $(cat "$work/out")"
pass "MTK messages under the current MSK reach the session's destinations"

# ---- rotation reaches every registered UE (and no one else) ----
ue 2 msk-request --bmsc "$KM" --msk 01020000 --listen 5 --expect 1 >"$work/out" || fail "UE2 request"
ue 1 listen --listen 10 --expect 1 >"$work/rot1" &
p1=$!
ue 2 listen --listen 10 --expect 1 >"$work/rot2" &
p2=$!
ue 3 listen --listen 4 >"$work/rot3" &
p3=$!
bg_pids="$p1 $p2 $p3"
wait_for 20 ue_bound "$work/rot1" "$work/rot2" "$work/rot3" || fail "UEs not listening"
ctl rotate --key-group 258 >"$work/rot" || fail "ctl rotate"
NEXT=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["next_msk_id"])' <"$work/rot")
wait $p1 || fail "UE1 did not get the next MSK: $(cat "$work/rot1")"
wait $p2 || fail "UE2 did not get the next MSK: $(cat "$work/rot2")"
wait $p3
bg_pids=""
grep -q "^rx msk $NEXT .*ack=sent" "$work/rot1" || fail "UE1: $(cat "$work/rot1")"
grep -q "^rx msk $NEXT .*ack=sent" "$work/rot2" || fail "UE2: $(cat "$work/rot2")"
grep -q "^rx " "$work/rot3" && fail "UE3 (not registered to news) got a push: $(cat "$work/rot3")"
grep -q "^keys: .*$CUR.*$NEXT\|^keys: .*$NEXT.*$CUR" "$work/rot1" || fail "UE1 does not hold current + next"
[ "$(status_field 'j["key_groups"][0]["next_msk_id"]')" = "$NEXT" ] || fail "status next MSK"
pass "rotation: next MSK $NEXT pushed to both registered UEs, not to the third; UEs hold current + next"

# ---- solicited pull ----
ue 1 listen --auto-request "$KM" --listen 10 --expect 1 >"$work/sol" &
p1=$!
bg_pids=$p1
wait_for 20 ue_bound "$work/sol" || fail "UE1 not listening"
ctl solicit --service "$NEWS" >"$work/soljson" || fail "ctl solicit"
grep -q '"registered_ues":2' "$work/soljson" || fail "solicit: $(cat "$work/soljson")"
wait $p1 || fail "solicited pull did not end in a push: $(cat "$work/sol")"
bg_pids=""
grep -q "^rx trigger 01020000 .*ack=sent" "$work/sol" || fail "no trigger: $(cat "$work/sol")"
grep -q "^item: 01020000 200$" "$work/sol" || fail "no MSK request after the trigger"
grep -q "^rx msk 0102" "$work/sol" || fail "no push after the request"
pass "solicited pull: trigger (Key Number 0, acked) -> MSK request -> push"

# ---- deregistration stops pushes ----
ue 2 deregister --bmsc "$KM" --service "$NEWS" >"$work/out" || fail "deregister"
grep -q "^item: $NEWS 200$" "$work/out" || fail "deregister: $(cat "$work/out")"
ue 2 listen --listen 3 >"$work/dereg2" &
p2=$!
ue 1 listen --listen 10 --expect 1 >"$work/dereg1" &
p1=$!
bg_pids="$p1 $p2"
wait_for 20 ue_bound "$work/dereg1" "$work/dereg2" || fail "UEs not listening"
ctl rotate --key-group 258 >/dev/null || fail "rotate (switch)"
ctl rotate --key-group 258 >"$work/rot" || fail "rotate (next)"
NEXT2=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["next_msk_id"])' <"$work/rot")
wait $p1 || fail "UE1 missed $NEXT2: $(cat "$work/dereg1")"
wait $p2
bg_pids=""
grep -q "^rx msk" "$work/dereg2" && fail "UE2 still pushed after deregistering: $(cat "$work/dereg2")"
ue 2 msk-request --bmsc "$KM" --msk 01020000 >"$work/out" || fail "request after dereg"
grep -q "^item: 01020000 403$" "$work/out" || fail "request after deregistration: $(cat "$work/out")"
pass "deregistration: no pushes for the next rotation, MSK requests 403"

# ---- HTTP refusals ----
ue 1 msk-request --bmsc "$KM" --msk 01030000 --msk 77770000 --msk 0102fffe >"$work/out" || fail "items"
grep -q "^item: 01030000 403$" "$work/out" || fail "premium key group for UE1: $(cat "$work/out")"
grep -q "^item: 77770000 404$" "$work/out" || fail "unknown key group"
grep -q "^item: 0102fffe 404$" "$work/out" || fail "unknown key number"
ue 1 msk-request --bmsc "$KM" --msk 01020000 --no-auth >"$work/out"
grep -q "^http: 401$" "$work/out" || fail "no Authorization: $(cat "$work/out")"
printf 'hello' >"$work/text"
ue 1 post --bmsc "$KM" --requesttype register --content-type text/plain --body-file "$work/text" >"$work/out"
grep -q "^http: 415$" "$work/out" || fail "text/plain: $(cat "$work/out")"
printf '<mbmsUserServiceRegistration xmlns="urn:3gpp:mbms:keymanagement:2026"><serviceId>urn:a:b' >"$work/broken"
ue 1 post --bmsc "$KM" --requesttype register --content-type application/mbms-register+xml \
	--body-file "$work/broken" >"$work/out"
grep -q "^http: 400$" "$work/out" || fail "malformed XML: $(cat "$work/out")"
cat >"$work/doctype" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<mbmsUserServiceRegistration xmlns="urn:3gpp:mbms:keymanagement:2026"><serviceId>&lol2;</serviceId></mbmsUserServiceRegistration>
EOF
ue 1 post --bmsc "$KM" --requesttype register --content-type application/mbms-register+xml \
	--body-file "$work/doctype" >"$work/out"
grep -q "^http: 400$" "$work/out" || fail "DOCTYPE: $(cat "$work/out")"
ue 1 post --bmsc "$KM" --requesttype bogus --content-type application/mbms-register+xml \
	--body-file "$work/text" >"$work/out"
grep -q "^http: 400$" "$work/out" || fail "unknown requesttype: $(cat "$work/out")"
head -c 70000 /dev/zero | tr '\0' 'x' >"$work/big"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/mbms-register+xml' \
	--data-binary @"$work/big" "$KM/keymanagement?requesttype=register")
[ "$code" = 413 ] || fail "oversized body: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$KM/keymanagement?requesttype=register")
[ "$code" = 405 ] || fail "GET /keymanagement: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$KM/other")
[ "$code" = 404 ] || fail "unknown path: $code"
pass "refusals: items 403/404, HTTP 401 (no Digest), 415, 400 (malformed, DOCTYPE, requesttype), 413, 405, 404"

# ---- Digest: replay, tampered body, qop=auth ----
ue 1 msk-request --bmsc "$KM" --msk 01020000 --replay >"$work/out"
grep -q "^http: 200$" "$work/out" || fail "replay: first not 200: $(cat "$work/out")"
[ "$(grep '^http: ' "$work/out" | tail -n1)" = "http: 401" ] || fail "replayed request accepted: $(cat "$work/out")"
grep -q "nonce count replayed" "$BLOG" || fail "no replay log line"
ue 1 msk-request --bmsc "$KM" --msk 01020000 --tamper >"$work/out"
grep -q "^http: 401$" "$work/out" || fail "tampered auth-int body accepted: $(cat "$work/out")"
ue 1 msk-request --bmsc "$KM" --msk 01020000 --qop-auth >"$work/out"
grep -q "^http: 401$" "$work/out" || fail "qop=auth accepted by default: $(cat "$work/out")"
PW=$(ue 1 password)
printf '<?xml version="1.0" encoding="UTF-8"?>\n<mbmsUserServiceRegistration xmlns="urn:3gpp:mbms:keymanagement:2026"><serviceId>%s</serviceId></mbmsUserServiceRegistration>' "$NEWS" >"$work/reg.xml"
curl_digest() {
	curl -s -o /dev/null -w '%{http_code}' --digest -u "$BTID1:$PW" -A "curl 3gpp-gba" \
		-H 'Content-Type: application/mbms-register+xml' --data-binary @"$work/reg.xml" \
		"$KM/keymanagement?requesttype=register"
}
code=$(curl_digest)
[ "$code" = 401 ] || fail "curl --digest accepted with allow_qop_auth = false: $code"
pass "Digest: nc replay 401, tampered auth-int body 401, qop=auth 401, curl --digest 401 (policy)"

# ---- kill -9 during a rotation, restart ----
# The requests above did not listen: their pushes are still retransmitted.
# Let UE1 take (and ack) them first, so that what follows is only the rotation
# (each round waits for one transmission of every pending push: they come at
# most retransmit_max apart).
for _ in $(seq 1 8); do
	n=$(status_field 'j["pending_pushes"]')
	[ "$n" = 0 ] && break
	ue 1 listen --listen 5 --expect "$n" >/dev/null
done
wait_for 10 status_is 'j["pending_pushes"]' 0 || fail "pushes still pending: $(ctl status)"
# No ack can reach bmscd for the rotation's push until the restart: UE1 takes
# the first transmission without acknowledging it and exits (so nothing of it
# is listening while bmscd retransmits). bmscd commits the push row before the
# datagram leaves, and gives up only after ~29 s: at the kill -9 the push is
# pending, by construction and not by timing.
ue 1 listen --drop-acks 1000 --listen 25 --expect 1 >"$work/k9" &
p1=$!
bg_pids=$p1
wait_for 20 ue_bound "$work/k9" || fail "UE1 not listening"
ctl rotate --key-group 258 >/dev/null || fail "rotate (switch)"
ctl rotate --key-group 258 >"$work/rot" || fail "rotate before kill"
KNEXT=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["next_msk_id"])' <"$work/rot")
KCUR=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["current_msk_id"])' <"$work/rot")
wait $p1 || fail "no first push before kill: $(cat "$work/k9")"
bg_pids=""
grep -q "^rx msk $KNEXT .*ack=dropped" "$work/k9" || fail "no first push of $KNEXT before kill: $(cat "$work/k9")"
grep -q "ack=sent" "$work/k9" && fail "UE1 acknowledged before the kill: $(cat "$work/k9")"
ts_before=$(sed -n "s/^rx msk $KNEXT ts=\([0-9]*\) .*/\1/p" "$work/k9")
wait_for 10 status_is 'j["pending_pushes"] >= 1' True || fail "no pending push before kill -9: $(ctl status)"
kill -9 "$bmsc_pid"
wait "$bmsc_pid" 2>/dev/null
bmsc_pid=""
KLOG=$BLOG
# the highest TS counter (UE1's MUK: pushes and triggers) the killed bmscd logged
# for UE1; it went on retransmitting into the void until the kill
ts_sent=$(sed -n "s/.*\(push msk\|trigger kg\) [0-9a-f]* impi=$IMPI1 to .*: sent ts=\([0-9]*\) .*/\2/p" "$KLOG" | sort -n | tail -n1)
[ -n "$ts_sent" ] && [ "$ts_sent" -ge "$ts_before" ] || fail "no transmission to UE1 in the log ($ts_sent)"
# UE1 listens again, now acknowledging, before bmscd resumes the push
ue 1 listen --listen 25 --expect 1 >"$work/k9b" &
p1=$!
bg_pids=$p1
wait_for 20 ue_bound "$work/k9b" || fail "UE1 not listening"
start_bmscd
grep -q "1 push(es) to resume" "$BLOG" || fail "the pending push was not restored"
[ "$(status_field 'j["key_groups"][0]["current_msk_id"]')" = "$KCUR" ] || fail "current MSK changed across kill -9"
[ "$(status_field 'j["key_groups"][0]["next_msk_id"]')" = "$KNEXT" ] || fail "next MSK changed across kill -9"
[ "$(status_field 'j["registered_ues"]')" = 2 ] || fail "registrations lost: $(ctl status)"
[ "$(status_field 'j["services"][0]["registered_ues"]')" = 1 ] || fail "news registrations: $(ctl status)"
wait $p1 || fail "no retransmission after the restart: $(cat "$work/k9b")"
bg_pids=""
grep -q "^rx msk $KNEXT .*ack=sent" "$work/k9b" || fail "retransmission of $KNEXT after restart: $(cat "$work/k9b")"
grep -q "^rx error" "$work/k9" "$work/k9b" &&
	fail "the UE refused a message after the restart (counter reused?): $(cat "$work/k9" "$work/k9b")"
ts_after=$(sed -n "s/^rx msk $KNEXT ts=\([0-9]*\) .*ack=sent$/\1/p" "$work/k9b" | head -n1)
[ -n "$ts_after" ] && [ "$ts_after" -gt "$ts_sent" ] ||
	fail "TS counter after the restart ($ts_after) not above the last one before it ($ts_sent)"
wait_for 20 log_has "push msk $KNEXT impi=$IMPI1 from 127.0.0.1:[0-9]*: acked" ||
	fail "the resumed push was not acked: $(ctl status)"
wait_for 20 status_is 'j["pending_pushes"]' 0 || fail "pushes still pending after the ack: $(ctl status)"
ue 1 msk-request --bmsc "$KM" --msk 01020000 >"$work/out2" || fail "request after restart"
grep -q "^http: 200$" "$work/out2" || fail "request after restart: $(cat "$work/out2")"
pass "kill -9 during rotation: same MSKs ($KCUR, $KNEXT), registrations, pending push resumed with a fresh counter ($ts_before, last $ts_sent before the kill -> $ts_after) and acked"

# ---- qop=auth as configured ----
stop_bmscd
write_config true
start_bmscd
code=$(curl_digest)
[ "$code" = 200 ] || fail "curl --digest with allow_qop_auth = true: $code"
ue 1 msk-request --bmsc "$KM" --msk 01020000 --tamper >"$work/out"
grep -q "^http: 401$" "$work/out" || fail "tampered auth-int body accepted with allow_qop_auth: $(cat "$work/out")"
pass "allow_qop_auth = true: curl --digest (qop=auth) accepted; auth-int still checks the body"

# ---- no keys in the logs ----
stop_bmscd
for n in 1 2; do
	pw=$(ue $n password)
	hex=$(printf '%s' "$pw" | base64 -d | xxd -p | tr -d '\n')
	cat "$work"/bmscd.*.log | grep -qiF -- "$pw" && fail "a MUK (base64) in the log"
	cat "$work"/bmscd.*.log | grep -qi -- "$hex" && fail "a MUK (hex) in the log"
done
cat "$work"/bmscd.*.log | grep -qF -- "$ZN_SECRET" && fail "the Zn secret in the log"
if command -v sqlite3 >/dev/null; then
	for msk in $(sqlite3 "$work/bmsc.db" 'SELECT hex(msk) FROM msks'); do
		cat "$work"/bmscd.*.log | grep -qi -- "$msk" && fail "an MSK in the log"
	done
	[ "$(sqlite3 "$work/bmsc.db" 'SELECT count(*) FROM msks')" -ge 1 ] || fail "no MSK rows"
fi
pass "no MUK, MSK or Zn secret in the logs"

# ---- the trace (--trace): JSON lines, the exchanges, no keys ----
mode=$(stat -c %a "$work/trace.jsonl")
[ "$mode" = 600 ] || fail "trace mode is $mode, not 600"
python3 - "$work/trace.jsonl" "$IMPI1" "$FQDN" <<'PYEOF' || fail "trace content"
import json, sys
path, impi, fqdn = sys.argv[1:4]
ev = [json.loads(l) for l in open(path)]
bmsc, ue = "BM-SC " + fqdn, "UE " + impi
def has(**kw):
    return any(all(e.get(k) == v for k, v in kw.items()) for e in ev)
assert has(**{"from": ue, "to": bmsc, "msg": "POST register"}), "no register request"
assert has(**{"from": bmsc, "to": ue, "msg": "200 register response", "status": 200}), "no 200"
assert has(**{"from": bmsc, "msg": "401 Digest challenge", "status": 401}), "no 401"
assert has(**{"from": bmsc, "to": ue, "msg": "MSK message", "status": "sent"}), "no MSK message"
assert has(**{"from": bmsc, "to": ue, "msg": "trigger", "msk_id": "01020000"}), "no trigger"
assert any(e["msg"] == "MTK message" and "mtk_id" in e for e in ev), "no MTK message"
assert has(**{"from": bmsc, "to": bmsc, "msg": "rotate key group 258", "status": "ok"}), "no admin"
print("trace: %d events" % len(ev))
PYEOF
for n in 1 2; do
	pw=$(ue $n password)
	hex=$(printf '%s' "$pw" | base64 -d | xxd -p | tr -d '\n')
	grep -qiF -- "$pw" "$work/trace.jsonl" && fail "a MUK (base64) in the trace"
	grep -qi -- "$hex" "$work/trace.jsonl" && fail "a MUK (hex) in the trace"
done
if [ -x "$BIN/mbmssec" ] && "$BIN/mbmssec" trace --help >/dev/null 2>&1; then
	"$BIN/mbmssec" trace --text "$work/trace.jsonl" >"$work/trace.txt" 2>&1 ||
		fail "mbmssec trace --text: $(tail -n 3 "$work/trace.txt")"
	grep -q "MSK message" "$work/trace.txt" || fail "mbmssec trace: no MSK message"
fi
pass "trace: HTTP exchanges, MSK/trigger/MTK messages and admin actions, mode 0600, no keys"

echo "test_bmsc: all passed"
