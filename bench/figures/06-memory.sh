#!/usr/bin/env bash
# Figure 6: memory of the running daemons, VmRSS read from /proc/PID/status
# of the real processes (Release build):
#   - bmscd with 1,000,000 registered UEs: provisioned into its database
#     with mbms-loadgen provision (registering a million UEs over HTTP takes
#     longer than a benchmark may) and restored through the core at start,
#     as after any restart; target <= 512 MB; baseline: the same bmscd idle
#   - mbms-ue holding keys: bootstrapped, registered, current MSK held
#     (a one-service daemon run); target <= 8 MB. Its HTTP runs in the
#     helper mbms-ue-http, one short-lived process per exchange (docs/ue.md
#     "The HTTP helper"): the helper's peak RSS (ru_maxrss) and the wall time
#     of an exchange through it are a detail line, so the transient cost is
#     shown next to the steady state
#   - bsfd and bmscd idle (empty databases, listening); target <= 32 MB each
set -euo pipefail
. "$BENCH_SRC/bench/daemons.sh"
N=${BENCH_MEMORY_UES:-1000000}
K=465b5ce8b199b49faa5f0a2ee238a6bc
OPC=cd63cb71954a9f4e48a5994e37a02baf
IMPI=001019990000001@ims.mnc001.mcc001.3gppnetwork.org
bd_init
cd "$BD"
settle() { sleep 0.5; }

# ---- idle daemons ----
bd_bsf_ini bsf.ini
"$BENCH_BIN/bsfd" subscriber add --config bsf.ini --impi "$IMPI" --k "$K" --opc "$OPC" >/dev/null
bd_start_bsfd bsf.ini
bd_bmsc_ini bmsc.ini "$BD_ZN"
bd_start_bmscd bmsc.ini bmscd.idle.log
settle
BSF_IDLE=$(bd_rss_kb "$BD_BSF_PID")
BMSC_IDLE=$(bd_rss_kb "$BD_BMSC_PID")

