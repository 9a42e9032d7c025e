/* HTTP Digest (RFC 2617) with qop=auth-int, and Digest AKA (RFC 3310):
 * header parsing and formatting, response / rspauth, stateless nonces, nc
 * replay tracking. No I/O; the time is an argument.
 */
#include "mbmssec/digest.h"
#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- character classes (RFC 7230 3.2.6) ---- */

/* tchar: "!#$%&'*+-.^_`|~", DIGIT, ALPHA */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* CTL: 0x00-0x1f and DEL. */
static bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

/* qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text */
static bool is_qdtext(unsigned char c)
{
	return c == '\t' || (!is_ctl(c) && c != '"' && c != '\\');
}

/* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
static bool is_qpair_char(unsigned char c) { return c == '\t' || !is_ctl(c); }

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

static unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool ascii_caseeq(const char *a, size_t a_len, const char *b, size_t b_len)
{
	if (a_len != b_len)
		return false;
	for (size_t i = 0; i < a_len; i++)
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* ---- cursor helpers: check the remaining length before every read ---- */

static void skip_ows(const char **p, size_t *rem)
{
	while (*rem > 0 && is_ows(**p)) {
		(*p)++;
		(*rem)--;
	}
}

/* token = 1*tchar */
static int take_token(const char **p, size_t *rem, struct mbms_str *tok)
{
	size_t n = 0;
	while (n < *rem && is_tchar((unsigned char)(*p)[n]))
		n++;
	if (n == 0)
		return MBMS_ESYNTAX;
	tok->p = *p;
	tok->len = n;
	tok->escaped = false;
	*p += n;
	*rem -= n;
	return 0;
}

/* quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE. tok gets the
 * text between the quotes, escapes still in place. */
static int take_quoted(const char **p, size_t *rem, struct mbms_str *tok)
{
	if (*rem == 0 || **p != '"')
		return MBMS_ESYNTAX;
	const char *s = *p + 1;
	size_t left = *rem - 1, n = 0;
	bool escaped = false;
	for (;;) {
		if (n >= left)
			return MBMS_ESYNTAX; /* unterminated */
		unsigned char c = (unsigned char)s[n];
		if (c == '"')
			break;
		if (c == '\\') {
			if (n + 1 >= left || !is_qpair_char((unsigned char)s[n + 1]))
				return MBMS_ESYNTAX;
			escaped = true;
			n += 2;
		} else if (is_qdtext(c)) {
			n++;
		} else {
			return MBMS_ESYNTAX;
		}
	}
	tok->p = s;
	tok->len = n;
	tok->escaped = escaped;
	*p = s + n + 1;
	*rem = left - n - 1;
	return 0;
}

/* ---- the parser (RFC 7235 2.1 auth-param list, RFC 2617 3.2) ---- */

static const struct {
	const char *name;
	size_t offset;
} known_params[] = {
	{"username", offsetof(struct mbms_digest_fields, username)},
	{"realm", offsetof(struct mbms_digest_fields, realm)},
	{"nonce", offsetof(struct mbms_digest_fields, nonce)},
	{"uri", offsetof(struct mbms_digest_fields, uri)},
	{"response", offsetof(struct mbms_digest_fields, response)},
	{"algorithm", offsetof(struct mbms_digest_fields, algorithm)},
	{"cnonce", offsetof(struct mbms_digest_fields, cnonce)},
	{"opaque", offsetof(struct mbms_digest_fields, opaque)},
	{"qop", offsetof(struct mbms_digest_fields, qop)},
	{"nc", offsetof(struct mbms_digest_fields, nc)},
	{"stale", offsetof(struct mbms_digest_fields, stale)},
	{"domain", offsetof(struct mbms_digest_fields, domain)},
	{"auts", offsetof(struct mbms_digest_fields, auts)},
	{"rspauth", offsetof(struct mbms_digest_fields, rspauth)},
	{"nextnonce", offsetof(struct mbms_digest_fields, nextnonce)},
};

static struct mbms_str *known_slot(struct mbms_digest_fields *f, const struct mbms_str *name)
{
	for (size_t i = 0; i < sizeof(known_params) / sizeof(known_params[0]); i++) {
		const char *k = known_params[i].name;
		if (ascii_caseeq(name->p, name->len, k, strlen(k)))
			return (struct mbms_str *)((char *)f + known_params[i].offset);
	}
	return NULL;
}

