#!/usr/bin/env bash
# Fault injection: the disk fills up under the daemons' SQLite databases
# and key stores. "Disk full" is simulated with RLIMIT_FSIZE (ulimit -f):
# writes past the limit fail with EFBIG exactly as on a full disk (SQLite
# reports SQLITE_FULL / an I/O error), without root, loop devices or tmpfs
# mounts; SIGXFSZ is ignored so the write fails instead of killing the
# process, and the logs go through a pipe, which the limit does not cover.
#   A. bmscd: UEs register until the WAL cannot grow; from the failing
#      commit on, POSTs are answered 503 + Retry-After (never a 200 that is
#      not durable), bmscd logs the SQLite error, holds its MIKEY messages
#      back, keeps serving status; after a restart without the limit the
#      database passes PRAGMA integrity_check, holds exactly the
#      registrations that were answered 200, the same MSKs, and works.
#   B. mbms-ue: the key store cannot be rewritten (limit below its size);
#      the UE logs the failure, keeps running and withholds its verification
#      messages (an ack means "stored"); the file on disk is the previous
#      complete one (temporary file + rename), so a restart without the limit
#      loads it and the BM-SC's retransmission delivers the key.
#   C. bsfd: bootstraps until its database cannot grow; a bootstrap whose
#      state cannot be stored is not answered 200; after a restart the
#      database is intact and bootstraps work.
set -u
TEST_NAME=test_fault_db
. "$(dirname "$0")/../security/lib.sh"
need "$BSFD" "$BMSCD" "$UE" "$BIN/sec_mass_ue" python3

FQDN=bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org
ZN_SECRET=zn-secret-for-the-db-test
NEWS=urn:example:mbms:news
LIMIT_KB=512 # ulimit -f unit: 1024 bytes

# start_limited LIMIT_KB LOG cmd...: a daemon under RLIMIT_FSIZE, its stderr
# through a pipe (the limit applies to files only). Sets LPID.
start_limited() {
	local limit=$1 log=$2
	shift 2
	(trap '' XFSZ; ulimit -f "$limit"; exec "$@") 2> >(cat >"$log") &
	LPID=$!
	BG_PIDS+=("$LPID")
}
integrity() { # db file: "ok" from PRAGMA integrity_check
	python3 - "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
print(c.execute("PRAGMA integrity_check").fetchone()[0])
EOF
}
db_count() { # db, table
	python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM %s" % sys.argv[2]).fetchone()[0])' "$1" "$2"
}

# ---- A: bmscd ----
ZN_PORT=$(free_tcp_port)
cat >"$WORK/bmsc.ini" <<EOF
[bmsc]
fqdn = $FQDN
mcc = 001
mnc = 01
listen = 127.0.0.1:0
admin_listen = 127.0.0.1:0
mikey_listen = 127.0.0.1:0
db = bmsc.db
log_level = info
[zn]
url = http://127.0.0.1:$ZN_PORT
secret = $ZN_SECRET
[key_group "258"]
msk_lifetime = 1h
lead_time = 10m
[service "$NEWS"]
key_groups = 258
subscribers = *
EOF
chmod 600 "$WORK/bmsc.ini"
start_limited "$LIMIT_KB" "$WORK/bmscd.limited.log" "$BMSCD" --config "$WORK/bmsc.ini"
BM_PID=$LPID
wait_for 10 grep -q ' key management on ' "$WORK/bmscd.limited.log" || fail "bmscd did not start under the limit"
line=$(grep -m1 ' key management on ' "$WORK/bmscd.limited.log")
KM=http://127.0.0.1:$(echo "$line" | sed -n 's/.*key management on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
ADMIN=127.0.0.1:$(echo "$line" | sed -n 's/.*admin on 127\.0\.0\.1:\([0-9]*\).*/\1/p')
CUR=$(bm_field 'j["key_groups"][0]["current_msk_id"]')
"$BIN/sec_mass_ue" --bmsc "$KM" --fqdn "$FQDN" --zn-listen "127.0.0.1:$ZN_PORT" \
	--zn-secret "$ZN_SECRET" --service "$NEWS" --count 3000 --register-only yes \
	--out "$WORK/mass.out" >"$WORK/mass.log" 2>&1 || fail "sec_mass_ue: $(tail -n 3 "$WORK/mass.log")"
