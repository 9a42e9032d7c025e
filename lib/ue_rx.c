/* What the UE receives over UDP (PROFILE.md 5, 6.3-6.5, 10): MSK messages
 * and solicited-pull triggers on the MIKEY port, MTK messages on the
 * session's MTK port; the missed key update (6.3) that traffic for an
 * unknown MSK sets off; the MTKs kept for SRTP. Anything invalid is dropped
 * and counted, never acted on. */
#include "ue_priv.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int drop(struct mbms_ue *ue, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int drop(struct mbms_ue *ue, int rc, const char *fmt, ...)
{
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ue->cnt.rx_dropped++;
	if (rc == MBMS_EREPLAY)
		ue->cnt.rx_replay++;
	/* Worth a warning: forged or foreign messages, and the test-only fault
	 * injection; repeats and traffic of other services are routine. */
	bool loud = rc == MBMS_EMAC || rc == MBMS_EMUKID || rc == MBMS_ESTATE;
	ue_event(ue, MBMS_UE_EV_DROPPED, NULL, loud, "dropped %s (%s)", what, mbms_errname(rc));
	return rc;
}

static bool id_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

static uint16_t kn_of(const struct mbms_msk_entry *e)
{
	return mbms_msk_id_key_number(e->msk_id);
}

/* A push that follows an MSK request of ours (test-only fault injection
 * spares those). */
static bool solicited(struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN], uint16_t group)
{
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES; i++) {
		struct ue_service *s = &ue->svc[i];
		if (!s->used || !ue_service_lists_group(s, kd, group))
			continue;
		struct ue_item *it = ue_group_item(s, group);
		if (it && (it->state == ITEM_INFLIGHT || it->state == ITEM_GRANTED))
			return true;
	}
	return false;
}

/* Keep the store's install order equal to the Key Number order within the
 * group, so that a third MSK pushes out the oldest Key Number (10.12 drops
 * the one installed earliest; MSKs may arrive out of order). */
static void order_group(struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
			uint16_t group)
{
	struct mbms_msk_entry *e[2];
	if (ue_group_msks(ue, kd, group, e, 2) != 2)
		return;
	struct mbms_msk_entry *older = mbms_serial16_newer(kn_of(e[0]), kn_of(e[1])) ? e[1] : e[0];
	struct mbms_msk_entry *newer = older == e[0] ? e[1] : e[0];
	if (older->installed > newer->installed) {
		uint64_t t = older->installed;
		older->installed = newer->installed;
		newer->installed = t;
	}
}

/* An MSK arrived for (kd, group): every service waiting for one is served. */
static void msk_arrived(struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
			uint16_t group, uint64_t now)
{
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES; i++) {
		struct ue_service *s = &ue->svc[i];
		if (!s->used || !ue_service_lists_group(s, kd, group))
			continue;
		for (size_t k = 0; k < s->nitems; k++) {
			struct ue_item *it = &s->item[k];
			if (mbms_msk_id_key_group(it->msk_id) != group)
				continue;
			if (it->state == ITEM_INFLIGHT) {
				it->pushed = true;
			} else if (it->state == ITEM_GRANTED ||
				   (it->state == ITEM_SCHEDULED && it->why != WHY_TRIGGER &&
				    it->why != WHY_USER)) {
				it->state = ITEM_OK;
				it->attempts = 0;
			}
		}
		ue_service_check(ue, s, now);
	}
}

