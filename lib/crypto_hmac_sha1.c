/* HMAC-SHA-1 with a prepared key (crypto.h, RFC 2104).
 *
 * Why the low-level SHA1_* calls, deprecated in OpenSSL 3.0: a prepared
 * HMAC key is two SHA-1 states that every HMAC starts from, and these calls
 * are the only OpenSSL 3 interface whose state is plain data that can be
 * saved and restored by assignment. The EVP alternatives were measured
 * (bench/bench_hmac.c, docs/benchmarks.md): EVP_MD_CTX_copy_ex frees and
 * allocates the provider context on every copy, EVP_MAC_CTX_dup allocates
 * a whole HMAC context, and EVP_MAC_init with a NULL key re-copies three
 * digest contexts; all of them cost more than the two compressions an HMAC
 * over a short input needs. The deprecated calls are kept to this one file,
 * which opts out of OpenSSL's deprecation warnings (-Werror) with
 * OPENSSL_SUPPRESS_DEPRECATED, OpenSSL's own switch for exactly that.
 *
 * They bypass the provider layer: SHA-1 here always comes from libcrypto's
 * built-in implementation, whatever provider a configuration selects.
 * SHA-256, MD5 and AES stay on EVP (crypto.c).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#ifdef OPENSSL_NO_DEPRECATED_3_0
#error "lib/crypto_hmac_sha1.c needs SHA1_Init/Update/Final (OpenSSL built without deprecated 3.0 APIs)"
#endif

#define SHA1_BLOCK 64
#define KEY_READY 0x484d4131u /* "HMA1" */

/* The chaining value after one whole block: SHA1_Update of exactly 64
 * bytes compresses it straight from the input and buffers nothing, so the
 * chaining value is the only key-dependent part of c to wipe. */
static void state_after_block(uint32_t h[5], const uint8_t block[SHA1_BLOCK])
{
	SHA_CTX c;
	SHA1_Init(&c);
	SHA1_Update(&c, block, SHA1_BLOCK);
	h[0] = c.h0;
	h[1] = c.h1;
	h[2] = c.h2;
	h[3] = c.h3;
	h[4] = c.h4;
	OPENSSL_cleanse(&c.h0, 5 * sizeof(c.h0));
}

/* A SHA_CTX as SHA1_Update leaves it after one block: chaining value h,
 * 512 bits hashed, empty buffer (num 0: data is written before it is read). */
static void resume(SHA_CTX *c, const uint32_t h[5])
{
	c->h0 = h[0];
	c->h1 = h[1];
	c->h2 = h[2];
	c->h3 = h[3];
	c->h4 = h[4];
	c->Nl = SHA1_BLOCK * 8;
	c->Nh = 0;
	c->num = 0;
}

int mbms_hmac_sha1_key_init(struct mbms_hmac_sha1_key *k, const uint8_t *key, size_t key_len)
{
	uint8_t pad[SHA1_BLOCK], hashed[MBMS_SHA1_LEN];
	if (!k || (!key && key_len))
		return MBMS_EINVAL;
	k->ready = 0;
	/* RFC 2104 2: a key longer than the block is replaced by its hash. */
	if (key_len > SHA1_BLOCK) {
		SHA_CTX c;
		SHA1_Init(&c);
		SHA1_Update(&c, key, key_len);
		SHA1_Final(hashed, &c);
		OPENSSL_cleanse(&c, sizeof(c)); /* the key passed through its buffer */
		key = hashed;
		key_len = sizeof(hashed);
	}
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < key_len; i++)
		pad[i] ^= key[i];
	state_after_block(k->inner, pad);
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < key_len; i++)
		pad[i] ^= key[i];
	state_after_block(k->outer, pad);
	OPENSSL_cleanse(pad, sizeof(pad));
	if (key == hashed)
		OPENSSL_cleanse(hashed, sizeof(hashed));
	k->ready = KEY_READY;
	return 0;
}

int mbms_hmac_sha1_keyed_v(const struct mbms_hmac_sha1_key *k, const struct mbms_buf *parts,
			   size_t nparts, uint8_t out[MBMS_SHA1_LEN])
{
	SHA_CTX c;
	uint8_t inner[MBMS_SHA1_LEN];
	if (!k || k->ready != KEY_READY || !out || (!parts && nparts))
		return MBMS_EINVAL;
	for (size_t i = 0; i < nparts; i++)
		if (!parts[i].data && parts[i].len)
			return MBMS_EINVAL;
	resume(&c, k->inner);
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].len)
			SHA1_Update(&c, parts[i].data, parts[i].len);
	SHA1_Final(inner, &c);
	resume(&c, k->outer);
	SHA1_Update(&c, inner, sizeof(inner));
	SHA1_Final(out, &c);
	return 0;
}

int mbms_hmac_sha1_keyed(const struct mbms_hmac_sha1_key *k, const uint8_t *data, size_t len,
			 uint8_t out[MBMS_SHA1_LEN])
{
	SHA_CTX c;
	uint8_t inner[MBMS_SHA1_LEN];
	if (!k || k->ready != KEY_READY || !out || (!data && len))
		return MBMS_EINVAL;
	resume(&c, k->inner);
	if (len)
		SHA1_Update(&c, data, len);
	SHA1_Final(inner, &c);
	resume(&c, k->outer);
	SHA1_Update(&c, inner, sizeof(inner));
	SHA1_Final(out, &c);
	return 0;
}
