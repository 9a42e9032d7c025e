/* BM-SC pushes: MIKEY MSK messages (PROFILE.md 5.2, 6.5) and solicited-pull
 * triggers (5.3, 6.4, 10.3) to one UE with the V flag set, their
 * verification messages (5.4, 10.1), retransmission with back-off and a
 * fresh TS counter and RAND each time, giving up; and the jobs that walk
 * every UE for a fan-out or a solicited pull. */
#include "bmsc_priv.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Verification messages tried per (address, CSB ID, TS) before giving up:
 * bounds the MAC work one datagram can cause. */
#define ACK_MAX_CANDIDATES 16
/* Chain entries looked at per index: bounds the walk when many UEs behind
 * one address share a chain of the address-only index. */
#define ACK_MAX_WALK 4096

/* Reserve the UE's next block of TS counter values: its row is queued, and
 * the shell makes it durable before any datagram that follows. */
static void ue_reserve(struct mbms_bmsc *b, struct bmsc_ue *ue)
{
	uint64_t hwm = (uint64_t)ue->ts_next + b->cfg->counter_block;
	ue->ts_hwm = hwm > UINT32_MAX ? UINT32_MAX : (uint32_t)hwm;
	bmsc_ue_rec(b, ue);
	b->st.counter_reservations++;
}

int bmsc_ue_counter(struct mbms_bmsc *b, struct bmsc_ue *ue, uint32_t *ts)
{
	if (ue->ts_next == UINT32_MAX)
		return MBMS_ESTATE; /* PROFILE.md 3: never wrap within one MUK */
	if (ue->ts_next >= ue->ts_hwm)
		ue_reserve(b, ue); /* durable before the value is used */
	*ts = ue->ts_next++;
	return 0;
}

static uint64_t timeout_ms(const struct mbms_bmsc *b, unsigned attempts)
{
	uint64_t t = b->cfg->retransmit_initial_ms;
	for (unsigned i = 1; i < attempts && t < b->cfg->retransmit_max_ms; i++)
		t *= 2;
	return t < b->cfg->retransmit_max_ms ? t : b->cfg->retransmit_max_ms;
}

static void push_rec(struct mbms_bmsc *b, const struct bmsc_push *p, uint8_t state)
{
	if (p->kind != BMSC_PUSH_MSK)
		return; /* triggers are not state: a lost one is simply not resent */
	struct mbms_bmsc_rec *r = bmsc_rec(b, MBMS_BMSC_REC_PUSH);
	if (!r)
		return;
	size_t n = strnlen(p->ue->impi, sizeof(r->ue.impi) - 1);
	memcpy(r->ue.impi, p->ue->impi, n); /* the rest of the record is zero */
	r->msk_id = p->msk_id;
	r->push_state = state;
	r->push_attempts = p->attempts;
}

void bmsc_push_cancel(struct mbms_bmsc *b, struct bmsc_push *p, bool persist)
{
	struct bmsc_ue *ue = p->ue;
	struct bmsc_push **pp = &ue->pushes;
	while (*pp && *pp != p)
		pp = &(*pp)->next_in_ue;
	if (*pp) {
		*pp = p->next_in_ue;
		ue->npushes--;
	}
	bmsc_heap_remove(b, p);
	bmsc_ack_remove(b, p);
	if (persist && p->kind == BMSC_PUSH_MSK) {
		struct mbms_bmsc_rec *r = bmsc_rec(b, MBMS_BMSC_REC_PUSH_DEL);
		if (r) {
			snprintf(r->ue.impi, sizeof(r->ue.impi), "%s", ue->impi);
			r->msk_id = p->msk_id;
		}
	}
	mbms_wipe(p, sizeof(*p));
	free(p);
}

static struct bmsc_push *find_push(struct bmsc_ue *ue, uint8_t kind, uint32_t msk_id)
{
	for (struct bmsc_push *p = ue->pushes; p; p = p->next_in_ue)
		if (p->kind == kind && p->msk_id == msk_id)
			return p;
	return NULL;
}

