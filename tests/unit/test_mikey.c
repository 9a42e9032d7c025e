/* The generic MIKEY codec (RFC 3830 section 6, RFC 4563): the vector
 * messages of tests/vectors/independent_cases.json decoded payload by
 * payload; round trips of every payload type (SP, ERR, NTP T, TEK+SALT
 * keys with SPI, null KV, SRTP-ID map ...); the writer's capacity and input
 * checks; and a table of malformed inputs for the generic decoder (what
 * RFC 3830 itself forbids, as opposed to what the MBMS profile forbids,
 * which test_mbms_msg.c covers). */
#include "testutil.h"

#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/mikey.h"

#include <stdio.h>
#include <string.h>

static void assert_rc(int got, int want, const char *what)
{
	if (got != want)
		fail_msg("%s: got %s (%d), expected %s (%d)", what, mbms_errname(got), got,
			 mbms_errname(want), want);
}

/* ---- the vector messages, decoded generically ---- */

/* Payload type sequences of section 5, as letters: E T R I K V. */
static char letter(uint8_t type)
{
	switch (type) {
	case MBMS_MIKEY_PT_EXT:
		return 'E';
	case MBMS_MIKEY_PT_T:
		return 'T';
	case MBMS_MIKEY_PT_RAND:
		return 'R';
	case MBMS_MIKEY_PT_ID:
		return 'I';
	case MBMS_MIKEY_PT_KEMAC:
		return 'K';
	case MBMS_MIKEY_PT_V:
		return 'V';
	default:
		return '?';
	}
}

static void test_vector_messages(void **state)
{
	(void)state;
	static const struct {
		const char *kind;
		const char *order;
		uint8_t data_type;
	} kinds[] = {
		{"msk-message", "ETRIIK", 0},
		{"trigger-message", "ETRIIK", 0},
		{"mtk-message", "ETRK", 0},
		{"verification", "TV", 1},
	};
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "cases"))
	{
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			if (!th_kind_is(c, kinds[k].kind))
				continue;
			const char *id = th_str(c, "id");
			const cJSON *exp = cJSON_GetObjectItemCaseSensitive(c, "expected");
			size_t len;
			uint8_t *buf = th_hex(th_str(exp, "hex"), &len);
			struct mbms_mikey_msg m;
			assert_rc(mbms_mikey_decode(buf, len, &m), 0, id);
			char order[MBMS_MIKEY_MAX_PAYLOADS + 1] = {0};
			for (size_t i = 0; i < m.npayloads; i++) {
				order[i] = letter(m.p[i].type);
				/* payloads tile the message: each starts where the last ended */
				size_t start = i ? m.p[i - 1].offset + m.p[i - 1].len : 10;
				assert_int_equal(m.p[i].offset, start);
				assert_ptr_equal(buf + m.p[i].offset, buf + start);
			}
			assert_string_equal(order, kinds[k].order);
			assert_int_equal(m.p[m.npayloads - 1].offset + m.p[m.npayloads - 1].len, len);
			assert_int_equal(m.hdr.version, 1);
			assert_int_equal(m.hdr.data_type, kinds[k].data_type);
			assert_int_equal(m.hdr.map_type, MBMS_MIKEY_MAP_EMPTY);
			assert_true(m.has_mac);
			assert_int_equal(m.mac_off, len - 20);
			/* the views point into the input */
			const struct mbms_mikey_payload *t = mbms_mikey_find(&m, MBMS_MIKEY_PT_T, 0);
			assert_non_null(t);
			assert_int_equal(t->u.t.ts_type, MBMS_MIKEY_TS_COUNTER);
			assert_true(t->u.t.value > buf && t->u.t.value < buf + len);
			const struct mbms_mikey_payload *e = mbms_mikey_find(&m, MBMS_MIKEY_PT_EXT, 0);
			if (e) {
				struct mbms_mikey_key_id kid;
				assert_int_equal(mbms_mikey_key_id_decode(e->u.ext.data, e->u.ext.len,
									  &kid),
						 0);
				assert_int_equal(kid.len, kid.type == 1 ? 7 : 9);
				th_assert_hex(kid.id, 3, "00f110", id);
			}
			const struct mbms_mikey_payload *id1 = mbms_mikey_find(&m, MBMS_MIKEY_PT_ID, 0);
			if (id1) {
				const struct mbms_mikey_payload *id2 =
					mbms_mikey_find(&m, MBMS_MIKEY_PT_ID,
							(size_t)(id1 - m.p) + 1);
				assert_non_null(id2);
				assert_int_equal(id1->u.id.len, 43);
				assert_memory_equal(id1->u.id.data,
						    "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org", 43);
				assert_int_equal(id2->u.id.len, 62);
			}
			/* re-encoding every view gives the same bytes */
			uint8_t out[512];
			struct mbms_mikey_writer w;
			mbms_mikey_writer_init(&w, out, sizeof(out));
			assert_int_equal(mbms_mikey_put_hdr(&w, &m.hdr), 0);
			for (size_t i = 0; i < m.npayloads; i++) {
				const struct mbms_mikey_payload *p = &m.p[i];
				switch (p->type) {
				case MBMS_MIKEY_PT_EXT:
					mbms_mikey_put_ext(&w, p->u.ext.ext_type, p->u.ext.data,
							   p->u.ext.len);
					break;
				case MBMS_MIKEY_PT_T:
					mbms_mikey_put_t(&w, p->u.t.ts_type, p->u.t.ts);
					break;
				case MBMS_MIKEY_PT_RAND:
					mbms_mikey_put_rand(&w, p->u.rand.data, p->u.rand.len);
					break;
				case MBMS_MIKEY_PT_ID:
					mbms_mikey_put_id(&w, p->u.id.id_type, p->u.id.data,
							  p->u.id.len);
					break;
				case MBMS_MIKEY_PT_KEMAC: {
					size_t mo = 0;
					mbms_mikey_put_kemac(&w, p->u.kemac.encr_alg,
							     p->u.kemac.encr_data,
							     p->u.kemac.encr_len, p->u.kemac.mac_alg,
							     NULL, &mo);
					memcpy(out + mo, p->u.kemac.mac, p->u.kemac.mac_len);
					break;
				}
				case MBMS_MIKEY_PT_V: {
					size_t mo = 0;
					mbms_mikey_put_v(&w, p->u.v.auth_alg, &mo);
					memcpy(out + mo, p->u.v.mac, p->u.v.mac_len);
					break;
				}
				}
			}
			assert_int_equal(w.err, 0);
			assert_int_equal(w.len, len);
			assert_memory_equal(out, buf, len);
			test_free(buf);
			n++;
		}
	}
	assert_int_equal(n, 6);
	cJSON_Delete(root);
}

