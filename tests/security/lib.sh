# Shared helpers of the security and fault-injection tests
# (tests/security/test_sec_*.sh, tests/integration/test_fault_*.sh).
# Source it after setting TEST_NAME; it sets up:
#   WORK    $MBMS_BUILD/test-logs/$TEST_NAME (emptied first, kept afterwards:
#           logs, configs, databases -- the secrets scan reads it)
#   fail/pass, cleanup of every process started through start_bg,
#   daemon starters that read the real ports (listeners on port 0) from the
#   start-up log, status/JSON helpers, RSS, the secrets scan.
# Every daemon listens on 127.0.0.1 only.

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
SRC=${MBMS_SRC:?MBMS_SRC must name the source directory}
BUILD=${MBMS_BUILD:-$(dirname "$BIN")}
BSFD=$BIN/bsfd
BMSCD=$BIN/bmscd
UE=$BIN/mbms-ue
TUE=$BIN/bmsc_test_ue
CLI=$BIN/mbmssec
SEAL=$BIN/sec_mikey_seal

WORK=$BUILD/test-logs/${TEST_NAME:?TEST_NAME must be set}
rm -rf "$WORK"
mkdir -p "$WORK"
chmod 700 "$WORK"

# Heavy tests scale down under ASan+UBSan (the SANITIZE=1 build is build-asan,
# or MBMS_SANITIZED=1 is set by hand).
SANITIZED=0
case "$BUILD" in *asan*) SANITIZED=1 ;; esac
[ -n "${MBMS_SANITIZED:-}" ] && SANITIZED=1

BG_PIDS=()
cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	for p in "${BG_PIDS[@]}"; do
		[ -n "$p" ] && wait "$p" 2>/dev/null
	done
	return 0
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	local f
	for f in "$WORK"/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f (last 15 lines):" >&2
		tail -n 15 "$f" >&2
	done
	exit 1
}
pass() { echo "ok - $*"; }
note() { echo "# $*"; }

need() {
	local f
	for f in "$@"; do
		[ -x "$f" ] || command -v "$f" >/dev/null 2>&1 || fail "needed: $f"
	done
}

# Forget a background process we stopped ourselves.
forget() {
	local i
	for i in "${!BG_PIDS[@]}"; do
		[ "${BG_PIDS[$i]}" = "$1" ] && BG_PIDS[$i]=""
	done
}

