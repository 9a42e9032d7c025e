/* bsfd's admin listener ([bsf] admin_listen, off by default; loopback
 * unless admin_allow_remote): GET /metrics in the Prometheus text format
 * and GET /status, a small HTML page (docs/operations.md "Metrics",
 * "Status page"). The counters are the shell's: Ub and Zn answers by
 * status and by result, purges, errors; the gauges come from the store.
 * Atomics, since Ub, Zn and the admin listener run on threads of their own.
 * Counts, names and B-TID-free reasons only: never K, OPc, Ks or Ks_NAF. */
#include "bsf.h"

#include "events.h"
#include "httpd.h"
#include "metrics.h"
#include "status_page.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#ifndef MBMS_VERSION
#define MBMS_VERSION "0.1.0"
#endif

/* HTTP statuses of Ub and Zn answers; the last slot is "other". */
static const unsigned status_code[] = {200, 400, 401, 403, 404, 405, 500};
#define NSTATUS (sizeof(status_code) / sizeof(status_code[0]) + 1)

enum ub_result {
	UB_BOOTSTRAPPED,      /* 200 B-TID */
	UB_CHALLENGED,        /* 401 with a fresh challenge */
	UB_RESYNCHRONISED,    /* 401 after AUTS (TS 33.102 6.3.5) */
	UB_AUTH_FAILED,       /* 403 wrong RES, MAC-A or MAC-S failure */
	UB_UNKNOWN_SUBSCRIBER,/* 403 unknown IMPI */
	UB_REJECTED,          /* 400, 404, 405, 403 for the User-Agent */
	UB_ERROR,             /* 5xx */
	UB_NRESULTS
};
static const char *const ub_result_name[UB_NRESULTS] = {
	"bootstrapped", "challenged",  "resynchronised", "auth_failed",
	"unknown_subscriber", "rejected", "error"};

enum zn_result {
	ZN_OK,           /* 200 Ks_NAF */
	ZN_UNKNOWN_BTID, /* 404 */
	ZN_EXPIRED_BTID, /* 404 */
	ZN_UNAUTHORIZED, /* 401: NAF credentials missing or wrong */
	ZN_FORBIDDEN,    /* 403: another NAF's NAF_ID */
	ZN_REJECTED,     /* 400, 405, wrong path */
	ZN_ERROR,        /* 5xx */
	ZN_NRESULTS
};
static const char *const zn_result_name[ZN_NRESULTS] = {
	"ok", "unknown_btid", "expired_btid", "unauthorized", "forbidden", "rejected", "error"};

static struct {
	_Atomic uint64_t ub_status[NSTATUS], zn_status[NSTATUS];
	_Atomic uint64_t ub[UB_NRESULTS], zn[ZN_NRESULTS];
	_Atomic uint64_t purged_boots, purged_pending, purge_errors;
	_Atomic uint64_t started_s;
} g_m;

static size_t status_index(unsigned status)
{
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (status_code[i] == status)
			return i;
	return NSTATUS - 1;
}

static void status_label(size_t i, char *out, size_t cap)
{
	if (i < NSTATUS - 1)
		snprintf(out, cap, "%u", status_code[i]);
	else
		snprintf(out, cap, "other");
}

