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

#endif
