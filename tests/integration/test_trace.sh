#!/usr/bin/env bash
# The event trace (common/trace.h, docs/trace.md) end to end: bsfd --trace
# writes one JSON line per Ub and Zn message, mode 0600, never a key;
# `mbmssec trace` merges trace files into a text listing or an SVG sequence
# diagram with exactly one arrow per event. Must-fail checks: a trace with one
# event removed draws one arrow fewer; malformed lines are skipped and
# counted; hostile text stays well-formed XML and valid JSON.
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
BSFD=$BIN/bsfd
CLI=$BIN/mbmssec

work=$(mktemp -d)
pids=()
LOG=$work/bsfd.log
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/bsfd*.log; do
		[ -f "$f" ] || continue
		echo "--- $f (last 20 lines):" >&2
		tail -n 20 "$f" >&2
	done
	exit 1
}
pass() { echo "ok - $*"; }

[ -x "$BSFD" ] || fail "no bsfd at $BSFD"
[ -x "$CLI" ] || fail "no mbmssec at $CLI"
command -v python3 >/dev/null || fail "python3 is needed"
command -v curl >/dev/null || fail "curl is needed"

HOST=bsf.mnc001.mcc001.pub.3gppnetwork.org
NAF=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
SECRET=zn-shared-secret-for-the-trace-test
IMPI=001010123456789@ims.mnc001.mcc001.3gppnetwork.org
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
TRACE=$work/trace.jsonl

write_config() { # $1 = file, $2 = db, $3 = extra [bsf] line
	cat >"$1" <<EOF
[bsf]
listen = 127.0.0.1:0
zn_listen = 127.0.0.1:0
host = $HOST
db = $2
$3

[naf "$NAF"]
secret = $SECRET
EOF
	chmod 600 "$1"
}

start_bsfd() { # $1 = log file, then bsfd arguments; sets UB, ZN, last_pid
	local log=$1
	shift
	"$BSFD" "$@" 2>"$log" &
	last_pid=$!
	pids+=("$last_pid")
	for _ in $(seq 1 100); do
		line=$(grep -m1 ' Ub on ' "$log" 2>/dev/null || true)
		if [ -n "$line" ]; then
			UB=http://127.0.0.1:$(echo "$line" | sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
			ZN=http://127.0.0.1:$(echo "$line" | sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
			return 0
		fi
		kill -0 "$last_pid" 2>/dev/null || fail "bsfd exited at start-up: $(cat "$log")"
		sleep 0.1
	done
	fail "bsfd did not report its ports within 10 s"
}

stop_bsfd() { # $1 = pid
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	local rc=$?
	[ "$rc" -eq 0 ] || fail "bsfd exited with $rc after SIGTERM"
}

bootstrap() { # $1 = Ub URL, then extra args; output in $work/boot.out
	local ub=$1
	shift
	"$CLI" gba bootstrap --bsf "$ub" --bsf-host "$HOST" --impi "$IMPI" "$@" \
		>"$work/boot.out" 2>"$work/boot.err"
}

field() { sed -n "s/^$1: //p" "$2"; }

# Arrows (class="msg") in an SVG, after checking it parses as XML.
arrows() {
	python3 - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == '{http://www.w3.org/2000/svg}svg', root.tag
print(sum(1 for e in root.iter() if e.get('class') == 'msg'))
EOF
}

events() { grep -c . "$1"; }

# ---- provisioning and a traced bootstrap + Zn ----
write_config "$work/bsf.ini" bsf.db ""
"$BSFD" subscriber add --impi "$IMPI" --k "$K" --opc "$OPC" --config "$work/bsf.ini" \
	>/dev/null || fail "subscriber add"

"$BSFD" --config "$work/bsf.ini" --trace "$work/no-such-dir/t.jsonl" 2>"$work/bsfd.bad.log"
[ $? -eq 1 ] || fail "bsfd with an unwritable trace path did not exit 1"
grep -q "no-such-dir/t.jsonl" "$work/bsfd.bad.log" || fail "no error naming the trace file"
"$BSFD" --config "$work/bsf.ini" --trace "" >/dev/null 2>&1
[ $? -eq 2 ] || fail "bsfd --trace '' is not a usage error"
pass "bsfd refuses an unwritable trace file (exit 1) and an empty name (exit 2)"

