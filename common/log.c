/* Levelled logging to stderr (see log.h). */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "mbmssec/crypto.h"
#include "mbmssec/gba.h"

static const char *g_prog = "mbmsd";
static enum mbmsd_log_level g_level = MBMSD_LOG_INFO;
static bool g_key_debug;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void mbmsd_log_init(const char *prog)
{
	if (prog)
		g_prog = prog;
}

void mbmsd_log_set_level(enum mbmsd_log_level level) { g_level = level; }
enum mbmsd_log_level mbmsd_log_get_level(void) { return g_level; }

int mbmsd_log_level_parse(const char *s, enum mbmsd_log_level *out)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	for (int i = 0; i < 4; i++)
		if (s && strcasecmp(s, names[i]) == 0) {
			*out = (enum mbmsd_log_level)i;
			return 0;
		}
	return -1;
}

void mbmsd_log_set_key_debug(bool on) { g_key_debug = on; }
bool mbmsd_log_key_debug(void) { return g_key_debug; }

/* the lines held by mbmsd_log_hold() on this thread */
#define HOLD_MAX (64 * 1024)
static _Thread_local struct {
	bool on;
	size_t len;
	char buf[HOLD_MAX];
} g_hold;

static void write_out(const char *p, size_t n)
{
	pthread_mutex_lock(&g_lock);
	fwrite(p, 1, n, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&g_lock);
}

void mbmsd_log_hold(void) { g_hold.on = true; }

void mbmsd_log_release(void)
{
	if (g_hold.len)
		write_out(g_hold.buf, g_hold.len);
	g_hold.len = 0;
	g_hold.on = false;
}

static void emit(enum mbmsd_log_level level, const char *text)
{
	char when[MBMS_XS_DATETIME_LEN + 1] = "?";
	time_t now = time(NULL);
	if (now >= 0)
		mbms_xs_datetime_format((uint64_t)now, when);
	char line[1200];
	int n = snprintf(line, sizeof(line), "%s %s[%ld] %s: %s\n", when, g_prog, (long)getpid(),
			 level_names[level], text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) { /* cut long lines, keep the newline */
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (!g_hold.on) {
		write_out(line, (size_t)n);
		return;
	}
	if (g_hold.len + (size_t)n > HOLD_MAX) {
		write_out(g_hold.buf, g_hold.len);
		g_hold.len = 0;
	}
	memcpy(g_hold.buf + g_hold.len, line, (size_t)n);
	g_hold.len += (size_t)n;
}

void mbmsd_log(enum mbmsd_log_level level, const char *fmt, ...)
{
	if (level > g_level)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	emit(level, line);
}

void mbmsd_log_key(const char *label, const uint8_t *key, size_t len)
{
	if (!g_key_debug || !key)
		return;
	char hex[2 * 64 + 1];
	if (len > 64)
		len = 64;
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	hex[2 * len] = '\0';
	char line[256];
	snprintf(line, sizeof(line), "KEY-DEBUG %s: %s", label ? label : "key", hex);
	emit(MBMSD_LOG_DEBUG, line);
	mbms_wipe(hex, sizeof(hex));
	mbms_wipe(line, sizeof(line));
}
