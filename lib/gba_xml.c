/* GBA bodies: the Ub BootstrappingInfo (TS 24.109 Annex C), the project's Zn
 * answer, xs:dateTime in UTC, and NAF_ID splitting. No I/O, no clock: the
 * calendar arithmetic is done here instead of with timegm()/gmtime(), which
 * depend on the process's time zone setup and are not in C17. */
#include "mbmssec/gba.h"
#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <expat.h>
#include <stdio.h>
#include <string.h>

/* ---- civil calendar <-> days since 1970-01-01 (proleptic Gregorian) ----
 * The year is shifted to start in March so that the leap day is the last day
 * of the shifted year; 400-year eras hold 146097 days each. */
int64_t mbms_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	if (m <= 2)
		y -= 1;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;                                  /* 0..399 */
	int64_t mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;         /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;            /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* 0..146096 */
	return era * 146097 + doe - 719468; /* 719468 = days from 0000-03-01 to 1970-01-01 */
}

void mbms_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	unsigned dd = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (mm <= 2 ? 1 : 0);
	*m = mm;
	*d = dd;
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

#define MAX_XS_TIME 253402300799ull /* 9999-12-31T23:59:59Z */

int mbms_xs_datetime_format(uint64_t t, char out[MBMS_XS_DATETIME_LEN + 1])
{
	if (t > MAX_XS_TIME)
		return MBMS_EINVAL;
	int64_t y;
	unsigned m, d;
	mbms_civil_from_days((int64_t)(t / 86400), &y, &m, &d);
	unsigned s = (unsigned)(t % 86400);
	snprintf(out, MBMS_XS_DATETIME_LEN + 1, "%04d-%02u-%02uT%02u:%02u:%02uZ", (int)y, m, d,
		 s / 3600, s / 60 % 60, s % 60);
	return 0;
}

/* n decimal digits at s[*pos], advancing. */
static bool take_digits(const char *s, size_t len, size_t *pos, unsigned n, unsigned *out)
{
	unsigned v = 0;
	if (len - *pos < n)
		return false;
	for (unsigned i = 0; i < n; i++) {
		char c = s[*pos + i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (unsigned)(c - '0');
	}
	*pos += n;
	*out = v;
	return true;
}

static bool take_char(const char *s, size_t len, size_t *pos, char c)
{
	if (*pos >= len || s[*pos] != c)
		return false;
	(*pos)++;
	return true;
}

/* XML Schema Part 2, 3.2.7 (dateTime), restricted as gba.h says. */
int mbms_xs_datetime_parse(const char *s, size_t len, uint64_t *t)
{
	size_t p = 0;
	unsigned y, mo, d, h, mi, se;
	if (!s || !t)
		return MBMS_EINVAL;
	if (!take_digits(s, len, &p, 4, &y) || !take_char(s, len, &p, '-') ||
	    !take_digits(s, len, &p, 2, &mo) || !take_char(s, len, &p, '-') ||
	    !take_digits(s, len, &p, 2, &d) || !take_char(s, len, &p, 'T') ||
	    !take_digits(s, len, &p, 2, &h) || !take_char(s, len, &p, ':') ||
	    !take_digits(s, len, &p, 2, &mi) || !take_char(s, len, &p, ':') ||
	    !take_digits(s, len, &p, 2, &se))
		return MBMS_ESYNTAX;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || se > 59)
		return MBMS_ESYNTAX;
	if (p < len && s[p] == '.') {
		p++;
		size_t start = p;
		while (p < len && s[p] >= '0' && s[p] <= '9')
			p++;
		if (p == start)
			return MBMS_ESYNTAX;
	}
	int64_t offset = 0;
	if (take_char(s, len, &p, 'Z')) {
		/* UTC */
	} else if (p < len && (s[p] == '+' || s[p] == '-')) {
		int sign = s[p] == '+' ? 1 : -1;
		unsigned oh, om;
		p++;
		if (!take_digits(s, len, &p, 2, &oh) || !take_char(s, len, &p, ':') ||
		    !take_digits(s, len, &p, 2, &om) || om > 59 || oh > 14 || (oh == 14 && om))
			return MBMS_ESYNTAX;
		offset = sign * (int64_t)(oh * 3600 + om * 60);
	} else {
		return MBMS_ESYNTAX; /* no zone, or garbage */
	}
	if (p != len)
		return MBMS_ESYNTAX;
	int64_t v = mbms_days_from_civil(y, mo, d) * 86400 + (int64_t)(h * 3600 + mi * 60 + se) -
		    offset;
	if (v < 0 || (uint64_t)v > MAX_XS_TIME)
		return MBMS_ESYNTAX;
	*t = (uint64_t)v;
	return 0;
}