/* derived.iv of every message case from its salt key, CSB ID and T
 * (RFC 3830 4.2.3, PROFILE 4.1 COUNTER right-aligned); one wrong T must
 * not match. */
static void test_iv_vectors(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "cases"))
	{
		if (!th_kind_is(c, "msk-message") && !th_kind_is(c, "mtk-message") &&
		    !th_kind_is(c, "trigger-message"))
			continue;
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, "input");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(c, "expected"), "derived");
		uint8_t salt[14], csb[4], iv[16];
		th_hex_into(th_str(d, "salt_key"), salt, 14);
		th_hex_into(th_str(in, "msk_id"), csb, 4);
		uint64_t ts = (uint64_t)th_num(in, "ts");
		assert_int_equal(mbms_mikey_aes_cm_iv(salt, mbms_get_be32(csb), ts, iv), 0);
		th_assert_hex(iv, 16, th_str(d, "iv"), th_str(c, "id"));
		/* a COUNTER left-aligned in T would give another IV */
		assert_int_equal(mbms_mikey_aes_cm_iv(salt, mbms_get_be32(csb), ts << 32, iv), 0);
		uint8_t want[16];
		th_hex_into(th_str(d, "iv"), want, 16);
		assert_memory_not_equal(iv, want, 16);
		n++;
	}
	assert_int_equal(n, 5);
	cJSON_Delete(root);
}

/* ---- round trips of every payload type ---- */

