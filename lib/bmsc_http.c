/* The BM-SC's HTTP interface (PROFILE.md 7, 8, 10.13-10.19): HTTP Digest
 * with qop=auth-int and password = base64(MRK), MRK = Ks_NAF from Zn;
 * register, deregister, MSK request; the service announcement. */
#include "bmsc_priv.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CNONCE_MAX 128
#define URI_MAX 512
#define ZN_RETRY_AFTER 5 /* seconds: the BSF did not answer */

static const char KM_PATH[] = MBMS_PROFILE_KM_PATH;
static const char ANN_PATH[] = MBMS_PROFILE_ANNOUNCEMENT_PATH;

enum proc {
	PROC_REGISTER,
	PROC_DEREGISTER,
	PROC_MSK_REQUEST,
};

static const char *const proc_name[] = {"register", "deregister", "msk-request"};

/* What a verified Authorization gives the procedures. */
struct auth {
	char username[MBMS_BMSC_BTID_MAX];
	char nonce[MBMS_DIGEST_NONCE_LEN + 1];
	char nc[9];
	char cnonce[CNONCE_MAX];
	char qop[16];
	char uri[URI_MAX];
	char ha1[MBMS_DIGEST_HEX_LEN + 1];
	struct bmsc_ue *ue;
};

static void finish(struct mbms_bmsc *b, struct mbms_bmsc_http_rsp *rsp, unsigned status)
{
	rsp->status = status;
	struct mbms_bmsc_stats *s = &b->st;
	s->http_requests++;
	switch (status) {
	case 200: s->http_200++; break;
	case 400: s->http_400++; break;
	case 401: s->http_401++; break;
	case 403: s->http_403++; break;
	case 404: s->http_404++; break;
	case 405: s->http_405++; break;
	case 415: s->http_415++; break;
	case 503: s->http_503++; break;
	default: s->http_500++; break;
	}
}

static int body_reserve(struct mbms_bmsc *b, size_t need)
{
	if (b->body_cap >= need)
		return 0;
	char *nb = malloc(need);
	if (!nb)
		return MBMS_ENOMEM;
	if (b->body) {
		mbms_wipe(b->body, b->body_cap);
		free(b->body);
	}
	b->body = nb;
	b->body_cap = need;
	return 0;
}

/* 401 with a fresh nonce (RFC 2617 3.2.1); stale=true when only the nonce
 * was too old. */
static void challenge(struct mbms_bmsc *b, uint64_t now, bool stale,
		      struct mbms_bmsc_http_rsp *rsp)
{
	char nonce[MBMS_DIGEST_NONCE_LEN + 1];
	if (mbms_digest_nonce_make(b->nonce_secret, b->realm, now / 1000, nonce) != 0 ||
	    mbms_digest_format_challenge(b->realm, nonce, MBMS_DIGEST_ALG_MD5,
					 b->cfg->allow_qop_auth ? "auth-int,auth" : "auth-int",
					 stale, NULL, rsp->www_authenticate,
					 sizeof(rsp->www_authenticate)) != 0) {
		rsp->www_authenticate[0] = '\0';
		finish(b, rsp, 500);
		return;
	}
	finish(b, rsp, 401);
}

static bool copy_field(const struct mbms_str *s, char *out, size_t cap)
{
	return s->p && mbms_digest_unquote(s, out, cap) == 0;
}

/* The Digest uri must name this request: path "?requesttype=" value
 * (RFC 2617 3.2.2.5). */
static bool uri_matches(const char *uri, const struct mbms_bmsc_http_req *req)
{
	size_t pl = strlen(req->path);
	if (strncmp(uri, req->path, pl) != 0 || uri[pl] != '?')
		return false;
	const char *q = uri + pl + 1;
	static const char key[] = "requesttype=";
	return strncmp(q, key, sizeof(key) - 1) == 0 && req->requesttype &&
	       strcmp(q + sizeof(key) - 1, req->requesttype) == 0;
}

