/* Key derivation: GBA KDF (TS 33.220 Annex B) and the MIKEY-1 PRF (RFC 3830 4.1). */
#include "mbmssec/kdf.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"
#include "mbmssec/profile.h"

#include <string.h>

const uint8_t mbms_ua_id_mbms[MBMS_UA_ID_LEN] = {0x01, 0x00, 0x00, 0x00, 0x01};

/* TS 33.220 B.2: S = FC || P0 || L0 || ... || Pn || Ln. */
int mbms_gba_kdf_input(uint8_t fc, const struct mbms_buf *params, size_t nparams, uint8_t *out,
		       size_t out_cap, size_t *out_len)
{
	size_t need = 1;
	for (size_t i = 0; i < nparams; i++) {
		if (params[i].len > 0xffff)
			return MBMS_EINVAL;
		need += params[i].len + 2;
	}
	if (need > out_cap)
		return MBMS_ENOSPC;
	size_t o = 0;
	out[o++] = fc;
	for (size_t i = 0; i < nparams; i++) {
		if (params[i].len)
			memcpy(out + o, params[i].data, params[i].len);
		o += params[i].len;
		mbms_put_be16(out + o, (uint16_t)params[i].len);
		o += 2;
	}
	*out_len = o;
	return 0;
}

/* TS 33.220 B.2: KDF(key, S) = HMAC-SHA-256(key, S), fed piecewise so that
 * no copy of S is needed. */
int mbms_gba_kdf(const uint8_t *key, size_t key_len, uint8_t fc, const struct mbms_buf *params,
		 size_t nparams, uint8_t out[MBMS_SHA256_LEN])
{
	enum { MAX_PARAMS = 8 };
	struct mbms_buf parts[1 + 2 * MAX_PARAMS];
	uint8_t lens[MAX_PARAMS][2];
	if (nparams > MAX_PARAMS)
		return MBMS_EINVAL;
	parts[0] = (struct mbms_buf){&fc, 1};
	for (size_t i = 0; i < nparams; i++) {
		if (params[i].len > 0xffff)
			return MBMS_EINVAL;
		mbms_put_be16(lens[i], (uint16_t)params[i].len);
		parts[1 + 2 * i] = params[i];
		parts[2 + 2 * i] = (struct mbms_buf){lens[i], 2};
	}
	return mbms_hmac_sha256_v(key, key_len, parts, 1 + 2 * nparams, out);
}

/* TS 33.220 4.5.2 / B.3: Ks_(ext)_NAF = KDF(Ks, "gba-me", RAND, IMPI, NAF_Id). */
int mbms_ks_naf(const uint8_t ks[MBMS_KS_LEN], const uint8_t rand[16], const char *impi,
		const char *naf_fqdn, const uint8_t ua_id[MBMS_UA_ID_LEN],
		uint8_t out[MBMS_KS_NAF_LEN])
{
	static const char gba_me[] = "gba-me";
	static const uint8_t fc = 0x01;
	if (!ks || !rand || !impi || !naf_fqdn || !ua_id)
		return MBMS_EINVAL;
	size_t impi_len = strlen(impi), fqdn_len = strlen(naf_fqdn);
	if (impi_len > 0xffff || fqdn_len + MBMS_UA_ID_LEN > 0xffff)
		return MBMS_EINVAL;
	/* NAF_Id = FQDN || Ua id is one parameter: feed its two halves, then
	 * its length, so that nothing is copied. */
	uint8_t l0[2], l1[2], l2[2], l3[2];
	mbms_put_be16(l0, sizeof(gba_me) - 1);
	mbms_put_be16(l1, 16);
	mbms_put_be16(l2, (uint16_t)impi_len);
	mbms_put_be16(l3, (uint16_t)(fqdn_len + MBMS_UA_ID_LEN));
	const struct mbms_buf s[] = {
		{&fc, 1},
		{(const uint8_t *)gba_me, sizeof(gba_me) - 1}, {l0, 2},
		{rand, 16}, {l1, 2},
		{(const uint8_t *)impi, impi_len}, {l2, 2},
		{(const uint8_t *)naf_fqdn, fqdn_len}, {ua_id, MBMS_UA_ID_LEN}, {l3, 2},
	};
	return mbms_hmac_sha256_v(ks, MBMS_KS_LEN, s, sizeof(s) / sizeof(s[0]), out);
}