static void test_round_trip_all_payloads(void **state)
{
	(void)state;
	uint8_t buf[1024], map[18], spi[4] = {0xde, 0xad, 0xbe, 0xef}, key1[16], key2[16],
					 salt[14], vf[2] = {0, 1}, vt[2] = {0, 9};
	uint8_t rand[16], sp_v1[1] = {1}, sp_v2[3] = {0xa, 0xb, 0xc}, ext0[5] = "abcde";
	for (int i = 0; i < 18; i++)
		map[i] = (uint8_t)i;
	memset(key1, 0x11, 16);
	memset(key2, 0x22, 16);
	memset(salt, 0x33, 14);
	memset(rand, 0x44, 16);
	const struct mbms_mikey_hdr h = {.version = 1, .data_type = MBMS_MIKEY_DT_ERROR,
					 .v = true, .prf = 0, .csb_id = 0xa1b2c3d4, .ncs = 2,
					 .map_type = MBMS_MIKEY_MAP_SRTP_ID, .map_info = map,
					 .map_info_len = 18};
	const struct mbms_mikey_sp_param params[] = {{0, 1, sp_v1}, {7, 3, sp_v2}, {9, 0, NULL}};
	/* KEY chain: TEK+SALT with SPI, TGK with null KV, TGK+SALT with interval, TEK null */
	const struct mbms_mikey_key keys[] = {
		{.type = MBMS_MIKEY_KEY_TEK_SALT, .kv = MBMS_MIKEY_KV_SPI, .key = key1,
		 .key_len = 16, .salt = salt, .salt_len = 14, .spi = spi, .spi_len = 4},
		{.type = MBMS_MIKEY_KEY_TGK, .kv = MBMS_MIKEY_KV_NULL, .key = key2, .key_len = 16},
		{.type = MBMS_MIKEY_KEY_TGK_SALT, .kv = MBMS_MIKEY_KV_INTERVAL, .key = key1,
		 .key_len = 8, .salt = salt, .salt_len = 0, .vf = vf, .vf_len = 2, .vt = vt,
		 .vt_len = 2},
		{.type = MBMS_MIKEY_KEY_TEK, .kv = MBMS_MIKEY_KV_NULL, .key = NULL, .key_len = 0},
	};
	uint8_t plain[256];
	struct mbms_mikey_writer kw;
	mbms_mikey_writer_init(&kw, plain, sizeof(plain));
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(mbms_mikey_put_key(&kw, &keys[i]), 0);

	struct mbms_mikey_writer w;
	size_t encr_off = 0, kemac_mac_off = 0, v_mac_off = 0;
	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mbms_mikey_put_hdr(&w, &h), 0);
	assert_int_equal(mbms_mikey_put_t(&w, MBMS_MIKEY_TS_NTP_UTC, 0x0102030405060708ull), 0);
	assert_int_equal(mbms_mikey_put_t(&w, MBMS_MIKEY_TS_NTP, 0xfffffffffffffffeull), 0);
	assert_int_equal(mbms_mikey_put_t(&w, MBMS_MIKEY_TS_COUNTER, 0xfffffffful), 0);
	assert_int_equal(mbms_mikey_put_rand(&w, rand, 16), 0);
	assert_int_equal(mbms_mikey_put_id(&w, MBMS_MIKEY_ID_NAI, (const uint8_t *)"a@b", 3), 0);
	assert_int_equal(mbms_mikey_put_id(&w, MBMS_MIKEY_ID_URI, (const uint8_t *)"sip:x", 5), 0);
	assert_int_equal(mbms_mikey_put_sp(&w, 3, 0, params, 3), 0);
	assert_int_equal(mbms_mikey_put_sp(&w, 4, 1, NULL, 0), 0);
	assert_int_equal(mbms_mikey_put_err(&w, 13), 0);
	assert_int_equal(mbms_mikey_put_ext(&w, 0, ext0, 5), 0);
	assert_int_equal(mbms_mikey_put_ext(&w, 200, NULL, 0), 0);
	assert_int_equal(mbms_mikey_put_ext_key_id(&w, 2, (const uint8_t *)"\1\2\3\4\5\6\7\x8\x9", 9),
			 0);
	assert_int_equal(mbms_mikey_put_kemac(&w, MBMS_MIKEY_ENCR_NULL, plain, kw.len,
					      MBMS_MIKEY_MAC_HMAC_SHA1_160, &encr_off,
					      &kemac_mac_off),
			 0);
	assert_int_equal(mbms_mikey_put_kemac(&w, MBMS_MIKEY_ENCR_AES_KW_128, NULL, 3,
					      MBMS_MIKEY_MAC_NULL, NULL, NULL),
			 0);
	assert_int_equal(mbms_mikey_put_v(&w, MBMS_MIKEY_MAC_NULL, &v_mac_off), 0);
	assert_int_equal(mbms_mikey_put_v(&w, MBMS_MIKEY_MAC_HMAC_SHA1_160, &v_mac_off), 0);
	assert_int_equal(w.err, 0);
	memset(buf + kemac_mac_off, 0xab, 20);
	memset(buf + v_mac_off, 0xcd, 20);

	struct mbms_mikey_msg m;
	assert_int_equal(mbms_mikey_decode(buf, w.len, &m), 0);
	assert_int_equal(m.hdr.data_type, MBMS_MIKEY_DT_ERROR);
	assert_true(m.hdr.v);
	assert_int_equal(m.hdr.csb_id, 0xa1b2c3d4);
	assert_int_equal(m.hdr.ncs, 2);
	assert_int_equal(m.hdr.map_info_len, 18);
	assert_memory_equal(m.hdr.map_info, map, 18);
	assert_int_equal(m.npayloads, 16);
	const uint8_t types[] = {5, 5, 5, 11, 6, 6, 10, 10, 12, 21, 21, 21, 1, 1, 9, 9};
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(m.p[i].type, types[i]);
	assert_int_equal(m.p[15].next, 0);
	assert_int_equal(m.p[0].u.t.ts, 0x0102030405060708ull);
	assert_int_equal(m.p[0].u.t.value_len, 8);
	assert_int_equal(m.p[1].u.t.ts_type, MBMS_MIKEY_TS_NTP);
	assert_int_equal(m.p[1].u.t.ts, 0xfffffffffffffffeull);
	assert_int_equal(m.p[2].u.t.ts, 0xfffffffful);
	assert_int_equal(m.p[2].u.t.value_len, 4);
	assert_int_equal(m.p[3].u.rand.len, 16);
	assert_int_equal(m.p[4].u.id.id_type, MBMS_MIKEY_ID_NAI);
	assert_memory_equal(m.p[5].u.id.data, "sip:x", 5);
	assert_int_equal(m.p[6].u.sp.policy_no, 3);
	assert_int_equal(m.p[6].u.sp.nparams, 3);
	struct mbms_mikey_sp_param prm;
	assert_int_equal(mbms_mikey_sp_param(&m.p[6].u.sp, 1, &prm), 0);
	assert_int_equal(prm.type, 7);
	assert_int_equal(prm.len, 3);
	assert_memory_equal(prm.value, sp_v2, 3);
	assert_int_equal(mbms_mikey_sp_param(&m.p[6].u.sp, 2, &prm), 0);
	assert_int_equal(prm.len, 0);
	assert_int_equal(mbms_mikey_sp_param(&m.p[6].u.sp, 3, &prm), MBMS_ENOTFOUND);
	assert_int_equal(m.p[7].u.sp.prot_type, 1);
	assert_int_equal(m.p[7].u.sp.nparams, 0);
	assert_int_equal(m.p[8].u.err.err_no, 13);
	assert_int_equal(m.p[9].u.ext.ext_type, 0);
	assert_int_equal(m.p[10].u.ext.len, 0);
	struct mbms_mikey_key_id kid;
	assert_int_equal(mbms_mikey_key_id_decode(m.p[11].u.ext.data, m.p[11].u.ext.len, &kid), 0);
	assert_int_equal(kid.type, 2);
	assert_int_equal(kid.len, 9);
	assert_int_equal(m.p[12].u.kemac.encr_off, encr_off);
	assert_int_equal(m.p[12].u.kemac.mac_off, kemac_mac_off);
	assert_int_equal(m.p[13].u.kemac.encr_alg, MBMS_MIKEY_ENCR_AES_KW_128);
	assert_int_equal(m.p[13].u.kemac.mac_len, 0);
	assert_int_equal(m.p[14].u.v.mac_len, 0);
	assert_true(m.has_mac);
	assert_int_equal(m.mac_off, v_mac_off); /* the last MAC */
	assert_int_equal(m.mac_off, w.len - 20);

	/* the KEY chain inside the first KEMAC */
	struct mbms_mikey_key k[4];
	size_t nk = 0;
	assert_int_equal(mbms_mikey_keys_decode(m.p[12].u.kemac.encr_data,
						m.p[12].u.kemac.encr_len, k, 4, &nk),
			 0);
	assert_int_equal(nk, 4);
	assert_int_equal(k[0].type, MBMS_MIKEY_KEY_TEK_SALT);
	assert_int_equal(k[0].kv, MBMS_MIKEY_KV_SPI);
	assert_int_equal(k[0].next, MBMS_MIKEY_PT_KEY);
	assert_int_equal(k[0].salt_len, 14);
	assert_memory_equal(k[0].spi, spi, 4);
	assert_int_equal(k[1].kv, MBMS_MIKEY_KV_NULL);
	assert_null(k[1].salt);
	assert_null(k[1].spi);
	assert_int_equal(k[2].type, MBMS_MIKEY_KEY_TGK_SALT);
	assert_non_null(k[2].salt);
	assert_int_equal(k[2].salt_len, 0);
	assert_memory_equal(k[2].vt, vt, 2);
	assert_int_equal(k[3].key_len, 0);
	assert_int_equal(k[3].next, MBMS_MIKEY_PT_LAST);
	assert_string_equal(mbms_mikey_key_type_name(k[0].type), "TEK+SALT");
	assert_string_equal(mbms_mikey_kv_name(k[2].kv), "interval");
	assert_string_equal(mbms_mikey_kv_name(9), "?");
	/* too small a key array */
	assert_int_equal(mbms_mikey_keys_decode(m.p[12].u.kemac.encr_data,
						m.p[12].u.kemac.encr_len, k, 3, &nk),
			 MBMS_ENOSPC);
	/* re-encode the decoded keys: same bytes */
	uint8_t again[256];
	mbms_mikey_writer_init(&kw, again, sizeof(again));
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(mbms_mikey_put_key(&kw, &k[i]), 0);
	assert_int_equal(kw.len, m.p[12].u.kemac.encr_len);
	assert_memory_equal(again, m.p[12].u.kemac.encr_data, kw.len);

	/* a 17th payload does not fit the view array */
	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	mbms_mikey_put_hdr(&w, &h);
	for (int i = 0; i < 17; i++)
		mbms_mikey_put_err(&w, (uint8_t)i);
	assert_int_equal(w.err, 0);
	assert_int_equal(mbms_mikey_decode(buf, w.len, &m), MBMS_ENOSPC);
}

