/* bmscd's operations view on the admin listener (docs/operations.md
 * "Metrics"): GET /metrics in the Prometheus text format, GET /status as
 * an HTML page for a browser (bmsc/status_page.c; JSON stays the answer for
 * `bmscd ctl status` and curl), and the shell's own counters: requests by
 * procedure and status, admin actions, recent events. Everything else is
 * what the core counts (mbms_bmsc_get_stats, mbms_bmsc_key_group_info).
 *
 * The shell counters are atomics: the key-management and admin listeners
 * run on their own threads. Values from the core are read under d->lock.
 * Only key IDs, counts and times are written here: never a key. */
#include "bmscd.h"

#include "events.h"
#include "metrics.h"
#include "status_page.h"

#include "mbmssec/error.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MBMS_VERSION
#define MBMS_VERSION "0.1.0"
#endif

static const char *const proc_name[BMSCD_PROC_COUNT] = {
	[BMSCD_PROC_REGISTER] = "register",
	[BMSCD_PROC_DEREGISTER] = "deregister",
	[BMSCD_PROC_MSK_REQUEST] = "msk_request",
	[BMSCD_PROC_ANNOUNCEMENT] = "announcement",
	[BMSCD_PROC_OTHER] = "other",
};

/* The statuses the key-management interface answers; anything else is
 * counted as "other". */
static const unsigned status_code[BMSCD_STATUS_COUNT - 1] = {200, 400, 401, 403, 404,
							     405, 413, 415, 500, 503};

static struct {
	_Atomic uint64_t requests[BMSCD_PROC_COUNT][BMSCD_STATUS_COUNT];
	_Atomic uint64_t admin[2][2]; /* [solicit, rotate][ok, refused] */
	_Atomic uint64_t solicited_pulls;
	_Atomic uint64_t started_ms;
} g_m;

void bmscd_metrics_start(uint64_t now_ms)
{
	atomic_store(&g_m.started_ms, now_ms);
}

uint64_t bmscd_metrics_started_ms(void)
{
	return atomic_load(&g_m.started_ms);
}

const char *bmscd_proc_name(enum bmscd_proc p)
{
	return p < BMSCD_PROC_COUNT ? proc_name[p] : "other";
}

void bmscd_status_label(size_t i, char *out, size_t cap)
{
	if (i < BMSCD_STATUS_COUNT - 1)
		snprintf(out, cap, "%u", status_code[i]);
	else
		snprintf(out, cap, "other");
}

static size_t status_index(unsigned status)
{
	for (size_t i = 0; i < BMSCD_STATUS_COUNT - 1; i++)
		if (status_code[i] == status)
			return i;
	return BMSCD_STATUS_COUNT - 1;
}

/* The procedure a request asked for, as PROFILE.md 7 and 8 name them
 * (labels only: the library decides what the request is). */
static enum bmscd_proc classify(const struct mbms_bmsc_http_req *req)
{
	if (req->path && strncmp(req->path, "/announcement/", 14) == 0)
		return BMSCD_PROC_ANNOUNCEMENT;
	if (!req->path || strcmp(req->path, "/keymanagement") != 0 || !req->requesttype)
		return BMSCD_PROC_OTHER;
	if (strcmp(req->requesttype, "register") == 0)
		return BMSCD_PROC_REGISTER;
	if (strcmp(req->requesttype, "deregister") == 0)
		return BMSCD_PROC_DEREGISTER;
	if (strcmp(req->requesttype, "msk-request") == 0)
		return BMSCD_PROC_MSK_REQUEST;
	return BMSCD_PROC_OTHER;
}

void bmscd_metrics_request(const struct mbms_bmsc_http_req *req, unsigned status)
{
	atomic_fetch_add_explicit(&g_m.requests[classify(req)][status_index(status)], 1,
				  memory_order_relaxed);
}

uint64_t bmscd_metrics_requests(enum bmscd_proc p, size_t status_i)
{
	if (p >= BMSCD_PROC_COUNT || status_i >= BMSCD_STATUS_COUNT)
		return 0;
	return atomic_load_explicit(&g_m.requests[p][status_i], memory_order_relaxed);
}

