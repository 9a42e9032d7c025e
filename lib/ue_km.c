/* The UE's HTTP procedures (PROFILE.md 7): announcement fetch, register,
 * deregister and the basic MSK request (TS 33.246 6.3.2.2.1), with HTTP
 * Digest qop=auth-int towards the BM-SC (username = B-TID, password =
 * base64(MRK), 10.13), the rspauth check over the response body, the 401
 * rules of 6.4 (stale nonce: retry; fresh nonce refused: bootstrap again),
 * and the bootstrap inputs. */
#include "ue_priv.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KM_QUERY "?requesttype="

/* ---- request slots ---- */

static struct ue_req *req_alloc(struct mbms_ue *ue, enum ue_req_kind kind, struct ue_service *s)
{
	for (size_t i = 0; i < UE_MAX_REQS; i++) {
		struct ue_req *r = &ue->req[i];
		if (r->used)
			continue;
		memset(r, 0, sizeof(*r));
		r->used = true;
		r->kind = kind;
		r->svc = (int)(s - ue->svc);
		r->bmsc = s->bmsc;
		return r;
	}
	return NULL;
}

void ue_req_free(struct mbms_ue *ue, struct ue_req *r)
{
	(void)ue;
	mbms_wipe(r, sizeof(*r));
}

static struct ue_req *req_by_id(struct mbms_ue *ue, uint32_t id)
{
	for (size_t i = 0; i < UE_MAX_REQS; i++)
		if (ue->req[i].used && !ue->req[i].parked && ue->req[i].id == id)
			return &ue->req[i];
	return NULL;
}

/* The request is over: the service may start its next one. */
static void req_done(struct mbms_ue *ue, struct ue_req *r)
{
	struct ue_service *s = &ue->svc[r->svc];
	if (s->inflight == (int)(r - ue->req))
		s->inflight = -1;
	ue_req_free(ue, r);
}

static void realm_of(const struct ue_bmsc *b, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s", MBMS_PROFILE_REALM_PREFIX, b->fqdn);
}

/* http://host:port/path with IPv6 hosts in brackets. */
static int set_target(struct ue_req *r, const char *host, uint16_t port, const char *uri)
{
	bool v6 = strchr(host, ':') != NULL;
	int n = snprintf(r->url, sizeof(r->url), "http://%s%s%s:%u%s", v6 ? "[" : "", host,
			 v6 ? "]" : "", (unsigned)port, uri);
	if (n < 0 || (size_t)n >= sizeof(r->url) || strlen(uri) >= sizeof(r->uri) ||
	    strlen(host) >= sizeof(r->host))
		return MBMS_ENOSPC;
	snprintf(r->uri, sizeof(r->uri), "%s", uri);
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->port = port;
	return 0;
}

/* ---- Digest (RFC 2617, qop=auth-int) ---- */

/* password = base64(MRK), MRK = Ks_NAF(BM-SC FQDN) (PROFILE.md 2, 10.13). */
static int digest_ha1(struct mbms_ue *ue, const struct ue_bmsc *b, char ha1[MBMS_DIGEST_HEX_LEN + 1])
{
	uint8_t ks_naf[MBMS_KS_NAF_LEN], mrk[MBMS_MRK_LEN];
	char password[64], realm[MBMS_KMXML_HOST_MAX + 32];
	realm_of(b, realm, sizeof(realm));
	int rc = mbms_ks_naf(ue->ks, ue->rand, ue->impi, b->fqdn, mbms_ua_id_mbms, ks_naf);
	if (rc == 0)
		rc = mbms_mrk_from_ks_naf(ks_naf, mrk);
	if (rc == 0)
		rc = mbms_base64_encode(mrk, sizeof(mrk), password, sizeof(password));
	if (rc == 0)
		rc = mbms_digest_ha1(ue->btid, realm, (const uint8_t *)password, strlen(password),
				     ha1);
	mbms_wipe(ks_naf, sizeof(ks_naf));
	mbms_wipe(mrk, sizeof(mrk));
	mbms_wipe(password, sizeof(password));
	return rc;
}

/* The Authorization header for r with the BM-SC's current nonce, or none
 * when no nonce is known yet (the BM-SC answers 401 with one). */
