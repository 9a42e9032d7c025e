/* Traffic protection, the UE's receive decision (include/mbmssec/traffic.h,
 * docs/traffic.md): for each SRTP packet, by its MKI (PROFILE.md 5.5),
 *   - the MTK is held (current or previous of its MSK): decrypt with it;
 *   - the MSK is not held: the missed key update (6.3), drop;
 *   - the MSK is held, its MTK is newer than the ones kept: the MTK message
 *     has not been processed yet (it goes out before the first packet that
 *     uses the MTK, but on another socket): hold the packet, bounded in
 *     number and time, and hand it out once the MTK is there;
 *   - the MTK is older than the ones kept: too late, drop.
 * No crypto here: the shell decrypts with the key handed out (libsrtp2 in
 * common/srtp_glue.c) and reports the outcome. */
#include "mbmssec/traffic.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/ids.h"

#include <stdlib.h>
#include <string.h>

struct held {
	uint64_t since;
	size_t len;
	uint8_t *pkt; /* MBMS_TRAFFIC_SRTP_MAX bytes in the slab */
};

struct mbms_traffic_rx {
	char service_id[MBMS_KMXML_URI_MAX + 1];
	size_t tag_len, hold_max;
	uint64_t hold_ms;
	struct held *slot;  /* hold_max slots */
	size_t *order;      /* FIFO of slot indices, oldest first */
	size_t nheld;
	size_t *free_slots; /* stack of free slot indices */
	size_t nfree;
	uint8_t *slab;
	struct mbms_traffic_rx_counters cnt;
};

int mbms_traffic_rx_new(const struct mbms_traffic_rx_config *cfg, struct mbms_traffic_rx **out)
{
	if (!cfg || !out || !cfg->service_id || !*cfg->service_id || cfg->tag_len == 0 ||
	    strlen(cfg->service_id) > MBMS_KMXML_URI_MAX)
		return MBMS_EINVAL;
	struct mbms_traffic_rx *rx = calloc(1, sizeof(*rx));
	if (!rx)
		return MBMS_ENOMEM;
	memcpy(rx->service_id, cfg->service_id, strlen(cfg->service_id) + 1);
	rx->tag_len = cfg->tag_len;
	rx->hold_max = cfg->hold_max;
	rx->hold_ms = cfg->hold_ms;
	if (rx->hold_max) {
		rx->slot = calloc(rx->hold_max, sizeof(*rx->slot));
		rx->order = calloc(rx->hold_max, sizeof(*rx->order));
		rx->free_slots = calloc(rx->hold_max, sizeof(*rx->free_slots));
		rx->slab = calloc(rx->hold_max, MBMS_TRAFFIC_SRTP_MAX);
		if (!rx->slot || !rx->order || !rx->free_slots || !rx->slab) {
			mbms_traffic_rx_free(rx);
			return MBMS_ENOMEM;
		}
		for (size_t i = 0; i < rx->hold_max; i++) {
			rx->slot[i].pkt = rx->slab + i * MBMS_TRAFFIC_SRTP_MAX;
			rx->free_slots[rx->nfree++] = rx->hold_max - 1 - i;
		}
	}
	*out = rx;
	return 0;
}

void mbms_traffic_rx_free(struct mbms_traffic_rx *rx)
{
	if (!rx)
		return;
	if (rx->slab) /* SRTP packets are ciphertext, but leave nothing behind */
		mbms_wipe(rx->slab, rx->hold_max * MBMS_TRAFFIC_SRTP_MAX);
	free(rx->slab);
	free(rx->slot);
	free(rx->order);
	free(rx->free_slots);
	free(rx);
}

