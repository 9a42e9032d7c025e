/* UE-side replay and order rules for MBMS MIKEY messages (PROFILE.md 3,
 * 5.5, 10.7-10.12): per-MUK and per-MSK TS counters, MUK ID check, MSK
 * install with two MSKs per Key Group, MTK ID order and range. Pure state
 * in fixed arrays; no allocation, no clock. */
#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/mbms_msg.h"

#include <string.h>

/* ---- per MUK ---- */

int mbms_muk_state_init(struct mbms_muk_state *m, const uint8_t muk[MBMS_MUK_LEN],
			const uint8_t *idi, size_t idi_len, const uint8_t *idr, size_t idr_len)
{
	if (!m || !muk || !idi || !idr || idi_len == 0 || idr_len == 0 ||
	    idi_len > MBMS_MSG_MAX_ID_LEN || idr_len > MBMS_MSG_MAX_ID_LEN)
		return MBMS_EINVAL;
	memset(m, 0, sizeof(*m));
	memcpy(m->muk, muk, MBMS_MUK_LEN);
	memcpy(m->idi, idi, idi_len);
	m->idi_len = idi_len;
	memcpy(m->idr, idr, idr_len);
	m->idr_len = idr_len;
	return 0;
}

static bool bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* 10.7 (MUK ID), 10.10 and 5.2 (per-MUK counter, strictly increasing). */
int mbms_muk_check(const struct mbms_muk_state *m, const struct mbms_msg_info *info)
{
	if (!m || !info || (info->kind != MBMS_MSG_MSK && info->kind != MBMS_MSG_TRIGGER))
		return MBMS_EINVAL;
	if (!bytes_eq(info->idi, info->idi_len, m->idi, m->idi_len) ||
	    !bytes_eq(info->idr, info->idr_len, m->idr, m->idr_len))
		return MBMS_EMUKID;
	if (m->have_counter && info->ts_counter <= m->ts_counter)
		return MBMS_EREPLAY;
	return 0;
}

void mbms_muk_commit(struct mbms_muk_state *m, const struct mbms_msg_info *info)
{
	m->have_counter = true;
	m->ts_counter = info->ts_counter;
}

/* ---- MSK table ---- */

void mbms_key_store_init(struct mbms_key_store *ks)
{
	memset(ks, 0, sizeof(*ks));
}

void mbms_key_store_wipe(struct mbms_key_store *ks)
{
	mbms_wipe(ks, sizeof(*ks));
}

struct mbms_msk_entry *mbms_key_store_find(struct mbms_key_store *ks,
					   const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
					   uint32_t msk_id)
{
	for (size_t i = 0; ks && kd && i < MBMS_KEY_STORE_MAX_MSKS; i++) {
		struct mbms_msk_entry *e = &ks->msk[i];
		if (e->used && e->msk_id == msk_id &&
		    memcmp(e->key_domain_id, kd, MBMS_KEY_DOMAIN_ID_LEN) == 0)
			return e;
	}
	return NULL;
}

/* 10.12 + TS 31.102 EF_MSK: two MSKs per (Key Domain, Key Group). */
int mbms_key_store_install(struct mbms_key_store *ks, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
			   uint32_t msk_id, const uint8_t msk[MBMS_MSK_LEN], uint16_t vf,
			   uint16_t vt, struct mbms_msk_entry *evicted)
{
	if (!ks || !kd || !msk)
		return MBMS_EINVAL;
	if (evicted)
		memset(evicted, 0, sizeof(*evicted));
	if (mbms_msk_id_key_number(msk_id) == 0)
		return MBMS_EKEYNUM0;
	struct mbms_msk_entry *e = mbms_key_store_find(ks, kd, msk_id);
	if (e) {
		/* A retransmission: update in place; a changed key restarts its
		 * MTK state (messages under the old key fail their MAC anyway). */
		if (!mbms_ct_equal(e->msk, msk, MBMS_MSK_LEN)) {
			memcpy(e->msk, msk, MBMS_MSK_LEN);
			e->have_counter = e->have_mtk_id = false;
			e->ts_counter = 0;
			e->mtk_id = 0;
		}
		e->vf = vf;
		e->vt = vt;
		return 0;
	}
	uint16_t group = mbms_msk_id_key_group(msk_id);
	struct mbms_msk_entry *oldest = NULL, *free_slot = NULL;
	size_t in_group = 0;
	for (size_t i = 0; i < MBMS_KEY_STORE_MAX_MSKS; i++) {
		struct mbms_msk_entry *x = &ks->msk[i];
		if (!x->used) {
			if (!free_slot)
				free_slot = x;
			continue;
		}
		if (memcmp(x->key_domain_id, kd, MBMS_KEY_DOMAIN_ID_LEN) != 0 ||
		    mbms_msk_id_key_group(x->msk_id) != group)
			continue;
		in_group++;
		if (!oldest || x->installed < oldest->installed)
			oldest = x;
	}
	if (in_group >= MBMS_MSKS_PER_KEY_GROUP) {
		if (evicted)
			*evicted = *oldest;
		mbms_wipe(oldest, sizeof(*oldest));
		free_slot = oldest;
	}
	if (!free_slot)
		return MBMS_ENOSPC;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	memcpy(free_slot->key_domain_id, kd, MBMS_KEY_DOMAIN_ID_LEN);
	free_slot->msk_id = msk_id;
	memcpy(free_slot->msk, msk, MBMS_MSK_LEN);
	free_slot->vf = vf;
	free_slot->vt = vt;
	free_slot->installed = ++ks->install_seq;
	return 0;
}

