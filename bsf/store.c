/* bsfd state in SQLite (common/db.c opens it: WAL, synchronous=FULL, 0600).
 * Prepared statements only; every entry point takes the store mutex, so the
 * Ub thread, the Zn thread and the purge timer never interleave. Key columns
 * are BLOBs; they are wiped from our buffers after use (SQLite's own pages
 * are covered by secure_delete for deleted rows). */
#include "bsf.h"

#include "db.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS subscribers ("
	" impi TEXT PRIMARY KEY NOT NULL,"
	" k BLOB NOT NULL CHECK (length(k) = 16),"
	" opc BLOB NOT NULL CHECK (length(opc) = 16),"
	" amf BLOB NOT NULL CHECK (length(amf) = 2),"
	" sqn INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS bootstraps ("
	" btid TEXT PRIMARY KEY NOT NULL,"
	" impi TEXT NOT NULL,"
	" rand BLOB NOT NULL CHECK (length(rand) = 16),"
	" ks BLOB NOT NULL CHECK (length(ks) = 32),"
	" expires_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS bootstraps_expiry ON bootstraps (expires_at);"
	"CREATE TABLE IF NOT EXISTS pending ("
	" rand BLOB PRIMARY KEY NOT NULL,"
	" impi TEXT NOT NULL,"
	" nonce TEXT NOT NULL,"
	" xres BLOB NOT NULL,"
	" ck BLOB NOT NULL,"
	" ik BLOB NOT NULL,"
	" sqn INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS pending_impi ON pending (impi, created_at);";

enum stmt_id {
	S_SUB_GET,
	S_SUB_ADD,
	S_SUB_DEL,
	S_SUB_SQN,
	S_SUB_LIST,
	S_PEND_ADD,
	S_PEND_TRIM,
	S_PEND_GET,
	S_PEND_DEL,
	S_BOOT_PUT,
	S_BOOT_GET,
	S_PURGE_BOOT,
	S_PURGE_PEND,
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_COUNT
};

static const char *const SQL[S_COUNT] = {
	[S_SUB_GET] = "SELECT k, opc, amf, sqn FROM subscribers WHERE impi = ?1",
	[S_SUB_ADD] = "INSERT INTO subscribers (impi, k, opc, amf, sqn) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_SUB_DEL] = "DELETE FROM subscribers WHERE impi = ?1",
	[S_SUB_SQN] = "UPDATE subscribers SET sqn = ?2 WHERE impi = ?1",
	[S_SUB_LIST] = "SELECT impi, k, opc, amf, sqn FROM subscribers ORDER BY impi",
	[S_PEND_ADD] = "INSERT OR REPLACE INTO pending (rand, impi, nonce, xres, ck, ik, sqn, created_at)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_PEND_TRIM] = "DELETE FROM pending WHERE impi = ?1 AND rand NOT IN"
			" (SELECT rand FROM pending WHERE impi = ?1 ORDER BY created_at DESC, rowid DESC"
			" LIMIT ?2)",
	[S_PEND_GET] = "SELECT nonce, xres, ck, ik, sqn, created_at FROM pending"
		       " WHERE rand = ?1 AND impi = ?2",
	[S_PEND_DEL] = "DELETE FROM pending WHERE rand = ?1",
	[S_BOOT_PUT] = "INSERT OR REPLACE INTO bootstraps (btid, impi, rand, ks, expires_at)"
		       " VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_BOOT_GET] = "SELECT impi, rand, ks, expires_at FROM bootstraps WHERE btid = ?1",
	[S_PURGE_BOOT] = "DELETE FROM bootstraps WHERE expires_at <= ?1",
	[S_PURGE_PEND] = "DELETE FROM pending WHERE created_at + ?2 <= ?1 OR created_at > ?1 + ?2",
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
};

struct bsf_store {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	pthread_mutex_t lock;
};

int bsf_store_open(const char *path, struct bsf_store **out, char *err, size_t err_cap)
{
	*out = NULL;
	struct bsf_store *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, err_cap, "out of memory");
		return -1;
	}
	if (mbmsd_db_open_prepared(path, SCHEMA, SQL, S_COUNT, &s->db, s->st, err, err_cap)) {
		free(s);
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return 0;
}

