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
		th_msk_msg_in(in, &m, muk, msk);
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
		m.msk_id = th_be32_hex(th_str(in, "msk_id"));
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

/* ---- malformed messages built here ----
 * A message description starts as the valid MSK message (or MTK message,
 * or trigger) of the vectors' context, one mutator breaks one rule, and
 * the KEMAC is resealed (encrypted + MACed with the right key) so that the
 * message is otherwise authentic and the named rule, not the MAC, must
 * reject it. Post-edits (truncate, append, flip) are applied after sealing. */

static const char *const CTX_MUK =
	"fc45ad6b199381349ccef259d5a1adc977c120926d9a3878fceadfc02c038f94";
static const char *const CTX_MSK = "4b1bf39f7e9c2fe5397c6ae9aa0ef298";
static const char *const CTX_IDI = "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org";
static const char *const CTX_IDR =
	"gRE0fvgzT8TRMTt3OEPC4w==@bsf.mnc001.mcc001.pub.3gppnetwork.org";

struct patch {
	int pl;      /* index into order, or -1 for the HDR */
	size_t off;  /* byte offset inside that payload */
	uint8_t val;
};

struct desc {
	char kind;       /* 'M' MSK message, 'T' trigger, 'K' MTK message */
	char order[16];  /* payload letters: E T R i r K, S (SP), X (ERR), V */
	bool v;
	uint32_t csb_id;
	uint8_t ext_type;
	uint8_t key_id_type;
	uint8_t key_id[16];
	size_t key_id_len;
	int key_id_len_field; /* -1: consistent */
	uint8_t ts_type;
	uint64_t ts;
	uint8_t rand[32];
	size_t rand_len;
	const char *idi, *idr;
	uint8_t encr_alg, mac_alg;
	/* KEY plaintext */
	bool no_key;
	struct mbms_mikey_key key;
	uint8_t key_bytes[32], salt[32], spi[16], vf[4], vt[4];
	int nkeys;
	size_t junk; /* bytes after the KEY chain */
	const char *plain_hex; /* raw plaintext instead of the KEY */
	/* edits */
	struct patch patches[4];
	size_t npatches;
	bool no_seal;
	long truncate_to; /* -1: keep */
	size_t append;
	long flip; /* -1: none */
	/* the sender's key; the receiver's unless rx_other_key */
	uint8_t inkey[32];
	size_t inkey_len;
	bool rx_other_key;
};

static void desc_default(struct desc *d, char kind)
{
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	uint32_t msk_id = kind == 'T' ? 0x01020000 : 0x01020001;
	d->csb_id = msk_id;
	d->ext_type = MBMS_MIKEY_EXT_KEY_ID;
	d->key_id[0] = 0x00, d->key_id[1] = 0xf1, d->key_id[2] = 0x10;
	mbms_put_be32(d->key_id + 3, msk_id);
	d->key_id_len = 7;
	d->key_id_type = 1;
	d->key_id_len_field = -1;
	d->ts_type = MBMS_MIKEY_TS_COUNTER;
	d->ts = 5;
	for (int i = 0; i < 16; i++)
		d->rand[i] = (uint8_t)(0xa0 + i);
	d->rand_len = 16;
	d->idi = CTX_IDI;
	d->idr = CTX_IDR;
	d->encr_alg = MBMS_MIKEY_ENCR_AES_CM_128;
	d->mac_alg = MBMS_MIKEY_MAC_HMAC_SHA1_160;
	d->nkeys = 1;
	d->truncate_to = -1;
	d->flip = -1;
	for (int i = 0; i < 16; i++)
		d->key_bytes[i] = (uint8_t)(0x10 + i);
	d->key.key = d->key_bytes;
	d->key.key_len = 16;
	if (kind == 'K') {
		strcpy(d->order, "ETRK");
		d->key_id_type = 2;
		d->key_id[7] = 0x00, d->key_id[8] = 0x03; /* MTK ID 3 */
		d->key_id_len = 9;
		for (int i = 0; i < 14; i++)
			d->salt[i] = (uint8_t)(0x40 + i);
		mbms_put_be32(d->spi, msk_id);
		mbms_put_be16(d->spi + 4, 3);
		d->key.type = MBMS_MIKEY_KEY_TEK_SALT;
		d->key.kv = MBMS_MIKEY_KV_SPI;
		d->key.salt = d->salt;
		d->key.salt_len = 14;
		d->key.spi = d->spi;
		d->key.spi_len = 6;
		th_hex_into(CTX_MSK, d->inkey, 16);
		d->inkey_len = 16;
	} else {
		strcpy(d->order, "ETRirK");
		d->no_key = kind == 'T';
		mbms_put_be16(d->vf, 1);
		mbms_put_be16(d->vt, 255);
		d->key.type = MBMS_MIKEY_KEY_TGK;
		d->key.kv = MBMS_MIKEY_KV_INTERVAL;
		d->key.vf = d->vf;
		d->key.vf_len = 2;
		d->key.vt = d->vt;
		d->key.vt_len = 2;
		th_hex_into(CTX_MUK, d->inkey, 32);
		d->inkey_len = 32;
	}
}

static size_t desc_plain(const struct desc *d, uint8_t *plain, size_t cap)
{
	if (d->plain_hex) {
		size_t n = 0;
		assert_int_equal(mbms_hex_decode(d->plain_hex, strlen(d->plain_hex), plain, cap, &n), 0);
		return n;
	}
	if (d->no_key)
		return 0;
	struct mbms_mikey_writer kw;
	mbms_mikey_writer_init(&kw, plain, cap);
	for (int i = 0; i < d->nkeys; i++)
		assert_int_equal(mbms_mikey_put_key(&kw, &d->key), 0);
	assert_true(kw.len + d->junk <= cap);
	memset(plain + kw.len, 0xee, d->junk);
	return kw.len + d->junk;
}

static size_t desc_build(const struct desc *d, uint8_t *buf, size_t cap)
{
	struct mbms_mikey_writer w;
	size_t off[16], encr_off = 0, mac_off = 0, plen = 0;
	uint8_t plain[128], ext[32];
	const struct mbms_mikey_hdr h = {.version = 1, .data_type = 0, .v = d->v, .prf = 0,
					 .csb_id = d->csb_id, .ncs = 0, .map_type = 1};
	bool kemac = false;
	mbms_mikey_writer_init(&w, buf, cap);
	assert_int_equal(mbms_mikey_put_hdr(&w, &h), 0);
	for (size_t i = 0; d->order[i]; i++) {
		off[i] = w.len;
		switch (d->order[i]) {
		case 'E':
			ext[0] = d->key_id_type;
			mbms_put_be16(ext + 1, (uint16_t)(d->key_id_len_field >= 0
								  ? (size_t)d->key_id_len_field
								  : d->key_id_len));
			memcpy(ext + 3, d->key_id, d->key_id_len);
			mbms_mikey_put_ext(&w, d->ext_type, ext, 3 + d->key_id_len);
			break;
		case 'T':
			mbms_mikey_put_t(&w, d->ts_type, d->ts);
			break;
		case 'R':
			mbms_mikey_put_rand(&w, d->rand, d->rand_len);
			break;
		case 'i':
			mbms_mikey_put_id(&w, MBMS_MIKEY_ID_URI, (const uint8_t *)d->idi,
					  strlen(d->idi));
			break;
		case 'r':
			mbms_mikey_put_id(&w, MBMS_MIKEY_ID_URI, (const uint8_t *)d->idr,
					  strlen(d->idr));
			break;
		case 'K':
			plen = desc_plain(d, plain, sizeof(plain));
			mbms_mikey_put_kemac(&w, d->encr_alg, plain, plen, d->mac_alg, &encr_off,
					     &mac_off);
			kemac = true;
			break;
		case 'S': {
			const struct mbms_mikey_sp_param prm = {1, 1, (const uint8_t *)"\x01"};
			mbms_mikey_put_sp(&w, 0, 0, &prm, 1);
			break;
		}
		case 'X':
			mbms_mikey_put_err(&w, 5);
			break;
		case 'V':
			mbms_mikey_put_v(&w, MBMS_MIKEY_MAC_HMAC_SHA1_160, NULL);
			break;
		default:
			fail_msg("bad order letter %c", d->order[i]);
		}
	}
	assert_int_equal(w.err, 0);
	for (size_t i = 0; i < d->npatches; i++) {
		const struct patch *pt = &d->patches[i];
		buf[(pt->pl < 0 ? 0 : off[pt->pl]) + pt->off] = pt->val;
	}
	size_t len = w.len;
	if (kemac && !d->no_seal && d->mac_alg == MBMS_MIKEY_MAC_HMAC_SHA1_160) {
		uint32_t csb = mbms_get_be32(buf + 4);
		size_t elen = d->encr_alg == MBMS_MIKEY_ENCR_AES_CM_128 ? plen : 0;
		assert_int_equal(mbms_kemac_seal(buf, encr_off, elen, mac_off, d->inkey,
						 d->inkey_len, csb, d->rand, d->rand_len, d->ts),
				 0);
	}
	if (d->flip >= 0)
		buf[d->flip] ^= 0x01;
	if (d->truncate_to >= 0)
		len = (size_t)d->truncate_to;
	memset(buf + len, 0, d->append);
	return len + d->append;
}