start_bsfd "$LOG" --config "$work/bsf.ini" --trace "$TRACE"
BSF1=$last_pid
grep -q "tracing Ub and Zn to $TRACE" "$LOG" || fail "bsfd does not say where it traces"
bootstrap "$UB" --k "$K" --opc "$OPC" --naf-fqdn "$NAF" || fail "bootstrap: $(cat "$work/boot.err")"
BTID=$(field btid "$work/boot.out")
UE_KS_NAF=$(field ks_naf "$work/boot.out")
"$CLI" gba zn --zn "$ZN" --naf-fqdn "$NAF" --secret "$SECRET" --btid "$BTID" >"$work/zn.out" \
	2>"$work/zn.err" || fail "zn: $(cat "$work/zn.err")"
[ "$(field ks_naf "$work/zn.out")" = "$UE_KS_NAF" ] || fail "Ks_NAF differs between UE and BSF"

[ -f "$TRACE" ] || fail "no trace file"
mode=$(stat -c %a "$TRACE")
[ "$mode" = 600 ] || fail "trace file mode is $mode, not 600"
[ "$(events "$TRACE")" -eq 6 ] || fail "expected 6 events, got: $(cat "$TRACE")"
pass "bsfd --trace: file created with mode 600, 6 events"

# every line valid JSON (strict UTF-8), and the events in order
python3 - "$TRACE" "$IMPI" "$NAF" "$BTID" <<'EOF' || fail "trace content (see above)"
import json, re, sys
path, impi, naf, btid = sys.argv[1:]
evs = [json.loads(l) for l in open(path, encoding='utf-8', errors='strict')]
ue, bsf, bmsc = 'UE ' + impi, 'BSF', 'BM-SC ' + naf
want = [  # from, to, proto, status, msg prefix
    (ue, bsf, 'Ub', None, 'GET / (Ub)'),
    (bsf, ue, 'Ub', 401, '401 Digest AKA challenge'),
    (ue, bsf, 'Ub', None, 'GET / (Ub)'),
    (bsf, ue, 'Ub', 200, '200 B-TID'),
    (bmsc, bsf, 'Zn', None, 'GET /zn/v1/bootstrap'),
    (bsf, bmsc, 'Zn', 200, '200'),
]
assert len(evs) == len(want), evs
for i, (e, w) in enumerate(zip(evs, want)):
    got = (e['from'], e['to'], e['proto'], e.get('status'))
    assert got == w[:4], (i, got, w)
    assert e['msg'].startswith(w[4]), (i, e['msg'])
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z', e['t']), e['t']
assert [e['t'] for e in evs] == sorted(e['t'] for e in evs), 'times go backwards'
assert evs[3]['btid'] == btid and evs[4]['btid'] == btid and evs[5]['btid'] == btid
assert 'btid' not in evs[0]
EOF
pass "every line is JSON; Ub request, 401, request, 200 (B-TID), Zn request, 200 in order"

# ---- no key material: K, OPc, CK, IK, Ks, RES, Ks_NAF, the NAF secret ----
RAND_HEX=$(python3 -c 'import base64,sys; print(base64.b64decode(sys.argv[1].split("@")[0]).hex())' "$BTID")
"$CLI" milenage --k "$K" --opc "$OPC" --rand "$RAND_HEX" --sqn 000000000000 --amf 0000 \
	>"$work/aka.json" || fail "milenage"
read -r CK IK RES < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["ck"], d["ik"], d["res"])' "$work/aka.json")
KS=$CK$IK
check_no_secrets() { # $1 = file
	for hex in "$K" "$OPC" "$CK" "$IK" "$KS" "$RES" "$UE_KS_NAF"; do
		grep -qiF -- "$hex" "$1" && fail "key material ($hex) in $1"
		b64=$(python3 -c 'import base64, sys
print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode().rstrip("="))' "$hex")
		grep -qF -- "$b64" "$1" && fail "key material in base64 ($b64) in $1"
	done
	grep -qF -- "$SECRET" "$1" && fail "the NAF secret in $1"
	grep -qE '[0-9a-fA-F]{32}' "$1" && fail "32 hex digits in a row in $1"
	return 0
}
check_no_secrets "$TRACE"
# the check itself can fail: a line with Ks in it is caught
cp "$TRACE" "$work/leaky.jsonl"
echo "{\"note\":\"$(echo "$KS" | tr a-f A-F)\"}" >>"$work/leaky.jsonl"
(check_no_secrets "$work/leaky.jsonl") 2>/dev/null && fail "the key check missed Ks in upper case"
pass "no K, OPc, CK, IK, Ks, RES, Ks_NAF (hex either case, base64) or NAF secret in the trace"