/* PROFILE: GBA_ME case, MRK = Ks_NAF (see profile.h). */
int mbms_mrk_from_ks_naf(const uint8_t ks_naf[MBMS_KS_NAF_LEN], uint8_t mrk[MBMS_MRK_LEN])
{
	_Static_assert(MBMS_PROFILE_MRK_IS_KS_NAF, "MRK derivation other than Ks_NAF not built");
	memcpy(mrk, ks_naf, MBMS_MRK_LEN);
	return 0;
}

/* PROFILE: GBA_ME case, MUK = Ks_NAF (see profile.h). */
int mbms_muk_from_ks_naf(const uint8_t ks_naf[MBMS_KS_NAF_LEN], uint8_t muk[MBMS_MUK_LEN])
{
	_Static_assert(MBMS_PROFILE_MUK_IS_KS_NAF, "MUK derivation other than Ks_NAF not built");
	memcpy(muk, ks_naf, MBMS_MUK_LEN);
	return 0;
}

/* RFC 3830 4.1.2: P(s, label, m) xor-ed into out for one 256-bit piece s
 * of inkey (given prepared). A_0 = label, A_i = HMAC(s, A_(i-1)),
 * block i = HMAC(s, A_i || label). */
static int p_xor(const struct mbms_hmac_sha1_key *s, const uint8_t *label, size_t label_len,
		 uint8_t *out, size_t out_len)
{
	/* A_i and the block side by side: one wipe for both. */
	uint8_t tmp[2 * MBMS_SHA1_LEN], *a = tmp, *block = tmp + MBMS_SHA1_LEN;
	const struct mbms_buf in[2] = {{a, MBMS_SHA1_LEN}, {label, label_len}};
	/* A_1 = HMAC(s, label) */
	int rc = mbms_hmac_sha1_keyed(s, label, label_len, a);
	for (size_t off = 0; rc == 0 && off < out_len; off += MBMS_SHA1_LEN) {
		rc = mbms_hmac_sha1_keyed_v(s, in, 2, block);
		size_t n = out_len - off < MBMS_SHA1_LEN ? out_len - off : MBMS_SHA1_LEN;
		for (size_t i = 0; rc == 0 && i < n; i++)
			out[off + i] ^= block[i];
		if (rc == 0 && off + MBMS_SHA1_LEN < out_len)
			rc = mbms_hmac_sha1_keyed(s, a, MBMS_SHA1_LEN, a);
	}
	mbms_wipe(tmp, sizeof(tmp));
	return rc;
}

/* RFC 3830 4.1.2: the pieces s_1..s_n of inkey, 256 bits each (the last
 * may be shorter); an empty inkey is one empty piece. */
#define PRF_PIECE 32
static size_t prf_npieces(size_t inkey_len)
{
	return inkey_len ? (inkey_len + PRF_PIECE - 1) / PRF_PIECE : 1;
}

static size_t prf_piece_len(size_t inkey_len, size_t p)
{
	size_t left = inkey_len - p * PRF_PIECE;
	return left > PRF_PIECE ? PRF_PIECE : left;
}

/* PRF(inkey, label) = P(s_1, label, m) xor ... xor P(s_n, label, m). Each
 * piece is prepared once for all the HMACs of its P. */
