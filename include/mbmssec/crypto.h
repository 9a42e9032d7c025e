/* mbmssec — cryptographic primitives (OpenSSL 3 backed).
 *
 * Algorithms are fetched once per process; each thread keeps its own reused
 * MAC and cipher contexts, so these calls are cheap on hot paths and safe to
 * call from several threads. All functions return 0 or a negative MBMS_E*.
 */
#ifndef MBMSSEC_CRYPTO_H
#define MBMSSEC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MBMS_SHA1_LEN 20
#define MBMS_SHA256_LEN 32
#define MBMS_MD5_LEN 16
#define MBMS_AES128_KEY_LEN 16
#define MBMS_AES_BLOCK_LEN 16

/* A read-only byte range: used to MAC or hash several pieces as one input. */
struct mbms_buf {
	const uint8_t *data;
	size_t len;
};

/* Fetch the algorithms (idempotent, thread-safe). Called implicitly. */
int mbms_crypto_init(void);

/* Free this thread's reused contexts (optional; for leak-checkers and
 * threads that exit). */
void mbms_crypto_thread_cleanup(void);

/* HMAC-SHA-1 (RFC 2104) over the concatenation of parts. Computed through
 * the prepared-key path below (lib/hmac_sha1.c): a one-shot HMAC-SHA-1
 * costs less that way than through EVP_MAC with a key set per call. */
int mbms_hmac_sha1_v(const uint8_t *key, size_t key_len, const struct mbms_buf *parts,
		     size_t nparts, uint8_t out[MBMS_SHA1_LEN]);
int mbms_hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		   uint8_t out[MBMS_SHA1_LEN]);

/* HMAC-SHA-1 with a prepared key (RFC 2104). Both hashes of an HMAC start
 * with one block that depends on the key alone (K xor ipad, K xor opad);
 * mbms_hmac_sha1_key_init hashes the two blocks once and keeps the SHA-1
 * chaining values, and every keyed call starts from them: an HMAC over a
 * short input then costs two SHA-1 compressions instead of four
 * (perf-notes.md, "the crypto floor"). Any key length (a key over 64 bytes
 * is hashed first, RFC 2104 2). A plain struct, no allocation, safe to
 * share read-only between threads; it is as secret as the key: wipe it with
 * mbms_wipe (a wiped or zeroed one is refused with MBMS_EINVAL). */
struct mbms_hmac_sha1_key {
	uint32_t inner[5];
	uint32_t outer[5];
	uint32_t ready;
};

int mbms_hmac_sha1_key_init(struct mbms_hmac_sha1_key *k, const uint8_t *key, size_t key_len);

/* HMAC-SHA-1 under k over the concatenation of parts; out may overlap the
 * input (it is written last). */
int mbms_hmac_sha1_keyed_v(const struct mbms_hmac_sha1_key *k, const struct mbms_buf *parts,
			   size_t nparts, uint8_t out[MBMS_SHA1_LEN]);
int mbms_hmac_sha1_keyed(const struct mbms_hmac_sha1_key *k, const uint8_t *data, size_t len,
			 uint8_t out[MBMS_SHA1_LEN]);

/* HMAC-SHA-256 over the concatenation of parts. */
int mbms_hmac_sha256_v(const uint8_t *key, size_t key_len, const struct mbms_buf *parts,
		       size_t nparts, uint8_t out[MBMS_SHA256_LEN]);
int mbms_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
		     uint8_t out[MBMS_SHA256_LEN]);

/* MD5 and SHA-256 digests over the concatenation of parts (HTTP Digest). */
int mbms_md5_v(const struct mbms_buf *parts, size_t nparts, uint8_t out[MBMS_MD5_LEN]);
int mbms_sha256_v(const struct mbms_buf *parts, size_t nparts, uint8_t out[MBMS_SHA256_LEN]);

/* AES-CM-128 (RFC 3711 4.1.1): AES-128 in counter mode where the 128-bit
 * counter block starts at iv and its low 16 bits count blocks. Encrypt and
 * decrypt are the same operation; in and out may be the same buffer. */
int mbms_aes_cm_128(const uint8_t key[MBMS_AES128_KEY_LEN], const uint8_t iv[MBMS_AES_BLOCK_LEN],
		    const uint8_t *in, uint8_t *out, size_t len);

/* One AES-128 block encryption (Milenage's E_K). */
int mbms_aes128_encrypt_block(const uint8_t key[MBMS_AES128_KEY_LEN],
			      const uint8_t in[MBMS_AES_BLOCK_LEN],
			      uint8_t out[MBMS_AES_BLOCK_LEN]);

/* Cryptographically secure random bytes. */
int mbms_random(uint8_t *buf, size_t len);

/* 1 when equal, 0 otherwise; time depends only on len. */
int mbms_ct_equal(const void *a, const void *b, size_t len);

/* Overwrite a secret so the compiler cannot drop the write. */
void mbms_wipe(void *p, size_t len);

#ifdef __cplusplus
}
#endif
#endif
