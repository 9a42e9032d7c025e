/* mbmssec — identifiers and the text encodings they travel in.
 *
 * Key Domain ID (PROFILE.md 3, TS 24.008 PLMN BCD coding), MSK ID (Key Group
 * || Key Number), MTK ID, RFC 1982 serial-number comparison, B-TID
 * (TS 33.220: base64(RAND) "@" BSF server name), hex and base64.
 */
#ifndef MBMSSEC_IDS_H
#define MBMSSEC_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MBMS_KEY_DOMAIN_ID_LEN 3
#define MBMS_MSK_ID_LEN 4
#define MBMS_MTK_ID_LEN 2
#define MBMS_GBA_RAND_LEN 16

/* ---- hex and base64 ---- */

/* Lower-case hex of len bytes into out (capacity out_cap, NUL-terminated). */
int mbms_hex_encode(const uint8_t *in, size_t len, char *out, size_t out_cap);

/* Decode exactly; odd length or a non-hex character is MBMS_ESYNTAX,
 * too long for out_cap is MBMS_ENOSPC. *out_len gets the byte count. */
int mbms_hex_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* Standard base64 with padding (RFC 4648 section 4), NUL-terminated. */
int mbms_base64_encode(const uint8_t *in, size_t len, char *out, size_t out_cap);

/* Strict decode: padding required, no whitespace, no trailing garbage,
 * non-canonical trailing bits rejected. MBMS_ESYNTAX on bad input. */
int mbms_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap,
		       size_t *out_len);

/* Characters needed for base64 of len bytes, without the NUL. */
static inline size_t mbms_base64_len(size_t len) { return (len + 2) / 3 * 4; }

/* ---- Key Domain ID ---- */

/* MCC (3 digits) and MNC (2 or 3 digits) to the 3-byte PLMN BCD coding:
 * MCC2 MCC1 | MNC3 MCC3 | MNC2 MNC1, MNC3 = F for a two-digit MNC. */
int mbms_key_domain_from_plmn(const char *mcc, const char *mnc,
			      uint8_t out[MBMS_KEY_DOMAIN_ID_LEN]);

/* And back: mcc gets 3 digits, mnc 2 or 3 (both NUL-terminated). */
int mbms_key_domain_to_plmn(const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN], char mcc[4], char mnc[4]);

/* ---- MSK ID: Key Group (2 B) || Key Number (2 B), big-endian ---- */

static inline uint32_t mbms_msk_id_make(uint16_t key_group, uint16_t key_number)
{
	return ((uint32_t)key_group << 16) | key_number;
}
static inline uint16_t mbms_msk_id_key_group(uint32_t msk_id) { return (uint16_t)(msk_id >> 16); }
static inline uint16_t mbms_msk_id_key_number(uint32_t msk_id) { return (uint16_t)msk_id; }

/* ---- RFC 1982 serial-number arithmetic on 16 bits ----
 * a is newer than b when 0 < (a - b) mod 2^16 < 2^15. Two values exactly
 * 2^15 apart are not newer either way (PROFILE.md 10.9). */
static inline bool mbms_serial16_newer(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(a - b);
	return d != 0 && d < 0x8000u;
}

/* id inside [vf, vt] across a wrap: (id - vf) mod 2^16 <= (vt - vf) mod 2^16
 * (PROFILE.md 10.8). */
static inline bool mbms_serial16_in_range(uint16_t id, uint16_t vf, uint16_t vt)
{
	return (uint16_t)(id - vf) <= (uint16_t)(vt - vf);
}

/* Next Key Number after kn in serial order, skipping 0 (PROFILE.md 3: the
 * BM-SC never allocates Key Number 0). */
static inline uint16_t mbms_key_number_next(uint16_t kn)
{
	uint16_t n = (uint16_t)(kn + 1);
	return n == 0 ? 1 : n;
}

/* ---- B-TID (TS 33.220 4.5.2): base64(RAND) "@" BSF server domain name ---- */

int mbms_btid_make(const uint8_t rand[MBMS_GBA_RAND_LEN], const char *bsf_host, char *out,
		   size_t out_cap);

/* Split a B-TID; rand gets the decoded RAND (must be 16 bytes) and *host
 * points into btid after the '@'. */
int mbms_btid_parse(const char *btid, uint8_t rand[MBMS_GBA_RAND_LEN], const char **host);

/* ---- big-endian helpers used by the codecs ---- */
static inline uint16_t mbms_get_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t mbms_get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void mbms_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void mbms_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#ifdef __cplusplus
}
#endif
#endif