int mbms_mikey_prf(const uint8_t *inkey, size_t inkey_len, const uint8_t *label, size_t label_len,
		   uint8_t *out, size_t out_len)
{
	if ((!inkey && inkey_len) || (!label && label_len) || (!out && out_len))
		return MBMS_EINVAL;
	memset(out, 0, out_len);
	if (out_len == 0)
		return 0;
	size_t npieces = prf_npieces(inkey_len);
	for (size_t p = 0; p < npieces; p++) {
		struct mbms_hmac_sha1_key s;
		int rc = mbms_hmac_sha1_key_init(&s, inkey + p * PRF_PIECE,
						 prf_piece_len(inkey_len, p));
		if (rc == 0)
			rc = p_xor(&s, label, label_len, out, out_len);
		mbms_wipe(&s, sizeof(s));
		if (rc) {
			mbms_wipe(out, out_len);
			return rc;
		}
	}
	return 0;
}

int mbms_mikey_keyctx_init(struct mbms_mikey_keyctx *ctx, const uint8_t *inkey, size_t inkey_len)
{
	if (!ctx)
		return MBMS_EINVAL;
	memset(ctx, 0, sizeof(*ctx));
	if ((!inkey && inkey_len) || inkey_len > MBMS_MIKEY_KEYCTX_MAX_INKEY)
		return MBMS_EINVAL;
	size_t npieces = prf_npieces(inkey_len);
	for (size_t p = 0; p < npieces; p++) {
		int rc = mbms_hmac_sha1_key_init(&ctx->piece[p], inkey + p * PRF_PIECE,
						 prf_piece_len(inkey_len, p));
		if (rc) {
			mbms_mikey_keyctx_wipe(ctx);
			return rc;
		}
	}
	ctx->npieces = npieces;
	return 0;
}

void mbms_mikey_keyctx_wipe(struct mbms_mikey_keyctx *ctx)
{
	if (ctx)
		mbms_wipe(ctx, sizeof(*ctx));
}

int mbms_mikey_prf_keyed(const struct mbms_mikey_keyctx *ctx, const uint8_t *label,
			 size_t label_len, uint8_t *out, size_t out_len)
{
	if (!ctx || ctx->npieces == 0 || ctx->npieces > MBMS_MIKEY_KEYCTX_MAX_PIECES ||
	    (!label && label_len) || (!out && out_len))
		return MBMS_EINVAL;
	memset(out, 0, out_len);
	if (out_len == 0)
		return 0;
	for (size_t p = 0; p < ctx->npieces; p++) {
		int rc = p_xor(&ctx->piece[p], label, label_len, out, out_len);
		if (rc) {
			mbms_wipe(out, out_len);
			return rc;
		}
	}
	return 0;
}

/* RFC 3830 4.1.3 / 4.1.4: label = const || middle || CSB ID || RAND, with
 * middle = CS ID (keys from a TGK) or 0xFF (message keys). */
#define LABEL_MAX (9 + 255)
static int put_label(uint8_t label[LABEL_MAX], uint32_t constant, uint8_t middle,
		     uint32_t csb_id, const uint8_t *rand, size_t rand_len, size_t *label_len)
{
	if (rand_len > 255 || (!rand && rand_len))
		return MBMS_EINVAL;
	mbms_put_be32(label, constant);
	label[4] = middle;
	mbms_put_be32(label + 5, csb_id);
	if (rand_len)
		memcpy(label + 9, rand, rand_len);
	*label_len = 9 + rand_len;
	return 0;
}

static int mikey_label_key(const uint8_t *inkey, size_t inkey_len, uint32_t constant,
			   uint8_t middle, uint32_t csb_id, const uint8_t *rand, size_t rand_len,
			   uint8_t *out, size_t out_len)
{
	uint8_t label[LABEL_MAX];
	size_t label_len = 0;
	int rc = put_label(label, constant, middle, csb_id, rand, rand_len, &label_len);
	if (rc)
		return rc;
	return mbms_mikey_prf(inkey, inkey_len, label, label_len, out, out_len);
}

/* RFC 3830 4.1.4: label = const || 0xFF || CSB ID || RAND. */
int mbms_mikey_msg_key(const uint8_t *inkey, size_t inkey_len, uint32_t constant, uint32_t csb_id,
		       const uint8_t *rand, size_t rand_len, uint8_t *out, size_t out_len)
{
	return mikey_label_key(inkey, inkey_len, constant, 0xff, csb_id, rand, rand_len, out,
			       out_len);
}

