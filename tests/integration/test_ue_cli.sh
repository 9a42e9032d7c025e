#!/usr/bin/env bash
# mbms-ue as a program, with a real bsfd and no BM-SC: command line and
# configuration errors, bootstrap over Ub with the software USIM, the key
# store (mode 0600, kept across a restart: no second bootstrap), `status`
# (never a key), a one-shot run that leaves the service when the BM-SC
# cannot be reached (exit 3), a UICC-only announcement refused without any
# request, a corrupt key store refused at start-up. bsfd and mbms-ue listen
# on port 0; the test reads the real ports from their start-up lines.
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
SRC=${MBMS_SRC:?MBMS_SRC must name the source directory}
BSFD=$BIN/bsfd
UE=$BIN/mbms-ue

work=$(mktemp -d)
bsf_pid=""
cleanup() {
	if [ -n "$bsf_pid" ]; then
		kill "$bsf_pid" 2>/dev/null
		wait "$bsf_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f (last 20 lines):" >&2
		tail -n 20 "$f" >&2
	done
	exit 1
}
pass() { echo "ok - $*"; }

[ -x "$BSFD" ] || fail "no bsfd at $BSFD"
[ -x "$UE" ] || fail "no mbms-ue at $UE"

BSF_HOST=bsf.mnc001.mcc001.pub.3gppnetwork.org
FQDN=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
IMPI=001010123456789@ims.mnc001.mcc001.3gppnetwork.org
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
SID=urn:example:mbms:news

# ---- command line ----
"$UE" --help | grep -q "usage: mbms-ue" || fail "--help"
"$UE" --version | grep -q "^mbms-ue " || fail "--version"
"$UE" >/dev/null 2>&1
[ $? -eq 2 ] || fail "no arguments is not a usage error"
"$UE" --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown option is not a usage error"
"$UE" --config x --timeout abc >/dev/null 2>&1
[ $? -eq 2 ] || fail "a bad --timeout is not a usage error"
"$UE" status >/dev/null 2>&1
[ $? -eq 2 ] || fail "status without --config/--state is not a usage error"
"$UE" status --state "$work/none.state" >/dev/null 2>&1
[ $? -eq 1 ] || fail "status of a missing key store does not fail"
pass "command line: --help, --version, usage errors exit 2"

# ---- bsfd ----
cat >"$work/bsf.ini" <<EOF
[bsf]
listen = 127.0.0.1:0
zn_listen = 127.0.0.1:0
host = $BSF_HOST
db = bsf.db
key_lifetime = 600
log_level = info
[naf "$FQDN"]
secret = naf-secret
EOF
chmod 600 "$work/bsf.ini"
"$BSFD" subscriber add --impi "$IMPI" --k "$K" --opc "$OPC" --config "$work/bsf.ini" >/dev/null ||
	fail "subscriber add"
