/* BM-SC tables: keyed hashing, the UE tables and slot vector, the push
 * deadline heap, the ack index and the nc replay tracker (lib/bmsc_priv.h).
 * Every lookup a request makes is O(1) on average; nothing here scans all
 * UEs. */
#include "bmsc_priv.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SipHash-2-4 (J.-P. Aumasson, D. J. Bernstein, "SipHash: a fast
 * short-input PRF", 2012): keyed, so chains cannot be made long by anyone
 * who does not know the per-process key. ---- */

static inline uint64_t rotl64(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl64(v1, 13);                                                               \
		v1 ^= v0;                                                                          \
		v0 = rotl64(v0, 32);                                                               \
		v2 += v3;                                                                          \
		v3 = rotl64(v3, 16);                                                               \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl64(v3, 21);                                                               \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl64(v1, 17);                                                               \
		v1 ^= v2;                                                                          \
		v2 = rotl64(v2, 32);                                                               \
	} while (0)

uint64_t bmsc_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
	size_t full = len & ~(size_t)7;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t last = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++)
		last |= (uint64_t)in[full + i] << (8 * i);
	v3 ^= last;
	SIPROUND;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- UEs ---- */

static uint64_t hstr(const struct mbms_bmsc *b, const char *s)
{
	return bmsc_siphash(b->hash_key, s, strlen(s));
}

struct bmsc_ue *bmsc_ue_by_impi(const struct mbms_bmsc *b, const char *impi)
{
	if (!b->nbucket)
		return NULL;
	uint64_t h = hstr(b, impi);
	for (struct bmsc_ue *u = b->by_impi[h & (b->nbucket - 1)]; u; u = u->next_impi)
		if (u->h_impi == h && strcmp(u->impi, impi) == 0)
			return u;
	return NULL;
}

struct bmsc_ue *bmsc_ue_by_btid(const struct mbms_bmsc *b, const char *btid)
{
	if (!b->nbucket)
		return NULL;
	uint64_t h = hstr(b, btid);
	for (struct bmsc_ue *u = b->by_btid[h & (b->nbucket - 1)]; u; u = u->next_btid)
		if (u->h_btid == h && u->btid && strcmp(u->btid, btid) == 0)
			return u;
	return NULL;
}

static void unlink_btid(struct mbms_bmsc *b, struct bmsc_ue *ue)
{
	if (!ue->btid)
		return;
	struct bmsc_ue **pp = &b->by_btid[ue->h_btid & (b->nbucket - 1)];
	while (*pp && *pp != ue)
		pp = &(*pp)->next_btid;
	if (*pp)
		*pp = ue->next_btid;
	ue->next_btid = NULL;
}

static int grow_tables(struct mbms_bmsc *b)
{
	size_t n = b->nbucket ? b->nbucket * 2 : 1024;
	struct bmsc_ue **ni = calloc(n, sizeof(*ni)), **nb = calloc(n, sizeof(*nb));
	if (!ni || !nb) {
		free(ni);
		free(nb);
		return MBMS_ENOMEM;
	}
	for (size_t i = 0; i < b->nbucket; i++) {
		for (struct bmsc_ue *u = b->by_impi[i], *nx; u; u = nx) {
			nx = u->next_impi;
			u->next_impi = ni[u->h_impi & (n - 1)];
			ni[u->h_impi & (n - 1)] = u;
		}
		for (struct bmsc_ue *u = b->by_btid[i], *nx; u; u = nx) {
			nx = u->next_btid;
			u->next_btid = nb[u->h_btid & (n - 1)];
			nb[u->h_btid & (n - 1)] = u;
		}
	}
	free(b->by_impi);
	free(b->by_btid);
	b->by_impi = ni;
	b->by_btid = nb;
	b->nbucket = n;
	return 0;
}

static int slot_take(struct mbms_bmsc *b, uint32_t *slot)
{
	if (b->nfree) {
		*slot = b->free_slots[--b->nfree];
		return 0;
	}
	if (b->nslots == b->slot_cap) {
		/* the free list can hold every slot: deleting never allocates */
		uint32_t cap = b->slot_cap ? b->slot_cap * 2 : 1024;
		uint32_t *nf = realloc(b->free_slots, cap * sizeof(*nf));
		if (!nf)
			return MBMS_ENOMEM;
		b->free_slots = nf;
		b->free_cap = cap;
		struct bmsc_ue **ns = realloc(b->slots, cap * sizeof(*ns));
		if (!ns)
			return MBMS_ENOMEM;
		b->slots = ns;
		b->slot_cap = cap;
	}
	*slot = b->nslots++;
	return 0;
}

