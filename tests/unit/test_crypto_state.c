/* Prepared-key fast paths (issue #9): mbms_hmac_sha1_key_init/_keyed
 * (crypto.h), the MIKEY keyctx (kdf.h) and the message protection of
 * mbms_msg.c that uses them.
 *
 *  - RFC 2202 HMAC-SHA-1 test cases 1-7 through the prepared key, whole and
 *    in pieces, with expectations that must NOT match;
 *  - the "prf" and message-key vectors of tests/vectors/independent_cases.json
 *    through a keyctx;
 *  - equality with an independent oracle on pseudo-random inputs: OpenSSL's
 *    EVP_Q_mac HMAC and a PRF / KEMAC seal written here from RFC 3830 4.1.2,
 *    4.1.4, 4.2.3 and 5.2 on top of it (fixed seed, so a failure repeats);
 *  - refusals: NULL arguments, a zeroed or wiped key, an inkey too long for
 *    a keyctx, a tampered message.
 */
#include "testutil.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/kdf.h"
#include "mbmssec/mbms_msg.h"

#include <openssl/evp.h>
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

/* splitmix64: reproducible pseudo-random test inputs. */
static uint64_t rng_state = 0x6d626d7373656321ull;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

static size_t rng_below(size_t n)
{
	return (size_t)(rng() % n);
}

/* ---- the oracle: OpenSSL's own HMAC, and RFC 3830 written out again ---- */

static void ref_hmac(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		     uint8_t out[20])
{
	static const uint8_t empty[1];
	size_t n = 0;
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key_len ? key : empty, key_len,
				  len ? data : empty, len, out, 20, &n));
	assert_int_equal(n, 20);
}

/* RFC 3830 4.1.2. */
static void ref_prf(const uint8_t *inkey, size_t inkey_len, const uint8_t *label, size_t label_len,
		    uint8_t *out, size_t out_len)
{
	uint8_t a[20], buf[20 + 512], block[20];
	assert_true(label_len <= 512);
	memset(out, 0, out_len);
	size_t npieces = inkey_len ? (inkey_len + 31) / 32 : 1;
	for (size_t p = 0; p < npieces; p++) {
		const uint8_t *s = inkey + 32 * p;
		size_t s_len = inkey_len - 32 * p > 32 ? 32 : inkey_len - 32 * p;
		ref_hmac(s, s_len, label, label_len, a);
		for (size_t off = 0; off < out_len; off += 20) {
			memcpy(buf, a, 20);
			memcpy(buf + 20, label, label_len);
			ref_hmac(s, s_len, buf, 20 + label_len, block);
			for (size_t i = 0; i < 20 && off + i < out_len; i++)
				out[off + i] ^= block[i];
			ref_hmac(s, s_len, a, 20, a);
		}
	}
}

/* RFC 3830 4.1.4 label. */
static void ref_msg_key(const uint8_t *inkey, size_t inkey_len, uint32_t constant, uint32_t csb,
			const uint8_t rand[16], uint8_t *out, size_t out_len)
{
	uint8_t label[25] = {(uint8_t)(constant >> 24), (uint8_t)(constant >> 16),
			     (uint8_t)(constant >> 8), (uint8_t)constant, 0xff,
			     (uint8_t)(csb >> 24), (uint8_t)(csb >> 16), (uint8_t)(csb >> 8),
			     (uint8_t)csb};
	memcpy(label + 9, rand, 16);
	ref_prf(inkey, inkey_len, label, sizeof(label), out, out_len);
}

