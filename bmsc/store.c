/* bmscd state in SQLite (common/db.c opens it: WAL, synchronous=FULL,
 * secure_delete, mode 0600). The library decides what is written (its
 * PERSIST records, include/mbmssec/bmsc.h); this file maps each record to a
 * prepared statement and reads everything back at start. The caller (the
 * drain in main.c) holds the daemon lock and groups records into one
 * transaction, committed before any datagram that depends on them. */
#include "bmscd.h"

#include "db.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS services ("
	" service_id TEXT PRIMARY KEY NOT NULL,"
	" key_groups TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS key_groups ("
	" key_group INTEGER PRIMARY KEY NOT NULL,"
	" last_key_number INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS msks ("
	" msk_id INTEGER PRIMARY KEY NOT NULL,"
	" key_group INTEGER NOT NULL,"
	" msk BLOB NOT NULL CHECK (length(msk) = 16),"
	" vf INTEGER NOT NULL, vt INTEGER NOT NULL,"
	" valid_from INTEGER NOT NULL, valid_until INTEGER NOT NULL,"
	" state INTEGER NOT NULL,"
	" ts_hwm INTEGER NOT NULL,"
	" mtk_id_last INTEGER);"
	"CREATE TABLE IF NOT EXISTS ues ("
	" impi TEXT PRIMARY KEY NOT NULL,"
	" btid TEXT NOT NULL,"
	" muk BLOB NOT NULL CHECK (length(muk) = 32),"
	" muk_expires INTEGER NOT NULL,"
	" addr_family INTEGER NOT NULL, addr_ip BLOB, addr_port INTEGER NOT NULL,"
	" ts_hwm INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS registrations ("
	" impi TEXT NOT NULL, service_id TEXT NOT NULL,"
	" PRIMARY KEY (impi, service_id));"
	/* WITHOUT ROWID: the rows live in their primary key's b-tree, so a
	 * push state is one b-tree (and the msk_id index) instead of a table,
	 * its key index and the msk_id index; a fan-out writes two per UE
	 * (figure 4). A database made before keeps its rowid table: the
	 * statements are the same for both. */
	"CREATE TABLE IF NOT EXISTS pushes ("
	" impi TEXT NOT NULL, msk_id INTEGER NOT NULL,"
	" state INTEGER NOT NULL, attempts INTEGER NOT NULL,"
	" PRIMARY KEY (impi, msk_id)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS pushes_msk ON pushes (msk_id);";

enum stmt_id {
	S_KG_PUT,
	S_MSK_PUT,
	S_MSK_DEL,
	S_MSK_DEL_PUSHES,
	S_UE_PUT,
	S_UE_SET,
	S_UE_DEL,
	S_UE_DEL_REGS,
	S_UE_DEL_PUSHES,
	S_REG_PUT,
	S_REG_DEL,
	S_PUSH_PUT,
	S_PUSH_SET,
	S_PUSH_DEL,
	S_LOAD_KG,
	S_LOAD_MSK,
	S_LOAD_UE,
	S_LOAD_REG,
	S_LOAD_PUSH,
	S_SVC_CLEAR,
	S_SVC_PUT,
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SYNC_FULL,
	S_SYNC_NORMAL,
	S_SECDEL_ON,
	S_SECDEL_OFF,
	S_COUNT
};