struct bmsc_ue *bmsc_ue_new(struct mbms_bmsc *b, const char *impi)
{
	size_t il = strlen(impi);
	if (il == 0 || il >= MBMS_BMSC_IMPI_MAX)
		return NULL;
	if (b->nues + 1 > b->nbucket && grow_tables(b))
		return NULL;
	size_t kn_bytes = b->nkg * sizeof(uint16_t);
	struct bmsc_ue *ue = calloc(1, sizeof(*ue) + kn_bytes + il + 1);
	if (!ue)
		return NULL;
	ue->impi = (char *)ue + sizeof(*ue) + kn_bytes;
	memcpy(ue->impi, impi, il + 1);
	ue->ts_next = ue->ts_hwm = 1; /* counter values start at 1 */
	if (slot_take(b, &ue->slot)) {
		free(ue);
		return NULL;
	}
	b->slots[ue->slot] = ue;
	ue->h_impi = hstr(b, impi);
	size_t i = ue->h_impi & (b->nbucket - 1);
	ue->next_impi = b->by_impi[i];
	b->by_impi[i] = ue;
	b->nues++;
	return ue;
}

int bmsc_ue_set_btid(struct mbms_bmsc *b, struct bmsc_ue *ue, const char *btid)
{
	size_t n = strlen(btid);
	if (n == 0 || n >= MBMS_BMSC_BTID_MAX)
		return MBMS_EINVAL;
	if (ue->btid && strcmp(ue->btid, btid) == 0)
		return 0;
	char *copy = malloc(n + 1);
	if (!copy)
		return MBMS_ENOMEM;
	memcpy(copy, btid, n + 1);
	unlink_btid(b, ue);
	free(ue->btid);
	ue->btid = copy;
	ue->h_btid = hstr(b, btid);
	size_t i = ue->h_btid & (b->nbucket - 1);
	ue->next_btid = b->by_btid[i];
	b->by_btid[i] = ue;
	return 0;
}

void bmsc_ue_delete(struct mbms_bmsc *b, struct bmsc_ue *ue)
{
	while (ue->pushes)
		bmsc_push_cancel(b, ue->pushes, false);
	struct bmsc_ue **pp = &b->by_impi[ue->h_impi & (b->nbucket - 1)];
	while (*pp && *pp != ue)
		pp = &(*pp)->next_impi;
	if (*pp)
		*pp = ue->next_impi;
	unlink_btid(b, ue);
	b->slots[ue->slot] = NULL;
	if (ue->slot + 1 == b->nslots)
		b->nslots--;
	else
		b->free_slots[b->nfree++] = ue->slot;
	b->nues--;
	free(ue->btid);
	mbms_wipe(ue->muk, sizeof(ue->muk));
	free(ue);
}

void bmsc_ue_table_free(struct mbms_bmsc *b)
{
	for (uint32_t i = 0; i < b->nslots; i++) {
		struct bmsc_ue *ue = b->slots[i];
		if (!ue)
			continue;
		for (struct bmsc_push *p = ue->pushes, *nx; p; p = nx) {
			nx = p->next_in_ue;
			mbms_wipe(p, sizeof(*p)); /* its prepared MUK */
			free(p);
		}
		free(ue->btid);
		mbms_wipe(ue->muk, sizeof(ue->muk));
		free(ue);
	}
	free(b->slots);
	free(b->free_slots);
	free(b->by_impi);
	free(b->by_btid);
	b->slots = NULL;
	b->free_slots = NULL;
	b->by_impi = b->by_btid = NULL;
	b->nslots = b->slot_cap = b->nfree = b->free_cap = 0;
	b->nbucket = b->nues = 0;
}

void bmsc_ue_rec(struct mbms_bmsc *b, struct bmsc_ue *ue)
{
	struct mbms_bmsc_rec *r = bmsc_rec(b, MBMS_BMSC_REC_UE);
	if (!r)
		return;
	snprintf(r->ue.impi, sizeof(r->ue.impi), "%s", ue->impi);
	snprintf(r->ue.btid, sizeof(r->ue.btid), "%s", ue->btid ? ue->btid : "");
	memcpy(r->ue.muk, ue->muk, MBMS_MUK_LEN);
	r->ue.muk_expires_ms = ue->muk_expires;
	r->ue.addr = ue->addr;
	r->ue.ts_hwm = ue->ts_hwm;
	ue->persisted = true;
}

/* ---- the push deadline heap (binary min-heap on deadline) ---- */

static void heap_set(struct mbms_bmsc *b, uint32_t i, struct bmsc_push *p)
{
	b->heap[i] = p;
	p->heap_idx = i;
}

