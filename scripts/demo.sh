#!/usr/bin/env bash
# The end-to-end demo: `./run.sh demo` or `make demo` (= bash scripts/demo.sh BUILD).
#
# Starts a BSF (bsfd), a BM-SC (bmscd) and three UEs (mbms-ue) on 127.0.0.1,
# with the configurations of examples/demo/ (free ports picked at run time,
# everything in a temporary directory), and walks through the procedures of
# TS 33.246 6.3.2.2 / 6.3.2.3 one step at a time, saying what happens, what
# was observed, ✔ or ✘ and how long it took: initiation, bootstrap,
# registration, MSK request, push and ack, rotation, a lost push recovered by
# the missed key update, solicited pull, an SRTP stream the UEs decrypt, and a
# fourth UE, not allowed to receive the service, leaving it. Each daemon
# writes a trace (--trace); the demo merges them into a sequence diagram,
# demo-flow.svg in the current directory (or DEMO_SVG).
#
# Exit status 0 only when every step succeeded. Colours only on a terminal,
# never with NO_COLOR set. Cleans up its processes and files, also on Ctrl-C
# (exit 130) and SIGTERM (143). DEMO_WORKDIR=DIR runs in DIR (created if
# needed) and keeps it. Helpers: scripts/demo/. Tested by
# tests/integration/test_demo.sh.
set -u

