/* Interop without sockets: several UE state machines (include/mbmssec/ue.h)
 * against the BM-SC state machine (include/mbmssec/bmsc.h), both from the
 * library, wired by a router that carries HTTP requests, Zn answers (a fake
 * BSF), MIKEY datagrams and verification messages between them under a
 * fake clock. Only public APIs on both sides: what passes here is what the
 * daemons say to each other on the wire.
 *
 * Covered end to end: announcement fetch, bootstrap, Digest auth-int both
 * ways, register, MSK request, push + ack, same current MSK everywhere,
 * rotation (next MSK pushed, switch-over), MTK messages, a UE whose
 * rotation pushes are lost recovering through the missed key update, a
 * solicited pull answered by every UE, B-TID renewal and re-registration,
 * an unauthorised UE leaving the service. */
#include "testutil.h"

#include "mbmssec/bmsc.h"
#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/gba.h"
#include "mbmssec/ids.h"
#include "mbmssec/kdf.h"
#include "mbmssec/ue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1800000000000ull
#define FQDN "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org"
#define BSF "bsf.mnc001.mcc001.pub.3gppnetwork.org"
#define SID "urn:example:mbms:news"
#define ANN_URL "http://" FQDN ":8080/announcement/urn%3Aexample%3Ambms%3Anews"
#define G1 0x0102u
#define NUE 4 /* UE 0..2 subscribed, UE 3 not */
#define UE_MTK_PORT 2269
#define LIFETIME_S 200 /* B-TID lifetime: renewed during the run */

static const uint8_t KD[3] = {0x00, 0xF1, 0x10};

struct bsf_entry {
	char btid[MBMS_GBA_BTID_MAX];
	char impi[MBMS_GBA_IMPI_MAX];
	uint8_t ks_naf[32];
	uint64_t expires_s;
};

struct tue {
	struct mbms_ue *ue;
	char impi[64];
	struct mbms_bmsc_addr mikey, mtk; /* where it listens */
	unsigned boots;
	size_t installed, left, mkus, triggers;
};

struct world {
	uint64_t now;
	struct mbms_bmsc *b;
	struct mbms_bmsc_config cfg;
	struct mbms_bmsc_key_group_cfg kg[1];
	uint16_t kgs[1];
	const char *subs[3];
	struct mbms_bmsc_service_cfg svc[1];
	struct mbms_bmsc_addr mtk_to[NUE];
	struct mbms_bmsc_session_cfg sess[1];
	struct mbms_bmsc_addr bmsc_addr; /* its MIKEY socket */
	struct tue ue[NUE];
	struct bsf_entry bsf[64];
	size_t nbsf;
	unsigned boot_seq;
	bool verbose;
	size_t http_requests, acks;
};

static struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	w->now = T0;
	w->verbose = getenv("MBMS_TEST_VERBOSE") != NULL;
	w->kg[0] = (struct mbms_bmsc_key_group_cfg){G1, 3600000, 600000, 100, 60000};
	w->kgs[0] = G1;
	w->subs[0] = "ue0@ims.example.org";
	w->subs[1] = "ue1@ims.example.org";
	w->subs[2] = "ue2@ims.example.org";
	w->svc[0] = (struct mbms_bmsc_service_cfg){
		.service_id = SID, .key_groups = w->kgs, .nkey_groups = 1, .subscribers = w->subs,
		.nsubscribers = 3, .confidentiality = true, .integrity = true, .offset_time = 1,
		.random_time_period = 2};
	for (int i = 0; i < NUE; i++) {
		char ip[16];
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		assert_int_equal(mbms_bmsc_addr_from_ip(ip, UE_MTK_PORT, &w->mtk_to[i]), 0);
	}
	memset(w->sess, 0, sizeof(w->sess));
	w->sess[0].name = "news";
	w->sess[0].service_id = SID;
	w->sess[0].key_group = G1;
	snprintf(w->sess[0].destination.host, sizeof(w->sess[0].destination.host), "239.1.1.1");
	w->sess[0].destination.port = 5004;
	w->sess[0].mtk_port = UE_MTK_PORT;
	w->sess[0].send_to = w->mtk_to;
	w->sess[0].nsend_to = NUE;
	w->sess[0].mtk_interval_ms = 2000;
	w->cfg.fqdn = FQDN;
	w->cfg.announce_port = 8080;
	memcpy(w->cfg.key_domain_id, KD, 3);
	w->cfg.services = w->svc;
	w->cfg.nservices = 1;
	w->cfg.key_groups = w->kg;
	w->cfg.nkey_groups = 1;
	w->cfg.sessions = w->sess;
	w->cfg.nsessions = 1;
	w->cfg.nonce_lifetime_ms = 300000;
	w->cfg.nc_table_cap = 256;
	w->cfg.retransmit_initial_ms = 1000;
	w->cfg.retransmit_max_ms = 4000;
	w->cfg.retransmit_count = 3;
	w->cfg.counter_block = 8;
	char why[256] = "";
	if (mbms_bmsc_config_check(&w->cfg, why, sizeof(why)))
		fail_msg("BM-SC config: %s", why);
	assert_int_equal(mbms_bmsc_new(&w->cfg, &w->b), 0);
	assert_int_equal(mbms_bmsc_start(w->b, w->now), 0);
	assert_int_equal(mbms_bmsc_addr_from_ip("10.0.0.100", 4359, &w->bmsc_addr), 0);
	for (int i = 0; i < NUE; i++) {
		struct tue *u = &w->ue[i];
		char ip[16];
		snprintf(u->impi, sizeof(u->impi), "ue%d@ims.example.org", i);
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		assert_int_equal(mbms_bmsc_addr_from_ip(ip, (uint16_t)(40000 + i), &u->mikey), 0);
		u->mtk = w->mtk_to[i];
		struct mbms_ue_config c;
		mbms_ue_config_defaults(&c);
		c.impi = u->impi;
		c.mikey_port = u->mikey.port;
		c.test_drop_unsolicited_push = i == 2; /* UE 2 loses rotation pushes */
		assert_int_equal(mbms_ue_new(&c, &u->ue), 0);
		assert_int_equal(mbms_ue_service_add(u->ue, SID, ANN_URL), 0);
	}
	return w;
}

static void world_free(struct world *w)
{
	for (int i = 0; i < NUE; i++)
		mbms_ue_free(w->ue[i].ue);
	mbms_bmsc_free(w->b);
	free(w);
}

/* ---- the fake BSF: Ub result for the UE, Zn answer for the BM-SC ---- */

static void bsf_bootstrap(struct world *w, struct tue *u)
{
	uint8_t rand[16], ks[32];
	struct bsf_entry *e = &w->bsf[w->nbsf++];
	assert_true(w->nbsf <= 64);
	w->boot_seq++;
	memset(rand, (int)w->boot_seq, sizeof(rand));
	rand[15] = (uint8_t)(u - w->ue);
	memset(ks, (int)(0x80 + w->boot_seq), sizeof(ks));
	assert_int_equal(mbms_btid_make(rand, BSF, e->btid, sizeof(e->btid)), 0);
	snprintf(e->impi, sizeof(e->impi), "%s", u->impi);
	assert_int_equal(mbms_ks_naf(ks, rand, u->impi, FQDN, mbms_ua_id_mbms, e->ks_naf), 0);
	e->expires_s = w->now / 1000 + LIFETIME_S;
	u->boots++;
	assert_int_equal(mbms_ue_bootstrap_done(u->ue, e->btid, ks, e->expires_s, w->now), 0);
}

static void zn_answer(struct world *w, const char *btid, struct mbms_bmsc_zn_answer *a)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->zn.btid, sizeof(a->zn.btid), "%s", btid);
	a->status = MBMS_ENOTFOUND;
	for (size_t i = 0; i < w->nbsf; i++)
		if (strcmp(w->bsf[i].btid, btid) == 0 && w->now / 1000 < w->bsf[i].expires_s) {
			a->status = 0;
			snprintf(a->zn.impi, sizeof(a->zn.impi), "%s", w->bsf[i].impi);
			memcpy(a->zn.ks_naf, w->bsf[i].ks_naf, 32);
			a->zn.expires_at = w->bsf[i].expires_s;
		}
}

/* ---- the router ---- */