static int req_authorize(struct mbms_ue *ue, struct ue_req *r)
{
	struct ue_bmsc *b = &ue->bmsc[r->bmsc];
	r->with_auth = false;
	r->h_authz[0] = '\0';
	if (!b->have_nonce)
		return 0;
	char realm[MBMS_KMXML_HOST_MAX + 32], response[MBMS_DIGEST_HEX_LEN + 1];
	char value[MBMS_GBA_AUTH_MAX];
	realm_of(b, realm, sizeof(realm));
	b->nc++;
	snprintf(r->nc, sizeof(r->nc), "%08x", (unsigned)b->nc);
	int rc = ue_random_hex(ue, r->cnonce, 8);
	if (rc == 0)
		rc = digest_ha1(ue, b, r->ha1);
	if (rc == 0)
		rc = mbms_digest_response(r->ha1, b->nonce, r->nc, r->cnonce, MBMS_GBA_QOP, "POST",
					  r->uri, (const uint8_t *)r->body, r->body_len, response);
	if (rc == 0) {
		struct mbms_digest_creds c = {
			.username = ue->btid,
			.realm = realm,
			.nonce = b->nonce,
			.uri = r->uri,
			.response = response,
			.algorithm = MBMS_DIGEST_ALG_MD5,
			.qop = MBMS_GBA_QOP,
			.nc = r->nc,
			.cnonce = r->cnonce,
			.opaque = b->has_opaque ? b->opaque : NULL,
		};
		rc = mbms_digest_format_authorization(&c, value, sizeof(value));
	}
	if (rc == 0 &&
	    (size_t)snprintf(r->h_authz, sizeof(r->h_authz), "Authorization: %s", value) >=
		    sizeof(r->h_authz))
		rc = MBMS_ENOSPC;
	if (rc) {
		mbms_wipe(r->ha1, sizeof(r->ha1));
		r->h_authz[0] = '\0';
		return rc;
	}
	snprintf(r->nonce, sizeof(r->nonce), "%s", b->nonce);
	r->with_auth = true;
	return 0;
}

/* Does the qop list (a quoted "auth,auth-int") offer auth-int? */
static bool qop_offers_auth_int(const struct mbms_str *qop)
{
	char list[128];
	if (mbms_digest_unquote(qop, list, sizeof(list)) != 0)
		return false;
	char *save = NULL;
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ' || *t == '\t')
			t++;
		size_t n = strlen(t);
		while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
			t[--n] = '\0';
		if (strcmp(t, MBMS_GBA_QOP) == 0)
			return true;
	}
	return false;
}

/* Take a 401's challenge for BM-SC b: it must be Digest with our realm
 * (so the MRK never answers a foreign realm), MD5 and qop auth-int. */
static int take_challenge(struct mbms_ue *ue, struct ue_bmsc *b, const char *www, bool *stale,
			  const char **why)
{
	(void)ue;
	struct mbms_digest_fields f;
	char realm[MBMS_KMXML_HOST_MAX + 32];
	*stale = false;
	if (!www || mbms_digest_parse(www, strlen(www), true, &f) != 0) {
		*why = "no Digest challenge";
		return MBMS_ESYNTAX;
	}
	realm_of(b, realm, sizeof(realm));
	if (!mbms_digest_str_eq(&f.realm, realm)) {
		*why = "challenge for another realm";
		return MBMS_EAUTH;
	}
	if (f.algorithm.p && !mbms_digest_str_caseeq(&f.algorithm, MBMS_DIGEST_ALG_MD5)) {
		*why = "challenge algorithm is not MD5";
		return MBMS_EAUTH;
	}
	if (!qop_offers_auth_int(&f.qop)) {
		*why = "challenge does not offer qop=auth-int";
		return MBMS_EAUTH;
	}
	char nonce[UE_NONCE_MAX], opaque[UE_NONCE_MAX];
	if (mbms_digest_unquote(&f.nonce, nonce, sizeof(nonce)) != 0 || !nonce[0]) {
		*why = "challenge without a usable nonce";
		return MBMS_ESYNTAX;
	}
	bool has_opaque = f.opaque.p != NULL;
	if (has_opaque && mbms_digest_unquote(&f.opaque, opaque, sizeof(opaque)) != 0) {
		*why = "challenge with an unusable opaque";
		return MBMS_ESYNTAX;
	}
	memcpy(b->nonce, nonce, sizeof(nonce));
	b->has_opaque = has_opaque;
	if (has_opaque)
		memcpy(b->opaque, opaque, sizeof(opaque));
	b->have_nonce = true;
	b->nc = 0;
	*stale = mbms_digest_str_caseeq(&f.stale, "true");
	return 0;
}

/* A 200 must prove the BM-SC knows the MRK: Authentication-Info rspauth
 * over the response body (auth-int), compared in constant time. */
