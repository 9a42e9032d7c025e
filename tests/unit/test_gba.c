/* GBA over Ub, both ends in memory (lib/gba_client.c, lib/gba_server.c,
 * lib/gba_xml.c) with fixed time and fixed RANDs: success, wrong RES, MAC-A
 * failure, SQN failure -> AUTS -> resync -> success, B-TID checks, the XML
 * bodies and xs:dateTime. Vectors: tests/vectors/independent_cases.json
 * ("milenage" cases: aka_nonce, auts_b64). */
#include "testutil.h"

#include "mbmssec/crypto.h"
#include "mbmssec/digest.h"
#include "mbmssec/error.h"
#include "mbmssec/gba.h"
#include "mbmssec/ids.h"
#include "mbmssec/milenage.h"

#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const BSF = "bsf.mnc001.mcc001.pub.3gppnetwork.org";
static const char *const IMPI = "001010123456789@ims.mnc001.mcc001.3gppnetwork.org";
static const char *const NAF = "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org";
static const uint64_t NOW = 1767225600; /* 2026-01-01T00:00:00Z */
static const uint64_t LIFETIME = 3600;

/* TS 35.208 test set 1 K / OPc. */
static const char *const K_HEX = "465b5ce8b199b49faa5f0a2ee238a6bc";
static const char *const OPC_HEX = "cd63cb71954a9f4e48a5994e37a02baf";

struct fixture {
	struct mbms_gba_subscriber sub;
	struct mbms_gba_client ue;
};

static void fixture_init(struct fixture *f, const char *ue_k_hex)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->sub.impi, sizeof(f->sub.impi), "%s", IMPI);
	th_hex_into(K_HEX, f->sub.k, 16);
	th_hex_into(OPC_HEX, f->sub.opc, 16);
	f->sub.amf[0] = 0x80;
	f->sub.sqn = 0;
	uint8_t k[16], opc[16];
	th_hex_into(ue_k_hex ? ue_k_hex : K_HEX, k, 16);
	th_hex_into(OPC_HEX, opc, 16);
	assert_int_equal(mbms_gba_client_init(&f->ue, IMPI, k, opc, BSF, NULL), 0);
}

static void fake_rand(uint8_t rand[16], uint8_t seed)
{
	for (int i = 0; i < 16; i++)
		rand[i] = (uint8_t)(seed * 17 + i);
}

/* The BSF's side of one request: parse the Authorization, answer with a
 * challenge when it is the first one. */
static void bsf_challenge(struct fixture *f, const char *authz, uint8_t seed,
			  struct mbms_gba_challenge *ch, char *www, size_t www_cap)
{
	struct mbms_gba_authz a;
	uint8_t rand[16];
	assert_int_equal(mbms_gba_server_parse_authz(authz, strlen(authz), &a), 0);
	assert_string_equal(a.impi, IMPI);
	fake_rand(rand, seed);
	assert_int_equal(mbms_gba_server_challenge(BSF, &f->sub, rand, ch, www, www_cap), 0);
	f->sub.sqn = ch->sqn; /* the daemon stores it before sending the 401 */
}

static void test_success(void **state)
{
	(void)state;
	struct fixture f;
	struct mbms_gba_challenge ch;
	struct mbms_gba_authz a;
	struct mbms_gba_bootstrap bs;
	char authz[MBMS_GBA_AUTH_MAX], www[MBMS_GBA_AUTH_MAX], ai[512], body[1024];
	size_t body_len;
	enum mbms_gba_answer ans;
	enum mbms_gba_verdict verdict;
	uint64_t sqn_ms;

	fixture_init(&f, NULL);
	assert_int_equal(mbms_gba_client_first_request(&f.ue, authz, sizeof(authz)), 0);
	/* PROFILE.md 10.15 */
	assert_non_null(strstr(authz, "username=\"001010123456789@ims"));
	assert_non_null(strstr(authz, "nonce=\"\""));
	assert_non_null(strstr(authz, "uri=\"/\""));
	assert_non_null(strstr(authz, "response=\"\""));
	assert_int_equal(mbms_gba_server_parse_authz(authz, strlen(authz), &a), 0);
	assert_true(a.initial);

	bsf_challenge(&f, authz, 1, &ch, www, sizeof(www));
	assert_non_null(strstr(www, "algorithm=AKAv1-MD5"));
	assert_non_null(strstr(www, "qop=\"auth-int\""));
	assert_int_equal(mbms_gba_client_challenge(&f.ue, www, strlen(www), "0a1b2c3d4e5f6071",
						   authz, sizeof(authz), &ans),
			 0);
	assert_int_equal(ans, MBMS_GBA_ANSWER_RES);
	assert_null(strstr(authz, "auts="));

	assert_int_equal(mbms_gba_server_parse_authz(authz, strlen(authz), &a), 0);
	assert_false(a.initial);
	uint8_t nonce_rand[16];
	assert_int_equal(mbms_gba_nonce_rand(a.nonce, nonce_rand), 0);
	assert_memory_equal(nonce_rand, ch.rand, 16);
	assert_int_equal(mbms_gba_server_verify(BSF, &f.sub, &ch, &a, "GET", "/", NULL, 0, &verdict,
						&sqn_ms),
			 0);
	assert_int_equal(verdict, MBMS_GBA_VERDICT_OK);
	assert_int_equal(mbms_gba_server_success(BSF, &f.sub, &ch, &a, NOW + LIFETIME, &bs, body,
						 sizeof(body), &body_len, ai, sizeof(ai)),
			 0);
	assert_non_null(strstr(ai, "rspauth="));
	assert_int_equal(mbms_gba_client_result(&f.ue, ai, strlen(ai), (const uint8_t *)body,
						body_len, NOW),
			 0);
	assert_true(f.ue.rspauth_checked);
	assert_string_equal(f.ue.btid, bs.btid);
	assert_int_equal(f.ue.expires_at, NOW + LIFETIME);
	assert_memory_equal(f.ue.ks, bs.ks, MBMS_KS_LEN);

	/* B-TID = base64(RAND) "@" BSF (TS 33.220 4.5.2) */
	char want_btid[MBMS_GBA_BTID_MAX];
	assert_int_equal(mbms_btid_make(ch.rand, BSF, want_btid, sizeof(want_btid)), 0);
	assert_string_equal(bs.btid, want_btid);

	/* Ks_NAF agrees on both sides and is KDF(Ks, gba-me, RAND, IMPI, NAF_ID). */
	uint8_t ue_ks_naf[32], bsf_ks_naf[32], direct[32];
	assert_int_equal(mbms_gba_client_ks_naf(&f.ue, NAF, NOW + 10, ue_ks_naf), 0);
	assert_int_equal(mbms_gba_bootstrap_ks_naf(&bs, NAF, mbms_ua_id_mbms, NOW + 10, bsf_ks_naf),
			 0);
	assert_memory_equal(ue_ks_naf, bsf_ks_naf, 32);
	assert_int_equal(mbms_ks_naf(bs.ks, ch.rand, IMPI, NAF, mbms_ua_id_mbms, direct), 0);
	assert_memory_equal(direct, ue_ks_naf, 32);
	/* ...and runs out with the lifetime */
	assert_int_equal(mbms_gba_client_ks_naf(&f.ue, NAF, NOW + LIFETIME, ue_ks_naf),
			 MBMS_EEXPIRED);
	assert_int_equal(mbms_gba_bootstrap_ks_naf(&bs, NAF, mbms_ua_id_mbms, NOW + LIFETIME,
						   bsf_ks_naf),
			 MBMS_EEXPIRED);

	/* The USIM recorded the SQN: the same challenge again is a replay. */
	assert_false(mbms_sqn_check(&f.ue.sqn_ms, ch.sqn));
	mbms_gba_client_wipe(&f.ue);
}

