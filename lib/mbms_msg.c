/* The MBMS MIKEY messages of PROFILE.md 5 and 10: builders, parse and
 * authentication in the check order of the vectors:
 * structure -> payload order -> MAC -> CSB/Key Number -> decrypt/KEY. */
#include "mbmssec/mbms_msg.h"
#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <string.h>

#define TRY(expr)                                                                                  \
	do {                                                                                       \
		int try_rc_ = (expr);                                                              \
		if (try_rc_ < 0)                                                                   \
			return try_rc_;                                                            \
	} while (0)

/* Largest KEMAC encr data the profile can carry: one KEY sub-payload of an
 * MTK message is 43 bytes; anything longer is a length it does not allow. */
#define MAX_KEY_DATA 64

const char *mbms_msg_kind_name(enum mbms_msg_kind kind)
{
	switch (kind) {
	case MBMS_MSG_MSK:
		return "msk";
	case MBMS_MSG_TRIGGER:
		return "trigger";
	case MBMS_MSG_MTK:
		return "mtk";
	case MBMS_MSG_VERIFICATION:
		return "verification";
	default:
		return "?";
	}
}

/* ---- message keys (RFC 3830 4.1.4) ----
 * One place derives every message key. The inkey is prepared once per
 * message (its HMAC-SHA-1 states, kdf.h keyctx) and serves the two or three
 * keys the message needs: the PRF then never re-keys HMAC (perf-notes.md,
 * docs/benchmarks.md). An inkey too long for a keyctx (no MBMS key is) goes
 * the generic way. Nothing outlives the call: inkey_close wipes what it
 * prepared. The _keyed entry points borrow a keyctx the caller prepared
 * once (a BM-SC per pending push, a UE per MUK) and skip the preparation. */
struct msg_inkey {
	const struct mbms_mikey_keyctx *ctx; /* NULL: raw */
	const uint8_t *raw;
	size_t raw_len;
	bool owned; /* own was prepared here and is wiped by inkey_close */
	struct mbms_mikey_keyctx own;
};

static int inkey_open(struct msg_inkey *k, const uint8_t *inkey, size_t inkey_len)
{
	k->raw = inkey;
	k->raw_len = inkey_len;
	k->ctx = NULL;
	k->owned = false;
	if (inkey_len > MBMS_MIKEY_KEYCTX_MAX_INKEY)
		return 0;
	int rc = mbms_mikey_keyctx_init(&k->own, inkey, inkey_len);
	if (rc)
		return rc;
	k->owned = true;
	k->ctx = &k->own;
	return 0;
}

/* A caller's prepared inkey: borrowed, never wiped here. */
static int inkey_borrow(struct msg_inkey *k, const struct mbms_mikey_keyctx *ctx)
{
	if (!ctx || ctx->npieces == 0 || ctx->npieces > MBMS_MIKEY_KEYCTX_MAX_PIECES)
		return MBMS_EINVAL;
	k->raw = NULL;
	k->raw_len = 0;
	k->ctx = ctx;
	k->owned = false;
	return 0;
}

static void inkey_close(struct msg_inkey *k)
{
	if (k->owned)
		mbms_mikey_keyctx_wipe(&k->own);
	k->owned = false;
	k->ctx = NULL;
}

static int msg_key(const struct msg_inkey *k, uint32_t constant, uint32_t csb_id,
		   const uint8_t *rand, size_t rand_len, uint8_t *out, size_t out_len)
{
	if (k->ctx)
		return mbms_mikey_msg_key_keyed(k->ctx, constant, csb_id, rand, rand_len, out,
						out_len);
	return mbms_mikey_msg_key(k->raw, k->raw_len, constant, csb_id, rand, rand_len, out,
				  out_len);
}

static int seal(uint8_t *msg, size_t encr_off, size_t encr_len, size_t mac_off,
		const struct msg_inkey *ik, uint32_t csb_id, const uint8_t *rand, size_t rand_len,
		uint64_t ts)
{
	struct mbms_mikey_msg_keys k;
	uint8_t iv[MBMS_AES_BLOCK_LEN];
	int rc = 0;
	if (encr_len) {
		rc = msg_key(ik, MBMS_MIKEY_CONST_ENCR, csb_id, rand, rand_len, k.encr,
			     sizeof(k.encr));
		if (rc == 0)
			rc = msg_key(ik, MBMS_MIKEY_CONST_SALT, csb_id, rand, rand_len, k.salt,
				     sizeof(k.salt));
		if (rc == 0)
			rc = mbms_mikey_aes_cm_iv(k.salt, csb_id, ts, iv);
		if (rc == 0)
			rc = mbms_aes_cm_128(k.encr, iv, msg + encr_off, msg + encr_off,
					     encr_len);
	}
	if (rc == 0)
		rc = msg_key(ik, MBMS_MIKEY_CONST_AUTH, csb_id, rand, rand_len, k.auth,
			     sizeof(k.auth));
	if (rc == 0)
		rc = mbms_hmac_sha1(k.auth, sizeof(k.auth), msg, mac_off, msg + mac_off);
	mbms_wipe(&k, sizeof(k));
	mbms_wipe(iv, sizeof(iv));
	return rc;
}

