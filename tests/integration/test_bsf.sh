#!/usr/bin/env bash
# bsfd end to end: provisioning, Ub bootstrap with `mbmssec gba bootstrap`,
# Zn with `mbmssec gba zn`, UE Ks_NAF == BSF Ks_NAF, and the refusals:
# wrong K, unknown IMPI, missing/wrong NAF credentials, foreign NAF_ID,
# malformed Authorization, no 3gpp-gba User-Agent; SQN resynchronisation;
# restart keeps bootstraps; expired B-TID -> 404. bsfd listens on port 0 and
# the test reads the real ports from its start-up log line.
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
SRC=${MBMS_SRC:?MBMS_SRC must name the source directory}
BSFD=$BIN/bsfd
CLI=$BIN/mbmssec

work=$(mktemp -d)
pid=""
starts=0
LOG=$work/bsfd.0.log
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$LOG" ]; then
		echo "--- bsfd log (last 30 lines):" >&2
		tail -n 30 "$LOG" >&2
	fi
	exit 1
}
pass() { echo "ok - $*"; }

[ -x "$BSFD" ] || fail "no bsfd at $BSFD"
[ -x "$CLI" ] || fail "no mbmssec at $CLI"
command -v curl >/dev/null || fail "curl is needed"

HOST=bsf.mnc001.mcc001.pub.3gppnetwork.org
NAF1=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
NAF2=other-naf.example.org
SECRET1='s3cret;#one with spaces'
SECRET2=second-naf-secret
IMPI=001010123456789@ims.mnc001.mcc001.3gppnetwork.org
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
OP=cdc202d5123e20f62b6d676ac72cb318 # TS 35.208 set 1: OPc of this OP with K is $OPC
UA_HEX=0100000001

write_config() { # $1 = key lifetime
	cat >"$work/bsf.ini" <<EOF
; test configuration
[bsf]
listen = 127.0.0.1:0
zn_listen = 127.0.0.1:0
host = $HOST
db = bsf.db
key_lifetime = $1
purge_interval = 1
log_level = debug

[naf "$NAF1"]
secret = "$SECRET1"

[naf "$NAF2"]
secret = $SECRET2
EOF
	chmod 600 "$work/bsf.ini"
}