int mbms_key_store_remove(struct mbms_key_store *ks, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
			  uint32_t msk_id)
{
	struct mbms_msk_entry *e = mbms_key_store_find(ks, kd, msk_id);
	if (!e)
		return MBMS_ENOTFOUND;
	mbms_wipe(e, sizeof(*e));
	return 0;
}

/* ---- MTK messages under one MSK: 5.5, 10.8-10.11 ---- */

int mbms_mtk_check(const struct mbms_msk_entry *e, const struct mbms_msg_info *info)
{
	if (!e || !info || info->kind != MBMS_MSG_MTK || !info->has_mtk_id)
		return MBMS_EINVAL;
	if (e->have_counter && info->ts_counter <= e->ts_counter)
		return MBMS_EREPLAY;
	if (e->have_mtk_id && !mbms_serial16_newer(info->mtk_id, e->mtk_id))
		return MBMS_EMTKOLD;
	if (!mbms_serial16_in_range(info->mtk_id, e->vf, e->vt))
		return MBMS_EMTKRANGE;
	return 0;
}

void mbms_mtk_commit(struct mbms_msk_entry *e, const struct mbms_msg_info *info)
{
	e->have_counter = true;
	e->ts_counter = info->ts_counter;
	e->have_mtk_id = true;
	e->mtk_id = info->mtk_id;
}

/* ---- the UE's receive paths ---- */

int mbms_ue_rx_muk_msg(struct mbms_muk_state *muk, struct mbms_key_store *ks, const uint8_t *msg,
		       size_t len, struct mbms_msg_info *info)
{
	if (!muk || !ks || !info)
		return MBMS_EINVAL;
	int rc = mbms_msg_verify(msg, len, MBMS_MSG_F_MUK, muk->muk, MBMS_MUK_LEN, NULL, info);
	if (rc == 0)
		rc = mbms_muk_check(muk, info);
	if (rc == 0 && info->kind == MBMS_MSG_MSK)
		rc = mbms_key_store_install(ks, info->key_domain_id, info->msk_id, info->key,
					    info->vf, info->vt, NULL);
	if (rc) {
		mbms_msg_info_wipe(info);
		return rc;
	}
	mbms_muk_commit(muk, info);
	return 0;
}

int mbms_ue_rx_mtk_msg(struct mbms_key_store *ks, const uint8_t *msg, size_t len,
		       struct mbms_msg_info *info)
{
	if (!ks || !info)
		return MBMS_EINVAL;
	int rc = mbms_msg_parse(msg, len, MBMS_MSG_F(MBMS_MSG_MTK), info);
	if (rc)
		return rc;
	/* Key Number 0 names no MSK (PROFILE 3): there is no key to check a MAC
	 * with, and it must not start a missed key update either. */
	if (info->key_number == 0)
		return MBMS_EKEYNUM0;
	struct mbms_msk_entry *e = mbms_key_store_find(ks, info->key_domain_id, info->msk_id);
	if (!e)
		return MBMS_EUNKNOWNMSK;
	rc = mbms_msg_authenticate(msg, len, e->msk, MBMS_MSK_LEN, NULL, info);
	if (rc == 0)
		rc = mbms_mtk_check(e, info);
	if (rc) {
		mbms_msg_info_wipe(info);
		return rc;
	}
	mbms_mtk_commit(e, info);
	return 0;
}