static int nc_value(const char *nc, uint32_t *v)
{
	if (strlen(nc) != 8)
		return MBMS_ESYNTAX;
	uint8_t raw[4];
	size_t n = 0;
	if (mbms_hex_decode(nc, 8, raw, 4, &n) || n != 4)
		return MBMS_ESYNTAX;
	*v = mbms_get_be32(raw);
	return 0;
}

static bool is_lower_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

/* HA1 = MD5(B-TID ":" realm ":" base64(MRK)) (PROFILE.md 7, 10.13). */
static int make_ha1(const struct mbms_bmsc *b, const char *btid, const uint8_t mrk[MBMS_MRK_LEN],
		    char ha1[MBMS_DIGEST_HEX_LEN + 1])
{
	char pw[MBMS_MRK_LEN * 2];
	int rc = mbms_base64_encode(mrk, MBMS_MRK_LEN, pw, sizeof(pw));
	if (rc == 0)
		rc = mbms_digest_ha1(btid, b->realm, (const uint8_t *)pw, strlen(pw), ha1);
	mbms_wipe(pw, sizeof(pw));
	return rc;
}

/* The UE that sent an authenticated request, made current for this B-TID:
 * the MUK of the latest authenticated request is the one the UE holds. */
static struct bmsc_ue *adopt_zn(struct mbms_bmsc *b, const struct mbms_zn_response *zn,
				uint64_t now)
{
	struct bmsc_ue *ue = bmsc_ue_by_impi(b, zn->impi);
	bool existed = ue != NULL;
	if (!ue && !(ue = bmsc_ue_new(b, zn->impi)))
		return NULL;
	if (bmsc_ue_set_btid(b, ue, zn->btid)) {
		if (!existed)
			bmsc_ue_delete(b, ue);
		return NULL;
	}
	memcpy(ue->muk, zn->ks_naf, MBMS_MUK_LEN); /* PROFILE.md 2: MUK = Ks_NAF */
	ue->muk_expires = zn->expires_at * 1000;
	if (existed) {
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "impi=%s: new B-TID %s, MUK replaced", ue->impi,
			 zn->btid);
		bmsc_ue_rekeyed(b, ue, now);
	}
	if (ue->persisted || ue->services)
		bmsc_ue_rec(b, ue);
	return ue;
}

