/* The BM-SC state machine: life cycle, the action queue, restore/start and
 * the clock (include/mbmssec/bmsc.h). The procedures are in bmsc_http.c
 * (HTTP), bmsc_keys.c (MSKs, MTKs) and bmsc_push.c (MIKEY pushes and acks);
 * bmsc_config.c checks the configuration, bmsc_status.c reports. */
#include "bmsc_priv.h"

#include "mbmssec/crypto.h"
#include "mbmssec/error.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BUDGET 1024
#define GC_INTERVAL_MS 60000

/* ---- addresses ---- */

int mbms_bmsc_addr_from_ip(const char *ip, uint16_t port, struct mbms_bmsc_addr *out)
{
	if (!ip || !out)
		return MBMS_EINVAL;
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, ip, out->ip) == 1)
		out->family = 4;
	else if (inet_pton(AF_INET6, ip, out->ip) == 1)
		out->family = 6;
	else
		return MBMS_ESYNTAX;
	out->port = port;
	return 0;
}

/* IPv4 "a.b.c.d:port" by hand: a line per ack used to cost an inet_ntop
 * and two snprintf calls (issue #9, figure 4). */
static size_t put_dec(char *p, unsigned v)
{
	char t[10];
	size_t n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		p[i] = t[n - 1 - i];
	return n;
}

int mbms_bmsc_addr_format(const struct mbms_bmsc_addr *a, char *out, size_t cap)
{
	char ip[64];
	if (!a || !out || !cap)
		return MBMS_EINVAL;
	if (a->family != 4 && a->family != 6) {
		int n = snprintf(out, cap, "-");
		return n < 0 || (size_t)n >= cap ? MBMS_ENOSPC : 0;
	}
	if (a->family == 4 && cap >= sizeof("255.255.255.255:65535")) {
		size_t n = 0;
		for (int i = 0; i < 4; i++) {
			n += put_dec(out + n, a->ip[i]);
			out[n++] = i < 3 ? '.' : ':';
		}
		n += put_dec(out + n, a->port);
		out[n] = '\0';
		return 0;
	}
	if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->ip, ip, sizeof(ip)))
		return MBMS_EINVAL;
	int n = a->family == 4 ? snprintf(out, cap, "%s:%u", ip, a->port)
			       : snprintf(out, cap, "[%s]:%u", ip, a->port);
	return n < 0 || (size_t)n >= cap ? MBMS_ENOSPC : 0;
}

bool mbms_bmsc_addr_equal(const struct mbms_bmsc_addr *a, const struct mbms_bmsc_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->ip, b->ip, a->family == 6 ? 16 : 4) == 0;
}

/* ---- helpers for the other files ---- */

int bmsc_random(struct mbms_bmsc *b, uint8_t *buf, size_t len)
{
	if (b->cfg->random)
		return b->cfg->random(b->cfg->random_user, buf, len) ? MBMS_ECRYPTO : 0;
	return mbms_random(buf, len);
}

/* The action queue keeps every slot past count all-zero: a new action needs
 * no memset of its 1136 bytes, and clearing wipes only what its kind wrote
 * (a datagram's bytes, a line's text, a whole record: records hold keys).
 * A fan-out makes several actions per UE; clearing them whole, twice, was a
 * large part of its memory traffic (issue #9, figure 4). */
static void action_clear(struct mbms_bmsc_action *a)
{
	switch (a->kind) {
	case MBMS_BMSC_ACT_SEND: {
		size_t len = a->u.send.len < MBMS_MSG_MAX_LEN ? a->u.send.len : MBMS_MSG_MAX_LEN;
		size_t head = (size_t)(a->u.send.data - (uint8_t *)&a->u.send);
		mbms_wipe(&a->u.send, head + len);
		size_t il = strnlen(a->u.send.impi, sizeof(a->u.send.impi) - 1) + 1;
		mbms_wipe(a->u.send.impi, il);
		break;
	}
	case MBMS_BMSC_ACT_LOG: {
		size_t tl = strnlen(a->u.log.text, sizeof(a->u.log.text) - 1) + 1;
		a->u.log.level = 0;
		mbms_wipe(a->u.log.text, tl);
		break;
	}
	default:
		mbms_wipe(&a->u.rec, sizeof(a->u.rec));
		break;
	}
	a->kind = 0;
}

