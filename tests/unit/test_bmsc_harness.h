/* A harness for the BM-SC state machine tests (test_bmsc*.c): a
 * configuration, fake time, a fake BSF (Zn answers), a fake store that
 * applies PERSIST records with the database's upsert semantics (so a
 * "restart" restores exactly what a daemon would have), the datagrams the
 * object sent, and UEs built on the library (Digest auth-int client,
 * mbms_ue_rx_muk_msg / mbms_verification_build). No sockets, no clock.
 *
 * Invariants checked on every drained action: an MSK message or trigger
 * to a UE carries a TS counter below the UE's last persisted high-water
 * mark, an MTK message one below its MSK's (a counter is durable before
 * it is used). */
#ifndef TEST_BMSC_HARNESS_H
#define TEST_BMSC_HARNESS_H

#include "testutil.h"

#include "mbmssec/bmsc.h"
#include "mbmssec/crypto.h"
#include "mbmssec/digest.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/kmxml.h"
#include "mbmssec/mbms_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* every helper is used by some test file, not by all */
#define H_API static __attribute__((unused))

#define H_FQDN "bmsc.test.example.org"
#define H_SVC_A "urn:example:mbms:news"
#define H_SVC_B "urn:example:mbms:sport"
#define H_SVC_C "urn:example:mbms:premium"
#define H_KG1 0x0102
#define H_KG2 0x0203
#define H_KG3 0x0304
#define H_T0 1800000000000ULL /* ms: 2027-01-15 */
#define H_MAX_SENT 4096
#define H_MAX_UES 64

static const uint8_t h_kd[3] = {0x00, 0xF1, 0x10}; /* MCC 001 MNC 01 */

struct h_sent {
	struct mbms_bmsc_addr to;
	size_t len;
	uint8_t data[MBMS_MSG_MAX_LEN];
};

struct h_bsf_entry {
	char btid[MBMS_GBA_BTID_MAX];
	char impi[MBMS_GBA_IMPI_MAX];
	uint8_t ks_naf[32];
	uint64_t expires_at; /* s */
};

struct h_store {
	struct mbms_bmsc_rec *r;
	size_t n, cap;
};

struct harness {
	/* configuration */
	struct mbms_bmsc_key_group_cfg kg[3];
	uint16_t kgs_a[1], kgs_b[2], kgs_c[1];
	const char *subs_c[2];
	struct mbms_bmsc_service_cfg svc[3];
	struct mbms_bmsc_addr mtk_to[2];
	struct mbms_bmsc_session_cfg sess[1];
	struct mbms_bmsc_config cfg;
	/* the object */
	struct mbms_bmsc *b;
	uint64_t now;
	/* fake BSF */
	struct h_bsf_entry bsf[H_MAX_UES];
	size_t nbsf;
	bool bsf_down;
	/* outputs */
	struct h_sent *sent;
	size_t nsent;
	struct h_store store;
	size_t nlogs;
	char last_log[MBMS_BMSC_LOG_MAX];
	bool verbose;
	bool skip_checks; /* UEs not made through the harness (scale test) */
	unsigned persists;
};

struct tue {
	char impi[MBMS_GBA_IMPI_MAX];
	char btid[MBMS_GBA_BTID_MAX];
	uint8_t ks_naf[32];
	uint16_t port;
	struct mbms_bmsc_addr addr;
	char nonce[MBMS_DIGEST_NONCE_LEN + 1];
	uint32_t nc;
	struct mbms_muk_state muk;
	struct mbms_key_store ks;
	/* last receive */
	struct mbms_msg_info info;
	uint8_t last_ack[MBMS_MSG_MAX_LEN];
	size_t last_ack_len;
};

/* ---- the fake store: PERSIST records with database semantics ---- */