/* Returns 0 with a->ue set, or 1 when rsp is final (or asks for Zn). */
static int authenticate(struct mbms_bmsc *b, const struct mbms_bmsc_http_req *req,
			const struct mbms_bmsc_zn_answer *zn, uint64_t now, enum proc proc,
			struct auth *a, struct mbms_bmsc_http_rsp *rsp)
{
	const char *pn = proc_name[proc];
	if (!req->authorization) {
		bmsc_log(b, MBMS_BMSC_LOG_DEBUG, "%s from %s: 401 challenge", pn, req->peer_text);
		challenge(b, now, false, rsp);
		return 1;
	}
	struct mbms_digest_fields f;
	if (mbms_digest_parse(req->authorization, strlen(req->authorization), true, &f) != 0) {
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "%s from %s: 400 malformed Authorization", pn,
			 req->peer_text);
		finish(b, rsp, 400);
		return 1;
	}
	const char *why = NULL;
	uint32_t ncv = 0;
	if (!copy_field(&f.username, a->username, sizeof(a->username)) || !a->username[0] ||
	    !copy_field(&f.nonce, a->nonce, sizeof(a->nonce)) ||
	    !copy_field(&f.uri, a->uri, sizeof(a->uri)) || !f.response.p ||
	    !copy_field(&f.qop, a->qop, sizeof(a->qop)) ||
	    !copy_field(&f.nc, a->nc, sizeof(a->nc)) || nc_value(a->nc, &ncv) ||
	    !copy_field(&f.cnonce, a->cnonce, sizeof(a->cnonce)) || !a->cnonce[0]) {
		why = "incomplete Authorization (username, nonce, uri, response, qop, nc, cnonce)";
	} else if (!mbms_digest_str_eq(&f.realm, b->realm)) {
		why = "wrong realm";
	} else if (f.algorithm.p && !mbms_digest_str_caseeq(&f.algorithm, MBMS_DIGEST_ALG_MD5)) {
		why = "algorithm is not MD5";
	} else if (strcmp(a->qop, "auth-int") != 0 &&
		   !(b->cfg->allow_qop_auth && strcmp(a->qop, "auth") == 0)) {
		why = b->cfg->allow_qop_auth ? "qop is neither auth-int nor auth"
					     : "qop is not auth-int (the body must be covered)";
	} else if (!is_lower_hex(a->nc)) {
		why = "bad nc";
	}
	if (why) {
		b->st.digest_failures++;
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "%s from %s user=%.80s: 401 %s", pn, req->peer_text,
			 a->username, why);
		challenge(b, now, false, rsp);
		return 1;
	}
	if (!uri_matches(a->uri, req)) {
		b->st.digest_failures++;
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "%s from %s user=%.80s: 400 Digest uri is not the request URI",
			 pn, req->peer_text, a->username);
		finish(b, rsp, 400);
		return 1;
	}
	uint64_t issued_at = 0;
	int rc = mbms_digest_nonce_check(b->nonce_secret, b->realm, a->nonce, strlen(a->nonce),
					 now / 1000, b->cfg->nonce_lifetime_ms / 1000, &issued_at);
	if (rc == MBMS_EEXPIRED) {
		b->st.digest_stale++;
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "%s from %s user=%.80s: 401 stale nonce", pn,
			 req->peer_text, a->username);
		challenge(b, now, true, rsp);
		return 1;
	}
	if (rc) {
		b->st.digest_failures++;
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "%s from %s user=%.80s: 401 not our nonce", pn,
			 req->peer_text, a->username);
		challenge(b, now, false, rsp);
		return 1;
	}

	/* The MRK: cached for this B-TID until its lifetime ends, else Zn. */
	const uint8_t *mrk = NULL;
	struct bmsc_ue *ue = bmsc_ue_by_btid(b, a->username);
	const struct mbms_zn_response *fresh = NULL;
	if (ue) {
		if (ue->muk_expires <= now) {
			bmsc_log(b, MBMS_BMSC_LOG_INFO, "%s impi=%s btid=%.80s: 401 B-TID expired", pn,
				 ue->impi, a->username);
			challenge(b, now, false, rsp);
			return 1;
		}
		mrk = ue->muk; /* PROFILE.md 2: MRK = MUK = Ks_NAF */
	} else if (!zn || strcmp(zn->zn.btid, a->username) != 0) {
		rsp->need_zn = true;
		snprintf(rsp->zn_btid, sizeof(rsp->zn_btid), "%s", a->username);
		return 1;
	} else if (zn->status == MBMS_ENOTFOUND) {
		b->st.zn_unknown++;
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "%s from %s btid=%.80s: 401 B-TID unknown to the BSF",
			 pn, req->peer_text, a->username);
		challenge(b, now, false, rsp);
		return 1;
	} else if (zn->status != 0) {
		b->st.zn_failures++;
		bmsc_log(b, MBMS_BMSC_LOG_WARN, "%s from %s btid=%.80s: 503 no answer from the BSF",
			 pn, req->peer_text, a->username);
		rsp->retry_after = ZN_RETRY_AFTER;
		finish(b, rsp, 503);
		return 1;
	} else if (zn->zn.expires_at * 1000 <= now || !zn->zn.impi[0]) {
		b->st.zn_unknown++;
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "%s from %s btid=%.80s: 401 B-TID expired", pn,
			 req->peer_text, a->username);
		challenge(b, now, false, rsp);
		return 1;
	} else {
		b->st.zn_fetches++;
		fresh = &zn->zn;
		mrk = fresh->ks_naf;
	}

	char want[MBMS_DIGEST_HEX_LEN + 1];
	rc = make_ha1(b, a->username, mrk, a->ha1);
	if (rc == 0)
		rc = mbms_digest_response(a->ha1, a->nonce, a->nc, a->cnonce, a->qop, req->method,
					  a->uri, req->body, req->body_len, want);
	if (rc == 0)
		rc = mbms_digest_check_response(&f.response, want);
	mbms_wipe(want, sizeof(want));
	if (rc) {
		b->st.digest_failures++;
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "%s from %s btid=%.80s: 401 wrong Digest response%s",
			 pn, req->peer_text, a->username,
			 strcmp(a->qop, "auth-int") == 0 ? " (password or body)" : "");
		challenge(b, now, false, rsp);
		return 1;
	}
	if (bmsc_nc_use(&b->nc, a->nonce, issued_at, ncv) != 0) {
		b->st.digest_replays++;
		bmsc_log(b, MBMS_BMSC_LOG_WARN, "%s from %s btid=%.80s: 401 nonce count replayed (nc=%s)",
			 pn, req->peer_text, a->username, a->nc);
		challenge(b, now, false, rsp);
		return 1;
	}
	if (fresh && !(ue = adopt_zn(b, fresh, now))) {
		finish(b, rsp, 500);
		return 1;
	}
	a->ue = ue;
	return 0;
}