int mbms_kemac_seal(uint8_t *msg, size_t encr_off, size_t encr_len, size_t mac_off,
		    const uint8_t *inkey, size_t inkey_len, uint32_t csb_id, const uint8_t *rand,
		    size_t rand_len, uint64_t ts)
{
	if (!msg || !inkey || !inkey_len || (!rand && rand_len) || encr_off + encr_len > mac_off)
		return MBMS_EINVAL;
	struct msg_inkey ik;
	int rc = inkey_open(&ik, inkey, inkey_len);
	if (rc == 0)
		rc = seal(msg, encr_off, encr_len, mac_off, &ik, csb_id, rand, rand_len, ts);
	inkey_close(&ik);
	return rc;
}

int mbms_kemac_seal_keyed(uint8_t *msg, size_t encr_off, size_t encr_len, size_t mac_off,
			  const struct mbms_mikey_keyctx *inkey, uint32_t csb_id,
			  const uint8_t *rand, size_t rand_len, uint64_t ts)
{
	struct msg_inkey ik;
	if (!msg || (!rand && rand_len) || encr_off + encr_len > mac_off ||
	    inkey_borrow(&ik, inkey))
		return MBMS_EINVAL;
	return seal(msg, encr_off, encr_len, mac_off, &ik, csb_id, rand, rand_len, ts);
}

/* ---- builders ---- */

static int id_ok(const uint8_t *id, size_t len)
{
	return id && len > 0 && len <= 0xffff;
}

/* HDR as 5.2-5.5 and 10.2 want it: PRF 0, #CS 0, empty map. */
static int put_mbms_hdr(struct mbms_mikey_writer *w, uint8_t data_type, bool v, uint32_t csb_id)
{
	const struct mbms_mikey_hdr h = {
		.version = MBMS_MIKEY_VERSION,
		.data_type = data_type,
		.v = v,
		.prf = MBMS_MIKEY_PRF_MIKEY_1,
		.csb_id = csb_id,
		.ncs = 0,
		.map_type = MBMS_MIKEY_MAP_EMPTY,
	};
	return mbms_mikey_put_hdr(w, &h);
}

/* 5.2 / 5.3: HDR, EXT(MSK key ID), T, RAND, IDi, IDr, KEMAC. key == NULL
 * builds the trigger (encr data len 0). */
