/* The BM-SC state machine, MIKEY side (PROFILE.md 3, 5, 6.3-6.6): pushes
 * with acks, retransmission with back-off and fresh counters, giving up,
 * verification messages that must not match, MSK rotation by time and on
 * demand with fan-out to registered UEs only, Key Number wrap,
 * deregistration stopping pushes, solicited pull (also under an expired
 * MUK), MTK messages, a new bootstrap during a push, and kill -9 at any
 * point: MSKs, registrations and pending pushes survive and no TS counter
 * is used twice. Fake time, no sockets (test_bmsc_harness.h). */
#include "test_bmsc_harness.h"

/* The last datagram to port since from (SIZE_MAX when none). */
static size_t last_to(struct harness *h, uint16_t port, size_t from)
{
	size_t r = SIZE_MAX;
	for (size_t i = from; i < h->nsent; i++)
		if (h->sent[i].to.port == port)
			r = i;
	return r;
}

static size_t count_to(struct harness *h, uint16_t port, size_t from)
{
	size_t idx[H_MAX_SENT];
	return h_sent_to(h, port, from, idx, H_MAX_SENT);
}

static struct mbms_bmsc_stats stats(struct harness *h)
{
	struct mbms_bmsc_stats st;
	mbms_bmsc_get_stats(h->b, &st);
	return st;
}

/* A registered UE holding the current MSK of KG1 (acked). */
static struct tue *ready_ue(struct harness *h, const char *impi, uint16_t port,
			    const char *svc, struct h_result *res)
{
	struct tue *u = h_ue(h, impi, port);
	h_register(h, u, svc, NULL, res);
	assert_int_equal(res->status, 200);
	uint32_t kn0 = mbms_msk_id_make(H_KG1, 0);
	size_t from = h->nsent;
	h_msk_request(h, u, &kn0, 1, res);
	assert_int_equal(h_item_status(res, true, 0, NULL), 200);
	size_t i = last_to(h, port, from);
	assert_true(i != SIZE_MAX);
	assert_int_equal(h_ue_rx(h, u, i, true), 0);
	return u;
}

static void test_retransmission(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	struct tue *u = h_ue(h, "user1@ims.example.org", 41001);
	h_register(h, u, H_SVC_A, NULL, res);
	uint32_t kn0 = mbms_msk_id_make(H_KG1, 0);
	size_t from = h->nsent;
	h_msk_request(h, u, &kn0, 1, res);
	size_t first = last_to(h, u->port, from);
	assert_int_equal(h_ue_rx(h, u, first, false), 0); /* the ack is lost */
	uint32_t ts1 = u->info.ts_counter;
	uint8_t rand1[16];
	memcpy(rand1, u->info.rand, 16);
	/* nothing before the first timeout */
	h_advance(h, h->now + 1999);
	assert_int_equal(last_to(h, u->port, first + 1), SIZE_MAX);
	h_advance(h, h->now + 1);
	size_t second = last_to(h, u->port, first + 1);
	assert_true(second != SIZE_MAX);
	/* fresh counter, fresh RAND; the UE accepts it as an update in place */
	assert_int_equal(h_ue_rx(h, u, second, false), 0);
	assert_true(u->info.ts_counter > ts1);
	assert_memory_not_equal(u->info.rand, rand1, 16);
	/* the ack of the first transmission no longer matches: its counter is gone */
	struct mbms_acked old;
	struct mbms_msg_info oi;
	assert_int_equal(mbms_msg_parse(h->sent[first].data, h->sent[first].len,
					MBMS_MSG_F_MUK, &oi), 0);
	assert_int_equal(mbms_acked_from_info(&oi, &old), 0);
	uint8_t ack[256];
	size_t ack_len;
	assert_int_equal(mbms_verification_build(u->ks_naf, 32, &old, ack, sizeof(ack), &ack_len), 0);
	assert_int_equal(mbms_bmsc_udp_input(h->b, &u->addr, ack, ack_len, h->now), MBMS_ENOTFOUND);
	h_drain(h);
	/* back-off: the next one 4 s later */
	h_advance(h, h->now + 3999);
	assert_int_equal(last_to(h, u->port, second + 1), SIZE_MAX);
	h_advance(h, h->now + 1);
	size_t third = last_to(h, u->port, second + 1);
	assert_true(third != SIZE_MAX);
	assert_int_equal(h_ue_rx(h, u, third, true), 0);
	struct mbms_bmsc_stats st = stats(h);
	assert_int_equal(st.pushes_sent, 1);
	assert_int_equal(st.retransmissions, 2);
	assert_int_equal(st.pushes_acked, 1);
	assert_int_equal(st.acks_unmatched, 1);
	assert_int_equal(st.pending_pushes, 0);
	/* acked: nothing more */
	h_advance(h, h->now + 60000);
	assert_int_equal(count_to(h, u->port, third + 1), 0);
	free(res);
	h_ue_free(u);
	h_free(h);
}

