/* HTML status pages of the admin listeners (common/status_page.h). */
#include "status_page.h"

#include "events.h"
#include "httpd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* One style sheet for both daemons: system fonts, tiles that wrap, tables
 * that scroll sideways inside their box on a narrow screen. */
static const char STYLE[] =
	"*{box-sizing:border-box}"
	"body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"color:#1d2330;background:#f3f5f8}"
	"header{background:#1f3a5f;color:#fff;padding:14px 20px}"
	"header h1{margin:0;font-size:1.3em;font-weight:600}"
	"header p{margin:2px 0 0;opacity:.85;font-size:.9em;word-break:break-all}"
	"main{max-width:1100px;margin:0 auto;padding:12px}"
	"section{background:#fff;border:1px solid #dde2ea;border-radius:8px;margin:12px 0;"
	"padding:10px 14px}"
	"h2{font-size:1.05em;margin:4px 0 8px;color:#1f3a5f}"
	".tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}"
	".tile{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:10px 12px}"
	".tile b{display:block;font-size:1.5em;font-weight:600}"
	".tile span{color:#5a6474;font-size:.85em}"
	".scroll{overflow-x:auto}"
	"table{border-collapse:collapse;width:100%;font-size:.92em}"
	"th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceff4;vertical-align:top}"
	"th{color:#5a6474;font-weight:600;white-space:nowrap}"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
	"code{font:.95em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
	"background:#eef2f7;padding:1px 4px;border-radius:4px}"
	".ev td{font-size:.9em}.ev td:last-child{word-break:break-word}"
	".lv{display:inline-block;min-width:3.2em;text-align:center;border-radius:4px;"
	"padding:0 5px;font-size:.8em;font-weight:600;color:#fff}"
	".lv-ok{background:#2e7d32}.lv-info{background:#546e7a}.lv-warn{background:#b26a00}"
	".lv-error{background:#c62828}"
	".muted{color:#5a6474}"
	"footer{color:#5a6474;font-size:.85em;text-align:center;padding:8px 12px 24px}"
	"footer a{color:#1f3a5f}"
	"@media (max-width:600px){body{font-size:14px}main{padding:6px}"
	"section{padding:8px}th,td{padding:4px 5px}.tile b{font-size:1.25em}"
	/* on a phone, a table of class stack shows each row as a card of
	 * "label value" lines (the labels come from data-label) */
	"table.stack thead{display:none}"
	"table.stack tr{display:block;padding:6px 0;border-bottom:1px solid #dde2ea}"
	"table.stack td{display:flex;justify-content:space-between;gap:12px;border:0;"
	"padding:2px 4px;text-align:right}"
	"table.stack td::before{content:attr(data-label);color:#5a6474;font-weight:600;"
	"text-align:left;white-space:nowrap}}";

void mbmsd_html_init(struct mbmsd_html *h)
{
	memset(h, 0, sizeof(*h));
}

void mbmsd_html_free(struct mbmsd_html *h)
{
	free(h->p);
	memset(h, 0, sizeof(*h));
}

static void put(struct mbmsd_html *h, const char *s, size_t n)
{
	if (h->failed)
		return;
	if (h->len + n + 1 > h->cap) {
		size_t cap = h->cap ? h->cap : 16384;
		while (cap < h->len + n + 1)
			cap *= 2;
		char *np = realloc(h->p, cap);
		if (!np) {
			h->failed = true;
			return;
		}
		h->p = np;
		h->cap = cap;
	}
	memcpy(h->p + h->len, s, n);
	h->len += n;
	h->p[h->len] = '\0';
}

void mbmsd_html_raw(struct mbmsd_html *h, const char *markup)
{
	put(h, markup, strlen(markup));
}

static const char *entity(char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

void mbmsd_html_text(struct mbmsd_html *h, const char *text)
{
	const char *run = text;
	for (const char *s = text; *s; s++) {
		const char *e = entity(*s);
		if (!e)
			continue;
		put(h, run, (size_t)(s - run));
		put(h, e, strlen(e));
		run = s + 1;
	}
	put(h, run, strlen(run));
}

void mbmsd_html_textf(struct mbmsd_html *h, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	mbmsd_html_text(h, buf);
}

size_t mbmsd_html_escape(const char *in, char *out, size_t cap)
{
	if (!cap)
		return 0;
	size_t n = 0;
	for (; *in; in++) {
		const char *e = entity(*in);
		size_t need = e ? strlen(e) : 1;
		if (n + need >= cap)
			break;
		if (e)
			memcpy(out + n, e, need);
		else
			out[n] = *in;
		n += need;
	}
	out[n] = '\0';
	return n;
}

void mbmsd_html_head(struct mbmsd_html *h, const char *title, const char *subtitle,
		     unsigned refresh_s)
{
	mbmsd_html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
	if (refresh_s) {
		mbmsd_html_raw(h, "<meta http-equiv=\"refresh\" content=\"");
		mbmsd_html_textf(h, "%u", refresh_s);
		mbmsd_html_raw(h, "\">");
	}
	mbmsd_html_raw(h, "<title>");
	mbmsd_html_text(h, title);
	mbmsd_html_raw(h, "</title><style>");
	mbmsd_html_raw(h, STYLE);
	mbmsd_html_raw(h, "</style></head><body><header><h1 id=\"title\">");
	mbmsd_html_text(h, title);
	mbmsd_html_raw(h, "</h1><p id=\"subtitle\">");
	mbmsd_html_text(h, subtitle);
	mbmsd_html_raw(h, "</p></header><main>");
}

void mbmsd_html_foot(struct mbmsd_html *h, uint64_t now_ms, const char *links_markup)
{
	mbmsd_html_raw(h, "</main><footer>Generated ");
	mbmsd_html_time(h, now_ms);
	mbmsd_html_textf(h, " · reloads every %u s", MBMSD_STATUS_REFRESH_S);
	if (links_markup && *links_markup) {
		mbmsd_html_raw(h, " · ");
		mbmsd_html_raw(h, links_markup);
	}
	mbmsd_html_raw(h, "</footer></body></html>\n");
}

void mbmsd_html_tile(struct mbmsd_html *h, const char *id, const char *label, const char *value)
{
	mbmsd_html_raw(h, "<div class=\"tile\" id=\"");
	mbmsd_html_text(h, id);
	mbmsd_html_raw(h, "\"><b>");
	mbmsd_html_text(h, value);
	mbmsd_html_raw(h, "</b><span>");
	mbmsd_html_text(h, label);
	mbmsd_html_raw(h, "</span></div>");
}

void mbmsd_html_td(struct mbmsd_html *h, const char *label, const char *id, bool numeric)
{
	mbmsd_html_raw(h, "<td data-label=\"");
	mbmsd_html_text(h, label);
	mbmsd_html_raw(h, "\"");
	if (id) {
		mbmsd_html_raw(h, " id=\"");
		mbmsd_html_text(h, id);
		mbmsd_html_raw(h, "\"");
	}
	mbmsd_html_raw(h, numeric ? " class=\"n\">" : ">");
}

void mbmsd_html_time(struct mbmsd_html *h, uint64_t ms)
{
	if (!ms) {
		mbmsd_html_raw(h, "—");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[40];
	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm)) {
		mbmsd_html_raw(h, "?");
		return;
	}
	mbmsd_html_text(h, buf);
}

