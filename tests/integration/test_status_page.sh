#!/usr/bin/env bash
# The operations view (docs/operations.md "Metrics", "Status page"): bsfd and
# bmscd on 127.0.0.1 with their admin listeners, two scripted UEs
# (bmsc_test_ue) making state, then:
#  - /metrics of both daemons parsed by python3: every line matches the text
#    exposition grammar 0.0.4, every family has one HELP and one TYPE before
#    its samples, counters end in _total, no series twice, the expected names
#    are there, values agree with `bmscd ctl status` and with what the test
#    did, counters grow after a rotation and a solicited pull;
#  - /status: JSON for ctl/curl, HTML for a browser (Accept or ?format=html)
#    with CSP; rendered in headless Chromium (--dump-dom): the service, the
#    key group with its current and next MSK IDs, the registered UE count;
#    hostile text from the network (an IMPI with markup) shows as text, no
#    element is injected; screenshots (desktop and phone width) into the
#    build directory, checked to be real PNGs;
#  - no key in any of it: every MSK and MUK of bmscd's database and every K,
#    OPc and Ks of bsfd's, in hex (both cases) and base64, is absent from
#    /metrics, /status (JSON and HTML) and the rendered DOM.
# Without chromium the browser part is skipped ("SKIP: chromium missing").
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
SRC=${MBMS_SRC:?MBMS_SRC must name the source directory}
OUT=${MBMS_BUILD:-$(dirname "$BIN")}
BSFD=$BIN/bsfd
BMSCD=$BIN/bmscd
TUE=$BIN/bmsc_test_ue

work=$(mktemp -d)
bsf_pid=""
bmsc_pid=""
bg_pids=""
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
	for f in "$work/bmscd.log" "$work/bsfd.log"; do
		[ -f "$f" ] && { echo "--- $(basename "$f") (last 20 lines):" >&2; tail -n 20 "$f" >&2; }
	done
	exit 1
}
pass() { echo "ok - $*"; }

for f in "$BSFD" "$BMSCD" "$TUE"; do
	[ -x "$f" ] || fail "no $f"
done
for tool in curl python3; do
	command -v $tool >/dev/null || fail "$tool is needed"
done
free_udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

BSF_HOST=bsf.mnc001.mcc001.pub.3gppnetwork.org
FQDN=localhost
ZN_SECRET='zn secret'
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
IMPI1=001010000000001@ims.mnc001.mcc001.3gppnetwork.org
IMPI2=001010000000002@ims.mnc001.mcc001.3gppnetwork.org
NEWS=urn:example:mbms:news
ODD="urn:example:mbms:r&d's"   # & and ' must be escaped on the page
MTK1=$(free_udp_port)

# ---- bsfd: configuration checks of admin_listen ----
cat >"$work/bsf.ini" <<EOF
[bsf]
listen = 127.0.0.1:0
zn_listen = 127.0.0.1:0
host = $BSF_HOST
db = bsf.db
admin_listen = 192.0.2.1:8083
[naf "$FQDN"]
secret = "$ZN_SECRET"
EOF
chmod 600 "$work/bsf.ini"
"$BSFD" --config "$work/bsf.ini" 2>"$work/err" && fail "bsfd accepted a non-loopback admin_listen"
grep -q "admin_listen 192.0.2.1 is not a loopback address" "$work/err" ||
	fail "non-loopback admin_listen: $(cat "$work/err")"
sed -i 's/^admin_listen = .*/admin_listen = 127.0.0.1:0/' "$work/bsf.ini"
for impi in "$IMPI1" "$IMPI2"; do
	"$BSFD" subscriber add --impi "$impi" --k "$K" --opc "$OPC" --config "$work/bsf.ini" \
		>/dev/null || fail "bsfd subscriber add $impi"
done
"$BSFD" --config "$work/bsf.ini" 2>"$work/bsfd.log" &
bsf_pid=$!
for _ in $(seq 1 100); do
	grep -q ' admin (GET /status, /metrics) on ' "$work/bsfd.log" 2>/dev/null && break
	sleep 0.1