/* One run up to the BSF's parse of the RES answer. */
static void run_to_answer(struct fixture *f, struct mbms_gba_challenge *ch,
			  struct mbms_gba_authz *a, enum mbms_gba_answer *ans)
{
	char authz[MBMS_GBA_AUTH_MAX], www[MBMS_GBA_AUTH_MAX];
	assert_int_equal(mbms_gba_client_first_request(&f->ue, authz, sizeof(authz)), 0);
	bsf_challenge(f, authz, 2, ch, www, sizeof(www));
	assert_int_equal(mbms_gba_client_challenge(&f->ue, www, strlen(www), "cafe", authz,
						   sizeof(authz), ans),
			 0);
	assert_int_equal(mbms_gba_server_parse_authz(authz, strlen(authz), a), 0);
}

static void test_wrong_res(void **state)
{
	(void)state;
	struct fixture f;
	struct mbms_gba_challenge ch;
	struct mbms_gba_authz a;
	enum mbms_gba_answer ans;
	enum mbms_gba_verdict verdict;
	uint64_t sqn_ms;
	fixture_init(&f, NULL);
	run_to_answer(&f, &ch, &a, &ans);
	assert_int_equal(ans, MBMS_GBA_ANSWER_RES);
	/* control: the untouched answer passes */
	assert_int_equal(mbms_gba_server_verify(BSF, &f.sub, &ch, &a, "GET", "/", NULL, 0, &verdict,
						&sqn_ms),
			 0);
	/* a different XRES at the BSF = a wrong RES from the UE */
	struct mbms_gba_challenge bad = ch;
	bad.xres[0] ^= 1;
	assert_int_equal(mbms_gba_server_verify(BSF, &f.sub, &bad, &a, "GET", "/", NULL, 0,
						&verdict, &sqn_ms),
			 MBMS_EAUTH);
	assert_int_equal(verdict, MBMS_GBA_VERDICT_BAD_RES);
	/* a tampered response digest */
	struct mbms_gba_authz t = a;
	t.response[5] = t.response[5] == '0' ? '1' : '0';
	assert_int_equal(mbms_gba_server_verify(BSF, &f.sub, &ch, &t, "GET", "/", NULL, 0, &verdict,
						&sqn_ms),
			 MBMS_EAUTH);
	assert_int_equal(verdict, MBMS_GBA_VERDICT_BAD_RES);
	/* auth-int: a body the UE did not sign */
	assert_int_equal(mbms_gba_server_verify(BSF, &f.sub, &ch, &a, "GET", "/",
						(const uint8_t *)"x", 1, &verdict, &sqn_ms),
			 MBMS_EAUTH);
	/* answers that do not belong to this challenge */
	struct mbms_gba_challenge other = ch;
	other.nonce[3] = other.nonce[3] == 'A' ? 'B' : 'A';
	assert_int_equal(mbms_gba_server_verify(BSF, &f.sub, &other, &a, "GET", "/", NULL, 0,
						&verdict, &sqn_ms),
			 MBMS_ESYNTAX);
	assert_int_equal(mbms_gba_server_verify("other.bsf", &f.sub, &ch, &a, "GET", "/", NULL, 0,
						&verdict, &sqn_ms),
			 MBMS_ESYNTAX);
	assert_int_equal(mbms_gba_server_verify(BSF, &f.sub, &ch, &a, "GET", "/x", NULL, 0,
						&verdict, &sqn_ms),
			 MBMS_ESYNTAX);
	mbms_gba_client_wipe(&f.ue);
}

static void test_mac_a_failure(void **state)
{
	(void)state;
	struct fixture f;
	struct mbms_gba_challenge ch;
	struct mbms_gba_authz a;
	enum mbms_gba_answer ans;
	enum mbms_gba_verdict verdict;
	uint64_t sqn_ms;
	fixture_init(&f, "00000000000000000000000000000001"); /* the UE holds another K */
	run_to_answer(&f, &ch, &a, &ans);
	assert_int_equal(ans, MBMS_GBA_ANSWER_MAC_FAILURE);
	assert_int_equal(f.ue.state, MBMS_GBA_CLIENT_FAILED);
	assert_false(a.has_auts);
	assert_int_equal(mbms_gba_server_verify(BSF, &f.sub, &ch, &a, "GET", "/", NULL, 0, &verdict,
						&sqn_ms),
			 MBMS_EAUTH);
	assert_int_equal(verdict, MBMS_GBA_VERDICT_UE_MAC_FAIL);
	/* a failed client takes no result */
	assert_int_equal(mbms_gba_client_result(&f.ue, NULL, 0, (const uint8_t *)"", 0, NOW),
			 MBMS_ESTATE);
	uint8_t out[32];
	assert_int_equal(mbms_gba_client_ks_naf(&f.ue, NAF, NOW, out), MBMS_ESTATE);
	mbms_gba_client_wipe(&f.ue);
}