static const char *const SQL[S_COUNT] = {
	[S_KG_PUT] = "INSERT INTO key_groups (key_group, last_key_number) VALUES (?1, ?2)"
		     " ON CONFLICT (key_group) DO UPDATE SET last_key_number = excluded.last_key_number",
	[S_MSK_PUT] = "INSERT OR REPLACE INTO msks (msk_id, key_group, msk, vf, vt, valid_from,"
		      " valid_until, state, ts_hwm, mtk_id_last)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_MSK_DEL] = "DELETE FROM msks WHERE msk_id = ?1",
	[S_MSK_DEL_PUSHES] = "DELETE FROM pushes WHERE msk_id = ?1",
	/* upserts that update in place: OR REPLACE deletes and re-inserts the
	 * row (new rowid, index entries moved, the old cell zeroed under
	 * secure_delete), three times the work for the counter reservations
	 * and push states of a fan-out (docs/benchmarks.md, figure 4) */
	[S_UE_PUT] = "INSERT INTO ues (impi, btid, muk, muk_expires, addr_family,"
		     " addr_ip, addr_port, ts_hwm) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		     " ON CONFLICT (impi) DO UPDATE SET btid = excluded.btid, muk = excluded.muk,"
		     " muk_expires = excluded.muk_expires, addr_family = excluded.addr_family,"
		     " addr_ip = excluded.addr_ip, addr_port = excluded.addr_port,"
		     " ts_hwm = excluded.ts_hwm",
	/* most UE rows written are counter reservations of a UE that has its
	 * row: update it in place first (one seek; the upsert first tries an
	 * insert), the upsert only when there is none */
	[S_UE_SET] = "UPDATE ues SET btid = ?2, muk = ?3, muk_expires = ?4, addr_family = ?5,"
		     " addr_ip = ?6, addr_port = ?7, ts_hwm = ?8 WHERE impi = ?1",
	[S_UE_DEL] = "DELETE FROM ues WHERE impi = ?1",
	[S_UE_DEL_REGS] = "DELETE FROM registrations WHERE impi = ?1",
	[S_UE_DEL_PUSHES] = "DELETE FROM pushes WHERE impi = ?1",
	[S_REG_PUT] = "INSERT OR IGNORE INTO registrations (impi, service_id) VALUES (?1, ?2)",
	[S_REG_DEL] = "DELETE FROM registrations WHERE impi = ?1 AND service_id = ?2",
	[S_PUSH_PUT] = "INSERT INTO pushes (impi, msk_id, state, attempts) VALUES (?1, ?2, ?3, ?4)"
		       " ON CONFLICT (impi, msk_id) DO UPDATE SET state = excluded.state,"
		       " attempts = excluded.attempts",
	/* a push's later states (acked, given up, a retransmission's count)
	 * update the row its pending state made: one seek, where the upsert
	 * first tries an insert (figure 4: a row per UE and rotation) */
	[S_PUSH_SET] = "UPDATE pushes SET state = ?3, attempts = ?4 WHERE impi = ?1 AND msk_id = ?2",
	[S_PUSH_DEL] = "DELETE FROM pushes WHERE impi = ?1 AND msk_id = ?2",
	[S_LOAD_KG] = "SELECT key_group, last_key_number FROM key_groups",
	[S_LOAD_MSK] = "SELECT msk_id, key_group, msk, vf, vt, valid_from, valid_until, state,"
		       " ts_hwm, mtk_id_last FROM msks ORDER BY msk_id",
	[S_LOAD_UE] = "SELECT impi, btid, muk, muk_expires, addr_family, addr_ip, addr_port,"
		      " ts_hwm FROM ues",
	[S_LOAD_REG] = "SELECT impi, service_id FROM registrations",
	[S_LOAD_PUSH] = "SELECT impi, msk_id, state, attempts FROM pushes",
	[S_SVC_CLEAR] = "DELETE FROM services",
	[S_SVC_PUT] = "INSERT OR REPLACE INTO services (service_id, key_groups) VALUES (?1, ?2)",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SYNC_FULL] = "PRAGMA synchronous=FULL",
	[S_SYNC_NORMAL] = "PRAGMA synchronous=NORMAL",
	[S_SECDEL_ON] = "PRAGMA secure_delete=ON",
	[S_SECDEL_OFF] = "PRAGMA secure_delete=OFF",
};

struct bmscd_store {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	bool normal_sync; /* synchronous=NORMAL is set on the connection */
	bool secdel_off;  /* secure_delete=OFF is set on the connection */
};

int bmscd_store_open(const char *path, struct bmscd_store **out, char *err, size_t err_cap)
{
	*out = NULL;
	struct bmscd_store *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_cap, "out of memory");
		return -1;
	}
	if (mbmsd_db_open_prepared(path, SCHEMA, SQL, S_COUNT, &s->db, s->st, err, err_cap)) {
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

void bmscd_store_close(struct bmscd_store *s)
{
	if (!s)
		return;
	mbmsd_db_close_prepared(s->db, s->st, S_COUNT);
	free(s);
}

/* Run a bound statement to completion and reset it. */
static int run(struct bmscd_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_error("sqlite: %s", sqlite3_errmsg(s->db));
		return MBMS_EIO;
	}
	return 0;
}

