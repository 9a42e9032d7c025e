#!/usr/bin/env bash
# Traffic protection end to end (docs/traffic.md): real bsfd, bmscd and three
# mbms-ue on 127.0.0.1. bmscd streams 10,000 RTP packets of a file (sequence
# numbers wrapping past 65535, payloads of 20..304 bytes) SRTP-protected
# under MTKs, to the three UEs (UE1 through a proxy that injects tampered
# and replayed copies) and to a tap; MTK messages go to each UE's MTK port
# and to the tap.
#   * MTK changes: one on demand (bmscd ctl mtk), the others every 2,500
#     packets (--mtk-every); an MSK switch-over (bmscd ctl rotate) midway;
#   * UE1 and UE2 hold their keys: they decrypt every packet, byte for byte
#     (UE1's payloads hash to the source's; UE2's RTP packets equal the
#     source file), no loss over any MTK or MSK change;
#   * UE3 lost the next MSK's push (test-only fault injection): from the
#     switch-over it decrypts nothing, runs the missed key update, and then
#     decrypts the rest: what it wrote is the source minus one gap that
#     starts exactly at the first packet under the new MSK;
#   * every tampered copy is refused (bad MAC) and every replay too, counted;
#     replays of old packets after the stream are refused as well;
#   * tshark decodes the captured MTK messages (both MSKs, every MTK ID) and
#     the SRTP packets as RTP without a malformed packet;
#   * no MSK or MTK in any log. Bounded: about 30 s.
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
SRC=${MBMS_SRC:?MBMS_SRC must name the source directory}
BSFD=$BIN/bsfd
BMSCD=$BIN/bmscd
UE=$BIN/mbms-ue
NET="python3 $SRC/tests/integration/traffic_net.py"
PACKETS=10000
RATE=1000
EVERY=1000 # the proxy tampers with and replays one packet in EVERY

work=$(mktemp -d)
pids=()
net_pid=""
cleanup() {
	for p in "${pids[@]}" $net_pid; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}" $net_pid; do
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
	for f in "$work"/bmscd.log "$work"/ue*.log "$work"/net.log; do
		[ -f "$f" ] || continue
		echo "--- $f (last 20 lines):" >&2
		tail -n 20 "$f" >&2
	done
	exit 1
}
pass() { echo "ok - $*"; }

for f in "$BSFD" "$BMSCD" "$UE"; do
	[ -x "$f" ] || fail "no $f"
done
command -v python3 >/dev/null || fail "python3 is needed"

