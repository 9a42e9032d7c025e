/* Milenage (TS 35.206) and AKA (TS 33.102) against published and independent
 * vectors:
 *   - TS 35.208 test sets 1-6 (tests/vectors/ts35208.txt, sources cited there)
 *     and set 1 again from tests/vectors/milenage.txt;
 *   - the "milenage" cases of tests/vectors/independent_cases.json;
 *   - wmnsk/milenage milenage_test.go, case "normal" (AUTN and AUTS with
 *     K = OP = RAND = 00112233..ff, SQN = 1, AMF = 8000);
 * plus AUTN/AUTS round trips with tampering, and the TS 33.102 Annex C.3.2
 * SQN array scheme. */
#include "testutil.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/milenage.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---------- the vector text files ---------- */

/* One test set of a TS 35.208-style text file. */
struct mil_set {
	uint8_t k[16], rand[16], sqn[6], amf[2], op[16], opc[16];
	uint8_t f1[8], f1s[8], f2[8], f5[6], f3[16], f4[16], f5s[6];
	unsigned have; /* bit per field below */
};

static const struct {
	const char *name;
	size_t off, len;
} mil_fields[] = {
	{"K", offsetof(struct mil_set, k), 16},     {"RAND", offsetof(struct mil_set, rand), 16},
	{"SQN", offsetof(struct mil_set, sqn), 6},  {"AMF", offsetof(struct mil_set, amf), 2},
	{"OP", offsetof(struct mil_set, op), 16},   {"OPc", offsetof(struct mil_set, opc), 16},
	{"f1", offsetof(struct mil_set, f1), 8},    {"f1*", offsetof(struct mil_set, f1s), 8},
	{"f2", offsetof(struct mil_set, f2), 8},    {"f5", offsetof(struct mil_set, f5), 6},
	{"f3", offsetof(struct mil_set, f3), 16},   {"f4", offsetof(struct mil_set, f4), 16},
	{"f5*", offsetof(struct mil_set, f5s), 6},
};
#define MIL_ALL_FIELDS ((1u << N(mil_fields)) - 1)

/* Parse "NAME hex" lines ('#' comments, blank lines ignored); a K line starts
 * a new set. Fails the test on an unknown name, bad hex, wrong length, a
 * field given twice or a set missing a field. Returns the number of sets. */
static size_t parse_mil_file(const char *name, struct mil_set *sets, size_t cap)
{
	char *text = th_load_text(name, NULL);
	size_t n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[16], val[80];
		if (line[0] == '#' || sscanf(line, "%15s %79s", key, val) != 2)
			continue;
		size_t f = 0;
		while (f < N(mil_fields) && strcmp(mil_fields[f].name, key) != 0)
			f++;
		if (f == N(mil_fields))
			fail_msg("%s: unknown field '%s'", name, key);
		if (f == 0) {
			if (n == cap)
				fail_msg("%s: more than %zu sets", name, cap);
			memset(&sets[n++], 0, sizeof(sets[0]));
		}
		if (n == 0)
			fail_msg("%s: field %s before the first K", name, key);
		struct mil_set *s = &sets[n - 1];
		if (s->have & (1u << f))
			fail_msg("%s set %zu: %s given twice", name, n, key);
		size_t got = 0;
		if (mbms_hex_decode(val, strlen(val), (uint8_t *)s + mil_fields[f].off,
				    mil_fields[f].len, &got) != 0 ||
		    got != mil_fields[f].len)
			fail_msg("%s set %zu: %s is not %zu bytes of hex", name, n, key,
				 mil_fields[f].len);
		s->have |= 1u << f;
	}
	free(text);
	for (size_t i = 0; i < n; i++)
		if (sets[i].have != MIL_ALL_FIELDS)
			fail_msg("%s set %zu: fields missing (mask %#x)", name, i + 1, sets[i].have);
	return n;
}

/* Run every Milenage function on a set; count the outputs that differ from
 * the set's expectations and name them in `what`. */
