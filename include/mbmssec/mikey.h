/* mbmssec — generic MIKEY codec (RFC 3830, with the RFC 4563 empty map and
 * Key ID extension).
 *
 * Decoding never allocates: a decoded message is an array of payload views
 * in wire order that point into the caller's input. Encoding appends
 * payloads to a caller buffer through a small writer that patches the
 * previous payload's next-payload byte.
 *
 * This layer accepts every code point RFC 3830 defines (NULL algorithms,
 * NTP timestamps, NAI IDs, SP and ERR payloads, any EXT type, data types
 * 0..6); the MBMS profile (mbms_msg.h) is stricter (PROFILE.md 10.6).
 * Values RFC 3830 does not define are errors, never skipped.
 *
 * Length rules, used consistently:
 *  - input ends inside a field of the datagram          -> MBMS_ETRUNCATED
 *  - bytes after the last payload (next = 0)             -> MBMS_ETRAILING
 *  - a nested length that does not fit the enclosing
 *    declared length (Key ID in EXT, SP params, KEY in
 *    KEMAC encr data) or a length RFC 3830 forbids       -> MBMS_ELENGTH
 */
#ifndef MBMSSEC_MIKEY_H
#define MBMSSEC_MIKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 3830 6.1 */
#define MBMS_MIKEY_VERSION 1

/* RFC 3830 6.1: data types. */
enum {
	MBMS_MIKEY_DT_PSK_INIT = 0,
	MBMS_MIKEY_DT_PSK_VERIFY = 1,
	MBMS_MIKEY_DT_PK_INIT = 2,
	MBMS_MIKEY_DT_PK_VERIFY = 3,
	MBMS_MIKEY_DT_DH_INIT = 4,
	MBMS_MIKEY_DT_DH_RESP = 5,
	MBMS_MIKEY_DT_ERROR = 6,
};

/* RFC 3830 6.1 PRF func; 0 = MIKEY-1 is the only one defined. */
#define MBMS_MIKEY_PRF_MIKEY_1 0

/* CS ID map types: 0 SRTP-ID (RFC 3830 6.1.1), 1 empty map (RFC 4563). */
enum {
	MBMS_MIKEY_MAP_SRTP_ID = 0,
	MBMS_MIKEY_MAP_EMPTY = 1,
};
#define MBMS_MIKEY_SRTP_ID_ENTRY_LEN 9 /* policy no (1) | SSRC (4) | ROC (4) */

/* RFC 3830 6.1 next-payload codes handled here (PROFILE.md 4). Others that
 * RFC 3830 defines (PKE 2, DH 3, SIGN 4, CERT 7, CHASH 8) are rejected as
 * MBMS_EUNKNOWNPAYLOAD: this codec does not implement them. */
enum {
	MBMS_MIKEY_PT_LAST = 0,
	MBMS_MIKEY_PT_KEMAC = 1,
	MBMS_MIKEY_PT_T = 5,
	MBMS_MIKEY_PT_ID = 6,
	MBMS_MIKEY_PT_V = 9,
	MBMS_MIKEY_PT_SP = 10,
	MBMS_MIKEY_PT_RAND = 11,
	MBMS_MIKEY_PT_ERR = 12,
	MBMS_MIKEY_PT_KEY = 20, /* only inside KEMAC encr data */
	MBMS_MIKEY_PT_EXT = 21,
};

/* RFC 3830 6.6: timestamp types. */
enum {
	MBMS_MIKEY_TS_NTP_UTC = 0, /* 8 bytes */
	MBMS_MIKEY_TS_NTP = 1,     /* 8 bytes */
	MBMS_MIKEY_TS_COUNTER = 2, /* 4 bytes */
};

/* RFC 3830 6.7: ID types. */
enum {
	MBMS_MIKEY_ID_NAI = 0,
	MBMS_MIKEY_ID_URI = 1,
};

/* RFC 3830 6.2: KEMAC encryption and MAC algorithms; 6.18: V auth alg
 * uses the MAC codes. */