H_API bool h_same_key(const struct mbms_bmsc_rec *a, const struct mbms_bmsc_rec *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case MBMS_BMSC_REC_KEY_GROUP: return a->key_group == b->key_group;
	case MBMS_BMSC_REC_MSK: return a->msk.msk_id == b->msk.msk_id;
	case MBMS_BMSC_REC_UE: return strcmp(a->ue.impi, b->ue.impi) == 0;
	case MBMS_BMSC_REC_REG:
		return strcmp(a->ue.impi, b->ue.impi) == 0 && strcmp(a->service_id, b->service_id) == 0;
	case MBMS_BMSC_REC_PUSH:
		return strcmp(a->ue.impi, b->ue.impi) == 0 && a->msk_id == b->msk_id;
	default: return false;
	}
}

H_API void h_store_del_if(struct h_store *s, bool (*pred)(const struct mbms_bmsc_rec *, const void *),
			   const void *arg)
{
	size_t j = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!pred(&s->r[i], arg))
			s->r[j++] = s->r[i];
	s->n = j;
}

H_API bool h_pred_msk(const struct mbms_bmsc_rec *r, const void *arg)
{
	uint32_t id = *(const uint32_t *)arg;
	return (r->kind == MBMS_BMSC_REC_MSK && r->msk.msk_id == id) ||
	       (r->kind == MBMS_BMSC_REC_PUSH && r->msk_id == id);
}

H_API bool h_pred_ue(const struct mbms_bmsc_rec *r, const void *arg)
{
	const char *impi = arg;
	return (r->kind == MBMS_BMSC_REC_UE || r->kind == MBMS_BMSC_REC_REG ||
		r->kind == MBMS_BMSC_REC_PUSH) &&
	       strcmp(r->ue.impi, impi) == 0;
}

H_API bool h_pred_key(const struct mbms_bmsc_rec *r, const void *arg)
{
	return h_same_key(r, arg);
}

H_API void h_store_apply(struct h_store *s, const struct mbms_bmsc_rec *rec)
{
	struct mbms_bmsc_rec k = *rec;
	switch (rec->kind) {
	case MBMS_BMSC_REC_MSK_DEL:
		h_store_del_if(s, h_pred_msk, &rec->msk_id);
		return;
	case MBMS_BMSC_REC_UE_DEL:
		h_store_del_if(s, h_pred_ue, rec->ue.impi);
		return;
	case MBMS_BMSC_REC_UNREG:
		k.kind = MBMS_BMSC_REC_REG;
		h_store_del_if(s, h_pred_key, &k);
		return;
	case MBMS_BMSC_REC_PUSH_DEL:
		k.kind = MBMS_BMSC_REC_PUSH;
		h_store_del_if(s, h_pred_key, &k);
		return;
	default:
		break;
	}
	for (size_t i = 0; i < s->n; i++)
		if (h_same_key(&s->r[i], rec)) {
			s->r[i] = *rec;
			return;
		}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->r = realloc(s->r, s->cap * sizeof(*s->r));
		assert_non_null(s->r);
	}
	s->r[s->n++] = *rec;
}

H_API const struct mbms_bmsc_rec *h_store_find(const struct h_store *s,
						enum mbms_bmsc_rec_kind kind, const char *impi,
						uint32_t msk_id)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct mbms_bmsc_rec *r = &s->r[i];
		if (r->kind != kind)
			continue;
		if (kind == MBMS_BMSC_REC_MSK && r->msk.msk_id == msk_id)
			return r;
		if (kind == MBMS_BMSC_REC_UE && strcmp(r->ue.impi, impi) == 0)
			return r;
		if (kind == MBMS_BMSC_REC_PUSH && strcmp(r->ue.impi, impi) == 0 && r->msk_id == msk_id)
			return r;
	}
	return NULL;
}

H_API size_t h_store_count(const struct h_store *s, enum mbms_bmsc_rec_kind kind)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->r[i].kind == kind;
	return n;
}

/* ---- draining the action queue ---- */

