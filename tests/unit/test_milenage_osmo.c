/* Our Milenage against libosmocore's (libosmogsm 1.7) as a live oracle:
 *   - 1,000 pseudo-random inputs (K, OP -> OPc, RAND, SQN, AMF): OPc, MAC-A,
 *     MAC-S, RES, CK, IK, AK, AK*, plus AUTN (osmo's milenage_generate) and
 *     our AUTS accepted by osmo's milenage_auts with the right SQN_MS;
 *   - every set of tests/vectors/ts35208.txt, so the transcribed vectors are
 *     checked by an implementation other than ours;
 *   - rows that perturb our side's input and must NOT match, proving the
 *     comparison can fail.
 * The inputs come from a fixed-seed xorshift64* generator so that a failure
 * is reproducible; set MBMS_TEST_SEED to try other inputs. */
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

/* libosmogsm exports these without a public header (src/gsm/milenage/
 * milenage.h in libosmocore; checked with nm -D on libosmogsm.so.18).
 * All return 0 on success, -1 on failure. */
typedef uint8_t u8;
int milenage_opc_gen(u8 *opc, const u8 *k, const u8 *op);
int milenage_f1(const u8 *opc, const u8 *k, const u8 *_rand, const u8 *sqn, const u8 *amf,
		u8 *mac_a, u8 *mac_s);
int milenage_f2345(const u8 *opc, const u8 *k, const u8 *_rand, u8 *res, u8 *ck, u8 *ik, u8 *ak,
		   u8 *akstar);
void milenage_generate(const u8 *opc, const u8 *amf, const u8 *k, const u8 *sqn, const u8 *_rand,
		       u8 *autn, u8 *ik, u8 *ck, u8 *res, size_t *res_len);
int milenage_auts(const u8 *opc, const u8 *k, const u8 *_rand, const u8 *auts, u8 *sqn);

/* ---------- inputs ---------- */

struct input {
	uint8_t k[16], op[16], rand[16], sqn[6], amf[2];
};

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * UINT64_C(0x2545F4914F6CDD1D);
}

static void rng_fill(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(rng_next() >> 56);
}

static void random_input(struct input *in)
{
	rng_fill(in->k, 16);
	rng_fill(in->op, 16);
	rng_fill(in->rand, 16);
	rng_fill(in->sqn, 6);
	rng_fill(in->amf, 2);
}

/* ---------- one comparison ---------- */

enum perturb {
	PERTURB_NONE,
	PERTURB_AMF, /* our side gets AMF ^ 1: MAC-A, MAC-S, AUTN must differ */
	PERTURB_OP,  /* our side uses OP where OPc belongs: everything differs */
	PERTURB_RAND /* our side gets RAND ^ 0x80 in byte 15: all but OPc differ */
};

/* Compare our outputs with osmo's for one input; returns the number of
 * differing values and names them in `what`. */
static int compare(const struct input *in, enum perturb p, char *what, size_t what_cap)
{
	uint8_t o_opc[16], o_mac_a[8], o_mac_s[8], o_res[8], o_ck[16], o_ik[16], o_ak[6],
		o_ak_star[6], o_autn[16], o_ik2[16], o_ck2[16], o_res2[16];
	size_t o_res_len = sizeof(o_res2);
	assert_int_equal(milenage_opc_gen(o_opc, in->k, in->op), 0);
	assert_int_equal(milenage_f1(o_opc, in->k, in->rand, in->sqn, in->amf, o_mac_a, o_mac_s),
			 0);
	assert_int_equal(
		milenage_f2345(o_opc, in->k, in->rand, o_res, o_ck, o_ik, o_ak, o_ak_star), 0);
	milenage_generate(o_opc, in->amf, in->k, in->sqn, in->rand, o_autn, o_ik2, o_ck2, o_res2,
			  &o_res_len);
	assert_int_equal(o_res_len, 8);

	uint8_t amf[2], rand[16], opc[16], use_opc[16];
	memcpy(amf, in->amf, 2);
	memcpy(rand, in->rand, 16);
	if (p == PERTURB_AMF)
		amf[1] ^= 0x01;
	if (p == PERTURB_RAND)
		rand[15] ^= 0x80;
	assert_int_equal(mbms_milenage_opc(in->k, in->op, opc), 0);
	memcpy(use_opc, p == PERTURB_OP ? in->op : opc, 16);

	uint8_t mac_a[8], mac_s[8], res[8], ck[16], ik[16], ak[6], ak_star[6], autn[16], xres[8];
	assert_int_equal(mbms_milenage_f1(in->k, use_opc, rand, in->sqn, amf, mac_a, mac_s), 0);
	assert_int_equal(mbms_milenage_f2345(in->k, use_opc, rand, res, ck, ik, ak, ak_star), 0);
	assert_int_equal(mbms_aka_generate(in->k, use_opc, rand, in->sqn, amf, autn, xres, NULL,
					   NULL),
			 0);

	const struct {
		const char *name;
		const uint8_t *ours, *theirs;
		size_t len;
	} cmp[] = {
		{"OPc", opc, o_opc, 16},       {"MAC-A", mac_a, o_mac_a, 8},
		{"MAC-S", mac_s, o_mac_s, 8},  {"RES", res, o_res, 8},
		{"CK", ck, o_ck, 16},          {"IK", ik, o_ik, 16},
		{"AK", ak, o_ak, 6},           {"AK*", ak_star, o_ak_star, 6},
		{"AUTN", autn, o_autn, 16},    {"XRES", xres, o_res2, 8},
	};
	int bad = 0;
	what[0] = '\0';
	for (size_t i = 0; i < N(cmp); i++) {
		if (memcmp(cmp[i].ours, cmp[i].theirs, cmp[i].len) != 0) {
			bad++;
			size_t used = strlen(what);
			snprintf(what + used, what_cap - used, " %s", cmp[i].name);
		}
	}
	/* Our AUTS must be accepted by osmo's resync check and give back SQN_MS
	 * (both use MAC-S over AMF 0000, TS 33.102 6.3.3). */
	uint8_t auts[14], o_sqn_ms[6];
	assert_int_equal(mbms_aka_make_auts(in->k, use_opc, rand, in->sqn, auts), 0);
	if (milenage_auts(o_opc, in->k, in->rand, auts, o_sqn_ms) != 0 ||
	    memcmp(o_sqn_ms, in->sqn, 6) != 0) {
		bad++;
		strncat(what, " AUTS", what_cap - strlen(what) - 1);
	}
	return bad;
}

