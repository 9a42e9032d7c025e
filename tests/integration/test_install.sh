#!/usr/bin/env bash
# The install tree: `cmake --install $MBMS_BUILD --prefix TMP` and with
# DESTDIR staging. Checks: every built program lands in bin/ and answers
# --version with the project version; libmbmssec.a, the public headers (the
# committed ones each compile on their own) and mbmssec.pc; a tiny program
# built with `pkg-config --cflags` and `pkg-config --static --libs` computes
# the ks_naf_1 vector of independent_cases.json (and a changed input must
# give another value); the man pages render without warnings (man -l, groff,
# when present); the systemd units carry the hardening the project asks for,
# point ExecStart at the installed program and pass `systemd-analyze verify`
# (when present; a broken copy must not pass). DESTDIR: nothing outside the
# stage, ExecStart without the stage, and the staged .pc still works
# (prefix relative to ${pcfiledir}).
set -u

BUILD=${MBMS_BUILD:?MBMS_BUILD must name the build directory}
SRC=${MBMS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checks=0
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
pass() {
	checks=$((checks + 1))
	echo "ok - $*"
}
die() {
	echo "FAIL: $*"
	exit 1
}

for tool in cmake pkg-config python3; do
	command -v "$tool" >/dev/null || die "$tool is needed"
done

# Compile the way the build did: its compiler, and its sanitizers (an ASan
# libmbmssec.a does not link without them).
CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)
command -v "${CC:-cc}" >/dev/null || CC=cc
SAN=()
grep -q '^MBMS_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null &&
	SAN=(-fsanitize=address,undefined)

prefix=$work/usr
cmake --install "$BUILD" --prefix "$prefix" >"$work/install.log" 2>&1 ||
	die "cmake --install failed: $(tail -n 5 "$work/install.log")"
pass "cmake --install --prefix"