static int mil_set_mismatches(const struct mil_set *s, char *what, size_t what_cap)
{
	uint8_t opc[16], mac_a[8], mac_s[8], res[8], ck[16], ik[16], ak[6], ak_star[6];
	int bad = 0;
	what[0] = '\0';
	assert_int_equal(mbms_milenage_opc(s->k, s->op, opc), 0);
	/* f1..f5* from the published OPc, so one wrong OPc is not counted 8 times */
	assert_int_equal(mbms_milenage_f1(s->k, s->opc, s->rand, s->sqn, s->amf, mac_a, mac_s), 0);
	assert_int_equal(mbms_milenage_f2345(s->k, s->opc, s->rand, res, ck, ik, ak, ak_star), 0);
	const struct {
		const char *name;
		const uint8_t *got, *want;
		size_t len;
	} cmp[] = {
		{"OPc", opc, s->opc, 16}, {"f1", mac_a, s->f1, 8},  {"f1*", mac_s, s->f1s, 8},
		{"f2", res, s->f2, 8},    {"f3", ck, s->f3, 16},    {"f4", ik, s->f4, 16},
		{"f5", ak, s->f5, 6},     {"f5*", ak_star, s->f5s, 6},
	};
	for (size_t i = 0; i < N(cmp); i++) {
		if (memcmp(cmp[i].got, cmp[i].want, cmp[i].len) != 0) {
			bad++;
			size_t used = strlen(what);
			snprintf(what + used, what_cap - used, " %s", cmp[i].name);
		}
	}
	return bad;
}

/* The table: which set of which file, optionally with one expected or input
 * field replaced, and whether it must match. */
struct mil_case {
	const char *source;
	const char *file;
	size_t set;             /* 1-based */
	const char *field;      /* NULL: as published */
	const char *field_hex;  /* replacement value */
	int must_match;
};

static const struct mil_case mil_cases[] = {
	{"TS 35.208 test set 1", "ts35208.txt", 1, NULL, NULL, 1},
	{"TS 35.208 test set 2", "ts35208.txt", 2, NULL, NULL, 1},
	{"TS 35.208 test set 3", "ts35208.txt", 3, NULL, NULL, 1},
	{"TS 35.208 test set 4", "ts35208.txt", 4, NULL, NULL, 1},
	{"TS 35.208 test set 5", "ts35208.txt", 5, NULL, NULL, 1},
	{"TS 35.208 test set 6", "ts35208.txt", 6, NULL, NULL, 1},
	{"TS 35.208 test set 1 (milenage.txt)", "milenage.txt", 1, NULL, NULL, 1},
	{"set 1 with f1 off by one bit (must fail)", "ts35208.txt", 1, "f1", "4a9ffac354dfafb2", 0},
	{"set 4 with AMF of set 5 (must fail)", "ts35208.txt", 4, "AMF", "9f07", 0},
	{"set 6 with f5* of set 5 (must fail)", "ts35208.txt", 6, "f5*", "fe2555e54aa9", 0},
};

static void test_ts35208_sets(void **state)
{
	(void)state;
	struct mil_set sets[8];
	assert_int_equal(parse_mil_file("ts35208.txt", sets, N(sets)), 6);
	assert_int_equal(parse_mil_file("milenage.txt", sets, N(sets)), 1);
	for (size_t i = 0; i < N(mil_cases); i++) {
		const struct mil_case *c = &mil_cases[i];
		size_t n = parse_mil_file(c->file, sets, N(sets));
		assert_true(c->set >= 1 && c->set <= n);
		struct mil_set s = sets[c->set - 1];
		if (c->field) {
			size_t f = 0;
			while (strcmp(mil_fields[f].name, c->field) != 0)
				f++;
			th_hex_into(c->field_hex, (uint8_t *)&s + mil_fields[f].off,
				    mil_fields[f].len);
		}
		char what[128];
		int bad = mil_set_mismatches(&s, what, sizeof(what));
		if ((bad == 0) != c->must_match)
			fail_msg("%s: %d outputs differ (%s), expected %s", c->source, bad,
				 bad ? what : "none", c->must_match ? "none" : "some");
	}
}

