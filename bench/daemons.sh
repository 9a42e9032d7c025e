# Helpers for the figure providers that run the daemons (figures 4-7):
# sourced, not run. Everything listens on 127.0.0.1 (ports picked by the
# kernel and read back from the logs), lives in one temporary directory
# and is stopped when the provider exits. Processes are stopped by the PIDs
# started here, nothing else.
#   bd_init                  work directory $BD, cleanup trap
#   bd_bsf_ini FILE          a bsfd configuration (NAF = $BD_FQDN)
#   bd_bmsc_ini FILE ZNPORT [log_level] [extra [push] lines]
#   bd_start_bsfd INI        -> BD_BSF_PID, BD_UB, BD_ZN (ports)
#   bd_start_bmscd INI       -> BD_BMSC_PID, BD_KM, BD_ADMIN (ports)
#   bd_stop PID              SIGTERM and wait
#   bd_rss_kb PID            VmRSS in KiB
#   bd_free_tcp_port         a free TCP port on 127.0.0.1

BD_FQDN=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
BD_BSF_HOST=bsf.mnc001.mcc001.pub.3gppnetwork.org
BD_SERVICE=urn:example:mbms:news
BD_ZN_SECRET=bench-zn-secret
BD_PIDS=()

bd_cleanup() {
	local p
	for p in "${BD_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${BD_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	[ -n "${BD:-}" ] && rm -rf "$BD"
}

bd_init() {
	BD=$(mktemp -d)
	trap bd_cleanup EXIT
}

bd_bsf_ini() {
	cat >"$1" <<EOF
[bsf]
listen = 127.0.0.1:${BD_UB_LISTEN_PORT:-0}
zn_listen = 127.0.0.1:0
host = $BD_BSF_HOST
db = ${BD_BSF_DB:-bsf.db}
key_lifetime = 86400
log_level = ${2:-info}
[naf "$BD_FQDN"]
secret = $BD_ZN_SECRET
EOF
	chmod 600 "$1"
}

bd_bmsc_ini() {
	cat >"$1" <<EOF
[bmsc]
fqdn = $BD_FQDN
mcc = 001
mnc = 01
listen = 127.0.0.1:${BD_KM_LISTEN_PORT:-0}
admin_listen = 127.0.0.1:0
mikey_listen = 127.0.0.1:0
db = bmsc.db
log_level = ${3:-info}
[zn]
url = http://127.0.0.1:$2
secret = $BD_ZN_SECRET
[push]
${4:-}
[key_group "258"]
msk_lifetime = 1d
lead_time = 1h
[service "$BD_SERVICE"]
key_groups = 258
subscribers = *
EOF
	chmod 600 "$1"
}

# wait for a line in a log; $3 = pid that must stay alive
bd_wait_log() {
	local i
	for i in $(seq 1 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || { echo "daemon exited: $(tail -n 5 "$1")" >&2; return 1; }
		sleep 0.05
	done
	echo "timeout waiting for '$2' in $1" >&2
	return 1
}

bd_start_bsfd() {
	local log=${2:-$BD/bsfd.log}
	"$BENCH_BIN/bsfd" --config "$1" 2>"$log" &
	BD_BSF_PID=$!
	BD_PIDS+=("$BD_BSF_PID")
	bd_wait_log "$log" ' Ub on ' "$BD_BSF_PID" || return 1
	BD_UB=$(sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)
	BD_ZN=$(sed -n 's/.*Zn on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)
}

bd_start_bmscd() {
	local log=${2:-$BD/bmscd.log}
	"$BENCH_BIN/bmscd" --config "$1" 2>"$log" &
	BD_BMSC_PID=$!
	BD_PIDS+=("$BD_BMSC_PID")
	bd_wait_log "$log" ' key management on ' "$BD_BMSC_PID" || return 1
	BD_KM=$(sed -n 's/.*key management on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)
	BD_ADMIN=$(sed -n 's/.*admin on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)
}

bd_stop() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

bd_rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

bd_free_tcp_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