# the writer's last guard: 32 hex digits in a text field are redacted
curl -s -o /dev/null -u "$NAF:$SECRET" \
	"$ZN/zn/v1/bootstrap?btid=$KS&naf_id=00" || fail "curl Zn"
tail -n 1 "$TRACE" | grep -q '"btid":"\[redacted\]"' || fail "hex run not redacted: $(tail -n 1 "$TRACE")"
check_no_secrets "$TRACE"
# hostile text from the network stays one valid JSON line
curl -s -o /dev/null -u "$NAF:$SECRET" \
	"$ZN/zn/v1/bootstrap?btid=a%22b%0Ac%5Cd%FF%01%3C%26%3E&naf_id=00" || fail "curl Zn"
python3 - "$TRACE" <<'EOF' || fail "escaping in the writer: $(tail -n 2 "$TRACE")"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8', errors='strict')]
assert evs[-1]['btid'] == 'a"b\nc\\d\ufffd\x01<&>', repr(evs[-1]['btid'])
assert evs[-1]['status'] == 400
EOF
pass "writer: a 32-hex-digit field is [redacted]; quote, newline, backslash, bad UTF-8, control chars escaped"

# a refused bootstrap (wrong K on the UE: 403)
bootstrap "$UB" --k 000102030405060708090a0b0c0d0e0f --opc "$OPC" && fail "wrong K accepted"
grep -q '"status":403' "$TRACE" || fail "no 403 in the trace"
stop_bsfd "$BSF1"
pids=()
NEV=$(events "$TRACE")

# ---- the diagram ----
"$CLI" trace "$TRACE" --svg "$work/seq.svg" --title "bootstrap & Zn <test>" 2>"$work/svg.err" ||
	fail "mbmssec trace --svg: $(cat "$work/svg.err")"
n=$(arrows "$work/seq.svg") || fail "SVG is not well-formed XML"
[ "$n" -eq "$NEV" ] || fail "$n arrows for $NEV events"
python3 - "$work/seq.svg" "$IMPI" "$NAF" <<'EOF' || fail "SVG lifelines/colours"
import sys, xml.etree.ElementTree as ET
ns = '{http://www.w3.org/2000/svg}'
root = ET.parse(sys.argv[1]).getroot()
impi, naf = sys.argv[2:]
lanes = []
for g in root.iter(ns + 'g'):
    if g.get('class') == 'lifeline':
        lanes.append((g.find(ns + 'title').text, float(g.find(ns + 'rect').get('x'))))
names = [n for n, _ in sorted(lanes, key=lambda l: l[1])]
assert names[0] == 'UE ' + impi, names
assert names[-1] == 'BSF', names
assert 'BM-SC ' + naf in names, names
assert names.index('BM-SC ' + naf) < names.index('BSF'), names
red = '#d62728'
msgs = [g for g in root.iter(ns + 'g') if g.get('class') == 'msg']
def colour(g):
    return (g.find(ns + 'line') if g.find(ns + 'line') is not None else g.find(ns + 'path')).get('style')
def title(g):
    return g.find(ns + 'title').text
assert any('403' in title(g) and red in colour(g) for g in msgs), 'the 403 is not red'
assert all(red not in colour(g) for g in msgs if '401 Digest AKA' in title(g)), 'a challenge is red'
assert all(red not in colour(g) for g in msgs if '200 B-TID' in title(g)), 'a 200 is red'
assert root.find(ns + 'text').text == 'bootstrap & Zn <test>', root.find(ns + 'text').text
EOF
pass "SVG: well-formed, $n arrows for $NEV events, lifelines UE | BM-SC | BSF, 403 red, 401/200 not"

# must fail: one event fewer, one arrow fewer
sed '3d' "$TRACE" >"$work/minus1.jsonl"
"$CLI" trace "$work/minus1.jsonl" --svg "$work/minus1.svg" 2>/dev/null || fail "trace minus one"
m=$(arrows "$work/minus1.svg")
[ "$m" -eq $((NEV - 1)) ] || fail "removing an event gave $m arrows, not $((NEV - 1))"
[ "$m" -ne "$n" ] || fail "harness: the arrow count cannot tell the difference"
pass "must-fail: a trace with one event removed draws $m arrows"