H_API void h_check_counter(struct harness *h, const struct h_sent *d)
{
	struct mbms_msg_info info;
	if (mbms_msg_parse(d->data, d->len, MBMS_MSG_ANY, &info) != 0)
		fail_msg("the BM-SC sent a datagram that does not parse");
	if (info.kind == MBMS_MSG_MTK) {
		const struct mbms_bmsc_rec *r = h_store_find(&h->store, MBMS_BMSC_REC_MSK, NULL, info.msk_id);
		if (!r || info.ts_counter >= r->msk.ts_hwm)
			fail_msg("MTK message under %08x with counter %u not below a persisted mark",
				 info.msk_id, info.ts_counter);
		if (!r->msk.have_mtk_id || mbms_serial16_newer(info.mtk_id, r->msk.mtk_id_last))
			fail_msg("MTK ID %u not persisted (last %u)", info.mtk_id, r->msk.mtk_id_last);
		return;
	}
	char btid[MBMS_GBA_BTID_MAX];
	if (info.idr_len >= sizeof(btid))
		fail_msg("IDr too long");
	memcpy(btid, info.idr, info.idr_len);
	btid[info.idr_len] = '\0';
	const char *impi = NULL;
	for (size_t i = 0; i < h->nbsf; i++)
		if (strcmp(h->bsf[i].btid, btid) == 0)
			impi = h->bsf[i].impi;
	if (!impi)
		fail_msg("message to an unknown B-TID %s", btid);
	const struct mbms_bmsc_rec *r = h_store_find(&h->store, MBMS_BMSC_REC_UE, impi, 0);
	if (!r || info.ts_counter >= r->ue.ts_hwm)
		fail_msg("%s to %s with counter %u not below a persisted mark (%u)",
			 mbms_msg_kind_name(info.kind), impi, info.ts_counter, r ? r->ue.ts_hwm : 0);
}

H_API void h_drain(struct harness *h)
{
	const struct mbms_bmsc_action *a;
	while ((a = mbms_bmsc_action_next(h->b)) != NULL) {
		switch (a->kind) {
		case MBMS_BMSC_ACT_SEND: {
			assert_true(h->nsent < H_MAX_SENT);
			struct h_sent *d = &h->sent[h->nsent++];
			d->to = a->u.send.to;
			d->len = a->u.send.len;
			memcpy(d->data, a->u.send.data, d->len);
			if (!h->skip_checks)
				h_check_counter(h, d);
			break;
		}
		case MBMS_BMSC_ACT_PERSIST:
			h->persists++;
			if (!h->skip_checks)
				h_store_apply(&h->store, &a->u.rec);
			break;
		case MBMS_BMSC_ACT_LOG:
			h->nlogs++;
			snprintf(h->last_log, sizeof(h->last_log), "%s", a->u.log.text);
			if (h->verbose)
				fprintf(stderr, "  log[%d] %s\n", a->u.log.level, a->u.log.text);
			break;
		}
	}
	mbms_bmsc_actions_done(h->b);
}

/* ---- set-up ---- */