/* The inkey is prepared once for the three keys when it fits a keyctx. */
int mbms_mikey_msg_keys(const uint8_t *inkey, size_t inkey_len, uint32_t csb_id,
			const uint8_t *rand, size_t rand_len, struct mbms_mikey_msg_keys *keys)
{
	if (!keys)
		return MBMS_EINVAL;
	if (inkey_len <= MBMS_MIKEY_KEYCTX_MAX_INKEY) {
		struct mbms_mikey_keyctx ctx;
		int rc = mbms_mikey_keyctx_init(&ctx, inkey, inkey_len);
		if (rc == 0)
			rc = mbms_mikey_msg_keys_keyed(&ctx, csb_id, rand, rand_len, keys);
		else
			mbms_wipe(keys, sizeof(*keys));
		mbms_mikey_keyctx_wipe(&ctx);
		return rc;
	}
	int rc = mbms_mikey_msg_key(inkey, inkey_len, MBMS_MIKEY_CONST_ENCR, csb_id, rand,
				    rand_len, keys->encr, sizeof(keys->encr));
	if (rc == 0)
		rc = mbms_mikey_msg_key(inkey, inkey_len, MBMS_MIKEY_CONST_AUTH, csb_id, rand,
					rand_len, keys->auth, sizeof(keys->auth));
	if (rc == 0)
		rc = mbms_mikey_msg_key(inkey, inkey_len, MBMS_MIKEY_CONST_SALT, csb_id, rand,
					rand_len, keys->salt, sizeof(keys->salt));
	if (rc)
		mbms_wipe(keys, sizeof(*keys));
	return rc;
}

/* RFC 3830 4.1.3: label = const || CS ID || CSB ID || RAND. */
int mbms_mikey_tgk_key(const uint8_t *tgk, size_t tgk_len, uint32_t constant, uint8_t cs_id,
		       uint32_t csb_id, const uint8_t *rand, size_t rand_len, uint8_t *out,
		       size_t out_len)
{
	return mikey_label_key(tgk, tgk_len, constant, cs_id, csb_id, rand, rand_len, out,
			       out_len);
}

/* RFC 3830 4.1.4 with a prepared inkey. */
int mbms_mikey_msg_key_keyed(const struct mbms_mikey_keyctx *ctx, uint32_t constant,
			     uint32_t csb_id, const uint8_t *rand, size_t rand_len, uint8_t *out,
			     size_t out_len)
{
	uint8_t label[LABEL_MAX];
	size_t label_len = 0;
	int rc = put_label(label, constant, 0xff, csb_id, rand, rand_len, &label_len);
	if (rc)
		return rc;
	return mbms_mikey_prf_keyed(ctx, label, label_len, out, out_len);
}

/* The three keys share one label but for its first four bytes. */
int mbms_mikey_msg_keys_keyed(const struct mbms_mikey_keyctx *ctx, uint32_t csb_id,
			      const uint8_t *rand, size_t rand_len,
			      struct mbms_mikey_msg_keys *keys)
{
	uint8_t label[LABEL_MAX];
	size_t label_len = 0;
	if (!keys)
		return MBMS_EINVAL;
	int rc = put_label(label, MBMS_MIKEY_CONST_ENCR, 0xff, csb_id, rand, rand_len, &label_len);
	if (rc == 0)
		rc = mbms_mikey_prf_keyed(ctx, label, label_len, keys->encr, sizeof(keys->encr));
	if (rc == 0) {
		mbms_put_be32(label, MBMS_MIKEY_CONST_AUTH);
		rc = mbms_mikey_prf_keyed(ctx, label, label_len, keys->auth, sizeof(keys->auth));
	}
	if (rc == 0) {
		mbms_put_be32(label, MBMS_MIKEY_CONST_SALT);
		rc = mbms_mikey_prf_keyed(ctx, label, label_len, keys->salt, sizeof(keys->salt));
	}
	if (rc)
		mbms_wipe(keys, sizeof(*keys));
	return rc;
}