static void test_sqn_failure_resync(void **state)
{
	(void)state;
	struct fixture f;
	struct mbms_gba_challenge ch;
	struct mbms_gba_authz a;
	struct mbms_gba_bootstrap bs;
	char authz[MBMS_GBA_AUTH_MAX], www[MBMS_GBA_AUTH_MAX], ai[512], body[1024];
	size_t body_len;
	enum mbms_gba_answer ans;
	enum mbms_gba_verdict verdict;
	uint64_t sqn_ms;
	fixture_init(&f, NULL);
	/* The USIM has seen SEQ 100 in every slot; the BSF starts at 0. */
	for (unsigned i = 0; i < MBMS_SQN_IND_COUNT; i++)
		f.ue.sqn_ms.seq[i] = 100;
	assert_int_equal(mbms_gba_client_first_request(&f.ue, authz, sizeof(authz)), 0);
	bsf_challenge(&f, authz, 3, &ch, www, sizeof(www));
	assert_int_equal(mbms_gba_client_challenge(&f.ue, www, strlen(www), "c1", authz,
						   sizeof(authz), &ans),
			 0);
	assert_int_equal(ans, MBMS_GBA_ANSWER_SYNC_FAILURE);
	assert_non_null(strstr(authz, "auts=\""));
	assert_int_equal(mbms_gba_server_parse_authz(authz, strlen(authz), &a), 0);
	assert_true(a.has_auts);

	/* a tampered AUTS fails MAC-S */
	struct mbms_gba_authz t = a;
	t.auts[2] = t.auts[2] == 'A' ? 'B' : 'A';
	assert_int_equal(mbms_gba_server_verify(BSF, &f.sub, &ch, &t, "GET", "/", NULL, 0, &verdict,
						&sqn_ms),
			 MBMS_EAUTH);
	assert_int_equal(verdict, MBMS_GBA_VERDICT_BAD_AUTS);

	assert_int_equal(mbms_gba_server_verify(BSF, &f.sub, &ch, &a, "GET", "/", NULL, 0, &verdict,
						&sqn_ms),
			 MBMS_ESYNC);
	assert_int_equal(verdict, MBMS_GBA_VERDICT_RESYNC);
	assert_int_equal(sqn_ms, mbms_sqn_ms_highest(&f.ue.sqn_ms));
	f.sub.sqn = sqn_ms;

	/* The BSF challenges once more: now the SQN is fresh. */
	uint8_t rand[16];
	fake_rand(rand, 4);
	assert_int_equal(mbms_gba_server_challenge(BSF, &f.sub, rand, &ch, www, sizeof(www)), 0);
	f.sub.sqn = ch.sqn;
	assert_int_equal(mbms_gba_client_challenge(&f.ue, www, strlen(www), "c2", authz,
						   sizeof(authz), &ans),
			 0);
	assert_int_equal(ans, MBMS_GBA_ANSWER_RES);
	assert_int_equal(mbms_gba_server_parse_authz(authz, strlen(authz), &a), 0);
	assert_int_equal(mbms_gba_server_verify(BSF, &f.sub, &ch, &a, "GET", "/", NULL, 0, &verdict,
						&sqn_ms),
			 0);
	assert_int_equal(mbms_gba_server_success(BSF, &f.sub, &ch, &a, NOW + 60, &bs, body,
						 sizeof(body), &body_len, ai, sizeof(ai)),
			 0);
	assert_int_equal(mbms_gba_client_result(&f.ue, ai, strlen(ai), (const uint8_t *)body,
						body_len, NOW),
			 0);
	assert_memory_equal(f.ue.ks, bs.ks, 32);
	mbms_gba_client_wipe(&f.ue);
}

/* A BSF that never accepts the AUTS: the UE stops after a few rounds. */
static void test_challenge_loop_bounded(void **state)
{
	(void)state;
	struct fixture f;
	struct mbms_gba_challenge ch;
	char authz[MBMS_GBA_AUTH_MAX], www[MBMS_GBA_AUTH_MAX];
	enum mbms_gba_answer ans;
	fixture_init(&f, NULL);
	for (unsigned i = 0; i < MBMS_SQN_IND_COUNT; i++)
		f.ue.sqn_ms.seq[i] = 1000;
	assert_int_equal(mbms_gba_client_first_request(&f.ue, authz, sizeof(authz)), 0);
	int rc = 0;
	for (int round = 0; round < 10 && rc == 0; round++) {
		bsf_challenge(&f, authz, (uint8_t)(10 + round), &ch, www, sizeof(www));
		f.sub.sqn = 0; /* never resynchronises */
		rc = mbms_gba_client_challenge(&f.ue, www, strlen(www), "c", authz, sizeof(authz),
					       &ans);
	}
	assert_int_equal(rc, MBMS_ESYNC);
	assert_int_equal(f.ue.state, MBMS_GBA_CLIENT_FAILED);
	mbms_gba_client_wipe(&f.ue);
}

/* Run a success up to the 200 and hand the client another body / header. */
struct result_case {
	const char *name;
	int tamper; /* 0 none, 1 other RAND in B-TID, 2 other host, 3 bad rspauth,
		       4 lifetime in the past, 5 no Authentication-Info, 6 broken XML */
	int want;
};

static const struct result_case result_cases[] = {
	{"untouched 200", 0, 0},
	{"B-TID with another RAND", 1, MBMS_EAUTH},
	{"B-TID with another host", 2, MBMS_EAUTH},
	{"wrong rspauth", 3, MBMS_EAUTH},
	{"lifetime already over", 4, MBMS_EEXPIRED},
	{"no Authentication-Info (accepted, unchecked)", 5, 0},
	{"body that is not XML", 6, MBMS_ESYNTAX},
	{"must FAIL: untouched 200 expected to be refused", 0, MBMS_EAUTH},
};