/* ---- a strict reader for flat documents: one root, leaf children with
 * text, each child exactly once ---- */

#define NS_SEP ' '

struct flat_child {
	const char *name; /* with namespace: "uri SEP local" */
	char *text;
	size_t cap;
	size_t len;
	bool seen;
};

struct flat_doc {
	XML_Parser parser;
	const char *root;
	struct flat_child *children;
	size_t nchildren;
	struct flat_child *current;
	unsigned depth;
	bool root_seen;
	int err;
};

static void flat_fail(struct flat_doc *d, int err)
{
	if (!d->err)
		d->err = err;
	XML_StopParser(d->parser, XML_FALSE);
}

static void XMLCALL on_doctype(void *user, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	flat_fail(user, MBMS_ESYNTAX); /* no DTDs: entity expansion attacks */
}

static void XMLCALL on_pi(void *user, const XML_Char *target, const XML_Char *data)
{
	(void)target;
	(void)data;
	flat_fail(user, MBMS_ESYNTAX);
}

static void XMLCALL on_start(void *user, const XML_Char *name, const XML_Char **attrs)
{
	struct flat_doc *d = user;
	if (d->err)
		return;
	/* Namespace declarations are not reported as attributes; anything that
	 * is reported here is an attribute we do not know. */
	if (attrs && attrs[0]) {
		flat_fail(d, MBMS_ESYNTAX);
		return;
	}
	if (d->depth == 0) {
		if (d->root_seen || strcmp(name, d->root) != 0) {
			flat_fail(d, MBMS_ESYNTAX);
			return;
		}
		d->root_seen = true;
	} else if (d->depth == 1) {
		struct flat_child *c = NULL;
		for (size_t i = 0; i < d->nchildren; i++)
			if (strcmp(name, d->children[i].name) == 0)
				c = &d->children[i];
		if (!c || c->seen) {
			flat_fail(d, MBMS_ESYNTAX);
			return;
		}
		c->seen = true;
		d->current = c;
	} else {
		flat_fail(d, MBMS_ESYNTAX);
		return;
	}
	d->depth++;
}

static void XMLCALL on_end(void *user, const XML_Char *name)
{
	struct flat_doc *d = user;
	(void)name;
	if (d->err)
		return;
	d->depth--;
	d->current = NULL;
}

static bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static void XMLCALL on_text(void *user, const XML_Char *s, int len)
{
	struct flat_doc *d = user;
	if (d->err || len <= 0)
		return;
	if (!d->current) {
		/* between elements: only white space */
		for (int i = 0; i < len; i++)
			if (!is_xml_space(s[i])) {
				flat_fail(d, MBMS_ESYNTAX);
				return;
			}
		return;
	}
	struct flat_child *c = d->current;
	if ((size_t)len >= c->cap - c->len) {
		flat_fail(d, MBMS_ELENGTH);
		return;
	}
	memcpy(c->text + c->len, s, (size_t)len);
	c->len += (size_t)len;
	c->text[c->len] = '\0';
}

/* Trim XML white space in place (xs:whiteSpace collapse at the ends). */
static void trim(struct flat_child *c)
{
	size_t a = 0, b = c->len;
	while (a < b && is_xml_space(c->text[a]))
		a++;
	while (b > a && is_xml_space(c->text[b - 1]))
		b--;
	size_t old_len = c->len;
	memmove(c->text, c->text + a, b - a);
	c->len = b - a;
	/* clear what the move left behind: the buffer holds the text and zeros */
	memset(c->text + c->len, 0, old_len - c->len + 1);
}