/* The Key Domain of our service, known from its announcement. */
static bool service_kd(const struct mbms_ue *ue, const char *service_id,
		       uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN])
{
	size_t n = mbms_ue_service_count(ue);
	for (size_t i = 0; i < n; i++) {
		struct mbms_ue_service_info si;
		if (mbms_ue_service_info(ue, i, &si) == 0 && strcmp(si.service_id, service_id) == 0) {
			if (!si.has_announcement)
				return false;
			memcpy(kd, si.key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
			return true;
		}
	}
	return false;
}

static bool msk_held(const struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
		     uint32_t msk_id, struct mbms_ue_msk_info *out)
{
	size_t n = mbms_ue_msk_count(ue);
	for (size_t i = 0; i < n; i++)
		if (mbms_ue_msk_info(ue, i, out) == 0 && out->msk_id == msk_id &&
		    memcmp(out->key_domain_id, kd, MBMS_KEY_DOMAIN_ID_LEN) == 0)
			return true;
	return false;
}

static void key_from(struct mbms_traffic_key *key, const struct mbms_ue_mtk *m)
{
	memcpy(key->key_domain_id, m->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	key->msk_id = m->msk_id;
	key->mtk_id = m->mtk_id;
	memcpy(key->mtk, m->mtk, MBMS_MTK_LEN);
	memcpy(key->salt, m->salt, MBMS_MTK_SALT_LEN);
}

/* Where a packet whose MSK is held stands: 1 its MTK is held (key filled),
 * 0 its MTK may still come (hold), or the reason to drop it. */
static int classify_held_msk(const struct mbms_ue *ue, const uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN],
			     const struct mbms_srtp_packet *p, struct mbms_traffic_key *key)
{
	struct mbms_ue_mtk m;
	if (mbms_ue_mtk_get(ue, kd, p->msk_id, p->mtk_id, &m) == 0) {
		key_from(key, &m);
		mbms_wipe(&m, sizeof(m));
		return 1;
	}
	struct mbms_ue_msk_info mi;
	if (!msk_held(ue, kd, p->msk_id, &mi))
		return MBMS_EUNKNOWNMSK;
	/* PROFILE.md 10.8: an MTK message outside [VF, VT] will never come */
	if (!mbms_serial16_in_range(p->mtk_id, mi.vf, mi.vt))
		return MBMS_EMTKRANGE;
	/* 10.11: MTK IDs only grow; one not newer than the current is gone */
	if (mi.have_mtk_id && !mbms_serial16_newer(p->mtk_id, mi.mtk_id))
		return MBMS_EMTKOLD;
	return 0;
}

static void count_drop(struct mbms_traffic_rx *rx, int rc)
{
	switch (rc) {
	case MBMS_EUNKNOWNMSK: rx->cnt.unknown_msk++; break;
	case MBMS_ENOTFOUND: rx->cnt.not_ours++; break;
	case MBMS_EMTKOLD: rx->cnt.mtk_gone++; break;
	case MBMS_EMTKRANGE: rx->cnt.mtk_range++; break;
	default: rx->cnt.malformed++; break;
	}
}

static void hold_remove(struct mbms_traffic_rx *rx, size_t pos)
{
	size_t s = rx->order[pos];
	mbms_wipe(rx->slot[s].pkt, rx->slot[s].len);
	rx->slot[s].len = 0;
	rx->free_slots[rx->nfree++] = s;
	memmove(rx->order + pos, rx->order + pos + 1, (rx->nheld - pos - 1) * sizeof(*rx->order));
	rx->nheld--;
}

static int hold(struct mbms_traffic_rx *rx, const uint8_t *pkt, size_t len, uint64_t now)
{
	if (rx->hold_max == 0 || len > MBMS_TRAFFIC_SRTP_MAX) {
		rx->cnt.hold_overflow++;
		return MBMS_ENOSPC;
	}
	if (rx->nfree == 0) { /* full: the oldest goes, the stream moves on */
		hold_remove(rx, 0);
		rx->cnt.hold_overflow++;
	}
	size_t s = rx->free_slots[--rx->nfree];
	memcpy(rx->slot[s].pkt, pkt, len);
	rx->slot[s].len = len;
	rx->slot[s].since = now;
	rx->order[rx->nheld++] = s;
	rx->cnt.held++;
	return MBMS_TRAFFIC_HELD;
}

int mbms_traffic_rx_input(struct mbms_traffic_rx *rx, struct mbms_ue *ue, const uint8_t *pkt,
			  size_t len, uint64_t now_ms, struct mbms_traffic_key *key)
{
	if (!rx || !ue || !pkt || !key)
		return MBMS_EINVAL;
	memset(key, 0, sizeof(*key));
	rx->cnt.received++;
	struct mbms_srtp_packet p;
	int rc = mbms_srtp_parse(pkt, len, rx->tag_len, &p);
	if (rc) {
		rx->cnt.malformed++;
		return rc;
	}
	uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN];
	if (!service_kd(ue, rx->service_id, kd)) {
		rx->cnt.not_ours++;
		return MBMS_ENOTFOUND;
	}
	rc = classify_held_msk(ue, kd, &p, key);
	if (rc == 1) {
		rx->cnt.to_decrypt++;
		return MBMS_TRAFFIC_DECRYPT;
	}
	if (rc == MBMS_EUNKNOWNMSK) {
		/* 6.3: traffic for an MSK we lack (or late traffic of an older one,
		 * which mbms_ue_srtp_mki tells apart and does not act on) */
		rc = mbms_ue_srtp_mki(ue, kd, p.mki, MBMS_TRAFFIC_MKI_LEN, now_ms);
		if (rc == 0) /* cannot be: the MSK was not held a moment ago */
			rc = MBMS_EUNKNOWNMSK;
	}
	if (rc == 0)
		return hold(rx, pkt, len, now_ms);
	count_drop(rx, rc);
	return rc;
}