/* The table: how many inputs, how our side is perturbed, and what must come
 * out. `expect_bad` is the exact number of differing values for the
 * must-fail rows (0 for the rows that must match). */
struct row {
	const char *what;
	size_t count;
	enum perturb perturb;
	int expect_bad;
};

static const struct row rows[] = {
	{"1,000 random inputs, all outputs equal", 1000, PERTURB_NONE, 0},
	/* MAC-A, MAC-S, AUTN differ (AUTS uses AMF 0000 and survives) */
	{"our AMF off by one bit (must fail)", 20, PERTURB_AMF, 3},
	/* all but OPc itself: 9 values and AUTS */
	{"our OPc replaced by OP (must fail)", 20, PERTURB_OP, 10},
	/* every RAND-dependent value: all but OPc */
	{"our RAND off by one bit (must fail)", 20, PERTURB_RAND, 10},
};

static void test_random_vs_osmo(void **state)
{
	(void)state;
	const char *env = getenv("MBMS_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : UINT64_C(0x6d626d7373656331);
	if (seed == 0)
		seed = 1; /* xorshift needs a non-zero state */
	rng_state = seed;
	for (size_t r = 0; r < N(rows); r++) {
		for (size_t i = 0; i < rows[r].count; i++) {
			struct input in;
			random_input(&in);
			char what[128];
			int bad = compare(&in, rows[r].perturb, what, sizeof(what));
			if (bad != rows[r].expect_bad) {
				char k_hex[33];
				mbms_hex_encode(in.k, 16, k_hex, sizeof(k_hex));
				fail_msg("%s, input %zu (seed %#llx, K %s): %d values differ (%s), "
					 "expected %d",
					 rows[r].what, i, (unsigned long long)seed, k_hex, bad,
					 bad ? what : " none", rows[r].expect_bad);
			}
		}
	}
}

/* Every set of ts35208.txt through libosmocore: osmo's outputs must equal
 * the file's values (the file's own check, independent of our code). */
static void test_vector_file_vs_osmo(void **state)
{
	(void)state;
	char *text = th_load_text("ts35208.txt", NULL);
	struct {
		const char *name;
		uint8_t v[16];
		size_t len;
	} f[] = {
		{"K", {0}, 16},  {"RAND", {0}, 16}, {"SQN", {0}, 6}, {"AMF", {0}, 2}, {"OP", {0}, 16},
		{"OPc", {0}, 16}, {"f1", {0}, 8},   {"f1*", {0}, 8}, {"f2", {0}, 8},  {"f5", {0}, 6},
		{"f3", {0}, 16}, {"f4", {0}, 16},   {"f5*", {0}, 6},
	};
	unsigned have = 0, sets = 0;
	char *save = NULL;
	/* a trailing sentinel line flushes the last set */
	for (char *line = strtok_r(text, "\n", &save);; line = strtok_r(NULL, "\n", &save)) {
		char key[16] = "K", val[80] = "";
		bool end = line == NULL;
		if (!end && (line[0] == '#' || sscanf(line, "%15s %79s", key, val) != 2))
			continue;
		if ((end || strcmp(key, "K") == 0) && have) {
			assert_int_equal(have, (1u << N(f)) - 1);
			sets++;
			uint8_t opc[16], mac_a[8], mac_s[8], res[8], ck[16], ik[16], ak[6], aks[6];
			assert_int_equal(milenage_opc_gen(opc, f[0].v, f[4].v), 0);
			assert_int_equal(milenage_f1(opc, f[0].v, f[1].v, f[2].v, f[3].v, mac_a, mac_s),
					 0);
			assert_int_equal(milenage_f2345(opc, f[0].v, f[1].v, res, ck, ik, ak, aks), 0);
			const uint8_t *got[] = {opc, mac_a, mac_s, res, ak, ck, ik, aks};
			for (size_t i = 0; i < N(got); i++)
				if (memcmp(got[i], f[5 + i].v, f[5 + i].len) != 0)
					fail_msg("ts35208.txt set %u: libosmocore disagrees on %s", sets,
						 f[5 + i].name);
			have = 0;
		}
		if (end)
			break;
		size_t i = 0;
		while (i < N(f) && strcmp(f[i].name, key) != 0)
			i++;
		assert_true(i < N(f));
		size_t got_len = 0;
		assert_int_equal(mbms_hex_decode(val, strlen(val), f[i].v, f[i].len, &got_len), 0);
		assert_int_equal(got_len, f[i].len);
		have |= 1u << i;
	}
	free(text);
	assert_int_equal(sets, 6);
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
		cmocka_unit_test(test_random_vs_osmo),
		cmocka_unit_test(test_vector_file_vs_osmo),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
