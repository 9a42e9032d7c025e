/* The MBMS MIKEY messages (PROFILE.md 5, 10) against
 * tests/vectors/independent_cases.json (independent implementation):
 * every msk-message / trigger-message / verification / mtk-message case
 * byte-exact and parsed back, every "bad" entry rejected with its reason,
 * the ue-sequence cases through one UE state, and a table of malformed
 * messages built here (each names the PROFILE.md clause it breaks). */
#include "testutil.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/kdf.h"
#include "mbmssec/mbms_msg.h"
#include "mbmssec/mikey.h"

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

static void assert_rc_name(int got, const char *want, const char *what)
{
	if (strcmp(mbms_errname(got), want) != 0)
		fail_msg("%s: got %s (%d), expected %s", what, mbms_errname(got), got, want);
}

static uint32_t hex_be32(const char *hex)
{
	uint8_t b[4];
	th_hex_into(hex, b, 4);
	return mbms_get_be32(b);
}

static const cJSON *member(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!it)
		fail_msg("vector member '%s' missing", k);
	return it;
}

/* ---- the "parse" objects ---- */

static void expect_num(const cJSON *it, bool present, double v, const char *id, const char *k)
{
	if (cJSON_IsNull(it)) {
		if (present)
			fail_msg("%s: %s should be null, got %.0f", id, k, v);
		return;
	}
	if (cJSON_IsBool(it)) {
		if (!present || (cJSON_IsTrue(it) ? 1 : 0) != (int)v)
			fail_msg("%s: %s differs", id, k);
		return;
	}
	if (!cJSON_IsNumber(it) || !present || it->valuedouble != v)
		fail_msg("%s: %s is %.0f, expected %s", id, k, v, cJSON_Print(it));
}

static void expect_bytes(const cJSON *it, const uint8_t *b, size_t len, const char *id,
			 const char *k)
{
	char what[128];
	snprintf(what, sizeof(what), "%s: %s", id, k);
	if (cJSON_IsNull(it)) {
		if (b && len)
			fail_msg("%s should be null", what);
		return;
	}
	if (!b)
		fail_msg("%s missing", what);
	th_assert_hex(b, len, it->valuestring, what);
}

static void expect_text(const cJSON *it, const uint8_t *b, size_t len, const char *id,
			const char *k)
{
	if (cJSON_IsNull(it)) {
		if (b)
			fail_msg("%s: %s should be null", id, k);
		return;
	}
	if (!b || strlen(it->valuestring) != len || memcmp(it->valuestring, b, len) != 0)
		fail_msg("%s: %s differs from \"%s\"", id, k, it->valuestring);
}

static void expect_name(const cJSON *it, bool present, const char *name, const char *id,
			const char *k)
{
	if (cJSON_IsNull(it)) {
		if (present)
			fail_msg("%s: %s should be null, got %s", id, k, name);
		return;
	}
	if (!present || strcmp(it->valuestring, name) != 0)
		fail_msg("%s: %s is %s, expected %s", id, k, present ? name : "absent",
			 it->valuestring);
}

/* "derived" of a parse: recompute from what the parser found. */
static void check_parse_derived(const cJSON *d, const struct mbms_msg_info *info,
				const uint8_t *inkey, size_t inkey_len,
				const struct mbms_acked *acked, const uint8_t *msg, const char *id)
{
	struct mbms_mikey_msg_keys k;
	uint32_t csb = acked ? acked->csb_id : info->csb_id;
	const uint8_t *rand = acked ? acked->rand : info->rand;
	assert_int_equal(mbms_mikey_msg_keys(inkey, inkey_len, csb, rand, 16, &k), 0);
	const cJSON *it;
	cJSON_ArrayForEach(it, d)
	{
		const char *n = it->string;
		uint8_t iv[16], plain[64];
		if (strcmp(n, "encr_key") == 0) {
			expect_bytes(it, k.encr, sizeof(k.encr), id, n);
		} else if (strcmp(n, "auth_key") == 0) {
			expect_bytes(it, k.auth, sizeof(k.auth), id, n);
		} else if (strcmp(n, "salt_key") == 0) {
			expect_bytes(it, k.salt, sizeof(k.salt), id, n);
		} else if (strcmp(n, "iv") == 0) {
			mbms_mikey_aes_cm_iv(k.salt, info->csb_id, info->ts_counter, iv);
			expect_bytes(it, iv, 16, id, n);
		} else if (strcmp(n, "key_data_plaintext") == 0) {
			assert_true(info->encr_data_len <= sizeof(plain));
			mbms_mikey_aes_cm_iv(k.salt, info->csb_id, info->ts_counter, iv);
			assert_int_equal(mbms_aes_cm_128(k.encr, iv, info->encr_data, plain,
							 info->encr_data_len),
					 0);
			if (strlen(it->valuestring) != 2 * info->encr_data_len)
				fail_msg("%s: plaintext length", id);
			th_assert_hex(plain, info->encr_data_len, it->valuestring, id);
		} else if (strcmp(n, "mac_input") == 0) {
			/* 10.1: message up to the auth-alg byte || IDi || IDr || T */
			size_t l = strlen(it->valuestring) / 2;
			uint8_t *want = th_hex(it->valuestring, NULL);
			assert_true(l == info->mac_off + acked->idi_len + acked->idr_len + 4);
			assert_memory_equal(want, msg, info->mac_off);
			assert_memory_equal(want + info->mac_off, acked->idi, acked->idi_len);
			assert_memory_equal(want + info->mac_off + acked->idi_len, acked->idr,
					    acked->idr_len);
			uint8_t mac[20];
			assert_int_equal(mbms_hmac_sha1(k.auth, 20, want, l, mac), 0);
			assert_memory_equal(mac, info->mac, 20);
			test_free(want);
		} else {
			fail_msg("%s: derived.%s not checked by this test", id, n);
		}
	}
	mbms_wipe(&k, sizeof(k));
}

