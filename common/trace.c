/* The event trace: one JSON object per line (see trace.h, docs/trace.md). */
#include "trace.h"

#include "config.h"
#include "log.h"

#include "mbmssec/error.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIELD_MAX 512   /* bytes of one text field that reach the file */
#define HEX_RUN_KEY 32  /* this many hex digits in a row look like a key */

static atomic_int g_fd = -1;
static bool g_write_failed; /* a failed write is logged once */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

int mbmsd_trace_open(const char *path, char *err, size_t err_cap)
{
	if (!path || !*path) {
		snprintf(err, err_cap, "trace: no file name");
		return -1;
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, err_cap, "trace %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
		log_warn("trace %s is readable by others (mode %03o); it holds identities",
			 path, (unsigned)(st.st_mode & 0777));
	pthread_mutex_lock(&g_lock);
	int old = atomic_exchange(&g_fd, fd);
	g_write_failed = false;
	pthread_mutex_unlock(&g_lock);
	if (old >= 0)
		close(old);
	return 0;
}

void mbmsd_trace_close(void)
{
	pthread_mutex_lock(&g_lock);
	int old = atomic_exchange(&g_fd, -1);
	pthread_mutex_unlock(&g_lock);
	if (old >= 0)
		close(old);
}

bool mbmsd_trace_on(void) { return atomic_load_explicit(&g_fd, memory_order_relaxed) >= 0; }

const char *mbmsd_trace_actor(char *out, size_t cap, const char *role, const char *instance)
{
	if (!cap)
		return out;
	if (instance && *instance)
		snprintf(out, cap, "%s %s", role ? role : "?", instance);
	else
		snprintf(out, cap, "%s", role ? role : "?");
	return out;
}

/* ---- the line, built in a growing buffer ---- */
struct line {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (l->oom)
		return;
	if (l->len + n + 2 > l->cap) { /* room for "\n" and NUL */
		size_t cap = l->cap ? l->cap : 512;
		while (l->len + n + 2 > cap)
			cap *= 2;
		char *p = realloc(l->p, cap);
		if (!p) {
			l->oom = true;
			return;
		}
		l->p = p;
		l->cap = cap;
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
	l->p[l->len] = '\0';
}

static void puts_(struct line *l, const char *s) { put(l, s, strlen(s)); }

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min, cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		min = 0x80;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		min = 0x800;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		min = 0x10000;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static bool looks_like_key(const char *s)
{
	size_t run = 0;
	for (; *s; s++) {
		bool hex = (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
			   (*s >= 'A' && *s <= 'F');
		run = hex ? run + 1 : 0;
		if (run >= HEX_RUN_KEY)
			return true;
	}
	return false;
}

/* A JSON string (RFC 8259 7): quote and backslash escaped, every control
 * character as \u00XX, invalid UTF-8 as U+FFFD; at most FIELD_MAX input
 * bytes, cut on a character boundary. */
static void put_str(struct line *l, const char *s)
{
	if (looks_like_key(s))
		s = "[redacted]";
	put(l, "\"", 1);
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, FIELD_MAX + 4), used = 0;
	while (used < n) {
		unsigned char c = p[used];
		size_t k = utf8_seq(p + used, n - used);
		if (k && used + k > FIELD_MAX)
			break;
		if (!k) {
			put(l, "\\ufffd", 6);
			used++;
		} else if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};
			put(l, e, 2);
			used++;
		} else if (c < 0x20 || c == 0x7f) {
			char e[8];
			snprintf(e, sizeof(e), "\\u%04x", c);
			put(l, e, 6);
			used++;
		} else {
			put(l, (const char *)p + used, k);
			used += k;
		}
		if (used >= FIELD_MAX)
			break;
	}
	put(l, "\"", 1);
}

static void put_key(struct line *l, const char *name)
{
	put(l, ",\"", 2);
	puts_(l, name);
	put(l, "\":", 2);
}

static void put_str_field(struct line *l, const char *name, const char *value)
{
	if (!value)
		return;
	put_key(l, name);
	put_str(l, value);
}

/* "2026-01-01T12:34:56.789Z" from the real clock. */
#define WHEN_MAX 64
static void now_iso(char out[WHEN_MAX])
{
	struct timespec ts;
	struct tm tm;
	char base[32];
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm) ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(out, WHEN_MAX, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(out, WHEN_MAX, "%s.%03dZ", base, (int)(ts.tv_nsec / 1000000L % 1000));
}