static void test_give_up(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	struct tue *u = h_ue(h, "user1@ims.example.org", 41001);
	h_register(h, u, H_SVC_A, NULL, res);
	uint32_t kn0 = mbms_msk_id_make(H_KG1, 0), cur;
	assert_int_equal(mbms_bmsc_key_group_msks(h->b, H_KG1, &cur, NULL), 0);
	size_t from = h->nsent;
	uint64_t t0 = h->now;
	h_msk_request(h, u, &kn0, 1, res);
	/* 1 + 3 retransmissions at +2, +6, +14 s; given up at +30 s */
	h_advance(h, t0 + 29999);
	assert_int_equal(count_to(h, u->port, from), 4);
	assert_int_equal(stats(h).pushes_given_up, 0);
	h_advance(h, t0 + 30000);
	assert_int_equal(count_to(h, u->port, from), 4);
	struct mbms_bmsc_stats st = stats(h);
	assert_int_equal(st.pushes_given_up, 1);
	assert_int_equal(st.retransmissions, 3);
	assert_int_equal(st.pending_pushes, 0);
	const struct mbms_bmsc_rec *r = h_store_find(&h->store, MBMS_BMSC_REC_PUSH, u->impi, cur);
	assert_non_null(r);
	assert_int_equal(r->push_state, MBMS_BMSC_PUSH_GIVEN_UP);
	/* the UE took every transmission (increasing counters) */
	size_t idx[8];
	size_t n = h_sent_to(h, u->port, from, idx, 8);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(h_ue_rx(h, u, idx[i], false), 0);
	free(res);
	h_ue_free(u);
	h_free(h);
}

/* Verification messages that must not be taken as acks. */
static void test_bad_acks(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	struct tue *u = h_ue(h, "user1@ims.example.org", 41001);
	struct tue *v = h_ue(h, "user2@ims.example.org", 41002);
	h_register(h, u, H_SVC_A, NULL, res);
	h_register(h, v, H_SVC_A, NULL, res);
	uint32_t kn0 = mbms_msk_id_make(H_KG1, 0);
	size_t from = h->nsent;
	h_msk_request(h, u, &kn0, 1, res);
	size_t i = last_to(h, u->port, from);
	assert_int_equal(h_ue_rx(h, u, i, false), 0);
	uint8_t bad[MBMS_MSG_MAX_LEN];
	size_t len = u->last_ack_len;
	struct mbms_bmsc_addr other;
	assert_int_equal(mbms_bmsc_addr_from_ip("127.0.0.2", u->port, &other), 0);
	struct {
		const char *name;
		int want;
	} rows[] = {
		{"garbage", MBMS_ETRUNCATED},
		{"MAC bit flipped", MBMS_EMAC},
		{"from another address", MBMS_ENOTFOUND},
		{"an MSK message sent back", MBMS_EDATATYPE},
		{"signed with another UE's MUK", MBMS_EMAC},
		{"the real ack", 0},
		{"the same ack again", MBMS_ENOTFOUND},
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		const struct mbms_bmsc_addr *from_addr = &u->addr;
		memcpy(bad, u->last_ack, len);
		size_t blen = len;
		if (r == 0)
			blen = 3;
		if (r == 1)
			bad[len - 1] ^= 0x80;
		if (r == 2)
			from_addr = &other;
		if (r == 3) {
			memcpy(bad, h->sent[i].data, h->sent[i].len);
			blen = h->sent[i].len;
		}
		if (r == 4) {
			struct mbms_acked acked;
			assert_int_equal(mbms_acked_from_info(&u->info, &acked), 0);
			assert_int_equal(mbms_verification_build(v->ks_naf, 32, &acked, bad, sizeof(bad),
								 &blen),
					 0);
		}
		int rc = mbms_bmsc_udp_input(h->b, from_addr, bad, blen, h->now);
		h_drain(h);
		if (strcmp(mbms_errname(rc), mbms_errname(rows[r].want)) != 0)
			fail_msg("%s: %s, expected %s", rows[r].name, mbms_errname(rc),
				 mbms_errname(rows[r].want));
	}
	struct mbms_bmsc_stats st = stats(h);
	assert_int_equal(st.pushes_acked, 1);
	assert_int_equal(st.acks_invalid, 4);
	assert_int_equal(st.acks_unmatched, 2);
	free(res);
	h_ue_free(u);
	h_ue_free(v);
	h_free(h);
}

