/* The UE key-management state machine (include/mbmssec/ue.h) driven through
 * every procedure of PROFILE.md 6 and its failure paths, with a fake clock
 * and a fake BM-SC built from the library's own builders (MIKEY messages,
 * XML bodies, Digest challenges): no sockets, no sleeping.
 *
 * The fake BM-SC checks what the UE sends (Digest response over the body,
 * headers, bodies, verification messages) and answers like bmscd would. */
#include "testutil.h"

#include "mbmssec/crypto.h"
#include "mbmssec/digest.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/kdf.h"
#include "mbmssec/kmxml.h"
#include "mbmssec/mbms_msg.h"
#include "mbmssec/ue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1700000000000ull /* ms since the epoch */
#define SID "urn:example:mbms:news"
#define SID2 "urn:example:mbms:sports"
#define FQDN "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org"
#define REALM "3GPP-bootstrapping@" FQDN
#define BSF "bsf.mnc001.mcc001.pub.3gppnetwork.org"
#define IMPI "001010123456789@ims.mnc001.mcc001.3gppnetwork.org"
#define G1 0x0102u
#define G2 0x0103u
#define ANN_URL "http://" FQDN ":8080/announcement/urn%3Aexample%3Ambms%3Anews"
#define OFFSET_S 2u
#define PERIOD_S 3u
#define ANY_ERROR 1 /* table entries: any negative code */

static const uint8_t KD[3] = {0x00, 0xF1, 0x10};

/* ---- the harness ---- */

struct rec_http {
	uint32_t id;
	char method[8];
	char url[MBMS_UE_URL_MAX];
	char host[256];
	uint16_t port;
	char hdr[8][1200];
	size_t nh;
	char body[8192];
	size_t body_len;
};

struct rec_udp {
	uint8_t b[MBMS_MSG_MAX_LEN];
	size_t len;
	struct mbms_ue_addr dst;
};

#define MAX_EV 1024

struct env {
	struct mbms_ue *ue;
	struct mbms_ue_config cfg;
	uint64_t now;
	uint64_t rnd;
	int rand_mode; /* 0 xorshift, 1 all 0x00, 2 all 0xff */
	struct rec_http http[16];
	size_t http_n;
	struct rec_udp udp[16];
	size_t udp_n;
	unsigned boots_asked;
	bool boot_refused;
	enum mbms_ue_event ev[MAX_EV];
	char evtext[MAX_EV][MBMS_UE_TEXT_MAX];
	size_t ev_n;
	uint64_t deadline;
	unsigned saves;
	/* the world: BSF bootstrap and the BM-SC's view */
	unsigned boot_no;
	char btid[128];
	uint8_t ks[32];
	uint8_t rand[16];
	uint8_t muk[32];
	char prev_btid[128];
	uint8_t prev_muk[32];
	uint32_t counter; /* the BM-SC's per-MUK TS counter */
	char nonce[64];
	unsigned nonce_no;
	struct mbms_announcement ann;
	/* the last MSK message pushed, for checking its verification */
	struct mbms_acked acked;
	uint8_t acked_rand[16];
	uint8_t acked_muk[32];
	char acked_idr[128];
};

static int fake_random(void *user, uint8_t *buf, size_t len)
{
	struct env *e = user;
	for (size_t i = 0; i < len; i++) {
		if (e->rand_mode == 1) {
			buf[i] = 0;
		} else if (e->rand_mode == 2) {
			buf[i] = 0xff;
		} else {
			e->rnd ^= e->rnd << 13;
			e->rnd ^= e->rnd >> 7;
			e->rnd ^= e->rnd << 17;
			buf[i] = (uint8_t)(e->rnd >> 32);
		}
	}
	return 0;
}

static void pump(struct env *e)
{
	struct mbms_ue_action a;
	while (mbms_ue_next_action(e->ue, &a)) {
		switch (a.kind) {
		case MBMS_UE_ACT_HTTP: {
			assert_true(e->http_n < 16);
			struct rec_http *r = &e->http[e->http_n++];
			memset(r, 0, sizeof(*r));
			r->id = a.http.id;
			snprintf(r->method, sizeof(r->method), "%s", a.http.method);
			snprintf(r->url, sizeof(r->url), "%s", a.http.url);
			snprintf(r->host, sizeof(r->host), "%s", a.http.host);
			r->port = a.http.port;
			for (size_t i = 0; a.http.headers[i]; i++) {
				assert_true(i < 8);
				snprintf(r->hdr[i], sizeof(r->hdr[i]), "%s", a.http.headers[i]);
				r->nh++;
			}
			assert_true(a.http.body_len < sizeof(r->body));
			if (a.http.body_len)
				memcpy(r->body, a.http.body, a.http.body_len);
			r->body_len = a.http.body_len;
			break;
		}
		case MBMS_UE_ACT_UDP:
			assert_true(e->udp_n < 16);
			assert_true(a.udp_len <= MBMS_MSG_MAX_LEN);
			memcpy(e->udp[e->udp_n].b, a.udp, a.udp_len);
			e->udp[e->udp_n].len = a.udp_len;
			e->udp[e->udp_n].dst = a.dst;
			e->udp_n++;
			break;
		case MBMS_UE_ACT_BOOTSTRAP:
			e->boots_asked++;
			e->boot_refused = a.refused_btid;
			break;
		case MBMS_UE_ACT_TIMER:
			e->deadline = a.deadline_ms;
			break;
		case MBMS_UE_ACT_EVENT:
			assert_true(e->ev_n < MAX_EV);
			e->ev[e->ev_n] = a.event;
			snprintf(e->evtext[e->ev_n], MBMS_UE_TEXT_MAX, "%s", a.text);
			e->ev_n++;
			break;
		case MBMS_UE_ACT_SAVE:
			e->saves++;
			break;
		default:
			fail_msg("unexpected action kind %d", a.kind);
		}
	}
}

static void default_announcement(struct mbms_announcement *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->service_id, sizeof(a->service_id), "%s", SID);
	snprintf(a->km_server.host, sizeof(a->km_server.host), "%s", FQDN);
	a->km_server.port = 8080;
	memcpy(a->key_domain_id, KD, 3);
	a->confidentiality = a->integrity = true;
	a->msk_count = 1;
	a->msk_id[0] = mbms_msk_id_make(G1, 0);
	a->session_count = 1;
	snprintf(a->session[0].destination.host, sizeof(a->session[0].destination.host), "127.0.0.1");
	a->session[0].destination.port = 5004;
	a->session[0].mtk_port = 2269;
	a->session[0].key_group = G1;
	a->offset_time = OFFSET_S;
	a->random_time_period = PERIOD_S;
}

static struct env *env_new_cfg(void (*tweak)(struct mbms_ue_config *))
{
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	e->now = T0;
	e->rnd = 0x9E3779B97F4A7C15ull;
	mbms_ue_config_defaults(&e->cfg);
	e->cfg.impi = IMPI;
	e->cfg.random = fake_random;
	e->cfg.random_user = e;
	if (tweak)
		tweak(&e->cfg);
	assert_int_equal(mbms_ue_new(&e->cfg, &e->ue), 0);
	assert_int_equal(mbms_ue_service_add(e->ue, SID, NULL), 0);
	default_announcement(&e->ann);
	return e;
}

static struct env *env_new(void) { return env_new_cfg(NULL); }

static void env_free(struct env *e)
{
	mbms_ue_free(e->ue);
	free(e);
}

static size_t count_ev(const struct env *e, enum mbms_ue_event ev)
{
	size_t n = 0;
	for (size_t i = 0; i < e->ev_n; i++)
		n += e->ev[i] == ev;
	return n;
}

static bool ev_text_has(const struct env *e, enum mbms_ue_event ev, const char *needle)
{
	for (size_t i = 0; i < e->ev_n; i++)
		if (e->ev[i] == ev && strstr(e->evtext[i], needle))
			return true;
	return false;
}

static void advance(struct env *e, uint64_t ms)
{
	e->now += ms;
	assert_int_equal(mbms_ue_tick(e->ue, e->now), 0);
	pump(e);
}

static void advance_to(struct env *e, uint64_t t)
{
	assert_true(t >= e->now);
	advance(e, t - e->now);
}

static enum mbms_ue_service_state svc_state(struct env *e, const char *sid)
{
	for (size_t i = 0; i < mbms_ue_service_count(e->ue); i++) {
		struct mbms_ue_service_info si;
		assert_int_equal(mbms_ue_service_info(e->ue, i, &si), 0);
		if (strcmp(si.service_id, sid) == 0)
			return si.state;
	}
	fail_msg("no service %s", sid);
	return MBMS_UE_SVC_IDLE;
}

static bool holds_msk(struct env *e, uint32_t msk_id)
{
	for (size_t i = 0; i < mbms_ue_msk_count(e->ue); i++) {
		struct mbms_ue_msk_info mi;
		assert_int_equal(mbms_ue_msk_info(e->ue, i, &mi), 0);
		if (mi.msk_id == msk_id && memcmp(mi.key_domain_id, KD, 3) == 0)
			return true;
	}
	return false;
}

/* ---- the world: BSF and BM-SC ---- */

static void world_muk(const uint8_t ks[32], const uint8_t rand[16], uint8_t muk[32])
{
	uint8_t ks_naf[32];
	assert_int_equal(mbms_ks_naf(ks, rand, IMPI, FQDN, mbms_ua_id_mbms, ks_naf), 0);
	assert_int_equal(mbms_muk_from_ks_naf(ks_naf, muk), 0);
}

/* The BSF's answer to a bootstrap the UE asked for: a new RAND, Ks, B-TID. */
static void world_bootstrap(struct env *e, uint64_t lifetime_s)
{
	if (e->btid[0]) {
		memcpy(e->prev_muk, e->muk, 32);
		snprintf(e->prev_btid, sizeof(e->prev_btid), "%s", e->btid);
	}
	e->boot_no++;
	memset(e->rand, 0x10 + (int)e->boot_no, 16);
	e->rand[0] = (uint8_t)e->boot_no;
	memset(e->ks, 0x40 + (int)e->boot_no, 32);
	assert_int_equal(mbms_btid_make(e->rand, BSF, e->btid, sizeof(e->btid)), 0);
	world_muk(e->ks, e->rand, e->muk);
	assert_int_equal(mbms_ue_bootstrap_done(e->ue, e->btid, e->ks, e->now / 1000 + lifetime_s,
						e->now),
			 0);
	pump(e);
}

