/* BM-SC keys: the MSK schedule of each key group (make the next MSK a lead
 * time ahead of the switch-over, push it, switch; PROFILE.md 3, 6.5) and
 * the MTK messages of each session (PROFILE.md 5.5, 10.4). */
#include "bmsc_priv.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdio.h>
#include <string.h>

struct bmsc_msk *bmsc_kg_msk(struct mbms_bmsc *b, size_t k, uint32_t msk_id)
{
	struct bmsc_kg *g = &b->kg[k];
	if (g->cur.used && g->cur.msk_id == msk_id)
		return &g->cur;
	if (g->next.used && g->next.msk_id == msk_id)
		return &g->next;
	return NULL;
}

void bmsc_msk_rec(struct mbms_bmsc *b, size_t k, const struct bmsc_msk *m)
{
	struct mbms_bmsc_rec *r = bmsc_rec(b, MBMS_BMSC_REC_MSK);
	if (!r)
		return;
	r->msk.key_group = b->kg[k].cfg->key_group;
	r->msk.msk_id = m->msk_id;
	memcpy(r->msk.key, m->key, MBMS_MSK_LEN);
	r->msk.vf = m->vf;
	r->msk.vt = m->vt;
	r->msk.valid_from_ms = m->valid_from;
	r->msk.valid_until_ms = m->valid_until;
	r->msk.state = m == &b->kg[k].cur ? MBMS_BMSC_MSK_CURRENT : MBMS_BMSC_MSK_NEXT;
	r->msk.ts_hwm = m->ts_hwm;
	r->msk.have_mtk_id = m->have_mtk;
	r->msk.mtk_id_last = m->mtk_id;
}

/* A new MSK for key group k (PROFILE.md 3: never Key Number 0; Key Numbers
 * follow in serial order from the last one ever allocated, which is
 * persisted so that a restart never hands out an ID a UE may still hold
 * with another key). */
static int make_msk(struct mbms_bmsc *b, size_t k, struct bmsc_msk *m, uint64_t from,
		    uint64_t until)
{
	struct bmsc_kg *g = &b->kg[k];
	uint16_t kn;
	if (g->last_kn) {
		kn = mbms_key_number_next(g->last_kn);
	} else {
		uint8_t r[2];
		int rc = bmsc_random(b, r, 2);
		if (rc)
			return rc;
		kn = mbms_key_number_next((uint16_t)(mbms_get_be16(r) & 0x7fff));
	}
	if (g->cur.used && mbms_msk_id_key_number(g->cur.msk_id) == kn)
		kn = mbms_key_number_next(kn);
	struct bmsc_msk n;
	memset(&n, 0, sizeof(n));
	n.used = true;
	n.msk_id = mbms_msk_id_make(g->cfg->key_group, kn);
	int rc = bmsc_random(b, n.key, MBMS_MSK_LEN);
	if (rc) {
		mbms_wipe(&n, sizeof(n));
		return rc;
	}
	n.vf = 1;
	n.vt = g->cfg->mtk_id_count;
	n.valid_from = from;
	n.valid_until = until;
	n.ts_next = n.ts_hwm = 1;
	*m = n;
	mbms_wipe(&n, sizeof(n));
	g->last_kn = kn;
	struct mbms_bmsc_rec *r = bmsc_rec(b, MBMS_BMSC_REC_KEY_GROUP);
	if (r) {
		r->key_group = g->cfg->key_group;
		r->last_key_number = kn;
	}
	bmsc_msk_rec(b, k, m);
	b->st.msks_made++;
	return 0;
}