/* Outputs the caller does not want may be NULL; the others are unchanged. */
static void test_null_outputs(void **state)
{
	(void)state;
	struct mil_set sets[8];
	parse_mil_file("ts35208.txt", sets, N(sets));
	const struct mil_set *s = &sets[2];
	uint8_t mac_s[8], ck[16], ak_star[6];
	assert_int_equal(mbms_milenage_f1(s->k, s->opc, s->rand, s->sqn, s->amf, NULL, mac_s), 0);
	assert_memory_equal(mac_s, s->f1s, 8);
	assert_int_equal(mbms_milenage_f2345(s->k, s->opc, s->rand, NULL, ck, NULL, NULL, ak_star),
			 0);
	assert_memory_equal(ck, s->f3, 16);
	assert_memory_equal(ak_star, s->f5s, 6);
	assert_int_equal(mbms_milenage_f1(s->k, s->opc, s->rand, s->sqn, s->amf, NULL, NULL), 0);
	/* missing inputs are refused */
	assert_int_equal(mbms_milenage_opc(NULL, s->op, ck), MBMS_EINVAL);
	assert_int_equal(mbms_milenage_f1(s->k, NULL, s->rand, s->sqn, s->amf, mac_s, NULL),
			 MBMS_EINVAL);
	assert_int_equal(mbms_milenage_f2345(s->k, s->opc, NULL, NULL, ck, NULL, NULL, NULL),
			 MBMS_EINVAL);
	uint8_t autn[16];
	assert_int_equal(mbms_aka_generate(s->k, s->opc, s->rand, s->sqn, s->amf, NULL, NULL, NULL,
					   NULL),
			 MBMS_EINVAL);
	assert_int_equal(mbms_aka_check_autn(s->k, s->opc, s->rand, NULL, NULL, NULL, NULL, NULL),
			 MBMS_EINVAL);
	assert_int_equal(mbms_aka_generate(s->k, s->opc, s->rand, s->sqn, s->amf, autn, NULL, NULL,
					   NULL),
			 0);
}

/* ---------- independent_cases.json, kind "milenage" ---------- */

static bool hex_eq(const uint8_t *buf, size_t len, const char *hex)
{
	char got[2 * 64 + 1];
	assert_true(len <= 64);
	assert_int_equal(mbms_hex_encode(buf, len, got, sizeof(got)), 0);
	return strcmp(got, hex) == 0;
}

/* Every expected field of one case; returns the number that differ. `amf_hex`
 * replaces the case's AMF when non-NULL (the must-fail row). */