enum {
	MBMS_MIKEY_ENCR_NULL = 0,
	MBMS_MIKEY_ENCR_AES_CM_128 = 1,
	MBMS_MIKEY_ENCR_AES_KW_128 = 2,
};
enum {
	MBMS_MIKEY_MAC_NULL = 0,
	MBMS_MIKEY_MAC_HMAC_SHA1_160 = 1,
};
#define MBMS_MIKEY_HMAC_SHA1_160_LEN 20

/* RFC 3830 6.13: KEY data sub-payload types and key validity types. */
enum {
	MBMS_MIKEY_KEY_TGK = 0,
	MBMS_MIKEY_KEY_TGK_SALT = 1,
	MBMS_MIKEY_KEY_TEK = 2,
	MBMS_MIKEY_KEY_TEK_SALT = 3,
};
enum {
	MBMS_MIKEY_KV_NULL = 0,
	MBMS_MIKEY_KV_SPI = 1,
	MBMS_MIKEY_KV_INTERVAL = 2,
};

/* RFC 4563: General Extension type 2 = Key ID; key ID types are in
 * profile.h (MUK 0, MSK 1, MTK 2). */
#define MBMS_MIKEY_EXT_KEY_ID 2

/* How many payloads one decoded message can hold. A message with more is
 * refused with MBMS_ENOSPC (no MBMS message has more than 7). */
#define MBMS_MIKEY_MAX_PAYLOADS 16

/* ---- decoded views (all pointers point into the decoded input) ---- */

struct mbms_mikey_hdr {
	uint8_t version;
	uint8_t data_type;
	uint8_t next;
	bool v;      /* V flag: a verification message is wanted */
	uint8_t prf; /* 7 bits */
	uint32_t csb_id;
	uint8_t ncs;      /* #CS */
	uint8_t map_type; /* CS ID map type */
	const uint8_t *map_info;
	size_t map_info_len;
};

struct mbms_mikey_t {
	uint8_t ts_type;
	const uint8_t *value; /* 8 or 4 bytes as sent */
	size_t value_len;
	uint64_t ts; /* value as an integer (COUNTER right-aligned) */
};

struct mbms_mikey_rand {
	const uint8_t *data;
	size_t len;
};

struct mbms_mikey_id {
	uint8_t id_type;
	const uint8_t *data;
	size_t len;
};

struct mbms_mikey_kemac {
	uint8_t encr_alg;
	const uint8_t *encr_data;
	size_t encr_len;
	size_t encr_off; /* offset of encr data in the message */
	uint8_t mac_alg;
	const uint8_t *mac;
	size_t mac_len;
	size_t mac_off; /* offset of the MAC: the MAC covers [0, mac_off) */
};

struct mbms_mikey_v {
	uint8_t auth_alg;
	const uint8_t *mac;
	size_t mac_len;
	size_t mac_off;
};

struct mbms_mikey_sp {
	uint8_t policy_no;
	uint8_t prot_type;
	const uint8_t *params; /* TLVs: type(1) | len(1) | value */
	size_t params_len;
	size_t nparams;
};

struct mbms_mikey_err {
	uint8_t err_no;
	uint16_t reserved;
};

struct mbms_mikey_ext {
	uint8_t ext_type;
	const uint8_t *data;
	size_t len;
};

struct mbms_mikey_payload {
	uint8_t type;  /* MBMS_MIKEY_PT_* */
	uint8_t next;  /* the next payload's type, 0 for the last */
	size_t offset; /* of the payload's first byte in the message */
	size_t len;    /* total payload bytes */
	union {
		struct mbms_mikey_t t;
		struct mbms_mikey_rand rand;
		struct mbms_mikey_id id;
		struct mbms_mikey_kemac kemac;
		struct mbms_mikey_v v;
		struct mbms_mikey_sp sp;
		struct mbms_mikey_err err;
		struct mbms_mikey_ext ext;
	} u;
};

