/* The first fan-out after a restart (issue #9, figure 4): every restored UE
 * resumes at its persisted high-water mark, so each needs a new block of TS
 * counter values before its MSK message. The core reserves them ahead, many
 * UEs per drain (one synced transaction in bmscd), and still never lets a
 * datagram use a counter value whose reservation is not in the same or an
 * earlier drain, and never reuses a value below the restored mark. */
#include "test_bmsc_harness.h"

#define N_UES 40000
#define HWM0 100u /* the high-water mark every UE is restored with */

static void ue_of(size_t i, struct mbms_bmsc_rec *r)
{
	snprintf(r->ue.impi, sizeof(r->ue.impi), "%09zu@ims.mnc001.mcc001.3gppnetwork.org", i);
	uint8_t rand[16] = {0};
	mbms_put_be32(rand + 12, (uint32_t)i);
	rand[0] = 0x5A;
	mbms_btid_make(rand, "bsf.mnc001.mcc001.pub.3gppnetwork.org", r->ue.btid,
		       sizeof(r->ue.btid));
	uint8_t seed[4];
	mbms_put_be32(seed, (uint32_t)i);
	mbms_hmac_sha256(seed, sizeof(seed), (const uint8_t *)"muk", 3, r->ue.muk);
	r->ue.addr.family = 4;
	r->ue.addr.ip[0] = 10;
	r->ue.addr.ip[1] = (uint8_t)(i >> 16);
	r->ue.addr.ip[2] = (uint8_t)(i >> 8);
	r->ue.addr.ip[3] = (uint8_t)i;
	r->ue.addr.port = 4359;
}

static size_t index_of(const struct mbms_bmsc_addr *a)
{
	return ((size_t)a->ip[1] << 16) | ((size_t)a->ip[2] << 8) | a->ip[3];
}

/* "Durable before use": a datagram's counter is below the mark of a UE
 * record committed with its drain or before. */
static bool counter_ok(const uint32_t *hwm, size_t i, uint32_t ts)
{
	return ts >= HWM0 && ts < hwm[i];
}

static void test_checker_can_fail(void **state)
{
	(void)state;
	uint32_t hwm[2] = {HWM0, HWM0 + 64};
	assert_false(counter_ok(hwm, 0, HWM0));      /* no reservation yet */
	assert_false(counter_ok(hwm, 1, HWM0 - 1));  /* below the restored mark: reused */
	assert_false(counter_ok(hwm, 1, HWM0 + 64)); /* past the reservation */
	assert_true(counter_ok(hwm, 1, HWM0));
}

static void test_first_fanout_reserves_ahead(void **state)
{
	(void)state;
	struct harness *h = h_new();
	h->cfg.counter_block = 64;
	h->cfg.nc_table_cap = 65536;
	h->skip_checks = true;
	assert_int_equal(mbms_bmsc_new(&h->cfg, &h->b), 0);
	struct mbms_bmsc_rec *r = calloc(1, sizeof(*r));
	for (size_t i = 0; i < N_UES; i++) {
		memset(r, 0, sizeof(*r));
		r->kind = MBMS_BMSC_REC_UE;
		ue_of(i, r);
		r->ue.muk_expires_ms = h->now + 86400000;
		r->ue.ts_hwm = HWM0;
		assert_int_equal(mbms_bmsc_restore(h->b, r), 0);
		r->kind = MBMS_BMSC_REC_REG;
		snprintf(r->service_id, sizeof(r->service_id), "%s", H_SVC_A);
		assert_int_equal(mbms_bmsc_restore(h->b, r), 0);
	}
	mbms_wipe(r, sizeof(*r));
	free(r);
	assert_int_equal(mbms_bmsc_start(h->b, h->now), 0);
	while (mbms_bmsc_action_next(h->b))
		;
	mbms_bmsc_actions_done(h->b);

	uint32_t next;
	assert_int_equal(mbms_bmsc_rotate(h->b, H_KG1, h->now, &next), 0);
	uint32_t *hwm = calloc(N_UES, sizeof(*hwm));
	uint8_t *got = calloc(N_UES, 1);
	assert_non_null(hwm);
	assert_non_null(got);
	for (size_t i = 0; i < N_UES; i++)
		hwm[i] = HWM0;
	size_t drains = 0, drains_with_ue_rows = 0, ue_rows = 0, sends = 0;
	int more;
	do {
		more = mbms_bmsc_tick(h->b, h->now, 1024); /* bmscd's tick batch */
		/* a drain: records first (committed together), then datagrams */
		const struct mbms_bmsc_action *a;
		const struct mbms_bmsc_action **sent = calloc(8192, sizeof(*sent));
		size_t nsent = 0, rows = 0;
		assert_non_null(sent);
		while ((a = mbms_bmsc_action_next(h->b)) != NULL) {
			if (a->kind == MBMS_BMSC_ACT_PERSIST && a->u.rec.kind == MBMS_BMSC_REC_UE) {
				size_t i = index_of(&a->u.rec.ue.addr);
				assert_true(i < N_UES);
				assert_true(a->u.rec.ue.ts_hwm > hwm[i]);
				hwm[i] = a->u.rec.ue.ts_hwm;
				rows++;
			} else if (a->kind == MBMS_BMSC_ACT_SEND && a->u.send.to.port == 4359) {
				assert_true(nsent < 8192);
				sent[nsent++] = a;
			}
		}
		for (size_t k = 0; k < nsent; k++) {
			struct mbms_msg_info info;
			assert_int_equal(mbms_msg_parse(sent[k]->u.send.data, sent[k]->u.send.len,
							MBMS_MSG_F_MUK, &info),
					 0);
			size_t i = index_of(&sent[k]->u.send.to);
			assert_true(i < N_UES);
			assert_int_equal(info.msk_id, next);
			if (!counter_ok(hwm, i, info.ts_counter))
				fail_msg("UE %zu: TS %u without a durable reservation (mark %u)", i,
					 info.ts_counter, hwm[i]);
			got[i]++;
			sends++;
		}
		free(sent);
		mbms_bmsc_actions_done(h->b);
		drains++;
		drains_with_ue_rows += rows != 0;
		ue_rows += rows;
	} while (more == 1 && drains < 10000);
	assert_int_equal(sends, N_UES);
	for (size_t i = 0; i < N_UES; i++)
		assert_int_equal(got[i], 1);
	assert_int_equal(ue_rows, N_UES); /* one block per UE, none twice */
	/* 40,000 UEs: 3 drains with reservations (16,384 ahead), not 40 */
	if (drains_with_ue_rows > (N_UES + 16383) / 16384)
		fail_msg("%zu drains wrote UE rows (%zu drains in all)", drains_with_ue_rows, drains);
	free(hwm);
	free(got);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_can_fail),
		cmocka_unit_test(test_first_fanout_reserves_ahead),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