static int flat_parse(const char *xml, size_t len, const char *root, struct flat_child *children,
		      size_t nchildren)
{
	if (!xml)
		return MBMS_EINVAL;
	if (len > MBMS_GBA_BODY_MAX)
		return MBMS_ELENGTH;
	for (size_t i = 0; i < nchildren; i++) {
		children[i].len = 0;
		children[i].seen = false;
		children[i].text[0] = '\0';
	}
	struct flat_doc d = {.root = root, .children = children, .nchildren = nchildren};
	d.parser = XML_ParserCreateNS(NULL, NS_SEP);
	if (!d.parser)
		return MBMS_ENOMEM;
	XML_SetUserData(d.parser, &d);
	XML_SetStartDoctypeDeclHandler(d.parser, on_doctype);
	XML_SetProcessingInstructionHandler(d.parser, on_pi);
	XML_SetElementHandler(d.parser, on_start, on_end);
	XML_SetCharacterDataHandler(d.parser, on_text);
	XML_SetParamEntityParsing(d.parser, XML_PARAM_ENTITY_PARSING_NEVER);
	enum XML_Status st = XML_Parse(d.parser, xml, (int)len, XML_TRUE);
	XML_ParserFree(d.parser);
	if (d.err)
		return d.err;
	if (st != XML_STATUS_OK || !d.root_seen)
		return MBMS_ESYNTAX;
	for (size_t i = 0; i < nchildren; i++) {
		if (!children[i].seen)
			return MBMS_ESYNTAX;
		trim(&children[i]);
		if (children[i].len == 0)
			return MBMS_ESYNTAX;
	}
	return 0;
}

/* Append text with the five XML escapes. */
struct out_buf {
	char *p;
	size_t cap, len;
	bool overflow;
};

static void put(struct out_buf *o, const char *s, size_t n)
{
	if (o->overflow || n >= o->cap - o->len) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_raw(struct out_buf *o, const char *s) { put(o, s, strlen(s)); }

static void puts_escaped(struct out_buf *o, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': puts_raw(o, "&amp;"); break;
		case '<': puts_raw(o, "&lt;"); break;
		case '>': puts_raw(o, "&gt;"); break;
		case '"': puts_raw(o, "&quot;"); break;
		case '\'': puts_raw(o, "&apos;"); break;
		default: put(o, s, 1);
		}
	}
}

static int finish(struct out_buf *o, size_t *out_len)
{
	if (o->overflow)
		return MBMS_ENOSPC;
	if (out_len)
		*out_len = o->len;
	return 0;
}

#define XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

/* TS 24.109 Annex C.3: the BSF's 200 body. */
int mbms_gba_bootstrap_info_format(const char *btid, uint64_t expires_at, char *out,
				   size_t out_cap, size_t *out_len)
{
	char when[MBMS_XS_DATETIME_LEN + 1];
	if (!btid || !*btid || !out || out_cap == 0)
		return MBMS_EINVAL;
	int rc = mbms_xs_datetime_format(expires_at, when);
	if (rc)
		return rc;
	struct out_buf o = {out, out_cap, 0, false};
	out[0] = '\0';
	puts_raw(&o, XML_DECL "<BootstrappingInfo xmlns=\"" MBMS_GBA_BSF_XML_NS "\"><btid>");
	puts_escaped(&o, btid);
	puts_raw(&o, "</btid><lifetime>");
	puts_raw(&o, when);
	puts_raw(&o, "</lifetime></BootstrappingInfo>");
	return finish(&o, out_len);
}

