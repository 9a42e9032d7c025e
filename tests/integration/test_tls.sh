#!/usr/bin/env bash
# bsfd with tls_cert/tls_key (common/httpd.c over libmicrohttpd's TLS): a
# throw-away self-signed P-256 certificate for localhost; curl --cacert
# completes the handshake on Ub and Zn and gets bsfd's answers (Ub: the AKA
# challenge 401 for a provisioned IMPI, 403 without the 3gpp-gba
# User-Agent; Zn: 401 without NAF credentials, 404 for an unknown B-TID
# with them); TLS 1.2 and 1.3 both work.
# Must fail: plain HTTP to the same ports, curl without the CA (the
# certificate is really checked), TLS 1.1; start-up refuses a key that does
# not match the certificate, tls_cert without tls_key, a missing file, an
# encrypted key. The key never shows in the log; SIGTERM ends bsfd with 0.
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
BSFD=$BIN/bsfd

work=$(mktemp -d)
pid=""
LOG=$work/bsfd.log
checks=0
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
		echo "--- bsfd log (last 20 lines):" >&2
		tail -n 20 "$LOG" >&2
	fi
	exit 1
}
pass() {
	checks=$((checks + 1))
	echo "ok - $*"
}

[ -x "$BSFD" ] || fail "no bsfd at $BSFD"
for tool in curl openssl xxd; do
	command -v "$tool" >/dev/null || fail "$tool is needed"
done

HOST=bsf.mnc001.mcc001.pub.3gppnetwork.org
IMPI=001010123456789@ims.mnc001.mcc001.3gppnetwork.org
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
NAF=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
NAF_SECRET=s3cret

# ---- a certificate for localhost, and a second key that does not match ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1 || fail "openssl req"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/other.pem" \
	>/dev/null 2>&1 || fail "openssl genpkey"
openssl pkey -in "$work/key.pem" -aes128 -passout pass:secret -out "$work/enc.pem" \
	>/dev/null 2>&1 || fail "openssl pkey -aes128"