/* Every member of a vector's "parse" object against the parsed info. An
 * unknown member fails, so that no field goes unchecked. */
static void check_parse(const cJSON *parse, const struct mbms_msg_info *info, const char *id)
{
	const cJSON *it;
	bool key = info->has_key;
	cJSON_ArrayForEach(it, parse)
	{
		const char *n = it->string;
		uint8_t b4[4];
		if (strcmp(n, "message_type") == 0) {
			expect_name(it, true, mbms_msg_kind_name(info->kind), id, n);
		} else if (strcmp(n, "data_type") == 0) {
			expect_num(it, true, info->data_type, id, n);
		} else if (strcmp(n, "v_flag") == 0) {
			expect_num(it, true, info->v_flag, id, n);
		} else if (strcmp(n, "prf") == 0) {
			expect_num(it, true, info->prf, id, n);
		} else if (strcmp(n, "csb_id") == 0) {
			mbms_put_be32(b4, info->csb_id);
			expect_bytes(it, b4, 4, id, n);
		} else if (strcmp(n, "key_id_type") == 0) {
			expect_num(it, true, info->key_id_type, id, n);
		} else if (strcmp(n, "key_domain_id") == 0) {
			expect_bytes(it, info->key_domain_id, 3, id, n);
		} else if (strcmp(n, "msk_id") == 0) {
			mbms_put_be32(b4, info->msk_id);
			expect_bytes(it, b4, 4, id, n);
		} else if (strcmp(n, "key_group") == 0) {
			expect_num(it, true, info->key_group, id, n);
		} else if (strcmp(n, "key_number") == 0) {
			expect_num(it, true, info->key_number, id, n);
		} else if (strcmp(n, "mtk_id") == 0) {
			expect_num(it, info->has_mtk_id, info->mtk_id, id, n);
		} else if (strcmp(n, "ts_type") == 0) {
			expect_num(it, true, info->ts_type, id, n);
		} else if (strcmp(n, "ts_counter") == 0) {
			expect_num(it, true, info->ts_counter, id, n);
		} else if (strcmp(n, "rand") == 0) {
			expect_bytes(it, info->rand, info->rand_len, id, n);
		} else if (strcmp(n, "idi") == 0) {
			expect_text(it, info->idi, info->idi_len, id, n);
		} else if (strcmp(n, "idr") == 0) {
			expect_text(it, info->idr, info->idr_len, id, n);
		} else if (strcmp(n, "idi_hex") == 0) {
			expect_bytes(it, info->idi, info->idi_len, id, n);
		} else if (strcmp(n, "idr_hex") == 0) {
			expect_bytes(it, info->idr, info->idr_len, id, n);
		} else if (strcmp(n, "encr_alg") == 0) {
			expect_num(it, true, info->encr_alg, id, n);
		} else if (strcmp(n, "encr_data_len") == 0) {
			expect_num(it, true, (double)info->encr_data_len, id, n);
		} else if (strcmp(n, "mac_alg") == 0) {
			expect_num(it, true, info->mac_alg, id, n);
		} else if (strcmp(n, "auth_alg") == 0) {
			expect_num(it, true, info->auth_alg, id, n);
		} else if (strcmp(n, "mac") == 0) {
			expect_bytes(it, info->mac, info->mac_len, id, n);
		} else if (strcmp(n, "key_type") == 0) {
			expect_name(it, key, mbms_mikey_key_type_name(info->key_type), id, n);
		} else if (strcmp(n, "key") == 0) {
			expect_bytes(it, key ? info->key : NULL, info->key_len, id, n);
		} else if (strcmp(n, "salt") == 0) {
			expect_bytes(it, info->salt_len ? info->salt : NULL, info->salt_len, id, n);
		} else if (strcmp(n, "kv_type") == 0) {
			expect_name(it, key, mbms_mikey_kv_name(info->kv_type), id, n);
		} else if (strcmp(n, "vf") == 0) {
			expect_num(it, info->has_interval, info->vf, id, n);
		} else if (strcmp(n, "vt") == 0) {
			expect_num(it, info->has_interval, info->vt, id, n);
		} else if (strcmp(n, "spi") == 0) {
			expect_bytes(it, info->has_spi ? info->spi : NULL, info->spi_len, id, n);
		} else if (strcmp(n, "derived") == 0 || strcmp(n, "acknowledges") == 0) {
			/* checked by the caller, which has the keys */
		} else {
			fail_msg("%s: parse.%s not checked by this test", id, n);
		}
	}
}