/* ---- the writer ---- */

static void test_writer_limits(void **state)
{
	(void)state;
	uint8_t buf[128], key[16] = {0};
	struct mbms_mikey_writer w;
	const struct mbms_mikey_hdr h = {.version = 1, .map_type = MBMS_MIKEY_MAP_EMPTY};
	/* every capacity short of the message fails with no_space, sticky */
	size_t full = 0;
	for (size_t cap = 0;; cap++) {
		mbms_mikey_writer_init(&w, buf, cap);
		mbms_mikey_put_hdr(&w, &h);
		mbms_mikey_put_t(&w, MBMS_MIKEY_TS_COUNTER, 7);
		mbms_mikey_put_rand(&w, key, 16);
		int rc = mbms_mikey_put_err(&w, 1);
		if (rc == 0) {
			full = cap;
			break;
		}
		assert_int_equal(rc, MBMS_ENOSPC);
		assert_int_equal(w.err, MBMS_ENOSPC);
		assert_true(w.len <= cap);
	}
	assert_int_equal(full, 10 + 6 + 18 + 4);

	/* input checks: bad_input */
	struct mbms_mikey_hdr bad = h;
	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	bad.ncs = 1; /* empty map with a CS */
	assert_int_equal(mbms_mikey_put_hdr(&w, &bad), MBMS_EINVAL);
	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	bad = h;
	bad.map_type = MBMS_MIKEY_MAP_SRTP_ID;
	bad.ncs = 1; /* SRTP-ID map without its 9 bytes */
	assert_int_equal(mbms_mikey_put_hdr(&w, &bad), MBMS_EINVAL);
	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	bad = h;
	bad.prf = 0x80;
	assert_int_equal(mbms_mikey_put_hdr(&w, &bad), MBMS_EINVAL);

	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mbms_mikey_put_hdr(&w, &h), 0);
	assert_int_equal(mbms_mikey_put_hdr(&w, &h), MBMS_EINVAL); /* HDR only first */
	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mbms_mikey_put_t(&w, MBMS_MIKEY_TS_COUNTER, 0x100000000ull), MBMS_EINVAL);
	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mbms_mikey_put_t(&w, 3, 1), MBMS_EINVAL);
	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mbms_mikey_put_rand(&w, key, 256), MBMS_EINVAL);
	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mbms_mikey_put_id(&w, 2, key, 1), MBMS_EINVAL);
	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mbms_mikey_put_kemac(&w, 3, NULL, 0, 1, NULL, NULL), MBMS_EINVAL);
	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mbms_mikey_put_kemac(&w, 1, NULL, 0, 2, NULL, NULL), MBMS_EINVAL);
	mbms_mikey_writer_init(&w, buf, sizeof(buf));
	assert_int_equal(mbms_mikey_put_v(&w, 2, NULL), MBMS_EINVAL);
	/* after an error every put fails with the first code */
	assert_int_equal(mbms_mikey_put_err(&w, 1), MBMS_EINVAL);

	/* KEY: salt iff +SALT, KV data iff its KV type */
	const struct {
		const char *what;
		struct mbms_mikey_key k;
		size_t size; /* 0: refused */
	} keys[] = {
		{"TGK, null KV", {.type = 0, .kv = 0, .key = key, .key_len = 16}, 20},
		{"TEK+SALT without salt bytes", {.type = 3, .kv = 0, .key = key, .key_len = 16}, 22},
		{"TGK with a salt (must fail)",
		 {.type = 0, .kv = 0, .key = key, .key_len = 16, .salt = key, .salt_len = 2}, 0},
		{"KV null with an SPI (must fail)",
		 {.type = 0, .kv = 0, .key = key, .key_len = 16, .spi = key, .spi_len = 2}, 0},
		{"KV SPI with VF (must fail)",
		 {.type = 0, .kv = 1, .key = key, .key_len = 16, .vf = key, .vf_len = 2}, 0},
		{"KV interval with an SPI (must fail)",
		 {.type = 0, .kv = 2, .key = key, .key_len = 16, .spi = key, .spi_len = 2}, 0},
		{"type 4 (must fail)", {.type = 4, .kv = 0, .key = key, .key_len = 16}, 0},
		{"KV 3 (must fail)", {.type = 0, .kv = 3, .key = key, .key_len = 16}, 0},
		{"SPI of 256 bytes (must fail)",
		 {.type = 0, .kv = 1, .key = key, .key_len = 16, .spi = key, .spi_len = 256}, 0},
		{"key length without key bytes (must fail)", {.type = 0, .kv = 0, .key_len = 16}, 0},
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (mbms_mikey_key_size(&keys[i].k) != keys[i].size)
			fail_msg("%s: size %zu, expected %zu", keys[i].what,
				 mbms_mikey_key_size(&keys[i].k), keys[i].size);
		mbms_mikey_writer_init(&w, buf, sizeof(buf));
		assert_int_equal(mbms_mikey_put_key(&w, &keys[i].k),
				 keys[i].size ? 0 : MBMS_EINVAL);
	}
}

