/* Identifiers and encodings: Key Domain ID (independent_cases.json
 * "key-domain"), base64 (RFC 4648 section 10 vectors), hex, RFC 1982 serial
 * arithmetic (PROFILE.md 10.8, 10.9), B-TID (TS 33.220 4.5.2). */
#include "testutil.h"

#include "mbmssec/error.h"
#include "mbmssec/ids.h"

#include <string.h>

static void test_key_domain_vectors(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(root, "cases"))
	{
		if (!th_kind_is(c, "key-domain"))
			continue;
		cJSON *in = cJSON_GetObjectItem(c, "input"), *ex = cJSON_GetObjectItem(c, "expected");
		for (int i = 0; i < cJSON_GetArraySize(in); i++) {
			cJSON *plmn = cJSON_GetArrayItem(in, i);
			uint8_t kd[3];
			char mcc[4], mnc[4];
			assert_int_equal(mbms_key_domain_from_plmn(th_str(plmn, "mcc"), th_str(plmn, "mnc"), kd), 0);
			th_assert_hex(kd, 3, cJSON_GetArrayItem(ex, i)->valuestring, "key domain");
			assert_int_equal(mbms_key_domain_to_plmn(kd, mcc, mnc), 0);
			assert_string_equal(mcc, th_str(plmn, "mcc"));
			assert_string_equal(mnc, th_str(plmn, "mnc"));
			n++;
		}
	}
	assert_int_equal(n, 3);
	cJSON_Delete(root);
}

static void test_key_domain_bad(void **state)
{
	(void)state;
	static const struct {
		const char *mcc, *mnc;
	} bad[] = {{"01", "01"}, {"0011", "01"}, {"00a", "01"}, {"001", "1"}, {"001", "0123"},
		   {"001", "x1"}, {"", ""}};
	uint8_t kd[3];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mbms_key_domain_from_plmn(bad[i].mcc, bad[i].mnc, kd), MBMS_EINVAL);
	char mcc[4], mnc[4];
	static const uint8_t bad_bcd[][3] = {{0xa0, 0xf1, 0x10}, {0x00, 0xf1, 0x1b}, {0x00, 0xfa, 0x10}};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(mbms_key_domain_to_plmn(bad_bcd[i], mcc, mnc), MBMS_EINVAL);
	/* Must fail on purpose: 001/01 is not 00 f1 01. */
	assert_int_equal(mbms_key_domain_from_plmn("001", "01", kd), 0);
	assert_memory_not_equal(kd, "\x00\xf1\x01", 3);
}

/* RFC 4648 section 10. */
static void test_base64(void **state)
{
	(void)state;
	static const struct {
		const char *plain, *b64;
	} v[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
		 {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char out[16];
		uint8_t back[16];
		size_t n = 99;
		assert_int_equal(mbms_base64_encode((const uint8_t *)v[i].plain, strlen(v[i].plain), out, sizeof(out)), 0);
		assert_string_equal(out, v[i].b64);
		assert_int_equal(mbms_base64_decode(v[i].b64, strlen(v[i].b64), back, sizeof(back), &n), 0);
		assert_int_equal(n, strlen(v[i].plain));
		assert_memory_equal(back, v[i].plain, n);
	}
	static const char *bad[] = {"Zg",   "Zg=",  "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n",
				    "=Zm9", "Zg==Zg==", "Zm9v!A==", "Zm8=Zm8="};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t back[16];
		size_t n;
		if (mbms_base64_decode(bad[i], strlen(bad[i]), back, sizeof(back), &n) != MBMS_ESYNTAX)
			fail_msg("base64 '%s' should be rejected", bad[i]);
	}
	uint8_t small[2];
	size_t n;
	assert_int_equal(mbms_base64_decode("Zm9v", 4, small, sizeof(small), &n), MBMS_ENOSPC);
	char tiny[4];
	assert_int_equal(mbms_base64_encode((const uint8_t *)"foo", 3, tiny, sizeof(tiny)), MBMS_ENOSPC);
}

static void test_hex(void **state)
{
	(void)state;
	uint8_t b[4];
	size_t n;
	assert_int_equal(mbms_hex_decode("00fF10aB", 8, b, 4, &n), 0);
	assert_int_equal(n, 4);
	char s[9];
	assert_int_equal(mbms_hex_encode(b, 4, s, sizeof(s)), 0);
	assert_string_equal(s, "00ff10ab");
	assert_int_equal(mbms_hex_decode("abc", 3, b, 4, &n), MBMS_ESYNTAX);
	assert_int_equal(mbms_hex_decode("zz", 2, b, 4, &n), MBMS_ESYNTAX);
	assert_int_equal(mbms_hex_decode("0011223344", 10, b, 4, &n), MBMS_ENOSPC);
	assert_int_equal(mbms_hex_encode(b, 4, s, 8), MBMS_ENOSPC);
}

