/* GBA KDF / Ks_NAF (TS 33.220 Annex B) and the MIKEY-1 PRF (RFC 3830 4.1)
 * against tests/vectors/independent_cases.json. */
#include "testutil.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/kdf.h"

#include <stdlib.h>
#include <string.h>

static cJSON *root;

static int setup(void **state)
{
	(void)state;
	root = th_load_json("independent_cases.json");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cJSON_Delete(root);
	mbms_crypto_thread_cleanup();
	return 0;
}

/* Every "ks-naf" case: the S string and Ks_NAF. */
static void test_ks_naf_vectors(void **state)
{
	(void)state;
	int n = 0;
	cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases"))
	{
		if (!th_kind_is(c, "ks-naf"))
			continue;
		const cJSON *in = cJSON_GetObjectItem(c, "input"), *ex = cJSON_GetObjectItem(c, "expected");
		uint8_t ks[32], rand[16], ua[5], out[32];
		th_hex_into(th_str(in, "ks"), ks, 32);
		th_hex_into(th_str(in, "rand"), rand, 16);
		th_hex_into(th_str(in, "ua_id"), ua, 5);
		const char *impi = th_str(in, "impi"), *fqdn = th_str(in, "naf_fqdn");

		/* S via the generic form, NAF_ID built by hand */
		size_t fl = strlen(fqdn);
		uint8_t *naf_id = malloc(fl + 5);
		memcpy(naf_id, fqdn, fl);
		memcpy(naf_id + fl, ua, 5);
		const struct mbms_buf p[4] = {{(const uint8_t *)"gba-me", 6},
					      {rand, 16},
					      {(const uint8_t *)impi, strlen(impi)},
					      {naf_id, fl + 5}};
		size_t s_len = 0, s_cap = 1 + 6 + 16 + strlen(impi) + fl + 5 + 8;
		uint8_t *s = malloc(s_cap);
		assert_int_equal(mbms_gba_kdf_input(0x01, p, 4, s, s_cap, &s_len), 0);
		th_assert_hex(s, s_len, th_str(ex, "s"), th_str(c, "id"));
		/* A buffer one byte short must be refused, not overrun. */
		assert_int_equal(mbms_gba_kdf_input(0x01, p, 4, s, s_len - 1, &s_len), MBMS_ENOSPC);

		assert_int_equal(mbms_gba_kdf(ks, 32, 0x01, p, 4, out), 0);
		th_assert_hex(out, 32, th_str(ex, "ks_naf"), th_str(c, "id"));
		assert_int_equal(mbms_ks_naf(ks, rand, impi, fqdn, ua, out), 0);
		th_assert_hex(out, 32, th_str(ex, "ks_naf"), th_str(c, "id"));

		/* Must fail: another FQDN gives another key. */
		assert_int_equal(mbms_ks_naf(ks, rand, impi, "other.example", ua, out), 0);
		uint8_t want[32];
		th_hex_into(th_str(ex, "ks_naf"), want, 32);
		assert_false(mbms_ct_equal(out, want, 32));
		free(naf_id);
		free(s);
		n++;
	}
	assert_true(n >= 3);
}

/* The context MUK = Ks_NAF(Ks, RAND, IMPI, IDi) and MRK = MUK (PROFILE). */
static void test_context_muk(void **state)
{
	(void)state;
	const cJSON *ctx = cJSON_GetObjectItem(root, "context");
	uint8_t ks[32], rand[16], ks_naf[32], muk[32], mrk[32];
	th_hex_into(th_str(ctx, "ks"), ks, 32);
	th_hex_into(th_str(ctx, "gba_rand"), rand, 16);
	assert_int_equal(mbms_ks_naf(ks, rand, th_str(ctx, "impi"), th_str(ctx, "idi"),
				     mbms_ua_id_mbms, ks_naf),
			 0);
	assert_int_equal(mbms_muk_from_ks_naf(ks_naf, muk), 0);
	assert_int_equal(mbms_mrk_from_ks_naf(ks_naf, mrk), 0);
	th_assert_hex(muk, 32, th_str(ctx, "muk"), "context MUK");
	th_assert_hex(mrk, 32, th_str(ctx, "muk"), "context MRK");
}