static int parse_list(const char *p, size_t rem, struct mbms_digest_fields *out)
{
	/* Every name seen, to refuse duplicates of unknown parameters too
	 * (RFC 7235 2.2: each parameter name only once). */
	struct mbms_str seen[MBMS_DIGEST_MAX_PARAMS];
	size_t nseen = 0;

	for (;;) {
		struct mbms_str name, value;
		int rc = take_token(&p, &rem, &name);
		if (rc)
			return rc; /* also an empty element: ",," or a leading comma */
		skip_ows(&p, &rem);
		if (rem == 0 || *p != '=')
			return MBMS_ESYNTAX;
		p++;
		rem--;
		skip_ows(&p, &rem);
		if (rem > 0 && *p == '"')
			rc = take_quoted(&p, &rem, &value);
		else
			rc = take_token(&p, &rem, &value);
		if (rc)
			return rc;

		for (size_t i = 0; i < nseen; i++)
			if (ascii_caseeq(seen[i].p, seen[i].len, name.p, name.len))
				return MBMS_ESYNTAX;
		if (nseen == MBMS_DIGEST_MAX_PARAMS)
			return MBMS_ESYNTAX;
		seen[nseen++] = name;

		struct mbms_str *slot = known_slot(out, &name);
		if (slot)
			*slot = value; /* unknown ones are ignored (RFC 2617 3.2.1) */

		skip_ows(&p, &rem);
		if (rem == 0)
			return 0;
		if (*p != ',')
			return MBMS_ESYNTAX;
		p++;
		rem--;
		skip_ows(&p, &rem);
		if (rem == 0)
			return MBMS_ESYNTAX; /* trailing comma */
	}
}