static void test_serial16(void **state)
{
	(void)state;
	static const struct {
		uint16_t a, b;
		bool newer;
		const char *why;
	} v[] = {
		{2, 1, true, "plain"},
		{1, 2, false, "older"},
		{5, 5, false, "equal is not newer (10.11)"},
		{0, 0xffff, true, "wrap"},
		{3, 0xfff0, true, "wrap by 19"},
		{0x8000, 0, false, "exactly 2^15 apart (10.9)"},
		{0, 0x8000, false, "exactly 2^15 apart, other way (10.9)"},
		{0x7fff, 0, true, "2^15-1 ahead"},
		{0x8001, 0, false, "2^15+1 ahead is behind"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (mbms_serial16_newer(v[i].a, v[i].b) != v[i].newer)
			fail_msg("serial %u vs %u (%s)", v[i].a, v[i].b, v[i].why);

	static const struct {
		uint16_t id, vf, vt;
		bool in;
	} r[] = {{1, 1, 255, true},       {255, 1, 255, true},    {256, 1, 255, false},
		 {0, 1, 255, false},      {0xff00, 0xff00, 0xff, true}, {0, 0xff00, 0xff, true},
		 {0xff, 0xff00, 0xff, true}, {0x100, 0xff00, 0xff, false}, {0xfeff, 0xff00, 0xff, false}};
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (mbms_serial16_in_range(r[i].id, r[i].vf, r[i].vt) != r[i].in)
			fail_msg("range %u in [%u,%u]", r[i].id, r[i].vf, r[i].vt);

	assert_int_equal(mbms_key_number_next(1), 2);
	assert_int_equal(mbms_key_number_next(0xffff), 1); /* never 0 */
	uint32_t id = mbms_msk_id_make(0x0102, 0x0001);
	assert_int_equal(id, 0x01020001);
	assert_int_equal(mbms_msk_id_key_group(id), 0x0102);
	assert_int_equal(mbms_msk_id_key_number(id), 1);
}

static void test_btid(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	cJSON *ctx = cJSON_GetObjectItem(root, "context");
	uint8_t rand[16], back[16];
	th_hex_into(th_str(ctx, "gba_rand"), rand, 16);
	char btid[128];
	assert_int_equal(mbms_btid_make(rand, "bsf.mnc001.mcc001.pub.3gppnetwork.org", btid, sizeof(btid)), 0);
	assert_string_equal(btid, th_str(ctx, "idr"));
	const char *host;
	assert_int_equal(mbms_btid_parse(btid, back, &host), 0);
	assert_memory_equal(back, rand, 16);
	assert_string_equal(host, "bsf.mnc001.mcc001.pub.3gppnetwork.org");
	static const char *bad[] = {"nohost", "gRE0fvgzT8TRMTt3OEPC4w==@", "@bsf", "Zm9v@bsf",
				    "gRE0fvgzT8TRMTt3OEPC4w=@bsf", "gRE0fvgzT8TRMTt3OEPC4w==@a@b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mbms_btid_parse(bad[i], back, &host) == 0)
			fail_msg("B-TID '%s' should be rejected", bad[i]);
	assert_int_equal(mbms_btid_make(rand, "a@b", btid, sizeof(btid)), MBMS_EINVAL);
	assert_int_equal(mbms_btid_make(rand, "bsf", btid, 10), MBMS_ENOSPC);
	cJSON_Delete(root);
}

static void test_errnames(void **state)
{
	(void)state;
	assert_string_equal(mbms_errname(MBMS_EMAC), "bad_mac");
	assert_string_equal(mbms_errname(MBMS_ETRAILING), "trailing_data");
	assert_string_equal(mbms_errname(12345), "unknown_error");
	/* Every reason named in the vectors' conventions has a code. */
	cJSON *root = th_load_json("independent_cases.json");
	cJSON *codes = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "conventions"), "error_codes");
	cJSON *e;
	cJSON_ArrayForEach(e, codes)
	{
		int found = 0;
		for (int code = 0; code > MBMS_ERR_MIN_; code--)
			if (strcmp(mbms_errname(code), e->string) == 0)
				found = 1;
		if (!found)
			fail_msg("reason '%s' has no MBMS_E* code", e->string);
	}
	cJSON_Delete(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_domain_vectors), cmocka_unit_test(test_key_domain_bad),
		cmocka_unit_test(test_base64),             cmocka_unit_test(test_hex),
		cmocka_unit_test(test_serial16),           cmocka_unit_test(test_btid),
		cmocka_unit_test(test_errnames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