/* Every "prf" case: inkeys of 16, 32 and 48 bytes, outputs of 14..64 bytes. */
static void test_prf_vectors(void **state)
{
	(void)state;
	int n = 0;
	cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases"))
	{
		if (!th_kind_is(c, "prf"))
			continue;
		const cJSON *in = cJSON_GetObjectItem(c, "input");
		size_t inkey_len, label_len;
		uint8_t *inkey = th_hex(th_str(in, "inkey"), &inkey_len);
		uint8_t *label = th_hex(th_str(in, "label"), &label_len);
		size_t outlen = (size_t)th_num(in, "outlen");
		uint8_t out[128];
		assert_int_equal(mbms_mikey_prf(inkey, inkey_len, label, label_len, out, outlen), 0);
		th_assert_hex(out, outlen, th_str(cJSON_GetObjectItem(c, "expected"), "out"),
			      th_str(c, "id"));
		/* Must fail: a shorter output is a prefix, a changed label is not. */
		uint8_t shorter[128];
		assert_int_equal(mbms_mikey_prf(inkey, inkey_len, label, label_len, shorter, outlen / 2), 0);
		assert_memory_equal(shorter, out, outlen / 2);
		label[0] ^= 1;
		assert_int_equal(mbms_mikey_prf(inkey, inkey_len, label, label_len, shorter, outlen), 0);
		assert_false(mbms_ct_equal(shorter, out, outlen));
		test_free(inkey);
		test_free(label);
		n++;
	}
	assert_true(n >= 7);
}

/* The message keys of each MIKEY message case ("derived": encr/auth/salt). */
static void test_message_keys(void **state)
{
	(void)state;
	int n = 0;
	cJSON *c;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases"))
	{
		if (!th_kind_is(c, "msk-message") && !th_kind_is(c, "mtk-message") &&
		    !th_kind_is(c, "trigger-message"))
			continue;
		const cJSON *in = cJSON_GetObjectItem(c, "input");
		const cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "expected"), "derived");
		const char *key_hex = th_kind_is(c, "mtk-message") ? th_str(in, "msk") : th_str(in, "muk");
		size_t key_len;
		uint8_t *key = th_hex(key_hex, &key_len);
		uint8_t msk_id[4], rand[16];
		th_hex_into(th_str(in, "msk_id"), msk_id, 4);
		th_hex_into(th_str(in, "rand"), rand, 16);
		uint32_t csb = (uint32_t)msk_id[0] << 24 | (uint32_t)msk_id[1] << 16 |
			       (uint32_t)msk_id[2] << 8 | msk_id[3];
		struct mbms_mikey_msg_keys k;
		assert_int_equal(mbms_mikey_msg_keys(key, key_len, csb, rand, 16, &k), 0);
		th_assert_hex(k.encr, sizeof(k.encr), th_str(d, "encr_key"), th_str(c, "id"));
		th_assert_hex(k.auth, sizeof(k.auth), th_str(d, "auth_key"), th_str(c, "id"));
		th_assert_hex(k.salt, sizeof(k.salt), th_str(d, "salt_key"), th_str(c, "id"));
		mbms_wipe(&k, sizeof(k));
		test_free(key);
		n++;
	}
	assert_true(n >= 4);
}

/* RFC 3830 4.1.3 TGK derivation uses CS ID where 4.1.4 has 0xFF: with CS ID
 * 0xFF the two must agree, with any other CS ID they must not. */
static void test_tgk_key_label(void **state)
{
	(void)state;
	uint8_t tgk[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, rand[16] = {0};
	uint8_t a[16], b[16];
	assert_int_equal(mbms_mikey_tgk_key(tgk, 16, MBMS_MIKEY_CONST_TEK, 0xff, 0x01020001, rand, 16, a, 16), 0);
	assert_int_equal(mbms_mikey_msg_key(tgk, 16, MBMS_MIKEY_CONST_TEK, 0x01020001, rand, 16, b, 16), 0);
	assert_memory_equal(a, b, 16);
	assert_int_equal(mbms_mikey_tgk_key(tgk, 16, MBMS_MIKEY_CONST_TEK, 1, 0x01020001, rand, 16, a, 16), 0);
	assert_memory_not_equal(a, b, 16);
	assert_int_equal(mbms_mikey_msg_key(tgk, 16, 0, 0, rand, 256, b, 16), MBMS_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ks_naf_vectors),
		cmocka_unit_test(test_context_muk),
		cmocka_unit_test(test_prf_vectors),
		cmocka_unit_test(test_message_keys),
		cmocka_unit_test(test_tgk_key_label),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