typedef void (*mutator)(struct desc *);
#define MUT(name, body)                                                                            \
	static void name(struct desc *d)                                                           \
	{                                                                                          \
		body;                                                                              \
	}
#define PATCH(p, o, v) d->patches[d->npatches++] = (struct patch){p, o, v}

MUT(m_none, (void)d)
MUT(m_version2, PATCH(-1, 0, 2))
MUT(m_dt6, PATCH(-1, 1, 6))
MUT(m_dt2, PATCH(-1, 1, 2))
MUT(m_dt7, PATCH(-1, 1, 7))
MUT(m_prf1, PATCH(-1, 3, 0x01))
MUT(m_cs1, PATCH(-1, 8, 1))
MUT(m_map0, PATCH(-1, 9, 0))
MUT(m_map2, PATCH(-1, 9, 2))
MUT(m_vflag, d->v = true)
MUT(m_hdr_next_unknown, PATCH(-1, 2, 99))
MUT(m_hdr_next_pke, PATCH(-1, 2, 2))
MUT(m_hdr_next_key, PATCH(-1, 2, 20))
MUT(m_ext_type1, d->ext_type = 1)
MUT(m_ext_type0, d->ext_type = 0)
MUT(m_key_id_type0, d->key_id_type = 0)
MUT(m_key_id_type3, d->key_id_type = 3)
MUT(m_key_id_len8, d->key_id_len = 8)
MUT(m_key_id_len_lie_short, d->key_id_len_field = 6)
MUT(m_key_id_len_lie_long, d->key_id_len_field = 8)
MUT(m_ext_len_lie, PATCH(0, 3, 11))
MUT(m_ts_ntp, d->ts_type = MBMS_MIKEY_TS_NTP)
MUT(m_ts_ntp_utc, d->ts_type = MBMS_MIKEY_TS_NTP_UTC)
MUT(m_ts_type3, PATCH(1, 1, 3))
MUT(m_rand15, d->rand_len = 15)
MUT(m_rand0, d->rand_len = 0)
MUT(m_idi_type2, PATCH(3, 1, 2))
MUT(m_idr_nai, PATCH(4, 1, 0))
MUT(m_idi_len_lie_long, PATCH(3, 3, 0x2c))
MUT(m_idr_empty, d->idr = "")
MUT(m_encr0, d->encr_alg = MBMS_MIKEY_ENCR_NULL)
MUT(m_encr2, d->encr_alg = MBMS_MIKEY_ENCR_AES_KW_128)
MUT(m_encr3, PATCH(5, 1, 3))
MUT(m_mac0, d->mac_alg = MBMS_MIKEY_MAC_NULL)
MUT(m_mac2, PATCH(5, 30, 2))
MUT(m_kemac_len_huge, PATCH(5, 2, 0xff))
MUT(m_order_t_first, strcpy(d->order, "TERirK"))
MUT(m_missing_rand, strcpy(d->order, "ETirK"))
MUT(m_missing_idr, strcpy(d->order, "ETRiK"))
MUT(m_ends_after_rand, strcpy(d->order, "ETR"))
MUT(m_no_payloads, d->order[0] = 0)
MUT(m_extra_err, strcpy(d->order, "ETRirKX"))
MUT(m_sp_inserted, strcpy(d->order, "ETRSirK"))
MUT(m_v_payload, strcpy(d->order, "ETRirV"))
MUT(m_two_exts, strcpy(d->order, "EETRirK"))
MUT(m_ids_in_mtk, strcpy(d->order, "ETRirK"))
MUT(m_key_tek, d->key.type = MBMS_MIKEY_KEY_TEK)
MUT(m_key_tgk_salt, (d->key.type = MBMS_MIKEY_KEY_TGK_SALT, d->key.salt = d->salt,
		     d->key.salt_len = 14))
MUT(m_key_kv_spi, (d->key.kv = MBMS_MIKEY_KV_SPI, d->key.vf = d->key.vt = NULL,
		   d->key.vf_len = d->key.vt_len = 0, d->key.spi = d->spi, d->key.spi_len = 6))
MUT(m_key_as_mtk, (d->key.type = MBMS_MIKEY_KEY_TEK_SALT, d->key.salt = d->salt,
		   d->key.salt_len = 14, d->key.kv = MBMS_MIKEY_KV_SPI, d->key.vf = d->key.vt = NULL,
		   d->key.vf_len = d->key.vt_len = 0, d->key.spi = d->spi, d->key.spi_len = 6))
MUT(m_key_kv_null, (d->key.kv = MBMS_MIKEY_KV_NULL, d->key.vf = d->key.vt = NULL,
		    d->key.vf_len = d->key.vt_len = 0))
MUT(m_key_len15, d->key.key_len = 15)
MUT(m_vf_len1, d->key.vf_len = 1)
MUT(m_two_keys, d->nkeys = 2)
MUT(m_key_junk, d->junk = 1)
MUT(m_key_type5, d->plain_hex = "00520010101112131415161718191a1b1c1d1e1f0200010200ff")
MUT(m_key_kv3, d->plain_hex = "00030010101112131415161718191a1b1c1d1e1f0200010200ff")
MUT(m_key_next5, d->plain_hex = "05020010101112131415161718191a1b1c1d1e1f0200010200ff")
MUT(m_key_len_lie_long, d->plain_hex = "000200ff101112131415161718191a1b1c1d1e1f0200010200ff")
MUT(m_key_len_lie_short, d->plain_hex = "0002000f101112131415161718191a1b1c1d1e1f0200010200ff")
MUT(m_vt_len_lie, d->plain_hex = "00020010101112131415161718191a1b1c1d1e1f0200010300ff")
MUT(m_mtk_salt_missing, (d->key.type = MBMS_MIKEY_KEY_TEK, d->key.salt = NULL,
			 d->key.salt_len = 0))
