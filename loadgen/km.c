/* Key management over HTTP (PROFILE.md 7): registration and basic MSK
 * requests of the simulated UEs, with HTTP Digest qop=auth-int whose
 * password is base64(MRK) (10.13), the nonce of the UE's last 401 and a
 * counting nc, X-MBMS-UE-Port (10.14); every 200 must carry a valid
 * rspauth over its body and a body the library's parser accepts.
 *
 * A UE is only ever used by one connection (no two requests of one UE in
 * flight: its nc must arrive in order), and connection k carries UEs of
 * IP group k % G, bound to that IP: the BM-SC records the request's source
 * IP as the UE's, and pushes there. */
#include "lg.h"

#include "mbmssec/crypto.h"
#include "mbmssec/digest.h"
#include "mbmssec/error.h"
#include "mbmssec/kmxml.h"
#include "mbmssec/profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KM_MAX_TRIES 4

enum km_kind {
	KM_REGISTER = 0,
	KM_MSK = 1,
};

static const char *const km_type[] = {"register", "msk-request"};
static const char *const km_ctype[] = {MBMS_MEDIA_TYPE_REGISTER, MBMS_MEDIA_TYPE_MSK_REQUEST};

struct km_conn {
	bool active;     /* a UE's request is under way (maybe waiting to be sent again) */
	uint64_t ue;
	unsigned tries;
	char nc[9];
	char cnonce[17];
	double t_start;
	uint64_t cursor; /* the next of this connection's UEs (index t of s = j + k t) */
	bool exhausted;  /* register: every UE of this connection was taken */
};

struct km_run {
	enum km_kind kind;
	struct lg_phase *ph, *push_ph;
	struct km_conn *cs;
	char body[1024];
	size_t body_len;
	char uri[128];
	char host[300];
	char realm[MBMS_GBA_HOST_MAX + 32];
	uint64_t target;   /* requests to finish */
	uint64_t issued, finished;
	double t0, t_end;  /* t_end: no new request after this (0: none) */
	unsigned groups;
	uint64_t expected; /* pushes the granted items ask for */
	char good[1024];   /* an MSK response body parsed and found good */
	size_t good_len;
};

static struct km_run *g_km;

void lg_ue_btid(const struct lg_opts *o, const struct lg_ue *u, char *out, size_t cap)
{
	snprintf(out, cap, "%.*s@%s", LG_RAND_B64, u->btid_rand, o->bsf_host);
}

/* HA1 = MD5(B-TID ":" realm ":" base64(MRK)), kept per UE (PROFILE.md 7). */
int lg_ue_prepare_auth(const struct lg_opts *o, struct lg_ue *u)
{
	char btid[MBMS_GBA_BTID_MAX], realm[MBMS_GBA_HOST_MAX + 32], pw[64];
	lg_ue_btid(o, u, btid, sizeof(btid));
	snprintf(realm, sizeof(realm), MBMS_PROFILE_REALM_PREFIX "%s", o->fqdn);
	int rc = mbms_base64_encode(u->muk, sizeof(u->muk), pw, sizeof(pw));
	if (rc == 0)
		rc = mbms_digest_ha1(btid, realm, (const uint8_t *)pw, strlen(pw), u->ha1);
	mbms_wipe(pw, sizeof(pw));
	return rc;
}

/* The connection's UEs: group g = k % G; the k_g connections of a group
 * share its S UEs by s mod k_g. */
static bool take_ue(const struct lg_opts *o, unsigned k, struct km_conn *kc, bool wrap,
		    uint64_t *ue)
{
	unsigned G = g_km->groups, C = o->conns;
	unsigned g = k % G, j = k / G, kg = (C - 1 - g) / G + 1;
	for (int pass = 0; pass < 2; pass++) {
		uint64_t s = j + (uint64_t)kg * kc->cursor;
		uint64_t i = (uint64_t)g * o->udp_socks + s;
		if (s < o->udp_socks && i < o->n) {
			kc->cursor++;
			*ue = i;
			return true;
		}
		if (!wrap || kc->cursor == 0)
			return false;
		kc->cursor = 0;
	}
	return false;
}