/* Rotation on demand: the next MSK reaches every UE registered to a
 * service of the key group, and no one else; the UE then holds current +
 * next; the switch-over happens after the lead time or on a second
 * rotate. */
static void test_rotation_admin(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	struct tue *a = ready_ue(h, "a@ims.example.org", 41001, H_SVC_A, res);
	struct tue *b = ready_ue(h, "b@ims.example.org", 41002, H_SVC_B, res);
	struct tue *c = h_ue(h, "vip@ims.example.org", 41003); /* service C: key group 3 */
	h_register(h, c, H_SVC_C, NULL, res);
	struct tue *d = h_ue(h, "d@ims.example.org", 41004); /* authenticated, not registered */
	h_register(h, d, "urn:example:mbms:unknown", NULL, res);
	assert_int_equal(res->status, 200);
	uint32_t cur, next;
	assert_int_equal(mbms_bmsc_key_group_msks(h->b, H_KG1, &cur, &next), 0);
	assert_int_equal(next, 0);
	size_t from = h->nsent;
	uint32_t made = 0;
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &made), 0);
	h_drain(h);
	h_tick(h, h->now);
	assert_int_equal(mbms_bmsc_key_group_msks(h->b, H_KG1, &cur, &next), 0);
	assert_int_equal(next, made);
	assert_int_equal(mbms_msk_id_key_number(next),
			 mbms_key_number_next(mbms_msk_id_key_number(cur)));
	assert_int_equal(count_to(h, a->port, from), 1);
	assert_int_equal(count_to(h, b->port, from), 1);
	assert_int_equal(count_to(h, c->port, from), 0);
	assert_int_equal(count_to(h, d->port, from), 0);
	assert_int_equal(h_ue_rx(h, a, last_to(h, a->port, from), true), 0);
	assert_int_equal(a->info.msk_id, next);
	assert_int_equal(h_ue_rx(h, b, last_to(h, b->port, from), true), 0);
	assert_non_null(mbms_key_store_find(&a->ks, h_kd, cur));
	assert_non_null(mbms_key_store_find(&a->ks, h_kd, next));
	assert_int_equal(stats(h).pushes_acked, 4);
	/* the switch-over after the lead time (600 s) */
	h_advance(h, h->now + 600000 - 1);
	uint32_t c2, n2;
	mbms_bmsc_key_group_msks(h->b, H_KG1, &c2, &n2);
	assert_int_equal(c2, cur);
	h_advance(h, h->now + 1);
	mbms_bmsc_key_group_msks(h->b, H_KG1, &c2, &n2);
	assert_int_equal(c2, next);
	assert_int_equal(n2, 0);
	/* the old MSK is deleted from the store, the new current is there */
	assert_null(h_store_find(&h->store, MBMS_BMSC_REC_MSK, NULL, cur));
	const struct mbms_bmsc_rec *r = h_store_find(&h->store, MBMS_BMSC_REC_MSK, NULL, next);
	assert_non_null(r);
	assert_int_equal(r->msk.state, MBMS_BMSC_MSK_CURRENT);
	/* rotate twice: make, then switch at once */
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &made), 0);
	h_drain(h);
	uint32_t second = made;
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &made), 0);
	h_drain(h);
	assert_int_equal(made, second);
	mbms_bmsc_key_group_msks(h->b, H_KG1, &c2, &n2);
	assert_int_equal(c2, second);
	assert_int_equal(n2, 0);
	assert_int_equal(mbms_bmsc_rotate(h->b, 0x7777, h->now, &made), MBMS_ENOTFOUND);
	free(res);
	h_ue_free(a);
	h_ue_free(b);
	h_ue_free(c);
	h_ue_free(d);
	h_free(h);
}

/* Time-driven: the next MSK lead-time before the end of the current one,
 * for many UEs; MTK messages move to the new MSK at the switch-over. */