H_API void h_config(struct harness *h)
{
	memset(&h->cfg, 0, sizeof(h->cfg));
	h->kg[0] = (struct mbms_bmsc_key_group_cfg){H_KG1, 3600000, 600000, 100, 60000};
	h->kg[1] = (struct mbms_bmsc_key_group_cfg){H_KG2, 7200000, 600000, 65535, 600000};
	h->kg[2] = (struct mbms_bmsc_key_group_cfg){H_KG3, 3600000, 300000, 10, 60000};
	h->kgs_a[0] = H_KG1;
	h->kgs_b[0] = H_KG2;
	h->kgs_b[1] = H_KG1;
	h->kgs_c[0] = H_KG3;
	h->subs_c[0] = "vip@ims.example.org";
	h->subs_c[1] = "*@gold.example.org";
	h->svc[0] = (struct mbms_bmsc_service_cfg){.service_id = H_SVC_A, .key_groups = h->kgs_a,
						   .nkey_groups = 1, .any_subscriber = true,
						   .confidentiality = true, .integrity = true,
						   .offset_time = 1, .random_time_period = 5};
	h->svc[1] = (struct mbms_bmsc_service_cfg){.service_id = H_SVC_B, .key_groups = h->kgs_b,
						   .nkey_groups = 2, .any_subscriber = true,
						   .confidentiality = true, .integrity = true};
	h->svc[2] = (struct mbms_bmsc_service_cfg){.service_id = H_SVC_C, .key_groups = h->kgs_c,
						   .nkey_groups = 1, .subscribers = h->subs_c,
						   .nsubscribers = 2, .integrity = true};
	assert_int_equal(mbms_bmsc_addr_from_ip("127.0.0.1", 30001, &h->mtk_to[0]), 0);
	assert_int_equal(mbms_bmsc_addr_from_ip("127.0.0.1", 30002, &h->mtk_to[1]), 0);
	memset(&h->sess[0], 0, sizeof(h->sess[0]));
	h->sess[0].name = "news-video";
	h->sess[0].service_id = H_SVC_A;
	h->sess[0].key_group = H_KG1;
	snprintf(h->sess[0].destination.host, sizeof(h->sess[0].destination.host), "127.0.0.1");
	h->sess[0].destination.port = 5004;
	h->sess[0].mtk_port = 2269;
	h->sess[0].send_to = h->mtk_to;
	h->sess[0].nsend_to = 2;
	h->sess[0].mtk_interval_ms = 2000;
	h->cfg.fqdn = H_FQDN;
	h->cfg.announce_port = 8080;
	memcpy(h->cfg.key_domain_id, h_kd, 3);
	h->cfg.services = h->svc;
	h->cfg.nservices = 3;
	h->cfg.key_groups = h->kg;
	h->cfg.nkey_groups = 3;
	h->cfg.sessions = h->sess;
	h->cfg.nsessions = 1;
	h->cfg.nonce_lifetime_ms = 300000;
	h->cfg.nc_table_cap = 1024;
	h->cfg.retransmit_initial_ms = 2000;
	h->cfg.retransmit_max_ms = 16000;
	h->cfg.retransmit_count = 3;
	h->cfg.counter_block = 8;
}

H_API void h_restore_and_start(struct harness *h)
{
	static const enum mbms_bmsc_rec_kind order[] = {MBMS_BMSC_REC_KEY_GROUP, MBMS_BMSC_REC_MSK,
							 MBMS_BMSC_REC_UE, MBMS_BMSC_REC_REG,
							 MBMS_BMSC_REC_PUSH};
	for (size_t o = 0; o < 5; o++)
		for (size_t i = 0; i < h->store.n; i++)
			if (h->store.r[i].kind == order[o])
				assert_int_equal(mbms_bmsc_restore(h->b, &h->store.r[i]), 0);
	assert_int_equal(mbms_bmsc_start(h->b, h->now), 0);
	h_drain(h);
}

/* A harness with cfg as set by h_config (adjust h->cfg between h_config and h_open). */
H_API struct harness *h_new(void)
{
	struct harness *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	h->sent = calloc(H_MAX_SENT, sizeof(*h->sent));
	assert_non_null(h->sent);
	h->now = H_T0;
	h->verbose = getenv("MBMS_TEST_VERBOSE") != NULL;
	h_config(h);
	return h;
}

H_API void h_open(struct harness *h)
{
	char why[256] = "";
	int rc = mbms_bmsc_config_check(&h->cfg, why, sizeof(why));
	if (rc)
		fail_msg("config: %s", why);
	assert_int_equal(mbms_bmsc_new(&h->cfg, &h->b), 0);
	h_restore_and_start(h);
}

/* kill -9: the object is gone without a word; the store is what was
 * persisted. */
H_API void h_crash_and_restart(struct harness *h)
{
	while (mbms_bmsc_action_next(h->b))
		; /* actions not yet carried out are lost with the process */
	mbms_bmsc_free(h->b);
	h->b = NULL;
	assert_int_equal(mbms_bmsc_new(&h->cfg, &h->b), 0);
	h_restore_and_start(h);
}

H_API void h_free(struct harness *h)
{
	if (!h)
		return;
	mbms_bmsc_free(h->b);
	free(h->store.r);
	free(h->sent);
	free(h);
}

H_API void h_tick(struct harness *h, uint64_t now)
{
	h->now = now;
	int more;
	unsigned guard = 0;
	do {
		more = mbms_bmsc_tick(h->b, h->now, 0);
		h_drain(h);
	} while (more == 1 && ++guard < 100000);
}

