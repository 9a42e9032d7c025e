/* mbms-ue <-> mbms-ue-http framing (see ue_http_frame.h). */
#include "ue_http_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEN_DIGITS_MAX 7

/* ---- encoding ---- */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
};

static int put(struct wbuf *w, const void *data, size_t n)
{
	if (n > w->cap - w->len)
		return -1;
	if (n)
		memcpy(w->p + w->len, data, n);
	w->len += n;
	return 0;
}

static int put_record(struct wbuf *w, char tag, const void *payload, size_t n)
{
	char head[16];
	int hn = snprintf(head, sizeof(head), "%c %zu\n", tag, n);
	if (hn < 0 || (size_t)hn >= sizeof(head) || n > 9999999)
		return -1;
	if (put(w, head, (size_t)hn) || put(w, payload, n) || put(w, "\n", 1))
		return -1;
	return 0;
}

static size_t record_size(size_t n) { return 12 + n; }

/* Text: no control byte but TAB, no DEL. */
static bool text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static int put_text(struct wbuf *w, char tag, const char *s, size_t max, const char **why)
{
	size_t n = strlen(s);
	if (n > max || !text_ok(s, n)) {
		*why = n > max ? "item over its limit" : "control byte in a text item";
		return -1;
	}
	if (put_record(w, tag, s, n)) {
		*why = "encoding overflow";
		return -1;
	}
	return 0;
}