MUT(m_mtk_salt13, d->key.salt_len = 13)
MUT(m_mtk_spi5, d->key.spi_len = 5)
MUT(m_mtk_spi_wrong, d->spi[5] = 4)
MUT(m_mtk_kv_interval, (d->key.kv = MBMS_MIKEY_KV_INTERVAL, d->key.spi = NULL,
			d->key.spi_len = 0, d->key.vf = d->vf, d->key.vf_len = 2,
			d->key.vt = d->vt, d->key.vt_len = 2))
MUT(m_mtk_no_key, d->no_key = true)
MUT(m_kn0, (mbms_put_be32(d->key_id + 3, 0x01020000), d->csb_id = 0x01020000,
	    mbms_put_be32(d->spi, 0x01020000)))
MUT(m_trigger_kn1, (mbms_put_be32(d->key_id + 3, 0x01020001), d->csb_id = 0x01020001))
MUT(m_csb_other, d->csb_id = 0x01020003)
MUT(m_trigger_csb_other, d->csb_id = 0x01020001)
MUT(m_mac_flip, d->flip = -2) /* replaced below: last byte */
MUT(m_no_seal, d->no_seal = true)
MUT(m_wrong_key, d->rx_other_key = true)
MUT(m_trailing, d->append = 1)
MUT(m_trunc_hdr, d->truncate_to = 5)
MUT(m_trunc_ext_boundary, d->truncate_to = 10)
MUT(m_trunc_in_key_id, d->truncate_to = 18)
MUT(m_trunc_t_value, d->truncate_to = 26)
MUT(m_trunc_before_kemac, d->truncate_to = 183)
MUT(m_trunc_in_mac, d->truncate_to = 211)

struct malformed {
	const char *name; /* rule broken, PROFILE.md clause */
	char kind;
	mutator mut;
	int expected;
	unsigned kinds; /* what the receiver accepts; 0: MBMS_MSG_ANY */
};

