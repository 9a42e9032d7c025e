/* Which way of reusing an HMAC-SHA-1 key is fastest with OpenSSL 3?
 * (issue #9: "measure which is fastest"). One HMAC over 45 bytes (the
 * size of A1 || label in the MIKEY PRF) with a 32-byte key used again and
 * again, six ways:
 *
 *   evp_mac_key    EVP_MAC_init with the key on every call (the PRF before)
 *   evp_mac_null   EVP_MAC_init with a NULL key: OpenSSL reuses its pads
 *   evp_mac_dup    EVP_MAC_CTX_dup of a keyed context per HMAC
 *   evp_md_copy    EVP_MD_CTX_copy_ex of pre-keyed inner/outer digests
 *   sha_ctx_copy   low-level SHA_CTX assignment (deprecated API)
 *   mbms_keyed     mbms_hmac_sha1_keyed (crypto.h), what the library uses
 *
 * and, for scale, mbms_oneshot: mbms_hmac_sha1, which prepares the key on
 * every call (no reuse). All must give the same MAC (checked first). Informational records
 * only: no figure depends on them.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "util.h"

#include "mbmssec/crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

static uint8_t key[32], data[45];

static EVP_MAC_CTX *keyed_mac; /* key set once */
static EVP_MAC_CTX *rekeyed_mac; /* key set per call */
static EVP_MAC_CTX *scratch_mac;
static EVP_MD_CTX *md_inner, *md_outer, *md_work;
static SHA_CTX sha_inner, sha_outer;
static struct mbms_hmac_sha1_key mbms_key;

static void one_evp_mac_key(uint8_t out[20])
{
	size_t n = 0;
	if (!EVP_MAC_init(rekeyed_mac, key, sizeof(key), NULL) ||
	    !EVP_MAC_update(rekeyed_mac, data, sizeof(data)) ||
	    !EVP_MAC_final(rekeyed_mac, out, &n, 20))
		bench_die("EVP_MAC with the key", -1);
}

static void one_mbms_oneshot(uint8_t out[20])
{
	if (mbms_hmac_sha1(key, sizeof(key), data, sizeof(data), out))
		bench_die("mbms_hmac_sha1", -1);
}

static void one_evp_mac_null(uint8_t out[20])
{
	size_t n = 0;
	if (!EVP_MAC_init(keyed_mac, NULL, 0, NULL) || !EVP_MAC_update(keyed_mac, data, sizeof(data)) ||
	    !EVP_MAC_final(keyed_mac, out, &n, 20))
		bench_die("EVP_MAC NULL key", -1);
}

static void one_evp_mac_dup(uint8_t out[20])
{
	size_t n = 0;
	EVP_MAC_CTX *c = EVP_MAC_CTX_dup(scratch_mac);
	if (!c || !EVP_MAC_update(c, data, sizeof(data)) || !EVP_MAC_final(c, out, &n, 20))
		bench_die("EVP_MAC_CTX_dup", -1);
	EVP_MAC_CTX_free(c);
}

static void one_evp_md_copy(uint8_t out[20])
{
	unsigned n = 0;
	if (!EVP_MD_CTX_copy_ex(md_work, md_inner) || !EVP_DigestUpdate(md_work, data, sizeof(data)) ||
	    !EVP_DigestFinal_ex(md_work, out, &n) || !EVP_MD_CTX_copy_ex(md_work, md_outer) ||
	    !EVP_DigestUpdate(md_work, out, 20) || !EVP_DigestFinal_ex(md_work, out, &n))
		bench_die("EVP_MD_CTX_copy_ex", -1);
}

static void one_sha_ctx_copy(uint8_t out[20])
{
	SHA_CTX c = sha_inner;
	SHA1_Update(&c, data, sizeof(data));
	SHA1_Final(out, &c);
	c = sha_outer;
	SHA1_Update(&c, out, 20);
	SHA1_Final(out, &c);
}

static void one_mbms_keyed(uint8_t out[20])
{
	if (mbms_hmac_sha1_keyed(&mbms_key, data, sizeof(data), out))
		bench_die("mbms_hmac_sha1_keyed", -1);
}

#define LOOP(name)                                                                                 \
	static void loop_##name(void *arg, size_t iters)                                           \
	{                                                                                          \
		(void)arg;                                                                         \
		uint8_t out[20];                                                                   \
		uint64_t acc = 0;                                                                  \
		for (size_t i = 0; i < iters; i++) {                                               \
			data[0] = (uint8_t)i;                                                      \
			one_##name(out);                                                           \
			acc += out[0];                                                             \
		}                                                                                  \
		bench_sink += acc;                                                                 \
	}
