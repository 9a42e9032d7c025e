/* mbmssec — the MBMS MIKEY messages (PROFILE.md 5 and 10): MSK message,
 * solicited-pull trigger, verification message, MTK message; their
 * builders, their verification, and the UE-side replay/order rules.
 *
 * Receiving is split in two steps so that a receiver can pick the key from
 * the clear part before any crypto (an MTK message names its MSK):
 *
 *   mbms_msg_parse()         structure -> payload order -> clear-field rules
 *   mbms_msg_authenticate()  MAC -> CSB/Key Number semantics -> decrypt/KEY
 *
 * which is the check order of tests/vectors (conventions.check_order).
 * mbms_msg_verify() runs both. Nothing is decrypted or acted on before the
 * MAC has been checked in constant time. Every reject names its reason
 * through mbms_errname().
 *
 * Builders write into caller buffers with explicit capacity and allocate
 * nothing; parse results point into the message (keep it alive).
 */
#ifndef MBMSSEC_MBMS_MSG_H
#define MBMSSEC_MBMS_MSG_H

#include "mbmssec/ids.h"
#include "mbmssec/kdf.h"
#include "mbmssec/mikey.h"
#include "mbmssec/profile.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MBMS_MSK_LEN 16
#define MBMS_MTK_LEN 16
#define MBMS_MTK_SALT_LEN 14
#define MBMS_MIKEY_RAND_LEN MBMS_PROFILE_MIKEY_RAND_LEN

/* Longest IDi / IDr the UE key store keeps (FQDN <= 255; B-TID = 24 + 1 +
 * host name). Longer IDs never match a stored MUK ID. */
#define MBMS_MSG_MAX_ID_LEN 320

/* Largest buffer any builder needs with IDs of MBMS_MSG_MAX_ID_LEN. */
#define MBMS_MSG_MAX_LEN (64 + 2 * (4 + MBMS_MSG_MAX_ID_LEN) + 128)

enum mbms_msg_kind {
	MBMS_MSG_NONE = 0,
	MBMS_MSG_MSK = 1,          /* 5.2: MSK in a TGK KEY, MUK-protected */
	MBMS_MSG_TRIGGER = 2,      /* 5.3: like an MSK message, Key Number 0, no key */
	MBMS_MSG_MTK = 3,          /* 5.5: MTK+salt in a TEK+SALT KEY, MSK-protected */
	MBMS_MSG_VERIFICATION = 4, /* 5.4: the UE's ack */
};

/* Masks of acceptable kinds for mbms_msg_parse()/mbms_msg_verify(). */
#define MBMS_MSG_F(kind) (1u << (kind))
#define MBMS_MSG_F_MUK (MBMS_MSG_F(MBMS_MSG_MSK) | MBMS_MSG_F(MBMS_MSG_TRIGGER))
#define MBMS_MSG_ANY                                                                               \
	(MBMS_MSG_F_MUK | MBMS_MSG_F(MBMS_MSG_MTK) | MBMS_MSG_F(MBMS_MSG_VERIFICATION))

/* "msk", "trigger", "mtk", "verification" ("?" otherwise). */
const char *mbms_msg_kind_name(enum mbms_msg_kind kind);

/* ---- builders ---- */

/* MSK message (5.2) and solicited-pull trigger (5.3, 10.3). The trigger
 * ignores msk/vf/vt and needs Key Number 0; the MSK message needs a Key
 * Number other than 0 (MBMS_EINVAL otherwise). */
struct mbms_msk_msg_in {
	const uint8_t *muk; /* inkey, MBMS_MUK_LEN bytes */
	size_t muk_len;
	uint8_t key_domain_id[MBMS_KEY_DOMAIN_ID_LEN];
	uint32_t msk_id;    /* also the CSB ID */
	uint32_t ts_counter; /* per-MUK TS counter */
	uint8_t rand[MBMS_MIKEY_RAND_LEN];
	const uint8_t *idi; /* BM-SC FQDN (URI ID) */
	size_t idi_len;
	const uint8_t *idr; /* B-TID (URI ID) */
	size_t idr_len;
	bool v_flag; /* ask for a verification message */
	const uint8_t *msk; /* MBMS_MSK_LEN bytes (MSK message only) */
	uint16_t vf, vt;    /* MTK ID range of the MSK (MSK message only) */
};

int mbms_msk_msg_build(const struct mbms_msk_msg_in *in, uint8_t *out, size_t cap,
		       size_t *out_len);
int mbms_trigger_build(const struct mbms_msk_msg_in *in, uint8_t *out, size_t cap,
		       size_t *out_len);