static void test_rotation_by_time(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	enum { N = 20 };
	struct tue *u[N];
	char impi[64];
	for (int i = 0; i < N; i++) {
		snprintf(impi, sizeof(impi), "u%d@ims.example.org", i);
		u[i] = ready_ue(h, impi, (uint16_t)(42000 + i), i % 2 ? H_SVC_A : H_SVC_B, res);
	}
	uint32_t cur, next;
	mbms_bmsc_key_group_msks(h->b, H_KG1, &cur, &next);
	uint64_t end = H_T0 + 3600000, lead = 600000;
	size_t from = h->nsent;
	h_advance(h, end - lead - 1);
	assert_int_equal(count_to(h, 42000, from), 0);
	h_advance(h, end - lead);
	mbms_bmsc_key_group_msks(h->b, H_KG1, NULL, &next);
	assert_true(next != 0);
	for (int i = 0; i < N; i++) {
		size_t k = last_to(h, (uint16_t)(42000 + i), from);
		assert_true(k != SIZE_MAX);
		int rc = h_ue_rx(h, u[i], k, true);
		if (rc) fail_msg("ue %d: %s, %zu msgs", i, mbms_errname(rc), count_to(h, (uint16_t)(42000 + i), from));
		assert_int_equal(u[i]->info.msk_id, next);
	}
	struct mbms_bmsc_stats st = stats(h);
	assert_int_equal(st.pushes_acked, 2 * N);
	assert_int_equal(st.pending_pushes, 0);
	/* MTK messages: under cur until the switch-over, then under next */
	size_t m0 = h->nsent;
	h_advance(h, end - 1);
	size_t m = last_to(h, 30001, m0);
	assert_true(m != SIZE_MAX);
	struct mbms_msg_info info;
	assert_int_equal(mbms_msg_parse(h->sent[m].data, h->sent[m].len, MBMS_MSG_F(MBMS_MSG_MTK),
					&info), 0);
	assert_int_equal(info.msk_id, cur);
	size_t m1 = h->nsent;
	h_advance(h, end);
	m = last_to(h, 30001, m1);
	assert_true(m != SIZE_MAX);
	assert_int_equal(mbms_msg_parse(h->sent[m].data, h->sent[m].len, MBMS_MSG_F(MBMS_MSG_MTK),
					&info), 0);
	assert_int_equal(info.msk_id, next);
	/* the UE holds next already: it takes the MTK without a missed key update */
	mbms_msg_info_wipe(&info);
	assert_int_equal(mbms_ue_rx_mtk_msg(&u[0]->ks, h->sent[m].data, h->sent[m].len, &info), 0);
	assert_int_equal(info.mtk_id, 1);
	mbms_msg_info_wipe(&info);
	for (int i = 0; i < N; i++)
		h_ue_free(u[i]);
	free(res);
	h_free(h);
}

/* Key Numbers follow in serial order from the last one ever allocated
 * (persisted), and skip 0 on the wrap. */
static void test_key_number_wrap(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct mbms_bmsc_rec r;
	memset(&r, 0, sizeof(r));
	r.kind = MBMS_BMSC_REC_KEY_GROUP;
	r.key_group = H_KG1;
	r.last_key_number = 0xFFFE;
	h_store_apply(&h->store, &r);
	h_open(h);
	uint32_t cur, next;
	mbms_bmsc_key_group_msks(h->b, H_KG1, &cur, NULL);
	assert_int_equal(cur, mbms_msk_id_make(H_KG1, 0xFFFF));
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &next), 0);
	h_drain(h);
	assert_int_equal(next, mbms_msk_id_make(H_KG1, 1)); /* never 0 */
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &next), 0);
	h_drain(h);
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &next), 0);
	h_drain(h);
	assert_int_equal(next, mbms_msk_id_make(H_KG1, 2));
	/* no key number ever 0 in the store */
	for (size_t i = 0; i < h->store.n; i++)
		if (h->store.r[i].kind == MBMS_BMSC_REC_MSK)
			assert_true(mbms_msk_id_key_number(h->store.r[i].msk.msk_id) != 0);
	h_free(h);
}

static void test_deregistration_stops_pushes(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	struct tue *u = ready_ue(h, "a@ims.example.org", 41001, H_SVC_A, res);
	/* registered to two services sharing KG1: leaving one keeps the pushes */
	h_register(h, u, H_SVC_B, NULL, res);
	size_t from = h->nsent;
	uint32_t next;
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &next), 0);
	h_tick(h, h->now);
	assert_int_equal(count_to(h, u->port, from), 1); /* the ack is lost */
	h_deregister(h, u, H_SVC_A, res);
	h_advance(h, h->now + 2000);
	assert_int_equal(count_to(h, u->port, from), 2); /* still pushed: B uses KG1 too */
	h_deregister(h, u, H_SVC_B, res);
	assert_int_equal(stats(h).pending_pushes, 0);
	assert_null(h_store_find(&h->store, MBMS_BMSC_REC_PUSH, u->impi, next));
	h_advance(h, h->now + 60000);
	assert_int_equal(count_to(h, u->port, from), 2);
	/* and the next rotation passes it by */
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &next), 0);
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &next), 0);
	h_tick(h, h->now);
	assert_int_equal(count_to(h, u->port, from), 2);
	/* MSK requests are 403 now (10.19) */
	uint32_t kn0 = mbms_msk_id_make(H_KG1, 0);
	h_msk_request(h, u, &kn0, 1, res);
	assert_int_equal(h_item_status(res, true, 0, NULL), 403);
	assert_int_equal(stats(h).registered_ues, 0);
	free(res);
	h_ue_free(u);
	h_free(h);
}