done
line=$(grep -m1 ' Ub on ' "$work/bsfd.log")
[ -n "$line" ] || fail "bsfd did not start: $(cat "$work/bsfd.log")"
UB=http://127.0.0.1:$(echo "$line" | sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
ZN=http://127.0.0.1:$(echo "$line" | sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
BSF_ADMIN=http://127.0.0.1:$(sed -n 's/.*admin (GET \/status, \/metrics) on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/bsfd.log")
[ "$BSF_ADMIN" != "http://127.0.0.1:" ] || fail "bsfd logged no admin port"
pass "bsfd: admin_listen refused off loopback, served on $BSF_ADMIN"

# ---- bmscd ----
cat >"$work/bmsc.ini" <<EOF
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
url = $ZN
secret = "$ZN_SECRET"

[push]
retransmit_initial = 700ms
retransmit_max = 3s
retransmit_count = 3

[key_group "258"]
msk_lifetime = 1h
lead_time = 10m
mtk_lifetime = 30m

[key_group "259"]
msk_lifetime = 1h
lead_time = 10m

[service "$NEWS"]
key_groups = 258
subscribers = *
random_time_period = 0

[service "$ODD"]
key_groups = 259
subscribers = $IMPI2

[session "news-video"]
service = $NEWS
destination = 127.0.0.1:5004
mtk_send_to = 127.0.0.1:$MTK1
mtk_interval = 1s
EOF
chmod 600 "$work/bmsc.ini"
"$BMSCD" --config "$work/bmsc.ini" 2>"$work/bmscd.log" &
bmsc_pid=$!
for _ in $(seq 1 100); do
	line=$(grep -m1 ' key management on ' "$work/bmscd.log" 2>/dev/null || true)
	[ -n "$line" ] && break
	kill -0 "$bmsc_pid" 2>/dev/null || fail "bmscd exited at start-up"
	sleep 0.1