static uint64_t get(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void inc(_Atomic uint64_t *v, uint64_t by)
{
	atomic_fetch_add_explicit(v, by, memory_order_relaxed);
}

bool bsf_admin_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

void bsf_metrics_start(uint64_t now_s)
{
	atomic_store(&g_m.started_s, now_s);
}

static enum mbmsd_event_level level_of(unsigned status)
{
	return status == 200 ? MBMSD_EVENT_OK
	       : status == 401 || status == 404 ? MBMSD_EVENT_INFO
	       : status >= 500 ? MBMSD_EVENT_ERROR
			       : MBMSD_EVENT_WARN;
}

/* The result is read from the status and, where one status has several
 * causes, from the reason ub.c noted for the trace (its fixed texts). */
void bsf_metrics_ub(const char *who, unsigned status, const char *note)
{
	note = note ? note : "";
	enum ub_result r;
	if (status == 200)
		r = UB_BOOTSTRAPPED;
	else if (status == 401)
		r = strcmp(note, "resynchronised from AUTS") == 0 ? UB_RESYNCHRONISED : UB_CHALLENGED;
	else if (status == 403)
		r = strcmp(note, "unknown IMPI") == 0	  ? UB_UNKNOWN_SUBSCRIBER
		    : strncmp(note, "User-Agent", 10) == 0 ? UB_REJECTED
							   : UB_AUTH_FAILED;
	else if (status >= 500)
		r = UB_ERROR;
	else
		r = UB_REJECTED;
	inc(&g_m.ub[r], 1);
	inc(&g_m.ub_status[status_index(status)], 1);
	mbmsd_event(level_of(status), "ub", "%.200s: %u %s%s%s", who && *who ? who : "UE", status,
		    ub_result_name[r], *note ? ": " : "", note);
}

void bsf_metrics_zn(const char *who, unsigned status, const char *note)
{
	note = note ? note : "";
	enum zn_result r;
	if (status == 200)
		r = ZN_OK;
	else if (status == 404 && strcmp(note, "unknown B-TID") == 0)
		r = ZN_UNKNOWN_BTID;
	else if (status == 404 && strcmp(note, "expired B-TID") == 0)
		r = ZN_EXPIRED_BTID;
	else if (status == 401)
		r = ZN_UNAUTHORIZED;
	else if (status == 403)
		r = ZN_FORBIDDEN;
	else if (status >= 500)
		r = ZN_ERROR;
	else
		r = ZN_REJECTED;
	inc(&g_m.zn[r], 1);
	inc(&g_m.zn_status[status_index(status)], 1);
	mbmsd_event(level_of(status), "zn", "%.200s: %u %s%s%s", who && *who ? who : "NAF",
		    status, zn_result_name[r], *note ? ": " : "", note);
}

void bsf_metrics_purge(int rc, unsigned boots, unsigned pending)
{
	if (rc) {
		inc(&g_m.purge_errors, 1);
		return;
	}
	inc(&g_m.purged_boots, boots);
	inc(&g_m.purged_pending, pending);
}

/* ---- GET /metrics ---- */

static uint64_t sum(_Atomic uint64_t *v, size_t n)
{
	uint64_t t = 0;
	for (size_t i = 0; i < n; i++)
		t += get(&v[i]);
	return t;
}

static void metrics_page(struct bsf_ctx *ctx, struct mbmsd_http_response *resp)
{
	struct bsf_store_counts c;
	bool store_ok = bsf_store_counts(ctx->store, bsf_now(), &c) == 0;
	struct mbmsd_metrics m;
	struct mbmsd_label l[2];
	mbmsd_metrics_init(&m);

	mbmsd_metrics_family(&m, "mbmssec_bsf_build_info", MBMSD_GAUGE,
			     "bsfd version (the value is always 1)");
	l[0] = (struct mbmsd_label){"version", MBMS_VERSION};
	mbmsd_metrics_u64(&m, "mbmssec_bsf_build_info", l, 1, 1);
	mbmsd_metrics_one(&m, "mbmssec_bsf_start_time_seconds", MBMSD_GAUGE,
			  "When bsfd started, seconds since the Unix epoch", get(&g_m.started_s));

	mbmsd_metrics_family(&m, "mbmssec_bsf_requests_total", MBMSD_COUNTER,
			     "HTTP requests answered on Ub and Zn, by interface and status");
	for (int itf = 0; itf < 2; itf++)
		for (size_t i = 0; i < NSTATUS; i++) {
			uint64_t v = get(itf ? &g_m.zn_status[i] : &g_m.ub_status[i]);
			if (!v && i != 0)
				continue;
			char code[8];
			status_label(i, code, sizeof(code));
			l[0] = (struct mbmsd_label){"interface", itf ? "zn" : "ub"};
			l[1] = (struct mbmsd_label){"status", code};
			mbmsd_metrics_u64(&m, "mbmssec_bsf_requests_total", l, 2, v);
		}
	mbmsd_metrics_family(&m, "mbmssec_bsf_bootstraps_total", MBMSD_COUNTER,
			     "Ub requests by result: bootstrapped (200, a B-TID), challenged (401), "
			     "resynchronised (401 after AUTS), auth_failed, unknown_subscriber, "
			     "rejected (malformed), error");
	for (int r = 0; r < UB_NRESULTS; r++) {
		l[0] = (struct mbmsd_label){"result", ub_result_name[r]};
		mbmsd_metrics_u64(&m, "mbmssec_bsf_bootstraps_total", l, 1, get(&g_m.ub[r]));
	}
	mbmsd_metrics_family(&m, "mbmssec_bsf_zn_lookups_total", MBMSD_COUNTER,
			     "Zn requests of NAFs by result: ok (Ks_NAF given), unknown_btid, "
			     "expired_btid, unauthorized, forbidden, rejected, error");
	for (int r = 0; r < ZN_NRESULTS; r++) {
		l[0] = (struct mbmsd_label){"result", zn_result_name[r]};
		mbmsd_metrics_u64(&m, "mbmssec_bsf_zn_lookups_total", l, 1, get(&g_m.zn[r]));
	}
	mbmsd_metrics_family(&m, "mbmssec_bsf_purged_total", MBMSD_COUNTER,
			     "Expired bootstraps and stale challenges deleted by the purge timer");
	l[0] = (struct mbmsd_label){"what", "bootstraps"};
	mbmsd_metrics_u64(&m, "mbmssec_bsf_purged_total", l, 1, get(&g_m.purged_boots));
	l[0] = (struct mbmsd_label){"what", "challenges"};
	mbmsd_metrics_u64(&m, "mbmssec_bsf_purged_total", l, 1, get(&g_m.purged_pending));
	{
		const char *kind[] = {"ub_internal", "zn_internal", "ub_auth_failure",
				      "naf_auth_failure", "store"};
		uint64_t v[] = {get(&g_m.ub[UB_ERROR]), get(&g_m.zn[ZN_ERROR]),
				get(&g_m.ub[UB_AUTH_FAILED]), get(&g_m.zn[ZN_UNAUTHORIZED]),
				get(&g_m.purge_errors)};
		mbmsd_metrics_family(&m, "mbmssec_bsf_errors_total", MBMSD_COUNTER,
				     "Errors by kind: internal errors on Ub and Zn (HTTP 5xx), "
				     "failed UE authentications, failed NAF authentications, "
				     "failed purges of the state database");
		for (size_t i = 0; i < 5; i++) {
			l[0] = (struct mbmsd_label){"kind", kind[i]};
			mbmsd_metrics_u64(&m, "mbmssec_bsf_errors_total", l, 1, v[i]);
		}
	}
	mbmsd_metrics_one(&m, "mbmssec_bsf_store_up", MBMSD_GAUGE,
			  "1 when the state database answered this scrape", store_ok ? 1 : 0);
	if (store_ok) {
		mbmsd_metrics_one(&m, "mbmssec_bsf_subscribers", MBMSD_GAUGE,
				  "Subscribers provisioned", c.subscribers);
		mbmsd_metrics_one(&m, "mbmssec_bsf_bootstraps", MBMSD_GAUGE,
				  "Bootstraps stored (valid or expired, not yet purged)", c.bootstraps);
		mbmsd_metrics_one(&m, "mbmssec_bsf_bootstraps_valid", MBMSD_GAUGE,
				  "Bootstraps whose key lifetime has not ended", c.bootstraps_valid);
		mbmsd_metrics_one(&m, "mbmssec_bsf_pending_challenges", MBMSD_GAUGE,
				  "Challenges waiting for the UE's answer", c.pending);
	}
	mbmsd_metrics_one(&m, "mbmssec_bsf_nafs", MBMSD_GAUGE, "NAFs configured for Zn",
			  ctx->cfg->nnafs);
	if (m.failed || !m.p ||
	    mbmsd_http_set_body(resp, 200, MBMSD_METRICS_CONTENT_TYPE, m.p, m.len))
		mbmsd_http_status(resp, 500, "out of memory");
	else
		mbmsd_http_add_header(resp, "Cache-Control", "no-store");
	mbmsd_metrics_free(&m);
}

/* ---- GET /status ---- */

static void result_rows(struct mbmsd_html *h, const char *prefix, const char *const *names,
			_Atomic uint64_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		mbmsd_html_raw(h, "<tr><th>");
		mbmsd_html_text(h, names[i]);
		mbmsd_html_raw(h, "</th><td class=\"n\" id=\"");
		mbmsd_html_textf(h, "%s-%s", prefix, names[i]);
		mbmsd_html_raw(h, "\">");
		mbmsd_html_textf(h, "%llu", (unsigned long long)get(&v[i]));
		mbmsd_html_raw(h, "</td></tr>");
	}
}