static void give_announcement(struct env *e)
{
	char body[8192];
	size_t len;
	assert_int_equal(mbms_announcement_write(&e->ann, body, sizeof(body), &len), 0);
	mbms_ue_announcement(e->ue, e->ann.service_id, body, len, e->now);
	pump(e);
}

static const char *hdr(const struct rec_http *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->nh; i++)
		if (strncmp(r->hdr[i], name, n) == 0 && r->hdr[i][n] == ':')
			return r->hdr[i] + n + 2;
	return NULL;
}

static const char *uri_of(const struct rec_http *r)
{
	const char *p = strstr(r->url, "://");
	assert_non_null(p);
	p = strchr(p + 3, '/');
	assert_non_null(p);
	return p;
}

static struct rec_http *pop_http(struct env *e)
{
	static struct rec_http pool[4];
	static unsigned next;
	if (e->http_n == 0)
		fail_msg("expected an HTTP request, none was made");
	struct rec_http *r = &pool[next++ % 4];
	*r = e->http[0];
	memmove(&e->http[0], &e->http[1], (e->http_n - 1) * sizeof(e->http[0]));
	e->http_n--;
	return r;
}

static struct rec_http *expect_req(struct env *e, const char *what)
{
	struct rec_http *r = pop_http(e);
	char want[128];
	if (strcmp(what, "announcement") == 0)
		snprintf(want, sizeof(want), "/announcement/");
	else
		snprintf(want, sizeof(want), "/keymanagement?requesttype=%s", what);
	if (!strstr(r->url, want))
		fail_msg("expected a %s request, got %s %s", what, r->method, r->url);
	return r;
}

static void str_of(const struct mbms_str *s, char *out, size_t cap)
{
	assert_non_null(s->p);
	assert_int_equal(mbms_digest_unquote(s, out, cap), 0);
}

/* HA1 for username btid with password base64(MRK of that B-TID). */
static void world_ha1(const uint8_t muk[32], const char *btid, char ha1[33])
{
	char pw[64];
	assert_int_equal(mbms_base64_encode(muk, 32, pw, sizeof(pw)), 0);
	assert_int_equal(strlen(pw), 44); /* 10.13 */
	assert_int_equal(mbms_digest_ha1(btid, REALM, (const uint8_t *)pw, 44, ha1), 0);
}

/* The BM-SC checks the UE's Authorization: username = current B-TID,
 * realm, uri, qop=auth-int over the body, nonce, response. */
static void bm_check_digest(struct env *e, const struct rec_http *r, char ha1[33], char nc[9],
			    char cnonce[64])
{
	const char *authz = hdr(r, "Authorization");
	assert_non_null(authz);
	struct mbms_digest_fields f;
	assert_int_equal(mbms_digest_parse(authz, strlen(authz), true, &f), 0);
	char user[160], realm[160], uri[MBMS_UE_URL_MAX], nonce[64], resp[64], qop[16], alg[16];
	str_of(&f.username, user, sizeof(user));
	str_of(&f.realm, realm, sizeof(realm));
	str_of(&f.uri, uri, sizeof(uri));
	str_of(&f.nonce, nonce, sizeof(nonce));
	str_of(&f.response, resp, sizeof(resp));
	str_of(&f.qop, qop, sizeof(qop));
	str_of(&f.algorithm, alg, sizeof(alg));
	str_of(&f.nc, nc, 9);
	str_of(&f.cnonce, cnonce, 64);
	assert_string_equal(user, e->btid);
	assert_string_equal(realm, REALM);
	assert_string_equal(uri, uri_of(r));
	assert_string_equal(qop, "auth-int");
	assert_string_equal(alg, "MD5");
	assert_string_equal(nonce, e->nonce);
	world_ha1(e->muk, e->btid, ha1);
	char want[33];
	assert_int_equal(mbms_digest_response(ha1, nonce, nc, cnonce, "auth-int", r->method, uri,
					      (const uint8_t *)r->body, r->body_len, want),
			 0);
	assert_int_equal(mbms_digest_check_response(&f.response, want), 0);
}

enum rspauth_mode { RSPAUTH_GOOD = 0, RSPAUTH_WRONG, RSPAUTH_NONE };

static void bm_reply_mode(struct env *e, const struct rec_http *r, long status, const char *ctype,
			  const char *body, enum rspauth_mode mode)
{
	char ai[512];
	struct mbms_ue_http_response rsp = {
		.status = status,
		.content_type = ctype,
		.body = (const uint8_t *)body,
		.body_len = body ? strlen(body) : 0,
	};
	if (status == 200 && hdr(r, "Authorization") && mode != RSPAUTH_NONE) {
		char ha1[33], nc[9], cnonce[64], rspauth[33];
		bm_check_digest(e, r, ha1, nc, cnonce);
		assert_int_equal(mbms_digest_rspauth(ha1, e->nonce, nc, cnonce, "auth-int", uri_of(r),
						     rsp.body, rsp.body_len, rspauth),
				 0);
		if (mode == RSPAUTH_WRONG)
			rspauth[0] = rspauth[0] == '0' ? '1' : '0';
		assert_int_equal(mbms_digest_format_auth_info(rspauth, cnonce, nc, "auth-int", ai,
							      sizeof(ai)),
				 0);
		rsp.authentication_info = ai;
	}
	assert_int_equal(mbms_ue_http_response(e->ue, r->id, &rsp, e->now), 0);
	pump(e);
}

static void bm_reply(struct env *e, const struct rec_http *r, long status, const char *ctype,
		     const char *body)
{
	bm_reply_mode(e, r, status, ctype, body, RSPAUTH_GOOD);
}

static void bm_401(struct env *e, const struct rec_http *r, bool stale)
{
	char www[512];
	snprintf(e->nonce, sizeof(e->nonce), "bm-nonce-%u", ++e->nonce_no);
	assert_int_equal(mbms_digest_format_challenge(REALM, e->nonce, "MD5", "auth-int", stale,
						      NULL, www, sizeof(www)),
			 0);
	struct mbms_ue_http_response rsp = {.status = 401, .www_authenticate = www};
	assert_int_equal(mbms_ue_http_response(e->ue, r->id, &rsp, e->now), 0);
	pump(e);
}

static void register_body(unsigned status, char *out, size_t cap)
{
	struct mbms_km_register_response *rr = calloc(1, sizeof(*rr));
	size_t len;
	rr->count = 1;
	snprintf(rr->item[0].service_id, sizeof(rr->item[0].service_id), "%s", SID);
	rr->item[0].status = (uint16_t)status;
	assert_int_equal(mbms_km_register_response_write(rr, out, cap, &len), 0);
	free(rr);
}

/* Answer an MSK request: every item it asks for gets `status`. */
static void msk_body_for(const struct rec_http *r, unsigned status, char *out, size_t cap)
{
	struct mbms_km_msk_request *q = calloc(1, sizeof(*q));
	struct mbms_km_msk_response *a = calloc(1, sizeof(*a));
	size_t len;
	assert_int_equal(mbms_km_msk_request_parse(r->body, r->body_len, q), 0);
	assert_memory_equal(q->key_domain_id, KD, 3);
	a->count = q->count;
	for (size_t i = 0; i < q->count; i++) {
		memcpy(a->item[i].key_domain_id, KD, 3);
		a->item[i].msk_id = q->msk_id[i];
		a->item[i].status = (uint16_t)status;
	}
	assert_int_equal(mbms_km_msk_response_write(a, out, cap, &len), 0);
	free(q);
	free(a);
}

/* The next key-management request, after answering a 401 first when it
 * carries no credentials (the BM-SC's first contact). */
static struct rec_http *expect_authed(struct env *e, const char *what)
{
	struct rec_http *r = expect_req(e, what);
	if (!hdr(r, "Authorization")) {
		bm_401(e, r, false);
		r = expect_req(e, what);
	}
	assert_non_null(hdr(r, "Authorization"));
	return r;
}

static void serve_register(struct env *e, unsigned status)
{
	char body[2048];
	struct rec_http *r = expect_authed(e, "register");
	register_body(status, body, sizeof(body));
	bm_reply(e, r, 200, MBMS_MEDIA_TYPE_REGISTER_RESPONSE, body);
}

static struct rec_http *serve_msk(struct env *e, unsigned status)
{
	char body[8192];
	struct rec_http *r = expect_authed(e, "msk-request");
	msk_body_for(r, status, body, sizeof(body));
	bm_reply(e, r, 200, MBMS_MEDIA_TYPE_MSK_RESPONSE, body);
	return r;
}

static const struct mbms_ue_addr bm_src = {9, "bmsc:4359"};

static int deliver(struct env *e, enum mbms_ue_port port, const uint8_t *msg, size_t len)
{
	int rc = mbms_ue_udp_rx(e->ue, port, msg, len, &bm_src, e->now);
	pump(e);
	return rc;
}

struct push {
	uint32_t msk_id;
	uint8_t key_byte;
	bool v;
	bool trigger;
	const uint8_t *muk; /* NULL: the current one */
	const char *idr;    /* NULL: the current B-TID */
	const char *idi;    /* NULL: FQDN */
	uint32_t counter;   /* 0: the next one */
	const uint8_t *kd;  /* NULL: KD */
};

static size_t build_push(struct env *e, const struct push *p, uint8_t *out, size_t cap)
{
	uint8_t msk[16];
	memset(msk, p->key_byte, sizeof(msk));
	struct mbms_msk_msg_in in = {
		.muk = p->muk ? p->muk : e->muk,
		.muk_len = 32,
		.msk_id = p->msk_id,
		.ts_counter = p->counter ? p->counter : ++e->counter,
		.idi = (const uint8_t *)(p->idi ? p->idi : FQDN),
		.idi_len = strlen(p->idi ? p->idi : FQDN),
		.idr = (const uint8_t *)(p->idr ? p->idr : e->btid),
		.idr_len = strlen(p->idr ? p->idr : e->btid),
		.v_flag = p->v,
		.msk = msk,
		.vf = 0,
		.vt = 0xffff,
	};
	memcpy(in.key_domain_id, p->kd ? p->kd : KD, 3);
	memset(in.rand, (int)(in.ts_counter & 0xff), sizeof(in.rand));
	size_t len;
	int rc = p->trigger ? mbms_trigger_build(&in, out, cap, &len)
			    : mbms_msk_msg_build(&in, out, cap, &len);
	assert_int_equal(rc, 0);
	/* remember it to check the verification message */
	memcpy(e->acked_rand, in.rand, 16);
	memcpy(e->acked_muk, in.muk, 32);
	snprintf(e->acked_idr, sizeof(e->acked_idr), "%s", (const char *)in.idr);
	e->acked.csb_id = p->msk_id;
	e->acked.ts_counter = in.ts_counter;
	memcpy(e->acked.rand, e->acked_rand, 16);
	e->acked.idi = (const uint8_t *)FQDN;
	e->acked.idi_len = strlen(FQDN);
	e->acked.idr = (const uint8_t *)e->acked_idr;
	e->acked.idr_len = strlen(e->acked_idr);
	return len;
}