static int wbuf_alloc(struct wbuf *w, size_t cap, const char **why)
{
	w->p = malloc(cap);
	w->len = 0;
	w->cap = cap;
	if (!w->p) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

static int wbuf_fail(struct wbuf *w)
{
	if (w->p) {
		memset(w->p, 0, w->cap);
		free(w->p);
	}
	w->p = NULL;
	return -1;
}

int mbmsd_ueh_request_encode(const struct mbmsd_ueh_request *q, uint8_t **out, size_t *out_len,
			     const char **why)
{
	*out = NULL;
	*out_len = 0;
	if (!q->method || (strcmp(q->method, "GET") && strcmp(q->method, "POST"))) {
		*why = "method not GET or POST";
		return -1;
	}
	if (!q->url || q->timeout_s < 1 || q->timeout_s > MBMSD_UEH_TIMEOUT_MAX || q->max_body < 1 ||
	    q->max_body > MBMSD_UEH_BODY_MAX || q->body_len > MBMSD_UEH_BODY_MAX ||
	    (q->body_len && !q->body)) {
		*why = "url, timeout, max_body or body out of range";
		return -1;
	}
	size_t cap = strlen(MBMSD_UEH_REQUEST_MAGIC) + record_size(8) * 4 + record_size(strlen(q->url)) +
		     record_size(q->body_len) + record_size(0);
	size_t nh = 0, nr = 0;
	for (; q->headers[nh]; nh++)
		cap += record_size(strlen(q->headers[nh]));
	for (; q->resolve[nr]; nr++)
		cap += record_size(strlen(q->resolve[nr]));
	bool has_ca = q->ca_file && *q->ca_file;
	if (has_ca)
		cap += record_size(strlen(q->ca_file));
	if (nh > MBMSD_UEH_MAX_HEADERS || nr > MBMSD_UEH_MAX_RESOLVE) {
		*why = "too many headers or resolve entries";
		return -1;
	}
	struct wbuf w;
	if (wbuf_alloc(&w, cap + 64, why))
		return -1;
	char num[24];
	put(&w, MBMSD_UEH_REQUEST_MAGIC, strlen(MBMSD_UEH_REQUEST_MAGIC));
	if (put_text(&w, 'M', q->method, 8, why) || put_text(&w, 'U', q->url, MBMSD_UEH_URL_MAX, why))
		return wbuf_fail(&w);
	snprintf(num, sizeof(num), "%ld", q->timeout_s);
	if (put_text(&w, 'T', num, 8, why))
		return wbuf_fail(&w);
	snprintf(num, sizeof(num), "%zu", q->max_body);
	if (put_text(&w, 'L', num, 8, why))
		return wbuf_fail(&w);
	for (size_t i = 0; i < nh; i++)
		if (put_text(&w, 'H', q->headers[i], MBMSD_UEH_LINE_MAX, why))
			return wbuf_fail(&w);
	for (size_t i = 0; i < nr; i++)
		if (put_text(&w, 'R', q->resolve[i], MBMSD_UEH_LINE_MAX, why))
			return wbuf_fail(&w);
	if (has_ca && put_text(&w, 'C', q->ca_file, MBMSD_UEH_CA_FILE_MAX, why))
		return wbuf_fail(&w);
	if (put_record(&w, 'B', q->body, q->body_len) || put_record(&w, 'E', "", 0)) {
		*why = "encoding overflow";
		return wbuf_fail(&w);
	}
	*out = w.p;
	*out_len = w.len;
	return 0;
}

int mbmsd_ueh_answer_encode(const struct mbmsd_ueh_answer *a, uint8_t **out, size_t *out_len,
			    const char **why)
{
	*out = NULL;
	*out_len = 0;
	size_t cap = strlen(MBMSD_UEH_ANSWER_MAGIC) + 5 * record_size(MBMSD_UEH_TEXT_MAX) +
		     record_size(a->body_len) + record_size(0);
	if (a->body_len > MBMSD_UEH_BODY_MAX || (a->body_len && !a->body)) {
		*why = "body over its limit";
		return -1;
	}
	struct wbuf w;
	if (wbuf_alloc(&w, cap, why))
		return -1;
	put(&w, MBMSD_UEH_ANSWER_MAGIC, strlen(MBMSD_UEH_ANSWER_MAGIC));
	if (a->kind == MBMSD_UEH_ANSWER) {
		char num[24];
		if (a->status < 100 || a->status > 599) {
			*why = "status out of range";
			return wbuf_fail(&w);
		}
		snprintf(num, sizeof(num), "%ld", a->status);
		if (put_text(&w, 'S', num, 3, why) ||
		    (a->content_type && put_text(&w, 'C', a->content_type, MBMSD_UEH_TEXT_MAX, why)) ||
		    (a->www_authenticate &&
		     put_text(&w, 'W', a->www_authenticate, MBMSD_UEH_TEXT_MAX, why)) ||
		    (a->authentication_info &&
		     put_text(&w, 'A', a->authentication_info, MBMSD_UEH_TEXT_MAX, why)))
			return wbuf_fail(&w);
		if (put_record(&w, 'B', a->body, a->body_len)) {
			*why = "encoding overflow";
			return wbuf_fail(&w);
		}
	} else {
		const char *m = a->message ? a->message : "";
		char msg[MBMSD_UEH_TEXT_MAX + 1];
		/* a message is truncated, and control bytes replaced, not refused */
		size_t n = strlen(m);
		if (n > MBMSD_UEH_TEXT_MAX)
			n = MBMSD_UEH_TEXT_MAX;
		for (size_t i = 0; i < n; i++)
			msg[i] = text_ok(m + i, 1) ? m[i] : ' ';
		msg[n] = '\0';
		if (put_text(&w, a->kind == MBMSD_UEH_TOO_LARGE ? 'Z' : 'X', msg, MBMSD_UEH_TEXT_MAX,
			     why))
			return wbuf_fail(&w);
	}
	if (put_record(&w, 'E', "", 0)) {
		*why = "encoding overflow";
		return wbuf_fail(&w);
	}
	*out = w.p;
	*out_len = w.len;
	return 0;
}

/* ---- parsing ---- */

struct rbuf {
	uint8_t *p;
	size_t len, off;
};

/* The next record: its tag and payload (NUL-terminated in place). */
static int next_record(struct rbuf *r, char *tag, char **payload, size_t *n, const char **why)
{
	size_t left = r->len - r->off;
	const uint8_t *s = r->p + r->off;
	if (left < 4) {
		*why = "truncated record";
		return -1;
	}
	if (s[0] < 'A' || s[0] > 'Z' || s[1] != ' ') {
		*why = "bad record head";
		return -1;
	}
	size_t i = 2, v = 0;
	while (i < left && s[i] >= '0' && s[i] <= '9') {
		if (i - 2 == LEN_DIGITS_MAX) {
			*why = "record length too long";
			return -1;
		}
		v = v * 10 + (size_t)(s[i] - '0');
		i++;
	}
	if (i == 2 || (s[2] == '0' && i > 3)) {
		*why = "bad record length";
		return -1;
	}
	if (i >= left || s[i] != '\n') {
		*why = i >= left ? "truncated record" : "bad record length";
		return -1;
	}
	i++;
	if (v > left - i || left - i - v < 1) {
		*why = "truncated record";
		return -1;
	}
	if (s[i + v] != '\n') {
		*why = "record not ended by a newline";
		return -1;
	}
	*tag = (char)s[0];
	*payload = (char *)r->p + r->off + i;
	(*payload)[v] = '\0';
	*n = v;
	r->off += i + v + 1;
	return 0;
}

static int magic(struct rbuf *r, const char *m, const char **why)
{
	size_t n = strlen(m);
	if (r->len < n || memcmp(r->p, m, n) != 0) {
		*why = "bad magic line";
		return -1;
	}
	r->off = n;
	return 0;
}

/* A decimal number without sign or leading zero, in [lo, hi]. */
static bool number_in(const char *s, size_t n, long lo, long hi, long *out)
{
	if (n == 0 || n > 9 || (s[0] == '0' && n > 1))
		return false;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Read one record that must carry `tag`; text items are checked. */
static int expect(struct rbuf *r, char tag, bool text, size_t max, char **payload, size_t *n,
		  const char **why)
{
	char t;
	if (next_record(r, &t, payload, n, why))
		return -1;
	if (t != tag) {
		*why = "record out of order or unknown";
		return -1;
	}
	if (*n > max) {
		*why = "record over its limit";
		return -1;
	}
	if (text && !text_ok(*payload, *n)) {
		*why = "control byte in a text record";
		return -1;
	}
	return 0;
}

static char peek_tag(const struct rbuf *r) { return r->off < r->len ? (char)r->p[r->off] : '\0'; }

static int end(struct rbuf *r, const char **why)
{
	char *p;
	size_t n;
	if (expect(r, 'E', true, 0, &p, &n, why))
		return -1;
	if (r->off != r->len) {
		*why = "bytes after the end record";
		return -1;
	}
	return 0;
}

int mbmsd_ueh_request_parse(uint8_t *buf, size_t len, struct mbmsd_ueh_request *q,
			    const char **why)
{
	memset(q, 0, sizeof(*q));
	struct rbuf r = {buf, len, 0};
	char *p;
	size_t n;
	long v;
	if (len > MBMSD_UEH_REQUEST_MAX) {
		*why = "request too large";
		return -1;
	}
	if (magic(&r, MBMSD_UEH_REQUEST_MAGIC, why) || expect(&r, 'M', true, 8, &p, &n, why))
		return -1;
	if (strcmp(p, "GET") && strcmp(p, "POST")) {
		*why = "method not GET or POST";
		return -1;
	}
	q->method = p;
	if (expect(&r, 'U', true, MBMSD_UEH_URL_MAX, &p, &n, why))
		return -1;
	if (n == 0) {
		*why = "empty URL";
		return -1;
	}
	q->url = p;
	if (expect(&r, 'T', true, 8, &p, &n, why))
		return -1;
	if (!number_in(p, n, 1, MBMSD_UEH_TIMEOUT_MAX, &v)) {
		*why = "bad timeout";
		return -1;
	}
	q->timeout_s = v;
	if (expect(&r, 'L', true, 8, &p, &n, why))
		return -1;
	if (!number_in(p, n, 1, MBMSD_UEH_BODY_MAX, &v)) {
		*why = "bad max_body";
		return -1;
	}
	q->max_body = (size_t)v;
	size_t nh = 0, nr = 0;
	while (peek_tag(&r) == 'H') {
		if (nh == MBMSD_UEH_MAX_HEADERS) {
			*why = "too many headers";
			return -1;
		}
		if (expect(&r, 'H', true, MBMSD_UEH_LINE_MAX, &p, &n, why))
			return -1;
		if (n == 0 || !memchr(p, ':', n)) {
			*why = "header line without a colon";
			return -1;
		}
		q->headers[nh++] = p;
	}
	while (peek_tag(&r) == 'R') {
		if (nr == MBMSD_UEH_MAX_RESOLVE) {
			*why = "too many resolve entries";
			return -1;
		}
		if (expect(&r, 'R', true, MBMSD_UEH_LINE_MAX, &p, &n, why))
			return -1;
		if (n == 0) {
			*why = "empty resolve entry";
			return -1;
		}
		q->resolve[nr++] = p;
	}
	if (peek_tag(&r) == 'C') {
		if (expect(&r, 'C', true, MBMSD_UEH_CA_FILE_MAX, &p, &n, why))
			return -1;
		if (n == 0) {
			*why = "empty CA file";
			return -1;
		}
		q->ca_file = p;
	}
	if (expect(&r, 'B', false, MBMSD_UEH_BODY_MAX, &p, &n, why))
		return -1;
	if (n && strcmp(q->method, "POST")) {
		*why = "a body with GET";
		return -1;
	}
	q->body = (const uint8_t *)p;
	q->body_len = n;
	return end(&r, why);
}

int mbmsd_ueh_answer_parse(uint8_t *buf, size_t len, size_t max_body, struct mbmsd_ueh_answer *a,
			   const char **why)
{
	memset(a, 0, sizeof(*a));
	struct rbuf r = {buf, len, 0};
	char *p;
	size_t n;
	long v;
	if (max_body > MBMSD_UEH_BODY_MAX)
		max_body = MBMSD_UEH_BODY_MAX;
	if (len > MBMSD_UEH_ANSWER_MAX(max_body)) {
		*why = "answer too large";
		return -1;
	}
	if (magic(&r, MBMSD_UEH_ANSWER_MAGIC, why))
		return -1;
	char t = peek_tag(&r);
	if (t == 'X' || t == 'Z') {
		if (expect(&r, t, true, MBMSD_UEH_TEXT_MAX, &p, &n, why))
			return -1;
		a->kind = t == 'X' ? MBMSD_UEH_TRANSPORT : MBMSD_UEH_TOO_LARGE;
		a->message = p;
		return end(&r, why);
	}
	if (expect(&r, 'S', true, 3, &p, &n, why))
		return -1;
	if (!number_in(p, n, 100, 599, &v)) {
		*why = "bad status";
		return -1;
	}
	a->kind = MBMSD_UEH_ANSWER;
	a->status = v;
	const char order[] = {'C', 'W', 'A'};
	const char **slot[] = {&a->content_type, &a->www_authenticate, &a->authentication_info};
	for (size_t i = 0; i < 3; i++) {
		if (peek_tag(&r) != order[i])
			continue;
		if (expect(&r, order[i], true, MBMSD_UEH_TEXT_MAX, &p, &n, why))
			return -1;
		*slot[i] = p;
	}
	if (expect(&r, 'B', false, max_body, &p, &n, why))
		return -1;
	a->body = (const uint8_t *)p;
	a->body_len = n;
	return end(&r, why);
}