static bool km_next(struct lg *L, struct lg_conn *c, unsigned group, char *buf, size_t cap,
		    size_t *len, uint64_t *tag)
{
	(void)group;
	const struct lg_opts *o = lg_opts_of(L);
	struct km_run *k = g_km;
	unsigned ci = lg_conn_index(c);
	struct km_conn *kc = &k->cs[ci];
	if (!kc->active) {
		if (k->issued >= k->target || (k->t_end > 0 && lg_now() >= k->t_end) ||
		    (o->rate > 0 && (double)k->issued >= (lg_now() - k->t0) * o->rate + 1))
			return false;
		uint64_t ue;
		for (;;) {
			if (kc->exhausted || !take_ue(o, ci, kc, k->kind == KM_MSK, &ue)) {
				kc->exhausted = true;
				return false;
			}
			if (lg_ues(L)[ue].state != LG_UE_FAILED)
				break;
		}
		kc->active = true;
		kc->ue = ue;
		kc->tries = 0;
		kc->t_start = lg_now();
		k->issued++;
	}
	struct lg_ue *u = &lg_ues(L)[kc->ue];
	char authz[1024] = "";
	if (u->nonce[0]) {
		/* RFC 2617 3.2.2 with qop=auth-int: the body is covered */
		char btid[MBMS_GBA_BTID_MAX], response[MBMS_DIGEST_HEX_LEN + 1];
		lg_ue_btid(o, u, btid, sizeof(btid));
		snprintf(kc->nc, sizeof(kc->nc), "%08x", ++u->nc);
		snprintf(kc->cnonce, sizeof(kc->cnonce), "%016llx", (unsigned long long)lg_rand64());
		if (mbms_digest_response(u->ha1, u->nonce, kc->nc, kc->cnonce, "auth-int", "POST",
					 k->uri, (const uint8_t *)k->body, k->body_len, response))
			return false;
		struct mbms_digest_creds cr = {
			.username = btid, .realm = k->realm, .nonce = u->nonce, .uri = k->uri,
			.response = response, .algorithm = MBMS_DIGEST_ALG_MD5, .qop = "auth-int",
			.nc = kc->nc, .cnonce = kc->cnonce,
		};
		char v[1000];
		if (mbms_digest_format_authorization(&cr, v, sizeof(v)))
			return false;
		snprintf(authz, sizeof(authz), "Authorization: %s\r\n", v);
	}
	int n = snprintf(buf, cap,
			 "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: " LG_USER_AGENT
			 "\r\nContent-Type: %s\r\n%s" MBMS_PROFILE_UE_PORT_HEADER
			 ": %u\r\nContent-Length: %zu\r\n\r\n",
			 k->uri, k->host, km_ctype[k->kind],
			 authz, lg_udp_port(L, lg_sock_of(o, kc->ue)), k->body_len);
	if (n < 0 || (size_t)n + k->body_len > cap)
		return false;
	memcpy(buf + n, k->body, k->body_len);
	*len = (size_t)n + k->body_len;
	*tag = kc->ue;
	return true;
}

static void km_finish(struct lg *L, struct km_conn *kc, bool ok)
{
	struct km_run *k = g_km;
	if (ok) {
		k->ph->done++;
		lg_hist_add(&k->ph->lat, (lg_now() - kc->t_start) * 1e6);
		if (k->kind == KM_REGISTER)
			lg_ues(L)[kc->ue].state = LG_UE_REGISTERED;
	} else {
		k->ph->errors++;
	}
	k->finished++;
	kc->active = false;
}

/* The nonce of a challenge into the UE (stale or first contact). */
static int take_nonce(struct lg_ue *u, const char *www)
{
	struct mbms_digest_fields f;
	if (!www || mbms_digest_parse(www, strlen(www), true, &f) != 0 ||
	    mbms_digest_unquote(&f.nonce, u->nonce, sizeof(u->nonce)) != 0) {
		u->nonce[0] = '\0';
		return -1;
	}
	u->nc = 0;
	return 0;
}