void bmscd_metrics_admin(bool solicit, const char *arg, unsigned status)
{
	atomic_fetch_add_explicit(&g_m.admin[solicit ? 0 : 1][status == 200 ? 0 : 1], 1,
				  memory_order_relaxed);
	if (solicit && status == 200)
		atomic_fetch_add_explicit(&g_m.solicited_pulls, 1, memory_order_relaxed);
	mbmsd_event(status == 200 ? MBMSD_EVENT_OK : MBMSD_EVENT_WARN, "admin", "%s %s%.200s: %u",
		    solicit ? "solicit" : "rotate", solicit ? "" : "key group ", arg ? arg : "",
		    status);
}

/* The core's LOG actions are its procedure outcomes (who, what, status; no
 * keys): INFO and above go to the recent events, whatever the log level. */
void bmscd_metrics_log(enum mbms_bmsc_log_level level, const char *text)
{
	if (level > MBMS_BMSC_LOG_INFO)
		return;
	/* the kind is the text's first word ("register", "push", "key", ...) */
	char kind[MBMSD_EVENT_KIND_MAX];
	size_t n = strcspn(text, " :=");
	if (strncmp(text, "key group ", 10) == 0)
		snprintf(kind, sizeof(kind), "key group");
	else
		snprintf(kind, sizeof(kind), "%.*s", (int)(n < sizeof(kind) ? n : sizeof(kind) - 1),
			 text);
	enum mbmsd_event_level lv = level == MBMS_BMSC_LOG_ERROR  ? MBMSD_EVENT_ERROR
				    : level == MBMS_BMSC_LOG_WARN ? MBMSD_EVENT_WARN
				    : strstr(text, ": acked") || strstr(text, " 200 ")
					    ? MBMSD_EVENT_OK
					    : MBMSD_EVENT_INFO;
	mbmsd_event(lv, kind, "%s", text);
}

/* ---- GET /metrics ---- */

/* What the page needs from the core, copied under the lock. */
int bmscd_snapshot_take(struct bmscd *d, struct bmscd_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&d->lock);
	mbms_bmsc_get_stats(d->core, &s->st);
	s->nkg = mbms_bmsc_key_group_count(d->core);
	s->nsvc = mbms_bmsc_service_count(d->core);
	s->kg = calloc(s->nkg ? s->nkg : 1, sizeof(*s->kg));
	s->svc = calloc(s->nsvc ? s->nsvc : 1, sizeof(*s->svc));
	int rc = s->kg && s->svc ? 0 : MBMS_ENOMEM;
	for (size_t i = 0; rc == 0 && i < s->nkg; i++)
		rc = mbms_bmsc_key_group_info(d->core, i, &s->kg[i]);
	for (size_t i = 0; rc == 0 && i < s->nsvc; i++)
		rc = mbms_bmsc_service_info(d->core, i, &s->svc[i]);
	s->udp_sent = d->udp_sent;
	s->udp_send_errors = d->udp_send_errors;
	s->udp_received = d->udp_received;
	s->store_failed = d->db_failed;
	s->now_ms = bmscd_now_ms();
	pthread_mutex_unlock(&d->lock);
	if (rc)
		bmscd_snapshot_free(s);
	return rc;
}

void bmscd_snapshot_free(struct bmscd_snapshot *s)
{
	free(s->kg);
	free(s->svc);
	s->kg = NULL;
	s->svc = NULL;
}

#define C MBMSD_COUNTER
#define G MBMSD_GAUGE

static void counter_set(struct mbmsd_metrics *m, const char *name, const char *help,
			const char *label, const char *const *values, const uint64_t *counts,
			size_t n)
{
	mbmsd_metrics_family(m, name, C, help);
	for (size_t i = 0; i < n; i++) {
		struct mbmsd_label l = {label, values[i]};
		mbmsd_metrics_u64(m, name, &l, 1, counts[i]);
	}
}

static void render_metrics(const struct bmscd *d, const struct bmscd_snapshot *s,
			   struct mbmsd_metrics *m)
{
	const struct mbms_bmsc_stats *st = &s->st;
	struct mbmsd_label l[3];