static void queue_reset(struct bmsc_action_queue *q)
{
	for (size_t i = 0; i < q->count; i++)
		action_clear(&q->a[i]);
	q->count = q->head = 0;
}

struct mbms_bmsc_action *bmsc_action_push(struct mbms_bmsc *b, enum mbms_bmsc_action_kind kind)
{
	struct bmsc_action_queue *q = &b->q;
	if (q->head == q->count && q->count)
		queue_reset(q);
	if (q->count == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct mbms_bmsc_action *na = malloc(cap * sizeof(*na));
		if (!na)
			return NULL;
		if (q->count)
			memcpy(na, q->a, q->count * sizeof(*na));
		memset(na + q->count, 0, (cap - q->count) * sizeof(*na));
		if (q->count)
			mbms_wipe(q->a, q->count * sizeof(*na));
		free(q->a);
		q->a = na;
		q->cap = cap;
	}
	struct mbms_bmsc_action *a = &q->a[q->count++];
	a->kind = kind; /* the rest is zero */
	return a;
}

/* Take back the action just queued (a datagram that could not be built). */
void bmsc_action_unpush(struct mbms_bmsc *b)
{
	struct bmsc_action_queue *q = &b->q;
	if (q->count <= q->head)
		return;
	struct mbms_bmsc_action *a = &q->a[--q->count];
	mbms_wipe(&a->u, sizeof(a->u)); /* whatever a failed build left */
	a->kind = 0;
}

const struct mbms_bmsc_action *mbms_bmsc_action_next(struct mbms_bmsc *b)
{
	if (!b)
		return NULL;
	struct bmsc_action_queue *q = &b->q;
	if (q->head == q->count)
		return NULL;
	return &q->a[q->head++];
}

void mbms_bmsc_actions_done(struct mbms_bmsc *b)
{
	if (b && b->q.head == b->q.count)
		queue_reset(&b->q);
}

size_t mbms_bmsc_action_count(const struct mbms_bmsc *b)
{
	return b ? b->q.count - b->q.head : 0;
}

void bmsc_log(struct mbms_bmsc *b, enum mbms_bmsc_log_level level, const char *fmt, ...)
{
	if (!bmsc_log_on(b, level))
		return;
	struct mbms_bmsc_action *a = bmsc_action_push(b, MBMS_BMSC_ACT_LOG);
	if (!a)
		return;
	a->u.log.level = level;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->u.log.text, sizeof(a->u.log.text), fmt, ap);
	va_end(ap);
}

struct mbms_bmsc_rec *bmsc_rec(struct mbms_bmsc *b, enum mbms_bmsc_rec_kind kind)
{
	struct mbms_bmsc_action *a = bmsc_action_push(b, MBMS_BMSC_ACT_PERSIST);
	if (!a)
		return NULL;
	a->u.rec.kind = kind;
	return &a->u.rec;
}

/* A SEND action whose datagram the caller writes in place (up to
 * MBMS_MSG_MAX_LEN bytes), then sets u.send.len; bmsc_action_unpush if
 * it cannot. Saves building into a stack buffer, copying and wiping it. */
struct mbms_bmsc_action *bmsc_send_slot(struct mbms_bmsc *b, const struct mbms_bmsc_addr *to,
					const char *impi)
{
	struct mbms_bmsc_action *a = bmsc_action_push(b, MBMS_BMSC_ACT_SEND);
	if (!a)
		return NULL;
	a->u.send.to = *to;
	a->u.send.len = 0;
	if (impi) {
		size_t n = strnlen(impi, sizeof(a->u.send.impi) - 1);
		memcpy(a->u.send.impi, impi, n);
		a->u.send.impi[n] = '\0';
	}
	return a;
}