static int check_rspauth(struct mbms_ue *ue, struct ue_req *r,
			 const struct mbms_ue_http_response *rsp, const char **why)
{
	struct ue_bmsc *b = &ue->bmsc[r->bmsc];
	struct mbms_digest_fields f;
	char want[MBMS_DIGEST_HEX_LEN + 1];
	if (!r->with_auth) {
		*why = "200 to a request without credentials";
		return MBMS_EAUTH;
	}
	if (!rsp->authentication_info ||
	    mbms_digest_parse(rsp->authentication_info, strlen(rsp->authentication_info), false,
			      &f) != 0) {
		*why = "200 without a usable Authentication-Info";
		return MBMS_EAUTH;
	}
	int rc = mbms_digest_rspauth(r->ha1, r->nonce, r->nc, r->cnonce, MBMS_GBA_QOP, r->uri,
				     rsp->body, rsp->body_len, want);
	if (rc == 0)
		rc = mbms_digest_check_response(&f.rspauth, want);
	if (rc) {
		*why = "rspauth does not match the response body";
		return MBMS_EAUTH;
	}
	if ((f.cnonce.p && !mbms_digest_str_eq(&f.cnonce, r->cnonce)) ||
	    (f.nc.p && !mbms_digest_str_eq(&f.nc, r->nc)) ||
	    (f.qop.p && !mbms_digest_str_caseeq(&f.qop, MBMS_GBA_QOP))) {
		*why = "Authentication-Info names another cnonce, nc or qop";
		return MBMS_EAUTH;
	}
	char next[UE_NONCE_MAX];
	if (f.nextnonce.p && mbms_digest_unquote(&f.nextnonce, next, sizeof(next)) == 0 && next[0]) {
		memcpy(b->nonce, next, sizeof(next));
		b->nc = 0;
	}
	return 0;
}

/* ---- sending ---- */

void ue_bootstrap_start(struct mbms_ue *ue, bool refused_btid, uint64_t now)
{
	(void)now;
	if (ue->boot == BOOT_RUNNING)
		return;
	ue->boot = BOOT_RUNNING;
	struct ue_qent *e = ue_push(ue, MBMS_UE_ACT_BOOTSTRAP);
	e->act.refused_btid = refused_btid;
}

/* Hand r to the shell, after a bootstrap when the B-TID is missing or
 * expired. */
static int req_emit(struct mbms_ue *ue, struct ue_req *r, uint64_t now)
{
	struct ue_service *s = &ue->svc[r->svc];
	size_t h = 0;
	if (r->kind != REQ_ANNOUNCEMENT) {
		if (!ue_bootstrap_valid(ue, now)) {
			r->parked = true;
			if (ue->boot == BOOT_IDLE)
				ue_bootstrap_start(ue, false, now);
			return 0;
		}
		struct ue_bmsc *b = &ue->bmsc[r->bmsc];
		if (!b->have_muk || b->muk.idr_len != strlen(ue->btid) ||
		    memcmp(b->muk.idr, ue->btid, b->muk.idr_len) != 0)
			ue_bmsc_muk_derive(ue, b, true);
		int rc = req_authorize(ue, r);
		if (rc)
			return rc;
	}
	r->parked = false;
	r->id = ++ue->next_id;
	if (r->id == 0)
		r->id = ++ue->next_id;
	snprintf(r->h_ua, sizeof(r->h_ua), "User-Agent: %s", MBMS_UE_USER_AGENT);
	r->headers[h++] = r->h_ua;
	if (r->h_accept[0])
		r->headers[h++] = r->h_accept;
	if (r->kind != REQ_ANNOUNCEMENT) {
		r->headers[h++] = r->h_ctype;
		if (r->h_port[0])
			r->headers[h++] = r->h_port;
		if (r->with_auth)
			r->headers[h++] = r->h_authz;
	}
	r->headers[h] = NULL;
	struct ue_qent *e = ue_push(ue, MBMS_UE_ACT_HTTP);
	struct mbms_ue_http_request *q = &e->act.http;
	q->id = r->id;
	q->method = r->kind == REQ_ANNOUNCEMENT ? "GET" : "POST";
	q->url = r->url;
	q->host = r->host;
	q->port = r->port;
	q->headers = r->headers;
	q->body = r->kind == REQ_ANNOUNCEMENT ? NULL : (const uint8_t *)r->body;
	q->body_len = r->kind == REQ_ANNOUNCEMENT ? 0 : r->body_len;
	ue->cnt.http_requests++;
	(void)s;
	return 0;
}