/* The 200: body in b->body, Authentication-Info with rspauth over it
 * (RFC 2617 3.2.3, auth-int). */
static void answer_200(struct mbms_bmsc *b, const struct auth *a, const char *content_type,
		       size_t body_len, struct mbms_bmsc_http_rsp *rsp)
{
	char rspauth[MBMS_DIGEST_HEX_LEN + 1];
	if (mbms_digest_rspauth(a->ha1, a->nonce, a->nc, a->cnonce, a->qop, a->uri,
				(const uint8_t *)b->body, body_len, rspauth) != 0 ||
	    mbms_digest_format_auth_info(rspauth, a->cnonce, a->nc, a->qop, rsp->auth_info,
					 sizeof(rsp->auth_info)) != 0) {
		finish(b, rsp, 500);
		return;
	}
	rsp->content_type = content_type;
	rsp->body = b->body;
	rsp->body_len = body_len;
	finish(b, rsp, 200);
}

/* Subscriber authorisation of a service: exact IMPI (binary search) or an
 * "@domain" suffix. */
static int cmp_key(const void *k, const void *e) { return strcmp(k, *(char *const *)e); }

static bool authorised(const struct bmsc_service *s, const char *impi)
{
	if (s->cfg->any_subscriber)
		return true;
	if (s->nexact && bsearch(impi, s->exact, s->nexact, sizeof(*s->exact), cmp_key))
		return true;
	size_t il = strlen(impi);
	for (size_t i = 0; i < s->nsuffix; i++) {
		size_t sl = strlen(s->suffix[i]);
		if (il > sl && strcmp(impi + il - sl, s->suffix[i]) == 0)
			return true;
	}
	return false;
}

/* Where MSK messages go (10.14): the request's source address, port 4359
 * or X-MBMS-UE-Port. */
static int ue_address(const struct mbms_bmsc_http_req *req, struct mbms_bmsc_addr *out)
{
	uint16_t port = MBMS_PROFILE_UE_MIKEY_PORT;
	if (req->ue_port) {
		const char *p = req->ue_port;
		unsigned v = 0;
		if (!*p || strlen(p) > 5)
			return MBMS_ESYNTAX;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return MBMS_ESYNTAX;
			v = v * 10 + (unsigned)(*p - '0');
		}
		if (v == 0 || v > 65535)
			return MBMS_ESYNTAX;
		port = (uint16_t)v;
	}
	if (req->peer.family != 4 && req->peer.family != 6)
		return MBMS_EINVAL;
	*out = req->peer;
	out->port = port;
	return 0;
}