static const struct malformed malformed_table[] = {
	/* baselines: the harness builds valid messages */
	{"valid MSK message (must pass)", 'M', m_none, 0, 0},
	{"valid trigger (must pass)", 'T', m_none, 0, 0},
	{"valid MTK message (must pass)", 'K', m_none, 0, 0},
	{"valid MSK message with V set (5.2: V may be 1)", 'M', m_vflag, 0, 0},
	{"valid trigger with V set (10.3: V may be 0 or 1)", 'T', m_vflag, 0, 0},
	/* HDR, 4 + 10.2 + 10.6 */
	{"HDR version 2 (RFC 3830 6.1)", 'M', m_version2, MBMS_EVERSION, 0},
	{"HDR data type 6 = error message (10.6)", 'M', m_dt6, MBMS_EDATATYPE, 0},
	{"HDR data type 2 = public-key init (10.6)", 'M', m_dt2, MBMS_EDATATYPE, 0},
	{"HDR data type 7, undefined in RFC 3830", 'M', m_dt7, MBMS_EDATATYPE, 0},
	{"HDR PRF 1 (4: PRF 0 only)", 'M', m_prf1, MBMS_EPRF, 0},
	{"HDR #CS 1 with the empty map (RFC 4563)", 'M', m_cs1, MBMS_ECSMAP, 0},
	{"HDR CS ID map type 0 = SRTP-ID (5.2)", 'M', m_map0, MBMS_ECSMAP, 0},
	{"HDR CS ID map type 2, not defined here", 'M', m_map2, MBMS_ECSMAP, 0},
	{"HDR V flag on an MTK message (5.5)", 'K', m_vflag, MBMS_EVFLAG, 0},
	{"HDR next payload 99 (4: unknown types are errors)", 'M', m_hdr_next_unknown,
	 MBMS_EUNKNOWNPAYLOAD, 0},
	{"HDR next payload 2 = PKE, not in the profile", 'M', m_hdr_next_pke,
	 MBMS_EUNKNOWNPAYLOAD, 0},
	{"HDR next payload 20 = KEY outside KEMAC", 'M', m_hdr_next_key, MBMS_EUNEXPECTED, 0},
	/* EXT / Key ID, 5.1 */
	{"EXT type 1 (5.1: type 2 only)", 'M', m_ext_type1, MBMS_EEXT, 0},
	{"EXT type 0 = SDP IDs (10.6)", 'K', m_ext_type0, MBMS_EEXT, 0},
	{"key ID type 0 = MUK (5.1: reserved here)", 'M', m_key_id_type0, MBMS_EKEYID, 0},
	{"key ID type 3 (5.1)", 'M', m_key_id_type3, MBMS_EKEYID, 0},
	{"MSK key ID of 8 bytes (5.1: 7)", 'M', m_key_id_len8, MBMS_EKEYID, 0},
	{"key ID length field 6 with 7 bytes (as bad_length_field)", 'M', m_key_id_len_lie_short,
	 MBMS_ELENGTH, 0},
	{"key ID length field 8 with 7 bytes", 'K', m_key_id_len_lie_long, MBMS_ELENGTH, 0},
	{"EXT length 11 eats T's next byte: T then NTP-UTC, next = 2 (PKE)", 'M', m_ext_len_lie,
	 MBMS_EUNKNOWNPAYLOAD, 0},
	{"MTK message received where only MUK messages are", 'K', m_none, MBMS_EKEYID,
	 MBMS_MSG_F_MUK},
	{"MSK message received where only MTK messages are", 'M', m_none, MBMS_EKEYID,
	 MBMS_MSG_F(MBMS_MSG_MTK)},
	{"MSK message where only triggers are (10.20, previous MUK)", 'M', m_none,
	 MBMS_EUNEXPECTED, MBMS_MSG_F(MBMS_MSG_TRIGGER)},
	{"MSK message at the BM-SC's verification receiver", 'M', m_none, MBMS_EDATATYPE,
	 MBMS_MSG_F(MBMS_MSG_VERIFICATION)},
	/* T, RAND, ID */
	{"T of type NTP (10.6)", 'M', m_ts_ntp, MBMS_ETSTYPE, 0},
	{"T of type NTP-UTC in an MTK message (10.6)", 'K', m_ts_ntp_utc, MBMS_ETSTYPE, 0},
	{"T of type 3, undefined in RFC 3830", 'M', m_ts_type3, MBMS_ETSTYPE, 0},
	{"RAND of 15 bytes (4: 16)", 'M', m_rand15, MBMS_ELENGTH, 0},
	{"RAND of 0 bytes", 'K', m_rand0, MBMS_ELENGTH, 0},
	{"IDi of ID type 2, undefined in RFC 3830", 'M', m_idi_type2, MBMS_EIDTYPE, 0},
	{"IDr of ID type 0 = NAI (10.7: URI only)", 'M', m_idr_nai, MBMS_EIDTYPE, 0},
	{"IDi length 44 for 43 bytes: IDr misread, its length runs off the end", 'M',
	 m_idi_len_lie_long, MBMS_ETRUNCATED, 0},
	{"IDr empty (10.7: the B-TID)", 'M', m_idr_empty, MBMS_ELENGTH, 0},
	/* KEMAC algorithms, 10.3, 10.4, 10.6 */
	{"KEMAC encr alg 0 = NULL (10.6)", 'M', m_encr0, MBMS_EALG, 0},
	{"KEMAC encr alg 2 = AES-KW", 'K', m_encr2, MBMS_EALG, 0},
	{"KEMAC encr alg 3, undefined", 'M', m_encr3, MBMS_EALG, 0},
	{"KEMAC MAC alg 0 = NULL (10.6)", 'M', m_mac0, MBMS_EALG, 0},
	{"KEMAC MAC alg 2, undefined", 'M', m_mac2, MBMS_EALG, 0},
	{"KEMAC encr data length 0xff1a, past the end", 'M', m_kemac_len_huge, MBMS_ETRUNCATED,
	 0},
	{"trigger with encr alg 0 (10.3: AES-CM-128)", 'T', m_encr0, MBMS_EALG, 0},
	/* payload order, 10.5 */
	{"T before EXT (10.5)", 'M', m_order_t_first, MBMS_EUNEXPECTED, 0},
	{"RAND missing: ID where RAND belongs (10.5)", 'M', m_missing_rand, MBMS_EUNEXPECTED, 0},
	{"IDr missing: KEMAC where IDr belongs", 'M', m_missing_idr, MBMS_EUNEXPECTED, 0},
	{"message ends after RAND (5.2)", 'M', m_ends_after_rand, MBMS_EMISSING, 0},
	{"HDR only", 'K', m_no_payloads, MBMS_EMISSING, 0},
	{"ERR payload after KEMAC (10.6)", 'M', m_extra_err, MBMS_EUNEXPECTED, 0},
	{"SP payload after RAND (10.6)", 'M', m_sp_inserted, MBMS_EUNEXPECTED, 0},
	{"V payload instead of KEMAC", 'M', m_v_payload, MBMS_EUNEXPECTED, 0},
	{"two EXT payloads", 'M', m_two_exts, MBMS_EUNEXPECTED, 0},
	{"IDi/IDr in an MTK message (5.5)", 'K', m_ids_in_mtk, MBMS_EUNEXPECTED, 0},
	/* MAC, then CSB / Key Number, 10.3, 10.4 */
	{"MAC not recomputed after the edit", 'M', m_no_seal, MBMS_EMAC, 0},
	{"MAC under another MUK", 'M', m_wrong_key, MBMS_EMAC, 0},
	{"MTK message MAC under another MSK", 'K', m_wrong_key, MBMS_EMAC, 0},
	{"trigger MAC under another MUK", 'T', m_wrong_key, MBMS_EMAC, 0},
	{"CSB ID differs from the MSK ID (5.2)", 'M', m_csb_other, MBMS_ECSB, 0},
	{"MTK message CSB ID differs from the MSK ID (5.5)", 'K', m_csb_other, MBMS_ECSB, 0},
	{"trigger CSB ID differs from its MSK ID", 'T', m_trigger_csb_other, MBMS_ECSB, 0},
	{"trigger with Key Number 1 (5.3)", 'T', m_trigger_kn1, MBMS_ETRIGGER, 0},
	{"MSK message with Key Number 0 (PROFILE 3)", 'M', m_kn0, MBMS_EKEYNUM0, 0},
	{"MTK message with Key Number 0 (10.4)", 'K', m_kn0, MBMS_EKEYNUM0, 0},
	/* KEY sub-payload, 5.2, 5.5 */
	{"KEY type TEK in an MSK message (5.2: TGK)", 'M', m_key_tek, MBMS_EKEYDATA, 0},
	{"KEY type TGK+SALT in an MSK message", 'M', m_key_tgk_salt, MBMS_EKEYDATA, 0},
	{"KV SPI in an MSK message (5.2: interval)", 'M', m_key_kv_spi, MBMS_EKEYDATA, 0},
	{"KV null in an MSK message", 'M', m_key_kv_null, MBMS_EKEYDATA, 0},
	{"MSK of 15 bytes", 'M', m_key_len15, MBMS_ELENGTH, 0},
	{"VF of 1 byte (5.2: 2)", 'M', m_vf_len1, MBMS_ELENGTH, 0},
	{"two KEY sub-payloads (5.2: one)", 'M', m_two_keys, MBMS_EKEYDATA, 0},
	{"a byte after the KEY (next 0) inside encr data", 'M', m_key_junk, MBMS_ETRAILING, 0},
	{"KEY type 5, undefined in RFC 3830", 'M', m_key_type5, MBMS_EKEYDATA, 0},
	{"KEY KV type 3, undefined", 'M', m_key_kv3, MBMS_EKEYDATA, 0},
	{"KEY next payload 5 (only KEY or last)", 'M', m_key_next5, MBMS_EKEYDATA, 0},
	{"KEY key length 255 runs past encr data", 'M', m_key_len_lie_long, MBMS_ELENGTH, 0},
	{"KEY key length 15: VF length read from the key", 'M', m_key_len_lie_short,
	 MBMS_ELENGTH, 0},
	{"KEY VT length 3 with 2 bytes left", 'M', m_vt_len_lie, MBMS_ELENGTH, 0},
	{"MTK KEY of type TEK: salt missing (5.5)", 'K', m_mtk_salt_missing, MBMS_EKEYDATA, 0},
	{"MTK salt of 13 bytes (5.5: 14)", 'K', m_mtk_salt13, MBMS_ELENGTH, 0},
	{"MTK SPI of 5 bytes (5.5: 6)", 'K', m_mtk_spi5, MBMS_ELENGTH, 0},
	{"MTK SPI != MSK ID || MTK ID (5.5)", 'K', m_mtk_spi_wrong, MBMS_ESPI, 0},
	{"MTK KEY with KV interval (5.5: SPI)", 'K', m_mtk_kv_interval, MBMS_EKEYDATA, 0},
	{"MTK message without key data", 'K', m_mtk_no_key, MBMS_ELENGTH, 0},
	{"MSK message carrying an MTK-style TEK+SALT/SPI KEY", 'M', m_key_as_mtk, MBMS_EKEYDATA,
	 0},
	/* framing */
	{"one byte appended (as bad_trailing_byte)", 'M', m_trailing, MBMS_ETRAILING, 0},
	{"one byte appended to an MTK message", 'K', m_trailing, MBMS_ETRAILING, 0},
	{"cut inside HDR", 'M', m_trunc_hdr, MBMS_ETRUNCATED, 0},
	{"cut at the HDR/EXT boundary", 'M', m_trunc_ext_boundary, MBMS_ETRUNCATED, 0},
	{"cut inside the key ID", 'M', m_trunc_in_key_id, MBMS_ETRUNCATED, 0},
	{"cut inside the T value", 'M', m_trunc_t_value, MBMS_ETRUNCATED, 0},
	{"cut at the IDr/KEMAC boundary", 'M', m_trunc_before_kemac, MBMS_ETRUNCATED, 0},
	{"cut inside the MAC (as bad_truncated)", 'M', m_trunc_in_mac, MBMS_ETRUNCATED, 0},
	{"one MAC bit flipped (as bad_mac)", 'M', m_mac_flip, MBMS_EMAC, 0},
	{"one MAC bit flipped in an MTK message", 'K', m_mac_flip, MBMS_EMAC, 0},
};

static void test_malformed_table(void **state)
{
	(void)state;
	size_t nfail = 0;
	for (size_t i = 0; i < sizeof(malformed_table) / sizeof(malformed_table[0]); i++) {
		const struct malformed *t = &malformed_table[i];
		struct desc d;
		uint8_t buf[BUF];
		desc_default(&d, t->kind);
		t->mut(&d);
		if (d.flip == -2) { /* "last MAC byte": the message length is known now */
			d.flip = -1;
			size_t n = desc_build(&d, buf, sizeof(buf));
			d.flip = (long)n - 1;
		}
		size_t len = desc_build(&d, buf, sizeof(buf));
		struct mbms_msg_info info;
		if (d.rx_other_key)
			d.inkey[0] ^= 0x80;
		int rc = mbms_msg_verify(buf, len, t->kinds ? t->kinds : MBMS_MSG_ANY, d.inkey,
					 d.inkey_len, NULL, &info);
		assert_rc(rc, t->expected, t->name);
		if (rc == 0)
			assert_true(info.verified);
		else
			nfail++;
		mbms_msg_info_wipe(&info);
	}
	assert_true(nfail >= 30);
}