done
[ -n "$line" ] || fail "bmscd did not start"
KM=http://127.0.0.1:$(echo "$line" | sed -n 's/.*key management on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
ADMIN=127.0.0.1:$(echo "$line" | sed -n 's/.*admin on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
ctl() { "$BMSCD" ctl --admin "$ADMIN" "$@"; }
ue() {
	local n=$1
	shift
	"$TUE" --state "$work/ue$n.state" "$@"
}

# ---- state: two UEs bootstrap and register, UE1 gets the current MSK ----
for n in 1 2; do
	eval impi=\$IMPI$n
	ue $n bootstrap --bsf "$UB" --impi "$impi" --k "$K" --opc "$OPC" --fqdn "$FQDN" \
		>"$work/boot$n" 2>&1 || fail "UE$n bootstrap: $(cat "$work/boot$n")"
done
ue 1 register --bmsc "$KM" --port 0 --service "$NEWS" >"$work/out" || fail "UE1 register"
grep -q "^item: $NEWS 200$" "$work/out" || fail "UE1 register: $(cat "$work/out")"
ue 2 register --bmsc "$KM" --port 0 --service "$NEWS" --service "$ODD" >"$work/out" || fail "UE2 register"
grep -q "^item: $ODD 200$" "$work/out" || fail "UE2 register: $(cat "$work/out")"
ue 1 msk-request --bmsc "$KM" --msk 01020000 --listen 5 --expect 1 >"$work/out" ||
	fail "UE1 MSK request: $(cat "$work/out")"
ue 2 msk-request --bmsc "$KM" --msk 01020000 --listen 5 --expect 1 >"$work/out" ||
	fail "UE2 MSK request: $(cat "$work/out")"
# refusals for the counters: an unknown IMPI at the BSF, a request without the UA token
"$TUE" --state "$work/ue9.state" bootstrap --bsf "$UB" --impi "nobody@example.org" --k "$K" \
	--opc "$OPC" --fqdn "$FQDN" >/dev/null 2>&1 && fail "unknown IMPI bootstrapped"
curl -s -o /dev/null "$UB/" || true
# hostile text from the network: it must reach the page as text only
HOSTILE='<img src=x id=injected onerror=alert(1)>@evil.example'
curl -s -o /dev/null -A "x 3gpp-gba" \
	-H "Authorization: Digest username=\"$HOSTILE\", realm=\"$BSF_HOST\", nonce=\"\", uri=\"/\", response=\"\"" \
	"$UB/" || true
sleep 0.3
pass "state: 2 UEs bootstrapped and registered, current MSK pushed and acked, refusals made"

# ---- /metrics: grammar and structure ----
cat >"$work/promcheck.py" <<'EOF'
"""Check a Prometheus text exposition (format 0.0.4) and print its samples as
JSON: {"name{l=\"v\",...}": value}. Exit 1 with the reasons on a violation."""
import json, re, sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LNAME = r'[a-zA-Z_][a-zA-Z0-9_]*'
LVAL = r'"(?:[^"\\\n]|\\[\\"n])*"'
VALUE = r'(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|[+-]Inf)'
SAMPLE = re.compile(r'^(%s)(\{(?:%s=%s(?:,%s=%s)*,?)?\})? (%s)(?: -?[0-9]+)?$'
                    % (NAME, LNAME, LVAL, LNAME, LVAL, VALUE))
HELP = re.compile(r'^# HELP (%s) (.*)$' % NAME)
TYPE = re.compile(r'^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$' % NAME)
LABEL = re.compile(r'(%s)=(%s)' % (LNAME, LVAL))

text = open(sys.argv[1], encoding='utf-8').read()
errors = []
if not text.endswith('\n'):
    errors.append('the text does not end with a newline')
helps, types, seen, samples, done = {}, {}, set(), {}, set()
current = None
for n, line in enumerate(text.split('\n')[:-1], 1):
    if line.startswith('#'):
        m = HELP.match(line) or TYPE.match(line)
        if not m:
            errors.append('%d: bad comment line: %r' % (n, line))
            continue
        name = m.group(1)
        table = helps if line.startswith('# HELP') else types
        if name in table:
            errors.append('%d: second %s for %s' % (n, line.split()[1], name))
        if name in done or (name in seen):
            errors.append('%d: %s announced after its samples' % (n, name))
        table[name] = m.group(2)
        if current and current != name:
            done.add(current)
        current = name
        if m.group(2) == '' and line.startswith('# HELP'):
            errors.append('%d: empty HELP for %s' % (n, name))
        continue
    m = SAMPLE.match(line)
    if not m:
        errors.append('%d: not a sample: %r' % (n, line))
        continue
    name, labels, value = m.group(1), m.group(2) or '', m.group(3)
    if name not in types or name not in helps:
        errors.append('%d: %s has no HELP/TYPE before it' % (n, name))
    if name != current:
        errors.append('%d: %s is not in its family\'s group' % (n, name))
    if types.get(name) == 'counter' and not name.endswith('_total'):
        errors.append('%d: counter %s does not end in _total' % (n, name))
    names = [l[0] for l in LABEL.findall(labels)]
    if len(names) != len(set(names)):
        errors.append('%d: a label given twice' % n)
    key = name + labels
    if key in samples:
        errors.append('%d: series %s twice' % (n, key))
    if types.get(name) == 'counter' and float(value) < 0:
        errors.append('%d: negative counter' % n)
    samples[key] = float(value)
    seen.add(name)
for name in types:
    if name not in seen:
        errors.append('%s: TYPE without samples' % name)
if errors:
    print('\n'.join(errors[:20]), file=sys.stderr)
    sys.exit(1)
json.dump(samples, sys.stdout)
EOF
scrape() { # url file: 200, the exposition content type, grammar ok; samples as JSON in file.json
	local hdr
	hdr=$(curl -s -D - -o "$2" "$1") || fail "GET $1"
	grep -q '^HTTP/1.1 200' <<<"$hdr" || fail "GET $1: $(head -n1 <<<"$hdr")"
	grep -qi '^Content-Type: text/plain; version=0.0.4' <<<"$hdr" || fail "$1: content type: $hdr"
	python3 "$work/promcheck.py" "$2" >"$2.json" 2>"$work/promerr" ||
		fail "$1 breaks the exposition format: $(cat "$work/promerr")"
}
# must fail: the checker on broken texts (so that passing means something)
printf '# HELP x a\n# TYPE x counter\nx 1\n' >"$work/bad1"
printf 'y_total 1\n' >"$work/bad2"
printf '# HELP z_total a\n# TYPE z_total counter\nz_total{a="b} 1\n' >"$work/bad3"
printf '# HELP w a\n# TYPE w gauge\nw 1\nw 2\n' >"$work/bad4"
for b in bad1 bad2 bad3 bad4; do
	python3 "$work/promcheck.py" "$work/$b" >/dev/null 2>&1 && fail "the checker accepted $b"
done
scrape "http://$ADMIN/metrics" "$work/m1"
scrape "$BSF_ADMIN/metrics" "$work/b1"
pass "/metrics of bmscd and bsfd: exposition grammar, HELP+TYPE per family, _total counters, no duplicates (checker fails 4 broken texts)"

# ---- /metrics: names and values ----
ctl status >"$work/s1.json" || fail "ctl status"
cat >"$work/values.py" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1])); j = json.load(open(sys.argv[2])); b = json.load(open(sys.argv[3]))
news, odd = sys.argv[4], sys.argv[5]
bad = []
def eq(key, want, src=m):
    got = src.get(key)
    if got is None:
        bad.append('missing %s' % key)
    elif abs(got - want) > 1e-6 * max(1, abs(want)):
        bad.append('%s = %s, want %s' % (key, got, want))
