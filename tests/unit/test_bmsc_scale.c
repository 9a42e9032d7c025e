/* The BM-SC state machine at scale: N registered UEs (default 20,000;
 * MBMS_BMSC_SCALE=1000000 for the sizing run of docs/bmsc.md) restored as a
 * restart would, then a rotation fanned out to all of them, every push
 * acknowledged, and authenticated MSK requests. Prints memory per UE and
 * the rates; fails when a UE costs more than 512 bytes (1,000,000 UEs must
 * fit in 512 MB) or when a push is lost. */
#include "test_bmsc_harness.h"

#include <time.h>

static double secs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Resident set size in bytes (Linux). */
static size_t rss(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0, res = 0;
	if (f) {
		if (fscanf(f, "%lu %lu", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (size_t)res * 4096;
}

static void ue_of(size_t i, char *impi, size_t icap, char *btid, size_t bcap, uint8_t ks[32],
		  struct mbms_bmsc_addr *addr)
{
	snprintf(impi, icap, "%09zu@ims.mnc001.mcc001.3gppnetwork.org", i);
	uint8_t rand[16] = {0};
	mbms_put_be32(rand + 12, (uint32_t)i);
	rand[0] = 0xA5;
	mbms_btid_make(rand, "bsf.mnc001.mcc001.pub.3gppnetwork.org", btid, bcap);
	uint8_t seed[8];
	mbms_put_be32(seed, (uint32_t)i);
	mbms_put_be32(seed + 4, 0x5eed);
	mbms_hmac_sha256(seed, sizeof(seed), (const uint8_t *)"ks_naf", 6, ks);
	memset(addr, 0, sizeof(*addr));
	addr->family = 4;
	addr->ip[0] = 10;
	addr->ip[1] = (uint8_t)(i >> 16);
	addr->ip[2] = (uint8_t)(i >> 8);
	addr->ip[3] = (uint8_t)i;
	addr->port = 4359;
}

static void test_scale(void **state)
{
	(void)state;
	size_t n = 20000;
	const char *env = getenv("MBMS_BMSC_SCALE");
	if (env && atol(env) > 0)
		n = (size_t)atol(env);
	struct harness *h = h_new();
	h->cfg.counter_block = 64;
	h->cfg.nc_table_cap = 65536;
	h->skip_checks = true;
	char why[256];
	assert_int_equal(mbms_bmsc_config_check(&h->cfg, why, sizeof(why)), 0);
	assert_int_equal(mbms_bmsc_new(&h->cfg, &h->b), 0);
	size_t rss0 = rss();
	double t0 = secs();
	struct mbms_bmsc_rec *r = calloc(1, sizeof(*r));
	uint8_t ks[32];
	for (size_t i = 0; i < n; i++) {
		memset(r, 0, sizeof(*r));
		r->kind = MBMS_BMSC_REC_UE;
		ue_of(i, r->ue.impi, sizeof(r->ue.impi), r->ue.btid, sizeof(r->ue.btid), ks,
		      &r->ue.addr);
		memcpy(r->ue.muk, ks, 32);
		r->ue.muk_expires_ms = h->now + 86400000;
		r->ue.ts_hwm = 1;
		assert_int_equal(mbms_bmsc_restore(h->b, r), 0);
		r->kind = MBMS_BMSC_REC_REG;
		snprintf(r->service_id, sizeof(r->service_id), "%s", i % 2 ? H_SVC_A : H_SVC_B);
		assert_int_equal(mbms_bmsc_restore(h->b, r), 0);
	}
	double t_load = secs() - t0;
	size_t rss1 = rss();
	assert_int_equal(mbms_bmsc_start(h->b, h->now), 0);
	while (mbms_bmsc_action_next(h->b))
		;
	struct mbms_bmsc_stats st;
	mbms_bmsc_get_stats(h->b, &st);
	assert_int_equal(st.registered_ues, n);
	double per_ue = (double)(rss1 - rss0) / (double)n;

	/* rotation: every UE gets the next MSK; keep the pushes to ack them */
	uint32_t next;
	t0 = secs();
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &next), 0);
	struct {
		uint32_t ts;
		uint8_t rand[16];
	} *push = calloc(n, sizeof(*push));
	uint8_t *seen = calloc(n, 1);
	assert_non_null(push);
	size_t sends = 0;
	int more;
	do {
		more = mbms_bmsc_tick(h->b, h->now, 4096);
		const struct mbms_bmsc_action *a;
		while ((a = mbms_bmsc_action_next(h->b)) != NULL) {
			if (a->kind != MBMS_BMSC_ACT_SEND || a->u.send.to.port != 4359)
				continue;
			struct mbms_msg_info info;
			assert_int_equal(mbms_msg_parse(a->u.send.data, a->u.send.len, MBMS_MSG_F_MUK,
							&info), 0);
			size_t i = ((size_t)a->u.send.to.ip[1] << 16) | ((size_t)a->u.send.to.ip[2] << 8) |
				   a->u.send.to.ip[3];
			assert_true(i < n);
			assert_int_equal(info.msk_id, next);
			push[i].ts = info.ts_counter;
			memcpy(push[i].rand, info.rand, 16);
			seen[i]++;
			sends++;
		}
	} while (more == 1);
	double t_fan = secs() - t0;
	assert_int_equal(sends, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(seen[i], 1);
	size_t rss2 = rss();

	/* every UE acknowledges */
	t0 = secs();
	char impi[MBMS_GBA_IMPI_MAX], btid[MBMS_GBA_BTID_MAX];
	struct mbms_bmsc_addr addr;
	for (size_t i = 0; i < n; i++) {
		ue_of(i, impi, sizeof(impi), btid, sizeof(btid), ks, &addr);
		struct mbms_acked acked = {.csb_id = next, .ts_counter = push[i].ts,
					   .idi = (const uint8_t *)H_FQDN, .idi_len = strlen(H_FQDN),
					   .idr = (const uint8_t *)btid, .idr_len = strlen(btid)};
		memcpy(acked.rand, push[i].rand, 16);
		uint8_t ack[128];
		size_t len;
		assert_int_equal(mbms_verification_build(ks, 32, &acked, ack, sizeof(ack), &len), 0);
		assert_int_equal(mbms_bmsc_udp_input(h->b, &addr, ack, len, h->now), 0);
		if ((i & 1023) == 1023)
			while (mbms_bmsc_action_next(h->b))
				;
	}
	while (mbms_bmsc_action_next(h->b))
		;
	double t_ack = secs() - t0;
	mbms_bmsc_get_stats(h->b, &st);
	assert_int_equal(st.pushes_acked, n);
	assert_int_equal(st.pending_pushes, 0);

	/* authenticated MSK requests (Digest auth-int, Ks_NAF cached) */
	size_t nreq = n < 2000 ? n : 2000;
	struct tue *u = calloc(1, sizeof(*u));
	assert_non_null(u);
	t0 = secs();
	struct h_result *res = calloc(1, sizeof(*res));
	for (size_t i = 0; i < nreq; i++) {
		memset(u, 0, sizeof(*u));
		ue_of(i, u->impi, sizeof(u->impi), u->btid, sizeof(u->btid), u->ks_naf, &u->addr);
		u->port = 4359;
		uint32_t kn0 = mbms_msk_id_make(H_KG1, 0);
		h_msk_request(h, u, &kn0, 1, res); /* 2 HTTP calls: the 401 and the request */
		assert_int_equal(res->status, 200);
		h->nsent = 0;
	}
	double t_req = secs() - t0;
	printf("# scale: %zu UEs restored in %.2f s; %.0f bytes RSS per UE (%.0f MB for 1,000,000)\n",
	       n, t_load, per_ue, per_ue * 1e6 / 1048576.0);
	printf("# scale: rotation fan-out %zu pushes in %.3f s (%.0f/s), %.0f bytes RSS per pending "
	       "push\n",
	       n, t_fan, n / t_fan, (double)(rss2 - rss1) / (double)n);
	printf("# scale: %zu acks verified in %.3f s (%.0f/s)\n", n, t_ack, n / t_ack);
	printf("# scale: %zu MSK requests (401 + authenticated 200 + push) in %.3f s (%.0f/s)\n",
	       nreq, t_req, nreq / t_req);
#if defined(__SANITIZE_ADDRESS__)
	(void)per_ue; /* redzones and quarantine: the sizing needs a plain build */
#else
	assert_true(per_ue < 512.0);
#endif
	free(res);
	free(u);
	free(push);
	free(seen);
	free(r);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