/* ---- cases ---- */

static void fill_muk_in(const cJSON *in, struct mbms_msk_msg_in *m, uint8_t *muk, uint8_t *msk)
{
	memset(m, 0, sizeof(*m));
	th_hex_into(th_str(in, "muk"), muk, 32);
	m->muk = muk;
	m->muk_len = 32;
	th_hex_into(th_str(in, "key_domain"), m->key_domain_id, 3);
	m->msk_id = hex_be32(th_str(in, "msk_id"));
	m->ts_counter = (uint32_t)th_num(in, "ts");
	th_hex_into(th_str(in, "rand"), m->rand, 16);
	m->idi = (const uint8_t *)th_str(in, "idi");
	m->idi_len = strlen(th_str(in, "idi"));
	m->idr = (const uint8_t *)th_str(in, "idr");
	m->idr_len = strlen(th_str(in, "idr"));
	m->v_flag = cJSON_IsTrue(member(in, "v"));
	if (cJSON_GetObjectItemCaseSensitive(in, "msk")) {
		th_hex_into(th_str(in, "msk"), msk, 16);
		m->msk = msk;
		m->vf = (uint16_t)th_num(in, "vf");
		m->vt = (uint16_t)th_num(in, "vt");
	}
}

/* expected.derived of a built message: keys, IV, plaintext, ciphertext. */
static void check_build_derived(const cJSON *d, const uint8_t *inkey, size_t inkey_len,
				uint32_t csb, const uint8_t *rand, uint32_t ts, const uint8_t *msg,
				size_t len, const char *id)
{
	struct mbms_msg_info info;
	assert_rc(mbms_msg_parse(msg, len, MBMS_MSG_ANY, &info), 0, id);
	assert_int_equal(info.csb_id, csb);
	assert_memory_equal(info.rand, rand, 16);
	assert_int_equal(info.ts_counter, ts);
	const cJSON *enc = cJSON_GetObjectItemCaseSensitive(d, "key_data_encrypted");
	if (enc)
		expect_bytes(enc, info.encr_data, info.encr_data_len, id, "key_data_encrypted");
	cJSON *copy = cJSON_Duplicate(d, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "key_data_encrypted");
	check_parse_derived(copy, &info, inkey, inkey_len, NULL, msg, id);
	cJSON_Delete(copy);
}

static void check_expected_hex(const cJSON *exp, const uint8_t *msg, size_t len, const char *id)
{
	assert_int_equal(len, (size_t)th_num(exp, "length"));
	th_assert_hex(msg, len, th_str(exp, "hex"), id);
}

