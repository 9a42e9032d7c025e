/* libFuzzer target for the MIKEY codec and the MBMS message layer.
 *
 * Every input goes through:
 *  1. the generic decoder; a decoded message must re-encode to the same
 *     bytes (views, writer and decoder agree), and its KEY chain / SP
 *     params / Key ID views must decode without reading out of bounds;
 *  2. MBMS verification with a fixed MUK and with a fixed MSK, as sent;
 *  3. the same message resealed (KEMAC encrypted and MACed, or the V MAC
 *     recomputed) so the fuzzer reaches the code after the MAC check:
 *     decryption, the KEY rules, the UE replay/order rules; a message the
 *     UE accepted must be refused when replayed;
 *  4. the KEY sub-payload chain parser on the raw bytes.
 * A broken invariant aborts (__builtin_trap), like a sanitizer finding. */
#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/kdf.h"
#include "mbmssec/mbms_msg.h"
#include "mbmssec/mikey.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The vectors' context (tests/vectors/independent_cases.json). */
static const uint8_t MUK[32] = {0xfc, 0x45, 0xad, 0x6b, 0x19, 0x93, 0x81, 0x34, 0x9c, 0xce, 0xf2,
				0x59, 0xd5, 0xa1, 0xad, 0xc9, 0x77, 0xc1, 0x20, 0x92, 0x6d, 0x9a,
				0x38, 0x78, 0xfc, 0xea, 0xdf, 0xc0, 0x2c, 0x03, 0x8f, 0x94};
static const uint8_t MSK[16] = {0x4b, 0x1b, 0xf3, 0x9f, 0x7e, 0x9c, 0x2f, 0xe5,
				0x39, 0x7c, 0x6a, 0xe9, 0xaa, 0x0e, 0xf2, 0x98};
static const uint8_t KD[3] = {0x00, 0xf1, 0x10};
static const char IDI[] = "bmsc.mbms.mnc001.mcc001.pub.3gppnetwork.org";
static const char IDR[] = "gRE0fvgzT8TRMTt3OEPC4w==@bsf.mnc001.mcc001.pub.3gppnetwork.org";
/* msk_message_v1: CSB 01020001, T 1, this RAND */
static const uint8_t ACKED_RAND[16] = {0xe5, 0xb6, 0xe2, 0x50, 0xbb, 0x1c, 0xff, 0x14,
				       0xee, 0x2a, 0x54, 0x30, 0x2f, 0xa7, 0xef, 0x86};

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

static struct mbms_acked acked(void)
{
	struct mbms_acked a = {.csb_id = 0x01020001, .ts_counter = 1,
			       .idi = (const uint8_t *)IDI, .idi_len = sizeof(IDI) - 1,
			       .idr = (const uint8_t *)IDR, .idr_len = sizeof(IDR) - 1};
	memcpy(a.rand, ACKED_RAND, 16);
	return a;
}

/* 1: decode, walk the views, re-encode. */
static void generic(const uint8_t *data, size_t size)
{
	static struct mbms_mikey_msg m;
	if (mbms_mikey_decode(data, size, &m) != 0)
		return;
	static uint8_t out[70000];
	struct mbms_mikey_writer w;
	mbms_mikey_writer_init(&w, out, sizeof(out));
	CHECK(mbms_mikey_put_hdr(&w, &m.hdr) == 0);
	for (size_t i = 0; i < m.npayloads; i++) {
		const struct mbms_mikey_payload *p = &m.p[i];
		CHECK(p->offset + p->len <= size);
		size_t mo = 0;
		switch (p->type) {
		case MBMS_MIKEY_PT_T:
			mbms_mikey_put_t(&w, p->u.t.ts_type, p->u.t.ts);
			break;
		case MBMS_MIKEY_PT_RAND:
			mbms_mikey_put_rand(&w, p->u.rand.data, p->u.rand.len);
			break;
		case MBMS_MIKEY_PT_ID:
			mbms_mikey_put_id(&w, p->u.id.id_type, p->u.id.data, p->u.id.len);
			break;
		case MBMS_MIKEY_PT_EXT: {
			struct mbms_mikey_key_id kid;
			if (mbms_mikey_key_id_decode(p->u.ext.data, p->u.ext.len, &kid) == 0)
				CHECK(kid.id + kid.len == p->u.ext.data + p->u.ext.len);
			mbms_mikey_put_ext(&w, p->u.ext.ext_type, p->u.ext.data, p->u.ext.len);
			break;
		}
		case MBMS_MIKEY_PT_SP: {
			struct mbms_mikey_sp_param prm[64];
			size_t n = p->u.sp.nparams < 64 ? p->u.sp.nparams : 64;
			for (size_t k = 0; k < n; k++)
				CHECK(mbms_mikey_sp_param(&p->u.sp, k, &prm[k]) == 0);
			if (n == p->u.sp.nparams)
				mbms_mikey_put_sp(&w, p->u.sp.policy_no, p->u.sp.prot_type, prm, n);
			else
				return; /* too many params to re-encode here */
			break;
		}
		case MBMS_MIKEY_PT_ERR:
			mbms_mikey_put_err(&w, p->u.err.err_no);
			if (p->u.err.reserved)
				return; /* the writer always sends reserved = 0 */
			break;
		case MBMS_MIKEY_PT_KEMAC: {
			struct mbms_mikey_key keys[8];
			size_t nk = 0;
			if (mbms_mikey_keys_decode(p->u.kemac.encr_data, p->u.kemac.encr_len, keys, 8,
						   &nk) == 0)
				for (size_t k = 0; k < nk; k++)
					CHECK(mbms_mikey_key_size(&keys[k]) > 0);
			mbms_mikey_put_kemac(&w, p->u.kemac.encr_alg, p->u.kemac.encr_data,
					     p->u.kemac.encr_len, p->u.kemac.mac_alg, NULL, &mo);
			if (!w.err && p->u.kemac.mac_len)
				memcpy(out + mo, p->u.kemac.mac, p->u.kemac.mac_len);
			break;
		}
		case MBMS_MIKEY_PT_V:
			mbms_mikey_put_v(&w, p->u.v.auth_alg, &mo);
			if (!w.err && p->u.v.mac_len)
				memcpy(out + mo, p->u.v.mac, p->u.v.mac_len);
			break;
		default:
			CHECK(0);
		}
	}
	CHECK(w.err == 0);
	CHECK(w.len == size);
	CHECK(memcmp(out, data, size) == 0);
}

