/* The builders and verifiers that take a prepared MUK (mbms_msg.h "_keyed",
 * kdf.h keyctx) against tests/vectors/independent_cases.json and against
 * the raw-MUK functions: the same bytes, the same checks, the same errors.
 * A BM-SC keeps one keyctx per pending push and a UE one per MUK, so these
 * must never differ from the functions the vectors were written for. */
#include "testutil.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/kdf.h"
#include "mbmssec/mbms_msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF 1024

static void assert_rc(int got, int want, const char *what)
{
	if (got != want)
		fail_msg("%s: got %s (%d), expected %s (%d)", what, mbms_errname(got), got,
			 mbms_errname(want), want);
}



/* Vectors msk-message and trigger-message: the keyed builder reproduces the
 * expected bytes with in->muk cleared (it must not be read), the keyed
 * verifier accepts them and finds the same fields, and a keyctx of another
 * MUK fails the MAC. */
static void test_msk_and_trigger_vectors(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "cases"))
	{
		bool trig = th_kind_is(c, "trigger-message");
		if (!th_kind_is(c, "msk-message") && !trig)
			continue;
		const char *id = th_str(c, "id");
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, "input");
		const cJSON *exp = cJSON_GetObjectItemCaseSensitive(c, "expected");
		struct mbms_msk_msg_in m;
		struct mbms_mikey_keyctx kc;
		uint8_t muk[32], msk[16], out[BUF];
		size_t len = 0;
		th_msk_msg_in(in, &m, muk, msk);
		assert_rc(mbms_mikey_keyctx_init(&kc, muk, 32), 0, id);
		m.muk = NULL;
		m.muk_len = 0;
		if (trig)
			assert_rc(mbms_trigger_build_keyed(&m, &kc, out, sizeof(out), &len), 0, id);
		else
			assert_rc(mbms_msk_msg_build_keyed(&m, &kc, out, sizeof(out), &len), 0, id);
		assert_int_equal(len, (size_t)th_num(exp, "length"));
		th_assert_hex(out, len, th_str(exp, "hex"), id);

		struct mbms_msg_info a, b;
		assert_rc(mbms_msg_verify_keyed(out, len, MBMS_MSG_F_MUK, &kc, NULL, &a), 0, id);
		assert_rc(mbms_msg_verify(out, len, MBMS_MSG_F_MUK, muk, 32, NULL, &b), 0, id);
		assert_true(a.verified && b.verified);
		assert_int_equal(a.kind, b.kind);
		assert_int_equal(a.ts_counter, b.ts_counter);
		assert_int_equal(a.key_len, b.key_len);
		assert_memory_equal(a.key, b.key, sizeof(a.key));
		assert_int_equal(a.vf, b.vf);
		assert_int_equal(a.vt, b.vt);
		mbms_msg_info_wipe(&a);
		mbms_msg_info_wipe(&b);

		/* must fail: another MUK's keyctx */
		struct mbms_mikey_keyctx other;
		muk[0] ^= 0x80;
		assert_rc(mbms_mikey_keyctx_init(&other, muk, 32), 0, id);
		assert_rc(mbms_msg_verify_keyed(out, len, MBMS_MSG_F_MUK, &other, NULL, &a),
			  MBMS_EMAC, id);
		mbms_mikey_keyctx_wipe(&other);
		mbms_mikey_keyctx_wipe(&kc);
		n++;
	}
	assert_int_equal(n, 3);
	cJSON_Delete(root);
}

/* Vector verification: the UE's ack built with a keyctx, byte-exact, and
 * checked by the BM-SC's keyed verifier against the acknowledged message. */
static void test_verification_vector(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "cases"))
	{
		if (!th_kind_is(c, "verification"))
			continue;
		const char *id = th_str(c, "id");
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, "input");
		const cJSON *exp = cJSON_GetObjectItemCaseSensitive(c, "expected");
		uint8_t muk[32], out[BUF];
		size_t for_len, len = 0;
		th_hex_into(th_str(in, "muk"), muk, 32);
		uint8_t *acked_msg = th_hex(th_str(in, "for_hex"), &for_len);
		struct mbms_mikey_keyctx kc;
		assert_rc(mbms_mikey_keyctx_init(&kc, muk, 32), 0, id);
		struct mbms_msg_info ai, vi;
		struct mbms_acked acked;
		assert_rc(mbms_msg_verify_keyed(acked_msg, for_len, MBMS_MSG_F_MUK, &kc, NULL, &ai),
			  0, id);
		assert_rc(mbms_acked_from_info(&ai, &acked), 0, id);
		assert_rc(mbms_verification_build_keyed(&kc, &acked, out, sizeof(out), &len), 0, id);
		assert_int_equal(len, (size_t)th_num(exp, "length"));
		th_assert_hex(out, len, th_str(exp, "hex"), id);
		assert_rc(mbms_msg_verify_keyed(out, len, MBMS_MSG_F(MBMS_MSG_VERIFICATION), &kc,
						&acked, &vi),
			  0, id);
		assert_true(vi.verified);
		/* must fail: no acknowledged message; another TS counter */
		assert_rc(mbms_msg_verify_keyed(out, len, MBMS_MSG_ANY, &kc, NULL, &vi),
			  MBMS_ENOACKED, id);
		assert_rc(mbms_verification_build_keyed(&kc, NULL, out, sizeof(out), &len),
			  MBMS_ENOACKED, id);
		acked.ts_counter++;
		assert_rc(mbms_msg_verify_keyed(out, len, MBMS_MSG_F(MBMS_MSG_VERIFICATION), &kc,
						&acked, &vi),
			  MBMS_EMAC, id);
		mbms_msg_info_wipe(&ai);
		mbms_mikey_keyctx_wipe(&kc);
		test_free(acked_msg);
		n++;
	}
	assert_int_equal(n, 1);
	cJSON_Delete(root);
}

