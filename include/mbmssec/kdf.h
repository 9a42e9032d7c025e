/* mbmssec — key derivation: GBA (TS 33.220 Annex B) and MIKEY-1 (RFC 3830 4.1).
 */
#ifndef MBMSSEC_KDF_H
#define MBMSSEC_KDF_H

#include "mbmssec/crypto.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MBMS_KS_LEN 32
#define MBMS_KS_NAF_LEN 32
#define MBMS_MUK_LEN 32
#define MBMS_MRK_LEN 32
#define MBMS_UA_ID_LEN 5

/* Ua security protocol identifier for MBMS (TS 33.220 Annex H): 01 00 00 00 01. */
extern const uint8_t mbms_ua_id_mbms[MBMS_UA_ID_LEN];

/* ---- TS 33.220 Annex B ---- */

/* Build S = FC || P0 || L0 || P1 || L1 ... (each Li the 2-byte big-endian
 * length of Pi, after Pi) into out. *out_len gets its length. */
int mbms_gba_kdf_input(uint8_t fc, const struct mbms_buf *params, size_t nparams, uint8_t *out,
		       size_t out_cap, size_t *out_len);

/* KDF(key, S) = HMAC-SHA-256(key, S). */
int mbms_gba_kdf(const uint8_t *key, size_t key_len, uint8_t fc, const struct mbms_buf *params,
		 size_t nparams, uint8_t out[MBMS_SHA256_LEN]);

/* Ks_NAF = KDF(Ks, 0x01, "gba-me", RAND, IMPI, NAF_ID) with
 * NAF_ID = naf_fqdn || ua_id (GBA_ME, TS 33.220 4.5.2). */
int mbms_ks_naf(const uint8_t ks[MBMS_KS_LEN], const uint8_t rand[16], const char *impi,
		const char *naf_fqdn, const uint8_t ua_id[MBMS_UA_ID_LEN],
		uint8_t out[MBMS_KS_NAF_LEN]);

/* MRK and MUK from Ks_NAF (PROFILE: GBA_ME, both are Ks_NAF itself). */
int mbms_mrk_from_ks_naf(const uint8_t ks_naf[MBMS_KS_NAF_LEN], uint8_t mrk[MBMS_MRK_LEN]);
int mbms_muk_from_ks_naf(const uint8_t ks_naf[MBMS_KS_NAF_LEN], uint8_t muk[MBMS_MUK_LEN]);

/* ---- RFC 3830 4.1.2: the MIKEY-1 PRF ---- */

/* PRF(inkey, label) truncated to out_len bytes; any inkey and out length. */
int mbms_mikey_prf(const uint8_t *inkey, size_t inkey_len, const uint8_t *label, size_t label_len,
		   uint8_t *out, size_t out_len);

/* RFC 3830 4.1.4 (pre-shared key): constants for the message keys. */
#define MBMS_MIKEY_CONST_ENCR 0x150533E1u
#define MBMS_MIKEY_CONST_AUTH 0x2D22AC75u
#define MBMS_MIKEY_CONST_SALT 0x29B88916u
/* RFC 3830 4.1.3: constants for keys derived from a TGK. */
#define MBMS_MIKEY_CONST_TEK 0x2AD01C64u
#define MBMS_MIKEY_CONST_TEK_SALT 0x39A2C14Bu
#define MBMS_MIKEY_CONST_TEK_AUTH 0x1B5C7973u
#define MBMS_MIKEY_CONST_TEK_ENCR 0x15798CEFu

#define MBMS_MIKEY_ENCR_KEY_LEN 16
#define MBMS_MIKEY_AUTH_KEY_LEN 20
#define MBMS_MIKEY_SALT_LEN 14

/* The three keys that protect one MIKEY message. */
struct mbms_mikey_msg_keys {
	uint8_t encr[MBMS_MIKEY_ENCR_KEY_LEN];
	uint8_t auth[MBMS_MIKEY_AUTH_KEY_LEN];
	uint8_t salt[MBMS_MIKEY_SALT_LEN];
};

/* One message key: label = const || 0xFF || CSB ID || RAND (RFC 3830 4.1.4). */
int mbms_mikey_msg_key(const uint8_t *inkey, size_t inkey_len, uint32_t constant, uint32_t csb_id,
		       const uint8_t *rand, size_t rand_len, uint8_t *out, size_t out_len);

/* All three (encr 16, auth 20, salt 14 bytes). Wipe with mbms_wipe after use. */
int mbms_mikey_msg_keys(const uint8_t *inkey, size_t inkey_len, uint32_t csb_id,
			const uint8_t *rand, size_t rand_len, struct mbms_mikey_msg_keys *keys);

/* ---- the MIKEY-1 PRF with a prepared inkey ----
 * The PRF keys HMAC-SHA-1 with the 256-bit pieces of inkey for every block
 * of every derivation (RFC 3830 4.1.2), so their HMAC states depend on the
 * inkey alone. A keyctx holds them: prepare it once per inkey (a BM-SC may
 * keep one per MUK and per MSK) and derive every message key from it; each
 * derivation then costs two HMACs of two SHA-1 compressions each, with no
 * re-keying (perf-notes.md). The per-message RAND keeps the derived keys
 * fresh. A plain struct, no allocation, read-only once prepared (may be
 * shared between threads); as secret as the inkey: wipe it with
 * mbms_mikey_keyctx_wipe. Results equal mbms_mikey_prf / _msg_key(s). */
#define MBMS_MIKEY_KEYCTX_MAX_INKEY 64 /* bytes: two pieces (MUK 32, MSK 16) */
#define MBMS_MIKEY_KEYCTX_MAX_PIECES (MBMS_MIKEY_KEYCTX_MAX_INKEY / 32)

struct mbms_mikey_keyctx {
	size_t npieces; /* 0: not prepared (or wiped) */
	struct mbms_hmac_sha1_key piece[MBMS_MIKEY_KEYCTX_MAX_PIECES];
};

/* MBMS_EINVAL for an inkey longer than MBMS_MIKEY_KEYCTX_MAX_INKEY (use
 * mbms_mikey_prf then); an empty inkey is one empty piece, as in the PRF. */
int mbms_mikey_keyctx_init(struct mbms_mikey_keyctx *ctx, const uint8_t *inkey, size_t inkey_len);
void mbms_mikey_keyctx_wipe(struct mbms_mikey_keyctx *ctx);

/* PRF(inkey, label) truncated to out_len bytes, inkey prepared in ctx. */
int mbms_mikey_prf_keyed(const struct mbms_mikey_keyctx *ctx, const uint8_t *label,
			 size_t label_len, uint8_t *out, size_t out_len);

/* mbms_mikey_msg_key / mbms_mikey_msg_keys with a prepared inkey. */
int mbms_mikey_msg_key_keyed(const struct mbms_mikey_keyctx *ctx, uint32_t constant,
			     uint32_t csb_id, const uint8_t *rand, size_t rand_len, uint8_t *out,
			     size_t out_len);
int mbms_mikey_msg_keys_keyed(const struct mbms_mikey_keyctx *ctx, uint32_t csb_id,
			      const uint8_t *rand, size_t rand_len,
			      struct mbms_mikey_msg_keys *keys);

/* A key from a TGK: label = const || CS ID || CSB ID || RAND (RFC 3830 4.1.3). */
int mbms_mikey_tgk_key(const uint8_t *tgk, size_t tgk_len, uint32_t constant, uint8_t cs_id,
		       uint32_t csb_id, const uint8_t *rand, size_t rand_len, uint8_t *out,
		       size_t out_len);

#ifdef __cplusplus
}
#endif
#endif