static void set_address(struct mbms_bmsc *b, struct bmsc_ue *ue, const struct mbms_bmsc_addr *a)
{
	if (mbms_bmsc_addr_equal(&ue->addr, a))
		return;
	ue->addr = *a;
	for (struct bmsc_push *p = ue->pushes; p; p = p->next_in_ue)
		if (p->in_ack)
			bmsc_ack_add(b, p); /* re-keyed by the new address */
	if (ue->persisted)
		bmsc_ue_rec(b, ue);
}

static void registration_changed(struct mbms_bmsc *b, struct bmsc_ue *ue, uint64_t before)
{
	if (!before && ue->services)
		b->st.registered_ues++;
	if (before && !ue->services)
		b->st.registered_ues--;
	for (size_t k = 0; k < b->nkg; k++) {
		bool was = before & b->kg[k].service_mask, is = ue->services & b->kg[k].service_mask;
		if (was && !is)
			b->kg[k].registered--;
		if (!was && is)
			b->kg[k].registered++;
	}
}

static void do_register(struct mbms_bmsc *b, const struct mbms_bmsc_http_req *req,
			struct auth *a, bool reg, struct mbms_bmsc_http_rsp *rsp)
{
	struct bmsc_ue *ue = a->ue;
	struct mbms_km_service_list *list = calloc(1, sizeof(*list));
	struct mbms_km_register_response *out = calloc(1, sizeof(*out));
	if (!list || !out) {
		finish(b, rsp, 500);
		goto done;
	}
	int rc = reg ? mbms_km_register_parse((const char *)req->body, req->body_len, list)
		     : mbms_km_deregister_parse((const char *)req->body, req->body_len, list);
	if (rc) {
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "%s impi=%s from %s: 400 bad body (%s)",
			 reg ? "register" : "deregister", ue->impi, req->peer_text, mbms_errname(rc));
		finish(b, rsp, 400);
		goto done;
	}
	struct mbms_bmsc_addr addr;
	if (reg) {
		if (ue_address(req, &addr)) {
			bmsc_log(b, MBMS_BMSC_LOG_INFO, "register impi=%s from %s: 400 bad %s",
				 ue->impi, req->peer_text, MBMS_PROFILE_UE_PORT_HEADER);
			finish(b, rsp, 400);
			goto done;
		}
		set_address(b, ue, &addr);
	}
	uint64_t before = ue->services;
	unsigned ok = 0, denied = 0, unknown = 0;
	out->count = list->count;
	for (size_t i = 0; i < list->count; i++) {
		const char *id = list->service_id[i];
		memcpy(out->item[i].service_id, id, sizeof(out->item[i].service_id));
		int s = bmsc_service_index(b, id, strlen(id));
		uint16_t st;
		if (s < 0) {
			st = 404;
			unknown++;
		} else if (reg && !authorised(&b->svc[s], ue->impi)) {
			st = 403;
			denied++;
		} else {
			st = 200;
			ok++;
			uint64_t bit = 1ULL << s;
			if (reg && !(ue->services & bit)) {
				ue->services |= bit;
				b->svc[s].registered++;
				struct mbms_bmsc_rec *r = bmsc_rec(b, MBMS_BMSC_REC_REG);
				if (r) {
					snprintf(r->ue.impi, sizeof(r->ue.impi), "%s", ue->impi);
					snprintf(r->service_id, sizeof(r->service_id), "%s", id);
				}
			} else if (!reg && (ue->services & bit)) {
				ue->services &= ~bit;
				b->svc[s].registered--;
				struct mbms_bmsc_rec *r = bmsc_rec(b, MBMS_BMSC_REC_UNREG);
				if (r) {
					snprintf(r->ue.impi, sizeof(r->ue.impi), "%s", ue->impi);
					snprintf(r->service_id, sizeof(r->service_id), "%s", id);
				}
			}
		}
		out->item[i].status = st;
		b->st.items_200 += st == 200;
		b->st.items_403 += st == 403;
		b->st.items_404 += st == 404;
	}
	if (ue->services != before) {
		registration_changed(b, ue, before);
		if (ue->services && !ue->persisted)
			bmsc_ue_rec(b, ue);
		bmsc_ue_prune_pushes(b, ue); /* deregistration stops pushes */
	}
	if (reg)
		b->st.registers++;
	else
		b->st.deregisters++;
	size_t len = 0;
	if (body_reserve(b, MBMS_PROFILE_MAX_BODY + 1) ||
	    mbms_km_register_response_write(out, b->body, b->body_cap, &len)) {
		finish(b, rsp, 500);
		goto done;
	}
	bmsc_log(b, MBMS_BMSC_LOG_INFO,
		 "%s impi=%s btid=%s from %s: 200 (%zu service(s): %u ok, %u 403, %u 404)",
		 reg ? "register" : "deregister", ue->impi, ue->btid, req->peer_text, list->count,
		 ok, denied, unknown);
	answer_200(b, a, MBMS_MEDIA_TYPE_REGISTER_RESPONSE, len, rsp);