	mbmsd_metrics_family(m, "mbmssec_bmsc_build_info", G,
			     "bmscd version (the value is always 1)");
	l[0] = (struct mbmsd_label){"version", MBMS_VERSION};
	mbmsd_metrics_u64(m, "mbmssec_bmsc_build_info", l, 1, 1);
	mbmsd_metrics_family(m, "mbmssec_bmsc_start_time_seconds", G,
			     "When bmscd started, seconds since the Unix epoch");
	mbmsd_metrics_double(m, "mbmssec_bmsc_start_time_seconds", NULL, 0,
			     (double)bmscd_metrics_started_ms() / 1000.0);

	/* HTTP: requests by procedure and status (the shell's count) */
	mbmsd_metrics_family(m, "mbmssec_bmsc_requests_total", C,
			     "Key-management HTTP requests answered, by procedure and status");
	for (int p = 0; p < BMSCD_PROC_COUNT; p++)
		for (size_t i = 0; i < BMSCD_STATUS_COUNT; i++) {
			uint64_t v = bmscd_metrics_requests((enum bmscd_proc)p, i);
			if (!v && i != 0) /* every procedure has its 200 series, others once seen */
				continue;
			char code[8];
			bmscd_status_label(i, code, sizeof(code));
			l[0] = (struct mbmsd_label){"procedure", proc_name[p]};
			l[1] = (struct mbmsd_label){"status", code};
			mbmsd_metrics_u64(m, "mbmssec_bmsc_requests_total", l, 2, v);
		}
	{
		const char *v[] = {"200", "403", "404", "503"};
		uint64_t c[] = {st->items_200, st->items_403, st->items_404, st->items_503};
		counter_set(m, "mbmssec_bmsc_request_items_total",
			    "Service and MSK items in register, deregister and MSK requests, by the "
			    "status answered for the item",
			    "status", v, c, 4);
	}
	{
		const char *v[] = {"ok", "unknown", "unavailable"};
		uint64_t c[] = {st->zn_fetches, st->zn_unknown, st->zn_failures};
		counter_set(m, "mbmssec_bmsc_zn_lookups_total",
			    "Ks_NAF fetches from the BSF over Zn, by result (unknown: B-TID unknown "
			    "or expired; unavailable: no usable answer)",
			    "result", v, c, 3);
	}
	mbmsd_metrics_one(m, "mbmssec_bmsc_digest_stale_nonces_total", C,
			  "Digest answers with an expired nonce (401 stale=true)", st->digest_stale);