/* A PRAGMA that answers with a row (secure_delete reports its value). */
static int run_pragma(struct bmscd_store *s, sqlite3_stmt *st)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_error("sqlite: %s", sqlite3_errmsg(s->db));
		return MBMS_EIO;
	}
	return 0;
}

/* Which commits wait for the disk. A transaction that holds only push
 * states (PUSH, PUSH_DEL: pending, acked, given up) commits with
 * synchronous=NORMAL: no fsync; it survives kill -9 (it is in the WAL, in
 * the page cache) and is made durable by the next synced commit, as WAL
 * frames are synced in order. Losing the last of them to a power cut costs
 * at most a repeated push (an acked push that reads as pending is resent
 * with a fresh counter and acked again; a pending one that is gone is
 * pushed again by the restarted fan-out or asked for again by the UE).
 * Everything a later datagram relies on -- counter reservations (UE and
 * MSK rows), MSKs, MTK IDs, key groups, registrations -- commits with
 * synchronous=FULL before that datagram leaves, as before. One fsync per
 * batch of acks was most of a rotation's time (docs/benchmarks.md, fig. 4).
 * SQLite takes the level at BEGIN only: the drain decides it per batch. */
bool bmscd_store_rec_durable(const struct mbms_bmsc_rec *r)
{
	return r->kind != MBMS_BMSC_REC_PUSH && r->kind != MBMS_BMSC_REC_PUSH_DEL;
}

/* secure_delete (common/db.c) zeroes what a delete or an update frees, so
 * that no key lingers in a free page. A batch of push states only touches
 * the pages of the pushes table and its indexes, which never hold a key:
 * it runs without (the rows of a fan-out, updated from pending to acked,
 * change size, and each update zeroed the old cell). Every other
 * transaction -- anything that writes or deletes a UE, an MSK, a
 * registration -- runs with it, as before. Like synchronous, the level
 * goes with the batch: push-state batches are exactly the non-durable
 * ones (bmscd_store_rec_durable). */
int bmscd_store_begin_batch(struct bmscd_store *s, bool durable)
{
	if (durable == s->normal_sync) {
		if (run(s, s->st[durable ? S_SYNC_FULL : S_SYNC_NORMAL]) != 0)
			return MBMS_EIO;
		s->normal_sync = !durable;
	}
	if (durable == s->secdel_off) {
		if (run_pragma(s, s->st[durable ? S_SECDEL_ON : S_SECDEL_OFF]) != 0)
			return MBMS_EIO;
		s->secdel_off = !durable;
	}
	return run(s, s->st[S_BEGIN]);
}

int bmscd_store_begin(struct bmscd_store *s) { return bmscd_store_begin_batch(s, true); }
int bmscd_store_commit(struct bmscd_store *s) { return run(s, s->st[S_COMMIT]); }
void bmscd_store_rollback(struct bmscd_store *s) { run(s, s->st[S_ROLLBACK]); }

/* Every statement runs right after its binds (run() clears them): the
 * values need not be copied (SQLITE_STATIC). */
static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