static int json_case_mismatches(const cJSON *c, const char *amf_hex, char *what, size_t what_cap)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, "input");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(c, "expected");
	assert_non_null(in);
	assert_non_null(ex);
	uint8_t k[16], op[16], rand[16], sqn[6], amf[2];
	th_hex_into(th_str(in, "k"), k, 16);
	th_hex_into(th_str(in, "op"), op, 16);
	th_hex_into(th_str(in, "rand"), rand, 16);
	th_hex_into(th_str(in, "sqn"), sqn, 6);
	th_hex_into(amf_hex ? amf_hex : th_str(in, "amf"), amf, 2);

	uint8_t opc[16], mac_a[8], mac_s[8], res[8], ck[16], ik[16], ak[6], ak_star[6];
	uint8_t autn[16], xres[8], ks[32], auts[14], nonce_raw[32];
	char aka_nonce[64], auts_b64[32];
	assert_int_equal(mbms_milenage_opc(k, op, opc), 0);
	assert_int_equal(mbms_milenage_f1(k, opc, rand, sqn, amf, mac_a, mac_s), 0);
	assert_int_equal(mbms_milenage_f2345(k, opc, rand, res, ck, ik, ak, ak_star), 0);
	assert_int_equal(mbms_aka_generate(k, opc, rand, sqn, amf, autn, xres, ks, ks + 16), 0);
	assert_memory_equal(xres, res, 8);
	/* RFC 3310 3.1: the AKA nonce is base64(RAND || AUTN). */
	memcpy(nonce_raw, rand, 16);
	memcpy(nonce_raw + 16, autn, 16);
	assert_int_equal(mbms_base64_encode(nonce_raw, 32, aka_nonce, sizeof(aka_nonce)), 0);
	/* The vector's AUTS is reproduced with SQN_MS = the case's own SQN (its
	 * first six bytes xor ak_star give back input.sqn) and, per TS 33.102
	 * 6.3.3, MAC-S over AMF = 0000, whereas the vector's mac_s is f1* over
	 * the case's AMF. */
	assert_int_equal(mbms_aka_make_auts(k, opc, rand, sqn, auts), 0);
	assert_int_equal(mbms_base64_encode(auts, 14, auts_b64, sizeof(auts_b64)), 0);

	const struct {
		const char *key;
		const uint8_t *got;
		size_t len;
	} bin[] = {
		{"opc", opc, 16}, {"mac_a", mac_a, 8}, {"mac_s", mac_s, 8},     {"res", res, 8},
		{"ck", ck, 16},   {"ik", ik, 16},      {"ak", ak, 6},           {"ak_star", ak_star, 6},
		{"autn", autn, 16}, {"ks", ks, 32},    {"auts", auts, 14},
	};
	int bad = 0;
	what[0] = '\0';
	for (size_t i = 0; i < N(bin); i++) {
		if (!hex_eq(bin[i].got, bin[i].len, th_str(ex, bin[i].key))) {
			bad++;
			size_t used = strlen(what);
			snprintf(what + used, what_cap - used, " %s", bin[i].key);
		}
	}
	if (strcmp(aka_nonce, th_str(ex, "aka_nonce")) != 0) {
		bad++;
		strncat(what, " aka_nonce", what_cap - strlen(what) - 1);
	}
	if (strcmp(auts_b64, th_str(ex, "auts_b64")) != 0) {
		bad++;
		strncat(what, " auts_b64", what_cap - strlen(what) - 1);
	}
	mbms_wipe(ks, sizeof(ks));
	return bad;
}

struct json_row {
	const char *id;      /* case id in independent_cases.json */
	const char *amf_hex; /* NULL: the case's own AMF */
	int must_match;
};

static const struct json_row json_rows[] = {
	{"milenage_1", NULL, 1},
	{"milenage_2", NULL, 1},
	/* AMF enters MAC-A, MAC-S (over the given AMF), AUTN and the nonce, but
	 * neither RES, CK, IK, AK nor AUTS (whose MAC-S uses AMF 0000). */
	{"milenage_1", "3098", 0},
};

static void test_independent_cases(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
	assert_true(cJSON_IsArray(cases));
	size_t seen = 0;
	const cJSON *c;
	/* every milenage case present must reproduce, even ones added later */
	cJSON_ArrayForEach(c, cases)
	{
		if (!th_kind_is(c, "milenage"))
			continue;
		char what[160];
		int bad = json_case_mismatches(c, NULL, what, sizeof(what));
		if (bad)
			fail_msg("%s: %d fields differ:%s", th_str(c, "id"), bad, what);
		seen++;
	}
	assert_true(seen >= 2);
	for (size_t i = 0; i < N(json_rows); i++) {
		const cJSON *found = NULL;
		cJSON_ArrayForEach(c, cases)
		{
			if (strcmp(th_str(c, "id"), json_rows[i].id) == 0)
				found = c;
		}
		if (!found)
			fail_msg("case %s not in independent_cases.json", json_rows[i].id);
		char what[160];
		int bad = json_case_mismatches(found, json_rows[i].amf_hex, what, sizeof(what));
		if ((bad == 0) != json_rows[i].must_match)
			fail_msg("%s (amf %s): %d fields differ (%s), expected %s", json_rows[i].id,
				 json_rows[i].amf_hex ? json_rows[i].amf_hex : "as given", bad,
				 bad ? what : "none", json_rows[i].must_match ? "none" : "some");
		if (!json_rows[i].must_match) /* exactly mac_a, mac_s, autn, aka_nonce */
			assert_int_equal(bad, 4);
	}
	cJSON_Delete(root);
}