	/* MIKEY */
	mbmsd_metrics_one(m, "mbmssec_bmsc_msk_pushes_sent_total", C,
			  "MSK messages pushed (first transmissions)", st->pushes_sent);
	mbmsd_metrics_one(m, "mbmssec_bmsc_msk_pushes_acked_total", C,
			  "MSK pushes acknowledged by a verification message", st->pushes_acked);
	mbmsd_metrics_one(m, "mbmssec_bmsc_retransmissions_total", C,
			  "Retransmissions of MSK messages and triggers (fresh TS counter each)",
			  st->retransmissions);
	mbmsd_metrics_one(m, "mbmssec_bmsc_msk_pushes_given_up_total", C,
			  "MSK pushes given up after the last retransmission", st->pushes_given_up);
	mbmsd_metrics_one(m, "mbmssec_bmsc_solicited_pulls_total", C,
			  "Solicited pulls started by the admin interface (bmscd ctl solicit)",
			  atomic_load(&g_m.solicited_pulls));
	mbmsd_metrics_one(m, "mbmssec_bmsc_triggers_sent_total", C,
			  "Solicited-pull triggers sent to UEs (first transmissions)",
			  st->triggers_sent);
	mbmsd_metrics_one(m, "mbmssec_bmsc_triggers_acked_total", C,
			  "Solicited-pull triggers acknowledged", st->triggers_acked);
	mbmsd_metrics_one(m, "mbmssec_bmsc_triggers_given_up_total", C,
			  "Solicited-pull triggers given up", st->triggers_given_up);
	mbmsd_metrics_one(m, "mbmssec_bmsc_msks_made_total", C, "MSKs made", st->msks_made);
	mbmsd_metrics_one(m, "mbmssec_bmsc_switch_overs_total", C,
			  "MSK switch-overs (a next MSK became current)", st->switch_overs);
	mbmsd_metrics_one(m, "mbmssec_bmsc_mtks_made_total", C, "MTKs made", st->mtks_made);
	mbmsd_metrics_one(m, "mbmssec_bmsc_mtk_messages_total", C,
			  "MTK messages sent to the sessions' destinations", st->mtk_messages);
	mbmsd_metrics_one(m, "mbmssec_bmsc_counter_reservations_total", C,
			  "TS counter blocks reserved durably before use", st->counter_reservations);
	mbmsd_metrics_one(m, "mbmssec_bmsc_udp_datagrams_sent_total", C,
			  "Datagrams sent on the MIKEY socket", s->udp_sent);
	mbmsd_metrics_one(m, "mbmssec_bmsc_udp_datagrams_received_total", C,
			  "Datagrams received on the MIKEY socket", s->udp_received);
	{
		uint64_t admin[2][2];
		for (int a = 0; a < 2; a++)
			for (int r = 0; r < 2; r++)
				admin[a][r] = atomic_load(&g_m.admin[a][r]);
		mbmsd_metrics_family(m, "mbmssec_bmsc_admin_actions_total", C,
				     "Admin actions (solicit, rotate), by result");
		const char *act[] = {"solicit", "rotate"}, *res[] = {"ok", "refused"};
		for (int a = 0; a < 2; a++)
			for (int r = 0; r < 2; r++) {
				l[0] = (struct mbmsd_label){"action", act[a]};
				l[1] = (struct mbmsd_label){"result", res[r]};
				mbmsd_metrics_u64(m, "mbmssec_bmsc_admin_actions_total", l, 2,
						  admin[a][r]);
			}
	}
	{
		const char *v[] = {"digest_failure", "digest_replay", "zn_unavailable",
				   "verification_invalid", "verification_unmatched", "udp_send",
				   "internal"};
		uint64_t c[] = {st->digest_failures, st->digest_replays,  st->zn_failures,
				st->acks_invalid,    st->acks_unmatched,  s->udp_send_errors,
				st->http_500};
		counter_set(m, "mbmssec_bmsc_errors_total",
			    "Errors by kind: wrong Digest responses, replayed nonce counts, BSF "
			    "unavailable, invalid or unmatched verification messages, failed UDP "
			    "sends, internal errors (HTTP 500)",
			    "kind", v, c, 7);
	}

	/* gauges */
	mbmsd_metrics_one(m, "mbmssec_bmsc_ues", G, "UEs known (authenticated at least once)",
			  st->ues);
	mbmsd_metrics_one(m, "mbmssec_bmsc_registered_ues", G,
			  "UEs registered to at least one user service", st->registered_ues);
	mbmsd_metrics_one(m, "mbmssec_bmsc_pending_pushes", G,
			  "MSK pushes and triggers waiting for their acknowledgement",
			  st->pending_pushes);
	mbmsd_metrics_one(m, "mbmssec_bmsc_store_failed", G,
			  "1 when the state database failed: no MIKEY message is sent until a "
			  "restart",
			  s->store_failed ? 1 : 0);

	mbmsd_metrics_family(m, "mbmssec_bmsc_service_registered_ues", G,
			     "UEs registered to the user service");
	for (size_t i = 0; i < s->nsvc; i++) {
		l[0] = (struct mbmsd_label){"service", s->svc[i].service_id};
		mbmsd_metrics_u64(m, "mbmssec_bmsc_service_registered_ues", l, 1,
				  s->svc[i].registered_ues);
	}