done:
	free(list);
	free(out);
}

static void do_msk_request(struct mbms_bmsc *b, const struct mbms_bmsc_http_req *req,
			   struct auth *a, uint64_t now, struct mbms_bmsc_http_rsp *rsp)
{
	struct bmsc_ue *ue = a->ue;
	struct mbms_km_msk_request in;
	struct mbms_km_msk_response out;
	int rc = mbms_km_msk_request_parse((const char *)req->body, req->body_len, &in);
	if (rc) {
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "msk-request impi=%s from %s: 400 bad body (%s)",
			 ue->impi, req->peer_text, mbms_errname(rc));
		finish(b, rsp, 400);
		return;
	}
	struct mbms_bmsc_addr addr;
	if (ue_address(req, &addr)) {
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "msk-request impi=%s from %s: 400 bad %s", ue->impi,
			 req->peer_text, MBMS_PROFILE_UE_PORT_HEADER);
		finish(b, rsp, 400);
		return;
	}
	set_address(b, ue, &addr);
	b->st.msk_requests++;
	bool our_domain = memcmp(in.key_domain_id, b->cfg->key_domain_id, 3) == 0;
	char items[MBMS_BMSC_LOG_MAX / 2] = "";
	size_t il = 0;
	memset(&out, 0, sizeof(out));
	out.count = in.count;
	for (size_t i = 0; i < in.count; i++) {
		uint32_t id = in.msk_id[i];
		memcpy(out.item[i].key_domain_id, in.key_domain_id, 3);
		out.item[i].msk_id = id; /* 10.17: the requested ID, even for Key Number 0 */
		int k = our_domain ? bmsc_kg_index(b, mbms_msk_id_key_group(id)) : -1;
		uint16_t st;
		uint32_t pushed = 0;
		if (k < 0) {
			st = 404;
		} else if (!(ue->services & b->kg[k].service_mask)) {
			st = 403; /* 10.19: not registered to a service of this key group */
		} else {
			struct bmsc_kg *g = &b->kg[k];
			struct bmsc_msk *m = mbms_msk_id_key_number(id) == 0
						     ? (g->cur.used ? &g->cur : NULL)
						     : bmsc_kg_msk(b, (size_t)k, id);
			if (!m) {
				st = 404;
			} else {
				pushed = m->msk_id;
				rc = bmsc_push_start(b, ue, BMSC_PUSH_MSK, m->msk_id, now, true);
				st = rc == 0 ? 200 : 503;
				/* Key Number 0 during the lead time: the UE gets the next MSK
				 * too, as every registered UE did (6.5). */
				if (rc == 0 && mbms_msk_id_key_number(id) == 0 && g->next.used)
					bmsc_fanout_one(b, ue, (size_t)k, g->next.msk_id, now);
			}
		}
		out.item[i].status = st;
		b->st.items_200 += st == 200;
		b->st.items_403 += st == 403;
		b->st.items_404 += st == 404;
		b->st.items_503 += st == 503;
		if (il < sizeof(items) - 24) {
			char rid[9], pid[9];
			bmsc_msk_id_hex(id, rid);
			bmsc_msk_id_hex(pushed, pid);
			int n = snprintf(items + il, sizeof(items) - il, "%s%s=%u%s%s", il ? " " : "",
					 rid, st, pushed && pushed != id ? "->" : "",
					 pushed && pushed != id ? pid : "");
			if (n > 0)
				il += (size_t)n < sizeof(items) - il ? (size_t)n : sizeof(items) - il - 1;
		}
	}
	size_t len = 0;
	if (body_reserve(b, MBMS_PROFILE_MAX_BODY + 1) ||
	    mbms_km_msk_response_write(&out, b->body, b->body_cap, &len)) {
		finish(b, rsp, 500);
		return;
	}
	/* debug: one line per answered request is the busiest line a BM-SC
	 * writes (refusals above stay at info; /metrics counts the 200s) */
	bmsc_log(b, MBMS_BMSC_LOG_DEBUG, "msk-request impi=%s btid=%s from %s: 200 [%s]%s", ue->impi,
		 ue->btid, req->peer_text, items, our_domain ? "" : " (foreign key domain)");
	answer_200(b, a, MBMS_MEDIA_TYPE_MSK_RESPONSE, len, rsp);
}