static int push(struct env *e, const struct push *p)
{
	uint8_t msg[MBMS_MSG_MAX_LEN];
	size_t len = build_push(e, p, msg, sizeof(msg));
	return deliver(e, MBMS_UE_PORT_MIKEY, msg, len);
}

static int push_msk(struct env *e, uint32_t msk_id, uint8_t key_byte)
{
	struct push p = {.msk_id = msk_id, .key_byte = key_byte, .v = true};
	return push(e, &p);
}

static int push_trigger(struct env *e, uint16_t group, bool v)
{
	struct push p = {.msk_id = mbms_msk_id_make(group, 0), .trigger = true, .v = v};
	return push(e, &p);
}

/* The verification message of 5.4 for the last push: to its source, MAC
 * with the MUK that protected it. */
static void expect_verification(struct env *e)
{
	assert_int_equal(e->udp_n, 1);
	struct rec_udp *u = &e->udp[0];
	assert_int_equal(u->dst.len, bm_src.len);
	assert_memory_equal(u->dst.bytes, bm_src.bytes, bm_src.len);
	struct mbms_msg_info info;
	assert_int_equal(mbms_msg_verify(u->b, u->len, MBMS_MSG_F(MBMS_MSG_VERIFICATION),
					 e->acked_muk, 32, &e->acked, &info),
			 0);
	assert_int_equal(info.csb_id, e->acked.csb_id);
	assert_int_equal(info.ts_counter, e->acked.ts_counter);
	e->udp_n = 0;
}

static int send_mtk(struct env *e, uint32_t msk_id, uint8_t msk_byte, uint16_t mtk_id,
		    uint32_t counter, uint8_t mtk_byte)
{
	uint8_t msk[16], mtk[16], salt[14], msg[MBMS_MSG_MAX_LEN];
	memset(msk, msk_byte, sizeof(msk));
	memset(mtk, mtk_byte, sizeof(mtk));
	memset(salt, mtk_byte ^ 0x5a, sizeof(salt));
	struct mbms_mtk_msg_in in = {
		.msk = msk,
		.msk_len = 16,
		.msk_id = msk_id,
		.mtk_id = mtk_id,
		.mtk = mtk,
		.mtk_salt = salt,
		.ts_counter = counter,
	};
	memcpy(in.key_domain_id, KD, 3);
	memset(in.rand, 0x77, sizeof(in.rand));
	size_t len;
	assert_int_equal(mbms_mtk_msg_build(&in, msg, sizeof(msg), &len), 0);
	return deliver(e, MBMS_UE_PORT_MTK, msg, len);
}

/* Announcement, activation, bootstrap, register (401 + answer), MSK
 * request, push, verification: the service is active with MSK G1|1. */
static void bring_up(struct env *e)
{
	give_announcement(e);
	assert_int_equal(mbms_ue_activate(e->ue, SID, e->now), 0);
	pump(e);
	assert_int_equal(e->boots_asked, 1);
	assert_int_equal(e->http_n, 0);
	world_bootstrap(e, 3600);
	serve_register(e, 200);
	serve_msk(e, 200);
	assert_int_equal(push_msk(e, mbms_msk_id_make(G1, 1), 0xA1), 0);
	expect_verification(e);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_ACTIVE);
}

/* No key ever shows in an event text. */
static void assert_no_secret_in_events(const struct env *e, const uint8_t *key, size_t len)
{
	char hex[2 * 64 + 1];
	assert_int_equal(mbms_hex_encode(key, len, hex, sizeof(hex)), 0);
	hex[16] = '\0'; /* any 8 key bytes */
	for (size_t i = 0; i < e->ev_n; i++)
		if (strstr(e->evtext[i], hex))
			fail_msg("event %zu shows key material: %s", i, e->evtext[i]);
}

/* ---- 6.1 / 6.2: initiation and the basic MSK request ---- */

static void test_activation(void **state)
{
	(void)state;
	struct env *e = env_new();
	give_announcement(e);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_IDLE);
	assert_int_equal(mbms_ue_activate(e->ue, SID, e->now), 0);
	pump(e);
	/* no valid B-TID: bootstrap first, no HTTP yet */
	assert_int_equal(e->boots_asked, 1);
	assert_false(e->boot_refused);
	assert_int_equal(e->http_n, 0);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_REGISTERING);
	world_bootstrap(e, 3600);
	assert_int_equal(count_ev(e, MBMS_UE_EV_BOOTSTRAPPED), 1);

	/* register: POST to the announced BM-SC, our headers, no credentials yet */
	struct rec_http *r = expect_req(e, "register");
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->url, "http://" FQDN ":8080/keymanagement?requesttype=register");
	assert_string_equal(r->host, FQDN);
	assert_int_equal(r->port, 8080);
	assert_non_null(strstr(hdr(r, "User-Agent"), "3gpp-gba"));
	assert_string_equal(hdr(r, "Content-Type"), MBMS_MEDIA_TYPE_REGISTER);
	assert_string_equal(hdr(r, "X-MBMS-UE-Port"), "4359");
	assert_null(hdr(r, "Authorization"));
	struct mbms_km_service_list *sl = calloc(1, sizeof(*sl));
	assert_int_equal(mbms_km_register_parse(r->body, r->body_len, sl), 0);
	assert_int_equal(sl->count, 1);
	assert_string_equal(sl->service_id[0], SID);
	free(sl);
	bm_401(e, r, false);
	r = expect_req(e, "register");
	char ha1[33], nc[9], cnonce[64], body[2048];
	bm_check_digest(e, r, ha1, nc, cnonce); /* asserts the Digest */
	assert_string_equal(nc, "00000001");
	register_body(200, body, sizeof(body));
	bm_reply(e, r, 200, MBMS_MEDIA_TYPE_REGISTER_RESPONSE, body);
	assert_int_equal(count_ev(e, MBMS_UE_EV_REGISTERED), 1);

	/* the MSK request goes out at once (user-initiated), with the cached
	 * nonce and the next nc */
	r = expect_req(e, "msk-request");
	assert_string_equal(hdr(r, "Content-Type"), MBMS_MEDIA_TYPE_MSK_REQUEST);
	assert_string_equal(hdr(r, "X-MBMS-UE-Port"), "4359");
	bm_check_digest(e, r, ha1, nc, cnonce);
	assert_string_equal(nc, "00000002");
	struct mbms_km_msk_request *q = calloc(1, sizeof(*q));
	assert_int_equal(mbms_km_msk_request_parse(r->body, r->body_len, q), 0);
	assert_int_equal(q->count, 1);
	assert_int_equal(q->msk_id[0], mbms_msk_id_make(G1, 0)); /* current */
	free(q);
	msk_body_for(r, 200, body, sizeof(body));
	bm_reply(e, r, 200, MBMS_MEDIA_TYPE_MSK_RESPONSE, body);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_KEYS);
	/* waiting for the push: the timer is armed for the push timeout */
	assert_int_equal(e->deadline, e->now + e->cfg.push_timeout_ms);

	/* 6.5: the push, acknowledged to its source */
	assert_int_equal(push_msk(e, mbms_msk_id_make(G1, 1), 0xA1), 0);
	expect_verification(e);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_ACTIVE);
	assert_int_equal(count_ev(e, MBMS_UE_EV_MSK_INSTALLED), 1);
	assert_int_equal(count_ev(e, MBMS_UE_EV_SERVICE_ACTIVE), 1);
	assert_true(holds_msk(e, mbms_msk_id_make(G1, 1)));
	/* nothing waits but the renewal of the B-TID, 60 s before it expires */
	assert_int_equal(e->deadline, T0 + (3600 - 60) * 1000);
	struct mbms_ue_service_info si;
	assert_int_equal(mbms_ue_service_info(e->ue, 0, &si), 0);
	assert_int_equal(si.key_groups, 1);
	assert_int_equal(si.key_groups_held, 1);
	assert_string_equal(si.km_server, FQDN);
	struct mbms_ue_counters c;
	mbms_ue_counters(e->ue, &c);
	assert_int_equal(c.msk_installed, 1);
	assert_int_equal(c.verifications_sent, 1);
	assert_int_equal(c.http_401, 1);
	assert_true(e->saves > 0);
	uint8_t msk[16];
	memset(msk, 0xA1, 16);
	assert_no_secret_in_events(e, msk, 16);
	assert_no_secret_in_events(e, e->muk, 32);
	assert_no_secret_in_events(e, e->ks, 32);
	env_free(e);
}

static void test_uicc_required_refused(void **state)
{
	(void)state;
	struct env *e = env_new();
	e->ann.uicc_key_management = true;
	char body[8192];
	size_t len;
	assert_int_equal(mbms_announcement_write(&e->ann, body, sizeof(body), &len), 0);
	assert_int_equal(mbms_ue_announcement(e->ue, SID, body, len, e->now), MBMS_ESTATE);
	pump(e);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_REFUSED);
	assert_int_equal(mbms_ue_activate(e->ue, SID, e->now), 0);
	pump(e);
	/* 6.1: not tried at all */
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_REFUSED);
	assert_int_equal(e->boots_asked, 0);
	assert_int_equal(e->http_n, 0);
	assert_true(count_ev(e, MBMS_UE_EV_SERVICE_REFUSED) >= 1);
	env_free(e);
}