wait_for() { # $1 = seconds, then a command; polls every 0.1 s
	local t=$1
	shift
	local i
	for i in $(seq 1 $((t * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

free_udp_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
free_tcp_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
alive() { kill -0 "$1" 2>/dev/null; }

BSF_HOST=bsf.mnc001.mcc001.pub.3gppnetwork.org
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
impi_of() { printf '0010100000%05d@ims.mnc001.mcc001.3gppnetwork.org' "$1"; }

# ---- bsfd ----
# write_bsf_ini NAF_FQDN ZN_SECRET [KEY_LIFETIME] [UB_PORT ZN_PORT]
write_bsf_ini() {
	cat >"$WORK/bsf.ini" <<EOF
[bsf]
listen = 127.0.0.1:${4:-0}
zn_listen = 127.0.0.1:${5:-0}
host = $BSF_HOST
db = bsf.db
key_lifetime = ${3:-3600}
purge_interval = 1
log_level = debug
[naf "$1"]
secret = "$2"
EOF
	chmod 600 "$WORK/bsf.ini"
}
add_subscribers() { # n...
	local n
	for n in "$@"; do
		"$BSFD" subscriber add --impi "$(impi_of "$n")" --k "$K" --opc "$OPC" \
			--config "$WORK/bsf.ini" >/dev/null || fail "bsfd subscriber add $n"
	done
}
BSF_PID=""
BSF_STARTS=0
start_bsfd() { # sets UB ZN (URLs), BSF_PID, BSF_LOG
	BSF_STARTS=$((BSF_STARTS + 1))
	BSF_LOG=$WORK/bsfd.$BSF_STARTS.log
	"$BSFD" --config "$WORK/bsf.ini" 2>"$BSF_LOG" &
	BSF_PID=$!
	BG_PIDS+=("$BSF_PID")
	local line=""
	for _ in $(seq 1 150); do
		line=$(grep -m1 ' Ub on ' "$BSF_LOG" 2>/dev/null || true)
		[ -n "$line" ] && break
		alive "$BSF_PID" || fail "bsfd exited at start-up"
		sleep 0.1
	done
	[ -n "$line" ] || fail "bsfd did not start"
	UB_PORT=$(echo "$line" | sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
	ZN_PORT=$(echo "$line" | sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
	UB=http://127.0.0.1:$UB_PORT
	ZN=http://127.0.0.1:$ZN_PORT
}
stop_bsfd() {
	kill "$BSF_PID" 2>/dev/null
	wait "$BSF_PID" 2>/dev/null
	forget "$BSF_PID"
	BSF_PID=""
}

# ---- bmscd ----
# start_bmscd INI [TAG]: sets KM_PORT KM ADMIN BM_MIKEY_PORT BM_PID BM_LOG
BM_STARTS=0
start_bmscd() {
	BM_STARTS=$((BM_STARTS + 1))
	BM_LOG=$WORK/bmscd${2:-}.$BM_STARTS.log
	"$BMSCD" --config "$1" 2>"$BM_LOG" &
	BM_PID=$!
	BG_PIDS+=("$BM_PID")
	local line=""
	for _ in $(seq 1 300); do
		line=$(grep -m1 ' key management on ' "$BM_LOG" 2>/dev/null || true)
		[ -n "$line" ] && break
		alive "$BM_PID" || fail "bmscd exited at start-up: $(tail -n 3 "$BM_LOG")"
		sleep 0.1
	done
	[ -n "$line" ] || fail "bmscd did not report its ports"
	KM_PORT=$(echo "$line" | sed -n 's/.*key management on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
	ADMIN=127.0.0.1:$(echo "$line" | sed -n 's/.*admin on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
	BM_MIKEY_PORT=$(echo "$line" | sed -n 's/.*MIKEY on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
	KM=http://127.0.0.1:$KM_PORT
}
ctl() { "$BMSCD" ctl --admin "$ADMIN" "$@"; }
bm_field() { # python expression on the status object j
	ctl status 2>/dev/null | python3 -c "import json,sys; j=json.load(sys.stdin); print($1)" 2>/dev/null
}
bm_is() { [ "$(bm_field "$1")" = "$2" ]; }

# ---- mbms-ue ----
# write_ue_ini N FQDN KM_PORT SERVICE [EXTRA_LINES]: UE N's config
write_ue_ini() {
	local enc
	enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$4")
	cat >"$WORK/ue$1.ini" <<EOF
[ue]
state = ue$1.state
log_level = debug
push_timeout_ms = 3000
max_attempts = ${UE_MAX_ATTEMPTS:-8}
retry_floor_ms = 300
mku_min_interval_ms = 1000
[usim]
impi = $(impi_of "$1")
k = $K
opc = $OPC
sqn_state = ue$1.sqn
[bsf]
url = $UB
host = $BSF_HOST
[net]
mikey_listen = 127.0.0.1:0
mtk_listen = 127.0.0.1:${UE_MTK_PORT:-0}
resolve = $2:$3:127.0.0.1
[service "$4"]
announcement_url = http://$2:$3/announcement/$enc
${5:-}
EOF
	chmod 600 "$WORK/ue$1.ini"
}
declare -a UE_PIDS
start_ue() { # N
	"$UE" --config "$WORK/ue$1.ini" 2>>"$WORK/ue$1.log" &
	UE_PIDS[$1]=$!
	BG_PIDS+=("$!")
}
stop_ue() {
	local p=${UE_PIDS[$1]}
	kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	forget "$p"
	UE_PIDS[$1]=""
}
ue_status() { "$UE" status --config "$WORK/ue$1.ini" 2>/dev/null; }
ue_holds() { ue_status "$1" | grep -q "^msk key_domain=00f110 msk_id=$2 "; }
ue_active() { ue_status "$1" | grep -q "^service .* state=active"; }
ue_port() { # N: the MIKEY port UE N logged at start
	sed -n 's/.*MIKEY on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/ue$1.log" | tail -n1
}

# ---- secrets ----
# scan_secrets: no key of any key store, database or configuration under
# $WORK may appear in any log or trace under $WORK -- in lower- or
# upper-case hex or in base64. Key files must be mode 0600.
scan_secrets() {
	python3 "$SRC/tests/security/scan_secrets.py" "$WORK" "$@" || fail "secrets scan"
}