/* ---------- AKA: AUTN and AUTS ---------- */

/* wmnsk/milenage milenage_test.go, case "normal": a third implementation's
 * AUTN and AUTS (its AUTS uses SQN_MS = SQN and AMF 0000 for MAC-S). */
static void test_aka_wmnsk(void **state)
{
	(void)state;
	uint8_t k[16], op[16], rand[16], opc[16], autn[16], auts[14], sqn[6], amf[2];
	th_hex_into("00112233445566778899aabbccddeeff", k, 16);
	th_hex_into("00112233445566778899aabbccddeeff", op, 16);
	th_hex_into("00112233445566778899aabbccddeeff", rand, 16);
	th_hex_into("000000000001", sqn, 6);
	th_hex_into("8000", amf, 2);
	assert_int_equal(mbms_milenage_opc(k, op, opc), 0);
	th_assert_hex(opc, 16, "62e75b8d6fa5bf46ec87a9276f9df54d", "wmnsk normal: OPc");
	assert_int_equal(mbms_aka_generate(k, opc, rand, sqn, amf, autn, NULL, NULL, NULL), 0);
	th_assert_hex(autn, 16, "de656c8b0bcf80004af30b82a8531115", "wmnsk normal: AUTN");
	assert_int_equal(mbms_aka_make_auts(k, opc, rand, sqn, auts), 0);
	th_assert_hex(auts, 14, "b9ac50c48a82cdf74673bc86e7ab", "wmnsk normal: AUTS");
}

/* Tampering rows: which byte of AUTN/AUTS to flip, or a wrong key/RAND. */
struct tamper {
	const char *what;
	int flip_byte; /* -1: none */
	int wrong_k, wrong_rand;
	int want;      /* 0 or MBMS_EAUTH */
};

static const struct tamper autn_tampers[] = {
	{"untouched", -1, 0, 0, 0},
	{"SQN^AK byte 0", 0, 0, 0, MBMS_EAUTH},
	{"SQN^AK byte 5", 5, 0, 0, MBMS_EAUTH},
	{"AMF byte 6", 6, 0, 0, MBMS_EAUTH},
	{"AMF byte 7", 7, 0, 0, MBMS_EAUTH},
	{"MAC-A byte 8", 8, 0, 0, MBMS_EAUTH},
	{"MAC-A byte 15", 15, 0, 0, MBMS_EAUTH},
	{"another K", -1, 1, 0, MBMS_EAUTH},
	{"another RAND", -1, 0, 1, MBMS_EAUTH},
};

