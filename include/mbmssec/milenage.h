/* mbmssec — Milenage (TS 35.206) and the AKA vectors built from it (TS 33.102).
 */
#ifndef MBMSSEC_MILENAGE_H
#define MBMSSEC_MILENAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MBMS_MILENAGE_K_LEN 16
#define MBMS_MILENAGE_OP_LEN 16
#define MBMS_MILENAGE_RAND_LEN 16
#define MBMS_MILENAGE_SQN_LEN 6
#define MBMS_MILENAGE_AMF_LEN 2
#define MBMS_MILENAGE_MAC_LEN 8
#define MBMS_MILENAGE_RES_LEN 8
#define MBMS_MILENAGE_CK_LEN 16
#define MBMS_MILENAGE_IK_LEN 16
#define MBMS_MILENAGE_AK_LEN 6
#define MBMS_AUTN_LEN 16 /* SQN^AK (6) || AMF (2) || MAC-A (8) */
#define MBMS_AUTS_LEN 14 /* SQN_MS^AK* (6) || MAC-S (8) */

/* OPc = OP xor E_K(OP) (TS 35.206 4.1). */
int mbms_milenage_opc(const uint8_t k[16], const uint8_t op[16], uint8_t opc[16]);

/* f1 (MAC-A) and f1* (MAC-S); either output may be NULL. */
int mbms_milenage_f1(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
		     const uint8_t sqn[6], const uint8_t amf[2], uint8_t mac_a[8],
		     uint8_t mac_s[8]);

/* f2 (RES), f3 (CK), f4 (IK), f5 (AK), f5* (AK*); any output may be NULL. */
int mbms_milenage_f2345(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
			uint8_t res[8], uint8_t ck[16], uint8_t ik[16], uint8_t ak[6],
			uint8_t ak_star[6]);

/* Network side (TS 33.102 6.3.2): AUTN = SQN^AK || AMF || MAC-A, plus
 * XRES, CK, IK for the given RAND and SQN. Outputs may be NULL except autn. */
int mbms_aka_generate(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
		      const uint8_t sqn[6], const uint8_t amf[2], uint8_t autn[16],
		      uint8_t xres[8], uint8_t ck[16], uint8_t ik[16]);

/* USIM side of AUTN: recover SQN, check MAC-A. Returns 0 and fills sqn
 * (and res/ck/ik when non-NULL) when MAC-A is right, MBMS_EAUTH when not.
 * The caller decides SQN freshness (mbms_sqn_check) and makes AUTS. */
int mbms_aka_check_autn(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
			const uint8_t autn[16], uint8_t sqn[6], uint8_t res[8], uint8_t ck[16],
			uint8_t ik[16]);

/* AUTS = (SQN_MS xor AK*) || MAC-S, where MAC-S = f1*(SQN_MS, AMF = 0x0000)
 * (TS 33.102 6.3.3). */
int mbms_aka_make_auts(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
		       const uint8_t sqn_ms[6], uint8_t auts[14]);

/* Network side of resynchronisation: check MAC-S of AUTS and recover
 * SQN_MS. 0 on success, MBMS_EAUTH when MAC-S is wrong. */
int mbms_aka_check_auts(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
			const uint8_t auts[14], uint8_t sqn_ms[6]);

/* ---- SQN management, TS 33.102 Annex C.3.2 (array scheme) ----
 * SQN (48 bits) = SEQ (43 bits) || IND (5 bits). The USIM keeps SEQ_MS[IND]
 * for each of the 32 IND values and accepts SEQ > SEQ_MS[IND]. */
#define MBMS_SQN_IND_BITS 5
#define MBMS_SQN_IND_COUNT (1u << MBMS_SQN_IND_BITS)

struct mbms_sqn_ms {
	uint64_t seq[MBMS_SQN_IND_COUNT];
};

static inline uint64_t mbms_sqn_from_bytes(const uint8_t sqn[6])
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | sqn[i];
	return v;
}
static inline void mbms_sqn_to_bytes(uint64_t v, uint8_t sqn[6])
{
	for (int i = 5; i >= 0; i--) {
		sqn[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* true when the SQN is fresh for this USIM state. */
bool mbms_sqn_check(const struct mbms_sqn_ms *st, uint64_t sqn);
/* Record an accepted SQN. */
void mbms_sqn_accept(struct mbms_sqn_ms *st, uint64_t sqn);
/* The highest SQN the USIM has accepted (SQN_MS for AUTS). */
uint64_t mbms_sqn_ms_highest(const struct mbms_sqn_ms *st);

/* Network side: next SQN after `last` (SEQ+1, IND cycled), TS 33.102 C.1.1. */
uint64_t mbms_sqn_next(uint64_t last);

#ifdef __cplusplus
}
#endif
#endif