static void status_page(struct bsf_ctx *ctx, struct mbmsd_http_response *resp)
{
	uint64_t now = bsf_now();
	struct bsf_store_counts c;
	bool store_ok = bsf_store_counts(ctx->store, now, &c) == 0;
	struct mbmsd_html h;
	mbmsd_html_init(&h);
	char title[400], sub[200], v[32];
	snprintf(title, sizeof(title), "bsfd · BSF %s", ctx->cfg->host);
	uint64_t up = now > get(&g_m.started_s) ? now - get(&g_m.started_s) : 0;
	snprintf(sub, sizeof(sub), "bsfd %s · key lifetime %llu s · up %llud %02llu:%02llu:%02llu",
		 MBMS_VERSION, (unsigned long long)ctx->cfg->key_lifetime,
		 (unsigned long long)(up / 86400), (unsigned long long)(up % 86400 / 3600),
		 (unsigned long long)(up % 3600 / 60), (unsigned long long)(up % 60));
	mbmsd_html_head(&h, title, sub, MBMSD_STATUS_REFRESH_S);

	mbmsd_html_raw(&h, "<div class=\"tiles\">");
	if (store_ok) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)c.subscribers);
		mbmsd_html_tile(&h, "subscribers", "subscribers", v);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)c.bootstraps_valid);
		mbmsd_html_tile(&h, "bootstraps-valid", "valid bootstraps (B-TIDs)", v);
		snprintf(v, sizeof(v), "%llu", (unsigned long long)c.pending);
		mbmsd_html_tile(&h, "pending", "challenges pending", v);
	} else {
		mbmsd_html_tile(&h, "store", "state database", "FAILED");
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long)sum(g_m.ub_status, NSTATUS));
	mbmsd_html_tile(&h, "ub-requests", "Ub requests", v);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)sum(g_m.zn_status, NSTATUS));
	mbmsd_html_tile(&h, "zn-requests", "Zn requests", v);
	snprintf(v, sizeof(v), "%llu",
		 (unsigned long long)(get(&g_m.ub[UB_ERROR]) + get(&g_m.zn[ZN_ERROR]) +
				      get(&g_m.purge_errors)));
	mbmsd_html_tile(&h, "errors", "internal errors", v);
	mbmsd_html_raw(&h, "</div>");

	mbmsd_html_raw(&h, "<section id=\"nafs\"><h2>NAFs (Zn clients)</h2>");
	if (!ctx->cfg->nnafs)
		mbmsd_html_raw(&h, "<p class=\"muted\">None configured.</p>");
	else {
		mbmsd_html_raw(&h, "<ul>");
		for (size_t i = 0; i < ctx->cfg->nnafs; i++) {
			mbmsd_html_raw(&h, "<li><code>");
			mbmsd_html_text(&h, ctx->cfg->nafs[i].fqdn); /* the FQDN; never the secret */
			mbmsd_html_raw(&h, "</code></li>");
		}
		mbmsd_html_raw(&h, "</ul>");
	}
	mbmsd_html_raw(&h, "</section><section id=\"ub\"><h2>Ub (bootstrapping)</h2>"
			   "<div class=\"scroll\"><table><tbody>");
	result_rows(&h, "ub", ub_result_name, g_m.ub, UB_NRESULTS);
	mbmsd_html_raw(&h, "</tbody></table></div></section><section id=\"zn\"><h2>Zn "
			   "(Ks_NAF lookups)</h2><div class=\"scroll\"><table><tbody>");
	result_rows(&h, "zn", zn_result_name, g_m.zn, ZN_NRESULTS);
	mbmsd_html_raw(&h, "</tbody></table></div></section>");
	mbmsd_html_events(&h, now * 1000);
	mbmsd_html_foot(&h, now * 1000, "<a href=\"/metrics\">metrics</a>");
	mbmsd_html_respond(&h, resp);
	mbmsd_html_free(&h);
}

void bsf_admin_handle(void *user, const struct mbmsd_http_request *req,
		      struct mbmsd_http_response *resp)
{
	struct bsf_ctx *ctx = user;
	bool metrics = strcmp(req->url, "/metrics") == 0, status = strcmp(req->url, "/status") == 0;
	if (!metrics && !status && strcmp(req->url, "/") != 0) {
		mbmsd_http_status(resp, 404, "GET /status, GET /metrics");
		return;
	}
	if (strcmp(req->method, "GET") != 0) {
		mbmsd_http_status(resp, 405, "GET only");
		mbmsd_http_add_header(resp, "Allow", "GET");
		return;
	}
	if (metrics)
		metrics_page(ctx, resp);
	else if (status)
		status_page(ctx, resp);
	else {
		mbmsd_http_status(resp, 303, "see /status");
		mbmsd_http_add_header(resp, "Location", "/status");
	}
}
