/* Milenage (TS 35.206) and the AKA pieces built from it (TS 33.102 6.3).
 *
 * Only the default constants of TS 35.206 are supported: r1 = 64, r2 = 0,
 * r3 = 32, r4 = 64, r5 = 96 bits and c1..c5 = 0, 1, 2, 4, 8 in the last byte.
 * The block cipher E_K is AES-128 through mbms_aes128_encrypt_block(). Every
 * intermediate block that depends on K is wiped before returning.
 */
#include "mbmssec/milenage.h"
#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <string.h>

#define BLOCK 16

/* TS 35.206 4.1: the last byte of c1..c5 (all other bytes zero). */
enum { C1 = 0x00, C2 = 0x01, C3 = 0x02, C4 = 0x04, C5 = 0x08 };
/* TS 35.206 4.1: r1..r5 in bytes (all are multiples of 8 bits). */
enum { R1 = 8, R2 = 0, R3 = 4, R4 = 8, R5 = 12 };

/* rot(x, r): cyclic left rotation by r bytes (TS 35.206 4.1). */
static void rot_bytes(const uint8_t in[BLOCK], unsigned r, uint8_t out[BLOCK])
{
	for (unsigned i = 0; i < BLOCK; i++)
		out[i] = in[(i + r) % BLOCK];
}

/* TS 35.206 4.1: OPc = OP xor E_K(OP). */
int mbms_milenage_opc(const uint8_t k[16], const uint8_t op[16], uint8_t opc[16])
{
	uint8_t ek_op[BLOCK];
	if (!k || !op || !opc)
		return MBMS_EINVAL;
	int rc = mbms_aes128_encrypt_block(k, op, ek_op);
	if (rc == 0)
		for (int i = 0; i < BLOCK; i++)
			opc[i] = op[i] ^ ek_op[i];
	mbms_wipe(ek_op, sizeof(ek_op));
	return rc;
}

/* TEMP = E_K(RAND xor OPc) (TS 35.206 4.1), shared by f1..f5*. */
static int milenage_temp(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
			 uint8_t temp[BLOCK])
{
	uint8_t in[BLOCK];
	for (int i = 0; i < BLOCK; i++)
		in[i] = rand[i] ^ opc[i];
	int rc = mbms_aes128_encrypt_block(k, in, temp);
	mbms_wipe(in, sizeof(in));
	return rc;
}

/* OUTn = E_K(rot(TEMP xor OPc, rn) xor cn) xor OPc, for n = 2..5. */
static int milenage_out(const uint8_t k[16], const uint8_t opc[16], const uint8_t temp[BLOCK],
			unsigned r, uint8_t c, uint8_t out[BLOCK])
{
	uint8_t x[BLOCK], in[BLOCK];
	for (int i = 0; i < BLOCK; i++)
		x[i] = temp[i] ^ opc[i];
	rot_bytes(x, r, in);
	in[BLOCK - 1] ^= c;
	int rc = mbms_aes128_encrypt_block(k, in, out);
	if (rc == 0)
		for (int i = 0; i < BLOCK; i++)
			out[i] ^= opc[i];
	mbms_wipe(x, sizeof(x));
	mbms_wipe(in, sizeof(in));
	return rc;
}

/* TS 35.206 4.1: IN1 = SQN || AMF || SQN || AMF,
 * OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc;
 * f1 = MAC-A = OUT1[0..63], f1* = MAC-S = OUT1[64..127]. */
int mbms_milenage_f1(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
		     const uint8_t sqn[6], const uint8_t amf[2], uint8_t mac_a[8],
		     uint8_t mac_s[8])
{
	uint8_t temp[BLOCK], in1[BLOCK], x[BLOCK], in[BLOCK], out1[BLOCK];
	if (!k || !opc || !rand || !sqn || !amf)
		return MBMS_EINVAL;
	int rc = milenage_temp(k, opc, rand, temp);
	if (rc == 0) {
		memcpy(in1, sqn, 6);
		memcpy(in1 + 6, amf, 2);
		memcpy(in1 + 8, sqn, 6);
		memcpy(in1 + 14, amf, 2);
		for (int i = 0; i < BLOCK; i++)
			x[i] = in1[i] ^ opc[i];
		rot_bytes(x, R1, in);
		for (int i = 0; i < BLOCK; i++)
			in[i] ^= temp[i];
		in[BLOCK - 1] ^= C1;
		rc = mbms_aes128_encrypt_block(k, in, out1);
	}
	if (rc == 0) {
		for (int i = 0; i < BLOCK; i++)
			out1[i] ^= opc[i];
		if (mac_a)
			memcpy(mac_a, out1, 8);
		if (mac_s)
			memcpy(mac_s, out1 + 8, 8);
	}
	mbms_wipe(temp, sizeof(temp));
	mbms_wipe(in1, sizeof(in1));
	mbms_wipe(x, sizeof(x));
	mbms_wipe(in, sizeof(in));
	mbms_wipe(out1, sizeof(out1));
	return rc;
}