/* RFC 3830 4.2.3 / 5.2 with a 32-bit counter T: encrypt, then MAC. */
static void ref_seal(uint8_t *msg, size_t encr_off, size_t encr_len, size_t mac_off,
		     const uint8_t *inkey, size_t inkey_len, uint32_t csb, const uint8_t rand[16],
		     uint32_t ts)
{
	uint8_t encr[16], auth[20], salt[14], iv[16] = {0};
	ref_msg_key(inkey, inkey_len, MBMS_MIKEY_CONST_ENCR, csb, rand, encr, 16);
	ref_msg_key(inkey, inkey_len, MBMS_MIKEY_CONST_AUTH, csb, rand, auth, 20);
	ref_msg_key(inkey, inkey_len, MBMS_MIKEY_CONST_SALT, csb, rand, salt, 14);
	memcpy(iv, salt, 14);
	for (int i = 0; i < 4; i++)
		iv[2 + i] ^= (uint8_t)(csb >> (24 - 8 * i));
	for (int i = 0; i < 4; i++)
		iv[10 + i] ^= (uint8_t)(ts >> (24 - 8 * i));
	if (encr_len) {
		EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
		int outl = 0;
		assert_non_null(c);
		assert_int_equal(EVP_EncryptInit_ex2(c, EVP_aes_128_ctr(), encr, iv, NULL), 1);
		assert_int_equal(EVP_EncryptUpdate(c, msg + encr_off, &outl, msg + encr_off,
						   (int)encr_len),
				 1);
		assert_int_equal((size_t)outl, encr_len);
		EVP_CIPHER_CTX_free(c);
	}
	ref_hmac(auth, 20, msg, mac_off, msg + mac_off);
}

/* ---- HMAC-SHA-1 with a prepared key ---- */

struct hmac_case {
	const char *source;
	const char *key_hex;
	const char *data; /* text, or hex when data_hex */
	int data_hex;
	const char *mac_hex;
	int must_match; /* 0: a deliberately wrong expectation */
};

static const struct hmac_case rfc2202[] = {
	{"RFC 2202 tc1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", 0,
	 "b617318655057264e28bc0b6fb378c8ef146be00", 1},
	{"RFC 2202 tc2", "4a656665", "what do ya want for nothing?", 0,
	 "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", 1},
	{"RFC 2202 tc3", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
	 1, "125d7342b9ac11cd91a39af48aa17b4f63f175d3", 1},
	{"RFC 2202 tc4", "0102030405060708090a0b0c0d0e0f10111213141516171819",
	 "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
	 1, "4c9007f4026250c6bc8414f9bf50c86c2d7235da", 1},
	{"RFC 2202 tc5", "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "Test With Truncation", 0,
	 "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04", 1},
	{"RFC 2202 tc6 (80-byte key)",
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "Test Using Larger Than Block-Size Key - Hash Key First", 0,
	 "aa4ae5e15272d00e95705637ce8a3b55ed402112", 1},
	{"RFC 2202 tc7 (80-byte key, 73-byte data)",
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data", 0,
	 "e8e99d0f45237d786d6bbaa7965c7808bbff1a91", 1},
	{"RFC 2202 tc2 with a flipped MAC bit (must fail)", "4a656665",
	 "what do ya want for nothing?", 0, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c78", 0},
	{"RFC 2202 tc1 under tc5's key (must fail)", "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
	 "Hi There", 0, "b617318655057264e28bc0b6fb378c8ef146be00", 0},
};

static void test_keyed_rfc2202(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc2202) / sizeof(rfc2202[0]); i++) {
		const struct hmac_case *t = &rfc2202[i];
		size_t key_len, data_len;
		uint8_t *key = th_hex(t->key_hex, &key_len), *data;
		if (t->data_hex) {
			data = th_hex(t->data, &data_len);
		} else {
			data_len = strlen(t->data);
			data = test_malloc(data_len + 1);
			memcpy(data, t->data, data_len);
		}
		uint8_t want[20], whole[20], pieces[20], oneshot[20];
		th_hex_into(t->mac_hex, want, 20);
		struct mbms_hmac_sha1_key k;
		assert_int_equal(mbms_hmac_sha1_key_init(&k, key, key_len), 0);
		assert_int_equal(mbms_hmac_sha1_keyed(&k, data, data_len, whole), 0);
		/* in three pieces, one of them empty */
		const struct mbms_buf parts[3] = {
			{data, data_len / 3}, {data, 0}, {data + data_len / 3, data_len - data_len / 3}};
		assert_int_equal(mbms_hmac_sha1_keyed_v(&k, parts, 3, pieces), 0);
		assert_int_equal(mbms_hmac_sha1(key, key_len, data, data_len, oneshot), 0);
		/* the prepared key is reusable: a second MAC is the same */
		uint8_t again[20];
		assert_int_equal(mbms_hmac_sha1_keyed(&k, data, data_len, again), 0);
		assert_memory_equal(again, whole, 20);
		if (mbms_ct_equal(whole, want, 20) != t->must_match ||
		    mbms_ct_equal(pieces, want, 20) != t->must_match ||
		    mbms_ct_equal(oneshot, want, 20) != t->must_match)
			fail_msg("%s: expected match=%d", t->source, t->must_match);
		mbms_wipe(&k, sizeof(k));
		test_free(key);
		test_free(data);
	}
}