/* ---- malformed inputs for the generic decoder ---- */

/* A small valid message to break: HDR(empty map), T(COUNTER), RAND(2),
 * ID(URI "ab"), EXT(type 2, key ID), SP(1 param), ERR, KEMAC(NULL encr,
 * one KEY, HMAC). Offsets are listed so the table can name what it edits. */
static size_t base_msg(uint8_t *buf, size_t cap)
{
	struct mbms_mikey_writer w;
	const struct mbms_mikey_hdr h = {.version = 1, .data_type = 0, .csb_id = 0x01020001,
					 .map_type = MBMS_MIKEY_MAP_EMPTY};
	const struct mbms_mikey_sp_param p = {1, 2, (const uint8_t *)"\x05\x06"};
	const uint8_t key[4] = {1, 2, 3, 4};
	uint8_t plain[16];
	struct mbms_mikey_writer kw;
	const struct mbms_mikey_key k = {.type = MBMS_MIKEY_KEY_TGK, .kv = MBMS_MIKEY_KV_NULL,
					 .key = key, .key_len = 4};
	mbms_mikey_writer_init(&kw, plain, sizeof(plain));
	assert_int_equal(mbms_mikey_put_key(&kw, &k), 0);
	mbms_mikey_writer_init(&w, buf, cap);
	mbms_mikey_put_hdr(&w, &h);                                        /*  0..9  */
	mbms_mikey_put_t(&w, MBMS_MIKEY_TS_COUNTER, 9);                    /* 10..15 */
	mbms_mikey_put_rand(&w, (const uint8_t *)"rr", 2);                 /* 16..19 */
	mbms_mikey_put_id(&w, MBMS_MIKEY_ID_URI, (const uint8_t *)"ab", 2); /* 20..25 */
	mbms_mikey_put_ext_key_id(&w, 1, (const uint8_t *)"kid", 3);       /* 26..35 */
	mbms_mikey_put_sp(&w, 0, 0, &p, 1);                                /* 36..44 */
	mbms_mikey_put_err(&w, 4);                                         /* 45..48 */
	mbms_mikey_put_kemac(&w, MBMS_MIKEY_ENCR_NULL, plain, kw.len,      /* 49..81 */
			     MBMS_MIKEY_MAC_HMAC_SHA1_160, NULL, NULL);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 82);
	return w.len;
}