/* Solicited pull (6.4, 5.3, 10.3): a trigger to each registered UE, Key
 * Number 0, no key; acked; the UE answers with an MSK request. Beyond the
 * Ks_NAF lifetime the most recent MUK still protects it (PROFILE.md 2). */
static void test_solicited_pull(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	struct tue *a = ready_ue(h, "a@ims.example.org", 41001, H_SVC_A, res);
	struct tue *b = ready_ue(h, "b@ims.example.org", 41002, H_SVC_B, res);
	size_t ues = 0, from = h->nsent;
	assert_int_equal(mbms_bmsc_solicit(h->b, "urn:x:none", h->now, &ues), MBMS_ENOTFOUND);
	assert_int_equal(mbms_bmsc_solicit(h->b, H_SVC_A, h->now, &ues), 0);
	assert_int_equal(ues, 1);
	h_tick(h, h->now);
	assert_int_equal(count_to(h, b->port, from), 0); /* B is not registered to A */
	size_t t = last_to(h, a->port, from);
	assert_true(t != SIZE_MAX);
	assert_int_equal(h_ue_rx(h, a, t, true), 0);
	assert_int_equal(a->info.kind, MBMS_MSG_TRIGGER);
	assert_int_equal(a->info.msk_id, mbms_msk_id_make(H_KG1, 0));
	assert_int_equal(stats(h).triggers_acked, 1);
	/* the UE's answer: a basic MSK request for Key Number 0 */
	uint32_t kn0 = mbms_msk_id_make(H_KG1, 0);
	h_msk_request(h, a, &kn0, 1, res);
	assert_int_equal(h_item_status(res, true, 0, NULL), 200);

	/* the Ks_NAF lifetime ends (3600 s): triggers still go out, under the
	 * old MUK, and the UE takes them */
	h_advance(h, h->now + 3700 * 1000ULL);
	from = h->nsent;
	assert_int_equal(mbms_bmsc_solicit(h->b, H_SVC_B, h->now, &ues), 0);
	h_tick(h, h->now);
	size_t idx[8];
	size_t n = h_sent_to(h, b->port, from, idx, 8);
	assert_int_equal(n, 2); /* service B has two key groups */
	assert_int_equal(h_ue_rx(h, b, idx[0], true), 0);
	assert_int_equal(b->info.kind, MBMS_MSG_TRIGGER);
	assert_int_equal(h_ue_rx(h, b, idx[1], false), 0); /* this ack is lost: retransmitted */
	h_advance(h, h->now + 2000);
	assert_int_equal(count_to(h, b->port, from), 3);
	/* the UE's request fails (B-TID expired): it bootstraps and asks again */
	h_msk_request(h, b, &kn0, 1, res);
	assert_int_equal(res->status, 401);
	h_ue_rebootstrap(h, b);
	size_t f2 = h->nsent;
	h_msk_request(h, b, &kn0, 1, res);
	assert_int_equal(res->status, 200);
	size_t p = last_to(h, b->port, f2);
	assert_true(p != SIZE_MAX);
	assert_int_equal(h_ue_rx(h, b, p, true), 0); /* under the new MUK */
	assert_int_equal(b->info.kind, MBMS_MSG_MSK);
	free(res);
	h_ue_free(a);
	h_ue_free(b);
	h_free(h);
}

/* A rotation reaches a UE whose MUK has expired as a trigger: an MSK
 * message may only use a valid MUK. */