LOOP(evp_mac_key)
LOOP(evp_mac_null)
LOOP(evp_mac_dup)
LOOP(evp_md_copy)
LOOP(sha_ctx_copy)
LOOP(mbms_keyed)
LOOP(mbms_oneshot)

static void setup(void)
{
	uint8_t pad[64];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;

	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MD *sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA1", 0),
		OSSL_PARAM_construct_end(),
	};
	keyed_mac = EVP_MAC_CTX_new(hmac);
	scratch_mac = EVP_MAC_CTX_new(hmac);
	rekeyed_mac = EVP_MAC_CTX_new(hmac);
	if (!hmac || !sha1 || !keyed_mac || !scratch_mac || !rekeyed_mac ||
	    !EVP_MAC_CTX_set_params(rekeyed_mac, params) ||
	    !EVP_MAC_init(keyed_mac, key, sizeof(key), params) ||
	    !EVP_MAC_init(scratch_mac, key, sizeof(key), params))
		bench_die("EVP_MAC setup", -1);

	md_inner = EVP_MD_CTX_new();
	md_outer = EVP_MD_CTX_new();
	md_work = EVP_MD_CTX_new();
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < sizeof(key); i++)
		pad[i] ^= key[i];
	SHA1_Init(&sha_inner);
	SHA1_Update(&sha_inner, pad, sizeof(pad));
	if (!md_inner || !EVP_DigestInit_ex2(md_inner, sha1, NULL) ||
	    !EVP_DigestUpdate(md_inner, pad, sizeof(pad)))
		bench_die("EVP_MD setup", -1);
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < sizeof(key); i++)
		pad[i] ^= key[i];
	SHA1_Init(&sha_outer);
	SHA1_Update(&sha_outer, pad, sizeof(pad));
	if (!md_outer || !md_work || !EVP_DigestInit_ex2(md_outer, sha1, NULL) ||
	    !EVP_DigestUpdate(md_outer, pad, sizeof(pad)))
		bench_die("EVP_MD setup", -1);
	EVP_MAC_free(hmac);
	EVP_MD_free(sha1);
	if (mbms_hmac_sha1_key_init(&mbms_key, key, sizeof(key)))
		bench_die("mbms_hmac_sha1_key_init", -1);

	/* All six agree. */
	void (*const ones[])(uint8_t *) = {one_evp_mac_null, one_evp_mac_dup, one_evp_md_copy,
					    one_sha_ctx_copy, one_mbms_keyed, one_mbms_oneshot};
	uint8_t want[20], got[20];
	one_evp_mac_key(want);
	for (size_t i = 0; i < sizeof(ones) / sizeof(ones[0]); i++) {
		ones[i](got);
		if (memcmp(want, got, 20) != 0)
			bench_die("methods disagree", (int)i);
	}
}

int main(void)
{
	struct bench_cfg cfg;
	struct bench_pair p;
	bench_cfg_from_env(&cfg);
	cfg.reps = 5;
	cfg.seconds /= 2;
	setup();
	static const struct {
		const char *name;
		bench_fn fn;
	} methods[] = {
		{"evp_mac_key: EVP_MAC_init with the key per HMAC", loop_evp_mac_key},
		{"evp_mac_null: EVP_MAC_init with a NULL key (pads reused)", loop_evp_mac_null},
		{"evp_mac_dup: EVP_MAC_CTX_dup of a keyed context per HMAC", loop_evp_mac_dup},
		{"evp_md_copy: EVP_MD_CTX_copy_ex of pre-keyed inner/outer", loop_evp_md_copy},
		{"sha_ctx_copy: SHA_CTX assignment (low-level, deprecated)", loop_sha_ctx_copy},
		{"mbms_keyed: mbms_hmac_sha1_keyed (crypto.h)", loop_mbms_keyed},
		{"mbms_oneshot: mbms_hmac_sha1, key prepared per call (not reused)",
		 loop_mbms_oneshot},
	};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		bench_single(&cfg, methods[i].fn, NULL, &p);
		bench_print_info("hmac_method", methods[i].name, p.b_med,
				 "one HMAC-SHA-1 over 45 bytes, 32-byte key reused");
	}
	EVP_MAC_CTX_free(keyed_mac);
	EVP_MAC_CTX_free(scratch_mac);
	EVP_MAC_CTX_free(rekeyed_mac);
	EVP_MD_CTX_free(md_inner);
	EVP_MD_CTX_free(md_outer);
	EVP_MD_CTX_free(md_work);
	mbms_crypto_thread_cleanup();
	return 0;
}