static int rx_mikey(struct mbms_ue *ue, const uint8_t *msg, size_t len,
		    const struct mbms_ue_addr *src, uint64_t now)
{
	struct mbms_msg_info info;
	int rc = mbms_msg_parse(msg, len, MBMS_MSG_F_MUK, &info);
	if (rc)
		return drop(ue, rc, "a datagram on the MIKEY port");
	const char *kind = mbms_msg_kind_name(info.kind);
	uint16_t group = info.key_group, kn = info.key_number;

	/* TEST ONLY (docs/ue.md): lose MSK pushes on purpose. */
	if (info.kind == MBMS_MSG_MSK &&
	    (ue->drop_left > 0 ||
	     (ue->cfg.test_drop_unsolicited_push && !solicited(ue, info.key_domain_id, group)))) {
		if (ue->drop_left > 0)
			ue->drop_left--;
		ue->cnt.rx_test_dropped++;
		return drop(ue, MBMS_ESTATE, "MSK message %08x: TEST fault injection",
			    (unsigned)info.msk_id);
	}

	struct ue_bmsc *b = NULL;
	int bi = -1;
	for (int i = 0; i < MBMS_UE_MAX_BMSCS; i++)
		if (ue->bmsc[i].used && id_eq(info.idi, info.idi_len, (const uint8_t *)ue->bmsc[i].fqdn,
					      strlen(ue->bmsc[i].fqdn))) {
			b = &ue->bmsc[i];
			bi = i;
		}
	if (!b || !b->have_muk)
		return drop(ue, MBMS_EMUKID, "%s: IDi names no BM-SC we hold a MUK for", kind);

	struct ue_service *s = NULL;
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES && !s; i++) {
		struct ue_service *x = &ue->svc[i];
		if (x->used && x->bmsc == bi && ue_service_lists_group(x, info.key_domain_id, group) &&
		    (x->state == MBMS_UE_SVC_REGISTERING || x->state == MBMS_UE_SVC_KEYS ||
		     x->state == MBMS_UE_SVC_ACTIVE))
			s = x;
	}
	if (!s)
		return drop(ue, MBMS_ENOTFOUND, "%s for Key Group %u: no active service of ours uses it",
			    kind, (unsigned)group);

	/* 10.20: the previous MUK verifies triggers only. */
	struct mbms_muk_state *m;
	if (id_eq(info.idr, info.idr_len, b->muk.idr, b->muk.idr_len))
		m = &b->muk;
	else if (b->have_prev && id_eq(info.idr, info.idr_len, b->prev.idr, b->prev.idr_len) &&
		 info.kind == MBMS_MSG_TRIGGER)
		m = &b->prev;
	else
		return drop(ue, MBMS_EMUKID, "%s: IDr is not our current B-TID", kind);

	uint32_t evicted = 0;
	bool will_evict = false;
	if (info.kind == MBMS_MSG_MSK) {
		struct mbms_msk_entry *e[2];
		size_t n = ue_group_msks(ue, info.key_domain_id, group, e, 2);
		bool known = (n > 0 && e[0]->msk_id == info.msk_id) ||
			     (n > 1 && e[1]->msk_id == info.msk_id);
		if (!known && n >= 2) {
			order_group(ue, info.key_domain_id, group);
			struct mbms_msk_entry *older =
				mbms_serial16_newer(kn_of(e[0]), kn_of(e[1])) ? e[1] : e[0];
			/* Out of order: an MSK older than both held ones would push out
			 * a newer key (3, 10.12). */
			if (!mbms_serial16_newer(kn, kn_of(older)))
				return drop(ue, MBMS_EREPLAY,
					    "MSK message %08x: older than both MSKs held for "
					    "its Key Group",
					    (unsigned)info.msk_id);
			will_evict = true;
			evicted = older->msk_id;
		}
	}

	rc = mbms_ue_rx_muk_msg(m, &ue->keys, msg, len, &info);
	if (rc)
		return drop(ue, rc, "%s %08x", kind, (unsigned)info.msk_id);

	ue->save_pending = true;
	if (info.kind == MBMS_MSG_MSK) {
		order_group(ue, info.key_domain_id, group);
		if (will_evict) {
			ue->cnt.msk_evicted++;
			ue_mtk_forget(ue, info.key_domain_id, evicted);
			ue_event(ue, MBMS_UE_EV_MSK_EVICTED, s, false,
				 "MSK %08x dropped: two newer MSKs of Key Group %u held",
				 (unsigned)evicted, (unsigned)group);
		}
		ue->cnt.msk_installed++;
		char kd[7];
		ue_hex(info.key_domain_id, MBMS_KEY_DOMAIN_ID_LEN, kd, sizeof(kd));
		ue_event(ue, MBMS_UE_EV_MSK_INSTALLED, s, false,
			 "MSK installed: key domain %s, MSK ID %08x, MTK IDs %u..%u, counter %u",
			 kd, (unsigned)info.msk_id, (unsigned)info.vf, (unsigned)info.vt,
			 (unsigned)info.ts_counter);
		msk_arrived(ue, info.key_domain_id, group, now);
	} else {
		/* 6.4 solicited pull: the basic MSK request for the current MSK of
		 * that Key Group, after the back-off. */
		ue->cnt.triggers++;
		struct ue_item *it = ue_group_item(s, group);
		ue_event(ue, MBMS_UE_EV_TRIGGER, s, false,
			 "solicited pull for Key Group %u%s (counter %u)", (unsigned)group,
			 m == &b->prev ? " under the previous MUK" : "", (unsigned)info.ts_counter);
		if (it && it->state != ITEM_INFLIGHT) {
			it->req_msk_id = mbms_msk_id_make(group, 0);
			it->attempts = 0;
			ue_item_schedule(ue, s, it, WHY_TRIGGER, now);
		}
	}
	(void)kn;

	/* 5.4: acknowledge when V is set, to the message's source. */
	if (info.v_flag) {
		struct mbms_acked acked;
		struct ue_qent *e;
		if (!src || src->len == 0 || src->len > sizeof(src->bytes)) {
			ue_event(ue, MBMS_UE_EV_ERROR, s, true, "cannot acknowledge: no source address");
		} else if (mbms_acked_from_info(&info, &acked) == 0 &&
			   (e = ue_push(ue, MBMS_UE_ACT_UDP)) != NULL) {
			rc = mbms_verification_build(m->muk, MBMS_MUK_LEN, &acked, e->udp,
						     sizeof(e->udp), &e->act.udp_len);
			if (rc) {
				e->act.kind = MBMS_UE_ACT_NONE;
				ue_event(ue, MBMS_UE_EV_ERROR, s, true,
					 "cannot build the verification message: %s",
					 mbms_strerror(rc));
			} else {
				e->act.dst = *src;
				ue->cnt.verifications_sent++;
			}
		}
	}
	mbms_msg_info_wipe(&info);
	return 0;
}

