/* BM-SC counters and the admin status report (include/mbmssec/bmsc.h). */
#include "bmsc_priv.h"

#include "mbmssec/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