/* 2: as sent. */
static void verify_as_sent(const uint8_t *data, size_t size)
{
	struct mbms_msg_info info;
	struct mbms_acked a = acked();
	int rc = mbms_msg_verify(data, size, MBMS_MSG_ANY, MUK, sizeof(MUK), &a, &info);
	if (rc == 0)
		CHECK(info.verified && info.mac_off + info.mac_len <= size);
	mbms_msg_info_wipe(&info);
	rc = mbms_msg_verify(data, size, MBMS_MSG_ANY, MSK, sizeof(MSK), &a, &info);
	if (rc == 0)
		CHECK(info.verified);
	mbms_msg_info_wipe(&info);
	if (mbms_msg_parse(data, size, MBMS_MSG_ANY, &info) == 0)
		(void)mbms_msg_check_semantics(&info, &a);
}

/* 3: reseal with the key the receiver will use, then verify and run the UE
 * rules. The KEMAC encr bytes of the input act as the plaintext. */
static void resealed(const uint8_t *data, size_t size)
{
	static uint8_t buf[70000];
	struct mbms_msg_info info;
	struct mbms_acked a = acked();
	if (size > sizeof(buf) || mbms_msg_parse(data, size, MBMS_MSG_ANY, &info) != 0)
		return;
	memcpy(buf, data, size);
	if (info.kind == MBMS_MSG_VERIFICATION) {
		uint8_t auth[20], ts[4] = {0, 0, 0, 1};
		const struct mbms_buf parts[] = {
			{buf, info.mac_off}, {a.idi, a.idi_len}, {a.idr, a.idr_len}, {ts, 4}};
		CHECK(mbms_mikey_msg_key(MUK, 32, MBMS_MIKEY_CONST_AUTH, a.csb_id, a.rand, 16, auth,
					 20) == 0);
		CHECK(mbms_hmac_sha1_v(auth, 20, parts, 4, buf + info.mac_off) == 0);
		int rc = mbms_msg_verify(buf, size, MBMS_MSG_ANY, MUK, 32, &a, &info);
		CHECK(rc != MBMS_EMAC);
		return;
	}
	const enum mbms_msg_kind kind = info.kind;
	const uint8_t *key = kind == MBMS_MSG_MTK ? MSK : MUK;
	size_t key_len = kind == MBMS_MSG_MTK ? sizeof(MSK) : sizeof(MUK);
	size_t encr_off = (size_t)(info.encr_data - data);
	CHECK(mbms_kemac_seal(buf, encr_off, info.encr_data_len, info.mac_off, key, key_len,
			      info.csb_id, info.rand, info.rand_len, info.ts_counter) == 0);
	int rc = mbms_msg_verify(buf, size, MBMS_MSG_ANY, key, key_len, NULL, &info);
	CHECK(rc != MBMS_EMAC);
	mbms_msg_info_wipe(&info);

	/* The UE: MUK state and one installed MSK, fresh for every input. */
	static struct mbms_muk_state ms;
	static struct mbms_key_store ks;
	CHECK(mbms_muk_state_init(&ms, MUK, (const uint8_t *)IDI, sizeof(IDI) - 1,
				  (const uint8_t *)IDR, sizeof(IDR) - 1) == 0);
	mbms_key_store_init(&ks);
	CHECK(mbms_key_store_install(&ks, KD, 0x01020001, MSK, 1, 255, NULL) == 0);
	for (int round = 0; round < 2; round++) {
		if (kind == MBMS_MSG_MTK)
			rc = mbms_ue_rx_mtk_msg(&ks, buf, size, &info);
		else
			rc = mbms_ue_rx_muk_msg(&ms, &ks, buf, size, &info);
		mbms_msg_info_wipe(&info);
		if (round == 1 && rc == 0)
			__builtin_trap(); /* a replay was accepted */
		if (rc != 0)
			break;
	}
	mbms_key_store_wipe(&ks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	generic(data, size);
	verify_as_sent(data, size);
	resealed(data, size);
	struct mbms_mikey_key keys[4];
	size_t nk = 0;
	(void)mbms_mikey_keys_decode(data, size, keys, 4, &nk);
	return 0;
}
