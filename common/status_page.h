/* Daemon support: the HTML status pages of the admin listeners — one
 * self-contained page (inline CSS, no script, no external asset) that
 * reloads itself every few seconds and reads on a phone as on a desktop.
 *
 * Markup is written only from string literals (mbmsd_html_raw); every other
 * piece of text goes through mbmsd_html_text/_textf, which escape & < > " '
 * — service IDs, IMPIs and event texts come from the configuration or the
 * network. The pages show key IDs and counts, never keys.
 */
#ifndef MBMSD_STATUS_PAGE_H
#define MBMSD_STATUS_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mbmsd_http_response;

struct mbmsd_html {
	char *p;
	size_t len, cap;
	bool failed; /* out of memory */
};

#define MBMSD_STATUS_REFRESH_S 5

void mbmsd_html_init(struct mbmsd_html *h);
void mbmsd_html_free(struct mbmsd_html *h);

/* Markup: pass string literals only. */
void mbmsd_html_raw(struct mbmsd_html *h, const char *markup);
/* Text, escaped. */
void mbmsd_html_text(struct mbmsd_html *h, const char *text);
/* Formatted text, escaped as a whole (up to 1 KiB). */
void mbmsd_html_textf(struct mbmsd_html *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Escape into a caller buffer (truncated, NUL-terminated); the length. */
size_t mbmsd_html_escape(const char *in, char *out, size_t cap);

/* <!doctype html> ... <body><header>: title and subtitle (escaped), the
 * meta refresh (refresh_s, 0 = none), the viewport, the style sheet. */
void mbmsd_html_head(struct mbmsd_html *h, const char *title, const char *subtitle,
		     unsigned refresh_s);
/* </main> footer with the generation time and links, </body></html>. */
void mbmsd_html_foot(struct mbmsd_html *h, uint64_t now_ms, const char *links_markup);

/* A summary tile: <div class="tile" id="ID"><b>VALUE</b><span>LABEL</span>. */
void mbmsd_html_tile(struct mbmsd_html *h, const char *id, const char *label, const char *value);
/* <td data-label="LABEL" [id="ID"] [class="n"]>: a cell of a table of
 * class "stack", which a phone shows as one card per row. */
void mbmsd_html_td(struct mbmsd_html *h, const char *label, const char *id, bool numeric);
/* "2026-11-27 22:17:42 UTC" (escaped text). 0 = "—". */
void mbmsd_html_time(struct mbmsd_html *h, uint64_t ms);
/* "in 9m 58s" / "3m 2s ago". */
void mbmsd_html_relative(struct mbmsd_html *h, uint64_t ms, uint64_t now_ms);
/* A section with the last events of the ring (common/events.h). */
void mbmsd_html_events(struct mbmsd_html *h, uint64_t now_ms);

/* The page as a 200 text/html answer, with Content-Security-Policy
 * (nothing but inline style), X-Content-Type-Options and Cache-Control.
 * 500 when the page could not be built. */
void mbmsd_html_respond(struct mbmsd_html *h, struct mbmsd_http_response *resp);

/* Whether a GET of the status path wants HTML: ?format=html, or no format
 * and an Accept header naming text/html (a browser). Otherwise JSON. */
bool mbmsd_status_wants_html(const char *format_query, const char *accept);

#endif
