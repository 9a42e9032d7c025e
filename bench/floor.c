/* The crypto floor (floor.h). SHA1_Init/Update/Final are deprecated in
 * OpenSSL 3.0; they stay available and are the only OpenSSL 3 interface
 * whose state is a plain struct that can be copied with an assignment
 * (EVP_MD_CTX_copy_ex frees and allocates the provider context per copy),
 * which is what "states computed once and copied per HMAC" means. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "floor.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#define CONST_ENCR 0x150533E1u
#define CONST_AUTH 0x2D22AC75u
#define CONST_SALT 0x29B88916u

struct hkey {
	SHA_CTX inner, outer;
};

struct floor_ctx {
	struct hkey muk;
	EVP_CIPHER *aes_ctr;
	EVP_CIPHER_CTX *cipher;
};

/* RFC 2104 with key_len <= 64. */
static void hkey_init(struct hkey *k, const uint8_t *key, size_t key_len)
{
	uint8_t pad[64];
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < key_len; i++)
		pad[i] ^= key[i];
	SHA1_Init(&k->inner);
	SHA1_Update(&k->inner, pad, sizeof(pad));
	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < key_len; i++)
		pad[i] ^= key[i];
	SHA1_Init(&k->outer);
	SHA1_Update(&k->outer, pad, sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
}

static void hmac(const struct hkey *k, const uint8_t *d, size_t len, uint8_t out[20])
{
	SHA_CTX c = k->inner;
	SHA1_Update(&c, d, len);
	SHA1_Final(out, &c);
	c = k->outer;
	SHA1_Update(&c, out, 20);
	SHA1_Final(out, &c);
}

/* buf = [20 free bytes | label (25)]: A1 = HMAC(label) goes into the free
 * bytes so that A1 || label is contiguous. */
static void prf_key(const struct hkey *s, uint8_t buf[45], uint32_t constant, uint8_t *out,
		    size_t out_len)
{
	uint8_t block[20];
	buf[20] = (uint8_t)(constant >> 24);
	buf[21] = (uint8_t)(constant >> 16);
	buf[22] = (uint8_t)(constant >> 8);
	buf[23] = (uint8_t)constant;
	hmac(s, buf + 20, 25, buf);
	hmac(s, buf, 45, block);
	memcpy(out, block, out_len);
}

static void label_init(uint8_t buf[45], uint32_t csb_id, const uint8_t rand[16])
{
	buf[24] = 0xff;
	buf[25] = (uint8_t)(csb_id >> 24);
	buf[26] = (uint8_t)(csb_id >> 16);
	buf[27] = (uint8_t)(csb_id >> 8);
	buf[28] = (uint8_t)csb_id;
	memcpy(buf + 29, rand, 16);
}

static void iv_init(uint8_t iv[16], const uint8_t salt[14], uint32_t csb_id, uint32_t ts)
{
	memcpy(iv, salt, 14);
	iv[14] = iv[15] = 0;
	iv[2] ^= (uint8_t)(csb_id >> 24);
	iv[3] ^= (uint8_t)(csb_id >> 16);
	iv[4] ^= (uint8_t)(csb_id >> 8);
	iv[5] ^= (uint8_t)csb_id;
	iv[10] ^= (uint8_t)(ts >> 24);
	iv[11] ^= (uint8_t)(ts >> 16);
	iv[12] ^= (uint8_t)(ts >> 8);
	iv[13] ^= (uint8_t)ts;
}

struct floor_ctx *floor_new(const uint8_t *muk, size_t muk_len)
{
	if (muk_len > 32)
		return NULL;
	struct floor_ctx *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	hkey_init(&f->muk, muk, muk_len);
	f->aes_ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
	f->cipher = EVP_CIPHER_CTX_new();
	if (!f->aes_ctr || !f->cipher) {
		floor_free(f);
		return NULL;
	}
	return f;
}

void floor_free(struct floor_ctx *f)
{
	if (!f)
		return;
	EVP_CIPHER_CTX_free(f->cipher);
	EVP_CIPHER_free(f->aes_ctr);
	OPENSSL_cleanse(f, sizeof(*f));
	free(f);
}

static int ctr(struct floor_ctx *f, const uint8_t key[16], const uint8_t iv[16], const uint8_t *in,
	       uint8_t *out, size_t len)
{
	int outl = 0;
	if (!EVP_EncryptInit_ex2(f->cipher, f->aes_ctr, key, iv, NULL) ||
	    !EVP_EncryptUpdate(f->cipher, out, &outl, in, (int)len) || (size_t)outl != len)
		return -1;
	return 0;
}

int floor_seal(struct floor_ctx *f, uint8_t *msg, size_t encr_off, size_t encr_len,
	       size_t mac_off, uint32_t csb_id, const uint8_t rand[16], uint32_t ts)
{
	uint8_t buf[45], encr[16], auth[20], salt[14], iv[16];
	struct hkey ak;
	label_init(buf, csb_id, rand);
	prf_key(&f->muk, buf, CONST_ENCR, encr, sizeof(encr));
	prf_key(&f->muk, buf, CONST_SALT, salt, sizeof(salt));
	prf_key(&f->muk, buf, CONST_AUTH, auth, sizeof(auth));
	iv_init(iv, salt, csb_id, ts);
	if (ctr(f, encr, iv, msg + encr_off, msg + encr_off, encr_len))
		return -1;
	hkey_init(&ak, auth, sizeof(auth));
	hmac(&ak, msg, mac_off, msg + mac_off);
	return 0;
}

int floor_open(struct floor_ctx *f, const uint8_t *msg, size_t encr_off, size_t encr_len,
	       size_t mac_off, uint32_t csb_id, const uint8_t rand[16], uint32_t ts,
	       uint8_t *plain)
{
	uint8_t buf[45], encr[16], auth[20], salt[14], iv[16], mac[20];
	struct hkey ak;
	label_init(buf, csb_id, rand);
	prf_key(&f->muk, buf, CONST_AUTH, auth, sizeof(auth));
	hkey_init(&ak, auth, sizeof(auth));
	hmac(&ak, msg, mac_off, mac);
	if (CRYPTO_memcmp(mac, msg + mac_off, 20) != 0)
		return -1;
	prf_key(&f->muk, buf, CONST_ENCR, encr, sizeof(encr));
	prf_key(&f->muk, buf, CONST_SALT, salt, sizeof(salt));
	iv_init(iv, salt, csb_id, ts);
	return ctr(f, encr, iv, msg + encr_off, plain, encr_len);
}