"$BSFD" --config "$work/bsf.ini" 2>"$work/bsfd.log" &
bsf_pid=$!
for _ in $(seq 1 100); do
	UB_PORT=$(sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/bsfd.log" | head -n1)
	[ -n "$UB_PORT" ] && break
	kill -0 "$bsf_pid" 2>/dev/null || fail "bsfd exited at start-up"
	sleep 0.1
done
[ -n "$UB_PORT" ] || fail "bsfd did not report its port"

# ---- configuration ----
announcement() { # $1 = uicc true/false
	cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<protectionDescription xmlns="urn:3gpp:mbms:keymanagement:2026">
  <serviceId>$SID</serviceId>
  <keyManagementServer>$FQDN:9</keyManagementServer>
  <keyDomainID>APEQ</keyDomainID>
  <confidentialityProtection>true</confidentialityProtection>
  <integrityProtection>true</integrityProtection>
  <uiccKeyManagement>$1</uiccKeyManagement>
  <MSKID>AQIAAA==</MSKID>
  <offsetTime>0</offsetTime>
  <randomTimePeriod>0</randomTimePeriod>
</protectionDescription>
EOF
}
announcement false >"$work/news.xml"
announcement true >"$work/uicc.xml"

write_config() { # $1 = announcement file, $2 = extra [ue] lines
	cat >"$work/ue.ini" <<EOF
[ue]
state = ue.state
log_level = debug
max_attempts = 2
retry_floor_ms = 200
http_timeout_s = 2
$2
[usim]
impi = $IMPI
k = $K
opc = $OPC
sqn_state = usim.sqn
[bsf]
url = http://127.0.0.1:$UB_PORT
host = $BSF_HOST
[net]
mikey_listen = 127.0.0.1:0
mtk_listen = 127.0.0.1:0
; port 9 (discard) on 127.0.0.1: nobody answers there
resolve = $FQDN:9:127.0.0.1
[service "$SID"]
announcement_file = $1
EOF
	chmod 600 "$work/ue.ini"
}

# configuration errors: file:line: message, exit 1
bad_config() { # $1 = what, then the file's text on stdin
	cat >"$work/bad.ini"
	"$UE" --config "$work/bad.ini" --once --timeout 5 2>"$work/bad.err" >/dev/null
	local rc=$?
	[ $rc -eq 1 ] || fail "$1: exit $rc"
	[ -s "$work/bad.err" ] || fail "$1: no message"
}
write_config news.xml ""
sed 's/^k = .*/k = 00/' "$work/ue.ini" | bad_config "short K"
grep -q "16 bytes of hex" "$work/bad.err" || fail "short K: $(cat "$work/bad.err")"
sed 's/^\[net\]/[nett]/' "$work/ue.ini" | bad_config "unknown section"
grep -q "bad.ini:[0-9]*: unknown section" "$work/bad.err" || fail "unknown section: $(cat "$work/bad.err")"
grep -v '^impi' "$work/ue.ini" | bad_config "no IMPI"
grep -q "impi is required" "$work/bad.err" || fail "no IMPI: $(cat "$work/bad.err")"
sed 's/^resolve = .*/resolve = nocolon/' "$work/ue.ini" | bad_config "bad resolve"
sed 's/^announcement_file = .*//' "$work/ue.ini" | bad_config "service without announcement"
{ cat "$work/ue.ini"; printf '[test]\ndrop_msk_push = sometimes\n'; } | bad_config "bad drop_msk_push"
grep -q "drop_msk_push" "$work/bad.err" || fail "bad drop_msk_push: $(cat "$work/bad.err")"
pass "configuration errors are reported with file:line and exit 1"

# ---- a one-shot run: bootstrap, no BM-SC, leave (exit 3) ----
write_config news.xml ""
(cd "$work" && "$UE" --config ue.ini --once --timeout 30 2>"$work/ue1.log")
rc=$?
[ $rc -eq 3 ] || fail "unreachable BM-SC: exit $rc, not 3"
grep -q "bootstrapping with the BSF" "$work/ue1.log" || fail "no bootstrap"
grep -q "bootstrapped: B-TID .*@$BSF_HOST" "$work/ue1.log" || fail "bootstrap not logged"
grep -q "service-left $SID: left the service: registration failed" "$work/ue1.log" ||
	fail "leaving not logged"
grep -q "MIKEY on 127.0.0.1:[1-9]" "$work/ue1.log" || fail "no MIKEY port in the start-up line"
mode=$(stat -c %a "$work/ue.state")
[ "$mode" = 600 ] || fail "key store mode $mode"
mode=$(stat -c %a "$work/usim.sqn")
[ "$mode" = 600 ] || fail "SQN state mode $mode"
"$UE" status --config "$work/ue.ini" >"$work/status1" || fail "status"
grep -q "^bootstrap btid=.*@$BSF_HOST expires=.* (valid)" "$work/status1" || fail "status: $(cat "$work/status1")"
grep -q "^service $SID state=left reason=registration failed" "$work/status1" ||
	fail "status: $(cat "$work/status1")"
grep -q "^muk bmsc=$FQDN current" "$work/status1" || fail "status: no MUK line"
BTID=$(sed -n 's/^bootstrap btid=\([^ ]*\) .*/\1/p' "$work/status1")
pass "one-shot run: bootstrapped ($BTID), BM-SC unreachable, left the service, exit 3"

# ---- restart: the key store keeps the B-TID, no second bootstrap ----
(cd "$work" && "$UE" --config ue.ini --once --timeout 30 2>"$work/ue2.log")
[ $? -eq 3 ] || fail "second run: exit not 3"
grep -q "key store .*ue.state: 0 MSK(s), B-TID $BTID" "$work/ue2.log" || fail "restart did not load the B-TID"
grep -q "bootstrapping with the BSF" "$work/ue2.log" && fail "restart bootstrapped again"
"$UE" status --state "$work/ue.state" | grep -q "btid=$BTID" || fail "status --state"
cp "$work/ue.state" "$work/state.keep"
pass "restart: B-TID kept from the key store, no second bootstrap"

# ---- UICC key management required: refused, nothing sent ----
write_config uicc.xml ""
rm -f "$work/ue.state"
(cd "$work" && "$UE" --config ue.ini --once --timeout 30 2>"$work/ue3.log")
[ $? -eq 3 ] || fail "UICC-only service: exit not 3"
grep -q "service-refused $SID: .*UICC key management" "$work/ue3.log" || fail "refusal not logged"
grep -q "bootstrapping\|HTTP POST" "$work/ue3.log" && fail "the UICC-only service was tried"
"$UE" status --config "$work/ue.ini" | grep -q "state=refused" || fail "status: not refused"
pass "UICC key management required: refused without bootstrap or request"

# ---- a corrupt key store stops the start ----
printf 'mbms-ue-state 1\nmsk zz\nend\n' >"$work/ue.state"
chmod 600 "$work/ue.state"
(cd "$work" && "$UE" --config ue.ini --once --timeout 10 2>"$work/ue4.log")
[ $? -eq 1 ] || fail "corrupt key store: exit not 1"
grep -q "not a usable mbms-ue state file" "$work/ue4.log" || fail "corrupt key store: $(cat "$work/ue4.log")"
pass "a corrupt key store is refused at start-up"

# ---- no secrets in logs or status ----
KS=$(sed -n 's/^bootstrap [^ ]* [0-9]* [0-9]* \([0-9a-f]*\)$/\1/p' "$work/state.keep")
MUK=$(sed -n 's/^muk .* \([0-9a-f]\{64\}\)$/\1/p' "$work/state.keep" | head -n1)
[ ${#KS} -eq 64 ] || fail "no Ks in the key store"
[ ${#MUK} -eq 64 ] || fail "no MUK in the key store"
"$UE" status --state "$work/state.keep" >"$work/status2" || fail "status of the kept store"
for secret in "$K" "$OPC" "$KS" "$MUK"; do
	cat "$work"/ue*.log "$work/status1" "$work/status2" | grep -qi -- "$secret" &&
		fail "a key in the logs or status"
done
pass "no K, OPc, Ks or MUK in logs or status"

echo "test_ue_cli: all passed"