int mbms_traffic_rx_next(struct mbms_traffic_rx *rx, const struct mbms_ue *ue, uint64_t now_ms,
			 uint8_t *out, size_t cap, size_t *out_len, struct mbms_traffic_key *key)
{
	if (!rx || !ue || !out || !out_len || !key)
		return MBMS_EINVAL;
	memset(key, 0, sizeof(*key));
	uint8_t kd[MBMS_KEY_DOMAIN_ID_LEN];
	bool have_kd = service_kd(ue, rx->service_id, kd);
	size_t pos = 0;
	while (pos < rx->nheld) {
		struct held *h = &rx->slot[rx->order[pos]];
		if (now_ms >= h->since + rx->hold_ms) {
			hold_remove(rx, pos);
			rx->cnt.hold_expired++;
			continue;
		}
		struct mbms_srtp_packet p;
		int rc = have_kd ? mbms_srtp_parse(h->pkt, h->len, rx->tag_len, &p) : MBMS_ENOTFOUND;
		if (rc == 0)
			rc = classify_held_msk(ue, kd, &p, key);
		if (rc == 0) { /* still waiting for its MTK */
			pos++;
			continue;
		}
		if (rc < 0) {
			hold_remove(rx, pos);
			rx->cnt.hold_dropped++;
			continue;
		}
		if (cap < h->len) {
			mbms_traffic_key_wipe(key);
			return MBMS_ENOSPC;
		}
		memcpy(out, h->pkt, h->len);
		*out_len = h->len;
		hold_remove(rx, pos);
		rx->cnt.released++;
		rx->cnt.to_decrypt++;
		return 1;
	}
	return 0;
}

uint64_t mbms_traffic_rx_deadline(const struct mbms_traffic_rx *rx)
{
	if (!rx || rx->nheld == 0)
		return UINT64_MAX;
	uint64_t d = UINT64_MAX;
	for (size_t i = 0; i < rx->nheld; i++) {
		uint64_t t = rx->slot[rx->order[i]].since + rx->hold_ms;
		if (t < d)
			d = t;
	}
	return d;
}

size_t mbms_traffic_rx_held(const struct mbms_traffic_rx *rx)
{
	return rx ? rx->nheld : 0;
}

void mbms_traffic_rx_outcome(struct mbms_traffic_rx *rx, int rc)
{
	if (!rx)
		return;
	if (rc == 0)
		rx->cnt.decrypted++;
	else if (rc == MBMS_EMAC)
		rx->cnt.auth_failed++;
	else if (rc == MBMS_EREPLAY)
		rx->cnt.replayed++;
	else if (rc == MBMS_EMTKOLD)
		rx->cnt.mtk_gone++;
	else
		rx->cnt.other_failed++;
}

void mbms_traffic_rx_counters(const struct mbms_traffic_rx *rx,
			      struct mbms_traffic_rx_counters *out)
{
	if (!out)
		return;
	if (rx)
		*out = rx->cnt;
	else
		memset(out, 0, sizeof(*out));
}