/* Advance time to `to`, ticking at every deadline on the way. */
H_API void h_advance(struct harness *h, uint64_t to)
{
	for (;;) {
		h_tick(h, h->now);
		uint64_t d = mbms_bmsc_next_deadline(h->b);
		if (d <= h->now)
			fail_msg("a tick left work due at %llu", (unsigned long long)d);
		if (d > to) {
			h_tick(h, to);
			return;
		}
		h_tick(h, d);
	}
}

/* ---- UEs ---- */

H_API struct tue *h_ue(struct harness *h, const char *impi, uint16_t port)
{
	struct tue *u = calloc(1, sizeof(*u));
	assert_non_null(u);
	snprintf(u->impi, sizeof(u->impi), "%s", impi);
	u->port = port;
	assert_int_equal(mbms_bmsc_addr_from_ip("127.0.0.1", port, &u->addr), 0);
	/* bootstrap at the fake BSF */
	uint8_t rand[16];
	assert_int_equal(mbms_random(rand, 16), 0);
	assert_int_equal(mbms_btid_make(rand, "bsf.test.example.org", u->btid, sizeof(u->btid)), 0);
	assert_int_equal(mbms_random(u->ks_naf, 32), 0);
	assert_true(h->nbsf < H_MAX_UES);
	struct h_bsf_entry *e = &h->bsf[h->nbsf++];
	snprintf(e->btid, sizeof(e->btid), "%s", u->btid);
	snprintf(e->impi, sizeof(e->impi), "%s", impi);
	memcpy(e->ks_naf, u->ks_naf, 32);
	e->expires_at = h->now / 1000 + 3600;
	assert_int_equal(mbms_muk_state_init(&u->muk, u->ks_naf, (const uint8_t *)H_FQDN,
					     strlen(H_FQDN), (const uint8_t *)u->btid,
					     strlen(u->btid)),
			 0);
	mbms_key_store_init(&u->ks);
	return u;
}

/* A new bootstrap: new B-TID and Ks_NAF (the old ones stay known to the BSF
 * until they expire). */
H_API void h_ue_rebootstrap(struct harness *h, struct tue *u)
{
	uint8_t rand[16];
	assert_int_equal(mbms_random(rand, 16), 0);
	assert_int_equal(mbms_btid_make(rand, "bsf.test.example.org", u->btid, sizeof(u->btid)), 0);
	assert_int_equal(mbms_random(u->ks_naf, 32), 0);
	struct h_bsf_entry *e = &h->bsf[h->nbsf++];
	snprintf(e->btid, sizeof(e->btid), "%s", u->btid);
	snprintf(e->impi, sizeof(e->impi), "%s", u->impi);
	memcpy(e->ks_naf, u->ks_naf, 32);
	e->expires_at = h->now / 1000 + 3600;
	assert_int_equal(mbms_muk_state_init(&u->muk, u->ks_naf, (const uint8_t *)H_FQDN,
					     strlen(H_FQDN), (const uint8_t *)u->btid,
					     strlen(u->btid)),
			 0);
	u->nonce[0] = '\0';
}

H_API void h_ue_free(struct tue *u)
{
	if (!u)
		return;
	mbms_msg_info_wipe(&u->info);
	mbms_key_store_wipe(&u->ks);
	free(u);
}

enum h_flags {
	HF_NONE = 0,
	HF_NO_AUTH = 1 << 0,    /* no Authorization at all */
	HF_TAMPER = 1 << 1,     /* digest over the body, then change a byte */
	HF_QOP_AUTH = 1 << 2,   /* qop=auth */
	HF_WRONG_PW = 1 << 3,   /* password from another key */
	HF_WRONG_REALM = 1 << 4,
	HF_WRONG_URI = 1 << 5,
	HF_REPLAY = 1 << 6,     /* the previous nc again */
	HF_NO_RETRY = 1 << 7,   /* do not retry after a stale 401 */
	HF_FOREIGN_NONCE = 1 << 8,
	HF_BAD_HEADER = 1 << 9, /* not parseable */
	HF_NO_CNONCE = 1 << 10,
	HF_ALG_SHA = 1 << 11,
	HF_KEEP_ZN = 1 << 12,   /* do not answer Zn (check need_zn) */
};