/* ---- the announcement (PROFILE.md 8) ---- */

int mbms_bmsc_announcement(struct mbms_bmsc *b, const char *service_id, char *out, size_t cap,
			   size_t *out_len)
{
	if (!b || !service_id || !out)
		return MBMS_EINVAL;
	int s = bmsc_service_index(b, service_id, strlen(service_id));
	if (s < 0)
		return MBMS_ENOTFOUND;
	const struct mbms_bmsc_service_cfg *c = b->svc[s].cfg;
	struct mbms_announcement *an = calloc(1, sizeof(*an));
	if (!an)
		return MBMS_ENOMEM;
	snprintf(an->service_id, sizeof(an->service_id), "%s", c->service_id);
	snprintf(an->km_server.host, sizeof(an->km_server.host), "%s", b->cfg->fqdn);
	an->km_server.port = b->announce_port;
	memcpy(an->key_domain_id, b->cfg->key_domain_id, 3);
	an->confidentiality = c->confidentiality;
	an->integrity = c->integrity;
	an->uicc_key_management = c->uicc_key_management;
	for (size_t j = 0; j < c->nkey_groups; j++)
		an->msk_id[an->msk_count++] = mbms_msk_id_make(c->key_groups[j], 0);
	for (size_t i = 0; i < b->nsess; i++) {
		const struct mbms_bmsc_session_cfg *sc = b->sess[i].cfg;
		if (strcmp(sc->service_id, c->service_id) != 0)
			continue;
		struct mbms_announcement_session *as = &an->session[an->session_count++];
		as->destination = sc->destination;
		as->mtk_port = sc->mtk_port;
		as->key_group = sc->key_group;
	}
	an->offset_time = c->offset_time;
	an->random_time_period = c->random_time_period;
	int rc = mbms_announcement_write(an, out, cap, out_len);
	free(an);
	return rc;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void do_announcement(struct mbms_bmsc *b, const struct mbms_bmsc_http_req *req,
			     struct mbms_bmsc_http_rsp *rsp)
{
	const char *id = req->path + sizeof(ANN_PATH) - 1;
	char decoded[MBMS_KMXML_URI_MAX + 1];
	/* The shell may hand over the path decoded or not: try it as is, then
	 * percent-decoded. */
	if (bmsc_service_index(b, id, strlen(id)) < 0) {
		size_t n = 0;
		for (const char *p = id; *p && n < sizeof(decoded) - 1; p++) {
			if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
				decoded[n++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
				p += 2;
			} else {
				decoded[n++] = *p;
			}
		}
		decoded[n] = '\0';
		id = decoded;
	}
	b->st.announcements++;
	int rc = body_reserve(b, MBMS_PROFILE_MAX_BODY + 1);
	size_t len = 0;
	if (rc == 0)
		rc = mbms_bmsc_announcement(b, id, b->body, b->body_cap, &len);
	if (rc == MBMS_ENOTFOUND) {
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "announcement %.80s from %s: 404", id, req->peer_text);
		finish(b, rsp, 404);
		return;
	}
	if (rc) {
		finish(b, rsp, 500);
		return;
	}
	bmsc_log(b, MBMS_BMSC_LOG_DEBUG, "announcement %s from %s: 200", id, req->peer_text);
	rsp->content_type = MBMS_MEDIA_TYPE_PROTECTION_DESCRIPTION;
	rsp->body = b->body;
	rsp->body_len = len;
	finish(b, rsp, 200);
}