static int run_result_case(const struct result_case *rc_)
{
	struct fixture f;
	struct mbms_gba_challenge ch;
	struct mbms_gba_authz a;
	struct mbms_gba_bootstrap bs;
	char ai[512], body[1024];
	size_t body_len;
	enum mbms_gba_answer ans;
	enum mbms_gba_verdict verdict;
	uint64_t sqn_ms;
	fixture_init(&f, NULL);
	run_to_answer(&f, &ch, &a, &ans);
	assert_int_equal(mbms_gba_server_verify(BSF, &f.sub, &ch, &a, "GET", "/", NULL, 0, &verdict,
						&sqn_ms),
			 0);
	uint64_t expires = rc_->tamper == 4 ? NOW - 1 : NOW + 100;
	assert_int_equal(mbms_gba_server_success(BSF, &f.sub, &ch, &a, expires, &bs, body,
						 sizeof(body), &body_len, ai, sizeof(ai)),
			 0);
	const char *aip = ai;
	if (rc_->tamper == 1 || rc_->tamper == 2) {
		char btid[MBMS_GBA_BTID_MAX];
		uint8_t r[16];
		memcpy(r, ch.rand, 16);
		if (rc_->tamper == 1)
			r[15] ^= 0x80;
		assert_int_equal(mbms_btid_make(r, rc_->tamper == 2 ? "evil.example" : BSF, btid,
						sizeof(btid)),
				 0);
		assert_int_equal(mbms_gba_bootstrap_info_format(btid, expires, body, sizeof(body),
								&body_len),
				 0);
		aip = NULL; /* a forged body would not carry a valid rspauth anyway */
	} else if (rc_->tamper == 3) {
		char *p = strstr(ai, "rspauth=\"");
		assert_non_null(p);
		p[9] = p[9] == '0' ? '1' : '0';
	} else if (rc_->tamper == 5) {
		aip = NULL;
	} else if (rc_->tamper == 6) {
		strcpy(body, "<BootstrappingInfo");
		body_len = strlen(body);
		aip = NULL;
	}
	int rc = mbms_gba_client_result(&f.ue, aip, aip ? strlen(aip) : 0, (const uint8_t *)body,
					body_len, NOW);
	if (rc == 0)
		assert_memory_equal(f.ue.ks, bs.ks, 32);
	mbms_gba_client_wipe(&f.ue);
	return rc;
}

static void test_result_table(void **state)
{
	(void)state;
	int must_fail_seen = 0;
	for (size_t i = 0; i < N(result_cases); i++) {
		int rc = run_result_case(&result_cases[i]);
		bool must_fail = strncmp(result_cases[i].name, "must FAIL", 9) == 0;
		if (must_fail) {
			if (rc == result_cases[i].want)
				fail_msg("%s: the harness accepted a wrong expectation",
					 result_cases[i].name);
			must_fail_seen++;
			continue;
		}
		if (rc != result_cases[i].want)
			fail_msg("%s: got %d (%s), want %d", result_cases[i].name, rc,
				 mbms_errname(rc), result_cases[i].want);
	}
	assert_int_equal(must_fail_seen, 1);
}

/* ---- the "milenage" cases of independent_cases.json ---- */
static void test_independent_milenage(void **state)
{
	(void)state;
	cJSON *root = th_load_json("independent_cases.json");
	const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
	const cJSON *c;
	int n = 0;
	cJSON_ArrayForEach(c, cases)
	{
		if (!th_kind_is(c, "milenage"))
			continue;
		const cJSON *in = cJSON_GetObjectItemCaseSensitive(c, "input");
		const cJSON *ex = cJSON_GetObjectItemCaseSensitive(c, "expected");
		struct mbms_gba_subscriber sub;
		uint8_t op[16], sqn[6], rand[16];
		memset(&sub, 0, sizeof(sub));
		snprintf(sub.impi, sizeof(sub.impi), "%s", IMPI);
		th_hex_into(th_str(in, "k"), sub.k, 16);
		th_hex_into(th_str(in, "op"), op, 16);
		th_hex_into(th_str(in, "rand"), rand, 16);
		th_hex_into(th_str(in, "sqn"), sqn, 6);
		th_hex_into(th_str(in, "amf"), sub.amf, 2);
		assert_int_equal(mbms_milenage_opc(sub.k, op, sub.opc), 0);
		uint64_t v = mbms_sqn_from_bytes(sqn);
		/* the SQN before v in mbms_sqn_next's order (SEQ - 1, IND - 1) */
		sub.sqn = ((v >> 5) - 1) << 5 | ((v - 1) & 31);
		assert_int_equal(mbms_sqn_next(sub.sqn), v);

		/* BSF: the nonce of the challenge */
		struct mbms_gba_challenge ch;
		char www[MBMS_GBA_AUTH_MAX];
		assert_int_equal(mbms_gba_server_challenge(BSF, &sub, rand, &ch, www, sizeof(www)), 0);
		assert_string_equal(ch.nonce, th_str(ex, "aka_nonce"));
		th_assert_hex(ch.xres, 8, th_str(ex, "res"), "XRES");

		/* UE: a USIM that already accepted this SQN answers with AUTS over it */
		struct mbms_gba_client ue;
		struct mbms_sqn_ms st;
		memset(&st, 0, sizeof(st));
		st.seq[v & 31] = v >> 5;
		assert_int_equal(mbms_gba_client_init(&ue, IMPI, sub.k, sub.opc, BSF, &st), 0);
		char authz[MBMS_GBA_AUTH_MAX], want[64];
		enum mbms_gba_answer ans;
		assert_int_equal(mbms_gba_client_first_request(&ue, authz, sizeof(authz)), 0);
		assert_int_equal(mbms_gba_client_challenge(&ue, www, strlen(www), "c", authz,
							   sizeof(authz), &ans),
				 0);
		assert_int_equal(ans, MBMS_GBA_ANSWER_SYNC_FAILURE);
		snprintf(want, sizeof(want), "auts=\"%s\"", th_str(ex, "auts_b64"));
		if (!strstr(authz, want))
			fail_msg("%s: %s not in %s", th_str(c, "id"), want, authz);

		/* BSF: resynchronises to exactly that SQN */
		struct mbms_gba_authz a;
		enum mbms_gba_verdict verdict;
		uint64_t sqn_ms;
		assert_int_equal(mbms_gba_server_parse_authz(authz, strlen(authz), &a), 0);
		assert_int_equal(mbms_gba_server_verify(BSF, &sub, &ch, &a, "GET", "/", NULL, 0,
							&verdict, &sqn_ms),
				 MBMS_ESYNC);
		assert_int_equal(sqn_ms, v);
		mbms_gba_client_wipe(&ue);
		n++;
	}
	assert_int_equal(n, 2);
	cJSON_Delete(root);
}