int bmscd_store_apply(struct bmscd_store *s, const struct mbms_bmsc_rec *r)
{
	sqlite3_stmt *st;
	int rc = 0;
	switch (r->kind) {
	case MBMS_BMSC_REC_KEY_GROUP:
		st = s->st[S_KG_PUT];
		sqlite3_bind_int(st, 1, r->key_group);
		sqlite3_bind_int(st, 2, r->last_key_number);
		return run(s, st);
	case MBMS_BMSC_REC_MSK:
		st = s->st[S_MSK_PUT];
		sqlite3_bind_int64(st, 1, r->msk.msk_id);
		sqlite3_bind_int(st, 2, r->msk.key_group);
		sqlite3_bind_blob(st, 3, r->msk.key, MBMS_MSK_LEN, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, r->msk.vf);
		sqlite3_bind_int(st, 5, r->msk.vt);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)r->msk.valid_from_ms);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)r->msk.valid_until_ms);
		sqlite3_bind_int(st, 8, r->msk.state);
		sqlite3_bind_int64(st, 9, r->msk.ts_hwm);
		if (r->msk.have_mtk_id)
			sqlite3_bind_int(st, 10, r->msk.mtk_id_last);
		else
			sqlite3_bind_null(st, 10);
		return run(s, st);
	case MBMS_BMSC_REC_MSK_DEL:
		sqlite3_bind_int64(s->st[S_MSK_DEL], 1, r->msk_id);
		sqlite3_bind_int64(s->st[S_MSK_DEL_PUSHES], 1, r->msk_id);
		rc = run(s, s->st[S_MSK_DEL]);
		return rc ? rc : run(s, s->st[S_MSK_DEL_PUSHES]);
	case MBMS_BMSC_REC_UE:
		for (int i = S_UE_SET;; i = S_UE_PUT) {
			st = s->st[i];
			bind_text(st, 1, r->ue.impi);
			bind_text(st, 2, r->ue.btid);
			sqlite3_bind_blob(st, 3, r->ue.muk, MBMS_MUK_LEN, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, (sqlite3_int64)r->ue.muk_expires_ms);
			sqlite3_bind_int(st, 5, r->ue.addr.family);
			sqlite3_bind_blob(st, 6, r->ue.addr.ip, r->ue.addr.family == 6 ? 16 : 4,
					  SQLITE_STATIC);
			sqlite3_bind_int(st, 7, r->ue.addr.port);
			sqlite3_bind_int64(st, 8, r->ue.ts_hwm);
			if ((rc = run(s, st)) != 0 || i == S_UE_PUT || sqlite3_changes(s->db) > 0)
				return rc;
		}
	case MBMS_BMSC_REC_UE_DEL:
		for (int i = S_UE_DEL; i <= S_UE_DEL_PUSHES && rc == 0; i++) {
			bind_text(s->st[i], 1, r->ue.impi);
			rc = run(s, s->st[i]);
		}
		return rc;
	case MBMS_BMSC_REC_REG:
	case MBMS_BMSC_REC_UNREG:
		st = s->st[r->kind == MBMS_BMSC_REC_REG ? S_REG_PUT : S_REG_DEL];
		bind_text(st, 1, r->ue.impi);
		bind_text(st, 2, r->service_id);
		return run(s, st);
	case MBMS_BMSC_REC_PUSH:
		/* pending: a new row (or a push started over); any later state: the
		 * row is there, update it (insert it if it is not, e.g. deleted by
		 * hand) */
		if (r->push_state != MBMS_BMSC_PUSH_PENDING) {
			st = s->st[S_PUSH_SET];
			bind_text(st, 1, r->ue.impi);
			sqlite3_bind_int64(st, 2, r->msk_id);
			sqlite3_bind_int(st, 3, r->push_state);
			sqlite3_bind_int(st, 4, r->push_attempts);
			if ((rc = run(s, st)) != 0 || sqlite3_changes(s->db) > 0)
				return rc;
		}
		st = s->st[S_PUSH_PUT];
		bind_text(st, 1, r->ue.impi);
		sqlite3_bind_int64(st, 2, r->msk_id);
		sqlite3_bind_int(st, 3, r->push_state);
		sqlite3_bind_int(st, 4, r->push_attempts);
		return run(s, st);
	case MBMS_BMSC_REC_PUSH_DEL:
		st = s->st[S_PUSH_DEL];
		bind_text(st, 1, r->ue.impi);
		sqlite3_bind_int64(st, 2, r->msk_id);
		return run(s, st);
	}
	return MBMS_EINVAL;
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	snprintf(out, cap, "%s", v ? (const char *)v : "");
}

static void col_blob(sqlite3_stmt *st, int i, uint8_t *out, size_t len)
{
	const void *v = sqlite3_column_blob(st, i);
	if (v && (size_t)sqlite3_column_bytes(st, i) == len)
		memcpy(out, v, len);
}