/* Keys of every length around the block size (0, 1, 63, 64, 65, 200),
 * data from empty to several blocks, random splits: all equal the oracle. */
static void test_keyed_equals_oracle(void **state)
{
	(void)state;
	static const size_t key_lens[] = {0, 1, 16, 20, 32, 63, 64, 65, 80, 200};
	uint8_t key[200], data[300], want[20], got[20];
	for (size_t kl = 0; kl < sizeof(key_lens) / sizeof(key_lens[0]); kl++) {
		for (int round = 0; round < 40; round++) {
			size_t key_len = key_lens[kl], len = rng_below(sizeof(data) + 1);
			rng_fill(key, key_len);
			rng_fill(data, len);
			ref_hmac(key, key_len, data, len, want);
			struct mbms_hmac_sha1_key k;
			assert_int_equal(mbms_hmac_sha1_key_init(&k, key_len ? key : NULL, key_len), 0);
			assert_int_equal(mbms_hmac_sha1_keyed(&k, data, len, got), 0);
			assert_memory_equal(got, want, 20);
			size_t cut1 = rng_below(len + 1), cut2 = cut1 + rng_below(len - cut1 + 1);
			const struct mbms_buf parts[3] = {
				{data, cut1}, {data + cut1, cut2 - cut1}, {data + cut2, len - cut2}};
			assert_int_equal(mbms_hmac_sha1_keyed_v(&k, parts, 3, got), 0);
			assert_memory_equal(got, want, 20);
			assert_int_equal(mbms_hmac_sha1_v(key, key_len, parts, 3, got), 0);
			assert_memory_equal(got, want, 20);
			/* out may be the input: A_i = HMAC(s, A_(i-1)) in place */
			if (len >= 20) {
				uint8_t inplace[20];
				memcpy(inplace, data, 20);
				ref_hmac(key, key_len, data, 20, want);
				assert_int_equal(mbms_hmac_sha1_keyed(&k, inplace, 20, inplace), 0);
				assert_memory_equal(inplace, want, 20);
			}
			/* must fail: one changed data bit changes the MAC */
			if (len) {
				uint8_t before[20];
				assert_int_equal(mbms_hmac_sha1_keyed(&k, data, len, before), 0);
				data[rng_below(len)] ^= (uint8_t)(1u << rng_below(8));
				assert_int_equal(mbms_hmac_sha1_keyed(&k, data, len, got), 0);
				assert_memory_not_equal(got, before, 20);
			}
			mbms_wipe(&k, sizeof(k));
		}
	}
}