/* One transmission of p with a fresh TS counter and RAND. 0 when sent;
 * otherwise p has been dealt with (cancelled or handed to a trigger). */
static int transmit(struct mbms_bmsc *b, struct bmsc_push *p, uint64_t now)
{
	struct bmsc_ue *ue = p->ue;
	int k = bmsc_kg_index(b, mbms_msk_id_key_group(p->msk_id));
	const struct bmsc_msk *m = NULL;
	char id[9];
	bmsc_msk_id_hex(p->msk_id, id);
	if (k < 0)
		goto drop;
	if (p->kind == BMSC_PUSH_MSK) {
		m = bmsc_kg_msk(b, (size_t)k, p->msk_id);
		if (!m)
			goto drop; /* replaced since: nothing to deliver */
		if (ue->muk_expires <= now) {
			/* PROFILE.md 2: the MUK may protect only a trigger now; the UE
			 * answers it with a fresh bootstrap and an MSK request. */
			bmsc_log(b, MBMS_BMSC_LOG_INFO,
				 "push msk=%s impi=%s: MUK expired, sending a trigger instead", id,
				 ue->impi);
			uint32_t trig = mbms_msk_id_make(mbms_msk_id_key_group(p->msk_id), 0);
			bmsc_push_cancel(b, p, true);
			bmsc_push_start(b, ue, BMSC_PUSH_TRIGGER, trig, now, false);
			return MBMS_EEXPIRED;
		}
	}
	if (ue->addr.family == 0 || !ue->btid)
		goto drop;
	struct mbms_msk_msg_in in;
	memset(&in, 0, sizeof(in));
	int rc = bmsc_ue_counter(b, ue, &in.ts_counter);
	if (rc == 0)
		rc = bmsc_random(b, in.rand, sizeof(in.rand));
	if (rc) {
		bmsc_log(b, MBMS_BMSC_LOG_ERROR, "push %s impi=%s: %s", id, ue->impi,
			 mbms_strerror(rc));
		goto drop;
	}
	/* The MUK prepared once for this transmission serves the message and,
	 * kept in the push, the MAC of its ack (the MUK may change between
	 * transmissions: bmsc_ue_rekeyed, so it is prepared again each time). */
	bmsc_ack_remove(b, p);
	rc = mbms_mikey_keyctx_init(&p->muk_ctx, ue->muk, MBMS_MUK_LEN);
	memcpy(in.key_domain_id, b->cfg->key_domain_id, MBMS_KEY_DOMAIN_ID_LEN);
	in.msk_id = p->msk_id;
	in.idi = (const uint8_t *)b->cfg->fqdn;
	in.idi_len = b->fqdn_len;
	in.idr = (const uint8_t *)ue->btid;
	in.idr_len = strlen(ue->btid);
	in.v_flag = true;
	if (m) {
		in.msk = m->key;
		in.vf = m->vf;
		in.vt = m->vt;
	}
	/* built straight into the SEND action: no copy, no wipe of a buffer */
	struct mbms_bmsc_action *a = rc ? NULL : bmsc_send_slot(b, &ue->addr, ue->impi);
	if (!rc && !a)
		rc = MBMS_ENOMEM;
	if (rc == 0) {
		size_t len = 0;
		rc = p->kind == BMSC_PUSH_MSK
			     ? mbms_msk_msg_build_keyed(&in, &p->muk_ctx, a->u.send.data,
							sizeof(a->u.send.data), &len)
			     : mbms_trigger_build_keyed(&in, &p->muk_ctx, a->u.send.data,
							sizeof(a->u.send.data), &len);
		if (rc == 0)
			a->u.send.len = len;
		else
			bmsc_action_unpush(b);
	}
	if (rc) {
		mbms_wipe(&in, sizeof(in));
		mbms_mikey_keyctx_wipe(&p->muk_ctx);
		bmsc_log(b, MBMS_BMSC_LOG_ERROR, "push %s impi=%s: cannot build: %s", id, ue->impi,
			 mbms_strerror(rc));
		goto drop;
	}
	p->ts = in.ts_counter;
	memcpy(p->rand, in.rand, sizeof(p->rand));
	mbms_wipe(&in, sizeof(in));
	p->attempts++;
	bmsc_ack_add(b, p);
	p->deadline = now + timeout_ms(b, p->attempts);
	bmsc_heap_update(b, p);
	if (p->attempts > 1)
		b->st.retransmissions++;
	else if (p->kind == BMSC_PUSH_MSK)
		b->st.pushes_sent++;
	else
		b->st.triggers_sent++;
	if (bmsc_log_on(b, MBMS_BMSC_LOG_DEBUG)) {
		char to[64];
		mbms_bmsc_addr_format(&ue->addr, to, sizeof(to));
		bmsc_log(b, MBMS_BMSC_LOG_DEBUG, "%s %s impi=%s to %s: sent ts=%u (transmission %u)",
			 p->kind == BMSC_PUSH_MSK ? "push msk" : "trigger kg", id, ue->impi, to,
			 p->ts, p->attempts);
	}
	return 0;
drop:
	bmsc_push_cancel(b, p, true);
	return MBMS_ESTATE;
}