/* The announcement fetched from the BM-SC, and the ways that can fail. */
static void test_announcement_fetch(void **state)
{
	(void)state;
	struct env *e = env_new();
	assert_int_equal(mbms_ue_service_add(e->ue, SID, ANN_URL), 0);
	assert_int_equal(mbms_ue_activate(e->ue, SID, e->now), 0);
	pump(e);
	struct rec_http *r = expect_req(e, "announcement");
	assert_string_equal(r->method, "GET");
	assert_string_equal(r->url, ANN_URL);
	assert_string_equal(hdr(r, "Accept"), MBMS_MEDIA_TYPE_PROTECTION_DESCRIPTION);
	assert_null(hdr(r, "Authorization"));
	/* 503: retried after a back-off */
	struct mbms_ue_http_response rsp = {.status = 503};
	assert_int_equal(mbms_ue_http_response(e->ue, r->id, &rsp, e->now), 0);
	pump(e);
	assert_int_equal(e->http_n, 0);
	assert_true(e->deadline > e->now);
	advance_to(e, e->deadline);
	r = expect_req(e, "announcement");
	char body[8192];
	size_t len;
	assert_int_equal(mbms_announcement_write(&e->ann, body, sizeof(body), &len), 0);
	bm_reply(e, r, 200, MBMS_MEDIA_TYPE_PROTECTION_DESCRIPTION, body);
	assert_int_equal(e->boots_asked, 1);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_REGISTERING);

	/* table: answers that end the service */
	static const struct {
		const char *name;
		long status;
		const char *ctype;
		bool other_service;
		enum mbms_ue_service_state want;
	} rows[] = {
		{"404", 404, NULL, false, MBMS_UE_SVC_LEFT},
		{"wrong media type", 200, "text/xml", false, MBMS_UE_SVC_LEFT},
		{"announcement of another service", 200, MBMS_MEDIA_TYPE_PROTECTION_DESCRIPTION, true,
		 MBMS_UE_SVC_LEFT},
		{"good one (must not leave)", 200, MBMS_MEDIA_TYPE_PROTECTION_DESCRIPTION, false,
		 MBMS_UE_SVC_REGISTERING},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct env *x = env_new();
		assert_int_equal(mbms_ue_service_add(x->ue, SID2, ANN_URL), 0);
		assert_int_equal(mbms_ue_activate(x->ue, SID2, x->now), 0);
		pump(x);
		r = expect_req(x, "announcement");
		struct mbms_announcement a = x->ann;
		snprintf(a.service_id, sizeof(a.service_id), "%s", rows[i].other_service ? SID : SID2);
		assert_int_equal(mbms_announcement_write(&a, body, sizeof(body), &len), 0);
		struct mbms_ue_http_response rs = {.status = rows[i].status,
						   .content_type = rows[i].ctype,
						   .body = (const uint8_t *)body,
						   .body_len = len};
		assert_int_equal(mbms_ue_http_response(x->ue, r->id, &rs, x->now), 0);
		pump(x);
		if (svc_state(x, SID2) != rows[i].want)
			fail_msg("%s: state %s", rows[i].name,
				 mbms_ue_service_state_name(svc_state(x, SID2)));
		env_free(x);
	}
	env_free(e);
}

/* ---- pushes: lost, duplicate, replayed, out of order ---- */

static void test_lost_push_retried(void **state)
{
	(void)state;
	struct env *e = env_new();
	give_announcement(e);
	mbms_ue_activate(e->ue, SID, e->now);
	pump(e);
	world_bootstrap(e, 3600);
	serve_register(e, 200);
	serve_msk(e, 200);
	/* the push never comes: after push_timeout the request is repeated,
	 * after a back-off (a retry: offsetTime + random, at least the floor) */
	uint64_t granted = e->now;
	assert_int_equal(e->deadline, granted + 30000);
	advance(e, 29999);
	assert_int_equal(e->http_n, 0);
	advance(e, 1);
	assert_true(ev_text_has(e, MBMS_UE_EV_ERROR, "no MSK push arrived"));
	assert_int_equal(e->http_n, 0);
	uint64_t due = e->deadline;
	assert_true(due >= e->now + OFFSET_S * 1000 && due <= e->now + (OFFSET_S + PERIOD_S) * 1000);
	advance_to(e, due);
	serve_msk(e, 200);
	assert_int_equal(push_msk(e, mbms_msk_id_make(G1, 1), 0xA1), 0);
	expect_verification(e);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_ACTIVE);
	env_free(e);
}

static void test_duplicate_and_replayed_push(void **state)
{
	(void)state;
	struct env *e = env_new();
	bring_up(e);
	/* a rotation push, then the very same datagram again */
	uint8_t msg[MBMS_MSG_MAX_LEN];
	struct push p = {.msk_id = mbms_msk_id_make(G1, 2), .key_byte = 0xA2, .v = true};
	size_t len = build_push(e, &p, msg, sizeof(msg));
	assert_int_equal(deliver(e, MBMS_UE_PORT_MIKEY, msg, len), 0);
	expect_verification(e);
	assert_int_equal(deliver(e, MBMS_UE_PORT_MIKEY, msg, len), MBMS_EREPLAY);
	assert_int_equal(e->udp_n, 0); /* a duplicate is not acknowledged again */
	/* a replay with an older counter, and one with the same counter */
	struct push old = {.msk_id = mbms_msk_id_make(G1, 3), .key_byte = 0xA3, .v = true,
			   .counter = e->counter - 1};
	assert_int_equal(push(e, &old), MBMS_EREPLAY);
	old.counter = e->counter;
	assert_int_equal(push(e, &old), MBMS_EREPLAY);
	assert_false(holds_msk(e, mbms_msk_id_make(G1, 3)));
	assert_int_equal(e->udp_n, 0);
	/* a retransmission with a fresh counter is installed in place and acked */
	p.counter = 0;
	assert_int_equal(push(e, &p), 0);
	expect_verification(e);
	struct mbms_ue_counters c;
	mbms_ue_counters(e->ue, &c);
	assert_int_equal(c.rx_replay, 3);
	assert_int_equal(c.rx_dropped, 3);
	assert_int_equal(mbms_ue_msk_count(e->ue), 2);
	env_free(e);
}

static void test_out_of_order_msks(void **state)
{
	(void)state;
	struct env *e = env_new();
	bring_up(e); /* holds 1 */
	/* rows in order; each with what is held after it */
	static const struct {
		const char *name;
		uint16_t kn;
		int want;
		uint16_t held[2];
	} rows[] = {
		{"next MSK 3 (skipping 2)", 3, 0, {1, 3}},
		{"late MSK 2: pushes out 1", 2, 0, {2, 3}},
		{"MSK 1 again: older than both held (must fail)", 1, MBMS_EREPLAY, {2, 3}},
		{"MSK 4: pushes out 2, not 3", 4, 0, {3, 4}},
		{"MSK 2 again (must fail)", 2, MBMS_EREPLAY, {3, 4}},
		{"MSK 0xffff: older by serial arithmetic (must fail)", 0xffff, MBMS_EREPLAY, {3, 4}},
		{"MSK 3 retransmitted: in place", 3, 0, {3, 4}},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = push_msk(e, mbms_msk_id_make(G1, rows[i].kn), (uint8_t)(0xB0 + i));
		if (rc != rows[i].want)
			fail_msg("%s: got %s, want %s", rows[i].name, mbms_errname(rc),
				 mbms_errname(rows[i].want));
		e->udp_n = 0;
		assert_int_equal(mbms_ue_msk_count(e->ue), 2);
		for (size_t k = 0; k < 2; k++)
			if (!holds_msk(e, mbms_msk_id_make(G1, rows[i].held[k])))
				fail_msg("%s: MSK %u not held", rows[i].name, rows[i].held[k]);
	}
	/* newest flag in the status */
	for (size_t i = 0; i < mbms_ue_msk_count(e->ue); i++) {
		struct mbms_ue_msk_info mi;
		assert_int_equal(mbms_ue_msk_info(e->ue, i, &mi), 0);
		assert_int_equal(mi.newest, mbms_msk_id_key_number(mi.msk_id) == 4);
	}
	assert_true(count_ev(e, MBMS_UE_EV_MSK_EVICTED) == 2);
	env_free(e);
}

/* Every kind of bad datagram on the MIKEY port is dropped, counted, and
 * acts on nothing. */
static void test_rx_table(void **state)
{
	(void)state;
	static const uint8_t other_muk[32] = {1, 2, 3};
	static const uint8_t other_kd[3] = {0x00, 0xF2, 0x20};
	static const struct {
		const char *name;
		struct push p;
		int want;
		bool schedules; /* a request follows (trigger) */
	} rows[] = {
		{"valid MSK message", {.msk_id = 0x01020002, .key_byte = 2, .v = true}, 0, false},
		{"valid MSK message without V: no ack", {.msk_id = 0x01020003, .key_byte = 3}, 0, false},
		{"other MUK: bad MAC", {.msk_id = 0x01020004, .key_byte = 4, .muk = other_muk},
		 MBMS_EMAC, false},
		{"IDr not our B-TID", {.msk_id = 0x01020004, .key_byte = 4, .idr = "x@" BSF},
		 MBMS_EMUKID, false},
		{"IDi another BM-SC", {.msk_id = 0x01020004, .key_byte = 4, .idi = "evil.example.org"},
		 MBMS_EMUKID, false},
		{"Key Group not ours", {.msk_id = 0x07770001, .key_byte = 4}, MBMS_ENOTFOUND, false},
		{"Key Domain not ours", {.msk_id = 0x01020004, .key_byte = 4, .kd = other_kd},
		 MBMS_ENOTFOUND, false},
		{"trigger for a Key Group not ours", {.msk_id = 0x07770000, .trigger = true},
		 MBMS_ENOTFOUND, false},
		{"trigger, bad MAC", {.msk_id = 0x01020000, .trigger = true, .muk = other_muk},
		 MBMS_EMAC, false},
		{"valid trigger", {.msk_id = 0x01020000, .trigger = true, .v = true}, 0, true},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct env *e = env_new();
		bring_up(e);
		struct mbms_ue_counters before, after;
		mbms_ue_counters(e->ue, &before);
		size_t msks = mbms_ue_msk_count(e->ue);
		int rc = push(e, &rows[i].p);
		mbms_ue_counters(e->ue, &after);
		if (rc != rows[i].want)
			fail_msg("%s: got %s, want %s", rows[i].name, mbms_errname(rc),
				 mbms_errname(rows[i].want));
		bool scheduled = count_ev(e, MBMS_UE_EV_REQUEST_SCHEDULED) > 0;
		if (scheduled != rows[i].schedules)
			fail_msg("%s: request scheduled: %d", rows[i].name, scheduled);
		if (rc) {
			assert_int_equal(after.rx_dropped, before.rx_dropped + 1);
			assert_int_equal(mbms_ue_msk_count(e->ue), msks);
			assert_int_equal(e->udp_n, 0);
		} else {
			assert_int_equal(e->udp_n, rows[i].p.v ? 1 : 0);
		}
		assert_int_equal(e->http_n, 0); /* nothing at once, even for a trigger */
		env_free(e);
	}
	/* garbage and messages of the wrong kind */
	struct env *e = env_new();
	bring_up(e);
	uint8_t junk[40];
	memset(junk, 0x01, sizeof(junk));
	assert_true(deliver(e, MBMS_UE_PORT_MIKEY, junk, sizeof(junk)) < 0);
	assert_true(deliver(e, MBMS_UE_PORT_MIKEY, junk, 0) < 0);
	assert_true(deliver(e, MBMS_UE_PORT_MTK, junk, 3) < 0);
	uint8_t msg[MBMS_MSG_MAX_LEN];
	struct push p = {.msk_id = 0x01020002, .key_byte = 2, .v = true};
	size_t len = build_push(e, &p, msg, sizeof(msg));
	assert_true(deliver(e, MBMS_UE_PORT_MIKEY, msg, len - 1) < 0); /* truncated */
	msg[len - 1] ^= 1;
	assert_int_equal(deliver(e, MBMS_UE_PORT_MIKEY, msg, len), MBMS_EMAC);
	assert_true(deliver(e, MBMS_UE_PORT_MTK, msg, len) < 0); /* MSK message on the MTK port */
	assert_int_equal(e->udp_n, 0);
	assert_int_equal(mbms_ue_msk_count(e->ue), 1);
	env_free(e);
}

