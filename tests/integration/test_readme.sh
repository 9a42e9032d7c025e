#!/usr/bin/env bash
# The README's claims that no other test covers, checked against the tree and
# the build:
#   * every relative link of README.md names a file or directory that exists;
#   * every test named in the status table exists;
#   * the CLI commands listed under Components are those of `mbmssec --help`;
#   * the library is sans-I/O: libmbmssec.a calls no socket, file or clock
#     function of libc;
#   * the options the README names exist: --trace on every daemon,
#     --debug-keys on bsfd and bmscd, ./run.sh demo|test, make demo;
#   * the performance table is the one bench/results.json (make bench) gives.
# (The procedures themselves: the tests of the status table; the demo:
# test_demo.sh.)
set -u

BIN=${MBMS_BIN:?MBMS_BIN must name the build bin directory}
SRC=${MBMS_SRC:?MBMS_SRC must name the source directory}
BUILD=${MBMS_BUILD:-$(dirname "$BIN")}
README=$SRC/README.md

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
pass() { echo "ok - $*"; }

[ -f "$README" ] || fail "no README.md"
command -v python3 >/dev/null || fail "python3 is needed"

# ---- links ----
python3 - "$SRC" <<'EOF' || fail "README links"
import os, re, sys
src = sys.argv[1]
text = open(os.path.join(src, "README.md"), encoding="utf-8").read()
links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
bad = [l for l in links if "://" not in l and not os.path.exists(os.path.join(src, l))]
assert links, "no links found"
assert not bad, "links to nothing: %s" % bad
print("%d relative links" % sum("://" not in l for l in links))
EOF
pass "every relative link of README.md exists"

# ---- the tests of the status table ----
python3 - "$SRC" <<'EOF' || fail "status table"
import os, re, sys
src = sys.argv[1]
text = open(os.path.join(src, "README.md"), encoding="utf-8").read()
part = text.split("## Status of the seed procedures", 1)[1].split("\n## ", 1)[0]
rows = [l for l in part.splitlines() if l.startswith("| ") and not l.startswith("| procedure")
        and not l.startswith("|---")]
assert len(rows) >= 10, "%d rows in the status table" % len(rows)
names = set()
for r in rows:
    cells = [c.strip() for c in r.strip("|").split("|")]
    assert len(cells) == 4, "a row without 4 cells: %s" % r
    found = re.findall(r"`((?:tests/\w+/)?test_\w+\.(?:c|sh))`", cells[3])
    assert found, "a row names no test: %s" % r
    names.update(found)
missing = []
for n in names:
    if "/" in n:
        ok = os.path.exists(os.path.join(src, n))
    else:
        ok = any(os.path.exists(os.path.join(src, "tests", d, n))
                 for d in ("unit", "integration", "interop"))
    if not ok:
        missing.append(n)
assert not missing, "tests named in the status table that do not exist: %s" % missing
print("%d rows, %d tests named" % (len(rows), len(names)))
EOF
pass "every test named in the status table exists"

# ---- the CLI commands ----
listed=$(sed -n 's/^| `build\/bin\/mbmssec` | CLI: \([^|]*\)|.*/\1/p' "$README" | tr -d '`,' | tr ' ' '\n' |
	grep . | sort | tr '\n' ' ')
actual=$("$BIN/mbmssec" --help 2>&1 | sed -n 's/^  \([a-z-]*\)  .*/\1/p' | sort | tr '\n' ' ')
[ -n "$listed" ] || fail "no CLI command list in the Components table"
[ "$listed" = "$actual" ] || fail "README lists CLI commands '$listed', mbmssec --help has '$actual'"
pass "CLI commands in the README = mbmssec --help: $actual"

# ---- the library is sans-I/O ----
lib=$(find "$BUILD" -name 'libmbmssec.a' | head -n 1)
[ -n "$lib" ] || fail "no libmbmssec.a under $BUILD"
command -v nm >/dev/null || fail "nm is needed"
io=$(nm -u "$lib" 2>/dev/null | awk '{print $NF}' | sed 's/@.*//' | sort -u | grep -xE \
	'socket|connect|bind|listen|accept4?|send|sendto|sendmsg|sendmmsg|recv|recvfrom|recvmsg|recvmmsg|open|open64|openat|fopen|fopen64|fdopen|read|write|close|fclose|fread|fwrite|stat|fstat|unlink|rename|time|clock_gettime|gettimeofday|getrandom|select|poll|epoll_wait' ||
	true)
[ -z "$io" ] || fail "the library calls I/O or the clock: $io"
pass "libmbmssec.a calls no socket, file or clock function"

# ---- options the README names ----
for d in bsfd bmscd mbms-ue; do
	"$BIN/$d" --help 2>&1 | grep -q -- '--trace FILE' || fail "$d --help has no --trace FILE"
done
for d in bsfd bmscd; do
	"$BIN/$d" --help 2>&1 | grep -q -- '--debug-keys' || fail "$d --help has no --debug-keys"
done
"$SRC/run.sh" --help | grep -q 'run.sh demo' || fail "run.sh --help does not name demo"
"$SRC/run.sh" --help | grep -q 'run.sh test' || fail "run.sh --help does not name test"
grep -q '^demo:' "$SRC/Makefile" && grep -q 'scripts/demo.sh' "$SRC/Makefile" ||
	fail "make demo does not run scripts/demo.sh"
[ -f "$SRC/scripts/demo.sh" ] || fail "no scripts/demo.sh"
pass "--trace on bsfd, bmscd, mbms-ue; --debug-keys on bsfd, bmscd; ./run.sh demo|test; make demo"

# ---- the performance table comes from make bench ----
python3 "$SRC/bench/report.py" --readme-check "$SRC/bench/results.json" "$README" ||
	fail "the README's performance table is not the one of bench/results.json"
pass "the performance table = bench/results.json"

echo "test_readme: all passed"