/* Vectors mtk-message: the keyed verifier with a keyctx of the MSK (16-byte
 * inkey) decrypts the same MTK and salt. */
static void test_mtk_vectors(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "cases"))
	{
		if (!th_kind_is(c, "mtk-message"))
			continue;
		const char *id = th_str(c, "id");
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, "input");
		const cJSON *exp = cJSON_GetObjectItemCaseSensitive(c, "expected");
		uint8_t msk[16], mtk[16], salt[14];
		size_t len = 0;
		th_hex_into(th_str(in, "msk"), msk, 16);
		th_hex_into(th_str(in, "mtk"), mtk, 16);
		th_hex_into(th_str(in, "salt"), salt, 14);
		uint8_t *msg = th_hex(th_str(exp, "hex"), &len);
		struct mbms_mikey_keyctx kc;
		struct mbms_msg_info info;
		assert_rc(mbms_mikey_keyctx_init(&kc, msk, 16), 0, id);
		assert_rc(mbms_msg_verify_keyed(msg, len, MBMS_MSG_F(MBMS_MSG_MTK), &kc, NULL, &info),
			  0, id);
		assert_memory_equal(info.key, mtk, 16);
		assert_memory_equal(info.salt, salt, 14);
		mbms_msg_info_wipe(&info);
		mbms_mikey_keyctx_wipe(&kc);
		test_free(msg);
		n++;
	}
	assert_int_equal(n, 2);
	cJSON_Delete(root);
}

/* Many random inputs: keyed and raw builders give identical bytes, for MSK
 * messages, triggers, acks and a bare KEMAC seal. */
static void test_keyed_equals_raw(void **state)
{
	(void)state;
	static const char idi[] = "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org";
	char idr[80];
	for (int i = 0; i < 200; i++) {
		uint8_t muk[32], msk[16], a[BUF], b[BUF];
		size_t la = 0, lb = 0;
		struct mbms_msk_msg_in m;
		memset(&m, 0, sizeof(m));
		assert_rc(mbms_random(muk, sizeof(muk)), 0, "random");
		assert_rc(mbms_random(msk, sizeof(msk)), 0, "random");
		assert_rc(mbms_random(m.rand, sizeof(m.rand)), 0, "random");
		snprintf(idr, sizeof(idr), "UE%dAAAAAAAAAAAAAAAAAAA==@bsf.mnc001.mcc001.example", i);
		m.muk = muk;
		m.muk_len = 32;
		m.key_domain_id[0] = 0x00;
		m.key_domain_id[1] = 0xf1;
		m.key_domain_id[2] = 0x10;
		m.msk_id = mbms_msk_id_make(258, (uint16_t)(1 + i));
		m.ts_counter = (uint32_t)(1000u * (unsigned)i + 1u);
		m.idi = (const uint8_t *)idi;
		m.idi_len = strlen(idi);
		m.idr = (const uint8_t *)idr;
		m.idr_len = strlen(idr);
		m.v_flag = i & 1;
		m.msk = msk;
		m.vf = 1;
		m.vt = (uint16_t)(i + 1);
		struct mbms_mikey_keyctx kc;
		assert_rc(mbms_mikey_keyctx_init(&kc, muk, 32), 0, "keyctx");
		assert_rc(mbms_msk_msg_build(&m, a, sizeof(a), &la), 0, "msk raw");
		assert_rc(mbms_msk_msg_build_keyed(&m, &kc, b, sizeof(b), &lb), 0, "msk keyed");
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);

		struct mbms_msg_info info;
		struct mbms_acked acked;
		assert_rc(mbms_msg_verify_keyed(a, la, MBMS_MSG_F_MUK, &kc, NULL, &info), 0, "verify");
		assert_rc(mbms_acked_from_info(&info, &acked), 0, "acked");
		mbms_msg_info_wipe(&info);
		assert_rc(mbms_verification_build(muk, 32, &acked, a, sizeof(a), &la), 0, "ack raw");
		assert_rc(mbms_verification_build_keyed(&kc, &acked, b, sizeof(b), &lb), 0,
			  "ack keyed");
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);

		struct mbms_msk_msg_in t = m;
		t.msk_id = mbms_msk_id_make(258, 0);
		t.msk = NULL;
		assert_rc(mbms_trigger_build(&t, a, sizeof(a), &la), 0, "trigger raw");
		assert_rc(mbms_trigger_build_keyed(&t, &kc, b, sizeof(b), &lb), 0, "trigger keyed");
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);

		/* a bare seal over arbitrary bytes */
		memset(a, 0x5a, 96);
		memcpy(b, a, 96);
		assert_rc(mbms_kemac_seal(a, 10, 30, 70, muk, 32, m.msk_id, m.rand, 16, 7), 0,
			  "seal raw");
		assert_rc(mbms_kemac_seal_keyed(b, 10, 30, 70, &kc, m.msk_id, m.rand, 16, 7), 0,
			  "seal keyed");
		assert_memory_equal(a, b, 96);
		mbms_mikey_keyctx_wipe(&kc);
	}
}

