/* SQLite open helper (see db.h). */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mbmsd_db_exec(sqlite3 *db, const char *sql, char *err, size_t err_cap)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, err_cap, "sqlite: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* A pragma whose answer must be the expected word (journal_mode). */
static int pragma_expect(sqlite3 *db, const char *sql, const char *want, char *err,
			 size_t err_cap)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		ok = v && strcmp((const char *)v, want) == 0;
	}
	sqlite3_finalize(st);
	if (!ok) {
		snprintf(err, err_cap, "sqlite: '%s' did not give '%s'", sql, want);
		return -1;
	}
	return 0;
}

int mbmsd_db_open(const char *path, sqlite3 **out, char *err, size_t err_cap)
{
	*out = NULL;
	/* Create (or tighten) the file ourselves: 0600 from the first byte on. */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, err_cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) != 0) {
		snprintf(err, err_cap, "%s: chmod: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	static const char *const suffixes[] = {"-wal", "-shm"};
	for (size_t i = 0; i < 2; i++) {
		char side[4096];
		snprintf(side, sizeof(side), "%s%s", path, suffixes[i]);
		if (chmod(side, 0600) != 0 && errno != ENOENT) {
			snprintf(err, err_cap, "%s: chmod: %s", side, strerror(errno));
			return -1;
		}
	}
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX |
					 SQLITE_OPEN_NOFOLLOW,
				 NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, err_cap, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	if (pragma_expect(db, "PRAGMA journal_mode=WAL", "wal", err, err_cap) ||
	    mbmsd_db_exec(db, "PRAGMA synchronous=FULL; PRAGMA secure_delete=ON;", err, err_cap)) {
		sqlite3_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

int mbmsd_db_open_prepared(const char *path, const char *schema, const char *const *sql,
			   size_t n, sqlite3 **db, sqlite3_stmt **st, char *err, size_t err_cap)
{
	for (size_t i = 0; i < n; i++)
		st[i] = NULL;
	if (mbmsd_db_open(path, db, err, err_cap))
		return -1;
	if (mbmsd_db_exec(*db, schema, err, err_cap))
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (sqlite3_prepare_v3(*db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL) !=
		    SQLITE_OK) {
			snprintf(err, err_cap, "sqlite: %s", sqlite3_errmsg(*db));
			goto fail;
		}
	return 0;
fail:
	mbmsd_db_close_prepared(*db, st, n);
	*db = NULL;
	return -1;
}

void mbmsd_db_close_prepared(sqlite3 *db, sqlite3_stmt **st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_finalize(st[i]);
		st[i] = NULL;
	}
	sqlite3_close(db);
}
