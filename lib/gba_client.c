/* The UE side of Ub (GBA_ME): HTTP Digest AKA, RFC 3310, as TS 24.109 5.2.1
 * and PROFILE.md 10.15 / 10.16 use it. No I/O: header values in,
 * Authorization values out. */
#include "mbmssec/gba.h"
#include "mbmssec/crypto.h"
#include "mbmssec/digest.h"
#include "mbmssec/error.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define GBA_NC "00000001" /* every challenge nonce is answered once */
#define GBA_MAX_CHALLENGES 3 /* first + resync + one spare */

static int copy_str(char *dst, size_t cap, const char *src)
{
	if (!src || !*src)
		return MBMS_EINVAL;
	size_t n = strlen(src);
	if (n >= cap)
		return MBMS_EINVAL;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Drop the secrets of one run, keep K, OPc and the SQN state. */
static void wipe_run(struct mbms_gba_client *c)
{
	mbms_wipe(c->ck, sizeof(c->ck));
	mbms_wipe(c->ik, sizeof(c->ik));
	mbms_wipe(c->ha1, sizeof(c->ha1));
	mbms_wipe(c->ks, sizeof(c->ks));
	memset(c->rand, 0, sizeof(c->rand));
	c->nonce[0] = c->opaque[0] = c->cnonce[0] = c->btid[0] = '\0';
	c->expires_at = 0;
	c->rspauth_checked = false;
}

int mbms_gba_client_init(struct mbms_gba_client *c, const char *impi,
			 const uint8_t k[MBMS_MILENAGE_K_LEN],
			 const uint8_t opc[MBMS_MILENAGE_OP_LEN], const char *bsf_host,
			 const struct mbms_sqn_ms *sqn_ms)
{
	if (!c || !k || !opc)
		return MBMS_EINVAL;
	memset(c, 0, sizeof(*c));
	if (copy_str(c->impi, sizeof(c->impi), impi) ||
	    copy_str(c->bsf_host, sizeof(c->bsf_host), bsf_host) ||
	    strchr(impi, '"') || strchr(impi, '\\') || strchr(bsf_host, '"') ||
	    strchr(bsf_host, '\\'))
		return MBMS_EINVAL;
	memcpy(c->k, k, sizeof(c->k));
	memcpy(c->opc, opc, sizeof(c->opc));
	if (sqn_ms)
		c->sqn_ms = *sqn_ms;
	return 0;
}

void mbms_gba_client_wipe(struct mbms_gba_client *c)
{
	if (c)
		mbms_wipe(c, sizeof(*c));
}

/* PROFILE.md 10.15: username, realm, empty nonce, uri "/", empty response. */
int mbms_gba_client_first_request(struct mbms_gba_client *c, char *authz, size_t authz_cap)
{
	if (!c || !authz || !c->impi[0])
		return MBMS_EINVAL;
	wipe_run(c);
	c->challenges = 0;
	const struct mbms_digest_creds cr = {
		.username = c->impi,
		.realm = c->bsf_host,
		.nonce = "",
		.uri = MBMS_GBA_UB_URI,
		.response = "",
		.qop = "",
	};
	int rc = mbms_digest_format_authorization(&cr, authz, authz_cap);
	if (rc)
		return rc;
	c->state = MBMS_GBA_CLIENT_WAIT_CHALLENGE;
	return 0;
}

/* A token list field ("auth,auth-int") contains tok, case-insensitively. */
static bool list_has(const char *list, const char *tok)
{
	size_t tn = strlen(tok);
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		if ((size_t)(e - p) == tn && strncasecmp(p, tok, tn) == 0)
			return true;
		p = e;
	}
	return false;
}

static bool safe_token(const char *s)
{
	return *s && !strchr(s, '"') && !strchr(s, '\\');
}

/* The answer: digest over password (RES, or empty), qop=auth-int over the
 * empty GET body (RFC 3310 3.2, PROFILE.md 10.16). */