struct h_result {
	unsigned status;
	bool stale;
	bool need_zn;
	char body[MBMS_PROFILE_MAX_BODY + 1];
	size_t body_len;
	char www_auth[512];
	char auth_info[256];
	unsigned retry_after;
	char allow[16];
};

H_API void h_zn_answer(struct harness *h, const char *btid, struct mbms_bmsc_zn_answer *zn)
{
	memset(zn, 0, sizeof(*zn));
	snprintf(zn->zn.btid, sizeof(zn->zn.btid), "%s", btid); /* always: what was asked */
	if (h->bsf_down) {
		zn->status = MBMS_EIO;
		return;
	}
	zn->status = MBMS_ENOTFOUND;
	for (size_t i = 0; i < h->nbsf; i++)
		if (strcmp(h->bsf[i].btid, btid) == 0 && h->bsf[i].expires_at * 1000 > h->now) {
			zn->status = 0;
			snprintf(zn->zn.btid, sizeof(zn->zn.btid), "%s", btid);
			snprintf(zn->zn.impi, sizeof(zn->zn.impi), "%s", h->bsf[i].impi);
			memcpy(zn->zn.ks_naf, h->bsf[i].ks_naf, 32);
			zn->zn.expires_at = h->bsf[i].expires_at;
		}
}

H_API void h_call(struct harness *h, const struct mbms_bmsc_http_req *req, unsigned flags,
		   struct h_result *res)
{
	struct mbms_bmsc_http_rsp rsp;
	assert_int_equal(mbms_bmsc_http(h->b, req, NULL, h->now, &rsp), 0);
	res->need_zn = rsp.need_zn;
	if (rsp.need_zn && !(flags & HF_KEEP_ZN)) {
		struct mbms_bmsc_zn_answer zn;
		h_zn_answer(h, rsp.zn_btid, &zn);
		assert_int_equal(mbms_bmsc_http(h->b, req, &zn, h->now, &rsp), 0);
		assert_false(rsp.need_zn);
	}
	res->status = rsp.status;
	res->body_len = rsp.body_len;
	if (rsp.body_len)
		memcpy(res->body, rsp.body, rsp.body_len);
	res->body[rsp.body_len] = '\0';
	snprintf(res->www_auth, sizeof(res->www_auth), "%s", rsp.www_authenticate);
	snprintf(res->auth_info, sizeof(res->auth_info), "%s", rsp.auth_info);
	snprintf(res->allow, sizeof(res->allow), "%s", rsp.allow);
	res->retry_after = rsp.retry_after;
	res->stale = strstr(rsp.www_authenticate, "stale=true") != NULL;
	h_drain(h);
}

H_API void h_take_nonce(struct tue *u, const struct h_result *res)
{
	struct mbms_digest_fields f;
	assert_int_equal(mbms_digest_parse(res->www_auth, strlen(res->www_auth), true, &f), 0);
	assert_int_equal(mbms_digest_unquote(&f.nonce, u->nonce, sizeof(u->nonce)), 0);
	assert_true(mbms_digest_str_eq(&f.realm, MBMS_PROFILE_REALM_PREFIX H_FQDN));
	u->nc = 0;
}

/* One key-management request with the UE's Digest credentials. Handles the
 * first 401 and one stale 401; checks rspauth of a 200. */
