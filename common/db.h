/* Daemon support: opening an SQLite database for durable state.
 *
 * The file is created with mode 0600 before SQLite writes to it (SQLite
 * gives its -wal and -shm files the database file's permissions), then
 * opened in serialized mode with journal_mode=WAL, synchronous=FULL (a
 * committed key survives kill -9 and power loss), secure_delete=ON (deleted
 * keys are overwritten) and a busy timeout. Use prepared statements only.
 */
#ifndef MBMSD_DB_H
#define MBMSD_DB_H

#include <sqlite3.h>
#include <stddef.h>

/* 0, or -1 with a message in err. */
int mbmsd_db_open(const char *path, sqlite3 **out, char *err, size_t err_cap);

/* Run a fixed SQL text without parameters (schema, pragmas). */
int mbmsd_db_exec(sqlite3 *db, const char *sql, char *err, size_t err_cap);

/* mbmsd_db_open, then the schema, then n statements prepared for reuse
 * (SQLITE_PREPARE_PERSISTENT) into st[0..n-1]. On failure everything is
 * closed again and *db is NULL. */
int mbmsd_db_open_prepared(const char *path, const char *schema, const char *const *sql,
			   size_t n, sqlite3 **db, sqlite3_stmt **st, char *err, size_t err_cap);
/* Finalize st[0..n-1] and close db (either may be NULL). */
void mbmsd_db_close_prepared(sqlite3 *db, sqlite3_stmt **st, size_t n);

#endif