static void heap_up(struct mbms_bmsc *b, uint32_t i)
{
	struct bmsc_push *p = b->heap[i];
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (b->heap[parent]->deadline <= p->deadline)
			break;
		heap_set(b, i, b->heap[parent]);
		i = parent;
	}
	heap_set(b, i, p);
}

static void heap_down(struct mbms_bmsc *b, uint32_t i)
{
	struct bmsc_push *p = b->heap[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= b->heap_len)
			break;
		if (c + 1 < b->heap_len && b->heap[c + 1]->deadline < b->heap[c]->deadline)
			c++;
		if (b->heap[c]->deadline >= p->deadline)
			break;
		heap_set(b, i, b->heap[c]);
		i = c;
	}
	heap_set(b, i, p);
}

int bmsc_heap_add(struct mbms_bmsc *b, struct bmsc_push *p)
{
	if (b->heap_len == b->heap_cap) {
		uint32_t cap = b->heap_cap ? b->heap_cap * 2 : 256;
		struct bmsc_push **nh = realloc(b->heap, cap * sizeof(*nh));
		if (!nh)
			return MBMS_ENOMEM;
		b->heap = nh;
		b->heap_cap = cap;
	}
	heap_set(b, b->heap_len++, p);
	heap_up(b, p->heap_idx);
	return 0;
}

void bmsc_heap_remove(struct mbms_bmsc *b, struct bmsc_push *p)
{
	uint32_t i = p->heap_idx;
	if (i == BMSC_NO_INDEX || i >= b->heap_len || b->heap[i] != p)
		return;
	struct bmsc_push *last = b->heap[--b->heap_len];
	p->heap_idx = BMSC_NO_INDEX;
	if (last == p)
		return;
	heap_set(b, i, last);
	heap_up(b, i);
	heap_down(b, last->heap_idx);
}

void bmsc_heap_update(struct mbms_bmsc *b, struct bmsc_push *p)
{
	if (p->heap_idx == BMSC_NO_INDEX)
		return;
	heap_up(b, p->heap_idx);
	heap_down(b, p->heap_idx);
}

/* ---- the ack indexes: what a verification message will name ----
 * A verification message carries no identity (PROFILE.md 5.4); it is
 * matched by where it came from and what it acknowledges. Index [0] keys
 * (UE IP, port, CSB ID, TS): the UE answers from the socket we sent to.
 * Index [1] keys (UE IP, CSB ID, TS) for a UE that answers from another
 * port; many UEs behind one address share its chains, so they are doubly
 * linked (O(1) removal) and a lookup walks a bounded part. The MAC decides
 * among candidates. */

uint64_t bmsc_ack_key(const struct mbms_bmsc *b, const struct mbms_bmsc_addr *addr, int with_port,
		      uint32_t csb_id, uint32_t ts)
{
	uint8_t k[1 + 16 + 2 + 8];
	memset(k, 0, sizeof(k));
	k[0] = addr->family;
	memcpy(k + 1, addr->ip, addr->family == 6 ? 16 : 4);
	if (with_port)
		mbms_put_be16(k + 17, addr->port);
	mbms_put_be32(k + 19, csb_id);
	mbms_put_be32(k + 23, ts);
	return bmsc_siphash(b->hash_key, k, sizeof(k));
}

static void ack_link(struct mbms_bmsc *b, struct bmsc_push *p, int i)
{
	struct bmsc_push **head = &b->ack_bucket[i][p->ack_hash[i] & (b->ack_nbucket - 1)];
	p->ack_next[i] = *head;
	if (*head)
		(*head)->ack_pprev[i] = &p->ack_next[i];
	*head = p;
	p->ack_pprev[i] = head;
}

static void ack_unlink(struct bmsc_push *p, int i)
{
	*p->ack_pprev[i] = p->ack_next[i];
	if (p->ack_next[i])
		p->ack_next[i]->ack_pprev[i] = p->ack_pprev[i];
	p->ack_next[i] = NULL;
	p->ack_pprev[i] = NULL;
}

static int ack_grow(struct mbms_bmsc *b)
{
	size_t n = b->ack_nbucket ? b->ack_nbucket * 2 : 256;
	struct bmsc_push **nb[2] = {calloc(n, sizeof(struct bmsc_push *)),
				    calloc(n, sizeof(struct bmsc_push *))};
	if (!nb[0] || !nb[1]) {
		free(nb[0]);
		free(nb[1]);
		return MBMS_ENOMEM;
	}
	struct bmsc_push **old[2] = {b->ack_bucket[0], b->ack_bucket[1]};
	size_t on = b->ack_nbucket;
	b->ack_bucket[0] = nb[0];
	b->ack_bucket[1] = nb[1];
	b->ack_nbucket = n;
	/* every push is in both indexes: relink from index [0]'s chains */
	for (size_t j = 0; j < on; j++)
		for (struct bmsc_push *p = old[0][j], *nx; p; p = nx) {
			nx = p->ack_next[0];
			ack_link(b, p, 0);
			ack_link(b, p, 1);
		}
	free(old[0]);
	free(old[1]);
	return 0;
}