/* ---- dispatch ---- */

static const enum mbms_km_body_kind body_kind[] = {
	[PROC_REGISTER] = MBMS_KM_BODY_REGISTER,
	[PROC_DEREGISTER] = MBMS_KM_BODY_DEREGISTER,
	[PROC_MSK_REQUEST] = MBMS_KM_BODY_MSK_REQUEST,
};

int mbms_bmsc_http(struct mbms_bmsc *b, const struct mbms_bmsc_http_req *req,
		   const struct mbms_bmsc_zn_answer *zn, uint64_t now,
		   struct mbms_bmsc_http_rsp *rsp)
{
	if (!b || !req || !rsp || !req->method || !req->path || (!req->body && req->body_len))
		return MBMS_EINVAL;
	memset(rsp, 0, sizeof(*rsp));
	struct mbms_bmsc_http_req r = *req;
	char peer_text[64];
	if (!r.peer_text) {
		if (mbms_bmsc_addr_format(&r.peer, peer_text, sizeof(peer_text)))
			snprintf(peer_text, sizeof(peer_text), "?");
		r.peer_text = peer_text;
	}
	if (strncmp(r.path, ANN_PATH, sizeof(ANN_PATH) - 1) == 0 && r.path[sizeof(ANN_PATH) - 1]) {
		if (strcmp(r.method, "GET") != 0 && strcmp(r.method, "HEAD") != 0) {
			snprintf(rsp->allow, sizeof(rsp->allow), "GET");
			finish(b, rsp, 405);
			return 0;
		}
		do_announcement(b, &r, rsp);
		return 0;
	}
	if (strcmp(r.path, KM_PATH) != 0) {
		finish(b, rsp, 404);
		return 0;
	}
	if (strcmp(r.method, "POST") != 0) {
		snprintf(rsp->allow, sizeof(rsp->allow), "POST");
		finish(b, rsp, 405);
		return 0;
	}
	enum proc proc;
	if (r.requesttype && strcmp(r.requesttype, "register") == 0)
		proc = PROC_REGISTER;
	else if (r.requesttype && strcmp(r.requesttype, "deregister") == 0)
		proc = PROC_DEREGISTER;
	else if (r.requesttype && strcmp(r.requesttype, "msk-request") == 0)
		proc = PROC_MSK_REQUEST;
	else {
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "request from %s: 400 unknown requesttype", r.peer_text);
		finish(b, rsp, 400);
		return 0;
	}
	struct auth *a = calloc(1, sizeof(*a));
	if (!a) {
		finish(b, rsp, 500);
		return 0;
	}
	if (authenticate(b, &r, zn, now, proc, a, rsp) == 0) {
		snprintf(rsp->impi, sizeof(rsp->impi), "%s", a->ue->impi);
		if (mbms_km_media_type_classify(r.content_type) != body_kind[proc]) {
			bmsc_log(b, MBMS_BMSC_LOG_INFO, "%s impi=%s from %s: 415 Content-Type %.60s",
				 proc_name[proc], a->ue->impi, r.peer_text,
				 r.content_type ? r.content_type : "(none)");
			finish(b, rsp, 415);
		} else if (proc == PROC_MSK_REQUEST) {
			do_msk_request(b, &r, a, now, rsp);
		} else {
			do_register(b, &r, a, proc == PROC_REGISTER, rsp);
		}
	}
	mbms_wipe(a, sizeof(*a));
	free(a);
	return 0;
}