int mbms_digest_parse(const char *hdr, size_t len, bool with_scheme,
		      struct mbms_digest_fields *out)
{
	if (!out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	if (!hdr && len)
		return MBMS_EINVAL;
	if (len > MBMS_DIGEST_MAX_HEADER)
		return MBMS_ELENGTH;

	const char *p = hdr;
	size_t rem = len;
	skip_ows(&p, &rem);
	/* Trailing OWS belongs to the field, not to the last value. */
	while (rem > 0 && is_ows(p[rem - 1]))
		rem--;

	if (with_scheme) {
		/* credentials = auth-scheme 1*SP #auth-param (RFC 7235 2.1) */
		struct mbms_str scheme;
		if (take_token(&p, &rem, &scheme) ||
		    !ascii_caseeq(scheme.p, scheme.len, "Digest", 6))
			return MBMS_ESYNTAX;
		if (rem == 0 || *p != ' ')
			return MBMS_ESYNTAX;
		skip_ows(&p, &rem);
	}
	int rc = parse_list(p, rem, out);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

int mbms_digest_unquote(const struct mbms_str *s, char *out, size_t out_cap)
{
	if (!s || !out)
		return MBMS_EINVAL;
	if (out_cap == 0)
		return MBMS_ENOSPC;
	out[0] = '\0';
	if (!s->p)
		return MBMS_ENOTFOUND;
	size_t o = 0;
	for (size_t i = 0; i < s->len; i++) {
		char c = s->p[i];
		if (s->escaped && c == '\\') {
			if (++i == s->len)
				goto bad; /* a lone trailing backslash */
			c = s->p[i];
		}
		if (c == '\0')
			goto bad; /* would truncate the C string silently */
		if (o + 1 >= out_cap) {
			out[0] = '\0';
			return MBMS_ENOSPC;
		}
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
bad:
	out[0] = '\0';
	return MBMS_ESYNTAX;
}

/* Compare a field, escapes undone, with a C string. */
static bool str_match(const struct mbms_str *s, const char *c, bool fold)
{
	if (!s || !s->p || !c)
		return false;
	size_t j = 0;
	for (size_t i = 0; i < s->len; i++, j++) {
		unsigned char a = (unsigned char)s->p[i];
		if (s->escaped && a == '\\') {
			if (++i == s->len)
				return false;
			a = (unsigned char)s->p[i];
		}
		unsigned char b = (unsigned char)c[j];
		if (b == '\0')
			return false;
		if (fold ? ascii_lower(a) != ascii_lower(b) : a != b)
			return false;
	}
	return c[j] == '\0';
}

bool mbms_digest_str_eq(const struct mbms_str *s, const char *c) { return str_match(s, c, false); }

bool mbms_digest_str_caseeq(const struct mbms_str *s, const char *c)
{
	return str_match(s, c, true);
}

/* ---- computations (RFC 2617 3.2.2, 3.2.3; RFC 3310 3.2) ---- */

static struct mbms_buf cbuf(const char *s)
{
	return (struct mbms_buf){(const uint8_t *)s, strlen(s)};
}

static const struct mbms_buf colon = {(const uint8_t *)":", 1};

/* MD5 over parts as lower-case hex; the binary digest is wiped. */
static int md5_hex(const struct mbms_buf *parts, size_t nparts, char hex[MBMS_DIGEST_HEX_LEN + 1])
{
	uint8_t md[MBMS_MD5_LEN];
	int rc = mbms_md5_v(parts, nparts, md);
	if (rc == 0)
		rc = mbms_hex_encode(md, sizeof(md), hex, MBMS_DIGEST_HEX_LEN + 1);
	mbms_wipe(md, sizeof(md));
	return rc;
}

static bool is_hex32(const char *h)
{
	for (size_t i = 0; i < MBMS_DIGEST_HEX_LEN; i++) {
		char c = h[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return h[MBMS_DIGEST_HEX_LEN] == '\0';
}

int mbms_digest_ha1(const char *username, const char *realm, const uint8_t *password,
		    size_t password_len, char ha1[MBMS_DIGEST_HEX_LEN + 1])
{
	if (!username || !realm || !ha1 || (!password && password_len))
		return MBMS_EINVAL;
	/* The password (RES for AKAv1-MD5, base64(MRK) for the BM-SC) goes into
	 * the hash in place: no copy of it is made. */
	const struct mbms_buf parts[5] = {
		cbuf(username), colon, cbuf(realm), colon, {password, password_len},
	};
	return md5_hex(parts, 5, ha1);
}

int mbms_digest_ha2(const char *method, const char *uri, const char *qop, const uint8_t *body,
		    size_t body_len, char ha2[MBMS_DIGEST_HEX_LEN + 1])
{
	if (!method || !uri || !qop || !ha2 || (!body && body_len))
		return MBMS_EINVAL;
	if (strcmp(qop, "auth") == 0) {
		const struct mbms_buf parts[3] = {cbuf(method), colon, cbuf(uri)};
		return md5_hex(parts, 3, ha2);
	}
	if (strcmp(qop, "auth-int") != 0)
		return MBMS_EINVAL;
	/* H(entity-body) is the MD5 of the body bytes as sent. */
	char body_hex[MBMS_DIGEST_HEX_LEN + 1];
	const struct mbms_buf body_part = {body, body_len};
	int rc = md5_hex(&body_part, 1, body_hex);
	if (rc)
		return rc;
	const struct mbms_buf parts[5] = {cbuf(method), colon, cbuf(uri), colon, cbuf(body_hex)};
	return md5_hex(parts, 5, ha2);
}

/* KD(HA1, nonce ":" nc ":" cnonce ":" qop ":" HA2) */
static int request_digest(const char ha1[MBMS_DIGEST_HEX_LEN + 1], const char *nonce,
			  const char *nc, const char *cnonce, const char *qop, const char *method,
			  const char *uri, const uint8_t *body, size_t body_len,
			  char out[MBMS_DIGEST_HEX_LEN + 1])
{
	if (!ha1 || !nonce || !nc || !cnonce || !out || !is_hex32(ha1))
		return MBMS_EINVAL;
	char ha2[MBMS_DIGEST_HEX_LEN + 1];
	int rc = mbms_digest_ha2(method, uri, qop, body, body_len, ha2);
	if (rc)
		return rc;
	const struct mbms_buf parts[11] = {
		{(const uint8_t *)ha1, MBMS_DIGEST_HEX_LEN},
		colon, cbuf(nonce), colon, cbuf(nc), colon, cbuf(cnonce), colon, cbuf(qop), colon,
		{(const uint8_t *)ha2, MBMS_DIGEST_HEX_LEN},
	};
	return md5_hex(parts, 11, out);
}

int mbms_digest_response(const char ha1[MBMS_DIGEST_HEX_LEN + 1], const char *nonce,
			 const char *nc, const char *cnonce, const char *qop, const char *method,
			 const char *uri, const uint8_t *body, size_t body_len,
			 char response[MBMS_DIGEST_HEX_LEN + 1])
{
	return request_digest(ha1, nonce, nc, cnonce, qop, method, uri, body, body_len, response);
}

/* RFC 2617 3.2.3: A2 = ":" digest-uri-value [":" H(entity-body)] */
int mbms_digest_rspauth(const char ha1[MBMS_DIGEST_HEX_LEN + 1], const char *nonce,
			const char *nc, const char *cnonce, const char *qop, const char *uri,
			const uint8_t *rsp_body, size_t rsp_body_len,
			char rspauth[MBMS_DIGEST_HEX_LEN + 1])
{
	return request_digest(ha1, nonce, nc, cnonce, qop, "", uri, rsp_body, rsp_body_len,
			      rspauth);
}

int mbms_digest_check_response(const struct mbms_str *got,
			       const char want[MBMS_DIGEST_HEX_LEN + 1])
{
	if (!got || !want)
		return MBMS_EINVAL;
	/* The length and the escaping are not secret; the digest bytes are. */
	if (!got->p || got->escaped || got->len != MBMS_DIGEST_HEX_LEN)
		return MBMS_EAUTH;
	return mbms_ct_equal(got->p, want, MBMS_DIGEST_HEX_LEN) ? 0 : MBMS_EAUTH;
}

/* ---- formatting ---- */

struct wbuf {
	char *out;
	size_t cap;
	size_t len;
	int err;
};

/* Keeps room for the NUL; the first ENOSPC sticks, EINVAL overrides it. */
static void put_raw(struct wbuf *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (n >= w->cap - w->len) {
		w->err = MBMS_ENOSPC;
		return;
	}
	memcpy(w->out + w->len, s, n);
	w->len += n;
}

static void put_sep(struct wbuf *w, bool *first)
{
	if (!*first)
		put_raw(w, ", ", 2);
	*first = false;
}

/* name="value", with '"' and '\' escaped; control characters refused. */
static void put_quoted(struct wbuf *w, bool *first, const char *name, const char *value)
{
	for (const char *c = value; *c; c++)
		if (is_ctl((unsigned char)*c)) {
			w->err = MBMS_EINVAL;
			return;
		}
	put_sep(w, first);
	put_raw(w, name, strlen(name));
	put_raw(w, "=\"", 2);
	for (const char *c = value; *c; c++) {
		if (*c == '"' || *c == '\\')
			put_raw(w, "\\", 1);
		put_raw(w, c, 1);
	}
	put_raw(w, "\"", 1);
}

/* name=token; a value that is not a token is refused. */
static void put_token(struct wbuf *w, bool *first, const char *name, const char *value)
{
	if (!value[0]) {
		w->err = MBMS_EINVAL;
		return;
	}
	for (const char *c = value; *c; c++)
		if (!is_tchar((unsigned char)*c)) {
			w->err = MBMS_EINVAL;
			return;
		}
	put_sep(w, first);
	put_raw(w, name, strlen(name));
	put_raw(w, "=", 1);
	put_raw(w, value, strlen(value));
}

static int finish(struct wbuf *w)
{
	if (w->err) {
		w->out[0] = '\0';
		return w->err;
	}
	w->out[w->len] = '\0';
	return 0;
}

static bool present(const char *s) { return s && s[0]; }

/* nc-value = 8LHEX (RFC 2617 3.2.2) */
static bool is_nc(const char *s, size_t n)
{
	if (n != 8)
		return false;
	for (size_t i = 0; i < 8; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

int mbms_digest_format_challenge(const char *realm, const char *nonce, const char *algorithm,
				 const char *qop, bool stale, const char *opaque, char *out,
				 size_t out_cap)
{
	if (!out || out_cap == 0)
		return out ? MBMS_ENOSPC : MBMS_EINVAL;
	struct wbuf w = {out, out_cap, 0, 0};
	if (!realm || !nonce) {
		out[0] = '\0';
		return MBMS_EINVAL;
	}
	bool first = true;
	put_raw(&w, "Digest ", 7);
	put_quoted(&w, &first, "realm", realm);
	put_quoted(&w, &first, "nonce", nonce);
	if (present(algorithm))
		put_token(&w, &first, "algorithm", algorithm);
	if (present(qop))
		put_quoted(&w, &first, "qop", qop);
	if (stale)
		put_token(&w, &first, "stale", "true");
	if (opaque)
		put_quoted(&w, &first, "opaque", opaque);
	return finish(&w);
}

int mbms_digest_format_authorization(const struct mbms_digest_creds *c, char *out,
				     size_t out_cap)
{
	if (!out || out_cap == 0)
		return out ? MBMS_ENOSPC : MBMS_EINVAL;
	struct wbuf w = {out, out_cap, 0, 0};
	if (!c || !c->username || !c->realm || !c->nonce || !c->uri || !c->response ||
	    (present(c->qop) && (!c->nc || !is_nc(c->nc, strlen(c->nc)) || !c->cnonce))) {
		out[0] = '\0';
		return MBMS_EINVAL;
	}
	bool first = true;
	put_raw(&w, "Digest ", 7);
	put_quoted(&w, &first, "username", c->username);
	put_quoted(&w, &first, "realm", c->realm);
	put_quoted(&w, &first, "nonce", c->nonce);
	put_quoted(&w, &first, "uri", c->uri);
	put_quoted(&w, &first, "response", c->response);
	if (present(c->algorithm))
		put_token(&w, &first, "algorithm", c->algorithm);
	if (present(c->qop)) {
		put_token(&w, &first, "qop", c->qop);
		put_token(&w, &first, "nc", c->nc);
		put_quoted(&w, &first, "cnonce", c->cnonce);
	}
	if (c->opaque)
		put_quoted(&w, &first, "opaque", c->opaque);
	if (c->auts)
		put_quoted(&w, &first, "auts", c->auts);
	return finish(&w);
}

int mbms_digest_format_auth_info(const char *rspauth, const char *cnonce, const char *nc,
				 const char *qop, char *out, size_t out_cap)
{
	if (!out || out_cap == 0)
		return out ? MBMS_ENOSPC : MBMS_EINVAL;
	struct wbuf w = {out, out_cap, 0, 0};
	if (!rspauth || (present(nc) && !is_nc(nc, strlen(nc)))) {
		out[0] = '\0';
		return MBMS_EINVAL;
	}
	bool first = true;
	put_quoted(&w, &first, "rspauth", rspauth);
	if (cnonce)
		put_quoted(&w, &first, "cnonce", cnonce);
	if (present(nc))
		put_token(&w, &first, "nc", nc);
	if (present(qop))
		put_token(&w, &first, "qop", qop);
	return finish(&w);
}

/* ---- stateless nonces ---- */

#define NONCE_TIME_LEN 8
#define NONCE_RAND_LEN 8
#define NONCE_MAC_LEN 16
#define NONCE_RAW_LEN (NONCE_TIME_LEN + NONCE_RAND_LEN + NONCE_MAC_LEN)

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* HMAC-SHA-256(secret, issued_at || random || realm), first 16 bytes. */
static int nonce_mac(const uint8_t secret[MBMS_DIGEST_NONCE_SECRET_LEN], const char *realm,
		     const uint8_t head[NONCE_TIME_LEN + NONCE_RAND_LEN],
		     uint8_t mac[NONCE_MAC_LEN])
{
	uint8_t full[MBMS_SHA256_LEN];
	const struct mbms_buf parts[2] = {{head, NONCE_TIME_LEN + NONCE_RAND_LEN}, cbuf(realm)};
	int rc = mbms_hmac_sha256_v(secret, MBMS_DIGEST_NONCE_SECRET_LEN, parts, 2, full);
	if (rc == 0)
		memcpy(mac, full, NONCE_MAC_LEN);
	mbms_wipe(full, sizeof(full));
	return rc;
}

int mbms_digest_nonce_make(const uint8_t secret[MBMS_DIGEST_NONCE_SECRET_LEN], const char *realm,
			   uint64_t now, char out[MBMS_DIGEST_NONCE_LEN + 1])
{
	if (!secret || !realm || !out)
		return MBMS_EINVAL;
	uint8_t raw[NONCE_RAW_LEN];
	put_be64(raw, now);
	int rc = mbms_random(raw + NONCE_TIME_LEN, NONCE_RAND_LEN);
	if (rc == 0)
		rc = nonce_mac(secret, realm, raw, raw + NONCE_TIME_LEN + NONCE_RAND_LEN);
	if (rc == 0)
		rc = mbms_base64_encode(raw, sizeof(raw), out, MBMS_DIGEST_NONCE_LEN + 1);
	mbms_wipe(raw, sizeof(raw));
	return rc;
}

int mbms_digest_nonce_check(const uint8_t secret[MBMS_DIGEST_NONCE_SECRET_LEN], const char *realm,
			    const char *nonce, size_t nonce_len, uint64_t now, uint64_t lifetime,
			    uint64_t *issued_at)
{
	if (!secret || !realm || (!nonce && nonce_len))
		return MBMS_EINVAL;
	if (nonce_len != MBMS_DIGEST_NONCE_LEN)
		return MBMS_EAUTH;
	uint8_t raw[NONCE_RAW_LEN + 3], mac[NONCE_MAC_LEN];
	size_t raw_len = 0;
	if (mbms_base64_decode(nonce, nonce_len, raw, sizeof(raw), &raw_len) != 0 ||
	    raw_len != NONCE_RAW_LEN)
		return MBMS_EAUTH;
	int rc = nonce_mac(secret, realm, raw, mac);
	if (rc)
		return rc;
	bool ours = mbms_ct_equal(mac, raw + NONCE_TIME_LEN + NONCE_RAND_LEN, NONCE_MAC_LEN);
	mbms_wipe(mac, sizeof(mac));
	if (!ours)
		return MBMS_EAUTH;
	uint64_t t = get_be64(raw);
	if (issued_at)
		*issued_at = t;
	if (t > now || now - t > lifetime)
		return MBMS_EEXPIRED;
	return 0;
}

/* ---- nc replay tracking ---- */

int mbms_nc_table_init(struct mbms_nc_table *t, size_t cap)
{
	if (!t)
		return MBMS_EINVAL;
	memset(t, 0, sizeof(*t));
	if (cap == 0)
		return MBMS_EINVAL;
	t->entries = calloc(cap, sizeof(*t->entries));
	if (!t->entries)
		return MBMS_ENOMEM;
	t->cap = cap;
	return 0;
}

void mbms_nc_table_free(struct mbms_nc_table *t)
{
	if (!t)
		return;
	free(t->entries);
	memset(t, 0, sizeof(*t));
}

static int nc_value(const char *nc, size_t nc_len, uint32_t *v)
{
	if (!nc || !is_nc(nc, nc_len))
		return MBMS_ESYNTAX;
	uint32_t x = 0;
	for (size_t i = 0; i < 8; i++) {
		char c = nc[i];
		uint32_t d = (c >= '0' && c <= '9')   ? (uint32_t)(c - '0')
			     : (c >= 'a' && c <= 'f') ? (uint32_t)(c - 'a' + 10)
						      : (uint32_t)(c - 'A' + 10);
		x = x << 4 | d;
	}
	*v = x;
	return 0;
}

int mbms_nc_table_use(struct mbms_nc_table *t, const char *nonce, size_t nonce_len,
		      uint64_t issued_at, const char *nc, size_t nc_len)
{
	if (!t || !t->entries || t->cap == 0 || !nonce)
		return MBMS_EINVAL;
	uint32_t v;
	int rc = nc_value(nc, nc_len, &v);
	if (rc)
		return rc;
	if (nonce_len == 0 || nonce_len > MBMS_DIGEST_NONCE_LEN || memchr(nonce, '\0', nonce_len))
		return MBMS_EINVAL;

	for (size_t i = 0; i < t->count; i++) {
		struct mbms_nc_entry *e = &t->entries[i];
		if (strlen(e->nonce) == nonce_len && memcmp(e->nonce, nonce, nonce_len) == 0) {
			if (v <= e->nc)
				return MBMS_EREPLAY;
			e->nc = v;
			return 0;
		}
	}
	/* Not in the table: it may have been evicted, and then its nc history
	 * is gone. Every evicted nonce was issued before floor. */
	if (issued_at < t->floor || v == 0)
		return MBMS_EREPLAY;

	size_t slot = t->count;
	if (t->count == t->cap) {
		slot = 0;
		for (size_t i = 1; i < t->count; i++)
			if (t->entries[i].issued_at < t->entries[slot].issued_at)
				slot = i;
		uint64_t evicted = t->entries[slot].issued_at;
		if (evicted == UINT64_MAX)
			return MBMS_EREPLAY; /* floor cannot move past it */
		if (evicted + 1 > t->floor)
			t->floor = evicted + 1;
	} else {
		t->count++;
	}
	struct mbms_nc_entry *e = &t->entries[slot];
	memset(e->nonce, 0, sizeof(e->nonce));
	memcpy(e->nonce, nonce, nonce_len);
	e->nc = v;
	e->issued_at = issued_at;
	return 0;
}