static bool body_ok(struct lg *L, struct km_conn *kc, const struct lg_http_rsp *rsp)
{
	const struct lg_opts *o = lg_opts_of(L);
	struct km_run *k = g_km;
	struct lg_stats *st = &lg_rep(L)->st;
	struct lg_ue *u = &lg_ues(L)[kc->ue];
	/* rspauth over the response body (RFC 2617 3.2.3, auth-int) */
	struct mbms_digest_fields f;
	char want[MBMS_DIGEST_HEX_LEN + 1];
	const char *ai = rsp->authentication_info;
	if (!ai || mbms_digest_parse(ai, strlen(ai), false, &f) != 0 ||
	    mbms_digest_rspauth(u->ha1, u->nonce, kc->nc, kc->cnonce, "auth-int", k->uri,
				rsp->body, rsp->body_len, want) != 0 ||
	    mbms_digest_check_response(&f.rspauth, want) != 0) {
		st->rspauth_bad++;
		return false;
	}
	if (k->kind == KM_REGISTER) {
		static struct mbms_km_register_response rr;
		if (mbms_km_register_response_parse((const char *)rsp->body, rsp->body_len, &rr) ||
		    rr.count != 1) {
			st->body_bad++;
			return false;
		}
		if (rr.item[0].status != 200) {
			st->items_other++;
			return false;
		}
		st->items_200++;
		return true;
	}
	/* The answer to the same request is the same body: one that equals a
	 * body already parsed and found good needs no second parse (its rspauth
	 * above was checked all the same). */
	if (!(k->good_len && rsp->body_len == k->good_len &&
	      memcmp(rsp->body, k->good, k->good_len) == 0)) {
		struct mbms_km_msk_response mr;
		if (mbms_km_msk_response_parse((const char *)rsp->body, rsp->body_len, &mr) ||
		    mr.count != 1 || mr.item[0].msk_id != ((uint32_t)o->key_group << 16)) {
			st->body_bad++;
			return false;
		}
		if (mr.item[0].status != 200) {
			st->items_other++;
			return false;
		}
		if (rsp->body_len <= sizeof(k->good)) {
			memcpy(k->good, rsp->body, rsp->body_len);
			k->good_len = rsp->body_len;
		}
	}
	st->items_200++;
	u->pushes_expected++; /* the MSK follows over MIKEY (maybe already came) */
	k->expected++;
	if (k->push_ph)
		k->push_ph->target++;
	return true;
}

static void km_response(struct lg *L, struct lg_conn *c, uint64_t tag,
			const struct lg_http_rsp *rsp)
{
	(void)tag;
	struct km_run *k = g_km;
	struct km_conn *kc = &k->cs[lg_conn_index(c)];
	if (!kc->active)
		return;
	struct lg_ue *u = &lg_ues(L)[kc->ue];
	if (rsp->status == 401) {
		/* first contact, stale or evicted nonce: answer the new challenge */
		if (take_nonce(u, rsp->www_authenticate) == 0 && ++kc->tries < KM_MAX_TRIES) {
			lg_rep(L)->st.auth_retries++;
			return; /* sent again as this connection's next request */
		}
		km_finish(L, kc, false);
		return;
	}
	km_finish(L, kc, rsp->status == 200 && body_ok(L, kc, rsp));
}

static void km_failed(struct lg *L, struct lg_conn *c, uint64_t tag)
{
	(void)tag;
	struct km_conn *kc = &g_km->cs[lg_conn_index(c)];
	if (kc->active && ++kc->tries >= KM_MAX_TRIES)
		km_finish(L, kc, false);
	/* else the same request goes again once the connection is back */
}

static bool km_push(struct lg *L, uint64_t ue, uint32_t msk_id, bool trigger)
{
	const struct lg_opts *o = lg_opts_of(L);
	struct lg_stats *st = &lg_rep(L)->st;
	struct lg_ue *u = &lg_ues(L)[ue];
	if (trigger || (msk_id >> 16) != o->key_group) {
		st->push_unexpected++;
		return true;
	}
	u->pushes_expected--;
	if (g_km && g_km->push_ph) {
		g_km->push_ph->done++;
		g_km->push_ph->t1 = lg_now();
	}
	return true;
}