def fam(prefix, src=m):
    return {k: v for k, v in src.items() if k == prefix or k.startswith(prefix + '{')}
for name in ['mbmssec_bmsc_build_info{version="0.1.0"}', 'mbmssec_bmsc_start_time_seconds',
             'mbmssec_bmsc_msk_pushes_sent_total', 'mbmssec_bmsc_msk_pushes_acked_total',
             'mbmssec_bmsc_retransmissions_total', 'mbmssec_bmsc_msk_pushes_given_up_total',
             'mbmssec_bmsc_solicited_pulls_total', 'mbmssec_bmsc_triggers_sent_total',
             'mbmssec_bmsc_ues', 'mbmssec_bmsc_registered_ues', 'mbmssec_bmsc_pending_pushes',
             'mbmssec_bmsc_store_failed', 'mbmssec_bmsc_msks_made_total']:
    if name not in m:
        bad.append('missing %s' % name)
eq('mbmssec_bmsc_ues', j['ues'])
eq('mbmssec_bmsc_registered_ues', j['registered_ues'])
eq('mbmssec_bmsc_pending_pushes', j['pending_pushes'])
eq('mbmssec_bmsc_msk_pushes_sent_total', j['pushes']['sent'])
eq('mbmssec_bmsc_msk_pushes_acked_total', j['pushes']['acked'])
eq('mbmssec_bmsc_retransmissions_total', j['pushes']['retransmitted'])
eq('mbmssec_bmsc_msk_pushes_given_up_total', j['pushes']['given_up'])
eq('mbmssec_bmsc_triggers_sent_total', j['triggers']['sent'])
eq('mbmssec_bmsc_msks_made_total', j['msks_made'])
eq('mbmssec_bmsc_switch_overs_total', j['switch_overs'])
eq('mbmssec_bmsc_zn_lookups_total{result="ok"}', j['zn']['fetches'])
eq('mbmssec_bmsc_request_items_total{status="200"}', j['items']['200'])
eq('mbmssec_bmsc_errors_total{kind="digest_failure"}', j['digest']['failures'])
eq('mbmssec_bmsc_store_failed', 0)
req = fam('mbmssec_bmsc_requests_total')
if abs(sum(req.values()) - j['http']['requests']) > 0:
    bad.append('requests_total sums to %s, status says %s' % (sum(req.values()), j['http']['requests']))
ok = sum(v for k, v in req.items() if 'status="200"' in k)
if ok != j['http']['200']:
    bad.append('requests_total 200s: %s, status says %s' % (ok, j['http']['200']))
eq('mbmssec_bmsc_requests_total{procedure="register",status="200"}', 2)
eq('mbmssec_bmsc_requests_total{procedure="msk_request",status="200"}', 2)
for s in j['services']:
    eq('mbmssec_bmsc_service_registered_ues{service="%s"}' % s['service_id'], s['registered_ues'])