int bmsc_send(struct mbms_bmsc *b, const struct mbms_bmsc_addr *to, const uint8_t *data,
	      size_t len, const char *impi)
{
	if (len > MBMS_MSG_MAX_LEN)
		return MBMS_ENOSPC;
	struct mbms_bmsc_action *a = bmsc_send_slot(b, to, impi);
	if (!a)
		return MBMS_ENOMEM;
	a->u.send.len = len;
	memcpy(a->u.send.data, data, len);
	return 0;
}

int bmsc_kg_index(const struct mbms_bmsc *b, uint16_t key_group)
{
	for (size_t i = 0; i < b->nkg; i++)
		if (b->kg[i].cfg->key_group == key_group)
			return (int)i;
	return -1;
}

int bmsc_service_index(const struct mbms_bmsc *b, const char *id, size_t len)
{
	for (size_t i = 0; i < b->nsvc; i++) {
		const char *s = b->svc[i].cfg->service_id;
		if (strlen(s) == len && memcmp(s, id, len) == 0)
			return (int)i;
	}
	return -1;
}

void bmsc_msk_id_hex(uint32_t msk_id, char out[9])
{
	uint8_t be[4];
	mbms_put_be32(be, msk_id);
	mbms_hex_encode(be, 4, out, 9);
}

/* ---- life cycle ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int build_services(struct mbms_bmsc *b)
{
	const struct mbms_bmsc_config *c = b->cfg;
	b->svc = calloc(c->nservices, sizeof(*b->svc));
	if (!b->svc)
		return MBMS_ENOMEM;
	b->nsvc = c->nservices;
	for (size_t i = 0; i < c->nservices; i++) {
		struct bmsc_service *s = &b->svc[i];
		s->cfg = &c->services[i];
		s->kg = calloc(s->cfg->nkey_groups, sizeof(*s->kg));
		s->exact = calloc(s->cfg->nsubscribers + 1, sizeof(*s->exact));
		s->suffix = calloc(s->cfg->nsubscribers + 1, sizeof(*s->suffix));
		if (!s->kg || !s->exact || !s->suffix)
			return MBMS_ENOMEM;
		for (size_t j = 0; j < s->cfg->nkey_groups; j++) {
			int k = bmsc_kg_index(b, s->cfg->key_groups[j]);
			s->kg[j] = (size_t)k;
			b->kg[k].service_mask |= 1ULL << i;
		}
		for (size_t j = 0; j < s->cfg->nsubscribers; j++) {
			const char *e = s->cfg->subscribers[j];
			if (e[0] == '*')
				s->suffix[s->nsuffix++] = e + 1; /* "@domain" */
			else
				s->exact[s->nexact++] = (char *)(uintptr_t)e;
		}
		qsort(s->exact, s->nexact, sizeof(*s->exact), cmp_str);
	}
	return 0;
}

int mbms_bmsc_new(const struct mbms_bmsc_config *cfg, struct mbms_bmsc **out)
{
	if (!out)
		return MBMS_EINVAL;
	*out = NULL;
	if (mbms_bmsc_config_check(cfg, NULL, 0))
		return MBMS_EINVAL;
	struct mbms_bmsc *b = calloc(1, sizeof(*b));
	if (!b)
		return MBMS_ENOMEM;
	b->cfg = cfg;
	b->log_max = MBMS_BMSC_LOG_DEBUG;
	b->fqdn_len = strlen(cfg->fqdn);
	b->announce_port = cfg->announce_port;
	snprintf(b->realm, sizeof(b->realm), "%s%s", MBMS_PROFILE_REALM_PREFIX, cfg->fqdn);
	int rc = MBMS_ENOMEM;
	b->kg = calloc(cfg->nkey_groups, sizeof(*b->kg));
	if (!b->kg)
		goto fail;
	b->nkg = cfg->nkey_groups;
	for (size_t i = 0; i < b->nkg; i++)
		b->kg[i].cfg = &cfg->key_groups[i];
	if ((rc = build_services(b)) != 0)
		goto fail;
	rc = MBMS_ENOMEM;
	if (cfg->nsessions) {
		b->sess = calloc(cfg->nsessions, sizeof(*b->sess));
		if (!b->sess)
			goto fail;
	}
	b->nsess = cfg->nsessions;
	for (size_t i = 0; i < b->nsess; i++) {
		b->sess[i].cfg = &cfg->sessions[i];
		b->sess[i].kg = (size_t)bmsc_kg_index(b, cfg->sessions[i].key_group);
	}
	uint8_t nc_key[16];
	if ((rc = bmsc_random(b, b->hash_key, sizeof(b->hash_key))) != 0 ||
	    (rc = bmsc_random(b, nc_key, sizeof(nc_key))) != 0 ||
	    (rc = bmsc_random(b, b->nonce_secret, sizeof(b->nonce_secret))) != 0)
		goto fail;
	if ((rc = bmsc_nc_init(&b->nc, cfg->nc_table_cap, nc_key)) != 0)
		goto fail;
	*out = b;
	return 0;
fail:
	mbms_bmsc_free(b);
	return rc;
}