/* ---- MTKs ---- */

static void mtk_store(struct mbms_ue *ue, const struct mbms_msg_info *info)
{
	struct ue_mtk *slot = NULL, *oldest_own = NULL, *oldest_any = NULL;
	size_t own = 0;
	for (size_t i = 0; i < UE_MAX_MTKS; i++) {
		struct ue_mtk *t = &ue->mtk[i];
		if (!t->used) {
			if (!slot)
				slot = t;
			continue;
		}
		if (!oldest_any || t->seq < oldest_any->seq)
			oldest_any = t;
		if (t->m.msk_id != info->msk_id ||
		    memcmp(t->m.key_domain_id, info->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN) != 0)
			continue;
		own++;
		if (!oldest_own || t->seq < oldest_own->seq)
			oldest_own = t;
	}
	if (own >= MBMS_UE_MTKS_PER_MSK)
		slot = oldest_own;
	else if (!slot)
		slot = oldest_any;
	mbms_wipe(slot, sizeof(*slot));
	slot->used = true;
	slot->seq = ++ue->mtk_seq;
	memcpy(slot->m.key_domain_id, info->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	slot->m.msk_id = info->msk_id;
	slot->m.mtk_id = info->mtk_id;
	memcpy(slot->m.mtk, info->key, MBMS_MTK_LEN);
	memcpy(slot->m.salt, info->salt, MBMS_MTK_SALT_LEN);
}

void ue_mtk_forget(struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN], uint32_t msk_id)
{
	for (size_t i = 0; i < UE_MAX_MTKS; i++) {
		struct ue_mtk *t = &ue->mtk[i];
		if (t->used && t->m.msk_id == msk_id &&
		    memcmp(t->m.key_domain_id, kd, MBMS_KEY_DOMAIN_ID_LEN) == 0)
			mbms_wipe(t, sizeof(*t));
	}
}

static const struct ue_mtk *mtk_find(const struct mbms_ue *ue,
				     const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN], uint32_t msk_id,
				     bool any_id, uint16_t mtk_id)
{
	const struct ue_mtk *best = NULL;
	for (size_t i = 0; i < UE_MAX_MTKS; i++) {
		const struct ue_mtk *t = &ue->mtk[i];
		if (!t->used || t->m.msk_id != msk_id ||
		    memcmp(t->m.key_domain_id, kd, MBMS_KEY_DOMAIN_ID_LEN) != 0)
			continue;
		if (!any_id && t->m.mtk_id == mtk_id)
			return t;
		if (any_id && (!best || t->seq > best->seq))
			best = t;
	}
	return best;
}

int mbms_ue_mtk_get(const struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
		    uint32_t msk_id, uint16_t mtk_id, struct mbms_ue_mtk *out)
{
	if (!ue || !kd || !out)
		return MBMS_EINVAL;
	const struct ue_mtk *t = mtk_find(ue, kd, msk_id, false, mtk_id);
	if (!t)
		return MBMS_ENOTFOUND;
	*out = t->m;
	return 0;
}

int mbms_ue_mtk_latest(const struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
		       uint32_t msk_id, struct mbms_ue_mtk *out)
{
	if (!ue || !kd || !out)
		return MBMS_EINVAL;
	const struct ue_mtk *t = mtk_find(ue, kd, msk_id, true, 0);
	if (!t)
		return MBMS_ENOTFOUND;
	*out = t->m;
	return 0;
}

/* ---- the missed key update (6.3) ---- */

