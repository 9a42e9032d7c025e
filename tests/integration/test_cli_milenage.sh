#!/usr/bin/env bash
# mbmssec milenage on the command line: TS 35.208 test set 1 exactly, sets
# 1-6 of tests/vectors/ts35208.txt field by field, usage errors (exit 2,
# one line naming the option) and --help (exit 0).
# MBMS_BIN is set by ctest; by hand: MBMS_BIN=build-x/bin bash this-script.
set -u
src=${MBMS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${MBMS_BIN:-$src/build/bin}
tool=$bin/mbmssec
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

# run ARGS...: sets $rc, $out, $err
run() {
	"$tool" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# ---- TS 35.208 test set 1 (tests/vectors/milenage.txt), exact output ----
K=465b5ce8b199b49faa5f0a2ee238a6bc
OP=cdc202d5123e20f62b6d676ac72cb318
OPC=cd63cb71954a9f4e48a5994e37a02baf
RAND=23553cbe9637a89d218ae64dae47bf35
SQN=ff9bb4d0b607
AMF=b9b9
want='{"opc":"cd63cb71954a9f4e48a5994e37a02baf","mac_a":"4a9ffac354dfafb3","mac_s":"01cfaf9ec4e871e9","res":"a54211d5e3ba50bf","ck":"b40ba9a3c58b2a05bbf0d987b21bf8cb","ik":"f769bcd751044604127672711c6d3441","ak":"aa689c648370","ak_star":"451e8beca43b"}'

run milenage --k $K --op $OP --rand $RAND --sqn $SQN --amf $AMF
[ "$rc" = 0 ] || fail "set 1 with --op: exit $rc ($err)"
[ "$out" = "$want" ] || fail "set 1 with --op: got $out"
[ -z "$err" ] || fail "set 1 with --op: unexpected stderr: $err"
# exactly one line, ending in a newline
[ "$(wc -l <"$tmp/out")" = 1 ] || fail "set 1: output is not exactly one line"

run milenage --k $K --opc $OPC --rand $RAND --sqn $SQN --amf $AMF
[ "$rc" = 0 ] && [ "$out" = "$want" ] || fail "set 1 with --opc: exit $rc, got $out"

run milenage --amf=$AMF --sqn=$SQN --rand=$RAND --opc=$OPC --k=$K
[ "$rc" = 0 ] && [ "$out" = "$want" ] || fail "set 1, --name=value in another order: exit $rc, got $out"

# A different AMF must change mac_a and mac_s (must differ from set 1's line).
run milenage --k $K --op $OP --rand $RAND --sqn $SQN --amf b9b8
[ "$rc" = 0 ] && [ "$out" != "$want" ] || fail "AMF b9b8 gave set 1's output (exit $rc)"

# ---- every set of tests/vectors/ts35208.txt, field by field ----
vectors=$src/tests/vectors/ts35208.txt
if [ ! -r "$vectors" ]; then
	fail "cannot read $vectors"
else
	# one line per set: K RAND SQN AMF OP OPc f1 f1* f2 f5 f3 f4 f5*
	awk '/^#/ || NF < 2 { next }
	     $1 == "K" && line != "" { print line; line = "" }
	     { line = line (line == "" ? "" : " ") $2 }
	     END { if (line != "") print line }' "$vectors" >"$tmp/sets"
	nsets=$(wc -l <"$tmp/sets")
	[ "$nsets" = 6 ] || fail "ts35208.txt: expected 6 sets, parsed $nsets"
	n=0
	while read -r k rand sqn amf op opc f1 f1s f2 f5 f3 f4 f5s; do
		n=$((n + 1))
		want_set="{\"opc\":\"$opc\",\"mac_a\":\"$f1\",\"mac_s\":\"$f1s\",\"res\":\"$f2\",\"ck\":\"$f3\",\"ik\":\"$f4\",\"ak\":\"$f5\",\"ak_star\":\"$f5s\"}"
		run milenage --k "$k" --op "$op" --rand "$rand" --sqn "$sqn" --amf "$amf"
		[ "$rc" = 0 ] && [ "$out" = "$want_set" ] ||
			fail "ts35208.txt set $n: exit $rc, got $out, want $want_set"
	done <"$tmp/sets"
fi

# ---- usage errors: exit 2, nothing on stdout, one stderr line naming the option ----
# each row: option-that-must-be-named|arguments
while IFS='|' read -r name args; do
	[ -z "$name" ] && continue
	# shellcheck disable=SC2086  # word splitting of the row is intended
	run milenage $args
	[ "$rc" = 2 ] || fail "[$args] exit $rc, want 2"
	[ -z "$out" ] || fail "[$args] printed on stdout: $out"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "[$args] stderr is not one line: $err"
	case "$err" in
	*"$name"*) ;;
	*) fail "[$args] error does not name $name: $err" ;;
	esac
done <<ROWS
--k|--k 465b5ce8b199b49faa5f0a2ee238a6b --op $OP --rand $RAND --sqn $SQN --amf $AMF
--k|--k 465b5ce8b199b49faa5f0a2ee238a6 --op $OP --rand $RAND --sqn $SQN --amf $AMF
--k|--op $OP --rand $RAND --sqn $SQN --amf $AMF
--op|--k $K --op cdc202d5123e20f62b6d676ac72cb31 --rand $RAND --sqn $SQN --amf $AMF
--opc|--k $K --opc cd63cb71954a9f4e48a5994e37a02b --rand $RAND --sqn $SQN --amf $AMF
--opc|--k $K --op $OP --opc $OPC --rand $RAND --sqn $SQN --amf $AMF
--opc|--k $K --rand $RAND --sqn $SQN --amf $AMF
--rand|--k $K --op $OP --rand 23553cbe9637a89d218ae64dae47bfzz --sqn $SQN --amf $AMF
--rand|--k $K --op $OP --sqn $SQN --amf $AMF
--sqn|--k $K --op $OP --rand $RAND --sqn ff9bb4d0b6070 --amf $AMF
--sqn|--k $K --op $OP --rand $RAND --sqn ff9bb4d0b6 --amf $AMF
--amf|--k $K --op $OP --rand $RAND --sqn $SQN --amf b9b9b9
--amf|--k $K --op $OP --rand $RAND --sqn $SQN --amf b9b
--amf|--k $K --op $OP --rand $RAND --sqn $SQN
--amf|--k $K --op $OP --rand $RAND --sqn $SQN --amf
--bogus|--k $K --op $OP --rand $RAND --sqn $SQN --amf $AMF --bogus 1
ROWS

# ---- --help ----
run milenage --help
[ "$rc" = 0 ] || fail "--help: exit $rc"
case "$out" in
"usage: mbmssec milenage"*) ;;
*) fail "--help: no usage text on stdout: $out" ;;
esac

if [ "$failures" -ne 0 ]; then
	echo "test_cli_milenage: $failures check(s) failed"
	exit 1
fi
echo "test_cli_milenage: all checks passed"