static void test_fanout_expired_muk(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	struct tue *a = h_ue(h, "a@ims.example.org", 41001);
	h->bsf[h->nbsf - 1].expires_at = h->now / 1000 + 100; /* a short bootstrap */
	h_register(h, a, H_SVC_A, NULL, res);
	assert_int_equal(res->status, 200);
	h_advance(h, h->now + 101 * 1000ULL);
	size_t from = h->nsent;
	uint32_t next;
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &next), 0);
	h_tick(h, h->now);
	size_t t = last_to(h, a->port, from);
	assert_true(t != SIZE_MAX);
	assert_int_equal(h_ue_rx(h, a, t, true), 0);
	assert_int_equal(a->info.kind, MBMS_MSG_TRIGGER);
	assert_int_equal(count_to(h, a->port, from), 1);
	free(res);
	h_ue_free(a);
	h_free(h);
}

/* A new bootstrap while a push waits: it is resent at once under the new MUK. */
static void test_rebootstrap_during_push(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	struct tue *a = ready_ue(h, "a@ims.example.org", 41001, H_SVC_A, res);
	uint32_t next;
	size_t from = h->nsent;
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &next), 0);
	h_tick(h, h->now);
	assert_int_equal(count_to(h, a->port, from), 1); /* not received */
	h_ue_rebootstrap(h, a);
	h_register(h, a, H_SVC_A, NULL, res); /* any request with the new B-TID */
	assert_int_equal(res->status, 200);
	h_tick(h, h->now);
	size_t p = last_to(h, a->port, from);
	assert_int_equal(count_to(h, a->port, from), 2);
	assert_int_equal(h_ue_rx(h, a, p, true), 0);
	assert_int_equal(a->info.msk_id, next);
	assert_int_equal(stats(h).pending_pushes, 0);
	free(res);
	h_ue_free(a);
	h_free(h);
}

/* MTK messages (5.5, 10.4): to every configured destination, per-MSK
 * counter, MTK ID increasing inside [VF, VT], a new MTK every MTK
 * lifetime; a UE with the MSK takes them. */
static void test_mtk_messages(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h->kg[0].mtk_id_count = 3; /* VT = 3: then an early switch-over */
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	struct tue *a = ready_ue(h, "a@ims.example.org", 41001, H_SVC_A, res);
	uint32_t cur;
	mbms_bmsc_key_group_msks(h->b, H_KG1, &cur, NULL);
	size_t from = h->nsent;
	h_advance(h, h->now + 10000); /* 2 s interval */
	size_t idx[16];
	size_t n1 = h_sent_to(h, 30001, from, idx, 16);
	assert_true(n1 >= 5);
	assert_int_equal(count_to(h, 30002, from), n1); /* both destinations, same bytes */
	uint32_t last_ts = 0;
	for (size_t i = 0; i < n1; i++) {
		struct mbms_msg_info info;
		int rc = mbms_ue_rx_mtk_msg(&a->ks, h->sent[idx[i]].data, h->sent[idx[i]].len, &info);
		/* the first is new; later ones repeat the MTK ID: not newer (10.11) */
		assert_int_equal(rc, i == 0 ? 0 : MBMS_EMTKOLD);
		assert_int_equal(info.msk_id, cur);
		assert_int_equal(info.mtk_id, 1);
		assert_true(info.ts_counter > last_ts);
		last_ts = info.ts_counter;
		mbms_msg_info_wipe(&info);
	}
	/* a new MTK after the MTK lifetime (60 s), sent at once */
	from = h->nsent;
	h_advance(h, H_T0 + 60000);
	size_t k = last_to(h, 30001, from);
	struct mbms_msg_info info;
	assert_int_equal(mbms_ue_rx_mtk_msg(&a->ks, h->sent[k].data, h->sent[k].len, &info), 0);
	assert_int_equal(info.mtk_id, 2);
	mbms_msg_info_wipe(&info);
	/* MTK IDs used up at VT = 3: the next MSK comes early (lead time) */
	h_advance(h, H_T0 + 120000);
	uint32_t c2, n2;
	mbms_bmsc_key_group_msks(h->b, H_KG1, &c2, &n2);
	assert_int_equal(c2, cur);
	h_advance(h, H_T0 + 180000);
	mbms_bmsc_key_group_msks(h->b, H_KG1, &c2, &n2);
	assert_true(n2 != 0);
	assert_true(stats(h).mtks_made >= 3);
	free(res);
	h_ue_free(a);
	h_free(h);
}

/* kill -9 at many points of a rotation with lost acks: after the restart
 * the same MSKs (IDs and keys), the registrations, the pending pushes
 * resent; no counter reused (the UEs' replay checks would refuse it), no
 * UE pushed an MSK twice once it acked. */