res=$(grep '^registrations' "$WORK/mass.out")
note "$res (database limited to $LIMIT_KB KiB)"
OK=$(echo "$res" | sed -n 's/.*ok=\([0-9]*\).*/\1/p')
REFUSED=$(echo "$res" | sed -n 's/.*refused=\([0-9]*\).*/\1/p')
[ "$OK" -gt 0 ] && [ "$REFUSED" -gt 0 ] || fail "the limit did not bite: $res"
echo "$res" | grep -q "refused_status=503" || fail "refused with another status than 503: $res"
alive "$BM_PID" || fail "bmscd died when the disk filled up"
grep -q "ERROR: sqlite:" "$WORK/bmscd.limited.log" || fail "no SQLite error in the log"
bm_field 'j["key_groups"][0]["current_msk_id"]' >/dev/null || fail "status no longer served"
err=$(grep -m1 "ERROR: sqlite:" "$WORK/bmscd.limited.log" | sed 's/.*ERROR: //')
pass "A: disk full under bmscd after $OK registrations: '$err'; the next $REFUSED POSTs got 503, bmscd alive"

kill "$BM_PID" 2>/dev/null
wait "$BM_PID" 2>/dev/null
forget "$BM_PID"
[ "$(integrity "$WORK/bmsc.db")" = ok ] || fail "bmsc.db is corrupt: $(integrity "$WORK/bmsc.db")"
regs=$(db_count "$WORK/bmsc.db" registrations)
[ "$regs" = "$OK" ] || fail "the database holds $regs registrations, $OK were answered 200"
start_bmscd "$WORK/bmsc.ini"
bm_is 'j["key_groups"][0]["current_msk_id"]' "$CUR" || fail "current MSK changed"
bm_is 'j["registered_ues"]' "$OK" || fail "registrations after the restart: $(bm_field 'j["registered_ues"]')"
ctl rotate --key-group 258 >/dev/null || fail "rotate after the restart"
pass "A: after the restart: integrity ok, $regs registrations = the 200s, current MSK $CUR kept, rotation works"

# ---- B: mbms-ue's key store ----
write_bsf_ini "$FQDN" "$ZN_SECRET" 3600 0 "$ZN_PORT"
add_subscribers 1 2
start_bsfd
write_ue_ini 1 "$FQDN" "$KM_PORT" "$NEWS"
start_ue 1
wait_for 30 ue_active 1 || fail "UE1 did not become active"
HELD=$(ue_status 1 | sed -n 's/^msk key_domain=00f110 msk_id=\([0-9a-f]*\) .*/\1/p' | tr '\n' ' ')
stop_ue 1
size=$(stat -c %s "$WORK/ue1.state")
start_limited $(( size / 1024 / 2 )) "$WORK/ue1.limited.log" "$UE" --config "$WORK/ue1.ini"
UEL=$LPID
wait_for 20 grep -q "MIKEY on" "$WORK/ue1.limited.log" || fail "UE1 did not start under the limit"
next_push() { # a rotation step that makes a new next MSK (and pushes it)
	local nx
	for _ in 1 2; do
		ctl rotate --key-group 258 >"$WORK/rot" || fail "rotate"
		nx=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["next_msk_id"] or "")' <"$WORK/rot")
		[ -n "$nx" ] && [ "$nx" != 0 ] && [ "$nx" != 00000000 ] && { echo "$nx"; return; }
	done
	fail "no next MSK from ctl rotate: $(cat "$WORK/rot")"
}
NEXT=$(next_push)
wait_for 20 grep -q "cannot save the key store" "$WORK/ue1.limited.log" ||
	fail "UE1 did not report the failed save: $(tail -n 5 "$WORK/ue1.limited.log")"
