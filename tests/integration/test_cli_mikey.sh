#!/usr/bin/env bash
# mbmssec mikey on the command line against tests/vectors/independent_cases.json
# (read with python3): every msk-message, trigger-message, mtk-message and
# verification case is built byte for byte and parsed back with --key field by
# field against the case's "parse" object; every "bad" case of kind "parse" is
# rejected with exit 1 and its expected_error on stderr; parse without --key
# says "not verified"; usage errors exit 2 with one line naming the option;
# I/O errors exit 1; --help exits 0.
# MBMS_BIN is set by ctest; by hand: MBMS_BIN=build-x/bin bash this-script.
set -u
src=${MBMS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${MBMS_BIN:-$src/build/bin}
tool=$bin/mbmssec
vectors=$src/tests/vectors/independent_cases.json
failures=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

if [ ! -x "$tool" ]; then
	echo "FAIL: $tool not found or not executable"
	exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "FAIL: python3 is needed to read $vectors (./run.sh installs it)"
	exit 1
fi

# ---- the vector cases, driven by python3 ----
# Exit status = number of failed checks (each printed as "FAIL: ...").
python3 - "$tool" "$vectors" "$tmp" <<'PYEOF'
import json, os, subprocess, sys

tool, vectors, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
doc = json.load(open(vectors))
failures = 0
checks = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL: " + msg)


def run(*args):
    p = subprocess.run([tool, "mikey", *args], capture_output=True)
    return p.returncode, p.stdout, p.stderr


def path(name):
    return os.path.join(tmp, name)


def write_hex(name, hexstr):
    with open(path(name), "wb") as f:
        f.write(bytes.fromhex(hexstr))
    return path(name)


def file_hex(p):
    with open(p, "rb") as f:
        return f.read().hex()


# Our JSON names for the vectors' "parse" names; "derived" holds message
# keys, which the CLI never prints.
RENAME = {"message_type": "kind", "v_flag": "v", "ts_counter": "ts"}
SKIP = {"derived"}
# Only known once the MAC is checked and the key data decrypted.
KEY_FIELDS = {"key_type", "kv_type", "key", "salt", "vf", "vt", "spi"}


def compare(cid, exp, got, with_key, where=""):
    global checks
    for k, v in exp.items():
        if k in SKIP:
            continue
        name = RENAME.get(k, k)
        if k == "key_id_type" and v is not None:
            v = {1: "msk", 2: "mtk"}[v]
        checks += 1
        if k == "acknowledges":
            if not isinstance(got.get(name), dict):
                fail("%s: %s%s missing" % (cid, where, name))
            else:
                compare(cid, v, got[name], with_key, where + name + ".")
            continue
        if v is None or (not with_key and k in KEY_FIELDS):
            if name in got:
                fail("%s: %s%s present (%r), want absent" % (cid, where, name, got[name]))
        elif got.get(name) != v:
            fail("%s: %s%s = %r, want %r" % (cid, where, name, got.get(name), v))


def parse_json(cid, rc, out, err):
    """One JSON object on one line, exit 0, empty stderr."""
    if rc != 0:
        fail("%s: parse exit %d (%s)" % (cid, rc, err.decode(errors="replace").strip()))
        return None
    if err:
        fail("%s: parse wrote on stderr: %s" % (cid, err.decode(errors="replace").strip()))
    if out.count(b"\n") != 1 or not out.endswith(b"\n"):
        fail("%s: parse output is not exactly one line" % cid)
    try:
        return json.loads(out)
    except ValueError as e:
        fail("%s: parse output is not JSON (%s): %r" % (cid, e, out[:200]))
        return None


def check_parsed(cid, msg_path, exp_parse, key, extra=()):
    """parse --key (full check) and parse without a key (clear parts)."""
    rc, out, err = run("parse", "--key", key, *extra, msg_path)
    got = parse_json(cid + " (parse --key)", rc, out, err)
    if got is not None:
        compare(cid + " (parse --key)", exp_parse, got, True)
        if got.get("mac_ok") is not True:
            fail("%s: parse --key: mac_ok = %r, want true" % (cid, got.get("mac_ok")))
    rc, out, err = run("parse", *extra, msg_path)
    got = parse_json(cid + " (parse)", rc, out, err)
    if got is not None:
        compare(cid + " (parse)", exp_parse, got, False)
        status = "v_mac" if exp_parse["message_type"] == "verification" else "kemac"
        if got.get("mac_ok", "absent") is not None or got.get(status) != "not verified":
            fail("%s: parse without --key: mac_ok %r, %s %r; want null, 'not verified'"
                 % (cid, got.get("mac_ok", "absent"), status, got.get(status)))
        if key.encode() in out:
            fail("%s: parse without --key printed the key" % cid)


def build_args(case):
    i = case["input"]
    common = ["--key-domain", i["key_domain"], "--msk-id", i["msk_id"], "--ts", str(i["ts"]),
              "--rand", i["rand"]]
    if case["kind"] == "msk-message":
        a = ["build-msk", "--muk", i["muk"], *common, "--msk", i["msk"], "--idi", i["idi"],
             "--idr", i["idr"], "--vf", str(i["vf"]), "--vt", str(i["vt"])]
        return a + (["--v"] if i["v"] else []), i["muk"]
    if case["kind"] == "trigger-message":
        a = ["build-trigger", "--muk", i["muk"], *common, "--idi", i["idi"], "--idr", i["idr"]]
        return a + (["--v"] if i["v"] else []), i["muk"]
    a = ["build-mtk", "--msk", i["msk"], *common, "--mtk-id", str(i["mtk_id"]), "--mtk",
         i["mtk"], "--salt", i["salt"]]
    return a, i["msk"]


def build(cid, args, want_hex):
    out_path = path(cid + ".bin")
    rc, out, err = run(*args, "--out", out_path)
    if rc != 0 or out or err:
        fail("%s: %s exit %d, stdout %r, stderr %r" % (cid, args[0], rc, out, err))
        return None
    got = file_hex(out_path)
    if got != want_hex:
        fail("%s: %s wrote\n  %s\nwant\n  %s" % (cid, args[0], got, want_hex))
    return out_path


seen = {"msk-message": 0, "trigger-message": 0, "mtk-message": 0, "verification": 0}
for case in doc["cases"]:
    cid, kind = case["id"], case["kind"]
    if kind not in seen:
        continue
    seen[kind] += 1
    exp = case["expected"]
    if kind == "verification":
        i = case["input"]
        acked = write_hex(cid + ".acked.bin", i["for_hex"])
        built = build(cid, ["build-ack", "--for", acked, "--key", i["muk"]], exp["hex"])
        if built:
            check_parsed(cid, built, exp["parse"], i["muk"], ("--ack-for", acked))
            # without the acknowledged message a verification cannot be checked
            rc, out, err = run("parse", "--key", i["muk"], built)
            if rc != 1 or out or b"no_acked_message" not in err:
                fail("%s: parse --key without --ack-for: exit %d, stderr %r; want 1, "
                     "no_acked_message" % (cid, rc, err))
            # must FAIL: another message as the acknowledged one
            other = write_hex(cid + ".other.bin", next(
                c["expected"]["hex"] for c in doc["cases"] if c["id"] == "trigger"))
            rc, out, err = run("parse", "--key", i["muk"], "--ack-for", other, built)
            # (the MAC covers the acknowledged message's IDs and T, and the
            # MAC comes before the CSB rule in the check order)
            if rc != 1 or out or b"bad_mac" not in err:
                fail("%s: parse --ack-for the trigger: exit %d, stderr %r; want 1, "
                     "bad_mac" % (cid, rc, err))
        continue
    args, key = build_args(case)
    built = build(cid, args, exp["hex"])
    if not built:
        continue
    check_parsed(cid, built, exp["parse"], key)
    # must FAIL: the same message under a key with one bit flipped
    bad_key = key[:-1] + "%x" % (int(key[-1], 16) ^ 1)
    rc, out, err = run("parse", "--key", bad_key, built)
    if rc != 1 or out or b"bad_mac" not in err:
        fail("%s: parse with a wrong key: exit %d, stderr %r; want 1, bad_mac" % (cid, rc, err))
    # must differ: another TS counter gives another message
    args2 = list(args)
    args2[args2.index("--ts") + 1] = str((case["input"]["ts"] + 1) % 2**32)
    rc, out, err = run(*args2, "--out", path(cid + ".ts.bin"))
    if rc != 0 or file_hex(path(cid + ".ts.bin")) == exp["hex"]:
        fail("%s: built with another --ts: exit %d or same bytes" % cid)

for kind, n in seen.items():
    if n == 0:
        fail("no %s case in %s" % (kind, vectors))

# The verification case again, from the message the CLI itself built.
v = next(c for c in doc["cases"] if c["kind"] == "verification")
m = next(c for c in doc["cases"] if c["expected"].get("hex") == v["input"]["for_hex"])
rc, out, err = run("build-ack", "--for", path(m["id"] + ".bin"), "--key", v["input"]["muk"],
                   "--out", path("ack-of-built.bin"))
if rc != 0 or file_hex(path("ack-of-built.bin")) != v["expected"]["hex"]:
    fail("%s from %s built by the CLI: exit %d, wrong bytes" % (v["id"], m["id"], rc))

# ---- the "bad" cases: parse --key rejects each with its reason ----
nbad = 0
for case in doc["bad"]:
    cid = case["id"]
    if case["kind"] == "parse":
        nbad += 1
        p = write_hex(cid + ".bin", case["hex"])
        rc, out, err = run("parse", "--key", case["key"], p)
        e = err.decode(errors="replace")
        if rc != 1 or out or e.count("\n") != 1 or case["expected_error"] not in e:
            fail("%s: exit %d, stdout %r, stderr %r; want exit 1 and one line naming %s"
                 % (cid, rc, out, e, case["expected_error"]))
    elif case["kind"] == "ue-sequence":
        # Replay and MTK order are UE state, not message content: each message
        # alone is authentic. The CLI must accept the MSK messages with the MUK.
        for k, hexmsg in enumerate(case["messages"]):
            p = write_hex("%s.%d.bin" % (cid, k), hexmsg)
            rc, out, err = run("parse", p)
            if rc != 0:
                fail("%s message %d: parse without key exit %d (%s)" % (cid, k, rc, err))
            elif json.loads(out)["kind"] == "msk":
                rc, out, err = run("parse", "--key", case["muk"], p)
                if rc != 0:
                    fail("%s message %d: parse --key exit %d (%s)" % (cid, k, rc, err))
if nbad == 0:
    fail("no bad case of kind parse in %s" % vectors)

# ---- IDs with any byte come out as valid JSON ----
msk = next(c for c in doc["cases"] if c["kind"] == "msk-message")["input"]
odd_idi = b'bm\x01sc "q" \\ \x7f\xff\n.example'
rc, out, err = run("build-msk", "--muk", msk["muk"], "--key-domain", msk["key_domain"],
                   "--msk-id", msk["msk_id"], "--msk", msk["msk"], "--ts", "7", "--rand",
                   msk["rand"], "--idi", odd_idi, "--idr", msk["idr"], "--vf", "1", "--vt", "2",
                   "--out", path("odd-id.bin"))
if rc != 0:
    fail("build-msk with an IDi of odd bytes: exit %d (%s)" % (rc, err))
else:
    rc, out, err = run("parse", "--key", msk["muk"], path("odd-id.bin"))
    got = parse_json("odd IDi", rc, out, err)
    if got is not None:
        if got.get("idi") != odd_idi.decode("latin-1") or got.get("idi_hex") != odd_idi.hex():
            fail("odd IDi: idi %r, idi_hex %r" % (got.get("idi"), got.get("idi_hex")))
        if b"\\u0001" not in out or b"\\u00ff" not in out or b"\\u000a" not in out:
            fail("odd IDi: control and high bytes not written as \\u00XX: %r" % out)

print("vector checks: %d field comparisons, %d failure(s)" % (checks, failures))
sys.exit(min(failures, 100))
PYEOF
py_failures=$?
failures=$((failures + py_failures))

# ---- shell checks: usage errors, I/O errors, --help ----

# run ARGS...: sets $rc, $out, $err
run() {
	"$tool" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# with ARRAY OPT VALUE: A = a copy of the named argument array with OPT's
# value replaced (an option given twice is itself a usage error, which would
# make a check pass for the wrong reason)
with() {
	local -n from=$1
	local i
	A=("${from[@]}")
	for ((i = 0; i < ${#A[@]}; i++)); do
		if [ "${A[i]}" = "$2" ]; then
			A[i + 1]=$3
			return
		fi
	done
	echo "test bug: $2 not in $1" >&2
	exit 1
}

# expect_usage WHAT NAME ARGS...: exit 2, empty stdout, one stderr line naming NAME
expect_usage() {
	local what=$1 name=$2
	shift 2
	run "$@"
	[ "$rc" = 2 ] || fail "$what: exit $rc, want 2 ($err)"
	case "$err" in *"given twice"*) fail "$what: test bug: $err" ;; esac
	[ -z "$out" ] || fail "$what: printed on stdout: $out"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "$what: stderr is not one line: $err"
	case "$err" in
	*"$name"*) ;;
	*) fail "$what: error does not name $name: $err" ;;
	esac
}

# expect_fail WHAT WORD ARGS...: exit 1, empty stdout, one stderr line containing WORD
expect_fail() {
	local what=$1 word=$2
	shift 2
	run "$@"
	[ "$rc" = 1 ] || fail "$what: exit $rc, want 1 ($err)"
	[ -z "$out" ] || fail "$what: printed on stdout: $out"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "$what: stderr is not one line: $err"
	case "$err" in
	*"$word"*) ;;
	*) fail "$what: error does not say '$word': $err" ;;
	esac
}