static const char *header(const char *const *h, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; h[i]; i++)
		if (strncmp(h[i], name, n) == 0 && h[i][n] == ':')
			return h[i] + n + 2;
	return NULL;
}

static void http_to_bmsc(struct world *w, struct tue *u, const struct mbms_ue_http_request *q)
{
	/* the request line as the BM-SC's HTTP server hands it over */
	char path[MBMS_UE_URL_MAX], rtype[32] = "";
	const char *p = strchr(strstr(q->url, "://") + 3, '/');
	assert_non_null(p);
	assert_string_equal(q->host, FQDN);
	assert_int_equal(q->port, 8080);
	snprintf(path, sizeof(path), "%s", p);
	char *qm = strchr(path, '?');
	if (qm) {
		*qm = '\0';
		const char *t = strstr(qm + 1, "requesttype=");
		if (t)
			snprintf(rtype, sizeof(rtype), "%s", t + strlen("requesttype="));
	}
	assert_non_null(strstr(header(q->headers, "User-Agent"), "3gpp-gba"));
	struct mbms_bmsc_http_req req = {
		.method = q->method,
		.path = path,
		.requesttype = rtype[0] ? rtype : NULL,
		.content_type = header(q->headers, "Content-Type"),
		.authorization = header(q->headers, "Authorization"),
		.ue_port = header(q->headers, "X-MBMS-UE-Port"),
		.body = q->body,
		.body_len = q->body_len,
	};
	req.peer = u->mikey;
	req.peer.port = 55555; /* the TCP source port: not where pushes go */
	struct mbms_bmsc_http_rsp rsp;
	assert_int_equal(mbms_bmsc_http(w->b, &req, NULL, w->now, &rsp), 0);
	if (rsp.need_zn) {
		struct mbms_bmsc_zn_answer a;
		zn_answer(w, rsp.zn_btid, &a);
		assert_int_equal(mbms_bmsc_http(w->b, &req, &a, w->now, &rsp), 0);
		assert_false(rsp.need_zn);
	}
	w->http_requests++;
	if (w->verbose)
		fprintf(stderr, "  UE %d: %s %s -> %u\n", (int)(u - w->ue), q->method, q->url,
			rsp.status);
	struct mbms_ue_http_response r = {
		.status = rsp.status,
		.content_type = rsp.content_type,
		.www_authenticate = rsp.www_authenticate[0] ? rsp.www_authenticate : NULL,
		.authentication_info = rsp.auth_info[0] ? rsp.auth_info : NULL,
		.body = (const uint8_t *)rsp.body,
		.body_len = rsp.body ? rsp.body_len : 0,
	};
	assert_int_equal(mbms_ue_http_response(u->ue, q->id, &r, w->now), 0);
}

static bool drain_ue(struct world *w, struct tue *u)
{
	struct mbms_ue_action a;
	bool any = false;
	while (mbms_ue_next_action(u->ue, &a)) {
		any = true;
		switch (a.kind) {
		case MBMS_UE_ACT_HTTP:
			http_to_bmsc(w, u, &a.http);
			break;
		case MBMS_UE_ACT_UDP: {
			/* the verification goes back to the push's source */
			struct mbms_bmsc_addr to;
			assert_int_equal(a.dst.len, sizeof(to));
			memcpy(&to, a.dst.bytes, sizeof(to));
			assert_true(mbms_bmsc_addr_equal(&to, &w->bmsc_addr));
			int rc = mbms_bmsc_udp_input(w->b, &u->mikey, a.udp, a.udp_len, w->now);
			if (rc == 0)
				w->acks++;
			break;
		}
		case MBMS_UE_ACT_BOOTSTRAP:
			bsf_bootstrap(w, u);
			break;
		case MBMS_UE_ACT_EVENT:
			if (w->verbose)
				fprintf(stderr, "  UE %d %s: %s\n", (int)(u - w->ue),
					mbms_ue_event_name(a.event), a.text);
			u->installed += a.event == MBMS_UE_EV_MSK_INSTALLED;
			u->left += a.event == MBMS_UE_EV_SERVICE_LEFT;
			u->mkus += a.event == MBMS_UE_EV_MISSED_KEY_UPDATE;
			u->triggers += a.event == MBMS_UE_EV_TRIGGER;
			break;
		default:
			break;
		}
	}
	return any;
}