static void test_keyed_refusals(void **state)
{
	(void)state;
	static const uint8_t key[20] = {1}, data[8] = {2};
	uint8_t out[20];
	struct mbms_hmac_sha1_key k, zero;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(mbms_hmac_sha1_key_init(NULL, key, sizeof(key)), MBMS_EINVAL);
	assert_int_equal(mbms_hmac_sha1_key_init(&k, NULL, 5), MBMS_EINVAL);
	assert_int_equal(mbms_hmac_sha1_key_init(&k, key, sizeof(key)), 0);
	assert_int_equal(mbms_hmac_sha1_keyed(NULL, data, sizeof(data), out), MBMS_EINVAL);
	assert_int_equal(mbms_hmac_sha1_keyed(&k, NULL, 3, out), MBMS_EINVAL);
	assert_int_equal(mbms_hmac_sha1_keyed(&k, data, sizeof(data), NULL), MBMS_EINVAL);
	const struct mbms_buf bad[2] = {{data, 1}, {NULL, 4}};
	assert_int_equal(mbms_hmac_sha1_keyed_v(&k, bad, 2, out), MBMS_EINVAL);
	assert_int_equal(mbms_hmac_sha1_keyed_v(&k, NULL, 1, out), MBMS_EINVAL);
	assert_int_equal(mbms_hmac_sha1_keyed_v(&k, NULL, 0, out), 0); /* empty message */
	/* a never-prepared (zeroed) key and a wiped key are refused, not used */
	assert_int_equal(mbms_hmac_sha1_keyed(&zero, data, sizeof(data), out), MBMS_EINVAL);
	mbms_wipe(&k, sizeof(k));
	assert_int_equal(mbms_hmac_sha1_keyed(&k, data, sizeof(data), out), MBMS_EINVAL);
	assert_int_equal(mbms_hmac_sha1_keyed_v(&k, NULL, 0, out), MBMS_EINVAL);
}

/* ---- the MIKEY keyctx ---- */

static void test_prf_keyed_vectors(void **state)
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
		uint8_t out[128], other[128];
		struct mbms_mikey_keyctx ctx;
		assert_int_equal(mbms_mikey_keyctx_init(&ctx, inkey, inkey_len), 0);
		assert_int_equal(mbms_mikey_prf_keyed(&ctx, label, label_len, out, outlen), 0);
		th_assert_hex(out, outlen, th_str(cJSON_GetObjectItem(c, "expected"), "out"),
			      th_str(c, "id"));
		/* must fail: another label, or the keyctx of another inkey */
		label[label_len - 1] ^= 1;
		assert_int_equal(mbms_mikey_prf_keyed(&ctx, label, label_len, other, outlen), 0);
		assert_false(mbms_ct_equal(other, out, outlen));
		label[label_len - 1] ^= 1;
		inkey[0] ^= 1;
		struct mbms_mikey_keyctx ctx2;
		assert_int_equal(mbms_mikey_keyctx_init(&ctx2, inkey, inkey_len), 0);
		assert_int_equal(mbms_mikey_prf_keyed(&ctx2, label, label_len, other, outlen), 0);
		assert_false(mbms_ct_equal(other, out, outlen));
		mbms_mikey_keyctx_wipe(&ctx);
		mbms_mikey_keyctx_wipe(&ctx2);
		test_free(inkey);
		test_free(label);
		n++;
	}
	assert_true(n >= 7);
}

static void test_msg_keys_keyed_vectors(void **state)
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
		const char *key_hex =
			th_kind_is(c, "mtk-message") ? th_str(in, "msk") : th_str(in, "muk");
		size_t key_len;
		uint8_t *key = th_hex(key_hex, &key_len);
		uint8_t msk_id[4], rand[16], one[20];
		th_hex_into(th_str(in, "msk_id"), msk_id, 4);
		th_hex_into(th_str(in, "rand"), rand, 16);
		uint32_t csb = (uint32_t)msk_id[0] << 24 | (uint32_t)msk_id[1] << 16 |
			       (uint32_t)msk_id[2] << 8 | msk_id[3];
		struct mbms_mikey_keyctx ctx;
		struct mbms_mikey_msg_keys k;
		assert_int_equal(mbms_mikey_keyctx_init(&ctx, key, key_len), 0);
		assert_int_equal(mbms_mikey_msg_keys_keyed(&ctx, csb, rand, 16, &k), 0);
		th_assert_hex(k.encr, sizeof(k.encr), th_str(d, "encr_key"), th_str(c, "id"));
		th_assert_hex(k.auth, sizeof(k.auth), th_str(d, "auth_key"), th_str(c, "id"));
		th_assert_hex(k.salt, sizeof(k.salt), th_str(d, "salt_key"), th_str(c, "id"));
		assert_int_equal(mbms_mikey_msg_key_keyed(&ctx, MBMS_MIKEY_CONST_AUTH, csb, rand, 16,
							  one, 20),
				 0);
		th_assert_hex(one, 20, th_str(d, "auth_key"), th_str(c, "id"));
		/* must fail: the keys of another CSB ID */
		assert_int_equal(mbms_mikey_msg_keys_keyed(&ctx, csb ^ 1, rand, 16, &k), 0);
		assert_false(mbms_ct_equal(k.auth, one, 20));
		mbms_wipe(&k, sizeof(k));
		mbms_mikey_keyctx_wipe(&ctx);
		test_free(key);
		n++;
	}
	assert_true(n >= 4);
}