enum edit { SET, TRUNC, APPEND };

static const struct {
	const char *name;
	enum edit edit;
	size_t off; /* SET: byte; TRUNC: new length */
	uint8_t val;
	int expected;
} generic_table[] = {
	{"unmodified (must pass)", SET, 0, 1, 0},
	{"data type 6 = error message: RFC 3830 allows it (10.6)", SET, 1, 6, 0},
	{"data type 5 = DH response: allowed generically", SET, 1, 5, 0},
	{"version 0", SET, 0, 0, MBMS_EVERSION},
	{"version 2", SET, 0, 2, MBMS_EVERSION},
	{"data type 7, undefined in RFC 3830", SET, 1, 7, MBMS_EDATATYPE},
	{"data type 255", SET, 1, 255, MBMS_EDATATYPE},
	{"PRF 1", SET, 3, 1, MBMS_EPRF},
	{"PRF 127 with V set", SET, 3, 0xff, MBMS_EPRF},
	{"empty map with #CS 1 (RFC 4563)", SET, 8, 1, MBMS_ECSMAP},
	{"CS ID map type 2 (GENERIC-ID, not implemented)", SET, 9, 2, MBMS_ECSMAP},
	{"SRTP-ID map with #CS 0: valid (no entries)", SET, 9, 0, 0},
	{"HDR next = 2 (PKE, not implemented)", SET, 2, 2, MBMS_EUNKNOWNPAYLOAD},
	{"HDR next = 3 (DH)", SET, 2, 3, MBMS_EUNKNOWNPAYLOAD},
	{"HDR next = 4 (SIGN)", SET, 2, 4, MBMS_EUNKNOWNPAYLOAD},
	{"HDR next = 7 (CERT)", SET, 2, 7, MBMS_EUNKNOWNPAYLOAD},
	{"HDR next = 8 (CHASH)", SET, 2, 8, MBMS_EUNKNOWNPAYLOAD},
	{"HDR next = 13 (unassigned)", SET, 2, 13, MBMS_EUNKNOWNPAYLOAD},
	{"HDR next = 99", SET, 2, 99, MBMS_EUNKNOWNPAYLOAD},
	{"HDR next = 20 (KEY outside KEMAC)", SET, 2, 20, MBMS_EUNEXPECTED},
	{"HDR next = 0: the payloads are trailing data", SET, 2, 0, MBMS_ETRAILING},
	{"T type 3", SET, 11, 3, MBMS_ETSTYPE},
	{"ID type 2", SET, 21, 2, MBMS_EIDTYPE},
	{"ID type 0 (NAI): allowed generically", SET, 21, 0, 0},
	{"ID length 0x0100, past the end", SET, 22, 1, MBMS_ETRUNCATED},
	{"RAND length 200, past the end", SET, 17, 200, MBMS_ETRUNCATED},
	{"EXT length 0xff00, past the end", SET, 28, 0xff, MBMS_ETRUNCATED},
	{"SP parameter length 3 > SP params length 4 - 2", SET, 42, 3, MBMS_ELENGTH},
	{"SP params length 3 leaves half a parameter", SET, 40, 3, MBMS_ELENGTH},
	{"SP params length 0x0304, past the end", SET, 39, 3, MBMS_ETRUNCATED},
	{"ERR next = 20", SET, 45, 20, MBMS_EUNEXPECTED},
	{"KEMAC encr alg 3", SET, 50, 3, MBMS_EALG},
	{"KEMAC encr alg 0 -> 1 (AES-CM): allowed generically", SET, 50, 1, 0},
	{"KEMAC MAC alg 2", SET, 61, 2, MBMS_EALG},
	{"KEMAC MAC alg 0: no MAC, 20 bytes left over", SET, 61, 0, MBMS_ETRAILING},
	{"KEMAC encr data length 0xff0a, past the end", SET, 51, 0xff, MBMS_ETRUNCATED},
	{"KEMAC next = 9: V payload missing", SET, 49, 9, MBMS_ETRUNCATED},
	{"one byte appended", APPEND, 0, 0, MBMS_ETRAILING},
	{"empty input", TRUNC, 0, 0, MBMS_ETRUNCATED},
	{"cut inside HDR", TRUNC, 7, 0, MBMS_ETRUNCATED},
	{"cut at the HDR/T boundary", TRUNC, 10, 0, MBMS_ETRUNCATED},
	{"cut inside T", TRUNC, 13, 0, MBMS_ETRUNCATED},
	{"cut after the ID type", TRUNC, 22, 0, MBMS_ETRUNCATED},
	{"cut inside the SP params", TRUNC, 42, 0, MBMS_ETRUNCATED},
	{"cut inside ERR", TRUNC, 47, 0, MBMS_ETRUNCATED},
	{"cut before the MAC alg", TRUNC, 61, 0, MBMS_ETRUNCATED},
	{"cut inside the MAC", TRUNC, 81, 0, MBMS_ETRUNCATED},
};

