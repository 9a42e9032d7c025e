/* The daemons' operations view helpers (common/): the Prometheus text
 * exposition writer (metrics.h, format 0.0.4), HTML escaping and the page
 * frame (status_page.h), the recent-events ring (events.h). Table-driven;
 * each table has rows that must not match, so a writer that escapes
 * nothing fails here. */
#include "testutil.h"

#include "events.h"
#include "metrics.h"
#include "status_page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exposition format 0.0.4: label values escape \ " and newline, nothing else. */
static void test_label_escaping(void **state)
{
	(void)state;
	static const struct {
		const char *name, *in, *out;
		bool same;
	} cases[] = {
		{"plain", "urn:example:mbms:news", "urn:example:mbms:news", true},
		{"quote", "a\"b", "a\\\"b", true},
		{"backslash", "a\\b", "a\\\\b", true},
		{"newline", "a\nb", "a\\nb", true},
		{"all three", "\\\"\n", "\\\\\\\"\\n", true},
		{"HTML is not special here", "<&'>", "<&'>", true},
		{"empty", "", "", true},
		{"must fail: quote left raw", "a\"b", "a\"b", false},
		{"must fail: newline left raw", "a\nb", "a\nb", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];
		size_t n = mbmsd_metrics_escape_label(cases[i].in, out, sizeof(out));
		bool same = strcmp(out, cases[i].out) == 0 && n == strlen(out);
		if (same != cases[i].same)
			fail_msg("%s: got '%s'", cases[i].name, out);
	}
	char small[4];
	assert_int_equal(mbmsd_metrics_escape_label("\"\"\"", small, sizeof(small)), 3);
	assert_int_equal(small[3], '\0');
}

/* The writer's output, byte for byte. */
static void test_exposition_text(void **state)
{
	(void)state;
	struct mbmsd_metrics m;
	mbmsd_metrics_init(&m);
	mbmsd_metrics_family(&m, "x_requests_total", MBMSD_COUNTER, "Requests, by \"kind\"\\path\nnext");
	struct mbmsd_label l[2] = {{"kind", "a\"b"}, {"status", "200"}};
	mbmsd_metrics_u64(&m, "x_requests_total", l, 2, 18446744073709551615ULL);
	mbmsd_metrics_one(&m, "x_up", MBMSD_GAUGE, "Up", 1);
	mbmsd_metrics_family(&m, "x_time_seconds", MBMSD_GAUGE, "T");
	mbmsd_metrics_double(&m, "x_time_seconds", NULL, 0, 1795819025.5);
	mbmsd_metrics_double(&m, "x_time_seconds", l + 1, 1, NAN);
	static const char want[] =
		"# HELP x_requests_total Requests, by \"kind\"\\\\path\\nnext\n"
		"# TYPE x_requests_total counter\n"
		"x_requests_total{kind=\"a\\\"b\",status=\"200\"} 18446744073709551615\n"
		"# HELP x_up Up\n"
		"# TYPE x_up gauge\n"
		"x_up 1\n"
		"# HELP x_time_seconds T\n"
		"# TYPE x_time_seconds gauge\n"
		"x_time_seconds 1795819025.5\n"
		"x_time_seconds{status=\"200\"} NaN\n";
	assert_false(m.failed);
	assert_string_equal(m.p, want);
	assert_int_equal(m.len, strlen(want));
	mbmsd_metrics_free(&m);
	assert_null(m.p);
}