/* host and port of an announcement URL http://host[:port]/path. */
static int split_url(const char *url, char *host, size_t cap, uint16_t *port, const char **path)
{
	const char *p = strstr(url, "://");
	if (!p || strncmp(url, "http://", 7) != 0)
		return MBMS_EINVAL;
	p += 3;
	const char *end;
	if (*p == '[') {
		p++;
		end = strchr(p, ']');
		if (!end)
			return MBMS_EINVAL;
	} else {
		end = p + strcspn(p, ":/");
	}
	size_t n = (size_t)(end - p);
	if (n == 0 || n >= cap)
		return MBMS_EINVAL;
	memcpy(host, p, n);
	host[n] = '\0';
	if (*end == ']')
		end++;
	*port = 80;
	if (*end == ':') {
		char *stop;
		unsigned long v = strtoul(end + 1, &stop, 10);
		if (stop == end + 1 || v == 0 || v > 65535)
			return MBMS_EINVAL;
		*port = (uint16_t)v;
		end = stop;
	}
	*path = *end ? end : "/";
	return **path == '/' ? 0 : MBMS_EINVAL;
}

int ue_send_announcement(struct mbms_ue *ue, struct ue_service *s, uint64_t now)
{
	struct ue_req *r = req_alloc(ue, REQ_ANNOUNCEMENT, s);
	if (!r)
		return MBMS_ENOSPC;
	const char *path;
	uint16_t port;
	char host[MBMS_KMXML_HOST_MAX + 1];
	int rc = split_url(s->ann_url, host, sizeof(host), &port, &path);
	if (rc == 0)
		rc = set_target(r, host, port, path);
	if (rc) {
		ue_req_free(ue, r);
		ue_leave(ue, s, now, "%s", "the announcement URL is not usable");
		return rc;
	}
	snprintf(r->h_accept, sizeof(r->h_accept), "Accept: %s",
		 MBMS_MEDIA_TYPE_PROTECTION_DESCRIPTION);
	s->inflight = (int)(r - ue->req);
	return req_emit(ue, r, now);
}

/* Headers every key-management POST carries. */
static void km_headers(struct mbms_ue *ue, struct ue_req *r, const char *ctype, const char *accept,
		       bool ue_port)
{
	snprintf(r->h_ctype, sizeof(r->h_ctype), "Content-Type: %s", ctype);
	snprintf(r->h_accept, sizeof(r->h_accept), "Accept: %s", accept);
	r->h_port[0] = '\0';
	/* PROFILE.md 10.14: where our MIKEY socket listens. */
	if (ue_port && ue->cfg.mikey_port)
		snprintf(r->h_port, sizeof(r->h_port), "%s: %u", MBMS_PROFILE_UE_PORT_HEADER,
			 (unsigned)ue->cfg.mikey_port);
}

int ue_send_register(struct mbms_ue *ue, struct ue_service *s, bool deregister, uint64_t now)
{
	if (s->bmsc < 0)
		return MBMS_ESTATE;
	struct ue_req *r = req_alloc(ue, deregister ? REQ_DEREGISTER : REQ_REGISTER, s);
	if (!r)
		return MBMS_ENOSPC;
	struct ue_bmsc *b = &ue->bmsc[s->bmsc];
	struct mbms_km_service_list *list = calloc(1, sizeof(*list));
	if (!list) {
		ue_req_free(ue, r);
		return MBMS_ENOMEM;
	}
	list->count = 1;
	snprintf(list->service_id[0], sizeof(list->service_id[0]), "%s", s->id);
	int rc = deregister ? mbms_km_deregister_write(list, r->body, sizeof(r->body), &r->body_len)
			    : mbms_km_register_write(list, r->body, sizeof(r->body), &r->body_len);
	free(list);
	if (rc == 0)
		rc = set_target(r, b->fqdn, b->port,
				deregister ? MBMS_PROFILE_KM_PATH KM_QUERY "deregister"
					   : MBMS_PROFILE_KM_PATH KM_QUERY "register");
	if (rc) {
		ue_req_free(ue, r);
		return rc;
	}
	km_headers(ue, r, deregister ? MBMS_MEDIA_TYPE_DEREGISTER : MBMS_MEDIA_TYPE_REGISTER,
		   MBMS_MEDIA_TYPE_REGISTER_RESPONSE, !deregister);
	if (!deregister)
		s->inflight = (int)(r - ue->req);
	rc = req_emit(ue, r, now);
	if (rc) {
		if (!deregister)
			s->inflight = -1;
		ue_req_free(ue, r);
	}
	return rc;
}