start_bsfd() {
	starts=$((starts + 1))
	LOG=$work/bsfd.$starts.log
	"$BSFD" --config "$work/bsf.ini" 2>"$LOG" &
	pid=$!
	for _ in $(seq 1 100); do
		line=$(grep -m1 ' Ub on ' "$LOG" 2>/dev/null || true)
		if [ -n "$line" ]; then
			UB_PORT=$(echo "$line" | sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
			ZN_PORT=$(echo "$line" | sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
			UB=http://127.0.0.1:$UB_PORT
			ZN=http://127.0.0.1:$ZN_PORT
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || fail "bsfd exited at start-up"
		sleep 0.1
	done
	fail "bsfd did not report its ports within 10 s"
}

stop_bsfd() { # SIGTERM must end bsfd cleanly (exit 0; under ASan also leak-free)
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	local rc=$?
	pid=""
	[ "$rc" -eq 0 ] || fail "bsfd exited with $rc after SIGTERM"
}

bootstrap() { # extra args...; output in $work/boot.out, $work/boot.err
	"$CLI" gba bootstrap --bsf "$UB" --bsf-host "$HOST" --impi "$IMPI" "$@" \
		>"$work/boot.out" 2>"$work/boot.err"
}

field() { sed -n "s/^$1: //p" "$2"; }

http_code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# ---- provisioning ----
write_config 300
"$BSFD" subscriber add --impi "$IMPI" --k "$K" --op "$OP" --config "$work/bsf.ini" >/dev/null ||
	fail "subscriber add"
"$BSFD" subscriber add --impi "$IMPI" --k "$K" --opc "$OPC" --config "$work/bsf.ini" \
	>/dev/null 2>&1 && fail "adding the same IMPI twice was accepted"
"$BSFD" subscriber list --config "$work/bsf.ini" >"$work/list" || fail "subscriber list"
grep -q "impi=$IMPI amf=0000 sqn=000000000000" "$work/list" || fail "list: $(cat "$work/list")"
grep -qi "$K" "$work/list" && fail "subscriber list printed K without --show-secrets"
"$BSFD" subscriber list --show-secrets --db "$work/bsf.db" | grep -q "k=$K opc=$OPC" ||
	fail "list --show-secrets does not show K and the OPc computed from OP"
mode=$(stat -c %a "$work/bsf.db")
[ "$mode" = 600 ] || fail "database mode is $mode, not 600"
"$BSFD" subscriber add --impi x --k 00 --opc "$OPC" --db "$work/bsf.db" >/dev/null 2>&1
[ $? -eq 2 ] || fail "a short K was not a usage error"
pass "provisioning (add, duplicate refused, list hides secrets, db mode 600)"

start_bsfd

# ---- bootstrap + Zn: the same Ks_NAF on both sides ----
bootstrap --k "$K" --opc "$OPC" --naf-fqdn "$NAF1" --sqn-state "$work/usim.sqn" ||
	fail "bootstrap: $(cat "$work/boot.err")"
BTID=$(field btid "$work/boot.out")
UE_KS_NAF=$(field ks_naf "$work/boot.out")
case "$BTID" in *"@$HOST") ;; *) fail "B-TID '$BTID' does not end in @$HOST" ;; esac
[ ${#UE_KS_NAF} -eq 64 ] || fail "UE Ks_NAF '$UE_KS_NAF'"
"$CLI" gba zn --zn "$ZN" --naf-fqdn "$NAF1" --secret "$SECRET1" --btid "$BTID" \
	>"$work/zn.out" 2>"$work/zn.err" || fail "zn: $(cat "$work/zn.err")"
[ "$(field ks_naf "$work/zn.out")" = "$UE_KS_NAF" ] ||
	fail "Ks_NAF differs: UE $UE_KS_NAF, BSF $(field ks_naf "$work/zn.out")"
[ "$(field impi "$work/zn.out")" = "$IMPI" ] || fail "Zn IMPI $(field impi "$work/zn.out")"
[ "$(field lifetime "$work/zn.out")" = "$(field lifetime "$work/boot.out")" ] ||
	fail "lifetimes differ"
pass "bootstrap and Zn agree on Ks_NAF ($BTID)"

# ---- refusals on Ub ----
bootstrap --k 000102030405060708090a0b0c0d0e0f --opc "$OPC" && fail "wrong K accepted"
grep -q "MAC-A" "$work/boot.err" || fail "wrong K: $(cat "$work/boot.err")"
grep -q "403 authentication failed: the UE rejected AUTN" "$LOG" ||
	fail "BSF did not log the refused authentication"
pass "wrong K on the UE: refused on both sides"

"$CLI" gba bootstrap --bsf "$UB" --impi nobody@example.org --k "$K" --opc "$OPC" \
	>/dev/null 2>"$work/err" && fail "unknown IMPI accepted"
grep -q "HTTP 403" "$work/err" || fail "unknown IMPI: $(cat "$work/err")"
pass "unknown IMPI: 403"

code=$(http_code -A "x 3gpp-gba" -H 'Authorization: Digest username="' "$UB/")
[ "$code" = 400 ] || fail "malformed Authorization gave $code"
code=$(http_code -A "x 3gpp-gba" -H 'Authorization: Basic Zm9vOmJhcg==' "$UB/")
[ "$code" = 400 ] || fail "Basic on Ub gave $code"
code=$(http_code -A "x 3gpp-gba" "$UB/")
[ "$code" = 400 ] || fail "no Authorization gave $code"
code=$(http_code -A "curl" -H "Authorization: Digest username=\"$IMPI\", realm=\"$HOST\", nonce=\"\", uri=\"/\", response=\"\"" "$UB/")
[ "$code" = 403 ] || fail "User-Agent without 3gpp-gba gave $code"
code=$(http_code -A "x 3gpp-gba" -D "$work/hdr" -H "Authorization: Digest username=\"$IMPI\", realm=\"$HOST\", nonce=\"\", uri=\"/\", response=\"\"" "$UB/")
[ "$code" = 401 ] || fail "first request gave $code"
grep -qi '^WWW-Authenticate: Digest .*algorithm=AKAv1-MD5' "$work/hdr" || fail "no AKA challenge: $(cat "$work/hdr")"
pass "Ub: malformed/absent Authorization 400, no 3gpp-gba 403, first request 401 + challenge"

# ---- refusals on Zn ----
NAF1_ID=$(printf '%s' "$NAF1" | xxd -p | tr -d '\n')$UA_HEX
Q="btid=$(printf '%s' "$BTID" | sed 's/+/%2B/g; s/\//%2F/g; s/=/%3D/g; s/@/%40/g')&naf_id=$NAF1_ID"
code=$(http_code "$ZN/zn/v1/bootstrap?$Q")
[ "$code" = 401 ] || fail "Zn without credentials gave $code"
code=$(http_code -u "$NAF1:wrong" "$ZN/zn/v1/bootstrap?$Q")
[ "$code" = 401 ] || fail "Zn with a wrong secret gave $code"
code=$(http_code -u "unknown.example.org:$SECRET1" "$ZN/zn/v1/bootstrap?$Q")
[ "$code" = 401 ] || fail "Zn with an unknown NAF gave $code"
"$CLI" gba zn --zn "$ZN" --naf-fqdn "$NAF1" --secret wrong --btid "$BTID" >/dev/null 2>"$work/err" &&
	fail "mbmssec gba zn with a wrong secret succeeded"
grep -q "HTTP 401" "$work/err" || fail "wrong secret: $(cat "$work/err")"
code=$(http_code -u "$NAF2:$SECRET2" "$ZN/zn/v1/bootstrap?$Q")
[ "$code" = 403 ] || fail "NAF2 asking for NAF1's NAF_ID gave $code"
code=$(http_code -u "$NAF1:$SECRET1" "$ZN/zn/v1/bootstrap?$Q")
[ "$code" = 200 ] || fail "Zn by curl gave $code"
code=$(http_code -u "$NAF1:$SECRET1" "$ZN/zn/v1/bootstrap?btid=AAAAAAAAAAAAAAAAAAAAAA%3D%3D%40$HOST&naf_id=$NAF1_ID")
[ "$code" = 404 ] || fail "unknown B-TID gave $code"
code=$(http_code -u "$NAF1:$SECRET1" "$ZN/zn/v1/bootstrap?btid=x&naf_id=zz")
[ "$code" = 400 ] || fail "bad naf_id gave $code"
pass "Zn: 401 without/with wrong credentials, 403 foreign NAF_ID, 404 unknown B-TID, 400 bad naf_id"

# ---- stale SQN at the BSF: AUTS, resynchronisation, success ----
"$BSFD" subscriber del --impi "$IMPI" --config "$work/bsf.ini" >/dev/null || fail "subscriber del"
"$BSFD" subscriber add --impi "$IMPI" --k "$K" --opc "$OPC" --sqn 0 --config "$work/bsf.ini" \
	>/dev/null || fail "re-add with SQN 0"
bootstrap --k "$K" --opc "$OPC" --naf-fqdn "$NAF1" --sqn-state "$work/usim.sqn" ||
	fail "bootstrap after a stale SQN: $(cat "$work/boot.err")"
grep -q "resynchronised" "$work/boot.err" || fail "no AUTS round: $(cat "$work/boot.err")"
grep -q "resynchronised from AUTS" "$LOG" || fail "BSF did not log the resync"
BTID2=$(field btid "$work/boot.out")
"$CLI" gba zn --zn "$ZN" --naf-fqdn "$NAF1" --secret "$SECRET1" --btid "$BTID2" >"$work/zn.out" ||
	fail "zn after resync"
[ "$(field ks_naf "$work/zn.out")" = "$(field ks_naf "$work/boot.out")" ] || fail "Ks_NAF after resync"
sqn=$("$BSFD" subscriber list --db "$work/bsf.db" | sed -n 's/.* sqn=\([0-9a-f]*\).*/\1/p')
[ "$sqn" != 000000000000 ] || fail "SQN not advanced after resync"
pass "stale SQN: AUTS -> resync -> bootstrap (BSF SQN now $sqn)"

# ---- restart keeps the bootstrap ----
stop_bsfd
start_bsfd
"$CLI" gba zn --zn "$ZN" --naf-fqdn "$NAF1" --secret "$SECRET1" --btid "$BTID" >"$work/zn.out" \
	2>"$work/err" || fail "Zn after restart: $(cat "$work/err")"
[ "$(field ks_naf "$work/zn.out")" = "$UE_KS_NAF" ] || fail "Ks_NAF changed across restart"
pass "restart keeps bootstraps"

# ---- expiry: a short lifetime, wait it out, Zn 404 ----
stop_bsfd
write_config 2
start_bsfd
bootstrap --k "$K" --opc "$OPC" --sqn-state "$work/usim.sqn" || fail "bootstrap (short life)"
BTID3=$(field btid "$work/boot.out")
"$CLI" gba zn --zn "$ZN" --naf-fqdn "$NAF1" --secret "$SECRET1" --btid "$BTID3" >/dev/null ||
	fail "Zn right after a short-lived bootstrap"
sleep 3
"$CLI" gba zn --zn "$ZN" --naf-fqdn "$NAF1" --secret "$SECRET1" --btid "$BTID3" >/dev/null \
	2>"$work/err" && fail "expired B-TID still answered"
grep -q "HTTP 404" "$work/err" || fail "expired B-TID: $(cat "$work/err")"
pass "expired B-TID: Zn 404"

# ---- the log holds no secrets ----
stop_bsfd
for secret in "$K" "$OPC" "$UE_KS_NAF" "$SECRET2"; do
	cat "$work"/bsfd.*.log | grep -qi -- "$secret" && fail "a secret appears in the log"
done
cat "$work"/bsfd.*.log | grep -q "btid=" || fail "the log has no outcome lines"
pass "no K, OPc, Ks_NAF or NAF secret in the log"

echo "test_bsf: all passed"