static void test_autn_round_trip(void **state)
{
	(void)state;
	struct mil_set sets[8];
	size_t n = parse_mil_file("ts35208.txt", sets, N(sets));
	for (size_t i = 0; i < n; i++) {
		const struct mil_set *s = &sets[i];
		uint8_t autn[16], xres[8], ck[16], ik[16];
		assert_int_equal(mbms_aka_generate(s->k, s->opc, s->rand, s->sqn, s->amf, autn, xres,
						   ck, ik),
				 0);
		/* AUTN layout, TS 33.102 6.3.2 */
		for (int b = 0; b < 6; b++)
			assert_int_equal(autn[b], s->sqn[b] ^ s->f5[b]);
		assert_memory_equal(autn + 6, s->amf, 2);
		assert_memory_equal(autn + 8, s->f1, 8);
		assert_memory_equal(xres, s->f2, 8);
		for (size_t t = 0; t < N(autn_tampers); t++) {
			const struct tamper *tp = &autn_tampers[t];
			uint8_t a[16], k[16], rand[16];
			memcpy(a, autn, 16);
			memcpy(k, s->k, 16);
			memcpy(rand, s->rand, 16);
			for (int bit = 0; bit < 8; bit++) {
				if (tp->flip_byte >= 0)
					a[tp->flip_byte] ^= (uint8_t)(1u << bit);
				if (tp->wrong_k)
					k[bit] ^= 0x01;
				if (tp->wrong_rand)
					rand[15 - bit] ^= 0x80;
				uint8_t sqn[6], res[8], ck2[16], ik2[16];
				memset(sqn, 0xee, 6);
				memset(res, 0xee, 8);
				int rc = mbms_aka_check_autn(k, s->opc, rand, a, sqn, res, ck2, ik2);
				if (rc != tp->want)
					fail_msg("set %zu, %s, bit %d: rc %d, want %d", i + 1, tp->what,
						 bit, rc, tp->want);
				if (rc == 0) {
					assert_memory_equal(sqn, s->sqn, 6);
					assert_memory_equal(res, s->f2, 8);
					assert_memory_equal(ck2, s->f3, 16);
					assert_memory_equal(ik2, s->f4, 16);
					break; /* untouched: nothing to vary */
				}
				/* a rejected AUTN yields no SQN and no RES */
				for (int b = 0; b < 6; b++)
					assert_int_equal(sqn[b], 0xee);
				for (int b = 0; b < 8; b++)
					assert_int_equal(res[b], 0xee);
				if (tp->flip_byte >= 0)
					a[tp->flip_byte] ^= (uint8_t)(1u << bit);
			}
		}
		/* sqn and the key outputs are optional */
		assert_int_equal(mbms_aka_check_autn(s->k, s->opc, s->rand, autn, NULL, NULL, NULL,
						     NULL),
				 0);
	}
}

static const struct tamper auts_tampers[] = {
	{"untouched", -1, 0, 0, 0},
	{"SQN_MS^AK* byte 0", 0, 0, 0, MBMS_EAUTH},
	{"SQN_MS^AK* byte 5", 5, 0, 0, MBMS_EAUTH},
	{"MAC-S byte 6", 6, 0, 0, MBMS_EAUTH},
	{"MAC-S byte 13", 13, 0, 0, MBMS_EAUTH},
	{"another K", -1, 1, 0, MBMS_EAUTH},
	{"another RAND", -1, 0, 1, MBMS_EAUTH},
};

static void test_auts_round_trip(void **state)
{
	(void)state;
	struct mil_set sets[8];
	size_t n = parse_mil_file("ts35208.txt", sets, N(sets));
	static const uint8_t zero_amf[2] = {0, 0};
	for (size_t i = 0; i < n; i++) {
		const struct mil_set *s = &sets[i];
		uint8_t auts[14], mac_s[8];
		assert_int_equal(mbms_aka_make_auts(s->k, s->opc, s->rand, s->sqn, auts), 0);
		/* AUTS layout, TS 33.102 6.3.3: SQN_MS xor AK* || f1*(AMF = 0000) */
		for (int b = 0; b < 6; b++)
			assert_int_equal(auts[b], s->sqn[b] ^ s->f5s[b]);
		assert_int_equal(mbms_milenage_f1(s->k, s->opc, s->rand, s->sqn, zero_amf, NULL,
						  mac_s),
				 0);
		assert_memory_equal(auts + 6, mac_s, 8);
		for (size_t t = 0; t < N(auts_tampers); t++) {
			const struct tamper *tp = &auts_tampers[t];
			uint8_t a[14], k[16], rand[16], sqn_ms[6];
			memcpy(a, auts, 14);
			memcpy(k, s->k, 16);
			memcpy(rand, s->rand, 16);
			if (tp->flip_byte >= 0)
				a[tp->flip_byte] ^= 0x10;
			if (tp->wrong_k)
				k[0] ^= 0x01;
			if (tp->wrong_rand)
				rand[0] ^= 0x01;
			memset(sqn_ms, 0xee, 6);
			int rc = mbms_aka_check_auts(k, s->opc, rand, a, sqn_ms);
			if (rc != tp->want)
				fail_msg("set %zu, AUTS %s: rc %d, want %d", i + 1, tp->what, rc,
					 tp->want);
			if (rc == 0) {
				assert_memory_equal(sqn_ms, s->sqn, 6);
			} else {
				for (int b = 0; b < 6; b++)
					assert_int_equal(sqn_ms[b], 0xee);
			}
		}
	}
}

