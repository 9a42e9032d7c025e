/* bmscd: group commit of push-state-only batches (issue #9, figure 5).
 *
 * Every call on the core ends with a drain (main.c) that must make the
 * call's records durable before its datagrams leave. A basic MSK request
 * or an ack yields one push-state record (pending, acked) and at most one
 * datagram: committing each in its own transaction made BEGIN/COMMIT most
 * of bmscd's work per request. Such batches -- records of push state only
 * (store.c: bmscd_store_rec_durable false) -- are copied here instead and
 * committed together, in one transaction, before ANY of their datagrams is
 * sent: the rule "records before the datagrams that follow them" holds,
 * later and for many at once. The group is flushed
 *   - when it holds BATCH_MAX (1024) records or datagrams,
 *   - BATCH_MS after its first entry (the event loop's timer),
 *   - before any batch with a durable record (counter reservation, MSK,
 *     registration, ...), which then commits and sends as before, after
 *     the group: datagrams leave in the order the core made them,
 *   - at shutdown.
 * An HTTP answer is not held back: it promises nothing the group carries
 * (a registration, whose 200 does, is a durable record and commits before
 * the answer as before). A crash loses at most the group's uncommitted push
 * states and unsent datagrams: the UE asks again, or the restarted fan-out
 * pushes again -- the same as losing them to a power cut (store.c).
 * All calls with d->lock held. */
#include "batch.h"

#include "mikey_io.h"

#include "mbmssec/crypto.h"

#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 1024
#define BATCH_MS 1

static struct {
	/* copies: records as records (no action around them), datagrams as
	 * actions; both arrays stay all-zero past their counts, and a copy
	 * writes only the bytes in use (an IMPI, a datagram), not the whole
	 * 1 KB action: a fan-out copies two records and a datagram per UE */
	struct mbms_bmsc_rec *recs;
	struct mbms_bmsc_action *sends;
	size_t nrec, nsend, cap;
	const struct mbms_bmsc_action **send_ptr; /* for sendmmsg */
	uint64_t first_ms; /* when the first entry came; 0: empty */
} G;

static bool reserve(size_t need)
{
	if (need <= G.cap)
		return true;
	size_t cap = G.cap ? G.cap : BATCH_MAX;
	while (cap < need)
		cap *= 2;
	struct mbms_bmsc_rec *r = calloc(cap, sizeof(*r));
	struct mbms_bmsc_action *s = calloc(cap, sizeof(*s));
	const struct mbms_bmsc_action **sp = malloc(cap * sizeof(*sp));
	if (!r || !s || !sp) {
		free(r);
		free(s);
		free(sp);
		return false;
	}
	if (G.nrec)
		memcpy(r, G.recs, G.nrec * sizeof(*r));
	if (G.nsend)
		memcpy(s, G.sends, G.nsend * sizeof(*s));
	if (G.cap) {
		mbms_wipe(G.recs, G.cap * sizeof(*G.recs));
		mbms_wipe(G.sends, G.cap * sizeof(*G.sends));
	}
	free(G.recs);
	free(G.sends);
	free(G.send_ptr);
	G.recs = r;
	G.sends = s;
	G.send_ptr = sp;
	G.cap = cap;
	return true;
}

/* A push state (the only records the group takes: store.c
 * bmscd_store_rec_durable) is its IMPI and three numbers; anything else is
 * copied whole. */
static void rec_copy(struct mbms_bmsc_rec *dst, const struct mbms_bmsc_rec *src)
{
	if (src->kind != MBMS_BMSC_REC_PUSH && src->kind != MBMS_BMSC_REC_PUSH_DEL) {
		*dst = *src;
		return;
	}
	dst->kind = src->kind;
	dst->msk_id = src->msk_id;
	dst->push_state = src->push_state;
	dst->push_attempts = src->push_attempts;
	memcpy(dst->ue.impi, src->ue.impi, strnlen(src->ue.impi, sizeof(dst->ue.impi) - 1));
}

