#!/usr/bin/env bash
# mbmssec benchmark suite (issue #9). `make bench` runs it as
#   bash bench/run.sh BUILD
# It installs what the baselines need when missing (GStreamer's libgstsdp for
# figure 3, python3 for the report), configures its own Release (-O2) build in
# BUILD-rel with -DMBMS_BENCH=ON, builds the benchmark programs, runs every
# figure provider bench/figures/*.sh in name order, and writes
# docs/benchmarks.md and bench/results.json (bench/report.py).
#
# A figure provider is a script that prints JSON lines on stdout (records of
# kind "figure" or "info", see bench/util.h and bench/report.py). It gets:
#   BENCH_BIN    the bin/ directory of the Release build
#   BENCH_BUILD  the Release build directory
#   BENCH_SRC    the source tree
#   BENCH_PIN    a command prefix that pins to one CPU ("taskset -c N", or empty)
# To add figures, add bench/figures/NN-name.sh (and bench/bench_*.c programs,
# built automatically). Figures that could not run are reported as "not run".
#
# Environment: BENCH_REPS (rounds per figure, default 11, minimum 5),
# BENCH_SECONDS (length of one timed run, default 0.2), BENCH_NO_INSTALL=1
# (never call apt-get), BENCH_ONLY=glob (run only matching providers).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
build=${1:-build}
rel="${build%/}-rel"
out_json=bench/results.json
out_md=docs/benchmarks.md
t_start=$(date +%s)

log() { printf 'bench: %s\n' "$*" >&2; }

# ---- what the baselines need (Debian packages) ----
need=()
pkg-config --exists gstreamer-sdp-1.0 2>/dev/null || need+=(libgstreamer-plugins-base1.0-dev)
command -v python3 >/dev/null 2>&1 || need+=(python3)
[ -x /usr/bin/time ] || need+=(time) # CPU of the load generator (figure 5)
if [ ${#need[@]} -gt 0 ]; then
	if [ "${BENCH_NO_INSTALL:-0}" = 1 ]; then
		log "missing ${need[*]} (BENCH_NO_INSTALL=1: not installing)"
	else
		log "installing ${need[*]}"
		if [ "$(id -u)" -eq 0 ]; then
			SUDO=()
		elif command -v sudo >/dev/null 2>&1; then
			SUDO=(sudo)
		else
			SUDO=(false)
		fi
		if ! { "${SUDO[@]}" apt-get update -qq &&
			"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends "${need[@]}"; } >&2; then
			log "could not install ${need[*]}: figures that need them are reported as not run"
		fi
	fi
fi
if ! command -v python3 >/dev/null 2>&1; then
	log "python3 is needed to write the report"
	exit 1
fi

# ---- a Release build of the library and the benchmark programs ----
log "configuring $rel (Release, -O2, MBMS_BENCH=ON)"
mkdir -p "$rel"
cmake -S . -B "$rel" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG" \
	-DMBMS_BENCH=ON -DMBMS_TESTS=OFF -DMBMS_SANITIZE=OFF -DMBMS_FUZZ=OFF >"$rel/bench-configure.log" 2>&1 ||
	{ cat "$rel/bench-configure.log" >&2; exit 1; }
cmake --build "$rel" -j "$(nproc 2>/dev/null || echo 2)" --target bench-programs >"$rel/bench-build.log" 2>&1 ||
	{ tail -n 40 "$rel/bench-build.log" >&2; exit 1; }

# ---- one CPU, the same for every figure ----
pin=""
if command -v taskset >/dev/null 2>&1; then
	cpu=$(($(nproc) - 1))
	if taskset -c "$cpu" true 2>/dev/null; then
		pin="taskset -c $cpu"
	fi
fi

export BENCH_BIN="$src/$rel/bin" BENCH_BUILD="$src/$rel" BENCH_SRC="$src" BENCH_PIN="$pin"

# ---- machine ----
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
cpu_model=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n1)
openssl_version=$(pkg-config --modversion libcrypto 2>/dev/null || echo "?")
if command -v openssl >/dev/null 2>&1; then
	openssl_version=$(openssl version 2>/dev/null | sed 's/ (Library.*//')
fi
M_CPU="$cpu_model" M_CORES="$(nproc 2>/dev/null || echo 0)" \
M_ONLINE="$(cat /sys/devices/system/cpu/online 2>/dev/null || echo '?')" \
M_OPENSSL="$openssl_version" \
M_GST="$(pkg-config --modversion gstreamer-sdp-1.0 2>/dev/null || echo 'not installed')" \
M_CC="$(${CC:-cc} --version 2>/dev/null | head -n1)" M_KERNEL="$(uname -sr)" M_PIN="${pin:-no}" \
M_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)" M_BUILD="$rel (CMAKE_BUILD_TYPE=Release, -O2)" \
M_LOAD="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')" \
	python3 -c '
import json, os, sys
e = os.environ
print(json.dumps({"kind": "machine", "cpu": e["M_CPU"] or "unknown", "cores": int(e["M_CORES"]),
	"online_cpus": e["M_ONLINE"], "openssl": e["M_OPENSSL"], "gstreamer_sdp": e["M_GST"],
	"compiler": e["M_CC"], "kernel": e["M_KERNEL"], "pinned": e["M_PIN"], "date": e["M_DATE"],
	"build": e["M_BUILD"], "reps": max(5, int(e.get("BENCH_REPS") or 11)),
	"loadavg_start": e["M_LOAD"],
	"seconds_per_run": float(e.get("BENCH_SECONDS") or 0.2)}))' >>"$raw"

# ---- figures ----
status=0
for provider in bench/figures/*.sh; do
	name=$(basename "$provider" .sh)
	case "$name" in ${BENCH_ONLY:-*}) ;; *) continue ;; esac
	log "running $name"
	t0=$(date +%s)
	if ! bash "$provider" >>"$raw" 2>"$rel/$name.log"; then
		log "$name failed (see $rel/$name.log)"
		tail -n 5 "$rel/$name.log" >&2 || true
		python3 -c 'import json,sys; print(json.dumps({"kind":"error","provider":sys.argv[1],"log":open(sys.argv[2]).read()[-2000:]}))' \
			"$name" "$rel/$name.log" >>"$raw"
		status=1
	fi
	log "$name took $(($(date +%s) - t0)) s"
done

# the machine's load during the run: other processes share these VMs
python3 -c 'import json,sys; print(json.dumps({"kind":"load","loadavg_end":sys.argv[1]}))' \
	"$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')" >>"$raw"
cp "$raw" "$rel/bench-raw.jsonl" # the providers' records, for a look afterwards
python3 bench/report.py "$raw" "$out_json" "$out_md" "$(($(date +%s) - t_start))"
log "wrote $out_md and $out_json in $(($(date +%s) - t_start)) s"
exit $status