static bool drain_bmsc(struct world *w)
{
	const struct mbms_bmsc_action *a;
	bool any = false;
	while ((a = mbms_bmsc_action_next(w->b)) != NULL) {
		any = true;
		if (a->kind == MBMS_BMSC_ACT_LOG && w->verbose)
			fprintf(stderr, "  BM-SC: %s\n", a->u.log.text);
		if (a->kind != MBMS_BMSC_ACT_SEND)
			continue;
		/* copy: the action is valid only until the next call on the BM-SC */
		struct mbms_bmsc_addr to = a->u.send.to;
		uint8_t msg[MBMS_MSG_MAX_LEN];
		size_t len = a->u.send.len;
		memcpy(msg, a->u.send.data, len);
		struct mbms_ue_addr src = {.len = sizeof(w->bmsc_addr)};
		memcpy(src.bytes, &w->bmsc_addr, sizeof(w->bmsc_addr));
		for (int i = 0; i < NUE; i++) {
			struct tue *u = &w->ue[i];
			if (mbms_bmsc_addr_equal(&to, &u->mikey))
				mbms_ue_udp_rx(u->ue, MBMS_UE_PORT_MIKEY, msg, len, &src, w->now);
			else if (mbms_bmsc_addr_equal(&to, &u->mtk))
				mbms_ue_udp_rx(u->ue, MBMS_UE_PORT_MTK, msg, len, &src, w->now);
		}
	}
	return any;
}

static void settle(struct world *w)
{
	for (int guard = 0; guard < 10000; guard++) {
		bool any = drain_bmsc(w);
		for (int i = 0; i < NUE; i++)
			any |= drain_ue(w, &w->ue[i]);
		if (!any)
			return;
	}
	fail_msg("the world did not settle");
}

/* Run the clock to t, waking everybody at their deadlines. */
static void run_until(struct world *w, uint64_t t)
{
	for (int guard = 0; guard < 100000; guard++) {
		settle(w);
		uint64_t next = mbms_bmsc_next_deadline(w->b);
		for (int i = 0; i < NUE; i++) {
			uint64_t d = mbms_ue_next_deadline(w->ue[i].ue);
			if (d < next)
				next = d;
		}
		if (next > t)
			break;
		if (next > w->now)
			w->now = next;
		while (mbms_bmsc_tick(w->b, w->now, 0) == 1)
			drain_bmsc(w);
		for (int i = 0; i < NUE; i++)
			mbms_ue_tick(w->ue[i].ue, w->now);
	}
	w->now = t;
	settle(w);
}

static bool ue_holds(struct tue *u, uint32_t msk_id)
{
	for (size_t i = 0; i < mbms_ue_msk_count(u->ue); i++) {
		struct mbms_ue_msk_info mi;
		assert_int_equal(mbms_ue_msk_info(u->ue, i, &mi), 0);
		if (mi.msk_id == msk_id && memcmp(mi.key_domain_id, KD, 3) == 0)
			return true;
	}
	return false;
}

static enum mbms_ue_service_state ue_state(struct tue *u, const char **reason)
{
	struct mbms_ue_service_info si;
	assert_int_equal(mbms_ue_service_info(u->ue, 0, &si), 0);
	if (reason)
		*reason = si.reason;
	return si.state;
}