static void rec_clear(struct mbms_bmsc_rec *r)
{
	if (r->kind != MBMS_BMSC_REC_PUSH && r->kind != MBMS_BMSC_REC_PUSH_DEL) {
		mbms_wipe(r, sizeof(*r));
		return;
	}
	memset(r->ue.impi, 0, strnlen(r->ue.impi, sizeof(r->ue.impi)));
	r->kind = 0;
	r->msk_id = 0;
	r->push_state = r->push_attempts = 0;
}

static void send_clear(struct mbms_bmsc_action *a)
{
	size_t len = a->u.send.len < sizeof(a->u.send.data) ? a->u.send.len : sizeof(a->u.send.data);
	mbms_wipe(a->u.send.data, len);
	memset(a->u.send.impi, 0, strnlen(a->u.send.impi, sizeof(a->u.send.impi)));
	memset(&a->u.send.to, 0, sizeof(a->u.send.to));
	a->u.send.len = 0;
	a->kind = 0;
}

bool bmscd_batch_empty(void) { return G.first_ms == 0; }

uint64_t bmscd_batch_due(void)
{
	return G.first_ms ? G.first_ms + BATCH_MS : UINT64_MAX;
}

bool bmscd_batch_add(struct bmscd *d, const struct mbms_bmsc_action *const *recs, size_t nrec,
		     const struct mbms_bmsc_action *const *sends, size_t nsend)
{
	size_t need = (G.nrec + nrec > G.nsend + nsend ? G.nrec + nrec : G.nsend + nsend);
	if (!reserve(need))
		return false;
	for (size_t i = 0; i < nrec; i++)
		rec_copy(&G.recs[G.nrec++], &recs[i]->u.rec);
	for (size_t i = 0; i < nsend; i++) {
		/* only the bytes in use: a datagram is small, the action is not */
		const struct mbms_bmsc_action *a = sends[i];
		struct mbms_bmsc_action *c = &G.sends[G.nsend++];
		size_t len = a->u.send.len < sizeof(c->u.send.data) ? a->u.send.len
								   : sizeof(c->u.send.data);
		c->kind = a->kind;
		c->u.send.to = a->u.send.to;
		c->u.send.len = len;
		memcpy(c->u.send.data, a->u.send.data, len);
		memcpy(c->u.send.impi, a->u.send.impi,
		       strnlen(a->u.send.impi, sizeof(c->u.send.impi) - 1));
	}
	if (!G.first_ms && (G.nrec || G.nsend))
		G.first_ms = bmscd_now_ms();
	if (G.nrec >= BATCH_MAX || G.nsend >= BATCH_MAX)
		bmscd_batch_flush(d);
	return true;
}

void bmscd_batch_flush(struct bmscd *d)
{
	if (!G.first_ms)
		return;
	if (G.nrec && !d->db_failed) {
		if (bmscd_store_begin_batch(d->store, false) != 0) {
			d->db_failed = true;
		} else {
			for (size_t i = 0; i < G.nrec && !d->db_failed; i++)
				if (bmscd_store_apply(d->store, &G.recs[i]) != 0)
					d->db_failed = true;
			if (d->db_failed || bmscd_store_commit(d->store) != 0) {
				bmscd_store_rollback(d->store);
				d->db_failed = true;
			}
		}
	}
	if (G.nsend && d->db_failed) {
		log_error("state store failed: %zu MIKEY message(s) held back; none will be sent "
			  "until a restart (a TS counter must never be reused)",
			  G.nsend);
	} else if (G.nsend) {
		for (size_t i = 0; i < G.nsend; i++)
			G.send_ptr[i] = &G.sends[i];
		bmscd_udp_send_batch(d, G.send_ptr, G.nsend);
	}
	for (size_t i = 0; i < G.nrec; i++)
		rec_clear(&G.recs[i]);
	for (size_t i = 0; i < G.nsend; i++)
		send_clear(&G.sends[i]);
	G.nrec = G.nsend = 0;
	G.first_ms = 0;
}

void bmscd_batch_free(void)
{
	if (G.cap) {
		mbms_wipe(G.recs, G.cap * sizeof(*G.recs));
		mbms_wipe(G.sends, G.cap * sizeof(*G.sends));
	}
	free(G.recs);
	free(G.sends);
	free(G.send_ptr);
	memset(&G, 0, sizeof(G));
}