orig_pwd=$PWD
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in
	/*) ;;
	*) [ -d "$orig_pwd/$build" ] && build=$orig_pwd/$build || build=$repo/$build ;;
esac
BIN=$build/bin
svg=${DEMO_SVG:-$orig_pwd/demo-flow.svg}
case $svg in /*) ;; *) svg=$orig_pwd/$svg ;; esac
TE="python3 $repo/scripts/demo/trace-events.py"

# ---- presentation ----
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ]; then
	B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' RED=$'\e[31m' Y=$'\e[33m' C=$'\e[36m' R=$'\e[0m'
else
	B="" D="" G="" RED="" Y="" C="" R=""
fi
now_ms() { date +%s%3N; }
fmt_ms() { # 85 -> "85 ms", 1234 -> "1.2 s"
	if [ "$1" -lt 1000 ]; then echo "$1 ms"; else
		printf '%d.%d s\n' $(($1 / 1000)) $((($1 % 1000) / 100)); fi
}
say() { printf '%s\n' "$*" | fold -s -w 90 | sed 's/ *$//; s/^/      /'; }
seen() { printf '%s\n' "$*" | fold -s -w 88 | sed "s/ *\$//; 1s/^/    ${C}▸${R} /; 2,\$s/^/      /"; }
msk_words() { # 0102002f -> "0x0102002f (Key Group 258, Key Number 47)"
	printf '0x%s (Key Group %d, Key Number %d)' "$1" $((16#${1:0:4})) $((16#${1:4:4}))
}

demo_t0=$(now_ms)
NSTEPS=10
cur=0
broken=""
names=() results=() times=()
step() { # $1 = title, $2 = why
	cur=$((cur + 1))
	step_t0=$(now_ms)
	step_name=$1
	printf '\n%s[%d/%d] %s%s\n' "$B" "$cur" "$NSTEPS" "$1" "$R"
	say "$2"
}
record() { names+=("$step_name"); results+=("$1"); times+=("$2"); }
ok() { # [$1 = time in ms; default: since the step began] [$2 = how it was timed]
	local t=${1:-$(($(now_ms) - step_t0))}
	printf '    %s✔ passed%s  %s%s%s%s\n' "$G" "$R" "$D" "$(fmt_ms "$t")" "${2:+, $2}" "$R"
	record "✔" "$(fmt_ms "$t")"
}
fail() { # $1 = what went wrong
	local t=$(($(now_ms) - step_t0))
	printf '    %s✘ failed: %s%s  %s%s%s\n' "$RED" "$1" "$R" "$D" "$(fmt_ms "$t")" "$R"
	record "✘" "$(fmt_ms "$t")"
	broken=$step_name
	for f in "$work"/bmscd.log "$work"/ue*.log; do
		[ -s "$f" ] || continue
		echo "      --- last lines of $(basename "$f"):"
		tail -n 6 "$f" | sed 's/^/        /'
	done
}
skip_if_broken() {
	[ -z "$broken" ] && return 1
	printf '    %s✘ not run: "%s" failed before%s\n' "$RED" "$broken" "$R"
	record "✘" "not run"
	return 0
}
wait_for() { # $1 = seconds, then a command
	local n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# ---- processes and temporary files: ours only, also on Ctrl-C ----
bsf_pid="" bmsc_pid="" ue4_pid=""
ue_pids=()
work=""
keep_work=""
# Stop our daemons (SIGTERM, then SIGKILL after 5 s) so that their traces
# are complete; forget their PIDs so nothing is signalled twice.
stop_daemons() {
	local p pids=()
	for p in "${ue_pids[@]}" $ue4_pid $bmsc_pid $bsf_pid; do
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null && pids+=("$p")
	done
	for _ in $(seq 1 50); do
		local alive=""
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ue_pids=() ue4_pid="" bmsc_pid="" bsf_pid=""
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_daemons
	if [ -n "$work" ] && [ -z "$keep_work" ]; then
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'printf "\n%sinterrupted: stopping the daemons and removing the temporary files%s\n" "$Y" "$R"; exit 130' INT
trap 'printf "\n%sstopped (SIGTERM): stopping the daemons and removing the temporary files%s\n" "$Y" "$R"; exit 143' TERM

die() {
	printf '%s✘ %s%s\n' "$RED" "$*" "$R" >&2
	exit 1
}

# ---- what the demo needs ----
if [ ! -x "$BIN/bsfd" ] || [ ! -x "$BIN/bmscd" ] || [ ! -x "$BIN/mbms-ue" ] ||
	[ ! -x "$BIN/mbmssec" ]; then
	echo "demo: building into $build first"
	make -C "$repo" --no-print-directory BUILD="$build" >/dev/null || die "the build failed"
fi
for f in bsfd bmscd mbms-ue mbmssec; do
	[ -x "$BIN/$f" ] || die "no $BIN/$f"
done
command -v python3 >/dev/null || die "python3 is needed (./run.sh demo installs it)"

if [ -n "${DEMO_WORKDIR:-}" ]; then
	work=$DEMO_WORKDIR
	keep_work=1
	mkdir -p "$work" || die "cannot create $work"
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/mbmssec-demo.XXXXXX") || die "mktemp failed"
fi
work=$(cd "$work" && pwd)
umask 077

FQDN=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
SVC=urn:example:mbms:news
KG=258
impi() { echo "00101000000000$1@ims.mnc001.mcc001.3gppnetwork.org"; }
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf

free_udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
fill() { # $1 = template in examples/demo, $2 = output; @NAME@ from the variables below
	sed -e "s|@UB_URL@|${UB_URL:-}|g" -e "s|@ZN_URL@|${ZN_URL:-}|g" -e "s|@KM_PORT@|${KM_PORT:-}|g" \
		-e "s|@MTK1@|$MTK1|g" -e "s|@MTK2@|$MTK2|g" -e "s|@MTK3@|$MTK3|g" \
		-e "s|@SRTP_PORT@|$SRTP_PORT|g" -e "s|@SRTP1@|$SRTP1|g" -e "s|@SRTP2@|$SRTP2|g" \
		-e "s|@SRTP3@|$SRTP3|g" "$repo/examples/demo/$1" >"$2" || die "cannot write $2"
	chmod 600 "$2"
}
log_line() { # $1 = log file, $2 = pattern, $3 = pid: wait for the start-up line
	local line=""
	for _ in $(seq 1 100); do
		line=$(grep -m1 -- "$2" "$1" 2>/dev/null || true)
		[ -n "$line" ] && break
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	echo "$line"
}

printf '%smbmssec end-to-end demo%s — 3GPP MBMS security key management (TS 33.246) on 127.0.0.1\n' "$B" "$R"
say "A BSF, a BM-SC and three UEs run as real processes; the demo drives them and reads their state, logs and traces. Every number below was observed in this run."

MTK1=$(free_udp_port) MTK2=$(free_udp_port) MTK3=$(free_udp_port) SRTP_PORT=$(free_udp_port)
SRTP1=$(free_udp_port) SRTP2=$(free_udp_port) SRTP3=$(free_udp_port)

# bsfd, with the four UEs' USIMs as subscribers
fill bsf.ini "$work/bsf.ini"
for n in 1 2 3 4; do
	"$BIN/bsfd" subscriber add --impi "$(impi $n)" --k "$K" --opc "$OPC" --config "$work/bsf.ini" \
		>/dev/null 2>>"$work/bsfd.log" || die "bsfd subscriber add: $(tail -n 2 "$work/bsfd.log")"
done
"$BIN/bsfd" --config "$work/bsf.ini" --trace "$work/bsf.trace" 2>>"$work/bsfd.log" &
bsf_pid=$!
line=$(log_line "$work/bsfd.log" ' Ub on ' "$bsf_pid")
[ -n "$line" ] || die "bsfd did not start: $(tail -n 3 "$work/bsfd.log")"
UB_URL=http://127.0.0.1:$(echo "$line" | sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
ZN_URL=http://127.0.0.1:$(echo "$line" | sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p')

# bmscd
fill bmsc.ini "$work/bmsc.ini"
"$BIN/bmscd" --config "$work/bmsc.ini" --trace "$work/bmsc.trace" 2>>"$work/bmscd.log" &
bmsc_pid=$!
line=$(log_line "$work/bmscd.log" ' key management on ' "$bmsc_pid")
[ -n "$line" ] || die "bmscd did not start: $(tail -n 3 "$work/bmscd.log")"
KM_PORT=$(echo "$line" | sed -n 's/.*key management on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
ADMIN=127.0.0.1:$(echo "$line" | sed -n 's/.*admin on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
for n in 1 2 3 4; do
	fill "ue$n.ini" "$work/ue$n.ini"
done

ctl() { "$BIN/bmscd" ctl --admin "$ADMIN" "$@"; }
bm() { # $1 = python expression on the status object j
	ctl status 2>/dev/null | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)" 2>/dev/null
}
bm_ge() { [ "$(bm "$1")" -ge "$2" ] 2>/dev/null; }
ue_status() { "$BIN/mbms-ue" status --config "$work/ue$1.ini" 2>/dev/null; }
holds() { ue_status "$1" | grep -q "^msk key_domain=00f110 msk_id=$2 "; }
active() { ue_status "$1" | grep -q "^service $SVC state=active"; }
all_active() { active 1 && active 2 && active 3; }
all_hold() { holds 1 "$1" && holds 2 "$1" && holds 3 "$1"; }
# the merged traces as TSV (scripts/demo/trace-events.py), read again by refresh
refresh() { $TE "$work"/*.trace >"$work/events.tsv"; }
events() { cat "$work/events.tsv" 2>/dev/null; }
# nev FROM TO MSG [STATUS]: how many events match (awk regexes; "" = any)
nev() {
	events | awk -F'\t' -v f="$1" -v t="$2" -v m="$3" -v s="${4:-}" \
		'$2 ~ f && $3 ~ t && $5 ~ m && $6 ~ s' | wc -l
}
# span FIRST_MSG LAST_MSG: ms from the first event whose msg matches the
# first regex to the last event whose msg matches the second
span() {
	events | awk -F'\t' -v a="$1" -v b="$2" \
		'$5 ~ a && !s {s = $1} $5 ~ b {e = $1} END {print (s && e >= s) ? e - s : 0}'
}
ue_actor() { echo "UE $(impi "$1")"; }
three() { # $1 = FROM regex, $2 = TO regex with @ for the UE, $3 = msg, $4 = status: each of UE1..3
	local n
	for n in 1 2 3; do
		[ "$(nev "${1//@/$(ue_actor $n)}" "${2//@/$(ue_actor $n)}" "$3" "${4:-}")" -ge 1 ] ||
			return 1
	done
}

printf '\n%sRunning on 127.0.0.1%s (files in %s):\n' "$B" "$R" "$work"
printf '  bsfd     the BSF: Ub on %s, Zn on %s\n' "${UB_URL#http://}" "${ZN_URL#http://}"
printf '  bmscd    the BM-SC %s: key management on 127.0.0.1:%s, admin on %s\n' "$FQDN" "$KM_PORT" "$ADMIN"
printf '  mbms-ue  UE1, UE2, UE3 (subscribers of %s; UE3 loses rotation pushes on purpose)\n' "$SVC"
printf '           and later UE4 (not allowed to receive it); configurations from examples/demo/\n'
printf '           MTK messages go to UE1, UE2, UE3 at 127.0.0.1:%s, :%s, :%s, SRTP to :%s, :%s, :%s\n' \
	"$MTK1" "$MTK2" "$MTK3" "$SRTP1" "$SRTP2" "$SRTP3"
printf '           (no multicast on 127.0.0.1: each UE gets its own copy)\n'

# ---------------------------------------------------------------------------
step "Initiation of key management from the announcement (6.3.2.2.2)" \
	"UE1, UE2 and UE3 start. Each reads the service announcement the BM-SC publishes for $SVC: which BM-SC manages its keys, the Key Domain, which MSKs (service keys) it needs, the back-off to use. Activating the service then starts key management: bootstrap, register, ask for the MSKs — the next four steps."
for n in 1 2 3; do
	"$BIN/mbms-ue" --config "$work/ue$n.ini" --trace "$work/ue$n.trace" 2>>"$work/ue$n.log" &
	ue_pids[$n]=$!
done
if wait_for 30 all_active; then
	refresh
	CUR=$(bm 'j["key_groups"][0]["current_msk_id"]')
	seen "UE1, UE2, UE3 fetched the announcement: $(nev 'BM-SC' '^UE' '^200 announcement') × GET /announcement/${SVC//:/%3A} → 200; its keyManagementServer, $FQDN, is the BM-SC they used from then on"
	seen "the service is active on all three: each holds an MSK of Key Group $KG (MSK IDs 0x0102xxxx, Key Domain 00f110 = MCC 001 MNC 01)"
	ok
else
	fail "not every UE became active within 30 s: $(for n in 1 2 3; do ue_status $n | grep '^service'; done | tr '\n' ' ')"
fi

# ---------------------------------------------------------------------------
step "GBA bootstrap over Ub (TS 33.220)" \
	"Each UE proves to the BSF, with the secret key K of its SIM, that it is its subscriber (HTTP Digest AKA: the BSF sends a challenge RAND+AUTN, the SIM checks AUTN and answers RES). Both sides then hold Ks, which never crosses the network, and the BSF names it with a B-TID. The BM-SC gets the key for itself, Ks_NAF, from the BSF over Zn."
if ! skip_if_broken; then
	refresh
	if three '@' '^BSF$' '^GET / \(Ub\)' && three '^BSF$' '@' '^401 Digest AKA' && three '^BSF$' '@' '^200 B-TID'; then
		btid=$(events | awk -F'\t' -v u="$(ue_actor 1)" '$3 == u && $5 ~ /^200 B-TID/ {print $8; exit}')
		seen "3 bootstraps, each: GET with the IMPI → 401 AKA challenge → GET with RES → 200 B-TID (UE1's B-TID: $btid)"
		seen "the BM-SC fetched Ks_NAF for each B-TID over Zn: $(nev '^BSF$' '^BM-SC' '^200 Ks_NAF') × 200"
		ok "$(span '^GET / \(Ub\)' '^200 Ks_NAF')" "first Ub request to last Zn answer, from the traces"
	else
		fail "the traces do not show a bootstrap for each UE"
	fi
fi

# ---------------------------------------------------------------------------
step "Registration to the user service (6.3.2.2.2)" \
	"The UE tells the BM-SC which user service it wants to receive, over HTTP. HTTP Digest authenticates it and protects the body (qop=auth-int): user name = B-TID, password from Ks_NAF (the MRK). The BM-SC pushes keys only to registered UEs."
if ! skip_if_broken; then
	refresh
	if three '@' '^BM-SC' '^POST register$' && three '^BM-SC' '@' '^200 register response'; then
		seen "3 × POST /keymanagement?requesttype=register → 200; first without credentials → $(nev '^BM-SC' '^UE' '^401 Digest challenge') × 401 Digest challenge (nonce, realm 3GPP-bootstrapping@$FQDN)"
		seen "bmscd: $(bm 'j["registered_ues"]') UEs registered to $SVC"
		ok "$(span '^POST register$' '^200 register response')" "from the traces"
	else
		fail "the bmscd trace does not show three registrations"
	fi
fi

# ---------------------------------------------------------------------------
step "Basic MSK request (6.3.2.2.1)" \
	"The UE asks the BM-SC for the MSKs the announcement lists — here the current MSK of Key Group $KG (Key Number 0 means 'the current one'). The BM-SC authenticates the request, checks that the UE may have that key, answers with a status per key (200: granted, it comes as a push)."
if ! skip_if_broken; then
	refresh
	if three '@' '^BM-SC' '^POST msk-request$' && three '^BM-SC' '@' '^200 MSK response'; then
		seen "3 × POST /keymanagement?requesttype=msk-request (MSK ID 0x01020000: Key Group $KG, Key Number 0) → 200 with item status 200, and an Authentication-Info (rspauth) the UE checked"
		ok "$(span '^POST msk-request$' '^200 MSK response')" "from the traces"
	else
		fail "the bmscd trace does not show three granted MSK requests"
	fi
fi

# ---------------------------------------------------------------------------
step "MSK push with acknowledgement (6.3.2.3.1)" \
	"The BM-SC sends the MSK to each UE in a MIKEY message over UDP, encrypted and authenticated with the MUK — a key only this UE and the BM-SC share. The V bit asks for a verification message (an ack) back; without one the BM-SC sends again."
if ! skip_if_broken; then
	if wait_for 10 all_hold "$CUR" && wait_for 5 bm_ge 'j["pushes"]["acked"]' 3 && refresh &&
		three '^BM-SC' '@' '^MSK message$' && three '@' '^BM-SC' '^verification$'; then
		seen "UE1, UE2, UE3 hold MSK $(msk_words "$CUR")"
		seen "bmscd: $(bm 'j["pushes"]["sent"]') pushes, $(bm 'j["pushes"]["acked"]') acks, $(bm 'j["pushes"]["retransmitted"]') retransmissions"
		ok "$(span '^MSK message$' '^verification$')" "first push to last ack, from the traces"
	else
		fail "not every UE holds $CUR with its push acknowledged"
	fi
fi

# ---------------------------------------------------------------------------
step "MSK rotation: the next MSK pushed ahead of the switch-over (6.3.2.3.1)" \
	"Service keys live for a limited time. Ahead of the end of the current MSK the BM-SC makes the next one and pushes it to every registered UE, so that all hold it before traffic switches to it. UE3 is set up to lose such pushes (test-only fault injection), which the next step repairs."
if ! skip_if_broken; then
	acked0=$(bm 'j["pushes"]["acked"]') given0=$(bm 'j["pushes"]["given_up"]')
	NEXT=$(ctl rotate --key-group "$KG" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_msk_id"])' 2>/dev/null)
	if [ -n "$NEXT" ] && [ "$NEXT" != None ] && [ "$NEXT" != "$CUR" ] &&
		wait_for 10 holds 1 "$NEXT" && wait_for 10 holds 2 "$NEXT" &&
		wait_for 10 bm_ge 'j["pushes"]["given_up"]' $((given0 + 1)) && ! holds 3 "$NEXT" && refresh; then
		lost=$(nev "^$(ue_actor 3)$" "^$(ue_actor 3)$" '^MSK message$' '^dropped: test fault')
		seen "bmscd made the next MSK, $(msk_words "$NEXT"), and pushed it to the 3 registered UEs"
		seen "UE1 and UE2 hold it next to the current one ($(($(bm 'j["pushes"]["acked"]') - acked0)) acks)"
		seen "UE3 lost it: all $lost transmissions (the first and the retransmissions) dropped on arrival (fault injection), no ack; bmscd gave up on that push"
		ok
	else
		fail "rotation to ${NEXT:-?}: $(for n in 1 2 3; do echo "UE$n: $(ue_status $n | grep -c '^msk') MSK(s);"; done | tr '\n' ' ')"
	fi
fi

# ---------------------------------------------------------------------------
step "Missed key update: the lost push recovered (6.3.2.2.3)" \
	"At the switch-over the next MSK becomes current and the MTK messages — the short-lived traffic keys, sent to all UEs at once and protected by the MSK — start naming it. UE3 sees an MSK it does not hold, waits a random back-off (so that a whole audience does not ask at once) and asks for the current MSK itself."
if ! skip_if_broken; then
	ctl rotate --key-group "$KG" >/dev/null 2>&1
	if wait_for 10 bm_ge "int(j['key_groups'][0]['current_msk_id'] == '$NEXT')" 1 &&
		wait_for 20 holds 3 "$NEXT" && refresh && [ "$(nev "^$(ue_actor 3)$" '' '^missed key update$')" -ge 1 ]; then
		seen "switch-over: the current MSK is now $(msk_words "$NEXT")"
		seen "UE3 got an MTK message under it → missed key update → POST msk-request → 200 → MSK message → ack; UE3 holds $(msk_words "$NEXT")"
		[ "$(nev "^($(ue_actor 1)|$(ue_actor 2))$" '' '^missed key update$')" = 0 ] &&
			seen "UE1 and UE2 had the MSK already: no missed key update there"
		ok
	else
		fail "UE3 did not recover $NEXT"
	fi
fi

# ---------------------------------------------------------------------------
step "BM-SC solicited pull (6.3.2.2.4)" \
	"The BM-SC can make its UEs come and fetch keys: it sends each registered UE a trigger — a MIKEY message like an MSK push but without a key. The UE acknowledges it and, after a random back-off, runs a basic MSK request for the current MSK."
if ! skip_if_broken; then
	trig0=$(bm 'j["triggers"]["acked"]') req0=$(bm 'j["procedures"]["msk_request"]')
	acked0=$(bm 'j["pushes"]["acked"]')
	ctl solicit --service "$SVC" >/dev/null 2>&1
	if wait_for 10 bm_ge 'j["triggers"]["acked"]' $((trig0 + 3)) &&
		wait_for 10 bm_ge 'j["procedures"]["msk_request"]' $((req0 + 3)) &&
		wait_for 10 bm_ge 'j["pushes"]["acked"]' $((acked0 + 3)) && all_hold "$NEXT"; then
		seen "bmscd: 3 triggers (MSK ID 0x01020000, Key Number 0, no key), $(($(bm 'j["triggers"]["acked"]') - trig0)) acks"
		seen "then $(($(bm 'j["procedures"]["msk_request"]') - req0)) MSK requests, $(($(bm 'j["pushes"]["acked"]') - acked0)) pushes acknowledged; UE1, UE2, UE3 hold $(msk_words "$NEXT")"
		ok
	else
		fail "triggers acked $(($(bm 'j["triggers"]["acked"]') - trig0)), MSK requests $(($(bm 'j["procedures"]["msk_request"]') - req0)) (3 each expected)"
	fi
fi

# ---------------------------------------------------------------------------
step "Protected stream decrypted by the UEs (SRTP, RFC 3711)" \
	"The point of all these keys: the BM-SC encrypts the media once, for every UE, with the current MTK (SRTP). Each packet names its key in the MKI (MSK ID + MTK ID); each UE takes that MTK from the MTK messages, which the MSK protects, and decrypts. The BM-SC first makes a fresh MTK and announces it, so that every UE holds the key of the first packet; halfway through it changes the MTK again, announcing the new one before the first packet that uses it."
if ! skip_if_broken; then
	NPKT=100
	python3 "$repo/scripts/demo/make-rtp.py" "$work/source.rtpl" $NPKT
	# a new MTK now (bmscd ctl mtk): its MTK message reaches every UE at once;
	# UE3, which got the MSK late, may not have seen the current one yet
	MTK0=$(ctl mtk --key-group "$KG" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["mtk_id"])' 2>/dev/null)
	has_mtk() { ue_status "$1" | grep -qE "^msk key_domain=00f110 msk_id=$NEXT .* mtk_id=$MTK0( |\$)"; }
	mtk_ok=${MTK0:+1}
	for n in 1 2 3; do
		[ -n "$mtk_ok" ] && ! wait_for 5 has_mtk $n && mtk_ok=""
	done
	stream_done() {
		ctl stream-status 2>/dev/null | python3 -c "import json,sys; s=json.load(sys.stdin)['streams'][0]; sys.exit(0 if not s['running'] and s['sent'] == $NPKT else 1)" 2>/dev/null
	}
	decrypted() { # $1 = UE: every packet decrypted, written, and equal to the source
		python3 -c "import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s['decrypted'] == $NPKT and s['written'] == $NPKT and s['held_now'] == 0 else 1)" \
			"$work/ue$1.video.stats" 2>/dev/null && cmp -s "$work/ue$1.video.rtpl" "$work/source.rtpl"
	}
	if [ -n "$mtk_ok" ] &&
		ctl stream --session news-video --file "$work/source.rtpl" --rate 100 --mtk-every 50 \
		>"$work/stream.json" 2>&1 && wait_for 15 stream_done &&
		wait_for 10 decrypted 1 && wait_for 5 decrypted 2 && wait_for 5 decrypted 3 && refresh; then
		# which MTK protected which packets, from bmscd's trace, and whether each
		# new MTK's MTK message went out before the first packet under it
		keys=$(python3 - "$work/events.tsv" "UE 127.0.0.1:$SRTP1" $NPKT <<'PY'
import re, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
dest, n = sys.argv[2], int(sys.argv[3])
runs, early = [], True
for i, r in enumerate(rows):
    if r[4] == "SRTP packets" and r[2] == dest:
        m = re.search(r"from packet (\d+) on", r[9])
        runs.append((int(m.group(1)) if m else 0, r[8], r[6]))
        if len(runs) > 1 and not any(x[4] == "MTK message" and x[8] == r[8] and x[6] == r[6]
                                     for x in rows[:i]):
            early = False
parts = []
for k, (first, mtk, msk) in enumerate(runs):
    last = runs[k + 1][0] if k + 1 < len(runs) else n
    parts.append("packets %d-%d under MTK %s of MSK 0x%s" % (first + 1, last, mtk, msk))
print(", ".join(parts) + ("; each new MTK's MTK message went out before its first packet"
                          if len(runs) > 1 and early else ""))
PY
)
		seen "bmscd made a fresh MTK, MTK $MTK0 (bmscd ctl mtk); its MTK message reached UE1, UE2, UE3"
		seen "bmscd sent $NPKT SRTP packets (AES_CM_128_HMAC_SHA1_80, MKI = MSK ID + MTK ID) to each of the 3 UEs: $keys"
		seen "UE1, UE2, UE3 decrypted $NPKT of $NPKT each, none dropped; what each wrote equals the source file byte for byte"
		ok
	else
		fail "MTK ${MTK0:-?} held by all: ${mtk_ok:-no}; stream: $(ctl stream-status 2>/dev/null); $(for n in 1 2 3; do echo "UE$n: $(cat "$work/ue$n.video.stats" 2>/dev/null)"; done)"
	fi
fi

# ---------------------------------------------------------------------------
step "An unauthorised UE leaves the service (6.3.2.2.1, 6.3.2.2.2)" \
	"UE4 is a subscriber of the operator — it bootstraps like the others — but not of this service. The BM-SC refuses its registration (403). Holding no MSK and able to get none, the UE leaves the service (a one-shot run then exits 3)."
if ! skip_if_broken; then
	# (UE4 names its trace file in its configuration: trace = ue4.trace)
	"$BIN/mbms-ue" --config "$work/ue4.ini" --once --timeout 20 2>>"$work/ue4.log" &
	ue4_pid=$!
	wait "$ue4_pid"
	rc4=$?
	ue4_pid=""
	refresh
	if [ "$rc4" = 3 ] && ue_status 4 | grep -q "^service $SVC state=left" &&
		! ue_status 4 | grep -q '^msk ' &&
		[ "$(nev '^BSF$' "^$(ue_actor 4)$" '^200 B-TID')" -ge 1 ] &&
		[ "$(nev '^BM-SC' "^$(ue_actor 4)$" '^200 register response')" -ge 1 ] &&
		[ "$(nev "^$(ue_actor 4)$" '' '^left the service$')" -ge 1 ] &&
		grep -q "register impi=$(impi 4) .*1 403" "$work/bmscd.log"; then
		seen "UE4 bootstrapped (200 B-TID) and sent POST register: the answer carries status 403 for $SVC"
		seen "UE4: $(ue_status 4 | sed -n 's/^service [^ ]* //p'); it holds no MSK and exited with 3"
		seen "bmscd still has $(bm 'j["registered_ues"]') UEs registered"
		ok
	else
		fail "UE4 exited with $rc4 (3 expected): $(ue_status 4 | grep '^service')"
	fi
fi

# ---------------------------------------------------------------------------
printf '\n%sMessage flow%s\n' "$B" "$R"
# The picture shows everything that happened: the daemons write their last
# events (acks in flight, stream statistics) when they stop, so stop them first.
stop_daemons
refresh
nevents=$(events | wc -l)
title="mbmssec demo: bootstrap, registration, MSK request, push, rotation, missed key update, solicited pull, SRTP stream, unauthorised UE"
svg_ok=""
if "$BIN/mbmssec" trace "$work"/bsf.trace "$work"/bmsc.trace "$work"/ue*.trace --svg "$svg" \
	--title "$title" >/dev/null 2>"$work/trace.err"; then
	svg_ok=1
	say "The traces of bsfd, bmscd and the four mbms-ue (--trace FILE: JSON lines, key IDs but never keys) merged into one sequence diagram of $nevents messages, lifelines UE | BM-SC | BSF:"
	printf '      %s%s%s\n' "$B" "$svg" "$R"
	say "(mbmssec trace $work/*.trace --text prints the same as text; docs/trace.md)"
else
	printf '    %s✘ mbmssec trace failed: %s%s\n' "$RED" "$(tail -n 1 "$work/trace.err")" "$R"
fi

# ---------------------------------------------------------------------------
total=$(($(now_ms) - demo_t0))
printf '\n%sSummary%s\n' "$B" "$R"
printf '  %-3s %-72s %s  %s\n' "#" "procedure" "result" "time"
failed=0
for i in "${!names[@]}"; do
	r=${results[$i]}
	case $r in
		✔) col=$G ;;
		*) col=$RED; failed=$((failed + 1)) ;;
	esac
	printf '  %-3s %-72s %s%s%s       %s\n' "$((i + 1))" "${names[$i]}" "$col" "$r" "$R" "${times[$i]}"
done
passed=0
for r in "${results[@]}"; do
	[ "$r" = ✔ ] && passed=$((passed + 1))
done
[ -z "$svg_ok" ] && failed=$((failed + 1))
printf '\n%d of %d steps passed, %d failed; %s in all\n' \
	"$passed" "${#names[@]}" "$failed" "$(fmt_ms "$total")"
if [ "$failed" -eq 0 ] && [ "${#names[@]}" -eq "$NSTEPS" ]; then
	printf '%s✔ demo passed%s\n' "$G" "$R"
	exit 0
fi
printf '%s✘ demo failed%s\n' "$RED" "$R"
exit 1