/* MTK message (5.5, 10.4). Key Number 0 is MBMS_EINVAL. */
struct mbms_mtk_msg_in {
	const uint8_t *msk; /* inkey, MBMS_MSK_LEN bytes */
	size_t msk_len;
	uint8_t key_domain_id[MBMS_KEY_DOMAIN_ID_LEN];
	uint32_t msk_id; /* also the CSB ID */
	uint16_t mtk_id;
	const uint8_t *mtk;      /* MBMS_MTK_LEN bytes */
	const uint8_t *mtk_salt; /* MBMS_MTK_SALT_LEN bytes */
	uint32_t ts_counter;     /* per-MSK TS counter */
	uint8_t rand[MBMS_MIKEY_RAND_LEN];
};

int mbms_mtk_msg_build(const struct mbms_mtk_msg_in *in, uint8_t *out, size_t cap,
		       size_t *out_len);

/* What a verification message refers to (5.4, 10.1): the acknowledged
 * message's CSB ID, T counter, RAND and MUK ID. idi/idr point to the
 * caller's storage. */
struct mbms_acked {
	uint32_t csb_id;
	uint32_t ts_counter;
	uint8_t rand[MBMS_MIKEY_RAND_LEN];
	const uint8_t *idi;
	size_t idi_len;
	const uint8_t *idr;
	size_t idr_len;
};

/* Verification message for an acknowledged MSK message or trigger; muk is
 * the inkey that protected it. */
int mbms_verification_build(const uint8_t *muk, size_t muk_len, const struct mbms_acked *acked,
			    uint8_t *out, size_t cap, size_t *out_len);

/* The low-level protection step every builder ends with (RFC 3830 4.1.4,
 * 4.2.3, 5.2): derive the message keys from inkey, CSB ID and RAND,
 * AES-CM-128-encrypt msg[encr_off, encr_off + encr_len) in place with
 * IV(salt, CSB ID, ts), then write HMAC-SHA-1-160 over msg[0, mac_off) at
 * msg + mac_off. Usable with a mikey.h writer to build any KEMAC message. */
int mbms_kemac_seal(uint8_t *msg, size_t encr_off, size_t encr_len, size_t mac_off,
		    const uint8_t *inkey, size_t inkey_len, uint32_t csb_id, const uint8_t *rand,
		    size_t rand_len, uint64_t ts);

/* ---- the same with a prepared MUK (kdf.h keyctx) ----
 * Byte for byte the messages and checks of the functions above, with the
 * inkey prepared once by the caller (mbms_mikey_keyctx_init) instead of once
 * per call: a BM-SC keeps one per pending push (the push and its ack), a UE
 * one per MUK. The keyctx is borrowed, never wiped here; in->muk and
 * in->muk_len are ignored. MBMS_EINVAL for a NULL or unprepared keyctx. */
int mbms_msk_msg_build_keyed(const struct mbms_msk_msg_in *in,
			     const struct mbms_mikey_keyctx *muk, uint8_t *out, size_t cap,
			     size_t *out_len);
int mbms_trigger_build_keyed(const struct mbms_msk_msg_in *in,
			     const struct mbms_mikey_keyctx *muk, uint8_t *out, size_t cap,
			     size_t *out_len);
int mbms_verification_build_keyed(const struct mbms_mikey_keyctx *muk,
				  const struct mbms_acked *acked, uint8_t *out, size_t cap,
				  size_t *out_len);
int mbms_kemac_seal_keyed(uint8_t *msg, size_t encr_off, size_t encr_len, size_t mac_off,
			  const struct mbms_mikey_keyctx *inkey, uint32_t csb_id,
			  const uint8_t *rand, size_t rand_len, uint64_t ts);

/* ---- receiving ---- */

/* Everything a message says, as in the vectors' "parse" objects. Pointers
 * point into the message. Key material (key, salt) is only filled by
 * mbms_msg_authenticate(); wipe it with mbms_msg_info_wipe(). */
struct mbms_msg_info {
	enum mbms_msg_kind kind;
	bool verified; /* MAC checked, semantics checked, key data decrypted */

	/* HDR */
	uint8_t data_type;
	bool v_flag;
	uint8_t prf;
	uint32_t csb_id;

	/* EXT Key ID (not in a verification message) */
	uint8_t key_id_type; /* MBMS_PROFILE_KEY_ID_TYPE_MSK / _MTK */
	uint8_t key_domain_id[MBMS_KEY_DOMAIN_ID_LEN];
	uint32_t msk_id;
	uint16_t key_group;
	uint16_t key_number;
	bool has_mtk_id;
	uint16_t mtk_id;