for g in j['key_groups']:
    kg = g['key_group']; cur = g['current_msk_id'] or ''; nxt = g['next_msk_id'] or ''
    eq('mbmssec_bmsc_key_group_info{key_group="%d",current_msk_id="%s",next_msk_id="%s"}'
       % (kg, cur, nxt), 1)
    eq('mbmssec_bmsc_current_msk_id{key_group="%d"}' % kg, int(cur or '0', 16))
    eq('mbmssec_bmsc_next_msk_id{key_group="%d"}' % kg, int(nxt or '0', 16))
    eq('mbmssec_bmsc_current_mtk_id{key_group="%d"}' % kg, g['current_mtk_id'])
    eq('mbmssec_bmsc_msk_switch_over_timestamp_seconds{key_group="%d"}' % kg, g['switch_over_ms'] / 1000)
    eq('mbmssec_bmsc_key_group_registered_ues{key_group="%d"}' % kg, g['registered_ues'])
eq('mbmssec_bmsc_service_registered_ues{service="%s"}' % news, 2)
eq('mbmssec_bmsc_service_registered_ues{service="%s"}' % odd, 1)
if m.get('mbmssec_bmsc_current_mtk_id{key_group="258"}', 0) < 1:
    bad.append('no MTK ID under key group 258 (the session makes one)')
# bsfd: two bootstraps, one unknown subscriber, two refusals, Zn lookups by bmscd
eq('mbmssec_bsf_bootstraps_total{result="bootstrapped"}', 2, b)
eq('mbmssec_bsf_bootstraps_total{result="unknown_subscriber"}', 2, b)
eq('mbmssec_bsf_bootstraps_total{result="rejected"}', 1, b)
eq('mbmssec_bsf_requests_total{interface="ub",status="200"}', 2, b)
eq('mbmssec_bsf_zn_lookups_total{result="ok"}', 2, b)
eq('mbmssec_bsf_subscribers', 2, b)
eq('mbmssec_bsf_bootstraps_valid', 2, b)
eq('mbmssec_bsf_store_up', 1, b)
eq('mbmssec_bsf_nafs', 1, b)
if b.get('mbmssec_bsf_bootstraps_total{result="challenged"}', 0) < 2:
    bad.append('fewer than 2 challenges counted')
ub = sum(v for k, v in fam('mbmssec_bsf_requests_total', b).items() if 'interface="ub"' in k)
res = sum(fam('mbmssec_bsf_bootstraps_total', b).values())
if ub != res:
    bad.append('Ub requests %s != bootstrap results %s' % (ub, res))
if bad:
    print('\n'.join(bad)); sys.exit(1)
EOF
python3 "$work/values.py" "$work/m1.json" "$work/s1.json" "$work/b1.json" "$NEWS" "$ODD" >"$work/verr" ||
	fail "metrics disagree: $(cat "$work/verr")"
pass "/metrics values agree with ctl status (UEs, registrations, pushes, MSK/MTK IDs, switch-over, requests, items, Zn) and with the test's actions at bsfd"

# ---- counters increase after a rotation and a solicited pull ----
ue 1 listen --listen 10 --expect 1 >"$work/rot1" &
p1=$!
ue 2 listen --listen 10 --expect 1 >"$work/rot2" &
p2=$!
bg_pids="$p1 $p2"
sleep 0.5
ctl rotate --key-group 258 >"$work/rot" || fail "ctl rotate"
NEXT=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["next_msk_id"])' <"$work/rot")
wait $p1 || fail "UE1 did not get the next MSK: $(cat "$work/rot1")"
wait $p2 || fail "UE2 did not get the next MSK: $(cat "$work/rot2")"
bg_pids=""
ctl solicit --service "$NEWS" >/dev/null || fail "ctl solicit"
ctl rotate --key-group 9999 >/dev/null 2>&1 && fail "rotate of an unknown key group"
sleep 1.5 # triggers are retransmitted and given up meanwhile or acked: either is fine
scrape "http://$ADMIN/metrics" "$work/m2"
ctl status >"$work/s2.json" || fail "ctl status"
python3 - "$work/m1.json" "$work/m2.json" "$work/s2.json" "$NEXT" >"$work/verr" <<'EOF' || fail "after rotation: $(cat "$work/verr")"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2])); j = json.load(open(sys.argv[3]))
nxt = sys.argv[4]
bad = []
def grew(k, by=1):
    if b.get(k, 0) < a.get(k, 0) + by:
        bad.append('%s: %s -> %s, want +%d' % (k, a.get(k), b.get(k), by))