/* keyctx PRF = generic PRF = the oracle, for every inkey length a keyctx
 * takes (0..64: one and two pieces, short last pieces), labels up to 300
 * bytes and outputs up to 100 bytes (several P blocks). */
static void test_prf_keyed_equals_oracle(void **state)
{
	(void)state;
	uint8_t inkey[MBMS_MIKEY_KEYCTX_MAX_INKEY], label[300], want[100], slow[100], fast[100];
	for (size_t inkey_len = 0; inkey_len <= MBMS_MIKEY_KEYCTX_MAX_INKEY; inkey_len++) {
		for (int round = 0; round < 4; round++) {
			size_t label_len = rng_below(sizeof(label) + 1), out_len = rng_below(101);
			rng_fill(inkey, inkey_len);
			rng_fill(label, label_len);
			ref_prf(inkey, inkey_len, label, label_len, want, out_len);
			assert_int_equal(mbms_mikey_prf(inkey_len ? inkey : NULL, inkey_len, label,
							label_len, slow, out_len),
					 0);
			struct mbms_mikey_keyctx ctx;
			assert_int_equal(mbms_mikey_keyctx_init(&ctx, inkey_len ? inkey : NULL,
								inkey_len),
					 0);
			assert_int_equal(ctx.npieces, inkey_len ? (inkey_len + 31) / 32 : 1);
			assert_int_equal(mbms_mikey_prf_keyed(&ctx, label, label_len, fast, out_len),
					 0);
			if (out_len) {
				assert_memory_equal(slow, want, out_len);
				assert_memory_equal(fast, want, out_len);
			}
			mbms_mikey_keyctx_wipe(&ctx);
		}
	}
}

/* Message keys: keyctx path = generic path (mbms_mikey_msg_keys prepares
 * the inkey when it fits, and goes piece by piece when it does not) =
 * oracle; MUK 32, MSK 16, and inkeys of 48, 64, 65 and 96 bytes. */
static void test_msg_keys_equal_oracle(void **state)
{
	(void)state;
	static const size_t lens[] = {16, 32, 48, 64, 65, 96};
	uint8_t inkey[96], rand[16], encr[16], auth[20], salt[14];
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		for (int round = 0; round < 20; round++) {
			uint32_t csb = (uint32_t)rng();
			rng_fill(inkey, lens[l]);
			rng_fill(rand, sizeof(rand));
			ref_msg_key(inkey, lens[l], MBMS_MIKEY_CONST_ENCR, csb, rand, encr, 16);
			ref_msg_key(inkey, lens[l], MBMS_MIKEY_CONST_AUTH, csb, rand, auth, 20);
			ref_msg_key(inkey, lens[l], MBMS_MIKEY_CONST_SALT, csb, rand, salt, 14);
			struct mbms_mikey_msg_keys k;
			assert_int_equal(mbms_mikey_msg_keys(inkey, lens[l], csb, rand, 16, &k), 0);
			assert_memory_equal(k.encr, encr, 16);
			assert_memory_equal(k.auth, auth, 20);
			assert_memory_equal(k.salt, salt, 14);
			struct mbms_mikey_keyctx ctx;
			if (lens[l] > MBMS_MIKEY_KEYCTX_MAX_INKEY) {
				assert_int_equal(mbms_mikey_keyctx_init(&ctx, inkey, lens[l]),
						 MBMS_EINVAL);
				assert_int_equal(ctx.npieces, 0);
				continue;
			}
			assert_int_equal(mbms_mikey_keyctx_init(&ctx, inkey, lens[l]), 0);
			assert_int_equal(mbms_mikey_msg_keys_keyed(&ctx, csb, rand, 16, &k), 0);
			assert_memory_equal(k.encr, encr, 16);
			assert_memory_equal(k.auth, auth, 20);
			assert_memory_equal(k.salt, salt, 14);
			mbms_wipe(&k, sizeof(k));
			mbms_mikey_keyctx_wipe(&ctx);
		}
	}
}

