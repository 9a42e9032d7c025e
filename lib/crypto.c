/* OpenSSL 3 backed primitives.
 *
 * perf-notes.md: fetching an algorithm per call dominates small inputs, so
 * EVP_MAC / EVP_CIPHER / EVP_MD are fetched once per process and each thread
 * keeps reused contexts; a key is set per call.
 */
#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <string.h>

static EVP_MAC *g_hmac;
static EVP_CIPHER *g_aes_ctr;
static EVP_CIPHER *g_aes_ecb;
static EVP_MD *g_md5;
static EVP_MD *g_sha256;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_init_ok;

static void fetch_all(void)
{
	g_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	g_aes_ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
	g_aes_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	g_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	g_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	g_init_ok = g_hmac && g_aes_ctr && g_aes_ecb && g_md5 && g_sha256;
}

int mbms_crypto_init(void)
{
	pthread_once(&g_once, fetch_all);
	return g_init_ok ? 0 : MBMS_ECRYPTO;
}

/* Per-thread reused contexts. */
struct thread_ctx {
	EVP_MAC_CTX *sha256;
	EVP_CIPHER_CTX *ctr;
	EVP_CIPHER_CTX *ecb;
	EVP_MD_CTX *md;
};
static _Thread_local struct thread_ctx tl;

static EVP_MAC_CTX *mac_ctx(EVP_MAC_CTX **slot, const char *digest)
{
	if (*slot)
		return *slot;
	if (mbms_crypto_init() != 0)
		return NULL;
	EVP_MAC_CTX *c = EVP_MAC_CTX_new(g_hmac);
	if (!c)
		return NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
		OSSL_PARAM_construct_end(),
	};
	if (!EVP_MAC_CTX_set_params(c, params)) {
		EVP_MAC_CTX_free(c);
		return NULL;
	}
	*slot = c;
	return c;
}

void mbms_crypto_thread_cleanup(void)
{
	EVP_MAC_CTX_free(tl.sha256);
	EVP_CIPHER_CTX_free(tl.ctr);
	EVP_CIPHER_CTX_free(tl.ecb);
	EVP_MD_CTX_free(tl.md);
	memset(&tl, 0, sizeof(tl));
}

static int hmac_v(EVP_MAC_CTX *c, const uint8_t *key, size_t key_len, const struct mbms_buf *parts,
		  size_t nparts, uint8_t *out, size_t out_len)
{
	static const uint8_t empty_key[1];
	size_t got = 0;
	if (!c)
		return MBMS_ECRYPTO;
	if (!key && key_len)
		return MBMS_EINVAL;
	/* A zero-length key is legal HMAC; OpenSSL wants a non-NULL pointer. */
	if (!EVP_MAC_init(c, key_len ? key : empty_key, key_len, NULL))
		return MBMS_ECRYPTO;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].len && !EVP_MAC_update(c, parts[i].data, parts[i].len))
			return MBMS_ECRYPTO;
	if (!EVP_MAC_final(c, out, &got, out_len) || got != out_len)
		return MBMS_ECRYPTO;
	return 0;
}

/* HMAC-SHA-1 goes through a prepared key on the stack (crypto_hmac_sha1.c):
 * two compressions for the pads plus the message, without the EVP_MAC
 * re-initialisation of three digest contexts per call. */
int mbms_hmac_sha1_v(const uint8_t *key, size_t key_len, const struct mbms_buf *parts,
		     size_t nparts, uint8_t out[MBMS_SHA1_LEN])
{
	struct mbms_hmac_sha1_key k;
	int rc = mbms_hmac_sha1_key_init(&k, key, key_len);
	if (rc == 0)
		rc = mbms_hmac_sha1_keyed_v(&k, parts, nparts, out);
	mbms_wipe(&k, sizeof(k));
	return rc;
}

int mbms_hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		   uint8_t out[MBMS_SHA1_LEN])
{
	struct mbms_buf b = {data, len};
	return mbms_hmac_sha1_v(key, key_len, &b, 1, out);
}

int mbms_hmac_sha256_v(const uint8_t *key, size_t key_len, const struct mbms_buf *parts,
		       size_t nparts, uint8_t out[MBMS_SHA256_LEN])
{
	return hmac_v(mac_ctx(&tl.sha256, "SHA256"), key, key_len, parts, nparts, out,
		      MBMS_SHA256_LEN);
}

