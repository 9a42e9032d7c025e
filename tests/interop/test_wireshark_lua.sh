#!/usr/bin/env bash
# contrib/wireshark/mbms_mikey.lua under tshark, on the MIKEY messages of
# tests/vectors/independent_cases.json (msk-message, trigger-message,
# mtk-message, verification): each message is wrapped in UDP with text2pcap
# (MSK/trigger to port 4359, MTK to 2269, verification from 4359) and read
# back WITHOUT -d, so the plugin must register the ports itself (also once
# from a personal plugin folder, without -X). Checked per
# message: key ID type, Key Domain ID (hex, MCC, MNC), MSK ID, Key Group, Key
# Number, MTK ID, CS ID map type, no malformed/warning/error items. The Key
# Domain IDs of the key-domain vector (2- and 3-digit MNCs) are also spliced
# into an MTK message. Must-fail checks: without the plugin port 4359 is not
# MIKEY and the mbms_mikey fields do not exist; a key ID whose length does
# not fit its type gives an expert error and no decoded fields.
# tshark complains about running as root on stderr: only exit codes and
# stdout count.
set -u

SRC=${MBMS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PLUGIN=$SRC/contrib/wireshark/mbms_mikey.lua
VECTORS=$SRC/tests/vectors/independent_cases.json

failures=0
checks=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
ok() {
	checks=$((checks + 1))
	echo "ok - $*"
}

for tool in tshark text2pcap xxd python3; do
	command -v "$tool" >/dev/null || {
		echo "FAIL: $tool is needed (Debian: tshark, xxd, python3)"
		exit 1
	}
done
[ -f "$PLUGIN" ] || {
	echo "FAIL: no plugin at $PLUGIN"
	exit 1
}

# tshark with an empty home: a copy of the plugin in the real personal
# plugin folder must not make the "without the plugin" checks pass.
mkdir -p "$work/home0"
tshark() { HOME=$work/home0 command tshark "$@"; }

FIELDS=(mbms_mikey.key_id_type mbms_mikey.key_domain mbms_mikey.mcc mbms_mikey.mnc
	mbms_mikey.msk_id mbms_mikey.key_group mbms_mikey.key_number mbms_mikey.mtk_id
	mbms_mikey.cs_id_map_type)

# The cases, one per line, '|'-separated: id, UDP src port, UDP dst port,
# hex, and the expected tab-separated values of FIELDS (empty where a field is absent).
# MCC/MNC come from the key-domain vector, not from a decoder of ours.
python3 - "$VECTORS" >"$work/cases" <<'EOF' || { echo "FAIL: cannot read $VECTORS"; exit 1; }
import json, sys

doc = json.load(open(sys.argv[1]))
plmn = {}
for c in doc["cases"]:
    if c["kind"] == "key-domain":
        for inp, kd in zip(c["input"], c["expected"]):
            plmn[kd] = (inp["mcc"], inp["mnc"])
if not plmn:
    sys.exit("no key-domain case")

def expect(p):
    if p.get("key_id_type") is None:
        return [""] * 8 + ["1"]
    mcc, mnc = plmn[p["key_domain_id"]]
    mtk = "" if p["mtk_id"] is None else str(p["mtk_id"])
    return [str(p["key_id_type"]), p["key_domain_id"], mcc, mnc, "0x" + p["msk_id"],
            str(p["key_group"]), str(p["key_number"]), mtk, "1"]

ports = {"msk-message": (40000, 4359), "trigger-message": (40000, 4359),
         "mtk-message": (40000, 2269), "verification": (4359, 40001)}
n = 0
mtk = None
for c in doc["cases"]:
    if c["kind"] not in ports:
        continue
    src, dst = ports[c["kind"]]
    hexmsg = c["expected"]["hex"]
    print("|".join([c["id"], str(src), str(dst), hexmsg, "\t".join(expect(c["expected"]["parse"]))]))
    n += 1
    if c["kind"] == "mtk-message" and mtk is None:
        mtk = c
if n < 6 or mtk is None:
    sys.exit("expected at least 6 MIKEY message cases with an MTK message")

# The same MTK message with each Key Domain ID of the key-domain vector
# (the MAC no longer verifies; Wireshark does not check it).
p = mtk["expected"]["parse"]
old = "020009" + p["key_domain_id"] + p["msk_id"]
assert mtk["expected"]["hex"].count(old) == 1
for kd in plmn:
    q = dict(p, key_domain_id=kd)
    hexmsg = mtk["expected"]["hex"].replace(old, "020009" + kd + p["msk_id"])
    print("|".join([mtk["id"] + "+kd_" + kd, "40000", "2269", hexmsg, "\t".join(expect(q))]))
EOF

# pcap FILE SRC DST HEX
pcap() {
	printf '%s' "$4" | xxd -r -p | xxd -g1 | text2pcap -q -u "$2,$3" - "$1" 2>/dev/null
}

# fields PCAP [tshark options...]: FIELDS, tab-separated, on stdout
fields() {
	local f=$1
	shift
	local args=()
	for x in "${FIELDS[@]}"; do args+=(-e "$x"); done
	tshark "$@" -r "$f" -T fields -E occurrence=a "${args[@]}" 2>>"$work/tshark.err"
}

with_plugin=(-X "lua_script:$PLUGIN")

# ---- every vector message ----
ncases=0
while IFS='|' read -r id src dst hexmsg want; do
	ncases=$((ncases + 1))
	pcap "$work/$id.pcap" "$src" "$dst" "$hexmsg" || { fail "$id: text2pcap"; continue; }
	got=$(fields "$work/$id.pcap" "${with_plugin[@]}")
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$id: tshark exit $rc"
		continue
	fi
	if [ "$got" != "$want" ]; then
		fail "$id: got '$got', want '$want' (${FIELDS[*]})"
		continue
	fi
	# severity >= warning (0x600000): malformed, a bad length, non-BCD digits
	bad=$(tshark "${with_plugin[@]}" -r "$work/$id.pcap" -T fields -e _ws.malformed \
		-e _ws.expert.severity -E occurrence=a -E separator=, 2>/dev/null |
		tr ',\t' '\n\n' | awk '$1 != "" && ($1 !~ /^[0-9]+$/ || $1 >= 6291456)')
	if [ -n "$bad" ]; then
		fail "$id: malformed or warning items: $bad"
		continue
	fi
	ok "$id (udp $src -> $dst): $(echo "$want" | tr '\t' ' ')"
done <"$work/cases"
[ "$ncases" -ge 9 ] || fail "only $ncases cases read from the vectors"

first_msk=$(awk -F'|' '$3 == 4359 {print $1; exit}' "$work/cases")
first_mtk=$(awk -F'|' '$3 == 2269 {print $1; exit}' "$work/cases")

# ---- the subtree and the Info column ----
tree=$(tshark "${with_plugin[@]}" -r "$work/$first_mtk.pcap" -O mbms_mikey 2>/dev/null)
for want in "MBMS Key ID: MTK" "Key Domain ID: 00f110 (MCC 001, MNC 01)" \
	"CS ID map type: empty map (RFC 4563) (1)" "MTK ID: 1"; do
	if grep -qF "$want" <<<"$tree"; then
		ok "$first_mtk tree shows '$want'"
	else
		fail "$first_mtk tree lacks '$want'"
	fi
done
info=$(tshark "${with_plugin[@]}" -r "$work/$first_msk.pcap" -T fields -e _ws.col.Info 2>/dev/null)
if grep -qF "[MBMS MSK 001-01 MSK 0x01020001]" <<<"$info"; then
	ok "Info column of $first_msk names the key"
else
	fail "Info column of $first_msk: '$info'"
fi

# ---- as a personal plugin (docs/operations.md): loaded without -X ----
mkdir -p "$work/home/.local/lib/wireshark/plugins"
cp "$PLUGIN" "$work/home/.local/lib/wireshark/plugins/"
got=$(HOME=$work/home command tshark -r "$work/$first_msk.pcap" -T fields -e mbms_mikey.key_domain \
	2>/dev/null)
if [ "$got" = 00f110 ]; then
	ok "copied to ~/.local/lib/wireshark/plugins it loads by itself"
else
	fail "as a personal plugin: '$got'"
fi

# ---- must fail: without the plugin ----
got=$(tshark -r "$work/$first_msk.pcap" -T fields -e mikey.ext.type 2>/dev/null)
if [ -z "$got" ]; then
	ok "without the plugin udp 4359 is not MIKEY (the plugin registers the port)"
else
	fail "udp 4359 decoded as MIKEY without the plugin: '$got' (the check proves nothing)"
fi
if tshark -r "$work/$first_mtk.pcap" -T fields -e mbms_mikey.key_domain >/dev/null 2>&1; then
	fail "mbms_mikey.key_domain exists without the plugin"
else
	ok "without the plugin mbms_mikey.key_domain is not a field"
fi

# ---- must fail: a key ID length that does not fit the MSK type ----
msk_hex=$(awk -F'|' -v id="$first_msk" '$1 == id {print $4}' "$work/cases")
bad_hex=${msk_hex/01000700f110/01000900f110}
if [ "$bad_hex" = "$msk_hex" ]; then
	fail "cannot build the bad key ID case from $first_msk"
else
	pcap "$work/bad.pcap" 40000 4359 "$bad_hex"
	got=$(fields "$work/bad.pcap" "${with_plugin[@]}")
	sev=$(tshark "${with_plugin[@]}" -r "$work/bad.pcap" -T fields -e _ws.expert.message \
		2>/dev/null)
	if [ "$got" = $'1\t\t\t\t\t\t\t\t1' ] && grep -q "Key ID extension truncated" <<<"$sev"; then
		ok "MSK key ID claiming 9 bytes: expert error, nothing decoded"
	else
		fail "bad key ID: fields '$got', expert '$sev'"
	fi
fi

echo "$checks checks passed, $failures failed"
[ "$failures" -eq 0 ]