int bmsc_push_start(struct mbms_bmsc *b, struct bmsc_ue *ue, uint8_t kind, uint32_t msk_id,
		    uint64_t now, bool persist)
{
	struct bmsc_push *p = find_push(ue, kind, msk_id);
	if (p) {
		p->attempts = 0; /* asked again: start over */
	} else {
		if (ue->npushes >= MBMS_BMSC_MAX_PUSHES_PER_UE)
			return MBMS_ENOSPC;
		p = calloc(1, sizeof(*p));
		if (!p)
			return MBMS_ENOMEM;
		p->ue = ue;
		p->kind = kind;
		p->msk_id = msk_id;
		p->heap_idx = BMSC_NO_INDEX;
		p->deadline = now;
		if (bmsc_heap_add(b, p)) {
			free(p);
			return MBMS_ENOMEM;
		}
		p->next_in_ue = ue->pushes;
		ue->pushes = p;
		ue->npushes++;
	}
	if (kind == BMSC_PUSH_MSK) {
		int k = bmsc_kg_index(b, mbms_msk_id_key_group(msk_id));
		uint16_t kn = mbms_msk_id_key_number(msk_id);
		if (k >= 0 && (ue->kn_pushed[k] == 0 || mbms_serial16_newer(kn, ue->kn_pushed[k])))
			ue->kn_pushed[k] = kn;
		if (persist)
			push_rec(b, p, MBMS_BMSC_PUSH_PENDING);
	}
	return transmit(b, p, now);
}

void bmsc_ue_prune_pushes(struct mbms_bmsc *b, struct bmsc_ue *ue)
{
	struct bmsc_push *p = ue->pushes;
	while (p) {
		struct bmsc_push *nx = p->next_in_ue;
		int k = bmsc_kg_index(b, mbms_msk_id_key_group(p->msk_id));
		if (k < 0 || !(ue->services & b->kg[k].service_mask)) {
			char id[9];
			bmsc_msk_id_hex(p->msk_id, id);
			bmsc_log(b, MBMS_BMSC_LOG_INFO, "push %s impi=%s: cancelled (deregistered)",
				 id, ue->impi);
			bmsc_push_cancel(b, p, true);
		}
		p = nx;
	}
}

void bmsc_push_cancel_msk(struct mbms_bmsc *b, uint32_t msk_id)
{
	size_t n = 0;
	for (uint32_t i = 0; i < b->heap_len; i++)
		n += b->heap[i]->kind == BMSC_PUSH_MSK && b->heap[i]->msk_id == msk_id;
	if (!n)
		return;
	struct bmsc_push **v = malloc(n * sizeof(*v));
	if (!v)
		return;
	n = 0;
	for (uint32_t i = 0; i < b->heap_len; i++)
		if (b->heap[i]->kind == BMSC_PUSH_MSK && b->heap[i]->msk_id == msk_id)
			v[n++] = b->heap[i];
	for (size_t i = 0; i < n; i++)
		bmsc_push_cancel(b, v[i], false); /* the MSK's rows go with REC_MSK_DEL */
	free(v);
}