void mbms_bmsc_free(struct mbms_bmsc *b)
{
	if (!b)
		return;
	bmsc_ue_table_free(b);
	free(b->heap);
	free(b->ack_bucket[0]);
	free(b->ack_bucket[1]);
	free(b->jobs);
	bmsc_nc_free(&b->nc);
	if (b->svc)
		for (size_t i = 0; i < b->nsvc; i++) {
			free(b->svc[i].kg);
			free(b->svc[i].exact);
			free(b->svc[i].suffix);
		}
	free(b->svc);
	if (b->kg)
		mbms_wipe(b->kg, b->nkg * sizeof(*b->kg));
	free(b->kg);
	free(b->sess);
	queue_reset(&b->q);
	free(b->q.a);
	if (b->body)
		mbms_wipe(b->body, b->body_cap);
	free(b->body);
	mbms_wipe(b, sizeof(*b));
	free(b);
}

void mbms_bmsc_set_log_level(struct mbms_bmsc *b, enum mbms_bmsc_log_level max)
{
	if (b)
		b->log_max = (uint8_t)(max <= MBMS_BMSC_LOG_DEBUG ? max : MBMS_BMSC_LOG_DEBUG);
}

void mbms_bmsc_set_announce_port(struct mbms_bmsc *b, uint16_t port)
{
	if (b)
		b->announce_port = port;
}

/* ---- restore ---- */

static void restore_msk(struct mbms_bmsc *b, const struct mbms_bmsc_rec_msk *m)
{
	int k = bmsc_kg_index(b, m->key_group);
	if (k < 0 || mbms_msk_id_key_group(m->msk_id) != m->key_group ||
	    mbms_msk_id_key_number(m->msk_id) == 0 ||
	    (m->state != MBMS_BMSC_MSK_NEXT && m->state != MBMS_BMSC_MSK_CURRENT)) {
		struct mbms_bmsc_rec *r = bmsc_rec(b, MBMS_BMSC_REC_MSK_DEL);
		if (r)
			r->msk_id = m->msk_id;
		bmsc_log(b, MBMS_BMSC_LOG_WARN,
			 "restore: MSK %08x dropped (key group %u not configured)", m->msk_id,
			 m->key_group);
		return;
	}
	struct bmsc_kg *g = &b->kg[k];
	struct bmsc_msk *dst = m->state == MBMS_BMSC_MSK_CURRENT ? &g->cur : &g->next;
	if (dst->used) {
		/* two rows claim one role: keep the newer Key Number */
		if (!mbms_serial16_newer(mbms_msk_id_key_number(m->msk_id),
					 mbms_msk_id_key_number(dst->msk_id)))
			return;
	}
	memset(dst, 0, sizeof(*dst));
	dst->used = true;
	dst->msk_id = m->msk_id;
	memcpy(dst->key, m->key, MBMS_MSK_LEN);
	dst->vf = m->vf;
	dst->vt = m->vt;
	dst->valid_from = m->valid_from_ms;
	dst->valid_until = m->valid_until_ms;
	dst->ts_next = dst->ts_hwm = m->ts_hwm ? m->ts_hwm : 1;
	dst->have_mtk = m->have_mtk_id;
	dst->mtk_id = m->mtk_id_last;
	uint16_t kn = mbms_msk_id_key_number(m->msk_id);
	if (g->last_kn == 0 || mbms_serial16_newer(kn, g->last_kn))
		g->last_kn = kn;
}