void mbmsd_trace_event(const struct mbmsd_trace_ev *ev)
{
	if (!ev || atomic_load_explicit(&g_fd, memory_order_relaxed) < 0)
		return;
	char when[WHEN_MAX], num[32];
	now_iso(when);
	struct line l = {0};
	put(&l, "{\"t\":\"", 6);
	puts_(&l, when);
	put(&l, "\"", 1);
	put_key(&l, "from");
	put_str(&l, ev->from ? ev->from : "?");
	put_key(&l, "to");
	put_str(&l, ev->to ? ev->to : (ev->from ? ev->from : "?"));
	put_key(&l, "proto");
	put_str(&l, ev->proto ? ev->proto : "?");
	put_key(&l, "msg");
	put_str(&l, ev->msg ? ev->msg : "?");
	if (ev->code) {
		put_key(&l, "status");
		snprintf(num, sizeof(num), "%u", ev->code);
		puts_(&l, num);
	} else {
		put_str_field(&l, "status", ev->result);
	}
	if (ev->key_domain) {
		snprintf(num, sizeof(num), "%02x%02x%02x", ev->key_domain[0], ev->key_domain[1],
			 ev->key_domain[2]);
		put_str_field(&l, "key_domain", num);
	}
	if (ev->has_msk_id) {
		snprintf(num, sizeof(num), "%08lx", (unsigned long)ev->msk_id);
		put_str_field(&l, "msk_id", num);
	}
	if (ev->has_mtk_id) {
		put_key(&l, "mtk_id");
		snprintf(num, sizeof(num), "%u", (unsigned)ev->mtk_id);
		puts_(&l, num);
	}
	put_str_field(&l, "btid", ev->btid);
	put_str_field(&l, "note", ev->note);
	put(&l, "}", 1);
	if (l.oom) {
		free(l.p);
		return;
	}
	l.p[l.len++] = '\n';

	pthread_mutex_lock(&g_lock);
	int fd = atomic_load(&g_fd);
	if (fd >= 0) {
		ssize_t w;
		/* one write per line: O_APPEND keeps lines whole */
		do
			w = write(fd, l.p, l.len);
		while (w < 0 && errno == EINTR);
		if (w != (ssize_t)l.len && !g_write_failed) {
			g_write_failed = true;
			log_error("trace: write failed (%s); events are being lost",
				  w < 0 ? strerror(errno) : "short write");
		}
	}
	pthread_mutex_unlock(&g_lock);
	free(l.p);
}

/* ---- the `trace` key of a configuration file ---- */
struct trace_key {
	const char *config_path;
	const char *section;
	char *out;
	size_t out_cap;
	bool seen;
};

static int trace_on_key(void *user, const char *section, const char *sub, const char *key,
			const char *value, unsigned line, struct mbms_ini_error *err)
{
	struct trace_key *k = user;
	(void)line;
	if (*sub || strcmp(section, k->section) != 0 || strcmp(key, "trace") != 0)
		return 0;
	if (k->seen) {
		snprintf(err->msg, sizeof(err->msg), "'trace' given twice");
		return MBMS_EINVAL;
	}
	if (!*value || mbmsd_config_path(k->config_path, value, k->out, k->out_cap)) {
		snprintf(err->msg, sizeof(err->msg), "trace: bad path");
		return MBMS_EINVAL;
	}
	k->seen = true;
	return 0;
}

int mbmsd_trace_config_path(const char *config_path, const char *section, char *out,
			    size_t out_cap, char *err, size_t err_cap)
{
	if (!out_cap)
		return -1;
	out[0] = '\0';
	struct trace_key k = {config_path, section, out, out_cap, false};
	char *buf;
	size_t len;
	if (mbmsd_file_read(config_path, MBMSD_CONFIG_MAX, &buf, &len, err, err_cap))
		return -1;
	struct mbms_ini_error ie;
	memset(&ie, 0, sizeof(ie));
	int rc = mbms_ini_parse(buf, len, NULL, trace_on_key, &k, &ie);
	mbmsd_file_free(buf, len);
	if (rc) {
		out[0] = '\0';
		snprintf(err, err_cap, "%s:%u: %s", config_path, ie.line, ie.msg);
		return -1;
	}
	return 0;
}