int bmsc_kg_make_next(struct mbms_bmsc *b, size_t k, uint64_t now)
{
	struct bmsc_kg *g = &b->kg[k];
	if (g->next.used || !g->cur.used)
		return MBMS_ESTATE;
	uint64_t from = g->cur.valid_until;
	int rc = make_msk(b, k, &g->next, from, from + g->cfg->msk_lifetime_ms);
	if (rc) {
		bmsc_log(b, MBMS_BMSC_LOG_ERROR, "key group %u: cannot make the next MSK: %s",
			 g->cfg->key_group, mbms_strerror(rc));
		return rc;
	}
	char id[9];
	bmsc_msk_id_hex(g->next.msk_id, id);
	bmsc_log(b, MBMS_BMSC_LOG_INFO,
		 "key group %u: next MSK %s made, switch-over in %llu ms, pushing to %llu "
		 "registered UE(s)",
		 g->cfg->key_group, id,
		 (unsigned long long)(from > now ? from - now : 0),
		 (unsigned long long)g->registered);
	return bmsc_job_add(b, BMSC_JOB_FANOUT, k, g->next.msk_id, g->service_mask);
}

int bmsc_kg_switch(struct mbms_bmsc *b, size_t k, uint64_t now)
{
	struct bmsc_kg *g = &b->kg[k];
	if (!g->next.used)
		return MBMS_ESTATE;
	uint32_t old_id = g->cur.used ? g->cur.msk_id : 0;
	mbms_wipe(&g->cur, sizeof(g->cur));
	g->cur = g->next;
	mbms_wipe(&g->next, sizeof(g->next));
	/* Switched early (admin) or after a long stop: it is current from now. */
	if (g->cur.valid_from > now || g->cur.valid_until <= now) {
		g->cur.valid_from = now;
		g->cur.valid_until = now + g->cfg->msk_lifetime_ms;
	}
	g->cur.mtk_live = false;
	bmsc_msk_rec(b, k, &g->cur);
	if (old_id) {
		struct mbms_bmsc_rec *r = bmsc_rec(b, MBMS_BMSC_REC_MSK_DEL);
		if (r)
			r->msk_id = old_id;
		bmsc_push_cancel_msk(b, old_id);
	}
	for (size_t i = 0; i < b->nsess; i++)
		if (b->sess[i].kg == k)
			b->sess[i].next_send = now;
	b->st.switch_overs++;
	char id[9], oid[9];
	bmsc_msk_id_hex(g->cur.msk_id, id);
	bmsc_msk_id_hex(old_id, oid);
	bmsc_log(b, MBMS_BMSC_LOG_INFO, "key group %u: switch-over %s -> %s", g->cfg->key_group,
		 old_id ? oid : "-", id);
	return 0;
}

/* Bring key group k up to date at now: make what is missing, switch what
 * is due. */
static void kg_update(struct mbms_bmsc *b, size_t k, uint64_t now)
{
	struct bmsc_kg *g = &b->kg[k];
	const struct mbms_bmsc_key_group_cfg *c = g->cfg;
	if (!g->cur.used) {
		if (g->next.used) {
			bmsc_kg_switch(b, k, now);
		} else if (make_msk(b, k, &g->cur, now, now + c->msk_lifetime_ms) == 0) {
			char id[9];
			bmsc_msk_id_hex(g->cur.msk_id, id);
			bmsc_log(b, MBMS_BMSC_LOG_INFO, "key group %u: first MSK %s", c->key_group,
				 id);
		} else {
			return;
		}
	}
	if (g->cur.mtk_exhausted && g->cur.valid_until > now + c->lead_time_ms) {
		g->cur.valid_until = now + c->lead_time_ms;
		bmsc_msk_rec(b, k, &g->cur);
	}
	for (int round = 0; round < 3; round++) {
		uint64_t make_at =
			g->cur.valid_until > c->lead_time_ms ? g->cur.valid_until - c->lead_time_ms : 0;
		if (!g->next.used && now >= make_at) {
			if (bmsc_kg_make_next(b, k, now))
				return;
		}
		if (g->next.used && now >= g->cur.valid_until)
			bmsc_kg_switch(b, k, now);
		else
			break;
	}
}

int bmsc_kg_start(struct mbms_bmsc *b, uint64_t now)
{
	for (size_t k = 0; k < b->nkg; k++) {
		struct bmsc_kg *g = &b->kg[k];
		/* a restored next MSK: finish its fan-out (UEs that had it are skipped) */
		if (g->next.used && g->cur.used)
			bmsc_job_add(b, BMSC_JOB_FANOUT, k, g->next.msk_id, g->service_mask);
		kg_update(b, k, now);
	}
	return 0;
}

