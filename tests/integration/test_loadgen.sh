#!/usr/bin/env bash
# mbms-loadgen against real bsfd and bmscd on 127.0.0.1 (docs/loadgen.md):
# 200 UEs provisioned as subscribers, bootstrapped over Ub, registered and
# asking for the current MSK with Digest auth-int; every push verified with
# the UE's MUK and acknowledged, zero errors, bmscd agreeing; then the bulk
# path: 300 registered UEs provisioned into bmscd's database and two
# rotations fanned out to all of them; --json parses; usage errors. A
# correctness run: no timing assertions.
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
LG=$BIN/mbms-loadgen
BSFD=$BIN/bsfd
BMSCD=$BIN/bmscd
work=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.log; do
		[ -f "$f" ] && { echo "--- $f (last 15 lines)" >&2; tail -n 15 "$f" >&2; }
	done
	exit 1
}
pass() { echo "ok - $*"; }
for f in "$LG" "$BSFD" "$BMSCD"; do
	[ -x "$f" ] || fail "no $f"
done
command -v python3 >/dev/null || fail "python3 is needed"
cd "$work"

FQDN=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
BSF_HOST=bsf.mnc001.mcc001.pub.3gppnetwork.org
SVC=urn:example:mbms:news

# ---- command line ----
"$LG" --help | grep -q "mbms-loadgen provision" || fail "--help"
"$LG" --version | grep -q "mbms-loadgen" || fail "--version"
"$LG" run >/dev/null 2>&1
[ $? -eq 2 ] || fail "run without --bmsc: want exit 2"
"$LG" bootstrap --bsf http://10.0.0.1:80 -n 1 >/dev/null 2>err
grep -q "127.0.0.0/8" err || fail "a target outside 127.0.0.0/8 must be refused: $(cat err)"
"$LG" frobnicate >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown mode: want exit 2"
pass "command line: --help, --version, usage errors exit 2, loopback only"