# independent_cases.json "context" and case "msk_message_v1" / "mtk_message_1"
MUK=fc45ad6b199381349ccef259d5a1adc977c120926d9a3878fceadfc02c038f94
KD=00f110
MSK=4b1bf39f7e9c2fe5397c6ae9aa0ef298
RAND=e5b6e250bb1cff14ee2a54302fa7ef86
IDI=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
IDR='gRE0fvgzT8TRMTt3OEPC4w==@bsf.mnc001.mcc001.pub.3gppnetwork.org'
MTK=d2cd6e160cb479325f8aeb7231525dbc
SALT=e57907a1693fcfa0c4670a600876
msk_args=(--muk $MUK --key-domain $KD --msk-id 01020001 --msk $MSK --ts 1 --rand $RAND
	--idi "$IDI" --idr "$IDR" --vf 1 --vt 255)
trig_args=(--muk $MUK --key-domain $KD --msk-id 01020000 --ts 2 --rand $RAND
	--idi "$IDI" --idr "$IDR")
mtk_args=(--msk $MSK --key-domain $KD --msk-id 01020001 --mtk-id 1 --mtk $MTK --salt $SALT
	--ts 1 --rand $RAND)

# a good run of each builder first, so that the failures below mean something
run mikey build-msk "${msk_args[@]}" --v --out "$tmp/msk-v.bin"
[ "$rc" = 0 ] && [ -s "$tmp/msk-v.bin" ] || fail "build-msk: exit $rc ($err)"
run mikey build-msk "${msk_args[@]}" --out "$tmp/msk.bin"
[ "$rc" = 0 ] && [ -s "$tmp/msk.bin" ] || fail "build-msk without --v: exit $rc ($err)"
run mikey build-trigger "${trig_args[@]}" --out "$tmp/trig.bin"
[ "$rc" = 0 ] && [ -s "$tmp/trig.bin" ] || fail "build-trigger: exit $rc ($err)"
run mikey build-mtk "${mtk_args[@]}" --out "$tmp/mtk.bin"
[ "$rc" = 0 ] && [ -s "$tmp/mtk.bin" ] || fail "build-mtk: exit $rc ($err)"