static void test_keyctx_refusals(void **state)
{
	(void)state;
	uint8_t inkey[MBMS_MIKEY_KEYCTX_MAX_INKEY + 1] = {7}, label[9] = {1}, out[20], rand[16] = {0};
	struct mbms_mikey_keyctx ctx, zero;
	struct mbms_mikey_msg_keys k;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(mbms_mikey_keyctx_init(NULL, inkey, 32), MBMS_EINVAL);
	assert_int_equal(mbms_mikey_keyctx_init(&ctx, NULL, 32), MBMS_EINVAL);
	assert_int_equal(mbms_mikey_keyctx_init(&ctx, inkey, sizeof(inkey)), MBMS_EINVAL);
	assert_int_equal(mbms_mikey_prf_keyed(&ctx, label, sizeof(label), out, 20), MBMS_EINVAL);
	assert_int_equal(mbms_mikey_prf_keyed(&zero, label, sizeof(label), out, 20), MBMS_EINVAL);
	assert_int_equal(mbms_mikey_prf_keyed(NULL, label, sizeof(label), out, 20), MBMS_EINVAL);
	assert_int_equal(mbms_mikey_keyctx_init(&ctx, inkey, 32), 0);
	assert_int_equal(mbms_mikey_prf_keyed(&ctx, NULL, 3, out, 20), MBMS_EINVAL);
	assert_int_equal(mbms_mikey_prf_keyed(&ctx, label, sizeof(label), NULL, 20), MBMS_EINVAL);
	assert_int_equal(mbms_mikey_msg_key_keyed(&ctx, 0, 0, rand, 256, out, 16), MBMS_EINVAL);
	assert_int_equal(mbms_mikey_msg_keys_keyed(&ctx, 0, rand, 16, NULL), MBMS_EINVAL);
	/* a wiped keyctx derives nothing, and a failed derivation leaves no key */
	mbms_mikey_keyctx_wipe(&ctx);
	memset(&k, 0xa5, sizeof(k));
	assert_int_equal(mbms_mikey_msg_keys_keyed(&ctx, 1, rand, 16, &k), MBMS_EINVAL);
	for (size_t i = 0; i < sizeof(k.encr); i++)
		assert_int_equal(k.encr[i], 0);
	/* a corrupted piece count is refused too */
	assert_int_equal(mbms_mikey_keyctx_init(&ctx, inkey, 16), 0);
	ctx.npieces = MBMS_MIKEY_KEYCTX_MAX_PIECES + 1;
	assert_int_equal(mbms_mikey_prf_keyed(&ctx, label, sizeof(label), out, 20), MBMS_EINVAL);
	mbms_mikey_keyctx_wipe(&ctx);
}

/* ---- mbms_msg.c: the protection of every message goes through a
 * prepared inkey; it must equal the oracle byte for byte ---- */

static void test_seal_equals_oracle(void **state)
{
	(void)state;
	static const size_t lens[] = {16, 32, 64, 80}; /* 80: the unprepared fallback */
	uint8_t inkey[80], rand[16], msg[160], want[160];
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		for (int round = 0; round < 25; round++) {
			uint32_t csb = (uint32_t)rng(), ts = (uint32_t)rng();
			size_t mac_off = 40 + rng_below(100), encr_len = rng_below(40);
			size_t encr_off = rng_below(mac_off - encr_len + 1);
			rng_fill(inkey, lens[l]);
			rng_fill(rand, 16);
			rng_fill(msg, mac_off);
			memcpy(want, msg, mac_off);
			ref_seal(want, encr_off, encr_len, mac_off, inkey, lens[l], csb, rand, ts);
			assert_int_equal(mbms_kemac_seal(msg, encr_off, encr_len, mac_off, inkey,
							 lens[l], csb, rand, 16, ts),
					 0);
			assert_memory_equal(msg, want, mac_off + 20);
		}
	}
}