void bsf_store_close(struct bsf_store *s)
{
	if (!s)
		return;
	mbmsd_db_close_prepared(s->db, s->st, S_COUNT);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Statement use: take, bind, step, reset (which also clears bindings, so no
 * key stays bound to a statement). */
static sqlite3_stmt *take(struct bsf_store *s, enum stmt_id id)
{
	sqlite3_stmt *st = s->st[id];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int step_done(struct bsf_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	done(st);
	if (rc != SQLITE_DONE) {
		log_error("sqlite: %s", sqlite3_errmsg(s->db));
		return MBMS_EIO;
	}
	return 0;
}

static int run_simple(struct bsf_store *s, enum stmt_id id)
{
	return step_done(s, take(s, id));
}

static bool blob_into(sqlite3_stmt *st, int col, uint8_t *out, size_t len)
{
	const void *p = sqlite3_column_blob(st, col);
	if (!p || (size_t)sqlite3_column_bytes(st, col) != len)
		return false;
	memcpy(out, p, len);
	return true;
}

static bool text_into(sqlite3_stmt *st, int col, char *out, size_t cap)
{
	const unsigned char *p = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	if (!p || n >= cap)
		return false;
	memcpy(out, p, n + 1);
	return true;
}

int bsf_store_sub_get(struct bsf_store *s, const char *impi, struct mbms_gba_subscriber *out)
{
	memset(out, 0, sizeof(*out));
	if (strlen(impi) >= sizeof(out->impi))
		return MBMS_ENOTFOUND;
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st = take(s, S_SUB_GET);
	sqlite3_bind_text(st, 1, impi, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret;
	if (rc == SQLITE_ROW) {
		ret = blob_into(st, 0, out->k, 16) && blob_into(st, 1, out->opc, 16) &&
		      blob_into(st, 2, out->amf, 2)
			      ? 0
			      : MBMS_EIO;
		out->sqn = (uint64_t)sqlite3_column_int64(st, 3);
		memcpy(out->impi, impi, strlen(impi) + 1);
	} else {
		ret = rc == SQLITE_DONE ? MBMS_ENOTFOUND : MBMS_EIO;
	}
	done(st);
	pthread_mutex_unlock(&s->lock);
	if (ret)
		mbms_wipe(out, sizeof(*out));
	return ret;
}

int bsf_store_sub_add(struct bsf_store *s, const struct mbms_gba_subscriber *sub)
{
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st = take(s, S_SUB_ADD);
	sqlite3_bind_text(st, 1, sub->impi, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, sub->k, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, sub->opc, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, sub->amf, 2, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)sub->sqn);
	int rc = sqlite3_step(st);
	done(st);
	pthread_mutex_unlock(&s->lock);
	if (rc == SQLITE_CONSTRAINT)
		return MBMS_ESTATE;
	return rc == SQLITE_DONE ? 0 : MBMS_EIO;
}

int bsf_store_sub_del(struct bsf_store *s, const char *impi)
{
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st = take(s, S_SUB_DEL);
	sqlite3_bind_text(st, 1, impi, -1, SQLITE_STATIC);
	int rc = step_done(s, st);
	int changes = sqlite3_changes(s->db);
	pthread_mutex_unlock(&s->lock);
	if (rc)
		return rc;
	return changes ? 0 : MBMS_ENOTFOUND;
}

static int set_sqn_locked(struct bsf_store *s, const char *impi, uint64_t sqn)
{
	sqlite3_stmt *st = take(s, S_SUB_SQN);
	sqlite3_bind_text(st, 1, impi, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)sqn);
	int rc = step_done(s, st);
	if (rc == 0 && sqlite3_changes(s->db) != 1)
		rc = MBMS_ENOTFOUND;
	return rc;
}

int bsf_store_sub_set_sqn(struct bsf_store *s, const char *impi, uint64_t sqn)
{
	pthread_mutex_lock(&s->lock);
	int rc = set_sqn_locked(s, impi, sqn);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int bsf_store_sub_list(struct bsf_store *s, bsf_sub_cb cb, void *user)
{
	struct mbms_gba_subscriber sub;
	int ret = 0, rc;
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st = take(s, S_SUB_LIST);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&sub, 0, sizeof(sub));
		if (!text_into(st, 0, sub.impi, sizeof(sub.impi)) || !blob_into(st, 1, sub.k, 16) ||
		    !blob_into(st, 2, sub.opc, 16) || !blob_into(st, 3, sub.amf, 2)) {
			ret = MBMS_EIO;
			break;
		}
		sub.sqn = (uint64_t)sqlite3_column_int64(st, 4);
		cb(user, &sub);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = MBMS_EIO;
	done(st);
	pthread_mutex_unlock(&s->lock);
	mbms_wipe(&sub, sizeof(sub));
	return ret;
}

/* The challenge commits without an fsync (synchronous=NORMAL, WAL): it
 * survives kill -9 (the frames are in the WAL, in the page cache) and is
 * made durable by the next synced commit -- at the latest the bootstrap it
 * leads to, which syncs the WAL with every frame before it. A power cut
 * may lose the last challenges and their SQN steps: a pending challenge
 * lost is answered with a fresh one, and an SQN handed out again is
 * refused by the USIM as not fresh, which answers with AUTS and
 * resynchronises (TS 33.102 6.3.5, one more round trip). No key and no
 * bootstrap depends on it; bootstraps stay synced before their 200. It
 * halves the fsyncs of a bootstrap (docs/benchmarks.md, figure 7). */
int bsf_store_challenge_commit(struct bsf_store *s, const char *impi,
			       const struct mbms_gba_challenge *ch, uint64_t now)
{
	pthread_mutex_lock(&s->lock);
	int rc = sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) == SQLITE_OK
			 ? run_simple(s, S_BEGIN)
			 : MBMS_EIO;
	if (rc)
		goto out;
	rc = set_sqn_locked(s, impi, ch->sqn);
	if (rc == 0) {
		sqlite3_stmt *st = take(s, S_PEND_ADD);
		sqlite3_bind_blob(st, 1, ch->rand, MBMS_GBA_RAND_LEN, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, impi, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, ch->nonce, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 4, ch->xres, sizeof(ch->xres), SQLITE_STATIC);
		sqlite3_bind_blob(st, 5, ch->ck, sizeof(ch->ck), SQLITE_STATIC);
		sqlite3_bind_blob(st, 6, ch->ik, sizeof(ch->ik), SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)ch->sqn);
		sqlite3_bind_int64(st, 8, (sqlite3_int64)now);
		rc = step_done(s, st);
	}
	if (rc == 0) {
		sqlite3_stmt *st = take(s, S_PEND_TRIM);
		sqlite3_bind_text(st, 1, impi, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, BSF_PENDING_PER_IMPI);
		rc = step_done(s, st);
	}
	if (rc == 0)
		rc = run_simple(s, S_COMMIT);
	if (rc)
		run_simple(s, S_ROLLBACK);