void bmsc_ue_rekeyed(struct mbms_bmsc *b, struct bmsc_ue *ue, uint64_t now)
{
	for (struct bmsc_push *p = ue->pushes; p; p = p->next_in_ue) {
		bmsc_ack_remove(b, p); /* an ack under the old MUK no longer verifies */
		p->deadline = now;
		bmsc_heap_update(b, p);
	}
}

static void give_up(struct mbms_bmsc *b, struct bmsc_push *p)
{
	char id[9];
	bmsc_msk_id_hex(p->msk_id, id);
	if (p->kind == BMSC_PUSH_MSK) {
		b->st.pushes_given_up++;
		push_rec(b, p, MBMS_BMSC_PUSH_GIVEN_UP);
	} else {
		b->st.triggers_given_up++;
	}
	bmsc_log(b, MBMS_BMSC_LOG_WARN, "%s %s impi=%s: no ack after %u transmission(s), given up",
		 p->kind == BMSC_PUSH_MSK ? "push msk" : "trigger kg", id, p->ue->impi,
		 p->attempts);
	bmsc_push_cancel(b, p, false);
}

int bmsc_push_tick(struct mbms_bmsc *b, uint64_t now, unsigned *budget)
{
	while (*budget && b->heap_len && b->heap[0]->deadline <= now) {
		struct bmsc_push *p = b->heap[0];
		(*budget)--;
		if (p->attempts > b->cfg->retransmit_count)
			give_up(b, p);
		else
			transmit(b, p, now);
	}
	return 0;
}

/* ---- verification messages ---- */

int mbms_bmsc_udp_input(struct mbms_bmsc *b, const struct mbms_bmsc_addr *from,
			const uint8_t *msg, size_t len, uint64_t now)
{
	(void)now;
	if (!b || !from || (!msg && len))
		return MBMS_EINVAL;
	/* the source's text only for the lines that are made */
	char src[64] = "";
	bool debug = bmsc_log_on(b, MBMS_BMSC_LOG_DEBUG);
	if (debug)
		mbms_bmsc_addr_format(from, src, sizeof(src));
	struct mbms_msg_info info;
	int rc = mbms_msg_parse(msg, len, MBMS_MSG_F(MBMS_MSG_VERIFICATION), &info);
	if (rc) {
		b->st.acks_invalid++;
		bmsc_log(b, MBMS_BMSC_LOG_DEBUG, "udp from %s: not a verification message: %s", src,
			 mbms_errname(rc));
		return rc;
	}
	uint32_t csb = info.csb_id, ts = info.ts_counter;
	char id[9];
	bmsc_msk_id_hex(csb, id);
	/* candidates: exact (address and port) first, then address alone */
	struct bmsc_push *cand[ACK_MAX_CANDIDATES];
	size_t n = 0;
	for (int i = 0; i < 2 && b->ack_nbucket; i++) {
		uint64_t key = bmsc_ack_key(b, from, i == 0, csb, ts);
		unsigned walked = 0;
		for (struct bmsc_push *p = b->ack_bucket[i][key & (b->ack_nbucket - 1)];
		     p && n < ACK_MAX_CANDIDATES && walked < ACK_MAX_WALK; p = p->ack_next[i], walked++) {
			if (p->ack_hash[i] != key || p->msk_id != csb || p->ts != ts ||
			    p->ue->addr.family != from->family ||
			    memcmp(p->ue->addr.ip, from->ip, from->family == 6 ? 16 : 4) != 0)
				continue;
			if (i == 1 && p->ue->addr.port == from->port)
				continue; /* tried in the first round */
			cand[n++] = p;
		}
	}
	if (n == 0) {
		b->st.acks_unmatched++;
		bmsc_log(b, MBMS_BMSC_LOG_DEBUG,
			 "udp from %s: verification for %s ts=%u matches no pending push", src, id,
			 ts);
		return MBMS_ENOTFOUND;
	}
	/* parsed once; the MAC is checked with each candidate's MUK as prepared
	 * for the transmission it acknowledges (no MUK preparation per ack) */
	for (size_t i = 0; i < n; i++) {
		struct bmsc_push *p = cand[i];
		struct mbms_acked acked = {
			.csb_id = p->msk_id,
			.ts_counter = p->ts,
			.idi = (const uint8_t *)b->cfg->fqdn,
			.idi_len = b->fqdn_len,
			.idr = (const uint8_t *)p->ue->btid,
			.idr_len = strlen(p->ue->btid),
		};
		memcpy(acked.rand, p->rand, sizeof(acked.rand));
		rc = mbms_msg_authenticate_keyed(msg, len, &p->muk_ctx, &acked, &info);
		mbms_msg_info_wipe(&info);
		if (rc)
			continue;
		bool is_msk = p->kind == BMSC_PUSH_MSK;
		if (is_msk) {
			b->st.pushes_acked++;
			push_rec(b, p, MBMS_BMSC_PUSH_ACKED);
		} else {
			b->st.triggers_acked++;
		}
		/* DEBUG, as docs/bmsc.md shows it: one line per UE and rotation is
		 * too much at INFO for a BM-SC with a million UEs */
		bmsc_log(b, MBMS_BMSC_LOG_DEBUG,
			 "%s %s impi=%s from %s: acked (ts=%u, transmission %u)",
			 is_msk ? "push msk" : "trigger kg", id, p->ue->impi, src, ts, p->attempts);
		bmsc_push_cancel(b, p, false);
		return 0;
	}
	b->st.acks_invalid++;
	if (!debug)
		mbms_bmsc_addr_format(from, src, sizeof(src));
	bmsc_log(b, MBMS_BMSC_LOG_WARN, "udp from %s: verification for %s ts=%u does not verify",
		 src, id, ts);
	return MBMS_EMAC;
}