H_API void h_request(struct harness *h, struct tue *u, const char *requesttype,
		      const char *content_type, const char *body, unsigned flags,
		      struct h_result *res)
{
	char path_q[128];
	snprintf(path_q, sizeof(path_q), "%s?requesttype=%s", MBMS_PROFILE_KM_PATH, requesttype);
	char port[8];
	snprintf(port, sizeof(port), "%u", u->port);
	size_t blen = body ? strlen(body) : 0;
	char *sent_body = malloc(blen + 1);
	assert_non_null(sent_body);
	memcpy(sent_body, body ? body : "", blen + 1);
	struct mbms_bmsc_http_req req = {
		.method = "POST",
		.path = MBMS_PROFILE_KM_PATH,
		.requesttype = requesttype,
		.content_type = content_type,
		.ue_port = port,
		.body = (const uint8_t *)sent_body,
		.body_len = blen,
	};
	req.peer = u->addr;
	req.peer.port = 40000;
	char authz[2048];
	for (int attempt = 0; attempt < 3; attempt++) {
		if (flags & HF_NO_AUTH) {
			req.authorization = NULL;
			h_call(h, &req, flags, res);
			break;
		}
		if (!u->nonce[0]) {
			req.authorization = NULL;
			h_call(h, &req, flags, res);
			assert_int_equal(res->status, 401);
			h_take_nonce(u, res);
		}
		const char *qop = flags & HF_QOP_AUTH ? "auth" : "auth-int";
		const char *realm = flags & HF_WRONG_REALM ? "3GPP-bootstrapping@other.example.org"
							   : MBMS_PROFILE_REALM_PREFIX H_FQDN;
		const char *uri = flags & HF_WRONG_URI ? "/keymanagement?requesttype=other" : path_q;
		char ha1[33], resp[33], nc[9], cnonce[17] = "0a1b2c3d4e5f6789";
		uint8_t pwkey[32];
		memcpy(pwkey, u->ks_naf, 32);
		if (flags & HF_WRONG_PW)
			pwkey[0] ^= 1;
		char pw[64];
		assert_int_equal(mbms_base64_encode(pwkey, 32, pw, sizeof(pw)), 0);
		assert_int_equal(strlen(pw), 44); /* 10.13 */
		assert_int_equal(mbms_digest_ha1(u->btid, realm, (const uint8_t *)pw, 44, ha1), 0);
		if (!(flags & HF_REPLAY) || u->nc == 0)
			u->nc++;
		snprintf(nc, sizeof(nc), "%08x", u->nc);
		char nonce[MBMS_DIGEST_NONCE_LEN + 1];
		snprintf(nonce, sizeof(nonce), "%s", u->nonce);
		if (flags & HF_FOREIGN_NONCE) {
			uint8_t other[32] = {1};
			assert_int_equal(mbms_digest_nonce_make(other, MBMS_PROFILE_REALM_PREFIX H_FQDN,
								h->now / 1000, nonce),
					 0);
		}
		assert_int_equal(mbms_digest_response(ha1, nonce, nc, cnonce, qop, "POST", uri,
						      req.body, req.body_len, resp),
				 0);
		if ((flags & HF_TAMPER) && blen)
			sent_body[blen / 2] ^= 0x01;
		struct mbms_digest_creds c = {.username = u->btid, .realm = realm, .nonce = nonce,
					      .uri = uri, .response = resp,
					      .algorithm = flags & HF_ALG_SHA ? "SHA-256" : "MD5",
					      .qop = qop, .nc = nc, .cnonce = cnonce};
		assert_int_equal(mbms_digest_format_authorization(&c, authz, sizeof(authz)), 0);
		if (flags & HF_NO_CNONCE) {
			char *p = strstr(authz, ", cnonce=");
			assert_non_null(p);
			*p = '\0';
		}
		if (flags & HF_BAD_HEADER)
			snprintf(authz, sizeof(authz), "Digest username=\"%s", u->btid);
		req.authorization = authz;
		h_call(h, &req, flags, res);
		if (res->status == 401 && res->stale && !(flags & HF_NO_RETRY)) {
			h_take_nonce(u, res);
			continue;
		}
		if (res->status == 200) {
			/* the UE checks rspauth over the response body (auth-int) */
			struct mbms_digest_fields f;
			assert_int_equal(mbms_digest_parse(res->auth_info, strlen(res->auth_info), false,
							   &f),
					 0);
			char want[33];
			assert_int_equal(mbms_digest_rspauth(ha1, nonce, nc, cnonce, qop, uri,
							     (const uint8_t *)res->body, res->body_len,
							     want),
					 0);
			assert_int_equal(mbms_digest_check_response(&f.rspauth, want), 0);
		}
		break;
	}
	free(sent_body);
}