/* ---------- SQN: TS 33.102 Annex C.3.2 array scheme ---------- */

#define SQN(seq, ind) (((uint64_t)(seq) << MBMS_SQN_IND_BITS) | (uint64_t)(ind))

/* Rows run in order through one USIM state; a fresh SQN is then accepted. */
struct sqn_row {
	const char *what;
	uint64_t sqn;
	bool fresh;
};

static const struct sqn_row sqn_rows[] = {
	{"fresh USIM, SEQ 1 IND 0", SQN(1, 0), true},
	{"replayed: SEQ 1 IND 0 again (must fail)", SQN(1, 0), false},
	{"SEQ 0 on an unused IND (must fail)", SQN(0, 9), false},
	{"SEQ 5 IND 3", SQN(5, 3), true},
	{"same IND, older SEQ 4 (must fail)", SQN(4, 3), false},
	{"same IND, same SEQ 5 (must fail)", SQN(5, 3), false},
	{"other IND, SEQ 2 < highest 5: still fresh", SQN(2, 0), true},
	{"unused IND 7, SEQ 3", SQN(3, 7), true},
	{"IND 31, SEQ 6", SQN(6, 31), true},
	{"IND wraps to 0 with SEQ 7", SQN(7, 0), true},
	{"IND 0 now holds 7: SEQ 6 (must fail)", SQN(6, 0), false},
	{"largest SQN, 2^48 - 1", SQN((UINT64_C(1) << 43) - 1, 31), true},
	{"above 48 bits (must fail)", UINT64_C(1) << 48, false},
};

static void test_sqn_array(void **state)
{
	(void)state;
	struct mbms_sqn_ms st;
	memset(&st, 0, sizeof(st));
	assert_int_equal(mbms_sqn_ms_highest(&st), 0);
	for (size_t i = 0; i < N(sqn_rows); i++) {
		bool fresh = mbms_sqn_check(&st, sqn_rows[i].sqn);
		if (fresh != sqn_rows[i].fresh)
			fail_msg("SQN row %zu (%s): fresh=%d, expected %d", i, sqn_rows[i].what,
				 fresh, sqn_rows[i].fresh);
		if (fresh)
			mbms_sqn_accept(&st, sqn_rows[i].sqn);
		if (i == 9) /* before the 2^48-1 row: highest is SEQ 7 IND 0 */
			assert_int_equal(mbms_sqn_ms_highest(&st), SQN(7, 0));
	}
	assert_int_equal(mbms_sqn_ms_highest(&st), SQN((UINT64_C(1) << 43) - 1, 31));
	/* accepting a stale or out-of-range SQN changes nothing */
	struct mbms_sqn_ms before = st;
	mbms_sqn_accept(&st, SQN(1, 3));
	mbms_sqn_accept(&st, UINT64_C(1) << 50);
	assert_memory_equal(&before, &st, sizeof(st));
}

struct next_row {
	const char *what;
	uint64_t last, next;
};

static const struct next_row next_rows[] = {
	{"from zero", 0, SQN(1, 1)},
	{"IND steps with SEQ", SQN(41, 4), SQN(42, 5)},
	{"IND wraps 31 -> 0", SQN(7, 31), SQN(8, 0)},
	{"SEQ wraps at 2^43", SQN((UINT64_C(1) << 43) - 1, 2), SQN(0, 3)},
	{"bits above 48 ignored", (UINT64_C(1) << 60) | SQN(3, 3), SQN(4, 4)},
};

