#!/usr/bin/env bash
# The end-to-end demo (scripts/demo.sh, `./run.sh demo`) run non-interactively:
#   * exit status 0, under 60 s, no colour codes without a terminal (and on
#     a terminal: colours, none with NO_COLOR);
#   * the summary: ten procedure rows, each ✔, "✔ demo passed";
#   * the merged trace of the run (bsfd, bmscd, four mbms-ue) holds every
#     procedure: bootstrap, register, MSK request, push, ack, rotation push,
#     the lost push, missed key update + its request, trigger + its ack and
#     request, the SRTP stream with an MTK change, the unauthorised UE leaving;
#   * each UE's decrypted stream equals the source file;
#   * each message is traced once: HTTP by its server, UDP by its sender,
#     a UE writes only its acks and its own decisions; every message a UE
#     was sent (MSK message, trigger) has its ack;
#   * trace files are mode 0600 and hold no key (K, OPc, anything in hex of
#     the UEs' key stores); databases (WAL) and key stores are 0600;
#   * the SVG is well-formed XML with one arrow (class="msg") per traced
#     event and the lifelines ordered UE | BM-SC | BSF;
#   * examples/bsf.ini, bmsc.ini and ue.ini run as they are (fixed ports);
#   * SIGINT (Ctrl-C) or SIGTERM in the middle: exit 130 / 143, no daemon
#     left, no temporary files.
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
SRC=${MBMS_SRC:?MBMS_SRC must name the source directory}
BUILD=${MBMS_BUILD:-$(dirname "$BIN")}

tmp=$(mktemp -d)
ex_pids=""
cleanup() {
	for p in $ex_pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	if [ -n "${MBMS_KEEP_WORK:-}" ]; then
		echo "work directory kept: $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$tmp/out.txt" ]; then
		echo "--- demo output (last 40 lines):" >&2
		tail -n 40 "$tmp/out.txt" >&2
	fi
	exit 1
}
pass() { echo "ok - $*"; }

command -v python3 >/dev/null || fail "python3 is needed"
[ -f "$SRC/scripts/demo.sh" ] || fail "no scripts/demo.sh"

# ---- the run ----
start=$(date +%s%3N)
NO_COLOR="" DEMO_SVG="$tmp/flow.svg" DEMO_WORKDIR="$tmp/work" \
	bash "$SRC/scripts/demo.sh" "$BUILD" >"$tmp/out.txt" 2>"$tmp/err.txt" </dev/null