	/* T */
	uint8_t ts_type;
	uint32_t ts_counter;
	const uint8_t *ts_value; /* the 4 bytes as sent */

	/* RAND (not in a verification message) */
	const uint8_t *rand;
	size_t rand_len;

	/* IDi, IDr (MSK message, trigger): the identity bytes */
	const uint8_t *idi;
	size_t idi_len;
	const uint8_t *idr;
	size_t idr_len;

	/* KEMAC (MSK, trigger, MTK) */
	uint8_t encr_alg;
	const uint8_t *encr_data;
	size_t encr_data_len;
	uint8_t mac_alg;

	/* V (verification) */
	uint8_t auth_alg;

	/* The MAC of the KEMAC or V payload; it covers msg[0, mac_off). */
	const uint8_t *mac;
	size_t mac_len;
	size_t mac_off;

	/* The KEY sub-payload, after mbms_msg_authenticate (MSK, MTK). */
	bool has_key;
	uint8_t key_type; /* MBMS_MIKEY_KEY_* */
	uint8_t kv_type;  /* MBMS_MIKEY_KV_* */
	uint8_t key[MBMS_MSK_LEN];
	size_t key_len;
	uint8_t salt[MBMS_MTK_SALT_LEN];
	size_t salt_len;
	bool has_interval;
	uint16_t vf, vt;
	bool has_spi;
	uint8_t spi[MBMS_PROFILE_MTK_SPI_LEN];
	size_t spi_len;
};

/* Wipe the key material of an info (safe on any info). */
void mbms_msg_info_wipe(struct mbms_msg_info *info);

/* Step 1, no key needed: generic decode (structure), the exact payload order
 * of section 5 (10.5), and the clear-field rules of 10.6: HDR data type,
 * #CS/map, V flag, EXT type and Key ID, T type, RAND length, ID type,
 * KEMAC / V algorithms. kinds is a mask (MBMS_MSG_F...); a message of
 * another kind is MBMS_EDATATYPE (other data type), MBMS_EKEYID (other key
 * ID type) or MBMS_EUNEXPECTED (MSK message where only a trigger is
 * allowed, or the reverse). Fills info->kind and every clear field. */
int mbms_msg_parse(const uint8_t *msg, size_t len, unsigned kinds, struct mbms_msg_info *info);

/* Step 2 on the same msg/info: MAC (constant time) with keys derived from
 * inkey (MUK for MSK messages, triggers and verification messages; MSK for
 * MTK messages), then mbms_msg_check_semantics(), then for MSK / MTK
 * messages decryption and the KEY checks (type, KV, lengths, SPI).
 * acked is required for a verification message (else MBMS_ENOACKED) and
 * ignored otherwise. Sets info->verified. */
int mbms_msg_authenticate(const uint8_t *msg, size_t len, const uint8_t *inkey, size_t inkey_len,
			  const struct mbms_acked *acked, struct mbms_msg_info *info);

/* Both steps. */
int mbms_msg_verify(const uint8_t *msg, size_t len, unsigned kinds, const uint8_t *inkey,
		    size_t inkey_len, const struct mbms_acked *acked, struct mbms_msg_info *info);

/* mbms_msg_authenticate / mbms_msg_verify with a prepared inkey (above). */
int mbms_msg_authenticate_keyed(const uint8_t *msg, size_t len,
				const struct mbms_mikey_keyctx *inkey,
				const struct mbms_acked *acked, struct mbms_msg_info *info);
int mbms_msg_verify_keyed(const uint8_t *msg, size_t len, unsigned kinds,
			  const struct mbms_mikey_keyctx *inkey, const struct mbms_acked *acked,
			  struct mbms_msg_info *info);
/* The CSB / Key Number rules alone (10.3, 10.4; 5.4 for verification):
 * MBMS_ECSB, MBMS_ETRIGGER, MBMS_EKEYNUM0, MBMS_ENOACKED, MBMS_ETSMISMATCH.
 * Run by mbms_msg_authenticate after the MAC; a tool that has no key may
 * call it after mbms_msg_parse to report what an unverified message says. */
int mbms_msg_check_semantics(const struct mbms_msg_info *info, const struct mbms_acked *acked);

/* The acknowledgement reference of a parsed MSK message or trigger. */
int mbms_acked_from_info(const struct mbms_msg_info *info, struct mbms_acked *out);

/* ---- UE-side replay and order rules (PROFILE.md 3, 5.5, 10.7-10.12) ----
 * Plain structs with fixed arrays, no allocation: the UE state machine
 * embeds them and persists their fields. */