/* ---- xs:dateTime ---- */
struct dt_case {
	const char *text;
	int want_rc;
	uint64_t want;
	int must_match; /* 0: deliberately wrong expected value */
};

static const struct dt_case dt_cases[] = {
	{"1970-01-01T00:00:00Z", 0, 0, 1},
	{"2026-01-01T00:00:00Z", 0, 1767225600, 1},
	{"2000-02-29T12:34:56Z", 0, 951827696, 1},
	{"2024-12-31T23:59:59Z", 0, 1735689599, 1},
	{"2026-01-01T01:00:00+01:00", 0, 1767225600, 1},
	{"2025-12-31T23:00:00-01:00", 0, 1767225600, 1},
	{"2026-01-01T00:00:00.999Z", 0, 1767225600, 1},
	{"9999-12-31T23:59:59Z", 0, 253402300799ull, 1},
	{"2026-01-01T00:00:00Z", 0, 1767225601, 0}, /* must FAIL: off by one */
	{"2026-01-01T00:00:00", MBMS_ESYNTAX, 0, 1},       /* no zone */
	{"2026-02-29T00:00:00Z", MBMS_ESYNTAX, 0, 1},      /* not a leap year */
	{"1900-02-29T00:00:00Z", MBMS_ESYNTAX, 0, 1},
	{"2026-13-01T00:00:00Z", MBMS_ESYNTAX, 0, 1},
	{"2026-00-10T00:00:00Z", MBMS_ESYNTAX, 0, 1},
	{"2026-04-31T00:00:00Z", MBMS_ESYNTAX, 0, 1},
	{"2026-01-01T24:00:00Z", MBMS_ESYNTAX, 0, 1},
	{"2026-01-01T23:60:00Z", MBMS_ESYNTAX, 0, 1},
	{"2026-12-31T23:59:60Z", MBMS_ESYNTAX, 0, 1},      /* leap second */
	{"1969-12-31T23:59:59Z", MBMS_ESYNTAX, 0, 1},
	{"1970-01-01T00:30:00+01:00", MBMS_ESYNTAX, 0, 1}, /* before the epoch */
	{"26-01-01T00:00:00Z", MBMS_ESYNTAX, 0, 1},
	{"12026-01-01T00:00:00Z", MBMS_ESYNTAX, 0, 1},
	{"2026-01-01 00:00:00Z", MBMS_ESYNTAX, 0, 1},
	{"2026-01-01T00:00:00ZZ", MBMS_ESYNTAX, 0, 1},
	{"2026-01-01T00:00:00.Z", MBMS_ESYNTAX, 0, 1},
	{"2026-01-01T00:00:00+1:00", MBMS_ESYNTAX, 0, 1},
	{"2026-01-01T00:00:00+15:00", MBMS_ESYNTAX, 0, 1},
	{"2026-01-01T00:00:00+14:30", MBMS_ESYNTAX, 0, 1},
	{"+2026-01-01T00:00:00Z", MBMS_ESYNTAX, 0, 1},
	{"2026-1-01T00:00:00Z", MBMS_ESYNTAX, 0, 1},
	{"", MBMS_ESYNTAX, 0, 1},
};

static void test_datetime_table(void **state)
{
	(void)state;
	int must_fail = 0;
	for (size_t i = 0; i < N(dt_cases); i++) {
		const struct dt_case *c = &dt_cases[i];
		uint64_t t = 0;
		int rc = mbms_xs_datetime_parse(c->text, strlen(c->text), &t);
		if (rc != c->want_rc)
			fail_msg("'%s': rc %d, want %d", c->text, rc, c->want_rc);
		if (rc == 0 && (t == c->want) != (c->must_match == 1))
			fail_msg("'%s': got %llu, want %llu (must_match %d)", c->text,
				 (unsigned long long)t, (unsigned long long)c->want, c->must_match);
		must_fail += c->must_match == 0;
	}
	assert_true(must_fail >= 1);
	/* a length shorter than the string stops there */
	uint64_t t;
	assert_int_equal(mbms_xs_datetime_parse("2026-01-01T00:00:00Zjunk", 20, &t), 0);
	assert_int_equal(t, 1767225600);
}

