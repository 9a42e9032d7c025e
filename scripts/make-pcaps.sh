#!/usr/bin/env bash
# Build one MBMS MIKEY message of each kind with `mbmssec mikey` from the
# inputs of tests/vectors/independent_cases.json, wrap each in Ethernet/IPv4/UDP
# with text2pcap and write the pcap files that users open in Wireshark:
#
#   msk-with-v.pcap     MSK message, V set (case msk_message_v1)
#                       BM-SC 192.0.2.1:49152 -> UE 192.0.2.2:4359
#   verification.pcap   its verification (case verification_for_msk_message_v1)
#                       UE 192.0.2.2:4359 -> BM-SC 192.0.2.1:49152
#   msk-without-v.pcap  MSK message, V clear (case msk_message_v0_wrapping_range)
#                       BM-SC -> UE:4359
#   trigger.pcap        solicited-pull trigger (case trigger), BM-SC -> UE:4359
#   mtk.pcap            MTK message (case mtk_message_1)
#                       BM-SC 192.0.2.1:49152 -> session 233.252.0.1:2269
#   all-messages.pcap   the five above in this order, one second apart
#
# PROFILE.md 5.2-5.5 and 10.14: MSK messages and triggers go to UDP 4359 of the
# UE, the verification message back to the source address and port of the
# message it acknowledges, MTK messages to port 2269 of the session's
# destination (here a MCAST-TEST-NET address, RFC 6676). Addresses are from
# TEST-NET-1 (RFC 5737).
#
# The output is deterministic (fixed timestamps from 2026-01-01 00:00:00 UTC,
# classic pcap format, which carries no tool name or host): running the
# script again gives byte-identical files. tests/interop/test_tshark_mikey.sh
# runs it into a temporary directory and compares with the committed files.
#
# usage: scripts/make-pcaps.sh [--bin DIR] [--out DIR]
#   --bin DIR  directory holding the mbmssec tool (default $MBMS_BIN or build/bin)
#   --out DIR  where to write the pcaps (default tests/fixtures/pcap)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
bin=${MBMS_BIN:-$src/build/bin}
out=$src/tests/fixtures/pcap

while [ $# -gt 0 ]; do
	case "$1" in
	--bin) bin=${2:?--bin needs a directory}; shift 2 ;;
	--out) out=${2:?--out needs a directory}; shift 2 ;;
	-h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "make-pcaps.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done

tool=$bin/mbmssec
[ -x "$tool" ] || { echo "make-pcaps.sh: $tool not found: build first (make)" >&2; exit 1; }
for t in text2pcap mergecap od; do
	command -v $t >/dev/null 2>&1 ||
		{ echo "make-pcaps.sh: $t not found (apt-get install tshark)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

BMSC_IP=192.0.2.1
UE_IP=192.0.2.2
SESSION_IP=233.252.0.1
BMSC_PORT=49152
UE_PORT=4359  # PROFILE.md 5.2
MTK_PORT=2269 # PROFILE.md 5.5

# independent_cases.json "context"
MUK=fc45ad6b199381349ccef259d5a1adc977c120926d9a3878fceadfc02c038f94
KD=00f110
IDI=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
IDR='gRE0fvgzT8TRMTt3OEPC4w==@bsf.mnc001.mcc001.pub.3gppnetwork.org'

# case msk_message_v1
"$tool" mikey build-msk --muk $MUK --key-domain $KD --msk-id 01020001 \
	--msk 4b1bf39f7e9c2fe5397c6ae9aa0ef298 --ts 1 --rand e5b6e250bb1cff14ee2a54302fa7ef86 \
	--idi "$IDI" --idr "$IDR" --vf 1 --vt 255 --v --out "$work/msk-with-v.bin"
# case verification_for_msk_message_v1: the ack of the message above
"$tool" mikey build-ack --for "$work/msk-with-v.bin" --key $MUK --out "$work/verification.bin"
# case msk_message_v0_wrapping_range
"$tool" mikey build-msk --muk $MUK --key-domain $KD --msk-id 01020002 \
	--msk 25ec640d3606f998246a0db50f2f6473 --ts 16909060 \
	--rand bf77084faab960d65ffc54712b1b0014 --idi "$IDI" --idr "$IDR" --vf 65280 --vt 255 \
	--out "$work/msk-without-v.bin"
# case trigger
"$tool" mikey build-trigger --muk $MUK --key-domain $KD --msk-id 01020000 --ts 65536 \
	--rand 4714596bf4e21f8ff6c235615bc4d24f --idi "$IDI" --idr "$IDR" \
	--out "$work/trigger.bin"
# case mtk_message_1
"$tool" mikey build-mtk --msk 4b1bf39f7e9c2fe5397c6ae9aa0ef298 --key-domain $KD \
	--msk-id 01020001 --mtk-id 1 --mtk d2cd6e160cb479325f8aeb7231525dbc \
	--salt e57907a1693fcfa0c4670a600876 --ts 1 --rand 10cdeb0f4131bf10e69b565c4555f5f4 \
	--out "$work/mtk.bin"

# wrap NAME SECOND SRC_IP DST_IP SRC_PORT DST_PORT: one UDP datagram at
# 2026-01-01 00:00:SECOND UTC (the timestamp line comes before the hex dump)
wrap() {
	local name=$1 sec=$2
	{
		printf '2026-01-01 00:00:%02d.000000\n' "$sec"
		od -Ax -tx1 -v "$work/$name.bin"
	} >"$work/$name.txt"
	# text2pcap prints a separator line on stderr even with -q: keep it for errors
	if ! TZ=UTC text2pcap -q -F pcap -4 "$3,$4" -u "$5,$6" -t '%Y-%m-%d %H:%M:%S.%f' \
		"$work/$name.txt" "$work/$name.pcap" 2>"$work/text2pcap.err"; then
		cat "$work/text2pcap.err" >&2
		echo "make-pcaps.sh: text2pcap failed for $name" >&2
		exit 1
	fi
}

wrap msk-with-v 0 $BMSC_IP $UE_IP $BMSC_PORT $UE_PORT
wrap verification 1 $UE_IP $BMSC_IP $UE_PORT $BMSC_PORT
wrap msk-without-v 2 $BMSC_IP $UE_IP $BMSC_PORT $UE_PORT
wrap trigger 3 $BMSC_IP $UE_IP $BMSC_PORT $UE_PORT
wrap mtk 4 $BMSC_IP $SESSION_IP $BMSC_PORT $MTK_PORT

names=(msk-with-v verification msk-without-v trigger mtk)
files=()
for n in "${names[@]}"; do files+=("$work/$n.pcap"); done
# distinct timestamps: mergecap's chronological merge keeps the order above
mergecap -F pcap -w "$work/all-messages.pcap" "${files[@]}"

for n in "${names[@]}" all-messages; do
	cp "$work/$n.pcap" "$out/$n.pcap"
	echo "wrote $out/$n.pcap"
done