grep -q "msk-installed .*MSK ID $NEXT" "$WORK/ue1.limited.log" || fail "UE1 did not take $NEXT in memory"
wait_for 10 grep -q "verification message(s) withheld" "$WORK/ue1.limited.log" ||
	fail "UE1 acknowledged a key it could not store"
alive "$UEL" || fail "UE1 died when its key store could not be written"
kill "$UEL"
wait "$UEL" 2>/dev/null
forget "$UEL"
ue_status 1 >"$WORK/ue1.after" || fail "the key store does not load after the failed saves"
for id in $HELD; do
	grep -q "msk_id=$id " "$WORK/ue1.after" || fail "the key store lost $id"
done
ls "$WORK"/ue1.state.* >/dev/null 2>&1 && note "temporary files left: $(ls "$WORK"/ue1.state.*)"
start_ue 1
wait_for 30 ue_holds 1 "$NEXT" || fail "UE1 did not get $NEXT after the restart"
pass "B: key store unwritable: UE logged it, kept running, withheld its acks; the file stayed the last complete one ($HELD); after a restart $NEXT arrived"
stop_ue 1

# ---- C: bsfd ----
stop_bsfd
size=$(stat -c %s "$WORK/bsf.db")
wal=$(stat -c %s "$WORK/bsf.db-wal" 2>/dev/null || echo 0)
limit=$(( (size > wal ? size : wal) / 1024 + 48 ))
start_limited "$limit" "$WORK/bsfd.limited.log" "$BSFD" --config "$WORK/bsf.ini"
BSL=$LPID
wait_for 10 grep -q ' Ub on ' "$WORK/bsfd.limited.log" || fail "bsfd did not start under the limit"
UBP=$(sed -n 's/.*Ub on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/bsfd.limited.log" | head -n1)
boots=0
other=""
for i in $(seq 1 400); do
	out=$("$CLI" gba bootstrap --bsf "http://127.0.0.1:$UBP" --impi "$(impi_of 2)" --k "$K" \
		--opc "$OPC" --sqn-state "$WORK/c.sqn" 2>&1)
	if echo "$out" | grep -q '^btid: '; then
		boots=$((boots + 1))
	else
		other=$out
		break
	fi
done
[ -n "$other" ] || fail "400 bootstraps fit in $limit KiB: the limit did not bite"
alive "$BSL" || fail "bsfd died when its disk filled up"
note "bsfd: $boots bootstraps stored, then: $(echo "$other" | tail -n1)"
grep -q "sqlite" "$WORK/bsfd.limited.log" || fail "bsfd did not log the SQLite error"
kill "$BSL"
wait "$BSL" 2>/dev/null
forget "$BSL"
[ "$(integrity "$WORK/bsf.db")" = ok ] || fail "bsf.db is corrupt"
start_bsfd
"$CLI" gba bootstrap --bsf "$UB" --impi "$(impi_of 2)" --k "$K" --opc "$OPC" \
	--sqn-state "$WORK/c.sqn" >"$WORK/c.out" 2>&1 || fail "bootstrap after the restart: $(cat "$WORK/c.out")"
pass "C: disk full under bsfd after $boots bootstraps: refused, not answered 200; integrity ok; bootstraps work after the restart"
stop_bsfd
kill "$BM_PID" 2>/dev/null
wait "$BM_PID" 2>/dev/null
forget "$BM_PID"
printf '{"test":"fault_db","bmscd_ok":%d,"bmscd_503":%d,"bsfd_bootstraps":%d,"keys_lost":0}\n' \
	"$OK" "$REFUSED" "$boots" >"$WORK/figures.json"
scan_secrets --secret "$ZN_SECRET"
echo "test_fault_db: all passed"
