/* Daemon support: the recent events of a daemon for its status page — a
 * ring of the last MBMSD_EVENTS_MAX procedure outcomes (who, what, result),
 * newest first when read. Thread-safe (one mutex). The text is what the
 * daemon would log; like the log, it never holds a key. Control characters
 * are replaced by '?' when an event is recorded. */
#ifndef MBMSD_EVENTS_H
#define MBMSD_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#define MBMSD_EVENTS_MAX 50
#define MBMSD_EVENT_KIND_MAX 24
#define MBMSD_EVENT_TEXT_MAX 320

enum mbmsd_event_level {
	MBMSD_EVENT_OK = 0,   /* a procedure that succeeded */
	MBMSD_EVENT_INFO,     /* a refusal that is part of the protocol (401 challenge, 404) */
	MBMSD_EVENT_WARN,     /* something an operator looks at */
	MBMSD_EVENT_ERROR,
};

struct mbmsd_event {
	uint64_t time_ms;     /* ms since the epoch */
	uint64_t seq;         /* 1, 2, ...: events ever recorded */
	enum mbmsd_event_level level;
	char kind[MBMSD_EVENT_KIND_MAX];
	char text[MBMSD_EVENT_TEXT_MAX];
};

/* Record one event now (text truncated to fit). */
void mbmsd_event(enum mbmsd_event_level level, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Copy up to cap events, newest first; returns how many. */
size_t mbmsd_events_read(struct mbmsd_event *out, size_t cap);
/* Events ever recorded (the ring keeps the last MBMSD_EVENTS_MAX). */
uint64_t mbmsd_events_total(void);
const char *mbmsd_event_level_name(enum mbmsd_event_level level);

#endif