static void test_interop(void **state)
{
	(void)state;
	struct world *w = world_new();
	for (int i = 0; i < NUE; i++)
		assert_int_equal(mbms_ue_activate(w->ue[i].ue, SID, w->now), 0);
	run_until(w, w->now + 20000);

	/* every subscribed UE holds the BM-SC's current MSK */
	uint32_t cur = 0, next = 0;
	assert_int_equal(mbms_bmsc_key_group_msks(w->b, G1, &cur, &next), 0);
	assert_int_not_equal(cur, 0);
	for (int i = 0; i < 3; i++) {
		if (ue_state(&w->ue[i], NULL) != MBMS_UE_SVC_ACTIVE || !ue_holds(&w->ue[i], cur))
			fail_msg("UE %d does not hold the current MSK %08x", i, (unsigned)cur);
		struct mbms_ue_mtk m;
		assert_int_equal(mbms_ue_mtk_latest(w->ue[i].ue, KD, cur, &m), 0); /* MTK messages */
		mbms_wipe(&m, sizeof(m));
	}
	/* the unsubscribed UE left the service, and says why */
	const char *reason;
	assert_int_equal(ue_state(&w->ue[3], &reason), MBMS_UE_SVC_LEFT);
	assert_non_null(strstr(reason, "403"));
	assert_int_equal(w->ue[3].left, 1);
	assert_int_equal(mbms_ue_msk_count(w->ue[3].ue), 0);
	assert_true(w->acks >= 3);

	/* rotation, step 1: the next MSK is made and pushed to every UE */
	uint32_t made;
	assert_int_equal(mbms_bmsc_rotate(w->b, G1, w->now, &made), 0);
	run_until(w, w->now + 10000);
	assert_int_equal(mbms_bmsc_key_group_msks(w->b, G1, &cur, &next), 0);
	assert_int_equal(next, made);
	assert_true(ue_holds(&w->ue[0], made) && ue_holds(&w->ue[1], made));
	assert_false(ue_holds(&w->ue[2], made)); /* its pushes are lost (test-only fault) */
	/* step 2: switch over; MTK messages under the new MSK reach UE 2,
	 * which runs the missed key update and gets it */
	uint32_t switched;
	assert_int_equal(mbms_bmsc_rotate(w->b, G1, w->now, &switched), 0);
	assert_int_equal(switched, made);
	run_until(w, w->now + 30000);
	assert_int_equal(mbms_bmsc_key_group_msks(w->b, G1, &cur, &next), 0);
	assert_int_equal(cur, made);
	for (int i = 0; i < 3; i++)
		if (!ue_holds(&w->ue[i], cur))
			fail_msg("UE %d missed the new MSK %08x", i, (unsigned)cur);
	assert_true(w->ue[2].mkus >= 1);
	assert_int_equal(w->ue[0].mkus, 0);
	struct mbms_ue_mtk m;
	assert_int_equal(mbms_ue_mtk_latest(w->ue[2].ue, KD, cur, &m), 0);
	mbms_wipe(&m, sizeof(m));

	/* solicited pull: every registered UE asks for the current MSK */
	uint64_t before[3];
	for (int i = 0; i < 3; i++) {
		struct mbms_ue_counters c;
		mbms_ue_counters(w->ue[i].ue, &c);
		before[i] = c.msk_requests;
	}
	size_t ues = 0;
	assert_int_equal(mbms_bmsc_solicit(w->b, SID, w->now, &ues), 0);
	assert_int_equal(ues, 3);
	run_until(w, w->now + 15000);
	for (int i = 0; i < 3; i++) {
		struct mbms_ue_counters c;
		mbms_ue_counters(w->ue[i].ue, &c);
		if (c.msk_requests != before[i] + 1 || w->ue[i].triggers != 1)
			fail_msg("UE %d: %llu MSK requests after the pull (had %llu), %zu triggers", i,
				 (unsigned long long)c.msk_requests, (unsigned long long)before[i],
				 w->ue[i].triggers);
		assert_int_equal(ue_state(&w->ue[i], NULL), MBMS_UE_SVC_ACTIVE);
	}

	/* the B-TID runs out: each UE renews it and registers again; later
	 * pushes use the new MUK */
	run_until(w, T0 + (LIFETIME_S + 10) * 1000);
	for (int i = 0; i < 3; i++)
		assert_true(w->ue[i].boots >= 2);
	assert_int_equal(mbms_bmsc_rotate(w->b, G1, w->now, &made), 0);
	run_until(w, w->now + 10000);
	assert_true(ue_holds(&w->ue[0], made) && ue_holds(&w->ue[1], made));
	assert_int_equal(mbms_bmsc_rotate(w->b, G1, w->now, &switched), 0);
	run_until(w, w->now + 30000);
	for (int i = 0; i < 3; i++) {
		if (!ue_holds(&w->ue[i], made))
			fail_msg("UE %d missed MSK %08x after renewing its B-TID", i, (unsigned)made);
		assert_true(mbms_ue_msk_count(w->ue[i].ue) <= 2);
	}
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
