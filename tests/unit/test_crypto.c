/* Crypto primitives against published vectors: RFC 2202 (HMAC-SHA-1),
 * RFC 4231 (HMAC-SHA-256), RFC 3711 B.2 (AES-CM), RFC 1321 (MD5). */
#include "testutil.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <string.h>

struct hmac_vector {
	const char *source;
	const char *key_hex;
	const char *data; /* literal text, or hex when data_hex is set */
	int data_hex;
	const char *mac_hex;
	int must_match; /* 0: a deliberately wrong expectation, must NOT match */
};

static const struct hmac_vector sha1_vectors[] = {
	{"RFC 2202 tc1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", 0,
	 "b617318655057264e28bc0b6fb378c8ef146be00", 1},
	{"RFC 2202 tc2", "4a656665", "what do ya want for nothing?", 0,
	 "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", 1},
	{"RFC 2202 tc3", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
	 1, "125d7342b9ac11cd91a39af48aa17b4f63f175d3", 1},
	{"RFC 2202 tc6 (80-byte key)",
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "Test Using Larger Than Block-Size Key - Hash Key First", 0,
	 "aa4ae5e15272d00e95705637ce8a3b55ed402112", 1},
	{"RFC 2202 tc1 with a flipped bit (must fail)", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	 "Hi There", 0, "b617318655057264e28bc0b6fb378c8ef146be01", 0},
};

static const struct hmac_vector sha256_vectors[] = {
	{"RFC 4231 tc1", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", 0,
	 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 1},
	{"RFC 4231 tc2", "4a656665", "what do ya want for nothing?", 0,
	 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 1},
	{"RFC 4231 tc6 (131-byte key)",
	 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	 "Test Using Larger Than Block-Size Key - Hash Key First", 0,
	 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 1},
	{"RFC 4231 tc2 with a wrong key (must fail)", "4a656666", "what do ya want for nothing?", 0,
	 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 0},
};

static void run_hmac_table(const struct hmac_vector *t, size_t n, size_t mac_len,
			   int (*fn)(const uint8_t *, size_t, const uint8_t *, size_t, uint8_t *))
{
	for (size_t i = 0; i < n; i++) {
		size_t key_len, data_len;
		uint8_t *key = th_hex(t[i].key_hex, &key_len);
		uint8_t *data;
		if (t[i].data_hex) {
			data = th_hex(t[i].data, &data_len);
		} else {
			data_len = strlen(t[i].data);
			data = test_malloc(data_len + 1);
			memcpy(data, t[i].data, data_len);
		}
		uint8_t mac[32], want[32];
		assert_int_equal(fn(key, key_len, data, data_len, mac), 0);
		th_hex_into(t[i].mac_hex, want, mac_len);
		if (mbms_ct_equal(mac, want, mac_len) != t[i].must_match)
			fail_msg("%s: match=%d, expected %d", t[i].source, !t[i].must_match,
				 t[i].must_match);
		test_free(key);
		test_free(data);
	}
}

static void test_hmac_sha1(void **state)
{
	(void)state;
	run_hmac_table(sha1_vectors, sizeof(sha1_vectors) / sizeof(sha1_vectors[0]), 20,
		       mbms_hmac_sha1);
}

static void test_hmac_sha256(void **state)
{
	(void)state;
	run_hmac_table(sha256_vectors, sizeof(sha256_vectors) / sizeof(sha256_vectors[0]), 32,
		       mbms_hmac_sha256);
}

