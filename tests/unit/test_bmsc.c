/* The BM-SC state machine, HTTP side (PROFILE.md 7, 8, 10.13-10.19): the
 * configuration check, SipHash and nc tracker, HTTP Digest auth-int with
 * password = base64(MRK) and its refusals, Zn answers, register /
 * deregister / MSK request with their per-item codes, the MSK push that
 * follows, HTTP-level codes, the announcement. Fake time, fake BSF, no
 * sockets (tests/unit/test_bmsc_harness.h). */
#include "test_bmsc_harness.h"

#include "../../lib/bmsc_priv.h" /* internals: SipHash, the nc tracker */

#include <cjson/cJSON.h>

/* ---- configuration ---- */

struct cfg_case {
	const char *name;
	void (*mutate)(struct harness *h);
	bool ok;
};

static void m_none(struct harness *h) { (void)h; }
static void m_no_fqdn(struct harness *h) { h->cfg.fqdn = ""; }
static void m_bad_fqdn(struct harness *h) { h->cfg.fqdn = "bmsc example"; }
static void m_fqdn_port(struct harness *h) { h->cfg.fqdn = "bmsc.example.org:80"; }
static void m_no_services(struct harness *h) { h->cfg.nservices = 0; }
static void m_dup_kg(struct harness *h) { h->kg[1].key_group = H_KG1; }
static void m_lead_ge_life(struct harness *h) { h->kg[0].lead_time_ms = h->kg[0].msk_lifetime_ms; }
static void m_lead_zero(struct harness *h) { h->kg[0].lead_time_ms = 0; }
static void m_short_life(struct harness *h) { h->kg[0].msk_lifetime_ms = 999; }
static void m_no_mtk_ids(struct harness *h) { h->kg[0].mtk_id_count = 0; }
static void m_bad_svc_id(struct harness *h) { h->svc[0].service_id = "not a uri"; }
static void m_dup_svc(struct harness *h) { h->svc[1].service_id = H_SVC_A; }
static void m_svc_unknown_kg(struct harness *h) { h->kgs_a[0] = 0x7777; }
static void m_svc_no_kg(struct harness *h) { h->svc[0].nkey_groups = 0; }
static void m_svc_kg_twice(struct harness *h) { h->kgs_b[1] = H_KG2; }
static void m_svc_nobody(struct harness *h) { h->svc[2].nsubscribers = 0; }
static void m_svc_bad_pattern(struct harness *h) { h->subs_c[1] = "*gold.example.org"; }
static void m_svc_offset(struct harness *h) { h->svc[0].offset_time = 86401; }
static void m_sess_svc(struct harness *h) { h->sess[0].service_id = "urn:x:unknown"; }
static void m_sess_kg(struct harness *h) { h->sess[0].key_group = H_KG2; }
static void m_sess_dest(struct harness *h) { h->sess[0].destination.port = 0; }
static void m_sess_to(struct harness *h) { h->sess[0].nsend_to = 0; }
static void m_sess_interval(struct harness *h) { h->sess[0].mtk_interval_ms = 0; }
static void m_nonce_life(struct harness *h) { h->cfg.nonce_lifetime_ms = 999; }
static void m_nc_cap(struct harness *h) { h->cfg.nc_table_cap = 8; }
static void m_retx(struct harness *h) { h->cfg.retransmit_max_ms = 1000; }
static void m_retx_count(struct harness *h) { h->cfg.retransmit_count = 51; }
static void m_block(struct harness *h) { h->cfg.counter_block = 0; }
static void m_no_sessions(struct harness *h) { h->cfg.nsessions = 0; }