static void test_generic_malformed(void **state)
{
	(void)state;
	size_t nfail = 0;
	for (size_t i = 0; i < sizeof(generic_table) / sizeof(generic_table[0]); i++) {
		uint8_t buf[128];
		size_t len = base_msg(buf, sizeof(buf));
		switch (generic_table[i].edit) {
		case SET:
			buf[generic_table[i].off] = generic_table[i].val;
			break;
		case TRUNC:
			len = generic_table[i].off;
			break;
		case APPEND:
			buf[len++] = 0;
			break;
		}
		struct mbms_mikey_msg m;
		int rc = mbms_mikey_decode(buf, len, &m);
		assert_rc(rc, generic_table[i].expected, generic_table[i].name);
		nfail += rc != 0;
	}
	assert_true(nfail >= 30);
}

/* The cursor functions consume nothing on error and report what they used. */
static void test_cursor_contract(void **state)
{
	(void)state;
	uint8_t buf[128];
	size_t len = base_msg(buf, sizeof(buf));
	const uint8_t *p = buf;
	size_t n = 7;
	struct mbms_mikey_hdr h;
	assert_int_equal(mbms_mikey_hdr_decode(&p, &n, &h), MBMS_ETRUNCATED);
	assert_ptr_equal(p, buf);
	assert_int_equal(n, 7);
	n = len;
	assert_int_equal(mbms_mikey_hdr_decode(&p, &n, &h), 10);
	assert_ptr_equal(p, buf + 10);
	assert_int_equal(n, len - 10);
	struct mbms_mikey_payload pl;
	size_t short_len = 3;
	const uint8_t *q = p;
	assert_int_equal(mbms_mikey_payload_decode(MBMS_MIKEY_PT_T, buf, &q, &short_len, &pl),
			 MBMS_ETRUNCATED);
	assert_ptr_equal(q, p);
	assert_int_equal(short_len, 3);
	assert_int_equal(mbms_mikey_payload_decode(MBMS_MIKEY_PT_T, buf, &p, &n, &pl), 6);
	assert_int_equal(pl.offset, 10);
	assert_int_equal(pl.u.t.ts, 9);

	/* KEY: one sub-payload at a time */
	const uint8_t key[] = {0x14, 0x20, 0x00, 0x01, 0xaa,             /* TEK, null KV */
			       0x14, 0x02, 0x00, 0x01, 0xbb, 0x00, 0x00, /* TGK, empty VF/VT */
			       0x00};
	const uint8_t *kp = key;
	size_t kn = sizeof(key);
	struct mbms_mikey_key k;
	assert_int_equal(mbms_mikey_key_decode(&kp, &kn, &k), 5);
	assert_int_equal(k.next, MBMS_MIKEY_PT_KEY);
	assert_int_equal(k.type, MBMS_MIKEY_KEY_TEK);
	assert_int_equal(mbms_mikey_key_decode(&kp, &kn, &k), 7);
	assert_int_equal(k.type, MBMS_MIKEY_KEY_TGK);
	assert_int_equal(k.kv, MBMS_MIKEY_KV_INTERVAL);
	assert_int_equal(k.vf_len, 0);
	assert_int_equal(k.vt_len, 0);
	/* truncated third: cursor unchanged */
	size_t before = kn;
	assert_int_equal(mbms_mikey_key_decode(&kp, &kn, &k), MBMS_ETRUNCATED);
	assert_int_equal(kn, before);
}