# ---- one mbms-ue holding keys ----
NEWS_ENC=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$BD_SERVICE")
cat >ue.ini <<EOF
[ue]
state = ue.state
[usim]
impi = $IMPI
k = $K
opc = $OPC
sqn_state = ue.sqn
[bsf]
url = http://127.0.0.1:$BD_UB
host = $BD_BSF_HOST
[net]
mikey_listen = 127.0.0.1:0
mtk_listen = off
resolve = $BD_FQDN:$BD_KM:127.0.0.1
[service "$BD_SERVICE"]
announcement_url = http://$BD_FQDN:$BD_KM/announcement/$NEWS_ENC
EOF
chmod 600 ue.ini
"$BENCH_BIN/mbms-ue" --config ue.ini --timeout 60 2>ue.log &
UE_PID=$!
BD_PIDS+=("$UE_PID")
UE_RSS=""
for _ in $(seq 1 200); do
	if "$BENCH_BIN/mbms-ue" status --config ue.ini 2>/dev/null | grep -q "state=active"; then
		settle
		UE_RSS=$(bd_rss_kb "$UE_PID")
		UE_PSS=$(sed -n 's/^Pss:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$UE_PID/smaps_rollup")
		UE_PRIV=$(sed -n 's/^Private_Dirty:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$UE_PID/smaps_rollup")
		UE_SHARED=$(sed -n 's/^Shared_Clean:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$UE_PID/smaps_rollup")
		UE_LIBS=$(grep -o '[^/]*\.so[.0-9]*$' "/proc/$UE_PID/maps" | sort -u | wc -l)
		UE_THREADS=$(sed -n 's/^Threads:[[:space:]]*\([0-9]*\)/\1/p' "/proc/$UE_PID/status")
		cp "/proc/$UE_PID/smaps" ue.smaps # where the RSS is, by library group
		break
	fi
	kill -0 "$UE_PID" 2>/dev/null || break
	sleep 0.05
done
UE_MSKS=$("$BENCH_BIN/mbms-ue" status --config ue.ini 2>/dev/null | grep -c '^msk ' || true)
# The helper on real requests to the running bmscd (the announcement GET the
# UE makes first): peak RSS and wall time of each run, median of 20; and the
# start alone (a malformed request: exec and libcurl's tree loaded, no
# transfer) for the share of a run that is the process start.
UEH=$(HELPER="$BENCH_BIN/mbms-ue-http" URL="http://$BD_FQDN:$BD_KM/announcement/$NEWS_ENC" \
	RESOLVE="$BD_FQDN:$BD_KM:127.0.0.1" python3 - <<'PYEOF'
import os, resource, statistics, subprocess, time
def rec(tag, b):
    return tag + b" %d\n" % len(b) + b + b"\n"
req = (b"mbms-ue-http request 1\n" + rec(b"M", b"GET") + rec(b"U", os.environ["URL"].encode()) +
       rec(b"T", b"15") + rec(b"L", b"65536") + rec(b"H", b"User-Agent: mbmssec-bench 3gpp-gba") +
       rec(b"R", os.environ["RESOLVE"].encode()) + rec(b"B", b"") + rec(b"E", b""))
def run(data):
    t = time.perf_counter()
    p = subprocess.run([os.environ["HELPER"]], input=data, capture_output=True)
    return (time.perf_counter() - t) * 1000, p
def peak_kb(data):  # ru_maxrss of one child, alone in a fresh process
    code = ("import resource,subprocess,sys;d=sys.stdin.buffer.read();"
            "subprocess.run([sys.argv[1]],input=d,capture_output=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    return int(subprocess.run(["python3", "-c", code, os.environ["HELPER"]], input=data,
                              capture_output=True).stdout)
ok = [run(req) for _ in range(20)]
good = sum(1 for _, p in ok if p.returncode == 0 and b"\nS 3\n200\n" in p.stdout)
start = [run(b"x")[0] for _ in range(20)]
print(round(statistics.median(t for t, _ in ok), 2), round(statistics.median(start), 2),
      peak_kb(req), peak_kb(b"x"), good)
PYEOF
)
read -r UEH_MS UEH_START_MS UEH_PEAK UEH_START_PEAK UEH_OK <<<"${UEH:-0 0 0 0 0}"
bd_stop "$UE_PID"
bd_stop "$BD_BMSC_PID"
bd_stop "$BD_BSF_PID"

# ---- bmscd with N registered UEs ----
t0=$EPOCHREALTIME
"$BENCH_BIN/mbms-loadgen" provision --plan plan.txt --bmsc-db bmsc.db -n "$N" \
	--udp-sockets 64 --udp-base 40000 >&2
t1=$EPOCHREALTIME
bd_start_bmscd bmsc.ini bmscd.full.log
t2=$EPOCHREALTIME
settle
FULL=$(bd_rss_kb "$BD_BMSC_PID")
HWM=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$BD_BMSC_PID/status")
ROWS=$(sed -n 's/.*(\([0-9]*\) row(s) restored).*/\1/p' bmscd.full.log | head -n1)
REG=$(sed -n 's/.*UE(s) restored (\([0-9]*\) registered).*/\1/p' bmscd.full.log | head -n1)
bd_stop "$BD_BMSC_PID"

N="$N" BSF_IDLE="$BSF_IDLE" BMSC_IDLE="$BMSC_IDLE" UE_RSS="${UE_RSS:-0}" UE_MSKS="$UE_MSKS" \
UE_PSS="${UE_PSS:-0}" UE_PRIV="${UE_PRIV:-0}" UE_SHARED="${UE_SHARED:-0}" UE_LIBS="${UE_LIBS:-0}" \
UE_THREADS="${UE_THREADS:-0}" UE_SMAPS="$BD/ue.smaps" \
UEH_MS="$UEH_MS" UEH_START_MS="$UEH_START_MS" UEH_PEAK="$UEH_PEAK" UEH_START_PEAK="$UEH_START_PEAK" \
UEH_OK="$UEH_OK" \
FULL="$FULL" HWM="$HWM" ROWS="${ROWS:-0}" REG="${REG:-0}" T0="$t0" T1="$t1" T2="$t2" python3 - <<'EOF'
import json, os, re
e = os.environ

# mbms-ue's RSS summed per mapping, then per group (docs/ue.md "Memory")
def ue_groups(path):
    groups = [("libcrypto", r"libcrypto\.so"),
              ("libc+ld.so", r"libc\.so|ld-linux|\[vdso\]|\[vvar"),
              ("libcurl+libssl", r"libcurl|libssl\.so"),
              ("libsrtp2+NSS", r"libsrtp2|libnss|libnspr|libplc4|libplds4|libsoftokn|libfreebl"),
              ("libevent+expat", r"libevent|libexpat"),
              ("mbms-ue", r"/mbms-ue$"),
              ("heap+stack+anon", r"^$|^\[")]
    kb, other, cur = {}, set(), None
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return ""
    for line in lines:
        m = re.match(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$", line)
        if m:
            name = m.group(1)
            cur = next((g for g, rx in groups if re.search(rx, name)), None)
            if cur is None:  # libcurl's Debian dependency tree (gnutls, krb5, ldap, ...)
                cur = "libcurl's dependencies"
                other.add(os.path.basename(name))
        elif line.startswith("Rss:") and cur:
            kb[cur] = kb.get(cur, 0) + int(line.split()[1])
    order = [g for g, _ in groups[:3]] + ["libcurl's dependencies"] + [g for g, _ in groups[3:]]
    return ", ".join("%s %.1f" % (g if g != "libcurl's dependencies" else
                                  "libcurl's %d dependencies" % len(other), kb.get(g, 0) / 1024.0)
                     for g in order)
n = int(e["N"])
mb = lambda kb: int(kb) / 1024.0
full, idle, hwm = mb(e["FULL"]), mb(e["BMSC_IDLE"]), mb(e["HWM"])
per_ue = (int(e["FULL"]) - int(e["BMSC_IDLE"])) * 1024.0 / n
reg = int(e["REG"])
print(json.dumps({
    "kind": "figure", "id": 6,
    "title": "bmscd memory with %s registered UEs" % format(n, ","),
    "unit": "MB",
    "ours_name": "VmRSS of the running bmscd after restoring %s registered UEs (provisioned into "
                 "its database with mbms-loadgen provision)" % format(n, ","),
    "baseline_name": "VmRSS of the same bmscd idle (empty database)",
    "ours_ns": full, "baseline_ns": idle,
    "ours_value": round(full, 1), "target_kind": "absolute", "target_unit": "MB",
    "ours_text": "%.0f MB (%.0f B per UE)" % (full, per_ue),
    "baseline_text": "%.1f MB" % idle,
    "ratio": full / idle, "ratio_meaning": "RSS with the UEs / RSS idle",
    "target_op": "<=", "target": 512, "reps": 1,
    "details": [
        "peak during the restore (VmHWM): %.0f MB; restored %s registered UE(s) (%s rows)" %
        (hwm, format(reg, ","), format(int(e["ROWS"]), ",")),
        "provisioning %.1f s (mbms-loadgen provision), bmscd start with the restore %.1f s" %
        (float(e["T1"]) - float(e["T0"]), float(e["T2"]) - float(e["T1"])),
    ]}))
rows = [
    ("bmscd with %s registered UEs" % format(n, ","), full, 512, "restored at start; %.0f B per UE" % per_ue),
    ("mbms-ue holding keys (bootstrapped, registered, %s MSK(s))" % e["UE_MSKS"],
     mb(e["UE_RSS"]), 8, "one service, daemon run, %s thread(s); of it %.1f MB private (dirty), "
     "%.1f MB shared library pages (%s libraries mapped), PSS %.1f MB; by group, MB: %s. "
     "No libcurl in it: HTTP runs in the helper mbms-ue-http (docs/ue.md \"Memory\")" % (e["UE_THREADS"], mb(e["UE_PRIV"]), mb(e["UE_SHARED"]), e["UE_LIBS"],
                      mb(e["UE_PSS"]), ue_groups(e["UE_SMAPS"]))),
    ("mbms-ue-http, the UE's HTTP helper, while it runs (peak)", mb(e["UEH_PEAK"]), None,
     "transient: one process per HTTP exchange (Ub GET, key-management POST), gone after it; "
     "peak RSS (ru_maxrss) on a real request to bmscd (the announcement GET), %s of 20 answered "
     "200; an exchange through it %.1f ms wall (median of 20), of which the process start "
     "(exec, libcurl and its tree loaded, no transfer; peak %.1f MB) %.1f ms" %
     (e["UEH_OK"], float(e["UEH_MS"]), mb(e["UEH_START_PEAK"]), float(e["UEH_START_MS"]))),
    ("bsfd idle", mb(e["BSF_IDLE"]), 32, "listening, one subscriber"),
    ("bmscd idle", idle, 32, "listening, empty database"),
]
for name, v, t, note in rows:
    m = {"kind": "measure", "group": "memory", "name": name, "value": round(v, 1), "unit": "MB",
         "note": note}
    if t is not None:
        m.update({"target_op": "<=", "target": t})
    print(json.dumps(m))
ok = reg >= n and int(e["UE_RSS"]) > 0 and int(e["UEH_OK"]) > 0  # + the mbms-ue of this run
raise SystemExit(0 if ok else 1)
EOF