int mbms_gba_bootstrap_info_parse(const char *xml, size_t len, char btid[MBMS_GBA_BTID_MAX],
				  uint64_t *expires_at)
{
	char lifetime[64];
	struct flat_child ch[] = {
		{MBMS_GBA_BSF_XML_NS " btid", btid, MBMS_GBA_BTID_MAX, 0, false},
		{MBMS_GBA_BSF_XML_NS " lifetime", lifetime, sizeof(lifetime), 0, false},
	};
	if (!btid || !expires_at)
		return MBMS_EINVAL;
	int rc = flat_parse(xml, len, MBMS_GBA_BSF_XML_NS " BootstrappingInfo", ch, 2);
	if (rc == 0)
		rc = mbms_xs_datetime_parse(lifetime, ch[1].len, expires_at);
	if (rc)
		btid[0] = '\0';
	return rc == MBMS_ELENGTH ? MBMS_ESYNTAX : rc;
}

int mbms_zn_response_format(const struct mbms_zn_response *r, char *out, size_t out_cap,
			    size_t *out_len)
{
	char when[MBMS_XS_DATETIME_LEN + 1];
	char ks64[64];
	if (!r || !*r->btid || !*r->impi || !out || out_cap == 0)
		return MBMS_EINVAL;
	int rc = mbms_xs_datetime_format(r->expires_at, when);
	if (rc)
		return rc;
	rc = mbms_base64_encode(r->ks_naf, sizeof(r->ks_naf), ks64, sizeof(ks64));
	if (rc)
		return rc;
	struct out_buf o = {out, out_cap, 0, false};
	out[0] = '\0';
	puts_raw(&o, XML_DECL "<ZnResponse><btid>");
	puts_escaped(&o, r->btid);
	puts_raw(&o, "</btid><impi>");
	puts_escaped(&o, r->impi);
	puts_raw(&o, "</impi><ksNaf>");
	puts_raw(&o, ks64);
	puts_raw(&o, "</ksNaf><lifetime>");
	puts_raw(&o, when);
	puts_raw(&o, "</lifetime></ZnResponse>");
	mbms_wipe(ks64, sizeof(ks64));
	rc = finish(&o, out_len);
	if (rc)
		mbms_wipe(out, out_cap);
	return rc;
}

int mbms_zn_response_parse(const char *xml, size_t len, struct mbms_zn_response *r)
{
	char ks64[64], lifetime[64];
	if (!r)
		return MBMS_EINVAL;
	memset(r, 0, sizeof(*r));
	struct flat_child ch[] = {
		{"btid", r->btid, sizeof(r->btid), 0, false},
		{"impi", r->impi, sizeof(r->impi), 0, false},
		{"ksNaf", ks64, sizeof(ks64), 0, false},
		{"lifetime", lifetime, sizeof(lifetime), 0, false},
	};
	int rc = flat_parse(xml, len, "ZnResponse", ch, 4);
	size_t n = 0;
	if (rc == 0)
		rc = mbms_base64_decode(ks64, ch[2].len, r->ks_naf, sizeof(r->ks_naf), &n);
	if (rc == 0 && n != MBMS_KS_NAF_LEN)
		rc = MBMS_ESYNTAX;
	if (rc == 0)
		rc = mbms_xs_datetime_parse(lifetime, ch[3].len, &r->expires_at);
	mbms_wipe(ks64, sizeof(ks64));
	if (rc) {
		mbms_wipe(r, sizeof(*r));
		return rc == MBMS_ELENGTH || rc == MBMS_ENOSPC ? MBMS_ESYNTAX : rc;
	}
	return 0;
}

int mbms_naf_id_split(const uint8_t *naf_id, size_t len, char *fqdn, size_t fqdn_cap,
		      uint8_t ua_id[MBMS_UA_ID_LEN])
{
	if (!naf_id || !fqdn || !ua_id)
		return MBMS_EINVAL;
	if (len <= MBMS_UA_ID_LEN)
		return MBMS_ESYNTAX;
	size_t n = len - MBMS_UA_ID_LEN;
	if (memchr(naf_id, '\0', n))
		return MBMS_ESYNTAX;
	if (n >= fqdn_cap)
		return MBMS_ENOSPC;
	memcpy(fqdn, naf_id, n);
	fqdn[n] = '\0';
	memcpy(ua_id, naf_id + n, MBMS_UA_ID_LEN);
	return 0;
}