	/* per key group: key IDs (never the keys) */
	static const struct {
		const char *name, *help;
		enum mbmsd_metric_type type;
	} kgm[] = {
		{"mbmssec_bmsc_key_group_info",
		 "Key group with its current and next MSK ID in hex (value 1; next_msk_id empty "
		 "when none)",
		 G},
		{"mbmssec_bmsc_current_msk_id", "Current MSK ID of the key group (0: none)", G},
		{"mbmssec_bmsc_next_msk_id", "Next MSK ID of the key group (0: not made yet)", G},
		{"mbmssec_bmsc_current_mtk_id", "Latest MTK ID under the current MSK (0: none)", G},
		{"mbmssec_bmsc_msk_switch_over_timestamp_seconds",
		 "When the current MSK ends and the next takes over, seconds since the epoch", G},
		{"mbmssec_bmsc_key_group_registered_ues",
		 "UEs registered to a service that uses the key group", G},
	};
	for (size_t f = 0; f < sizeof(kgm) / sizeof(kgm[0]); f++) {
		mbmsd_metrics_family(m, kgm[f].name, kgm[f].type, kgm[f].help);
		for (size_t i = 0; i < s->nkg; i++) {
			const struct mbms_bmsc_key_group_info *k = &s->kg[i];
			char kg[8], cur[9] = "", nxt[9] = "";
			snprintf(kg, sizeof(kg), "%u", k->key_group);
			l[0] = (struct mbmsd_label){"key_group", kg};
			switch (f) {
			case 0:
				if (k->current_msk_id)
					snprintf(cur, sizeof(cur), "%08x", k->current_msk_id);
				if (k->next_msk_id)
					snprintf(nxt, sizeof(nxt), "%08x", k->next_msk_id);
				l[1] = (struct mbmsd_label){"current_msk_id", cur};
				l[2] = (struct mbmsd_label){"next_msk_id", nxt};
				mbmsd_metrics_u64(m, kgm[f].name, l, 3, 1);
				break;
			case 1: mbmsd_metrics_u64(m, kgm[f].name, l, 1, k->current_msk_id); break;
			case 2: mbmsd_metrics_u64(m, kgm[f].name, l, 1, k->next_msk_id); break;
			case 3: mbmsd_metrics_u64(m, kgm[f].name, l, 1, k->mtk_id); break;
			case 4:
				mbmsd_metrics_double(m, kgm[f].name, l, 1,
						     (double)k->switch_over_ms / 1000.0);
				break;
			default: mbmsd_metrics_u64(m, kgm[f].name, l, 1, k->registered_ues); break;
			}
		}
	}
	(void)d;
}

static void metrics_page(struct bmscd *d, struct mbmsd_http_response *resp)
{
	struct bmscd_snapshot s;
	if (bmscd_snapshot_take(d, &s)) {
		mbmsd_http_status(resp, 500, "out of memory");
		return;
	}
	struct mbmsd_metrics m;
	mbmsd_metrics_init(&m);
	render_metrics(d, &s, &m);
	bmscd_snapshot_free(&s);
	if (m.failed || !m.p ||
	    mbmsd_http_set_body(resp, 200, MBMSD_METRICS_CONTENT_TYPE, m.p, m.len))
		mbmsd_http_status(resp, 500, "out of memory");
	else
		mbmsd_http_add_header(resp, "Cache-Control", "no-store");
	mbmsd_metrics_free(&m);
}

bool bmscd_admin_more(struct bmscd *d, const struct mbmsd_http_request *req,
		      struct mbmsd_http_response *resp)
{
	bool get = strcmp(req->method, "GET") == 0;
	if (strcmp(req->url, "/metrics") == 0) {
		if (!get) {
			mbmsd_http_status(resp, 405, "GET /metrics");
			mbmsd_http_add_header(resp, "Allow", "GET");
		} else {
			metrics_page(d, resp);
		}
		return true;
	}
	if (strcmp(req->url, "/") == 0 && get) {
		mbmsd_http_status(resp, 303, "see /status");
		mbmsd_http_add_header(resp, "Location", "/status");
		return true;
	}
	if (strcmp(req->url, "/status") == 0 && get &&
	    mbmsd_status_wants_html(mbmsd_http_query(req, "format"),
				    mbmsd_http_header(req, "Accept"))) {
		bmscd_status_page(d, resp);
		return true;
	}
	return false; /* /status as JSON, /solicit, /rotate: bmscd_admin_handle */
}