int bmsc_ack_add(struct mbms_bmsc *b, struct bmsc_push *p)
{
	if (p->in_ack)
		bmsc_ack_remove(b, p);
	if (b->ack_count + 1 > b->ack_nbucket && ack_grow(b))
		return MBMS_ENOMEM;
	for (int i = 0; i < 2; i++) {
		p->ack_hash[i] = bmsc_ack_key(b, &p->ue->addr, i == 0, p->msk_id, p->ts);
		ack_link(b, p, i);
	}
	p->in_ack = true;
	b->ack_count++;
	return 0;
}

void bmsc_ack_remove(struct mbms_bmsc *b, struct bmsc_push *p)
{
	if (!p->in_ack)
		return;
	ack_unlink(p, 0);
	ack_unlink(p, 1);
	p->in_ack = false;
	b->ack_count--;
}

/* ---- nc replay tracker ---- */

int bmsc_nc_init(struct bmsc_nc *t, size_t cap, const uint8_t key[16])
{
	memset(t, 0, sizeof(*t));
	if (cap < 16 || cap > (1u << 30))
		return MBMS_EINVAL;
	size_t nb = 16;
	while (nb < 2 * cap)
		nb *= 2;
	t->e = calloc(cap, sizeof(*t->e));
	t->bucket = malloc(nb * sizeof(*t->bucket));
	if (!t->e || !t->bucket) {
		bmsc_nc_free(t);
		return MBMS_ENOMEM;
	}
	for (size_t i = 0; i < nb; i++)
		t->bucket[i] = -1;
	t->cap = cap;
	t->nbucket = nb;
	memcpy(t->key, key, 16);
	return 0;
}

void bmsc_nc_free(struct bmsc_nc *t)
{
	free(t->e);
	free(t->bucket);
	memset(t, 0, sizeof(*t));
}

static size_t nc_bucket(const struct bmsc_nc *t, const char *nonce)
{
	return bmsc_siphash(t->key, nonce, MBMS_DIGEST_NONCE_LEN) & (t->nbucket - 1);
}

static void nc_pop_head(struct bmsc_nc *t)
{
	struct bmsc_nc_entry *e = &t->e[t->head];
	int32_t idx = (int32_t)t->head;
	int32_t *pp = &t->bucket[nc_bucket(t, e->nonce)];
	while (*pp != -1 && *pp != idx)
		pp = &t->e[*pp].next;
	if (*pp == idx)
		*pp = e->next;
	e->used = false;
	t->head = (t->head + 1) % t->cap;
	t->count--;
}

int bmsc_nc_use(struct bmsc_nc *t, const char *nonce, uint64_t issued_at, uint32_t nc)
{
	size_t bk = nc_bucket(t, nonce);
	for (int32_t i = t->bucket[bk]; i != -1; i = t->e[i].next) {
		struct bmsc_nc_entry *e = &t->e[i];
		if (memcmp(e->nonce, nonce, MBMS_DIGEST_NONCE_LEN) == 0) {
			if (nc <= e->nc)
				return MBMS_EREPLAY;
			e->nc = nc;
			return 0;
		}
	}
	if (issued_at < t->floor || nc == 0)
		return MBMS_EREPLAY;
	if (t->count == t->cap) {
		/* Evict the oldest entry: its nonce may come back, and then its
		 * nc history is gone, so refuse everything issued up to it. */
		uint64_t ev = t->e[t->head].issued_at;
		if (ev == UINT64_MAX)
			return MBMS_EREPLAY;
		if (ev + 1 > t->floor)
			t->floor = ev + 1;
		nc_pop_head(t);
		if (issued_at < t->floor)
			return MBMS_EREPLAY;
		bk = nc_bucket(t, nonce);
	}
	size_t slot = (t->head + t->count) % t->cap;
	struct bmsc_nc_entry *e = &t->e[slot];
	memcpy(e->nonce, nonce, MBMS_DIGEST_NONCE_LEN);
	e->nc = nc;
	e->issued_at = issued_at;
	e->used = true;
	e->next = t->bucket[bk];
	t->bucket[bk] = (int32_t)slot;
	t->count++;
	return 0;
}

void bmsc_nc_expire(struct bmsc_nc *t, uint64_t now_s, uint64_t lifetime_s)
{
	while (t->count && t->e[t->head].issued_at + lifetime_s < now_s)
		nc_pop_head(t);
}