struct mbms_mikey_msg {
	const uint8_t *buf;
	size_t len;
	struct mbms_mikey_hdr hdr;
	size_t npayloads;
	struct mbms_mikey_payload p[MBMS_MIKEY_MAX_PAYLOADS];
	bool has_mac;   /* a KEMAC or V payload carries a MAC field */
	size_t mac_off; /* start of the last KEMAC / V MAC: the MAC covers [0, mac_off) */
};

/* A KEY data sub-payload (RFC 3830 6.13). Decoding fills it with views into
 * the (decrypted) data; encoding reads it (`next` is then ignored). */
struct mbms_mikey_key {
	uint8_t next;
	uint8_t type; /* MBMS_MIKEY_KEY_* */
	uint8_t kv;   /* MBMS_MIKEY_KV_* */
	const uint8_t *key;
	size_t key_len;
	const uint8_t *salt; /* present iff type is TGK+SALT or TEK+SALT */
	size_t salt_len;
	const uint8_t *spi; /* KV SPI/MKI */
	size_t spi_len;
	const uint8_t *vf, *vt; /* KV interval */
	size_t vf_len, vt_len;
};

/* One SP policy parameter (RFC 3830 6.10). */
struct mbms_mikey_sp_param {
	uint8_t type;
	uint8_t len;
	const uint8_t *value;
};

/* Key ID extension data (RFC 4563): key ID type | key ID len(2) | key ID. */
struct mbms_mikey_key_id {
	uint8_t type;
	const uint8_t *id;
	size_t len;
};

/* ---- decoding ---- */

/* RFC 3830 6.1: decode the common header with the cursor pattern. Returns
 * the bytes consumed (>0) and advances *p / *len, or a negative MBMS_E*
 * (MBMS_ETRUNCATED, MBMS_EVERSION, MBMS_EDATATYPE for types RFC 3830 does
 * not define, MBMS_EPRF, MBMS_ECSMAP) and leaves the cursor alone. */
int mbms_mikey_hdr_decode(const uint8_t **p, size_t *len, struct mbms_mikey_hdr *out);

/* Decode one payload of the given type at the cursor (type comes from the
 * previous next-payload byte). base is the start of the message, used for
 * the offsets in the view. Returns bytes consumed or a negative code:
 * MBMS_EUNKNOWNPAYLOAD (type not handled), MBMS_EUNEXPECTED (KEY outside
 * KEMAC), MBMS_ETRUNCATED, MBMS_ETSTYPE, MBMS_EIDTYPE, MBMS_EALG,
 * MBMS_ELENGTH. */
int mbms_mikey_payload_decode(uint8_t type, const uint8_t *base, const uint8_t **p, size_t *len,
			      struct mbms_mikey_payload *out);

/* A whole message: HDR, then the payload chain until next = 0, then
 * nothing. Views point into buf. */
int mbms_mikey_decode(const uint8_t *buf, size_t len, struct mbms_mikey_msg *msg);

/* First payload of a type at index >= from, or NULL. */
const struct mbms_mikey_payload *mbms_mikey_find(const struct mbms_mikey_msg *msg, uint8_t type,
						 size_t from);

/* One KEY sub-payload at the cursor (RFC 3830 6.13). Returns bytes consumed
 * or MBMS_ETRUNCATED / MBMS_EKEYDATA (unknown key type or KV type, next
 * neither 0 nor KEY). */
int mbms_mikey_key_decode(const uint8_t **p, size_t *len, struct mbms_mikey_key *out);

/* The KEY chain that fills decrypted KEMAC encr data exactly: keys until
 * next = 0, at most max. *nkeys gets the count. A key that runs past the
 * data is MBMS_ELENGTH; bytes after the last key are MBMS_ETRAILING; more
 * than max keys is MBMS_ENOSPC. */
int mbms_mikey_keys_decode(const uint8_t *data, size_t len, struct mbms_mikey_key *keys,
			   size_t max, size_t *nkeys);

/* SP parameter number i (0-based) of a decoded SP payload. */
int mbms_mikey_sp_param(const struct mbms_mikey_sp *sp, size_t i,
			struct mbms_mikey_sp_param *out);

