#!/usr/bin/env bash
# mbms-ue-http, the UE's HTTP helper (docs/ue.md "The HTTP helper"), as a
# program: mbms-ue links no libcurl and the helper does; the helper refuses
# malformed, truncated and oversized requests with exit 2 and a line on
# stderr that names the fault but never echoes the input; a well-formed
# request to a closed port is a framed transport error with exit 1; mbms-ue
# refuses to start when its helper cannot be run.
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
H=$BIN/mbms-ue-http
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
pass() { echo "ok - $*"; }
fail() { echo "FAIL: $*" >&2; failed=1; }

[ -x "$H" ] || { echo "FAIL: $H not built" >&2; exit 1; }

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
if needed "$BIN/mbms-ue" | grep -q curl; then
	fail "mbms-ue links libcurl: $(needed "$BIN/mbms-ue" | tr '\n' ' ')"
else
	pass "mbms-ue needs no libcurl ($(needed "$BIN/mbms-ue" | wc -l) libraries)"
fi
needed "$H" | grep -q curl && pass "mbms-ue-http links libcurl" || fail "mbms-ue-http without libcurl?"

# A free port with nothing listening: bind, note, close.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/secret-path"
req() { # method url body
	local h="Authorization: Digest SECRET1"
	printf 'mbms-ue-http request 1\nM %d\n%s\nU %d\n%s\nT 1\n5\nL 5\n65536\nH %d\n%s\nB %d\n%s\nE 0\n\n' \
		"${#1}" "$1" "${#2}" "$2" "${#h}" "$h" "${#3}" "$3"
}
req POST "$url" "<x/>" >"$work/good"
"$H" <"$work/good" >"$work/out" 2>"$work/err"
rc=$?
if [ $rc -eq 1 ] && head -c 22 "$work/out" | grep -q '^mbms-ue-http answer 1$' &&
	grep -q '^X ' "$work/out" && tail -c 6 "$work/out" | grep -q 'E 0'; then
	pass "closed port: framed transport error, exit 1"
else
	fail "closed port: exit $rc, out: $(head -c 300 "$work/out")"
fi

bad() { # name, file
	"$H" <"$2" >"$work/out" 2>"$work/err"
	local rc=$?
	if [ $rc -ne 2 ] || [ -s "$work/out" ]; then
		fail "$1: exit $rc, stdout $(wc -c <"$work/out") bytes"
	elif grep -q 'SECRET\|secret-path' "$work/err"; then
		fail "$1: the input echoed on stderr"
	else
		pass "$1: refused, exit 2 ($(head -c 120 "$work/err"))"
	fi
}
: >"$work/empty"
bad "empty request" "$work/empty"
head -c 60 "$work/good" >"$work/trunc"
bad "truncated request" "$work/trunc"
sed 's/^M 4$/M 5/' "$work/good" >"$work/badlen"
bad "wrong record length" "$work/badlen"
req PUT "$url" "" >"$work/put"
bad "method PUT" "$work/put"
{ cat "$work/good"; echo extra; } >"$work/trail"
bad "bytes after the end record" "$work/trail"
head -c 2000000 /dev/zero >"$work/huge"
bad "oversized request (2 MB)" "$work/huge"
printf 'mbms-ue-http request 1\nM 3\nGET\nU 8\nhttp://h\nT 1\n5\nL 1\n1\nH 15\nA: b\r\nSECRET: x\nB 0\n\nE 0\n\n' >"$work/crlf"
bad "CR LF in a header line" "$work/crlf"
"$H" --help </dev/null >/dev/null 2>&1
[ $? -eq 2 ] && pass "arguments refused" || fail "arguments accepted"

# mbms-ue says at start-up that its helper is missing (exit 1).
mkdir "$work/ue"
cat >"$work/ue/ue.conf" <<CONF
[ue]
state = $work/ue/state
log_level = debug
[usim]
impi = 001010000000001@ims.mnc001.mcc001.3gppnetwork.org
k = 465b5ce8b199b49faa5f0a2ee238a6bc
opc = cd63cb71954a9f4e48a5994e37a02baf
sqn_state = $work/ue/sqn
[bsf]
url = http://127.0.0.1:$port/
host = bsf.mnc001.mcc001.pub.3gppnetwork.org
[net]
mikey_listen = 127.0.0.1:0
mtk_listen = off
http_helper = $work/nowhere/mbms-ue-http
[service "urn:x"]
announcement_url = http://127.0.0.1:$port/announcement
CONF
chmod 600 "$work/ue/ue.conf"
"$BIN/mbms-ue" --config "$work/ue/ue.conf" --once --timeout 3 >"$work/ue.log" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "HTTP helper .*nowhere/mbms-ue-http cannot be run" "$work/ue.log"; then
	pass "missing helper: mbms-ue refuses to start (exit $rc)"
elif grep -qi "unknown key\|error" "$work/ue.log" && ! grep -q "HTTP helper" "$work/ue.log"; then
	echo "# (configuration not accepted before the helper check: $(head -c 200 "$work/ue.log"))"
	fail "missing helper: the configuration above did not load"
else
	fail "missing helper: exit $rc, log: $(head -c 300 "$work/ue.log")"
fi

[ $failed -eq 0 ] && echo "test_ue_http_helper: all passed"
exit $failed
