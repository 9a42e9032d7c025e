/* `mbms-loadgen provision`: the bulk path. Writes N subscribers (and, on
 * request, a bootstrap each) into bsfd's database and N UEs with their
 * MUK, address and registration into bmscd's database, as the daemons
 * themselves would have stored them, in one transaction per database.
 * Registering a million UEs over HTTP would take longer than a benchmark
 * may; a restart restores these rows through the BM-SC core exactly like
 * rows bmscd wrote (mbms_bmsc_restore).
 *
 * The daemons own their schemas (bsf/store.c, bmsc/store.c): the tables
 * must exist (`bsfd subscriber list --db FILE` creates bsfd's, a first
 * start of bmscd creates its own), and every column this file writes is
 * checked by name first, so a schema change fails here loudly instead of
 * writing rows the daemon cannot read. Run it while the daemon is stopped
 * (bmscd reads its rows at start only). */
#include "lg.h"

#include "mbmssec/crypto.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int has_columns(sqlite3 *db, const char *table, const char *const *cols, char *err,
		       size_t cap)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", table);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, cap, "sqlite: %s", sqlite3_errmsg(db));
		return -1;
	}
	unsigned found = 0, ncols = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		for (unsigned i = 0; cols[i]; i++)
			if (name && strcmp(name, cols[i]) == 0)
				found |= 1u << i;
	}
	sqlite3_finalize(st);
	while (cols[ncols])
		ncols++;
	if (found == 0) {
		snprintf(err, cap, "table %s does not exist: let the daemon create its schema first "
				   "(bsfd: `bsfd subscriber list --db FILE`; bmscd: start it once)",
			 table);
		return -1;
	}
	if (found != (1u << ncols) - 1) {
		snprintf(err, cap, "table %s lacks columns this loadgen writes: the daemon's schema "
				   "changed (update loadgen/provision.c)",
			 table);
		return -1;
	}
	return 0;
}

static int open_db(const char *path, sqlite3 **db, char *err, size_t cap)
{
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, cap, "%s: %s", path, *db ? sqlite3_errmsg(*db) : "cannot open");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, 5000);
	/* bulk load of test data: the daemon is stopped; no fsync per row */
	char *msg = NULL;
	if (sqlite3_exec(*db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; BEGIN IMMEDIATE",
			 NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, cap, "%s: %s", path, msg ? msg : sqlite3_errmsg(*db));
		sqlite3_free(msg);
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

static int finish_db(sqlite3 *db, bool ok, char *err, size_t cap)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, ok ? "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)" : "ROLLBACK", NULL,
			      NULL, &msg);
	if (ok && rc != SQLITE_OK) {
		snprintf(err, cap, "sqlite: %s", msg ? msg : sqlite3_errmsg(db));
		ok = false;
	}
	sqlite3_free(msg);
	sqlite3_close(db);
	return ok ? 0 : -1;
}

static int step(sqlite3 *db, sqlite3_stmt *st, char *err, size_t cap)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, cap, "sqlite: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static int provision_bsf(const struct lg_opts *o, uint64_t now_s, char *err, size_t cap)
{
	static const char *const sub_cols[] = {"impi", "k", "opc", "amf", "sqn", NULL};
	static const char *const boot_cols[] = {"btid", "impi", "rand", "ks", "expires_at", NULL};
	sqlite3 *db = NULL;
	if (open_db(o->bsf_db, &db, err, cap))
		return -1;
	sqlite3_stmt *sub = NULL, *boot = NULL;
	bool ok = has_columns(db, "subscribers", sub_cols, err, cap) == 0 &&
		  has_columns(db, "bootstraps", boot_cols, err, cap) == 0;
	if (ok && (sqlite3_prepare_v2(db,
				      "INSERT OR REPLACE INTO subscribers (impi, k, opc, amf, sqn)"
				      " VALUES (?1, ?2, ?3, x'0000', 0)",
				      -1, &sub, NULL) != SQLITE_OK ||
		   sqlite3_prepare_v2(db,
				      "INSERT OR REPLACE INTO bootstraps (btid, impi, rand, ks,"
				      " expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
				      -1, &boot, NULL) != SQLITE_OK)) {
		snprintf(err, cap, "sqlite: %s", sqlite3_errmsg(db));
		ok = false;
	}
	struct lg_ident id;
	for (uint64_t i = 0; ok && i < o->n; i++) {
		lg_ident(o, i, &id);
		sqlite3_bind_text(sub, 1, id.impi, -1, SQLITE_STATIC);
		sqlite3_bind_blob(sub, 2, id.k, 16, SQLITE_STATIC);
		sqlite3_bind_blob(sub, 3, id.opc, 16, SQLITE_STATIC);
		ok = step(db, sub, err, cap) == 0;
		if (ok) {
			/* the bootstrap whose Ks_NAF a UE of the plan uses (and the
			 * BM-SC rows carry); bmscd may fetch it over Zn */
			sqlite3_bind_text(boot, 1, id.btid, -1, SQLITE_STATIC);
			sqlite3_bind_text(boot, 2, id.impi, -1, SQLITE_STATIC);
			sqlite3_bind_blob(boot, 3, id.rand, 16, SQLITE_STATIC);
			sqlite3_bind_blob(boot, 4, id.ks, 32, SQLITE_STATIC);
			sqlite3_bind_int64(boot, 5, (sqlite3_int64)(now_s + o->lifetime_s));
			ok = step(db, boot, err, cap) == 0;
		}
	}
	mbms_wipe(&id, sizeof(id));
	sqlite3_finalize(sub);
	sqlite3_finalize(boot);
	return finish_db(db, ok, err, cap);
}