static void test_sqn_next(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(next_rows); i++) {
		uint64_t got = mbms_sqn_next(next_rows[i].last);
		if (got != next_rows[i].next)
			fail_msg("sqn_next %s: %#llx, want %#llx", next_rows[i].what,
				 (unsigned long long)got, (unsigned long long)next_rows[i].next);
	}
	/* The point of the array scheme: 32 consecutive vectors, delivered in
	 * reverse order, are all fresh; any one of them again is not. */
	uint64_t sqns[MBMS_SQN_IND_COUNT], last = SQN(100, 17);
	for (size_t i = 0; i < N(sqns); i++)
		sqns[i] = last = mbms_sqn_next(last);
	struct mbms_sqn_ms st;
	memset(&st, 0, sizeof(st));
	for (size_t i = N(sqns); i-- > 0;) {
		assert_true(mbms_sqn_check(&st, sqns[i]));
		mbms_sqn_accept(&st, sqns[i]);
	}
	for (size_t i = 0; i < N(sqns); i++)
		assert_false(mbms_sqn_check(&st, sqns[i]));
	assert_int_equal(mbms_sqn_ms_highest(&st), sqns[N(sqns) - 1]);
}

/* The whole resynchronisation (TS 33.102 6.3.3, 6.3.5): the USIM rejects a
 * stale SQN with AUTS made from its highest SQN, the AuC recovers SQN_MS,
 * steps past it, and the next AUTN is accepted. */
static void test_resync_flow(void **state)
{
	(void)state;
	struct mil_set sets[8];
	parse_mil_file("ts35208.txt", sets, N(sets));
	const struct mil_set *s = &sets[4];
	struct mbms_sqn_ms usim;
	memset(&usim, 0, sizeof(usim));
	mbms_sqn_accept(&usim, SQN(500, 4));
	uint8_t sqn[6], autn[16], auts[14], sqn_ms[6], rx[6];
	const uint8_t amf[2] = {0x80, 0x00};

	mbms_sqn_to_bytes(SQN(12, 4), sqn); /* the HSS is behind */
	assert_int_equal(mbms_aka_generate(s->k, s->opc, s->rand, sqn, amf, autn, NULL, NULL, NULL),
			 0);
	assert_int_equal(mbms_aka_check_autn(s->k, s->opc, s->rand, autn, rx, NULL, NULL, NULL), 0);
	assert_false(mbms_sqn_check(&usim, mbms_sqn_from_bytes(rx)));
	mbms_sqn_to_bytes(mbms_sqn_ms_highest(&usim), sqn_ms);
	assert_int_equal(mbms_aka_make_auts(s->k, s->opc, s->rand, sqn_ms, auts), 0);

	uint8_t got_ms[6];
	assert_int_equal(mbms_aka_check_auts(s->k, s->opc, s->rand, auts, got_ms), 0);
	assert_int_equal(mbms_sqn_from_bytes(got_ms), SQN(500, 4));
	mbms_sqn_to_bytes(mbms_sqn_next(mbms_sqn_from_bytes(got_ms)), sqn);
	assert_int_equal(mbms_aka_generate(s->k, s->opc, s->rand, sqn, amf, autn, NULL, NULL, NULL),
			 0);
	assert_int_equal(mbms_aka_check_autn(s->k, s->opc, s->rand, autn, rx, NULL, NULL, NULL), 0);
	assert_true(mbms_sqn_check(&usim, mbms_sqn_from_bytes(rx)));
}

static int teardown(void **state)
{
	(void)state;
	mbms_crypto_thread_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ts35208_sets),      cmocka_unit_test(test_null_outputs),
		cmocka_unit_test(test_independent_cases), cmocka_unit_test(test_aka_wmnsk),
		cmocka_unit_test(test_autn_round_trip),   cmocka_unit_test(test_auts_round_trip),
		cmocka_unit_test(test_sqn_array),         cmocka_unit_test(test_sqn_next),
		cmocka_unit_test(test_resync_flow),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