grew('mbmssec_bmsc_msks_made_total')
grew('mbmssec_bmsc_msk_pushes_sent_total', 2)
grew('mbmssec_bmsc_msk_pushes_acked_total', 2)
grew('mbmssec_bmsc_admin_actions_total{action="rotate",result="ok"}')
grew('mbmssec_bmsc_admin_actions_total{action="rotate",result="refused"}')
grew('mbmssec_bmsc_solicited_pulls_total')
grew('mbmssec_bmsc_triggers_sent_total', 2)
grew('mbmssec_bmsc_udp_datagrams_sent_total', 4)
for k, v in a.items():  # no counter ever goes down
    if k.split('{')[0].endswith('_total') and b.get(k, 0) < v:
        bad.append('%s went down' % k)
if b.get('mbmssec_bmsc_next_msk_id{key_group="258"}') != int(nxt, 16):
    bad.append('next MSK ID %s, rotate said %s' % (b.get('mbmssec_bmsc_next_msk_id{key_group="258"}'), nxt))
g = [g for g in j['key_groups'] if g['key_group'] == 258][0]
key = 'mbmssec_bmsc_key_group_info{key_group="258",current_msk_id="%s",next_msk_id="%s"}' % (g['current_msk_id'], nxt)
if b.get(key) != 1:
    bad.append('no %s' % key)
if bad:
    print('\n'.join(bad)); sys.exit(1)
EOF
pass "after ctl rotate + solicit: MSKs made, pushes sent/acked, admin actions, solicited pulls, triggers grew; next MSK $NEXT in the gauges; no counter went down"

# ---- /status: JSON for tools, HTML for browsers ----
curl -s "http://$ADMIN/status" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
	fail "GET /status without Accept is not JSON (bmscd ctl, curl)"
curl -s "http://$ADMIN/status?format=json" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
	fail "?format=json"
hdr=$(curl -s -D - -o "$work/status.html" -H 'Accept: text/html,application/xhtml+xml,*/*;q=0.8' \
	"http://$ADMIN/status")
grep -qi '^Content-Type: text/html' <<<"$hdr" || fail "HTML status: $hdr"
grep -qi "^Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'" <<<"$hdr" ||
	fail "no CSP on the status page: $hdr"
grep -q '<meta http-equiv="refresh" content="5">' "$work/status.html" || fail "no meta refresh"
grep -q '<meta name="viewport" content="width=device-width' "$work/status.html" || fail "no viewport"
grep -Eiq '<(script|link|img)|src=|url\(' "$work/status.html" && fail "the page loads or runs something"
grep -q "urn:example:mbms:r&amp;d&#39;s" "$work/status.html" || fail "service ID not escaped"
curl -s "http://$ADMIN/status?format=html" | grep -q '<!DOCTYPE html>' || fail "?format=html"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://$ADMIN/metrics")
[ "$code" = 405 ] || fail "POST /metrics: $code"
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://$ADMIN/")
[ "$code" = "303 http://$ADMIN/status" ] || fail "GET /: $code"
curl -s -D - -o "$work/bsf.html" "$BSF_ADMIN/status" | grep -qi '^Content-Security-Policy' ||
	fail "bsfd status page headers"
grep -q "&lt;img src=x id=injected" "$work/bsf.html" || fail "hostile IMPI not escaped on bsfd's page"
grep -q "<img" "$work/bsf.html" && fail "markup from the network reached bsfd's page"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BSF_ADMIN/nothing")
[ "$code" = 404 ] || fail "bsfd admin unknown path: $code"
ctl status >/dev/null || fail "bmscd ctl status after the page"
pass "/status: JSON for ctl and curl, HTML (Accept or ?format=html) with CSP, refresh, viewport, no script or external asset, escaped text; 405, 303, 404"