# parse without --key: the clear parts, and it says so
run mikey parse "$tmp/msk-v.bin"
[ "$rc" = 0 ] || fail "parse without --key: exit $rc ($err)"
case "$out" in
*'"mac_ok":null'*'"kemac":"not verified"'*) ;;
*) fail "parse without --key does not say not verified: $out" ;;
esac
case "$out" in
*'"key":'* | *$MSK*) fail "parse without --key printed key material: $out" ;;
esac

with msk_args --rand ${RAND:0:31}
expect_usage "build-msk odd-length --rand" --rand \
	mikey build-msk "${A[@]}" --out "$tmp/x.bin"
with msk_args --key-domain 00f11g
expect_usage "build-msk non-hex --key-domain" --key-domain \
	mikey build-msk "${A[@]}" --out "$tmp/x.bin"
with msk_args --muk ${MUK:0:62}
expect_usage "build-msk 31-byte --muk" --muk \
	mikey build-msk "${A[@]}" --out "$tmp/x.bin"
with msk_args --muk $MSK
expect_usage "build-msk 16-byte --muk" --muk \
	mikey build-msk "${A[@]}" --out "$tmp/x.bin"
with msk_args --msk-id 01020000
expect_usage "build-msk --msk-id with Key Number 0" --msk-id \
	mikey build-msk "${A[@]}" --out "$tmp/x.bin"