/* ---- jobs: walks over every UE ---- */

int bmsc_job_add(struct mbms_bmsc *b, uint8_t kind, size_t kg, uint32_t msk_id,
		 uint64_t filter)
{
	for (size_t i = 0; i < b->njobs; i++)
		if (b->jobs[i].kind == kind && b->jobs[i].kg == kg &&
		    b->jobs[i].msk_id == msk_id && b->jobs[i].filter == filter) {
			b->jobs[i].cursor = 0; /* again from the start (pushes dedupe) */
			b->jobs[i].reserved_to = 0;
			return 0;
		}
	if (b->njobs == b->jobs_cap) {
		size_t cap = b->jobs_cap ? b->jobs_cap * 2 : 8;
		struct bmsc_job *nj = realloc(b->jobs, cap * sizeof(*nj));
		if (!nj)
			return MBMS_ENOMEM;
		b->jobs = nj;
		b->jobs_cap = cap;
	}
	struct bmsc_job *j = &b->jobs[b->njobs++];
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->kg = kg;
	j->msk_id = msk_id;
	j->filter = filter;
	return 0;
}

int bmsc_fanout_one(struct mbms_bmsc *b, struct bmsc_ue *ue, size_t k, uint32_t msk_id,
		    uint64_t now)
{
	uint16_t kn = mbms_msk_id_key_number(msk_id);
	if (ue->kn_pushed[k] == kn || ue->addr.family == 0)
		return 0;
	if (ue->muk_expires <= now) {
		/* no usable MUK for an MSK message: ask the UE to come back */
		ue->kn_pushed[k] = kn;
		return bmsc_push_start(b, ue, BMSC_PUSH_TRIGGER,
				       mbms_msk_id_make(b->kg[k].cfg->key_group, 0), now, false);
	}
	return bmsc_push_start(b, ue, BMSC_PUSH_MSK, msk_id, now, true);
}

