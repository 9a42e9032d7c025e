/* libFuzzer target for what the UE takes from the BM-SC over HTTP: Digest
 * challenges (WWW-Authenticate), Authentication-Info and rspauth, the
 * register and MSK response bodies, status codes, Content-Types, transport
 * failures, with the state machine around them (lib/ue.c, lib/ue_km.c).
 * The UE starts in the known state of fuzz_ue_env.h with its registration
 * request outstanding.
 *
 * Input: records  flags(1) | status(2) | len(2) | payload, where the
 * payload is  Content-Type NUL WWW-Authenticate NUL Authentication-Info NUL
 * body  (missing parts are absent headers / an empty body). Each record
 * answers the oldest outstanding request (after ticking time forward when
 * none is outstanding).
 *   flags bit 0  sign: replace Authentication-Info with a correct rspauth
 *                over this body for the request's nonce, nc and cnonce
 *                (the BM-SC's MRK is known here), so bodies get parsed
 *         bit 1  no answer: mbms_ue_http_failed
 *         bits 4-6 seconds to advance (and tick) first
 * Invariants: no key in event texts, bounded actions per input, and the
 * key store text round trip (fuzz_ue_env.h). */
#include "fuzz_ue_env.h"

#include "mbmssec/digest.h"
#include "mbmssec/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXQ 16

static struct pending {
	uint32_t id;
	char authz[2048]; /* its Authorization value, "" when none */
	char uri[512];
} q[MAXQ];
static size_t nq;

static void on_http(const struct mbms_ue_action *a)
{
	if (nq == MAXQ)
		return;
	struct pending *p = &q[nq++];
	memset(p, 0, sizeof(*p));
	p->id = a->http.id;
	const char *path = strstr(a->http.url, "://");
	path = path ? strchr(path + 3, '/') : NULL;
	snprintf(p->uri, sizeof(p->uri), "%s", path ? path : "/");
	for (const char *const *h = a->http.headers; h && *h; h++)
		if (strncmp(*h, "Authorization: ", 15) == 0)
			snprintf(p->authz, sizeof(p->authz), "%s", *h + 15);
}

static void field(const struct mbms_str *s, char *out, size_t cap)
{
	if (mbms_digest_unquote(s, out, cap) != 0)
		out[0] = '\0';
}

/* Authentication-Info with a correct rspauth over body for request p. */
static bool sign(const struct pending *p, const uint8_t *body, size_t len, char *out, size_t cap)
{
	struct mbms_digest_fields f;
	if (!p->authz[0] || mbms_digest_parse(p->authz, strlen(p->authz), true, &f) != 0)
		return false;
	char nonce[256], nc[16], cnonce[128], qop[16], uri[512], ha1[33], rsp[33], pw[64];
	field(&f.nonce, nonce, sizeof(nonce));
	field(&f.nc, nc, sizeof(nc));
	field(&f.cnonce, cnonce, sizeof(cnonce));
	field(&f.qop, qop, sizeof(qop));
	field(&f.uri, uri, sizeof(uri));
	uint8_t mrk[32];
	size_t got = 0;
	FZ_CHECK(mbms_hex_decode(FZ_MUK, 64, mrk, sizeof(mrk), &got) == 0 && got == 32);
	FZ_CHECK(mbms_base64_encode(mrk, 32, pw, sizeof(pw)) == 0);
	FZ_CHECK(mbms_digest_ha1(FZ_BTID, MBMS_PROFILE_REALM_PREFIX FZ_FQDN, (const uint8_t *)pw,
				 strlen(pw), ha1) == 0);
	if (mbms_digest_rspauth(ha1, nonce, nc, cnonce, qop, uri, body, len, rsp) != 0)
		return false;
	return mbms_digest_format_auth_info(rsp, cnonce, nc, qop, out, cap) == 0;
}

/* The next NUL-terminated part of [*p, end), or NULL when none is left. */
static const char *part(const char **p, const char *end, char *out, size_t cap)
{
	if (*p >= end)
		return NULL;
	const char *z = memchr(*p, '\0', (size_t)(end - *p));
	if (!z)
		return NULL;
	size_t n = (size_t)(z - *p);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = z + 1;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char ct[1024], www[4096], ai[4096], signed_ai[1024];
	nq = 0;
	struct mbms_ue *ue = fz_ue_new(on_http);
	uint64_t now = FZ_T0;
	size_t off = 0;
	for (int rec = 0; off + 5 <= size && rec < 12; rec++) {
		uint8_t flags = data[off];
		long status = (long)(data[off + 1] << 8 | data[off + 2]) % 1000;
		size_t len = (size_t)data[off + 3] << 8 | data[off + 4];
		off += 5;
		if (len > size - off)
			len = size - off;
		const char *p = (const char *)data + off, *end = p + len;
		off += len;
		unsigned secs = (flags >> 4) & 7;
		for (int t = 0; t < 4 && (secs || nq == 0); t++) {
			now += secs ? secs * 1000u : 30000u;
			mbms_ue_tick(ue, now);
			fz_drain(ue, on_http);
			secs = 0;
		}
		if (nq == 0)
			break;
		struct pending cur = q[0];
		memmove(q, q + 1, (nq - 1) * sizeof(q[0]));
		nq--;
		if (flags & 2) {
			mbms_ue_http_failed(ue, cur.id, now);
			fz_drain(ue, on_http);
			continue;
		}
		struct mbms_ue_http_response r = {.status = status};
		r.content_type = part(&p, end, ct, sizeof(ct));
		r.www_authenticate = part(&p, end, www, sizeof(www));
		r.authentication_info = part(&p, end, ai, sizeof(ai));
		r.body = (const uint8_t *)(p < end ? p : NULL);
		r.body_len = p < end ? (size_t)(end - p) : 0;
		if ((flags & 1) && sign(&cur, r.body, r.body_len, signed_ai, sizeof(signed_ai)))
			r.authentication_info = signed_ai;
		FZ_CHECK(mbms_ue_http_response(ue, cur.id, &r, now) == 0);
		fz_drain(ue, on_http);
	}
	fz_state_round_trip(ue);
	mbms_ue_free(ue);
	return 0;
}