/* TS 35.206 4.1: f2 = OUT2[64..127], f5 = OUT2[0..47], f3 = OUT3, f4 = OUT4,
 * f5* = OUT5[0..47]. Blocks whose outputs are not wanted are not computed. */
int mbms_milenage_f2345(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
			uint8_t res[8], uint8_t ck[16], uint8_t ik[16], uint8_t ak[6],
			uint8_t ak_star[6])
{
	uint8_t temp[BLOCK], out[BLOCK];
	if (!k || !opc || !rand)
		return MBMS_EINVAL;
	int rc = milenage_temp(k, opc, rand, temp);
	if (rc == 0 && (res || ak) && (rc = milenage_out(k, opc, temp, R2, C2, out)) == 0) {
		if (res)
			memcpy(res, out + 8, 8);
		if (ak)
			memcpy(ak, out, 6);
	}
	if (rc == 0 && ck && (rc = milenage_out(k, opc, temp, R3, C3, out)) == 0)
		memcpy(ck, out, 16);
	if (rc == 0 && ik && (rc = milenage_out(k, opc, temp, R4, C4, out)) == 0)
		memcpy(ik, out, 16);
	if (rc == 0 && ak_star && (rc = milenage_out(k, opc, temp, R5, C5, out)) == 0)
		memcpy(ak_star, out, 6);
	mbms_wipe(temp, sizeof(temp));
	mbms_wipe(out, sizeof(out));
	return rc;
}

/* TS 33.102 6.3.2: AUTN = SQN xor AK || AMF || MAC-A. */
int mbms_aka_generate(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
		      const uint8_t sqn[6], const uint8_t amf[2], uint8_t autn[16],
		      uint8_t xres[8], uint8_t ck[16], uint8_t ik[16])
{
	uint8_t ak[MBMS_MILENAGE_AK_LEN], mac_a[MBMS_MILENAGE_MAC_LEN];
	if (!autn || !sqn || !amf)
		return MBMS_EINVAL;
	int rc = mbms_milenage_f1(k, opc, rand, sqn, amf, mac_a, NULL);
	if (rc == 0)
		rc = mbms_milenage_f2345(k, opc, rand, xres, ck, ik, ak, NULL);
	if (rc == 0) {
		for (int i = 0; i < 6; i++)
			autn[i] = sqn[i] ^ ak[i];
		memcpy(autn + 6, amf, 2);
		memcpy(autn + 8, mac_a, 8);
	}
	mbms_wipe(ak, sizeof(ak));
	mbms_wipe(mac_a, sizeof(mac_a));
	return rc;
}

/* TS 33.102 6.3.3 (USIM side): AK = f5(RAND), SQN = (SQN xor AK) xor AK,
 * XMAC = f1(SQN, AMF, RAND), compared with MAC-A in constant time. On a MAC
 * failure no output is written: an unauthenticated SQN must not be used. */
int mbms_aka_check_autn(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
			const uint8_t autn[16], uint8_t sqn[6], uint8_t res[8], uint8_t ck[16],
			uint8_t ik[16])
{
	uint8_t ak[MBMS_MILENAGE_AK_LEN], sqn_rx[MBMS_MILENAGE_SQN_LEN];
	uint8_t xmac[MBMS_MILENAGE_MAC_LEN];
	if (!autn)
		return MBMS_EINVAL;
	int rc = mbms_milenage_f2345(k, opc, rand, NULL, NULL, NULL, ak, NULL);
	if (rc == 0) {
		for (int i = 0; i < 6; i++)
			sqn_rx[i] = autn[i] ^ ak[i];
		rc = mbms_milenage_f1(k, opc, rand, sqn_rx, autn + 6, xmac, NULL);
	}
	if (rc == 0 && !mbms_ct_equal(xmac, autn + 8, MBMS_MILENAGE_MAC_LEN))
		rc = MBMS_EAUTH;
	if (rc == 0 && (res || ck || ik))
		rc = mbms_milenage_f2345(k, opc, rand, res, ck, ik, NULL, NULL);
	if (rc == 0 && sqn)
		memcpy(sqn, sqn_rx, 6);
	mbms_wipe(ak, sizeof(ak));
	mbms_wipe(sqn_rx, sizeof(sqn_rx));
	mbms_wipe(xmac, sizeof(xmac));
	return rc;
}

/* TS 33.102 6.3.3: the AMF used for MAC-S in AUTS is the dummy value 0x0000. */
static const uint8_t resync_amf[MBMS_MILENAGE_AMF_LEN] = {0x00, 0x00};

/* TS 33.102 6.3.3: AUTS = SQN_MS xor AK* || MAC-S, MAC-S = f1*(SQN_MS, RAND,
 * AMF = 0x0000), AK* = f5*(RAND). */