expect_usage "build-msk missing --out" --out mikey build-msk "${msk_args[@]}"
expect_usage "build-msk missing --vt" --vt \
	mikey build-msk --muk $MUK --key-domain $KD --msk-id 01020001 --msk $MSK --ts 1 \
	--rand $RAND --idi "$IDI" --idr "$IDR" --vf 1 --out "$tmp/x.bin"
with msk_args --vf 65536
expect_usage "build-msk --vf 65536" --vf \
	mikey build-msk "${A[@]}" --out "$tmp/x.bin"
with msk_args --ts 4294967296
expect_usage "build-msk --ts 2^32" --ts \
	mikey build-msk "${A[@]}" --out "$tmp/x.bin"
with msk_args --idi ""
expect_usage "build-msk empty --idi" --idi \
	mikey build-msk "${A[@]}" --out "$tmp/x.bin"
expect_usage "build-msk --v with a value" --v \
	mikey build-msk "${msk_args[@]}" --v=1 --out "$tmp/x.bin"
with trig_args --msk-id 01020001
expect_usage "build-trigger Key Number 1" --msk-id \
	mikey build-trigger "${A[@]}" --out "$tmp/x.bin"
case "$err" in
*"Key Number 0"*) ;;
*) fail "build-trigger Key Number 1: message does not say Key Number 0 is needed: $err" ;;
esac
expect_usage "build-trigger takes no --msk" --msk \
	mikey build-trigger "${trig_args[@]}" --msk $MSK --out "$tmp/x.bin"