/* The basic MSK request (6.2) for every item that is due. */
int ue_send_msk_request(struct mbms_ue *ue, struct ue_service *s, uint64_t now)
{
	struct ue_req *r = req_alloc(ue, REQ_MSK, s);
	if (!r)
		return MBMS_ENOSPC;
	struct ue_bmsc *b = &ue->bmsc[s->bmsc];
	struct mbms_km_msk_request *q = calloc(1, sizeof(*q));
	if (!q) {
		ue_req_free(ue, r);
		return MBMS_ENOMEM;
	}
	memcpy(q->key_domain_id, s->ann.key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	for (size_t i = 0; i < s->nitems; i++) {
		struct ue_item *it = &s->item[i];
		if (it->state != ITEM_SCHEDULED || it->due > now)
			continue;
		it->state = ITEM_INFLIGHT;
		it->pushed = false;
		r->item_idx[r->nids++] = (uint16_t)i;
		bool dup = false;
		for (size_t k = 0; k < q->count; k++)
			dup |= q->msk_id[k] == it->req_msk_id;
		if (!dup)
			q->msk_id[q->count++] = it->req_msk_id;
	}
	int rc = mbms_km_msk_request_write(q, r->body, sizeof(r->body), &r->body_len);
	free(q);
	if (rc == 0)
		rc = set_target(r, b->fqdn, b->port, MBMS_PROFILE_KM_PATH KM_QUERY "msk-request");
	if (rc) {
		for (size_t i = 0; i < r->nids; i++)
			s->item[r->item_idx[i]].state = ITEM_GAVE_UP;
		ue_req_free(ue, r);
		ue_event(ue, MBMS_UE_EV_ERROR, s, true, "cannot build the MSK request: %s",
			 mbms_strerror(rc));
		ue_service_check(ue, s, now);
		return rc;
	}
	km_headers(ue, r, MBMS_MEDIA_TYPE_MSK_REQUEST, MBMS_MEDIA_TYPE_MSK_RESPONSE, true);
	s->inflight = (int)(r - ue->req);
	ue->cnt.msk_requests++;
	return req_emit(ue, r, now);
}

/* ---- outcomes ---- */

/* A failure that may go away: 5xx, no answer, a 200 we could not trust. */
static void transient_failure(struct mbms_ue *ue, struct ue_req *r, uint64_t now, const char *what)
{
	struct ue_service *s = &ue->svc[r->svc];
	enum ue_req_kind kind = r->kind;
	size_t nids = r->nids;
	uint16_t idx[UE_MAX_ITEMS];
	memcpy(idx, r->item_idx, sizeof(idx));
	req_done(ue, r);
	switch (kind) {
	case REQ_ANNOUNCEMENT:
		if (++s->ann_attempts >= ue->cfg.max_attempts) {
			ue_leave(ue, s, now, "no announcement: %s", what);
			return;
		}
		s->ann_due = now + ue_backoff_ms(ue, NULL, WHY_RETRY, s->ann_attempts);
		ue_event(ue, MBMS_UE_EV_ERROR, s, true, "announcement: %s; retrying", what);
		return;
	case REQ_REGISTER:
		if (++s->reg_attempts >= ue->cfg.max_attempts) {
			if (s->reregister) {
				s->reregister = false;
				ue_event(ue, MBMS_UE_EV_ERROR, s, true,
					 "registering the new B-TID failed: %s; gave up", what);
				return;
			}
			ue_leave(ue, s, now, "registration failed: %s", what);
			return;
		}
		s->reg_due = now + ue_backoff_ms(ue, s, WHY_RETRY, s->reg_attempts);
		ue_event(ue, MBMS_UE_EV_ERROR, s, true, "registration: %s; retrying", what);
		return;
	case REQ_MSK:
		for (size_t i = 0; i < nids; i++)
			ue_item_failed(ue, s, &s->item[idx[i]], now, what);
		ue_service_check(ue, s, now);
		return;
	case REQ_DEREGISTER:
		ue_event(ue, MBMS_UE_EV_ERROR, s, false, "deregistration: %s (not retried)", what);
		return;
	}
}

/* A refusal that will not go away by itself (4xx, refused credentials). */
static void permanent_failure(struct mbms_ue *ue, struct ue_req *r, uint64_t now, const char *what)
{
	struct ue_service *s = &ue->svc[r->svc];
	enum ue_req_kind kind = r->kind;
	size_t nids = r->nids;
	uint16_t idx[UE_MAX_ITEMS];
	memcpy(idx, r->item_idx, sizeof(idx));
	req_done(ue, r);
	switch (kind) {
	case REQ_ANNOUNCEMENT:
		ue_leave(ue, s, now, "no announcement: %s", what);
		return;
	case REQ_REGISTER:
		ue_leave(ue, s, now, "registration refused: %s", what);
		return;
	case REQ_MSK:
		for (size_t i = 0; i < nids; i++)
			s->item[idx[i]].state = ITEM_GAVE_UP;
		ue_event(ue, MBMS_UE_EV_ERROR, s, true, "MSK request refused: %s", what);
		ue_service_check(ue, s, now);
		return;
	case REQ_DEREGISTER:
		ue_event(ue, MBMS_UE_EV_ERROR, s, false, "deregistration refused: %s", what);
		return;
	}
}

static void on_announcement(struct mbms_ue *ue, struct ue_req *r,
			    const struct mbms_ue_http_response *rsp, uint64_t now)
{
	struct ue_service *s = &ue->svc[r->svc];
	char what[64];
	if (rsp->status != 200) {
		snprintf(what, sizeof(what), "HTTP %ld", rsp->status);
		if (rsp->status >= 500)
			transient_failure(ue, r, now, what);
		else
			permanent_failure(ue, r, now, what);
		return;
	}
	if (mbms_km_media_type_classify(rsp->content_type) != MBMS_KM_BODY_PROTECTION_DESCRIPTION) {
		permanent_failure(ue, r, now, "the answer is not a protection description");
		return;
	}
	req_done(ue, r);
	int rc = ue_parse_announcement(ue, s, (const char *)rsp->body, rsp->body_len, now);
	if (rc == MBMS_ESTATE)
		return; /* refused (UICC), already reported */
	if (rc) {
		ue_leave(ue, s, now, "the announcement is not usable: %s", mbms_strerror(rc));
		return;
	}
}

static void on_register(struct mbms_ue *ue, struct ue_req *r,
			const struct mbms_ue_http_response *rsp, uint64_t now)
{
	struct ue_service *s = &ue->svc[r->svc];
	bool dereg = r->kind == REQ_DEREGISTER;
	if (mbms_km_media_type_classify(rsp->content_type) != MBMS_KM_BODY_REGISTER_RESPONSE) {
		transient_failure(ue, r, now, "the answer is not a registration response");
		return;
	}
	struct mbms_km_register_response *res = malloc(sizeof(*res));
	if (!res) {
		transient_failure(ue, r, now, "out of memory");
		return;
	}
	int rc = mbms_km_register_response_parse((const char *)rsp->body, rsp->body_len, res);
	long status = -1;
	for (size_t i = 0; rc == 0 && i < res->count; i++)
		if (strcmp(res->item[i].service_id, s->id) == 0)
			status = res->item[i].status;
	free(res);
	char what[64];
	if (rc) {
		transient_failure(ue, r, now, "malformed registration response");
		return;
	}
	if (dereg) {
		req_done(ue, r);
		ue_event(ue, MBMS_UE_EV_DEREGISTERED, s, false, "deregistered (status %ld)", status);
		return;
	}
	if (status == 200) {
		req_done(ue, r);
		s->registered = true;
		s->reg_attempts = 0;
		s->reg_due = UE_NEVER;
		ue->save_pending = true;
		if (s->reregister) {
			s->reregister = false;
			ue_event(ue, MBMS_UE_EV_REGISTERED, s, false, "registered again with B-TID %s",
				 ue->btid);
			return;
		}
		ue_event(ue, MBMS_UE_EV_REGISTERED, s, false, "registered with %s",
			 ue->bmsc[s->bmsc].fqdn);
		s->state = MBMS_UE_SVC_KEYS;
		/* 10.19: registration pushes nothing; ask for the MSKs at once (6.1). */
		for (size_t i = 0; i < s->nitems; i++)
			ue_item_schedule(ue, s, &s->item[i], WHY_USER, now);
		ue_service_check(ue, s, now);
		return;
	}
	if (status == 503 || status == 500 || status < 0) {
		snprintf(what, sizeof(what), status < 0 ? "no result for the service" : "status %ld",
			 status);
		transient_failure(ue, r, now, what);
		return;
	}
	snprintf(what, sizeof(what), "status %ld (not authorised for the service)", status);
	permanent_failure(ue, r, now, what);
}

static void on_msk_response(struct mbms_ue *ue, struct ue_req *r,
			    const struct mbms_ue_http_response *rsp, uint64_t now)
{
	struct ue_service *s = &ue->svc[r->svc];
	if (mbms_km_media_type_classify(rsp->content_type) != MBMS_KM_BODY_MSK_RESPONSE) {
		transient_failure(ue, r, now, "the answer is not an MSK response");
		return;
	}
	struct mbms_km_msk_response *res = malloc(sizeof(*res));
	if (!res) {
		transient_failure(ue, r, now, "out of memory");
		return;
	}
	if (mbms_km_msk_response_parse((const char *)rsp->body, rsp->body_len, res) != 0) {
		free(res);
		transient_failure(ue, r, now, "malformed MSK response");
		return;
	}
	size_t nids = r->nids;
	uint16_t idx[UE_MAX_ITEMS];
	memcpy(idx, r->item_idx, sizeof(idx));
	req_done(ue, r);
	for (size_t i = 0; i < nids; i++) {
		struct ue_item *it = &s->item[idx[i]];
		long status = -1;
		/* 10.17: an item for Key Number 0 is answered with the ID asked for. */
		for (size_t k = 0; k < res->count; k++)
			if (res->item[k].msk_id == it->req_msk_id &&
			    memcmp(res->item[k].key_domain_id, s->ann.key_domain_id,
				   MBMS_KEY_DOMAIN_ID_LEN) == 0)
				status = res->item[k].status;
		it->last_status = status < 0 ? 0 : (uint16_t)status;
		ue_event(ue, MBMS_UE_EV_KEY_STATUS, s, status != 200, "MSK %08x: status %ld",
			 (unsigned)it->req_msk_id, status);
		switch (status) {
		case 200:
			if (it->pushed) {
				it->state = ITEM_OK;
				it->attempts = 0;
			} else {
				it->state = ITEM_GRANTED;
				it->grant_deadline = now + ue->cfg.push_timeout_ms;
			}
			break;
		case 500:
		case 503: /* 10.18: retry after back-off */
			ue_item_failed(ue, s, it, now,
				       status == 503 ? "temporarily unavailable (503)"
						     : "server error (500)");
			break;
		case -1:
			ue_item_failed(ue, s, it, now, "no result for it in the response");
			break;
		default: /* 400, 403, 404: stop asking for that key (10.18) */
			it->state = ITEM_GAVE_UP;
			break;
		}
	}
	free(res);
	ue_service_check(ue, s, now);
}

/* 401: PROFILE.md 6.4. A stale nonce, or a first/cached nonce refused, is
 * answered with the new nonce; a fresh nonce refused means the BM-SC does
 * not know our B-TID (expired, unknown): bootstrap again, once. */
static void on_401(struct mbms_ue *ue, struct ue_req *r, const struct mbms_ue_http_response *rsp,
		   uint64_t now)
{
	struct ue_service *s = &ue->svc[r->svc];
	struct ue_bmsc *b = &ue->bmsc[r->bmsc];
	bool stale;
	const char *why = "";
	ue->cnt.http_401++;
	if (take_challenge(ue, b, rsp->www_authenticate, &stale, &why) != 0) {
		ue_event(ue, MBMS_UE_EV_AUTH, s, true, "401 not answered: %s", why);
		transient_failure(ue, r, now, why);
		return;
	}
	if (++r->rounds > UE_MAX_AUTH_ROUNDS) {
		permanent_failure(ue, r, now, "authentication did not converge");
		return;
	}
	if (r->with_auth && r->nonce_fresh && !stale) {
		if (r->rebootstrapped) {
			ue_event(ue, MBMS_UE_EV_AUTH, s, true,
				 "the BM-SC refused our credentials after a fresh bootstrap");
			permanent_failure(ue, r, now, "the BM-SC refused our credentials (401)");
			return;
		}
		ue_event(ue, MBMS_UE_EV_AUTH, s, true,
			 "the BM-SC refused B-TID %s (401 on a fresh nonce): bootstrapping again",
			 ue->btid);
		r->rebootstrapped = true;
		r->parked = true;
		ue_bootstrap_start(ue, true, now);
		return;
	}
	ue_event(ue, MBMS_UE_EV_AUTH, s, false, "%s",
		 stale ? "nonce stale: answering the new one" : "Digest challenge: answering it");
	r->nonce_fresh = true;
	if (req_emit(ue, r, now) != 0)
		permanent_failure(ue, r, now, "cannot build the Authorization");
}

int mbms_ue_http_response(struct mbms_ue *ue, uint32_t id, const struct mbms_ue_http_response *rsp,
			  uint64_t now_ms)
{
	if (!ue || !rsp)
		return MBMS_EINVAL;
	struct ue_req *r = req_by_id(ue, id);
	if (!r)
		return MBMS_ENOTFOUND;
	struct ue_service *s = &ue->svc[r->svc];
	char what[64];
	if (r->kind == REQ_ANNOUNCEMENT) {
		on_announcement(ue, r, rsp, now_ms);
	} else if (rsp->status == 401) {
		on_401(ue, r, rsp, now_ms);
	} else if (rsp->status == 200) {
		const char *why = "";
		if (check_rspauth(ue, r, rsp, &why) != 0) {
			ue->cnt.rspauth_failures++;
			ue_event(ue, MBMS_UE_EV_AUTH, s, true, "answer refused: %s", why);
			transient_failure(ue, r, now_ms, why);
		} else if (r->kind == REQ_MSK) {
			on_msk_response(ue, r, rsp, now_ms);
		} else {
			on_register(ue, r, rsp, now_ms);
		}
	} else if (rsp->status >= 500 || rsp->status < 100) {
		snprintf(what, sizeof(what), "HTTP %ld", rsp->status);
		transient_failure(ue, r, now_ms, what);
	} else {
		snprintf(what, sizeof(what), "HTTP %ld", rsp->status);
		permanent_failure(ue, r, now_ms, what);
	}
	ue_advance(ue, s, now_ms);
	ue_finish(ue);
	return 0;
}

int mbms_ue_http_failed(struct mbms_ue *ue, uint32_t id, uint64_t now_ms)
{
	if (!ue)
		return MBMS_EINVAL;
	struct ue_req *r = req_by_id(ue, id);
	if (!r)
		return MBMS_ENOTFOUND;
	struct ue_service *s = &ue->svc[r->svc];
	transient_failure(ue, r, now_ms, "no answer from the server");
	ue_advance(ue, s, now_ms);
	ue_finish(ue);
	return 0;
}

/* ---- bootstrap results ---- */

int mbms_ue_bootstrap_done(struct mbms_ue *ue, const char *btid, const uint8_t ks[MBMS_KS_LEN],
			   uint64_t expires_at_s, uint64_t now_ms)
{
	if (!ue || !btid || !ks)
		return MBMS_EINVAL;
	uint8_t rand[MBMS_GBA_RAND_LEN];
	const char *host;
	if (strlen(btid) >= sizeof(ue->btid) || mbms_btid_parse(btid, rand, &host) != 0)
		return MBMS_EINVAL;
	bool refresh = ue->boot_refresh;
	bool changed = ue->have_boot && strcmp(ue->btid, btid) != 0;
	memcpy(ue->ks, ks, MBMS_KS_LEN);
	memcpy(ue->rand, rand, sizeof(rand));
	snprintf(ue->btid, sizeof(ue->btid), "%s", btid);
	ue->expires_s = expires_at_s;
	ue->boot_at_s = now_ms / 1000;
	ue->have_boot = true;
	ue->boot = BOOT_IDLE;
	ue->boot_attempts = 0;
	ue->boot_refresh = false;
	ue->refresh_hold = false;
	ue->cnt.bootstraps++;
	ue->save_pending = true;
	for (size_t i = 0; i < MBMS_UE_MAX_BMSCS; i++)
		if (ue->bmsc[i].used)
			ue_bmsc_muk_derive(ue, &ue->bmsc[i], true);
	ue_event(ue, MBMS_UE_EV_BOOTSTRAPPED, NULL, false, "B-TID %s, expires at %llu",
		 ue->btid, (unsigned long long)expires_at_s);
	/* The BM-SC pushes with the MUK of the B-TID it last saw (10.20): tell
	 * it the new one, unless a request under way does that anyway. */
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES; i++) {
		struct ue_service *s = &ue->svc[i];
		if (s->used && s->registered && s->inflight < 0 && (refresh || changed)) {
			s->reregister = true;
			s->reg_due = now_ms;
			s->reg_attempts = 0;
		}
	}
	for (size_t i = 0; i < UE_MAX_REQS; i++) {
		struct ue_req *r = &ue->req[i];
		if (r->used && r->parked && req_emit(ue, r, now_ms) != 0)
			permanent_failure(ue, r, now_ms, "cannot build the request");
	}
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES; i++)
		if (ue->svc[i].used)
			ue_advance(ue, &ue->svc[i], now_ms);
	ue_finish(ue);
	return 0;
}