int mbms_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		     uint8_t out[MBMS_SHA256_LEN])
{
	struct mbms_buf b = {data, len};
	return mbms_hmac_sha256_v(key, key_len, &b, 1, out);
}

static int digest_v(const EVP_MD *md, const struct mbms_buf *parts, size_t nparts, uint8_t *out,
		    unsigned int out_len)
{
	unsigned int got = 0;
	if (mbms_crypto_init() != 0)
		return MBMS_ECRYPTO;
	if (!tl.md && !(tl.md = EVP_MD_CTX_new()))
		return MBMS_ENOMEM;
	if (!EVP_DigestInit_ex2(tl.md, md, NULL))
		return MBMS_ECRYPTO;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].len && !EVP_DigestUpdate(tl.md, parts[i].data, parts[i].len))
			return MBMS_ECRYPTO;
	if (!EVP_DigestFinal_ex(tl.md, out, &got) || got != out_len)
		return MBMS_ECRYPTO;
	return 0;
}

int mbms_md5_v(const struct mbms_buf *parts, size_t nparts, uint8_t out[MBMS_MD5_LEN])
{
	if (mbms_crypto_init() != 0)
		return MBMS_ECRYPTO;
	return digest_v(g_md5, parts, nparts, out, MBMS_MD5_LEN);
}

int mbms_sha256_v(const struct mbms_buf *parts, size_t nparts, uint8_t out[MBMS_SHA256_LEN])
{
	if (mbms_crypto_init() != 0)
		return MBMS_ECRYPTO;
	return digest_v(g_sha256, parts, nparts, out, MBMS_SHA256_LEN);
}

static EVP_CIPHER_CTX *cipher_ctx(EVP_CIPHER_CTX **slot)
{
	if (!*slot)
		*slot = EVP_CIPHER_CTX_new();
	return *slot;
}

/* RFC 3711 4.1.1: the keystream block i is E(k, IV + i) with the 128-bit
 * counter; AES-128-CTR increments the whole block big-endian, which equals
 * the RFC layout as long as fewer than 2^16 blocks are produced. */
int mbms_aes_cm_128(const uint8_t key[MBMS_AES128_KEY_LEN], const uint8_t iv[MBMS_AES_BLOCK_LEN],
		    const uint8_t *in, uint8_t *out, size_t len)
{
	int outl = 0, finl = 0;
	if (mbms_crypto_init() != 0)
		return MBMS_ECRYPTO;
	if (len > (size_t)65536 * MBMS_AES_BLOCK_LEN || len > (size_t)INT32_MAX)
		return MBMS_EINVAL;
	if (len == 0)
		return 0;
	EVP_CIPHER_CTX *c = cipher_ctx(&tl.ctr);
	if (!c)
		return MBMS_ENOMEM;
	if (!EVP_EncryptInit_ex2(c, g_aes_ctr, key, iv, NULL) ||
	    !EVP_EncryptUpdate(c, out, &outl, in, (int)len) ||
	    !EVP_EncryptFinal_ex(c, out + outl, &finl) || (size_t)(outl + finl) != len)
		return MBMS_ECRYPTO;
	return 0;
}

int mbms_aes128_encrypt_block(const uint8_t key[MBMS_AES128_KEY_LEN],
			      const uint8_t in[MBMS_AES_BLOCK_LEN],
			      uint8_t out[MBMS_AES_BLOCK_LEN])
{
	int outl = 0;
	if (mbms_crypto_init() != 0)
		return MBMS_ECRYPTO;
	EVP_CIPHER_CTX *c = cipher_ctx(&tl.ecb);
	if (!c)
		return MBMS_ENOMEM;
	if (!EVP_EncryptInit_ex2(c, g_aes_ecb, key, NULL, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(c, 0) ||
	    !EVP_EncryptUpdate(c, out, &outl, in, MBMS_AES_BLOCK_LEN) || outl != MBMS_AES_BLOCK_LEN)
		return MBMS_ECRYPTO;
	return 0;
}

int mbms_random(uint8_t *buf, size_t len)
{
	if (len > (size_t)INT32_MAX)
		return MBMS_EINVAL;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : MBMS_ECRYPTO;
}

int mbms_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void mbms_wipe(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}
