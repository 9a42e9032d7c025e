#!/usr/bin/env bash
# The clients' CA file (docs/operations.md "TLS"): bsfd serves HTTPS with a
# throw-away self-signed certificate for 127.0.0.1 that no system store
# trusts, and each client trusts it only when told to:
#   mbmssec gba bootstrap|zn --cacert FILE   (libcurl, common/http_client.c)
#   bmscd [zn] ca_file                       (its Zn client, relative path)
#   mbms-ue [bsf] ca_file                    (carried to mbms-ue-http in the
#                                             framed request)
# With the CA: a bootstrap over HTTPS, Ks_NAF over Zn, a UE registered by
# bmscd (200), a full mbms-ue run (bootstrap, register, MSKs).
# Must fail: each client without the CA (certificate error; bmscd answers
# 503), with another self-signed certificate as CA, with a CA path that does
# not exist (refused at start-up naming the file, with the exit code of
# other configuration errors), with a file that holds no certificate; an
# unknown key in [zn] and [bsf] is still refused.
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
BSFD=$BIN/bsfd
BMSCD=$BIN/bmscd
CLI=$BIN/mbmssec
TUE=$BIN/bmsc_test_ue
UE=$BIN/mbms-ue

work=$(mktemp -d)
bsf_pid=""
bmsc_pid=""
LOG=""
checks=0
cleanup() {
	for p in $bsf_pid $bmsc_pid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -n "$LOG" ] && [ -f "$LOG" ]; then
		echo "--- $LOG (last 20 lines):" >&2
		tail -n 20 "$LOG" >&2
	fi
	exit 1
}
pass() {
	checks=$((checks + 1))
	echo "ok - $*"
}

for p in "$BSFD" "$BMSCD" "$CLI" "$TUE" "$UE" "$BIN/mbms-ue-http"; do
	[ -x "$p" ] || fail "not built: $p"
done
command -v openssl >/dev/null || fail "openssl is needed"

BSF_HOST=bsf.mnc001.mcc001.pub.3gppnetwork.org
FQDN=localhost # the BM-SC: NAF FQDN and announced host
ZN_SECRET=zn-secret
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
IMPI=001010000000001@ims.mnc001.mcc001.3gppnetwork.org
NEWS=urn:example:mbms:news

# ---- certificates: the server's (its own CA), another one, a non-PEM file ----
mkdir -p "$work/bsf" "$work/bmsc" "$work/ue"
for name in cert other; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
		-keyout "$work/bsf/$name.key" -out "$work/bsf/$name.pem" >/dev/null 2>&1 ||
		fail "openssl req ($name)"