int ue_missed_key(struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN], uint32_t msk_id,
		  uint64_t now, const char *seen)
{
	uint16_t group = mbms_msk_id_key_group(msk_id), kn = mbms_msk_id_key_number(msk_id);
	if (kn == 0)
		return drop(ue, MBMS_EKEYNUM0, "%s naming Key Number 0", seen);
	/* 10.21: the BM-SC whose announcement listed that Key Domain. */
	struct ue_service *s = NULL;
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES && !s; i++) {
		struct ue_service *x = &ue->svc[i];
		if (x->used && ue_service_lists_group(x, kd, group) &&
		    (x->state == MBMS_UE_SVC_KEYS || x->state == MBMS_UE_SVC_ACTIVE))
			s = x;
	}
	if (!s)
		return drop(ue, MBMS_ENOTFOUND, "%s for MSK %08x: no active service uses Key Group %u",
			    seen, (unsigned)msk_id, (unsigned)group);
	/* Traffic under an MSK older than one we hold is late, not missed. */
	struct mbms_msk_entry *e[2];
	size_t n = ue_group_msks(ue, kd, group, e, 2);
	for (size_t i = 0; i < n && i < 2; i++)
		if (mbms_serial16_newer(kn_of(e[i]), kn)) {
			ue->cnt.mku_suppressed++;
			return MBMS_EUNKNOWNMSK;
		}
	struct ue_item *it = ue_group_item(s, group);
	if (!it || it->state == ITEM_GAVE_UP || it->state == ITEM_SCHEDULED ||
	    it->state == ITEM_INFLIGHT || now < it->mku_block_until) {
		ue->cnt.mku_suppressed++;
		return MBMS_EUNKNOWNMSK;
	}
	it->req_msk_id = mbms_msk_id_make(group, 0);
	it->attempts = 0;
	ue->cnt.missed_key_updates++;
	ue_event(ue, MBMS_UE_EV_MISSED_KEY_UPDATE, s, false,
		 "%s names MSK %08x, which we do not hold: requesting the current MSK of Key "
		 "Group %u",
		 seen, (unsigned)msk_id, (unsigned)group);
	ue_item_schedule(ue, s, it, WHY_MKU, now);
	/* At most once per back-off window. */
	uint64_t window = ((uint64_t)s->ann.offset_time + s->ann.random_time_period) * 1000u;
	if (window < ue->cfg.mku_min_interval_ms)
		window = ue->cfg.mku_min_interval_ms;
	it->mku_block_until = it->due + window;
	return MBMS_EUNKNOWNMSK;
}

static int rx_mtk(struct mbms_ue *ue, const uint8_t *msg, size_t len, uint64_t now)
{
	struct mbms_msg_info info;
	int rc = mbms_ue_rx_mtk_msg(&ue->keys, msg, len, &info);
	if (rc == MBMS_EUNKNOWNMSK)
		return ue_missed_key(ue, info.key_domain_id, info.msk_id, now, "an MTK message");
	if (rc)
		return drop(ue, rc, "a datagram on the MTK port");
	ue->cnt.mtk_received++;
	mtk_store(ue, &info);
	ue_event(ue, MBMS_UE_EV_MTK_RECEIVED, NULL, false, "MTK %u under MSK %08x (counter %u)",
		 (unsigned)info.mtk_id, (unsigned)info.msk_id, (unsigned)info.ts_counter);
	mbms_msg_info_wipe(&info);
	ue->save_pending = true;
	return 0;
}

int mbms_ue_udp_rx(struct mbms_ue *ue, enum mbms_ue_port port, const uint8_t *msg, size_t len,
		   const struct mbms_ue_addr *src, uint64_t now_ms)
{
	if (!ue || (!msg && len))
		return MBMS_EINVAL;
	int rc;
	if (port == MBMS_UE_PORT_MIKEY)
		rc = rx_mikey(ue, msg, len, src, now_ms);
	else if (port == MBMS_UE_PORT_MTK)
		rc = rx_mtk(ue, msg, len, now_ms);
	else
		rc = MBMS_EINVAL;
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES; i++)
		if (ue->svc[i].used)
			ue_advance(ue, &ue->svc[i], now_ms);
	ue_finish(ue);
	return rc;
}

int mbms_ue_srtp_mki(struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
		     const uint8_t *mki, size_t mki_len, uint64_t now_ms)
{
	if (!ue || !kd || !mki || mki_len != MBMS_PROFILE_MTK_SPI_LEN)
		return MBMS_EINVAL;
	uint32_t msk_id = mbms_get_be32(mki);
	if (mbms_key_store_find(&ue->keys, kd, msk_id))
		return 0;
	int rc = ue_missed_key(ue, kd, msk_id, now_ms, "SRTP with an MKI");
	for (size_t i = 0; i < MBMS_UE_MAX_SERVICES; i++)
		if (ue->svc[i].used)
			ue_advance(ue, &ue->svc[i], now_ms);
	ue_finish(ue);
	return rc;
}