# ---- bsfd with 200 provisioned subscribers ----
cat >bsf.ini <<EOF
[bsf]
listen = 127.0.0.1:0
zn_listen = 127.0.0.1:0
host = $BSF_HOST
db = bsf.db
key_lifetime = 3600
[naf "$FQDN"]
secret = loadgen-test
EOF
chmod 600 bsf.ini
"$BSFD" subscriber list --db bsf.db >/dev/null || fail "bsfd schema"
"$LG" provision --plan subs.plan --bsf-db bsf.db -n 200 >prov.out || fail "provision: $(cat prov.out)"
[ "$("$BSFD" subscriber list --db bsf.db | wc -l)" = 200 ] || fail "200 subscribers in bsfd"
"$BSFD" --config bsf.ini 2>bsfd.log &
pids+=($!)
for _ in $(seq 1 100); do grep -q ' Ub on ' bsfd.log && break; sleep 0.1; done
UB=$(sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p' bsfd.log | head -n1)
ZN=$(sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p' bsfd.log | head -n1)
[ -n "$UB" ] || fail "bsfd did not start"

# ---- bmscd ----
cat >bmsc.ini <<EOF
[bmsc]
fqdn = $FQDN
mcc = 001
mnc = 01
listen = 127.0.0.1:0
admin_listen = 127.0.0.1:0
mikey_listen = 127.0.0.1:0
db = bmsc.db
[zn]
url = http://127.0.0.1:$ZN
secret = loadgen-test
[key_group "258"]
msk_lifetime = 1h
lead_time = 10m
[service "$SVC"]
key_groups = 258
subscribers = *
EOF
chmod 600 bmsc.ini
start_bmscd() {
	"$BMSCD" --config bmsc.ini 2>"bmscd.$1.log" &
	bmsc_pid=$!
	pids+=($bmsc_pid)
	for _ in $(seq 1 100); do grep -q ' key management on ' "bmscd.$1.log" && break; sleep 0.1; done
	KM=$(sed -n 's/.*key management on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "bmscd.$1.log" | head -n1)
	ADMIN=$(sed -n 's/.*admin on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "bmscd.$1.log" | head -n1)
	[ -n "$KM" ] || fail "bmscd did not start"
}
status() { "$BMSCD" ctl --admin "127.0.0.1:$ADMIN" status; }
start_bmscd 1

# ---- 200 UEs: bootstrap, register, MSK request, push, ack ----
"$LG" run --bsf "http://127.0.0.1:$UB" --bmsc "http://127.0.0.1:$KM" -n 200 -c 8 \
	--timeout 120 --drain 5 --json >run.json 2>run.err || fail "loadgen run: $(cat run.json run.err)"
python3 - run.json <<'EOF' || fail "run report: $(cat run.json)"
import json, sys
r = json.load(open(sys.argv[1]))
p = {x["name"]: x for x in r["phases"]}
assert r["ok"] and r["errors"] == 0, r["errors"]
for name in ("bootstrap", "register", "msk-request"):
    assert p[name]["done"] == 200 and p[name]["errors"] == 0, (name, p[name])
assert p["pushes"]["done"] == 200 and p["pushes"]["target"] == 200 and p["pushes"]["errors"] == 0
m = r["mikey"]
assert m["verified"] == 200 and m["acks_sent"] == 200 and m["bad"] == 0 and m["unknown_ue"] == 0, m
h = r["http"]
assert h["rspauth_bad"] == 0 and h["body_bad"] == 0 and h["items_200"] == 400, h
assert r["bootstraps"]["ok"] == 200
EOF
for _ in $(seq 1 50); do
	status >st.json
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["pending_pushes"] == 0 else 1)' st.json && break
	sleep 0.1
done
python3 - st.json <<'EOF' || fail "bmscd status after the run: $(cat st.json)"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["registered_ues"] == 200, j["registered_ues"]
assert j["pushes"]["sent"] == 200 and j["pushes"]["acked"] == 200, j["pushes"]
assert j["pushes"]["retransmitted"] == 0 and j["pending_pushes"] == 0
assert j["acks"]["invalid"] == 0 and j["acks"]["unmatched"] == 0
assert j["zn"]["fetches"] == 200
EOF
pass "200 UEs bootstrapped, registered, MSK requested with Digest auth-int; 200 pushes verified and acked, bmscd agrees, 0 errors"

# ---- the bulk path: 300 UEs provisioned into a fresh bmscd database, two rotations ----
kill -TERM "$bmsc_pid"
wait "$bmsc_pid" 2>/dev/null
sed -i 's/^db = bmsc.db/db = bulk.db/' bmsc.ini
start_bmscd 2 # creates the schema
kill -TERM "$bmsc_pid"
wait "$bmsc_pid" 2>/dev/null
PB=$("$LG" free-ports 4) || fail "free-ports"
"$LG" provision --plan bulk.plan --bmsc-db bulk.db -n 300 --first 1000 --udp-sockets 4 \
	--udp-base "$PB" >prov2.out || fail "provision into bmscd: $(cat prov2.out)"
start_bmscd 3
grep -q "300 UE(s) restored (300 registered)" bmscd.3.log ||
	fail "bmscd restored: $(grep restored bmscd.3.log)"
"$LG" fanout --plan bulk.plan --admin "127.0.0.1:$ADMIN" --rotations 2 --timeout 60 --json \
	>fan.json 2>fan.err
python3 - fan.json <<'EOF' || fail "fanout report: $(cat fan.json fan.err)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] and r["errors"] == 0
assert len(r["rotations"]) == 2
for rot in r["rotations"]:
    assert rot["ues"] == 300 and rot["lost_ues"] == 0 and rot["all_acked_ms"] > 0, rot
assert r["mikey"]["bad"] == 0 and r["mikey"]["verified"] == 600, r["mikey"]
EOF
status >st2.json
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["registered_ues"] == 300, j["registered_ues"]
assert j["pushes"]["acked"] == 600 and j["pending_pushes"] == 0, j["pushes"]' st2.json ||
	fail "status: $(cat st2.json)"
pass "300 UEs provisioned into bmscd's database: two rotations reached every one, 600 MSK messages verified and acked, bmscd agrees"
echo "test_loadgen: all passed"
