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
	struct mbms_bmsc_action *recs, *sends; /* copies */
	size_t nrec, nsend, cap;
	const struct mbms_bmsc_action **rec_ptr, **send_ptr; /* for the store and sendmmsg */
	uint64_t first_ms; /* when the first entry came; 0: empty */
} G;

static bool reserve(size_t need)
{
	if (need <= G.cap)
		return true;
	size_t cap = G.cap ? G.cap : BATCH_MAX;
	while (cap < need)
		cap *= 2;
	struct mbms_bmsc_action *r = malloc(cap * sizeof(*r)), *s = malloc(cap * sizeof(*s));
	const struct mbms_bmsc_action **rp = malloc(cap * sizeof(*rp)), **sp = malloc(cap * sizeof(*sp));
	if (!r || !s || !rp || !sp) {
		free(r);
		free(s);
		free(rp);
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
	free(G.rec_ptr);
	free(G.send_ptr);
	G.recs = r;
	G.sends = s;
	G.rec_ptr = rp;
	G.send_ptr = sp;
	G.cap = cap;
	return true;
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
		G.recs[G.nrec++] = *recs[i];
	for (size_t i = 0; i < nsend; i++) {
		/* only the bytes in use: a datagram is small, the action is not */
		struct mbms_bmsc_action *c = &G.sends[G.nsend++];
		c->kind = sends[i]->kind;
		c->u.send.to = sends[i]->u.send.to;
		c->u.send.len = sends[i]->u.send.len;
		memcpy(c->u.send.data, sends[i]->u.send.data, sends[i]->u.send.len);
		memcpy(c->u.send.impi, sends[i]->u.send.impi, sizeof(c->u.send.impi));
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
		for (size_t i = 0; i < G.nrec; i++)
			G.rec_ptr[i] = &G.recs[i];
		if (bmscd_store_begin_batch(d->store, false) != 0) {
			d->db_failed = true;
		} else {
			for (size_t i = 0; i < G.nrec && !d->db_failed; i++)
				if (bmscd_store_apply(d->store, &G.recs[i].u.rec) != 0)
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
	mbms_wipe(G.recs, G.nrec * sizeof(*G.recs)); /* records may hold keys (UE rows) */
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
	free(G.rec_ptr);
	free(G.send_ptr);
	memset(&G, 0, sizeof(G));
}