static void restore_ue(struct mbms_bmsc *b, const struct mbms_bmsc_rec_ue *r)
{
	if (!r->impi[0] || bmsc_ue_by_impi(b, r->impi))
		return;
	struct bmsc_ue *ue = bmsc_ue_new(b, r->impi);
	if (!ue)
		return;
	if (r->btid[0])
		bmsc_ue_set_btid(b, ue, r->btid);
	memcpy(ue->muk, r->muk, MBMS_MUK_LEN);
	ue->muk_expires = r->muk_expires_ms;
	ue->addr = r->addr;
	/* Resume above everything that may have been used: the next value
	 * reserves a fresh block before it goes out. */
	ue->ts_next = ue->ts_hwm = r->ts_hwm ? r->ts_hwm : 1;
	ue->persisted = true;
}

static void restore_reg(struct mbms_bmsc *b, const struct mbms_bmsc_rec *r)
{
	struct bmsc_ue *ue = bmsc_ue_by_impi(b, r->ue.impi);
	int s = bmsc_service_index(b, r->service_id, strlen(r->service_id));
	if (!ue || s < 0) {
		struct mbms_bmsc_rec *d = bmsc_rec(b, MBMS_BMSC_REC_UNREG);
		if (d) {
			snprintf(d->ue.impi, sizeof(d->ue.impi), "%s", r->ue.impi);
			snprintf(d->service_id, sizeof(d->service_id), "%s", r->service_id);
		}
		return;
	}
	uint64_t bit = 1ULL << s;
	if (ue->services & bit)
		return;
	if (!ue->services)
		b->st.registered_ues++;
	for (size_t j = 0; j < b->svc[s].cfg->nkey_groups; j++) {
		size_t k = b->svc[s].kg[j];
		if (!(ue->services & b->kg[k].service_mask))
			b->kg[k].registered++;
	}
	ue->services |= bit;
	b->svc[s].registered++;
}

static void restore_push(struct mbms_bmsc *b, const struct mbms_bmsc_rec *r)
{
	struct bmsc_ue *ue = bmsc_ue_by_impi(b, r->ue.impi);
	int k = bmsc_kg_index(b, mbms_msk_id_key_group(r->msk_id));
	struct bmsc_msk *m = k >= 0 ? bmsc_kg_msk(b, (size_t)k, r->msk_id) : NULL;
	if (!ue || !m) {
		struct mbms_bmsc_rec *d = bmsc_rec(b, MBMS_BMSC_REC_PUSH_DEL);
		if (d) {
			snprintf(d->ue.impi, sizeof(d->ue.impi), "%s", r->ue.impi);
			d->msk_id = r->msk_id;
		}
		return;
	}
	uint16_t kn = mbms_msk_id_key_number(r->msk_id);
	if (ue->kn_pushed[k] == 0 || mbms_serial16_newer(kn, ue->kn_pushed[k]))
		ue->kn_pushed[k] = kn;
	if (r->push_state == MBMS_BMSC_PUSH_PENDING) {
		/* resent by mbms_bmsc_start with a fresh counter */
		struct bmsc_push *p = calloc(1, sizeof(*p));
		if (!p)
			return;
		p->ue = ue;
		p->kind = BMSC_PUSH_MSK;
		p->msk_id = r->msk_id;
		/* it went out before the stop (its row precedes the datagram);
		 * at least one more transmission after the restart */
		p->attempts = r->push_attempts < b->cfg->retransmit_count
				      ? r->push_attempts
				      : (uint8_t)b->cfg->retransmit_count;
		if (p->attempts == 0)
			p->attempts = 1;
		p->heap_idx = BMSC_NO_INDEX;
		p->deadline = 0;
		if (bmsc_heap_add(b, p)) {
			free(p);
			return;
		}
		p->next_in_ue = ue->pushes;
		ue->pushes = p;
		ue->npushes++;
	}
}