/* A fan-out after a restart finds every UE without a reserved counter
 * block: each would write its UE row in the drain of its own tick, one
 * synced transaction per tick (1024 UEs), ~100 for 100,000 UEs. Reserve
 * ahead instead: the blocks of the next RESERVE_AHEAD slots' UEs in one
 * drain (one synced transaction), committed before the datagrams of this
 * tick like any reservation. A UE that then gets no message only skips a
 * block: counter values are never reused, they may go unused. */
#define RESERVE_AHEAD 16384

static void job_reserve_ahead(struct mbms_bmsc *b, struct bmsc_job *j, uint64_t now)
{
	if (j->kind != BMSC_JOB_FANOUT || j->reserved_to > j->cursor)
		return;
	uint16_t kn = mbms_msk_id_key_number(j->msk_id);
	uint32_t end = b->nslots - j->cursor > RESERVE_AHEAD ? j->cursor + RESERVE_AHEAD
							      : b->nslots;
	for (uint32_t c = j->cursor; c < end; c++) {
		struct bmsc_ue *ue = b->slots[c];
		/* the UEs bmsc_fanout_one will send an MSK message to */
		if (!ue || !(ue->services & j->filter) || ue->kn_pushed[j->kg] == kn ||
		    ue->addr.family == 0 || !ue->btid || ue->muk_expires <= now ||
		    ue->ts_next == UINT32_MAX || ue->ts_next < ue->ts_hwm)
			continue;
		ue_reserve(b, ue);
	}
	j->reserved_to = end;
}

int bmsc_jobs_tick(struct mbms_bmsc *b, uint64_t now, unsigned *budget)
{
	while (*budget && b->njobs) {
		struct bmsc_job *j = &b->jobs[0];
		bool gone = j->kind == BMSC_JOB_FANOUT && !bmsc_kg_msk(b, j->kg, j->msk_id);
		if (!gone)
			job_reserve_ahead(b, j, now);
		while (!gone && *budget && j->cursor < b->nslots) {
			struct bmsc_ue *ue = b->slots[j->cursor++];
			(*budget)--;
			if (!ue || !(ue->services & j->filter))
				continue;
			j->hits++;
			if (j->kind == BMSC_JOB_FANOUT)
				bmsc_fanout_one(b, ue, j->kg, j->msk_id, now);
			else
				bmsc_push_start(b, ue, BMSC_PUSH_TRIGGER, j->msk_id, now, false);
		}
		if (!gone && j->cursor < b->nslots)
			break;
		char id[9];
		bmsc_msk_id_hex(j->msk_id, id);
		bmsc_log(b, MBMS_BMSC_LOG_INFO, "%s %s: walked all UEs, %llu registered to it%s",
			 j->kind == BMSC_JOB_FANOUT ? "fan-out of MSK" : "solicited pull for",
			 id, (unsigned long long)j->hits, gone ? " (MSK replaced meanwhile)" : "");
		memmove(&b->jobs[0], &b->jobs[1], (b->njobs - 1) * sizeof(*b->jobs));
		b->njobs--;
	}
	return 0;
}

int mbms_bmsc_solicit(struct mbms_bmsc *b, const char *service_id, uint64_t now, size_t *ues)
{
	(void)now;
	if (!b || !service_id)
		return MBMS_EINVAL;
	int s = bmsc_service_index(b, service_id, strlen(service_id));
	if (s < 0)
		return MBMS_ENOTFOUND;
	if (!b->started)
		return MBMS_ESTATE;
	const struct bmsc_service *svc = &b->svc[s];
	for (size_t j = 0; j < svc->cfg->nkey_groups; j++) {
		size_t k = svc->kg[j];
		int rc = bmsc_job_add(b, BMSC_JOB_TRIGGER, k,
				      mbms_msk_id_make(b->kg[k].cfg->key_group, 0), 1ULL << s);
		if (rc)
			return rc;
	}
	if (ues)
		*ues = (size_t)svc->registered;
	bmsc_log(b, MBMS_BMSC_LOG_INFO, "admin solicit %s: triggers queued for %llu UE(s)",
		 service_id, (unsigned long long)svc->registered);
	return 0;
}
