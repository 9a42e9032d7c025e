/* The BM-SC state machine: configuration check, life cycle, the action
 * queue, restore/start, the clock, counters and the status report
 * (include/mbmssec/bmsc.h). The procedures are in bmsc_http.c (HTTP),
 * bmsc_keys.c (MSKs, MTKs) and bmsc_push.c (MIKEY pushes and acks). */
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

int mbms_bmsc_addr_format(const struct mbms_bmsc_addr *a, char *out, size_t cap)
{
	char ip[64];
	if (!a || !out || !cap)
		return MBMS_EINVAL;
	if (a->family != 4 && a->family != 6) {
		int n = snprintf(out, cap, "-");
		return n < 0 || (size_t)n >= cap ? MBMS_ENOSPC : 0;
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

/* ---- configuration ---- */

static int why_out(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int why_out(char *why, size_t cap, const char *fmt, ...)
{
	if (why && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return MBMS_EINVAL;
}

static const struct mbms_bmsc_key_group_cfg *cfg_kg(const struct mbms_bmsc_config *c,
						    uint16_t key_group)
{
	for (size_t i = 0; i < c->nkey_groups; i++)
		if (c->key_groups[i].key_group == key_group)
			return &c->key_groups[i];
	return NULL;
}

static const struct mbms_bmsc_service_cfg *cfg_svc(const struct mbms_bmsc_config *c,
						   const char *id)
{
	for (size_t i = 0; i < c->nservices; i++)
		if (strcmp(c->services[i].service_id, id) == 0)
			return &c->services[i];
	return NULL;
}

int mbms_bmsc_config_check(const struct mbms_bmsc_config *c, char *why, size_t cap)
{
	if (!c)
		return why_out(why, cap, "no configuration");
	struct mbms_hostport hp;
	memset(&hp, 0, sizeof(hp));
	if (!c->fqdn || !*c->fqdn || strlen(c->fqdn) > MBMS_KMXML_HOST_MAX)
		return why_out(why, cap, "the BM-SC FQDN is missing or too long");
	snprintf(hp.host, sizeof(hp.host), "%s", c->fqdn);
	if (mbms_hostport_check(&hp) || strchr(c->fqdn, ':'))
		return why_out(why, cap, "the BM-SC FQDN '%s' is not a host name", c->fqdn);
	if (c->nservices == 0 || c->nservices > MBMS_BMSC_MAX_SERVICES)
		return why_out(why, cap, "1 to %d services are needed", MBMS_BMSC_MAX_SERVICES);
	if (c->nkey_groups == 0 || c->nkey_groups > MBMS_BMSC_MAX_KEY_GROUPS)
		return why_out(why, cap, "1 to %d key groups are needed", MBMS_BMSC_MAX_KEY_GROUPS);
	for (size_t i = 0; i < c->nkey_groups; i++) {
		const struct mbms_bmsc_key_group_cfg *k = &c->key_groups[i];
		if (cfg_kg(c, k->key_group) != k)
			return why_out(why, cap, "key group %u is given twice", k->key_group);
		if (k->msk_lifetime_ms < 1000)
			return why_out(why, cap, "key group %u: the MSK lifetime must be >= 1 s",
				       k->key_group);
		if (k->lead_time_ms == 0 || k->lead_time_ms >= k->msk_lifetime_ms)
			return why_out(why, cap,
				       "key group %u: the lead time must be > 0 and below the MSK "
				       "lifetime",
				       k->key_group);
		if (k->mtk_id_count == 0)
			return why_out(why, cap, "key group %u: at least one MTK ID per MSK",
				       k->key_group);
		if (k->mtk_lifetime_ms < 100)
			return why_out(why, cap, "key group %u: the MTK lifetime must be >= 100 ms",
				       k->key_group);
	}
	for (size_t i = 0; i < c->nservices; i++) {
		const struct mbms_bmsc_service_cfg *s = &c->services[i];
		if (!s->service_id || mbms_km_service_id_check(s->service_id, strlen(s->service_id)))
			return why_out(why, cap, "service %zu: '%s' is not a service ID (an absolute URI)",
				       i + 1, s->service_id ? s->service_id : "");
		if (cfg_svc(c, s->service_id) != s)
			return why_out(why, cap, "service %s is given twice", s->service_id);
		if (s->nkey_groups == 0 || s->nkey_groups > MBMS_KMXML_MAX_ITEMS)
			return why_out(why, cap, "service %s: 1 to %d key groups", s->service_id,
				       MBMS_KMXML_MAX_ITEMS);
		for (size_t j = 0; j < s->nkey_groups; j++) {
			if (!cfg_kg(c, s->key_groups[j]))
				return why_out(why, cap, "service %s: key group %u is not configured",
					       s->service_id, s->key_groups[j]);
			for (size_t m = 0; m < j; m++)
				if (s->key_groups[m] == s->key_groups[j])
					return why_out(why, cap, "service %s: key group %u twice",
						       s->service_id, s->key_groups[j]);
		}
		if (!s->any_subscriber && s->nsubscribers == 0)
			return why_out(why, cap, "service %s: no subscriber may use it",
				       s->service_id);
		for (size_t j = 0; j < s->nsubscribers; j++) {
			const char *e = s->subscribers[j];
			if (!e || !*e || strlen(e) >= MBMS_BMSC_IMPI_MAX ||
			    (e[0] == '*' && (e[1] != '@' || !e[2])) || strchr(e + 1, '*'))
				return why_out(why, cap,
					       "service %s: subscriber entry '%s' must be an IMPI or "
					       "*@domain",
					       s->service_id, e ? e : "");
		}
		if (s->offset_time > MBMS_ANNOUNCEMENT_MAX_TIME ||
		    s->random_time_period > MBMS_ANNOUNCEMENT_MAX_TIME)
			return why_out(why, cap, "service %s: offset/random time above %u s",
				       s->service_id, MBMS_ANNOUNCEMENT_MAX_TIME);
	}
	for (size_t i = 0; i < c->nsessions; i++) {
		const struct mbms_bmsc_session_cfg *s = &c->sessions[i];
		const char *name = s->name ? s->name : "?";
		const struct mbms_bmsc_service_cfg *svc = s->service_id ? cfg_svc(c, s->service_id)
									: NULL;
		if (!svc)
			return why_out(why, cap, "session %s: unknown service", name);
		bool found = false;
		for (size_t j = 0; j < svc->nkey_groups; j++)
			found |= svc->key_groups[j] == s->key_group;
		if (!found)
			return why_out(why, cap, "session %s: key group %u is not one of service %s",
				       name, s->key_group, svc->service_id);
		if (s->destination.port == 0 || mbms_hostport_check(&s->destination))
			return why_out(why, cap, "session %s: destination must be host:port", name);
		if (s->mtk_port == 0)
			return why_out(why, cap, "session %s: mtk port 0", name);
		if (s->nsend_to == 0 || !s->send_to)
			return why_out(why, cap, "session %s: nowhere to send MTK messages", name);
		for (size_t j = 0; j < s->nsend_to; j++)
			if ((s->send_to[j].family != 4 && s->send_to[j].family != 6) ||
			    s->send_to[j].port == 0)
				return why_out(why, cap, "session %s: MTK address %zu is not IP:port",
					       name, j + 1);
		if (s->mtk_interval_ms == 0)
			return why_out(why, cap, "session %s: MTK interval 0", name);
	}
	for (size_t i = 0; i < c->nservices; i++) {
		size_t n = 0;
		for (size_t j = 0; j < c->nsessions; j++)
			n += strcmp(c->sessions[j].service_id, c->services[i].service_id) == 0;
		if (n > MBMS_KMXML_MAX_ITEMS)
			return why_out(why, cap, "service %s: more than %d sessions",
				       c->services[i].service_id, MBMS_KMXML_MAX_ITEMS);
	}
	if (c->nonce_lifetime_ms < 1000)
		return why_out(why, cap, "the nonce lifetime must be >= 1 s");
	if (c->nc_table_cap < 16 || c->nc_table_cap > (1u << 24))
		return why_out(why, cap, "the nc table holds 16 to 16777216 nonces");
	if (c->retransmit_initial_ms == 0 || c->retransmit_max_ms < c->retransmit_initial_ms)
		return why_out(why, cap, "retransmission: initial > 0 and max >= initial");
	if (c->retransmit_count > 50)
		return why_out(why, cap, "retransmission: at most 50 retransmissions");
	if (c->counter_block == 0 || c->counter_block > (1u << 20))
		return why_out(why, cap, "the counter block is 1 to 1048576");
	return 0;
}

/* ---- helpers for the other files ---- */

int bmsc_random(struct mbms_bmsc *b, uint8_t *buf, size_t len)
{
	if (b->cfg->random)
		return b->cfg->random(b->cfg->random_user, buf, len) ? MBMS_ECRYPTO : 0;
	return mbms_random(buf, len);
}

static void queue_reset(struct bmsc_action_queue *q)
{
	if (q->count)
		mbms_wipe(q->a, q->count * sizeof(*q->a));
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
		if (q->count) {
			memcpy(na, q->a, q->count * sizeof(*na));
			mbms_wipe(q->a, q->count * sizeof(*na));
		}
		free(q->a);
		q->a = na;
		q->cap = cap;
	}
	struct mbms_bmsc_action *a = &q->a[q->count++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	return a;
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

int bmsc_send(struct mbms_bmsc *b, const struct mbms_bmsc_addr *to, const uint8_t *data,
	      size_t len, const char *impi)
{
	if (len > MBMS_MSG_MAX_LEN)
		return MBMS_ENOSPC;
	struct mbms_bmsc_action *a = bmsc_action_push(b, MBMS_BMSC_ACT_SEND);
	if (!a)
		return MBMS_ENOMEM;
	a->u.send.to = *to;
	a->u.send.len = len;
	memcpy(a->u.send.data, data, len);
	if (impi)
		snprintf(a->u.send.impi, sizeof(a->u.send.impi), "%s", impi);
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

/* ---- counters and status ---- */

void mbms_bmsc_get_stats(const struct mbms_bmsc *b, struct mbms_bmsc_stats *out)
{
	if (!b || !out)
		return;
	*out = b->st;
	out->ues = b->nues;
	out->pending_pushes = b->heap_len;
}

int mbms_bmsc_key_group_msks(const struct mbms_bmsc *b, uint16_t key_group, uint32_t *current,
			     uint32_t *next)
{
	int k = b ? bmsc_kg_index(b, key_group) : -1;
	if (k < 0)
		return MBMS_ENOTFOUND;
	if (current)
		*current = b->kg[k].cur.used ? b->kg[k].cur.msk_id : 0;
	if (next)
		*next = b->kg[k].next.used ? b->kg[k].next.msk_id : 0;
	return 0;
}

struct jw {
	char *p;
	size_t cap, len;
	bool overflow;
};

static void jw_put(struct jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void jw_put(struct jw *w, const char *fmt, ...)
{
	if (w->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(w->p + w->len, w->cap - w->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->cap - w->len) {
		w->overflow = true;
		return;
	}
	w->len += (size_t)n;
}

/* A JSON string: service IDs are URIs, but escape anyway. */
static void jw_str(struct jw *w, const char *s)
{
	jw_put(w, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			jw_put(w, "\\%c", c);
		else if (c < 0x20)
			jw_put(w, "\\u%04x", c);
		else
			jw_put(w, "%c", c);
	}
	jw_put(w, "\"");
}

int mbms_bmsc_status_json(const struct mbms_bmsc *b, uint64_t now, char *out, size_t cap,
			  size_t *out_len)
{
	if (!b || !out || !cap)
		return MBMS_EINVAL;
	struct jw w = {out, cap, 0, false};
	char kd[7];
	mbms_hex_encode(b->cfg->key_domain_id, 3, kd, sizeof(kd));
	jw_put(&w, "{\"fqdn\":");
	jw_str(&w, b->cfg->fqdn);
	jw_put(&w, ",\"key_domain_id\":\"%s\",\"now_ms\":%llu,\"services\":[", kd,
	       (unsigned long long)now);
	for (size_t i = 0; i < b->nsvc; i++) {
		jw_put(&w, "%s{\"service_id\":", i ? "," : "");
		jw_str(&w, b->svc[i].cfg->service_id);
		jw_put(&w, ",\"registered_ues\":%llu,\"key_groups\":[",
		       (unsigned long long)b->svc[i].registered);
		for (size_t j = 0; j < b->svc[i].cfg->nkey_groups; j++)
			jw_put(&w, "%s%u", j ? "," : "", b->svc[i].cfg->key_groups[j]);
		jw_put(&w, "]}");
	}
	jw_put(&w, "],\"key_groups\":[");
	for (size_t k = 0; k < b->nkg; k++) {
		const struct bmsc_kg *g = &b->kg[k];
		char cur[9] = "", nxt[9] = "";
		if (g->cur.used)
			bmsc_msk_id_hex(g->cur.msk_id, cur);
		if (g->next.used)
			bmsc_msk_id_hex(g->next.msk_id, nxt);
		jw_put(&w,
		       "%s{\"key_group\":%u,\"current_msk_id\":%s%s%s,\"next_msk_id\":%s%s%s,"
		       "\"switch_over_ms\":%llu,\"current_mtk_id\":%u,\"registered_ues\":%llu}",
		       k ? "," : "", g->cfg->key_group, cur[0] ? "\"" : "", cur[0] ? cur : "null",
		       cur[0] ? "\"" : "", nxt[0] ? "\"" : "", nxt[0] ? nxt : "null",
		       nxt[0] ? "\"" : "", (unsigned long long)(g->cur.used ? g->cur.valid_until : 0),
		       g->cur.have_mtk ? g->cur.mtk_id : 0, (unsigned long long)g->registered);
	}
	const struct mbms_bmsc_stats *s = &b->st;
	jw_put(&w,
	       "],\"ues\":%zu,\"registered_ues\":%llu,\"pending_pushes\":%u,"
	       "\"pushes\":{\"sent\":%llu,\"acked\":%llu,\"retransmitted\":%llu,\"given_up\":%llu},"
	       "\"triggers\":{\"sent\":%llu,\"acked\":%llu,\"given_up\":%llu},"
	       "\"acks\":{\"invalid\":%llu,\"unmatched\":%llu},"
	       "\"msks_made\":%llu,\"switch_overs\":%llu,\"mtk_messages\":%llu,\"mtks_made\":%llu,"
	       "\"http\":{\"requests\":%llu,\"200\":%llu,\"400\":%llu,\"401\":%llu,\"403\":%llu,"
	       "\"404\":%llu,\"405\":%llu,\"415\":%llu,\"500\":%llu,\"503\":%llu},"
	       "\"procedures\":{\"register\":%llu,\"deregister\":%llu,\"msk_request\":%llu,"
	       "\"announcement\":%llu},"
	       "\"items\":{\"200\":%llu,\"403\":%llu,\"404\":%llu,\"503\":%llu},"
	       "\"zn\":{\"fetches\":%llu,\"unknown\":%llu,\"failures\":%llu},"
	       "\"digest\":{\"stale\":%llu,\"replays\":%llu,\"failures\":%llu},"
	       "\"counter_reservations\":%llu}",
	       b->nues, (unsigned long long)s->registered_ues, b->heap_len,
	       (unsigned long long)s->pushes_sent, (unsigned long long)s->pushes_acked,
	       (unsigned long long)s->retransmissions, (unsigned long long)s->pushes_given_up,
	       (unsigned long long)s->triggers_sent, (unsigned long long)s->triggers_acked,
	       (unsigned long long)s->triggers_given_up, (unsigned long long)s->acks_invalid,
	       (unsigned long long)s->acks_unmatched, (unsigned long long)s->msks_made,
	       (unsigned long long)s->switch_overs, (unsigned long long)s->mtk_messages,
	       (unsigned long long)s->mtks_made, (unsigned long long)s->http_requests,
	       (unsigned long long)s->http_200, (unsigned long long)s->http_400,
	       (unsigned long long)s->http_401, (unsigned long long)s->http_403,
	       (unsigned long long)s->http_404, (unsigned long long)s->http_405,
	       (unsigned long long)s->http_415,
	       (unsigned long long)s->http_500, (unsigned long long)s->http_503,
	       (unsigned long long)s->registers, (unsigned long long)s->deregisters,
	       (unsigned long long)s->msk_requests, (unsigned long long)s->announcements,
	       (unsigned long long)s->items_200, (unsigned long long)s->items_403,
	       (unsigned long long)s->items_404, (unsigned long long)s->items_503,
	       (unsigned long long)s->zn_fetches, (unsigned long long)s->zn_unknown,
	       (unsigned long long)s->zn_failures, (unsigned long long)s->digest_stale,
	       (unsigned long long)s->digest_replays, (unsigned long long)s->digest_failures,
	       (unsigned long long)s->counter_reservations);
	if (w.overflow)
		return MBMS_ENOSPC;
	if (out_len)
		*out_len = w.len;
	return 0;
}
