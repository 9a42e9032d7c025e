/* libFuzzer target for the HTTP Digest header codec (lib/digest.c).
 *
 * The input is parsed as a credential/challenge (with scheme) and as a bare
 * Authentication-Info list. Every present field is unquoted; where a parse
 * succeeds, the fields go through the matching formatter and the result must
 * parse again to the same values. The input is also offered as a nonce.
 */
#include "mbmssec/digest.h"
#include "mbmssec/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP (MBMS_DIGEST_MAX_HEADER + 1)

struct values {
	char username[CAP], realm[CAP], nonce[CAP], uri[CAP], response[CAP], algorithm[CAP],
		cnonce[CAP], opaque[CAP], qop[CAP], nc[CAP], stale[CAP], domain[CAP], auts[CAP],
		rspauth[CAP], nextnonce[CAP];
	bool has_opaque, has_auts, has_cnonce;
};

static struct values g_v; /* static: 15 x 8 KiB is too much for the stack */

static void die(const char *what)
{
	fprintf(stderr, "fuzz_digest: %s\n", what);
	abort();
}

/* Unquote into buf; "" when absent. A field from the parser always
 * unquotes when it fits. */
static bool get(const struct mbms_str *s, char *buf)
{
	int rc = mbms_digest_unquote(s, buf, CAP);
	if (rc == MBMS_ENOTFOUND) {
		if (buf[0] != '\0')
			die("absent field not emptied");
		return false;
	}
	if (rc != 0)
		die("unquote of a parsed field failed");
	if (!mbms_digest_str_eq(s, buf))
		die("str_eq disagrees with unquote");
	if (!mbms_digest_str_caseeq(s, buf))
		die("str_caseeq disagrees with unquote");
	if (s->len < strlen(buf))
		die("unquoted value longer than its source");
	return true;
}

static void get_all(const struct mbms_digest_fields *f, struct values *v)
{
	get(&f->username, v->username);
	get(&f->realm, v->realm);
	get(&f->nonce, v->nonce);
	get(&f->uri, v->uri);
	get(&f->response, v->response);
	get(&f->algorithm, v->algorithm);
	v->has_cnonce = get(&f->cnonce, v->cnonce);
	v->has_opaque = get(&f->opaque, v->opaque);
	get(&f->qop, v->qop);
	get(&f->nc, v->nc);
	get(&f->stale, v->stale);
	get(&f->domain, v->domain);
	v->has_auts = get(&f->auts, v->auts);
	get(&f->rspauth, v->rspauth);
	get(&f->nextnonce, v->nextnonce);
}

static void same(const struct mbms_str *s, const char *want, const char *what)
{
	if (!mbms_digest_str_eq(s, want)) {
		fprintf(stderr, "round trip changed %s (want \"%s\")\n", what, want);
		abort();
	}
}

static char g_out[4 * CAP * 15];

static void round_trip_authorization(const struct mbms_digest_fields *f, const struct values *v)
{
	if (!f->username.p || !f->realm.p || !f->nonce.p || !f->uri.p || !f->response.p)
		return;
	const struct mbms_digest_creds c = {
		.username = v->username,
		.realm = v->realm,
		.nonce = v->nonce,
		.uri = v->uri,
		.response = v->response,
		.algorithm = v->algorithm,
		.qop = v->qop,
		.nc = v->nc,
		.cnonce = v->cnonce,
		.opaque = v->has_opaque ? v->opaque : NULL,
		.auts = v->has_auts ? v->auts : NULL,
	};
	int rc = mbms_digest_format_authorization(&c, g_out, sizeof(g_out));
	if (rc == MBMS_EINVAL)
		return; /* not representable (control characters, non-token, bad nc) */
	if (rc != 0)
		die("format_authorization failed");
	struct mbms_digest_fields g;
	rc = mbms_digest_parse(g_out, strlen(g_out), true, &g);
	if (rc == MBMS_ELENGTH)
		return; /* escaping made it longer than 8 KiB */
	if (rc != 0)
		die("formatted Authorization does not parse");
	same(&g.username, v->username, "username");
	same(&g.realm, v->realm, "realm");
	same(&g.nonce, v->nonce, "nonce");
	same(&g.uri, v->uri, "uri");
	same(&g.response, v->response, "response");
	if (v->algorithm[0])
		same(&g.algorithm, v->algorithm, "algorithm");
	if (v->qop[0]) {
		same(&g.qop, v->qop, "qop");
		same(&g.nc, v->nc, "nc");
		same(&g.cnonce, v->cnonce, "cnonce");
	}
	if (v->has_opaque)
		same(&g.opaque, v->opaque, "opaque");
	if (v->has_auts)
		same(&g.auts, v->auts, "auts");
}