/* RFC 4563 Key ID data of an EXT payload of type 2. The key ID must fill
 * the EXT data exactly, else MBMS_ELENGTH. Key ID types are not judged here. */
int mbms_mikey_key_id_decode(const uint8_t *data, size_t len, struct mbms_mikey_key_id *out);

/* ---- encoding ---- */

/* Appends payloads to buf; the first put is the HDR. Errors are sticky:
 * after one failure every later put fails with the same code, so a caller
 * may check only the last one (or w->err). */
struct mbms_mikey_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t next_pos; /* offset of the previous next-payload byte to patch */
	int err;
};

void mbms_mikey_writer_init(struct mbms_mikey_writer *w, uint8_t *buf, size_t cap);

/* HDR from h (h->next is ignored; map_info must match map_type/ncs). */
int mbms_mikey_put_hdr(struct mbms_mikey_writer *w, const struct mbms_mikey_hdr *h);
/* T: the value is written in 8 bytes (NTP types) or 4 (COUNTER; must fit). */
int mbms_mikey_put_t(struct mbms_mikey_writer *w, uint8_t ts_type, uint64_t ts);
int mbms_mikey_put_rand(struct mbms_mikey_writer *w, const uint8_t *rand, size_t len);
int mbms_mikey_put_id(struct mbms_mikey_writer *w, uint8_t id_type, const uint8_t *id, size_t len);
int mbms_mikey_put_ext(struct mbms_mikey_writer *w, uint8_t ext_type, const uint8_t *data,
		       size_t len);
/* EXT type 2 with Key ID data (RFC 4563). */
int mbms_mikey_put_ext_key_id(struct mbms_mikey_writer *w, uint8_t key_id_type,
			      const uint8_t *key_id, size_t len);
int mbms_mikey_put_sp(struct mbms_mikey_writer *w, uint8_t policy_no, uint8_t prot_type,
		      const struct mbms_mikey_sp_param *params, size_t nparams);
int mbms_mikey_put_err(struct mbms_mikey_writer *w, uint8_t err_no);
/* KEMAC. encr_data NULL reserves encr_len zero bytes for the caller to fill
 * (e.g. a KEY chain written by a second writer, then encrypted in place).
 * The MAC field (length from mac_alg) is zero-filled. *encr_off and
 * *mac_off (may be NULL) get the offsets in buf. */
int mbms_mikey_put_kemac(struct mbms_mikey_writer *w, uint8_t encr_alg, const uint8_t *encr_data,
			 size_t encr_len, uint8_t mac_alg, size_t *encr_off, size_t *mac_off);
/* V: zero-filled MAC; *mac_off gets its offset. */
int mbms_mikey_put_v(struct mbms_mikey_writer *w, uint8_t auth_alg, size_t *mac_off);
/* KEY sub-payload (inside a KEMAC encr data writer; no HDR there). */
int mbms_mikey_put_key(struct mbms_mikey_writer *w, const struct mbms_mikey_key *k);

/* Encoded size of a KEY sub-payload, or 0 when k is not encodable. */
size_t mbms_mikey_key_size(const struct mbms_mikey_key *k);

/* ---- RFC 3830 4.2.3: AES-CM IV for KEMAC encryption ----
 * IV = (salt || 0x0000) xor (0x0000 || CSB ID || T || 0x0000) with T the
 * 64-bit timestamp; a 32-bit COUNTER is right-aligned (PROFILE 4.1). */
int mbms_mikey_aes_cm_iv(const uint8_t salt[14], uint32_t csb_id, uint64_t ts, uint8_t iv[16]);

/* Names for tools and JSON: "TGK", "TGK+SALT", "TEK", "TEK+SALT";
 * "null", "spi", "interval". "?" for unknown values. */
const char *mbms_mikey_key_type_name(uint8_t type);
const char *mbms_mikey_kv_name(uint8_t kv);

#ifdef __cplusplus
}
#endif
#endif