int bmsc_kg_tick(struct mbms_bmsc *b, uint64_t now)
{
	for (size_t k = 0; k < b->nkg; k++)
		kg_update(b, k, now);
	return 0;
}

uint64_t bmsc_kg_deadline(const struct mbms_bmsc *b)
{
	uint64_t d = UINT64_MAX;
	for (size_t k = 0; k < b->nkg; k++) {
		const struct bmsc_kg *g = &b->kg[k];
		uint64_t t;
		if (!g->cur.used)
			t = 0;
		else if (g->next.used)
			t = g->cur.valid_until;
		else
			t = g->cur.valid_until > g->cfg->lead_time_ms
				    ? g->cur.valid_until - g->cfg->lead_time_ms
				    : 0;
		if (t < d)
			d = t;
	}
	return d;
}

int mbms_bmsc_rotate(struct mbms_bmsc *b, uint16_t key_group, uint64_t now, uint32_t *msk_id)
{
	if (!b)
		return MBMS_EINVAL;
	int k = bmsc_kg_index(b, key_group);
	if (k < 0)
		return MBMS_ENOTFOUND;
	if (!b->started)
		return MBMS_ESTATE;
	struct bmsc_kg *g = &b->kg[k];
	kg_update(b, (size_t)k, now);
	int rc;
	if (g->next.used) {
		rc = bmsc_kg_switch(b, (size_t)k, now);
		if (rc == 0 && msk_id)
			*msk_id = g->cur.msk_id;
	} else {
		if (g->cur.valid_until > now + g->cfg->lead_time_ms) {
			g->cur.valid_until = now + g->cfg->lead_time_ms;
			bmsc_msk_rec(b, (size_t)k, &g->cur);
		}
		rc = bmsc_kg_make_next(b, (size_t)k, now);
		if (rc == 0 && msk_id)
			*msk_id = g->next.msk_id;
	}
	bmsc_log(b, rc ? MBMS_BMSC_LOG_WARN : MBMS_BMSC_LOG_INFO, "admin rotate key group %u: %s",
		 key_group, rc ? mbms_strerror(rc) : "done");
	return rc;
}

/* ---- MTK messages ---- */

/* The next per-MSK TS counter value, reserving a block when needed (the
 * MSK row is queued before the caller's SEND). */
static int msk_counter(struct mbms_bmsc *b, size_t k, struct bmsc_msk *m, uint32_t *ts)
{
	if (m->ts_next == UINT32_MAX) {
		/* PROFILE.md 3: a counter that would wrap forces a new key */
		m->mtk_exhausted = true;
		return MBMS_ESTATE;
	}
	if (m->ts_next >= m->ts_hwm) {
		uint64_t hwm = (uint64_t)m->ts_next + b->cfg->counter_block;
		m->ts_hwm = hwm > UINT32_MAX ? UINT32_MAX : (uint32_t)hwm;
		bmsc_msk_rec(b, k, m);
		b->st.counter_reservations++;
	}
	*ts = m->ts_next++;
	return 0;
}

/* Make sure the current MSK of key group k has a live MTK; a new one when
 * there is none in memory or its lifetime is over. */
static int ensure_mtk(struct mbms_bmsc *b, size_t k, uint64_t now, bool *changed)
{
	struct bmsc_kg *g = &b->kg[k];
	struct bmsc_msk *m = &g->cur;
	*changed = false;
	if (m->mtk_live && now < m->mtk_made_at + g->cfg->mtk_lifetime_ms)
		return 0;
	if (m->have_mtk && (m->mtk_id == m->vt || !mbms_serial16_in_range(
							   (uint16_t)(m->mtk_id + 1), m->vf, m->vt))) {
		/* [VF, VT] used up: keep the last MTK, switch over early */
		if (!m->mtk_exhausted)
			bmsc_log(b, MBMS_BMSC_LOG_WARN,
				 "key group %u: MTK IDs of the MSK used up, switching over early",
				 g->cfg->key_group);
		m->mtk_exhausted = true;
		return m->mtk_live ? 0 : MBMS_ESTATE;
	}
	uint16_t id = m->have_mtk ? (uint16_t)(m->mtk_id + 1) : m->vf;
	int rc = bmsc_random(b, m->mtk, MBMS_MTK_LEN);
	if (rc == 0)
		rc = bmsc_random(b, m->mtk_salt, MBMS_MTK_SALT_LEN);
	if (rc)
		return rc;
	m->have_mtk = true;
	m->mtk_id = id;
	m->mtk_live = true;
	m->mtk_made_at = now;
	bmsc_msk_rec(b, k, m); /* the MTK ID is durable before it is used */
	b->st.mtks_made++;
	*changed = true;
	return 0;
}