int mbms_ue_bootstrap_failed(struct mbms_ue *ue, int err, uint64_t now_ms)
{
	if (!ue)
		return MBMS_EINVAL;
	ue->boot = BOOT_IDLE;
	ue->boot_attempts++;
	if (err == MBMS_EAUTH || ue->boot_attempts >= ue->cfg.max_attempts) {
		ue_event(ue, MBMS_UE_EV_ERROR, NULL, true, "bootstrap failed: %s; gave up",
			 mbms_strerror(err));
		ue->boot_attempts = 0;
		if (ue->boot_refresh)
			ue->refresh_hold = true;
		ue->boot_refresh = false;
		for (size_t i = 0; i < UE_MAX_REQS; i++) {
			struct ue_req *r = &ue->req[i];
			if (!r->used || !r->parked)
				continue;
			if (r->kind == REQ_DEREGISTER) {
				ue_req_free(ue, r);
				continue;
			}
			permanent_failure(ue, r, now_ms, "bootstrapping with the BSF failed");
		}
	} else {
		ue->boot = BOOT_RETRY;
		ue->boot_due = now_ms + ue_backoff_ms(ue, NULL, WHY_RETRY, ue->boot_attempts);
		ue_event(ue, MBMS_UE_EV_ERROR, NULL, true, "bootstrap failed: %s; retrying",
			 mbms_strerror(err));
	}
	ue_finish(ue);
	return 0;
}