int bmscd_store_load(struct bmscd_store *s, struct mbms_bmsc *core, size_t *rows, char *err,
		     size_t err_cap)
{
	static const enum stmt_id order[] = {S_LOAD_KG, S_LOAD_MSK, S_LOAD_UE, S_LOAD_REG,
					     S_LOAD_PUSH};
	struct mbms_bmsc_rec *r = malloc(sizeof(*r));
	if (!r) {
		snprintf(err, err_cap, "out of memory");
		return -1;
	}
	*rows = 0;
	int ret = 0;
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]) && ret == 0; o++) {
		sqlite3_stmt *st = s->st[order[o]];
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			memset(r, 0, sizeof(*r));
			switch (order[o]) {
			case S_LOAD_KG:
				r->kind = MBMS_BMSC_REC_KEY_GROUP;
				r->key_group = (uint16_t)sqlite3_column_int(st, 0);
				r->last_key_number = (uint16_t)sqlite3_column_int(st, 1);
				break;
			case S_LOAD_MSK:
				r->kind = MBMS_BMSC_REC_MSK;
				r->msk.msk_id = (uint32_t)sqlite3_column_int64(st, 0);
				r->msk.key_group = (uint16_t)sqlite3_column_int(st, 1);
				col_blob(st, 2, r->msk.key, MBMS_MSK_LEN);
				r->msk.vf = (uint16_t)sqlite3_column_int(st, 3);
				r->msk.vt = (uint16_t)sqlite3_column_int(st, 4);
				r->msk.valid_from_ms = (uint64_t)sqlite3_column_int64(st, 5);
				r->msk.valid_until_ms = (uint64_t)sqlite3_column_int64(st, 6);
				r->msk.state = (uint8_t)sqlite3_column_int(st, 7);
				r->msk.ts_hwm = (uint32_t)sqlite3_column_int64(st, 8);
				r->msk.have_mtk_id = sqlite3_column_type(st, 9) != SQLITE_NULL;
				r->msk.mtk_id_last = (uint16_t)sqlite3_column_int(st, 9);
				break;
			case S_LOAD_UE:
				r->kind = MBMS_BMSC_REC_UE;
				col_text(st, 0, r->ue.impi, sizeof(r->ue.impi));
				col_text(st, 1, r->ue.btid, sizeof(r->ue.btid));
				col_blob(st, 2, r->ue.muk, MBMS_MUK_LEN);
				r->ue.muk_expires_ms = (uint64_t)sqlite3_column_int64(st, 3);
				r->ue.addr.family = (uint8_t)sqlite3_column_int(st, 4);
				col_blob(st, 5, r->ue.addr.ip, r->ue.addr.family == 6 ? 16 : 4);
				r->ue.addr.port = (uint16_t)sqlite3_column_int(st, 6);
				r->ue.ts_hwm = (uint32_t)sqlite3_column_int64(st, 7);
				break;
			case S_LOAD_REG:
				r->kind = MBMS_BMSC_REC_REG;
				col_text(st, 0, r->ue.impi, sizeof(r->ue.impi));
				col_text(st, 1, r->service_id, sizeof(r->service_id));
				break;
			default:
				r->kind = MBMS_BMSC_REC_PUSH;
				col_text(st, 0, r->ue.impi, sizeof(r->ue.impi));
				r->msk_id = (uint32_t)sqlite3_column_int64(st, 1);
				r->push_state = (uint8_t)sqlite3_column_int(st, 2);
				r->push_attempts = (uint8_t)sqlite3_column_int(st, 3);
				break;
			}
			if (mbms_bmsc_restore(core, r) == 0)
				(*rows)++;
		}
		if (rc != SQLITE_DONE) {
			snprintf(err, err_cap, "sqlite: %s", sqlite3_errmsg(s->db));
			ret = -1;
		}
		sqlite3_reset(st);
	}
	mbms_wipe(r, sizeof(*r));
	free(r);
	return ret;
}

int bmscd_store_config_snapshot(struct bmscd_store *s, const struct bmscd_config *cfg)
{
	int rc = bmscd_store_begin(s);
	if (rc)
		return rc;
	rc = run(s, s->st[S_SVC_CLEAR]);
	for (size_t i = 0; i < cfg->nsvc && rc == 0; i++) {
		char kgs[1024] = "";
		size_t n = 0;
		for (size_t j = 0; j < cfg->svc[i].nkey_groups && n < sizeof(kgs) - 8; j++)
			n += (size_t)snprintf(kgs + n, sizeof(kgs) - n, "%s%u", j ? "," : "",
					      cfg->svc[i].key_groups[j]);
		bind_text(s->st[S_SVC_PUT], 1, cfg->svc[i].service_id);
		bind_text(s->st[S_SVC_PUT], 2, kgs);
		rc = run(s, s->st[S_SVC_PUT]);
	}
	if (rc) {
		bmscd_store_rollback(s);
		return rc;
	}
	return bmscd_store_commit(s);
}