# malformed lines: skipped with a warning naming file:line, counted
{
	head -n 2 "$TRACE"
	echo 'this is not JSON'
	echo '{"t":"yesterday","from":"UE x","to":"BSF","msg":"m"}'
	echo '{"t":"2026-01-01T00:00:00.000Z","from":"UE x","msg":"no to"}'
	echo '[1,2,3]'
	echo ''
	tail -n +3 "$TRACE"
} >"$work/bad.jsonl"
"$CLI" trace "$work/bad.jsonl" --svg "$work/bad.svg" 2>"$work/bad.err" ||
	fail "malformed lines made mbmssec trace fail: $(cat "$work/bad.err")"
[ "$(arrows "$work/bad.svg")" -eq "$NEV" ] || fail "malformed lines changed the arrow count"
grep -q "bad.jsonl:3: skipped" "$work/bad.err" || fail "no warning for line 3: $(cat "$work/bad.err")"
grep -q "bad.jsonl:5: skipped.*to" "$work/bad.err" || fail "no warning naming 'to': $(cat "$work/bad.err")"
grep -q "4 malformed line(s) skipped" "$work/bad.err" || fail "count: $(cat "$work/bad.err")"
grep -q "4 malformed line(s) skipped" "$work/bad.svg" || fail "the SVG does not say lines were skipped"
pass "malformed lines: 4 skipped with file:line warnings and counted, blank line ignored"

# escaping in the diagram: <&"> in every text field, raw invalid UTF-8, control chars
printf '%s\n' \
	'{"t":"2026-01-01T00:00:00.000Z","from":"UE a&b<c>\"d\"","to":"BM-SC x\u0001y","proto":"HTTP","msg":"POST <&\"> register","status":"rejected: <&>","note":"it'"'"'s \u0007"}' \
	'{"t":"2026-01-01T00:00:00.005Z","from":"BM-SC x\u0001y","to":"BM-SC x\u0001y","proto":"UDP/MIKEY","msg":"MSK message","status":"sent","key_domain":"00f110","msk_id":"01020001","mtk_id":7}' \
	>"$work/evil.jsonl"
printf '{"t":"2026-01-01T00:00:00.009Z","from":"UE \xff\xfe","to":"BSF","proto":"Ub","msg":"bad \xc3 utf8"}\n' \
	>>"$work/evil.jsonl"
"$CLI" trace "$work/evil.jsonl" --svg "$work/evil.svg" 2>"$work/evil.err" ||
	fail "escaping: $(cat "$work/evil.err")"
[ "$(arrows "$work/evil.svg")" -eq 3 ] || fail "escaping: SVG not well-formed or wrong arrow count"
python3 - "$work/evil.svg" <<'EOF' || fail "escaping: labels"
import sys, xml.etree.ElementTree as ET
ns = '{http://www.w3.org/2000/svg}'
root = ET.parse(sys.argv[1]).getroot()
texts = [t.text or '' for t in root.iter(ns + 'text')]
assert any('POST <&"> register [rejected: <&>]' in t for t in texts), texts
assert any('KD 00f110' in t and 'MSK 01020001' in t and 'MTK 7' in t for t in texts), texts
EOF
pass "escaping: <&\"> in names, messages and status, control chars and bad UTF-8 give well-formed XML"

# ---- text listing ----
"$CLI" trace "$TRACE" --text >"$work/list.txt" 2>"$work/list.err" || fail "--text"
[ "$(grep -c ' -> ' "$work/list.txt")" -eq "$NEV" ] || fail "--text: $(cat "$work/list.txt")"
grep -q "BSF -> UE $IMPI  (Ub)  401 Digest AKA challenge" "$work/list.txt" ||
	fail "--text: no challenge line: $(cat "$work/list.txt")"
grep -q '^!.*403' "$work/list.txt" || fail "--text: the 403 is not marked"
check_no_secrets "$work/list.txt"
pass "--text: one line per event, failures marked"