# ---- no key anywhere ----
curl -s "http://$ADMIN/status" >"$work/status.json"
curl -s "$BSF_ADMIN/metrics" >"$work/b2"
curl -s "$BSF_ADMIN/status" >"$work/bsf2.html"
cat >"$work/keys.py" <<'EOF'
"""Every key the test can read from the two databases, in hex (both cases)
and base64, one per line."""
import base64, sqlite3, sys
keys = []
db = sqlite3.connect('file:%s?mode=ro' % sys.argv[1], uri=True)
keys += [r[0] for r in db.execute('SELECT msk FROM msks')]
keys += [r[0] for r in db.execute('SELECT muk FROM ues')]
db = sqlite3.connect('file:%s?mode=ro' % sys.argv[2], uri=True)
for r in db.execute('SELECT k, opc FROM subscribers'):
    keys += list(r)
keys += [r[0] for r in db.execute('SELECT ks FROM bootstraps')]
if len(keys) < 8:
    sys.exit('too few keys read: %d' % len(keys))
for k in keys:
    print(k.hex()); print(k.hex().upper()); print(base64.b64encode(k).decode())
    # a key's halves too (a prefix of an MSK printed somewhere is a leak as well)
    print(k[:8].hex())
EOF
python3 "$work/keys.py" "$work/bmsc.db" "$work/bsf.db" >"$work/keys" || fail "reading keys: $(cat "$work/keys")"
nkeys=$(wc -l <"$work/keys")
scan() { # files...: no key pattern in any
	for f in "$@"; do
		if grep -F -f "$work/keys" "$f" >"$work/hit"; then
			fail "a key appears in $(basename "$f"): $(head -c 200 "$work/hit")"
		fi
	done
}
# must fail: the scan finds a key that is there
head -n1 "$work/keys" >"$work/planted"
grep -q -F -f "$work/keys" "$work/planted" || fail "the key scan finds nothing (proves nothing)"
scan "$work/m1" "$work/m2" "$work/b1" "$work/b2" "$work/status.html" "$work/status.json" \
	"$work/bsf.html" "$work/bsf2.html"
pass "no key in /metrics, /status (JSON, HTML) of either daemon ($nkeys patterns: MSKs, MUKs, K, OPc, Ks in hex/HEX/base64)"

# ---- headless Chromium ----
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	echo "SKIP: chromium missing (./run.sh installs it): DOM and screenshot checks not run"
	exit 0
fi
chrome() { # args...: a fresh profile each time, no network beyond loopback
	local profile
	profile=$(mktemp -d "$work/profile.XXXX")
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-extensions --no-default-browser-check --user-data-dir="$profile" "$@" \
		2>>"$work/chromium.log"
}
chrome --dump-dom "http://$ADMIN/status" >"$work/dom.html" || fail "chromium --dump-dom: $(tail -n 5 "$work/chromium.log")"
python3 - "$work/dom.html" "$work/s2.json" "$NEWS" "$ODD" >"$work/verr" <<'EOF' || fail "bmscd page DOM: $(cat "$work/verr")"
import json, sys
from html.parser import HTMLParser
dom = open(sys.argv[1], encoding='utf-8').read()
j = json.load(open(sys.argv[2])); news, odd = sys.argv[3], sys.argv[4]
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []; self.by_id = {}; self.text = []; self.tags = set()
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        a = dict(attrs)
        self.stack.append(a.get('id'))
        if a.get('id'):
            self.by_id[a['id']] = ''
    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()
    def handle_data(self, data):
        self.text.append(data)
        for i in self.stack:
            if i:
                self.by_id[i] += data
p = P(); p.feed(dom)
text = ' '.join(p.text)
bad = []
if 'BM-SC localhost' not in p.by_id.get('title', ''):
    bad.append('title: %r' % p.by_id.get('title'))
for s in (news, odd):
    if s not in text:
        bad.append('service %s not shown' % s)
g = [g for g in j['key_groups'] if g['key_group'] == 258][0]
if p.by_id.get('kg-258-current', '').strip() != g['current_msk_id']:
    bad.append('kg-258-current %r, status says %s' % (p.by_id.get('kg-258-current'), g['current_msk_id']))
if p.by_id.get('kg-258-next', '').strip() != (g['next_msk_id'] or 'none'):
    bad.append('kg-258-next %r, status says %s' % (p.by_id.get('kg-258-next'), g['next_msk_id']))