H_API void h_register(struct harness *h, struct tue *u, const char *svc1, const char *svc2,
		       struct h_result *res)
{
	struct mbms_km_service_list list;
	memset(&list, 0, sizeof(list));
	snprintf(list.service_id[list.count++], MBMS_KMXML_URI_MAX + 1, "%s", svc1);
	if (svc2)
		snprintf(list.service_id[list.count++], MBMS_KMXML_URI_MAX + 1, "%s", svc2);
	char body[4096];
	size_t len;
	assert_int_equal(mbms_km_register_write(&list, body, sizeof(body), &len), 0);
	h_request(h, u, "register", MBMS_MEDIA_TYPE_REGISTER, body, HF_NONE, res);
}

H_API void h_deregister(struct harness *h, struct tue *u, const char *svc, struct h_result *res)
{
	struct mbms_km_service_list list;
	memset(&list, 0, sizeof(list));
	snprintf(list.service_id[list.count++], MBMS_KMXML_URI_MAX + 1, "%s", svc);
	char body[4096];
	size_t len;
	assert_int_equal(mbms_km_deregister_write(&list, body, sizeof(body), &len), 0);
	h_request(h, u, "deregister", MBMS_MEDIA_TYPE_DEREGISTER, body, HF_NONE, res);
}

H_API void h_msk_request(struct harness *h, struct tue *u, const uint32_t *ids, size_t n,
			  struct h_result *res)
{
	struct mbms_km_msk_request rq;
	memset(&rq, 0, sizeof(rq));
	memcpy(rq.key_domain_id, h_kd, 3);
	for (size_t i = 0; i < n; i++)
		rq.msk_id[rq.count++] = ids[i];
	char body[4096];
	size_t len;
	assert_int_equal(mbms_km_msk_request_write(&rq, body, sizeof(body), &len), 0);
	h_request(h, u, "msk-request", MBMS_MEDIA_TYPE_MSK_REQUEST, body, HF_NONE, res);
}

/* The datagrams sent to port since index *from (advanced). */
H_API size_t h_sent_to(struct harness *h, uint16_t port, size_t from, size_t *idx, size_t max)
{
	size_t n = 0;
	for (size_t i = from; i < h->nsent; i++)
		if (h->sent[i].to.port == port && n < max)
			idx[n++] = i;
	return n;
}

/* The UE receives datagram i: verify and install (mbms_ue_rx_muk_msg);
 * with ack, answer with a verification message into the BM-SC. Returns the
 * receive result. */
H_API int h_ue_rx(struct harness *h, struct tue *u, size_t i, bool ack)
{
	mbms_msg_info_wipe(&u->info);
	int rc = mbms_ue_rx_muk_msg(&u->muk, &u->ks, h->sent[i].data, h->sent[i].len, &u->info);
	if (rc)
		return rc;
	if (u->info.v_flag) {
		struct mbms_acked acked;
		assert_int_equal(mbms_acked_from_info(&u->info, &acked), 0);
		assert_int_equal(mbms_verification_build(u->ks_naf, 32, &acked, u->last_ack,
							 sizeof(u->last_ack), &u->last_ack_len),
				 0);
		if (ack) {
			rc = mbms_bmsc_udp_input(h->b, &u->addr, u->last_ack, u->last_ack_len, h->now);
			h_drain(h);
			return rc;
		}
	}
	return 0;
}

/* Status code of item i of a register / MSK response body. */
H_API unsigned h_item_status(const struct h_result *res, bool msk, size_t i, uint32_t *msk_id)
{
	if (msk) {
		struct mbms_km_msk_response r;
		assert_int_equal(mbms_km_msk_response_parse(res->body, res->body_len, &r), 0);
		assert_true(i < r.count);
		if (msk_id)
			*msk_id = r.item[i].msk_id;
		return r.item[i].status;
	}
	struct mbms_km_register_response *r = malloc(sizeof(*r));
	assert_non_null(r);
	assert_int_equal(mbms_km_register_response_parse(res->body, res->body_len, r), 0);
	assert_true(i < r->count);
	unsigned st = r->item[i].status;
	free(r);
	return st;
}

#endif