expect_usage "build-trigger missing --out" --out mikey build-trigger "${trig_args[@]}"
with mtk_args --msk-id 01020000
expect_usage "build-mtk Key Number 0" --msk-id \
	mikey build-mtk "${A[@]}" --out "$tmp/x.bin"
with mtk_args --salt ${SALT}00
expect_usage "build-mtk 15-byte --salt" --salt \
	mikey build-mtk "${A[@]}" --out "$tmp/x.bin"
with mtk_args --mtk-id 65536
expect_usage "build-mtk --mtk-id 65536" --mtk-id \
	mikey build-mtk "${A[@]}" --out "$tmp/x.bin"
expect_usage "build-mtk missing --out" --out mikey build-mtk "${mtk_args[@]}"
expect_usage "build-ack missing --out" --out \
	mikey build-ack --for "$tmp/msk-v.bin" --key $MUK
expect_usage "build-ack odd --key" --key \
	mikey build-ack --for "$tmp/msk-v.bin" --key ${MUK:0:63} --out "$tmp/x.bin"
expect_usage "parse without FILE" FILE mikey parse --key $MUK
expect_usage "parse odd --key" --key mikey parse --key ${MUK:0:63} "$tmp/msk.bin"
expect_usage "parse MTK message with a 32-byte --key" --key \
	mikey parse --key $MUK "$tmp/mtk.bin"
expect_usage "parse --ack-for of a non-verification" --ack-for \
	mikey parse --ack-for "$tmp/msk-v.bin" "$tmp/msk.bin"
expect_usage "parse unknown option" --muk mikey parse --muk $MUK "$tmp/msk.bin"
expect_usage "mikey without subcommand" subcommand mikey
expect_usage "mikey unknown subcommand" build-foo mikey build-foo
[ -e "$tmp/x.bin" ] && fail "a refused build left $tmp/x.bin behind"

# errors that are not usage: exit 1, one line
expect_fail "build-ack of a message without V" "V flag" \
	mikey build-ack --for "$tmp/msk.bin" --key $MUK --out "$tmp/x.bin"
expect_fail "build-ack of an MTK message" "mtk" \
	mikey build-ack --for "$tmp/mtk.bin" --key $MUK --out "$tmp/x.bin"
expect_fail "build-ack with the wrong key" bad_mac \
	mikey build-ack --for "$tmp/msk-v.bin" --key ${MUK:0:62}00 --out "$tmp/x.bin"
expect_fail "build-ack of a missing file" "cannot open" \
	mikey build-ack --for "$tmp/none.bin" --key $MUK --out "$tmp/x.bin"
expect_fail "parse of a missing file" "cannot open" mikey parse "$tmp/none.bin"
expect_fail "parse of an empty file" truncated mikey parse /dev/null
expect_fail "build-msk into a missing directory" "cannot write" \
	mikey build-msk "${msk_args[@]}" --out "$tmp/no/such/dir.bin"
expect_fail "build-mtk onto a directory" "cannot write" \
	mikey build-mtk "${mtk_args[@]}" --out "$tmp"
[ -e "$tmp/x.bin" ] && fail "a refused build-ack left $tmp/x.bin behind"
ls "$tmp" | grep -q '\.tmp\.' && fail "a temporary file was left behind: $(ls "$tmp")"

# ---- --help ----
for sub in build-msk build-trigger build-mtk build-ack parse; do
	run mikey $sub --help
	[ "$rc" = 0 ] || fail "mikey $sub --help: exit $rc"
	case "$out" in
	"usage: mbmssec mikey $sub"*) ;;
	*) fail "mikey $sub --help: no usage text on stdout: $out" ;;
	esac
done
run mikey --help
[ "$rc" = 0 ] && [ "${out#usage: mbmssec mikey}" != "$out" ] || fail "mikey --help: exit $rc: $out"

if [ "$failures" -ne 0 ]; then
	echo "test_cli_mikey: $failures check(s) failed"
	exit 1
fi
echo "test_cli_mikey: all checks passed"