static void test_crash_and_restart(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h->cfg.counter_block = 3; /* cross many reservation blocks */
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	struct tue *a = ready_ue(h, "a@ims.example.org", 41001, H_SVC_A, res);
	struct tue *b = ready_ue(h, "b@ims.example.org", 41002, H_SVC_B, res);
	/* a few MSK requests to use up counters */
	uint32_t kn0 = mbms_msk_id_make(H_KG1, 0);
	for (int i = 0; i < 5; i++) {
		size_t f = h->nsent;
		h_msk_request(h, a, &kn0, 1, res);
		assert_int_equal(h_ue_rx(h, a, last_to(h, a->port, f), true), 0);
	}
	uint32_t cur, next;
	mbms_bmsc_key_group_msks(h->b, H_KG1, &cur, NULL);
	uint8_t cur_key[16];
	memcpy(cur_key, h_store_find(&h->store, MBMS_BMSC_REC_MSK, NULL, cur)->msk.key, 16);
	/* rotate; A acks, B's ack is lost */
	size_t from = h->nsent;
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &next), 0);
	h_tick(h, h->now);
	assert_int_equal(h_ue_rx(h, a, last_to(h, a->port, from), true), 0);
	assert_int_equal(h_ue_rx(h, b, last_to(h, b->port, from), false), 0);
	uint32_t b_ts = b->info.ts_counter;
	h_crash_and_restart(h);
	a->nonce[0] = b->nonce[0] = '\0';
	/* the same MSKs, with the same keys */
	uint32_t c2, n2;
	mbms_bmsc_key_group_msks(h->b, H_KG1, &c2, &n2);
	assert_int_equal(c2, cur);
	assert_int_equal(n2, next);
	assert_memory_equal(h_store_find(&h->store, MBMS_BMSC_REC_MSK, NULL, cur)->msk.key, cur_key,
			    16);
	struct mbms_bmsc_stats st = stats(h);
	assert_int_equal(st.registered_ues, 2);
	assert_int_equal(st.ues, 2);
	/* B's push comes again, with a greater counter; A (acked) gets nothing */
	from = h->nsent;
	h_tick(h, h->now);
	assert_int_equal(count_to(h, a->port, from), 0);
	size_t p = last_to(h, b->port, from);
	assert_true(p != SIZE_MAX);
	assert_int_equal(h_ue_rx(h, b, p, true), 0);
	assert_true(b->info.ts_counter > b_ts);
	assert_int_equal(b->info.msk_id, next);
	/* crash again and again in the middle of request/push traffic */
	for (int round = 0; round < 6; round++) {
		size_t f = h->nsent;
		h_msk_request(h, a, &kn0, 1, res);
		assert_int_equal(res->status, 200);
		size_t i = last_to(h, a->port, f);
		if (round % 2) {
			h_crash_and_restart(h); /* before the ack */
			a->nonce[0] = '\0';     /* the new process knows no old nonce */
		}
		int rc = h_ue_rx(h, a, i, true);
		assert_true(rc == 0 || rc == MBMS_ENOTFOUND); /* ack may be for a lost push */
		h_advance(h, h->now + 2500);
		/* whatever came meanwhile is fresh for the UE */
		for (size_t k = i + 1; k < h->nsent; k++)
			if (h->sent[k].to.port == a->port)
				assert_int_equal(h_ue_rx(h, a, k, true) == MBMS_EREPLAY, 0);
	}
	/* the MTK ID after a restart is newer than any before */
	size_t m0 = h->nsent;
	h_advance(h, h->now + 2000);
	size_t m = last_to(h, 30001, m0);
	assert_true(m != SIZE_MAX);
	struct mbms_msg_info i1, i2;
	assert_int_equal(mbms_msg_parse(h->sent[m].data, h->sent[m].len, MBMS_MSG_ANY, &i1), 0);
	h_crash_and_restart(h);
	m0 = h->nsent;
	h_advance(h, h->now + 2000);
	m = last_to(h, 30001, m0);
	assert_true(m != SIZE_MAX);
	assert_int_equal(mbms_msg_parse(h->sent[m].data, h->sent[m].len, MBMS_MSG_ANY, &i2), 0);
	assert_true(mbms_serial16_newer(i2.mtk_id, i1.mtk_id));
	assert_true(i2.ts_counter > i1.ts_counter || i2.msk_id != i1.msk_id);
	free(res);
	h_ue_free(a);
	h_ue_free(b);
	h_free(h);
}

/* kill -9 between making the next MSK and finishing its fan-out: the
 * restart pushes it to the UEs that had not had it, once. */