tile = p.by_id.get('registered-ues', '')
if not tile.startswith(str(j['registered_ues'])):
    bad.append('registered UEs tile %r, status says %s' % (tile, j['registered_ues']))
if p.by_id.get('svc-0-registered', '').strip() != str(j['services'][0]['registered_ues']):
    bad.append('svc-0-registered %r' % p.by_id.get('svc-0-registered'))
for want in ('push-ack-rate', 'events', 'key-groups', 'services', 'sessions', 'mikey', 'requests'):
    if want not in p.by_id:
        bad.append('no #%s' % want)
if 'rotate key group 258: 200' not in p.by_id.get('events', ''):
    bad.append('the rotation is not among the recent events')
if 'script' in p.tags or 'img' in p.tags:
    bad.append('script/img element in the page')
if bad:
    print('\n'.join(bad)); sys.exit(1)
EOF
chrome --dump-dom "$BSF_ADMIN/status" >"$work/bsfdom.html" || fail "chromium --dump-dom bsfd"
grep -q 'id="bootstraps-valid"><b>2</b>' "$work/bsfdom.html" || fail "bsfd page: valid bootstraps: $(grep -o 'id="bootstraps-valid">[^/]*' "$work/bsfdom.html")"
grep -q 'id="injected"' "$work/bsfdom.html" && fail "an element from the network was injected into bsfd's page"
grep -q '&lt;img src=x id=injected' "$work/bsfdom.html" || fail "the hostile IMPI is not shown as text"
scan "$work/dom.html" "$work/bsfdom.html"
pass "Chromium DOM: title, both services, kg-258 current/next MSK = ctl status, registered UEs, sections, the rotation among the events; bsfd page: 2 valid B-TIDs, hostile IMPI as text; no key"

png_ok() { # file min_bytes width
	python3 - "$@" <<'EOF'
import struct, sys
f, least, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
d = open(f, 'rb').read()
if d[:8] != b'\x89PNG\r\n\x1a\n':
    sys.exit('%s: not a PNG' % f)
if len(d) < least:
    sys.exit('%s: only %d bytes' % (f, len(d)))
if d[12:16] != b'IHDR':
    sys.exit('%s: no IHDR' % f)
w, h = struct.unpack('>II', d[16:24])
if w != width or h < 100:
    sys.exit('%s: %dx%d, want width %d' % (f, w, h, width))
EOF
}
rm -f "$OUT/status-page.png" "$OUT/status-page-phone.png" "$OUT/status-page-bsfd.png"
chrome --screenshot="$OUT/status-page.png" --window-size=1280,900 --hide-scrollbars \
	"http://$ADMIN/status" >/dev/null || fail "screenshot: $(tail -n 5 "$work/chromium.log")"
chrome --screenshot="$OUT/status-page-phone.png" --window-size=390,844 --hide-scrollbars \
	"http://$ADMIN/status" >/dev/null || fail "phone screenshot"
chrome --screenshot="$OUT/status-page-bsfd.png" --window-size=1280,900 --hide-scrollbars \
	"$BSF_ADMIN/status" >/dev/null || fail "bsfd screenshot"
png_ok "$OUT/status-page.png" 20000 1280 || fail "desktop screenshot"
png_ok "$OUT/status-page-phone.png" 10000 390 || fail "phone screenshot"
png_ok "$OUT/status-page-bsfd.png" 10000 1280 || fail "bsfd screenshot"
printf 'not a png' >"$work/fake.png"
png_ok "$work/fake.png" 1 1 2>/dev/null && fail "the PNG check accepts anything"
pass "screenshots: $OUT/status-page.png ($(stat -c %s "$OUT/status-page.png") bytes), status-page-phone.png, status-page-bsfd.png (PNG magic, IHDR, width)"

kill -TERM "$bmsc_pid"
wait "$bmsc_pid" || fail "bmscd exit status after SIGTERM"
bmsc_pid=""
kill -TERM "$bsf_pid"
wait "$bsf_pid" || fail "bsfd exit status after SIGTERM"
bsf_pid=""
pass "both daemons stop cleanly with their admin listeners"