static int build_answer(struct mbms_gba_client *c, const uint8_t *password, size_t password_len,
			const char *auts_b64, char *authz, size_t authz_cap, char ha1[33])
{
	char response[MBMS_DIGEST_HEX_LEN + 1];
	int rc = mbms_digest_ha1(c->impi, c->realm, password, password_len, ha1);
	if (rc == 0)
		rc = mbms_digest_response(ha1, c->nonce, GBA_NC, c->cnonce, MBMS_GBA_QOP,
					  MBMS_GBA_UB_METHOD, MBMS_GBA_UB_URI, NULL, 0, response);
	if (rc)
		return rc;
	const struct mbms_digest_creds cr = {
		.username = c->impi,
		.realm = c->realm,
		.nonce = c->nonce,
		.uri = MBMS_GBA_UB_URI,
		.response = response,
		.algorithm = MBMS_GBA_ALGORITHM,
		.qop = MBMS_GBA_QOP,
		.nc = GBA_NC,
		.cnonce = c->cnonce,
		.opaque = c->opaque[0] ? c->opaque : NULL,
		.auts = auts_b64,
	};
	return mbms_digest_format_authorization(&cr, authz, authz_cap);
}

/* Read the challenge's realm, nonce (-> RAND, AUTN) and opaque. */
static int take_challenge(struct mbms_gba_client *c, const char *www_auth, size_t len,
			  uint8_t autn[MBMS_AUTN_LEN])
{
	struct mbms_digest_fields f;
	char alg[32], qop[64];
	uint8_t raw[MBMS_GBA_RAND_LEN + MBMS_AUTN_LEN + 2];
	size_t raw_len = 0;
	if (mbms_digest_parse(www_auth, len, true, &f) != 0)
		return MBMS_ESYNTAX;
	if (mbms_digest_unquote(&f.algorithm, alg, sizeof(alg)) ||
	    strcasecmp(alg, MBMS_GBA_ALGORITHM) != 0)
		return MBMS_ESYNTAX;
	if (mbms_digest_unquote(&f.qop, qop, sizeof(qop)) || !list_has(qop, MBMS_GBA_QOP))
		return MBMS_ESYNTAX;
	if (mbms_digest_unquote(&f.realm, c->realm, sizeof(c->realm)) || !safe_token(c->realm))
		return MBMS_ESYNTAX;
	if (mbms_digest_unquote(&f.nonce, c->nonce, sizeof(c->nonce)) ||
	    mbms_base64_decode(c->nonce, strlen(c->nonce), raw, sizeof(raw), &raw_len) ||
	    raw_len != MBMS_GBA_RAND_LEN + MBMS_AUTN_LEN)
		return MBMS_ESYNTAX;
	c->opaque[0] = '\0';
	if (f.opaque.p && (mbms_digest_unquote(&f.opaque, c->opaque, sizeof(c->opaque)) ||
			   strchr(c->opaque, '"') || strchr(c->opaque, '\\')))
		return MBMS_ESYNTAX;
	memcpy(c->rand, raw, MBMS_GBA_RAND_LEN);
	memcpy(autn, raw + MBMS_GBA_RAND_LEN, MBMS_AUTN_LEN);
	return 0;
}

/* RFC 3310 3.3 - 3.5 on the UE: check AUTN (MAC-A, then SQN freshness,
 * TS 33.102 6.3.3 and Annex C.3.2) and answer. */
int mbms_gba_client_challenge(struct mbms_gba_client *c, const char *www_auth, size_t len,
			      const char *cnonce, char *authz, size_t authz_cap,
			      enum mbms_gba_answer *answer)
{
	if (!c || !www_auth || !cnonce || !authz || !answer)
		return MBMS_EINVAL;
	if (c->state != MBMS_GBA_CLIENT_WAIT_CHALLENGE && c->state != MBMS_GBA_CLIENT_WAIT_RESULT)
		return MBMS_ESTATE;
	if (!safe_token(cnonce) || strlen(cnonce) >= sizeof(c->cnonce))
		return MBMS_EINVAL;
	if (++c->challenges > GBA_MAX_CHALLENGES) {
		wipe_run(c);
		c->state = MBMS_GBA_CLIENT_FAILED;
		return MBMS_ESYNC;
	}
	wipe_run(c);
	uint8_t autn[MBMS_AUTN_LEN], sqn[MBMS_MILENAGE_SQN_LEN], res[MBMS_MILENAGE_RES_LEN];
	int rc = take_challenge(c, www_auth, len, autn);
	if (rc)
		return rc;
	memcpy(c->cnonce, cnonce, strlen(cnonce) + 1);