static void test_config_check(void **state)
{
	(void)state;
	static const struct cfg_case cases[] = {
		{"as configured", m_none, true},
		{"no sessions at all", m_no_sessions, true},
		{"empty FQDN", m_no_fqdn, false},
		{"FQDN with a blank", m_bad_fqdn, false},
		{"FQDN with a port", m_fqdn_port, false},
		{"no services", m_no_services, false},
		{"key group twice", m_dup_kg, false},
		{"lead time = lifetime", m_lead_ge_life, false},
		{"lead time 0", m_lead_zero, false},
		{"MSK lifetime < 1 s", m_short_life, false},
		{"no MTK IDs", m_no_mtk_ids, false},
		{"service ID not a URI", m_bad_svc_id, false},
		{"service twice", m_dup_svc, false},
		{"service names an unknown key group", m_svc_unknown_kg, false},
		{"service without key group", m_svc_no_kg, false},
		{"service lists a key group twice", m_svc_kg_twice, false},
		{"service nobody may use", m_svc_nobody, false},
		{"subscriber pattern without @", m_svc_bad_pattern, false},
		{"offsetTime above a day", m_svc_offset, false},
		{"session of an unknown service", m_sess_svc, false},
		{"session key group not of its service", m_sess_kg, false},
		{"session destination without port", m_sess_dest, false},
		{"session with nowhere to send", m_sess_to, false},
		{"session MTK interval 0", m_sess_interval, false},
		{"nonce lifetime < 1 s", m_nonce_life, false},
		{"nc table too small", m_nc_cap, false},
		{"retransmit max < initial", m_retx, false},
		{"51 retransmissions", m_retx_count, false},
		{"counter block 0", m_block, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct harness *h = h_new();
		cases[i].mutate(h);
		char why[256] = "";
		int rc = mbms_bmsc_config_check(&h->cfg, why, sizeof(why));
		if (cases[i].ok && rc)
			fail_msg("%s: refused: %s", cases[i].name, why);
		if (!cases[i].ok && (rc != MBMS_EINVAL || !why[0]))
			fail_msg("%s: accepted", cases[i].name);
		struct mbms_bmsc *b = NULL;
		assert_int_equal(mbms_bmsc_new(&h->cfg, &b), cases[i].ok ? 0 : MBMS_EINVAL);
		mbms_bmsc_free(b);
		h_free(h);
	}
}

/* SipHash-2-4 reference outputs (Aumasson & Bernstein, vectors.h of the
 * reference implementation: key 00..0f, message 00..len-1). */
static void test_siphash(void **state)
{
	(void)state;
	uint8_t key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	static const struct {
		size_t len;
		uint64_t want;
	} v[] = {{0, 0x726fdb47dd0e0e31ULL},
		 {1, 0x74f839c593dc67fdULL},
		 {7, 0xab0200f58b01d137ULL},
		 {8, 0x93f5f5799a932462ULL},
		 {15, 0xa129ca6149be45e5ULL},
		 {63, 0x958a324ceb064572ULL}};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (bmsc_siphash(key, msg, v[i].len) != v[i].want)
			fail_msg("SipHash of %zu bytes: %016llx", v[i].len,
				 (unsigned long long)bmsc_siphash(key, msg, v[i].len));
	/* must fail: another key gives another value */
	key[0] ^= 1;
	assert_true(bmsc_siphash(key, msg, 15) != 0xa129ca6149be45e5ULL);
}

/* ---- registration and per-item codes ---- */

static void test_register(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct tue *u = h_ue(h, "user1@ims.example.org", 41001);
	struct h_result *res = calloc(1, sizeof(*res));
	struct mbms_km_service_list list;
	memset(&list, 0, sizeof(list));
	const char *ids[] = {H_SVC_A, H_SVC_C, "urn:example:mbms:unknown", H_SVC_B};
	for (size_t i = 0; i < 4; i++)
		snprintf(list.service_id[list.count++], MBMS_KMXML_URI_MAX + 1, "%s", ids[i]);
	char body[4096];
	size_t len;
	assert_int_equal(mbms_km_register_write(&list, body, sizeof(body), &len), 0);
	h_request(h, u, "register", MBMS_MEDIA_TYPE_REGISTER, body, HF_NONE, res);
	assert_int_equal(res->status, 200);
	assert_int_equal(h_item_status(res, false, 0, NULL), 200);
	assert_int_equal(h_item_status(res, false, 1, NULL), 403); /* not subscribed */
	assert_int_equal(h_item_status(res, false, 2, NULL), 404); /* unknown service */
	assert_int_equal(h_item_status(res, false, 3, NULL), 200);
	/* registration pushes nothing by itself (10.19) */
	assert_int_equal(h->nsent, 0);
	/* persisted: the UE row and two registrations */
	assert_non_null(h_store_find(&h->store, MBMS_BMSC_REC_UE, u->impi, 0));
	assert_int_equal(h_store_count(&h->store, MBMS_BMSC_REC_REG), 2);
	struct mbms_bmsc_stats st;
	mbms_bmsc_get_stats(h->b, &st);
	assert_int_equal(st.registered_ues, 1);
	assert_int_equal(st.zn_fetches, 1);
	/* exact IMPI and *@domain subscribers of the premium service */
	struct tue *vip = h_ue(h, "vip@ims.example.org", 41002);
	struct tue *gold = h_ue(h, "alice@gold.example.org", 41003);
	struct tue *fake = h_ue(h, "alice@gold.example.org.evil", 41004);
	h_register(h, vip, H_SVC_C, NULL, res);
	assert_int_equal(h_item_status(res, false, 0, NULL), 200);
	h_register(h, gold, H_SVC_C, NULL, res);
	assert_int_equal(h_item_status(res, false, 0, NULL), 200);
	h_register(h, fake, H_SVC_C, NULL, res);
	assert_int_equal(h_item_status(res, false, 0, NULL), 403);
	/* the second request of a UE needs no Zn: Ks_NAF is cached */
	h_request(h, u, "register", MBMS_MEDIA_TYPE_REGISTER, body, HF_KEEP_ZN, res);
	assert_int_equal(res->status, 200);
	assert_false(res->need_zn);
	/* deregistration */
	h_deregister(h, u, H_SVC_B, res);
	assert_int_equal(res->status, 200);
	assert_int_equal(h_item_status(res, false, 0, NULL), 200);
	assert_int_equal(h_store_count(&h->store, MBMS_BMSC_REC_REG), 3);
	h_deregister(h, u, "urn:example:mbms:unknown", res);
	assert_int_equal(h_item_status(res, false, 0, NULL), 404);
	free(res);
	h_ue_free(u);
	h_ue_free(vip);
	h_ue_free(gold);
	h_ue_free(fake);
	h_free(h);
}

/* ---- HTTP Digest: each row one request by a fresh UE ---- */

struct digest_case {
	const char *name;
	unsigned flags;
	bool allow_qop_auth;
	bool prime;      /* one good request first (for the replay row) */
	unsigned status;
};

static void test_digest_table(void **state)
{
	(void)state;
	static const struct digest_case cases[] = {
		{"auth-int, right password", HF_NONE, false, false, 200},
		{"no Authorization", HF_NO_AUTH, false, false, 401},
		{"auth-int over a tampered body", HF_TAMPER, false, false, 401},
		{"qop=auth refused by default", HF_QOP_AUTH, false, false, 401},
		{"qop=auth accepted when configured", HF_QOP_AUTH, true, false, 200},
		{"auth-int still required to cover the body", HF_TAMPER, true, false, 401},
		{"wrong password (other MRK)", HF_WRONG_PW, false, false, 401},
		{"wrong realm", HF_WRONG_REALM, false, false, 401},
		{"uri of another request", HF_WRONG_URI, false, false, 400},
		{"nonce of another server", HF_FOREIGN_NONCE, false, false, 401},
		{"nonce count replayed", HF_REPLAY, false, true, 401},
		{"unparseable Authorization", HF_BAD_HEADER, false, false, 400},
		{"no cnonce", HF_NO_CNONCE, false, false, 401},
		{"algorithm SHA-256", HF_ALG_SHA, false, false, 401},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct harness *h = h_new();
		h->cfg.allow_qop_auth = cases[i].allow_qop_auth;
		h_open(h);
		struct tue *u = h_ue(h, "user1@ims.example.org", 41001);
		struct h_result *res = calloc(1, sizeof(*res));
		struct mbms_km_service_list list;
		memset(&list, 0, sizeof(list));
		snprintf(list.service_id[list.count++], MBMS_KMXML_URI_MAX + 1, "%s", H_SVC_A);
		char body[1024];
		size_t len;
		assert_int_equal(mbms_km_register_write(&list, body, sizeof(body), &len), 0);
		if (cases[i].prime) {
			h_request(h, u, "register", MBMS_MEDIA_TYPE_REGISTER, body, HF_NONE, res);
			assert_int_equal(res->status, 200);
		}
		h_request(h, u, "register", MBMS_MEDIA_TYPE_REGISTER, body, cases[i].flags, res);
		if (res->status != cases[i].status)
			fail_msg("%s: HTTP %u, expected %u (%s)", cases[i].name, res->status,
				 cases[i].status, h->last_log);
		if (res->status == 401) {
			/* every 401 carries a fresh challenge for auth-int */
			assert_non_null(strstr(res->www_auth, "qop=\"auth-int"));
			assert_non_null(strstr(res->www_auth, "realm=\"3GPP-bootstrapping@" H_FQDN "\""));
			assert_non_null(strstr(res->www_auth, "algorithm=MD5"));
			assert_false(res->stale);
			assert_int_equal(res->body_len, 0);
		}
		if (res->status != 200)
			assert_int_equal(res->auth_info[0], '\0');
		free(res);
		h_ue_free(u);
		h_free(h);
	}
}

static void test_digest_stale_and_replay(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct tue *u = h_ue(h, "user1@ims.example.org", 41001);
	struct h_result *res = calloc(1, sizeof(*res));
	h_register(h, u, H_SVC_A, NULL, res);
	assert_int_equal(res->status, 200);
	/* several requests under one nonce, nc increasing */
	for (int i = 0; i < 3; i++) {
		h_register(h, u, H_SVC_A, NULL, res);
		assert_int_equal(res->status, 200);
	}
	assert_int_equal(u->nc, 4);
	/* the nonce expires: stale=true, then a fresh nonce works */
	h_tick(h, h->now + h->cfg.nonce_lifetime_ms + 1000);
	char body[1024];
	struct mbms_km_service_list list;
	memset(&list, 0, sizeof(list));
	snprintf(list.service_id[list.count++], MBMS_KMXML_URI_MAX + 1, "%s", H_SVC_A);
	size_t len;
	assert_int_equal(mbms_km_register_write(&list, body, sizeof(body), &len), 0);
	h_request(h, u, "register", MBMS_MEDIA_TYPE_REGISTER, body, HF_NO_RETRY, res);
	assert_int_equal(res->status, 401);
	assert_true(res->stale);
	h_request(h, u, "register", MBMS_MEDIA_TYPE_REGISTER, body, HF_NONE, res);
	assert_int_equal(res->status, 200);
	/* a replay of that request (same nonce, same nc) is refused */
	h_request(h, u, "register", MBMS_MEDIA_TYPE_REGISTER, body, HF_REPLAY | HF_NO_RETRY, res);
	assert_int_equal(res->status, 401);
	struct mbms_bmsc_stats st;
	mbms_bmsc_get_stats(h->b, &st);
	assert_int_equal(st.digest_stale, 2); /* the second request still had the old nonce */
	assert_int_equal(st.digest_replays, 1);
	free(res);
	h_ue_free(u);
	h_free(h);
}

/* ---- the nc tracker (lib/bmsc_table.c) ---- */

/* bmsc_nc_* and bmsc_siphash: lib/bmsc_priv.h, included above */

static void nonce_of(int i, char out[MBMS_DIGEST_NONCE_LEN + 1])
{
	memset(out, 'A', MBMS_DIGEST_NONCE_LEN);
	snprintf(out, 12, "N%010d", i);
	out[11] = 'x';
	out[MBMS_DIGEST_NONCE_LEN] = '\0';
}

static void test_nc_tracker(void **state)
{
	(void)state;
	struct bmsc_nc t;
	uint8_t key[16] = {7};
	assert_int_equal(bmsc_nc_init(&t, 8, key), MBMS_EINVAL);
	assert_int_equal(bmsc_nc_init(&t, 16, key), 0);
	char n[MBMS_DIGEST_NONCE_LEN + 1];
	static const struct {
		int nonce;
		uint64_t issued;
		uint32_t nc;
		int want;
	} steps[] = {
		{1, 100, 1, 0},
		{1, 100, 1, MBMS_EREPLAY}, /* same nc */
		{1, 100, 2, 0},
		{1, 100, 1, MBMS_EREPLAY}, /* lower */
		{1, 100, 9, 0},            /* gaps are fine */
		{2, 100, 0, MBMS_EREPLAY}, /* nc 0 never */
		{2, 101, 5, 0},
		{1, 100, 9, MBMS_EREPLAY},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		nonce_of(steps[i].nonce, n);
		int rc = bmsc_nc_use(&t, n, steps[i].issued, steps[i].nc);
		if (rc != steps[i].want)
			fail_msg("step %zu: %d, expected %d", i, rc, steps[i].want);
	}
	/* fill it: the oldest are evicted, and nonces issued up to them refused */
	for (int i = 10; i < 40; i++) {
		nonce_of(i, n);
		assert_int_equal(bmsc_nc_use(&t, n, 200 + (uint64_t)i, 1), 0);
	}
	assert_int_equal(t.count, 16);
	nonce_of(1, n);
	assert_int_equal(bmsc_nc_use(&t, n, 100, 10), MBMS_EREPLAY); /* evicted: refused */
	nonce_of(39, n);
	assert_int_equal(bmsc_nc_use(&t, n, 239, 1), MBMS_EREPLAY); /* still known */
	assert_int_equal(bmsc_nc_use(&t, n, 239, 2), 0);
	/* expiry forgets entries whose lifetime is over */
	bmsc_nc_expire(&t, 1000, 100);
	assert_int_equal(t.count, 0);
	bmsc_nc_free(&t);
}

/* ---- Zn ---- */

static void test_zn_answers(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	/* a UE the BSF does not know: 401 so that it bootstraps again */
	struct tue *u = h_ue(h, "user1@ims.example.org", 41001);
	h->nbsf = 0;
	h_register(h, u, H_SVC_A, NULL, res);
	assert_int_equal(res->status, 401);
	assert_false(res->stale);
	/* the BSF does not answer: 503 with Retry-After */
	h->nbsf = 1;
	h->bsf_down = true;
	h_register(h, u, H_SVC_A, NULL, res);
	assert_int_equal(res->status, 503);
	assert_true(res->retry_after > 0);
	h->bsf_down = false;
	h_register(h, u, H_SVC_A, NULL, res);
	assert_int_equal(res->status, 200);
	/* the B-TID's lifetime ends: cached or not, 401 */
	h_tick(h, h->now + 3601 * 1000ULL);
	h_register(h, u, H_SVC_A, NULL, res);
	assert_int_equal(res->status, 401);
	/* a new bootstrap is accepted, for the same registration */
	h_ue_rebootstrap(h, u);
	h_register(h, u, H_SVC_A, NULL, res);
	assert_int_equal(res->status, 200);
	struct mbms_bmsc_stats st;
	mbms_bmsc_get_stats(h->b, &st);
	assert_int_equal(st.zn_unknown, 1);
	assert_int_equal(st.zn_failures, 1);
	assert_int_equal(st.zn_fetches, 2);
	assert_int_equal(st.ues, 1);
	assert_int_equal(st.registered_ues, 1);
	const struct mbms_bmsc_rec *r = h_store_find(&h->store, MBMS_BMSC_REC_UE, u->impi, 0);
	assert_non_null(r);
	assert_string_equal(r->ue.btid, u->btid);
	assert_memory_equal(r->ue.muk, u->ks_naf, 32);
	free(res);
	h_ue_free(u);
	h_free(h);
}

/* ---- HTTP-level answers (10.18) ---- */

static void test_http_codes(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct tue *u = h_ue(h, "user1@ims.example.org", 41001);
	struct h_result *res = calloc(1, sizeof(*res));
	struct mbms_bmsc_http_req req = {.method = "POST", .path = "/other", .peer = u->addr};
	h_call(h, &req, 0, res);
	assert_int_equal(res->status, 404);
	req.path = MBMS_PROFILE_KM_PATH;
	req.method = "GET";
	h_call(h, &req, 0, res);
	assert_int_equal(res->status, 405);
	assert_string_equal(res->allow, "POST");
	req.method = "POST";
	req.requesttype = "msk-push";
	h_call(h, &req, 0, res);
	assert_int_equal(res->status, 400);
	req.requesttype = NULL;
	h_call(h, &req, 0, res);
	assert_int_equal(res->status, 400);

	/* authenticated, but wrong media type: 415 */
	h_request(h, u, "register", "application/xml",
		  "<?xml version=\"1.0\"?><x/>", HF_NONE, res);
	assert_int_equal(res->status, 415);
	h_request(h, u, "register", NULL, "", HF_NONE, res);
	assert_int_equal(res->status, 415);
	h_request(h, u, "msk-request", MBMS_MEDIA_TYPE_REGISTER, "", HF_NONE, res);
	assert_int_equal(res->status, 415);
	/* media type parameters and case do not matter */
	char body[1024];
	struct mbms_km_service_list list;
	memset(&list, 0, sizeof(list));
	snprintf(list.service_id[list.count++], MBMS_KMXML_URI_MAX + 1, "%s", H_SVC_A);
	size_t len;
	assert_int_equal(mbms_km_register_write(&list, body, sizeof(body), &len), 0);
	h_request(h, u, "register", "Application/MBMS-Register+XML; charset=utf-8", body, HF_NONE,
		  res);
	assert_int_equal(res->status, 200);
	/* malformed bodies: 400 */
	static const char *const bad[] = {
		"",
		"<mbmsUserServiceRegistration xmlns=\"urn:3gpp:mbms:keymanagement:2026\"></mbmsUserServiceRegistration>",
		"<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"y\">]><mbmsUserServiceRegistration xmlns=\"urn:3gpp:mbms:keymanagement:2026\"><serviceId>&x;</serviceId></mbmsUserServiceRegistration>",
		"<mbmsUserServiceRegistration><serviceId>urn:a:b</serviceId></mbmsUserServiceRegistration>",
		"<mbmsUserServiceRegistration xmlns=\"urn:3gpp:mbms:keymanagement:2026\"><serviceId>urn:a:b</serviceId><extra/></mbmsUserServiceRegistration>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h_request(h, u, "register", MBMS_MEDIA_TYPE_REGISTER, bad[i], HF_NONE, res);
		if (res->status != 400)
			fail_msg("bad body %zu: HTTP %u", i, res->status);
	}
	/* must-pass twin of the table: the namespaced body is fine */
	h_request(h, u, "register", MBMS_MEDIA_TYPE_REGISTER, body, HF_NONE, res);
	assert_int_equal(res->status, 200);
	free(res);
	h_ue_free(u);
	h_free(h);
}

static void test_ue_port_header(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct tue *u = h_ue(h, "user1@ims.example.org", 41001);
	struct h_result *res = calloc(1, sizeof(*res));
	static const struct {
		const char *value;
		unsigned status;
		uint16_t port;
	} rows[] = {
		{"41001", 200, 41001}, {NULL, 200, MBMS_PROFILE_UE_MIKEY_PORT}, {"0", 400, 0},
		{"65536", 400, 0},     {"12a", 400, 0},  {"", 400, 0},          {"-1", 400, 0},
		{"65535", 200, 65535},
	};
	char body[1024];
	struct mbms_km_service_list list;
	memset(&list, 0, sizeof(list));
	snprintf(list.service_id[list.count++], MBMS_KMXML_URI_MAX + 1, "%s", H_SVC_A);
	size_t len;
	assert_int_equal(mbms_km_register_write(&list, body, sizeof(body), &len), 0);
	/* the harness sends u->port; craft the header by hand here */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		/* get a nonce and build the request once, with the header value of the row */
		h_request(h, u, "register", MBMS_MEDIA_TYPE_REGISTER, body, HF_NONE, res);
		assert_int_equal(res->status, 200);
		char ha1[33], resp[33], nc[9], authz[2048], pw[64];
		assert_int_equal(mbms_base64_encode(u->ks_naf, 32, pw, sizeof(pw)), 0);
		assert_int_equal(mbms_digest_ha1(u->btid, MBMS_PROFILE_REALM_PREFIX H_FQDN,
						 (const uint8_t *)pw, 44, ha1),
				 0);
		snprintf(nc, sizeof(nc), "%08x", ++u->nc);
		const char *uri = "/keymanagement?requesttype=register";
		assert_int_equal(mbms_digest_response(ha1, u->nonce, nc, "c0ffee", "auth-int", "POST",
						      uri, (const uint8_t *)body, strlen(body), resp),
				 0);
		struct mbms_digest_creds c = {.username = u->btid,
					      .realm = MBMS_PROFILE_REALM_PREFIX H_FQDN,
					      .nonce = u->nonce, .uri = uri, .response = resp,
					      .algorithm = "MD5", .qop = "auth-int", .nc = nc,
					      .cnonce = "c0ffee"};
		assert_int_equal(mbms_digest_format_authorization(&c, authz, sizeof(authz)), 0);
		struct mbms_bmsc_http_req req = {.method = "POST", .path = MBMS_PROFILE_KM_PATH,
						 .requesttype = "register",
						 .content_type = MBMS_MEDIA_TYPE_REGISTER,
						 .authorization = authz, .ue_port = rows[i].value,
						 .body = (const uint8_t *)body, .body_len = strlen(body),
						 .peer = u->addr};
		h_call(h, &req, 0, res);
		if (res->status != rows[i].status)
			fail_msg("X-MBMS-UE-Port '%s': HTTP %u", rows[i].value ? rows[i].value : "(none)",
				 res->status);
		if (res->status == 200) {
			const struct mbms_bmsc_rec *r =
				h_store_find(&h->store, MBMS_BMSC_REC_UE, u->impi, 0);
			assert_non_null(r);
			assert_int_equal(r->ue.addr.port, rows[i].port);
		}
	}
	free(res);
	h_ue_free(u);
	h_free(h);
}