/* Built and verified through the library, against the oracle; a flipped
 * bit anywhere under the MAC must fail with MBMS_EMAC. */
static void test_msk_message_roundtrip(void **state)
{
	(void)state;
	static const char idi[] = "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org";
	static const char idr[] = "gRE0fvgzT8TRMTt3OEPC4w==@bsf.mnc001.mcc001.pub.3gppnetwork.org";
	static const size_t muk_lens[] = {32, 80};
	uint8_t muk[80], msk[16], msg[MBMS_MSG_MAX_LEN], want[MBMS_MSG_MAX_LEN];
	for (size_t l = 0; l < 2; l++) {
		for (int round = 0; round < 10; round++) {
			rng_fill(muk, muk_lens[l]);
			rng_fill(msk, sizeof(msk));
			struct mbms_msk_msg_in in = {
				.muk = muk,
				.muk_len = muk_lens[l],
				.key_domain_id = {0x00, 0xf1, 0x10},
				.msk_id = 0x01020000u | (uint32_t)(1 + rng_below(0xfffe)),
				.ts_counter = (uint32_t)rng(),
				.idi = (const uint8_t *)idi,
				.idi_len = sizeof(idi) - 1,
				.idr = (const uint8_t *)idr,
				.idr_len = sizeof(idr) - 1,
				.v_flag = true,
				.msk = msk,
				.vf = 1,
				.vt = 255,
			};
			rng_fill(in.rand, sizeof(in.rand));
			size_t len = 0;
			struct mbms_msg_info info;
			assert_int_equal(mbms_msk_msg_build(&in, msg, sizeof(msg), &len), 0);
			assert_int_equal(mbms_msg_parse(msg, len, MBMS_MSG_F_MUK, &info), 0);
			size_t encr_off = (size_t)(info.encr_data - msg);
			/* the oracle re-seals the decrypted message to the same bytes */
			memcpy(want, msg, len);
			assert_int_equal(mbms_msg_verify(msg, len, MBMS_MSG_F_MUK, muk, muk_lens[l],
							 NULL, &info),
					 0);
			assert_memory_equal(info.key, msk, 16);
			uint8_t plain[MBMS_MSG_MAX_LEN];
			memcpy(plain, msg, len);
			ref_seal(plain, encr_off, info.encr_data_len, info.mac_off, muk,
				 muk_lens[l], in.msk_id, in.rand, in.ts_counter); /* decrypts */
			ref_seal(plain, encr_off, info.encr_data_len, info.mac_off, muk,
				 muk_lens[l], in.msk_id, in.rand, in.ts_counter); /* encrypts again */
			assert_memory_equal(plain, want, len);
			size_t mac_off = info.mac_off;
			mbms_msg_info_wipe(&info);
			/* must fail: a flipped bit under the MAC (the parser may see it
			 * first when it hits a length or type), or another MUK */
			msg[rng_below(mac_off)] ^= (uint8_t)(1u << rng_below(8));
			assert_int_not_equal(mbms_msg_verify(msg, len, MBMS_MSG_F_MUK, muk,
							     muk_lens[l], NULL, &info),
					     0);
			memcpy(msg, want, len);
			muk[0] ^= 1;
			assert_int_equal(mbms_msg_verify(msg, len, MBMS_MSG_F_MUK, muk, muk_lens[l],
							 NULL, &info),
					 MBMS_EMAC);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyed_rfc2202),
		cmocka_unit_test(test_keyed_equals_oracle),
		cmocka_unit_test(test_keyed_refusals),
		cmocka_unit_test(test_prf_keyed_vectors),
		cmocka_unit_test(test_msg_keys_keyed_vectors),
		cmocka_unit_test(test_prf_keyed_equals_oracle),
		cmocka_unit_test(test_msg_keys_equal_oracle),
		cmocka_unit_test(test_keyctx_refusals),
		cmocka_unit_test(test_seal_equals_oracle),
		cmocka_unit_test(test_msk_message_roundtrip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
