/* The BSF side of Ub (GBA_ME): challenges, answer checking, resynchronisation
 * and the bootstrap result (TS 33.220 4.5.2, TS 24.109 5.3, RFC 3310). The
 * daemon keeps subscribers and pending challenges; these functions only
 * compute. */
#include "mbmssec/gba.h"
#include "mbmssec/crypto.h"
#include "mbmssec/digest.h"
#include "mbmssec/error.h"

#include <string.h>
#include <strings.h>

static int unquote_req(const struct mbms_str *s, char *out, size_t cap)
{
	int rc = mbms_digest_unquote(s, out, cap);
	return rc ? MBMS_ESYNTAX : 0;
}

int mbms_gba_server_parse_authz(const char *hdr, size_t len, struct mbms_gba_authz *out)
{
	struct mbms_digest_fields f;
	if (!hdr || !out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	if (mbms_digest_parse(hdr, len, true, &f) != 0)
		return MBMS_ESYNTAX;
	if (unquote_req(&f.username, out->impi, sizeof(out->impi)) || !out->impi[0] ||
	    unquote_req(&f.nonce, out->nonce, sizeof(out->nonce)))
		goto bad;
	if (f.realm.p && unquote_req(&f.realm, out->realm, sizeof(out->realm)))
		goto bad;
	if (f.uri.p && unquote_req(&f.uri, out->uri, sizeof(out->uri)))
		goto bad;
	if (!out->nonce[0]) {
		out->initial = true; /* PROFILE.md 10.15: asks for a challenge */
		return 0;
	}
	char alg[32];
	if (strlen(out->nonce) != MBMS_GBA_NONCE_LEN || !f.uri.p ||
	    unquote_req(&f.response, out->response, sizeof(out->response)) ||
	    strlen(out->response) != MBMS_DIGEST_HEX_LEN ||
	    unquote_req(&f.qop, out->qop, sizeof(out->qop)) ||
	    unquote_req(&f.nc, out->nc, sizeof(out->nc)) || strlen(out->nc) != 8 ||
	    unquote_req(&f.cnonce, out->cnonce, sizeof(out->cnonce)) || !out->cnonce[0])
		goto bad;
	if (f.algorithm.p && (unquote_req(&f.algorithm, alg, sizeof(alg)) ||
			      strcasecmp(alg, MBMS_GBA_ALGORITHM) != 0))
		goto bad;
	if (f.auts.p) {
		if (unquote_req(&f.auts, out->auts, sizeof(out->auts)))
			goto bad;
		out->has_auts = true;
	}
	for (char *p = out->response; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return MBMS_ESYNTAX;
}

int mbms_gba_nonce_rand(const char *nonce, uint8_t rand[MBMS_GBA_RAND_LEN])
{
	uint8_t raw[MBMS_GBA_RAND_LEN + MBMS_AUTN_LEN + 2];
	size_t n = 0;
	if (!nonce || !rand)
		return MBMS_EINVAL;
	if (mbms_base64_decode(nonce, strlen(nonce), raw, sizeof(raw), &n) != 0 ||
	    n != MBMS_GBA_RAND_LEN + MBMS_AUTN_LEN)
		return MBMS_ESYNTAX;
	memcpy(rand, raw, MBMS_GBA_RAND_LEN);
	return 0;
}

/* TS 33.102 6.3.2 (vector generation) + RFC 3310 3.1 (nonce). */
int mbms_gba_server_challenge(const char *bsf_host, const struct mbms_gba_subscriber *sub,
			      const uint8_t rand[MBMS_GBA_RAND_LEN], struct mbms_gba_challenge *ch,
			      char *www_auth, size_t www_auth_cap)
{
	if (!bsf_host || !*bsf_host || !sub || !rand || !ch || !www_auth)
		return MBMS_EINVAL;
	memset(ch, 0, sizeof(*ch));
	uint8_t sqn[MBMS_MILENAGE_SQN_LEN], raw[MBMS_GBA_RAND_LEN + MBMS_AUTN_LEN];
	ch->sqn = mbms_sqn_next(sub->sqn);
	mbms_sqn_to_bytes(ch->sqn, sqn);
	memcpy(ch->rand, rand, MBMS_GBA_RAND_LEN);
	memcpy(raw, rand, MBMS_GBA_RAND_LEN);
	int rc = mbms_aka_generate(sub->k, sub->opc, rand, sqn, sub->amf, raw + MBMS_GBA_RAND_LEN,
				   ch->xres, ch->ck, ch->ik);
	if (rc == 0)
		rc = mbms_base64_encode(raw, sizeof(raw), ch->nonce, sizeof(ch->nonce));
	if (rc == 0)
		rc = mbms_digest_format_challenge(bsf_host, ch->nonce, MBMS_GBA_ALGORITHM,
						  MBMS_GBA_QOP, false, NULL, www_auth, www_auth_cap);
	if (rc)
		mbms_wipe(ch, sizeof(*ch));
	return rc;
}

/* The request digest the answer must carry for a given password. */
static int expected_response(const struct mbms_gba_authz *a, const char *bsf_host,
			     const uint8_t *password, size_t password_len, const char *method,
			     const uint8_t *body, size_t body_len,
			     char out[MBMS_DIGEST_HEX_LEN + 1], char ha1[MBMS_DIGEST_HEX_LEN + 1])
{
	int rc = mbms_digest_ha1(a->impi, bsf_host, password, password_len, ha1);
	if (rc == 0)
		rc = mbms_digest_response(ha1, a->nonce, a->nc, a->cnonce, MBMS_GBA_QOP, method,
					  a->uri, body, body_len, out);
	return rc;
}

/* RFC 3310 3.3 - 3.5 on the network side. */
int mbms_gba_server_verify(const char *bsf_host, const struct mbms_gba_subscriber *sub,
			   const struct mbms_gba_challenge *ch, const struct mbms_gba_authz *a,
			   const char *method, const char *uri, const uint8_t *body,
			   size_t body_len, enum mbms_gba_verdict *verdict, uint64_t *sqn_ms)
{
	if (!bsf_host || !sub || !ch || !a || !method || !uri || (!body && body_len) || !verdict ||
	    !sqn_ms)
		return MBMS_EINVAL;
	*verdict = MBMS_GBA_VERDICT_BAD_RES;
	*sqn_ms = 0;
	if (a->initial || strcmp(a->nonce, ch->nonce) != 0 || strcmp(a->impi, sub->impi) != 0 ||
	    strcmp(a->realm, bsf_host) != 0 || strcmp(a->uri, uri) != 0 ||
	    strcasecmp(a->qop, MBMS_GBA_QOP) != 0)
		return MBMS_ESYNTAX;

	char want[MBMS_DIGEST_HEX_LEN + 1], ha1[MBMS_DIGEST_HEX_LEN + 1];
	int rc;
	if (a->has_auts) {
		/* Synchronisation failure: digest over an empty password, then
		 * MAC-S (TS 33.102 6.3.5). */
		uint8_t auts[MBMS_AUTS_LEN + 2], sqn[MBMS_MILENAGE_SQN_LEN];
		size_t n = 0;
		*verdict = MBMS_GBA_VERDICT_BAD_AUTS;
		rc = expected_response(a, bsf_host, NULL, 0, method, body, body_len, want, ha1);
		mbms_wipe(ha1, sizeof(ha1));
		if (rc)
			return rc;
		if (!mbms_ct_equal(want, a->response, MBMS_DIGEST_HEX_LEN) ||
		    mbms_base64_decode(a->auts, strlen(a->auts), auts, sizeof(auts), &n) != 0 ||
		    n != MBMS_AUTS_LEN)
			return MBMS_EAUTH;
		rc = mbms_aka_check_auts(sub->k, sub->opc, ch->rand, auts, sqn);
		if (rc)
			return rc == MBMS_EAUTH ? MBMS_EAUTH : rc;
		*sqn_ms = mbms_sqn_from_bytes(sqn);
		*verdict = MBMS_GBA_VERDICT_RESYNC;
		return MBMS_ESYNC;
	}
	rc = expected_response(a, bsf_host, ch->xres, sizeof(ch->xres), method, body, body_len,
			       want, ha1);
	mbms_wipe(ha1, sizeof(ha1));
	if (rc)
		return rc;
	if (mbms_ct_equal(want, a->response, MBMS_DIGEST_HEX_LEN)) {
		*verdict = MBMS_GBA_VERDICT_OK;
		return 0;
	}
	/* Tell a UE that refused our AUTN apart from a wrong RES, for the log. */
	rc = expected_response(a, bsf_host, NULL, 0, method, body, body_len, want, ha1);
	mbms_wipe(ha1, sizeof(ha1));
	if (rc)
		return rc;
	*verdict = mbms_ct_equal(want, a->response, MBMS_DIGEST_HEX_LEN)
			   ? MBMS_GBA_VERDICT_UE_MAC_FAIL
			   : MBMS_GBA_VERDICT_BAD_RES;
	return MBMS_EAUTH;
}

/* TS 33.220 4.5.2: B-TID, Ks = CK || IK; TS 24.109 5.3.1: the 200 with
 * Authentication-Info (rspauth over the body, qop=auth-int). */
int mbms_gba_server_success(const char *bsf_host, const struct mbms_gba_subscriber *sub,
			    const struct mbms_gba_challenge *ch, const struct mbms_gba_authz *a,
			    uint64_t expires_at, struct mbms_gba_bootstrap *bs, char *body,
			    size_t body_cap, size_t *body_len, char *auth_info, size_t ai_cap)
{
	if (!bsf_host || !sub || !ch || !a || !bs || !body || !body_len || !auth_info)
		return MBMS_EINVAL;
	memset(bs, 0, sizeof(*bs));
	char ha1[MBMS_DIGEST_HEX_LEN + 1], rspauth[MBMS_DIGEST_HEX_LEN + 1];
	int rc = mbms_btid_make(ch->rand, bsf_host, bs->btid, sizeof(bs->btid));
	if (rc == 0 && strlen(sub->impi) >= sizeof(bs->impi))
		rc = MBMS_EINVAL;
	if (rc == 0)
		rc = mbms_gba_bootstrap_info_format(bs->btid, expires_at, body, body_cap, body_len);
	if (rc == 0)
		rc = mbms_digest_ha1(a->impi, bsf_host, ch->xres, sizeof(ch->xres), ha1);
	if (rc == 0)
		rc = mbms_digest_rspauth(ha1, a->nonce, a->nc, a->cnonce, MBMS_GBA_QOP, a->uri,
					 (const uint8_t *)body, *body_len, rspauth);
	if (rc == 0)
		rc = mbms_digest_format_auth_info(rspauth, a->cnonce, a->nc, MBMS_GBA_QOP, auth_info,
						  ai_cap);
	mbms_wipe(ha1, sizeof(ha1));
	if (rc) {
		mbms_wipe(bs, sizeof(*bs));
		return rc;
	}
	memcpy(bs->impi, sub->impi, strlen(sub->impi) + 1);
	memcpy(bs->rand, ch->rand, MBMS_GBA_RAND_LEN);
	memcpy(bs->ks, ch->ck, MBMS_MILENAGE_CK_LEN);
	memcpy(bs->ks + MBMS_MILENAGE_CK_LEN, ch->ik, MBMS_MILENAGE_IK_LEN);
	bs->expires_at = expires_at;
	return 0;
}

int mbms_gba_bootstrap_ks_naf(const struct mbms_gba_bootstrap *bs, const char *naf_fqdn,
			      const uint8_t ua_id[MBMS_UA_ID_LEN], uint64_t now,
			      uint8_t out[MBMS_KS_NAF_LEN])
{
	if (!bs || !naf_fqdn || !*naf_fqdn || !ua_id || !out)
		return MBMS_EINVAL;
	if (now >= bs->expires_at)
		return MBMS_EEXPIRED;
	return mbms_ks_naf(bs->ks, bs->rand, bs->impi, naf_fqdn, ua_id, out);
}