static int provision_bmsc(const struct lg_opts *o, uint64_t now_s, char *err, size_t cap)
{
	static const char *const ue_cols[] = {"impi",	     "btid",	"muk",	     "muk_expires",
					      "addr_family", "addr_ip", "addr_port", "ts_hwm",
					      NULL};
	static const char *const reg_cols[] = {"impi", "service_id", NULL};
	sqlite3 *db = NULL;
	if (open_db(o->bmsc_db, &db, err, cap))
		return -1;
	sqlite3_stmt *ue = NULL, *reg = NULL;
	bool ok = has_columns(db, "ues", ue_cols, err, cap) == 0 &&
		  has_columns(db, "registrations", reg_cols, err, cap) == 0;
	if (ok && (sqlite3_prepare_v2(db,
				      "INSERT OR REPLACE INTO ues (impi, btid, muk, muk_expires,"
				      " addr_family, addr_ip, addr_port, ts_hwm)"
				      " VALUES (?1, ?2, ?3, ?4, 4, ?5, ?6, 0)",
				      -1, &ue, NULL) != SQLITE_OK ||
		   sqlite3_prepare_v2(db,
				      "INSERT OR IGNORE INTO registrations (impi, service_id)"
				      " VALUES (?1, ?2)",
				      -1, &reg, NULL) != SQLITE_OK)) {
		snprintf(err, cap, "sqlite: %s", sqlite3_errmsg(db));
		ok = false;
	}
	struct lg_ident id;
	uint8_t muk[32];
	for (uint64_t i = 0; ok && i < o->n; i++) {
		lg_ident(o, i, &id);
		if (lg_ident_ks_naf(o, &id, muk) != 0) {
			snprintf(err, cap, "Ks_NAF derivation failed");
			ok = false;
			break;
		}
		uint32_t ip = lg_ip_of(o, i);
		uint8_t ipb[4] = {(uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8),
				  (uint8_t)ip};
		sqlite3_bind_text(ue, 1, id.impi, -1, SQLITE_STATIC);
		sqlite3_bind_text(ue, 2, id.btid, -1, SQLITE_STATIC);
		sqlite3_bind_blob(ue, 3, muk, 32, SQLITE_STATIC);
		sqlite3_bind_int64(ue, 4, (sqlite3_int64)((now_s + o->lifetime_s) * 1000));
		sqlite3_bind_blob(ue, 5, ipb, 4, SQLITE_STATIC);
		sqlite3_bind_int(ue, 6, o->udp_base + (int)lg_sock_of(o, i));
		ok = step(db, ue, err, cap) == 0;
		if (ok && o->service[0]) {
			sqlite3_bind_text(reg, 1, id.impi, -1, SQLITE_STATIC);
			sqlite3_bind_text(reg, 2, o->service, -1, SQLITE_STATIC);
			ok = step(db, reg, err, cap) == 0;
		}
	}
	mbms_wipe(&id, sizeof(id));
	mbms_wipe(muk, sizeof(muk));
	sqlite3_finalize(ue);
	sqlite3_finalize(reg);
	return finish_db(db, ok, err, cap);
}

int lg_provision(const struct lg_opts *o, char *err, size_t cap)
{
	uint64_t now_s = (uint64_t)time(NULL);
	if (o->bmsc_db[0] && o->udp_base == 0) {
		snprintf(err, cap, "provisioning bmscd needs fixed UE ports: --udp-base PORT");
		return -1;
	}
	if (o->bsf_db[0] && provision_bsf(o, now_s, err, cap))
		return -1;
	if (o->bmsc_db[0] && provision_bmsc(o, now_s, err, cap))
		return -1;
	return 0;
}