static int build_muk_msg(const struct mbms_msk_msg_in *in, const struct msg_inkey *ik,
			 const struct mbms_mikey_key *key, uint8_t *out, size_t cap,
			 size_t *out_len)
{
	uint8_t key_id[MBMS_PROFILE_MSK_KEY_ID_LEN];
	struct mbms_mikey_writer w;
	size_t encr_off = 0, mac_off = 0, encr_len = 0;
	if (key && !(encr_len = mbms_mikey_key_size(key)))
		return MBMS_EINVAL;
	memcpy(key_id, in->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	mbms_put_be32(key_id + MBMS_KEY_DOMAIN_ID_LEN, in->msk_id);
	mbms_mikey_writer_init(&w, out, cap);
	put_mbms_hdr(&w, MBMS_MIKEY_DT_PSK_INIT, in->v_flag, in->msk_id);
	mbms_mikey_put_ext_key_id(&w, MBMS_PROFILE_KEY_ID_TYPE_MSK, key_id, sizeof(key_id));
	mbms_mikey_put_t(&w, MBMS_MIKEY_TS_COUNTER, in->ts_counter);
	mbms_mikey_put_rand(&w, in->rand, sizeof(in->rand));
	mbms_mikey_put_id(&w, MBMS_MIKEY_ID_URI, in->idi, in->idi_len);
	mbms_mikey_put_id(&w, MBMS_MIKEY_ID_URI, in->idr, in->idr_len);
	int rc = mbms_mikey_put_kemac(&w, MBMS_MIKEY_ENCR_AES_CM_128, NULL, encr_len,
				      MBMS_MIKEY_MAC_HMAC_SHA1_160, &encr_off, &mac_off);
	if (rc == 0 && key) {
		/* The KEY goes straight into its place and is encrypted there. */
		struct mbms_mikey_writer kw;
		mbms_mikey_writer_init(&kw, out + encr_off, encr_len);
		rc = mbms_mikey_put_key(&kw, key);
	}
	if (rc == 0)
		rc = seal(out, encr_off, encr_len, mac_off, ik, in->msk_id, in->rand,
			  sizeof(in->rand), in->ts_counter);
	if (rc) {
		mbms_wipe(out, w.len < cap ? w.len : cap);
		return rc;
	}
	*out_len = w.len;
	return 0;
}

/* Everything but the MUK, which the raw and the keyed entry points check. */
static int muk_in_ok(const struct mbms_msk_msg_in *in, const uint8_t *out, const size_t *out_len)
{
	return in && out && out_len && id_ok(in->idi, in->idi_len) && id_ok(in->idr, in->idr_len);
}

/* The MSK message under an opened inkey (in checked by the caller). */
static int msk_msg(const struct mbms_msk_msg_in *in, const struct msg_inkey *ik, uint8_t *out,
		   size_t cap, size_t *out_len)
{
	uint8_t vf[2], vt[2];
	mbms_put_be16(vf, in->vf);
	mbms_put_be16(vt, in->vt);
	const struct mbms_mikey_key key = {
		.type = MBMS_MIKEY_KEY_TGK,
		.kv = MBMS_MIKEY_KV_INTERVAL,
		.key = in->msk,
		.key_len = MBMS_MSK_LEN,
		.vf = vf,
		.vf_len = sizeof(vf),
		.vt = vt,
		.vt_len = sizeof(vt),
	};
	return build_muk_msg(in, ik, &key, out, cap, out_len);
}

int mbms_msk_msg_build(const struct mbms_msk_msg_in *in, uint8_t *out, size_t cap,
		       size_t *out_len)
{
	if (!muk_in_ok(in, out, out_len) || !in->muk || !in->muk_len || !in->msk ||
	    mbms_msk_id_key_number(in->msk_id) == 0)
		return MBMS_EINVAL;
	struct msg_inkey ik;
	int rc = inkey_open(&ik, in->muk, in->muk_len);
	if (rc == 0)
		rc = msk_msg(in, &ik, out, cap, out_len);
	inkey_close(&ik);
	return rc;
}

int mbms_msk_msg_build_keyed(const struct mbms_msk_msg_in *in,
			     const struct mbms_mikey_keyctx *muk, uint8_t *out, size_t cap,
			     size_t *out_len)
{
	struct msg_inkey ik;
	if (!muk_in_ok(in, out, out_len) || !in->msk || mbms_msk_id_key_number(in->msk_id) == 0 ||
	    inkey_borrow(&ik, muk))
		return MBMS_EINVAL;
	return msk_msg(in, &ik, out, cap, out_len);
}

int mbms_trigger_build(const struct mbms_msk_msg_in *in, uint8_t *out, size_t cap,
		       size_t *out_len)
{
	if (!muk_in_ok(in, out, out_len) || !in->muk || !in->muk_len ||
	    mbms_msk_id_key_number(in->msk_id) != 0)
		return MBMS_EINVAL;
	struct msg_inkey ik;
	int rc = inkey_open(&ik, in->muk, in->muk_len);
	if (rc == 0)
		rc = build_muk_msg(in, &ik, NULL, out, cap, out_len);
	inkey_close(&ik);
	return rc;
}

int mbms_trigger_build_keyed(const struct mbms_msk_msg_in *in,
			     const struct mbms_mikey_keyctx *muk, uint8_t *out, size_t cap,
			     size_t *out_len)
{
	struct msg_inkey ik;
	if (!muk_in_ok(in, out, out_len) || mbms_msk_id_key_number(in->msk_id) != 0 ||
	    inkey_borrow(&ik, muk))
		return MBMS_EINVAL;
	return build_muk_msg(in, &ik, NULL, out, cap, out_len);
}

/* 5.5: HDR, EXT(MTK key ID), T, RAND, KEMAC(TEK+SALT, SPI). */
int mbms_mtk_msg_build(const struct mbms_mtk_msg_in *in, uint8_t *out, size_t cap,
		       size_t *out_len)
{
	if (!in || !out || !out_len || !in->msk || !in->msk_len || !in->mtk || !in->mtk_salt ||
	    mbms_msk_id_key_number(in->msk_id) == 0)
		return MBMS_EINVAL;
	uint8_t key_id[MBMS_PROFILE_MTK_KEY_ID_LEN], spi[MBMS_PROFILE_MTK_SPI_LEN];
	memcpy(key_id, in->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	mbms_put_be32(key_id + MBMS_KEY_DOMAIN_ID_LEN, in->msk_id);
	mbms_put_be16(key_id + MBMS_KEY_DOMAIN_ID_LEN + MBMS_MSK_ID_LEN, in->mtk_id);
	mbms_put_be32(spi, in->msk_id);
	mbms_put_be16(spi + MBMS_MSK_ID_LEN, in->mtk_id);
	const struct mbms_mikey_key key = {
		.type = MBMS_MIKEY_KEY_TEK_SALT,
		.kv = MBMS_MIKEY_KV_SPI,
		.key = in->mtk,
		.key_len = MBMS_MTK_LEN,
		.salt = in->mtk_salt,
		.salt_len = MBMS_MTK_SALT_LEN,
		.spi = spi,
		.spi_len = sizeof(spi),
	};
	size_t encr_len = mbms_mikey_key_size(&key), encr_off = 0, mac_off = 0;
	struct mbms_mikey_writer w, kw;
	mbms_mikey_writer_init(&w, out, cap);
	put_mbms_hdr(&w, MBMS_MIKEY_DT_PSK_INIT, false, in->msk_id);
	mbms_mikey_put_ext_key_id(&w, MBMS_PROFILE_KEY_ID_TYPE_MTK, key_id, sizeof(key_id));
	mbms_mikey_put_t(&w, MBMS_MIKEY_TS_COUNTER, in->ts_counter);
	mbms_mikey_put_rand(&w, in->rand, sizeof(in->rand));
	int rc = mbms_mikey_put_kemac(&w, MBMS_MIKEY_ENCR_AES_CM_128, NULL, encr_len,
				      MBMS_MIKEY_MAC_HMAC_SHA1_160, &encr_off, &mac_off);
	if (rc == 0) {
		mbms_mikey_writer_init(&kw, out + encr_off, encr_len);
		rc = mbms_mikey_put_key(&kw, &key);
	}
	if (rc == 0)
		rc = mbms_kemac_seal(out, encr_off, encr_len, mac_off, in->msk, in->msk_len,
				     in->msk_id, in->rand, sizeof(in->rand), in->ts_counter);
	if (rc) {
		mbms_wipe(out, w.len < cap ? w.len : cap);
		return rc;
	}
	*out_len = w.len;
	return 0;
}

/* 10.1: MAC = HMAC-SHA-1(auth key of the acknowledged message) over the
 * verification message up to its auth-alg byte || IDi || IDr || T. */
static int verification_mac(const struct msg_inkey *muk, const struct mbms_acked *a,
			    const uint8_t *msg, size_t mac_off, uint8_t mac[MBMS_SHA1_LEN])
{
	uint8_t auth[MBMS_MIKEY_AUTH_KEY_LEN], ts[4];
	mbms_put_be32(ts, a->ts_counter);
	const struct mbms_buf parts[] = {
		{msg, mac_off},
		{a->idi, a->idi_len},
		{a->idr, a->idr_len},
		{ts, sizeof(ts)},
	};
	int rc = msg_key(muk, MBMS_MIKEY_CONST_AUTH, a->csb_id, a->rand, sizeof(a->rand), auth,
			 sizeof(auth));
	if (rc == 0)
		rc = mbms_hmac_sha1_v(auth, sizeof(auth), parts, sizeof(parts) / sizeof(parts[0]),
				      mac);
	mbms_wipe(auth, sizeof(auth));
	return rc;
}

/* 5.4 + 10.2: HDR(data type 1, V 0, same CSB ID), T(same value), V. */
static int verification(const struct msg_inkey *ik, const struct mbms_acked *acked, uint8_t *out,
			size_t cap, size_t *out_len)
{
	struct mbms_mikey_writer w;
	size_t mac_off = 0;
	mbms_mikey_writer_init(&w, out, cap);
	put_mbms_hdr(&w, MBMS_MIKEY_DT_PSK_VERIFY, false, acked->csb_id);
	mbms_mikey_put_t(&w, MBMS_MIKEY_TS_COUNTER, acked->ts_counter);
	int rc = mbms_mikey_put_v(&w, MBMS_MIKEY_MAC_HMAC_SHA1_160, &mac_off);
	if (rc == 0)
		rc = verification_mac(ik, acked, out, mac_off, out + mac_off);
	if (rc)
		return rc;
	*out_len = w.len;
	return 0;
}

static int acked_ok(const struct mbms_acked *acked)
{
	if (!acked)
		return MBMS_ENOACKED;
	if ((!acked->idi && acked->idi_len) || (!acked->idr && acked->idr_len))
		return MBMS_EINVAL;
	return 0;
}

int mbms_verification_build(const uint8_t *muk, size_t muk_len, const struct mbms_acked *acked,
			    uint8_t *out, size_t cap, size_t *out_len)
{
	if (!muk || !muk_len || !out || !out_len)
		return MBMS_EINVAL;
	TRY(acked_ok(acked));
	struct msg_inkey ik;
	int rc = inkey_open(&ik, muk, muk_len);
	if (rc == 0)
		rc = verification(&ik, acked, out, cap, out_len);
	inkey_close(&ik);
	return rc;
}

int mbms_verification_build_keyed(const struct mbms_mikey_keyctx *muk,
				  const struct mbms_acked *acked, uint8_t *out, size_t cap,
				  size_t *out_len)
{
	struct msg_inkey ik;
	if (!out || !out_len || inkey_borrow(&ik, muk))
		return MBMS_EINVAL;
	TRY(acked_ok(acked));
	return verification(&ik, acked, out, cap, out_len);
}

/* ---- receiving: step 1, structure and profile (clear parts) ---- */

void mbms_msg_info_wipe(struct mbms_msg_info *info)
{
	if (!info)
		return;
	mbms_wipe(info->key, sizeof(info->key));
	mbms_wipe(info->salt, sizeof(info->salt));
	info->key_len = info->salt_len = 0;
	info->has_key = false;
}

/* 10.5: the payload at index i must be of this type. */
static int expect(const struct mbms_mikey_msg *m, size_t i, uint8_t type)
{
	if (i >= m->npayloads)
		return MBMS_EMISSING;
	return m->p[i].type == type ? 0 : MBMS_EUNEXPECTED;
}

/* T of type COUNTER only (10.6). */
static int take_t(const struct mbms_mikey_payload *pl, struct mbms_msg_info *info)
{
	info->ts_type = pl->u.t.ts_type;
	if (pl->u.t.ts_type != MBMS_MIKEY_TS_COUNTER)
		return MBMS_ETSTYPE;
	info->ts_counter = (uint32_t)pl->u.t.ts;
	info->ts_value = pl->u.t.value;
	return 0;
}

/* 5.1: EXT type 2 whose Key ID is an MSK (7 bytes) or MTK (9 bytes) ID. */
static int take_key_id(const struct mbms_mikey_payload *pl, unsigned kinds,
		       struct mbms_msg_info *info)
{
	struct mbms_mikey_key_id kid;
	if (pl->u.ext.ext_type != MBMS_PROFILE_EXT_KEY_ID_TYPE)
		return MBMS_EEXT;
	TRY(mbms_mikey_key_id_decode(pl->u.ext.data, pl->u.ext.len, &kid));
	info->key_id_type = kid.type;
	if (kid.type == MBMS_PROFILE_KEY_ID_TYPE_MSK) {
		if (kid.len != MBMS_PROFILE_MSK_KEY_ID_LEN || !(kinds & MBMS_MSG_F_MUK))
			return MBMS_EKEYID;
	} else if (kid.type == MBMS_PROFILE_KEY_ID_TYPE_MTK) {
		if (kid.len != MBMS_PROFILE_MTK_KEY_ID_LEN || !(kinds & MBMS_MSG_F(MBMS_MSG_MTK)))
			return MBMS_EKEYID;
		info->has_mtk_id = true;
		info->mtk_id = mbms_get_be16(kid.id + MBMS_KEY_DOMAIN_ID_LEN + MBMS_MSK_ID_LEN);
	} else {
		return MBMS_EKEYID;
	}
	memcpy(info->key_domain_id, kid.id, MBMS_KEY_DOMAIN_ID_LEN);
	info->msk_id = mbms_get_be32(kid.id + MBMS_KEY_DOMAIN_ID_LEN);
	info->key_group = mbms_msk_id_key_group(info->msk_id);
	info->key_number = mbms_msk_id_key_number(info->msk_id);
	return 0;
}

/* 10.7: ID type URI, a non-empty identity. */
static int take_id(const struct mbms_mikey_payload *pl, const uint8_t **id, size_t *len)
{
	if (pl->u.id.id_type != MBMS_MIKEY_ID_URI)
		return MBMS_EIDTYPE;
	if (pl->u.id.len == 0)
		return MBMS_ELENGTH;
	*id = pl->u.id.data;
	*len = pl->u.id.len;
	return 0;
}

/* 5.4: HDR, T, V. */
static int parse_verification(const struct mbms_mikey_msg *m, struct mbms_msg_info *info)
{
	info->kind = MBMS_MSG_VERIFICATION;
	if (m->hdr.v)
		return MBMS_EVFLAG;
	TRY(expect(m, 0, MBMS_MIKEY_PT_T));
	TRY(take_t(&m->p[0], info));
	TRY(expect(m, 1, MBMS_MIKEY_PT_V));
	const struct mbms_mikey_v *v = &m->p[1].u.v;
	info->auth_alg = v->auth_alg;
	if (v->auth_alg != MBMS_MIKEY_MAC_HMAC_SHA1_160)
		return MBMS_EALG;
	info->mac = v->mac;
	info->mac_len = v->mac_len;
	info->mac_off = v->mac_off;
	return m->npayloads > 2 ? MBMS_EUNEXPECTED : 0;
}

/* 5.2 / 5.3 / 5.5: HDR, EXT, T, RAND, [IDi, IDr,] KEMAC. */
static int parse_key_msg(const struct mbms_mikey_msg *m, unsigned kinds,
			 struct mbms_msg_info *info)
{
	size_t i = 0;
	TRY(expect(m, i, MBMS_MIKEY_PT_EXT));
	TRY(take_key_id(&m->p[i++], kinds, info));
	bool mtk = info->key_id_type == MBMS_PROFILE_KEY_ID_TYPE_MTK;
	if (mtk && m->hdr.v)
		return MBMS_EVFLAG; /* 5.5: V 0 */
	TRY(expect(m, i, MBMS_MIKEY_PT_T));
	TRY(take_t(&m->p[i++], info));
	TRY(expect(m, i, MBMS_MIKEY_PT_RAND));
	info->rand = m->p[i].u.rand.data;
	info->rand_len = m->p[i++].u.rand.len;
	if (info->rand_len != MBMS_MIKEY_RAND_LEN)
		return MBMS_ELENGTH;
	if (!mtk) {
		TRY(expect(m, i, MBMS_MIKEY_PT_ID));
		TRY(take_id(&m->p[i++], &info->idi, &info->idi_len));
		TRY(expect(m, i, MBMS_MIKEY_PT_ID));
		TRY(take_id(&m->p[i++], &info->idr, &info->idr_len));
	}
	TRY(expect(m, i, MBMS_MIKEY_PT_KEMAC));
	const struct mbms_mikey_kemac *k = &m->p[i++].u.kemac;
	info->encr_alg = k->encr_alg;
	info->mac_alg = k->mac_alg;
	info->encr_data = k->encr_data;
	info->encr_data_len = k->encr_len;
	info->mac = k->mac;
	info->mac_len = k->mac_len;
	info->mac_off = k->mac_off;
	/* 10.3, 10.4: AES-CM-128 and HMAC-SHA-1-160, also for the trigger. */
	if (k->encr_alg != MBMS_MIKEY_ENCR_AES_CM_128 || k->mac_alg != MBMS_MIKEY_MAC_HMAC_SHA1_160)
		return MBMS_EALG;
	if (mtk)
		info->kind = MBMS_MSG_MTK;
	else
		info->kind = k->encr_len ? MBMS_MSG_MSK : MBMS_MSG_TRIGGER;
	if (!(kinds & MBMS_MSG_F(info->kind)))
		return MBMS_EUNEXPECTED;
	return i < m->npayloads ? MBMS_EUNEXPECTED : 0;
}

int mbms_msg_parse(const uint8_t *msg, size_t len, unsigned kinds, struct mbms_msg_info *info)
{
	struct mbms_mikey_msg m;
	if (!info || (!msg && len) || !(kinds & MBMS_MSG_ANY))
		return MBMS_EINVAL;
	memset(info, 0, sizeof(*info));
	TRY(mbms_mikey_decode(msg, len, &m));
	info->data_type = m.hdr.data_type;
	info->v_flag = m.hdr.v;
	info->prf = m.hdr.prf;
	info->csb_id = m.hdr.csb_id;
	/* 10.6: data types 0 and 1 only; 10.2 and 5.x: #CS 0 with the empty map. */
	if (m.hdr.data_type == MBMS_MIKEY_DT_PSK_INIT) {
		if (!(kinds & (MBMS_MSG_F_MUK | MBMS_MSG_F(MBMS_MSG_MTK))))
			return MBMS_EDATATYPE;
	} else if (m.hdr.data_type == MBMS_MIKEY_DT_PSK_VERIFY) {
		if (!(kinds & MBMS_MSG_F(MBMS_MSG_VERIFICATION)))
			return MBMS_EDATATYPE;
	} else {
		return MBMS_EDATATYPE;
	}
	if (m.hdr.ncs != 0 || m.hdr.map_type != MBMS_MIKEY_MAP_EMPTY)
		return MBMS_ECSMAP;
	if (m.hdr.data_type == MBMS_MIKEY_DT_PSK_VERIFY)
		return parse_verification(&m, info);
	return parse_key_msg(&m, kinds, info);
}

/* ---- receiving: step 2, MAC, semantics, key data ---- */

int mbms_msg_check_semantics(const struct mbms_msg_info *info, const struct mbms_acked *acked)
{
	if (!info)
		return MBMS_EINVAL;
	switch (info->kind) {
	case MBMS_MSG_VERIFICATION:
		if (!acked)
			return MBMS_ENOACKED;
		if (info->csb_id != acked->csb_id)
			return MBMS_ECSB;
		if (info->ts_counter != acked->ts_counter)
			return MBMS_ETSMISMATCH;
		return 0;
	case MBMS_MSG_MSK:
	case MBMS_MSG_TRIGGER:
	case MBMS_MSG_MTK:
		if (info->csb_id != info->msk_id)
			return MBMS_ECSB;
		if (info->kind == MBMS_MSG_TRIGGER)
			return info->key_number == 0 ? 0 : MBMS_ETRIGGER;
		return info->key_number == 0 ? MBMS_EKEYNUM0 : 0; /* 10.4, PROFILE 3 */
	default:
		return MBMS_EINVAL;
	}
}

/* The decrypted KEY of an MSK message (5.2) or MTK message (5.5). */
static int take_key(const uint8_t *plain, size_t len, struct mbms_msg_info *info)
{
	struct mbms_mikey_key k;
	size_t n = 0;
	int rc = mbms_mikey_keys_decode(plain, len, &k, 1, &n);
	if (rc == MBMS_ENOSPC)
		return MBMS_EKEYDATA; /* a second KEY: exactly one is allowed */
	if (rc)
		return rc;
	if (n != 1)
		return MBMS_ELENGTH;
	info->key_type = k.type;
	info->kv_type = k.kv;
	if (info->kind == MBMS_MSG_MSK) {
		if (k.type != MBMS_MIKEY_KEY_TGK || k.kv != MBMS_MIKEY_KV_INTERVAL)
			return MBMS_EKEYDATA;
		if (k.key_len != MBMS_MSK_LEN || k.vf_len != MBMS_PROFILE_MSK_VF_VT_LEN ||
		    k.vt_len != MBMS_PROFILE_MSK_VF_VT_LEN)
			return MBMS_ELENGTH;
		info->has_interval = true;
		info->vf = mbms_get_be16(k.vf);
		info->vt = mbms_get_be16(k.vt);
	} else {
		if (k.type != MBMS_MIKEY_KEY_TEK_SALT || k.kv != MBMS_MIKEY_KV_SPI)
			return MBMS_EKEYDATA;
		if (k.key_len != MBMS_MTK_LEN || k.salt_len != MBMS_MTK_SALT_LEN ||
		    k.spi_len != MBMS_PROFILE_MTK_SPI_LEN)
			return MBMS_ELENGTH;
		uint8_t spi[MBMS_PROFILE_MTK_SPI_LEN];
		mbms_put_be32(spi, info->msk_id);
		mbms_put_be16(spi + MBMS_MSK_ID_LEN, info->mtk_id);
		if (memcmp(spi, k.spi, sizeof(spi)) != 0)
			return MBMS_ESPI;
		memcpy(info->salt, k.salt, MBMS_MTK_SALT_LEN);
		info->salt_len = MBMS_MTK_SALT_LEN;
		memcpy(info->spi, k.spi, sizeof(spi));
		info->spi_len = sizeof(spi);
		info->has_spi = true;
	}
	memcpy(info->key, k.key, k.key_len);
	info->key_len = k.key_len;
	info->has_key = true;
	return 0;
}

static int decrypt_key(const struct msg_inkey *inkey, struct mbms_msg_info *info)
{
	uint8_t plain[MAX_KEY_DATA], iv[MBMS_AES_BLOCK_LEN];
	struct mbms_mikey_msg_keys k;
	size_t len = info->encr_data_len;
	if (len == 0 || len > sizeof(plain))
		return MBMS_ELENGTH;
	int rc = msg_key(inkey, MBMS_MIKEY_CONST_ENCR, info->csb_id, info->rand, info->rand_len,
			 k.encr, sizeof(k.encr));
	if (rc == 0)
		rc = msg_key(inkey, MBMS_MIKEY_CONST_SALT, info->csb_id, info->rand,
			     info->rand_len, k.salt, sizeof(k.salt));
	if (rc == 0)
		rc = mbms_mikey_aes_cm_iv(k.salt, info->csb_id, info->ts_counter, iv);
	if (rc == 0)
		rc = mbms_aes_cm_128(k.encr, iv, info->encr_data, plain, len);
	if (rc == 0)
		rc = take_key(plain, len, info);
	mbms_wipe(plain, sizeof(plain));
	mbms_wipe(&k, sizeof(k));
	mbms_wipe(iv, sizeof(iv));
	return rc;
}

/* MAC (constant time), semantics, key data: one prepared inkey serves the
 * MAC's auth key and the decryption's encr and salt keys. */
static int authenticate(const uint8_t *msg, const struct msg_inkey *ik,
			const struct mbms_acked *acked, struct mbms_msg_info *info)
{
	uint8_t mac[MBMS_SHA1_LEN];
	int rc;
	if (info->kind == MBMS_MSG_VERIFICATION) {
		rc = verification_mac(ik, acked, msg, info->mac_off, mac);
	} else {
		uint8_t auth[MBMS_MIKEY_AUTH_KEY_LEN];
		rc = msg_key(ik, MBMS_MIKEY_CONST_AUTH, info->csb_id, info->rand, info->rand_len,
			     auth, sizeof(auth));
		if (rc == 0)
			rc = mbms_hmac_sha1(auth, sizeof(auth), msg, info->mac_off, mac);
		mbms_wipe(auth, sizeof(auth));
	}
	if (rc)
		return rc;
	if (!mbms_ct_equal(mac, info->mac, MBMS_SHA1_LEN))
		return MBMS_EMAC;
	TRY(mbms_msg_check_semantics(info, acked));
	if (info->kind == MBMS_MSG_MSK || info->kind == MBMS_MSG_MTK) {
		rc = decrypt_key(ik, info);
		if (rc) {
			mbms_msg_info_wipe(info);
			return rc;
		}
	}
	info->verified = true;
	return 0;
}

/* The argument checks both authenticate entry points share. */
static int auth_args_ok(const uint8_t *msg, size_t len, const struct mbms_msg_info *info)
{
	return msg && info && info->mac_len == MBMS_SHA1_LEN && info->mac_off <= len &&
	       info->mac_off + info->mac_len <= len && info->mac == msg + info->mac_off;
}

static int authenticate_start(const struct mbms_acked *acked, struct mbms_msg_info *info)
{
	info->verified = false;
	mbms_msg_info_wipe(info);
	if (info->kind == MBMS_MSG_VERIFICATION && !acked)
		return MBMS_ENOACKED;
	if (info->kind == MBMS_MSG_NONE)
		return MBMS_EINVAL;
	return 0;
}

int mbms_msg_authenticate(const uint8_t *msg, size_t len, const uint8_t *inkey, size_t inkey_len,
			  const struct mbms_acked *acked, struct mbms_msg_info *info)
{
	struct msg_inkey ik;
	if (!inkey || !inkey_len || !auth_args_ok(msg, len, info))
		return MBMS_EINVAL;
	TRY(authenticate_start(acked, info));
	int rc = inkey_open(&ik, inkey, inkey_len);
	if (rc == 0)
		rc = authenticate(msg, &ik, acked, info);
	inkey_close(&ik);
	return rc;
}

int mbms_msg_authenticate_keyed(const uint8_t *msg, size_t len,
				const struct mbms_mikey_keyctx *inkey,
				const struct mbms_acked *acked, struct mbms_msg_info *info)
{
	struct msg_inkey ik;
	if (!auth_args_ok(msg, len, info) || inkey_borrow(&ik, inkey))
		return MBMS_EINVAL;
	TRY(authenticate_start(acked, info));
	return authenticate(msg, &ik, acked, info);
}

int mbms_msg_verify(const uint8_t *msg, size_t len, unsigned kinds, const uint8_t *inkey,
		    size_t inkey_len, const struct mbms_acked *acked, struct mbms_msg_info *info)
{
	TRY(mbms_msg_parse(msg, len, kinds, info));
	return mbms_msg_authenticate(msg, len, inkey, inkey_len, acked, info);
}

int mbms_msg_verify_keyed(const uint8_t *msg, size_t len, unsigned kinds,
			  const struct mbms_mikey_keyctx *inkey, const struct mbms_acked *acked,
			  struct mbms_msg_info *info)
{
	TRY(mbms_msg_parse(msg, len, kinds, info));
	return mbms_msg_authenticate_keyed(msg, len, inkey, acked, info);
}

int mbms_acked_from_info(const struct mbms_msg_info *info, struct mbms_acked *out)
{
	if (!info || !out)
		return MBMS_EINVAL;
	if ((info->kind != MBMS_MSG_MSK && info->kind != MBMS_MSG_TRIGGER) ||
	    info->rand_len != MBMS_MIKEY_RAND_LEN)
		return MBMS_EINVAL;
	out->csb_id = info->csb_id;
	out->ts_counter = info->ts_counter;
	memcpy(out->rand, info->rand, MBMS_MIKEY_RAND_LEN);
	out->idi = info->idi;
	out->idi_len = info->idi_len;
	out->idr = info->idr;
	out->idr_len = info->idr_len;
	return 0;
}
