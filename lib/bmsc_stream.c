/* BM-SC traffic protection (include/mbmssec/traffic.h, docs/traffic.md):
 * which MTK protects each SRTP packet of a session, and MTK changes by
 * packet count, by lifetime (bmsc_keys.c) and on demand. A new MTK is
 * announced (its MTK messages queued, PROFILE.md 5.5) before the call that
 * makes it returns, so the shell sends the MTK message before the first
 * packet that uses the MTK: a UE that holds the MSK loses nothing. */
#include "bmsc_priv.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"
#include "mbmssec/traffic.h"

#include <string.h>

int mbms_bmsc_session_index(const struct mbms_bmsc *b, const char *name, size_t *idx)
{
	if (!b || !name || !idx)
		return MBMS_EINVAL;
	for (size_t i = 0; i < b->nsess; i++)
		if (b->sess[i].cfg->name && strcmp(b->sess[i].cfg->name, name) == 0) {
			*idx = i;
			return 0;
		}
	return MBMS_ENOTFOUND;
}

/* An MTK ID is left in [VF, VT] after the current one. */
static bool mtk_ids_left(const struct bmsc_msk *m)
{
	return !m->have_mtk ||
	       (m->mtk_id != m->vt && mbms_serial16_in_range((uint16_t)(m->mtk_id + 1), m->vf, m->vt));
}

/* Make the live MTK of key group k if it has none (bmsc_keys.c decides the
 * MTK ID and persists it) and queue the MTK messages of all its sessions
 * now. */
static void announce_now(struct mbms_bmsc *b, size_t k, uint64_t now)
{
	for (size_t i = 0; i < b->nsess; i++)
		if (b->sess[i].kg == k)
			b->sess[i].next_send = now;
	bmsc_sessions_tick(b, now);
}

int mbms_bmsc_mtk_change(struct mbms_bmsc *b, uint16_t key_group, uint64_t now_ms,
			 uint16_t *mtk_id)
{
	if (!b)
		return MBMS_EINVAL;
	int k = bmsc_kg_index(b, key_group);
	if (k < 0)
		return MBMS_ENOTFOUND;
	bool has_session = false;
	for (size_t i = 0; i < b->nsess; i++)
		has_session |= b->sess[i].kg == (size_t)k;
	if (!has_session)
		return MBMS_ENOTFOUND;
	struct bmsc_msk *m = &b->kg[k].cur;
	if (!b->started || !m->used)
		return MBMS_ESTATE;
	if (!mtk_ids_left(m)) {
		bmsc_log(b, MBMS_BMSC_LOG_WARN,
			 "key group %u: no MTK change: the MTK IDs of the MSK are used up", key_group);
		return MBMS_ESTATE;
	}
	m->mtk_live = false; /* the next MTK, made and announced at once */
	announce_now(b, (size_t)k, now_ms);
	if (!m->mtk_live)
		return MBMS_ESTATE;
	if (mtk_id)
		*mtk_id = m->mtk_id;
	return 0;
}

int mbms_bmsc_stream_key(struct mbms_bmsc *b, size_t session, uint64_t mtk_packets,
			 uint64_t now_ms, struct mbms_traffic_key *key, bool *changed)
{
	if (!b || !key || !changed || session >= b->nsess)
		return MBMS_EINVAL;
	memset(key, 0, sizeof(*key));
	*changed = false;
	struct bmsc_session *s = &b->sess[session];
	struct bmsc_kg *g = &b->kg[s->kg];
	struct bmsc_msk *m = &g->cur;
	if (!b->started || !m->used)
		return MBMS_ESTATE;
	bool same = s->stream_keyed && m->mtk_live && s->stream_msk_id == m->msk_id &&
		    s->stream_mtk_id == m->mtk_id;
	if (!m->mtk_live || now_ms >= m->mtk_made_at + g->cfg->mtk_lifetime_ms) {
		announce_now(b, s->kg, now_ms);
	} else if (same && mtk_packets && s->stream_packets >= mtk_packets && mtk_ids_left(m)) {
		m->mtk_live = false;
		announce_now(b, s->kg, now_ms);
	}
	if (!m->mtk_live)
		return MBMS_ESTATE;
	memcpy(key->key_domain_id, b->cfg->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	key->msk_id = m->msk_id;
	key->mtk_id = m->mtk_id;
	if (!s->stream_keyed || s->stream_msk_id != m->msk_id || s->stream_mtk_id != m->mtk_id) {
		s->stream_keyed = true;
		s->stream_msk_id = m->msk_id;
		s->stream_mtk_id = m->mtk_id;
		s->stream_packets = 0;
		memcpy(key->mtk, m->mtk, MBMS_MTK_LEN);
		memcpy(key->salt, m->mtk_salt, MBMS_MTK_SALT_LEN);
		*changed = true;
	}
	s->stream_packets++;
	return 0;
}