static int km_phase(struct lg *L, enum km_kind kind, struct lg_phase *ph,
		    struct lg_phase *push_ph, uint64_t target, double duration, char *err,
		    size_t cap)
{
	const struct lg_opts *o = lg_opts_of(L);
	struct lg_target t;
	if (lg_target_parse(o->bmsc_url, o->fqdn, &t, err, cap))
		return -1;
	static struct km_run k;
	memset(&k, 0, sizeof(k));
	k.kind = kind;
	k.ph = ph;
	k.push_ph = push_ph;
	k.target = target;
	k.t0 = lg_now();
	k.t_end = duration > 0 ? k.t0 + duration : 0;
	k.groups = lg_ip_count(o);
	if (k.groups > o->conns) {
		snprintf(err, cap, "%u IP groups but %u connections: every group needs one (use "
				   "--udp-sockets >= UEs / connections)",
			 k.groups, o->conns);
		return -1;
	}
	snprintf(k.host, sizeof(k.host), "%s", t.host);
	snprintf(k.uri, sizeof(k.uri), MBMS_PROFILE_KM_PATH "?requesttype=%s", km_type[kind]);
	snprintf(k.realm, sizeof(k.realm), MBMS_PROFILE_REALM_PREFIX "%s", o->fqdn);
	int rc;
	if (kind == KM_REGISTER) {
		static struct mbms_km_service_list sl;
		memset(&sl, 0, sizeof(sl));
		sl.count = 1;
		snprintf(sl.service_id[0], sizeof(sl.service_id[0]), "%s", o->service);
		rc = mbms_km_register_write(&sl, k.body, sizeof(k.body), &k.body_len);
	} else {
		struct mbms_km_msk_request mr = {.count = 1};
		memcpy(mr.key_domain_id, o->key_domain, 3);
		mr.msk_id[0] = (uint32_t)o->key_group << 16; /* Key Number 0: the current MSK */
		rc = mbms_km_msk_request_write(&mr, k.body, sizeof(k.body), &k.body_len);
	}
	if (rc) {
		snprintf(err, cap, "request body: %s", mbms_strerror(rc));
		return -1;
	}
	k.cs = calloc(o->conns, sizeof(*k.cs));
	if (!k.cs) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	g_km = &k;
	struct lg_push_sink sink = {.push = km_push};
	lg_set_push_sink(L, &sink);
	struct lg_driver drv = {.next = km_next, .response = km_response, .failed = km_failed};
	rc = lg_http_start(L, &t, o->conns, k.groups, &drv, err, cap);
	double deadline = lg_rep(L)->t_start + o->timeout;
	while (rc == 0 && !lg_stop) {
		bool issuing = k.issued < k.target && (k.t_end == 0 || lg_now() < k.t_end);
		bool active = false, can_take = false;
		for (unsigned c = 0; c < o->conns; c++) {
			active = active || k.cs[c].active;
			can_take = can_take || !k.cs[c].exhausted;
		}
		if (!active && (!issuing || !can_take))
			break;
		if (lg_now() > deadline) {
			snprintf(err, cap, "%s: timeout after %.0f s", km_type[kind], o->timeout);
			rc = -1;
			break;
		}
		lg_poll(L, o->rate > 0 ? 0.001 : 0.02);
		lg_http_kick(L);
		lg_progress(lg_rep(L), ph, false);
	}
	lg_http_stop(L);
	/* requests still marked active were never answered */
	for (unsigned c = 0; c < o->conns; c++)
		if (k.cs[c].active)
			ph->errors++;
	free(k.cs);
	k.cs = NULL;
	return rc;
}

int lg_run_register(struct lg *L, struct lg_phase *ph, char *err, size_t cap)
{
	const struct lg_opts *o = lg_opts_of(L);
	uint64_t todo = 0;
	for (uint64_t i = 0; i < o->n; i++)
		todo += lg_ues(L)[i].state != LG_UE_FAILED;
	ph->target = todo;
	return km_phase(L, KM_REGISTER, ph, NULL, todo, 0, err, cap);
}

int lg_run_msk_requests(struct lg *L, struct lg_phase *ph, struct lg_phase *push_ph, char *err,
			size_t cap)
{
	const struct lg_opts *o = lg_opts_of(L);
	uint64_t target = o->requests ? o->requests : (o->duration > 0 ? UINT64_MAX : o->n);
	ph->target = target == UINT64_MAX ? 0 : target;
	push_ph->target = 0;
	int rc = km_phase(L, KM_MSK, ph, push_ph, target, o->duration, err, cap);
	/* the last pushes may still be on their way */
	double until = lg_now() + o->drain;
	for (;;) {
		int64_t missing = 0;
		for (uint64_t i = 0; i < o->n; i++)
			if (lg_ues(L)[i].pushes_expected > 0)
				missing += lg_ues(L)[i].pushes_expected;
		if (missing == 0 || lg_now() >= until || lg_stop) {
			push_ph->errors += (uint64_t)missing;
			break;
		}
		lg_poll(L, 0.01);
	}
	return rc;
}

/* UEs of a provisioned plan: their B-TID and MUK follow from the seed. */
int lg_ues_from_plan(struct lg *L, char *err, size_t cap)
{
	const struct lg_opts *o = lg_opts_of(L);
	struct lg_ident id;
	for (uint64_t i = 0; i < o->n; i++) {
		struct lg_ue *u = &lg_ues(L)[i];
		lg_ident(o, i, &id);
		memcpy(u->btid_rand, id.btid, LG_RAND_B64);
		if (lg_ident_ks_naf(o, &id, u->muk) != 0 || lg_ue_prepare_auth(o, u) != 0) {
			mbms_wipe(&id, sizeof(id));
			snprintf(err, cap, "key derivation failed");
			return -1;
		}
		u->state = o->registered ? LG_UE_REGISTERED : LG_UE_BOOTSTRAPPED;
	}
	mbms_wipe(&id, sizeof(id));
	return 0;
}