int mbms_aka_make_auts(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
		       const uint8_t sqn_ms[6], uint8_t auts[14])
{
	uint8_t ak_star[MBMS_MILENAGE_AK_LEN], mac_s[MBMS_MILENAGE_MAC_LEN];
	if (!sqn_ms || !auts)
		return MBMS_EINVAL;
	int rc = mbms_milenage_f2345(k, opc, rand, NULL, NULL, NULL, NULL, ak_star);
	if (rc == 0)
		rc = mbms_milenage_f1(k, opc, rand, sqn_ms, resync_amf, NULL, mac_s);
	if (rc == 0) {
		for (int i = 0; i < 6; i++)
			auts[i] = sqn_ms[i] ^ ak_star[i];
		memcpy(auts + 6, mac_s, 8);
	}
	mbms_wipe(ak_star, sizeof(ak_star));
	mbms_wipe(mac_s, sizeof(mac_s));
	return rc;
}

/* TS 33.102 6.3.5 (AuC side): recover SQN_MS with AK*, recompute MAC-S with
 * AMF = 0x0000 and compare in constant time. sqn_ms is written only when
 * MAC-S is right. */
int mbms_aka_check_auts(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
			const uint8_t auts[14], uint8_t sqn_ms[6])
{
	uint8_t ak_star[MBMS_MILENAGE_AK_LEN], sqn_rx[MBMS_MILENAGE_SQN_LEN];
	uint8_t xmac_s[MBMS_MILENAGE_MAC_LEN];
	if (!auts)
		return MBMS_EINVAL;
	int rc = mbms_milenage_f2345(k, opc, rand, NULL, NULL, NULL, NULL, ak_star);
	if (rc == 0) {
		for (int i = 0; i < 6; i++)
			sqn_rx[i] = auts[i] ^ ak_star[i];
		rc = mbms_milenage_f1(k, opc, rand, sqn_rx, resync_amf, NULL, xmac_s);
	}
	if (rc == 0 && !mbms_ct_equal(xmac_s, auts + 6, MBMS_MILENAGE_MAC_LEN))
		rc = MBMS_EAUTH;
	if (rc == 0 && sqn_ms)
		memcpy(sqn_ms, sqn_rx, 6);
	mbms_wipe(ak_star, sizeof(ak_star));
	mbms_wipe(sqn_rx, sizeof(sqn_rx));
	mbms_wipe(xmac_s, sizeof(xmac_s));
	return rc;
}

/* ---- TS 33.102 Annex C.3.2: the array scheme ----
 * SQN (48 bits) = SEQ (43 bits) || IND (5 bits). The USIM accepts an SQN when
 * SEQ > SEQ_MS[IND] and then stores SEQ in SEQ_MS[IND].
 *
 * Deliberately not implemented: the optional limit of Annex C.2.2 that
 * rejects a SEQ more than delta ahead of the highest accepted one (it guards
 * against SEQ wrap-around, which a 43-bit SEQ stepped once per vector never
 * reaches), and the optional age limit L of C.2.2. A caller that wants them
 * can compare with mbms_sqn_ms_highest() itself. */
#define SQN_MASK ((UINT64_C(1) << 48) - 1)
#define SEQ_MASK ((UINT64_C(1) << (48 - MBMS_SQN_IND_BITS)) - 1)
#define IND_MASK ((uint64_t)MBMS_SQN_IND_COUNT - 1)

bool mbms_sqn_check(const struct mbms_sqn_ms *st, uint64_t sqn)
{
	if (!st || sqn > SQN_MASK)
		return false;
	uint64_t seq = sqn >> MBMS_SQN_IND_BITS;
	return seq > st->seq[sqn & IND_MASK];
}

void mbms_sqn_accept(struct mbms_sqn_ms *st, uint64_t sqn)
{
	if (!st || sqn > SQN_MASK)
		return;
	uint64_t seq = sqn >> MBMS_SQN_IND_BITS;
	uint64_t *slot = &st->seq[sqn & IND_MASK];
	if (seq > *slot)
		*slot = seq;
}

/* SQN_MS for AUTS: the highest SEQ in the array with the IND it is stored
 * under (a tie goes to the higher IND, i.e. the higher 48-bit SQN). A fresh
 * USIM (all zero) reports 0. */
uint64_t mbms_sqn_ms_highest(const struct mbms_sqn_ms *st)
{
	uint64_t best = 0;
	if (!st)
		return 0;
	for (uint64_t ind = 0; ind < MBMS_SQN_IND_COUNT; ind++) {
		uint64_t sqn = (st->seq[ind] & SEQ_MASK) << MBMS_SQN_IND_BITS | ind;
		if (st->seq[ind] && sqn > best)
			best = sqn;
	}
	return best;
}

/* TS 33.102 C.1.1 / C.3.2: the HE steps SEQ by one per vector and lets IND
 * cycle through its 32 values, so consecutive vectors land in different
 * array slots. SEQ wraps modulo 2^43 (not reachable in practice). */
uint64_t mbms_sqn_next(uint64_t last)
{
	uint64_t seq = ((last & SQN_MASK) >> MBMS_SQN_IND_BITS) + 1;
	uint64_t ind = ((last & IND_MASK) + 1) & IND_MASK;
	return (seq & SEQ_MASK) << MBMS_SQN_IND_BITS | ind;
}