/* ---- MSK request (6.2, 10.17, 10.19) and the push that follows ---- */

static void test_msk_request(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	uint32_t cur1 = 0, cur2 = 0, nxt = 1;
	assert_int_equal(mbms_bmsc_key_group_msks(h->b, H_KG1, &cur1, &nxt), 0);
	assert_int_equal(mbms_bmsc_key_group_msks(h->b, H_KG2, &cur2, NULL), 0);
	assert_int_equal(mbms_msk_id_key_group(cur1), H_KG1);
	assert_true(mbms_msk_id_key_number(cur1) != 0);
	assert_int_equal(nxt, 0);
	struct tue *u = h_ue(h, "user1@ims.example.org", 41001);
	struct h_result *res = calloc(1, sizeof(*res));
	/* 10.19: before registering, 403 for every item */
	uint32_t kn0 = mbms_msk_id_make(H_KG1, 0);
	h_msk_request(h, u, &kn0, 1, res);
	assert_int_equal(res->status, 200);
	assert_int_equal(h_item_status(res, true, 0, NULL), 403);
	assert_int_equal(h->nsent, 0);
	h_register(h, u, H_SVC_A, NULL, res);
	assert_int_equal(res->status, 200);
	uint32_t ids[] = {kn0, mbms_msk_id_make(H_KG2, 0), mbms_msk_id_make(0x7777, 0),
			  mbms_msk_id_make(H_KG1, (uint16_t)(mbms_msk_id_key_number(cur1) + 7)),
			  cur1};
	size_t before = h->nsent;
	h_msk_request(h, u, ids, 5, res);
	assert_int_equal(res->status, 200);
	uint32_t got;
	assert_int_equal(h_item_status(res, true, 0, &got), 200);
	assert_int_equal(got, kn0); /* 10.17: the requested ID */
	assert_int_equal(h_item_status(res, true, 1, NULL), 403); /* KG2 is service B's */
	assert_int_equal(h_item_status(res, true, 2, NULL), 404); /* unknown key group */
	assert_int_equal(h_item_status(res, true, 3, NULL), 404); /* unknown key number */
	assert_int_equal(h_item_status(res, true, 4, NULL), 200); /* the current one by ID */
	/* one push (the same MSK asked twice), to the UE's port, with V */
	size_t idx[8];
	size_t n = h_sent_to(h, u->port, before, idx, 8);
	assert_int_equal(n, 2); /* asked twice: the second starts it over */
	assert_int_equal(h_ue_rx(h, u, idx[0], false), 0);
	assert_int_equal(u->info.kind, MBMS_MSG_MSK);
	assert_true(u->info.v_flag);
	assert_int_equal(u->info.msk_id, cur1); /* the MIKEY message carries the real ID */
	assert_memory_equal(u->info.key_domain_id, h_kd, 3);
	assert_int_equal(u->info.vf, 1);
	assert_int_equal(u->info.vt, 100);
	assert_non_null(mbms_key_store_find(&u->ks, h_kd, cur1));
	/* the ack of the latest transmission is accepted */
	assert_int_equal(h_ue_rx(h, u, idx[1], true), 0);
	struct mbms_bmsc_stats st;
	mbms_bmsc_get_stats(h->b, &st);
	assert_int_equal(st.pushes_sent, 2);
	assert_int_equal(st.pushes_acked, 1);
	assert_int_equal(st.pending_pushes, 0);
	const struct mbms_bmsc_rec *r = h_store_find(&h->store, MBMS_BMSC_REC_PUSH, u->impi, cur1);
	assert_non_null(r);
	assert_int_equal(r->push_state, MBMS_BMSC_PUSH_ACKED);
	/* a foreign key domain: 404 items */
	struct mbms_km_msk_request rq;
	memset(&rq, 0, sizeof(rq));
	rq.key_domain_id[0] = 0x99;
	rq.msk_id[rq.count++] = kn0;
	char body[1024];
	size_t len;
	assert_int_equal(mbms_km_msk_request_write(&rq, body, sizeof(body), &len), 0);
	h_request(h, u, "msk-request", MBMS_MEDIA_TYPE_MSK_REQUEST, body, HF_NONE, res);
	assert_int_equal(h_item_status(res, true, 0, NULL), 404);
	free(res);
	h_ue_free(u);
	h_free(h);
}