/* The harness's valid MSK message is the builder's, byte for byte; and the
 * section 10.3 trigger built by the library verifies under the table's MUK. */
static void test_harness_matches_builder(void **state)
{
	(void)state;
	struct desc d;
	uint8_t a[BUF], b[BUF], muk[32];
	desc_default(&d, 'M');
	size_t alen = desc_build(&d, a, sizeof(a)), blen = 0;
	struct mbms_msk_msg_in in = {0};
	th_hex_into(CTX_MUK, muk, 32);
	in.muk = muk;
	in.muk_len = 32;
	memcpy(in.key_domain_id, d.key_id, 3);
	in.msk_id = 0x01020001;
	in.ts_counter = 5;
	memcpy(in.rand, d.rand, 16);
	in.idi = (const uint8_t *)CTX_IDI;
	in.idi_len = strlen(CTX_IDI);
	in.idr = (const uint8_t *)CTX_IDR;
	in.idr_len = strlen(CTX_IDR);
	in.msk = d.key_bytes;
	in.vf = 1;
	in.vt = 255;
	assert_int_equal(mbms_msk_msg_build(&in, b, sizeof(b), &blen), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
}

/* Every proper prefix of every message kind is truncated (RFC 3830: the
 * input ends inside a field or before a payload a next byte announced). */
static void test_every_prefix_truncated(void **state)
{
	(void)state;
	const char kinds[] = {'M', 'T', 'K'};
	for (size_t k = 0; k < sizeof(kinds); k++) {
		struct desc d;
		uint8_t buf[BUF];
		desc_default(&d, kinds[k]);
		size_t len = desc_build(&d, buf, sizeof(buf));
		for (size_t n = 0; n < len; n++) {
			struct mbms_msg_info info;
			char what[64];
			snprintf(what, sizeof(what), "kind %c cut to %zu of %zu", kinds[k], n, len);
			assert_rc(mbms_msg_verify(buf, n, MBMS_MSG_ANY, d.inkey, d.inkey_len, NULL,
						  &info),
				  MBMS_ETRUNCATED, what);
		}
	}
}

/* ---- verification messages (5.4, 10.1, 10.2) ---- */

struct vdesc {
	uint8_t data_type, map_type;
	bool v;
	uint32_t csb_id;
	char order[8];  /* T, V, R (RAND), K (KEMAC) */
	uint8_t ts_type;
	uint32_t ts;
	uint8_t auth_alg;
	uint32_t mac_ts; /* the T value the MAC is computed over */
	bool flip_mac;
	size_t append;
};

/* A verification message for acked, MACed as 10.1 says (with mac_ts as the
 * acknowledged T, so that a lying sender can be modelled). */
static size_t vdesc_build(const struct vdesc *d, const struct mbms_acked *acked,
			  const uint8_t *muk, uint8_t *buf, size_t cap)
{
	struct mbms_mikey_writer w;
	struct mbms_mikey_hdr h = {.version = 1, .data_type = d->data_type, .v = d->v,
				   .csb_id = d->csb_id, .map_type = d->map_type};
	size_t mac_off = 0;
	mbms_mikey_writer_init(&w, buf, cap);
	assert_int_equal(mbms_mikey_put_hdr(&w, &h), 0);
	for (const char *o = d->order; *o; o++) {
		if (*o == 'T')
			mbms_mikey_put_t(&w, d->ts_type, d->ts);
		else if (*o == 'V')
			mbms_mikey_put_v(&w, d->auth_alg, &mac_off);
		else if (*o == 'R')
			mbms_mikey_put_rand(&w, acked->rand, 16);
		else if (*o == 'K')
			mbms_mikey_put_kemac(&w, 1, NULL, 0, 1, NULL, &mac_off);
	}
	assert_int_equal(w.err, 0);
	if (mac_off && d->auth_alg == MBMS_MIKEY_MAC_HMAC_SHA1_160) {
		uint8_t auth[20], ts[4];
		mbms_put_be32(ts, d->mac_ts);
		const struct mbms_buf parts[] = {
			{buf, mac_off}, {acked->idi, acked->idi_len}, {acked->idr, acked->idr_len},
			{ts, 4}};
		assert_int_equal(mbms_mikey_msg_key(muk, 32, MBMS_MIKEY_CONST_AUTH, acked->csb_id,
						    acked->rand, 16, auth, 20),
				 0);
		assert_int_equal(mbms_hmac_sha1_v(auth, 20, parts, 4, buf + mac_off), 0);
		if (d->flip_mac)
			buf[mac_off + 19] ^= 1;
	}
	memset(buf + w.len, 0, d->append);
	return w.len + d->append;
}

typedef void (*vmutator)(struct vdesc *);
#define VMUT(name, body)                                                                           \
	static void name(struct vdesc *d)                                                          \
	{                                                                                          \
		body;                                                                              \
	}
VMUT(v_none, (void)d)
VMUT(v_vflag, d->v = true)
VMUT(v_alg0, d->auth_alg = MBMS_MIKEY_MAC_NULL)
VMUT(v_ntp, d->ts_type = MBMS_MIKEY_TS_NTP)
VMUT(v_no_t, strcpy(d->order, "V"))
VMUT(v_no_v, strcpy(d->order, "T"))
VMUT(v_v_first, strcpy(d->order, "VT"))
VMUT(v_extra_rand, strcpy(d->order, "TVR"))
VMUT(v_kemac, strcpy(d->order, "TK"))
VMUT(v_csb, d->csb_id ^= 1)
VMUT(v_ts_acked_mac, d->ts += 1) /* MAC trailer = the acknowledged T: authentic */
VMUT(v_ts_own_mac, (d->ts += 1, d->mac_ts += 1)) /* trailer = its own T */
VMUT(v_flip, d->flip_mac = true)
VMUT(v_map0, d->map_type = 0)
VMUT(v_dt6, d->data_type = 6)
VMUT(v_trailing, d->append = 1)

static const struct {
	const char *name;
	vmutator mut;
	int expected;
	unsigned kinds;
	bool no_acked;
} verification_table[] = {
	{"valid verification message (must pass)", v_none, 0, 0, false},
	{"V flag set (5.4: V 0)", v_vflag, MBMS_EVFLAG, 0, false},
	{"V auth alg NULL (10.6)", v_alg0, MBMS_EALG, 0, false},
	{"T of type NTP (10.6)", v_ntp, MBMS_ETSTYPE, 0, false},
	{"T missing: V first (5.4)", v_no_t, MBMS_EUNEXPECTED, 0, false},
	{"V missing (5.4)", v_no_v, MBMS_EMISSING, 0, false},
	{"V before T (10.5)", v_v_first, MBMS_EUNEXPECTED, 0, false},
	{"RAND after V", v_extra_rand, MBMS_EUNEXPECTED, 0, false},
	{"KEMAC instead of V", v_kemac, MBMS_EUNEXPECTED, 0, false},
	{"CSB ID differs from the acknowledged message", v_csb, MBMS_ECSB, 0, false},
	{"T differs from the acknowledged one, MAC over the acknowledged T (10.1)",
	 v_ts_acked_mac, MBMS_ETSMISMATCH, 0, false},
	{"T differs, MAC trailer carries that T, not the acknowledged one (10.1)", v_ts_own_mac,
	 MBMS_EMAC, 0, false},
	{"MAC bit flipped", v_flip, MBMS_EMAC, 0, false},
	{"CS ID map type 0 (10.2)", v_map0, MBMS_ECSMAP, 0, false},
	{"data type 6", v_dt6, MBMS_EDATATYPE, 0, false},
	{"one byte appended", v_trailing, MBMS_ETRAILING, 0, false},
	{"no acknowledged message given", v_none, MBMS_ENOACKED, 0, true},
	{"verification message at the UE (MUK messages only)", v_none, MBMS_EDATATYPE,
	 MBMS_MSG_F_MUK, false},
};

static void test_verification_table(void **state)
{
	(void)state;
	struct desc d;
	uint8_t msg[BUF], muk[32];
	desc_default(&d, 'M');
	d.v = true;
	size_t len = desc_build(&d, msg, sizeof(msg));
	memcpy(muk, d.inkey, 32);
	struct mbms_msg_info ai;
	struct mbms_acked acked;
	assert_int_equal(mbms_msg_verify(msg, len, MBMS_MSG_F_MUK, muk, 32, NULL, &ai), 0);
	assert_int_equal(mbms_acked_from_info(&ai, &acked), 0);

	/* the library's own verification message equals the table's baseline */
	uint8_t lib[BUF], tab[BUF];
	size_t lib_len = 0;
	struct vdesc base = {.data_type = 1, .map_type = 1, .csb_id = acked.csb_id,
			     .order = "TV", .ts_type = 2, .ts = acked.ts_counter,
			     .auth_alg = 1, .mac_ts = acked.ts_counter};
	assert_int_equal(mbms_verification_build(muk, 32, &acked, lib, sizeof(lib), &lib_len), 0);
	assert_int_equal(vdesc_build(&base, &acked, muk, tab, sizeof(tab)), lib_len);
	assert_memory_equal(lib, tab, lib_len);

	size_t nfail = 0;
	for (size_t i = 0; i < sizeof(verification_table) / sizeof(verification_table[0]); i++) {
		struct vdesc v = base;
		verification_table[i].mut(&v);
		size_t n = vdesc_build(&v, &acked, muk, tab, sizeof(tab));
		struct mbms_msg_info vi;
		unsigned kinds = verification_table[i].kinds ? verification_table[i].kinds
							     : MBMS_MSG_ANY;
		int rc = mbms_msg_verify(tab, n, kinds, muk, 32,
					 verification_table[i].no_acked ? NULL : &acked, &vi);
		assert_rc(rc, verification_table[i].expected, verification_table[i].name);
		nfail += rc != 0;
	}
	assert_true(nfail > 0);
}

/* ---- UE rules: counters, MUK ID, MSK table, MTK order (3, 5.5, 10.7-10.12) ---- */

struct ue_fixture {
	uint8_t muk[32], msk[4][16];
	struct mbms_muk_state ms;
	struct mbms_key_store ks;
};

static size_t make_msk_msg(const struct ue_fixture *f, uint32_t msk_id, int msk_no, uint32_t ts,
			   const char *idi, const char *idr, uint16_t vf, uint16_t vt,
			   uint8_t *out)
{
	struct mbms_msk_msg_in in = {0};
	size_t len = 0;
	in.muk = f->muk;
	in.muk_len = 32;
	in.key_domain_id[0] = 0x00, in.key_domain_id[1] = 0xf1, in.key_domain_id[2] = 0x10;
	in.msk_id = msk_id;
	in.ts_counter = ts;
	memset(in.rand, (int)ts, 16);
	in.idi = (const uint8_t *)idi;
	in.idi_len = strlen(idi);
	in.idr = (const uint8_t *)idr;
	in.idr_len = strlen(idr);
	in.msk = f->msk[msk_no];
	in.vf = vf;
	in.vt = vt;
	if (mbms_msk_id_key_number(msk_id) == 0)
		assert_int_equal(mbms_trigger_build(&in, out, BUF, &len), 0);
	else
		assert_int_equal(mbms_msk_msg_build(&in, out, BUF, &len), 0);
	return len;
}

static size_t make_mtk_msg(const struct ue_fixture *f, uint32_t msk_id, int msk_no,
			   uint16_t mtk_id, uint32_t ts, uint8_t *out)
{
	struct mbms_mtk_msg_in in = {0};
	uint8_t mtk[16], salt[14];
	size_t len = 0;
	memset(mtk, 0x77, 16);
	memset(salt, 0x55, 14);
	in.msk = f->msk[msk_no];
	in.msk_len = 16;
	in.key_domain_id[0] = 0x00, in.key_domain_id[1] = 0xf1, in.key_domain_id[2] = 0x10;
	in.msk_id = msk_id;
	in.mtk_id = mtk_id;
	in.mtk = mtk;
	in.mtk_salt = salt;
	in.ts_counter = ts;
	memset(in.rand, (int)(ts + 1), 16);
	assert_int_equal(mbms_mtk_msg_build(&in, out, BUF, &len), 0);
	return len;
}

static void ue_fixture_init(struct ue_fixture *f)
{
	th_hex_into(CTX_MUK, f->muk, 32);
	for (int i = 0; i < 4; i++)
		memset(f->msk[i], 0x31 + i, 16);
	assert_int_equal(mbms_muk_state_init(&f->ms, f->muk, (const uint8_t *)CTX_IDI,
					     strlen(CTX_IDI), (const uint8_t *)CTX_IDR,
					     strlen(CTX_IDR)),
			 0);
	mbms_key_store_init(&f->ks);
}

/* One step of a UE scenario: an MSK/trigger (msk_id, ts) or an MTK message
 * (mtk = true) and the reason expected. */
struct ue_step {
	const char *name;
	bool mtk;
	uint32_t msk_id;
	int msk_no;
	uint32_t ts;
	uint16_t mtk_id;
	const char *idi, *idr; /* NULL: the MUK ID */
	uint16_t vf, vt;
	int expected;
};

static void run_steps(const struct ue_step *s, size_t n)
{
	struct ue_fixture f;
	ue_fixture_init(&f);
	size_t nfail = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t msg[BUF];
		size_t len;
		struct mbms_msg_info info;
		int rc;
		if (s[i].mtk) {
			len = make_mtk_msg(&f, s[i].msk_id, s[i].msk_no, s[i].mtk_id, s[i].ts, msg);
			rc = mbms_ue_rx_mtk_msg(&f.ks, msg, len, &info);
		} else {
			len = make_msk_msg(&f, s[i].msk_id, s[i].msk_no, s[i].ts,
					   s[i].idi ? s[i].idi : CTX_IDI,
					   s[i].idr ? s[i].idr : CTX_IDR, s[i].vf, s[i].vt, msg);
			rc = mbms_ue_rx_muk_msg(&f.ms, &f.ks, msg, len, &info);
		}
		assert_rc(rc, s[i].expected, s[i].name);
		if (rc == 0 && s[i].mtk) {
			assert_int_equal(info.mtk_id, s[i].mtk_id);
			assert_int_equal(info.salt_len, 14);
		}
		nfail += rc != 0;
		mbms_msg_info_wipe(&info);
	}
	assert_true(nfail > 0);
	mbms_key_store_wipe(&f.ks);
}