static int send_mtk(struct mbms_bmsc *b, struct bmsc_session *s)
{
	struct bmsc_msk *m = &b->kg[s->kg].cur;
	struct mbms_mtk_msg_in in;
	memset(&in, 0, sizeof(in));
	int rc = msk_counter(b, s->kg, m, &in.ts_counter);
	if (rc)
		return rc;
	if ((rc = bmsc_random(b, in.rand, sizeof(in.rand))) != 0)
		return rc;
	in.msk = m->key;
	in.msk_len = MBMS_MSK_LEN;
	memcpy(in.key_domain_id, b->cfg->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	in.msk_id = m->msk_id;
	in.mtk_id = m->mtk_id;
	in.mtk = m->mtk;
	in.mtk_salt = m->mtk_salt;
	uint8_t msg[MBMS_MSG_MAX_LEN];
	size_t len = 0;
	rc = mbms_mtk_msg_build(&in, msg, sizeof(msg), &len);
	if (rc == 0)
		for (size_t i = 0; i < s->cfg->nsend_to && rc == 0; i++)
			rc = bmsc_send(b, &s->cfg->send_to[i], msg, len, NULL);
	mbms_wipe(msg, sizeof(msg));
	if (rc == 0) {
		s->sent++;
		b->st.mtk_messages++;
	}
	return rc;
}

int bmsc_sessions_tick(struct mbms_bmsc *b, uint64_t now)
{
	for (size_t i = 0; i < b->nsess; i++) {
		struct bmsc_session *s = &b->sess[i];
		if (s->next_send > now || !b->kg[s->kg].cur.used)
			continue;
		bool changed = false;
		int rc = ensure_mtk(b, s->kg, now, &changed);
		if (changed) {
			const struct bmsc_msk *m = &b->kg[s->kg].cur;
			char id[9];
			bmsc_msk_id_hex(m->msk_id, id);
			bmsc_log(b, MBMS_BMSC_LOG_INFO, "key group %u: new MTK %u under MSK %s",
				 b->kg[s->kg].cfg->key_group, m->mtk_id, id);
			/* every session of the key group announces the new MTK now */
			for (size_t j = 0; j < b->nsess; j++)
				if (b->sess[j].kg == s->kg && b->sess[j].next_send > now)
					b->sess[j].next_send = now;
		}
		if (rc == 0)
			rc = send_mtk(b, s);
		if (rc)
			bmsc_log(b, MBMS_BMSC_LOG_WARN, "session %s: no MTK message: %s",
				 s->cfg->name ? s->cfg->name : "?", mbms_strerror(rc));
		s->next_send = now + s->cfg->mtk_interval_ms;
		/* the MTK's end is a change too: send at once then */
		uint64_t mtk_end = b->kg[s->kg].cur.mtk_made_at + b->kg[s->kg].cfg->mtk_lifetime_ms;
		if (b->kg[s->kg].cur.mtk_live && mtk_end > now && mtk_end < s->next_send)
			s->next_send = mtk_end;
	}
	return 0;
}

uint64_t bmsc_sessions_deadline(const struct mbms_bmsc *b)
{
	uint64_t d = UINT64_MAX;
	for (size_t i = 0; i < b->nsess; i++)
		if (b->sess[i].next_send < d)
			d = b->sess[i].next_send;
	return d;
}