static void test_msk_and_trigger_cases(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, member(root, "cases"))
	{
		bool trig = th_kind_is(c, "trigger-message");
		if (!th_kind_is(c, "msk-message") && !trig)
			continue;
		const char *id = th_str(c, "id");
		const cJSON *in = member(c, "input"), *exp = member(c, "expected");
		struct mbms_msk_msg_in m;
		uint8_t muk[32], msk[16], out[BUF];
		size_t len = 0;
		fill_muk_in(in, &m, muk, msk);
		if (trig)
			assert_rc(mbms_trigger_build(&m, out, sizeof(out), &len), 0, id);
		else
			assert_rc(mbms_msk_msg_build(&m, out, sizeof(out), &len), 0, id);
		check_expected_hex(exp, out, len, id);
		check_build_derived(member(exp, "derived"), muk, 32, m.msk_id, m.rand, m.ts_counter,
				    out, len, id);

		/* and back: verify with the MUK, every parse field */
		struct mbms_msg_info info;
		assert_rc(mbms_msg_verify(out, len, MBMS_MSG_F_MUK, muk, 32, NULL, &info), 0, id);
		assert_true(info.verified);
		const cJSON *parse = member(exp, "parse");
		check_parse(parse, &info, id);
		check_parse_derived(member(parse, "derived"), &info, muk, 32, NULL, out, id);
		mbms_msg_info_wipe(&info);

		/* the same bytes with a wrong MUK: bad_mac */
		muk[31] ^= 1;
		assert_rc(mbms_msg_verify(out, len, MBMS_MSG_F_MUK, muk, 32, NULL, &info),
			  MBMS_EMAC, id);
		n++;
	}
	assert_int_equal(n, 3);
	cJSON_Delete(root);
}

static void test_mtk_cases(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, member(root, "cases"))
	{
		if (!th_kind_is(c, "mtk-message"))
			continue;
		const char *id = th_str(c, "id");
		const cJSON *in = member(c, "input"), *exp = member(c, "expected");
		struct mbms_mtk_msg_in m;
		uint8_t msk[16], mtk[16], salt[14], out[BUF];
		size_t len = 0;
		memset(&m, 0, sizeof(m));
		th_hex_into(th_str(in, "msk"), msk, 16);
		th_hex_into(th_str(in, "mtk"), mtk, 16);
		th_hex_into(th_str(in, "salt"), salt, 14);
		m.msk = msk;
		m.msk_len = 16;
		m.mtk = mtk;
		m.mtk_salt = salt;
		th_hex_into(th_str(in, "key_domain"), m.key_domain_id, 3);
		m.msk_id = hex_be32(th_str(in, "msk_id"));
		m.mtk_id = (uint16_t)th_num(in, "mtk_id");
		m.ts_counter = (uint32_t)th_num(in, "ts");
		th_hex_into(th_str(in, "rand"), m.rand, 16);
		assert_rc(mbms_mtk_msg_build(&m, out, sizeof(out), &len), 0, id);
		check_expected_hex(exp, out, len, id);
		check_build_derived(member(exp, "derived"), msk, 16, m.msk_id, m.rand, m.ts_counter,
				    out, len, id);

		struct mbms_msg_info info;
		assert_rc(mbms_msg_verify(out, len, MBMS_MSG_F(MBMS_MSG_MTK), msk, 16, NULL, &info),
			  0, id);
		const cJSON *parse = member(exp, "parse");
		check_parse(parse, &info, id);
		check_parse_derived(member(parse, "derived"), &info, msk, 16, NULL, out, id);
		mbms_msg_info_wipe(&info);
		/* An MTK message is not accepted where only MUK messages are. */
		assert_rc(mbms_msg_verify(out, len, MBMS_MSG_F_MUK, msk, 16, NULL, &info),
			  MBMS_EKEYID, id);
		n++;
	}
	assert_int_equal(n, 2);
	cJSON_Delete(root);
}

static void test_verification_case(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, member(root, "cases"))
	{
		if (!th_kind_is(c, "verification"))
			continue;
		const char *id = th_str(c, "id");
		const cJSON *in = member(c, "input"), *exp = member(c, "expected");
		uint8_t muk[32], out[BUF];
		size_t for_len, len = 0;
		th_hex_into(th_str(in, "muk"), muk, 32);
		uint8_t *acked_msg = th_hex(th_str(in, "for_hex"), &for_len);

		/* The UE verifies the acknowledged message, then answers it. */
		struct mbms_msg_info ai, vi;
		struct mbms_acked acked;
		assert_rc(mbms_msg_verify(acked_msg, for_len, MBMS_MSG_F_MUK, muk, 32, NULL, &ai), 0,
			  id);
		assert_true(ai.v_flag);
		assert_rc(mbms_acked_from_info(&ai, &acked), 0, id);
		assert_rc(mbms_verification_build(muk, 32, &acked, out, sizeof(out), &len), 0, id);
		check_expected_hex(exp, out, len, id);

		/* The BM-SC verifies it against the message it sent. */
		assert_rc(mbms_msg_verify(out, len, MBMS_MSG_F(MBMS_MSG_VERIFICATION), muk, 32,
					  &acked, &vi),
			  0, id);
		const cJSON *parse = member(exp, "parse");
		check_parse(parse, &vi, id);
		check_parse_derived(member(parse, "derived"), &vi, muk, 32, &acked, out, id);
		cJSON *d = cJSON_Duplicate(member(exp, "derived"), 1);
		check_parse_derived(d, &vi, muk, 32, &acked, out, id);
		cJSON_Delete(d);

		/* "acknowledges": the fields of the acknowledged message */
		const cJSON *ack = member(parse, "acknowledges"), *it;
		cJSON_ArrayForEach(it, ack)
		{
			const char *k = it->string;
			if (strcmp(k, "message_type") && strcmp(k, "key_domain_id") &&
			    strcmp(k, "msk_id") && strcmp(k, "ts_counter") && strcmp(k, "rand") &&
			    strcmp(k, "idi") && strcmp(k, "idr"))
				fail_msg("%s: acknowledges.%s not checked", id, k);
		}
		check_parse(ack, &ai, id);
		mbms_msg_info_wipe(&ai);

		/* no acknowledged message: no_acked_message */
		assert_rc(mbms_msg_verify(out, len, MBMS_MSG_ANY, muk, 32, NULL, &vi), MBMS_ENOACKED,
			  id);
		test_free(acked_msg);
		n++;
	}
	assert_int_equal(n, 1);
	cJSON_Delete(root);
}