/* ---- the announcement (PROFILE.md 8) ---- */

static void test_announcement(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	mbms_bmsc_set_announce_port(h->b, 18080);
	struct h_result *res = calloc(1, sizeof(*res));
	struct mbms_bmsc_http_req req = {.method = "GET", .path = "/announcement/urn:example:mbms:news"};
	static const char *const paths[] = {"/announcement/urn:example:mbms:news",
					    "/announcement/urn%3Aexample%3Ambms%3Anews",
					    "/announcement/urn%3aexample%3ambms%3anews"};
	for (size_t i = 0; i < 3; i++) {
		req.path = paths[i];
		h_call(h, &req, 0, res);
		assert_int_equal(res->status, 200);
		struct mbms_announcement a;
		assert_int_equal(mbms_announcement_parse(res->body, res->body_len, &a), 0);
		assert_string_equal(a.service_id, H_SVC_A);
		assert_string_equal(a.km_server.host, H_FQDN);
		assert_int_equal(a.km_server.port, 18080);
		assert_memory_equal(a.key_domain_id, h_kd, 3);
		assert_int_equal(a.msk_count, 1);
		assert_int_equal(a.msk_id[0], mbms_msk_id_make(H_KG1, 0));
		assert_int_equal(a.session_count, 1);
		assert_int_equal(a.session[0].key_group, H_KG1);
		assert_int_equal(a.session[0].mtk_port, 2269);
		assert_int_equal(a.session[0].destination.port, 5004);
		assert_int_equal(a.offset_time, 1);
		assert_int_equal(a.random_time_period, 5);
		assert_true(a.confidentiality);
	}
	/* service B: two MSKIDs, no session */
	req.path = "/announcement/urn:example:mbms:sport";
	h_call(h, &req, 0, res);
	struct mbms_announcement a;
	assert_int_equal(mbms_announcement_parse(res->body, res->body_len, &a), 0);
	assert_int_equal(a.msk_count, 2);
	assert_int_equal(a.session_count, 0);
	req.path = "/announcement/urn:example:mbms:none";
	h_call(h, &req, 0, res);
	assert_int_equal(res->status, 404);
	req.path = "/announcement/";
	h_call(h, &req, 0, res);
	assert_int_equal(res->status, 404);
	req.path = "/announcement/urn:example:mbms:news";
	req.method = "POST";
	h_call(h, &req, 0, res);
	assert_int_equal(res->status, 405);
	free(res);
	h_free(h);
}