void mbmsd_html_relative(struct mbmsd_html *h, uint64_t ms, uint64_t now_ms)
{
	bool future = ms >= now_ms;
	uint64_t d = (future ? ms - now_ms : now_ms - ms) / 1000;
	char span[48];
	if (d >= 86400)
		snprintf(span, sizeof(span), "%llud %lluh", (unsigned long long)(d / 86400),
			 (unsigned long long)(d % 86400 / 3600));
	else if (d >= 3600)
		snprintf(span, sizeof(span), "%lluh %llum", (unsigned long long)(d / 3600),
			 (unsigned long long)(d % 3600 / 60));
	else if (d >= 60)
		snprintf(span, sizeof(span), "%llum %llus", (unsigned long long)(d / 60),
			 (unsigned long long)(d % 60));
	else
		snprintf(span, sizeof(span), "%llus", (unsigned long long)d);
	mbmsd_html_textf(h, future ? "in %s" : "%s ago", span);
}

void mbmsd_html_events(struct mbmsd_html *h, uint64_t now_ms)
{
	struct mbmsd_event *ev = calloc(MBMSD_EVENTS_MAX, sizeof(*ev));
	if (!ev) {
		h->failed = true;
		return;
	}
	size_t n = mbmsd_events_read(ev, MBMSD_EVENTS_MAX);
	mbmsd_html_raw(h, "<section id=\"events\"><h2>Recent events</h2>");
	if (!n) {
		mbmsd_html_raw(h, "<p class=\"muted\">None yet.</p></section>");
		free(ev);
		return;
	}
	mbmsd_html_raw(h, "<p class=\"muted\">The last ");
	mbmsd_html_textf(h, "%zu of %llu procedure outcomes, newest first.", n,
			 (unsigned long long)mbmsd_events_total());
	mbmsd_html_raw(h, "</p><div class=\"scroll\"><table class=\"ev stack\"><thead><tr><th>time</th>"
			  "<th>result</th><th>what</th><th>details</th></tr></thead><tbody>");
	for (size_t i = 0; i < n; i++) {
		const char *lv = mbmsd_event_level_name(ev[i].level);
		mbmsd_html_raw(h, "<tr><td data-label=\"time\" title=\"");
		mbmsd_html_time(h, ev[i].time_ms);
		mbmsd_html_raw(h, "\">");
		mbmsd_html_relative(h, ev[i].time_ms, now_ms);
		mbmsd_html_raw(h, "</td><td data-label=\"result\"><span class=\"lv lv-");
		mbmsd_html_text(h, lv);
		mbmsd_html_raw(h, "\">");
		mbmsd_html_text(h, lv);
		mbmsd_html_raw(h, "</span></td><td data-label=\"what\">");
		mbmsd_html_text(h, ev[i].kind);
		mbmsd_html_raw(h, "</td><td data-label=\"details\">");
		mbmsd_html_text(h, ev[i].text);
		mbmsd_html_raw(h, "</td></tr>");
	}
	free(ev);
	mbmsd_html_raw(h, "</tbody></table></div></section>");
}

void mbmsd_html_respond(struct mbmsd_html *h, struct mbmsd_http_response *resp)
{
	if (h->failed || !h->p ||
	    mbmsd_http_set_body(resp, 200, "text/html; charset=utf-8", h->p, h->len)) {
		mbmsd_http_status(resp, 500, "out of memory");
		return;
	}
	mbmsd_http_add_header(resp, "Content-Security-Policy",
			      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
	mbmsd_http_add_header(resp, "X-Content-Type-Options", "nosniff");
	mbmsd_http_add_header(resp, "Cache-Control", "no-store");
}

bool mbmsd_status_wants_html(const char *format_query, const char *accept)
{
	if (format_query)
		return strcmp(format_query, "html") == 0;
	if (!accept)
		return false;
	/* a case-insensitive search for text/html in the Accept list */
	for (const char *p = accept; *p; p++)
		if (strncasecmp(p, "text/html", 9) == 0)
			return true;
	return false;
}