rc=$?
took=$(($(date +%s%3N) - start))
[ $rc -eq 0 ] || fail "demo exit status $rc: $(tail -n 5 "$tmp/err.txt")"
[ $took -lt 60000 ] || fail "the demo took $took ms (60 s at most)"
grep -q $'\e' "$tmp/out.txt" && fail "colour codes in the output of a run without a terminal"
pass "demo exit 0 in $took ms, no colour codes without a terminal"
bad=$(grep -l -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp"/work/*.log 2>/dev/null || true)
[ -z "$bad" ] || fail "sanitizer reports in $bad: $(grep -h -m3 -E 'Sanitizer|runtime error' $bad)"

# ---- the summary ----
python3 - "$tmp/out.txt" <<'EOF' || fail "summary"
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
part = text.split("\nSummary\n", 1)
assert len(part) == 2, "no Summary section"
rows = [l for l in part[1].splitlines() if re.match(r"^  \d+ ", l)]
assert len(rows) == 10, "%d summary rows, 10 expected" % len(rows)
want = ["Initiation of key management", "GBA bootstrap", "Registration", "Basic MSK request",
        "MSK push with acknowledgement", "MSK rotation", "Missed key update",
        "BM-SC solicited pull", "Protected stream", "unauthorised UE leaves"]
for i, (row, w) in enumerate(zip(rows, want), 1):
    assert w in row, "row %d is not '%s': %s" % (i, w, row)
    assert "✔" in row, "row %d did not pass: %s" % (i, row)
assert "✘" not in text, "a ✘ in the output"
assert "✔ demo passed" in text, "no '✔ demo passed'"
assert re.search(r"^10 of 10 steps passed, 0 failed; ", text, re.M), "bad count line"
EOF
pass "summary: ten procedures, every one ✔"

# ---- the traces: every procedure, each message once ----
w=$tmp/work
for f in bsf bmsc ue1 ue2 ue3 ue4; do
	[ -s "$w/$f.trace" ] || fail "no trace $f.trace"
	mode=$(stat -c %a "$w/$f.trace")
	[ "$mode" = 600 ] || fail "$f.trace has mode $mode"
done
python3 - "$w" <<'EOF' || fail "trace contents"
import datetime, json, os, sys
w = sys.argv[1]
def impi(n): return "00101000000000%d@ims.mnc001.mcc001.3gppnetwork.org" % n
UE = {n: "UE " + impi(n) for n in (1, 2, 3, 4)}
BMSC = "BM-SC bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org"
files = {}
evs = []
for name in ("bsf", "bmsc", "ue1", "ue2", "ue3", "ue4"):
    files[name] = [json.loads(l) for l in open(os.path.join(w, name + ".trace"))]
    for i, e in enumerate(files[name]):
        t = datetime.datetime.strptime(e["t"], "%Y-%m-%dT%H:%M:%S.%fZ")
        evs.append((round(t.timestamp() * 1000), name, i, e))
evs.sort(key=lambda x: x[0])
# Order across processes: a sender traces a datagram right after sending it,
# so the receiver's reaction may carry a time a few ms earlier; "after" below
# allows that much.
SLACK = 50
def after(ms, pred):
    return [(t, f, e) for t, f, _, e in evs if t >= ms - SLACK and pred(f, e)]
def n(pred, src=None):
    return sum(1 for _, f, _, e in evs if (src is None or f == src) and pred(e))
def has(**kw):
    return lambda e: all(e.get(k) == v for k, v in kw.items())

# bootstrap (Ub, traced by bsfd) and Zn
for u in (1, 2, 3, 4):
    assert n(has(to=UE[u], msg="401 Digest AKA challenge"), "bsf") >= 1, "no AKA challenge for UE%d" % u
    assert n(has(to=UE[u], msg="200 B-TID"), "bsf") >= 1, "no bootstrap of UE%d" % u
assert n(has(to=BMSC, msg="200 Ks_NAF, IMPI, lifetime"), "bsf") >= 4, "Zn answers"
# registration, MSK request, push, ack (HTTP by bmscd, UDP by its sender)
for u in (1, 2, 3):
    assert n(has(**{"from": UE[u], "msg": "POST register"}), "bmsc") >= 1, "register UE%d" % u
    assert n(has(to=UE[u], msg="200 register response"), "bmsc") >= 1, "register answer UE%d" % u
    assert n(has(**{"from": UE[u], "msg": "POST msk-request"}), "bmsc") >= 2, "MSK requests UE%d" % u
    assert n(has(to=UE[u], msg="MSK message", status="sent"), "bmsc") >= 2, "pushes to UE%d" % u
    assert n(has(**{"from": UE[u], "to": BMSC, "msg": "verification", "status": "sent"}),
             "ue%d" % u) >= 2, "acks of UE%d" % u
assert n(has(msg="GET /announcement/urn:example:mbms:news")) >= 4, "announcement fetches"
# rotation: a second MSK ID pushed to UE1 and UE2 and acked; UE3 lost its pushes
msks = {e["msk_id"] for _, f, _, e in evs if f == "bmsc" and e["msg"] == "MSK message"}
assert len(msks) == 2, "MSK IDs pushed: %s (the current and the rotated one)" % msks
rot = [t for t, f, _, e in evs if f == "bmsc" and e["msg"].startswith("rotate key group 258")]
assert len(rot) == 2, "two rotate actions"
nxt = next(e["msk_id"] for t, f, _, e in evs if t >= rot[0] and e["msg"] == "MSK message")
assert nxt in msks, "the push after the rotation is of %s" % nxt
for u in (1, 2):
    assert n(has(to=UE[u], msg="MSK message", msk_id=nxt), "bmsc") >= 1, "rotation push UE%d" % u
    assert n(has(**{"from": UE[u], "msg": "verification", "msk_id": nxt}), "ue%d" % u) >= 1
lost = n(lambda e: e["msg"] == "MSK message" and e.get("msk_id") == nxt
         and e.get("status") == "dropped: test fault injection", "ue3")
assert lost >= 2, "UE3 lost %d pushes of %s (first + retransmissions)" % (lost, nxt)
# missed key update: UE3's decision, then its MSK request, then the push it gets
mku = [(t, e) for t, f, _, e in evs if f == "ue3" and e["msg"] == "missed key update"]
assert mku, "no missed key update in UE3's trace"
t0, e0 = mku[0]
assert t0 >= rot[1] - SLACK, "missed key update before the switch-over"
assert e0.get("msk_id") == nxt, "the missed key update names %s" % e0.get("msk_id")
req = after(t0, lambda f, e: e.get("from") == UE[3] and e["msg"] == "POST msk-request")
assert req, "no MSK request after the missed key update"
assert after(req[0][0], lambda f, e: e["msg"] == "MSK message" and e.get("to") == UE[3]
             and e.get("msk_id") == nxt), "no push of %s to UE3 after its request" % nxt
for u in (1, 2):
    assert n(has(msg="missed key update"), "ue%d" % u) == 0, "UE%d ran a missed key update" % u
# solicited pull: a trigger to each UE, its ack, then an MSK request
for u in (1, 2, 3):
    trig = [(t, e) for t, f, _, e in evs if e["msg"] == "trigger" and e.get("to") == UE[u]]
    assert trig, "no trigger to UE%d" % u
    tt, te = trig[0]
    assert te.get("msk_id", "").endswith("0000"), "trigger with Key Number 0"
    assert after(tt, lambda f, e: f == "ue%d" % u and e["msg"] == "verification"
                 and e.get("msk_id") == te["msk_id"]), "UE%d did not ack the trigger" % u
    assert after(tt, lambda f, e: e.get("from") == UE[u] and e["msg"] == "POST msk-request"), \
        "UE%d sent no MSK request after the trigger" % u
# the unauthorised UE: refused, leaves; never pushed a key
assert n(has(to=UE[4], msg="200 register response"), "bmsc") == 1
assert n(has(msg="left the service", status="left"), "ue4") == 1, "UE4 did not leave"
assert n(lambda e: e.get("to") == UE[4] and e["msg"] in ("MSK message", "trigger")) == 0
assert n(has(msg="left the service")) == 1, "another UE left"
# the stream: started, SRTP packets to the 3 UEs under 2 MTKs (each announced
# by an MTK message first), ended
assert n(has(msg="stream news-video", status="ok"), "bmsc") == 1, "no stream start"
assert n(has(msg="end of stream news-video", status="done"), "bmsc") == 1, "no stream end"
seq = [(f, e) for _, f, _, e in evs if f == "bmsc"]  # one writer: its own order
srtp = [(k, e) for k, (f, e) in enumerate(seq) if e["msg"] == "SRTP packets"]
dests = {e["to"] for _, e in srtp}
mtks = sorted({(e["msk_id"], e["mtk_id"]) for _, e in srtp})
assert len(dests) == 3 and len(srtp) == 3 * len(mtks) and len(mtks) >= 2, (dests, mtks)
for k, e in srtp:
    if (e["msk_id"], e["mtk_id"]) != mtks[0]:
        assert any(x["msg"] == "MTK message" and x.get("msk_id") == e["msk_id"]
                   and x.get("mtk_id") == e["mtk_id"] for _, x in seq[:k]), \
            "SRTP under MTK %s before its MTK message" % e["mtk_id"]
# (a UE may trace refused SRTP datagrams: on a shared machine another test
# can send to a port the demo picked; what the UEs wrote is checked below)
for u in (1, 2, 3):
    for e in files["ue%d" % u]:
        if e["msg"] == "SRTP packets":
            assert e["to"] == UE[u] and e["status"].split(":")[0] in ("rejected", "dropped"), e
# each message once: a UE writes only its acks and self-messages; bmscd and
# bsfd never write what a UE sent over UDP
for u in (1, 2, 3, 4):
    for e in files["ue%d" % u]:
        assert e["from"] == UE[u], "ue%d.trace: from %s" % (u, e["from"])
        assert e["to"] == UE[u] or (e["msg"] == "verification" and e["to"] == BMSC), \
            "ue%d.trace writes a message it did not send: %s" % (u, e)
for f in ("bsf", "bmsc"):
    for e in files[f]:
        assert e["msg"] != "verification" or e["from"] == e["to"], "%s.trace: %s" % (f, e)
# every MSK message or trigger UE1/UE2 was sent has its ack (no loss there)
for u in (1, 2):
    sent = n(lambda e: e.get("to") == UE[u] and e["msg"] in ("MSK message", "trigger"), "bmsc")
    acks = n(has(msg="verification"), "ue%d" % u)
    assert sent == acks, "UE%d: %d messages sent to it, %d acks" % (u, sent, acks)
print("events:", len(evs))
EOF
pass "trace: bootstrap, register, MSK request, push + ack, rotation push, lost push, missed key update + request, trigger + ack + request, SRTP stream under 2 MTKs, UE4 leaves; each message once, from its writer"
for u in 1 2 3; do
	cmp -s "$w/ue$u.video.rtpl" "$w/source.rtpl" || fail "UE$u's decrypted stream differs from the source"
done
pass "the decrypted streams of UE1, UE2, UE3 equal the source file ($(wc -c <"$w/source.rtpl") bytes)"

# ---- no key in any trace ----
keys=$(cat "$w"/ue*.state | tr ' =' '\n\n' | grep -E '^[0-9a-fA-F]{28,64}$' | sort -u)
[ -n "$keys" ] || fail "no keys found in the key stores (format changed?)"
nkeys=0
for key in $keys 465b5ce8b199b49faa5f0a2ee238a6bc cd63cb71954a9f4e48a5994e37a02baf; do
	nkeys=$((nkeys + 1))
	grep -qi -- "$key" "$w"/*.trace && fail "a key of the key stores (or K/OPc) is in a trace"
	b64=$(echo "$key" | xxd -r -p 2>/dev/null | base64 -w0 2>/dev/null | tr -d '=')
	[ -n "$b64" ] && grep -qF -- "$b64" "$w"/*.trace && fail "a key appears in base64 in a trace"
done
pass "trace files 0600; none of $nkeys keys (key stores, K, OPc) in hex or base64 in any trace"

# ---- state files: SQLite in WAL mode and key stores, all 0600 (README "Configuration") ----
for f in bsf.db bmsc.db ue1.state ue2.state ue3.state ue4.state; do
	mode=$(stat -c %a "$w/$f")
	[ "$mode" = 600 ] || fail "$f has mode $mode"
done
for f in bsf.db bmsc.db; do
	jm=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode").fetchone()[0])' "$w/$f") ||
		fail "cannot read $f"
	[ "$jm" = wal ] || fail "$f journal mode $jm, not wal"
done
pass "bsf.db and bmsc.db in WAL mode, databases and key stores 0600"

# ---- the SVG ----
python3 - "$tmp/flow.svg" "$w" <<'EOF' || fail "SVG"
import json, os, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg", root.tag
arrows = [g for g in root.iter(ns + "g") if g.get("class") == "msg"]
events = 0
for f in os.listdir(sys.argv[2]):
    if f.endswith(".trace"):
        events += sum(1 for l in open(os.path.join(sys.argv[2], f)) if l.strip())
assert len(arrows) == events, "%d arrows for %d traced events" % (len(arrows), events)
lifelines = [g.find(ns + "title").text for g in root.iter(ns + "g") if g.get("class") == "lifeline"]
roles = [l.split(" ")[0] for l in lifelines]
order = {"UE": 0, "BM-SC": 1, "BSF": 3}
assert [order.get(r, 2) for r in roles] == sorted(order.get(r, 2) for r in roles), lifelines
assert sum(1 for l in lifelines if l.startswith("UE 00101")) == 4, lifelines
print(len(arrows), "arrows,", len(lifelines), "lifelines")
EOF
grep -q "$tmp/flow.svg" "$tmp/out.txt" || fail "the demo does not say where the SVG is"
pass "SVG well-formed, one arrow per traced event, lifelines UE | BM-SC | BSF, path printed"

# ---- the plain examples run as they are (README "Configuration") ----
# examples/bsf.ini, bmsc.ini and ue.ini on their fixed ports: bootstrap,
# register, MSK request, push, one-shot exit 0. Skipped when a port is taken.
ex=$tmp/examples
mkdir -p "$ex"
cp "$SRC"/examples/bsf.ini "$SRC"/examples/bmsc.ini "$SRC"/examples/ue.ini "$ex"/
chmod 600 "$ex"/*.ini
busy=$(python3 - <<'PY'
import socket
busy = []
for kind, port in ((socket.SOCK_STREAM, 8080), (socket.SOCK_STREAM, 8081), (socket.SOCK_STREAM, 8082),
                   (socket.SOCK_STREAM, 8090), (socket.SOCK_DGRAM, 4359), (socket.SOCK_DGRAM, 2269)):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(("0.0.0.0", port))
    except OSError:
        busy.append(str(port))
    s.close()
print(" ".join(busy))
PY
)
if [ -n "$busy" ]; then
	echo "ok - # SKIP the examples: port(s) $busy taken on this machine"
else
	impi_ex=$(sed -n 's/^impi = //p' "$ex/ue.ini")
	k_ex=$(sed -n 's/^k = //p' "$ex/ue.ini")
	opc_ex=$(sed -n 's/^opc = //p' "$ex/ue.ini")
	"$BIN/bsfd" subscriber add --impi "$impi_ex" --k "$k_ex" --opc "$opc_ex" --config "$ex/bsf.ini" \
		>/dev/null 2>"$ex/bsfd.log" || fail "examples: bsfd subscriber add: $(cat "$ex/bsfd.log")"
	"$BIN/bsfd" --config "$ex/bsf.ini" 2>>"$ex/bsfd.log" &
	ex_pids="$!"
	"$BIN/bmscd" --config "$ex/bmsc.ini" 2>"$ex/bmscd.log" &
	ex_pids="$ex_pids $!"
	for _ in $(seq 1 100); do
		grep -q ' key management on ' "$ex/bmscd.log" && grep -q ' Ub on ' "$ex/bsfd.log" && break
		sleep 0.1
	done
	"$BIN/mbms-ue" --config "$ex/ue.ini" --once --timeout 30 2>"$ex/ue.log"
	rc=$?
	for p in $ex_pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ex_pids=""
	[ $rc -eq 0 ] || fail "examples/ue.ini against examples/bsf.ini + bmsc.ini: exit $rc: $(tail -n 5 "$ex/ue.log")"
	grep -q "msk-installed" "$ex/ue.log" || fail "examples: no MSK installed"
	pass "examples/bsf.ini, bmsc.ini, ue.ini as they are: bootstrap, registration, MSK pushed, one-shot exit 0"
fi

# ---- on a terminal, interrupted: colours unless NO_COLOR; Ctrl-C (SIGINT) or
# SIGTERM in the middle: the processes and temporary files go ----
interrupt() { # $1 = INT or TERM, $2 = the exit status expected, $3 = NO_COLOR value
	local d=$tmp/int-$1
	mkdir -p "$d/tmpdir"
	# on a pseudo-terminal, started with SIGINT at its default (a background
	# job of this script would ignore it), signalled once the daemons run
	python3 - "$SRC/scripts/demo.sh" "$BUILD" "$d" "$1" "$3" <<'PY' >"$d/rc" || fail "$1: $(cat "$d/rc")"
import os, pty, select, signal, subprocess, sys, time
demo, build, d, sig, no_color = sys.argv[1:6]
env = dict(os.environ, TMPDIR=d + "/tmpdir", DEMO_SVG=d + "/flow.svg", TERM="xterm")
env.pop("NO_COLOR", None)
if no_color:
    env["NO_COLOR"] = no_color
master, slave = pty.openpty()
p = subprocess.Popen(["bash", demo, build], stdout=slave, stderr=slave,
                     stdin=subprocess.DEVNULL, env=env,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
os.close(slave)
out = b""
def drain(seconds):
    global out
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            out += chunk
        if b"[2/10]" in out and not sent[0]:
            return True
    return True
sent = [False]
drain(30)
if b"[2/10]" not in out:
    p.kill()
    sys.exit("the run did not get to step 2")
if not any(n.startswith("mbmssec-demo.") for n in os.listdir(d + "/tmpdir")):
    p.kill()
    sys.exit("no temporary directory in TMPDIR")
p.send_signal(signal.SIGINT if sig == "INT" else signal.SIGTERM)
sent[0] = True
while drain(1) and p.poll() is None:
    pass
rc = p.wait(timeout=30)
drain(0.5)
open(d + "/out.txt", "wb").write(out)
print(rc)
PY
	local rc
	rc=$(cat "$d/rc")
	[ "$rc" = "$2" ] || fail "SIG$1: exit $rc, not $2: $(tail -n 3 "$d/out.txt")"
	if [ -n "$3" ]; then
		grep -q $'\e\[' "$d/out.txt" && fail "colour codes on a terminal with NO_COLOR=$3"
	else
		grep -q $'\e\[' "$d/out.txt" || fail "no colour codes on a terminal"
	fi
	sleep 0.2
	[ -z "$(ls -A "$d/tmpdir")" ] || fail "SIG$1: temporary files left: $(ls -A "$d/tmpdir")"
	local left
	left=$(ps -eo pid=,args= | grep -F "$d/tmpdir/" | grep -v grep || true)
	[ -z "$left" ] || fail "SIG$1: processes left: $left"
	[ ! -e "$d/flow.svg" ] || fail "SIG$1: an SVG from an interrupted run"
}
interrupt INT 130 ""
interrupt TERM 143 1
pass "on a terminal: colours, none with NO_COLOR; Ctrl-C (SIGINT) and SIGTERM during the demo: exit 130 / 143, no daemon and no temporary file left"

echo "test_demo: all passed"