# ---- programs and --version ----
version=$(sed -n 's/^project(mbmssec VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$version" ] || die "no project version in CMakeLists.txt"
nprog=0
for prog in mbmssec bsfd bmscd mbms-ue; do
	if [ ! -x "$BUILD/bin/$prog" ]; then
		[ -e "$prefix/bin/$prog" ] && fail "$prog installed but not built"
		continue
	fi
	nprog=$((nprog + 1))
	[ -x "$prefix/bin/$prog" ] || {
		fail "$prog built but not installed"
		continue
	}
	out=$("$prefix/bin/$prog" --version 2>&1)
	rc=$?
	first=$(head -n1 <<<"$out")
	if [ $rc -eq 0 ] && [ "$first" = "$prog $version" ]; then
		pass "installed $prog --version: $first"
	else
		fail "installed $prog --version: exit $rc, '$first', want '$prog $version'"
	fi
done
[ "$nprog" -ge 2 ] || fail "mbmssec and bsfd should both be built ($nprog programs)"
# mbms-ue runs its HTTP through mbms-ue-http found next to it (docs/ue.md)
if [ -x "$BUILD/bin/mbms-ue" ]; then
	[ -x "$prefix/bin/mbms-ue-http" ] || fail "mbms-ue installed without its HTTP helper mbms-ue-http"
	printf 'not a request' | "$prefix/bin/mbms-ue-http" >/dev/null 2>&1
	rc=$?
	[ $rc -eq 2 ] && pass "installed mbms-ue-http next to mbms-ue (refuses a malformed request, exit 2)" ||
		fail "installed mbms-ue-http: exit $rc for a malformed request, want 2"
fi

# ---- library, headers, pkg-config ----
[ -f "$prefix/lib/libmbmssec.a" ] && pass "lib/libmbmssec.a" || fail "no lib/libmbmssec.a"
missing=0
for h in "$SRC"/include/mbmssec/*.h; do
	[ -f "$prefix/include/mbmssec/$(basename "$h")" ] || {
		fail "header $(basename "$h") not installed"
		missing=1
	}
done
[ $missing -eq 0 ] && pass "every include/mbmssec/*.h installed"
pc=$prefix/lib/pkgconfig/mbmssec.pc
[ -f "$pc" ] || die "no lib/pkgconfig/mbmssec.pc"
grep -q '^Requires.private: libcrypto expat$' "$pc" || fail "mbmssec.pc: Requires.private"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pcv=$(pkg-config --modversion mbmssec 2>&1)
[ "$pcv" = "$version" ] && pass "pkg-config --modversion = $version" ||
	fail "pkg-config --modversion: '$pcv'"
cflags=$(pkg-config --cflags mbmssec) || die "pkg-config --cflags"
libs=$(pkg-config --static --libs mbmssec) || die "pkg-config --static --libs"
grep -q -- "-lcrypto" <<<"$libs" || fail "pkg-config --static --libs lacks -lcrypto: $libs"

# Each committed public header compiles on its own against the installed tree.
# (The typedef keeps a header of macros only from being an empty unit.)
nh=0
hbad=0
for h in $(git -C "$SRC" ls-files 'include/mbmssec/*.h' 2>/dev/null); do
	printf '#include <mbmssec/%s>\ntypedef int header_check;\n' "$(basename "$h")" >"$work/h.c"
	# shellcheck disable=SC2086 # word splitting of the pkg-config output is wanted
	if ! "$CC" -std=c17 -Wall -Wextra -Werror -pedantic $cflags -fsyntax-only "$work/h.c" \
		2>"$work/h.err"; then
		fail "installed $(basename "$h") alone: $(head -n3 "$work/h.err")"
		hbad=$((hbad + 1))
	fi
	nh=$((nh + 1))
done
[ $nh -gt 0 ] && [ $hbad -eq 0 ] && pass "$nh committed headers compile alone (-std=c17 -pedantic)"

# ---- a program against the installed library: the ks_naf_1 vector ----
read -r ks rand impi naf ua want < <(python3 - "$SRC/tests/vectors/independent_cases.json" <<'EOF'
import json, sys
for c in json.load(open(sys.argv[1]))["cases"]:
    if c["id"] == "ks_naf_1":
        i = c["input"]
        print(i["ks"], i["rand"], i["impi"], i["naf_fqdn"], i["ua_id"], c["expected"]["ks_naf"])
EOF
)
[ -n "${want:-}" ] || die "no ks_naf_1 in the vectors"
cat >"$work/ksnaf.c" <<'EOF'
/* Ks_NAF through the installed libmbmssec: argv = Ks RAND IMPI NAF_FQDN UA_ID (hex, hex, str, str, hex). */
#include <mbmssec/crypto.h>
#include <mbmssec/kdf.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int unhex(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t ks[MBMS_KS_LEN], rand[16], ua[MBMS_UA_ID_LEN], out[MBMS_KS_NAF_LEN];
	if (argc != 6 || unhex(argv[1], ks, sizeof(ks)) || unhex(argv[2], rand, sizeof(rand)) ||
	    unhex(argv[5], ua, sizeof(ua))) {
		fprintf(stderr, "usage: ksnaf KS RAND IMPI NAF_FQDN UA_ID\n");
		return 2;
	}
	if (mbms_crypto_init() != 0)
		return 1;
	int rc = mbms_ks_naf(ks, rand, argv[3], argv[4], ua, out);
	if (rc != 0) {
		fprintf(stderr, "mbms_ks_naf: %d\n", rc);
		return 1;
	}
	for (size_t i = 0; i < sizeof(out); i++)
		printf("%02x", out[i]);
	putchar('\n');
	mbms_crypto_thread_cleanup();
	return 0;
}
EOF
# shellcheck disable=SC2086 # word splitting of the pkg-config output is wanted
if "$CC" -std=c17 -Wall -Wextra -Werror "${SAN[@]}" $cflags -o "$work/ksnaf" "$work/ksnaf.c" $libs \
	2>"$work/cc.err"; then
	pass "compiled against the installed tree: cc \$(pkg-config --cflags) ... \$(pkg-config --static --libs)"
	got=$("$work/ksnaf" "$ks" "$rand" "$impi" "$naf" "$ua")
	[ "$got" = "$want" ] && pass "ks_naf_1 through the installed library: $got" ||
		fail "ks_naf_1: got '$got', want '$want'"
	# must differ: one bit of RAND flipped
	other=$("$work/ksnaf" "$ks" "$(printf '%02x' $((0x${rand:0:2} ^ 1)))${rand:2}" "$impi" "$naf" "$ua")
	[ -n "$other" ] && [ "$other" != "$want" ] && pass "changed RAND gives another Ks_NAF" ||
		fail "changed RAND: got '$other'"