# ---- usage ----
"$CLI" trace --help | grep -q -- '--svg' || fail "--help"
"$CLI" trace >/dev/null 2>&1
[ $? -eq 2 ] || fail "no FILE is not a usage error"
"$CLI" trace "$TRACE" --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown option is not a usage error"
"$CLI" trace "$TRACE" --title x >/dev/null 2>&1
[ $? -eq 2 ] || fail "--title without --svg is not a usage error"
"$CLI" trace "$work/missing.jsonl" >/dev/null 2>&1
[ $? -eq 1 ] || fail "a missing file is not exit 1"
pass "usage: --help 0, usage errors 2, missing file 1"

# ---- the config key, and two processes sharing one trace file ----
# one IMPI per parallel UE: the BSF keeps only a few pending challenges per IMPI
ROUNDS=8
impi_of() { echo "00101000000000$1@ims.mnc001.mcc001.3gppnetwork.org"; }
write_config "$work/bsf2.ini" bsf2.db "trace = shared.jsonl"
write_config "$work/bsf3.ini" bsf3.db ""
for i in $(seq 1 $ROUNDS); do
	for c in bsf2 bsf3; do
		"$BSFD" subscriber add --impi "$(impi_of "$i")" --k "$K" --opc "$OPC" \
			--config "$work/$c.ini" >/dev/null || fail "subscriber add ($c, $i)"
	done
done
start_bsfd "$work/bsfd2.log" --config "$work/bsf2.ini"
UB2=$UB
ZN2=$ZN
start_bsfd "$work/bsfd3.log" --config "$work/bsf3.ini" --trace "$work/shared.jsonl"
UB3=$UB
ZN3=$ZN
[ -f "$work/shared.jsonl" ] || fail "the config's trace key (relative path) was not used"
for i in $(seq 1 $ROUNDS); do
	(
		"$CLI" gba bootstrap --bsf "$UB2" --bsf-host "$HOST" --impi "$(impi_of "$i")" --k "$K" \
			--opc "$OPC" --sqn-state "$work/usim2.$i" >"$work/b2.$i" 2>&1 || exit 1
		"$CLI" gba zn --zn "$ZN2" --naf-fqdn "$NAF" --secret "$SECRET" \
			--btid "$(field btid "$work/b2.$i")" >/dev/null 2>&1
	) &
	(
		"$CLI" gba bootstrap --bsf "$UB3" --bsf-host "$HOST" --impi "$(impi_of "$i")" --k "$K" \
			--opc "$OPC" --sqn-state "$work/usim3.$i" >"$work/b3.$i" 2>&1 || exit 1
		"$CLI" gba zn --zn "$ZN3" --naf-fqdn "$NAF" --secret "$SECRET" \
			--btid "$(field btid "$work/b3.$i")" >/dev/null 2>&1
	) &
done
wait_ok=0
for job in $(jobs -p); do
	case " ${pids[*]} " in *" $job "*) continue ;; esac
	wait "$job" || wait_ok=1
done
for p in "${pids[@]}"; do stop_bsfd "$p"; done
pids=()
python3 - "$work/shared.jsonl" $((2 * ROUNDS)) <<'EOF' || fail "shared trace: $(head -c 2000 "$work/shared.jsonl")"
import json, sys
lines = open(sys.argv[1], encoding='utf-8', errors='strict').read().split('\n')
assert lines[-1] == '', 'no newline at the end'
evs = [json.loads(l) for l in lines[:-1]]
rounds = int(sys.argv[2])
ok = sum(1 for e in evs if e['proto'] == 'Zn' and e.get('status') == 200)
assert ok == rounds, (ok, rounds)
assert sum(1 for e in evs if e['proto'] == 'Ub' and e.get('status') == 200) == rounds
EOF
[ "$wait_ok" -eq 0 ] || fail "a parallel bootstrap or Zn lookup failed"
check_no_secrets "$work/shared.jsonl"
"$CLI" trace "$work/shared.jsonl" "$TRACE" --svg "$work/merged.svg" 2>"$work/merged.err" ||
	fail "merging two files: $(cat "$work/merged.err")"
total=$(( $(events "$work/shared.jsonl") + NEV ))
[ "$(arrows "$work/merged.svg")" -eq "$total" ] || fail "merged SVG: not $total arrows"
pass "trace = FILE in the config; two bsfd sharing one file, $((4 * ROUNDS)) parallel exchanges, whole lines; two files merged"

echo "test_trace: all passed"