/* ---- 6.4: solicited pull ---- */

static void test_solicited_pull(void **state)
{
	(void)state;
	struct env *e = env_new();
	bring_up(e);
	assert_int_equal(push_trigger(e, G1, true), 0);
	expect_verification(e); /* V set: acknowledged like an MSK message */
	assert_int_equal(count_ev(e, MBMS_UE_EV_TRIGGER), 1);
	/* network-initiated: no request before offsetTime + random */
	assert_int_equal(e->http_n, 0);
	uint64_t due = e->deadline;
	assert_true(due >= e->now + OFFSET_S * 1000 && due <= e->now + (OFFSET_S + PERIOD_S) * 1000);
	advance_to(e, due - 1);
	assert_int_equal(e->http_n, 0);
	advance(e, 1);
	struct rec_http *r = serve_msk(e, 200);
	struct mbms_km_msk_request *q = calloc(1, sizeof(*q));
	assert_int_equal(mbms_km_msk_request_parse(r->body, r->body_len, q), 0);
	assert_int_equal(q->msk_id[0], mbms_msk_id_make(G1, 0)); /* the current one */
	free(q);
	assert_int_equal(push_msk(e, mbms_msk_id_make(G1, 1), 0xA1), 0);
	expect_verification(e);
	assert_int_equal(e->deadline, T0 + (3600 - 60) * 1000);
	env_free(e);
}

/* The back-off window: randomTimePeriod spans [offset, offset+period]. */
static void test_backoff_bounds(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int rand_mode;
		uint64_t want_ms;
	} rows[] = {
		{"random 0: offsetTime only", 1, OFFSET_S * 1000},
		{"random max: offsetTime + randomTimePeriod", 2, (OFFSET_S + PERIOD_S) * 1000},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct env *e = env_new();
		bring_up(e);
		e->rand_mode = rows[i].rand_mode;
		assert_int_equal(push_trigger(e, G1, false), 0);
		if (e->deadline != e->now + rows[i].want_ms)
			fail_msg("%s: delay %llu", rows[i].name,
				 (unsigned long long)(e->deadline - e->now));
		env_free(e);
	}
}

/* After a new bootstrap the previous MUK still verifies triggers (10.20),
 * never MSK messages; the BM-SC is told the new B-TID by registering. */
static void test_trigger_under_previous_muk(void **state)
{
	(void)state;
	struct env *e = env_new();
	bring_up(e);
	world_bootstrap(e, 3600); /* a new B-TID */
	serve_register(e, 200);   /* re-registration with the new B-TID */
	assert_int_equal(e->http_n, 0);
	assert_int_equal(mbms_ue_muk_count(e->ue), 2);
	struct push mskp = {.msk_id = mbms_msk_id_make(G1, 2), .key_byte = 0xA2, .v = true,
			    .muk = e->prev_muk, .idr = e->prev_btid};
	assert_int_equal(push(e, &mskp), MBMS_EMUKID);
	struct push trig = {.msk_id = mbms_msk_id_make(G1, 0), .trigger = true, .v = true,
			    .muk = e->prev_muk, .idr = e->prev_btid};
	assert_int_equal(push(e, &trig), 0);
	expect_verification(e); /* acked with the previous MUK */
	assert_true(ev_text_has(e, MBMS_UE_EV_TRIGGER, "previous MUK"));
	/* the current MUK works for both */
	mskp.muk = NULL;
	mskp.idr = NULL;
	assert_int_equal(push(e, &mskp), 0);
	expect_verification(e);
	env_free(e);
}

/* ---- B-TID expiry and refusal ---- */

static void test_btid_expiry_rebootstrap(void **state)
{
	(void)state;
	struct env *e = env_new();
	give_announcement(e);
	mbms_ue_activate(e->ue, SID, e->now);
	pump(e);
	world_bootstrap(e, 100);
	serve_register(e, 200);
	serve_msk(e, 200);
	assert_int_equal(push_msk(e, mbms_msk_id_make(G1, 1), 0xA1), 0);
	e->udp_n = 0;
	/* 100 s of life, margin 60 s capped at half the life: renew at 50 s */
	assert_int_equal(e->deadline, T0 + 50 * 1000);
	advance_to(e, e->deadline);
	assert_int_equal(e->boots_asked, 2);
	assert_false(e->boot_refused);
	world_bootstrap(e, 100);
	struct rec_http *r = expect_req(e, "register");
	char ha1[33], nc[9], cnonce[64], body[2048];
	bm_check_digest(e, r, ha1, nc, cnonce); /* username = the new B-TID */
	register_body(200, body, sizeof(body));
	bm_reply(e, r, 200, MBMS_MEDIA_TYPE_REGISTER_RESPONSE, body);
	assert_int_equal(e->http_n, 0); /* keys unchanged: no MSK request */
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_ACTIVE);

	/* a renewal that fails for good is not retried in a loop; the next
	 * request after expiry bootstraps first */
	advance_to(e, e->deadline);
	assert_int_equal(e->boots_asked, 3);
	assert_int_equal(mbms_ue_bootstrap_failed(e->ue, MBMS_EAUTH, e->now), 0);
	pump(e);
	assert_true(e->deadline == UINT64_MAX || e->deadline > e->now);
	advance(e, 200 * 1000); /* expired now */
	assert_int_equal(e->boots_asked, 3);
	assert_int_equal(push_trigger(e, G1, false), 0);
	advance_to(e, e->deadline);
	assert_int_equal(e->boots_asked, 4); /* before the MSK request */
	assert_int_equal(e->http_n, 0);
	world_bootstrap(e, 3600);
	serve_msk(e, 200);
	env_free(e);
}

/* 401 to a request made with a fresh nonce and the same B-TID: the BM-SC
 * does not know our B-TID; bootstrap again (6.4). */
static void test_401_refused_btid(void **state)
{
	(void)state;
	struct env *e = env_new();
	bring_up(e);
	assert_int_equal(push_trigger(e, G1, false), 0);
	advance_to(e, e->deadline);
	struct rec_http *r = expect_req(e, "msk-request");
	assert_non_null(hdr(r, "Authorization")); /* cached nonce */
	bm_401(e, r, false);                       /* "nonce unknown": a new one */
	r = expect_req(e, "msk-request");
	assert_int_equal(e->boots_asked, 1);
	bm_401(e, r, false); /* the fresh nonce refused too: B-TID unknown */
	assert_int_equal(e->boots_asked, 2);
	assert_true(e->boot_refused);
	assert_int_equal(e->http_n, 0);
	char old_btid[128];
	snprintf(old_btid, sizeof(old_btid), "%s", e->btid);
	world_bootstrap(e, 3600);
	assert_string_not_equal(old_btid, e->btid);
	serve_msk(e, 200); /* the same request again, with the new B-TID */
	assert_int_equal(push_msk(e, mbms_msk_id_make(G1, 2), 0xA2), 0);
	expect_verification(e);

	/* refused again after the fresh bootstrap: give up that request; the
	 * service keeps its valid MSK and stays */
	assert_int_equal(push_trigger(e, G1, false), 0);
	advance_to(e, e->deadline);
	r = expect_req(e, "msk-request");
	bm_401(e, r, false);
	r = expect_req(e, "msk-request");
	bm_401(e, r, false);
	assert_int_equal(e->boots_asked, 3);
	world_bootstrap(e, 3600);
	r = expect_req(e, "msk-request"); /* it tells the BM-SC the new B-TID */
	bm_401(e, r, false);
	assert_true(ev_text_has(e, MBMS_UE_EV_AUTH, "after a fresh bootstrap"));
	assert_int_equal(e->boots_asked, 3);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_ACTIVE);
	env_free(e);
}

/* stale=true: only the nonce expired; answer it, no bootstrap. */
static void test_stale_nonce(void **state)
{
	(void)state;
	struct env *e = env_new();
	bring_up(e);
	assert_int_equal(push_trigger(e, G1, false), 0);
	advance_to(e, e->deadline);
	struct rec_http *r = expect_req(e, "msk-request");
	bm_401(e, r, true);
	r = expect_req(e, "msk-request");
	bm_401(e, r, true); /* stale again, even on the fresh nonce */
	r = expect_req(e, "msk-request");
	char body[2048];
	msk_body_for(r, 200, body, sizeof(body));
	bm_reply(e, r, 200, MBMS_MEDIA_TYPE_MSK_RESPONSE, body);
	assert_int_equal(e->boots_asked, 1);
	assert_true(ev_text_has(e, MBMS_UE_EV_AUTH, "stale"));
	env_free(e);
}

/* Challenges the UE must not answer: the MRK never meets a foreign realm. */
static void test_bad_challenges(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *www;
		bool answered;
	} rows[] = {
		{"good challenge (must be answered)",
		 "Digest realm=\"" REALM "\", nonce=\"n1\", algorithm=MD5, qop=\"auth,auth-int\"", true},
		{"foreign realm", "Digest realm=\"3GPP-bootstrapping@evil.example.org\", nonce=\"n1\", "
				  "algorithm=MD5, qop=\"auth-int\"",
		 false},
		{"qop auth only", "Digest realm=\"" REALM "\", nonce=\"n1\", qop=\"auth\"", false},
		{"no qop", "Digest realm=\"" REALM "\", nonce=\"n1\"", false},
		{"SHA-256", "Digest realm=\"" REALM "\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth-int\"",
		 false},
		{"Basic", "Basic realm=\"" REALM "\"", false},
		{"absent", NULL, false},
		{"empty nonce", "Digest realm=\"" REALM "\", nonce=\"\", qop=\"auth-int\"", false},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct env *e = env_new();
		give_announcement(e);
		mbms_ue_activate(e->ue, SID, e->now);
		pump(e);
		world_bootstrap(e, 3600);
		struct rec_http *r = expect_req(e, "register");
		struct mbms_ue_http_response rsp = {.status = 401, .www_authenticate = rows[i].www};
		assert_int_equal(mbms_ue_http_response(e->ue, r->id, &rsp, e->now), 0);
		pump(e);
		bool answered = e->http_n == 1;
		if (answered != rows[i].answered)
			fail_msg("%s: answered %d", rows[i].name, answered);
		env_free(e);
	}
}