/* The KEY chain of decrypted KEMAC data (RFC 3830 6.13). */
static void test_key_chain_table(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *hex;
		int expected;
		size_t nkeys;
	} t[] = {
		{"no data: no keys (a trigger's KEMAC)", "", 0, 0},
		{"one TGK, null KV", "000000020102", 0, 1},
		{"TEK+SALT, SPI", "00310001aa0002bbcc01dd", 0, 1},
		{"two keys", "14000001aa00000000", 0, 2},
		{"byte after the last key", "000000020102ff", MBMS_ETRAILING, 1},
		{"second key announced, none follows", "140000020102", MBMS_ELENGTH, 1},
		{"key length past the data", "00000003aa", MBMS_ELENGTH, 0},
		{"salt length past the data", "00300001aa0005bb", MBMS_ELENGTH, 0},
		{"SPI length past the data", "00010001aa02bb", MBMS_ELENGTH, 0},
		{"VT missing", "00020001aa01bb", MBMS_ELENGTH, 0},
		{"next = 1 (KEMAC) inside a KEY chain", "010000020102", MBMS_EKEYDATA, 0},
		{"key type 4", "00400000", MBMS_EKEYDATA, 0},
		{"KV 3", "00030000", MBMS_EKEYDATA, 0},
		{"one byte", "00", MBMS_ELENGTH, 0},
	};
	size_t nfail = 0;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len;
		uint8_t *data = th_hex(t[i].hex, &len);
		struct mbms_mikey_key keys[4];
		size_t n = 99;
		int rc = mbms_mikey_keys_decode(data, len, keys, 4, &n);
		assert_rc(rc, t[i].expected, t[i].name);
		if (rc == 0)
			assert_int_equal(n, t[i].nkeys);
		nfail += rc != 0;
		test_free(data);
	}
	assert_true(nfail > 0);
}

/* RFC 4563 Key ID data inside EXT type 2. */
static void test_key_id_table(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *hex;
		int expected;
	} t[] = {
		{"MSK key ID", "01000700f11001020001", 0},
		{"empty key ID", "000000", 0},
		{"length 6 with 7 bytes (as bad_length_field)", "01000600f11001020001",
		 MBMS_ELENGTH},
		{"length 8 with 7 bytes", "01000800f11001020001", MBMS_ELENGTH},
		{"two bytes only", "0100", MBMS_ELENGTH},
		{"nothing", "", MBMS_ELENGTH},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len;
		uint8_t *data = th_hex(t[i].hex, &len);
		struct mbms_mikey_key_id kid;
		assert_rc(mbms_mikey_key_id_decode(data, len, &kid), t[i].expected, t[i].name);
		test_free(data);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_messages),
		cmocka_unit_test(test_iv_vectors),
		cmocka_unit_test(test_round_trip_all_payloads),
		cmocka_unit_test(test_writer_limits),
		cmocka_unit_test(test_generic_malformed),
		cmocka_unit_test(test_cursor_contract),
		cmocka_unit_test(test_key_chain_table),
		cmocka_unit_test(test_key_id_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