/* ---- the "bad" list ---- */

static void test_bad_parse_cases(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, member(root, "bad"))
	{
		if (!th_kind_is(c, "parse"))
			continue;
		const char *id = th_str(c, "id");
		size_t len, key_len;
		uint8_t *msg = th_hex(th_str(c, "hex"), &len);
		uint8_t *key = th_hex(th_str(c, "key"), &key_len);
		struct mbms_msg_info info;
		int rc = mbms_msg_verify(msg, len, MBMS_MSG_ANY, key, key_len, NULL, &info);
		assert_rc_name(rc, th_str(c, "expected_error"), id);
		test_free(msg);
		test_free(key);
		n++;
	}
	assert_int_equal(n, 6);
	cJSON_Delete(root);
}

/* Route a message the way the UE's two sockets would (unicast port for
 * MUK-protected messages, the session's MTK port for MTK messages). */
static int ue_rx(struct mbms_muk_state *muk, struct mbms_key_store *ks, const uint8_t *msg,
		 size_t len)
{
	struct mbms_msg_info info;
	int rc = mbms_msg_parse(msg, len, MBMS_MSG_ANY, &info);
	if (rc)
		return rc;
	if (info.kind == MBMS_MSG_MTK)
		rc = mbms_ue_rx_mtk_msg(ks, msg, len, &info);
	else
		rc = mbms_ue_rx_muk_msg(muk, ks, msg, len, &info);
	mbms_msg_info_wipe(&info);
	return rc;
}

static void test_ue_sequences(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, member(root, "bad"))
	{
		if (!th_kind_is(c, "ue-sequence"))
			continue;
		const char *id = th_str(c, "id");
		uint8_t muk[32];
		struct mbms_muk_state ms;
		struct mbms_key_store ks;
		th_hex_into(th_str(c, "muk"), muk, 32);
		assert_int_equal(mbms_muk_state_init(&ms, muk, (const uint8_t *)th_str(c, "idi"),
						     strlen(th_str(c, "idi")),
						     (const uint8_t *)th_str(c, "idr"),
						     strlen(th_str(c, "idr"))),
				 0);
		mbms_key_store_init(&ks);
		const cJSON *msgs = member(c, "messages"), *exps = member(c, "expected");
		assert_int_equal(cJSON_GetArraySize(msgs), cJSON_GetArraySize(exps));
		for (int i = 0; i < cJSON_GetArraySize(msgs); i++) {
			size_t len;
			uint8_t *msg = th_hex(cJSON_GetArrayItem(msgs, i)->valuestring, &len);
			const cJSON *e = cJSON_GetArrayItem(exps, i);
			int rc = ue_rx(&ms, &ks, msg, len);
			char what[96];
			snprintf(what, sizeof(what), "%s message %d", id, i);
			if (strcmp(th_str(e, "result"), "accepted") == 0)
				assert_rc(rc, 0, what);
			else
				assert_rc_name(rc, th_str(e, "error"), what);
			test_free(msg);
		}
		mbms_key_store_wipe(&ks);
		n++;
	}
	assert_int_equal(n, 2);
	cJSON_Delete(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msk_and_trigger_cases),
		cmocka_unit_test(test_mtk_cases),
		cmocka_unit_test(test_verification_case),
		cmocka_unit_test(test_bad_parse_cases),
		cmocka_unit_test(test_ue_sequences),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
