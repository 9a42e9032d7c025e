#!/usr/bin/env bash
# mbmssec ks-naf and prf on the command line against
# tests/vectors/independent_cases.json (values copied here by case id), plus
# usage errors (exit 2, one line naming the option) and --help (exit 0).
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

# expect_ok WHAT WANT ARGS...: exit 0, exactly WANT on stdout, nothing on stderr
expect_ok() {
	local what=$1 want=$2
	shift 2
	run "$@"
	[ "$rc" = 0 ] || fail "$what: exit $rc ($err)"
	[ "$out" = "$want" ] || fail "$what: got '$out', want '$want'"
	[ -z "$err" ] || fail "$what: unexpected stderr: $err"
}

# expect_usage WHAT NAME ARGS...: exit 2, empty stdout, one stderr line naming NAME
expect_usage() {
	local what=$1 name=$2
	shift 2
	run "$@"
	[ "$rc" = 2 ] || fail "$what: exit $rc, want 2"
	[ -z "$out" ] || fail "$what: printed on stdout: $out"
	[ "$(wc -l <"$tmp/err")" = 1 ] || fail "$what: stderr is not one line: $err"
	case "$err" in
	*"$name"*) ;;
	*) fail "$what: error does not name $name: $err" ;;
	esac
}

# ---- independent_cases.json, case "ks_naf_1" ----
KS=52f22665a60c12d289185d950ee8813609166f6b113d178d6c0fd3901ff239a1
GRAND=a095f20f9395650cf9380b8edb224a6b
KS_NAF=c04586c4573204bd3198fe26b1698ce09bea30667e8d559d81bdd48d3cd7b685
expect_ok "ks_naf_1" $KS_NAF \
	ks-naf --ks $KS --rand $GRAND --impi j --naf-fqdn 8ht9 --ua-id 0100000001
# the case's ua_id is the MBMS one, which is also the default
expect_ok "ks_naf_1 with the default --ua-id" $KS_NAF \
	ks-naf --ks $KS --rand $GRAND --impi j --naf-fqdn 8ht9
# must differ: another Ua protocol id, another IMPI
run ks-naf --ks $KS --rand $GRAND --impi j --naf-fqdn 8ht9 --ua-id 0100000002
[ "$rc" = 0 ] && [ -n "$out" ] && [ "$out" != $KS_NAF ] ||
	fail "ks_naf_1 with ua-id 0100000002 gave the case's Ks_NAF (exit $rc)"
run ks-naf --ks $KS --rand $GRAND --impi k --naf-fqdn 8ht9
[ "$rc" = 0 ] && [ -n "$out" ] && [ "$out" != $KS_NAF ] ||
	fail "ks_naf_1 with impi k gave the case's Ks_NAF (exit $rc)"

# ---- independent_cases.json, case "prf_1" ----
INKEY=d861137ae9af49c40b9da1a432139925
LABEL=5441a6beb14d9f9122037b0f7c44f8ac19b137ac7d4ab58449
PRF_OUT=fa9b067c4111e3a0e360ba2959fd
expect_ok "prf_1" $PRF_OUT prf --inkey $INKEY --label $LABEL --len 14
# a shorter output is a prefix of the longer one (the PRF is a stream)
expect_ok "prf_1, first 7 bytes" ${PRF_OUT:0:14} prf --inkey $INKEY --label $LABEL --len 7
# must differ: the label's last byte changed
run prf --inkey $INKEY --label ${LABEL:0:48}48 --len 14
[ "$rc" = 0 ] && [ -n "$out" ] && [ "$out" != $PRF_OUT ] ||
	fail "prf_1 with another label gave the case's output (exit $rc)"

# ---- usage errors ----
expect_usage "ks-naf odd-length --ks" --ks \
	ks-naf --ks ${KS:0:63} --rand $GRAND --impi j --naf-fqdn 8ht9
expect_usage "ks-naf short --rand" --rand \
	ks-naf --ks $KS --rand ${GRAND:0:30} --impi j --naf-fqdn 8ht9
expect_usage "ks-naf missing --impi" --impi \
	ks-naf --ks $KS --rand $GRAND --naf-fqdn 8ht9
expect_usage "ks-naf empty --impi" --impi \
	ks-naf --ks $KS --rand $GRAND --impi "" --naf-fqdn 8ht9
expect_usage "ks-naf missing --naf-fqdn" --naf-fqdn \
	ks-naf --ks $KS --rand $GRAND --impi j
expect_usage "ks-naf odd-length --ua-id" --ua-id \
	ks-naf --ks $KS --rand $GRAND --impi j --naf-fqdn 8ht9 --ua-id 010000000
expect_usage "prf odd-length --inkey" --inkey \
	prf --inkey ${INKEY:0:31} --label $LABEL --len 14
expect_usage "prf odd-length --label" --label \
	prf --inkey $INKEY --label ${LABEL:0:49} --len 14
expect_usage "prf --len 0" --len prf --inkey $INKEY --label $LABEL --len 0
expect_usage "prf --len not a number" --len prf --inkey $INKEY --label $LABEL --len 1x
expect_usage "prf missing --len" --len prf --inkey $INKEY --label $LABEL

# ---- --help ----
for sub in ks-naf prf; do
	run $sub --help
	[ "$rc" = 0 ] || fail "$sub --help: exit $rc"
	case "$out" in
	"usage: mbmssec $sub"*) ;;
	*) fail "$sub --help: no usage text on stdout: $out" ;;
	esac
done

if [ "$failures" -ne 0 ]; then
	echo "test_cli_kdf: $failures check(s) failed"
	exit 1
fi
echo "test_cli_kdf: all checks passed"