free_udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() { # $1 = seconds, then a command
	local t=$1
	shift
	for _ in $(seq 1 $((t * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
json() { # $1 = file, $2 = python expression on j
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null
}

BSF_HOST=bsf.mnc001.mcc001.pub.3gppnetwork.org
FQDN=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
ZN_SECRET=zn-secret-for-the-traffic-test
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
NEWS=urn:example:mbms:news
NEWS_ENC=urn%3Aexample%3Ambms%3Anews
KG=258
impi() { echo "00101000000000$1@ims.mnc001.mcc001.3gppnetwork.org"; }
for n in 1 2 3; do
	eval "MTK$n=$(free_udp_port)"
	eval "SRTP$n=$(free_udp_port)"
done
PROXY=$(free_udp_port)
TAP_SRTP=$(free_udp_port)
TAP_MTK=$(free_udp_port)

# ---- the source: 10,000 RTP packets ----
SRC_SUM=$($NET rtpl make "$work/source.rtpl" --count $PACKETS --seq0 64000) ||
	fail "cannot make the source file"

# ---- the network helper: proxy for UE1, tap ----
$NET serve --proxy "$PROXY" --forward "$SRTP1" --tap-srtp "$TAP_SRTP" --tap-mtk "$TAP_MTK" \
	--every $EVERY --srtp-out "$work/tap.rtpl" --mtk-out "$work/tap-mtk.hex" \
	--summary "$work/net.json" >"$work/net.log" 2>&1 &
net_pid=$!
wait_for 10 grep -q ready "$work/net.log" || fail "the network helper did not start"

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
for n in 1 2 3; do
	"$BSFD" subscriber add --impi "$(impi $n)" --k "$K" --opc "$OPC" --config "$work/bsf.ini" \
		>/dev/null || fail "bsfd subscriber add $n"
done
"$BSFD" --config "$work/bsf.ini" 2>"$work/bsfd.log" &
pids+=($!)
line=""
for _ in $(seq 1 100); do
	line=$(grep -m1 ' Ub on ' "$work/bsfd.log" 2>/dev/null || true)
	[ -n "$line" ] && break
	sleep 0.1
done
[ -n "$line" ] || fail "bsfd did not start"
UB=http://127.0.0.1:$(echo "$line" | sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
ZN=http://127.0.0.1:$(echo "$line" | sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p')

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
secret = $ZN_SECRET

[push]
retransmit_initial = 300ms
retransmit_max = 1s
retransmit_count = 2

[key_group "$KG"]
msk_lifetime = 1h
lead_time = 10m
mtk_ids = 1000
mtk_lifetime = 1h

[service "$NEWS"]
key_groups = $KG
subscribers = $(impi 1), $(impi 2), $(impi 3)
offset_time = 0
random_time_period = 1

[session "news-video"]
service = $NEWS
key_group = $KG
destination = 127.0.0.1:5004
mtk_send_to = 127.0.0.1:$MTK1, 127.0.0.1:$MTK2, 127.0.0.1:$MTK3, 127.0.0.1:$TAP_MTK
srtp_send_to = 127.0.0.1:$PROXY, 127.0.0.1:$SRTP2, 127.0.0.1:$SRTP3, 127.0.0.1:$TAP_SRTP
mtk_interval = 500ms
EOF
chmod 600 "$work/bmsc.ini"
"$BMSCD" --config "$work/bmsc.ini" 2>"$work/bmscd.log" &
pids+=($!)
line=""
for _ in $(seq 1 100); do
	line=$(grep -m1 ' key management on ' "$work/bmscd.log" 2>/dev/null || true)
	[ -n "$line" ] && break
	sleep 0.1
done
[ -n "$line" ] || fail "bmscd did not report its ports"
KM_PORT=$(echo "$line" | sed -n 's/.*key management on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
ADMIN=127.0.0.1:$(echo "$line" | sed -n 's/.*admin on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
ctl() { "$BMSCD" ctl --admin "$ADMIN" "$@"; }
stream_field() { # $1 = python expression on the stream object s
	ctl stream-status >"$work/ss.json" 2>/dev/null && json "$work/ss.json" "(lambda s: $1)(j['streams'][0])"
}

# ---- three UEs, each with a stream ----
write_ue() { # $1 = n, $2 = output format, $3 = extra lines
	local mtk srtp
	eval "mtk=\$MTK$1; srtp=\$SRTP$1"
	cat >"$work/ue$1.ini" <<EOF
[ue]
state = ue$1.state
log_level = info
push_timeout_ms = 5000
max_attempts = 3
retry_floor_ms = 300
mku_min_interval_ms = 1000
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
mtk_listen = 127.0.0.1:$mtk
resolve = $FQDN:$KM_PORT:127.0.0.1
[service "$NEWS"]
announcement_url = http://$FQDN:$KM_PORT/announcement/$NEWS_ENC
[stream "video"]
service = $NEWS
listen = 127.0.0.1:$srtp
output = ue$1.out
output_format = $2
stats = ue$1.stats
$3
EOF
	chmod 600 "$work/ue$1.ini"
}
write_ue 1 payload ""
write_ue 2 rtp ""
write_ue 3 rtp "[test]
drop_msk_push = unsolicited"
# configuration errors name file:line (checked before the daemons start)
bad_ue() { # $1 = what must be said, then the [stream] lines
	local want=$1
	shift
	sed '/^\[stream "video"\]/,$d' "$work/ue1.ini" >"$work/bad.ini"
	printf '%s\n' '[stream "video"]' "$@" >>"$work/bad.ini"
	chmod 600 "$work/bad.ini"
	"$UE" --config "$work/bad.ini" --once --timeout 2 >/dev/null 2>"$work/bad.log" && fail "mbms-ue accepted: $*"
	grep -q -- "$want" "$work/bad.log" || fail "mbms-ue on a bad [stream]: $(cat "$work/bad.log")"
}
bad_ue "needs listen" "service = $NEWS"
bad_ue "needs service" "listen = 127.0.0.1:0"
bad_ue "bad.ini:[0-9]*: unknown key 'rate' in a stream section" "service = $NEWS" "rate = 5"
bad_ue "output_format: payload or rtp" "service = $NEWS" "listen = 127.0.0.1:0" "output_format = mp4"
sed 's/^srtp_send_to = .*/srtp_send_to = 127.0.0.1/' "$work/bmsc.ini" >"$work/badb.ini"
chmod 600 "$work/badb.ini"
"$BMSCD" --config "$work/badb.ini" --check >/dev/null 2>"$work/badb.log" && fail "bmscd accepted a bad srtp_send_to"
grep -q "badb.ini:[0-9]*: srtp_send_to" "$work/badb.log" || fail "bmscd on a bad srtp_send_to: $(cat "$work/badb.log")"
pass "configuration errors: [stream] without listen or service, an unknown key, a bad output_format; a bad srtp_send_to (file:line)"

for n in 1 2 3; do
	"$UE" --config "$work/ue$n.ini" 2>"$work/ue$n.log" &
	pids+=($!)
done
ue_status() { "$UE" status --config "$work/ue$1.ini" 2>/dev/null; }
holds() { ue_status "$1" | grep -q "^msk key_domain=00f110 msk_id=$2 "; }
active() { ue_status "$1" | grep -q "^service $NEWS state=active"; }
for n in 1 2 3; do
	wait_for 30 active $n || fail "UE$n did not become active: $(ue_status $n)"
done
ctl status >"$work/st.json" || fail "ctl status"
CUR=$(json "$work/st.json" 'j["key_groups"][0]["current_msk_id"]')
for n in 1 2 3; do
	wait_for 10 holds $n "$CUR" || fail "UE$n does not hold the current MSK $CUR"
done

# ---- the next MSK: pushed to UE1 and UE2, lost by UE3 ----
ctl rotate --key-group $KG >"$work/rot1.json" || fail "ctl rotate"
NEXT=$(json "$work/rot1.json" 'j["next_msk_id"]')
[ -n "$NEXT" ] && [ "$NEXT" != "$CUR" ] && [ "$NEXT" != None ] || fail "no next MSK: $(cat "$work/rot1.json")"
for n in 1 2; do
	wait_for 15 holds $n "$NEXT" || fail "UE$n did not get the next MSK $NEXT"
done
wait_for 10 grep -q "MSK message $NEXT: TEST fault injection" "$work/ue3.log" ||
	fail "UE3 did not drop the push of $NEXT"
holds 3 "$NEXT" && fail "UE3 holds $NEXT"
pass "UE1..UE3 hold $CUR; the next MSK $NEXT reached UE1 and UE2, not UE3"

# ---- the stream ----
ctl stream --session news-video --count 5 --rate 0 >/dev/null 2>&1 && fail "rate 0 accepted"
ctl stream --session nosuch --file "$work/source.rtpl" >/dev/null 2>&1 && fail "unknown session accepted"
ctl stream --session news-video --file "$work/source.rtpl" --count $((PACKETS + 1)) >/dev/null 2>&1 &&
	fail "a count beyond the file accepted"
start=$(date +%s)
ctl stream --session news-video --file "$work/source.rtpl" --rate $RATE --mtk-every 2500 \
	>"$work/stream.json" || fail "ctl stream: $(cat "$work/stream.json")"
grep -q "\"count\":$PACKETS" "$work/stream.json" || fail "stream: $(cat "$work/stream.json")"
ctl stream --session news-video --file "$work/source.rtpl" >/dev/null 2>&1 && fail "a second stream of the session accepted"
sent_at_least() { [ "$(stream_field "s['sent'] >= $1")" = True ]; }
wait_for 10 sent_at_least 1200 || fail "the stream does not progress: $(cat "$work/ss.json")"
ctl mtk --key-group $KG >"$work/mtk.json" || fail "ctl mtk"
wait_for 10 sent_at_least 4000 || fail "the stream stalls: $(cat "$work/ss.json")"
ctl rotate --key-group $KG >"$work/rot2.json" || fail "ctl rotate (switch-over)"
grep -q "\"current_msk_id\":\"$NEXT\"" "$work/rot2.json" || fail "no switch-over: $(cat "$work/rot2.json")"
done_streaming() { [ "$(stream_field "not s['running'] and s['sent'] == $PACKETS")" = True ]; }
wait_for 30 done_streaming || fail "the stream did not finish: $(cat "$work/ss.json")"
secs=$(($(date +%s) - start))
stream_field "s" >"$work/stream-final.txt"
MTK_CHANGES=$(stream_field "s['mtk_changes']")
MSK_CHANGES=$(stream_field "s['msk_changes']")
[ "$MTK_CHANGES" -ge 3 ] || fail "only $MTK_CHANGES MTK changes"
[ "$MSK_CHANGES" = 1 ] || fail "$MSK_CHANGES MSK changes"
[ "$(stream_field "s['errors']['key'] + s['errors']['protect'] + s['errors']['send']")" = 0 ] ||
	fail "stream errors: $(cat "$work/stream-final.txt")"
SWITCH=$(sed -n "s/.*stream news-video: from packet \([0-9]*\) on: MTK [0-9]* under MSK $NEXT.*/\1/p" \
	"$work/bmscd.log" | head -n1)
[ -n "$SWITCH" ] || fail "bmscd did not log the first packet under $NEXT"
pass "bmscd streamed $PACKETS packets in ${secs}s: $MTK_CHANGES MTK changes (1 on demand, 1 at the MSK switch-over, the others every 2500 packets), 1 MSK change at packet $SWITCH"

# ---- UE1 and UE2: everything, byte for byte ----
stat_of() { json "$work/ue$1.stats" "j['$2']"; }
all_in() { [ "$(stat_of "$1" decrypted)" = "$PACKETS" ] && [ "$(stat_of "$1" held_now)" = 0 ]; }
for n in 1 2; do
	wait_for 15 all_in $n || fail "UE$n decrypted $(stat_of $n decrypted) of $PACKETS: $(cat "$work/ue$n.stats")"
done
sleep 0.6 # the outputs are flushed twice a second
[ "$($NET rtpl payloads "$work/source.rtpl")" = "$SRC_SUM" ] || fail "the payload hash tool disagrees"
UE1_SUM=$(sha256sum <"$work/ue1.out" | cut -d' ' -f1)
[ "$UE1_SUM" = "$SRC_SUM" ] || fail "UE1's payloads differ from the source's"
cmp -s "$work/ue2.out" "$work/source.rtpl" || fail "UE2's RTP packets differ from the source file"
for n in 1 2; do
	for c in hold_overflow hold_expired hold_dropped unknown_msk mtk_gone other_failed write_errors; do
		[ "$(stat_of $n $c)" = 0 ] || fail "UE$n $c = $(stat_of $n $c): $(cat "$work/ue$n.stats")"
	done
done
pass "UE1 and UE2: $PACKETS of $PACKETS packets decrypted across every MTK and MSK change, loss 0 (held for a late MTK message and released: UE1 $(stat_of 1 released), UE2 $(stat_of 2 released)); UE1 payloads hash = source, UE2 output = source file"

# ---- UE3: nothing under the MSK it lacks, then the missed key update ----
wait_for 10 holds 3 "$NEXT" || fail "UE3 did not recover $NEXT: $(ue_status 3)"
grep -q "missed-key-update $NEWS: .* names MSK $NEXT, which we do not hold" "$work/ue3.log" ||
	fail "UE3: no missed key update for $NEXT"
$NET rtpl indices "$work/ue3.out" >"$work/ue3.idx" || fail "UE3's output is not a record file"
python3 - "$work/ue3.out" "$work/source.rtpl" "$SWITCH" "$PACKETS" >"$work/ue3.check" <<'PYEOF' ||
import struct, sys
def records(d):
    o = 0
    while o < len(d):
        (n,) = struct.unpack(">H", d[o:o + 2]); yield d[o + 2:o + 2 + n]; o += 2 + n
got = list(records(open(sys.argv[1], "rb").read()))
src = list(records(open(sys.argv[2], "rb").read()))
switch, total = int(sys.argv[3]), int(sys.argv[4])
idx = [struct.unpack(">I", p[12:16])[0] for p in got]
assert all(got[k] == src[i] for k, i in enumerate(idx)), "a packet differs from the source"
assert idx == sorted(set(idx)), "out of order or repeated"
assert idx[:switch] == list(range(switch)), "not every packet before the switch-over"
rest = idx[switch:]
assert rest and rest[0] > switch, "decrypted right after the switch-over"
assert rest == list(range(rest[0], total)), "not the whole rest after the missed key update"
print(switch, rest[0], len(idx))
PYEOF
	fail "UE3's output: $(cat "$work/ue3.check")"
read -r _ RESUME UE3_N <"$work/ue3.check"
[ "$(stat_of 3 unknown_msk)" -gt 0 ] || fail "UE3 counted no packet under an unknown MSK"
pass "UE3 (no $NEXT): packets 0..$((SWITCH - 1)) decrypted, none from $SWITCH (the switch-over; $(stat_of 3 unknown_msk) refused: MSK not held), missed key update, then $RESUME..$((PACKETS - 1)) all decrypted ($UE3_N packets, each equal to the source)"

# ---- forgeries: tampered copies and replays ----
kill -TERM "$net_pid"
wait "$net_pid"
net_pid=""
TAMPERED=$(json "$work/net.json" 'j["tampered"]')
REPLAYED=$(json "$work/net.json" 'j["replayed"]')
[ "$TAMPERED" -ge 9 ] && [ "$REPLAYED" = "$TAMPERED" ] || fail "proxy: $(cat "$work/net.json")"
[ "$(stat_of 1 auth_failed)" = "$TAMPERED" ] ||
	fail "UE1 refused $(stat_of 1 auth_failed) tampered packets of $TAMPERED"
[ "$(stat_of 1 replayed)" = "$REPLAYED" ] || fail "UE1 refused $(stat_of 1 replayed) replays of $REPLAYED"
grep -q "stream video: refused .* forged or replayed packet(s) (bad MAC" "$work/ue1.log" ||
	fail "UE1 did not warn about the forgeries"
# after the stream: the last 50 packets again (replays) and the first 50 (replays too while the
# UE still keeps MTK 1 of the old MSK, else refused as MTK gone: it depends on how many MTK
# changes came before the switch-over)
[ "$($NET replay --file "$work/tap.rtpl" --port "$SRTP2" --last 50)" = 50 ] || fail "replay tool"
[ "$($NET replay --file "$work/tap.rtpl" --port "$SRTP2" --first 50)" = 50 ] || fail "replay tool"
late() { [ "$(($(stat_of 2 replayed) + $(stat_of 2 mtk_gone)))" = 100 ] && [ "$(stat_of 2 replayed)" -ge 50 ]; }
wait_for 5 late || fail "UE2 after 100 replays: $(cat "$work/ue2.stats")"
[ "$(stat_of 2 decrypted)" = "$PACKETS" ] || fail "UE2 decrypted a replay"
sleep 0.6
cmp -s "$work/ue2.out" "$work/source.rtpl" || fail "a replay reached UE2's output"
pass "UE1 refused all $TAMPERED tampered copies (bad MAC) and $REPLAYED replays; UE2 refused 100 late replays ($(stat_of 2 replayed) by the replay window, $(stat_of 2 mtk_gone) under an MTK it no longer keeps); outputs unchanged"

# ---- tshark: the MTK messages and the SRTP packets as the tap saw them ----
if command -v tshark >/dev/null && command -v text2pcap >/dev/null; then
	NMTK=$(wc -l <"$work/tap-mtk.hex")
	awk '{ printf "000000"; for (i = 1; i <= length($0); i += 2) printf " %s", substr($0, i, 2); printf "\n" }' \
		"$work/tap-mtk.hex" >"$work/mtk.txt"
	text2pcap -q -u 40000,2269 "$work/mtk.txt" "$work/mtk.pcap" 2>/dev/null || fail "text2pcap (MTK)"
	tshark -r "$work/mtk.pcap" -T fields -e _ws.malformed -e _ws.expert.severity -e mikey.csb_id \
		-e mikey.type 2>/dev/null >"$work/mtk.fields" || fail "tshark failed on the MTK messages"
	[ "$(wc -l <"$work/mtk.fields")" = "$NMTK" ] || fail "tshark read $(wc -l <"$work/mtk.fields") of $NMTK MTK messages"
	awk -F'\t' '$1 != "" || $2 != ""' "$work/mtk.fields" | grep -q . &&
		fail "tshark: malformed or expert info in MTK messages: $(awk -F'\t' '$1 != "" || $2 != ""' "$work/mtk.fields" | head -3)"
	for m in "$CUR" "$NEXT"; do
		grep -qi "0x$m" "$work/mtk.fields" || fail "tshark: no MTK message with CSB ID $m"
	done
	python3 - "$work/tap.rtpl" "$work/srtp.txt" <<'PYEOF' || fail "cannot dump the SRTP packets"
import struct, sys
d = open(sys.argv[1], "rb").read(); o = 0; out = open(sys.argv[2], "w"); n = 0
while o < len(d) and n < 3000:
    (l,) = struct.unpack(">H", d[o:o + 2]); p = d[o + 2:o + 2 + l]; o += 2 + l; n += 1
    out.write("000000 " + " ".join("%02x" % b for b in p) + "\n")
PYEOF
	text2pcap -q -u 40001,5004 "$work/srtp.txt" "$work/srtp.pcap" 2>/dev/null || fail "text2pcap (SRTP)"
	tshark -r "$work/srtp.pcap" -d udp.port==5004,rtp -T fields -e _ws.malformed -e rtp.seq \
		-e rtp.ssrc 2>/dev/null >"$work/srtp.fields" || fail "tshark failed on the SRTP packets"
	python3 - "$work/srtp.fields" <<'PYEOF' || fail "tshark's RTP view: $(head -3 "$work/srtp.fields")"
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
assert len(rows) == 3000, len(rows)
assert all(r[0] == "" for r in rows), "malformed"
assert [int(r[1]) for r in rows] == [(64000 + i) % 65536 for i in range(3000)], "sequence numbers"
assert all(int(r[2], 16) == 0x4D424D53 for r in rows), "SSRC"
PYEOF
	pass "tshark: $NMTK captured MTK messages (CSB IDs $CUR and $NEXT) decode without malformed or expert info; 3000 SRTP packets decode as RTP (seq wraps 65535 -> 0, SSRC kept)"
else
	echo "skip - tshark not installed: MTK messages not dissected"
fi

# ---- no sanitizer report (an ASan build), no key in any log ----
if grep -l "ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer" "$work"/*.log >"$work/san.txt"; then
	fail "sanitizer report in $(tr '\n' ' ' <"$work/san.txt")"
fi
keys=""
for n in 1 2 3; do
	keys="$keys $(tr ' ' '\n' <"$work/ue$n.state" | grep -E '^[0-9a-f]{28,64}$' || true)"
done
if command -v sqlite3 >/dev/null; then
	keys="$keys $(sqlite3 "$work/bmsc.db" 'select hex(msk) from msks' 2>/dev/null | tr 'A-F' 'a-f')"
fi
[ -n "${keys// /}" ] || fail "found no keys to look for"
for key in $keys; do
	grep -qi -- "$key" "$work"/*.log && fail "a key appears in a log"
done
pass "no MSK, MTK or salt of the key stores and the BM-SC database in any log"

# ---- shut down: SIGTERM, final counters ----
for p in "${pids[@]}"; do
	kill -TERM "$p" 2>/dev/null
done
for p in "${pids[@]}"; do
	wait "$p" 2>/dev/null
done
pids=()
grep -q "stream video: .* packet(s) received, $PACKETS decrypted and written" "$work/ue2.log" ||
	fail "UE2 did not log its final counters"
if grep -l "ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer" "$work"/*.log >"$work/san.txt"; then
	fail "sanitizer report at exit in $(tr '\n' ' ' <"$work/san.txt")"
fi
echo "test_traffic: all passed"