/* A 200 whose rspauth does not cover the body is not believed. */
static void test_rspauth_checked(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum rspauth_mode mode;
		bool accepted;
	} rows[] = {
		{"good rspauth", RSPAUTH_GOOD, true},
		{"wrong rspauth (must fail)", RSPAUTH_WRONG, false},
		{"no Authentication-Info (must fail)", RSPAUTH_NONE, false},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct env *e = env_new();
		give_announcement(e);
		mbms_ue_activate(e->ue, SID, e->now);
		pump(e);
		world_bootstrap(e, 3600);
		serve_register(e, 200);
		struct rec_http *r = expect_authed(e, "msk-request");
		char body[2048];
		msk_body_for(r, 200, body, sizeof(body));
		bm_reply_mode(e, r, 200, MBMS_MEDIA_TYPE_MSK_RESPONSE, body, rows[i].mode);
		struct mbms_ue_counters c;
		mbms_ue_counters(e->ue, &c);
		bool granted = e->deadline == e->now + e->cfg.push_timeout_ms;
		if (granted != rows[i].accepted || (c.rspauth_failures == 0) != rows[i].accepted)
			fail_msg("%s: granted %d, rspauth failures %llu", rows[i].name, granted,
				 (unsigned long long)c.rspauth_failures);
		env_free(e);
	}
	/* a 200 to a request without credentials proves nothing either */
	struct env *e = env_new();
	give_announcement(e);
	mbms_ue_activate(e->ue, SID, e->now);
	pump(e);
	world_bootstrap(e, 3600);
	struct rec_http *r = expect_req(e, "register");
	assert_null(hdr(r, "Authorization"));
	char body[2048];
	register_body(200, body, sizeof(body));
	bm_reply(e, r, 200, MBMS_MEDIA_TYPE_REGISTER_RESPONSE, body);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_REGISTERING);
	assert_true(ev_text_has(e, MBMS_UE_EV_AUTH, "without credentials"));
	env_free(e);
}

/* ---- per-item status codes (10.18) and leaving the service (6.2) ---- */

static void tweak_three_tries(struct mbms_ue_config *c) { c->max_attempts = 3; }

static void test_503_backoff_then_leave(void **state)
{
	(void)state;
	struct env *e = env_new_cfg(tweak_three_tries);
	give_announcement(e);
	mbms_ue_activate(e->ue, SID, e->now);
	pump(e);
	world_bootstrap(e, 3600);
	serve_register(e, 200);
	serve_msk(e, 503);
	for (unsigned attempt = 2; attempt <= 3; attempt++) {
		assert_int_equal(e->http_n, 0);
		uint64_t wait = e->deadline - e->now;
		/* back-off: offsetTime + random, at least the doubling floor */
		uint64_t floor = 1000ull << (attempt - 2);
		assert_true(wait >= OFFSET_S * 1000 && wait >= floor);
		assert_true(wait <= (OFFSET_S + PERIOD_S) * 1000 || wait == floor);
		advance(e, wait - 1);
		assert_int_equal(e->http_n, 0);
		advance(e, 1);
		serve_msk(e, 503);
	}
	/* three 503s: no MSK obtainable, none held: leave and deregister */
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_LEFT);
	assert_int_equal(count_ev(e, MBMS_UE_EV_SERVICE_LEFT), 1);
	assert_true(ev_text_has(e, MBMS_UE_EV_SERVICE_LEFT, "no MSK could be obtained"));
	struct rec_http *r = expect_req(e, "deregister");
	assert_string_equal(hdr(r, "Content-Type"), MBMS_MEDIA_TYPE_DEREGISTER);
	assert_non_null(hdr(r, "Authorization"));
	struct mbms_ue_service_info si;
	assert_int_equal(mbms_ue_service_info(e->ue, 0, &si), 0);
	assert_non_null(strstr(si.reason, "no MSK"));
	assert_int_equal(e->deadline, UINT64_MAX);
	env_free(e);
}

static void test_item_status_table(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		bool holds_msk; /* an older valid MSK is held */
		unsigned status;
		enum mbms_ue_service_state want;
		bool retry;
	} rows[] = {
		{"200 (must not leave)", false, 200, MBMS_UE_SVC_KEYS, false},
		{"403, nothing held: leave", false, 403, MBMS_UE_SVC_LEFT, false},
		{"404, nothing held: leave", false, 404, MBMS_UE_SVC_LEFT, false},
		{"400, nothing held: leave", false, 400, MBMS_UE_SVC_LEFT, false},
		{"503: retry later", false, 503, MBMS_UE_SVC_KEYS, true},
		{"500: retry later", false, 500, MBMS_UE_SVC_KEYS, true},
		{"403 with a valid MSK held: stay", true, 403, MBMS_UE_SVC_ACTIVE, false},
		{"404 with a valid MSK held: stay", true, 404, MBMS_UE_SVC_ACTIVE, false},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct env *e = env_new();
		if (rows[i].holds_msk) {
			bring_up(e);
			assert_int_equal(push_trigger(e, G1, false), 0);
			advance_to(e, e->deadline);
		} else {
			give_announcement(e);
			mbms_ue_activate(e->ue, SID, e->now);
			pump(e);
			world_bootstrap(e, 3600);
			serve_register(e, 200);
		}
		serve_msk(e, rows[i].status);
		if (svc_state(e, SID) != rows[i].want)
			fail_msg("%s: state %s", rows[i].name,
				 mbms_ue_service_state_name(svc_state(e, SID)));
		bool retry = count_ev(e, MBMS_UE_EV_REQUEST_SCHEDULED) > 0 &&
			     ev_text_has(e, MBMS_UE_EV_REQUEST_SCHEDULED, "retry");
		if (retry != rows[i].retry)
			fail_msg("%s: retry %d", rows[i].name, retry);
		if (rows[i].want == MBMS_UE_SVC_LEFT)
			expect_req(e, "deregister");
		env_free(e);
	}
}

static void test_register_refused_leaves(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		long http;
		unsigned item;
		enum mbms_ue_service_state want;
	} rows[] = {
		{"register item 403: not authorised", 200, 403, MBMS_UE_SVC_LEFT},
		{"register item 404", 200, 404, MBMS_UE_SVC_LEFT},
		{"HTTP 403", 403, 0, MBMS_UE_SVC_LEFT},
		{"HTTP 415", 415, 0, MBMS_UE_SVC_LEFT},
		{"register item 503: retried", 200, 503, MBMS_UE_SVC_REGISTERING},
		{"HTTP 500: retried", 500, 0, MBMS_UE_SVC_REGISTERING},
		{"register 200 (must not leave)", 200, 200, MBMS_UE_SVC_KEYS},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct env *e = env_new();
		give_announcement(e);
		mbms_ue_activate(e->ue, SID, e->now);
		pump(e);
		world_bootstrap(e, 3600);
		struct rec_http *r = expect_authed(e, "register");
		char body[2048] = "";
		if (rows[i].http == 200)
			register_body(rows[i].item, body, sizeof(body));
		bm_reply(e, r, rows[i].http, MBMS_MEDIA_TYPE_REGISTER_RESPONSE, body);
		if (svc_state(e, SID) != rows[i].want)
			fail_msg("%s: state %s", rows[i].name,
				 mbms_ue_service_state_name(svc_state(e, SID)));
		if (rows[i].want == MBMS_UE_SVC_LEFT) {
			assert_true(ev_text_has(e, MBMS_UE_EV_SERVICE_LEFT, "registration refused"));
			assert_int_equal(e->http_n, 0); /* never registered: no deregistration */
		}
		env_free(e);
	}
}

static void test_transport_failures_and_bootstrap_failures(void **state)
{
	(void)state;
	/* no answer at all: retried, then given up */
	struct env *e = env_new_cfg(tweak_three_tries);
	give_announcement(e);
	mbms_ue_activate(e->ue, SID, e->now);
	pump(e);
	world_bootstrap(e, 3600);
	for (int i = 0; i < 3; i++) {
		struct rec_http *r = expect_req(e, "register");
		assert_int_equal(mbms_ue_http_failed(e->ue, r->id, e->now), 0);
		pump(e);
		if (i < 2)
			advance_to(e, e->deadline);
	}
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_LEFT);
	assert_int_equal(mbms_ue_http_failed(e->ue, 12345, e->now), MBMS_ENOTFOUND);
	env_free(e);

	/* the BSF unreachable: retried; refused: the service is left */
	e = env_new_cfg(tweak_three_tries);
	give_announcement(e);
	mbms_ue_activate(e->ue, SID, e->now);
	pump(e);
	assert_int_equal(mbms_ue_bootstrap_failed(e->ue, MBMS_EIO, e->now), 0);
	pump(e);
	assert_int_equal(e->boots_asked, 1);
	advance_to(e, e->deadline);
	assert_int_equal(e->boots_asked, 2);
	assert_int_equal(mbms_ue_bootstrap_failed(e->ue, MBMS_EAUTH, e->now), 0);
	pump(e);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_LEFT);
	assert_true(ev_text_has(e, MBMS_UE_EV_SERVICE_LEFT, "BSF"));
	env_free(e);
}

/* ---- 6.3: missed key update ---- */