/* What must be refused: no keyctx, one never prepared, one wiped, and the
 * input errors the raw builders refuse too. */
static void test_keyed_refusals(void **state)
{
	(void)state;
	static const uint8_t muk[32] = {1, 2, 3};
	static const uint8_t msk[16] = {4, 5, 6};
	static const char idi[] = "bmsc.example", idr[] = "btid@bsf.example";
	uint8_t out[BUF];
	size_t len = 0;
	struct mbms_msk_msg_in m;
	memset(&m, 0, sizeof(m));
	m.msk_id = mbms_msk_id_make(1, 1);
	m.idi = (const uint8_t *)idi;
	m.idi_len = strlen(idi);
	m.idr = (const uint8_t *)idr;
	m.idr_len = strlen(idr);
	m.msk = msk;
	struct mbms_mikey_keyctx none, kc;
	memset(&none, 0, sizeof(none));
	assert_rc(mbms_mikey_keyctx_init(&kc, muk, 32), 0, "keyctx");
	assert_rc(mbms_msk_msg_build_keyed(&m, &kc, out, sizeof(out), &len), 0, "good");
	assert_rc(mbms_msk_msg_build_keyed(&m, NULL, out, sizeof(out), &len), MBMS_EINVAL, "NULL");
	assert_rc(mbms_msk_msg_build_keyed(&m, &none, out, sizeof(out), &len), MBMS_EINVAL,
		  "unprepared");
	assert_rc(mbms_trigger_build_keyed(&m, &kc, out, sizeof(out), &len), MBMS_EINVAL,
		  "trigger with Key Number 1");
	m.msk = NULL;
	assert_rc(mbms_msk_msg_build_keyed(&m, &kc, out, sizeof(out), &len), MBMS_EINVAL,
		  "no MSK");
	m.msk = msk;
	m.idr_len = 0;
	assert_rc(mbms_msk_msg_build_keyed(&m, &kc, out, sizeof(out), &len), MBMS_EINVAL,
		  "empty IDr");
	m.idr_len = strlen(idr);
	assert_rc(mbms_msk_msg_build_keyed(&m, &kc, out, 40, &len), MBMS_ENOSPC, "small buffer");
	assert_rc(mbms_msk_msg_build_keyed(&m, &kc, out, sizeof(out), &len), 0, "again");
	struct mbms_msg_info info;
	assert_rc(mbms_msg_verify_keyed(out, len, MBMS_MSG_F_MUK, &none, NULL, &info), MBMS_EINVAL,
		  "verify unprepared");
	assert_rc(mbms_kemac_seal_keyed(out, 0, 0, 10, NULL, 1, NULL, 0, 0), MBMS_EINVAL,
		  "seal NULL");
	mbms_mikey_keyctx_wipe(&kc);
	assert_rc(mbms_msk_msg_build_keyed(&m, &kc, out, sizeof(out), &len), MBMS_EINVAL, "wiped");
	assert_rc(mbms_verification_build_keyed(&kc, NULL, out, sizeof(out), &len), MBMS_EINVAL,
		  "ack with a wiped keyctx");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msk_and_trigger_vectors),
		cmocka_unit_test(test_verification_vector),
		cmocka_unit_test(test_mtk_vectors),
		cmocka_unit_test(test_keyed_equals_raw),
		cmocka_unit_test(test_keyed_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