chmod 600 "$work"/*.pem

write_config() { # tls lines...
	{
		printf '[bsf]\nlisten = 127.0.0.1:0\nzn_listen = 127.0.0.1:0\nhost = %s\n' "$HOST"
		printf 'db = bsf.db\nlog_level = debug\n'
		for line in "$@"; do printf '%s\n' "$line"; done
		printf '[naf "%s"]\nsecret = %s\n' "$NAF" "$NAF_SECRET"
	} >"$work/bsf.ini"
	chmod 600 "$work/bsf.ini"
}

start_bsfd() {
	"$BSFD" --config "$work/bsf.ini" 2>"$LOG" &
	pid=$!
	for _ in $(seq 1 100); do
		line=$(grep -m1 ' Ub on ' "$LOG" 2>/dev/null || true)
		if [ -n "$line" ]; then
			UB_PORT=$(echo "$line" | sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
			ZN_PORT=$(echo "$line" | sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || fail "bsfd exited at start-up"
		sleep 0.1
	done
	fail "bsfd did not report its ports within 10 s"
}

# expect_refused WHAT PATTERN: bsfd must exit 1 at start-up, naming the problem
expect_refused() {
	local what=$1 pattern=$2 rc
	timeout 10 "$BSFD" --config "$work/bsf.ini" 2>"$work/refused.log"
	rc=$?
	[ "$rc" -eq 1 ] || { LOG=$work/refused.log; fail "$what: bsfd exit $rc, want 1"; }
	grep -q -- "$pattern" "$work/refused.log" ||
		{ LOG=$work/refused.log; fail "$what: no '$pattern' in the log"; }
	pass "refused at start-up: $what"
}

"$BSFD" subscriber add --impi "$IMPI" --k "$K" --opc "$OPC" --db "$work/bsf.db" >/dev/null ||
	fail "subscriber add"

# ---- start-up refusals ----
write_config "tls_cert = cert.pem"
expect_refused "tls_cert without tls_key" "tls_cert and tls_key go together"
write_config "tls_cert = cert.pem" "tls_key = other.pem"
expect_refused "a key that does not match the certificate" "does not match the certificate"
write_config "tls_cert = missing.pem" "tls_key = key.pem"
expect_refused "a missing certificate file" "missing.pem"
write_config "tls_cert = key.pem" "tls_key = key.pem"
expect_refused "a key file given as certificate" "no PEM certificate"
write_config "tls_cert = cert.pem" "tls_key = enc.pem"
expect_refused "an encrypted key" "no unencrypted PEM private key"

# ---- HTTPS ----
write_config "tls_cert = cert.pem" "tls_key = key.pem"
start_bsfd
grep -q "TLS on Ub and Zn (https only): certificate /CN=localhost" "$LOG" ||
	fail "no TLS line in the start-up log"
pass "start-up log names the certificate"
UB=https://localhost:$UB_PORT
ZN=https://localhost:$ZN_PORT/zn/v1/bootstrap
tls=(--cacert "$work/cert.pem" -s -o "$work/body" -D "$work/headers" -w '%{http_code}')

code=$(curl "${tls[@]}" "$UB/") || fail "Ub: curl over TLS failed (exit $?)"
[ "$code" = 403 ] || fail "Ub: bare GET gave $code, want 403"
grep -q "3gpp-gba" "$work/body" || fail "Ub: 403 body: $(cat "$work/body")"
pass "Ub over TLS: bare GET -> 403 (User-Agent must carry 3gpp-gba)"

auth="Digest username=\"$IMPI\", realm=\"$HOST\", nonce=\"\", uri=\"/\", response=\"\""
code=$(curl "${tls[@]}" -A "mbmssec-test 3gpp-gba" -H "Authorization: $auth" "$UB/") ||
	fail "Ub: curl over TLS failed"
[ "$code" = 401 ] || fail "Ub: initial request gave $code, want 401"
grep -qi '^WWW-Authenticate: Digest .*algorithm=AKAv1-MD5' "$work/headers" ||
	fail "Ub: no AKA challenge: $(cat "$work/headers")"
pass "Ub over TLS: the UE's first request -> 401 with an AKAv1-MD5 challenge"

code=$(curl "${tls[@]}" "$ZN") || fail "Zn: curl over TLS failed (exit $?)"
[ "$code" = 401 ] || fail "Zn: GET without credentials gave $code, want 401"
pass "Zn over TLS: no NAF credentials -> 401"
naf_id=$(printf '%s' "$NAF" | xxd -p | tr -d '\n')0100000001
code=$(curl "${tls[@]}" -u "$NAF:$NAF_SECRET" "$ZN?btid=unknown%40$HOST&naf_id=$naf_id") ||
	fail "Zn: curl over TLS failed"
[ "$code" = 404 ] || fail "Zn: unknown B-TID with credentials gave $code, want 404"
pass "Zn over TLS: NAF credentials accepted, unknown B-TID -> 404"

for v in 1.2 1.3; do
	code=$(curl "${tls[@]}" --tlsv$v --tls-max $v "$UB/") || fail "TLS $v handshake failed"
	[ "$code" = 403 ] || fail "TLS $v: got $code"
	pass "TLS $v handshake"
done

# ---- must fail ----
curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$UB_PORT/"
rc=$?
[ "$rc" -ne 0 ] || fail "plain HTTP to the Ub port succeeded"
pass "plain HTTP to the Ub port fails (curl exit $rc)"
curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$ZN_PORT/"
rc=$?
[ "$rc" -ne 0 ] || fail "plain HTTP to the Zn port succeeded"
pass "plain HTTP to the Zn port fails (curl exit $rc)"
curl -s -o /dev/null --max-time 5 "$UB/"
rc=$?
[ "$rc" -eq 60 ] || fail "curl without the CA: exit $rc, want 60 (certificate not trusted)"
pass "curl without --cacert refuses the self-signed certificate (exit 60)"
# TLS 1.1 from a client that allows it (SECLEVEL=0: OpenSSL 3 refuses it
# otherwise, which would prove nothing about bsfd); TLS 1.2 as the control.
probe() { # s_client options...: prints its "New, ..., Cipher is ..." line
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$UB_PORT" "$@" 2>&1 |
		grep -m1 '^New, '
}
got=$(probe -tls1_2)
grep -q 'Cipher is (NONE)' <<<"$got" && fail "openssl s_client -tls1_2: $got"
[ -n "$got" ] || fail "openssl s_client -tls1_2: no handshake line"
got=$(probe -tls1_1 -cipher 'DEFAULT@SECLEVEL=0')
grep -q 'Cipher is (NONE)' <<<"$got" || fail "TLS 1.1 accepted: $got"
pass "TLS 1.1 refused by bsfd (TLS 1.2 probe: ok)"

# bsfd still serves after the failed handshakes
code=$(curl "${tls[@]}" "$ZN") || fail "Zn after failed handshakes"
[ "$code" = 401 ] || fail "Zn after failed handshakes: $code"
pass "still serving after the failed handshakes"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
[ "$rc" -eq 0 ] || fail "bsfd exited with $rc after SIGTERM"
pass "SIGTERM -> exit 0"

key_line=$(sed -n 2p "$work/key.pem")
if grep -qF -- "$key_line" "$LOG"; then
	fail "the private key appears in the log"
fi
pass "the private key is not in the log"

echo "$checks checks passed"