else
	fail "cannot compile against the installed tree: $(head -n 5 "$work/cc.err")"
fi

# ---- man pages ----
nman=0
for prog in mbmssec bsfd bmscd mbms-ue; do
	[ -x "$prefix/bin/$prog" ] || continue
	page=$prefix/share/man/man1/$prog.1
	if [ ! -f "$page" ]; then
		fail "no man page for $prog"
		continue
	fi
	nman=$((nman + 1))
	if command -v groff >/dev/null; then
		warn=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
		[ -z "$warn" ] || fail "groff warnings in $prog.1: $warn"
	fi
	if command -v man >/dev/null; then
		text=$(MANWIDTH=80 man -l "$page" 2>"$work/man.err")
		rc=$?
		if [ $rc -eq 0 ] && grep -q "^NAME" <<<"$text" && grep -q "^ *$prog " <<<"$text" &&
			grep -q "^SYNOPSIS" <<<"$text" && ! [ -s "$work/man.err" ]; then
			pass "man -l $prog.1 renders"
		else
			fail "man -l $prog.1: exit $rc, $(head -n 3 "$work/man.err")"
		fi
	fi
done
[ $nman -eq "$nprog" ] && pass "$nman man pages installed in share/man/man1" ||
	fail "only $nman man pages installed"
command -v man >/dev/null || echo "note: man not installed, rendering not checked"

# ---- examples and docs ----
[ -f "$prefix/share/doc/mbmssec/examples/bsf.ini" ] && pass "share/doc/mbmssec/examples" ||
	fail "no share/doc/mbmssec/examples/bsf.ini"