static void test_missed_key_update(void **state)
{
	(void)state;
	struct env *e = env_new();
	bring_up(e); /* holds G1|1, key bytes 0xA1 */
	uint32_t msk1 = mbms_msk_id_make(G1, 1), msk2 = mbms_msk_id_make(G1, 2);
	/* MTKs under a held MSK are verified and kept */
	assert_int_equal(send_mtk(e, msk1, 0xA1, 10, 1, 0x31), 0);
	struct mbms_ue_mtk m;
	assert_int_equal(mbms_ue_mtk_get(e->ue, KD, msk1, 10, &m), 0);
	uint8_t want[16];
	memset(want, 0x31, 16);
	assert_memory_equal(m.mtk, want, 16);
	assert_int_equal(send_mtk(e, msk1, 0xA1, 10, 2, 0x31), MBMS_EMTKOLD); /* 10.11 */
	assert_int_equal(send_mtk(e, msk1, 0xA1, 11, 2, 0x32), 0);
	assert_int_equal(mbms_ue_mtk_latest(e->ue, KD, msk1, &m), 0);
	assert_int_equal(m.mtk_id, 11);
	assert_int_equal(send_mtk(e, msk1, 0xBB, 12, 3, 0x33), MBMS_EMAC); /* wrong MSK */
	assert_int_equal(e->http_n, 0);

	/* an MTK message under MSK 2, which we lack: request the current MSK of
	 * the group after the back-off, once per window */
	assert_int_equal(send_mtk(e, msk2, 0xA2, 1, 1, 0x41), MBMS_EUNKNOWNMSK);
	assert_int_equal(count_ev(e, MBMS_UE_EV_MISSED_KEY_UPDATE), 1);
	assert_int_equal(e->http_n, 0);
	uint64_t due = e->deadline;
	assert_true(due >= e->now + OFFSET_S * 1000 && due <= e->now + (OFFSET_S + PERIOD_S) * 1000);
	assert_int_equal(send_mtk(e, msk2, 0xA2, 2, 2, 0x42), MBMS_EUNKNOWNMSK);
	uint8_t mki[6];
	mbms_put_be32(mki, msk2);
	mbms_put_be16(mki + 4, 2);
	assert_int_equal(mbms_ue_srtp_mki(e->ue, KD, mki, 6, e->now), MBMS_EUNKNOWNMSK);
	pump(e);
	assert_int_equal(count_ev(e, MBMS_UE_EV_MISSED_KEY_UPDATE), 1);
	struct mbms_ue_counters c;
	mbms_ue_counters(e->ue, &c);
	assert_int_equal(c.mku_suppressed, 2);
	assert_int_equal(c.missed_key_updates, 1);
	advance_to(e, due);
	struct rec_http *r = serve_msk(e, 200);
	struct mbms_km_msk_request *q = calloc(1, sizeof(*q));
	assert_int_equal(mbms_km_msk_request_parse(r->body, r->body_len, q), 0);
	assert_int_equal(q->msk_id[0], mbms_msk_id_make(G1, 0));
	free(q);
	assert_int_equal(push_msk(e, msk2, 0xA2), 0);
	expect_verification(e);
	assert_int_equal(send_mtk(e, msk2, 0xA2, 3, 3, 0x43), 0);
	assert_int_equal(mbms_ue_srtp_mki(e->ue, KD, mki, 6, e->now), 0);

	/* rows: traffic that must not start a missed key update */
	uint8_t other_kd[3] = {0x00, 0xF2, 0x20};
	mbms_put_be32(mki, mbms_msk_id_make(0x0777, 1));
	assert_int_equal(mbms_ue_srtp_mki(e->ue, KD, mki, 6, e->now), MBMS_ENOTFOUND);
	assert_int_equal(mbms_ue_srtp_mki(e->ue, other_kd, mki, 6, e->now), MBMS_ENOTFOUND);
	mbms_put_be32(mki, mbms_msk_id_make(G1, 0));
	assert_int_equal(mbms_ue_srtp_mki(e->ue, KD, mki, 6, e->now), MBMS_EKEYNUM0);
	assert_int_equal(mbms_ue_srtp_mki(e->ue, KD, mki, 5, e->now), MBMS_EINVAL);
	/* late traffic under an MSK older than the ones held: not a missed key */
	assert_int_equal(push_msk(e, mbms_msk_id_make(G1, 3), 0xA3), 0);
	e->udp_n = 0;
	assert_false(holds_msk(e, msk1));
	advance(e, 60000); /* well out of the window */
	assert_int_equal(send_mtk(e, msk1, 0xA1, 20, 10, 0x51), MBMS_EUNKNOWNMSK);
	assert_int_equal(count_ev(e, MBMS_UE_EV_MISSED_KEY_UPDATE), 1);
	/* after the window a new unknown MSK starts another one */
	assert_int_equal(send_mtk(e, mbms_msk_id_make(G1, 4), 0xA4, 1, 1, 0x61),
			 MBMS_EUNKNOWNMSK);
	assert_int_equal(count_ev(e, MBMS_UE_EV_MISSED_KEY_UPDATE), 2);
	/* evicted MSK 1 took its MTKs along */
	assert_int_equal(mbms_ue_mtk_get(e->ue, KD, msk1, 11, &m), MBMS_ENOTFOUND);
	mbms_wipe(&m, sizeof(m));
	env_free(e);
}

/* The test-only fault injection: rotation pushes lost, the missed key
 * update recovers; the push answering our own request gets through. */
static void tweak_drop_unsolicited(struct mbms_ue_config *c) { c->test_drop_unsolicited_push = true; }
static void tweak_drop_first(struct mbms_ue_config *c) { c->test_drop_msk_push = 1; }

static void test_fault_injection(void **state)
{
	(void)state;
	struct env *e = env_new_cfg(tweak_drop_unsolicited);
	bring_up(e); /* the solicited push passes */
	uint32_t msk2 = mbms_msk_id_make(G1, 2);
	assert_int_equal(push_msk(e, msk2, 0xA2), MBMS_ESTATE); /* rotation: dropped */
	assert_int_equal(push_msk(e, msk2, 0xA2), MBMS_ESTATE); /* its retransmission too */
	assert_int_equal(e->udp_n, 0);
	assert_int_equal(send_mtk(e, msk2, 0xA2, 1, 1, 0x41), MBMS_EUNKNOWNMSK);
	advance_to(e, e->deadline);
	serve_msk(e, 200);
	assert_int_equal(push_msk(e, msk2, 0xA2), 0);
	expect_verification(e);
	struct mbms_ue_counters c;
	mbms_ue_counters(e->ue, &c);
	assert_int_equal(c.rx_test_dropped, 2);
	env_free(e);

	e = env_new_cfg(tweak_drop_first);
	give_announcement(e);
	mbms_ue_activate(e->ue, SID, e->now);
	pump(e);
	world_bootstrap(e, 3600);
	serve_register(e, 200);
	serve_msk(e, 200);
	assert_int_equal(push_msk(e, mbms_msk_id_make(G1, 1), 0xA1), MBMS_ESTATE);
	assert_int_equal(push_msk(e, mbms_msk_id_make(G1, 1), 0xA1), 0);
	expect_verification(e);
	env_free(e);
}

/* ---- two services, two Key Groups ---- */

static void test_two_key_groups(void **state)
{
	(void)state;
	struct env *e = env_new();
	e->ann.msk_count = 2;
	e->ann.msk_id[1] = mbms_msk_id_make(G2, 0);
	give_announcement(e);
	mbms_ue_activate(e->ue, SID, e->now);
	pump(e);
	world_bootstrap(e, 3600);
	serve_register(e, 200);
	struct rec_http *r = expect_authed(e, "msk-request");
	struct mbms_km_msk_request *q = calloc(1, sizeof(*q));
	assert_int_equal(mbms_km_msk_request_parse(r->body, r->body_len, q), 0);
	assert_int_equal(q->count, 2);
	free(q);
	/* G1 granted, G2 forbidden */
	struct mbms_km_msk_response *a = calloc(1, sizeof(*a));
	char body[4096];
	size_t len;
	a->count = 2;
	memcpy(a->item[0].key_domain_id, KD, 3);
	a->item[0].msk_id = mbms_msk_id_make(G1, 0);
	a->item[0].status = 200;
	memcpy(a->item[1].key_domain_id, KD, 3);
	a->item[1].msk_id = mbms_msk_id_make(G2, 0);
	a->item[1].status = 403;
	assert_int_equal(mbms_km_msk_response_write(a, body, sizeof(body), &len), 0);
	free(a);
	bm_reply(e, r, 200, MBMS_MEDIA_TYPE_MSK_RESPONSE, body);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_KEYS); /* G1 still to come */
	assert_int_equal(push_msk(e, mbms_msk_id_make(G1, 1), 0xA1), 0);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_ACTIVE);
	/* active, but not every group held: no "service active" event yet */
	assert_int_equal(count_ev(e, MBMS_UE_EV_SERVICE_ACTIVE), 0);
	struct mbms_ue_service_info si;
	assert_int_equal(mbms_ue_service_info(e->ue, 0, &si), 0);
	assert_int_equal(si.key_groups, 2);
	assert_int_equal(si.key_groups_held, 1);
	/* a solicited pull for the refused G2 is still answered, after the
	 * back-off: the BM-SC asks for it (6.4) */
	assert_int_equal(push_trigger(e, G2, false), 0);
	assert_int_equal(e->http_n, 0);
	assert_true(ev_text_has(e, MBMS_UE_EV_REQUEST_SCHEDULED, "01030000"));
	advance_to(e, e->deadline);
	serve_msk(e, 200);
	assert_int_equal(push_msk(e, mbms_msk_id_make(G2, 7), 0xC7), 0);
	assert_int_equal(count_ev(e, MBMS_UE_EV_SERVICE_ACTIVE), 1);
	env_free(e);
}

/* ---- deactivation, re-activation ---- */

static void test_deactivate_and_reactivate(void **state)
{
	(void)state;
	struct env *e = env_new();
	bring_up(e);
	assert_int_equal(mbms_ue_deactivate(e->ue, SID, e->now), 0);
	pump(e);
	expect_req(e, "deregister");
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_IDLE);
	/* pushes for it are no longer taken */
	assert_int_equal(push_msk(e, mbms_msk_id_make(G1, 2), 0xA2), MBMS_ENOTFOUND);
	/* activating again: the B-TID is still valid, register at once */
	assert_int_equal(mbms_ue_activate(e->ue, SID, e->now), 0);
	pump(e);
	assert_int_equal(e->boots_asked, 1);
	serve_register(e, 200);
	serve_msk(e, 200);
	assert_int_equal(push_msk(e, mbms_msk_id_make(G1, 2), 0xA2), 0);
	assert_int_equal(svc_state(e, SID), MBMS_UE_SVC_ACTIVE);
	env_free(e);
}

/* ---- persistence ---- */