	rc = mbms_aka_check_autn(c->k, c->opc, c->rand, autn, sqn, res, c->ck, c->ik);
	if (rc == MBMS_EAUTH) {
		/* MAC-A failure: the network is not who it says; answer with the
		 * digest over an empty password and stop. */
		char ha1[33];
		rc = build_answer(c, NULL, 0, NULL, authz, authz_cap, ha1);
		mbms_wipe(ha1, sizeof(ha1));
		wipe_run(c);
		c->state = MBMS_GBA_CLIENT_FAILED;
		*answer = MBMS_GBA_ANSWER_MAC_FAILURE;
		return rc;
	}
	if (rc)
		goto out;
	uint64_t sqn_v = mbms_sqn_from_bytes(sqn);
	if (!mbms_sqn_check(&c->sqn_ms, sqn_v)) {
		/* SQN failure: AUTS over our highest accepted SQN, empty password. */
		uint8_t sqn_ms[MBMS_MILENAGE_SQN_LEN], auts[MBMS_AUTS_LEN];
		char auts_b64[32], ha1[33];
		mbms_sqn_to_bytes(mbms_sqn_ms_highest(&c->sqn_ms), sqn_ms);
		rc = mbms_aka_make_auts(c->k, c->opc, c->rand, sqn_ms, auts);
		if (rc == 0)
			rc = mbms_base64_encode(auts, sizeof(auts), auts_b64, sizeof(auts_b64));
		if (rc == 0)
			rc = build_answer(c, NULL, 0, auts_b64, authz, authz_cap, ha1);
		mbms_wipe(ha1, sizeof(ha1));
		wipe_run(c);
		if (rc == 0) {
			c->state = MBMS_GBA_CLIENT_WAIT_CHALLENGE;
			*answer = MBMS_GBA_ANSWER_SYNC_FAILURE;
		}
		goto out;
	}
	mbms_sqn_accept(&c->sqn_ms, sqn_v);
	rc = build_answer(c, res, sizeof(res), NULL, authz, authz_cap, c->ha1);
	if (rc == 0) {
		c->state = MBMS_GBA_CLIENT_WAIT_RESULT;
		*answer = MBMS_GBA_ANSWER_RES;
	}
out:
	mbms_wipe(res, sizeof(res));
	if (rc) {
		wipe_run(c);
		c->state = MBMS_GBA_CLIENT_FAILED;
	}
	return rc;
}