/* One MUK with its MUK ID and per-MUK TS counter. */
struct mbms_muk_state {
	uint8_t muk[MBMS_MUK_LEN];
	uint8_t idi[MBMS_MSG_MAX_ID_LEN];
	size_t idi_len;
	uint8_t idr[MBMS_MSG_MAX_ID_LEN];
	size_t idr_len;
	bool have_counter; /* 10.10: before the first counter, any is accepted */
	uint32_t ts_counter;
};

int mbms_muk_state_init(struct mbms_muk_state *m, const uint8_t muk[MBMS_MUK_LEN],
			const uint8_t *idi, size_t idi_len, const uint8_t *idr, size_t idr_len);

/* For a verified MSK message or trigger: MBMS_EMUKID when IDi/IDr differ
 * from the MUK ID (10.7), MBMS_EREPLAY when the counter is not greater than
 * the stored one. mbms_muk_commit records the counter. */
int mbms_muk_check(const struct mbms_muk_state *m, const struct mbms_msg_info *info);
void mbms_muk_commit(struct mbms_muk_state *m, const struct mbms_msg_info *info);

/* TS 31.102 EF_MSK: at most two MSKs per (Key Domain ID, Key Group). */
#define MBMS_MSKS_PER_KEY_GROUP 2
/* Size of the UE's MSK table (all Key Groups together). */
#define MBMS_KEY_STORE_MAX_MSKS 16

struct mbms_msk_entry {
	bool used;
	uint8_t key_domain_id[MBMS_KEY_DOMAIN_ID_LEN];
	uint32_t msk_id;
	uint8_t msk[MBMS_MSK_LEN];
	uint16_t vf, vt;
	uint64_t installed;   /* install order, for 10.12 */
	bool have_counter;    /* per-MSK TS counter of MTK messages */
	uint32_t ts_counter;
	bool have_mtk_id;     /* current MTK ID */
	uint16_t mtk_id;
};

struct mbms_key_store {
	struct mbms_msk_entry msk[MBMS_KEY_STORE_MAX_MSKS];
	uint64_t install_seq;
};

void mbms_key_store_init(struct mbms_key_store *ks);
void mbms_key_store_wipe(struct mbms_key_store *ks);

/* The entry for (Key Domain ID, MSK ID), or NULL. */
struct mbms_msk_entry *mbms_key_store_find(struct mbms_key_store *ks,
					   const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
					   uint32_t msk_id);

/* Install an MSK (10.12): the same MSK ID again is updated in place (its MTK
 * state kept when the key is unchanged); a third MSK of a Key Group drops
 * the one installed earliest, copied to *evicted when not NULL
 * (evicted->used says whether one was dropped). MBMS_ENOSPC when the table
 * is full, MBMS_EKEYNUM0 for Key Number 0. */
int mbms_key_store_install(struct mbms_key_store *ks, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
			   uint32_t msk_id, const uint8_t msk[MBMS_MSK_LEN], uint16_t vf,
			   uint16_t vt, struct mbms_msk_entry *evicted);

int mbms_key_store_remove(struct mbms_key_store *ks, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
			  uint32_t msk_id);

/* For a verified MTK message under entry e (5.5, 10.8-10.11), in this
 * order: MBMS_EREPLAY (counter not greater), MBMS_EMTKOLD (MTK ID not
 * strictly newer, RFC 1982), MBMS_EMTKRANGE (outside [VF, VT]).
 * mbms_mtk_commit records counter and MTK ID. */
int mbms_mtk_check(const struct mbms_msk_entry *e, const struct mbms_msg_info *info);
void mbms_mtk_commit(struct mbms_msk_entry *e, const struct mbms_msg_info *info);

/* The UE's whole receive path for a message from the BM-SC's unicast port:
 * verify with the MUK (MSK message or trigger), MUK ID and replay checks,
 * commit the counter, install an MSK. On success info says what came (a
 * trigger asks the caller to run the basic MSK request); info holds the MSK
 * until wiped. */
int mbms_ue_rx_muk_msg(struct mbms_muk_state *muk, struct mbms_key_store *ks, const uint8_t *msg,
		       size_t len, struct mbms_msg_info *info);

/* ... and for an MTK message: MBMS_EUNKNOWNMSK when the named MSK is not
 * held (run the missed key update, 6.3), else verify with that MSK, apply
 * mbms_mtk_check and commit. info holds MTK and salt until wiped. */
int mbms_ue_rx_mtk_msg(struct mbms_key_store *ks, const uint8_t *msg, size_t len,
		       struct mbms_msg_info *info);

#ifdef __cplusplus
}
#endif
#endif