static void test_crash_during_fanout(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	struct h_result *res = calloc(1, sizeof(*res));
	enum { N = 6 };
	struct tue *u[N];
	char impi[64];
	for (int i = 0; i < N; i++) {
		snprintf(impi, sizeof(impi), "u%d@ims.example.org", i);
		u[i] = ready_ue(h, impi, (uint16_t)(43000 + i), H_SVC_A, res);
	}
	uint32_t next;
	size_t from = h->nsent;
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &next), 0);
	h_drain(h);
	/* the fan-out has not run yet (it runs from the clock): crash now */
	h_crash_and_restart(h);
	h_tick(h, h->now);
	for (int i = 0; i < N; i++) {
		assert_int_equal(count_to(h, (uint16_t)(43000 + i), from), 1);
		assert_int_equal(h_ue_rx(h, u[i], last_to(h, (uint16_t)(43000 + i), from), true), 0);
		assert_int_equal(u[i]->info.msk_id, next);
	}
	/* and once more: everyone has it now, no second push */
	h_crash_and_restart(h);
	size_t f2 = h->nsent;
	h_tick(h, h->now);
	for (int i = 0; i < N; i++)
		assert_int_equal(count_to(h, (uint16_t)(43000 + i), f2), 0);
	for (int i = 0; i < N; i++)
		h_ue_free(u[i]);
	free(res);
	h_free(h);
}

/* A restart after a long stop: overdue switch-overs happen, the new
 * current MSK is valid from now. */
static void test_restart_after_long_stop(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h_open(h);
	uint32_t cur, next;
	mbms_bmsc_key_group_msks(h->b, H_KG1, &cur, NULL);
	mbms_bmsc_free(h->b);
	h->b = NULL;
	h->now += 10 * 3600000ULL; /* ten lifetimes later */
	assert_int_equal(mbms_bmsc_new(&h->cfg, &h->b), 0);
	h_restore_and_start(h);
	uint32_t c2;
	mbms_bmsc_key_group_msks(h->b, H_KG1, &c2, &next);
	assert_true(c2 != cur);
	assert_int_equal(next, 0);
	const struct mbms_bmsc_rec *r = h_store_find(&h->store, MBMS_BMSC_REC_MSK, NULL, c2);
	assert_non_null(r);
	assert_true(r->msk.valid_until_ms > h->now);
	assert_int_equal(h_store_count(&h->store, MBMS_BMSC_REC_MSK), 3); /* one per key group */
	h_free(h);
}

/* Restore hygiene: records that no longer fit the configuration are
 * dropped with a cleanup record; restore after start is refused. */
static void test_restore_cleanup(void **state)
{
	(void)state;
	struct harness *h = h_new();
	struct mbms_bmsc_rec r;
	memset(&r, 0, sizeof(r));
	r.kind = MBMS_BMSC_REC_MSK;
	r.msk.key_group = 0x7777;
	r.msk.msk_id = mbms_msk_id_make(0x7777, 5);
	r.msk.state = MBMS_BMSC_MSK_CURRENT;
	h_store_apply(&h->store, &r);
	memset(&r, 0, sizeof(r));
	r.kind = MBMS_BMSC_REC_REG;
	snprintf(r.ue.impi, sizeof(r.ue.impi), "ghost@ims.example.org");
	snprintf(r.service_id, sizeof(r.service_id), "urn:example:mbms:gone");
	h_store_apply(&h->store, &r);
	h_open(h);
	for (size_t i = 0; i < h->store.n; i++) {
		assert_true(h->store.r[i].kind != MBMS_BMSC_REC_REG);
		if (h->store.r[i].kind == MBMS_BMSC_REC_MSK)
			assert_true(h->store.r[i].msk.key_group != 0x7777);
	}
	assert_int_equal(mbms_bmsc_restore(h->b, &r), MBMS_ESTATE);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_give_up),
		cmocka_unit_test(test_bad_acks),
		cmocka_unit_test(test_rotation_admin),
		cmocka_unit_test(test_rotation_by_time),
		cmocka_unit_test(test_key_number_wrap),
		cmocka_unit_test(test_deregistration_stops_pushes),
		cmocka_unit_test(test_solicited_pull),
		cmocka_unit_test(test_fanout_expired_muk),
		cmocka_unit_test(test_rebootstrap_during_push),
		cmocka_unit_test(test_mtk_messages),
		cmocka_unit_test(test_crash_and_restart),
		cmocka_unit_test(test_crash_during_fanout),
		cmocka_unit_test(test_restart_after_long_stop),
		cmocka_unit_test(test_restore_cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
