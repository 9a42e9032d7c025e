#!/usr/bin/env bash
# Interop: Wireshark's MIKEY dissector (tshark) reads what `mbmssec mikey`
# builds. scripts/make-pcaps.sh builds every message kind afresh with the CLI
# under test (MSK message with and without V, trigger, verification, MTK
# message) and wraps each in UDP with text2pcap; tshark then decodes each
# file with `-d udp.port==4359,mikey` (2269 is MIKEY by default) and
#  - must report no malformed packet and no expert info (_ws.malformed,
#    _ws.expert.*), and exit 0;
#  - must decode every field as we encoded it: mikey.version, type, v.set,
#    prf_func, csb_id, cs_count, cs_id_map_type, t.ts_type, the COUNTER value
#    (tshark has no field for it: read from -T pdml, see counter_of below),
#    rand.data, id.data (IDi and IDr), ext.type, ext.data, kemac.encr_alg,
#    kemac.key_data_len, kemac.mac_alg, kemac.mac, v.auth_alg, v.ver_data, and
#    the UDP payload and ports; the expected values come from the cases of
#    tests/vectors/independent_cases.json that make-pcaps.sh takes its inputs from.
# The committed tests/fixtures/pcap files get the same checks and must equal
# the fresh ones byte for byte (else they are stale: re-run make-pcaps.sh).
# Negative checks prove the harness can fail: truncated messages must make
# tshark report malformed; a message compared with another message's
# expectations must mismatch; without the Decode As, 4359 is not MIKEY.
# tshark warns about running as root on stderr: stderr is ignored, its exit
# status is not.
set -u
src=${MBMS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${MBMS_BIN:-$src/build/bin}
failures=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

for t in tshark text2pcap mergecap; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "SKIP: $t not installed (./run.sh installs the tshark package)"
		exit 0
	fi
done
if [ ! -x "$bin/mbmssec" ]; then
	echo "FAIL: $bin/mbmssec not found or not executable"
	exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "FAIL: python3 is needed (./run.sh installs it)"
	exit 1
fi

# fresh pcaps from the CLI under test, twice: the output must be deterministic
for run in 1 2; do
	if ! bash "$src/scripts/make-pcaps.sh" --bin "$bin" --out "$tmp/fresh$run" \
		>"$tmp/make.log" 2>&1; then
		cat "$tmp/make.log"
		echo "FAIL: scripts/make-pcaps.sh failed"
		exit 1
	fi
done
for f in "$tmp"/fresh1/*.pcap; do
	n=$(basename "$f")
	cmp -s "$f" "$tmp/fresh2/$n" || fail "make-pcaps.sh is not deterministic: $n differs between runs"
	if [ ! -f "$src/tests/fixtures/pcap/$n" ]; then
		fail "tests/fixtures/pcap/$n is not committed (run scripts/make-pcaps.sh)"
	elif ! cmp -s "$f" "$src/tests/fixtures/pcap/$n"; then
		fail "tests/fixtures/pcap/$n is stale: it differs from a fresh build (run scripts/make-pcaps.sh)"
	fi
done
[ "$(ls "$tmp"/fresh1/*.pcap | wc -l)" = 6 ] || fail "make-pcaps.sh did not write 6 pcaps"

python3 - "$src" "$tmp" <<'PYEOF'
import json, os, subprocess, sys
import xml.etree.ElementTree as ET

src, tmp = sys.argv[1], sys.argv[2]
doc = json.load(open(os.path.join(src, "tests/vectors/independent_cases.json")))
cases = {c["id"]: c for c in doc["cases"]}
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)


DECODE = ["-d", "udp.port==4359,mikey"]
# Wireshark's stock dissector only: a personal profile or plugin (such as
# contrib/wireshark/mbms_mikey.lua copied to ~/.local/lib/wireshark/plugins)
# would change what is decoded, so tshark runs with an empty home.
os.makedirs(os.path.join(tmp, "home"), exist_ok=True)
TSHARK_ENV = dict(os.environ, HOME=os.path.join(tmp, "home"),
                  XDG_CONFIG_HOME=os.path.join(tmp, "home", ".config"))

# What make-pcaps.sh writes, in the order of all-messages.pcap.
MESSAGES = [
    ("msk-with-v", "msk_message_v1", 49152, 4359),
    ("verification", "verification_for_msk_message_v1", 4359, 49152),
    ("msk-without-v", "msk_message_v0_wrapping_range", 49152, 4359),
    ("trigger", "trigger", 49152, 4359),
    ("mtk", "mtk_message_1", 49152, 2269),
]

MIKEY_FIELDS = [
    "mikey.version", "mikey.type", "mikey.v.set", "mikey.prf_func", "mikey.csb_id",
    "mikey.cs_count", "mikey.cs_id_map_type", "mikey.t.ts_type", "mikey.rand.data",
    "mikey.id.data", "mikey.ext.type", "mikey.ext.data", "mikey.kemac.encr_alg",
    "mikey.kemac.key_data_len", "mikey.kemac.mac_alg", "mikey.kemac.mac", "mikey.v.auth_alg",
    "mikey.v.ver_data",
]
CHECK_FIELDS = ["_ws.malformed", "_ws.expert.severity", "_ws.expert.message"]
OTHER_FIELDS = ["frame.protocols", "udp.srcport", "udp.dstport", "udp.payload"]
FIELDS = CHECK_FIELDS + OTHER_FIELDS + MIKEY_FIELDS
AGG = "|"  # none of our values contains it


def tshark(pcap, *args, decode=True):
    """tshark's stdout; its stderr (the root warning) is ignored, its exit
    status is not."""
    p = subprocess.run(["tshark", "-r", pcap, *(DECODE if decode else []), *args],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=TSHARK_ENV)
    if p.returncode != 0:
        fail("tshark %s on %s: exit %d: %s" % (" ".join(args[:2]), pcap, p.returncode,
                                               p.stderr.strip()[-300:]))
    return p.stdout


def frames(pcap, decode=True):
    """One dict per frame: field -> list of values (absent fields: [])."""
    args = ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
            "-E", "aggregator=" + AGG]
    for f in FIELDS:
        args += ["-e", f]
    rows = []
    for line in tshark(pcap, *args, decode=decode).splitlines():
        cols = line.split("\t")
        if len(cols) != len(FIELDS):
            fail("%s: tshark gave %d columns, want %d: %r" % (pcap, len(cols), len(FIELDS), line))
            continue
        rows.append({f: (c.split(AGG) if c else []) for f, c in zip(FIELDS, cols)})
    return rows


def flagged(pcap):
    """Frame numbers tshark flags as malformed or with expert info (-Y)."""
    out = tshark(pcap, "-Y", "_ws.malformed || _ws.expert", "-T", "fields", "-e", "frame.number")
    return [l for l in out.splitlines() if l.strip()]


def counters(pcap):
    """The T payload's COUNTER value of each frame, as hex. tshark 4.0 has no
    field for it and the PDML "value" of the mikey.t node is empty there, so
    the bytes are cut from the UDP payload at the position and size tshark
    dissected as the T payload (next(1) | TS type(1) | value)."""
    out = tshark(pcap, "-T", "pdml")
    res = []
    for pkt in ET.fromstring(out).iter("packet"):
        payload = t = None
        for f in pkt.iter("field"):
            if f.get("name") == "udp.payload":
                payload = f
            elif f.get("name") == "mikey.t":
                t = f
        if payload is None or t is None:
            res.append(None)
            continue
        val = t.get("value") or ""
        if not val:
            data = bytes.fromhex(payload.get("value"))
            start = int(t.get("pos")) - int(payload.get("pos"))
            val = data[start:start + int(t.get("size"))].hex()
        res.append(val[4:])
    return res


def expected(case_id):
    """Field -> list of values, from the inputs make-pcaps.sh gives the CLI
    (the case's "input") and, for what the CLI computes (MAC, V data), the
    case's "expected"."""
    c = cases[case_id]
    i, e = c["input"], c["expected"]
    p = e["parse"]
    want = {
        "udp.payload": [e["hex"]],
        "mikey.version": ["1"],
        "mikey.type": [str(p["data_type"])],
        "mikey.v.set": ["1" if p["v_flag"] else "0"],
        "mikey.prf_func": ["0"],
        "mikey.csb_id": ["0x" + p["csb_id"]],
        "mikey.cs_count": ["0"],
        "mikey.cs_id_map_type": ["1"],
        "mikey.t.ts_type": ["2"],
        "counter": "%08x" % p["ts_counter"],
    }
    none = {"mikey.rand.data", "mikey.id.data", "mikey.ext.type", "mikey.ext.data",
            "mikey.kemac.encr_alg", "mikey.kemac.key_data_len", "mikey.kemac.mac_alg",
            "mikey.kemac.mac", "mikey.v.auth_alg", "mikey.v.ver_data"}
    for f in none:
        want[f] = []
    if c["kind"] == "verification":
        want["mikey.v.auth_alg"] = ["1"]
        want["mikey.v.ver_data"] = [p["mac"]]
        return want
    want["mikey.rand.data"] = [i["rand"]]
    if c["kind"] == "mtk-message":
        key_id = "02" + "0009" + i["key_domain"] + i["msk_id"] + "%04x" % i["mtk_id"]
        key_data_len = 4 + 16 + 2 + 14 + 1 + 6  # TEK+SALT KEY with a 6-byte SPI
    else:
        want["mikey.id.data"] = [i["idi"], i["idr"]]
        key_id = "01" + "0007" + i["key_domain"] + i["msk_id"]
        key_data_len = 0 if c["kind"] == "trigger-message" else 4 + 16 + 6  # TGK, interval
    want["mikey.ext.type"] = ["2"]
    want["mikey.ext.data"] = [key_id]
    want["mikey.kemac.encr_alg"] = ["1"]
    want["mikey.kemac.key_data_len"] = [str(key_data_len)]
    want["mikey.kemac.mac_alg"] = ["1"]
    want["mikey.kemac.mac"] = [p["mac"]]
    return want


def problems(row, counter, want, sport, dport):
    """What differs between a decoded frame and the expectations (a list)."""
    out = []
    for f in CHECK_FIELDS:
        if row[f]:
            out.append("tshark reports %s = %s" % (f, AGG.join(row[f])))
    protos = AGG.join(row["frame.protocols"])
    if not protos.endswith(":mikey"):
        out.append("not dissected as MIKEY (frame.protocols %s)" % protos)
    if row["udp.srcport"] != [str(sport)] or row["udp.dstport"] != [str(dport)]:
        out.append("ports %s -> %s, want %d -> %d" % (row["udp.srcport"], row["udp.dstport"],
                                                       sport, dport))
    for f, v in want.items():
        if f == "counter":
            if counter != v:
                out.append("T COUNTER %s, want %s" % (counter, v))
        elif row[f] != v:
            out.append("%s = %s, want %s" % (f, row[f], v))
    return out


def check_dir(label, d):
    for name, case_id, sport, dport in MESSAGES:
        pcap = os.path.join(d, name + ".pcap")
        rows, ctr = frames(pcap), counters(pcap)
        if len(rows) != 1 or len(ctr) != 1:
            fail("%s %s: %d frames decoded, want 1" % (label, name, len(rows)))
            continue
        for p in problems(rows[0], ctr[0], expected(case_id), sport, dport):
            fail("%s %s (case %s): %s" % (label, name, case_id, p))
        if flagged(pcap):
            fail("%s %s: tshark -Y '_ws.malformed || _ws.expert' matched" % (label, name))
    pcap = os.path.join(d, "all-messages.pcap")
    rows, ctr = frames(pcap), counters(pcap)
    if len(rows) != len(MESSAGES) or len(ctr) != len(MESSAGES):
        fail("%s all-messages: %d frames, want %d" % (label, len(rows), len(MESSAGES)))
    else:
        for k, (name, case_id, sport, dport) in enumerate(MESSAGES):
            for p in problems(rows[k], ctr[k], expected(case_id), sport, dport):
                fail("%s all-messages frame %d (%s): %s" % (label, k + 1, name, p))
    if flagged(pcap):
        fail("%s all-messages: tshark -Y '_ws.malformed || _ws.expert' matched" % label)


check_dir("fresh", os.path.join(tmp, "fresh1"))
check_dir("committed", os.path.join(src, "tests/fixtures/pcap"))


# ---- negative checks: each must find a problem, or the harness is blind ----
def wrap(name, payload, sport=49152, dport=4359):
    txt, pcap = os.path.join(tmp, name + ".txt"), os.path.join(tmp, name + ".pcap")
    with open(txt, "w") as f:
        f.write("2026-01-01 00:00:00.000000\n")
        for off in range(0, len(payload), 16):
            f.write("%06x %s\n" % (off, " ".join("%02x" % b for b in payload[off:off + 16])))
    subprocess.run(["text2pcap", "-q", "-F", "pcap", "-u", "%d,%d" % (sport, dport), "-t",
                    "%Y-%m-%d %H:%M:%S.%f", txt, pcap], env=dict(os.environ, TZ="UTC"),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return pcap


msk = bytes.fromhex(cases["msk_message_v1"]["expected"]["hex"])
for name, cut in (("truncated-mac", msk[:-1]), ("truncated-in-idr", msk[:120]),
                  ("truncated-hdr", msk[:6])):
    pcap = wrap(name, cut)
    rows = frames(pcap)
    if len(rows) != 1 or not rows[0]["_ws.malformed"]:
        fail("negative %s: tshark did not report the truncated message as malformed "
             "(_ws.malformed empty), so the malformed check proves nothing" % name)
    if not flagged(pcap):
        fail("negative %s: -Y '_ws.malformed || _ws.expert' did not match" % name)

pcap = os.path.join(tmp, "fresh1", "msk-without-v.pcap")
rows, ctr = frames(pcap), counters(pcap)
if rows and ctr and not problems(rows[0], ctr[0], expected("msk_message_v1"), 49152, 4359):
    fail("negative: msk-without-v matched the expectations of msk_message_v1")
rows = frames(os.path.join(tmp, "fresh1", "msk-with-v.pcap"), decode=False)
if rows and not any("not dissected as MIKEY" in p for p in
                    problems(rows[0], None, expected("msk_message_v1"), 49152, 4359)):
    fail("negative: without -d udp.port==4359,mikey the frame still counted as MIKEY")

sys.exit(min(failures, 100))
PYEOF
py_failures=$?
failures=$((failures + py_failures))

if [ "$failures" -ne 0 ]; then
	echo "test_tshark_mikey: $failures check(s) failed"
	exit 1
fi
version=$(tshark --version 2>/dev/null | sed -n '1s/^TShark (Wireshark) \([^ ]*\).*/\1/p')
echo "test_tshark_mikey: all checks passed (tshark $version)"