out:
	/* every other commit waits for the disk */
	if (sqlite3_exec(s->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK && rc == 0)
		rc = MBMS_EIO;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Read the pending challenge for impi with this RAND (s->lock held).
 * *found: a row existed (even a too old one). */
static int pending_read(struct bsf_store *s, const char *impi,
			const uint8_t rand[MBMS_GBA_RAND_LEN], uint64_t now,
			struct mbms_gba_challenge *out, bool *found)
{
	sqlite3_stmt *st = take(s, S_PEND_GET);
	sqlite3_bind_blob(st, 1, rand, MBMS_GBA_RAND_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, impi, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret;
	*found = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW) {
		uint64_t created = (uint64_t)sqlite3_column_int64(st, 5);
		ret = text_into(st, 0, out->nonce, sizeof(out->nonce)) &&
			      blob_into(st, 1, out->xres, sizeof(out->xres)) &&
			      blob_into(st, 2, out->ck, sizeof(out->ck)) &&
			      blob_into(st, 3, out->ik, sizeof(out->ik))
		      ? 0
		      : MBMS_EIO;
		out->sqn = (uint64_t)sqlite3_column_int64(st, 4);
		memcpy(out->rand, rand, MBMS_GBA_RAND_LEN);
		if (ret == 0 && (created > now || now - created >= BSF_PENDING_MAX_AGE))
			ret = MBMS_ENOTFOUND;
	} else {
		ret = rc == SQLITE_DONE ? MBMS_ENOTFOUND : MBMS_EIO;
	}
	done(st);
	return ret;
}

/* Read, and with del delete, the pending challenge (one answer per
 * challenge, whatever its outcome). */
static int pending(struct bsf_store *s, const char *impi, const uint8_t rand[MBMS_GBA_RAND_LEN],
		   uint64_t now, struct mbms_gba_challenge *out, bool del)
{
	memset(out, 0, sizeof(*out));
	bool found;
	pthread_mutex_lock(&s->lock);
	int ret = pending_read(s, impi, rand, now, out, &found);
	if (found && del) {
		sqlite3_stmt *st = take(s, S_PEND_DEL);
		sqlite3_bind_blob(st, 1, rand, MBMS_GBA_RAND_LEN, SQLITE_STATIC);
		if (step_done(s, st) && ret == 0)
			ret = MBMS_EIO;
	}
	pthread_mutex_unlock(&s->lock);
	if (ret)
		mbms_wipe(out, sizeof(*out));
	return ret;
}

int bsf_store_pending_take(struct bsf_store *s, const char *impi,
			   const uint8_t rand[MBMS_GBA_RAND_LEN], uint64_t now,
			   struct mbms_gba_challenge *out)
{
	return pending(s, impi, rand, now, out, true);
}

/* The pending challenge for impi with this RAND, read only (see
 * bsf_store_answer_commit). MBMS_ENOTFOUND when none or too old. */
int bsf_store_pending_get(struct bsf_store *s, const char *impi,
			  const uint8_t rand[MBMS_GBA_RAND_LEN], uint64_t now,
			  struct mbms_gba_challenge *out)
{
	return pending(s, impi, rand, now, out, false);
}

/* An answered challenge is deleted and, when it was answered right, the
 * bootstrap is stored: one transaction, one synced commit (it was two:
 * taking the challenge and storing the bootstrap each committed alone;
 * figure 7 of docs/benchmarks.md). bs NULL: delete only. */
int bsf_store_answer_commit(struct bsf_store *s, const uint8_t rand[MBMS_GBA_RAND_LEN],
			    const struct mbms_gba_bootstrap *bs)
{
	pthread_mutex_lock(&s->lock);
	int rc = run_simple(s, S_BEGIN);
	if (rc)
		goto out;
	sqlite3_stmt *st = take(s, S_PEND_DEL);
	sqlite3_bind_blob(st, 1, rand, MBMS_GBA_RAND_LEN, SQLITE_STATIC);
	rc = step_done(s, st);
	if (rc == 0 && bs) {
		st = take(s, S_BOOT_PUT);
		sqlite3_bind_text(st, 1, bs->btid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, bs->impi, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, bs->rand, MBMS_GBA_RAND_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 4, bs->ks, MBMS_KS_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)bs->expires_at);
		rc = step_done(s, st);
	}
	if (rc == 0)
		rc = run_simple(s, S_COMMIT);
	if (rc)
		run_simple(s, S_ROLLBACK);
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int bsf_store_boot_put(struct bsf_store *s, const struct mbms_gba_bootstrap *bs)
{
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st = take(s, S_BOOT_PUT);
	sqlite3_bind_text(st, 1, bs->btid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, bs->impi, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, bs->rand, MBMS_GBA_RAND_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, bs->ks, MBMS_KS_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)bs->expires_at);
	int rc = step_done(s, st);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int bsf_store_boot_get(struct bsf_store *s, const char *btid, uint64_t now,
		       struct mbms_gba_bootstrap *out)
{
	memset(out, 0, sizeof(*out));
	if (strlen(btid) >= sizeof(out->btid))
		return MBMS_ENOTFOUND;
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st = take(s, S_BOOT_GET);
	sqlite3_bind_text(st, 1, btid, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), ret;
	if (rc == SQLITE_ROW) {
		ret = text_into(st, 0, out->impi, sizeof(out->impi)) &&
			      blob_into(st, 1, out->rand, MBMS_GBA_RAND_LEN) &&
			      blob_into(st, 2, out->ks, MBMS_KS_LEN)
		      ? 0
		      : MBMS_EIO;
		out->expires_at = (uint64_t)sqlite3_column_int64(st, 3);
		memcpy(out->btid, btid, strlen(btid) + 1);
		if (ret == 0 && now >= out->expires_at)
			ret = MBMS_EEXPIRED;
	} else {
		ret = rc == SQLITE_DONE ? MBMS_ENOTFOUND : MBMS_EIO;
	}
	done(st);
	pthread_mutex_unlock(&s->lock);
	if (ret)
		mbms_wipe(out, sizeof(*out));
	return ret;
}

int bsf_store_purge(struct bsf_store *s, uint64_t now, unsigned *boots, unsigned *pending)
{
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st = take(s, S_PURGE_BOOT);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	int rc = step_done(s, st);
	if (boots)
		*boots = rc ? 0 : (unsigned)sqlite3_changes(s->db);
	if (rc == 0) {
		st = take(s, S_PURGE_PEND);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
		sqlite3_bind_int64(st, 2, BSF_PENDING_MAX_AGE);
		rc = step_done(s, st);
		if (pending)
			*pending = rc ? 0 : (unsigned)sqlite3_changes(s->db);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Counts for the status page and /metrics (bsf/admin.c): one statement,
 * prepared per call (a scrape every few seconds at most). count(*) walks
 * the smallest index: fine for the subscriber counts a lab BSF holds. */
int bsf_store_counts(struct bsf_store *s, uint64_t now, struct bsf_store_counts *out)
{
	static const char sql[] = "SELECT (SELECT count(*) FROM subscribers),"
				  " (SELECT count(*) FROM bootstraps),"
				  " (SELECT count(*) FROM bootstraps WHERE expires_at > ?1),"
				  " (SELECT count(*) FROM pending)";
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	sqlite3_stmt *st = NULL;
	int rc = MBMS_EIO;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
		if (sqlite3_step(st) == SQLITE_ROW) {
			out->subscribers = (uint64_t)sqlite3_column_int64(st, 0);
			out->bootstraps = (uint64_t)sqlite3_column_int64(st, 1);
			out->bootstraps_valid = (uint64_t)sqlite3_column_int64(st, 2);
			out->pending = (uint64_t)sqlite3_column_int64(st, 3);
			rc = 0;
		}
	}
	if (rc)
		log_error("sqlite: %s", sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return rc;
}