done
chmod 600 "$work"/bsf/*.key
CA=$work/bsf/cert.pem
OTHER=$work/bsf/other.pem
echo "not a certificate" >"$work/junk.pem"
cp "$CA" "$work/bmsc/ca.pem"
cp "$CA" "$work/ue/ca.pem"

# ---- bsfd: plain first (the test UE's bootstrap), then HTTPS on the same db ----
write_bsf() { # tls lines...
	{
		printf '[bsf]\nlisten = 127.0.0.1:0\nzn_listen = 127.0.0.1:0\nhost = %s\n' "$BSF_HOST"
		printf 'db = bsf.db\nlog_level = debug\nkey_lifetime = 3600\n'
		for line in "$@"; do printf '%s\n' "$line"; done
		printf '[naf "%s"]\nsecret = %s\n' "$FQDN" "$ZN_SECRET"
	} >"$work/bsf/bsf.ini"
	chmod 600 "$work/bsf/bsf.ini"
}
start_bsfd() {
	LOG=$work/bsfd.$1.log
	"$BSFD" --config "$work/bsf/bsf.ini" 2>"$LOG" &
	bsf_pid=$!
	for _ in $(seq 1 100); do
		line=$(grep -m1 ' Ub on ' "$LOG" 2>/dev/null || true)
		if [ -n "$line" ]; then
			UB_PORT=$(echo "$line" | sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
			ZN_PORT=$(echo "$line" | sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
			return 0
		fi
		kill -0 "$bsf_pid" 2>/dev/null || fail "bsfd exited at start-up"
		sleep 0.1
	done
	fail "bsfd did not report its ports within 10 s"
}
stop_bsfd() {
	kill -TERM "$bsf_pid" 2>/dev/null
	wait "$bsf_pid" 2>/dev/null
	bsf_pid=""
}

write_bsf
"$BSFD" subscriber add --impi "$IMPI" --k "$K" --opc "$OPC" --config "$work/bsf/bsf.ini" \
	>/dev/null || fail "bsfd subscriber add"
start_bsfd plain
"$TUE" --state "$work/tue.state" bootstrap --bsf "http://127.0.0.1:$UB_PORT" --impi "$IMPI" \
	--k "$K" --opc "$OPC" --fqdn "$FQDN" >"$work/tue.out" || fail "test UE bootstrap (plain)"
TUE_BTID=$(sed -n 's/^btid: //p' "$work/tue.out")
[ -n "$TUE_BTID" ] || fail "test UE: no B-TID"
stop_bsfd

write_bsf "tls_cert = cert.pem" "tls_key = cert.key"
start_bsfd tls
grep -q "TLS on Ub and Zn" "$LOG" || fail "bsfd is not serving HTTPS"
UB=https://127.0.0.1:$UB_PORT
ZN=https://127.0.0.1:$ZN_PORT
pass "bsfd serves HTTPS on Ub and Zn with a self-signed certificate for IP 127.0.0.1"

# ---- (1) mbmssec gba bootstrap / zn --cacert ----
gba() { "$CLI" gba "$@" >"$work/cli.out" 2>"$work/cli.err"; }
boot=(bootstrap --bsf "$UB/" --impi "$IMPI" --k "$K" --opc "$OPC" --bsf-host "$BSF_HOST"
	--naf-fqdn "$FQDN")

gba "${boot[@]}"
rc=$?
[ "$rc" -eq 1 ] || fail "bootstrap without --cacert: exit $rc, want 1"
grep -qi "certificate" "$work/cli.err" || fail "bootstrap without --cacert: $(cat "$work/cli.err")"
pass "gba bootstrap without --cacert: refused, certificate error ($(head -c 100 "$work/cli.err"))"

gba "${boot[@]}" --cacert "$OTHER"
rc=$?
[ "$rc" -eq 1 ] && grep -qi "certificate" "$work/cli.err" ||
	fail "bootstrap with another CA: exit $rc, $(cat "$work/cli.err")"
pass "gba bootstrap --cacert <another self-signed certificate>: refused"

gba "${boot[@]}" --cacert "$work/missing.pem"
rc=$?
[ "$rc" -eq 1 ] && grep -q -- "--cacert: CA file $work/missing.pem: No such file" "$work/cli.err" ||
	fail "bootstrap --cacert missing: exit $rc, $(cat "$work/cli.err")"
pass "gba bootstrap --cacert <missing file>: exit 1 naming the file"

gba "${boot[@]}" --cacert "$work/junk.pem"
rc=$?
[ "$rc" -eq 1 ] && grep -q "junk.pem: no PEM certificate" "$work/cli.err" ||
	fail "bootstrap --cacert junk: exit $rc, $(cat "$work/cli.err")"
pass "gba bootstrap --cacert <file without a certificate>: exit 1 naming the file"

gba "${boot[@]}" --cacert "$CA" || fail "bootstrap with --cacert: $(cat "$work/cli.err")"
BTID=$(sed -n 's/^btid: //p' "$work/cli.out")
KS_NAF=$(sed -n 's/^ks_naf: //p' "$work/cli.out")
[ -n "$BTID" ] && [ -n "$KS_NAF" ] || fail "bootstrap with --cacert: $(cat "$work/cli.out")"
pass "gba bootstrap --cacert: B-TID over HTTPS"

zn=(zn --zn "$ZN" --naf-fqdn "$FQDN" --secret "$ZN_SECRET" --btid "$BTID")
gba "${zn[@]}"
rc=$?
[ "$rc" -eq 1 ] && grep -qi "certificate" "$work/cli.err" ||
	fail "zn without --cacert: exit $rc, $(cat "$work/cli.err")"
pass "gba zn without --cacert: refused, certificate error"
gba "${zn[@]}" --cacert "$CA" || fail "zn with --cacert: $(cat "$work/cli.err")"
[ "$(sed -n 's/^ks_naf: //p' "$work/cli.out")" = "$KS_NAF" ] ||
	fail "zn with --cacert: Ks_NAF differs from the UE's"
pass "gba zn --cacert: the BSF's Ks_NAF equals the UE's"

# ---- (2) bmscd [zn] ca_file ----
write_bmsc() { # [zn] lines...
	{
		printf '[bmsc]\nfqdn = %s\nmcc = 001\nmnc = 01\nlisten = 127.0.0.1:0\n' "$FQDN"
		printf 'admin_listen = 127.0.0.1:0\nmikey_listen = 127.0.0.1:0\ndb = bmsc.db\n'
		printf 'log_level = debug\n'
		printf '[zn]\nurl = %s\nsecret = %s\n' "$ZN" "$ZN_SECRET"
		for line in "$@"; do printf '%s\n' "$line"; done
		printf '[key_group "258"]\nmsk_lifetime = 1h\nlead_time = 10m\n'
		printf '[service "%s"]\nkey_groups = 258\nsubscribers = *\nrandom_time_period = 0\n' "$NEWS"
	} >"$work/bmsc/bmsc.ini"
	chmod 600 "$work/bmsc/bmsc.ini"
	rm -f "$work"/bmsc/bmsc.db*
}
starts=0
start_bmscd() {
	starts=$((starts + 1))
	LOG=$work/bmscd.$starts.log
	(cd / && exec "$BMSCD" --config "$work/bmsc/bmsc.ini") 2>"$LOG" &
	bmsc_pid=$!
	for _ in $(seq 1 100); do
		line=$(grep -m1 ' key management on ' "$LOG" 2>/dev/null || true)
		if [ -n "$line" ]; then
			KM_PORT=$(echo "$line" | sed -n 's/.*key management on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
			return 0
		fi
		kill -0 "$bmsc_pid" 2>/dev/null || fail "bmscd exited at start-up"
		sleep 0.1
	done
	fail "bmscd did not report its ports within 10 s"
}
stop_bmscd() {
	kill -TERM "$bmsc_pid" 2>/dev/null
	wait "$bmsc_pid" 2>/dev/null
	local rc=$?
	bmsc_pid=""
	[ "$rc" -eq 0 ] || fail "bmscd exited with $rc after SIGTERM"
}
# expect_bmscd_refused WHAT PATTERN: start-up refused, exit as for any config error
expect_bmscd_refused() {
	local rc
	LOG=$work/bmscd.refused.log
	(cd / && exec timeout 10 "$BMSCD" --config "$work/bmsc/bmsc.ini") 2>"$LOG"
	rc=$?
	[ "$rc" -eq "$CONFIG_RC" ] || fail "$1: bmscd exit $rc, want $CONFIG_RC"
	grep -q -- "$2" "$LOG" || fail "$1: no '$2' in the log"
	pass "bmscd refuses at start-up: $1 (exit $rc)"
}
register() { # output file
	"$TUE" --state "$work/tue.state" register --bmsc "http://127.0.0.1:$KM_PORT" \
		--service "$NEWS" >"$1" 2>&1
}

write_bmsc "cafile = ca.pem"
LOG=$work/bmscd.unknown.log
(cd / && exec timeout 10 "$BMSCD" --config "$work/bmsc/bmsc.ini") 2>"$LOG"
CONFIG_RC=$?
[ "$CONFIG_RC" -ne 0 ] && grep -q "unknown key 'cafile' in \[zn\]" "$LOG" ||
	fail "bmscd: unknown key in [zn] not refused (exit $CONFIG_RC)"
pass "bmscd: unknown key in [zn] still refused (exit $CONFIG_RC)"
write_bmsc "ca_file = missing.pem"
expect_bmscd_refused "[zn] ca_file names a missing file" "CA file $work/bmsc/missing.pem"
write_bmsc "ca_file = ../junk.pem"
expect_bmscd_refused "[zn] ca_file holds no certificate" "junk.pem: no PEM certificate"

# relative to the configuration file (bmscd runs in /)
write_bmsc "ca_file = ca.pem"
start_bmscd
register "$work/reg.out"
grep -q "^http: 200$" "$work/reg.out" || fail "register with ca_file: $(cat "$work/reg.out")"
grep -q "^item: $NEWS 200$" "$work/reg.out" || fail "register item: $(cat "$work/reg.out")"
pass "bmscd [zn] ca_file: Ks_NAF over HTTPS Zn, the UE registers (200)"

# ---- (3) mbms-ue [bsf] ca_file: a whole run through the helper ----
write_ue() { # [bsf] lines...
	{
		printf '[ue]\nstate = ue.state\nlog_level = debug\nhttp_timeout_s = 10\n'
		printf '[usim]\nimpi = %s\nk = %s\nopc = %s\nsqn_state = usim.sqn\n' "$IMPI" "$K" "$OPC"
		printf '[bsf]\nurl = %s\nhost = %s\n' "$UB" "$BSF_HOST"
		for line in "$@"; do printf '%s\n' "$line"; done
		printf '[net]\nmikey_listen = 127.0.0.1:0\nmtk_listen = off\n'
		printf '[service "%s"]\nannouncement_url = http://127.0.0.1:%s/announcement/%s\n' \
			"$NEWS" "$KM_PORT" "urn%3Aexample%3Ambms%3Anews"
	} >"$work/ue/ue.ini"
	chmod 600 "$work/ue/ue.ini"
	rm -f "$work/ue/ue.state" "$work/ue/usim.sqn"
}
run_ue() { # log name, timeout
	LOG=$work/ue.$1.log
	(cd / && exec "$UE" --config "$work/ue/ue.ini" --once --timeout "$2") 2>"$LOG"
}

write_ue "cafile = ca.pem"
run_ue unknown 5
rc=$?
[ "$rc" -ne 0 ] && grep -q "unknown key 'cafile' in \[bsf\]" "$LOG" ||
	fail "mbms-ue: unknown key in [bsf] not refused (exit $rc)"
UE_CONFIG_RC=$rc
pass "mbms-ue: unknown key in [bsf] still refused (exit $rc)"
write_ue "ca_file = missing.pem"
run_ue missing 5
rc=$?
[ "$rc" -eq "$UE_CONFIG_RC" ] && grep -q "CA file $work/ue/missing.pem" "$LOG" ||
	fail "mbms-ue ca_file missing: exit $rc"
pass "mbms-ue: [bsf] ca_file naming a missing file refused at start-up (exit $rc)"

write_ue
run_ue noca 8
rc=$?
[ "$rc" -ne 0 ] || fail "mbms-ue without ca_file: exit 0"
grep -q "bootstrap failed: .*certificate" "$LOG" || fail "mbms-ue without ca_file: no certificate error"
pass "mbms-ue without ca_file: bootstrap refused, certificate error (exit $rc)"

write_ue "ca_file = ca.pem"
run_ue ca 30
rc=$?
[ "$rc" -eq 0 ] || fail "mbms-ue with ca_file: exit $rc"
grep -q "bootstrapping with the BSF $UB" "$LOG" || fail "mbms-ue: no bootstrap over HTTPS"
grep -q "bootstrap failed" "$LOG" && fail "mbms-ue: a bootstrap failed"
pass "mbms-ue [bsf] ca_file: bootstrap over HTTPS through mbms-ue-http, registered, MSKs held"
stop_bmscd

# ---- (2, must fail) bmscd without ca_file: the Zn fetch fails, 503 ----
write_bmsc
start_bmscd
register "$work/reg.out"
grep -q "^http: 503$" "$work/reg.out" || fail "register without ca_file: $(cat "$work/reg.out")"
grep -qi "zn btid=.*certificate" "$LOG" || fail "bmscd without ca_file: no certificate error logged"
pass "bmscd without [zn] ca_file: Zn over HTTPS refused (certificate), the UE gets 503"
stop_bmscd

stop_bsfd
for f in "$work"/bsf/cert.key; do
	key_line=$(sed -n 2p "$f")
	if grep -rqF -- "$key_line" "$work"/*.log; then
		fail "a private key appears in a log"
	fi
done
pass "no private key in the logs"

echo "$checks checks passed"