/* rspauth of the 200 (RFC 2617 3.2.3, over the body for auth-int). */
static int check_auth_info(const struct mbms_gba_client *c, const char *ai, size_t ai_len,
			   const uint8_t *body, size_t body_len)
{
	struct mbms_digest_fields f;
	char got[MBMS_DIGEST_HEX_LEN + 1], want[MBMS_DIGEST_HEX_LEN + 1];
	if (mbms_digest_parse(ai, ai_len, false, &f) != 0)
		return MBMS_ESYNTAX;
	if (mbms_digest_unquote(&f.rspauth, got, sizeof(got)) || strlen(got) != MBMS_DIGEST_HEX_LEN)
		return MBMS_EAUTH;
	if ((f.cnonce.p && !mbms_digest_str_eq(&f.cnonce, c->cnonce)) ||
	    (f.nc.p && !mbms_digest_str_eq(&f.nc, GBA_NC)))
		return MBMS_EAUTH;
	int rc = mbms_digest_rspauth(c->ha1, c->nonce, GBA_NC, c->cnonce, MBMS_GBA_QOP,
				     MBMS_GBA_UB_URI, body, body_len, want);
	if (rc)
		return rc;
	for (char *p = got; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	return mbms_ct_equal(got, want, MBMS_DIGEST_HEX_LEN) ? 0 : MBMS_EAUTH;
}

/* TS 24.109 5.2.1 / PROFILE.md 10.15: the 200 OK. */
int mbms_gba_client_result(struct mbms_gba_client *c, const char *auth_info, size_t ai_len,
			   const uint8_t *body, size_t body_len, uint64_t now)
{
	if (!c || (!body && body_len))
		return MBMS_EINVAL;
	if (c->state != MBMS_GBA_CLIENT_WAIT_RESULT)
		return MBMS_ESTATE;
	int rc = 0;
	if (auth_info) {
		rc = check_auth_info(c, auth_info, ai_len, body, body_len);
		if (rc)
			goto fail;
		c->rspauth_checked = true;
	}
	char btid[MBMS_GBA_BTID_MAX];
	uint64_t expires_at;
	rc = mbms_gba_bootstrap_info_parse((const char *)body, body_len, btid, &expires_at);
	if (rc)
		goto fail;
	uint8_t btid_rand[MBMS_GBA_RAND_LEN];
	const char *host = NULL;
	if (mbms_btid_parse(btid, btid_rand, &host) != 0) {
		rc = MBMS_ESYNTAX;
		goto fail;
	}
	if (!mbms_ct_equal(btid_rand, c->rand, MBMS_GBA_RAND_LEN) || strcmp(host, c->realm) != 0) {
		rc = MBMS_EAUTH;
		goto fail;
	}
	if (expires_at <= now) {
		rc = MBMS_EEXPIRED;
		goto fail;
	}
	/* TS 33.220 4.5.2: Ks = CK || IK. */
	memcpy(c->ks, c->ck, MBMS_MILENAGE_CK_LEN);
	memcpy(c->ks + MBMS_MILENAGE_CK_LEN, c->ik, MBMS_MILENAGE_IK_LEN);
	mbms_wipe(c->ck, sizeof(c->ck));
	mbms_wipe(c->ik, sizeof(c->ik));
	mbms_wipe(c->ha1, sizeof(c->ha1));
	memcpy(c->btid, btid, sizeof(c->btid));
	c->expires_at = expires_at;
	c->state = MBMS_GBA_CLIENT_DONE;
	return 0;
fail:
	wipe_run(c);
	c->state = MBMS_GBA_CLIENT_FAILED;
	return rc;
}

int mbms_gba_client_ks_naf(const struct mbms_gba_client *c, const char *naf_fqdn, uint64_t now,
			   uint8_t out[MBMS_KS_NAF_LEN])
{
	if (!c || !naf_fqdn || !*naf_fqdn || !out)
		return MBMS_EINVAL;
	if (c->state != MBMS_GBA_CLIENT_DONE)
		return MBMS_ESTATE;
	if (now >= c->expires_at)
		return MBMS_EEXPIRED;
	return mbms_ks_naf(c->ks, c->rand, c->impi, naf_fqdn, mbms_ua_id_mbms, out);
}

/* ---- the USIM's SEQ_MS array as text ---- */

int mbms_sqn_state_format(const struct mbms_sqn_ms *st, char *out, size_t out_cap)
{
	if (!st || !out)
		return MBMS_EINVAL;
	size_t o = 0;
	for (unsigned i = 0; i < MBMS_SQN_IND_COUNT; i++) {
		int n = snprintf(out + o, out_cap - o, "%u %llu\n", i,
				 (unsigned long long)st->seq[i]);
		if (n < 0 || (size_t)n >= out_cap - o)
			return MBMS_ENOSPC;
		o += (size_t)n;
	}
	return 0;
}

static bool take_uint(const char *s, size_t len, size_t *pos, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t start = *pos;
	while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
		unsigned d = (unsigned)(s[*pos] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
		(*pos)++;
	}
	if (*pos == start || *pos - start > 20)
		return false;
	*out = v;
	return true;
}

int mbms_sqn_state_parse(const char *text, size_t len, struct mbms_sqn_ms *st)
{
	if ((!text && len) || !st)
		return MBMS_EINVAL;
	struct mbms_sqn_ms tmp;
	bool seen[MBMS_SQN_IND_COUNT] = {false};
	memset(&tmp, 0, sizeof(tmp));
	size_t p = 0;
	while (p < len) {
		uint64_t ind, seq;
		if (!take_uint(text, len, &p, MBMS_SQN_IND_COUNT - 1, &ind) || p >= len ||
		    text[p++] != ' ' || !take_uint(text, len, &p, (1ull << 43) - 1, &seq) ||
		    p >= len || text[p++] != '\n' || seen[ind])
			return MBMS_ESYNTAX;
		seen[ind] = true;
		tmp.seq[ind] = seq;
	}
	*st = tmp;
	return 0;
}