static void test_status_json(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct tue *u = h_ue(h, "user1@ims.example.org", 41001);
	struct h_result *res = calloc(1, sizeof(*res));
	h_register(h, u, H_SVC_A, H_SVC_B, res);
	char out[8192];
	size_t len = 0;
	assert_int_equal(mbms_bmsc_status_json(h->b, h->now, out, 16, &len), MBMS_ENOSPC);
	assert_int_equal(mbms_bmsc_status_json(h->b, h->now, out, sizeof(out), &len), 0);
	cJSON *j = cJSON_ParseWithLength(out, len);
	assert_non_null(j);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "services")), 3);
	cJSON *kgs = cJSON_GetObjectItem(j, "key_groups");
	assert_int_equal(cJSON_GetArraySize(kgs), 3);
	cJSON *k0 = cJSON_GetArrayItem(kgs, 0);
	assert_int_equal(cJSON_GetObjectItem(k0, "key_group")->valueint, H_KG1);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(k0, "current_msk_id")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(k0, "next_msk_id")));
	assert_int_equal(cJSON_GetObjectItem(k0, "registered_ues")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(j, "registered_ues")->valueint, 1);
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "pushes"), "given_up"));
	cJSON_Delete(j);
	free(res);
	h_ue_free(u);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_check),
		cmocka_unit_test(test_siphash),
		cmocka_unit_test(test_nc_tracker),
		cmocka_unit_test(test_register),
		cmocka_unit_test(test_digest_table),
		cmocka_unit_test(test_digest_stale_and_replay),
		cmocka_unit_test(test_zn_answers),
		cmocka_unit_test(test_http_codes),
		cmocka_unit_test(test_ue_port_header),
		cmocka_unit_test(test_msk_request),
		cmocka_unit_test(test_announcement),
		cmocka_unit_test(test_status_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
