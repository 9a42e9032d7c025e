/* The recent-events ring of a daemon (common/events.h). One per process,
 * like the log. */
#include "events.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static struct {
	pthread_mutex_t lock;
	struct mbmsd_event ring[MBMSD_EVENTS_MAX];
	uint64_t total; /* ring[(total - 1) % MAX] is the newest */
} g_ev = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void mbmsd_event(enum mbmsd_event_level level, const char *kind, const char *fmt, ...)
{
	struct mbmsd_event e;
	memset(&e, 0, sizeof(e));
	e.time_ms = now_ms();
	e.level = level;
	snprintf(e.kind, sizeof(e.kind), "%s", kind ? kind : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e.text, sizeof(e.text), fmt, ap);
	va_end(ap);
	clean(e.kind);
	clean(e.text);
	pthread_mutex_lock(&g_ev.lock);
	e.seq = ++g_ev.total;
	g_ev.ring[(e.seq - 1) % MBMSD_EVENTS_MAX] = e;
	pthread_mutex_unlock(&g_ev.lock);
}

size_t mbmsd_events_read(struct mbmsd_event *out, size_t cap)
{
	size_t n = 0;
	pthread_mutex_lock(&g_ev.lock);
	uint64_t have = g_ev.total < MBMSD_EVENTS_MAX ? g_ev.total : MBMSD_EVENTS_MAX;
	for (uint64_t i = 0; i < have && n < cap; i++)
		out[n++] = g_ev.ring[(g_ev.total - 1 - i) % MBMSD_EVENTS_MAX];
	pthread_mutex_unlock(&g_ev.lock);
	return n;
}

uint64_t mbmsd_events_total(void)
{
	pthread_mutex_lock(&g_ev.lock);
	uint64_t t = g_ev.total;
	pthread_mutex_unlock(&g_ev.lock);
	return t;
}

const char *mbmsd_event_level_name(enum mbmsd_event_level level)
{
	switch (level) {
	case MBMSD_EVENT_OK: return "ok";
	case MBMSD_EVENT_INFO: return "info";
	case MBMSD_EVENT_WARN: return "warn";
	case MBMSD_EVENT_ERROR: return "error";
	}
	return "?";
}