/* The vectored form equals the one-shot form over the concatenation. */
static void test_hmac_sha1_pieces(void **state)
{
	(void)state;
	static const uint8_t key[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
					0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
	const struct mbms_buf parts[3] = {{(const uint8_t *)"Hi", 2}, {(const uint8_t *)"", 0},
					  {(const uint8_t *)" There", 6}};
	uint8_t mac[20];
	assert_int_equal(mbms_hmac_sha1_v(key, sizeof(key), parts, 3, mac), 0);
	th_assert_hex(mac, 20, "b617318655057264e28bc0b6fb378c8ef146be00", "RFC 2202 tc1 in pieces");
}

/* RFC 3711 B.2: AES-CM keystream for the given key and IV. */
static void test_aes_cm_rfc3711(void **state)
{
	(void)state;
	uint8_t key[16], iv[16], zeros[48] = {0}, ks[48];
	th_hex_into("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
	th_hex_into("f0f1f2f3f4f5f6f7f8f9fafbfcfd0000", iv, 16);
	assert_int_equal(mbms_aes_cm_128(key, iv, zeros, ks, sizeof(ks)), 0);
	th_assert_hex(ks, 48,
		      "e03ead0935c95e80e166b16dd92b4eb4"
		      "d23513162b02d0f72a43a2fe4a5f97ab"
		      "41e95b3bb0a2e8dd477901e4fca894c0",
		      "RFC 3711 B.2 keystream");
	/* Decrypting restores the plaintext; a different IV does not. */
	uint8_t msg[26] = "abcdefghijklmnopqrstuvwxyz", ct[26], back[26];
	assert_int_equal(mbms_aes_cm_128(key, iv, msg, ct, 26), 0);
	assert_int_equal(mbms_aes_cm_128(key, iv, ct, back, 26), 0);
	assert_memory_equal(msg, back, 26);
	iv[15] ^= 1;
	assert_int_equal(mbms_aes_cm_128(key, iv, ct, back, 26), 0);
	assert_memory_not_equal(msg, back, 26);
}

/* FIPS-197 C.1 gives AES-128(000102..0f, 00112233..ff) = 69c4e0d8...; a
 * changed plaintext must change the block. */
static void test_aes_block(void **state)
{
	(void)state;
	uint8_t key[16], in[16], out[16];
	th_hex_into("000102030405060708090a0b0c0d0e0f", key, 16);
	th_hex_into("00112233445566778899aabbccddeeff", in, 16);
	assert_int_equal(mbms_aes128_encrypt_block(key, in, out), 0);
	th_assert_hex(out, 16, "69c4e0d86a7b0430d8cdb78070b4c55a", "FIPS-197 C.1");
	in[0] ^= 1;
	assert_int_equal(mbms_aes128_encrypt_block(key, in, out), 0);
	assert_false(mbms_ct_equal(out, "\x69\xc4\xe0\xd8\x6a\x7b\x04\x30\xd8\xcd\xb7\x80\x70\xb4\xc5\x5a", 16));
}

/* RFC 1321 A.5 test suite (two entries) and the SHA-256 of "abc" (FIPS 180-2). */
static void test_digests(void **state)
{
	(void)state;
	uint8_t md[32];
	const struct mbms_buf abc = {(const uint8_t *)"abc", 3};
	assert_int_equal(mbms_md5_v(&abc, 1, md), 0);
	th_assert_hex(md, 16, "900150983cd24fb0d6963f7d28e17f72", "RFC 1321 MD5(\"abc\")");
	assert_int_equal(mbms_md5_v(NULL, 0, md), 0);
	th_assert_hex(md, 16, "d41d8cd98f00b204e9800998ecf8427e", "RFC 1321 MD5(\"\")");
	assert_int_equal(mbms_sha256_v(&abc, 1, md), 0);
	th_assert_hex(md, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		      "FIPS 180-2 SHA-256(\"abc\")");
}

static void test_ct_equal_random_wipe(void **state)
{
	(void)state;
	uint8_t a[32], b[32];
	assert_int_equal(mbms_random(a, sizeof(a)), 0);
	memcpy(b, a, sizeof(a));
	assert_true(mbms_ct_equal(a, b, sizeof(a)));
	b[31] ^= 0x80;
	assert_false(mbms_ct_equal(a, b, sizeof(a)));
	uint8_t c[32];
	assert_int_equal(mbms_random(c, sizeof(c)), 0);
	assert_memory_not_equal(a, c, sizeof(a)); /* 2^-256 to fail by chance */
	mbms_wipe(a, sizeof(a));
	static const uint8_t zero[32];
	assert_memory_equal(a, zero, sizeof(a));
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
		cmocka_unit_test(test_hmac_sha1),
		cmocka_unit_test(test_hmac_sha256),
		cmocka_unit_test(test_hmac_sha1_pieces),
		cmocka_unit_test(test_aes_cm_rfc3711),
		cmocka_unit_test(test_aes_block),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_ct_equal_random_wipe),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