static void test_html_escaping(void **state)
{
	(void)state;
	static const struct {
		const char *name, *in, *out;
		bool same;
	} cases[] = {
		{"plain", "urn:example:mbms:news", "urn:example:mbms:news", true},
		{"markup", "<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;", true},
		{"ampersand and quotes", "r&d's \"x\"", "r&amp;d&#39;s &quot;x&quot;", true},
		{"already escaped text is escaped again", "&lt;", "&amp;lt;", true},
		{"must fail: markup left raw", "<b>", "<b>", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mbmsd_html h;
		mbmsd_html_init(&h);
		mbmsd_html_text(&h, cases[i].in);
		char buf[128];
		mbmsd_html_escape(cases[i].in, buf, sizeof(buf));
		bool same = h.p && strcmp(h.p, cases[i].out) == 0 && strcmp(buf, cases[i].out) == 0;
		if (same != cases[i].same)
			fail_msg("%s: got '%s' / '%s'", cases[i].name, h.p ? h.p : "(null)", buf);
		mbmsd_html_free(&h);
	}
	/* truncation never cuts an entity in half */
	char small[8];
	mbmsd_html_escape("a<<<", small, sizeof(small));
	assert_string_equal(small, "a&lt;");
}

static void test_page_frame(void **state)
{
	(void)state;
	struct mbmsd_html h;
	mbmsd_html_init(&h);
	mbmsd_html_head(&h, "bmscd · <x>", "sub & title", 5);
	mbmsd_html_tile(&h, "t\"1", "label <l>", "<v>");
	mbmsd_html_td(&h, "a\"b", NULL, true);
	mbmsd_html_textf(&h, "%d<%s", 7, "&");
	mbmsd_html_foot(&h, 1795819025000ULL, "<a href=\"/metrics\">metrics</a>");
	assert_false(h.failed);
	const char *must[] = {
		"<!DOCTYPE html>",
		"<meta http-equiv=\"refresh\" content=\"5\">",
		"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">",
		"<title>bmscd · &lt;x&gt;</title>",
		"<p id=\"subtitle\">sub &amp; title</p>",
		"<div class=\"tile\" id=\"t&quot;1\"><b>&lt;v&gt;</b><span>label &lt;l&gt;</span></div>",
		"<td data-label=\"a&quot;b\" class=\"n\">7&lt;&amp;",
		"2026-11-27 22:37:05 UTC",
		"<a href=\"/metrics\">metrics</a></footer></body></html>\n",
	};
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		if (!strstr(h.p, must[i]))
			fail_msg("page lacks %s", must[i]);
	assert_null(strstr(h.p, "<x>"));
	assert_null(strstr(h.p, "<script"));
	mbmsd_html_free(&h);
	mbmsd_html_init(&h);
	mbmsd_html_head(&h, "t", "s", 0); /* no refresh */
	assert_null(strstr(h.p, "http-equiv"));
	mbmsd_html_relative(&h, 1000000, 1000000 + 61000);
	mbmsd_html_raw(&h, "|");
	mbmsd_html_relative(&h, 1000000 + 3 * 3600000ULL + 60000, 1000000);
	assert_non_null(strstr(h.p, "1m 1s ago|in 3h 1m"));
	mbmsd_html_free(&h);
}

static void test_wants_html(void **state)
{
	(void)state;
	static const struct {
		const char *format, *accept;
		bool html;
	} cases[] = {
		{NULL, NULL, false},                                      /* libcurl, ctl */
		{NULL, "*/*", false},                                     /* curl */
		{NULL, "application/json", false},
		{NULL, "text/html,application/xhtml+xml,*/*;q=0.8", true}, /* a browser */
		{NULL, "TEXT/HTML", true},
		{"html", NULL, true},
		{"json", "text/html", false},
		{"xml", NULL, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (mbmsd_status_wants_html(cases[i].format, cases[i].accept) != cases[i].html)
			fail_msg("format=%s accept=%s", cases[i].format ? cases[i].format : "-",
				 cases[i].accept ? cases[i].accept : "-");
}

static void test_events_ring(void **state)
{
	(void)state;
	uint64_t base = mbmsd_events_total();
	for (int i = 0; i < MBMSD_EVENTS_MAX + 10; i++)
		mbmsd_event(MBMSD_EVENT_OK, "push", "event %d", i);
	mbmsd_event(MBMSD_EVENT_WARN, "ub\nforged", "line\r\nINFO: forged\x7f");
	assert_int_equal(mbmsd_events_total(), base + MBMSD_EVENTS_MAX + 11);
	struct mbmsd_event *ev = calloc(MBMSD_EVENTS_MAX + 5, sizeof(*ev));
	assert_non_null(ev);
	size_t n = mbmsd_events_read(ev, MBMSD_EVENTS_MAX + 5);
	assert_int_equal(n, MBMSD_EVENTS_MAX);
	/* newest first, control characters replaced */
	assert_string_equal(ev[0].kind, "ub?forged");
	assert_string_equal(ev[0].text, "line??INFO: forged?");
	assert_int_equal(ev[0].level, MBMSD_EVENT_WARN);
	assert_string_equal(ev[1].text, "event 59");
	assert_string_equal(ev[n - 1].text, "event 11");
	assert_true(ev[0].seq == ev[1].seq + 1);
	assert_int_equal(mbmsd_events_read(ev, 3), 3);
	assert_string_equal(mbmsd_event_level_name(MBMSD_EVENT_ERROR), "error");
	/* the page shows them escaped */
	mbmsd_event(MBMSD_EVENT_INFO, "ub", "UE <img src=x>: 403");
	struct mbmsd_html h;
	mbmsd_html_init(&h);
	mbmsd_html_events(&h, ev[0].time_ms + 5000);
	assert_non_null(strstr(h.p, "UE &lt;img src=x&gt;: 403"));
	assert_null(strstr(h.p, "<img"));
	assert_non_null(strstr(h.p, "lv-info"));
	mbmsd_html_free(&h);
	free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escaping), cmocka_unit_test(test_exposition_text),
		cmocka_unit_test(test_html_escaping),  cmocka_unit_test(test_page_frame),
		cmocka_unit_test(test_wants_html),     cmocka_unit_test(test_events_ring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