static void test_ue_muk_rules(void **state)
{
	(void)state;
	static const struct ue_step steps[] = {
		{"first counter of a MUK: any value (10.10)", false, 0x01020001, 0, 1000, 0, NULL,
		 NULL, 1, 100, 0},
		{"same counter again: replay (5.2)", false, 0x01020001, 0, 1000, 0, NULL, NULL, 1,
		 100, MBMS_EREPLAY},
		{"lower counter: replay", false, 0x01020002, 1, 999, 0, NULL, NULL, 1, 100,
		 MBMS_EREPLAY},
		{"higher counter: accepted", false, 0x01020002, 1, 1001, 0, NULL, NULL, 1, 100, 0},
		{"trigger consumes the counter (10.3)", false, 0x01020000, 0, 1002, 0, NULL, NULL,
		 0, 0, 0},
		{"MSK message with the trigger's counter: replay", false, 0x01020003, 2, 1002, 0,
		 NULL, NULL, 1, 100, MBMS_EREPLAY},
		{"IDi of another BM-SC (10.7)", false, 0x01020003, 2, 1003, 0, "other.example.org",
		 NULL, 1, 100, MBMS_EMUKID},
		{"IDr of another B-TID (10.7)", false, 0x01020003, 2, 1004, 0, NULL,
		 "AAAAAAAAAAAAAAAAAAAAAA==@bsf.example.org", 1, 100, MBMS_EMUKID},
		{"a rejected message does not move the counter", false, 0x01020003, 2, 1003, 0,
		 NULL, NULL, 1, 100, 0},
		{"counter 0xffffffff", false, 0x01020004, 3, 0xffffffffu, 0, NULL, NULL, 1, 100, 0},
		{"nothing is greater than 0xffffffff", false, 0x01020004, 3, 0xffffffffu, 0, NULL,
		 NULL, 1, 100, MBMS_EREPLAY},
	};
	run_steps(steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_ue_mtk_rules(void **state)
{
	(void)state;
	static const struct ue_step steps[] = {
		{"MTK message before its MSK: unknown_msk (6.3)", true, 0x01020001, 0, 1, 5, NULL,
		 NULL, 0, 0, MBMS_EUNKNOWNMSK},
		{"install MSK 1, range [65280, 255] across the wrap", false, 0x01020001, 0, 1, 0,
		 NULL, NULL, 65280, 255, 0},
		{"first MTK: any counter, any in-range ID (10.10)", true, 0x01020001, 0, 50, 65535,
		 NULL, NULL, 0, 0, 0},
		{"same MTK ID, fresh counter: not newer (10.11)", true, 0x01020001, 0, 51, 65535,
		 NULL, NULL, 0, 0, MBMS_EMTKOLD},
		{"next ID across the wrap: 0 (10.8)", true, 0x01020001, 0, 52, 0, NULL, NULL, 0, 0,
		 0},
		{"counter not greater: replay before the ID checks", true, 0x01020001, 0, 52, 1,
		 NULL, NULL, 0, 0, MBMS_EREPLAY},
		{"ID 255 = VT: accepted", true, 0x01020001, 0, 53, 255, NULL, NULL, 0, 0, 0},
		{"ID 256 newer but past VT (10.8)", true, 0x01020001, 0, 54, 256, NULL, NULL, 0, 0,
		 MBMS_EMTKRANGE},
		{"ID 255 + 2^15: exactly 2^15 apart, not newer (10.9)", true, 0x01020001, 0, 55,
		 (uint16_t)(255 + 0x8000), NULL, NULL, 0, 0, MBMS_EMTKOLD},
		{"ID 254: older", true, 0x01020001, 0, 56, 254, NULL, NULL, 0, 0, MBMS_EMTKOLD},
		{"MSK 2 of the same group", false, 0x01020002, 1, 2, 0, NULL, NULL, 1, 10, 0},
		{"MTK under MSK 2: its own counter (any first)", true, 0x01020002, 1, 1, 1, NULL,
		 NULL, 0, 0, 0},
		{"MSK 1 still held", true, 0x01020001, 0, 57, 200, NULL, NULL, 0, 0, MBMS_EMTKOLD},
		{"MSK 3 of the group drops MSK 1, the earliest (10.12)", false, 0x01020003, 2, 3, 0,
		 NULL, NULL, 1, 10, 0},
		{"MSK 1 gone: unknown_msk", true, 0x01020001, 0, 58, 1, NULL, NULL, 0, 0,
		 MBMS_EUNKNOWNMSK},
		{"MSK 2 kept", true, 0x01020002, 1, 2, 2, NULL, NULL, 0, 0, 0},
		{"MSK 2 again (retransmission): updated in place", false, 0x01020002, 1, 4, 0, NULL,
		 NULL, 1, 10, 0},
		{"... keeping its MTK state", true, 0x01020002, 1, 2, 3, NULL, NULL, 0, 0,
		 MBMS_EREPLAY},
		{"MSK 4 drops MSK 2: installed earliest, the retransmission did not renew it "
		 "(10.12)",
		 false, 0x01020004, 3, 5, 0, NULL, NULL, 1, 10, 0},
		{"MSK 2 gone", true, 0x01020002, 1, 3, 4, NULL, NULL, 0, 0, MBMS_EUNKNOWNMSK},
		{"MSK 3 kept: first MTK under it", true, 0x01020003, 2, 1, 1, NULL, NULL, 0, 0, 0},
		{"MSK of another Key Group is independent", false, 0x01030001, 0, 6, 0, NULL, NULL,
		 1, 10, 0},
		{"MSK 4 held", true, 0x01020004, 3, 1, 1, NULL, NULL, 0, 0, 0},
	};
	run_steps(steps, sizeof(steps) / sizeof(steps[0]));
}

static void test_key_store(void **state)
{
	(void)state;
	struct mbms_key_store ks;
	struct mbms_msk_entry ev;
	const uint8_t kd[3] = {0x00, 0xf1, 0x10}, kd2[3] = {0x13, 0x00, 0x14};
	uint8_t msk[16];
	memset(msk, 0x42, 16);
	mbms_key_store_init(&ks);
	assert_int_equal(mbms_key_store_install(&ks, kd, 0x00010000, msk, 1, 2, &ev),
			 MBMS_EKEYNUM0);
	/* fill the table with one MSK per Key Group */
	for (uint16_t g = 0; g < MBMS_KEY_STORE_MAX_MSKS; g++) {
		assert_int_equal(mbms_key_store_install(&ks, kd, mbms_msk_id_make(g, 1), msk, 1, 2,
							&ev),
				 0);
		assert_false(ev.used);
	}
	assert_int_equal(mbms_key_store_install(&ks, kd, mbms_msk_id_make(100, 1), msk, 1, 2, &ev),
			 MBMS_ENOSPC);
	/* a second MSK of a full group's Key Group still needs a slot ... */
	assert_int_equal(mbms_key_store_install(&ks, kd, mbms_msk_id_make(3, 2), msk, 1, 2, &ev),
			 MBMS_ENOSPC);
	/* ... but an update in place does not */
	assert_int_equal(mbms_key_store_install(&ks, kd, mbms_msk_id_make(3, 1), msk, 5, 6, &ev),
			 0);
	assert_int_equal(mbms_key_store_find(&ks, kd, mbms_msk_id_make(3, 1))->vt, 6);
	/* the Key Domain is part of the name */
	assert_null(mbms_key_store_find(&ks, kd2, mbms_msk_id_make(3, 1)));
	assert_int_equal(mbms_key_store_remove(&ks, kd, mbms_msk_id_make(3, 1)), 0);
	assert_int_equal(mbms_key_store_remove(&ks, kd, mbms_msk_id_make(3, 1)), MBMS_ENOTFOUND);
	assert_int_equal(mbms_key_store_install(&ks, kd2, mbms_msk_id_make(3, 1), msk, 1, 2, &ev),
			 0);
	/* a third in a group: the evicted one is reported */
	mbms_key_store_init(&ks);
	assert_int_equal(mbms_key_store_install(&ks, kd, 0x00070005, msk, 1, 2, &ev), 0);
	assert_int_equal(mbms_key_store_install(&ks, kd, 0x00070001, msk, 1, 2, &ev), 0);
	assert_int_equal(mbms_key_store_install(&ks, kd, 0x00070002, msk, 1, 2, &ev), 0);
	assert_true(ev.used);
	assert_int_equal(ev.msk_id, 0x00070005);
	mbms_key_store_wipe(&ks);
}

/* Key Number 0 on the MTK path: rejected before any MSK lookup, so it
 * cannot start a missed key update (PROFILE 3). The builder refuses to make
 * it, so it is made with the table's harness. */
static void test_ue_mtk_key_number_zero(void **state)
{
	(void)state;
	struct ue_fixture f;
	struct desc d;
	struct mbms_msg_info info;
	uint8_t msg[BUF];
	ue_fixture_init(&f);
	desc_default(&d, 'K');
	m_kn0(&d);
	size_t len = desc_build(&d, msg, sizeof(msg));
	assert_rc(mbms_ue_rx_mtk_msg(&f.ks, msg, len, &info), MBMS_EKEYNUM0, "MTK, Key Number 0");
	/* and a valid one for an MSK that is not held */
	desc_default(&d, 'K');
	len = desc_build(&d, msg, sizeof(msg));
	assert_rc(mbms_ue_rx_mtk_msg(&f.ks, msg, len, &info), MBMS_EUNKNOWNMSK, "MTK, no MSK");
}

/* Builder inputs out of range are bad_input; a short buffer is no_space
 * at every capacity, and nothing is written past it (ASan build). */
static void test_builder_inputs(void **state)
{
	(void)state;
	uint8_t muk[32], msk[16], mtk[16], salt[14], out[BUF];
	size_t len = 0;
	memset(muk, 1, 32);
	memset(msk, 2, 16);
	memset(mtk, 3, 16);
	memset(salt, 4, 14);
	struct mbms_msk_msg_in in = {.muk = muk, .muk_len = 32, .msk_id = 0x01020001,
				     .ts_counter = 1, .idi = (const uint8_t *)"a", .idi_len = 1,
				     .idr = (const uint8_t *)"b", .idr_len = 1, .msk = msk};
	assert_int_equal(mbms_msk_msg_build(&in, out, sizeof(out), &len), 0);
	size_t full = len;
	for (size_t cap = 0; cap < full; cap++) {
		uint8_t *small = test_malloc(cap ? cap : 1);
		assert_int_equal(mbms_msk_msg_build(&in, small, cap, &len), MBMS_ENOSPC);
		test_free(small);
	}
	assert_int_equal(mbms_trigger_build(&in, out, sizeof(out), &len), MBMS_EINVAL);
	in.msk_id = 0x01020000;
	assert_int_equal(mbms_msk_msg_build(&in, out, sizeof(out), &len), MBMS_EINVAL);
	assert_int_equal(mbms_trigger_build(&in, out, sizeof(out), &len), 0);
	in.idr_len = 0;
	assert_int_equal(mbms_trigger_build(&in, out, sizeof(out), &len), MBMS_EINVAL);
	in.idr_len = 1;
	in.muk = NULL;
	assert_int_equal(mbms_trigger_build(&in, out, sizeof(out), &len), MBMS_EINVAL);

	struct mbms_mtk_msg_in m = {.msk = msk, .msk_len = 16, .msk_id = 0x01020001, .mtk_id = 1,
				    .mtk = mtk, .mtk_salt = salt, .ts_counter = 1};
	assert_int_equal(mbms_mtk_msg_build(&m, out, sizeof(out), &len), 0);
	full = len;
	for (size_t cap = 0; cap < full; cap++) {
		uint8_t *small = test_malloc(cap ? cap : 1);
		assert_int_equal(mbms_mtk_msg_build(&m, small, cap, &len), MBMS_ENOSPC);
		test_free(small);
	}
	m.msk_id = 0x01020000;
	assert_int_equal(mbms_mtk_msg_build(&m, out, sizeof(out), &len), MBMS_EINVAL);
	m.msk_id = 0x01020001;
	m.mtk_salt = NULL;
	assert_int_equal(mbms_mtk_msg_build(&m, out, sizeof(out), &len), MBMS_EINVAL);

	struct mbms_acked a = {.csb_id = 1, .ts_counter = 2, .idi = (const uint8_t *)"a",
			       .idi_len = 1, .idr = (const uint8_t *)"b", .idr_len = 1};
	assert_int_equal(mbms_verification_build(muk, 32, NULL, out, sizeof(out), &len),
			 MBMS_ENOACKED);
	assert_int_equal(mbms_verification_build(muk, 32, &a, out, sizeof(out), &len), 0);
	assert_int_equal(len, 38);
	assert_int_equal(mbms_verification_build(muk, 32, &a, out, 37, &len), MBMS_ENOSPC);
}

/* Parse without a key: the clear fields, nothing verified, no key data;
 * the semantics can be checked separately; authenticate completes it. */
static void test_parse_without_key(void **state)
{
	(void)state;
	struct desc d;
	uint8_t msg[BUF];
	struct mbms_msg_info info;
	desc_default(&d, 'M');
	m_kn0(&d);
	size_t len = desc_build(&d, msg, sizeof(msg));
	assert_int_equal(mbms_msg_parse(msg, len, MBMS_MSG_ANY, &info), 0);
	assert_int_equal(info.kind, MBMS_MSG_MSK);
	assert_false(info.verified);
	assert_false(info.has_key);
	assert_int_equal(info.encr_data_len, 26);
	assert_int_equal(mbms_msg_check_semantics(&info, NULL), MBMS_EKEYNUM0);
	/* the MAC comes first: with a wrong key the reason is bad_mac */
	uint8_t other[32];
	memcpy(other, d.inkey, 32);
	other[0] ^= 1;
	assert_int_equal(mbms_msg_authenticate(msg, len, other, 32, NULL, &info), MBMS_EMAC);
	assert_int_equal(mbms_msg_authenticate(msg, len, d.inkey, 32, NULL, &info),
			 MBMS_EKEYNUM0);
	/* an info that does not belong to this buffer is refused */
	desc_default(&d, 'M');
	len = desc_build(&d, msg, sizeof(msg));
	assert_int_equal(mbms_msg_parse(msg, len, MBMS_MSG_ANY, &info), 0);
	uint8_t copy[BUF];
	memcpy(copy, msg, len);
	assert_int_equal(mbms_msg_authenticate(copy, len, d.inkey, 32, NULL, &info), MBMS_EINVAL);
	assert_int_equal(mbms_msg_authenticate(msg, len, d.inkey, 32, NULL, &info), 0);
	assert_true(info.verified);
	assert_true(info.has_key);
	assert_memory_equal(info.key, d.key_bytes, 16);
	mbms_msg_info_wipe(&info);
	assert_false(info.has_key);
	assert_int_equal(info.key[0], 0);
	assert_int_equal(mbms_msg_parse(msg, len, 0, &info), MBMS_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msk_and_trigger_cases),
		cmocka_unit_test(test_mtk_cases),
		cmocka_unit_test(test_verification_case),
		cmocka_unit_test(test_bad_parse_cases),
		cmocka_unit_test(test_ue_sequences),
		cmocka_unit_test(test_harness_matches_builder),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_every_prefix_truncated),
		cmocka_unit_test(test_verification_table),
		cmocka_unit_test(test_ue_muk_rules),
		cmocka_unit_test(test_ue_mtk_rules),
		cmocka_unit_test(test_key_store),
		cmocka_unit_test(test_ue_mtk_key_number_zero),
		cmocka_unit_test(test_builder_inputs),
		cmocka_unit_test(test_parse_without_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