static void test_state_roundtrip(void **state)
{
	(void)state;
	struct env *e = env_new();
	bring_up(e);
	uint32_t msk1 = mbms_msk_id_make(G1, 1);
	assert_int_equal(send_mtk(e, msk1, 0xA1, 10, 5, 0x31), 0);
	char *text = malloc(MBMS_UE_STATE_MAX);
	size_t len;
	assert_int_equal(mbms_ue_state_save(e->ue, text, MBMS_UE_STATE_MAX, &len), 0);
	assert_int_equal(mbms_ue_state_save(e->ue, text, 10, &len), MBMS_ENOSPC);
	assert_int_equal(mbms_ue_state_save(e->ue, text, MBMS_UE_STATE_MAX, &len), 0);

	struct env *f = env_new();
	assert_int_equal(mbms_ue_state_load(f->ue, text, len), 0);
	/* the same B-TID, MUK counter, MSK and MTK state */
	struct mbms_ue_bootstrap_info bi;
	mbms_ue_bootstrap_info(f->ue, &bi);
	assert_true(bi.have);
	assert_string_equal(bi.btid, e->btid);
	assert_int_equal(mbms_ue_msk_count(f->ue), 1);
	struct mbms_ue_msk_info mi;
	assert_int_equal(mbms_ue_msk_info(f->ue, 0, &mi), 0);
	assert_int_equal(mi.msk_id, msk1);
	assert_int_equal(mi.ts_counter, 5);
	assert_int_equal(mi.mtk_id, 10);
	struct mbms_ue_muk_info ki;
	assert_int_equal(mbms_ue_muk_info(f->ue, 0, &ki), 0);
	assert_string_equal(ki.fqdn, FQDN);
	assert_string_equal(ki.idr, e->btid);
	assert_int_equal(ki.ts_counter, e->counter);
	struct mbms_ue_mtk m;
	assert_int_equal(mbms_ue_mtk_get(f->ue, KD, msk1, 10, &m), 0);
	assert_int_equal(m.mtk[0], 0x31);
	struct mbms_ue_service_info si;
	assert_int_equal(mbms_ue_service_info(f->ue, 0, &si), 0);
	assert_int_equal(si.state, MBMS_UE_SVC_ACTIVE);
	/* saved again, the same text */
	char *text2 = malloc(MBMS_UE_STATE_MAX);
	size_t len2;
	assert_int_equal(mbms_ue_state_save(f->ue, text2, MBMS_UE_STATE_MAX, &len2), 0);
	assert_int_equal(len, len2);
	assert_memory_equal(text, text2, len);

	/* after a restart: no new bootstrap, replays still refused */
	memcpy(f->btid, e->btid, sizeof(f->btid));
	memcpy(f->muk, e->muk, 32);
	f->counter = e->counter;
	give_announcement(f);
	assert_int_equal(mbms_ue_activate(f->ue, SID, f->now), 0);
	pump(f);
	assert_int_equal(f->boots_asked, 0);
	assert_int_equal(mbms_ue_state_load(f->ue, text, len), MBMS_ESTATE);
	struct push old = {.msk_id = mbms_msk_id_make(G1, 2), .key_byte = 0xA2, .counter = e->counter};
	assert_int_equal(push(f, &old), MBMS_EREPLAY);
	assert_int_equal(send_mtk(f, msk1, 0xA1, 10, 6, 0x31), MBMS_EMTKOLD);

	/* malformed state texts: refused as a whole */
	static const struct {
		const char *name;
		const char *text;
		int want;
	} rows[] = {
		{"minimal (must load)", "mbms-ue-state 1\nend\n", 0},
		{"no end", "mbms-ue-state 1\n", MBMS_ESYNTAX},
		{"bad magic", "mbms-ue-state 2\nend\n", MBMS_ESYNTAX},
		{"unknown record", "mbms-ue-state 1\nfoo bar\nend\n", MBMS_ESYNTAX},
		{"bad hex MSK", "mbms-ue-state 1\nmsk 00f110 01020001 0 65535 1 - - zz\nend\n",
		 MBMS_ESYNTAX},
		{"Key Number 0 MSK",
		 "mbms-ue-state 1\nmsk 00f110 01020000 0 65535 1 - - "
		 "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1\nend\n",
		 MBMS_ESYNTAX},
		{"MUK of an unknown BM-SC",
		 "mbms-ue-state 1\nmuk x.org cur a@b - "
		 "0000000000000000000000000000000000000000000000000000000000000000\nend\n",
		 MBMS_ESYNTAX},
		{"double space", "mbms-ue-state 1\nkeyseq 1  2\nend\n", MBMS_ESYNTAX},
		{"after end", "mbms-ue-state 1\nend\nkeyseq 1 2\n", MBMS_ESYNTAX},
		{"control character", "mbms-ue-state 1\nservice urn:a:b idle 0 x\x01y\nend\n",
		 MBMS_ESYNTAX},
		{"unknown state", "mbms-ue-state 1\nservice urn:a:b sleeping 0\nend\n", MBMS_ESYNTAX},
		{"service with reason (must load)",
		 "mbms-ue-state 1\nservice urn:a:b left 0 no MSK could be obtained\nend\n", 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct env *x = env_new();
		int rc = mbms_ue_state_load(x->ue, rows[i].text, strlen(rows[i].text));
		if (rc != rows[i].want)
			fail_msg("%s: got %s", rows[i].name, mbms_errname(rc));
		if (rc)
			assert_int_equal(mbms_ue_service_count(x->ue), 1); /* nothing loaded */
		env_free(x);
	}
	mbms_wipe(text, MBMS_UE_STATE_MAX);
	free(text);
	free(text2);
	env_free(f);
	env_free(e);
}

/* A state loaded with an expired B-TID bootstraps before registering. */
static void test_loaded_expired_btid(void **state)
{
	(void)state;
	struct env *e = env_new();
	bring_up(e);
	char text[MBMS_UE_STATE_MAX];
	size_t len;
	assert_int_equal(mbms_ue_state_save(e->ue, text, sizeof(text), &len), 0);
	struct env *f = env_new();
	f->now = e->now + 7200 * 1000; /* past the 3600 s lifetime */
	assert_int_equal(mbms_ue_state_load(f->ue, text, len), 0);
	give_announcement(f);
	assert_int_equal(mbms_ue_activate(f->ue, SID, f->now), 0);
	pump(f);
	assert_int_equal(f->boots_asked, 1);
	assert_int_equal(f->http_n, 0);
	world_bootstrap(f, 3600);
	serve_register(f, 200);
	serve_msk(f, 200);
	mbms_wipe(text, sizeof(text));
	env_free(f);
	env_free(e);
}

/* ---- API contract ---- */

static void test_api_contract(void **state)
{
	(void)state;
	struct mbms_ue_config cfg;
	struct mbms_ue *ue;
	mbms_ue_config_defaults(&cfg);
	assert_int_equal(mbms_ue_new(&cfg, &ue), MBMS_EINVAL); /* no IMPI */
	cfg.impi = IMPI;
	cfg.max_attempts = 0;
	assert_int_equal(mbms_ue_new(&cfg, &ue), MBMS_EINVAL);
	assert_int_equal(mbms_ue_new(NULL, &ue), MBMS_EINVAL);
	cfg.max_attempts = 3;
	assert_int_equal(mbms_ue_new(&cfg, &ue), 0);
	assert_int_equal(mbms_ue_service_add(ue, "not a uri", NULL), MBMS_EINVAL);
	assert_int_equal(mbms_ue_service_add(ue, SID, "ftp://x/"), MBMS_EINVAL);
	assert_int_equal(mbms_ue_activate(ue, SID, T0), MBMS_ENOTFOUND);
	assert_int_equal(mbms_ue_deactivate(ue, SID, T0), MBMS_ENOTFOUND);
	char name[40];
	for (int i = 0; i < MBMS_UE_MAX_SERVICES; i++) {
		snprintf(name, sizeof(name), "urn:example:s%d", i);
		assert_int_equal(mbms_ue_service_add(ue, name, NULL), 0);
	}
	assert_int_equal(mbms_ue_service_add(ue, "urn:example:one-too-many", NULL), MBMS_ENOSPC);
	assert_int_equal(mbms_ue_service_add(ue, "urn:example:s0", NULL), 0); /* known: fine */
	struct mbms_ue_http_response rsp = {.status = 200};
	assert_int_equal(mbms_ue_http_response(ue, 1, &rsp, T0), MBMS_ENOTFOUND);
	uint8_t ks[32] = {0};
	assert_int_equal(mbms_ue_bootstrap_done(ue, "not-a-btid", ks, 0, T0), MBMS_EINVAL);
	assert_int_equal(mbms_ue_next_deadline(ue), UINT64_MAX);
	assert_int_equal(mbms_ue_udp_rx(ue, (enum mbms_ue_port)7, (const uint8_t *)"", 0, NULL, T0),
			 MBMS_EINVAL);
	struct mbms_ue_mtk m;
	assert_int_equal(mbms_ue_mtk_latest(ue, KD, 0x01020001, &m), MBMS_ENOTFOUND);
	assert_string_equal(mbms_ue_service_state_name(MBMS_UE_SVC_LEFT), "left");
	enum mbms_ue_service_state st;
	assert_int_equal(mbms_ue_service_state_parse("active", &st), 0);
	assert_int_equal(st, MBMS_UE_SVC_ACTIVE);
	assert_int_equal(mbms_ue_service_state_parse("bogus", &st), MBMS_ESYNTAX);
	assert_string_equal(mbms_ue_event_name(MBMS_UE_EV_MISSED_KEY_UPDATE), "missed-key-update");
	mbms_ue_free(ue);
	mbms_ue_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_activation),
		cmocka_unit_test(test_uicc_required_refused),
		cmocka_unit_test(test_announcement_fetch),
		cmocka_unit_test(test_lost_push_retried),
		cmocka_unit_test(test_duplicate_and_replayed_push),
		cmocka_unit_test(test_out_of_order_msks),
		cmocka_unit_test(test_rx_table),
		cmocka_unit_test(test_solicited_pull),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_trigger_under_previous_muk),
		cmocka_unit_test(test_btid_expiry_rebootstrap),
		cmocka_unit_test(test_401_refused_btid),
		cmocka_unit_test(test_stale_nonce),
		cmocka_unit_test(test_bad_challenges),
		cmocka_unit_test(test_rspauth_checked),
		cmocka_unit_test(test_503_backoff_then_leave),
		cmocka_unit_test(test_item_status_table),
		cmocka_unit_test(test_register_refused_leaves),
		cmocka_unit_test(test_transport_failures_and_bootstrap_failures),
		cmocka_unit_test(test_missed_key_update),
		cmocka_unit_test(test_fault_injection),
		cmocka_unit_test(test_two_key_groups),
		cmocka_unit_test(test_deactivate_and_reactivate),
		cmocka_unit_test(test_state_roundtrip),
		cmocka_unit_test(test_loaded_expired_btid),
		cmocka_unit_test(test_api_contract),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