# ---- systemd units ----
# The source units, installed or not yet (bmscd): the hardening asked for.
for unit in "$SRC"/contrib/systemd/*.service; do
	name=$(basename "$unit" .service)
	bad=""
	for want in "Type=simple" "User=mbmssec" "StateDirectory=mbmssec/" "ProtectSystem=strict" \
		"ProtectHome=yes" "PrivateTmp=yes" "NoNewPrivileges=yes" "CapabilityBoundingSet=" \
		"ReadWritePaths=/var/lib/mbmssec/" "Restart=on-failure" \
		"ExecStart=/usr/local/bin/$name --config /etc/mbmssec/"; do
		grep -q "^$want" "$unit" || bad="$bad $want"
	done
	grep -q '^CapabilityBoundingSet=$' "$unit" || bad="$bad CapabilityBoundingSet=(empty)"
	sd=$(sed -n 's|^StateDirectory=|/var/lib/|p' "$unit")
	grep -q "^ReadWritePaths=$sd\$" "$unit" || bad="$bad ReadWritePaths=$sd"
	[ -z "$bad" ] && pass "$name.service: hardening and ExecStart" ||
		fail "$name.service lacks:$bad"
done
nunit=0
for prog in bsfd bmscd; do
	[ -x "$prefix/bin/$prog" ] || continue
	unit=$prefix/lib/systemd/system/$prog.service
	[ -f "$unit" ] || {
		fail "$prog installed without $prog.service"
		continue
	}
	nunit=$((nunit + 1))
	grep -q "^ExecStart=$prefix/bin/$prog --config /etc/mbmssec/" "$unit" &&
		pass "installed $prog.service runs $prefix/bin/$prog" ||
		fail "installed $prog.service: $(grep ^ExecStart "$unit")"
done
[ $nunit -ge 1 ] || fail "no unit installed"
if command -v systemd-analyze >/dev/null; then
	# Documentation=man:... is checked by running man(1); a minimal system
	# may have no man-db: then the pages are checked as installed files
	if command -v man >/dev/null; then
		verify() { # unit: prints what verify says, returns its status
			MANPATH=$prefix/share/man systemd-analyze verify "$@" 2>&1
		}
	else
		verify() {
			local page rc=0
			systemd-analyze verify --man=no "$@" 2>&1 || rc=$?
			for page in $(sed -n 's/^Documentation=.*man:\([a-z-]*\)(\([0-9]\)).*/\1.\2/p' "$1"); do
				[ -f "$prefix/share/man/man${page##*.}/$page" ] ||
					[ -f "$prefix/share/man/man${page##*.}/$page.gz" ] ||
					{ echo "no man page $page installed"; rc=1; }
			done
			return $rc
		}
	fi
	for unit in "$prefix"/lib/systemd/system/*.service; do
		out=$(verify "$unit")
		rc=$?
		[ $rc -eq 0 ] && [ -z "$out" ] && pass "systemd-analyze verify $(basename "$unit")" ||
			fail "systemd-analyze verify $(basename "$unit"): exit $rc: $out"
		level=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
			sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		if [ -n "$level" ]; then
			awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' &&
				pass "systemd-analyze security: exposure $level" ||
				fail "systemd-analyze security $(basename "$unit"): exposure $level > 2.0"
		fi
	done
	# bmscd.service before bmscd exists: syntax only, with a stand-in program.
	if [ ! -f "$prefix/lib/systemd/system/bmscd.service" ]; then
		sed "s|^ExecStart=/usr/local/bin/bmscd|ExecStart=$(command -v true)|" \
			"$SRC/contrib/systemd/bmscd.service" >"$work/bmscd.service"
		out=$(systemd-analyze verify --man=no "$work/bmscd.service" 2>&1)
		rc=$?
		[ $rc -eq 0 ] && [ -z "$out" ] && pass "systemd-analyze verify bmscd.service (syntax)" ||
			fail "systemd-analyze verify bmscd.service: exit $rc: $out"
	fi
	# must fail: the same check on a unit with a bad value
	sed 's/^ProtectSystem=strict/ProtectSystem=sometimes/' \
		"$prefix/lib/systemd/system/bsfd.service" >"$work/bsfd.service"
	out=$(verify "$work/bsfd.service")
	[ -n "$out" ] && pass "verify flags ProtectSystem=sometimes" ||
		fail "verify accepted ProtectSystem=sometimes (the check proves nothing)"
else
	echo "note: systemd-analyze not installed, units not verified"
fi

# ---- DESTDIR staging ----
stage=$work/stage
DESTDIR=$stage cmake --install "$BUILD" --prefix /opt/mbmssec >"$work/stage.log" 2>&1 ||
	fail "DESTDIR install: $(tail -n 3 "$work/stage.log")"
if [ -x "$stage/opt/mbmssec/bin/bsfd" ] && [ -f "$stage/opt/mbmssec/lib/libmbmssec.a" ]; then
	pass "DESTDIR=STAGE --prefix /opt/mbmssec lands in STAGE/opt/mbmssec"
else
	fail "DESTDIR install: files not under the stage"
fi
[ -e /opt/mbmssec ] && echo "note: /opt/mbmssec exists on this host (not checked)"
grep -q '^ExecStart=/opt/mbmssec/bin/bsfd ' "$stage/opt/mbmssec/lib/systemd/system/bsfd.service" &&
	pass "staged bsfd.service runs /opt/mbmssec/bin/bsfd" ||
	fail "staged unit: $(grep ^ExecStart "$stage/opt/mbmssec/lib/systemd/system/bsfd.service")"
inc=$(PKG_CONFIG_PATH=$stage/opt/mbmssec/lib/pkgconfig pkg-config --cflags mbmssec)
inc=${inc#-I}
inc=${inc%% *}
[ -f "$inc/mbmssec/kdf.h" ] && pass "staged mbmssec.pc finds the staged headers" ||
	fail "staged mbmssec.pc: --cflags '$inc'"

echo "$checks checks passed, $failures failed"
[ "$failures" -eq 0 ]