static void round_trip_challenge(const struct mbms_digest_fields *f, const struct values *v)
{
	if (!f->realm.p || !f->nonce.p)
		return;
	bool stale = mbms_digest_str_caseeq(&f->stale, "true");
	int rc = mbms_digest_format_challenge(v->realm, v->nonce, v->algorithm, v->qop, stale,
					      v->has_opaque ? v->opaque : NULL, g_out,
					      sizeof(g_out));
	if (rc == MBMS_EINVAL)
		return;
	if (rc != 0)
		die("format_challenge failed");
	struct mbms_digest_fields g;
	rc = mbms_digest_parse(g_out, strlen(g_out), true, &g);
	if (rc == MBMS_ELENGTH)
		return;
	if (rc != 0)
		die("formatted challenge does not parse");
	same(&g.realm, v->realm, "realm");
	same(&g.nonce, v->nonce, "nonce");
	if (v->algorithm[0])
		same(&g.algorithm, v->algorithm, "algorithm");
	if (v->qop[0])
		same(&g.qop, v->qop, "qop");
	if (stale != (g.stale.p != NULL))
		die("round trip changed stale");
	if (v->has_opaque)
		same(&g.opaque, v->opaque, "opaque");
}

static void round_trip_auth_info(const struct mbms_digest_fields *f, const struct values *v)
{
	if (!f->rspauth.p)
		return;
	int rc = mbms_digest_format_auth_info(v->rspauth, v->has_cnonce ? v->cnonce : NULL, v->nc,
					      v->qop, g_out, sizeof(g_out));
	if (rc == MBMS_EINVAL)
		return;
	if (rc != 0)
		die("format_auth_info failed");
	struct mbms_digest_fields g;
	rc = mbms_digest_parse(g_out, strlen(g_out), false, &g);
	if (rc == MBMS_ELENGTH)
		return;
	if (rc != 0)
		die("formatted Authentication-Info does not parse");
	same(&g.rspauth, v->rspauth, "rspauth");
	if (v->has_cnonce)
		same(&g.cnonce, v->cnonce, "cnonce");
	if (v->nc[0])
		same(&g.nc, v->nc, "nc");
	if (v->qop[0])
		same(&g.qop, v->qop, "qop");
}

static const uint8_t fuzz_secret[MBMS_DIGEST_NONCE_SECRET_LEN] = {
	0x66, 0x75, 0x7a, 0x7a, 0x20, 0x64, 0x69, 0x67, 0x65, 0x73, 0x74, 0x20, 0x6e, 0x6f, 0x6e, 0x63,
	0x65, 0x20, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy so ASan sees any read past len. */
	char *hdr = malloc(size ? size : 1);
	if (!hdr)
		return 0;
	if (size)
		memcpy(hdr, data, size);

	struct mbms_digest_fields f;
	for (int with_scheme = 0; with_scheme <= 1; with_scheme++) {
		int rc = mbms_digest_parse(hdr, size, with_scheme, &f);
		if (rc != 0) {
			if (rc != MBMS_ESYNTAX && rc != MBMS_ELENGTH)
				die("unexpected parse error");
			if (f.realm.p || f.nonce.p || f.username.p)
				die("fields left after a failed parse");
			continue;
		}
		if (size > MBMS_DIGEST_MAX_HEADER)
			die("over-long header accepted");
		memset(&g_v, 0, sizeof(g_v));
		get_all(&f, &g_v);
		if (with_scheme) {
			round_trip_authorization(&f, &g_v);
			round_trip_challenge(&f, &g_v);
		} else {
			round_trip_auth_info(&f, &g_v);
		}
		/* A received response against an expected one. */
		static const char want[MBMS_DIGEST_HEX_LEN + 1] = "6629fae49393a05397450978507c4ef1";
		rc = mbms_digest_check_response(&f.response, want);
		if ((rc == 0) != (mbms_digest_str_eq(&f.response, want) && !f.response.escaped))
			die("check_response disagrees with str_eq");
		/* The parsed nonce and nc, as a server would use them. */
		uint64_t issued = 0;
		(void)mbms_digest_nonce_check(fuzz_secret, "fuzz", f.nonce.p, f.nonce.len, 1000,
					      300, &issued);
		if (f.nonce.p && f.nc.p) {
			struct mbms_nc_table t;
			if (mbms_nc_table_init(&t, 1) != 0)
				die("nc table init");
			rc = mbms_nc_table_use(&t, f.nonce.p, f.nonce.len, size, f.nc.p, f.nc.len);
			if (rc == 0 && mbms_nc_table_use(&t, f.nonce.p, f.nonce.len, size, f.nc.p,
							 f.nc.len) != MBMS_EREPLAY)
				die("the same nc twice was not a replay");
			mbms_nc_table_free(&t);
		}
	}

	/* The whole input as a nonce: never ours (2^-128), never a crash. */
	uint64_t issued = 0;
	int rc = mbms_digest_nonce_check(fuzz_secret, "fuzz", hdr, size, 1000, 300, &issued);
	if (rc != MBMS_EAUTH)
		die("forged nonce accepted"); /* EEXPIRED too would mean the MAC matched */

	free(hdr);
	return 0;
}
