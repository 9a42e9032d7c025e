/* Daemon support: levelled logging to stderr.
 *
 * One line per call: "2026-01-01T00:00:00Z bsfd[123] INFO: text". Control
 * characters in the text (which may come from the network) are replaced by
 * '?', so a line cannot be split or forged. Secrets never go through
 * mbmsd_log(): the only way to print key bytes is mbmsd_log_key(), which
 * prints nothing unless key debugging was switched on explicitly.
 */
#ifndef MBMSD_LOG_H
#define MBMSD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mbmsd_log_level {
	MBMSD_LOG_ERROR = 0,
	MBMSD_LOG_WARN,
	MBMSD_LOG_INFO,
	MBMSD_LOG_DEBUG,
};

/* Program name shown in each line (not copied: pass a string literal). */
void mbmsd_log_init(const char *prog);
void mbmsd_log_set_level(enum mbmsd_log_level level);
enum mbmsd_log_level mbmsd_log_get_level(void);
/* "error", "warn", "info", "debug" -> level; -1 when unknown. */
int mbmsd_log_level_parse(const char *s, enum mbmsd_log_level *out);

void mbmsd_log(enum mbmsd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) mbmsd_log(MBMSD_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) mbmsd_log(MBMSD_LOG_WARN, __VA_ARGS__)
#define log_info(...) mbmsd_log(MBMSD_LOG_INFO, __VA_ARGS__)
#define log_debug(...) mbmsd_log(MBMSD_LOG_DEBUG, __VA_ARGS__)

/* Batching for hot loops (issue #9): between hold and release, the lines
 * this thread logs are kept in a per-thread buffer and written with one
 * write() at release (or when the buffer fills), instead of one write()
 * each. Lines stay whole and in order within the thread; another thread's
 * lines may land before them. bmscd holds the lines of one drain of its
 * core (a rotation logs one line per acknowledged push). Not nested. */
void mbmsd_log_hold(void);
void mbmsd_log_release(void);

/* Key debugging: off unless switched on (a command-line flag, never a
 * default). When on, mbmsd_log_key() prints "KEY-DEBUG label: hex". */
void mbmsd_log_set_key_debug(bool on);
bool mbmsd_log_key_debug(void);
void mbmsd_log_key(const char *label, const uint8_t *key, size_t len);

#endif