int mbms_bmsc_restore(struct mbms_bmsc *b, const struct mbms_bmsc_rec *r)
{
	if (!b || !r)
		return MBMS_EINVAL;
	if (b->started)
		return MBMS_ESTATE;
	switch (r->kind) {
	case MBMS_BMSC_REC_KEY_GROUP: {
		int k = bmsc_kg_index(b, r->key_group);
		if (k >= 0 && r->last_key_number &&
		    (b->kg[k].last_kn == 0 || mbms_serial16_newer(r->last_key_number, b->kg[k].last_kn)))
			b->kg[k].last_kn = r->last_key_number;
		return 0;
	}
	case MBMS_BMSC_REC_MSK:
		restore_msk(b, &r->msk);
		return 0;
	case MBMS_BMSC_REC_UE:
		restore_ue(b, &r->ue);
		return 0;
	case MBMS_BMSC_REC_REG:
		restore_reg(b, r);
		return 0;
	case MBMS_BMSC_REC_PUSH:
		restore_push(b, r);
		return 0;
	default:
		return MBMS_EINVAL;
	}
}

int mbms_bmsc_start(struct mbms_bmsc *b, uint64_t now)
{
	if (!b)
		return MBMS_EINVAL;
	if (b->started)
		return MBMS_ESTATE;
	b->started = true;
	/* pending pushes restored with deadline 0 go out at the first tick */
	int rc = bmsc_kg_start(b, now);
	for (size_t i = 0; i < b->nsess; i++)
		b->sess[i].next_send = now;
	b->gc_next = now + GC_INTERVAL_MS;
	bmsc_log(b, MBMS_BMSC_LOG_INFO,
		 "started: %zu service(s), %zu key group(s), %zu session(s), %zu UE(s) restored "
		 "(%llu registered), %u push(es) to resume",
		 b->nsvc, b->nkg, b->nsess, b->nues, (unsigned long long)b->st.registered_ues,
		 b->heap_len);
	return rc;
}

/* ---- the clock ---- */

/* Drop UEs that are neither registered nor hold a usable MUK: their MUK
 * can never be used again (a new request needs a valid B-TID). */
static void gc_step(struct mbms_bmsc *b, uint64_t now, unsigned *budget)
{
	if (b->gc_cursor == 0 && now < b->gc_next)
		return;
	while (*budget && b->gc_cursor < b->nslots) {
		struct bmsc_ue *ue = b->slots[b->gc_cursor++];
		(*budget)--;
		if (!ue || ue->services || ue->pushes || ue->muk_expires > now)
			continue;
		if (ue->persisted) {
			struct mbms_bmsc_rec *r = bmsc_rec(b, MBMS_BMSC_REC_UE_DEL);
			if (r)
				snprintf(r->ue.impi, sizeof(r->ue.impi), "%s", ue->impi);
		}
		bmsc_ue_delete(b, ue);
	}
	if (b->gc_cursor >= b->nslots) {
		b->gc_cursor = 0;
		b->gc_next = now + GC_INTERVAL_MS;
	}
}

int mbms_bmsc_tick(struct mbms_bmsc *b, uint64_t now, unsigned budget)
{
	if (!b)
		return MBMS_EINVAL;
	if (!b->started)
		return 0;
	if (budget == 0)
		budget = DEFAULT_BUDGET;
	bmsc_nc_expire(&b->nc, now / 1000, b->cfg->nonce_lifetime_ms / 1000);
	bmsc_kg_tick(b, now);
	bmsc_sessions_tick(b, now);
	bmsc_push_tick(b, now, &budget);
	bmsc_jobs_tick(b, now, &budget);
	gc_step(b, now, &budget);
	return mbms_bmsc_next_deadline(b) <= now;
}

uint64_t mbms_bmsc_next_deadline(const struct mbms_bmsc *b)
{
	if (!b || !b->started)
		return UINT64_MAX;
	uint64_t d = b->gc_cursor ? 0 : b->gc_next;
	if (b->njobs)
		d = 0;
	if (b->heap_len && b->heap[0]->deadline < d)
		d = b->heap[0]->deadline;
	uint64_t k = bmsc_kg_deadline(b);
	if (k < d)
		d = k;
	uint64_t s = bmsc_sessions_deadline(b);
	return s < d ? s : d;
}