static void test_datetime_roundtrip(void **state)
{
	(void)state;
	char s[MBMS_XS_DATETIME_LEN + 1];
	/* every day from 1970 to 2400 goes through both directions */
	for (int64_t day = 0; day < 157000; day += 1) {
		int64_t y;
		unsigned m, d;
		mbms_civil_from_days(day, &y, &m, &d);
		assert_int_equal(mbms_days_from_civil(y, m, d), day);
	}
	const uint64_t ts[] = {0, 1, 86399, 951782400, 1767225600, 4107542399ull, 253402300799ull};
	for (size_t i = 0; i < N(ts); i++) {
		uint64_t back;
		assert_int_equal(mbms_xs_datetime_format(ts[i], s), 0);
		assert_int_equal(strlen(s), MBMS_XS_DATETIME_LEN);
		assert_int_equal(mbms_xs_datetime_parse(s, strlen(s), &back), 0);
		assert_int_equal(back, ts[i]);
	}
	assert_int_equal(mbms_xs_datetime_format(1767225600, s), 0);
	assert_string_equal(s, "2026-01-01T00:00:00Z");
	assert_int_equal(mbms_xs_datetime_format(253402300800ull, s), MBMS_EINVAL);
	/* before 1970 too (only the civil functions) */
	assert_int_equal(mbms_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(mbms_days_from_civil(1600, 3, 1), -135080);
}

/* ---- BootstrappingInfo bodies ---- */
struct xml_case {
	const char *name;
	const char *xml;
	int want; /* 0 or the error */
};

#define BTID_OK "gRE0fvgzT8TRMTt3OEPC4w==@bsf.example.org"
#define NS "xmlns=\"uri:3gpp-gba\""

static const struct xml_case bsf_xml_cases[] = {
	{"minimal", "<BootstrappingInfo " NS "><btid>" BTID_OK "</btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo>", 0},
	{"declaration, white space, comment, order swapped",
	 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BootstrappingInfo " NS ">\n  <!-- c -->\n  <lifetime> 2026-01-01T00:00:00Z </lifetime>\n  <btid>" BTID_OK "</btid>\n</BootstrappingInfo>\n", 0},
	{"prefixed namespace", "<g:BootstrappingInfo xmlns:g=\"uri:3gpp-gba\"><g:btid>" BTID_OK "</g:btid><g:lifetime>2026-01-01T00:00:00Z</g:lifetime></g:BootstrappingInfo>", 0},
	{"must FAIL: a good body expected to be refused", "<BootstrappingInfo " NS "><btid>" BTID_OK "</btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo>", MBMS_ESYNTAX},
	{"DOCTYPE (billion laughs)", "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><BootstrappingInfo " NS "><btid>&lol2;</btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo>", MBMS_ESYNTAX},
	{"DOCTYPE without subset", "<!DOCTYPE BootstrappingInfo SYSTEM \"http://x/y.dtd\"><BootstrappingInfo " NS "><btid>" BTID_OK "</btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo>", MBMS_ESYNTAX},
	{"no namespace", "<BootstrappingInfo><btid>" BTID_OK "</btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo>", MBMS_ESYNTAX},
	{"other namespace", "<BootstrappingInfo xmlns=\"urn:other\"><btid>" BTID_OK "</btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo>", MBMS_ESYNTAX},
	{"no lifetime", "<BootstrappingInfo " NS "><btid>" BTID_OK "</btid></BootstrappingInfo>", MBMS_ESYNTAX},
	{"empty btid", "<BootstrappingInfo " NS "><btid> </btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo>", MBMS_ESYNTAX},
	{"btid twice", "<BootstrappingInfo " NS "><btid>a</btid><btid>b</btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo>", MBMS_ESYNTAX},
	{"unknown element", "<BootstrappingInfo " NS "><btid>" BTID_OK "</btid><lifetime>2026-01-01T00:00:00Z</lifetime><x/></BootstrappingInfo>", MBMS_ESYNTAX},
	{"nested element", "<BootstrappingInfo " NS "><btid><b>x</b></btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo>", MBMS_ESYNTAX},
	{"attribute", "<BootstrappingInfo " NS " a=\"1\"><btid>" BTID_OK "</btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo>", MBMS_ESYNTAX},
	{"text at root level", "<BootstrappingInfo " NS ">hi<btid>" BTID_OK "</btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo>", MBMS_ESYNTAX},
	{"trailing garbage", "<BootstrappingInfo " NS "><btid>" BTID_OK "</btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo><x/>", MBMS_ESYNTAX},
	{"processing instruction", "<BootstrappingInfo " NS "><?pi x?><btid>" BTID_OK "</btid><lifetime>2026-01-01T00:00:00Z</lifetime></BootstrappingInfo>", MBMS_ESYNTAX},
	{"bad lifetime", "<BootstrappingInfo " NS "><btid>" BTID_OK "</btid><lifetime>tomorrow</lifetime></BootstrappingInfo>", MBMS_ESYNTAX},
	{"unclosed", "<BootstrappingInfo " NS "><btid>" BTID_OK "</btid>", MBMS_ESYNTAX},
	{"empty", "", MBMS_ESYNTAX},
	{"wrong root", "<ZnResponse " NS "><btid>" BTID_OK "</btid><lifetime>2026-01-01T00:00:00Z</lifetime></ZnResponse>", MBMS_ESYNTAX},
};

static void test_bootstrap_info_table(void **state)
{
	(void)state;
	int must_fail = 0;
	for (size_t i = 0; i < N(bsf_xml_cases); i++) {
		const struct xml_case *c = &bsf_xml_cases[i];
		char btid[MBMS_GBA_BTID_MAX];
		uint64_t t = 0;
		int rc = mbms_gba_bootstrap_info_parse(c->xml, strlen(c->xml), btid, &t);
		bool mf = strncmp(c->name, "must FAIL", 9) == 0;
		if (mf) {
			if (rc == c->want)
				fail_msg("%s: harness accepted a wrong expectation", c->name);
			must_fail++;
			continue;
		}
		if (rc != c->want)
			fail_msg("%s: rc %d (%s), want %d", c->name, rc, mbms_errname(rc), c->want);
		if (rc == 0) {
			assert_string_equal(btid, BTID_OK);
			assert_int_equal(t, 1767225600);
		}
	}
	assert_int_equal(must_fail, 1);

	/* oversized body */
	static char big[MBMS_GBA_BODY_MAX + 2];
	memset(big, ' ', sizeof(big));
	char btid[MBMS_GBA_BTID_MAX];
	uint64_t t;
	assert_int_not_equal(mbms_gba_bootstrap_info_parse(big, sizeof(big), btid, &t), 0);

	/* format -> parse, with XML escaping */
	char out[512];
	size_t len;
	assert_int_equal(mbms_gba_bootstrap_info_format("a&b<c>@h", 1767225600, out, sizeof(out),
							&len),
			 0);
	assert_int_equal(len, strlen(out));
	assert_non_null(strstr(out, "a&amp;b&lt;c&gt;@h"));
	assert_int_equal(mbms_gba_bootstrap_info_parse(out, len, btid, &t), 0);
	assert_string_equal(btid, "a&b<c>@h");
	assert_int_equal(mbms_gba_bootstrap_info_format(BTID_OK, 1767225600, out, 40, &len),
			 MBMS_ENOSPC);
}

static void test_zn_response(void **state)
{
	(void)state;
	struct mbms_zn_response r, back;
	memset(&r, 0, sizeof(r));
	snprintf(r.btid, sizeof(r.btid), "%s", BTID_OK);
	snprintf(r.impi, sizeof(r.impi), "%s", IMPI);
	for (int i = 0; i < 32; i++)
		r.ks_naf[i] = (uint8_t)(i * 7);
	r.expires_at = 1767225600;
	char out[1024];
	size_t len;
	assert_int_equal(mbms_zn_response_format(&r, out, sizeof(out), &len), 0);
	assert_int_equal(mbms_zn_response_parse(out, len, &back), 0);
	assert_string_equal(back.btid, r.btid);
	assert_string_equal(back.impi, r.impi);
	assert_memory_equal(back.ks_naf, r.ks_naf, 32);
	assert_int_equal(back.expires_at, r.expires_at);

	/* trimmed text leaves nothing behind its NUL (found by fuzz_gba_xml:
	 * the parse of a parse must be byte-identical) */
	const char *spaced = "<ZnResponse><btid>b@h</btid><impi>\t\t\t.org</impi><ksNaf>"
			     "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=</ksNaf><lifetime>"
			     "2026-01-01T00:00:00Z</lifetime></ZnResponse>";
	assert_int_equal(mbms_zn_response_parse(spaced, strlen(spaced), &back), 0);
	assert_string_equal(back.impi, ".org");
	for (size_t i = strlen(back.impi); i < sizeof(back.impi); i++)
		assert_int_equal(back.impi[i], 0);

	const struct xml_case bad[] = {
		{"must FAIL: the good body", out, MBMS_ESYNTAX},
		{"short key", "<ZnResponse><btid>b@h</btid><impi>i</impi><ksNaf>AAAA</ksNaf><lifetime>2026-01-01T00:00:00Z</lifetime></ZnResponse>", MBMS_ESYNTAX},
		{"no impi", "<ZnResponse><btid>b@h</btid><ksNaf>AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=</ksNaf><lifetime>2026-01-01T00:00:00Z</lifetime></ZnResponse>", MBMS_ESYNTAX},
		{"namespaced", "<ZnResponse xmlns=\"uri:x\"><btid>b@h</btid><impi>i</impi><ksNaf>AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=</ksNaf><lifetime>2026-01-01T00:00:00Z</lifetime></ZnResponse>", MBMS_ESYNTAX},
		{"DOCTYPE", "<!DOCTYPE ZnResponse [<!ENTITY e \"x\">]><ZnResponse><btid>&e;</btid><impi>i</impi><ksNaf>AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=</ksNaf><lifetime>2026-01-01T00:00:00Z</lifetime></ZnResponse>", MBMS_ESYNTAX},
	};
	int must_fail = 0;
	for (size_t i = 0; i < N(bad); i++) {
		int rc = mbms_zn_response_parse(bad[i].xml, strlen(bad[i].xml), &back);
		if (strncmp(bad[i].name, "must FAIL", 9) == 0) {
			assert_int_not_equal(rc, bad[i].want);
			must_fail++;
		} else if (rc != bad[i].want) {
			fail_msg("%s: rc %d want %d", bad[i].name, rc, bad[i].want);
		}
	}
	assert_int_equal(must_fail, 1);
}

/* ---- Authorization parsing at the BSF ---- */
struct authz_case {
	const char *name;
	const char *hdr;
	int want;
	int initial;
};

#define NONCE44 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static const struct authz_case authz_cases[] = {
	{"first request", "Digest username=\"u@h\", realm=\"bsf\", nonce=\"\", uri=\"/\", response=\"\"", 0, 1},
	{"answer", "Digest username=\"u@h\", realm=\"bsf\", nonce=\"" NONCE44 "\", uri=\"/\", response=\"0123456789abcdef0123456789abcdef\", algorithm=AKAv1-MD5, qop=auth-int, nc=00000001, cnonce=\"c\"", 0, 0},
	{"must FAIL: a good first request expected to be refused", "Digest username=\"u@h\", realm=\"bsf\", nonce=\"\", uri=\"/\", response=\"\"", MBMS_ESYNTAX, 1},
	{"Basic", "Basic dTpw", MBMS_ESYNTAX, 0},
	{"no username", "Digest realm=\"bsf\", nonce=\"\", uri=\"/\", response=\"\"", MBMS_ESYNTAX, 0},
	{"no nonce", "Digest username=\"u@h\", realm=\"bsf\", uri=\"/\", response=\"\"", MBMS_ESYNTAX, 0},
	{"answer without cnonce", "Digest username=\"u@h\", realm=\"bsf\", nonce=\"" NONCE44 "\", uri=\"/\", response=\"0123456789abcdef0123456789abcdef\", qop=auth-int, nc=00000001", MBMS_ESYNTAX, 0},
	{"answer with MD5", "Digest username=\"u@h\", realm=\"bsf\", nonce=\"" NONCE44 "\", uri=\"/\", response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, qop=auth-int, nc=00000001, cnonce=\"c\"", MBMS_ESYNTAX, 0},
	{"short response", "Digest username=\"u@h\", realm=\"bsf\", nonce=\"" NONCE44 "\", uri=\"/\", response=\"0123\", qop=auth-int, nc=00000001, cnonce=\"c\"", MBMS_ESYNTAX, 0},
	{"short nonce", "Digest username=\"u@h\", realm=\"bsf\", nonce=\"AAAA\", uri=\"/\", response=\"0123456789abcdef0123456789abcdef\", qop=auth-int, nc=00000001, cnonce=\"c\"", MBMS_ESYNTAX, 0},
	{"garbage", "Digest username=\"u@h", MBMS_ESYNTAX, 0},
	{"empty", "", MBMS_ESYNTAX, 0},
};

static void test_parse_authz_table(void **state)
{
	(void)state;
	int must_fail = 0;
	for (size_t i = 0; i < N(authz_cases); i++) {
		const struct authz_case *c = &authz_cases[i];
		struct mbms_gba_authz a;
		int rc = mbms_gba_server_parse_authz(c->hdr, strlen(c->hdr), &a);
		if (strncmp(c->name, "must FAIL", 9) == 0) {
			assert_int_not_equal(rc, c->want);
			must_fail++;
			continue;
		}
		if (rc != c->want)
			fail_msg("%s: rc %d want %d", c->name, rc, c->want);
		if (rc == 0)
			assert_int_equal(a.initial, c->initial);
	}
	assert_int_equal(must_fail, 1);
}

static void test_client_rejects_bad_challenges(void **state)
{
	(void)state;
	const char *bad[] = {
		"Digest realm=\"bsf\", nonce=\"" NONCE44 "\", algorithm=MD5, qop=\"auth-int\"",
		"Digest realm=\"bsf\", nonce=\"" NONCE44 "\", algorithm=AKAv1-MD5, qop=\"auth\"",
		"Digest realm=\"bsf\", nonce=\"AAAA\", algorithm=AKAv1-MD5, qop=\"auth-int\"",
		"Digest realm=\"bsf\", algorithm=AKAv1-MD5, qop=\"auth-int\"",
		"Basic realm=\"bsf\"",
	};
	struct fixture f;
	char authz[MBMS_GBA_AUTH_MAX];
	enum mbms_gba_answer ans;
	fixture_init(&f, NULL);
	/* not before the first request */
	assert_int_equal(mbms_gba_client_challenge(&f.ue, bad[0], strlen(bad[0]), "c", authz,
						   sizeof(authz), &ans),
			 MBMS_ESTATE);
	for (size_t i = 0; i < N(bad); i++) {
		assert_int_equal(mbms_gba_client_first_request(&f.ue, authz, sizeof(authz)), 0);
		int rc = mbms_gba_client_challenge(&f.ue, bad[i], strlen(bad[i]), "c", authz,
						   sizeof(authz), &ans);
		if (rc != MBMS_ESYNTAX)
			fail_msg("challenge %zu: rc %d", i, rc);
	}
	/* a good challenge with a qop list is taken */
	const char *good = "Digest realm=\"bsf\", nonce=\"" NONCE44
			   "\", algorithm=akav1-md5, qop=\"auth,auth-int\"";
	assert_int_equal(mbms_gba_client_first_request(&f.ue, authz, sizeof(authz)), 0);
	assert_int_equal(mbms_gba_client_challenge(&f.ue, good, strlen(good), "c", authz,
						   sizeof(authz), &ans),
			 0);
	assert_int_equal(ans, MBMS_GBA_ANSWER_MAC_FAILURE); /* random AUTN */
	mbms_gba_client_wipe(&f.ue);
}

static void test_sqn_state_text(void **state)
{
	(void)state;
	struct mbms_sqn_ms st, back;
	memset(&st, 0, sizeof(st));
	for (unsigned i = 0; i < MBMS_SQN_IND_COUNT; i++)
		st.seq[i] = i * 1000 + 3;
	char text[MBMS_SQN_STATE_TEXT_MAX];
	assert_int_equal(mbms_sqn_state_format(&st, text, sizeof(text)), 0);
	assert_int_equal(mbms_sqn_state_parse(text, strlen(text), &back), 0);
	assert_memory_equal(&st, &back, sizeof(st));
	assert_int_equal(mbms_sqn_state_parse("", 0, &back), 0);
	assert_int_equal(back.seq[5], 0);
	assert_int_equal(mbms_sqn_state_parse("5 7\n", 4, &back), 0);
	assert_int_equal(back.seq[5], 7);
	const char *bad[] = {"32 1\n", "1 1", "1 1\n1 2\n", "x 1\n", "1  1\n", "1 8796093022208\n",
			     "-1 1\n"};
	for (size_t i = 0; i < N(bad); i++)
		if (mbms_sqn_state_parse(bad[i], strlen(bad[i]), &back) != MBMS_ESYNTAX)
			fail_msg("accepted bad SQN state '%s'", bad[i]);
	assert_int_equal(mbms_sqn_state_format(&st, text, 10), MBMS_ENOSPC);
}

static void test_naf_id_split(void **state)
{
	(void)state;
	char fqdn[64];
	uint8_t ua[5];
	const uint8_t good[] = {'n', 'a', 'f', '.', 'x', 1, 0, 0, 0, 1};
	assert_int_equal(mbms_naf_id_split(good, sizeof(good), fqdn, sizeof(fqdn), ua), 0);
	assert_string_equal(fqdn, "naf.x");
	assert_memory_equal(ua, mbms_ua_id_mbms, 5);
	assert_int_equal(mbms_naf_id_split(good, 5, fqdn, sizeof(fqdn), ua), MBMS_ESYNTAX);
	const uint8_t nul[] = {'n', 0, 'f', 1, 0, 0, 0, 1};
	assert_int_equal(mbms_naf_id_split(nul, sizeof(nul), fqdn, sizeof(fqdn), ua), MBMS_ESYNTAX);
	assert_int_equal(mbms_naf_id_split(good, sizeof(good), fqdn, 5, ua), MBMS_ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_wrong_res),
		cmocka_unit_test(test_mac_a_failure),
		cmocka_unit_test(test_sqn_failure_resync),
		cmocka_unit_test(test_challenge_loop_bounded),
		cmocka_unit_test(test_result_table),
		cmocka_unit_test(test_independent_milenage),
		cmocka_unit_test(test_datetime_table),
		cmocka_unit_test(test_datetime_roundtrip),
		cmocka_unit_test(test_bootstrap_info_table),
		cmocka_unit_test(test_zn_response),
		cmocka_unit_test(test_parse_authz_table),
		cmocka_unit_test(test_client_rejects_bad_challenges),
		cmocka_unit_test(test_sqn_state_text),
		cmocka_unit_test(test_naf_id_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
